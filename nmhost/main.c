/* postwarden-host: the browser's native-messaging host.
 *
 * Started by Chrome, Chromium, Edge or Firefox for the Postwarden extension, with the caller in
 * argv. Serves frames on stdin/stdout until stdin ends (exit 0). stdout carries frames only: the
 * frame fd is a private duplicate, and fd 1 is pointed at stderr so that no stray write by this
 * process or a library can corrupt the stream. Exit status: 0 end of input, 1 refused caller or
 * bad configuration, 2 usage, 3 I/O failure. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "postwarden/nmhost.h"

/* Jansson's allocator for this process: every block is wiped before it is freed, so parsed
 * drafts do not linger in freed heap memory. The size lives in a 16-byte header. */
static void *wiping_malloc(size_t n) {
        if (n > SIZE_MAX - 16)
                return NULL;
        unsigned char *p = malloc(n + 16);
        if (!p)
                return NULL;
        memcpy(p, &n, sizeof n);
        return p + 16;
}

static void wiping_free(void *q) {
        if (!q)
                return;
        unsigned char *p = (unsigned char *)q - 16;
        size_t n;
        memcpy(&n, p, sizeof n);
        explicit_bzero(p, n + 16);
        free(p);
}

static void usage(FILE *f) {
        fprintf(f,
                "usage: postwarden-host [OPTIONS] CALLER...\n"
                "  Native-messaging host for the Postwarden extension (started by the browser).\n"
                "  CALLER is chrome-extension://ID/ (Chrome, Chromium, Edge) or\n"
                "  MANIFEST-PATH EXTENSION-ID (Firefox).\n\n"
                "  --config FILE      host configuration (default " PW_NM_CONFIG_DEFAULT ")\n"
                "  --policy FILE      standalone: evaluate in-process with this policy\n"
                "  --cache DIR        standalone: compiled-policy cache directory\n"
                "  --socket PATH      relay: the service's socket\n"
                "  --timeout-ms N     relay: per-request timeout\n"
                "  --no-verdict-cache answer every check afresh (benchmarks)\n"
                "  --version, --help\n");
}

/* Writes one error frame to `fd` (best effort: the host is about to exit). */
static void refuse(int fd, int code, const char *detail) {
        char *reply = NULL;
        size_t len = 0;
        if (pw_nm_error_reply(code, detail, &reply, &len) == 0)
                (void)pw_nm_write_frame(fd, reply, len);
        pw_nm_reply_free(reply, len);
}

