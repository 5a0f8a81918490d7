/* Helpers shared by postwardenctl audit and audit report: see audit_util.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <unicode/utf8.h>

#include "audit_util.h"

/* ---- opening the store ---------------------------------------------------------------------- */

static int denied(const char *file) {
        fprintf(stderr,
                "postwardenctl: permission denied: %s (ask an admin to add you to "
                "the " PW_CLI_ADMIN_GROUP " group)\n",
                file);
        return PW_CLI_EXIT_ERROR;
}

/* 0 when `file` can be opened for reading or does not exist (when `optional`), else prints why
 * and returns PW_CLI_EXIT_ERROR. Opening it is the one test that asks the kernel the real
 * question (groups, ACLs, LSMs), not a guess from the mode bits. */
static int readable(const char *file, bool optional) {
        int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd >= 0) {
                close(fd);
                return 0;
        }
        int e = errno;
        if (e == EACCES || e == EPERM)
                return denied(file);
        if (e == ENOENT && optional)
                return 0;
        if (e == ENOENT)
                fprintf(stderr,
                        "postwardenctl: %s: no such audit database (has postwardend run on this "
                        "machine? --db PATH names another)\n",
                        file);
        else
                fprintf(stderr, "postwardenctl: %s: %s\n", file, strerror(e));
        return PW_CLI_EXIT_ERROR;
}

int pw_cli_audit_open(const char *path, struct pw_audit **ret) {
        if (!path)
                path = PW_CLI_AUDIT_DB_DEFAULT;
        int st = readable(path, false);
        if (st)
                return st;
        /* WAL readers need the -shm (and read the -wal): check both before SQLite does, so the
         * message names the file. */
        char side[4096];
        static const char *const suffixes[] = {"-wal", "-shm"};
        for (size_t i = 0; i < 2; i++) {
                if ((size_t)snprintf(side, sizeof side, "%s%s", path, suffixes[i]) >= sizeof side) {
                        fprintf(stderr, "postwardenctl: %s: path too long\n", path);
                        return PW_CLI_EXIT_ERROR;
                }
                st = readable(side, true);
                if (st)
                        return st;
        }
        struct pw_audit_options opt = {.path = path, .flags = PW_AUDIT_READONLY};
        struct pw_error err = {0};
        struct pw_audit *a = NULL;
        int r = pw_audit_open(&opt, &a, &err);
        if (r == -EACCES || r == -EPERM)
                return denied(path);
        if (r < 0) {
                char buf[512];
                pw_error_format(&err, buf, sizeof buf);
                fprintf(stderr, "postwardenctl: %s\n", err.text[0] ? buf : strerror(-r));
                return PW_CLI_EXIT_ERROR;
        }
        *ret = a;
        return 0;
}

/* ---- time ----------------------------------------------------------------------------------- */

