/* libpostwarden-audit: the aggregates behind postwardenctl audit report (issue 13).
 *
 * Cost is what matters here: a year of a busy workstation is a million events, and the report
 * must be built in seconds. So the events of the period are read once, in one pass over the
 * events_by_time index range, and everything per event (totals, timeline, per account and per
 * session counts, sites, policies) is tallied in C from that one row; the findings are grouped in
 * one more query; everything else reads small tables (accounts, links, sessions) or the newest
 * few rows. Lists are capped, with their full counts kept. The statements are this file's own
 * (prepared per report, finalised after), so the handle's statement table is left alone. */
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum {
        DEFAULT_MAX_ACCOUNTS = 50,
        DEFAULT_MAX_LINKS = 20,
        DEFAULT_MAX_ITEMS = 50,
        DEFAULT_MAX_TOP = 15,
        MAX_BUCKETS = 10000,
        MAX_COMPANY_ACCOUNTS = 100000, /* company accounts tallied; more is not a real store */
        MAX_NAMES = 4096,              /* distinct sites or policy ids tallied; the rest: "other" */
};

/* ---- small helpers ------------------------------------------------------------------------- */

/* A copy of column `col` as text, NULL for SQL NULL; *oom set when the copy failed. */
static char *col_dup(sqlite3_stmt *st, int col, bool *oom) {
        const char *s = col_text(st, col);
        if (!s)
                return NULL;
        char *d = strdup(s);
        if (!d)
                *oom = true;
        return d;
}

static sqlite3_stmt *prepare(struct pw_audit *a, const char *sql, int *ret_r,
                             struct pw_error *err) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v3(a->db, sql, -1, 0, &st, NULL);
        if (rc != SQLITE_OK) {
                *ret_r = audit_sql_error(a, rc, "preparing a report query", err);
                sqlite3_finalize(st);
                return NULL;
        }
        return st;
}

/* Binds the period to :since and :until (unbounded ends as the widest range). */
static void bind_period(sqlite3_stmt *st, const struct pw_audit_report *r) {
        bind_i64(st, ":since", r->since_us > 0 ? r->since_us : INT64_MIN);
        bind_i64(st, ":until", r->until_us > 0 ? r->until_us : INT64_MAX);
}

static void tally_add(struct pw_audit_report_tally *t, enum pw_audit_kind kind,
                      const char *action) {
        switch (kind) {
        case PW_AUDIT_POST_ATTEMPT:
                t->posts++;
                if (action && !strcmp(action, "block"))
                        t->blocked++;
                else if (action && !strcmp(action, "warn"))
                        t->warned++;
                break;
        case PW_AUDIT_OVERRIDE:
                t->overrides++;
                break;
        case PW_AUDIT_AUTH_BLOCK:
                t->auth_blocks++;
                break;
        default:
                break;
        }
}

static int64_t tally_weight(const struct pw_audit_report_tally *t) {
        return t->posts + t->overrides + t->auth_blocks;
}

/* ---- a counter of names (sites, policy ids, rules) ------------------------------------------ */

/* Distinct strings with their counts, found through a glibc hash table (hsearch_r): the pass
 * sees a million rows but only a handful of distinct sites, policies and rules. NULL counts in
 * `null`; names past MAX_NAMES in `other`. The entries' names are the keys. */
struct names {
        struct hsearch_data h;
        bool have_h;
        struct pw_audit_report_count *v; /* MAX_NAMES + 1 entries (+ 1: "not recorded") */
        int64_t *last_seq;               /* per entry: the last event counted (findings) */
        size_t n;
        struct pw_audit_report_count null, other;
};

static int names_init(struct names *c) {
        memset(c, 0, sizeof *c);
        if (!hcreate_r(MAX_NAMES * 2, &c->h))
                return -ENOMEM;
        c->have_h = true;
        c->v = calloc(MAX_NAMES + 1, sizeof *c->v);
        c->last_seq = calloc(MAX_NAMES + 1, sizeof *c->last_seq);
        return c->v && c->last_seq ? 0 : -ENOMEM;
}

/* The entry of `s` (NULL: `null`; a new name past MAX_NAMES: `other`), created as needed;
 * *ret_i its index in v (or MAX_NAMES for null and other). NULL when out of memory. */
