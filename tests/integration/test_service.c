/* Integration tests of postwardend: the real binary on a real socket and a real database in a
 * temp dir, driven through the real client library and raw frames. Protocol faults, peer
 * identity, privilege checks, session ties, privacy, policy reload. Durability faults (disk
 * full, read-only, corrupt, kill -9) are in test_service_audit.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <grp.h>
#include <dirent.h>
#include <pwd.h>
#include <pthread.h>
#include <sys/socket.h>

#include "service_harness.h"

#include "postwarden/audit.h"

#define NOBODY 65534

/* The service answers a hello on a new connection within the client's default timeout. */
static void assert_alive(struct svc *s) {
        struct pw_client *c;
        assert_int_equal(pw_client_connect(s->sock, PW_CLIENT_TIMEOUT_MS_DEFAULT, &c), 0);
        json_t *req = msg_hello(99), *rep = NULL;
        assert_int_equal(pw_client_request(c, req, PW_CLIENT_TIMEOUT_MS_DEFAULT, &rep), 0);
        assert_int_equal(reply_code(rep), 0);
        json_decref(req);
        json_decref(rep);
        pw_client_free(c);
}

/* ---- the protocol --------------------------------------------------------------------------- */

static void hello_names_the_peer_from_the_kernel(void **state) {
        struct svc *s = *state;
        json_t *rep = svc_call(s, msg_hello(1), NULL);
        assert_non_null(rep);
        assert_int_equal(reply_code(rep), 0);
        assert_string_equal(json_string_value(json_object_get(rep, "type")), "hello");
        assert_int_equal(json_integer_value(json_object_get(rep, "id")), 1);
        assert_int_equal(json_integer_value(json_object_get(rep, "protocol")), 1);
        json_t *peer = json_object_get(rep, "peer");
        assert_int_equal(json_integer_value(json_object_get(peer, "uid")), getuid());
        assert_int_equal(json_integer_value(json_object_get(peer, "pid")), getpid());
        assert_true(json_is_true(json_object_get(peer, "alive")));
        assert_string_equal(json_string_value(json_object_get(peer, "source")), "kernel");
        json_decref(rep);
}

static void malformed_json_is_answered_and_the_connection_survives(void **state) {
        struct svc *s = *state;
        int fd = raw_connect(s);
        assert_true(fd >= 0);
        const char *bad[] = {"{\"v\":1,", "[1,2]", "{\"v\":1,\"v\":1}", "\xff\xfe{}", "nul"};
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                assert_int_equal(raw_send(fd, bad[i], (uint32_t)strlen(bad[i])), 0);
                json_t *rep = raw_recv(fd);
                assert_int_equal(reply_code(rep), 1);
                assert_non_null(strstr(json_string_value(json_object_get(rep, "message")),
                                       "not a JSON object"));
                json_decref(rep);
        }
        const char *ok = "{\"v\":1,\"id\":5,\"type\":\"hello\"}";
        assert_int_equal(raw_send(fd, ok, (uint32_t)strlen(ok)), 0);
        json_t *rep = raw_recv(fd);
        assert_int_equal(reply_code(rep), 0);
        json_decref(rep);
        close(fd);
}

static void wrong_types_unknown_types_and_versions_get_numbered_errors(void **state) {
        struct svc *s = *state;
        static const struct {
                const char *body;
                int code;
                const char *says;
        } cases[] = {
                {"{\"v\":2,\"id\":1,\"type\":\"hello\"}", 3, "version"},
                {"{\"v\":1,\"id\":1,\"type\":\"teleport\"}", 4, "teleport"},
                {"{\"v\":1,\"id\":1,\"type\":\"check\",\"text\":42}", 5, "check"},
                {"{\"v\":1,\"id\":1,\"type\":\"hello\",\"admin\":true}", 5, "admin"},
                {"{\"v\":\"1\",\"id\":1,\"type\":\"hello\"}", 5, "envelope"},
                {"{\"v\":1,\"id\":{},\"type\":\"hello\"}", 5, "id"},
                {"{\"v\":1,\"id\":1,\"type\":\"session_open\",\"user\":\"a\",\"uid\":\"0\","
                 "\"service\":\"login\"}",
                 5, "session_open"},
        };
        int fd = raw_connect(s);
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                assert_int_equal(raw_send(fd, cases[i].body, (uint32_t)strlen(cases[i].body)), 0);
                json_t *rep = raw_recv(fd);
                const char *msg = json_string_value(json_object_get(rep, "message"));
                if (reply_code(rep) != cases[i].code || !msg || !strstr(msg, cases[i].says))
                        fail_msg("case %zu: code %d message %s", i, reply_code(rep),
                                 msg ? msg : "(none)");
                json_decref(rep);
        }
        close(fd);
        assert_alive(s);
}

