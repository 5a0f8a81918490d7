/* bench_service: postwardend measured through its socket, each figure beside a peer in the
 * same run.
 *
 *   1. Audit throughput: C clients (default 16) each send E post_attempt events (default
 *      10,000) to a real postwardend and wait for each acknowledgement (one in flight per
 *      client, as the host does). Reports events/s, ack latency p50/p99/max, events lost
 *      (acknowledged but not in the store after the service stopped) and whether the chain
 *      verifies. Peer: the same events written through the same store (same schema) one
 *      transaction per event, in-process, for --plain-events events.
 *   2. check through the service: a 2 KB post, client -> socket -> verdict, p50/p99, against
 *      pw_policy_check() in-process on the same policy and text.
 *   3. The fleet log's cost (--fleet R, R rounds): audit throughput as in 1 with and without
 *      --syslog-socket, alternating A B A B ... in the same run, each round on a fresh database.
 *      The lines go to a real receiver: a reader thread here (--fleet-receiver reader, the
 *      default: it counts datagrams) or a real rsyslogd started with its own config (imuxsock
 *      on the socket, omfile to a file; --fleet-receiver rsyslogd). Reports events/s of each,
 *      the ratio, and lines received / dropped.
 *
 * Usage: bench_service POSTWARDEND POLICY.json [--clients C] [--events E] [--plain-events N]
 *                      [--checks N] [--window W] [--dir DIR] [--fleet R]
 *                      [--fleet-receiver reader|rsyslogd]
 * --window W > 1 keeps W requests in flight per client (raw pipelined frames, ids matched).
 * e.g.   nice -n 19 build/bench/bench_service build/daemon/postwardend policy/default/policy.json
 * DIR (default /var/tmp) holds the databases: put it on the disk you want to measure. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sys/un.h>

#include "frame.h"
#include "postwarden/audit.h"
#include "postwarden/client.h"
#include "postwarden/policy.h"

static int64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp64(const void *a, const void *b) {
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return x < y ? -1 : x > y;
}

/* The q-quantile of sorted v[0..n). */
static int64_t quantile(const int64_t *v, size_t n, double q) {
        if (n == 0)
                return 0;
        size_t i = (size_t)(q * (double)(n - 1) + 0.5);
        return v[i < n ? i : n - 1];
}

static char dir[256] = "/var/tmp/pw-bench-XXXXXX";
static char sock[300], db[300], plain_db[300];
static pid_t svc_pid;

static const char *syslog_sock; /* --syslog-socket for the next start, or NULL */

static void start_service(const char *bin, const char *policy) {
        svc_pid = fork();
        if (svc_pid == 0) {
                char log[320];
                snprintf(log, sizeof log, "%s/service.log", dir);
                int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
                dup2(fd, 2);
                if (syslog_sock)
                        execl(bin, bin, "--foreground", "--socket", sock, "--db", db, "--policy",
                              policy, "--cache", "none", "--threads", "2", "--syslog-socket",
                              syslog_sock, (char *)NULL);
                else
                        execl(bin, bin, "--foreground", "--socket", sock, "--db", db, "--policy",
                              policy, "--cache", "none", "--threads", "2", (char *)NULL);
                _exit(127);
        }
        for (int i = 0; i < 500; i++) {
                struct pw_client *c;
                if (pw_client_connect(sock, 100, &c) == 0) {
                        pw_client_free(c);
                        return;
                }
                usleep(10000);
        }
        fprintf(stderr, "bench_service: postwardend did not start (see %s/service.log)\n", dir);
        exit(1);
}

/* ---- 1. audit throughput ---------------------------------------------------------------- */

struct client {
        int events;    /* to send */
        int64_t *lat;  /* ack latency per event, ns */
        int64_t *seqs; /* acknowledged sequence numbers */
        int acked;     /* how many */
        int errors;    /* error replies or transport errors */
};

