/* bench_audit: the audit store's group commit against a plain one-transaction-per-insert loop on
 * the same schema, in the same run; then, optionally, verify and query times on a large store.
 *
 *   bench_audit [--clients N] [--per-client N] [--batch N] [--plain N]
 *               [--million N [--reuse] [--only-large]] DIR
 *
 * Group commit: N clients x per-client events (default 16 x 10,000), interleaved, each with two
 * findings, committed in batches of up to --batch (default 256) events, one fsync per batch,
 * as postwardend's writer thread does. Plain: --plain events (default 3,000) through the same
 * API outside a batch, so each is its own transaction and fsync (its rate is steady, so fewer
 * events suffice). --million N: build a store of N events (default 0: skip) and time
 * pw_audit_verify() and the admin queries of issue 7 on it (--reuse: use the one already in DIR;
 * --only-large: skip the group-commit comparison). Wall and CPU seconds are printed, as the
 * machine is shared. DIR: where the databases go
 * (a real disk, not tmpfs, for meaningful fsyncs). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "postwarden/audit.h"

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static void die(const char *what, int r, const struct pw_error *e) {
        fprintf(stderr, "bench_audit: %s: %s (%s)\n", what, e ? e->text : "", strerror(-r));
        exit(1);
}

static const struct pw_audit_finding findings[] = {
        {.rule_id = "no-codenames",
         .category = "confidential",
         .action = "block",
         .excerpt = "Project B*****",
         .byte_start = 10,
         .byte_end = 24,
         .u16_start = 10,
         .u16_end = 24},
        {.rule_id = "iban",
         .category = "iban",
         .action = "warn",
         .excerpt = "DE89 **** 3000",
         .byte_start = 40,
         .byte_end = 62,
         .u16_start = 40,
         .u16_end = 62},
};

struct store {
        struct pw_audit *a; /* the writer */
        int64_t session;    /* one open session */
        int64_t account;    /* one company account */
};

static void store_open(struct store *s, const char *dir, const char *name) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.db", dir, name);
        for (const char *suffix = ""; suffix; suffix = *suffix ? NULL : "-wal") {
                char p[600];
                snprintf(p, sizeof p, "%s%s", path, suffix);
                remove(p);
        }
        struct pw_audit_options o = {.path = path};
        struct pw_error e = {0};
        int r = pw_audit_open(&o, &s->a, &e);
        if (r < 0)
                die("open", r, &e);
        struct pw_audit_session sess = {.user = "bench",
                                        .uid = 1000,
                                        .service = "gdm-password",
                                        .audit_sessionid = 3,
                                        .loginuid = 1000,
                                        .host = "ws",
                                        .src = PW_AUDIT_SRC_PAM,
                                        .peer_uid = 0,
                                        .peer_pid = 1};
        r = pw_audit_session_open(s->a, &sess, &s->session, NULL, &e);
        if (r < 0)
                die("session", r, &e);
        struct pw_audit_account acct = {.site = "x.com",
                                        .stable_id = "42",
                                        .handle = "@Acme",
                                        .company = 1,
                                        .src = PW_AUDIT_SRC_CLIENT};
        r = pw_audit_account_seen(s->a, &acct, &s->account, &e);
        if (r < 0)
                die("account", r, &e);
}

static struct pw_audit_event event_for(const struct store *s, int client, int64_t t) {
        return (struct pw_audit_event){
                .kind = PW_AUDIT_POST_ATTEMPT,
                .time_us = t,
                .peer_uid = 1000,
                .peer_pid = 2000 + client,
                .peer_sessionid = 3,
                .peer_src = PW_AUDIT_SRC_KERNEL,
                .session_id = s->session,
                .account_id = s->account,
                .site = "x.com",
                .claim_src = PW_AUDIT_SRC_CLIENT,
                .action = "block",
                .mode = "business",
                .company_account = 1,
                .authorised = 1,
                .policy_id = "pol-0123456789ab",
                .findings = findings,
                .n_findings = 2,
                .verdict_src = PW_AUDIT_SRC_SERVICE,
        };
}

