/* Built-in detectors: what the registry (detect.c) and the detector modules (detect_pii.c,
 * detect_national.c, detect_secrets.c) share, and the validators (detect_check.c) the unit
 * tests call directly.
 *
 * A detector is a set of rules. A rule is one vectorscan pattern that only proposes a candidate
 * (a cheap anchor: a prefix, a digit shape) and a C check that decides: it finds the real extent
 * of the token around the proposal, checks its boundaries, validates it by the format's
 * specification (checksums, registries, decoding) and sets a confidence. Patterns stay small so
 * the one database of every rule compiles fast; the specifications live in C. */
#ifndef POSTWARDEN_DETECT_INTERNAL_H
#define POSTWARDEN_DETECT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the check sees: the whole text and the proposal [from, to) from vectorscan (from is the
 * leftmost start for patterns compiled with start-of-match, else 0). */
struct det_cand {
        const char *text; /* the scanned text, borrowed */
        size_t len;       /* bytes of text */
        size_t from;      /* proposed start (leftmost start of match) */
        size_t to;        /* proposed end (end of match) */
};

/* Where a check reports: det_emit() once per accepted token. */
struct det_sink;

/* A check: looks at the proposal, finds the token(s) around it, validates them by their
 * specification and calls det_emit() for each accepted one. */
typedef void (*det_check_fn)(const struct det_cand *c, struct det_sink *k);

/* Accepts text[start..end) with confidence conf (0..100); context words may raise it. */
void det_emit(struct det_sink *k, size_t start, size_t end, int conf);

/* Says the check has looked at everything up to `end`: later proposals of the same rule that
 * end there or before are skipped. det_emit() implies it for the emitted end. */
void det_consumed(struct det_sink *k, size_t end);

/* The rule's base confidence, and its `arg`. */
int det_base_conf(const struct det_sink *k);
const void *det_rule_arg(const struct det_sink *k);

/* How a detection's excerpt is masked (never the full number or secret). */
enum det_mask {
        DET_MASK_TAIL4 = 0, /* keep separators and the last 4 alphanumerics: "**** 1234" */
        DET_MASK_ENDS,      /* first and last few characters: "AKIA…MPLE" */
        DET_MASK_EMAIL,     /* "j***@example.com" */
        DET_MASK_HEADER,    /* the first line (a PEM header), then "…" */
};

enum {
        DET_SOM = 1u << 0,      /* compile with HS_FLAG_SOM_LEFTMOST (the check needs `from`) */
        DET_CASELESS = 1u << 1, /* compile with HS_FLAG_CASELESS */
        DET_EACH = 1u << 2,     /* check every (from, to) report, not once per start */
        DET_NUMERIC = 1u << 3,  /* a number: words naming another kind of number ("invoice",
                                   "order", "timestamp", …) just before it lower the confidence */
};

struct det_rule {
        const char *detector;       /* detector name (as in policies); equals the category */
        const char *regex;          /* vectorscan pattern proposing candidates */
        unsigned flags;             /* DET_* */
        det_check_fn check;         /* validator; never NULL */
        enum det_mask mask;         /* excerpt masking */
        const char *const *context; /* lower-case context words raising confidence, or NULL */
        int base_conf;              /* confidence of a plain valid token (checks may adjust) */
        const char *spec;           /* the specification the rule follows, for docs and errors */
        const void *arg;            /* rule-specific data for the check, or NULL */
};

/* Rule tables of the modules, each ending with a zeroed entry. */
extern const struct det_rule det_rules_pii[];
extern const struct det_rule det_rules_national[];
extern const struct det_rule det_rules_secrets[];

/* Confidence added when a context word is within DET_CONTEXT_WINDOW bytes before the token. */
#define DET_CONTEXT_BOOST  25
#define DET_CONTEXT_WINDOW 64

/* True when one of `words` (lower case, NULL-terminated) occurs, compared ASCII
 * case-insensitively, in the `before` bytes (at most DET_CONTEXT_WINDOW) before text[start], or,
 * when `after` > 0, after a space in the `after` bytes (at most 16) from text[end]. The context
 * window of det_emit(), and the checks' own "is this word near" tests. */
bool det_words_near(const char *text, size_t len, size_t start, size_t end, size_t before,
                    size_t after, const char *const *words);

/* ---- helpers shared by the checks (detect_check.c) --------------------------------------------
 */

