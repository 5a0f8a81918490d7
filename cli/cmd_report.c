/* postwardenctl audit report: one self-contained HTML file for an auditor (issue 13).
 *
 * The numbers come from pw_audit_report_build() (audit/report.c) and the chain check from
 * pw_audit_verify(), run at the same time on a second read-only handle (the two are the bulk of
 * the work and use one core each). The page has no script, loads nothing (a Content-Security-Policy
 * of default-src 'none' says so to the browser too), draws its timeline as inline SVG and its
 * rankings as CSS bars, and prints.
 * Every value from the store goes through html.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit_util.h"
#include "cli.h"
#include "html.h"
#include "postwarden/audit.h"

#define US 1000000LL

/* ---- options ------------------------------------------------------------------------------- */

struct report_opts {
        const char *db;                    /* the audit database */
        const char *output;                /* -o FILE, NULL or "-": standard output */
        int64_t since_us, until_us;        /* the period [since, until), UTC µs */
        bool utc;                          /* show times in UTC instead of local time */
        size_t rows;                       /* rows per list */
        size_t top;                        /* entries per top list */
        const char *since_arg, *until_arg; /* as given; NULL: the defaults */
};

static void usage(FILE *f) {
        fprintf(f, "usage: postwardenctl audit report [--since WHEN] [--until WHEN] [-o FILE]\n"
                   "         [--db PATH] [--utc] [--rows N] [--top N]\n"
                   "\n"
                   "Writes one self-contained HTML file (no scripts, no network) summarising the\n"
                   "audit trail of a period: sessions per company account, a timeline of blocks\n"
                   "and overrides, top rules and categories, override justifications, refused\n"
                   "company-account uses and the hash chain's verification.\n"
                   "\n"
                   "  --since WHEN  start of the period (default: 30 days before --until)\n"
                   "  --until WHEN  end of the period, exclusive (default: now)\n"
                   "                WHEN: 2026-11-27, 2026-11-27T10:00 (local time; add Z or\n"
                   "                +01:00 for an offset), a time ago (30m, 12h, 7d, 2w) or now\n"
                   "  -o FILE       write the report to FILE (default: standard output)\n"
                   "  --db PATH     the audit database (default " PW_CLI_AUDIT_DB_DEFAULT ")\n"
                   "  --utc         show times and draw the timeline in UTC\n"
                   "  --rows N      rows per list: sessions per account, overrides (default 50)\n"
                   "  --top N       entries per top list: rules, categories, sites (default 15)\n"
                   "\n"
                   "Exit status: 0 written and the chain verifies, 1 written but the chain is\n"
                   "broken, 2 error.\n");
}

/* ---- time ---------------------------------------------------------------------------------- */

static time_t to_time_t(const struct tm *tm, bool utc) {
        struct tm t = *tm;
        t.tm_isdst = -1;
        return utc ? timegm(&t) : mktime(&t);
}

static struct tm tm_of(int64_t us, bool utc) {
        time_t t = (time_t)(us / US - (us % US < 0));
        struct tm tm;
        if (utc)
                gmtime_r(&t, &tm);
        else
                localtime_r(&t, &tm);
        return tm;
}

