/* Framing shared by postwardend and its client library (docs/service-protocol.md §1).
 *
 * A frame is a 4-byte big-endian length N (1 <= N <= PW_FRAME_MAX) followed by N bytes of UTF-8
 * JSON holding one object. The length is checked before anything is allocated. Nothing here logs
 * or keeps state; every function is safe inside a PAM module. */
#ifndef POSTWARDEN_DAEMON_FRAME_H
#define POSTWARDEN_DAEMON_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define PW_FRAME_HEADER 4u
/* 1 MiB of text plus room for the envelope and its JSON escaping of a typical post. */
#define PW_FRAME_MAX (1024u * 1024u + 64u * 1024u)

/* Reads the length from a 4-byte header. Returns 0 and sets *ret_len, -EBADMSG for a length of
 * 0, or -EMSGSIZE when it is above `max` (the caller's cap, at most PW_FRAME_MAX). */
int pw_frame_header(const unsigned char hdr[PW_FRAME_HEADER], uint32_t max, uint32_t *ret_len);

/* Writes the 4-byte header for a body of `n` bytes. */
void pw_frame_set_header(unsigned char hdr[PW_FRAME_HEADER], uint32_t n);

/* Encodes `msg` (borrowed; must be an object) as one compact frame into a new buffer the caller
 * frees. Returns 0, -EMSGSIZE when the encoding is above PW_FRAME_MAX, -EINVAL, -ENOMEM. */
int pw_frame_encode(const json_t *msg, unsigned char **ret_buf, size_t *ret_len);

/* Decodes a frame body: valid UTF-8 JSON, one object, no duplicate keys. Returns 0 and a new
 * reference in *ret, or -EBADMSG with jansson's reason and position in `err` (may be NULL). */
int pw_frame_decode(const unsigned char *body, size_t len, json_t **ret, json_error_t *err);

#endif
