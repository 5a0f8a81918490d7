/* Fuzz target: pw_policy_check() on arbitrary text against one fixed compiled policy (terms,
 * term lists, a regex, context words, min_count, an exception, modes and company accounts).
 * The first input byte picks the mode and the acting account; the rest is the text.
 *
 * Beyond "no crash": every span must lie inside the text with start <= end, code points <=
 * bytes and code points <= UTF-16 units <= 2 * code points, every excerpt must be valid UTF-8
 * (the JSON verdict must build), and the action must be the strictest finding's. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postwarden/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char policy_json[] =
        "{\"company\": {\"name\": \"Acme Corp\", \"trademarks\": [\"Acme\", \"AcmeCloud\"]},"
        " \"term_lists\": {\"codes\": {\"terms\": [\"Phoenix\", \"Kestrel\", \"Project Bluebird\","
        "  \"\\u00dfeta\", \"\\ufb01sh\", \"\\u6771\\u4eac\", \"caf\\u00e9\"]}},"
        " \"accounts\": [{\"name\": \"acme-x\", \"site\": \"x.com\", \"handle\": \"@AcmeCorp\","
        "  \"id\": \"42\", \"users\": [\"alice\"], \"groups\": [\"social\"]}],"
        " \"rules\": ["
        "  {\"id\": \"codes\", \"match\": {\"lists\": [\"codes\"]}, \"action\": \"block\","
        "   \"overridable\": true, \"message\": \"m\"},"
        "  {\"id\": \"tm\", \"match\": {\"lists\": [\"trademarks\"]}, \"modes\": [\"personal\"],"
        "   \"action\": \"warn\", \"message\": \"m\"},"
        "  {\"id\": \"inword\", \"match\": {\"terms\": [\"ab\"], \"whole_word\": false},"
        "   \"action\": \"warn\", \"message\": \"m\"},"
        "  {\"id\": \"ctx\", \"match\": {\"terms\": [\"globex\"], \"context\": {\"words\":"
        "   [\"contract\"], \"distance\": 10}, \"min_count\": 2}, \"action\": \"block\","
        "   \"modes\": [\"business\"], \"message\": \"m\"},"
        "  {\"id\": \"digits\", \"match\": {\"regexes\": [\"[0-9]{4,}\", \"x\\\\s+y\"]},"
        "   \"action\": \"warn\", \"message\": \"m\"},"
        "  {\"id\": \"det\", \"match\": {\"detectors\": [\"credit_card\", \"iban\", \"email\","
        "   \"aws_key\"], \"context\": {\"words\": [\"pay\"], \"distance\": 30}},"
        "   \"action\": \"block\", \"message\": \"m\"}],"
        " \"exceptions\": [{\"terms\": [\"Phoenix Suite\"]}]}";

static int bad_span(const struct pw_span *s, size_t len) {
        return s->byte_start > s->byte_end || s->byte_end > len || s->cp_start > s->cp_end ||
               s->u16_start > s->u16_end || s->cp_end > s->byte_end ||
               s->cp_start > s->byte_start || s->u16_start < s->cp_start ||
               s->u16_end < s->cp_end || s->u16_end > 2 * s->cp_end;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static struct pw_policy *p; /* compiled once per process, as the service does */
        if (!p) {
                struct pw_error err = {0};
                if (pw_policy_load_buffer(policy_json, sizeof policy_json - 1, "fuzz", NULL, NULL,
                                          0, &p, &err) < 0) {
                        fprintf(stderr, "fuzz_policy_check: %s\n", err.text);
                        abort();
                }
        }
        if (size == 0 || size > (1u << 20))
                return 0;
        static const char *const groups[] = {"staff", "social", NULL};
        struct pw_check_input in = {.text = (const char *)data + 1, .len = size - 1};
        unsigned sel = data[0];
        in.mode = (enum pw_mode)(sel & 3); /* 0: derived from the account */
        if (sel & 4)
                in.site = "x.com";
        if (sel & 8)
                in.account_handle = "@acmecorp";
        if (sel & 16)
                in.account_id = sel & 32 ? "42" : "7";
        in.user = sel & 64 ? "alice" : "mallory";
        in.groups = sel & 128 ? groups : NULL;
        struct pw_verdict *v = NULL;
        if (pw_policy_check(p, &in, &v) < 0)
                abort(); /* valid input within the size limit always gets a verdict */
        enum pw_action strictest = PW_ACTION_ALLOW;
        for (size_t i = 0; i < v->n_findings; i++) {
                const struct pw_finding *f = &v->findings[i];
                if (bad_span(&f->span, in.len) || !f->rule_id || !f->message ||
                    strlen(f->excerpt) >= sizeof f->excerpt)
                        abort();
                if (f->action > strictest)
                        strictest = f->action;
        }
        if (v->action != strictest)
                abort();
        json_t *j = pw_verdict_to_json(v);
        if (!j)
                abort();
        json_decref(j);
        pw_verdict_free(v);
        return 0;
}
