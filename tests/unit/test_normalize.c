/* Normalisation: views, exact offset maps in three units, word boundaries, terms.
 *
 * Each "bad input" case of issue 4 that concerns text is here, with the exact original span of
 * a match asserted in bytes, code points and UTF-16 units; a property test runs random valid
 * and invalid UTF-8 through the invariants of normalize_invariants.h (also the fuzz target's). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "normalize.h"
#include "normalize_invariants.h"

/* ==== helpers ================================================================================ */

static int setup(void **state) {
        *state = pw_norm_new();
        return *state ? 0 : -1;
}

static int teardown(void **state) {
        *state = pw_norm_free(*state);
        return 0;
}

/* Runs `text` with both views after checking every invariant on it. */
static void run(struct pw_norm *n, const char *text, size_t len) {
        const char *bad = inv_check_all(n, text, len);
        if (bad)
                fail_msg("invariant: %s", bad);
        assert_int_equal(pw_norm_run(n, text, len, PW_NORM_FOLD | PW_NORM_SKELETON), 0);
}

#define RUN(n, lit) run((n), (lit), sizeof(lit) - 1)

/* Asserts the view of the last run. */
static void expect_view(struct pw_norm *n, unsigned view, const char *want, size_t wlen) {
        const char *buf;
        size_t len;
        assert_int_equal(pw_norm_view(n, view, &buf, &len), 0);
        assert_int_equal(len, wlen);
        assert_memory_equal(buf, want, wlen);
}

#define VIEW(n, view, lit) expect_view((n), (view), (lit), sizeof(lit) - 1)

/* Finds the `nth` (0-based) occurrence of `needle` in the view; returns its offset. */
static size_t find(struct pw_norm *n, unsigned view, const char *needle, size_t nlen, int nth) {
        const char *buf;
        size_t len;
        assert_int_equal(pw_norm_view(n, view, &buf, &len), 0);
        for (size_t at = 0; at + nlen <= len; at++)
                if (memcmp(buf + at, needle, nlen) == 0 && nth-- == 0)
                        return at;
        fail_msg("'%.*s' not found in the view", (int)nlen, needle);
        return 0;
}

/* Asserts the original span of view span [s, e). */
static void expect_map(struct pw_norm *n, unsigned view, size_t s, size_t e, uint32_t b0,
                       uint32_t b1, uint32_t c0, uint32_t c1, uint32_t u0, uint32_t u1) {
        struct pw_span sp;
        assert_int_equal(pw_norm_map(n, view, s, e, &sp), 0);
        assert_int_equal(sp.byte_start, b0);
        assert_int_equal(sp.byte_end, b1);
        assert_int_equal(sp.cp_start, c0);
        assert_int_equal(sp.cp_end, c1);
        assert_int_equal(sp.u16_start, u0);
        assert_int_equal(sp.u16_end, u1);
}

/* Finds `lit` in the view (nth occurrence) and asserts its original span. */
#define MATCH(n, view, lit, nth, b0, b1, c0, c1, u0, u1)                                           \
        do {                                                                                       \
                size_t at_ = find((n), (view), (lit), sizeof(lit) - 1, (nth));                     \
                expect_map((n), (view), at_, at_ + sizeof(lit) - 1, b0, b1, c0, c1, u0, u1);       \
        } while (0)

static int boundary(struct pw_norm *n, unsigned view, size_t off) {
        return pw_norm_is_word_boundary(n, view, off);
}

#define F PW_NORM_FOLD
#define K PW_NORM_SKELETON

/* ==== bad input from the issue ============================================================== */

static void empty_text(void **state) {
        struct pw_norm *n = *state;
        run(n, NULL, 0);
        expect_view(n, F, "", 0);
        expect_view(n, K, "", 0);
        expect_map(n, F, 0, 0, 0, 0, 0, 0, 0, 0);
        struct pw_span sp;
        assert_int_equal(pw_norm_map(n, F, 0, 1, &sp), -EINVAL);
        assert_int_equal(boundary(n, F, 0), 1);
        assert_int_equal(boundary(n, F, 1), -EINVAL);
}

