/* postwardend internals shared by its parts: the event loops (loop.c), the writer thread
 * (writer.c), the open-session table and tie rules (tie.c), the policy holder (policy_holder in
 * main.c) and logging (log.c). Nothing here is a public API. */
#ifndef POSTWARDEN_DAEMON_SERVICE_H
#define POSTWARDEN_DAEMON_SERVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "msg.h"
#include "peer.h"
#include "postwarden/audit.h"
#include "postwarden/policy.h"

/* What the protocol accepts, the store keeps. */
_Static_assert(PW_SVC_MAX_JUSTIFY <= PW_AUDIT_JUSTIFICATION_MAX, "justification limits differ");
_Static_assert(PW_SVC_MAX_REASON <= PW_AUDIT_NOTE_MAX, "redaction reason limits differ");
_Static_assert(PW_SVC_MAX_EXCERPT <= PW_AUDIT_EXCERPT_MAX, "excerpt limits differ");

/* ---- logging (log.c) --------------------------------------------------------------------------
 */

/* stderr in --foreground mode, syslog otherwise; the daemon's only mutable globals. */
void pw_svc_log_init(bool foreground, bool debug);
void pw_svc_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- configuration ----------------------------------------------------------------------------
 */

struct pw_svc_config {
        const char *socket_path;     /* where to listen unless socket-activated */
        const char *db_path;         /* the audit database */
        const char *policy_path;     /* the policy file */
        const char *cache_dir;       /* compiled policy cache, or NULL */
        bool foreground;             /* log to stderr, stay in the foreground */
        bool debug;                  /* log debug lines */
        int threads;                 /* event-loop threads */
        int idle_timeout_ms;         /* close a connection idle this long */
        int frame_timeout_ms;        /* a started frame must be complete within this */
        int max_conns;               /* per service; more are accepted and closed at once */
        size_t queue_max;            /* audit events waiting for the writer before "busy" */
        int batch_max;               /* events per transaction at most */
        int head_every_events;       /* log the chain head every N committed events ... */
        int head_every_s;            /* ... or every N seconds when events were written */
        bool keep_personal_findings; /* --keep-personal-findings: keep them even when the policy
                                      * does not (widens the policy's setting, never narrows) */
        gid_t admin_gid;             /* the postwarden-admin group, or (gid_t)-1 */
        const char *syslog_socket;   /* the fleet log's socket (RFC 5424), NULL: the default */
};

/* ---- the fleet log (fleet.c) ------------------------------------------------------------------
 */

/* Committed events and chain heads as "@cee: {json}" syslog lines, sent by a thread of its own
 * from a bounded queue: emitting never blocks; what cannot be sent is dropped and counted. */
struct pw_svc_fleet;

struct pw_svc_fleet_stats {
        int64_t sent;    /* lines the socket took */
        int64_t dropped; /* lines lost: queue full, unencodable, or unsent at shutdown */
        size_t queued;   /* lines waiting */
};

/* Starts the sender for the datagram socket `socket_path` (e.g. /dev/log); `rfc5424` selects
 * RFC 5424 with structured data, else the classic format syslog(3) writes. The socket need not
 * exist yet (it is connected, and reconnected, on demand). */
int pw_svc_fleet_new(const char *socket_path, bool rfc5424, struct pw_svc_fleet **ret);
/* Sends what waits (for at most 2 s), stops the thread, logs the drop count; accepts NULL. */
struct pw_svc_fleet *pw_svc_fleet_free(struct pw_svc_fleet *f);
/* Queues `obj` (borrowed) as one line with `severity` (LOG_INFO, ...) at facility authpriv;
 * `msgid` and `seq` go into the RFC 5424 header. f may be NULL (no fleet log). */
void pw_svc_fleet_emit(struct pw_svc_fleet *f, int severity, const char *msgid, int64_t seq,
                       json_t *obj);
