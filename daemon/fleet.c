/* The fleet log: every committed audit event and every logged chain head as one syslog line
 * whose MSG is "@cee: " and one JSON object (docs/fleet.md).
 *
 * The writer thread calls pw_svc_fleet_emit() after a commit; the line goes into a bounded
 * in-memory queue and a sender thread of its own writes it to the syslog socket. The writer
 * never waits for syslog: a stuck or absent receiver fills the queue, and then lines are
 * dropped and counted (the database stays the source of truth; `audit verify --heads` checks
 * against what arrived). syslog(3) is not used for these lines because it blocks on a full
 * socket (a Unix datagram socket queues only net.unix.max_dgram_qlen datagrams, 10 here).
 *
 * Two formats:
 *   - the system log (default, /dev/log): what syslog(3) sends,
 *     "<PRI>Mmm dd hh:mm:ss postwardend[PID]: @cee: {...}", which journald and rsyslog's
 *     imuxsock parse;
 *   - --syslog-socket PATH: RFC 5424 with a structured-data element,
 *     "<PRI>1 TIMESTAMP HOST postwardend PID MSGID [postwarden@32473 seq="N"] @cee: {...}".
 * Facility: authpriv (the lines name users and accounts: on Debian they land in auth.log, which
 * only adm can read). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "service.h"

#define FLEET_QUEUE_LINES 65536              /* lines waiting at most ... */
#define FLEET_QUEUE_BYTES (32u << 20)        /* ... and bytes */
#define FLEET_JSON_MAX    7680               /* bytes of JSON per line (rsyslog's default 8 KiB) */
#define FLEET_FLUSH_MS    2000               /* at shutdown, try this long to send what waits */
#define FLEET_SD_ID       "postwarden@32473" /* 32473: the documentation enterprise number */

struct line {
        struct line *next; /* queue link */
        size_t len;        /* bytes in text */
        char text[];       /* the whole datagram */
};

struct pw_svc_fleet {
        pthread_t thread;                /* the sender */
        pthread_mutex_t lock;            /* guards everything below except fd */
        pthread_cond_t cond;             /* lines arrived, or stop */
        struct line *head, *tail;        /* the queue */
        size_t n, bytes;                 /* lines and bytes queued */
        bool stopping;                   /* flush for FLEET_FLUSH_MS, then exit */
        struct pw_svc_fleet_stats stats; /* counters */
        /* set once */
        char path[108];      /* the socket */
        bool rfc5424;        /* the format */
        char host[256];      /* this host's name */
        char app[32];        /* "postwardend" */
        pid_t pid;           /* ours */
        int fd;              /* owned by the sender thread: the connected socket, or -1 */
        int64_t last_try_ms; /* sender thread: last connect attempt */
};

static int64_t mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- formatting ------------------------------------------------------------------------------ */

int pw_svc_fleet_time(int64_t us, char *buf, size_t size) {
        time_t s = (time_t)(us / 1000000);
        struct tm tm;
        if (!gmtime_r(&s, &tm))
                return -EINVAL;
        char date[32];
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, size, "%s.%06dZ", date, (int)(us % 1000000));
        return 0;
}

/* Adds `v` (stolen) under `key` unless it is NULL. */
static void put(json_t *o, const char *key, json_t *v) {
        if (v)
                json_object_set_new(o, key, v);
}

static json_t *opt_str(const char *s) {
        return s ? json_string(s) : NULL;
}

static json_t *opt_int(int64_t v, int64_t unset) {
        return v == unset ? NULL : json_integer(v);
}

static json_t *src(enum pw_audit_source s) {
        return pw_audit_source_name(s) ? json_string(pw_audit_source_name(s)) : NULL;
}

