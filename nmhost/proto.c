/* postwarden-host message dispatch: envelope and shape validation, the four request types, error
 * frames, and the two back ends (in-process policy engine, or postwardend through the client
 * library). docs/protocol.md is the contract this file implements. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "internal.h"
#include "postwarden/client.h"
#include "postwarden/nmhost.h"
#include "postwarden/policy.h"

#define CACHE_ENTRIES_DEFAULT 64
#define RELAY_CACHE_TTL_MS    30000 /* the service may reload its policy: bound staleness */
#define ID_STRING_MAX         128   /* a request id string longer than this is refused */
#define FIELD_MAX             256   /* site, handle, stable id, ...: the service's own limit */
#define JUSTIFICATION_MAX     4096  /* bytes of an override justification */
#define MAX_GROUPS            64    /* groups passed to the policy engine */

struct pw_nm_host {
        int standalone;                 /* 1: in-process policy; 0: relay to postwardend */
        struct pw_policy *owned;        /* the policy this host loaded, or NULL */
        const struct pw_policy *policy; /* the policy in use (owned or borrowed), or NULL */
        char policy_error[640];         /* why the standalone policy is missing, or "" */
        char loaded_at[32];             /* ISO 8601 UTC time the policy was loaded */
        char *socket_path;              /* relay: service socket, or NULL for the default */
        int timeout_ms;                 /* relay: per-request timeout */
        struct pw_client *client;     /* relay: the connection, NULL until needed or after error */
        json_int_t next_id;           /* relay: id of the next request to the service */
        struct pw_nm_cache *cache;    /* verdict cache, or NULL when off */
        char *caller;                 /* the calling extension's id, or NULL */
        char *user;                   /* the login name of our uid */
        char *groups[MAX_GROUPS + 1]; /* our group names, NULL-terminated */
        int log_fd;                   /* diagnostics (site problems), or 0 for none */
};

/* ---- small helpers --------------------------------------------------------------------------- */

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

const char *pw_nm_code_name(int code) {
        switch (code) {
        case PW_NM_E_FRAME_TOO_LARGE:
                return "frame_too_large";
        case PW_NM_E_FRAME_EMPTY:
                return "frame_empty";
        case PW_NM_E_FRAME_TRUNCATED:
                return "frame_truncated";
        case PW_NM_E_BAD_UTF8:
                return "bad_utf8";
        case PW_NM_E_BAD_JSON:
                return "bad_json";
        case PW_NM_E_NOT_OBJECT:
                return "not_object";
        case PW_NM_E_BAD_ENVELOPE:
                return "bad_envelope";
        case PW_NM_E_BAD_VERSION:
                return "bad_version";
        case PW_NM_E_UNKNOWN_TYPE:
                return "unknown_type";
        case PW_NM_E_BAD_FIELDS:
                return "bad_fields";
        case PW_NM_E_BAD_VALUE:
                return "bad_value";
        case PW_NM_E_CALLER_DENIED:
                return "caller_denied";
        case PW_NM_E_SERVICE_UNAVAILABLE:
                return "service_unavailable";
        case PW_NM_E_SERVICE_TIMEOUT:
                return "service_timeout";
        case PW_NM_E_SERVICE_LOST:
                return "service_lost";
        case PW_NM_E_SERVICE_ERROR:
                return "service_error";
        case PW_NM_E_INTERNAL:
                return "internal";
        case PW_NM_E_NO_POLICY:
                return "no_policy";
        case PW_NM_E_UNSUPPORTED:
                return "unsupported";
        }
        return "unknown";
}

char *pw_nm_reply_free(char *reply, size_t len) {
        if (!reply)
                return NULL;
        json_malloc_t m;
        json_free_t f;
        /* Replies come from json_dumps(): they belong to jansson's allocator. */
        json_get_alloc_funcs(&m, &f);
        explicit_bzero(reply, len);
        f(reply);
        return NULL;
}

/* A new reply envelope {"v":1,"id":id,"type":type}; `id` is borrowed (NULL: JSON null). */
static json_t *envelope(json_t *id, const char *type) {
        return json_pack("{s:i, s:O, s:s}", "v", PW_NM_PROTOCOL_VERSION, "id",
                         id ? id : json_null(), "type", type);
}

/* Serialises `reply` (stolen) compactly into *ret. A check reply over PW_NM_REPLY_MAX loses
 * findings from its end until it fits, and says how many ("findings_trimmed"). Returns 0,
 * -ENOMEM, or -EMSGSIZE when even that cannot make it fit. */
static int finish(json_t *reply, char **ret, size_t *ret_len) {
        if (!reply)
                return -ENOMEM;
        json_t *findings = NULL;
        size_t trimmed = 0;
        for (;;) {
                char *s = json_dumps(reply, JSON_COMPACT);
                if (!s) {
                        json_decref(reply);
                        return -ENOMEM;
                }
                size_t len = strlen(s);
                if (len <= PW_NM_REPLY_MAX) {
                        json_decref(reply);
                        *ret = s;
                        *ret_len = len;
                        return 0;
                }
                pw_nm_reply_free(s, len);
                if (!findings) {
                        /* The verdict may be shared with the cache: trim a copy of it. */
                        json_t *v = json_deep_copy(json_object_get(reply, "verdict"));
                        if (!v || json_object_set_new(reply, "verdict", v) < 0) {
                                json_decref(reply);
                                return -ENOMEM;
                        }
                        findings = json_object_get(v, "findings");
                }
                size_t n = json_array_size(findings);
                if (n == 0) {
                        json_decref(reply);
                        return -EMSGSIZE;
                }
                /* Shrink geometrically: a verdict never needs more than ~20 passes. */
                size_t drop = n / 4 ? n / 4 : 1;
                for (size_t i = 0; i < drop; i++)
                        json_array_remove(findings, json_array_size(findings) - 1);
                trimmed += drop;
                if (json_object_set_new(reply, "findings_trimmed",
                                        json_integer((json_int_t)trimmed)) < 0) {
                        json_decref(reply);
                        return -ENOMEM;
                }
        }
}

