/* bench_host: postwarden-host measured the way a browser uses it, against in-process peers.
 *
 *   bench_host HOST_BIN SOURCE_DIR [POSTWARDEND_BIN] [-n N] [-terms T] [-big DIR]
 *
 * Builds two policies in a temp dir: the default policy, and the default policy plus a list of T
 * (default 100,000) generated terms — or, with -big, takes DIR/policy.json as the big one (e.g.
 * the engine's generated terms: `bench_check --write DIR SOURCE_DIR`). For each, it measures the
 * round trip of a 2 KB post — frame written to the host's stdin, reply frame read from its stdout —
 * through the real binary over pipes, standalone and (given POSTWARDEN_BIN) relayed to a running
 * postwardend; every request has distinct text so the host's verdict cache never answers. The peer
 * is the same check in this process (pw_policy_check + pw_verdict_to_json + json_dumps); the floor
 * is the same frames through a process that only echoes a verdict-sized reply. The host's own
 * overhead is what it adds beyond both: (host - floor - in-process) / in-process; a second peer
 * that also parses the request JSON shows how much of that the parse alone is. Last, start-up until
 * the first reply, standalone with the big policy from a warm compiled-policy cache. Prints p50/p99
 * in microseconds.
 *
 * It also prints each process's CPU time per request (the schedstat of each of its threads in
 * /proc) and from it the own work by CPU. One run's ratios swing on a shared VM; bench/host_runs.py
 * repeats the benchmark and prints the median and range of each. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <jansson.h>

#include "../tests/integration/nm_harness.h"
#include "postwarden/client.h"
#include "postwarden/policy.h"

#define ORIGIN "chrome-extension://abcdefghijklmnopabcdefghijklmnop/"

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

/* Sorts `v` and prints p50/p99 (µs) under `label`; returns p99 in ns. */
static uint64_t report(const char *label, uint64_t *v, size_t n) {
        qsort(v, n, sizeof *v, cmp_u64);
        uint64_t p50 = v[n / 2], p99 = v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
        printf("%-46s n=%-6zu p50 %8.1f us   p99 %8.1f us\n", label, n, p50 / 1e3, p99 / 1e3);
        return p99;
}

/* CPU time in ns that process `pid` has used so far, all its threads: the first field of each
 * /proc/PID/task/TID/schedstat (time on a CPU, in ns). 0 when it cannot be read. */
static uint64_t proc_cpu_ns(pid_t pid) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
        DIR *d = opendir(path);
        if (!d)
                return 0;
        uint64_t sum = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                char f[300];
                snprintf(f, sizeof f, "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
                FILE *fp = fopen(f, "r");
                unsigned long long t = 0;
                if (fp && fscanf(fp, "%llu", &t) == 1)
                        sum += t;
                if (fp)
                        fclose(fp);
        }
        closedir(d);
        return sum;
}

static double mean_us(const uint64_t *v, size_t n) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
                s += (double)v[i];
        return s / (double)n / 1e3;
}

/* A 2 KB post: prose, one code name, one e-mail address, made unique by `i`. */
static size_t make_post(char *buf, size_t size, unsigned i) {
        static const char *prose =
                "Had a great time at the community meetup last night, thanks to everyone who "
                "came along and shared their projects. ";
        size_t n = (size_t)snprintf(buf, size, "Post %u. ", i);
        while (n + strlen(prose) < 1900)
                n += (size_t)snprintf(buf + n, size - n, "%s", prose);
        n += (size_t)snprintf(buf + n, size - n,
                              "Stormwing demo soon, write to jane.doe@example.org (%u).", i);
        while (n < 2048)
                buf[n++] = ' ';
        buf[n] = '\0';
        return n;
}

static json_t *check_req(unsigned id, const char *text) {
        return json_pack("{s:i, s:i, s:s, s:s, s:{s:s, s:n}, s:s}", "v", 1, "id", (int)id, "type",
                         "check", "site", "x.com", "account", "handle", "@jdoe", "stable_id",
                         "text", text);
}

