/* Built-in detectors: the registry of rules, one vectorscan database over the chosen rules'
 * patterns, and the scan that runs each rule's check on the candidates vectorscan proposes.
 *
 * Threads: a built `struct pw_detectors` is never modified except for its scratch pool, which a
 * mutex guards; each scan takes a scratch from the pool (or clones one) and gives it back. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hs.h>
#include <sodium.h>

#include "detect_internal.h"
#include "postwarden/policy.h"

#define MAX_RULES 512  /* more than every table together; checked when building */
#define POOL_SIZE 16   /* idle scratches kept for reuse */
#define MAX_FOUND 4096 /* detections kept per scan; later ones are dropped */

static const struct det_rule *const rule_tables[] = {det_rules_pii, det_rules_national,
                                                     det_rules_secrets};

struct pw_detectors {
        hs_database_t *db;             /* every chosen rule's pattern; id = index in rules */
        const struct det_rule **rules; /* the chosen rules, borrowed from the static tables */
        size_t n_rules;                /* entries of rules */
        pthread_mutex_t pool_lock;     /* guards pool and n_pool */
        hs_scratch_t *proto;           /* scratch allocated for db, cloned for each user */
        hs_scratch_t *pool[POOL_SIZE]; /* idle scratches */
        size_t n_pool;                 /* entries of pool in use */
};

/* ---- names ------------------------------------------------------------------------------------
 */

/* Every detector name (= corpus category), in the order docs/detectors.md lists them. The unit
 * test checks that each has rules and each rule's detector is here. */
static const char *const detector_names[] = {
        /* personal data */
        "credit_card",
        "iban",
        "email",
        "phone",
        "us_ssn",
        "ip_address",
        "url",
        "mac_address",
        "crypto",
        /* national and regional identifiers */
        "uk_nino",
        "uk_nhs",
        "de_tax_id",
        "es_nif",
        "es_nie",
        "it_fiscal_code",
        "pl_pesel",
        "fi_personal_identity_code",
        "se_personnummer",
        "in_aadhaar",
        "in_pan",
        "us_aba_routing",
        "us_itin",
        "us_npi",
        "au_abn",
        "au_acn",
        "au_tfn",
        "au_medicare",
        "ca_sin",
        "tr_national_id",
        "za_id_number",
        "sg_nric_fin",
        "kr_rrn",
        "th_tnin",
        "ng_nin",
        "kr_frn",
        "se_organisationsnummer",
        "it_vat_code",
        "de_vat_id",
        "in_gstin",
        "us_mbi",
        "uk_driving_licence",
        "de_health_insurance",
        "de_id_card",
        "de_passport",
        "de_lanr",
        "de_social_security",
        "kr_brn",
        "sg_uen",
        "de_handelsregister",
        "de_tax_number",
        "de_fuehrerschein",
        "de_plz",
        "de_kfz",
        "tr_license_plate",
        "ng_vehicle_registration",
        "uk_vehicle_registration",
        "kr_driver_license",
        "uk_postcode",
        "es_passport",
        "in_vehicle_registration",
        "us_medical_license",
        "kr_passport",
        "in_passport",
        "ph_tin",
        "de_bsnr",
        "in_voter",
        /* secrets */
        "aws_key",
        "github_token",
        "slack_token",
        "google_api_key",
        "stripe_key",
        "private_key",
        "jwt",
        "generic_api_key",
        "other_secret",
        NULL,
};

const char *const *pw_detector_names(void) {
        return detector_names;
}

static bool name_known(const char *name) {
        for (const char *const *n = pw_detector_names(); *n; n++)
                if (!strcmp(*n, name))
                        return true;
        return false;
}

/* ---- building ---------------------------------------------------------------------------------
 */

struct pw_detectors *pw_detectors_free(struct pw_detectors *d) {
        if (!d)
                return NULL;
        for (size_t i = 0; i < d->n_pool; i++)
                hs_free_scratch(d->pool[i]);
        hs_free_scratch(d->proto);
        hs_free_database(d->db);
        pthread_mutex_destroy(&d->pool_lock);
        free(d->rules);
        free(d);
        return NULL;
}

