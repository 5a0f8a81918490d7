/* Personal-data detectors: payment cards, IBANs, e-mail addresses, phone numbers, US SSNs, IP,
 * MAC and wallet addresses, URLs. Each check names the specification it follows. */
#include <arpa/inet.h>
#include <string.h>

#include "detect_internal.h"

/* ---- numeric tokens ----------------------------------------------------------------------------
 * Cards, SSNs and phone numbers are digit groups joined by single separators. A proposal is
 * widened to the whole token; the token's groups are then tried as a whole and, failing that,
 * as runs of consecutive groups (longest first), so "order 12 4111 1111 1111 1111" still finds
 * the card. */

#define MAX_GROUPS 24

struct ntok {
        size_t s, e;           /* the token's extent */
        size_t ng;             /* groups */
        size_t gs[MAX_GROUPS]; /* group starts */
        size_t ge[MAX_GROUPS]; /* group ends */
        char sep[MAX_GROUPS];  /* separator after group i ('\0' for the last) */
};

/* Widens [pos, pos+1) to a token of digit groups joined by one byte of `seps`; fails when the
 * token has too many groups or is glued to a letter/digit-like neighbour. */
static bool num_token(const struct det_cand *c, size_t pos, const char *seps, struct ntok *t) {
        size_t s = pos, e = pos;
        if (!det_is_digit(det_at(c, pos)))
                return false;
        for (;;) {
                int b = det_before(c, s);
                if (det_is_digit(b)) {
                        s--;
                } else if (b && strchr(seps, b) && det_is_digit(det_before(c, s - 1))) {
                        s--;
                } else {
                        break;
                }
        }
        for (;;) {
                int a = det_at(c, e);
                if (det_is_digit(a)) {
                        e++;
                } else if (a && strchr(seps, a) && det_is_digit(det_at(c, e + 1))) {
                        e++;
                } else {
                        break;
                }
        }
        if (det_is_wordish(det_before(c, s)) || det_is_wordish(det_at(c, e)))
                return false;
        t->s = s;
        t->e = e;
        t->ng = 0;
        for (size_t i = s; i < e;) {
                if (t->ng == MAX_GROUPS)
                        return false;
                size_t g = i;
                while (i < e && det_is_digit((unsigned char)c->text[i]))
                        i++;
                t->gs[t->ng] = g;
                t->ge[t->ng] = i;
                t->sep[t->ng] = i < e ? c->text[i] : '\0';
                t->ng++;
                if (i < e)
                        i++;
        }
        return true;
}

/* Digits of groups i..j into out (cap bytes); returns the count or -1. */
static int group_digits(const struct det_cand *c, const struct ntok *t, size_t i, size_t j,
                        char *out, size_t cap) {
        return det_digits(c->text + t->gs[i], t->ge[j] - t->gs[i], out, cap);
}

/* True when the separators between groups i..j are all the same byte. */
static bool same_seps(const struct ntok *t, size_t i, size_t j) {
        for (size_t k = i; k + 1 <= j; k++)
                if (t->sep[k] != t->sep[i])
                        return false;
        return true;
}

/* Tries runs of groups: for each start group, the longest run `ok` accepts is emitted and the
 * search continues after it. */
static void try_runs(const struct det_cand *c, struct det_sink *k, const struct ntok *t,
                     bool (*ok)(const struct det_cand *c, const struct ntok *t, size_t i, size_t j,
                                int *conf)) {
        det_consumed(k, t->e);
        for (size_t i = 0; i < t->ng; i++)
                for (size_t j = t->ng; j-- > i;) {
                        int conf = det_base_conf(k);
                        if (ok(c, t, i, j, &conf)) {
                                det_emit(k, t->gs[i], t->ge[j], conf);
                                i = j;
                                break;
                        }
                }
}

/* ---- credit_card ------------------------------------------------------------------------------
 * ISO/IEC 7812: Luhn check digit; issuer identification numbers and lengths as the networks
 * publish them (Visa, Mastercard incl. 2-series, Amex, Discover, Diners, JCB, UnionPay, Maestro,
 * Mir, RuPay, Troy, UATP). Separators: none, or one kind of space/dash between groups. */

