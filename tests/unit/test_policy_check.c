/* Checking text: matching through the normaliser with exact spans, exceptions, context words,
 * minimum counts, modes, company accounts, the cache, threads, and the verdict's JSON. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "postwarden/policy.h"

static const char policy_json[] =
        "{\"company\": {\"name\": \"Acme Corp\", \"trademarks\": [\"Acme\"]},\n"
        " \"term_lists\": {\"codes\": {\"file\": \"codes.txt\"},\n"
        "                \"clients\": {\"terms\": [\"Globex\"]}},\n"
        " \"accounts\": [\n"
        "   {\"name\": \"acme-x\", \"site\": \"x.com\", \"handle\": \"@AcmeCorp\", \"id\": "
        "\"42\",\n"
        "    \"users\": [\"alice\"], \"groups\": [\"social\"]},\n"
        "   {\"name\": \"acme-li\", \"site\": \"linkedin.com\", \"handle\": \"acme-corp\",\n"
        "    \"users\": [\"bob\"]}],\n"
        " \"rules\": [\n"
        "  {\"id\": \"codes\", \"category\": \"confidential\", \"match\": {\"lists\": "
        "[\"codes\"]},\n"
        "   \"action\": \"block\", \"overridable\": true, \"message\": \"code name\"},\n"
        "  {\"id\": \"ab\", \"match\": {\"terms\": [\"ab\"]}, \"action\": \"warn\", \"message\": "
        "\"ab\"},\n"
        "  {\"id\": \"clients\", \"match\": {\"lists\": [\"clients\"],\n"
        "   \"context\": {\"words\": [\"contract\"], \"distance\": 20}},\n"
        "   \"action\": \"block\", \"message\": \"client\"},\n"
        "  {\"id\": \"twice\", \"match\": {\"terms\": [\"zonk\"], \"min_count\": 2}, \"action\": "
        "\"warn\",\n"
        "   \"message\": \"twice\"},\n"
        "  {\"id\": \"digits\", \"match\": {\"regexes\": [\"[0-9]{3,}\"]}, \"action\": \"warn\",\n"
        "   \"message\": \"digits\"},\n"
        "  {\"id\": \"tm-personal\", \"category\": \"trademark\", \"match\": {\"lists\": "
        "[\"trademarks\"]},\n"
        "   \"modes\": [\"personal\"], \"action\": \"warn\", \"message\": \"tm\"},\n"
        "  {\"id\": \"biz-only\", \"match\": {\"terms\": [\"quarterly numbers\"]}, \"modes\": "
        "[\"business\"],\n"
        "   \"action\": \"block\", \"message\": \"biz\"},\n"
        "  {\"id\": \"cards\", \"category\": \"credit_card\", \"match\": {\"detectors\": "
        "[\"credit_card\"]},\n"
        "   \"action\": \"block\", \"message\": \"card\"},\n"
        "  {\"id\": \"gdpr\", \"match\": {\"detectors\": [\"iban\"], \"min_confidence\": 50},\n"
        "   \"modes\": [\"business\"], \"action\": \"warn\", \"overridable\": true,\n"
        "   \"message\": \"secure channel\"}],\n"
        " \"exceptions\": [{\"terms\": [\"Phoenix Suite\"], \"rules\": [\"codes\"]}]}\n";

struct fixture {
        char dir[64];        /* policy, term list, cache */
        char path[128];      /* the policy file */
        char cache[128];     /* the cache directory */
        struct pw_policy *p; /* compiled, with the cache */
};