static json_t *post_event(int id) {
        return json_pack("{s:i, s:i, s:s, s:s, s:{s:s}, s:{s:s, s:b}, s:b, s:[{s:s, s:s, s:s}]}",
                         "v", 1, "id", id, "type", "post_attempt", "site", "x.com", "account",
                         "handle", "@someone_personal", "verdict", "action", "warn", "overridable",
                         1, "posted", 1, "findings", "rule", "code-names", "category",
                         "confidential", "excerpt", "Fal***");
}

static int window = 1; /* requests in flight per client */

/* Writes all of buf; 0 or -1. */
static int write_all(int fd, const unsigned char *buf, size_t len) {
        while (len > 0) {
                ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
                if (n <= 0)
                        return -1;
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

/* A client that keeps `window` requests in flight on one connection (raw frames: the client
 * library sends one request at a time). */
static void *client_pipelined(struct client *c) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(sock) >= sizeof sa.sun_path) {
                c->errors = c->events;
                return NULL;
        }
        memcpy(sa.sun_path, sock, strlen(sock) + 1);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                c->errors = c->events;
                return NULL;
        }
        int64_t *sent = calloc((size_t)c->events, sizeof *sent);
        int next = 0, done = 0;
        while (done < c->events) {
                while (next < c->events && next - done < window) {
                        json_t *req = post_event(next);
                        unsigned char *buf;
                        size_t len;
                        pw_frame_encode(req, &buf, &len);
                        json_decref(req);
                        sent[next] = now_ns();
                        int r = write_all(fd, buf, len);
                        free(buf);
                        if (r < 0)
                                goto out;
                        next++;
                }
                unsigned char hdr[4];
                uint32_t n;
                if (recv(fd, hdr, 4, MSG_WAITALL) != 4 || pw_frame_header(hdr, PW_FRAME_MAX, &n))
                        goto out;
                char *body = malloc(n);
                if (recv(fd, body, n, MSG_WAITALL) != (ssize_t)n) {
                        free(body);
                        goto out;
                }
                json_t *rep = json_loadb(body, n, 0, NULL);
                free(body);
                int64_t t = now_ns();
                json_int_t id = json_integer_value(json_object_get(rep, "id"));
                const char *type = json_string_value(json_object_get(rep, "type"));
                if (type && !strcmp(type, "post_attempt") && id >= 0 && id < c->events) {
                        c->lat[c->acked] = t - sent[id];
                        c->seqs[c->acked++] = json_integer_value(json_object_get(rep, "seq"));
                } else {
                        c->errors++;
                }
                json_decref(rep);
                done++;
        }
out:
        c->errors += c->events - done;
        free(sent);
        close(fd);
        return NULL;
}

static void *client_main(void *arg) {
        struct client *c = arg;
        if (window > 1)
                return client_pipelined(c);
        struct pw_client *pc = NULL;
        if (pw_client_connect(sock, 1000, &pc) < 0) {
                c->errors = c->events;
                return NULL;
        }
        for (int i = 0; i < c->events; i++) {
                json_t *req = post_event(i), *rep = NULL;
                int64_t t0 = now_ns();
                int r = pw_client_request(pc, req, 10000, &rep);
                int64_t dt = now_ns() - t0;
                json_decref(req);
                if (r < 0) {
                        c->errors++;
                        pw_client_free(pc);
                        pc = NULL;
                        if (pw_client_connect(sock, 1000, &pc) < 0)
                                break;
                        continue;
                }
                const char *type = json_string_value(json_object_get(rep, "type"));
                if (type && !strcmp(type, "post_attempt")) {
                        c->lat[c->acked] = dt;
                        c->seqs[c->acked++] = json_integer_value(json_object_get(rep, "seq"));
                } else {
                        c->errors++;
                }
                json_decref(rep);
        }
        pw_client_free(pc);
        return NULL;
}

static int collect(const struct pw_audit_event_row *row, void *userdata) {
        int64_t **p = userdata;
        *(*p)++ = row->seq;
        return 0;
}

