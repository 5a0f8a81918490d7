/* cli/html.c: escaping of hostile values for the audit report's HTML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "html.h"

/* The escaped form of s (length n) in ctx, as a new string. */
static char *esc_n(const char *s, size_t n, enum pw_html_ctx ctx, unsigned flags, size_t max) {
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        assert_non_null(f);
        assert_int_equal(pw_html_escape(f, s, n, ctx, flags, max), 0);
        assert_int_equal(fclose(f), 0);
        return out;
}

static char *esc(const char *s, enum pw_html_ctx ctx) {
        return esc_n(s, strlen(s), ctx, 0, 0);
}

static void check(const char *in, enum pw_html_ctx ctx, const char *want) {
        char *got = esc(in, ctx);
        assert_string_equal(got, want);
        free(got);
}

static void test_metacharacters(void **state) {
        (void)state;
        check("<script>alert(1)</script>", PW_HTML_TEXT, "&lt;script&gt;alert(1)&lt;/script&gt;");
        check("a\"b'c&d", PW_HTML_ATTR, "a&quot;b&#39;c&amp;d");
        check("\" onmouseover=\"alert(1)", PW_HTML_ATTR, "&quot; onmouseover=&quot;alert(1)");
        check("</text><script>", PW_HTML_SVG, "&lt;/text&gt;&lt;script&gt;");
        check("plain text, 100% ok", PW_HTML_TEXT, "plain text, 100% ok");
        check("", PW_HTML_TEXT, "");
}

static void test_unicode_passes(void **state) {
        (void)state;
        check("Zoë Ünal — 東京 🙂", PW_HTML_TEXT, "Zoë Ünal — 東京 🙂");
        check("שלום", PW_HTML_ATTR, "שלום"); /* right-to-left letters are text, not controls */
}

static void test_bidi_controls(void **state) {
        (void)state;
        /* U+202E RIGHT-TO-LEFT OVERRIDE: visible, named, and not in the output as a character */
        char *got = esc("Evil \xe2\x80\xae"
                        "exe.txt",
                        PW_HTML_TEXT);
        assert_string_equal(got, "Evil <span class=\"esc\" title=\"RIGHT-TO-LEFT OVERRIDE\">"
                                 "\\u202E</span>exe.txt");
        assert_null(strstr(got, "\xe2\x80\xae"));
        free(got);
        check("a\xe2\x80\xae"
              "b",
              PW_HTML_ATTR, "a\\u202Eb");
        check("a\xe2\x80\xae"
              "b",
              PW_HTML_SVG, "a<tspan class=\"esc\">\\u202E</tspan>b");
        /* the isolates, LRM/RLM, ALM, zero-width space/joiners, BOM, line separator */
        check("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", PW_HTML_ATTR,
              "\\u2066\\u2067\\u2068\\u2069");
        check("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", PW_HTML_ATTR, "\\u200E\\u200F\\u061C");
        check("\xe2\x80\x8b\xe2\x80\x8d\xef\xbb\xbf\xe2\x80\xa8", PW_HTML_ATTR,
              "\\u200B\\u200D\\uFEFF\\u2028");
        /* tag characters (astral, Cf) and private use */
        check("\xf3\xa0\x80\x81\xee\x80\x80", PW_HTML_ATTR, "\\U000E0001\\uE000");
}

static void test_controls(void **state) {
        (void)state;
        check("\x1b[31mred\x1b[0m", PW_HTML_ATTR, "\\x1B[31mred\\x1B[0m");
        check("a\nb\tc\rd", PW_HTML_ATTR, "a\\nb\\tc\\rd");
        check("\x7f\xc2\x85", PW_HTML_ATTR, "\\x7F\\u0085"); /* DEL, C1 NEL */
        char *got = esc("x\x1b"
                        "y",
                        PW_HTML_TEXT);
        assert_string_equal(got, "x<span class=\"esc\" title=\"&lt;control-001B&gt;\">\\x1B</span>y");
        free(got);
        /* justifications keep their line breaks, but not \r or other controls */
        got = esc_n("one\ntwo\r\n\x1b", 10, PW_HTML_TEXT, PW_HTML_KEEP_NEWLINES, 0);
        assert_non_null(strstr(got, "one\ntwo<span"));
        assert_non_null(strstr(got, "\\r</span>\n<span"));
        free(got);
}

