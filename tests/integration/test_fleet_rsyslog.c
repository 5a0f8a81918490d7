/* The fleet log through real rsyslog (docs/fleet.md): the test starts two rsyslogd of its own
 * (no system configuration): a workstation relay that reads postwardend's RFC 5424 lines on a
 * temp Unix socket (imuxsock) and forwards them over TCP (omfwd), and a collector listening on
 * 127.0.0.1:<free port> (imtcp) that writes them to a file (omfile, rsyslog's file format).
 * postwardend runs with --syslog-socket; clients send sessions, company and personal posts, an
 * override with a hostile justification, a redaction. Then: every committed event arrived
 * exactly once, as parseable JSON after "@cee:", complete, with the hash the database has
 * (pw_audit_verify with every collected (seq, hash) as an expected head), the chain heads
 * verify, and no archived text or excerpt reached syslog. Skips (77) only when rsyslogd is
 * absent. As root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>

#include "service_harness.h"

#include "postwarden/audit.h"

#define N_CLIENTS        4
#define POSTS_PER_CLIENT 60
#define SECRET_TEXT      "ARCHIVED-TEXT-Roadrunner-launch-0412"
#define SECRET_EXCERPT   "Pro*** Fa**** EXCERPT-MARK"
#define HOSTILE_JUST     "ok \"because\", boss said\nnext line\t\x1b[31mred\x1b[0m \\ end"

static const char *rsyslogd_bin(void) {
        static const char *const cand[] = {"/usr/sbin/rsyslogd", "/sbin/rsyslogd"};
        for (size_t i = 0; i < 2; i++)
                if (access(cand[i], X_OK) == 0)
                        return cand[i];
        return NULL;
}

struct fleet {
        struct svc s; /* the service (its temp dir holds everything) */
        char relay_conf[160], coll_conf[160];
        char logsock[120];  /* the relay's imuxsock socket */
        char portfile[160]; /* the collector's port */
        char out[160];      /* the collected file */
        char parsed[160];   /* fields the collector's mmjsonparse extracted */
        pid_t relay, coll;  /* the two rsyslogd */
        int port;           /* the collector's TCP port */
};

static pid_t spawn_rsyslogd(const char *conf, const char *dir, const char *name) {
        char pidfile[200], log[200];
        snprintf(pidfile, sizeof pidfile, "%s/%s.pid", dir, name);
        snprintf(log, sizeof log, "%s/%s.stderr", dir, name);
        pid_t pid = fork();
        if (pid == 0) {
                int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (fd < 0 || dup2(fd, 2) < 0 || dup2(fd, 1) < 0)
                        _exit(127);
                execl(rsyslogd_bin(), "rsyslogd", "-n", "-f", conf, "-i", pidfile, (char *)NULL);
                _exit(127);
        }
        return pid;
}

static void stop_pid(pid_t *pid) {
        if (*pid > 0) {
                kill(*pid, SIGTERM);
                waitpid(*pid, NULL, 0);
                *pid = 0;
        }
}

static int wait_for_file(const char *path, int ms) {
        int64_t deadline = harness_ms() + ms;
        struct stat st;
        while (harness_ms() < deadline) {
                if (stat(path, &st) == 0 && (S_ISSOCK(st.st_mode) || st.st_size > 0))
                        return 0;
                usleep(20000);
        }
        return -1;
}

