/* Integration tests of postwardend's admin writes (issue 7) through the real binary and its
 * socket: `redact` (a tombstone, the chain still verifies), `purge` (a checkpoint, the chain
 * still verifies; without "before" the policy's retention period), their errors, their refusal
 * for a user who is not an admin, and the policy's keep_personal_findings. As root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <grp.h>

#include "service_harness.h"

#include "postwarden/audit.h"

#define NOBODY 65534

static int64_t now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Posts as the company account with text (archived) and returns the event's seq. */
static int64_t post_company(struct svc *s, int id, const char *text) {
        json_t *rep = svc_call(s, msg_post(id, true, text), NULL);
        assert_int_equal(reply_code(rep), 0);
        assert_true(json_is_true(json_object_get(rep, "archived")));
        int64_t seq = json_integer_value(json_object_get(rep, "seq"));
        json_decref(rep);
        assert_true(seq > 0);
        return seq;
}

static json_t *msg_redact(int id, int64_t seq, const char *reason) {
        return json_pack("{s:i, s:i, s:s, s:I, s:s}", "v", 1, "id", id, "type", "redact", "seq",
                         (json_int_t)seq, "reason", reason);
}

/* The error message of a reply, "" if none. */
static const char *message(const json_t *rep) {
        const char *m = json_string_value(json_object_get(rep, "message"));
        return m ? m : "";
}

struct count {
        int64_t events;      /* events seen */
        int64_t findings;    /* findings stored with them */
        int64_t post_events; /* post_attempt events */
};

static int count_events(const struct pw_audit_event_row *row, void *userdata) {
        struct count *c = userdata;
        c->events++;
        c->findings += row->n_findings;
        c->post_events += row->kind == PW_AUDIT_POST_ATTEMPT;
        return 0;
}

static struct count count_db(const char *path) {
        struct pw_audit *a = NULL;
        struct pw_audit_options opt = {.path = path, .flags = PW_AUDIT_READONLY};
        assert_int_equal(pw_audit_open(&opt, &a, NULL), 0);
        struct count c = {0};
        assert_int_equal(pw_audit_query_events(a, NULL, count_events, &c, NULL), 0);
        pw_audit_free(a);
        return c;
}

/* ---- redact --------------------------------------------------------------------------------- */

static void redact_tombstones_and_the_chain_verifies(void **state) {
        struct svc *s = *state;
        int64_t seq = post_company(s, 1, "Launch tomorrow: the Roadrunner Pro");
        post_company(s, 2, "A later post that stays");
        json_t *rep =
                svc_call(s, msg_redact(3, seq, "erasure request #12: \"quoted\",\nnewline"), NULL);
        assert_int_equal(reply_code(rep), 0);
        assert_string_equal(json_string_value(json_object_get(rep, "type")), "redacted");
        assert_int_equal(json_integer_value(json_object_get(rep, "seq")), seq);
        int64_t rseq = json_integer_value(json_object_get(rep, "redaction_seq"));
        assert_true(rseq > seq + 1);
        json_decref(rep);

        struct pw_audit *a = NULL;
        struct pw_audit_options opt = {.path = s->db, .flags = PW_AUDIT_READONLY};
        assert_int_equal(pw_audit_open(&opt, &a, NULL), 0);
        char *text = NULL;
        size_t len = 0;
        assert_int_equal(pw_audit_archive_text(a, seq, &text, &len, NULL), -ENODATA);
        assert_int_equal(pw_audit_archive_text(a, seq + 1, &text, &len, NULL), 0);
        assert_string_equal(text, "A later post that stays");
        free(text);
        pw_audit_free(a);
        struct pw_audit_verify_result res = harness_verify_db(s->db);
        assert_int_equal(res.head.seq, rseq);
        /* The plaintext is gone from the file (secure_delete, WAL truncated). */
        assert_false(harness_file_has(s->db, "Roadrunner Pro"));

        /* Twice: a conflict, named; an unknown event: not found. */
        rep = svc_call(s, msg_redact(4, seq, "again"), NULL);
        assert_int_equal(reply_code(rep), 12);
        assert_string_equal(json_string_value(json_object_get(rep, "error")), "conflict");
        assert_non_null(strstr(message(rep), "already redacted"));
        json_decref(rep);
        rep = svc_call(s, msg_redact(5, 99999, "x"), NULL);
        assert_int_equal(reply_code(rep), 11);
        assert_non_null(strstr(message(rep), "99999"));
        json_decref(rep);
        /* An event with nothing to redact (the redaction event itself): a conflict too. */
        rep = svc_call(s, msg_redact(6, rseq, "x"), NULL);
        assert_int_equal(reply_code(rep), 12);
        json_decref(rep);
        harness_verify_db(s->db);
}

