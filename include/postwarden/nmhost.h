/* postwarden-host internals: native-messaging framing and message dispatch.
 *
 * The host binary (nmhost/main.c), its tests, its benchmark and its fuzzer link the small
 * library behind this header (postwarden-nm). Nothing here logs, and nothing here writes to any
 * fd but the one it is given for frames. The protocol itself is documented in docs/protocol.md;
 * the error codes below are its numbered error codes. */
#ifndef POSTWARDEN_NMHOST_H
#define POSTWARDEN_NMHOST_H

#include <stddef.h>
#include <stdint.h>

#include "postwarden/error.h"

struct pw_policy;

#define PW_NM_PROTOCOL_VERSION 1
#define PW_NM_FRAME_MAX        (1024u * 1024u) /* default cap on a frame from the browser */
#define PW_NM_REPLY_MAX        (1024u * 1024u) /* the browsers' cap on a frame to the extension */
#define PW_NM_CONFIG_DEFAULT   "/etc/postwarden/host.json"

/* Numbered protocol error codes (docs/protocol.md, "Errors"). Stable: never renumber. */
enum pw_nm_code {
        /* 1xx: the frame itself */
        PW_NM_E_FRAME_TOO_LARGE = 100, /* length above the host's cap; its bytes were skipped */
        PW_NM_E_FRAME_EMPTY = 101,     /* length 0 */
        PW_NM_E_FRAME_TRUNCATED = 102, /* stdin ended inside a frame */
        PW_NM_E_BAD_UTF8 = 103,        /* the payload is not UTF-8 */
        PW_NM_E_BAD_JSON = 104,        /* not JSON (or nested too deep, or duplicate keys) */
        PW_NM_E_NOT_OBJECT = 105,      /* JSON, but not an object */
        /* 2xx: the message */
        PW_NM_E_BAD_ENVELOPE = 200, /* v, id or type missing or of the wrong type */
        PW_NM_E_BAD_VERSION = 201,  /* v is not a protocol version this host speaks */
        PW_NM_E_UNKNOWN_TYPE = 202, /* type is not one of the documented request types */
        PW_NM_E_BAD_FIELDS = 203,   /* a field is missing, unexpected or of the wrong type */
        PW_NM_E_BAD_VALUE = 204,    /* a field has the right type but an unusable value */
        /* 3xx: the caller */
        PW_NM_E_CALLER_DENIED = 300, /* the calling extension is not allowed; the host exits */
        /* 4xx: the policy service (relay mode) */
        PW_NM_E_SERVICE_UNAVAILABLE = 400, /* postwardend is not running or refused us */
        PW_NM_E_SERVICE_TIMEOUT = 401,     /* postwardend did not answer in time */
        PW_NM_E_SERVICE_LOST = 402,        /* postwardend went away during the request */
        PW_NM_E_SERVICE_ERROR = 403,       /* postwardend answered with an error */
        /* 5xx: the host */
        PW_NM_E_INTERNAL = 500,    /* out of memory or another fault inside the host */
        PW_NM_E_NO_POLICY = 501,   /* no policy: standalone load failed, or the service has none */
        PW_NM_E_UNSUPPORTED = 502, /* reserved: a valid request this mode cannot serve */
};

/* The stable snake_case name of a code ("frame_too_large"), or "unknown". */
const char *pw_nm_code_name(int code);

/* ---- framing ------------------------------------------------------------------------------- */

struct pw_nm_reader; /* buffered frame reader over an fd or a memory buffer */

/* A reader of frames of at most `max_len` bytes (0: PW_NM_FRAME_MAX) from `fd`, which stays
 * the caller's. Returns 0 or -ENOMEM; *ret untouched on failure. */
int pw_nm_reader_new_fd(int fd, size_t max_len, struct pw_nm_reader **ret);

/* As pw_nm_reader_new_fd(), over `len` bytes at `data` (borrowed for the reader's life);
 * the end of the buffer is end of input. For tests and the fuzzer. */
int pw_nm_reader_new_mem(const void *data, size_t len, size_t max_len, struct pw_nm_reader **ret);

/* Wipes the buffered bytes (they may hold draft text) and frees; accepts NULL; returns NULL. */
struct pw_nm_reader *pw_nm_reader_free(struct pw_nm_reader *r);

/* Reads the next frame. Returns
 *   1         a frame: *ret_buf (borrowed until the next call) holds *ret_len payload bytes;
 *   0         end of input at a frame boundary;
 *   -EMSGSIZE the announced length (in *ret_len) is above the cap: nothing was allocated, its
 *             bytes were read and thrown away (up to end of input), the next call goes on;
 *   -ENODATA  the announced length was 0;
 *   -EPIPE    input ended inside a frame (header or payload); the next call returns 0;
 *   -errno    the read failed.
 * ret_ parameters are untouched except where said. The reader wipes a frame's bytes when the
 * next frame is read or the reader is freed. */
