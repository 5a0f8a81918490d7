/* Open login sessions and the rules that tie a client process to one (docs/service-protocol.md
 * §7). The table mirrors the store's open sessions; the writer updates it after each commit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "service.h"

#ifdef PW_HAVE_SYSTEMD
#include <systemd/sd-login.h>
#endif

struct open_session {
        int64_t id;        /* the store's session row id */
        int64_t uid;       /* the session's uid */
        int64_t sessionid; /* kernel audit session id, -1 unset */
        char xdg[64];      /* XDG_SESSION_ID (logind's name), "" unset */
        char service[64];  /* PAM service, for logs */
};

struct pw_svc_sessions {
        pthread_mutex_t lock;   /* guards everything below */
        struct open_session *v; /* open sessions, oldest first */
        size_t n, cap;          /* used, allocated */
};

struct pw_svc_sessions *pw_svc_sessions_new(void) {
        struct pw_svc_sessions *s = calloc(1, sizeof *s);
        if (!s)
                return NULL;
        pthread_mutex_init(&s->lock, NULL);
        return s;
}

struct pw_svc_sessions *pw_svc_sessions_free(struct pw_svc_sessions *s) {
        if (!s)
                return NULL;
        pthread_mutex_destroy(&s->lock);
        free(s->v);
        free(s);
        return NULL;
}

int pw_svc_sessions_add(struct pw_svc_sessions *s, int64_t id, int64_t uid, int64_t sessionid,
                        const char *xdg_session_id, const char *service) {
        pthread_mutex_lock(&s->lock);
        if (s->n == s->cap) {
                size_t ncap = s->cap ? s->cap * 2 : 64;
                struct open_session *nv = realloc(s->v, ncap * sizeof *nv);
                if (!nv) {
                        pthread_mutex_unlock(&s->lock);
                        return -ENOMEM;
                }
                s->v = nv;
                s->cap = ncap;
        }
        struct open_session *o = &s->v[s->n++];
        *o = (struct open_session){.id = id, .uid = uid, .sessionid = sessionid};
        snprintf(o->xdg, sizeof o->xdg, "%s", xdg_session_id ? xdg_session_id : "");
        snprintf(o->service, sizeof o->service, "%s", service ? service : "");
        pthread_mutex_unlock(&s->lock);
        return 0;
}

void pw_svc_sessions_remove(struct pw_svc_sessions *s, int64_t id) {
        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; i < s->n; i++)
                if (s->v[i].id == id) {
                        memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof *s->v);
                        s->n--;
                        break;
                }
        pthread_mutex_unlock(&s->lock);
}

void pw_svc_sessions_clear(struct pw_svc_sessions *s) {
        pthread_mutex_lock(&s->lock);
        s->n = 0;
        pthread_mutex_unlock(&s->lock);
}

size_t pw_svc_sessions_count(struct pw_svc_sessions *s) {
        pthread_mutex_lock(&s->lock);
        size_t n = s->n;
        pthread_mutex_unlock(&s->lock);
        return n;
}

int64_t pw_svc_sessions_by_sessionid(struct pw_svc_sessions *s, int64_t sessionid) {
        int64_t id = 0;
        if (sessionid < 0)
                return 0;
        pthread_mutex_lock(&s->lock);
        for (size_t i = s->n; i-- > 0;)
                if (s->v[i].sessionid == sessionid) {
                        id = s->v[i].id;
                        break;
                }
        pthread_mutex_unlock(&s->lock);
        return id;
}