/* "2026-12-04 11:23" (minutes) or with seconds. */
static const char *fmt_time(char *buf, size_t size, int64_t us, bool utc, bool seconds) {
        struct tm tm = tm_of(us, utc);
        strftime(buf, size, seconds ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M", &tm);
        return buf;
}

/* "UTC" or "CET, UTC+01:00" for the page header. */
static const char *fmt_zone(char *buf, size_t size, int64_t us, bool utc) {
        if (utc)
                return snprintf(buf, size, "UTC"), buf;
        struct tm tm = tm_of(us, false);
        long off = tm.tm_gmtoff;
        snprintf(buf, size, "%s, UTC%c%02ld:%02ld", tm.tm_zone ? tm.tm_zone : "local",
                 off < 0 ? '-' : '+', labs(off) / 3600, labs(off) % 3600 / 60);
        return buf;
}

/* ---- the timeline's buckets ---------------------------------------------------------------- */

enum unit { U_HOUR, U_DAY, U_WEEK, U_MONTH };

/* The start of the unit containing t (local or UTC calendar). */
static int64_t unit_floor(int64_t t_us, enum unit u, bool utc) {
        struct tm tm = tm_of(t_us, utc);
        tm.tm_min = tm.tm_sec = 0;
        if (u != U_HOUR)
                tm.tm_hour = 0;
        if (u == U_WEEK)
                tm.tm_mday -= (tm.tm_wday + 6) % 7; /* back to Monday */
        if (u == U_MONTH)
                tm.tm_mday = 1;
        return (int64_t)to_time_t(&tm, utc) * US;
}

static int64_t unit_next(int64_t t_us, enum unit u, bool utc) {
        if (u == U_HOUR)
                return t_us + 3600 * US;
        struct tm tm = tm_of(t_us, utc);
        if (u == U_DAY)
                tm.tm_mday += 1;
        else if (u == U_WEEK)
                tm.tm_mday += 7;
        else
                tm.tm_mon += 1;
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        return (int64_t)to_time_t(&tm, utc) * US;
}

/* Edges from the unit containing `from` to the first edge at or after `until`. */
static int64_t *make_edges(int64_t from, int64_t until, bool utc, enum unit *ret_unit,
                           size_t *ret_n) {
        int64_t span = until - from;
        enum unit u = span <= 3 * 86400 * US      ? U_HOUR
                      : span <= 190 * 86400 * US  ? U_DAY
                      : span <= 1100 * 86400 * US ? U_WEEK
                                                  : U_MONTH;
        size_t cap = 64, n = 0;
        int64_t *e = malloc(cap * sizeof *e);
        if (!e)
                return NULL;
        e[n++] = unit_floor(from, u, utc);
        while (e[n - 1] < until && n < 10001) {
                if (n == cap) {
                        int64_t *p = realloc(e, 2 * cap * sizeof *e);
                        if (!p) {
                                free(e);
                                return NULL;
                        }
                        e = p;
                        cap *= 2;
                }
                int64_t next = unit_next(e[n - 1], u, utc);
                if (next <= e[n - 1])
                        next = e[n - 1] + 3600 * US; /* a calendar oddity: never loop */
                e[n++] = next;
        }
        *ret_unit = u;
        *ret_n = n - 1;
        return e;
}

/* ---- output helpers ------------------------------------------------------------------------ */

/* 1234567 as "1,234,567". */
static const char *num(char *buf, size_t size, int64_t v) {
        char digits[32];
        snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
        size_t len = strlen(digits), o = 0;
        if (v < 0 && o + 1 < size)
                buf[o++] = '-';
        for (size_t i = 0; i < len && o + 2 < size; i++) {
                if (i && (len - i) % 3 == 0)
                        buf[o++] = ',';
                buf[o++] = digits[i];
        }
        buf[o] = '\0';
        return buf;
}

#define NUM(v)   num((char[32]){0}, 32, (v))
#define TIME(us) fmt_time((char[40]){0}, 40, (us), o->utc, false)

static const char *rule_name(enum pw_audit_tie_rule r) {
        switch (r) {
        case PW_AUDIT_TIE_SESSIONID:
                return "audit session";
        case PW_AUDIT_TIE_USER_MANAGER:
                return "user manager";
        case PW_AUDIT_TIE_ONLY_SESSION:
                return "only session";
        case PW_AUDIT_TIE_AMBIGUOUS:
                return "ambiguous";
        }
        return "unknown";
}

static const char *rule_help(enum pw_audit_tie_rule r) {
        switch (r) {
        case PW_AUDIT_TIE_SESSIONID:
                return "the browser's kernel audit session id is this login session's (strong)";
        case PW_AUDIT_TIE_USER_MANAGER:
                return "the browser runs under the user's systemd --user manager, which belongs "
                       "to this graphical session";
        case PW_AUDIT_TIE_ONLY_SESSION:
                return "this was the user's only open login session";
        case PW_AUDIT_TIE_AMBIGUOUS:
                return "the user had several open sessions; this is one candidate of several";
        }
        return "";
}

static const char *source_name(enum pw_audit_source s) {
        const char *n = pw_audit_source_name(s);
        return n ? n : "not recorded";
}

/* ---- the page ------------------------------------------------------------------------------ */

static const char page_css[] =
        ":root{--ink:#1d2433;--muted:#5b6475;--line:#d9dee7;--bg:#f5f7fa;--card:#fff;"
        "--block:#d55e00;--override:#e69f00;--refused:#0072b2;--finding:#8893a8;--ok:#1a7f37;--bad:"
        "#b3261e}"
        "*{box-sizing:border-box}"
        "html{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
        "body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 "
        "system-ui,-apple-system,"
        "'Segoe UI',Roboto,'DejaVu Sans',sans-serif}"
        "main{max-width:1120px;margin:0 auto;padding:28px 28px 48px}"
        "header.top{display:flex;justify-content:space-between;align-items:flex-end;gap:24px;"
        "border-bottom:3px solid var(--ink);padding-bottom:14px;margin-bottom:18px}"
        "h1{font-size:26px;margin:0 0 4px;letter-spacing:-.01em}"
        "h2{font-size:18px;margin:0 0 10px}"
        "h3{font-size:15px;margin:0}"
        ".sub{color:var(--muted)}"
        "dl.meta{display:grid;grid-template-columns:auto auto;gap:2px 14px;margin:0;font-size:13px}"
        "dl.meta dt{color:var(--muted);text-align:right}dl.meta dd{margin:0;font-weight:600}"
        "section{background:var(--card);border:1px solid var(--line);border-radius:10px;"
        "padding:18px 20px;margin:16px 0}"
        ".verify{display:flex;gap:16px;align-items:center;border-width:2px}"
        ".verify .badge{font-size:28px;font-weight:800;line-height:1;padding:10px 14px;"
        "border-radius:8px;color:#fff;white-space:nowrap}"
        ".verify.ok{border-color:var(--ok)}.verify.ok .badge{background:var(--ok)}"
        ".verify.bad{border-color:var(--bad);background:#fdecea}.verify.bad "
        ".badge{background:var(--bad)}"
        ".verify.unknown{border-color:var(--muted)}.verify.unknown .badge{background:var(--muted)}"
        ".verify p{margin:2px 0}.hash{font-family:ui-monospace,'DejaVu Sans Mono',monospace;"
        "font-size:12px;word-break:break-all}"
        ".cards{display:grid;grid-template-columns:repeat(4,1fr);gap:10px}"
        ".card{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:#fbfcfe}"
        ".card .n{font-size:24px;font-weight:750;display:block}"
        ".card .l{color:var(--muted);font-size:12px}"
        ".card.block{border-left:5px solid var(--block)}.card.override{border-left:5px solid "
        "var(--override)}"
        ".card.refused{border-left:5px solid var(--refused)}"
        ".legend{display:flex;gap:16px;font-size:12px;color:var(--muted);margin:4px 0 8px}"
        ".sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;"
        "vertical-align:-1px}"
        ".two{display:grid;grid-template-columns:1fr 1fr;gap:16px;margin:16px 0}"
        ".two>section{margin:0}"
        "svg{display:block;width:100%;height:auto}"
        "svg text{font:12.5px system-ui,'DejaVu Sans',sans-serif;fill:var(--muted)}"
        "svg text.lbl{fill:var(--ink)}svg .grid{stroke:var(--line);stroke-width:1}"
        "svg .esc{fill:var(--bad);font-family:monospace}"
        "table{width:100%;border-collapse:collapse;font-size:13px}"
        "th,td{text-align:left;padding:5px 8px;border-bottom:1px solid "
        "var(--line);vertical-align:top}"
        "th{font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);"
        "font-weight:600}"
        "th small{text-transform:none;letter-spacing:0;font-weight:400}"
        "td.r,th.r{text-align:right;font-variant-numeric:tabular-nums}"
        "tr:last-child td{border-bottom:0}"
        ".acct{border:1px solid var(--line);border-radius:8px;padding:12px 14px;margin:12px 0;"
        "break-inside:avoid-page}"
        ".acct header{display:flex;justify-content:space-between;gap:12px;align-items:baseline;"
        "margin-bottom:6px;flex-wrap:wrap}"
        ".acct .handle{font-size:17px;font-weight:700}"
        ".pill{display:inline-block;border-radius:99px;padding:1px 8px;font-size:11px;"
        "font-weight:600;background:#eef1f6;color:var(--ink);white-space:nowrap}"
        ".pill.rule1{background:#e3f4e8;color:#14532d}.pill.rule2,.pill.rule3{background:#eef1f6}"
        ".pill.rule4{background:#fff1d6;color:#7a4b00}"
        ".pill.act-block{background:#fde4d6;color:#8a3200}.pill.act-warn{background:#fff1d6;"
        "color:#7a4b00}"
        ".just{white-space:pre-wrap;overflow-wrap:anywhere;max-width:460px}"
        "td{overflow-wrap:anywhere}td.span,td.host{white-space:nowrap;font-variant-numeric:tabular-"
        "nums}"
        ".acct table{font-size:12.5px}td.rules{overflow-wrap:normal;word-break:normal;"
        "font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:11.5px}"
        ".esc{color:var(--bad);background:#fdecea;border-radius:3px;padding:0 2px;"
        "font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:.92em}"
        ".none{color:var(--muted);font-style:italic}"
        ".more{color:var(--muted);font-size:12px;margin:6px 0 0}"
        ".note{color:var(--muted);font-size:12px}"
        "code{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12px;"
        "background:#eef1f6;padding:0 4px;border-radius:3px}"
        "footer{color:var(--muted);font-size:12px;margin-top:22px}"
        "table.bars td{vertical-align:middle;overflow-wrap:break-word}"
        "table.bars .r{width:1%;white-space:nowrap}table.bars "
        ".name{font-weight:600;margin-bottom:3px}"
        ".bar{position:relative;height:10px;background:#eef1f6;border-radius:3px}"
        ".bar span{position:absolute;left:0;top:0;bottom:0;background:var(--finding);"
        "border-radius:3px}.bar span.o{background:var(--override)}"
        "@media screen and "
        "(max-width:760px){.two{grid-template-columns:1fr}header.top{display:block}"
        ".cards{grid-template-columns:repeat(2,1fr)}}"
        "@page{size:A4;margin:14mm 12mm}"
        "@media print{body{background:#fff;font-size:11px}main{max-width:none;padding:0}"
        "section{border-color:#bbb;break-inside:avoid-page;padding:10px 12px;margin:10px 0}"
        "section.long{break-inside:auto}tr{break-inside:avoid}"
        ".two{grid-template-columns:1fr 1fr}.just{max-width:none}}";

struct page {
        FILE *f;
        const struct report_opts *o;
        const struct pw_audit_report *r;
        int verify_rc;                          /* pw_audit_verify()'s result */
        const struct pw_audit_verify_result *v; /* its result */
        const char *verify_error;               /* its error text when it could not run */
        enum unit unit;                         /* the timeline's bucket size */
        char host[256];                         /* this machine */
        char admin[64];                         /* who ran the report */
        int64_t generated;                      /* when */
};

/* <td> with a value, escaped and isolated. */
static void td_value(struct page *p, const char *s, size_t max) {
        fputs("<td>", p->f);
        pw_html_value(p->f, s, max);
        fputs("</td>", p->f);
}

static void td_num(struct page *p, int64_t v) {
        fprintf(p->f, "<td class=\"r\">%s</td>", NUM(v));
}

static void td_time(struct page *p, int64_t us) {
        const struct report_opts *o = p->o;
        if (us)
                fprintf(p->f, "<td class=\"span\">%s</td>", TIME(us));
        else
                fputs("<td><span class=\"none\">—</span></td>", p->f);
}

/* A time span in a cell: the start, and below it the end (only the time when on the same day;
 * nothing when equal; `open` when 0). */
static void td_span(struct page *p, int64_t from, int64_t to, const char *open) {
        const struct report_opts *o = p->o;
        FILE *f = p->f;
        fprintf(f, "<td class=\"span\">%s", TIME(from));
        if (!to) {
                if (open)
                        fprintf(f, "<br><span class=\"sub\">→ <em>%s</em></span>", open);
        } else if (to != from) {
                struct tm a = tm_of(from, o->utc), b = tm_of(to, o->utc);
                char buf[40];
                if (a.tm_year == b.tm_year && a.tm_yday == b.tm_yday)
                        strftime(buf, sizeof buf, "%H:%M", &b);
                else
                        fmt_time(buf, sizeof buf, to, o->utc, false);
                fprintf(f, "<br><span class=\"sub\">→ %s</span>", buf);
        }
        fputs("</td>", f);
}

static void write_head(struct page *p) {
        const struct report_opts *o = p->o;
        const struct pw_audit_report *r = p->r;
        char zone[64];
        FILE *f = p->f;
        fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
              "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n"
              "<meta name=\"referrer\" content=\"no-referrer\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
              "<meta name=\"generator\" content=\"postwardenctl " POSTWARDEN_VERSION "\">\n"
              "<title>Postwarden audit report: ",
              f);
        pw_html_str(f, p->host, PW_HTML_ATTR); /* <title> holds text only */
        fprintf(f, ", %s", TIME(r->since_us));
        fprintf(f, " to %s</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n",
                TIME(r->until_us), page_css);
        fputs("<header class=\"top\"><div><h1>Postwarden audit report</h1>"
              "<div class=\"sub\">Host <strong data-pw=\"host\">",
              f);
        pw_html_value(f, p->host, 200);
        fprintf(f, "</strong> · %s to %s</div></div>\n<dl class=\"meta\">", TIME(r->since_us),
                TIME(r->until_us));
        fprintf(f, "<dt>Period</dt><dd data-pw=\"period\">%s – %s</dd>", TIME(r->since_us),
                TIME(r->until_us));
        fprintf(f, "<dt>Times</dt><dd>%s</dd>", fmt_zone(zone, sizeof zone, r->until_us, o->utc));
        fprintf(f, "<dt>Generated</dt><dd data-pw=\"generated\">%s</dd>",
                fmt_time((char[40]){0}, 40, p->generated, o->utc, true));
        fputs("<dt>By</dt><dd>", f);
        pw_html_value(f, p->admin, 64);
        fputs("</dd><dt>Database</dt><dd>", f);
        pw_html_value(f, o->db, 200);
        fputs("</dd></dl></header>\n", f);
}

