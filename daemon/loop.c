/* postwardend's event loops: accept, read frames, validate, answer or queue for the writer.
 *
 * cfg.threads loops each run epoll on the shared listening socket (EPOLLEXCLUSIVE: one wakes per
 * connection) and own the connections they accept, so a connection is only ever touched by one
 * thread. Checks are answered in the loop thread at once; audit events go to the writer and are
 * answered when it hands them back through the loop's eventfd, after their commit. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "service.h"

#define OUT_MAX         (16u * 1024 * 1024) /* replies a client has not read; more and it is dropped */
#define FRAMES_PER_WAKE 64 /* frames read from one connection before serving others */
#define PENDING_MAX     32 /* audit events of one connection at the writer; then stop reading */

struct pw_svc_conn {
        struct pw_svc_conn *prev, *next;    /* the loop's list of live connections */
        struct pw_svc_loop *loop;           /* the loop that owns it */
        int fd;                             /* -1 once closed */
        struct pw_svc_peer peer;            /* from the kernel, at accept */
        struct pw_svc_lineage lin;          /* the peer's ancestry, for tie rule 2 */
        char user[64];                      /* the peer uid's login name, "" unknown */
        char **groups;                      /* its group names, NULL-terminated, or NULL */
        bool admin;                         /* root or in the postwarden-admin group */
        unsigned char hdr[PW_FRAME_HEADER]; /* the frame header being read */
        size_t hdr_have;                    /* bytes of hdr read */
        unsigned char *body;                /* the frame body being read, or NULL */
        uint32_t body_len, body_have;       /* its length and bytes read */
        unsigned char *out;                 /* replies not yet written */
        size_t out_len, out_off, out_cap;   /* bytes in out, written, allocated */
        int64_t last_ms;                    /* last complete frame or accept (monotonic ms) */
        int64_t frame_start_ms;             /* when the frame being read began, 0 none */
        int pending;                        /* items at the writer */
        bool dead;                          /* on the loop's graveyard, freed after the batch */
        bool closing;                       /* answer what is queued, then close */
        bool paused;                        /* not reading: PENDING_MAX events are at the writer */
};

struct pw_svc_loop {
        struct pw_svc *svc;                        /* the service */
        pthread_t thread;                          /* this loop's thread */
        int epfd;                                  /* its epoll */
        int evfd;                                  /* eventfd: the writer handed items back */
        pthread_mutex_t lock;                      /* guards done_head/done_tail */
        struct pw_svc_item *done_head, *done_tail; /* finished items */
        struct pw_svc_conn *conns;                 /* live connections */
        struct pw_svc_conn *graveyard;             /* closed and released, freed after a batch */
        int64_t last_sweep_ms;                     /* last idle sweep */
};

static char listen_tag, event_tag; /* epoll cookies for the two non-connection fds */

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- replies -------------------------------------------------------------------------------- */

static void conn_close(struct pw_svc_conn *c, const char *why);
static void conn_rearm(struct pw_svc_conn *c);

/* Queues `frame` bytes for c and writes what the socket takes now. */
static void conn_write(struct pw_svc_conn *c, const unsigned char *buf, size_t len) {
        if (c->fd < 0)
                return;
        if (c->out_len == c->out_off) {
                c->out_len = c->out_off = 0;
                while (len > 0) {
                        ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
                        if (n > 0) {
                                buf += n;
                                len -= (size_t)n;
                        } else if (n < 0 && errno == EINTR) {
                                continue;
                        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                                break;
                        } else {
                                conn_close(c, "the client went away");
                                return;
                        }
                }
                if (len == 0)
                        return;
        }
        if (c->out_len - c->out_off + len > OUT_MAX) {
                conn_close(c, "the client does not read its replies");
                return;
        }
        if (c->out_len + len > c->out_cap) {
                memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
                c->out_len -= c->out_off;
                c->out_off = 0;
                size_t ncap = c->out_cap ? c->out_cap : 4096;
                while (ncap < c->out_len + len)
                        ncap *= 2;
                unsigned char *n = realloc(c->out, ncap);
                if (!n) {
                        conn_close(c, "out of memory");
                        return;
                }
                c->out = n;
                c->out_cap = ncap;
        }
        memcpy(c->out + c->out_len, buf, len);
        c->out_len += len;
        conn_rearm(c);
}

/* Sends `reply` (stolen) as a frame. */
static void send_json(struct pw_svc_conn *c, json_t *reply) {
        unsigned char *buf;
        size_t len;
        if (!reply) {
                conn_close(c, "out of memory");
                return;
        }
        int r = pw_frame_encode(reply, &buf, &len);
        json_decref(reply);
        if (r < 0) {
                conn_close(c, "a reply could not be encoded");
                return;
        }
        conn_write(c, buf, len);
        free(buf);
}

/* A success reply {"v":1,"id":id,"type":type, ...extra}; `extra` (stolen) may be NULL. */
static void send_ok(struct pw_svc_conn *c, json_t *id, const char *type, json_t *extra) {
        json_t *r = json_pack("{s:i, s:O, s:s}", "v", PW_PROTOCOL_VERSION, "id",
                              id ? id : json_null(), "type", type);
        if (r && extra)
                json_object_update(r, extra);
        json_decref(extra);
        send_json(c, r);
}

/* An error reply; `id` may be NULL (unknown). */
static void send_err(struct pw_svc_conn *c, json_t *id, int code, const char *text) {
        send_json(c, json_pack("{s:i, s:O, s:s, s:i, s:s, s:s}", "v", PW_PROTOCOL_VERSION, "id",
                               id ? id : json_null(), "type", "error", "code", code, "error",
                               pw_svc_err_name(code), "message", text));
}

