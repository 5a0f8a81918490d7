/* Postwarden: error detail for a person, shared by every component.
 *
 * Functions return >= 0 on success and -errno on failure; when they take an optional
 * `struct pw_error *`, they also say there what went wrong and where, so the edge (CLI exit
 * status, protocol error frame, PAM log line) can tell the person exactly what to fix. */
#ifndef POSTWARDEN_ERROR_H
#define POSTWARDEN_ERROR_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct pw_error {
        char text[160]; /* what went wrong, one sentence, no trailing newline */
        char file[256]; /* the file it concerns, or "" */
        char rule[64];  /* the policy rule id it concerns, or "" */
        int line;       /* 1-based line in `file`, 0 when unknown */
        int column;     /* 1-based column in `file`, 0 when unknown */
};

/* Fills `err` (which may be NULL: then nothing happens). `file` and `rule` may be NULL. */
static inline void pw_error_set(struct pw_error *err, const char *file, int line, int column,
                                const char *rule, const char *fmt, ...)
        __attribute__((format(printf, 6, 7)));

static inline void pw_error_set(struct pw_error *err, const char *file, int line, int column,
                                const char *rule, const char *fmt, ...) {
        if (!err)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->text, sizeof err->text, fmt, ap);
        va_end(ap);
        snprintf(err->file, sizeof err->file, "%s", file ? file : "");
        snprintf(err->rule, sizeof err->rule, "%s", rule ? rule : "");
        err->line = line > 0 ? line : 0;
        err->column = column > 0 ? column : 0;
}

/* Writes "file:line:column: rule R: text" (parts that are unknown are left out) into buf.
 * Returns the length it wanted, as snprintf does. */
static inline int pw_error_format(const struct pw_error *err, char *buf, size_t size) {
        char where[300] = "";
        size_t n = 0;
        if (err->file[0]) {
                n += (size_t)snprintf(where, sizeof where, "%s:", err->file);
                if (err->line && n < sizeof where)
                        n += (size_t)snprintf(where + n, sizeof where - n, "%d:", err->line);
                if (err->line && err->column && n < sizeof where)
                        n += (size_t)snprintf(where + n, sizeof where - n, "%d:", err->column);
                if (n < sizeof where)
                        snprintf(where + n, sizeof where - n, " ");
        }
        if (err->rule[0])
                return snprintf(buf, size, "%srule %s: %s", where, err->rule, err->text);
        return snprintf(buf, size, "%s%s", where, err->text);
}

#endif
