/* Secret detectors: cloud and SaaS credentials in their providers' documented token formats,
 * private keys, JWTs, and `key = value` assignments of high-entropy values. A token is matched
 * by its documented prefix, then widened to its whole extent and checked for length, boundary,
 * placeholder words and entropy (and a checksum where the provider documents one). */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "detect_internal.h"

/* ---- prefixed tokens ---------------------------------------------------------------------------
 */

/* Shape of a prefixed token: whole length range (prefix included) and the bytes besides ASCII
 * alphanumerics the body may contain. */
struct tok_spec {
        unsigned min, max;  /* whole token length, bytes */
        const char *extra;  /* body bytes other than [A-Za-z0-9] */
        double min_entropy; /* bits per byte over the whole token; 0: no test */
};

static bool in_set(int ch, const char *extra) {
        return det_is_alnum(ch) || (ch && extra && strchr(extra, ch));
}

/* Widens [from, to) forward over body bytes; checks boundaries, length, placeholders and
 * entropy. Returns the end or 0. */
static size_t token_end(const struct det_cand *c, const struct tok_spec *t) {
        size_t s = c->from, e = c->to;
        while (e < c->len && in_set(det_at(c, e), t->extra))
                e++;
        /* Trailing '=' padding and '.'/'-' are kept only when the format allows them. */
        if (det_is_wordish(det_before(c, s)) && det_before(c, s) < 0x80)
                return 0;
        if (det_is_wordish(det_at(c, e)) && det_at(c, e) < 0x80)
                return 0;
        size_t n = e - s;
        if (n < t->min || n > t->max)
                return 0;
        if (det_placeholder(c->text + s, n))
                return 0;
        if (t->min_entropy > 0 && det_entropy(c->text + s, n) < t->min_entropy)
                return 0;
        return e;
}

/* Twitch stream key: "live_" + the channel's numeric id + "_" + exactly 30 alphanumerics. */
static void check_twitch(const struct det_cand *c, struct det_sink *k) {
        const struct tok_spec *t = det_rule_arg(k);
        size_t e = token_end(c, t);
        det_consumed(k, c->to);
        if (!e)
                return;
        size_t u = e;
        while (u > c->from && c->text[u - 1] != '_')
                u--;
        if (e - u == 30)
                det_emit(k, c->from, e, det_base_conf(k));
}

static void check_token(const struct det_cand *c, struct det_sink *k) {
        const struct tok_spec *t = det_rule_arg(k);
        size_t e = token_end(c, t);
        if (e)
                det_emit(k, c->from, e, det_base_conf(k));
        else
                det_consumed(k, c->to);
}

/* ---- aws_key ------------------------------------------------------------------------------------
 * AWS IAM unique-id prefixes (IAM User Guide, "Unique identifiers": AKIA access key, ASIA
 * temporary key, ABIA, ACCA, AGPA, AIDA, AROA, AIPA, ANPA, ANVA, APKA, A3T) + 16 base32
 * characters; AWS's documented example key (…EXAMPLE) is not a secret. Secret access keys are
 * 40 base64 characters; alone they look like any other base64, so only an assignment to an AWS
 * key name counts. Bedrock API keys: "bedrock-api-key-" + base64 of a presigned
 * bedrock.amazonaws.com URL (short-term), "ABSK" + base64 of "BedrockAPIKey-…" (long-term). */

static void check_aws_id(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->from, e = c->to;
        while (e < c->len && det_is_alnum(det_at(c, e)))
                e++;
        det_consumed(k, e);
        if (e - s != 20 || det_is_wordish(det_before(c, s)) || det_is_wordish(det_at(c, e)))
                return;
        if (memmem(c->text + s, 20, "EXAMPLE", 7))
                return;
        unsigned seen[256] = {0}, distinct = 0;
        for (size_t i = s + 4; i < e; i++)
                distinct += !seen[(unsigned char)c->text[i]]++;
        if (distinct < 5)
                return;
        det_emit(k, s, e, det_base_conf(k));
}

/* After a key name ending at `p`: skips the rest of the identifier, a closing quote, spaces and
 * an assignment operator (=, :, :=, =>, ->, ||=) and an opening quote. Returns the value's start
 * or 0, and the quote that opened it in *quote. */
static size_t skip_assignment(const struct det_cand *c, size_t p, int *quote) {
        while (p < c->len && (det_is_alnum(det_at(c, p)) || det_at(c, p) == '_' ||
                              det_at(c, p) == '-' || det_at(c, p) == '.'))
                p++;
        if (det_at(c, p) == '"' || det_at(c, p) == '\'' || det_at(c, p) == '`')
                p++;
        if (det_at(c, p) == '\\' && det_at(c, p + 1) == '"')
                p += 2;
        while (det_at(c, p) == ' ' || det_at(c, p) == '\t')
                p++;
        int a = det_at(c, p), b = det_at(c, p + 1);
        if (a == ':' && b == '=')
                p += 2;
        else if ((a == '=' || a == '-') && b == '>')
                p += 2;
        else if (a == '|' && b == '|' && det_at(c, p + 2) == '=')
                p += 3;
        else if (a == '=' || a == ':')
                p += 1;
        else
                return 0;
        if (det_at(c, p) == '=')
                return 0; /* "==" is a comparison */
        while (det_at(c, p) == ' ' || det_at(c, p) == '\t')
                p++;
        *quote = 0;
        if (det_at(c, p) == '\\' && det_at(c, p + 1) == '"')
                p++;
        if (det_at(c, p) == '"' || det_at(c, p) == '\'' || det_at(c, p) == '`') {
                *quote = det_at(c, p);
                p++;
        }
        return p;
}

static bool b64_char(int ch) {
        return det_is_alnum(ch) || ch == '+' || ch == '/' || ch == '=';
}

static void check_aws_secret(const struct det_cand *c, struct det_sink *k) {
        int q;
        det_consumed(k, c->to);
        if (det_is_alnum(det_before(c, c->from)))
                return;
        size_t v = skip_assignment(c, c->to, &q);
        if (!v)
                return;
        size_t e = v;
        while (e < c->len && b64_char(det_at(c, e)))
                e++;
        if (e - v != 40)
                return;
        unsigned seen[256] = {0}, distinct = 0;
        for (size_t i = v; i < e; i++)
                distinct += !seen[(unsigned char)c->text[i]]++;
        if (distinct < 10)
                return;
        det_emit(k, v, e, det_base_conf(k));
}