/* Copies `len` bytes of checked JSON into a reply of jansson's allocator (pw_nm_reply_free()). */
static int pass_on(const char *text, size_t len, char **ret, size_t *ret_len) {
        json_malloc_t m;
        json_free_t f;
        json_get_alloc_funcs(&m, &f);
        char *out = m(len + 1);
        if (!out)
                return -ENOMEM;
        memcpy(out, text, len);
        out[len] = '\0';
        *ret = out;
        *ret_len = len;
        return 0;
}

/* An error frame for request `id` (borrowed, may be NULL). */
static int error_reply(json_t *id, int code, const char *detail, char **ret, size_t *ret_len) {
        json_t *r = envelope(id, "error");
        if (!r)
                return -ENOMEM;
        if (json_object_set_new(r, "error",
                                json_pack("{s:i, s:s, s:s}", "code", code, "name",
                                          pw_nm_code_name(code), "message", detail ? detail : "")) <
            0) {
                json_decref(r);
                return -ENOMEM;
        }
        return finish(r, ret, ret_len);
}

int pw_nm_error_reply(int code, const char *detail, char **ret_reply, size_t *ret_len) {
        if (!ret_reply || !ret_len)
                return -EINVAL;
        return error_reply(NULL, code, detail, ret_reply, ret_len);
}

/* Reads an optional, nullable string member: absent or null gives NULL. Returns 0, or -EINVAL
 * when `v` is something else. */
static int opt_string(json_t *v, const char **ret) {
        if (!v || json_is_null(v)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_string(v))
                return -EINVAL;
        *ret = json_string_value(v);
        return 0;
}

/* 1 when `s` (may be NULL) is at most `max` bytes. */
static int short_enough(const char *s, size_t max) {
        return !s || strlen(s) <= max;
}

/* ---- the service (relay mode) ---------------------------------------------------------------- */

/* Maps a client library error to a protocol code. */
static int service_code(int k) {
        switch (k) {
        case -ETIMEDOUT:
                return PW_NM_E_SERVICE_TIMEOUT;
        case -EPIPE:
        case -ECONNRESET:
        case -EPROTO:
                return PW_NM_E_SERVICE_LOST;
        default:
                return PW_NM_E_SERVICE_UNAVAILABLE;
        }
}

/* Maps a postwardend error code (its enum pw_svc_err) to a protocol code: what the extension
 * must treat differently keeps its own code, the rest is "the service refused". */
static int service_error_code(json_int_t sc) {
        switch (sc) {
        case 5:
                return PW_NM_E_BAD_VALUE; /* invalid: a field the service will not take */
        case 7:
                return PW_NM_E_NO_POLICY; /* the service has no policy loaded */
        default:
                return PW_NM_E_SERVICE_ERROR;
        }
}

/* A request to the service: a message the host builds, or the extension's own bytes forwarded. */
struct service_req {
        json_t *msg;      /* built here (borrowed; v and id are set), or NULL */
        const char *text; /* else: the extension's message as it came, parsed and checked */
        size_t len;       /* its length */
        const json_t *id; /* its id, which the reply must carry */
        char *reply_text; /* out, with `text`: the reply's bytes (malloc'd; the caller frees) */
        size_t reply_len; /* their length */
};

static void drop_reply_text(struct service_req *req) {
        if (req->reply_text) {
                explicit_bzero(req->reply_text, req->reply_len);
                free(req->reply_text);
                req->reply_text = NULL;
        }
}

/* Sends `req` to postwardend, connecting first if needed. On success returns 0 with the service's
 * reply in *ret (new reference); otherwise a PW_NM_E_SERVICE_* code with a sentence in `why`, and
 * the connection is dropped so the next request reconnects. */
