/* libpostwarden-audit: walking the hash chain.
 *
 * Three cursors in sequence order (events, findings, archive) are merged, so verifying costs one
 * pass over each table: no look-up per event except for the rare rows that vouch for a session,
 * account or link. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Column positions in ST_VERIFY_EVENTS: the metadata columns, then these. */
enum {
        V_SEQ = 0,
        V_KIND = 1,
        V_SESSION = 7,
        V_ACCOUNT = 8,
        V_LINK = 9,
        V_TARGET = 18,
        V_SUBJECT = 20,
        V_CONTENT = AUDIT_EVENT_META_N,
        V_REDACTED,
        V_HASH
};

struct walk {
        struct pw_audit *a;                 /* the store */
        sqlite3_stmt *ev, *fi, *ar;         /* the three cursors */
        int fi_rc, ar_rc;                   /* SQLITE_ROW while the cursor has a current row */
        struct pw_audit_verify_result *res; /* filled as the walk goes */
        struct pw_error *err;               /* the caller's, may be NULL */
};

static int broken(struct walk *w, int64_t seq, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int broken(struct walk *w, int64_t seq, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->res->reason, sizeof w->res->reason, fmt, ap);
        va_end(ap);
        w->res->bad_seq = seq;
        pw_error_set(w->err, w->a->path, 0, 0, NULL, "chain broken at event %lld: %s",
                     (long long)seq, w->res->reason);
        return -EBADMSG;
}

static bool blob_is(sqlite3_stmt *st, int col, const uint8_t h[32]) {
        return sqlite3_column_type(st, col) == SQLITE_BLOB && sqlite3_column_bytes(st, col) == 32 &&
               memcmp(sqlite3_column_blob(st, col), h, 32) == 0;
}

/* Content hash of event `seq` from the archive and findings cursors, advancing them. Rows for
 * events before `seq` are orphans: their event is gone. */
static int content_of(struct walk *w, int64_t seq, uint8_t out[32]) {
        struct canon c, f;
        int64_t n = 0;
        if (w->ar_rc == SQLITE_ROW && sqlite3_column_int64(w->ar, 0) < seq)
                return broken(w, sqlite3_column_int64(w->ar, 0), "archived text without its event");
        if (w->fi_rc == SQLITE_ROW && sqlite3_column_int64(w->fi, 0) < seq)
                return broken(w, sqlite3_column_int64(w->fi, 0), "a finding without its event");
        canon_init(&c, "pw-audit-content-v1");
        if (w->ar_rc == SQLITE_ROW && sqlite3_column_int64(w->ar, 0) == seq) {
                canon_column(&c, w->ar, 1);
                w->ar_rc = sqlite3_step(w->ar);
        } else {
                canon_null(&c);
        }
        canon_init(&f, "");
        while (w->fi_rc == SQLITE_ROW && sqlite3_column_int64(w->fi, 0) == seq) {
                for (int col = 1; col <= 9; col++)
                        canon_column(&f, w->fi, col);
                n++;
                w->fi_rc = sqlite3_step(w->fi);
        }
        canon_int(&c, n);
        canon_append(&c, &f); /* the findings follow their count */
        canon_free(&f);
        int r = canon_finish(&c, out);
        if (r < 0)
                pw_error_set(w->err, w->a->path, 0, 0, NULL, "out of memory");
        if (w->ar_rc != SQLITE_ROW && w->ar_rc != SQLITE_DONE)
                return audit_sql_error(w->a, w->ar_rc, "reading the archive", w->err);
        if (w->fi_rc != SQLITE_ROW && w->fi_rc != SQLITE_DONE)
                return audit_sql_error(w->a, w->fi_rc, "reading findings", w->err);
        return r;
}