int main(int argc, char **argv) {
        enum {
                OPT_CONFIG = 256,
                OPT_POLICY,
                OPT_CACHE,
                OPT_SOCKET,
                OPT_TIMEOUT,
                OPT_NOCACHE,
                OPT_VERSION,
                OPT_HELP,
                OPT_PARENT
        };
        static const struct option opts[] = {
                {"config", required_argument, NULL, OPT_CONFIG},
                {"policy", required_argument, NULL, OPT_POLICY},
                {"cache", required_argument, NULL, OPT_CACHE},
                {"socket", required_argument, NULL, OPT_SOCKET},
                {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
                {"no-verdict-cache", no_argument, NULL, OPT_NOCACHE},
                {"version", no_argument, NULL, OPT_VERSION},
                {"help", no_argument, NULL, OPT_HELP},
                /* Chrome on Windows adds this; harmless to accept everywhere. */
                {"parent-window", required_argument, NULL, OPT_PARENT},
                {NULL, 0, NULL, 0},
        };
        const char *config_path = NULL, *policy = NULL, *cache_dir = NULL, *socket_path = NULL;
        int timeout_ms = 0, no_cache = 0, c;

        /* "+": stop at the first non-option, which is the browser's caller argument. */
        while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
                switch (c) {
                case OPT_CONFIG:
                        config_path = optarg;
                        break;
                case OPT_POLICY:
                        policy = optarg;
                        break;
                case OPT_CACHE:
                        cache_dir = optarg;
                        break;
                case OPT_SOCKET:
                        socket_path = optarg;
                        break;
                case OPT_TIMEOUT: {
                        char *end;
                        long t = strtol(optarg, &end, 10);
                        if (*end || t < 1 || t > 60000) {
                                fprintf(stderr, "postwarden-host: --timeout-ms: 1..60000\n");
                                return 2;
                        }
                        timeout_ms = (int)t;
                        break;
                }
                case OPT_NOCACHE:
                        no_cache = 1;
                        break;
                case OPT_PARENT:
                        break;
                case OPT_VERSION:
                        printf("postwarden-host %s\n", POSTWARDEN_VERSION);
                        return 0;
                case OPT_HELP:
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }

        /* From here on stdout is the frame stream only. */
        int out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        if (out < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
                fprintf(stderr, "postwarden-host: cannot set up stdout: %m\n");
                return 3;
        }
        signal(SIGPIPE, SIG_IGN);
        json_set_alloc_funcs(wiping_malloc, wiping_free);

        struct pw_error err = {0};
        char text[640];
        struct pw_nm_config *cfg = NULL;
        const char *cpath = config_path ? config_path : PW_NM_CONFIG_DEFAULT;
        int k = pw_nm_config_load(cpath, &cfg, &err);
        if (k == -ENOENT && !config_path)
                k = pw_nm_config_new(&cfg);
        if (k < 0) {
                pw_error_format(&err, text, sizeof text);
                fprintf(stderr, "postwarden-host: configuration: %s\n", text);
                refuse(out, PW_NM_E_INTERNAL, "the host's configuration is unusable");
                return 1;
        }

        char caller[160];
        k = pw_nm_caller_id(argc - optind, argv + optind, caller, sizeof caller, &err);
        if (k < 0 || !pw_nm_config_allows(cfg, caller)) {
                if (k < 0)
                        snprintf(text, sizeof text, "%s", err.text);
                else
                        snprintf(text, sizeof text, "extension %s is not allowed by %s", caller,
                                 cpath);
                fprintf(stderr, "postwarden-host: %s\n", text);
                refuse(out, PW_NM_E_CALLER_DENIED, text);
                pw_nm_config_free(cfg);
                return 1;
        }

        if (!policy)
                policy = pw_nm_config_policy(cfg);
        if (!cache_dir)
                cache_dir = pw_nm_config_cache_dir(cfg);
        struct pw_nm_host_options o = {
                .policy_path = policy,
                .cache_dir = cache_dir,
                .socket_path = socket_path ? socket_path : pw_nm_config_socket(cfg),
                .timeout_ms = timeout_ms ? timeout_ms : pw_nm_config_timeout_ms(cfg),
                .cache_entries = no_cache ? SIZE_MAX : 0,
                .caller = caller,
                .log_fd = STDERR_FILENO, /* the browser logs the host's stderr */
        };
        struct pw_nm_host *h = NULL;
        err = (struct pw_error){0};
        k = pw_nm_host_new(&o, &h, &err);
        if (k == 0 && err.text[0]) {
                /* Not fatal: hello and check tell the extension why there is no policy. */
                pw_error_format(&err, text, sizeof text);
                fprintf(stderr, "postwarden-host: policy: %s\n", text);
        }
        struct pw_nm_reader *r = NULL;
        if (k == 0)
                k = pw_nm_reader_new_fd(STDIN_FILENO, 0, &r);
        if (k < 0) {
                fprintf(stderr, "postwarden-host: %s\n", strerror(-k));
                refuse(out, PW_NM_E_INTERNAL, "the host could not start");
                pw_nm_host_free(h);
                pw_nm_config_free(cfg);
                return 3;
        }

        k = pw_nm_serve(h, r, out);
        if (k < 0 && k != -EPIPE)
                fprintf(stderr, "postwarden-host: %s\n", strerror(-k));
        pw_nm_reader_free(r);
        pw_nm_host_free(h);
        pw_nm_config_free(cfg);
        close(out);
        /* The browser closing our stdout (EPIPE) ends the session as normally as EOF does. */
        return k < 0 && k != -EPIPE ? 3 : 0;
}
