/* Unit tests for libpostwarden-audit (audit/): real SQLite files in a temporary directory,
 * tampered with through sqlite3 directly, and the raw bytes of the database and WAL searched
 * for what must never be stored. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "postwarden/audit.h"

#define PLANTED_HANDLE   "@jane_private_zq81"
#define PLANTED_PERSONAL "my secret weekend plan zq81"
#define PLANTED_ARCHIVE  "Acme launches Project Zq81 today"

struct fx {
        char dir[64];       /* the temporary directory */
        char db[128];       /* dir/audit.db */
        char key[128];      /* dir/audit.db.hmac-key */
        struct pw_audit *a; /* an open writer, or NULL */
};

/* ---- helpers --------------------------------------------------------------------------------- */

static int setup(void **state) {
        struct fx *f = calloc(1, sizeof *f);
        assert_non_null(f);
        snprintf(f->dir, sizeof f->dir, "/tmp/pw-audit-test-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->db, sizeof f->db, "%s/audit.db", f->dir);
        snprintf(f->key, sizeof f->key, "%s/audit.db.hmac-key", f->dir);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fx *f = *state;
        pw_audit_free(f->a);
        char cmd[160];
        snprintf(cmd, sizeof cmd, "%s/small", f->dir);
        umount2(cmd, MNT_DETACH); /* full_disk's tmpfs, if a failure left it mounted */
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
                return -1;
        free(f);
        return 0;
}

static struct pw_audit *open_db(struct fx *f, unsigned flags, int target) {
        struct pw_audit_options o = {.path = f->db, .flags = flags, .target_version = target};
        struct pw_error e = {0};
        struct pw_audit *a = NULL;
        int r = pw_audit_open(&o, &a, &e);
        if (r < 0)
                fail_msg("open %s: %s (%d)", f->db, e.text, r);
        return a;
}

/* Runs SQL on the file with a separate plain connection (the "attacker" or an inspector). */
static void sql(struct fx *f, const char *q) {
        sqlite3 *db;
        assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
        char *msg = NULL;
        int rc = sqlite3_exec(db, q, NULL, NULL, &msg);
        if (rc != SQLITE_OK)
                fail_msg("%s: %s", q, msg);
        sqlite3_close(db);
}

static int64_t sql_int(struct fx *f, const char *q) {
        sqlite3 *db;
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        int64_t v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(db);
        return v;
}

static char *sql_text(struct fx *f, const char *q) {
        sqlite3 *db;
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        const char *t = (const char *)sqlite3_column_text(st, 0);
        char *s = strdup(t ? t : "(null)");
        sqlite3_finalize(st);
        sqlite3_close(db);
        return s;
}

/* 1 when `needle` occurs in the bytes of `path` (a missing file has nothing). */
static int file_contains(const char *path, const char *needle) {
        FILE *fp = fopen(path, "rb");
        if (!fp)
                return 0;
        fseek(fp, 0, SEEK_END);
        long n = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        char *buf = malloc((size_t)n + 1);
        assert_non_null(buf);
        size_t got = fread(buf, 1, (size_t)n, fp);
        fclose(fp);
        int found = memmem(buf, got, needle, strlen(needle)) != NULL;
        free(buf);
        return found;
}

static int store_contains(struct fx *f, const char *needle) {
        char p[160];
        int found = file_contains(f->db, needle);
        snprintf(p, sizeof p, "%s-wal", f->db);
        found |= file_contains(p, needle);
        snprintf(p, sizeof p, "%s-journal", f->db);
        found |= file_contains(p, needle);
        return found;
}

static int64_t open_session(struct pw_audit *a, const char *user, int64_t uid, int64_t sid,
                            int64_t opened) {
        struct pw_audit_session s = {
                .user = user,
                .uid = uid,
                .service = "gdm-password",
                .tty = ":0",
                .rhost = NULL,
                .audit_sessionid = sid,
                .loginuid = uid,
                .xdg_session_id = "2",
                .host = "ws-17",
                .opened_us = opened,
                .src = PW_AUDIT_SRC_PAM,
                .peer_uid = 0,
                .peer_pid = 4242,
        };
        int64_t id = 0;
        struct pw_error e;
        int r = pw_audit_session_open(a, &s, &id, NULL, &e);
        if (r < 0)
                fail_msg("session_open: %s", e.text);
        return id;
}

static int64_t company_account(struct pw_audit *a, const char *handle) {
        struct pw_audit_account acct = {
                .site = "x.com",
                .stable_id = "1234567",
                .handle = handle,
                .display_name = "Acme Corp",
                .company = 1,
                .policy_name = "acme-main",
                .src = PW_AUDIT_SRC_CLIENT,
                .seen_us = 1200000,
        };
        int64_t id = 0;
        struct pw_error e;
        int r = pw_audit_account_seen(a, &acct, &id, &e);
        if (r < 0)
                fail_msg("account_seen: %s", e.text);
        return id;
}

static const struct pw_audit_finding two_findings[] = {
        {.rule_id = "no-codenames",
         .category = "confidential",
         .action = "block",
         .excerpt = "Project Z***",
         .byte_start = 13,
         .byte_end = 25,
         .u16_start = 13,
         .u16_end = 25},
        {.rule_id = "iban",
         .category = "iban",
         .action = "warn",
         .excerpt = "DE89 **** 3000",
         .byte_start = 40,
         .byte_end = 62,
         .u16_start = 40,
         .u16_end = 62},
};

/* A business post as @AcmeCorp with two findings and its archived text. */
static int64_t business_post(struct pw_audit *a, int64_t session, int64_t account, int64_t t,
                             const char *text) {
        struct pw_audit_event ev = {
                .kind = PW_AUDIT_POST_ATTEMPT,
                .time_us = t,
                .peer_uid = 1000,
                .peer_pid = 3333,
                .peer_sessionid = 7,
                .peer_src = PW_AUDIT_SRC_KERNEL,
                .session_id = session,
                .account_id = account,
                .site = "x.com",
                .claim_src = PW_AUDIT_SRC_CLIENT,
                .action = "warn",
                .mode = "business",
                .company_account = 1,
                .authorised = 1,
                .policy_id = "pol-abc123",
                .archive_text = text,
                .archive_len = text ? strlen(text) : 0,
                .findings = two_findings,
                .n_findings = 2,
                .verdict_src = PW_AUDIT_SRC_SERVICE,
        };
        int64_t seq = 0;
        struct pw_error e;
        int r = pw_audit_append(a, &ev, &seq, &e);
        if (r < 0)
                fail_msg("append: %s", e.text);
        return seq;
}

static void verify_ok(struct pw_audit *a) {
        struct pw_audit_verify_result v;
        struct pw_error e = {0};
        int r = pw_audit_verify(a, NULL, 0, &v, &e);
        if (r != 0)
                fail_msg("verify: %d %s", r, e.text);
        assert_int_equal(v.bad_seq, 0);
}

static int64_t verify_bad(struct pw_audit *a, const struct pw_audit_head *h, size_t n) {
        struct pw_audit_verify_result v;
        struct pw_error e = {0};
        assert_int_equal(pw_audit_verify(a, h, n, &v, &e), -EBADMSG);
        assert_true(v.bad_seq > 0);
        assert_non_null(strstr(e.text, "chain broken at event"));
        return v.bad_seq;
}

/* A populated store: session, company account, link, two business posts. Returns the second
 * post's seq. */
static int64_t populate(struct fx *f) {
        f->a = open_db(f, 0, 0);
        int64_t s = open_session(f->a, "jane", 1000, 7, 1000000);
        int64_t acct = company_account(f->a, "@AcmeCorp");
        assert_int_equal(pw_audit_link(f->a, s, acct, PW_AUDIT_TIE_SESSIONID, 2000000, NULL, NULL),
                         0);
        business_post(f->a, s, acct, 3000000, "first post");
        return business_post(f->a, s, acct, 4000000, PLANTED_ARCHIVE);
}

/* ---- schema and migrations ------------------------------------------------------------------- */

static void schema_is_created(void **state) {
        struct fx *f = *state;
        f->a = open_db(f, 0, 0);
        assert_int_equal(pw_audit_schema_version(f->a), PW_AUDIT_SCHEMA_VERSION);
        char *mode = sql_text(f, "PRAGMA journal_mode");
        assert_string_equal(mode, "wal");
        free(mode);
        /* every table is STRICT */
        assert_int_equal(sql_int(f, "SELECT count(*) FROM pragma_table_list WHERE schema = "
                                    "'main' AND name NOT LIKE 'sqlite_%' AND strict = 0"),
                         0);
        assert_int_equal(sql_int(f, "SELECT count(*) FROM pragma_table_list WHERE schema = "
                                    "'main' AND name NOT LIKE 'sqlite_%'"),
                         7);
        struct stat st;
        assert_int_equal(stat(f->key, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_int_equal(st.st_size, 32);
        struct pw_audit_head h;
        assert_int_equal(pw_audit_head(f->a, &h), 0);
        assert_int_equal(h.seq, 0);
        verify_ok(f->a);
}

static void old_version_is_migrated(void **state) {
        struct fx *f = *state;
        f->a = open_db(f, 0, 1);
        assert_int_equal(pw_audit_schema_version(f->a), 1);
        int64_t s = open_session(f->a, "jane", 1000, 7, 1000000);
        business_post(f->a, s, company_account(f->a, "@AcmeCorp"), 2000000, "hello");
        f->a = pw_audit_free(f->a);
        assert_int_equal(sql_int(f, "SELECT count(*) FROM sqlite_schema WHERE name = "
                                    "'events_by_time'"),
                         0);
        /* A reader cannot migrate: it says so. */
        struct pw_audit_options ro = {.path = f->db, .flags = PW_AUDIT_READONLY};
        struct pw_audit *r = NULL;
        struct pw_error e = {0};
        assert_int_equal(pw_audit_open(&ro, &r, &e), -EROFS);
        assert_non_null(strstr(e.text, "needs migrating"));
        assert_null(r);

        f->a = open_db(f, 0, 0);
        assert_int_equal(pw_audit_schema_version(f->a), 2);
        assert_int_equal(sql_int(f, "SELECT count(*) FROM sqlite_schema WHERE name = "
                                    "'events_by_time'"),
                         1);
        assert_int_equal(sql_int(f, "SELECT count(*) FROM events"), 3);
        verify_ok(f->a);
}

static void newer_version_is_refused(void **state) {
        struct fx *f = *state;
        f->a = open_db(f, 0, 0);
        f->a = pw_audit_free(f->a);
        sql(f, "PRAGMA user_version = 99");
        struct pw_audit_options o = {.path = f->db};
        struct pw_audit *a = NULL;
        struct pw_error e = {0};
        assert_int_equal(pw_audit_open(&o, &a, &e), -ENOTSUP);
        assert_null(a);
        assert_non_null(strstr(e.text, "schema version 99, newer than"));
        o.flags = PW_AUDIT_READONLY;
        assert_int_equal(pw_audit_open(&o, &a, &e), -ENOTSUP);
        /* found by the fuzzer: a negative version indexed the migrations out of bounds */
        sql(f, "PRAGMA user_version = -7");
        o.flags = 0;
        assert_int_equal(pw_audit_open(&o, &a, &e), -EBADMSG);
        assert_non_null(strstr(e.text, "negative schema version"));
}

/* ---- inserts and sources --------------------------------------------------------------------- */

static void records_of_each_kind_with_sources(void **state) {
        struct fx *f = *state;
        int64_t post = populate(f);
        struct pw_error e;
        /* an override and an authorisation block, and the close */
        struct pw_audit_event ov = {
                .kind = PW_AUDIT_OVERRIDE,
                .peer_uid = 1000,
                .peer_pid = 3333,
                .peer_sessionid = 4294967295LL,
                .peer_src = PW_AUDIT_SRC_KERNEL,
                .session_id = 1,
                .account_id = 1,
                .site = "x.com",
                .claim_src = PW_AUDIT_SRC_CLIENT,
                .action = "block",
                .mode = "business",
                .company_account = 1,
                .authorised = 1,
                .justification = "approved by legal, ticket \"LEG-7\"",
        };
        assert_int_equal(pw_audit_append(f->a, &ov, NULL, &e), 0);
        struct pw_audit_event blk = {
                .kind = PW_AUDIT_AUTH_BLOCK,
                .peer_uid = 1001,
                .peer_pid = 5,
                .peer_sessionid = -1,
                .peer_src = PW_AUDIT_SRC_KERNEL,
                .account_id = 1,
                .site = "x.com",
                .claim_src = PW_AUDIT_SRC_CLIENT,
                .action = "block",
                .mode = "business",
                .company_account = 1,
                .authorised = 0,
        };
        assert_int_equal(pw_audit_append(f->a, &blk, NULL, &e), 0);
        assert_int_equal(
                pw_audit_session_close(f->a, 1, 9000000, PW_AUDIT_SRC_PAM, 0, 4243, NULL, &e), 0);
        assert_int_equal(
                pw_audit_session_close(f->a, 1, 9000001, PW_AUDIT_SRC_PAM, 0, 4243, NULL, &e),
                -EALREADY);
        assert_int_equal(pw_audit_session_close(f->a, 99, 0, PW_AUDIT_SRC_PAM, 0, 1, NULL, &e),
                         -ENOENT);

        /* sessions: pam facts */
        assert_int_equal(sql_int(f, "SELECT count(*) FROM sessions WHERE user = 'jane' AND uid "
                                    "= 1000 AND audit_sessionid = 7 AND src = 'pam' AND "
                                    "closed_us = 9000000 AND closed_src = 'pam' AND host = "
                                    "'ws-17' AND xdg_session_id = '2'"),
                         1);
        /* account: client claim, in clear as it is the company's */
        assert_int_equal(sql_int(f, "SELECT count(*) FROM accounts WHERE handle = '@AcmeCorp' "
                                    "AND company = 1 AND src = 'client' AND stable_id = "
                                    "'1234567'"),
                         1);
        assert_int_equal(sql_int(f, "SELECT rule FROM session_accounts"), 1);
        assert_int_equal(sql_int(f, "SELECT count(*) FROM session_accounts WHERE src = "
                                    "'service'"),
                         1);
        /* the post: kernel peer, client claim, findings and archive */
        char q[256];
        snprintf(q, sizeof q,
                 "SELECT count(*) FROM events WHERE seq = %lld AND kind = 'post_attempt' AND "
                 "peer_uid = 1000 AND peer_src = 'kernel' AND claim_src = 'client' AND "
                 "mode = 'business' AND verdict_src = 'service'",
                 (long long)post);
        assert_int_equal(sql_int(f, q), 1);
        snprintf(q, sizeof q, "SELECT count(*) FROM findings WHERE event_seq = %lld",
                 (long long)post);
        assert_int_equal(sql_int(f, q), 2);
        assert_int_equal(sql_int(f, "SELECT count(*) FROM archive"), 2);
        /* unset kernel values are NULL */
        assert_int_equal(sql_int(f, "SELECT count(*) FROM events WHERE kind = 'override' AND "
                                    "peer_sessionid IS NULL AND justification LIKE '%LEG-7%'"),
                         1);
        char *kinds = sql_text(f, "SELECT group_concat(kind, ',') FROM (SELECT kind FROM events "
                                  "ORDER BY seq)");
        assert_string_equal(kinds, "session_open,account_seen,session_link,post_attempt,"
                                   "post_attempt,override,auth_block,session_close");
        free(kinds);
        /* seeing the same account and link again adds no event */
        company_account(f->a, "@AcmeCorp");
        assert_int_equal(pw_audit_link(f->a, 1, 1, PW_AUDIT_TIE_SESSIONID, 0, NULL, NULL), 0);
        assert_int_equal(sql_int(f, "SELECT count(*) FROM events"), 8);
        /* a renamed handle is a new account row */
        assert_int_not_equal(company_account(f->a, "@AcmeCorpNew"), 1);
        verify_ok(f->a);
}

static void bad_records_are_refused(void **state) {
        struct fx *f = *state;
        populate(f);
        struct pw_error e = {0};
        struct pw_audit_event ev = {.kind = PW_AUDIT_POST_ATTEMPT, .action = "maybe"};
        assert_int_equal(pw_audit_append(f->a, &ev, NULL, &e), -EINVAL);
        assert_non_null(strstr(e.text, "action"));
        ev = (struct pw_audit_event){.kind = PW_AUDIT_SESSION_OPEN};
        assert_int_equal(pw_audit_append(f->a, &ev, NULL, &e), -EINVAL);
        char big[PW_AUDIT_EXCERPT_MAX + 10];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = 0;
        struct pw_audit_finding fi = {
                .rule_id = "r", .category = "c", .action = "warn", .excerpt = big};
        ev = (struct pw_audit_event){.kind = PW_AUDIT_POST_ATTEMPT,
                                     .mode = "business",
                                     .findings = &fi,
                                     .n_findings = 1};
        assert_int_equal(pw_audit_append(f->a, &ev, NULL, &e), -EINVAL);
        assert_non_null(strstr(e.text, "excerpt"));
        /* a justification: 1000 characters typed in the page (the extension's limit) of 3 bytes
         * each are stored; one byte over the protocols' limit is refused, naming the field */
        char just[PW_AUDIT_JUSTIFICATION_MAX + 2];
        for (int i = 0; i < 1000; i++)
                memcpy(just + 3 * i, "\xe2\x82\xac", 3); /* U+20AC EURO SIGN */
        just[3000] = 0;
        ev = (struct pw_audit_event){.kind = PW_AUDIT_OVERRIDE,
                                     .action = "block",
                                     .mode = "business",
                                     .justification = just};
        assert_int_equal(pw_audit_append(f->a, &ev, NULL, &e), 0);
        assert_int_equal(sql_int(f, "SELECT length(CAST(justification AS BLOB)) FROM events "
                                    "WHERE kind = 'override' ORDER BY seq DESC LIMIT 1"),
                         3000);
        memset(just, 'j', PW_AUDIT_JUSTIFICATION_MAX + 1);
        just[PW_AUDIT_JUSTIFICATION_MAX + 1] = 0;
        assert_int_equal(pw_audit_append(f->a, &ev, NULL, &e), -EINVAL);
        assert_non_null(strstr(e.text, "justification"));
        /* an unknown session: the foreign key says no, and the chain is unchanged */
        struct pw_audit_head before, after;
        pw_audit_head(f->a, &before);
        ev = (struct pw_audit_event){.kind = PW_AUDIT_POST_ATTEMPT, .session_id = 999};
        assert_int_equal(pw_audit_append(f->a, &ev, NULL, &e), -EINVAL);
        assert_non_null(strstr(e.text, "FOREIGN KEY"));
        pw_audit_head(f->a, &after);
        assert_int_equal(before.seq, after.seq);
        struct pw_audit_session s = {.user = "", .src = PW_AUDIT_SRC_PAM};
        assert_int_equal(pw_audit_session_open(f->a, &s, NULL, NULL, &e), -EINVAL);
        s = (struct pw_audit_session){
                .user = "x", .src = PW_AUDIT_SRC_PAM, .audit_sessionid = 1LL << 40};
        assert_int_equal(pw_audit_session_open(f->a, &s, NULL, NULL, &e), -EINVAL);
        assert_int_equal(pw_audit_link(f->a, 1, 1, 7, 0, NULL, &e), -EINVAL);
        verify_ok(f->a);
}

/* ---- group commit ---------------------------------------------------------------------------- */

static void batch_commit_and_rollback(void **state) {
        struct fx *f = *state;
        populate(f);
        struct pw_error e = {0};
        struct pw_audit_head h0, h1;
        pw_audit_head(f->a, &h0);
        assert_int_equal(pw_audit_begin(f->a, &e), 0);
        assert_int_equal(pw_audit_begin(f->a, &e), -EBUSY);
        for (int i = 0; i < 100; i++)
                business_post(f->a, 1, 1, 5000000 + i, NULL);
        /* a bad event in the middle of a batch costs only itself */
        struct pw_audit_event bad = {.kind = PW_AUDIT_POST_ATTEMPT, .account_id = 999};
        assert_int_equal(pw_audit_append(f->a, &bad, NULL, &e), -EINVAL);
        int64_t last = business_post(f->a, 1, 1, 6000000, NULL);
        assert_int_equal(last, h0.seq + 101);
        /* not committed: the head others see has not moved, another reader sees nothing */
        pw_audit_head(f->a, &h1);
        assert_int_equal(h1.seq, h0.seq);
        char q[128];
        snprintf(q, sizeof q, "SELECT count(*) FROM events WHERE seq > %lld", (long long)h0.seq);
        assert_int_equal(sql_int(f, q), 0);
        assert_int_equal(pw_audit_commit(f->a, &e), 0);
        pw_audit_head(f->a, &h1);
        assert_int_equal(h1.seq, h0.seq + 101);
        assert_int_equal(sql_int(f, q), 101);

        /* rolled back: gone, and the chain continues from the committed head */
        assert_int_equal(pw_audit_begin(f->a, &e), 0);
        for (int i = 0; i < 10; i++)
                business_post(f->a, 1, 1, 7000000 + i, NULL);
        assert_int_equal(pw_audit_rollback(f->a), 0);
        pw_audit_head(f->a, &h0);
        assert_int_equal(h0.seq, h1.seq);
        assert_int_equal(business_post(f->a, 1, 1, 8000000, NULL), h1.seq + 1);
        verify_ok(f->a);
        /* the head survives a reopen */
        pw_audit_head(f->a, &h0);
        f->a = pw_audit_free(f->a);
        f->a = open_db(f, 0, 0);
        pw_audit_head(f->a, &h1);
        assert_int_equal(h0.seq, h1.seq);
        assert_memory_equal(h0.hash, h1.hash, 32);
        assert_string_equal(h0.hex, h1.hex);
}

/* Two writers on one file (a second process, a stray tool): each reads the head under the write
 * lock, so the chain stays one chain. */
static void two_writers_keep_one_chain(void **state) {
        struct fx *f = *state;
        populate(f);
        struct pw_audit *b = open_db(f, 0, 0);
        for (int i = 0; i < 10; i++) {
                business_post(i % 2 ? b : f->a, 1, 1, 5000000 + i, NULL);
                if (i % 3 == 0) {
                        assert_int_equal(pw_audit_begin(b, NULL), 0);
                        business_post(b, 1, 1, 6000000 + i, "batched");
                        assert_int_equal(pw_audit_commit(b, NULL), 0);
                }
        }
        struct pw_audit_head ha, hb;
        pw_audit_head(b, &hb);
        business_post(f->a, 1, 1, 7000000, NULL);
        pw_audit_head(f->a, &ha);
        assert_int_equal(ha.seq, hb.seq + 1);
        pw_audit_free(b);
        verify_ok(f->a);
}

/* ---- tamper evidence ------------------------------------------------------------------------- */

static void verify_counts_rows(void **state) {
        struct fx *f = *state;
        int64_t last = populate(f);
        struct pw_audit_verify_result v;
        assert_int_equal(pw_audit_verify(f->a, NULL, 0, &v, NULL), 0);
        assert_int_equal(v.rows, last);
        assert_int_equal(v.first_seq, 1);
        struct pw_audit_head h;
        pw_audit_head(f->a, &h);
        assert_int_equal(v.head.seq, h.seq);
        assert_string_equal(v.head.hex, h.hex);
        /* the logged head is on the chain */
        assert_int_equal(pw_audit_verify(f->a, &h, 1, &v, NULL), 0);
        assert_int_equal(pw_audit_record_head(f->a, NULL), 0);
        assert_int_equal(sql_int(f, "SELECT count(*) FROM chain_checkpoints WHERE kind = "
                                    "'head'"),
                         1);
}

static void edited_event_is_found(void **state) {
        struct fx *f = *state;
        int64_t last = populate(f);
        verify_ok(f->a);
        char q[160];
        snprintf(q, sizeof q, "UPDATE events SET action = 'allow' WHERE seq = %lld",
                 (long long)(last - 1));
        sql(f, q);
        assert_int_equal(verify_bad(f->a, NULL, 0), last - 1);
}

static void edited_finding_is_found(void **state) {
        struct fx *f = *state;
        int64_t last = populate(f);
        char q[160];
        snprintf(q, sizeof q, "UPDATE findings SET excerpt = 'nothing' WHERE event_seq = %lld",
                 (long long)last);
        sql(f, q);
        assert_int_equal(verify_bad(f->a, NULL, 0), last);
}

static void edited_archive_and_session_are_found(void **state) {
        struct fx *f = *state;
        int64_t last = populate(f);
        char q[160];
        snprintf(q, sizeof q,
                 "UPDATE archive SET body = CAST('harmless' AS BLOB) WHERE "
                 "event_seq = %lld",
                 (long long)last);
        sql(f, q);
        assert_int_equal(verify_bad(f->a, NULL, 0), last);
        sql(f, "UPDATE archive SET body = CAST('" PLANTED_ARCHIVE "' AS BLOB)");
        sql(f, "UPDATE archive SET body = CAST('first post' AS BLOB) WHERE event_seq = 4");
        verify_ok(f->a);
        /* the session row the session_open event vouches for */
        sql(f, "UPDATE sessions SET user = 'mallory'");
        assert_int_equal(verify_bad(f->a, NULL, 0), 1);
        sql(f, "UPDATE sessions SET user = 'jane'");
        sql(f, "UPDATE accounts SET handle = '@Other'");
        assert_int_equal(verify_bad(f->a, NULL, 0), 2);
        sql(f, "UPDATE accounts SET handle = '@AcmeCorp'");
        sql(f, "UPDATE session_accounts SET rule = 3");
        assert_int_equal(verify_bad(f->a, NULL, 0), 3);
}

/* A session and a link slipped in with sqlite3: "who acted as @AcmeCorp" must not be forged. */
static void unrecorded_rows_are_found(void **state) {
        struct fx *f = *state;
        populate(f);
        verify_ok(f->a);
        struct pw_audit_verify_result v;
        struct pw_error e = {0};
        sql(f, "INSERT INTO sessions (user, uid, opened_us, src) VALUES ('mallory', 1666, "
               "1500000, 'pam')");
        assert_int_equal(pw_audit_verify(f->a, NULL, 0, &v, &e), -EBADMSG);
        assert_string_equal(v.bad_table, "sessions");
        assert_int_equal(v.bad_row, 2);
        assert_int_equal(v.bad_seq, 0);
        assert_non_null(strstr(e.text, "no session_open event"));
        sql(f, "INSERT INTO session_accounts (session_id, account_id, rule, src, first_us, "
               "last_us) VALUES (1, 1, 3, 'service', 2500000, 2500000); DELETE FROM sessions "
               "WHERE id = 2");
        assert_int_equal(pw_audit_verify(f->a, NULL, 0, &v, &e), -EBADMSG);
        assert_string_equal(v.bad_table, "session_accounts");
        sql(f, "DELETE FROM session_accounts WHERE rule = 3; UPDATE sessions SET closed_us = "
               "5000000, closed_src = 'pam'");
        assert_int_equal(pw_audit_verify(f->a, NULL, 0, &v, &e), -EBADMSG);
        assert_non_null(strstr(v.reason, "closed without"));
        sql(f, "UPDATE sessions SET closed_us = NULL, closed_src = NULL; INSERT INTO accounts "
               "(site, company, ident, handle, src, first_seen_us, last_seen_us) VALUES "
               "('x.com', 1, 'c:forged', '@Forged', 'client', 1, 1)");
        assert_int_equal(pw_audit_verify(f->a, NULL, 0, &v, &e), -EBADMSG);
        assert_string_equal(v.bad_table, "accounts");
        sql(f, "DELETE FROM accounts WHERE handle = '@Forged'");
        verify_ok(f->a);
}

static void deleted_and_truncated_rows_are_found(void **state) {
        struct fx *f = *state;
        int64_t last = populate(f);
        struct pw_audit_head logged;
        pw_audit_head(f->a, &logged);
        f->a = pw_audit_free(f->a);
        char q[160];
        /* the tail: invisible to the chain alone, found against the logged head */
        snprintf(q, sizeof q,
                 "DELETE FROM findings WHERE event_seq = %lld; DELETE FROM archive WHERE "
                 "event_seq = %lld; DELETE FROM events WHERE seq = %lld",
                 (long long)last, (long long)last, (long long)last);
        sql(f, q);
        f->a = open_db(f, PW_AUDIT_READONLY, 0);
        verify_ok(f->a);
        assert_int_equal(verify_bad(f->a, &logged, 1), last);
        f->a = pw_audit_free(f->a);
        /* a row in the middle */
        sql(f, "PRAGMA foreign_keys = OFF; DELETE FROM events WHERE seq = 2");
        f->a = open_db(f, PW_AUDIT_READONLY, 0);
        assert_int_equal(verify_bad(f->a, NULL, 0), 2);
}

static void rewritten_chain_is_found_against_logged_head(void **state) {
        struct fx *f = *state;
        populate(f);
        struct pw_audit_head logged;
        pw_audit_head(f->a, &logged);
        f->a = pw_audit_free(f->a);
        /* an attacker with the file rebuilds a whole consistent chain of their own */
        sql(f, "DELETE FROM findings; DELETE FROM archive; DELETE FROM events; "
               "DELETE FROM session_accounts; DELETE FROM sessions; DELETE FROM accounts");
        f->a = open_db(f, 0, 0);
        int64_t s = open_session(f->a, "someone-else", 1002, 9, 1000000);
        int64_t acct = company_account(f->a, "@AcmeCorp");
        business_post(f->a, s, acct, 3000000, "x");
        business_post(f->a, s, acct, 3000001, "y");
        business_post(f->a, s, acct, 3000002, "z");
        verify_ok(f->a);
        assert_int_equal(verify_bad(f->a, &logged, 1), logged.seq);
}

/* ---- redaction and purge --------------------------------------------------------------------- */

static void redact_keeps_chain(void **state) {
        struct fx *f = *state;
        int64_t post = populate(f);
        f->a = pw_audit_free(f->a); /* checkpoint: the phrase is now in the main file */
        assert_true(file_contains(f->db, PLANTED_ARCHIVE));
        f->a = open_db(f, 0, 0);
        struct pw_error e = {0};
        int64_t rseq = 0;
        assert_int_equal(pw_audit_redact(f->a, post, "erasure request #12", &rseq, &e), 0);
        assert_int_equal(rseq, post + 1);
        verify_ok(f->a);
        char *text = NULL;
        assert_int_equal(pw_audit_archive_text(f->a, post, &text, NULL, &e), -ENODATA);
        assert_int_equal(pw_audit_archive_text(f->a, post - 1, &text, NULL, &e), 0);
        assert_string_equal(text, "first post");
        free(text);
        assert_int_equal(pw_audit_redact(f->a, post, NULL, NULL, &e), -EALREADY);
        assert_int_equal(pw_audit_redact(f->a, 999, NULL, NULL, &e), -ENOENT);
        assert_int_equal(pw_audit_redact(f->a, 1, NULL, NULL, &e), -ENODATA);
        /* the text is gone from the bytes of the database and its WAL */
        assert_false(store_contains(f, PLANTED_ARCHIVE));
        char q[128];
        snprintf(q, sizeof q, "SELECT count(*) FROM findings WHERE event_seq = %lld",
                 (long long)post);
        assert_int_equal(sql_int(f, q), 0);
        assert_int_equal(sql_int(f, "SELECT count(*) FROM findings WHERE event_seq = 4"), 2);
        /* content removed behind the service's back, dressed as a redaction: found */
        sql(f, "DELETE FROM archive WHERE event_seq = 4; DELETE FROM findings WHERE event_seq = "
               "4; UPDATE events SET redacted_us = 1 WHERE seq = 4");
        assert_int_equal(verify_bad(f->a, NULL, 0), 4);
}

static int count_cb(const struct pw_audit_event_row *row, void *ud) {
        (void)row;
        (*(int64_t *)ud)++;
        return 0;
}

static void purge_keeps_chain(void **state) {
        struct fx *f = *state;
        f->a = open_db(f, 0, 0);
        struct pw_error e = {0};
        int64_t old = open_session(f->a, "old", 1001, 3, 1000000);
        int64_t acct = company_account(f->a, "@AcmeCorp");
        business_post(f->a, old, acct, 1500000, "old post");
        assert_int_equal(
                pw_audit_session_close(f->a, old, 1900000, PW_AUDIT_SRC_PAM, 0, 1, NULL, &e), 0);
        struct pw_audit_account personal = {.site = "x.com",
                                            .handle = "@gone_person",
                                            .src = PW_AUDIT_SRC_CLIENT,
                                            .seen_us = 1000000};
        int64_t pid;
        assert_int_equal(pw_audit_account_seen(f->a, &personal, &pid, &e), 0);
        int64_t cur = open_session(f->a, "jane", 1000, 7, 5000000);
        int64_t keep = business_post(f->a, cur, acct, 6000000, "new post");
        struct pw_audit_head before;
        pw_audit_head(f->a, &before);

        struct pw_audit_purge_result res;
        assert_int_equal(pw_audit_purge(f->a, 5000000, &res, &e), 0);
        assert_int_equal(res.checkpoint_seq, 5); /* open, account, post, close, personal */
        assert_int_equal(res.events_removed, 5);
        assert_int_equal(res.sessions_removed, 1);
        assert_int_equal(res.accounts_removed, 1); /* the personal one; @AcmeCorp is in use */
        verify_ok(f->a);
        struct pw_audit_verify_result v;
        assert_int_equal(pw_audit_verify(f->a, &before, 1, &v, NULL), 0);
        assert_int_equal(v.first_seq, 6);
        assert_int_equal(sql_int(f, "SELECT count(*) FROM sessions"), 1);
        assert_int_equal(sql_int(f, "SELECT count(*) FROM archive"), 1);
        assert_int_equal(sql_int(f, "SELECT count(*) FROM events WHERE kind = 'purge' AND "
                                    "target_seq = 5"),
                         1);
        (void)keep;
        /* after a reopen too, and the chain continues */
        f->a = pw_audit_free(f->a);
        f->a = open_db(f, 0, 0);
        business_post(f->a, cur, acct, 7000000, NULL);
        verify_ok(f->a);
        int64_t n = 0;
        assert_int_equal(pw_audit_query_events(f->a, NULL, count_cb, &n, &e), 0);
        assert_int_equal(n, sql_int(f, "SELECT count(*) FROM events"));
        /* a purge checkpoint forged to hide a deleted prefix is not vouched for */
        sql(f, "INSERT INTO chain_checkpoints (kind, seq, hash, time_us) SELECT 'purge', seq, "
               "hash, 0 FROM events WHERE seq = 7; PRAGMA foreign_keys = OFF; "
               "DELETE FROM events WHERE seq <= 7");
        verify_bad(f->a, NULL, 0);
}

/* The Python verifier in docs/audit.md recomputes the same chain from the documented byte
 * format: the document and the code cannot drift apart. */
static void documented_format_reverifies(void **state) {
        struct fx *f = *state;
        const char *src = getenv("PW_SOURCE_DIR");
        if (!src || system("command -v python3 >/dev/null 2>&1") != 0)
                skip();
        int64_t post = populate(f);
        struct pw_audit_account personal = {
                .site = "x.com", .handle = "@p", .src = PW_AUDIT_SRC_CLIENT};
        assert_int_equal(pw_audit_account_seen(f->a, &personal, NULL, NULL), 0);
        assert_int_equal(pw_audit_redact(f->a, post, "erasure", NULL, NULL), 0);
        business_post(f->a, 1, 1, 9000000, "after");
        struct pw_audit_purge_result res;
        assert_int_equal(pw_audit_purge(f->a, 3500000, &res, NULL), 0);
        assert_true(res.events_removed > 0);
        struct pw_audit_head h;
        pw_audit_head(f->a, &h);
        f->a = pw_audit_free(f->a);
        char cmd[1024], out[256] = "";
        snprintf(cmd, sizeof cmd,
                 "awk '/^```python/{f=1;next}/^```/{f=0}f' '%s/docs/audit.md' > '%s/v.py' && "
                 "python3 '%s/v.py' '%s'",
                 src, f->dir, f->dir, f->db);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        size_t n = fread(out, 1, sizeof out - 1, p);
        out[n] = 0;
        assert_int_equal(pclose(p), 0);
        char want[128];
        snprintf(want, sizeof want, "head %lld %s\n", (long long)h.seq, h.hex);
        assert_non_null(strstr(out, want));
}

/* ---- privacy --------------------------------------------------------------------------------- */

static void personal_handles_and_text_never_stored(void **state) {
        struct fx *f = *state;
        f->a = open_db(f, 0, 0);
        struct pw_error e = {0};
        int64_t s = open_session(f->a, "jane", 1000, 7, 0);
        struct pw_audit_account personal = {.site = "x.com",
                                            .handle = PLANTED_HANDLE,
                                            .stable_id = "998877665544",
                                            .display_name = "Jane Private",
                                            .src = PW_AUDIT_SRC_CLIENT};
        int64_t id1 = 0, id2 = 0;
        assert_int_equal(pw_audit_account_seen(f->a, &personal, &id1, &e), 0);
        assert_int_equal(pw_audit_account_seen(f->a, &personal, &id2, &e), 0);
        assert_int_equal(id1, id2);
        char h1[65], h2[65], h3[65];
        assert_int_equal(pw_audit_hmac_handle(f->a, "x.com", PLANTED_HANDLE, h1, &e), 0);
        assert_int_equal(pw_audit_hmac_handle(f->a, "x.com", PLANTED_HANDLE, h2, &e), 0);
        assert_string_equal(h1, h2);
        assert_int_equal(strlen(h1), 64);
        assert_int_equal(pw_audit_hmac_handle(f->a, "facebook.com", PLANTED_HANDLE, h3, &e), 0);
        assert_string_not_equal(h1, h3);
        char q[200];
        snprintf(q, sizeof q,
                 "SELECT count(*) FROM accounts WHERE handle_hmac = '%s' AND "
                 "handle IS NULL AND display_name IS NULL AND company = 0",
                 h1);
        assert_int_equal(sql_int(f, q), 1);

        /* a personal post: its text cannot be archived, its findings are dropped */
        struct pw_audit_event ev = {
                .kind = PW_AUDIT_POST_ATTEMPT,
                .peer_uid = 1000,
                .peer_src = PW_AUDIT_SRC_KERNEL,
                .session_id = s,
                .account_id = id1,
                .site = "x.com",
                .claim_src = PW_AUDIT_SRC_CLIENT,
                .action = "warn",
                .mode = "personal",
                .archive_text = PLANTED_PERSONAL,
                .archive_len = strlen(PLANTED_PERSONAL),
                .findings = two_findings,
                .n_findings = 2,
        };
        assert_int_equal(pw_audit_append(f->a, &ev, NULL, &e), -EINVAL);
        assert_non_null(strstr(e.text, "company account"));
        /* claiming business mode on a personal account does not get it archived either */
        ev.mode = "business";
        ev.company_account = 1;
        assert_int_equal(pw_audit_append(f->a, &ev, NULL, &e), -EINVAL);
        ev.mode = "personal";
        ev.company_account = 0;
        ev.archive_text = NULL;
        ev.archive_len = 0;
        int64_t seq;
        assert_int_equal(pw_audit_append(f->a, &ev, &seq, &e), 0);
        snprintf(q, sizeof q, "SELECT count(*) FROM findings WHERE event_seq = %lld",
                 (long long)seq);
        assert_int_equal(sql_int(f, q), 0);
        /* unless the policy keeps them (documented as needing a legal basis) */
        ev.flags = PW_AUDIT_KEEP_PERSONAL_FINDINGS;
        assert_int_equal(pw_audit_append(f->a, &ev, &seq, &e), 0);
        snprintf(q, sizeof q, "SELECT count(*) FROM findings WHERE event_seq = %lld",
                 (long long)seq);
        assert_int_equal(sql_int(f, q), 2);
        verify_ok(f->a);
        /* neither the handle, its id, its name nor the phrase is anywhere in the bytes */
        assert_false(store_contains(f, PLANTED_HANDLE));
        assert_false(store_contains(f, "998877665544"));
        assert_false(store_contains(f, "Jane Private"));
        assert_false(store_contains(f, PLANTED_PERSONAL));
        f->a = pw_audit_free(f->a);
        assert_false(store_contains(f, PLANTED_HANDLE));
        assert_false(store_contains(f, PLANTED_PERSONAL));

        /* another key gives other HMACs; a key readable by others is refused */
        char other[160];
        snprintf(other, sizeof other, "%s/other.key", f->dir);
        struct pw_audit_options o = {.path = f->db, .key_path = other};
        assert_int_equal(pw_audit_open(&o, &f->a, &e), 0);
        assert_int_equal(pw_audit_hmac_handle(f->a, "x.com", PLANTED_HANDLE, h3, &e), 0);
        assert_string_not_equal(h1, h3);
        f->a = pw_audit_free(f->a);
        assert_int_equal(chmod(other, 0640), 0);
        assert_int_equal(pw_audit_open(&o, &f->a, &e), -EPERM);
        assert_non_null(strstr(e.text, "chmod 0600"));
        /* a reader without a key cannot HMAC */
        o = (struct pw_audit_options){.path = f->db, .flags = PW_AUDIT_READONLY};
        assert_int_equal(pw_audit_open(&o, &f->a, &e), 0);
        assert_int_equal(pw_audit_hmac_handle(f->a, "x.com", "x", h3, &e), -ENOKEY);
}

/* ---- faults ---------------------------------------------------------------------------------- */

static void readonly_handle(void **state) {
        struct fx *f = *state;
        populate(f);
        f->a = pw_audit_free(f->a);
        f->a = open_db(f, PW_AUDIT_READONLY, 0);
        struct pw_error e = {0};
        assert_int_equal(pw_audit_begin(f->a, &e), -EROFS);
        struct pw_audit_event ev = {.kind = PW_AUDIT_POST_ATTEMPT};
        assert_int_equal(pw_audit_append(f->a, &ev, NULL, &e), -EROFS);
        assert_non_null(strstr(e.text, "read-only"));
        assert_int_equal(pw_audit_purge(f->a, 10, NULL, &e), -EROFS);
        verify_ok(f->a);
        /* a missing file is not created by a reader */
        struct pw_audit_options o = {.path = "/nonexistent/dir/audit.db",
                                     .flags = PW_AUDIT_READONLY};
        struct pw_audit *b = NULL;
        assert_true(pw_audit_open(&o, &b, &e) < 0);
        assert_null(b);
}

/* The file is read-only for the process: as root, that takes another uid. */
static void readonly_file(void **state) {
        struct fx *f = *state;
        populate(f);
        f->a = pw_audit_free(f->a);
        assert_int_equal(chmod(f->dir, 0755), 0);
        assert_int_equal(chmod(f->db, 0444), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
                        _exit(10);
                struct pw_audit_options o = {.path = f->db};
                struct pw_audit *a = NULL;
                struct pw_error e = {0};
                int r = pw_audit_open(&o, &a, &e);
                if (r != -EROFS && r != -EACCES)
                        _exit(11);
                if (a)
                        _exit(12);
                if (!strstr(e.text, "read-only") && !strstr(e.text, "ermission"))
                        _exit(13);
                _exit(0);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* Opens the store read-only as uid/gid 65534 (when root) and verifies it against `h`; fails the
 * test with the reader's error. */
static void read_as_nobody(struct fx *f, const struct pw_audit_head *h) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(fds[0]);
                if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
                        _exit(10);
                struct pw_audit_options o = {.path = f->db, .flags = PW_AUDIT_READONLY};
                struct pw_audit *a = NULL;
                struct pw_error e = {0};
                struct pw_audit_verify_result v;
                int r = pw_audit_open(&o, &a, &e);
                if (r == 0)
                        r = pw_audit_verify(a, h, 1, &v, &e);
                if (r < 0 && write(fds[1], e.text, strlen(e.text)) < 0)
                        _exit(12);
                pw_audit_free(a);
                _exit(r == 0 ? 0 : 11);
        }
        close(fds[1]);
        char msg[200] = "";
        ssize_t n = read(fds[0], msg, sizeof msg - 1);
        msg[n > 0 ? n : 0] = 0;
        close(fds[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("read-only reader failed: %s", msg);
}

/* postwardenctl as a member of the admin group: it can read the files but write none of them,
 * both while the service holds the database open and after it closed it (the writer keeps the
 * -wal and -shm files: SQLITE_FCNTL_PERSIST_WAL). */
static void reader_without_write_access(void **state) {
        struct fx *f = *state;
        populate(f);
        char p[160];
        assert_int_equal(chmod(f->dir, 0755), 0);
        assert_int_equal(chmod(f->db, 0644), 0);
        snprintf(p, sizeof p, "%s-wal", f->db);
        assert_int_equal(chmod(p, 0644), 0);
        snprintf(p, sizeof p, "%s-shm", f->db);
        assert_int_equal(chmod(p, 0644), 0);
        struct pw_audit_head h;
        pw_audit_head(f->a, &h);
        read_as_nobody(f, &h);
        f->a = pw_audit_free(f->a);
        struct stat st;
        assert_int_equal(stat(p, &st), 0); /* -shm is still there */
        read_as_nobody(f, &h);
}

static void corrupted_file(void **state) {
        struct fx *f = *state;
        /* not a database at all */
        FILE *fp = fopen(f->db, "wb");
        assert_non_null(fp);
        for (int i = 0; i < 4096; i++)
                fputc((i * 7919) & 0xff, fp);
        fclose(fp);
        struct pw_audit_options o = {.path = f->db};
        struct pw_audit *a = NULL;
        struct pw_error e = {0};
        assert_int_equal(pw_audit_open(&o, &a, &e), -EBADMSG);
        assert_null(a);
        assert_non_null(strstr(e.text, "not a database"));
        unlink(f->db);

        /* a real store with damaged pages: an error, never a crash */
        populate(f);
        for (int i = 0; i < 300; i++)
                business_post(f->a, 1, 1, 5000000 + i, "some archived text to fill pages");
        f->a = pw_audit_free(f->a);
        struct stat st;
        assert_int_equal(stat(f->db, &st), 0);
        int fd = open(f->db, O_WRONLY);
        assert_true(fd >= 0);
        char junk[4096];
        memset(junk, 0xA5, sizeof junk);
        for (off_t off = 4096; off + 4096 <= st.st_size; off += 3 * 4096)
                assert_int_equal(pwrite(fd, junk, sizeof junk, off), (ssize_t)sizeof junk);
        close(fd);
        int r = pw_audit_open(&o, &a, &e);
        if (r == 0) {
                struct pw_audit_verify_result v;
                r = pw_audit_verify(a, NULL, 0, &v, &e);
                assert_true(r < 0);
                int64_t seq;
                r = pw_audit_begin(a, &e);
                if (r == 0) {
                        struct pw_audit_event ev = {.kind = PW_AUDIT_POST_ATTEMPT};
                        pw_audit_append(a, &ev, &seq, &e);
                        pw_audit_commit(a, &e);
                }
                pw_audit_free(a);
        } else {
                assert_int_equal(r, -EBADMSG);
        }
        assert_true(e.text[0] != '\0');
}

/* Writes batches of eight 60 KB company posts, as the service's writer does, until a write
 * fails; after the failure it commits what is left of the batch (when `commit_anyway`) or rolls
 * it back. Returns the first error and sets *ret_acked to the last sequence number a commit
 * acknowledged. */
static int fill_until_failure(struct pw_audit *a, bool commit_anyway, int64_t *ret_acked,
                              struct pw_error *e) {
        static char text[60 * 1024];
        memset(text, 'q', sizeof text - 1);
        struct pw_audit_head h;
        pw_audit_head(a, &h);
        int64_t acked = h.seq;
        int first = 0;
        for (int batch = 0; batch < 200 && first == 0; batch++) {
                int r = pw_audit_begin(a, e);
                if (r < 0) {
                        first = r;
                        break;
                }
                for (int i = 0; i < 8; i++) {
                        struct pw_audit_event ev = {
                                .kind = PW_AUDIT_POST_ATTEMPT,
                                .session_id = 1,
                                .account_id = 1,
                                .mode = "business",
                                .company_account = 1,
                                .archive_text = text,
                                .archive_len = sizeof text - 1,
                        };
                        r = pw_audit_append(a, &ev, NULL, e);
                        if (r < 0 && first == 0)
                                first = r;
                }
                if (first == 0 || commit_anyway) {
                        r = pw_audit_commit(a, e);
                        if (r == 0) {
                                pw_audit_head(a, &h);
                                acked = h.seq;
                        } else if (first == 0) {
                                first = r;
                        }
                } else {
                        pw_audit_rollback(a);
                }
        }
        *ret_acked = acked;
        return first;
}

/* A file-size limit (ulimit -f) with SIGXFSZ ignored: writes fail with EFBIG; what was
 * acknowledged is there after a reopen, nothing else is, and the chain verifies. */
static void file_size_limit(void **state) {
        struct fx *f = *state;
        populate(f);
        struct rlimit old, lim;
        assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
        struct sigaction ign = {.sa_handler = SIG_IGN}, prev;
        sigaction(SIGXFSZ, &ign, &prev);
        lim = old;
        lim.rlim_cur = 1024 * 1024;
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
        struct pw_error e = {0};
        int64_t acked;
        int r = fill_until_failure(f->a, true, &acked, &e);
        setrlimit(RLIMIT_FSIZE, &old);
        sigaction(SIGXFSZ, &prev, NULL);
        print_message("file size limit: %d: %s (acknowledged up to %lld)\n", r, e.text,
                      (long long)acked);
        assert_int_equal(r, -EFBIG);
        assert_true(e.text[0] != '\0');
        struct pw_audit_head h;
        pw_audit_head(f->a, &h);
        assert_int_equal(h.seq, acked);
        /* the handle still works once there is room again */
        business_post(f->a, 1, 1, 9000000, "after the limit");
        verify_ok(f->a);
        f->a = pw_audit_free(f->a);
        f->a = open_db(f, 0, 0);
        verify_ok(f->a);
        pw_audit_head(f->a, &h);
        assert_int_equal(h.seq, acked + 1);
        assert_int_equal(sql_int(f, "SELECT count(*) FROM archive WHERE length(body) > 60000"),
                         acked - 5);
}

/* A full disk: the store on a small tmpfs (needs root; skipped otherwise). */
static void full_disk(void **state) {
        struct fx *f = *state;
        char mnt[96];
        snprintf(mnt, sizeof mnt, "%s/small", f->dir);
        assert_int_equal(mkdir(mnt, 0700), 0);
        if (geteuid() != 0 || mount("tmpfs", mnt, "tmpfs", 0, "size=1m") < 0)
                skip();
        snprintf(f->db, sizeof f->db, "%s/audit.db", mnt);
        populate(f);
        struct pw_error e = {0};
        int64_t acked;
        int r = fill_until_failure(f->a, false, &acked, &e);
        print_message("full disk: %d: %s (acknowledged up to %lld)\n", r, e.text, (long long)acked);
        assert_int_equal(r, -ENOSPC);
        assert_string_equal(e.file, f->db);
        struct pw_audit_head h;
        pw_audit_head(f->a, &h);
        assert_int_equal(h.seq, acked);
        /* still full: another write fails cleanly */
        struct pw_audit_event ev = {.kind = PW_AUDIT_POST_ATTEMPT,
                                    .session_id = 1,
                                    .account_id = 1,
                                    .mode = "business",
                                    .company_account = 1,
                                    .archive_text = "x",
                                    .archive_len = 1};
        for (int i = 0; i < 20; i++)
                pw_audit_append(f->a, &ev, NULL, &e);
        f->a = pw_audit_free(f->a);
        f->a = open_db(f, PW_AUDIT_READONLY, 0);
        pw_audit_head(f->a, &h);
        assert_true(h.seq >= acked);
        verify_ok(f->a);
        f->a = pw_audit_free(f->a);
        assert_int_equal(umount2(mnt, MNT_DETACH), 0);
}

/* kill -9 in the middle of a write burst: every sequence number the writer acknowledged (after
 * its commit returned) is there after a reopen, and the chain verifies. */
static void killed_writer_loses_nothing_acknowledged(void **state) {
        struct fx *f = *state;
        f->a = open_db(f, 0, 0);
        int64_t s = open_session(f->a, "jane", 1000, 7, 1000000);
        int64_t acct = company_account(f->a, "@AcmeCorp");
        f->a = pw_audit_free(f->a);
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(fds[0]);
                struct pw_audit *a = open_db(f, 0, 0);
                for (int64_t t = 2000000;; t += 16) {
                        if (pw_audit_begin(a, NULL) < 0)
                                _exit(1);
                        for (int i = 0; i < 16; i++)
                                business_post(a, s, acct, t + i, i % 4 ? NULL : "archived");
                        if (pw_audit_commit(a, NULL) < 0)
                                _exit(2);
                        struct pw_audit_head h;
                        pw_audit_head(a, &h);
                        if (write(fds[1], &h.seq, sizeof h.seq) != sizeof h.seq)
                                _exit(3);
                }
        }
        close(fds[1]);
        int64_t acked = 0, seq;
        int n = 0;
        while (n < 40 && read(fds[0], &seq, sizeof seq) == sizeof seq)
                acked = seq, n++;
        kill(pid, SIGKILL);
        while (read(fds[0], &seq, sizeof seq) == sizeof seq)
                acked = seq; /* acknowledged before the kill landed */
        close(fds[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_true(acked > 2);
        f->a = open_db(f, 0, 0);
        struct pw_audit_head h;
        pw_audit_head(f->a, &h);
        print_message("killed writer: acknowledged up to %lld, head after restart %lld\n",
                      (long long)acked, (long long)h.seq);
        assert_true(h.seq >= acked);
        verify_ok(f->a);
        /* and the chain goes on from there */
        business_post(f->a, s, acct, 9000000, NULL);
        verify_ok(f->a);
}

/* ---- queries --------------------------------------------------------------------------------- */

struct seen {
        int n;
        int64_t ids[16];
        int rules[16];
};

static int session_cb(const struct pw_audit_session_row *row, void *ud) {
        struct seen *s = ud;
        if (s->n < 16) {
                s->ids[s->n] = row->id;
                s->rules[s->n] = row->rule;
        }
        s->n++;
        return 0;
}

static int event_cb(const struct pw_audit_event_row *row, void *ud) {
        struct seen *s = ud;
        if (s->n < 16)
                s->ids[s->n] = row->seq;
        s->n++;
        return 0;
}

static void queries_by_account_and_time(void **state) {
        struct fx *f = *state;
        f->a = open_db(f, 0, 0);
        struct pw_error e = {0};
        int64_t s1 = open_session(f->a, "jane", 1000, 7, 1000000);
        int64_t s2 = open_session(f->a, "john", 1001, 8, 2000000);
        int64_t s3 = open_session(f->a, "jane", 1000, 9, 3000000);
        int64_t acme = company_account(f->a, "@AcmeCorp");
        struct pw_audit_account other = {.site = "x.com",
                                         .handle = "@AcmeSupport",
                                         .company = 1,
                                         .src = PW_AUDIT_SRC_CLIENT};
        int64_t support;
        assert_int_equal(pw_audit_account_seen(f->a, &other, &support, &e), 0);
        pw_audit_link(f->a, s1, acme, PW_AUDIT_TIE_SESSIONID, 1100000, NULL, &e);
        pw_audit_link(f->a, s2, acme, PW_AUDIT_TIE_AMBIGUOUS, 2100000, NULL, &e);
        pw_audit_link(f->a, s3, acme, PW_AUDIT_TIE_AMBIGUOUS, 2100000, NULL, &e);
        pw_audit_link(f->a, s2, support, PW_AUDIT_TIE_ONLY_SESSION, 2200000, NULL, &e);
        pw_audit_session_close(f->a, s1, 1500000, PW_AUDIT_SRC_PAM, 0, 1, NULL, &e);
        for (int i = 0; i < 10; i++)
                business_post(f->a, s2, i % 2 ? acme : support, 4000000 + i * 1000, NULL);

        int64_t found;
        assert_int_equal(pw_audit_account_find(f->a, "x.com", "@acmecorp", &found, &e), 0);
        assert_int_equal(found, acme);
        assert_int_equal(pw_audit_account_find(f->a, NULL, "1234567", &found, &e), 0);
        assert_int_equal(pw_audit_account_find(f->a, NULL, "@nobody", &found, &e), -ENOENT);

        struct seen s = {0};
        struct pw_audit_session_filter sf = {.account_id = acme};
        assert_int_equal(pw_audit_query_sessions(f->a, &sf, session_cb, &s, &e), 0);
        assert_int_equal(s.n, 3);
        assert_int_equal(s.ids[0], s3); /* newest first */
        assert_int_equal(s.rules[0], PW_AUDIT_TIE_AMBIGUOUS);
        assert_int_equal(s.ids[2], s1);
        assert_int_equal(s.rules[2], PW_AUDIT_TIE_SESSIONID);
        /* still open at or after 1.6 s: s1 closed at 1.5 s drops out */
        s = (struct seen){0};
        sf.since_us = 1600000;
        assert_int_equal(pw_audit_query_sessions(f->a, &sf, session_cb, &s, &e), 0);
        assert_int_equal(s.n, 2);
        s = (struct seen){0};
        sf = (struct pw_audit_session_filter){.account_id = acme, .user = "jane"};
        assert_int_equal(pw_audit_query_sessions(f->a, &sf, session_cb, &s, &e), 0);
        assert_int_equal(s.n, 2);
        s = (struct seen){0};
        assert_int_equal(pw_audit_query_sessions(f->a, NULL, session_cb, &s, &e), 0);
        assert_int_equal(s.n, 3);
        s = (struct seen){0};
        sf = (struct pw_audit_session_filter){.open_only = 1};
        assert_int_equal(pw_audit_query_sessions(f->a, &sf, session_cb, &s, &e), 0);
        assert_int_equal(s.n, 2);
        assert_int_equal(s.ids[0], s3);
        assert_int_equal(s.ids[1], s2);

        s = (struct seen){0};
        struct pw_audit_event_filter ef = {.since_us = 4002000, .until_us = 4006000};
        assert_int_equal(pw_audit_query_events(f->a, &ef, event_cb, &s, &e), 0);
        assert_int_equal(s.n, 4);
        s = (struct seen){0};
        ef = (struct pw_audit_event_filter){
                .account_id = acme, .by_uid = 1, .peer_uid = 1000, .kind = PW_AUDIT_POST_ATTEMPT};
        assert_int_equal(pw_audit_query_events(f->a, &ef, event_cb, &s, &e), 0);
        assert_int_equal(s.n, 5);
        s = (struct seen){0};
        ef.limit = 2;
        assert_int_equal(pw_audit_query_events(f->a, &ef, event_cb, &s, &e), 0);
        assert_int_equal(s.n, 2);
        /* by_uid with uid 0: root's events only (the PAM module's session events) */
        s = (struct seen){0};
        ef = (struct pw_audit_event_filter){.by_uid = 1, .peer_uid = 0};
        assert_int_equal(pw_audit_query_events(f->a, &ef, event_cb, &s, &e), 0);
        assert_int_equal(s.n, 4); /* three opens and one close */
        /* the open sessions the service ties a browser to */
        int64_t ids[4];
        size_t n;
        assert_int_equal(pw_audit_sessions_open_for_uid(f->a, 1000, ids, 4, &n, &e), 0);
        assert_int_equal(n, 1);
        assert_int_equal(ids[0], s3);
        assert_int_equal(pw_audit_session_find_by_sessionid(f->a, 8, &found, &e), 0);
        assert_int_equal(found, s2);
        assert_int_equal(pw_audit_session_find_by_sessionid(f->a, 7, &found, &e), -ENOENT);
        assert_int_equal(pw_audit_session_find_by_sessionid(f->a, 4294967295LL, &found, &e),
                         -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(schema_is_created, setup, teardown),
                cmocka_unit_test_setup_teardown(old_version_is_migrated, setup, teardown),
                cmocka_unit_test_setup_teardown(newer_version_is_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(records_of_each_kind_with_sources, setup, teardown),
                cmocka_unit_test_setup_teardown(bad_records_are_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(batch_commit_and_rollback, setup, teardown),
                cmocka_unit_test_setup_teardown(two_writers_keep_one_chain, setup, teardown),
                cmocka_unit_test_setup_teardown(verify_counts_rows, setup, teardown),
                cmocka_unit_test_setup_teardown(edited_event_is_found, setup, teardown),
                cmocka_unit_test_setup_teardown(edited_finding_is_found, setup, teardown),
                cmocka_unit_test_setup_teardown(edited_archive_and_session_are_found, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(unrecorded_rows_are_found, setup, teardown),
                cmocka_unit_test_setup_teardown(deleted_and_truncated_rows_are_found, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(rewritten_chain_is_found_against_logged_head, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(redact_keeps_chain, setup, teardown),
                cmocka_unit_test_setup_teardown(purge_keeps_chain, setup, teardown),
                cmocka_unit_test_setup_teardown(documented_format_reverifies, setup, teardown),
                cmocka_unit_test_setup_teardown(personal_handles_and_text_never_stored, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(readonly_handle, setup, teardown),
                cmocka_unit_test_setup_teardown(readonly_file, setup, teardown),
                cmocka_unit_test_setup_teardown(reader_without_write_access, setup, teardown),
                cmocka_unit_test_setup_teardown(corrupted_file, setup, teardown),
                cmocka_unit_test_setup_teardown(file_size_limit, setup, teardown),
                cmocka_unit_test_setup_teardown(full_disk, setup, teardown),
                cmocka_unit_test_setup_teardown(killed_writer_loses_nothing_acknowledged, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(queries_by_account_and_time, setup, teardown),
        };
        return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