static bool card_issuer(const char *d, size_t n) {
        int p2 = (d[0] - '0') * 10 + (d[1] - '0');
        int p3 = p2 * 10 + (d[2] - '0');
        int p4 = p3 * 10 + (d[3] - '0');
        int p6 = p4 * 100 + (d[4] - '0') * 10 + (d[5] - '0');
        if (d[0] == '4')
                return n == 13 || n == 16 || n == 19; /* Visa */
        if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
                return n == 16; /* Mastercard */
        if (p2 == 34 || p2 == 37)
                return n == 15; /* American Express */
        if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39)
                return n >= 14 && n <= 19; /* Diners Club */
        if (p4 >= 3528 && p4 <= 3589)
                return n >= 16 && n <= 19; /* JCB */
        if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 || (p6 >= 622126 && p6 <= 622925))
                return n >= 16 && n <= 19; /* Discover */
        if (p2 == 62 || p2 == 81)
                return n >= 16 && n <= 19; /* UnionPay */
        if (p4 >= 2200 && p4 <= 2204)
                return n >= 16 && n <= 19; /* Mir */
        if (p2 == 50 || (p2 >= 56 && p2 <= 58) || p2 == 60 || p2 == 63 || p2 == 67 || p2 == 69)
                return n >= 13 && n <= 19; /* Maestro, RuPay (60), Verve (50); 12 is too weak */
        if (p4 == 9792)
                return n == 16; /* Troy */
        if (d[0] == '1')
                return n == 15; /* UATP */
        return false;
}

/* True when group g exists, is joined to the run by separator `sep`, and has 4 digits: the run
 * is then a slice of a longer 4-digit-grouped number (a USPS tracking number, an account
 * listing), not a card. A shorter neighbour ("4111 1111 1111 1111 123", a CVV) is allowed. */
static bool four_block_neighbour(const struct ntok *t, size_t i, size_t j) {
        if (i > 0 && t->sep[i - 1] == t->sep[i] && t->ge[i - 1] - t->gs[i - 1] == 4)
                return true;
        if (j + 1 < t->ng && t->sep[j] == (i < j ? t->sep[i] : t->sep[j]) &&
            t->ge[j + 1] - t->gs[j + 1] == 4)
                return true;
        return false;
}

static bool card_run(const struct det_cand *c, const struct ntok *t, size_t i, size_t j,
                     int *conf) {
        char d[24];
        int n = group_digits(c, t, i, j, d, sizeof d);
        if (n < 13 || n > 19 || !same_seps(t, i, j) || (i < j && t->sep[i] == '.'))
                return false;
        /* Grouped numbers are printed in groups of 4 (or 4-6-5 / 4-6-4). */
        if (i < j) {
                size_t g0 = t->ge[i] - t->gs[i];
                if (g0 != 4 || four_block_neighbour(t, i, j))
                        return false;
        }
        if (!card_issuer(d, (size_t)n) || !det_luhn(d, (size_t)n))
                return false;
        (void)conf;
        return true;
}

static void check_card(const struct det_cand *c, struct det_sink *k) {
        struct ntok t;
        if (num_token(c, c->to - 1, " -", &t))
                try_runs(c, k, &t, card_run);
        else
                det_consumed(k, c->to);
}

/* ---- us_ssn ------------------------------------------------------------------------------------
 * SSA: AAA-GG-SSSS with area not 000, 666 or 900-999, group not 00, serial not 0000 (and
 * since 2011 randomised, so no high-group table); 078-05-1120 and 219-09-9999 were voided
 * after appearing in advertising. Unseparated 9 digits need a context word. */

static bool ssn_digits_ok(const char *d) {
        int area = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
        if (area == 0 || area == 666 || area >= 900)
                return false;
        if (d[3] == '0' && d[4] == '0')
                return false;
        if (!memcmp(d + 5, "0000", 4))
                return false;
        if (!memcmp(d, "078051120", 9) || !memcmp(d, "219099999", 9) || !memcmp(d, "123456789", 9))
                return false;
        bool all_same = true;
        for (int i = 1; i < 9; i++)
                all_same &= d[i] == d[0];
        return !all_same;
}