static void write_file(const char *path, const char *content, size_t len) {
        FILE *fp = fopen(path, "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(content, 1, len, fp), len);
        assert_int_equal(fclose(fp), 0);
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof *f);
        if (!f)
                return -1;
        snprintf(f->dir, sizeof f->dir, "/tmp/pw-test-check-XXXXXX");
        if (!mkdtemp(f->dir))
                return -1;
        snprintf(f->path, sizeof f->path, "%s/policy.json", f->dir);
        snprintf(f->cache, sizeof f->cache, "%s/cache", f->dir);
        if (mkdir(f->cache, 0700) < 0)
                return -1;
        char codes[128];
        snprintf(codes, sizeof codes, "%s/codes.txt", f->dir);
        static const char codes_txt[] = "Phoenix\nKestrel\n\xe6\x9d\xb1\xe4\xba\xac\n"
                                        "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0\n";
        write_file(codes, codes_txt, sizeof codes_txt - 1);
        write_file(f->path, policy_json, sizeof policy_json - 1);
        struct pw_error err = {0};
        if (pw_policy_load(f->path, f->cache, 0, &f->p, &err) < 0) {
                char buf[512];
                pw_error_format(&err, buf, sizeof buf);
                fprintf(stderr, "%s\n", buf);
                return -1;
        }
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        pw_policy_free(f->p);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
        int r = system(cmd);
        free(f);
        return r == 0 ? 0 : -1;
}

static struct pw_verdict *check_mode(const struct pw_policy *p, const char *text, size_t len,
                                     enum pw_mode mode) {
        struct pw_check_input in = {.text = text, .len = len, .mode = mode};
        struct pw_verdict *v = NULL;
        assert_int_equal(pw_policy_check(p, &in, &v), 0);
        assert_non_null(v);
        return v;
}

static struct pw_verdict *check(const struct pw_policy *p, const char *text) {
        return check_mode(p, text, strlen(text), PW_MODE_PERSONAL);
}

/* The n-th finding of `rule`, or NULL. */
static const struct pw_finding *nth(const struct pw_verdict *v, const char *rule, size_t n) {
        for (size_t i = 0; i < v->n_findings; i++)
                if (!strcmp(v->findings[i].rule_id, rule) && n-- == 0)
                        return &v->findings[i];
        return NULL;
}

static size_t count(const struct pw_verdict *v, const char *rule) {
        size_t n = 0;
        for (size_t i = 0; i < v->n_findings; i++)
                n += !strcmp(v->findings[i].rule_id, rule);
        return n;
}

static void assert_span(const struct pw_finding *f, uint32_t b0, uint32_t b1, uint32_t c0,
                        uint32_t c1, uint32_t u0, uint32_t u1) {
        assert_non_null(f);
        assert_int_equal(f->span.byte_start, b0);
        assert_int_equal(f->span.byte_end, b1);
        assert_int_equal(f->span.cp_start, c0);
        assert_int_equal(f->span.cp_end, c1);
        assert_int_equal(f->span.u16_start, u0);
        assert_int_equal(f->span.u16_end, u1);
}

/* ---- matching ------------------------------------------------------------------------------- */

static void plain_term(void **state) {
        struct fixture *f = *state;
        struct pw_verdict *v = check(f->p, "we ship phoenix soon");
        assert_int_equal(v->action, PW_ACTION_BLOCK);
        assert_int_equal(v->overridable, 1);
        const struct pw_finding *x = nth(v, "codes", 0);
        assert_span(x, 8, 15, 8, 15, 8, 15);
        assert_string_equal(x->category, "confidential");
        assert_string_equal(x->excerpt, "p******");
        assert_null(x->detector);
        pw_verdict_free(v);
}

static void clean_text_allows(void **state) {
        struct fixture *f = *state;
        struct pw_verdict *v = check(f->p, "A lovely day at the beach.");
        assert_int_equal(v->action, PW_ACTION_ALLOW);
        assert_int_equal(v->n_findings, 0);
        pw_verdict_free(v);
}

/* An in-word hit must not hide the whole-word one after it (the SINGLEMATCH pitfall). */
static void whole_word_after_in_word(void **state) {
        struct fixture *f = *state;
        struct pw_verdict *v = check(f->p, "xab abx ab");
        assert_int_equal(count(v, "ab"), 1);
        assert_span(nth(v, "ab", 0), 8, 10, 8, 10, 8, 10);
        pw_verdict_free(v);
        v = check(f->p, "phoenixes and kestrels");
        assert_int_equal(v->n_findings, 0);
        pw_verdict_free(v);
}

