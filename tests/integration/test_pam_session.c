/* Integration tests for pam_postwarden.so through real PAM: libpam under pam_wrapper, driven by
 * libpamtest, with the module loaded from the build tree.
 *
 * pam_wrapper must be preloaded before the process starts, so main() first writes the PAM
 * service files into a fresh directory, then re-executes itself with LD_PRELOAD, PAM_WRAPPER=1
 * and PAM_WRAPPER_SERVICE_DIR set (libasan first, and deep binding off, in sanitizer builds).
 *
 * The services the module talks to are real Unix sockets served by forked children: absent,
 * accepting and never answering, answering garbage, hanging up, refusing, a regular file in
 * the socket's place, and one that records what it was sent and answers like postwardend.
 * Every case checks the PAM result, and where it matters the log line (pam_wrapper sends
 * pam_syslog to stderr, which each case captures into a file). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <libpamtest.h>

#include "postwarden/client.h"

#ifndef PW_PAM_MODULE
#error "PW_PAM_MODULE (path of pam_postwarden.so) must be defined"
#endif
#ifndef PW_PRELOAD
#define PW_PRELOAD "libpam_wrapper.so"
#endif
#ifndef PW_POSTWARDEND
#define PW_POSTWARDEND "" /* the real service, when this build has it */
#endif
#ifndef PW_POLICY
#define PW_POLICY "" /* the policy it loads (policy/default/policy.json) */
#endif
#ifndef PW_SANITIZED
#define PW_SANITIZED 0 /* built with sanitizers: pam_wrapper must not use RTLD_DEEPBIND */
#endif

#define SET_ITEMS  "/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_set_items.so"
#define TIMEOUT_MS 100 /* the module's timeout_ms in these services */
#define USER       "nobody"

static char dir[64]; /* the test's scratch directory (PW_PAM_TEST_DIR) */

/* ---- set-up before the re-exec: service files ------------------------------------------ */

/* Writes service `name` with the module's `args`: pam_set_items (tty/rhost from the environment)
 * and pam_env (XDG_SESSION_ID) first, the module `required` so that its answer decides. */
static void write_service(const char *name, const char *args) {
        char path[128];
        snprintf(path, sizeof path, "%s/svc/%s", dir, name);
        FILE *f = fopen(path, "w");
        if (!f) {
                perror(path);
                exit(1);
        }
        fprintf(f, "session required %s\n", SET_ITEMS);
        fprintf(f, "session required pam_env.so readenv=0 user_readenv=0 conffile=%s/env.conf\n",
                dir);
        fprintf(f, "session required %s %s\n", PW_PAM_MODULE, args);
        fprintf(f, "session required pam_permit.so\n");
        fclose(f);
}

/* Writes every service file, then re-executes the test under pam_wrapper. */
static void setup_and_reexec(char **argv) {
        snprintf(dir, sizeof dir, "/tmp/pw-pam-XXXXXX");
        if (!mkdtemp(dir) || chmod(dir, 0755) < 0) { /* the "host" client runs as nobody */
                perror("mkdtemp");
                exit(1);
        }
        char p[128], a[512];
        snprintf(p, sizeof p, "%s/svc", dir);
        mkdir(p, 0700);
        snprintf(p, sizeof p, "%s/env.conf", dir);
        FILE *f = fopen(p, "w");
        fprintf(f, "XDG_SESSION_ID DEFAULT=c42\n");
        fclose(f);
        snprintf(p, sizeof p, "%s/svc/other", dir);
        f = fopen(p, "w");
        fprintf(f, "session required pam_deny.so\n");
        fclose(f);

        static const char *const kinds[] = {"absent", "silent", "partial", "garbage",
                                            "hangup", "refuse", "regfile"};
        for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
                snprintf(a, sizeof a, "socket=%s/%s.sock timeout_ms=%d", dir, kinds[i], TIMEOUT_MS);
                write_service(kinds[i], a);
                char closed[64];
                snprintf(closed, sizeof closed, "%s_closed", kinds[i]);
                strcat(a, " fail=closed");
                write_service(closed, a);
        }
        snprintf(a, sizeof a, "debug socket=%s/record.sock timeout_ms=1000", dir);
        write_service("record", a);
        write_service("cron", a); /* in the default skip list */
        snprintf(a, sizeof a, "debug socket=%s/pw.sock timeout_ms=2000", dir);
        write_service("real", a);
        snprintf(a, sizeof a, "socket=%s/record.sock skip=kiosk,gdm", dir);
        write_service("kiosk", a);
        write_service("login", a);
        /* A good socket and timeout first, then bad words that must not replace them. */
        snprintf(a, sizeof a,
                 "socket=%s/silent.sock timeout_ms=%d timeout_ms=abc socket= fail=maybe bogus", dir,
                 TIMEOUT_MS);
        write_service("badopts", a);
        /* Only bad words: the default socket (absent here) and fail=open. */
        write_service("onlybad", "timeout_ms=abc socket= fail=sometimes nonsense");

        /* Non-session entry points: anything but PAM_IGNORE from the module is fatal here. */
        snprintf(p, sizeof p, "%s/svc/nonsession", dir);
        f = fopen(p, "w");
        for (int i = 0; i < 4; i++) {
                static const char *const types[] = {"auth", "account", "password", "session"};
                fprintf(f, "%s [ignore=ignore default=die] %s\n", types[i], PW_PAM_MODULE);
                fprintf(f, "%s required pam_permit.so\n", types[i]);
        }
        fclose(f);

        setenv("PW_PAM_TEST_DIR", dir, 1);
        setenv("LD_PRELOAD", PW_PRELOAD, 1);
        setenv("PAM_WRAPPER", "1", 1);
        snprintf(p, sizeof p, "%s/svc", dir);
        setenv("PAM_WRAPPER_SERVICE_DIR", p, 1);
        setenv("PAM_WRAPPER_DEBUGLEVEL", "2", 1); /* pam_syslog → stderr */
        if (PW_SANITIZED) {
                setenv("PAM_WRAPPER_DISABLE_DEEPBIND", "1", 1);
                /* pam_wrapper 1.1.4 (Debian 12) reads this name instead, a copy from
                 * uid_wrapper; clang's ASan refuses RTLD_DEEPBIND outright. */
                setenv("UID_WRAPPER_DISABLE_DEEPBIND", "1", 1);
        }
        execv("/proc/self/exe", argv);
        perror("execv");
        exit(1);
}