static void one_mebibyte(void **state) {
        struct pw_norm *n = *state;
        static const char unit[] = "Lorem IPSUM dolor  sit\t\tamet, ";
        size_t ul = sizeof unit - 1, reps = (1u << 20) / ul;
        size_t len = reps * ul + 12 + 4;
        char *t = malloc(len);
        assert_non_null(t);
        for (size_t i = 0; i < reps; i++)
                memcpy(t + i * ul, unit, ul);
        memcpy(t + reps * ul, "\xef\xbc\xa1\xef\xbc\xa3\xef\xbc\xad\xef\xbc\xa5 end", 16);
        uint32_t p = (uint32_t)(reps * ul);
        run(n, t, len);
        /* Each unit folds to 28 bytes: two runs of two spaces collapse. */
        MATCH(n, F, "acme end", 0, p, p + 16, p, p + 8, p, p + 8);
        MATCH(n, F, "lorem ipsum dolor sit amet, ", 1000, 1000 * ul, 1001 * ul, 1000 * ul,
              1001 * ul, 1000 * ul, 1001 * ul);
        MATCH(n, K, "acrne", 0, p, p + 12, p, p + 4, p, p + 4);
        free(t);
}

static void nul_bytes(void **state) {
        struct pw_norm *n = *state;
        RUN(n, "a\0ACME\0b");
        VIEW(n, F, "a\0acme\0b");
        MATCH(n, F, "acme", 0, 2, 6, 2, 6, 2, 6);
        assert_int_equal(boundary(n, F, 2), 1);
        assert_int_equal(boundary(n, F, 6), 1);
        MATCH(n, F, "\0", 1, 6, 7, 6, 7, 6, 7);
}

static void invalid_utf8(void **state) {
        struct pw_norm *n = *state;
        /* A surrogate encoded in UTF-8: ED is a lead byte whose second byte must be 80..9F, so
         * each of the three bytes is its own maximal ill-formed subsequence. */
        RUN(n, "\xed\xa0\x80"
               "acme");
        VIEW(n, F,
             "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
             "acme");
        MATCH(n, F, "acme", 0, 3, 7, 3, 7, 3, 7);
        expect_map(n, F, 3, 6, 1, 2, 1, 2, 1, 2);
        /* Overlong "/" (C0 AF): C0 is never a lead byte: two U+FFFD. */
        RUN(n, "\xc0\xaf"
               "x");
        VIEW(n, F,
             "\xef\xbf\xbd\xef\xbf\xbd"
             "x");
        MATCH(n, F, "x", 0, 2, 3, 2, 3, 2, 3);
        /* Above U+10FFFF: F4 90 80 80 is four, F8.. five, each byte alone. */
        RUN(n, "\xf4\x90\x80\x80"
               "a"
               "\xf8\x88\x80\x80\x80"
               "b");
        MATCH(n, F, "a", 0, 4, 5, 4, 5, 4, 5);
        MATCH(n, F, "b", 0, 10, 11, 10, 11, 10, 11);
        /* A truncated sequence is one U+FFFD covering all its bytes. */
        RUN(n, "\xe2\x82"
               "acme ok\xf0\x9f\x98");
        VIEW(n, F,
             "\xef\xbf\xbd"
             "acme ok\xef\xbf\xbd");
        MATCH(n, F, "acme", 0, 2, 6, 1, 5, 1, 5);
        MATCH(n, F, "k\xef\xbf\xbd", 0, 8, 12, 7, 9, 7, 9);
        expect_map(n, F, 0, 3, 0, 2, 0, 1, 0, 1);
        /* A lone continuation byte and a lead byte followed by ASCII. */
        RUN(n, "\x80"
               "\xc3"
               "A");
        VIEW(n, F,
             "\xef\xbf\xbd\xef\xbf\xbd"
             "a");
        MATCH(n, F, "a", 0, 2, 3, 2, 3, 2, 3);
}

static void only_zero_width(void **state) {
        struct pw_norm *n = *state;
        /* ZWSP, ZWNJ, ZWJ, WORD JOINER, BOM, SOFT HYPHEN: all default-ignorable. */
        RUN(n, "\u200b\u200c\u200d\u2060\ufeff\u00ad");
        expect_view(n, F, "", 0);
        expect_view(n, K, "", 0);
        expect_map(n, F, 0, 0, 17, 17, 6, 6, 6, 6);
}

