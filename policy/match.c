/* The matcher: every term and regex of a policy in vectorscan databases, compiled once and
 * cached on disk, scanned over the normalised text with per-thread state.
 *
 * Design (measured numbers in docs/policy.md):
 *  - One literal database for all terms, context words and allow-terms (hs_compile_lit_multi:
 *    no escaping, NUL-safe), scanned over the SKELETON view so case, width, ligatures, invisible
 *    characters and confusable letters do not hide a term; one regex database for all regexes,
 *    scanned over the FOLD view (case-folded, but digits and letters keep their identity).
 *    Not one database per mode: 100k terms usually apply in every mode, and three copies of a
 *    15 MB database would break the 50 MB memory budget. Each pattern id maps to "owners"
 *    (rule + kind), and the callback drops owners whose rule does not apply in the mode.
 *  - No \b in patterns (compiling 10k terms with \b took 16 s here): whole-word checks run in
 *    the callback on the view, a literal's start being end - length. No HS_FLAG_SINGLEMATCH
 *    (an earlier in-word hit would hide a later whole-word one). Regexes use SOM_LEFTMOST,
 *    which reports once per end offset: hits of one owner that overlap are merged.
 *  - Cache: <cache_dir>/policy-<key>.hsdb, key = SHA-256 of the policy's content hash,
 *    hs_version(), the ICU version and this file's format number. The file carries a BLAKE2b-256
 *    checksum of its tables; the databases carry vectorscan's own CRC32C, which
 *    hs_deserialize_database_at() checks (hashing the 9 MB of databases a second time was a
 *    fifth of a cold start). A file that is short, stale, corrupt or that vectorscan refuses is
 *    ignored and rebuilt (written to a temporary file and renamed into place).
 *  - Loading: a database is deserialised into an anonymous mapping advised to use transparent
 *    huge pages, so the 9 MB copy takes a handful of page faults instead of 2,000 (the faults
 *    were another fifth of a cold start on a VM).
 *  - Threads: a pool of idle workers (normaliser + scratch), taken and returned under a mutex;
 *    a check that finds the pool empty makes a new worker (hs_clone_scratch). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hs.h>
#include <sodium.h>
#include <unicode/uversion.h>

#include "match.h"
#include "normalize.h"
#include "policy_internal.h"
#include "terms.h"

#define FORMAT_VERSION 2u /* 2: checksum covers the tables only */
#define CACHE_MAGIC    "PWHSDB2"

struct pw_matcher {
        hs_database_t *lit_db;  /* literals over the SKELETON view, or NULL when none */
        hs_database_t *re_db;   /* regexes over the FOLD view, or NULL when none */
        size_t lit_map, re_map; /* bytes mapped for a database loaded from the cache; 0: the
                                 * database came from hs_compile* (freed with hs_free_database) */
        uint32_t n_lits;        /* pattern ids [0, n_lits) are literals */
        uint32_t n_pat;         /* ids [n_lits, n_pat) are regexes */
        uint32_t *len;          /* bytes of literal id in the SKELETON view */
        uint32_t *owner_start;  /* owners of id: owners[owner_start[id] .. owner_start[id+1]) */
        uint32_t *owners;       /* (index << 2) | enum pw_owner_kind */
        uint32_t n_owners;      /* entries in owners */
        uint32_t n_slots;       /* distinct owner values: per-scan state size */
        hs_scratch_t *proto;    /* scratch to clone for new workers */
        pthread_mutex_t lock;   /* protects pool */
        struct pw_worker *pool; /* idle workers */
        struct pw_compile_info info; /* how it was built, for postwardenctl and benchmarks */
};

/* ---- owners --------------------------------------------------------------------------------- */

static inline uint32_t own(uint32_t index, enum pw_owner_kind k) {
        return index << 2 | (uint32_t)k;
}

/* ---- building ------------------------------------------------------------------------------- */

struct builder {
        struct pw_strv pats;       /* normalised literals, unique */
        uint32_t *slots;           /* hash table of pats: id + 1, 0 empty */
        size_t n_slots;            /* power of two */
        uint64_t *pairs;           /* (id << 32) | owner */
        size_t n_pairs, cap_pairs; /* used and allocated entries of pairs */
        struct pw_norm *norm;      /* for terms */
};

static uint64_t hash_bytes(const char *s, size_t n) {
        uint64_t h = 1469598103934665603ull; /* FNV-1a */
        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
        return h;
}

static int grow_table(struct builder *b) {
        size_t n = b->n_slots ? b->n_slots * 2 : 1024;
        uint32_t *t = calloc(n, sizeof *t);
        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < b->pats.n; i++) {
                size_t h = hash_bytes(pw_strv_get(&b->pats, i), b->pats.slen[i]) & (n - 1);
                while (t[h])
                        h = (h + 1) & (n - 1);
                t[h] = (uint32_t)i + 1;
        }
        free(b->slots);
        b->slots = t;
        b->n_slots = n;
        return 0;
}

