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

/* Closes and frees; accepts NULL; returns NULL. */
struct pw_client *pw_client_free(struct pw_client *c);

#endif