/* ---- the services --------------------------------------------------------------------- */

enum behaviour { SILENT, PARTIAL, GARBAGE, HANGUP, REFUSE, RECORD };

/* One listening service: a forked child serving a socket in `dir`. */
struct service {
        const char *name;         /* socket is <dir>/<name>.sock */
        enum behaviour behaviour; /* what it does with a connection */
        pid_t pid;                /* the child serving it */
};

static pid_t daemon_pid; /* the real postwardend, when built */

static struct service services[] = {
        {"silent", SILENT, 0}, {"partial", PARTIAL, 0}, {"garbage", GARBAGE, 0},
        {"hangup", HANGUP, 0}, {"refuse", REFUSE, 0},   {"record", RECORD, 0},
};

/* Reads exactly n bytes; returns 0, or -1 on EOF or error. */
static int read_all(int fd, void *buf, size_t n) {
        char *p = buf;
        while (n > 0) {
                ssize_t r = read(fd, p, n);
                if (r <= 0)
                        return -1;
                p += r;
                n -= (size_t)r;
        }
        return 0;
}

/* Writes one frame (4-byte big-endian length + body). */
static void write_frame(int fd, const char *body) {
        uint32_t n = (uint32_t)strlen(body);
        unsigned char hdr[4] = {n >> 24, n >> 16, n >> 8, n};
        if (write(fd, hdr, 4) != 4 || write(fd, body, n) != (ssize_t)n)
                return;
}

/* Reads one frame into a new string; NULL on EOF or a frame above 64 KiB. */
static char *read_frame(int fd) {
        unsigned char hdr[4];
        if (read_all(fd, hdr, 4) < 0)
                return NULL;
        uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | hdr[2] << 8 | hdr[3];
        if (n == 0 || n > 65536)
                return NULL;
        char *body = calloc(1, n + 1);
        if (!body || read_all(fd, body, n) < 0) {
                free(body);
                return NULL;
        }
        return body;
}

