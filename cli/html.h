/* Escaping of untrusted values for the HTML of postwardenctl audit report.
 *
 * Every value from the audit store (account names, justifications, user and host names, even rule
 * ids) is untrusted: an employee's browser chose most of it. Written through these functions a
 * value can neither end the element or attribute it is in, nor hide or reorder text around it:
 * the five HTML metacharacters become references, and every character that is invisible or
 * changes the display of other text (controls, bidi controls such as U+202E RIGHT-TO-LEFT
 * OVERRIDE, zero-width and other format characters, line and paragraph separators, private-use
 * and unassigned code points) is shown as a visible escape like \u202E, as is each byte of
 * invalid UTF-8 (\xFF). Character classes come from ICU. */
#ifndef POSTWARDEN_CLI_HTML_H
#define POSTWARDEN_CLI_HTML_H

#include <stddef.h>
#include <stdio.h>

enum pw_html_ctx {
        PW_HTML_TEXT, /* element content: escapes as <span class="esc" title="NAME">\u202E</span> */
        PW_HTML_ATTR, /* a double- or single-quoted attribute value: escapes as plain \u202E */
        PW_HTML_SVG,  /* SVG <text> content: escapes as <tspan class="esc">\u202E</tspan> (an
                       * HTML <span> would end the SVG element in the HTML parser) */
};

enum {
        PW_HTML_KEEP_NEWLINES = 1 << 0, /* TEXT: keep \n and \t as they are (for white-space:
                                         * pre-wrap); \r is still escaped */
};

/* Writes `len` bytes of `s` to `f`, escaped for `ctx`. At most `max` bytes of `s` are shown (0:
 * all), cut at a character boundary and followed by "…"; the caller says how long it was if it
 * matters. Returns 0, or -EIO when writing failed. */
int pw_html_escape(FILE *f, const char *s, size_t len, enum pw_html_ctx ctx, unsigned flags,
                   size_t max);

/* The NUL-terminated `s` as element content inside <bdi> (so that right-to-left text in it
 * cannot reorder what is around it), at most `max` bytes (0: all); NULL is written as a
 * placeholder <span class="none">not recorded</span>. */
int pw_html_value(FILE *f, const char *s, size_t max);

/* The NUL-terminated `s` escaped for ctx (NULL: nothing), no wrapper. */
int pw_html_str(FILE *f, const char *s, enum pw_html_ctx ctx);

#endif
