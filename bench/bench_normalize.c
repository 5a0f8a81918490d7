/* Benchmark: normalisation with an offset map (policy/normalize.c) against plain ICU.
 *
 * For three 2 KB texts (ASCII English, Latin with accents, mixed scripts) it times, interleaved
 * in the same run so machine noise hits all alike:
 *   fold        pw_norm_run(PW_NORM_FOLD)                     (ours: view + map)
 *   fold+skel   pw_norm_run(PW_NORM_FOLD | PW_NORM_SKELETON)  (ours: both views + maps)
 *   icu-utf8    u_strFromUTF8 + unorm2_normalize(NFKC_Casefold) (the peer: no map, no
 *               ignorable/space handling; the UTF-8 -> UTF-16 step is what the C API needs)
 *   icu-utf16   unorm2_normalize alone on text already in UTF-16 (the floor)
 *   skel-icu    uspoof_getSkeletonUTF8 on the whole text (the skeleton peer: no map)
 * and prints p50/p99 in ns per 2 KB and the ratio of ours to the peer. It also times the
 * per-thread setup (pw_norm_new, uspoof_open, uspoof_clone) and pw_norm_map/word-boundary calls.
 *
 * Usage: bench_normalize [ROUNDS]   (default 20000 samples of each). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unicode/unorm2.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>

#include "normalize.h"

#define TEXT_BYTES 2048

static const char english[] =
        "Quarterly results look strong. Our team shipped the new billing service ahead of plan, "
        "and customer churn fell again. Please do not share the Project Falcon roadmap outside "
        "the company; the launch date is still confidential. Thanks to everyone who helped! ";

static const char latin[] =
        "R\u00e9sum\u00e9 de la r\u00e9union : le caf\u00e9 \u00e0 c\u00f4t\u00e9 du "
        "ch\u00e2teau est ferm\u00e9. Gr\u00fc\u00dfe aus M\u00fcnchen, die Stra\u00dfe ist "
        "gesperrt. Ni\u00f1o, se\u00f1or, a\u00f1o; \u00e5\u00e6\u00f8 p\u00e5 "
        "k\u00f8benhavnsk; \u0142\u00f3d\u017a i \u017c\u00f3\u0142w. ";

static const char mixed[] =
        "\u041f\u0440\u0438\u0432\u0435\u0442, \u043a\u043e\u043c\u0430\u043d\u0434\u0430! "
        "\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1 \u03c3\u03b5 \u03cc\u03bb\u03bf\u03c5"
        "\u03c2. \u6211\u4eec\u7684\u65b0\u4ea7\u54c1\u4e0b\u5468\u53d1\u5e03 \U0001F680"
        "\U0001F389 \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 ACME Corp \U0001F44D"
        "\U0001F3FD \ud55c\uad6d\uc5b4 \u0645\u0631\u062d\u0628\u0627 ";

/* Fills buf with `unit` repeated, cut at a character boundary at most TEXT_BYTES; returns len. */
static size_t make_text(char *buf, const char *unit) {
        size_t ul = strlen(unit), len = 0;
        while (len + ul <= TEXT_BYTES) {
                memcpy(buf + len, unit, ul);
                len += ul;
        }
        size_t rest = TEXT_BYTES - len;
        while (rest > 0 && ((uint8_t)unit[rest] & 0xC0) == 0x80)
                rest--;
        memcpy(buf + len, unit, rest);
        return len + rest;
}

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

/* p-th percentile of v[0..n) (sorts v). */
static uint64_t pct(uint64_t *v, size_t n, double p) {
        qsort(v, n, sizeof *v, cmp_u64);
        size_t i = (size_t)(p / 100.0 * (double)(n - 1));
        return v[i];
}

enum { M_FOLD, M_BOTH, M_ICU8, M_ICU16, M_SKEL, M_N };
static const char *const m_name[M_N] = {"fold", "fold+skel", "icu-utf8", "icu-utf16", "skel-icu"};

struct ctx {
        struct pw_norm *n;
        const UNormalizer2 *nf;
        USpoofChecker *sc;
        UChar *u16;     /* the text in UTF-16 */
        int32_t u16len; /* its length */
        UChar *dst;     /* output for ICU */
        char *dst8;     /* output for the skeleton */
        UChar *conv;    /* UTF-16 conversion scratch */
};

#define CAP (TEXT_BYTES * 20)

static void one(struct ctx *c, int m, const char *t, size_t len) {
        UErrorCode e = U_ZERO_ERROR;
        int32_t l = 0;
        switch (m) {
        case M_FOLD:
                if (pw_norm_run(c->n, t, len, PW_NORM_FOLD) < 0)
                        abort();
                break;
        case M_BOTH:
                if (pw_norm_run(c->n, t, len, PW_NORM_FOLD | PW_NORM_SKELETON) < 0)
                        abort();
                break;
        case M_ICU8:
                u_strFromUTF8WithSub(c->conv, CAP, &l, t, (int32_t)len, 0xFFFD, NULL, &e);
                unorm2_normalize(c->nf, c->conv, l, c->dst, CAP, &e);
                break;
        case M_ICU16:
                unorm2_normalize(c->nf, c->u16, c->u16len, c->dst, CAP, &e);
                break;
        case M_SKEL:
                uspoof_getSkeletonUTF8(c->sc, 0, t, (int32_t)len, c->dst8, CAP, &e);
                break;
        }
        if (U_FAILURE(e))
                abort();
}

