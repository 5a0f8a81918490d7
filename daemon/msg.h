/* Message validation for postwardend (docs/service-protocol.md §2-§5).
 *
 * pw_svc_msg_parse() checks a decoded frame against the one jansson spec of its type, strictly
 * ("!": unknown keys are refused), and fills a struct whose strings are borrowed from the JSON
 * object. The service never looks at a field that did not pass through here. */
#ifndef POSTWARDEN_DAEMON_MSG_H
#define POSTWARDEN_DAEMON_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "frame.h"
#include "postwarden/error.h"

#define PW_PROTOCOL_VERSION 1

/* Numbered errors, stable across versions; docs/service-protocol.md §6 lists them. */
enum pw_svc_err {
        PW_SVC_E_MALFORMED = 1,    /* not a frame, not UTF-8 JSON, or not an object */
        PW_SVC_E_TOO_LARGE = 2,    /* frame length above the cap, or zero */
        PW_SVC_E_VERSION = 3,      /* "v" is not a version this service speaks */
        PW_SVC_E_UNKNOWN_TYPE = 4, /* "type" names no message */
        PW_SVC_E_INVALID = 5,      /* a field is missing, unknown, of the wrong type or too long */
        PW_SVC_E_FORBIDDEN = 6,    /* the peer's uid may not send this message */
        PW_SVC_E_NO_POLICY = 7,    /* no policy is loaded */
        PW_SVC_E_STORAGE = 8,      /* the audit store refused the write: NOT recorded */
        PW_SVC_E_BUSY = 9,         /* too many events queued; retry later */
        PW_SVC_E_INTERNAL = 10,    /* a bug or out of memory */
        PW_SVC_E_NOT_FOUND = 11,   /* e.g. session_close for a session that is not open */
        PW_SVC_E_CONFLICT = 12,    /* the audit's state forbids it, e.g. redact twice */
};

/* The name of an error code, e.g. "invalid"; "internal" for unknown codes. */
const char *pw_svc_err_name(enum pw_svc_err code);

enum pw_svc_type {
        PW_SVC_HELLO = 1,
        PW_SVC_CHECK,
        PW_SVC_ACCOUNT,
        PW_SVC_POST_ATTEMPT,
        PW_SVC_SESSION_OPEN,
        PW_SVC_SESSION_CLOSE,
        PW_SVC_STATUS,
        PW_SVC_VERIFY,
        PW_SVC_PURGE,
        PW_SVC_REDACT,
};

/* Limits on claimed fields, in bytes (text is bounded by the frame). */
#define PW_SVC_MAX_SHORT    256  /* site, handle, ids, user, service, tty, rhost, rule, ... */
#define PW_SVC_MAX_EXCERPT  128  /* a masked excerpt (PW_AUDIT_EXCERPT_MAX) */
#define PW_SVC_MAX_JUSTIFY  4096 /* an override justification (PW_AUDIT_JUSTIFICATION_MAX) */
#define PW_SVC_MAX_REASON   2000 /* a redaction reason (PW_AUDIT_NOTE_MAX) */
#define PW_SVC_MAX_FINDINGS 256  /* findings per post_attempt */
#define PW_FRAME_TEXT_MAX   PW_FRAME_MAX /* text is bounded by the frame */

/* One finding as the client reports it with a post attempt. */
struct pw_svc_finding {
        const char *rule;     /* the policy rule id */
        const char *category; /* e.g. "confidential" */
        const char *excerpt;  /* masked excerpt, or NULL */
        const char *action;   /* "allow" | "warn" | "block", or NULL */
};

/* A validated message; every pointer is borrowed from the JSON object it was parsed from. */
struct pw_svc_msg {
        enum pw_svc_type type; /* which member of the union below is set */
        json_t *id;            /* the request id (integer or string), borrowed */
        union {
                struct {
                        const char *client;  /* e.g. "postwarden-host", or NULL */
                        const char *version; /* the client's version, or NULL */
                } hello;
                struct {
                        const char *site;           /* or NULL */
                        const char *account_handle; /* or NULL */
                        const char *account_id;     /* or NULL */
                        const char *text;           /* UTF-8, length below */
                        size_t text_len;            /* bytes */
                } check;
                struct {
                        const char *site;         /* e.g. "x.com" */
                        const char *handle;       /* e.g. "@AcmeCorp" */
                        const char *stable_id;    /* or NULL */
                        const char *display_name; /* or NULL */
                        const char *detected_by;  /* how the extension found it, e.g. "dom" */
                } account;
                struct {
                        const char *site;          /* where the post was attempted */
                        const char *handle;        /* acting account's handle, or NULL */
                        const char *stable_id;     /* acting account's stable id, or NULL */
                        const char *action;        /* the client's verdict: allow|warn|block */
                        bool overridable;          /* the client's verdict said overridable */
                        bool posted;               /* the post went out (allowed or overridden) */
                        const char *justification; /* override justification, or NULL */
                        const char *text;          /* full text (company accounts only), or NULL */
                        size_t text_len;           /* bytes of text */
                        size_t n_findings;         /* entries in findings */
                        struct pw_svc_finding *findings; /* owned by the msg: pw_svc_msg_done() */
                } post;
                struct {
                        const char *user;           /* PAM_USER */
                        json_int_t uid;             /* its uid */
                        const char *service;        /* PAM_SERVICE */
                        const char *tty;            /* PAM_TTY, or NULL */
                        const char *rhost;          /* PAM_RHOST, or NULL */
                        int64_t sessionid;          /* audit session id, -1 when unset */
                        int64_t loginuid;           /* -1 when unset */
                        const char *xdg_session_id; /* XDG_SESSION_ID, or NULL */
                        json_int_t time;            /* seconds since the epoch, 0 when absent */
                } session_open;
                struct {
                        json_int_t session;         /* the id session_open returned, 0 if absent */
                        const char *user;           /* PAM_USER */
                        const char *service;        /* PAM_SERVICE */
                        int64_t sessionid;          /* -1 when unset */
                        const char *xdg_session_id; /* or NULL */
                        json_int_t time;            /* 0 when absent */
                } session_close;
                struct {
                        bool has_before; /* "before" was given */
                        int64_t before;  /* UTC microseconds, > 0 */
                } purge;
                struct {
                        int64_t seq;        /* the event to redact, > 0 */
                        const char *reason; /* why (e.g. the erasure request's reference) */
                } redact;
        } u;
};

/* Validates `root` (borrowed; must outlive *ret). On success returns 0; otherwise a negative
 * enum pw_svc_err (e.g. -PW_SVC_E_INVALID) with what and where in `err`; ret->id is set whenever
 * the envelope carried a usable id, so the error reply can name it. */
int pw_svc_msg_parse(json_t *root, struct pw_svc_msg *ret, struct pw_error *err);

/* Frees what pw_svc_msg_parse() allocated (findings); accepts a zeroed struct. */
void pw_svc_msg_done(struct pw_svc_msg *m);

#endif
