/* Native-messaging framing: a 4-byte length in native byte order, then that many bytes.
 *
 * The reader refuses a length above its cap before allocating anything for it, and throws the
 * frame's bytes away through its fixed read-ahead buffer, so a hostile length costs no memory.
 * Frames are copied out of the read-ahead buffer into one growable frame buffer; both are wiped
 * because they hold drafts. */
#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "postwarden/nmhost.h"

/* Read-ahead: many small frames per read(2). */
#define IO_SIZE (64u * 1024u)
/* A frame buffer grown above this is released after use. */
#define FRAME_KEEP_LIMIT (256u * 1024u)

struct pw_nm_reader {
        int fd;                /* source fd (borrowed), or -1 for a memory source */
        const uint8_t *mem;    /* memory source (borrowed), when fd < 0 */
        size_t mem_len;        /* bytes at mem */
        size_t mem_pos;        /* bytes of mem handed out so far */
        size_t max_len;        /* cap on a frame's payload */
        int eof;               /* the source has ended */
        size_t io_pos, io_end; /* unread bytes are io[io_pos, io_end) */
        size_t io_high;        /* bytes of io ever written: what must be wiped */
        uint8_t *frame;        /* the last frame's payload (+1 byte for a NUL) */
        size_t frame_cap;      /* allocated bytes at frame */
        size_t frame_len;      /* payload bytes of the last frame, wiped on the next call */
        uint8_t io[IO_SIZE];   /* read-ahead buffer */
};

static int reader_new(size_t max_len, struct pw_nm_reader **ret) {
        /* The read-ahead buffer needs no zeroing: only the fields before it are cleared. */
        struct pw_nm_reader *r = malloc(sizeof *r);
        if (!r)
                return -ENOMEM;
        memset(r, 0, offsetof(struct pw_nm_reader, io));
        r->fd = -1;
        r->max_len = max_len ? max_len : PW_NM_FRAME_MAX;
        *ret = r;
        return 0;
}

int pw_nm_reader_new_fd(int fd, size_t max_len, struct pw_nm_reader **ret) {
        struct pw_nm_reader *r;
        if (fd < 0 || !ret)
                return -EINVAL;
        int k = reader_new(max_len, &r);
        if (k < 0)
                return k;
        r->fd = fd;
        *ret = r;
        return 0;
}

int pw_nm_reader_new_mem(const void *data, size_t len, size_t max_len, struct pw_nm_reader **ret) {
        struct pw_nm_reader *r;
        if ((!data && len) || !ret)
                return -EINVAL;
        int k = reader_new(max_len, &r);
        if (k < 0)
                return k;
        r->mem = data;
        r->mem_len = len;
        *ret = r;
        return 0;
}

struct pw_nm_reader *pw_nm_reader_free(struct pw_nm_reader *r) {
        if (!r)
                return NULL;
        if (r->frame) {
                explicit_bzero(r->frame, r->frame_cap);
                free(r->frame);
        }
        explicit_bzero(r->io, r->io_high);
        explicit_bzero(r, offsetof(struct pw_nm_reader, io));
        free(r);
        return NULL;
}

/* Reads up to `n` bytes from the source into `dst`. Returns the count (0: end of input) or
 * -errno; EINTR is retried. */
static ssize_t source_read(struct pw_nm_reader *r, void *dst, size_t n) {
        if (r->eof)
                return 0;
        if (r->fd < 0) {
                size_t left = r->mem_len - r->mem_pos;
                if (n > left)
                        n = left;
                memcpy(dst, r->mem + r->mem_pos, n);
                r->mem_pos += n;
                if (n == 0)
                        r->eof = 1;
                return (ssize_t)n;
        }
        for (;;) {
                ssize_t got = read(r->fd, dst, n);
                if (got >= 0) {
                        if (got == 0)
                                r->eof = 1;
                        return got;
                }
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                        /* A non-blocking stdin (not what browsers give, but possible): wait. */
                        struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
                        if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
                                return -errno;
                        continue;
                }
                if (errno != EINTR)
                        return -errno;
        }
}

/* Refills the read-ahead buffer when it is empty. Returns the bytes available, 0 at end of
 * input, or -errno. */
static ssize_t fill(struct pw_nm_reader *r) {
        if (r->io_pos < r->io_end)
                return (ssize_t)(r->io_end - r->io_pos);
        r->io_pos = r->io_end = 0;
        ssize_t got = source_read(r, r->io, sizeof r->io);
        if (got > 0)
                r->io_end = (size_t)got;
        if (r->io_end > r->io_high)
                r->io_high = r->io_end;
        return got;
}