static int service_call(struct pw_nm_host *h, struct service_req *req, json_t **ret, char *why,
                        size_t size) {
        int k;
        /* The service speaks the same envelope; the ids of messages built here are ours. */
        if (req->msg &&
            (json_object_set_new(req->msg, "v", json_integer(PW_NM_PROTOCOL_VERSION)) < 0 ||
             json_object_set_new(req->msg, "id", json_integer(++h->next_id)) < 0)) {
                snprintf(why, size, "out of memory");
                return PW_NM_E_INTERNAL;
        }
        json_t *reply = NULL;
        for (int attempt = 0;; attempt++) {
                int reused = h->client != NULL;
                if (!h->client) {
                        k = pw_client_connect(h->socket_path, h->timeout_ms, &h->client);
                        if (k < 0 && attempt > 0) {
                                snprintf(why, size,
                                         "the Postwarden service went away during the request");
                                return PW_NM_E_SERVICE_LOST;
                        }
                        if (k < 0) {
                                snprintf(why, size, "cannot reach the Postwarden service: %s",
                                         strerror(-k));
                                return service_code(k == -ETIMEDOUT ? -ECONNREFUSED : k);
                        }
                }
                k = req->msg ? pw_client_request(h->client, req->msg, h->timeout_ms, &reply)
                             : pw_client_request_text(h->client, req->text, req->len, req->id,
                                                      h->timeout_ms, &reply, &req->reply_text,
                                                      &req->reply_len);
                if (k == 0)
                        break;
                h->client = pw_client_free(h->client);
                /* The service closes idle connections: a kept connection that fails at once is
                 * retried once on a new one. A service that died fails the reconnect instead. */
                if (reused && attempt == 0 && (k == -EPIPE || k == -ECONNRESET))
                        continue;
                snprintf(why, size, "the Postwarden service did not answer: %s", strerror(-k));
                return service_code(k);
        }
        if (!json_is_object(reply)) {
                json_decref(reply);
                drop_reply_text(req);
                h->client = pw_client_free(h->client);
                snprintf(why, size, "the Postwarden service sent a reply that is not an object");
                return PW_NM_E_SERVICE_LOST;
        }
        /* {"type":"error","code":N,"error":"name","message":"..."} (docs/service-protocol.md) */
        const char *rtype = json_string_value(json_object_get(reply, "type"));
        if (rtype && !strcmp(rtype, "error")) {
                const char *m = json_string_value(json_object_get(reply, "message"));
                const char *n = json_string_value(json_object_get(reply, "error"));
                json_int_t sc = json_integer_value(json_object_get(reply, "code"));
                snprintf(why, size, "the Postwarden service refused (%s): %s", n ? n : "error",
                         m ? m : "no reason");
                json_decref(reply);
                drop_reply_text(req);
                return service_error_code(sc);
        }
        *ret = reply;
        return 0;
}

/* ---- request types --------------------------------------------------------------------------- */

/* hello: who and what is answering. */
static int do_hello(struct pw_nm_host *h, json_t *root, json_t *id, char **ret, size_t *ret_len) {
        json_error_t jerr;
        const char *client = NULL;
        char msg[200];
        json_t *ign;

        if (json_unpack_ex(root, &jerr, 0, "{s:o, s:o, s:o, s?s !}", "v", &ign, "id", &ign, "type",
                           &ign, "client", &client) < 0) {
                snprintf(msg, sizeof msg, "hello: %s", jerr.text);
                return error_reply(id, PW_NM_E_BAD_FIELDS, msg, ret, ret_len);
        }
        json_t *r = envelope(id, "hello");
        if (!r)
                return -ENOMEM;
        int bad = json_object_set_new(
                r, "host",
                json_pack("{s:s, s:s}", "name", "postwarden-host", "version", POSTWARDEN_VERSION));
        bad |= json_object_set_new(r, "protocol", json_integer(PW_NM_PROTOCOL_VERSION));
        bad |= json_object_set_new(r, "mode", json_string(h->standalone ? "standalone" : "relay"));
        bad |= json_object_set_new(r, "user", h->user ? json_string(h->user) : json_null());
        bad |= json_object_set_new(r, "caller", h->caller ? json_string(h->caller) : json_null());

        if (h->standalone) {
                json_t *dets = json_array();
                if (h->policy)
                        for (const char *const *d = pw_policy_detectors(h->policy); d && *d; d++)
                                bad |= json_array_append_new(dets, json_string(*d));
                bad |= json_object_set_new(r, "service", json_string("standalone"));
                bad |= json_object_set_new(r, "policy",
                                           h->policy ? json_pack("{s:s, s:s}", "id",
                                                                 pw_policy_id(h->policy),
                                                                 "loaded_at", h->loaded_at)
                                                     : json_null());
                if (!h->policy)
                        bad |= json_object_set_new(r, "policy_error", json_string(h->policy_error));
                bad |= json_object_set_new(r, "detectors", dets);
                bad |= json_object_set_new(r, "session", json_null());
        } else {
                json_t *req = json_pack("{s:s, s:s, s:s}", "type", "hello", "client",
                                        "postwarden-host", "client_version", POSTWARDEN_VERSION);
                json_t *srv = NULL;
                char why[200];
                int code = req ? service_call(h, &(struct service_req){.msg = req}, &srv, why,
                                              sizeof why)
                               : PW_NM_E_INTERNAL;
                json_decref(req);
                if (code == 0) {
                        /* policy {id, loaded_at (epoch s), detectors} or null */
                        json_t *p = json_object_get(srv, "policy");
                        json_t *d = json_object_get(p, "detectors");
                        json_t *s = json_object_get(srv, "session");
                        json_t *pol = json_null();
                        if (json_is_object(p)) {
                                char when[32] = "";
                                time_t t =
                                        (time_t)json_integer_value(json_object_get(p, "loaded_at"));
                                struct tm tm;
                                if (gmtime_r(&t, &tm))
                                        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
                                pol = json_pack("{s:O?, s:s}", "id", json_object_get(p, "id"),
                                                "loaded_at", when);
                        }
                        bad |= json_object_set_new(r, "service", json_string("available"));
                        bad |= json_object_set_new(r, "policy", pol);
                        bad |= json_object_set_new(
                                r, "detectors", json_is_array(d) ? json_incref(d) : json_array());
                        bad |= json_object_set(r, "session", s ? s : json_null());
                } else {
                        bad |= json_object_set_new(r, "service", json_string("unavailable"));
                        bad |= json_object_set_new(r, "service_error", json_string(why));
                        bad |= json_object_set_new(r, "policy", json_null());
                        bad |= json_object_set_new(r, "detectors", json_array());
                        bad |= json_object_set_new(r, "session", json_null());
                }
                json_decref(srv);
        }
        if (bad) {
                json_decref(r);
                return -ENOMEM;
        }
        return finish(r, ret, ret_len);
}