void pw_svc_lineage_of(const struct pw_svc_peer *peer, struct pw_svc_lineage *ret) {
        struct pw_svc_lineage l = {0};
        /* Walk up at most 64 parents: a `systemd` of the peer's uid other than PID 1 is its
         * user manager (user@UID.service), under which desktop browsers run. */
        pid_t pid = peer->alive ? peer->pid : 0;
        for (int depth = 0; pid > 1 && depth < 64; depth++) {
                pid_t ppid;
                uid_t uid;
                if (pw_svc_proc_stat(pid, NULL, &ppid, &uid) < 0)
                        break;
                char path[64], comm[32] = "";
                snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
                FILE *f = fopen(path, "re");
                if (f) {
                        if (!fgets(comm, sizeof comm, f))
                                comm[0] = '\0';
                        fclose(f);
                }
                comm[strcspn(comm, "\n")] = '\0';
                if (depth > 0 && uid == peer->uid && !strcmp(comm, "systemd")) {
                        l.user_manager = true;
                        break;
                }
                pid = ppid;
        }
#ifdef PW_HAVE_SYSTEMD
        if (l.user_manager) {
                char *session = NULL;
                if (sd_uid_get_display(peer->uid, &session) >= 0 && session) {
                        snprintf(l.display, sizeof l.display, "%s", session);
                        free(session);
                }
        }
#endif
        *ret = l;
}

void pw_svc_tie(struct pw_svc_sessions *s, const struct pw_svc_peer *peer,
                const struct pw_svc_lineage *lin, struct pw_svc_tie *ret) {
        struct pw_svc_tie t = {0};
        pthread_mutex_lock(&s->lock);
        /* Rule 1: the peer's audit session is one the PAM module opened. */
        if (peer->alive && peer->sessionid >= 0)
                for (size_t i = s->n; i-- > 0;)
                        if (s->v[i].sessionid == peer->sessionid &&
                            s->v[i].uid == (int64_t)peer->uid) {
                                t.rule = PW_AUDIT_TIE_SESSIONID;
                                t.n = 1;
                                t.ids[0] = s->v[i].id;
                                goto done;
                        }
        /* Candidates: the uid's open sessions, newest first. */
        size_t n_uid = 0;
        int64_t cand[PW_SVC_TIE_MAX];
        int64_t graphical = 0;
        for (size_t i = s->n; i-- > 0;) {
                if (s->v[i].uid != (int64_t)peer->uid)
                        continue;
                if (n_uid < PW_SVC_TIE_MAX)
                        cand[n_uid] = s->v[i].id;
                n_uid++;
                if (lin->display[0] && !strcmp(s->v[i].xdg, lin->display) && !graphical)
                        graphical = s->v[i].id;
        }
        /* Rule 2: under the uid's systemd --user manager -> its graphical session (logind), or
         * without logind its one open interactive session. */
        if (lin->user_manager && (graphical || (!lin->display[0] && n_uid == 1))) {
                t.rule = PW_AUDIT_TIE_USER_MANAGER;
                t.n = 1;
                t.ids[0] = graphical ? graphical : cand[0];
                goto done;
        }
        /* Rule 3: exactly one open session for the uid. */
        if (n_uid == 1) {
                t.rule = PW_AUDIT_TIE_ONLY_SESSION;
                t.n = 1;
                t.ids[0] = cand[0];
                goto done;
        }
        /* Rule 4: every candidate, marked ambiguous. */
        if (n_uid > 1) {
                t.rule = PW_AUDIT_TIE_AMBIGUOUS;
                t.n = n_uid < PW_SVC_TIE_MAX ? n_uid : PW_SVC_TIE_MAX;
                memcpy(t.ids, cand, t.n * sizeof *t.ids);
        }
done:
        pthread_mutex_unlock(&s->lock);
        *ret = t;
}

const char *pw_svc_tie_rule_name(enum pw_audit_tie_rule r) {
        switch (r) {
        case PW_AUDIT_TIE_SESSIONID:
                return "sessionid";
        case PW_AUDIT_TIE_USER_MANAGER:
                return "user_manager";
        case PW_AUDIT_TIE_ONLY_SESSION:
                return "only_session";
        case PW_AUDIT_TIE_AMBIGUOUS:
                return "ambiguous";
        }
        return "none";
}
