/* The policy loader and validator: every bad policy gives -EINVAL and an error naming the file,
 * line, column and rule; a good policy loads; a bad reload leaves the old policy usable. */
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

#include "postwarden/policy.h"

struct fixture {
        char dir[64]; /* a scratch directory for policy and term-list files */
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof *f);
        if (!f)
                return -1;
        snprintf(f->dir, sizeof f->dir, "/tmp/pw-test-load-XXXXXX");
        if (!mkdtemp(f->dir))
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
        int r = system(cmd);
        free(f);
        return r == 0 ? 0 : -1;
}

static void write_file(const struct fixture *f, const char *name, const char *content, size_t len) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", f->dir, name);
        FILE *fp = fopen(path, "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(content, 1, len, fp), len);
        assert_int_equal(fclose(fp), 0);
}

/* Loads `json` as <dir>/policy.json with `flags` and expects the error at line:column with
 * `rule` ("" for none) and `text` in the message. */
static void expect_error_flags(const struct fixture *f, unsigned flags, const char *json, int line,
                               int column, const char *rule, const char *text) {
        write_file(f, "policy.json", json, strlen(json));
        char path[256];
        snprintf(path, sizeof path, "%s/policy.json", f->dir);
        struct pw_policy *p = (struct pw_policy *)0x1;
        struct pw_error err = {0};
        int r = pw_policy_load(path, NULL, flags, &p, &err);
        char buf[512];
        pw_error_format(&err, buf, sizeof buf);
        print_message("error: %s\n", buf);
        assert_int_equal(r, -EINVAL);
        assert_ptr_equal(p, (struct pw_policy *)0x1); /* untouched on failure */
        assert_string_equal(err.file, path);
        assert_int_equal(err.line, line);
        assert_int_equal(err.column, column);
        assert_string_equal(err.rule, rule);
        assert_non_null(strstr(err.text, text));
}

/* The same, validating only (as `policy check` does). */
static void expect_error(const struct fixture *f, const char *json, int line, int column,
                         const char *rule, const char *text) {
        expect_error_flags(f, PW_POLICY_NO_COMPILE, json, line, column, rule, text);
}

#define RULE_HEAD "{\"rules\": [\n  {\"id\": \"r1\", \"action\": \"warn\", \"message\": \"m\",\n"

static void syntax_error(void **state) {
        /* jansson reports the column where it gave up */
        expect_error(*state, "{\"rules\": [\n  {\"id\": \"r1\",,\n]}", 2, 15, "", "expected");
}

static void duplicate_key(void **state) {
        expect_error(*state,
                     RULE_HEAD "   \"match\": {\"terms\": [\"a\"]}, \"action\": \"block\"}]}", 3,
                     38, "", "duplicate object key");
}

static void unknown_key(void **state) {
        expect_error(*state, RULE_HEAD "   \"match\": {\"terms\": [\"a\"]}, \"colour\": 1}]}", 3,
                     31, "r1", "unknown key \"colour\"");
}

static void unknown_top_level_key(void **state) {
        expect_error(*state, "{\"rules\": [],\n \"rulez\": []}", 2, 2, "", "unknown key \"rulez\"");
}

static void wrong_type(void **state) {
        expect_error(*state,
                     RULE_HEAD "   \"match\": {\"terms\": [\"a\"]}, \"overridable\": \"yes\"}]}", 3,
                     46, "r1", "\"overridable\" must be true or false");
}

static void wrong_type_in_match(void **state) {
        expect_error(*state, RULE_HEAD "   \"match\": {\"terms\": \"a\"}}]}", 3, 23, "r1",
                     "\"terms\" must be an array");
}

static void empty_term(void **state) {
        expect_error(*state, RULE_HEAD "   \"match\": {\"terms\": [\"ok\",\n  \"  \"]}}]}", 4, 3,
                     "r1", "empty term");
}

static void invisible_term(void **state) {
        /* only zero-width characters: nothing left to match after normalisation */
        expect_error(*state, RULE_HEAD "   \"match\": {\"terms\": [\"ok\", \"\\u200b\\u200d\"]}}]}",
                     3, 30, "r1", "nothing to match");
}

static void bad_regex(void **state) {
        expect_error(*state, RULE_HEAD "   \"match\": {\"regexes\": [\"(unclosed\"]}}]}", 3, 26,
                     "r1", "regex rejected by vectorscan");
}

static void regex_matching_empty(void **state) {
        expect_error(*state, RULE_HEAD "   \"match\": {\"regexes\": [\"a*\"]}}]}", 3, 26, "r1",
                     "regex rejected by vectorscan");
}