int64_t pw_cli_now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Reads exactly `n` digits at *p into *ret and advances; false when they are not there. */
static bool digits(const char **p, int n, int *ret) {
        int v = 0;
        for (int i = 0; i < n; i++) {
                if ((*p)[i] < '0' || (*p)[i] > '9')
                        return false;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *ret = v;
        return true;
}

static int bad_time(const char *s, struct pw_error *err) {
        pw_error_set(err, NULL, 0, 0, NULL,
                     "'%s' is not a time: use 2026-11-27, 2026-11-27T10:00[:05][Z|+01:00], or "
                     "7d/24h/30m/90s/2w ago",
                     s);
        return -EINVAL;
}

int pw_cli_time_parse(const char *s, int64_t now_us, int64_t *ret_us, struct pw_error *err) {
        if (!s || !ret_us)
                return -EINVAL;
        if (!strcmp(s, "now")) {
                *ret_us = now_us;
                return 0;
        }
        /* Relative: a count and a unit. */
        size_t len = strlen(s);
        if (len >= 2 && strchr("smhdw", s[len - 1]) && strspn(s, "0123456789") == len - 1) {
                static const int64_t unit_s[] = {['s' - 'a'] = 1,
                                                 ['m' - 'a'] = 60,
                                                 ['h' - 'a'] = 3600,
                                                 ['d' - 'a'] = 86400,
                                                 ['w' - 'a'] = 7 * 86400};
                if (len - 1 > 9)
                        return bad_time(s, err);
                int64_t secs = strtoll(s, NULL, 10) * unit_s[s[len - 1] - 'a'];
                if (secs > 200LL * 366 * 86400) /* also keeps the product below in range */
                        return bad_time(s, err);
                *ret_us = now_us - secs * 1000000;
                return 0;
        }
        const char *p = s;
        struct tm tm = {0};
        int y, mo, d, h = 0, mi = 0, sec = 0, usec = 0;
        if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
            !digits(&p, 2, &d))
                return bad_time(s, err);
        if (*p == 'T' || *p == 't' || *p == ' ') {
                p++;
                if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
                        return bad_time(s, err);
                if (*p == ':') {
                        p++;
                        if (!digits(&p, 2, &sec))
                                return bad_time(s, err);
                        if (*p == '.' || *p == ',') {
                                p++;
                                int nd = 0;
                                while (*p >= '0' && *p <= '9') {
                                        if (nd < 6)
                                                usec = usec * 10 + (*p - '0');
                                        nd++;
                                        p++;
                                }
                                if (nd == 0)
                                        return bad_time(s, err);
                                for (; nd < 6; nd++)
                                        usec *= 10;
                        }
                }
        }
        bool have_off = false;
        long off_s = 0;
        if (*p == 'Z' || *p == 'z') {
                have_off = true;
                p++;
        } else if (*p == '+' || *p == '-') {
                int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
                if (!digits(&p, 2, &oh))
                        return bad_time(s, err);
                if (*p == ':')
                        p++;
                if (*p && !digits(&p, 2, &om))
                        return bad_time(s, err);
                if (oh > 23 || om > 59)
                        return bad_time(s, err);
                have_off = true;
                off_s = sign * (oh * 3600L + om * 60L);
        }
        if (*p || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
                return bad_time(s, err);
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        tm.tm_isdst = -1;
        struct tm check = tm;
        time_t t = have_off ? timegm(&tm) : mktime(&tm);
        /* mktime/timegm normalise 31 November to 1 December: refuse days a month lacks. */
        if (t == (time_t)-1 || tm.tm_mday != check.tm_mday || tm.tm_mon != check.tm_mon)
                return bad_time(s, err);
        *ret_us = ((int64_t)t - off_s) * 1000000 + usec;
        return 0;
}

char *pw_cli_time_format(int64_t us, bool utc, char buf[PW_CLI_TIME_MAX]) {
        int64_t sec = us / 1000000 - (us % 1000000 < 0 ? 1 : 0); /* floor */
        time_t t = (time_t)sec;
        struct tm tm;
        if (!(utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm))) {
                snprintf(buf, PW_CLI_TIME_MAX, "@%lld", (long long)sec);
                return buf;
        }
        size_t n = strftime(buf, PW_CLI_TIME_MAX, "%Y-%m-%d %H:%M:%S", &tm);
        if (utc) {
                snprintf(buf + n, PW_CLI_TIME_MAX - n, "Z");
        } else {
                long off = tm.tm_gmtoff;
                char sign = off < 0 ? '-' : '+';
                off = off < 0 ? -off : off;
                snprintf(buf + n, PW_CLI_TIME_MAX - n, "%c%02ld:%02ld", sign, off / 3600,
                         (off % 3600) / 60);
        }
        return buf;
}

/* ---- escaping ------------------------------------------------------------------------------- */

/* True for code points a terminal must not interpret: controls and the format characters that
 * reorder or hide text (bidi overrides, zero-width characters, line/paragraph separators). */
