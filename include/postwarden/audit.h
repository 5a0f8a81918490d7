/* libpostwarden-audit: the audit store, one SQLite file with a hash chain over its events.
 *
 * One `struct pw_audit` owns one `sqlite3 *`. postwardend opens it read-write from its single
 * writer thread and is the only writer; postwardenctl opens it read-only. A handle is used by one
 * thread at a time (it is not locked internally).
 *
 * Writes. Every mutating call either joins the transaction opened by pw_audit_begin() (the
 * writer's group commit: begin, append a batch, commit once = one fsync, then acknowledge the
 * whole batch) or, outside one, runs in a transaction of its own. Nothing written inside
 * pw_audit_begin() is durable, and no sequence number handed out is final, until
 * pw_audit_commit() returns 0; acknowledge exactly what a successful commit covered. A call that
 * fails inside a batch undoes only itself (a savepoint) and the batch may go on, unless SQLite
 * rolled the whole transaction back (disk full, I/O error): then every later call and the commit
 * fail with -EIO and nothing of the batch is stored.
 *
 * Sources. Every fact group carries where it came from (enum pw_audit_source): the kernel
 * (SO_PEERCRED, /proc), root's PAM module, the user's own client process, or postwardend itself
 * (verdicts, tie rules, receipt times). See docs/audit.md.
 *
 * Privacy. The store refuses what must never be kept: archive text is accepted only for a post
 * made as a company account; personal accounts' handles, stable ids and display names are
 * reduced to a keyed HMAC (or dropped); findings of personal posts are dropped unless the event
 * says the policy keeps them; finding excerpts must be short (already masked by the policy).
 *
 * Times are UTC microseconds since the Unix epoch (int64_t); 0 in an input means "now".
 * Integers that may be unknown use -1 for "unknown" and are stored as NULL.
 * Errors: -errno, with a sentence in the optional `struct pw_error`:
 *   -EROFS read-only file or handle, -EBADMSG corrupt database or broken chain, -ENOSPC/-EFBIG
 *   disk or file-size limit, -EBUSY locked, -ENOTSUP schema newer than this code, -ENOKEY no
 *   HMAC key, -EINVAL bad argument (named in the error), -ENOENT no such row, -ENOMEM. */
#ifndef POSTWARDEN_AUDIT_H
#define POSTWARDEN_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "postwarden/error.h"

#define PW_AUDIT_SCHEMA_VERSION 2   /* PRAGMA user_version this code creates and migrates to */
#define PW_AUDIT_HASH_SIZE      32  /* SHA-256 */
#define PW_AUDIT_EXCERPT_MAX    128 /* bytes of a finding's masked excerpt, at most */
#define PW_AUDIT_TEXT_MAX       (1 << 20) /* bytes of an archived post, at most */
#define PW_AUDIT_NOTE_MAX       2000      /* bytes of a redaction reason or note, at most */
/* Bytes of an override justification, at most: the service and host protocols' limit, so that
 * whatever they accept is stored (1000 characters typed in the page are at most 3000 bytes). */
#define PW_AUDIT_JUSTIFICATION_MAX 4096

struct pw_audit; /* opaque: one database connection and its prepared statements */

/* ---- opening -------------------------------------------------------------------------------- */

enum {
        PW_AUDIT_READONLY = 1 << 0,  /* open read-only: no migration, no writes (postwardenctl) */
        PW_AUDIT_NO_CREATE = 1 << 1, /* refuse to create a missing database file */
};

struct pw_audit_options {
        const char *path;     /* the database file (required) */
        const char *key_path; /* HMAC key file; NULL: "<path>.hmac-key" for writers, none for
                               * readers. A writer creates it (0600, 32 random bytes) if absent */
        unsigned flags;       /* PW_AUDIT_* above */
        int busy_timeout_ms;  /* SQLite busy timeout; 0: 5000 */
        int target_version;   /* migrate no further than this; 0: PW_AUDIT_SCHEMA_VERSION (tests) */
};

/* Opens (creating and migrating as needed, unless read-only) the store described by `opt`
 * (borrowed). Sets WAL, synchronous=FULL, foreign_keys, secure_delete and busy_timeout. Refuses a
 * database whose user_version is newer than PW_AUDIT_SCHEMA_VERSION (-ENOTSUP), a read-only
 * handle on a database that still needs migrating (-EROFS), a writable open of a file the
 * process cannot write (-EROFS), and a file that is not a database (-EBADMSG). On success *ret
 * is a handle the caller frees with pw_audit_free(); on failure *ret is untouched. */
