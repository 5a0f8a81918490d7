/* postwarden-host: declarations shared by the files of the postwarden-nm library only. */
#ifndef POSTWARDEN_NMHOST_INTERNAL_H
#define POSTWARDEN_NMHOST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define PW_NM_CACHE_KEY_BYTES 32 /* HMAC-SHA-256 */

struct pw_nm_cache; /* a small map from request hashes to verdicts; holds no draft text */

/* A cache of `entries` verdicts whose entries expire after `ttl_ms` (0: never). Its HMAC key is
 * random per cache, so a key in memory cannot be used to confirm a guessed draft. */
int pw_nm_cache_new(size_t entries, uint64_t ttl_ms, struct pw_nm_cache **ret);

/* Wipes and frees; accepts NULL; returns NULL. */
struct pw_nm_cache *pw_nm_cache_free(struct pw_nm_cache *c);

/* Computes the key of a check request: every part (NULL and "" distinct) is length-prefixed. */
void pw_nm_cache_key(const struct pw_nm_cache *c, const char *const parts[], const size_t lens[],
                     size_t n, uint8_t ret_key[PW_NM_CACHE_KEY_BYTES]);

/* The verdict stored under `key` (borrowed; valid until the next put), or NULL. */
json_t *pw_nm_cache_get(struct pw_nm_cache *c, const uint8_t key[PW_NM_CACHE_KEY_BYTES],
                        uint64_t now_ms);

/* Stores `verdict` (a new reference is taken) under `key`, evicting the least recently used. */
void pw_nm_cache_put(struct pw_nm_cache *c, const uint8_t key[PW_NM_CACHE_KEY_BYTES],
                     json_t *verdict, uint64_t now_ms);

/* Drops every entry (e.g. when the service's policy changed). */
void pw_nm_cache_clear(struct pw_nm_cache *c);

#endif
