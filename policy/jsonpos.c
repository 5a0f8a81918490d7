/* Where a value sits in a JSON text, for error messages.
 *
 * jansson keeps no source positions per value, so semantic errors ("unknown key", "empty term")
 * would otherwise have no line and column. This file finds them by walking the text again along
 * a path of ordinals (the n-th member of an object, the n-th element of an array). It is not a
 * parser: it runs only on text jansson has already accepted (valid JSON, no duplicate keys), and
 * jansson keeps object members in text order, so the n-th member in json_object_foreach() order
 * is the n-th member in the text. */
#include <stdbool.h>
#include <stddef.h>

#include "jsonpos.h"

struct cursor {
        const char *s; /* the JSON text */
        size_t len;    /* its length in bytes */
        size_t i;      /* current byte */
};

static void skip_ws(struct cursor *c) {
        while (c->i < c->len && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' ||
                                 c->s[c->i] == '\r'))
                c->i++;
}

/* At a '"': moves past the closing quote. */
static void skip_string(struct cursor *c) {
        c->i++;
        while (c->i < c->len && c->s[c->i] != '"') {
                if (c->s[c->i] == '\\')
                        c->i++;
                c->i++;
        }
        if (c->i < c->len)
                c->i++;
}

/* Moves past one value of any kind; containers by counting brackets outside strings. */
static void skip_value(struct cursor *c) {
        int depth = 0;
        do {
                if (c->i >= c->len)
                        return;
                char ch = c->s[c->i];
                if (ch == '"') {
                        skip_string(c);
                } else if (ch == '{' || ch == '[') {
                        depth++;
                        c->i++;
                } else if (ch == '}' || ch == ']') {
                        depth--;
                        c->i++;
                } else if (depth > 0) {
                        c->i++;
                } else {
                        /* a number or literal ends at a delimiter */
                        while (c->i < c->len && c->s[c->i] != ',' && c->s[c->i] != '}' &&
                               c->s[c->i] != ']' && c->s[c->i] != ' ' && c->s[c->i] != '\n' &&
                               c->s[c->i] != '\t' && c->s[c->i] != '\r')
                                c->i++;
                }
        } while (depth > 0);
}

/* Converts a byte offset to a 1-based line and a 1-based column counted in code points (as
 * jansson counts them). */
static void offset_to_pos(const char *s, size_t off, int *line, int *column) {
        int l = 1, col = 1;
        for (size_t i = 0; i < off; i++) {
                if (s[i] == '\n') {
                        l++;
                        col = 1;
                } else if (((unsigned char)s[i] & 0xC0) != 0x80) {
                        col++;
                }
        }
        *line = l;
        *column = col;
}

int pw_json_locate(const char *text, size_t len, const size_t *path, size_t depth, bool want_key,
                   int *ret_line, int *ret_column) {
        struct cursor c = {text, len, 0};
        size_t key_at = (size_t)-1;

        skip_ws(&c);
        for (size_t d = 0; d < depth; d++) {
                if (c.i >= c.len)
                        return -1;
                char open = c.s[c.i];
                if (open != '{' && open != '[')
                        return -1;
                c.i++;
                for (size_t k = 0;; k++) {
                        skip_ws(&c);
                        if (c.i >= c.len || c.s[c.i] == '}' || c.s[c.i] == ']')
                                return -1; /* fewer members than the path says */
                        if (open == '{') {
                                key_at = c.i;
                                skip_string(&c);
                                skip_ws(&c);
                                if (c.i < c.len && c.s[c.i] == ':')
                                        c.i++;
                                skip_ws(&c);
                        }
                        if (k == path[d])
                                break;
                        skip_value(&c);
                        skip_ws(&c);
                        if (c.i < c.len && c.s[c.i] == ',')
                                c.i++;
                }
                if (open == '[')
                        key_at = (size_t)-1;
        }
        size_t at = want_key && key_at != (size_t)-1 ? key_at : c.i;
        if (at > len)
                return -1;
        offset_to_pos(text, at, ret_line, ret_column);
        return 0;
}