/* Runs n_clients threads of n_events post attempts each against the running service; returns the
 * clients (their latencies and acknowledged seqs; free with free_clients) and the wall seconds. */
static double run_clients(int n_clients, int n_events, struct client **ret) {
        struct client *cl = calloc((size_t)n_clients, sizeof *cl);
        pthread_t *th = calloc((size_t)n_clients, sizeof *th);
        for (int i = 0; i < n_clients; i++) {
                cl[i].events = n_events;
                cl[i].lat = calloc((size_t)n_events, sizeof *cl[i].lat);
                cl[i].seqs = calloc((size_t)n_events, sizeof *cl[i].seqs);
        }
        int64_t t0 = now_ns();
        for (int i = 0; i < n_clients; i++)
                pthread_create(&th[i], NULL, client_main, &cl[i]);
        for (int i = 0; i < n_clients; i++)
                pthread_join(th[i], NULL);
        double secs = (double)(now_ns() - t0) / 1e9;
        free(th);
        *ret = cl;
        return secs;
}

static void free_clients(struct client *cl, int n_clients) {
        for (int i = 0; i < n_clients; i++) {
                free(cl[i].lat);
                free(cl[i].seqs);
        }
        free(cl);
}

/* The service's `status` reply (the caller decrefs it), or NULL. */
static json_t *service_status(void) {
        struct pw_client *sc = NULL;
        json_t *rep = NULL;
        if (pw_client_connect(sock, 1000, &sc) == 0) {
                json_t *req = json_pack("{s:i, s:i, s:s}", "v", 1, "id", 1, "type", "status");
                if (pw_client_request(sc, req, 5000, &rep) < 0)
                        rep = NULL;
                json_decref(req);
                pw_client_free(sc);
        }
        return rep;
}

