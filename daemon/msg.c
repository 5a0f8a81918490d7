/* Message validation for postwardend: see msg.h. One jansson spec per message type. */
#include "msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const err_names[] = {
        [PW_SVC_E_MALFORMED] = "malformed", [PW_SVC_E_TOO_LARGE] = "too_large",
        [PW_SVC_E_VERSION] = "version",     [PW_SVC_E_UNKNOWN_TYPE] = "unknown_type",
        [PW_SVC_E_INVALID] = "invalid",     [PW_SVC_E_FORBIDDEN] = "forbidden",
        [PW_SVC_E_NO_POLICY] = "no_policy", [PW_SVC_E_STORAGE] = "storage",
        [PW_SVC_E_BUSY] = "busy",           [PW_SVC_E_INTERNAL] = "internal",
        [PW_SVC_E_NOT_FOUND] = "not_found", [PW_SVC_E_CONFLICT] = "conflict",
};

const char *pw_svc_err_name(enum pw_svc_err code) {
        if ((unsigned)code < sizeof err_names / sizeof *err_names && err_names[code])
                return err_names[code];
        return "internal";
}

static const struct {
        const char *name;
        enum pw_svc_type type;
} types[] = {
        {"hello", PW_SVC_HELLO},
        {"check", PW_SVC_CHECK},
        {"account", PW_SVC_ACCOUNT},
        {"post_attempt", PW_SVC_POST_ATTEMPT},
        {"session_open", PW_SVC_SESSION_OPEN},
        {"session_close", PW_SVC_SESSION_CLOSE},
        {"status", PW_SVC_STATUS},
        {"verify", PW_SVC_VERIFY},
        {"purge", PW_SVC_PURGE},
        {"redact", PW_SVC_REDACT},
};

/* Records a jansson unpack failure in err; returns -PW_SVC_E_INVALID. */
static int unpack_failed(struct pw_error *err, const char *what, const json_error_t *je) {
        pw_error_set(err, NULL, 0, 0, NULL, "%s: %s", what, je->text);
        return -PW_SVC_E_INVALID;
}

/* Accepts a string of at most `max` bytes, null or absence (both give NULL). */
static int opt_str(json_t *v, const char *field, size_t max, const char **ret,
                   struct pw_error *err) {
        if (!v || json_is_null(v)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_string(v)) {
                pw_error_set(err, NULL, 0, 0, NULL, "field \"%s\" must be a string or null", field);
                return -PW_SVC_E_INVALID;
        }
        if (json_string_length(v) > max) {
                pw_error_set(err, NULL, 0, 0, NULL, "field \"%s\" is longer than %zu bytes", field,
                             max);
                return -PW_SVC_E_INVALID;
        }
        *ret = json_string_value(v);
        return 0;
}

/* Checks a required string's length. */
static int req_len(const char *s, const char *field, size_t max, struct pw_error *err) {
        if (strlen(s) > max) {
                pw_error_set(err, NULL, 0, 0, NULL, "field \"%s\" is longer than %zu bytes", field,
                             max);
                return -PW_SVC_E_INVALID;
        }
        if (!*s) {
                pw_error_set(err, NULL, 0, 0, NULL, "field \"%s\" must not be empty", field);
                return -PW_SVC_E_INVALID;
        }
        return 0;
}

/* Accepts a non-negative integer below 2^32, null or absence (both give -1). */
static int opt_u32(json_t *v, const char *field, int64_t *ret, struct pw_error *err) {
        if (!v || json_is_null(v)) {
                *ret = -1;
                return 0;
        }
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > UINT32_MAX) {
                pw_error_set(err, NULL, 0, 0, NULL,
                             "field \"%s\" must be an integer in 0..4294967295 or null", field);
                return -PW_SVC_E_INVALID;
        }
        /* 4294967295 is the kernel's "unset" for both loginuid and sessionid. */
        *ret = json_integer_value(v) == UINT32_MAX ? -1 : json_integer_value(v);
        return 0;
}

