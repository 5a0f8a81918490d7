/* Unit tests for the client library (daemon/client.c) against real Unix sockets served by a
 * forked child: no service, a service that never answers, garbage, a wrong id, a good answer.
 * The real postwardend is exercised by tests/integration/test_service*.c. */
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
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "postwarden/client.h"

struct fixture {
        char dir[64];   /* temp dir holding the socket */
        char path[128]; /* the socket */
        int lfd;        /* listening socket */
        pid_t child;    /* the fake peer, or 0 */
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof *f);
        snprintf(f->dir, sizeof f->dir, "/tmp/pw-client-XXXXXX");
        if (!f || !mkdtemp(f->dir))
                return -1;
        snprintf(f->path, sizeof f->path, "%s/s.sock", f->dir);
        f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strcpy(sa.sun_path, f->path);
        if (bind(f->lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(f->lfd, 8) < 0)
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        if (f->child > 0) {
                kill(f->child, SIGKILL);
                waitpid(f->child, NULL, 0);
        }
        close(f->lfd);
        unlink(f->path);
        rmdir(f->dir);
        free(f);
        return 0;
}

enum behaviour { SILENT, GARBAGE, WRONG_ID, ECHO };

/* Forks a peer that accepts one connection, reads one frame and answers per `b`. */
static void serve(struct fixture *f, enum behaviour b) {
        f->child = fork();
        assert_true(f->child >= 0);
        if (f->child > 0)
                return;
        int c = accept(f->lfd, NULL, NULL);
        unsigned char hdr[4];
        if (c < 0 || recv(c, hdr, 4, MSG_WAITALL) != 4)
                _exit(1);
        uint32_t n;
        if (pw_frame_header(hdr, PW_FRAME_MAX, &n) < 0)
                _exit(1);
        unsigned char *body = malloc(n);
        if (!body || recv(c, body, n, MSG_WAITALL) != (ssize_t)n)
                _exit(1);
        if (b == SILENT) {
                pause();
        } else if (b == GARBAGE) {
                const unsigned char g[] = {0, 0, 0, 3, 'x', 'y', 'z'};
                send(c, g, sizeof g, MSG_NOSIGNAL);
        } else {
                json_t *req = json_loadb((char *)body, n, 0, NULL);
                json_t *rep = json_pack("{s:i, s:O, s:s}", "v", 1, "id", json_object_get(req, "id"),
                                        "type", "hello");
                if (b == WRONG_ID)
                        json_object_set_new(rep, "id", json_integer(999));
                unsigned char *out;
                size_t len;
                if (pw_frame_encode(rep, &out, &len) == 0)
                        send(c, out, len, MSG_NOSIGNAL);
        }
        pause();
        _exit(0);
}

static json_t *hello(void) {
        return json_pack("{s:i, s:i, s:s}", "v", 1, "id", 7, "type", "hello");
}

static int64_t ms_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void no_service(void **state) {
        struct pw_client *c = NULL;
        assert_int_equal(pw_client_connect("/nonexistent/pw.sock", 100, &c), -ENOENT);
        assert_null(c);
        char longp[200];
        memset(longp, 'a', sizeof longp - 1);
        longp[sizeof longp - 1] = 0;
        assert_int_equal(pw_client_connect(longp, 100, &c), -ENAMETOOLONG);
        assert_null(pw_client_free(NULL));
}

static void silent_service_times_out(void **state) {
        struct fixture *f = *state;
        serve(f, SILENT);
        struct pw_client *c;
        assert_int_equal(pw_client_connect(f->path, 250, &c), 0);
        json_t *req = hello(), *rep = NULL;
        int64_t t0 = ms_now();
        assert_int_equal(pw_client_request(c, req, 100, &rep), -ETIMEDOUT);
        int64_t took = ms_now() - t0;
        assert_true(took >= 90);
        assert_true(took < 1000); /* generous: the point is that it returns */
        assert_null(rep);
        json_decref(req);
        pw_client_free(c);
}

static void garbage_is_eproto(void **state) {
        struct fixture *f = *state;
        serve(f, GARBAGE);
        struct pw_client *c;
        assert_int_equal(pw_client_connect(f->path, 250, &c), 0);
        json_t *req = hello(), *rep = NULL;
        assert_int_equal(pw_client_request(c, req, 1000, &rep), -EPROTO);
        json_decref(req);
        pw_client_free(c);
}

