/* libpostwarden-audit: the canonical byte format the hash chain is computed over.
 *
 * A record is a domain string (its bytes, no terminator) followed by fields, each one of
 *   0x00                          NULL
 *   0x01 + 8 bytes big-endian     a signed 64-bit integer
 *   0x02 + 4 bytes big-endian n   n bytes of text or blob
 * The exact field order of each record is in docs/audit.md; anyone can recompute it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"

static void put(struct canon *c, const void *p, size_t n) {
        if (c->oom || n == 0)
                return;
        if (c->len + n > c->cap) {
                size_t cap = c->cap ? c->cap : 256;
                while (cap < c->len + n)
                        cap *= 2;
                uint8_t *b = realloc(c->buf, cap);
                if (!b) {
                        c->oom = true;
                        return;
                }
                c->buf = b;
                c->cap = cap;
        }
        memcpy(c->buf + c->len, p, n);
        c->len += n;
}

void canon_init(struct canon *c, const char *domain) {
        memset(c, 0, sizeof *c);
        put(c, domain, strlen(domain));
}

void canon_null(struct canon *c) {
        put(c, "\x00", 1);
}

void canon_int(struct canon *c, int64_t v) {
        uint8_t b[9] = {0x01};
        uint64_t u = (uint64_t)v;
        for (int i = 0; i < 8; i++)
                b[1 + i] = (uint8_t)(u >> (56 - 8 * i));
        put(c, b, sizeof b);
}

void canon_opt_int(struct canon *c, bool present, int64_t v) {
        if (present)
                canon_int(c, v);
        else
                canon_null(c);
}

void canon_bytes(struct canon *c, const void *p, size_t n) {
        if (!p) {
                canon_null(c);
                return;
        }
        if (n > UINT32_MAX) {
                c->oom = true;
                return;
        }
        uint8_t b[5] = {0x02, (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
                        (uint8_t)n};
        put(c, b, sizeof b);
        put(c, p, n);
}

void canon_append(struct canon *c, const struct canon *other) {
        if (other->oom)
                c->oom = true;
        else
                put(c, other->buf, other->len);
}

void canon_text(struct canon *c, const char *s) {
        canon_bytes(c, s, s ? strlen(s) : 0);
}

void canon_column(struct canon *c, sqlite3_stmt *st, int col) {
        switch (sqlite3_column_type(st, col)) {
        case SQLITE_NULL:
                canon_null(c);
                break;
        case SQLITE_INTEGER:
                canon_int(c, sqlite3_column_int64(st, col));
                break;
        case SQLITE_TEXT: {
                const void *p = sqlite3_column_text(st, col);
                canon_bytes(c, p ? p : "", (size_t)sqlite3_column_bytes(st, col));
                break;
        }
        default: { /* BLOB (FLOAT cannot occur in these STRICT tables) */
                const void *p = sqlite3_column_blob(st, col);
                canon_bytes(c, p ? p : "", (size_t)sqlite3_column_bytes(st, col));
                break;
        }
        }
}

int canon_finish(struct canon *c, uint8_t out[PW_AUDIT_HASH_SIZE]) {
        int r = 0;
        if (c->oom)
                r = -ENOMEM;
        else
                crypto_hash_sha256(out, c->buf, c->len);
        free(c->buf);
        memset(c, 0, sizeof *c);
        return r;
}

void canon_free(struct canon *c) {
        free(c->buf);
        memset(c, 0, sizeof *c);
}

void audit_chain_hash(const uint8_t prev[32], const uint8_t meta[32], const uint8_t content[32],
                      uint8_t out[32]) {
        crypto_hash_sha256_state s;
        crypto_hash_sha256_init(&s);
        crypto_hash_sha256_update(&s, prev, 32);
        crypto_hash_sha256_update(&s, meta, 32);
        crypto_hash_sha256_update(&s, content, 32);
        crypto_hash_sha256_final(&s, out);
}

/* ---- subject digests: read a row back and hash the facts it holds ---------------------------- */

/* Steps `which` bound to :id and hashes columns [first, last] under `domain`. */
static int subject(struct pw_audit *a, enum stmt which, int64_t id, const char *domain,
                   const int *cols, int n_cols, uint8_t out[32], struct pw_error *err) {
        int r = 0;
        sqlite3_stmt *st = audit_stmt(a, which, &r, err);
        if (!st)
                return r;
        bind_i64(st, ":id", id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
                sqlite3_reset(st);
                return -ENOENT;
        }
        if (rc != SQLITE_ROW) {
                r = audit_sql_error(a, rc, "reading a row the chain vouches for", err);
                sqlite3_reset(st);
                return r;
        }
        struct canon c;
        canon_init(&c, domain);
        for (int i = 0; i < n_cols; i++)
                canon_column(&c, st, cols[i]);
        sqlite3_reset(st);
        return canon_finish(&c, out);
}

/* ST_SESSION_GET: id, user, uid, service, tty, rhost, audit_sessionid, loginuid,
 * xdg_session_id, host, opened_us, src, closed_us, closed_src */
int audit_subject_session(struct pw_audit *a, int64_t id, uint8_t out[32], struct pw_error *err) {
        static const int cols[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
        return subject(a, ST_SESSION_GET, id, "pw-audit-session-v1", cols, 12, out, err);
}

int audit_subject_session_close(struct pw_audit *a, int64_t id, uint8_t out[32],
                                struct pw_error *err) {
        static const int cols[] = {0, 12, 13};
        return subject(a, ST_SESSION_GET, id, "pw-audit-session-close-v1", cols, 3, out, err);
}

/* ST_ACCOUNT_BY_ID: id, site, company, ident, stable_id, handle, display_name, policy_name,
 * handle_hmac, id_hmac, src, first_seen_us */
int audit_subject_account(struct pw_audit *a, int64_t id, uint8_t out[32], struct pw_error *err) {
        static const int cols[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
        return subject(a, ST_ACCOUNT_BY_ID, id, "pw-audit-account-v1", cols, 12, out, err);
}

/* ST_LINK_BY_ID: id, session_id, account_id, rule, src, first_us */
int audit_subject_link(struct pw_audit *a, int64_t id, uint8_t out[32], struct pw_error *err) {
        static const int cols[] = {0, 1, 2, 3, 4, 5};
        return subject(a, ST_LINK_BY_ID, id, "pw-audit-link-v1", cols, 6, out, err);
}
