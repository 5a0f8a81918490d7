/* postwardenctl audit: the admin's questions to the audit trail (docs/audit.md, "For admins").
 *
 *   audit sessions  login sessions; with --account/--site: who acted as that account, by which rule
 *   audit accounts  company and personal accounts seen
 *   audit events    the hash-chained events, in time order
 *   audit posts     archived company posts (with --account, --user, ...), redacted ones marked
 *   audit verify    walk the hash chain, check it against syslog heads (--heads FILE); exit 1 when
 *                   broken
 *   audit purge     delete events before --before DATE (default: the policy's retention)
 *   audit redact    replace an event's archived text with a tombstone (--event N --reason TEXT)
 *   audit export    everything stored about one employee (--user NAME), as one JSON document
 *
 * Queries read the database read-only and directly (pw_cli_audit_open): access is the file
 * permission of the postwarden-admin group. purge and redact change the store, so they go
 * through postwardend, its only writer (include/postwarden/client.h).
 * Exit status: 0 done, 1 verify found the chain broken, 2 usage, runtime error, denied. */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "audit_heads.h"
#include "audit_util.h"
#include "cli.h"
#include "postwarden/audit.h"
#include "postwarden/client.h"

#define MAX_ACCOUNTS      256       /* accounts one --account/--site may name */
#define MAX_HEADS_FILE    (1 << 30) /* bytes of a --heads file */
#define PURGE_TIMEOUT_MS  (10 * 60 * 1000)
#define REDACT_TIMEOUT_MS (60 * 1000)

/* ---- options -------------------------------------------------------------------------------- */

/* Which options a subcommand takes. */
enum {
        O_FILTER = 1 << 0, /* --user --account --site --since --until --session --limit */
        O_FORMAT = 1 << 1, /* --csv --json --table --utc */
        O_DB = 1 << 2,     /* --db */
        O_SOCKET = 1 << 3, /* --socket */
        O_VERIFY = 1 << 4, /* --heads --host */
        O_PURGE = 1 << 5,  /* --before */
        O_REDACT = 1 << 6, /* --event --reason */
        O_KIND = 1 << 7,   /* --kind */
        O_JSON = 1 << 8,   /* --json only */
};

struct opts {
        const char *db;          /* --db, NULL: the service's default */
        const char *socket;      /* --socket, NULL: PW_SOCKET_DEFAULT */
        enum pw_out_format fmt;  /* --csv/--json/--table */
        bool utc;                /* --utc */
        const char *user;        /* --user */
        const char *account;     /* --account */
        const char *site;        /* --site */
        int64_t since, until;    /* --since/--until, 0: none */
        int64_t session;         /* --session, 0: any */
        size_t limit;            /* --limit, 0: none */
        enum pw_audit_kind kind; /* --kind */
        const char *heads;       /* --heads FILE */
        const char *host;        /* --host NAME */
        const char *before;      /* --before DATE (as given) */
        int64_t before_us;       /* ... parsed */
        int64_t event;           /* --event N */
        const char *reason;      /* --reason TEXT */
};

enum {
        OPT_DB = 256,
        OPT_SOCKET,
        OPT_CSV,
        OPT_JSON,
        OPT_TABLE,
        OPT_UTC,
        OPT_USER,
        OPT_ACCOUNT,
        OPT_SITE,
        OPT_SINCE,
        OPT_UNTIL,
        OPT_SESSION,
        OPT_LIMIT,
        OPT_KIND,
        OPT_HEADS,
        OPT_HOST,
        OPT_BEFORE,
        OPT_EVENT,
        OPT_REASON,
        OPT_HELP,
};

static const struct {
        int opt;       /* getopt value */
        unsigned need; /* the O_* group it belongs to */
} opt_group[] = {
        {OPT_DB, O_DB},         {OPT_SOCKET, O_SOCKET},
        {OPT_CSV, O_FORMAT},    {OPT_JSON, O_FORMAT | O_JSON},
        {OPT_TABLE, O_FORMAT},  {OPT_UTC, O_FORMAT},
        {OPT_USER, O_FILTER},   {OPT_ACCOUNT, O_FILTER},
        {OPT_SITE, O_FILTER},   {OPT_SINCE, O_FILTER},
        {OPT_UNTIL, O_FILTER},  {OPT_SESSION, O_FILTER},
        {OPT_LIMIT, O_FILTER},  {OPT_KIND, O_KIND},
        {OPT_HEADS, O_VERIFY},  {OPT_HOST, O_VERIFY},
        {OPT_BEFORE, O_PURGE},  {OPT_EVENT, O_REDACT},
        {OPT_REASON, O_REDACT},
};

static int usage(FILE *f) {
        fprintf(f,
                "usage: postwardenctl audit sessions [FILTERS] [FORMAT] [--db PATH]\n"
                "       postwardenctl audit accounts [FILTERS] [FORMAT] [--db PATH]\n"
                "       postwardenctl audit events   [FILTERS] [--kind KIND] [FORMAT] [--db PATH]\n"
                "       postwardenctl audit posts    [FILTERS] [FORMAT] [--db PATH]\n"
                "       postwardenctl audit verify   [--heads FILE [--host NAME]] [--json] "
                "[--db PATH]\n"
                "       postwardenctl audit purge    [--before DATE] [--json] [--socket PATH]\n"
                "       postwardenctl audit redact   --event N --reason TEXT [--json] "
                "[--socket PATH]\n"
                "       postwardenctl audit export   --user NAME [--utc] [--db PATH]\n"
                "       postwardenctl audit report   [--since TIME] [--until TIME] [-o FILE] "
                "[--utc] [--db PATH]\n"
                "FILTERS: --user NAME --account HANDLE|ID|NAME --site SITE --since TIME "
                "--until TIME\n"
                "         --session ID --limit N\n"
                "FORMAT:  --table (default) | --csv | --json (one object per line); --utc\n"
                "TIME:    2026-11-27, 2026-11-27T10:00[:05][Z|+01:00] (local time without an "
                "offset),\n"
                "         or 7d, 24h, 30m, 90s, 2w ago\n"
                "Queries read %s read-only (members of the %s group);\n"
                "purge and redact go through postwardend at %s.\n",
                PW_CLI_AUDIT_DB_DEFAULT, PW_CLI_ADMIN_GROUP, PW_SOCKET_DEFAULT);
        return f == stdout ? PW_CLI_EXIT_OK : PW_CLI_EXIT_ERROR;
}

/* Prints "postwardenctl audit CMD: <fmt with arg>" and gives the usage exit status. */
#define opt_error(cmd, fmt, arg)                                                                   \
        (fprintf(stderr, "postwardenctl audit %s: " fmt "\n", cmd, arg), PW_CLI_EXIT_ERROR)

static int parse_id(const char *cmd, const char *flag, const char *arg, int64_t *ret) {
        char *end;
        errno = 0;
        long long v = strtoll(arg, &end, 10);
        if (errno || end == arg || *end || v < 1)
                return fprintf(stderr,
                               "postwardenctl audit %s: %s wants a positive number, not '%s'\n",
                               cmd, flag, arg),
                       PW_CLI_EXIT_ERROR;
        *ret = v;
        return 0;
}

static int parse_time(const char *cmd, const char *flag, const char *arg, int64_t *ret) {
        struct pw_error err = {0};
        if (pw_cli_time_parse(arg, pw_cli_now_us(), ret, &err) < 0) {
                fprintf(stderr, "postwardenctl audit %s: %s: %s\n", cmd, flag, err.text);
                return PW_CLI_EXIT_ERROR;
        }
        return 0;
}

/* Parses argv (argv[0] is the subcommand) into *o, accepting the groups in `allowed`. Returns 0,
 * PW_CLI_EXIT_ERROR on a usage error (printed), or -1 for --help (usage printed). */