static void full_width_term(void **state) {
        struct fixture *f = *state;
        /* Ｐｈｏｅｎｉｘ: 7 full-width letters of 3 bytes */
        struct pw_verdict *v = check(f->p, "\xef\xbc\xb0\xef\xbd\x88\xef\xbd\x8f\xef\xbd\x85"
                                           "\xef\xbd\x8e\xef\xbd\x89\xef\xbd\x98 now");
        assert_span(nth(v, "codes", 0), 0, 21, 0, 7, 0, 7);
        pw_verdict_free(v);
}

static void cyrillic_trademark(void **state) {
        struct fixture *f = *state;
        /* "Асme" with Cyrillic А and с */
        struct pw_verdict *v = check(f->p, "I love \xd0\x90\xd1\x81me!");
        assert_span(nth(v, "tm-personal", 0), 7, 13, 7, 11, 7, 11);
        assert_int_equal(v->action, PW_ACTION_WARN);
        pw_verdict_free(v);
}

static void term_split_by_zwj(void **state) {
        struct fixture *f = *state;
        /* Kes<ZWJ>trel: the joiner inside is covered */
        struct pw_verdict *v = check(f->p, "go Kes\xe2\x80\x8dtrel go");
        assert_span(nth(v, "codes", 0), 3, 13, 3, 11, 3, 11);
        pw_verdict_free(v);
}

static void emoji_before_term(void **state) {
        struct fixture *f = *state;
        /* U+1F600 is 4 bytes, 1 code point, 2 UTF-16 units */
        struct pw_verdict *v = check(f->p, "\xf0\x9f\x98\x80 phoenix");
        assert_span(nth(v, "codes", 0), 5, 12, 2, 9, 3, 10);
        pw_verdict_free(v);
}

static void ten_thousand_emoji(void **state) {
        struct fixture *f = *state;
        size_t n = 10000 * 4;
        char *t = malloc(n + 8);
        assert_non_null(t);
        for (size_t i = 0; i < n; i += 4)
                memcpy(t + i, "\xf0\x9f\x98\x80", 4);
        memcpy(t + n, " Kestrel", 8);
        struct pw_verdict *v = check_mode(f->p, t, n + 8, PW_MODE_PERSONAL);
        assert_int_equal(v->n_findings, 1);
        assert_span(nth(v, "codes", 0), (uint32_t)n + 1, (uint32_t)n + 8, 10001, 10008, 20001,
                    20008);
        pw_verdict_free(v);
        free(t);
}

/* Whole words in scripts without spaces (every ideograph is a boundary) and in Cyrillic. */
static void non_latin_words(void **state) {
        struct fixture *f = *state;
        /* 今日は東京へ: 東京 is code points 3-5, bytes 9-15 */
        struct pw_verdict *v = check(f->p, "\xe4\xbb\x8a\xe6\x97\xa5\xe3\x81\xaf\xe6\x9d\xb1"
                                           "\xe4\xba\xac\xe3\x81\xb8");
        assert_span(nth(v, "codes", 0), 9, 15, 3, 5, 3, 5);
        pw_verdict_free(v);
        /* "МОСКВА!" matches; "Москвич" (a longer word) does not */
        v = check(f->p, "\xd0\x9c\xd0\x9e\xd0\xa1\xd0\x9a\xd0\x92\xd0\x90!");
        assert_span(nth(v, "codes", 0), 0, 12, 0, 6, 0, 6);
        pw_verdict_free(v);
        v = check(f->p, "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb8\xd1\x87");
        assert_int_equal(count(v, "codes"), 0);
        pw_verdict_free(v);
}

static void nul_bytes(void **state) {
        struct fixture *f = *state;
        struct pw_verdict *v = check_mode(f->p, "a\0phoenix\0", 10, PW_MODE_PERSONAL);
        assert_span(nth(v, "codes", 0), 2, 9, 2, 9, 2, 9);
        pw_verdict_free(v);
}