static void bidi_controls(void **state) {
        struct pw_norm *n = *state;
        /* LRI acme PDI, then "ac" RLO "me" PDF: the controls are dropped, a match covers only
         * the controls inside it. */
        RUN(n, "\u2067acme\u2069 ac\u202eme\u202c");
        VIEW(n, F, "acme acme");
        MATCH(n, F, "acme", 0, 3, 7, 1, 5, 1, 5);
        MATCH(n, F, "acme", 1, 11, 18, 7, 12, 7, 12);
        /* Every bidi control and marks named in the issue. */
        RUN(n, "x\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061cy");
        VIEW(n, F, "xy");
        MATCH(n, F, "xy", 0, 0, 37, 0, 14, 0, 14);
        expect_map(n, F, 0, 1, 0, 1, 0, 1, 0, 1);
        expect_map(n, F, 1, 2, 36, 37, 13, 14, 13, 14);
        assert_int_equal(boundary(n, F, 1), 0);
}

static void ten_thousand_emoji(void **state) {
        struct pw_norm *n = *state;
        size_t len = 10000 * 4 + 5;
        char *t = malloc(len);
        assert_non_null(t);
        for (size_t i = 0; i < 10000; i++)
                memcpy(t + 4 * i, "\xf0\x9f\x98\x80", 4); /* U+1F600, a surrogate pair */
        memcpy(t + 40000, " ACME", 5);
        run(n, t, len);
        MATCH(n, F, "acme", 0, 40001, 40005, 10001, 10005, 20001, 20005);
        expect_map(n, F, 20000, 20004, 20000, 20004, 5000, 5001, 10000, 10002);
        expect_map(n, K, 20000, 20004, 20000, 20004, 5000, 5001, 10000, 10002);
        assert_int_equal(boundary(n, F, 40001), 1);
        free(t);

        /* A ZWJ sequence and a variation selector: the joiners are dropped, an emoji alone
         * does not cover the joiner after it, both together do. */
        RUN(n, "\U0001F468\u200d\U0001F469 \u2764\ufe0f");
        VIEW(n, F, "\U0001F468\U0001F469 \u2764");
        expect_map(n, F, 0, 4, 0, 4, 0, 1, 0, 2);
        expect_map(n, F, 0, 8, 0, 11, 0, 3, 0, 5);
        expect_map(n, F, 4, 8, 7, 11, 2, 3, 3, 5);
        MATCH(n, F, "\u2764", 0, 12, 15, 4, 5, 6, 7);
}

static void term_split_by_zwj(void **state) {
        struct pw_norm *n = *state;
        RUN(n, "The a\u200dc\u200dm\u200de deal");
        VIEW(n, F, "the acme deal");
        MATCH(n, F, "acme", 0, 4, 17, 4, 11, 4, 11);
        assert_int_equal(boundary(n, F, 4), 1);
        assert_int_equal(boundary(n, F, 8), 1);
        /* A match ending just before a ZWJ does not cover it. */
        MATCH(n, F, "the a", 0, 0, 5, 0, 5, 0, 5);
        MATCH(n, F, "e deal", 0, 16, 22, 10, 16, 10, 16);
}

static void full_width_and_confusable_trademark(void **state) {
        struct pw_norm *n = *state;
        char *term;
        size_t tl;
        assert_int_equal(pw_norm_term(n, "ACME", 4, K, &term, &tl), 0);
        assert_string_equal(term, "acrne"); /* uspoof: "m" looks like "rn" */
        free(term);

        RUN(n, "\xef\xbc\xa1\xef\xbc\xa3\xef\xbc\xad\xef\xbc\xa5"); /* ＡＣＭＥ */
        VIEW(n, F, "acme");
        MATCH(n, F, "acme", 0, 0, 12, 0, 4, 0, 4);
        MATCH(n, F, "cm", 0, 3, 9, 1, 3, 1, 3);
        MATCH(n, K, "acrne", 0, 0, 12, 0, 4, 0, 4);
        MATCH(n, K, "rn", 0, 6, 9, 2, 3, 2, 3);
        MATCH(n, K, "r", 0, 6, 9, 2, 3, 2, 3);

        /* Cyrillic А and с in "Асme Corp": the fold view keeps them, the skeleton matches. */
        RUN(n, "\u0410\u0441me Corp");
        VIEW(n, F, "\u0430\u0441me corp");
        MATCH(n, K, "acrne corp", 0, 0, 11, 0, 9, 0, 9);
        MATCH(n, K, "acrne", 0, 0, 6, 0, 4, 0, 4);
        assert_int_equal(boundary(n, K, 0), 1);
        assert_int_equal(boundary(n, K, 5), 1);
        assert_int_equal(boundary(n, K, 3), 0);
        /* Full-width and Cyrillic together, inside a sentence. */
        RUN(n, "buy \xef\xbc\xa1\u0421\xef\xbc\xad\xd0\x95!");
        MATCH(n, K, "acrne", 0, 4, 14, 4, 8, 4, 8);
        assert_int_equal(boundary(n, K, 9), 1);
}