static bool must_escape(UChar32 c) {
        return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == 0x061c ||
               (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
               (c >= 0x2060 && c <= 0x2069) || c == 0xfeff;
}

char *pw_cli_escape(const char *s) {
        if (!s)
                s = "";
        size_t len = strlen(s);
        /* Worst case: every byte becomes \xNN (4 bytes); \uXXXX is 6 for 2..3 input bytes. */
        char *out = malloc(len * 4 + 1);
        if (!out)
                return NULL;
        size_t o = 0;
        int32_t i = 0, n = (int32_t)(len > INT32_MAX ? INT32_MAX : len);
        while (i < n) {
                int32_t start = i;
                UChar32 c;
                U8_NEXT(s, i, n, c);
                if (c < 0) {
                        for (int32_t k = start; k < i; k++)
                                o += (size_t)sprintf(out + o, "\\x%02x", (unsigned char)s[k]);
                        continue;
                }
                if (c == '\\') {
                        out[o++] = '\\';
                        out[o++] = '\\';
                } else if (!must_escape(c)) {
                        memcpy(out + o, s + start, (size_t)(i - start));
                        o += (size_t)(i - start);
                } else if (c == '\n') {
                        o += (size_t)sprintf(out + o, "\\n");
                } else if (c == '\t') {
                        o += (size_t)sprintf(out + o, "\\t");
                } else if (c == '\r') {
                        o += (size_t)sprintf(out + o, "\\r");
                } else if (c == 0x1b) {
                        o += (size_t)sprintf(out + o, "\\e");
                } else if (c < 0x100) {
                        o += (size_t)sprintf(out + o, "\\x%02x", (unsigned)c);
                } else {
                        o += (size_t)sprintf(out + o, "\\u%04x", (unsigned)c);
                }
        }
        out[o] = '\0';
        return out;
}

json_t *pw_cli_json_str(const char *s) {
        if (!s)
                return json_null();
        size_t len = strlen(s);
        json_t *j = json_stringn(s, len);
        if (j)
                return j;
        /* Not UTF-8: replace each bad sequence by U+FFFD (3 bytes; a bad byte is at least 1). */
        char *fixed = malloc(len * 3 + 1);
        if (!fixed)
                return NULL;
        size_t o = 0;
        int32_t i = 0, n = (int32_t)(len > INT32_MAX ? INT32_MAX : len);
        while (i < n) {
                int32_t start = i;
                UChar32 c;
                U8_NEXT(s, i, n, c);
                if (c < 0) {
                        memcpy(fixed + o, "\xef\xbf\xbd", 3);
                        o += 3;
                } else {
                        memcpy(fixed + o, s + start, (size_t)(i - start));
                        o += (size_t)(i - start);
                }
        }
        j = json_stringn(fixed, o);
        free(fixed);
        return j;
}

/* Display columns of an escaped (printable) UTF-8 string: one per code point. */
static size_t width_of(const char *s) {
        size_t w = 0;
        for (; *s; s++)
                w += ((unsigned char)*s & 0xc0) != 0x80;
        return w;
}

/* ---- output --------------------------------------------------------------------------------- */

struct pw_out {
        FILE *f;                          /* where rows go */
        enum pw_out_format fmt;           /* how */
        const struct pw_out_column *cols; /* borrowed */
        size_t n_cols;                    /* entries in cols */
        char **cells;                     /* table: n_rows * n_cols escaped cells */
        size_t n_rows, cap_rows;          /* rows added; rows cells has room for */
        bool header_done;                 /* CSV: header written */
        int error;                        /* first -errno, sticky */
};

struct pw_out *pw_out_new(FILE *f, enum pw_out_format fmt, const struct pw_out_column *columns,
                          size_t n_columns) {
        struct pw_out *o = calloc(1, sizeof *o);
        if (!o)
                return NULL;
        o->f = f;
        o->fmt = fmt;
        o->cols = columns;
        o->n_cols = n_columns;
        return o;
}

size_t pw_out_rows(const struct pw_out *o) {
        return o ? o->n_rows : 0;
}

int pw_out_format_from_flag(const char *flag) {
        if (!strcmp(flag, "--csv"))
                return PW_OUT_CSV;
        if (!strcmp(flag, "--json"))
                return PW_OUT_JSON;
        if (!strcmp(flag, "--table"))
                return PW_OUT_TABLE;
        return -1;
}

/* The text of member `v` for table and CSV: a new string, "" for null/absent (the table shows
 * "-"). NULL when out of memory. */
static char *cell_text(json_t *v) {
        char *s = NULL;
        if (json_is_string(v))
                s = strdup(json_string_value(v));
        else if (json_is_integer(v))
                (void)!asprintf(&s, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else if (json_is_real(v))
                (void)!asprintf(&s, "%g", json_real_value(v));
        else if (json_is_true(v))
                s = strdup("true");
        else if (json_is_false(v))
                s = strdup("false");
        else if (!v || json_is_null(v))
                s = strdup("");
        else
                s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        return s;
}

static void csv_field(FILE *f, const char *s) {
        if (!strpbrk(s, ",\"\r\n")) {
                fputs(s, f);
                return;
        }
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '"')
                        fputc('"', f);
                fputc(*s, f);
        }
        fputc('"', f);
}

static int csv_row(struct pw_out *o, json_t *row) {
        if (!o->header_done) {
                for (size_t c = 0; c < o->n_cols; c++) {
                        if (c)
                                fputc(',', o->f);
                        csv_field(o->f, o->cols[c].key);
                }
                fputs("\r\n", o->f);
                o->header_done = true;
        }
        for (size_t c = 0; c < o->n_cols; c++) {
                char *s = cell_text(json_object_get(row, o->cols[c].key));
                if (!s)
                        return -ENOMEM;
                if (c)
                        fputc(',', o->f);
                csv_field(o->f, s);
                free(s);
        }
        fputs("\r\n", o->f);
        return ferror(o->f) ? -EIO : 0;
}

