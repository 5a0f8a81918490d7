/* Integration tests of postwarden-host in relay mode: the real host over pipes, relaying to the
 * real postwardend on a socket in a temp dir with the default policy and a real audit database.
 * Environment: PW_HOST, PW_POSTWARDEND, PW_SOURCE_DIR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cmocka.h>

#include "nm_harness.h"

#define EXT_ID "abcdefghijklmnopabcdefghijklmnop"
#define ORIGIN "chrome-extension://" EXT_ID "/"

struct env {
        const char *host; /* PW_HOST */
        const char *svc;  /* PW_POSTWARDEND */
        const char *src;  /* PW_SOURCE_DIR */
        char dir[64];     /* scratch directory */
        char cfg[128];    /* host configuration */
        char sock[100];   /* the service's socket */
        char db[128];     /* the audit database */
        char log[128];    /* both processes' stderr */
        char policy[512]; /* the default policy */
        pid_t svc_pid;    /* the running service, or 0 */
};

/* 1 once something accepts connections on e->sock. */
static int svc_listening(struct env *e) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", e->sock);
        int ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        close(fd);
        return ok;
}

static int svc_start(struct env *e) {
        char *argv[] = {(char *)e->svc, "--foreground", "--socket", e->sock, "--db", e->db,
                        "--policy",     e->policy,      "--cache",  "none",  NULL};
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                int fd = open(e->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
                if (fd < 0 || dup2(fd, 2) < 0)
                        _exit(126);
                execv(argv[0], argv);
                _exit(127);
        }
        e->svc_pid = pid;
        for (int i = 0; i < 500; i++) {
                if (svc_listening(e))
                        return 0;
                usleep(20000);
        }
        return -1;
}

static void svc_kill(struct env *e, int sig) {
        if (e->svc_pid > 0) {
                kill(e->svc_pid, sig);
                if (sig == SIGKILL || sig == SIGTERM) {
                        waitpid(e->svc_pid, NULL, 0);
                        e->svc_pid = 0;
                }
        }
}

/* Stops the service and waits until the kernel says it is stopped (kill() alone returns before
 * every thread has stopped, and a request sent then may still be answered). */
static void svc_freeze(struct env *e) {
        int st;
        kill(e->svc_pid, SIGSTOP);
        waitpid(e->svc_pid, &st, WUNTRACED);
}

static int setup(void **state) {
        struct env *e = calloc(1, sizeof *e);
        e->host = getenv("PW_HOST");
        e->svc = getenv("PW_POSTWARDEND");
        e->src = getenv("PW_SOURCE_DIR");
        if (!e->host || !e->svc || !e->src)
                return -1;
        strcpy(e->dir, "/tmp/pw-nmrelay.XXXXXX");
        if (!mkdtemp(e->dir))
                return -1;
        chmod(e->dir, 0755);
        snprintf(e->cfg, sizeof e->cfg, "%s/host.json", e->dir);
        snprintf(e->sock, sizeof e->sock, "%s/pw.sock", e->dir);
        snprintf(e->db, sizeof e->db, "%s/audit.db", e->dir);
        snprintf(e->log, sizeof e->log, "%s/log", e->dir);
        snprintf(e->policy, sizeof e->policy, "%s/policy/default/policy.json", e->src);
        FILE *f = fopen(e->cfg, "w");
        if (!f)
                return -1;
        fprintf(f, "{\"allowed_extensions\": [\"%s\"], \"socket\": \"%s\", \"timeout_ms\": 2000}\n",
                EXT_ID, e->sock);
        fclose(f);
        signal(SIGPIPE, SIG_IGN);
        if (svc_start(e) < 0) {
                fprintf(stderr, "postwardend did not start (log in %s)\n", e->log);
                return -1;
        }
        *state = e;
        return 0;
}

static int teardown(void **state) {
        struct env *e = *state;
        svc_kill(e, SIGTERM);
        char cmd[160];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
        if (system(cmd) != 0)
                return -1;
        free(e);
        return 0;
}

static int code_of(json_t *r) {
        const char *t = json_string_value(json_object_get(r, "type"));
        if (!t || strcmp(t, "error"))
                return 0;
        return (int)json_integer_value(json_object_get(json_object_get(r, "error"), "code"));
}

