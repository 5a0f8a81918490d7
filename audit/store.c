/* libpostwarden-audit: opening, migrating and closing the store; the HMAC key; statements,
 * errors and transactions shared by the other files of audit/. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "internal.h"
#include "schema.h"

/* ---- statements ------------------------------------------------------------------------------ */

static const char *const stmt_sql[ST__MAX] = {
        [ST_BEGIN] = "BEGIN IMMEDIATE",
        [ST_COMMIT] = "COMMIT",
        [ST_ROLLBACK] = "ROLLBACK",
        [ST_SAVEPOINT] = "SAVEPOINT pw_op",
        [ST_RELEASE] = "RELEASE pw_op",
        [ST_ROLLBACK_TO] = "ROLLBACK TO pw_op",
        [ST_HEAD_EVENT] = "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
        [ST_HEAD_CHECKPOINT] =
                "SELECT seq, hash, before_us FROM chain_checkpoints WHERE kind = 'purge' "
                "ORDER BY seq DESC, id DESC LIMIT 1",
        [ST_SESSION_INSERT] =
                "INSERT INTO sessions (user, uid, service, tty, rhost, audit_sessionid, loginuid, "
                "xdg_session_id, host, opened_us, src) VALUES (:user, :uid, :service, :tty, "
                ":rhost, :audit_sessionid, :loginuid, :xdg_session_id, :host, :opened_us, :src)",
        [ST_SESSION_GET] = "SELECT id, user, uid, service, tty, rhost, audit_sessionid, loginuid, "
                           "xdg_session_id, host, opened_us, src, closed_us, closed_src "
                           "FROM sessions WHERE id = :id",
        [ST_SESSION_CLOSE] = "UPDATE sessions SET closed_us = :closed_us, closed_src = :src "
                             "WHERE id = :id AND closed_us IS NULL",
        [ST_SESSION_BY_SID] = "SELECT id FROM sessions WHERE audit_sessionid = :sid AND "
                              "closed_us IS NULL ORDER BY opened_us DESC, id DESC LIMIT 1",
        [ST_SESSIONS_FOR_UID] = "SELECT id FROM sessions WHERE uid = :uid AND closed_us IS NULL "
                                "ORDER BY opened_us DESC, id DESC",
        [ST_ACCOUNT_GET] = "SELECT id FROM accounts WHERE site = :site AND ident = :ident",
        [ST_ACCOUNT_INSERT] =
                "INSERT INTO accounts (site, company, ident, stable_id, handle, display_name, "
                "policy_name, handle_hmac, id_hmac, src, first_seen_us, last_seen_us) VALUES "
                "(:site, :company, :ident, :stable_id, :handle, :display_name, :policy_name, "
                ":handle_hmac, :id_hmac, :src, :t, :t)",
        [ST_ACCOUNT_TOUCH] =
                "UPDATE accounts SET last_seen_us = max(last_seen_us, :t) WHERE id = :id",
        [ST_ACCOUNT_BY_ID] = "SELECT id, site, company, ident, stable_id, handle, display_name, "
                             "policy_name, handle_hmac, id_hmac, src, first_seen_us "
                             "FROM accounts WHERE id = :id",
        [ST_ACCOUNT_FIND] = "SELECT id FROM accounts WHERE company = 1 AND "
                            "(:site IS NULL OR site = :site) AND "
                            "(handle = :h COLLATE NOCASE OR stable_id = :h) "
                            "ORDER BY last_seen_us DESC, id DESC LIMIT 1",
        [ST_LINK_GET] = "SELECT id FROM session_accounts WHERE session_id = :session_id AND "
                        "account_id = :account_id AND rule = :rule",
        [ST_LINK_INSERT] = "INSERT INTO session_accounts (session_id, account_id, rule, src, "
                           "first_us, last_us) VALUES (:session_id, :account_id, :rule, "
                           "'service', :t, :t)",
        [ST_LINK_TOUCH] = "UPDATE session_accounts SET last_us = max(last_us, :t) WHERE id = :id",
        [ST_LINK_BY_ID] = "SELECT id, session_id, account_id, rule, src, first_us "
                          "FROM session_accounts WHERE id = :id",
        [ST_EVENT_INSERT] =
                "INSERT INTO events (" AUDIT_EVENT_META_COLUMNS ", content_hash, hash) VALUES "
                "(:seq, :kind, :time_us, :peer_uid, :peer_pid, :peer_sessionid, :peer_src, "
                ":session_id, :account_id, :link_id, :site, :claim_src, :action, :mode, "
                ":company, :authorised, :policy_id, :justification, :target_seq, :note, "
                ":subject_hash, :verdict_src, :content_hash, :hash)",
        [ST_FINDING_INSERT] =
                "INSERT INTO findings (event_seq, ord, rule_id, category, action, excerpt, "
                "byte_start, byte_end, u16_start, u16_end) VALUES (:seq, :ord, :rule_id, "
                ":category, :action, :excerpt, :byte_start, :byte_end, :u16_start, :u16_end)",
        [ST_ARCHIVE_INSERT] = "INSERT INTO archive (event_seq, body) VALUES (:seq, :body)",
        [ST_EVENT_GET] =
                "SELECT seq, kind, redacted_us, (SELECT count(*) FROM findings WHERE event_seq "
                "= :seq), (SELECT count(*) FROM archive WHERE event_seq = :seq) "
                "FROM events WHERE seq = :seq",
        [ST_ARCHIVE_GET] = "SELECT body FROM archive WHERE event_seq = :seq",
        [ST_CHECKPOINT_INSERT] = "INSERT INTO chain_checkpoints (kind, seq, hash, time_us, "
                                 "before_us, removed) VALUES (:kind, :seq, :hash, :time_us, "
                                 ":before_us, :removed)",
        [ST_REDACTION_FOR] = "SELECT seq FROM events WHERE target_seq = :seq AND kind = "
                             "'redaction' AND seq > :seq LIMIT 1",
        [ST_PURGE_EVENT_FOR] = "SELECT seq FROM events WHERE target_seq = :seq AND kind = "
                               "'purge' AND subject_hash = :hash LIMIT 1",
        [ST_ARCHIVE_DELETE] = "DELETE FROM archive WHERE event_seq = :seq",
        [ST_FINDINGS_DELETE] = "DELETE FROM findings WHERE event_seq = :seq",
        [ST_EVENT_MARK_REDACTED] = "UPDATE events SET redacted_us = :t WHERE seq = :seq",
        [ST_PURGE_FIRST_KEPT] = "SELECT min(seq) FROM events WHERE time_us >= :before",
        [ST_MAX_SEQ] = "SELECT max(seq) FROM events",
        [ST_EVENT_HASH] = "SELECT hash FROM events WHERE seq = :seq",
        [ST_PURGE_EVENTS] = "DELETE FROM events WHERE seq <= :seq",
        [ST_PURGE_SESSIONS] = "DELETE FROM sessions WHERE closed_us < :before AND NOT EXISTS "
                              "(SELECT 1 FROM events e WHERE e.session_id = sessions.id)",
        [ST_PURGE_ACCOUNTS] =
                "DELETE FROM accounts WHERE last_seen_us < :before AND NOT EXISTS (SELECT 1 "
                "FROM events e WHERE e.account_id = accounts.id) AND NOT EXISTS (SELECT 1 FROM "
                "session_accounts l WHERE l.account_id = accounts.id)",
        [ST_VERIFY_EVENTS] = "SELECT " AUDIT_EVENT_META_COLUMNS ", content_hash, redacted_us, "
                             "hash FROM events WHERE seq > :after ORDER BY seq",
        [ST_VERIFY_FINDINGS] = "SELECT event_seq, ord, rule_id, category, action, excerpt, "
                               "byte_start, byte_end, u16_start, u16_end FROM findings "
                               "WHERE event_seq > :after ORDER BY event_seq, ord",
        [ST_VERIFY_ARCHIVE] = "SELECT event_seq, body FROM archive WHERE event_seq > :after "
                              "ORDER BY event_seq",
#define Q_SESSION_COLS                                                                             \
        "s.id, s.user, s.service, s.tty, s.rhost, s.xdg_session_id, s.host, s.uid, "               \
        "s.audit_sessionid, s.loginuid, s.opened_us, s.closed_us, s.src"
#define Q_SESSION_WHERE                                                                            \
        "(:user IS NULL OR s.user = :user) AND (s.closed_us IS NULL OR s.closed_us >= :since) "    \
        "AND s.opened_us < :until AND (:open_only = 0 OR s.closed_us IS NULL) "
        [ST_Q_SESSIONS] =
                "SELECT " Q_SESSION_COLS ", NULL, NULL FROM sessions s WHERE " Q_SESSION_WHERE
                "ORDER BY s.opened_us DESC, s.id DESC LIMIT :limit",
        [ST_Q_SESSIONS_BY_ACCOUNT] =
                "SELECT " Q_SESSION_COLS ", l.account_id, l.rule FROM session_accounts l "
                "JOIN sessions s ON s.id = l.session_id WHERE l.account_id = :account_id "
                "AND " Q_SESSION_WHERE "ORDER BY s.opened_us DESC, s.id DESC, l.rule LIMIT :limit",
#define Q_EVENT_COLS                                                                               \
        "e.seq, e.kind, e.time_us, e.peer_uid, e.peer_pid, e.peer_sessionid, e.peer_src, "         \
        "e.claim_src, e.session_id, e.account_id, e.target_seq, e.site, e.action, e.mode, "        \
        "e.policy_id, e.justification, e.note, e.company, e.authorised, e.verdict_src, "           \
        "(SELECT count(*) FROM findings f WHERE f.event_seq = e.seq), "                            \
        "CASE WHEN e.redacted_us IS NOT NULL THEN 2 WHEN EXISTS (SELECT 1 FROM archive r "         \
        "WHERE r.event_seq = e.seq) THEN 1 ELSE 0 END"
#define Q_EVENT_WHERE                                                                              \
        "e.time_us >= :since AND e.time_us < :until AND (:session_id IS NULL OR e.session_id = "   \
        ":session_id) AND (:peer_uid IS NULL OR e.peer_uid = :peer_uid) AND (:kind IS NULL OR "    \
        "e.kind = :kind) "
        [ST_Q_EVENTS] = "SELECT " Q_EVENT_COLS " FROM events e WHERE " Q_EVENT_WHERE
                        "ORDER BY e.time_us, e.seq LIMIT :limit",
        [ST_Q_EVENTS_BY_ACCOUNT] =
                "SELECT " Q_EVENT_COLS " FROM events e WHERE e.account_id = "
                ":account_id AND " Q_EVENT_WHERE "ORDER BY e.time_us, e.seq LIMIT :limit",
        /* Rows no event vouches for, newer than the last purge cutoff: forged. */
        [ST_UNVOUCHED_SESSION] = "SELECT id FROM sessions s WHERE opened_us >= :cutoff AND NOT "
                                 "EXISTS (SELECT 1 FROM events e WHERE e.session_id = s.id AND "
                                 "e.kind = 'session_open') LIMIT 1",
        [ST_UNVOUCHED_CLOSE] = "SELECT id FROM sessions s WHERE closed_us >= :cutoff AND NOT "
                               "EXISTS (SELECT 1 FROM events e WHERE e.session_id = s.id AND "
                               "e.kind = 'session_close') LIMIT 1",
        [ST_UNVOUCHED_ACCOUNT] = "SELECT id FROM accounts a WHERE first_seen_us >= :cutoff AND "
                                 "NOT EXISTS (SELECT 1 FROM events e WHERE e.account_id = a.id "
                                 "AND e.kind = 'account_seen') LIMIT 1",
        [ST_UNVOUCHED_LINK] = "SELECT id FROM session_accounts l WHERE first_us >= :cutoff AND "
                              "NOT EXISTS (SELECT 1 FROM events e WHERE e.link_id = l.id AND "
                              "e.kind = 'session_link') LIMIT 1",
        /* postwardenctl audit accounts: the accounts table is small (one row per account). */
        [ST_Q_ACCOUNTS] =
                "SELECT a.id, a.site, a.company, a.stable_id, a.handle, a.display_name, "
                "a.policy_name, a.handle_hmac, a.src, a.first_seen_us, a.last_seen_us, "
                "CASE WHEN :counts THEN (SELECT count(DISTINCT l.session_id) FROM "
                "session_accounts l WHERE l.account_id = a.id) ELSE 0 END FROM accounts a WHERE "
                "(:id IS NULL OR a.id = :id) AND (:site IS NULL OR a.site = :site) AND "
                "(:company IS NULL OR a.company = :company) AND (:name IS NULL OR "
                "ltrim(a.handle, '@') = ltrim(:name, '@') COLLATE NOCASE OR a.stable_id = :name "
                "OR a.policy_name = :name COLLATE NOCASE) AND (:session_id IS NULL OR EXISTS "
                "(SELECT 1 FROM session_accounts l WHERE l.account_id = a.id AND "
                "l.session_id = :session_id)) "
                "ORDER BY a.company DESC, a.site, a.handle COLLATE NOCASE, a.id LIMIT :limit",
        [ST_Q_LINKS] = "SELECT id, session_id, account_id, rule, src, first_us, last_us "
                       "FROM session_accounts WHERE (:session_id IS NULL OR session_id = "
                       ":session_id) AND (:account_id IS NULL OR account_id = :account_id) "
                       "ORDER BY session_id, account_id, rule",
};