/* Serves connections on `lfd` the way `b` says, forever (the parent kills it). */
static void serve(int lfd, enum behaviour b) {
        char log[128];
        snprintf(log, sizeof log, "%s/record.log", dir);
        for (;;) {
                int fd = accept(lfd, NULL, NULL);
                if (fd < 0)
                        continue;
                if (b == HANGUP) {
                        close(fd);
                        continue;
                }
                if (b == SILENT)
                        continue; /* held open, never answered */
                char *req = read_frame(fd);
                if (b == PARTIAL) { /* a frame header promising 100 bytes, 10 sent, then silence */
                        static const unsigned char part[] = {0,   0,   0,   100, '{', '"', 'v',
                                                             '"', ':', '1', ',', '"', 'i', 'd'};
                        if (write(fd, part, sizeof part) < 0)
                                break;
                        free(req);
                        continue; /* held open */
                }
                if (b == GARBAGE) {
                        static const char junk[] = "HTTP/1.0 200 OK\r\n\r\nnot a frame";
                        if (write(fd, junk, sizeof junk - 1) < 0)
                                break;
                } else if (b == REFUSE) {
                        write_frame(fd, "{\"v\":1,\"id\":1,\"type\":\"error\",\"code\":6,"
                                        "\"error\":\"forbidden\",\"message\":\"not root\"}");
                } else if (req) {
                        FILE *f = fopen(log, "a");
                        if (f) {
                                fprintf(f, "%s\n", req);
                                fclose(f);
                        }
                        /* like postwardend: the request's type, the session's id */
                        json_t *j = json_loads(req, 0, NULL);
                        json_t *a = json_pack("{s:i, s:i, s:O, s:i, s:i}", "v", 1, "id", 1, "type",
                                              json_object_get(j, "type"), "session", 42, "seq", 7);
                        char *out = json_dumps(a, JSON_COMPACT);
                        write_frame(fd, out);
                        free(out);
                        json_decref(a);
                        json_decref(j);
                }
                free(req);
                close(fd);
        }
        _exit(0);
}

/* In a service child: die with the test (a crashed test must not leave servers behind) and
 * let go of its stdout/stderr (so a pipe reading the test's output sees it end). */
static void orphan_guard(void) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0) {
                dup2(null, 1);
                dup2(null, 2);
                close(null);
        }
}

/* Starts the real postwardend on <dir>/pw.sock with <dir>/audit.db and waits for its socket.
 * Returns 0, or -1 (with its log on stderr) when it did not come up. */
static int start_daemon(void) {
        char sock[128], db[128], log[128];
        snprintf(sock, sizeof sock, "%s/pw.sock", dir);
        snprintf(db, sizeof db, "%s/audit.db", dir);
        snprintf(log, sizeof log, "%s/daemon.log", dir);
        daemon_pid = fork();
        if (daemon_pid < 0)
                return -1;
        if (daemon_pid == 0) {
                orphan_guard();
                if (!freopen(log, "w", stderr))
                        _exit(127);
                unsetenv("LD_PRELOAD"); /* pam_wrapper is for the PAM side only */
                execl(PW_POSTWARDEND, PW_POSTWARDEND, "--foreground", "--socket", sock, "--db", db,
                      "--policy", PW_POLICY, "--cache", "none", (char *)NULL);
                _exit(127);
        }
        struct stat st;
        for (int i = 0; i < 400 && stat(sock, &st) < 0; i++) {
                if (waitpid(daemon_pid, NULL, WNOHANG) == daemon_pid) {
                        daemon_pid = 0;
                        break;
                }
                usleep(25000);
        }
        if (stat(sock, &st) == 0)
                return 0;
        char cmd[160];
        snprintf(cmd, sizeof cmd, "cat '%s' >&2", log);
        if (system(cmd) != 0)
                fprintf(stderr, "postwardend did not start\n");
        return -1;
}

/* Group setup: starts every listening service and makes the regular file. */
static int start_services(void **state) {
        for (size_t i = 0; i < sizeof services / sizeof *services; i++) {
                struct sockaddr_un sa = {.sun_family = AF_UNIX};
                snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s.sock", dir, services[i].name);
                int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
                    listen(lfd, 64) < 0)
                        return -1;
                pid_t pid = fork();
                if (pid < 0)
                        return -1;
                if (pid == 0) {
                        orphan_guard();
                        serve(lfd, services[i].behaviour);
                }
                services[i].pid = pid;
                close(lfd);
        }
        if (PW_POSTWARDEND[0] && start_daemon() < 0)
                return -1;
        char p[128];
        snprintf(p, sizeof p, "%s/regfile.sock", dir);
        FILE *f = fopen(p, "w");
        if (!f)
                return -1;
        fputs("not a socket\n", f);
        fclose(f);
        return 0;
}

/* Group teardown: stops the services and removes the scratch directory. */
static int stop_services(void **state) {
        for (size_t i = 0; i < sizeof services / sizeof *services; i++) {
                if (services[i].pid > 0) {
                        kill(services[i].pid, SIGKILL);
                        waitpid(services[i].pid, NULL, 0);
                }
        }
        if (daemon_pid > 0) {
                kill(daemon_pid, SIGTERM);
                waitpid(daemon_pid, NULL, 0);
        }
        if (!getenv("PW_PAM_KEEP")) {
                char cmd[128];
                snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
                if (system(cmd) != 0)
                        return -1;
        }
        return 0;
}

/* ---- running PAM ---------------------------------------------------------------------- */