static int parse_opts(int argc, char **argv, unsigned allowed, struct opts *o) {
        static const struct option longopts[] = {
                {"db", required_argument, NULL, OPT_DB},
                {"socket", required_argument, NULL, OPT_SOCKET},
                {"csv", no_argument, NULL, OPT_CSV},
                {"json", no_argument, NULL, OPT_JSON},
                {"table", no_argument, NULL, OPT_TABLE},
                {"utc", no_argument, NULL, OPT_UTC},
                {"user", required_argument, NULL, OPT_USER},
                {"account", required_argument, NULL, OPT_ACCOUNT},
                {"site", required_argument, NULL, OPT_SITE},
                {"since", required_argument, NULL, OPT_SINCE},
                {"until", required_argument, NULL, OPT_UNTIL},
                {"session", required_argument, NULL, OPT_SESSION},
                {"limit", required_argument, NULL, OPT_LIMIT},
                {"kind", required_argument, NULL, OPT_KIND},
                {"heads", required_argument, NULL, OPT_HEADS},
                {"host", required_argument, NULL, OPT_HOST},
                {"before", required_argument, NULL, OPT_BEFORE},
                {"event", required_argument, NULL, OPT_EVENT},
                {"reason", required_argument, NULL, OPT_REASON},
                {"help", no_argument, NULL, OPT_HELP},
                {NULL, 0, NULL, 0},
        };
        const char *cmd = argv[0];
        int c, idx = -1;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "", longopts, &idx)) != -1) {
                if (c == OPT_HELP)
                        return usage(stdout), -1;
                if (c == '?' || c == ':')
                        return opt_error(cmd, "unknown option or missing value: '%s' (see --help)",
                                         argv[optind - 1]);
                unsigned group = 0;
                for (size_t i = 0; i < sizeof opt_group / sizeof *opt_group; i++)
                        if (opt_group[i].opt == c)
                                group = opt_group[i].need;
                /* --json is allowed by O_JSON alone (verify, purge, redact) */
                if (!(group & allowed))
                        return opt_error(cmd, "--%s does not apply here (see --help)",
                                         idx >= 0 ? longopts[idx].name : "?");
                int st = 0;
                switch (c) {
                case OPT_DB:
                        o->db = optarg;
                        break;
                case OPT_SOCKET:
                        o->socket = optarg;
                        break;
                case OPT_CSV:
                        o->fmt = PW_OUT_CSV;
                        break;
                case OPT_JSON:
                        o->fmt = PW_OUT_JSON;
                        break;
                case OPT_TABLE:
                        o->fmt = PW_OUT_TABLE;
                        break;
                case OPT_UTC:
                        o->utc = true;
                        break;
                case OPT_USER:
                        o->user = optarg;
                        break;
                case OPT_ACCOUNT:
                        o->account = optarg;
                        break;
                case OPT_SITE:
                        o->site = optarg;
                        break;
                case OPT_SINCE:
                        st = parse_time(cmd, "--since", optarg, &o->since);
                        break;
                case OPT_UNTIL:
                        st = parse_time(cmd, "--until", optarg, &o->until);
                        break;
                case OPT_SESSION:
                        st = parse_id(cmd, "--session", optarg, &o->session);
                        break;
                case OPT_LIMIT: {
                        int64_t n = 0;
                        st = parse_id(cmd, "--limit", optarg, &n);
                        o->limit = (size_t)n;
                        break;
                }
                case OPT_KIND:
                        o->kind = pw_audit_kind_from_name(optarg);
                        if (!o->kind)
                                st = opt_error(cmd,
                                               "--kind: unknown kind '%s' (session_open, "
                                               "session_close, account_seen, session_link, "
                                               "post_attempt, auth_block, override, redaction, "
                                               "purge)",
                                               optarg);
                        break;
                case OPT_HEADS:
                        o->heads = optarg;
                        break;
                case OPT_HOST:
                        o->host = optarg;
                        break;
                case OPT_BEFORE:
                        o->before = optarg;
                        st = parse_time(cmd, "--before", optarg, &o->before_us);
                        break;
                case OPT_EVENT:
                        st = parse_id(cmd, "--event", optarg, &o->event);
                        break;
                case OPT_REASON:
                        o->reason = optarg;
                        break;
                }
                if (st)
                        return st;
        }
        if (optind < argc)
                return opt_error(cmd, "unexpected argument '%s' (see --help)", argv[optind]);
        if (o->since && o->until && o->since >= o->until) {
                fprintf(stderr, "postwardenctl audit %s: --since must be before --until\n", cmd);
                return PW_CLI_EXIT_ERROR;
        }
        return 0;
}

/* ---- shared look-ups ------------------------------------------------------------------------ */

static const char *rule_name(enum pw_audit_tie_rule r) {
        switch (r) {
        case PW_AUDIT_TIE_SESSIONID:
                return "sessionid";
        case PW_AUDIT_TIE_USER_MANAGER:
                return "user-manager";
        case PW_AUDIT_TIE_ONLY_SESSION:
                return "only-session";
        case PW_AUDIT_TIE_AMBIGUOUS:
                return "ambiguous";
        }
        return NULL;
}

static json_t *src_json(enum pw_audit_source s) {
        const char *n = pw_audit_source_name(s);
        return n ? json_string(n) : json_null();
}

static json_t *time_json(int64_t us, bool utc) {
        char buf[PW_CLI_TIME_MAX];
        return json_string(pw_cli_time_format(us, utc, buf));
}

static json_t *opt_int(int64_t v, int64_t unset) {
        return v == unset ? json_null() : json_integer(v);
}

/* What queries need besides the filter: the store, options and a map of accounts. */
struct ctx {
        struct pw_audit *a;        /* the store, read-only */
        const struct opts *o;      /* options */
        json_t *accounts;          /* "id" -> account row object, every account */
        struct pw_out *out;        /* the output in progress */
        int64_t ids[MAX_ACCOUNTS]; /* accounts the --account/--site filter names */
        size_t n_ids;              /* entries in ids */
        int error;                 /* first -errno from an output callback */
};

/* The account's label: a company account's handle (or stable id), "personal:<hmac prefix>". */
static json_t *account_label(const struct pw_audit_account_row *r) {
        if (r->company)
                return pw_cli_json_str(r->handle ? r->handle : r->stable_id);
        char buf[40];
        snprintf(buf, sizeof buf, "personal:%.12s", r->handle_hmac ? r->handle_hmac : "?");
        return json_string(buf);
}

static json_t *account_json(const struct pw_audit_account_row *r, bool utc) {
        json_t *o = json_object();
        if (!o)
                return NULL;
        json_object_set_new(o, "account_id", json_integer(r->id));
        json_object_set_new(o, "site", pw_cli_json_str(r->site));
        json_object_set_new(o, "kind", json_string(r->company ? "company" : "personal"));
        json_object_set_new(o, "account", account_label(r));
        json_object_set_new(o, "handle", pw_cli_json_str(r->handle));
        json_object_set_new(o, "name", pw_cli_json_str(r->policy_name));
        json_object_set_new(o, "display_name", pw_cli_json_str(r->display_name));
        json_object_set_new(o, "stable_id", pw_cli_json_str(r->stable_id));
        json_object_set_new(o, "handle_hmac", pw_cli_json_str(r->handle_hmac));
        json_object_set_new(o, "sessions", json_integer(r->n_sessions));
        json_object_set_new(o, "first_seen", time_json(r->first_seen_us, utc));
        json_object_set_new(o, "first_seen_us", json_integer(r->first_seen_us));
        json_object_set_new(o, "last_seen", time_json(r->last_seen_us, utc));
        json_object_set_new(o, "last_seen_us", json_integer(r->last_seen_us));
        json_object_set_new(o, "src", src_json(r->src));
        return o;
}