sqlite3_stmt *audit_stmt(struct pw_audit *a, enum stmt which, int *ret_r, struct pw_error *err) {
        sqlite3_stmt *st = a->st[which];
        if (st) {
                sqlite3_reset(st);
                sqlite3_clear_bindings(st);
                return st;
        }
        int rc = sqlite3_prepare_v3(a->db, stmt_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &st,
                                    NULL);
        if (rc != SQLITE_OK) {
                *ret_r = audit_sql_error(a, rc, "preparing a statement", err);
                sqlite3_finalize(st);
                return NULL;
        }
        a->st[which] = st;
        return st;
}

/* ---- errors ---------------------------------------------------------------------------------- */

int audit_sql_error(struct pw_audit *a, int rc, const char *what, struct pw_error *err) {
        int e0 = errno; /* first: SQLite's own errno can be lost in its rollback (below) */
        int sys = a->db ? sqlite3_system_errno(a->db) : 0;
        int cls = rc & 0xff;
        /* sqlite3_system_errno() reads errno late and often says 0 after a failed write; the
         * errno at the failure is still there if nothing ran in between. Use it when it is a
         * file-system error. */
        if (sys <= 0 && (cls == SQLITE_IOERR || cls == SQLITE_FULL || cls == SQLITE_CANTOPEN) &&
            (e0 == EFBIG || e0 == ENOSPC || e0 == EDQUOT || e0 == EIO || e0 == EROFS ||
             e0 == EACCES || e0 == EPERM))
                sys = e0;
        int r;
        switch (rc & 0xff) {
        case SQLITE_NOMEM:
                r = -ENOMEM;
                break;
        case SQLITE_READONLY:
                r = -EROFS;
                break;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                r = -EBUSY;
                break;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
                r = -EBADMSG;
                break;
        case SQLITE_FULL:
                r = sys == EFBIG ? -EFBIG : -ENOSPC;
                break;
        case SQLITE_IOERR:
        case SQLITE_CANTOPEN:
                r = sys > 0 ? -sys : -EIO;
                break;
        case SQLITE_CONSTRAINT:
        case SQLITE_MISMATCH:
        case SQLITE_RANGE:
                r = -EINVAL;
                break;
        case SQLITE_PERM:
        case SQLITE_AUTH:
                r = -EACCES;
                break;
        case SQLITE_TOOBIG:
                r = -E2BIG;
                break;
        default:
                r = -EIO;
        }
        const char *msg = a->db ? sqlite3_errmsg(a->db) : sqlite3_errstr(rc);
        if (sys > 0 && ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_CANTOPEN ||
                        (rc & 0xff) == SQLITE_FULL))
                pw_error_set(err, a->path, 0, 0, NULL, "%s: %s (%s)", what, msg, strerror(sys));
        else
                pw_error_set(err, a->path, 0, 0, NULL, "%s: %s", what, msg);
        return r;
}

