/* Unit tests for the account and link queries of audit/query.c (postwardenctl audit accounts,
 * --account resolution, export): a real store in a temporary directory, written through the
 * public API, read back through a read-only handle. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "postwarden/audit.h"

#define T0 1793606400000000LL /* 2026-11-02T08:00:00Z */

struct fx {
        char dir[64];          /* temporary directory */
        char db[128];          /* dir/audit.db */
        struct pw_audit *ro;   /* read-only handle on the seeded store */
        int64_t acme, support; /* company accounts on x.com */
        int64_t linkedin;      /* company account on linkedin.com */
        int64_t personal;      /* a personal account on x.com */
        int64_t s1, s2;        /* sessions */
};

static int64_t account(struct pw_audit *a, const char *site, const char *id, const char *handle,
                       const char *name, int company) {
        struct pw_audit_account acct = {
                .site = site,
                .stable_id = id,
                .handle = handle,
                .display_name = company ? "Display" : NULL,
                .company = company,
                .policy_name = name,
                .src = PW_AUDIT_SRC_CLIENT,
                .seen_us = T0,
        };
        int64_t aid = 0;
        struct pw_error e = {0};
        if (pw_audit_account_seen(a, &acct, &aid, &e) < 0)
                fail_msg("account: %s", e.text);
        return aid;
}

static int64_t session(struct pw_audit *a, const char *user, int64_t uid, int64_t t) {
        struct pw_audit_session s = {
                .user = user,
                .uid = uid,
                .service = "sshd",
                .audit_sessionid = -1,
                .loginuid = -1,
                .opened_us = t,
                .src = PW_AUDIT_SRC_PAM,
                .peer_uid = 0,
                .peer_pid = 1,
        };
        int64_t id = 0;
        struct pw_error e = {0};
        if (pw_audit_session_open(a, &s, &id, NULL, &e) < 0)
                fail_msg("session: %s", e.text);
        return id;
}

static void tie(struct pw_audit *a, int64_t s, int64_t acct, enum pw_audit_tie_rule rule) {
        struct pw_error e = {0};
        if (pw_audit_link(a, s, acct, rule, T0 + 1000, NULL, &e) < 0)
                fail_msg("link: %s", e.text);
}

