/* libpostwarden-policy engine internals: the policy model shared by the loader (model.c), the
 * term lists (terms.c), the matcher (match.c) and the verdict builder (verdict.c).
 *
 * Lifetime: everything hangs off one `struct pw_policy` and is freed by pw_policy_free(). Once
 * pw_policy_load*() returns, nothing in it changes except the scratch pool (mutex-protected). */
#ifndef POSTWARDEN_POLICY_INTERNAL_H
#define POSTWARDEN_POLICY_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "postwarden/policy.h"

/* ---- limits: a policy beyond these is refused with a clear error ------------------------------
 */
#define PW_POLICY_MAX_FILE      (16u << 20) /* bytes of policy.json */
#define PW_TERMFILE_MAX         (64u << 20) /* bytes of one term-list file */
#define PW_TERM_MAX             1024u       /* bytes of one term */
#define PW_REGEX_MAX            4096u       /* bytes of one regex */
#define PW_RULES_MAX            4096u       /* rules in a policy */
#define PW_TERMS_MAX            (2u << 20)  /* terms over all lists */
#define PW_TEXT_MAX             (16u << 20) /* bytes of text one check accepts */
#define PW_CONTEXT_DISTANCE_MAX 10000u      /* code points */

/* Mode bits of a rule: which account modes it applies to. */
#define PW_MODEBIT_PERSONAL 1u
#define PW_MODEBIT_BUSINESS 2u

/* ---- strings: one growing arena for many small strings ----------------------------------------
 */
struct pw_strv {
        char *buf;        /* the strings, each NUL-terminated, back to back */
        size_t len;       /* bytes used in buf */
        size_t cap;       /* bytes allocated in buf */
        uint32_t *off;    /* offset of string i in buf */
        uint32_t *slen;   /* length of string i in bytes (without the NUL) */
        uint32_t *where;  /* origin of string i: array index (inline) or line number (file) */
        size_t n;         /* strings stored */
        size_t n_cap;     /* slots allocated in off/slen/where */
        size_t path[8];   /* JSON path (ordinals) of the array the inline strings came from */
        size_t path_len;  /* 0 when none came from the policy file */
        size_t n_inline;  /* the first n_inline strings are inline (where = array index) */
        const char *file; /* the term-list file the rest came from (where = line), or NULL */
};

int pw_strv_add(struct pw_strv *v, const char *s, size_t len, uint32_t where);
void pw_strv_done(struct pw_strv *v);
static inline const char *pw_strv_get(const struct pw_strv *v, size_t i) {
        return v->buf + v->off[i];
}

/* ---- term lists ----------------------------------------------------------------------------- */
struct pw_term_list {
        char *name; /* the key in "term_lists", or "trademarks"/"domains" for the company's */
        char *file; /* the term-list file's path as resolved, or NULL when inline only */
        struct pw_strv terms; /* the raw terms, as written (terms.file points at `file`) */
        char *raw;            /* `file`'s bytes, read and hashed but not parsed yet: they are
                               * parsed into `terms` only when the matcher is compiled (a matcher
                               * from the cache never needs them), then freed */
        size_t raw_len;       /* bytes in raw */
};

/* ---- rules ---------------------------------------------------------------------------------- */
enum pw_rule_kind {
        PW_RULE_MATCH = 0,   /* a rule from "rules" */
        PW_RULE_ACCOUNT = 1, /* the built-in company-account rule */
};

struct pw_rule {
        char *id;                  /* unique rule id */
        char *category;            /* finding category, e.g. "confidential" */
        char *message;             /* shown to the employee */
        unsigned modes;            /* PW_MODEBIT_* */
        enum pw_action action;     /* what a finding of this rule asks for */
        bool overridable;          /* the employee may post anyway with a justification */
        bool whole_word;           /* terms must start and end at word boundaries (default true) */
        unsigned min_count;        /* findings needed before the rule fires (default 1) */
        int min_confidence;        /* detector findings below this are ignored (default 0) */
        uint32_t context_distance; /* code points between a hit and a context word */
        size_t n_context;          /* context words (0: no context required) */
        size_t *lists;             /* indices into policy->lists the rule's terms come from */
        size_t n_lists;            /* entries in lists */
        struct pw_strv regexes;    /* regexes as written */
        char **detectors;          /* detector names */
        size_t n_detectors;        /* entries in detectors */
        struct pw_strv terms;      /* the rule's own inline "terms" */
        struct pw_strv context;    /* the rule's context words */
        size_t json_index;         /* ordinal of the rule in "rules", for errors */
};

