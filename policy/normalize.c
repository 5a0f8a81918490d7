/* Normalisation for matching: NFKC_Casefold, ignorables removed, spaces collapsed, uspoof
 * skeletons, and an exact map from every output byte back to the original text.
 *
 * How it works (docs/normalisation.md has the why and the numbers): the input is cut into
 * normalisation segments at ICU's boundaries (unorm2_hasBoundaryBefore), so normalising each
 * segment alone gives exactly the normalisation of the whole text; each segment becomes a
 * "chunk" whose output bytes all map to the segment's source characters. The map is a sorted
 * array of records (output offset -> source offset); a record either covers one chunk, or a run
 * of ASCII characters that map one to one (the fast path), and a record's source span ends where
 * the next record's begins. Single-code-point segments, nearly all of them, hit a small cache. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uspoof.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include "normalize.h"

/* ==== data structures ======================================================================== */

#define REC_RUN       0x80000000u /* in rec.byte: the record is a one-to-one ASCII run */
#define MAX_SEG       32          /* code points per segment; longer ones are split (stream-safe) */
#define CACHE_BITS    9           /* 512 entries per cache */
#define FOLD_INLINE   22          /* longest cached fold of one code point, bytes */
#define SKEL_INLINE   18          /* longest cached skeleton of one code point, bytes */
#define ASCII_COMPLEX 0x80        /* in ascii_fold: this byte takes the general path */

/* One map record: output bytes from `out` up to the next record's `out` come from the source
 * characters from here up to the next record's source position. */
struct rec {
        uint32_t out;  /* first output byte of the record */
        uint32_t byte; /* source byte offset (REC_RUN flag in the top bit) */
        uint32_t cp;   /* source code point offset */
        uint32_t u16;  /* source UTF-16 offset */
};

/* One output view and its map. */
struct view {
        char *buf;       /* output bytes (draft text: wiped when freed or grown) */
        size_t len;      /* bytes used in buf */
        size_t cap;      /* bytes allocated in buf */
        struct rec *rec; /* map records, sorted by out */
        size_t nrec;     /* records used */
        size_t rcap;     /* records allocated */
        int run_open;    /* 1 when the last record is an ASCII run that may be extended */
        uint32_t next_b; /* source byte that would extend that run */
};

/* Cached fold of one source code point: UTF-8, ignorables removed, White_Space as ' '. */
struct fold_ent {
        int32_t cp;            /* the source code point, -1 when empty */
        uint8_t len;           /* bytes in out */
        char out[FOLD_INLINE]; /* the fold */
};

/* Cached skeleton of one folded code point, UTF-8. */
struct skel_ent {
        int32_t cp;            /* the folded code point, -1 when empty */
        uint8_t len;           /* bytes in out */
        char out[SKEL_INLINE]; /* the skeleton */
};

struct pw_norm {
        const UNormalizer2 *nfkc_cf; /* ICU singleton, shared and thread-safe */
        USpoofChecker *spoof;        /* this thread's checker, for skeletons */
        unsigned views;              /* views produced by the last successful run, 0: none */
        struct view v[2];            /* [0] FOLD, [1] SKELETON */
        uint32_t total_b;            /* source length in bytes */
        uint32_t total_c;            /* source length in code points */
        uint32_t total_u;            /* source length in UTF-16 units */
        UChar *u16;                  /* scratch for ICU calls */
        int32_t u16cap;              /* UChars allocated in u16 */
        char *tmp;                   /* scratch: the fold of one segment */
        size_t tmpcap;               /* bytes allocated in tmp */
        uint8_t ascii_fold[128];     /* fold of each ASCII byte (ASCII_COMPLEX: general path) */
        uint8_t ascii_word[128];     /* 1 when the ASCII character is a word character */
        uint8_t ascii_skel_len[128]; /* bytes of the skeleton of each ASCII character */
        char ascii_skel[128][8];     /* skeleton of each ASCII character (e.g. "%" -> "º/₀") */
        struct fold_ent fold[1u << CACHE_BITS]; /* fold cache, direct-mapped */
        struct skel_ent skel[1u << CACHE_BITS]; /* skeleton cache, direct-mapped */
};

static unsigned cache_slot(UChar32 c) {
        return ((uint32_t)c * 0x9E3779B1u) >> (32 - CACHE_BITS);
}

