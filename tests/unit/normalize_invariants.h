/* Invariants of a pw_norm run, checked against ICU directly; shared by the unit test's property
 * test and the fuzz target. Every function returns NULL when all holds, or a static string
 * naming the first violation (the caller reports it and fails). Test code: single-threaded. */
#ifndef POSTWARDEN_TEST_NORMALIZE_INVARIANTS_H
#define POSTWARDEN_TEST_NORMALIZE_INVARIANTS_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include "normalize.h"

/* Code point and UTF-16 offsets of every byte offset of `text` that starts a character (as
 * policy.h reads it: U+FFFD per maximal ill-formed subsequence); -1 inside a character. */
struct inv_units {
        int32_t *cp;  /* [len + 1] */
        int32_t *u16; /* [len + 1] */
};

static int inv_units_new(const char *text, size_t len, struct inv_units *u) {
        u->cp = malloc((len + 1) * sizeof *u->cp);
        u->u16 = malloc((len + 1) * sizeof *u->u16);
        if (!u->cp || !u->u16)
                return -1;
        int32_t c = 0, w = 0, i = 0;
        while ((size_t)i < len) {
                int32_t start = i;
                UChar32 ch;
                U8_NEXT_OR_FFFD((const uint8_t *)text, i, (int32_t)len, ch);
                u->cp[start] = c++;
                u->u16[start] = w;
                w += U16_LENGTH(ch);
                for (int32_t k = start + 1; k < i; k++)
                        u->cp[k] = u->u16[k] = -1;
        }
        u->cp[len] = c;
        u->u16[len] = w;
        return 0;
}

static void inv_units_free(struct inv_units *u) {
        free(u->cp);
        free(u->u16);
}

/* The fold view as a whole-text reference computes it: NFKC_Casefold of the whole text in one
 * ICU call, ignorables dropped, White_Space runs collapsed. Returns a malloc'd buffer and sets
 * *ret_len, or NULL (out of memory, or the text has a segment longer than the normaliser's
 * stream-safe limit, where the two legitimately differ). */