static void test_invalid_utf8(void **state) {
        (void)state;
        check("a\xff"
              "b",
              PW_HTML_ATTR, "a\\xFFb");
        check("\xc0\xbc", PW_HTML_ATTR, "\\xC0\\xBC");          /* overlong '<' stays two bytes */
        check("\xed\xa0\x80", PW_HTML_ATTR, "\\xED\\xA0\\x80"); /* a surrogate */
        check("\xe2\x80", PW_HTML_ATTR, "\\xE2\\x80");          /* truncated sequence */
        char *got = esc_n("a\0b", 3, PW_HTML_ATTR, 0, 0);
        assert_string_equal(got, "a\\x00b");
        free(got);
}

static void test_truncation(void **state) {
        (void)state;
        char *got = esc_n("abcdef", 6, PW_HTML_TEXT, 0, 3);
        assert_string_equal(got, "abc…");
        free(got);
        /* never inside a character: "ééé" is 6 bytes, max 3 keeps one é */
        got = esc_n("ééé", 6, PW_HTML_TEXT, 0, 3);
        assert_string_equal(got, "é…");
        free(got);
        got = esc_n("abc", 3, PW_HTML_TEXT, 0, 3);
        assert_string_equal(got, "abc");
        free(got);
}

static void test_value_wrapper(void **state) {
        (void)state;
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        assert_non_null(f);
        assert_int_equal(pw_html_value(f, "<b>", 0), 0);
        assert_int_equal(pw_html_value(f, NULL, 0), 0);
        fclose(f);
        assert_string_equal(out, "<bdi>&lt;b&gt;</bdi><span class=\"none\">not recorded</span>");
        free(out);
}

/* Property: whatever the bytes, an attribute value never contains a character that could end
 * it or hide text, nor a C0 control, nor invalid UTF-8. */
static void test_random_bytes(void **state) {
        (void)state;
        uint64_t x = 0x9e3779b97f4a7c15ULL;
        unsigned char buf[64];
        for (int round = 0; round < 20000; round++) {
                size_t n = (size_t)(round % 64);
                for (size_t i = 0; i < n; i++) {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        /* bias towards interesting bytes */
                        static const unsigned char pool[] = {'<',  '>',  '"',  '\'', '&',  0x1b,
                                                             0xe2, 0x80, 0xae, 0x81, 0xa6, 0xc2,
                                                             0x85, 0xff, 0x00, '\n'};
                        buf[i] = (x >> 40) & 1 ? pool[(x >> 8) % sizeof pool]
                                               : (unsigned char)(x >> 24);
                }
                for (int ctx = PW_HTML_TEXT; ctx <= PW_HTML_SVG; ctx++) {
                        char *got = esc_n((const char *)buf, n, (enum pw_html_ctx)ctx, 0, 0);
                        size_t gl = strlen(got);
                        if (ctx == PW_HTML_ATTR) {
                                assert_null(strpbrk(got, "<>\"'"));
                        }
                        for (size_t i = 0; i < gl; i++)
                                assert_true((unsigned char)got[i] >= 0x20);
                        assert_null(strstr(got, "\xe2\x80\xae"));
                        assert_null(strstr(got, "\xe2\x81\xa6"));
                        assert_null(strstr(got, "\xc2\x85"));
                        assert_null(strstr(got, "\xff"));
                        free(got);
                }
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_metacharacters), cmocka_unit_test(test_unicode_passes),
                cmocka_unit_test(test_bidi_controls),  cmocka_unit_test(test_controls),
                cmocka_unit_test(test_invalid_utf8),   cmocka_unit_test(test_truncation),
                cmocka_unit_test(test_value_wrapper),  cmocka_unit_test(test_random_bytes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
