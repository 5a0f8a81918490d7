/* libpostwarden-audit: the fleet feed. postwardend reads each committed event back from the
 * store, with its session and account, to log it as one syslog line (docs/fleet.md). Reading
 * from the store rather than from what the writer meant to write is the point: the line shows
 * exactly the row that is on the chain, with the chain hash it has there. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define FEED_FINDINGS_MAX 256 /* the most a post_attempt can carry */

int pw_audit_feed(struct pw_audit *a, int64_t after_seq, size_t limit, pw_audit_feed_cb cb,
                  void *userdata, struct pw_error *err) {
        if (!a || !cb || after_seq < 0)
                return -EINVAL;
        int r = 0;
        sqlite3_stmt *st = audit_stmt(a, ST_FEED_EVENTS, &r, err);
        if (!st)
                return r;
        bind_i64(st, ":after", after_seq);
        bind_i64(st, ":limit", limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit);
        struct pw_audit_feed_finding fv[FEED_FINDINGS_MAX];
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct pw_audit_feed_row row = {
                        .seq = sqlite3_column_int64(st, 0),
                        .kind = pw_audit_kind_from_name(col_text(st, 1)),
                        .time_us = col_i64(st, 2, 0),
                        .peer_uid = col_i64(st, 3, -1),
                        .peer_pid = col_i64(st, 4, -1),
                        .peer_sessionid = col_i64(st, 5, -1),
                        .peer_src = audit_source_from_name(col_text(st, 6)),
                        .session_id = col_i64(st, 7, 0),
                        .session_user = col_text(st, 8),
                        .session_tty = col_text(st, 9),
                        .session_rhost = col_text(st, 10),
                        .session_host = col_text(st, 11),
                        .session_src = audit_source_from_name(col_text(st, 12)),
                        .account_id = col_i64(st, 13, 0),
                        .account_site = col_text(st, 14),
                        .account_company = (int)col_i64(st, 15, 0),
                        .account_handle = col_text(st, 16),
                        .account_hmac = col_text(st, 17),
                        .account_policy_name = col_text(st, 18),
                        .account_src = audit_source_from_name(col_text(st, 19)),
                        .link_id = col_i64(st, 20, 0),
                        .link_rule = (enum pw_audit_tie_rule)col_i64(st, 21, 0),
                        .site = col_text(st, 22),
                        .claim_src = audit_source_from_name(col_text(st, 23)),
                        .action = col_text(st, 24),
                        .mode = col_text(st, 25),
                        .company_account = (int)col_i64(st, 26, 0),
                        .authorised = (int)col_i64(st, 27, 0),
                        .policy_id = col_text(st, 28),
                        .justification = col_text(st, 29),
                        .target_seq = col_i64(st, 30, 0),
                        .note = col_text(st, 31),
                        .verdict_src = audit_source_from_name(col_text(st, 32)),
                        .session_uid = col_i64(st, 34, -1),
                };
                if (!row.account_company) {
                        /* The schema keeps personal handles out; do not rely on it here. */
                        row.account_handle = NULL;
                        row.account_policy_name = NULL;
                }
                if (sqlite3_column_bytes(st, 33) != PW_AUDIT_HASH_SIZE) {
                        sqlite3_reset(st);
                        pw_error_set(err, a->path, 0, 0, NULL, "event %lld has a malformed hash",
                                     (long long)row.seq);
                        return -EBADMSG;
                }
                audit_hex(sqlite3_column_blob(st, 33), PW_AUDIT_HASH_SIZE, row.hash_hex);
                /* Findings: rule and category only. The strings stay valid while the finding
                 * statement is not stepped again, i.e. until it is reset below. */
                sqlite3_stmt *fs = audit_stmt(a, ST_FEED_FINDINGS, &r, err);
                if (!fs) {
                        sqlite3_reset(st);
                        return r;
                }
                bind_i64(fs, ":seq", row.seq);
                size_t n = 0;
                /* Copy what we need: column text pointers are invalidated by the next step. */
                char *owned[FEED_FINDINGS_MAX * 2];
                int frc;
                while ((frc = sqlite3_step(fs)) == SQLITE_ROW && n < FEED_FINDINGS_MAX) {
                        owned[2 * n] = strdup(col_text(fs, 0) ? col_text(fs, 0) : "");
                        owned[2 * n + 1] = strdup(col_text(fs, 1) ? col_text(fs, 1) : "");
                        fv[n].rule_id = owned[2 * n];
                        fv[n].category = owned[2 * n + 1];
                        n++;
                        if (!owned[2 * n - 2] || !owned[2 * n - 1]) {
                                frc = SQLITE_NOMEM;
                                break;
                        }
                }
                sqlite3_reset(fs);
                if (frc != SQLITE_DONE && frc != SQLITE_ROW) {
                        for (size_t i = 0; i < 2 * n; i++)
                                free(owned[i]);
                        sqlite3_reset(st);
                        return frc == SQLITE_NOMEM
                                       ? -ENOMEM
                                       : audit_sql_error(a, frc, "reading findings", err);
                }
                row.findings = n ? fv : NULL;
                row.n_findings = n;
                r = cb(&row, userdata);
                for (size_t i = 0; i < 2 * n; i++)
                        free(owned[i]);
                if (r != 0) {
                        sqlite3_reset(st);
                        return r;
                }
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : audit_sql_error(a, rc, "reading events for the feed", err);
}