static char *inv_reference_fold(const char *text, size_t len, size_t *ret_len) {
        UErrorCode e = U_ZERO_ERROR;
        const UNormalizer2 *nf = unorm2_getNFKCCasefoldInstance(&e);
        UChar *src = malloc((len + 1) * sizeof *src);
        if (!src)
                return NULL;
        int32_t sl = 0, run = 0, i = 0;
        while ((size_t)i < len) {
                UChar32 c;
                U8_NEXT_OR_FFFD((const uint8_t *)text, i, (int32_t)len, c);
                run = unorm2_hasBoundaryBefore(nf, c) ? 1 : run + 1;
                if (run >= 30) { /* the normaliser splits at 32; stay clear of it */
                        free(src);
                        return NULL;
                }
                U16_APPEND_UNSAFE(src, sl, c);
        }
        int32_t cap = sl * 18 + 16;
        UChar *dst = malloc((size_t)cap * sizeof *dst);
        char *out = malloc((size_t)cap * 3 + 1);
        if (!dst || !out) {
                free(src), free(dst), free(out);
                return NULL;
        }
        int32_t dl = unorm2_normalize(nf, src, sl, dst, cap, &e);
        size_t o = 0;
        for (int32_t k = 0; U_SUCCESS(e) && k < dl;) {
                UChar32 c;
                U16_NEXT(dst, k, dl, c);
                if (u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
                        continue;
                if (u_isUWhiteSpace(c)) {
                        if (o == 0 || out[o - 1] != ' ')
                                out[o++] = ' ';
                        continue;
                }
                U8_APPEND_UNSAFE(out, o, c);
        }
        free(src);
        free(dst);
        if (U_FAILURE(e)) {
                free(out);
                return NULL;
        }
        *ret_len = o;
        return out;
}

/* Checks the map of one view: every output byte maps to a non-empty, in-bounds source span
 * that starts and ends on character boundaries, agrees in all three units, and moves
 * monotonically with the output offset; a span [s, e) maps to [start of s, end of e-1). */
static const char *inv_check_view(const struct pw_norm *n, unsigned view, const char *text,
                                  size_t len, const struct inv_units *u) {
        const char *buf;
        size_t blen;
        if (pw_norm_view(n, view, &buf, &blen) < 0)
                return "view not available";
        struct pw_span prev = {0}, sp, whole;
        for (size_t x = 0; x < blen; x++) {
                if (pw_norm_map(n, view, x, x + 1, &sp) < 0)
                        return "map refused an in-range byte";
                if (sp.byte_start >= sp.byte_end || sp.byte_end > len)
                        return "byte span empty or out of bounds";
                if (u->cp[sp.byte_start] < 0 || u->cp[sp.byte_end] < 0)
                        return "byte span not on character boundaries";
                if ((int32_t)sp.cp_start != u->cp[sp.byte_start] ||
                    (int32_t)sp.cp_end != u->cp[sp.byte_end] ||
                    (int32_t)sp.u16_start != u->u16[sp.byte_start] ||
                    (int32_t)sp.u16_end != u->u16[sp.byte_end])
                        return "code point or UTF-16 offsets disagree with bytes";
                if (x > 0 && (sp.byte_start < prev.byte_start || sp.byte_end < prev.byte_end))
                        return "map not monotonic";
                /* Source characters no output byte covers must be ignorables. */
                for (int32_t i = x > 0 ? (int32_t)prev.byte_end : 0; i < (int32_t)sp.byte_start;) {
                        UChar32 c;
                        U8_NEXT_OR_FFFD((const uint8_t *)text, i, (int32_t)len, c);
                        if (!u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
                                return "a source character left out of the map is not ignorable";
                }
                prev = sp;
                int wb = pw_norm_is_word_boundary(n, view, x);
                if (wb != 0 && wb != 1)
                        return "word boundary not 0/1";
        }
        for (int32_t i = blen > 0 ? (int32_t)prev.byte_end : 0; (size_t)i < len;) {
                UChar32 c;
                U8_NEXT_OR_FFFD((const uint8_t *)text, i, (int32_t)len, c);
                if (!u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
                        return "a trailing source character left out of the map is not ignorable";
        }
        if (blen > 0) {
                struct pw_span first;
                if (pw_norm_map(n, view, 0, blen, &whole) < 0 ||
                    pw_norm_map(n, view, 0, 1, &first) < 0)
                        return "whole-view map refused";
                if (whole.byte_start != first.byte_start || whole.byte_end != prev.byte_end)
                        return "whole-view span is not first start .. last end";
        }
        if (pw_norm_map(n, view, blen, blen, &sp) < 0 || sp.byte_start != sp.byte_end ||
            sp.byte_end != len || sp.cp_end != (uint32_t)u->cp[len] ||
            sp.u16_end != (uint32_t)u->u16[len])
                return "empty span at the end does not map to the end of the text";
        if (pw_norm_map(n, view, 0, blen + 1, &sp) != -EINVAL)
                return "map accepted a span past the end";
        return NULL;
}

/* The skeleton view must be the concatenation of per-code-point skeletons of the fold view. */
static const char *inv_check_skeleton(const struct pw_norm *n) {
        const char *f, *k;
        size_t fl, kl;
        if (pw_norm_view(n, PW_NORM_FOLD, &f, &fl) < 0 ||
            pw_norm_view(n, PW_NORM_SKELETON, &k, &kl) < 0)
                return "views not available";
        UErrorCode e = U_ZERO_ERROR;
        static USpoofChecker *sc; /* opened once: test code, single-threaded */
        if (!sc && !(sc = uspoof_open(&e)))
                return "uspoof_open failed";
        const char *bad = NULL;
        size_t at = 0;
        for (int32_t i = 0; (size_t)i < fl && !bad;) {
                UChar32 c;
                U8_NEXT_OR_FFFD((const uint8_t *)f, i, (int32_t)fl, c);
                UChar s[2], d[64];
                int32_t sl = 0;
                U16_APPEND_UNSAFE(s, sl, c);
                int32_t dl = uspoof_getSkeleton(sc, 0, s, sl, d, 64, &e);
                char u8[256];
                int32_t ul = 0;
                u_strToUTF8(u8, sizeof u8, &ul, d, dl, &e);
                if (U_FAILURE(e))
                        bad = "skeleton failed";
                else if (at + (size_t)ul > kl || memcmp(k + at, u8, (size_t)ul) != 0)
                        bad = "skeleton view differs from per-code-point skeletons";
                at += (size_t)ul;
        }
        if (!bad && at != kl)
                bad = "skeleton view longer than per-code-point skeletons";
        return bad;
}

/* Runs `text` through `n` with both views and checks everything above. */
static const char *inv_check_all(struct pw_norm *n, const char *text, size_t len) {
        if (pw_norm_run(n, text, len, PW_NORM_FOLD | PW_NORM_SKELETON) < 0)
                return "run failed";
        struct inv_units u;
        if (inv_units_new(text, len, &u) < 0) {
                inv_units_free(&u);
                return "out of memory";
        }
        const char *bad = inv_check_view(n, PW_NORM_FOLD, text, len, &u);
        if (!bad)
                bad = inv_check_view(n, PW_NORM_SKELETON, text, len, &u);
        if (!bad)
                bad = inv_check_skeleton(n);
        if (!bad) {
                size_t rl;
                char *ref = inv_reference_fold(text, len, &rl);
                const char *f;
                size_t fl;
                pw_norm_view(n, PW_NORM_FOLD, &f, &fl);
                if (ref && (rl != fl || memcmp(ref, f, fl) != 0))
                        bad = "fold view differs from whole-text NFKC_Casefold";
                free(ref);
        }
        /* The fold-only run (the ASCII fast path) must give the same fold view and map. */
        if (!bad) {
                const char *f;
                size_t fl;
                pw_norm_view(n, PW_NORM_FOLD, &f, &fl);
                char *copy = malloc(fl + 1);
                struct pw_span *spans = malloc((fl + 1) * sizeof *spans);
                if (!copy || !spans)
                        bad = "out of memory";
                for (size_t x = 0; !bad && x < fl; x++)
                        pw_norm_map(n, PW_NORM_FOLD, x, x + 1, &spans[x]);
                if (!bad) {
                        memcpy(copy, f, fl);
                        if (pw_norm_run(n, text, len, PW_NORM_FOLD) < 0)
                                bad = "fold-only run failed";
                }
                const char *g;
                size_t gl;
                if (!bad && (pw_norm_view(n, PW_NORM_FOLD, &g, &gl) < 0 || gl != fl ||
                             memcmp(g, copy, fl) != 0))
                        bad = "fold-only run gives a different fold view";
                for (size_t x = 0; !bad && x < fl; x++) {
                        struct pw_span sp;
                        pw_norm_map(n, PW_NORM_FOLD, x, x + 1, &sp);
                        if (memcmp(&sp, &spans[x], sizeof sp) != 0)
                                bad = "fold-only run gives a different map";
                }
                if (!bad)
                        bad = inv_check_view(n, PW_NORM_FOLD, text, len, &u);
                free(copy);
                free(spans);
        }
        inv_units_free(&u);
        return bad;
}

#endif