static int add_pair(struct builder *b, uint32_t id, uint32_t owner) {
        if (b->n_pairs == b->cap_pairs) {
                size_t n = b->cap_pairs ? b->cap_pairs * 2 : 1024;
                uint64_t *v = realloc(b->pairs, n * sizeof *v);
                if (!v)
                        return -ENOMEM;
                b->pairs = v;
                b->cap_pairs = n;
        }
        b->pairs[b->n_pairs++] = (uint64_t)id << 32 | owner;
        return 0;
}

/* Normalises `s` and returns its literal id in *ret_id (new or existing). -EINVAL when it
 * normalises to nothing. */
static int add_literal(struct builder *b, const char *s, size_t len, uint32_t *ret_id) {
        char *norm;
        size_t nlen;
        int r = pw_norm_term(b->norm, s, len, PW_NORM_SKELETON, &norm, &nlen);
        if (r < 0)
                return r == -EINVAL ? -EIO : r;
        if (nlen == 0) {
                free(norm);
                return -EINVAL;
        }
        if ((b->pats.n + 1) * 2 > b->n_slots && (r = grow_table(b)) < 0) {
                free(norm);
                return r;
        }
        size_t h = hash_bytes(norm, nlen) & (b->n_slots - 1);
        while (b->slots[h]) {
                uint32_t id = b->slots[h] - 1;
                if (b->pats.slen[id] == nlen && !memcmp(pw_strv_get(&b->pats, id), norm, nlen)) {
                        free(norm);
                        *ret_id = id;
                        return 0;
                }
                h = (h + 1) & (b->n_slots - 1);
        }
        r = pw_strv_add(&b->pats, norm, nlen, 0);
        free(norm);
        if (r < 0)
                return r;
        b->slots[h] = (uint32_t)b->pats.n;
        *ret_id = (uint32_t)b->pats.n - 1;
        return 0;
}

