/* Test harness for postwarden-host: runs the real binary over pipes, as a browser does.
 *
 * Header-only so the integration tests and the benchmark share it. A feeder child writes the
 * input (optionally in tiny pieces) while the caller reads every byte of the host's stdout and
 * parses it strictly as frames: any byte that is not part of a well-formed frame holding one JSON
 * object fails the run. Nothing here uses the host's own framing code. */
#ifndef POSTWARDEN_NM_HARNESS_H
#define POSTWARDEN_NM_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define NMH_REPLY_MAX (1024u * 1024u)

struct nmh_proc {
        pid_t pid;    /* the host */
        int in;       /* write end of its stdin, or -1 when a feeder owns it */
        int out;      /* read end of its stdout */
        pid_t feeder; /* the feeder child, or 0 */
        int hold;     /* write end of the feeder's hold pipe (closing it lets the feeder end), -1 */
};

/* A growable byte buffer. */
struct nmh_buf {
        uint8_t *p;
        size_t len, cap;
};

static inline void nmh_put(struct nmh_buf *b, const void *d, size_t n) {
        if (b->len + n > b->cap) {
                size_t c = b->cap ? b->cap : 4096;
                while (c < b->len + n)
                        c *= 2;
                b->p = realloc(b->p, c);
                if (!b->p)
                        abort();
                b->cap = c;
        }
        memcpy(b->p + b->len, d, n);
        b->len += n;
}

/* Appends one frame with `len` payload bytes. */
static inline void nmh_frame(struct nmh_buf *b, const void *payload, size_t len) {
        uint32_t n = (uint32_t)len;
        nmh_put(b, &n, 4);
        nmh_put(b, payload, len);
}

/* Appends one frame holding the compact serialisation of `j` (stolen). */
static inline void nmh_frame_json(struct nmh_buf *b, json_t *j) {
        char *s = json_dumps(j, JSON_COMPACT);
        if (!s)
                abort();
        nmh_frame(b, s, strlen(s));
        free(s);
        json_decref(j);
}

/* Starts `argv[0]` with argv; stderr goes to `errlog` (or /dev/null when NULL). */
static inline int nmh_spawn(struct nmh_proc *p, char *const argv[], const char *errlog) {
        int in[2], out[2];
        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int e = open(errlog ? errlog : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
                if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || (e >= 0 && dup2(e, 2) < 0))
                        _exit(126);
                execv(argv[0], argv);
                _exit(127);
        }
        close(in[0]);
        close(out[1]);
        *p = (struct nmh_proc){.pid = pid, .in = in[1], .out = out[0], .hold = -1};
        return 0;
}

/* Hands the host's stdin to a feeder child that writes `len` bytes in pieces of `chunk` bytes
 * (0: all at once), sleeping `gap_us` between pieces, then (when `hold`) waits until
 * nmh_release() before closing it. */
static inline int nmh_feed(struct nmh_proc *p, const uint8_t *data, size_t len, size_t chunk,
                           unsigned gap_us, int hold) {
        int h[2] = {-1, -1};
        if (hold && pipe2(h, O_CLOEXEC) < 0)
                return -errno;
        pid_t f = fork();
        if (f < 0)
                return -errno;
        if (f == 0) {
                signal(SIGPIPE, SIG_IGN);
                close(p->out);
                if (h[1] >= 0)
                        close(h[1]);
                size_t off = 0;
                while (off < len) {
                        size_t n = chunk && chunk < len - off ? chunk : len - off;
                        ssize_t w = write(p->in, data + off, n);
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w < 0)
                                _exit(1);
                        off += (size_t)w;
                        if (gap_us)
                                usleep(gap_us);
                }
                if (h[0] >= 0) {
                        char c;
                        while (read(h[0], &c, 1) < 0 && errno == EINTR)
                                ;
                }
                _exit(0);
        }
        close(p->in);
        p->in = -1;
        p->feeder = f;
        if (hold) {
                close(h[0]);
                p->hold = h[1];
        }
        return 0;
}