int pw_audit_open(const struct pw_audit_options *opt, struct pw_audit **ret, struct pw_error *err);

/* Rolls back an open transaction, finalises every statement, closes the database and wipes the
 * HMAC key. Accepts NULL; returns NULL. */
struct pw_audit *pw_audit_free(struct pw_audit *a);

/* The schema version of the open database (PRAGMA user_version). */
int pw_audit_schema_version(struct pw_audit *a);

/* ---- sources and kinds ---------------------------------------------------------------------- */

enum pw_audit_source {
        PW_AUDIT_SRC_KERNEL = 1,  /* SO_PEERCRED uid/pid, /proc/PID/{sessionid,loginuid} */
        PW_AUDIT_SRC_PAM = 2,     /* root's PAM module */
        PW_AUDIT_SRC_CLIENT = 3,  /* claimed by the user's own process (browser, host) */
        PW_AUDIT_SRC_SERVICE = 4, /* derived by postwardend itself (verdict, tie rule, times) */
};

enum pw_audit_kind {
        PW_AUDIT_SESSION_OPEN = 1,  /* written by pw_audit_session_open() */
        PW_AUDIT_SESSION_CLOSE = 2, /* written by pw_audit_session_close() */
        PW_AUDIT_ACCOUNT_SEEN = 3,  /* written by pw_audit_account_seen() for a new account */
        PW_AUDIT_SESSION_LINK = 4,  /* written by pw_audit_link() for a new link */
        PW_AUDIT_POST_ATTEMPT = 5,  /* a submit attempt with its verdict and findings */
        PW_AUDIT_AUTH_BLOCK = 6,    /* acting as a company account the user may not use */
        PW_AUDIT_OVERRIDE = 7,      /* "post anyway" with a justification */
        PW_AUDIT_REDACTION = 8,     /* written by pw_audit_redact() */
        PW_AUDIT_PURGE = 9,         /* written by pw_audit_purge() */
};

/* "kernel", "pam", "client", "service"; NULL for an unknown value. */
const char *pw_audit_source_name(enum pw_audit_source s);
/* "session_open", "session_close", "account_seen", "session_link", "post_attempt",
 * "auth_block", "override", "redaction", "purge"; NULL for an unknown value. */
const char *pw_audit_kind_name(enum pw_audit_kind k);
/* The reverse of pw_audit_kind_name(); 0 for an unknown name. */
enum pw_audit_kind pw_audit_kind_from_name(const char *name);

/* ---- transactions (group commit) ------------------------------------------------------------ */

/* Opens a write transaction (BEGIN IMMEDIATE). -EBUSY if one is already open on this handle. */
int pw_audit_begin(struct pw_audit *a, struct pw_error *err);
/* Commits it: one fsync of the WAL. On failure the transaction is rolled back, the chain head
 * returns to the last committed one, and nothing of the batch may be acknowledged. */
int pw_audit_commit(struct pw_audit *a, struct pw_error *err);
/* Rolls back the open transaction (no-op without one). Always leaves the handle usable. */
int pw_audit_rollback(struct pw_audit *a);

/* ---- login sessions ------------------------------------------------------------------------- */

struct pw_audit_session {
        const char *user;           /* login name */
        int64_t uid;                /* -1: unknown */
        const char *service;        /* PAM service, e.g. "gdm-password", "sshd" */
        const char *tty;            /* PAM_TTY, or NULL */
        const char *rhost;          /* PAM_RHOST, or NULL */
        int64_t audit_sessionid;    /* /proc/self/sessionid; -1 or 4294967295: unset (NULL) */
        int64_t loginuid;           /* /proc/self/loginuid; -1 or 4294967295: unset (NULL) */
        const char *xdg_session_id; /* XDG_SESSION_ID, or NULL */
        const char *host;           /* the workstation's host name */
        int64_t opened_us;          /* 0: now */
        enum pw_audit_source src;   /* who stated the fields above: normally PW_AUDIT_SRC_PAM */
        int64_t peer_uid, peer_pid; /* the sender, from the kernel (SO_PEERCRED); -1: unknown */
};

/* Records an open session and its session_open event. *ret_session_id (may be NULL) receives
 * the session's row id, used in links and events. */
