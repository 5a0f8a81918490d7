/* Stand-ins for the policy engine (wip/engine) and the client library (wip/daemon) until those
 * branches are merged: every call fails as "not available", so the host answers with its
 * documented errors (no_policy, service_unavailable). Deleted by the merge that brings the real
 * code. */
#include <errno.h>
#include <stddef.h>

#include "postwarden/client.h"
#include "postwarden/policy.h"

int pw_policy_load(const char *path, const char *cache_dir, unsigned flags, struct pw_policy **ret,
                   struct pw_error *err) {
        pw_error_set(err, path, 0, 0, NULL, "the policy engine is not built in yet");
        return -ENOSYS;
}

struct pw_policy *pw_policy_free(struct pw_policy *p) {
        return NULL;
}

const char *pw_policy_id(const struct pw_policy *p) {
        return "";
}

const char *const *pw_policy_detectors(const struct pw_policy *p) {
        return NULL;
}

int pw_policy_check(const struct pw_policy *p, const struct pw_check_input *in,
                    struct pw_verdict **ret) {
        return -ENOSYS;
}

struct pw_verdict *pw_verdict_free(struct pw_verdict *v) {
        return NULL;
}

json_t *pw_verdict_to_json(const struct pw_verdict *v) {
        return NULL;
}

int pw_client_connect(const char *socket_path, int timeout_ms, struct pw_client **ret) {
        return -ENOENT;
}

int pw_client_request(struct pw_client *c, json_t *request, int timeout_ms, json_t **ret_reply) {
        return -EPIPE;
}

struct pw_client *pw_client_free(struct pw_client *c) {
        return NULL;
}
