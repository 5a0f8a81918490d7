/* Validators shared by the detectors: checksums (Luhn, MOD 97-10, Verhoeff, Base58Check,
 * Bech32, GitHub CRC32), the IBAN registry, entropy and placeholder tests, JWT decoding, masking.
 * Each follows a published specification named in its comment; the unit tests in
 * tests/unit/test_detect_check.c give each a valid, a wrong-checksum and a malformed case. */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>
#include <zlib.h>

#include "detect_internal.h"

int det_digits(const char *s, size_t n, char *out, size_t cap) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                if (!det_is_digit((unsigned char)s[i]))
                        continue;
                if (k + 1 >= cap)
                        return -1;
                out[k++] = s[i];
        }
        out[k] = '\0';
        return (int)k;
}

/* ---- checksums --------------------------------------------------------------------------------
 */

bool det_luhn(const char *digits, size_t n) {
        /* ISO/IEC 7812-1 annex B: from the right, double every second digit. */
        if (n < 2)
                return false;
        unsigned sum = 0;
        for (size_t i = 0; i < n; i++) {
                int d = digits[n - 1 - i] - '0';
                if (d < 0 || d > 9)
                        return false;
                if (i & 1) {
                        d *= 2;
                        if (d > 9)
                                d -= 9;
                }
                sum += (unsigned)d;
        }
        return sum % 10 == 0;
}

bool det_mod97(const char *s, size_t n) {
        /* ISO 7064 MOD 97-10, digit by digit so no big integers are needed. */
        if (n == 0)
                return false;
        unsigned rem = 0;
        for (size_t i = 0; i < n; i++) {
                int ch = (unsigned char)s[i];
                if (det_is_digit(ch)) {
                        rem = (rem * 10 + (unsigned)(ch - '0')) % 97;
                } else if (det_is_upper(ch)) {
                        unsigned v = (unsigned)(ch - 'A' + 10);
                        rem = (rem * 100 + v) % 97;
                } else {
                        return false;
                }
        }
        return rem == 1;
}

/* The SWIFT IBAN registry (release 2024; as transcribed by python-stdnum's iban.dat): country
 * code and BBAN structure in the registry's notation: "n" digits, "a" upper-case letters,
 * "c" alphanumerics, each preceded by its count ("!" = fixed length, always the case here). */
