/* The verdict cache: identical check requests (same site, account and text) within its life are
 * answered without evaluating again. Keys are HMAC-SHA-256 of the request under a per-process
 * random key (nettle's HMAC, whose SHA-256 uses the CPU's SHA extensions: a 2 KB draft is keyed in
 * about 1.7 us against libsodium's 12 us); values are verdict objects, which carry masked excerpts
 * only. A linear scan over a few dozen 32-byte keys costs less than any hash table would save at
 * this size. Keys are compared with plain memcmp: they are MACs under a secret key, so timing
 * reveals nothing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/hmac.h>
#include <sodium.h>

#include "internal.h"

struct entry {
        uint8_t key[PW_NM_CACHE_KEY_BYTES]; /* HMAC of the request */
        json_t *verdict;                    /* owned reference; NULL: the slot is free */
        uint64_t stored_ms;                 /* when it was stored (monotonic ms) */
        uint64_t used;                      /* LRU clock value of the last hit or store */
};

struct pw_nm_cache {
        struct hmac_sha256_ctx keyed; /* HMAC state after a random per-cache key: copied per use */
        uint64_t ttl_ms;              /* 0: entries never expire */
        uint64_t clock;               /* LRU clock */
        size_t n;                     /* slots */
        struct entry slot[];          /* n slots */
};

int pw_nm_cache_new(size_t entries, uint64_t ttl_ms, struct pw_nm_cache **ret) {
        if (!ret || entries == 0 || entries > 4096)
                return -EINVAL;
        if (sodium_init() < 0)
                return -EIO;
        struct pw_nm_cache *c = calloc(1, sizeof *c + entries * sizeof c->slot[0]);
        if (!c)
                return -ENOMEM;
        c->n = entries;
        c->ttl_ms = ttl_ms;
        uint8_t key[32];
        randombytes_buf(key, sizeof key);
        hmac_sha256_set_key(&c->keyed, sizeof key, key);
        sodium_memzero(key, sizeof key);
        *ret = c;
        return 0;
}

void pw_nm_cache_clear(struct pw_nm_cache *c) {
        if (!c)
                return;
        for (size_t i = 0; i < c->n; i++) {
                json_decref(c->slot[i].verdict);
                sodium_memzero(&c->slot[i], sizeof c->slot[i]);
        }
}

struct pw_nm_cache *pw_nm_cache_free(struct pw_nm_cache *c) {
        if (!c)
                return NULL;
        pw_nm_cache_clear(c);
        sodium_memzero(c, sizeof *c);
        free(c);
        return NULL;
}

void pw_nm_cache_key(const struct pw_nm_cache *c, const char *const parts[], const size_t lens[],
                     size_t n, uint8_t ret_key[PW_NM_CACHE_KEY_BYTES]) {
        struct hmac_sha256_ctx st = c->keyed;
        for (size_t i = 0; i < n; i++) {
                /* 0xff.. marks NULL so that NULL and "" never collide. */
                uint64_t l = parts[i] ? (uint64_t)lens[i] : UINT64_MAX;
                hmac_sha256_update(&st, sizeof l, (const uint8_t *)&l);
                if (parts[i])
                        hmac_sha256_update(&st, lens[i], (const uint8_t *)parts[i]);
        }
        hmac_sha256_digest(&st, PW_NM_CACHE_KEY_BYTES, ret_key);
        sodium_memzero(&st, sizeof st);
}

json_t *pw_nm_cache_get(struct pw_nm_cache *c, const uint8_t key[PW_NM_CACHE_KEY_BYTES],
                        uint64_t now_ms) {
        for (size_t i = 0; i < c->n; i++) {
                struct entry *e = &c->slot[i];
                if (!e->verdict || memcmp(e->key, key, PW_NM_CACHE_KEY_BYTES) != 0)
                        continue;
                if (c->ttl_ms && now_ms - e->stored_ms > c->ttl_ms) {
                        json_decref(e->verdict);
                        sodium_memzero(e, sizeof *e);
                        return NULL;
                }
                e->used = ++c->clock;
                return e->verdict;
        }
        return NULL;
}

void pw_nm_cache_put(struct pw_nm_cache *c, const uint8_t key[PW_NM_CACHE_KEY_BYTES],
                     json_t *verdict, uint64_t now_ms) {
        struct entry *same = NULL, *free_slot = NULL, *lru = &c->slot[0];
        for (size_t i = 0; i < c->n && !same; i++) {
                struct entry *e = &c->slot[i];
                if (!e->verdict) {
                        if (!free_slot)
                                free_slot = e;
                } else if (memcmp(e->key, key, PW_NM_CACHE_KEY_BYTES) == 0) {
                        same = e;
                } else if (e->used < lru->used || !lru->verdict) {
                        lru = e;
                }
        }
        struct entry *victim = same ? same : free_slot ? free_slot : lru;
        json_incref(verdict);
        json_decref(victim->verdict);
        memcpy(victim->key, key, PW_NM_CACHE_KEY_BYTES);
        victim->verdict = verdict;
        victim->stored_ms = now_ms;
        victim->used = ++c->clock;
}
