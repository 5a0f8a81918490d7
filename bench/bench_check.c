/* bench_check: one pw_policy_check() of a 2 KB post, with the default policy plus N generated
 * terms, against peers in the same run.
 *
 *   bench_check [--terms N] [--seed S] [--iters N] [--pcre2-terms N] [--write DIR] SOURCE_DIR
 *
 * Generated terms: N (default 100000) pseudo-words from a fixed syllable table, drawn with
 * xorshift64* seeded with S (default 42): 1-3 words of 2-4 syllables, e.g. "komira tesvalu".
 * They become the term list "generated" of a rule "generated-terms" added to the default
 * policy (written with the term lists into a temporary directory, or DIR with --write, which
 * then stops: tools for the cold-start comparison use it).
 *
 * Texts: 2048 bytes of English (common words, two code names, a trademark), and 2048 bytes of
 * mixed script (German, Russian, Greek, Japanese, emoji, full-width letters, the same hits).
 *
 * Engines, each timed per text over --iters runs (p50 and p99, microseconds):
 *   engine     pw_policy_check(): normalise (fold + skeleton views) + scan + verdict
 *   hs-raw     the floor: vectorscan over the raw text with the same literals compiled
 *              HS_FLAG_CASELESS, no normalisation, no word boundaries, no verdict
 *   memmem     ASCII-lowercase the text, then memmem() for every term
 *   pcre2-jit  one caseless UTF JIT-compiled pattern per term, a loop of pcre2_jit_match();
 *              only the first --pcre2-terms terms (default 1000): 100k JIT patterns take
 *              gigabytes; the per-term cost is reported so it can be scaled. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs.h>
#include <jansson.h>
#include <pcre2.h>

#include "postwarden/policy.h"

/* ---- generated terms ------------------------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s) {
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        return *s * 2685821657736338717ull;
}

static const char *const syllables[] = {
        "ka",  "lo",  "mi",  "ra",  "te",  "su",  "va",  "lu",  "no",  "pe",  "ri",  "zo",  "bex",
        "dun", "gor", "hil", "jas", "kel", "mor", "nix", "pol", "qua", "ruf", "sti", "tor", "ulm",
        "ven", "wyn", "xer", "yol", "zan", "bri", "cla", "dro", "fen", "gla", "hex", "ist"};
#define N_SYL (sizeof syllables / sizeof *syllables)

static void gen_term(uint64_t *s, char *out, size_t size) {
        size_t o = 0;
        unsigned words = 1 + (unsigned)(rng_next(s) % 3);
        for (unsigned w = 0; w < words; w++) {
                if (w)
                        out[o++] = ' ';
                unsigned syl = 2 + (unsigned)(rng_next(s) % 3);
                for (unsigned k = 0; k < syl; k++) {
                        const char *x = syllables[rng_next(s) % N_SYL];
                        size_t n = strlen(x);
                        if (o + n + 2 >= size)
                                break;
                        memcpy(out + o, x, n);
                        o += n;
                }
        }
        out[o] = '\0';
}

/* ---- texts ---------------------------------------------------------------------------------- */

static const char english_words[] =
        "the team shipped a new release today and we are proud of the work that went into it "
        "thanks to everyone who tested the beta and sent feedback about performance and "
        "reliability our customers asked for better search so we rebuilt the index from "
        "scratch and it is much faster now ";

static const char mixed_words[] =
        "Grüße aus München, das Wetter ist schön heute. Привет из Москвы, погода отличная. "
        "Καλημέρα από την Αθήνα. 東京からこんにちは、今日はいい天気です。 🎉🚀✨ "
        "ＦＵＬＬ　ＷＩＤＴＨ text and café crème, naïve façade. ";

/* Fills `out` with `len` bytes cut from `words` (at a UTF-8 boundary), with hits inserted. */
static size_t make_text(const char *words, char *out, size_t len) {
        static const char hits[] = " Stormwing is on track, Acme rocks, Kestrel too. ";
        size_t wl = strlen(words), o = 0, i = 0;
        while (o < len) {
                if (o > 0 && o < len - sizeof hits && (o / 700) != ((o - 1) / 700)) {
                        memcpy(out + o, hits, sizeof hits - 1);
                        o += sizeof hits - 1;
                        continue;
                }
                out[o++] = words[i];
                i = (i + 1) % wl;
        }
        /* do not end inside a UTF-8 sequence */
        while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80)
                o--;
        if (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0xC0)
                o--;
        return o;
}