static int collect_account(const struct pw_audit_account_row *r, void *ud) {
        struct ctx *c = ud;
        char key[24];
        snprintf(key, sizeof key, "%lld", (long long)r->id);
        json_t *j = account_json(r, c->o->utc);
        return j && json_object_set_new(c->accounts, key, j) == 0 ? 0 : -ENOMEM;
}

static json_t *account_of(struct ctx *c, int64_t id) {
        char key[24];
        snprintf(key, sizeof key, "%lld", (long long)id);
        return json_object_get(c->accounts, key);
}

static int note_id(const struct pw_audit_account_row *r, void *ud) {
        struct ctx *c = ud;
        if (c->n_ids == MAX_ACCOUNTS)
                return -E2BIG;
        c->ids[c->n_ids++] = r->id;
        return 0;
}

static void print_store_error(int r, const struct pw_error *err) {
        char buf[512];
        pw_error_format(err, buf, sizeof buf);
        fprintf(stderr, "postwardenctl: %s\n", err->text[0] ? buf : strerror(-r));
}

/* Opens the store, loads the account map and resolves --account/--site into c->ids. Returns 0 or
 * an exit status (printed). */
static int ctx_open(struct ctx *c, const struct opts *o) {
        memset(c, 0, sizeof *c);
        c->o = o;
        int st = pw_cli_audit_open(o->db, &c->a);
        if (st)
                return st;
        struct pw_error err = {0};
        /* The map labels accounts in rows; it needs no session counts. */
        struct pw_audit_account_filter all = {.no_counts = 1};
        c->accounts = json_object();
        int r = c->accounts ? pw_audit_query_accounts(c->a, &all, collect_account, c, &err)
                            : -ENOMEM;
        if (r < 0) {
                print_store_error(r, &err);
                return PW_CLI_EXIT_ERROR;
        }
        if (o->account || o->site) {
                struct pw_audit_account_filter f = {
                        .site = o->site, .name = o->account, .no_counts = 1};
                r = pw_audit_query_accounts(c->a, &f, note_id, c, &err);
                if (r == -E2BIG) {
                        fprintf(stderr,
                                "postwardenctl: more than %d accounts match; narrow the "
                                "filter with --site or --account\n",
                                MAX_ACCOUNTS);
                        return PW_CLI_EXIT_ERROR;
                }
                if (r < 0) {
                        print_store_error(r, &err);
                        return PW_CLI_EXIT_ERROR;
                }
        }
        return 0;
}

static void ctx_close(struct ctx *c) {
        json_decref(c->accounts);
        pw_audit_free(c->a);
}

/* Finishes the output: 0, or PW_CLI_EXIT_ERROR with a message when it could not be written. */
static int finish(struct ctx *c, int r, const struct pw_error *err) {
        int w = pw_out_finish(c->out);
        c->out = NULL;
        if (r < 0 && r != -EPIPE) {
                if (c->error)
                        fprintf(stderr, "postwardenctl: writing the output: %s\n",
                                strerror(-c->error));
                else
                        print_store_error(r, err);
                return PW_CLI_EXIT_ERROR;
        }
        if (w < 0 && w != -EPIPE) {
                fprintf(stderr, "postwardenctl: writing the output: %s\n", strerror(-w));
                return PW_CLI_EXIT_ERROR;
        }
        return r < 0 || w < 0 ? PW_CLI_EXIT_ERROR : PW_CLI_EXIT_OK;
}

/* Adds a row to the output, remembering a write error to stop the walk. */
static int emit(struct ctx *c, json_t *row) {
        int r = pw_out_add(c->out, row);
        if (r < 0 && !c->error)
                c->error = r;
        return r < 0 ? r : 0;
}

/* The uids a login name had: its sessions' uids, and the passwd entry's. */
struct uids {
        int64_t v[64]; /* distinct uids */
        size_t n;      /* entries used */
};

static void add_uid(struct uids *u, int64_t uid) {
        if (uid < 0)
                return;
        for (size_t i = 0; i < u->n; i++)
                if (u->v[i] == uid)
                        return;
        if (u->n < sizeof u->v / sizeof *u->v)
                u->v[u->n++] = uid;
}

/* ---- sessions ------------------------------------------------------------------------------- */

static const struct pw_out_column session_cols[] = {
        {"session", NULL}, {"user", NULL},  {"host", NULL},   {"service", NULL},
        {"tty", NULL},     {"rhost", NULL}, {"opened", NULL}, {"closed", NULL},
};

static const struct pw_out_column session_account_cols[] = {
        {"session", NULL}, {"user", NULL},  {"host", NULL},   {"service", NULL},
        {"tty", NULL},     {"rhost", NULL}, {"opened", NULL}, {"closed", NULL},
        {"account", NULL}, {"site", NULL},  {"rule", NULL},
};

static json_t *session_json(struct ctx *c, const struct pw_audit_session_row *s) {
        bool utc = c->o->utc;
        json_t *o = json_object();
        if (!o)
                return NULL;
        json_object_set_new(o, "session", json_integer(s->id));
        json_object_set_new(o, "user", pw_cli_json_str(s->user));
        json_object_set_new(o, "uid", opt_int(s->uid, -1));
        json_object_set_new(o, "host", pw_cli_json_str(s->host));
        json_object_set_new(o, "service", pw_cli_json_str(s->service));
        json_object_set_new(o, "tty", pw_cli_json_str(s->tty));
        json_object_set_new(o, "rhost", pw_cli_json_str(s->rhost));
        json_object_set_new(o, "xdg_session_id", pw_cli_json_str(s->xdg_session_id));
        json_object_set_new(o, "audit_sessionid", opt_int(s->audit_sessionid, -1));
        json_object_set_new(o, "loginuid", opt_int(s->loginuid, -1));
        json_object_set_new(o, "opened", time_json(s->opened_us, utc));
        json_object_set_new(o, "opened_us", json_integer(s->opened_us));
        json_object_set_new(o, "closed", s->closed_us ? time_json(s->closed_us, utc) : json_null());
        json_object_set_new(o, "closed_us",
                            s->closed_us ? json_integer(s->closed_us) : json_null());
        json_object_set_new(o, "src", src_json(s->src));
        if (s->account_id > 0) {
                json_t *acct = account_of(c, s->account_id);
                json_object_set_new(o, "account_id", json_integer(s->account_id));
                json_object_set(o, "account", json_object_get(acct, "account"));
                json_object_set(o, "site", json_object_get(acct, "site"));
                json_object_set_new(o, "rule", json_string(rule_name(s->rule)));
                json_object_set_new(o, "link_src", json_string("service"));
        }
        return o;
}

struct session_walk {
        struct ctx *c; /* the query */
        json_t *rows;  /* collected rows when several accounts are merged, else NULL */
        size_t n;      /* rows emitted or collected */
};

static int on_session(const struct pw_audit_session_row *s, void *ud) {
        struct session_walk *w = ud;
        if (w->c->o->session && s->id != w->c->o->session)
                return 0;
        json_t *row = session_json(w->c, s);
        if (!row)
                return -ENOMEM;
        w->n++;
        if (w->rows)
                return json_array_append_new(w->rows, row) == 0 ? 0 : -ENOMEM;
        return emit(w->c, row);
}

/* Compares the integer member `key` of two rows: -1, 0 or 1. */
static int cmp_member(json_t *a, json_t *b, const char *key) {
        json_int_t va = json_integer_value(json_object_get(a, key));
        json_int_t vb = json_integer_value(json_object_get(b, key));
        return va < vb ? -1 : va > vb;
}

/* Newest first, as pw_audit_query_sessions orders them. */
static int by_opened_desc(const void *x, const void *y) {
        json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
        int r = cmp_member(b, a, "opened_us");
        if (!r)
                r = cmp_member(b, a, "session");
        return r ? r : cmp_member(a, b, "account_id");
}

