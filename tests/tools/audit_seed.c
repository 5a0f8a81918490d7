/* pw-audit-seed: writes a deterministic audit database for tests, golden files and benchmarks,
 * through the public audit API only (include/postwarden/audit.h), exactly as postwardend would.
 *
 *   pw-audit-seed [--events N] [--seed S] [--hostile] [--start-us US] DB
 *   pw-audit-seed --purge-before US DB          pw_audit_purge() on an existing DB
 *   pw-audit-seed --redact SEQ [--reason R] DB   pw_audit_redact() on an existing DB
 *
 * The last two stand in for postwardend's purge and redact messages in tests that need a purged
 * or redacted store (they write as the service's writer would).
 * It creates login sessions of several users (graphical, ssh with a remote host, console), company
 * accounts on several sites and personal accounts (stored as HMACs), links of each tie rule (the
 * ambiguous rule links two sessions), and N events: posts allowed, warned and blocked with
 * findings, company posts archived, auth_block of a user acting as a company account they may not
 * use, and overrides with justifications. --hostile adds names, justifications and texts with
 * quotes, commas, newlines, terminal escape sequences, <script> and U+202E, and a hostile login.
 *
 * The same arguments give the same file content: times start at --start-us (default
 * 2026-11-02T08:00:00Z) and the HMAC key is derived from the seed (DB.hmac-key, 0600), so even the
 * chain hashes repeat. Sessions are N/100 (at least 12), and every fourth has a second, concurrent
 * session of the same user (the ambiguous tie rule); the last two stay open. Not installed. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "postwarden/audit.h"

#define DEFAULT_START_US 1793606400000000LL       /* 2026-11-02T08:00:00Z */
#define SPAN_US          (28LL * 86400 * 1000000) /* the events spread over four weeks */
#define BATCH            4096                     /* writes per transaction */

static uint64_t rng_state;