void pw_svc_fleet_stats(struct pw_svc_fleet *f, struct pw_svc_fleet_stats *ret);
/* This host's name as the lines carry it. */
const char *pw_svc_fleet_host(const struct pw_svc_fleet *f);
/* The JSON of an event line and of a chain-head line (docs/fleet.md); NULL on no memory. */
json_t *pw_svc_fleet_event_json(const struct pw_audit_feed_row *r, const char *host);
json_t *pw_svc_fleet_head_json(const struct pw_audit_head *h, int64_t time_us, const char *host);
/* `us` (UTC microseconds) as RFC 3339, e.g. "2026-12-04T10:40:16.123456Z". */
int pw_svc_fleet_time(int64_t us, char *buf, size_t size);

/* ---- sessions (tie.c) -------------------------------------------------------------------------
 */

/* The open login sessions, mirrored from the store (loaded at start, updated by the writer after
 * each commit) so that ties are computed without touching the database. */
struct pw_svc_sessions;

struct pw_svc_sessions *pw_svc_sessions_new(void);
struct pw_svc_sessions *pw_svc_sessions_free(struct pw_svc_sessions *s);
int pw_svc_sessions_add(struct pw_svc_sessions *s, int64_t id, int64_t uid, int64_t sessionid,
                        const char *xdg_session_id, const char *service);
void pw_svc_sessions_remove(struct pw_svc_sessions *s, int64_t id);
void pw_svc_sessions_clear(struct pw_svc_sessions *s);
size_t pw_svc_sessions_count(struct pw_svc_sessions *s);
/* The newest open session with audit session id `sessionid`, or 0. */
int64_t pw_svc_sessions_by_sessionid(struct pw_svc_sessions *s, int64_t sessionid);

#define PW_SVC_TIE_MAX 8 /* candidates kept for an ambiguous tie */

/* How a peer was tied to login sessions. */
struct pw_svc_tie {
        enum pw_audit_tie_rule rule; /* 0: no open session at all for the uid */
        size_t n;                    /* sessions in ids (1 unless ambiguous) */
        int64_t ids[PW_SVC_TIE_MAX]; /* session row ids */
};

/* What the service learnt about a peer's process tree, for tie rule 2. */
struct pw_svc_lineage {
        bool user_manager; /* a `systemd --user` of the peer's uid is an ancestor */
        char display[64];  /* sd_uid_get_display(): the uid's graphical session, or "" */
};

/* Looks at the peer's ancestors (/proc) and, with libsystemd, logind. */
void pw_svc_lineage_of(const struct pw_svc_peer *peer, struct pw_svc_lineage *ret);

/* Applies tie rules 1-4 (docs/service-protocol.md §7) to the peer. */
void pw_svc_tie(struct pw_svc_sessions *s, const struct pw_svc_peer *peer,
                const struct pw_svc_lineage *lin, struct pw_svc_tie *ret);

const char *pw_svc_tie_rule_name(enum pw_audit_tie_rule r);

/* ---- the writer thread (writer.c) -------------------------------------------------------------
 */

struct pw_svc_loop;
struct pw_svc_conn;

enum pw_svc_item_kind {
        PW_SVC_ITEM_SESSION_OPEN = 1,
        PW_SVC_ITEM_SESSION_CLOSE,
        PW_SVC_ITEM_ACCOUNT, /* a company account seen: account row + links */
        PW_SVC_ITEM_EVENT,   /* a post attempt, override or authorisation block */
        PW_SVC_ITEM_VERIFY,  /* admin: verify the chain */
        PW_SVC_ITEM_PURGE,   /* admin: delete events before a cutoff */
        PW_SVC_ITEM_REDACT,  /* admin: replace an event's archive with a tombstone */
};

/* One request for the writer. The loop thread fills it, the writer fills `reply` (or `err_code`
 * and `err_text`) and hands it back to the loop that owns `conn`. */
