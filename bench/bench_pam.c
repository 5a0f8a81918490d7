/* bench_pam: the time pam_postwarden.so adds to a login.
 *
 * Runs N open_session + close_session pairs through real libpam (under pam_wrapper, which this
 * program preloads by re-executing itself) for each scenario, and prints p50/p99/max of the open
 * alone (what a login waits for) and of the open+close pair:
 *   baseline  pam_permit.so alone (the peer every other line is compared with)
 *   up        the module as shipped (session optional) with a real postwardend answering
 *   absent    the module, no service at the socket
 *   hung      the module, a service that accepts and never answers (timeout_ms=250, 50):
 *             a pair is two calls, each bounded by the timeout
 *
 * Usage: bench_pam [-n PAIRS] [-d POSTWARDEND [-p POLICY]] [-s SOCKET] [-t TMPDIR]
 *   -d starts `POSTWARDEND --foreground --socket DIR/pw.sock --db DIR/audit.db --policy POLICY
 *   --cache none` for "up" (the database is a real file in /tmp, synchronous=FULL);
 *   -t puts the scratch directory (and so the database) under TMPDIR (default /tmp; /dev/shm
 *   separates the module's cost from the disk's fsync).
 *   -s uses a service already listening on SOCKET. Run as root: the service accepts session
 *   messages from uid 0 only. Without -d or -s the "up" line is skipped. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#ifndef PW_PAM_MODULE
#error "PW_PAM_MODULE (path of pam_postwarden.so) must be defined"
#endif
#ifndef PW_PRELOAD
#define PW_PRELOAD "libpam_wrapper.so"
#endif

static int no_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data) {
        return PAM_CONV_ERR;
}

/* Writes service `name` in dir/svc: the module with `args` (NULL: none) then pam_permit. */
static void write_service(const char *dir, const char *name, const char *args) {
        char path[256];
        snprintf(path, sizeof path, "%s/svc/%s", dir, name);
        FILE *f = fopen(path, "w");
        if (!f) {
                perror(path);
                exit(1);
        }
        if (args)
                fprintf(f, "session optional %s %s\n", PW_PAM_MODULE, args);
        fprintf(f, "session required pam_permit.so\n");
        fclose(f);
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static double now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* p-th quantile of sorted t[0..n). */
static double quantile(const double *t, int n, double p) {
        int i = (int)(n * p);
        return t[i < n ? i : n - 1];
}

/* Runs `pairs` open+close pairs through service `svc` and prints two lines: the open alone
 * (what a login waits for) and the whole pair, each with p50/p99/max and what it adds to the
 * baseline's p50. Returns the p50s of the open and the pair (µs) in base[0..1]. */
static void run(const char *label, const char *svc, int pairs, const double *base, double *ret) {
        double *to = calloc((size_t)pairs, sizeof *to), *tp = calloc((size_t)pairs, sizeof *tp);
        struct pam_conv conv = {no_conv, NULL};
        int failures = 0;
        if (!to || !tp)
                exit(1);
        for (int i = 0; i < pairs; i++) {
                pam_handle_t *ph = NULL;
                double t0 = now_us();
                if (pam_start(svc, "nobody", &conv, &ph) != PAM_SUCCESS) {
                        fprintf(stderr, "pam_start(%s) failed\n", svc);
                        exit(1);
                }
                pam_set_item(ph, PAM_TTY, "pts/1");
                pam_set_item(ph, PAM_RHOST, "192.0.2.1");
                int r = pam_open_session(ph, 0);
                to[i] = now_us() - t0;
                int c = pam_close_session(ph, 0);
                pam_end(ph, r);
                tp[i] = now_us() - t0;
                failures += r != PAM_SUCCESS || c != PAM_SUCCESS;
        }
        qsort(to, (size_t)pairs, sizeof *to, cmp_double);
        qsort(tp, (size_t)pairs, sizeof *tp, cmp_double);
        const char *what[2] = {"open", "pair"};
        double *t[2] = {to, tp};
        for (int k = 0; k < 2; k++) {
                double p50 = quantile(t[k], pairs, 0.5), p99 = quantile(t[k], pairs, 0.99);
                printf("%-8s %s n=%-5d p50=%9.1f us  p99=%9.1f us  max=%9.1f us", label, what[k],
                       pairs, p50, p99, t[k][pairs - 1]);
                if (base)
                        printf("  added p50=%9.1f us  p99=%9.1f us", p50 - base[k], p99 - base[k]);
                printf("%s\n", failures ? "  FAILED SESSIONS" : "");
                if (ret)
                        ret[k] = p50;
        }
        fflush(stdout);
        free(to);
        free(tp);
}

/* Starts a listener on `path` that accepts and never answers; returns its pid. */
static pid_t start_hung(const char *path) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof sa.sun_path) {
                fprintf(stderr, "%s: path too long\n", path);
                exit(1);
        }
        memcpy(sa.sun_path, path, strlen(path) + 1);
        int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 128) < 0) {
                perror(path);
                exit(1);
        }
        pid_t pid = fork();
        if (pid == 0) {
                for (;;)
                        (void)accept(lfd, NULL, NULL); /* held open, never answered */
        }
        close(lfd);
        return pid;
}