static int setup(void **state) {
        struct fx *f = calloc(1, sizeof *f);
        assert_non_null(f);
        snprintf(f->dir, sizeof f->dir, "/tmp/pw-audit-query-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->db, sizeof f->db, "%s/audit.db", f->dir);
        struct pw_audit_options o = {.path = f->db};
        struct pw_audit *w = NULL;
        struct pw_error e = {0};
        if (pw_audit_open(&o, &w, &e) < 0)
                fail_msg("open: %s", e.text);
        f->acme = account(w, "x.com", "1500000001", "@AcmeCorp", "acme-x", 1);
        f->support = account(w, "x.com", "1500000002", "@AcmeSupport", "acme-support", 1);
        f->linkedin = account(w, "linkedin.com", "urn:li:organization:42", "AcmeCorp",
                              "acme-linkedin", 1);
        f->personal = account(w, "x.com", NULL, "@alice_private", NULL, 0);
        f->s1 = session(w, "alice", 1001, T0 + 10);
        f->s2 = session(w, "bob", 1002, T0 + 20);
        tie(w, f->s1, f->acme, PW_AUDIT_TIE_SESSIONID);
        tie(w, f->s1, f->personal, PW_AUDIT_TIE_SESSIONID);
        tie(w, f->s2, f->acme, PW_AUDIT_TIE_AMBIGUOUS);
        tie(w, f->s2, f->linkedin, PW_AUDIT_TIE_ONLY_SESSION);
        pw_audit_free(w);
        o.flags = PW_AUDIT_READONLY;
        if (pw_audit_open(&o, &f->ro, &e) < 0)
                fail_msg("open read-only: %s", e.text);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fx *f = *state;
        pw_audit_free(f->ro);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
        int r = system(cmd);
        free(f);
        return r == 0 ? 0 : -1;
}

struct got {
        int64_t ids[16];      /* account or link ids, in order */
        int64_t sessions[16]; /* n_sessions per account, or session ids per link */
        int rules[16];        /* links: rule */
        size_t n;             /* rows */
};

static int on_account(const struct pw_audit_account_row *r, void *ud) {
        struct got *g = ud;
        if (g->n < 16) {
                g->ids[g->n] = r->id;
                g->sessions[g->n] = r->n_sessions;
                /* Personal accounts come back as HMACs only. */
                if (!r->company)
                        assert_true(!r->handle && !r->stable_id && r->handle_hmac &&
                                    strlen(r->handle_hmac) == 64);
        }
        g->n++;
        return 0;
}

static struct got accounts(struct fx *f, const struct pw_audit_account_filter *flt) {
        struct got g = {0};
        struct pw_error e = {0};
        if (pw_audit_query_accounts(f->ro, flt, on_account, &g, &e) < 0)
                fail_msg("query accounts: %s", e.text);
        return g;
}

static void accounts_all_in_order(void **state) {
        struct fx *f = *state;
        struct got g = accounts(f, NULL);
        /* company first, then by site and handle */
        assert_int_equal(g.n, 4);
        assert_true(g.ids[0] == f->linkedin);
        assert_true(g.ids[1] == f->acme);
        assert_true(g.ids[2] == f->support);
        assert_true(g.ids[3] == f->personal);
        assert_true(g.sessions[1] == 2); /* @AcmeCorp: both sessions */
        assert_true(g.sessions[2] == 0);
        assert_true(g.sessions[3] == 1);
}

static void accounts_by_name(void **state) {
        struct fx *f = *state;
        static const char *const acme_names[] = {"@AcmeCorp",  "AcmeCorp", "@acmecorp",
                                                 "1500000001", "acme-x",   "ACME-X"};
        for (size_t i = 0; i < sizeof acme_names / sizeof *acme_names; i++) {
                struct pw_audit_account_filter flt = {.name = acme_names[i], .site = "x.com"};
                struct got g = accounts(f, &flt);
                if (g.n != 1 || g.ids[0] != f->acme)
                        fail_msg("'%s' found %zu accounts", acme_names[i], g.n);
        }
        /* Without a site, the handle matches on both sites. */
        struct pw_audit_account_filter both = {.name = "acmecorp"};
        struct got g = accounts(f, &both);
        assert_int_equal(g.n, 2);
        /* A personal handle is never matched in clear. */
        struct pw_audit_account_filter priv = {.name = "@alice_private"};
        assert_int_equal(accounts(f, &priv).n, 0);
        struct pw_audit_account_filter none = {.name = "@Nobody"};
        assert_int_equal(accounts(f, &none).n, 0);
}

static void accounts_filters(void **state) {
        struct fx *f = *state;
        struct pw_audit_account_filter personal = {.which = PW_AUDIT_ACCOUNTS_PERSONAL};
        struct got g = accounts(f, &personal);
        assert_int_equal(g.n, 1);
        assert_true(g.ids[0] == f->personal);
        struct pw_audit_account_filter company = {.which = PW_AUDIT_ACCOUNTS_COMPANY,
                                                  .site = "x.com"};
        assert_int_equal(accounts(f, &company).n, 2);
        struct pw_audit_account_filter of_s2 = {.session_id = f->s2};
        g = accounts(f, &of_s2);
        assert_int_equal(g.n, 2);
        assert_true(g.ids[0] == f->linkedin && g.ids[1] == f->acme);
        struct pw_audit_account_filter by_id = {.account_id = f->support};
        g = accounts(f, &by_id);
        assert_int_equal(g.n, 1);
        assert_true(g.ids[0] == f->support);
        struct pw_audit_account_filter limited = {.limit = 3, .no_counts = 1};
        g = accounts(f, &limited);
        assert_int_equal(g.n, 3);
        assert_true(g.sessions[1] == 0); /* not counted */
}

static int on_link(const struct pw_audit_link_row *r, void *ud) {
        struct got *g = ud;
        if (g->n < 16) {
                g->ids[g->n] = r->account_id;
                g->sessions[g->n] = r->session_id;
                g->rules[g->n] = (int)r->rule;
                assert_int_equal(r->src, PW_AUDIT_SRC_SERVICE);
                assert_true(r->first_us == T0 + 1000);
        }
        g->n++;
        return 0;
}

static void links(void **state) {
        struct fx *f = *state;
        struct got g = {0};
        struct pw_error e = {0};
        assert_int_equal(pw_audit_query_links(f->ro, NULL, on_link, &g, &e), 0);
        assert_int_equal(g.n, 4);
        struct pw_audit_link_filter by_acct = {.account_id = f->acme};
        memset(&g, 0, sizeof g);
        assert_int_equal(pw_audit_query_links(f->ro, &by_acct, on_link, &g, &e), 0);
        assert_int_equal(g.n, 2);
        assert_true(g.sessions[0] == f->s1 && g.rules[0] == PW_AUDIT_TIE_SESSIONID);
        assert_true(g.sessions[1] == f->s2 && g.rules[1] == PW_AUDIT_TIE_AMBIGUOUS);
        struct pw_audit_link_filter by_session = {.session_id = f->s1};
        memset(&g, 0, sizeof g);
        assert_int_equal(pw_audit_query_links(f->ro, &by_session, on_link, &g, &e), 0);
        assert_int_equal(g.n, 2);
        assert_true(g.ids[0] == f->acme && g.ids[1] == f->personal);
}

static int stop_early(const struct pw_audit_account_row *r, void *ud) {
        (*(int *)ud)++;
        return 7;
}

static void callback_stops(void **state) {
        struct fx *f = *state;
        int calls = 0;
        assert_int_equal(pw_audit_query_accounts(f->ro, NULL, stop_early, &calls, NULL), 7);
        assert_int_equal(calls, 1);
        /* The statement was reset: the next query starts afresh. */
        assert_int_equal(accounts(f, NULL).n, 4);
        assert_int_equal(pw_audit_query_accounts(NULL, NULL, stop_early, &calls, NULL), -EINVAL);
        assert_int_equal(pw_audit_query_links(f->ro, NULL, NULL, NULL, NULL), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(accounts_all_in_order), cmocka_unit_test(accounts_by_name),
                cmocka_unit_test(accounts_filters),      cmocka_unit_test(links),
                cmocka_unit_test(callback_stops),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
