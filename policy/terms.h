/* Term lists and small file helpers of the policy engine: see terms.c. */
#ifndef POSTWARDEN_TERMS_H
#define POSTWARDEN_TERMS_H

#include <stddef.h>
#include <stdint.h>

struct pw_strv;

/* Returns the byte offset of the first ill-formed UTF-8 sequence in s[0..len) and its 1-based
 * code-point column in *ret_column, or (size_t)-1 when all of it is valid. */
size_t pw_utf8_invalid_at(const char *s, size_t len, size_t *ret_column);

/* Asks the kernel to map the pages of a fresh buffer p[0..n) now, in one call, instead of one
 * page fault per 4 KiB page as it is first written: for the megabytes a policy load reads or
 * copies, faults are most of the cost in a new process (a 1.8 MB term file read into malloc'd
 * memory: 5.6-5.9 ms, prefaulted 3.2-3.4 ms here). A hint: ignored where the kernel lacks it. */
void pw_prefault(void *p, size_t n);

/* Reads a whole file (not a directory) of at most `max` bytes into a new NUL-terminated buffer. */
int pw_read_file(const char *path, size_t max, char **ret, size_t *ret_len);

/* Splits a term-list file into `out` (see terms.c for the format). On -EILSEQ (invalid UTF-8)
 * or -E2BIG (a term over PW_TERM_MAX) sets the 1-based line and column of the problem. */
int pw_terms_parse(const char *buf, size_t len, struct pw_strv *out, uint32_t *ret_bad_line,
                   size_t *ret_bad_column);

#endif