static void redact_refuses_bad_fields_naming_them(void **state) {
        struct svc *s = *state;
        static const struct {
                const char *body;
                const char *names;
        } cases[] = {
                {"{\"v\":1,\"id\":1,\"type\":\"redact\",\"seq\":1}", "reason"},
                {"{\"v\":1,\"id\":1,\"type\":\"redact\",\"reason\":\"r\"}", "seq"},
                {"{\"v\":1,\"id\":1,\"type\":\"redact\",\"seq\":0,\"reason\":\"r\"}", "seq"},
                {"{\"v\":1,\"id\":1,\"type\":\"redact\",\"seq\":\"1\",\"reason\":\"r\"}", "redact"},
                {"{\"v\":1,\"id\":1,\"type\":\"redact\",\"seq\":1,\"reason\":\"\"}", "reason"},
                {"{\"v\":1,\"id\":1,\"type\":\"redact\",\"seq\":1,\"reason\":\"r\",\"x\":1}", "x"},
                {"{\"v\":1,\"id\":1,\"type\":\"purge\",\"before\":\"yesterday\"}", "before"},
                {"{\"v\":1,\"id\":1,\"type\":\"purge\",\"before\":-1}", "before"},
                {"{\"v\":1,\"id\":1,\"type\":\"purge\",\"after\":1}", "after"},
        };
        int fd = raw_connect(s);
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                assert_int_equal(raw_send(fd, cases[i].body, (uint32_t)strlen(cases[i].body)), 0);
                json_t *rep = raw_recv(fd);
                if (reply_code(rep) != 5 || !strstr(message(rep), cases[i].names))
                        fail_msg("case %zu: code %d message %s", i, reply_code(rep), message(rep));
                json_decref(rep);
        }
        close(fd);
        /* A cutoff in the future would delete the present: refused, naming the field. */
        json_t *rep = svc_call(s,
                               json_pack("{s:i, s:i, s:s, s:I}", "v", 1, "id", 2, "type", "purge",
                                         "before", (json_int_t)(now_us() + 3600 * 1000000LL)),
                               NULL);
        assert_int_equal(reply_code(rep), 5);
        assert_non_null(strstr(message(rep), "\"before\""));
        json_decref(rep);
}

/* ---- purge ---------------------------------------------------------------------------------- */

static void purge_before_a_time_keeps_a_verifiable_chain(void **state) {
        struct svc *s = *state;
        for (int i = 0; i < 5; i++)
                post_company(s, 10 + i, "old post");
        usleep(20000);
        int64_t cut = now_us();
        usleep(20000);
        int64_t kept = post_company(s, 20, "new post");
        struct count before = count_db(s->db);

        json_t *rep = svc_call(s,
                               json_pack("{s:i, s:i, s:s, s:I}", "v", 1, "id", 21, "type", "purge",
                                         "before", (json_int_t)cut),
                               NULL);
        assert_int_equal(reply_code(rep), 0);
        assert_string_equal(json_string_value(json_object_get(rep, "type")), "purged");
        assert_int_equal(json_integer_value(json_object_get(rep, "before")), cut);
        int64_t removed = json_integer_value(json_object_get(rep, "events_removed"));
        /* 1 account_seen + 5 posts before the cut */
        assert_int_equal(removed, 6);
        assert_int_equal(json_integer_value(json_object_get(rep, "checkpoint_seq")), kept - 1);
        assert_true(json_is_integer(json_object_get(rep, "sessions_removed")));
        assert_true(json_is_integer(json_object_get(rep, "accounts_removed")));
        json_decref(rep);

        struct count after = count_db(s->db);
        assert_int_equal(after.events, before.events - removed + 1); /* + the purge event */
        struct pw_audit_verify_result res = harness_verify_db(s->db);
        assert_int_equal(res.first_seq, kept);
        /* The chain goes on after the purge. */
        post_company(s, 22, "after the purge");
        harness_verify_db(s->db);
}

