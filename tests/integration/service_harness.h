/* Helpers for the postwardend integration tests: start the real binary on a socket and database
 * in a temp dir, talk to it through the real client library and raw frames, read its log.
 * Header-only (static functions) so each test program stays one file. */
#ifndef POSTWARDEN_TEST_SERVICE_HARNESS_H
#define POSTWARDEN_TEST_SERVICE_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "frame.h"
#include "postwarden/audit.h"
#include "postwarden/client.h"

/* A company account "@AcmeCorp" on x.com that root and nobody may use, and one blocking term. */
#define HARNESS_POLICY                                                                             \
        "{\n"                                                                                      \
        "  \"version\": 1,\n"                                                                      \
        "  \"company\": {\"name\": \"Acme\"},\n"                                                   \
        "  \"accounts\": [{\"name\": \"acme-main\", \"site\": \"x.com\", \"handle\": "             \
        "\"@AcmeCorp\", \"users\": [\"root\", \"nobody\"]},\n"                                     \
        "               {\"name\": \"acme-press\", \"site\": \"x.com\", \"handle\": "              \
        "\"@AcmePress\", \"users\": [\"someone-else\"]}],\n"                                       \
        "  \"rules\": [{\"id\": \"codenames\", \"category\": \"confidential\", \"match\": "        \
        "{\"terms\": [\"Project Falcon\"]}, \"action\": \"block\", \"overridable\": true, "        \
        "\"message\": \"Project Falcon is confidential\"}]\n"                                      \
        "}\n"

struct svc {
        char dir[64];     /* temp dir */
        char sock[100];   /* socket path (fits sun_path) */
        char db[128];     /* database path */
        char policy[128]; /* policy path */
        char log[128];    /* the service's stderr */
        pid_t pid;        /* the running service, or 0 */
};

static inline const char *harness_bin(void) {
        const char *b = getenv("PW_POSTWARDEND");
        if (!b) {
                fprintf(stderr, "PW_POSTWARDEND is not set\n");
                exit(2);
        }
        return b;
}

static inline int64_t harness_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void harness_write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "w");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
                perror(path);
                exit(2);
        }
}

/* Reads a whole file (binary) into a malloc'd buffer; *len gets its size. NULL if absent. */
static inline char *harness_read_file(const char *path, size_t *len) {
        FILE *f = fopen(path, "rb");
        if (!f)
                return NULL;
        char *buf = NULL;
        size_t n = 0, cap = 0;
        for (;;) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 65536;
                        buf = realloc(buf, cap + 1);
                        if (!buf)
                                exit(2);
                }
                size_t got = fread(buf + n, 1, cap - n, f);
                if (!got)
                        break;
                n += got;
        }
        fclose(f);
        buf[n] = '\0';
        if (len)
                *len = n;
        return buf;
}

/* 1 when `needle` occurs in file `path` (binary-safe), 0 when not or absent. */
static inline int harness_file_has(const char *path, const char *needle) {
        size_t n;
        char *buf = harness_read_file(path, &n);
        if (!buf)
                return 0;
        int found = memmem(buf, n, needle, strlen(needle)) != NULL;
        free(buf);
        return found;
}

/* Prepares a temp dir with the policy (in dir itself unless `db_dir` names another dir). */
static inline void svc_init(struct svc *s, const char *db_dir) {
        memset(s, 0, sizeof *s);
        snprintf(s->dir, sizeof s->dir, "/tmp/pw-svc-XXXXXX");
        if (!mkdtemp(s->dir)) {
                perror("mkdtemp");
                exit(2);
        }
        chmod(s->dir, 0755);
        snprintf(s->sock, sizeof s->sock, "%s/pw.sock", s->dir);
        snprintf(s->db, sizeof s->db, "%s/audit.db", db_dir ? db_dir : s->dir);
        snprintf(s->policy, sizeof s->policy, "%s/policy.json", s->dir);
        snprintf(s->log, sizeof s->log, "%s/service.log", s->dir);
        harness_write_file(s->policy, HARNESS_POLICY);
}

