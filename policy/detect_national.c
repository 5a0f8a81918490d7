/* National and regional identifiers, each from its published checksum or format rule (named on
 * each check). A proposal is widened to an alphanumeric token (with the separators the format
 * allows), compacted, and validated; identifiers without a checksum are only reported with a
 * context word or a distinctive shape. */
#include <ctype.h>
#include <string.h>

#include "detect_internal.h"

/* Takes the proposal [from, to) as the token (the patterns give the exact shape), refuses it
 * when it is glued to other word characters or continues with a separator and more
 * alphanumerics, and stores its compact upper-case form (separators removed) in out[cap].
 * Returns the compact length or 0. */
static size_t id_token(const struct det_cand *c, const char *seps, size_t *s, size_t *e, char *out,
                       size_t cap) {
        size_t a = c->from, b = c->to;
        int pb = det_before(c, a), na = det_at(c, b);
        if (det_is_wordish(pb) || det_is_wordish(na))
                return 0;
        /* "12 345 678 901 2": a separator then more digits means a longer number. */
        if (pb && strchr(seps, pb) && det_is_digit(det_before(c, a - 1)))
                return 0;
        if (na && strchr(seps, na) && det_is_digit(det_at(c, b + 1)))
                return 0;
        if (pb == '-' || na == '-')
                return 0;
        size_t n = 0;
        for (size_t i = a; i < b; i++) {
                int ch = (unsigned char)c->text[i];
                if (!det_is_alnum(ch))
                        continue;
                if (n + 1 >= cap)
                        return 0;
                out[n++] = (char)toupper(ch);
        }
        out[n] = '\0';
        *s = a;
        *e = b;
        return n;
}

static bool all_digits(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!det_is_digit((unsigned char)s[i]))
                        return false;
        return n > 0;
}

static int dv(char ch) {
        return ch - '0';
}

/* True when every separator in text[s..e) is the same byte (or there is none). */
static bool one_sep_kind(const struct det_cand *c, size_t s, size_t e) {
        int sep = 0;
        for (size_t i = s; i < e; i++) {
                int ch = (unsigned char)c->text[i];
                if (det_is_alnum(ch))
                        continue;
                if (sep && ch != sep)
                        return false;
                sep = ch;
        }
        return true;
}

static bool has_sep(const struct det_cand *c, size_t s, size_t e) {
        for (size_t i = s; i < e; i++)
                if (!det_is_alnum((unsigned char)c->text[i]))
                        return true;
        return false;
}

/* A checker over the compact token: returns a confidence (0 = reject). `grouped` says the
 * token was printed with separators. */
typedef int (*id_fn)(const char *id, size_t n, bool grouped);

struct id_spec {
        const char *seps; /* separators the printed form may use */
        id_fn fn;         /* validator */
};

static void check_id(const struct det_cand *c, struct det_sink *k) {
        const struct id_spec *sp = det_rule_arg(k);
        char id[40];
        size_t s, e;
        size_t n = id_token(c, sp->seps, &s, &e, id, sizeof id);
        if (!n || !one_sep_kind(c, s, e))
                return;
        int conf = sp->fn(id, n, has_sep(c, s, e));
        if (conf > 0)
                det_emit(k, s, e, conf);
}

/* ---- checks ------------------------------------------------------------------------------------
 */