static bool ssn_run(const struct det_cand *c, const struct ntok *t, size_t i, size_t j, int *conf) {
        char d[16];
        if (group_digits(c, t, i, j, d, sizeof d) != 9 || !ssn_digits_ok(d))
                return false;
        if (i == j) {
                *conf = 30; /* bare 9 digits: only with a context word */
                return true;
        }
        return j == i + 2 && same_seps(t, i, j) && t->ge[i] - t->gs[i] == 3 &&
               t->ge[i + 1] - t->gs[i + 1] == 2;
}

static void check_ssn(const struct det_cand *c, struct det_sink *k) {
        struct ntok t;
        if (num_token(c, c->to - 1, " -.", &t))
                try_runs(c, k, &t, ssn_run);
        else
                det_consumed(k, c->to);
}

/* ---- phone -------------------------------------------------------------------------------------
 * ITU-T E.164: "+" country code, at most 15 digits; national formats with a trunk "0" (most of
 * Europe, Asia, Latin America: 9-12 digits) and the North American Numbering Plan (NXX NXX XXXX).
 * Groups may be joined by one space, dash or dot, and one group may sit in parentheses. Without
 * libphonenumber there is no per-country numbering plan: this is a format check, not a
 * validity check. Dates, times, IP-like dotted quads and long digit runs are refused. */

static bool phone_char(int ch) {
        return det_is_digit(ch) || ch == ' ' || ch == '-' || ch == '.' || ch == '(' || ch == ')' ||
               ch == '+';
}

/* Parses p[0..n) as one phone number; returns a confidence or 0. */
static int phone_parse(const char *p, size_t n) {
        char d[24];
        size_t nd = 0, groups = 0, parens = 0, maxg = 0, g = 0;
        bool plus = false, in_paren = false;
        char seps[8];
        size_t nsep = 0;
        size_t glen[24];
        for (size_t i = 0; i < n; i++) {
                int ch = (unsigned char)p[i];
                if (det_is_digit(ch)) {
                        if (nd == sizeof d - 1)
                                return 0;
                        d[nd++] = (char)ch;
                        g++;
                        continue;
                }
                if (g) {
                        if (groups < 24)
                                glen[groups] = g;
                        groups++;
                        if (g > maxg)
                                maxg = g;
                        g = 0;
                }
                if (ch == '+') {
                        if (i != 0)
                                return 0;
                        plus = true;
                } else if (ch == '(') {
                        if (in_paren || parens++)
                                return 0;
                        in_paren = true;
                } else if (ch == ')') {
                        if (!in_paren)
                                return 0;
                        in_paren = false;
                } else {
                        /* A separator: never two in a row except around parentheses. */
                        if (i + 1 < n && (p[i + 1] == ' ' || p[i + 1] == '-' || p[i + 1] == '.'))
                                return 0;
                        if (nsep < sizeof seps)
                                seps[nsep++] = (char)ch;
                }
        }
        if (g) {
                if (groups < 24)
                        glen[groups] = g;
                groups++;
                if (g > maxg)
                        maxg = g;
        }
        if (in_paren || nd < 7)
                return 0;
        d[nd] = '\0';
        bool dots = false, dashes = false;
        for (size_t i = 0; i < nsep; i++) {
                dots |= seps[i] == '.';
                dashes |= seps[i] == '-';
        }
        /* Dotted quads and dates are not phone numbers. */
        if (dots && groups >= 3 && maxg <= 3 && !plus)
                return 0;
        if (groups == 3 && (dots || dashes) && !plus && glen[0] == 4 && glen[1] <= 2 &&
            glen[2] <= 2)
                return 0;
        if (groups == 3 && (dots || dashes) && !plus && glen[0] <= 2 && glen[1] <= 2 &&
            glen[2] == 4)
                return 0;
        if (plus) {
                if (d[0] == '0' || nd < 8 || nd > 15)
                        return 0;
                if (d[0] == '1' && nd != 11)
                        return 0;
                return 70;
        }
        if (d[0] == '0') {
                /* National number with trunk prefix. */
                if (nd < 9 || nd > 12 || (nd > 1 && d[1] == '0'))
                        return 0;
                return groups > 1 || parens ? 60 : 55;
        }
        if (nd == 11 && d[0] == '1' && d[1] >= '2' && (groups > 1 || parens))
                return 60; /* NANP with the "1" prefix */
        if (nd != 10 || d[0] < '2')
                return 0;
        if (groups == 1 && !parens)
                return 50; /* ten bare digits: NANP or a mobile number without trunk "0" */
        return 60;
}