static int icu_errno(UErrorCode e) {
        return e == U_MEMORY_ALLOCATION_ERROR ? -ENOMEM : -EIO;
}

/* ==== growing buffers ======================================================================== */

/* Makes room for `more` bytes in v->buf; the old buffer is wiped (it holds draft text). */
static int view_reserve(struct view *v, size_t more) {
        if (v->cap - v->len >= more)
                return 0;
        if (more > UINT32_MAX - v->len)
                return -ENOMEM; /* offsets are 32-bit */
        size_t ncap = v->cap ? v->cap : 256;
        while (ncap - v->len < more)
                ncap *= 2;
        char *nb = malloc(ncap);
        if (!nb)
                return -ENOMEM;
        if (v->buf) {
                memcpy(nb, v->buf, v->len);
                explicit_bzero(v->buf, v->cap);
                free(v->buf);
        }
        v->buf = nb;
        v->cap = ncap;
        return 0;
}

/* Appends a record; the caller fills it. Returns NULL when out of memory. */
static struct rec *view_push(struct view *v) {
        if (v->nrec == v->rcap) {
                size_t ncap = v->rcap ? v->rcap * 2 : 64;
                struct rec *nr = realloc(v->rec, ncap * sizeof *nr);
                if (!nr)
                        return NULL;
                v->rec = nr;
                v->rcap = ncap;
        }
        return &v->rec[v->nrec++];
}

static int u16_reserve(struct pw_norm *n, int32_t want) {
        if (n->u16cap >= want)
                return 0;
        int32_t ncap = n->u16cap ? n->u16cap : 64;
        while (ncap < want)
                ncap *= 2;
        UChar *nb = malloc((size_t)ncap * sizeof *nb);
        if (!nb)
                return -ENOMEM;
        if (n->u16) {
                explicit_bzero(n->u16, (size_t)n->u16cap * sizeof *n->u16);
                free(n->u16);
        }
        n->u16 = nb;
        n->u16cap = ncap;
        return 0;
}

static int tmp_reserve(struct pw_norm *n, size_t want) {
        if (n->tmpcap >= want)
                return 0;
        size_t ncap = n->tmpcap ? n->tmpcap : 256;
        while (ncap < want)
                ncap *= 2;
        char *nb = malloc(ncap);
        if (!nb)
                return -ENOMEM;
        if (n->tmp) {
                explicit_bzero(n->tmp, n->tmpcap);
                free(n->tmp);
        }
        n->tmp = nb;
        n->tmpcap = ncap;
        return 0;
}

/* ==== ICU calls ============================================================================== */

/* Normalises seg (UTF-16) with NFKC_Casefold into n->u16; returns its length or -errno. `seg`
 * must not point into n->u16. */