static void write_verify(struct page *p) {
        FILE *f = p->f;
        const struct pw_audit_report *r = p->r;
        const struct pw_audit_verify_result *v = p->v;
        const char *cls = p->verify_rc == 0 ? "ok" : p->verify_rc == -EBADMSG ? "bad" : "unknown";
        const char *badge = p->verify_rc == 0          ? "✔ Chain intact"
                            : p->verify_rc == -EBADMSG ? "✘ Chain broken"
                                                       : "? Not verified";
        fprintf(f,
                "<section class=\"verify %s\" id=\"verify\" data-pw=\"verify\" "
                "data-pw-status=\"%s\"><div class=\"badge\">%s</div><div>",
                cls, cls, badge);
        if (p->verify_rc == 0 || p->verify_rc == -EBADMSG) {
                fprintf(f, "<p><strong>Hash chain of the whole store</strong>: %s events checked",
                        NUM(v->rows));
                if (v->rows)
                        fprintf(f, " (events %s to %s)", NUM(v->first_seq), NUM(v->head.seq));
                fputs(".</p>", f);
        }
        if (p->verify_rc == 0) {
                fputs("<p>Every event, archived text, finding, session, account and link the chain "
                      "vouches for is unchanged, and nothing was inserted without its event.</p>",
                      f);
                fprintf(f, "<p>Head: <span class=\"hash\" data-pw=\"head\">%s</span></p>",
                        v->head.hex);
        } else if (p->verify_rc == -EBADMSG) {
                if (v->bad_seq)
                        fprintf(f,
                                "<p><strong>First broken event: <span data-pw=\"bad-seq\">%lld"
                                "</span></strong>. ",
                                (long long)v->bad_seq);
                else if (v->bad_table[0]) {
                        fputs("<p><strong>A row no event records: ", f);
                        pw_html_str(f, v->bad_table, PW_HTML_TEXT);
                        fprintf(f, " %lld</strong>. ", (long long)v->bad_row);
                } else
                        fputs("<p>", f);
                fputs("Reason: ", f);
                pw_html_value(f, v->reason, 0);
                fprintf(f,
                        "</p><p>Events up to %s verify (head <span class=\"hash\">%s</span>); "
                        "do not rely on anything after that without checking the heads your "
                        "log collector received.</p>",
                        NUM(v->head.seq), v->head.hex);
        } else {
                fputs("<p>The chain could not be read: ", f);
                pw_html_value(f, p->verify_error, 0);
                fputs("</p>", f);
        }
        fprintf(f,
                "<p class=\"note\">Checked against the database alone. The service sent %s "
                "chain heads to syslog%s",
                NUM(r->store.heads_logged), r->store.heads_logged ? " (newest " : "");
        if (r->store.heads_logged) {
                const struct report_opts *o = p->o;
                fprintf(f, "%s)", TIME(r->store.last_head_us));
        }
        fputs("; <code>postwardenctl audit verify</code> also checks them against the heads your "
              "log collector received, which shows a cut-off tail.</p></div></section>\n",
              f);
}