static void oversized_and_empty_frames_are_refused_before_reading(void **state) {
        struct svc *s = *state;
        const unsigned char huge[4] = {0xff, 0xff, 0xff, 0xff};
        const unsigned char over[4] = {0x00, 0x11, 0x00, 0x01}; /* cap + 1 */
        const unsigned char zero[4] = {0, 0, 0, 0};
        const unsigned char *hdrs[] = {huge, over, zero};
        for (size_t i = 0; i < 3; i++) {
                int fd = raw_connect(s);
                assert_int_equal(send(fd, hdrs[i], 4, MSG_NOSIGNAL), 4);
                json_t *rep = raw_recv(fd);
                assert_int_equal(reply_code(rep), 2);
                json_decref(rep);
                assert_true(raw_eof_within(fd, 2000)); /* the stream is closed after that */
                close(fd);
        }
        assert_alive(s);
        assert_true(harness_file_has(s->log, "above the cap"));
}

static void truncated_frames_do_not_hold_the_service(void **state) {
        struct svc *s = *state;
        /* A header promising 100 bytes, 10 sent, then silence: closed after the frame timeout. */
        int fd = raw_connect(s);
        unsigned char part[14] = {0, 0, 0, 100, '{', '"', 'v', '"', ':', '1', ',', '"', 'i', 'd'};
        assert_int_equal(send(fd, part, sizeof part, MSG_NOSIGNAL), (ssize_t)sizeof part);
        assert_alive(s);
        assert_true(raw_eof_within(fd, 3000));
        close(fd);
        /* And one that hangs up mid-frame. */
        fd = raw_connect(s);
        assert_int_equal(send(fd, part, sizeof part, MSG_NOSIGNAL), (ssize_t)sizeof part);
        close(fd);
        assert_alive(s);
}

static void a_silent_client_holds_up_nobody_and_is_dropped(void **state) {
        struct svc *s = *state;
        int idle[32];
        for (int i = 0; i < 32; i++)
                idle[i] = raw_connect(s);
        int64_t t0 = harness_ms();
        for (int i = 0; i < 10; i++)
                assert_alive(s);
        assert_true(harness_ms() - t0 < 2000);
        /* --idle-timeout-ms 1500 in the harness */
        for (int i = 0; i < 32; i++) {
                assert_true(raw_eof_within(idle[i], 4000));
                close(idle[i]);
        }
}

static void pipelined_requests_are_all_answered(void **state) {
        struct svc *s = *state;
        int fd = raw_connect(s);
        char buf[64];
        for (int i = 0; i < 200; i++) {
                int n = snprintf(buf, sizeof buf, "{\"v\":1,\"id\":%d,\"type\":\"hello\"}", i);
                assert_int_equal(raw_send(fd, buf, (uint32_t)n), 0);
        }
        for (int i = 0; i < 200; i++) {
                json_t *rep = raw_recv(fd);
                assert_int_equal(json_integer_value(json_object_get(rep, "id")), i);
                json_decref(rep);
        }
        close(fd);
}

static void a_flood_of_events_from_one_client_is_paced_not_lost(void **state) {
        struct svc *s = *state;
        int fd = raw_connect(s);
        enum { N = 300 };
        for (int i = 0; i < N; i++) {
                json_t *m = msg_post(i, false, NULL);
                char *body = json_dumps(m, JSON_COMPACT);
                assert_int_equal(raw_send(fd, body, (uint32_t)strlen(body)), 0);
                free(body);
                json_decref(m);
        }
        static bool seen[N];
        for (int i = 0; i < N; i++) {
                json_t *rep = raw_recv(fd);
                assert_int_equal(reply_code(rep), 0);
                json_int_t id = json_integer_value(json_object_get(rep, "id"));
                assert_true(id >= 0 && id < N && !seen[id]);
                seen[id] = true;
                json_decref(rep);
        }
        close(fd);
        assert_alive(s);
}