static void invalid_utf8(void **state) {
        struct fixture *f = *state;
        /* \xff and \xe2\x82 (a truncated sequence) are one U+FFFD each */
        struct pw_verdict *v = check(f->p, "\xff\xe2\x82 phoenix \xc0");
        assert_span(nth(v, "codes", 0), 4, 11, 3, 10, 3, 10);
        pw_verdict_free(v);
}

static void only_zero_width(void **state) {
        struct fixture *f = *state;
        struct pw_verdict *v = check(f->p, "\xe2\x80\x8b\xe2\x80\x8c\xe2\x80\x8d\xef\xbb\xbf");
        assert_int_equal(v->action, PW_ACTION_ALLOW);
        assert_int_equal(v->n_findings, 0);
        pw_verdict_free(v);
}

static void bidi_override(void **state) {
        struct fixture *f = *state;
        /* RLO phoenix PDF: the controls are ignored; the span is the word */
        struct pw_verdict *v = check(f->p, "\xe2\x80\xaephoenix\xe2\x80\xac ok");
        const struct pw_finding *x = nth(v, "codes", 0);
        assert_non_null(x);
        assert_int_equal(x->span.byte_start, 3);
        assert_int_equal(x->span.byte_end, 10);
        pw_verdict_free(v);
}

static void empty_text(void **state) {
        struct fixture *f = *state;
        struct pw_verdict *v = check_mode(f->p, NULL, 0, PW_MODE_PERSONAL);
        assert_int_equal(v->action, PW_ACTION_ALLOW);
        pw_verdict_free(v);
}

static void one_mebibyte(void **state) {
        struct fixture *f = *state;
        size_t n = 1 << 20;
        char *t = malloc(n);
        assert_non_null(t);
        for (size_t i = 0; i < n; i++)
                t[i] = "lorem ipsum "[i % 12];
        memcpy(t + n - 9, " kestrel ", 9);
        struct pw_verdict *v = check_mode(f->p, t, n, PW_MODE_PERSONAL);
        assert_int_equal(v->n_findings, 1);
        assert_span(nth(v, "codes", 0), (uint32_t)n - 8, (uint32_t)n - 1, (uint32_t)n - 8,
                    (uint32_t)n - 1, (uint32_t)n - 8, (uint32_t)n - 1);
        pw_verdict_free(v);
        /* a mebibyte of the same word: the list is capped, the action is not */
        for (size_t i = 0; i < n; i++)
                t[i] = "phoenix "[i % 8];
        v = check_mode(f->p, t, n, PW_MODE_PERSONAL);
        assert_int_equal(v->action, PW_ACTION_BLOCK);
        assert_true(v->n_findings > 100 && v->n_findings <= 1000);
        pw_verdict_free(v);
        free(t);
}

static void too_long_or_bad_input(void **state) {
        struct fixture *f = *state;
        struct pw_verdict *v = (struct pw_verdict *)0x1;
        struct pw_check_input in = {.text = NULL, .len = 3};
        assert_int_equal(pw_policy_check(f->p, &in, &v), -EINVAL);
        in.text = "abc";
        in.len = (16u << 20) + 1;
        assert_int_equal(pw_policy_check(f->p, &in, &v), -EINVAL);
        assert_ptr_equal(v, (struct pw_verdict *)0x1);
}

/* ---- rules ---------------------------------------------------------------------------------- */

static void exception_cancels_inside_only(void **state) {
        struct fixture *f = *state;
        struct pw_verdict *v = check(f->p, "Try Phoenix Suite today. Phoenix is next.");
        assert_int_equal(count(v, "codes"), 1);
        assert_span(nth(v, "codes", 0), 25, 32, 25, 32, 25, 32);
        pw_verdict_free(v);
}

static void context_words(void **state) {
        struct fixture *f = *state;
        struct pw_verdict *v = check(f->p, "Globex is big.");
        assert_int_equal(count(v, "clients"), 0);
        pw_verdict_free(v);
        v = check(f->p, "We signed the contract with Globex.");
        assert_int_equal(count(v, "clients"), 1);
        assert_span(nth(v, "clients", 0), 28, 34, 28, 34, 28, 34);
        pw_verdict_free(v);
        v = check(f->p, "contract ........................................ Globex");
        assert_int_equal(count(v, "clients"), 0);
        pw_verdict_free(v);
}