/* True when rule r belongs to a detector in names[0..n) (n == 0: every detector). */
static bool chosen(const struct det_rule *r, const char *const *names, size_t n) {
        if (n == 0)
                return true;
        for (size_t i = 0; i < n; i++)
                if (!strcmp(names[i], r->detector))
                        return true;
        return false;
}

/* ---- the compiled-database cache -------------------------------------------------------------
 * Compiling every rule takes ~0.6 s here, far over the host's 50 ms start-up budget; a cache
 * file holds the serialised database. File: "PWDETDB1", SHA-256 of the payload, payload
 * (hs_serialize_database). Its name is a SHA-256 of the vectorscan version and every chosen
 * pattern with its flags, so a changed rule set or library never loads an old database; a file
 * whose digest does not match is ignored and rewritten. */

#define CACHE_MAGIC     "PWDETDB1"
#define CACHE_MAX_BYTES (64u << 20)

static void cache_path(const struct pw_detectors *d, const char **exprs, const unsigned *flags,
                       const char *dir, char *out, size_t cap) {
        crypto_hash_sha256_state h;
        crypto_hash_sha256_init(&h);
        const char *ver = hs_version();
        crypto_hash_sha256_update(&h, (const unsigned char *)ver, strlen(ver) + 1);
        for (size_t i = 0; i < d->n_rules; i++) {
                crypto_hash_sha256_update(&h, (const unsigned char *)exprs[i],
                                          strlen(exprs[i]) + 1);
                crypto_hash_sha256_update(&h, (const unsigned char *)&flags[i], sizeof flags[i]);
        }
        unsigned char dig[crypto_hash_sha256_BYTES];
        crypto_hash_sha256_final(&h, dig);
        char hex[33];
        sodium_bin2hex(hex, sizeof hex, dig, 16);
        snprintf(out, cap, "%s/detectors-%s.hsdb", dir, hex);
}

/* Loads the database from `path`; returns NULL when absent, unreadable or not verified. */
static hs_database_t *cache_load(const char *path) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        struct stat st;
        hs_database_t *db = NULL;
        unsigned char *buf = NULL;
        if (fstat(fd, &st) < 0 || st.st_size < 40 || (uint64_t)st.st_size > CACHE_MAX_BYTES)
                goto out;
        size_t n = (size_t)st.st_size;
        buf = malloc(n);
        if (!buf)
                goto out;
        for (size_t got = 0; got < n;) {
                ssize_t r = read(fd, buf + got, n - got);
                if (r <= 0)
                        goto out;
                got += (size_t)r;
        }
        if (memcmp(buf, CACHE_MAGIC, 8) != 0)
                goto out;
        unsigned char dig[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(dig, buf + 40, n - 40);
        if (sodium_memcmp(dig, buf + 8, 32) != 0)
                goto out;
        if (hs_deserialize_database((const char *)buf + 40, n - 40, &db) != HS_SUCCESS)
                db = NULL;
out:
        free(buf);
        close(fd);
        return db;
}

/* Writes the database to `path` atomically (temporary file + rename); errors are ignored: the
 * cache only saves time. */
static void cache_store(const hs_database_t *db, const char *path) {
        char *bytes = NULL;
        size_t len = 0;
        if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
                return;
        unsigned char hdr[40];
        memcpy(hdr, CACHE_MAGIC, 8);
        crypto_hash_sha256(hdr + 8, (const unsigned char *)bytes, len);
        char tmp[4200];
        snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
        int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                free(bytes);
                return;
        }
        bool ok = write(fd, hdr, sizeof hdr) == (ssize_t)sizeof hdr &&
                  write(fd, bytes, len) == (ssize_t)len && fchmod(fd, 0644) == 0;
        ok = close(fd) == 0 && ok;
        if (!ok || rename(tmp, path) < 0)
                unlink(tmp);
        free(bytes);
}