/* What one open+close through PAM gave. */
struct outcome {
        int open_rv;    /* pam_open_session's result */
        int close_rv;   /* pam_close_session's result */
        double open_ms; /* how long pam_open_session took */
        char log[8192]; /* what the PAM stack logged (pam_wrapper → stderr) */
};

static double ms_since(const struct timespec *t0) {
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Opens and closes a session of `user` through service `svc` with tty and rhost set, capturing
 * stderr into o->log. Uses libpamtest with expectations that cannot fail, so the real return
 * codes can be checked (and printed) by the caller. */
static void run_session_as(const char *svc, const char *user, struct outcome *o) {
        memset(o, 0, sizeof *o);
        setenv("PAM_TTY", "pts/7", 1);
        setenv("PAM_RHOST", "10.9.8.7", 1);

        char logpath[128];
        snprintf(logpath, sizeof logpath, "%s/stderr.txt", dir);
        fflush(stderr);
        int saved = dup(2);
        int lfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(saved >= 0 && lfd >= 0);
        dup2(lfd, 2);
        close(lfd);

        struct pamtest_conv_data conv = {0};
        struct pam_testcase open_case[] = {pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
                                           pam_test(PAMTEST_KEEPHANDLE, PAM_SUCCESS)};
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        enum pamtest_err perr = run_pamtest(svc, user, &conv, open_case, NULL);
        o->open_ms = ms_since(&t0);
        o->open_rv = open_case[0].op_rv;
        pam_handle_t *ph = open_case[1].case_out.ph;
        if (perr == PAMTEST_ERR_OK || perr == PAMTEST_ERR_CASE) {
                if (ph) { /* close in the same handle, so pam_set_data survives */
                        o->close_rv = pam_close_session(ph, 0);
                        pam_end(ph, o->close_rv);
                }
        } else {
                o->open_rv = -1000 - (int)perr;
        }

        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        FILE *f = fopen(logpath, "r");
        if (f) {
                size_t n = fread(o->log, 1, sizeof o->log - 1, f);
                o->log[n] = '\0';
                fclose(f);
        }
        if (getenv("PW_PAM_VERBOSE"))
                fprintf(stderr, "--- %s: open=%d close=%d %.1f ms\n%s", svc, o->open_rv,
                        o->close_rv, o->open_ms, o->log);
}

static void run_session(const char *svc, struct outcome *o) {
        run_session_as(svc, USER, o);
}

/* Returns the requests the recording service has seen since the last call, as a JSON array. */
static json_t *take_records(void) {
        char p[128];
        snprintf(p, sizeof p, "%s/record.log", dir);
        json_t *all = json_array();
        FILE *f = fopen(p, "r");
        if (f) {
                char line[4096];
                while (fgets(line, sizeof line, f)) {
                        json_error_t err;
                        json_t *j = json_loads(line, 0, &err);
                        assert_non_null(j);
                        json_array_append_new(all, j);
                }
                fclose(f);
                unlink(p);
        }
        return all;
}

/* ---- the cases ------------------------------------------------------------------------ */

/* Checks that a fail-open case succeeded quickly and said why, and that its fail=closed twin
 * refuses the session. */
static void check_fail_open(const char *svc, const char *why) {
        struct outcome o;
        run_session(svc, &o);
        assert_int_equal(o.open_rv, PAM_SUCCESS);
        assert_int_equal(o.close_rv, PAM_SUCCESS);
        assert_true(o.open_ms < 5 * TIMEOUT_MS);
        assert_non_null(strstr(o.log, "session open not recorded"));
        assert_non_null(strstr(o.log, why));
        assert_non_null(strstr(o.log, "continuing"));

        char closed[64];
        snprintf(closed, sizeof closed, "%s_closed", svc);
        run_session(closed, &o);
        assert_int_equal(o.open_rv, PAM_SESSION_ERR);
        assert_true(o.open_ms < 5 * TIMEOUT_MS);
        assert_non_null(strstr(o.log, "fail=closed: refusing"));
}

static void service_absent(void **state) {
        check_fail_open("absent", "service not running");
}

static void service_never_answers(void **state) {
        check_fail_open("silent", "did not answer in time");
}

static void service_stalls_mid_answer(void **state) {
        check_fail_open("partial", "did not answer in time");
}

static void service_answers_garbage(void **state) {
        check_fail_open("garbage", "answered garbage");
}

static void service_hangs_up(void **state) {
        check_fail_open("hangup", "not recorded");

        /* The service closing before the module writes must give EPIPE, never SIGPIPE (the
         * client library sends with MSG_NOSIGNAL). Which of EPIPE and ECONNRESET a run sees
         * is a race, so run until the write side was hit; SIGPIPE is blocked meanwhile and
         * must not be pending afterwards (unblocked, it would kill this test). */
        sigset_t pipe_set, old, pending;
        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        sigprocmask(SIG_BLOCK, &pipe_set, &old);
        int epipe = 0;
        for (int i = 0; i < 50 && epipe < 3; i++) {
                struct outcome o;
                run_session("hangup", &o);
                assert_int_equal(o.open_rv, PAM_SUCCESS);
                epipe += strstr(o.log, "Broken pipe") != NULL;
        }
        sigpending(&pending);
        int raised = sigismember(&pending, SIGPIPE);
        sigprocmask(SIG_SETMASK, &old, NULL);
        assert_false(raised);
        if (epipe == 0)
                print_message("note: no run wrote to the closed socket (EPIPE); only resets\n");
}

static void service_refuses(void **state) {
        check_fail_open("refuse", "service refused the request: error 6 forbidden: not root");
}

static void socket_is_a_regular_file(void **state) {
        check_fail_open("regfile", "not recorded");
}

/* The recording service sees what the module collected, and the close names the open's id. */
static void session_facts_are_sent(void **state) {
        json_decref(take_records());
        int64_t before = (int64_t)time(NULL);
        struct outcome o;
        run_session("record", &o);
        int64_t after = (int64_t)time(NULL);
        assert_int_equal(o.open_rv, PAM_SUCCESS);
        assert_int_equal(o.close_rv, PAM_SUCCESS);
        assert_non_null(strstr(o.log, "session open recorded (session 42)"));
        /* pam_loginuid did not run for this process (unless the test runs inside a login
         * session): the module must say so, once (on open). */
        char luid[32] = "";
        FILE *lf = fopen("/proc/self/loginuid", "r");
        if (lf && fgets(luid, sizeof luid, lf) && strcmp(luid, "4294967295") == 0) {
                const char *w = strstr(o.log, "loginuid is not set: pam_loginuid must run before");
                assert_non_null(w);
                assert_null(strstr(w + 1, "loginuid is not set"));
        }
        if (lf)
                fclose(lf);

        json_t *recs = take_records();
        assert_int_equal(json_array_size(recs), 2);
        json_t *open = json_array_get(recs, 0), *close = json_array_get(recs, 1);
        const char *type, *user, *service, *tty, *rhost, *xdg;
        json_int_t v, id, uid, t;
        json_error_t err;
        int rc = json_unpack_ex(open, &err, 0,
                                "{s:I, s:I, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:I, s?o, s?o !}",
                                "v", &v, "id", &id, "type", &type, "user", &user, "uid", &uid,
                                "service", &service, "tty", &tty, "rhost", &rhost, "xdg_session_id",
                                &xdg, "time", &t, "sessionid", NULL, "loginuid", NULL);
        if (rc < 0)
                fail_msg("session_open: %s", err.text);
        assert_int_equal(v, 1);
        assert_string_equal(type, "session_open");
        assert_string_equal(user, USER);
        assert_int_equal(uid, 65534);
        assert_string_equal(service, "record");
        assert_string_equal(tty, "pts/7");
        assert_string_equal(rhost, "10.9.8.7");
        assert_string_equal(xdg, "c42");
        assert_true(t >= before && t <= after);

        json_int_t session;
        rc = json_unpack_ex(close, &err, 0, "{s:I, s:I, s:s, s:I, s:s, s:s, s:s, s:I, s?o !}", "v",
                            &v, "id", &id, "type", &type, "session", &session, "user", &user,
                            "service", &service, "xdg_session_id", &xdg, "time", &t, "sessionid",
                            NULL);
        if (rc < 0)
                fail_msg("session_close: %s", err.text);
        assert_string_equal(type, "session_close");
        assert_int_equal(session, 42);
        json_decref(recs);
}

/* In a process whose audit session the test set (a child writing its loginuid gets a new
 * kernel session id), the module sends that session id and loginuid. */
static void audit_ids_are_sent(void **state) {
        json_decref(take_records());
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int fd = open("/proc/self/loginuid", O_WRONLY);
                if (fd < 0 || write(fd, "65534", 5) != 5)
                        _exit(77);
                close(fd);
                struct outcome o;
                run_session("record", &o);
                if (strstr(o.log, "loginuid is not set"))
                        _exit(2); /* it is set: no warning */
                _exit(o.open_rv == PAM_SUCCESS && o.close_rv == PAM_SUCCESS ? 0 : 1);
        }
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77)
                skip(); /* not root, or no CAP_AUDIT_CONTROL: cannot set a loginuid */
        assert_int_equal(WEXITSTATUS(status), 0);

        json_t *recs = take_records();
        assert_int_equal(json_array_size(recs), 2);
        json_t *open = json_array_get(recs, 0);
        json_t *sid = json_object_get(open, "sessionid");
        assert_true(json_is_integer(sid));
        assert_true(json_integer_value(sid) > 0 && json_integer_value(sid) < 4294967295LL);
        assert_int_equal(json_integer_value(json_object_get(open, "loginuid")), 65534);
        assert_true(json_equal(sid, json_object_get(json_array_get(recs, 1), "sessionid")));
        json_decref(recs);
}