static int32_t nfkc_cf16(struct pw_norm *n, const UChar *seg, int32_t len) {
        for (;;) {
                UErrorCode e = U_ZERO_ERROR;
                int32_t got = unorm2_normalize(n->nfkc_cf, seg, len, n->u16, n->u16cap, &e);
                if (e == U_BUFFER_OVERFLOW_ERROR) {
                        int r = u16_reserve(n, got);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (U_FAILURE(e))
                        return icu_errno(e);
                return got;
        }
}

/* Appends the fold of UTF-16 `seg` to n->tmp at *tmplen: NFKC_Casefold, then every
 * Default_Ignorable_Code_Point dropped and every White_Space code point written as ' '. */
static int fold_segment(struct pw_norm *n, const UChar *seg, int32_t len, size_t *tmplen) {
        int32_t got = nfkc_cf16(n, seg, len);
        if (got < 0)
                return got;
        int r = tmp_reserve(n, *tmplen + (size_t)got * 3);
        if (r < 0)
                return r;
        size_t o = *tmplen;
        for (int32_t i = 0; i < got;) {
                UChar32 c;
                U16_NEXT(n->u16, i, got, c);
                if (u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
                        continue;
                if (u_isUWhiteSpace(c)) {
                        n->tmp[o++] = ' ';
                        continue;
                }
                if (U_IS_SURROGATE(c))
                        c = 0xFFFD; /* cannot come from valid input; keep the output valid */
                U8_APPEND_UNSAFE(n->tmp, o, c);
        }
        *tmplen = o;
        return 0;
}

/* The fold of one code point, through the cache: sets *ret to bytes (borrowed until the next
 * call) and returns their length, or -errno. */
static int fold_cp(struct pw_norm *n, UChar32 c, const char **ret) {
        struct fold_ent *e = &n->fold[cache_slot(c)];
        if (e->cp == c) {
                *ret = e->out;
                return e->len;
        }
        UChar s[2];
        int32_t sl = 0;
        U16_APPEND_UNSAFE(s, sl, c);
        size_t len = 0;
        int r = fold_segment(n, s, sl, &len);
        if (r < 0)
                return r;
        if (len <= FOLD_INLINE) {
                memcpy(e->out, n->tmp, len);
                e->len = (uint8_t)len;
                e->cp = c;
        }
        *ret = n->tmp;
        return (int)len;
}

/* Appends the skeleton of folded code point `c` to *dst (room for at least SKEL_INLINE
 * bytes is not assumed: the caller reserved `room`). Returns bytes written or -errno. */
static int skel_cp(struct pw_norm *n, UChar32 c, struct view *v) {
        struct skel_ent *e = &n->skel[cache_slot(c)];
        if (e->cp == c) {
                int r = view_reserve(v, e->len);
                if (r < 0)
                        return r;
                memcpy(v->buf + v->len, e->out, e->len);
                v->len += e->len;
                return e->len;
        }
        UChar s[2];
        int32_t sl = 0;
        U16_APPEND_UNSAFE(s, sl, c);
        int32_t got;
        for (;;) {
                UErrorCode err = U_ZERO_ERROR;
                got = uspoof_getSkeleton(n->spoof, 0, s, sl, n->u16, n->u16cap, &err);
                if (err == U_BUFFER_OVERFLOW_ERROR) {
                        int r = u16_reserve(n, got);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (U_FAILURE(err))
                        return icu_errno(err);
                break;
        }
        int r = view_reserve(v, (size_t)got * 3);
        if (r < 0)
                return r;
        size_t o = v->len;
        for (int32_t i = 0; i < got;) {
                UChar32 k;
                U16_NEXT(n->u16, i, got, k);
                if (U_IS_SURROGATE(k))
                        k = 0xFFFD;
                U8_APPEND_UNSAFE(v->buf, o, k);
        }
        size_t len = o - v->len;
        if (len <= SKEL_INLINE) {
                memcpy(e->out, v->buf + v->len, len);
                e->len = (uint8_t)len;
                e->cp = c;
        }
        v->len = o;
        return (int)len;
}

/* ==== emitting chunks ======================================================================== */

/* Where a chunk comes from in the source. */
struct src {
        uint32_t b; /* byte offset */
        uint32_t c; /* code point offset */
        uint32_t u; /* UTF-16 offset */
};

/* Opens the record for a chunk whose output is about to be appended at v->len. `one` says the
 * chunk is one source byte giving one output byte (an ASCII run may take it). */
static int chunk_begin(struct view *v, struct src s, int one) {
        if (one && v->run_open && v->next_b == s.b) {
                v->next_b++;
                return 0;
        }
        struct rec *r = view_push(v);
        if (!r)
                return -ENOMEM;
        *r = (struct rec){(uint32_t)v->len, s.b | (one ? REC_RUN : 0), s.c, s.u};
        v->run_open = one;
        v->next_b = s.b + 1;
        return 0;
}

/* A chunk that gave no output in this view: after a space it joins the space (a collapsed run
 * of spaces and ignorables maps to all of it), otherwise it gets an empty record so that the
 * previous record's span ends before it. */
static int chunk_empty(struct view *v, struct src s) {
        v->run_open = 0;
        if (v->len > 0 && v->buf[v->len - 1] == ' ')
                return 0;
        if (v->nrec > 0 && v->rec[v->nrec - 1].out == v->len)
                return 0; /* the previous chunk gave nothing either: one empty record */
        struct rec *r = view_push(v);
        if (!r)
                return -ENOMEM;
        *r = (struct rec){(uint32_t)v->len, s.b, s.c, s.u};
        return 0;
}

/* Emits one chunk: `fold` (`len` bytes, from fold_segment()) from source `s` spanning
 * `src_bytes` bytes, into the fold view (collapsing spaces) and, when asked, the skeleton view. */
static int emit(struct pw_norm *n, struct src s, uint32_t src_bytes, const char *fold, size_t len) {
        struct view *v = &n->v[0];
        int r = view_reserve(v, len);
        if (r < 0)
                return r;
        size_t start = v->len, o = v->len;
        int opened = 0;
        for (size_t i = 0; i < len; i++) {
                if (fold[i] == ' ' && o > 0 && v->buf[o - 1] == ' ')
                        continue;
                if (!opened) {
                        r = chunk_begin(v, s, src_bytes == 1 && len == 1);
                        if (r < 0)
                                return r;
                        opened = 1;
                }
                v->buf[o++] = fold[i];
        }
        if (!opened) {
                r = chunk_empty(v, s);
                if (r >= 0 && (n->views & PW_NORM_SKELETON))
                        r = chunk_empty(&n->v[1], s);
                return r;
        }
        v->len = o;
        if (!(n->views & PW_NORM_SKELETON))
                return 0;

        /* The skeleton of exactly what this chunk put into the fold view. */
        struct view *k = &n->v[1];
        const uint8_t *f = (const uint8_t *)v->buf;
        if (o - start == 1 && f[start] < 0x80) {
                uint8_t a = f[start];
                r = view_reserve(k, n->ascii_skel_len[a]);
                if (r < 0)
                        return r;
                r = chunk_begin(k, s, src_bytes == 1 && n->ascii_skel_len[a] == 1);
                if (r < 0)
                        return r;
                memcpy(k->buf + k->len, n->ascii_skel[a], n->ascii_skel_len[a]);
                k->len += n->ascii_skel_len[a];
                return 0;
        }
        size_t kstart = k->len;
        r = chunk_begin(k, s, 0); /* the record; dropped below if nothing came out */
        if (r < 0)
                return r;
        for (size_t i = start; i < o;) {
                UChar32 c;
                U8_NEXT_OR_FFFD(f, i, o, c);
                if (c < 0x80) {
                        r = view_reserve(k, n->ascii_skel_len[c]);
                        if (r < 0)
                                return r;
                        memcpy(k->buf + k->len, n->ascii_skel[c], n->ascii_skel_len[c]);
                        k->len += n->ascii_skel_len[c];
                        continue;
                }
                r = skel_cp(n, c, k);
                if (r < 0)
                        return r;
        }
        if (k->len == kstart) {
                k->nrec--;
                return chunk_empty(k, s);
        }
        return 0;
}

/* ==== the run ================================================================================ */

static void view_reset(struct view *v) {
        v->len = 0;
        v->nrec = 0;
        v->run_open = 0;
        v->next_b = 0;
}

/* Fold-only fast path over ASCII bytes [i, end), each its own segment with a simple fold. */
static int ascii_run(struct pw_norm *n, const uint8_t *in, size_t i, size_t end, struct src *s) {
        struct view *v = &n->v[0];
        int r = view_reserve(v, end - i);
        if (r < 0)
                return r;
        char *buf = v->buf;
        size_t o = v->len;
        for (size_t j = i; j < end; j++) {
                uint8_t t = n->ascii_fold[in[j]];
                if (t == ' ' && o > 0 && buf[o - 1] == ' ') {
                        v->run_open = 0; /* absorbed into the space before */
                        continue;
                }
                if (!v->run_open || v->next_b != j) {
                        struct rec *rec = view_push(v);
                        if (!rec) {
                                v->len = o;
                                return -ENOMEM;
                        }
                        uint32_t d = (uint32_t)(j - i);
                        *rec = (struct rec){(uint32_t)o, (uint32_t)j | REC_RUN, s->c + d, s->u + d};
                        v->run_open = 1;
                }
                v->next_b = (uint32_t)j + 1;
                buf[o++] = (char)t;
        }
        v->len = o;
        uint32_t d = (uint32_t)(end - i);
        s->b += d;
        s->c += d;
        s->u += d;
        return 0;
}

/* Reads the code point at in[*i] (U+FFFD for a maximal ill-formed subsequence), advancing *i. */
static UChar32 next_cp(const uint8_t *in, size_t len, size_t *i) {
        int32_t k = (int32_t)*i;
        UChar32 c;
        U8_NEXT_OR_FFFD(in, k, (int32_t)len, c);
        *i = (size_t)k;
        return c;
}

/* Normalises the segment starting at s->b: a code point and the following ones that have no
 * normalisation boundary before them (at most MAX_SEG), with trailing ignorables split off as
 * their own (empty) chunk so that a match just before them does not cover them. */
static int segment(struct pw_norm *n, const uint8_t *in, size_t len, struct src *s) {
        UChar seg[MAX_SEG * 2];
        int32_t sl = 0;
        uint32_t pos[MAX_SEG + 1]; /* source byte offset of each code point, and the end */
        uint8_t ign[MAX_SEG];      /* 1 when that code point is default-ignorable */
        int32_t u16at[MAX_SEG + 1];
        int ncp = 0;
        size_t i = s->b;
        for (;;) {
                pos[ncp] = (uint32_t)i;
                u16at[ncp] = sl;
                UChar32 c = next_cp(in, len, &i);
                U16_APPEND_UNSAFE(seg, sl, c);
                ign[ncp] = c >= 0x80 && u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT);
                ncp++;
                if (i >= len || in[i] < 0x80 || ncp == MAX_SEG)
                        break; /* ASCII always starts a segment: see ascii_tables() */
                size_t peek = i;
                UChar32 next = next_cp(in, len, &peek);
                if (unorm2_hasBoundaryBefore(n->nfkc_cf, next))
                        break;
        }
        pos[ncp] = (uint32_t)i;
        u16at[ncp] = sl;
        int keep = ncp;
        while (keep > 1 && ign[keep - 1])
                keep--;

        const char *fold;
        int flen;
        if (keep == 1) {
                UChar32 c;
                int32_t k = 0;
                U16_NEXT_UNSAFE(seg, k, c);
                flen = fold_cp(n, c, &fold);
        } else {
                size_t tl = 0;
                flen = fold_segment(n, seg, u16at[keep], &tl);
                if (flen >= 0)
                        flen = (int)tl;
                fold = n->tmp;
        }
        if (flen < 0)
                return flen;
        int r = emit(n, *s, pos[keep] - pos[0], fold, (size_t)flen);
        if (r < 0)
                return r;
        if (keep < ncp) {
                struct src t = {pos[keep], s->c + (uint32_t)keep, s->u + (uint32_t)u16at[keep]};
                r = emit(n, t, pos[ncp] - pos[keep], NULL, 0);
                if (r < 0)
                        return r;
        }
        s->b = (uint32_t)i;
        s->c += (uint32_t)ncp;
        s->u += (uint32_t)sl;
        return 0;
}

int pw_norm_run(struct pw_norm *n, const char *text, size_t len, unsigned views) {
        if (!n || (len && !text) || len > PW_NORM_MAX_INPUT ||
            (views & ~(unsigned)(PW_NORM_FOLD | PW_NORM_SKELETON)))
                return -EINVAL;
        views |= PW_NORM_FOLD;
        n->views = views; /* emit() reads it; cleared again on failure */
        view_reset(&n->v[0]);
        view_reset(&n->v[1]);
        int r = view_reserve(&n->v[0], len);
        if (r >= 0 && (views & PW_NORM_SKELETON))
                r = view_reserve(&n->v[1], len);
        const uint8_t *in = (const uint8_t *)text;
        struct src s = {0, 0, 0};
        while (r >= 0 && s.b < len) {
                size_t i = s.b, end = i;
                if (!(views & PW_NORM_SKELETON)) {
                        while (end < len && in[end] < 0x80 &&
                               n->ascii_fold[in[end]] != ASCII_COMPLEX)
                                end++;
                        /* The last ASCII byte before a non-ASCII one may start a longer segment. */
                        if (end < len && end > i && in[end] >= 0x80)
                                end--;
                }
                if (end > i)
                        r = ascii_run(n, in, i, end, &s);
                else
                        r = segment(n, in, len, &s);
        }
        if (r < 0) {
                n->views = 0;
                return r;
        }
        n->total_b = s.b;
        n->total_c = s.c;
        n->total_u = s.u;
        return 0;
}

/* ==== queries ================================================================================ */

static const struct view *get_view(const struct pw_norm *n, unsigned view) {
        if (!n || (view != PW_NORM_FOLD && view != PW_NORM_SKELETON) || !(n->views & view))
                return NULL;
        return &n->v[view == PW_NORM_SKELETON];
}

int pw_norm_view(const struct pw_norm *n, unsigned view, const char **ret_buf, size_t *ret_len) {
        const struct view *v = get_view(n, view);
        if (!v || !ret_buf || !ret_len)
                return -EINVAL;
        *ret_buf = v->buf ? v->buf : "";
        *ret_len = v->len;
        return 0;
}

/* Index of the record holding output byte x (< v->len): the last with out <= x. */
static size_t find_rec(const struct view *v, size_t x) {
        size_t lo = 0, hi = v->nrec; /* the answer is in [lo, hi) */
        while (hi - lo > 1) {
                size_t mid = lo + (hi - lo) / 2;
                if (v->rec[mid].out <= x)
                        lo = mid;
                else
                        hi = mid;
        }
        return lo;
}

/* Source position where record `i` begins (i == nrec: the end of the source). */
static struct src rec_src(const struct pw_norm *n, const struct view *v, size_t i) {
        if (i >= v->nrec)
                return (struct src){n->total_b, n->total_c, n->total_u};
        return (struct src){v->rec[i].byte & ~REC_RUN, v->rec[i].cp, v->rec[i].u16};
}

/* Source position where output byte x begins. */
static struct src src_start(const struct pw_norm *n, const struct view *v, size_t x) {
        size_t i = find_rec(v, x);
        struct src s = rec_src(n, v, i);
        if (v->rec[i].byte & REC_RUN) {
                uint32_t d = (uint32_t)(x - v->rec[i].out);
                s.b += d, s.c += d, s.u += d;
        }
        return s;
}

/* Source position where output byte x ends. */
static struct src src_end(const struct pw_norm *n, const struct view *v, size_t x) {
        size_t i = find_rec(v, x);
        size_t next_out = i + 1 < v->nrec ? v->rec[i + 1].out : v->len;
        if ((v->rec[i].byte & REC_RUN) && x + 1 < next_out) {
                struct src s = rec_src(n, v, i);
                uint32_t d = (uint32_t)(x + 1 - v->rec[i].out);
                s.b += d, s.c += d, s.u += d;
                return s;
        }
        return rec_src(n, v, i + 1);
}

int pw_norm_map(const struct pw_norm *n, unsigned view, size_t out_start, size_t out_end,
                struct pw_span *ret) {
        const struct view *v = get_view(n, view);
        if (!v || !ret || out_start > out_end || out_end > v->len)
                return -EINVAL;
        struct src a, b;
        if (out_start == out_end) {
                a = out_start == v->len ? rec_src(n, v, v->nrec) : src_start(n, v, out_start);
                b = a;
        } else {
                a = src_start(n, v, out_start);
                b = src_end(n, v, out_end - 1);
        }
        *ret = (struct pw_span){a.b, b.b, a.c, b.c, a.u, b.u};
        return 0;
}

/* ICU's \w: Alphabetic, Mark, Decimal_Number, Connector_Punctuation, Join_Control. */
static int is_word_cp(UChar32 c) {
        return (U_GET_GC_MASK(c) & (U_GC_M_MASK | U_GC_ND_MASK | U_GC_PC_MASK)) ||
               u_hasBinaryProperty(c, UCHAR_ALPHABETIC) ||
               u_hasBinaryProperty(c, UCHAR_JOIN_CONTROL);
}

/* Written without spaces between words (Han, kana, Thai, Lao, Khmer, Myanmar, ...). */
static int is_nospace_cp(UChar32 c) {
        int lb = u_getIntPropertyValue(c, UCHAR_LINE_BREAK);
        return lb == U_LB_IDEOGRAPHIC || lb == U_LB_CONDITIONAL_JAPANESE_STARTER ||
               lb == U_LB_COMPLEX_CONTEXT;
}

int pw_norm_is_word_boundary(const struct pw_norm *n, unsigned view, size_t offset) {
        const struct view *v = get_view(n, view);
        if (!v || offset > v->len)
                return -EINVAL;
        if (offset == 0 || offset == v->len)
                return 1;
        const uint8_t *b = (const uint8_t *)v->buf;
        if (U8_IS_TRAIL(b[offset]))
                return 0;
        if (b[offset - 1] < 0x80 && b[offset] < 0x80)
                return !(n->ascii_word[b[offset - 1]] && n->ascii_word[b[offset]]);
        UChar32 prev, next;
        int32_t p = (int32_t)offset, q = (int32_t)offset;
        U8_PREV_OR_FFFD(b, 0, p, prev);
        U8_NEXT_OR_FFFD(b, q, (int32_t)v->len, next);
        if (U_GET_GC_MASK(next) & U_GC_M_MASK)
                return 0;
        if (!is_word_cp(prev) || !is_word_cp(next))
                return 1;
        return is_nospace_cp(prev) || is_nospace_cp(next);
}

int pw_norm_term(struct pw_norm *n, const char *term, size_t len, unsigned view, char **ret,
                 size_t *ret_len) {
        if (!ret || !ret_len || (view != PW_NORM_FOLD && view != PW_NORM_SKELETON))
                return -EINVAL;
        int r = pw_norm_run(n, term, len, view);
        if (r < 0)
                return r;
        const struct view *v = get_view(n, view);
        char *copy = malloc(v->len + 1);
        if (!copy)
                return -ENOMEM;
        if (v->len)
                memcpy(copy, v->buf, v->len);
        copy[v->len] = '\0';
        *ret = copy;
        *ret_len = v->len;
        return 0;
}

/* ==== lifetime =============================================================================== */

void pw_norm_wipe(struct pw_norm *n) {
        if (!n)
                return;
        for (int i = 0; i < 2; i++) {
                if (n->v[i].buf)
                        explicit_bzero(n->v[i].buf, n->v[i].cap);
                view_reset(&n->v[i]);
        }
        if (n->u16)
                explicit_bzero(n->u16, (size_t)n->u16cap * sizeof *n->u16);
        if (n->tmp)
                explicit_bzero(n->tmp, n->tmpcap);
        n->views = 0;
}

/* Fills the per-object ASCII tables from ICU, so the fast path agrees with the general one by
 * construction: a byte keeps the fast path only when ICU folds it to one ASCII byte and it
 * starts a normalisation segment. */
static int ascii_tables(struct pw_norm *n) {
        for (int c = 0; c < 128; c++) {
                const char *f;
                int fl = fold_cp(n, c, &f);
                if (fl < 0)
                        return fl;
                /* segment() relies on every ASCII character starting a segment. */
                if (!unorm2_hasBoundaryBefore(n->nfkc_cf, c))
                        return -EIO;
                int simple = fl == 1 && (uint8_t)f[0] < 0x80;
                n->ascii_fold[c] = simple ? (uint8_t)f[0] : ASCII_COMPLEX;
                n->ascii_word[c] = (uint8_t)is_word_cp(c);

                struct view k = {0};
                int r = skel_cp(n, c, &k);
                if (r >= 0 && (size_t)r > sizeof n->ascii_skel[c])
                        r = -EIO; /* never seen; refuse rather than truncate */
                if (r > 0)
                        memcpy(n->ascii_skel[c], k.buf, (size_t)r);
                free(k.buf);
                if (r < 0)
                        return r;
                n->ascii_skel_len[c] = (uint8_t)r;
        }
        return 0;
}

struct pw_norm *pw_norm_new(void) {
        struct pw_norm *n = calloc(1, sizeof *n);
        if (!n)
                return NULL;
        for (size_t i = 0; i < (1u << CACHE_BITS); i++) {
                n->fold[i].cp = -1;
                n->skel[i].cp = -1;
        }
        UErrorCode e = U_ZERO_ERROR;
        n->nfkc_cf = unorm2_getNFKCCasefoldInstance(&e);
        if (U_SUCCESS(e))
                n->spoof = uspoof_open(&e);
        if (U_FAILURE(e) || u16_reserve(n, 64) < 0 || ascii_tables(n) < 0)
                return pw_norm_free(n);
        return n;
}

struct pw_norm *pw_norm_free(struct pw_norm *n) {
        if (!n)
                return NULL;
        pw_norm_wipe(n);
        for (int i = 0; i < 2; i++) {
                free(n->v[i].buf);
                free(n->v[i].rec);
        }
        free(n->u16);
        free(n->tmp);
        if (n->spoof)
                uspoof_close(n->spoof);
        explicit_bzero(n, sizeof *n);
        free(n);
        return NULL;
}
