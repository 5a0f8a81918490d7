/* libpostwarden-policy: a company's social-media policy as data, and verdicts on text.
 *
 * The policy service (postwardend), the native-messaging host in standalone mode and
 * postwardenctl link this library; nothing else evaluates policy. A loaded and compiled
 * `struct pw_policy` is immutable, so pw_policy_check() may be called from many threads at once.
 *
 * Offsets: every finding carries its span in the caller's original text in three units: bytes
 * of the UTF-8 input, Unicode code points, and UTF-16 code units (what a browser highlights).
 * Invalid UTF-8 is read as U+FFFD, one per maximal ill-formed subsequence (the Unicode
 * "substitution of maximal subparts" practice), and offsets count it as one code point / one
 * UTF-16 unit covering those bytes. */
#ifndef POSTWARDEN_POLICY_H
#define POSTWARDEN_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "postwarden/error.h"

/* ---- the policy ------------------------------------------------------------------------------ */

enum pw_action {
        PW_ACTION_ALLOW = 0, /* nothing to say */
        PW_ACTION_WARN = 1,  /* tell the employee, let them post */
        PW_ACTION_BLOCK = 2, /* stop the post (unless every blocking finding is overridable) */
};

enum pw_mode {
        PW_MODE_PERSONAL = 1, /* acting as the employee's own account */
        PW_MODE_BUSINESS = 2, /* acting as a company account */
        PW_MODE_UNKNOWN = 3,  /* the acting account is not known: the stricter of both applies */
};

struct pw_policy; /* opaque, immutable once loaded */

enum {
        PW_POLICY_NO_COMPILE = 1 << 0,  /* parse and validate only (policy check, fuzzing) */
        PW_POLICY_SYNTAX_ONLY = 1 << 1, /* with NO_COMPILE: check regexes with vectorscan's
                                           parser only, not by compiling each (fuzzing) */
};

/* Loads and validates the policy file at `path` (term-list files are resolved relative to its
 * directory) and, unless PW_POLICY_NO_COMPILE, compiles its matchers, using `cache_dir` (may be
 * NULL: no cache) to load or store the compiled databases. On failure returns -errno (-EINVAL
 * for a policy that is wrong, with file, line, column and rule id in `err`) and leaves *ret
 * untouched. */
int pw_policy_load(const char *path, const char *cache_dir, unsigned flags, struct pw_policy **ret,
                   struct pw_error *err);

/* As pw_policy_load(), from a buffer; `name` is used in errors, `base_dir` (may be NULL:
 * term-list files are then refused) resolves term-list files. */
int pw_policy_load_buffer(const char *json, size_t len, const char *name, const char *base_dir,
                          const char *cache_dir, unsigned flags, struct pw_policy **ret,
                          struct pw_error *err);

/* Frees a policy; accepts NULL; returns NULL. */
struct pw_policy *pw_policy_free(struct pw_policy *p);

/* A stable id of the policy's content (hex SHA-256 prefix), for hello replies and the audit. */
const char *pw_policy_id(const struct pw_policy *p);

/* Names of the detectors the policy uses, NULL-terminated, borrowed from `p`. */
const char *const *pw_policy_detectors(const struct pw_policy *p);

/* How a compiled policy's matchers were obtained (postwardenctl policy compile, benchmarks). */
struct pw_compile_info {
        int from_cache;        /* 1: loaded from the cache file, 0: compiled */
        int cache_written;     /* 1: compiled and stored in the cache file */
        int cache_load_error;  /* errno why an existing cache file was not used, or 0 */
        int cache_store_error; /* errno why the cache file could not be written, or 0 */
        size_t n_literals;     /* distinct normalised terms, context words and allow-terms */
        size_t n_regexes;      /* regexes */
        size_t db_bytes;       /* size of the vectorscan databases */
        double build_ms;       /* wall time to compile or load them */
        char cache_file[4096]; /* the cache file used or written, or "" */
};

/* ---- the audit section ("audit" in the policy file, docs/policy.md) ------------------------ */

#define PW_POLICY_RETENTION_DEFAULT 180  /* days, when the policy says nothing */
#define PW_POLICY_RETENTION_MIN     1    /* days */
#define PW_POLICY_RETENTION_MAX     3650 /* days (ten years) */

/* Days postwardend keeps audit events: `postwarden-purge.timer` purges older ones (default
 * PW_POLICY_RETENTION_DEFAULT). */
int pw_policy_retention_days(const struct pw_policy *p);

/* 1 when the policy keeps findings (rule, category, masked excerpt) of posts made as personal
 * accounts (needs a legal basis); 0 (the default) when they are dropped before storage. */
int pw_policy_keep_personal_findings(const struct pw_policy *p);

/* Fills *ret for a compiled policy; -ENOENT when loaded with PW_POLICY_NO_COMPILE. */
int pw_policy_compile_info(const struct pw_policy *p, struct pw_compile_info *ret);

/* ---- checking text --------------------------------------------------------------------------- */

