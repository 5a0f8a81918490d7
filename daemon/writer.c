/* The single audit writer: one thread owns the store and commits in groups.
 *
 * Loop threads queue items; the writer takes everything waiting (up to batch_max), applies it in
 * one transaction and commits once (one fsync), and only then hands each item back for its
 * acknowledgement. If anything in a batch fails, the batch is rolled back and its items are
 * retried one transaction each, so one refused event cannot cost the others theirs. An item is
 * never acknowledged unless its own commit succeeded. A slow disk slows acknowledgements only:
 * checks never wait for this thread. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "service.h"

struct pw_svc_writer {
        pthread_t thread;                /* the writer */
        pthread_mutex_t lock;            /* guards the queue, stopping and stats */
        pthread_cond_t cond;             /* signalled when items arrive or on stop */
        struct pw_svc_item *head, *tail; /* the queue */
        size_t n;                        /* items queued */
        bool stopping;                   /* drain and exit */
        struct pw_svc_stats stats;       /* for status replies */
        /* owned by the writer thread only */
        struct pw_audit *store;           /* NULL while the database cannot be opened */
        struct pw_svc_sessions *sessions; /* the open-session mirror to update */
        const struct pw_svc_config *cfg;  /* options */
        int64_t last_open_try;            /* CLOCK_MONOTONIC seconds of the last open attempt */
        int64_t since_head;               /* events committed since the head was last logged */
        int64_t head_logged_at;           /* CLOCK_MONOTONIC seconds */
        char host[256];                   /* this host's name, for sessions */
        struct pw_svc_fleet *fleet;       /* the fleet log, or NULL */
        int64_t fed_seq;                  /* the last event sent to the fleet log */
        bool fed_init;                    /* fed_seq was set from the first open store */
};

static int64_t mono_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec;
}

/* Maps a store error to a protocol error code. */
static int err_code_of(int r) {
        switch (r) {
        case -EINVAL:
                return PW_SVC_E_INVALID;
        case -ENOENT:
        case -EALREADY:
                return PW_SVC_E_NOT_FOUND;
        case -ENOMEM:
                return PW_SVC_E_INTERNAL;
        default:
                return PW_SVC_E_STORAGE;
        }
}

/* Maps a store error of an admin purge or redact to a protocol error code. */
static int admin_err_code_of(int r) {
        switch (r) {
        case -ENOENT:
                return PW_SVC_E_NOT_FOUND;
        case -EALREADY:
        case -ENODATA:
                return PW_SVC_E_CONFLICT;
        case -EINVAL:
                return PW_SVC_E_INVALID;
        case -ENOMEM:
                return PW_SVC_E_INTERNAL;
        default:
                return PW_SVC_E_STORAGE;
        }
}

/* Loads the store's open sessions into the mirror. */
static int load_open(const struct pw_audit_session_row *row, void *userdata) {
        struct pw_svc_writer *w = userdata;
        if (row->closed_us == 0)
                pw_svc_sessions_add(w->sessions, row->id, row->uid, row->audit_sessionid,
                                    row->xdg_session_id, row->service);
        return 0;
}

/* Gives the postwarden-admin group read access to the store (postwardenctl audit reads it
 * directly): the database and its -wal/-shm become 0640 with group admin_gid; the HMAC key file
 * stays 0600. SQLite creates -wal/-shm with the database's mode but the process's group, and the
 * writer keeps them (PERSIST_WAL), so doing this after each open suffices. The service must be a
 * member of the group (SupplementaryGroups=postwarden-admin) to give files to it. */
static void share_with_admins(const struct pw_svc_config *cfg) {
        if (cfg->admin_gid == (gid_t)-1)
                return;
        static const char *const suffixes[] = {"", "-wal", "-shm"};
        for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
                char path[4096];
                if ((size_t)snprintf(path, sizeof path, "%s%s", cfg->db_path, suffixes[i]) >=
                    sizeof path)
                        return;
                if (chown(path, (uid_t)-1, cfg->admin_gid) < 0 || chmod(path, 0640) < 0)
                        pw_svc_log(LOG_WARNING,
                                   "%s: cannot give group postwarden-admin read access: %s", path,
                                   strerror(errno));
        }
}

