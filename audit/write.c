/* libpostwarden-audit: writing — sessions, accounts, links, events, redaction and purge.
 *
 * Every write goes through audit_op_begin()/audit_op_end(), so it is a savepoint inside the
 * writer's batch or a transaction of its own, and every fact it stores that the chain vouches
 * for is appended as an event whose hash covers it. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"

#define UNSET_ID 4294967295LL /* the kernel's "no audit session / no loginuid" */

/* ---- one event row: bind and serialise the same values, so they cannot differ ---------------- */

struct row {
        sqlite3_stmt *st; /* ST_EVENT_INSERT */
        struct canon c;   /* the metadata record */
        int rc;           /* first bind failure, SQLITE_OK otherwise */
};

static void f_int(struct row *w, const char *name, bool present, int64_t v) {
        int rc = present ? bind_i64(w->st, name, v) : bind_blob(w->st, name, NULL, 0);
        if (rc != SQLITE_OK && w->rc == SQLITE_OK)
                w->rc = rc;
        canon_opt_int(&w->c, present, v);
}

static void f_text(struct row *w, const char *name, const char *s) {
        int rc = bind_text(w->st, name, s);
        if (rc != SQLITE_OK && w->rc == SQLITE_OK)
                w->rc = rc;
        canon_text(&w->c, s);
}

static void f_blob(struct row *w, const char *name, const uint8_t *p, size_t n) {
        int rc = bind_blob(w->st, name, p, n);
        if (rc != SQLITE_OK && w->rc == SQLITE_OK)
                w->rc = rc;
        canon_bytes(&w->c, p, n);
}

/* The metadata of an event, in chain order (docs/audit.md). 0 ids and NULL strings are NULL. */
struct meta {
        enum pw_audit_kind kind;                    /* what happened */
        int64_t time_us;                            /* when */
        int64_t peer_uid, peer_pid, peer_sessionid; /* the sender; < 0: NULL */
        enum pw_audit_source peer_src;              /* source of the peer ids; 0: NULL */
        int64_t session_id, account_id, link_id;    /* rows it concerns; 0: NULL */
        const char *site;                           /* the social site */
        enum pw_audit_source claim_src;             /* source of the claims; 0: NULL */
        const char *action, *mode;                  /* verdict and mode, canonical names */
        int company, authorised;                    /* 0 or 1 */
        const char *policy_id, *justification;      /* as in struct pw_audit_event */
        int64_t target_seq;                         /* redaction/purge: the event; 0: NULL */
        const char *note;                           /* redaction reason, purge summary */
        const uint8_t *subject_hash;                /* 32 bytes or NULL */
        enum pw_audit_source verdict_src;           /* source of action and findings; 0: NULL */
};

/* Appends one event at head.seq + 1 with content hash `content` and advances the head. Must run
 * inside audit_op_begin(). */
static int append_row(struct pw_audit *a, const struct meta *m, const uint8_t content[32],
                      int64_t *ret_seq, struct pw_error *err) {
        int r = 0;
        struct row w = {.st = audit_stmt(a, ST_EVENT_INSERT, &r, err)};
        if (!w.st)
                return r;
        int64_t seq = a->head.seq + 1;
        canon_init(&w.c, "pw-audit-meta-v1");
        f_int(&w, ":seq", true, seq);
        f_text(&w, ":kind", pw_audit_kind_name(m->kind));
        f_int(&w, ":time_us", true, m->time_us);
        f_int(&w, ":peer_uid", m->peer_uid >= 0, m->peer_uid);
        f_int(&w, ":peer_pid", m->peer_pid >= 0, m->peer_pid);
        f_int(&w, ":peer_sessionid", m->peer_sessionid >= 0, m->peer_sessionid);
        f_text(&w, ":peer_src", m->peer_src ? pw_audit_source_name(m->peer_src) : NULL);
        f_int(&w, ":session_id", m->session_id > 0, m->session_id);
        f_int(&w, ":account_id", m->account_id > 0, m->account_id);
        f_int(&w, ":link_id", m->link_id > 0, m->link_id);
        f_text(&w, ":site", m->site);
        f_text(&w, ":claim_src", m->claim_src ? pw_audit_source_name(m->claim_src) : NULL);
        f_text(&w, ":action", m->action);
        f_text(&w, ":mode", m->mode);
        f_int(&w, ":company", true, m->company ? 1 : 0);
        f_int(&w, ":authorised", true, m->authorised ? 1 : 0);
        f_text(&w, ":policy_id", m->policy_id);
        f_text(&w, ":justification", m->justification);
        f_int(&w, ":target_seq", m->target_seq > 0, m->target_seq);
        f_text(&w, ":note", m->note);
        f_blob(&w, ":subject_hash", m->subject_hash, PW_AUDIT_HASH_SIZE);
        f_text(&w, ":verdict_src", m->verdict_src ? pw_audit_source_name(m->verdict_src) : NULL);
        uint8_t meta_hash[32], hash[32];
        r = canon_finish(&w.c, meta_hash);
        if (r < 0) {
                pw_error_set(err, a->path, 0, 0, NULL, "out of memory");
                return r;
        }
        if (w.rc != SQLITE_OK)
                return audit_sql_error(a, w.rc, "binding an event", err);
        audit_chain_hash(a->head.hash, meta_hash, content, hash);
        bind_blob(w.st, ":content_hash", content, 32);
        bind_blob(w.st, ":hash", hash, 32);
        int rc = sqlite3_step(w.st);
        r = rc == SQLITE_DONE ? 0 : audit_sql_error(a, rc, "inserting an event", err);
        sqlite3_reset(w.st);
        if (r < 0)
                return r;
        a->head.seq = seq;
        memcpy(a->head.hash, hash, 32);
        audit_hex(hash, 32, a->head.hex);
        if (ret_seq)
                *ret_seq = seq;
        return 0;
}