/* Sends one request (stolen) to a running host and reads its reply. */
static json_t *ask(struct nmh_proc *p, json_t *req) {
        struct nmh_buf b = {0};
        nmh_frame_json(&b, req);
        assert_int_equal(write(p->in, b.p, b.len), (ssize_t)b.len);
        free(b.p);
        json_t *r = NULL;
        assert_int_equal(nmh_next(p, &r), 1);
        return r;
}

static json_t *check(int id, const char *handle, const char *text) {
        return json_pack("{s:i, s:i, s:s, s:s, s:o, s:s}", "v", 1, "id", id, "type", "check",
                         "site", "x.com", "account",
                         handle ? json_pack("{s:s}", "handle", handle) : json_null(), "text", text);
}

static void start_host(struct env *e, struct nmh_proc *p, int standalone) {
        char *relay[] = {(char *)e->host, "--config", e->cfg, ORIGIN, NULL};
        char *alone[] = {(char *)e->host, "--config", e->cfg, "--policy", e->policy, ORIGIN, NULL};
        assert_int_equal(nmh_spawn(p, standalone ? alone : relay, e->log), 0);
}

static void hello_check_account_post_through_the_service(void **state) {
        struct env *e = *state;
        struct nmh_proc p;
        start_host(e, &p, 0);
        json_t *r = ask(&p, json_pack("{s:i, s:i, s:s}", "v", 1, "id", 1, "type", "hello"));
        assert_int_equal(code_of(r), 0);
        assert_string_equal(json_string_value(json_object_get(r, "mode")), "relay");
        assert_string_equal(json_string_value(json_object_get(r, "service")), "available");
        assert_non_null(json_string_value(json_object_get(json_object_get(r, "policy"), "id")));
        assert_true(json_array_size(json_object_get(r, "detectors")) > 0);
        json_decref(r);

        r = ask(&p, check(2, "@jdoe", "🎉 Stormwing ships soon"));
        assert_int_equal(code_of(r), 0);
        json_t *v = json_object_get(r, "verdict");
        assert_string_equal(json_string_value(json_object_get(v, "action")), "block");
        json_t *u16 = json_object_get(
                json_object_get(json_array_get(json_object_get(v, "findings"), 0), "span"),
                "utf16");
        assert_int_equal(json_integer_value(json_array_get(u16, 0)), 3);
        assert_int_equal(json_integer_value(json_array_get(u16, 1)), 12);
        json_decref(r);

        r = ask(&p, json_pack("{s:i, s:i, s:s, s:s, s:s, s:s, s:n, s:s}", "v", 1, "id", 3, "type",
                              "account", "site", "x.com", "handle", "@AcmeCorp", "stable_id",
                              "1234567890", "display_name", "detected_by", "dom"));
        assert_int_equal(code_of(r), 0);
        assert_true(json_is_true(json_object_get(r, "company_account")));
        assert_string_equal(json_string_value(json_object_get(r, "account_name")), "acme-x");
        json_decref(r);

        r = ask(&p, json_pack("{s:i, s:i, s:s, s:s, s:n, s:{s:s, s:b}, s:b, s:s}", "v", 1, "id", 4,
                              "type", "post_attempt", "site", "x.com", "account", "verdict",
                              "action", "block", "overridable", 1, "posted", 1,
                              "override_justification", "announced this morning"));
        if (code_of(r) != 0)
                fail_msg("post_attempt: %s", json_dumps(r, JSON_COMPACT));
        assert_true(json_is_true(json_object_get(r, "recorded")));
        json_decref(r);
        assert_int_equal(nmh_finish(&p, NULL), 0);
}

