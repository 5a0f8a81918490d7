/* libFuzzer target: the HTML escaping of postwardenctl audit report (cli/html.c).
 *
 * The input is any byte string, as a value from the audit store can be. In each context the
 * output must be valid UTF-8 with no C0 control, no raw U+202E and, in attribute context, none of
 * < > " ' — whatever the input. The first byte picks a truncation length. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/utf8.h>

#include "html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *out, size_t len, int ctx) {
        int32_t i = 0, n = (int32_t)len;
        while (i < n) {
                UChar32 c;
                U8_NEXT((const uint8_t *)out, i, n, c);
                if (c < 0 || c < 0x20 || c == 0x7f || c == 0x202e || (c >= 0x80 && c < 0xa0))
                        abort();
                if (ctx == PW_HTML_ATTR && (c == '<' || c == '>' || c == '"' || c == '\''))
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t max = size ? data[0] % 64 : 0;
        for (int ctx = PW_HTML_TEXT; ctx <= PW_HTML_SVG; ctx++) {
                char *out = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&out, &len);
                if (!f)
                        return 0;
                if (pw_html_escape(f, (const char *)data, size, (enum pw_html_ctx)ctx, 0, max) < 0)
                        abort();
                fclose(f);
                check(out, len, ctx);
                free(out);
        }
        return 0;
}