/* Unpacks an account object {handle, stable_id} (both optional, nullable) or null. Returns 0, or
 * -EINVAL with why in `msg`. */
static int unpack_account(json_t *acct, const char *what, const char **ret_handle,
                          const char **ret_stable_id, char *msg, size_t size) {
        json_error_t jerr;
        json_t *hv = NULL, *sv = NULL;
        const char *handle, *stable_id;
        if (json_is_null(acct)) {
                *ret_handle = *ret_stable_id = NULL;
                return 0;
        }
        if (!json_is_object(acct)) {
                snprintf(msg, size, "%s: account must be an object or null", what);
                return -EINVAL;
        }
        if (json_unpack_ex(acct, &jerr, 0, "{s?o, s?o !}", "handle", &hv, "stable_id", &sv) < 0) {
                snprintf(msg, size, "%s: account: %s", what, jerr.text);
                return -EINVAL;
        }
        if (opt_string(hv, &handle) < 0 || opt_string(sv, &stable_id) < 0) {
                snprintf(msg, size, "%s: account handle and stable_id must be strings or null",
                         what);
                return -EINVAL;
        }
        if (!short_enough(handle, FIELD_MAX) || !short_enough(stable_id, FIELD_MAX)) {
                snprintf(msg, size, "%s: account handle or stable_id over %d bytes", what,
                         FIELD_MAX);
                return -ERANGE;
        }
        *ret_handle = handle;
        *ret_stable_id = stable_id;
        return 0;
}

/* The verdict of the in-process engine on `in`, as JSON (new reference), or NULL with a code in
 * *ret_code. */
static json_t *engine_verdict(struct pw_nm_host *h, const struct pw_check_input *in,
                              struct pw_verdict **ret_v, int *ret_code) {
        struct pw_verdict *v = NULL;
        int k = pw_policy_check(h->policy, in, &v);
        if (k < 0) {
                *ret_code = k == -EINVAL ? PW_NM_E_BAD_VALUE : PW_NM_E_INTERNAL;
                return NULL;
        }
        json_t *j = pw_verdict_to_json(v);
        if (!j) {
                pw_verdict_free(v);
                *ret_code = PW_NM_E_INTERNAL;
                return NULL;
        }
        if (ret_v)
                *ret_v = v;
        else
                pw_verdict_free(v);
        return j;
}

/* check: the verdict on a draft. */
static int do_check(struct pw_nm_host *h, const char *raw, size_t raw_len, json_t *root, json_t *id,
                    char **ret, size_t *ret_len) {
        json_error_t jerr;
        json_t *ign, *acct;
        const char *site, *text, *handle, *stable_id;
        size_t text_len;
        char msg[300];

        if (json_unpack_ex(root, &jerr, 0, "{s:o, s:o, s:o, s:s, s:o, s:s% !}", "v", &ign, "id",
                           &ign, "type", &ign, "site", &site, "account", &acct, "text", &text,
                           &text_len) < 0) {
                snprintf(msg, sizeof msg, "check: %s", jerr.text);
                return error_reply(id, PW_NM_E_BAD_FIELDS, msg, ret, ret_len);
        }
        int k = unpack_account(acct, "check", &handle, &stable_id, msg, sizeof msg);
        if (k < 0)
                return error_reply(id, k == -EINVAL ? PW_NM_E_BAD_FIELDS : PW_NM_E_BAD_VALUE, msg,
                                   ret, ret_len);
        if (!site[0] || !short_enough(site, FIELD_MAX))
                return error_reply(id, PW_NM_E_BAD_VALUE, "check: site must be 1..256 bytes", ret,
                                   ret_len);
        if (h->standalone && !h->policy)
                return error_reply(id, PW_NM_E_NO_POLICY, h->policy_error, ret, ret_len);

        uint8_t key[PW_NM_CACHE_KEY_BYTES];
        uint64_t now = now_ms();
        json_t *verdict = NULL;
        int cached = 0;
        if (h->cache) {
                const char *parts[] = {site, handle, stable_id, text};
                const size_t lens[] = {strlen(site), handle ? strlen(handle) : 0,
                                       stable_id ? strlen(stable_id) : 0, text_len};
                pw_nm_cache_key(h->cache, parts, lens, 4, key);
                verdict = json_incref(pw_nm_cache_get(h->cache, key, now));
                cached = verdict != NULL;
        }
        if (!verdict && h->standalone) {
                struct pw_check_input in = {
                        .text = text,
                        .len = text_len,
                        .site = site,
                        .account_handle = handle,
                        .account_id = stable_id,
                        .user = h->user,
                        .groups = (const char *const *)h->groups,
                };
                int code;
                verdict = engine_verdict(h, &in, NULL, &code);
                if (!verdict)
                        return error_reply(id, code,
                                           code == PW_NM_E_BAD_VALUE
                                                   ? "check: the policy engine refused this text"
                                                   : "check: the policy engine failed",
                                           ret, ret_len);
        } else if (!verdict) {
                /* The extension's v1 check, checked above field by field, is also a valid v1
                 * service check (docs/service-protocol.md): it goes on as the bytes that came,
                 * not encoded again. The reply carries the extension's id. */
                json_t *srv = NULL;
                struct service_req req = {.text = raw, .len = raw_len, .id = id};
                int code = service_call(h, &req, &srv, msg, sizeof msg);
                if (code)
                        return error_reply(id, code, msg, ret, ret_len);
                verdict = json_object_get(srv, "verdict");
                if (!json_is_object(verdict)) {
                        json_decref(srv);
                        drop_reply_text(&req);
                        return error_reply(id, PW_NM_E_SERVICE_ERROR,
                                           "the Postwarden service sent no verdict", ret, ret_len);
                }
                json_incref(verdict);
                /* The service's v1 check reply, {"v":1,"id":…,"type":"check","verdict":{…}} with
                 * the extension's id, is this host's reply as it stands: pass on the checked
                 * bytes rather than encode them again. Anything else is rebuilt below. */
                const char *rtype = json_string_value(json_object_get(srv, "type"));
                int as_is =
                        json_object_size(srv) == 4 && rtype && !strcmp(rtype, "check") &&
                        json_integer_value(json_object_get(srv, "v")) == PW_NM_PROTOCOL_VERSION &&
                        req.reply_len <= PW_NM_REPLY_MAX;
                json_decref(srv);
                if (as_is) {
                        k = pass_on(req.reply_text, req.reply_len, ret, ret_len);
                        drop_reply_text(&req);
                        if (k == 0 && h->cache)
                                pw_nm_cache_put(h->cache, key, verdict, now);
                        json_decref(verdict);
                        return k;
                }
                drop_reply_text(&req);
        }
        if (h->cache && !cached)
                pw_nm_cache_put(h->cache, key, verdict, now);
        json_t *r = envelope(id, "check");
        if (!r || json_object_set_new(r, "verdict", verdict) < 0 ||
            (cached && json_object_set_new(r, "cached", json_true()) < 0)) {
                json_decref(r);
                return -ENOMEM;
        }
        return finish(r, ret, ret_len);
}

