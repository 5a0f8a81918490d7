/* Fuzz target: the policy parser and validator (policy/model.c, jsonpos.c, terms.c) on arbitrary
 * bytes, without compiling databases: regexes are only parsed (PW_POLICY_SYNTAX_ONLY), terms are
 * normalised. Inputs over 64 KiB are skipped, which caps pattern counts and sizes.
 *
 * Beyond "no crash": a failure must be -EINVAL/-ENOMEM/-E2BIG with a message, any position must be
 * inside the input, and a success must give a 16-hex-digit policy id. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postwarden/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > 65536)
                return 0;
        struct pw_policy *p = NULL;
        struct pw_error err = {0};
        int r = pw_policy_load_buffer((const char *)data, size, "fuzz.json", NULL, NULL,
                                      PW_POLICY_NO_COMPILE | PW_POLICY_SYNTAX_ONLY, &p, &err);
        if (r == 0) {
                if (!p || strlen(pw_policy_id(p)) != 16 || pw_policy_detectors(p) == NULL)
                        abort();
                pw_policy_free(p);
                return 0;
        }
        if (p || !err.text[0] || (r != -EINVAL && r != -ENOMEM && r != -E2BIG))
                abort();
        /* a position, when given, lies within the text */
        size_t lines = 1;
        for (size_t i = 0; i < size; i++)
                lines += data[i] == '\n';
        if (err.line < 0 || (size_t)err.line > lines || err.column < 0 ||
            (size_t)err.column > size + 2)
                abort();
        char buf[512];
        pw_error_format(&err, buf, sizeof buf);
        return 0;
}
