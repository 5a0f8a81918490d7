/* Validators of the built-in detectors (policy/detect_check.c), each with a valid case, a case
 * whose checksum is wrong and a malformed one. Valid values are the specifications' own
 * published examples (IBAN registry, card networks' test numbers, BIP-173, RFC 7519). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "detect_internal.h"
#include "postwarden/policy.h"

#define S(x) x, strlen(x)

static void test_luhn(void **state) {
        (void)state;
        assert_true(det_luhn(S("4111111111111111")));  /* Visa test number */
        assert_true(det_luhn(S("378282246310005")));   /* Amex test number */
        assert_false(det_luhn(S("4111111111111112"))); /* wrong check digit */
        assert_false(det_luhn(S("41111x1111111111"))); /* not digits */
        assert_false(det_luhn(S("4")));                /* too short */
}

static void test_mod97_iban(void **state) {
        (void)state;
        assert_true(det_iban_valid(S("GB82WEST12345698765432")));  /* registry example */
        assert_true(det_iban_valid(S("DE89370400440532013000")));  /* registry example */
        assert_false(det_iban_valid(S("GB83WEST12345698765432"))); /* check digits */
        assert_false(det_iban_valid(S("GB82WEST1234569876543")));  /* length for GB */
        assert_false(det_iban_valid(S("GB82W3ST12345698765432"))); /* BBAN 'a' field */
        assert_false(det_iban_valid(S("XX82WEST12345698765432"))); /* no such country */
        assert_false(det_iban_valid(S("GB")));
        assert_int_equal(det_iban_length("NO"), 15);
        assert_int_equal(det_iban_length("MT"), 31);
        assert_int_equal(det_iban_length("QQ"), 0);
        assert_false(det_mod97(S("12-34")));
}

static void test_verhoeff(void **state) {
        (void)state;
        assert_true(det_verhoeff(S("2363")));  /* Verhoeff's worked example: 236 + 3 */
        assert_false(det_verhoeff(S("2364"))); /* wrong check digit */
        assert_false(det_verhoeff(S("23a3"))); /* not digits */
        assert_false(det_verhoeff(S("")));
}

static void test_base58check(void **state) {
        (void)state;
        uint8_t ver = 0xff;
        size_t pl = 0;
        /* The genesis block's coinbase address. */
        assert_true(det_base58check(S("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"), &ver, &pl));
        assert_int_equal(ver, 0);
        assert_int_equal(pl, 20);
        assert_false(det_base58check(S("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"), &ver, &pl));
        assert_false(det_base58check(S("1A1zP1eP5QGefi2DMPTfTL5SLmv7Div0Na"), &ver, &pl));
        assert_false(det_base58check(S(""), &ver, &pl));
}

static void test_bech32(void **state) {
        (void)state;
        size_t hrp = 0;
        /* BIP-173 and BIP-350 test vectors. */
        assert_true(det_bech32(S("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"), &hrp));
        assert_int_equal(hrp, 2);
        assert_true(det_bech32(S("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"),
                               &hrp));
        assert_false(det_bech32(S("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"), &hrp));
        assert_false(det_bech32(S("bc1qw508d6qejxtdg4y5r3zarvaRy0c5xw7kv8f3t4"), &hrp)); /* mixed */
        assert_false(det_bech32(S("bc1b"), &hrp));
}

static void test_github_crc(void **state) {
        (void)state;
        /* Build a body whose CRC suffix is right, then break it. */
        char body[37] = "abcdefghijklmnopqrstuvwxyzABCD000000";
        static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        /* CRC32 of the first 30 bytes ("abc…ABCD"), computed independently. */
        uint32_t crc = 0xffffffffu;
        for (int i = 0; i < 30; i++) {
                crc ^= (unsigned char)body[i];
                for (int k = 0; k < 8; k++)
                        crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
        }
        crc ^= 0xffffffffu;
        for (int i = 35; i >= 30; i--) {
                body[i] = b62[crc % 62];
                crc /= 62;
        }
        assert_true(det_github_crc(body, 36));
        body[35] = body[35] == 'a' ? 'b' : 'a';
        assert_false(det_github_crc(body, 36));
        assert_false(det_github_crc(body, 35));
}

