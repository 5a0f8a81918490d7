/* Escaping of untrusted values for HTML (see html.h). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "html.h"

/* 1 when code point c must be shown as an escape: it is invisible, or it changes how other text
 * is displayed. ICU's general category decides: Cc, Cf, Zl, Zp, Co, Cs, Cn (unassigned and
 * noncharacters). Everything else is printable text. */
static int hidden(UChar32 c) {
        switch (u_charType(c)) {
        case U_CONTROL_CHAR:
        case U_FORMAT_CHAR:
        case U_LINE_SEPARATOR:
        case U_PARAGRAPH_SEPARATOR:
        case U_PRIVATE_USE_CHAR:
        case U_SURROGATE:
        case U_UNASSIGNED:
                return 1;
        default:
                return 0;
        }
}

/* The visible form of c (or of one byte of invalid UTF-8 when `byte` >= 0). */
static void escape_form(UChar32 c, int byte, char *buf, size_t size) {
        if (byte >= 0)
                snprintf(buf, size, "\\x%02X", (unsigned)byte);
        else if (c == '\n')
                snprintf(buf, size, "\\n");
        else if (c == '\r')
                snprintf(buf, size, "\\r");
        else if (c == '\t')
                snprintf(buf, size, "\\t");
        else if (c < 0x80)
                snprintf(buf, size, "\\x%02X", (unsigned)c);
        else if (c <= 0xFFFF)
                snprintf(buf, size, "\\u%04X", (unsigned)c);
        else
                snprintf(buf, size, "\\U%08X", (unsigned)c);
}

/* The character's name for a tooltip ("RIGHT-TO-LEFT OVERRIDE", "<control-001B>" ...): ICU's
 * names are ASCII letters, digits, space, '-', '<' and '>', escaped by the caller anyway. */
static void char_name(UChar32 c, int byte, char *buf, size_t size) {
        UErrorCode e = U_ZERO_ERROR;
        buf[0] = '\0';
        if (byte >= 0) {
                snprintf(buf, size, "invalid UTF-8 byte");
                return;
        }
        int32_t n = u_charName(c, U_CHAR_NAME_ALIAS, buf, (int32_t)size, &e);
        if (U_FAILURE(e) || n <= 0) {
                e = U_ZERO_ERROR;
                n = u_charName(c, U_EXTENDED_CHAR_NAME, buf, (int32_t)size, &e);
        }
        if (U_FAILURE(e) || n <= 0 || (size_t)n >= size)
                snprintf(buf, size, "U+%04X", (unsigned)c);
}

/* Writes the ASCII-only `s` with the HTML metacharacters replaced. */
static void put_plain(FILE *f, const char *s, size_t n) {
        for (size_t i = 0; i < n; i++) {
                switch (s[i]) {
                case '&':
                        fputs("&amp;", f);
                        break;
                case '<':
                        fputs("&lt;", f);
                        break;
                case '>':
                        fputs("&gt;", f);
                        break;
                case '"':
                        fputs("&quot;", f);
                        break;
                case '\'':
                        fputs("&#39;", f);
                        break;
                default:
                        fputc(s[i], f);
                }
        }
}

static void put_escape(FILE *f, UChar32 c, int byte, enum pw_html_ctx ctx) {
        char form[16], name[96];
        escape_form(c, byte, form, sizeof form);
        switch (ctx) {
        case PW_HTML_TEXT:
                char_name(c, byte, name, sizeof name);
                fputs("<span class=\"esc\" title=\"", f);
                put_plain(f, name, strlen(name));
                fputs("\">", f);
                put_plain(f, form, strlen(form));
                fputs("</span>", f);
                break;
        case PW_HTML_SVG:
                fputs("<tspan class=\"esc\">", f);
                put_plain(f, form, strlen(form));
                fputs("</tspan>", f);
                break;
        case PW_HTML_ATTR:
                put_plain(f, form, strlen(form));
                break;
        }
}

/* The longest prefix of s[0..len) of at most max bytes that ends on a character boundary. */
static size_t cut_at(const char *s, size_t len, size_t max) {
        if (max == 0 || len <= max)
                return len;
        size_t n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
                n--;
        return n;
}

int pw_html_escape(FILE *f, const char *s, size_t len, enum pw_html_ctx ctx, unsigned flags,
                   size_t max) {
        if (!s)
                return 0;
        if (len > INT32_MAX)
                len = INT32_MAX;
        size_t shown = cut_at(s, len, max);
        int32_t i = 0, n = (int32_t)shown;
        const uint8_t *u = (const uint8_t *)s;
        while (i < n) {
                /* ASCII runs without anything to escape are written as they are. */
                int32_t start = i;
                while (i < n && u[i] >= 0x20 && u[i] < 0x7F && !strchr("&<>\"'", u[i]))
                        i++;
                if (i > start)
                        fwrite(s + start, 1, (size_t)(i - start), f);
                if (i >= n)
                        break;
                start = i;
                UChar32 c;
                U8_NEXT(u, i, n, c);
                if (c < 0) {
                        /* Invalid UTF-8: each byte of the ill-formed sequence, visibly. */
                        for (int32_t k = start; k < i; k++)
                                put_escape(f, 0, u[k], ctx);
                } else if ((c == '\n' || c == '\t') && ctx == PW_HTML_TEXT &&
                           (flags & PW_HTML_KEEP_NEWLINES)) {
                        fputc((int)c, f);
                } else if (hidden(c)) {
                        put_escape(f, c, -1, ctx);
                } else if (c < 0x80) {
                        char ch = (char)c;
                        put_plain(f, &ch, 1);
                } else {
                        fwrite(s + start, 1, (size_t)(i - start), f);
                }
        }
        if (shown < len)
                fputs("…", f);
        return ferror(f) ? -EIO : 0;
}

int pw_html_value(FILE *f, const char *s, size_t max) {
        if (!s) {
                fputs("<span class=\"none\">not recorded</span>", f);
                return ferror(f) ? -EIO : 0;
        }
        fputs("<bdi>", f);
        int r = pw_html_escape(f, s, strlen(s), PW_HTML_TEXT, 0, max);
        fputs("</bdi>", f);
        return r < 0 || ferror(f) ? -EIO : 0;
}

int pw_html_str(FILE *f, const char *s, enum pw_html_ctx ctx) {
        return s ? pw_html_escape(f, s, strlen(s), ctx, 0, 0) : 0;
}