/* Stops the service; returns the CPU seconds (user + system) it used. */
static double stop_service(void) {
        kill(svc_pid, SIGTERM);
        struct rusage ru = {0};
        wait4(svc_pid, NULL, 0, &ru);
        return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void bench_audit(const char *bin, const char *policy, int n_clients, int n_events,
                        int plain_events) {
        start_service(bin, policy);
        struct client *cl;
        double secs = run_clients(n_clients, n_events, &cl);
        /* The writer's own count of transactions: how well commits were grouped. */
        json_t *rep = service_status();
        json_int_t b = json_integer_value(json_object_get(rep, "batches"));
        json_int_t e = json_integer_value(json_object_get(rep, "committed"));
        double per_batch = b > 0 ? (double)e / (double)b : 0;
        json_decref(rep);
        double svc_cpu = stop_service();

        size_t total = 0, errors = 0;
        for (int i = 0; i < n_clients; i++) {
                total += (size_t)cl[i].acked;
                errors += (size_t)cl[i].errors;
        }
        int64_t *lat = malloc(total * sizeof *lat), *acked = malloc(total * sizeof *acked);
        size_t k = 0;
        for (int i = 0; i < n_clients; i++) {
                memcpy(lat + k, cl[i].lat, (size_t)cl[i].acked * sizeof *lat);
                memcpy(acked + k, cl[i].seqs, (size_t)cl[i].acked * sizeof *acked);
                k += (size_t)cl[i].acked;
        }
        qsort(lat, total, sizeof *lat, cmp64);

        /* Lost = acknowledged but not in the store; and the chain must verify. */
        struct pw_audit *a = NULL;
        struct pw_audit_options ro = {.path = db, .flags = PW_AUDIT_READONLY};
        struct pw_error err = {0};
        if (pw_audit_open(&ro, &a, &err) < 0) {
                fprintf(stderr, "bench_service: cannot open %s: %s\n", db, err.text);
                exit(1);
        }
        int64_t *have = malloc((total + 16) * sizeof *have), *hp = have;
        struct pw_audit_event_filter f = {.peer_uid = -1, .kind = PW_AUDIT_POST_ATTEMPT};
        pw_audit_query_events(a, &f, collect, &hp, &err);
        size_t n_have = (size_t)(hp - have);
        qsort(have, n_have, sizeof *have, cmp64);
        size_t lost = 0;
        for (size_t i = 0; i < total; i++)
                lost += !bsearch(&acked[i], have, n_have, sizeof *have, cmp64);
        struct pw_audit_verify_result vr = {0};
        int vrc = pw_audit_verify(a, NULL, 0, &vr, &err);
        pw_audit_free(a);

        printf("audit through postwardend: %d clients x %d events, %d in flight each%s\n",
               n_clients, n_events, window,
               window > 1 ? " (pipelined raw frames)" : " (client library)");
        printf("  acknowledged %zu in %.2f s = %.0f events/s; errors %zu\n", total, secs,
               (double)total / secs, errors);
        printf("  service CPU %.2f s (%.1f us per event); %.1f events per transaction\n", svc_cpu,
               total ? svc_cpu * 1e6 / (double)total : 0.0, per_batch);
        printf("  ack latency p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
               (double)quantile(lat, total, 0.50) / 1e6, (double)quantile(lat, total, 0.99) / 1e6,
               total ? (double)lat[total - 1] / 1e6 : 0.0);
        printf("  lost (acknowledged, not in the store): %zu; chain %s (%" PRId64 " rows)\n", lost,
               vrc == 0 ? "verifies" : "BROKEN", vr.rows);

        /* Peer: the same store, one transaction per event, in-process. */
        struct pw_audit_options rw = {.path = plain_db};
        struct pw_audit *p = NULL;
        if (pw_audit_open(&rw, &p, &err) < 0) {
                fprintf(stderr, "bench_service: cannot open %s: %s\n", plain_db, err.text);
                exit(1);
        }
        struct pw_audit_finding fd = {.rule_id = "code-names",
                                      .category = "confidential",
                                      .action = "warn",
                                      .excerpt = "Fal***"};
        struct pw_audit_account acct = {
                .site = "x.com", .handle = "@someone_personal", .src = PW_AUDIT_SRC_CLIENT};
        int64_t account_id = 0;
        pw_audit_account_seen(p, &acct, &account_id, &err);
        int64_t *plat = malloc((size_t)plain_events * sizeof *plat);
        int64_t p0 = now_ns();
        for (int i = 0; i < plain_events; i++) {
                struct pw_audit_event ev = {
                        .kind = PW_AUDIT_POST_ATTEMPT,
                        .peer_uid = 1000,
                        .peer_pid = 1,
                        .peer_sessionid = -1,
                        .peer_src = PW_AUDIT_SRC_KERNEL,
                        .account_id = account_id,
                        .site = "x.com",
                        .claim_src = PW_AUDIT_SRC_CLIENT,
                        .action = "warn",
                        .findings = &fd,
                        .n_findings = 1,
                        .verdict_src = PW_AUDIT_SRC_CLIENT,
                };
                int64_t e0 = now_ns();
                if (pw_audit_append(p, &ev, NULL, &err) < 0) {
                        fprintf(stderr, "bench_service: plain append: %s\n", err.text);
                        exit(1);
                }
                plat[i] = now_ns() - e0;
        }
        double psecs = (double)(now_ns() - p0) / 1e9;
        pw_audit_free(p);
        qsort(plat, (size_t)plain_events, sizeof *plat, cmp64);
        printf("peer: same store and schema, one transaction per event (pw_audit_append outside "
               "a batch), in-process, 1 writer\n");
        printf("  %d events in %.2f s = %.0f events/s; latency p50 %.2f ms p99 %.2f ms\n",
               plain_events, psecs, plain_events / psecs,
               (double)quantile(plat, (size_t)plain_events, 0.5) / 1e6,
               (double)quantile(plat, (size_t)plain_events, 0.99) / 1e6);
        printf("  ratio service/peer throughput: %.1fx\n",
               ((double)total / secs) / (plain_events / psecs));
        free_clients(cl, n_clients);
        free(lat);
        free(acked);
        free(have);
        free(plat);
}

/* ---- 3. the fleet log's cost ------------------------------------------------------------ */

struct reader {
        int fd;               /* the bound datagram socket */
        volatile int stop;    /* set to end the thread */
        int64_t lines, bytes; /* received */
};

static void *reader_main(void *arg) {
        struct reader *r = arg;
        char buf[65536];
        while (!r->stop) {
                ssize_t n = recv(r->fd, buf, sizeof buf, 0);
                if (n > 0) {
                        r->lines++;
                        r->bytes += n;
                }
        }
        return NULL;
}

/* Runs n_clients x n_events post attempts against a fresh service (database `tag`); returns
 * events/s, and the service's CPU seconds and fleet counters. */
static double fleet_round(const char *bin, const char *policy, int n_clients, int n_events,
                          const char *tag, double *ret_cpu, int64_t *ret_sent,
                          int64_t *ret_dropped) {
        snprintf(db, sizeof db, "%s/%s.db", dir, tag);
        start_service(bin, policy);
        struct client *cl;
        double secs = run_clients(n_clients, n_events, &cl);
        size_t total = 0, errors = 0;
        for (int i = 0; i < n_clients; i++) {
                total += (size_t)cl[i].acked;
                errors += (size_t)cl[i].errors;
        }
        free_clients(cl, n_clients);
        json_t *rep = service_status();
        json_t *f = json_object_get(rep, "fleet");
        *ret_sent = json_integer_value(json_object_get(f, "sent"));
        *ret_dropped = json_integer_value(json_object_get(f, "dropped"));
        json_decref(rep);
        *ret_cpu = stop_service();
        if (errors)
                fprintf(stderr, "bench_service: %zu errors in round %s\n", errors, tag);
        return (double)total / secs;
}

static int cmpd(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static void bench_fleet(const char *bin, const char *policy, int n_clients, int n_events,
                        int rounds, const char *receiver) {
        char lsock[320], out[320], conf[340], pidf[330];
        snprintf(lsock, sizeof lsock, "%s/log.sock", dir);
        snprintf(out, sizeof out, "%s/fleet.log", dir);
        snprintf(conf, sizeof conf, "%s/rsyslog.conf", dir);
        snprintf(pidf, sizeof pidf, "%s/rsyslogd.pid", dir);
        struct reader rd = {.fd = -1};
        pthread_t rt;
        pid_t rs = 0;
        bool use_rsyslogd = !strcmp(receiver, "rsyslogd");
        if (use_rsyslogd) {
                FILE *f = fopen(conf, "w");
                if (!f) {
                        perror(conf);
                        exit(1);
                }
                fprintf(f,
                        "global(workDirectory=\"%s\")\n"
                        "module(load=\"imuxsock\" SysSock.Use=\"off\")\n"
                        "input(type=\"imuxsock\" Socket=\"%s\" UseSpecialParser=\"off\" "
                        "ParseHostname=\"on\" RateLimit.Interval=\"0\")\n"
                        "action(type=\"omfile\" file=\"%s\" template=\"RSYSLOG_FileFormat\")\n",
                        dir, lsock, out);
                fclose(f);
                rs = fork();
                if (rs == 0) {
                        execl("/usr/sbin/rsyslogd", "rsyslogd", "-n", "-f", conf, "-i", pidf,
                              (char *)NULL);
                        _exit(127);
                }
                for (int i = 0; i < 500 && access(lsock, F_OK) != 0; i++)
                        usleep(10000);
                if (access(lsock, F_OK) != 0) {
                        fprintf(stderr, "bench_service: rsyslogd did not start\n");
                        exit(1);
                }
        } else {
                rd.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                struct sockaddr_un sa = {.sun_family = AF_UNIX};
                if (strlen(lsock) >= sizeof sa.sun_path) {
                        fprintf(stderr, "bench_service: %s is too long for a socket\n", lsock);
                        exit(1);
                }
                memcpy(sa.sun_path, lsock, strlen(lsock) + 1);
                struct timeval tv = {0, 200000};
                setsockopt(rd.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
                if (bind(rd.fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                        perror(lsock);
                        exit(1);
                }
                pthread_create(&rt, NULL, reader_main, &rd);
        }
        double *with = calloc((size_t)rounds, sizeof *with);
        double *without = calloc((size_t)rounds, sizeof *without);
        double cpu_with = 0, cpu_without = 0, cpu;
        int64_t sent = 0, dropped = 0, s1, d1;
        for (int r = 0; r < rounds; r++) {
                char tag[32];
                syslog_sock = NULL;
                snprintf(tag, sizeof tag, "fleet-off-%d", r);
                without[r] = fleet_round(bin, policy, n_clients, n_events, tag, &cpu, &s1, &d1);
                cpu_without += cpu;
                syslog_sock = lsock;
                snprintf(tag, sizeof tag, "fleet-on-%d", r);
                with[r] = fleet_round(bin, policy, n_clients, n_events, tag, &cpu, &s1, &d1);
                cpu_with += cpu;
                sent += s1;
                dropped += d1;
                syslog_sock = NULL;
        }
        usleep(500000); /* let the receiver catch up */
        int64_t lines = 0;
        if (use_rsyslogd) {
                kill(rs, SIGTERM);
                waitpid(rs, NULL, 0);
                FILE *f = fopen(out, "r");
                int ch, prev = '\n';
                while (f && (ch = fgetc(f)) != EOF) {
                        lines += ch == '\n';
                        prev = ch;
                }
                (void)prev;
                if (f)
                        fclose(f);
        } else {
                rd.stop = 1;
                pthread_join(rt, NULL);
                close(rd.fd);
                lines = rd.lines;
        }
        int64_t events = (int64_t)rounds * n_clients * n_events;
        qsort(with, (size_t)rounds, sizeof *with, cmpd);
        qsort(without, (size_t)rounds, sizeof *without, cmpd);
        double mw = with[rounds / 2], mo = without[rounds / 2];
        printf("fleet log cost: %d rounds x (%d clients x %d events), alternating without/with "
               "--syslog-socket (receiver: %s)\n",
               rounds, n_clients, n_events,
               use_rsyslogd ? "rsyslogd imuxsock -> omfile" : "reader thread");
        printf("  without: median %.0f events/s (rounds:", mo);
        for (int r = 0; r < rounds; r++)
                printf(" %.0f", without[r]);
        printf("); service CPU %.1f us/event\n", cpu_without * 1e6 / (double)events);
        printf("  with:    median %.0f events/s (rounds:", mw);
        for (int r = 0; r < rounds; r++)
                printf(" %.0f", with[r]);
        printf("); service CPU %.1f us/event\n", cpu_with * 1e6 / (double)events);
        printf("  ratio with/without: %.2f; lines sent by the service (at status time) %" PRId64
               ", dropped %" PRId64 ", received by the receiver %" PRId64 " (events %" PRId64
               " + chain heads)\n",
               mw / mo, sent, dropped, lines, events);
        free(with);
        free(without);
}

/* ---- 2. check through the service ------------------------------------------------------- */

/* Runs n check requests through the client library against a forked process that decodes
 * each frame and answers {"v":1,"id":…,"type":"check"}; latencies into lat. */
static void echo_floor(const char *text, int n, int64_t *lat) {
        char esock[320];
        snprintf(esock, sizeof esock, "%s/echo.sock", dir);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(esock) >= sizeof sa.sun_path)
                exit(1);
        memcpy(sa.sun_path, esock, strlen(esock) + 1);
        int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(l, 4) < 0) {
                perror("echo socket");
                exit(1);
        }
        pid_t pid = fork();
        if (pid == 0) {
                int c = accept(l, NULL, NULL);
                for (;;) {
                        unsigned char hdr[4];
                        uint32_t len;
                        if (recv(c, hdr, 4, MSG_WAITALL) != 4 ||
                            pw_frame_header(hdr, PW_FRAME_MAX, &len) < 0)
                                _exit(0);
                        unsigned char *body = malloc(len);
                        if (!body || recv(c, body, len, MSG_WAITALL) != (ssize_t)len)
                                _exit(0);
                        json_t *req = NULL;
                        if (pw_frame_decode(body, len, &req, NULL) < 0)
                                _exit(1);
                        free(body);
                        json_t *rep = json_pack("{s:i, s:O, s:s}", "v", 1, "id",
                                                json_object_get(req, "id"), "type", "check");
                        unsigned char *out;
                        size_t out_len;
                        pw_frame_encode(rep, &out, &out_len);
                        if (write_all(c, out, out_len) < 0)
                                _exit(0);
                        free(out);
                        json_decref(rep);
                        json_decref(req);
                }
        }
        close(l);
        struct pw_client *c = NULL;
        if (pw_client_connect(esock, 1000, &c) < 0)
                exit(1);
        for (int i = 0; i < n; i++) {
                json_t *req = json_pack("{s:i, s:i, s:s, s:s, s:s}", "v", 1, "id", i, "type",
                                        "check", "site", "x.com", "text", text),
                       *rep = NULL;
                int64_t t0 = now_ns();
                pw_client_request(c, req, 1000, &rep);
                lat[i] = now_ns() - t0;
                json_decref(req);
                json_decref(rep);
        }
        pw_client_free(c);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
}

static void bench_check(const char *bin, const char *policy, int n) {
        /* A 2 KB post: ordinary prose with one confidential term. */
        char text[2049];
        const char *prose = "Our team shipped a small update today; thanks to everyone who "
                            "tested it on weekends and sent feedback. ";
        size_t k = 0;
        while (k + strlen(prose) < sizeof text - 40) {
                memcpy(text + k, prose, strlen(prose));
                k += strlen(prose);
        }
        memcpy(text + k, " Roadrunner Pro", 15);
        k += 15;
        while (k < sizeof text - 1)
                text[k++] = '.';
        text[k] = '\0';

        struct pw_policy *pol = NULL;
        struct pw_error err = {0};
        if (pw_policy_load(policy, NULL, 0, &pol, &err) < 0) {
                char buf[512];
                pw_error_format(&err, buf, sizeof buf);
                fprintf(stderr, "bench_service: policy: %s\n", buf);
                exit(1);
        }
        int64_t *in = malloc((size_t)n * sizeof *in), *out = malloc((size_t)n * sizeof *out);
        struct pw_check_input ci = {
                .text = text, .len = strlen(text), .site = "x.com", .user = "root"};
        for (int i = 0; i < n; i++) {
                struct pw_verdict *v = NULL;
                int64_t t0 = now_ns();
                pw_policy_check(pol, &ci, &v);
                json_t *j = pw_verdict_to_json(v); /* the service sends it as JSON too */
                in[i] = now_ns() - t0;
                json_decref(j);
                pw_verdict_free(v);
        }
        pw_policy_free(pol);

        /* Floor: the same requests through the client library to a process that only decodes
         * each frame and answers a small reply (no policy, no service logic). */
        int64_t *echo = malloc((size_t)n * sizeof *echo);
        echo_floor(text, n, echo);

        start_service(bin, policy);
        struct pw_client *c = NULL;
        if (pw_client_connect(sock, 1000, &c) < 0) {
                fprintf(stderr, "bench_service: cannot connect\n");
                exit(1);
        }
        int errors = 0;
        for (int i = 0; i < n; i++) {
                json_t *req = json_pack("{s:i, s:i, s:s, s:s, s:s}", "v", 1, "id", i, "type",
                                        "check", "site", "x.com", "text", text),
                       *rep = NULL;
                int64_t t0 = now_ns();
                int r = pw_client_request(c, req, 1000, &rep);
                out[i] = now_ns() - t0;
                errors += r < 0 || !json_object_get(rep, "verdict");
                json_decref(req);
                json_decref(rep);
        }
        pw_client_free(c);
        stop_service();
        qsort(in, (size_t)n, sizeof *in, cmp64);
        qsort(out, (size_t)n, sizeof *out, cmp64);
        double ip50 = (double)quantile(in, (size_t)n, 0.5) / 1e3,
               ip99 = (double)quantile(in, (size_t)n, 0.99) / 1e3,
               sp50 = (double)quantile(out, (size_t)n, 0.5) / 1e3,
               sp99 = (double)quantile(out, (size_t)n, 0.99) / 1e3;
        printf("check of a %zu-byte post, %d times (errors %d)\n", strlen(text), n, errors);
        printf("  through postwardend (client -> socket -> verdict): p50 %.1f us  p99 %.1f us\n",
               sp50, sp99);
        printf("  in-process pw_policy_check + verdict JSON:         p50 %.1f us  p99 %.1f us\n",
               ip50, ip99);
        qsort(echo, (size_t)n, sizeof *echo, cmp64);
        printf("  floor: same frames to an echo process (no policy):  p50 %.1f us  p99 %.1f us\n",
               (double)quantile(echo, (size_t)n, 0.5) / 1e3,
               (double)quantile(echo, (size_t)n, 0.99) / 1e3);
        printf("  ratio service/in-process: p50 %.2fx  p99 %.2fx\n", sp50 / ip50, sp99 / ip99);
        free(echo);
        free(in);
        free(out);
}

int main(int argc, char **argv) {
        if (argc < 3) {
                fprintf(stderr,
                        "usage: bench_service POSTWARDEND POLICY.json [--clients C] "
                        "[--events E] [--plain-events N] [--checks N] [--window W] [--dir DIR]\n");
                return 2;
        }
        int n_clients = 16, n_events = 10000, plain = 2000, checks = 5000, fleet = 0;
        const char *receiver = "reader";
        const char *base = "/var/tmp";
        for (int i = 3; i + 1 < argc; i += 2) {
                if (!strcmp(argv[i], "--clients"))
                        n_clients = atoi(argv[i + 1]);
                else if (!strcmp(argv[i], "--events"))
                        n_events = atoi(argv[i + 1]);
                else if (!strcmp(argv[i], "--plain-events"))
                        plain = atoi(argv[i + 1]);
                else if (!strcmp(argv[i], "--checks"))
                        checks = atoi(argv[i + 1]);
                else if (!strcmp(argv[i], "--window"))
                        window = atoi(argv[i + 1]) > 0 ? atoi(argv[i + 1]) : 1;
                else if (!strcmp(argv[i], "--dir"))
                        base = argv[i + 1];
                else if (!strcmp(argv[i], "--fleet"))
                        fleet = atoi(argv[i + 1]);
                else if (!strcmp(argv[i], "--fleet-receiver"))
                        receiver = argv[i + 1];
        }
        snprintf(dir, sizeof dir, "%s/pw-bench-XXXXXX", base);
        if (!mkdtemp(dir)) {
                perror(dir);
                return 1;
        }
        snprintf(sock, sizeof sock, "%s/pw.sock", dir);
        snprintf(db, sizeof db, "%s/audit.db", dir);
        snprintf(plain_db, sizeof plain_db, "%s/plain.db", dir);
        signal(SIGPIPE, SIG_IGN);
        if (fleet > 0) {
                bench_fleet(argv[1], argv[2], n_clients, n_events, fleet, receiver);
                printf("(databases and logs kept in %s)\n", dir);
                return 0;
        }
        if (n_events > 0)
                bench_audit(argv[1], argv[2], n_clients, n_events, plain);
        if (checks > 0)
                bench_check(argv[1], argv[2], checks);
        printf("(databases and log kept in %s)\n", dir);
        return 0;
}