/* Who is posting, and as which account. Every pointer is borrowed for the call; any may be NULL. */
struct pw_check_input {
        const char *text;           /* UTF-8 (may be invalid: see above); not NUL-terminated */
        size_t len;                 /* bytes of text */
        const char *site;           /* e.g. "x.com"; NULL when not on a known site */
        const char *account_handle; /* the acting account's handle, e.g. "@AcmeCorp", or NULL */
        const char *account_id;     /* the site's stable id of the acting account, or NULL */
        const char *user;           /* the employee's login name (from the kernel's uid) */
        const char *const *groups;  /* the employee's group names, NULL-terminated, or NULL */
        enum pw_mode mode;          /* 0: derived from site and account (the normal case);
                                       else forced, e.g. postwardenctl policy test --mode */
};

struct pw_span {
        uint32_t byte_start, byte_end; /* [start, end) in the UTF-8 input */
        uint32_t cp_start, cp_end;     /* in code points */
        uint32_t u16_start, u16_end;   /* in UTF-16 code units */
};

struct pw_finding {
        const char *rule_id;  /* the policy rule, borrowed from the policy */
        const char *category; /* e.g. "confidential", "trademark", "iban", "aws_key", "account" */
        const char *detector; /* the built-in detector that found it, or NULL for terms/regexes */
        const char *message;  /* what the employee is told, borrowed from the policy */
        enum pw_action action;
        int overridable; /* 1 when "post anyway" with a justification is allowed */
        int confidence;  /* 0..100 */
        struct pw_span span;
        char excerpt[96]; /* masked excerpt, never the full secret or number, NUL-terminated */
};

struct pw_verdict {
        enum pw_action action;    /* the strictest action over all findings */
        int overridable;          /* 1 when every blocking finding is overridable */
        enum pw_mode mode;        /* the mode the rules were applied in */
        int company_account;      /* 1 when the acting account is one of the company's */
        int authorised;           /* for a company account: 1 when the user may act as it */
        const char *account_name; /* the company account's name in the policy, or NULL */
        size_t n_findings;
        struct pw_finding *findings; /* sorted by span start, then rule id */
};

/* Checks `in` against the policy; on success *ret is a verdict the caller frees with
 * pw_verdict_free(); it borrows strings from `p`, so free it before the policy. Thread-safe.
 * Returns -EINVAL for unusable input (len over 16 MiB, text NULL with len > 0, a policy loaded
 * with PW_POLICY_NO_COMPILE), -ENOMEM, -EIO; *ret is untouched then. */
int pw_policy_check(const struct pw_policy *p, const struct pw_check_input *in,
                    struct pw_verdict **ret);

/* Frees a verdict; accepts NULL; returns NULL. */
struct pw_verdict *pw_verdict_free(struct pw_verdict *v);

/* The verdict as a new JSON object (the shape documented in docs/policy.md), or NULL. */
json_t *pw_verdict_to_json(const struct pw_verdict *v);

const char *pw_action_name(enum pw_action a); /* "allow", "warn", "block" */
const char *pw_mode_name(enum pw_mode m);     /* "personal", "business", "unknown" */

/* ---- built-in detectors, usable without a policy (postwardenctl scan) ------------------------ */

struct pw_detectors; /* opaque, immutable once built */

struct pw_detection {
        const char *detector; /* e.g. "iban"; static storage */
        const char *category; /* the corpus category, e.g. "iban", "other_secret"; static */
        uint32_t byte_start;  /* [start, end) in the scanned text */
        uint32_t byte_end;
        int confidence;   /* 0..100; below 50: format-only evidence (e.g. 9 bare digits as an SSN
                             without a context word), which the default policy ignores */
        char excerpt[96]; /* masked, never the full number or secret, NUL-terminated */
};

/* Called once per validated detection, in order of byte_end; return non-zero to stop. */
typedef int (*pw_detection_cb)(const struct pw_detection *d, void *userdata);

/* Builds the named detectors (NULL or empty: every built-in detector). Unknown names give
 * -ENOENT with the name in `err`. Compiles the patterns (~1 s for all of them here): a process
 * that must start fast uses pw_detectors_new_cached(). */
int pw_detectors_new(const char *const *names, size_t n_names, struct pw_detectors **ret,
                     struct pw_error *err);

/* As pw_detectors_new(), loading the compiled database from `cache_dir` (NULL: no cache) when a
 * file for exactly these patterns and this vectorscan version is there and its SHA-256 checks,
 * else compiling and storing it there (atomically; a directory that cannot be written only
 * costs time). */
int pw_detectors_new_cached(const char *const *names, size_t n_names, const char *cache_dir,
                            struct pw_detectors **ret, struct pw_error *err);

/* Frees; accepts NULL; returns NULL. */
struct pw_detectors *pw_detectors_free(struct pw_detectors *d);

/* Scans `text` (any bytes, up to 4 GiB - 1; secrets are matched case-sensitively, so pass the
 * original text, not a normalised one) with every detector; calls `cb` per detection.
 * Thread-safe: many threads may scan with one `d`. Returns 0, -EINVAL (bad arguments), -EFBIG,
 * -ENOMEM or -EIO (vectorscan failed). At most 4096 detections are reported per call. */
int pw_detectors_scan(const struct pw_detectors *d, const char *text, size_t len,
                      pw_detection_cb cb, void *userdata);

/* Every built-in detector name, NULL-terminated, static. */
const char *const *pw_detector_names(void);

#endif
