/* audit/report.c: the aggregates of postwardenctl audit report, on a real store written through
 * the public API with known events; each number is counted by hand from what was written. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "postwarden/audit.h"

#define H  (3600LL * 1000000)       /* an hour in µs */
#define T0 (1793606400LL * 1000000) /* 2026-11-02T08:00:00Z */

struct fx {
        char dir[64], db[128];
        struct pw_audit *a;           /* the writer */
        int64_t s_alice, s_bob;       /* sessions */
        int64_t acme, support, perso; /* accounts: two company ones, one personal */
};

static void ok(int r, const struct pw_error *e, const char *what) {
        if (r < 0)
                fail_msg("%s: %s (%d)", what, e->text, r);
}

static int64_t session(struct fx *f, const char *user, const char *host, const char *rhost,
                       int64_t t) {
        struct pw_error e = {0};
        struct pw_audit_session s = {.user = user,
                                     .uid = 1000,
                                     .service = rhost ? "sshd" : "gdm-password",
                                     .tty = rhost ? "ssh" : ":0",
                                     .rhost = rhost,
                                     .audit_sessionid = -1,
                                     .loginuid = -1,
                                     .host = host,
                                     .opened_us = t,
                                     .src = PW_AUDIT_SRC_PAM,
                                     .peer_uid = 0,
                                     .peer_pid = 1};
        int64_t id = 0;
        ok(pw_audit_session_open(f->a, &s, &id, NULL, &e), &e, "session");
        return id;
}

static int64_t account(struct fx *f, const char *handle, int company) {
        struct pw_error e = {0};
        struct pw_audit_account a = {.site = "x.com",
                                     .handle = handle,
                                     .company = company,
                                     .src = PW_AUDIT_SRC_CLIENT,
                                     .seen_us = T0};
        int64_t id = 0;
        ok(pw_audit_account_seen(f->a, &a, &id, &e), &e, "account");
        return id;
}

/* A post-like event at t: kind, session (0: none), account, verdict, findings (rule ids;
 * category = the part before '/'), justification. */
static void post(struct fx *f, enum pw_audit_kind kind, int64_t t, int64_t sess, int64_t acct,
                 const char *action, const char *const *rules, const char *just,
                 const char *policy) {
        struct pw_error e = {0};
        struct pw_audit_finding fs[4];
        char cats[4][32];
        size_t n = 0;
        for (; rules && rules[n]; n++) {
                snprintf(cats[n], sizeof cats[n], "%.*s", (int)strcspn(rules[n], "/"), rules[n]);
                fs[n] = (struct pw_audit_finding){.rule_id = rules[n],
                                                  .category = cats[n],
                                                  .action = action,
                                                  .excerpt = "P******",
                                                  .byte_end = 7,
                                                  .u16_end = 7};
        }
        int company = acct == f->acme || acct == f->support;
        struct pw_audit_event ev = {.kind = kind,
                                    .time_us = t,
                                    .peer_uid = 1000,
                                    .peer_pid = 42,
                                    .peer_sessionid = -1,
                                    .peer_src = PW_AUDIT_SRC_KERNEL,
                                    .session_id = sess,
                                    .account_id = acct,
                                    .site = "x.com",
                                    .claim_src = PW_AUDIT_SRC_CLIENT,
                                    .action = action,
                                    .mode = company ? "business" : "personal",
                                    .company_account = company,
                                    .authorised = kind != PW_AUDIT_AUTH_BLOCK,
                                    .policy_id = policy,
                                    .justification = just,
                                    .findings = n ? fs : NULL,
                                    .n_findings = n,
                                    .verdict_src = PW_AUDIT_SRC_SERVICE};
        ok(pw_audit_append(f->a, &ev, NULL, &e), &e, "append");
}

/* The store: alice (local) and bob (ssh from 198.51.100.7), @Acme linked to both, @Support to
 * bob; events over three days (T0 .. T0+50h) and one before the period. */
