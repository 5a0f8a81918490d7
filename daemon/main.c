/* postwardend: the Postwarden policy and audit service (docs/man/postwardend.8).
 *
 * Started by systemd through postwardend.socket (the listening socket arrives as fd 3 with
 * LISTEN_FDS=1), or by hand / in tests with --foreground --socket PATH. This file parses the
 * options, sets up the socket, the policy and the writer, and hands over to pw_svc_run(). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "postwarden/client.h"
#include "service.h"

#ifdef PW_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#define DEFAULT_DB     "/var/lib/postwarden/audit.db"
#define DEFAULT_POLICY "/etc/postwarden/policy.json"
#define DEFAULT_CACHE  "/var/cache/postwarden"
#define ADMIN_GROUP    "postwarden-admin"

static void usage(FILE *f) {
        fprintf(f,
                "usage: postwardend [OPTIONS]\n"
                "  -f, --foreground          log to stderr, do not expect systemd\n"
                "  -s, --socket PATH         listen here (default %s) unless socket-activated\n"
                "  -d, --db PATH             audit database (default %s)\n"
                "  -p, --policy PATH         policy file (default %s)\n"
                "  -c, --cache DIR           compiled-policy cache (default %s; 'none': off)\n"
                "  -t, --threads N           event-loop threads (default 2)\n"
                "      --idle-timeout-ms N   close idle connections after N ms (default 60000)\n"
                "      --frame-timeout-ms N  a started frame must complete in N ms (default 5000)\n"
                "      --max-connections N   default 1024\n"
                "      --queue-max N         audit events waiting before 'busy' (default 65536)\n"
                "      --batch-max N         events per transaction at most (default 1024)\n"
                "      --head-every N        log the chain head every N events (default 100)\n"
                "      --head-every-s N      ... or every N seconds (default 300)\n"
                "      --syslog-socket PATH  send the fleet log (RFC 5424) to this datagram\n"
                "                            socket; 'none': off (default: /dev/log, or off\n"
                "                            with --foreground)\n"
                "      --syslog-format F     rfc5424 (default with --syslog-socket) or bsd\n"
                "                            (syslog(3)'s format, the default for /dev/log)\n"
                "      --keep-personal-findings  store findings of personal posts even if the\n"
                "                            policy does not (legal basis!)\n"
                "      --debug               log each connection\n"
                "  -h, --help, --version\n",
                PW_SOCKET_DEFAULT, DEFAULT_DB, DEFAULT_POLICY, DEFAULT_CACHE);
}

/* Parses a positive int option; exits with a message naming it when it is not one. */
static int int_opt(const char *name, const char *v, int min, int max) {
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < min || n > max) {
                fprintf(stderr, "postwardend: --%s: '%s' is not a number in %d..%d\n", name, v, min,
                        max);
                exit(2);
        }
        return (int)n;
}

int pw_svc_policy_reload(struct pw_svc *svc) {
        struct pw_policy *np = NULL;
        struct pw_error err = {0};
        int r = pw_policy_load(svc->cfg.policy_path, svc->cfg.cache_dir, 0, &np, &err);
        if (r < 0) {
                char buf[512];
                pw_error_format(&err, buf, sizeof buf);
                pw_svc_log(LOG_ERR, "policy %s not loaded (%s): %s; %s", svc->cfg.policy_path,
                           strerror(-r), buf,
                           svc->policy.p ? "keeping the policy in force" : "no policy in force");
                return r;
        }
        pthread_rwlock_wrlock(&svc->policy.lock);
        struct pw_policy *old = svc->policy.p;
        svc->policy.p = np;
        svc->policy.loaded_at = time(NULL);
        pthread_rwlock_unlock(&svc->policy.lock);
        pw_policy_free(old);
        pw_svc_log(LOG_NOTICE, "policy %s loaded: id %s", svc->cfg.policy_path, pw_policy_id(np));
        return 0;
}

/* The socket systemd passed (LISTEN_FDS), or -1. Without libsystemd the protocol is read by
 * hand: it is two environment variables. */
static int activated_socket(void) {
#ifdef PW_HAVE_SYSTEMD
        int n = sd_listen_fds(1);
        if (n < 1)
                return -1;
        if (n > 1)
                pw_svc_log(LOG_WARNING, "%d sockets passed; using the first", n);
        return 3; /* SD_LISTEN_FDS_START */
#else
        const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
        if (!pid || !fds || atol(pid) != (long)getpid() || atoi(fds) < 1)
                return -1;
        unsetenv("LISTEN_PID");
        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_FDNAMES");
        return 3;
#endif
}