static int step_done(struct pw_audit *a, sqlite3_stmt *st, const char *what, struct pw_error *err) {
        int rc = sqlite3_step(st);
        int r = rc == SQLITE_DONE ? 0 : audit_sql_error(a, rc, what, err);
        sqlite3_reset(st); /* after: the error must see errno as the failure left it */
        return r;
}

/* Steps a one-row, one-integer query: 1 and *ret on a row, 0 when none, -errno on error. */
static int step_id(struct pw_audit *a, sqlite3_stmt *st, int64_t *ret, const char *what,
                   struct pw_error *err) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                bool null = sqlite3_column_type(st, 0) == SQLITE_NULL;
                *ret = sqlite3_column_int64(st, 0);
                sqlite3_reset(st);
                return null ? 0 : 1;
        }
        int r = rc == SQLITE_DONE ? 0 : audit_sql_error(a, rc, what, err);
        sqlite3_reset(st);
        return r;
}

static int bad(struct pw_audit *a, struct pw_error *err, const char *what) {
        pw_error_set(err, a->path, 0, 0, NULL, "%s", what);
        return -EINVAL;
}

static bool valid_source(enum pw_audit_source s) {
        return s >= PW_AUDIT_SRC_KERNEL && s <= PW_AUDIT_SRC_SERVICE;
}

static bool too_long(const char *s, size_t max) {
        return s && strnlen(s, max + 1) > max;
}

/* -1 for the kernel's unset value or a negative one, the id otherwise; -2 when out of range. */
static int64_t kernel_id(int64_t v) {
        if (v < 0 || v == UNSET_ID)
                return -1;
        return v > UNSET_ID ? -2 : v;
}

/* ---- sessions -------------------------------------------------------------------------------- */

int pw_audit_session_open(struct pw_audit *a, const struct pw_audit_session *s,
                          int64_t *ret_session_id, int64_t *ret_seq, struct pw_error *err) {
        if (!a || !s)
                return -EINVAL;
        if (!s->user || !*s->user)
                return bad(a, err, "session: no user");
        if (!valid_source(s->src))
                return bad(a, err, "session: unknown source");
        int64_t sid = kernel_id(s->audit_sessionid), luid = kernel_id(s->loginuid);
        if (sid == -2 || luid == -2)
                return bad(a, err, "session: audit session id or loginuid out of range");
        if (s->opened_us < 0)
                return bad(a, err, "session: negative open time");
        int64_t opened = s->opened_us ? s->opened_us : audit_now_us();

        int r = audit_op_begin(a, err);
        if (r < 0)
                return r;
        sqlite3_stmt *st = audit_stmt(a, ST_SESSION_INSERT, &r, err);
        int64_t id = 0, seq = 0;
        if (st) {
                bind_text(st, ":user", s->user);
                bind_opt_i64(st, ":uid", s->uid);
                bind_text(st, ":service", s->service);
                bind_text(st, ":tty", s->tty);
                bind_text(st, ":rhost", s->rhost);
                bind_opt_i64(st, ":audit_sessionid", sid);
                bind_opt_i64(st, ":loginuid", luid);
                bind_text(st, ":xdg_session_id", s->xdg_session_id);
                bind_text(st, ":host", s->host);
                bind_i64(st, ":opened_us", opened);
                bind_text(st, ":src", pw_audit_source_name(s->src));
                r = step_done(a, st, "inserting a session", err);
        }
        uint8_t subject[32];
        if (r >= 0) {
                id = sqlite3_last_insert_rowid(a->db);
                r = audit_subject_session(a, id, subject, err);
        }
        if (r >= 0) {
                struct meta m = {
                        .kind = PW_AUDIT_SESSION_OPEN,
                        .time_us = opened,
                        .peer_uid = s->peer_uid,
                        .peer_pid = s->peer_pid,
                        .peer_sessionid = -1,
                        .peer_src = s->peer_uid >= 0 || s->peer_pid >= 0 ? PW_AUDIT_SRC_KERNEL : 0,
                        .session_id = id,
                        .claim_src = s->src,
                        .subject_hash = subject,
                };
                r = append_row(a, &m, a->empty_content, &seq, err);
        }
        r = audit_op_end(a, r, err);
        if (r < 0)
                return r;
        if (ret_session_id)
                *ret_session_id = id;
        if (ret_seq)
                *ret_seq = seq;
        return 0;
}