/* Emits the collected rows of `arr` sorted with `cmp`, at most `limit` (0: all). */
static int emit_sorted(struct ctx *c, json_t *arr, int (*cmp)(const void *, const void *),
                       size_t limit) {
        size_t n = json_array_size(arr);
        json_t **v = malloc((n ? n : 1) * sizeof *v);
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                v[i] = json_array_get(arr, i);
        qsort(v, n, sizeof *v, cmp);
        int r = 0;
        for (size_t i = 0; i < n && r >= 0 && (!limit || i < limit); i++)
                r = emit(c, json_incref(v[i]));
        free(v);
        return r;
}

static int cmd_sessions(int argc, char **argv) {
        struct opts o = {0};
        int st = parse_opts(argc, argv, O_FILTER | O_FORMAT | O_DB, &o);
        if (st)
                return st < 0 ? 0 : st;
        struct ctx c;
        if ((st = ctx_open(&c, &o))) {
                ctx_close(&c);
                return st;
        }
        bool by_account = o.account || o.site;
        c.out = by_account ? pw_out_new(stdout, o.fmt, session_account_cols, 11)
                           : pw_out_new(stdout, o.fmt, session_cols, 8);
        struct pw_error err = {0};
        struct session_walk w = {.c = &c};
        struct pw_audit_session_filter f = {
                .user = o.user,
                .since_us = o.since,
                .until_us = o.until,
                .limit = o.session ? 0 : o.limit,
        };
        int r = c.out ? 0 : -ENOMEM;
        if (r == 0 && !by_account) {
                r = pw_audit_query_sessions(c.a, &f, on_session, &w, &err);
        } else if (r == 0 && c.n_ids == 1) {
                f.account_id = c.ids[0];
                r = pw_audit_query_sessions(c.a, &f, on_session, &w, &err);
        } else if (r == 0 && c.n_ids > 1) {
                /* Several accounts match (a handle on several sites, or --site): merge. */
                w.rows = json_array();
                r = w.rows ? 0 : -ENOMEM;
                for (size_t i = 0; r >= 0 && i < c.n_ids; i++) {
                        f.account_id = c.ids[i];
                        r = pw_audit_query_sessions(c.a, &f, on_session, &w, &err);
                }
                if (r >= 0)
                        r = emit_sorted(&c, w.rows, by_opened_desc, o.limit);
                json_decref(w.rows);
        }
        if (r >= 0 && by_account && c.n_ids == 0)
                fprintf(stderr, "postwardenctl: no account matches%s%s%s%s\n",
                        o.account ? " --account " : "", o.account ? o.account : "",
                        o.site ? " --site " : "", o.site ? o.site : "");
        st = finish(&c, r, &err);
        ctx_close(&c);
        return st;
}

/* ---- accounts ------------------------------------------------------------------------------- */

static const struct pw_out_column account_cols[] = {
        {"account_id", "ID"},
        {"site", NULL},
        {"kind", NULL},
        {"account", NULL},
        {"name", NULL},
        {"display_name", "DISPLAY NAME"},
        {"sessions", NULL},
        {"first_seen", "FIRST SEEN"},
        {"last_seen", "LAST SEEN"},
};

struct session_ids {
        int64_t *v;       /* session ids */
        size_t n, cap;    /* used, allocated */
        struct uids uids; /* the sessions' uids */
};

static int collect_session_id(const struct pw_audit_session_row *s, void *ud) {
        struct session_ids *ids = ud;
        if (ids->n == ids->cap) {
                size_t cap = ids->cap ? ids->cap * 2 : 64;
                int64_t *v = realloc(ids->v, cap * sizeof *v);
                if (!v)
                        return -ENOMEM;
                ids->v = v;
                ids->cap = cap;
        }
        ids->v[ids->n++] = s->id;
        add_uid(&ids->uids, s->uid);
        return 0;
}

/* Every session of login name `user` (any time), and its uids (also from the passwd entry). */
static int user_sessions(struct ctx *c, const char *user, struct session_ids *ids,
                         struct pw_error *err) {
        struct pw_audit_session_filter f = {.user = user};
        int r = pw_audit_query_sessions(c->a, &f, collect_session_id, ids, err);
        struct passwd *pw = getpwnam(user);
        if (pw)
                add_uid(&ids->uids, pw->pw_uid);
        return r;
}

struct account_walk {
        struct ctx *c; /* the query */
        json_t *only;  /* "id" -> true: list only these accounts (--user, --session), or NULL */
};

/* Phase one of --user/--session: which accounts their sessions are linked to. */
static int note_linked(const struct pw_audit_account_row *a, void *ud) {
        char key[24];
        snprintf(key, sizeof key, "%lld", (long long)a->id);
        return json_object_set_new(ud, key, json_true());
}

static int on_account(const struct pw_audit_account_row *a, void *ud) {
        struct account_walk *w = ud;
        const struct opts *o = w->c->o;
        if (o->since && a->last_seen_us < o->since)
                return 0;
        if (o->until && a->first_seen_us >= o->until)
                return 0;
        if (w->only) {
                char key[24];
                snprintf(key, sizeof key, "%lld", (long long)a->id);
                if (!json_object_get(w->only, key))
                        return 0;
        }
        if (o->limit && pw_out_rows(w->c->out) >= o->limit)
                return 1; /* enough */
        return emit(w->c, account_json(a, o->utc));
}

static int cmd_accounts(int argc, char **argv) {
        struct opts o = {0};
        int st = parse_opts(argc, argv, O_FILTER | O_FORMAT | O_DB, &o);
        if (st)
                return st < 0 ? 0 : st;
        struct ctx c;
        if ((st = ctx_open(&c, &o))) {
                ctx_close(&c);
                return st;
        }
        c.out = pw_out_new(stdout, o.fmt, account_cols, 9);
        struct pw_error err = {0};
        struct account_walk w = {.c = &c};
        struct pw_audit_account_filter f = {.site = o.site, .name = o.account};
        int r = c.out ? 0 : -ENOMEM;
        if (r == 0 && (o.user || o.session)) {
                /* Accounts linked to the user's (or one) session. */
                struct session_ids ids = {0};
                if (o.user)
                        r = user_sessions(&c, o.user, &ids, &err);
                else
                        r = collect_session_id(
                                &(struct pw_audit_session_row){.id = o.session, .uid = -1}, &ids);
                w.only = json_object();
                if (!w.only)
                        r = -ENOMEM;
                struct pw_audit_account_filter lf = {.no_counts = 1};
                for (size_t i = 0; r >= 0 && i < ids.n; i++) {
                        if (o.session && ids.v[i] != o.session)
                                continue;
                        lf.session_id = ids.v[i];
                        r = pw_audit_query_accounts(c.a, &lf, note_linked, w.only, &err);
                }
                free(ids.v);
        }
        /* One listing in the usual order, restricted to `only` when it is set. */
        if (r == 0)
                r = pw_audit_query_accounts(c.a, &f, on_account, &w, &err);
        json_decref(w.only);
        st = finish(&c, r > 0 ? 0 : r, &err);
        ctx_close(&c);
        return st;
}

/* ---- events and posts ----------------------------------------------------------------------- */

static const struct pw_out_column event_cols[] = {
        {"seq", NULL},     {"time", NULL},     {"kind", NULL},     {"uid", NULL},
        {"session", NULL}, {"account", NULL},  {"site", NULL},     {"action", NULL},
        {"mode", NULL},    {"findings", NULL}, {"archived", NULL}, {"justification", NULL},
};

static const struct pw_out_column post_cols[] = {
        {"seq", NULL},           {"time", NULL},    {"kind", NULL}, {"user", NULL},
        {"session", NULL},       {"account", NULL}, {"site", NULL}, {"action", NULL},
        {"justification", NULL}, {"text", NULL},
};

