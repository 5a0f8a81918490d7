/* The policy file: load it with jansson, validate every field, and build `struct pw_policy`.
 *
 * Every error names the file, the line and column of the offending key or value, and the rule
 * it belongs to. jansson gives positions only for syntax errors; for the rest the validator
 * keeps the path of ordinals it is at and asks jsonpos.c where that is in the text. The schema
 * is checked by small field tables rather than json_unpack_ex("{...!}"), because unpack's
 * errors do not say which key was unknown or had the wrong type, and we must point at it. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <hs.h>
#include <nettle/sha2.h>
#include <sodium.h>

#include "jsonpos.h"
#include "policy_internal.h"
#include "terms.h"

#define MAX_DEPTH 16

/* The validator's position: the file, the path into the JSON, the current rule. */
struct vctx {
        const char *name;               /* file name for errors */
        const char *text;               /* the JSON text (valid: jansson parsed it) */
        size_t len;                     /* its length */
        size_t path[MAX_DEPTH];         /* ordinals from the root to the value being checked */
        size_t depth;                   /* used entries in path */
        const char *rule;               /* id of the rule being checked, or NULL */
        const char *base_dir;           /* where term-list files are resolved, or NULL */
        unsigned flags;                 /* PW_POLICY_* */
        struct pw_error *err;           /* where errors go (may be NULL) */
        struct sha256_ctx *hash;        /* content hash: policy text and term-list files */
};

static void push(struct vctx *c, size_t ordinal) {
        /* the schema is at most 6 deep; deeper values are never visited */
        if (c->depth < MAX_DEPTH)
                c->path[c->depth] = ordinal;
        c->depth++;
}

static void pop(struct vctx *c) {
        c->depth--;
}

/* Records an error at the current path (the key when `at_key`); returns -EINVAL. */
static int verr(struct vctx *c, bool at_key, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int verr(struct vctx *c, bool at_key, const char *fmt, ...) {
        if (!c->err)
                return -EINVAL;
        char text[sizeof c->err->text];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        int line = 0, column = 0;
        size_t depth = c->depth < MAX_DEPTH ? c->depth : MAX_DEPTH;
        pw_json_locate(c->text, c->len, c->path, depth, at_key, &line, &column);
        pw_error_set(c->err, c->name, line, column, c->rule, "%s", text);
        return -EINVAL;
}

/* ---- schema tables -------------------------------------------------------------------------- */

enum ftype { T_STRING, T_BOOL, T_INT, T_ARRAY, T_OBJECT };

struct field {
        const char *key; /* member name */
        enum ftype type; /* expected JSON type */
        bool required;   /* must be present */
};

static const char *type_name(enum ftype t) {
        static const char *const names[] = {"a string", "true or false", "an integer", "an array",
                                            "an object"};
        return names[t];
}

static bool has_type(const json_t *v, enum ftype t) {
        switch (t) {
        case T_STRING:
                return json_is_string(v);
        case T_BOOL:
                return json_is_boolean(v);
        case T_INT:
                return json_is_integer(v);
        case T_ARRAY:
                return json_is_array(v);
        case T_OBJECT:
                return json_is_object(v);
        }
        return false;
}

/* Checks that `obj` (at the current path) has only known keys, each of the right type, and
 * every required key. */
static int check_fields(struct vctx *c, const json_t *obj, const char *what, const struct field *f,
                        size_t n) {
        const char *key;
        json_t *v;
        size_t ord = 0;
        json_object_foreach((json_t *)obj, key, v) {
                size_t j;
                for (j = 0; j < n; j++)
                        if (!strcmp(f[j].key, key))
                                break;
                push(c, ord);
                int r = 0;
                if (j == n)
                        r = verr(c, true, "unknown key \"%s\" in %s", key, what);
                else if (!has_type(v, f[j].type))
                        r = verr(c, false, "\"%s\" must be %s", key, type_name(f[j].type));
                pop(c);
                if (r < 0)
                        return r;
                ord++;
        }
        for (size_t j = 0; j < n; j++)
                if (f[j].required && !json_object_get(obj, f[j].key))
                        return verr(c, false, "%s needs \"%s\"", what, f[j].key);
        return 0;
}

/* The ordinal of `key` in `obj` (its position in the text), for errors about its value. */
static size_t ordinal_of(const json_t *obj, const char *key) {
        const char *k;
        json_t *v;
        size_t ord = 0;
        json_object_foreach((json_t *)obj, k, v) {
                if (!strcmp(k, key))
                        return ord;
                ord++;
        }
        return 0;
}

/* Pushes the path to member `key` of `obj`; returns the member (NULL when absent, then nothing
 * was pushed). */
static json_t *enter(struct vctx *c, const json_t *obj, const char *key) {
        json_t *v = json_object_get(obj, key);
        if (v)
                push(c, ordinal_of(obj, key));
        return v;
}

/* A non-empty string without NUL, of at most `max` bytes, at the current path. */
static int check_text(struct vctx *c, const json_t *v, const char *what, size_t max) {
        size_t n = json_string_length(v);
        const char *s = json_string_value(v);
        size_t i = 0;
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
                i++;
        if (i == n)
                return verr(c, false, "empty %s", what);
        if (memchr(s, '\0', n))
                return verr(c, false, "%s contains a NUL character", what);
        if (n > max)
                return verr(c, false, "%s is longer than %zu bytes", what, max);
        return 0;
}

static int check_regex(struct vctx *c, const json_t *v);

/* Reads the string array `arr` (at the current path) into `out`, each element checked. */
static int read_strings(struct vctx *c, const json_t *arr, const char *what, size_t max,
                        struct pw_strv *out) {
        size_t i;
        json_t *v;
        size_t depth = c->depth < 8 ? c->depth : 8;
        memcpy(out->path, c->path, depth * sizeof *c->path);
        out->path_len = depth;
        json_array_foreach(arr, i, v) {
                push(c, i);
                int r = 0;
                if (!json_is_string(v))
                        r = verr(c, false, "each %s must be a string", what);
                else
                        r = check_text(c, v, what, max);
                if (r == 0 && !strcmp(what, "regex"))
                        r = check_regex(c, v);
                if (r == 0) {
                        r = pw_strv_add(out, json_string_value(v), json_string_length(v),
                                        (uint32_t)i);
                        if (r < 0)
                                r = verr(c, false, "cannot store %s: %s", what, strerror(-r));
                }
                pop(c);
                if (r < 0)
                        return r;
        }
        out->n_inline = out->n;
        return 0;
}

/* A malloc'd NULL-terminated copy of the string array `arr` (at the current path). */
static int read_string_list(struct vctx *c, const json_t *arr, const char *what, char ***ret,
                            size_t *ret_n) {
        size_t n = json_array_size(arr);
        char **v = calloc(n + 1, sizeof *v);
        if (!v)
                return -ENOMEM;
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e) {
                push(c, i);
                int r = 0;
                if (!json_is_string(e))
                        r = verr(c, false, "each %s must be a string", what);
                else
                        r = check_text(c, e, what, 256);
                if (r == 0 && !(v[i] = strdup(json_string_value(e))))
                        r = -ENOMEM;
                pop(c);
                if (r < 0) {
                        for (size_t j = 0; j < i; j++)
                                free(v[j]);
                        free(v);
                        return r;
                }
        }
        *ret = v;
        if (ret_n)
                *ret_n = n;
        return 0;
}