int pw_audit_session_open(struct pw_audit *a, const struct pw_audit_session *s,
                          int64_t *ret_session_id, int64_t *ret_seq, struct pw_error *err);

/* Closes session `session_id` at `closed_us` (0: now), as stated by `src`, and writes its
 * session_close event. -ENOENT: no such session; -EALREADY: it is already closed. */
int pw_audit_session_close(struct pw_audit *a, int64_t session_id, int64_t closed_us,
                           enum pw_audit_source src, int64_t peer_uid, int64_t peer_pid,
                           int64_t *ret_seq, struct pw_error *err);

/* The newest open session whose kernel audit session id is `audit_sessionid`, or -ENOENT. For
 * the PAM close message and tie rule 1. */
int pw_audit_session_find_by_sessionid(struct pw_audit *a, int64_t audit_sessionid,
                                       int64_t *ret_session_id, struct pw_error *err);

/* Fills `ids` (up to `max`) with the open sessions of `uid`, newest first; *ret_n is how many
 * there are in all (may exceed max). For tie rules 2 to 4. */
int pw_audit_sessions_open_for_uid(struct pw_audit *a, int64_t uid, int64_t *ids, size_t max,
                                   size_t *ret_n, struct pw_error *err);

/* ---- accounts acted as ---------------------------------------------------------------------- */

struct pw_audit_account {
        const char *site;         /* e.g. "x.com" (required) */
        const char *stable_id;    /* the site's stable id of the account, or NULL */
        const char *handle;       /* e.g. "@AcmeCorp", or NULL (one of stable_id/handle needed) */
        const char *display_name; /* or NULL; dropped for personal accounts */
        int company;              /* 1: a company account (stored in clear); 0: personal (HMAC) */
        const char *policy_name;  /* the company account's name in the policy, or NULL */
        enum pw_audit_source src; /* who claimed it: normally PW_AUDIT_SRC_CLIENT */
        int64_t seen_us;          /* 0: now */
};

/* Finds or creates the account row (keyed by site and stable id, else handle; personal ones by
 * their HMAC) and updates its last-seen time and, for company accounts, handle and display name.
 * A new account also gets an account_seen event. Personal accounts need the HMAC key (-ENOKEY).
 * *ret_account_id (may be NULL) receives the row id. */
int pw_audit_account_seen(struct pw_audit *a, const struct pw_audit_account *acct,
                          int64_t *ret_account_id, struct pw_error *err);

/* The id of the company account `handle_or_id` (matched against handle, case-insensitively,
 * and stable id) on `site` (NULL: any site; the newest match wins), or -ENOENT. */
int pw_audit_account_find(struct pw_audit *a, const char *site, const char *handle_or_id,
                          int64_t *ret_account_id, struct pw_error *err);

/* HMAC-SHA-256 of ("pw-handle-v1" NUL site NUL value) with the store's key, as 64 lowercase hex
 * digits and a NUL in ret_hex. -ENOKEY without a key. */
int pw_audit_hmac_handle(struct pw_audit *a, const char *site, const char *value,
                         char ret_hex[2 * PW_AUDIT_HASH_SIZE + 1], struct pw_error *err);

/* ---- session <-> account links -------------------------------------------------------------- */

enum pw_audit_tie_rule {
        PW_AUDIT_TIE_SESSIONID = 1, /* the peer's audit sessionid is a PAM session */
        PW_AUDIT_TIE_USER_MANAGER =
                2, /* via the uid's systemd --user manager -> graphical session */
        PW_AUDIT_TIE_ONLY_SESSION = 3, /* the uid's only open session */
        PW_AUDIT_TIE_AMBIGUOUS = 4,    /* one of several candidates: one link row per candidate */
};

/* Links session `session_id` and account `account_id` by `rule` (updating last_us when the link
 * exists; a new link also gets a session_link event). `seen_us` 0: now. */
int pw_audit_link(struct pw_audit *a, int64_t session_id, int64_t account_id,
                  enum pw_audit_tie_rule rule, int64_t seen_us, int64_t *ret_link_id,
                  struct pw_error *err);

/* ---- events --------------------------------------------------------------------------------- */

struct pw_audit_finding {
        const char *rule_id;  /* the policy rule */
        const char *category; /* e.g. "confidential", "iban" */
        const char *action;   /* "allow", "warn" or "block" */
        const char *excerpt;  /* masked excerpt (at most PW_AUDIT_EXCERPT_MAX bytes), or NULL */
        uint32_t byte_start, byte_end; /* span in the post, UTF-8 bytes */
        uint32_t u16_start, u16_end;   /* span in the post, UTF-16 units */
};