/* vectorscan parses this regex but cannot compile it ("Pattern is too large"): rejected with
 * its rule and position both when only validating (compiled alone) and when loading for use
 * (compiled with the others by the matcher, the validation having only parsed it). */
static void regex_too_large_to_compile(void **state) {
        const char *json =
                RULE_HEAD "   \"match\": {\"regexes\": [\"[a-z]{30}\\\\d{30}[a-z]{30}\"]}}]}";
        expect_error_flags(*state, PW_POLICY_NO_COMPILE, json, 3, 26, "r1",
                           "regex rejected by vectorscan: Pattern is too large");
        expect_error_flags(*state, 0, json, 3, 26, "r1",
                           "regex rejected by vectorscan: Pattern is too large");
}

static void unknown_detector(void **state) {
        expect_error(*state, RULE_HEAD "   \"match\": {\"detectors\": [\"iban\", \"ibam\"]}}]}", 3,
                     36, "r1", "unknown detector \"ibam\"");
}

static void unknown_mode(void **state) {
        expect_error(*state,
                     RULE_HEAD "   \"match\": {\"terms\": [\"a\"]},\n   \"modes\": [\"any\", "
                               "\"weekend\"]}]}",
                     4, 21, "r1", "unknown mode \"weekend\"");
}

static void unknown_action(void **state) {
        expect_error(*state,
                     "{\"rules\": [{\"id\": \"r1\", \"action\": \"maybe\", \"message\": \"m\", "
                     "\"match\": {\"terms\": [\"a\"]}}]}",
                     1, 35, "r1", "unknown action");
}

static void missing_key(void **state) {
        expect_error(*state, "{\"rules\": [\n  {\"id\": \"r1\", \"match\": {\"terms\": [\"a\"]}}]}",
                     2, 3, "r1", "needs \"action\"");
}

static void missing_term_file(void **state) {
        expect_error(*state,
                     "{\"term_lists\": {\"codes\":\n   {\"file\": \"nope.txt\"}},\n"
                     " \"rules\": [{\"id\": \"r7\", \"action\": \"block\", \"message\": \"m\", "
                     "\"match\": {\"lists\": [\"codes\"]}}]}",
                     2, 13, "r7", "cannot read");
}

static void unknown_list(void **state) {
        expect_error(*state, RULE_HEAD "   \"match\": {\"lists\": [\"nope\"]}}]}", 3, 24, "r1",
                     "unknown term list \"nope\"");
}

static void invalid_utf8_policy(void **state) {
        expect_error(*state, RULE_HEAD "   \"match\": {\"terms\": [\"caf\xc3\"]}}]}", 3, 27, "",
                     "unable to decode byte");
}

static void invalid_utf8_term_file(void **state) {
        struct fixture *f = *state;
        write_file(f, "codes.txt",
                   "alpha\nbeta\n  g\xff"
                   "amma\n",
                   18);
        char path[256];
        snprintf(path, sizeof path, "%s/policy.json", f->dir);
        const char *json = "{\"term_lists\": {\"codes\": {\"file\": \"codes.txt\"}},\n"
                           " \"rules\": [{\"id\": \"r7\", \"action\": \"block\", \"message\": "
                           "\"m\", \"match\": {\"lists\": [\"codes\"]}}]}";
        write_file(f, "policy.json", json, strlen(json));
        struct pw_policy *p = NULL;
        struct pw_error err = {0};
        assert_int_equal(pw_policy_load(path, NULL, PW_POLICY_NO_COMPILE, &p, &err), -EINVAL);
        char want[256];
        snprintf(want, sizeof want, "%s/codes.txt", f->dir);
        assert_string_equal(err.file, want);
        assert_int_equal(err.line, 3);
        assert_int_equal(err.column, 4); /* after two blanks and 'g' */
        assert_string_equal(err.rule, "r7");
        assert_non_null(strstr(err.text, "invalid UTF-8"));
}

static void duplicate_rule_id(void **state) {
        expect_error(*state,
                     "{\"rules\": [\n"
                     " {\"id\": \"r1\", \"action\": \"warn\", \"message\": \"m\", \"match\": "
                     "{\"terms\": [\"a\"]}},\n"
                     " {\"id\": \"r1\", \"action\": \"warn\", \"message\": \"m\", \"match\": "
                     "{\"terms\": [\"b\"]}}]}",
                     3, 9, "r1", "duplicate rule id");
}