static void check_phone(const struct det_cand *c, struct det_sink *k) {
        /* Widen the proposal to a run of phone characters without double separators. */
        size_t s = c->to, e = c->to;
        while (s > 0 && phone_char(det_before(c, s)) &&
               !(det_before(c, s) == ' ' && s >= 2 && !phone_char(det_before(c, s - 1))) &&
               !(det_before(c, s) == ' ' && det_before(c, s - 1) == ' '))
                s--;
        while (e < c->len && phone_char(det_at(c, e)) &&
               !(det_at(c, e) == ' ' && det_at(c, e + 1) == ' '))
                e++;
        det_consumed(k, e);
        /* Trim to a digit, "+" or "(" at the start and a digit or ")" at the end. */
        while (s < e && !det_is_digit(det_at(c, s)) && det_at(c, s) != '+' && det_at(c, s) != '(')
                s++;
        while (e > s && !det_is_digit(det_before(c, e)))
                e--;
        if (e > s && det_at(c, e) == ')')
                e++;
        if (e <= s)
                return;
        if (det_is_wordish(det_before(c, s)) || det_is_wordish(det_at(c, e)))
                return;
        /* Glued to a word by '-', '.' or '/' ("CVE-2026-119260", "RFC-1234567"): an identifier. */
        int pb = det_before(c, s), na = det_at(c, e);
        if ((pb == '-' || pb == '.' || pb == '/') && det_is_alnum(det_before(c, s - 1)))
                return;
        if ((na == '-' || na == '.' || na == '/') && det_is_alnum(det_at(c, e + 1)))
                return;
        /* The whole run, or else its space-separated chunks, longest runs first. */
        int conf = phone_parse(c->text + s, e - s);
        if (conf) {
                det_emit(k, s, e, conf);
                return;
        }
        size_t cs[32], ce[32], nc = 0;
        for (size_t i = s; i < e && nc < 32;) {
                size_t a = i;
                while (i < e && c->text[i] != ' ')
                        i++;
                cs[nc] = a;
                ce[nc++] = i;
                while (i < e && c->text[i] == ' ')
                        i++;
        }
        for (size_t i = 0; i < nc; i++)
                for (size_t j = nc; j-- > i;) {
                        if (i == 0 && j == nc - 1)
                                continue;
                        int cf = phone_parse(c->text + cs[i], ce[j] - cs[i]);
                        if (cf) {
                                det_emit(k, cs[i], ce[j], cf);
                                i = j;
                                break;
                        }
                }
}

/* ---- iban --------------------------------------------------------------------------------------
 * ISO 13616: country code, two check digits, the BBAN with the length and character classes the
 * SWIFT IBAN registry gives for the country; MOD 97-10 (ISO 7064). Printed compact or in groups
 * joined by single spaces, dots or dashes (as printed by banks and by python-stdnum's test list);
 * lower-case letters are accepted only in alphanumeric ("c") BBAN fields. */

static void check_iban(const struct det_cand *c, struct det_sink *k) {
        size_t p = c->from;
        det_consumed(k, c->to);
        if (det_is_wordish(det_before(c, p)))
                return;
        char cc[2] = {c->text[p], c->text[p + 1]};
        size_t want = det_iban_length(cc);
        if (!want)
                return;
        char buf[40];
        size_t n = 0, i = p;
        while (i < c->len && n < want) {
                int ch = (unsigned char)c->text[i];
                if (det_is_alnum(ch)) {
                        buf[n++] = (char)ch;
                        i++;
                } else if ((ch == ' ' || ch == '.' || ch == '-') && n > 0 &&
                           det_is_alnum(det_at(c, i + 1))) {
                        i++;
                } else {
                        break;
                }
        }
        if (n != want || det_is_wordish(det_at(c, i)))
                return;
        if (!det_iban_valid(buf, n))
                return;
        det_emit(k, p, i, det_base_conf(k));
}

