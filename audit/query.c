/* libpostwarden-audit: queries for postwardenctl audit (issue 7). Each query is one prepared
 * statement shaped so that an index of migration 2 serves it; filters that are not given are
 * bound as NULL or as the widest range. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int64_t limit_of(size_t limit) {
        return limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit;
}

int pw_audit_query_sessions(struct pw_audit *a, const struct pw_audit_session_filter *f,
                            pw_audit_session_cb cb, void *userdata, struct pw_error *err) {
        static const struct pw_audit_session_filter all = {0};
        if (!a || !cb)
                return -EINVAL;
        if (!f)
                f = &all;
        int r = 0;
        sqlite3_stmt *st = audit_stmt(
                a, f->account_id > 0 ? ST_Q_SESSIONS_BY_ACCOUNT : ST_Q_SESSIONS, &r, err);
        if (!st)
                return r;
        if (f->account_id > 0)
                bind_i64(st, ":account_id", f->account_id);
        bind_text(st, ":user", f->user);
        bind_i64(st, ":since", f->since_us > 0 ? f->since_us : INT64_MIN);
        bind_i64(st, ":until", f->until_us > 0 ? f->until_us : INT64_MAX);
        bind_i64(st, ":limit", limit_of(f->limit));
        bind_i64(st, ":open_only", f->open_only ? 1 : 0);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct pw_audit_session_row row = {
                        .id = sqlite3_column_int64(st, 0),
                        .user = col_text(st, 1),
                        .service = col_text(st, 2),
                        .tty = col_text(st, 3),
                        .rhost = col_text(st, 4),
                        .xdg_session_id = col_text(st, 5),
                        .host = col_text(st, 6),
                        .uid = col_i64(st, 7, -1),
                        .audit_sessionid = col_i64(st, 8, -1),
                        .loginuid = col_i64(st, 9, -1),
                        .opened_us = col_i64(st, 10, 0),
                        .closed_us = col_i64(st, 11, 0),
                        .src = audit_source_from_name(col_text(st, 12)),
                        .account_id = col_i64(st, 13, 0),
                        .rule = (enum pw_audit_tie_rule)col_i64(st, 14, 0),
                };
                r = cb(&row, userdata);
                if (r != 0) {
                        sqlite3_reset(st);
                        return r;
                }
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : audit_sql_error(a, rc, "querying sessions", err);
}

int pw_audit_query_events(struct pw_audit *a, const struct pw_audit_event_filter *f,
                          pw_audit_event_cb cb, void *userdata, struct pw_error *err) {
        static const struct pw_audit_event_filter all = {0};
        if (!a || !cb)
                return -EINVAL;
        if (!f)
                f = &all;
        if (f->kind && !pw_audit_kind_name(f->kind)) {
                pw_error_set(err, a->path, 0, 0, NULL, "unknown event kind %d", (int)f->kind);
                return -EINVAL;
        }
        int r = 0;
        sqlite3_stmt *st =
                audit_stmt(a, f->account_id > 0 ? ST_Q_EVENTS_BY_ACCOUNT : ST_Q_EVENTS, &r, err);
        if (!st)
                return r;
        if (f->account_id > 0)
                bind_i64(st, ":account_id", f->account_id);
        bind_i64(st, ":since", f->since_us > 0 ? f->since_us : INT64_MIN);
        bind_i64(st, ":until", f->until_us > 0 ? f->until_us : INT64_MAX);
        bind_opt_i64(st, ":session_id", f->session_id > 0 ? f->session_id : -1);
        if (f->by_uid)
                bind_i64(st, ":peer_uid", f->peer_uid); /* else NULL: any */
        bind_text(st, ":kind", f->kind ? pw_audit_kind_name(f->kind) : NULL);
        bind_i64(st, ":limit", limit_of(f->limit));
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct pw_audit_event_row row = {
                        .seq = sqlite3_column_int64(st, 0),
                        .kind = pw_audit_kind_from_name(col_text(st, 1)),
                        .time_us = col_i64(st, 2, 0),
                        .peer_uid = col_i64(st, 3, -1),
                        .peer_pid = col_i64(st, 4, -1),
                        .peer_sessionid = col_i64(st, 5, -1),
                        .peer_src = audit_source_from_name(col_text(st, 6)),
                        .claim_src = audit_source_from_name(col_text(st, 7)),
                        .session_id = col_i64(st, 8, 0),
                        .account_id = col_i64(st, 9, 0),
                        .target_seq = col_i64(st, 10, 0),
                        .site = col_text(st, 11),
                        .action = col_text(st, 12),
                        .mode = col_text(st, 13),
                        .policy_id = col_text(st, 14),
                        .justification = col_text(st, 15),
                        .note = col_text(st, 16),
                        .company_account = (int)col_i64(st, 17, 0),
                        .authorised = (int)col_i64(st, 18, 0),
                        .verdict_src = audit_source_from_name(col_text(st, 19)),
                        .n_findings = (int)col_i64(st, 20, 0),
                        .archived = (int)col_i64(st, 21, 0),
                };
                r = cb(&row, userdata);
                if (r != 0) {
                        sqlite3_reset(st);
                        return r;
                }
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : audit_sql_error(a, rc, "querying events", err);
}