static int setup(void **state) {
        struct fleet *f = calloc(1, sizeof *f);
        svc_init(&f->s, NULL);
        const char *d = f->s.dir;
        snprintf(f->relay_conf, sizeof f->relay_conf, "%s/relay.conf", d);
        snprintf(f->coll_conf, sizeof f->coll_conf, "%s/collector.conf", d);
        snprintf(f->logsock, sizeof f->logsock, "%s/log.sock", d);
        snprintf(f->portfile, sizeof f->portfile, "%s/collector.port", d);
        snprintf(f->out, sizeof f->out, "%s/fleet.log", d);
        snprintf(f->parsed, sizeof f->parsed, "%s/parsed.txt", d);
        char *conf = NULL;
        /* The collector: what docs/fleet.md shows for receiving into files. */
        if (asprintf(&conf,
                     "global(workDirectory=\"%s\")\n"
                     "module(load=\"imtcp\")\n"
                     "module(load=\"mmjsonparse\")\n"
                     "template(name=\"pwfields\" type=\"list\") {\n"
                     "  property(name=\"$!type\") constant(value=\" \")\n"
                     "  property(name=\"$!host\") constant(value=\" \")\n"
                     "  property(name=\"$!seq\") constant(value=\" \")\n"
                     "  property(name=\"$!hash\") constant(value=\" \")\n"
                     "  property(name=\"$!kind\") constant(value=\"\\n\")\n"
                     "}\n"
                     "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"0\" "
                     "listenPortFileName=\"%s\" ruleset=\"fleet\")\n"
                     "ruleset(name=\"fleet\") {\n"
                     "  if $programname == \"postwardend\" then {\n"
                     "    action(type=\"omfile\" file=\"%s\" template=\"RSYSLOG_FileFormat\")\n"
                     "    action(type=\"mmjsonparse\")\n"
                     "    if $parsesuccess == \"OK\" and $!pw == 1 then\n"
                     "      action(type=\"omfile\" file=\"%s\" template=\"pwfields\")\n"
                     "  }\n"
                     "}\n",
                     d, f->portfile, f->out, f->parsed) < 0)
                return -1;
        harness_write_file(f->coll_conf, conf);
        free(conf);
        f->coll = spawn_rsyslogd(f->coll_conf, d, "collector");
        if (wait_for_file(f->portfile, 10000) < 0) {
                fprintf(stderr, "the collector rsyslogd did not start\n");
                return -1;
        }
        char *port = harness_read_file(f->portfile, NULL);
        f->port = atoi(port);
        free(port);
        /* The workstation relay: imuxsock on a socket of its own (not /dev/log), forwarding over
         * TCP with a disk-assisted queue, as docs/fleet.md shows. */
        if (asprintf(&conf,
                     "global(workDirectory=\"%s\")\n"
                     "module(load=\"imuxsock\" SysSock.Use=\"off\")\n"
                     "input(type=\"imuxsock\" Socket=\"%s\" UseSpecialParser=\"off\" "
                     "ParseHostname=\"on\" RateLimit.Interval=\"0\" ruleset=\"fwd\")\n"
                     "ruleset(name=\"fwd\") {\n"
                     "  action(type=\"omfwd\" target=\"127.0.0.1\" port=\"%d\" protocol=\"tcp\" "
                     "template=\"RSYSLOG_SyslogProtocol23Format\" queue.type=\"LinkedList\" "
                     "queue.filename=\"pwfwd\" queue.saveOnShutdown=\"on\" "
                     "action.resumeRetryCount=\"-1\")\n"
                     "}\n",
                     d, f->logsock, f->port) < 0)
                return -1;
        harness_write_file(f->relay_conf, conf);
        free(conf);
        f->relay = spawn_rsyslogd(f->relay_conf, d, "relay");
        if (wait_for_file(f->logsock, 10000) < 0) {
                fprintf(stderr, "the relay rsyslogd did not start\n");
                return -1;
        }
        const char *extra[] = {"--syslog-socket", f->logsock, NULL};
        if (svc_start_ex(&f->s, 0, extra) < 0) {
                char *log = harness_read_file(f->s.log, NULL);
                fprintf(stderr, "postwardend did not start; its log:\n%s\n", log ? log : "(none)");
                free(log);
                return -1;
        }
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fleet *f = *state;
        svc_stop(&f->s);
        stop_pid(&f->relay);
        stop_pid(&f->coll);
        svc_cleanup(&f->s);
        free(f);
        return 0;
}

/* ---- traffic -------------------------------------------------------------------------------- */