json_t *pw_svc_fleet_event_json(const struct pw_audit_feed_row *r, const char *host) {
        char t[40];
        pw_svc_fleet_time(r->time_us, t, sizeof t);
        const char *kind = pw_audit_kind_name(r->kind);
        json_t *o = json_pack("{s:i, s:s, s:s, s:I, s:s, s:s, s:s}", "pw", 1, "type", "event",
                              "host", host, "seq", (json_int_t)r->seq, "hash", r->hash_hex, "time",
                              t, "kind", kind ? kind : "unknown");
        if (!o)
                return NULL;
        if (r->peer_uid >= 0 || r->peer_pid >= 0) {
                json_t *p = json_object();
                put(p, "uid", opt_int(r->peer_uid, -1));
                put(p, "pid", opt_int(r->peer_pid, -1));
                put(p, "sessionid", opt_int(r->peer_sessionid, -1));
                put(p, "source", src(r->peer_src));
                put(o, "peer", p);
        }
        if (r->session_id > 0) {
                json_t *s = json_pack("{s:I}", "id", (json_int_t)r->session_id);
                put(s, "user", opt_str(r->session_user));
                put(s, "uid", opt_int(r->session_uid, -1));
                put(s, "tty", opt_str(r->session_tty));
                put(s, "rhost", opt_str(r->session_rhost));
                put(s, "host", opt_str(r->session_host));
                put(s, "source", src(r->session_src));
                put(o, "session", s);
        }
        if (r->account_id > 0) {
                json_t *a = json_pack("{s:I, s:b}", "id", (json_int_t)r->account_id, "company",
                                      r->account_company);
                put(a, "site", opt_str(r->account_site));
                if (r->account_company) {
                        put(a, "handle", opt_str(r->account_handle));
                        put(a, "name", opt_str(r->account_policy_name));
                } else {
                        put(a, "handle_hmac", opt_str(r->account_hmac));
                }
                put(a, "source", src(r->account_src));
                put(o, "account", a);
        }
        if (r->link_id > 0) {
                const char *rule = pw_svc_tie_rule_name(r->link_rule);
                put(o, "link",
                    json_pack("{s:I, s:s, s:s}", "id", (json_int_t)r->link_id, "rule",
                              rule ? rule : "unknown", "source", "service"));
        }
        put(o, "site", opt_str(r->site));
        if (r->site || r->account_id > 0)
                put(o, "claim_source", src(r->claim_src));
        put(o, "action", opt_str(r->action));
        put(o, "mode", opt_str(r->mode));
        if (r->kind == PW_AUDIT_POST_ATTEMPT || r->kind == PW_AUDIT_AUTH_BLOCK ||
            r->kind == PW_AUDIT_OVERRIDE) {
                put(o, "company_account", json_boolean(r->company_account));
                put(o, "authorised", json_boolean(r->authorised));
                put(o, "verdict_source", src(r->verdict_src));
        }
        put(o, "policy_id", opt_str(r->policy_id));
        if (r->n_findings) {
                json_t *fa = json_array();
                for (size_t i = 0; i < r->n_findings; i++)
                        json_array_append_new(fa, json_pack("{s:s, s:s}", "rule",
                                                            r->findings[i].rule_id, "category",
                                                            r->findings[i].category));
                put(o, "findings", fa);
        }
        if (r->kind == PW_AUDIT_OVERRIDE)
                put(o, "justification", opt_str(r->justification));
        put(o, "target_seq", opt_int(r->target_seq, 0));
        put(o, "note", opt_str(r->note));
        return o;
}

json_t *pw_svc_fleet_head_json(const struct pw_audit_head *h, int64_t time_us, const char *host) {
        char t[40];
        pw_svc_fleet_time(time_us, t, sizeof t);
        return json_pack("{s:i, s:s, s:s, s:I, s:s, s:s}", "pw", 1, "type", "chain_head", "host",
                         host, "seq", (json_int_t)h->seq, "hash", h->hex, "time", t);
}

/* Cuts a string member of `o` to at most `max` bytes at a UTF-8 boundary; returns whether it
 * did. */
static bool cut_member(json_t *o, const char *key, size_t max) {
        json_t *v = json_object_get(o, key);
        if (!json_is_string(v) || json_string_length(v) <= max)
                return false;
        const char *s = json_string_value(v);
        size_t n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
                n--;
        json_object_set_new(o, key, json_stringn(s, n));
        return true;
}

/* The object as compact JSON within FLEET_JSON_MAX: findings, then long justifications and
 * notes are cut (and say so) when the whole would not fit. malloc'd, or NULL. */