static void a_one_mebibyte_check_is_answered(void **state) {
        struct svc *s = *state;
        size_t n = 1024 * 1024 - 64;
        char *text = malloc(n + 1);
        memset(text, 'a', n);
        memcpy(text + n / 2, " Project Falcon ", 16);
        text[n] = '\0';
        json_t *rep = svc_call(
                s,
                json_pack("{s:i, s:i, s:s, s:s}", "v", 1, "id", 1, "type", "check", "text", text),
                NULL);
        free(text);
        assert_int_equal(reply_code(rep), 0);
        assert_string_equal(
                json_string_value(json_object_get(json_object_get(rep, "verdict"), "action")),
                "block");
        json_decref(rep);
}

#define MANY 200

static void many_clients_at_once_are_all_answered(void **state) {
        struct svc *s = *state;
        static int fds[MANY];
        for (int i = 0; i < MANY; i++) {
                fds[i] = raw_connect(s);
                assert_true(fds[i] >= 0);
        }
        char buf[64];
        for (int i = 0; i < MANY; i++) {
                int n = snprintf(buf, sizeof buf, "{\"v\":1,\"id\":%d,\"type\":\"hello\"}", i);
                assert_int_equal(raw_send(fds[i], buf, (uint32_t)n), 0);
        }
        for (int i = 0; i < MANY; i++) {
                json_t *rep = raw_recv(fds[i]);
                assert_int_equal(json_integer_value(json_object_get(rep, "id")), i);
                json_decref(rep);
                close(fds[i]);
        }
}

/* ---- identity and privilege ----------------------------------------------------------------- */