static void combining_marks(void **state) {
        struct pw_norm *n = *state;
        RUN(n, "cafe\u0301 caf\u00e9");
        VIEW(n, F, "caf\u00e9 caf\u00e9");
        MATCH(n, F, "caf\u00e9", 0, 0, 6, 0, 5, 0, 5);
        MATCH(n, F, "\u00e9", 0, 3, 6, 3, 5, 3, 5);
        MATCH(n, F, "caf\u00e9", 1, 7, 12, 6, 10, 6, 10);
        /* The skeleton is decomposed (NFD): "cafe" is there but is not a whole word. */
        VIEW(n, K, "cafe\u0301 cafe\u0301");
        MATCH(n, K, "cafe", 1, 7, 12, 6, 10, 6, 10);
        assert_int_equal(boundary(n, K, 4), 0);
        assert_int_equal(boundary(n, K, 5), 0); /* inside U+0301's bytes */
        assert_int_equal(boundary(n, K, 6), 1);

        char *term;
        size_t tl;
        assert_int_equal(pw_norm_term(n, "CAFE\u0301", 6, F, &term, &tl), 0);
        assert_string_equal(term, "caf\u00e9");
        free(term);
}

static void ligatures(void **state) {
        struct pw_norm *n = *state;
        RUN(n, "\ufb01nance");
        VIEW(n, F, "finance");
        MATCH(n, F, "f", 0, 0, 3, 0, 1, 0, 1);
        MATCH(n, F, "inance", 0, 0, 8, 0, 6, 0, 6);
        MATCH(n, F, "nance", 0, 3, 8, 1, 6, 1, 6);
        MATCH(n, F, "finance", 0, 0, 8, 0, 6, 0, 6);
}

static void german_sharp_s(void **state) {
        struct pw_norm *n = *state;
        RUN(n, "Stra\u00dfe");
        VIEW(n, F, "strasse");
        MATCH(n, F, "strasse", 0, 0, 7, 0, 6, 0, 6);
        expect_map(n, F, 4, 5, 4, 6, 4, 5, 4, 5);
        expect_map(n, F, 5, 6, 4, 6, 4, 5, 4, 5);
        MATCH(n, F, "se", 0, 4, 7, 4, 6, 4, 6);
        assert_int_equal(boundary(n, F, 5), 0);
}

static void turkish_dotted_i(void **state) {
        struct pw_norm *n = *state;
        /* Default (not Turkic) case folding: İ becomes i + U+0307 COMBINING DOT ABOVE. */
        RUN(n, "\u0130stanbul");
        VIEW(n, F, "i\u0307stanbul");
        MATCH(n, F, "i", 0, 0, 2, 0, 1, 0, 1);
        MATCH(n, F, "stanbul", 0, 2, 9, 1, 8, 1, 8);
        assert_int_equal(boundary(n, F, 1), 0); /* before the combining dot */
        /* Dotless ı stays ı in the fold view; its skeleton is "i". */
        RUN(n, "\u0131stanbul");
        VIEW(n, F, "\u0131stanbul");
        MATCH(n, K, "istanbul", 0, 0, 9, 0, 8, 0, 8);
}