/* An exception: allow-terms that cancel findings of some (or all) rules inside their span. */
struct pw_exception {
        struct pw_strv terms; /* allow-terms */
        size_t *rules;        /* indices of the rules it applies to */
        size_t n_rules;       /* 0: every rule */
        size_t json_index;    /* ordinal in "exceptions" */
};

/* A company account and who may act as it. */
struct pw_account {
        char *name;    /* the admin's name for it, e.g. "acme-x" */
        char *site;    /* e.g. "x.com" */
        char *handle;  /* e.g. "@AcmeCorp" (compared without '@', case-insensitively) */
        char *id;      /* the site's stable account id, or NULL */
        char **users;  /* login names allowed to act as it, NULL-terminated */
        char **groups; /* groups allowed to act as it, NULL-terminated */
};

/* ---- compiled matcher (match.c) ------------------------------------------------------------- */

/* What a pattern id means: owner entries, encoded as (index << 3) | kind. */
enum pw_owner_kind {
        PW_OWN_TERM = 0,    /* a term of rule `index` */
        PW_OWN_CONTEXT = 1, /* a context word of rule `index` */
        PW_OWN_ALLOW = 2,   /* an allow-term of exception `index` */
        PW_OWN_REGEX = 3,   /* a regex of rule `index` */
};

struct pw_matcher; /* opaque: databases, pattern tables, scratch pool */

struct pw_policy {
        char *name;                      /* file name used in errors */
        char id[17];                     /* hex prefix of the content hash */
        uint8_t hash[32];                /* SHA-256 of the policy and term-list files */
        char *company;                   /* company name, or NULL */
        struct pw_term_list *lists;      /* term lists; [0] trademarks, [1] domains */
        size_t n_lists;                  /* entries in lists (at least 2) */
        struct pw_rule *rules;           /* the rules, in file order */
        size_t n_rules;                  /* entries in rules */
        struct pw_rule account_rule;     /* the built-in company-account rule */
        struct pw_exception *exceptions; /* allow-terms, in file order */
        size_t n_exceptions;             /* entries in exceptions */
        struct pw_account *accounts;     /* company accounts */
        size_t n_accounts;               /* entries in accounts */
        char **detector_names;           /* distinct detector names used, NULL-terminated */
        size_t n_detector_names;         /* entries in detector_names */
        struct pw_detectors *detectors;  /* built when compiled and detectors are used */
        struct pw_matcher *matcher;      /* NULL with PW_POLICY_NO_COMPILE */
        int retention_days;              /* "audit.retention_days": purge events older */
        int keep_personal_findings;      /* "audit.keep_personal_findings": 1 keeps them */
};

/* The policy text being loaded, for errors found after validation (while compiling). */
struct pw_src {
        const char *name; /* file name for errors */
        const char *text; /* the JSON text */
        size_t len;       /* its length */
};

/* model.c: reports a problem with string `i` of `v` (a term, a regex) at its place in the policy
 * or term-list file, naming `rule` (may be NULL); returns -EINVAL. */
int pw_strv_error(const struct pw_src *src, const struct pw_strv *v, size_t i, const char *rule,
                  struct pw_error *err, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* model.c: the id of the first rule whose "match.lists" names list `l` (NULL when none), to
 * name it in errors about the list. */
const char *pw_policy_list_user(const struct pw_policy *p, size_t l);

/* model.c: parses the term-list files the loader read (struct pw_term_list.raw) into their
 * lists' terms and frees the bytes; an invalid file gives -EINVAL with its line and column in
 * *err. pw_policy_drop_term_files() frees them unparsed, for a matcher loaded from the cache: its
 * key covers the files' bytes, so they parsed and compiled when the cache file was written. */
int pw_policy_parse_term_files(struct pw_policy *p, struct pw_error *err);
void pw_policy_drop_term_files(struct pw_policy *p);

/* match.c: normalises every term and, unless `flags` has PW_POLICY_NO_COMPILE, builds (or loads
 * from `cache_dir`, may be NULL) the matcher of `p` into p->matcher. */
int pw_matcher_build(struct pw_policy *p, const struct pw_src *src, const char *cache_dir,
                     unsigned flags, struct pw_error *err);
struct pw_matcher *pw_matcher_free(struct pw_matcher *m);

/* Flags every regex is compiled with (model.c checks regexes with the same). */
unsigned pw_regex_flags(void);

/* verdict.c: checks `in` with the matcher's per-thread state; see pw_policy_check(). */

/* Known detector names: pw_detector_names() when built in, else a fixed list. */
bool pw_detector_known(const char *name);

#endif