static void card(FILE *f, const char *cls, const char *key, int64_t n, const char *label) {
        fprintf(f,
                "<div class=\"card %s\"><span class=\"n\" data-pw=\"%s\">%s</span>"
                "<span class=\"l\">%s</span></div>",
                cls, key, NUM(n), label);
}

static void write_summary(struct page *p) {
        FILE *f = p->f;
        const struct pw_audit_report *r = p->r;
        fputs("<section id=\"summary\"><h2>Summary of the period</h2><div class=\"cards\">", f);
        card(f, "", "posts", r->tally.posts + r->tally.overrides, "post attempts");
        card(f, "block", "blocked", r->tally.blocked, "blocked (not posted)");
        card(f, "override", "overrides", r->tally.overrides, "posted anyway (override)");
        card(f, "refused", "auth-blocks", r->tally.auth_blocks, "refused company-account uses");
        card(f, "", "warned", r->tally.warned, "warnings");
        card(f, "", "company-posts", r->company_posts, "as a company account");
        card(f, "", "sessions", r->sessions, "login sessions");
        card(f, "", "users", r->users, "users");
        fputs("</div>", f);
        fprintf(f,
                "<p class=\"note\">%s events in the period in all (%s login and account "
                "events); %s posts as personal accounts (their text is never stored); %s "
                "company-account posts archived in full; %s events redacted.</p></section>\n",
                NUM(r->events),
                NUM(r->by_kind[PW_AUDIT_SESSION_OPEN] + r->by_kind[PW_AUDIT_SESSION_CLOSE] +
                    r->by_kind[PW_AUDIT_ACCOUNT_SEEN] + r->by_kind[PW_AUDIT_SESSION_LINK]),
                NUM(r->personal_posts), NUM(r->archived), NUM(r->redacted));
}

/* A round upper bound for an axis: 1, 2, 5 × 10^k. */
static int64_t nice_max(int64_t v) {
        int64_t m = 1;
        while (m < v) {
                if (m * 2 >= v)
                        return m * 2;
                if (m * 5 >= v)
                        return m * 5;
                m *= 10;
        }
        return m < 4 ? 4 : m;
}

static const char *bucket_label(char *buf, size_t size, int64_t us, enum unit u, bool utc,
                                bool with_date) {
        struct tm tm = tm_of(us, utc);
        if (u == U_HOUR && with_date)
                strftime(buf, size, "%d %b %H:%M", &tm);
        else if (u == U_HOUR)
                strftime(buf, size, "%H:%M", &tm);
        else if (u == U_MONTH)
                strftime(buf, size, "%b %Y", &tm);
        else
                strftime(buf, size, "%d %b", &tm);
        return buf;
}

static void write_timeline(struct page *p) {
        FILE *f = p->f;
        const struct pw_audit_report *r = p->r;
        const struct report_opts *o = p->o;
        static const char *unit_names[] = {"hour", "day", "week", "month"};
        fputs("<section id=\"timeline\"><h2>Timeline of blocks and overrides</h2>", f);
        fprintf(f,
                "<div class=\"legend\"><span><i class=\"sw\" style=\"background:var(--block)\">"
                "</i>blocked posts</span><span><i class=\"sw\" style=\"background:"
                "var(--override)\"></i>overrides</span><span><i class=\"sw\" style=\"background:"
                "var(--refused)\"></i>refused company-account uses</span><span>one bar per "
                "%s</span></div>",
                unit_names[p->unit]);
        size_t n = r->n_buckets;
        int64_t maxv = 0;
        for (size_t i = 0; i < n; i++) {
                const struct pw_audit_report_tally *t = &r->buckets[i].tally;
                int64_t s = t->blocked + t->overrides + t->auth_blocks;
                if (s > maxv)
                        maxv = s;
        }
        int64_t ymax = nice_max(maxv);
        /* ticks on round numbers: 5 for a 1 or 5 leading digit (0 2 4 6 8 10), else 4 */
        int64_t lead = ymax;
        while (lead >= 10 && lead % 10 == 0)
                lead /= 10;
        int ticks = lead == 1 || lead == 5 ? 5 : 4;
        /* the y axis is as wide as its longest label (about 7.5 units per character) */
        const double W = 960, H = 250, R = 10, T = 10, B = 36;
        const double L = 16 + 7.5 * (double)strlen(NUM(ymax));
        const double pw = W - L - R, ph = H - T - B;
        fprintf(f,
                "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"timeline\" "
                "data-pw=\"timeline\" data-pw-buckets=\"%zu\">",
                W, H, n);
        for (int k = 0; k <= ticks; k++) {
                double y = T + ph - ph * k / (double)ticks;
                fprintf(f,
                        "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
                        L, W - R, y, y, L - 6, y + 4, NUM(ymax * k / ticks));
        }
        double bw = n ? pw / (double)n : pw;
        double gap = bw > 6 ? bw * 0.18 : 0;
        /* about eight labels on the x axis */
        size_t step = n > 8 ? (n + 7) / 8 : 1;
        for (size_t i = 0; i < n; i++) {
                const struct pw_audit_report_bucket *bk = &r->buckets[i];
                const struct pw_audit_report_tally *t = &bk->tally;
                double x = L + bw * (double)i;
                char lb[40];
                if (i % step == 0 && x + 44 <= W - R) {
                        bool with_date =
                                p->unit == U_HOUR &&
                                (i == 0 || tm_of(bk->start_us, o->utc).tm_hour < (int)step);
                        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\">%s</text>", x,
                                H - B + 16,
                                bucket_label(lb, sizeof lb, bk->start_us, p->unit, o->utc,
                                             with_date));
                        fprintf(f,
                                "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
                                "y2=\"%.1f\"/>",
                                x, x, T + ph, T + ph + 4);
                }
                int64_t s = t->blocked + t->overrides + t->auth_blocks;
                if (!s)
                        continue;
                fprintf(f,
                        "<g data-pw=\"bar\"><title>%s: %s blocked, %s overrides, %s refused "
                        "(of %s post attempts)</title>",
                        fmt_time(lb, sizeof lb, bk->start_us, o->utc, false), NUM(t->blocked),
                        NUM(t->overrides), NUM(t->auth_blocks), NUM(t->posts + t->overrides));
                double y = T + ph;
                const int64_t vals[3] = {t->blocked, t->overrides, t->auth_blocks};
                const char *colors[3] = {"var(--block)", "var(--override)", "var(--refused)"};
                for (int k = 0; k < 3; k++) {
                        if (!vals[k])
                                continue;
                        double h = ph * (double)vals[k] / (double)ymax;
                        y -= h;
                        fprintf(f,
                                "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                                "style=\"fill:%s\"/>",
                                x + gap / 2, y, bw - gap > 0.6 ? bw - gap : 0.6, h, colors[k]);
                }
                fputs("</g>", f);
        }
        fprintf(f,
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
                "style=\"stroke:var(--ink)\"/></svg>",
                L, W - R, T + ph, T + ph);
        if (!r->tally.blocked && !r->tally.overrides && !r->tally.auth_blocks)
                fputs("<p class=\"note\">No blocks, overrides or refused uses in the period.</p>",
                      f);
        fputs("</section>\n", f);
}

