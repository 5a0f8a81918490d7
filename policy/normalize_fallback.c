/* A stand-in for normalize.c, built only while the real normaliser (branch wip/norm) is not in
 * the tree: ASCII case folding, one byte in = one byte out, so that the engine's loader, matcher
 * and verdicts can be built and tested before it lands. engine.cmake drops this file as soon as
 * normalize.cmake lists normalize.c. It does not defeat any evasion. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/utf8.h>

#include "normalize.h"

struct pw_norm {
        char *buf;       /* the FOLD view (== the SKELETON view here) */
        size_t len;      /* its length */
        size_t cap;      /* allocated */
        const char *src; /* the last input, borrowed for pw_norm_map() */
        bool have;       /* a run succeeded */
};

struct pw_norm *pw_norm_new(void) {
        return calloc(1, sizeof(struct pw_norm));
}

struct pw_norm *pw_norm_free(struct pw_norm *n) {
        if (n) {
                pw_norm_wipe(n);
                free(n->buf);
                free(n);
        }
        return NULL;
}

int pw_norm_run(struct pw_norm *n, const char *text, size_t len, unsigned views) {
        if (len > PW_NORM_MAX_INPUT || (views & ~3u))
                return -EINVAL;
        n->have = false;
        if (len + 1 > n->cap) {
                char *b = realloc(n->buf, len + 1);
                if (!b)
                        return -ENOMEM;
                n->buf = b;
                n->cap = len + 1;
        }
        for (size_t i = 0; i < len; i++) {
                char c = text[i];
                n->buf[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
        }
        n->len = len;
        n->src = text;
        n->have = true;
        return 0;
}

int pw_norm_view(const struct pw_norm *n, unsigned view, const char **ret_buf, size_t *ret_len) {
        if (!n->have || (view != PW_NORM_FOLD && view != PW_NORM_SKELETON))
                return -EINVAL;
        *ret_buf = n->buf ? n->buf : "";
        *ret_len = n->len;
        return 0;
}

int pw_norm_map(const struct pw_norm *n, unsigned view, size_t s, size_t e, struct pw_span *ret) {
        if (!n->have || s > e || e > n->len)
                return -EINVAL;
        uint32_t cp = 0, u16 = 0;
        int32_t i = 0;
        struct pw_span sp = {0};
        bool got = false;
        while (true) {
                if (!got && (size_t)i >= s) {
                        sp.byte_start = (uint32_t)i, sp.cp_start = cp, sp.u16_start = u16;
                        got = true;
                }
                if (got && (size_t)i >= e) {
                        sp.byte_end = (uint32_t)i, sp.cp_end = cp, sp.u16_end = u16;
                        break;
                }
                UChar32 c;
                U8_NEXT(n->src, i, (int32_t)n->len, c);
                cp++;
                u16 += c > 0xFFFF ? 2 : 1;
        }
        *ret = sp;
        return 0;
}

static bool word_byte(unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

int pw_norm_is_word_boundary(const struct pw_norm *n, unsigned view, size_t off) {
        if (!n->have || off > n->len)
                return -EINVAL;
        if (off == 0 || off == n->len)
                return 1;
        return !word_byte((unsigned char)n->buf[off - 1]) || !word_byte((unsigned char)n->buf[off]);
}

int pw_norm_term(struct pw_norm *n, const char *term, size_t len, unsigned view, char **ret,
                 size_t *ret_len) {
        int r = pw_norm_run(n, term, len, view);
        if (r < 0)
                return r;
        char *c = malloc(len + 1);
        if (!c)
                return -ENOMEM;
        memcpy(c, n->buf, len);
        c[len] = '\0';
        *ret = c;
        *ret_len = len;
        return 0;
}

void pw_norm_wipe(struct pw_norm *n) {
        if (n->buf)
                explicit_bzero(n->buf, n->cap);
        n->have = false;
        n->src = NULL;
}