/* Opens the store if it is not open; at most every 5 s. Logs why it cannot. */
static void ensure_store(struct pw_svc_writer *w) {
        if (w->store)
                return;
        int64_t now = mono_s();
        if (w->last_open_try && now - w->last_open_try < 5)
                return;
        w->last_open_try = now;
        struct pw_audit_options opt = {.path = w->cfg->db_path};
        struct pw_error err = {0};
        struct pw_audit *a = NULL;
        int r = pw_audit_open(&opt, &a, &err);
        if (r < 0) {
                pw_svc_log(LOG_ERR,
                           "audit store %s cannot be opened (%s): %s; events are refused "
                           "until it can",
                           w->cfg->db_path, strerror(-r), err.text);
                pthread_mutex_lock(&w->lock);
                snprintf(w->stats.last_error, sizeof w->stats.last_error, "%s", err.text);
                pthread_mutex_unlock(&w->lock);
                return;
        }
        w->store = a;
        share_with_admins(w->cfg);
        pw_svc_sessions_clear(w->sessions);
        struct pw_audit_head h0;
        /* The fleet log starts at the head this process found: what came before was sent by the
         * process that wrote it (or is in the database, which is the truth). */
        if (pw_audit_head(a, &h0) == 0 && (!w->fed_init || h0.seq < w->fed_seq)) {
                w->fed_seq = h0.seq;
                w->fed_init = true;
        } /* the store is the truth: mirror it afresh */
        if (pw_audit_query_sessions(a, NULL, load_open, w, &err) < 0)
                pw_svc_log(LOG_WARNING, "cannot load open sessions: %s", err.text);
        struct pw_audit_head h;
        if (pw_audit_head(a, &h) == 0) {
                pthread_mutex_lock(&w->lock);
                w->stats.head = h;
                w->stats.last_error[0] = '\0';
                pthread_mutex_unlock(&w->lock);
                pw_svc_log(LOG_INFO, "audit store %s open: chain head seq=%" PRId64 " hash=%s",
                           w->cfg->db_path, h.seq, h.hex);
        }
}

/* Applies one item inside the open transaction. Returns 0 or the store's -errno, with the
 * item's err_code/err_text set. */
static int apply(struct pw_svc_writer *w, struct pw_svc_item *it) {
        struct pw_error err = {0};
        int r = 0;
        int64_t peer_uid = it->peer.uid, peer_pid = it->peer.pid;
        switch (it->kind) {
        case PW_SVC_ITEM_SESSION_OPEN: {
                const __typeof__(it->msg.u.session_open) *m = &it->msg.u.session_open;
                struct pw_audit_session s = {
                        .user = m->user,
                        .uid = m->uid,
                        .service = m->service,
                        .tty = m->tty,
                        .rhost = m->rhost,
                        .audit_sessionid = m->sessionid,
                        .loginuid = m->loginuid,
                        .xdg_session_id = m->xdg_session_id,
                        .host = w->host,
                        .opened_us = m->time > 0 ? (int64_t)m->time * 1000000 : 0,
                        .src = PW_AUDIT_SRC_PAM,
                        .peer_uid = peer_uid,
                        .peer_pid = peer_pid,
                };
                r = pw_audit_session_open(w->store, &s, &it->row_id, &it->seq, &err);
                break;
        }
        case PW_SVC_ITEM_SESSION_CLOSE: {
                const __typeof__(it->msg.u.session_close) *m = &it->msg.u.session_close;
                int64_t id = m->session > 0 ? m->session : it->saved_session;
                if (id <= 0) {
                        r = -ENOENT;
                        pw_error_set(&err, NULL, 0, 0, NULL, "no open session matches");
                        break;
                }
                it->row_id = id;
                r = pw_audit_session_close(w->store, id,
                                           m->time > 0 ? (int64_t)m->time * 1000000 : 0,
                                           PW_AUDIT_SRC_PAM, peer_uid, peer_pid, &it->seq, &err);
                break;
        }
        case PW_SVC_ITEM_ACCOUNT:
        case PW_SVC_ITEM_EVENT: {
                int64_t account_id = 0;
                if (it->acct.site) {
                        r = pw_audit_account_seen(w->store, &it->acct, &account_id, &err);
                        if (r < 0)
                                break;
                        it->row_id = account_id;
                        /* Only company accounts are linked to sessions. */
                        for (size_t i = 0; it->acct.company && i < it->tie.n && r >= 0; i++)
                                r = pw_audit_link(w->store, it->tie.ids[i], account_id,
                                                  it->tie.rule, 0, NULL, &err);
                        if (r < 0)
                                break;
                }
                if (it->kind == PW_SVC_ITEM_EVENT) {
                        it->ev.account_id = account_id;
                        r = pw_audit_append(w->store, &it->ev, &it->seq, &err);
                }
                break;
        }
        case PW_SVC_ITEM_VERIFY:
        case PW_SVC_ITEM_PURGE:
        case PW_SVC_ITEM_REDACT:
                break;
        }
        if (r < 0) {
                it->err_code = err_code_of(r);
                snprintf(it->err_text, sizeof it->err_text, "%s",
                         err.text[0] ? err.text : strerror(-r));
        }
        return r < 0 ? r : 0;
}

