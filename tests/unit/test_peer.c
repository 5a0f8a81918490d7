/* Unit tests for daemon/peer.c (peer identity from the kernel) and daemon/tie.c (tying a
 * process to a login session), on real sockets and real processes: this process, a child that
 * connected and exited, and a child with a fresh audit session id (written loginuid, as root). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "peer.h"
#include "service.h"

/* tie.c logs nothing, but service.h declares the logger; the tests do not call it. */
void pw_svc_log(int priority, const char *fmt, ...) {
        (void)priority;
        (void)fmt;
}

static unsigned read_self(const char *name) {
        char path[64];
        unsigned v = 0;
        snprintf(path, sizeof path, "/proc/self/%s", name);
        FILE *f = fopen(path, "r");
        if (f) {
                if (fscanf(f, "%u", &v) != 1)
                        v = 0;
                fclose(f);
        }
        return v;
}

static void self_over_a_socketpair(void **state) {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        struct pw_svc_peer p;
        assert_int_equal(pw_svc_peer_from_socket(sv[0], pw_svc_boot_ticks(), &p), 0);
        assert_int_equal(p.uid, getuid());
        assert_int_equal(p.gid, getgid());
        assert_int_equal(p.pid, getpid());
        assert_true(p.alive);
        assert_true(p.start_time > 0);
        unsigned sid = read_self("sessionid");
        assert_int_equal(p.sessionid, sid == 4294967295u ? -1 : (int64_t)sid);
        close(sv[0]);
        close(sv[1]);
}

static void not_a_socket_is_an_error(void **state) {
        struct pw_svc_peer p = {.uid = 4242};
        int fd = dup(0);
        assert_true(pw_svc_peer_from_socket(fd, 0, &p) < 0);
        assert_int_equal(p.uid, 4242); /* untouched */
        close(fd);
}

static void a_dead_peer_has_no_session_facts(void **state) {
        /* The child connects one end of a pair it inherited... the pair's credentials are the
         * creator's, so use a listening socket: the child connects and exits before accept. */
        char path[] = "/tmp/pw-peer-XXXXXX";
        assert_non_null(mkdtemp(path));
        char sock[64];
        snprintf(sock, sizeof sock, "%s/s", path);
        int l = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strcpy(sa.sun_path, sock);
        assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
        assert_int_equal(listen(l, 4), 0);
        pid_t child = fork();
        if (child == 0) {
                int c = socket(AF_UNIX, SOCK_STREAM, 0);
                _exit(connect(c, (struct sockaddr *)&sa, sizeof sa) == 0 ? 0 : 1);
        }
        int st;
        waitpid(child, &st, 0); /* reaped: the pid may now be reused */
        assert_int_equal(WEXITSTATUS(st), 0);
        int a = accept(l, NULL, NULL);
        assert_true(a >= 0);
        struct pw_svc_peer p;
        assert_int_equal(pw_svc_peer_from_socket(a, pw_svc_boot_ticks(), &p), 0);
        assert_int_equal(p.pid, child);
        assert_false(p.alive);
        assert_int_equal(p.sessionid, -1);
        assert_int_equal(p.loginuid, -1);
        close(a);
        close(l);
        unlink(sock);
        rmdir(path);
}

static void fresh_audit_session_in_a_child(void **state) {
        if (getuid() != 0)
                skip();
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        pid_t child = fork();
        if (child == 0) {
                /* Writing loginuid starts a new audit session (the kernel's, not a claim). */
                FILE *f = fopen("/proc/self/loginuid", "w");
                if (!f || fprintf(f, "4321") < 0 || fclose(f) != 0)
                        _exit(2);
                unsigned sid = read_self("sessionid");
                /* Hand our own end over a fresh connection made by this process. */
                int pair[2];
                if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0)
                        _exit(3);
                char cbuf[CMSG_SPACE(sizeof(int))] = {0};
                struct iovec iov = {.iov_base = &sid, .iov_len = sizeof sid};
                struct msghdr mh = {.msg_iov = &iov,
                                    .msg_iovlen = 1,
                                    .msg_control = cbuf,
                                    .msg_controllen = sizeof cbuf};
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &pair[0], sizeof(int));
                if (sendmsg(sv[1], &mh, 0) < 0)
                        _exit(4);
                char b;
                if (read(sv[1], &b, 1) < 0) /* stay alive until the parent has looked */
                        _exit(5);
                _exit(0);
        }
        unsigned sid = 0;
        char cbuf[CMSG_SPACE(sizeof(int))] = {0};
        struct iovec iov = {.iov_base = &sid, .iov_len = sizeof sid};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = cbuf,
                            .msg_controllen = sizeof cbuf};
        assert_int_equal(recvmsg(sv[0], &mh, 0), sizeof sid);
        int fd;
        memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof fd);
        struct pw_svc_peer p;
        assert_int_equal(pw_svc_peer_from_socket(fd, pw_svc_boot_ticks(), &p), 0);
        assert_int_equal(p.pid, child);
        assert_true(p.alive);
        assert_int_equal(p.loginuid, 4321);
        assert_int_equal(p.sessionid, sid);
        assert_int_not_equal(p.sessionid, -1);
        assert_int_equal(write(sv[0], "x", 1), 1);
        int st;
        waitpid(child, &st, 0);
        assert_int_equal(WEXITSTATUS(st), 0);
        close(fd);
        close(sv[0]);
        close(sv[1]);
}