static struct pw_audit_report_count *names_slot(struct names *c, const char *s, size_t *ret_i) {
        *ret_i = MAX_NAMES;
        if (!s)
                return &c->null;
        ENTRY q = {.key = (char *)s}, *found = NULL;
        if (hsearch_r(q, FIND, &found, &c->h) && found) {
                *ret_i = (size_t)(uintptr_t)found->data;
                return &c->v[*ret_i];
        }
        if (c->n >= MAX_NAMES)
                return &c->other;
        char *name = strdup(s);
        if (!name)
                return NULL;
        q = (ENTRY){.key = name, .data = (void *)(uintptr_t)c->n};
        if (!hsearch_r(q, ENTER, &found, &c->h)) {
                free(name);
                return NULL;
        }
        c->v[c->n].name = name;
        *ret_i = c->n;
        return &c->v[c->n++];
}

/* One event at time t with value s (a site, a policy id). */
static int names_add(struct names *c, const char *s, int64_t t_us) {
        size_t i;
        struct pw_audit_report_count *e = names_slot(c, s, &i);
        if (!e)
                return -ENOMEM;
        if (e->n == 0 || t_us < e->first_us)
                e->first_us = t_us;
        if (e->n == 0 || t_us > e->last_us)
                e->last_us = t_us;
        e->n++;
        e->events++;
        return 0;
}

/* One finding with key s of event `seq`; the findings of one event arrive one after another,
 * so an event is counted once per key by remembering the last one. */
static int names_add_finding(struct names *c, const char *s, int64_t seq, bool override) {
        size_t i;
        struct pw_audit_report_count *e = names_slot(c, s, &i);
        if (!e)
                return -ENOMEM;
        e->n++;
        if (i < MAX_NAMES && c->last_seq[i] == seq)
                return 0;
        if (i < MAX_NAMES)
                c->last_seq[i] = seq;
        e->events++;
        if (override)
                e->overridden++;
        return 0;
}

static int by_count_desc(const void *pa, const void *pb) {
        const struct pw_audit_report_count *a = pa, *b = pb;
        if (a->n != b->n)
                return a->n > b->n ? -1 : 1;
        if (!a->name || !b->name)
                return a->name ? -1 : (b->name ? 1 : 0);
        return strcmp(a->name, b->name);
}

static void counts_free(struct pw_audit_report_count *v, size_t n) {
        for (size_t i = 0; v && i < n; i++) {
                free(v[i].name);
                free(v[i].extra);
        }
        free(v);
}

/* Moves the counts into a list sorted by count of at most `max` entries ("not recorded" is one,
 * with name NULL); *ret_total is the number of distinct values (names past MAX_NAMES count as
 * one). The table is emptied. */
static void names_finish(struct names *c, size_t max, struct pw_audit_report_count **ret_v,
                         size_t *ret_n, size_t *ret_total) {
        size_t n = c->n;
        if (c->null.n)
                c->v[n++] = c->null;
        qsort(c->v, n, sizeof *c->v, by_count_desc);
        *ret_total = n + (c->other.n ? 1 : 0);
        while (n > max) {
                n--;
                free(c->v[n].name);
                c->v[n].name = NULL;
        }
        *ret_v = c->v;
        *ret_n = n;
        c->v = NULL;
        c->n = 0;
}

static void names_free(struct names *c) {
        if (c->have_h)
                hdestroy_r(&c->h);
        counts_free(c->v, c->n);
        free(c->last_seq);
        c->v = NULL;
        c->last_seq = NULL;
}

/* ---- the report -------------------------------------------------------------------------- */

/* An (account, session) pair of a listed link, for finding it from an event. */
struct pair {
        int64_t account_id, session_id;
        struct pw_audit_report_link *link;
};

static int pair_cmp(const void *pa, const void *pb) {
        const struct pair *a = pa, *b = pb;
        if (a->account_id != b->account_id)
                return a->account_id < b->account_id ? -1 : 1;
        return a->session_id < b->session_id ? -1 : a->session_id > b->session_id;
}

static int account_id_cmp(const void *pa, const void *pb) {
        const struct pw_audit_report_account *a = pa, *b = pb;
        return a->id < b->id ? -1 : a->id > b->id;
}

static int account_activity_cmp(const void *pa, const void *pb) {
        const struct pw_audit_report_account *a = pa, *b = pb;
        int64_t wa = tally_weight(&a->tally) + (int64_t)a->n_links_total;
        int64_t wb = tally_weight(&b->tally) + (int64_t)b->n_links_total;
        if (wa != wb)
                return wa > wb ? -1 : 1;
        return a->id < b->id ? -1 : a->id > b->id;
}