/* account: is this account the company's, and may this user act as it. */
static int do_account(struct pw_nm_host *h, json_t *root, json_t *id, char **ret, size_t *ret_len) {
        json_error_t jerr;
        json_t *ign, *sv = NULL, *dv = NULL;
        const char *site, *handle, *stable_id, *display, *detected_by;
        char msg[300];

        if (json_unpack_ex(root, &jerr, 0, "{s:o, s:o, s:o, s:s, s:s, s?o, s?o, s:s !}", "v", &ign,
                           "id", &ign, "type", &ign, "site", &site, "handle", &handle, "stable_id",
                           &sv, "display_name", &dv, "detected_by", &detected_by) < 0) {
                snprintf(msg, sizeof msg, "account: %s", jerr.text);
                return error_reply(id, PW_NM_E_BAD_FIELDS, msg, ret, ret_len);
        }
        if (opt_string(sv, &stable_id) < 0 || opt_string(dv, &display) < 0)
                return error_reply(id, PW_NM_E_BAD_FIELDS,
                                   "account: stable_id and display_name must be strings or null",
                                   ret, ret_len);
        if (!site[0] || !handle[0] || !detected_by[0] || !short_enough(site, FIELD_MAX) ||
            !short_enough(handle, FIELD_MAX) || !short_enough(stable_id, FIELD_MAX) ||
            !short_enough(display, FIELD_MAX) || !short_enough(detected_by, FIELD_MAX))
                return error_reply(id, PW_NM_E_BAD_VALUE, "account: a field is empty or too long",
                                   ret, ret_len);

        json_t *r = envelope(id, "account");
        if (!r)
                return -ENOMEM;
        int bad = 0;
        if (h->standalone) {
                if (!h->policy) {
                        json_decref(r);
                        return error_reply(id, PW_NM_E_NO_POLICY, h->policy_error, ret, ret_len);
                }
                struct pw_check_input in = {
                        .text = "",
                        .len = 0,
                        .site = site,
                        .account_handle = handle,
                        .account_id = stable_id,
                        .user = h->user,
                        .groups = (const char *const *)h->groups,
                };
                struct pw_verdict *v = NULL;
                int code;
                json_t *j = engine_verdict(h, &in, &v, &code);
                json_decref(j);
                if (!v) {
                        json_decref(r);
                        return error_reply(id, code, "account: the policy engine failed", ret,
                                           ret_len);
                }
                bad |= json_object_set_new(r, "company_account", json_boolean(v->company_account));
                bad |= json_object_set_new(r, "authorised",
                                           json_boolean(v->company_account && v->authorised));
                bad |= json_object_set_new(r, "account_name",
                                           v->account_name ? json_string(v->account_name)
                                                           : json_null());
                bad |= json_object_set_new(r, "linked", json_false());
                pw_verdict_free(v);
        } else {
                json_t *req = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s}", "type", "account",
                                        "site", site, "handle", handle, "stable_id", stable_id,
                                        "display_name", display, "detected_by", detected_by);
                json_t *srv = NULL;
                int code = req ? service_call(h, &(struct service_req){.msg = req}, &srv, msg,
                                              sizeof msg)
                               : PW_NM_E_INTERNAL;
                json_decref(req);
                if (code) {
                        json_decref(r);
                        return error_reply(id, code, msg, ret, ret_len);
                }
                json_t *ca = json_object_get(srv, "company");
                json_t *au = json_object_get(srv, "authorised");
                json_t *nm = json_object_get(srv, "account_name");
                json_t *se = json_object_get(srv, "session");
                bad |= json_object_set_new(r, "company_account", json_boolean(json_is_true(ca)));
                bad |= json_object_set_new(r, "authorised", json_boolean(json_is_true(au)));
                bad |= json_object_set_new(r, "account_name",
                                           json_is_string(nm) ? json_incref(nm) : json_null());
                /* The service links a company account to the login session it ties us to. */
                bad |= json_object_set_new(r, "linked",
                                           json_boolean(json_is_true(ca) && json_is_object(se)));
                json_decref(srv);
        }
        if (bad) {
                json_decref(r);
                return -ENOMEM;
        }
        return finish(r, ret, ret_len);
}