static int setup(void **state) {
        struct fx *f = calloc(1, sizeof *f);
        assert_non_null(f);
        snprintf(f->dir, sizeof f->dir, "/tmp/pw-report-test-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->db, sizeof f->db, "%s/audit.db", f->dir);
        struct pw_audit_options o = {.path = f->db};
        struct pw_error e = {0};
        ok(pw_audit_open(&o, &f->a, &e), &e, "open");
        f->s_alice = session(f, "alice", "ws-1", NULL, T0 - 48 * H);
        f->s_bob = session(f, "bob", "ws-2", "198.51.100.7", T0);
        f->acme = account(f, "@Acme", 1);
        f->support = account(f, "@Support", 1);
        f->perso = account(f, "@someone", 0);
        ok(pw_audit_link(f->a, f->s_alice, f->acme, PW_AUDIT_TIE_SESSIONID, T0 - 47 * H, NULL, &e),
           &e, "link");
        ok(pw_audit_link(f->a, f->s_alice, f->acme, PW_AUDIT_TIE_SESSIONID, T0 + 1 * H, NULL, &e),
           &e, "link");
        ok(pw_audit_link(f->a, f->s_bob, f->acme, PW_AUDIT_TIE_AMBIGUOUS, T0 + 2 * H, NULL, &e), &e,
           "link");
        ok(pw_audit_link(f->a, f->s_bob, f->support, PW_AUDIT_TIE_ONLY_SESSION, T0 + 3 * H, NULL,
                         &e),
           &e, "link");
        static const char *const two_same[] = {"confidential/codes", "confidential/codes",
                                               "pii/iban", NULL};
        static const char *const codes[] = {"confidential/codes", NULL};
        static const char *const hosts[] = {"confidential/hosts", NULL};
        /* before the period: ignored */
        post(f, PW_AUDIT_POST_ATTEMPT, T0 - 30 * H, f->s_alice, f->acme, "block", codes, NULL,
             "p1");
        /* day 1 (T0 .. T0+24h) */
        post(f, PW_AUDIT_POST_ATTEMPT, T0 + 1 * H, f->s_alice, f->acme, "block", two_same, NULL,
             "p1");
        post(f, PW_AUDIT_OVERRIDE, T0 + 2 * H, f->s_alice, f->acme, "block", codes, "ok'd <b>",
             "p1");
        post(f, PW_AUDIT_POST_ATTEMPT, T0 + 3 * H, f->s_bob, f->support, "allow", NULL, NULL, "p1");
        post(f, PW_AUDIT_AUTH_BLOCK, T0 + 4 * H, f->s_bob, f->support, "block", NULL, NULL, "p1");
        /* day 2 */
        post(f, PW_AUDIT_POST_ATTEMPT, T0 + 26 * H, 0, f->acme, "warn", hosts, NULL, "p2");
        post(f, PW_AUDIT_OVERRIDE, T0 + 27 * H, 0, f->acme, "warn", hosts, "second", "p2");
        post(f, PW_AUDIT_POST_ATTEMPT, T0 + 28 * H, f->s_bob, f->perso, "block", codes, NULL, NULL);
        /* day 3 */
        post(f, PW_AUDIT_OVERRIDE, T0 + 50 * H, f->s_bob, f->acme, "block", codes, "third", "p2");
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fx *f = *state;
        pw_audit_free(f->a);
        char cmd[160];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
                return -1;
        free(f);
        return 0;
}

static struct pw_audit_report *build(struct fx *f, const struct pw_audit_report_options *o) {
        struct pw_audit_options ro = {.path = f->db, .flags = PW_AUDIT_READONLY};
        struct pw_audit *a = NULL;
        struct pw_error e = {0};
        ok(pw_audit_open(&ro, &a, &e), &e, "open read-only");
        struct pw_audit_report *r = NULL;
        ok(pw_audit_report_build(a, o, &r, &e), &e, "build");
        pw_audit_free(a);
        return r;
}

static const struct pw_audit_report_count *find(const struct pw_audit_report_count *v, size_t n,
                                                const char *name) {
        for (size_t i = 0; i < n; i++)
                if (name ? v[i].name && !strcmp(v[i].name, name) : !v[i].name)
                        return &v[i];
        fail_msg("no entry %s", name ? name : "(null)");
        return NULL;
}

static void test_totals_and_timeline(void **state) {
        struct fx *f = *state;
        const int64_t edges[] = {T0 - 8 * H, T0 + 16 * H, T0 + 40 * H, T0 + 64 * H};
        struct pw_audit_report_options o = {
                .since_us = T0 - 8 * H, .until_us = T0 + 64 * H, .edges = edges, .n_buckets = 3};
        struct pw_audit_report *r = build(f, &o);
        assert_int_equal(r->tally.posts, 4);
        assert_int_equal(r->tally.blocked, 2);
        assert_int_equal(r->tally.warned, 1);
        assert_int_equal(r->tally.overrides, 3);
        assert_int_equal(r->tally.auth_blocks, 1);
        assert_int_equal(r->by_kind[PW_AUDIT_POST_ATTEMPT], 4);
        assert_int_equal(r->by_kind[PW_AUDIT_OVERRIDE], 3);
        assert_int_equal(r->personal_posts, 1);
        assert_int_equal(r->company_posts, 6);
        assert_true(r->first_us >= T0 - 8 * H && r->first_us <= T0 + 1 * H);
        assert_int_equal(r->last_us, T0 + 50 * H);
        assert_int_equal(r->n_buckets, 3);
        assert_int_equal(r->buckets[0].start_us, edges[0]);
        assert_int_equal(r->buckets[0].tally.blocked, 1);
        assert_int_equal(r->buckets[0].tally.overrides, 1);
        assert_int_equal(r->buckets[0].tally.auth_blocks, 1);
        assert_int_equal(r->buckets[0].tally.posts, 2);
        assert_int_equal(r->buckets[1].tally.posts, 2);
        assert_int_equal(r->buckets[1].tally.blocked, 1);
        assert_int_equal(r->buckets[1].tally.warned, 1);
        assert_int_equal(r->buckets[2].tally.overrides, 1);
        /* both sessions overlap the period; two users; two hosts */
        assert_int_equal(r->sessions, 2);
        assert_int_equal(r->users, 2);
        assert_int_equal(r->n_hosts, 2);
        assert_int_equal(r->store.events, 17); /* 2 sessions, 3 accounts, 3 links, 9 posts */
        /* policies: p1 (4 in the period), p2 (3), not recorded (1) */
        assert_int_equal(r->n_policies_total, 3);
        assert_int_equal(find(r->policies, r->n_policies, "p1")->n, 4);
        assert_int_equal(find(r->policies, r->n_policies, "p2")->n, 3);
        assert_int_equal(find(r->policies, r->n_policies, "p2")->first_us, T0 + 26 * H);
        assert_int_equal(find(r->policies, r->n_policies, "p2")->last_us, T0 + 50 * H);
        assert_int_equal(find(r->policies, r->n_policies, NULL)->n, 1);
        pw_audit_report_free(r);
}

static void test_rules_and_categories(void **state) {
        struct fx *f = *state;
        struct pw_audit_report_options o = {.since_us = T0 - 8 * H, .until_us = T0 + 64 * H};
        struct pw_audit_report *r = build(f, &o);
        /* confidential/codes: 2 findings in the T0+1h post, 1 in each of 2 overrides; the
         * personal post's finding was dropped by the store (personal findings are not kept) */
        const struct pw_audit_report_count *c = find(r->rules, r->n_rules, "confidential/codes");
        assert_int_equal(c->n, 4);
        assert_int_equal(c->events, 3);
        assert_int_equal(c->overridden, 2);
        assert_string_equal(c->extra, "confidential");
        c = find(r->rules, r->n_rules, "confidential/hosts");
        assert_int_equal(c->n, 2);
        assert_int_equal(c->overridden, 1);
        assert_int_equal(find(r->rules, r->n_rules, "pii/iban")->n, 1);
        assert_int_equal(r->n_rules_total, 3);
        assert_string_equal(r->rules[0].name, "confidential/codes"); /* most first */
        c = find(r->categories, r->n_categories, "confidential");
        assert_int_equal(c->n, 6);
        assert_int_equal(c->overridden, 3);
        assert_int_equal(find(r->categories, r->n_categories, "pii")->n, 1);
        pw_audit_report_free(r);
        /* a cap of one keeps the first of each, with the totals */
        o.max_top = 1;
        r = build(f, &o);
        assert_int_equal(r->n_rules, 1);
        assert_int_equal(r->n_rules_total, 3);
        assert_int_equal(r->n_categories, 1);
        assert_string_equal(r->categories[0].name, "confidential");
        pw_audit_report_free(r);
}

static void test_accounts_and_links(void **state) {
        struct fx *f = *state;
        struct pw_audit_report_options o = {.since_us = T0 - 8 * H, .until_us = T0 + 64 * H};
        struct pw_audit_report *r = build(f, &o);
        assert_int_equal(r->n_accounts_total, 2); /* the personal account is not listed */
        const struct pw_audit_report_account *acme = &r->accounts[0];
        assert_string_equal(acme->handle, "@Acme"); /* the most active first */
        assert_int_equal(acme->tally.posts, 2);
        assert_int_equal(acme->tally.overrides, 3);
        assert_int_equal(acme->untied, 2); /* the two events of day 2 had no session */
        assert_int_equal(acme->n_links_total, 2);
        /* newest use first: bob's (ambiguous, T0+2h) ... alice's (last used T0+1h) */
        assert_int_equal(acme->links[0].session_id, f->s_bob);
        assert_int_equal(acme->links[0].rule, PW_AUDIT_TIE_AMBIGUOUS);
        assert_string_equal(acme->links[0].rhost, "198.51.100.7");
        assert_int_equal(acme->links[0].tally.overrides, 1); /* T0+50h */
        assert_int_equal(acme->links[1].session_id, f->s_alice);
        assert_string_equal(acme->links[1].user, "alice");
        assert_int_equal(acme->links[1].first_us, T0 - 47 * H);
        assert_int_equal(acme->links[1].last_us, T0 + 1 * H);
        assert_int_equal(acme->links[1].tally.posts, 1);
        assert_int_equal(acme->links[1].tally.blocked, 1);
        assert_int_equal(acme->links[1].tally.overrides, 1);
        const struct pw_audit_report_account *sup = &r->accounts[1];
        assert_string_equal(sup->handle, "@Support");
        assert_int_equal(sup->tally.auth_blocks, 1);
        assert_int_equal(sup->links[0].rule, PW_AUDIT_TIE_ONLY_SESSION);
        pw_audit_report_free(r);
        /* caps */
        o.max_links = 1;
        o.max_accounts = 1;
        r = build(f, &o);
        assert_int_equal(r->n_accounts, 1);
        assert_int_equal(r->n_accounts_total, 2);
        assert_int_equal(r->accounts[0].n_links, 1);
        assert_int_equal(r->accounts[0].n_links_total, 2);
        pw_audit_report_free(r);
}

static void test_items(void **state) {
        struct fx *f = *state;
        struct pw_audit_report_options o = {
                .since_us = T0 - 8 * H, .until_us = T0 + 64 * H, .max_items = 2};
        struct pw_audit_report *r = build(f, &o);
        assert_int_equal(r->n_overrides, 2); /* of 3 */
        assert_int_equal(r->overrides[0].time_us, T0 + 50 * H);
        assert_string_equal(r->overrides[0].justification, "third");
        assert_string_equal(r->overrides[0].user, "bob");
        assert_string_equal(r->overrides[0].handle, "@Acme");
        assert_string_equal(r->overrides[0].rules, "confidential/codes");
        assert_null(r->overrides[1].user); /* no session */
        assert_int_equal(r->overrides[1].peer_uid, 1000);
        assert_int_equal(r->n_auth_blocks, 1);
        assert_string_equal(r->auth_blocks[0].handle, "@Support");
        pw_audit_report_free(r);
        /* the period bounds: [since, until) */
        o = (struct pw_audit_report_options){.since_us = T0 + 2 * H, .until_us = T0 + 27 * H};
        r = build(f, &o);
        assert_int_equal(r->tally.overrides, 1);
        assert_int_equal(r->tally.posts, 2);
        assert_int_equal(r->n_overrides, 1);
        assert_string_equal(r->overrides[0].justification, "ok'd <b>");
        pw_audit_report_free(r);
}

static void test_bad_options(void **state) {
        struct fx *f = *state;
        struct pw_audit_report *r = NULL;
        struct pw_error e = {0};
        const int64_t down[] = {T0, T0 - H, T0 + H};
        struct pw_audit_report_options o = {.edges = down, .n_buckets = 2};
        assert_int_equal(pw_audit_report_build(f->a, &o, &r, &e), -EINVAL);
        assert_non_null(strstr(e.text, "ascend"));
        o = (struct pw_audit_report_options){.since_us = T0, .until_us = T0};
        assert_int_equal(pw_audit_report_build(f->a, &o, &r, &e), -EINVAL);
        o = (struct pw_audit_report_options){.edges = down, .n_buckets = 0};
        assert_int_equal(pw_audit_report_build(f->a, &o, &r, &e), -EINVAL);
        assert_null(r);
        assert_int_equal(pw_audit_report_build(NULL, NULL, &r, &e), -EINVAL);
        /* NULL options: everything, no timeline */
        assert_int_equal(pw_audit_report_build(f->a, NULL, &r, &e), 0);
        assert_int_equal(r->tally.posts, 5);
        assert_int_equal(r->n_buckets, 0);
        pw_audit_report_free(r);
        assert_null(pw_audit_report_free(NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_totals_and_timeline, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rules_and_categories, setup, teardown),
                cmocka_unit_test_setup_teardown(test_accounts_and_links, setup, teardown),
                cmocka_unit_test_setup_teardown(test_items, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