static void greek_final_sigma(void **state) {
        struct pw_norm *n = *state;
        RUN(n, "\u039f\u0394\u039f\u03a3 \u03bf\u03b4\u03bf\u03c2");
        VIEW(n, F, "\u03bf\u03b4\u03bf\u03c3 \u03bf\u03b4\u03bf\u03c3");
        MATCH(n, F, "\u03bf\u03b4\u03bf\u03c3", 1, 9, 17, 5, 9, 5, 9);
        MATCH(n, F, "\u03c3", 1, 15, 17, 8, 9, 8, 9);
        char *a, *b;
        size_t al, bl;
        assert_int_equal(pw_norm_term(n, "\u039f\u0394\u039f\u03a3", 8, F, &a, &al), 0);
        assert_int_equal(pw_norm_term(n, "\u03bf\u03b4\u03bf\u03c2", 8, F, &b, &bl), 0);
        assert_string_equal(a, b);
        free(a);
        free(b);
}

static void whitespace_runs(void **state) {
        struct pw_norm *n = *state;
        /* space, NBSP, tab, IDEOGRAPHIC SPACE, then LINE SEPARATOR, OGHAM SPACE MARK + ZWSP. */
        RUN(n, "a \u00a0\t\u3000b\u2028\u1680\u200bc  ");
        VIEW(n, F, "a b c ");
        MATCH(n, F, " b ", 0, 1, 18, 1, 9, 1, 9); /* ZWSP after a space joins it */
        expect_map(n, F, 1, 2, 1, 8, 1, 5, 1, 5);
        expect_map(n, F, 5, 6, 19, 21, 10, 12, 10, 12);
}

/* ==== word boundaries ======================================================================== */

static void word_boundaries(void **state) {
        struct pw_norm *n = *state;
        RUN(n, "acmecorp acme-corp acme_corp");
        assert_int_equal(boundary(n, F, 4), 0);
        assert_int_equal(boundary(n, F, 9), 1);
        assert_int_equal(boundary(n, F, 13), 1);
        assert_int_equal(boundary(n, F, 23), 0); /* '_' is a word character, as in \w */
        /* Cyrillic: a space-separated script. */
        RUN(n, "\u043f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440");
        assert_int_equal(boundary(n, F, 4), 0);
        assert_int_equal(boundary(n, F, 12), 1);
        /* Han: no spaces; a term matches between any two ideographs. */
        RUN(n, "\u6211\u7231\u5317\u4eac\u5929\u5b89\u95e8");
        MATCH(n, F, "\u5317\u4eac", 0, 6, 12, 2, 4, 2, 4);
        assert_int_equal(boundary(n, F, 6), 1);
        assert_int_equal(boundary(n, F, 12), 1);
        assert_int_equal(boundary(n, F, 7), 0);
        /* Thai: no spaces, but never between a base and its combining vowel. */
        RUN(n, "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a");
        assert_int_equal(boundary(n, F, 18), 1); /* before ค, after ี */
        assert_int_equal(boundary(n, F, 6), 0);  /* before ั U+0E31 */
        /* Japanese kana, Hangul (spaced) and digits. */
        RUN(n, "\u30a2\u30af\u30e1 \ud55c\uad6d\uc5b4 abc123");
        assert_int_equal(boundary(n, F, 3), 1);
        assert_int_equal(boundary(n, F, 13), 0);
        assert_int_equal(boundary(n, F, 23), 0);
}

/* ==== terms and API contract ================================================================= */

static void terms(void **state) {
        struct pw_norm *n = *state;
        char *t = (char *)"untouched";
        size_t tl = 99;
        assert_int_equal(pw_norm_term(n, "\u200b\u200d", 6, F, &t, &tl), 0);
        assert_int_equal(tl, 0);
        assert_string_equal(t, "");
        free(t);
        assert_int_equal(pw_norm_term(n, "Ｃｏｄｅ\u00a0Name", 18, F, &t, &tl), 0);
        assert_string_equal(t, "code name");
        free(t);
        char *k;
        assert_int_equal(pw_norm_term(n, "\u0410\u0441me", 6, K, &k, &tl), 0);
        assert_int_equal(pw_norm_term(n, "ACME", 4, K, &t, &tl), 0);
        assert_string_equal(k, t);
        free(k);
        free(t);
        t = (char *)"untouched";
        assert_int_equal(pw_norm_term(n, "x", 1, F | K, &t, &tl), -EINVAL);
        assert_string_equal(t, "untouched");
}