int pw_audit_session_close(struct pw_audit *a, int64_t session_id, int64_t closed_us,
                           enum pw_audit_source src, int64_t peer_uid, int64_t peer_pid,
                           int64_t *ret_seq, struct pw_error *err) {
        if (!a)
                return -EINVAL;
        if (session_id <= 0)
                return bad(a, err, "session close: no session id");
        if (!valid_source(src))
                return bad(a, err, "session close: unknown source");
        if (closed_us < 0)
                return bad(a, err, "session close: negative close time");
        int64_t closed = closed_us ? closed_us : audit_now_us();
        int r = audit_op_begin(a, err);
        if (r < 0)
                return r;
        int64_t seq = 0;
        sqlite3_stmt *st = audit_stmt(a, ST_SESSION_CLOSE, &r, err);
        if (st) {
                bind_i64(st, ":closed_us", closed);
                bind_text(st, ":src", pw_audit_source_name(src));
                bind_i64(st, ":id", session_id);
                r = step_done(a, st, "closing a session", err);
        }
        if (r >= 0 && sqlite3_changes(a->db) == 0) {
                uint8_t ignored[32];
                r = audit_subject_session(a, session_id, ignored, err);
                if (r >= 0) {
                        pw_error_set(err, a->path, 0, 0, NULL, "session %lld is already closed",
                                     (long long)session_id);
                        r = -EALREADY;
                } else if (r == -ENOENT) {
                        pw_error_set(err, a->path, 0, 0, NULL, "no session %lld",
                                     (long long)session_id);
                }
        }
        uint8_t subject[32];
        if (r >= 0)
                r = audit_subject_session_close(a, session_id, subject, err);
        if (r >= 0) {
                struct meta m = {
                        .kind = PW_AUDIT_SESSION_CLOSE,
                        .time_us = closed,
                        .peer_uid = peer_uid,
                        .peer_pid = peer_pid,
                        .peer_sessionid = -1,
                        .peer_src = peer_uid >= 0 || peer_pid >= 0 ? PW_AUDIT_SRC_KERNEL : 0,
                        .session_id = session_id,
                        .claim_src = src,
                        .subject_hash = subject,
                };
                r = append_row(a, &m, a->empty_content, &seq, err);
        }
        r = audit_op_end(a, r, err);
        if (r >= 0 && ret_seq)
                *ret_seq = seq;
        return r < 0 ? r : 0;
}

int pw_audit_session_find_by_sessionid(struct pw_audit *a, int64_t audit_sessionid,
                                       int64_t *ret_session_id, struct pw_error *err) {
        if (!a)
                return -EINVAL;
        int64_t sid = kernel_id(audit_sessionid);
        if (sid < 0)
                return -ENOENT;
        int r = 0;
        sqlite3_stmt *st = audit_stmt(a, ST_SESSION_BY_SID, &r, err);
        if (!st)
                return r;
        bind_i64(st, ":sid", sid);
        int64_t id;
        r = step_id(a, st, &id, "finding a session", err);
        if (r <= 0)
                return r < 0 ? r : -ENOENT;
        if (ret_session_id)
                *ret_session_id = id;
        return 0;
}

int pw_audit_sessions_open_for_uid(struct pw_audit *a, int64_t uid, int64_t *ids, size_t max,
                                   size_t *ret_n, struct pw_error *err) {
        if (!a || (max && !ids))
                return -EINVAL;
        int r = 0;
        sqlite3_stmt *st = audit_stmt(a, ST_SESSIONS_FOR_UID, &r, err);
        if (!st)
                return r;
        bind_i64(st, ":uid", uid);
        size_t n = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (n < max)
                        ids[n] = sqlite3_column_int64(st, 0);
                n++;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return audit_sql_error(a, rc, "listing open sessions", err);
        if (ret_n)
                *ret_n = n;
        return 0;
}

/* ---- accounts -------------------------------------------------------------------------------- */

int pw_audit_hmac_handle(struct pw_audit *a, const char *site, const char *value,
                         char ret_hex[2 * PW_AUDIT_HASH_SIZE + 1], struct pw_error *err) {
        if (!a || !site || !value || !ret_hex)
                return -EINVAL;
        if (!a->have_key) {
                pw_error_set(err, a->path, 0, 0, NULL, "no HMAC key loaded for personal handles");
                return -ENOKEY;
        }
        crypto_auth_hmacsha256_state s;
        uint8_t mac[crypto_auth_hmacsha256_BYTES];
        crypto_auth_hmacsha256_init(&s, a->key, sizeof a->key);
        crypto_auth_hmacsha256_update(&s, (const uint8_t *)"pw-handle-v1", 13); /* with NUL */
        crypto_auth_hmacsha256_update(&s, (const uint8_t *)site, strlen(site) + 1);
        crypto_auth_hmacsha256_update(&s, (const uint8_t *)value, strlen(value));
        crypto_auth_hmacsha256_final(&s, mac);
        sodium_memzero(&s, sizeof s);
        audit_hex(mac, sizeof mac, ret_hex);
        return 0;
}