static int is_action(const char *a) {
        return !strcmp(a, "allow") || !strcmp(a, "warn") || !strcmp(a, "block");
}

static int parse_findings(json_t *arr, struct pw_svc_msg *m, struct pw_error *err) {
        if (!arr || json_is_null(arr))
                return 0;
        if (!json_is_array(arr)) {
                pw_error_set(err, NULL, 0, 0, NULL, "field \"findings\" must be an array");
                return -PW_SVC_E_INVALID;
        }
        size_t n = json_array_size(arr);
        if (n > PW_SVC_MAX_FINDINGS) {
                pw_error_set(err, NULL, 0, 0, NULL, "more than %d findings", PW_SVC_MAX_FINDINGS);
                return -PW_SVC_E_INVALID;
        }
        if (n == 0)
                return 0;
        m->u.post.findings = calloc(n, sizeof *m->u.post.findings);
        if (!m->u.post.findings)
                return -PW_SVC_E_INTERNAL;
        for (size_t i = 0; i < n; i++) {
                struct pw_svc_finding *f = &m->u.post.findings[i];
                json_t *excerpt = NULL, *action = NULL;
                json_error_t je;
                if (json_unpack_ex(json_array_get(arr, i), &je, 0, "{s:s, s:s, s?o, s?o !}", "rule",
                                   &f->rule, "category", &f->category, "excerpt", &excerpt,
                                   "action", &action) < 0) {
                        pw_error_set(err, NULL, 0, 0, NULL, "findings[%zu]: %s", i, je.text);
                        return -PW_SVC_E_INVALID;
                }
                int r;
                if ((r = req_len(f->rule, "findings[].rule", PW_SVC_MAX_SHORT, err)) < 0 ||
                    (r = req_len(f->category, "findings[].category", PW_SVC_MAX_SHORT, err)) < 0 ||
                    (r = opt_str(excerpt, "findings[].excerpt", PW_SVC_MAX_EXCERPT, &f->excerpt,
                                 err)) < 0 ||
                    (r = opt_str(action, "findings[].action", 16, &f->action, err)) < 0)
                        return r;
                if (f->action && !is_action(f->action)) {
                        pw_error_set(err, NULL, 0, 0, NULL,
                                     "findings[%zu].action must be allow, warn or block", i);
                        return -PW_SVC_E_INVALID;
                }
                m->u.post.n_findings = i + 1;
        }
        return 0;
}