/* Adds every string of `v` with `owner`; ids of a term list go to `ids` when non-NULL. */
static int add_strings(struct builder *b, const struct pw_src *src, const struct pw_strv *v,
                       uint32_t owner, bool with_owner, uint32_t *ids, const char *rule,
                       struct pw_error *err) {
        for (size_t i = 0; i < v->n; i++) {
                uint32_t id;
                int r = add_literal(b, pw_strv_get(v, i), v->slen[i], &id);
                if (r == -EINVAL)
                        return pw_strv_error(src, v, i, rule, err,
                                             "term \"%.60s\" has nothing to match after "
                                             "normalisation (only invisible characters)",
                                             pw_strv_get(v, i));
                if (r == -EIO)
                        return pw_strv_error(src, v, i, rule, err,
                                             "term \"%.60s\" cannot be normalised",
                                             pw_strv_get(v, i));
                if (r < 0)
                        return r;
                if (ids)
                        ids[i] = id;
                if (with_owner && (r = add_pair(b, id, owner)) < 0)
                        return r;
        }
        return 0;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

/* Fills the pattern tables of `m` from the builder: lengths and owners (sorted, unique). */
static int make_tables(struct pw_matcher *m, struct builder *b, uint32_t n_regex) {
        m->n_lits = (uint32_t)b->pats.n;
        m->n_pat = m->n_lits + n_regex;
        if (b->n_pairs > 1)
                qsort(b->pairs, b->n_pairs, sizeof *b->pairs, cmp_u64);
        size_t u = 0;
        for (size_t i = 0; i < b->n_pairs; i++)
                if (u == 0 || b->pairs[i] != b->pairs[u - 1])
                        b->pairs[u++] = b->pairs[i];
        b->n_pairs = u;
        m->len = calloc(m->n_pat + 1, sizeof *m->len);
        m->owner_start = calloc(m->n_pat + 1, sizeof *m->owner_start);
        m->owners = calloc(u + 1, sizeof *m->owners);
        if (!m->len || !m->owner_start || !m->owners)
                return -ENOMEM;
        for (uint32_t i = 0; i < m->n_lits; i++)
                m->len[i] = b->pats.slen[i];
        size_t k = 0;
        for (uint32_t id = 0; id < m->n_pat; id++) {
                m->owner_start[id] = (uint32_t)k;
                while (k < u && (uint32_t)(b->pairs[k] >> 32) == id) {
                        m->owners[k] = (uint32_t)b->pairs[k];
                        k++;
                }
        }
        m->owner_start[m->n_pat] = (uint32_t)k;
        m->n_owners = (uint32_t)k;
        return 0;
}

/* ---- the cache file ------------------------------------------------------------------------- */

struct cache_header {
        char magic[8];           /* CACHE_MAGIC */
        uint8_t key[32];         /* cache key (see top of file) */
        uint8_t payload_sum[32]; /* BLAKE2b-256 of the tables (the payload before the databases) */
        uint64_t payload_len;    /* bytes after the header */
};

static void cache_key(const struct pw_policy *p, uint8_t key[32]) {
        crypto_hash_sha256_state st;
        crypto_hash_sha256_init(&st);
        const uint32_t fmt = FORMAT_VERSION;
        crypto_hash_sha256_update(&st, p->hash, sizeof p->hash);
        crypto_hash_sha256_update(&st, (const unsigned char *)&fmt, sizeof fmt);
        const char *hv = hs_version();
        crypto_hash_sha256_update(&st, (const unsigned char *)hv, strlen(hv) + 1);
        static const char icu[] = U_ICU_VERSION;
        crypto_hash_sha256_update(&st, (const unsigned char *)icu, sizeof icu);
        crypto_hash_sha256_final(&st, key);
}

static void cache_path(const char *dir, const uint8_t key[32], char *buf, size_t size) {
        char hex[33];
        sodium_bin2hex(hex, sizeof hex, key, 16);
        snprintf(buf, size, "%s/policy-%s.hsdb", dir, hex);
}

/* A cursor over the mapped payload that refuses to read past its end. */
struct reader {
        const uint8_t *p; /* next byte */
        size_t left;      /* bytes left */
};

static const void *take(struct reader *r, size_t n) {
        if (n > r->left)
                return NULL;
        const void *at = r->p;
        r->p += n;
        r->left -= n;
        return at;
}

static int take_u32s(struct reader *r, uint32_t **ret, size_t n) {
        if (n > SIZE_MAX / 4)
                return -EBADMSG;
        const void *at = take(r, n * 4);
        if (!at)
                return -EBADMSG;
        uint32_t *v = malloc(n * 4 + 4);
        if (!v)
                return -ENOMEM;
        pw_prefault(v, n * 4);
        memcpy(v, at, n * 4);
        *ret = v;
        return 0;
}

#define HUGE_PAGE ((size_t)2 << 20)

/* Frees a database: unmaps one loaded by db_load (map_len > 0), else hs_free_database. */
static void db_free(hs_database_t *db, size_t map_len) {
        if (db && map_len)
                munmap(db, map_len);
        else
                hs_free_database(db);
}

/* Deserialises `len` bytes into a fresh anonymous mapping, aligned and advised for transparent
 * huge pages when it is large enough. *ret_map receives the mapping's length. */
static int db_load(const char *bytes, size_t len, hs_database_t **ret, size_t *ret_map) {
        size_t need = 0;
        if (hs_serialized_database_size(bytes, len, &need) != HS_SUCCESS || need == 0)
                return -EBADMSG;
        size_t map_len = need >= HUGE_PAGE ? (need + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1) : need;
        size_t slack = need >= HUGE_PAGE ? HUGE_PAGE : 0;
        uint8_t *raw = mmap(NULL, map_len + slack, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (raw == MAP_FAILED)
                return -ENOMEM;
        uint8_t *at = raw;
        if (slack) { /* keep the 2 MiB-aligned part, give back the rest */
                at = (uint8_t *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
                size_t head = (size_t)(at - raw), tail = slack - head;
                if (head)
                        munmap(raw, head);
                if (tail)
                        munmap(at + map_len, tail);
                (void)madvise(at, map_len, MADV_HUGEPAGE); /* a hint: fine if refused */
        }
        /* vectorscan checks the platform, version and its own CRC of the bytecode */
        if (hs_deserialize_database_at(bytes, len, (hs_database_t *)at) != HS_SUCCESS) {
                munmap(at, map_len);
                return -EBADMSG;
        }
        *ret = (hs_database_t *)at;
        *ret_map = map_len;
        return 0;
}

static int take_db(struct reader *r, hs_database_t **ret, size_t *ret_map) {
        const uint64_t *n = take(r, 8);
        if (!n)
                return -EBADMSG;
        uint64_t len;
        memcpy(&len, n, 8);
        if (len == 0) {
                *ret = NULL;
                return 0;
        }
        const char *bytes = take(r, len);
        if (!bytes)
                return -EBADMSG;
        return db_load(bytes, len, ret, ret_map);
}

/* Checks the tables read from a cache file against the policy they claim to describe. */
static int check_tables(const struct pw_policy *p, const struct pw_matcher *m) {
        if (m->owner_start[0] != 0 || m->owner_start[m->n_pat] != m->n_owners)
                return -EBADMSG;
        for (uint32_t id = 0; id < m->n_pat; id++) {
                if (m->owner_start[id] > m->owner_start[id + 1])
                        return -EBADMSG;
                if (id < m->n_lits && (m->len[id] == 0 || m->len[id] > 64 * PW_TERM_MAX))
                        return -EBADMSG;
        }
        for (uint32_t id = 0; id < m->n_pat; id++)
                for (uint32_t k = m->owner_start[id]; k < m->owner_start[id + 1]; k++) {
                        uint32_t o = m->owners[k], idx = o >> 2, kind = o & 3;
                        bool regex = id >= m->n_lits;
                        if (regex != (kind == PW_OWN_REGEX))
                                return -EBADMSG;
                        if (kind == PW_OWN_ALLOW ? idx >= p->n_exceptions : idx >= p->n_rules)
                                return -EBADMSG;
                }
        return 0;
}

/* Loads the matcher from `path` into `m`; any problem gives a negative errno and a matcher to
 * rebuild. */
static int cache_load(const struct pw_policy *p, struct pw_matcher *m, const char *path,
                      const uint8_t key[32]) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
            (size_t)st.st_size < sizeof(struct cache_header)) {
                close(fd);
                return -EBADMSG;
        }
        size_t size = (size_t)st.st_size;
        void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        close(fd);
        if (map == MAP_FAILED)
                return -errno;
        struct cache_header h;
        memcpy(&h, map, sizeof h);
        int r = -EBADMSG;
        const uint8_t *payload = (const uint8_t *)map + sizeof h;
        uint8_t sum[32];
        if (memcmp(h.magic, CACHE_MAGIC, 8) || memcmp(h.key, key, 32) ||
            h.payload_len != size - sizeof h)
                goto out;
        struct reader rd = {payload, h.payload_len};
        const uint32_t *counts = take(&rd, 3 * 4);
        if (!counts)
                goto out;
        uint32_t c[3];
        memcpy(c, counts, sizeof c);
        m->n_lits = c[0];
        m->n_pat = c[1];
        m->n_owners = c[2];
        if (m->n_lits > m->n_pat || m->n_pat > PW_TERMS_MAX * 4u || m->n_owners > 1u << 28)
                goto out;
        if ((r = take_u32s(&rd, &m->len, m->n_pat)) < 0 ||
            (r = take_u32s(&rd, &m->owner_start, (size_t)m->n_pat + 1)) < 0 ||
            (r = take_u32s(&rd, &m->owners, m->n_owners)) < 0)
                goto out;
        /* the checksum covers the tables just read; the databases have vectorscan's CRC */
        crypto_generichash(sum, sizeof sum, payload, h.payload_len - rd.left, NULL, 0);
        r = -EBADMSG;
        if (sodium_memcmp(sum, h.payload_sum, 32) != 0 || (r = check_tables(p, m)) < 0 ||
            (r = take_db(&rd, &m->lit_db, &m->lit_map)) < 0 ||
            (r = take_db(&rd, &m->re_db, &m->re_map)) < 0)
                goto out;
        r = rd.left == 0 && (m->lit_db || m->n_lits == 0) && (m->re_db || m->n_pat == m->n_lits)
                    ? 0
                    : -EBADMSG;
out:
        munmap(map, size);
        return r;
}

static int write_all(int fd, const void *buf, size_t n, crypto_generichash_state *st) {
        if (st)
                crypto_generichash_update(st, buf, n);
        const char *p = buf;
        while (n) {
                ssize_t w = write(fd, p, n);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

/* Writes the payload (tables and databases) to fd, hashing the tables into `st`. */
static int write_payload(int fd, const struct pw_matcher *m, char *const dbs[2],
                         const size_t db_len[2], crypto_generichash_state *st) {
        uint32_t counts[3] = {m->n_lits, m->n_pat, m->n_owners};
        int r;
        if ((r = write_all(fd, counts, sizeof counts, st)) < 0 ||
            (r = write_all(fd, m->len, (size_t)m->n_pat * 4, st)) < 0 ||
            (r = write_all(fd, m->owner_start, ((size_t)m->n_pat + 1) * 4, st)) < 0 ||
            (r = write_all(fd, m->owners, (size_t)m->n_owners * 4, st)) < 0)
                return r;
        for (int i = 0; i < 2; i++) { /* not hashed: vectorscan has its own CRC */
                uint64_t n = db_len[i];
                if ((r = write_all(fd, &n, 8, NULL)) < 0 ||
                    (n && (r = write_all(fd, dbs[i], db_len[i], NULL)) < 0))
                        return r;
        }
        return 0;
}

/* Stores the matcher in `path` (atomically: a temporary file renamed into place). */
static int cache_store(const struct pw_matcher *m, const char *dir, const char *path,
                       const uint8_t key[32]) {
        char *dbs[2] = {NULL, NULL};
        size_t db_len[2] = {0, 0};
        hs_database_t *const src[2] = {m->lit_db, m->re_db};
        int r = 0;
        for (int i = 0; i < 2; i++)
                if (src[i] && hs_serialize_database(src[i], &dbs[i], &db_len[i]) != HS_SUCCESS)
                        r = -ENOMEM;
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s/.policy-XXXXXX", dir);
        int fd = r == 0 ? mkostemp(tmp, O_CLOEXEC) : -1;
        if (r == 0 && fd < 0)
                r = -errno;
        if (r == 0) {
                struct cache_header h = {0};
                memcpy(h.magic, CACHE_MAGIC, 8);
                memcpy(h.key, key, 32);
                h.payload_len = 12 + (uint64_t)m->n_pat * 8 + 4 + (uint64_t)m->n_owners * 4 + 16 +
                                db_len[0] + db_len[1];
                crypto_generichash_state st;
                crypto_generichash_init(&st, NULL, 0, sizeof h.payload_sum);
                /* the header is written last, once the payload's hash is known */
                if (lseek(fd, sizeof h, SEEK_SET) < 0 ||
                    (r = write_payload(fd, m, dbs, db_len, &st)) < 0) {
                        r = r < 0 ? r : -errno;
                } else {
                        crypto_generichash_final(&st, h.payload_sum, sizeof h.payload_sum);
                        if (pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
                                r = -EIO;
                        else if (fchmod(fd, 0640) < 0 || fsync(fd) < 0)
                                r = -errno;
                }
                if (close(fd) < 0 && r == 0)
                        r = -errno;
                if (r == 0 && rename(tmp, path) < 0)
                        r = -errno;
                if (r < 0)
                        unlink(tmp);
        }
        free(dbs[0]);
        free(dbs[1]);
        return r;
}

/* ---- compile -------------------------------------------------------------------------------- */

static double now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Compiles both databases from the builder and the policy's regexes. */
static int compile_dbs(const struct pw_policy *p, const struct pw_src *src, struct pw_matcher *m,
                       const struct builder *b, struct pw_error *err) {
        hs_compile_error_t *ce = NULL;
        if (m->n_lits) {
                const char **exprs = malloc(m->n_lits * sizeof *exprs);
                size_t *lens = malloc(m->n_lits * sizeof *lens);
                unsigned *ids = malloc(m->n_lits * sizeof *ids);
                unsigned *flags = calloc(m->n_lits, sizeof *flags);
                hs_error_t e = HS_NOMEM;
                if (exprs && lens && ids && flags) {
                        for (uint32_t i = 0; i < m->n_lits; i++) {
                                exprs[i] = pw_strv_get(&b->pats, i);
                                lens[i] = b->pats.slen[i];
                                ids[i] = i;
                        }
                        e = hs_compile_lit_multi(exprs, flags, ids, lens, m->n_lits, HS_MODE_BLOCK,
                                                 NULL, &m->lit_db, &ce);
                }
                free(exprs);
                free(lens);
                free(ids);
                free(flags);
                if (e != HS_SUCCESS) {
                        pw_error_set(err, src->name, 0, 0, NULL, "compiling the terms failed: %s",
                                     ce && ce->message ? ce->message : "out of memory");
                        hs_free_compile_error(ce);
                        return e == HS_NOMEM ? -ENOMEM : -EINVAL;
                }
        }
        uint32_t n_re = m->n_pat - m->n_lits;
        if (n_re) {
                const char **exprs = malloc(n_re * sizeof *exprs);
                unsigned *ids = malloc(n_re * sizeof *ids);
                unsigned *flags = malloc(n_re * sizeof *flags);
                /* which rule and which of its regexes each expression is, for errors */
                size_t *rule_of = malloc(n_re * sizeof *rule_of), *idx_of = malloc(n_re * 8);
                hs_error_t e = HS_NOMEM;
                if (exprs && ids && flags && rule_of && idx_of) {
                        uint32_t k = 0;
                        for (size_t r = 0; r < p->n_rules; r++)
                                for (size_t j = 0; j < p->rules[r].regexes.n; j++, k++) {
                                        exprs[k] = pw_strv_get(&p->rules[r].regexes, j);
                                        ids[k] = m->n_lits + k;
                                        flags[k] = pw_regex_flags();
                                        rule_of[k] = r;
                                        idx_of[k] = j;
                                }
                        e = hs_compile_multi(exprs, flags, ids, n_re, HS_MODE_BLOCK, NULL,
                                             &m->re_db, &ce);
                }
                int r = 0;
                if (e != HS_SUCCESS) {
                        if (ce && ce->expression >= 0 && (uint32_t)ce->expression < n_re) {
                                const struct pw_rule *ru = &p->rules[rule_of[ce->expression]];
                                r = pw_strv_error(src, &ru->regexes, idx_of[ce->expression], ru->id,
                                                  err, "regex rejected by vectorscan: %s",
                                                  ce->message);
                        } else {
                                pw_error_set(err, src->name, 0, 0, NULL,
                                             "compiling the regexes failed: %s",
                                             ce && ce->message ? ce->message : "out of memory");
                                r = e == HS_NOMEM ? -ENOMEM : -EINVAL;
                        }
                        hs_free_compile_error(ce);
                }
                free(exprs);
                free(ids);
                free(flags);
                free(rule_of);
                free(idx_of);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Normalises every term of the policy into the builder, with owners. */
static int collect(const struct pw_policy *p, const struct pw_src *src, struct builder *b,
                   uint32_t *ret_n_regex, struct pw_error *err) {
        uint32_t **list_ids = calloc(p->n_lists, sizeof *list_ids);
        if (!list_ids)
                return -ENOMEM;
        int r = 0;
        /* every list is normalised (and so checked) once, used or not */
        for (size_t l = 0; r == 0 && l < p->n_lists; l++) {
                const struct pw_strv *v = &p->lists[l].terms;
                if (!(list_ids[l] = malloc((v->n ? v->n : 1) * sizeof **list_ids)))
                        r = -ENOMEM;
                else
                        r = add_strings(b, src, v, 0, false, list_ids[l], pw_policy_list_user(p, l),
                                        err);
        }
        uint32_t n_regex = 0;
        for (size_t i = 0; r == 0 && i < p->n_rules; i++) {
                const struct pw_rule *ru = &p->rules[i];
                uint32_t ri = (uint32_t)i;
                r = add_strings(b, src, &ru->terms, own(ri, PW_OWN_TERM), true, NULL, ru->id, err);
                for (size_t j = 0; r == 0 && j < ru->n_lists; j++) {
                        size_t l = ru->lists[j];
                        for (size_t t = 0; r == 0 && t < p->lists[l].terms.n; t++)
                                r = add_pair(b, list_ids[l][t], own(ri, PW_OWN_TERM));
                }
                if (r == 0)
                        r = add_strings(b, src, &ru->context, own(ri, PW_OWN_CONTEXT), true, NULL,
                                        ru->id, err);
                n_regex += (uint32_t)ru->regexes.n;
        }
        for (size_t i = 0; r == 0 && i < p->n_exceptions; i++)
                r = add_strings(b, src, &p->exceptions[i].terms, own((uint32_t)i, PW_OWN_ALLOW),
                                true, NULL, NULL, err);
        /* regex owners: ids follow the literals, in rule order */
        uint32_t k = 0;
        for (size_t i = 0; r == 0 && i < p->n_rules; i++)
                for (size_t j = 0; r == 0 && j < p->rules[i].regexes.n; j++, k++)
                        r = add_pair(b, (uint32_t)b->pats.n + k, own((uint32_t)i, PW_OWN_REGEX));
        for (size_t l = 0; l < p->n_lists; l++)
                free(list_ids[l]);
        free(list_ids);
        *ret_n_regex = n_regex;
        return r;
}

static void builder_done(struct builder *b) {
        pw_strv_done(&b->pats);
        free(b->slots);
        free(b->pairs);
        pw_norm_free(b->norm);
}

static int make_proto(struct pw_matcher *m) {
        if (m->lit_db && hs_alloc_scratch(m->lit_db, &m->proto) != HS_SUCCESS)
                return -ENOMEM;
        if (m->re_db && hs_alloc_scratch(m->re_db, &m->proto) != HS_SUCCESS)
                return -ENOMEM;
        return 0;
}

int pw_matcher_build(struct pw_policy *p, const struct pw_src *src, const char *cache_dir,
                     unsigned flags, struct pw_error *err) {
        double t0 = now_ms();
        struct pw_matcher *m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;
        pthread_mutex_init(&m->lock, NULL);
        size_t slots = (p->n_rules > p->n_exceptions ? p->n_rules : p->n_exceptions) + 1;
        m->n_slots = (uint32_t)slots * 4;
        uint8_t key[32];
        char path[4096] = "";
        cache_key(p, key);
        int r;
        if (!(flags & PW_POLICY_NO_COMPILE) && cache_dir) {
                cache_path(cache_dir, key, path, sizeof path);
                r = cache_load(p, m, path, key);
                if (r == 0 && (r = make_proto(m)) == 0) {
                        m->info.from_cache = 1;
                        pw_policy_drop_term_files(p);
                        goto done;
                }
                m->info.cache_load_error = -r;
                /* start over: nothing from a bad file is kept */
                db_free(m->lit_db, m->lit_map);
                db_free(m->re_db, m->re_map);
                hs_free_scratch(m->proto);
                free(m->len);
                free(m->owner_start);
                free(m->owners);
                m->lit_db = m->re_db = NULL;
                m->lit_map = m->re_map = 0;
                m->proto = NULL;
                m->len = m->owner_start = m->owners = NULL;
        }
        struct builder b = {0};
        uint32_t n_regex = 0;
        if ((r = pw_policy_parse_term_files(p, err)) < 0) {
                pw_matcher_free(m);
                return r;
        }
        if (!(b.norm = pw_norm_new()))
                r = -ENOMEM;
        else
                r = collect(p, src, &b, &n_regex, err);
        if (r == 0)
                r = make_tables(m, &b, n_regex);
        if (r == 0 && !(flags & PW_POLICY_NO_COMPILE))
                r = compile_dbs(p, src, m, &b, err);
        builder_done(&b);
        if (r == 0 && !(flags & PW_POLICY_NO_COMPILE))
                r = make_proto(m);
        if (r < 0) {
                pw_matcher_free(m);
                return r;
        }
        if (!(flags & PW_POLICY_NO_COMPILE) && cache_dir) {
                int w = cache_store(m, cache_dir, path, key);
                m->info.cache_written = w == 0;
                m->info.cache_store_error = w < 0 ? -w : 0;
        }
        if (flags & PW_POLICY_NO_COMPILE) {
                pw_matcher_free(m);
                return 0;
        }
done:
        if (m->lit_db)
                hs_database_size(m->lit_db, &m->info.db_bytes);
        if (m->re_db) {
                size_t n = 0;
                hs_database_size(m->re_db, &n);
                m->info.db_bytes += n;
        }
        m->info.n_literals = m->n_lits;
        m->info.n_regexes = m->n_pat - m->n_lits;
        m->info.build_ms = now_ms() - t0;
        snprintf(m->info.cache_file, sizeof m->info.cache_file, "%s", path);
        p->matcher = m;
        return 0;
}

struct pw_matcher *pw_matcher_free(struct pw_matcher *m) {
        if (!m)
                return NULL;
        for (struct pw_worker *w = m->pool, *next; w; w = next) {
                next = w->next;
                pw_worker_free(w);
        }
        pthread_mutex_destroy(&m->lock);
        db_free(m->lit_db, m->lit_map);
        db_free(m->re_db, m->re_map);
        hs_free_scratch(m->proto);
        free(m->len);
        free(m->owner_start);
        free(m->owners);
        free(m);
        return NULL;
}

/* ---- scanning ------------------------------------------------------------------------------ */

static struct pw_worker *pw_worker_new(const struct pw_matcher *m) {
        struct pw_worker *w = calloc(1, sizeof *w);
        if (!w)
                return NULL;
        w->n_slots = m->n_slots;
        w->norm = pw_norm_new();
        w->last = malloc(m->n_slots * sizeof *w->last);
        w->stored = calloc(m->n_slots, sizeof *w->stored);
        w->touched = malloc(m->n_slots * sizeof *w->touched);
        if (!w->norm || !w->last || !w->stored || !w->touched ||
            (m->proto && hs_clone_scratch(m->proto, &w->scratch) != HS_SUCCESS))
                return pw_worker_free(w);
        return w;
}

struct pw_worker *pw_worker_free(struct pw_worker *w) {
        if (!w)
                return NULL;
        pw_norm_free(w->norm);
        hs_free_scratch(w->scratch);
        free(w->hits);
        free(w->last);
        free(w->stored);
        free(w->touched);
        free(w);
        return NULL;
}

struct pw_worker *pw_matcher_acquire(const struct pw_policy *p) {
        struct pw_matcher *m = p->matcher;
        pthread_mutex_lock(&m->lock);
        struct pw_worker *w = m->pool;
        if (w)
                m->pool = w->next;
        pthread_mutex_unlock(&m->lock);
        return w ? w : pw_worker_new(m);
}

void pw_matcher_release(const struct pw_policy *p, struct pw_worker *w) {
        if (!w)
                return;
        pw_norm_wipe(w->norm); /* draft text never lingers in an idle worker */
        struct pw_matcher *m = p->matcher;
        pthread_mutex_lock(&m->lock);
        w->next = m->pool;
        m->pool = w;
        pthread_mutex_unlock(&m->lock);
}

/* State of one hs_scan() call. */
struct scan_ctx {
        const struct pw_policy *p;  /* the policy */
        const struct pw_matcher *m; /* its matcher */
        struct pw_worker *w;        /* where hits go */
        unsigned view;              /* PW_NORM_SKELETON or PW_NORM_FOLD */
        unsigned modes;             /* PW_MODEBIT_* that apply */
        int err;                    /* -ENOMEM when a hit could not be stored */
};

/* Stores a hit for `owner`, merged into the owner's previous hit when they overlap (regexes
 * with SOM_LEFTMOST report [s,e1), [s,e2)...; overlapping terms of one rule are one finding). */
static int add_hit(struct pw_worker *w, uint32_t owner, unsigned view, uint32_t start,
                   uint32_t end) {
        if (w->stored[owner] == 0) {
                w->touched[w->n_touched++] = owner;
                w->last[owner] = -1;
        }
        int32_t last = w->last[owner];
        if (last >= 0) {
                struct pw_hit *h = &w->hits[last];
                if (h->view == view && start < h->end && end > h->start) {
                        if (start < h->start)
                                h->start = start;
                        if (end > h->end)
                                h->end = end;
                        return 0;
                }
        }
        if (w->stored[owner] >= PW_HITS_PER_OWNER)
                return 0;
        if (w->n_hits == w->cap_hits) {
                size_t n = w->cap_hits ? w->cap_hits * 2 : 64;
                struct pw_hit *v = realloc(w->hits, n * sizeof *v);
                if (!v)
                        return -ENOMEM;
                w->hits = v;
                w->cap_hits = n;
        }
        w->hits[w->n_hits] = (struct pw_hit){owner, view, start, end};
        w->last[owner] = (int32_t)w->n_hits++;
        w->stored[owner]++;
        return 0;
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ctx) {
        struct scan_ctx *c = ctx;
        const struct pw_matcher *m = c->m;
        if (id >= m->n_pat)
                return 0;
        uint32_t start = id < m->n_lits ? (uint32_t)(to - m->len[id]) : (uint32_t)from;
        int whole = -1; /* computed once, on the first owner that needs it */
        for (uint32_t k = m->owner_start[id]; k < m->owner_start[id + 1]; k++) {
                uint32_t o = m->owners[k], idx = o >> 2, kind = o & 3;
                bool need_word = true;
                if (kind != PW_OWN_ALLOW) {
                        const struct pw_rule *r = &c->p->rules[idx];
                        if (!(r->modes & c->modes))
                                continue;
                        need_word = kind != PW_OWN_REGEX && r->whole_word;
                }
                if (need_word) {
                        if (whole < 0)
                                whole = pw_norm_is_word_boundary(c->w->norm, c->view, start) == 1 &&
                                        pw_norm_is_word_boundary(c->w->norm, c->view, (size_t)to) ==
                                                1;
                        if (!whole)
                                continue;
                }
                if (add_hit(c->w, o, c->view, start, (uint32_t)to) < 0) {
                        c->err = -ENOMEM;
                        return 1;
                }
        }
        return 0;
}

int pw_matcher_scan(const struct pw_policy *p, struct pw_worker *w, const char *text, size_t len,
                    unsigned modes) {
        const struct pw_matcher *m = p->matcher;
        for (size_t i = 0; i < w->n_touched; i++)
                w->stored[w->touched[i]] = 0;
        w->n_touched = 0;
        w->n_hits = 0;
        if (!m->lit_db && !m->re_db)
                return 0; /* only detectors (or nothing): no need to normalise */
        unsigned views = m->lit_db ? PW_NORM_SKELETON | PW_NORM_FOLD : PW_NORM_FOLD;
        int r = pw_norm_run(w->norm, text, len, views);
        if (r < 0)
                return r;
        struct scan_ctx c = {p, m, w, 0, modes, 0};
        const struct {
                hs_database_t *db;
                unsigned view;
        } pass[2] = {{m->lit_db, PW_NORM_SKELETON}, {m->re_db, PW_NORM_FOLD}};
        for (int i = 0; i < 2; i++) {
                if (!pass[i].db)
                        continue;
                const char *buf;
                size_t blen;
                if ((r = pw_norm_view(w->norm, pass[i].view, &buf, &blen)) < 0)
                        return r;
                if (blen > UINT32_MAX)
                        return -EINVAL;
                c.view = pass[i].view;
                hs_error_t e =
                        hs_scan(pass[i].db, buf, (unsigned)blen, 0, w->scratch, on_match, &c);
                if (c.err < 0)
                        return c.err;
                if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
                        return e == HS_NOMEM ? -ENOMEM : -EIO;
        }
        return 0;
}

int pw_policy_compile_info(const struct pw_policy *p, struct pw_compile_info *ret) {
        if (!p || !ret)
                return -EINVAL;
        if (!p->matcher)
                return -ENOENT;
        *ret = p->matcher->info;
        return 0;
}