/* The lookup key of a company account: its stable id and lower-cased handle, hashed so that no
 * separator can be confused. */
static int company_ident(const char *stable_id, const char *handle, char out[2 + 65]) {
        char *lower = handle ? strdup(handle) : NULL;
        if (handle && !lower)
                return -ENOMEM;
        for (char *p = lower; p && *p; p++)
                *p = (char)tolower((unsigned char)*p);
        struct canon c;
        uint8_t h[32];
        canon_init(&c, "pw-account-ident-v1");
        canon_text(&c, stable_id);
        canon_text(&c, lower);
        free(lower);
        int r = canon_finish(&c, h);
        if (r < 0)
                return r;
        memcpy(out, "c:", 2);
        audit_hex(h, 32, out + 2);
        return 0;
}

int pw_audit_account_seen(struct pw_audit *a, const struct pw_audit_account *acct,
                          int64_t *ret_account_id, struct pw_error *err) {
        if (!a || !acct)
                return -EINVAL;
        if (!acct->site || !*acct->site)
                return bad(a, err, "account: no site");
        if ((!acct->stable_id || !*acct->stable_id) && (!acct->handle || !*acct->handle))
                return bad(a, err, "account: neither a stable id nor a handle");
        if (!valid_source(acct->src))
                return bad(a, err, "account: unknown source");
        if (too_long(acct->site, 255) || too_long(acct->stable_id, 255) ||
            too_long(acct->handle, 255) || too_long(acct->display_name, 255) ||
            too_long(acct->policy_name, 255))
                return bad(a, err, "account: a field is longer than 255 bytes");
        if (acct->seen_us < 0)
                return bad(a, err, "account: negative time");
        int64_t seen = acct->seen_us ? acct->seen_us : audit_now_us();
        const char *stable = acct->stable_id && *acct->stable_id ? acct->stable_id : NULL;
        const char *handle = acct->handle && *acct->handle ? acct->handle : NULL;

        char ident[2 + 65], handle_hmac[65], id_hmac[65];
        bool company = acct->company != 0;
        int r;
        if (company) {
                r = company_ident(stable, handle, ident);
                if (r < 0)
                        return r;
        } else {
                /* Personal: only keyed HMACs; the clear values never reach SQLite. */
                r = handle ? pw_audit_hmac_handle(a, acct->site, handle, handle_hmac, err) : 0;
                if (r >= 0 && stable)
                        r = pw_audit_hmac_handle(a, acct->site, stable, id_hmac, err);
                if (r < 0)
                        return r;
                snprintf(ident, sizeof ident, "p:%s", stable ? id_hmac : handle_hmac);
        }

        r = audit_op_begin(a, err);
        if (r < 0)
                return r;
        int64_t id = 0;
        sqlite3_stmt *st = audit_stmt(a, ST_ACCOUNT_GET, &r, err);
        if (st) {
                bind_text(st, ":site", acct->site);
                bind_text(st, ":ident", ident);
                r = step_id(a, st, &id, "looking up an account", err);
        }
        if (r == 1) { /* known: only the last-seen time moves */
                st = audit_stmt(a, ST_ACCOUNT_TOUCH, &r, err);
                if (st) {
                        bind_i64(st, ":t", seen);
                        bind_i64(st, ":id", id);
                        r = step_done(a, st, "updating an account", err);
                }
        } else if (r == 0) {
                st = audit_stmt(a, ST_ACCOUNT_INSERT, &r, err);
                if (st) {
                        bind_text(st, ":site", acct->site);
                        bind_i64(st, ":company", company);
                        bind_text(st, ":ident", ident);
                        bind_text(st, ":stable_id", company ? stable : NULL);
                        bind_text(st, ":handle", company ? handle : NULL);
                        bind_text(st, ":display_name", company ? acct->display_name : NULL);
                        bind_text(st, ":policy_name", company ? acct->policy_name : NULL);
                        bind_text(st, ":handle_hmac", !company && handle ? handle_hmac : NULL);
                        bind_text(st, ":id_hmac", !company && stable ? id_hmac : NULL);
                        bind_text(st, ":src", pw_audit_source_name(acct->src));
                        bind_i64(st, ":t", seen);
                        r = step_done(a, st, "inserting an account", err);
                }
                uint8_t subject[32];
                if (r >= 0) {
                        id = sqlite3_last_insert_rowid(a->db);
                        r = audit_subject_account(a, id, subject, err);
                }
                if (r >= 0) {
                        struct meta m = {
                                .kind = PW_AUDIT_ACCOUNT_SEEN,
                                .time_us = seen,
                                .peer_uid = -1,
                                .peer_pid = -1,
                                .peer_sessionid = -1,
                                .account_id = id,
                                .site = acct->site,
                                .claim_src = acct->src,
                                .company = company,
                                .subject_hash = subject,
                        };
                        r = append_row(a, &m, a->empty_content, NULL, err);
                }
        }
        r = audit_op_end(a, r, err);
        if (r < 0)
                return r;
        if (ret_account_id)
                *ret_account_id = id;
        return 0;
}