int pw_detectors_new(const char *const *names, size_t n_names, struct pw_detectors **ret,
                     struct pw_error *err) {
        return pw_detectors_new_cached(names, n_names, NULL, ret, err);
}

int pw_detectors_new_cached(const char *const *names, size_t n_names, const char *cache_dir,
                            struct pw_detectors **ret, struct pw_error *err) {
        if (!ret || (n_names && !names)) {
                pw_error_set(err, NULL, 0, 0, NULL, "invalid arguments");
                return -EINVAL;
        }
        for (size_t i = 0; i < n_names; i++)
                if (!names[i] || !name_known(names[i])) {
                        pw_error_set(err, NULL, 0, 0, NULL, "unknown detector '%s'",
                                     names[i] ? names[i] : "(null)");
                        return -ENOENT;
                }
        if (sodium_init() < 0)
                return -EIO;

        struct pw_detectors *d = calloc(1, sizeof *d);
        if (!d)
                return -ENOMEM;
        pthread_mutex_init(&d->pool_lock, NULL);
        d->rules = calloc(MAX_RULES, sizeof *d->rules);
        const char **exprs = calloc(MAX_RULES, sizeof *exprs);
        unsigned *flags = calloc(MAX_RULES, sizeof *flags);
        unsigned *ids = calloc(MAX_RULES, sizeof *ids);
        int r = -ENOMEM;
        if (!d->rules || !exprs || !flags || !ids)
                goto out;
        for (size_t t = 0; t < sizeof rule_tables / sizeof rule_tables[0]; t++)
                for (const struct det_rule *rule = rule_tables[t]; rule->detector; rule++) {
                        if (!chosen(rule, names, n_names))
                                continue;
                        if (d->n_rules == MAX_RULES) {
                                pw_error_set(err, NULL, 0, 0, NULL, "too many detector rules");
                                r = -E2BIG;
                                goto out;
                        }
                        size_t k = d->n_rules++;
                        d->rules[k] = rule;
                        exprs[k] = rule->regex;
                        flags[k] = (rule->flags & DET_SOM ? HS_FLAG_SOM_LEFTMOST : 0) |
                                   (rule->flags & DET_CASELESS ? HS_FLAG_CASELESS : 0);
                        ids[k] = (unsigned)k;
                }
        if (d->n_rules == 0) {
                pw_error_set(err, NULL, 0, 0, NULL, "no detectors chosen");
                r = -EINVAL;
                goto out;
        }
        char path[4096] = "";
        if (cache_dir && cache_dir[0]) {
                cache_path(d, exprs, flags, cache_dir, path, sizeof path);
                d->db = cache_load(path);
        }
        if (!d->db) {
                hs_compile_error_t *cerr = NULL;
                if (hs_compile_multi(exprs, flags, ids, (unsigned)d->n_rules, HS_MODE_BLOCK, NULL,
                                     &d->db, &cerr) != HS_SUCCESS) {
                        /* A rule pattern that does not compile is a bug in the tables: name it. */
                        int at = cerr ? cerr->expression : -1;
                        pw_error_set(err, NULL, 0, 0, NULL,
                                     "detector pattern %d (%s) does not compile: %s", at,
                                     at >= 0 ? d->rules[at]->detector : "?",
                                     cerr ? cerr->message : "?");
                        hs_free_compile_error(cerr);
                        d->db = NULL;
                        r = -EINVAL;
                        goto out;
                }
                if (path[0])
                        cache_store(d->db, path);
        }
        if (hs_alloc_scratch(d->db, &d->proto) != HS_SUCCESS)
                goto out;
        r = 0;
out:
        free(exprs);
        free(flags);
        free(ids);
        if (r < 0) {
                pw_detectors_free(d);
                return r;
        }
        *ret = d;
        return 0;
}

/* ---- scanning ---------------------------------------------------------------------------------
 */