static int exec_sql(struct pw_audit *a, const char *sql, const char *what, struct pw_error *err) {
        int rc = sqlite3_exec(a->db, sql, NULL, NULL, NULL);
        return rc == SQLITE_OK ? 0 : audit_sql_error(a, rc, what, err);
}

/* Runs one of the prepared transaction-control statements. */
static int run(struct pw_audit *a, enum stmt which, const char *what, struct pw_error *err) {
        int r = 0;
        sqlite3_stmt *st = audit_stmt(a, which, &r, err);
        if (!st)
                return r;
        int rc = sqlite3_step(st);
        r = rc == SQLITE_DONE ? 0 : audit_sql_error(a, rc, what, err);
        sqlite3_reset(st);
        return r;
}

/* ---- binding and reading --------------------------------------------------------------------- */

static int param(sqlite3_stmt *st, const char *name) {
        int i = sqlite3_bind_parameter_index(st, name);
        return i > 0 ? i : -1;
}

int bind_i64(sqlite3_stmt *st, const char *name, int64_t v) {
        int i = param(st, name);
        return i < 0 ? SQLITE_RANGE : sqlite3_bind_int64(st, i, v);
}

int bind_opt_i64(sqlite3_stmt *st, const char *name, int64_t v) {
        int i = param(st, name);
        if (i < 0)
                return SQLITE_RANGE;
        return v < 0 ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, v);
}