static void min_count(void **state) {
        struct fixture *f = *state;
        struct pw_verdict *v = check(f->p, "zonk");
        assert_int_equal(count(v, "twice"), 0);
        pw_verdict_free(v);
        v = check(f->p, "zonk ZONK");
        assert_int_equal(count(v, "twice"), 2);
        pw_verdict_free(v);
}

/* Leftmost-start regexes report once per end offset; one finding remains. */
static void regex_hits_merge(void **state) {
        struct fixture *f = *state;
        struct pw_verdict *v = check(f->p, "call 1234567 now");
        assert_int_equal(count(v, "digits"), 1);
        assert_span(nth(v, "digits", 0), 5, 12, 5, 12, 5, 12);
        assert_string_equal(nth(v, "digits", 0)->excerpt, "1******");
        pw_verdict_free(v);
}

static void modes(void **state) {
        struct fixture *f = *state;
        const char *t = "Acme quarterly numbers";
        struct pw_verdict *v = check_mode(f->p, t, strlen(t), PW_MODE_PERSONAL);
        assert_int_equal(count(v, "tm-personal"), 1);
        assert_int_equal(count(v, "biz-only"), 0);
        assert_int_equal(v->action, PW_ACTION_WARN);
        pw_verdict_free(v);
        v = check_mode(f->p, t, strlen(t), PW_MODE_BUSINESS);
        assert_int_equal(count(v, "tm-personal"), 0);
        assert_int_equal(count(v, "biz-only"), 1);
        pw_verdict_free(v);
        v = check_mode(f->p, t, strlen(t), PW_MODE_UNKNOWN);
        assert_int_equal(count(v, "tm-personal"), 1);
        assert_int_equal(count(v, "biz-only"), 1);
        assert_int_equal(v->action, PW_ACTION_BLOCK);
        assert_int_equal(v->mode, PW_MODE_UNKNOWN);
        pw_verdict_free(v);
}

/* Detector rules: detections over the original text, with spans in all three units. */
static void detector_rules(void **state) {
        struct fixture *f = *state;
        const char *t = "\xf0\x9f\x98\x80 pay 4111 1111 1111 1111 or DE89 3704 0044 0532 0130 00";
        struct pw_verdict *v = check_mode(f->p, t, strlen(t), PW_MODE_PERSONAL);
        const struct pw_finding *x = nth(v, "cards", 0);
        assert_span(x, 9, 28, 6, 25, 7, 26);
        assert_string_equal(x->detector, "credit_card");
        assert_int_equal(x->overridable, 0);
        assert_null(strstr(x->excerpt, "4111 1111 1111 1111")); /* masked */
        assert_int_equal(v->action, PW_ACTION_BLOCK);
        assert_int_equal(v->overridable, 0);
        assert_int_equal(count(v, "gdpr"), 0); /* personal mode */
        pw_verdict_free(v);
        v = check_mode(f->p, t, strlen(t), PW_MODE_BUSINESS);
        x = nth(v, "gdpr", 0);
        assert_non_null(x);
        assert_string_equal(x->detector, "iban");
        assert_string_equal(x->message, "secure channel");
        assert_int_equal(x->span.byte_start, 32);
        pw_verdict_free(v);
}

/* ---- accounts ------------------------------------------------------------------------------- */

static struct pw_verdict *as(const struct pw_policy *p, const char *site, const char *handle,
                             const char *id, const char *user, const char *const *groups) {
        struct pw_check_input in = {.text = "hello Acme",
                                    .len = 10,
                                    .site = site,
                                    .account_handle = handle,
                                    .account_id = id,
                                    .user = user,
                                    .groups = groups};
        struct pw_verdict *v = NULL;
        assert_int_equal(pw_policy_check(p, &in, &v), 0);
        return v;
}