/* site_problem: a configured site showed no compose box or no acting account where the
 * extension's adapter expects one (the site may have changed). Logged for the admin, with the site
 * and the adapter only; the service has no request for it (yet), so nothing is relayed. */
static int do_site_problem(struct pw_nm_host *h, json_t *root, json_t *id, char **ret,
                           size_t *ret_len) {
        json_error_t jerr;
        json_t *ign, *av = NULL;
        const char *site, *problem, *adapter = NULL;
        char msg[300];

        if (json_unpack_ex(root, &jerr, 0, "{s:o, s:o, s:o, s:s, s:s, s?o !}", "v", &ign, "id",
                           &ign, "type", &ign, "site", &site, "problem", &problem, "adapter",
                           &av) < 0) {
                snprintf(msg, sizeof msg, "site_problem: %s", jerr.text);
                return error_reply(id, PW_NM_E_BAD_FIELDS, msg, ret, ret_len);
        }
        if (opt_string(av, &adapter) < 0)
                return error_reply(id, PW_NM_E_BAD_FIELDS,
                                   "site_problem: adapter must be a string or null", ret, ret_len);
        if (strcmp(problem, "no_compose_box") && strcmp(problem, "no_account"))
                return error_reply(id, PW_NM_E_BAD_VALUE,
                                   "site_problem: problem must be no_compose_box or no_account",
                                   ret, ret_len);
        if (!site[0] || !short_enough(site, FIELD_MAX) || !short_enough(adapter, FIELD_MAX) ||
            (adapter && !adapter[0]))
                return error_reply(id, PW_NM_E_BAD_VALUE,
                                   "site_problem: a field is empty or too long", ret, ret_len);
        if (h->log_fd > 0) {
                /* Only printable ASCII of the site's and adapter's names reaches the log. */
                char s[FIELD_MAX + 1], a[FIELD_MAX + 1];
                size_t i;
                for (i = 0; site[i] && i < FIELD_MAX; i++)
                        s[i] = site[i] > ' ' && site[i] < 0x7f ? site[i] : '?';
                s[i] = '\0';
                for (i = 0; adapter && adapter[i] && i < FIELD_MAX; i++)
                        a[i] = adapter[i] > ' ' && adapter[i] < 0x7f ? adapter[i] : '?';
                a[adapter ? i : 0] = '\0';
                dprintf(h->log_fd,
                        "postwarden-host: site %s (adapter %s): %s where one is expected; "
                        "the site may have changed its pages: update the selectors\n",
                        s, adapter ? a : "-",
                        !strcmp(problem, "no_compose_box") ? "no compose box"
                                                           : "no acting account");
        }
        json_t *r = envelope(id, "site_problem");
        if (!r || json_object_set_new(r, "noted", json_true()) < 0 ||
            json_object_set_new(r, "relayed", json_false()) < 0) {
                json_decref(r);
                return -ENOMEM;
        }
        return finish(r, ret, ret_len);
}

/* post_attempt: a submit the employee made or tried, for the audit. The shape is the service's
 * own (docs/service-protocol.md), so relay mode forwards it as it is, under the service's id. */