static char *dump_bounded(json_t *o) {
        const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
        char *s = json_dumps(o, flags);
        if (!s || strlen(s) <= FLEET_JSON_MAX)
                return s;
        free(s);
        json_t *f = json_object_get(o, "findings");
        if (f) {
                json_object_set_new(o, "findings_omitted", json_integer(json_array_size(f)));
                json_object_del(o, "findings");
        }
        if (cut_member(o, "justification", 512))
                json_object_set_new(o, "justification_cut", json_true());
        if (cut_member(o, "note", 512))
                json_object_set_new(o, "note_cut", json_true());
        s = json_dumps(o, flags);
        if (s && strlen(s) > FLEET_JSON_MAX) { /* cannot happen with the message limits */
                free(s);
                s = NULL;
        }
        return s;
}

/* ---- the queue and the sender ---------------------------------------------------------------- */

void pw_svc_fleet_emit(struct pw_svc_fleet *f, int severity, const char *msgid, int64_t seq,
                       json_t *obj) {
        if (!f || !obj)
                return;
        char *json = dump_bounded(obj);
        if (!json) {
                pthread_mutex_lock(&f->lock);
                f->stats.dropped++;
                pthread_mutex_unlock(&f->lock);
                return;
        }
        char hdr[512];
        int pri = LOG_AUTHPRIV | (severity & LOG_PRIMASK);
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        if (f->rfc5424) {
                char t[40];
                pw_svc_fleet_time((int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000, t, sizeof t);
                snprintf(hdr, sizeof hdr,
                         "<%d>1 %s %s %s %d %s [" FLEET_SD_ID " seq=\"%" PRId64 "\"] @cee: ", pri,
                         t, f->host, f->app, (int)f->pid, msgid, seq);
        } else {
                struct tm tm;
                char t[32];
                localtime_r(&now.tv_sec, &tm);
                strftime(t, sizeof t, "%h %e %T", &tm);
                snprintf(hdr, sizeof hdr, "<%d>%s %s[%d]: @cee: ", pri, t, f->app, (int)f->pid);
        }
        size_t hl = strlen(hdr), jl = strlen(json);
        struct line *l = malloc(sizeof *l + hl + jl);
        if (l) {
                memcpy(l->text, hdr, hl);
                memcpy(l->text + hl, json, jl);
                l->len = hl + jl;
                l->next = NULL;
        }
        free(json);
        pthread_mutex_lock(&f->lock);
        if (!l || f->n >= FLEET_QUEUE_LINES || f->bytes + (l ? l->len : 0) > FLEET_QUEUE_BYTES) {
                f->stats.dropped++;
                pthread_mutex_unlock(&f->lock);
                free(l);
                return;
        }
        if (f->tail)
                f->tail->next = l;
        else
                f->head = l;
        f->tail = l;
        f->n++;
        f->bytes += l->len;
        f->stats.queued = f->n;
        pthread_cond_signal(&f->cond);
        pthread_mutex_unlock(&f->lock);
}

/* Connects the datagram socket (at most once a second). */
static bool ensure_connected(struct pw_svc_fleet *f) {
        if (f->fd >= 0)
                return true;
        int64_t now = mono_ms();
        if (f->last_try_ms && now - f->last_try_ms < 1000)
                return false;
        f->last_try_ms = now;
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return false;
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->path);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                close(fd);
                return false;
        }
        /* Room for a burst in our own send buffer too. */
        int sz = 1 << 20;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
        f->fd = fd;
        return true;
}

/* Sends one datagram; waits up to `wait_ms` for room. 1 sent, 0 not now (keep it), -1 it can
 * never be sent (drop it). */
static int send_line(struct pw_svc_fleet *f, const struct line *l, int wait_ms) {
        if (!ensure_connected(f)) {
                if (wait_ms > 0)
                        poll(NULL, 0, wait_ms < 200 ? wait_ms : 200);
                return 0;
        }
        for (;;) {
                ssize_t n = send(f->fd, l->text, l->len, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n >= 0)
                        return 1;
                if (errno == EINTR)
                        continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
                        struct pollfd p = {.fd = f->fd, .events = POLLOUT};
                        if (wait_ms <= 0 || poll(&p, 1, wait_ms) <= 0)
                                return 0;
                        wait_ms = 0; /* one wait per call: the caller checks for stop */
                        continue;
                }
                if (errno == EMSGSIZE)
                        return -1;
                /* The receiver went away (restarted, socket removed): reconnect later. */
                close(f->fd);
                f->fd = -1;
                return 0;
        }
}

