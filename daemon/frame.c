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

int pw_frame_encode(const json_t *msg, unsigned char **ret_buf, size_t *ret_len) {
        if (!json_is_object(msg))
                return -EINVAL;
        /* json_dumpb with a NULL buffer measures first, so the size cap holds before allocating. */
        size_t n = json_dumpb(msg, NULL, 0, JSON_COMPACT);
        if (n == 0)
                return -EINVAL;
        if (n > PW_FRAME_MAX)
                return -EMSGSIZE;
        unsigned char *buf = malloc(PW_FRAME_HEADER + n);
        if (!buf)
                return -ENOMEM;
        if (json_dumpb(msg, (char *)buf + PW_FRAME_HEADER, n, JSON_COMPACT) != n) {
                free(buf);
                return -EINVAL;
        }
        buf[0] = (unsigned char)(n >> 24);
        buf[1] = (unsigned char)(n >> 16);
        buf[2] = (unsigned char)(n >> 8);
        buf[3] = (unsigned char)n;
        *ret_buf = buf;
        *ret_len = PW_FRAME_HEADER + n;
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