/* Runs `fn` in a child as uid/gid `uid`; returns its exit status (0 = all asserts held). */
static int as_user(uid_t uid, int (*fn)(struct svc *), struct svc *s) {
        pid_t pid = fork();
        if (pid == 0) {
                if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0)
                        _exit(90);
                _exit(fn(s));
        }
        int st;
        waitpid(pid, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

static int nobody_session_open(struct svc *s) {
        json_t *rep =
                svc_call(s,
                         json_pack("{s:i, s:i, s:s, s:s, s:i, s:s}", "v", 1, "id", 1, "type",
                                   "session_open", "user", "root", "uid", 0, "service", "login"),
                         NULL);
        int code = reply_code(rep);
        json_decref(rep);
        if (code != 6)
                return 1;
        rep = svc_call(s, json_pack("{s:i, s:i, s:s}", "v", 1, "id", 2, "type", "status"), NULL);
        code = reply_code(rep);
        json_decref(rep);
        return code == 6 ? 0 : 2;
}

static void only_root_opens_sessions_and_only_admins_query(void **state) {
        struct svc *s = *state;
        assert_int_equal(as_user(NOBODY, nobody_session_open, s), 0);
        assert_true(harness_file_has(s->log, "uid 65534"));
        assert_true(harness_file_has(s->log, "sent session_open: refused"));
        json_t *rep =
                svc_call(s, json_pack("{s:i, s:i, s:s}", "v", 1, "id", 2, "type", "status"), NULL);
        assert_int_equal(reply_code(rep), 0);
        assert_true(json_is_integer(json_object_get(rep, "uptime_s")));
        json_decref(rep);
}

static int nobody_claims_root(struct svc *s) {
        /* A uid field is not part of the message: refused, not believed. */
        json_t *m = msg_post(1, false, NULL);
        json_object_set_new(m, "uid", json_integer(0));
        json_t *rep = svc_call(s, m, NULL);
        int code = reply_code(rep);
        json_decref(rep);
        if (code != 5)
                return 1;
        rep = svc_call(s, msg_post(2, false, NULL), NULL);
        code = reply_code(rep);
        json_decref(rep);
        return code == 0 ? 0 : 10 + code;
}

static int event_uid(const struct pw_audit_event_row *row, void *userdata) {
        int64_t *uid = userdata;
        *uid = row->peer_uid;
        return 0;
}

static void events_are_recorded_under_the_kernel_uid(void **state) {
        struct svc *s = *state;
        assert_int_equal(as_user(NOBODY, nobody_claims_root, s), 0);
        struct pw_audit *a;
        struct pw_audit_options opt = {.path = s->db, .flags = PW_AUDIT_READONLY};
        assert_int_equal(pw_audit_open(&opt, &a, NULL), 0);
        int64_t uid = -2;
        struct pw_audit_event_filter f = {.peer_uid = -1, .kind = PW_AUDIT_POST_ATTEMPT};
        assert_int_equal(pw_audit_query_events(a, &f, event_uid, &uid, NULL), 0);
        assert_int_equal(uid, NOBODY);
        pw_audit_free(a);
}

/* Waits until every thread of `pid` is in state T: kill(SIGSTOP) returns before they stop. */
static void wait_stopped(pid_t pid) {
        for (int tries = 0; tries < 500; tries++) {
                char path[64];
                snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
                DIR *d = opendir(path);
                assert_non_null(d);
                int running = 0;
                struct dirent *e;
                while ((e = readdir(d))) {
                        if (e->d_name[0] == '.')
                                continue;
                        char sp[384], buf[512];
                        snprintf(sp, sizeof sp, "%s/%s/stat", path, e->d_name);
                        FILE *f = fopen(sp, "r");
                        if (!f)
                                continue;
                        size_t n = fread(buf, 1, sizeof buf - 1, f);
                        fclose(f);
                        buf[n] = '\0';
                        const char *p = strrchr(buf, ')');
                        if (p && p[1] == ' ' && p[2] != 'T' && p[2] != 't')
                                running++;
                }
                closedir(d);
                if (!running)
                        return;
                usleep(2000);
        }
        fail_msg("postwardend did not stop");
}

static void a_client_that_exits_before_accept_is_not_identified(void **state) {
        struct svc *s = *state;
        /* Stop the service so the connection waits in the backlog while its process dies; the
         * socket (created here, connected by the child) outlives the child. */
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", s->sock);
        kill(s->pid, SIGSTOP);
        wait_stopped(s->pid);
        pid_t child = fork();
        if (child == 0)
                _exit(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 ? 0 : 1);
        int st;
        waitpid(child, &st, 0);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        kill(s->pid, SIGCONT);
        const char *hello = "{\"v\":1,\"id\":1,\"type\":\"hello\"}";
        assert_int_equal(raw_send(fd, hello, (uint32_t)strlen(hello)), 0);
        json_t *rep = raw_recv(fd);
        json_t *peer = json_object_get(rep, "peer");
        assert_int_equal(json_integer_value(json_object_get(peer, "pid")), child);
        if (!json_is_false(json_object_get(peer, "alive")) ||
            !json_is_null(json_object_get(peer, "sessionid"))) {
                char *dump = json_dumps(rep, JSON_COMPACT);
                char *log = harness_read_file(s->log, NULL);
                fail_msg("child %d identified as alive: %s\nlog:\n%s", (int)child, dump, log);
        }
        json_decref(rep);
        close(fd);
        assert_true(harness_file_has(s->log, "exited before it could be identified"));
}

/* ---- sessions and ties ---------------------------------------------------------------------- */

/* In a child: take a fresh audit session (write loginuid), open a PAM-like session for nobody
 * as root, then as nobody say hello and report the company account. Exits 0 when the tie is
 * rule 1 (sessionid) to that session. */
static int fresh_session_child(struct svc *s) {
        FILE *f = fopen("/proc/self/loginuid", "w");
        if (!f || fprintf(f, "%d", NOBODY) < 0 || fclose(f) != 0)
                return 40;
        unsigned sid = 0;
        f = fopen("/proc/self/sessionid", "r");
        if (!f || fscanf(f, "%u", &sid) != 1 || sid == 4294967295u)
                return 41;
        fclose(f);
        json_t *rep = svc_call(s,
                               json_pack("{s:i, s:i, s:s, s:s, s:i, s:s, s:s, s:I, s:i}", "v", 1,
                                         "id", 1, "type", "session_open", "user", "nobody", "uid",
                                         NOBODY, "service", "login", "tty", "tty7", "sessionid",
                                         (json_int_t)sid, "loginuid", NOBODY),
                               NULL);
        if (reply_code(rep) != 0)
                return 42;
        json_int_t session = json_integer_value(json_object_get(rep, "session"));
        json_decref(rep);
        if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
                return 43;
        rep = svc_call(s, msg_hello(2), NULL);
        json_t *tie = json_object_get(rep, "session");
        int ok = tie &&
                 !strcmp(json_string_value(json_object_get(tie, "rule")) ?: "", "sessionid") &&
                 json_integer_value(json_array_get(json_object_get(tie, "sessions"), 0)) == session;
        json_decref(rep);
        if (!ok)
                return 44;
        rep = svc_call(s,
                       json_pack("{s:i, s:i, s:s, s:s, s:s, s:s}", "v", 1, "id", 3, "type",
                                 "account", "site", "x.com", "handle", "@AcmeCorp", "detected_by",
                                 "test"),
                       NULL);
        ok = reply_code(rep) == 0 && json_is_true(json_object_get(rep, "company")) &&
             !strcmp(json_string_value(json_object_get(json_object_get(rep, "session"), "rule"))
                             ?: "",
                     "sessionid");
        json_decref(rep);
        return ok ? 0 : 45;
}

static int hello_tie_rule(struct svc *s, const char **ret_rule, size_t *ret_n) {
        json_t *rep = svc_call(s, msg_hello(1), NULL);
        json_t *tie = json_object_get(rep, "session");
        static char rule[32];
        snprintf(rule, sizeof rule, "%s",
                 json_is_object(tie) ? json_string_value(json_object_get(tie, "rule")) : "none");
        *ret_rule = rule;
        *ret_n = json_array_size(json_object_get(tie, "sessions"));
        json_decref(rep);
        return 0;
}

static int tie_only(struct svc *s) {
        const char *rule;
        size_t n;
        hello_tie_rule(s, &rule, &n);
        return !strcmp(rule, "only_session") && n == 1 ? 0 : 50;
}

static int tie_ambiguous(struct svc *s) {
        const char *rule;
        size_t n;
        hello_tie_rule(s, &rule, &n);
        return !strcmp(rule, "ambiguous") && n == 2 ? 0 : 51;
}

static int open_plain_session(struct svc *s) {
        json_t *rep = svc_call(s,
                               json_pack("{s:i, s:i, s:s, s:s, s:i, s:s}", "v", 1, "id", 1, "type",
                                         "session_open", "user", "nobody", "uid", NOBODY, "service",
                                         "sshd"),
                               NULL);
        int code = reply_code(rep);
        json_decref(rep);
        return code;
}

static void sessions_tie_by_rule(void **state) {
        struct svc *s = *state;
        /* Rule 1: a process in the session's own audit session. */
        pid_t pid = fork();
        if (pid == 0)
                _exit(fresh_session_child(s));
        int st;
        waitpid(pid, &st, 0);
        assert_int_equal(WEXITSTATUS(st), 0);
        /* Rule 3: nobody's process outside that audit session; nobody has one session. */
        assert_int_equal(as_user(NOBODY, tie_only, s), 0);
        /* Rule 4: a second session for nobody makes it ambiguous. */
        assert_int_equal(open_plain_session(s), 0);
        assert_int_equal(as_user(NOBODY, tie_ambiguous, s), 0);
}

static void session_close_closes(void **state) {
        struct svc *s = *state;
        json_t *rep = svc_call(s,
                               json_pack("{s:i, s:i, s:s, s:s, s:i, s:s}", "v", 1, "id", 1, "type",
                                         "session_open", "user", "nobody", "uid", NOBODY, "service",
                                         "sshd"),
                               NULL);
        assert_int_equal(reply_code(rep), 0);
        json_int_t id = json_integer_value(json_object_get(rep, "session"));
        json_decref(rep);
        rep = svc_call(s,
                       json_pack("{s:i, s:i, s:s, s:I, s:s, s:s}", "v", 1, "id", 2, "type",
                                 "session_close", "session", id, "user", "nobody", "service",
                                 "sshd"),
                       NULL);
        assert_int_equal(reply_code(rep), 0);
        json_decref(rep);
        rep = svc_call(s,
                       json_pack("{s:i, s:i, s:s, s:I, s:s, s:s}", "v", 1, "id", 3, "type",
                                 "session_close", "session", id, "user", "nobody", "service",
                                 "sshd"),
                       NULL);
        assert_int_equal(reply_code(rep), 11); /* already closed */
        json_decref(rep);
}

/* ---- privacy -------------------------------------------------------------------------------- */

#define PLANTED "Zebra Kumquat Falcon planted 4711"

static void personal_draft_text_is_never_written(void **state) {
        struct svc *s = *state;
        json_t *rep =
                svc_call(s,
                         json_pack("{s:i, s:i, s:s, s:s, s:s}", "v", 1, "id", 1, "type", "check",
                                   "text", "Project Falcon " PLANTED, "site", "x.com"),
                         NULL);
        assert_int_equal(reply_code(rep), 0);
        json_decref(rep);
        rep = svc_call(s, msg_post(2, false, "Project Falcon " PLANTED), NULL);
        assert_int_equal(reply_code(rep), 0);
        assert_true(json_is_false(json_object_get(rep, "archived")));
        json_decref(rep);
        /* Positive control: a company account's post is archived, so the grep can find text. */
        rep = svc_call(s, msg_post(3, true, "Company news CONTROL-PHRASE-1234"), NULL);
        assert_int_equal(reply_code(rep), 0);
        assert_true(json_is_true(json_object_get(rep, "archived")));
        json_decref(rep);

        char wal[160], shm[160];
        snprintf(wal, sizeof wal, "%s-wal", s->db);
        snprintf(shm, sizeof shm, "%s-shm", s->db);
        assert_true(harness_file_has(s->db, "CONTROL-PHRASE-1234") ||
                    harness_file_has(wal, "CONTROL-PHRASE-1234"));
        const char *files[] = {s->db, wal, shm, s->log};
        for (size_t i = 0; i < 4; i++)
                if (harness_file_has(files[i], "Kumquat"))
                        fail_msg("the planted phrase is in %s", files[i]);
        svc_stop(s); /* checkpoint and close, then look again */
        for (size_t i = 0; i < 4; i++)
                if (harness_file_has(files[i], "Kumquat"))
                        fail_msg("the planted phrase is in %s after stop", files[i]);
}

/* ---- policy --------------------------------------------------------------------------------- */

static const char *policy_id(struct svc *s) {
        static char id[80];
        json_t *rep = svc_call(s, msg_hello(1), NULL);
        snprintf(id, sizeof id, "%s",
                 json_string_value(json_object_get(json_object_get(rep, "policy"), "id"))
                         ?: "(none)");
        json_decref(rep);
        return id;
}

static void broken_policy_on_reload_keeps_the_old_one(void **state) {
        struct svc *s = *state;
        char before[80];
        snprintf(before, sizeof before, "%s", policy_id(s));
        assert_string_not_equal(before, "(none)");
        harness_write_file(s->policy, "{\"version\": 1, \"rules\": [ {\"id\": }");
        kill(s->pid, SIGHUP);
        for (int i = 0; i < 100 && !harness_file_has(s->log, "keeping the policy in force"); i++)
                usleep(20000);
        assert_true(harness_file_has(s->log, "keeping the policy in force"));
        assert_string_equal(policy_id(s), before);
        json_t *rep = svc_call(s,
                               json_pack("{s:i, s:i, s:s, s:s}", "v", 1, "id", 1, "type", "check",
                                         "text", "about Project Falcon"),
                               NULL);
        assert_int_equal(reply_code(rep), 0);
        assert_string_equal(
                json_string_value(json_object_get(json_object_get(rep, "verdict"), "action")),
                "block");
        json_decref(rep);
        /* A good new policy replaces it. */
        harness_write_file(s->policy, "{\"version\": 1, \"rules\": [{\"id\": \"r2\", \"match\": "
                                      "{\"terms\": [\"Osprey\"]}, \"action\": \"warn\", "
                                      "\"message\": \"careful\"}]}");
        kill(s->pid, SIGHUP);
        for (int i = 0; i < 100 && !strcmp(policy_id(s), before); i++)
                usleep(20000);
        assert_string_not_equal(policy_id(s), before);
}

static void a_policy_moved_into_place_is_reloaded_without_a_signal(void **state) {
        struct svc *s = *state;
        char before[80], tmp[160];
        snprintf(before, sizeof before, "%s", policy_id(s));
        snprintf(tmp, sizeof tmp, "%s/.policy.json.new", s->dir);
        harness_write_file(tmp, "{\"version\": 1, \"rules\": [{\"id\": \"r3\", \"match\": "
                                "{\"terms\": [\"Kestrel\"]}, \"action\": \"block\", "
                                "\"message\": \"no\"}]}");
        assert_int_equal(rename(tmp, s->policy), 0);
        for (int i = 0; i < 150 && !strcmp(policy_id(s), before); i++)
                usleep(20000);
        assert_string_not_equal(policy_id(s), before);
        assert_true(harness_file_has(s->log, "the policy directory changed"));
}

/* ---- socket activation ---------------------------------------------------------------------- */

static void socket_activation_uses_the_passed_socket(void **state) {
        struct svc s;
        svc_init(&s, NULL);
        int l = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", s.sock);
        assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
        assert_int_equal(listen(l, 16), 0);
        pid_t pid = fork();
        if (pid == 0) {
                int fd = open(s.log, O_WRONLY | O_CREAT | O_APPEND, 0644);
                dup2(fd, 2);
                dup2(l, 3);
                char p[32];
                snprintf(p, sizeof p, "%d", (int)getpid());
                setenv("LISTEN_PID", p, 1);
                setenv("LISTEN_FDS", "1", 1);
                /* --socket names a path that cannot be bound: the passed socket must be used. */
                execl(harness_bin(), harness_bin(), "--foreground", "--socket",
                      "/nonexistent/dir/pw.sock", "--db", s.db, "--policy", s.policy, "--cache",
                      "none", (char *)NULL);
                _exit(127);
        }
        close(l);
        s.pid = pid;
        json_t *rep = NULL;
        for (int i = 0; i < 100 && !rep; i++) {
                rep = svc_call(&s, msg_hello(1), NULL);
                if (!rep)
                        usleep(20000);
        }
        assert_int_equal(reply_code(rep), 0);
        json_decref(rep);
        svc_cleanup(&s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(socket_activation_uses_the_passed_socket),
#define T(fn) cmocka_unit_test_setup_teardown(fn, svc_fixture_setup, svc_fixture_teardown)
                T(hello_names_the_peer_from_the_kernel),
                T(malformed_json_is_answered_and_the_connection_survives),
                T(wrong_types_unknown_types_and_versions_get_numbered_errors),
                T(oversized_and_empty_frames_are_refused_before_reading),
                T(truncated_frames_do_not_hold_the_service),
                T(a_silent_client_holds_up_nobody_and_is_dropped),
                T(pipelined_requests_are_all_answered),
                T(a_one_mebibyte_check_is_answered),
                T(a_flood_of_events_from_one_client_is_paced_not_lost),
                T(many_clients_at_once_are_all_answered),
                T(only_root_opens_sessions_and_only_admins_query),
                T(events_are_recorded_under_the_kernel_uid),
                T(a_client_that_exits_before_accept_is_not_identified),
                T(sessions_tie_by_rule),
                T(session_close_closes),
                T(personal_draft_text_is_never_written),
                T(broken_policy_on_reload_keeps_the_old_one),
                T(a_policy_moved_into_place_is_reloaded_without_a_signal),
#undef T
        };
        if (getuid() != 0) {
                fprintf(stderr, "these tests run as root (setuid children, loginuid)\n");
                return 77;
        }
        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