/* A ranked list of counts (rules or categories) as a table with bars: CSS bars keep the text at
 * its size on screen and on paper, where a scaled SVG would shrink it. */
static void write_bars(struct page *p, const char *id, const char *title,
                       const struct pw_audit_report_count *v, size_t n, size_t total,
                       const char *head) {
        FILE *f = p->f;
        fprintf(f, "<section id=\"%s\"><h2>%s</h2>", id, title);
        if (!n) {
                fputs("<p class=\"none\">No findings in the period.</p></section>\n", f);
                return;
        }
        int64_t maxv = 1;
        for (size_t i = 0; i < n; i++)
                if (v[i].n > maxv)
                        maxv = v[i].n;
        fprintf(f,
                "<table class=\"bars\" data-pw=\"%s\"><thead><tr><th>%s</th><th class=\"r\">"
                "Findings</th><th class=\"r\" title=\"posts made anyway\">Overridden</th></tr>"
                "</thead><tbody>",
                id, head);
        for (size_t i = 0; i < n; i++) {
                double w = 100.0 * (double)v[i].n / (double)maxv;
                double wo = v[i].events ? w * (double)v[i].overridden / (double)v[i].events : 0;
                fprintf(f, "<tr data-pw=\"%s-row\"><td><div class=\"name\">", id);
                pw_html_value(f, v[i].name, 80);
                fprintf(f,
                        "</div><div class=\"bar\"><span style=\"width:%.1f%%\"></span><span "
                        "class=\"o\" style=\"width:%.1f%%\"></span></div></td>",
                        w, wo);
                td_num(p, v[i].n);
                td_num(p, v[i].overridden);
                fputs("</tr>", f);
        }
        fputs("</tbody></table><p class=\"more\"><i class=\"sw\" style=\"background:"
              "var(--finding)\"></i>findings <i class=\"sw\" style=\"background:var(--override)"
              "\"></i>share in posts made anyway (events).",
              f);
        if (total > n)
                fprintf(f, " Top %zu of %s.", n, NUM((int64_t)total));
        fputs("</p></section>\n", f);
}

static void write_accounts(struct page *p) {
        FILE *f = p->f;
        const struct pw_audit_report *r = p->r;
        fprintf(f,
                "<section class=\"long\" id=\"accounts\"><h2>Sessions per company account</h2>"
                "<p class=\"note\">Who acted as each company account: the login session "
                "(user, host, terminal or remote address: stated by the PAM module), when, and "
                "by which rule postwardend tied the browser to that session. Accounts and "
                "sites are what the employee's browser reported (client claims). Counts are "
                "events of the period. <span data-pw=\"accounts-total\">%s</span> company "
                "accounts used in the period.</p>",
                NUM((int64_t)r->n_accounts_total));
        if (!r->n_accounts)
                fputs("<p class=\"none\">No company account was used in the period.</p>", f);
        for (size_t i = 0; i < r->n_accounts; i++) {
                const struct pw_audit_report_account *a = &r->accounts[i];
                fputs("<div class=\"acct\" data-pw=\"account\"><header><div><span "
                      "class=\"handle\" data-pw=\"account-handle\">",
                      f);
                pw_html_value(f, a->handle ? a->handle : a->stable_id, 200);
                fputs("</span> <span class=\"sub\">on ", f);
                pw_html_value(f, a->site, 120);
                fputs("</span>", f);
                if (a->display_name) {
                        fputs(" · <span class=\"sub\" data-pw=\"account-display-name\">", f);
                        pw_html_value(f, a->display_name, 200);
                        fputs("</span>", f);
                }
                if (a->policy_name) {
                        fputs(" · <span class=\"pill\" title=\"name in the policy\">", f);
                        pw_html_value(f, a->policy_name, 80);
                        fputs("</span>", f);
                }
                fprintf(f,
                        "</div><div class=\"sub\"><strong>%s</strong> posts · <strong>%s"
                        "</strong> blocked · <strong>%s</strong> overrides · <strong>%s"
                        "</strong> refused · <strong data-pw=\"account-sessions\">%s</strong> "
                        "sessions</div></header>",
                        NUM(a->tally.posts + a->tally.overrides), NUM(a->tally.blocked),
                        NUM(a->tally.overrides), NUM(a->tally.auth_blocks),
                        NUM((int64_t)a->n_links_total));
                if (a->n_links) {
                        fputs("<table><thead><tr><th>User <small>(pam)</small></th><th>Host</th>"
                              "<th>From</th><th>Login session</th><th>Used the account</th>"
                              "<th>Tie rule <small>(service)</small></th><th class=\"r\">Posts"
                              "</th><th class=\"r\">Blocked</th><th class=\"r\">Overrides</th>"
                              "</tr></thead><tbody>",
                              f);
                }
                for (size_t j = 0; j < a->n_links; j++) {
                        const struct pw_audit_report_link *l = &a->links[j];
                        fputs("<tr data-pw=\"link\"><td data-pw=\"link-user\">", f);
                        pw_html_value(f, l->user, 64);
                        if (l->uid >= 0)
                                fprintf(f, " <span class=\"sub\">uid %lld</span>",
                                        (long long)l->uid);
                        if (l->src != PW_AUDIT_SRC_PAM)
                                fprintf(f,
                                        " <span class=\"pill\" title=\"source of the session's "
                                        "facts\">%s</span>",
                                        source_name(l->src));
                        fputs("</td>", f);
                        fputs("<td class=\"host\">", f);
                        pw_html_value(f, l->host, 40);
                        fputs("</td>", f);
                        fputs("<td>", f);
                        if (l->rhost) {
                                fputs("remote ", f);
                                pw_html_value(f, l->rhost, 80);
                        } else if (l->tty) {
                                pw_html_value(f, l->tty, 40);
                        } else
                                fputs("<span class=\"none\">local</span>", f);
                        if (l->service) {
                                fputs(" <span class=\"sub\">via ", f);
                                pw_html_value(f, l->service, 40);
                                fputs("</span>", f);
                        }
                        fputs("</td>", f);
                        td_span(p, l->opened_us, l->closed_us, "still open");
                        td_span(p, l->first_us, l->last_us, NULL);
                        fprintf(f,
                                "<td><span class=\"pill rule%d\" title=\"%s\" "
                                "data-pw=\"link-rule\">%s</span></td>",
                                (int)l->rule, rule_help(l->rule), rule_name(l->rule));
                        td_num(p, l->tally.posts + l->tally.overrides);
                        td_num(p, l->tally.blocked);
                        td_num(p, l->tally.overrides);
                        fputs("</tr>", f);
                }
                if (a->n_links)
                        fputs("</tbody></table>", f);
                if (a->n_links_total > a->n_links) {
                        fprintf(f,
                                "<p class=\"more\">The latest %zu of %s sessions. All: "
                                "<code>postwardenctl audit sessions --account ",
                                a->n_links, NUM((int64_t)a->n_links_total));
                        pw_html_str(f, a->handle ? a->handle : a->stable_id, PW_HTML_TEXT);
                        fputs("</code></p>", f);
                }
                if (a->untied)
                        fprintf(f,
                                "<p class=\"more\">%s events as this account were not tied to "
                                "a single login session (no session, or several candidates).</p>",
                                NUM(a->untied));
                fputs("</div>", f);
        }
        if (r->n_accounts_total > r->n_accounts)
                fprintf(f, "<p class=\"more\">The %zu most active of %s company accounts.</p>",
                        r->n_accounts, NUM((int64_t)r->n_accounts_total));
        fputs("</section>\n", f);
}

