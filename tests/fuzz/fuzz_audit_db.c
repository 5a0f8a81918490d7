/* Fuzz target: an audit database file that is damaged or crafted. Opening it read-only and
 * read-write, verifying, querying, building a report and writing to it must give errors, never a
 * crash. The input
 * is the whole file image. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "postwarden/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_session(const struct pw_audit_session_row *row, void *ud) {
        (*(int *)ud) += row->user ? (int)strlen(row->user) > 0 : 0;
        return 0;
}

static int count_event(const struct pw_audit_event_row *row, void *ud) {
        (*(int *)ud) += row->site ? 1 : 0;
        return 0;
}

/* Reads everything a reader can read. */
static void read_all(struct pw_audit *a) {
        struct pw_error e;
        struct pw_audit_verify_result v;
        struct pw_audit_head h;
        pw_audit_head(a, &h);
        pw_audit_verify(a, &h, 1, &v, &e);
        int n = 0;
        pw_audit_query_sessions(a, NULL, count_session, &n, &e);
        struct pw_audit_session_filter sf = {.account_id = 1, .user = "jane", .since_us = 1};
        pw_audit_query_sessions(a, &sf, count_session, &n, &e);
        pw_audit_query_events(a, NULL, count_event, &n, &e);
        struct pw_audit_event_filter ef = {.account_id = 1,
                                           .by_uid = 1,
                                           .peer_uid = 1000,
                                           .since_us = 1,
                                           .kind = PW_AUDIT_POST_ATTEMPT};
        pw_audit_query_events(a, &ef, count_event, &n, &e);
        char *text = NULL;
        if (pw_audit_archive_text(a, 4, &text, NULL, &e) == 0)
                free(text);
        int64_t id;
        pw_audit_account_find(a, NULL, "@AcmeCorp", &id, &e);
        size_t m;
        pw_audit_sessions_open_for_uid(a, 1000, &id, 1, &m, &e);
        /* the report's aggregates (postwardenctl audit report), with a timeline and small caps */
        static const int64_t edges[] = {INT64_MIN / 2, 0, 1700000000000000, INT64_MAX / 2};
        struct pw_audit_report_options ro = {.edges = edges,
                                             .n_buckets = 3,
                                             .max_accounts = 2,
                                             .max_links = 2,
                                             .max_items = 2,
                                             .max_top = 2};
        struct pw_audit_report *r = NULL;
        if (pw_audit_report_build(a, &ro, &r, &e) == 0)
                pw_audit_report_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char dir[64], db[96], side[112], key[96];
        /* tmpfs when there is one: fsync is free there, and it is the parsing that is fuzzed */
        struct stat st;
        const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
        snprintf(dir, sizeof dir, "%s/pw-fuzz-audit-%d", base, (int)getpid());
        mkdir(dir, 0700);
        snprintf(db, sizeof db, "%s/f.db", dir);
        snprintf(key, sizeof key, "%s/k", dir);
        for (const char *s = "-wal"; s; s = strcmp(s, "-wal") == 0 ? "-shm" : NULL) {
                snprintf(side, sizeof side, "%s%s", db, s);
                unlink(side);
        }
        int fd = open(db, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
                return 0;
        if (write(fd, data, size) != (ssize_t)size) {
                close(fd);
                return 0;
        }
        close(fd);

        struct pw_audit *a = NULL;
        struct pw_error e;
        struct pw_audit_options ro = {.path = db, .flags = PW_AUDIT_READONLY};
        if (pw_audit_open(&ro, &a, &e) == 0) {
                read_all(a);
                a = pw_audit_free(a);
        }
        struct pw_audit_options rw = {.path = db, .key_path = key};
        if (pw_audit_open(&rw, &a, &e) == 0) {
                struct pw_audit_session s = {.user = "jane",
                                             .uid = 1000,
                                             .audit_sessionid = 7,
                                             .loginuid = 1000,
                                             .src = PW_AUDIT_SRC_PAM,
                                             .peer_uid = 0,
                                             .peer_pid = 1};
                struct pw_audit_account acct = {.site = "x.com",
                                                .handle = "@AcmeCorp",
                                                .company = 1,
                                                .src = PW_AUDIT_SRC_CLIENT};
                struct pw_audit_account personal = {
                        .site = "x.com", .handle = "@p", .src = PW_AUDIT_SRC_CLIENT};
                int64_t sid = 0, aid = 0;
                if (pw_audit_begin(a, &e) == 0) {
                        pw_audit_session_open(a, &s, &sid, NULL, &e);
                        pw_audit_account_seen(a, &acct, &aid, &e);
                        pw_audit_account_seen(a, &personal, NULL, &e);
                        pw_audit_link(a, sid, aid, PW_AUDIT_TIE_ONLY_SESSION, 0, NULL, &e);
                        struct pw_audit_event ev = {
                                .kind = PW_AUDIT_POST_ATTEMPT,
                                .session_id = sid,
                                .account_id = aid,
                                .mode = "business",
                                .company_account = 1,
                                .archive_text = "text",
                                .archive_len = 4,
                        };
                        pw_audit_append(a, &ev, NULL, &e);
                        pw_audit_commit(a, &e);
                }
                read_all(a);
                pw_audit_redact(a, 4, "fuzz", NULL, &e);
                pw_audit_purge(a, 2, NULL, &e);
                pw_audit_session_close(a, sid > 0 ? sid : 1, 0, PW_AUDIT_SRC_PAM, 0, 1, NULL, &e);
                read_all(a);
                a = pw_audit_free(a);
        }
        for (const char *s = ""; s; s = *s == 0 ? "-wal" : strcmp(s, "-wal") == 0 ? "-shm" : NULL) {
                snprintf(side, sizeof side, "%s%s", db, s);
                unlink(side);
        }
        unlink(key);
        rmdir(dir);
        return 0;
}