static inline void nmh_release(struct nmh_proc *p) {
        if (p->hold >= 0)
                close(p->hold);
        p->hold = -1;
}

/* Reads exactly n bytes; returns n, fewer at EOF, or -1. */
static inline ssize_t nmh_read_exact(int fd, void *buf, size_t n) {
        size_t got = 0;
        while (got < n) {
                ssize_t r = read(fd, (uint8_t *)buf + got, n - got);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -1;
                if (r == 0)
                        break;
                got += (size_t)r;
        }
        return (ssize_t)got;
}

/* Reads the next frame from the host's stdout, strictly. Returns 1 with a JSON object in *ret,
 * 0 at a clean EOF, or -1 (with why on stderr) for anything that is not a frame. */
static inline int nmh_next(struct nmh_proc *p, json_t **ret) {
        uint32_t n;
        ssize_t r = nmh_read_exact(p->out, &n, 4);
        if (r == 0)
                return 0;
        if (r != 4) {
                fprintf(stderr, "harness: %zd stray bytes after the last frame\n", r);
                return -1;
        }
        if (n == 0 || n > NMH_REPLY_MAX) {
                fprintf(stderr, "harness: reply frame of length %u\n", n);
                return -1;
        }
        char *b = malloc(n);
        if (!b || nmh_read_exact(p->out, b, n) != (ssize_t)n) {
                fprintf(stderr, "harness: reply ended inside a frame\n");
                free(b);
                return -1;
        }
        json_error_t e;
        json_t *j = json_loadb(b, n, JSON_REJECT_DUPLICATES, &e);
        free(b);
        if (!json_is_object(j)) {
                fprintf(stderr, "harness: reply is not a JSON object: %s\n", e.text);
                json_decref(j);
                return -1;
        }
        *ret = j;
        return 1;
}

/* Reads every remaining frame into a new array (*ret) and reaps the host and the feeder.
 * Returns the host's exit status (128+signal when killed), or -1 when stdout held anything
 * but frames. */
static inline int nmh_finish(struct nmh_proc *p, json_t **ret) {
        json_t *all = json_array(), *j;
        int k, bad = 0;
        nmh_release(p);
        if (p->in >= 0)
                close(p->in);
        p->in = -1;
        while ((k = nmh_next(p, &j)) == 1)
                json_array_append_new(all, j);
        if (k < 0)
                bad = 1;
        close(p->out);
        if (p->in >= 0)
                close(p->in);
        int st = 0;
        waitpid(p->pid, &st, 0);
        if (p->feeder) {
                int fst;
                waitpid(p->feeder, &fst, 0);
        }
        if (ret)
                *ret = all;
        else
                json_decref(all);
        if (bad)
                return -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Resident set size of `pid` in KiB, or -1. */
static inline long nmh_rss_kib(pid_t pid) {
        char path[64], line[256];
        long kib = -1;
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "r");
        if (!f)
                return -1;
        while (fgets(line, sizeof line, f))
                if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
                        break;
        fclose(f);
        return kib;
}

/* 1 when every member of `want` is in `got` with an equal value: objects compared the same way,
 * recursively; arrays element by element (same length); everything else with json_equal. */
static inline int nmh_subset(json_t *want, json_t *got) {
        if (json_is_array(want)) {
                if (!json_is_array(got) || json_array_size(got) != json_array_size(want))
                        return 0;
                for (size_t i = 0; i < json_array_size(want); i++)
                        if (!nmh_subset(json_array_get(want, i), json_array_get(got, i)))
                                return 0;
                return 1;
        }
        if (!json_is_object(want))
                return json_equal(want, got);
        if (!json_is_object(got))
                return 0;
        const char *k;
        json_t *v;
        json_object_foreach(want, k, v) {
                if (!nmh_subset(v, json_object_get(got, k)))
                        return 0;
        }
        return 1;
}

static inline uint64_t nmh_now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