/* Without a readable /proc/self/sessionid (here: a private mount namespace with an empty
 * tmpfs over /proc) the session is still recorded, without the kernel's ids. */
static void unreadable_sessionid(void **state) {
        json_decref(take_records());
        int pfd[2];
        assert_int_equal(pipe(pfd), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(pfd[0]);
                if (unshare(CLONE_NEWNS) < 0 ||
                    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    mount("none", "/proc", "tmpfs", 0, NULL) < 0)
                        _exit(77);
                if (access("/proc/self/sessionid", R_OK) == 0)
                        _exit(78);
                struct outcome o;
                run_session("record", &o);
                if (write(pfd[1], o.log, strlen(o.log)) < 0)
                        _exit(2);
                _exit(o.open_rv == PAM_SUCCESS && o.close_rv == PAM_SUCCESS ? 0 : 1);
        }
        close(pfd[1]);
        char log[8192] = "";
        size_t n = 0;
        ssize_t r;
        while (n < sizeof log - 1 && (r = read(pfd[0], log + n, sizeof log - 1 - n)) > 0)
                n += (size_t)r;
        log[n] = '\0';
        close(pfd[0]);
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77)
                skip(); /* no CAP_SYS_ADMIN: cannot hide /proc here */
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_non_null(strstr(log, "cannot read /proc/self/sessionid"));

        json_t *recs = take_records();
        assert_int_equal(json_array_size(recs), 2);
        assert_null(json_object_get(json_array_get(recs, 0), "sessionid"));
        assert_string_equal(json_string_value(json_object_get(json_array_get(recs, 0), "user")),
                            USER);
        json_decref(recs);
}