/* Starts the service with extra arguments (NULL-terminated list); `fsize` > 0 sets
 * RLIMIT_FSIZE for it. Waits until it answers a hello (max 10 s). Returns 0 or -1. */
static inline int svc_start_ex(struct svc *s, rlim_t fsize, const char *const *extra) {
        const char *argv[40] = {harness_bin(), "--foreground",
                                "--debug",     "--socket",
                                s->sock,       "--db",
                                s->db,         "--policy",
                                s->policy,     "--cache",
                                "none",        "--idle-timeout-ms",
                                "1500",        "--frame-timeout-ms",
                                "500"};
        size_t n = 15;
        for (; extra && *extra && n < 38; extra++)
                argv[n++] = *extra;
        argv[n] = NULL;
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                int fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (fd < 0 || null < 0 || dup2(fd, 2) < 0 || dup2(null, 1) < 0 || dup2(null, 0) < 0)
                        _exit(127);
                if (fsize) {
                        struct rlimit rl = {fsize, fsize};
                        setrlimit(RLIMIT_FSIZE, &rl);
                }
                execv(argv[0], (char *const *)argv);
                _exit(127);
        }
        s->pid = pid;
        int64_t deadline = harness_ms() + 10000;
        while (harness_ms() < deadline) {
                struct pw_client *c;
                if (pw_client_connect(s->sock, 250, &c) == 0) {
                        json_t *req = json_pack("{s:i, s:i, s:s}", "v", 1, "id", 1, "type",
                                                "hello"),
                               *rep = NULL;
                        int r = pw_client_request(c, req, 2000, &rep);
                        json_decref(req);
                        json_decref(rep);
                        pw_client_free(c);
                        if (r == 0)
                                return 0;
                }
                int st;
                if (waitpid(pid, &st, WNOHANG) == pid) {
                        s->pid = 0;
                        return -1;
                }
                usleep(20000);
        }
        return -1;
}

static inline int svc_start(struct svc *s) {
        return svc_start_ex(s, 0, NULL);
}

/* Stops the service with `sig` and reaps it; returns its wait status. */
static inline int svc_stop_sig(struct svc *s, int sig) {
        int st = 0;
        if (s->pid > 0) {
                kill(s->pid, sig);
                waitpid(s->pid, &st, 0);
                s->pid = 0;
        }
        return st;
}

static inline int svc_stop(struct svc *s) {
        return svc_stop_sig(s, SIGTERM);
}

/* Removes the temp dir and everything in it. A sanitizer report in the service's log (builds
 * with POSTWARDEN_SANITIZE) fails the test program. */
static inline void svc_cleanup(struct svc *s) {
        svc_stop(s);
        static const char *const bad[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                          "runtime error:"};
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                if (harness_file_has(s->log, bad[i])) {
                        char *log = harness_read_file(s->log, NULL);
                        fprintf(stderr, "postwardend reported a sanitizer error:\n%s\n", log);
                        free(log);
                        exit(1);
                }
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", s->dir);
}

/* cmocka fixtures: a fresh service (svc_init, svc_start) for each test; one that does not start
 * fails the test with its log. */
static inline int svc_fixture_setup(void **state) {
        struct svc *s = malloc(sizeof *s);
        svc_init(s, NULL);
        if (svc_start(s) < 0) {
                char *log = harness_read_file(s->log, NULL);
                fprintf(stderr, "postwardend did not start; its log:\n%s\n", log ? log : "(none)");
                free(log);
                return -1;
        }
        *state = s;
        return 0;
}

static inline int svc_fixture_teardown(void **state) {
        struct svc *s = *state;
        svc_cleanup(s);
        free(s);
        return 0;
}

/* Opens the database read-only and verifies its chain (fails the test when it does not);
 * returns the result. */