static void check_bedrock(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->from, e = c->to;
        while (e < c->len && b64_char(det_at(c, e)))
                e++;
        det_consumed(k, e);
        if (det_is_wordish(det_before(c, s)))
                return;
        bool long_term = c->text[s] == 'A';
        size_t body = s + (long_term ? 4 : 16);
        if (e <= body + 16 || memmem(c->text + s, e - s, "EXAMPLE", 7))
                return;
        unsigned char out[64];
        size_t got = 0;
        size_t take = (e - body) / 4 * 4;
        if (take > 80)
                take = 80;
        if (sodium_base642bin(out, sizeof out, c->text + body, take, NULL, &got, NULL,
                              sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 &&
            sodium_base642bin(out, sizeof out, c->text + body, take, NULL, &got, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0)
                return;
        const char *want = long_term ? "BedrockAPIKey-" : "bedrock.amazonaws.com";
        size_t wl = strlen(want);
        if (got < wl || memcmp(out, want, wl) != 0)
                return;
        det_emit(k, s, e, det_base_conf(k));
}

/* ---- github_token -------------------------------------------------------------------------------
 * GitHub token formats (docs "About authentication to GitHub", github.blog 2021-04-05): ghp_,
 * gho_, ghu_, ghs_, ghr_ + 36 base62 characters whose last 6 are the CRC32 of the first 30;
 * fine-grained PATs "github_pat_" + 22 + "_" + 59; GitHub App installation tokens may carry a
 * JWT: "ghs_" + id + "_" + JWT. A token whose CRC does not check is kept at lower confidence
 * (test fixtures are often hand-made), placeholders are dropped. */

static void check_gh_classic(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->from, e = c->to;
        while (e < c->len && det_is_alnum(det_at(c, e)))
                e++;
        det_consumed(k, e);
        if (e - s != 40 || det_is_wordish(det_before(c, s)) || det_is_wordish(det_at(c, e)))
                return;
        const char *body = c->text + s + 4;
        if (det_placeholder(body, 36) || det_entropy(body, 36) < 3.5)
                return;
        det_emit(k, s, e, det_github_crc(body, 36) ? 99 : det_base_conf(k));
}

static void check_gh_pat(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->from, e = c->to;
        while (e < c->len && (det_is_alnum(det_at(c, e)) || det_at(c, e) == '_'))
                e++;
        det_consumed(k, e);
        if (e - s != 93 || det_is_wordish(det_before(c, s)) || det_is_wordish(det_at(c, e)))
                return;
        if (det_placeholder(c->text + s + 11, 82) || det_entropy(c->text + s + 11, 82) < 4)
                return;
        det_emit(k, s, e, det_base_conf(k));
}

static bool jwt_char(int ch) {
        return det_is_alnum(ch) || ch == '-' || ch == '_' || ch == '.';
}

static void check_gh_app_jwt(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->from, e = c->to;
        while (e < c->len && jwt_char(det_at(c, e)))
                e++;
        det_consumed(k, e);
        if (det_is_wordish(det_before(c, s)))
                return;
        const char *j = memmem(c->text + s, e - s, "eyJ", 3);
        if (!j || !det_jwt_valid(j, (size_t)(c->text + e - j)))
                return;
        det_emit(k, s, e, det_base_conf(k));
}

/* ---- slack_token --------------------------------------------------------------------------------
 * Slack token types (api.slack.com/authentication/token-types): xoxb- bot, xoxp- user, xoxa-
 * workspace, xoxr- refresh, xoxs-/xoxo- legacy, xoxe.xoxp-/xoxe- configuration tokens, xapp-
 * app-level; their bodies are dash-separated numeric team/user ids and a random tail. A token
 * needs a numeric id of 6+ digits (or a long random segment, for configuration tokens) and a
 * tail of 8+ characters with a digit. Incoming webhooks: hooks.slack.com/services/T…/B…/secret,
 * workflows: hooks.slack.com/workflows/T…/A…/id/secret. */

static bool slack_char(int ch) {
        return det_is_alnum(ch) || ch == '-' || ch == '/' || ch == '.';
}

static void check_slack(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->from, e = c->to;
        while (e < c->len && slack_char(det_at(c, e)))
                e++;
        while (e > s && (c->text[e - 1] == '.' || c->text[e - 1] == '-'))
                e--;
        det_consumed(k, e);
        if (det_is_wordish(det_before(c, s)) || det_is_wordish(det_at(c, e)))
                return;
        /* Skip the type prefix(es): "xoxe.xoxp-", "xoxb-", "xapp-". */
        size_t p = s;
        while (p < e && c->text[p] != '-')
                p++;
        size_t nseg = 0, long_id = 0, long_rand = 0;
        size_t last_s = 0, last_e = 0;
        for (size_t i = p + 1; i < e;) {
                size_t a = i;
                bool digits = true;
                while (i < e && c->text[i] != '-') {
                        digits &= det_is_digit((unsigned char)c->text[i]);
                        i++;
                }
                nseg++;
                if (digits && i - a >= 6)
                        long_id++;
                if (i - a >= 40)
                        long_rand++;
                last_s = a;
                last_e = i;
                i++;
        }
        if (nseg < 2 || (!long_id && !long_rand))
                return;
        size_t tl = last_e - last_s;
        bool digit = false;
        for (size_t i = last_s; i < last_e; i++)
                digit |= det_is_digit((unsigned char)c->text[i]);
        if (tl < 8 || !digit || det_placeholder(c->text + last_s, tl))
                return;
        det_emit(k, s, e, det_base_conf(k));
}

static void check_slack_hook(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->from, e = c->to;
        while (e < c->len && (det_is_alnum(det_at(c, e)) || det_at(c, e) == '/'))
                e++;
        det_consumed(k, e);
        /* Back to the scheme when there is one. */
        if (s >= 8 && !memcmp(c->text + s - 8, "https://", 8))
                s -= 8;
        else if (s >= 7 && !memcmp(c->text + s - 7, "http://", 7))
                s -= 7;
        const char *path = memmem(c->text + c->from, e - c->from, ".com/", 5);
        if (!path)
                return;
        path += 5;
        const char *slash = memchr(path, '/', (size_t)(c->text + e - path));
        if (!slash)
                return;
        /* Segments after "services/" or "workflows/". */
        size_t segs = 0, last_len = 0;
        bool team = slash + 1 < c->text + e && slash[1] == 'T';
        const char *q = slash + 1;
        while (q < c->text + e) {
                const char *n = memchr(q, '/', (size_t)(c->text + e - q));
                size_t l = n ? (size_t)(n - q) : (size_t)(c->text + e - q);
                if (l)
                        segs++;
                last_len = l;
                if (l && det_placeholder(q, l))
                        return;
                q = n ? n + 1 : c->text + e;
        }
        if (!team || segs < 3 || last_len < 16)
                return;
        det_emit(k, s, e, det_base_conf(k));
}

/* ---- google_api_key / stripe_key ----------------------------------------------------------------
 * Google API keys: "AIza" + 35 of [0-9A-Za-z_-] (Google Cloud docs, API keys). Stripe secret and
 * restricted keys: sk_live_/sk_test_/rk_live_/rk_test_ + at least 24 alphanumerics (Stripe docs,
 * "API keys"); publishable pk_ keys are public and not reported. */

static const struct tok_spec spec_google = {39, 39, "_-", 3.0};
static const struct tok_spec spec_stripe = {28, 255, "", 3.0};

/* ---- private_key --------------------------------------------------------------------------------
 * RFC 7468 textual encoding ("-----BEGIN … PRIVATE KEY-----", also OpenSSH, PGP "PRIVATE KEY
 * BLOCK") followed by a base64 body; the header alone or with a placeholder body is not a key.
 * Also: a PEM key itself base64-encoded (an environment variable holding "LS0tLS1CRUdJTi…"),
 * WireGuard "PrivateKey = " + 32 bytes base64, and raw secp256k1 keys "0x" + 64 hex (weak). */

static void check_pem(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->from, p = c->to;
        det_consumed(k, p);
        size_t b64 = 0, junk = 0;
        while (p < c->len && b64 < 64 && junk < 8) {
                int ch = det_at(c, p);
                if (det_is_alnum(ch) || ch == '+' || ch == '/' || ch == '=') {
                        b64++;
                } else if (ch == '\\' && (det_at(c, p + 1) == 'n' || det_at(c, p + 1) == 'r')) {
                        p++; /* an escaped newline inside a JSON or shell string */
                        b64 = b64 > 0 ? b64 - 1 : 0; /* the 'n' is counted below */
                        b64++;
                } else if (ch == '\n' || ch == '\r' || ch == ' ' || ch == '\t') {
                        /* line breaks of the body */
                } else if (ch == ':' || ch == '-') {
                        /* RFC 1421 headers ("Proc-Type: 4,ENCRYPTED") */
                        junk++;
                } else {
                        break;
                }
                p++;
        }
        if (b64 < 40)
                return;
        /* A placeholder body ("***", "xxxx…", "...") has few distinct characters. */
        unsigned seen[256] = {0}, distinct = 0;
        for (size_t i = c->to; i < p; i++)
                distinct += !seen[(unsigned char)c->text[i]]++;
        if (distinct < 16)
                return;
        /* The detection spans the key to its END line when there is one. */
        const char *end = memmem(c->text + p, c->len - p, "-----END", 8);
        size_t e = p;
        if (end) {
                const char *close =
                        memmem(end + 8, (size_t)(c->text + c->len - end - 8), "-----", 5);
                if (close && close - end < 64)
                        e = (size_t)(close + 5 - c->text);
        }
        det_emit(k, s, e, det_base_conf(k));
}

static void check_pem_b64(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->from, e = c->to;
        while (e < c->len && b64_char(det_at(c, e)))
                e++;
        det_consumed(k, e);
        if (e - s < 60)
                return;
        unsigned char out[48];
        size_t got = 0;
        if (sodium_base642bin(out, sizeof out, c->text + s, 64, NULL, &got, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0 ||
            got < 40)
                return;
        if (!memmem(out, got, "PRIVATE KEY-----", 16))
                return;
        det_emit(k, s, e, det_base_conf(k));
}

static void check_wireguard(const struct det_cand *c, struct det_sink *k) {
        int q;
        det_consumed(k, c->to);
        size_t v = skip_assignment(c, c->to, &q);
        if (!v)
                return;
        size_t e = v;
        while (e < c->len && b64_char(det_at(c, e)))
                e++;
        if (e - v != 44 || c->text[e - 1] != '=' || det_placeholder(c->text + v, 43))
                return;
        det_emit(k, v, e, det_base_conf(k));
}

static void check_secp256k1(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->from, e = c->from + 2;
        while (e < c->len && det_is_hex(det_at(c, e)))
                e++;
        det_consumed(k, e);
        if (e - s != 66 || det_is_wordish(det_before(c, s)) || det_is_wordish(det_at(c, e)))
                return;
        if (det_placeholder(c->text + s + 2, 64) || det_entropy(c->text + s + 2, 64) < 3.0)
                return;
        det_emit(k, s, e, det_base_conf(k));
}

/* ---- password hashes ----------------------------------------------------------------------------
 * Modular crypt format (crypt(3), passlib): MD5-crypt "$1$" / Apache "$apr1$" + salt of 1-8 +
 * "$" + 22 characters; SHA-crypt "$5$" / "$6$" [+ "rounds=N$"] + salt of 1-16 + "$" + 43 / 86
 * characters (Drepper's specification); bcrypt "$2a$" / "$2b$" / "$2x$" / "$2y$" + cost 04-31 +
 * "$" + 53 characters (22 salt + 31 hash). All in the crypt alphabet ./0-9A-Za-z. */

static bool crypt_ch(int ch) {
        return det_is_alnum(ch) || ch == '.' || ch == '/';
}

/* Length of the run of crypt characters at text[i..). */
static size_t crypt_run(const struct det_cand *c, size_t i) {
        size_t j = i;
        while (j < c->len && crypt_ch((unsigned char)c->text[j]))
                j++;
        return j - i;
}

static void check_crypt(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->from, i = s + 1;
        const char *t = c->text;
        det_consumed(k, c->to);
        if (det_is_alnum(det_before(c, s)) || det_before(c, s) == '$')
                return;
        size_t salt_max, hash_len;
        if (t[i] == '2') {
                i += 3; /* "2a$" */
                if (i + 2 > c->len || !det_is_digit(det_at(c, i)) ||
                    !det_is_digit(det_at(c, i + 1)))
                        return;
                int cost = (t[i] - '0') * 10 + (t[i + 1] - '0');
                if (cost < 4 || cost > 31 || det_at(c, i + 2) != '$')
                        return;
                i += 3;
                if (crypt_run(c, i) != 53 || det_placeholder(t + i, 53))
                        return;
                det_emit(k, s, i + 53, det_base_conf(k));
                return;
        }
        if (t[i] == '1' || t[i] == 'a') {
                i += t[i] == '1' ? 2 : 5;
                salt_max = 8;
                hash_len = 22;
        } else {
                hash_len = t[i] == '5' ? 43 : 86;
                salt_max = 16;
                i += 2;
                if (i + 7 <= c->len && !memcmp(t + i, "rounds=", 7)) {
                        size_t j = i + 7;
                        while (j < c->len && det_is_digit(det_at(c, j)))
                                j++;
                        if (j == i + 7 || j - (i + 7) > 9 || det_at(c, j) != '$')
                                return;
                        i = j + 1;
                }
        }
        size_t salt = crypt_run(c, i);
        if (salt < 1 || salt > salt_max || det_at(c, i + salt) != '$')
                return;
        i += salt + 1;
        if (crypt_run(c, i) != hash_len || det_placeholder(t + i, hash_len))
                return;
        det_emit(k, s, i + hash_len, det_base_conf(k));
}

/* True when one of `words` occurs in the 64 bytes before text[s]. The default policy blocks
 * secrets at any confidence, so shapes that need a context word check it here and emit nothing
 * without one (instead of a confidence below 50). */
static bool word_before(const struct det_cand *c, size_t s, const char *const *words) {
        return det_words_near(c->text, c->len, s, s, DET_CONTEXT_WINDOW, 0, words);
}

static const char *const ctx_vault[] = {"vault", "token", NULL};
static const char *const ctx_k8s[] = {"bootstrap", "kubeadm", "token", NULL};
static const char *const ctx_ado[] = {"pat", "token", "azure", "devops", NULL};

/* ---- provider shapes read around an anchor ------------------------------------------------------
 * Azure DevOps personal access tokens: 52 characters of lower-case RFC 4648 base32 (a-z, 2-7),
 * quoted, after a token name (context word). Blynk device tokens: 32 of [A-Za-z0-9_-] in the
 * "token=" parameter of a blynk.cloud/external/api URL. TrueNAS API keys: "<id>-" + 64
 * alphanumerics as the parameter of the auth.login_with_api_key JSON-RPC method. */

static void check_ado_pat(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->from, e = c->to;
        det_consumed(k, e);
        int q = det_before(c, s);
        if (e - s != 52 || (q != '"' && q != '\'') || det_at(c, e) != q)
                return;
        bool digit = false;
        for (size_t i = s; i < e; i++)
                digit |= det_is_digit(det_at(c, i));
        if (!digit || det_placeholder(c->text + s, 52) || det_entropy(c->text + s, 52) < 3.5 ||
            !word_before(c, s, ctx_ado))
                return;
        det_emit(k, s, e, det_base_conf(k));
}

static bool blynk_ch(int ch) {
        return det_is_alnum(ch) || ch == '_' || ch == '-';
}

static void check_blynk(const struct det_cand *c, struct det_sink *k) {
        det_consumed(k, c->to);
        for (size_t i = c->to; i + 6 < c->len && i < c->to + 200; i++) {
                int ch = det_at(c, i);
                if (ch == ' ' || ch == '"' || ch == '\'' || ch == '\n')
                        return;
                if (memcmp(c->text + i, "token=", 6))
                        continue;
                size_t v = i + 6, e = v;
                while (e < c->len && blynk_ch(det_at(c, e)))
                        e++;
                if (e - v == 32 && !det_placeholder(c->text + v, 32) &&
                    det_entropy(c->text + v, 32) >= 3.5)
                        det_emit(k, v, e, det_base_conf(k));
                return;
        }
}

static void check_truenas(const struct det_cand *c, struct det_sink *k) {
        det_consumed(k, c->to);
        size_t i = c->to, lim = c->to + 80 < c->len ? c->to + 80 : c->len;
        while (i + 8 <= lim && memcmp(c->text + i, "\"params\"", 8))
                i++;
        if (i + 8 > lim)
                return;
        i += 8;
        while (i < c->len && (det_at(c, i) == ' ' || det_at(c, i) == '\n' || det_at(c, i) == '\t'))
                i++;
        if (det_at(c, i++) != ':')
                return;
        while (i < c->len && (det_at(c, i) == ' ' || det_at(c, i) == '\n' || det_at(c, i) == '\t'))
                i++;
        if (det_at(c, i++) != '[')
                return;
        while (i < c->len && (det_at(c, i) == ' ' || det_at(c, i) == '\n' || det_at(c, i) == '\t'))
                i++;
        if (det_at(c, i++) != '"')
                return;
        size_t v = i;
        while (i < c->len && det_is_digit(det_at(c, i)))
                i++;
        if (i == v || det_at(c, i++) != '-')
                return;
        size_t b = i;
        while (i < c->len && det_is_alnum(det_at(c, i)))
                i++;
        if (i - b != 64 || det_at(c, i) != '"' || det_entropy(c->text + b, 64) < 4.0)
                return;
        det_emit(k, v, i, det_base_conf(k));
}

/* HashiCorp Vault tokens before 1.10: "s." (service), "b." (batch), "r." (recovery) + 24-26
 * base62 characters with upper, lower case and digits; reported after a Vault/token name. */
static void check_vault_legacy(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->from, e = s + 2;
        det_consumed(k, c->to);
        while (e < c->len && det_is_alnum(det_at(c, e)))
                e++;
        int nx = det_at(c, e);
        if (e - s - 2 < 24 || e - s - 2 > 26 || det_is_wordish(det_before(c, s)) ||
            det_before(c, s) == '.' || nx == '(' || nx == '.' || nx == '_' || nx == '-')
                return;
        bool up = false, low = false, dig = false;
        for (size_t i = s + 2; i < e; i++) {
                int ch = det_at(c, i);
                up |= det_is_upper(ch);
                low |= det_is_lower(ch);
                dig |= det_is_digit(ch);
        }
        if (!(up && low && dig) || det_placeholder(c->text + s + 2, e - s - 2) ||
            !word_before(c, s, ctx_vault))
                return;
        det_emit(k, s, e, det_base_conf(k));
}

/* Kubernetes bootstrap token (kubeadm): token id [a-z0-9]{6} "." secret [a-z0-9]{16}. */
static void check_k8s_bootstrap(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->from, e = c->to;
        det_consumed(k, e);
        if (det_is_wordish(det_before(c, s)) || det_before(c, s) == '.' ||
            det_is_wordish(det_at(c, e)) || det_at(c, e) == '.')
                return;
        bool dig = false;
        for (size_t i = s + 7; i < e; i++)
                dig |= det_is_digit(det_at(c, i));
        if (!dig || det_placeholder(c->text + s + 7, 16) ||
            det_entropy(c->text + s + 7, 16) < 3.0 || !word_before(c, s, ctx_k8s))
                return;
        det_emit(k, s, e, det_base_conf(k));
}

/* Password in a database connection string (ODBC / OLE DB / ADO.NET "keyword=value;" syntax):
 * a Password/Pwd keyword after a ';' whose string also names the login or the server (User ID,
 * Uid, User, Server, Data Source) earlier on the same line. The value runs to ';' or a quote;
 * variable references (${…}, #{…}, %s, <…>) are not passwords. */
static void check_connstr(const struct det_cand *c, struct det_sink *k) {
        static const char *const keys[] = {"user id", "userid", "uid",
                                           "user",    "server", "data source"};
        size_t s = c->from, v = c->to;
        det_consumed(k, v);
        /* the keyword starts a pair: ';' (and blanks) before it */
        size_t b = s;
        while (b > 0 && (det_before(c, b) == ' ' || det_before(c, b) == '\t'))
                b--;
        if (det_before(c, b) != ';')
                return;
        size_t ls = b > 200 ? b - 200 : 0;
        for (size_t i = b; i > ls; i--)
                if (c->text[i - 1] == '\n') {
                        ls = i;
                        break;
                }
        bool named = false;
        for (size_t i = ls; i < b && !named; i++) {
                if (i > ls && det_is_alnum(det_before(c, i)))
                        continue;
                for (size_t w = 0; w < sizeof keys / sizeof keys[0] && !named; w++) {
                        size_t l = strlen(keys[w]), j = i + l;
                        if (j > b || strncasecmp(c->text + i, keys[w], l))
                                continue;
                        while (j < b && det_at(c, j) == ' ')
                                j++;
                        named = det_at(c, j) == '=';
                }
        }
        if (!named)
                return;
        while (det_at(c, v) == ' ')
                v++;
        size_t e = v;
        while (e < c->len && !strchr(";\"'\r\n", det_at(c, e)))
                e++;
        while (e > v && det_at(c, e - 1) == ' ')
                e--;
        if (e - v < 4 || e - v > 128 || strchr("$#%<{", det_at(c, v)))
                return;
        det_emit(k, v, e, det_base_conf(k));
}

/* ---- jwt ---------------------------------------------------------------------------------------
 * RFC 7519/7515 compact serialisation: base64url JOSE header that decodes to a JSON object with
 * "alg", a claims part that decodes to a JSON object, and a signature (may be empty). */

static void check_jwt(const struct det_cand *c, struct det_sink *k) {
        size_t s = c->from, e = c->to;
        while (e < c->len && jwt_char(det_at(c, e)))
                e++;
        while (e > s && c->text[e - 1] == '.' && e - s > 2 && c->text[e - 2] == '.')
                e--;
        det_consumed(k, e);
        if (det_is_alnum(det_before(c, s)) || det_at(c, e) == '=')
                return;
        if (!det_jwt_valid(c->text + s, e - s))
                return;
        det_emit(k, s, e, det_base_conf(k));
}

/* ---- generic_api_key ----------------------------------------------------------------------------
 * An assignment of a random-looking value to a name that says it is a credential ("api_key =",
 * "token": "…", password: …). The value must be 8-200 bytes, not a placeholder, variable
 * reference or plain word, and have enough entropy (3.0 bits/byte at 16+ bytes, 2.5 below). */

static bool value_char(int ch) {
        return det_is_alnum(ch) || (ch && strchr("_-+/=.~!@#$%^&*?:", ch)) || ch >= 0x80;
}

/* True when the identifier suffix after the credential word still names the credential itself
 * ("api_key", "tokens", "secret_value"), not something about it ("credentialsId",
 * "secret_length", "TokenFile"). */
static bool credential_suffix(const char *s, size_t n) {
        static const char *const ok[] = {"",       "s",     "_key",    "key",    "_value", "value",
                                         "_token", "token", "_secret", "secret", "_str",   "_b64"};
        for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
                if (strlen(ok[i]) == n && !strncasecmp(s, ok[i], n))
                        return true;
        return false;
}

static void check_assignment(const struct det_cand *c, struct det_sink *k) {
        det_consumed(k, c->to);
        /* The key name: the identifier around the credential word. */
        size_t ks = c->to;
        while (ks > 0 && (det_is_alnum(det_before(c, ks)) || det_before(c, ks) == '_'))
                ks--;
        size_t ke = c->to;
        while (ke < c->len && (det_is_alnum(det_at(c, ke)) || det_at(c, ke) == '_'))
                ke++;
        if (!credential_suffix(c->text + c->to, ke - c->to))
                return;
        for (size_t i = ks; i + 6 <= c->to; i++)
                if (!strncasecmp(c->text + i, "public", 6) ||
                    !strncasecmp(c->text + i, "publish", 7))
                        return;
        if (det_before(c, ks) == '.' || det_before(c, ks) == '-' || det_before(c, ks) == '/')
                return; /* part of a file name or path */
        int q;
        size_t v = skip_assignment(c, ke, &q);
        if (!v)
                return;
        size_t e = v;
        if (q) {
                while (e < c->len && det_at(c, e) != q && det_at(c, e) != '\n' &&
                       det_at(c, e) != ' ' && det_at(c, e) != '\\')
                        e++;
                if (det_at(c, e) != q && !(det_at(c, e) == '\\' && det_at(c, e + 1) == q))
                        return;
        } else {
                while (e < c->len && value_char(det_at(c, e)))
                        e++;
                while (e > v && strchr(".,;:", c->text[e - 1]))
                        e--;
        }
        size_t n = e - v;
        /* A password is a secret whatever its entropy: a quoted literal of 6+ bytes counts. */
        bool pw = false;
        for (size_t i = ks; i + 3 <= ke && !pw; i++)
                pw = !strncasecmp(c->text + i, "pass", 4) || !strncasecmp(c->text + i, "pwd", 3);
        if (n < (pw && q ? 6 : 10) || n > 200)
                return;
        const char *val = c->text + v;
        int f = (unsigned char)val[0];
        if (f == '$' || f == '{' || f == '%' || f == '<' || f == '[' || f == '(' || f == '@' ||
            f == '&')
                return;
        if (memchr(val, '(', n) || memchr(val, '{', n) || memmem(val, n, "${", 2) ||
            (!pw && memchr(val, '$', n)))
                return;
        if (det_placeholder(val, n))
                return;
        if (pw && q) {
                static const char *const dull[] = {"password", "passwd",    "secret",   "changeit",
                                                   "default",  "required",  "optional", "none",
                                                   "null",     "undefined", "string",   "empty"};
                for (size_t i = 0; i < sizeof dull / sizeof dull[0]; i++)
                        if (strlen(dull[i]) == n && !strncasecmp(val, dull[i], n))
                                return;
                if (det_entropy(val, n) >= 2.0) {
                        det_emit(k, v, e, det_base_conf(k));
                        return;
                }
        }
        bool digit = false, upper = false, lower = false, other = false;
        for (size_t i = 0; i < n; i++) {
                int ch = (unsigned char)val[i];
                digit |= det_is_digit(ch);
                upper |= det_is_upper(ch);
                lower |= det_is_lower(ch);
                other |= !det_is_alnum(ch);
        }
        /* Random values mix classes; letters alone must be long and mixed-case. */
        if (!digit && !(upper && lower && n >= 20))
                return;
        if (digit + upper + lower + other < 2)
                return;
        if (det_entropy(val, n) < (n >= 16 ? 3.0 : 2.8))
                return;
        det_emit(k, v, e, det_base_conf(k));
}

/* A credential assignment whose key names a provider ("softlayer_api_key = …"): the value must
 * have the provider's documented shape (length and alphabet of `struct tok_spec`). */
/* Value shapes checked by hex_groups() (defined with the other specs below). */
static const struct tok_spec kv_sidekiq, kv_uuid;

/* True when s[0..n) is hex digits in groups separated by '-' or ':' at the places of a UUID
 * (8-4-4-4-12) or of "8:8". */
static bool hex_groups(const char *s, size_t n) {
        static const size_t uuid[] = {8, 13, 18, 23};
        for (size_t i = 0; i < n; i++) {
                bool sep = false;
                if (n == 36)
                        for (size_t j = 0; j < 4; j++)
                                sep |= i == uuid[j];
                else
                        sep = i == 8;
                if (sep ? !(s[i] == '-' || s[i] == ':') : !det_is_hex((unsigned char)s[i]))
                        return false;
        }
        /* an all-zero or one-digit value is a placeholder */
        bool seen[16] = {false};
        int distinct = 0;
        for (size_t i = 0; i < n; i++) {
                int ch = tolower((unsigned char)s[i]);
                int d = ch >= 'a' ? ch - 'a' + 10 : ch - '0';
                if (det_is_hex(ch) && !seen[d]) {
                        seen[d] = true;
                        distinct++;
                }
        }
        return distinct >= 6;
}

static void check_kv(const struct det_cand *c, struct det_sink *k) {
        const struct tok_spec *t = det_rule_arg(k);
        det_consumed(k, c->to);
        if (det_is_alnum(det_before(c, c->from)))
                return;
        int q;
        size_t v = skip_assignment(c, c->to, &q);
        if (!v) {
                /* command-line form: "--softlayer-api-key VALUE" */
                v = c->to;
                if (det_at(c, v) != ' ')
                        return;
                while (det_at(c, v) == ' ')
                        v++;
        }
        size_t e = v;
        while (e < c->len && in_set(det_at(c, e), t->extra))
                e++;
        size_t n = e - v;
        if (n < t->min || n > t->max || det_is_alnum(det_at(c, e)))
                return;
        if ((t == &kv_uuid || t == &kv_sidekiq) && !hex_groups(c->text + v, n))
                return;
        if (t != &kv_uuid && t != &kv_sidekiq && det_placeholder(c->text + v, n))
                return;
        if ((t->min_entropy > 0 && det_entropy(c->text + v, n) < t->min_entropy))
                return;
        det_emit(k, v, e, det_base_conf(k));
}

/* HTTP credentials (RFC 7617 Basic, RFC 6750 Bearer, "Token"/"Api-Token" schemes) in a header,
 * and curl's -u/--user user:password. Basic must decode to "user:password". */
static void check_http_auth(const struct det_cand *c, struct det_sink *k) {
        det_consumed(k, c->to);
        size_t v = c->to;
        while (det_at(c, v) == ' ' || det_at(c, v) == '\'' || det_at(c, v) == '"')
                v++;
        size_t e = v;
        while (e < c->len && (det_is_alnum(det_at(c, e)) || strchr("+/=._~-:!@#%^*", det_at(c, e))))
                e++;
        size_t n = e - v;
        if (n < 6 || n > 1024 || det_placeholder(c->text + v, n))
                return;
        const char *m = c->text + c->from;
        size_t ml = c->to - c->from;
        bool basic = memmem(m, ml, "asic", 4) != NULL;
        bool user = memmem(m, ml, "-u", 2) != NULL || memmem(m, ml, "user", 4) != NULL;
        if (user) {
                /* only on a curl command line */
                size_t ls = c->from;
                while (ls > 0 && c->text[ls - 1] != '\n')
                        ls--;
                if (!memmem(c->text + ls, c->from - ls, "curl", 4))
                        return;
                if (det_at(c, v) == '{' || det_at(c, v) == '$')
                        return;
        }
        if (basic) {
                unsigned char out[512];
                size_t got = 0;
                if (sodium_base642bin(out, sizeof out, c->text + v, n, NULL, &got, NULL,
                                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
                    !memchr(out, ':', got) || got < 4 || out[got - 1] == ':')
                        return;
        } else if (user) {
                const char *colon = memchr(c->text + v, ':', n);
                if (!colon || (size_t)(c->text + e - colon) < 5)
                        return;
                /* "username:password", "user:token": the documentation's own placeholders */
                size_t pl = (size_t)(c->text + e - colon - 1);
                if ((pl == 8 && !strncasecmp(colon + 1, "password", 8)) ||
                    (pl == 5 && !strncasecmp(colon + 1, "token", 5)))
                        return;
        } else if (det_entropy(c->text + v, n) < 3.0 || n < 10) {
                return;
        }
        det_emit(k, v, e, det_base_conf(k));
}

/* ---- other_secret -------------------------------------------------------------------------------
 * Documented token formats of other providers, each named. */

static const struct tok_spec spec_npm = {40, 40, "", 3.0};            /* npm: npm_ + 36 */
static const struct tok_spec spec_pypi = {60, 400, "-_", 3.0};        /* PyPI macaroon */
static const struct tok_spec spec_gitlab = {24, 120, "-_.", 3.0};     /* GitLab gl*- */
static const struct tok_spec spec_glrunner = {29, 60, "-_", 3.0};     /* GitLab GR1348941 */
static const struct tok_spec spec_sendgrid = {69, 69, "-_.", 3.5};    /* SendGrid SG. */
static const struct tok_spec spec_openai = {51, 51, "", 3.5};         /* OpenAI legacy */
static const struct tok_spec spec_openai_proj = {40, 400, "-_", 3.5}; /* OpenAI sk-proj- */
static const struct tok_spec spec_anthropic = {40, 200, "-_", 3.5};   /* Anthropic sk-ant- */
static const struct tok_spec spec_hf = {37, 37, "", 3.5};             /* Hugging Face hf_ */
static const struct tok_spec spec_hf_org = {42, 42, "_", 3.5};        /* api_org_ */
static const struct tok_spec spec_shopify = {38, 38, "_", 3.0};       /* shpat_ etc. */
static const struct tok_spec spec_do = {71, 71, "_", 3.0};            /* DigitalOcean */
static const struct tok_spec spec_databricks = {36, 38, "-", 3.0};    /* dapi */
static const struct tok_spec spec_doppler = {49, 49, ".", 3.5};       /* dp.pt. */
static const struct tok_spec spec_linear = {48, 48, "_", 3.5};        /* lin_api_ */
static const struct tok_spec spec_postman = {64, 64, "-", 3.0};       /* PMAK- */
static const struct tok_spec spec_pulumi = {44, 44, "-", 3.0};        /* pul- */
static const struct tok_spec spec_grafana_cloud = {36, 200, "+/=_", 3.5};
static const struct tok_spec spec_grafana_sa = {46, 46, "_", 3.5};
static const struct tok_spec spec_heroku2 = {60, 80, "-_", 3.5};      /* HRKU- */
static const struct tok_spec spec_atlassian = {150, 260, "-_=", 4.0}; /* ATATT3 */
static const struct tok_spec spec_tailscale = {30, 120, "-", 3.5};    /* tskey- */
static const struct tok_spec spec_age = {74, 74, "-", 3.5};           /* AGE-SECRET-KEY-1 */
static const struct tok_spec spec_vault = {28, 400, "._-", 3.5};      /* hvs. / hvb. */
static const struct tok_spec spec_telegram = {43, 48, ":-_", 3.5};    /* bot id:AA… */
static const struct tok_spec spec_whsec = {38, 120, "+/=", 3.5};      /* Stripe webhook */
static const struct tok_spec spec_newrelic = {32, 32, "-", 3.0};      /* NRAK- */
static const struct tok_spec spec_sentry_u = {71, 71, "_", 3.0};      /* sntryu_ */
static const struct tok_spec spec_sentry_s = {60, 400, "_+/=", 3.5};  /* sntrys_eyJ */
static const struct tok_spec spec_docker = {36, 36, "_-", 3.5};       /* dckr_pat_ */
static const struct tok_spec spec_pscale = {40, 80, "_=.-", 3.5};     /* pscale_ */
static const struct tok_spec spec_rubygems = {57, 57, "_", 3.0};      /* rubygems_ */
static const struct tok_spec spec_shippo = {52, 52, "_", 3.0};        /* shippo_ */
static const struct tok_spec spec_supabase = {44, 44, "_", 3.0};      /* sbp_ */
static const struct tok_spec spec_alibaba = {24, 24, "", 3.5};        /* LTAI */
static const struct tok_spec spec_gocspx = {35, 35, "-_", 3.5};       /* GOCSPX- */
static const struct tok_spec spec_ya29 = {40, 2048, "-_.", 3.5};      /* ya29. */
static const struct tok_spec spec_artifactory = {73, 73, "", 3.5};    /* AKCp */
static const struct tok_spec spec_contentful = {49, 49, "-_", 3.5};   /* CFPAT- */
static const struct tok_spec spec_prefect = {40, 40, "_", 3.5};       /* pnu_ */
static const struct tok_spec spec_replicate = {40, 40, "_", 3.5};     /* r8_ */
static const struct tok_spec spec_groq = {56, 56, "_", 3.5};          /* gsk_ */
static const struct tok_spec spec_pplx = {53, 53, "-", 3.5};          /* pplx- */
static const struct tok_spec spec_notion = {50, 50, "_", 3.5};        /* ntn_ / secret_ */
static const struct tok_spec spec_1p_sa = {60, 2048, "_+/=-", 3.5};   /* ops_eyJ */
static const struct tok_spec spec_1p_sk = {34, 40, "-", 3.0};         /* A3- */
static const struct tok_spec spec_buildkite = {45, 45, "_", 3.0};     /* bkua_ */
static const struct tok_spec spec_sourcegraph = {44, 70, "_", 3.0};   /* sgp_ */
static const struct tok_spec spec_openshift = {50, 51, "~-_", 3.5};   /* sha256~ */
static const struct tok_spec spec_cf_origin = {150, 200, ".-", 3.5};  /* v1.0- */
static const struct tok_spec spec_facebook = {90, 400, "", 4.0};      /* EAA… */
static const struct tok_spec spec_fb_app = {43, 45, "|_-", 3.5};      /* appid|secret */
static const struct tok_spec spec_newrelic2 = {25, 48, "-_", 3.0};    /* NRAA-/NRII-/… */
static const struct tok_spec spec_doppler2 = {45, 80, "._-", 3.5};    /* dp.ct./dp.st.… */
static const struct tok_spec spec_dropbox = {100, 1400, "_-", 4.0};   /* sl. */
static const struct tok_spec spec_odt = {36, 36, "_", 3.5};           /* odt_ */
static const struct tok_spec spec_aio = {32, 32, "_", 3.5};           /* aio_ */
static const struct tok_spec spec_teams = {90, 400, "-@/.", 3.5};     /* Teams webhook */
static const struct tok_spec spec_azure_sas = {56, 140, "+/=", 4.0};  /* SharedAccessKey= */
static const struct tok_spec spec_krb5 = {60, 4096, "$@.:_-", 3.5};   /* $krb5asrep$ */
/* key = value shapes */
static const struct tok_spec kv_softlayer = {64, 64, "", 2.5};
static const struct tok_spec kv_ibm_iam = {44, 44, "_-", 3.0};
static const struct tok_spec kv_ibm_cos = {48, 48, "", 3.0};
static const struct tok_spec kv_cloudant = {24, 64, "", 2.5};
static const struct tok_spec kv_cloudflare = {37, 40, "_-", 3.5};
static const struct tok_spec kv_atlassian = {24, 24, "", 3.5};
static const struct tok_spec kv_fb = {32, 32, "", 3.0};
static const struct tok_spec kv_npm = {16, 80, "-", 3.0};
static const struct tok_spec kv_netrc = {4, 128, "!@#$%^&*._-+=~", 1.5};
static const struct tok_spec kv_sidekiq = {17, 17, ":", 0};       /* 8 hex : 8 hex */
static const struct tok_spec kv_uuid = {36, 36, "-", 0};          /* RFC 4122 text form */
static const struct tok_spec spec_twitch = {40, 50, "_", 3.0};    /* live_<id>_<30> */
static const struct tok_spec spec_square = {29, 60, "-_", 3.5};   /* sq0atp-/sq0csp- */
static const struct tok_spec spec_square2 = {64, 64, "-_", 3.5};  /* EAAA */
static const struct tok_spec spec_brevo = {89, 89, "-", 3.5};     /* xkeysib- */
static const struct tok_spec spec_mailgun = {36, 36, "-", 3.0};   /* key- + 32 hex */
static const struct tok_spec spec_mailchimp = {35, 36, "-", 3.0}; /* hex32-usN */
static const struct tok_spec spec_azure_storage = {99, 99, "+/=", 4.0};
static const struct tok_spec spec_azure_ad = {40, 40, "~._-", 3.5}; /* xxx8Q~… */
static const struct tok_spec spec_discord = {59, 75, "-_.", 4.0};   /* Discord bot */
static const struct tok_spec spec_tfc = {80, 120, ".-_", 4.0};      /* HCP Terraform */
static const struct tok_spec spec_clickhouse = {40, 40, "", 3.5};   /* 4b1d */
static const struct tok_spec spec_octopus = {36, 36, "-", 3.0};     /* API- */
static const struct tok_spec spec_sonar = {44, 44, "_", 3.0};       /* squ_/sqp_/sqa_ */
static const struct tok_spec spec_hubspot = {44, 60, "-", 3.0};     /* pat-na1- */
static const struct tok_spec spec_twilio = {34, 34, "", 3.0};       /* SK + 32 hex */
static const struct tok_spec spec_vercel = {24, 80, "", 3.5};       /* vc?_ */
static const struct tok_spec spec_intra42 = {73, 73, "-", 3.5};     /* s-s4t2ud- */

/* Basic-auth credentials in a URL (RFC 3986 userinfo "user:password@host"): the password must
 * not be a placeholder. */
static void check_url_userinfo(const struct det_cand *c, struct det_sink *k) {
        size_t p = c->to; /* just after "://" */
        det_consumed(k, p);
        size_t colon = 0, at = 0;
        for (size_t i = p; i < c->len && i < p + 256; i++) {
                int ch = det_at(c, i);
                if (ch == ':' && !colon)
                        colon = i;
                else if (ch == '@') {
                        at = i;
                        break;
                } else if (ch == '/' || ch == ' ' || ch == '\n' || ch == '"' || ch == '\'') {
                        break;
                }
        }
        if (!colon || !at || at - colon < 4 || colon == p)
                return;
        if (memchr(c->text + p, '$', at - p) || memchr(c->text + p, '{', at - p))
                return; /* a template: "${user}:${pass}@" */
        const char *pw = c->text + colon + 1;
        size_t n = at - colon - 1;
        if (det_placeholder(pw, n) || pw[0] == '$' || pw[0] == '{' || pw[0] == '<' ||
            det_entropy(pw, n) < 1.5)
                return;
        det_emit(k, colon + 1, at, det_base_conf(k));
}

/* ---- the rules ----------------------------------------------------------------------------------
 */

static const char *const ctx_secret[] = {"key", "token", "secret", "password", "auth", NULL};

#define TOKEN(det, re, spec, conf, what)                                                           \
        { det, re, DET_SOM, check_token, DET_MASK_ENDS, ctx_secret, conf, what, &(spec) }

const struct det_rule det_rules_secrets[] = {
        {"aws_key",
         "(A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}",
         DET_SOM, check_aws_id, DET_MASK_ENDS, NULL, 90, "AWS IAM unique identifier prefixes",
         NULL},
        {"aws_key", "aws[_.-]?(secret[_.-]?)?(access[_.-]?)?key", DET_SOM | DET_CASELESS,
         check_aws_secret, DET_MASK_ENDS, NULL, 85, "AWS secret access key in an assignment", NULL},
        {"aws_key", "(bedrock-api-key-|ABSK)[A-Za-z0-9+/]{16}", DET_SOM, check_bedrock,
         DET_MASK_ENDS, NULL, 90, "Amazon Bedrock API keys", NULL},
        {"github_token", "gh[pousr]_[A-Za-z0-9]{36}", DET_SOM, check_gh_classic, DET_MASK_ENDS,
         NULL, 80, "GitHub token format (prefix + base62 + CRC32)", NULL},
        {"github_token", "github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}", DET_SOM, check_gh_pat,
         DET_MASK_ENDS, NULL, 95, "GitHub fine-grained PAT", NULL},
        {"github_token", "ghs_[0-9]+_eyJ", DET_SOM, check_gh_app_jwt, DET_MASK_ENDS, NULL, 85,
         "GitHub App installation token with JWT", NULL},
        {"slack_token", "xox[abposre](\\.xox[abp])?-[0-9A-Za-z]", DET_SOM, check_slack,
         DET_MASK_ENDS, NULL, 90, "Slack token types", NULL},
        {"slack_token", "xapp-[0-9]+-", DET_SOM, check_slack, DET_MASK_ENDS, NULL, 90,
         "Slack app-level token", NULL},
        {"slack_token", "hooks\\.slack\\.com/(services|workflows)/", DET_SOM, check_slack_hook,
         DET_MASK_ENDS, NULL, 90, "Slack incoming webhook / workflow URL", NULL},
        TOKEN("google_api_key", "AIza[0-9A-Za-z_-]{35}", spec_google, 90, "Google API key"),
        TOKEN("stripe_key", "[sr]k_(live|test)_[0-9A-Za-z]{20}", spec_stripe, 90,
              "Stripe secret/restricted key"),
        {"private_key", "-----BEGIN[A-Z0-9 ]{0,30}PRIVATE KEY( BLOCK)?-----", DET_SOM, check_pem,
         DET_MASK_HEADER, NULL, 95, "RFC 7468 / OpenSSH / OpenPGP private key", NULL},
        {"private_key", "LS0tLS1CRUdJTi", DET_SOM, check_pem_b64, DET_MASK_ENDS, NULL, 85,
         "base64-encoded PEM private key", NULL},
        {"private_key", "PrivateKey", 0, check_wireguard, DET_MASK_ENDS, NULL, 85,
         "WireGuard PrivateKey (32 bytes, base64)", NULL},
        {"private_key", "0x[0-9a-fA-F]{64}", DET_SOM, check_secp256k1, DET_MASK_ENDS, NULL, 50,
         "raw secp256k1 private key (hex)", NULL},
        {"jwt", "eyJ[A-Za-z0-9_-]{8,}={0,2}\\.[A-Za-z0-9_-]", DET_SOM, check_jwt, DET_MASK_ENDS,
         NULL, 90, "RFC 7519 JWT", NULL},
        {"generic_api_key",
         "(api[_.-]?key|apikey|api[_.-]?token|access[_.-]?token|auth[_.-]?token|secret[_.-]?key|"
         "client[_.-]?secret|secret|token|passw(or)?d|passwd|pwd|credentials?|private[_.-]?key)",
         DET_CASELESS, check_assignment, DET_MASK_ENDS, NULL, 60,
         "credential-named assignment with an entropy threshold", NULL},
        TOKEN("other_secret", "npm_[A-Za-z0-9]{36}", spec_npm, 90, "npm access token"),
        TOKEN("other_secret", "pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{20}", spec_pypi, 95,
              "PyPI API token"),
        TOKEN("other_secret",
              "gl(pat|dt|rt|ptt|soat|cbt|imt|oas|ft|wt|agent|ffct)-[A-Za-z0-9_-]{20}", spec_gitlab,
              90, "GitLab token prefixes"),
        TOKEN("other_secret", "GR1348941[A-Za-z0-9_-]{20}", spec_glrunner, 90,
              "GitLab runner registration token"),
        TOKEN("other_secret", "SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}", spec_sendgrid, 95,
              "SendGrid API key"),
        TOKEN("other_secret", "sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}", spec_openai, 95,
              "OpenAI API key (legacy)"),
        TOKEN("other_secret", "sk-(proj|svcacct|admin|None)-[A-Za-z0-9_-]{20}", spec_openai_proj,
              90, "OpenAI project/service-account key"),
        TOKEN("other_secret", "sk-ant-(api|admin|oat|sid)[0-9]{2}-[A-Za-z0-9_-]{20}",
              spec_anthropic, 95, "Anthropic API key"),
        TOKEN("other_secret", "hf_[A-Za-z]{34}", spec_hf, 85, "Hugging Face access token"),
        TOKEN("other_secret", "api_org_[A-Za-z]{34}", spec_hf_org, 85,
              "Hugging Face organisation token"),
        TOKEN("other_secret", "shp(at|ca|pa|ss)_[a-fA-F0-9]{32}", spec_shopify, 90,
              "Shopify access token"),
        TOKEN("other_secret", "do[opr]_v1_[a-f0-9]{64}", spec_do, 95, "DigitalOcean token"),
        TOKEN("other_secret", "dapi[a-f0-9]{32}", spec_databricks, 85, "Databricks token"),
        TOKEN("other_secret", "dp\\.pt\\.[A-Za-z0-9]{43}", spec_doppler, 90, "Doppler token"),
        TOKEN("other_secret", "lin_api_[A-Za-z0-9]{40}", spec_linear, 90, "Linear API key"),
        TOKEN("other_secret", "PMAK-[a-f0-9]{24}-[a-f0-9]{34}", spec_postman, 90,
              "Postman API key"),
        TOKEN("other_secret", "pul-[a-f0-9]{40}", spec_pulumi, 85, "Pulumi access token"),
        TOKEN("other_secret", "glc_[A-Za-z0-9+/]{32}", spec_grafana_cloud, 85,
              "Grafana Cloud token"),
        TOKEN("other_secret", "glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}", spec_grafana_sa, 90,
              "Grafana service-account token"),
        TOKEN("other_secret", "HRKU-[A-Za-z0-9_-]{55}", spec_heroku2, 90, "Heroku API key v2"),
        TOKEN("other_secret", "ATATT3[A-Za-z0-9_=-]{140}", spec_atlassian, 90,
              "Atlassian API token"),
        TOKEN("other_secret", "tskey-(api|auth|client|scim|webhook)-[A-Za-z0-9]{6}", spec_tailscale,
              85, "Tailscale key"),
        {"other_secret", "\\$(1|apr1|2[abxy]|5|6)\\$", DET_SOM, check_crypt, DET_MASK_ENDS, NULL,
         80, "crypt(3) password hash (MD5, SHA-256/512, bcrypt)", NULL},
        TOKEN("other_secret", "AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}", spec_age,
              95, "age secret key"),
        TOKEN("other_secret", "hv[sb]\\.[A-Za-z0-9_-]{24}", spec_vault, 90,
              "HashiCorp Vault service/batch token"),
        TOKEN("other_secret", "[0-9]{8,10}:AA[0-9A-Za-z_-]{30}", spec_telegram, 85,
              "Telegram bot token"),
        TOKEN("other_secret", "whsec_[A-Za-z0-9+/=]{32}", spec_whsec, 90,
              "Stripe webhook signing secret"),
        TOKEN("other_secret", "NRAK-[A-Z0-9]{27}", spec_newrelic, 90, "New Relic user API key"),
        TOKEN("other_secret", "sntryu_[a-f0-9]{64}", spec_sentry_u, 90, "Sentry user token"),
        TOKEN("other_secret", "sntrys_eyJ[A-Za-z0-9+/=_-]{40}", spec_sentry_s, 90,
              "Sentry org token"),
        TOKEN("other_secret", "dckr_pat_[A-Za-z0-9_-]{27}", spec_docker, 90,
              "Docker Hub access token"),
        TOKEN("other_secret", "pscale_(tkn|pw|oauth)_[A-Za-z0-9_=.-]{32}", spec_pscale, 90,
              "PlanetScale token"),
        TOKEN("other_secret", "rubygems_[a-f0-9]{48}", spec_rubygems, 90, "RubyGems API key"),
        TOKEN("other_secret", "shippo_(live|test)_[a-f0-9]{40}", spec_shippo, 90,
              "Shippo API token"),
        TOKEN("other_secret", "sbp_[a-f0-9]{40}", spec_supabase, 85, "Supabase access token"),
        TOKEN("other_secret", "LTAI[A-Za-z0-9]{20}", spec_alibaba, 80, "Alibaba Cloud AccessKey"),
        TOKEN("other_secret", "GOCSPX-[A-Za-z0-9_-]{28}", spec_gocspx, 90,
              "Google OAuth client secret"),
        TOKEN("other_secret", "ya29\\.[0-9A-Za-z_-]{35}", spec_ya29, 85,
              "Google OAuth access token"),
        TOKEN("other_secret", "AKCp[A-Za-z0-9]{69}", spec_artifactory, 90,
              "JFrog Artifactory API key"),
        TOKEN("other_secret", "CFPAT-[A-Za-z0-9_-]{43}", spec_contentful, 90,
              "Contentful personal access token"),
        TOKEN("other_secret", "pnu_[A-Za-z0-9]{36}", spec_prefect, 90, "Prefect API key"),
        TOKEN("other_secret", "r8_[A-Za-z0-9]{37}", spec_replicate, 85, "Replicate API token"),
        TOKEN("other_secret", "gsk_[A-Za-z0-9]{52}", spec_groq, 90, "Groq API key"),
        TOKEN("other_secret", "pplx-[A-Za-z0-9]{48}", spec_pplx, 90, "Perplexity API key"),
        TOKEN("other_secret", "(ntn_[0-9]{11}[A-Za-z0-9]{35}|secret_[A-Za-z0-9]{43})", spec_notion,
              85, "Notion integration token"),
        TOKEN("other_secret", "ops_eyJ[A-Za-z0-9+/=_-]{50}", spec_1p_sa, 90,
              "1Password service-account token"),
        TOKEN("other_secret",
              "A3-[A-Z0-9]{6}-([A-Z0-9]{11}|[A-Z0-9]{6})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}",
              spec_1p_sk, 85, "1Password secret key"),
        TOKEN("other_secret", "bkua_[a-f0-9]{40}", spec_buildkite, 90, "Buildkite API token"),
        TOKEN("other_secret", "sgp_([a-fA-F0-9]{16}_)?[a-fA-F0-9]{40}", spec_sourcegraph, 90,
              "Sourcegraph access token"),
        TOKEN("other_secret", "sha256~[A-Za-z0-9_-]{43}", spec_openshift, 85,
              "OpenShift user token"),
        TOKEN("other_secret", "v1\\.0-[a-f0-9]{24}-[a-f0-9]{146}", spec_cf_origin, 90,
              "Cloudflare Origin CA key"),
        TOKEN("other_secret", "EAA[A-Z0-9][A-Za-z0-9]{80}", spec_facebook, 85,
              "Facebook access token"),
        TOKEN("other_secret", "sq0(atp|csp)-[0-9A-Za-z_-]{22}", spec_square, 90,
              "Square access token / OAuth secret"),
        TOKEN("other_secret", "EAAA[A-Za-z0-9_-]{60}", spec_square2, 85, "Square access token"),
        TOKEN("other_secret", "xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}", spec_brevo, 90,
              "Brevo (Sendinblue) API key"),
        TOKEN("other_secret", "key-[0-9a-f]{32}", spec_mailgun, 70, "Mailgun API key"),
        TOKEN("other_secret", "[0-9a-f]{32}-us[0-9]{1,2}", spec_mailchimp, 80, "Mailchimp API key"),
        TOKEN("other_secret", "AccountKey=[A-Za-z0-9+/]{86}==", spec_azure_storage, 95,
              "Azure storage account key"),
        TOKEN("other_secret", "[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31}", spec_azure_ad, 85,
              "Azure AD client secret"),
        TOKEN("other_secret", "[MNO][A-Za-z0-9_-]{23,25}\\.[A-Za-z0-9_-]{6}\\.[A-Za-z0-9_-]{27}",
              spec_discord, 80, "Discord bot token"),
        TOKEN("other_secret", "[A-Za-z0-9]{14}\\.atlasv1\\.[A-Za-z0-9_=-]{60}", spec_tfc, 90,
              "HCP Terraform API token"),
        TOKEN("other_secret", "4b1d[A-Za-z0-9]{38}", spec_clickhouse, 80,
              "ClickHouse Cloud API secret"),
        TOKEN("other_secret", "API-[A-Z0-9]{32}", spec_octopus, 80, "Octopus Deploy API key"),
        TOKEN("other_secret", "sq[upa]_[a-f0-9]{40}", spec_sonar, 85, "SonarQube token"),
        TOKEN("other_secret",
              "pat-(na|eu)[0-9]-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}",
              spec_hubspot, 90, "HubSpot private app token"),
        TOKEN("other_secret", "SK[0-9a-fA-F]{32}", spec_twilio, 70, "Twilio API key SID"),
        TOKEN("other_secret", "vc[pkiar]_[A-Za-z0-9]{20}", spec_vercel, 80, "Vercel token"),
        TOKEN("other_secret", "s-s4t2(ud|af)-[a-f0-9]{64}", spec_intra42, 90,
              "42 intra client secret"),
        TOKEN("other_secret", "[0-9]{15,16}\\|[A-Za-z0-9_-]{27}", spec_fb_app, 80,
              "Facebook app access token (app id | secret)"),
        TOKEN("other_secret", "NR(AA|II|IQ|JS|RA)-[A-Za-z0-9_-]{20}", spec_newrelic2, 85,
              "New Relic keys"),
        TOKEN("other_secret", "dp\\.(ct|st|sa|scim|audit)\\.[A-Za-z0-9._-]{40}", spec_doppler2, 85,
              "Doppler tokens"),
        TOKEN("other_secret", "sl\\.[A-Za-z0-9_-]{100}", spec_dropbox, 85,
              "Dropbox short-lived access token"),
        TOKEN("other_secret", "odt_[A-Za-z0-9]{32}", spec_odt, 85, "Dependency-Track API key"),
        TOKEN("other_secret", "aio_[A-Za-z0-9]{28}", spec_aio, 85, "Adafruit IO key"),
        TOKEN("other_secret",
              "(outlook\\.office(365)?\\.com|webhook\\.office\\.com)/webhookb?2?/[0-9a-f-]{36}@",
              spec_teams, 85, "Microsoft Teams incoming webhook"),
        TOKEN("other_secret", "SharedAccessKey=[A-Za-z0-9+/]{40}", spec_azure_sas, 90,
              "Azure shared access key in a connection string"),
        TOKEN("other_secret", "\\$krb5(asrep|tgs)\\$[0-9]+\\$", spec_krb5, 85,
              "Kerberos AS-REP/TGS hash"),
        {"other_secret", "(softlayer|sl)[_-]?(api)?[_-]?(key|pass|pw|pwd|password|token)",
         DET_SOM | DET_CASELESS, check_kv, DET_MASK_ENDS, NULL, 80, "SoftLayer API key",
         &kv_softlayer},
        {"other_secret",
         "(ibm[_-]?cloud[_-]?iam|cloud[_-]?iam|ibm[_-]?cloud|ibm[_-]?iam|ibm|iam|cloud)[_-]?(api)?["
         "_-]?(key|pwd|password|pass|token)|ibmcloudiamapikey",
         DET_SOM | DET_CASELESS, check_kv, DET_MASK_ENDS, NULL, 80, "IBM Cloud IAM key",
         &kv_ibm_iam},
        {"other_secret", "secret[_-]?(access)?[_-]?key", DET_SOM | DET_CASELESS, check_kv,
         DET_MASK_ENDS, NULL, 75, "IBM COS HMAC secret (48 hex)", &kv_ibm_cos},
        {"other_secret", "cloudant[_-]?(pw|pwd|password|pass|api[_-]?key|key)",
         DET_SOM | DET_CASELESS, check_kv, DET_MASK_ENDS, NULL, 80, "Cloudant password/API key",
         &kv_cloudant},
        {"other_secret", "cloudflare[_-]?(global)?[_-]?(api)?[_-]?(key|token)",
         DET_SOM | DET_CASELESS, check_kv, DET_MASK_ENDS, NULL, 80, "Cloudflare API key/token",
         &kv_cloudflare},
        {"other_secret", "(jira|atlassian|confluence)[_-]?(api)?[_-]?token", DET_SOM | DET_CASELESS,
         check_kv, DET_MASK_ENDS, NULL, 75, "Atlassian API token (legacy)", &kv_atlassian},
        {"other_secret", "(facebook|fb)[_-]?(app|client)?[_-]?(api|access)?[_-]?(key|secret|token)",
         DET_SOM | DET_CASELESS, check_kv, DET_MASK_ENDS, NULL, 75, "Facebook app secret", &kv_fb},
        {"other_secret", "BUNDLE_(ENTERPRISE|GEMS)__CONTRIBSYS__COM", DET_SOM, check_kv,
         DET_MASK_ENDS, NULL, 80, "Sidekiq Pro/Enterprise gem credentials (Bundler env)",
         &kv_sidekiq},
        {"other_secret",
         "(snyk|heroku|hubspot|messagebird|sauce)[_-]?(oauth[_-]?|access[_-]?)?(api[_-]?)?(token|"
         "key)",
         DET_SOM | DET_CASELESS, check_kv, DET_MASK_ENDS, NULL, 75,
         "Snyk, Heroku (legacy), HubSpot, MessageBird, Sauce Labs keys (UUID) by key name",
         &kv_uuid},
        {"other_secret", "[sbr]\\.[A-Za-z0-9]{24}", DET_SOM, check_vault_legacy, DET_MASK_ENDS,
         NULL, 75, "HashiCorp Vault legacy service/batch/recovery token (after a token name)",
         NULL},
        {"other_secret", "[a-z0-9]{6}\\.[a-z0-9]{16}", DET_SOM, check_k8s_bootstrap, DET_MASK_ENDS,
         NULL, 75, "Kubernetes bootstrap token (kubeadm), after a token name", NULL},
        {"other_secret", "(password|pwd) *= *", DET_SOM | DET_CASELESS, check_connstr,
         DET_MASK_ENDS, NULL, 80, "Password in an ODBC/ADO.NET connection string", NULL},
        {"other_secret", "postmark([_-]?(server|account)[_-]?(api[_-]?)?token)?",
         DET_SOM | DET_CASELESS, check_kv, DET_MASK_ENDS, NULL, 75,
         "Postmark server/account token (UUID)", &kv_uuid},
        {"other_secret", "live_[0-9]{5,12}_[A-Za-z0-9]{30}", DET_SOM, check_twitch, DET_MASK_ENDS,
         NULL, 85, "Twitch stream key", &spec_twitch},
        {"other_secret", "[a-z2-7]{52}", DET_SOM, check_ado_pat, DET_MASK_ENDS, NULL, 75,
         "Azure DevOps personal access token (base32, after a token name)", NULL},
        {"other_secret", "blynk\\.cloud/external/api/", DET_SOM, check_blynk, DET_MASK_ENDS, NULL,
         85, "Blynk device auth token in an API URL", NULL},
        {"other_secret", "auth\\.login_with_api_key", DET_SOM, check_truenas, DET_MASK_ENDS, NULL,
         85, "TrueNAS API key (JSON-RPC login)", NULL},
        {"other_secret", ":_authToken", DET_SOM, check_kv, DET_MASK_ENDS, NULL, 85,
         "npm registry auth token (.npmrc)", &kv_npm},
        {"other_secret",
         "machine[ \\t]+[^ \\t\\n]+[ \\t\\n]+login[ \\t]+[^ \\t\\n]+[ \\t\\n]+password",
         DET_CASELESS, check_kv, DET_MASK_ENDS, NULL, 80, ".netrc password", &kv_netrc},
        {"other_secret", "authorization:[ ]*(basic|bearer|token|api-token)[ ]",
         DET_SOM | DET_CASELESS, check_http_auth, DET_MASK_ENDS, NULL, 80,
         "HTTP Authorization header credentials", NULL},
        {"other_secret", "api-token:[ ]", DET_SOM | DET_CASELESS, check_http_auth, DET_MASK_ENDS,
         NULL, 75, "API token header", NULL},
        {"other_secret", "[ ](-u|--user)[ ]+", DET_SOM, check_http_auth, DET_MASK_ENDS, NULL, 80,
         "curl user:password", NULL},
        {"other_secret", "[a-z][a-z0-9+.-]{1,15}://", DET_SOM | DET_CASELESS, check_url_userinfo,
         DET_MASK_ENDS, NULL, 75, "RFC 3986 userinfo password in a URL", NULL},
        {0},
};