/* ---- connections ---------------------------------------------------------------------------- */

static void conn_free(struct pw_svc_conn *c) {
        if (c->groups)
                for (char **g = c->groups; *g; g++)
                        free(*g);
        free(c->groups);
        if (c->body)
                explicit_bzero(c->body, c->body_len);
        free(c->body);
        free(c->out);
        free(c);
}

/* Once c's socket is closed and the writer holds no item of it, puts it on the loop's graveyard.
 * It is freed by bury() when the current batch of events is done, never here: a handler that
 * closes the connection (e.g. a reply cannot be written because the client went away) and a later
 * event of the same epoll batch may still look at it. */
static void conn_release(struct pw_svc_conn *c) {
        if (c->fd >= 0 || c->pending > 0 || c->dead)
                return;
        c->dead = true;
        c->next = c->loop->graveyard; /* c is off the live list since conn_close() */
        c->loop->graveyard = c;
}

/* Frees the connections released during the last batch of events. */
static void bury(struct pw_svc_loop *l) {
        while (l->graveyard) {
                struct pw_svc_conn *c = l->graveyard;
                l->graveyard = c->next;
                conn_free(c);
        }
}

/* Closes the socket; the struct lives on while the writer still holds items for it, and until
 * the end of the current batch of events (conn_release). */
static void conn_close(struct pw_svc_conn *c, const char *why) {
        if (c->fd < 0)
                return;
        if (why)
                pw_svc_log(LOG_DEBUG, "closing connection of uid %u pid %d: %s",
                           (unsigned)c->peer.uid, (int)c->peer.pid, why);
        epoll_ctl(c->loop->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
        if (c->prev)
                c->prev->next = c->next;
        else
                c->loop->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        atomic_fetch_sub((_Atomic int *)&c->loop->svc->n_conns, 1);
        conn_release(c);
}

/* Resolves the peer's login name and groups once per connection (NSS may be slow). */
static void conn_resolve_user(struct pw_svc_conn *c) {
        if (c->user[0])
                return;
        struct passwd pw, *res = NULL;
        char buf[4096];
        if (getpwuid_r(c->peer.uid, &pw, buf, sizeof buf, &res) != 0 || !res) {
                snprintf(c->user, sizeof c->user, "%u", (unsigned)c->peer.uid);
                c->admin = c->peer.uid == 0;
                return;
        }
        snprintf(c->user, sizeof c->user, "%s", pw.pw_name);
        gid_t gids[64];
        int ng = 64;
        if (getgrouplist(pw.pw_name, pw.pw_gid, gids, &ng) < 0)
                ng = 64;
        c->groups = calloc((size_t)ng + 1, sizeof *c->groups);
        size_t k = 0;
        c->admin = c->peer.uid == 0;
        for (int i = 0; i < ng; i++) {
                if (gids[i] == c->loop->svc->cfg.admin_gid)
                        c->admin = true;
                struct group gr, *gres = NULL;
                char gbuf[4096];
                if (c->groups && getgrgid_r(gids[i], &gr, gbuf, sizeof gbuf, &gres) == 0 && gres) {
                        char *name = strdup(gr.gr_name);
                        if (name)
                                c->groups[k++] = name;
                }
        }
        if (c->peer.gid == c->loop->svc->cfg.admin_gid)
                c->admin = true;
}

static void accept_all(struct pw_svc_loop *l) {
        struct pw_svc *svc = l->svc;
        for (;;) {
                int fd = accept4(svc->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EMFILE || errno == ENFILE)
                                pw_svc_log(LOG_WARNING, "cannot accept: %s", strerror(errno));
                        return; /* EAGAIN, or another loop took it */
                }
                uint64_t ticks = pw_svc_boot_ticks();
                if (atomic_fetch_add((_Atomic int *)&svc->n_conns, 1) >= svc->cfg.max_conns) {
                        atomic_fetch_sub((_Atomic int *)&svc->n_conns, 1);
                        pw_svc_log(LOG_WARNING, "too many connections (%d): refusing one",
                                   svc->cfg.max_conns);
                        close(fd);
                        continue;
                }
                struct pw_svc_conn *c = calloc(1, sizeof *c);
                if (!c || pw_svc_peer_from_socket(fd, ticks, &c->peer) < 0) {
                        atomic_fetch_sub((_Atomic int *)&svc->n_conns, 1);
                        free(c);
                        close(fd);
                        continue;
                }
                c->fd = fd;
                c->loop = l;
                c->last_ms = now_ms();
                pw_svc_lineage_of(&c->peer, &c->lin);
                struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                        atomic_fetch_sub((_Atomic int *)&svc->n_conns, 1);
                        free(c);
                        close(fd);
                        continue;
                }
                c->next = l->conns;
                if (l->conns)
                        l->conns->prev = c;
                l->conns = c;
                pw_svc_log(LOG_DEBUG,
                           "connection: uid %u gid %u pid %d (%s) loginuid %lld sessionid %lld%s",
                           (unsigned)c->peer.uid, (unsigned)c->peer.gid, (int)c->peer.pid,
                           c->peer.comm, (long long)c->peer.loginuid, (long long)c->peer.sessionid,
                           c->peer.alive ? "" : " (exited before it could be identified)");
        }
}

/* ---- dispatch ------------------------------------------------------------------------------- */

static json_t *peer_json(const struct pw_svc_peer *p) {
        return json_pack("{s:I, s:I, s:I, s:o, s:o, s:b, s:s}", "uid", (json_int_t)p->uid, "gid",
                         (json_int_t)p->gid, "pid", (json_int_t)p->pid, "loginuid",
                         p->loginuid >= 0 ? json_integer(p->loginuid) : json_null(), "sessionid",
                         p->sessionid >= 0 ? json_integer(p->sessionid) : json_null(), "alive",
                         p->alive, "source", "kernel");
}