static void wrong_id_is_eproto(void **state) {
        struct fixture *f = *state;
        serve(f, WRONG_ID);
        struct pw_client *c;
        assert_int_equal(pw_client_connect(f->path, 250, &c), 0);
        json_t *req = hello(), *rep = NULL;
        assert_int_equal(pw_client_request(c, req, 1000, &rep), -EPROTO);
        json_decref(req);
        pw_client_free(c);
}

static void answer_is_returned(void **state) {
        struct fixture *f = *state;
        serve(f, ECHO);
        struct pw_client *c;
        assert_int_equal(pw_client_connect(f->path, 250, &c), 0);
        json_t *req = hello(), *rep = NULL;
        assert_int_equal(pw_client_request(c, req, 1000, &rep), 0);
        assert_int_equal(json_integer_value(json_object_get(rep, "id")), 7);
        json_decref(rep);
        json_decref(req);
        pw_client_free(c);
}

/* A message forwarded as JSON text: its bytes arrive as they were, and its id is checked. */
static void text_is_sent_as_it_is(void **state) {
        struct fixture *f = *state;
        serve(f, ECHO);
        struct pw_client *c;
        assert_int_equal(pw_client_connect(f->path, 250, &c), 0);
        const char *msg = "{ \"v\": 1, \"id\": \"x-9\", \"type\": \"hello\" }";
        json_t *id = json_string("x-9"), *rep = NULL;
        assert_int_equal(pw_client_request_text(c, msg, strlen(msg), id, 1000, &rep, NULL, NULL),
                         0);
        assert_string_equal(json_string_value(json_object_get(rep, "id")), "x-9");
        json_decref(rep);
        /* again, keeping the reply's bytes as the service sent them */
        pw_client_free(c);
        kill(f->child, SIGKILL);
        waitpid(f->child, NULL, 0);
        serve(f, ECHO);
        assert_int_equal(pw_client_connect(f->path, 250, &c), 0);
        char *txt = NULL;
        size_t tlen = 0;
        assert_int_equal(pw_client_request_text(c, msg, strlen(msg), id, 1000, &rep, &txt, &tlen),
                         0);
        assert_string_equal(txt, "{\"v\":1,\"id\":\"x-9\",\"type\":\"hello\"}");
        assert_int_equal(tlen, strlen(txt));
        free(txt);
        json_decref(rep);
        json_decref(id);
        assert_int_equal(
                pw_client_request_text(c, msg, PW_FRAME_MAX + 1, NULL, 1000, &rep, NULL, NULL),
                -EMSGSIZE);
        pw_client_free(c);
}

static void text_with_wrong_id_is_eproto(void **state) {
        struct fixture *f = *state;
        serve(f, WRONG_ID);
        struct pw_client *c;
        assert_int_equal(pw_client_connect(f->path, 250, &c), 0);
        const char *msg = "{\"v\":1,\"id\":7,\"type\":\"hello\"}";
        json_t *id = json_integer(7), *rep = NULL;
        assert_int_equal(pw_client_request_text(c, msg, strlen(msg), id, 1000, &rep, NULL, NULL),
                         -EPROTO);
        assert_null(rep);
        json_decref(id);
        pw_client_free(c);
}

static void dead_service_is_epipe_not_sigpipe(void **state) {
        struct fixture *f = *state;
        struct pw_client *c;
        assert_int_equal(pw_client_connect(f->path, 250, &c), 0);
        /* Accept and close at once: the client's writes now hit a closed peer. SIGPIPE would
         * kill this test process; the library must return an error instead. */
        int a = accept(f->lfd, NULL, NULL);
        close(a);
        json_t *req = json_pack("{s:i, s:i, s:s, s:s}", "v", 1, "id", 1, "type", "check", "text",
                                "x"),
               *rep = NULL;
        int r = 0;
        for (int i = 0; i < 3 && r == 0; i++) {
                r = pw_client_request(c, req, 200, &rep);
                json_decref(rep);
                rep = NULL;
        }
        assert_true(r == -EPIPE || r == -ECONNRESET);
        json_decref(req);
        pw_client_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(no_service),
                cmocka_unit_test_setup_teardown(silent_service_times_out, setup, teardown),
                cmocka_unit_test_setup_teardown(garbage_is_eproto, setup, teardown),
                cmocka_unit_test_setup_teardown(wrong_id_is_eproto, setup, teardown),
                cmocka_unit_test_setup_teardown(answer_is_returned, setup, teardown),
                cmocka_unit_test_setup_teardown(text_is_sent_as_it_is, setup, teardown),
                cmocka_unit_test_setup_teardown(text_with_wrong_id_is_eproto, setup, teardown),
                cmocka_unit_test_setup_teardown(dead_service_is_epipe_not_sigpipe, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
