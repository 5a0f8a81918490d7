/* Unit tests for nmhost/proto.c, cache.c and config.c: dispatch in-process, the verdict cache,
 * reply trimming, the configuration file and the caller check. The same requests over the real
 * binary are in tests/integration/test_nm_host.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "postwarden/nmhost.h"
#include "postwarden/policy.h"

struct fixture {
        struct pw_policy *policy; /* a small policy with one very long message */
        struct pw_nm_host *host;  /* standalone on it */
};

/* One rule on "zebra" whose message is 1000 bytes: 1000 findings make a verdict of ~1.3 MB. */
static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof *f);
        char msg[1001];
        memset(msg, 'm', sizeof msg - 1);
        msg[sizeof msg - 1] = '\0';
        json_t *p = json_pack("{s:i, s:{s:s}, s:[{s:s, s:s, s:{s:[s]}, s:[s], s:s, s:b, s:s}]}",
                              "version", 1, "company", "name", "Test", "rules", "id", "zebra",
                              "category", "confidential", "match", "terms", "zebra", "modes", "any",
                              "action", "block", "overridable", 0, "message", msg);
        char *s = json_dumps(p, 0);
        json_decref(p);
        struct pw_error err = {0};
        int k = pw_policy_load_buffer(s, strlen(s), "test.json", NULL, NULL, 0, &f->policy, &err);
        free(s);
        if (k < 0) {
                char buf[512];
                pw_error_format(&err, buf, sizeof buf);
                fprintf(stderr, "policy: %s\n", buf);
                return -1;
        }
        struct pw_nm_host_options o = {.policy = f->policy, .caller = "test"};
        if (pw_nm_host_new(&o, &f->host, NULL) < 0)
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        pw_nm_host_free(f->host);
        pw_policy_free(f->policy);
        free(f);
        return 0;
}

/* Sends `req` (stolen) and returns the parsed reply. */
static json_t *ask(struct pw_nm_host *h, json_t *req) {
        char *s = json_dumps(req, JSON_COMPACT);
        json_decref(req);
        char *reply = NULL;
        size_t len = 0;
        assert_int_equal(pw_nm_host_handle(h, s, strlen(s), &reply, &len), 0);
        free(s);
        assert_true(len <= PW_NM_REPLY_MAX);
        assert_int_equal(strlen(reply), len);
        json_t *j = json_loadb(reply, len, 0, NULL);
        assert_non_null(j);
        pw_nm_reply_free(reply, len);
        return j;
}

static json_t *check(const char *handle, const char *text) {
        return json_pack("{s:i, s:i, s:s, s:s, s:o, s:s}", "v", 1, "id", 1, "type", "check", "site",
                         "x.com", "account",
                         handle ? json_pack("{s:s}", "handle", handle) : json_null(), "text", text);
}

static void identical_checks_come_from_the_cache(void **state) {
        struct fixture *f = *state;
        json_t *a = ask(f->host, check("@me", "a zebra here"));
        json_t *b = ask(f->host, check("@me", "a zebra here"));
        json_t *c = ask(f->host, check("@other", "a zebra here"));
        json_t *d = ask(f->host, check(NULL, "a zebra here"));
        assert_false(json_is_true(json_object_get(a, "cached")));
        assert_true(json_is_true(json_object_get(b, "cached")));
        assert_false(json_is_true(json_object_get(c, "cached")));
        assert_false(json_is_true(json_object_get(d, "cached")));
        assert_true(json_equal(json_object_get(a, "verdict"), json_object_get(b, "verdict")));
        assert_string_equal(
                json_string_value(json_object_get(json_object_get(a, "verdict"), "action")),
                "block");
        json_decref(a);
        json_decref(b);
        json_decref(c);
        json_decref(d);
}

static void cache_is_bounded(void **state) {
        /* 64 entries by default: after 200 other drafts the first is evaluated afresh. */
        struct fixture *f = *state;
        json_decref(ask(f->host, check(NULL, "draft zero")));
        char t[64];
        for (int i = 1; i <= 200; i++) {
                snprintf(t, sizeof t, "draft %d", i);
                json_decref(ask(f->host, check(NULL, t)));
        }
        json_t *r = ask(f->host, check(NULL, "draft zero"));
        assert_false(json_is_true(json_object_get(r, "cached")));
        json_decref(r);
        r = ask(f->host, check(NULL, "draft 200"));
        assert_true(json_is_true(json_object_get(r, "cached")));
        json_decref(r);
}

static void oversized_verdict_is_trimmed_to_fit(void **state) {
        struct fixture *f = *state;
        size_t n = 1000;
        char *text = malloc(n * 6 + 1);
        for (size_t i = 0; i < n; i++)
                memcpy(text + 6 * i, "zebra ", 6);
        text[n * 6] = '\0';
        json_t *r = ask(f->host, check(NULL, text));
        free(text);
        json_t *v = json_object_get(r, "verdict");
        assert_string_equal(json_string_value(json_object_get(v, "action")), "block");
        size_t kept = json_array_size(json_object_get(v, "findings"));
        json_int_t trimmed = json_integer_value(json_object_get(r, "findings_trimmed"));
        assert_true(kept > 0 && trimmed > 0);
        fprintf(stderr, "kept %zu findings, trimmed %lld\n", kept, (long long)trimmed);
        json_decref(r);
        /* Asked again (from the cache), the same trimmed reply. */
        text = malloc(n * 6 + 1);
        for (size_t i = 0; i < n; i++)
                memcpy(text + 6 * i, "zebra ", 6);
        text[n * 6] = '\0';
        r = ask(f->host, check(NULL, text));
        free(text);
        assert_true(json_is_true(json_object_get(r, "cached")));
        assert_int_equal(json_integer_value(json_object_get(r, "findings_trimmed")), trimmed);
        json_decref(r);
}