static void link_free(struct pw_audit_report_link *l) {
        free(l->user);
        free(l->host);
        free(l->tty);
        free(l->rhost);
        free(l->service);
}

static void account_free(struct pw_audit_report_account *acc) {
        free(acc->site);
        free(acc->handle);
        free(acc->display_name);
        free(acc->policy_name);
        free(acc->stable_id);
        for (size_t i = 0; i < acc->n_links; i++)
                link_free(&acc->links[i]);
        free(acc->links);
}

static void items_free(struct pw_audit_report_item *v, size_t n) {
        for (size_t i = 0; v && i < n; i++) {
                free(v[i].site);
                free(v[i].action);
                free(v[i].mode);
                free(v[i].user);
                free(v[i].host);
                free(v[i].handle);
                free(v[i].rules);
                free(v[i].justification);
        }
        free(v);
}

struct pw_audit_report *pw_audit_report_free(struct pw_audit_report *r) {
        if (!r)
                return NULL;
        free(r->buckets);
        counts_free(r->rules, r->n_rules);
        counts_free(r->categories, r->n_categories);
        counts_free(r->sites, r->n_sites);
        counts_free(r->policies, r->n_policies);
        counts_free(r->hosts, r->n_hosts);
        for (size_t i = 0; i < r->n_accounts; i++)
                account_free(&r->accounts[i]);
        free(r->accounts);
        items_free(r->overrides, r->n_overrides);
        items_free(r->auth_blocks, r->n_auth_blocks);
        free(r);
        return NULL;
}

/* The build's working state. */
struct build {
        struct pw_audit *a;
        struct pw_audit_report *r;
        const struct pw_audit_report_options *o;
        struct pw_error *err;
        size_t cap_accounts; /* company accounts loaded (r->accounts holds them all
                              * until they are ranked and cut) */
        struct pair *pairs;  /* listed links, sorted by (account, session) */
        size_t n_pairs;
        const int64_t *edges; /* o->edges, or NULL */
        size_t n_buckets;
};

/* Steps `st` to the end, calling `row` on each row; a SQLite failure becomes -errno. */
static int each_row(struct build *b, sqlite3_stmt *st, const char *what,
                    int (*row)(struct build *b, sqlite3_stmt *st)) {
        int rc, r = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                if ((r = row(b, st)) < 0)
                        return r;
        return rc == SQLITE_DONE ? 0 : audit_sql_error(b->a, rc, what, b->err);
}

/* -- company accounts and the sessions that used them */

static int account_row(struct build *b, sqlite3_stmt *st) {
        struct pw_audit_report *r = b->r;
        if (r->n_accounts >= MAX_COMPANY_ACCOUNTS)
                return 0;
        if (r->n_accounts == b->cap_accounts) {
                size_t cap = b->cap_accounts ? 2 * b->cap_accounts : 64;
                void *p = realloc(r->accounts, cap * sizeof *r->accounts);
                if (!p)
                        return -ENOMEM;
                r->accounts = p;
                b->cap_accounts = cap;
        }
        bool oom = false;
        struct pw_audit_report_account *acc = &r->accounts[r->n_accounts++];
        *acc = (struct pw_audit_report_account){
                .id = sqlite3_column_int64(st, 0),
                .site = col_dup(st, 1, &oom),
                .handle = col_dup(st, 2, &oom),
                .display_name = col_dup(st, 3, &oom),
                .policy_name = col_dup(st, 4, &oom),
                .stable_id = col_dup(st, 5, &oom),
        };
        return oom ? -ENOMEM : 0;
}

static struct pw_audit_report_account *account_by_id(struct build *b, int64_t id) {
        struct pw_audit_report_account key = {.id = id};
        if (!b->r->n_accounts)
                return NULL;
        return bsearch(&key, b->r->accounts, b->r->n_accounts, sizeof key, account_id_cmp);
}

