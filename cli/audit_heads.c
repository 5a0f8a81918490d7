/* Chain heads from syslog lines: see audit_heads.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "audit_heads.h"

#define COOKIE "@cee:"

static int push(struct pw_cli_heads *h, int64_t seq, const uint8_t hash[PW_AUDIT_HASH_SIZE]) {
        if (h->n == h->cap) {
                size_t cap = h->cap ? h->cap * 2 : 64;
                struct pw_audit_head *v = realloc(h->v, cap * sizeof *v);
                if (!v)
                        return -ENOMEM;
                h->v = v;
                h->cap = cap;
        }
        struct pw_audit_head *e = &h->v[h->n++];
        memset(e, 0, sizeof *e);
        e->seq = seq;
        memcpy(e->hash, hash, PW_AUDIT_HASH_SIZE);
        sodium_bin2hex(e->hex, sizeof e->hex, hash, PW_AUDIT_HASH_SIZE);
        return 0;
}

/* One "@cee:" payload: adds it when it is a head of `host`. */
static int line(struct pw_cli_heads *h, const char *p, size_t n, const char *host) {
        json_error_t jerr;
        /* The object may be followed by anything (a trailing newline, a relay's suffix). */
        json_t *o = json_loadb(p, n, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &jerr);
        json_int_t pw = 0, seq = 0;
        const char *hex = NULL, *their_host = NULL;
        int r = 0;
        if (!o || !json_is_object(o) ||
            json_unpack_ex(o, &jerr, 0, "{s:I, s:I, s:s, s?s}", "pw", &pw, "seq", &seq, "hash",
                           &hex, "host", &their_host) < 0 ||
            pw != 1 || seq < 1 || strlen(hex) != 2 * PW_AUDIT_HASH_SIZE ||
            strspn(hex, "0123456789abcdefABCDEF") != 2 * PW_AUDIT_HASH_SIZE) {
                h->ignored++;
        } else if (host && their_host && strcmp(host, their_host) != 0) {
                h->other_host++;
        } else {
                uint8_t hash[PW_AUDIT_HASH_SIZE];
                size_t got = 0;
                if (sodium_hex2bin(hash, sizeof hash, hex, strlen(hex), NULL, &got, NULL) != 0 ||
                    got != sizeof hash)
                        h->ignored++;
                else
                        r = push(h, (int64_t)seq, hash);
        }
        json_decref(o);
        return r;
}

static int by_seq(const void *x, const void *y) {
        const struct pw_audit_head *a = x, *b = y;
        if (a->seq != b->seq)
                return a->seq < b->seq ? -1 : 1;
        return memcmp(a->hash, b->hash, PW_AUDIT_HASH_SIZE);
}

int pw_cli_heads_parse(const char *buf, size_t len, const char *host, struct pw_cli_heads *h) {
        if (!h || (len && !buf))
                return -EINVAL;
        const char *end = buf + len;
        const char *p = buf;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *eol = nl ? nl : end;
                size_t n = (size_t)(eol - p);
                const char *c =
                        n >= sizeof COOKIE - 1 ? memmem(p, n, COOKIE, sizeof COOKIE - 1) : NULL;
                if (c) {
                        h->cee_lines++;
                        c += sizeof COOKIE - 1;
                        int r = line(h, c, (size_t)(eol - c), host);
                        if (r < 0)
                                return r;
                }
                p = nl ? nl + 1 : end;
        }
        /* Sorted and unique: a head logged twice (event line and head line) counts once; two
         * different hashes for one seq both stay, and verify names the false one. */
        if (h->n > 1) {
                qsort(h->v, h->n, sizeof *h->v, by_seq);
                size_t k = 1;
                for (size_t i = 1; i < h->n; i++)
                        if (by_seq(&h->v[i], &h->v[k - 1]) != 0)
                                h->v[k++] = h->v[i];
                h->n = k;
        }
        return 0;
}

void pw_cli_heads_free(struct pw_cli_heads *h) {
        if (!h)
                return;
        free(h->v);
        memset(h, 0, sizeof *h);
}