static void errors_carry_the_request_id(void **state) {
        struct fixture *f = *state;
        json_t *r = ask(f->host, json_pack("{s:i, s:s, s:s}", "v", 1, "id", "abc", "type", "x"));
        assert_string_equal(json_string_value(json_object_get(r, "id")), "abc");
        assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "error"), "code")),
                         PW_NM_E_UNKNOWN_TYPE);
        json_decref(r);
        char longid[200];
        memset(longid, 'i', sizeof longid - 1);
        longid[sizeof longid - 1] = '\0';
        r = ask(f->host, json_pack("{s:i, s:s, s:s}", "v", 1, "id", longid, "type", "hello"));
        assert_true(json_is_null(json_object_get(r, "id")));
        assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "error"), "code")),
                         PW_NM_E_BAD_ENVELOPE);
        json_decref(r);
}

static void every_code_has_a_name(void **state) {
        const int codes[] = {100, 101, 102, 103, 104, 105, 200, 201, 202, 203,
                             204, 300, 400, 401, 402, 403, 500, 501, 502};
        for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
                assert_string_not_equal(pw_nm_code_name(codes[i]), "unknown");
        assert_string_equal(pw_nm_code_name(999), "unknown");
}

/* ---- configuration and caller ---------------------------------------------------------------- */

static char *write_tmp(const char *content) {
        char *path = strdup("/tmp/pw-nm-config.XXXXXX");
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
        close(fd);
        return path;
}

static void config_good_and_bad(void **state) {
        struct pw_nm_config *c = NULL;
        struct pw_error err = {0};
        char *p = write_tmp("{\"allowed_extensions\":[\"abcdefghijklmnopabcdefghijklmnop\","
                            "\"x@y\"],\"socket\":\"/run/x.sock\",\"timeout_ms\":100}");
        assert_int_equal(pw_nm_config_load(p, &c, &err), 0);
        assert_true(pw_nm_config_allows(c, "x@y"));
        assert_false(pw_nm_config_allows(c, "x@z"));
        assert_string_equal(pw_nm_config_socket(c), "/run/x.sock");
        assert_int_equal(pw_nm_config_timeout_ms(c), 100);
        assert_null(pw_nm_config_policy(c));
        pw_nm_config_free(c);
        unlink(p);
        free(p);

        const char *bad[] = {
                "{\"allowed_extensions\":[\"a b\"]}",  /* not an id */
                "{\"allowed_extensions\":\"abc\"}",    /* not an array */
                "{\"allowed_extensions\":[],\"x\":1}", /* unknown key */
                "{\"allowed_extensions\":[], \"timeout_ms\":-5}",
                "{\"allowed_extensions\":[]", /* not JSON */
                "{}",                         /* no list */
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                p = write_tmp(bad[i]);
                c = (void *)1;
                assert_int_equal(pw_nm_config_load(p, &c, &err), -EINVAL);
                assert_ptr_equal(c, (void *)1);
                assert_true(err.text[0] != '\0');
                unlink(p);
                free(p);
        }
        assert_int_equal(pw_nm_config_load("/nonexistent/host.json", &c, &err), -ENOENT);
}

static void caller_ids(void **state) {
        char id[160];
        char *chrome[] = {"chrome-extension://abcdefghijklmnopabcdefghijklmnop/"};
        assert_int_equal(pw_nm_caller_id(1, chrome, id, sizeof id, NULL), 0);
        assert_string_equal(id, "abcdefghijklmnopabcdefghijklmnop");
        char *noslash[] = {"chrome-extension://abcdefghijklmnopabcdefghijklmnop"};
        assert_int_equal(pw_nm_caller_id(1, noslash, id, sizeof id, NULL), 0);
        char *firefox[] = {"/usr/lib/mozilla/native-messaging-hosts/com.postwarden.host.json",
                           "postwarden@example.com"};
        assert_int_equal(pw_nm_caller_id(2, firefox, id, sizeof id, NULL), 0);
        assert_string_equal(id, "postwarden@example.com");
        char *bad1[] = {"chrome-extension:///"};
        char *bad2[] = {"chrome-extension://abc/def"};
        char *bad3[] = {"/only/a/manifest.json"};
        char *bad4[] = {"m.json", "evil id"};
        struct pw_error err;
        assert_int_equal(pw_nm_caller_id(1, bad1, id, sizeof id, &err), -EINVAL);
        assert_int_equal(pw_nm_caller_id(1, bad2, id, sizeof id, &err), -EINVAL);
        assert_int_equal(pw_nm_caller_id(1, bad3, id, sizeof id, &err), -EINVAL);
        assert_int_equal(pw_nm_caller_id(2, bad4, id, sizeof id, &err), -EINVAL);
        assert_int_equal(pw_nm_caller_id(0, NULL, id, sizeof id, &err), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(identical_checks_come_from_the_cache),
                cmocka_unit_test(cache_is_bounded),
                cmocka_unit_test(oversized_verdict_is_trimmed_to_fit),
                cmocka_unit_test(errors_carry_the_request_id),
                cmocka_unit_test(every_code_has_a_name),
                cmocka_unit_test(config_good_and_bad),
                cmocka_unit_test(caller_ids),
        };
        return cmocka_run_group_tests_name("nm_proto", tests, setup, teardown);
}