int pw_audit_account_find(struct pw_audit *a, const char *site, const char *handle_or_id,
                          int64_t *ret_account_id, struct pw_error *err) {
        if (!a || !handle_or_id)
                return -EINVAL;
        int r = 0;
        sqlite3_stmt *st = audit_stmt(a, ST_ACCOUNT_FIND, &r, err);
        if (!st)
                return r;
        bind_text(st, ":site", site);
        bind_text(st, ":h", handle_or_id);
        int64_t id;
        r = step_id(a, st, &id, "finding an account", err);
        if (r <= 0) {
                if (r == 0)
                        pw_error_set(err, a->path, 0, 0, NULL, "no company account %s%s%s",
                                     handle_or_id, site ? " on " : "", site ? site : "");
                return r < 0 ? r : -ENOENT;
        }
        if (ret_account_id)
                *ret_account_id = id;
        return 0;
}

/* ---- links ----------------------------------------------------------------------------------- */

int pw_audit_link(struct pw_audit *a, int64_t session_id, int64_t account_id,
                  enum pw_audit_tie_rule rule, int64_t seen_us, int64_t *ret_link_id,
                  struct pw_error *err) {
        if (!a)
                return -EINVAL;
        if (session_id <= 0 || account_id <= 0)
                return bad(a, err, "link: no session or account id");
        if (rule < PW_AUDIT_TIE_SESSIONID || rule > PW_AUDIT_TIE_AMBIGUOUS)
                return bad(a, err, "link: unknown tie rule");
        if (seen_us < 0)
                return bad(a, err, "link: negative time");
        int64_t seen = seen_us ? seen_us : audit_now_us();
        int r = audit_op_begin(a, err);
        if (r < 0)
                return r;
        int64_t id = 0;
        sqlite3_stmt *st = audit_stmt(a, ST_LINK_GET, &r, err);
        if (st) {
                bind_i64(st, ":session_id", session_id);
                bind_i64(st, ":account_id", account_id);
                bind_i64(st, ":rule", rule);
                r = step_id(a, st, &id, "looking up a link", err);
        }
        if (r == 1) {
                st = audit_stmt(a, ST_LINK_TOUCH, &r, err);
                if (st) {
                        bind_i64(st, ":t", seen);
                        bind_i64(st, ":id", id);
                        r = step_done(a, st, "updating a link", err);
                }
        } else if (r == 0) {
                st = audit_stmt(a, ST_LINK_INSERT, &r, err);
                if (st) {
                        bind_i64(st, ":session_id", session_id);
                        bind_i64(st, ":account_id", account_id);
                        bind_i64(st, ":rule", rule);
                        bind_i64(st, ":t", seen);
                        r = step_done(a, st, "inserting a link", err);
                }
                uint8_t subject[32];
                if (r >= 0) {
                        id = sqlite3_last_insert_rowid(a->db);
                        r = audit_subject_link(a, id, subject, err);
                }
                if (r >= 0) {
                        struct meta m = {
                                .kind = PW_AUDIT_SESSION_LINK,
                                .time_us = seen,
                                .peer_uid = -1,
                                .peer_pid = -1,
                                .peer_sessionid = -1,
                                .session_id = session_id,
                                .account_id = account_id,
                                .link_id = id,
                                .claim_src = PW_AUDIT_SRC_SERVICE,
                                .subject_hash = subject,
                        };
                        r = append_row(a, &m, a->empty_content, NULL, err);
                }
        }
        r = audit_op_end(a, r, err);
        if (r < 0)
                return r;
        if (ret_link_id)
                *ret_link_id = id;
        return 0;
}

/* ---- events ---------------------------------------------------------------------------------- */

