/* Term lists: a string arena, and term-list files (one term per line) beside the policy.
 *
 * A term-list file is UTF-8, one term per line; leading and trailing blanks are trimmed, empty
 * lines and lines starting with '#' are skipped, a final line without '\n' counts, and "\r\n"
 * line ends are accepted. An admin keeps 100k client or code names this way; the arena keeps
 * them in one allocation instead of 100k. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <unicode/utf8.h>

#include "policy_internal.h"
#include "terms.h"

/* ---- the arena ------------------------------------------------------------------------------ */

int pw_strv_add(struct pw_strv *v, const char *s, size_t len, uint32_t where) {
        if (len > UINT32_MAX / 2 || v->len + len + 1 > UINT32_MAX)
                return -E2BIG;
        if (v->n == v->n_cap) {
                size_t ncap = v->n_cap ? v->n_cap * 2 : 16;
                uint32_t *off = realloc(v->off, ncap * sizeof *off);
                if (!off)
                        return -ENOMEM;
                v->off = off;
                uint32_t *slen = realloc(v->slen, ncap * sizeof *slen);
                if (!slen)
                        return -ENOMEM;
                v->slen = slen;
                uint32_t *wh = realloc(v->where, ncap * sizeof *wh);
                if (!wh)
                        return -ENOMEM;
                v->where = wh;
                v->n_cap = ncap;
        }
        if (v->len + len + 1 > v->cap) {
                size_t ncap = v->cap ? v->cap * 2 : 256;
                while (ncap < v->len + len + 1)
                        ncap *= 2;
                char *buf = realloc(v->buf, ncap);
                if (!buf)
                        return -ENOMEM;
                v->buf = buf;
                v->cap = ncap;
        }
        memcpy(v->buf + v->len, s, len);
        v->buf[v->len + len] = '\0';
        v->off[v->n] = (uint32_t)v->len;
        v->slen[v->n] = (uint32_t)len;
        v->where[v->n] = where;
        v->n++;
        v->len += len + 1;
        return 0;
}

void pw_strv_done(struct pw_strv *v) {
        free(v->buf);
        free(v->off);
        free(v->slen);
        free(v->where);
        memset(v, 0, sizeof *v);
}

/* ---- UTF-8 ---------------------------------------------------------------------------------- */

size_t pw_utf8_invalid_at(const char *s, size_t len, size_t *ret_column) {
        int32_t i = 0, n = (int32_t)len;
        size_t col = 1;
        while (i < n) {
                int32_t at = i;
                UChar32 ch;
                U8_NEXT(s, i, n, ch);
                if (ch < 0) {
                        *ret_column = col;
                        return (size_t)at;
                }
                col++;
        }
        return (size_t)-1;
}

/* ---- term-list files ------------------------------------------------------------------------ */

#define PREFAULT_MIN ((size_t)256 << 10) /* smaller buffers: a few faults, not worth a call */

void pw_prefault(void *p, size_t n) {
#ifdef MADV_POPULATE_WRITE
        if (n < PREFAULT_MIN)
                return;
        long pg = sysconf(_SC_PAGESIZE);
        uintptr_t page = pg > 0 ? (uintptr_t)pg : 4096;
        uintptr_t s = ((uintptr_t)p + page - 1) & ~(page - 1), e = ((uintptr_t)p + n) & ~(page - 1);
        if (e > s)
                (void)madvise((void *)s, e - s, MADV_POPULATE_WRITE); /* Linux 5.14 and later */
#else
        (void)p;
        (void)n;
#endif
}

int pw_read_file(const char *path, size_t max, char **ret, size_t *ret_len) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        if (S_ISDIR(st.st_mode)) {
                close(fd);
                return -EISDIR;
        }
        /* regular files are sized up front; pipes (a policy on stdin) grow up to `max` */
        if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
                close(fd);
                return -EFBIG;
        }
        size_t cap = (S_ISREG(st.st_mode) ? (size_t)st.st_size : 65536) + 1, len = 0;
        char *buf = malloc(cap);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        pw_prefault(buf, cap);
        for (;;) {
                if (len + 1 >= cap) {
                        if (cap > max) {
                                free(buf);
                                close(fd);
                                return -EFBIG;
                        }
                        char *nb = realloc(buf, cap * 2);
                        if (!nb) {
                                free(buf);
                                close(fd);
                                return -ENOMEM;
                        }
                        buf = nb;
                        cap *= 2;
                }
                ssize_t got = read(fd, buf + len, cap - 1 - len);
                if (got < 0) {
                        if (errno == EINTR)
                                continue;
                        int r = -errno;
                        free(buf);
                        close(fd);
                        return r;
                }
                if (got == 0)
                        break;
                len += (size_t)got;
        }
        close(fd);
        buf[len] = '\0';
        *ret = buf;
        *ret_len = len;
        return 0;
}

int pw_terms_parse(const char *buf, size_t len, struct pw_strv *out, uint32_t *ret_bad_line,
                   size_t *ret_bad_column) {
        uint32_t line = 0;
        size_t i = 0;
        while (i < len) {
                line++;
                const char *nl = memchr(buf + i, '\n', len - i);
                size_t end = nl ? (size_t)(nl - buf) : len;
                size_t next = nl ? end + 1 : len;
                size_t col;
                if (pw_utf8_invalid_at(buf + i, end - i, &col) != (size_t)-1) {
                        *ret_bad_line = line;
                        *ret_bad_column = col;
                        return -EILSEQ;
                }
                size_t a = i, b = end;
                while (a < b && (buf[a] == ' ' || buf[a] == '\t'))
                        a++;
                while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t' || buf[b - 1] == '\r'))
                        b--;
                if (b > a && buf[a] != '#') {
                        if (b - a > PW_TERM_MAX) {
                                *ret_bad_line = line;
                                *ret_bad_column = 1;
                                return -E2BIG;
                        }
                        int r = pw_strv_add(out, buf + a, b - a, line);
                        if (r < 0)
                                return r;
                }
                i = next;
        }
        return 0;
}