static void *client_main(void *arg) {
        struct svc *s = arg;
        struct pw_client *c;
        if (pw_client_connect(s->sock, 2000, &c) < 0)
                return (void *)1;
        intptr_t bad = 0;
        for (int i = 0; i < POSTS_PER_CLIENT && !bad; i++) {
                json_t *m = msg_post(i, i % 3 == 0, i % 3 == 0 ? SECRET_TEXT : NULL);
                json_object_set_new(json_array_get(json_object_get(m, "findings"), 0), "excerpt",
                                    json_string(SECRET_EXCERPT));
                json_t *rep = NULL;
                if (pw_client_request(c, m, 10000, &rep) < 0 || reply_code(rep) != 0)
                        bad = 1;
                json_decref(m);
                json_decref(rep);
        }
        pw_client_free(c);
        return (void *)bad;
}

/* ---- what arrived --------------------------------------------------------------------------- */

struct line {
        json_t *j;     /* the object after "@cee:" */
        int64_t seq;   /* its "seq" */
        char type[16]; /* "event" or "chain_head" */
};

struct lines {
        struct line *v;
        size_t n, cap;
        size_t unparsable; /* lines with "@cee:" whose JSON did not parse */
};

static void read_lines(const char *path, struct lines *out) {
        size_t len;
        char *buf = harness_read_file(path, &len);
        if (!buf)
                return;
        for (char *p = buf, *nl; p < buf + len; p = nl + 1) {
                nl = memchr(p, '\n', (size_t)(buf + len - p));
                if (!nl)
                        nl = buf + len;
                *nl = '\0';
                char *cee = strstr(p, "@cee:");
                if (!cee)
                        continue;
                json_error_t je;
                json_t *j = json_loads(cee + 5, JSON_REJECT_DUPLICATES, &je);
                if (!json_is_object(j)) {
                        out->unparsable++;
                        json_decref(j);
                        continue;
                }
                if (out->n == out->cap) {
                        out->cap = out->cap ? out->cap * 2 : 256;
                        out->v = realloc(out->v, out->cap * sizeof *out->v);
                }
                struct line *l = &out->v[out->n++];
                l->j = j;
                l->seq = json_integer_value(json_object_get(j, "seq"));
                snprintf(l->type, sizeof l->type, "%s",
                         json_string_value(json_object_get(j, "type"))
                                 ? json_string_value(json_object_get(j, "type"))
                                 : "");
        }
        free(buf);
}

static void free_lines(struct lines *l) {
        for (size_t i = 0; i < l->n; i++)
                json_decref(l->v[i].j);
        free(l->v);
}

struct db_events {
        int64_t seq[4096]; /* seqs in the database, in order */
        enum pw_audit_kind kind[4096];
        char site[4096][16];
        size_t n;
};

static int collect(const struct pw_audit_event_row *row, void *userdata) {
        struct db_events *d = userdata;
        if (d->n < 4096) {
                d->seq[d->n] = row->seq;
                d->kind[d->n] = row->kind;
                snprintf(d->site[d->n], sizeof d->site[0], "%s", row->site ? row->site : "");
                d->n++;
        }
        return 0;
}

static int hex64(const char *s) {
        if (!s || strlen(s) != 64)
                return 0;
        for (int i = 0; i < 64; i++)
                if (!strchr("0123456789abcdef", s[i]))
                        return 0;
        return 1;
}

static int rfc3339_utc(const char *s) {
        /* 2026-12-04T10:40:16.123456Z */
        return s && strlen(s) == 27 && s[4] == '-' && s[10] == 'T' && s[19] == '.' && s[26] == 'Z';
}