enum {
        PW_AUDIT_KEEP_PERSONAL_FINDINGS = 1 << 0, /* the policy keeps findings of personal posts */
};

struct pw_audit_event {
        enum pw_audit_kind kind;        /* POST_ATTEMPT, AUTH_BLOCK or OVERRIDE */
        int64_t time_us;                /* 0: now */
        int64_t peer_uid, peer_pid;     /* SO_PEERCRED; -1: unknown */
        int64_t peer_sessionid;         /* /proc/PID/sessionid; -1 or 4294967295: unset */
        enum pw_audit_source peer_src;  /* normally PW_AUDIT_SRC_KERNEL */
        int64_t session_id;             /* the tied session, or 0 */
        int64_t account_id;             /* the acting account (pw_audit_account_seen), or 0 */
        const char *site;               /* or NULL */
        enum pw_audit_source claim_src; /* who claimed site/account/text: normally CLIENT */
        const char *action;             /* verdict: "allow", "warn", "block", or NULL */
        const char *mode;               /* "personal", "business", "unknown", or NULL */
        int company_account;            /* 1: the acting account is the company's */
        int authorised;                 /* 1: the user may act as it (company accounts) */
        const char *policy_id;          /* pw_policy_id() of the policy applied, or NULL */
        const char *justification;      /* the override's justification, or NULL */
        const char *archive_text;       /* full post text: only mode "business" + company */
        size_t archive_len;             /* bytes of archive_text */
        const struct pw_audit_finding *findings; /* borrowed array, or NULL */
        size_t n_findings;                       /* entries in findings */
        unsigned flags;                          /* PW_AUDIT_KEEP_PERSONAL_FINDINGS */
        enum pw_audit_source verdict_src;        /* who stated action and findings: SERVICE when
                                                  * postwardend computed them, CLIENT when the client
                                                  * reported them; 0: not recorded */
};

/* Appends `ev` (borrowed) with its findings and archive text to the chain. *ret_seq (may be
 * NULL) receives its sequence number (final once committed). -EINVAL names the refused field
 * (e.g. archive text for a personal post, an over-long excerpt, an unknown action). */
int pw_audit_append(struct pw_audit *a, const struct pw_audit_event *ev, int64_t *ret_seq,
                    struct pw_error *err);

/* ---- the chain ------------------------------------------------------------------------------ */

struct pw_audit_head {
        int64_t seq;                          /* the last committed event, 0: empty chain */
        uint8_t hash[PW_AUDIT_HASH_SIZE];     /* its hash (all zero for an empty chain) */
        char hex[2 * PW_AUDIT_HASH_SIZE + 1]; /* the hash in lowercase hex */
};

/* The committed chain head, for the service to log (syslog) every N events or minutes. */
int pw_audit_head(struct pw_audit *a, struct pw_audit_head *ret);

/* Stores the committed head in the checkpoint table (kind "head"), when it was logged. */
int pw_audit_record_head(struct pw_audit *a, struct pw_error *err);

struct pw_audit_verify_result {
        int64_t rows;              /* events checked */
        int64_t first_seq;         /* first event checked (after the newest purge checkpoint) */
        struct pw_audit_head head; /* the head reached (last good row) */
        int64_t bad_seq;           /* first broken event; 0 when it verifies or bad_table is set */
        char reason[160];          /* why it is broken, "" when it verifies */
        char bad_table[24];        /* a sessions/accounts/session_accounts row no event records */
        int64_t bad_row;           /* its id (0 when none) */
};

/* Walks the chain from the newest purge checkpoint (or the start), recomputing each row's
 * metadata and content hashes (content from the archive and findings, or the kept content hash
 * of a redacted row) and the session/account/link facts the chain vouches for, and looks for
 * session, account and link rows no event records (newer than the last purge). `expected`
 * (may be NULL) are heads logged outside the database: each must be on the chain, else the
 * database was truncated or rewritten. Returns 0 when everything verifies, -EBADMSG with
 * bad_seq and reason when not, another -errno when the database cannot be read. *ret is filled
 * in both of the first two cases. */
int pw_audit_verify(struct pw_audit *a, const struct pw_audit_head *expected, size_t n_expected,
                    struct pw_audit_verify_result *ret, struct pw_error *err);