static void bench_text(struct ctx *c, const char *name, const char *unit, size_t rounds) {
        static char t[TEXT_BYTES + 8];
        size_t len = make_text(t, unit);
        UErrorCode e = U_ZERO_ERROR;
        u_strFromUTF8WithSub(c->u16, CAP, &c->u16len, t, (int32_t)len, 0xFFFD, NULL, &e);
        uint64_t *s[M_N];
        for (int m = 0; m < M_N; m++) {
                s[m] = malloc(rounds * sizeof **s);
                if (!s[m])
                        abort();
                for (int w = 0; w < 200; w++) /* warm caches */
                        one(c, m, t, len);
        }
        for (size_t r = 0; r < rounds; r++)
                for (int m = 0; m < M_N; m++) {
                        uint64_t a = now_ns();
                        one(c, m, t, len);
                        s[m][r] = now_ns() - a;
                }
        uint64_t p50[M_N], p99[M_N];
        for (int m = 0; m < M_N; m++) {
                p50[m] = pct(s[m], rounds, 50);
                p99[m] = pct(s[m], rounds, 99);
                free(s[m]);
        }
        const char *f;
        size_t fl;
        pw_norm_run(c->n, t, len, PW_NORM_FOLD);
        pw_norm_view(c->n, PW_NORM_FOLD, &f, &fl);
        printf("%s: %zu bytes -> fold %zu bytes\n", name, len, fl);
        for (int m = 0; m < M_N; m++)
                printf("  %-10s p50 %7llu ns  p99 %7llu ns\n", m_name[m],
                       (unsigned long long)p50[m], (unsigned long long)p99[m]);
        printf("  ratio fold/icu-utf8 p50 %.2f   fold+skel/icu-utf8 p50 %.2f   "
               "fold/icu-utf16 p50 %.2f\n",
               (double)p50[M_FOLD] / (double)p50[M_ICU8], (double)p50[M_BOTH] / (double)p50[M_ICU8],
               (double)p50[M_FOLD] / (double)p50[M_ICU16]);
}

/* Cost of what each engine thread sets up once, and of the per-match queries. */
static void bench_setup(struct ctx *c) {
        enum { N = 200 };
        uint64_t a = now_ns();
        for (int i = 0; i < N; i++)
                pw_norm_free(pw_norm_new());
        uint64_t t_new = (now_ns() - a) / N;
        a = now_ns();
        for (int i = 0; i < N; i++) {
                UErrorCode e = U_ZERO_ERROR;
                uspoof_close(uspoof_open(&e));
        }
        uint64_t t_open = (now_ns() - a) / N;
        a = now_ns();
        for (int i = 0; i < N; i++) {
                UErrorCode e = U_ZERO_ERROR;
                uspoof_close(uspoof_clone(c->sc, &e));
        }
        uint64_t t_clone = (now_ns() - a) / N;
        printf("setup: pw_norm_new+free %llu ns, uspoof_open+close %llu ns, "
               "uspoof_clone+close %llu ns\n",
               (unsigned long long)t_new, (unsigned long long)t_open, (unsigned long long)t_clone);

        static char t[TEXT_BYTES + 8];
        size_t len = make_text(t, mixed);
        pw_norm_run(c->n, t, len, PW_NORM_FOLD);
        const char *f;
        size_t fl;
        pw_norm_view(c->n, PW_NORM_FOLD, &f, &fl);
        enum { Q = 1000000 };
        volatile int sink = 0;
        struct pw_span sp;
        a = now_ns();
        for (int i = 0; i < Q; i++) {
                size_t x = ((size_t)i * 7919) % fl;
                pw_norm_map(c->n, PW_NORM_FOLD, x, x + (x < fl ? 1 : 0), &sp);
                sink += (int)sp.byte_start;
        }
        uint64_t t_map = (now_ns() - a) / (Q / 1000);
        a = now_ns();
        for (int i = 0; i < Q; i++)
                sink += pw_norm_is_word_boundary(c->n, PW_NORM_FOLD, ((size_t)i * 7919) % fl);
        uint64_t t_wb = (now_ns() - a) / (Q / 1000);
        printf("queries on mixed text: pw_norm_map %.1f ns, pw_norm_is_word_boundary %.1f ns\n",
               (double)t_map / 1000, (double)t_wb / 1000);
        (void)sink;
}

int main(int argc, char **argv) {
        size_t rounds = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
        if (rounds < 100)
                rounds = 100;
        struct ctx c = {0};
        UErrorCode e = U_ZERO_ERROR;
        c.n = pw_norm_new();
        c.nf = unorm2_getNFKCCasefoldInstance(&e);
        c.sc = uspoof_open(&e);
        c.u16 = malloc(CAP * sizeof *c.u16);
        c.dst = malloc(CAP * sizeof *c.dst);
        c.conv = malloc(CAP * sizeof *c.conv);
        c.dst8 = malloc(CAP);
        if (!c.n || U_FAILURE(e) || !c.u16 || !c.dst || !c.conv || !c.dst8) {
                fprintf(stderr, "bench_normalize: setup failed\n");
                return 1;
        }
        printf("bench_normalize: %zu samples each, ns per %d-byte text\n", rounds, TEXT_BYTES);
        bench_text(&c, "ascii-english", english, rounds);
        bench_text(&c, "latin-accents", latin, rounds);
        bench_text(&c, "mixed-scripts", mixed, rounds);
        bench_setup(&c);
        pw_norm_free(c.n);
        uspoof_close(c.sc);
        free(c.u16);
        free(c.dst);
        free(c.conv);
        free(c.dst8);
        return 0;
}