static void purge_without_before_applies_the_policy_retention(void **state) {
        struct svc *s = *state;
        post_company(s, 30, "recent");
        int64_t t0 = now_us();
        json_t *rep =
                svc_call(s, json_pack("{s:i, s:i, s:s}", "v", 1, "id", 31, "type", "purge"), NULL);
        assert_int_equal(reply_code(rep), 0);
        int64_t before = json_integer_value(json_object_get(rep, "before"));
        /* The harness policy has no audit section: 180 days. */
        int64_t want = t0 - 180LL * 86400 * 1000000;
        assert_true(before >= want - 60LL * 1000000 && before <= want + 60LL * 1000000);
        assert_int_equal(json_integer_value(json_object_get(rep, "events_removed")), 0);
        json_decref(rep);

        /* A policy with a retention of 1 day, reloaded: the cutoff follows it. */
        char *p = harness_read_file(s->policy, NULL);
        char *tail = strrchr(p, '}');
        *tail = '\0';
        char *np = NULL;
        assert_true(asprintf(&np, "%s, \"audit\": {\"retention_days\": 1}}\n", p) > 0);
        harness_write_file(s->policy, np);
        free(p);
        free(np);
        kill(s->pid, SIGHUP);
        int64_t deadline = harness_ms() + 5000;
        while (harness_ms() < deadline) {
                rep = svc_call(s, json_pack("{s:i, s:i, s:s}", "v", 1, "id", 32, "type", "purge"),
                               NULL);
                assert_int_equal(reply_code(rep), 0);
                before = json_integer_value(json_object_get(rep, "before"));
                json_decref(rep);
                if (before > now_us() - 2LL * 86400 * 1000000)
                        break;
                usleep(50000);
        }
        want = now_us() - 86400LL * 1000000;
        assert_true(before >= want - 60LL * 1000000 && before <= want + 60LL * 1000000);
        harness_verify_db(s->db);
}

/* ---- who may ------------------------------------------------------------------------------ */