/* Checks what an event may store; returns whether its findings are kept. */
static int check_event(struct pw_audit *a, const struct pw_audit_event *ev, bool *ret_keep,
                       struct pw_error *err) {
        if (ev->kind != PW_AUDIT_POST_ATTEMPT && ev->kind != PW_AUDIT_AUTH_BLOCK &&
            ev->kind != PW_AUDIT_OVERRIDE)
                return bad(a, err, "event: kind must be post_attempt, auth_block or override");
        if (ev->time_us < 0)
                return bad(a, err, "event: negative time");
        if (ev->action && !audit_action_check(ev->action))
                return bad(a, err, "event: action must be allow, warn or block");
        if (ev->mode && !audit_mode_check(ev->mode))
                return bad(a, err, "event: mode must be personal, business or unknown");
        if ((ev->peer_src && !valid_source(ev->peer_src)) ||
            (ev->claim_src && !valid_source(ev->claim_src)) ||
            (ev->verdict_src && !valid_source(ev->verdict_src)))
                return bad(a, err, "event: unknown source");
        if (ev->session_id < 0 || ev->account_id < 0)
                return bad(a, err, "event: negative session or account id");
        if (kernel_id(ev->peer_sessionid) == -2)
                return bad(a, err, "event: peer session id out of range");
        if (too_long(ev->site, 255) || too_long(ev->policy_id, 255))
                return bad(a, err, "event: site or policy id longer than 255 bytes");
        if (too_long(ev->justification, PW_AUDIT_JUSTIFICATION_MAX))
                return bad(a, err, "event: justification too long");
        bool business = ev->mode && strcmp(ev->mode, "business") == 0;
        if (ev->archive_text) {
                if (!business || !ev->company_account || ev->account_id <= 0)
                        return bad(a, err,
                                   "event: archive text is kept only for posts made as a "
                                   "company account");
                if (ev->archive_len > PW_AUDIT_TEXT_MAX)
                        return bad(a, err, "event: archive text too long");
        }
        if (ev->n_findings && !ev->findings)
                return bad(a, err, "event: findings missing");
        *ret_keep = business || (ev->flags & PW_AUDIT_KEEP_PERSONAL_FINDINGS);
        for (size_t i = 0; *ret_keep && i < ev->n_findings; i++) {
                const struct pw_audit_finding *f = &ev->findings[i];
                if (!f->rule_id || !f->category || !audit_action_check(f->action))
                        return bad(a, err, "finding: rule id, category or action missing");
                if (too_long(f->rule_id, 255) || too_long(f->category, 255))
                        return bad(a, err, "finding: rule id or category too long");
                if (too_long(f->excerpt, PW_AUDIT_EXCERPT_MAX))
                        return bad(a, err,
                                   "finding: excerpt longer than PW_AUDIT_EXCERPT_MAX "
                                   "(it must be the policy's masked excerpt)");
                if (f->byte_end < f->byte_start || f->u16_end < f->u16_start)
                        return bad(a, err, "finding: span ends before it starts");
        }
        return 0;
}

/* The archive account must really be a company account in the store. */
static int check_company(struct pw_audit *a, int64_t account_id, struct pw_error *err) {
        int r = 0;
        sqlite3_stmt *st = audit_stmt(a, ST_ACCOUNT_BY_ID, &r, err);
        if (!st)
                return r;
        bind_i64(st, ":id", account_id);
        int rc = sqlite3_step(st);
        bool company = rc == SQLITE_ROW && sqlite3_column_int(st, 2) == 1;
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return audit_sql_error(a, rc, "reading an account", err);
        return company ? 0
                       : bad(a, err,
                             "event: archive text given but the account is not a "
                             "company account in the store");
}

int pw_audit_append(struct pw_audit *a, const struct pw_audit_event *ev, int64_t *ret_seq,
                    struct pw_error *err) {
        if (!a || !ev)
                return -EINVAL;
        bool keep = false;
        int r = check_event(a, ev, &keep, err);
        if (r < 0)
                return r;
        int64_t t = ev->time_us ? ev->time_us : audit_now_us();
        int64_t seq = 0;
        size_t n = keep ? ev->n_findings : 0;

        /* content = archive body, number of findings, each finding (docs/audit.md) */
        struct canon c;
        canon_init(&c, "pw-audit-content-v1");
        canon_bytes(&c, ev->archive_text, ev->archive_len);
        canon_int(&c, (int64_t)n);
        for (size_t i = 0; i < n; i++) {
                const struct pw_audit_finding *f = &ev->findings[i];
                canon_int(&c, (int64_t)i);
                canon_text(&c, f->rule_id);
                canon_text(&c, f->category);
                canon_text(&c, audit_action_check(f->action));
                canon_text(&c, f->excerpt);
                canon_int(&c, f->byte_start);
                canon_int(&c, f->byte_end);
                canon_int(&c, f->u16_start);
                canon_int(&c, f->u16_end);
        }
        uint8_t content[32];
        if (canon_finish(&c, content) < 0) {
                pw_error_set(err, a->path, 0, 0, NULL, "out of memory");
                return -ENOMEM;
        }

        r = audit_op_begin(a, err);
        if (r < 0)
                return r;
        if (ev->archive_text)
                r = check_company(a, ev->account_id, err);
        if (r >= 0) {
                struct meta m = {
                        .kind = ev->kind,
                        .time_us = t,
                        .peer_uid = ev->peer_uid,
                        .peer_pid = ev->peer_pid,
                        .peer_sessionid = kernel_id(ev->peer_sessionid),
                        .peer_src = ev->peer_src,
                        .session_id = ev->session_id,
                        .account_id = ev->account_id,
                        .site = ev->site,
                        .claim_src = ev->claim_src,
                        .action = audit_action_check(ev->action),
                        .mode = audit_mode_check(ev->mode),
                        .company = ev->company_account,
                        .authorised = ev->authorised,
                        .policy_id = ev->policy_id,
                        .justification = ev->justification,
                        .verdict_src = ev->verdict_src,
                };
                r = append_row(a, &m, content, &seq, err);
        }
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const struct pw_audit_finding *f = &ev->findings[i];
                sqlite3_stmt *st = audit_stmt(a, ST_FINDING_INSERT, &r, err);
                if (!st)
                        break;
                bind_i64(st, ":seq", seq);
                bind_i64(st, ":ord", (int64_t)i);
                bind_text(st, ":rule_id", f->rule_id);
                bind_text(st, ":category", f->category);
                bind_text(st, ":action", audit_action_check(f->action));
                bind_text(st, ":excerpt", f->excerpt);
                bind_i64(st, ":byte_start", f->byte_start);
                bind_i64(st, ":byte_end", f->byte_end);
                bind_i64(st, ":u16_start", f->u16_start);
                bind_i64(st, ":u16_end", f->u16_end);
                r = step_done(a, st, "inserting a finding", err);
        }
        if (r >= 0 && ev->archive_text) {
                sqlite3_stmt *st = audit_stmt(a, ST_ARCHIVE_INSERT, &r, err);
                if (st) {
                        bind_i64(st, ":seq", seq);
                        bind_blob(st, ":body", ev->archive_text, ev->archive_len);
                        r = step_done(a, st, "archiving a post", err);
                }
        }
        r = audit_op_end(a, r, err);
        if (r < 0)
                return r;
        if (ret_seq)
                *ret_seq = seq;
        return 0;
}