static void term_list_file_ok(void **state) {
        struct fixture *f = *state;
        write_file(f, "codes.txt", "# comment\n\n  Phoenix  \r\nNightingale", 36);
        const char *json = "{\"term_lists\": {\"codes\": {\"file\": \"codes.txt\"}},\n"
                           " \"rules\": [{\"id\": \"r7\", \"action\": \"block\", \"message\": "
                           "\"m\", \"match\": {\"lists\": [\"codes\"]}}]}";
        write_file(f, "policy.json", json, strlen(json));
        char path[256];
        snprintf(path, sizeof path, "%s/policy.json", f->dir);
        struct pw_policy *p = NULL;
        struct pw_error err = {0};
        assert_int_equal(pw_policy_load(path, NULL, PW_POLICY_NO_COMPILE, &p, &err), 0);
        assert_int_equal(strlen(pw_policy_id(p)), 16);
        pw_policy_free(p);
}

static void default_policy_valid(void **state) {
        char path[512];
        snprintf(path, sizeof path, "%s/policy/default/policy.json", getenv("PW_SOURCE_DIR"));
        struct pw_policy *p = NULL;
        struct pw_error err = {0};
        int r = pw_policy_load(path, NULL, PW_POLICY_NO_COMPILE, &p, &err);
        if (r < 0) {
                char buf[512];
                pw_error_format(&err, buf, sizeof buf);
                print_message("%s\n", buf);
        }
        assert_int_equal(r, 0);
        const char *const *d = pw_policy_detectors(p);
        assert_non_null(d);
        assert_non_null(d[0]);
        pw_policy_free(p);
}

/* A process with a good policy keeps it when a reload fails. */
static void bad_reload_keeps_old(void **state) {
        const char *good = "{\"rules\": [{\"id\": \"r1\", \"action\": \"block\", \"message\": "
                           "\"m\", \"match\": {\"terms\": [\"secret plan\"]}}]}";
        const char *bad = "{\"rules\": [{\"id\": \"r1\", \"action\": \"block\", \"message\": "
                          "\"m\", \"match\": {\"terms\": [\"\"]}}]}";
        struct pw_policy *p = NULL, *q;
        struct pw_error err = {0};
        assert_int_equal(pw_policy_load_buffer(good, strlen(good), "good", NULL, NULL, 0, &p, &err),
                         0);
        q = p;
        assert_int_equal(pw_policy_load_buffer(bad, strlen(bad), "bad", NULL, NULL, 0, &q, &err),
                         -EINVAL);
        assert_ptr_equal(q, p);
        struct pw_check_input in = {.text = "the Secret Plan", .len = 15, .mode = PW_MODE_PERSONAL};
        struct pw_verdict *v = NULL;
        assert_int_equal(pw_policy_check(p, &in, &v), 0);
        assert_int_equal(v->action, PW_ACTION_BLOCK);
        pw_verdict_free(v);
        pw_policy_free(p);
}

static void buffer_refuses_files_without_dir(void **state) {
        const char *json = "{\"term_lists\": {\"c\": {\"file\": \"x.txt\"}}, \"rules\": []}";
        struct pw_policy *p = NULL;
        struct pw_error err = {0};
        assert_int_equal(pw_policy_load_buffer(json, strlen(json), "buf", NULL, NULL,
                                               PW_POLICY_NO_COMPILE, &p, &err),
                         -EINVAL);
        assert_int_equal(err.line, 1);
        assert_int_equal(err.column, 31);
        assert_null(p);
}

/* ---- the audit section ---------------------------------------------------------------------- */

static struct pw_policy *load_ok(const char *json) {
        struct pw_policy *p = NULL;
        struct pw_error err = {0};
        int r = pw_policy_load_buffer(json, strlen(json), "buf", NULL, NULL, PW_POLICY_NO_COMPILE,
                                      &p, &err);
        if (r < 0)
                print_message("%s\n", err.text);
        assert_int_equal(r, 0);
        return p;
}

static void audit_defaults_without_section(void **state) {
        (void)state;
        struct pw_policy *p = load_ok("{\"rules\": []}");
        assert_int_equal(pw_policy_retention_days(p), 180);
        assert_int_equal(pw_policy_keep_personal_findings(p), 0);
        pw_policy_free(p);
        /* An empty section keeps the defaults too. */
        p = load_ok("{\"rules\": [], \"audit\": {}}");
        assert_int_equal(pw_policy_retention_days(p), 180);
        assert_int_equal(pw_policy_keep_personal_findings(p), 0);
        pw_policy_free(p);
        assert_int_equal(pw_policy_retention_days(NULL), 180);
        assert_int_equal(pw_policy_keep_personal_findings(NULL), 0);
}