struct found {
        size_t rule; /* index into d->rules */
        size_t start, end;
        int conf;
};

struct scan_state {
        const struct pw_detectors *d;
        const char *text;
        size_t len;
        size_t *last_from;   /* per rule: `from` of the last candidate checked (+1; 0 = none) */
        size_t *consumed;    /* per rule: proposals ending at or before this were looked at */
        struct found *found; /* accepted detections (grows on demand, up to MAX_FOUND) */
        size_t n_found;      /* entries of found in use */
        size_t cap_found;    /* entries allocated */
};

struct det_sink {
        struct scan_state *st;
        size_t rule; /* index into st->d->rules */
};

bool det_words_near(const char *text, size_t len, size_t start, size_t end, size_t before,
                    size_t after, const char *const *words) {
        char win[DET_CONTEXT_WINDOW + 18];
        if (before > DET_CONTEXT_WINDOW)
                before = DET_CONTEXT_WINDOW;
        size_t ws = start > before ? start - before : 0, k = 0;
        for (size_t i = ws; i < start; i++)
                win[k++] = text[i];
        if (after) {
                size_t we = end + after < len ? end + after : len;
                win[k++] = ' ';
                for (size_t i = end; i < we && k < sizeof win - 1; i++)
                        win[k++] = text[i];
        }
        win[k] = '\0';
        for (size_t i = 0; i < k; i++)
                if (det_is_upper((unsigned char)win[i]))
                        win[i] = (char)(win[i] + 32);
        for (const char *const *w = words; *w; w++)
                if (strstr(win, *w))
                        return true;
        return false;
}

/* Raises *conf when one of the rule's context words occurs in the window before `start` (or
 * just after `end`), compared case-insensitively. */
static void apply_context(const struct det_rule *rule, const char *text, size_t len, size_t start,
                          size_t end, int *conf) {
        if (rule->context &&
            det_words_near(text, len, start, end, DET_CONTEXT_WINDOW, 16, rule->context)) {
                *conf += DET_CONTEXT_BOOST;
                if (*conf > 100)
                        *conf = 100;
        }
}

/* True when `w` occurs in `s` as a word of its own: a `w` that starts with a letter must not
 * follow one ("port " is in "port 8080", not in "passport 1234" or "report 12"). */
static bool has_word(const char *s, const char *w) {
        bool letter = det_is_alpha((unsigned char)*w);
        for (const char *p = strstr(s, w); p; p = strstr(p + 1, w))
                if (!letter || p == s || !det_is_alpha((unsigned char)p[-1]))
                        return true;
        return false;
}

/* True when the words just before a number (or its unit just after) say it is another kind of
 * number: "invoice 938527050", "order #1234", "1524941204 (unix time)", "1538807007383 ms". */
static bool other_number(const char *text, size_t len, size_t start, size_t end) {
        static const char *const before[] = {
                "invoice",   "order",  "ticket",   "case ", "tracking", "timestamp", "unix",
                "epoch",     "serial", "part ",    "isbn",  "zip",      "badge",     "build",
                "commit",    "issue",  "bug ",     "bug #", "#",        "pid ",      "uid ",
                "gid ",      "port ",  "item ",    "sku",   "ref ",     "reference", "version",
                "logged at", "rev ",   "revision", "room ",
        };
        static const char *const after[] = {" ms", " sec", " (unix",   "ms",           " bytes",
                                            " kb", " mb",  " seconds", " milliseconds"};
        char win[40];
        size_t ws = start > 24 ? start - 24 : 0, k = 0;
        for (size_t i = ws; i < start; i++)
                win[k++] = (char)((text[i] >= 'A' && text[i] <= 'Z') ? text[i] + 32 : text[i]);
        win[k] = '\0';
        /* Only the last words count: "Invoice 12, NHS 943 476 5919" names the NHS number. */
        const char *tail = win;
        for (const char *p = win; *p; p++)
                if (*p == ',' || *p == ';' || *p == '.' || *p == '\n' || *p == ':')
                        tail = p + 1;
        for (size_t i = 0; i < sizeof before / sizeof before[0]; i++)
                if (has_word(tail, before[i]))
                        return true;
        for (size_t i = 0; i < sizeof after / sizeof after[0]; i++) {
                size_t l = strlen(after[i]);
                if (end + l <= len && !strncasecmp(text + end, after[i], l) &&
                    (end + l == len ||
                     !((text[end + l] | 32) >= 'a' && (text[end + l] | 32) <= 'z')))
                        return true;
        }
        return false;
}

