/* Client library for postwardend: see include/postwarden/client.h.
 *
 * Safe inside a PAM module: no globals, no signal handlers, no threads, no logging; writes use
 * MSG_NOSIGNAL so a dead service gives -EPIPE instead of SIGPIPE. Every wait is a poll() bounded
 * by one deadline per call, measured on CLOCK_MONOTONIC. */
#include "postwarden/client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"

struct pw_client {
        int fd; /* non-blocking, close-on-exec stream socket */
};

/* Milliseconds on CLOCK_MONOTONIC. */
static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until `deadline` (0 when past). */
static int left_ms(int64_t deadline) {
        int64_t d = deadline - now_ms();
        return d > 0 ? (int)(d > INT32_MAX ? INT32_MAX : d) : 0;
}

/* Waits for `events` on fd until `deadline`. Returns 0, or -ETIMEDOUT, -errno. */
static int wait_fd(int fd, short events, int64_t deadline) {
        for (;;) {
                struct pollfd p = {.fd = fd, .events = events};
                int r = poll(&p, 1, left_ms(deadline));
                if (r > 0)
                        return 0; /* POLLERR/POLLHUP too: the next read or write says what */
                if (r == 0)
                        return -ETIMEDOUT;
                if (errno != EINTR)
                        return -errno;
        }
}

int pw_client_connect(const char *socket_path, int timeout_ms, struct pw_client **ret) {
        if (!ret)
                return -EINVAL;
        const char *path = socket_path ? socket_path : PW_SOCKET_DEFAULT;
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        size_t plen = strlen(path);
        if (plen == 0)
                return -EINVAL;
        if (plen >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, plen + 1);
        if (timeout_ms < 0)
                timeout_ms = PW_CLIENT_TIMEOUT_MS_DEFAULT;
        int64_t deadline = now_ms() + timeout_ms;

        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        int r;
        for (;;) {
                if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
                        r = 0;
                        break;
                }
                if (errno == EINTR)
                        continue;
                if (errno == EAGAIN) {
                        /* A Unix socket's backlog is full: retry briefly, within the deadline. */
                        int l = left_ms(deadline);
                        if (l == 0) {
                                r = -ETIMEDOUT;
                                break;
                        }
                        poll(NULL, 0, l < 5 ? l : 5);
                        continue;
                }
                if (errno == EINPROGRESS) {
                        r = wait_fd(fd, POLLOUT, deadline);
                        if (r == 0) {
                                int soerr = 0;
                                socklen_t sl = sizeof soerr;
                                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
                                        r = -errno;
                                else if (soerr)
                                        r = -soerr;
                        }
                        break;
                }
                r = -errno;
                break;
        }
        if (r < 0) {
                close(fd);
                return r;
        }
        struct pw_client *c = malloc(sizeof *c);
        if (!c) {
                close(fd);
                return -ENOMEM;
        }
        c->fd = fd;
        *ret = c;
        return 0;
}