/* Replaces event `seq`'s archived text and findings with a tombstone (the row keeps its content
 * hash, so the chain still verifies) and appends a redaction event naming `seq` and `reason`.
 * Deleted bytes are zeroed in the file (secure_delete) and the WAL is checkpointed and
 * truncated. -ENOENT: no such event; -EALREADY: already redacted. Not inside pw_audit_begin(). */
int pw_audit_redact(struct pw_audit *a, int64_t seq, const char *reason, int64_t *ret_seq,
                    struct pw_error *err);

struct pw_audit_purge_result {
        int64_t checkpoint_seq;   /* the last purged event (the chain resumes after it), 0: none */
        int64_t events_removed;   /* events deleted */
        int64_t sessions_removed; /* sessions closed before the cutoff and no longer referenced */
        int64_t accounts_removed; /* accounts no longer referenced */
};

/* Deletes the oldest events up to (not including) the first one at or after `before_us`, with
 * their findings and archive, then sessions closed before `before_us` and accounts no longer
 * referenced; writes a purge checkpoint (seq, hash of the last deleted event) so the remaining
 * chain verifies, and a purge event. Not inside pw_audit_begin(). */
int pw_audit_purge(struct pw_audit *a, int64_t before_us, struct pw_audit_purge_result *ret,
                   struct pw_error *err);

/* ---- queries (postwardenctl audit ...) ------------------------------------------------------ */

struct pw_audit_session_row {
        int64_t id;                                                       /* sessions.id */
        const char *user, *service, *tty, *rhost, *xdg_session_id, *host; /* NULL when unset */
        int64_t uid, audit_sessionid, loginuid;                           /* -1 when unset */
        int64_t opened_us, closed_us; /* closed_us 0: still open */
        enum pw_audit_source src;     /* who stated the session's fields */
        int64_t account_id; /* the link that matched the filter, 0 without account filter */
        enum pw_audit_tie_rule rule; /* its tie rule, 0 without account filter */
};

struct pw_audit_session_filter {
        int64_t account_id; /* sessions linked to this account, 0: any */
        const char *user;   /* this login name, NULL: any */
        int64_t since_us;   /* sessions still open at or after this time, 0: no bound */
        int64_t until_us;   /* sessions opened before this time, 0: no bound */
        size_t limit;       /* at most this many rows, 0: no limit */
        int open_only;      /* 1: only sessions not yet closed */
};

/* Calls `cb` for each session matching `f` (NULL: all), newest first. Strings in the row are
 * borrowed for the call only. A non-zero return from cb stops the walk and is returned. cb must
 * not run another query of the same kind on the same handle (it would reset this one). */
typedef int (*pw_audit_session_cb)(const struct pw_audit_session_row *row, void *userdata);
int pw_audit_query_sessions(struct pw_audit *a, const struct pw_audit_session_filter *f,
                            pw_audit_session_cb cb, void *userdata, struct pw_error *err);

struct pw_audit_event_row {
        int64_t seq;                                /* position in the chain */
        enum pw_audit_kind kind;                    /* what happened */
        int64_t time_us;                            /* when, UTC */
        int64_t peer_uid, peer_pid, peer_sessionid; /* -1 when unset */
        enum pw_audit_source peer_src, claim_src;   /* 0 when unset */
        int64_t session_id, account_id, target_seq; /* 0 when unset */
        const char *site, *action, *mode, *policy_id, *justification, *note; /* or NULL */
        int company_account, authorised; /* as in struct pw_audit_event */
        int n_findings;                  /* findings stored with it */
        int archived; /* 1: full text in the archive; 2: redacted to a tombstone */
        enum pw_audit_source verdict_src; /* 0 when unset */
};

struct pw_audit_event_filter {
        int64_t since_us;        /* events at or after this time, 0: no bound */
        int64_t until_us;        /* events before this time, 0: no bound */
        int64_t account_id;      /* 0: any */
        int64_t session_id;      /* 0: any */
        int by_uid;              /* 1: only events whose peer uid is peer_uid */
        int64_t peer_uid;        /* the uid, used with by_uid (0 is root) */
        enum pw_audit_kind kind; /* 0: any */
        size_t limit;            /* 0: no limit */
};