static int link_row(struct build *b, sqlite3_stmt *st) {
        struct pw_audit_report_account *acc = account_by_id(b, sqlite3_column_int64(st, 0));
        if (!acc)
                return 0;
        acc->n_links_total = (size_t)sqlite3_column_int64(st, 1);
        if (!acc->links) {
                size_t n =
                        acc->n_links_total < b->o->max_links ? acc->n_links_total : b->o->max_links;
                acc->links = calloc(n ? n : 1, sizeof *acc->links);
                if (!acc->links)
                        return -ENOMEM;
        }
        if (acc->n_links >= b->o->max_links || acc->n_links >= acc->n_links_total)
                return 0;
        bool oom = false;
        struct pw_audit_report_link *l = &acc->links[acc->n_links++];
        *l = (struct pw_audit_report_link){
                .session_id = sqlite3_column_int64(st, 2),
                .rule = (enum pw_audit_tie_rule)sqlite3_column_int64(st, 3),
                .first_us = sqlite3_column_int64(st, 4),
                .last_us = sqlite3_column_int64(st, 5),
                .user = col_dup(st, 6, &oom),
                .uid = col_i64(st, 7, -1),
                .host = col_dup(st, 8, &oom),
                .tty = col_dup(st, 9, &oom),
                .rhost = col_dup(st, 10, &oom),
                .service = col_dup(st, 11, &oom),
                .opened_us = col_i64(st, 12, 0),
                .closed_us = col_i64(st, 13, 0),
                .src = audit_source_from_name(col_text(st, 14)),
        };
        return oom ? -ENOMEM : 0;
}

static int load_accounts(struct build *b) {
        static const char accounts_sql[] =
                "SELECT id, site, handle, display_name, policy_name, stable_id FROM accounts "
                "WHERE company = 1 ORDER BY id";
        /* Links used in the period, the latest max_links per account, with how many in all. */
        static const char links_sql[] =
                "SELECT * FROM (SELECT l.account_id, count(*) OVER (PARTITION BY l.account_id), "
                "l.session_id, l.rule, l.first_us, l.last_us, s.user, s.uid, s.host, s.tty, "
                "s.rhost, s.service, s.opened_us, s.closed_us, s.src, row_number() OVER "
                "(PARTITION BY l.account_id ORDER BY l.last_us DESC, l.id DESC) AS rn "
                "FROM session_accounts l JOIN accounts a ON a.id = l.account_id AND a.company = 1 "
                "JOIN sessions s ON s.id = l.session_id "
                "WHERE l.last_us >= :since AND l.first_us < :until) "
                "WHERE rn <= :max ORDER BY 1, rn";
        int r = 0;
        sqlite3_stmt *st = prepare(b->a, accounts_sql, &r, b->err);
        if (!st)
                return r;
        r = each_row(b, st, "reading the company accounts", account_row);
        sqlite3_finalize(st);
        if (r < 0)
                return r;
        if (!(st = prepare(b->a, links_sql, &r, b->err)))
                return r;
        bind_period(st, b->r);
        bind_i64(st, ":max", (int64_t)b->o->max_links);
        r = each_row(b, st, "reading the sessions of company accounts", link_row);
        sqlite3_finalize(st);
        if (r < 0)
                return r;
        /* The listed links by (account, session), for the pass to find. */
        size_t n = 0;
        for (size_t i = 0; i < b->r->n_accounts; i++)
                n += b->r->accounts[i].n_links;
        b->pairs = calloc(n ? n : 1, sizeof *b->pairs);
        if (!b->pairs)
                return -ENOMEM;
        for (size_t i = 0; i < b->r->n_accounts; i++) {
                struct pw_audit_report_account *acc = &b->r->accounts[i];
                for (size_t j = 0; j < acc->n_links; j++)
                        b->pairs[b->n_pairs++] =
                                (struct pair){acc->id, acc->links[j].session_id, &acc->links[j]};
        }
        qsort(b->pairs, b->n_pairs, sizeof *b->pairs, pair_cmp);
        return 0;
}

/* -- the one pass over the period's events */

struct pass {
        struct names sites, policies;
        struct names rules; /* keyed "rule_id \x1f category" */
};

/* The bucket of time t: the last edge <= t, or -1 outside the timeline. */
static long bucket_of(const struct build *b, int64_t t) {
        if (!b->edges || t < b->edges[0] || t >= b->edges[b->n_buckets])
                return -1;
        size_t lo = 0, hi = b->n_buckets; /* edges[lo] <= t < edges[hi] */
        while (hi - lo > 1) {
                size_t mid = lo + (hi - lo) / 2;
                if (b->edges[mid] <= t)
                        lo = mid;
                else
                        hi = mid;
        }
        return (long)lo;
}