/* Runs the admin chain verification (outside any transaction). */
static void verify(struct pw_svc_writer *w, struct pw_svc_item *it) {
        struct pw_audit_verify_result res = {0};
        struct pw_error err = {0};
        int r = pw_audit_verify(w->store, NULL, 0, &res, &err);
        if (r < 0 && r != -EBADMSG) {
                it->err_code = PW_SVC_E_STORAGE;
                snprintf(it->err_text, sizeof it->err_text, "%s", err.text);
                return;
        }
        it->reply_extra = json_pack("{s:b, s:I, s:I, s:I, s:s, s:I, s:s}", "ok", r == 0, "rows",
                                    (json_int_t)res.rows, "first_seq", (json_int_t)res.first_seq,
                                    "head_seq", (json_int_t)res.head.seq, "head_hash", res.head.hex,
                                    "bad_seq", (json_int_t)res.bad_seq, "reason", res.reason);
        if (!it->reply_extra)
                it->err_code = PW_SVC_E_INTERNAL;
}

/* Runs an admin purge (outside any transaction; it is one of its own). */
static void purge(struct pw_svc_writer *w, struct pw_svc_item *it) {
        struct pw_audit_purge_result res = {0};
        struct pw_error err = {0};
        int r = pw_audit_purge(w->store, it->before_us, &res, &err);
        if (r < 0) {
                it->err_code = admin_err_code_of(r);
                snprintf(it->err_text, sizeof it->err_text, "%s",
                         err.text[0] ? err.text : strerror(-r));
                pw_svc_log(LOG_ERR, "purge before %" PRId64 " (uid %u) failed: %s", it->before_us,
                           (unsigned)it->peer.uid, it->err_text);
                return;
        }
        pw_svc_log(LOG_NOTICE,
                   "purge before %" PRId64 " by uid %u: %" PRId64 " events, %" PRId64
                   " sessions, %" PRId64 " accounts removed; checkpoint at seq %" PRId64,
                   it->before_us, (unsigned)it->peer.uid, res.events_removed, res.sessions_removed,
                   res.accounts_removed, res.checkpoint_seq);
        it->reply_extra = json_pack(
                "{s:I, s:I, s:I, s:I, s:I}", "checkpoint_seq", (json_int_t)res.checkpoint_seq,
                "events_removed", (json_int_t)res.events_removed, "sessions_removed",
                (json_int_t)res.sessions_removed, "accounts_removed",
                (json_int_t)res.accounts_removed, "before", (json_int_t)it->before_us);
        if (!it->reply_extra)
                it->err_code = PW_SVC_E_INTERNAL;
}

