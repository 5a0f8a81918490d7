/* Term lists and small file helpers of the policy engine: see terms.c. */
#ifndef POSTWARDEN_TERMS_H
#define POSTWARDEN_TERMS_H

#include <stddef.h>
#include <stdint.h>

struct pw_strv;

/* Returns the byte offset of the first ill-formed UTF-8 sequence in s[0..len) and its 1-based
 * code-point column in *ret_column, or (size_t)-1 when all of it is valid. */
size_t pw_utf8_invalid_at(const char *s, size_t len, size_t *ret_column);

/* Reads a whole file (not a directory) of at most `max` bytes into a new NUL-terminated buffer. */
int pw_read_file(const char *path, size_t max, char **ret, size_t *ret_len);

/* Splits a term-list file into `out` (see terms.c for the format). On -EILSEQ (invalid UTF-8)
 * or -E2BIG (a term over PW_TERM_MAX) sets the 1-based line and column of the problem. */
int pw_terms_parse(const char *buf, size_t len, struct pw_strv *out, uint32_t *ret_bad_line,
                   size_t *ret_bad_column);

#endif