static int parse_body(json_t *root, struct pw_svc_msg *m, struct pw_error *err) {
        json_error_t je;
        json_int_t v;
        json_t *id;
        const char *type;
        int r = 0;
        switch (m->type) {
        case PW_SVC_HELLO: {
                json_t *client = NULL, *version = NULL;
                if (json_unpack_ex(root, &je, 0, "{s:I, s:o, s:s, s?o, s?o !}", "v", &v, "id", &id,
                                   "type", &type, "client", &client, "client_version",
                                   &version) < 0)
                        return unpack_failed(err, "hello", &je);
                if ((r = opt_str(client, "client", PW_SVC_MAX_SHORT, &m->u.hello.client, err)) <
                            0 ||
                    (r = opt_str(version, "client_version", PW_SVC_MAX_SHORT, &m->u.hello.version,
                                 err)) < 0)
                        return r;
                return 0;
        }
        case PW_SVC_CHECK: {
                json_t *site = NULL, *handle = NULL, *aid = NULL, *account = NULL;
                if (json_unpack_ex(root, &je, 0, "{s:I, s:o, s:s, s:s%, s?o, s?o, s?o, s?o !}", "v",
                                   &v, "id", &id, "type", &type, "text", &m->u.check.text,
                                   &m->u.check.text_len, "site", &site, "account_handle", &handle,
                                   "account_id", &aid, "account", &account) < 0)
                        return unpack_failed(err, "check", &je);
                /* The account as post_attempt and the extension give it: {handle, stable_id}. */
                if (account && (handle || aid)) {
                        pw_error_set(err, NULL, 0, 0, NULL,
                                     "check: give account or account_handle/account_id, not both");
                        return -PW_SVC_E_INVALID;
                }
                if (account && !json_is_null(account) &&
                    json_unpack_ex(account, &je, 0, "{s?o, s?o !}", "handle", &handle, "stable_id",
                                   &aid) < 0)
                        return unpack_failed(err, "check.account", &je);
                if ((r = opt_str(site, "site", PW_SVC_MAX_SHORT, &m->u.check.site, err)) < 0 ||
                    (r = opt_str(handle, account ? "account.handle" : "account_handle",
                                 PW_SVC_MAX_SHORT, &m->u.check.account_handle, err)) < 0 ||
                    (r = opt_str(aid, account ? "account.stable_id" : "account_id",
                                 PW_SVC_MAX_SHORT, &m->u.check.account_id, err)) < 0)
                        return r;
                return 0;
        }
        case PW_SVC_ACCOUNT: {
                json_t *sid = NULL, *dn = NULL;
                if (json_unpack_ex(root, &je, 0, "{s:I, s:o, s:s, s:s, s:s, s?o, s?o, s:s !}", "v",
                                   &v, "id", &id, "type", &type, "site", &m->u.account.site,
                                   "handle", &m->u.account.handle, "stable_id", &sid,
                                   "display_name", &dn, "detected_by",
                                   &m->u.account.detected_by) < 0)
                        return unpack_failed(err, "account", &je);
                if ((r = req_len(m->u.account.site, "site", PW_SVC_MAX_SHORT, err)) < 0 ||
                    (r = req_len(m->u.account.handle, "handle", PW_SVC_MAX_SHORT, err)) < 0 ||
                    (r = req_len(m->u.account.detected_by, "detected_by", PW_SVC_MAX_SHORT, err)) <
                            0 ||
                    (r = opt_str(sid, "stable_id", PW_SVC_MAX_SHORT, &m->u.account.stable_id,
                                 err)) < 0 ||
                    (r = opt_str(dn, "display_name", PW_SVC_MAX_SHORT, &m->u.account.display_name,
                                 err)) < 0)
                        return r;
                return 0;
        }
        case PW_SVC_POST_ATTEMPT: {
                json_t *account = NULL, *findings = NULL, *just = NULL, *text = NULL;
                int overridable = 0, posted = 0;
                if (json_unpack_ex(root, &je, 0,
                                   "{s:I, s:o, s:s, s:s, s:o, s:{s:s, s?b !}, s:b, s?o, s?o, "
                                   "s?o !}",
                                   "v", &v, "id", &id, "type", &type, "site", &m->u.post.site,
                                   "account", &account, "verdict", "action", &m->u.post.action,
                                   "overridable", &overridable, "posted", &posted, "findings",
                                   &findings, "override_justification", &just, "text", &text) < 0)
                        return unpack_failed(err, "post_attempt", &je);
                m->u.post.overridable = overridable;
                m->u.post.posted = posted;
                if ((r = req_len(m->u.post.site, "site", PW_SVC_MAX_SHORT, err)) < 0)
                        return r;
                if (!is_action(m->u.post.action)) {
                        pw_error_set(err, NULL, 0, 0, NULL,
                                     "verdict.action must be allow, warn or block");
                        return -PW_SVC_E_INVALID;
                }
                if (!json_is_null(account)) {
                        json_t *h = NULL, *s = NULL;
                        if (json_unpack_ex(account, &je, 0, "{s?o, s?o !}", "handle", &h,
                                           "stable_id", &s) < 0)
                                return unpack_failed(err, "post_attempt.account", &je);
                        if ((r = opt_str(h, "account.handle", PW_SVC_MAX_SHORT, &m->u.post.handle,
                                         err)) < 0 ||
                            (r = opt_str(s, "account.stable_id", PW_SVC_MAX_SHORT,
                                         &m->u.post.stable_id, err)) < 0)
                                return r;
                }
                if ((r = opt_str(just, "override_justification", PW_SVC_MAX_JUSTIFY,
                                 &m->u.post.justification, err)) < 0 ||
                    (r = opt_str(text, "text", PW_FRAME_TEXT_MAX, &m->u.post.text, err)) < 0)
                        return r;
                m->u.post.text_len = m->u.post.text ? json_string_length(text) : 0;
                return parse_findings(findings, m, err);
        }
        case PW_SVC_SESSION_OPEN: {
                json_t *tty = NULL, *rhost = NULL, *sid = NULL, *luid = NULL, *xdg = NULL;
                m->u.session_open.time = 0;
                if (json_unpack_ex(root, &je, 0,
                                   "{s:I, s:o, s:s, s:s, s:I, s:s, s?o, s?o, s?o, s?o, s?o, s?I !}",
                                   "v", &v, "id", &id, "type", &type, "user",
                                   &m->u.session_open.user, "uid", &m->u.session_open.uid,
                                   "service", &m->u.session_open.service, "tty", &tty, "rhost",
                                   &rhost, "sessionid", &sid, "loginuid", &luid, "xdg_session_id",
                                   &xdg, "time", &m->u.session_open.time) < 0)
                        return unpack_failed(err, "session_open", &je);
                if (m->u.session_open.uid < 0 || m->u.session_open.uid >= UINT32_MAX) {
                        pw_error_set(err, NULL, 0, 0, NULL, "field \"uid\" is out of range");
                        return -PW_SVC_E_INVALID;
                }
                if ((r = req_len(m->u.session_open.user, "user", PW_SVC_MAX_SHORT, err)) < 0 ||
                    (r = req_len(m->u.session_open.service, "service", PW_SVC_MAX_SHORT, err)) <
                            0 ||
                    (r = opt_str(tty, "tty", PW_SVC_MAX_SHORT, &m->u.session_open.tty, err)) < 0 ||
                    (r = opt_str(rhost, "rhost", PW_SVC_MAX_SHORT, &m->u.session_open.rhost, err)) <
                            0 ||
                    (r = opt_str(xdg, "xdg_session_id", PW_SVC_MAX_SHORT,
                                 &m->u.session_open.xdg_session_id, err)) < 0 ||
                    (r = opt_u32(sid, "sessionid", &m->u.session_open.sessionid, err)) < 0 ||
                    (r = opt_u32(luid, "loginuid", &m->u.session_open.loginuid, err)) < 0)
                        return r;
                return 0;
        }
        case PW_SVC_SESSION_CLOSE: {
                json_t *sid = NULL, *xdg = NULL;
                m->u.session_close.session = 0;
                m->u.session_close.time = 0;
                if (json_unpack_ex(root, &je, 0, "{s:I, s:o, s:s, s?I, s:s, s:s, s?o, s?o, s?I !}",
                                   "v", &v, "id", &id, "type", &type, "session",
                                   &m->u.session_close.session, "user", &m->u.session_close.user,
                                   "service", &m->u.session_close.service, "sessionid", &sid,
                                   "xdg_session_id", &xdg, "time", &m->u.session_close.time) < 0)
                        return unpack_failed(err, "session_close", &je);
                if ((r = req_len(m->u.session_close.user, "user", PW_SVC_MAX_SHORT, err)) < 0 ||
                    (r = req_len(m->u.session_close.service, "service", PW_SVC_MAX_SHORT, err)) <
                            0 ||
                    (r = opt_str(xdg, "xdg_session_id", PW_SVC_MAX_SHORT,
                                 &m->u.session_close.xdg_session_id, err)) < 0 ||
                    (r = opt_u32(sid, "sessionid", &m->u.session_close.sessionid, err)) < 0)
                        return r;
                return 0;
        }
        case PW_SVC_STATUS:
        case PW_SVC_VERIFY:
                if (json_unpack_ex(root, &je, 0, "{s:I, s:o, s:s !}", "v", &v, "id", &id, "type",
                                   &type) < 0)
                        return unpack_failed(err, m->type == PW_SVC_STATUS ? "status" : "verify",
                                             &je);
                return 0;
        case PW_SVC_PURGE: {
                json_t *before = NULL;
                if (json_unpack_ex(root, &je, 0, "{s:I, s:o, s:s, s?o !}", "v", &v, "id", &id,
                                   "type", &type, "before", &before) < 0)
                        return unpack_failed(err, "purge", &je);
                m->u.purge.has_before = before && !json_is_null(before);
                if (m->u.purge.has_before) {
                        if (!json_is_integer(before) || json_integer_value(before) <= 0) {
                                pw_error_set(err, NULL, 0, 0, NULL,
                                             "field \"before\" must be a positive integer (UTC "
                                             "microseconds since the epoch) or null");
                                return -PW_SVC_E_INVALID;
                        }
                        m->u.purge.before = json_integer_value(before);
                }
                return 0;
        }
        case PW_SVC_REDACT: {
                json_int_t seq = 0;
                if (json_unpack_ex(root, &je, 0, "{s:I, s:o, s:s, s:I, s:s !}", "v", &v, "id", &id,
                                   "type", &type, "seq", &seq, "reason", &m->u.redact.reason) < 0)
                        return unpack_failed(err, "redact", &je);
                if (seq <= 0) {
                        pw_error_set(err, NULL, 0, 0, NULL,
                                     "field \"seq\" must be a positive event number");
                        return -PW_SVC_E_INVALID;
                }
                m->u.redact.seq = seq;
                return req_len(m->u.redact.reason, "reason", PW_SVC_MAX_REASON, err);
        }
        }
        return -PW_SVC_E_UNKNOWN_TYPE;
}