/* Runs an admin redaction (outside any transaction). */
static void redact(struct pw_svc_writer *w, struct pw_svc_item *it) {
        struct pw_error err = {0};
        int64_t rseq = 0;
        int r = pw_audit_redact(w->store, it->msg.u.redact.seq, it->msg.u.redact.reason, &rseq,
                                &err);
        if (r < 0) {
                it->err_code = admin_err_code_of(r);
                snprintf(it->err_text, sizeof it->err_text, "%s",
                         err.text[0] ? err.text : strerror(-r));
                return;
        }
        pw_svc_log(LOG_NOTICE, "event %" PRId64 " redacted by uid %u (redaction event %" PRId64 ")",
                   it->msg.u.redact.seq, (unsigned)it->peer.uid, rseq);
        it->reply_extra = json_pack("{s:I, s:I}", "seq", (json_int_t)it->msg.u.redact.seq,
                                    "redaction_seq", (json_int_t)rseq);
        if (!it->reply_extra)
                it->err_code = PW_SVC_E_INTERNAL;
}

static bool is_event(const struct pw_svc_item *it) {
        return it->kind != PW_SVC_ITEM_VERIFY && it->kind != PW_SVC_ITEM_PURGE &&
               it->kind != PW_SVC_ITEM_REDACT;
}

/* ---- the fleet log -------------------------------------------------------------------------- */

static int feed_one(const struct pw_audit_feed_row *row, void *userdata) {
        struct pw_svc_writer *w = userdata;
        json_t *o = pw_svc_fleet_event_json(row, pw_svc_fleet_host(w->fleet));
        pw_svc_fleet_emit(w->fleet, LOG_INFO, "event", row->seq, o);
        json_decref(o);
        w->fed_seq = row->seq;
        return 0;
}

/* Sends every committed event not yet sent to the fleet log. Called only outside a
 * transaction, after commits: a line never shows a hash that is not on the committed chain. */
static void feed(struct pw_svc_writer *w) {
        if (!w->fleet || !w->store)
                return;
        struct pw_error err = {0};
        int r = pw_audit_feed(w->store, w->fed_seq, 0, feed_one, w, &err);
        if (r < 0)
                pw_svc_log(LOG_WARNING, "fleet log: cannot read committed events: %s", err.text);
}