/* Calls `cb` for each event matching `f` (NULL: all) in time order. As pw_audit_query_sessions. */
typedef int (*pw_audit_event_cb)(const struct pw_audit_event_row *row, void *userdata);
int pw_audit_query_events(struct pw_audit *a, const struct pw_audit_event_filter *f,
                          pw_audit_event_cb cb, void *userdata, struct pw_error *err);

struct pw_audit_account_row {
        int64_t id;               /* accounts.id */
        const char *site;         /* e.g. "x.com" */
        int company;              /* 1: company account; 0: personal (HMAC only) */
        const char *stable_id;    /* company accounts: the site's id, or NULL */
        const char *handle;       /* company accounts: e.g. "@AcmeCorp", or NULL */
        const char *display_name; /* company accounts, or NULL */
        const char *policy_name;  /* the company account's name in the policy, or NULL */
        const char *handle_hmac;  /* personal accounts: HMAC of the handle (hex), or NULL */
        enum pw_audit_source src; /* who claimed it */
        int64_t first_seen_us;    /* when it was first seen */
        int64_t last_seen_us;     /* when it was last seen */
        int64_t n_sessions;       /* login sessions linked to it */
};

enum {
        PW_AUDIT_ACCOUNTS_ANY = 0,      /* company and personal accounts */
        PW_AUDIT_ACCOUNTS_COMPANY = 1,  /* company accounts only */
        PW_AUDIT_ACCOUNTS_PERSONAL = 2, /* personal accounts only */
};

struct pw_audit_account_filter {
        int64_t account_id; /* this account, 0: any */
        const char *site;   /* on this site, NULL: any */
        const char *name;   /* handle (case-insensitive, with or without a leading "@"), stable
                             * id, or the policy's name of the account; NULL: any */
        int which;          /* PW_AUDIT_ACCOUNTS_* */
        int64_t session_id; /* linked to this login session, 0: any */
        size_t limit;       /* at most this many rows, 0: no limit */
        int no_counts;      /* 1: leave n_sessions 0 (skips counting each account's links) */
};

/* Calls `cb` for each account matching `f` (NULL: all): company accounts first, then by site and
 * handle. As pw_audit_query_sessions. */
typedef int (*pw_audit_account_cb)(const struct pw_audit_account_row *row, void *userdata);
int pw_audit_query_accounts(struct pw_audit *a, const struct pw_audit_account_filter *f,
                            pw_audit_account_cb cb, void *userdata, struct pw_error *err);

struct pw_audit_link_row {
        int64_t id;                  /* session_accounts.id */
        int64_t session_id;          /* the login session */
        int64_t account_id;          /* the account acted as */
        enum pw_audit_tie_rule rule; /* how postwardend tied them */
        enum pw_audit_source src;    /* who stated the link (the service) */
        int64_t first_us, last_us;   /* first and last time it was seen */
};

struct pw_audit_link_filter {
        int64_t session_id; /* links of this session, 0: any */
        int64_t account_id; /* links of this account, 0: any */
};

/* Calls `cb` for each session-account link matching `f` (NULL: all), by session, account and
 * rule. As pw_audit_query_sessions. */
typedef int (*pw_audit_link_cb)(const struct pw_audit_link_row *row, void *userdata);
int pw_audit_query_links(struct pw_audit *a, const struct pw_audit_link_filter *f,
                         pw_audit_link_cb cb, void *userdata, struct pw_error *err);

/* The archived text of event `seq` into *ret_text (malloc'd, NUL-terminated, caller frees) and
 * its length. -ENOENT: nothing archived; -ENODATA: redacted. */
int pw_audit_archive_text(struct pw_audit *a, int64_t seq, char **ret_text, size_t *ret_len,
                          struct pw_error *err);

/* ---- the fleet feed (postwardend's syslog lines; audit/feed.c) ------------------------------ */

struct pw_audit_feed_finding {
        const char *rule_id;  /* the policy rule */
        const char *category; /* e.g. "confidential" (never the excerpt) */
};

/* One committed event with the facts the fleet log carries, each with its source. Strings are
 * borrowed for the callback only; NULL when unset. */