static void api_contract(void **state) {
        struct pw_norm *n = *state;
        assert_int_equal(pw_norm_run(n, "x", PW_NORM_MAX_INPUT + 1, F), -EINVAL);
        assert_int_equal(pw_norm_run(n, "x", 1, 4), -EINVAL);
        assert_int_equal(pw_norm_run(n, NULL, 1, F), -EINVAL);
        const char *buf = NULL;
        size_t len = 7;
        assert_int_equal(pw_norm_view(n, F, &buf, &len), -EINVAL); /* after a failed run */
        assert_null(buf);
        assert_int_equal(len, 7);
        assert_int_equal(pw_norm_run(n, "Abc", 3, 0), 0); /* 0 means FOLD */
        assert_int_equal(pw_norm_view(n, K, &buf, &len), -EINVAL);
        VIEW(n, F, "abc");
        struct pw_span sp = {.byte_start = 42};
        assert_int_equal(pw_norm_map(n, F, 2, 1, &sp), -EINVAL);
        assert_int_equal(pw_norm_map(n, F, 0, 4, &sp), -EINVAL);
        assert_int_equal(pw_norm_map(n, K, 0, 1, &sp), -EINVAL);
        assert_int_equal(pw_norm_map(n, F | K, 0, 1, &sp), -EINVAL);
        assert_int_equal(sp.byte_start, 42);
        assert_int_equal(pw_norm_is_word_boundary(n, F, 4), -EINVAL);
        pw_norm_wipe(n);
        assert_int_equal(pw_norm_view(n, F, &buf, &len), -EINVAL);
        assert_null(pw_norm_free(NULL));
}

/* ==== property test ========================================================================== */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t rnd(uint32_t bound) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return (uint32_t)(rng_state % bound);
}

/* Pieces that exercise every path: ASCII, spaces, ignorables, marks, expansions, confusables,
 * scripts, emoji, and ill-formed bytes. */
static const char *const pieces[] = {
        "a",
        "Z",
        " ",
        "  ",
        "\t",
        "\n",
        "_",
        "1",
        "m",
        "\0",
        "\u00a0",
        "\u3000",
        "\u2028",
        "\u1680",
        "\u200b",
        "\u200d",
        "\u200c",
        "\u00ad",
        "\u202e",
        "\u2066",
        "\ufe0f",
        "\U000E0100",
        "\u0301",
        "\u0308",
        "\u0323",
        "\u00e9",
        "\u00c5",
        "\u00df",
        "\u0130",
        "\u0131",
        "\u03a3",
        "\u03c2",
        "\ufb01",
        "\ufb03",
        "\uff21",
        "\uff4d",
        "\u0410",
        "\u0441",
        "\u4e2d",
        "\u0e01",
        "\u0e31",
        "\uac00",
        "\u1100",
        "\u1161",
        "\u11a8",
        "\U0001F600",
        "\U0001F468\u200d\U0001F469",
        "\u00a8",
        "\u2126",
        "\u212b",
        "\ufdfa",
        "\u3392",
        "\xed\xa0\x80",
        "\xc0\xaf",
        "\xf4\x90\x80\x80",
        "\xe2\x82",
        "\xf0\x9f\x98",
        "\x80",
        "\xc3",
        "\xff",
};

static void property_random(void **state) {
        struct pw_norm *n = *state;
        char text[512];
        for (int iter = 0; iter < 3000; iter++) {
                size_t len = 0;
                if (iter % 4 == 3) {
                        len = rnd(64);
                        for (size_t i = 0; i < len; i++)
                                text[i] = (char)rnd(256);
                } else {
                        int np = (int)rnd(40);
                        for (int p = 0; p < np; p++) {
                                const char *s = pieces[rnd(sizeof pieces / sizeof *pieces)];
                                size_t sl = s[0] ? strlen(s) : 1;
                                if (len + sl > sizeof text)
                                        break;
                                memcpy(text + len, s, sl);
                                len += sl;
                        }
                }
                const char *bad = inv_check_all(n, text, len);
                if (bad) {
                        fprintf(stderr, "input:");
                        for (size_t i = 0; i < len; i++)
                                fprintf(stderr, " %02x", (uint8_t)text[i]);
                        fprintf(stderr, "\n");
                        fail_msg("iteration %d: %s", iter, bad);
                }
        }
}