/* One event of the pass (its first row). */
static int pass_event(struct build *b, struct pass *p, sqlite3_stmt *st, enum pw_audit_kind kind,
                      int64_t t) {
        struct pw_audit_report *r = b->r;
        const char *action = col_text(st, 3);
        int company = sqlite3_column_int(st, 4);
        int64_t account_id = col_i64(st, 5, 0), session_id = col_i64(st, 6, 0);
        int ret;
        if (r->events == 0 || t < r->first_us)
                r->first_us = t;
        if (r->events == 0 || t > r->last_us)
                r->last_us = t;
        r->events++;
        if (kind > 0 && kind <= PW_AUDIT_PURGE)
                r->by_kind[kind]++;
        if (sqlite3_column_int(st, 9))
                r->redacted++;
        if (kind != PW_AUDIT_POST_ATTEMPT && kind != PW_AUDIT_OVERRIDE &&
            kind != PW_AUDIT_AUTH_BLOCK)
                return 0;
        tally_add(&r->tally, kind, action);
        if (kind != PW_AUDIT_AUTH_BLOCK) {
                if (company)
                        r->company_posts++;
                else
                        r->personal_posts++;
        }
        long bk = bucket_of(b, t);
        if (bk >= 0)
                tally_add(&r->buckets[bk].tally, kind, action);
        if ((ret = names_add(&p->sites, col_text(st, 7), t)) < 0 ||
            (ret = names_add(&p->policies, col_text(st, 8), t)) < 0)
                return ret;
        if (!company || account_id <= 0)
                return 0;
        struct pw_audit_report_account *acc = account_by_id(b, account_id);
        if (!acc)
                return 0;
        tally_add(&acc->tally, kind, action);
        if (session_id <= 0) {
                acc->untied++;
                return 0;
        }
        struct pair key = {account_id, session_id, NULL};
        struct pair *pr = bsearch(&key, b->pairs, b->n_pairs, sizeof key, pair_cmp);
        if (pr)
                tally_add(&pr->link->tally, kind, action);
        return 0;
}

/* Every event of the period, with its findings: one row per finding (an event without any has
 * one row with NULL rule), the rows of one event together. */
static int pass_events(struct build *b, struct pass *p) {
        static const char sql[] =
                "SELECT e.seq, e.time_us, e.kind, e.action, e.company, e.account_id, "
                "e.session_id, e.site, e.policy_id, e.redacted_us IS NOT NULL, f.rule_id, "
                "f.category FROM events e LEFT JOIN findings f ON f.event_seq = e.seq "
                "WHERE e.time_us >= :since AND e.time_us < :until";
        int rc = SQLITE_DONE, ret = 0;
        sqlite3_stmt *st = prepare(b->a, sql, &ret, b->err);
        if (!st)
                return ret;
        bind_period(st, b->r);
        int64_t prev = INT64_MIN;
        enum pw_audit_kind kind = 0;
        char key[512];
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                int64_t seq = sqlite3_column_int64(st, 0);
                if (seq != prev) {
                        prev = seq;
                        kind = pw_audit_kind_from_name(col_text(st, 2));
                        if ((ret = pass_event(b, p, st, kind, sqlite3_column_int64(st, 1))) < 0)
                                break;
                }
                const char *rule = col_text(st, 10), *cat = col_text(st, 11);
                if (!rule || !cat)
                        continue;
                /* rule ids and categories are short policy names; a longer pair is cut */
                snprintf(key, sizeof key, "%.250s\x1f%.250s", rule, cat);
                if ((ret = names_add_finding(&p->rules, key, seq, kind == PW_AUDIT_OVERRIDE)) < 0)
                        break;
        }
        if (ret == 0 && rc != SQLITE_DONE)
                ret = audit_sql_error(b->a, rc, "reading the events of the period", b->err);
        sqlite3_finalize(st);
        return ret;
}

/* Ranks the accounts by activity and keeps those used in the period, at most max_accounts. */
static void cut_accounts(struct build *b) {
        struct pw_audit_report *r = b->r;
        if (r->n_accounts)
                qsort(r->accounts, r->n_accounts, sizeof *r->accounts, account_activity_cmp);
        size_t used = 0;
        while (used < r->n_accounts &&
               (tally_weight(&r->accounts[used].tally) > 0 || r->accounts[used].n_links_total > 0))
                used++;
        r->n_accounts_total = used;
        size_t keep = used < b->o->max_accounts ? used : b->o->max_accounts;
        for (size_t i = keep; i < r->n_accounts; i++)
                account_free(&r->accounts[i]);
        r->n_accounts = keep;
        /* the pairs point into links of accounts: they are not used after this */
        free(b->pairs);
        b->pairs = NULL;
        b->n_pairs = 0;
}

