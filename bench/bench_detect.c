/* bench_detect: cost of the built-in detectors on a 2 KB post, next to the floor.
 *
 *   bench_detect [ITERATIONS]        (default 20000)
 *
 * Reports, from one run on one machine:
 *   - start-up: pw_detectors_new() compiling every rule, and pw_detectors_new_cached() loading
 *     the serialised database from a warm cache directory;
 *   - what cloning a scratch per scan would cost (the library keeps a pool instead);
 *   - per 2 KB post, p50/p99 of pw_detectors_scan() with every detector on (vectorscan + checks +
 *     context + masking), next to a raw hs_scan() of the same patterns with a callback that only
 *     counts (the floor: what matching alone costs), for two posts: ordinary prose with a few
 *     personal data items, and a dense one (secrets, cards, IBANs in every line).
 * Speed is a ratio against the floor in the same run, never an absolute target. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hs.h>

#include "detect_internal.h"
#include "postwarden/policy.h"

static double now_us(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p) {
        qsort(v, n, sizeof *v, cmp_d);
        size_t i = (size_t)(p * (double)(n - 1));
        return v[i];
}

/* Builds a post of exactly `len` bytes by repeating `parts`. */
static char *make_post(const char *const *parts, size_t len) {
        char *s = malloc(len + 1);
        size_t n = 0;
        for (size_t i = 0; n < len; i++) {
                const char *p = parts[i % 8];
                size_t l = strlen(p);
                if (n + l > len)
                        l = len - n;
                memcpy(s + n, p, l);
                n += l;
        }
        s[len] = '\0';
        return s;
}

static const char *const prose[8] = {
        "Had a great week at the conference in Lisbon, talking to customers about release 4.2.1 "
        "and the roadmap for next year. ",
        "Thanks to everyone who came by booth 12 between 10:30 and 16:45; the demo ran 37 times "
        "without a hitch. ",
        "If you missed it, the slides are on our site and the recording follows on 2024-06-14. ",
        "Questions? Write to jane.doe@example.com or call +1 415 555 0132 any weekday. ",
        "We shipped 1,250 units last quarter, up 18% year over year, and cut support tickets by "
        "a third. ",
        "Big thanks to the team in Building 7 for staying late; pizza order #48213 is on me. ",
        "Next stop: Berlin, then Toronto in October. Looking forward to meeting you there! ",
        "Version 2.0 is out today with faster sync, offline mode and a new dashboard. ",
};

static const char *const dense[8] = {
        "key AKIAJ7Q2XEZ4RLW3MNOP and token ghp_Zx8kQ2mN4pR7sT1vW3yB6cD9fG2hJ5kL8mN4 ",
        "card 4111 1111 1111 1111 exp 12/27 IBAN GB82 WEST 1234 5698 7654 32 ",
        "mail john.doe@example.org phone (212) 555-0147 ssn 219-09-9998 ",
        "slack xoxb-123456789012-1234567890123-Q7vLm2Xr9TcKp4WzHn8BdJs1 ",
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlX2hlcmVfMTIz ",
        "ip 10.20.30.40 and 2001:db8::1 mac 00:1A:2B:3C:4D:5E ",
        "api_key = \"Zx8kQ2mN4pR7sT1vW3yB\" stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc ",
        "NIE X1234567L, NHS 943 476 5919, PESEL 02070803628 ",
};

static int count_det(const struct pw_detection *d, void *u) {
        (void)d;
        ++*(int *)u;
        return 0;
}

static int count_raw(unsigned id, unsigned long long from, unsigned long long to, unsigned f,
                     void *u) {
        (void)id, (void)from, (void)to, (void)f;
        ++*(int *)u;
        return 0;
}