static void *sender_main(void *arg) {
        struct pw_svc_fleet *f = arg;
        int64_t deadline = 0;
        pthread_mutex_lock(&f->lock);
        for (;;) {
                while (!f->head && !f->stopping)
                        pthread_cond_wait(&f->cond, &f->lock);
                if (!f->head)
                        break; /* stopping, all sent */
                if (f->stopping && !deadline)
                        deadline = mono_ms() + FLEET_FLUSH_MS;
                if (deadline && mono_ms() > deadline)
                        break;
                struct line *l = f->head;
                pthread_mutex_unlock(&f->lock);
                int r = send_line(f, l, 200);
                pthread_mutex_lock(&f->lock);
                if (r == 0)
                        continue; /* try again: still first in the queue */
                f->head = l->next;
                if (!f->head)
                        f->tail = NULL;
                f->n--;
                f->bytes -= l->len;
                f->stats.queued = f->n;
                if (r > 0)
                        f->stats.sent++;
                else
                        f->stats.dropped++;
                free(l);
        }
        /* What could not be sent in time is dropped and counted. */
        while (f->head) {
                struct line *l = f->head;
                f->head = l->next;
                f->stats.dropped++;
                free(l);
        }
        f->tail = NULL;
        f->n = f->bytes = 0;
        f->stats.queued = 0;
        pthread_mutex_unlock(&f->lock);
        return NULL;
}

int pw_svc_fleet_new(const char *socket_path, bool rfc5424, struct pw_svc_fleet **ret) {
        struct sockaddr_un sa;
        if (!socket_path || !ret || strlen(socket_path) >= sizeof sa.sun_path)
                return -EINVAL;
        struct pw_svc_fleet *f = calloc(1, sizeof *f);
        if (!f)
                return -ENOMEM;
        snprintf(f->path, sizeof f->path, "%s", socket_path);
        f->rfc5424 = rfc5424;
        if (gethostname(f->host, sizeof f->host) < 0 || !f->host[0])
                snprintf(f->host, sizeof f->host, "localhost");
        f->host[sizeof f->host - 1] = '\0';
        snprintf(f->app, sizeof f->app, "postwardend");
        f->pid = getpid();
        f->fd = -1;
        pthread_mutex_init(&f->lock, NULL);
        pthread_cond_init(&f->cond, NULL);
        int r = pthread_create(&f->thread, NULL, sender_main, f);
        if (r) {
                pthread_mutex_destroy(&f->lock);
                pthread_cond_destroy(&f->cond);
                free(f);
                return -r;
        }
        *ret = f;
        return 0;
}

const char *pw_svc_fleet_host(const struct pw_svc_fleet *f) {
        return f ? f->host : "localhost";
}

void pw_svc_fleet_stats(struct pw_svc_fleet *f, struct pw_svc_fleet_stats *ret) {
        if (!f) {
                *ret = (struct pw_svc_fleet_stats){0};
                return;
        }
        pthread_mutex_lock(&f->lock);
        *ret = f->stats;
        pthread_mutex_unlock(&f->lock);
}

struct pw_svc_fleet *pw_svc_fleet_free(struct pw_svc_fleet *f) {
        if (!f)
                return NULL;
        pthread_mutex_lock(&f->lock);
        f->stopping = true;
        pthread_cond_signal(&f->cond);
        pthread_mutex_unlock(&f->lock);
        pthread_join(f->thread, NULL);
        if (f->stats.dropped)
                pw_svc_log(LOG_WARNING,
                           "fleet log %s: %" PRId64 " lines sent, %" PRId64
                           " dropped (queue full, receiver absent or too slow)",
                           f->path, f->stats.sent, f->stats.dropped);
        if (f->fd >= 0)
                close(f->fd);
        pthread_mutex_destroy(&f->lock);
        pthread_cond_destroy(&f->cond);
        free(f);
        return NULL;
}