static void unauthorised_company_account(void **state) {
        struct fixture *f = *state;
        struct pw_verdict *v = as(f->p, "x.com", "@acmecorp", NULL, "mallory", NULL);
        assert_int_equal(v->company_account, 1);
        assert_int_equal(v->authorised, 0);
        assert_int_equal(v->mode, PW_MODE_BUSINESS);
        assert_string_equal(v->account_name, "acme-x");
        assert_int_equal(v->action, PW_ACTION_BLOCK);
        assert_int_equal(v->overridable, 0);
        const struct pw_finding *x = nth(v, "company-account", 0);
        assert_non_null(x);
        assert_string_equal(x->category, "account");
        assert_int_equal(x->overridable, 0);
        assert_int_equal(count(v, "tm-personal"), 0); /* business mode */
        pw_verdict_free(v);
}

static void authorised_by_user_or_group(void **state) {
        struct fixture *f = *state;
        struct pw_verdict *v = as(f->p, "www.x.com", "AcmeCorp", NULL, "alice", NULL);
        assert_int_equal(v->authorised, 1);
        assert_int_equal(v->action, PW_ACTION_ALLOW);
        pw_verdict_free(v);
        const char *const groups[] = {"staff", "social", NULL};
        v = as(f->p, "x.com", "@AcmeCorp", NULL, "carol", groups);
        assert_int_equal(v->authorised, 1);
        assert_int_equal(v->action, PW_ACTION_ALLOW);
        pw_verdict_free(v);
}

static void stable_id_wins(void **state) {
        struct fixture *f = *state;
        /* renamed handle, same id: still the company account */
        struct pw_verdict *v = as(f->p, "x.com", "@AcmeRenamed", "42", "mallory", NULL);
        assert_int_equal(v->company_account, 1);
        assert_int_equal(v->action, PW_ACTION_BLOCK);
        pw_verdict_free(v);
        /* someone took the old handle: a different id is not the company account */
        v = as(f->p, "x.com", "@AcmeCorp", "999", "mallory", NULL);
        assert_int_equal(v->company_account, 0);
        assert_int_equal(v->mode, PW_MODE_PERSONAL);
        pw_verdict_free(v);
}