static json_t *event_json(struct ctx *c, const struct pw_audit_event_row *e) {
        bool utc = c->o->utc;
        json_t *o = json_object();
        if (!o)
                return NULL;
        json_object_set_new(o, "seq", json_integer(e->seq));
        json_object_set_new(o, "time", time_json(e->time_us, utc));
        json_object_set_new(o, "time_us", json_integer(e->time_us));
        const char *kind = pw_audit_kind_name(e->kind);
        json_object_set_new(o, "kind", kind ? json_string(kind) : json_null());
        json_object_set_new(o, "uid", opt_int(e->peer_uid, -1));
        json_object_set_new(o, "pid", opt_int(e->peer_pid, -1));
        json_object_set_new(o, "peer_sessionid", opt_int(e->peer_sessionid, -1));
        json_object_set_new(o, "peer_src", src_json(e->peer_src));
        json_object_set_new(o, "session", opt_int(e->session_id, 0));
        json_t *acct = e->account_id ? account_of(c, e->account_id) : NULL;
        json_object_set_new(o, "account_id", opt_int(e->account_id, 0));
        json_object_set(o, "account", acct ? json_object_get(acct, "account") : json_null());
        json_object_set_new(o, "site", pw_cli_json_str(e->site));
        json_object_set_new(o, "claim_src", src_json(e->claim_src));
        json_object_set_new(o, "action", pw_cli_json_str(e->action));
        json_object_set_new(o, "mode", pw_cli_json_str(e->mode));
        json_object_set_new(o, "company_account", json_boolean(e->company_account));
        json_object_set_new(o, "authorised", json_boolean(e->authorised));
        json_object_set_new(o, "verdict_src", src_json(e->verdict_src));
        json_object_set_new(o, "policy_id", pw_cli_json_str(e->policy_id));
        json_object_set_new(o, "findings", json_integer(e->n_findings));
        json_object_set_new(o, "archived",
                            e->archived == 1   ? json_string("yes")
                            : e->archived == 2 ? json_string("redacted")
                                               : json_null());
        json_object_set_new(o, "justification", pw_cli_json_str(e->justification));
        json_object_set_new(o, "target_seq", opt_int(e->target_seq, 0));
        json_object_set_new(o, "note", pw_cli_json_str(e->note));
        return o;
}

struct event_walk {
        struct ctx *c; /* the query */
        bool posts;    /* audit posts: archived events only, with their text */
        json_t *rows;  /* collected rows (merging several queries), else NULL */
        json_t *seen;  /* seqs collected, when merging */
        json_t *users; /* "session id" -> user name cache (posts) */
};

/* The login name of session `id`, cached; NULL when unknown. */
static const char *session_user(struct event_walk *w, int64_t id) {
        char key[24];
        snprintf(key, sizeof key, "%lld", (long long)id);
        json_t *u = json_object_get(w->users, key);
        if (u)
                return json_string_value(u);
        return NULL;
}

static int cache_user(const struct pw_audit_session_row *s, void *ud) {
        json_t *users = ud;
        char key[24];
        snprintf(key, sizeof key, "%lld", (long long)s->id);
        return json_object_set_new(users, key, pw_cli_json_str(s->user));
}

/* An archived text as a JSON string: exact when it is UTF-8. */
static json_t *text_json(const char *text, size_t len) {
        json_t *t = json_stringn(text, len);
        return t ? t : pw_cli_json_str(text);
}

static int on_event(const struct pw_audit_event_row *e, void *ud) {
        struct event_walk *w = ud;
        const struct opts *o = w->c->o;
        if (o->site && (!e->site || strcmp(e->site, o->site) != 0))
                return 0;
        if (w->posts && !e->archived)
                return 0;
        if (w->seen) {
                char key[24];
                snprintf(key, sizeof key, "%lld", (long long)e->seq);
                if (json_object_get(w->seen, key))
                        return 0;
                json_object_set_new(w->seen, key, json_true());
        }
        json_t *row = event_json(w->c, e);
        if (!row)
                return -ENOMEM;
        if (w->posts) {
                const char *user = e->session_id ? session_user(w, e->session_id) : NULL;
                json_object_set_new(row, "user", pw_cli_json_str(user));
                char *text = NULL;
                size_t len = 0;
                struct pw_error err = {0};
                int r = pw_audit_archive_text(w->c->a, e->seq, &text, &len, &err);
                if (r == 0) {
                        json_object_set_new(row, "text", text_json(text, len));
                        json_object_set_new(row, "redacted", json_false());
                } else if (r == -ENODATA || r == -ENOENT) {
                        json_object_set_new(row, "text", json_null());
                        json_object_set_new(row, "redacted", json_boolean(r == -ENODATA));
                } else {
                        json_decref(row);
                        free(text);
                        return r;
                }
                free(text);
        }
        if (w->rows)
                return json_array_append_new(w->rows, row) == 0 ? 0 : -ENOMEM;
        if (o->limit && pw_out_rows(w->c->out) >= o->limit) {
                json_decref(row);
                return 1;
        }
        return emit(w->c, row);
}

static int by_time(const void *x, const void *y) {
        json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
        int r = cmp_member(a, b, "time_us");
        return r ? r : cmp_member(a, b, "seq");
}

/* Runs the event queries the options ask for; streams when one query answers them all. */
static int run_events(struct ctx *c, struct event_walk *w, struct pw_error *err) {
        const struct opts *o = c->o;
        struct pw_audit_event_filter f = {
                .since_us = o->since,
                .until_us = o->until,
                .session_id = o->session,
                .kind = o->kind,
                /* the site and posts filters drop rows after the query: limit here only when
                 * nothing is dropped */
                .limit = o->site || w->posts ? 0 : o->limit,
        };
        if (o->account && c->n_ids == 0) {
                fprintf(stderr, "postwardenctl: no account matches --account %s\n", o->account);
                return 0;
        }
        /* --account (or --site) with several accounts, or --user: several queries, merged. */
        bool merge = c->n_ids > 1 || o->user;
        if (!merge) {
                if (c->n_ids == 1)
                        f.account_id = c->ids[0];
                return pw_audit_query_events(c->a, &f, on_event, w, err);
        }
        w->rows = json_array();
        w->seen = json_object();
        if (!w->rows || !w->seen)
                return -ENOMEM;
        f.limit = 0;
        int r = 0;
        /* The candidate accounts (all, when only --user is given). */
        size_t n_acct = c->n_ids ? c->n_ids : 1;
        for (size_t k = 0; r >= 0 && k < n_acct; k++) {
                f.account_id = c->n_ids ? c->ids[k] : 0;
                if (!o->user) {
                        r = pw_audit_query_events(c->a, &f, on_event, w, err);
                        continue;
                }
                /* The user's events: those by their uids and those in their sessions. */
                struct session_ids ids = {0};
                r = user_sessions(c, o->user, &ids, err);
                for (size_t i = 0; r >= 0 && i < ids.uids.n; i++) {
                        struct pw_audit_event_filter g = f;
                        g.by_uid = 1;
                        g.peer_uid = ids.uids.v[i];
                        r = pw_audit_query_events(c->a, &g, on_event, w, err);
                }
                for (size_t i = 0; r >= 0 && i < ids.n; i++) {
                        if (o->session && ids.v[i] != o->session)
                                continue;
                        struct pw_audit_event_filter g = f;
                        g.session_id = ids.v[i];
                        r = pw_audit_query_events(c->a, &g, on_event, w, err);
                }
                free(ids.v);
        }
        if (r >= 0)
                r = emit_sorted(c, w->rows, by_time, o->limit);
        return r;
}