/* splitmix64: small, fast, and the same on every machine. */
static uint64_t rnd(void) {
        uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static unsigned pick(unsigned n) {
        return (unsigned)(rnd() % n);
}

struct user {
        const char *name, *service, *tty, *rhost, *host; /* the session's PAM facts */
        int64_t uid;                                     /* its uid */
        int may_acme;                                    /* may act as the company accounts */
};

static const struct user users[] = {
        {"alice", "gdm-password", ":0", NULL, "ws-berlin-01", 1001, 1},
        {"bob", "sshd", "ssh", "198.51.100.23", "ws-berlin-02", 1002, 1},
        {"carol", "gdm-password", ":1", NULL, "ws-hamburg-07", 1003, 1},
        {"dave", "login", "tty2", NULL, "ws-berlin-01", 1004, 0},
        {"erin", "sshd", "ssh", "2001:db8::42", "ws-munich-03", 1005, 1},
};
#define N_USERS (sizeof users / sizeof *users)

static const struct user hostile_user = {"mallory,\"m\"\n\x1b[2J",
                                         "sshd",
                                         "pts/\x1b[31m9",
                                         "<script>alert(1)</script>",
                                         "ws-\xe2\x80\xae"
                                         "evil",
                                         1666,
                                         0};

struct company {
        const char *site, *stable_id, *handle, *display, *policy_name; /* the account */
};

static const struct company companies[] = {
        {"x.com", "1500000001", "@AcmeCorp", "Acme Corp", "acme-x"},
        {"linkedin.com", "urn:li:organization:42", "acme-corp", "Acme Corporation",
         "acme-linkedin"},
        {"bsky.app", "did:plc:acme4242", "@acmecorp.bsky.social", "Acme", "acme-bsky"},
        {"x.com", "1500000002", "@AcmeSupport", "Acme Support", "acme-support"},
};
#define N_COMPANIES (sizeof companies / sizeof *companies)

static const struct company hostile_company = {
        "x.com", "666,\"1\"", "@Evil\"Corp\",\n\x1b[31mred\x1b[0m<script>alert(1)</script>",
        "Evil \xe2\x80\xae"
        "exe.txt",
        "evil,\"name\"\r\n"};

static const char *const hostile_justification =
        "ok, \"fine\"\nsecond line \x1b]0;pwned\x07 <script>alert(1)</script> "
        "\xe2\x80\xae"
        "gnp.exe";

static const char *const justifications[] = {
        "approved by comms (ticket COMMS-1234)",
        "press release already public",
        "legal cleared the wording",
};

static const char *const personal_sites[] = {"x.com", "reddit.com", "mastodon.social"};

struct seeder {
        struct pw_audit *a;                   /* the store */
        int64_t company_ids[N_COMPANIES + 1]; /* account ids; the last is the hostile one */
        size_t n_company;                     /* entries used */
        bool hostile;                         /* --hostile */
        int64_t writes;                       /* writes in the open batch */
        int64_t seq;                          /* last event seq */
};

static void die(const char *what, int r, const struct pw_error *err) {
        fprintf(stderr, "pw-audit-seed: %s: %s (%s)\n", what, err && err->text[0] ? err->text : "",
                strerror(-r));
        exit(1);
}

/* Commits every BATCH writes, so a million events take a few hundred fsyncs. */
static void tick(struct seeder *s) {
        struct pw_error err = {0};
        int r;
        if (++s->writes < BATCH)
                return;
        if ((r = pw_audit_commit(s->a, &err)) < 0)
                die("commit", r, &err);
        if ((r = pw_audit_begin(s->a, &err)) < 0)
                die("begin", r, &err);
        s->writes = 0;
}

static int64_t company_account(struct seeder *s, const struct company *c, int64_t t) {
        struct pw_audit_account acct = {
                .site = c->site,
                .stable_id = c->stable_id,
                .handle = c->handle,
                .display_name = c->display,
                .company = 1,
                .policy_name = c->policy_name,
                .src = PW_AUDIT_SRC_CLIENT,
                .seen_us = t,
        };
        int64_t id;
        struct pw_error err = {0};
        int r = pw_audit_account_seen(s->a, &acct, &id, &err);
        if (r < 0)
                die("company account", r, &err);
        tick(s);
        return id;
}

static int64_t personal_account(struct seeder *s, const struct user *u, unsigned k, int64_t t) {
        char handle[64];
        snprintf(handle, sizeof handle, "@%s_private_%u", u->name, k);
        struct pw_audit_account acct = {
                .site = personal_sites[k % 3],
                .handle = handle,
                .display_name = "never stored",
                .company = 0,
                .src = PW_AUDIT_SRC_CLIENT,
                .seen_us = t,
        };
        int64_t id;
        struct pw_error err = {0};
        int r = pw_audit_account_seen(s->a, &acct, &id, &err);
        if (r < 0)
                die("personal account", r, &err);
        tick(s);
        return id;
}

struct session {
        int64_t id;                  /* row id */
        const struct user *u;        /* who */
        int64_t sessionid;           /* kernel audit session id */
        enum pw_audit_tie_rule rule; /* how its events tie to it */
};

static void link_account(struct seeder *s, const struct session *ss, const struct session *twin,
                         int64_t account, int64_t t) {
        struct pw_error err = {0};
        int r = pw_audit_link(s->a, ss->id, account, ss->rule, t, NULL, &err);
        if (r < 0)
                die("link", r, &err);
        tick(s);
        if (ss->rule == PW_AUDIT_TIE_AMBIGUOUS && twin) {
                /* One link row per candidate session. */
                r = pw_audit_link(s->a, twin->id, account, PW_AUDIT_TIE_AMBIGUOUS, t, NULL, &err);
                if (r < 0)
                        die("link", r, &err);
                tick(s);
        }
}

static void append(struct seeder *s, struct pw_audit_event *ev) {
        struct pw_error err = {0};
        int r = pw_audit_append(s->a, ev, &s->seq, &err);
        if (r < 0)
                die("event", r, &err);
        tick(s);
}

/* One event of session `ss` at time t; `i` numbers it. */
static void event(struct seeder *s, const struct session *ss, const struct session *twin,
                  int64_t *linked, int64_t i, int64_t t) {
        const struct user *u = ss->u;
        struct pw_audit_event ev = {
                .time_us = t,
                .peer_uid = u->uid,
                .peer_pid = 4000 + ss->id % 1000,
                .peer_sessionid = ss->sessionid,
                .peer_src = PW_AUDIT_SRC_KERNEL,
                .session_id = ss->id,
                .claim_src = PW_AUDIT_SRC_CLIENT,
                .policy_id = "seed-policy-1",
                .verdict_src = PW_AUDIT_SRC_SERVICE,
        };
        char text[256];
        unsigned roll = pick(100);
        bool hostile = s->hostile && (u == &hostile_user || roll < 8);
        size_t ci = hostile ? N_COMPANIES : pick(N_COMPANIES);
        if (roll < 55 || hostile) {
                /* As a company account. */
                const struct company *c = ci < N_COMPANIES ? &companies[ci] : &hostile_company;
                int64_t acct = s->company_ids[ci];
                /* account_seen for this post: touches last_seen */
                company_account(s, c, t);
                if (linked[ci] != ss->id) {
                        link_account(s, ss, twin, acct, t);
                        linked[ci] = ss->id;
                }
                ev.account_id = acct;
                ev.site = c->site;
                ev.company_account = 1;
                ev.mode = "business";
                static const struct pw_audit_finding block_f[] = {
                        {"code-names/stormwing", "confidential", "block", "S*******g", 14, 23, 14,
                         23},
                        {"pii/iban", "iban", "warn", "DE89 **** **** **** **** 00", 40, 67, 40, 67},
                };
                if (!u->may_acme) {
                        ev.kind = PW_AUDIT_AUTH_BLOCK;
                        ev.action = "block";
                        ev.authorised = 0;
                } else if (roll % 5 == 0 || hostile) {
                        /* Blocked, then posted anyway with a justification. */
                        ev.kind = PW_AUDIT_POST_ATTEMPT;
                        ev.action = "block";
                        ev.authorised = 1;
                        ev.findings = block_f;
                        ev.n_findings = 1;
                        append(s, &ev);
                        ev.time_us = t + 20 * 1000000;
                        ev.kind = PW_AUDIT_OVERRIDE;
                        ev.justification = hostile ? hostile_justification : justifications[i % 3];
                        if (hostile)
                                snprintf(text, sizeof text,
                                         "Override %lld: \"quoted\", comma\nnew line "
                                         "\x1b[31mred\x1b[0m <script>alert(1)</script> "
                                         "\xe2\x80\xae"
                                         "txt.exe",
                                         (long long)i);
                        else
                                snprintf(text, sizeof text,
                                         "Stormwing ships on Monday (post %lld, posted anyway)",
                                         (long long)i);
                        ev.archive_text = text;
                        ev.archive_len = strlen(text);
                } else {
                        ev.kind = PW_AUDIT_POST_ATTEMPT;
                        ev.authorised = 1;
                        ev.action = roll % 5 == 1 ? "warn" : "allow";
                        if (roll % 5 == 1) {
                                ev.findings = block_f + 1;
                                ev.n_findings = 1;
                        }
                        snprintf(text, sizeof text,
                                 "Acme update %lld: our new release is out, see acme.example",
                                 (long long)i);
                        ev.archive_text = text;
                        ev.archive_len = strlen(text);
                }
        } else {
                /* As the user's own account: HMAC only, no findings, no text. */
                unsigned k = pick(2);
                int64_t acct = personal_account(s, u, k, t);
                link_account(s, ss, NULL, acct, t);
                static const struct pw_audit_finding personal_f[] = {
                        {"harassment/insult", "harassment", "warn", "i****t", 3, 9, 3, 9},
                };
                ev.kind = PW_AUDIT_POST_ATTEMPT;
                ev.account_id = acct;
                ev.site = personal_sites[k % 3];
                ev.mode = "personal";
                ev.action = roll % 7 == 0 ? "warn" : "allow";
                ev.findings = roll % 7 == 0 ? personal_f : NULL; /* dropped by the store */
                ev.n_findings = roll % 7 == 0 ? 1 : 0;
        }
        append(s, &ev);
}

/* Writes a 32-byte key derived from the seed, so that HMACs and hashes repeat. */
static void write_key(const char *db, uint64_t seed) {
        char path[4096];
        snprintf(path, sizeof path, "%s.hmac-key", db);
        uint8_t key[32];
        uint64_t saved = rng_state;
        rng_state = seed ^ 0x6b6579ULL;
        for (int i = 0; i < 32; i += 8) {
                uint64_t v = rnd();
                memcpy(key + i, &v, 8);
        }
        rng_state = saved;
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, key, 32) != 32 || fchmod(fd, 0600) < 0) {
                fprintf(stderr, "pw-audit-seed: %s: %s\n", path, strerror(errno));
                exit(1);
        }
        close(fd);
}