/* -- findings: rules and categories */

/* Splits the rule table's keys into rule and category, sums the categories over all rules, and
 * keeps the top max_top of each. The table is emptied. */
static int rules_finish(struct build *b, struct names *c) {
        struct pw_audit_report *r = b->r;
        size_t n = c->n, ncat = 0;
        struct pw_audit_report_count *v = c->v, *cats = calloc(n ? n : 1, sizeof *cats);
        c->v = NULL;
        c->n = 0;
        int ret = cats ? 0 : -ENOMEM;
        for (size_t i = 0; ret == 0 && i < n; i++) {
                char *sep = strchr(v[i].name, '\x1f');
                if (sep) {
                        *sep = '\0';
                        if (!(v[i].extra = strdup(sep + 1))) {
                                ret = -ENOMEM;
                                break;
                        }
                }
                /* Categories: summed over their rules (an event with findings of two rules of
                 * one category counts once per rule). */
                const char *cat = v[i].extra ? v[i].extra : "";
                size_t k = 0;
                while (k < ncat && strcmp(cats[k].name, cat))
                        k++;
                if (k == ncat && !(cats[ncat++].name = strdup(cat)))
                        ret = -ENOMEM;
                cats[k].n += v[i].n;
                cats[k].events += v[i].events;
                cats[k].overridden += v[i].overridden;
        }
        if (ret < 0) {
                counts_free(v, n);
                counts_free(cats, ncat);
                return ret;
        }
        if (n) {
                qsort(v, n, sizeof *v, by_count_desc);
                qsort(cats, ncat, sizeof *cats, by_count_desc);
        }
        r->n_rules_total = n + (c->other.n ? 1 : 0);
        r->n_categories_total = ncat;
        r->n_rules = n < b->o->max_top ? n : b->o->max_top;
        r->n_categories = ncat < b->o->max_top ? ncat : b->o->max_top;
        for (size_t i = r->n_rules; i < n; i++) {
                free(v[i].name);
                free(v[i].extra);
        }
        for (size_t i = r->n_categories; i < ncat; i++)
                free(cats[i].name);
        r->rules = v;
        r->categories = cats;
        return 0;
}

/* -- the latest overrides and refused company-account uses */

static int items(struct build *b, enum pw_audit_kind kind, struct pw_audit_report_item **ret_v,
                 size_t *ret_n) {
        static const char sql[] =
                "SELECT e.seq, e.time_us, e.site, e.action, e.mode, e.company, e.peer_uid, "
                "s.user, s.host, a.handle, (SELECT group_concat(rule_id, ' ') FROM "
                "(SELECT rule_id FROM findings WHERE event_seq = e.seq ORDER BY ord)), "
                "e.justification, e.redacted_us IS NOT NULL "
                "FROM events e LEFT JOIN sessions s ON s.id = e.session_id "
                "LEFT JOIN accounts a ON a.id = e.account_id AND a.company = 1 "
                "WHERE e.kind = :kind AND e.time_us >= :since AND e.time_us < :until "
                "ORDER BY e.time_us DESC, e.seq DESC LIMIT :max";
        int rc = SQLITE_DONE, ret = 0;
        sqlite3_stmt *st = prepare(b->a, sql, &ret, b->err);
        if (!st)
                return ret;
        bind_period(st, b->r);
        bind_text(st, ":kind", pw_audit_kind_name(kind));
        bind_i64(st, ":max", (int64_t)b->o->max_items);
        struct pw_audit_report_item *v = calloc(b->o->max_items, sizeof *v);
        size_t n = 0;
        if (!v)
                ret = -ENOMEM;
        while (ret == 0 && n < b->o->max_items && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                bool oom = false;
                v[n++] = (struct pw_audit_report_item){
                        .seq = sqlite3_column_int64(st, 0),
                        .time_us = sqlite3_column_int64(st, 1),
                        .kind = kind,
                        .site = col_dup(st, 2, &oom),
                        .action = col_dup(st, 3, &oom),
                        .mode = col_dup(st, 4, &oom),
                        .company = sqlite3_column_int(st, 5),
                        .peer_uid = col_i64(st, 6, -1),
                        .user = col_dup(st, 7, &oom),
                        .host = col_dup(st, 8, &oom),
                        .handle = col_dup(st, 9, &oom),
                        .rules = col_dup(st, 10, &oom),
                        .justification = col_dup(st, 11, &oom),
                        .redacted = sqlite3_column_int(st, 12),
                };
                if (oom)
                        ret = -ENOMEM;
        }
        if (ret == 0 && n < b->o->max_items && rc != SQLITE_DONE)
                ret = audit_sql_error(b->a, rc, "reading overrides", b->err);
        sqlite3_finalize(st);
        if (ret < 0) {
                items_free(v, n);
                return ret;
        }
        *ret_v = v;
        *ret_n = n;
        return 0;
}