static json_t *tie_json(const struct pw_svc_tie *t) {
        if (t->n == 0)
                return json_null();
        json_t *ids = json_array();
        for (size_t i = 0; i < t->n; i++)
                json_array_append_new(ids, json_integer(t->ids[i]));
        return json_pack("{s:s, s:o, s:b}", "rule", pw_svc_tie_rule_name(t->rule), "sessions", ids,
                         "ambiguous", t->rule == PW_AUDIT_TIE_AMBIGUOUS);
}

static json_t *policy_json(struct pw_svc *svc) {
        json_t *j;
        pthread_rwlock_rdlock(&svc->policy.lock);
        if (!svc->policy.p) {
                j = json_null();
        } else {
                json_t *det = json_array();
                const char *const *d = pw_policy_detectors(svc->policy.p);
                for (; d && *d; d++)
                        json_array_append_new(det, json_string(*d));
                j = json_pack("{s:s, s:I, s:o}", "id", pw_policy_id(svc->policy.p), "loaded_at",
                              (json_int_t)svc->policy.loaded_at, "detectors", det);
        }
        pthread_rwlock_unlock(&svc->policy.lock);
        return j;
}

static json_t *audit_json(struct pw_svc *svc) {
        struct pw_svc_stats st;
        pw_svc_writer_stats(svc->writer, &st);
        return json_pack("{s:b, s:I, s:s, s:s}", "available", st.last_error[0] == '\0', "seq",
                         (json_int_t)st.head.seq, "hash", st.head.hex, "last_error", st.last_error);
}

/* Checks `text` (may be empty) as posted by c's user through `site`/`handle`/`id` under the
 * policy in force. Returns 0 with *ret (caller frees) and the policy id copied into `pid`, or a
 * protocol error code. */
static int run_check(struct pw_svc_conn *c, const char *text, size_t len, const char *site,
                     const char *handle, const char *aid, struct pw_verdict **ret, char *pid,
                     size_t pid_size, bool *ret_keep, char *err, size_t err_size) {
        struct pw_svc *svc = c->loop->svc;
        conn_resolve_user(c);
        struct pw_check_input in = {
                .text = text ? text : "",
                .len = text ? len : 0,
                .site = site,
                .account_handle = handle,
                .account_id = aid,
                .user = c->user,
                .groups = (const char *const *)c->groups,
        };
        pthread_rwlock_rdlock(&svc->policy.lock);
        if (!svc->policy.p) {
                pthread_rwlock_unlock(&svc->policy.lock);
                snprintf(err, err_size, "no policy is loaded (see the service's log)");
                return PW_SVC_E_NO_POLICY;
        }
        int r = pw_policy_check(svc->policy.p, &in, ret);
        if (r == 0 && pid)
                snprintf(pid, pid_size, "%s", pw_policy_id(svc->policy.p));
        if (r == 0 && ret_keep)
                *ret_keep = pw_policy_keep_personal_findings(svc->policy.p);
        pthread_rwlock_unlock(&svc->policy.lock);
        if (r == -EINVAL) {
                snprintf(err, err_size, "the text cannot be checked (too long?)");
                return PW_SVC_E_INVALID;
        }
        if (r < 0) {
                snprintf(err, err_size, "check failed: %s", strerror(-r));
                return PW_SVC_E_INTERNAL;
        }
        return 0;
}

/* Overwrites a string member of `obj` in place (draft text) and removes it. */
static void wipe_member(json_t *obj, const char *key) {
        json_t *v = json_object_get(obj, key);
        if (json_is_string(v))
                explicit_bzero((char *)json_string_value(v), json_string_length(v));
        json_object_del(obj, key);
}

static struct pw_svc_item *item_new(struct pw_svc_conn *c, json_t *req, struct pw_svc_msg *m,
                                    enum pw_svc_item_kind kind) {
        struct pw_svc_item *it = calloc(1, sizeof *it);
        if (!it)
                return NULL;
        it->kind = kind;
        it->loop = c->loop;
        it->conn = c;
        it->req = json_incref(req);
        it->msg = *m;
        it->id = m->id;
        it->peer = c->peer;
        memset(m, 0, sizeof *m); /* the item owns the findings now */
        return it;
}

void pw_svc_item_free(struct pw_svc_item *it) {
        if (!it)
                return;
        pw_svc_msg_done(&it->msg);
        free(it->findings);
        json_decref(it->reply_extra);
        json_decref(it->req);
        free(it);
}

static void submit(struct pw_svc_conn *c, struct pw_svc_item *it) {
        if (!it) {
                send_err(c, NULL, PW_SVC_E_INTERNAL, "out of memory");
                return;
        }
        json_t *id = json_incref(it->id);
        if (pw_svc_writer_submit(c->loop->svc->writer, it) < 0) {
                send_err(c, id, PW_SVC_E_BUSY, "too many audit events queued; retry later");
                pw_svc_item_free(it);
        } else {
                c->pending++;
        }
        json_decref(id);
}

static void do_hello(struct pw_svc_conn *c, struct pw_svc_msg *m) {
        struct pw_svc *svc = c->loop->svc;
        struct pw_svc_tie tie;
        pw_svc_tie(svc->sessions, &c->peer, &c->lin, &tie);
        send_ok(c, m->id, "hello",
                json_pack("{s:s, s:s, s:i, s:o, s:o, s:o, s:o}", "service", "postwardend",
                          "version", POSTWARDEN_VERSION, "protocol", PW_PROTOCOL_VERSION, "policy",
                          policy_json(svc), "peer", peer_json(&c->peer), "session", tie_json(&tie),
                          "audit", audit_json(svc)));
}