static void usage(FILE *f) {
        fprintf(f, "usage: pw-audit-seed [--events N] [--seed S] [--hostile] [--start-us US] DB\n"
                   "       pw-audit-seed --purge-before US DB\n"
                   "       pw-audit-seed --redact SEQ [--reason TEXT] DB\n");
}

/* Purges or redacts an existing store, printing the result. */
static int change(const char *db, int64_t purge_before, int64_t redact, const char *reason) {
        struct pw_audit *a = NULL;
        struct pw_audit_options opt = {.path = db, .flags = PW_AUDIT_NO_CREATE};
        struct pw_error err = {0};
        int r = pw_audit_open(&opt, &a, &err);
        if (r < 0)
                die("open", r, &err);
        if (purge_before) {
                struct pw_audit_purge_result res;
                if ((r = pw_audit_purge(a, purge_before, &res, &err)) < 0)
                        die("purge", r, &err);
                printf("purged: checkpoint %lld, %lld events, %lld sessions, %lld accounts\n",
                       (long long)res.checkpoint_seq, (long long)res.events_removed,
                       (long long)res.sessions_removed, (long long)res.accounts_removed);
        } else {
                int64_t seq = 0;
                if ((r = pw_audit_redact(a, redact, reason, &seq, &err)) < 0)
                        die("redact", r, &err);
                printf("redacted %lld: redaction event %lld\n", (long long)redact, (long long)seq);
        }
        pw_audit_free(a);
        return 0;
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
                {"events", required_argument, NULL, 'n'},
                {"seed", required_argument, NULL, 's'},
                {"hostile", no_argument, NULL, 'H'},
                {"start-us", required_argument, NULL, 't'},
                {"purge-before", required_argument, NULL, 'P'},
                {"redact", required_argument, NULL, 'R'},
                {"reason", required_argument, NULL, 'r'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        int64_t n_events = 60, start = DEFAULT_START_US;
        uint64_t seed = 1;
        bool hostile = false;
        int64_t purge_before = 0, redact = 0;
        const char *reason = "erasure request";
        int o;
        while ((o = getopt_long(argc, argv, "n:s:Ht:h", opts, NULL)) != -1) {
                char *end = NULL;
                switch (o) {
                case 'n':
                        n_events = strtoll(optarg, &end, 10);
                        if (*end || n_events < 1 || n_events > 100000000) {
                                fprintf(stderr, "pw-audit-seed: --events wants 1..100000000\n");
                                return 2;
                        }
                        break;
                case 's':
                        seed = strtoull(optarg, &end, 10);
                        if (*end) {
                                fprintf(stderr, "pw-audit-seed: --seed wants a number\n");
                                return 2;
                        }
                        break;
                case 'H':
                        hostile = true;
                        break;
                case 't':
                        start = strtoll(optarg, &end, 10);
                        if (*end || start <= 0) {
                                fprintf(stderr, "pw-audit-seed: --start-us wants a positive "
                                                "number of microseconds\n");
                                return 2;
                        }
                        break;
                case 'P':
                case 'R': {
                        int64_t *dst = o == 'P' ? &purge_before : &redact;
                        *dst = strtoll(optarg, &end, 10);
                        if (*end || *dst <= 0) {
                                fprintf(stderr, "pw-audit-seed: --%s wants a positive number\n",
                                        o == 'P' ? "purge-before" : "redact");
                                return 2;
                        }
                        break;
                }
                case 'r':
                        reason = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind + 1 != argc) {
                usage(stderr);
                return 2;
        }
        const char *db = argv[optind];
        if (purge_before || redact)
                return change(db, purge_before, redact, reason);
        if (access(db, F_OK) == 0) {
                fprintf(stderr, "pw-audit-seed: %s exists; seed a new file\n", db);
                return 2;
        }
        write_key(db, seed);
        rng_state = seed;

        struct seeder s = {.hostile = hostile};
        struct pw_audit_options opt = {.path = db};
        struct pw_error err = {0};
        int r = pw_audit_open(&opt, &s.a, &err);
        if (r < 0)
                die("open", r, &err);
        if ((r = pw_audit_begin(s.a, &err)) < 0)
                die("begin", r, &err);
        for (size_t c = 0; c < N_COMPANIES; c++)
                s.company_ids[c] = company_account(&s, &companies[c], start + (int64_t)c);
        if (hostile)
                s.company_ids[N_COMPANIES] = company_account(&s, &hostile_company, start + 9);

        int64_t n_sessions = n_events / 100 > 12 ? n_events / 100 : 12;
        int64_t slot = SPAN_US / n_sessions; /* each session's share of the span */
        int64_t linked[N_COMPANIES + 1];
        int64_t done = 0, n_logins = 0;
        for (int64_t j = 0; j < n_sessions; j++) {
                const struct user *u = &users[j % N_USERS];
                if (hostile && j == n_sessions - 3)
                        u = &hostile_user;
                struct session ss = {
                        .u = u,
                        .sessionid = 100 + j,
                        .rule = (enum pw_audit_tie_rule)(1 + j % 4),
                };
                int64_t t0 = start + 60 * 1000000 + j * slot;
                struct pw_audit_session sess = {
                        .user = u->name,
                        .uid = u->uid,
                        .service = u->service,
                        .tty = u->tty,
                        .rhost = u->rhost,
                        .audit_sessionid = ss.sessionid,
                        .loginuid = u->uid,
                        .xdg_session_id = u->rhost ? NULL : "c1",
                        .host = u->host,
                        .opened_us = t0,
                        .src = PW_AUDIT_SRC_PAM,
                        .peer_uid = 0,
                        .peer_pid = 900 + j % 100,
                };
                if ((r = pw_audit_session_open(s.a, &sess, &ss.id, NULL, &err)) < 0)
                        die("session", r, &err);
                tick(&s);
                n_logins++;
                /* Ambiguous rule: the same user has a second session open (a console login
                 * beside ssh, or ssh beside the desktop); the service cannot tell which one the
                 * browser runs in, so it links both. */
                struct session twin = {.u = u, .sessionid = 100000 + j};
                if (ss.rule == PW_AUDIT_TIE_AMBIGUOUS) {
                        struct pw_audit_session t2 = sess;
                        bool ssh = u->rhost != NULL;
                        t2.service = ssh ? "login" : "sshd";
                        t2.tty = ssh ? "tty3" : "ssh";
                        t2.rhost = ssh ? NULL : "192.0.2.10";
                        t2.xdg_session_id = NULL;
                        t2.audit_sessionid = twin.sessionid;
                        t2.opened_us = t0 + 10 * 1000000;
                        if ((r = pw_audit_session_open(s.a, &t2, &twin.id, NULL, &err)) < 0)
                                die("session", r, &err);
                        tick(&s);
                        n_logins++;
                }
                for (size_t c = 0; c <= N_COMPANIES; c++)
                        linked[c] = 0;
                /* This session's events, evenly inside its first 80 %. */
                int64_t upto = (j + 1) * n_events / n_sessions;
                int64_t k = upto - done;
                for (int64_t e = 0; done < upto; e++, done++) {
                        int64_t t = t0 + 30 * 1000000 + e * (slot * 8 / 10 / (k ? k : 1));
                        event(&s, &ss, twin.id ? &twin : NULL, linked, done + 1, t);
                }
                if (j < n_sessions - 2) {
                        int64_t t1 = t0 + slot * 9 / 10;
                        if ((r = pw_audit_session_close(s.a, ss.id, t1, PW_AUDIT_SRC_PAM, 0, 900,
                                                        NULL, &err)) < 0)
                                die("session close", r, &err);
                        tick(&s);
                        if (twin.id) {
                                r = pw_audit_session_close(s.a, twin.id, t1 - 10 * 1000000,
                                                           PW_AUDIT_SRC_PAM, 0, 900, NULL, &err);
                                if (r < 0)
                                        die("session close", r, &err);
                                tick(&s);
                        }
                }
        }
        if ((r = pw_audit_commit(s.a, &err)) < 0)
                die("commit", r, &err);
        struct pw_audit_head h;
        pw_audit_head(s.a, &h);
        pw_audit_free(s.a);
        printf("%s: %lld sessions, %lld post events, chain head %lld %s\n", db, (long long)n_logins,
               (long long)n_events, (long long)h.seq, h.hex);
        return 0;
}