static int do_post_attempt(struct pw_nm_host *h, json_t *root, json_t *id, char **ret,
                           size_t *ret_len) {
        json_error_t jerr;
        json_t *ign, *acct, *findings = NULL, *just = NULL, *text = NULL;
        const char *site, *action, *handle, *stable_id;
        int overridable = 0, posted = 0;
        char msg[300];

        if (json_unpack_ex(root, &jerr, 0,
                           "{s:o, s:o, s:o, s:s, s:o, s:{s:s, s?b !}, s:b, s?o, s?o, s?o !}", "v",
                           &ign, "id", &ign, "type", &ign, "site", &site, "account", &acct,
                           "verdict", "action", &action, "overridable", &overridable, "posted",
                           &posted, "findings", &findings, "override_justification", &just, "text",
                           &text) < 0) {
                snprintf(msg, sizeof msg, "post_attempt: %s", jerr.text);
                return error_reply(id, PW_NM_E_BAD_FIELDS, msg, ret, ret_len);
        }
        int k = unpack_account(acct, "post_attempt", &handle, &stable_id, msg, sizeof msg);
        if (k < 0)
                return error_reply(id, k == -EINVAL ? PW_NM_E_BAD_FIELDS : PW_NM_E_BAD_VALUE, msg,
                                   ret, ret_len);
        if ((just && !json_is_string(just) && !json_is_null(just)) ||
            (text && !json_is_string(text) && !json_is_null(text)) ||
            (findings && !json_is_array(findings)))
                return error_reply(id, PW_NM_E_BAD_FIELDS,
                                   "post_attempt: override_justification and text must be strings "
                                   "or null, findings an array",
                                   ret, ret_len);
        size_t i;
        json_t *f;
        json_array_foreach(findings, i, f) {
                const char *rule, *category, *excerpt = NULL, *faction = NULL;
                if (i >= 256 ||
                    json_unpack_ex(f, &jerr, 0, "{s:s, s:s, s?s, s?s !}", "rule", &rule, "category",
                                   &category, "excerpt", &excerpt, "action", &faction) < 0) {
                        snprintf(msg, sizeof msg, "post_attempt: findings[%zu]: %s", i,
                                 i >= 256 ? "more than 256 findings" : jerr.text);
                        return error_reply(id, PW_NM_E_BAD_FIELDS, msg, ret, ret_len);
                }
        }
        const char *justification = json_string_value(just);
        if (strcmp(action, "allow") && strcmp(action, "warn") && strcmp(action, "block"))
                return error_reply(id, PW_NM_E_BAD_VALUE,
                                   "post_attempt: verdict.action must be allow, warn or block", ret,
                                   ret_len);
        if (posted && !strcmp(action, "block") && (!justification || !justification[0]))
                return error_reply(id, PW_NM_E_BAD_VALUE,
                                   "post_attempt: posting over a block needs a justification", ret,
                                   ret_len);
        if (!site[0] || !short_enough(site, FIELD_MAX) ||
            !short_enough(justification, JUSTIFICATION_MAX))
                return error_reply(id, PW_NM_E_BAD_VALUE,
                                   "post_attempt: site or justification too long", ret, ret_len);

        json_t *r = envelope(id, "post_attempt");
        if (!r)
                return -ENOMEM;
        int bad = 0;
        if (h->standalone) {
                bad |= json_object_set_new(r, "recorded", json_false());
                bad |= json_object_set_new(r, "reason",
                                           json_string("standalone mode keeps no audit"));
        } else {
                json_t *req = json_deep_copy(root);
                json_t *srv = NULL;
                int code = req ? service_call(h, &(struct service_req){.msg = req}, &srv, msg,
                                              sizeof msg)
                               : PW_NM_E_INTERNAL;
                json_decref(req);
                if (code) {
                        json_decref(r);
                        return error_reply(id, code, msg, ret, ret_len);
                }
                json_t *rec = json_object_get(srv, "recorded");
                json_t *arc = json_object_get(srv, "archived");
                bad |= json_object_set_new(r, "recorded", json_boolean(json_is_true(rec)));
                bad |= json_object_set_new(r, "archived", json_boolean(json_is_true(arc)));
                json_decref(srv);
        }
        if (bad) {
                json_decref(r);
                return -ENOMEM;
        }
        return finish(r, ret, ret_len);
}

/* ---- dispatch -------------------------------------------------------------------------------- */