/* A close in a handle whose open was not recorded, in a process without an audit session: the
 * service could match nothing, so the module does not ask it, and says so. */
static void close_without_anything_to_match(void **state) {
        char sid[32] = "";
        FILE *f = fopen("/proc/self/sessionid", "r");
        int unset = f && fgets(sid, sizeof sid, f) && strcmp(sid, "4294967295") == 0;
        if (f)
                fclose(f);
        if (!unset)
                skip(); /* this test runs inside an audit session */
        json_decref(take_records());

        char logpath[128];
        snprintf(logpath, sizeof logpath, "%s/stderr.txt", dir);
        fflush(stderr);
        int saved = dup(2), lfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(saved >= 0 && lfd >= 0);
        dup2(lfd, 2);
        close(lfd);
        struct pamtest_conv_data conv = {0};
        struct pam_testcase tc[] = {pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS)};
        enum pamtest_err perr = run_pamtest("record", USER, &conv, tc, NULL);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        assert_int_equal(perr, PAMTEST_ERR_OK);

        char log[8192] = "";
        f = fopen(logpath, "r");
        assert_non_null(f);
        log[fread(log, 1, sizeof log - 1, f)] = '\0';
        fclose(f);
        assert_non_null(strstr(log, "session close not recorded (nothing to record it by: no "
                                    "session id from the open and no audit session id)"));
        json_t *recs = take_records();
        assert_int_equal(json_array_size(recs), 0);
        json_decref(recs);
}

/* auth, account, setcred and password are not the module's business: PAM_IGNORE. */
static void other_entry_points_ignore(void **state) {
        struct pamtest_conv_data conv = {0};
        struct pam_testcase tc[] = {
                pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
                pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
                pam_test(PAMTEST_SETCRED, PAM_SUCCESS),
                pam_test(PAMTEST_CHAUTHTOK, PAM_SUCCESS),
        };
        enum pamtest_err perr = run_pamtest("nonsession", USER, &conv, tc, NULL);
        if (perr != PAMTEST_ERR_OK) {
                const struct pam_testcase *bad = pamtest_failed_case(tc);
                fail_msg("%s: op %d returned %d", pamtest_strerror(perr),
                         bad ? (int)bad->pam_operation : -1, bad ? bad->op_rv : 0);
        }
}

