/* Helpers shared by `postwardenctl audit …` (cmd_audit.c) and `postwardenctl audit report`
 * (cmd_report.c): opening the store read-only with a clear "permission denied", time arguments
 * (--since/--until) and time display (local or --utc), and the three output formats (an aligned
 * table with control characters escaped, RFC 4180 CSV, one JSON object per line).
 *
 * This interface is shared between branches: add to it, do not change what is here.
 * Messages for a person go to stderr prefixed "postwardenctl: "; functions that print say so. */
#ifndef POSTWARDEN_CLI_AUDIT_UTIL_H
#define POSTWARDEN_CLI_AUDIT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "postwarden/audit.h"

/* The service's database (daemon/main.c DEFAULT_DB); `--db PATH` overrides it. */
#define PW_CLI_AUDIT_DB_DEFAULT "/var/lib/postwarden/audit.db"
/* The group whose members may read the audit store (packaging/systemd/postwarden.sysusers). */
#define PW_CLI_ADMIN_GROUP "postwarden-admin"

/* Exit statuses of postwardenctl audit: 0 done, 1 the check failed (verify), 2 usage, runtime
 * error or permission denied. */
enum { PW_CLI_EXIT_OK = 0, PW_CLI_EXIT_FAIL = 1, PW_CLI_EXIT_ERROR = 2 };

/* ---- opening the store ---------------------------------------------------------------------- */

/* Opens `path` (NULL: PW_CLI_AUDIT_DB_DEFAULT) read-only into *ret. On failure prints one line on
 * stderr and returns PW_CLI_EXIT_ERROR (*ret untouched); on success returns 0. When the caller
 * may not read the database, its -wal or -shm file, or search a directory on the way, the line is
 * exactly "postwardenctl: permission denied: FILE (ask an admin to add you to the
 * postwarden-admin group)" and no data is read. */
int pw_cli_audit_open(const char *path, struct pw_audit **ret);

/* ---- time ----------------------------------------------------------------------------------- */

/* Parses a --since/--until value into UTC microseconds:
 *   2026-11-27                      midnight, local time
 *   2026-11-27T10:00[:05[.123456]]  local time ('T' or one space between date and time)
 *   ...Z, ...+01:00, ...-0500       that offset from UTC
 *   7d, 24h, 30m, 90s, 2w           that long before `now_us`
 *   now                             now_us
 * Returns 0, or -EINVAL with a sentence in err->text naming the value. */
int pw_cli_time_parse(const char *s, int64_t now_us, int64_t *ret_us, struct pw_error *err);

/* Current UTC time in microseconds. */
int64_t pw_cli_now_us(void);

#define PW_CLI_TIME_MAX 40 /* bytes pw_cli_time_format needs at most, NUL included */

/* Formats `us` as "2026-11-27 11:00:05+01:00" in the local zone (TZ), or "2026-11-27 10:00:05Z"
 * when `utc`. Sub-second digits are dropped (JSON output carries the exact *_us value too).
 * Returns buf. */
char *pw_cli_time_format(int64_t us, bool utc, char buf[PW_CLI_TIME_MAX]);

/* ---- output --------------------------------------------------------------------------------- */

enum pw_out_format {
        PW_OUT_TABLE = 0, /* aligned columns; control, bidi and escape characters escaped */
        PW_OUT_CSV,       /* RFC 4180: header line, CRLF, fields quoted when needed, exact */
        PW_OUT_JSON,      /* one compact JSON object per line, every member, exact */
};

struct pw_out_column {
        const char *key;   /* member of the row object; also the CSV header */
        const char *title; /* table header; NULL: key in upper case */
};

struct pw_out; /* one output in progress */

/* Starts an output of rows with `columns` (borrowed, must outlive the output) to `f`. Returns
 * NULL when out of memory. */
struct pw_out *pw_out_new(FILE *f, enum pw_out_format fmt, const struct pw_out_column *columns,
                          size_t n_columns);

/* Adds one row; steals `row` (a JSON object; NULL counts as out of memory). Table and CSV show
 * the columns' members (strings as they are, integers in decimal, true/false, null and absent
 * as "-" in the table and empty in CSV); JSON writes the whole object, members beyond the
 * columns included. CSV and JSON are written at once, the table at pw_out_finish(). Returns 0
 * or -errno. */
int pw_out_add(struct pw_out *o, json_t *row);

/* Writes what is buffered (the table), flushes and frees `o` (NULL accepted). Returns 0, or
 * -errno when something could not be written (e.g. -EPIPE, -ENOSPC) or memory ran out. */
int pw_out_finish(struct pw_out *o);

/* Rows added so far. */
size_t pw_out_rows(const struct pw_out *o);

/* Escapes `s` for a terminal into a new string (caller frees; NULL when out of memory): C0 and C1
 * controls, DEL, and Unicode bidi/invisible format characters (U+061C, U+200B..U+200F,
 * U+2028..U+202E, U+2060..U+2069, U+FEFF) become \n, \t, \r, \e, \xNN or \uXXXX; a backslash
 * becomes \\; bytes that are not UTF-8 become \xNN. Nothing else changes. */
char *pw_cli_escape(const char *s);

/* A JSON string for `s` that is exactly `s` when it is valid UTF-8 (invalid bytes become U+FFFD);
 * json_null() for NULL. A new reference, or NULL when out of memory. */
json_t *pw_cli_json_str(const char *s);

/* Parses --csv / --json / --table: returns the format for `flag`, or -1 when it is none of them. */
int pw_out_format_from_flag(const char *flag);

#endif