static void unknown_account_is_stricter(void **state) {
        struct fixture *f = *state;
        struct pw_verdict *v = as(f->p, "x.com", NULL, NULL, "alice", NULL);
        assert_int_equal(v->mode, PW_MODE_UNKNOWN);
        assert_int_equal(count(v, "tm-personal"), 1);
        pw_verdict_free(v);
        v = as(f->p, "x.com", "@someone", NULL, "alice", NULL);
        assert_int_equal(v->mode, PW_MODE_PERSONAL);
        pw_verdict_free(v);
        v = as(f->p, "example.org", NULL, NULL, "alice", NULL);
        assert_int_equal(v->mode, PW_MODE_PERSONAL); /* no company accounts there */
        pw_verdict_free(v);
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static void verdict_json(void **state) {
        struct fixture *f = *state;
        struct pw_verdict *v = check(f->p, "\xf0\x9f\x98\x80 phoenix");
        json_t *j = pw_verdict_to_json(v);
        assert_non_null(j);
        json_error_t e;
        const char *action, *mode, *rule, *cat, *act, *msg, *ex;
        int ov, ca, au, fov, conf;
        json_t *det, *acc, *findings;
        json_int_t b0, b1, c0, c1, u0, u1;
        assert_int_equal(json_unpack_ex(j, &e, 0, "{s:s, s:b, s:s, s:b, s:b, s:o, s:o !}", "action",
                                        &action, "overridable", &ov, "mode", &mode,
                                        "company_account", &ca, "authorised", &au, "account", &acc,
                                        "findings", &findings),
                         0);
        assert_string_equal(action, "block");
        assert_string_equal(mode, "personal");
        assert_true(json_is_null(acc));
        assert_int_equal(json_array_size(findings), 1);
        assert_int_equal(
                json_unpack_ex(json_array_get(findings, 0), &e, 0,
                               "{s:s, s:s, s:o, s:s, s:b, s:i, s:s, s:s, s:{s:[I,I], s:[I,I], "
                               "s:[I,I] !} !}",
                               "rule", &rule, "category", &cat, "detector", &det, "action", &act,
                               "overridable", &fov, "confidence", &conf, "message", &msg, "excerpt",
                               &ex, "span", "bytes", &b0, &b1, "cp", &c0, &c1, "utf16", &u0, &u1),
                0);
        assert_string_equal(rule, "codes");
        assert_true(json_is_null(det));
        assert_int_equal(b0, 5);
        assert_int_equal(c0, 2);
        assert_int_equal(u0, 3);
        assert_int_equal(u1, 10);
        json_decref(j);
        pw_verdict_free(v);
}

/* ---- cache and threads ---------------------------------------------------------------------- */

static void cache_reuse_and_repair(void **state) {
        struct fixture *f = *state;
        struct pw_compile_info info;
        assert_int_equal(pw_policy_compile_info(f->p, &info), 0);
        assert_true(info.cache_file[0]);
        struct pw_policy *q = NULL;
        struct pw_error err = {0};
        assert_int_equal(pw_policy_load(f->path, f->cache, 0, &q, &err), 0);
        assert_int_equal(pw_policy_compile_info(q, &info), 0);
        assert_int_equal(info.from_cache, 1);
        /* from the cache the term-list file is hashed, not parsed: its terms still match */
        struct pw_verdict *hit = check(q, "kestrel");
        assert_int_equal(hit->action, PW_ACTION_BLOCK);
        pw_verdict_free(hit);
        pw_policy_free(q);

        /* an edited term-list file misses the cache: its new terms match, and an invalid one is
         * refused with its line, never served from the old file's cache */
        char codes[128], saved[256];
        snprintf(codes, sizeof codes, "%s/codes.txt", f->dir);
        FILE *cf = fopen(codes, "rb");
        assert_non_null(cf);
        size_t n_saved = fread(saved, 1, sizeof saved, cf);
        fclose(cf);
        write_file(codes, "Kestrel\nOsprey\n", 15);
        assert_int_equal(pw_policy_load(f->path, f->cache, 0, &q, &err), 0);
        assert_int_equal(pw_policy_compile_info(q, &info), 0);
        assert_int_equal(info.from_cache, 0);
        hit = check(q, "osprey");
        assert_int_equal(hit->action, PW_ACTION_BLOCK);
        pw_verdict_free(hit);
        pw_policy_free(q);
        write_file(codes, "Kestrel\nOs\xffprey\n", 16);
        q = NULL;
        assert_int_equal(pw_policy_load(f->path, f->cache, 0, &q, &err), -EINVAL);
        assert_null(q);
        assert_int_equal(err.line, 2);
        assert_non_null(strstr(err.text, "invalid UTF-8"));
        write_file(codes, saved, n_saved);
        assert_int_equal(pw_policy_load(f->path, f->cache, 0, &q, &err), 0);
        assert_int_equal(pw_policy_compile_info(q, &info), 0);
        assert_int_equal(info.from_cache, 1);
        pw_policy_free(q);

        /* flip one byte: in the tables (right after the 80-byte header and the three counts:
         * the file's checksum no longer matches), in the middle and 200 bytes before the end
         * (inside the databases' bytecode: vectorscan's CRC refuses them; a serialised database
         * ends with up to 72 bytes of header padding that deserialisation never reads, so the
         * very last bytes would prove nothing); each time the file is rebuilt */
        for (int at = 0; at < 3; at++) {
                FILE *fp = fopen(info.cache_file, "r+b");
                assert_non_null(fp);
                assert_int_equal(fseek(fp, 0, SEEK_END), 0);
                long size = ftell(fp);
                long off = at == 0 ? 80 + 12 + 2 : at == 1 ? size / 2 : size - 200;
                assert_int_equal(fseek(fp, off, SEEK_SET), 0);
                int c = fgetc(fp);
                assert_int_equal(fseek(fp, off, SEEK_SET), 0);
                fputc(c ^ 0x5a, fp);
                assert_int_equal(fclose(fp), 0);
                assert_int_equal(pw_policy_load(f->path, f->cache, 0, &q, &err), 0);
                assert_int_equal(pw_policy_compile_info(q, &info), 0);
                assert_int_equal(info.from_cache, 0);
                assert_int_equal(info.cache_load_error, EBADMSG);
                assert_int_equal(info.cache_written, 1);
                struct pw_verdict *v = check(q, "phoenix");
                assert_int_equal(v->action, PW_ACTION_BLOCK);
                pw_verdict_free(v);
                pw_policy_free(q);
        }

        /* a truncated file is rebuilt too */
        assert_int_equal(truncate(info.cache_file, 100), 0);
        assert_int_equal(pw_policy_load(f->path, f->cache, 0, &q, &err), 0);
        assert_int_equal(pw_policy_compile_info(q, &info), 0);
        assert_int_equal(info.from_cache, 0);
        pw_policy_free(q);
        assert_int_equal(pw_policy_load(f->path, f->cache, 0, &q, &err), 0);
        assert_int_equal(pw_policy_compile_info(q, &info), 0);
        assert_int_equal(info.from_cache, 1);
        pw_policy_free(q);
}

struct thread_arg {
        const struct pw_policy *p; /* shared */
        int failures;              /* verdicts that differed from the expected one */
};

static void *thread_main(void *arg) {
        struct thread_arg *a = arg;
        static const char *const texts[] = {"nothing here", "phoenix and kestrel",
                                            "contract with Globex", "\xf0\x9f\x98\x80 Acme"};
        static const size_t want[] = {0, 2, 1, 1};
        for (int i = 0; i < 400; i++) {
                size_t k = (size_t)i % 4;
                struct pw_check_input in = {
                        .text = texts[k], .len = strlen(texts[k]), .mode = PW_MODE_PERSONAL};
                struct pw_verdict *v = NULL;
                if (pw_policy_check(a->p, &in, &v) < 0 || v->n_findings != want[k])
                        a->failures++;
                pw_verdict_free(v);
        }
        return NULL;
}

static void threads(void **state) {
        struct fixture *f = *state;
        pthread_t t[4];
        struct thread_arg a[4];
        for (int i = 0; i < 4; i++) {
                a[i] = (struct thread_arg){f->p, 0};
                assert_int_equal(pthread_create(&t[i], NULL, thread_main, &a[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
                assert_int_equal(pthread_join(t[i], NULL), 0);
                assert_int_equal(a[i].failures, 0);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(plain_term),
                cmocka_unit_test(clean_text_allows),
                cmocka_unit_test(whole_word_after_in_word),
                cmocka_unit_test(full_width_term),
                cmocka_unit_test(cyrillic_trademark),
                cmocka_unit_test(term_split_by_zwj),
                cmocka_unit_test(emoji_before_term),
                cmocka_unit_test(ten_thousand_emoji),
                cmocka_unit_test(non_latin_words),
                cmocka_unit_test(nul_bytes),
                cmocka_unit_test(invalid_utf8),
                cmocka_unit_test(only_zero_width),
                cmocka_unit_test(bidi_override),
                cmocka_unit_test(empty_text),
                cmocka_unit_test(one_mebibyte),
                cmocka_unit_test(too_long_or_bad_input),
                cmocka_unit_test(exception_cancels_inside_only),
                cmocka_unit_test(context_words),
                cmocka_unit_test(min_count),
                cmocka_unit_test(regex_hits_merge),
                cmocka_unit_test(modes),
                cmocka_unit_test(detector_rules),
                cmocka_unit_test(unauthorised_company_account),
                cmocka_unit_test(authorised_by_user_or_group),
                cmocka_unit_test(stable_id_wins),
                cmocka_unit_test(unknown_account_is_stricter),
                cmocka_unit_test(verdict_json),
                cmocka_unit_test(cache_reuse_and_repair),
                cmocka_unit_test(threads),
        };
        return cmocka_run_group_tests_name("policy_check", tests, setup, teardown);
}