/* Writes the default policy plus a list of `terms` generated terms into `dir`. */
static int write_policies(const char *src, const char *dir, unsigned terms) {
        char path[1024], cmd[2300];
        snprintf(cmd, sizeof cmd, "cp '%s'/policy/default/*.txt '%s'/", src, dir);
        if (system(cmd) != 0)
                return -1;
        snprintf(path, sizeof path, "%s/policy/default/policy.json", src);
        json_error_t je;
        json_t *p = json_load_file(path, 0, &je);
        if (!p)
                return -1;
        snprintf(path, sizeof path, "%s/default.json", dir);
        if (json_dump_file(p, path, 0) < 0)
                return -1;
        snprintf(path, sizeof path, "%s/bench-terms.txt", dir);
        FILE *f = fopen(path, "w");
        if (!f)
                return -1;
        /* Distinct made-up product names: "Zorvex Qalin 1", "Zorvex Qalin 2", ... */
        static const char *a[] = {"Zorvex",  "Quillon", "Marbet", "Tessaly", "Vondra",
                                  "Kelvane", "Orrim",   "Pallix", "Sundor",  "Yarrow"};
        for (unsigned i = 0; i < terms; i++)
                fprintf(f, "%s Qalin%u\n", a[i % 10], i);
        fclose(f);
        json_object_set_new(
                json_object_get(p, "term_lists"), "bench_terms",
                json_pack("{s:s, s:s}", "description", "generated", "file", "bench-terms.txt"));
        json_array_append_new(json_object_get(p, "rules"),
                              json_pack("{s:s, s:s, s:{s:[s]}, s:[s], s:s, s:b, s:s}", "id",
                                        "bench-terms", "category", "confidential", "match", "lists",
                                        "bench_terms", "modes", "any", "action", "block",
                                        "overridable", 1, "message",
                                        "A generated confidential term."));
        snprintf(path, sizeof path, "%s/big.json", dir);
        int r = json_dump_file(p, path, 0);
        json_decref(p);
        return r;
}

/* Round trips of `n` distinct 2 KB checks through a running host; fills ns[]. `watch` (0: none)
 * is a process whose CPU time over the round trips is added to *ret_cpu (ns). */
static int round_trips(struct nmh_proc *p, unsigned n, uint64_t *ns, unsigned base, pid_t watch,
                       uint64_t *ret_cpu) {
        char text[2100];
        uint64_t host0 = proc_cpu_ns(p->pid), watch0 = watch ? proc_cpu_ns(watch) : 0;
        for (unsigned i = 0; i < n; i++) {
                make_post(text, sizeof text, base + i);
                struct nmh_buf b = {0};
                nmh_frame_json(&b, check_req(i, text));
                uint64_t t0 = nmh_now_ns();
                if (write(p->in, b.p, b.len) != (ssize_t)b.len)
                        return -1;
                /* Timed: until the whole reply frame is here. Parsing it is the browser's. */
                uint32_t len;
                static char reply[NMH_REPLY_MAX];
                if (nmh_read_exact(p->out, &len, 4) != 4 || len > NMH_REPLY_MAX ||
                    nmh_read_exact(p->out, reply, len) != (ssize_t)len)
                        return -1;
                ns[i] = nmh_now_ns() - t0;
                json_t *r = json_loadb(reply, len, 0, NULL);
                const char *type = json_string_value(json_object_get(r, "type"));
                if (!type || strcmp(type, "check")) {
                        char *s = json_dumps(r, JSON_COMPACT);
                        fprintf(stderr, "bench: unexpected reply %s\n", s);
                        return -1;
                }
                json_decref(r);
                free(b.p);
        }
        ret_cpu[0] = proc_cpu_ns(p->pid) - host0;
        if (watch)
                ret_cpu[1] = proc_cpu_ns(watch) - watch0;
        return 0;
}