/* Who sent an event: user@host of its session, else the kernel's uid. */
static void td_who(struct page *p, const struct pw_audit_report_item *it) {
        FILE *f = p->f;
        fputs("<td data-pw=\"item-user\">", f);
        if (it->user) {
                pw_html_value(f, it->user, 64);
                if (it->host) {
                        fputs(" <span class=\"sub\">on ", f);
                        pw_html_value(f, it->host, 64);
                        fputs("</span>", f);
                }
        } else if (it->peer_uid >= 0)
                fprintf(f, "uid %lld <span class=\"sub\">(no single session)</span>",
                        (long long)it->peer_uid);
        else
                fputs("<span class=\"none\">unknown</span>", f);
        fputs("</td>", f);
}

static void td_account(struct page *p, const struct pw_audit_report_item *it) {
        FILE *f = p->f;
        fputs("<td data-pw=\"item-account\">", f);
        if (it->company && it->handle)
                pw_html_value(f, it->handle, 120);
        else if (it->company)
                fputs("<span class=\"none\">company account</span>", f);
        else
                fputs("<span class=\"none\">personal account</span>", f);
        fputs(" <span class=\"sub\">on ", f);
        pw_html_value(f, it->site, 80);
        fputs("</span></td>", f);
}

static void write_overrides(struct page *p) {
        FILE *f = p->f;
        const struct pw_audit_report *r = p->r;
        fprintf(f,
                "<section class=\"long\" id=\"overrides\"><h2>Override justifications</h2>"
                "<p class=\"note\">Posts made anyway after a warning or an overridable block, "
                "with the reason the employee typed (a client claim, shown exactly as stored). "
                "Newest first; <span data-pw=\"overrides-total\">%s</span> in the period.</p>",
                NUM(r->tally.overrides));
        if (!r->n_overrides) {
                fputs("<p class=\"none\">No overrides in the period.</p></section>\n", f);
                return;
        }
        fputs("<table><thead><tr><th>When</th><th>Who</th><th>Account</th><th>Verdict</th>"
              "<th>Rules</th><th>Justification <small>(client)</small></th></tr></thead><tbody>",
              f);
        for (size_t i = 0; i < r->n_overrides; i++) {
                const struct pw_audit_report_item *it = &r->overrides[i];
                fprintf(f, "<tr data-pw=\"override\" data-pw-seq=\"%lld\">", (long long)it->seq);
                td_time(p, it->time_us);
                td_who(p, it);
                td_account(p, it);
                fputs("<td>", f);
                if (it->action) {
                        fputs("<span class=\"pill act-", f);
                        pw_html_str(f, it->action, PW_HTML_ATTR);
                        fputs("\">", f);
                        pw_html_value(f, it->action, 16);
                        fputs("</span>", f);
                } else
                        fputs("<span class=\"none\">—</span>", f);
                fputs("</td><td class=\"rules\">", f);
                if (it->redacted)
                        fputs("<span class=\"none\">redacted</span>", f);
                else
                        pw_html_value(f, it->rules, 300);
                fputs("</td><td class=\"just\" data-pw=\"justification\">", f);
                if (it->justification) {
                        fputs("<bdi>", f);
                        pw_html_escape(f, it->justification, strlen(it->justification),
                                       PW_HTML_TEXT, PW_HTML_KEEP_NEWLINES, 0);
                        fputs("</bdi>", f);
                } else
                        fputs("<span class=\"none\">none given</span>", f);
                fputs("</td></tr>", f);
        }
        fputs("</tbody></table>", f);
        if ((int64_t)r->n_overrides < r->tally.overrides)
                fprintf(f,
                        "<p class=\"more\">The latest %zu of %s. All: <code>postwardenctl "
                        "audit events --since …</code></p>",
                        r->n_overrides, NUM(r->tally.overrides));
        fputs("</section>\n", f);
}

static void write_refused(struct page *p) {
        FILE *f = p->f;
        const struct pw_audit_report *r = p->r;
        fprintf(f,
                "<section class=\"long\" id=\"refused\"><h2>Refused company-account uses</h2>"
                "<p class=\"note\">Attempts to post as a company account by someone the policy "
                "does not authorise for it. Newest first; <span data-pw=\"auth-blocks-total\">"
                "%s</span> in the period.</p>",
                NUM(r->tally.auth_blocks));
        if (!r->n_auth_blocks) {
                fputs("<p class=\"none\">None in the period.</p></section>\n", f);
                return;
        }
        fputs("<table><thead><tr><th>When</th><th>Who</th><th>Account <small>(client)</small>"
              "</th></tr></thead><tbody>",
              f);
        for (size_t i = 0; i < r->n_auth_blocks; i++) {
                const struct pw_audit_report_item *it = &r->auth_blocks[i];
                fprintf(f, "<tr data-pw=\"auth-block\" data-pw-seq=\"%lld\">", (long long)it->seq);
                td_time(p, it->time_us);
                td_who(p, it);
                td_account(p, it);
                fputs("</tr>", f);
        }
        fputs("</tbody></table>", f);
        if ((int64_t)r->n_auth_blocks < r->tally.auth_blocks)
                fprintf(f, "<p class=\"more\">The latest %zu of %s.</p>", r->n_auth_blocks,
                        NUM(r->tally.auth_blocks));
        fputs("</section>\n", f);
}