int pw_nm_host_handle(struct pw_nm_host *h, const char *msg, size_t len, char **ret_reply,
                      size_t *ret_len) {
        json_error_t jerr;
        char detail[300];

        if (!h || (!msg && len) || !ret_reply || !ret_len)
                return -EINVAL;
        json_t *root = json_loadb(msg, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
        if (!root) {
                int code = json_error_code(&jerr) == json_error_invalid_utf8 ? PW_NM_E_BAD_UTF8
                                                                             : PW_NM_E_BAD_JSON;
                snprintf(detail, sizeof detail, "line %d column %d: %s", jerr.line, jerr.column,
                         jerr.text);
                return error_reply(NULL, code, detail, ret_reply, ret_len);
        }
        if (!json_is_object(root)) {
                json_decref(root);
                return error_reply(NULL, PW_NM_E_NOT_OBJECT, "a message must be a JSON object",
                                   ret_reply, ret_len);
        }

        /* The id first, so that even a bad envelope is answered with it when it is usable. */
        json_t *id = json_object_get(root, "id");
        if (!(json_is_integer(id) ||
              (json_is_string(id) && json_string_length(id) <= ID_STRING_MAX)))
                id = NULL;

        json_t *v = json_object_get(root, "v");
        json_t *type = json_object_get(root, "type");
        int k;
        if (!v || !id || !json_is_string(type) || !json_is_integer(v)) {
                k = error_reply(id, PW_NM_E_BAD_ENVELOPE,
                                "envelope: v (integer), id (integer or string of at most 128 "
                                "bytes) and type (string) are required",
                                ret_reply, ret_len);
        } else if (json_integer_value(v) != PW_NM_PROTOCOL_VERSION) {
                k = error_reply(id, PW_NM_E_BAD_VERSION, "envelope: this host speaks v 1",
                                ret_reply, ret_len);
        } else {
                const char *t = json_string_value(type);
                if (!strcmp(t, "hello"))
                        k = do_hello(h, root, id, ret_reply, ret_len);
                else if (!strcmp(t, "check"))
                        k = do_check(h, msg, len, root, id, ret_reply, ret_len);
                else if (!strcmp(t, "account"))
                        k = do_account(h, root, id, ret_reply, ret_len);
                else if (!strcmp(t, "post_attempt"))
                        k = do_post_attempt(h, root, id, ret_reply, ret_len);
                else if (!strcmp(t, "site_problem"))
                        k = do_site_problem(h, root, id, ret_reply, ret_len);
                else
                        k = error_reply(id, PW_NM_E_UNKNOWN_TYPE,
                                        "type must be hello, check, account, post_attempt or "
                                        "site_problem",
                                        ret_reply, ret_len);
        }
        if (k == -EMSGSIZE)
                k = error_reply(id, PW_NM_E_INTERNAL, "the reply would not fit in a frame",
                                ret_reply, ret_len);
        json_decref(root);
        return k;
}

int pw_nm_serve(struct pw_nm_host *h, struct pw_nm_reader *r, int out_fd) {
        for (;;) {
                const char *buf = NULL;
                size_t len = 0;
                char *reply = NULL, detail[160];
                size_t reply_len = 0;
                int k = pw_nm_reader_next(r, &buf, &len), w;
                switch (k) {
                case 0:
                        return 0;
                case 1:
                        w = pw_nm_host_handle(h, buf, len, &reply, &reply_len);
                        break;
                case -EMSGSIZE:
                        snprintf(detail, sizeof detail,
                                 "frame of %zu bytes is over the host's limit of %u bytes", len,
                                 PW_NM_FRAME_MAX);
                        w = error_reply(NULL, PW_NM_E_FRAME_TOO_LARGE, detail, &reply, &reply_len);
                        break;
                case -ENODATA:
                        w = error_reply(NULL, PW_NM_E_FRAME_EMPTY, "frame of length 0", &reply,
                                        &reply_len);
                        break;
                case -EPIPE:
                        w = error_reply(NULL, PW_NM_E_FRAME_TRUNCATED, "input ended inside a frame",
                                        &reply, &reply_len);
                        break;
                case -ENOMEM:
                        w = error_reply(NULL, PW_NM_E_INTERNAL, "out of memory", &reply,
                                        &reply_len);
                        break;
                default:
                        return k;
                }
                if (w < 0)
                        return w;
                w = pw_nm_write_frame(out_fd, reply, reply_len);
                pw_nm_reply_free(reply, reply_len);
                if (w < 0)
                        return w;
        }
}

/* ---- life cycle ------------------------------------------------------------------------------ */

/* Looks up our login name and group names (for hello and the policy's group rules). */
static int load_identity(struct pw_nm_host *h) {
        struct passwd pw, *pwp = NULL;
        char buf[4096];
        if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &pwp) == 0 && pwp) {
                h->user = strdup(pw.pw_name);
                if (!h->user)
                        return -ENOMEM;
        }
        gid_t gids[MAX_GROUPS];
        int n = getgroups(MAX_GROUPS, gids);
        size_t out = 0;
        for (int i = 0; i < n && out < MAX_GROUPS; i++) {
                struct group gr, *grp = NULL;
                if (getgrgid_r(gids[i], &gr, buf, sizeof buf, &grp) == 0 && grp) {
                        h->groups[out] = strdup(gr.gr_name);
                        if (!h->groups[out])
                                return -ENOMEM;
                        out++;
                }
        }
        return 0;
}

int pw_nm_host_new(const struct pw_nm_host_options *o, struct pw_nm_host **ret,
                   struct pw_error *err) {
        if (!o || !ret || (o->policy_path && o->policy) || o->timeout_ms < 0)
                return -EINVAL;
        struct pw_nm_host *h = calloc(1, sizeof *h);
        if (!h)
                return -ENOMEM;
        h->standalone = o->policy_path || o->policy;
        h->timeout_ms = o->timeout_ms ? o->timeout_ms : PW_CLIENT_TIMEOUT_MS_DEFAULT;
        h->log_fd = o->log_fd > 0 ? o->log_fd : 0;
        int k = load_identity(h);
        if (k < 0)
                goto fail;
        k = -ENOMEM;
        if ((o->socket_path && !(h->socket_path = strdup(o->socket_path))) ||
            (o->caller && !(h->caller = strdup(o->caller))))
                goto fail;
        if (o->cache_entries != SIZE_MAX) {
                k = pw_nm_cache_new(o->cache_entries ? o->cache_entries : CACHE_ENTRIES_DEFAULT,
                                    h->standalone ? 0 : RELAY_CACHE_TTL_MS, &h->cache);
                if (k < 0)
                        goto fail;
        }
        if (o->policy) {
                h->policy = o->policy;
        } else if (o->policy_path) {
                struct pw_error perr = {0};
                k = pw_policy_load(o->policy_path, o->cache_dir, 0, &h->owned, &perr);
                if (k == -ENOMEM)
                        goto fail;
                if (k < 0) {
                        pw_error_format(&perr, h->policy_error, sizeof h->policy_error);
                        if (!h->policy_error[0])
                                snprintf(h->policy_error, sizeof h->policy_error, "%s: %s",
                                         o->policy_path, strerror(-k));
                        if (err)
                                *err = perr;
                }
                h->policy = h->owned;
        }
        if (h->policy) {
                time_t t = time(NULL);
                struct tm tm;
                gmtime_r(&t, &tm);
                strftime(h->loaded_at, sizeof h->loaded_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
        }
        *ret = h;
        return 0;
fail:
        pw_nm_host_free(h);
        return k;
}

struct pw_nm_host *pw_nm_host_free(struct pw_nm_host *h) {
        if (!h)
                return NULL;
        pw_nm_cache_free(h->cache);
        pw_client_free(h->client);
        pw_policy_free(h->owned);
        free(h->socket_path);
        free(h->caller);
        free(h->user);
        for (size_t i = 0; h->groups[i]; i++)
                free(h->groups[i]);
        free(h);
        return NULL;
}