static int events_or_posts(int argc, char **argv, bool posts) {
        struct opts o = {0};
        int st = parse_opts(argc, argv, O_FILTER | O_FORMAT | O_DB | (posts ? 0 : O_KIND), &o);
        if (st)
                return st < 0 ? 0 : st;
        struct ctx c;
        if ((st = ctx_open(&c, &o))) {
                ctx_close(&c);
                return st;
        }
        c.out = posts ? pw_out_new(stdout, o.fmt, post_cols, 10)
                      : pw_out_new(stdout, o.fmt, event_cols, 12);
        struct pw_error err = {0};
        struct event_walk w = {.c = &c, .posts = posts};
        int r = c.out ? 0 : -ENOMEM;
        if (r == 0 && posts) {
                /* Session -> user names, for the USER column. */
                w.users = json_object();
                r = w.users ? pw_audit_query_sessions(c.a, NULL, cache_user, w.users, &err)
                            : -ENOMEM;
        }
        if (r == 0)
                r = run_events(&c, &w, &err);
        json_decref(w.rows);
        json_decref(w.seen);
        json_decref(w.users);
        st = finish(&c, r > 0 ? 0 : r, &err);
        ctx_close(&c);
        return st;
}

static int cmd_events(int argc, char **argv) {
        return events_or_posts(argc, argv, false);
}

static int cmd_posts(int argc, char **argv) {
        return events_or_posts(argc, argv, true);
}

/* ---- verify --------------------------------------------------------------------------------- */

/* Reads the whole of `path` into a new buffer (at most MAX_HEADS_FILE bytes). */
static int read_file(const char *path, char **ret, size_t *ret_len) {
        FILE *f = fopen(path, "rb");
        if (!f)
                return -errno;
        size_t cap = 1 << 16, len = 0;
        char *buf = malloc(cap);
        int r = buf ? 0 : -ENOMEM;
        while (r == 0) {
                if (len == cap) {
                        if (cap >= MAX_HEADS_FILE) {
                                r = -EFBIG;
                                break;
                        }
                        char *n = realloc(buf, cap * 2);
                        if (!n) {
                                r = -ENOMEM;
                                break;
                        }
                        buf = n;
                        cap *= 2;
                }
                size_t got = fread(buf + len, 1, cap - len, f);
                if (got == 0) {
                        if (ferror(f))
                                r = -EIO;
                        break;
                }
                len += got;
        }
        fclose(f);
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}

static int cmd_verify(int argc, char **argv) {
        struct opts o = {0};
        int st = parse_opts(argc, argv, O_VERIFY | O_JSON | O_DB, &o);
        if (st)
                return st < 0 ? 0 : st;
        bool json = o.fmt == PW_OUT_JSON;
        if (o.host && !o.heads) {
                fprintf(stderr, "postwardenctl audit verify: --host needs --heads FILE\n");
                return PW_CLI_EXIT_ERROR;
        }
        struct pw_cli_heads heads = {0};
        char host[256] = "";
        if (o.heads) {
                if (o.host)
                        snprintf(host, sizeof host, "%s", o.host);
                else if (gethostname(host, sizeof host - 1) < 0)
                        host[0] = '\0';
                char *buf = NULL;
                size_t len = 0;
                int r = read_file(o.heads, &buf, &len);
                if (r == -EACCES || r == -EPERM) {
                        fprintf(stderr, "postwardenctl: permission denied: %s\n", o.heads);
                        return PW_CLI_EXIT_ERROR;
                }
                if (r == 0)
                        r = pw_cli_heads_parse(buf, len, host[0] ? host : NULL, &heads);
                free(buf);
                if (r < 0) {
                        fprintf(stderr, "postwardenctl: --heads %s: %s\n", o.heads, strerror(-r));
                        pw_cli_heads_free(&heads);
                        return PW_CLI_EXIT_ERROR;
                }
        }
        struct pw_audit *a = NULL;
        st = pw_cli_audit_open(o.db, &a);
        if (st) {
                pw_cli_heads_free(&heads);
                return st;
        }
        struct pw_audit_verify_result res = {0};
        struct pw_error err = {0};
        int r = pw_audit_verify(a, heads.v, heads.n, &res, &err);
        pw_audit_free(a);
        if (r < 0 && r != -EBADMSG) {
                print_store_error(r, &err);
                pw_cli_heads_free(&heads);
                return PW_CLI_EXIT_ERROR;
        }
        /* The chain starts after the newest purge checkpoint: heads at or before it can no
         * longer be compared with the events they named. */
        int64_t checkpoint = res.first_seq > 0 ? res.first_seq - 1 : 0;
        size_t skipped = 0;
        for (size_t i = 0; i < heads.n; i++)
                skipped += heads.v[i].seq <= checkpoint;
        size_t checked = heads.n - skipped;
        bool ok = r == 0;
        if (json) {
                json_t *j = json_pack(
                        "{s:b, s:I, s:I, s:I, s:s, s:I, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:I, "
                        "s:I}",
                        "ok", ok, "rows", (json_int_t)res.rows, "first_seq",
                        (json_int_t)res.first_seq, "head_seq", (json_int_t)res.head.seq,
                        "head_hash", res.head.hex, "bad_seq", (json_int_t)res.bad_seq, "bad_table",
                        res.bad_table, "bad_row", (json_int_t)res.bad_row, "reason", res.reason,
                        "purge_checkpoint_seq", (json_int_t)checkpoint, "heads_checked",
                        (json_int_t)checked, "heads_skipped", (json_int_t)skipped,
                        "heads_other_host", (json_int_t)heads.other_host, "heads_ignored",
                        (json_int_t)heads.ignored, "cee_lines", (json_int_t)heads.cee_lines);
                if (j && o.heads)
                        json_object_set_new(j, "host", json_string(host));
                char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
                if (s)
                        printf("%s\n", s);
                free(s);
                json_decref(j);
        } else if (ok && res.rows == 0) {
                printf("chain verified: no events%s\n",
                       checkpoint > 0 ? " after the purge checkpoint" : " yet");
        } else if (ok) {
                printf("chain verified: %lld events (seq %lld..%lld), head %s\n",
                       (long long)res.rows, (long long)res.first_seq, (long long)res.head.seq,
                       res.head.hex);
                if (checkpoint > 0)
                        printf("purged up to seq %lld (the chain resumes from the purge "
                               "checkpoint)\n",
                               (long long)checkpoint);
        } else if (res.bad_table[0]) {
                printf("chain BROKEN: %s\n", res.reason);
        } else {
                printf("chain BROKEN at event %lld: %s\n", (long long)res.bad_seq, res.reason);
                printf("last good event: %lld, hash %s\n", (long long)res.head.seq, res.head.hex);
        }
        if (!json && o.heads) {
                printf("syslog heads from %s for host %s: %zu checked, %zu skipped (at or before "
                       "the purge checkpoint), %zu of other hosts, %zu lines ignored\n",
                       o.heads, host[0] ? host : "(any)", checked, skipped, heads.other_host,
                       heads.ignored);
                if (heads.n == 0)
                        fprintf(stderr,
                                "postwardenctl: warning: %s holds no chain heads for host %s\n",
                                o.heads, host[0] ? host : "(any)");
        }
        pw_cli_heads_free(&heads);
        if (fflush(stdout) != 0)
                return PW_CLI_EXIT_ERROR;
        return ok ? PW_CLI_EXIT_OK : PW_CLI_EXIT_FAIL;
}

/* ---- purge and redact: through postwardend -------------------------------------------------- */

/* Sends `req` (stolen) to the service and stores a successful reply of type `want` in *ret.
 * Prints why not and returns PW_CLI_EXIT_ERROR otherwise. */