static void every_event_arrives_once_complete_and_on_the_chain(void **state) {
        struct fleet *f = *state;
        struct svc *s = &f->s;
        /* A login session (root's PAM module would send it), then company and personal posts
         * from several clients at once (group commits), an override, a redaction. */
        json_t *rep =
                svc_call(s,
                         json_pack("{s:i, s:i, s:s, s:s, s:i, s:s, s:s, s:s}", "v", 1, "id", 1,
                                   "type", "session_open", "user", "root", "uid", 0, "service",
                                   "sshd", "tty", "pts/3", "rhost", "198.51.100.7"),
                         NULL);
        assert_int_equal(reply_code(rep), 0);
        json_decref(rep);
        pthread_t th[N_CLIENTS];
        for (int i = 0; i < N_CLIENTS; i++)
                assert_int_equal(pthread_create(&th[i], NULL, client_main, s), 0);
        for (int i = 0; i < N_CLIENTS; i++) {
                void *bad;
                pthread_join(th[i], &bad);
                assert_null(bad);
        }
        json_t *ov = msg_post(900, false, NULL);
        json_object_set_new(ov, "override_justification", json_string(HOSTILE_JUST));
        rep = svc_call(s, ov, NULL);
        assert_int_equal(reply_code(rep), 0);
        assert_string_equal(json_string_value(json_object_get(rep, "kind")), "override");
        int64_t override_seq = json_integer_value(json_object_get(rep, "seq"));
        json_decref(rep);
        /* Oversized: 256 findings and a justification of 1900 control characters (6 bytes each
         * once escaped) cannot fit a syslog line: findings are counted, the text is cut, the
         * line stays valid JSON below rsyslog's 8 KiB. */
        json_t *big = msg_post(903, true, NULL); /* company: its findings are stored */
        json_t *fa = json_object_get(big, "findings");
        for (int i = 1; i < 256; i++)
                json_array_append_new(fa, json_pack("{s:s, s:s}", "rule",
                                                    "a-rather-long-rule-identifier-for-size",
                                                    "category", "confidential"));
        char just[1901];
        memset(just, 0x01, 1900);
        just[1900] = 0;
        json_object_set_new(big, "override_justification", json_string(just));
        rep = svc_call(s, big, NULL);
        assert_int_equal(reply_code(rep), 0);
        int64_t big_seq = json_integer_value(json_object_get(rep, "seq"));
        json_decref(rep);
        rep = svc_call(s, msg_post(901, true, SECRET_TEXT), NULL);
        int64_t archived_seq = json_integer_value(json_object_get(rep, "seq"));
        json_decref(rep);
        rep = svc_call(s,
                       json_pack("{s:i, s:i, s:s, s:I, s:s}", "v", 1, "id", 902, "type", "redact",
                                 "seq", (json_int_t)archived_seq, "reason",
                                 "erasure request \"#7\"\nby legal"),
                       NULL);
        assert_int_equal(reply_code(rep), 0);
        json_decref(rep);
        /* Stopping logs the final chain head. */
        assert_true(WIFEXITED(svc_stop(s)));

        /* The database: every event, and its head. */
        struct pw_audit *a = NULL;
        struct pw_audit_options opt = {.path = s->db, .flags = PW_AUDIT_READONLY};
        assert_int_equal(pw_audit_open(&opt, &a, NULL), 0);
        static struct db_events db;
        db.n = 0;
        assert_int_equal(pw_audit_query_events(a, NULL, collect, &db, NULL), 0);
        struct pw_audit_head head;
        assert_int_equal(pw_audit_head(a, &head), 0);
        assert_true(db.n > N_CLIENTS * POSTS_PER_CLIENT);

        /* Wait until the last head arrived at the collector (rsyslog forwards asynchronously). */
        struct lines got = {0};
        int64_t deadline = harness_ms() + 30000;
        for (;;) {
                free_lines(&got);
                memset(&got, 0, sizeof got);
                read_lines(f->out, &got);
                bool last_head = false;
                for (size_t i = 0; i < got.n; i++)
                        if (!strcmp(got.v[i].type, "chain_head") && got.v[i].seq == head.seq)
                                last_head = true;
                /* The parsed copy is written by a later action of the same ruleset. */
                if ((last_head && harness_file_has(f->parsed, head.hex)) || harness_ms() > deadline)
                        break;
                usleep(100000);
        }
        assert_int_equal(got.unparsable, 0);

        char host[256];
        gethostname(host, sizeof host);
        /* Events: each exactly once, complete. */
        static int seen[4096 * 4];
        memset(seen, 0, sizeof seen);
        struct pw_audit_head *expected = calloc(got.n, sizeof *expected);
        size_t n_exp = 0, n_heads = 0;
        for (size_t i = 0; i < got.n; i++) {
                json_t *j = got.v[i].j;
                assert_int_equal(json_integer_value(json_object_get(j, "pw")), 1);
                assert_string_equal(json_string_value(json_object_get(j, "host")), host);
                const char *hash = json_string_value(json_object_get(j, "hash"));
                assert_true(hex64(hash));
                assert_true(rfc3339_utc(json_string_value(json_object_get(j, "time"))));
                int64_t seq = got.v[i].seq;
                assert_true(seq > 0 && seq <= head.seq);
                expected[n_exp].seq = seq;
                snprintf(expected[n_exp].hex, sizeof expected[n_exp].hex, "%s", hash);
                for (int k = 0; k < 32; k++)
                        sscanf(hash + 2 * k, "%2hhx", &expected[n_exp].hash[k]);
                n_exp++;
                if (!strcmp(got.v[i].type, "chain_head")) {
                        n_heads++;
                        continue;
                }
                assert_string_equal(got.v[i].type, "event");
                assert_true((size_t)seq < sizeof seen / sizeof *seen);
                seen[seq]++;
        }
        for (size_t i = 0; i < db.n; i++) {
                int64_t seq = db.seq[i];
                if (seen[seq] != 1)
                        fail_msg("event %lld arrived %d times", (long long)seq, seen[seq]);
        }
        /* Nothing arrived that is not in the database (no uncommitted event was logged). */
        size_t total_events = 0;
        for (size_t i = 0; i < sizeof seen / sizeof *seen; i++)
                total_events += seen[i] > 0;
        assert_int_equal(total_events, db.n);
        /* Heads: every 100 events, and at shutdown. */
        assert_true(n_heads >= (size_t)(head.seq / 100));

        /* Each line's facts match the database row of its seq. */
        for (size_t i = 0; i < got.n; i++) {
                if (strcmp(got.v[i].type, "event"))
                        continue;
                json_t *j = got.v[i].j;
                size_t k = 0;
                while (k < db.n && db.seq[k] != got.v[i].seq)
                        k++;
                assert_true(k < db.n);
                assert_string_equal(json_string_value(json_object_get(j, "kind")),
                                    pw_audit_kind_name(db.kind[k]));
                if (db.kind[k] == PW_AUDIT_POST_ATTEMPT || db.kind[k] == PW_AUDIT_AUTH_BLOCK ||
                    db.kind[k] == PW_AUDIT_OVERRIDE) {
                        assert_string_equal(json_string_value(json_object_get(j, "site")),
                                            db.site[k]);
                        json_t *peer = json_object_get(j, "peer");
                        assert_int_equal(json_integer_value(json_object_get(peer, "uid")), 0);
                        assert_string_equal(json_string_value(json_object_get(peer, "source")),
                                            "kernel");
                        json_t *sess = json_object_get(j, "session");
                        assert_string_equal(json_string_value(json_object_get(sess, "user")),
                                            "root");
                        assert_string_equal(json_string_value(json_object_get(sess, "tty")),
                                            "pts/3");
                        assert_string_equal(json_string_value(json_object_get(sess, "rhost")),
                                            "198.51.100.7");
                        assert_string_equal(json_string_value(json_object_get(sess, "source")),
                                            "pam");
                        assert_non_null(json_string_value(json_object_get(j, "action")));
                        json_t *acct = json_object_get(j, "account");
                        if (json_is_true(json_object_get(acct, "company")))
                                assert_string_equal(
                                        json_string_value(json_object_get(acct, "handle")),
                                        "@AcmeCorp");
                        else
                                assert_null(json_object_get(acct, "handle"));
                }
                if (got.v[i].seq == big_seq) {
                        assert_int_equal(json_integer_value(json_object_get(j, "findings_omitted")),
                                         256);
                        assert_true(json_is_true(json_object_get(j, "justification_cut")));
                        assert_int_equal(
                                strlen(json_string_value(json_object_get(j, "justification"))),
                                512);
                        big_seq = -1; /* seen */
                }
                if (got.v[i].seq == override_seq)
                        assert_string_equal(json_string_value(json_object_get(j, "justification")),
                                            HOSTILE_JUST);
                if (db.kind[k] == PW_AUDIT_REDACTION)
                        assert_int_equal(json_integer_value(json_object_get(j, "target_seq")),
                                         archived_seq);
        }

        assert_int_equal(big_seq, -1);

        /* rsyslog's own JSON parser (mmjsonparse, the "@cee:" cookie) read every line: the
         * fields a database template would store match the lines. */
        size_t plen;
        char *parsed = harness_read_file(f->parsed, &plen);
        assert_non_null(parsed);
        size_t n_parsed = 0;
        for (char *p = parsed, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
                *nl = '\0';
                char type[16], h[256], hash[80], kind[32] = "";
                long long seq;
                int nf = sscanf(p, "%15s %255s %lld %79s %31s", type, h, &seq, hash, kind);
                assert_true(nf >= 4);
                assert_string_equal(h, host);
                size_t k = 0;
                while (k < got.n && !(got.v[k].seq == seq && !strcmp(got.v[k].type, type)))
                        k++;
                assert_true(k < got.n);
                assert_string_equal(hash, json_string_value(json_object_get(got.v[k].j, "hash")));
                n_parsed++;
        }
        assert_int_equal(n_parsed, got.n);
        free(parsed);

        /* No post text and no excerpt reached syslog; the override's control characters are
         * escaped, so every line stayed one line. */
        assert_false(harness_file_has(f->out, "ARCHIVED-TEXT"));
        assert_false(harness_file_has(f->out, "EXCERPT-MARK"));
        assert_false(harness_file_has(f->out, "\x1b"));

        /* Every (seq, hash) that arrived is on the chain. */
        struct pw_audit_verify_result res = {0};
        struct pw_error err = {0};
        int r = pw_audit_verify(a, expected, n_exp, &res, &err);
        if (r < 0)
                fail_msg("verify against %zu collected heads: %d %s %s", n_exp, r, res.reason,
                         err.text);
        /* ... and the check bites: one altered hash is found. */
        expected[n_exp / 2].hash[0] ^= 1;
        expected[n_exp / 2].hex[0] = expected[n_exp / 2].hex[0] == '0' ? '1' : '0';
        assert_int_equal(pw_audit_verify(a, expected, n_exp, &res, &err), -EBADMSG);
        free(expected);
        free_lines(&got);
        pw_audit_free(a);
        print_message("%zu events and %zu chain heads arrived through rsyslog\n", db.n, n_heads);
}

