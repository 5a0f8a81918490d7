/* postwardenctl scan: runs every built-in detector over text.
 *
 *   postwardenctl scan [--min-confidence N] [--cache-dir DIR] TEXT|-   one line per detection
 *   postwardenctl scan --jsonl [--min-confidence N] [--cache-dir DIR] [FILE|-]
 *
 * --cache-dir (default: $POSTWARDEN_CACHE_DIR, else none) keeps the compiled detector database
 * so later runs start in milliseconds instead of compiling for ~0.6 s.
 *
 * --jsonl reads {"i": N, "text": "…"} lines (other members are ignored, so corpus lines can be
 * fed as they are) and writes {"i": N, "matched": bool, "categories": [...]} per line, in one
 * process for the whole file. A bad line is reported on stderr with its line number and
 * skipped. Exit status: 0 done, 1 some lines were bad, 2 usage or runtime error. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "postwarden/policy.h"

/* Detections below this confidence are format-only guesses (e.g. nine bare digits as an SSN
 * without a context word); the default policy asks for the same minimum. */
#define DEFAULT_MIN_CONFIDENCE 50

struct collect {
        int min_conf;       /* detections below are ignored */
        json_t *categories; /* array of distinct category names, in order found */
        FILE *out;          /* for the one-text mode, else NULL */
        const char *text;   /* the scanned text (one-text mode) */
};

static int on_detection(const struct pw_detection *d, void *userdata) {
        struct collect *c = userdata;
        if (d->confidence < c->min_conf)
                return 0;
        if (c->out) {
                fprintf(c->out, "%s\t%u-%u\t%d\t%s\n", d->category, d->byte_start, d->byte_end,
                        d->confidence, d->excerpt);
                return 0;
        }
        size_t i;
        json_t *v;
        json_array_foreach(c->categories, i, v) {
                if (!strcmp(json_string_value(v), d->category))
                        return 0;
        }
        json_array_append_new(c->categories, json_string(d->category));
        return 0;
}

static int usage(void) {
        fprintf(stderr, "usage: postwardenctl scan [--min-confidence N] [--cache-dir DIR] TEXT|-\n"
                        "       postwardenctl scan --jsonl [--min-confidence N] [--cache-dir DIR] "
                        "[FILE|-]\n");
        return 2;
}

/* Reads all of `f` into a new buffer; returns NULL on error. */
static char *slurp(FILE *f, size_t *len) {
        size_t cap = 65536, n = 0;
        char *buf = malloc(cap);
        if (!buf)
                return NULL;
        size_t got;
        while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
                n += got;
                if (n == cap) {
                        char *nb = realloc(buf, cap * 2);
                        if (!nb) {
                                free(buf);
                                return NULL;
                        }
                        buf = nb;
                        cap *= 2;
                }
        }
        *len = n;
        return buf;
}

/* Scans each line of `in`; returns the exit status. */
static int scan_jsonl(const struct pw_detectors *d, FILE *in, const char *name, int min_conf) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        unsigned long lineno = 0;
        int status = 0;
        while ((n = getline(&line, &cap, in)) >= 0) {
                lineno++;
                if (n == 0 || (n == 1 && line[0] == '\n'))
                        continue;
                json_error_t jerr;
                json_t *root = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
                json_int_t idx = 0;
                const char *text = NULL;
                size_t tlen = 0;
                /* No "!": corpus lines carry more members (source, category, …). */
                if (!root || json_unpack_ex(root, &jerr, 0, "{s:I, s:s%}", "i", &idx, "text", &text,
                                            &tlen) < 0) {
                        fprintf(stderr, "%s:%lu:%d: %s\n", name, lineno, jerr.column, jerr.text);
                        json_decref(root);
                        status = 1;
                        continue;
                }
                struct collect c = {.min_conf = min_conf, .categories = json_array()};
                int r = c.categories ? pw_detectors_scan(d, text, tlen, on_detection, &c) : -ENOMEM;
                if (r < 0) {
                        fprintf(stderr, "%s:%lu: scan failed: %s\n", name, lineno, strerror(-r));
                        json_decref(c.categories);
                        json_decref(root);
                        status = 1;
                        continue;
                }
                json_t *out =
                        json_pack("{s:I, s:b, s:o}", "i", idx, "matched",
                                  json_array_size(c.categories) > 0, "categories", c.categories);
                char *s = out ? json_dumps(out, JSON_COMPACT) : NULL;
                if (!s) {
                        fprintf(stderr, "%s:%lu: out of memory\n", name, lineno);
                        json_decref(out);
                        json_decref(root);
                        free(line);
                        return 2;
                }
                puts(s);
                free(s);
                json_decref(out);
                json_decref(root);
        }
        free(line);
        if (ferror(in)) {
                fprintf(stderr, "%s: read error\n", name);
                return 2;
        }
        return status;
}

int pw_cmd_scan(int argc, char **argv);

int pw_cmd_scan(int argc, char **argv) {
        bool jsonl = false;
        int min_conf = DEFAULT_MIN_CONFIDENCE;
        const char *cache_dir = getenv("POSTWARDEN_CACHE_DIR");
        int i = 1;
        for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
                if (!strcmp(argv[i], "--jsonl")) {
                        jsonl = true;
                } else if (!strcmp(argv[i], "--min-confidence") && i + 1 < argc) {
                        char *end;
                        long v = strtol(argv[++i], &end, 10);
                        if (*end || v < 0 || v > 100) {
                                fprintf(stderr,
                                        "postwardenctl scan: --min-confidence wants 0..100\n");
                                return 2;
                        }
                        min_conf = (int)v;
                } else if (!strcmp(argv[i], "--cache-dir") && i + 1 < argc) {
                        cache_dir = argv[++i];
                } else if (!strcmp(argv[i], "--")) {
                        i++;
                        break;
                } else {
                        return usage();
                }
        }
        if (argc - i > 1 || (!jsonl && argc - i != 1))
                return usage();
        const char *arg = i < argc ? argv[i] : "-";

        struct pw_detectors *d = NULL;
        struct pw_error err = {0};
        int r = pw_detectors_new_cached(NULL, 0, cache_dir, &d, &err);
        if (r < 0) {
                fprintf(stderr, "postwardenctl scan: %s\n", err.text[0] ? err.text : strerror(-r));
                return 2;
        }
        int status = 0;
        if (jsonl) {
                FILE *in = strcmp(arg, "-") ? fopen(arg, "r") : stdin;
                if (!in) {
                        fprintf(stderr, "postwardenctl scan: %s: %s\n", arg, strerror(errno));
                        pw_detectors_free(d);
                        return 2;
                }
                status = scan_jsonl(d, in, strcmp(arg, "-") ? arg : "<stdin>", min_conf);
                if (in != stdin)
                        fclose(in);
        } else {
                size_t len = strlen(arg);
                char *buf = NULL;
                const char *text = arg;
                if (!strcmp(arg, "-")) {
                        buf = slurp(stdin, &len);
                        if (!buf) {
                                fprintf(stderr, "postwardenctl scan: cannot read stdin\n");
                                pw_detectors_free(d);
                                return 2;
                        }
                        text = buf;
                }
                struct collect c = {.min_conf = min_conf, .out = stdout, .text = text};
                r = pw_detectors_scan(d, text, len, on_detection, &c);
                if (r < 0) {
                        fprintf(stderr, "postwardenctl scan: %s\n", strerror(-r));
                        status = 2;
                }
                free(buf);
        }
        if (fflush(stdout) != 0)
                status = 2;
        pw_detectors_free(d);
        return status;
}