static void relayed_and_standalone_verdicts_are_the_same(void **state) {
        struct env *e = *state;
        const char *texts[] = {
                "Lovely weather today.",
                "Project Bluebird is internal only, ask on wiki.acme.example",
                "Ünïcödé 🎉 Stormwing and Nightjar, mail jane.doe@acme.example",
        };
        struct nmh_proc a, b;
        start_host(e, &a, 0);
        start_host(e, &b, 1);
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
                json_t *ra = ask(&a, check((int)i, NULL, texts[i]));
                json_t *rb = ask(&b, check((int)i, NULL, texts[i]));
                if (!json_equal(json_object_get(ra, "verdict"), json_object_get(rb, "verdict")))
                        fail_msg("text %zu: relay %s standalone %s", i,
                                 json_dumps(ra, JSON_COMPACT), json_dumps(rb, JSON_COMPACT));
                json_decref(ra);
                json_decref(rb);
        }
        /* The account and a string id reach the service: the relay forwards the extension's
         * check as it came (docs/protocol.md, relay mode). */
        json_t *req = check(0, "@AcmeCorp", texts[1]);
        json_object_set_new(json_object_get(req, "account"), "stable_id",
                            json_string("1234567890"));
        json_object_set_new(req, "id", json_string("draft-7"));
        json_t *again = json_deep_copy(req);
        json_object_set_new(again, "id", json_integer(99));
        json_t *ra = ask(&a, json_incref(req)), *rb = ask(&b, req);
        assert_int_equal(code_of(ra), 0);
        assert_string_equal(json_string_value(json_object_get(ra, "id")), "draft-7");
        json_t *va = json_object_get(ra, "verdict");
        assert_true(json_is_true(json_object_get(va, "company_account")));
        if (!json_equal(va, json_object_get(rb, "verdict")))
                fail_msg("company account: relay %s standalone %s", json_dumps(ra, JSON_COMPACT),
                         json_dumps(rb, JSON_COMPACT));
        assert_null(json_object_get(ra, "cached")); /* present only when true */
        /* The same check again is answered from the relay's cache, under its own id. */
        json_t *rc = ask(&a, again);
        assert_int_equal(json_integer_value(json_object_get(rc, "id")), 99);
        assert_true(json_is_true(json_object_get(rc, "cached")));
        assert_true(json_equal(json_object_get(rc, "verdict"), va));
        json_decref(rc);
        json_decref(ra);
        json_decref(rb);
        assert_int_equal(nmh_finish(&a, NULL), 0);
        assert_int_equal(nmh_finish(&b, NULL), 0);
}

static void service_dying_mid_request(void **state) {
        struct env *e = *state;
        struct nmh_proc p;
        start_host(e, &p, 0);
        json_t *r = ask(&p, check(1, NULL, "first draft"));
        assert_int_equal(code_of(r), 0);
        json_decref(r);

        /* Freeze the service, send a check, kill the service while the host waits for it. */
        svc_freeze(e);
        struct nmh_buf b = {0};
        nmh_frame_json(&b, check(2, NULL, "second draft"));
        assert_int_equal(write(p.in, b.p, b.len), (ssize_t)b.len);
        free(b.p);
        usleep(200000);
        svc_kill(e, SIGKILL);
        assert_int_equal(nmh_next(&p, &r), 1);
        assert_int_equal(json_integer_value(json_object_get(r, "id")), 2);
        if (code_of(r) != 402)
                fail_msg("check while the service died: %s", json_dumps(r, JSON_COMPACT));
        json_decref(r);

        /* Service gone: hello says so, checks get the distinct code. */
        r = ask(&p, json_pack("{s:i, s:i, s:s}", "v", 1, "id", 3, "type", "hello"));
        assert_string_equal(json_string_value(json_object_get(r, "service")), "unavailable");
        json_decref(r);
        r = ask(&p, check(4, NULL, "third draft"));
        assert_int_equal(code_of(r), 400);
        json_decref(r);

        /* Back again: the same host reconnects. */
        unlink(e->sock);
        assert_int_equal(svc_start(e), 0);
        r = ask(&p, check(5, NULL, "fourth draft"));
        assert_int_equal(code_of(r), 0);
        json_decref(r);
        assert_int_equal(nmh_finish(&p, NULL), 0);
}

static void stalled_service_times_out(void **state) {
        struct env *e = *state;
        struct nmh_proc p;
        start_host(e, &p, 0);
        svc_freeze(e);
        json_t *r = ask(&p, check(1, NULL, "a draft nobody answers"));
        kill(e->svc_pid, SIGCONT);
        /* Either the connect (backlog) or the request hits the 2 s timeout. */
        int c = code_of(r);
        assert_true(c == 401 || c == 400);
        json_decref(r);
        r = ask(&p, check(2, NULL, "a draft after the stall"));
        assert_int_equal(code_of(r), 0);
        json_decref(r);
        assert_int_equal(nmh_finish(&p, NULL), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(hello_check_account_post_through_the_service),
                cmocka_unit_test(relayed_and_standalone_verdicts_are_the_same),
                cmocka_unit_test(stalled_service_times_out),
                cmocka_unit_test(service_dying_mid_request),
        };
        return cmocka_run_group_tests_name("nm_relay", tests, setup, teardown);
}