/* As round_trips(), not looking at the replies. */
static int round_trips_raw(struct nmh_proc *p, unsigned n, uint64_t *ns, unsigned base,
                           uint64_t *ret_cpu) {
        char text[2100];
        static char reply[NMH_REPLY_MAX];
        uint64_t cpu0 = proc_cpu_ns(p->pid);
        for (unsigned i = 0; i < n; i++) {
                make_post(text, sizeof text, base + i);
                struct nmh_buf b = {0};
                nmh_frame_json(&b, check_req(i, text));
                uint64_t t0 = nmh_now_ns();
                uint32_t len;
                if (write(p->in, b.p, b.len) != (ssize_t)b.len ||
                    nmh_read_exact(p->out, &len, 4) != 4 || len > NMH_REPLY_MAX ||
                    nmh_read_exact(p->out, reply, len) != (ssize_t)len)
                        return -1;
                ns[i] = nmh_now_ns() - t0;
                free(b.p);
        }
        *ret_cpu = proc_cpu_ns(p->pid) - cpu0;
        return 0;
}

/* The in-process peer: what the host must do at least, without pipes or framing. With `parse`,
 * the timed part also parses the request as the host receives it (json_loadb of the check
 * message, the text taken from it): the JSON a browser sends costs every host that much. */
static void in_process(const char *policy, const char *cache, unsigned n, uint64_t *ns, int parse) {
        struct pw_policy *p;
        struct pw_error err = {0};
        if (pw_policy_load(policy, cache, 0, &p, &err) < 0) {
                fprintf(stderr, "bench: %s: %s\n", policy, err.text);
                exit(1);
        }
        char text[2100];
        for (unsigned i = 0; i < n; i++) {
                size_t len = make_post(text, sizeof text, 1000000 + i);
                json_t *rj = parse ? check_req(i, text) : NULL;
                char *req = rj ? json_dumps(rj, JSON_COMPACT) : NULL;
                json_decref(rj);
                uint64_t t0 = nmh_now_ns();
                json_t *msg = NULL;
                const char *t = text;
                if (parse) {
                        msg = json_loadb(req, strlen(req), JSON_REJECT_DUPLICATES, NULL);
                        if (json_unpack(msg, "{s:s%}", "text", &t, &len) < 0)
                                exit(1);
                }
                struct pw_check_input in = {.text = t,
                                            .len = len,
                                            .site = "x.com",
                                            .account_handle = "@jdoe",
                                            .user = "bench"};
                struct pw_verdict *v;
                if (pw_policy_check(p, &in, &v) < 0)
                        exit(1);
                json_t *j = pw_verdict_to_json(v);
                char *s = json_dumps(j, JSON_COMPACT);
                json_decref(msg);
                ns[i] = nmh_now_ns() - t0;
                free(s);
                free(req);
                json_decref(j);
                pw_verdict_free(v);
        }
        pw_policy_free(p);
}

static uint64_t self_cpu_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The relay's peer: the same checks sent straight to the service through the client library, on
 * one kept connection; fills ns[] (service round trips). ret_cpu[0]: the service's CPU time over
 * the requests; ret_cpu[1]: this process's, the client's side (building the request, encoding it,
 * the socket calls, decoding the reply). */
static int direct_service(const char *sock, unsigned n, uint64_t *ns, pid_t svc,
                          uint64_t *ret_cpu) {
        struct pw_client *c = NULL;
        if (pw_client_connect(sock, 5000, &c) < 0)
                return -1;
        uint64_t cpu0 = proc_cpu_ns(svc), self0 = self_cpu_ns();
        char text[2100];
        for (unsigned i = 0; i < n; i++) {
                size_t len = make_post(text, sizeof text, 700000 + i);
                uint64_t t0 = nmh_now_ns();
                json_t *req = json_pack("{s:i, s:i, s:s, s:s, s:s, s:n, s:s%}", "v", 1, "id",
                                        (int)i + 1, "type", "check", "site", "x.com",
                                        "account_handle", "@jdoe", "account_id", "text", text, len);
                json_t *reply = NULL;
                int k = req ? pw_client_request(c, req, 5000, &reply) : -ENOMEM;
                ns[i] = nmh_now_ns() - t0;
                json_decref(req);
                if (k < 0 || !json_is_object(json_object_get(reply, "verdict"))) {
                        fprintf(stderr, "bench: direct service check failed (%d)\n", k);
                        json_decref(reply);
                        pw_client_free(c);
                        return -1;
                }
                json_decref(reply);
        }
        ret_cpu[1] = self_cpu_ns() - self0;
        ret_cpu[0] = proc_cpu_ns(svc) - cpu0;
        pw_client_free(c);
        return 0;
}

