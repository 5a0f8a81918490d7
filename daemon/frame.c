/* Framing shared by postwardend and its clients: see frame.h. */
#include "frame.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pw_frame_header(const unsigned char hdr[PW_FRAME_HEADER], uint32_t max, uint32_t *ret_len) {
        uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 |
                     (uint32_t)hdr[3];
        if (n == 0)
                return -EBADMSG;
        if (n > max || n > PW_FRAME_MAX)
                return -EMSGSIZE;
        *ret_len = n;
        return 0;
}

void pw_frame_set_header(unsigned char hdr[PW_FRAME_HEADER], uint32_t n) {
        hdr[0] = (unsigned char)(n >> 24);
        hdr[1] = (unsigned char)(n >> 16);
        hdr[2] = (unsigned char)(n >> 8);
        hdr[3] = (unsigned char)n;
}

/* The frame being written by json_dump_callback(): header room first, then the JSON. */
struct out {
        unsigned char *buf;
        size_t len, cap; /* len counts the header */
        int too_big, no_memory;
};

/* Appends a chunk of JSON. The buffer may hold draft text: when it grows, the old one is wiped
 * before it is freed (realloc would leave the copy behind). Refuses to grow past the cap. */
static int put(const char *chunk, size_t n, void *data) {
        struct out *o = data;
        if (n > PW_FRAME_HEADER + PW_FRAME_MAX - o->len) {
                o->too_big = 1;
                return -1;
        }
        if (o->len + n > o->cap) {
                size_t cap = o->cap;
                while (cap < o->len + n)
                        cap *= 2;
                if (cap > PW_FRAME_HEADER + PW_FRAME_MAX)
                        cap = PW_FRAME_HEADER + PW_FRAME_MAX;
                unsigned char *b = malloc(cap);
                if (!b) {
                        o->no_memory = 1;
                        return -1;
                }
                memcpy(b, o->buf, o->len);
                explicit_bzero(o->buf, o->len);
                free(o->buf);
                o->buf = b;
                o->cap = cap;
        }
        memcpy(o->buf + o->len, chunk, n);
        o->len += n;
        return 0;
}

int pw_frame_encode(const json_t *msg, unsigned char **ret_buf, size_t *ret_len) {
        if (!json_is_object(msg))
                return -EINVAL;
        /* One pass: dumping twice (measure, then write) costs as much again as the dump. */
        struct out o = {.buf = malloc(4096), .len = PW_FRAME_HEADER, .cap = 4096};
        if (!o.buf)
                return -ENOMEM;
        if (json_dump_callback(msg, put, &o, JSON_COMPACT) < 0 || o.len == PW_FRAME_HEADER) {
                explicit_bzero(o.buf, o.len);
                free(o.buf);
                return o.too_big ? -EMSGSIZE : o.no_memory ? -ENOMEM : -EINVAL;
        }
        pw_frame_set_header(o.buf, (uint32_t)(o.len - PW_FRAME_HEADER));
        *ret_buf = o.buf;
        *ret_len = o.len;
        return 0;
}

int pw_frame_decode(const unsigned char *body, size_t len, json_t **ret, json_error_t *err) {
        json_error_t local;
        json_error_t *e = err ? err : &local;
        json_t *root = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, e);
        if (!root)
                return -EBADMSG;
        if (!json_is_object(root)) {
                snprintf(e->text, sizeof e->text, "a message must be a JSON object");
                e->line = 1;
                e->column = 1;
                e->position = 0;
                json_decref(root);
                return -EBADMSG;
        }
        *ret = root;
        return 0;
}