int pw_nm_reader_next(struct pw_nm_reader *r, const char **ret_buf, size_t *ret_len);

/* Writes one frame (4-byte native-endian length, then `len` bytes) to `fd`, whole, retrying on
 * EINTR and short writes. Returns 0, -EMSGSIZE when len > PW_NM_REPLY_MAX (nothing written), or
 * -errno from write(2) (-EPIPE: the browser went away). */
int pw_nm_write_frame(int fd, const void *buf, size_t len);

/* ---- configuration and caller check -------------------------------------------------------- */

struct pw_nm_config; /* the host's configuration file, parsed */

/* Loads the configuration at `path` (JSON, see docs/protocol.md "Configuration"). A missing file
 * gives -ENOENT; a wrong one -EINVAL with line, column and what in `err`. */
int pw_nm_config_load(const char *path, struct pw_nm_config **ret, struct pw_error *err);

/* An empty configuration: no extension allowed, relay mode, defaults. */
int pw_nm_config_new(struct pw_nm_config **ret);

struct pw_nm_config *pw_nm_config_free(struct pw_nm_config *c);

/* Settings from the configuration; every pointer is borrowed from `c`, NULL when not set. */
const char *pw_nm_config_socket(const struct pw_nm_config *c);
const char *pw_nm_config_policy(const struct pw_nm_config *c);
const char *pw_nm_config_cache_dir(const struct pw_nm_config *c);
int pw_nm_config_timeout_ms(const struct pw_nm_config *c); /* 0: the client's default */

/* Finds the calling extension in the browser's arguments (argv after the program name and the
 * host's own options): Chrome-family passes "chrome-extension://ID/" first, Firefox the manifest
 * path then the extension id. On success copies the id into `ret_id` (size `size`) and returns
 * 0; -EINVAL when the arguments name no caller (with why in `err`). */
int pw_nm_caller_id(int argc, char *const *argv, char *ret_id, size_t size, struct pw_error *err);

/* 1 when extension `id` is allowed by `c`, else 0. */
int pw_nm_config_allows(const struct pw_nm_config *c, const char *id);

/* ---- dispatch ------------------------------------------------------------------------------ */

struct pw_nm_host; /* one host: mode, backend, cache */

struct pw_nm_host_options {
        const char *policy_path;        /* standalone with this policy file; NULL: relay */
        const char *cache_dir;          /* standalone: compiled-policy cache dir, or NULL */
        const struct pw_policy *policy; /* standalone with this loaded policy (borrowed) */
        const char *socket_path;        /* relay: the service socket; NULL: the default */
        int timeout_ms;                 /* relay: per-request timeout; 0: the default */
        size_t cache_entries;           /* verdict cache size; 0: default; SIZE_MAX: off */
        const char *caller;             /* the calling extension id (for hello), or NULL */
        int log_fd;                     /* diagnostics for the admin (site_problem); 0: none */
};

/* Creates a host. In standalone mode the policy is loaded now; a policy that fails to load is
 * not fatal: *ret is still made and 0 returned with the reason in `err`, hello then reports
 * "policy": null with "policy_error", and check/account answer PW_NM_E_NO_POLICY, so the
 * extension can tell the employee. Relay mode connects lazily, on the first request. Returns
 * -ENOMEM or -EINVAL (bad options) otherwise; *ret untouched on failure. */
int pw_nm_host_new(const struct pw_nm_host_options *o, struct pw_nm_host **ret,
                   struct pw_error *err);

/* Frees the host and wipes its cache; accepts NULL; returns NULL. */
struct pw_nm_host *pw_nm_host_free(struct pw_nm_host *h);

/* Answers one frame's payload (`len` bytes at `msg`, borrowed). On success *ret_reply is a new
 * compact JSON reply of *ret_len <= PW_NM_REPLY_MAX bytes that the caller frees with
 * pw_nm_reply_free(); every refusal is such a reply too (an error frame). Returns 0 or -ENOMEM. */
int pw_nm_host_handle(struct pw_nm_host *h, const char *msg, size_t len, char **ret_reply,
                      size_t *ret_len);

/* An error frame for `code` with `detail` (a sentence for a person) and request id "null".
 * Returns 0 or -ENOMEM; the caller frees *ret_reply with pw_nm_reply_free(). */
int pw_nm_error_reply(int code, const char *detail, char **ret_reply, size_t *ret_len);

/* Wipes and frees a reply; accepts NULL; returns NULL. */
char *pw_nm_reply_free(char *reply, size_t len);

/* Serves frames from `r` to `out_fd` until end of input: one reply per frame, framing errors
 * answered with error frames. Returns 0 at end of input, or -errno when writing fails (e.g.
 * -EPIPE) or memory runs out. */
int pw_nm_serve(struct pw_nm_host *h, struct pw_nm_reader *r, int out_fd);

#endif