static int table_row(struct pw_out *o, json_t *row) {
        if (o->n_rows == o->cap_rows) {
                size_t cap = o->cap_rows ? o->cap_rows * 2 : 64;
                char **cells = realloc(o->cells, cap * o->n_cols * sizeof *cells);
                if (!cells)
                        return -ENOMEM;
                o->cells = cells;
                o->cap_rows = cap;
        }
        char **cells = o->cells + o->n_rows * o->n_cols;
        for (size_t c = 0; c < o->n_cols; c++) {
                json_t *v = json_object_get(row, o->cols[c].key);
                char *raw = cell_text(v);
                char *esc = NULL;
                if (raw)
                        esc = !v || json_is_null(v) ? strdup("-") : pw_cli_escape(raw);
                free(raw);
                if (!esc) {
                        for (size_t k = 0; k < c; k++)
                                free(cells[k]);
                        return -ENOMEM;
                }
                cells[c] = esc;
        }
        return 0;
}

int pw_out_add(struct pw_out *o, json_t *row) {
        if (!o)
                return -EINVAL;
        int r = 0;
        if (!row || !json_is_object(row)) {
                r = -ENOMEM;
        } else if (o->fmt == PW_OUT_JSON) {
                char *s = json_dumps(row, JSON_COMPACT | JSON_PRESERVE_ORDER);
                if (!s) {
                        r = -ENOMEM;
                } else {
                        fputs(s, o->f);
                        fputc('\n', o->f);
                        free(s);
                        r = ferror(o->f) ? -EIO : 0;
                }
        } else if (o->fmt == PW_OUT_CSV) {
                r = csv_row(o, row);
        } else {
                r = table_row(o, row);
        }
        json_decref(row);
        if (r < 0 && !o->error)
                o->error = r;
        if (r >= 0)
                o->n_rows++;
        return r;
}

static void pad(FILE *f, size_t n) {
        while (n--)
                fputc(' ', f);
}

static void table_print(struct pw_out *o) {
        size_t *w = calloc(o->n_cols ? o->n_cols : 1, sizeof *w);
        char **titles = calloc(o->n_cols ? o->n_cols : 1, sizeof *titles);
        if (!w || !titles) {
                free(w);
                free(titles);
                o->error = o->error ? o->error : -ENOMEM;
                return;
        }
        for (size_t c = 0; c < o->n_cols; c++) {
                const char *t = o->cols[c].title ? o->cols[c].title : o->cols[c].key;
                titles[c] = strdup(t);
                if (!titles[c]) {
                        o->error = o->error ? o->error : -ENOMEM;
                        goto out;
                }
                if (!o->cols[c].title)
                        for (char *p = titles[c]; *p; p++)
                                *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
                w[c] = width_of(titles[c]);
                for (size_t r = 0; r < o->n_rows; r++) {
                        size_t cw = width_of(o->cells[r * o->n_cols + c]);
                        if (cw > w[c])
                                w[c] = cw;
                }
        }
        for (size_t r = 0; r <= o->n_rows; r++) {
                for (size_t c = 0; c < o->n_cols; c++) {
                        const char *s = r == 0 ? titles[c] : o->cells[(r - 1) * o->n_cols + c];
                        fputs(s, o->f);
                        if (c + 1 < o->n_cols)
                                pad(o->f, w[c] - width_of(s) + 2);
                }
                fputc('\n', o->f);
        }
out:
        for (size_t c = 0; c < o->n_cols; c++)
                free(titles[c]);
        free(titles);
        free(w);
}

int pw_out_finish(struct pw_out *o) {
        if (!o)
                return 0;
        if (o->fmt == PW_OUT_TABLE && !o->error)
                table_print(o);
        if (o->fmt == PW_OUT_CSV && !o->header_done && !o->error) {
                /* No rows: the header alone, so a script still sees the columns. */
                for (size_t c = 0; c < o->n_cols; c++) {
                        if (c)
                                fputc(',', o->f);
                        csv_field(o->f, o->cols[c].key);
                }
                fputs("\r\n", o->f);
        }
        int r = o->error;
        if (fflush(o->f) != 0 || ferror(o->f))
                r = r ? r : (errno ? -errno : -EIO);
        for (size_t i = 0; o->cells && i < o->n_rows * o->n_cols; i++)
                free(o->cells[i]);
        free(o->cells);
        free(o);
        return r;
}
