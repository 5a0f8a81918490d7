/* Unit tests for cli/audit_util.c: time arguments in several zones, time display, escaping of
 * hostile values, and the three output formats written to a real FILE. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "audit_util.h"

static void set_tz(const char *tz) {
        setenv("TZ", tz, 1);
        tzset();
}

static int64_t parse_ok(const char *s, int64_t now) {
        int64_t us = 0;
        struct pw_error err = {0};
        int r = pw_cli_time_parse(s, now, &us, &err);
        if (r < 0)
                fail_msg("'%s': %s", s, err.text);
        return us;
}

static void time_parse_utc_and_offsets(void **state) {
        set_tz("Europe/Berlin");
        const int64_t t = 1793606400000000LL; /* 2026-11-02T08:00:00Z */
        assert_true(parse_ok("2026-11-02T08:00:00Z", 0) == t);
        assert_true(parse_ok("2026-11-02T08:00Z", 0) == t);
        assert_true(parse_ok("2026-11-02 09:00:00+01:00", 0) == t);
        assert_true(parse_ok("2026-11-02T03:00:00-0500", 0) == t);
        assert_true(parse_ok("2026-11-02T08:00:00.5Z", 0) == t + 500000);
        /* Local time: Berlin is UTC+1 in November, UTC+2 in July. */
        assert_true(parse_ok("2026-11-02T09:00", 0) == t);
        assert_true(parse_ok("2026-11-02", 0) == t - 9 * 3600LL * 1000000);
        assert_true(parse_ok("2026-07-01T02:00", 0) == parse_ok("2026-07-01T00:00Z", 0));
        set_tz("America/New_York");
        assert_true(parse_ok("2026-11-02T03:00", 0) == t);
        set_tz("UTC");
        assert_true(parse_ok("2026-11-02T08:00", 0) == t);
}

static void time_parse_relative(void **state) {
        const int64_t now = 1793606400000000LL;
        assert_true(parse_ok("7d", now) == now - 7 * 86400LL * 1000000);
        assert_true(parse_ok("24h", now) == now - 86400LL * 1000000);
        assert_true(parse_ok("30m", now) == now - 1800LL * 1000000);
        assert_true(parse_ok("90s", now) == now - 90LL * 1000000);
        assert_true(parse_ok("2w", now) == now - 14 * 86400LL * 1000000);
        assert_true(parse_ok("now", now) == now);
}

static void time_parse_refuses(void **state) {
        static const char *const bad[] = {
                "",
                "d",
                "7",
                "7x",
                "-7d",
                "2026-13-01",
                "2026-02-30",
                "2026-11-31",
                "2026-11-02T25:00",
                "2026-11-02T",
                "2026/11/02",
                "2026-11-02T08:00+25:00",
                "2026-11-02T08:00:00.",
                "yesterday",
                "1969-12-31",
                "2026-11-02 08:00 junk",
                "9999999999d",
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                int64_t us = 42;
                struct pw_error err = {0};
                int r = pw_cli_time_parse(bad[i], 0, &us, &err);
                if (r != -EINVAL)
                        fail_msg("'%s' was accepted", bad[i]);
                assert_true(us == 42);
                assert_non_null(strstr(err.text, "is not a time"));
        }
}

static void time_format_zones(void **state) {
        char buf[PW_CLI_TIME_MAX];
        const int64_t t = 1793606400123456LL;
        set_tz("Europe/Berlin");
        assert_string_equal(pw_cli_time_format(t, false, buf), "2026-11-02 09:00:00+01:00");
        assert_string_equal(pw_cli_time_format(t, true, buf), "2026-11-02 08:00:00Z");
        set_tz("Asia/Kolkata");
        assert_string_equal(pw_cli_time_format(t, false, buf), "2026-11-02 13:30:00+05:30");
        set_tz("America/New_York");
        assert_string_equal(pw_cli_time_format(t, false, buf), "2026-11-02 03:00:00-05:00");
        set_tz("UTC");
}