static inline struct pw_audit_verify_result harness_verify_db(const char *path) {
        struct pw_audit *a = NULL;
        struct pw_audit_options opt = {.path = path, .flags = PW_AUDIT_READONLY};
        struct pw_error err = {0};
        if (pw_audit_open(&opt, &a, &err) < 0)
                fail_msg("cannot open %s: %s", path, err.text);
        struct pw_audit_verify_result res = {0};
        int r = pw_audit_verify(a, NULL, 0, &res, &err);
        if (r < 0)
                fail_msg("chain does not verify: %d at %lld: %s %s", r, (long long)res.bad_seq,
                         res.reason, err.text);
        pw_audit_free(a);
        return res;
}

/* One request on a fresh connection; returns the reply (caller frees) or NULL, with the client
 * error in *ret_err (may be NULL). `req` is stolen. */
static inline json_t *svc_call(struct svc *s, json_t *req, int *ret_err) {
        struct pw_client *c;
        json_t *rep = NULL;
        int r = pw_client_connect(s->sock, 1000, &c);
        if (r == 0) {
                r = pw_client_request(c, req, 5000, &rep);
                pw_client_free(c);
        }
        json_decref(req);
        if (ret_err)
                *ret_err = r;
        return r == 0 ? rep : NULL;
}

/* The "code" of an error reply, 0 for a success reply, -1 for none. */
static inline int reply_code(const json_t *rep) {
        if (!rep)
                return -1;
        const char *type = json_string_value(json_object_get(rep, "type"));
        if (type && !strcmp(type, "error"))
                return (int)json_integer_value(json_object_get(rep, "code"));
        return 0;
}

/* A raw connection (no client library) for malformed traffic. */
static inline int raw_connect(struct svc *s) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", s->sock);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        struct timeval tv = {5, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        return fd;
}

/* Sends a frame with the given body bytes. */
static inline int raw_send(int fd, const void *body, uint32_t len) {
        unsigned char hdr[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16),
                                (unsigned char)(len >> 8), (unsigned char)len};
        if (send(fd, hdr, 4, MSG_NOSIGNAL) != 4)
                return -1;
        return len == 0 || send(fd, body, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* Reads one reply frame; NULL on EOF, timeout or garbage. */
static inline json_t *raw_recv(int fd) {
        unsigned char hdr[4];
        if (recv(fd, hdr, 4, MSG_WAITALL) != 4)
                return NULL;
        uint32_t n;
        if (pw_frame_header(hdr, PW_FRAME_MAX, &n) < 0)
                return NULL;
        char *body = malloc(n);
        if (!body || recv(fd, body, n, MSG_WAITALL) != (ssize_t)n) {
                free(body);
                return NULL;
        }
        json_t *j = json_loadb(body, n, 0, NULL);
        free(body);
        return j;
}

/* 1 when the peer has closed fd (EOF within `ms`). */
static inline int raw_eof_within(int fd, int ms) {
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char b;
        ssize_t n = recv(fd, &b, 1, 0);
        return n == 0 || (n < 0 && errno == ECONNRESET);
}

static inline json_t *msg_hello(int id) {
        return json_pack("{s:i, s:i, s:s}", "v", 1, "id", id, "type", "hello");
}

/* A post attempt as a personal account (or company when `company`), with optional text. */
static inline json_t *msg_post(int id, bool company, const char *text) {
        json_t *m = json_pack("{s:i, s:i, s:s, s:s, s:{s:s}, s:{s:s, s:b}, s:b, s:[{s:s, s:s, "
                              "s:s}]}",
                              "v", 1, "id", id, "type", "post_attempt", "site", "x.com", "account",
                              "handle", company ? "@AcmeCorp" : "@ann_private", "verdict", "action",
                              "warn", "overridable", 1, "posted", 1, "findings", "rule",
                              "codenames", "category", "confidential", "excerpt", "Pro*** Fa****");
        if (text)
                json_object_set_new(m, "text", json_string(text));
        return m;
}

#endif