static void do_check(struct pw_svc_conn *c, json_t *req, struct pw_svc_msg *m) {
        struct pw_verdict *v = NULL;
        char err[160];
        int code = run_check(c, m->u.check.text, m->u.check.text_len, m->u.check.site,
                             m->u.check.account_handle, m->u.check.account_id, &v, NULL, 0, NULL,
                             err, sizeof err);
        wipe_member(req, "text"); /* nothing of a check is kept */
        if (code) {
                send_err(c, m->id, code, err);
                return;
        }
        json_t *vj = pw_verdict_to_json(v);
        pw_verdict_free(v);
        send_ok(c, m->id, "check", vj ? json_pack("{s:o}", "verdict", vj) : NULL);
}

static void do_account(struct pw_svc_conn *c, json_t *req, struct pw_svc_msg *m) {
        struct pw_verdict *v = NULL;
        char err[160], pid[80];
        int code = run_check(c, NULL, 0, m->u.account.site, m->u.account.handle,
                             m->u.account.stable_id, &v, pid, sizeof pid, NULL, err, sizeof err);
        if (code) {
                send_err(c, m->id, code, err);
                return;
        }
        json_t *extra = json_pack("{s:b, s:b, s:o}", "company", v->company_account, "authorised",
                                  v->company_account && v->authorised, "account_name",
                                  v->account_name ? json_string(v->account_name) : json_null());
        if (!v->company_account) {
                /* A personal account: nothing is recorded. */
                pw_verdict_free(v);
                json_object_set_new(extra, "session", json_null());
                send_ok(c, m->id, "account", extra);
                return;
        }
        struct pw_svc_item *it = item_new(c, req, m, PW_SVC_ITEM_ACCOUNT);
        if (it) {
                pw_svc_tie(c->loop->svc->sessions, &c->peer, &c->lin, &it->tie);
                snprintf(it->policy_name, sizeof it->policy_name, "%s",
                         v->account_name ? v->account_name : "");
                it->acct = (struct pw_audit_account){
                        .site = it->msg.u.account.site,
                        .stable_id = it->msg.u.account.stable_id,
                        .handle = it->msg.u.account.handle,
                        .display_name = it->msg.u.account.display_name,
                        .company = 1,
                        .policy_name = it->policy_name[0] ? it->policy_name : NULL,
                        .src = PW_AUDIT_SRC_CLIENT,
                };
                json_object_set_new(extra, "session", tie_json(&it->tie));
                it->reply_extra = extra;
        } else {
                json_decref(extra);
        }
        pw_verdict_free(v);
        submit(c, it);
}

static void do_post(struct pw_svc_conn *c, json_t *req, struct pw_svc_msg *m) {
        struct pw_svc *svc = c->loop->svc;
        const __typeof__(m->u.post) *p = &m->u.post;
        struct pw_verdict *v = NULL;
        char err[160], pid[80] = "";
        bool keep = false; /* the policy keeps findings of personal posts */
        /* The service decides whose account it is; the client's verdict is recorded as claimed. */
        int code = run_check(c, NULL, 0, p->site, p->handle, p->stable_id, &v, pid, sizeof pid,
                             &keep, err, sizeof err);
        if (code && code != PW_SVC_E_NO_POLICY) {
                wipe_member(req, "text");
                send_err(c, m->id, code, err);
                return;
        }
        bool company = v && v->company_account;
        bool authorised = company && v->authorised;
        bool archive = company && v->mode == PW_MODE_BUSINESS && p->text;
        if (!archive) {
                wipe_member(req, "text"); /* never keep a personal draft, not even in memory */
                m->u.post.text = NULL;
                m->u.post.text_len = 0;
        }
        struct pw_svc_item *it = item_new(c, req, m, PW_SVC_ITEM_EVENT);
        if (!it) {
                pw_verdict_free(v);
                send_err(c, NULL, PW_SVC_E_INTERNAL, "out of memory");
                return;
        }
        p = &it->msg.u.post;
        pw_svc_tie(svc->sessions, &c->peer, &c->lin, &it->tie);
        snprintf(it->policy_id, sizeof it->policy_id, "%s", pid);
        snprintf(it->policy_name, sizeof it->policy_name, "%s",
                 v && v->account_name ? v->account_name : "");
        if (p->n_findings) {
                it->findings = calloc(p->n_findings, sizeof *it->findings);
                if (!it->findings) {
                        pw_verdict_free(v);
                        pw_svc_item_free(it);
                        send_err(c, NULL, PW_SVC_E_INTERNAL, "out of memory");
                        return;
                }
                for (size_t i = 0; i < p->n_findings; i++)
                        it->findings[i] = (struct pw_audit_finding){
                                .rule_id = p->findings[i].rule,
                                .category = p->findings[i].category,
                                .action = p->findings[i].action ? p->findings[i].action : p->action,
                                .excerpt = p->findings[i].excerpt,
                        };
        }
        if (p->handle || p->stable_id)
                it->acct = (struct pw_audit_account){
                        .site = p->site,
                        .stable_id = p->stable_id,
                        .handle = p->handle,
                        .company = company,
                        .policy_name = it->policy_name[0] ? it->policy_name : NULL,
                        .src = PW_AUDIT_SRC_CLIENT,
                };
        enum pw_audit_kind kind = PW_AUDIT_POST_ATTEMPT;
        if (company && !authorised)
                kind = PW_AUDIT_AUTH_BLOCK;
        else if (p->posted && p->justification && strcmp(p->action, "allow"))
                kind = PW_AUDIT_OVERRIDE;
        it->ev = (struct pw_audit_event){
                .kind = kind,
                .peer_uid = c->peer.uid,
                .peer_pid = c->peer.pid,
                .peer_sessionid = c->peer.sessionid,
                .peer_src = PW_AUDIT_SRC_KERNEL,
                .session_id = it->tie.n == 1 ? it->tie.ids[0] : 0,
                .site = p->site,
                .claim_src = PW_AUDIT_SRC_CLIENT,
                .action = p->action,
                .mode = v ? pw_mode_name(v->mode) : NULL,
                .company_account = company,
                .authorised = authorised,
                .policy_id = it->policy_id[0] ? it->policy_id : NULL,
                .justification = p->justification,
                .archive_text = archive ? p->text : NULL,
                .archive_len = archive ? p->text_len : 0,
                .findings = it->findings,
                .n_findings = p->n_findings,
                /* The policy decides; the service flag can only widen it. */
                .flags = keep || svc->cfg.keep_personal_findings ? PW_AUDIT_KEEP_PERSONAL_FINDINGS
                                                                 : 0,
                .verdict_src = PW_AUDIT_SRC_CLIENT, /* the extension's verdict, relayed */
        };
        it->reply_extra =
                json_pack("{s:b, s:b, s:s, s:o}", "company", company, "archived", archive, "kind",
                          pw_audit_kind_name(kind), "session", tie_json(&it->tie));
        pw_verdict_free(v);
        submit(c, it);
}