/* Writes the batch `v[0..n)`: one transaction, or one each after a failure. */
static void write_batch(struct pw_svc_writer *w, struct pw_svc_item **v, size_t n) {
        struct pw_error err = {0};
        int64_t committed = 0;
        bool grouped = false, reopen_store = false;
        if (pw_audit_begin(w->store, &err) == 0) {
                size_t i;
                for (i = 0; i < n; i++)
                        if (is_event(v[i]) && apply(w, v[i]) < 0)
                                break;
                if (i == n && pw_audit_commit(w->store, &err) == 0)
                        grouped = true;
                else
                        pw_audit_rollback(w->store);
        }
        if (grouped) {
                for (size_t i = 0; i < n; i++)
                        committed += is_event(v[i]);
        } else {
                /* Retry one by one so that each item gets its own answer. */
                int logged = 0, refused = 0;
                bool reopen = false;
                for (size_t i = 0; i < n; i++) {
                        struct pw_svc_item *it = v[i];
                        if (!is_event(it))
                                continue;
                        it->err_code = 0;
                        it->err_text[0] = '\0';
                        int r = pw_audit_begin(w->store, &err);
                        if (r == 0 && (r = apply(w, it)) == 0 &&
                            (r = pw_audit_commit(w->store, &err)) == 0) {
                                committed++;
                                continue;
                        }
                        pw_audit_rollback(w->store);
                        if (!it->err_code) {
                                it->err_code = err_code_of(r);
                                snprintf(it->err_text, sizeof it->err_text, "%s",
                                         err.text[0] ? err.text : strerror(-r));
                        }
                        /* A file that went bad or read-only is reopened (and its state
                         * re-read) rather than written through a stale handle. */
                        if (r == -EIO || r == -EROFS || r == -EBADMSG || r == -ENOTSUP)
                                reopen = true;
                        refused++;
                        if (logged++ < 3)
                                pw_svc_log(it->err_code == PW_SVC_E_STORAGE ? LOG_ERR : LOG_WARNING,
                                           "audit write refused (uid %u pid %d): %s",
                                           (unsigned)it->peer.uid, (int)it->peer.pid, it->err_text);
                        pthread_mutex_lock(&w->lock);
                        w->stats.failures++;
                        snprintf(w->stats.last_error, sizeof w->stats.last_error, "%s",
                                 it->err_text);
                        pthread_mutex_unlock(&w->lock);
                }
                if (refused > 3)
                        pw_svc_log(LOG_ERR, "audit write refused for %d events of a batch of %zu",
                                   refused, n);
                reopen_store = reopen;
        }
        /* Committed: now the mirror may show it. */
        for (size_t i = 0; i < n; i++) {
                struct pw_svc_item *it = v[i];
                if (it->err_code)
                        continue;
                if (it->kind == PW_SVC_ITEM_SESSION_OPEN)
                        pw_svc_sessions_add(w->sessions, it->row_id, it->msg.u.session_open.uid,
                                            it->msg.u.session_open.sessionid,
                                            it->msg.u.session_open.xdg_session_id,
                                            it->msg.u.session_open.service);
                else if (it->kind == PW_SVC_ITEM_SESSION_CLOSE)
                        pw_svc_sessions_remove(w->sessions, it->row_id);
        }
        struct pw_audit_head h;
        bool have_head = pw_audit_head(w->store, &h) == 0;
        pthread_mutex_lock(&w->lock);
        w->stats.committed += committed;
        w->stats.batches += committed > 0;
        if (have_head)
                w->stats.head = h;
        pthread_mutex_unlock(&w->lock);
        w->since_head += committed;
        if (reopen_store) {
                pw_svc_log(LOG_ERR, "closing the audit store; reopening it in 5 s");
                w->store = pw_audit_free(w->store);
                w->last_open_try = mono_s();
        }
}

/* Logs the chain head every head_every_events events or head_every_s seconds, so that copies
 * outside the database can show a rewrite. */
static void maybe_log_head(struct pw_svc_writer *w, bool force) {
        if (!w->store || w->since_head == 0)
                return;
        int64_t now = mono_s();
        if (!force && w->since_head < w->cfg->head_every_events &&
            now - w->head_logged_at < w->cfg->head_every_s)
                return;
        struct pw_audit_head h;
        struct pw_error err = {0};
        if (pw_audit_head(w->store, &h) < 0)
                return;
        pw_svc_log(LOG_NOTICE, "audit chain head seq=%" PRId64 " hash=%s", h.seq, h.hex);
        if (w->fleet) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                json_t *o =
                        pw_svc_fleet_head_json(&h, (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000,
                                               pw_svc_fleet_host(w->fleet));
                pw_svc_fleet_emit(w->fleet, LOG_NOTICE, "chain_head", h.seq, o);
                json_decref(o);
        }
        if (pw_audit_record_head(w->store, &err) < 0)
                pw_svc_log(LOG_WARNING, "cannot record the chain head: %s", err.text);
        w->since_head = 0;
        w->head_logged_at = now;
}