struct pw_audit_feed_row {
        int64_t seq;                                /* position in the chain */
        enum pw_audit_kind kind;                    /* what happened */
        int64_t time_us;                            /* when, UTC */
        char hash_hex[2 * PW_AUDIT_HASH_SIZE + 1];  /* this event's chain hash */
        int64_t peer_uid, peer_pid, peer_sessionid; /* the sender; -1 when unset */
        enum pw_audit_source peer_src;              /* normally kernel; 0 when unset */
        int64_t session_id;                         /* the linked session, 0: none */
        const char *session_user, *session_tty, *session_rhost, *session_host; /* its facts */
        int64_t session_uid;                   /* its uid, -1 when unset */
        enum pw_audit_source session_src;      /* who stated them (normally pam) */
        int64_t account_id;                    /* the acting account, 0: none */
        const char *account_site;              /* its site */
        int account_company;                   /* 1: a company account */
        const char *account_handle;            /* company accounts only: the handle */
        const char *account_hmac;              /* personal accounts: the handle's HMAC, or NULL */
        const char *account_policy_name;       /* company accounts: the policy's name for it */
        enum pw_audit_source account_src;      /* who claimed the account (normally client) */
        int64_t link_id;                       /* session_link events: the link, 0: none */
        enum pw_audit_tie_rule link_rule;      /* its tie rule, 0: none */
        const char *site, *action, *mode;      /* the event's claim and verdict */
        enum pw_audit_source claim_src;        /* who claimed site and account */
        enum pw_audit_source verdict_src;      /* who stated action and findings */
        int company_account, authorised;       /* as in struct pw_audit_event */
        const char *policy_id, *justification; /* or NULL */
        int64_t target_seq;                    /* redaction/purge: the event concerned, 0 */
        const char *note;                      /* redaction reason or purge note, or NULL */
        const struct pw_audit_feed_finding *findings; /* rule and category only */
        size_t n_findings;                            /* entries in findings */
};

/* Calls `cb` for each committed event with seq > `after_seq`, in chain order, at most `limit`
 * (0: no limit). Meant for a handle outside pw_audit_begin() (inside one it would also show
 * uncommitted appends). Never returns archived text or finding excerpts. A non-zero return from
 * cb stops the walk and is returned. */
typedef int (*pw_audit_feed_cb)(const struct pw_audit_feed_row *row, void *userdata);
int pw_audit_feed(struct pw_audit *a, int64_t after_seq, size_t limit, pw_audit_feed_cb cb,
                  void *userdata, struct pw_error *err);

/* ---- report (postwardenctl audit report) ---------------------------------------------------- */

/* One period's summary for an auditor: counts, a timeline, top rules and categories, the company
 * accounts with the sessions that acted as them, the latest overrides and refused company-account
 * uses, and the store's retention state. The chain is not part of it: run pw_audit_verify() on the
 * whole store beside it (on a second handle it can run in another thread meanwhile). Lists are
 * capped (the caps below), each with the full count beside it, so a report of a million events
 * stays small. Everything in it is owned by the struct pw_audit_report and freed with
 * pw_audit_report_free(). */

struct pw_audit_report_options {
        int64_t since_us, until_us; /* the period [since, until); 0: unbounded */
        const int64_t *edges;       /* timeline bucket boundaries, ascending (n_buckets + 1 of
                                     * them; the caller picks them, e.g. local midnights); NULL:
                                     * no timeline */
        size_t n_buckets;           /* buckets between the edges, at most 10000 */
        size_t max_accounts;        /* company accounts listed; 0: 50 */
        size_t max_links;           /* sessions listed per company account; 0: 20 */
        size_t max_items;           /* overrides, refused uses listed; 0: 50 */
        size_t max_top;             /* rules, categories, sites, policies, hosts listed; 0: 15 */
};

struct pw_audit_report_tally {
        int64_t posts;       /* post_attempt events (any verdict) */
        int64_t blocked;     /* post_attempt events with verdict "block" (not posted) */
        int64_t warned;      /* post_attempt events with verdict "warn" */
        int64_t overrides;   /* override events ("post anyway" with a justification) */
        int64_t auth_blocks; /* auth_block events (company account the user may not use) */
};

struct pw_audit_report_count {
        char *name;                /* rule id, category, site, policy id or host; NULL:
                                    * not recorded */
        char *extra;               /* rules: the category; otherwise NULL */
        int64_t n;                 /* findings (rules, categories) or events (the rest) */
        int64_t events;            /* distinct events (rules, categories); = n otherwise */
        int64_t overridden;        /* of those, override events */
        int64_t first_us, last_us; /* policies: first and last use in the period */
};

struct pw_audit_report_bucket {
        int64_t start_us;                   /* the bucket's first microsecond (its edge) */
        struct pw_audit_report_tally tally; /* events in [edge, next edge) */
};

