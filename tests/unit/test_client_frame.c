/* Unit tests for daemon/frame.c and daemon/msg.c: the framing and the one-spec-per-type message
 * validation shared by postwardend and its clients (docs/service-protocol.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "frame.h"
#include "msg.h"

static void header_limits(void **state) {
        uint32_t n = 7;
        unsigned char zero[4] = {0, 0, 0, 0};
        unsigned char one[4] = {0, 0, 0, 1};
        unsigned char big[4] = {0xff, 0xff, 0xff, 0xff};
        unsigned char cap[4] = {0, 0x11, 0, 0}; /* 1 MiB + 64 KiB exactly */
        unsigned char over[4] = {0, 0x11, 0, 1};
        assert_int_equal(pw_frame_header(zero, PW_FRAME_MAX, &n), -EBADMSG);
        assert_int_equal(n, 7); /* untouched on failure */
        assert_int_equal(pw_frame_header(big, PW_FRAME_MAX, &n), -EMSGSIZE);
        assert_int_equal(pw_frame_header(over, PW_FRAME_MAX, &n), -EMSGSIZE);
        assert_int_equal(pw_frame_header(cap, PW_FRAME_MAX, &n), 0);
        assert_int_equal(n, PW_FRAME_MAX);
        assert_int_equal(pw_frame_header(one, PW_FRAME_MAX, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(pw_frame_header(cap, 1024, &n), -EMSGSIZE);
}

/* buf (len bytes) is one frame: its header gives the rest's length, which decodes back to m. */
static void assert_frame_of(const unsigned char *buf, size_t len, const json_t *m) {
        uint32_t n;
        assert_int_equal(pw_frame_header(buf, PW_FRAME_MAX, &n), 0);
        assert_int_equal((size_t)n + PW_FRAME_HEADER, len);
        json_t *back;
        assert_int_equal(pw_frame_decode(buf + PW_FRAME_HEADER, n, &back, NULL), 0);
        assert_true(json_equal(m, back));
        json_decref(back);
}

static void encode_decode_round_trip(void **state) {
        json_t *m = json_pack("{s:i, s:i, s:s}", "v", 1, "id", 42, "type", "hello");
        unsigned char *buf;
        size_t len;
        assert_int_equal(pw_frame_encode(m, &buf, &len), 0);
        assert_frame_of(buf, len, m);
        assert_memory_equal(buf + 4, "{\"v\":1,\"id\":42,\"type\":\"hello\"}", len - 4);
        free(buf);
        json_decref(m);

        json_t *arr = json_array();
        assert_int_equal(pw_frame_encode(arr, &buf, &len), -EINVAL);
        json_decref(arr);
}

/* The cap holds to the byte, and a message larger than the first buffer comes back whole. */
static void encode_cap_is_exact(void **state) {
        size_t n = PW_FRAME_MAX - 8; /* {"t":"…"} is 8 bytes around the string */
        char *s = malloc(n + 2);
        assert_non_null(s);
        for (size_t i = 0; i < n + 1; i++)
                s[i] = (char)('a' + i % 26);
        s[n] = '\0';
        json_t *m = json_pack("{s:s}", "t", s);
        unsigned char *buf = NULL;
        size_t len = 0;
        assert_int_equal(pw_frame_encode(m, &buf, &len), 0);
        assert_int_equal(len, PW_FRAME_HEADER + PW_FRAME_MAX);
        assert_frame_of(buf, len, m);
        free(buf);
        json_decref(m);

        s[n] = 'z'; /* one byte more */
        s[n + 1] = '\0';
        m = json_pack("{s:s}", "t", s);
        buf = NULL;
        assert_int_equal(pw_frame_encode(m, &buf, &len), -EMSGSIZE);
        assert_null(buf);
        json_decref(m);
        free(s);
}

static void decode_refuses_bad_bodies(void **state) {
        json_t *r = NULL;
        json_error_t e;
        const char *bad[] = {"[1]", "{\"a\":1,\"a\":2}", "{\"a\":\"\xff\"}", "{\"a\":", "3", ""};
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                assert_int_equal(
                        pw_frame_decode((const unsigned char *)bad[i], strlen(bad[i]), &r, &e),
                        -EBADMSG);
        assert_null(r);
}

/* Parses `text` and returns pw_svc_msg_parse()'s result, with its error in err. */
static int parse(const char *text, struct pw_svc_msg *m, struct pw_error *err, json_t **keep) {
        json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
        assert_non_null(root);
        memset(m, 0, sizeof *m);
        int r = pw_svc_msg_parse(root, m, err);
        *keep = root;
        return r;
}

/* A check gives its account in one form only, and the object form has no other keys. */
static void check_account_forms_refused(void **state) {
        struct pw_svc_msg m;
        struct pw_error err;
        json_t *root;
        const char *bad[] = {
                "{\"v\":1,\"id\":1,\"type\":\"check\",\"text\":\"hi\",\"account\":null,"
                "\"account_handle\":\"@a\"}",
                "{\"v\":1,\"id\":1,\"type\":\"check\",\"text\":\"hi\",\"account\":{\"handle\":\"@"
                "a\"},"
                "\"account_id\":\"1\"}",
                "{\"v\":1,\"id\":1,\"type\":\"check\",\"text\":\"hi\",\"account\":{\"name\":\"@a\"}"
                "}",
                "{\"v\":1,\"id\":1,\"type\":\"check\",\"text\":\"hi\",\"account\":{\"handle\":7}}",
                "{\"v\":1,\"id\":1,\"type\":\"check\",\"text\":\"hi\",\"account\":\"@a\"}",
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                err = (struct pw_error){0};
                assert_int_equal(parse(bad[i], &m, &err, &root), -PW_SVC_E_INVALID);
                if (!strstr(err.text, "account"))
                        fail_msg("case %zu: %s", i, err.text);
                json_decref(root);
        }
        /* a bad value inside the object is named as it was given */
        err = (struct pw_error){0};
        assert_int_equal(parse(bad[3], &m, &err, &root), -PW_SVC_E_INVALID);
        if (!strstr(err.text, "\"account.handle\""))
                fail_msg("%s", err.text);
        json_decref(root);
}

static void valid_messages(void **state) {
        struct pw_svc_msg m;
        struct pw_error err;
        json_t *root;
        assert_int_equal(
                parse("{\"v\":1,\"id\":1,\"type\":\"hello\",\"client\":\"t\"}", &m, &err, &root),
                0);
        assert_int_equal(m.type, PW_SVC_HELLO);
        assert_string_equal(m.u.hello.client, "t");
        json_decref(root);

        assert_int_equal(parse("{\"v\":1,\"id\":\"a\",\"type\":\"check\",\"text\":\"hi\","
                               "\"site\":\"x.com\",\"account_handle\":null}",
                               &m, &err, &root),
                         0);
        assert_int_equal(m.type, PW_SVC_CHECK);
        assert_int_equal(m.u.check.text_len, 2);
        assert_null(m.u.check.account_handle);
        assert_string_equal(m.u.check.site, "x.com");
        json_decref(root);

        /* The extension's form of a check, which postwarden-host forwards unchanged. */
        assert_int_equal(parse("{\"v\":1,\"id\":\"a\",\"type\":\"check\",\"site\":\"x.com\","
                               "\"account\":{\"handle\":\"@acme\",\"stable_id\":\"42\"},"
                               "\"text\":\"hi\"}",
                               &m, &err, &root),
                         0);
        assert_string_equal(m.u.check.account_handle, "@acme");
        assert_string_equal(m.u.check.account_id, "42");
        json_decref(root);
        assert_int_equal(parse("{\"v\":1,\"id\":1,\"type\":\"check\",\"site\":\"x.com\","
                               "\"account\":null,\"text\":\"hi\"}",
                               &m, &err, &root),
                         0);
        assert_null(m.u.check.account_handle);
        assert_null(m.u.check.account_id);
        json_decref(root);

        assert_int_equal(
                parse("{\"v\":1,\"id\":3,\"type\":\"post_attempt\",\"site\":\"x.com\","
                      "\"account\":{\"handle\":\"@a\"},\"verdict\":{\"action\":\"block\","
                      "\"overridable\":true},\"posted\":true,\"findings\":[{\"rule\":\"r1\","
                      "\"category\":\"confidential\",\"excerpt\":\"Pro***\"}],"
                      "\"override_justification\":\"approved by legal\"}",
                      &m, &err, &root),
                0);
        assert_int_equal(m.type, PW_SVC_POST_ATTEMPT);
        assert_int_equal(m.u.post.n_findings, 1);
        assert_string_equal(m.u.post.findings[0].rule, "r1");
        assert_true(m.u.post.posted);
        assert_true(m.u.post.overridable);
        assert_null(m.u.post.text);
        pw_svc_msg_done(&m);
        json_decref(root);

        assert_int_equal(parse("{\"v\":1,\"id\":4,\"type\":\"session_open\",\"user\":\"ann\","
                               "\"uid\":1000,\"service\":\"sshd\",\"sessionid\":4294967295,"
                               "\"loginuid\":1000}",
                               &m, &err, &root),
                         0);
        assert_int_equal(m.u.session_open.sessionid, -1);
        assert_int_equal(m.u.session_open.loginuid, 1000);
        json_decref(root);

        /* Admin writes: purge with and without a cutoff, redact. */
        assert_int_equal(parse("{\"v\":1,\"id\":5,\"type\":\"purge\",\"before\":1780000000000000}",
                               &m, &err, &root),
                         0);
        assert_int_equal(m.type, PW_SVC_PURGE);
        assert_true(m.u.purge.has_before);
        assert_int_equal(m.u.purge.before, 1780000000000000LL);
        json_decref(root);
        assert_int_equal(parse("{\"v\":1,\"id\":6,\"type\":\"purge\"}", &m, &err, &root), 0);
        assert_false(m.u.purge.has_before);
        json_decref(root);
        assert_int_equal(
                parse("{\"v\":1,\"id\":6,\"type\":\"purge\",\"before\":null}", &m, &err, &root), 0);
        assert_false(m.u.purge.has_before);
        json_decref(root);
        assert_int_equal(parse("{\"v\":1,\"id\":7,\"type\":\"redact\",\"seq\":42,"
                               "\"reason\":\"erasure #12\"}",
                               &m, &err, &root),
                         0);
        assert_int_equal(m.type, PW_SVC_REDACT);
        assert_int_equal(m.u.redact.seq, 42);
        assert_string_equal(m.u.redact.reason, "erasure #12");
        json_decref(root);
}

static void invalid_messages(void **state) {
        static const struct {
                const char *text;
                int code;
                const char *says;
        } cases[] = {
                {"{\"v\":2,\"id\":1,\"type\":\"hello\"}", PW_SVC_E_VERSION, "version 2"},
                {"{\"id\":1,\"type\":\"hello\"}", PW_SVC_E_INVALID, "v"},
                {"{\"v\":1,\"id\":1,\"type\":\"fly\"}", PW_SVC_E_UNKNOWN_TYPE, "fly"},
                {"{\"v\":1,\"id\":[1],\"type\":\"hello\"}", PW_SVC_E_INVALID, "id"},
                {"{\"v\":1,\"id\":1,\"type\":\"hello\",\"extra\":1}", PW_SVC_E_INVALID, "extra"},
                {"{\"v\":1,\"id\":1,\"type\":\"check\"}", PW_SVC_E_INVALID, "text"},
                {"{\"v\":1,\"id\":1,\"type\":\"check\",\"text\":5}", PW_SVC_E_INVALID, "check"},
                {"{\"v\":1,\"id\":1,\"type\":\"check\",\"text\":\"\",\"site\":3}", PW_SVC_E_INVALID,
                 "site"},
                {"{\"v\":1,\"id\":1,\"type\":\"post_attempt\",\"site\":\"x\",\"account\":null,"
                 "\"verdict\":{\"action\":\"explode\"},\"posted\":false}",
                 PW_SVC_E_INVALID, "action"},
                {"{\"v\":1,\"id\":1,\"type\":\"post_attempt\",\"site\":\"x\",\"account\":null,"
                 "\"verdict\":{\"action\":\"warn\"},\"posted\":false,\"findings\":[{\"rule\":\"r\"}"
                 "]}",
                 PW_SVC_E_INVALID, "findings[0]"},
                {"{\"v\":1,\"id\":1,\"type\":\"session_open\",\"user\":\"a\",\"uid\":-1,"
                 "\"service\":\"s\"}",
                 PW_SVC_E_INVALID, "uid"},
                {"{\"v\":1,\"id\":1,\"type\":\"session_open\",\"user\":\"a\",\"uid\":1,"
                 "\"service\":\"s\",\"sessionid\":\"x\"}",
                 PW_SVC_E_INVALID, "sessionid"},
                {"{\"v\":1,\"id\":1,\"type\":\"status\",\"x\":null}", PW_SVC_E_INVALID, "status"},
                {"{\"v\":1,\"id\":1,\"type\":\"purge\",\"before\":0}", PW_SVC_E_INVALID,
                 "\"before\""},
                {"{\"v\":1,\"id\":1,\"type\":\"purge\",\"before\":1.5}", PW_SVC_E_INVALID,
                 "\"before\""},
                {"{\"v\":1,\"id\":1,\"type\":\"purge\",\"before\":\"2026-01-01\"}",
                 PW_SVC_E_INVALID, "\"before\""},
                {"{\"v\":1,\"id\":1,\"type\":\"purge\",\"cutoff\":1}", PW_SVC_E_INVALID, "cutoff"},
                {"{\"v\":1,\"id\":1,\"type\":\"redact\",\"reason\":\"r\"}", PW_SVC_E_INVALID,
                 "seq"},
                {"{\"v\":1,\"id\":1,\"type\":\"redact\",\"seq\":-3,\"reason\":\"r\"}",
                 PW_SVC_E_INVALID, "\"seq\""},
                {"{\"v\":1,\"id\":1,\"type\":\"redact\",\"seq\":3}", PW_SVC_E_INVALID, "reason"},
                {"{\"v\":1,\"id\":1,\"type\":\"redact\",\"seq\":3,\"reason\":\"\"}",
                 PW_SVC_E_INVALID, "\"reason\""},
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                struct pw_svc_msg m;
                struct pw_error err = {0};
                json_t *root;
                int r = parse(cases[i].text, &m, &err, &root);
                if (r != -cases[i].code || !strstr(err.text, cases[i].says))
                        fail_msg("case %zu: got %d (%s), want %d mentioning %s", i, r, err.text,
                                 -cases[i].code, cases[i].says);
                json_decref(root);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(header_limits),
                cmocka_unit_test(encode_decode_round_trip),
                cmocka_unit_test(encode_cap_is_exact),
                cmocka_unit_test(check_account_forms_refused),
                cmocka_unit_test(decode_refuses_bad_bodies),
                cmocka_unit_test(valid_messages),
                cmocka_unit_test(invalid_messages),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