/* Long runs of combining marks are split every 32 code points (stream-safe): still exact maps. */
static void long_mark_runs(void **state) {
        struct pw_norm *n = *state;
        char text[2 + 200 * 2];
        text[0] = 'a';
        size_t len = 1;
        for (int i = 0; i < 200; i++) {
                memcpy(text + len, i % 2 ? "\u0301" : "\u0323", 2);
                len += 2;
        }
        run(n, text, len);
        struct pw_span sp;
        const char *buf;
        size_t blen;
        assert_int_equal(pw_norm_view(n, F, &buf, &blen), 0);
        assert_int_equal(pw_norm_map(n, F, 0, blen, &sp), 0);
        assert_int_equal(sp.byte_end, len);
        assert_int_equal(sp.cp_end, 201);
}

/* ==== threads ================================================================================ */

static const char thread_text[] = "Th\u0435 \uff21\u0421\uff2d\u0415 d\u200deal \u00df \ufb01 "
                                  "\U0001F600 \u5317\u4eac \xe2\x82 caf\u00e9";

/* Each thread normalises the same text many times with its own pw_norm; all must agree. */
static void *thread_main(void *arg) {
        char *out = arg;
        struct pw_norm *n = pw_norm_new();
        if (!n)
                return (void *)1;
        for (int i = 0; i < 2000; i++) {
                if (pw_norm_run(n, thread_text, sizeof thread_text - 1, F | K) < 0)
                        return pw_norm_free(n), (void *)1;
        }
        const char *k;
        size_t kl;
        pw_norm_view(n, K, &k, &kl);
        snprintf(out, 256, "%.*s", (int)kl, k);
        pw_norm_free(n);
        return NULL;
}

static void threads(void **state) {
        pthread_t th[4];
        char out[4][256];
        for (int i = 0; i < 4; i++)
                assert_int_equal(pthread_create(&th[i], NULL, thread_main, out[i]), 0);
        for (int i = 0; i < 4; i++) {
                void *r;
                assert_int_equal(pthread_join(th[i], &r), 0);
                assert_null(r);
        }
        for (int i = 1; i < 4; i++)
                assert_string_equal(out[0], out[i]);
        assert_non_null(strstr(out[0], "acrne"));
}

int main(void) {
        const struct CMUnitTest bad_input[] = {
                cmocka_unit_test_setup_teardown(empty_text, setup, teardown),
                cmocka_unit_test_setup_teardown(one_mebibyte, setup, teardown),
                cmocka_unit_test_setup_teardown(nul_bytes, setup, teardown),
                cmocka_unit_test_setup_teardown(invalid_utf8, setup, teardown),
                cmocka_unit_test_setup_teardown(only_zero_width, setup, teardown),
                cmocka_unit_test_setup_teardown(bidi_controls, setup, teardown),
                cmocka_unit_test_setup_teardown(ten_thousand_emoji, setup, teardown),
                cmocka_unit_test_setup_teardown(term_split_by_zwj, setup, teardown),
                cmocka_unit_test_setup_teardown(full_width_and_confusable_trademark, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(combining_marks, setup, teardown),
                cmocka_unit_test_setup_teardown(ligatures, setup, teardown),
                cmocka_unit_test_setup_teardown(german_sharp_s, setup, teardown),
                cmocka_unit_test_setup_teardown(turkish_dotted_i, setup, teardown),
                cmocka_unit_test_setup_teardown(greek_final_sigma, setup, teardown),
                cmocka_unit_test_setup_teardown(whitespace_runs, setup, teardown),
        };
        const struct CMUnitTest api[] = {
                cmocka_unit_test_setup_teardown(word_boundaries, setup, teardown),
                cmocka_unit_test_setup_teardown(terms, setup, teardown),
                cmocka_unit_test_setup_teardown(api_contract, setup, teardown),
                cmocka_unit_test_setup_teardown(property_random, setup, teardown),
                cmocka_unit_test_setup_teardown(long_mark_runs, setup, teardown),
                cmocka_unit_test(threads),
        };
        int failed = cmocka_run_group_tests_name("normalize: bad input", bad_input, NULL, NULL);
        failed += cmocka_run_group_tests_name("normalize: api", api, NULL, NULL);
        return failed;
}