int bind_text(sqlite3_stmt *st, const char *name, const char *s) {
        int i = param(st, name);
        if (i < 0)
                return SQLITE_RANGE;
        return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

int bind_blob(sqlite3_stmt *st, const char *name, const void *p, size_t n) {
        int i = param(st, name);
        if (i < 0)
                return SQLITE_RANGE;
        return p ? sqlite3_bind_blob64(st, i, p, n, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

int64_t col_i64(sqlite3_stmt *st, int col, int64_t dflt) {
        return sqlite3_column_type(st, col) == SQLITE_NULL ? dflt : sqlite3_column_int64(st, col);
}

const char *col_text(sqlite3_stmt *st, int col) {
        return (const char *)sqlite3_column_text(st, col);
}

/* ---- small shared helpers -------------------------------------------------------------------- */

int64_t audit_now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void audit_hex(const uint8_t *in, size_t n, char *out) {
        sodium_bin2hex(out, 2 * n + 1, in, n);
}

const char *audit_action_check(const char *action) {
        static const char *const names[] = {"allow", "warn", "block"};
        for (size_t i = 0; action && i < 3; i++)
                if (strcmp(action, names[i]) == 0)
                        return names[i];
        return NULL;
}

const char *audit_mode_check(const char *mode) {
        static const char *const names[] = {"personal", "business", "unknown"};
        for (size_t i = 0; mode && i < 3; i++)
                if (strcmp(mode, names[i]) == 0)
                        return names[i];
        return NULL;
}

static const char *const source_names[] = {
        [PW_AUDIT_SRC_KERNEL] = "kernel",
        [PW_AUDIT_SRC_PAM] = "pam",
        [PW_AUDIT_SRC_CLIENT] = "client",
        [PW_AUDIT_SRC_SERVICE] = "service",
};

const char *pw_audit_source_name(enum pw_audit_source s) {
        return (unsigned)s < sizeof source_names / sizeof *source_names ? source_names[s] : NULL;
}

enum pw_audit_source audit_source_from_name(const char *name) {
        for (unsigned i = 1; name && i < sizeof source_names / sizeof *source_names; i++)
                if (strcmp(name, source_names[i]) == 0)
                        return (enum pw_audit_source)i;
        return 0;
}

static const char *const kind_names[] = {
        [PW_AUDIT_SESSION_OPEN] = "session_open",
        [PW_AUDIT_SESSION_CLOSE] = "session_close",
        [PW_AUDIT_ACCOUNT_SEEN] = "account_seen",
        [PW_AUDIT_SESSION_LINK] = "session_link",
        [PW_AUDIT_POST_ATTEMPT] = "post_attempt",
        [PW_AUDIT_AUTH_BLOCK] = "auth_block",
        [PW_AUDIT_OVERRIDE] = "override",
        [PW_AUDIT_REDACTION] = "redaction",
        [PW_AUDIT_PURGE] = "purge",
};

const char *pw_audit_kind_name(enum pw_audit_kind k) {
        return (unsigned)k < sizeof kind_names / sizeof *kind_names ? kind_names[k] : NULL;
}

enum pw_audit_kind pw_audit_kind_from_name(const char *name) {
        for (unsigned i = 1; name && i < sizeof kind_names / sizeof *kind_names; i++)
                if (strcmp(name, kind_names[i]) == 0)
                        return (enum pw_audit_kind)i;
        return 0;
}

/* ---- transactions ---------------------------------------------------------------------------- */

static int load_head(struct pw_audit *a, struct pw_error *err);

/* BEGIN IMMEDIATE, then the chain head as the database has it: under the write lock it is the
 * truth, even if another handle or process appended since this one last wrote. */
static int begin_write(struct pw_audit *a, const char *what, struct pw_error *err) {
        int r = run(a, ST_BEGIN, what, err);
        if (r < 0)
                return r;
        r = load_head(a, err);
        if (r < 0)
                run(a, ST_ROLLBACK, "rolling back", NULL);
        return r;
}

int pw_audit_begin(struct pw_audit *a, struct pw_error *err) {
        if (!a)
                return -EINVAL;
        if (a->readonly) {
                pw_error_set(err, a->path, 0, 0, NULL, "the audit store is open read-only");
                return -EROFS;
        }
        if (a->in_tx) {
                pw_error_set(err, a->path, 0, 0, NULL, "a batch is already open on this handle");
                return -EBUSY;
        }
        int r = begin_write(a, "beginning a batch", err);
        if (r < 0)
                return r;
        a->in_tx = true;
        a->tx_lost = false;
        return 0;
}

/* Ends a batch that failed: rolls back what SQLite has not already rolled back. */
static void abandon(struct pw_audit *a) {
        if (!sqlite3_get_autocommit(a->db))
                run(a, ST_ROLLBACK, "rolling back", NULL);
        a->head = a->committed;
        a->in_tx = false;
        a->tx_lost = false;
}

int pw_audit_commit(struct pw_audit *a, struct pw_error *err) {
        if (!a)
                return -EINVAL;
        if (!a->in_tx) {
                pw_error_set(err, a->path, 0, 0, NULL, "commit without pw_audit_begin()");
                return -EINVAL;
        }
        if (a->tx_lost || sqlite3_get_autocommit(a->db)) {
                abandon(a);
                pw_error_set(err, a->path, 0, 0, NULL,
                             "the batch was rolled back after a write failed; nothing committed");
                return -EIO;
        }
        int r = run(a, ST_COMMIT, "committing a batch", err);
        if (r < 0) {
                abandon(a);
                return r;
        }
        a->committed = a->head;
        a->in_tx = false;
        return 0;
}

int pw_audit_rollback(struct pw_audit *a) {
        if (!a)
                return -EINVAL;
        if (a->in_tx)
                abandon(a);
        return 0;
}

int audit_op_begin(struct pw_audit *a, struct pw_error *err) {
        if (a->readonly) {
                pw_error_set(err, a->path, 0, 0, NULL, "the audit store is open read-only");
                return -EROFS;
        }
        if (!a->in_tx) {
                int r = begin_write(a, "beginning a write", err);
                a->op_head = a->head;
                return r;
        }
        a->op_head = a->head;
        if (a->tx_lost || sqlite3_get_autocommit(a->db)) {
                a->tx_lost = true;
                pw_error_set(err, a->path, 0, 0, NULL,
                             "this batch already failed and was rolled back; roll it back");
                return -EIO;
        }
        return run(a, ST_SAVEPOINT, "beginning a write", err);
}

int audit_op_end(struct pw_audit *a, int r, struct pw_error *err) {
        if (a->in_tx) {
                if (r >= 0) {
                        int q = run(a, ST_RELEASE, "finishing a write", err);
                        if (q >= 0)
                                return r;
                        r = q;
                }
                if (sqlite3_get_autocommit(a->db)) {
                        /* SQLite rolled back the whole batch (e.g. disk full): it is lost. */
                        a->tx_lost = true;
                        a->head = a->committed;
                } else {
                        run(a, ST_ROLLBACK_TO, "rolling back a write", NULL);
                        run(a, ST_RELEASE, "rolling back a write", NULL);
                        a->head = a->op_head; /* the appends of this write are gone */
                }
                return r;
        }
        if (r >= 0) {
                int q = run(a, ST_COMMIT, "committing a write", err);
                if (q >= 0) {
                        a->committed = a->head;
                        return r;
                }
                r = q;
        }
        if (!sqlite3_get_autocommit(a->db))
                run(a, ST_ROLLBACK, "rolling back", NULL);
        a->head = a->committed;
        return r;
}

/* ---- the HMAC key ---------------------------------------------------------------------------- */

static int key_create(const char *path, struct pw_error *err) {
        uint8_t key[32];
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                int e = errno;
                pw_error_set(err, path, 0, 0, NULL, "cannot create the HMAC key file: %s",
                             strerror(e));
                return -e;
        }
        randombytes_buf(key, sizeof key);
        ssize_t n = write(fd, key, sizeof key);
        sodium_memzero(key, sizeof key);
        int e = n == (ssize_t)sizeof key ? 0 : n < 0 ? errno : EIO;
        if (!e && fsync(fd) < 0)
                e = errno;
        close(fd);
        if (e) {
                unlink(path);
                pw_error_set(err, path, 0, 0, NULL, "cannot write the HMAC key file: %s",
                             strerror(e));
                return -e;
        }
        return 0;
}

static int key_load(struct pw_audit *a, const char *path, bool create, struct pw_error *err) {
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && create) {
                int r = key_create(path, err);
                if (r < 0 && r != -EEXIST)
                        return r;
                fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0) {
                int e = errno;
                pw_error_set(err, path, 0, 0, NULL, "cannot open the HMAC key file: %s",
                             strerror(e));
                return -e;
        }
        struct stat s;
        int r = 0;
        if (fstat(fd, &s) < 0) {
                r = -errno;
                pw_error_set(err, path, 0, 0, NULL, "cannot stat the HMAC key file: %s",
                             strerror(-r));
        } else if (!S_ISREG(s.st_mode) || s.st_size != 32) {
                r = -EINVAL;
                pw_error_set(err, path, 0, 0, NULL,
                             "the HMAC key file must be a regular file of exactly 32 bytes");
        } else if (s.st_mode & 077) {
                r = -EPERM;
                pw_error_set(err, path, 0, 0, NULL,
                             "the HMAC key file is accessible to group or others (chmod 0600)");
        } else if (read(fd, a->key, 32) != 32) {
                r = -EIO;
                pw_error_set(err, path, 0, 0, NULL, "cannot read the HMAC key file");
        } else {
                a->have_key = true;
        }
        close(fd);
        return r;
}

/* ---- open, migrate, close -------------------------------------------------------------------- */

static int read_version(struct pw_audit *a, int *ret, struct pw_error *err) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(a->db, "PRAGMA user_version", -1, &st, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                int r = audit_sql_error(a, rc, "reading the schema version", err);
                sqlite3_finalize(st);
                return r;
        }
        *ret = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return 0;
}