static void count_table(struct page *p, const char *key, const char *head, const char *unit,
                        const struct pw_audit_report_count *v, size_t n, size_t total, bool times) {
        FILE *f = p->f;
        if (!n) {
                fputs("<p class=\"none\">None in the period.</p>", f);
                return;
        }
        fprintf(f,
                "<table data-pw=\"%s\"><thead><tr><th>%s</th><th class=\"r\">%s</th>%s"
                "</tr></thead><tbody>",
                key, head, unit, times ? "<th>First</th><th>Last</th>" : "");
        for (size_t i = 0; i < n; i++) {
                fputs("<tr>", f);
                td_value(p, v[i].name, 120);
                td_num(p, v[i].n);
                if (times) {
                        td_time(p, v[i].first_us);
                        td_time(p, v[i].last_us);
                }
                fputs("</tr>", f);
        }
        fputs("</tbody></table>", f);
        if (total > n)
                fprintf(f, "<p class=\"more\">Top %zu of %s.</p>", n, NUM((int64_t)total));
}

static void write_context(struct page *p) {
        FILE *f = p->f;
        const struct pw_audit_report *r = p->r;
        const struct report_opts *o = p->o;
        fputs("<div class=\"two\"><section id=\"sites\"><h2>Sites</h2>", f);
        count_table(p, "sites", "Site <small>(client)</small>", "Events", r->sites, r->n_sites,
                    r->n_sites_total, false);
        fputs("</section><section id=\"policies\"><h2>Policies applied</h2>", f);
        count_table(p, "policies", "Policy id", "Events", r->policies, r->n_policies,
                    r->n_policies_total, true);
        fputs("</section></div>\n<div class=\"two\"><section id=\"hosts\"><h2>Hosts</h2>", f);
        count_table(p, "hosts", "Host <small>(pam)</small>", "Sessions", r->hosts, r->n_hosts,
                    r->n_hosts_total, false);
        fputs("<p class=\"note\">Login sessions active in the period, by the host name the PAM "
              "module recorded.</p></section>",
              f);
        fputs("<section id=\"store\"><h2>Store and retention</h2><table><tbody>", f);
        fprintf(f, "<tr><td>Events stored</td><td data-pw=\"store-events\">%s</td></tr>",
                NUM(r->store.events));
        fputs("<tr><td>Oldest event</td>", f);
        td_time(p, r->store.oldest_us);
        fputs("</tr><tr><td>Newest event</td>", f);
        td_time(p, r->store.newest_us);
        fputs("</tr><tr><td>Last purge</td>", f);
        if (r->store.purge_time_us)
                fprintf(f, "<td>%s (everything before %s, up to event %s)</td>",
                        TIME(r->store.purge_time_us), TIME(r->store.purge_before_us),
                        NUM(r->store.purge_seq));
        else
                fputs("<td><span class=\"none\">never</span></td>", f);
        fputs("</tr></tbody></table><p class=\"note\">The oldest event shows whether the "
              "retention period is applied (daily purge).</p></section></div>\n",
              f);
}

static void write_foot(struct page *p) {
        fprintf(p->f,
                "<footer><p>Generated by postwardenctl %s. Sources: user, host, terminal and "
                "remote address are stated by the PAM module (pam); uid by the kernel; "
                "site, account, and justification are claims of the employee's browser "
                "(client); verdicts and tie rules by postwardend (service). See "
                "<code>docs/audit.md</code>.</p><p>This report contains personal data of "
                "employees. Keep it only as long as its purpose needs and share it only "
                "with those entitled to see it (see <code>docs/privacy.md</code>).</p>"
                "</footer>\n</main>\n</body>\n</html>\n",
                POSTWARDEN_VERSION);
}

static void write_page(struct page *p) {
        write_head(p);
        write_verify(p);
        write_summary(p);
        write_timeline(p);
        fputs("<div class=\"two\">", p->f);
        write_bars(p, "rules", "Top rules", p->r->rules, p->r->n_rules, p->r->n_rules_total,
                   "Rule");
        write_bars(p, "categories", "Top categories", p->r->categories, p->r->n_categories,
                   p->r->n_categories_total, "Category");
        fputs("</div>\n", p->f);
        write_accounts(p);
        write_overrides(p);
        write_refused(p);
        write_context(p);
        write_foot(p);
}

/* ---- verification beside the aggregation --------------------------------------------------- */

struct verify_job {
        struct pw_audit *a; /* its own read-only handle */
        int rc;
        struct pw_audit_verify_result res;
        struct pw_error err;
};

static void *verify_thread(void *arg) {
        struct verify_job *j = arg;
        j->rc = pw_audit_verify(j->a, NULL, 0, &j->res, &j->err);
        return NULL;
}

/* ---- the command --------------------------------------------------------------------------- */

static int first_event(const struct pw_audit_event_row *row, void *userdata) {
        *(int64_t *)userdata = row->time_us;
        return 0;
}

static size_t size_opt(const char *name, const char *v, size_t max) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (errno || end == v || *end || n == 0 || n > max || v[0] == '-') {
                fprintf(stderr,
                        "postwardenctl: audit report: --%s: '%s' is not a number from 1 "
                        "to %zu\n",
                        name, v, max);
                return 0;
        }
        return (size_t)n;
}