/* Writes all of buf before `deadline`. Returns 0 or -errno (-ETIMEDOUT, -EPIPE, ...). */
static int send_all(int fd, const unsigned char *buf, size_t len, int64_t deadline) {
        while (len > 0) {
                ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
                if (n > 0) {
                        buf += n;
                        len -= (size_t)n;
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        int r = wait_fd(fd, POLLOUT, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                return n < 0 ? -errno : -EPIPE;
        }
        return 0;
}

/* Reads exactly len bytes before `deadline`. Returns 0, -ECONNRESET on EOF, or -errno. */
static int recv_all(int fd, unsigned char *buf, size_t len, int64_t deadline) {
        while (len > 0) {
                ssize_t n = recv(fd, buf, len, 0);
                if (n > 0) {
                        buf += n;
                        len -= (size_t)n;
                        continue;
                }
                if (n == 0)
                        return -ECONNRESET;
                if (errno == EINTR)
                        continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                        int r = wait_fd(fd, POLLIN, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                return -errno;
        }
        return 0;
}

/* Sends one encoded frame (header included) and reads the reply, which must carry `want` as its
 * id when `want` is not NULL; with `ret_text`, the reply's bytes too. Wipes `out` (it may hold
 * draft text) but does not free it. */
static int exchange(struct pw_client *c, unsigned char *out, size_t out_len, const json_t *want,
                    int64_t deadline, json_t **ret_reply, char **ret_text, size_t *ret_text_len) {
        int r = send_all(c->fd, out, out_len, deadline);
        explicit_bzero(out, out_len);
        if (r < 0)
                return r;

        /* The reply is never there yet: wait first rather than fail a read with EAGAIN. */
        unsigned char hdr[PW_FRAME_HEADER];
        r = wait_fd(c->fd, POLLIN, deadline);
        if (r == 0)
                r = recv_all(c->fd, hdr, sizeof hdr, deadline);
        if (r < 0)
                return r;
        uint32_t n;
        if (pw_frame_header(hdr, PW_FRAME_MAX, &n) < 0)
                return -EPROTO;
        unsigned char *body = malloc((size_t)n + 1);
        if (!body)
                return -ENOMEM;
        r = recv_all(c->fd, body, n, deadline);
        json_t *reply = NULL;
        if (r == 0 && pw_frame_decode(body, n, &reply, NULL) < 0)
                r = -EPROTO;
        /* A reply to someone else's id means the stream is out of step. */
        if (r == 0 && want && !json_equal(want, json_object_get(reply, "id")))
                r = -EPROTO;
        if (r < 0) {
                json_decref(reply);
                explicit_bzero(body, n);
                free(body);
                return r;
        }
        *ret_reply = reply;
        if (ret_text) {
                body[n] = '\0';
                *ret_text = (char *)body;
                *ret_text_len = n;
        } else {
                explicit_bzero(body, n);
                free(body);
        }
        return 0;
}

int pw_client_request(struct pw_client *c, json_t *request, int timeout_ms, json_t **ret_reply) {
        if (!c || c->fd < 0 || !request || !ret_reply)
                return -EINVAL;
        if (timeout_ms < 0)
                timeout_ms = PW_CLIENT_TIMEOUT_MS_DEFAULT;
        int64_t deadline = now_ms() + timeout_ms;

        unsigned char *out;
        size_t out_len;
        int r = pw_frame_encode(request, &out, &out_len);
        if (r < 0)
                return r;
        r = exchange(c, out, out_len, json_object_get(request, "id"), deadline, ret_reply, NULL,
                     NULL);
        free(out);
        return r;
}

int pw_client_request_text(struct pw_client *c, const char *json, size_t len, const json_t *id,
                           int timeout_ms, json_t **ret_reply, char **ret_text,
                           size_t *ret_text_len) {
        if (!c || c->fd < 0 || !json || !len || !ret_reply || (ret_text && !ret_text_len))
                return -EINVAL;
        if (len > PW_FRAME_MAX)
                return -EMSGSIZE;
        if (timeout_ms < 0)
                timeout_ms = PW_CLIENT_TIMEOUT_MS_DEFAULT;
        int64_t deadline = now_ms() + timeout_ms;

        /* One buffer, one send: copying the text is cheaper than a second system call. */
        unsigned char *out = malloc(PW_FRAME_HEADER + len);
        if (!out)
                return -ENOMEM;
        pw_frame_set_header(out, (uint32_t)len);
        memcpy(out + PW_FRAME_HEADER, json, len);
        int r = exchange(c, out, PW_FRAME_HEADER + len, id, deadline, ret_reply, ret_text,
                         ret_text_len);
        free(out);
        return r;
}

struct pw_client *pw_client_free(struct pw_client *c) {
        if (!c)
                return NULL;
        if (c->fd >= 0)
                close(c->fd);
        free(c);
        return NULL;
}