static void do_session(struct pw_svc_conn *c, json_t *req, struct pw_svc_msg *m) {
        const char *type = m->type == PW_SVC_SESSION_OPEN ? "session_open" : "session_close";
        if (c->peer.uid != 0) {
                pw_svc_log(LOG_WARNING, "uid %u pid %d (%s) sent %s: refused, only root may",
                           (unsigned)c->peer.uid, (int)c->peer.pid, c->peer.comm, type);
                send_err(c, m->id, PW_SVC_E_FORBIDDEN, "only root (the PAM module) may do this");
                return;
        }
        struct pw_svc_item *it =
                item_new(c, req, m,
                         m->type == PW_SVC_SESSION_OPEN ? PW_SVC_ITEM_SESSION_OPEN
                                                        : PW_SVC_ITEM_SESSION_CLOSE);
        if (it && it->kind == PW_SVC_ITEM_SESSION_CLOSE && it->msg.u.session_close.session <= 0)
                it->saved_session = pw_svc_sessions_by_sessionid(c->loop->svc->sessions,
                                                                 it->msg.u.session_close.sessionid);
        submit(c, it);
}

static void do_admin(struct pw_svc_conn *c, json_t *req, struct pw_svc_msg *m) {
        struct pw_svc *svc = c->loop->svc;
        conn_resolve_user(c);
        if (!c->admin) {
                pw_svc_log(LOG_WARNING, "uid %u pid %d sent an admin query: refused",
                           (unsigned)c->peer.uid, (int)c->peer.pid);
                send_err(c, m->id, PW_SVC_E_FORBIDDEN,
                         "only root or the postwarden-admin group may do this");
                return;
        }
        if (m->type == PW_SVC_VERIFY) {
                submit(c, item_new(c, req, m, PW_SVC_ITEM_VERIFY));
                return;
        }
        if (m->type == PW_SVC_REDACT) {
                pw_svc_log(LOG_NOTICE, "uid %u pid %d asks to redact event %lld",
                           (unsigned)c->peer.uid, (int)c->peer.pid, (long long)m->u.redact.seq);
                submit(c, item_new(c, req, m, PW_SVC_ITEM_REDACT));
                return;
        }
        if (m->type == PW_SVC_PURGE) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                int64_t now_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
                int64_t before = m->u.purge.before;
                if (!m->u.purge.has_before) {
                        /* The policy's retention period (its default without a policy). */
                        pthread_rwlock_rdlock(&svc->policy.lock);
                        int days = pw_policy_retention_days(svc->policy.p);
                        pthread_rwlock_unlock(&svc->policy.lock);
                        before = now_us - (int64_t)days * 86400 * 1000000;
                } else if (before > now_us) {
                        send_err(
                                c, m->id, PW_SVC_E_INVALID,
                                "field \"before\" is in the future: a purge deletes only the past");
                        return;
                }
                pw_svc_log(LOG_NOTICE, "uid %u pid %d asks to purge events before %lld%s",
                           (unsigned)c->peer.uid, (int)c->peer.pid, (long long)before,
                           m->u.purge.has_before ? "" : " (the policy's retention)");
                struct pw_svc_item *it = item_new(c, req, m, PW_SVC_ITEM_PURGE);
                if (it)
                        it->before_us = before;
                submit(c, it);
                return;
        }
        struct pw_svc_stats st;
        pw_svc_writer_stats(svc->writer, &st);
        send_ok(c, m->id, "status",
                json_pack("{s:I, s:i, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "uptime_s",
                          (json_int_t)(time(NULL) - svc->started_at), "connections",
                          atomic_load((_Atomic int *)&svc->n_conns), "sessions_open",
                          (json_int_t)pw_svc_sessions_count(svc->sessions), "queued",
                          (json_int_t)st.queued, "committed", (json_int_t)st.committed, "batches",
                          (json_int_t)st.batches, "failures", (json_int_t)st.failures, "audit",
                          audit_json(svc), "policy", policy_json(svc), "fleet",
                          svc->fleet
                                  ? json_pack("{s:I, s:I, s:I}", "sent", (json_int_t)st.fleet.sent,
                                              "dropped", (json_int_t)st.fleet.dropped, "queued",
                                              (json_int_t)st.fleet.queued)
                                  : json_null()));
}