/* -- sessions, hosts, the archive and the store's state */

static int small_facts(struct build *b) {
        static const char sessions_sql[] =
                "SELECT count(*), count(DISTINCT user) FROM sessions "
                "WHERE opened_us < :until AND (closed_us IS NULL OR closed_us >= :since)";
        static const char hosts_sql[] =
                "SELECT host, count(*) FROM sessions "
                "WHERE opened_us < :until AND (closed_us IS NULL OR closed_us >= :since) "
                "GROUP BY host ORDER BY 2 DESC, 1";
        static const char archive_sql[] =
                "SELECT count(*) FROM archive x JOIN events e ON e.seq = x.event_seq "
                "WHERE e.time_us >= :since AND e.time_us < :until";
        static const char store_sql[] =
                "SELECT (SELECT count(*) FROM events), (SELECT min(time_us) FROM events), "
                "(SELECT max(time_us) FROM events), "
                "(SELECT count(*) FROM chain_checkpoints WHERE kind = 'head'), "
                "(SELECT max(time_us) FROM chain_checkpoints WHERE kind = 'head')";
        static const char purge_sql[] =
                "SELECT seq, before_us, time_us FROM chain_checkpoints WHERE kind = 'purge' "
                "ORDER BY seq DESC, id DESC LIMIT 1";
        struct pw_audit_report *r = b->r;
        int rc = SQLITE_DONE, ret = 0;
        sqlite3_stmt *st;

        if (!(st = prepare(b->a, sessions_sql, &ret, b->err)))
                return ret;
        bind_period(st, r);
        if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                r->sessions = sqlite3_column_int64(st, 0);
                r->users = sqlite3_column_int64(st, 1);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW)
                return audit_sql_error(b->a, rc, "counting sessions", b->err);

        if (!(st = prepare(b->a, hosts_sql, &ret, b->err)))
                return ret;
        bind_period(st, r);
        size_t n = 0, cap = b->o->max_top;
        r->hosts = calloc(cap ? cap : 1, sizeof *r->hosts);
        if (!r->hosts)
                ret = -ENOMEM;
        while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                r->n_hosts_total++;
                if (n >= cap)
                        continue;
                bool oom = false;
                r->hosts[n] = (struct pw_audit_report_count){.name = col_dup(st, 0, &oom),
                                                             .n = sqlite3_column_int64(st, 1)};
                r->hosts[n].events = r->hosts[n].n;
                r->n_hosts = ++n;
                if (oom)
                        ret = -ENOMEM;
        }
        if (ret == 0 && rc != SQLITE_DONE)
                ret = audit_sql_error(b->a, rc, "reading host names", b->err);
        sqlite3_finalize(st);
        if (ret < 0)
                return ret;

        if (!(st = prepare(b->a, archive_sql, &ret, b->err)))
                return ret;
        bind_period(st, r);
        if ((rc = sqlite3_step(st)) == SQLITE_ROW)
                r->archived = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW)
                return audit_sql_error(b->a, rc, "counting archived posts", b->err);

        if (!(st = prepare(b->a, store_sql, &ret, b->err)))
                return ret;
        if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                r->store.events = sqlite3_column_int64(st, 0);
                r->store.oldest_us = col_i64(st, 1, 0);
                r->store.newest_us = col_i64(st, 2, 0);
                r->store.heads_logged = sqlite3_column_int64(st, 3);
                r->store.last_head_us = col_i64(st, 4, 0);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW)
                return audit_sql_error(b->a, rc, "reading the store's extent", b->err);

        if (!(st = prepare(b->a, purge_sql, &ret, b->err)))
                return ret;
        if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                r->store.purge_seq = sqlite3_column_int64(st, 0);
                r->store.purge_before_us = col_i64(st, 1, 0);
                r->store.purge_time_us = col_i64(st, 2, 0);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return audit_sql_error(b->a, rc, "reading the purge checkpoint", b->err);
        return 0;
}

