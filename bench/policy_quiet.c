/* policy_quiet: how often the default policy's rules fire on ordinary text.
 *
 *   policy_quiet POLICY CACHE_DIR FILE...
 *
 * Each FILE holds one text per line (bench/quiet_texts.py writes Debian fortunes and a seeded
 * sample of Debian changelog lines that way). Every text is checked in mode "unknown" (the
 * rules of both modes: the strictest outcome), and the blocks and warns are counted per rule.
 * Target (issue 5, shared with the detectors): no blocks; warns below 0.5 % of texts outside
 * e-mail and phone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postwarden/policy.h"

#define MAX_RULES 64

int main(int argc, char **argv) {
        if (argc < 4) {
                fprintf(stderr, "usage: policy_quiet POLICY CACHE_DIR FILE...\n");
                return 2;
        }
        struct pw_policy *p = NULL;
        struct pw_error err = {0};
        if (pw_policy_load(argv[1], argv[2], 0, &p, &err) < 0) {
                char buf[512];
                pw_error_format(&err, buf, sizeof buf);
                fprintf(stderr, "%s\n", buf);
                return 1;
        }
        const char *rule[MAX_RULES];
        size_t blocks[MAX_RULES] = {0}, warns[MAX_RULES] = {0}, n_rules = 0;
        size_t texts = 0, any_block = 0, any_warn = 0;
        char *line = NULL;
        size_t cap = 0;
        for (int a = 3; a < argc; a++) {
                FILE *f = fopen(argv[a], "r");
                if (!f) {
                        perror(argv[a]);
                        return 1;
                }
                ssize_t n;
                while ((n = getline(&line, &cap, f)) > 0) {
                        struct pw_check_input in = {
                                .text = line, .len = (size_t)n, .mode = PW_MODE_UNKNOWN};
                        struct pw_verdict *v = NULL;
                        if (pw_policy_check(p, &in, &v) < 0)
                                return 1;
                        texts++;
                        any_block += v->action == PW_ACTION_BLOCK;
                        any_warn += v->action == PW_ACTION_WARN;
                        for (size_t i = 0; i < v->n_findings; i++) {
                                const struct pw_finding *x = &v->findings[i];
                                size_t k;
                                for (k = 0; k < n_rules; k++)
                                        if (!strcmp(rule[k], x->rule_id))
                                                break;
                                if (k == n_rules && n_rules < MAX_RULES)
                                        rule[n_rules++] = x->rule_id;
                                if (k < MAX_RULES) {
                                        blocks[k] += x->action == PW_ACTION_BLOCK;
                                        warns[k] += x->action == PW_ACTION_WARN;
                                }
                        }
                        pw_verdict_free(v);
                }
                fclose(f);
        }
        free(line);
        printf("%zu texts: %zu blocked (%.3f %%), %zu warned (%.3f %%)\n", texts, any_block,
               100.0 * (double)any_block / (double)texts, any_warn,
               100.0 * (double)any_warn / (double)texts);
        printf("%-26s %8s %8s\n", "rule", "blocks", "warns");
        for (size_t k = 0; k < n_rules; k++)
                printf("%-26s %8zu %8zu\n", rule[k], blocks[k], warns[k]);
        pw_policy_free(p);
        return 0;
}