/* The facts a session/account/link event vouches for, recomputed from their rows. */
static int check_subject(struct walk *w, int64_t seq) {
        sqlite3_stmt *st = w->ev;
        const char *kind = col_text(st, V_KIND) ? col_text(st, V_KIND) : "";
        int (*fn)(struct pw_audit *, int64_t, uint8_t *, struct pw_error *) = NULL;
        int col = 0;
        if (strcmp(kind, "session_open") == 0)
                fn = audit_subject_session, col = V_SESSION;
        else if (strcmp(kind, "session_close") == 0)
                fn = audit_subject_session_close, col = V_SESSION;
        else if (strcmp(kind, "account_seen") == 0)
                fn = audit_subject_account, col = V_ACCOUNT;
        else if (strcmp(kind, "session_link") == 0)
                fn = audit_subject_link, col = V_LINK;
        else
                return 0;
        uint8_t h[32];
        int r = fn(w->a, col_i64(st, col, 0), h, w->err);
        if (r == -ENOENT)
                return broken(w, seq, "the %s row it records is missing", kind);
        if (r < 0)
                return r;
        if (!blob_is(st, V_SUBJECT, h))
                return broken(w, seq, "the row its %s event records was altered", kind);
        return 0;
}

static int redaction_vouched(struct walk *w, int64_t seq) {
        int r = 0;
        sqlite3_stmt *st = audit_stmt(w->a, ST_REDACTION_FOR, &r, w->err);
        if (!st)
                return r;
        bind_i64(st, ":seq", seq);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_ROW)
                return 0;
        if (rc != SQLITE_DONE)
                return audit_sql_error(w->a, rc, "looking for a redaction", w->err);
        return broken(w, seq, "content removed without a redaction event");
}

static int walk_chain(struct walk *w, int64_t after, const uint8_t start[32]) {
        struct pw_audit *a = w->a;
        uint8_t prev[32];
        memcpy(prev, start, 32);
        int64_t expect = after + 1;
        int rc, r = 0;
        w->res->first_seq = expect;
        w->res->head.seq = after;
        memcpy(w->res->head.hash, start, 32);
        while ((rc = sqlite3_step(w->ev)) == SQLITE_ROW) {
                sqlite3_stmt *st = w->ev;
                int64_t seq = sqlite3_column_int64(st, V_SEQ);
                if (seq != expect)
                        return broken(w, expect, "missing (the next event is %lld)",
                                      (long long)seq);
                struct canon c;
                uint8_t meta[32], content[32], hash[32];
                canon_init(&c, "pw-audit-meta-v1");
                for (int col = 0; col < AUDIT_EVENT_META_N; col++)
                        canon_column(&c, st, col);
                if (canon_finish(&c, meta) < 0) {
                        pw_error_set(w->err, a->path, 0, 0, NULL, "out of memory");
                        return -ENOMEM;
                }
                if (sqlite3_column_type(st, V_CONTENT) != SQLITE_BLOB ||
                    sqlite3_column_bytes(st, V_CONTENT) != 32)
                        return broken(w, seq, "malformed content hash");
                const uint8_t *stored = sqlite3_column_blob(st, V_CONTENT);
                bool redacted = sqlite3_column_type(st, V_REDACTED) != SQLITE_NULL;
                r = content_of(w, seq, content);
                if (r < 0)
                        return r;
                if (redacted) {
                        r = redaction_vouched(w, seq);
                        if (r < 0)
                                return r;
                        memcpy(content, stored, 32);
                } else if (memcmp(content, stored, 32) != 0) {
                        return broken(w, seq, "archived text or findings were altered");
                }
                audit_chain_hash(prev, meta, content, hash);
                if (!blob_is(st, V_HASH, hash))
                        return broken(w, seq,
                                      "hash mismatch: the row was edited or the chain before "
                                      "it rewritten");
                r = check_subject(w, seq);
                if (r < 0)
                        return r;
                memcpy(prev, hash, 32);
                w->res->rows++;
                w->res->head.seq = seq;
                memcpy(w->res->head.hash, hash, 32);
                expect++;
        }
        if (rc != SQLITE_DONE)
                return audit_sql_error(a, rc, "reading events", w->err);
        /* Content rows after the last event belong to no event. */
        if (w->ar_rc == SQLITE_ROW)
                return broken(w, sqlite3_column_int64(w->ar, 0), "archived text without its event");
        if (w->fi_rc == SQLITE_ROW)
                return broken(w, sqlite3_column_int64(w->fi, 0), "a finding without its event");
        return 0;
}