struct pw_svc_item {
        enum pw_svc_item_kind kind;        /* what to do */
        struct pw_svc_item *next;          /* queue link */
        struct pw_svc_loop *loop;          /* the loop owning conn */
        struct pw_svc_conn *conn;          /* where the reply goes (kept alive while pending) */
        json_t *req;                       /* the request (a reference; strings below borrow it) */
        json_t *id;                        /* the request id, borrowed from req */
        struct pw_svc_msg msg;             /* the validated request */
        struct pw_svc_peer peer;           /* who sent it */
        struct pw_svc_tie tie;             /* its login sessions */
        struct pw_audit_account acct;      /* ACCOUNT/EVENT: the acting account (site NULL: none) */
        struct pw_audit_event ev;          /* EVENT: the event, findings below */
        struct pw_audit_finding *findings; /* EVENT: owned array */
        json_t *reply_extra;               /* fields to add to the reply (owned), or NULL */
        char policy_id[80];                /* copied: the policy may be reloaded meanwhile */
        char policy_name[128];             /* the company account's name in the policy, copied */
        /* results, set by the writer */
        int err_code;          /* 0, or a PW_SVC_E_* */
        char err_text[200];    /* why, for the error reply */
        int64_t seq;           /* the event's sequence number (committed) */
        int64_t row_id;        /* session or account id */
        int64_t saved_session; /* the session id to mirror after commit */
        int64_t before_us;     /* PURGE: the cutoff (given, or now - the policy's retention) */
};

struct pw_svc_writer;

/* `fleet` (may be NULL) receives every committed event and the chain heads. */
int pw_svc_writer_new(struct pw_audit *store, struct pw_svc_sessions *sessions,
                      const struct pw_svc_config *cfg, struct pw_svc_fleet *fleet,
                      struct pw_svc_writer **ret);
/* Stops the thread after the queue is drained; frees. Accepts NULL; returns NULL. */
struct pw_svc_writer *pw_svc_writer_free(struct pw_svc_writer *w);
/* Queues `it` (ownership passes to the writer until it comes back through the loop). Returns 0
 * or -EBUSY when the queue is full. */
int pw_svc_writer_submit(struct pw_svc_writer *w, struct pw_svc_item *it);

struct pw_svc_stats {
        size_t queued;                   /* items waiting */
        int64_t committed;               /* events committed since start */
        int64_t batches;                 /* transactions committed since start */
        int64_t failures;                /* items refused by the store since start */
        struct pw_audit_head head;       /* the committed chain head */
        char last_error[200];            /* the store's last error, "" none */
        struct pw_svc_fleet_stats fleet; /* the fleet log's counters */
};
void pw_svc_writer_stats(struct pw_svc_writer *w, struct pw_svc_stats *ret);

/* ---- the loops (loop.c) -----------------------------------------------------------------------
 */

/* Hands a finished item back to its loop (called by the writer). */
void pw_svc_loop_complete(struct pw_svc_item *it);

/* Frees an item and what it owns. */
void pw_svc_item_free(struct pw_svc_item *it);

/* ---- the service ------------------------------------------------------------------------------
 */

/* The policy in force; replaced whole on reload. Readers hold `lock` for reading during a check. */
struct pw_svc_policy {
        pthread_rwlock_t lock; /* guards p, loaded_at */
        struct pw_policy *p;   /* NULL until one loads */
        int64_t loaded_at;     /* when p was loaded, seconds since the epoch */
};

struct pw_svc {
        struct pw_svc_config cfg;         /* options */
        int listen_fd;                    /* the listening socket */
        struct pw_svc_policy policy;      /* the policy */
        struct pw_svc_sessions *sessions; /* open sessions */
        struct pw_svc_writer *writer;     /* the single audit writer */
        struct pw_svc_fleet *fleet;       /* the fleet log, or NULL */
        struct pw_audit *store;           /* owned by the writer thread once it runs */
        int64_t started_at;               /* seconds since the epoch */
        int n_conns;                      /* open connections (atomic) */
        volatile int stop;                /* set by SIGTERM/SIGINT handling */
};

/* Runs cfg.threads event loops on svc->listen_fd until svc->stop; the calling thread handles
 * signals (SIGHUP reload, SIGTERM stop) through a signalfd. Returns 0 or -errno. */
int pw_svc_run(struct pw_svc *svc);

/* (Re)loads the policy; keeps the old one and logs why when the new one is broken. */
int pw_svc_policy_reload(struct pw_svc *svc);

#endif