/* ---- email -------------------------------------------------------------------------------------
 * RFC 5321/5322 addr-spec, dot-atom form only: local part of atext and dots (no leading,
 * trailing or double dot, at most 64 bytes), domain of LDH labels (RFC 1035/5890, at most 63
 * bytes each) with an alphabetic or IDNA ("xn--") top-level label. */

static bool email_local(int ch) {
        return det_is_alnum(ch) || (ch && strchr("!#$%&'*+/=?^_`{|}~.-", ch));
}
static bool email_domain(int ch) {
        return det_is_alnum(ch) || ch == '-' || ch == '.';
}

/* Validates an LDH domain name d[0..n) with at least two labels and a plausible TLD. */
static bool domain_ok(const char *d, size_t n, bool need_alpha_tld) {
        if (n < 4 || n > 253)
                return false;
        size_t labels = 0, ls = 0;
        for (size_t i = 0; i <= n; i++) {
                if (i < n && d[i] != '.')
                        continue;
                size_t ll = i - ls;
                if (ll == 0 || ll > 63 || d[ls] == '-' || d[i - 1] == '-')
                        return false;
                labels++;
                if (i == n) {
                        bool alpha = true;
                        for (size_t j = ls; j < n; j++)
                                alpha &= det_is_alpha((unsigned char)d[j]);
                        bool idna = ll > 4 && !strncmp(d + ls, "xn--", 4);
                        if (need_alpha_tld && !((alpha && ll >= 2) || idna))
                                return false;
                }
                ls = i + 1;
        }
        return labels >= 2;
}

static void check_email(const struct det_cand *c, struct det_sink *k) {
        /* The proposal ends inside the domain; find its '@'. */
        size_t at = c->to;
        while (at > 0 && c->text[at - 1] != '@')
                at--;
        if (at == 0)
                return;
        at--;
        size_t s = at, e = at + 1;
        while (s > 0 && email_local(det_before(c, s)))
                s--;
        while (e < c->len && email_domain(det_at(c, e)))
                e++;
        det_consumed(k, e);
        while (s < at && (c->text[s] == '.' || c->text[s] == '\'' || c->text[s] == '`'))
                s++;
        while (e > at + 1 && (c->text[e - 1] == '.' || c->text[e - 1] == '-'))
                e--;
        size_t ll = at - s;
        if (ll == 0 || ll > 64 || c->text[at - 1] == '.' || memmem(c->text + s, ll, "..", 2))
                return;
        if (!domain_ok(c->text + at + 1, e - at - 1, true))
                return;
        if (det_is_wordish(det_at(c, e)) && det_at(c, e) < 0x80)
                return;
        det_emit(k, s, e, det_base_conf(k));
}

/* ---- url ---------------------------------------------------------------------------------------
 * RFC 3986 URIs with an http, https or ftp scheme and a dotted host; bare host names
 * ("example.com") when the top-level domain is a common generic or country one. Trailing
 * punctuation of the sentence is not part of the URL. */

static bool url_char(int ch) {
        return det_is_alnum(ch) || (ch && strchr("-._~:/?#[]@!$&'()*+,;=%", ch)) || ch >= 0x80;
}

static void url_trim(const struct det_cand *c, size_t s, size_t *e) {
        while (*e > s && strchr(".,;:!?'\"", c->text[*e - 1]))
                (*e)--;
        /* A closing parenthesis belongs to the URL only when it opened one. */
        if (*e > s && c->text[*e - 1] == ')' && !memchr(c->text + s, '(', *e - s))
                (*e)--;
}