/* ---- timing --------------------------------------------------------------------------------- */

static double now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* CPU time of this thread: unlike wall time, not inflated when the scheduler runs someone else
 * (the development machine is shared), so its p99 shows the engine's own tail. */
static double cpu_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

struct stats {
        double p50, p99; /* microseconds */
};

static struct stats summarise(double *t, size_t n) {
        qsort(t, n, sizeof *t, cmp_double);
        struct stats s = {t[n / 2],
                          t[(size_t)((double)n * 0.99) < n ? (size_t)((double)n * 0.99) : n - 1]};
        return s;
}

/* ---- setup ---------------------------------------------------------------------------------- */

/* Writes the default policy plus the generated list into `dir`; the terms go to terms.txt too
 * (for grep -F -f). Returns the generated terms in *ret_terms. */
static int write_policy(const char *src, const char *dir, size_t n_terms, uint64_t seed,
                        char ***ret_terms) {
        char path[4096];
        snprintf(path, sizeof path, "%s/policy/default/policy.json", src);
        json_error_t je;
        json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
        if (!root) {
                fprintf(stderr, "%s:%d: %s\n", path, je.line, je.text);
                return -1;
        }
        /* the shipped lists, by absolute path */
        const char *key;
        json_t *list;
        json_object_foreach(json_object_get(root, "term_lists"), key, list) {
                json_t *file = json_object_get(list, "file");
                if (file) {
                        snprintf(path, sizeof path, "%s/policy/default/%s", src,
                                 json_string_value(file));
                        json_object_set_new(list, "file", json_string(path));
                }
        }
        json_object_set_new(json_object_get(root, "term_lists"), "generated",
                            json_pack("{s:s}", "file", "generated.txt"));
        json_array_append_new(json_object_get(root, "rules"),
                              json_pack("{s:s, s:s, s:{s:[s]}, s:s, s:b, s:s}", "id",
                                        "generated-terms", "category", "confidential", "match",
                                        "lists", "generated", "action", "block", "overridable", 1,
                                        "message", "A name from the generated list."));
        snprintf(path, sizeof path, "%s/policy.json", dir);
        if (json_dump_file(root, path, JSON_INDENT(1)) < 0)
                return -1;
        json_decref(root);

        char **terms = calloc(n_terms + 1, sizeof *terms);
        snprintf(path, sizeof path, "%s/generated.txt", dir);
        FILE *f = fopen(path, "w");
        char tpath[4096];
        snprintf(tpath, sizeof tpath, "%s/terms.txt", dir);
        FILE *g = fopen(tpath, "w");
        if (!terms || !f || !g)
                return -1;
        uint64_t s = seed ? seed : 1;
        for (size_t i = 0; i < n_terms; i++) {
                char t[128];
                gen_term(&s, t, sizeof t);
                terms[i] = strdup(t);
                fprintf(f, "%s\n", t);
                fprintf(g, "%s\n", t);
        }
        /* grep gets the shipped code names and trademarks too, as the engine has them */
        static const char *const extra[] = {"Stormwing", "Kestrel", "Acme", "Nightjar", NULL};
        for (const char *const *e = extra; *e; e++)
                fprintf(g, "%s\n", *e);
        if (fclose(f) || fclose(g))
                return -1;
        *ret_terms = terms;
        return 0;
}

/* ---- peers ---------------------------------------------------------------------------------- */

static int count_cb(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ctx) {
        ++*(size_t *)ctx;
        return 0;
}

static hs_database_t *raw_db(char **terms, size_t n) {
        const char **e = malloc((n + 2) * sizeof *e);
        size_t *lens = malloc((n + 2) * sizeof *lens);
        unsigned *flags = malloc((n + 2) * sizeof *flags), *ids = malloc((n + 2) * sizeof *ids);
        static const char *const extra[] = {"stormwing", "kestrel"};
        for (size_t i = 0; i < n + 2; i++) {
                e[i] = i < n ? terms[i] : extra[i - n];
                lens[i] = strlen(e[i]);
                flags[i] = HS_FLAG_CASELESS;
                ids[i] = (unsigned)i;
        }
        hs_database_t *db = NULL;
        hs_compile_error_t *ce = NULL;
        if (hs_compile_lit_multi(e, flags, ids, lens, (unsigned)n + 2, HS_MODE_BLOCK, NULL, &db,
                                 &ce) != HS_SUCCESS) {
                fprintf(stderr, "hs: %s\n", ce->message);
                db = NULL;
        }
        free(e);
        free(lens);
        free(flags);
        free(ids);
        return db;
}