static const struct {
        char cc[3];
        const char *bban;
} iban_registry[] = {
        {"AD", "4!n4!n12!c"},
        {"AE", "3!n16!n"},
        {"AL", "8!n16!c"},
        {"AT", "5!n11!n"},
        {"AZ", "4!a20!c"},
        {"BA", "3!n3!n8!n2!n"},
        {"BE", "3!n7!n2!n"},
        {"BG", "4!a4!n2!n8!c"},
        {"BH", "4!a14!c"},
        {"BI", "5!n5!n11!n2!n"},
        {"BR", "8!n5!n10!n1!a1!c"},
        {"BY", "4!c4!n16!c"},
        {"CH", "5!n12!c"},
        {"CR", "4!n14!n"},
        {"CY", "3!n5!n16!c"},
        {"CZ", "4!n6!n10!n"},
        {"DE", "8!n10!n"},
        {"DJ", "5!n5!n11!n2!n"},
        {"DK", "4!n9!n1!n"},
        {"DO", "4!c20!n"},
        {"EE", "2!n14!n"},
        {"EG", "4!n4!n17!n"},
        {"ES", "4!n4!n1!n1!n10!n"},
        {"FI", "3!n11!n"},
        {"FK", "2!a12!n"},
        {"FO", "4!n9!n1!n"},
        {"FR", "5!n5!n11!c2!n"},
        {"GB", "4!a6!n8!n"},
        {"GE", "2!a16!n"},
        {"GI", "4!a15!c"},
        {"GL", "4!n9!n1!n"},
        {"GR", "3!n4!n16!c"},
        {"GT", "4!c20!c"},
        {"HN", "4!a20!n"},
        {"HR", "7!n10!n"},
        {"HU", "3!n4!n1!n15!n1!n"},
        {"IE", "4!a6!n8!n"},
        {"IL", "3!n3!n13!n"},
        {"IQ", "4!a3!n12!n"},
        {"IS", "4!n2!n6!n10!n"},
        {"IT", "1!a5!n5!n12!c"},
        {"JO", "4!a4!n18!c"},
        {"KW", "4!a22!c"},
        {"KZ", "3!n13!c"},
        {"LB", "4!n20!c"},
        {"LC", "4!a24!c"},
        {"LI", "5!n12!c"},
        {"LT", "5!n11!n"},
        {"LU", "3!n13!c"},
        {"LV", "4!a13!c"},
        {"LY", "3!n3!n15!n"},
        {"MC", "5!n5!n11!c2!n"},
        {"MD", "2!c18!c"},
        {"ME", "3!n13!n2!n"},
        {"MK", "3!n10!c2!n"},
        {"MN", "4!n12!n"},
        {"MR", "5!n5!n11!n2!n"},
        {"MT", "4!a5!n18!c"},
        {"MU", "4!a2!n2!n12!n3!n3!a"},
        {"NI", "4!a20!n"},
        {"NL", "4!a10!n"},
        {"NO", "4!n6!n1!n"},
        {"OM", "3!n16!c"},
        {"PK", "4!a16!c"},
        {"PL", "8!n16!n"},
        {"PS", "4!a21!c"},
        {"PT", "4!n4!n11!n2!n"},
        {"QA", "4!a21!c"},
        {"RO", "4!a16!c"},
        {"RS", "3!n13!n2!n"},
        {"RU", "9!n5!n15!c"},
        {"SA", "2!n18!c"},
        {"SC", "4!a2!n2!n16!n3!a"},
        {"SD", "2!n12!n"},
        {"SE", "3!n16!n1!n"},
        {"SI", "5!n8!n2!n"},
        {"SK", "4!n6!n10!n"},
        {"SM", "1!a5!n5!n12!c"},
        {"SO", "4!n3!n12!n"},
        {"ST", "8!n11!n2!n"},
        {"SV", "4!a20!n"},
        {"TL", "3!n14!n2!n"},
        {"TN", "2!n3!n13!n2!n"},
        {"TR", "5!n1!n16!c"},
        {"UA", "6!n19!c"},
        {"VA", "3!n15!n"},
        {"VG", "4!a16!n"},
        {"XK", "4!n10!n2!n"},
        {"YE", "4!a4!n18!c"},
};

static const char *iban_bban(const char cc[2]) {
        for (size_t i = 0; i < sizeof iban_registry / sizeof iban_registry[0]; i++)
                if (iban_registry[i].cc[0] == cc[0] && iban_registry[i].cc[1] == cc[1])
                        return iban_registry[i].bban;
        return NULL;
}

size_t det_iban_length(const char cc[2]) {
        const char *f = iban_bban(cc);
        if (!f)
                return 0;
        size_t total = 4;
        while (*f) {
                size_t k = 0;
                while (det_is_digit((unsigned char)*f))
                        k = k * 10 + (size_t)(*f++ - '0');
                if (*f == '!')
                        f++;
                if (*f)
                        f++;
                total += k;
        }
        return total;
}

bool det_iban_valid(const char *iban, size_t n) {
        if (n < 5 || n > 34 || n > 40 - 4 || !det_is_upper((unsigned char)iban[0]) ||
            !det_is_upper((unsigned char)iban[1]) || !det_is_digit((unsigned char)iban[2]) ||
            !det_is_digit((unsigned char)iban[3]))
                return false;
        const char *f = iban_bban(iban);
        if (!f || det_iban_length(iban) != n)
                return false;
        /* BBAN structure, field by field. */
        size_t pos = 4;
        while (*f) {
                size_t k = 0;
                while (det_is_digit((unsigned char)*f))
                        k = k * 10 + (size_t)(*f++ - '0');
                if (*f == '!')
                        f++;
                char kind = *f ? *f++ : 'c';
                for (size_t j = 0; j < k; j++, pos++) {
                        int ch = (unsigned char)iban[pos];
                        bool ok = kind == 'n'   ? det_is_digit(ch)
                                  : kind == 'a' ? det_is_upper(ch)
                                                : det_is_alnum(ch);
                        if (!ok)
                                return false;
                }
        }
        /* Check digits 00, 01 and 99 are never issued (ISO 13616-1: 02..98). */
        int chk = (iban[2] - '0') * 10 + (iban[3] - '0');
        if (chk < 2 || chk > 98)
                return false;
        char re[40];
        memcpy(re, iban + 4, n - 4);
        memcpy(re + n - 4, iban, 4);
        for (size_t i = 0; i < n; i++)
                if (det_is_lower((unsigned char)re[i]))
                        re[i] = (char)(re[i] - 'a' + 'A');
        return det_mod97(re, n);
}