static void audit_values_are_read(void **state) {
        (void)state;
        struct pw_policy *p = load_ok("{\"rules\": [], \"audit\": {\"retention_days\": 30, "
                                      "\"keep_personal_findings\": true}}");
        assert_int_equal(pw_policy_retention_days(p), 30);
        assert_int_equal(pw_policy_keep_personal_findings(p), 1);
        pw_policy_free(p);
        p = load_ok("{\"rules\": [], \"audit\": {\"retention_days\": 3650, "
                    "\"keep_personal_findings\": false}}");
        assert_int_equal(pw_policy_retention_days(p), 3650);
        assert_int_equal(pw_policy_keep_personal_findings(p), 0);
        pw_policy_free(p);
        p = load_ok("{\"rules\": [], \"audit\": {\"retention_days\": 1}}");
        assert_int_equal(pw_policy_retention_days(p), 1);
        pw_policy_free(p);
}

static void audit_retention_out_of_range(void **state) {
        expect_error(*state, "{\"rules\": [],\n \"audit\": {\"retention_days\": 0}}", 2, 30, "",
                     "\"retention_days\" must be in 1..3650");
        expect_error(*state, "{\"rules\": [],\n \"audit\": {\"retention_days\": 3651}}", 2, 30, "",
                     "not 3651");
        expect_error(*state, "{\"rules\": [],\n \"audit\": {\"retention_days\": -5}}", 2, 30, "",
                     "must be in 1..3650");
}

static void audit_wrong_types_and_keys(void **state) {
        expect_error(*state, "{\"rules\": [],\n \"audit\": {\"retention_days\": \"180\"}}", 2, 30,
                     "", "\"retention_days\" must be an integer");
        expect_error(*state, "{\"rules\": [],\n \"audit\": {\"retention_days\": 1.5}}", 2, 30, "",
                     "\"retention_days\" must be an integer");
        expect_error(*state, "{\"rules\": [],\n \"audit\": {\"keep_personal_findings\": 1}}", 2, 38,
                     "", "\"keep_personal_findings\" must be true or false");
        expect_error(*state, "{\"rules\": [],\n \"audit\": {\"retention\": 30}}", 2, 12, "",
                     "unknown key \"retention\" in \"audit\"");
        expect_error(*state, "{\"rules\": [],\n \"audit\": [30]}", 2, 11, "",
                     "\"audit\" must be an object");
}

static void default_policy_audit_section(void **state) {
        (void)state;
        char path[512];
        snprintf(path, sizeof path, "%s/policy/default/policy.json", getenv("PW_SOURCE_DIR"));
        struct pw_policy *p = NULL;
        assert_int_equal(pw_policy_load(path, NULL, PW_POLICY_NO_COMPILE, &p, NULL), 0);
        assert_int_equal(pw_policy_retention_days(p), 180);
        assert_int_equal(pw_policy_keep_personal_findings(p), 0);
        pw_policy_free(p);
}

static void not_an_object(void **state) {
        expect_error(*state, "[1, 2]", 1, 1, "", "must be a JSON object");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(syntax_error),
                cmocka_unit_test(duplicate_key),
                cmocka_unit_test(unknown_key),
                cmocka_unit_test(unknown_top_level_key),
                cmocka_unit_test(wrong_type),
                cmocka_unit_test(wrong_type_in_match),
                cmocka_unit_test(empty_term),
                cmocka_unit_test(invisible_term),
                cmocka_unit_test(bad_regex),
                cmocka_unit_test(regex_matching_empty),
                cmocka_unit_test(regex_too_large_to_compile),
                cmocka_unit_test(unknown_detector),
                cmocka_unit_test(unknown_mode),
                cmocka_unit_test(unknown_action),
                cmocka_unit_test(missing_key),
                cmocka_unit_test(missing_term_file),
                cmocka_unit_test(unknown_list),
                cmocka_unit_test(invalid_utf8_policy),
                cmocka_unit_test(invalid_utf8_term_file),
                cmocka_unit_test(duplicate_rule_id),
                cmocka_unit_test(term_list_file_ok),
                cmocka_unit_test(default_policy_valid),
                cmocka_unit_test(bad_reload_keeps_old),
                cmocka_unit_test(buffer_refuses_files_without_dir),
                cmocka_unit_test(not_an_object),
                cmocka_unit_test(audit_defaults_without_section),
                cmocka_unit_test(audit_values_are_read),
                cmocka_unit_test(audit_retention_out_of_range),
                cmocka_unit_test(audit_wrong_types_and_keys),
                cmocka_unit_test(default_policy_audit_section),
        };
        return cmocka_run_group_tests_name("policy_load", tests, setup, teardown);
}
