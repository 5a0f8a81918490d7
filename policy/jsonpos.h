/* Where a value sits in a JSON text jansson has accepted: see jsonpos.c. */
#ifndef POSTWARDEN_JSONPOS_H
#define POSTWARDEN_JSONPOS_H

#include <stdbool.h>
#include <stddef.h>

/* Finds the value reached from the root of `text` by `path` (ordinals: the n-th object member or
 * array element at each level), or its key when `want_key` and the last step is an object
 * member. Sets 1-based *ret_line and *ret_column (code points); returns 0, or -1 when the path
 * does not exist (outputs untouched). */
int pw_json_locate(const char *text, size_t len, const size_t *path, size_t depth, bool want_key,
                   int *ret_line, int *ret_column);

#endif