/* Reads exactly `n` bytes into `dst` unless input ends first. Large remainders bypass the
 * read-ahead buffer. Returns the bytes read (< n: end of input) or -errno. */
static ssize_t read_exact(struct pw_nm_reader *r, uint8_t *dst, size_t n) {
        size_t done = 0;
        while (done < n) {
                size_t avail = r->io_end - r->io_pos;
                if (avail) {
                        size_t take = n - done < avail ? n - done : avail;
                        memcpy(dst + done, r->io + r->io_pos, take);
                        r->io_pos += take;
                        done += take;
                        continue;
                }
                ssize_t got;
                if (n - done >= sizeof r->io)
                        got = source_read(r, dst + done, n - done);
                else
                        got = fill(r);
                if (got < 0)
                        return got;
                if (got == 0)
                        break;
                if (n - done >= sizeof r->io)
                        done += (size_t)got;
        }
        return (ssize_t)done;
}

/* Reads and throws away `n` bytes. Returns 0, 1 when input ended first, or -errno. */
static int skip(struct pw_nm_reader *r, uint64_t n) {
        while (n > 0) {
                ssize_t got = fill(r);
                if (got < 0)
                        return (int)got;
                if (got == 0)
                        return 1;
                size_t take = (uint64_t)got < n ? (size_t)got : (size_t)n;
                r->io_pos += take;
                n -= take;
        }
        return 0;
}

/* Wipes the previous frame and releases an unusually large frame buffer. */
static void forget_frame(struct pw_nm_reader *r) {
        if (!r->frame)
                return;
        explicit_bzero(r->frame,
                       r->frame_len + 1 <= r->frame_cap ? r->frame_len + 1 : r->frame_cap);
        r->frame_len = 0;
        if (r->frame_cap > FRAME_KEEP_LIMIT) {
                free(r->frame);
                r->frame = NULL;
                r->frame_cap = 0;
        }
}

int pw_nm_reader_next(struct pw_nm_reader *r, const char **ret_buf, size_t *ret_len) {
        uint8_t hdr[4];
        uint32_t len;

        if (!r || !ret_buf || !ret_len)
                return -EINVAL;
        forget_frame(r);

        ssize_t got = read_exact(r, hdr, sizeof hdr);
        if (got < 0)
                return (int)got;
        if (got == 0)
                return 0;
        if ((size_t)got < sizeof hdr)
                return -EPIPE;
        memcpy(&len, hdr, sizeof len); /* native byte order, as the browsers write it */

        if (len == 0)
                return -ENODATA;
        if (len > r->max_len) {
                int k = skip(r, len);
                if (k < 0)
                        return k;
                *ret_len = len;
                return -EMSGSIZE;
        }
        if ((size_t)len + 1 > r->frame_cap) {
                /* Wiped already; realloc would leave a copy of nothing sensitive. */
                uint8_t *n = realloc(r->frame, (size_t)len + 1);
                if (!n) {
                        int k = skip(r, len);
                        return k < 0 ? k : -ENOMEM;
                }
                r->frame = n;
                r->frame_cap = (size_t)len + 1;
        }
        got = read_exact(r, r->frame, len);
        if (got < 0)
                return (int)got;
        r->frame_len = (size_t)got;
        if ((size_t)got < len)
                return -EPIPE;
        r->frame[len] = '\0';
        *ret_buf = (const char *)r->frame;
        *ret_len = len;
        return 1;
}

int pw_nm_write_frame(int fd, const void *buf, size_t len) {
        if (len > PW_NM_REPLY_MAX)
                return -EMSGSIZE;
        uint32_t n32 = (uint32_t)len;
        struct iovec iov[2] = {
                {.iov_base = &n32, .iov_len = sizeof n32},
                {.iov_base = (void *)buf, .iov_len = len},
        };
        struct iovec *v = iov;
        int cnt = 2;
        while (cnt > 0) {
                ssize_t w = writev(fd, v, cnt);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                size_t left = (size_t)w;
                while (cnt > 0 && left >= v->iov_len) {
                        left -= v->iov_len;
                        v++;
                        cnt--;
                }
                if (cnt > 0) {
                        v->iov_base = (uint8_t *)v->iov_base + left;
                        v->iov_len -= left;
                }
        }
        return 0;
}
