/* pam_postwarden.so: records each interactive login session with postwardend.
 *
 * On open_session the module sends the session's facts (user, uid, PAM service, tty, rhost,
 * the kernel's audit session id and loginuid, XDG_SESSION_ID, the time) to the service through
 * the client library; on close_session it says the session ended. Every exchange is bounded by
 * timeout_ms. The module fails open: if the service is absent, slow or answers an error, it
 * logs one line and lets the login go on, unless the admin wrote fail=closed.
 *
 * No mutable statics and no threads: everything lives on the stack of one PAM call, and what
 * must survive from open to close is kept with pam_set_data under "pam_postwarden:" keys.
 * Only the pam_sm_* entry points are exported (pam_postwarden.map). */
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <security/pam_modutil.h>

#include <postwarden/client.h>

#include "args.h"

/* pam_set_data key: the service's id for the session this handle opened (int64_t *). */
#define DATA_SESSION "pam_postwarden:session"

/* The kernel's value for "no audit session" / "loginuid never set" ((u32)-1). */
#define AUDIT_UNSET 4294967295ULL

/* Where the kernel keeps this process's audit ids. */
#define PROC_SESSIONID "/proc/self/sessionid"
#define PROC_LOGINUID  "/proc/self/loginuid"

/* ---- collecting the session's facts ---------------------------------------------------- */

/* What the module knows about the session; strings are borrowed from PAM. */
struct session_facts {
        const char *user;           /* PAM_USER */
        uid_t uid;                  /* the user's uid from NSS */
        const char *service;        /* PAM_SERVICE */
        const char *tty;            /* PAM_TTY, or NULL */
        const char *rhost;          /* PAM_RHOST, or NULL */
        const char *xdg_session_id; /* XDG_SESSION_ID from the PAM environment, or NULL */
        int64_t audit_session;      /* /proc/self/sessionid; -1 when unset or unreadable */
        int64_t loginuid;           /* /proc/self/loginuid; -1 when unset or unreadable */
        int64_t time;               /* seconds since the epoch, when the module ran */
};

/* Reads a kernel audit id (decimal u32, optional newline) from `path`.
 * Returns 0 and *ret (-1 for the unset value), or -errno (-EINVAL: not a number). */
static int read_audit_id(const char *path, int64_t *ret) {
        char buf[32];
        FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        errno = 0;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        int bad = ferror(f) ? (errno ? -errno : -EIO) : 0;
        fclose(f);
        if (bad)
                return bad;
        buf[n] = '\0';
        if (n > 0 && buf[n - 1] == '\n')
                buf[--n] = '\0';
        if (n == 0 || buf[0] < '0' || buf[0] > '9')
                return -EINVAL;
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(buf, &end, 10);
        if (errno != 0 || *end != '\0' || v > AUDIT_UNSET)
                return -EINVAL;
        *ret = v == AUDIT_UNSET ? -1 : (int64_t)v;
        return 0;
}

/* Returns the PAM string item `type`, or NULL when it is unset or empty. */
static const char *string_item(pam_handle_t *pamh, int type) {
        const void *v = NULL;
        if (pam_get_item(pamh, type, &v) != PAM_SUCCESS || !v || !*(const char *)v)
                return NULL;
        return v;
}

/* Fills *ret from PAM and /proc. Missing optional facts become NULL / -1 and, where an admin
 * should know, a log line (on open only: once per session is enough). Returns 0, or -ESRCH when
 * there is no user to record (PAM_USER unset or unknown to NSS), saying which in `detail`; *ret is
 * untouched on failure. */
static int collect(pam_handle_t *pamh, const struct pw_pam_args *args, bool opening,
                   struct session_facts *ret, char *detail, size_t detail_len) {
        struct session_facts f = {.audit_session = -1, .loginuid = -1};

        f.user = string_item(pamh, PAM_USER);
        if (!f.user) {
                snprintf(detail, detail_len, "PAM_USER is not set");
                return -ESRCH;
        }
        struct passwd *pw = pam_modutil_getpwnam(pamh, f.user);
        if (!pw) {
                snprintf(detail, detail_len, "user \"%s\" is unknown to NSS", f.user);
                return -ESRCH;
        }
        f.uid = pw->pw_uid;
        f.service = string_item(pamh, PAM_SERVICE);
        f.tty = string_item(pamh, PAM_TTY);
        f.rhost = string_item(pamh, PAM_RHOST);
        f.xdg_session_id = pam_getenv(pamh, "XDG_SESSION_ID");
        if (f.xdg_session_id && !*f.xdg_session_id)
                f.xdg_session_id = NULL;

        int r = read_audit_id(PROC_SESSIONID, &f.audit_session);
        if (r < 0 && opening) {
                errno = -r;
                pam_syslog(pamh, LOG_WARNING, "cannot read " PROC_SESSIONID ": %m");
        }
        r = read_audit_id(PROC_LOGINUID, &f.loginuid);
        if (r < 0 && opening) {
                errno = -r;
                pam_syslog(pamh, LOG_WARNING, "cannot read " PROC_LOGINUID ": %m");
        } else if (r == 0 && f.loginuid < 0 && opening) {
                pam_syslog(pamh, LOG_WARNING,
                           "loginuid is not set: pam_loginuid must run before pam_postwarden");
        }

        f.time = (int64_t)time(NULL);
        if (args->debug)
                pam_syslog(pamh, LOG_DEBUG,
                           "user=%s uid=%u service=%s tty=%s rhost=%s sessionid=%" PRId64
                           " loginuid=%" PRId64 " xdg_session_id=%s",
                           f.user, (unsigned)f.uid, f.service ? f.service : "-",
                           f.tty ? f.tty : "-", f.rhost ? f.rhost : "-", f.audit_session,
                           f.loginuid, f.xdg_session_id ? f.xdg_session_id : "-");
        *ret = f;
        return 0;
}