static int service_call(const char *socket, json_t *req, const char *want, int timeout_ms,
                        json_t **ret) {
        const char *path = socket ? socket : PW_SOCKET_DEFAULT;
        struct pw_client *cl = NULL;
        json_t *reply = NULL;
        int st = PW_CLI_EXIT_ERROR;
        int r = req ? pw_client_connect(path, 2000, &cl) : -ENOMEM;
        if (r == -ENOENT || r == -ECONNREFUSED) {
                fprintf(stderr,
                        "postwardenctl: cannot reach postwardend at %s: %s (is it running? "
                        "systemctl status postwardend)\n",
                        path, strerror(-r));
                goto out;
        }
        if (r == -EACCES) {
                fprintf(stderr, "postwardenctl: permission denied: %s\n", path);
                goto out;
        }
        if (r < 0) {
                fprintf(stderr, "postwardenctl: connecting to postwardend at %s: %s\n", path,
                        strerror(-r));
                goto out;
        }
        r = pw_client_request(cl, req, timeout_ms, &reply);
        if (r < 0) {
                fprintf(stderr, "postwardenctl: postwardend at %s did not answer: %s\n", path,
                        strerror(-r));
                goto out;
        }
        const char *type = json_string_value(json_object_get(reply, "type"));
        if (type && !strcmp(type, "error")) {
                json_int_t code = json_integer_value(json_object_get(reply, "code"));
                const char *name = json_string_value(json_object_get(reply, "error"));
                const char *msg = json_string_value(json_object_get(reply, "message"));
                if (code == 6)
                        fprintf(stderr,
                                "postwardenctl: permission denied by postwardend: %s (ask an "
                                "admin to add you to the " PW_CLI_ADMIN_GROUP " group)\n",
                                msg ? msg : "forbidden");
                else if (code == 4)
                        fprintf(stderr,
                                "postwardenctl: this postwardend does not know '%s' requests "
                                "(upgrade postwarden): %s\n",
                                json_string_value(json_object_get(req, "type")), msg ? msg : "");
                else
                        fprintf(stderr, "postwardenctl: postwardend refused: %s (error %lld): %s\n",
                                name ? name : "?", (long long)code, msg ? msg : "");
                goto out;
        }
        if (!type || strcmp(type, want) != 0) {
                fprintf(stderr, "postwardenctl: unexpected reply from postwardend (type %s)\n",
                        type ? type : "none");
                goto out;
        }
        *ret = json_incref(reply);
        st = 0;
out:
        json_decref(reply);
        json_decref(req);
        pw_client_free(cl);
        return st;
}

static void print_json(json_t *j) {
        char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (s)
                printf("%s\n", s);
        free(s);
}

static int cmd_purge(int argc, char **argv) {
        struct opts o = {0};
        int st = parse_opts(argc, argv, O_PURGE | O_JSON | O_SOCKET, &o);
        if (st)
                return st < 0 ? 0 : st;
        json_t *req = json_pack("{s:i, s:i, s:s}", "v", 1, "id", 1, "type", "purge");
        /* Without --before the service applies the policy's retention period. */
        if (req && o.before)
                json_object_set_new(req, "before", json_integer(o.before_us));
        json_t *reply = NULL;
        st = service_call(o.socket, req, "purged", PURGE_TIMEOUT_MS, &reply);
        if (st)
                return st;
        if (o.fmt == PW_OUT_JSON) {
                print_json(reply);
        } else {
                char when[PW_CLI_TIME_MAX];
                json_t *b = json_object_get(reply, "before");
                printf("purged %lld events, %lld sessions, %lld accounts before %s; the chain "
                       "now starts after seq %lld\n",
                       (long long)json_integer_value(json_object_get(reply, "events_removed")),
                       (long long)json_integer_value(json_object_get(reply, "sessions_removed")),
                       (long long)json_integer_value(json_object_get(reply, "accounts_removed")),
                       json_is_integer(b) ? pw_cli_time_format(json_integer_value(b), false, when)
                                          : "the retention cutoff",
                       (long long)json_integer_value(json_object_get(reply, "checkpoint_seq")));
        }
        json_decref(reply);
        return fflush(stdout) == 0 ? PW_CLI_EXIT_OK : PW_CLI_EXIT_ERROR;
}

static int cmd_redact(int argc, char **argv) {
        struct opts o = {0};
        int st = parse_opts(argc, argv, O_REDACT | O_JSON | O_SOCKET, &o);
        if (st)
                return st < 0 ? 0 : st;
        if (!o.event || !o.reason || !*o.reason) {
                fprintf(stderr, "postwardenctl audit redact: --event N and --reason TEXT are "
                                "required (the reason is kept in the chain)\n");
                return PW_CLI_EXIT_ERROR;
        }
        json_t *req = json_pack("{s:i, s:i, s:s, s:I, s:s}", "v", 1, "id", 1, "type", "redact",
                                "seq", (json_int_t)o.event, "reason", o.reason);
        json_t *reply = NULL;
        st = service_call(o.socket, req, "redacted", REDACT_TIMEOUT_MS, &reply);
        if (st)
                return st;
        if (o.fmt == PW_OUT_JSON)
                print_json(reply);
        else
                printf("event %lld redacted: its archived text and findings are gone; redaction "
                       "event %lld records why\n",
                       (long long)json_integer_value(json_object_get(reply, "seq")),
                       (long long)json_integer_value(json_object_get(reply, "redaction_seq")));
        json_decref(reply);
        return fflush(stdout) == 0 ? PW_CLI_EXIT_OK : PW_CLI_EXIT_ERROR;
}

/* ---- export (GDPR Art. 15) ------------------------------------------------------------------ */

struct export {
        struct ctx *c;    /* the store */
        json_t *sessions; /* array */
        json_t *links;    /* array */
        json_t *acct_ids; /* "id" -> true: accounts to list */
};

static int export_session(const struct pw_audit_session_row *s, void *ud) {
        struct export *x = ud;
        json_t *j = session_json(x->c, s);
        return j && json_array_append_new(x->sessions, j) == 0 ? 0 : -ENOMEM;
}

static int export_link(const struct pw_audit_link_row *l, void *ud) {
        struct export *x = ud;
        json_t *acct = account_of(x->c, l->account_id);
        json_t *j = json_pack(
                "{s:I, s:I, s:I, s:O?, s:O?, s:s?, s:s?, s:o, s:I, s:o, s:I}", "link",
                (json_int_t)l->id, "session", (json_int_t)l->session_id, "account_id",
                (json_int_t)l->account_id, "account", json_object_get(acct, "account"), "site",
                json_object_get(acct, "site"), "rule", rule_name(l->rule), "src",
                pw_audit_source_name(l->src), "first", time_json(l->first_us, x->c->o->utc),
                "first_us", (json_int_t)l->first_us, "last", time_json(l->last_us, x->c->o->utc),
                "last_us", (json_int_t)l->last_us);
        char key[24];
        snprintf(key, sizeof key, "%lld", (long long)l->account_id);
        json_object_set_new(x->acct_ids, key, json_true());
        return j && json_array_append_new(x->links, j) == 0 ? 0 : -ENOMEM;
}

struct export_accounts {
        json_t *arr; /* where the accounts go */
        bool utc;    /* --utc */
};

static int export_account(const struct pw_audit_account_row *a, void *ud) {
        struct export_accounts *ea = ud;
        json_t *j = account_json(a, ea->utc);
        return j && json_array_append_new(ea->arr, j) == 0 ? 0 : -ENOMEM;
}

