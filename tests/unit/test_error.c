/* Unit tests for include/postwarden/error.h: the one place error positions are formatted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "postwarden/error.h"

static void full_position_and_rule(void **state) {
        struct pw_error e;
        char buf[512];
        pw_error_set(&e, "/etc/postwarden/policy.json", 12, 7, "no-codenames", "empty term %d", 3);
        pw_error_format(&e, buf, sizeof buf);
        assert_string_equal(buf,
                            "/etc/postwarden/policy.json:12:7: rule no-codenames: empty term 3");
}

static void unknown_parts_are_left_out(void **state) {
        struct pw_error e;
        char buf[512];
        pw_error_set(&e, NULL, 0, 0, NULL, "out of memory");
        pw_error_format(&e, buf, sizeof buf);
        assert_string_equal(buf, "out of memory");
        pw_error_set(&e, "terms.txt", 4, 0, NULL, "not UTF-8");
        pw_error_format(&e, buf, sizeof buf);
        assert_string_equal(buf, "terms.txt:4: not UTF-8");
}

static void long_text_is_truncated_not_overflowed(void **state) {
        struct pw_error e;
        char big[1000];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        pw_error_set(&e, big, 1, 1, big, "%s", big);
        assert_int_equal(strlen(e.text), sizeof e.text - 1);
        assert_int_equal(strlen(e.file), sizeof e.file - 1);
        assert_int_equal(strlen(e.rule), sizeof e.rule - 1);
        char small[16];
        pw_error_format(&e, small, sizeof small);
        assert_int_equal(strlen(small), sizeof small - 1);
}

static void null_error_is_ignored(void **state) {
        pw_error_set(NULL, "f", 1, 1, "r", "nothing happens");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(full_position_and_rule),
                cmocka_unit_test(unknown_parts_are_left_out),
                cmocka_unit_test(long_text_is_truncated_not_overflowed),
                cmocka_unit_test(null_error_is_ignored),
        };
        return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