static void check_url_scheme(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->from, e = c->to;
        if (det_is_alnum(det_before(c, s)))
                return;
        while (e < c->len && url_char(det_at(c, e)))
                e++;
        det_consumed(k, e);
        url_trim(c, s, &e);
        /* Host: after "://" up to '/', ':', '?', '#'. */
        const char *h = memmem(c->text + s, e - s, "://", 3);
        if (!h)
                return;
        size_t hs = (size_t)(h - c->text) + 3, he = hs;
        while (he < e && !strchr("/:?#", c->text[he]))
                he++;
        const char *atp = memchr(c->text + hs, '@', he - hs);
        if (atp)
                hs = (size_t)(atp - c->text) + 1;
        if (he <= hs)
                return;
        bool ip6 = c->text[hs] == '[';
        if (!ip6 && !memchr(c->text + hs, '.', he - hs))
                return;
        det_emit(k, s, e, det_base_conf(k));
}

static void check_url_bare(const struct det_cand *c, struct det_sink *k) {
        /* The proposal ends at the TLD; widen left over the host name. */
        size_t s = c->to, e = c->to;
        while (s > 0 && email_domain(det_before(c, s)))
                s--;
        det_consumed(k, e);
        while (s < e && !det_is_alnum(det_at(c, s)))
                s++;
        int b = det_before(c, s);
        if (b == '@' || b == '/' || det_is_wordish(b) || b == ':')
                return;
        if (det_is_alnum(det_at(c, e)) || det_at(c, e) == '@' || det_at(c, e) == '-')
                return;
        if (!domain_ok(c->text + s, e - s, true))
                return;
        /* A path after the host belongs to the URL. */
        if (det_at(c, e) == '/') {
                while (e < c->len && url_char(det_at(c, e)))
                        e++;
                url_trim(c, s, &e);
        }
        det_emit(k, s, e, det_base_conf(k));
}

/* ---- ip_address --------------------------------------------------------------------------------
 * RFC 791 dotted quad (each part 0-255, no leading zeros); RFC 4291 section 2.2 text forms of
 * IPv6 (checked with inet_pton), including embedded IPv4, zone ids and prefixes after the
 * address. A dotted quad right after "version"/"v" is a version number. */

static bool ip4_char(int ch) {
        return det_is_digit(ch) || ch == '.';
}

static bool ip4_parse(const char *p, size_t n) {
        int parts = 0;
        size_t i = 0;
        while (i < n) {
                size_t a = i;
                unsigned v = 0;
                while (i < n && det_is_digit((unsigned char)p[i]))
                        v = v * 10 + (unsigned)(p[i++] - '0');
                size_t len = i - a;
                if (len == 0 || len > 3 || v > 255 || (len > 1 && p[a] == '0'))
                        return false;
                parts++;
                if (i < n) {
                        if (p[i] != '.')
                                return false;
                        i++;
                        if (i == n)
                                return false;
                }
        }
        return parts == 4;
}

static bool version_before(const struct det_cand *c, size_t s) {
        static const char *const words[] = {"version", "release", "ver.",    "ver ", "v.",
                                            "build",   "linux ",  "kernel ", NULL};
        return det_words_near(c->text, c->len, s, s, 12, 0, words);
}

static void check_ipv4(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->to - 1, e = c->to;
        det_extend(c, &s, &e, ip4_char);
        det_consumed(k, e);
        while (e > s && c->text[e - 1] == '.')
                e--;
        if (det_is_wordish(det_before(c, s)) || det_is_wordish(det_at(c, e)))
                return;
        if (!ip4_parse(c->text + s, e - s) || version_before(c, s))
                return;
        det_emit(k, s, e, det_base_conf(k));
}

static bool ip6_char(int ch) {
        return det_is_hex(ch) || ch == ':' || ch == '.';
}

static void check_ipv6(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->to - 1, e = c->to;
        det_extend(c, &s, &e, ip6_char);
        det_consumed(k, e);
        while (e > s && c->text[e - 1] == '.')
                e--;
        /* A single trailing ':' is punctuation ("fe80::1: link"), "::" is not. */
        if (e - s > 2 && c->text[e - 1] == ':' && c->text[e - 2] != ':')
                e--;
        if (det_is_wordish(det_before(c, s)) || det_is_wordish(det_at(c, e)))
                return;
        size_t n = e - s;
        if (n < 3 || n > 45)
                return;
        bool hex = false;
        for (size_t i = s; i < e; i++)
                hex |= det_is_hex((unsigned char)c->text[i]);
        if (!hex)
                return;
        char buf[48];
        memcpy(buf, c->text + s, n);
        buf[n] = '\0';
        unsigned char addr[16];
        if (inet_pton(AF_INET6, buf, addr) != 1)
                return;
        det_emit(k, s, e, det_base_conf(k));
}

