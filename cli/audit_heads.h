/* Chain heads collected from syslog, for `postwardenctl audit verify --heads FILE`.
 *
 * The input is untrusted (a collector's files, any syslog format): every line that contains the
 * CEE cookie "@cee:" carries one JSON object after it. Objects with "pw": 1, an integer "seq" >= 1
 * and a 64-hex-digit "hash" — event lines ({"type":"event",...}) and head lines
 * ({"type":"chain_head",...}) alike — and, when they name a "host", the wanted host, are heads.
 * Anything else is counted and skipped, never fatal. Fuzzed by tests/fuzz/fuzz_audit_heads.c. */
#ifndef POSTWARDEN_CLI_AUDIT_HEADS_H
#define POSTWARDEN_CLI_AUDIT_HEADS_H

#include <stddef.h>

#include "postwarden/audit.h"

struct pw_cli_heads {
        struct pw_audit_head *v; /* the heads found, sorted by seq, duplicates removed */
        size_t n, cap;           /* entries used and allocated */
        size_t cee_lines;        /* lines with the "@cee:" cookie */
        size_t ignored;          /* cookie lines that are not Postwarden heads or are malformed */
        size_t other_host;       /* Postwarden heads of another host */
};

/* Parses `len` bytes of `buf` (need not be NUL-terminated) and adds the heads of `host` (NULL:
 * any host) to `h` (zero-initialised by the caller). Returns 0 or -ENOMEM. */
int pw_cli_heads_parse(const char *buf, size_t len, const char *host, struct pw_cli_heads *h);

/* Frees what `h` holds and zeroes it. */
void pw_cli_heads_free(struct pw_cli_heads *h);

#endif