int main(int argc, char **argv) {
        size_t n_terms = 100000, iters = 2000, n_pcre = 1000;
        uint64_t seed = 42;
        const char *write_dir = NULL, *src = NULL;
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--terms") && i + 1 < argc)
                        n_terms = strtoul(argv[++i], NULL, 10);
                else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
                        seed = strtoull(argv[++i], NULL, 10);
                else if (!strcmp(argv[i], "--iters") && i + 1 < argc)
                        iters = strtoul(argv[++i], NULL, 10);
                else if (!strcmp(argv[i], "--pcre2-terms") && i + 1 < argc)
                        n_pcre = strtoul(argv[++i], NULL, 10);
                else if (!strcmp(argv[i], "--write") && i + 1 < argc)
                        write_dir = argv[++i];
                else
                        src = argv[i];
        }
        if (!src) {
                fprintf(stderr, "usage: bench_check [--terms N] [--seed S] [--iters N] "
                                "[--pcre2-terms N] [--write DIR] SOURCE_DIR\n");
                return 2;
        }
        char *abs_src = realpath(src, NULL);
        if (!abs_src) {
                perror(src);
                return 2;
        }
        src = abs_src;
        char tmp[] = "/tmp/pw-bench-XXXXXX";
        const char *dir = write_dir;
        if (!dir) {
                if (!mkdtemp(tmp))
                        return 1;
                dir = tmp;
        } else {
                mkdir(dir, 0755);
        }
        char **terms = NULL;
        if (write_policy(src, dir, n_terms, seed, &terms) < 0) {
                fprintf(stderr, "bench_check: cannot write the policy into %s\n", dir);
                return 1;
        }
        if (write_dir) {
                printf("wrote %s/policy.json, generated.txt (%zu terms, seed %llu), terms.txt\n",
                       dir, n_terms, (unsigned long long)seed);
                return 0;
        }

        char path[4096];
        snprintf(path, sizeof path, "%s/policy.json", dir);
        struct pw_policy *p = NULL;
        struct pw_error err = {0};
        double t0 = now_us();
        if (pw_policy_load(path, NULL, 0, &p, &err) < 0) {
                char buf[512];
                pw_error_format(&err, buf, sizeof buf);
                fprintf(stderr, "%s\n", buf);
                return 1;
        }
        struct pw_compile_info info;
        pw_policy_compile_info(p, &info);
        printf("policy: default + %zu generated terms (seed %llu): %zu literals, %zu regexes, "
               "%.1f MB databases, compiled in %.2f s\n",
               n_terms, (unsigned long long)seed, info.n_literals, info.n_regexes,
               (double)info.db_bytes / 1e6, (now_us() - t0) / 1e6);

        hs_database_t *raw = raw_db(terms, n_terms);
        hs_scratch_t *scratch = NULL;
        if (!raw || hs_alloc_scratch(raw, &scratch) != HS_SUCCESS)
                return 1;
        if (n_pcre > n_terms)
                n_pcre = n_terms;
        pcre2_code **re = calloc(n_pcre, sizeof *re);
        pcre2_match_data *md = pcre2_match_data_create(4, NULL);
        for (size_t i = 0; i < n_pcre; i++) {
                int ec;
                PCRE2_SIZE eo;
                re[i] = pcre2_compile((PCRE2_SPTR)terms[i], PCRE2_ZERO_TERMINATED,
                                      PCRE2_CASELESS | PCRE2_UTF | PCRE2_LITERAL, &ec, &eo, NULL);
                if (!re[i] || pcre2_jit_compile(re[i], PCRE2_JIT_COMPLETE) < 0)
                        return 1;
        }
        size_t *tlen = malloc(n_terms * sizeof *tlen);
        for (size_t i = 0; i < n_terms; i++)
                tlen[i] = strlen(terms[i]);

        static const struct {
                const char *name;
                const char *words;
        } texts[] = {{"english", english_words}, {"mixed-script", mixed_words}};
        double *t = malloc(iters * sizeof *t);
        printf("\n%-13s %-10s %10s %10s %9s  %s\n", "text", "engine", "p50 us", "p99 us",
               "p50/floor", "notes");
        for (size_t k = 0; k < 2; k++) {
                char text[2048], low[2048];
                size_t len = make_text(texts[k].words, text, sizeof text);
                struct pw_check_input in = {.text = text,
                                            .len = len,
                                            .site = "x.com",
                                            .account_handle = "@someone",
                                            .user = "alice"};
                size_t findings = 0;
                double *ct = malloc(iters * sizeof *ct);
                if (!ct)
                        return 1;
                for (size_t i = 0; i < iters; i++) {
                        struct pw_verdict *v = NULL;
                        double a = now_us(), c = cpu_us();
                        if (pw_policy_check(p, &in, &v) < 0)
                                return 1;
                        t[i] = now_us() - a;
                        ct[i] = cpu_us() - c;
                        findings = v->n_findings;
                        pw_verdict_free(v);
                }
                struct stats eng = summarise(t, iters), eng_cpu = summarise(ct, iters);
                free(ct);
                size_t hits = 0;
                for (size_t i = 0; i < iters; i++) {
                        double a = now_us();
                        hs_scan(raw, text, (unsigned)len, 0, scratch, count_cb, &hits);
                        t[i] = now_us() - a;
                }
                struct stats floor = summarise(t, iters);
                size_t slow_iters = iters / 20 ? iters / 20 : 1;
                size_t mm = 0;
                for (size_t i = 0; i < slow_iters; i++) {
                        double a = now_us();
                        for (size_t j = 0; j < len; j++)
                                low[j] = (char)((text[j] >= 'A' && text[j] <= 'Z') ? text[j] + 32
                                                                                   : text[j]);
                        for (size_t j = 0; j < n_terms; j++)
                                mm += memmem(low, len, terms[j], tlen[j]) != NULL;
                        t[i] = now_us() - a;
                }
                struct stats mem = summarise(t, slow_iters);
                size_t pm = 0;
                for (size_t i = 0; i < slow_iters; i++) {
                        double a = now_us();
                        for (size_t j = 0; j < n_pcre; j++)
                                pm += pcre2_jit_match(re[j], (PCRE2_SPTR)text, len, 0, 0, md,
                                                      NULL) > 0;
                        t[i] = now_us() - a;
                }
                struct stats pc = summarise(t, slow_iters);
                printf("%-13s %-10s %10.1f %10.1f %9.1f  %zu bytes, %zu findings\n", texts[k].name,
                       "engine", eng.p50, eng.p99, eng.p50 / floor.p50, len, findings);
                printf("%-13s %-10s %10.1f %10.1f %9.1f  thread CPU time, same runs\n", "",
                       "engine-cpu", eng_cpu.p50, eng_cpu.p99, eng_cpu.p50 / floor.p50);
                printf("%-13s %-10s %10.1f %10.1f %9.1f  raw text, %zu terms + 2\n", "", "hs-raw",
                       floor.p50, floor.p99, 1.0, n_terms);
                printf("%-13s %-10s %10.1f %10.1f %9.1f  %zu terms, %zu runs\n", "", "memmem",
                       mem.p50, mem.p99, mem.p50 / floor.p50, n_terms, slow_iters);
                printf("%-13s %-10s %10.1f %10.1f %9.1f  %zu of %zu terms (x%.0f = %.0f us for "
                       "all), %zu runs\n",
                       "", "pcre2-jit", pc.p50, pc.p99, pc.p50 / floor.p50, n_pcre, n_terms,
                       (double)n_terms / (double)n_pcre, pc.p50 * (double)n_terms / (double)n_pcre,
                       slow_iters);
                /* printed so the loops cannot be optimised away */
                printf("%-13s (checksums: hs %zu, memmem %zu, pcre2 %zu)\n", "", hits, mm, pm);
        }
        for (size_t i = 0; i < n_pcre; i++)
                pcre2_code_free(re[i]);
        free(re);
        pcre2_match_data_free(md);
        hs_free_scratch(scratch);
        hs_free_database(raw);
        pw_policy_free(p);
        for (size_t i = 0; i < n_terms; i++)
                free(terms[i]);
        free(terms);
        free(tlen);
        free(t);
        if (!write_dir) {
                char cmd[256];
                snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
                if (system(cmd) != 0)
                        return 1;
        }
        return 0;
}