/* ---- mac_address -------------------------------------------------------------------------------
 * IEEE 802 MAC-48 in the canonical six hex pairs joined by ':' or '-' (one kind), or Cisco's
 * three dotted groups of four. */

static void check_mac(const struct det_cand *c, struct det_sink *k) {
        size_t e = c->to;
        size_t s = e >= 17 && (c->text[e - 3] == ':' || c->text[e - 3] == '-') ? e - 17 : e - 14;
        det_consumed(k, e);
        if (e - s == 17) {
                char sep = c->text[s + 2];
                for (size_t i = s + 2; i < e; i += 3)
                        if (c->text[i] != sep)
                                return;
        }
        int b = det_before(c, s), a = det_at(c, e);
        if (det_is_wordish(b) || det_is_wordish(a))
                return;
        if ((b == ':' || b == '-' || b == '.') && det_is_hex(det_before(c, s - 1)))
                return;
        if ((a == ':' || a == '-' || a == '.') && det_is_hex(det_at(c, e + 1)))
                return;
        det_emit(k, s, e, det_base_conf(k));
}

/* ---- crypto ------------------------------------------------------------------------------------
 * Bitcoin: Base58Check P2PKH (version 0x00, "1…") and P2SH (0x05, "3…") with the double SHA-256
 * checksum; SegWit/Taproot bech32/bech32m (BIP-173/350) with hrp "bc". Ethereum: "0x" and 40 hex
 * digits; the EIP-55 mixed-case checksum needs Keccak-256, which no dependency here offers, so
 * it is not verified and the confidence stays lower. */

static bool b58_char(int ch) {
        return det_is_alnum(ch) && ch != '0' && ch != 'O' && ch != 'I' && ch != 'l';
}

static void check_btc_b58(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->to - 1, e = c->to;
        det_extend(c, &s, &e, b58_char);
        det_consumed(k, e);
        if (det_is_wordish(det_before(c, s)) || det_is_wordish(det_at(c, e)))
                return;
        size_t n = e - s;
        if (n < 26 || n > 35 || (c->text[s] != '1' && c->text[s] != '3'))
                return;
        uint8_t ver;
        size_t pl;
        if (!det_base58check(c->text + s, n, &ver, &pl) || pl != 20 || (ver != 0 && ver != 5))
                return;
        det_emit(k, s, e, det_base_conf(k));
}

static bool bech_char(int ch) {
        return det_is_alnum(ch);
}

static void check_btc_bech32(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->from, e = c->to;
        while (e < c->len && bech_char(det_at(c, e)))
                e++;
        det_consumed(k, e);
        if (det_is_wordish(det_before(c, s)) || det_is_wordish(det_at(c, e)))
                return;
        size_t hrp = 0;
        if (!det_bech32(c->text + s, e - s, &hrp) || hrp != 2)
                return;
        det_emit(k, s, e, det_base_conf(k));
}

static void check_eth(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->from, e = c->from + 2;
        while (e < c->len && det_is_hex(det_at(c, e)))
                e++;
        det_consumed(k, e);
        if (e - s != 42 || det_is_wordish(det_before(c, s)) || det_is_wordish(det_at(c, e)))
                return;
        bool lower = false, upper = false;
        for (size_t i = s + 2; i < e; i++) {
                lower |= det_is_lower(det_at(c, i));
                upper |= det_is_upper(det_at(c, i));
        }
        det_emit(k, s, e, lower && upper ? det_base_conf(k) : det_base_conf(k) - 10);
}

/* ---- the rules --------------------------------------------------------------------------------
 */

static const char *const ctx_card[] = {"card",  "visa", "mastercard", "amex", "credit",
                                       "debit", "cc#",  "payment",    NULL};
static const char *const ctx_iban[] = {"iban", "bank", "account", "konto", "transfer", NULL};
static const char *const ctx_ssn[] = {"ssn", "social security", "social sec", "ss#", "ssa", NULL};
static const char *const ctx_phone[] = {"phone", "tel",      "call",   "mobile", "cell",
                                        "fax",   "whatsapp", "number", NULL};
