/* Built-in detectors through the public API: every detector with a valid case, a wrong-checksum
 * case and a malformed one (values are the specifications' published examples or made up here,
 * never corpus strings), masking, unknown names, the compiled-database cache and concurrent
 * scans. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "postwarden/policy.h"

struct hits {
        const char *want; /* category counted */
        int n;            /* detections of it with confidence >= 50 */
        char excerpt[96]; /* the last one's excerpt */
};

static int on_det(const struct pw_detection *d, void *userdata) {
        struct hits *h = userdata;
        if (!strcmp(d->category, h->want) && d->confidence >= 50) {
                h->n++;
                memcpy(h->excerpt, d->excerpt, sizeof h->excerpt);
        }
        return 0;
}

/* Every detector, built once for the group. */
static int setup(void **state) {
        struct pw_detectors *d = NULL;
        if (pw_detectors_new(NULL, 0, &d, NULL) < 0)
                return -1;
        *state = d;
        return 0;
}

static int teardown(void **state) {
        pw_detectors_free(*state);
        return 0;
}

static int hits(void **state, const char *cat, const char *text, char *excerpt) {
        struct hits h = {.want = cat};
        assert_int_equal(pw_detectors_scan(*state, text, strlen(text), on_det, &h), 0);
        if (excerpt)
                memcpy(excerpt, h.excerpt, 96);
        return h.n;
}

struct tcase {
        const char *cat;
        const char *text;
        int expect; /* detections of cat */
};