static int build_all(struct build *b) {
        struct pass p;
        int r = 0;
        memset(&p, 0, sizeof p);
        if ((r = names_init(&p.sites)) >= 0 && (r = names_init(&p.policies)) >= 0 &&
            (r = names_init(&p.rules)) >= 0 && (r = load_accounts(b)) >= 0 &&
            (r = pass_events(b, &p)) >= 0) {
                names_finish(&p.sites, b->o->max_top, &b->r->sites, &b->r->n_sites,
                             &b->r->n_sites_total);
                names_finish(&p.policies, b->o->max_top, &b->r->policies, &b->r->n_policies,
                             &b->r->n_policies_total);
                r = rules_finish(b, &p.rules);
        }
        names_free(&p.sites);
        names_free(&p.policies);
        names_free(&p.rules);
        if (r < 0)
                return r;
        cut_accounts(b);
        if ((r = items(b, PW_AUDIT_OVERRIDE, &b->r->overrides, &b->r->n_overrides)) < 0 ||
            (r = items(b, PW_AUDIT_AUTH_BLOCK, &b->r->auth_blocks, &b->r->n_auth_blocks)) < 0)
                return r;
        return small_facts(b);
}

int pw_audit_report_build(struct pw_audit *a, const struct pw_audit_report_options *opt,
                          struct pw_audit_report **ret, struct pw_error *err) {
        static const struct pw_audit_report_options none = {0};
        if (!a || !ret)
                return -EINVAL;
        struct pw_audit_report_options o = opt ? *opt : none;
        if (o.edges && (o.n_buckets == 0 || o.n_buckets > MAX_BUCKETS)) {
                pw_error_set(err, a->path, 0, 0, NULL, "a timeline of %zu buckets (1 to %d)",
                             o.n_buckets, MAX_BUCKETS);
                return -EINVAL;
        }
        for (size_t i = 0; o.edges && i < o.n_buckets; i++)
                if (o.edges[i] >= o.edges[i + 1]) {
                        pw_error_set(err, a->path, 0, 0, NULL,
                                     "timeline edges must ascend (edge %zu)", i + 1);
                        return -EINVAL;
                }
        if (o.since_us > 0 && o.until_us > 0 && o.since_us >= o.until_us) {
                pw_error_set(err, a->path, 0, 0, NULL, "the period ends before it starts");
                return -EINVAL;
        }
        o.max_accounts = o.max_accounts ? o.max_accounts : DEFAULT_MAX_ACCOUNTS;
        o.max_links = o.max_links ? o.max_links : DEFAULT_MAX_LINKS;
        o.max_items = o.max_items ? o.max_items : DEFAULT_MAX_ITEMS;
        o.max_top = o.max_top ? o.max_top : DEFAULT_MAX_TOP;

        struct pw_audit_report *r = calloc(1, sizeof *r);
        if (!r)
                return -ENOMEM;
        r->since_us = o.since_us;
        r->until_us = o.until_us;
        struct build b = {.a = a, .r = r, .o = &o, .err = err};
        if (o.edges) {
                r->buckets = calloc(o.n_buckets, sizeof *r->buckets);
                if (!r->buckets) {
                        pw_audit_report_free(r);
                        return -ENOMEM;
                }
                r->n_buckets = o.n_buckets;
                for (size_t i = 0; i < o.n_buckets; i++)
                        r->buckets[i].start_us = o.edges[i];
                b.edges = o.edges;
                b.n_buckets = o.n_buckets;
        }
        /* One snapshot for every query: a writer may commit meanwhile. */
        int rc = sqlite3_exec(a->db, "BEGIN", NULL, NULL, NULL);
        int res = rc == SQLITE_OK ? build_all(&b) : audit_sql_error(a, rc, "starting a read", err);
        if (rc == SQLITE_OK)
                sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL);
        free(b.pairs);
        if (res < 0) {
                if (res == -ENOMEM)
                        pw_error_set(err, a->path, 0, 0, NULL, "out of memory building a report");
                pw_audit_report_free(r);
                return res;
        }
        *ret = r;
        return 0;
}