/* Binds `path`, replacing a stale socket but never a live service's. Returns the fd or -errno. */
static int listen_on(const char *path) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
                int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0) {
                        close(probe);
                        close(fd);
                        return -EADDRINUSE;
                }
                if (probe >= 0)
                        close(probe);
                unlink(path);
        }
        /* Any local user may connect: who they are comes from the kernel, not from the path. */
        mode_t old = umask(0111);
        int r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
        umask(old);
        if (r < 0 || listen(fd, SOMAXCONN) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

int main(int argc, char **argv) {
        enum {
                OPT_IDLE = 256,
                OPT_FRAME,
                OPT_MAXCONN,
                OPT_QUEUE,
                OPT_BATCH,
                OPT_HEAD,
                OPT_HEAD_S,
                OPT_KEEP,
                OPT_SYSLOG,
                OPT_SYSLOG_FORMAT,
                OPT_DEBUG,
                OPT_VERSION,
        };
        static const struct option opts[] = {
                {"foreground", no_argument, NULL, 'f'},
                {"socket", required_argument, NULL, 's'},
                {"db", required_argument, NULL, 'd'},
                {"policy", required_argument, NULL, 'p'},
                {"cache", required_argument, NULL, 'c'},
                {"threads", required_argument, NULL, 't'},
                {"idle-timeout-ms", required_argument, NULL, OPT_IDLE},
                {"frame-timeout-ms", required_argument, NULL, OPT_FRAME},
                {"max-connections", required_argument, NULL, OPT_MAXCONN},
                {"queue-max", required_argument, NULL, OPT_QUEUE},
                {"batch-max", required_argument, NULL, OPT_BATCH},
                {"head-every", required_argument, NULL, OPT_HEAD},
                {"head-every-s", required_argument, NULL, OPT_HEAD_S},
                {"keep-personal-findings", no_argument, NULL, OPT_KEEP},
                {"syslog-socket", required_argument, NULL, OPT_SYSLOG},
                {"syslog-format", required_argument, NULL, OPT_SYSLOG_FORMAT},
                {"debug", no_argument, NULL, OPT_DEBUG},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, OPT_VERSION},
                {0},
        };
        static struct pw_svc svc; /* lives for the whole process */
        svc.cfg = (struct pw_svc_config){
                .socket_path = PW_SOCKET_DEFAULT,
                .db_path = DEFAULT_DB,
                .policy_path = DEFAULT_POLICY,
                .cache_dir = DEFAULT_CACHE,
                .threads = 2,
                .idle_timeout_ms = 60000,
                .frame_timeout_ms = 5000,
                .max_conns = 1024,
                .queue_max = 65536,
                .batch_max = 1024,
                .head_every_events = 100,
                .head_every_s = 300,
                .admin_gid = (gid_t)-1,
        };
        const char *syslog_socket = NULL; /* NULL: the default for the mode */
        const char *syslog_format = NULL; /* NULL: rfc5424 for a socket given, else bsd */
        int o;
        while ((o = getopt_long(argc, argv, "fs:d:p:c:t:h", opts, NULL)) != -1) {
                switch (o) {
                case 'f':
                        svc.cfg.foreground = true;
                        break;
                case 's':
                        svc.cfg.socket_path = optarg;
                        break;
                case 'd':
                        svc.cfg.db_path = optarg;
                        break;
                case 'p':
                        svc.cfg.policy_path = optarg;
                        break;
                case 'c':
                        svc.cfg.cache_dir = strcmp(optarg, "none") ? optarg : NULL;
                        break;
                case 't':
                        svc.cfg.threads = int_opt("threads", optarg, 1, 64);
                        break;
                case OPT_IDLE:
                        svc.cfg.idle_timeout_ms = int_opt("idle-timeout-ms", optarg, 10, 86400000);
                        break;
                case OPT_FRAME:
                        svc.cfg.frame_timeout_ms = int_opt("frame-timeout-ms", optarg, 10, 600000);
                        break;
                case OPT_MAXCONN:
                        svc.cfg.max_conns = int_opt("max-connections", optarg, 1, 1000000);
                        break;
                case OPT_QUEUE:
                        svc.cfg.queue_max = (size_t)int_opt("queue-max", optarg, 1, 10000000);
                        break;
                case OPT_BATCH:
                        svc.cfg.batch_max = int_opt("batch-max", optarg, 1, 100000);
                        break;
                case OPT_HEAD:
                        svc.cfg.head_every_events = int_opt("head-every", optarg, 1, 100000000);
                        break;
                case OPT_HEAD_S:
                        svc.cfg.head_every_s = int_opt("head-every-s", optarg, 1, 86400);
                        break;
                case OPT_KEEP:
                        svc.cfg.keep_personal_findings = true;
                        break;
                case OPT_SYSLOG:
                        if (strlen(optarg) >= sizeof((struct sockaddr_un *)0)->sun_path) {
                                fprintf(stderr,
                                        "postwardend: --syslog-socket: '%s' is too long "
                                        "for a socket path\n",
                                        optarg);
                                return 2;
                        }
                        syslog_socket = optarg;
                        break;
                case OPT_SYSLOG_FORMAT:
                        if (strcmp(optarg, "rfc5424") && strcmp(optarg, "bsd")) {
                                fprintf(stderr,
                                        "postwardend: --syslog-format: '%s' is not "
                                        "rfc5424 or bsd\n",
                                        optarg);
                                return 2;
                        }
                        syslog_format = optarg;
                        break;
                case OPT_DEBUG:
                        svc.cfg.debug = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case OPT_VERSION:
                        printf("postwardend %s\n", POSTWARDEN_VERSION);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "postwardend: unexpected argument '%s'\n", argv[optind]);
                return 2;
        }
        pw_svc_log_init(svc.cfg.foreground, svc.cfg.debug);
        signal(SIGPIPE, SIG_IGN);
        signal(SIGXFSZ, SIG_IGN); /* a file-size limit must give EFBIG, not kill the service */

        struct group gr, *gres = NULL;
        char gbuf[4096];
        if (getgrnam_r(ADMIN_GROUP, &gr, gbuf, sizeof gbuf, &gres) == 0 && gres)
                svc.cfg.admin_gid = gr.gr_gid;

        svc.started_at = time(NULL);
        pthread_rwlock_init(&svc.policy.lock, NULL);
        /* A missing or broken policy is logged; the service still records sessions and events. */
        pw_svc_policy_reload(&svc);

        svc.listen_fd = activated_socket();
        if (svc.listen_fd < 0) {
                svc.listen_fd = listen_on(svc.cfg.socket_path);
                if (svc.listen_fd < 0) {
                        pw_svc_log(LOG_CRIT, "cannot listen on %s: %s", svc.cfg.socket_path,
                                   strerror(-svc.listen_fd));
                        return 1;
                }
        } else {
                int fl = fcntl(svc.listen_fd, F_GETFL);
                fcntl(svc.listen_fd, F_SETFL, fl | O_NONBLOCK);
        }
        /* Block the signals pw_svc_run() reads from a signalfd before any thread exists, so that
         * none of them is delivered to (and kills) a worker. */
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        pthread_sigmask(SIG_BLOCK, &mask, NULL);
        /* The fleet log: /dev/log in syslog(3)'s format by default; RFC 5424 to a socket given;
         * in --foreground mode only when a socket is given (tests, debugging). */
        int r = 0;
        if (syslog_socket ? strcmp(syslog_socket, "none") != 0 : !svc.cfg.foreground) {
                svc.cfg.syslog_socket = syslog_socket;
                bool rfc5424 =
                        syslog_format ? !strcmp(syslog_format, "rfc5424") : syslog_socket != NULL;
                r = pw_svc_fleet_new(syslog_socket ? syslog_socket : "/dev/log", rfc5424,
                                     &svc.fleet);
                if (r < 0) {
                        pw_svc_log(LOG_CRIT, "cannot start the fleet log: %s", strerror(-r));
                        return 1;
                }
                pw_svc_log(LOG_INFO, "fleet log: %s (%s)",
                           syslog_socket ? syslog_socket : "/dev/log",
                           rfc5424 ? "RFC 5424" : "syslog(3) format");
        }
        svc.sessions = pw_svc_sessions_new();
        r = svc.sessions ? pw_svc_writer_new(NULL, svc.sessions, &svc.cfg, svc.fleet, &svc.writer)
                         : -ENOMEM;
        if (r < 0) {
                pw_svc_log(LOG_CRIT, "cannot start the writer: %s", strerror(-r));
                return 1;
        }
#ifdef PW_HAVE_SYSTEMD
        sd_notify(0, "READY=1");
#endif
        r = pw_svc_run(&svc);
        if (r < 0)
                pw_svc_log(LOG_CRIT, "stopped: %s", strerror(-r));
        close(svc.listen_fd);
        svc.fleet = pw_svc_fleet_free(svc.fleet); /* after the writer: its last head is sent */
        pw_svc_sessions_free(svc.sessions);
        pw_policy_free(svc.policy.p);
        pthread_rwlock_destroy(&svc.policy.lock);
        pw_svc_log(LOG_NOTICE, "stopped");
        return r < 0 ? 1 : 0;
}