/* A user NSS does not know cannot be recorded: logged, and the login goes on. */
static void unknown_user_fails_open(void **state) {
        json_decref(take_records());
        struct outcome o;
        run_session_as("record", "no-such-user-pw", &o);
        assert_int_equal(o.open_rv, PAM_SUCCESS);
        assert_int_equal(o.close_rv, PAM_SUCCESS);
        assert_non_null(strstr(o.log, "session open not recorded (nothing to record it by: user "
                                      "\"no-such-user-pw\" is unknown to NSS), continuing"));
        json_t *recs = take_records();
        assert_int_equal(json_array_size(recs), 0);
        json_decref(recs);
}

/* Services in skip= (default: cron, sudo, su, systemd-user) are not recorded at all. */
static void skipped_services(void **state) {
        json_decref(take_records());
        struct outcome o;
        run_session("cron", &o);
        assert_int_equal(o.open_rv, PAM_SUCCESS); /* the module ignores; pam_permit decides */
        assert_int_equal(o.close_rv, PAM_SUCCESS);
        assert_non_null(strstr(o.log, "service cron is in skip="));
        run_session("kiosk", &o);
        assert_int_equal(o.open_rv, PAM_SUCCESS);
        json_t *recs = take_records();
        assert_int_equal(json_array_size(recs), 0);
        json_decref(recs);

        /* skip= replaces the default list: cron is no longer in it, login is recorded. */
        run_session("login", &o);
        assert_int_equal(o.open_rv, PAM_SUCCESS);
        recs = take_records();
        assert_int_equal(json_array_size(recs), 2);
        json_decref(recs);
}

/* Bad option words are logged and ignored; the good words before them stay in force. */
static void bad_options_are_logged_and_ignored(void **state) {
        struct outcome o;
        run_session("badopts", &o);
        assert_int_equal(o.open_rv, PAM_SUCCESS); /* fail=maybe ignored: fail open */
        assert_true(o.open_ms < 5 * TIMEOUT_MS);  /* timeout_ms=abc ignored: 100 ms kept */
        assert_non_null(strstr(o.log, "did not answer in time")); /* socket= ignored */
        assert_non_null(strstr(o.log, "ignoring option \"timeout_ms=abc\""));
        assert_non_null(strstr(o.log, "ignoring option \"socket=\""));
        assert_non_null(strstr(o.log, "ignoring option \"fail=maybe\""));
        assert_non_null(strstr(o.log, "ignoring option \"bogus\""));

        run_session("onlybad", &o);
        assert_int_equal(o.open_rv, PAM_SUCCESS);
        assert_non_null(strstr(o.log, "ignoring option \"nonsense\""));
        assert_non_null(strstr(o.log, "not recorded"));
}

/* Runs `sql` on the real service's database with the sqlite3 CLI; returns its output, trimmed,
 * in `out`. */
static void query(const char *sql, char *out, size_t len) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "sqlite3 -separator '|' '%s/audit.db' \"%s\"", dir, sql);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        size_t n = fread(out, 1, len - 1, p);
        out[n] = '\0';
        while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
                out[--n] = '\0';
        assert_int_equal(pclose(p), 0);
}

/* Open + close through PAM with the real postwardend: the store has the session with the facts
 * PAM knew, labelled as the PAM module's, and its close time. */
static void real_service_records_session(void **state) {
        if (!PW_POSTWARDEND[0] || geteuid() != 0)
                skip(); /* no service in this build; or not root, whose module alone it hears */
        struct outcome o;
        run_session("real", &o);
        assert_int_equal(o.open_rv, PAM_SUCCESS);
        assert_int_equal(o.close_rv, PAM_SUCCESS);
        assert_non_null(strstr(o.log, "session open recorded (session "));
        assert_non_null(strstr(o.log, "session close recorded (session "));
        assert_null(strstr(o.log, "not recorded"));

        char row[512];
        query("SELECT user, uid, service, tty, rhost, xdg_session_id, src, closed_src, "
              "closed_us >= opened_us, audit_sessionid IS NULL FROM sessions "
              "WHERE service = 'real'",
              row, sizeof row);
        assert_string_equal(row, "nobody|65534|real|pts/7|10.9.8.7|c42|pam|pam|1|1");
}

/* The "done when" of issue 9: a session opened through PAM in a process whose audit session id
 * the test set; a client in that session (running as the session's user) reports the company
 * account @AcmeCorp; the store ties the account to that session by its audit session id. */