void det_emit(struct det_sink *k, size_t start, size_t end, int conf) {
        struct scan_state *st = k->st;
        if (end <= start || end > st->len)
                return;
        const struct det_rule *rule = st->d->rules[k->rule];
        if ((rule->flags & DET_NUMERIC) && other_number(st->text, st->len, start, end))
                conf -= 40;
        else
                apply_context(rule, st->text, st->len, start, end, &conf);
        if (conf > 100)
                conf = 100;
        det_consumed(k, end);
        if (st->n_found == MAX_FOUND || conf <= 0)
                return;
        if (st->n_found == st->cap_found) {
                size_t nc = st->cap_found ? st->cap_found * 2 : 16;
                struct found *nf = realloc(st->found, nc * sizeof *nf);
                if (!nf)
                        return; /* dropped: reported detections are still correct */
                st->found = nf;
                st->cap_found = nc;
        }
        st->found[st->n_found++] = (struct found){k->rule, start, end, conf};
}

void det_consumed(struct det_sink *k, size_t end) {
        if (end > k->st->consumed[k->rule])
                k->st->consumed[k->rule] = end;
}

int det_base_conf(const struct det_sink *k) {
        return k->st->d->rules[k->rule]->base_conf;
}

const void *det_rule_arg(const struct det_sink *k) {
        return k->st->d->rules[k->rule]->arg;
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ctx) {
        struct scan_state *st = ctx;
        const struct det_rule *rule = st->d->rules[id];
        /* A leftmost-start pattern reports once per end offset with the same start: the check
         * finds the token's whole extent itself, so one check per start is enough. */
        if (rule->flags & DET_EACH) {
                /* exact-shape rules: every report is a different candidate */
        } else if (rule->flags & DET_SOM) {
                if (st->last_from[id] == from + 1)
                        return 0;
                st->last_from[id] = from + 1;
                if (from < st->consumed[id])
                        return 0;
        } else if (to <= st->consumed[id]) {
                return 0;
        }
        struct det_cand c = {st->text, st->len, (size_t)from, (size_t)to};
        struct det_sink k = {st, id};
        rule->check(&c, &k);
        return 0;
}