int pw_cli_audit_report(int argc, char **argv) {
        enum { OPT_SINCE = 256, OPT_UNTIL, OPT_DB, OPT_UTC, OPT_ROWS, OPT_TOP, OPT_HELP };
        static const struct option longopts[] = {
                {"since", required_argument, NULL, OPT_SINCE},
                {"until", required_argument, NULL, OPT_UNTIL},
                {"output", required_argument, NULL, 'o'},
                {"db", required_argument, NULL, OPT_DB},
                {"utc", no_argument, NULL, OPT_UTC},
                {"rows", required_argument, NULL, OPT_ROWS},
                {"top", required_argument, NULL, OPT_TOP},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        struct report_opts o = {.db = PW_CLI_AUDIT_DB_DEFAULT, .rows = 50, .top = 15};
        int c;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_SINCE:
                        o.since_arg = optarg;
                        break;
                case OPT_UNTIL:
                        o.until_arg = optarg;
                        break;
                case 'o':
                        o.output = optarg;
                        break;
                case OPT_DB:
                        o.db = optarg;
                        break;
                case OPT_UTC:
                        o.utc = true;
                        break;
                case OPT_ROWS:
                        if (!(o.rows = size_opt("rows", optarg, 10000)))
                                return PW_CLI_EXIT_ERROR;
                        break;
                case OPT_TOP:
                        if (!(o.top = size_opt("top", optarg, 1000)))
                                return PW_CLI_EXIT_ERROR;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        fprintf(stderr, "postwardenctl: audit report: %s '%s'\n",
                                optopt ? "option needs a value:" : "unknown option",
                                argv[optind - 1]);
                        usage(stderr);
                        return PW_CLI_EXIT_ERROR;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "postwardenctl: audit report: unexpected argument '%s'\n",
                        argv[optind]);
                return PW_CLI_EXIT_ERROR;
        }
        int64_t now = pw_cli_now_us();
        struct pw_error te = {0};
        o.until_us = now;
        if (o.until_arg && pw_cli_time_parse(o.until_arg, now, &o.until_us, &te) < 0) {
                fprintf(stderr, "postwardenctl: audit report: --until: %s\n", te.text);
                return PW_CLI_EXIT_ERROR;
        }
        o.since_us = o.until_us - 30 * 86400 * US;
        if (o.since_arg && pw_cli_time_parse(o.since_arg, now, &o.since_us, &te) < 0) {
                fprintf(stderr, "postwardenctl: audit report: --since: %s\n", te.text);
                return PW_CLI_EXIT_ERROR;
        }
        if (o.since_us >= o.until_us) {
                fprintf(stderr, "postwardenctl: audit report: the period is empty: --since is "
                                "not before --until\n");
                return PW_CLI_EXIT_ERROR;
        }

        struct pw_audit *a = NULL;
        if (pw_cli_audit_open(o.db, &a) != 0)
                return PW_CLI_EXIT_ERROR;
        /* The chain walk on a second handle, in its own thread. */
        struct verify_job job = {.rc = 1};
        pthread_t th;
        bool threaded = false;
        if (pw_cli_audit_open(o.db, &job.a) != 0) {
                pw_audit_free(a);
                return PW_CLI_EXIT_ERROR;
        }
        threaded = pthread_create(&th, NULL, verify_thread, &job) == 0;

        /* The timeline starts at the first event of the period (or --since if later). */
        int64_t first = o.since_us;
        struct pw_audit_event_filter ef = {
                .since_us = o.since_us, .until_us = o.until_us, .limit = 1};
        struct pw_error e = {0};
        int r = pw_audit_query_events(a, &ef, first_event, &first, &e);
        if (r < 0) {
                fprintf(stderr, "postwardenctl: audit report: %s\n",
                        e.text[0] ? e.text : strerror(-r));
                if (threaded)
                        pthread_join(th, NULL);
                pw_audit_free(job.a);
                pw_audit_free(a);
                return PW_CLI_EXIT_ERROR;
        }
        enum unit unit;
        size_t n_buckets = 0;
        int64_t *edges = make_edges(first, o.until_us, o.utc, &unit, &n_buckets);
        if (!edges) {
                fprintf(stderr, "postwardenctl: out of memory\n");
                if (threaded)
                        pthread_join(th, NULL);
                pw_audit_free(job.a);
                pw_audit_free(a);
                return PW_CLI_EXIT_ERROR;
        }
        struct pw_audit_report_options ro = {
                .since_us = o.since_us,
                .until_us = o.until_us,
                .edges = edges,
                .n_buckets = n_buckets,
                .max_accounts = o.rows,
                .max_links = o.rows < 20 ? o.rows : 20,
                .max_items = o.rows,
                .max_top = o.top,
        };
        struct pw_audit_report *rep = NULL;
        r = pw_audit_report_build(a, &ro, &rep, &e);
        if (threaded)
                pthread_join(th, NULL);
        else
                verify_thread(&job);
        pw_audit_free(job.a);
        pw_audit_free(a);
        if (r < 0) {
                fprintf(stderr, "postwardenctl: audit report: %s\n",
                        e.text[0] ? e.text : strerror(-r));
                free(edges);
                return PW_CLI_EXIT_ERROR;
        }

        struct page p = {
                .o = &o,
                .r = rep,
                .verify_rc = job.rc,
                .v = &job.res,
                .verify_error = job.err.text[0] ? job.err.text : strerror(-job.rc),
                .unit = unit,
                .generated = pw_cli_now_us(),
        };
        if (gethostname(p.host, sizeof p.host) < 0)
                snprintf(p.host, sizeof p.host, "unknown");
        p.host[sizeof p.host - 1] = '\0';
        struct passwd *pw = getpwuid(getuid());
        snprintf(p.admin, sizeof p.admin, "%s", pw ? pw->pw_name : "unknown");

        /* Into a temporary file beside the output, renamed when complete. */
        char tmp[PATH_MAX] = "";
        int fd = -1;
        if (o.output && strcmp(o.output, "-")) {
                if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", o.output) >= (int)sizeof tmp) {
                        fprintf(stderr, "postwardenctl: audit report: -o: path too long\n");
                        r = -ENAMETOOLONG;
                } else if ((fd = mkstemp(tmp)) < 0) {
                        fprintf(stderr, "postwardenctl: audit report: cannot create %s: %s\n", tmp,
                                strerror(errno));
                        r = -errno;
                } else if (!(p.f = fdopen(fd, "w"))) {
                        close(fd);
                        r = -errno;
                }
        } else {
                p.f = stdout;
        }
        if (r >= 0) {
                write_page(&p);
                if (fflush(p.f) != 0 || ferror(p.f))
                        r = -errno ? -errno : -EIO;
                if (p.f != stdout) {
                        if (r >= 0 && fsync(fileno(p.f)) < 0)
                                r = -errno;
                        if (fclose(p.f) != 0 && r >= 0)
                                r = -errno;
                        if (r >= 0 && rename(tmp, o.output) < 0)
                                r = -errno;
                        if (r < 0)
                                unlink(tmp);
                }
                if (r < 0)
                        fprintf(stderr, "postwardenctl: audit report: writing %s: %s\n",
                                o.output ? o.output : "standard output", strerror(-r));
        }
        pw_audit_report_free(rep);
        free(edges);
        if (r < 0)
                return PW_CLI_EXIT_ERROR;
        if (job.rc == -EBADMSG) {
                fprintf(stderr,
                        "postwardenctl: audit report: the hash chain is broken at event "
                        "%lld: %s (the report says so)\n",
                        (long long)job.res.bad_seq, job.res.reason);
                return PW_CLI_EXIT_FAIL;
        }
        if (job.rc != 0) {
                fprintf(stderr,
                        "postwardenctl: audit report: the chain could not be verified: "
                        "%s\n",
                        p.verify_error);
                return PW_CLI_EXIT_ERROR;
        }
        return 0;
}