/* Appends `total` events round-robin over `clients` in batches of `batch`; returns seconds and
 * fills commit latencies (one per batch) into lat. */
static double run_batched(struct store *s, int clients, int64_t total, int batch, double *lat,
                          int64_t *n_lat, int64_t t0) {
        struct pw_error e = {0};
        double start = now_s();
        int64_t done = 0;
        *n_lat = 0;
        while (done < total) {
                double b0 = now_s();
                int r = pw_audit_begin(s->a, &e);
                if (r < 0)
                        die("begin", r, &e);
                for (int i = 0; i < batch && done < total; i++, done++) {
                        struct pw_audit_event ev =
                                event_for(s, (int)(done % clients), t0 + done * 1000);
                        r = pw_audit_append(s->a, &ev, NULL, &e);
                        if (r < 0)
                                die("append", r, &e);
                }
                r = pw_audit_commit(s->a, &e);
                if (r < 0)
                        die("commit", r, &e);
                if (lat)
                        lat[(*n_lat)++] = now_s() - b0;
        }
        return now_s() - start;
}

static double run_plain(struct store *s, int64_t total) {
        struct pw_error e = {0};
        double start = now_s();
        for (int64_t i = 0; i < total; i++) {
                struct pw_audit_event ev = event_for(s, (int)(i % 16), 1000000 + i * 1000);
                int r = pw_audit_append(s->a, &ev, NULL, &e);
                if (r < 0)
                        die("append", r, &e);
        }
        return now_s() - start;
}

struct counter {
        int64_t n; /* rows seen */
};

static int count_session(const struct pw_audit_session_row *row, void *ud) {
        (void)row;
        ((struct counter *)ud)->n++;
        return 0;
}

static int count_event(const struct pw_audit_event_row *row, void *ud) {
        (void)row;
        ((struct counter *)ud)->n++;
        return 0;
}

/* Builds a store of `n` events spread over a year from year0, 2,000 sessions and 50 company
 * accounts (@Acme0 .. @Acme49), each session linked to one. */
static void build_large(const char *dir, int64_t n, int64_t year0, int64_t span) {
        struct store s;
        store_open(&s, dir, "bench-million");
        struct pw_error e = {0};
        enum { SESSIONS = 2000, ACCOUNTS = 50 };
        int64_t *sess = malloc(SESSIONS * sizeof *sess), acct[ACCOUNTS];
        if (!sess)
                die("malloc", -ENOMEM, NULL);
        int r = pw_audit_begin(s.a, &e);
        for (int i = 0; r >= 0 && i < ACCOUNTS; i++) {
                char h[32];
                snprintf(h, sizeof h, "@Acme%d", i);
                struct pw_audit_account a = {.site = "x.com",
                                             .handle = h,
                                             .company = 1,
                                             .src = PW_AUDIT_SRC_CLIENT,
                                             .seen_us = year0};
                r = pw_audit_account_seen(s.a, &a, &acct[i], &e);
        }
        for (int i = 0; r >= 0 && i < SESSIONS; i++) {
                struct pw_audit_session ss = {.user = i % 2 ? "jane" : "john",
                                              .uid = 1000 + i % 40,
                                              .service = "sshd",
                                              .audit_sessionid = i + 10,
                                              .loginuid = 1000,
                                              .host = "ws",
                                              .opened_us = year0 + span / SESSIONS * i,
                                              .src = PW_AUDIT_SRC_PAM,
                                              .peer_uid = 0,
                                              .peer_pid = 1};
                r = pw_audit_session_open(s.a, &ss, &sess[i], NULL, &e);
                if (r >= 0)
                        r = pw_audit_link(s.a, sess[i], acct[i % ACCOUNTS], PW_AUDIT_TIE_SESSIONID,
                                          ss.opened_us, NULL, &e);
        }
        if (r >= 0)
                r = pw_audit_commit(s.a, &e);
        if (r < 0)
                die("large store setup", r, &e);
        double t0 = now_s(), c0 = cpu_s();
        int64_t done = 0;
        while (done < n) {
                r = pw_audit_begin(s.a, &e);
                for (int i = 0; r >= 0 && i < 1024 && done < n; i++, done++) {
                        struct pw_audit_event ev = event_for(&s, 0, year0 + span / n * done);
                        ev.session_id = sess[done * SESSIONS / n];
                        ev.account_id = acct[done % ACCOUNTS];
                        ev.n_findings = done % 4 == 0 ? 2 : 0;
                        r = pw_audit_append(s.a, &ev, NULL, &e);
                }
                if (r >= 0)
                        r = pw_audit_commit(s.a, &e);
                if (r < 0)
                        die("large store", r, &e);
        }
        double build = now_s() - t0, build_cpu = cpu_s() - c0;
        pw_audit_free(s.a);
        free(sess);
        printf("large store: %lld events built in %.1f s (%.1f s CPU; %.0f events/s, batches "
               "of 1024)\n",
               (long long)n, build, build_cpu, (double)n / build);
}

