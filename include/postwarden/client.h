/* Client library for postwardend: used by postwarden-host, pam_postwarden.so and postwardenctl.
 *
 * Messages are JSON objects framed as documented in docs/service-protocol.md. Every call is
 * bounded by a timeout so that a login or a browser is never held up by a slow or dead service.
 * The library does not log. */
#ifndef POSTWARDEN_CLIENT_H
#define POSTWARDEN_CLIENT_H

#include <jansson.h>

#define PW_SOCKET_DEFAULT            "/run/postwarden/postwarden.sock"
#define PW_CLIENT_TIMEOUT_MS_DEFAULT 250

struct pw_client; /* one connection; not thread-safe */

/* Connects to `socket_path` (NULL: PW_SOCKET_DEFAULT) within `timeout_ms`.
 * Returns 0, or -errno (-ENOENT/-ECONNREFUSED: no service; -ETIMEDOUT). */
int pw_client_connect(const char *socket_path, int timeout_ms, struct pw_client **ret);

/* Sends `request` (borrowed) and waits up to `timeout_ms` for its reply, stored in *ret_reply
 * (a new reference). Returns 0, -ETIMEDOUT, -EPIPE/-ECONNRESET (service went away), -EPROTO
 * (the reply was not a well-formed frame). After an error the connection must be freed. */
int pw_client_request(struct pw_client *c, json_t *request, int timeout_ms, json_t **ret_reply);

/* As pw_client_request(), for a request the caller already holds as JSON text: `len` bytes that
 * it has parsed itself and found to be one object (a message it forwards unchanged, with no
 * second encoding). `id` (borrowed) is that message's id, which the reply must carry. The bytes
 * are sent as they are; -EMSGSIZE when they are over the service's frame cap. When `ret_text` is
 * not NULL it also gets the reply's bytes as they came (a new buffer of *ret_text_len bytes and a
 * NUL, for the caller to free), so that a relay can pass on what it has checked. */
int pw_client_request_text(struct pw_client *c, const char *json, size_t len, const json_t *id,
                           int timeout_ms, json_t **ret_reply, char **ret_text,
                           size_t *ret_text_len);

/* Closes and frees; accepts NULL; returns NULL. */
struct pw_client *pw_client_free(struct pw_client *c);

#endif