struct pw_audit_report_link {
        int64_t session_id;                        /* sessions.id */
        char *user, *host, *tty, *rhost, *service; /* the login session (NULL: not recorded) */
        int64_t uid;                               /* -1: unknown */
        int64_t opened_us, closed_us;              /* closed_us 0: still open */
        enum pw_audit_source src;                  /* who stated the session (normally pam) */
        enum pw_audit_tie_rule rule;               /* how postwardend tied it to the account */
        int64_t first_us, last_us;                 /* first and last use of the account in it */
        struct pw_audit_report_tally tally;        /* events in the period tied to this session */
};

struct pw_audit_report_account {
        int64_t id;                                                   /* accounts.id */
        char *site, *handle, *display_name, *policy_name, *stable_id; /* NULL: not recorded */
        struct pw_audit_report_tally tally;                           /* its events in the period */
        int64_t untied;                     /* of those, without one session (no or
                                             * several candidate sessions) */
        size_t n_links_total;               /* sessions that used it in the period */
        struct pw_audit_report_link *links; /* the latest max_links of them */
        size_t n_links;                     /* entries in links */
};

struct pw_audit_report_item {
        int64_t seq, time_us;       /* the event */
        enum pw_audit_kind kind;    /* OVERRIDE or AUTH_BLOCK */
        char *site, *action, *mode; /* as recorded (NULL: not recorded) */
        char *user, *host;          /* of its session; NULL when not tied to one session */
        int64_t peer_uid;           /* the kernel's uid of the sender; -1: unknown */
        int company;                /* 1: acted as a company account */
        char *handle;               /* the company account's handle (NULL for personal ones) */
        char *rules;                /* rule ids of its findings, space-separated, or NULL */
        char *justification;        /* the employee's reason (overrides), or NULL */
        int redacted;               /* 1: its content was redacted */
};

struct pw_audit_report {
        int64_t since_us, until_us;            /* the period as asked (0: unbounded) */
        int64_t first_us, last_us;             /* first and last event in it (0: none) */
        int64_t events;                        /* events in the period, all kinds */
        int64_t by_kind[PW_AUDIT_PURGE + 1];   /* events in the period per enum pw_audit_kind */
        struct pw_audit_report_tally tally;    /* the period's totals */
        int64_t company_posts, personal_posts; /* posts (incl. overrides) by account kind */
        int64_t archived, redacted;            /* events with archived text; redacted events */
        int64_t sessions, users;               /* login sessions active in the period; users */

        struct pw_audit_report_bucket *buckets; /* the timeline (options.n_buckets entries) */
        size_t n_buckets;

        struct pw_audit_report_count *rules, *categories, *sites, *policies, *hosts;
        size_t n_rules, n_categories, n_sites, n_policies, n_hosts; /* listed */
        size_t n_rules_total, n_categories_total, n_sites_total, n_policies_total,
                n_hosts_total; /* in all */

        struct pw_audit_report_account *accounts; /* company accounts used in the period, the
                                                   * most active first */
        size_t n_accounts, n_accounts_total;

        struct pw_audit_report_item *overrides, *auth_blocks; /* the latest of each, newest first */
        size_t n_overrides, n_auth_blocks;                    /* listed (totals: in tally) */

        struct {
                int64_t events;               /* events in the store, all time */
                int64_t oldest_us, newest_us; /* their time range (0: empty) */
                int64_t purge_seq;            /* newest purge checkpoint: last purged event */
                int64_t purge_before_us;      /* its cutoff, 0: never purged */
                int64_t purge_time_us;        /* when it ran */
                int64_t heads_logged;         /* "head" checkpoints (heads sent to syslog) */
                int64_t last_head_us;         /* the newest of them, 0: none */
        } store;
};

/* Builds the report of `opt` (borrowed; NULL: everything, no timeline) from `a` (read-only is
 * enough), in one read transaction (one consistent snapshot). On success *ret is the caller's,
 * freed with pw_audit_report_free(); on failure it is untouched. */
int pw_audit_report_build(struct pw_audit *a, const struct pw_audit_report_options *opt,
                          struct pw_audit_report **ret, struct pw_error *err);

/* Frees a report; accepts NULL; returns NULL. */
struct pw_audit_report *pw_audit_report_free(struct pw_audit_report *r);

#endif