int pw_svc_msg_parse(json_t *root, struct pw_svc_msg *ret, struct pw_error *err) {
        struct pw_svc_msg m = {0};
        json_error_t je;
        json_int_t v = 0;
        json_t *id = NULL;
        const char *type = NULL;

        if (!json_is_object(root)) {
                pw_error_set(err, NULL, 0, 0, NULL, "a message must be a JSON object");
                return -PW_SVC_E_MALFORMED;
        }
        /* The envelope first, leniently, so that errors can name the id. */
        id = json_object_get(root, "id");
        if (id &&
            (json_is_string(id) ? json_string_length(id) <= PW_SVC_MAX_SHORT : json_is_integer(id)))
                ret->id = id;
        else
                ret->id = NULL;
        if (json_unpack_ex(root, &je, 0, "{s:I, s:o, s:s}", "v", &v, "id", &id, "type", &type) < 0)
                return unpack_failed(err, "envelope", &je);
        if (v != PW_PROTOCOL_VERSION) {
                pw_error_set(err, NULL, 0, 0, NULL, "protocol version %lld is not supported (1 is)",
                             (long long)v);
                return -PW_SVC_E_VERSION;
        }
        if (!ret->id) {
                pw_error_set(err, NULL, 0, 0, NULL,
                             "field \"id\" must be an integer or a short string");
                return -PW_SVC_E_INVALID;
        }
        for (size_t i = 0; i < sizeof types / sizeof *types; i++)
                if (!strcmp(type, types[i].name))
                        m.type = types[i].type;
        if (!m.type) {
                pw_error_set(err, NULL, 0, 0, NULL, "unknown message type \"%.64s\"", type);
                return -PW_SVC_E_UNKNOWN_TYPE;
        }
        m.id = ret->id;
        int r = parse_body(root, &m, err);
        if (r < 0) {
                pw_svc_msg_done(&m);
                return r;
        }
        *ret = m;
        return 0;
}

void pw_svc_msg_done(struct pw_svc_msg *m) {
        if (m && m->type == PW_SVC_POST_ATTEMPT) {
                free(m->u.post.findings);
                m->u.post.findings = NULL;
                m->u.post.n_findings = 0;
        }
}