/* ---- talking to the service ---------------------------------------------------------- */

/* Milliseconds on the monotonic clock. */
static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sets `key` to the string `v` in `obj`, leaving it out when v is NULL. Returns 0 or -ENOMEM. */
static int put_str(json_t *obj, const char *key, const char *v) {
        if (!v)
                return 0;
        return json_object_set_new(obj, key, json_string(v)) < 0 ? -ENOMEM : 0;
}

/* Sets `key` to the integer `v` in `obj`, leaving it out when v < 0 (unset). Returns 0 or
 * -ENOMEM. */
static int put_int(json_t *obj, const char *key, int64_t v) {
        if (v < 0)
                return 0;
        return json_object_set_new(obj, key, json_integer((json_int_t)v)) < 0 ? -ENOMEM : 0;
}

/* Builds the request for `f` (docs/service-protocol.md): session_open when `opening`, else
 * session_close naming `session`, the service's id from the open (-1: not known). Unset facts
 * are left out rather than sent as null. Returns a new reference, or NULL when out of memory
 * (or when a string is not UTF-8, which jansson refuses). */
static json_t *build_request(bool opening, const struct session_facts *f, int64_t session) {
        json_t *req = json_object();
        int r = 0;
        if (!req)
                return NULL;
        r |= put_int(req, "v", 1);
        r |= put_int(req, "id", 1);
        r |= put_str(req, "type", opening ? "session_open" : "session_close");
        r |= put_int(req, "session", opening ? -1 : session);
        r |= put_str(req, "user", f->user);
        r |= put_int(req, "uid", opening ? (int64_t)f->uid : -1);
        r |= put_str(req, "service", f->service);
        r |= put_str(req, "tty", opening ? f->tty : NULL);
        r |= put_str(req, "rhost", opening ? f->rhost : NULL);
        r |= put_int(req, "sessionid", f->audit_session);
        r |= put_int(req, "loginuid", opening ? f->loginuid : -1);
        r |= put_str(req, "xdg_session_id", f->xdg_session_id);
        r |= put_int(req, "time", f->time);
        if (r < 0)
                return json_decref(req), NULL;
        return req;
}

/* Reads the service's answer to a request of `type` (docs/service-protocol.md: a reply
 * carries the request's type, an error reply has type "error" with code, error and message).
 * Returns 0 and *ret_session (the session's id, -1 when the answer carries none) when the
 * service accepted the request; -EBADMSG when it refused it, with its reason in `detail`;
 * -EPROTO when the answer is not a reply to this request. */
static int check_reply(json_t *reply, const char *type, int64_t *ret_session, char *detail,
                       size_t detail_len) {
        const char *got = json_string_value(json_object_get(reply, "type"));
        if (got && strcmp(got, "error") == 0) {
                const char *name = json_string_value(json_object_get(reply, "error"));
                const char *msg = json_string_value(json_object_get(reply, "message"));
                json_t *code = json_object_get(reply, "code");
                snprintf(detail, detail_len, "error %" JSON_INTEGER_FORMAT " %s: %s",
                         json_is_integer(code) ? json_integer_value(code) : 0, name ? name : "?",
                         msg ? msg : "?");
                return -EBADMSG;
        }
        if (!got || strcmp(got, type) != 0)
                return -EPROTO;
        json_t *s = json_object_get(reply, "session");
        *ret_session = json_is_integer(s) && json_integer_value(s) > 0
                               ? (int64_t)json_integer_value(s)
                               : -1;
        return 0;
}

/* Sends one request within args->timeout_ms (connect and answer together) and checks the
 * answer. Returns 0 and *ret_session, or -errno as from the client library and check_reply. */