/* Sessions, accounts and links are facts only through the events that record them: a row
 * without its event, newer than what the last purge removed, was put there behind the
 * service's back. */
static int unvouched_rows(struct walk *w, int64_t cutoff) {
        static const struct {
                enum stmt st;      /* the query */
                const char *table; /* for the result */
                const char *what;  /* for the reason, with the row id */
        } checks[] = {
                {ST_UNVOUCHED_SESSION, "sessions", "has no session_open event"},
                {ST_UNVOUCHED_CLOSE, "sessions", "was closed without a session_close event"},
                {ST_UNVOUCHED_ACCOUNT, "accounts", "has no account_seen event"},
                {ST_UNVOUCHED_LINK, "session_accounts", "has no session_link event"},
        };
        for (size_t i = 0; i < sizeof checks / sizeof *checks; i++) {
                int r = 0;
                sqlite3_stmt *st = audit_stmt(w->a, checks[i].st, &r, w->err);
                if (!st)
                        return r;
                bind_i64(st, ":cutoff", cutoff);
                int rc = sqlite3_step(st);
                int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
                r = rc == SQLITE_ROW || rc == SQLITE_DONE
                            ? 0
                            : audit_sql_error(w->a, rc, "looking for unrecorded rows", w->err);
                sqlite3_reset(st);
                if (r < 0)
                        return r;
                if (rc == SQLITE_ROW) {
                        snprintf(w->res->reason, sizeof w->res->reason, "%s row %lld %s",
                                 checks[i].table, (long long)id, checks[i].what);
                        snprintf(w->res->bad_table, sizeof w->res->bad_table, "%s",
                                 checks[i].table);
                        w->res->bad_row = id;
                        pw_error_set(w->err, w->a->path, 0, 0, NULL,
                                     "not recorded by the chain: %s", w->res->reason);
                        return -EBADMSG;
                }
        }
        return 0;
}

/* The newest purge checkpoint must be vouched for by a purge event still on the chain. */
static int checkpoint_vouched(struct walk *w, int64_t cp_seq, const uint8_t cp_hash[32]) {
        int r = 0;
        sqlite3_stmt *st = audit_stmt(w->a, ST_PURGE_EVENT_FOR, &r, w->err);
        if (!st)
                return r;
        bind_i64(st, ":seq", cp_seq);
        bind_blob(st, ":hash", cp_hash, 32);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_ROW)
                return 0;
        if (rc != SQLITE_DONE)
                return audit_sql_error(w->a, rc, "looking for the purge event", w->err);
        return broken(w, cp_seq + 1, "the purge checkpoint at %lld has no purge event",
                      (long long)cp_seq);
}

static int check_expected(struct walk *w, const struct pw_audit_head *expected, size_t n,
                          int64_t cp_seq, const uint8_t cp_hash[32]) {
        for (size_t i = 0; i < n; i++) {
                const struct pw_audit_head *h = &expected[i];
                if (h->seq < cp_seq)
                        continue; /* purged: nothing left to compare */
                if (h->seq == cp_seq) {
                        if (cp_seq > 0 && memcmp(h->hash, cp_hash, 32) != 0)
                                return broken(w, h->seq, "differs from the head logged outside");
                        continue;
                }
                if (h->seq > w->res->head.seq)
                        return broken(w, w->res->head.seq + 1,
                                      "truncated: a head was logged at %lld but the chain "
                                      "ends at %lld",
                                      (long long)h->seq, (long long)w->res->head.seq);
                int r = 0;
                sqlite3_stmt *st = audit_stmt(w->a, ST_EVENT_HASH, &r, w->err);
                if (!st)
                        return r;
                bind_i64(st, ":seq", h->seq);
                int rc = sqlite3_step(st);
                bool same = rc == SQLITE_ROW && blob_is(st, 0, h->hash);
                sqlite3_reset(st);
                if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                        return audit_sql_error(w->a, rc, "reading an event", w->err);
                if (!same)
                        return broken(w, h->seq, "differs from the head logged outside");
        }
        return 0;
}