/* Handles one complete frame body. */
static void handle_frame(struct pw_svc_conn *c, unsigned char *body, size_t len) {
        json_error_t je;
        json_t *req = NULL;
        if (pw_frame_decode(body, len, &req, &je) < 0) {
                char text[240];
                snprintf(text, sizeof text, "not a JSON object: %s (line %d, column %d)", je.text,
                         je.line, je.column);
                send_err(c, NULL, PW_SVC_E_MALFORMED, text);
                return;
        }
        struct pw_svc_msg m = {0};
        struct pw_error err = {0};
        int r = pw_svc_msg_parse(req, &m, &err);
        if (r < 0) {
                wipe_member(req, "text");
                send_err(c, m.id, -r, err.text);
                json_decref(req);
                return;
        }
        switch (m.type) {
        case PW_SVC_HELLO:
                do_hello(c, &m);
                break;
        case PW_SVC_CHECK:
                do_check(c, req, &m);
                break;
        case PW_SVC_ACCOUNT:
                do_account(c, req, &m);
                break;
        case PW_SVC_POST_ATTEMPT:
                do_post(c, req, &m);
                break;
        case PW_SVC_SESSION_OPEN:
        case PW_SVC_SESSION_CLOSE:
                do_session(c, req, &m);
                break;
        case PW_SVC_STATUS:
        case PW_SVC_VERIFY:
        case PW_SVC_PURGE:
        case PW_SVC_REDACT:
                do_admin(c, req, &m);
                break;
        }
        pw_svc_msg_done(&m);
        json_decref(req);
}

/* Reads what is there; handles complete frames. */
/* Sets the epoll interest of c from its state: read unless closing or paused; write while
 * replies wait. */
static void conn_rearm(struct pw_svc_conn *c) {
        if (c->fd < 0)
                return;
        uint32_t want =
                (c->closing || c->paused ? 0 : EPOLLIN) | (c->out_off < c->out_len ? EPOLLOUT : 0);
        struct epoll_event ev = {.events = want, .data.ptr = c};
        epoll_ctl(c->loop->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void conn_read(struct pw_svc_conn *c) {
        for (int frames = 0; c->fd >= 0 && !c->closing && frames < FRAMES_PER_WAKE;) {
                if (c->pending >= PENDING_MAX) {
                        /* Backpressure: one client cannot fill the writer's queue for all. */
                        c->paused = true;
                        conn_rearm(c);
                        return;
                }
                ssize_t n;
                if (c->hdr_have < PW_FRAME_HEADER) {
                        n = recv(c->fd, c->hdr + c->hdr_have, PW_FRAME_HEADER - c->hdr_have, 0);
                } else {
                        n = recv(c->fd, c->body + c->body_have, c->body_len - c->body_have, 0);
                }
                if (n == 0) {
                        conn_close(c, c->hdr_have ? "truncated frame at end of stream"
                                                  : "end of stream");
                        return;
                }
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN && errno != EWOULDBLOCK)
                                conn_close(c, strerror(errno));
                        return;
                }
                if (c->hdr_have == 0 && c->body == NULL)
                        c->frame_start_ms = now_ms();
                if (c->hdr_have < PW_FRAME_HEADER) {
                        c->hdr_have += (size_t)n;
                        if (c->hdr_have < PW_FRAME_HEADER)
                                continue;
                        uint32_t len;
                        int r = pw_frame_header(c->hdr, PW_FRAME_MAX, &len);
                        if (r < 0) {
                                /* The stream cannot be trusted past a bad length: answer, close. */
                                char text[120];
                                snprintf(text, sizeof text,
                                         r == -EMSGSIZE ? "frame length %u is above the cap of %u "
                                                          "bytes"
                                                        : "frame length %u: a frame must not be "
                                                          "empty (cap %u)",
                                         (unsigned)((uint32_t)c->hdr[0] << 24 |
                                                    (uint32_t)c->hdr[1] << 16 |
                                                    (uint32_t)c->hdr[2] << 8 | c->hdr[3]),
                                         PW_FRAME_MAX);
                                pw_svc_log(LOG_INFO, "uid %u pid %d: %s", (unsigned)c->peer.uid,
                                           (int)c->peer.pid, text);
                                send_err(c, NULL, PW_SVC_E_TOO_LARGE, text);
                                c->closing = true;
                                if (c->fd >= 0 && c->out_len == c->out_off) {
                                        conn_close(c, "bad frame length");
                                } else {
                                        conn_rearm(c); /* read no more: flush, then close */
                                }
                                return;
                        }
                        c->body = malloc(len);
                        if (!c->body) {
                                conn_close(c, "out of memory");
                                return;
                        }
                        c->body_len = len;
                        c->body_have = 0;
                        continue;
                }
                c->body_have += (uint32_t)n;
                if (c->body_have < c->body_len)
                        continue;
                unsigned char *body = c->body;
                size_t len = c->body_len;
                c->body = NULL;
                c->hdr_have = 0;
                c->body_len = c->body_have = 0;
                c->frame_start_ms = 0;
                c->last_ms = now_ms();
                frames++;
                handle_frame(c, body, len);
                explicit_bzero(body, len); /* it may have held draft text */
                free(body);
        }
}

