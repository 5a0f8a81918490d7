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

#define REC_BYTE      0x00FFFFFFu /* in rec.byte: the source offset (< PW_NORM_MAX_INPUT) */
#define MAX_SEG       32          /* code points per segment; longer ones are split (stream-safe) */
#define CACHE_BITS    10          /* 1024 entries per cache */
#define FOLD_INLINE   22          /* longest cached fold of one code point, bytes */
#define SKEL_INLINE   18          /* longest cached skeleton of one code point, bytes */
#define ASCII_COMPLEX 0x80        /* in ascii_fold: this byte takes the general path */

typedef uint8_t v16u __attribute__((vector_size(16))); /* 16 bytes, GCC/Clang vectors */

/* A run record covers consecutive chunks of one shape, each one source code point of `sb` bytes
 * and `uw` UTF-16 units that gave `ob` output bytes (ASCII: 1, 1, 1; a CJK ideograph: 3, 3, 1),
 * so homogeneous text needs one record, not one per character. The shape is kept in the top
 * byte of rec.byte; 0 means a plain record (one chunk). */
#define SHAPE(sb, ob, uw)                                                                          \
        (0x80000000u | ((uint32_t)(sb)-1) << 29 | ((uint32_t)(uw)-1) << 28 | (uint32_t)(ob) << 24)
#define SHAPE_SB(sh) ((((sh) >> 29) & 3u) + 1)
#define SHAPE_UW(sh) ((((sh) >> 28) & 1u) + 1)
#define SHAPE_OB(sh) (((sh) >> 24) & 15u)
#define SHAPE_ASCII  SHAPE(1, 1, 1)

/* The shape of a chunk of `sb` source bytes that is one code point of `uw` UTF-16 units (uw 0:
 * not a single code point) and gave `ob` output bytes; 0 when no run can hold it. */
static inline uint32_t shape_of(uint32_t sb, size_t ob, int uw) {
        if (uw < 1 || uw > 2 || sb < 1 || sb > 4 || ob < 1 || ob > 15)
                return 0;
        return SHAPE(sb, ob, uw);
}

/* One map record: output bytes from `out` up to the next record's `out` come from the source
 * characters from here up to the next record's source position. */
struct rec {
        uint32_t out;  /* first output byte of the record */
        uint32_t byte; /* source byte offset (REC_BYTE bits), the run's shape in the top byte */
        uint32_t cp;   /* source code point offset */
        uint32_t u16;  /* source UTF-16 offset */
};

/* One output view and its map. */
struct view {
        char *buf;          /* output bytes (draft text: wiped when freed or grown) */
        size_t len;         /* bytes used in buf */
        size_t cap;         /* bytes allocated in buf */
        struct rec *rec;    /* map records, sorted by out */
        size_t nrec;        /* records used */
        size_t rcap;        /* records allocated */
        uint32_t run_shape; /* shape of the last record when it is a run that may grow, or 0 */
        uint32_t next_b;    /* source byte that would extend that run */
};

