/* libpostwarden-audit internals shared by the files of audit/: the handle, its prepared
 * statements, error mapping and the canonical serialisation the hash chain is built on. */
#ifndef POSTWARDEN_AUDIT_INTERNAL_H
#define POSTWARDEN_AUDIT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "postwarden/audit.h"

/* ---- prepared statements: prepared on first use, then reset and reused ----------------------- */

enum stmt {
        ST_BEGIN,
        ST_COMMIT,
        ST_ROLLBACK,
        ST_SAVEPOINT,
        ST_RELEASE,
        ST_ROLLBACK_TO,
        ST_HEAD_EVENT,
        ST_HEAD_CHECKPOINT,
        ST_SESSION_INSERT,
        ST_SESSION_GET,
        ST_SESSION_CLOSE,
        ST_SESSION_BY_SID,
        ST_SESSIONS_FOR_UID,
        ST_ACCOUNT_GET,
        ST_ACCOUNT_INSERT,
        ST_ACCOUNT_TOUCH,
        ST_ACCOUNT_BY_ID,
        ST_ACCOUNT_FIND,
        ST_LINK_GET,
        ST_LINK_INSERT,
        ST_LINK_TOUCH,
        ST_LINK_BY_ID,
        ST_EVENT_INSERT,
        ST_FINDING_INSERT,
        ST_ARCHIVE_INSERT,
        ST_EVENT_GET,
        ST_ARCHIVE_GET,
        ST_CHECKPOINT_INSERT,
        ST_REDACTION_FOR,
        ST_PURGE_EVENT_FOR,
        ST_ARCHIVE_DELETE,
        ST_FINDINGS_DELETE,
        ST_EVENT_MARK_REDACTED,
        ST_PURGE_FIRST_KEPT,
        ST_MAX_SEQ,
        ST_EVENT_HASH,
        ST_PURGE_EVENTS,
        ST_PURGE_SESSIONS,
        ST_PURGE_ACCOUNTS,
        ST_VERIFY_EVENTS,
        ST_VERIFY_FINDINGS,
        ST_VERIFY_ARCHIVE,
        ST_Q_SESSIONS,
        ST_Q_SESSIONS_BY_ACCOUNT,
        ST_Q_EVENTS,
        ST_Q_EVENTS_BY_ACCOUNT,
        ST_UNVOUCHED_SESSION,
        ST_UNVOUCHED_CLOSE,
        ST_UNVOUCHED_ACCOUNT,
        ST_UNVOUCHED_LINK,
        ST_Q_ACCOUNTS,
        ST_Q_LINKS,
        ST__MAX
};

struct pw_audit {
        sqlite3 *db;                    /* the one connection this handle owns */
        char *path;                     /* database file, for error messages */
        bool readonly;                  /* opened with PW_AUDIT_READONLY */
        bool in_tx;                     /* inside pw_audit_begin() .. commit/rollback */
        bool tx_lost;                   /* SQLite rolled the batch back on its own (disk full) */
        struct pw_audit_head head;      /* chain head including uncommitted appends */
        struct pw_audit_head committed; /* chain head as last committed */
        struct pw_audit_head op_head;   /* chain head before the write in progress */
        uint8_t key[32];                /* HMAC key for personal handles */
        bool have_key;                  /* key[] holds a key */
        uint8_t empty_content[32];      /* content hash of an event without content */
        sqlite3_stmt *st[ST__MAX];      /* prepared statements, NULL until first use */
};

/* The statement `which`, prepared if needed and reset with bindings cleared; NULL with `err`
 * set (and *ret_r the -errno) when it cannot be prepared. */
sqlite3_stmt *audit_stmt(struct pw_audit *a, enum stmt which, int *ret_r, struct pw_error *err);

/* Maps a SQLite result to -errno and writes "<path>: <what>: <sqlite message>" into `err`. */
int audit_sql_error(struct pw_audit *a, int rc, const char *what, struct pw_error *err);

/* Binders by :name. Negative integers bind NULL with bind_opt_i64; NULL strings bind NULL. */
int bind_i64(sqlite3_stmt *st, const char *name, int64_t v);
int bind_opt_i64(sqlite3_stmt *st, const char *name, int64_t v);
int bind_text(sqlite3_stmt *st, const char *name, const char *s);
int bind_blob(sqlite3_stmt *st, const char *name, const void *p, size_t n);

/* Column readers: NULL integers read as `dflt`. */
int64_t col_i64(sqlite3_stmt *st, int col, int64_t dflt);
const char *col_text(sqlite3_stmt *st, int col);

/* Runs the body of a write either as a savepoint inside the open batch or in a transaction of
 * its own: audit_op_begin() before, audit_op_end(r) after (r < 0 rolls back). */
int audit_op_begin(struct pw_audit *a, struct pw_error *err);
int audit_op_end(struct pw_audit *a, int r, struct pw_error *err);

int64_t audit_now_us(void);
void audit_hex(const uint8_t *in, size_t n, char *out);
const char *audit_action_check(const char *action); /* the canonical name, or NULL */
const char *audit_mode_check(const char *mode);
enum pw_audit_source audit_source_from_name(const char *name); /* 0 when unknown */

/* ---- canonical serialisation (docs/audit.md, "Chain byte format") ---------------------------- */

struct canon {
        uint8_t *buf; /* growing buffer */
        size_t len;   /* bytes used */
        size_t cap;   /* bytes allocated */
        bool oom;     /* an allocation failed: the result is unusable */
};

void canon_init(struct canon *c, const char *domain);
void canon_null(struct canon *c);
void canon_int(struct canon *c, int64_t v);
void canon_opt_int(struct canon *c, bool present, int64_t v);  /* NULL unless present */
void canon_bytes(struct canon *c, const void *p, size_t n);    /* NULL when p is NULL */
void canon_text(struct canon *c, const char *s);               /* NULL when s is NULL */
void canon_append(struct canon *c, const struct canon *other); /* other's bytes, raw */
/* Adds the column of `st` as it is stored: NULL, integer or text/blob. */
void canon_column(struct canon *c, sqlite3_stmt *st, int col);
/* SHA-256 of the buffer into out, frees it. -ENOMEM when an allocation failed. */
int canon_finish(struct canon *c, uint8_t out[PW_AUDIT_HASH_SIZE]);
void canon_free(struct canon *c); /* drops the buffer without hashing */

/* hash = SHA-256(prev || meta || content) */
void audit_chain_hash(const uint8_t prev[32], const uint8_t meta[32], const uint8_t content[32],
                      uint8_t out[32]);

/* Subject digests: the facts a session_open/close, account_seen or session_link event vouches
 * for, read back from their rows. -ENOENT when the row is gone. */
int audit_subject_session(struct pw_audit *a, int64_t id, uint8_t out[32], struct pw_error *err);
int audit_subject_session_close(struct pw_audit *a, int64_t id, uint8_t out[32],
                                struct pw_error *err);
int audit_subject_account(struct pw_audit *a, int64_t id, uint8_t out[32], struct pw_error *err);
int audit_subject_link(struct pw_audit *a, int64_t id, uint8_t out[32], struct pw_error *err);

/* Columns of events in chain order, used by the insert and the verifier (docs/audit.md). */
#define AUDIT_EVENT_META_COLUMNS                                                                   \
        "seq, kind, time_us, peer_uid, peer_pid, peer_sessionid, peer_src, session_id, "           \
        "account_id, link_id, site, claim_src, action, mode, company, authorised, policy_id, "     \
        "justification, target_seq, note, subject_hash, verdict_src"
#define AUDIT_EVENT_META_N 22

#endif