/* The transport floor: a process that answers each frame with a fixed reply of `reply_len`
 * bytes, doing nothing else (started as `bench_host --echo N`). */
static int echo_main(size_t reply_len) {
        static char buf[NMH_REPLY_MAX], reply[NMH_REPLY_MAX];
        memset(reply, ' ', reply_len);
        reply[0] = '{';
        reply[reply_len - 1] = '}';
        uint32_t n, r = (uint32_t)reply_len;
        for (;;) {
                if (nmh_read_exact(0, &n, 4) != 4 || n > sizeof buf ||
                    nmh_read_exact(0, buf, n) != (ssize_t)n)
                        return 0;
                struct iovec v[2] = {{&r, 4}, {reply, reply_len}};
                if (writev(1, v, 2) != (ssize_t)(4 + reply_len))
                        return 1;
        }
}

static int svc_ready(const char *sock) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
        int ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        close(fd);
        return ok;
}

int main(int argc, char **argv) {
        if (argc == 3 && !strcmp(argv[1], "--echo"))
                return echo_main((size_t)atoi(argv[2]));
        unsigned n = 2000, terms = 100000;
        const char *host = NULL, *src = NULL, *svc = NULL, *big = NULL;
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "-n") && i + 1 < argc)
                        n = (unsigned)atoi(argv[++i]);
                else if (!strcmp(argv[i], "-terms") && i + 1 < argc)
                        terms = (unsigned)atoi(argv[++i]);
                else if (!strcmp(argv[i], "-big") && i + 1 < argc)
                        big = argv[++i];
                else if (!host)
                        host = argv[i];
                else if (!src)
                        src = argv[i];
                else
                        svc = argv[i];
        }
        if (!host || !src || n < 10) {
                fprintf(stderr, "usage: bench_host HOST_BIN SOURCE_DIR [POSTWARDEND_BIN] [-n N] "
                                "[-terms T] [-big DIR]\n");
                return 2;
        }
        signal(SIGPIPE, SIG_IGN);
        char dir[] = "/tmp/pw-bench-host.XXXXXX";
        if (!mkdtemp(dir))
                return 1;
        chmod(dir, 0755);
        char cfg[256], cache[256], sock[100], db[256], log[256];
        snprintf(cfg, sizeof cfg, "%s/host.json", dir);
        snprintf(cache, sizeof cache, "%s/cache", dir);
        snprintf(sock, sizeof sock, "%s/pw.sock", dir);
        snprintf(db, sizeof db, "%s/audit.db", dir);
        snprintf(log, sizeof log, "%s/log", dir);
        mkdir(cache, 0755);
        if (write_policies(src, dir, terms) < 0) {
                fprintf(stderr, "bench: cannot write policies\n");
                return 1;
        }
        FILE *f = fopen(cfg, "w");
        fprintf(f,
                "{\"allowed_extensions\":[\"abcdefghijklmnopabcdefghijklmnop\"],"
                "\"socket\":\"%s\",\"timeout_ms\":5000}\n",
                sock);
        fclose(f);

        /* round trips fill n entries, the start-up runs 30 */
        size_t slots = n > 30 ? n : 30;
        uint64_t *a = calloc(slots, sizeof *a), *b = calloc(slots, sizeof *b);

        /* The floor: the same frames to a process that only echoes a verdict-sized reply. */
        char self[PATH_MAX];
        ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
        if (sl < 0)
                return 1;
        self[sl] = '\0';
        char *echo[] = {self, "--echo", "600", NULL};
        struct nmh_proc ep;
        uint64_t echo_cpu;
        if (nmh_spawn(&ep, echo, log) < 0 || round_trips_raw(&ep, n, a, 0, &echo_cpu) < 0)
                return 1;
        nmh_finish(&ep, NULL);
        uint64_t floor50;
        report("pipe round trip floor (echo process)", a, n);
        floor50 = a[n / 2];
        /* CPU time per request, the mean over all of them: what each process itself spent, however
         * the scheduler interleaved the three. */
        double echo_us = (double)echo_cpu / n / 1e3;
        printf("%-46s mean %6.1f us\n", "  CPU per request, echo process", echo_us);
        const char *names[] = {"default", "big"};
        printf("postwarden-host round trip, 2 KB post, %u distinct requests each "
               "(big = %s)\n",
               n, big ? big : "default + generated terms");
        for (int k = 0; k < 2; k++) {
                char policy[600], label[80];
                if (k == 1 && big)
                        snprintf(policy, sizeof policy, "%s/policy.json", big);
                else
                        snprintf(policy, sizeof policy, "%s/%s.json", dir, names[k]);

                snprintf(label, sizeof label, "in-process check+JSON [%s]", names[k]);
                in_process(policy, cache, n, b, 0);
                double check_us = mean_us(b, n);
                uint64_t base = report(label, b, n);
                uint64_t base50 = b[n / 2];
                snprintf(label, sizeof label, "in-process parse+check+JSON [%s]", names[k]);
                in_process(policy, cache, n, b, 1);
                report(label, b, n);
                uint64_t parse50 = b[n / 2];

                char *alone[] = {(char *)host, "--config", cfg,    "--policy", policy,
                                 "--cache",    cache,      ORIGIN, NULL};
                struct nmh_proc p;
                uint64_t cpu[2];
                if (nmh_spawn(&p, alone, log) < 0 || round_trips(&p, n, a, 0, 0, cpu) < 0) {
                        fprintf(stderr, "bench: standalone host failed (see %s)\n", log);
                        return 1;
                }
                nmh_finish(&p, NULL);
                snprintf(label, sizeof label, "host standalone [%s]", names[k]);
                uint64_t p99 = report(label, a, n);
                printf("%-46s p50 x%.2f   p99 x%.2f\n", "  ratio host/in-process",
                       (double)a[n / 2] / (double)base50, (double)p99 / (double)base);
                printf("%-46s p50 x%.2f\n", "  ratio (host - floor)/in-process",
                       ((double)a[n / 2] - (double)floor50) / (double)base50);
                /* The host's own overhead: what it adds to the check beyond the transport. */
                printf("%-46s p50 x%.2f\n", "  own overhead (host - floor - in-proc)/in-proc",
                       ((double)a[n / 2] - (double)floor50 - (double)base50) / (double)base50);
                printf("%-46s p50 x%.2f\n", "    of it, parsing the request",
                       ((double)parse50 - (double)base50) / (double)base50);
                double host_us = (double)cpu[0] / n / 1e3;
                printf("%-46s mean %6.1f us (in-process check mean %.1f us)\n",
                       "  CPU per request, host", host_us, check_us);
                printf("%-46s x%.2f\n", "  own work (host CPU - echo - check)/check",
                       (host_us - echo_us - check_us) / check_us);

                if (svc) {
                        char *sargv[] = {(char *)svc, "--foreground", "--socket", sock,  "--db", db,
                                         "--policy",  policy,         "--cache",  cache, NULL};
                        unlink(sock);
                        pid_t sp = fork();
                        if (sp == 0) {
                                int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
                                dup2(fd, 2);
                                execv(svc, sargv);
                                _exit(127);
                        }
                        for (int w = 0; w < 3000 && !svc_ready(sock); w++)
                                usleep(20000);
                        char *relay[] = {(char *)host, "--config", cfg, ORIGIN, NULL};
                        if (nmh_spawn(&p, relay, log) < 0 ||
                            round_trips(&p, n, a, 500000, sp, cpu) < 0) {
                                fprintf(stderr, "bench: relayed host failed (see %s)\n", log);
                                return 1;
                        }
                        nmh_finish(&p, NULL);
                        uint64_t *d = calloc(n, sizeof *d);
                        uint64_t direct_cpu[2];
                        if (!d || direct_service(sock, n, d, sp, direct_cpu) < 0)
                                return 1;
                        snprintf(label, sizeof label, "host relayed to postwardend [%s]", names[k]);
                        p99 = report(label, a, n);
                        printf("%-46s p50 x%.2f   p99 x%.2f\n", "  ratio relayed/in-process",
                               (double)a[n / 2] / (double)base50, (double)p99 / (double)base);
                        printf("%-46s p50 x%.2f\n", "  ratio (relayed - floor)/in-process",
                               ((double)a[n / 2] - (double)floor50) / (double)base50);
                        uint64_t r50 = a[n / 2];
                        snprintf(label, sizeof label, "client library -> postwardend [%s]",
                                 names[k]);
                        report(label, d, n);
                        /* The relay's own overhead: what the host adds to the service's answer
                         * beyond the browser's pipes. */
                        printf("%-46s p50 x%.2f\n",
                               "  own overhead (relayed - floor - direct)/in-proc",
                               ((double)r50 - (double)floor50 - (double)d[n / 2]) / (double)base50);
                        /* The relaying host runs no check; beyond the pipes' work it does what
                         * a client of the service does (here: this process, sending the same
                         * checks directly) and its own part, which is the rest. */
                        double relay_us = (double)cpu[0] / n / 1e3;
                        double client_us = (double)direct_cpu[1] / n / 1e3;
                        printf("%-46s mean %6.1f us; postwardend %.1f us (direct: %.1f us)\n",
                               "  CPU per request, relaying host", relay_us,
                               (double)cpu[1] / n / 1e3, (double)direct_cpu[0] / n / 1e3);
                        printf("%-46s mean %6.1f us\n", "  CPU per request, direct client",
                               client_us);
                        printf("%-46s x%.2f\n",
                               "  own work (relaying host CPU - echo - client)/check",
                               (relay_us - echo_us - client_us) / check_us);
                        free(d);
                        kill(sp, SIGTERM);
                        waitpid(sp, NULL, 0);
                }
        }

        /* Start-up: spawn, hello, first reply; the big policy's compiled form is in the cache. */
        unsigned starts = 30;
        char policy[600];
        if (big)
                snprintf(policy, sizeof policy, "%s/policy.json", big);
        else
                snprintf(policy, sizeof policy, "%s/big.json", dir);
        for (unsigned i = 0; i < starts; i++) {
                char *alone[] = {(char *)host, "--config", cfg,    "--policy", policy,
                                 "--cache",    cache,      ORIGIN, NULL};
                struct nmh_proc p;
                struct nmh_buf in = {0};
                nmh_frame_json(&in, json_pack("{s:i, s:i, s:s}", "v", 1, "id", 1, "type", "hello"));
                uint64_t t0 = nmh_now_ns();
                nmh_spawn(&p, alone, log);
                if (write(p.in, in.p, in.len) != (ssize_t)in.len)
                        return 1;
                json_t *r;
                if (nmh_next(&p, &r) != 1 || !json_object_get(json_object_get(r, "policy"), "id")) {
                        fprintf(stderr, "bench: no policy in hello (see %s)\n", log);
                        return 1;
                }
                a[i] = nmh_now_ns() - t0;
                json_decref(r);
                free(in.p);
                nmh_finish(&p, NULL);
        }
        char label[80];
        snprintf(label, sizeof label, "start-up to first reply [big, warm cache]");
        uint64_t s99 = report(label, a, starts);
        uint64_t s50 = a[starts / 2];
        /* The peer: loading the same policy from the same cache in this process. */
        for (unsigned i = 0; i < starts; i++) {
                struct pw_policy *pp;
                uint64_t t0 = nmh_now_ns();
                if (pw_policy_load(policy, cache, 0, &pp, NULL) < 0)
                        return 1;
                b[i] = nmh_now_ns() - t0;
                pw_policy_free(pp);
        }
        uint64_t l99 = report("in-process pw_policy_load [big, warm cache]", b, starts);
        printf("%-46s p50 x%.2f   p99 x%.2f\n", "  ratio start-up/load",
               (double)s50 / (double)b[starts / 2], (double)s99 / (double)l99);

        char cmd[200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                return 1;
        free(a);
        free(b);
        return 0;
}
