/* The names of actions and modes are part of the policy format and the protocol. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "postwarden/policy.h"

static void action_names(void **state) {
        assert_string_equal(pw_action_name(PW_ACTION_ALLOW), "allow");
        assert_string_equal(pw_action_name(PW_ACTION_WARN), "warn");
        assert_string_equal(pw_action_name(PW_ACTION_BLOCK), "block");
        assert_string_equal(pw_action_name((enum pw_action)42), "invalid");
}

static void mode_names(void **state) {
        assert_string_equal(pw_mode_name(PW_MODE_PERSONAL), "personal");
        assert_string_equal(pw_mode_name(PW_MODE_BUSINESS), "business");
        assert_string_equal(pw_mode_name(PW_MODE_UNKNOWN), "unknown");
        assert_string_equal(pw_mode_name((enum pw_mode)0), "invalid");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(action_names),
                cmocka_unit_test(mode_names),
        };
        return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