static int as_user(uid_t uid, int (*fn)(struct svc *), struct svc *s) {
        pid_t pid = fork();
        if (pid == 0) {
                if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
                    setresuid(uid, uid, uid) < 0)
                        _exit(90);
                _exit(fn(s));
        }
        int st;
        waitpid(pid, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

static int nobody_purges_and_redacts(struct svc *s) {
        json_t *rep = svc_call(s,
                               json_pack("{s:i, s:i, s:s, s:I}", "v", 1, "id", 1, "type", "purge",
                                         "before", (json_int_t)now_us()),
                               NULL);
        int code = reply_code(rep);
        json_decref(rep);
        if (code != 6)
                return 10 + code;
        rep = svc_call(s, json_pack("{s:i, s:i, s:s}", "v", 1, "id", 2, "type", "purge"), NULL);
        code = reply_code(rep);
        json_decref(rep);
        if (code != 6)
                return 30 + code;
        rep = svc_call(s, msg_redact(3, 1, "not mine to redact"), NULL);
        code = reply_code(rep);
        json_decref(rep);
        return code == 6 ? 0 : 50 + code;
}

static void purge_and_redact_are_refused_for_a_normal_user(void **state) {
        struct svc *s = *state;
        int64_t seq = post_company(s, 40, "stays archived");
        struct count before = count_db(s->db);
        assert_int_equal(as_user(NOBODY, nobody_purges_and_redacts, s), 0);
        struct count after = count_db(s->db);
        assert_int_equal(after.events, before.events);
        struct pw_audit *a = NULL;
        struct pw_audit_options opt = {.path = s->db, .flags = PW_AUDIT_READONLY};
        assert_int_equal(pw_audit_open(&opt, &a, NULL), 0);
        char *text = NULL;
        assert_int_equal(pw_audit_archive_text(a, seq, &text, NULL, NULL), 0);
        assert_string_equal(text, "stays archived");
        free(text);
        pw_audit_free(a);
        assert_true(harness_file_has(s->log, "uid 65534"));
        assert_true(harness_file_has(s->log, "sent an admin query: refused"));
}

/* ---- keep_personal_findings ----------------------------------------------------------------- */

static void personal_findings_follow_the_policy(void **state) {
        struct svc *s = *state;
        json_t *rep = svc_call(s, msg_post(50, false, NULL), NULL);
        assert_int_equal(reply_code(rep), 0);
        json_decref(rep);
        struct count c = count_db(s->db);
        assert_int_equal(c.findings, 0); /* the harness policy does not keep them */

        char *p = harness_read_file(s->policy, NULL);
        char *tail = strrchr(p, '}');
        *tail = '\0';
        char *np = NULL;
        assert_true(asprintf(&np, "%s, \"audit\": {\"keep_personal_findings\": true}}\n", p) > 0);
        harness_write_file(s->policy, np);
        free(p);
        free(np);
        kill(s->pid, SIGHUP);
        int64_t deadline = harness_ms() + 5000;
        int64_t findings = 0;
        for (int id = 51; harness_ms() < deadline && findings == 0; id++) {
                usleep(50000);
                rep = svc_call(s, msg_post(id, false, NULL), NULL);
                assert_int_equal(reply_code(rep), 0);
                json_decref(rep);
                findings = count_db(s->db).findings;
        }
        assert_int_equal(findings, 1);
        harness_verify_db(s->db);
}

/* ---- a syslog outage ------------------------------------------------------------------------- */

/* A receiver that never reads (its socket queue fills after a few datagrams) and one that does
 * not exist: every event is still acknowledged and stored, the chain verifies, and the lines
 * that could not be sent are counted in the log at shutdown. */
static void a_syslog_outage_never_costs_an_audit_write(void **state) {
        (void)state;
        for (int variant = 0; variant < 2; variant++) {
                struct svc s;
                svc_init(&s, NULL);
                char path[100]; /* fits sun_path */
                snprintf(path, sizeof path, "%.60s/stalled.sock", s.dir);
                int fd = -1;
                if (variant == 0) {
                        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                        struct sockaddr_un sa = {.sun_family = AF_UNIX};
                        memcpy(sa.sun_path, path, sizeof path);
                        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
                }
                const char *extra[] = {"--syslog-socket", path, NULL};
                assert_int_equal(svc_start_ex(&s, 0, extra), 0);
                for (int i = 0; i < 200; i++)
                        post_company(&s, i, "text");
                json_t *rep = svc_call(
                        &s, json_pack("{s:i, s:i, s:s}", "v", 1, "id", 1, "type", "status"), NULL);
                json_t *fl = json_object_get(rep, "fleet");
                assert_true(json_is_object(fl));
                /* Nothing could be delivered beyond the receiver's small socket queue. */
                assert_true(json_integer_value(json_object_get(fl, "sent")) <= 20);
                assert_int_equal(json_integer_value(json_object_get(rep, "committed")), 200);
                json_decref(rep);
                assert_true(WIFEXITED(svc_stop(&s)));
                struct pw_audit_verify_result res = harness_verify_db(s.db);
                assert_int_equal(res.head.seq, 201); /* account_seen + 200 posts */
                assert_true(harness_file_has(s.log, "dropped (queue full, receiver absent"));
                if (fd >= 0)
                        close(fd);
                svc_cleanup(&s);
        }
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, svc_fixture_setup, svc_fixture_teardown)
        const struct CMUnitTest tests[] = {
                T(redact_tombstones_and_the_chain_verifies),
                T(redact_refuses_bad_fields_naming_them),
                T(purge_before_a_time_keeps_a_verifiable_chain),
                T(purge_without_before_applies_the_policy_retention),
                T(purge_and_redact_are_refused_for_a_normal_user),
                T(personal_findings_follow_the_policy),
                cmocka_unit_test(a_syslog_outage_never_costs_an_audit_write),
        };
        if (geteuid() != 0) {
                fprintf(stderr, "skipped: needs root (drops to uid %d for the refusal test)\n",
                        NOBODY);
                return 77;
        }
        return cmocka_run_group_tests(tests, NULL, NULL);
}