/* The store of build_large() (built unless `reuse` and present), then the
 * time to verify it and to run the admin queries on it. */
static void large_store(const char *dir, int64_t n, int reuse) {
        char path[512];
        snprintf(path, sizeof path, "%s/bench-million.db", dir);
        struct stat sb;
        struct pw_error e = {0};
        int r;
        const int64_t year0 = 1700000000LL * 1000000, span = 365LL * 86400 * 1000000;
        if (!reuse || stat(path, &sb) < 0)
                build_large(dir, n, year0, span);
        if (stat(path, &sb) == 0)
                printf("large store: %.1f MB on disk, %.0f bytes per event\n",
                       (double)sb.st_size / 1e6, (double)sb.st_size / (double)n);
        struct pw_audit_options o = {.path = path, .flags = PW_AUDIT_READONLY};
        struct pw_audit *ro = NULL;
        r = pw_audit_open(&o, &ro, &e);
        if (r < 0)
                die("open read-only", r, &e);
        struct pw_audit_verify_result v;
        double t0 = now_s(), c0 = cpu_s();
        r = pw_audit_verify(ro, NULL, 0, &v, &e);
        double verify = now_s() - t0, verify_cpu = cpu_s() - c0;
        if (r < 0)
                die("verify", r, &e);
        printf("verify: %lld rows in %.2f s (%.2f s CPU) = %.2f s per million events (%.0f "
               "rows/s)\n",
               (long long)v.rows, verify, verify_cpu, verify * 1e6 / (double)v.rows,
               (double)v.rows / verify);
        int64_t acct7;
        r = pw_audit_account_find(ro, "x.com", "@Acme7", &acct7, &e);
        if (r < 0)
                die("find account", r, &e);

        /* issue 7: sessions --account X; events --since (the last week) */
        struct counter c = {0};
        struct pw_audit_session_filter sf = {.account_id = acct7};
        t0 = now_s();
        r = pw_audit_query_sessions(ro, &sf, count_session, &c, &e);
        double q1 = now_s() - t0;
        if (r < 0)
                die("query sessions", r, &e);
        printf("query sessions --account: %lld rows in %.2f ms\n", (long long)c.n, q1 * 1e3);
        c.n = 0;
        struct pw_audit_event_filter ef = {.since_us = year0 + span - 7LL * 86400 * 1000000};
        t0 = now_s();
        r = pw_audit_query_events(ro, &ef, count_event, &c, &e);
        double q2 = now_s() - t0;
        if (r < 0)
                die("query events", r, &e);
        printf("query events --since (last 7 days): %lld rows in %.2f ms\n", (long long)c.n,
               q2 * 1e3);
        c.n = 0;
        ef.account_id = acct7;
        t0 = now_s();
        r = pw_audit_query_events(ro, &ef, count_event, &c, &e);
        double q3 = now_s() - t0;
        if (r < 0)
                die("query events", r, &e);
        printf("query events --account --since (last 7 days): %lld rows in %.2f ms\n",
               (long long)c.n, q3 * 1e3);
        pw_audit_free(ro);
}