static int exchange(const struct pw_pam_args *args, json_t *req, int64_t *ret_session, char *detail,
                    size_t detail_len) {
        int64_t deadline = now_ms() + args->timeout_ms;
        struct pw_client *c = NULL;
        json_t *reply = NULL;

        int r = pw_client_connect(args->socket_path, args->timeout_ms, &c);
        if (r < 0)
                return r;
        int64_t left = deadline - now_ms();
        if (left <= 0)
                r = -ETIMEDOUT;
        else
                r = pw_client_request(c, req, (int)left, &reply);
        pw_client_free(c);
        if (r < 0)
                return r;
        r = check_reply(reply, json_string_value(json_object_get(req, "type")), ret_session, detail,
                        detail_len);
        json_decref(reply);
        return r;
}

/* ---- the PAM side -------------------------------------------------------------------- */

/* pam_set_data cleanup for DATA_SESSION. */
static void free_data(pam_handle_t *pamh, void *data, int error_status) {
        free(data);
}

/* Logs an ignored option (pw_pam_args_complaint_fn). */
static void complain(void *userdata, const char *arg, const char *why) {
        pam_syslog((pam_handle_t *)userdata, LOG_ERR, "ignoring option \"%s\": %s", arg, why);
}

/* Turns a failure to record into the PAM answer: fail open unless fail=closed, with one log
 * line. `r` is the -errno of the failure, `detail` what is known beyond it ("" if nothing);
 * `what` names the step. */
static int not_recorded(pam_handle_t *pamh, const struct pw_pam_args *args, const char *what, int r,
                        const char *detail) {
        const char *why;
        switch (r) {
        case -ESRCH:
                why = "nothing to record it by";
                break;
        case -ENOENT:
        case -ECONNREFUSED:
                why = "service not running";
                break;
        case -ETIMEDOUT:
                why = "service did not answer in time";
                break;
        case -EBADMSG:
                why = "service refused the request";
                break;
        case -ENAMETOOLONG:
                why = "socket path too long";
                break;
        case -EPROTO:
                why = "service answered garbage";
                break;
        case -EINVAL:
        case -ENOMEM:
                why = "cannot build the request";
                break;
        default:
                why = "service unreachable";
                break;
        }
        int prio = args->fail_closed ? LOG_ERR : LOG_WARNING;
        const char *then = args->fail_closed ? "fail=closed: refusing" : "continuing";
        errno = -r;
        if (*detail)
                pam_syslog(pamh, prio, "%s not recorded (%s: %s), %s", what, why, detail, then);
        else
                pam_syslog(pamh, prio, "%s not recorded (%s: %m), %s", what, why, then);
        return args->fail_closed ? PAM_SESSION_ERR : PAM_SUCCESS;
}

/* The shared body of open and close: `opening` selects which. */
static int session(pam_handle_t *pamh, int argc, const char **argv, bool opening) {
        struct pw_pam_args args;
        pw_pam_args_parse(argc, argv, &args, complain, pamh);
        const char *what = opening ? "session open" : "session close";

        const char *service = string_item(pamh, PAM_SERVICE);
        if (pw_pam_args_skips(&args, service)) {
                if (args.debug)
                        pam_syslog(pamh, LOG_DEBUG, "service %s is in skip=: not recorded",
                                   service);
                return PAM_IGNORE;
        }

        char detail[200] = "";
        struct session_facts f;
        int r = collect(pamh, &args, opening, &f, detail, sizeof detail);
        if (r < 0)
                return not_recorded(pamh, &args, what, r, detail);

        int64_t known = -1;
        if (!opening) {
                const void *d = NULL;
                if (pam_get_data(pamh, DATA_SESSION, &d) == PAM_SUCCESS && d)
                        known = *(const int64_t *)d;
                /* The service closes by the open's id or by the audit session id: without
                 * either there is nothing it could match, so do not ask. */
                if (known < 0 && f.audit_session < 0) {
                        snprintf(detail, sizeof detail,
                                 "no session id from the open and no audit session id");
                        return not_recorded(pamh, &args, what, -ESRCH, detail);
                }
        }

        json_t *req = build_request(opening, &f, known);
        if (!req)
                return not_recorded(pamh, &args, what, -EINVAL, detail);
        int64_t session_id = -1;
        r = exchange(&args, req, &session_id, detail, sizeof detail);
        json_decref(req);
        if (r < 0)
                return not_recorded(pamh, &args, what, r, detail);

        if (opening && session_id >= 0) {
                int64_t *keep = malloc(sizeof(*keep));
                if (keep) {
                        *keep = session_id;
                        if (pam_set_data(pamh, DATA_SESSION, keep, free_data) != PAM_SUCCESS)
                                free(keep);
                }
        }
        if (args.debug)
                pam_syslog(pamh, LOG_DEBUG, "%s recorded (session %" PRId64 ")", what,
                           opening ? session_id : known);
        return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return session(pamh, argc, argv, true);
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return session(pamh, argc, argv, false);
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return PAM_IGNORE;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return PAM_IGNORE;
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return PAM_IGNORE;
}

PAM_EXTERN int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return PAM_IGNORE;
}