static inline bool det_is_digit(int ch) {
        return ch >= '0' && ch <= '9';
}
static inline bool det_is_upper(int ch) {
        return ch >= 'A' && ch <= 'Z';
}
static inline bool det_is_lower(int ch) {
        return ch >= 'a' && ch <= 'z';
}
static inline bool det_is_alpha(int ch) {
        return det_is_upper(ch) || det_is_lower(ch);
}
static inline bool det_is_alnum(int ch) {
        return det_is_digit(ch) || det_is_alpha(ch);
}
static inline bool det_is_hex(int ch) {
        return det_is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* Byte before `pos` / at `pos`, or 0 outside the text. */
static inline int det_before(const struct det_cand *c, size_t pos) {
        return pos > 0 ? (unsigned char)c->text[pos - 1] : 0;
}
static inline int det_at(const struct det_cand *c, size_t pos) {
        return pos < c->len ? (unsigned char)c->text[pos] : 0;
}

/* True when the byte is part of a "word" for boundary checks: ASCII alphanumeric, '_', or any
 * non-ASCII byte (a letter of another script glued to a number is not a separate number). */
static inline bool det_is_wordish(int ch) {
        return det_is_alnum(ch) || ch == '_' || ch >= 0x80;
}

/* Collects the digits of s[0..n) into out (at most cap-1, NUL-terminated); returns the count, or
 * -1 when there are more than cap-1. Other bytes are skipped. */
int det_digits(const char *s, size_t n, char *out, size_t cap);

/* Luhn (ISO/IEC 7812-1 annex B) over a string of ASCII digits. */
bool det_luhn(const char *digits, size_t n);

/* ISO 7064 MOD 97-10 over an IBAN-like string (letters A=10..Z=35, already rearranged): true when
 * the remainder is 1. Non-alphanumeric bytes make it false. */
bool det_mod97(const char *s, size_t n);

/* Full IBAN check (ISO 13616: SWIFT IBAN registry length and BBAN format per country, then
 * mod-97) of a compact upper-case IBAN. */
bool det_iban_valid(const char *iban, size_t n);

/* The registry length of a country's IBAN, or 0 when the country has none. */
size_t det_iban_length(const char cc[2]);

/* Verhoeff check digit scheme (used by Aadhaar): true when the digit string checks. */
bool det_verhoeff(const char *digits, size_t n);

/* Base58Check (Bitcoin): decodes s[0..n) and checks the double SHA-256 checksum; on success
 * stores the version byte in *version and the payload length (without version and checksum) in
 * *payload_len. */
bool det_base58check(const char *s, size_t n, uint8_t *version, size_t *payload_len);

/* Bech32 / Bech32m (BIP-173 / BIP-350) checksum of a whole address (hrp "1" data); sets *hrp_len.
 * Mixed case is invalid. */
bool det_bech32(const char *s, size_t n, size_t *hrp_len);

/* Shannon entropy in bits per symbol of s[0..n). */
double det_entropy(const char *s, size_t n);

/* True when s[0..n) looks like a placeholder rather than a secret: few distinct characters,
 * long runs of one character, or words such as "example", "xxxx", "your_", "changeme", "dummy". */
bool det_placeholder(const char *s, size_t n);

/* Base64url (no padding) decodes s[0..n) into out (cap bytes); returns the decoded length or -1. */
long det_b64url_decode(const char *s, size_t n, unsigned char *out, size_t cap);

/* True when s[0..n) base64url-decodes to a JSON object (the JOSE header or claims of a JWT);
 * when require_alg, the object must carry a string "alg" (RFC 7515 section 4.1.1). */
bool det_jwt_part_json(const char *s, size_t n, bool require_alg);

/* Validates a JWT in compact serialisation (RFC 7519): header with "alg", claims a JSON object
 * (JWS) or five parts (JWE). s[0..n) is the token. */
bool det_jwt_valid(const char *s, size_t n);

/* GitHub token checksum: the last 6 characters are the base62 CRC32 of the rest of the body
 * (GitHub's 2021 token format). `body` is the 36 characters after "ghp_". */
bool det_github_crc(const char *body, size_t n);

/* Extends [*s, *e) to the left and right over bytes for which `in` is true. */
void det_extend(const struct det_cand *c, size_t *s, size_t *e, bool (*in)(int ch));

/* Masks text[s..e) into out[96] according to `mode`. */
void det_mask_excerpt(const char *text, size_t s, size_t e, enum det_mask mode, char out[96]);

#endif