static void free_string_list(char **v) {
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

/* A strdup of member `key` (a string, type already checked), or NULL when absent. */
static int dup_member(const json_t *obj, const char *key, char **ret) {
        json_t *v = json_object_get(obj, key);
        if (!v) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(json_string_value(v));
        return *ret ? 0 : -ENOMEM;
}

/* ---- company and term lists ----------------------------------------------------------------- */

static const struct field company_fields[] = {
        {"name", T_STRING, true},
        {"trademarks", T_ARRAY, false},
        {"domains", T_ARRAY, false},
};

static int load_company(struct vctx *c, struct pw_policy *p, const json_t *root) {
        json_t *co = enter(c, root, "company");
        if (!co)
                return 0;
        int r = check_fields(c, co, "\"company\"", company_fields, 3);
        if (r < 0)
                goto out;
        json_t *v = enter(c, co, "name");
        r = check_text(c, v, "company name", 256);
        pop(c);
        if (r < 0 || (r = dup_member(co, "name", &p->company)) < 0)
                goto out;
        static const char *const keys[2] = {"trademarks", "domains"};
        for (size_t k = 0; k < 2; k++) {
                json_t *arr = enter(c, co, keys[k]);
                if (!arr)
                        continue;
                r = read_strings(c, arr, k ? "domain" : "trademark", PW_TERM_MAX,
                                 &p->lists[k].terms);
                pop(c);
                if (r < 0)
                        goto out;
        }
        /* the company's name is one of its trademarks (after the inline ones: see
         * pw_strv_error()) */
        r = pw_strv_add(&p->lists[0].terms, p->company, strlen(p->company), 0);
out:
        pop(c);
        return r;
}

/* The id of the first rule whose "match.lists" names `list`, to name it in list errors. */
static const char *first_rule_using(const json_t *root, const char *list) {
        size_t i, j;
        json_t *rule, *name;
        json_array_foreach(json_object_get(root, "rules"), i, rule) {
                json_t *lists = json_object_get(json_object_get(rule, "match"), "lists");
                json_array_foreach(lists, j, name) {
                        if (json_is_string(name) && !strcmp(json_string_value(name), list)) {
                                json_t *id = json_object_get(rule, "id");
                                return json_is_string(id) ? json_string_value(id) : NULL;
                        }
                }
        }
        return NULL;
}

static const struct field list_fields[] = {
        {"terms", T_ARRAY, false},
        {"file", T_STRING, false},
        {"description", T_STRING, false},
};

/* Reads term-list file `file` (at the current path) for list `l` and adds it to the policy's
 * hash. */
static int load_list_file(struct vctx *c, struct pw_term_list *l, const json_t *file) {
        const char *f = json_string_value(file);
        int r = check_text(c, file, "file name", PATH_MAX / 2);
        if (r < 0)
                return r;
        if (f[0] != '/' && !c->base_dir)
                return verr(c, false,
                            "term-list file \"%s\" given but the policy has no "
                            "directory to find it in",
                            f);
        size_t need = strlen(f) + (c->base_dir ? strlen(c->base_dir) : 0) + 2;
        if (!(l->file = malloc(need)))
                return -ENOMEM;
        if (f[0] == '/')
                snprintf(l->file, need, "%s", f);
        else
                snprintf(l->file, need, "%s/%s", c->base_dir, f);
        char *buf;
        size_t len;
        r = pw_read_file(l->file, PW_TERMFILE_MAX, &buf, &len);
        if (r < 0)
                return verr(c, false, "term list \"%s\": cannot read %s: %s", l->name, l->file,
                            strerror(-r));
        /* the file's content is part of the policy's identity (and its cache key) */
        uint64_t n64 = len;
        sha256_update(c->hash, strlen(l->name) + 1, (const uint8_t *)l->name);
        sha256_update(c->hash, sizeof n64, (const uint8_t *)&n64);
        sha256_update(c->hash, len, (const uint8_t *)buf);
        l->raw = buf; /* parsed when the matcher is compiled: pw_policy_parse_term_files() */
        l->raw_len = len;
        return 0;
}

static int load_lists(struct vctx *c, struct pw_policy *p, const json_t *root) {
        json_t *tl = enter(c, root, "term_lists");
        size_t n = tl ? json_object_size(tl) : 0;
        struct pw_term_list *lists = calloc(n + 2, sizeof *lists);
        if (!lists) {
                if (tl)
                        pop(c);
                return -ENOMEM;
        }
        p->lists = lists;
        p->n_lists = 2;
        if (!(lists[0].name = strdup("trademarks")) || !(lists[1].name = strdup("domains"))) {
                if (tl)
                        pop(c);
                return -ENOMEM;
        }
        if (!tl)
                return 0;
        const char *key;
        json_t *v;
        size_t ord = 0;
        int r = 0;
        json_object_foreach(tl, key, v) {
                push(c, ord++);
                c->rule = first_rule_using(root, key);
                struct pw_term_list *l = &lists[p->n_lists];
                if (!(l->name = strdup(key))) {
                        r = -ENOMEM;
                } else if (!strcmp(key, "trademarks") || !strcmp(key, "domains") || !key[0]) {
                        p->n_lists++;
                        r = verr(c, true, "term list name \"%s\" is reserved", key);
                } else {
                        p->n_lists++;
                        r = check_fields(c, v, "a term list", list_fields, 3);
                }
                if (r == 0 && !json_object_get(v, "terms") && !json_object_get(v, "file"))
                        r = verr(c, false, "term list \"%s\" needs \"terms\" or \"file\"", key);
                json_t *terms = r == 0 ? enter(c, v, "terms") : NULL;
                if (terms) {
                        r = read_strings(c, terms, "term", PW_TERM_MAX, &l->terms);
                        pop(c);
                }
                json_t *file = r == 0 ? enter(c, v, "file") : NULL;
                if (file) {
                        r = load_list_file(c, l, file);
                        pop(c);
                }
                c->rule = NULL;
                pop(c);
                if (r < 0)
                        break;
        }
        pop(c);
        return r;
}

const char *pw_policy_list_user(const struct pw_policy *p, size_t l) {
        for (size_t i = 0; i < p->n_rules; i++)
                for (size_t j = 0; j < p->rules[i].n_lists; j++)
                        if (p->rules[i].lists[j] == l)
                                return p->rules[i].id;
        return NULL;
}

int pw_policy_parse_term_files(struct pw_policy *p, struct pw_error *err) {
        int r = 0;
        for (size_t i = 0; i < p->n_lists; i++) {
                struct pw_term_list *l = &p->lists[i];
                if (!l->raw)
                        continue;
                uint32_t bad_line = 0;
                size_t bad_col = 0;
                l->terms.file = l->file;
                r = pw_terms_parse(l->raw, l->raw_len, &l->terms, &bad_line, &bad_col);
                free(l->raw);
                l->raw = NULL;
                if (r == -EILSEQ || r == -E2BIG) {
                        pw_error_set(err, l->file, (int)bad_line, (int)bad_col,
                                     pw_policy_list_user(p, i),
                                     r == -EILSEQ ? "term list \"%s\": invalid UTF-8"
                                                  : "term list \"%s\": term longer than 1024 bytes",
                                     l->name);
                        r = -EINVAL;
                } else if (r < 0) {
                        pw_error_set(err, l->file, 0, 0, pw_policy_list_user(p, i),
                                     "term list \"%s\": %s", l->name, strerror(-r));
                }
                if (r < 0)
                        break;
        }
        return r;
}

void pw_policy_drop_term_files(struct pw_policy *p) {
        for (size_t i = 0; i < p->n_lists; i++) {
                free(p->lists[i].raw);
                p->lists[i].raw = NULL;
        }
}

/* ---- accounts ------------------------------------------------------------------------------- */

static const struct field account_fields[] = {
        {"name", T_STRING, true},         {"site", T_STRING, true},  {"handle", T_STRING, true},
        {"id", T_STRING, false},          {"users", T_ARRAY, false}, {"groups", T_ARRAY, false},
        {"description", T_STRING, false},
};

static const struct field account_rule_fields[] = {
        {"id", T_STRING, false},
        {"message", T_STRING, false},
};

static int load_accounts(struct vctx *c, struct pw_policy *p, const json_t *root) {
        int r = 0;
        struct pw_rule *ar = &p->account_rule;
        json_t *arule = enter(c, root, "account_rule");
        if (arule) {
                r = check_fields(c, arule, "\"account_rule\"", account_rule_fields, 2);
                if (r == 0)
                        r = dup_member(arule, "id", &ar->id);
                if (r == 0)
                        r = dup_member(arule, "message", &ar->message);
                pop(c);
                if (r < 0)
                        return r;
        }
        if (!ar->id && !(ar->id = strdup("company-account")))
                return -ENOMEM;
        if (!ar->message &&
            !(ar->message = strdup("You are not authorised to post as this company account. "
                                   "Use the sanctioned tools, or ask the account's owner.")))
                return -ENOMEM;
        if (!(ar->category = strdup("account")))
                return -ENOMEM;
        ar->modes = PW_MODEBIT_PERSONAL | PW_MODEBIT_BUSINESS;
        ar->action = PW_ACTION_BLOCK;
        ar->overridable = false;

        json_t *acc = enter(c, root, "accounts");
        if (!acc)
                return 0;
        size_t n = json_array_size(acc);
        if (!(p->accounts = calloc(n ? n : 1, sizeof *p->accounts))) {
                pop(c);
                return -ENOMEM;
        }
        size_t i;
        json_t *a;
        json_array_foreach(acc, i, a) {
                push(c, i);
                struct pw_account *pa = &p->accounts[i];
                p->n_accounts = i + 1;
                if (!json_is_object(a))
                        r = verr(c, false, "each account must be an object");
                if (r == 0)
                        r = check_fields(c, a, "an account", account_fields, 7);
                static const char *const keys[] = {"name", "site", "handle", "id"};
                for (size_t k = 0; r == 0 && k < 4; k++) {
                        json_t *v = enter(c, a, keys[k]);
                        if (v) {
                                r = check_text(c, v, keys[k], 256);
                                pop(c);
                        }
                }
                if (r == 0)
                        r = dup_member(a, "name", &pa->name);
                if (r == 0)
                        r = dup_member(a, "site", &pa->site);
                if (r == 0)
                        r = dup_member(a, "handle", &pa->handle);
                if (r == 0)
                        r = dup_member(a, "id", &pa->id);
                static const char *const lk[] = {"users", "groups"};
                for (size_t k = 0; r == 0 && k < 2; k++) {
                        char ***dst = k ? &pa->groups : &pa->users;
                        json_t *v = enter(c, a, lk[k]);
                        if (v) {
                                r = read_string_list(c, v, k ? "group" : "user", dst, NULL);
                                pop(c);
                        } else if (!(*dst = calloc(1, sizeof **dst))) {
                                r = -ENOMEM;
                        }
                }
                for (size_t j = 0; r == 0 && j < i; j++)
                        if (!strcmp(p->accounts[j].name, pa->name))
                                r = verr(c, false, "duplicate account name \"%s\"", pa->name);
                pop(c);
                if (r < 0)
                        break;
        }
        pop(c);
        return r;
}

/* ---- rules ---------------------------------------------------------------------------------- */

static const struct field rule_fields[] = {
        {"id", T_STRING, true},           {"category", T_STRING, false},
        {"description", T_STRING, false}, {"match", T_OBJECT, true},
        {"modes", T_ARRAY, false},        {"action", T_STRING, true},
        {"overridable", T_BOOL, false},   {"message", T_STRING, true},
};

static const struct field match_fields[] = {
        {"terms", T_ARRAY, false},        {"lists", T_ARRAY, false},
        {"regexes", T_ARRAY, false},      {"detectors", T_ARRAY, false},
        {"min_confidence", T_INT, false}, {"context", T_OBJECT, false},
        {"min_count", T_INT, false},      {"whole_word", T_BOOL, false},
};

static const struct field context_fields[] = {
        {"words", T_ARRAY, true},
        {"distance", T_INT, false},
};

/* Flags every regex is compiled with; match.c uses the same. */
#define PW_REGEX_FLAGS (HS_FLAG_UTF8 | HS_FLAG_UCP | HS_FLAG_CASELESS | HS_FLAG_SOM_LEFTMOST)
unsigned pw_regex_flags(void) {
        return PW_REGEX_FLAGS;
}

/* Checks one regex the way vectorscan will see it. Compiled alone only when nothing else will
 * compile it: a validation-only load (PW_POLICY_NO_COMPILE, `policy check`). A full load only
 * parses it here: the matcher compiles every regex anyway and names the rule of one it rejects
 * (match.c), or loads databases that were compiled from this very policy (the cache key is its
 * hash), which saves a compilation per regex at every start. PW_POLICY_SYNTAX_ONLY (fuzzing)
 * only parses. */
static int check_regex(struct vctx *c, const json_t *v) {
        int r = check_text(c, v, "regex", PW_REGEX_MAX);
        if (r < 0)
                return r;
        hs_compile_error_t *ce = NULL;
        hs_error_t e;
        if ((c->flags & PW_POLICY_SYNTAX_ONLY) || !(c->flags & PW_POLICY_NO_COMPILE)) {
                hs_expr_info_t *info = NULL;
                e = hs_expression_info(json_string_value(v), PW_REGEX_FLAGS, &info, &ce);
                free(info);
        } else {
                hs_database_t *db = NULL;
                e = hs_compile(json_string_value(v), PW_REGEX_FLAGS, HS_MODE_BLOCK, NULL, &db, &ce);
                hs_free_database(db);
        }
        if (e != HS_SUCCESS) {
                r = verr(c, false, "regex rejected by vectorscan: %s",
                         ce && ce->message ? ce->message : "unknown error");
                hs_free_compile_error(ce);
                return r;
        }
        return 0;
}

static int parse_action(const char *s, enum pw_action *ret) {
        for (int a = PW_ACTION_ALLOW; a <= PW_ACTION_BLOCK; a++)
                if (!strcmp(s, pw_action_name((enum pw_action)a))) {
                        *ret = (enum pw_action)a;
                        return 0;
                }
        return -EINVAL;
}

static int load_match(struct vctx *c, struct pw_policy *p, struct pw_rule *rule, const json_t *m) {
        int r = check_fields(c, m, "\"match\"", match_fields, 8);
        if (r < 0)
                return r;
        if (!json_object_get(m, "terms") && !json_object_get(m, "lists") &&
            !json_object_get(m, "regexes") && !json_object_get(m, "detectors"))
                return verr(c, false,
                            "\"match\" needs at least one of \"terms\", \"lists\", "
                            "\"regexes\" or \"detectors\"");
        json_t *v;
        if ((v = enter(c, m, "terms"))) {
                r = read_strings(c, v, "term", PW_TERM_MAX, &rule->terms);
                if (r == 0 && rule->terms.n == 0)
                        r = verr(c, false, "\"terms\" is empty");
                pop(c);
                if (r < 0)
                        return r;
        }
        if ((v = enter(c, m, "lists"))) {
                size_t n = json_array_size(v);
                if (!(rule->lists = calloc(n ? n : 1, sizeof *rule->lists))) {
                        pop(c);
                        return -ENOMEM;
                }
                size_t i;
                json_t *e;
                json_array_foreach(v, i, e) {
                        push(c, i);
                        size_t l = p->n_lists;
                        if (!json_is_string(e))
                                r = verr(c, false, "each list name must be a string");
                        else
                                for (l = 0; l < p->n_lists; l++)
                                        if (!strcmp(p->lists[l].name, json_string_value(e)))
                                                break;
                        if (r == 0 && l == p->n_lists)
                                r = verr(c, false, "unknown term list \"%s\"",
                                         json_string_value(e));
                        pop(c);
                        if (r < 0) {
                                pop(c);
                                return r;
                        }
                        rule->lists[rule->n_lists++] = l;
                }
                pop(c);
        }
        if ((v = enter(c, m, "regexes"))) {
                r = read_strings(c, v, "regex", PW_REGEX_MAX, &rule->regexes);
                if (r == 0 && rule->regexes.n == 0)
                        r = verr(c, false, "\"regexes\" is empty");
                pop(c);
                if (r < 0)
                        return r;
        }
        if ((v = enter(c, m, "detectors"))) {
                r = read_string_list(c, v, "detector name", &rule->detectors, &rule->n_detectors);
                for (size_t i = 0; r == 0 && i < rule->n_detectors; i++)
                        if (!pw_detector_known(rule->detectors[i])) {
                                push(c, i);
                                r = verr(c, false, "unknown detector \"%s\"", rule->detectors[i]);
                                pop(c);
                        }
                pop(c);
                if (r < 0)
                        return r;
        }
        rule->min_confidence = 0;
        if ((v = enter(c, m, "min_confidence"))) {
                json_int_t x = json_integer_value(v);
                if (x < 0 || x > 100)
                        r = verr(c, false, "\"min_confidence\" must be 0..100");
                rule->min_confidence = (int)x;
                pop(c);
                if (r < 0)
                        return r;
        }
        rule->min_count = 1;
        if ((v = enter(c, m, "min_count"))) {
                json_int_t x = json_integer_value(v);
                if (x < 1 || x > 10000)
                        r = verr(c, false, "\"min_count\" must be 1..10000");
                rule->min_count = (unsigned)x;
                pop(c);
                if (r < 0)
                        return r;
        }
        rule->whole_word = true;
        if ((v = json_object_get(m, "whole_word")))
                rule->whole_word = json_is_true(v);
        if ((v = enter(c, m, "context"))) {
                r = check_fields(c, v, "\"context\"", context_fields, 2);
                json_t *w = r == 0 ? enter(c, v, "words") : NULL;
                if (w) {
                        r = read_strings(c, w, "context word", PW_TERM_MAX, &rule->context);
                        if (r == 0 && rule->context.n == 0)
                                r = verr(c, false, "\"words\" is empty");
                        pop(c);
                }
                rule->n_context = rule->context.n;
                rule->context_distance = 50;
                json_t *d = r == 0 ? enter(c, v, "distance") : NULL;
                if (d) {
                        json_int_t x = json_integer_value(d);
                        if (x < 0 || x > PW_CONTEXT_DISTANCE_MAX)
                                r = verr(c, false, "\"distance\" must be 0..%u",
                                         PW_CONTEXT_DISTANCE_MAX);
                        rule->context_distance = (uint32_t)x;
                        pop(c);
                }
                pop(c);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load_rule(struct vctx *c, struct pw_policy *p, struct pw_rule *rule, const json_t *o) {
        /* name the rule in every error about it, even about its other keys */
        json_t *id = json_object_get(o, "id");
        c->rule = json_is_string(id) ? json_string_value(id) : NULL;
        int r = check_fields(c, o, "a rule", rule_fields, 8);
        if (r < 0)
                return r;
        json_t *v = enter(c, o, "id");
        r = check_text(c, v, "rule id", 63);
        for (size_t i = 0; r == 0 && i < json_string_length(v); i++) {
                char ch = json_string_value(v)[i];
                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.'))
                        r = verr(c, false, "rule id may only hold letters, digits, '-', '_', '.'");
        }
        pop(c);
        if (r < 0 || (r = dup_member(o, "id", &rule->id)) < 0)
                return r;
        c->rule = rule->id;
        for (size_t i = 0; i + 1 < p->n_rules; i++)
                if (!strcmp(p->rules[i].id, rule->id)) {
                        push(c, ordinal_of(o, "id"));
                        r = verr(c, false, "duplicate rule id (also rule %zu)", i + 1);
                        pop(c);
                        return r;
                }
        if (!strcmp(rule->id, p->account_rule.id)) {
                push(c, ordinal_of(o, "id"));
                r = verr(c, false, "rule id is the company-account rule's id");
                pop(c);
                return r;
        }
        static const char *const texts[] = {"category", "message"};
        for (size_t k = 0; k < 2; k++)
                if ((v = enter(c, o, texts[k]))) {
                        r = check_text(c, v, texts[k], k ? 1024 : 63);
                        pop(c);
                        if (r < 0)
                                return r;
                }
        if ((r = dup_member(o, "message", &rule->message)) < 0 ||
            (r = dup_member(o, "category", &rule->category)) < 0)
                return r;
        if (!rule->category && !(rule->category = strdup(rule->id)))
                return -ENOMEM;
        v = enter(c, o, "action");
        if (parse_action(json_string_value(v), &rule->action) < 0)
                r = verr(c, false, "unknown action \"%s\" (allow, warn or block)",
                         json_string_value(v));
        pop(c);
        if (r < 0)
                return r;
        rule->overridable = json_is_true(json_object_get(o, "overridable"));
        rule->modes = PW_MODEBIT_PERSONAL | PW_MODEBIT_BUSINESS;
        if ((v = enter(c, o, "modes"))) {
                rule->modes = 0;
                size_t i;
                json_t *e;
                json_array_foreach(v, i, e) {
                        push(c, i);
                        const char *s = json_is_string(e) ? json_string_value(e) : "";
                        if (!strcmp(s, "business"))
                                rule->modes |= PW_MODEBIT_BUSINESS;
                        else if (!strcmp(s, "personal"))
                                rule->modes |= PW_MODEBIT_PERSONAL;
                        else if (!strcmp(s, "any"))
                                rule->modes |= PW_MODEBIT_PERSONAL | PW_MODEBIT_BUSINESS;
                        else
                                r = verr(c, false,
                                         "unknown mode \"%s\" (business, personal or "
                                         "any)",
                                         s);
                        pop(c);
                        if (r < 0) {
                                pop(c);
                                return r;
                        }
                }
                if (rule->modes == 0)
                        r = verr(c, false, "\"modes\" is empty");
                pop(c);
                if (r < 0)
                        return r;
        }
        v = enter(c, o, "match");
        r = load_match(c, p, rule, v);
        pop(c);
        return r;
}

static int load_rules(struct vctx *c, struct pw_policy *p, const json_t *root) {
        json_t *rules = enter(c, root, "rules");
        size_t n = json_array_size(rules);
        int r = 0;
        if (n > PW_RULES_MAX)
                r = verr(c, false, "more than %u rules", PW_RULES_MAX);
        if (r == 0 && !(p->rules = calloc(n ? n : 1, sizeof *p->rules)))
                r = -ENOMEM;
        size_t i;
        json_t *o;
        json_array_foreach(rules, i, o) {
                if (r < 0)
                        break;
                push(c, i);
                p->n_rules = i + 1;
                p->rules[i].json_index = i;
                if (!json_is_object(o))
                        r = verr(c, false, "each rule must be an object");
                else
                        r = load_rule(c, p, &p->rules[i], o);
                pop(c);
        }
        c->rule = NULL;
        pop(c);
        return r;
}

/* ---- exceptions ----------------------------------------------------------------------------- */

static const struct field exception_fields[] = {
        {"terms", T_ARRAY, true},
        {"rules", T_ARRAY, false},
        {"description", T_STRING, false},
};

static int load_exceptions(struct vctx *c, struct pw_policy *p, const json_t *root) {
        json_t *ex = enter(c, root, "exceptions");
        if (!ex)
                return 0;
        size_t n = json_array_size(ex);
        int r = 0;
        if (!(p->exceptions = calloc(n ? n : 1, sizeof *p->exceptions))) {
                pop(c);
                return -ENOMEM;
        }
        size_t i;
        json_t *o;
        json_array_foreach(ex, i, o) {
                push(c, i);
                struct pw_exception *e = &p->exceptions[i];
                p->n_exceptions = i + 1;
                e->json_index = i;
                if (!json_is_object(o))
                        r = verr(c, false, "each exception must be an object");
                if (r == 0)
                        r = check_fields(c, o, "an exception", exception_fields, 3);
                json_t *t = r == 0 ? enter(c, o, "terms") : NULL;
                if (t) {
                        r = read_strings(c, t, "allow-term", PW_TERM_MAX, &e->terms);
                        if (r == 0 && e->terms.n == 0)
                                r = verr(c, false, "\"terms\" is empty");
                        pop(c);
                }
                json_t *rl = r == 0 ? enter(c, o, "rules") : NULL;
                if (rl) {
                        size_t nr = json_array_size(rl);
                        if (!(e->rules = calloc(nr ? nr : 1, sizeof *e->rules)))
                                r = -ENOMEM;
                        size_t j;
                        json_t *id;
                        json_array_foreach(rl, j, id) {
                                if (r < 0)
                                        break;
                                push(c, j);
                                size_t k = p->n_rules;
                                if (!json_is_string(id))
                                        r = verr(c, false, "each rule id must be a string");
                                else
                                        for (k = 0; k < p->n_rules; k++)
                                                if (!strcmp(p->rules[k].id, json_string_value(id)))
                                                        break;
                                if (r == 0 && k == p->n_rules)
                                        r = verr(c, false, "unknown rule \"%s\"",
                                                 json_string_value(id));
                                if (r == 0)
                                        e->rules[e->n_rules++] = k;
                                pop(c);
                        }
                        pop(c);
                }
                pop(c);
                if (r < 0)
                        break;
        }
        pop(c);
        return r;
}

/* ---- the policy ----------------------------------------------------------------------------- */

static const struct field top_fields[] = {
        {"version", T_INT, false},    {"description", T_STRING, false},
        {"company", T_OBJECT, false}, {"term_lists", T_OBJECT, false},
        {"accounts", T_ARRAY, false}, {"account_rule", T_OBJECT, false},
        {"rules", T_ARRAY, true},     {"exceptions", T_ARRAY, false},
        {"audit", T_OBJECT, false},
};

/* ---- the audit section ---------------------------------------------------------------------- */

static const struct field audit_fields[] = {
        {"retention_days", T_INT, false},
        {"keep_personal_findings", T_BOOL, false},
        {"description", T_STRING, false},
};

/* "audit": how long postwardend keeps events (the purge timer applies it) and whether findings
 * of personal posts are stored (docs/policy.md). Absent keys keep the defaults. */
static int load_audit(struct vctx *c, struct pw_policy *p, const json_t *root) {
        p->retention_days = PW_POLICY_RETENTION_DEFAULT;
        p->keep_personal_findings = 0;
        json_t *au = enter(c, root, "audit");
        if (!au)
                return 0;
        int r = check_fields(c, au, "\"audit\"", audit_fields,
                             sizeof audit_fields / sizeof *audit_fields);
        if (r < 0)
                goto out;
        json_t *v = enter(c, au, "retention_days");
        if (v) {
                json_int_t d = json_integer_value(v);
                if (d < PW_POLICY_RETENTION_MIN || d > PW_POLICY_RETENTION_MAX)
                        r = verr(c, false, "\"retention_days\" must be in %d..%d (days), not %lld",
                                 PW_POLICY_RETENTION_MIN, PW_POLICY_RETENTION_MAX, (long long)d);
                else
                        p->retention_days = (int)d;
                pop(c);
                if (r < 0)
                        goto out;
        }
        v = json_object_get(au, "keep_personal_findings");
        if (v)
                p->keep_personal_findings = json_is_true(v);
out:
        pop(c);
        return r;
}

/* Collects the distinct detector names the rules use, NULL-terminated. */
static int collect_detectors(struct pw_policy *p) {
        size_t total = 0;
        for (size_t i = 0; i < p->n_rules; i++)
                total += p->rules[i].n_detectors;
        if (!(p->detector_names = calloc(total + 1, sizeof *p->detector_names)))
                return -ENOMEM;
        for (size_t i = 0; i < p->n_rules; i++)
                for (size_t j = 0; j < p->rules[i].n_detectors; j++) {
                        const char *d = p->rules[i].detectors[j];
                        size_t k;
                        for (k = 0; k < p->n_detector_names; k++)
                                if (!strcmp(p->detector_names[k], d))
                                        break;
                        if (k == p->n_detector_names)
                                p->detector_names[p->n_detector_names++] = (char *)d;
                }
        return 0;
}

static int load_root(struct vctx *c, struct pw_policy *p, const json_t *root) {
        if (!json_is_object(root))
                return verr(c, false, "the policy must be a JSON object");
        int r = check_fields(c, root, "the policy", top_fields,
                             sizeof top_fields / sizeof *top_fields);
        if (r < 0)
                return r;
        json_t *v = enter(c, root, "version");
        if (v) {
                if (json_integer_value(v) != 1)
                        r = verr(c, false, "unsupported policy version %lld (this is version 1)",
                                 (long long)json_integer_value(v));
                pop(c);
                if (r < 0)
                        return r;
        }
        if ((r = load_lists(c, p, root)) < 0 || (r = load_company(c, p, root)) < 0 ||
            (r = load_accounts(c, p, root)) < 0 || (r = load_rules(c, p, root)) < 0 ||
            (r = load_exceptions(c, p, root)) < 0 || (r = load_audit(c, p, root)) < 0 ||
            (r = collect_detectors(p)) < 0)
                return r;
        return 0;
}

/* Builds the detectors the rules name (when compiling and the library has them). */
static int build_detectors(struct pw_policy *p, const char *cache_dir, unsigned flags,
                           struct pw_error *err) {
        if ((flags & PW_POLICY_NO_COMPILE) || p->n_detector_names == 0)
                return 0;
#ifdef PW_HAVE_DETECTORS
        struct pw_error derr = {0};
        int r = pw_detectors_new_cached((const char *const *)p->detector_names, p->n_detector_names,
                                        cache_dir, &p->detectors, &derr);
        if (r < 0)
                pw_error_set(err, p->name, 0, 0, NULL, "detectors: %s", derr.text);
        return r;
#else
        (void)err;
        (void)cache_dir;
        return 0;
#endif
}

int pw_policy_load_buffer(const char *json, size_t len, const char *name, const char *base_dir,
                          const char *cache_dir, unsigned flags, struct pw_policy **ret,
                          struct pw_error *err) {
        if (!json || !ret || !name)
                return -EINVAL;
        if (len > PW_POLICY_MAX_FILE) {
                pw_error_set(err, name, 0, 0, NULL, "policy larger than %u bytes",
                             PW_POLICY_MAX_FILE);
                return -EFBIG;
        }
        if (sodium_init() < 0)
                return -EIO;
        json_error_t je;
        json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
        if (!root) {
                pw_error_set(err, name, je.line, je.column, NULL, "%s", je.text);
                return -EINVAL;
        }
        struct pw_policy *p = calloc(1, sizeof *p);
        if (!p) {
                json_decref(root);
                return -ENOMEM;
        }
        /* nettle's SHA-256 uses the CPU's SHA extensions where present (libsodium's is portable
         * C, 3.7x slower here): this hash covers megabytes of term lists at every start */
        struct sha256_ctx hs;
        sha256_init(&hs);
        static const char domain[] = "postwarden-policy-v1";
        sha256_update(&hs, sizeof domain, (const uint8_t *)domain);
        uint64_t n64 = len;
        sha256_update(&hs, sizeof n64, (const uint8_t *)&n64);
        sha256_update(&hs, len, (const uint8_t *)json);
        struct vctx c = {.name = name,
                         .text = json,
                         .len = len,
                         .base_dir = base_dir,
                         .flags = flags,
                         .err = err,
                         .hash = &hs};
        int r = (p->name = strdup(name)) ? load_root(&c, p, root) : -ENOMEM;
        json_decref(root);
        sha256_digest(&hs, SHA256_DIGEST_SIZE, p->hash);
        sodium_bin2hex(p->id, sizeof p->id, p->hash, (sizeof p->id - 1) / 2);
        struct pw_src src = {name, json, len};
        if (r == 0)
                r = pw_matcher_build(p, &src, cache_dir, flags, err);
        if (r == 0)
                r = build_detectors(p, cache_dir, flags, err);
        if (r < 0) {
                if (r == -ENOMEM)
                        pw_error_set(err, name, 0, 0, NULL, "out of memory");
                pw_policy_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

int pw_policy_load(const char *path, const char *cache_dir, unsigned flags, struct pw_policy **ret,
                   struct pw_error *err) {
        if (!path || !ret)
                return -EINVAL;
        char *buf;
        size_t len;
        int r = pw_read_file(path, PW_POLICY_MAX_FILE, &buf, &len);
        if (r < 0) {
                pw_error_set(err, path, 0, 0, NULL, "cannot read the policy: %s", strerror(-r));
                return r;
        }
        char *dir = strdup(path);
        if (!dir) {
                free(buf);
                return -ENOMEM;
        }
        char *slash = strrchr(dir, '/');
        if (!slash)
                strcpy(dir, ".");
        else if (slash == dir)
                dir[1] = '\0';
        else
                *slash = '\0';
        r = pw_policy_load_buffer(buf, len, path, dir, cache_dir, flags, ret, err);
        free(dir);
        free(buf);
        return r;
}

int pw_strv_error(const struct pw_src *src, const struct pw_strv *v, size_t i, const char *rule,
                  struct pw_error *err, const char *fmt, ...) {
        char text[sizeof err->text];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        if (i < v->n_inline && v->path_len) {
                /* an inline string: its place in the policy file */
                size_t path[9];
                memcpy(path, v->path, v->path_len * sizeof *path);
                path[v->path_len] = v->where[i];
                int line = 0, column = 0;
                pw_json_locate(src->text, src->len, path, v->path_len + 1, false, &line, &column);
                pw_error_set(err, src->name, line, column, rule, "%s", text);
        } else if (i >= v->n_inline && v->file) {
                pw_error_set(err, v->file, (int)v->where[i], 1, rule, "%s", text);
        } else {
                pw_error_set(err, src->name, 0, 0, rule, "%s", text);
        }
        return -EINVAL;
}

static void rule_done(struct pw_rule *r) {
        free(r->id);
        free(r->category);
        free(r->message);
        free(r->lists);
        pw_strv_done(&r->regexes);
        free_string_list(r->detectors);
        pw_strv_done(&r->terms);
        pw_strv_done(&r->context);
}

struct pw_policy *pw_policy_free(struct pw_policy *p) {
        if (!p)
                return NULL;
        pw_matcher_free(p->matcher);
#ifdef PW_HAVE_DETECTORS
        pw_detectors_free(p->detectors);
#endif
        for (size_t i = 0; i < p->n_lists; i++) {
                free(p->lists[i].name);
                free(p->lists[i].file);
                free(p->lists[i].raw);
                pw_strv_done(&p->lists[i].terms);
        }
        free(p->lists);
        for (size_t i = 0; i < p->n_rules; i++)
                rule_done(&p->rules[i]);
        free(p->rules);
        rule_done(&p->account_rule);
        for (size_t i = 0; i < p->n_exceptions; i++) {
                pw_strv_done(&p->exceptions[i].terms);
                free(p->exceptions[i].rules);
        }
        free(p->exceptions);
        for (size_t i = 0; i < p->n_accounts; i++) {
                struct pw_account *a = &p->accounts[i];
                free(a->name);
                free(a->site);
                free(a->handle);
                free(a->id);
                free_string_list(a->users);
                free_string_list(a->groups);
        }
        free(p->accounts);
        free(p->detector_names); /* the names themselves belong to the rules */
        free(p->company);
        free(p->name);
        free(p);
        return NULL;
}

const char *pw_policy_id(const struct pw_policy *p) {
        return p ? p->id : NULL;
}

int pw_policy_retention_days(const struct pw_policy *p) {
        return p && p->retention_days > 0 ? p->retention_days : PW_POLICY_RETENTION_DEFAULT;
}

int pw_policy_keep_personal_findings(const struct pw_policy *p) {
        return p ? p->keep_personal_findings : 0;
}

const char *const *pw_policy_detectors(const struct pw_policy *p) {
        return p ? (const char *const *)p->detector_names : NULL;
}

bool pw_detector_known(const char *name) {
#ifdef PW_HAVE_DETECTORS
        for (const char *const *d = pw_detector_names(); d && *d; d++)
                if (!strcmp(*d, name))
                        return true;
        return false;
#else
        /* until the detectors are built in: the names issue 5 promises */
        static const char *const names[] = {"credit_card",
                                            "iban",
                                            "email",
                                            "phone",
                                            "us_ssn",
                                            "ip_address",
                                            "url",
                                            "mac_address",
                                            "crypto",
                                            "aws_key",
                                            "github_token",
                                            "slack_token",
                                            "google_api_key",
                                            "stripe_key",
                                            "private_key",
                                            "jwt",
                                            "generic_api_key",
                                            "other_secret",
                                            NULL};
        for (const char *const *d = names; *d; d++)
                if (!strcmp(*d, name))
                        return true;
        return false;
#endif
}
