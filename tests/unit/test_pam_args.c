/* Unit tests for pam/args.c: the options of pam_postwarden.so. Bad words are reported and
 * ignored, and whatever was in force (a default or an earlier good word) stays in force. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "args.h"
#include "postwarden/client.h"

/* Collects complaints so a test can check which words were reported. */
struct complaints {
        int n;          /* how many were reported */
        char last[128]; /* the last word reported */
};

static void collect(void *userdata, const char *arg, const char *why) {
        struct complaints *c = userdata;
        c->n++;
        assert_non_null(why);
        snprintf(c->last, sizeof c->last, "%s", arg);
}

/* Parses a NULL-terminated list of words. */
#define PARSE(args, c, ...)                                                                        \
        pw_pam_args_parse((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)),     \
                          (const char *[]){__VA_ARGS__}, (args), collect, (c))

static void defaults(void **state) {
        struct pw_pam_args a;
        struct complaints c = {0};
        assert_int_equal(pw_pam_args_parse(0, NULL, &a, collect, &c), 0);
        assert_false(a.debug);
        assert_string_equal(a.socket_path, PW_SOCKET_DEFAULT);
        assert_int_equal(a.timeout_ms, PW_CLIENT_TIMEOUT_MS_DEFAULT);
        assert_false(a.fail_closed);
        assert_string_equal(a.skip, PW_PAM_SKIP_DEFAULT);
        assert_int_equal(c.n, 0);
}

static void every_option(void **state) {
        struct pw_pam_args a;
        struct complaints c = {0};
        assert_int_equal(PARSE(&a, &c, "debug", "socket=/tmp/x.sock", "timeout_ms=75",
                               "fail=closed", "skip=gdm,kiosk"),
                         0);
        assert_true(a.debug);
        assert_string_equal(a.socket_path, "/tmp/x.sock");
        assert_int_equal(a.timeout_ms, 75);
        assert_true(a.fail_closed);
        assert_string_equal(a.skip, "gdm,kiosk");
        assert_int_equal(PARSE(&a, &c, "fail=closed", "fail=open"), 0);
        assert_false(a.fail_closed);
}

static void bad_values_keep_what_was_in_force(void **state) {
        struct pw_pam_args a;
        struct complaints c = {0};
        assert_int_equal(PARSE(&a, &c, "timeout_ms=abc"), 1);
        assert_int_equal(a.timeout_ms, PW_CLIENT_TIMEOUT_MS_DEFAULT);
        assert_string_equal(c.last, "timeout_ms=abc");

        const char *bad_timeouts[] = {"timeout_ms=",
                                      "timeout_ms=0",
                                      "timeout_ms=-5",
                                      "timeout_ms= 5",
                                      "timeout_ms=+5",
                                      "timeout_ms=10001",
                                      "timeout_ms=99999999999999999999",
                                      "timeout_ms=5ms"};
        for (size_t i = 0; i < sizeof bad_timeouts / sizeof *bad_timeouts; i++) {
                c.n = 0;
                assert_int_equal(PARSE(&a, &c, "timeout_ms=40", bad_timeouts[i]), 1);
                assert_int_equal(a.timeout_ms, 40);
                assert_string_equal(c.last, bad_timeouts[i]);
        }

        c.n = 0;
        assert_int_equal(PARSE(&a, &c, "socket=/run/a.sock", "socket="), 1);
        assert_string_equal(a.socket_path, "/run/a.sock");
        assert_int_equal(PARSE(&a, &c, "socket=relative.sock"), 1);
        assert_string_equal(a.socket_path, PW_SOCKET_DEFAULT);
        char longpath[200] = "socket=/";
        memset(longpath + 8, 'a', 120);
        assert_int_equal(PARSE(&a, &c, longpath), 1);
        assert_string_equal(a.socket_path, PW_SOCKET_DEFAULT);

        assert_int_equal(PARSE(&a, &c, "fail=closed", "fail=maybe"), 1);
        assert_true(a.fail_closed);
        assert_int_equal(PARSE(&a, &c, "fail="), 1);
        assert_false(a.fail_closed);
}

static void unknown_words_are_reported(void **state) {
        struct pw_pam_args a;
        struct complaints c = {0};
        assert_int_equal(PARSE(&a, &c, "debug", "bogus", "socket", "Debug", "timeout_ms"), 4);
        assert_int_equal(c.n, 4);
        assert_string_equal(c.last, "timeout_ms");
        assert_true(a.debug);
        /* NULL complaint callback and NULL words are fine. */
        const char *words[] = {NULL, "nonsense"};
        assert_int_equal(pw_pam_args_parse(2, words, &a, NULL, NULL), 1);
}

static void skip_list_matches_whole_names(void **state) {
        struct pw_pam_args a;
        struct complaints c = {0};
        PARSE(&a, &c, "debug");
        assert_true(pw_pam_args_skips(&a, "cron"));
        assert_true(pw_pam_args_skips(&a, "sudo"));
        assert_true(pw_pam_args_skips(&a, "su"));
        assert_true(pw_pam_args_skips(&a, "systemd-user"));
        assert_false(pw_pam_args_skips(&a, "login"));
        assert_false(pw_pam_args_skips(&a, "sshd"));
        assert_false(pw_pam_args_skips(&a, "sud"));
        assert_false(pw_pam_args_skips(&a, "systemd"));
        assert_false(pw_pam_args_skips(&a, ""));
        assert_false(pw_pam_args_skips(&a, NULL));

        PARSE(&a, &c, "skip=gdm-password,,kiosk,");
        assert_true(pw_pam_args_skips(&a, "kiosk"));
        assert_true(pw_pam_args_skips(&a, "gdm-password"));
        assert_false(pw_pam_args_skips(&a, "cron"));
        assert_false(pw_pam_args_skips(&a, "gdm"));

        PARSE(&a, &c, "skip=");
        assert_false(pw_pam_args_skips(&a, "cron"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(defaults),
                cmocka_unit_test(every_option),
                cmocka_unit_test(bad_values_keep_what_was_in_force),
                cmocka_unit_test(unknown_words_are_reported),
                cmocka_unit_test(skip_list_matches_whole_names),
        };
        return cmocka_run_group_tests_name("pam_args", tests, NULL, NULL);
}