/* ---- the classic format, as on /dev/log ------------------------------------------------------ */

/* postwardend's default destination is /dev/log in the format syslog(3) writes. Here the same
 * format goes to an rsyslogd whose imuxsock input uses the special parser of the system socket
 * (its default, as on /dev/log): the lines must be authpriv, from program postwardend, one JSON
 * object each, every event once, on the chain. */
static void classic_format_through_the_system_socket_parser(void **state) {
        (void)state;
        struct svc s;
        svc_init(&s, NULL);
        char conf[160], sockp[100], out[160], *text = NULL;
        snprintf(conf, sizeof conf, "%s/classic.conf", s.dir);
        snprintf(sockp, sizeof sockp, "%.60s/devlog.sock", s.dir);
        snprintf(out, sizeof out, "%s/classic.log", s.dir);
        assert_true(asprintf(&text,
                             "global(workDirectory=\"%s\")\n"
                             "module(load=\"imuxsock\" SysSock.Use=\"off\")\n"
                             "input(type=\"imuxsock\" Socket=\"%s\" RateLimit.Interval=\"0\")\n"
                             "template(name=\"pwcheck\" type=\"string\" string=\""
                             "%%syslogfacility-text%% %%syslogseverity-text%% %%programname%% "
                             "%%msg%%\\n\")\n"
                             "action(type=\"omfile\" file=\"%s\" template=\"pwcheck\")\n",
                             s.dir, sockp, out) > 0);
        harness_write_file(conf, text);
        free(text);
        pid_t rs = spawn_rsyslogd(conf, s.dir, "classic");
        assert_int_equal(wait_for_file(sockp, 10000), 0);
        const char *extra[] = {"--syslog-socket", sockp, "--syslog-format", "bsd", NULL};
        assert_int_equal(svc_start_ex(&s, 0, extra), 0);
        for (int i = 0; i < 30; i++) {
                json_t *rep = svc_call(&s, msg_post(i, i % 2, NULL), NULL);
                assert_int_equal(reply_code(rep), 0);
                json_decref(rep);
        }
        assert_true(WIFEXITED(svc_stop(&s)));
        struct pw_audit *a = NULL;
        struct pw_audit_options opt = {.path = s.db, .flags = PW_AUDIT_READONLY};
        assert_int_equal(pw_audit_open(&opt, &a, NULL), 0);
        struct pw_audit_head head;
        assert_int_equal(pw_audit_head(a, &head), 0);
        int64_t deadline = harness_ms() + 20000;
        while (!harness_file_has(out, head.hex) && harness_ms() < deadline)
                usleep(100000);
        stop_pid(&rs);

        size_t len;
        char *buf = harness_read_file(out, &len);
        assert_non_null(buf);
        static int seen[256];
        memset(seen, 0, sizeof seen);
        struct pw_audit_head exp[256];
        size_t n_exp = 0;
        bool last_head = false;
        for (char *p = buf, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
                *nl = '\0';
                char fac[16], sev[16], prog[32];
                assert_int_equal(sscanf(p, "%15s %15s %31s", fac, sev, prog), 3);
                assert_string_equal(fac, "authpriv");
                assert_string_equal(prog, "postwardend");
                char *cee = strstr(p, "@cee:");
                assert_non_null(cee);
                json_t *j = json_loads(cee + 5, JSON_REJECT_DUPLICATES, NULL);
                assert_true(json_is_object(j));
                int64_t seq = json_integer_value(json_object_get(j, "seq"));
                const char *type = json_string_value(json_object_get(j, "type"));
                const char *hash = json_string_value(json_object_get(j, "hash"));
                assert_true(seq > 0 && seq < 256 && hex64(hash));
                if (!strcmp(type, "event")) {
                        assert_string_equal(sev, "info");
                        seen[seq]++;
                } else {
                        assert_string_equal(type, "chain_head");
                        assert_string_equal(sev, "notice");
                        last_head |= seq == head.seq && !strcmp(hash, head.hex);
                }
                assert_true(n_exp < 256);
                exp[n_exp].seq = seq;
                for (int k = 0; k < 32; k++)
                        sscanf(hash + 2 * k, "%2hhx", &exp[n_exp].hash[k]);
                memcpy(exp[n_exp].hex, hash, 65);
                n_exp++;
                json_decref(j);
        }
        free(buf);
        assert_true(last_head);
        for (int64_t seq = 1; seq <= head.seq; seq++)
                if (seen[seq] != 1)
                        fail_msg("event %lld arrived %d times", (long long)seq, seen[seq]);
        struct pw_audit_verify_result res = {0};
        assert_int_equal(pw_audit_verify(a, exp, n_exp, &res, NULL), 0);
        pw_audit_free(a);
        svc_cleanup(&s);
}

int main(void) {
        if (!rsyslogd_bin()) {
                fprintf(stderr, "skipped: rsyslogd is not installed (Debian package rsyslog)\n");
                return 77;
        }
        if (geteuid() != 0) {
                fprintf(stderr, "skipped: needs root (sessions are opened as root)\n");
                return 77;
        }
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(every_event_arrives_once_complete_and_on_the_chain,
                                                setup, teardown),
                cmocka_unit_test(classic_format_through_the_system_socket_parser),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