static void conn_flush(struct pw_svc_conn *c) {
        while (c->fd >= 0 && c->out_off < c->out_len) {
                ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n > 0) {
                        c->out_off += (size_t)n;
                } else if (n < 0 && errno == EINTR) {
                        continue;
                } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        return;
                } else {
                        conn_close(c, "the client went away");
                        return;
                }
        }
        if (c->fd < 0)
                return;
        c->out_off = c->out_len = 0;
        if (c->closing) {
                conn_close(c, "closing after an error");
                return;
        }
        conn_rearm(c);
}

/* ---- completions from the writer ------------------------------------------------------------ */

void pw_svc_loop_complete(struct pw_svc_item *it) {
        struct pw_svc_loop *l = it->loop;
        pthread_mutex_lock(&l->lock);
        it->next = NULL;
        if (l->done_tail)
                l->done_tail->next = it;
        else
                l->done_head = it;
        l->done_tail = it;
        pthread_mutex_unlock(&l->lock);
        uint64_t one = 1;
        ssize_t n = write(l->evfd, &one, sizeof one);
        (void)n; /* a full counter still wakes the loop */
}

static void reply_item(struct pw_svc_item *it) {
        struct pw_svc_conn *c = it->conn;
        static const char *const types[] = {
                [PW_SVC_ITEM_SESSION_OPEN] = "session_open",
                [PW_SVC_ITEM_SESSION_CLOSE] = "session_close",
                [PW_SVC_ITEM_ACCOUNT] = "account",
                [PW_SVC_ITEM_EVENT] = "post_attempt",
                [PW_SVC_ITEM_VERIFY] = "verify",
                [PW_SVC_ITEM_PURGE] = "purged",
                [PW_SVC_ITEM_REDACT] = "redacted",
        };
        if (it->err_code) {
                send_err(c, it->id, it->err_code, it->err_text);
                return;
        }
        json_t *extra = it->reply_extra ? it->reply_extra : json_object();
        it->reply_extra = NULL;
        if (it->kind == PW_SVC_ITEM_EVENT) {
                json_object_set_new(extra, "recorded", json_true());
                json_object_set_new(extra, "seq", json_integer(it->seq));
        } else if (it->kind == PW_SVC_ITEM_SESSION_OPEN || it->kind == PW_SVC_ITEM_SESSION_CLOSE) {
                json_object_set_new(extra, "session", json_integer(it->row_id));
                json_object_set_new(extra, "seq", json_integer(it->seq));
        } else if (it->kind == PW_SVC_ITEM_ACCOUNT) {
                json_object_set_new(extra, "account", json_integer(it->row_id));
        }
        send_ok(c, it->id, types[it->kind], extra);
}

static void drain_completions(struct pw_svc_loop *l, bool shutdown) {
        uint64_t cnt;
        ssize_t n = read(l->evfd, &cnt, sizeof cnt);
        (void)n;
        pthread_mutex_lock(&l->lock);
        struct pw_svc_item *it = l->done_head;
        l->done_head = l->done_tail = NULL;
        pthread_mutex_unlock(&l->lock);
        while (it) {
                struct pw_svc_item *next = it->next;
                struct pw_svc_conn *c = it->conn;
                c->pending--;
                if (c->paused && c->pending <= PENDING_MAX / 2) {
                        c->paused = false;
                        conn_rearm(c);
                }
                if (c->fd >= 0 && !shutdown)
                        reply_item(it);
                pw_svc_item_free(it);
                conn_release(c);
                it = next;
        }
}

/* Closes connections idle too long or stuck in the middle of a frame. */
static void sweep(struct pw_svc_loop *l) {
        int64_t now = now_ms();
        const struct pw_svc_config *cfg = &l->svc->cfg;
        for (struct pw_svc_conn *c = l->conns, *next; c; c = next) {
                next = c->next;
                if (c->frame_start_ms && now - c->frame_start_ms > cfg->frame_timeout_ms)
                        conn_close(c, "a frame was not completed in time");
                else if (!c->frame_start_ms && c->pending == 0 &&
                         now - c->last_ms > cfg->idle_timeout_ms)
                        conn_close(c, "idle");
        }
        l->last_sweep_ms = now;
}

static void *loop_main(void *arg) {
        struct pw_svc_loop *l = arg;
        struct epoll_event evs[64];
        while (!l->svc->stop) {
                int n = epoll_wait(l->epfd, evs, 64, 100);
                if (n < 0 && errno != EINTR) {
                        pw_svc_log(LOG_CRIT, "epoll_wait: %s", strerror(errno));
                        break;
                }
                for (int i = 0; i < n; i++) {
                        void *p = evs[i].data.ptr;
                        if (p == &listen_tag) {
                                accept_all(l);
                        } else if (p == &event_tag) {
                                drain_completions(l, false);
                        } else {
                                struct pw_svc_conn *c = p;
                                if (evs[i].events & EPOLLOUT)
                                        conn_flush(c);
                                if (c->fd >= 0 && c->paused &&
                                    (evs[i].events & (EPOLLHUP | EPOLLERR)))
                                        conn_close(c, "hung up while its events were written");
                                else if (c->fd >= 0 &&
                                         (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                                        conn_read(c);
                        }
                }
                bury(l);
                if (now_ms() - l->last_sweep_ms >= 100)
                        sweep(l);
        }
        return NULL;
}

/* ---- the service ---------------------------------------------------------------------------- */

/* Whether a change to `name` in the policy's directory may change the policy: not the files a
 * database or a log next to it (as in tests) keeps changing. */
static bool is_policy_file(const char *name) {
        static const char *const skip[] = {"-wal",  "-shm",      "-journal", ".db", ".log",
                                           ".sock", ".hmac-key", "~",        ".swp"};
        size_t n = strlen(name);
        if (name[0] == '.' && n > 1 && name[1] != '.')
                return false; /* editors' hidden temp files; the rename into place counts */
        for (size_t i = 0; i < sizeof skip / sizeof *skip; i++) {
                size_t k = strlen(skip[i]);
                if (n >= k && !strcmp(name + n - k, skip[i]))
                        return false;
        }
        return true;
}

/* An inotify fd on the policy file's directory (files written or moved in), or -1. */
static int watch_policy_dir(struct pw_svc *svc) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", svc->cfg.policy_path);
        char *slash = strrchr(dir, '/');
        if (!slash)
                snprintf(dir, sizeof dir, ".");
        else if (slash == dir)
                dir[1] = '\0';
        else
                *slash = '\0';
        int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0)
                return -1;
        if (inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE) < 0) {
                pw_svc_log(LOG_WARNING, "cannot watch %s for policy changes: %s", dir,
                           strerror(errno));
                close(fd);
                return -1;
        }
        return fd;
}