static void test_jwt(void **state) {
        (void)state;
        /* RFC 7519 section 3.1 example. */
        const char *jwt = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
                          "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNv"
                          "bS9pc19yb290Ijp0cnVlfQ."
                          "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_true(det_jwt_valid(S(jwt)));
        /* Header without "alg" ({"typ":"JWT"}). */
        assert_false(det_jwt_valid(S("eyJ0eXAiOiJKV1QifQ.eyJpc3MiOiJqb2UifQ.c2ln")));
        /* Not base64url / not JSON. */
        assert_false(det_jwt_valid(S("eyJAAAA.eyJBBB")));
        assert_false(det_jwt_valid(S("no dots at all")));
}

static void test_placeholder_entropy(void **state) {
        (void)state;
        assert_true(det_placeholder(S("xxxxxxxxxxxxxxxxxxxxxxxx")));
        assert_true(det_placeholder(S("your_api_key_goes_in")));
        assert_true(det_placeholder(S("AKIAIOSFODNN7EXAMPLE")));
        assert_false(det_placeholder(S("q8Zk2LmP0vX7rT4wN9sB")));
        assert_true(det_entropy(S("aaaaaaaa")) < 0.01);
        assert_true(det_entropy(S("abcdefgh")) > 2.9);
}

static void test_mask(void **state) {
        (void)state;
        char out[96];
        det_mask_excerpt("4111 1111 1111 1234", 0, 19, DET_MASK_TAIL4, out);
        assert_string_equal(out, "**** **** **** 1234");
        det_mask_excerpt("AKIAJ7Q2XEZ4RLW3MNOP", 0, 20, DET_MASK_ENDS, out);
        assert_string_equal(out, "AKIA\xe2\x80\xa6MNOP");
        det_mask_excerpt("john.doe@example.com", 0, 20, DET_MASK_EMAIL, out);
        assert_string_equal(out, "j***@example.com");
        det_mask_excerpt("-----BEGIN RSA PRIVATE KEY-----\nMIIE", 0, 36, DET_MASK_HEADER, out);
        assert_string_equal(out, "-----BEGIN RSA PRIVATE KEY-----\xe2\x80\xa6");
}

/* Every rule's detector is a listed name (so policies can name it), every pattern has a check. */
static void test_rule_tables(void **state) {
        (void)state;
        const struct det_rule *const tabs[] = {det_rules_pii, det_rules_national,
                                               det_rules_secrets};
        size_t rules = 0;
        for (size_t t = 0; t < 3; t++)
                for (const struct det_rule *r = tabs[t]; r->detector; r++, rules++) {
                        bool listed = false;
                        for (const char *const *n = pw_detector_names(); *n; n++)
                                listed |= !strcmp(*n, r->detector);
                        if (!listed)
                                print_error("rule %s (%s) is not in pw_detector_names()\n",
                                            r->detector, r->regex);
                        assert_true(listed);
                        assert_non_null(r->check);
                        assert_non_null(r->regex);
                        assert_non_null(r->spec);
                }
        assert_true(rules > 100);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_luhn),     cmocka_unit_test(test_mod97_iban),
                cmocka_unit_test(test_verhoeff), cmocka_unit_test(test_base58check),
                cmocka_unit_test(test_bech32),   cmocka_unit_test(test_github_crc),
                cmocka_unit_test(test_jwt),      cmocka_unit_test(test_placeholder_entropy),
                cmocka_unit_test(test_mask),     cmocka_unit_test(test_rule_tables),
        };
        return cmocka_run_group_tests_name("detect_check", tests, NULL, NULL);
}