int pw_audit_verify(struct pw_audit *a, const struct pw_audit_head *expected, size_t n_expected,
                    struct pw_audit_verify_result *ret, struct pw_error *err) {
        if (!a || !ret || (n_expected && !expected))
                return -EINVAL;
        struct pw_audit_verify_result res = {0};
        struct walk w = {.a = a, .res = &res, .err = err};
        bool own_tx = !a->in_tx;
        int r = 0;
        /* One read transaction: the three cursors see the same snapshot. */
        if (own_tx) {
                int rc = sqlite3_exec(a->db, "BEGIN", NULL, NULL, NULL);
                if (rc != SQLITE_OK)
                        return audit_sql_error(a, rc, "starting to verify", err);
        }
        int64_t cp_seq = 0, cutoff = INT64_MIN;
        uint8_t cp_hash[32] = {0};
        sqlite3_stmt *st = audit_stmt(a, ST_HEAD_CHECKPOINT, &r, err);
        if (st) {
                int rc = sqlite3_step(st);
                if (rc == SQLITE_ROW) {
                        cp_seq = sqlite3_column_int64(st, 0);
                        cutoff = col_i64(st, 2, INT64_MIN);
                        if (sqlite3_column_bytes(st, 1) == 32)
                                memcpy(cp_hash, sqlite3_column_blob(st, 1), 32);
                        else
                                r = broken(&w, cp_seq, "malformed checkpoint hash");
                } else if (rc != SQLITE_DONE) {
                        r = audit_sql_error(a, rc, "reading the checkpoint", err);
                }
                sqlite3_reset(st);
        }
        if (r >= 0 && (w.ev = audit_stmt(a, ST_VERIFY_EVENTS, &r, err)) &&
            (w.fi = audit_stmt(a, ST_VERIFY_FINDINGS, &r, err)) &&
            (w.ar = audit_stmt(a, ST_VERIFY_ARCHIVE, &r, err))) {
                bind_i64(w.ev, ":after", cp_seq);
                bind_i64(w.fi, ":after", cp_seq);
                bind_i64(w.ar, ":after", cp_seq);
                w.fi_rc = sqlite3_step(w.fi);
                w.ar_rc = sqlite3_step(w.ar);
                if (w.fi_rc != SQLITE_ROW && w.fi_rc != SQLITE_DONE)
                        r = audit_sql_error(a, w.fi_rc, "reading findings", err);
                else if (w.ar_rc != SQLITE_ROW && w.ar_rc != SQLITE_DONE)
                        r = audit_sql_error(a, w.ar_rc, "reading the archive", err);
                else
                        r = walk_chain(&w, cp_seq, cp_hash);
        }
        if (r >= 0 && cp_seq > 0)
                r = checkpoint_vouched(&w, cp_seq, cp_hash);
        if (r >= 0)
                r = check_expected(&w, expected, n_expected, cp_seq, cp_hash);
        if (r >= 0)
                r = unvouched_rows(&w, cutoff);
        if (w.ev)
                sqlite3_reset(w.ev);
        if (w.fi)
                sqlite3_reset(w.fi);
        if (w.ar)
                sqlite3_reset(w.ar);
        if (own_tx)
                sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL);
        audit_hex(res.head.hash, 32, res.head.hex);
        if (r >= 0 || r == -EBADMSG)
                *ret = res;
        return r;
}