static const char *const ctx_crypto[] = {"wallet",  "bitcoin", "btc", "eth",
                                         "address", "send",    NULL};
static const char *const ctx_ip[] = {"ip", "address", "host", "server", NULL};

const struct det_rule det_rules_pii[] = {
        {"credit_card", "[0-9]{4}[ -]?[0-9]{4}", 0, check_card, DET_MASK_TAIL4, ctx_card, 90,
         "ISO/IEC 7812 (Luhn, issuer ranges and lengths)", NULL},
        {"iban", "[A-Z]{2} ?[0-9]{2}[ .-]?[0-9A-Za-z]{2}", DET_SOM, check_iban, DET_MASK_TAIL4,
         ctx_iban, 95, "ISO 13616 + SWIFT IBAN registry + ISO 7064 MOD 97-10", NULL},
        {"email", "[A-Za-z0-9._%+-]@[A-Za-z0-9-]+\\.[A-Za-z0-9]", 0, check_email, DET_MASK_EMAIL,
         NULL, 90, "RFC 5322 addr-spec (dot-atom), RFC 1035 host names", NULL},
        {"phone", "[0-9][0-9 ().-]{5,20}[0-9]", DET_NUMERIC, check_phone, DET_MASK_TAIL4, ctx_phone,
         60, "ITU-T E.164, national trunk-prefix formats, NANP", NULL},
        {"us_ssn", "[0-9]{3}[ .-]?[0-9]{2}[ .-]?[0-9]{4}", DET_NUMERIC, check_ssn, DET_MASK_TAIL4,
         ctx_ssn, 85, "SSA SSN structure (area/group/serial rules)", NULL},
        {"ip_address", "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]", 0, check_ipv4, DET_MASK_ENDS,
         ctx_ip, 70, "RFC 791 dotted quad", NULL},
        {"ip_address", "[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:", 0, check_ipv6, DET_MASK_ENDS, ctx_ip,
         70, "RFC 4291 section 2.2 text form", NULL},
        {"url", "(https?|ftp)://[A-Za-z0-9\\[]", DET_SOM | DET_CASELESS, check_url_scheme,
         DET_MASK_ENDS, NULL, 80, "RFC 3986 URI with http/https/ftp scheme", NULL},
        {"url",
         "[A-Za-z0-9-]\\.(com|org|net|edu|gov|mil|int|info|biz|io|ai|app|dev|co|uk|de|fr|il|in|jp"
         "|cn|ru|br|au|ca|nl|es|it|ch|se|no|fi|dk|pl|be|at|eu|us|me|tv|ly|gl|site|online|xyz|tech)"
         "\\b",
         DET_CASELESS, check_url_bare, DET_MASK_ENDS, NULL, 60,
         "RFC 1035 host name with a common top-level domain", NULL},
        {"mac_address",
         "[0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-"
         "]"
         "[0-9A-Fa-f]{2}",
         0, check_mac, DET_MASK_ENDS, NULL, 80, "IEEE 802 MAC-48, colon/hyphen notation", NULL},
        {"mac_address", "[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4}", 0, check_mac,
         DET_MASK_ENDS, NULL, 80, "IEEE 802 MAC-48, Cisco dotted notation", NULL},
        {"crypto", "[13][1-9A-HJ-NP-Za-km-z]{25}", 0, check_btc_b58, DET_MASK_ENDS, ctx_crypto, 85,
         "Bitcoin Base58Check (P2PKH/P2SH)", NULL},
        {"crypto", "(bc|BC)1[02-9AC-HJ-NP-Zac-hj-np-z]{6}", DET_SOM, check_btc_bech32,
         DET_MASK_ENDS, ctx_crypto, 90, "BIP-173 bech32 / BIP-350 bech32m", NULL},
        {"crypto", "0x[0-9a-fA-F]{40}", DET_SOM, check_eth, DET_MASK_ENDS, ctx_crypto, 60,
         "Ethereum address (EIP-55 checksum not verified)", NULL},
        {0},
};