/* Starts postwardend on dir/pw.sock and waits for its socket; returns its pid. */
static pid_t start_daemon(const char *daemon, const char *policy, const char *dir, char *sock,
                          size_t sock_len) {
        char db[256], log[256];
        snprintf(sock, sock_len, "%s/pw.sock", dir);
        snprintf(db, sizeof db, "%s/audit.db", dir);
        snprintf(log, sizeof log, "%s/daemon.log", dir);
        pid_t pid = fork();
        if (pid == 0) {
                if (!freopen(log, "w", stderr))
                        _exit(127);
                unsetenv("LD_PRELOAD"); /* the service does not need pam_wrapper */
                execl(daemon, daemon, "--foreground", "--socket", sock, "--db", db, "--policy",
                      policy, "--cache", "none", (char *)NULL);
                _exit(127);
        }
        struct stat st;
        for (int i = 0; i < 200 && stat(sock, &st) < 0; i++)
                usleep(25000);
        if (stat(sock, &st) < 0) {
                fprintf(stderr, "postwardend did not start, see %s\n", log);
                exit(1);
        }
        return pid;
}

int main(int argc, char **argv) {
        int pairs = 1000;
        const char *daemon = NULL, *socket_path = NULL, *policy = "/etc/postwarden/policy.json";
        int opt;
        const char *tmp = "/tmp";
        while ((opt = getopt(argc, argv, "n:d:p:s:t:")) != -1) {
                if (opt == 'n')
                        pairs = atoi(optarg);
                else if (opt == 'd')
                        daemon = optarg;
                else if (opt == 'p')
                        policy = optarg;
                else if (opt == 't')
                        tmp = optarg;
                else if (opt == 's')
                        socket_path = optarg;
                else {
                        fprintf(stderr,
                                "usage: %s [-n PAIRS] [-d POSTWARDEND [-p POLICY]] [-s SOCKET] [-t "
                                "TMPDIR]\n",
                                argv[0]);
                        return 2;
                }
        }
        if (pairs < 10)
                pairs = 10;

        const char *dir = getenv("PW_BENCH_DIR");
        if (!dir || !getenv("PAM_WRAPPER_SERVICE_DIR")) {
                static char d[200];
                char p[256], a[512];
                snprintf(d, sizeof d, "%s/pw-bench-pam-XXXXXX", tmp);
                if (!mkdtemp(d)) {
                        perror("mkdtemp");
                        return 1;
                }
                snprintf(p, sizeof p, "%s/svc", d);
                mkdir(p, 0700);
                write_service(d, "other", NULL);
                write_service(d, "baseline", NULL);
                snprintf(a, sizeof a, "socket=%s/pw.sock", socket_path ? socket_path : d);
                if (socket_path)
                        snprintf(a, sizeof a, "socket=%s", socket_path);
                write_service(d, "up", a);
                snprintf(a, sizeof a, "socket=%s/absent.sock", d);
                write_service(d, "absent", a);
                snprintf(a, sizeof a, "socket=%s/hung.sock", d);
                write_service(d, "hung250", a);
                snprintf(a, sizeof a, "socket=%s/hung.sock timeout_ms=50", d);
                write_service(d, "hung50", a);
                setenv("PW_BENCH_DIR", d, 1);
                setenv("LD_PRELOAD", PW_PRELOAD, 1);
                setenv("PAM_WRAPPER", "1", 1);
                setenv("PAM_WRAPPER_SERVICE_DIR", p, 1);
                execv("/proc/self/exe", argv);
                perror("execv");
                return 1;
        }

        char sock[256];
        pid_t dpid = 0, hpid;
        char hung[256];
        snprintf(hung, sizeof hung, "%s/hung.sock", dir);
        hpid = start_hung(hung);
        if (daemon)
                dpid = start_daemon(daemon, policy, dir, sock, sizeof sock);

        printf("bench_pam: %d open+close pairs per line, through libpam under pam_wrapper\n",
               pairs);
        double base[2];
        run("baseline", "baseline", pairs, NULL, base);
        if (daemon || socket_path) {
                run("up", "up", pairs, base, NULL);
                /* A slow commit past the timeout is a session the module let through
                 * unrecorded (fail open): count what the store really has. */
                if (daemon) {
                        char cmd[512], line[128] = "";
                        snprintf(cmd, sizeof cmd,
                                 "sqlite3 -separator ' ' '%s/audit.db' \"SELECT count(*), "
                                 "count(closed_us) FROM sessions WHERE service = 'up'\"",
                                 dir);
                        FILE *q = popen(cmd, "r");
                        if (q && fgets(line, sizeof line, q))
                                printf("up       store has %s (sessions, closed) of %d pairs\n",
                                       strtok(line, "\n"), pairs);
                        if (q)
                                pclose(q);
                }
        } else
                printf("up       skipped (no -d POSTWARDEND or -s SOCKET)\n");
        run("absent", "absent", pairs, base, NULL);
        int slow = pairs / 50 > 10 ? pairs / 50 : 10;
        run("hung250", "hung250", slow, base, NULL);
        run("hung50", "hung50", slow, base, NULL);

        kill(hpid, SIGKILL);
        waitpid(hpid, NULL, 0);
        if (dpid) {
                kill(dpid, SIGTERM);
                waitpid(dpid, NULL, 0);
        }
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : 1;
}