int pw_svc_run(struct pw_svc *svc) {
        int nl = svc->cfg.threads;
        struct pw_svc_loop *loops = calloc((size_t)nl, sizeof *loops);
        if (!loops)
                return -ENOMEM;
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        pthread_sigmask(SIG_BLOCK, &mask, NULL); /* main() blocked them before the writer started */
        int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
        int r = 0, started = 0;
        for (int i = 0; i < nl; i++)
                loops[i].epfd = loops[i].evfd = -1;
        for (int i = 0; i < nl && r == 0; i++) {
                struct pw_svc_loop *l = &loops[i];
                l->svc = svc;
                pthread_mutex_init(&l->lock, NULL);
                l->epfd = epoll_create1(EPOLL_CLOEXEC);
                l->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
                struct epoll_event le = {.events = EPOLLIN | EPOLLEXCLUSIVE,
                                         .data.ptr = &listen_tag};
                struct epoll_event ee = {.events = EPOLLIN, .data.ptr = &event_tag};
                if (l->epfd < 0 || l->evfd < 0 ||
                    epoll_ctl(l->epfd, EPOLL_CTL_ADD, svc->listen_fd, &le) < 0 ||
                    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->evfd, &ee) < 0) {
                        r = -errno;
                        break;
                }
        }
        if (r == 0 && sfd < 0)
                r = -errno;
        /* The policy's directory is watched too: a policy (or term list) written or moved into
         * place is reloaded 300 ms after the last change, as on SIGHUP. Watched before the first
         * client is served, so that no change after a client saw the service is missed. */
        int ifd = watch_policy_dir(svc);
        for (int i = 0; i < nl && r == 0; i++) {
                r = -pthread_create(&loops[i].thread, NULL, loop_main, &loops[i]);
                if (r == 0)
                        started++;
        }
        if (r == 0)
                pw_svc_log(LOG_NOTICE, "postwardend %s ready: %d loops, writer thread, policy %s",
                           POSTWARDEN_VERSION, nl,
                           svc->policy.p ? pw_policy_id(svc->policy.p) : "(none)");
        bool reload_due = false;
        while (r == 0 && !svc->stop) {
                struct pollfd pf[2] = {{.fd = sfd, .events = POLLIN},
                                       {.fd = ifd, .events = POLLIN}};
                int pr = poll(pf, ifd >= 0 ? 2 : 1, reload_due ? 300 : -1);
                if (pr < 0 && errno != EINTR) {
                        r = -errno;
                        break;
                }
                if (pr == 0 && reload_due) {
                        reload_due = false;
                        pw_svc_log(LOG_NOTICE, "the policy directory changed: reloading");
                        pw_svc_policy_reload(svc);
                        continue;
                }
                if (pr > 0 && ifd >= 0 && (pf[1].revents & POLLIN)) {
                        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
                        ssize_t len;
                        while ((len = read(ifd, buf, sizeof buf)) > 0)
                                for (char *q = buf; q < buf + len;) {
                                        const struct inotify_event *e = (const void *)q;
                                        if (e->len && is_policy_file(e->name))
                                                reload_due = true;
                                        q += sizeof *e + e->len;
                                }
                }
                if (pr <= 0 || !(pf[0].revents & POLLIN))
                        continue;
                struct signalfd_siginfo si;
                ssize_t n = read(sfd, &si, sizeof si);
                if (n != sizeof si) {
                        if (n < 0 && errno == EINTR)
                                continue;
                        r = -EIO;
                        break;
                }
                if (si.ssi_signo == SIGHUP) {
                        pw_svc_log(LOG_NOTICE, "SIGHUP: reloading the policy");
                        pw_svc_policy_reload(svc);
                } else {
                        pw_svc_log(LOG_NOTICE, "signal %d: stopping", (int)si.ssi_signo);
                        svc->stop = 1;
                }
        }
        if (ifd >= 0)
                close(ifd);
        svc->stop = 1;
        for (int i = 0; i < started; i++)
                pthread_join(loops[i].thread, NULL);
        /* Every queued event is committed (or refused) before exit; replies go nowhere now. */
        svc->writer = pw_svc_writer_free(svc->writer);
        for (int i = 0; i < nl; i++) {
                struct pw_svc_loop *l = &loops[i];
                if (!l->svc)
                        continue;
                while (l->conns)
                        conn_close(l->conns, NULL);
                if (l->evfd >= 0)
                        drain_completions(l, true);
                bury(l);
                if (l->epfd >= 0)
                        close(l->epfd);
                if (l->evfd >= 0)
                        close(l->evfd);
                pthread_mutex_destroy(&l->lock);
        }
        if (sfd >= 0)
                close(sfd);
        free(loops);
        return r;
}