int main(int argc, char **argv) {
        int clients = 16, batch = 256;
        int64_t per_client = 10000, plain = 3000, million = 0;
        int reuse = 0, only_large = 0;
        const char *dir = NULL;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (strcmp(a, "--clients") == 0 && v)
                        clients = atoi(v), i++;
                else if (strcmp(a, "--per-client") == 0 && v)
                        per_client = atoll(v), i++;
                else if (strcmp(a, "--batch") == 0 && v)
                        batch = atoi(v), i++;
                else if (strcmp(a, "--plain") == 0 && v)
                        plain = atoll(v), i++;
                else if (strcmp(a, "--million") == 0 && v)
                        million = atoll(v), i++;
                else if (strcmp(a, "--reuse") == 0)
                        reuse = 1;
                else if (strcmp(a, "--only-large") == 0)
                        only_large = 1;
                else if (a[0] != '-' && !dir)
                        dir = a;
                else {
                        fprintf(stderr,
                                "usage: bench_audit [--clients N] [--per-client N] [--batch N] "
                                "[--plain N] [--million N [--reuse] [--only-large]] DIR\n");
                        return 2;
                }
        }
        if (!dir || clients < 1 || batch < 1 || per_client < 1 || plain < 1) {
                fprintf(stderr, "bench_audit: a directory and positive counts are needed\n");
                return 2;
        }
        if (only_large && million > 0) {
                large_store(dir, million, reuse);
                return 0;
        }
        int64_t total = (int64_t)clients * per_client;
        int64_t max_batches = total / batch + 2;
        double *lat = malloc((size_t)max_batches * sizeof *lat);
        if (!lat)
                die("malloc", -ENOMEM, NULL);

        struct store g, p;
        store_open(&g, dir, "bench-group");
        int64_t n_lat = 0;
        double cg = cpu_s();
        double tg = run_batched(&g, clients, total, batch, lat, &n_lat, 1000000);
        cg = cpu_s() - cg;
        struct pw_audit_verify_result v;
        struct pw_error e = {0};
        int r = pw_audit_verify(g.a, NULL, 0, &v, &e);
        if (r < 0)
                die("verify", r, &e);
        pw_audit_free(g.a);

        store_open(&p, dir, "bench-plain");
        double cp = cpu_s();
        double tp = run_plain(&p, plain);
        cp = cpu_s() - cp;
        pw_audit_free(p.a);

        qsort(lat, (size_t)n_lat, sizeof *lat, cmp_double);
        double rg = (double)total / tg, rp = (double)plain / tp;
        printf("group commit: %lld events (%d clients x %lld, 2 findings each) in %.2f s "
               "(%.2f s CPU) = %.0f events/s; %lld batches of <= %d, batch p50 %.2f ms p99 %.2f "
               "ms; chain verifies (%lld rows)\n",
               (long long)total, clients, (long long)per_client, tg, cg, rg, (long long)n_lat,
               batch, lat[n_lat / 2] * 1e3, lat[(n_lat * 99) / 100] * 1e3, (long long)v.rows);
        printf("plain loop (one transaction + fsync per insert): %lld events in %.2f s (%.2f s "
               "CPU) = %.0f events/s\n",
               (long long)plain, tp, cp, rp);
        printf("ratio group/plain: %.1fx\n", rg / rp);
        free(lat);
        if (million > 0)
                large_store(dir, million, reuse);
        return 0;
}