static void escape_hostile(void **state) {
        struct {
                const char *in, *out;
        } cases[] = {
                {"plain @AcmeCorp, \"quoted\"", "plain @AcmeCorp, \"quoted\""},
                {"a\nb\tc\rd", "a\\nb\\tc\\rd"},
                {"\x1b[31mred\x1b[0m", "\\e[31mred\\e[0m"},
                {"bell\x07 del\x7f", "bell\\x07 del\\x7f"},
                {"rtl \xe2\x80\xae"
                 "exe",
                 "rtl \\u202eexe"},
                {"zw\xe2\x80\x8bj", "zw\\u200bj"},
                {"c1 \xc2\x9b"
                 "31m",
                 "c1 \\x9b31m"},
                {"bad \xff\xfe utf8", "bad \\xff\\xfe utf8"},
                {"back\\slash", "back\\\\slash"},
                {"Grüße 日本", "Grüße 日本"},
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                char *e = pw_cli_escape(cases[i].in);
                assert_non_null(e);
                assert_string_equal(e, cases[i].out);
                free(e);
        }
}

static char *render(enum pw_out_format fmt, int with_rows) {
        static const struct pw_out_column cols[] = {
                {"id", NULL},
                {"name", "ACCOUNT"},
                {"note", NULL},
        };
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        struct pw_out *o = pw_out_new(f, fmt, cols, 3);
        assert_non_null(o);
        if (with_rows) {
                assert_int_equal(
                        pw_out_add(o, json_pack("{s:i, s:s, s:s, s:i}", "id", 1, "name",
                                                "@AcmeCorp", "note", "a,\"b\"\nc", "extra_us", 7)),
                        0);
                assert_int_equal(pw_out_add(o, json_pack("{s:i, s:s, s:n}", "id", 22, "name",
                                                         "\x1b[2J\xe2\x80\xae"
                                                         "x",
                                                         "note")),
                                 0);
                assert_int_equal(pw_out_rows(o), 2);
        }
        assert_int_equal(pw_out_finish(o), 0);
        fclose(f);
        return buf;
}

static void output_formats(void **state) {
        char *t = render(PW_OUT_TABLE, 1);
        assert_string_equal(t, "ID  ACCOUNT       NOTE\n"
                               "1   @AcmeCorp     a,\"b\"\\nc\n"
                               "22  \\e[2J\\u202ex  -\n");
        free(t);
        char *c = render(PW_OUT_CSV, 1);
        assert_string_equal(c, "id,name,note\r\n"
                               "1,@AcmeCorp,\"a,\"\"b\"\"\nc\"\r\n"
                               "22,\x1b[2J\xe2\x80\xae"
                               "x,\r\n");
        free(c);
        char *j = render(PW_OUT_JSON, 1);
        assert_string_equal(j, "{\"id\":1,\"name\":\"@AcmeCorp\",\"note\":\"a,\\\"b\\\"\\nc\","
                               "\"extra_us\":7}\n"
                               "{\"id\":22,\"name\":\"\\u001B[2J\xe2\x80\xae"
                               "x\",\"note\":null}\n");
        free(j);
        char *e = render(PW_OUT_CSV, 0);
        assert_string_equal(e, "id,name,note\r\n");
        free(e);
        char *n = render(PW_OUT_JSON, 0);
        assert_string_equal(n, "");
        free(n);
}

static void json_str_repairs_utf8(void **state) {
        json_t *j = pw_cli_json_str("ok \xff end");
        assert_non_null(j);
        assert_string_equal(json_string_value(j), "ok \xef\xbf\xbd end");
        json_decref(j);
        j = pw_cli_json_str("\xe2\x80\xae exact");
        assert_string_equal(json_string_value(j), "\xe2\x80\xae exact");
        json_decref(j);
        j = pw_cli_json_str(NULL);
        assert_true(json_is_null(j));
        json_decref(j);
}

static void open_missing_db(void **state) {
        struct pw_audit *a = NULL;
        assert_int_equal(pw_cli_audit_open("/nonexistent/pw-audit.db", &a), PW_CLI_EXIT_ERROR);
        assert_null(a);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(time_parse_utc_and_offsets),
                cmocka_unit_test(time_parse_relative),
                cmocka_unit_test(time_parse_refuses),
                cmocka_unit_test(time_format_zones),
                cmocka_unit_test(escape_hostile),
                cmocka_unit_test(output_formats),
                cmocka_unit_test(json_str_repairs_utf8),
                cmocka_unit_test(open_missing_db),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