/* ---- tie rules -------------------------------------------------------------------------- */

static struct pw_svc_peer peer(uid_t uid, int64_t sessionid) {
        return (struct pw_svc_peer){.uid = uid, .pid = 1, .sessionid = sessionid, .alive = true};
}

static void tie_rules_in_order(void **state) {
        struct pw_svc_sessions *s = pw_svc_sessions_new();
        struct pw_svc_lineage none = {0}, manager = {.user_manager = true},
                              gnome = {.user_manager = true, .display = "c2"};
        struct pw_svc_tie t;
        struct pw_svc_peer ann = peer(1000, 7), ann_other = peer(1000, 99);

        pw_svc_tie(s, &ann, &none, &t);
        assert_int_equal(t.n, 0); /* no session at all */

        assert_int_equal(pw_svc_sessions_add(s, 1, 1000, 7, "c1", "sshd"), 0);
        pw_svc_tie(s, &ann, &none, &t);
        assert_int_equal(t.rule, PW_AUDIT_TIE_SESSIONID);
        assert_int_equal(t.ids[0], 1);

        pw_svc_tie(s, &ann_other, &none, &t);
        assert_int_equal(t.rule, PW_AUDIT_TIE_ONLY_SESSION);
        pw_svc_tie(s, &ann_other, &manager, &t);
        assert_int_equal(t.rule, PW_AUDIT_TIE_USER_MANAGER); /* no logind: the one session */

        assert_int_equal(pw_svc_sessions_add(s, 2, 1000, 8, "c2", "gdm-password"), 0);
        assert_int_equal(pw_svc_sessions_add(s, 3, 2000, 9, "c3", "sshd"), 0);
        pw_svc_tie(s, &ann_other, &none, &t);
        assert_int_equal(t.rule, PW_AUDIT_TIE_AMBIGUOUS);
        assert_int_equal(t.n, 2); /* only uid 1000's */
        pw_svc_tie(s, &ann_other, &gnome, &t);
        assert_int_equal(t.rule, PW_AUDIT_TIE_USER_MANAGER); /* logind's graphical session */
        assert_int_equal(t.ids[0], 2);

        /* Another uid in ann's audit session does not get ann's session by rule 1. */
        struct pw_svc_peer intruder = peer(2000, 7);
        pw_svc_tie(s, &intruder, &none, &t);
        assert_int_equal(t.rule, PW_AUDIT_TIE_ONLY_SESSION);
        assert_int_equal(t.ids[0], 3);

        /* A dead peer's session id is not trusted. */
        struct pw_svc_peer dead = peer(1000, 7);
        dead.alive = false;
        pw_svc_tie(s, &dead, &none, &t);
        assert_int_equal(t.rule, PW_AUDIT_TIE_AMBIGUOUS);

        pw_svc_sessions_remove(s, 2);
        pw_svc_tie(s, &ann_other, &none, &t);
        assert_int_equal(t.rule, PW_AUDIT_TIE_ONLY_SESSION);
        assert_int_equal(pw_svc_sessions_by_sessionid(s, 7), 1);
        assert_int_equal(pw_svc_sessions_by_sessionid(s, 8), 0);
        assert_null(pw_svc_sessions_free(s));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(self_over_a_socketpair),
                cmocka_unit_test(not_a_socket_is_an_error),
                cmocka_unit_test(a_dead_peer_has_no_session_facts),
                cmocka_unit_test(fresh_audit_session_in_a_child),
                cmocka_unit_test(tie_rules_in_order),
        };
        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