/* valid / wrong checksum / malformed, per detector */
static const struct tcase cases[] = {
        {"credit_card", "pay with 4111 1111 1111 1111 today", 1},
        {"credit_card", "pay with 4111 1111 1111 1112 today", 0},
        {"credit_card", "ts 1700000000000 and 4111 1111 1111", 0},
        {"credit_card", "amex 3782 822463 10005", 1},
        {"iban", "IBAN GB82 WEST 1234 5698 7654 32.", 1},
        {"iban", "IBAN GB82 WEST 1234 5698 7654 33.", 0},
        {"iban", "IBAN GB82 WEST 1234 5698 7654", 0},
        {"email", "mail john.doe@example.com now", 1},
        {"email", "mail john..doe@example.com now", 0},
        {"email", "mail john@localhost now", 0},
        {"phone", "call +44 20 7946 0958 or (212) 555-0147", 2},
        {"phone", "on 2024-01-15 at 10.11.12.13", 0},
        {"phone", "+0 12", 0},
        {"us_ssn", "SSN 219-09-9998", 1},
        {"us_ssn", "SSN 666-09-9998", 0},
        {"us_ssn", "SSN 219-09-998", 0},
        {"ip_address", "hosts 10.1.2.3 and fe80::1%eth0", 2},
        {"ip_address", "hosts 256.1.1.1 and 2001::db8::1", 0},
        {"ip_address", "version 1.2.3.4 and IP10.1.2.3x", 0},
        {"url", "see https://example.org/x?y=1.", 1},
        {"url", "see http://localhost/", 0},
        {"mac_address", "eth0 00:1A:2B:3C:4D:5E up", 1},
        {"mac_address", "eth0 00:1A-2B:3C:4D:5E up", 0},
        {"mac_address", "eth0 00:1A:2B:3C:4D up", 0},
        {"crypto", "send to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", 1},
        {"crypto", "send to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", 0},
        {"crypto", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", 1},
        {"aws_key", "key AKIAJ7Q2XEZ4RLW3MNOP", 1},
        {"aws_key", "key AKIAIOSFODNN7EXAMPLE", 0},
        {"aws_key", "key AKIAJ7Q2XEZ4RLW3MNO", 0},
        {"github_token", "token ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0},
        {"github_token", "token ghp_Zx8kQ2mN4pR7sT1vW3yB6cD9fG2hJ5kL8mN", 0},
        {"slack_token", "xoxb-123456789012-1234567890123-Q7vLm2Xr9TcKp4WzHn8BdJs1", 1},
        {"slack_token", "xoxb-abcdef-abcdef", 0},
        {"slack_token", "xoxb-Slack_BOT_TOKEN", 0},
        {"google_api_key", "k=AIzaSyD4kQ9mZ2pR7sT1vW3yB6cD9fG2hJ5kL8m", 1},
        {"google_api_key", "k=AIzaSyD4kQ9mZ2pR7sT1vW3yB6cD9fG2hJ5kL8", 0},
        {"google_api_key", "k=AIzaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0},
        {"stripe_key", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", 1},
        {"stripe_key", "sk_live_", 0},
        {"stripe_key", "pk_live_4eC39HqLyjWDarjtT1zdp7dc", 0},
        {"private_key",
         "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAq7BFUxyz0123456789abcdefGHIJKLmnopq\n"
         "rstuvWXyz+/ABCDEF\n-----END RSA PRIVATE KEY-----",
         1},
        {"private_key", "-----BEGIN PRIVATE KEY-----\n***\n-----END PRIVATE KEY-----", 0},
        {"private_key", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA",
         0},
        {"jwt",
         "Bearer eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MT"
         "kzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r"
         "_wW1gFWFOEjXk",
         1},
        {"jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", 0},
        {"jwt", "eyJAAAAAAAAAA.eyJBBB", 0},
        {"generic_api_key", "api_key = \"Zx8kQ2mN4pR7sT1vW3yB\"", 1},
        {"generic_api_key", "api_key = \"changeme\"", 0},
        {"generic_api_key", "password = ${DB_PASSWORD}", 0},
        {"generic_api_key", "db_password: \"Tr0ub4dor&3\"", 1},
        {"generic_api_key", "db_password: \"password\"", 0},
        {"other_secret", "NPM_TOKEN=npm_Zx8kQ2mN4pR7sT1vW3yB6cD9fG2hJ5kL8mN4", 1},
        {"other_secret", "NPM_TOKEN=npm_Zx8kQ2mN4pR7sT1vW3yB6cD9fG2hJ5kL8mN", 0},
        {"uk_nhs", "NHS 943 476 5919", 1},
        {"uk_nhs", "NHS 943 476 5910", 0},
        {"uk_nhs", "NHS 943 476 591", 0},
        {"uk_nino", "NI AB 12 34 56 C", 1},
        {"uk_nino", "NI QQ 12 34 56 C", 0},
        {"uk_nino", "NI AB 12 34 56 E", 0},
        {"de_tax_id", "IdNr 86095742719", 1},
        {"de_tax_id", "IdNr 86095742718", 0},
        {"de_vat_id", "USt-IdNr DE136695976", 1},
        {"de_vat_id", "USt-IdNr DE136695977", 0},
        {"es_nif", "DNI 12345678Z", 1},
        {"es_nif", "DNI 12345678A", 0},
        {"es_nie", "NIE X1234567L", 1},
        {"es_nie", "NIE X1234567M", 0},
        {"it_fiscal_code", "CF RSSMRA85T10A562S", 1},
        {"it_fiscal_code", "CF RSSMRA85T10A562T", 0},
        {"pl_pesel", "PESEL 02070803628", 1},
        {"pl_pesel", "PESEL 02070803629", 0},
        {"fi_personal_identity_code", "HETU 131052-308T", 1},
        {"fi_personal_identity_code", "HETU 131052-308U", 0},
        {"se_personnummer", "pnr 811228-9874", 1},
        {"se_personnummer", "pnr 811228-9875", 0},
        {"tr_national_id", "TCKN 10000000146", 1},
        {"tr_national_id", "TCKN 10000000147", 0},
        {"sg_nric_fin", "NRIC S1234567D", 1},
        {"sg_nric_fin", "NRIC S1234567E", 0},
        {"au_abn", "ABN 51 824 753 556", 1},
        {"au_abn", "ABN 51 824 753 557", 0},
        {"us_aba_routing", "routing 011000015", 1},
        {"us_aba_routing", "routing 011000016", 0},
        {"us_aba_routing", "invoice 011000015", 0},      /* names another kind of number */
        {"us_aba_routing", "routing port 011000015", 0}, /* "port": another kind */
        /* ... as a word of its own: "report" and "passport" do not contain "port" */
        {"us_aba_routing", "routing report 011000015", 1},
        {"us_aba_routing", "passport routing 011000015", 1},
        {"phone", "Logged at 1524941204 (unix time).", 0},
        {"us_npi", "NPI 1234567893", 1},
        {"us_npi", "NPI 1234567894", 0},
        {"us_itin", "ITIN 912-70-1234", 1},
        {"us_itin", "ITIN 912-69-1234", 0},
        {"in_gstin", "GSTIN 27AAPFU0939F1ZV", 1},
        {"in_gstin", "27AAPFU0939F1ZW", 0},       /* check character fails, no context */
        {"in_gstin", "GSTIN 27AAPFU0939F1ZW", 1}, /* GSTIN-shaped, named by its context */
        {"in_gstin", "GSTIN 39AAPFU0939F1ZV", 0}, /* no state 39 */
        {"in_gstin", "GSTIN 27AAPFU0939F10V", 0}, /* 14th character must be Z */
        {"in_gstin", "GSTIN 27AAPF10939F1ZV", 0}, /* PAN part: five letters */
        {"in_pan", "PAN AAPFU0939F", 1},
        {"in_pan", "PAN AAPXU0939F", 0},
        {"us_mbi", "MBI 1EG4-TE5-MK73", 1},
        {"us_mbi", "MBI 1EG4-TS5-MK73", 0},
        {"uk_driving_licence", "DL MORGA657054SM9IJ", 1},
        {"uk_driving_licence", "DL MORGA613054SM9IJ", 0},
        {"kr_rrn", "RRN 900101-1234567", 1},
        {"kr_rrn", "RRN 901301-1234567", 0},
        {"se_organisationsnummer", "org 556036-0793", 1},
        /* values below computed with an independent implementation of each specification */
        {"de_health_insurance", "KVNR B987654320", 1},
        {"de_health_insurance", "KVNR B987654321", 0},
        {"de_id_card", "Ausweis L7R3XK296", 1},
        {"de_id_card", "Ausweis L7R3XK297", 0},
        {"de_id_card", "Ausweis L7R3XA296", 0}, /* 'A' is not in the serial alphabet */
        {"de_passport", "Pass C4F7H2K90", 1},
        {"de_passport", "Pass C4F7H2K91", 0},
        {"de_lanr", "LANR 876543321", 1},
        {"de_lanr", "LANR 876543421", 0},
        {"de_social_security", "RVNR 12150385M014", 1},
        {"de_social_security", "RVNR 12150385M015", 0},
        {"de_social_security", "RVNR 12153385M014", 0}, /* month 33 */
        {"kr_brn", "BRN 220-81-12341", 1},
        {"kr_brn", "BRN 220-81-12342", 0},
        {"sg_uen", "UEN 52847193K", 1},
        {"sg_uen", "UEN 52847193L", 0},
        {"se_organisationsnummer", "org 556036-0794", 0},
        /* identifiers without a check character: registry rules, and a context word where the
         * shape alone is ordinary */
        {"de_handelsregister", "Amtsgericht Bonn, HRB 4711", 1},
        {"de_handelsregister", "HRA 7", 1},
        {"de_handelsregister", "HRB 04711", 0},   /* no leading zero */
        {"de_handelsregister", "HRB 1234567", 0}, /* at most 6 digits */
        {"de_handelsregister", "HRC 4711", 0},
        {"de_tax_number", "181/815/08155", 1},              /* Bayern FFF/BBB/UUUUP */
        {"de_tax_number", "133/8150/8159", 1},              /* NRW FFF/BBBB/UUUP */
        {"de_tax_number", "11/815/08150", 1},               /* Berlin FF/BBB/UUUUP */
        {"de_tax_number", "181/81/508155", 0},              /* no Land prints 3/2/6 */
        {"de_tax_number", "Steuernummer 9181081508155", 1}, /* ELSTER, Bayern */
        {"de_tax_number", "9181081508155", 0},              /* 13 digits need a context word */
        {"de_tax_number", "Steuernummer 9181181508155", 0}, /* 5th digit must be 0 */
        {"de_fuehrerschein", "Führerschein: HH04711235Z", 1},
        {"de_fuehrerschein", "HH04711235Z", 0},
        {"de_fuehrerschein", "Führerschein: H047112351Z", 0},
        {"de_fuehrerschein", "Führerschein: HH04711235ZZ", 0},
        {"de_plz", "PLZ 53113 Bonn", 1},
        {"de_plz", "53113 Bonn", 0},
        {"de_plz", "PLZ 00999", 0},
        {"de_kfz", "Kennzeichen: K-AB 123", 1},
        {"de_kfz", "Kennzeichen: WAF XY 999H", 1},
        {"de_kfz", "K-AB 123", 0},
        {"de_kfz", "Kennzeichen: K-SS 123", 0},    /* letter pair not issued */
        {"de_kfz", "Kennzeichen: K-AB 0123", 0},   /* no leading zero */
        {"de_kfz", "Kennzeichen: WAF XY 9999", 0}, /* more than 8 characters */
        {"tr_license_plate", "plaka 06 BK 4521", 1},
        {"tr_license_plate", "06 BK 4521", 0},
        {"tr_license_plate", "plaka 82 BK 4521", 0}, /* provinces 01-81 */
        {"tr_license_plate", "plaka 06 BW 4521", 0}, /* no W */
        {"ng_vehicle_registration", "plate number LSR-472KJ", 1},
        {"ng_vehicle_registration", "LSR-472KJ", 0},
        {"ng_vehicle_registration", "plate number LSR-000KJ", 0},
        {"uk_vehicle_registration", "BD51-SMR", 1},
        {"uk_vehicle_registration", "BD51 SMR", 0}, /* needs a context word */
        {"uk_vehicle_registration", "vehicle BD51 SMR", 1},
        {"uk_vehicle_registration", "vehicle BD30 SMR", 0},      /* no age identifier 30 */
        {"uk_vehicle_registration", "vehicle ID51 SMR", 0},      /* no region I */
        {"uk_vehicle_registration", "registration P472 KGB", 0}, /* prefix marks: not detected */
        {"kr_driver_license", "13-09-654321-27", 1},
        {"kr_driver_license", "27-09-654321-27", 0}, /* no region 27 */
        {"kr_driver_license", "130965432127", 0},
        {"kr_driver_license", "운전면허 130965432127", 1},
        {"uk_postcode", "postcode SW1A 2AA", 1},
        {"uk_postcode", "SW1A 2AA", 0},
        {"uk_postcode", "postcode QA1 2AA", 0},  /* no area starts with Q */
        {"uk_postcode", "postcode SW1A 2CA", 0}, /* no C in the inward code */
        {"es_passport", "passport PAB123456", 1},
        {"es_passport", "PAB123456", 0},
        {"in_vehicle_registration", "MH12AB1234", 1},
        {"in_vehicle_registration", "ZZ12AB1234", 0}, /* no state ZZ */
        {"in_vehicle_registration", "MH12AB0000", 0},
        {"us_medical_license", "DEA AB1234563", 1}, /* 1+3+5 + 2(2+4+6) = 33 */
        {"us_medical_license", "DEA AB1234564", 0},
        {"us_medical_license", "DEA IB1234563", 0}, /* no registrant type I */
        {"kr_passport", "passport M123X4567", 1},
        {"kr_passport", "M123X4567", 0},
        {"kr_passport", "passport A123X4567", 0},
        {"in_passport", "passport K4512378", 1},
        {"in_passport", "K4512378", 0},
        {"in_passport", "passport K0512378", 0},
        /* 1*9 + 2*8 + 3*7 + 4*6 + 5*5 + 6*4 + 7*3 + 8*2 = 156, mod 11 = 2 */
        {"ph_tin", "TIN: 123-456-782-000", 1},
        {"ph_tin", "TIN 123456782", 1},
        {"ph_tin", "TIN: 123-456-783-000", 0},
        {"ph_tin", "123-456-782-000", 0}, /* needs a context word */
        {"de_bsnr", "BSNR 381234500", 1},
        {"de_bsnr", "BSNR 391234500", 0}, /* no KV region 39 */
        {"de_bsnr", "381234500", 0},
        {"in_voter", "voter id ABC1234567", 1},
        {"in_voter", "ABC1234567", 0},
        /* crypt(3) hashes made here with libxcrypt from "correct horse" */
        {"other_secret", "root:$1$saltsalt$NuzA7WTAelpl95xgBGWN60:19000:0", 1},
        {"other_secret", "$5$rounds=5000$pepperpepper$56itdErU.JIT1kEEwwZtqgaD2EeALU4fASFQsQUK34.",
         1},
        {"other_secret",
         "hash = '$6$pepperpepper$tiO8VzOAn.KFghW0NAIPRKJ4R7iJaZVbmpcNRXF4y1SNxeha7eGy8r."
         "2jFfIuLZxp2XKPtI0bCHJfoZYU4I6./'",
         1},
        {"other_secret", "$2b$10$st46yd9DmyU8S0WgvKntPO/EP0psE5vGwno3kzm3O0aP2ExdsA1M.", 1},
        {"other_secret", "$2b$03$st46yd9DmyU8S0WgvKntPO/EP0psE5vGwno3kzm3O0aP2ExdsA1M.",
         0},                                                        /* cost */
        {"other_secret", "$1$saltsalt$NuzA7WTAelpl95xgBGWN6", 0},   /* 21 characters */
        {"other_secret", "$1$saltsaltx$NuzA7WTAelpl95xgBGWN60", 0}, /* salt over 8 */
        {"other_secret", "price $1$ or $5$ per item", 0},
        /* provider key names with their documented value shapes (values made up here) */
        {"other_secret", "BUNDLE_GEMS__CONTRIBSYS__COM=3f9a61c0:be72d418", 1},
        {"other_secret", "BUNDLE_GEMS__CONTRIBSYS__COM=3f9a61c0:be72d41", 0},
        {"other_secret", "SNYK_TOKEN=\"5b1d8e0a-7c34-4f2e-9a61-d03b7c9e42f8\"", 1},
        {"other_secret", "SNYK_TOKEN=\"00000000-0000-0000-0000-000000000000\"", 0},
        {"other_secret", "SNYK_TOKEN=\"5b1d8e0a7c344f2e9a61d03b7c9e42f8abcd\"", 0},
        {"other_secret", "SAUCE_ACCESS_KEY=5b1d8e0a-7c34-4f2e-9a61-d03b7c9e42f8", 1},
        {"other_secret", "VAULT_TOKEN=\"s.q7Rk2ZmT9xWc4Lb8NvPh3Jd6\"", 1},
        {"other_secret", "VAULT_TOKEN=\"s.qRkZmTxWcLbNvPhJdFgHsKtY\"", 0}, /* no digit */
        {"other_secret", "note: s.q7Rk2ZmT9xWc4Lb8NvPh3Jd6", 0},           /* no token name */
        {"other_secret", "Server=db01;Database=crm;User Id=app;Password=Tq4!vz9Lw;", 1},
        {"other_secret", "Data Source=db01; Uid=app; Pwd = Tq4!vz9Lw", 1},
        {"other_secret", "Server=db01;Database=crm;Password=${DB_PASSWORD};", 0},
        {"other_secret", "text << \"User=#{u}, Password=Tq4!vz9Lw\"", 0}, /* no ';' pair */
        {"other_secret", "Database=crm;Password=Tq4!vz9Lw;", 0},          /* no login or server */
        {"other_secret", "kubeadm join --token 7f3k9q.x2m8c4v6b1n5z0ra", 1},
        {"other_secret", "7f3k9q.x2m8c4v6b1n5z0ra", 0},
        {"other_secret", "\"X-Postmark-Server-Token\": \"5b1d8e0a-7c34-4f2e-9a61-d03b7c9e42f8\"",
         1},
        {"other_secret", "live_48213377_h2Kq9ZtB7vXw3LmN8pR4sD6fG1jY5c", 1}, /* 30 after _ */
        {"other_secret", "live_48213377_h2Kq9ZtB7vXw3LmN8pR4sD6fG1jY5cU", 0},
        {"other_secret", "live_48213377_h2Kq9ZtB7vXw3LmN8pR4sD6fG1jY5", 0},
        {"other_secret", "ado_token = \"k7d2mq4xw5ta3nfz6hrp2cyb7vj5lse4gqu3wio6xkd2mtbr5ncq\"", 1},
        {"other_secret", "note = \"k7d2mq4xw5ta3nfz6hrp2cyb7vj5lse4gqu3wio6xkd2mtbr5ncq\"", 0},
        {"other_secret", "ado_token = \"k7d2mq4xw5ta3nfz6hrp2cyb7vj5lse4gqu3wio6xkd2mtbr5nc\"", 0},
        {"other_secret",
         "curl \"https://blynk.cloud/external/api/get?token=Zq8vN2kR5tW1yB7mC4xL9pD3fH6jS0aG&v2\"",
         1},
        {"other_secret",
         "curl \"https://blynk.cloud/external/api/get?token=Zq8vN2kR5tW1yB7mC4xL9pD3fH6jS0a&v2\"",
         0},
        {"other_secret",
         "{\"method\": \"auth.login_with_api_key\", \"params\": [\"3-"
         "Zq8vN2kR5tW1yB7mC4xL9pD3fH6jS0aGe2Ui4Oo6Pp8Aa1Ss3Dd5Ff7Gg9Hh0Jj2\"]}",
         1},
        {"other_secret",
         "{\"method\": \"auth.login_with_api_key\", \"params\": [\"3-"
         "Zq8vN2kR5tW1yB7mC4xL9pD3fH6jS0aGe2Ui4Oo6Pp8Aa1Ss3Dd5Ff7Gg9Hh0Jj\"]}",
         0},
};

static void test_cases(void **state) {
        int failed = 0;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                int n = hits(state, cases[i].cat, cases[i].text, NULL);
                if (n != cases[i].expect) {
                        print_error("%s: \"%s\": %d detections, expected %d\n", cases[i].cat,
                                    cases[i].text, n, cases[i].expect);
                        failed++;
                }
        }
        assert_int_equal(failed, 0);
}

static void test_masks_hide_values(void **state) {
        char ex[96];
        assert_int_equal(hits(state, "credit_card", "4111 1111 1111 1111", ex), 1);
        assert_string_equal(ex, "**** **** **** 1111");
        assert_int_equal(hits(state, "aws_key", "AKIAJ7Q2XEZ4RLW3MNOP", ex), 1);
        assert_null(strstr(ex, "J7Q2XEZ4RLW3"));
        assert_int_equal(hits(state, "iban", "GB82WEST12345698765432", ex), 1);
        assert_null(strstr(ex, "WEST1234"));
}

static void test_unknown_name(void **state) {
        (void)state;
        const char *names[] = {"iban", "no_such_detector"};
        struct pw_detectors *d = NULL;
        struct pw_error err = {0};
        assert_int_equal(pw_detectors_new(names, 2, &d, &err), -ENOENT);
        assert_null(d);
        assert_non_null(strstr(err.text, "no_such_detector"));
}

static void test_names_build(void **state) {
        (void)state;
        /* Every listed name builds alone (so each has rules) and finds nothing in plain text. */
        for (const char *const *n = pw_detector_names(); *n; n++) {
                struct pw_detectors *d = NULL;
                assert_int_equal(pw_detectors_new(n, 1, &d, NULL), 0);
                struct hits h = {.want = *n};
                const char *t = "Nothing to see here, just words.";
                assert_int_equal(pw_detectors_scan(d, t, strlen(t), on_det, &h), 0);
                assert_int_equal(h.n, 0);
                pw_detectors_free(d);
        }
}

static void test_cache(void **state) {
        (void)state;
        char dir[] = "/tmp/pw-detect-cache-XXXXXX";
        assert_non_null(mkdtemp(dir));
        const char *names[] = {"iban", "aws_key"};
        for (int round = 0; round < 3; round++) {
                struct pw_detectors *d = NULL;
                assert_int_equal(pw_detectors_new_cached(names, 2, dir, &d, NULL), 0);
                struct hits h = {.want = "iban"};
                const char *t = "GB82 WEST 1234 5698 7654 32";
                assert_int_equal(pw_detectors_scan(d, t, strlen(t), on_det, &h), 0);
                assert_int_equal(h.n, 1);
                pw_detectors_free(d);
                if (round == 1) {
                        /* Corrupt the cache file: it must be ignored and rewritten. */
                        char cmd[256];
                        snprintf(cmd, sizeof cmd,
                                 "for f in %s/*.hsdb; do printf 'XXXX' | dd of=$f bs=1 seek=100 "
                                 "conv=notrunc 2>/dev/null; done",
                                 dir);
                        assert_int_equal(system(cmd), 0);
                }
        }
        char cmd[256];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

struct thread_arg {
        const struct pw_detectors *d;
        int found; /* detections of the card over all rounds */
};

static void *scan_thread(void *p) {
        struct thread_arg *a = p;
        const char *t = "card 4111 1111 1111 1111, mail a@example.org";
        for (int i = 0; i < 200; i++) {
                struct hits h = {.want = "credit_card"};
                if (pw_detectors_scan(a->d, t, strlen(t), on_det, &h) == 0)
                        a->found += h.n;
        }
        return NULL;
}

static void test_threads(void **state) {
        pthread_t th[4];
        struct thread_arg args[4];
        for (int i = 0; i < 4; i++) {
                args[i] = (struct thread_arg){*state, 0};
                assert_int_equal(pthread_create(&th[i], NULL, scan_thread, &args[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
                pthread_join(th[i], NULL);
                assert_int_equal(args[i].found, 200);
        }
}

static void test_bad_input(void **state) {
        struct hits h = {.want = "iban"};
        assert_int_equal(pw_detectors_scan(*state, NULL, 5, on_det, &h), -EINVAL);
        assert_int_equal(pw_detectors_scan(NULL, "x", 1, on_det, &h), -EINVAL);
        assert_int_equal(pw_detectors_scan(*state, "", 0, on_det, &h), 0);
        /* NUL bytes and invalid UTF-8 are just bytes. */
        const char t[] = "\0\xff\xfe GB82 WEST 1234 5698 7654 32 \xc3";
        assert_int_equal(pw_detectors_scan(*state, t, sizeof t - 1, on_det, &h), 0);
        assert_int_equal(h.n, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cases),        cmocka_unit_test(test_masks_hide_values),
                cmocka_unit_test(test_unknown_name), cmocka_unit_test(test_names_build),
                cmocka_unit_test(test_cache),        cmocka_unit_test(test_threads),
                cmocka_unit_test(test_bad_input),
        };
        return cmocka_run_group_tests_name("detect", tests, setup, teardown);
}