static int migrate(struct pw_audit *a, int from, int to, struct pw_error *err) {
        for (int v = from + 1; v <= to; v++) {
                int r = exec_sql(a, "BEGIN IMMEDIATE", "migrating the schema", err);
                if (r < 0)
                        return r;
                /* Re-read under the write lock: another process may have migrated meanwhile. */
                int now;
                r = read_version(a, &now, err);
                if (r >= 0 && now < v)
                        r = exec_sql(a, audit_migrations[v], "migrating the schema", err);
                if (r >= 0)
                        r = exec_sql(a, "COMMIT", "migrating the schema", err);
                if (r < 0) {
                        if (!sqlite3_get_autocommit(a->db))
                                run(a, ST_ROLLBACK, "rolling back", NULL);
                        return r;
                }
        }
        return 0;
}

static int load_head(struct pw_audit *a, struct pw_error *err) {
        int r = 0;
        memset(&a->head, 0, sizeof a->head);
        for (enum stmt w = ST_HEAD_EVENT; w <= ST_HEAD_CHECKPOINT; w++) {
                sqlite3_stmt *st = audit_stmt(a, w, &r, err);
                if (!st)
                        return r;
                int rc = sqlite3_step(st);
                if (rc == SQLITE_ROW) {
                        if (sqlite3_column_bytes(st, 1) != PW_AUDIT_HASH_SIZE) {
                                sqlite3_reset(st);
                                pw_error_set(err, a->path, 0, 0, NULL,
                                             "the chain head has a malformed hash");
                                return -EBADMSG;
                        }
                        a->head.seq = sqlite3_column_int64(st, 0);
                        memcpy(a->head.hash, sqlite3_column_blob(st, 1), PW_AUDIT_HASH_SIZE);
                        sqlite3_reset(st);
                        break;
                }
                sqlite3_reset(st);
                if (rc != SQLITE_DONE)
                        return audit_sql_error(a, rc, "reading the chain head", err);
        }
        audit_hex(a->head.hash, PW_AUDIT_HASH_SIZE, a->head.hex);
        a->committed = a->head;
        return 0;
}