static int cmp_start(const void *a, const void *b) {
        const struct found *x = a, *y = b;
        if (x->start != y->start)
                return x->start < y->start ? -1 : 1;
        if (x->end != y->end)
                return x->end > y->end ? -1 : 1; /* longer first */
        return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static int cmp_end(const void *a, const void *b) {
        const struct found *x = a, *y = b;
        if (x->end != y->end)
                return x->end < y->end ? -1 : 1;
        if (x->start != y->start)
                return x->start < y->start ? -1 : 1;
        return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* Categories that other findings swallow: a number that is part of a URL, a key or an IBAN is
 * not also a phone number or an SSN. */
static bool weak_category(const char *cat) {
        return !strcmp(cat, "phone") || !strcmp(cat, "us_ssn") || !strcmp(cat, "generic_api_key");
}

/* Drops duplicates: per category, overlapping detections keep the longest (then the most
 * confident); a weak-category detection strictly inside another category's detection is
 * dropped. The same span under two categories (a number that is both a valid PESEL and a
 * phone number) keeps both: each carries its confidence, the policy decides. */
static size_t resolve(const struct pw_detectors *d, struct found *f, size_t n) {
        if (n == 0)
                return 0;
        qsort(f, n, sizeof *f, cmp_start);
        bool *drop = calloc(n, sizeof *drop);
        if (!drop)
                return n;
        for (size_t i = 0; i < n; i++) {
                if (drop[i])
                        continue;
                const char *ci = d->rules[f[i].rule]->detector;
                for (size_t j = i + 1; j < n && f[j].start < f[i].end; j++) {
                        if (drop[j])
                                continue;
                        const char *cj = d->rules[f[j].rule]->detector;
                        if (!strcmp(ci, cj)) {
                                drop[j] = true; /* f[i] starts earlier or is longer */
                                if (f[j].conf > f[i].conf && f[j].end <= f[i].end)
                                        f[i].conf = f[j].conf;
                        } else if (f[j].end <= f[i].end && weak_category(cj) &&
                                   !weak_category(ci) &&
                                   (f[j].start != f[i].start || f[j].end != f[i].end)) {
                                /* strictly inside: a number in a URL or key is not a phone */
                                drop[j] = true;
                        }
                }
        }
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (!drop[i])
                        f[k++] = f[i];
        free(drop);
        return k;
}

static hs_scratch_t *scratch_get(struct pw_detectors *d) {
        hs_scratch_t *s = NULL;
        pthread_mutex_lock(&d->pool_lock);
        if (d->n_pool)
                s = d->pool[--d->n_pool];
        pthread_mutex_unlock(&d->pool_lock);
        if (!s && hs_clone_scratch(d->proto, &s) != HS_SUCCESS)
                return NULL;
        return s;
}

static void scratch_put(struct pw_detectors *d, hs_scratch_t *s) {
        pthread_mutex_lock(&d->pool_lock);
        if (d->n_pool < POOL_SIZE) {
                d->pool[d->n_pool++] = s;
                s = NULL;
        }
        pthread_mutex_unlock(&d->pool_lock);
        hs_free_scratch(s);
}

int pw_detectors_scan(const struct pw_detectors *d, const char *text, size_t len,
                      pw_detection_cb cb, void *userdata) {
        if (!d || (!text && len) || !cb)
                return -EINVAL;
        if (len > UINT32_MAX || len > (size_t)UINT_MAX)
                return -EFBIG;
        if (len == 0)
                return 0;
        /* The pool is the one mutable part; it is guarded by its own lock. */
        struct pw_detectors *dm = (struct pw_detectors *)d;
        struct scan_state st = {.d = d, .text = text, .len = len};
        /* Per-rule state on the stack (2 x 4 KiB at most): no allocation for a clean text. */
        size_t last_from[MAX_RULES], consumed[MAX_RULES];
        memset(last_from, 0, d->n_rules * sizeof *last_from);
        memset(consumed, 0, d->n_rules * sizeof *consumed);
        st.last_from = last_from;
        st.consumed = consumed;
        hs_scratch_t *scratch = scratch_get(dm);
        int r = -ENOMEM;
        if (!scratch)
                goto out;
        hs_error_t hr = hs_scan(d->db, text, (unsigned)len, 0, scratch, on_match, &st);
        if (hr != HS_SUCCESS && hr != HS_SCAN_TERMINATED) {
                r = -EIO;
                goto out;
        }
        size_t n = resolve(d, st.found, st.n_found);
        if (n)
                qsort(st.found, n, sizeof *st.found, cmp_end);
        r = 0;
        for (size_t i = 0; i < n; i++) {
                const struct det_rule *rule = d->rules[st.found[i].rule];
                struct pw_detection det = {
                        .detector = rule->detector,
                        .category = rule->detector,
                        .byte_start = (uint32_t)st.found[i].start,
                        .byte_end = (uint32_t)st.found[i].end,
                        .confidence = st.found[i].conf,
                };
                det_mask_excerpt(text, st.found[i].start, st.found[i].end, rule->mask, det.excerpt);
                if (cb(&det, userdata))
                        break;
        }
out:
        if (scratch)
                scratch_put(dm, scratch);
        free(st.found);
        return r;
}