static void run(const char *name, const char *post, size_t len, struct pw_detectors *d,
                hs_database_t *raw, hs_scratch_t *scratch, size_t iters) {
        double *a = malloc(iters * sizeof *a), *b = malloc(iters * sizeof *b);
        int dets = 0, cands = 0;
        for (size_t i = 0; i < iters; i++) {
                /* Alternate the two so neither gets a warmer cache. */
                int c = 0;
                double t0 = now_us();
                hs_scan(raw, post, (unsigned)len, 0, scratch, count_raw, &c);
                double t1 = now_us();
                int k = 0;
                pw_detectors_scan(d, post, len, count_det, &k);
                double t2 = now_us();
                b[i] = t1 - t0;
                a[i] = t2 - t1;
                cands = c;
                dets = k;
        }
        double a50 = pct(a, iters, 0.50), a99 = pct(a, iters, 0.99);
        double b50 = pct(b, iters, 0.50), b99 = pct(b, iters, 0.99);
        printf("%-6s %5zu B  detectors: p50 %7.1f us  p99 %7.1f us  (%d detections)\n", name, len,
               a50, a99, dets);
        printf("%-6s %5zu B  raw hs_scan: p50 %7.1f us  p99 %7.1f us  (%d candidates)  ratio "
               "p50 %.1fx p99 %.1fx\n",
               name, len, b50, b99, cands, a50 / b50, a99 / b99);
        free(a);
        free(b);
}

int main(int argc, char **argv) {
        size_t iters = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
        if (iters < 100)
                iters = 100;

        /* Start-up: compile, then from a warm cache. */
        char dir[] = "/tmp/bench-detect-XXXXXX";
        if (!mkdtemp(dir))
                return 1;
        struct pw_detectors *d = NULL;
        double t0 = now_us();
        if (pw_detectors_new(NULL, 0, &d, NULL) < 0)
                return 1;
        double t1 = now_us();
        pw_detectors_free(d);
        if (pw_detectors_new_cached(NULL, 0, dir, &d, NULL) < 0) /* fills the cache */
                return 1;
        pw_detectors_free(d);
        double best = 1e18;
        for (int i = 0; i < 20; i++) {
                double s = now_us();
                if (pw_detectors_new_cached(NULL, 0, dir, &d, NULL) < 0)
                        return 1;
                double e = now_us();
                if (e - s < best)
                        best = e - s;
                if (i < 19)
                        pw_detectors_free(d);
        }
        printf("start-up  compile all rules: %.1f ms   load from cache: %.2f ms (best of 20)\n",
               (t1 - t0) / 1e3, best / 1e3);

        /* The floor: the same patterns, one database, a callback that only counts. */
        const struct det_rule *const tabs[] = {det_rules_pii, det_rules_national,
                                               det_rules_secrets};
        const char *ex[512];
        unsigned fl[512], ids[512], n = 0;
        for (int t = 0; t < 3; t++)
                for (const struct det_rule *r = tabs[t]; r->detector && n < 512; r++, n++) {
                        ex[n] = r->regex;
                        fl[n] = (r->flags & DET_SOM ? HS_FLAG_SOM_LEFTMOST : 0) |
                                (r->flags & DET_CASELESS ? HS_FLAG_CASELESS : 0);
                        ids[n] = n;
                }
        hs_database_t *raw = NULL;
        hs_compile_error_t *cerr = NULL;
        hs_scratch_t *scratch = NULL;
        if (hs_compile_multi(ex, fl, ids, n, HS_MODE_BLOCK, NULL, &raw, &cerr) != HS_SUCCESS ||
            hs_alloc_scratch(raw, &scratch) != HS_SUCCESS)
                return 1;
        printf("rules: %u patterns in one vectorscan database\n", n);

        /* Why a scratch pool: what a fresh scratch per scan would cost. */
        {
                double *c = malloc(iters * sizeof *c);
                for (size_t i = 0; i < iters; i++) {
                        hs_scratch_t *s2 = NULL;
                        double a = now_us();
                        if (hs_clone_scratch(scratch, &s2) != HS_SUCCESS)
                                return 1;
                        hs_free_scratch(s2);
                        c[i] = now_us() - a;
                }
                size_t sz = 0;
                hs_scratch_size(scratch, &sz);
                printf("scratch: %zu bytes; hs_clone_scratch+hs_free_scratch p50 %.1f us p99 %.1f "
                       "us (the pool reuses one instead)\n",
                       sz, pct(c, iters, 0.50), pct(c, iters, 0.99));
                free(c);
        }

        char *p1 = make_post(prose, 2048), *p2 = make_post(dense, 2048);
        run("prose", p1, 2048, d, raw, scratch, iters);
        run("dense", p2, 2048, d, raw, scratch, iters);

        free(p1);
        free(p2);
        hs_free_scratch(scratch);
        hs_free_database(raw);
        pw_detectors_free(d);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : 1;
}