static int setup(struct pw_audit *a, const struct pw_audit_options *opt, struct pw_error *err) {
        int r;
        sqlite3_extended_result_codes(a->db, 1);
        sqlite3_busy_timeout(a->db, opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 5000);
        if (!a->readonly && sqlite3_db_readonly(a->db, "main") == 1) {
                pw_error_set(err, a->path, 0, 0, NULL,
                             "the audit database is read-only for this process (check its "
                             "owner, mode and mount)");
                return -EROFS;
        }
        int version;
        r = read_version(a, &version, err);
        if (r < 0)
                return r;
        if (version < 0) {
                pw_error_set(err, a->path, 0, 0, NULL,
                             "not an audit database: negative schema version %d", version);
                return -EBADMSG;
        }
        if (version > PW_AUDIT_SCHEMA_VERSION) {
                pw_error_set(err, a->path, 0, 0, NULL,
                             "the audit database has schema version %d, newer than the %d this "
                             "program knows: upgrade postwarden",
                             version, PW_AUDIT_SCHEMA_VERSION);
                return -ENOTSUP;
        }
        int target = opt->target_version > 0 && opt->target_version < PW_AUDIT_SCHEMA_VERSION
                             ? opt->target_version
                             : PW_AUDIT_SCHEMA_VERSION;
        if (a->readonly) {
                if (version < 1) {
                        pw_error_set(err, a->path, 0, 0, NULL,
                                     "not an audit database yet (schema version %d)", version);
                        return -ENOENT;
                }
                if (version < target) {
                        pw_error_set(err, a->path, 0, 0, NULL,
                                     "the audit database has schema version %d and needs "
                                     "migrating to %d by the service before it can be read",
                                     version, target);
                        return -EROFS;
                }
                return exec_sql(a, "PRAGMA query_only = ON; PRAGMA foreign_keys = ON",
                                "configuring the connection", err);
        }
        /* journal_mode answers with the mode in force: insist on WAL. */
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(a->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                r = audit_sql_error(a, rc, "switching to WAL", err);
                sqlite3_finalize(st);
                return r;
        }
        bool wal = sqlite3_strnicmp(col_text(st, 0) ? col_text(st, 0) : "", "wal", 4) == 0;
        sqlite3_finalize(st);
        if (!wal) {
                pw_error_set(err, a->path, 0, 0, NULL, "the database refused WAL journal mode");
                return -EIO;
        }
        /* Keep -wal and -shm after the last close, so that readers who may not create files
         * in the directory (postwardenctl in the admin group) can open the store. */
        int persist = 1;
        sqlite3_file_control(a->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
        r = exec_sql(a,
                     "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; "
                     "PRAGMA secure_delete = ON",
                     "configuring the connection", err);
        if (r < 0)
                return r;
        if (version < target)
                r = migrate(a, version, target, err);
        return r;
}

int pw_audit_open(const struct pw_audit_options *opt, struct pw_audit **ret, struct pw_error *err) {
        if (!opt || !opt->path || !*opt->path || !ret) {
                pw_error_set(err, NULL, 0, 0, NULL, "pw_audit_open: no database path");
                return -EINVAL;
        }
        if (sodium_init() < 0) {
                pw_error_set(err, NULL, 0, 0, NULL, "libsodium failed to initialise");
                return -EIO;
        }
        struct pw_audit *a = calloc(1, sizeof *a);
        if (!a || !(a->path = strdup(opt->path))) {
                free(a);
                pw_error_set(err, opt->path, 0, 0, NULL, "out of memory");
                return -ENOMEM;
        }
        a->readonly = opt->flags & PW_AUDIT_READONLY;
        struct canon c;
        canon_init(&c, "pw-audit-content-v1");
        canon_null(&c);
        canon_int(&c, 0);
        if (canon_finish(&c, a->empty_content) < 0) {
                pw_audit_free(a);
                pw_error_set(err, opt->path, 0, 0, NULL, "out of memory");
                return -ENOMEM;
        }
        int oflags = SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX; /* one thread at a time */
        if (a->readonly)
                oflags |= SQLITE_OPEN_READONLY;
        else if (opt->flags & PW_AUDIT_NO_CREATE)
                oflags |= SQLITE_OPEN_READWRITE;
        else
                oflags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        int r;
        int rc = sqlite3_open_v2(opt->path, &a->db, oflags, NULL);
        if (rc != SQLITE_OK) {
                r = audit_sql_error(a, rc, "opening the audit database", err);
                pw_audit_free(a);
                return r;
        }
        r = setup(a, opt, err);
        if (r >= 0) {
                if (opt->key_path) {
                        r = key_load(a, opt->key_path, !a->readonly, err);
                } else if (!a->readonly) {
                        char *kp = NULL;
                        r = asprintf(&kp, "%s.hmac-key", opt->path) < 0
                                    ? -ENOMEM
                                    : key_load(a, kp, true, err);
                        free(kp);
                }
        }
        if (r >= 0)
                r = load_head(a, err);
        if (r < 0) {
                pw_audit_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

struct pw_audit *pw_audit_free(struct pw_audit *a) {
        if (!a)
                return NULL;
        if (a->db && a->in_tx)
                abandon(a);
        for (int i = 0; i < ST__MAX; i++)
                sqlite3_finalize(a->st[i]);
        sqlite3_close_v2(a->db);
        sodium_memzero(a->key, sizeof a->key);
        free(a->path);
        free(a);
        return NULL;
}

int pw_audit_schema_version(struct pw_audit *a) {
        int v = 0;
        if (!a || read_version(a, &v, NULL) < 0)
                return -EIO;
        return v;
}

int pw_audit_head(struct pw_audit *a, struct pw_audit_head *ret) {
        if (!a || !ret)
                return -EINVAL;
        *ret = a->committed;
        return 0;
}