/* Date parts: true when dd.mm is a possible day of a month. */
static bool day_month_ok(int d, int m) {
        static const int days[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        return m >= 1 && m <= 12 && d >= 1 && d <= days[m];
}

/* UK NHS number (NHS Data Dictionary): 10 digits, modulus 11 with weights 10..2; a check value
 * of 10 is never issued. */
static int v_uk_nhs(const char *id, size_t n, bool grouped) {
        if (n != 10 || !all_digits(id, n))
                return 0;
        int sum = 0;
        for (int i = 0; i < 9; i++)
                sum += dv(id[i]) * (10 - i);
        int chk = 11 - sum % 11;
        if (chk == 11)
                chk = 0;
        if (chk == 10 || chk != dv(id[9]))
                return 0;
        return grouped ? 65 : 50;
}

/* UK National Insurance number (HMRC NIM39110): two prefix letters (not D F I Q U V; second
 * not O; not BG GB KN NK NT TN ZZ), six digits, suffix A-D. */
static int v_uk_nino(const char *id, size_t n, bool grouped) {
        if (n != 9 || !det_is_upper(id[0]) || !det_is_upper(id[1]) || !all_digits(id + 2, 6))
                return 0;
        if (strchr("DFIQUV", id[0]) || strchr("DFIQUVO", id[1]))
                return 0;
        static const char *const bad[] = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"};
        for (size_t i = 0; i < 7; i++)
                if (!memcmp(id, bad[i], 2))
                        return 0;
        if (id[8] < 'A' || id[8] > 'D')
                return 0;
        return 85;
}

/* German tax identification number (Steuer-IdNr, BZSt): 11 digits, first not 0; among the first
 * ten at most one digit repeats, at most three times (numbers issued before 2016 have none
 * repeated); check digit by ISO 7064 MOD 11,10. */
static int v_de_tax_id(const char *id, size_t n, bool grouped) {
        if (n != 11 || !all_digits(id, n) || id[0] == '0')
                return 0;
        int cnt[10] = {0};
        for (int i = 0; i < 10; i++)
                cnt[dv(id[i])]++;
        int multi = 0, missing = 0;
        for (int i = 0; i < 10; i++) {
                if (cnt[i] > 3)
                        return 0;
                multi += cnt[i] > 1;
                missing += cnt[i] == 0;
        }
        if (multi > 1 || missing > 3)
                return 0;
        int p = 10;
        for (int i = 0; i < 10; i++) {
                int s = (dv(id[i]) + p) % 10;
                if (s == 0)
                        s = 10;
                p = (2 * s) % 11;
        }
        int chk = 11 - p;
        if (chk == 10)
                chk = 0;
        return chk == dv(id[10]) ? 60 : 0;
}

/* German VAT id (USt-IdNr): "DE" + 9 digits, ISO 7064 MOD 11,10. */
static int v_de_vat(const char *id, size_t n, bool grouped) {
        if (n != 11 || id[0] != 'D' || id[1] != 'E' || !all_digits(id + 2, 9))
                return 0;
        int p = 10;
        for (int i = 2; i < 10; i++) {
                int s = (dv(id[i]) + p) % 10;
                if (s == 0)
                        s = 10;
                p = (2 * s) % 11;
        }
        int chk = 11 - p;
        if (chk == 10)
                chk = 0;
        return chk == dv(id[10]) ? 85 : 0;
}

/* Spanish DNI/NIF (Real Decreto 1553/2005): 8 digits (leading zero may be omitted) and the
 * letter "TRWAGMYFPDXBNJZSQVHLCKE"[number mod 23]. */
static const char nif_letters[] = "TRWAGMYFPDXBNJZSQVHLCKE";

static int v_es_nif(const char *id, size_t n, bool grouped) {
        if ((n != 9 && n != 8) || !all_digits(id, n - 1))
                return 0;
        long v = 0;
        for (size_t i = 0; i + 1 < n; i++)
                v = v * 10 + dv(id[i]);
        return nif_letters[v % 23] == id[n - 1] ? 80 : 0;
}

/* Spanish NIE: X/Y/Z (read as 0/1/2) + 7 digits + the NIF letter. */
static int v_es_nie(const char *id, size_t n, bool grouped) {
        if (n != 9 || !strchr("XYZ", id[0]) || !all_digits(id + 1, 7))
                return 0;
        long v = id[0] - 'X';
        for (int i = 1; i < 8; i++)
                v = v * 10 + dv(id[i]);
        return nif_letters[v % 23] == id[8] ? 85 : 0;
}

/* Italian codice fiscale (DM 23/12/1976): 6 letters, 2 digits, month letter, 2 digits, letter,
 * 3 digits, check letter from the odd/even position tables (digits may be replaced by letters
 * for homocodes: "LMNPQRSTUV"). */
static int v_it_cf(const char *id, size_t n, bool grouped) {
        static const int odd[36] = {1,  0, 5, 7,  9,  13, 15, 17, 19, 21, 1,  0,
                                    5,  7, 9, 13, 15, 17, 19, 21, 2,  4,  18, 20,
                                    11, 3, 6, 8,  12, 14, 16, 10, 22, 25, 24, 23};
        static const char layout[] = "AAAAAA99A99A999A";
        if (n != 16)
                return 0;
        for (int i = 0; i < 15; i++) {
                bool num = layout[i] == '9';
                if (num ? !(det_is_digit(id[i]) || strchr("LMNPQRSTUV", id[i]))
                        : !det_is_upper(id[i]))
                        return 0;
        }
        if (!strchr("ABCDEHLMPRST", id[8]) || !det_is_upper(id[15]))
                return 0;
        int sum = 0;
        for (int i = 0; i < 15; i++) {
                int ch = id[i];
                int idx = det_is_digit(ch) ? ch - '0' : ch - 'A' + 10;
                if ((i & 1) == 0)
                        sum += odd[idx];
                else
                        sum += det_is_digit(ch) ? ch - '0' : ch - 'A';
        }
        return 'A' + sum % 26 == id[15] ? 90 : 0;
}

/* Italian partita IVA: 11 digits, Luhn check digit; office code (digits 8-10) 001-100, 120,
 * 121, 888, 999. */
static int v_it_vat(const char *id, size_t n, bool grouped) {
        if (n != 11 || !all_digits(id, n) || !det_luhn(id, n))
                return 0;
        int office = dv(id[7]) * 100 + dv(id[8]) * 10 + dv(id[9]);
        if (!((office >= 1 && office <= 100) || office == 120 || office == 121 || office == 888 ||
              office == 999))
                return 0;
        return 50;
}

/* Polish PESEL: 11 digits, birth date (month + 20/40/60/80 by century), weights 1 3 7 9. */
static int v_pl_pesel(const char *id, size_t n, bool grouped) {
        static const int w[10] = {1, 3, 7, 9, 1, 3, 7, 9, 1, 3};
        if (n != 11 || !all_digits(id, n) || grouped)
                return 0;
        int m = (dv(id[2]) * 10 + dv(id[3])) % 20, d = dv(id[4]) * 10 + dv(id[5]);
        if (!day_month_ok(d, m))
                return 0;
        int sum = 0;
        for (int i = 0; i < 10; i++)
                sum += w[i] * dv(id[i]);
        return (10 - sum % 10) % 10 == dv(id[10]) ? 60 : 0;
}

/* Finnish henkilötunnus (Population Information Act; 2023 century signs): DDMMYY, century sign
 * (+ - A, and B-F / Y X W V U), three-digit individual number, check character
 * "0123456789ABCDEFHJKLMNPRSTUVWXY"[DDMMYYNNN mod 31]. */
static int v_fi_hetu(const char *id, size_t n, bool grouped) {
        (void)grouped;
        if (n != 11 || !all_digits(id, 6) || !all_digits(id + 7, 3))
                return 0;
        if (!strchr("ABCDEFYXWVU", id[6]))
                return 0;
        if (!day_month_ok(dv(id[0]) * 10 + dv(id[1]), dv(id[2]) * 10 + dv(id[3])))
                return 0;
        long v = 0;
        for (int i = 0; i < 6; i++)
                v = v * 10 + dv(id[i]);
        for (int i = 7; i < 10; i++)
                v = v * 10 + dv(id[i]);
        return "0123456789ABCDEFHJKLMNPRSTUVWXY"[v % 31] == id[10] ? 90 : 0;
}

/* The "+"/"-" century signs are not alphanumeric: the Finnish rule sees them through this
 * wrapper, which reads the token itself. */
static void check_fi_hetu(const struct det_cand *c, struct det_sink *k) {
        size_t e = c->to, s = e - 11;
        det_consumed(k, e);
        if (e < 11 || det_is_alnum(det_before(c, s)) || det_is_alnum(det_at(c, e)))
                return;
        char id[12];
        for (int i = 0; i < 11; i++)
                id[i] = (char)toupper((unsigned char)c->text[s + (size_t)i]);
        id[11] = '\0';
        if (id[6] == '+' || id[6] == '-') {
                /* Old century signs: validate as if 'A' (the checksum ignores the sign). */
                id[6] = 'A';
        }
        int conf = v_fi_hetu(id, 11, false);
        if (conf)
                det_emit(k, s, e, conf);
}

/* Swedish personnummer (Skatteverket SKV 704): [CC]YYMMDD[-+]NNNC, Luhn over the ten digits
 * YYMMDDNNNC; day + 60 for samordningsnummer. Organisationsnummer: same Luhn, third digit >= 2. */
static int se_luhn10(const char *id, size_t n, char out[11]) {
        if (n == 12) {
                if (!((id[0] == '1' && (id[1] == '8' || id[1] == '9')) ||
                      (id[0] == '2' && id[1] == '0')))
                        return 0;
                id += 2;
        } else if (n != 10) {
                return 0;
        }
        if (!all_digits(id, 10))
                return 0;
        memcpy(out, id, 10);
        out[10] = '\0';
        return det_luhn(out, 10);
}

static int v_se_pnr(const char *id, size_t n, bool grouped) {
        char d[11];
        if (!se_luhn10(id, n, d))
                return 0;
        int m = dv(d[2]) * 10 + dv(d[3]), day = dv(d[4]) * 10 + dv(d[5]);
        if (day > 60)
                day -= 60;
        if (!day_month_ok(day, m))
                return 0;
        return n == 12 || grouped ? 80 : 55;
}

static int v_se_org(const char *id, size_t n, bool grouped) {
        char d[11];
        if (n != 10 || !se_luhn10(id, n, d) || dv(d[2]) < 2)
                return 0;
        return grouped ? 75 : 55;
}

/* Aadhaar (UIDAI): 12 digits, first 2-9, Verhoeff check digit; printed 4-4-4. */
static int v_in_aadhaar(const char *id, size_t n, bool grouped) {
        if (n != 12 || !all_digits(id, n) || id[0] < '2' || !det_verhoeff(id, n))
                return 0;
        return grouped ? 80 : 55;
}

/* Nigerian NIN (NIMC): 11 digits with a Verhoeff check digit. */
static int v_ng_nin(const char *id, size_t n, bool grouped) {
        if (n != 11 || !all_digits(id, n) || !det_verhoeff(id, n))
                return 0;
        return 55;
}

/* Indian PAN (Income Tax Department): 5 letters (4th the holder type), 4 digits, a letter. */
static int v_in_pan(const char *id, size_t n, bool grouped) {
        if (n != 10 || grouped)
                return 0;
        for (int i = 0; i < 5; i++)
                if (!det_is_upper(id[i]))
                        return 0;
        if (!strchr("ABCFGHLJPTK", id[3]) || !all_digits(id + 5, 4) || !det_is_upper(id[9]))
                return 0;
        return 70;
}

/* Indian GSTIN (CBIC): state code 01-38, the holder's PAN, entity number, 'Z', and a mod-36
 * check character (factors 1,2 alternating, digit sum in base 36). */
static int v_in_gstin(const char *id, size_t n, bool grouped) {
        static const char b36[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        if (n != 15 || !det_is_digit(id[0]) || !det_is_digit(id[1]))
                return 0;
        int state = dv(id[0]) * 10 + dv(id[1]);
        if (state < 1 || state > 38 || id[13] != 'Z' || !det_is_alnum(id[12]) || id[12] == '0')
                return 0;
        /* the PAN: 5 letters, 4 digits, a letter (the holder-type letter is checked by v_in_pan;
         * a GSTIN's own check character covers the whole token) */
        for (int i = 2; i < 7; i++)
                if (!det_is_upper(id[i]))
                        return 0;
        if (!all_digits(id + 7, 4) || !det_is_upper(id[11]))
                return 0;
        int sum = 0;
        for (int i = 0; i < 14; i++) {
                const char *p = strchr(b36, id[i]);
                if (!p)
                        return 0;
                int prod = (int)(p - b36) * (i % 2 ? 2 : 1);
                sum += prod / 36 + prod % 36;
        }
        /* A check character that does not match leaves a GSTIN-shaped token: reported only with
         * a context word ("GSTIN", "GST"). */
        return b36[(36 - sum % 36) % 36] == id[14] ? 90 : 40;
}

/* US ABA routing transit number (ABA/Federal Reserve): 9 digits, weights 3 7 1, prefixes 00-12,
 * 21-32, 61-72, 80. */
static int v_us_aba(const char *id, size_t n, bool grouped) {
        if (n != 9 || !all_digits(id, n))
                return 0;
        int p = dv(id[0]) * 10 + dv(id[1]);
        if (!((p <= 12) || (p >= 21 && p <= 32) || (p >= 61 && p <= 72) || p == 80))
                return 0;
        int sum = 0;
        for (int i = 0; i < 9; i += 3)
                sum += 3 * dv(id[i]) + 7 * dv(id[i + 1]) + dv(id[i + 2]);
        if (sum % 10)
                return 0;
        return grouped ? 70 : 50;
}

/* US ITIN (IRS): 9XX-XX-XXXX with group 50-65, 70-88, 90-92, 94-99. */
static int v_us_itin(const char *id, size_t n, bool grouped) {
        if (n != 9 || !all_digits(id, n) || id[0] != '9')
                return 0;
        int g = dv(id[3]) * 10 + dv(id[4]);
        if (!((g >= 50 && g <= 65) || (g >= 70 && g <= 88) || (g >= 90 && g <= 92) || g >= 94))
                return 0;
        return grouped ? 80 : 50;
}

/* US NPI (CMS): 10 digits starting 1 or 2, Luhn over "80840" + the number. */
static int v_us_npi(const char *id, size_t n, bool grouped) {
        if (n != 10 || !all_digits(id, n) || (id[0] != '1' && id[0] != '2'))
                return 0;
        char d[16] = "80840";
        memcpy(d + 5, id, 10);
        return det_luhn(d, 15) ? 55 : 0;
}

/* Australian ABN (ATO): 11 digits; subtract 1 from the first, weights 10 1 3 5 … 19, mod 89. */
static int v_au_abn(const char *id, size_t n, bool grouped) {
        static const int w[11] = {10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19};
        if (n != 11 || !all_digits(id, n))
                return 0;
        int sum = 0;
        for (int i = 0; i < 11; i++)
                sum += w[i] * (dv(id[i]) - (i == 0));
        return sum % 89 == 0 ? 60 : 0;
}

/* Australian ACN (ASIC): 9 digits, weights 8..1, complement of mod 10. */
static int v_au_acn(const char *id, size_t n, bool grouped) {
        if (n != 9 || !all_digits(id, n))
                return 0;
        int sum = 0;
        for (int i = 0; i < 8; i++)
                sum += (8 - i) * dv(id[i]);
        return (10 - sum % 10) % 10 == dv(id[8]) ? 55 : 0;
}

/* Australian TFN (ATO): 9 digits, weights 1 4 3 7 5 8 6 9 10, mod 11. */
static int v_au_tfn(const char *id, size_t n, bool grouped) {
        static const int w[9] = {1, 4, 3, 7, 5, 8, 6, 9, 10};
        if (n != 9 || !all_digits(id, n))
                return 0;
        int sum = 0;
        for (int i = 0; i < 9; i++)
                sum += w[i] * dv(id[i]);
        return sum % 11 == 0 ? 55 : 0;
}

/* Australian Medicare number (Services Australia): 10 digits (11 with the IRN), first 2-6,
 * 9th = weights 1 3 7 9 1 3 7 9 mod 10. */
static int v_au_medicare(const char *id, size_t n, bool grouped) {
        static const int w[8] = {1, 3, 7, 9, 1, 3, 7, 9};
        if ((n != 10 && n != 11) || !all_digits(id, n) || id[0] < '2' || id[0] > '6')
                return 0;
        int sum = 0;
        for (int i = 0; i < 8; i++)
                sum += w[i] * dv(id[i]);
        return sum % 10 == dv(id[8]) ? 55 : 0;
}

/* Canadian SIN (ESDC): 9 digits, Luhn, first digit not 0 or 8; printed 3-3-3. */
static int v_ca_sin(const char *id, size_t n, bool grouped) {
        if (n != 9 || !all_digits(id, n) || id[0] == '0' || id[0] == '8' || !det_luhn(id, n))
                return 0;
        return grouped ? 70 : 40;
}

/* Turkish T.C. Kimlik No (NVI): 11 digits, first not 0; d10 = (7*(d1+d3+d5+d7+d9) -
 * (d2+d4+d6+d8)) mod 10, d11 = sum(d1..d10) mod 10. */
static int v_tr_id(const char *id, size_t n, bool grouped) {
        if (n != 11 || !all_digits(id, n) || id[0] == '0')
                return 0;
        int odd = 0, even = 0, all = 0;
        for (int i = 0; i < 9; i++) {
                if (i % 2)
                        even += dv(id[i]);
                else
                        odd += dv(id[i]);
        }
        for (int i = 0; i < 10; i++)
                all += dv(id[i]);
        int d10 = ((odd * 7 - even) % 10 + 10) % 10;
        return d10 == dv(id[9]) && all % 10 == dv(id[10]) ? 70 : 0;
}

/* Thai national ID (Department of Provincial Administration): 13 digits, first 1-8, check digit
 * (11 - sum(d_i * (13 - i)) mod 11) mod 10. */
static int v_th_id(const char *id, size_t n, bool grouped) {
        if (n != 13 || !all_digits(id, n) || id[0] < '1' || id[0] > '8' || id[1] == '0')
                return 0;
        int sum = 0;
        for (int i = 0; i < 12; i++)
                sum += dv(id[i]) * (13 - i);
        return (11 - sum % 11) % 10 == dv(id[12]) ? 65 : 0;
}

/* South African ID (Home Affairs): YYMMDD SSSS C A Z, citizenship 0-2, Luhn. */
static int v_za_id(const char *id, size_t n, bool grouped) {
        if (n != 13 || !all_digits(id, n) || id[10] > '2' || !det_luhn(id, n))
                return 0;
        if (!day_month_ok(dv(id[4]) * 10 + dv(id[5]), dv(id[2]) * 10 + dv(id[3])))
                return 0;
        return 70;
}

/* Singapore NRIC/FIN (ICA): S/T/F/G/M + 7 digits + check letter, weights 2 7 6 5 4 3 2, offset 4
 * for T/G, 3 for M; letter tables per series. */
static int v_sg_nric(const char *id, size_t n, bool grouped) {
        static const int w[7] = {2, 7, 6, 5, 4, 3, 2};
        if (n != 9 || !strchr("STFGM", id[0]) || !all_digits(id + 1, 7) || !det_is_upper(id[8]))
                return 0;
        int sum = 0;
        for (int i = 0; i < 7; i++)
                sum += w[i] * dv(id[i + 1]);
        if (id[0] == 'T' || id[0] == 'G')
                sum += 4;
        if (id[0] == 'M')
                sum += 3;
        int r = sum % 11;
        const char *tab = id[0] == 'S' || id[0] == 'T'   ? "JZIHGFEDCBA"
                          : id[0] == 'F' || id[0] == 'G' ? "XWUTRQPNMLK"
                                                         : "KLJNPQRTUWX";
        return tab[id[0] == 'M' ? 10 - r : r] == id[8] ? 85 : 0;
}

/* Korean resident registration number (MOIS): YYMMDD-GNNNNNN with gender/century digit 1-4
 * (citizens) or 5-8 (foreigners, kr_frn); no check digit since October 2020. */
static int kr_rrn_common(const char *id, size_t n) {
        if (n != 13 || !all_digits(id, n))
                return 0;
        if (!day_month_ok(dv(id[4]) * 10 + dv(id[5]), dv(id[2]) * 10 + dv(id[3])))
                return 0;
        return dv(id[6]);
}

static int v_kr_rrn(const char *id, size_t n, bool grouped) {
        int g = kr_rrn_common(id, n);
        return g >= 1 && g <= 4 ? (grouped ? 75 : 55) : 0;
}

static int v_kr_frn(const char *id, size_t n, bool grouped) {
        int g = kr_rrn_common(id, n);
        return g >= 5 && g <= 8 ? (grouped ? 75 : 55) : 0;
}

/* UK driving licence number (DVLA): 5 surname characters (9-padded), decade digit, month (+50
 * for women), day, year digit, 2 initials (9-padded), a digit, 2 check characters. */
static int v_uk_dl(const char *id, size_t n, bool grouped) {
        if (n != 16)
                return 0;
        for (int i = 0; i < 5; i++)
                if (!det_is_upper(id[i]) && id[i] != '9')
                        return 0;
        if (!det_is_upper(id[0]) || !all_digits(id + 5, 6))
                return 0;
        int m = dv(id[6]) * 10 + dv(id[7]);
        if (m > 50)
                m -= 50;
        if (!day_month_ok(dv(id[8]) * 10 + dv(id[9]), m))
                return 0;
        if ((!det_is_upper(id[11]) && id[11] != '9') || (!det_is_upper(id[12]) && id[12] != '9'))
                return 0;
        if (!det_is_digit(id[13]) || !det_is_alnum(id[14]) || !det_is_alnum(id[15]))
                return 0;
        return 80;
}

/* US Medicare Beneficiary Identifier (CMS): 11 characters C A AN N A AN N A A N N, letters
 * excluding S L O I B Z. */
static int v_us_mbi(const char *id, size_t n, bool grouped) {
        static const char layout[] = "CAPNAPNAANN"; /* C 1-9, A letter, P letter/digit, N digit */
        if (n != 11)
                return 0;
        for (int i = 0; i < 11; i++) {
                int ch = id[i];
                bool letter = det_is_upper(ch) && !strchr("SLOIBZ", ch);
                bool ok = layout[i] == 'C'   ? ch >= '1' && ch <= '9'
                          : layout[i] == 'A' ? letter
                          : layout[i] == 'P' ? letter || det_is_digit(ch)
                                             : det_is_digit(ch);
                if (!ok)
                        return 0;
        }
        return 75;
}

/* Digit sum of a product (for the German weighted schemes): 16 -> 7. */
static int cross(int v) {
        return v / 10 + v % 10;
}

/* German health-insurance number (KVNR, GKV-Spitzenverband): a letter (A=01..Z=26) and 9 digits;
 * the letter's two digits and the first 8 digits weighted 1,2,1,2…, digit sums added, mod 10 is
 * the last digit. */
static int v_de_kvnr(const char *id, size_t n, bool grouped) {
        if (n != 10 || !det_is_upper(id[0]) || !all_digits(id + 1, 9))
                return 0;
        int l = id[0] - 'A' + 1;
        int d[10] = {l / 10, l % 10};
        for (int i = 0; i < 8; i++)
                d[2 + i] = dv(id[1 + i]);
        int sum = 0;
        for (int i = 0; i < 10; i++)
                sum += cross(d[i] * (i % 2 ? 2 : 1));
        return sum % 10 == dv(id[9]) ? 60 : 0;
}

/* ICAO Doc 9303 check digit (weights 7 3 1, letters A=10..Z=35) over s[0..n). */
static int icao_check(const char *s, size_t n) {
        static const int w[3] = {7, 3, 1};
        int sum = 0;
        for (size_t i = 0; i < n; i++) {
                int ch = s[i];
                int v = det_is_digit(ch) ? ch - '0' : ch - 'A' + 10;
                sum += v * w[i % 3];
        }
        return sum % 10;
}

/* German identity card / passport serial (Bundesdruckerei, since 2010/2007): 8 characters from
 * "CFGHJKLMNPRTVWXYZ" and digits, first a letter (passports C F G H J K, identity cards L M N P
 * R T V W X Y), then the ICAO 9303 check digit. */
static int de_doc(const char *id, size_t n, const char *first) {
        if (n != 9 || !strchr(first, id[0]) || !det_is_digit(id[8]))
                return 0;
        bool digit = false;
        for (int i = 0; i < 8; i++) {
                if (!det_is_digit(id[i]) && !strchr("CFGHJKLMNPRTVWXYZ", id[i]))
                        return 0;
                digit |= det_is_digit(id[i]);
        }
        if (!digit)
                return 0;
        return icao_check(id, 8) == dv(id[8]) ? 55 : 0;
}

static int v_de_id_card(const char *id, size_t n, bool grouped) {
        return de_doc(id, n, "LMNPRTVWXY");
}

static int v_de_passport(const char *id, size_t n, bool grouped) {
        return de_doc(id, n, "CFGHJK");
}

/* German lifelong doctor number (LANR, KBV): 6 digits, check digit (weights 4 9 4 9 4 9,
 * 10 - sum mod 10), 2-digit specialty code. */
static int v_de_lanr(const char *id, size_t n, bool grouped) {
        if (n != 9 || !all_digits(id, n))
                return 0;
        int sum = 0;
        for (int i = 0; i < 6; i++)
                sum += dv(id[i]) * (i % 2 ? 9 : 4);
        return (10 - sum % 10) % 10 == dv(id[6]) ? 50 : 0;
}

/* German pension insurance number (Rentenversicherungsnummer, DRV): area (2 digits), birth date
 * DDMMYY, the surname's initial, serial (2 digits), check digit: the letter as two digits
 * (A=01), weights 2 1 2 5 7 1 2 1 2 1 2 1, digit sums added, mod 10. */
static int v_de_rvnr(const char *id, size_t n, bool grouped) {
        static const int w[12] = {2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1};
        if (n != 12 || !all_digits(id, 8) || !det_is_upper(id[8]) || !all_digits(id + 9, 3))
                return 0;
        int day = dv(id[2]) * 10 + dv(id[3]), m = dv(id[4]) * 10 + dv(id[5]);
        if (day > 31 && day <= 91)
                day -= 60; /* serials with a taken date */
        if (!day_month_ok(day, m))
                return 0;
        int l = id[8] - 'A' + 1;
        int d[12];
        for (int i = 0; i < 8; i++)
                d[i] = dv(id[i]);
        d[8] = l / 10;
        d[9] = l % 10;
        d[10] = dv(id[9]);
        d[11] = dv(id[10]);
        int sum = 0;
        for (int i = 0; i < 12; i++)
                sum += cross(d[i] * w[i]);
        return sum % 10 == dv(id[11]) ? 70 : 0;
}

/* Korean business registration number (NTS): 10 digits, weights 1 3 7 1 3 7 1 3 5 plus the
 * tens of 5 x 9th digit, check = (10 - sum mod 10) mod 10. */
static int v_kr_brn(const char *id, size_t n, bool grouped) {
        static const int w[9] = {1, 3, 7, 1, 3, 7, 1, 3, 5};
        if (n != 10 || !all_digits(id, n))
                return 0;
        int sum = 0;
        for (int i = 0; i < 9; i++)
                sum += dv(id[i]) * w[i];
        sum += dv(id[8]) * 5 / 10;
        return (10 - sum % 10) % 10 == dv(id[9]) ? (grouped ? 70 : 50) : 0;
}

/* Singapore UEN (ACRA): businesses nnnnnnnnX (8 digits, check letter with weights
 * 10 4 9 3 8 2 7 1 over "XMKECAWLJDB"), local companies yyyynnnnnX (year of registration),
 * others [TSR]yy + entity type + nnnn + X. */
static int v_sg_uen(const char *id, size_t n, bool grouped) {
        static const int w[8] = {10, 4, 9, 3, 8, 2, 7, 1};
        if (!det_is_upper(id[n - 1]))
                return 0;
        if (n == 9 && all_digits(id, 8)) {
                int sum = 0;
                for (int i = 0; i < 8; i++)
                        sum += dv(id[i]) * w[i];
                return "XMKECAWLJDB"[sum % 11] == id[8] ? 60 : 0;
        }
        if (n == 10 && all_digits(id, 9)) {
                int year = dv(id[0]) * 1000 + dv(id[1]) * 100 + dv(id[2]) * 10 + dv(id[3]);
                return year >= 1900 && year <= 2099 ? 55 : 0;
        }
        if (n == 10 && strchr("TSR", id[0]) && all_digits(id + 1, 2) && det_is_upper(id[3]) &&
            det_is_alnum(id[4]) && all_digits(id + 5, 4))
                return 60;
        return 0;
}

/* ---- identifiers without a check character
 * ------------------------------------------------------- Registration plates, register entries,
 * post codes and document numbers whose layout is public but which carry no checksum. The check
 * reads the printed token itself (the layout's group boundaries matter) and validates it against
 * the issuing authority's rules (area codes, the letters in use, digit ranges). Shapes that
 * ordinary text also produces get a confidence below 50, so they are reported only with a context
 * word. */

/* A checker over the printed token t[0..n): returns a confidence (0 = reject). */
typedef int (*raw_fn)(const char *t, size_t n);

struct raw_spec {
        raw_fn fn;
};

static void check_raw(const struct det_cand *c, struct det_sink *k) {
        raw_fn fn = ((const struct raw_spec *)det_rule_arg(k))->fn;
        size_t s = c->from, e = c->to;
        int pb = det_before(c, s), na = det_at(c, e);
        if (e <= s || det_is_wordish(pb) || det_is_wordish(na) || pb == '-' || na == '-' ||
            pb == '/' || na == '/')
                return;
        /* "HRB 12345.6" or "34 ABC 1234 5678": the token continues. */
        if ((na == '.' || na == ',' || na == ' ') && det_is_digit(det_at(c, e + 1)) &&
            det_is_digit(c->text[e - 1]))
                return;
        int conf = fn(c->text + s, e - s);
        if (conf > 0)
                det_emit(k, s, e, conf);
}

/* Splits t[0..n) into runs of letters, digits and single separators: fills kinds ('A' letters,
 * '9' digits) and lengths of up to `max` alphanumeric groups; *seps gets the separator bytes
 * between them (0 for none). Returns the number of groups, or 0 when the token has anything
 * else (two separators in a row, other bytes, more than max groups). */
static int raw_groups(const char *t, size_t n, char *kinds, int *lens, char *seps, int max) {
        int g = 0;
        size_t i = 0;
        while (i < n) {
                int ch = (unsigned char)t[i];
                char kind = det_is_alpha(ch) ? 'A' : det_is_digit(ch) ? '9' : 0;
                if (!kind)
                        return 0;
                if (g == max)
                        return 0;
                size_t j = i;
                while (j < n && (kind == 'A' ? det_is_alpha((unsigned char)t[j])
                                             : det_is_digit((unsigned char)t[j])))
                        j++;
                kinds[g] = kind;
                lens[g] = (int)(j - i);
                seps[g] = 0;
                g++;
                i = j;
                if (i < n && !det_is_alnum((unsigned char)t[i])) {
                        if (i + 1 >= n || !det_is_alnum((unsigned char)t[i + 1]))
                                return 0;
                        seps[g - 1] = t[i];
                        i++;
                }
        }
        return g;
}

/* True when every letter of t[0..n) has the same case. */
static bool one_case(const char *t, size_t n) {
        bool up = false, low = false;
        for (size_t i = 0; i < n; i++) {
                up |= det_is_upper((unsigned char)t[i]);
                low |= det_is_lower((unsigned char)t[i]);
        }
        return !(up && low);
}

/* German commercial register number (Handelsregisterverordnung § 3, HGB § 8): "HRA" (sole
 * traders and partnerships) or "HRB" (corporations) and the court's running number (1-6
 * digits, no leading zero). The prefix is specific enough on its own. */
static int v_de_handelsregister(const char *t, size_t n) {
        if (n < 4 || memcmp(t, "HR", 2) || (t[2] != 'A' && t[2] != 'B'))
                return 0;
        size_t i = 3;
        if (t[i] == ' ')
                i++;
        if (i >= n || t[i] == '0' || n - i > 6 || !all_digits(t + i, n - i))
                return 0;
        return 70;
}

/* German tax number (Steuernummer, BZSt / ELSTER): the Länder print it as FF/BBB/UUUUP
 * (2/3/5: BW, BE, HB, HH, NI, SH), FFF/BBB/UUUUP (3/3/5: BY, BB, MV, SL, SN, ST, TH),
 * FFF/BBBB/UUUP (3/4/4: NW) or FF/BBB/UUUU/P (2/3/4/1: RP); the nationwide ELSTER form has 13
 * digits starting with the Land's number 01-16. No check digit is computable across Länder: the
 * slash forms are distinctive, the 13-digit form needs a context word. */
static int v_de_tax_number(const char *t, size_t n) {
        char kinds[4], seps[4];
        int lens[4];
        int g = raw_groups(t, n, kinds, lens, seps, 4);
        for (int i = 0; i < g; i++)
                if (kinds[i] != '9')
                        return 0;
        if (g == 1 && lens[0] == 13) {
                /* ELSTER: the 4-digit Finanzamt number (its leading digits name the Land: 10
                 * SL, 11 BE, 21 SH, 22 HH, 23 NI, 24 HB, 26 HE, 27 RP, 28 BW, 30 BB, 31 ST, 32 SN,
                 * 40 MV, 41 TH, 5 NW, 9 BY), then 0; presidio's recognizer instead reads a Land
                 * number 01-16 in the first two digits: either is accepted. */
                static const char *const fa[] = {"10", "11", "21", "22", "23", "24", "26",
                                                 "27", "28", "30", "31", "32", "40", "41"};
                bool elster = t[4] == '0' && (t[0] == '5' || t[0] == '9');
                for (size_t i = 0; i < sizeof fa / sizeof fa[0] && !elster; i++)
                        elster = t[4] == '0' && t[0] == fa[i][0] && t[1] == fa[i][1];
                int land = dv(t[0]) * 10 + dv(t[1]);
                return elster || (land >= 1 && land <= 16) ? 40 : 0;
        }
        for (int i = 0; i + 1 < g; i++)
                if (seps[i] != '/')
                        return 0;
        if (g == 3 && ((lens[0] == 2 && lens[1] == 3 && lens[2] == 5) ||
                       (lens[0] == 3 && lens[1] == 3 && lens[2] == 5) ||
                       (lens[0] == 3 && lens[1] == 4 && lens[2] == 4)))
                return 50;
        if (g == 4 && lens[0] == 2 && lens[1] == 3 && lens[2] == 4 && lens[3] == 1)
                return 50;
        return 0;
}

/* German driving licence number (Directive 2006/126/EC field 5, FeV Anlage 8, since 2013): 11
 * characters, the issuing authority's two letters, eight digits (authority number and serial),
 * a check character whose algorithm is not published. Format only: needs a context word. */
static int v_de_fuehrerschein(const char *t, size_t n) {
        if (n != 11 || !det_is_alpha((unsigned char)t[0]) || !det_is_alpha((unsigned char)t[1]) ||
            !all_digits(t + 2, 8) || !det_is_alnum((unsigned char)t[10]) || !one_case(t, n))
                return 0;
        return 35;
}

/* German postal code (Deutsche Post, 1993): five digits, 01001-99998. Format only. */
static int v_de_plz(const char *t, size_t n) {
        if (n != 5 || !all_digits(t, 5))
                return 0;
        int num = dv(t[0]) * 10000 + dv(t[1]) * 1000 + dv(t[2]) * 100 + dv(t[3]) * 10 + dv(t[4]);
        return num >= 1001 && num <= 99998 ? 30 : 0;
}

/* German registration plate (FZV § 8, Anlage 4): district code of 1-3 letters, 1-2 letters,
 * 1-4 digits without a leading zero, E (electric) or H (historic); at most 8 characters
 * without the suffix; the letter pairs HJ, KZ, NS, SA, SS are not issued. Format only. */
static int v_de_kfz(const char *t, size_t n) {
        char kinds[4], seps[4];
        int lens[4];
        if (!one_case(t, n))
                return 0;
        int g = raw_groups(t, n, kinds, lens, seps, 4);
        if (g < 3 || kinds[0] != 'A' || kinds[1] != 'A' || kinds[2] != '9')
                return 0;
        if (lens[0] > 3 || lens[1] > 2 || lens[2] > 4 || seps[0] == 0 || seps[1] == 0)
                return 0;
        if (g == 4 &&
            (seps[2] || lens[3] != 1 ||
             (toupper((unsigned char)t[n - 1]) != 'E' && toupper((unsigned char)t[n - 1]) != 'H')))
                return 0;
        if (lens[0] + lens[1] + lens[2] > 8)
                return 0;
        const char *mid = t + lens[0] + 1, *dig = mid + lens[1] + 1;
        if (*dig == '0')
                return 0;
        static const char *const banned[] = {"HJ", "KZ", "NS", "SA", "SS"};
        if (lens[1] == 2)
                for (size_t i = 0; i < 5; i++)
                        if (toupper((unsigned char)mid[0]) == banned[i][0] &&
                            toupper((unsigned char)mid[1]) == banned[i][1])
                                return 0;
        return 35;
}

/* Turkish registration plate (Karayolları Trafik Yönetmeliği): province 01-81, 1-3 letters of
 * the Latin alphabet without Q W X, 2-5 digits; the regulation pairs 1 letter with 4-5 digits,
 * 2 with 3-4 and 3 with 2-3. Format only. */
static int v_tr_plate(const char *t, size_t n) {
        char kinds[3], seps[3];
        int lens[3];
        if (!one_case(t, n))
                return 0;
        int g = raw_groups(t, n, kinds, lens, seps, 3);
        if (g != 3 || kinds[0] != '9' || kinds[1] != 'A' || kinds[2] != '9' || lens[0] != 2 ||
            lens[1] > 3 || lens[2] < 2 || lens[2] > 5 || seps[0] != seps[1])
                return 0;
        int prov = dv(t[0]) * 10 + dv(t[1]);
        if (prov < 1 || prov > 81)
                return 0;
        for (int i = 0; i < lens[1]; i++)
                if (strchr("QWXqwx", t[2 + (seps[0] != 0) + i]))
                        return 0;
        return lens[1] + lens[2] >= 5 ? 40 : 35;
}

/* Nigerian registration plate (FRSC, 2011 format): 3-letter local government code, 3-digit
 * serial 001-999, 2 letters. Format only. */
static int v_ng_plate(const char *t, size_t n) {
        if (!one_case(t, n) || n < 8)
                return 0;
        size_t i = 3;
        if (t[i] == '-' || t[i] == ' ')
                i++;
        if (n - i != 5 || !all_digits(t + i, 3) || !memcmp(t + i, "000", 3) ||
            !det_is_alpha((unsigned char)t[i + 3]) || !det_is_alpha((unsigned char)t[i + 4]))
                return 0;
        for (int j = 0; j < 3; j++)
                if (!det_is_alpha((unsigned char)t[j]))
                        return 0;
        /* printed with its separator; "ALC269VC" is more often a chip name */
        return i == 4 ? 40 : 30;
}

/* UK registration mark (DVLA, Vehicle Excise and Registration Act 1994 sch. 2): current format
 * (2001-): region letter (A B C D E F G H K L M N O P R S V W Y), local letter (not I Q Z), age
 * identifier 02-29 (March) or 51-79 (September), 3 letters (not I Q). Printed with a hyphen it
 * is reported; with a space or none it needs a context word ("BR21 USB" is a chip). The prefix
 * (1983-2001) and suffix (1963-1983) marks are not detected: without a context word they are
 * ordinary part names ("L2 CAP", "RSX 11M") and their patterns cost as much as all others. */
static int v_uk_vrn(const char *t, size_t n) {
        char c[8];
        size_t k = 0;
        int sep = 0;
        if (!one_case(t, n))
                return 0;
        for (size_t i = 0; i < n; i++) {
                if (det_is_alnum((unsigned char)t[i])) {
                        if (k == 7)
                                return 0;
                        c[k++] = (char)toupper((unsigned char)t[i]);
                } else {
                        sep++;
                }
        }
        c[k] = '\0';
        if (k == 7 && det_is_upper(c[0]) && det_is_upper(c[1]) && all_digits(c + 2, 2) &&
            det_is_upper(c[4])) {
                int age = dv(c[2]) * 10 + dv(c[3]);
                if (!strchr("ABCDEFGHKLMNOPRSVWY", c[0]) || strchr("IQZ", c[1]))
                        return 0;
                if (!((age >= 2 && age <= 29) || (age >= 51 && age <= 79)))
                        return 0;
                for (int i = 4; i < 7; i++)
                        if (!det_is_upper(c[i]) || strchr("IQ", c[i]))
                                return 0;
                /* "AB51-ABC" is a plate; "BR21 USB" may be a part name */
                return sep == 0 ? 35 : t[4] == '-' ? 55 : 45;
        }
        return 0;
}

/* Korean driving licence number (KoROAD): region 11-26 or 28, 2-digit year of issue, 6-digit
 * serial, 2 check digits (algorithm not published). Printed 11-22-123456-12; a bare 12-digit
 * number needs a context word. */
static int v_kr_dl(const char *t, size_t n) {
        char kinds[4], seps[4];
        int lens[4];
        int g = raw_groups(t, n, kinds, lens, seps, 4);
        char d[13];
        size_t k = 0;
        for (size_t i = 0; i < n && k < 12; i++)
                if (det_is_digit((unsigned char)t[i]))
                        d[k++] = t[i];
        if (k != 12)
                return 0;
        for (int i = 0; i < g; i++)
                if (kinds[i] != '9')
                        return 0;
        int region = dv(d[0]) * 10 + dv(d[1]);
        if (region < 11 || region > 28 || region == 27)
                return 0;
        if (g == 1)
                return 30;
        if (g == 4 && lens[0] == 2 && lens[1] == 2 && lens[2] == 6 && lens[3] == 2 &&
            seps[0] == seps[1] && seps[1] == seps[2])
                return seps[0] == '-' ? 55 : 35;
        return 0;
}

/* UK postcode (Royal Mail PAF): outward code A9, A99, AA9, AA99, A9A or AA9A (first letter not
 * Q V X, second not I J Z; third-position letters A B C D E F G H J K P S T U W, fourth A B E H
 * M N P R V W X Y), inward code 9AA (letters not C I K M O V); GIR 0AA. Format only. */
static int v_uk_postcode(const char *t, size_t n) {
        char c[8];
        size_t k = 0;
        if (!one_case(t, n))
                return 0;
        for (size_t i = 0; i < n; i++) {
                if (!det_is_alnum((unsigned char)t[i]))
                        continue;
                if (k == 7)
                        return 0;
                c[k++] = (char)toupper((unsigned char)t[i]);
        }
        c[k] = '\0';
        if (k < 5)
                return 0;
        /* Royal Mail prints a space between outward and inward code; without it the shape is
         * also a model number ("UX430UA") */
        int conf = n > k ? 30 : 25;
        if (!strcmp(c, "GIR0AA"))
                return conf;
        const char *in = c + k - 3;
        if (!det_is_digit(in[0]) || !det_is_upper(in[1]) || !det_is_upper(in[2]) ||
            strchr("CIKMOV", in[1]) || strchr("CIKMOV", in[2]))
                return 0;
        size_t ol = k - 3;
        if (!det_is_upper(c[0]) || strchr("QVX", c[0]))
                return 0;
        size_t i = 1;
        if (det_is_upper(c[1])) {
                if (strchr("IJZ", c[1]))
                        return 0;
                i = 2;
        }
        if (i >= ol || !det_is_digit(c[i]))
                return 0;
        i++;
        if (i < ol) {
                if (det_is_digit(c[i])) {
                        i++;
                } else if (i == 2 ? strchr("ABCDEFGHJKPSTUW", c[i])
                                  : strchr("ABEHMNPRVWXY", c[i])) {
                        i++;
                } else {
                        return 0;
                }
        }
        return i == ol ? conf : 0;
}

/* Spanish passport (Dirección General de la Policía): 3 letters and 6 digits since 2003 (2
 * letters before). Format only. */
static int v_es_passport(const char *t, size_t n) {
        if (n != 9 || !all_digits(t + 3, 6))
                return 0;
        for (int i = 0; i < 3; i++)
                if (!det_is_alpha((unsigned char)t[i]))
                        return 0;
        return 25;
}

/* Indian vehicle registration (Central Motor Vehicles Rules 1989, rule 50): state code (2
 * letters from the list of states and union territories), 2-digit district RTO 01-99, 1-3
 * series letters, 4-digit number 0001-9999. */
static int v_in_vrn(const char *t, size_t n) {
        static const char *const states[] = {
                "AN", "AP", "AR", "AS", "BR", "CH", "CG", "DD", "DL", "DN", "GA", "GJ", "HP",
                "HR", "JH", "JK", "KA", "KL", "LA", "LD", "MH", "ML", "MN", "MP", "MZ", "NL",
                "OD", "OR", "PB", "PY", "RJ", "SK", "TN", "TR", "TS", "UK", "UP", "WB",
        };
        char kinds[4], seps[4];
        int lens[4];
        if (!one_case(t, n))
                return 0;
        int g = raw_groups(t, n, kinds, lens, seps, 4);
        char c[16];
        size_t k = 0;
        for (size_t i = 0; i < n && k < 15; i++)
                if (det_is_alnum((unsigned char)t[i]))
                        c[k++] = (char)toupper((unsigned char)t[i]);
        c[k] = '\0';
        /* groups: AA 99 A{1,3} 9999, with "DL3C…" (Delhi's 1-digit district) also issued */
        if (g != 4 || kinds[0] != 'A' || lens[0] != 2 || kinds[1] != '9' || lens[1] > 2 ||
            kinds[2] != 'A' || lens[2] > 3 || kinds[3] != '9' || lens[3] != 4)
                return 0;
        bool known = false;
        for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
                known |= c[0] == states[i][0] && c[1] == states[i][1];
        if (!known || !memcmp(c + k - 4, "0000", 4))
                return 0;
        return 50;
}

/* US DEA registration number (21 CFR 1301; the medical-licence recognisers read it): a
 * registrant-type letter (A B C D E F G H J K L M P R S T U X), the registrant's initial (or 9
 * for a business), 7 digits whose last is (d1 + d3 + d5 + 2 (d2 + d4 + d6)) mod 10. */
static int v_us_dea(const char *t, size_t n) {
        if (n != 9 || !one_case(t, n) || !all_digits(t + 2, 7))
                return 0;
        int a = toupper((unsigned char)t[0]), b = toupper((unsigned char)t[1]);
        if (!strchr("ABCDEFGHJKLMPRSTUX", a) || !(det_is_upper(b) || b == '9'))
                return 0;
        const char *d = t + 2;
        int sum = dv(d[0]) + dv(d[2]) + dv(d[4]) + 2 * (dv(d[1]) + dv(d[3]) + dv(d[5]));
        return sum % 10 == dv(d[6]) ? 55 : 0;
}

/* Korean passport (MOFA): type letter M (multiple), S (single), R (residence), O (official), D
 * (diplomatic); since 2021 3 digits, a letter and 4 digits, before that 8 digits. Format
 * only. */
static int v_kr_passport(const char *t, size_t n) {
        if (n != 9 || !one_case(t, n) || !strchr("MSRODmsrod", t[0]) || !all_digits(t + 1, 3) ||
            !all_digits(t + 5, 4))
                return 0;
        if (det_is_alpha((unsigned char)t[4]))
                return 30;
        return det_is_digit((unsigned char)t[4]) ? 25 : 0;
}

/* Indian passport (MEA): a series letter, 7 digits, neither the first digit nor the last 0.
 * Format only. */
static int v_in_passport(const char *t, size_t n) {
        char c[9];
        size_t k = 0;
        for (size_t i = 0; i < n && k < 8; i++)
                if (t[i] != ' ')
                        c[k++] = t[i];
        if (k != 8 || !det_is_upper((unsigned char)c[0]) || !all_digits(c + 1, 7) || c[1] == '0' ||
            c[7] == '0')
                return 0;
        return 25;
}

/* Philippine TIN (BIR): 9 digits (and a 3-digit branch code, 000 for the head office), the 9th
 * the check digit: sum of the first 8 weighted 9 8 7 6 5 4 3 2, mod 11 (10 is not issued).
 * Printed 123-456-789-000; shared with other 9- and 12-digit numbers, so it needs a context
 * word. */
static int v_ph_tin(const char *t, size_t n) {
        char d[13];
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                if (det_is_digit((unsigned char)t[i])) {
                        if (k == 12)
                                return 0;
                        d[k++] = t[i];
                }
        }
        if (k != 9 && k != 12)
                return 0;
        int sum = 0;
        for (int i = 0; i < 8; i++)
                sum += dv(d[i]) * (9 - i);
        if (sum % 11 != dv(d[8]))
                return 0;
        return k < n ? 40 : 30;
}

/* German practice number (BSNR, KBV Arztnummern-Richtlinie): 9 digits, the first two the
 * regional Kassenärztliche Vereinigung (01 02 03 17 20 35 38 46 51 52 71 72 73 74 78 83 88 93
 * 98), then a serial; no check digit, so it needs a context word. */
static int v_de_bsnr(const char *t, size_t n) {
        static const char kv[] = "01 02 03 17 20 35 38 46 51 52 71 72 73 74 78 83 88 93 98";
        if (n != 9 || !all_digits(t, 9))
                return 0;
        for (size_t i = 0; i + 1 < sizeof kv; i += 3)
                if (kv[i] == t[0] && kv[i + 1] == t[1])
                        return 30;
        return 0;
}

/* Indian voter id (EPIC, Election Commission of India): 3 letters (the state's series) and 7
 * digits. Format only. */
static int v_in_voter(const char *t, size_t n) {
        if (n != 10 || !one_case(t, n) || !all_digits(t + 3, 7))
                return 0;
        for (int i = 0; i < 3; i++)
                if (!det_is_alpha((unsigned char)t[i]))
                        return 0;
        return 25;
}

/* ---- the rules ---------------------------------------------------------------------------------
 */

#define ID(det, re, seps, fn, ctx, what)                                                           \
        {                                                                                          \
                det, re, DET_SOM | DET_EACH | DET_NUMERIC, check_id, DET_MASK_TAIL4, ctx, 0, what, \
                        &(const struct id_spec) {                                                  \
                        seps, fn                                                                   \
                }                                                                                  \
        }

/* Identifiers read from their printed form (check_raw); RAWN for all-digit ones, whose
 * confidence drops when the words before them name another kind of number. */
#define RAW_FLAGS(det, re, fl, fn, ctx, what)                                                      \
        {                                                                                          \
                det, re, DET_SOM | DET_EACH | (fl), check_raw, DET_MASK_TAIL4, ctx, 0, what,       \
                        &(const struct raw_spec) {                                                 \
                        fn                                                                         \
                }                                                                                  \
        }
#define RAW(det, re, fn, ctx, what)  RAW_FLAGS(det, re, 0, fn, ctx, what)
#define RAWN(det, re, fn, ctx, what) RAW_FLAGS(det, re, DET_NUMERIC, fn, ctx, what)

static const char *const ctx_nhs[] = {"nhs", "health", NULL};
static const char *const ctx_tax[] = {"steuer", "tax", "idnr", "tin", NULL};
static const char *const ctx_id[] = {"id", "number", "nummer", "no.", "nr", "code", NULL};
static const char *const ctx_sin[] = {"sin", "social insurance", NULL};
static const char *const ctx_aba[] = {"routing", "aba", "rtn", "bank", NULL};
static const char *const ctx_gstin[] = {"gstin", "gst", "goods and services tax", NULL};
static const char *const ctx_steuernr[] = {"steuernummer", "steuer-nr",  "steuer nr",
                                           "st.-nr",       "st-nr",      "stnr",
                                           "finanzamt",    "tax number", NULL};
static const char *const ctx_fs[] = {"führerschein",    "fuehrerschein",   "fahrerlaubnis",
                                     "driving licence", "driving license", "driver's license",
                                     "licence number",  "license number",  NULL};
static const char *const ctx_plz[] = {"plz", "postleitzahl", NULL};
static const char *const ctx_kfz[] = {"kennzeichen", "kfz", "nummernschild", "fahrzeug",
                                      "zulassung",   "pkw", "lkw",           NULL};
static const char *const ctx_plate[] = {"plaka", "plate", "vehicle", "registration", "araç", NULL};
static const char *const ctx_uk_vrn[] = {"vehicle", "registration", "number plate", "reg ", "reg.",
                                         "reg:",    "vrn",          "dvla",         "v5c",  NULL};
static const char *const ctx_kr_dl[] = {"운전면허",     "면허번호",      "driver's licen",
                                        "driver licen", "driving licen", NULL};
static const char *const ctx_postcode[] = {"postcode", "post code", "postal code", NULL};
static const char *const ctx_dea[] = {"dea", "medical", "licen", "prescri", NULL};
static const char *const ctx_kr_passport[] = {"passport", "여권", NULL};
static const char *const ctx_ph_tin[] = {"tin ",     "tin:", "tin#",   "tin no",
                                         "taxpayer", "bir ", "tax id", NULL};
static const char *const ctx_bsnr[] = {
        "bsnr", "betriebsstätte", "praxisnummer", "kassenärztliche", "kv-nummer", NULL};
static const char *const ctx_voter[] = {"voter", "vote ", "epic", "election", NULL};
static const char *const ctx_passport[] = {"passport", "pasaporte", NULL};

const struct det_rule det_rules_national[] = {
        ID("uk_nhs", "[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}", " -", v_uk_nhs, ctx_nhs,
           "NHS number, modulus 11"),
        {"uk_nino", "[A-Za-z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-Da-d]", DET_SOM | DET_EACH,
         check_id, DET_MASK_TAIL4, NULL, 0, "HMRC National Insurance number format",
         &(const struct id_spec){" ", v_uk_nino}},
        ID("de_tax_id", "[1-9][0-9]{10}", " ", v_de_tax_id, ctx_tax,
           "Steuer-IdNr, ISO 7064 MOD 11,10"),
        ID("de_vat_id", "[Dd][Ee][ .-]?[0-9]{3}[ .-]?[0-9]{3}[ .-]?[0-9]{3}", " .-", v_de_vat, NULL,
           "USt-IdNr, ISO 7064 MOD 11,10"),
        ID("es_nif", "[0-9]{7,8}-?[A-Z]", "-", v_es_nif, ctx_id, "DNI/NIF, mod 23 letter"),
        ID("es_nie", "[XYZ][0-9]{7}-?[A-Z]", "-", v_es_nie, ctx_id, "NIE, mod 23 letter"),
        ID("it_fiscal_code",
           "[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]", "",
           v_it_cf, NULL, "codice fiscale check character"),
        ID("it_vat_code", "[0-9]{11}", "", v_it_vat, ctx_id, "partita IVA, Luhn"),
        ID("pl_pesel", "[0-9]{11}", "", v_pl_pesel, ctx_id, "PESEL, weights 1 3 7 9"),
        {"fi_personal_identity_code", "[0-9]{6}[-+ABCDEFYXWVUabcdefyxwvu][0-9]{3}[0-9A-Ya-y]", 0,
         check_fi_hetu, DET_MASK_TAIL4, NULL, 0, "henkilötunnus, mod 31 check character", NULL},
        ID("se_personnummer", "[0-9]{6,8}[-+]?[0-9]{4}", "-+", v_se_pnr, ctx_id,
           "personnummer, Luhn"),
        ID("se_organisationsnummer", "[0-9]{6}-?[0-9]{4}", "-", v_se_org, ctx_id,
           "organisationsnummer, Luhn"),
        ID("in_aadhaar", "[2-9][0-9]{3}[ :-]?[0-9]{4}[ :-]?[0-9]{4}", " :-", v_in_aadhaar, ctx_id,
           "Aadhaar, Verhoeff"),
        ID("in_pan", "[A-Z]{5}[0-9]{4}[A-Z]", "", v_in_pan, ctx_id, "PAN format"),
        ID("in_gstin", "[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][0-9A-Z]Z[0-9A-Z]", "", v_in_gstin, ctx_gstin,
           "GSTIN, mod 36 check"),
        ID("ng_nin", "[0-9]{11}", "", v_ng_nin, ctx_id, "NIN, Verhoeff"),
        ID("us_aba_routing", "[0-9]{4}-?[0-9]{4}-?[0-9]", "-", v_us_aba, ctx_aba,
           "ABA routing number, weights 3 7 1"),
        ID("us_itin", "9[0-9]{2}[ -]?[0-9]{2}[ -]?[0-9]{4}", " -", v_us_itin, ctx_id,
           "IRS ITIN ranges"),
        ID("us_npi", "[12][0-9]{9}", "", v_us_npi, ctx_id, "NPI, Luhn with 80840"),
        ID("us_mbi", "[1-9][A-Za-z][0-9A-Za-z][0-9]-?[A-Za-z][0-9A-Za-z][0-9]-?[A-Za-z]{2}[0-9]{2}",
           "-", v_us_mbi, ctx_id, "CMS MBI format"),
        ID("au_abn", "[0-9]{2} ?[0-9]{3} ?[0-9]{3} ?[0-9]{3}", " ", v_au_abn, ctx_id,
           "ABN, mod 89"),
        ID("au_acn", "[0-9]{3} ?[0-9]{3} ?[0-9]{3}", " ", v_au_acn, ctx_id, "ACN, mod 10"),
        ID("au_tfn", "[0-9]{3} ?[0-9]{3} ?[0-9]{3}", " ", v_au_tfn, ctx_id, "TFN, mod 11"),
        ID("au_medicare", "[2-6][0-9]{3} ?[0-9]{5} ?[0-9]{1,2}", " ", v_au_medicare, ctx_id,
           "Medicare number check digit"),
        ID("ca_sin", "[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{3}", " -", v_ca_sin, ctx_sin, "SIN, Luhn"),
        ID("tr_national_id", "[1-9][0-9]{10}", "", v_tr_id, ctx_id, "T.C. Kimlik No checksum"),
        ID("th_tnin", "[1-8][0-9]{12}", "", v_th_id, ctx_id, "Thai ID, mod 11"),
        ID("za_id_number", "[0-9]{13}", "", v_za_id, ctx_id, "SA ID, Luhn"),
        ID("sg_nric_fin", "[STFGM][0-9]{7}[A-Z]", "", v_sg_nric, ctx_id, "NRIC/FIN check letter"),
        ID("kr_rrn", "[0-9]{6}-?[1-4][0-9]{6}", "-", v_kr_rrn, ctx_id, "RRN structure"),
        ID("kr_frn", "[0-9]{6}-?[5-8][0-9]{6}", "-", v_kr_frn, ctx_id, "FRN structure"),
        ID("uk_driving_licence", "[A-Z9]{5}[0-9]{6}[A-Z9]{2}[0-9][A-Z0-9]{2}", "", v_uk_dl, NULL,
           "DVLA driving licence number format"),
        ID("de_health_insurance", "[A-Z][0-9]{9}", "", v_de_kvnr, ctx_id,
           "KVNR, weighted digit-sum check"),
        ID("de_id_card", "[LMNPRTVWXY][CFGHJKLMNPRTVWXYZ0-9]{7}[0-9]", "", v_de_id_card, ctx_id,
           "Personalausweis serial, ICAO 9303 check digit"),
        ID("de_passport", "[CFGHJK][CFGHJKLMNPRTVWXYZ0-9]{7}[0-9]", "", v_de_passport, ctx_id,
           "Reisepass serial, ICAO 9303 check digit"),
        ID("de_lanr", "[0-9]{9}", "", v_de_lanr, ctx_id, "LANR check digit"),
        ID("de_social_security", "[0-9]{8}[A-Z][0-9]{3}", "", v_de_rvnr, ctx_id,
           "Rentenversicherungsnummer check digit"),
        ID("kr_brn", "[0-9]{3}-?[0-9]{2}-?[0-9]{5}", "-", v_kr_brn, ctx_id,
           "Korean BRN check digit"),
        ID("sg_uen", "([0-9]{8,9}|[TSR][0-9]{2}[A-Z][A-Z0-9][0-9]{4})[A-Z]", "", v_sg_uen, ctx_id,
           "ACRA UEN formats"),
        RAW("de_handelsregister", "HR[AB] ?[1-9][0-9]{0,5}", v_de_handelsregister, NULL,
            "Handelsregister HRA/HRB number"),
        RAWN("de_tax_number", "[0-9]{2,3}/[0-9]{3,4}/[0-9]{4,5}(/[0-9])?", v_de_tax_number,
             ctx_steuernr, "Steuernummer, Länder slash formats"),
        RAWN("de_tax_number", "[0-9]{13}", v_de_tax_number, ctx_steuernr,
             "Steuernummer, 13-digit ELSTER format"),
        RAW("de_fuehrerschein", "[A-Za-z]{2}[0-9]{8}[A-Za-z0-9]", v_de_fuehrerschein, ctx_fs,
            "Führerscheinnummer format (2006/126/EC field 5)"),
        RAWN("de_plz", "[0-9]{5}", v_de_plz, ctx_plz, "Postleitzahl range"),
        RAW("de_kfz", "[A-Z]{1,3}[ -][A-Z]{1,2}[ -][1-9][0-9]{0,3}[EH]?", v_de_kfz, ctx_kfz,
            "KFZ-Kennzeichen layout (FZV § 8)"),
        RAW("tr_license_plate", "(0[1-9]|[1-7][0-9]|8[01])[ -][A-PR-VYZ]{1,3}[ -][0-9]{2,5}",
            v_tr_plate, ctx_plate, "Turkish plate: province 01-81, letters, digits"),
        RAW("ng_vehicle_registration", "([A-Z]{3}|[a-z]{3})[ -]?[0-9]{3}([A-Z]{2}|[a-z]{2})",
            v_ng_plate, ctx_plate, "Nigerian plate: LGA code, serial, letters"),
        RAW("uk_vehicle_registration", "[A-HJ-PR-Y]{2}[0-9]{2}[ -]?[A-HJ-PR-Z]{3}", v_uk_vrn,
            ctx_uk_vrn, "DVLA current registration mark, age identifier"),
        RAWN("kr_driver_license", "(1[1-9]|2[0-68])[ -]?[0-9]{2}[ -]?[0-9]{6}[ -]?[0-9]{2}",
             v_kr_dl, ctx_kr_dl, "Korean driving licence: region code, layout"),
        RAW("uk_postcode", "[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}", v_uk_postcode, ctx_postcode,
            "Royal Mail postcode format"),
        RAW("es_passport", "[A-Za-z]{3}[0-9]{6}", v_es_passport, ctx_passport,
            "Spanish passport format"),
        RAW("in_vehicle_registration", "[A-Z]{2}[ -]?[0-9]{1,2}[ -]?[A-Z]{1,3}[ -]?[0-9]{4}",
            v_in_vrn, ctx_plate, "Indian registration: state code, RTO, series, number"),
        RAW("us_medical_license", "[A-HJ-MPRSTUXa-hj-mprstux][A-Za-z9][0-9]{7}", v_us_dea, ctx_dea,
            "DEA registration number check digit"),
        RAW("kr_passport", "[MSROD][0-9]{3}[A-Z0-9][0-9]{4}|[msrod][0-9]{3}[a-z0-9][0-9]{4}",
            v_kr_passport, ctx_kr_passport, "Korean passport number format"),
        RAW("in_passport", "[A-Z][1-9][0-9] ?[0-9]{4}[1-9]", v_in_passport, ctx_passport,
            "Indian passport number format"),
        RAWN("ph_tin", "[0-9]{3}-[0-9]{3}-[0-9]{3}(-[0-9]{3})?|[0-9]{9}|[0-9]{12}", v_ph_tin,
             ctx_ph_tin, "BIR TIN, weighted mod 11"),
        RAWN("de_bsnr", "[0-9]{9}", v_de_bsnr, ctx_bsnr, "BSNR, KV region code"),
        RAW("in_voter", "[A-Za-z]{3}[0-9]{7}", v_in_voter, ctx_voter, "EPIC voter id format"),
        {0},
};