static void *writer_main(void *arg) {
        struct pw_svc_writer *w = arg;
        size_t cap = (size_t)w->cfg->batch_max;
        struct pw_svc_item **v = calloc(cap, sizeof *v);
        if (!v) {
                pw_svc_log(LOG_CRIT, "writer: out of memory");
                return NULL;
        }
        for (;;) {
                pthread_mutex_lock(&w->lock);
                while (!w->head && !w->stopping) {
                        struct timespec ts;
                        clock_gettime(CLOCK_REALTIME, &ts);
                        ts.tv_sec += 1;
                        pthread_cond_timedwait(&w->cond, &w->lock, &ts);
                        if (!w->head) {
                                pthread_mutex_unlock(&w->lock);
                                maybe_log_head(w, false);
                                pthread_mutex_lock(&w->lock);
                        }
                }
                if (!w->head && w->stopping) {
                        pthread_mutex_unlock(&w->lock);
                        break;
                }
                size_t n = 0;
                while (w->head && n < cap) {
                        v[n++] = w->head;
                        w->head = w->head->next;
                        w->n--;
                }
                if (!w->head)
                        w->tail = NULL;
                w->stats.queued = w->n;
                pthread_mutex_unlock(&w->lock);

                ensure_store(w);
                if (!w->store) {
                        for (size_t i = 0; i < n; i++) {
                                v[i]->err_code = PW_SVC_E_STORAGE;
                                snprintf(v[i]->err_text, sizeof v[i]->err_text,
                                         "audit store unavailable: %.120s", w->stats.last_error);
                        }
                } else {
                        write_batch(w, v, n);
                        feed(w);
                        for (size_t i = 0; i < n; i++) {
                                if (is_event(v[i]))
                                        continue;
                                if (!w->store) {
                                        v[i]->err_code = PW_SVC_E_STORAGE;
                                        snprintf(v[i]->err_text, sizeof v[i]->err_text,
                                                 "the audit store is being reopened");
                                } else if (v[i]->kind == PW_SVC_ITEM_VERIFY) {
                                        verify(w, v[i]);
                                } else if (v[i]->kind == PW_SVC_ITEM_PURGE) {
                                        purge(w, v[i]);
                                        w->since_head++;
                                        feed(w);
                                } else {
                                        redact(w, v[i]);
                                        w->since_head++;
                                        feed(w);
                                }
                        }
                        maybe_log_head(w, false);
                }
                for (size_t i = 0; i < n; i++)
                        pw_svc_loop_complete(v[i]);
        }
        maybe_log_head(w, true);
        free(v);
        return NULL;
}

int pw_svc_writer_new(struct pw_audit *store, struct pw_svc_sessions *sessions,
                      const struct pw_svc_config *cfg, struct pw_svc_fleet *fleet,
                      struct pw_svc_writer **ret) {
        struct pw_svc_writer *w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->cond, NULL);
        w->store = store;
        w->sessions = sessions;
        w->cfg = cfg;
        w->fleet = fleet;
        w->head_logged_at = mono_s();
        if (gethostname(w->host, sizeof w->host) < 0)
                snprintf(w->host, sizeof w->host, "localhost");
        w->host[sizeof w->host - 1] = '\0';
        /* Open (or fail to open, and say why) before the first client is served. */
        ensure_store(w);
        int r = pthread_create(&w->thread, NULL, writer_main, w);
        if (r) {
                pw_audit_free(w->store);
                free(w);
                return -r;
        }
        *ret = w;
        return 0;
}

struct pw_svc_writer *pw_svc_writer_free(struct pw_svc_writer *w) {
        if (!w)
                return NULL;
        pthread_mutex_lock(&w->lock);
        w->stopping = true;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
        pw_audit_free(w->store);
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return NULL;
}

int pw_svc_writer_submit(struct pw_svc_writer *w, struct pw_svc_item *it) {
        pthread_mutex_lock(&w->lock);
        if (w->n >= w->cfg->queue_max || w->stopping) {
                pthread_mutex_unlock(&w->lock);
                return -EBUSY;
        }
        it->next = NULL;
        if (w->tail)
                w->tail->next = it;
        else
                w->head = it;
        w->tail = it;
        w->n++;
        w->stats.queued = w->n;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        return 0;
}

void pw_svc_writer_stats(struct pw_svc_writer *w, struct pw_svc_stats *ret) {
        pthread_mutex_lock(&w->lock);
        *ret = w->stats;
        pthread_mutex_unlock(&w->lock);
        pw_svc_fleet_stats(w->fleet, &ret->fleet);
}