/* Cached fold of one source code point: UTF-8, ignorables removed, White_Space as ' '. */
struct fold_ent {
        int32_t cp;             /* the source code point, -1 when empty */
        uint8_t bb;             /* unorm2_hasBoundaryBefore(cp) */
        uint8_t plain;          /* the fold is not empty and holds no space */
        uint8_t len;            /* bytes in out */
        int8_t klen;            /* bytes in skel; -1: not computed yet or too long */
        char out[FOLD_INLINE];  /* the fold */
        char skel[SKEL_INLINE]; /* the skeleton of the fold, once computed */
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
        unsigned views;          /* views of the run in progress or the last good one; 0: none */
        struct view v[2];        /* [0] FOLD, [1] SKELETON */
        uint32_t total_b;        /* source length in bytes */
        uint32_t total_c;        /* source length in code points */
        uint32_t total_u;        /* source length in UTF-16 units */
        UChar *u16;              /* scratch for ICU calls */
        int32_t u16cap;          /* UChars allocated in u16 */
        char *tmp;               /* scratch: the fold of one segment */
        size_t tmpcap;           /* bytes allocated in tmp */
        uint8_t ascii_fold[128]; /* fold of each ASCII byte (ASCII_COMPLEX: general path) */
        uint8_t ascii_word[128]; /* 1 when the ASCII character is a word character */
        int simd_ok;             /* 1 when fold16() gives ascii_fold for every ASCII byte */
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
static int view_grow(struct view *v, size_t more) {
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

static inline int view_reserve(struct view *v, size_t more) {
        return v->cap - v->len >= more ? 0 : view_grow(v, more);
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
                e->bb = (uint8_t)unorm2_hasBoundaryBefore(n->nfkc_cf, c);
                e->plain = len > 0 && !memchr(e->out, ' ', len);
                e->klen = -1;
                e->cp = c;
        }
        *ret = n->tmp;
        return (int)len;
}

/* Appends the skeleton of folded code point `c` (through the cache) to v->buf, reserving room
 * itself. Returns the bytes written or -errno. */
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

/* Opens the record for a chunk whose output is about to be appended at v->len, or extends the
 * last record when it is a run of the same `shape` (0: the chunk cannot be part of a run) and
 * the chunk follows it directly in the source. */
static inline int chunk_begin(struct view *v, struct src s, uint32_t shape) {
        if (shape && v->run_shape == shape && v->next_b == s.b) {
                v->next_b += SHAPE_SB(shape);
                return 0;
        }
        struct rec *r = view_push(v);
        if (!r)
                return -ENOMEM;
        *r = (struct rec){(uint32_t)v->len, s.b | shape, s.c, s.u};
        v->run_shape = shape;
        v->next_b = s.b + (shape ? SHAPE_SB(shape) : 0);
        return 0;
}

/* A chunk that gave no output in this view: after a space it joins the space (a collapsed run
 * of spaces and ignorables maps to all of it), otherwise it gets an empty record so that the
 * previous record's span ends before it. */
static int chunk_empty(struct view *v, struct src s) {
        v->run_shape = 0;
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

/* Emits the skeleton chunk of the fold bytes f[0..len) (len > 0) that one chunk from source `s`
 * spanning `src_bytes` bytes (one code point of `uw` UTF-16 units, or uw 0) put into the fold
 * view. */
static int emit_skel(struct pw_norm *n, struct src s, uint32_t src_bytes, int uw, const uint8_t *f,
                     size_t len) {
        struct view *k = &n->v[1];
        int r;
        if (len == 1 && f[0] < 0x80) {
                uint8_t a = f[0], kl = n->ascii_skel_len[a];
                if (kl == 0)
                        return chunk_empty(k, s);
                r = view_reserve(k, kl);
                if (r >= 0)
                        r = chunk_begin(k, s, shape_of(src_bytes, kl, uw));
                if (r < 0)
                        return r;
                memcpy(k->buf + k->len, n->ascii_skel[a], kl);
                k->len += kl;
                return 0;
        }
        size_t kstart = k->len;
        r = chunk_begin(k, s, 0); /* the record; dropped below if nothing came out */
        if (r < 0)
                return r;
        for (size_t i = 0; i < len;) {
                UChar32 c;
                U8_NEXT_OR_FFFD(f, i, len, c);
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

/* Emits one chunk: `fold` (`len` bytes, from fold_segment()) from source `s` spanning
 * `src_bytes` bytes (one code point of `uw` UTF-16 units, or uw 0), into the fold view
 * (collapsing spaces) and, when asked, the skeleton view. */
static int emit(struct pw_norm *n, struct src s, uint32_t src_bytes, int uw, const char *fold,
                size_t len) {
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
                        /* a one-byte fold is emitted whole or not at all */
                        r = chunk_begin(v, s, len == 1 ? shape_of(src_bytes, 1, uw) : 0);
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
        return emit_skel(n, s, src_bytes, uw, (const uint8_t *)v->buf + start, o - start);
}

/* Emits the segment of one code point `c` from source `s` spanning `src_bytes` bytes: from the
 * cache, with its skeleton cached too, when its fold is plain (no space to collapse). */
static int emit_cp(struct pw_norm *n, struct src s, uint32_t src_bytes, UChar32 c) {
        struct fold_ent *e = &n->fold[cache_slot(c)];
        if (e->cp != c) {
                const char *fold;
                int flen = fold_cp(n, c, &fold);
                if (flen < 0)
                        return flen;
                if (e->cp != c) /* too long to cache */
                        return emit(n, s, src_bytes, U16_LENGTH(c), fold, (size_t)flen);
        }
        if (!e->plain)
                return emit(n, s, src_bytes, U16_LENGTH(c), e->out, e->len);
        struct view *v = &n->v[0];
        int r = view_reserve(v, e->len);
        if (r >= 0)
                r = chunk_begin(v, s, shape_of(src_bytes, e->len, U16_LENGTH(c)));
        if (r < 0)
                return r;
        memcpy(v->buf + v->len, e->out, e->len);
        v->len += e->len;
        if (!(n->views & PW_NORM_SKELETON))
                return 0;
        struct view *k = &n->v[1];
        if (e->klen > 0) {
                r = view_reserve(k, (size_t)e->klen);
                if (r >= 0)
                        r = chunk_begin(k, s, shape_of(src_bytes, (size_t)e->klen, U16_LENGTH(c)));
                if (r < 0)
                        return r;
                memcpy(k->buf + k->len, e->skel, (size_t)e->klen);
                k->len += (size_t)e->klen;
                return 0;
        }
        size_t kstart = k->len;
        r = emit_skel(n, s, src_bytes, U16_LENGTH(c), (const uint8_t *)e->out, e->len);
        if (r < 0)
                return r;
        size_t kl = k->len - kstart; /* skel_cp() does not touch the fold cache: e is valid */
        if (kl > 0 && kl <= SKEL_INLINE) {
                memcpy(e->skel, k->buf + kstart, kl);
                e->klen = (int8_t)kl;
        }
        return 0;
}

/* ==== the run ================================================================================ */

static void view_reset(struct view *v) {
        v->len = 0;
        v->nrec = 0;
        v->run_shape = 0;
        v->next_b = 0;
}

/* The fold of 16 ASCII bytes at once: A-Z lowered, the ASCII White_Space controls (TAB, LF, VT,
 * FF, CR) made ' '. Used only when ascii_tables() found it equal to ICU's fold of every ASCII
 * byte (n->simd_ok). */
static inline v16u fold16(v16u c) {
        v16u up = (v16u)((v16u)(c - (uint8_t)'A') < (uint8_t)26);
        v16u ws = (v16u)((v16u)(c - (uint8_t)9) < (uint8_t)5);
        v16u t = c + (up & (uint8_t)32);
        return (t & ~ws) | (ws & (uint8_t)' ');
}

static inline int v16_any(v16u x) {
        uint64_t a[2];
        memcpy(a, &x, sizeof a);
        return (a[0] | a[1]) != 0;
}

/* Source position of byte j of an ASCII run that starts at s (one unit per byte). */
static inline struct src ascii_src(const struct src *s, size_t i, size_t j) {
        uint32_t d = (uint32_t)(j - i);
        return (struct src){s->b + d, s->c + d, s->u + d};
}

/* Fast path over ASCII bytes [i, end) starting at source position *s, each its own segment with
 * a one-byte fold: whole 16-byte blocks are folded and copied at once when they hold no run of
 * spaces; the skeleton view, when asked, takes each byte's skeleton from the ASCII table. */
static int ascii_run(struct pw_norm *n, const uint8_t *in, size_t i, size_t end, struct src *s) {
        struct view *v = &n->v[0];
        int r = view_reserve(v, end - i);
        if (r < 0)
                return r;
        uint8_t before = v->len > 0 ? (uint8_t)v->buf[v->len - 1] : 0; /* for the skeleton */
        size_t j = i;
        while (j < end) {
                /* Blocks need the byte before them in this run to see a space run coming in. */
                if (n->simd_ok && j > i && j + 16 <= end) {
                        v16u c, p;
                        memcpy(&c, in + j, 16);
                        memcpy(&p, in + j - 1, 16);
                        v16u t = fold16(c);
                        v16u sp = (v16u)(t == (uint8_t)' ') & (v16u)(fold16(p) == (uint8_t)' ');
                        if (!v16_any(sp)) {
                                r = chunk_begin(v, ascii_src(s, i, j), SHAPE_ASCII);
                                if (r < 0)
                                        return r;
                                v->next_b = (uint32_t)(s->b + (j - i) + 16);
                                memcpy(v->buf + v->len, &t, 16);
                                v->len += 16;
                                j += 16;
                                continue;
                        }
                }
                size_t stop = j + 16 < end ? j + 16 : end;
                for (; j < stop; j++) {
                        uint8_t t = n->ascii_fold[in[j]];
                        if (t == ' ' && v->len > 0 && v->buf[v->len - 1] == ' ') {
                                v->run_shape = 0; /* absorbed into the space before */
                                continue;
                        }
                        r = chunk_begin(v, ascii_src(s, i, j), SHAPE_ASCII);
                        if (r < 0)
                                return r;
                        v->buf[v->len++] = (char)t;
                }
        }

        if (n->views & PW_NORM_SKELETON) {
                /* Mirrors emit(): a byte the fold absorbed gives an empty skeleton chunk. */
                struct view *k = &n->v[1];
                uint8_t prev = before;
                for (j = i; j < end; j++) {
                        uint8_t t = n->ascii_fold[in[j]];
                        uint8_t kl = n->ascii_skel_len[t];
                        if ((j - i) % 16 == 0) {
                                r = view_reserve(k, 16 * sizeof n->ascii_skel[0]);
                                if (r < 0)
                                        return r;
                        }
                        if (kl == 1 && k->run_shape == SHAPE_ASCII && k->next_b == s->b + (j - i) &&
                            !(t == ' ' && prev == ' ')) {
                                /* the common case: extend the run by one byte */
                                k->buf[k->len++] = n->ascii_skel[t][0];
                                k->next_b++;
                                prev = t;
                                continue;
                        }
                        struct src at = ascii_src(s, i, j);
                        if ((t == ' ' && prev == ' ') || kl == 0) {
                                r = chunk_empty(k, at);
                                if (r < 0)
                                        return r;
                                prev = t;
                                continue;
                        }
                        prev = t;
                        r = chunk_begin(k, at, shape_of(1, kl, 1));
                        if (r < 0)
                                return r;
                        memcpy(k->buf + k->len, n->ascii_skel[t], kl);
                        k->len += kl;
                }
        }
        *s = ascii_src(s, i, end);
        return 0;
}

/* Reads the code point at in[*i] (U+FFFD for a maximal ill-formed subsequence), advancing *i. */
static inline UChar32 next_cp(const uint8_t *in, size_t len, size_t *i) {
        int32_t k = (int32_t)*i;
        UChar32 c;
        U8_NEXT_OR_FFFD(in, k, (int32_t)len, c);
        *i = (size_t)k;
        return c;
}

/* Reads the code point at in[i] without advancing. */
static inline UChar32 peek_cp(const uint8_t *in, size_t len, size_t i) {
        return next_cp(in, len, &i);
}

/* unorm2_hasBoundaryBefore(c), from the fold cache when c is there. */
static inline int has_bb(const struct pw_norm *n, UChar32 c) {
        const struct fold_ent *e = &n->fold[cache_slot(c)];
        return e->cp == c ? e->bb : unorm2_hasBoundaryBefore(n->nfkc_cf, c);
}

/* Normalises segments from s->b on, until the next byte is ASCII or a segment is done that had
 * more than one code point. A segment is a code point and the following ones that have no
 * normalisation boundary before them (at most MAX_SEG); its trailing ignorables are split off
 * as their own (empty) chunk so that a match just before them does not cover them. */
static int segment(struct pw_norm *n, const uint8_t *in, size_t len, struct src *s) {
        size_t i = s->b;
        UChar32 c0 = next_cp(in, len, &i);
        /* Nearly every segment is one code point: the next one starts a segment. ASCII always
         * starts one (ascii_tables() checks it). */
        for (;;) {
                int r;
                if (i >= len || in[i] < 0x80) {
                        r = emit_cp(n, *s, (uint32_t)(i - s->b), c0);
                        if (r < 0)
                                return r;
                        s->b = (uint32_t)i;
                        s->c++;
                        s->u += (uint32_t)U16_LENGTH(c0);
                        return 0;
                }
                size_t j = i;
                UChar32 next = next_cp(in, len, &j);
                if (!has_bb(n, next))
                        break;
                r = emit_cp(n, *s, (uint32_t)(i - s->b), c0);
                if (r < 0)
                        return r;
                s->b = (uint32_t)i;
                s->c++;
                s->u += (uint32_t)U16_LENGTH(c0);
                c0 = next;
                i = j;
        }

        UChar seg[MAX_SEG * 2];
        int32_t sl = 0;
        uint32_t pos[MAX_SEG + 1];  /* source byte offset of each code point, and the end */
        int32_t u16at[MAX_SEG + 1]; /* UTF-16 offset in seg of each code point, and the end */
        uint8_t ign[MAX_SEG];       /* 1 when that code point is default-ignorable */
        pos[0] = s->b;
        u16at[0] = 0;
        U16_APPEND_UNSAFE(seg, sl, c0);
        ign[0] = 0; /* the first code point is never split off */
        int ncp = 1;
        for (;;) {
                pos[ncp] = (uint32_t)i;
                u16at[ncp] = sl;
                UChar32 c = next_cp(in, len, &i);
                U16_APPEND_UNSAFE(seg, sl, c);
                ign[ncp] = (uint8_t)u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT);
                ncp++;
                if (i >= len || in[i] < 0x80 || ncp == MAX_SEG)
                        break;
                size_t j = i;
                if (has_bb(n, next_cp(in, len, &j)))
                        break;
        }
        pos[ncp] = (uint32_t)i;
        u16at[ncp] = sl;
        int keep = ncp;
        while (keep > 1 && ign[keep - 1])
                keep--;

        size_t tl = 0;
        int r = fold_segment(n, seg, u16at[keep], &tl);
        if (r < 0)
                return r;
        r = emit(n, *s, pos[keep] - pos[0], 0, n->tmp, tl);
        if (r < 0)
                return r;
        if (keep < ncp) {
                struct src t = {pos[keep], s->c + (uint32_t)keep, s->u + (uint32_t)u16at[keep]};
                r = emit(n, t, pos[ncp] - pos[keep], 0, NULL, 0);
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
                if (n->simd_ok) /* then no ASCII byte is ASCII_COMPLEX */
                        while (end + 16 <= len) {
                                v16u c;
                                memcpy(&c, in + end, 16);
                                if (v16_any(c & (uint8_t)0x80))
                                        break;
                                end += 16;
                        }
                while (end < len && in[end] < 0x80 && n->ascii_fold[in[end]] != ASCII_COMPLEX)
                        end++;
                /* The last ASCII byte before a non-ASCII one starts a longer segment when
                 * that one has no boundary before it (a combining mark, say). */
                if (end < len && end > i && in[end] >= 0x80 && !has_bb(n, peek_cp(in, len, end)))
                        end--;
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
        return (struct src){v->rec[i].byte & REC_BYTE, v->rec[i].cp, v->rec[i].u16};
}

/* Source position of chunk `k` of run record `i` (shape `sh`). */
static struct src run_src(const struct pw_norm *n, const struct view *v, size_t i, uint32_t sh,
                          uint32_t k) {
        struct src s = rec_src(n, v, i);
        s.b += k * SHAPE_SB(sh);
        s.c += k;
        s.u += k * SHAPE_UW(sh);
        return s;
}

/* Source position where output byte x begins. */
static struct src src_start(const struct pw_norm *n, const struct view *v, size_t x) {
        size_t i = find_rec(v, x);
        uint32_t sh = v->rec[i].byte & ~REC_BYTE;
        if (!sh)
                return rec_src(n, v, i);
        return run_src(n, v, i, sh, (uint32_t)(x - v->rec[i].out) / SHAPE_OB(sh));
}

/* Source position where output byte x ends. */
static struct src src_end(const struct pw_norm *n, const struct view *v, size_t x) {
        size_t i = find_rec(v, x);
        size_t next_out = i + 1 < v->nrec ? v->rec[i + 1].out : v->len;
        uint32_t sh = v->rec[i].byte & ~REC_BYTE;
        if (sh) {
                uint32_t k = (uint32_t)(x - v->rec[i].out) / SHAPE_OB(sh) + 1;
                if (v->rec[i].out + (size_t)k * SHAPE_OB(sh) < next_out)
                        return run_src(n, v, i, sh, k); /* not the run's last chunk */
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
        /* The 16-byte fast path computes the fold arithmetically: use it only when it gives
         * ICU's answer for every ASCII byte. */
        n->simd_ok = 1;
        for (int c = 0; c < 128; c += 16) {
                v16u in, out;
                for (int k = 0; k < 16; k++)
                        in[k] = (uint8_t)(c + k);
                out = fold16(in);
                for (int k = 0; k < 16; k++)
                        if (out[k] != n->ascii_fold[c + k])
                                n->simd_ok = 0;
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