static void company_account_names_the_session(void **state) {
        if (!PW_POSTWARDEND[0] || geteuid() != 0)
                skip(); /* no service in this build; or not root, whose module alone it hears */
        int pfd[2];
        assert_int_equal(pipe(pfd), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(pfd[0]);
                int fd = open("/proc/self/loginuid", O_WRONLY);
                if (fd < 0 || write(fd, "65534", 5) != 5)
                        _exit(77);
                close(fd);
                char sid[32] = "";
                FILE *f = fopen("/proc/self/sessionid", "r");
                if (!f || !fgets(sid, sizeof sid, f))
                        _exit(3);
                fclose(f);
                if (write(pfd[1], sid, strlen(sid)) < 0)
                        _exit(3);

                setenv("PAM_TTY", "pts/8", 1);
                setenv("PAM_RHOST", "10.9.8.6", 1);
                struct pamtest_conv_data conv = {0};
                struct pam_testcase tc[] = {pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
                                            pam_test(PAMTEST_KEEPHANDLE, PAM_SUCCESS)};
                if (run_pamtest("real", USER, &conv, tc, NULL) != PAMTEST_ERR_OK)
                        _exit(4);
                pam_handle_t *ph = tc[1].case_out.ph;

                /* The browser's side: a process of the user in the same audit session. */
                pid_t host = fork();
                if (host == 0) {
                        if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                            setresuid(65534, 65534, 65534) < 0)
                                _exit(5);
                        char sock[128];
                        snprintf(sock, sizeof sock, "%s/pw.sock", dir);
                        struct pw_client *c = NULL;
                        json_t *reply = NULL;
                        json_t *req =
                                json_pack("{s:i, s:i, s:s, s:s, s:s, s:s, s:s}", "v", 1, "id", 1,
                                          "type", "account", "site", "x.com", "handle", "@AcmeCorp",
                                          "stable_id", "1234567890", "detected_by", "dom");
                        int r = pw_client_connect(sock, 2000, &c);
                        if (r >= 0)
                                r = pw_client_request(c, req, 2000, &reply);
                        if (r < 0) {
                                fprintf(stderr, "account: %s\n", strerror(-r));
                                _exit(6);
                        }
                        const char *type = json_string_value(json_object_get(reply, "type"));
                        if (!type || strcmp(type, "account") != 0) {
                                char *dump = json_dumps(reply, 0);
                                fprintf(stderr, "account reply: %s\n", dump ? dump : "?");
                                _exit(7);
                        }
                        _exit(0);
                }
                int st;
                waitpid(host, &st, 0);
                int rc = pam_close_session(ph, 0);
                pam_end(ph, rc);
                _exit(WIFEXITED(st) && WEXITSTATUS(st) == 0 && rc == PAM_SUCCESS
                              ? 0
                              : (WIFEXITED(st) ? 10 + WEXITSTATUS(st) : 9));
        }
        close(pfd[1]);
        char sid[32] = "";
        ssize_t n = read(pfd[0], sid, sizeof sid - 1);
        close(pfd[0]);
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77)
                skip(); /* cannot set a loginuid here */
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_true(n > 0);
        sid[n] = '\0';
        sid[strcspn(sid, "\n")] = '\0';

        char row[512], want[512];
        query("SELECT s.user, s.audit_sessionid, s.tty, a.handle, a.company, l.rule "
              "FROM session_accounts l JOIN sessions s ON s.id = l.session_id "
              "JOIN accounts a ON a.id = l.account_id WHERE a.handle = '@AcmeCorp'",
              row, sizeof row);
        snprintf(want, sizeof want, "nobody|%s|pts/8|@AcmeCorp|1|1", sid);
        assert_string_equal(row, want);
}

int main(int argc, char **argv) {
        const char *d = getenv("PW_PAM_TEST_DIR");
        if (!d || !getenv("PAM_WRAPPER_SERVICE_DIR"))
                setup_and_reexec(argv);
        snprintf(dir, sizeof dir, "%s", d);

        const struct CMUnitTest tests[] = {
                cmocka_unit_test(service_absent),
                cmocka_unit_test(service_never_answers),
                cmocka_unit_test(service_stalls_mid_answer),
                cmocka_unit_test(service_answers_garbage),
                cmocka_unit_test(service_hangs_up),
                cmocka_unit_test(service_refuses),
                cmocka_unit_test(socket_is_a_regular_file),
                cmocka_unit_test(session_facts_are_sent),
                cmocka_unit_test(audit_ids_are_sent),
                cmocka_unit_test(unreadable_sessionid),
                cmocka_unit_test(unknown_user_fails_open),
                cmocka_unit_test(other_entry_points_ignore),
                cmocka_unit_test(close_without_anything_to_match),
                cmocka_unit_test(skipped_services),
                cmocka_unit_test(bad_options_are_logged_and_ignored),
                cmocka_unit_test(real_service_records_session),
                cmocka_unit_test(company_account_names_the_session),
        };
        return cmocka_run_group_tests_name("pam_session", tests, start_services, stop_services);
}