int pw_audit_archive_text(struct pw_audit *a, int64_t seq, char **ret_text, size_t *ret_len,
                          struct pw_error *err) {
        if (!a || !ret_text)
                return -EINVAL;
        int r = 0;
        sqlite3_stmt *st = audit_stmt(a, ST_ARCHIVE_GET, &r, err);
        if (!st)
                return r;
        bind_i64(st, ":seq", seq);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                size_t n = (size_t)sqlite3_column_bytes(st, 0);
                const void *p = sqlite3_column_blob(st, 0);
                char *text = malloc(n + 1);
                if (!text) {
                        sqlite3_reset(st);
                        return -ENOMEM;
                }
                if (n)
                        memcpy(text, p, n);
                text[n] = '\0';
                sqlite3_reset(st);
                *ret_text = text;
                if (ret_len)
                        *ret_len = n;
                return 0;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return audit_sql_error(a, rc, "reading the archive", err);
        /* Nothing archived: say whether it was redacted. */
        st = audit_stmt(a, ST_EVENT_GET, &r, err);
        if (!st)
                return r;
        bind_i64(st, ":seq", seq);
        rc = sqlite3_step(st);
        bool redacted = rc == SQLITE_ROW && sqlite3_column_type(st, 2) != SQLITE_NULL;
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return audit_sql_error(a, rc, "reading an event", err);
        pw_error_set(err, a->path, 0, 0, NULL,
                     redacted ? "event %lld was redacted" : "event %lld has no archived text",
                     (long long)seq);
        return redacted ? -ENODATA : -ENOENT;
}

int pw_audit_query_accounts(struct pw_audit *a, const struct pw_audit_account_filter *f,
                            pw_audit_account_cb cb, void *userdata, struct pw_error *err) {
        static const struct pw_audit_account_filter all = {0};
        if (!a || !cb)
                return -EINVAL;
        if (!f)
                f = &all;
        int r = 0;
        sqlite3_stmt *st = audit_stmt(a, ST_Q_ACCOUNTS, &r, err);
        if (!st)
                return r;
        bind_opt_i64(st, ":id", f->account_id > 0 ? f->account_id : -1);
        bind_text(st, ":site", f->site);
        bind_text(st, ":name", f->name);
        bind_opt_i64(st, ":company",
                     f->which == PW_AUDIT_ACCOUNTS_COMPANY    ? 1
                     : f->which == PW_AUDIT_ACCOUNTS_PERSONAL ? 0
                                                              : -1);
        bind_opt_i64(st, ":session_id", f->session_id > 0 ? f->session_id : -1);
        bind_i64(st, ":limit", limit_of(f->limit));
        bind_i64(st, ":counts", f->no_counts ? 0 : 1);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct pw_audit_account_row row = {
                        .id = sqlite3_column_int64(st, 0),
                        .site = col_text(st, 1),
                        .company = (int)col_i64(st, 2, 0),
                        .stable_id = col_text(st, 3),
                        .handle = col_text(st, 4),
                        .display_name = col_text(st, 5),
                        .policy_name = col_text(st, 6),
                        .handle_hmac = col_text(st, 7),
                        .src = audit_source_from_name(col_text(st, 8)),
                        .first_seen_us = col_i64(st, 9, 0),
                        .last_seen_us = col_i64(st, 10, 0),
                        .n_sessions = col_i64(st, 11, 0),
                };
                r = cb(&row, userdata);
                if (r != 0) {
                        sqlite3_reset(st);
                        return r;
                }
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : audit_sql_error(a, rc, "querying accounts", err);
}

int pw_audit_query_links(struct pw_audit *a, const struct pw_audit_link_filter *f,
                         pw_audit_link_cb cb, void *userdata, struct pw_error *err) {
        static const struct pw_audit_link_filter all = {0};
        if (!a || !cb)
                return -EINVAL;
        if (!f)
                f = &all;
        int r = 0;
        sqlite3_stmt *st = audit_stmt(a, ST_Q_LINKS, &r, err);
        if (!st)
                return r;
        bind_opt_i64(st, ":session_id", f->session_id > 0 ? f->session_id : -1);
        bind_opt_i64(st, ":account_id", f->account_id > 0 ? f->account_id : -1);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct pw_audit_link_row row = {
                        .id = sqlite3_column_int64(st, 0),
                        .session_id = sqlite3_column_int64(st, 1),
                        .account_id = sqlite3_column_int64(st, 2),
                        .rule = (enum pw_audit_tie_rule)col_i64(st, 3, 0),
                        .src = audit_source_from_name(col_text(st, 4)),
                        .first_us = col_i64(st, 5, 0),
                        .last_us = col_i64(st, 6, 0),
                };
                r = cb(&row, userdata);
                if (r != 0) {
                        sqlite3_reset(st);
                        return r;
                }
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : audit_sql_error(a, rc, "querying links", err);
}