static int cmd_export(int argc, char **argv) {
        struct opts o = {0};
        int st = parse_opts(argc, argv, O_FILTER | O_DB | O_FORMAT, &o);
        if (st)
                return st < 0 ? 0 : st;
        if (o.account || o.site || o.since || o.until || o.session || o.limit ||
            o.fmt == PW_OUT_CSV) {
                fprintf(stderr, "postwardenctl audit export: takes --user NAME, --utc and --db "
                                "only (it exports everything about the user, as JSON)\n");
                return PW_CLI_EXIT_ERROR;
        }
        if (!o.user || !*o.user) {
                fprintf(stderr, "postwardenctl audit export: --user NAME is required\n");
                return PW_CLI_EXIT_ERROR;
        }
        const char *user = o.user;
        o.user = NULL; /* not a filter of the account map */
        struct ctx c;
        if ((st = ctx_open(&c, &o))) {
                ctx_close(&c);
                return st;
        }
        struct pw_error err = {0};
        struct export x = {.c = &c,
                           .sessions = json_array(),
                           .links = json_array(),
                           .acct_ids = json_object()};
        struct pw_audit_session_filter sf = {.user = user};
        int r = x.sessions && x.links && x.acct_ids
                        ? pw_audit_query_sessions(c.a, &sf, export_session, &x, &err)
                        : -ENOMEM;
        struct session_ids ids = {0};
        if (r >= 0)
                r = user_sessions(&c, user, &ids, &err);
        for (size_t i = 0; r >= 0 && i < ids.n; i++) {
                struct pw_audit_link_filter lf = {.session_id = ids.v[i]};
                r = pw_audit_query_links(c.a, &lf, export_link, &x, &err);
        }
        /* Their events: by their uids and in their sessions (events never name a login). */
        struct event_walk w = {.c = &c, .rows = json_array(), .seen = json_object()};
        if (r >= 0 && (!w.rows || !w.seen))
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < ids.uids.n; i++) {
                struct pw_audit_event_filter f = {.by_uid = 1, .peer_uid = ids.uids.v[i]};
                r = pw_audit_query_events(c.a, &f, on_event, &w, &err);
        }
        for (size_t i = 0; r >= 0 && i < ids.n; i++) {
                struct pw_audit_event_filter f = {.session_id = ids.v[i]};
                r = pw_audit_query_events(c.a, &f, on_event, &w, &err);
        }
        json_t *events = json_array(), *posts = json_array(), *accounts = json_array(),
               *uids = json_array();
        if (r >= 0 && (!events || !posts || !accounts || !uids))
                r = -ENOMEM;
        if (r >= 0) {
                /* Sort the events by time; the accounts they name are theirs too. */
                size_t n = json_array_size(w.rows);
                json_t **v = malloc((n ? n : 1) * sizeof *v);
                if (!v)
                        r = -ENOMEM;
                for (size_t i = 0; v && i < n; i++)
                        v[i] = json_array_get(w.rows, i);
                if (v)
                        qsort(v, n, sizeof *v, by_time);
                for (size_t i = 0; v && i < n; i++) {
                        json_array_append(events, v[i]);
                        json_int_t aid = json_integer_value(json_object_get(v[i], "account_id"));
                        if (aid > 0) {
                                char key[24];
                                snprintf(key, sizeof key, "%lld", (long long)aid);
                                json_object_set_new(x.acct_ids, key, json_true());
                        }
                        if (json_object_get(v[i], "archived") &&
                            !json_is_null(json_object_get(v[i], "archived"))) {
                                json_int_t seq = json_integer_value(json_object_get(v[i], "seq"));
                                char *text = NULL;
                                size_t len = 0;
                                int q = pw_audit_archive_text(c.a, seq, &text, &len, &err);
                                if (q < 0 && q != -ENODATA && q != -ENOENT) {
                                        r = q;
                                        break;
                                }
                                json_t *p =
                                        json_pack("{s:I, s:O, s:O, s:O, s:O, s:O, s:o, s:b}", "seq",
                                                  seq, "time", json_object_get(v[i], "time"),
                                                  "time_us", json_object_get(v[i], "time_us"),
                                                  "account", json_object_get(v[i], "account"),
                                                  "site", json_object_get(v[i], "site"), "kind",
                                                  json_object_get(v[i], "kind"), "text",
                                                  q == 0 ? text_json(text, len) : json_null(),
                                                  "redacted", q == -ENODATA);
                                free(text);
                                if (p)
                                        json_array_append_new(posts, p);
                        }
                }
                free(v);
        }
        if (r >= 0) {
                const char *key;
                json_t *val;
                json_t *ordered = json_array();
                json_object_foreach(x.acct_ids, key, val) {
                        /* With its session count, which the account map leaves out. */
                        struct pw_audit_account_filter af = {.account_id = atoll(key)};
                        struct export_accounts ea = {.arr = ordered, .utc = o.utc};
                        if (ordered && r >= 0)
                                r = pw_audit_query_accounts(c.a, &af, export_account, &ea, &err);
                }
                json_decref(accounts);
                accounts = ordered;
                for (size_t i = 0; i < ids.uids.n; i++)
                        json_array_append_new(uids, json_integer(ids.uids.v[i]));
        }
        if (r >= 0) {
                char when[PW_CLI_TIME_MAX];
                int64_t now = pw_cli_now_us();
                json_t *doc = json_pack(
                        "{s:s, s:s, s:s, s:s, s:I, s:s, s:O, s:O, s:O, s:O, s:O, s:O}", "export",
                        "Postwarden audit data about one employee (GDPR Art. 15)", "user", user,
                        "database", o.db ? o.db : PW_CLI_AUDIT_DB_DEFAULT, "generated",
                        pw_cli_time_format(now, o.utc, when), "generated_us", (json_int_t)now,
                        "note",
                        "Personal accounts are stored only as keyed hashes (HMAC) of their "
                        "handles; the text of personal posts is never stored.",
                        "uids", uids, "sessions", x.sessions, "links", x.links, "accounts",
                        accounts, "events", events, "posts", posts);
                char *s = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
                if (!s)
                        r = -ENOMEM;
                else
                        printf("%s\n", s);
                free(s);
                json_decref(doc);
        }
        json_decref(events);
        json_decref(posts);
        json_decref(accounts);
        json_decref(uids);
        json_decref(w.rows);
        json_decref(w.seen);
        json_decref(x.sessions);
        json_decref(x.links);
        json_decref(x.acct_ids);
        free(ids.v);
        ctx_close(&c);
        if (r < 0) {
                print_store_error(r, &err);
                return PW_CLI_EXIT_ERROR;
        }
        return fflush(stdout) == 0 ? PW_CLI_EXIT_OK : PW_CLI_EXIT_ERROR;
}

/* ---- dispatch ------------------------------------------------------------------------------- */

static const struct pw_cli_command audit_commands[] = {
        {"sessions", cmd_sessions, "login sessions; --account X: who acted as X"},
        {"accounts", cmd_accounts, "company and personal accounts seen"},
        {"events", cmd_events, "the audit events, in time order"},
        {"posts", cmd_posts, "archived company posts"},
        {"verify", cmd_verify, "check the hash chain (and syslog heads); exit 1 when broken"},
        {"purge", cmd_purge, "delete old events through postwardend (retention)"},
        {"redact", cmd_redact, "replace an event's archived text with a tombstone"},
        {"export", cmd_export, "everything stored about one employee, as JSON"},
        {"report", pw_cli_audit_report, "one period as a self-contained HTML page"},
        {NULL, NULL, NULL},
};

int pw_cli_audit(int argc, char **argv);

int pw_cli_audit(int argc, char **argv) {
        if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
                FILE *f = argc < 2 ? stderr : stdout;
                fprintf(f, "usage: postwardenctl audit COMMAND [OPTIONS]\n\ncommands:\n");
                for (const struct pw_cli_command *c = audit_commands; c->name; c++)
                        fprintf(f, "  %-9s %s\n", c->name, c->help);
                fprintf(f, "\n");
                return usage(f);
        }
        for (const struct pw_cli_command *c = audit_commands; c->name; c++)
                if (!strcmp(argv[1], c->name))
                        return c->run(argc - 1, argv + 1);
        fprintf(stderr,
                "postwardenctl: unknown audit command '%s' (see postwardenctl audit --help)\n",
                argv[1]);
        return PW_CLI_EXIT_ERROR;
}