bool det_verhoeff(const char *digits, size_t n) {
        /* Verhoeff (1969): dihedral group D5 multiplication and permutation tables. */
        static const unsigned char d[10][10] = {
                {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
                {2, 3, 4, 0, 1, 7, 8, 9, 5, 6}, {3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
                {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
                {6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
                {8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
        };
        static const unsigned char p[8][10] = {
                {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
                {5, 8, 0, 3, 7, 9, 6, 1, 4, 2}, {8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
                {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
                {2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8},
        };
        if (n == 0)
                return false;
        unsigned c = 0;
        for (size_t i = 0; i < n; i++) {
                int v = digits[n - 1 - i] - '0';
                if (v < 0 || v > 9)
                        return false;
                c = d[c][p[i % 8][v]];
        }
        return c == 0;
}

bool det_base58check(const char *s, size_t n, uint8_t *version, size_t *payload_len) {
        /* Bitcoin Base58Check: big-endian base-58 number, leading '1's are zero bytes, the last
         * 4 bytes are the first 4 of SHA-256(SHA-256(rest)). */
        static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        if (n == 0 || n > 64)
                return false;
        unsigned char buf[64] = {0}; /* big-endian result, right-aligned */
        size_t used = 0;             /* bytes of buf in use, from the right */
        size_t zeros = 0;
        while (zeros < n && s[zeros] == '1')
                zeros++;
        for (size_t i = 0; i < n; i++) {
                const char *pos = memchr(alphabet, s[i], 58);
                if (!pos || !s[i])
                        return false;
                unsigned carry = (unsigned)(pos - alphabet);
                for (size_t j = 0; j < used || carry; j++) {
                        if (j >= sizeof buf)
                                return false;
                        if (j >= used)
                                used = j + 1;
                        carry += 58u * buf[sizeof buf - 1 - j];
                        buf[sizeof buf - 1 - j] = (unsigned char)(carry & 0xff);
                        carry >>= 8;
                }
        }
        /* Leading zero bytes of the number are not part of `used`; '1's add them back. */
        size_t total = zeros + used;
        if (total < 5 || total > sizeof buf)
                return false;
        const unsigned char *dec = buf + sizeof buf - total;
        unsigned char h1[crypto_hash_sha256_BYTES], h2[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(h1, dec, total - 4);
        crypto_hash_sha256(h2, h1, sizeof h1);
        if (memcmp(h2, dec + total - 4, 4) != 0)
                return false;
        *version = dec[0];
        *payload_len = total - 5;
        return true;
}

static uint32_t bech32_polymod(const unsigned char *v, size_t n) {
        static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
        uint32_t chk = 1;
        for (size_t i = 0; i < n; i++) {
                uint32_t top = chk >> 25;
                chk = ((chk & 0x1ffffff) << 5) ^ v[i];
                for (int k = 0; k < 5; k++)
                        if ((top >> k) & 1)
                                chk ^= gen[k];
        }
        return chk;
}

bool det_bech32(const char *s, size_t n, size_t *hrp_len) {
        /* BIP-173 (constant 1) and BIP-350 bech32m (constant 0x2bc830a3). */
        static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
        if (n < 8 || n > 90)
                return false;
        bool lower = false, upper = false;
        size_t sep = 0;
        for (size_t i = 0; i < n; i++) {
                int ch = (unsigned char)s[i];
                if (ch < 33 || ch > 126)
                        return false;
                lower |= det_is_lower(ch);
                upper |= det_is_upper(ch);
                if (ch == '1')
                        sep = i;
        }
        if ((lower && upper) || sep < 1 || sep + 7 > n)
                return false;
        unsigned char v[200];
        size_t k = 0;
        for (size_t i = 0; i < sep; i++)
                v[k++] = (unsigned char)(tolower((unsigned char)s[i]) >> 5);
        v[k++] = 0;
        for (size_t i = 0; i < sep; i++)
                v[k++] = (unsigned char)(tolower((unsigned char)s[i]) & 31);
        for (size_t i = sep + 1; i < n; i++) {
                const char *pos = memchr(charset, tolower((unsigned char)s[i]), 32);
                if (!pos)
                        return false;
                v[k++] = (unsigned char)(pos - charset);
        }
        uint32_t pm = bech32_polymod(v, k);
        if (pm != 1 && pm != 0x2bc830a3)
                return false;
        *hrp_len = sep;
        return true;
}

bool det_github_crc(const char *body, size_t n) {
        /* GitHub's token format (github.blog, 2021-04-05 "Behind GitHub's new authentication
         * token formats"): 30 random base62 characters, then their CRC32 in base62, 6 digits,
         * left-padded with '0'. */
        static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        if (n != 36)
                return false;
        uLong crc = crc32(0L, (const Bytef *)body, 30);
        char enc[7];
        for (int i = 5; i >= 0; i--) {
                enc[i] = b62[crc % 62];
                crc /= 62;
        }
        return memcmp(enc, body + 30, 6) == 0;
}

/* ---- entropy and placeholders ---------------------------------------------------------------- */

double det_entropy(const char *s, size_t n) {
        if (n == 0)
                return 0;
        unsigned cnt[256] = {0};
        for (size_t i = 0; i < n; i++)
                cnt[(unsigned char)s[i]]++;
        double h = 0;
        for (int i = 0; i < 256; i++) {
                if (!cnt[i])
                        continue;
                double p = (double)cnt[i] / (double)n;
                h -= p * log2(p);
        }
        return h;
}

bool det_placeholder(const char *s, size_t n) {
        static const char *const words[] = {
                "example",  "xxxx",        "your_",    "your-",    "yourkey",  "changeme",
                "dummy",    "placeholder", "redacted", "insert_",  "replace_", "<",
                "...",      "****",        "0000000",  "1234567",  "abcdefgh", "token_here",
                "key_here", "secret_key",  "mytoken",  "my-token", "my_token",
        };
        if (n == 0)
                return true;
        char low[256];
        size_t m = n < sizeof low - 1 ? n : sizeof low - 1;
        unsigned seen[256] = {0};
        unsigned distinct = 0, run = 1, maxrun = 1;
        for (size_t i = 0; i < m; i++) {
                unsigned char ch = (unsigned char)s[i];
                low[i] = (char)tolower(ch);
                if (!seen[ch]++)
                        distinct++;
                if (i && s[i] == s[i - 1]) {
                        if (++run > maxrun)
                                maxrun = run;
                } else {
                        run = 1;
                }
        }
        low[m] = '\0';
        if (m >= 12 && distinct < 6)
                return true;
        if (maxrun >= 8)
                return true;
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
                if (strstr(low, words[i]))
                        return true;
        return false;
}

/* ---- JWT --------------------------------------------------------------------------------------
 */

long det_b64url_decode(const char *s, size_t n, unsigned char *out, size_t cap) {
        size_t got = 0;
        if (sodium_base642bin(out, cap, s, n, NULL, &got, NULL,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
                return -1;
        return (long)got;
}

bool det_jwt_part_json(const char *s, size_t n, bool require_alg) {
        unsigned char buf[4096];
        if (n == 0 || n > sizeof buf / 3 * 4)
                return false;
        long got = det_b64url_decode(s, n, buf, sizeof buf);
        if (got <= 1 || buf[0] != '{')
                return false;
        json_error_t jerr;
        json_t *j = json_loadb((const char *)buf, (size_t)got, JSON_REJECT_DUPLICATES, &jerr);
        if (!j)
                return false;
        bool ok = json_is_object(j);
        if (ok && require_alg) {
                json_t *alg = json_object_get(j, "alg");
                ok = json_is_string(alg) && json_string_length(alg) > 0 &&
                     json_string_length(alg) < 32;
        }
        json_decref(j);
        return ok;
}

bool det_jwt_valid(const char *s, size_t n) {
        /* RFC 7519 compact form: BASE64URL(header) "." BASE64URL(claims) "." signature; the
         * signature may be empty ("alg": "none", RFC 7519 section 6). */
        const char *dot1 = memchr(s, '.', n);
        if (!dot1)
                return false;
        size_t hl = (size_t)(dot1 - s);
        if (!det_jwt_part_json(s, hl, true))
                return false;
        const char *p = dot1 + 1;
        size_t rest = n - hl - 1;
        const char *dot2 = memchr(p, '.', rest);
        size_t pl = dot2 ? (size_t)(dot2 - p) : rest;
        if (pl < 4)
                return false;
        /* Long claims sets are checked by their start only: decode a prefix of whole quanta and
         * require the opening of a JSON object. */
        if (pl <= 2048)
                return det_jwt_part_json(p, pl, false);
        unsigned char buf[64];
        long got = det_b64url_decode(p, 64, buf, sizeof buf);
        return got > 0 && buf[0] == '{';
}

/* ---- spans and masking ----------------------------------------------------------------------- */

void det_extend(const struct det_cand *c, size_t *s, size_t *e, bool (*in)(int ch)) {
        while (*s > 0 && in((unsigned char)c->text[*s - 1]))
                (*s)--;
        while (*e < c->len && in((unsigned char)c->text[*e]))
                (*e)++;
}

void det_mask_excerpt(const char *text, size_t s, size_t e, enum det_mask mode, char out[96]) {
        size_t n = e - s;
        const char *t = text + s;
        size_t o = 0;
        switch (mode) {
        case DET_MASK_TAIL4: {
                size_t alnum = 0;
                for (size_t i = 0; i < n; i++)
                        alnum += det_is_alnum((unsigned char)t[i]);
                size_t keep = alnum >= 8 ? 4 : alnum / 3;
                size_t seen = 0;
                for (size_t i = 0; i < n && o < 90; i++) {
                        int ch = (unsigned char)t[i];
                        if (det_is_alnum(ch)) {
                                seen++;
                                out[o++] = seen > alnum - keep ? (char)ch : '*';
                        } else {
                                out[o++] = ch < 0x20 || ch >= 0x7f ? ' ' : (char)ch;
                        }
                }
                break;
        }
        case DET_MASK_EMAIL: {
                const char *at = memchr(t, '@', n);
                size_t dom = at ? (size_t)(at - t) : 0;
                if (n > 0 && at) {
                        out[o++] = t[0];
                        memcpy(out + o, "***", 3);
                        o += 3;
                        for (size_t i = dom; i < n && o < 90; i++)
                                out[o++] = t[i];
                } else {
                        memcpy(out, "***", 3);
                        o = 3;
                }
                break;
        }
        case DET_MASK_HEADER: {
                for (size_t i = 0; i < n && o < 60 && t[i] != '\n' && t[i] != '\\'; i++)
                        out[o++] = t[i];
                memcpy(out + o, "\xe2\x80\xa6", 3);
                o += 3;
                break;
        }
        case DET_MASK_ENDS:
        default: {
                size_t k = n / 5;
                if (k > 4)
                        k = 4;
                for (size_t i = 0; i < k; i++)
                        out[o++] = t[i] < 0x20 ? ' ' : t[i];
                memcpy(out + o, "\xe2\x80\xa6", 3);
                o += 3;
                for (size_t i = n - k; i < n; i++)
                        out[o++] = t[i] < 0x20 ? ' ' : t[i];
                break;
        }
        }
        out[o] = '\0';
}