/* ---- redaction, purge, heads ----------------------------------------------------------------- */

static void truncate_wal(struct pw_audit *a) {
        /* Best effort: with readers active the WAL may not be fully reset; it is the next
         * checkpoint's job then. */
        sqlite3_wal_checkpoint_v2(a->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

int pw_audit_redact(struct pw_audit *a, int64_t seq, const char *reason, int64_t *ret_seq,
                    struct pw_error *err) {
        if (!a)
                return -EINVAL;
        if (a->in_tx) {
                pw_error_set(err, a->path, 0, 0, NULL, "redact is not allowed inside a batch");
                return -EBUSY;
        }
        if (too_long(reason, PW_AUDIT_NOTE_MAX))
                return bad(a, err, "redact: reason too long");
        int r = audit_op_begin(a, err);
        if (r < 0)
                return r;
        int64_t got = 0;
        sqlite3_stmt *st = audit_stmt(a, ST_EVENT_GET, &r, err);
        if (st) {
                bind_i64(st, ":seq", seq);
                int rc = sqlite3_step(st);
                if (rc == SQLITE_ROW) {
                        bool redacted = sqlite3_column_type(st, 2) != SQLITE_NULL;
                        int64_t content = sqlite3_column_int64(st, 3) + sqlite3_column_int64(st, 4);
                        if (redacted) {
                                pw_error_set(err, a->path, 0, 0, NULL,
                                             "event %lld is already redacted", (long long)seq);
                                r = -EALREADY;
                        } else if (content == 0) {
                                pw_error_set(err, a->path, 0, 0, NULL,
                                             "event %lld has no archived text or findings",
                                             (long long)seq);
                                r = -ENODATA;
                        }
                } else if (rc == SQLITE_DONE) {
                        pw_error_set(err, a->path, 0, 0, NULL, "no event %lld", (long long)seq);
                        r = -ENOENT;
                } else {
                        r = audit_sql_error(a, rc, "reading an event", err);
                }
                sqlite3_reset(st);
        }
        int64_t now = audit_now_us();
        static const enum stmt steps[] = {ST_ARCHIVE_DELETE, ST_FINDINGS_DELETE,
                                          ST_EVENT_MARK_REDACTED};
        for (size_t i = 0; r >= 0 && i < 3; i++) {
                st = audit_stmt(a, steps[i], &r, err);
                if (!st)
                        break;
                bind_i64(st, ":seq", seq);
                if (steps[i] == ST_EVENT_MARK_REDACTED)
                        bind_i64(st, ":t", now);
                r = step_done(a, st, "redacting an event", err);
        }
        if (r >= 0) {
                struct meta m = {
                        .kind = PW_AUDIT_REDACTION,
                        .time_us = now,
                        .peer_uid = -1,
                        .peer_pid = -1,
                        .peer_sessionid = -1,
                        .target_seq = seq,
                        .note = reason,
                };
                r = append_row(a, &m, a->empty_content, &got, err);
        }
        r = audit_op_end(a, r, err);
        if (r < 0)
                return r;
        truncate_wal(a);
        if (ret_seq)
                *ret_seq = got;
        return 0;
}

int pw_audit_purge(struct pw_audit *a, int64_t before_us, struct pw_audit_purge_result *ret,
                   struct pw_error *err) {
        if (!a)
                return -EINVAL;
        if (a->in_tx) {
                pw_error_set(err, a->path, 0, 0, NULL, "purge is not allowed inside a batch");
                return -EBUSY;
        }
        if (before_us <= 0)
                return bad(a, err, "purge: no cutoff time");
        struct pw_audit_purge_result res = {0};
        int r = audit_op_begin(a, err);
        if (r < 0)
                return r;
        /* The chain stays a suffix: cut before the first event at or after the cutoff. */
        int64_t first_kept = 0, last = 0, cut = 0;
        sqlite3_stmt *st = audit_stmt(a, ST_PURGE_FIRST_KEPT, &r, err);
        if (st) {
                bind_i64(st, ":before", before_us);
                r = step_id(a, st, &first_kept, "purging", err);
        }
        if (r == 0) { /* every event is older than the cutoff */
                st = audit_stmt(a, ST_MAX_SEQ, &r, err);
                if (st)
                        r = step_id(a, st, &last, "purging", err);
                cut = r == 1 ? last : 0;
        } else if (r == 1) {
                cut = first_kept - 1;
        }
        uint8_t cut_hash[32];
        bool have_cut = false;
        if (r >= 0 && cut > 0) {
                st = audit_stmt(a, ST_EVENT_HASH, &r, err);
                if (st) {
                        bind_i64(st, ":seq", cut);
                        int rc = sqlite3_step(st);
                        if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
                                memcpy(cut_hash, sqlite3_column_blob(st, 0), 32);
                                have_cut = true;
                        } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
                                r = audit_sql_error(a, rc, "purging", err);
                        }
                        /* No row: already purged up to here (the cut is a checkpoint). */
                        sqlite3_reset(st);
                }
        }
        if (r >= 0 && have_cut) {
                st = audit_stmt(a, ST_PURGE_EVENTS, &r, err);
                if (st) {
                        bind_i64(st, ":seq", cut);
                        r = step_done(a, st, "purging events", err);
                        res.events_removed = sqlite3_changes(a->db);
                }
        }
        if (r >= 0) {
                st = audit_stmt(a, ST_PURGE_SESSIONS, &r, err);
                if (st) {
                        bind_i64(st, ":before", before_us);
                        r = step_done(a, st, "purging sessions", err);
                        res.sessions_removed = sqlite3_changes(a->db);
                }
        }
        if (r >= 0) {
                st = audit_stmt(a, ST_PURGE_ACCOUNTS, &r, err);
                if (st) {
                        bind_i64(st, ":before", before_us);
                        r = step_done(a, st, "purging accounts", err);
                        res.accounts_removed = sqlite3_changes(a->db);
                }
        }
        int64_t now = audit_now_us();
        if (r >= 0 && res.events_removed > 0) {
                st = audit_stmt(a, ST_CHECKPOINT_INSERT, &r, err);
                if (st) {
                        bind_text(st, ":kind", "purge");
                        bind_i64(st, ":seq", cut);
                        bind_blob(st, ":hash", cut_hash, 32);
                        bind_i64(st, ":time_us", now);
                        bind_i64(st, ":before_us", before_us);
                        bind_i64(st, ":removed", res.events_removed);
                        r = step_done(a, st, "writing the purge checkpoint", err);
                        res.checkpoint_seq = cut;
                }
        }
        if (r >= 0 && (res.events_removed || res.sessions_removed || res.accounts_removed)) {
                char note[160];
                snprintf(note, sizeof note,
                         "before_us=%lld events=%lld sessions=%lld accounts=%lld",
                         (long long)before_us, (long long)res.events_removed,
                         (long long)res.sessions_removed, (long long)res.accounts_removed);
                struct meta m = {
                        .kind = PW_AUDIT_PURGE,
                        .time_us = now,
                        .peer_uid = -1,
                        .peer_pid = -1,
                        .peer_sessionid = -1,
                        .target_seq = res.events_removed ? cut : 0,
                        .note = note,
                        .subject_hash = res.events_removed ? cut_hash : NULL,
                };
                r = append_row(a, &m, a->empty_content, NULL, err);
        }
        r = audit_op_end(a, r, err);
        if (r < 0)
                return r;
        truncate_wal(a);
        if (ret)
                *ret = res;
        return 0;
}

int pw_audit_record_head(struct pw_audit *a, struct pw_error *err) {
        if (!a)
                return -EINVAL;
        int r = audit_op_begin(a, err);
        if (r < 0)
                return r;
        sqlite3_stmt *st = audit_stmt(a, ST_CHECKPOINT_INSERT, &r, err);
        if (st) {
                bind_text(st, ":kind", "head");
                bind_i64(st, ":seq", a->committed.seq);
                bind_blob(st, ":hash", a->committed.hash, 32);
                bind_i64(st, ":time_us", audit_now_us());
                r = step_done(a, st, "recording the chain head", err);
        }
        return audit_op_end(a, r, err);
}
