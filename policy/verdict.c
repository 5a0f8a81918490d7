/* Verdicts: who is posting as which account, what the rules found, and the strictest action.
 *
 * The order of a check: resolve the acting account (company account? authorised?) and so the
 * mode; scan the normalised text (match.c) and the original text (built-in detectors); per
 * rule, map hits back to the original text, drop those inside an allow-term of an exception,
 * keep those with a context word near enough, and fire when at least min_count remain. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unicode/utf8.h>

#include "match.h"
#include "normalize.h"
#include "policy_internal.h"

#define MAX_FINDINGS   1000u /* findings listed in one verdict; the action counts them all */
#define MAX_DETECTIONS 4096u /* detector results kept per check */

/* The verdict with the strings it owns (detector categories, account excerpts). */
struct verdict_box {
        struct pw_verdict v; /* what the caller sees; first member */
        size_t cap;          /* findings allocated */
};

/* ---- offsets in the original text ----------------------------------------------------------- */

/* One span end to place: see fill_units(). */
struct mark {
        uint32_t off;      /* byte offset as given */
        bool end;          /* an end (snaps forward) rather than a start (snaps back) */
        struct pw_span *s; /* the span it belongs to */
};

static int cmp_mark(const void *a, const void *b) {
        const struct mark *x = a, *y = b;
        return x->off < y->off ? -1 : x->off > y->off;
}

/* Fills the code-point and UTF-16 parts of spans whose byte parts are set, in one pass over
 * `text` (invalid UTF-8 counts as U+FFFD per maximal subpart, as the normaliser does). A byte
 * offset inside a character snaps outward: a start to its first byte, an end past its last. */
static int fill_units(const char *text, size_t len, struct pw_span *spans, size_t n) {
        struct mark *m = malloc(2 * n * sizeof *m);
        if (!m)
                return -ENOMEM;
        for (size_t k = 0; k < n; k++) {
                m[2 * k] = (struct mark){spans[k].byte_start, false, &spans[k]};
                m[2 * k + 1] = (struct mark){spans[k].byte_end, true, &spans[k]};
        }
        qsort(m, 2 * n, sizeof *m, cmp_mark);
        int32_t a = 0, next = 0;
        uint32_t cp = 0, u16 = 0, units = 0;
        bool have_next = false; /* next/units describe the character at a */
        for (size_t k = 0; k < 2 * n; k++) {
                for (;;) {
                        if ((size_t)a >= len) {
                                have_next = false;
                                break;
                        }
                        if (!have_next) {
                                UChar32 c;
                                next = a;
                                U8_NEXT(text, next, (int32_t)len, c);
                                units = c > 0xFFFF ? 2 : 1;
                                have_next = true;
                        }
                        if ((uint32_t)next > m[k].off)
                                break;
                        a = next;
                        cp++;
                        u16 += units;
                        have_next = false;
                }
                struct pw_span *s = m[k].s;
                bool inside = have_next && (uint32_t)a < m[k].off;
                if (!m[k].end) {
                        s->byte_start = (uint32_t)a;
                        s->cp_start = cp;
                        s->u16_start = u16;
                } else if (inside) {
                        s->byte_end = (uint32_t)next;
                        s->cp_end = cp + 1;
                        s->u16_end = u16 + units;
                } else {
                        s->byte_end = (uint32_t)a;
                        s->cp_end = cp;
                        s->u16_end = u16;
                }
        }
        free(m);
        return 0;
}

/* A masked excerpt of text[start, end): the first character, then one '*' per further
 * character (at most 24), so the employee recognises the place without the full value. */
static void mask_excerpt(const char *text, size_t start, size_t end, char *out, size_t size) {
        size_t o = 0;
        int32_t i = (int32_t)start;
        UChar32 c;
        U8_NEXT(text, i, (int32_t)end, c);
        if (c < 0 || c < 0x20 || (c >= 0x7F && c < 0xA0) || (c >= 0x200B && c <= 0x206F) ||
            c == 0xFEFF) {
                /* an unreadable or invisible first character is masked too */
                out[o++] = '*';
        } else {
                int32_t n = i - (int32_t)start;
                memcpy(out, text + start, (size_t)n);
                o = (size_t)n;
        }
        unsigned stars = 0;
        while ((size_t)i < end && o + 4 < size) {
                U8_NEXT(text, i, (int32_t)end, c);
                if (stars++ >= 24) {
                        memcpy(out + o, "...", 3);
                        o += 3;
                        break;
                }
                out[o++] = '*';
        }
        out[o] = '\0';
}

/* Copies `s` as valid UTF-8 (ill-formed bytes dropped), at most size-1 bytes. */
static void copy_utf8(const char *s, char *out, size_t size) {
        size_t o = 0;
        int32_t i = 0, n = (int32_t)strlen(s);
        while (i < n) {
                int32_t at = i;
                UChar32 c;
                U8_NEXT(s, i, n, c);
                if (c < 0x20 || o + (size_t)(i - at) >= size)
                        continue;
                memcpy(out + o, s + at, (size_t)(i - at));
                o += (size_t)(i - at);
        }
        out[o] = '\0';
}

/* ---- accounts ------------------------------------------------------------------------------- */

static const char *site_key(const char *s) {
        return strncasecmp(s, "www.", 4) ? s : s + 4;
}

static const char *handle_key(const char *h) {
        return h[0] == '@' ? h + 1 : h;
}

static bool in_list(char *const *list, const char *s) {
        for (; s && list && *list; list++)
                if (!strcmp(*list, s))
                        return true;
        return false;
}

/* Decides the mode and the company-account facts of `in`. */
static void resolve_account(const struct pw_policy *p, const struct pw_check_input *in,
                            struct pw_verdict *v) {
        bool site_has_accounts = false;
        const struct pw_account *acting = NULL;
        for (size_t i = 0; in->site && i < p->n_accounts; i++) {
                const struct pw_account *a = &p->accounts[i];
                if (strcasecmp(site_key(a->site), site_key(in->site)))
                        continue;
                site_has_accounts = true;
                bool by_id = a->id && in->account_id && !strcmp(a->id, in->account_id);
                bool by_handle = in->account_handle &&
                                 !strcasecmp(handle_key(a->handle), handle_key(in->account_handle));
                /* a stable id that disagrees wins over a matching handle (renamed accounts) */
                if (by_id || (by_handle && !(a->id && in->account_id)))
                        acting = acting ? acting : a;
        }
        if (acting) {
                v->company_account = 1;
                v->account_name = acting->name;
                v->authorised = in_list(acting->users, in->user);
                for (const char *const *g = in->groups; !v->authorised && g && *g; g++)
                        v->authorised = in_list(acting->groups, *g);
                v->mode = PW_MODE_BUSINESS;
        } else if (!in->site || (site_has_accounts && !in->account_handle && !in->account_id)) {
                v->mode = PW_MODE_UNKNOWN;
        } else {
                v->mode = PW_MODE_PERSONAL;
        }
        if (in->mode)
                v->mode = in->mode;
}

/* ---- findings ------------------------------------------------------------------------------- */

static struct pw_finding *new_finding(struct verdict_box *b) {
        struct pw_verdict *v = &b->v;
        if (v->n_findings == b->cap) {
                size_t n = b->cap ? b->cap * 2 : 8;
                struct pw_finding *f = realloc(v->findings, n * sizeof *f);
                if (!f)
                        return NULL;
                v->findings = f;
                b->cap = n;
        }
        struct pw_finding *f = &v->findings[v->n_findings++];
        memset(f, 0, sizeof *f);
        return f;
}

/* A candidate finding of one rule, in the original text. */
struct cand {
        struct pw_span span;            /* where */
        const struct pw_detection *det; /* the detection, or NULL for terms and regexes */
        bool drop;                      /* excluded by an exception or missing context */
};

struct cands {
        struct cand *v; /* candidates */
        size_t n, cap;  /* used and allocated entries */
};

static int cand_add(struct cands *c, const struct pw_span *s, const struct pw_detection *d) {
        if (c->n == c->cap) {
                size_t n = c->cap ? c->cap * 2 : 16;
                struct cand *v = realloc(c->v, n * sizeof *v);
                if (!v)
                        return -ENOMEM;
                c->v = v;
                c->cap = n;
        }
        c->v[c->n++] = (struct cand){*s, d, false};
        return 0;
}

/* Detections of the built-in detectors over the original text. */
struct detections {
        struct pw_detection *v; /* as the detectors reported them */
        struct pw_span *span;   /* v[i]'s span in all three units */
        size_t n, cap;          /* used and allocated entries of v */
        int err;                /* -ENOMEM when one could not be kept */
};

static int on_detection(const struct pw_detection *d, void *userdata) {
        struct detections *ds = userdata;
        if (ds->n >= MAX_DETECTIONS)
                return 1;
        if (ds->n == ds->cap) {
                size_t n = ds->cap ? ds->cap * 2 : 16;
                struct pw_detection *v = realloc(ds->v, n * sizeof *v);
                if (!v) {
                        ds->err = -ENOMEM;
                        return 1;
                }
                ds->v = v;
                ds->cap = n;
        }
        ds->v[ds->n++] = *d;
        return 0;
}

/* The owner's hits, after sorting w->hits by owner: [*ret_first, *ret_first + n). */
static size_t owner_hits(const struct pw_worker *w, uint32_t owner, size_t *ret_first) {
        size_t lo = 0, hi = w->n_hits;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (w->hits[mid].owner < owner)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        size_t n = 0;
        while (lo + n < w->n_hits && w->hits[lo + n].owner == owner)
                n++;
        *ret_first = lo;
        return n;
}

static int cmp_hit(const void *a, const void *b) {
        const struct pw_hit *x = a, *y = b;
        if (x->owner != y->owner)
                return x->owner < y->owner ? -1 : 1;
        return x->start < y->start ? -1 : x->start > y->start;
}

/* Maps the owner's hits to original spans, appended to `out`. */
static int owner_spans(const struct pw_worker *w, uint32_t owner, struct cands *out) {
        size_t first, n = owner_hits(w, owner, &first);
        for (size_t i = first; i < first + n; i++) {
                struct pw_span s;
                if (pw_norm_map(w->norm, w->hits[i].view, w->hits[i].start, w->hits[i].end, &s) < 0)
                        return -EIO;
                int r = cand_add(out, &s, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

static uint32_t gap_cp(const struct pw_span *a, const struct pw_span *b) {
        if (b->cp_start >= a->cp_end)
                return b->cp_start - a->cp_end;
        if (a->cp_start >= b->cp_end)
                return a->cp_start - b->cp_end;
        return 0;
}

static bool exception_applies(const struct pw_exception *e, size_t rule) {
        if (e->n_rules == 0)
                return true;
        for (size_t i = 0; i < e->n_rules; i++)
                if (e->rules[i] == rule)
                        return true;
        return false;
}

static bool rule_has_detector(const struct pw_rule *r, const char *name) {
        for (size_t i = 0; i < r->n_detectors; i++)
                if (!strcmp(r->detectors[i], name))
                        return true;
        return false;
}

static int cmp_cand(const void *a, const void *b) {
        const struct cand *x = a, *y = b;
        if (x->span.byte_start != y->span.byte_start)
                return x->span.byte_start < y->span.byte_start ? -1 : 1;
        return x->span.byte_end < y->span.byte_end ? -1 : x->span.byte_end > y->span.byte_end;
}

/* Evaluates rule `ri` from the scan and the detections, adding its findings to the verdict. */
static int eval_rule(const struct pw_policy *p, size_t ri, const struct pw_worker *w,
                     const struct detections *ds, const char *text, struct verdict_box *b,
                     struct cands *c, struct cands *aux) {
        const struct pw_rule *r = &p->rules[ri];
        uint32_t idx = (uint32_t)ri;
        c->n = 0;
        int e;
        if ((e = owner_spans(w, idx << 2 | PW_OWN_TERM, c)) < 0 ||
            (e = owner_spans(w, idx << 2 | PW_OWN_REGEX, c)) < 0)
                return e;
        /* terms and regexes of one rule that overlap are one finding */
        if (c->n > 1)
                qsort(c->v, c->n, sizeof *c->v, cmp_cand);
        size_t u = 0;
        for (size_t i = 0; i < c->n; i++) {
                if (u && c->v[i].span.byte_start < c->v[u - 1].span.byte_end) {
                        struct pw_span *s = &c->v[u - 1].span;
                        if (c->v[i].span.byte_end > s->byte_end) {
                                s->byte_end = c->v[i].span.byte_end;
                                s->cp_end = c->v[i].span.cp_end;
                                s->u16_end = c->v[i].span.u16_end;
                        }
                } else {
                        c->v[u++] = c->v[i];
                }
        }
        c->n = u;
        for (size_t i = 0; i < ds->n; i++)
                if (rule_has_detector(r, ds->v[i].detector) &&
                    ds->v[i].confidence >= r->min_confidence &&
                    (e = cand_add(c, &ds->span[i], &ds->v[i])) < 0)
                        return e;
        if (c->n == 0)
                return 0;
        /* exceptions: a candidate inside an allow-term's span is not a finding */
        for (size_t x = 0; x < p->n_exceptions; x++) {
                if (!exception_applies(&p->exceptions[x], ri))
                        continue;
                aux->n = 0;
                if ((e = owner_spans(w, (uint32_t)x << 2 | PW_OWN_ALLOW, aux)) < 0)
                        return e;
                for (size_t i = 0; i < c->n; i++)
                        for (size_t a = 0; a < aux->n && !c->v[i].drop; a++)
                                if (aux->v[a].span.byte_start <= c->v[i].span.byte_start &&
                                    c->v[i].span.byte_end <= aux->v[a].span.byte_end)
                                        c->v[i].drop = true;
        }
        /* context: a context word within the distance */
        if (r->n_context) {
                aux->n = 0;
                if ((e = owner_spans(w, idx << 2 | PW_OWN_CONTEXT, aux)) < 0)
                        return e;
                for (size_t i = 0; i < c->n; i++) {
                        bool near = false;
                        for (size_t a = 0; a < aux->n && !near; a++)
                                near = gap_cp(&c->v[i].span, &aux->v[a].span) <=
                                       r->context_distance;
                        if (!near)
                                c->v[i].drop = true;
                }
        }
        size_t kept = 0;
        for (size_t i = 0; i < c->n; i++)
                kept += !c->v[i].drop;
        if (kept < r->min_count)
                return 0;
        for (size_t i = 0; i < c->n; i++) {
                if (c->v[i].drop)
                        continue;
                struct pw_finding *f = new_finding(b);
                if (!f)
                        return -ENOMEM;
                const struct pw_detection *d = c->v[i].det;
                f->rule_id = r->id;
                f->category = r->category;
                f->message = r->message;
                f->action = r->action;
                f->overridable = r->overridable;
                f->span = c->v[i].span;
                if (d) {
                        /* the detector's category (e.g. "iban") says more than the rule's */
                        f->category = d->category ? d->category : r->category;
                        f->detector = d->detector;
                        f->confidence = d->confidence;
                        copy_utf8(d->excerpt, f->excerpt, sizeof f->excerpt);
                } else {
                        f->confidence = 100;
                        mask_excerpt(text, f->span.byte_start, f->span.byte_end, f->excerpt,
                                     sizeof f->excerpt);
                }
        }
        return 0;
}

static int cmp_finding(const void *a, const void *b) {
        const struct pw_finding *x = a, *y = b;
        if (x->span.byte_start != y->span.byte_start)
                return x->span.byte_start < y->span.byte_start ? -1 : 1;
        return strcmp(x->rule_id, y->rule_id);
}

/* Runs the detectors the policy uses over the original text. */
static int detect(const struct pw_policy *p, const struct pw_check_input *in,
                  struct detections *ds) {
#ifdef PW_HAVE_DETECTORS
        if (p->detectors) {
                int r = pw_detectors_scan(p->detectors, in->text ? in->text : "", in->len,
                                          on_detection, ds);
                if (ds->err < 0)
                        return ds->err;
                if (r < 0)
                        return r;
        }
#else
        (void)p;
        (void)in;
        (void)on_detection;
#endif
        if (ds->n == 0)
                return 0;
        if (!(ds->span = calloc(ds->n, sizeof *ds->span)))
                return -ENOMEM;
        for (size_t i = 0; i < ds->n; i++) {
                uint32_t s = ds->v[i].byte_start, e = ds->v[i].byte_end;
                if (e > in->len)
                        e = (uint32_t)in->len;
                ds->span[i].byte_start = s < e ? s : e;
                ds->span[i].byte_end = e;
        }
        return fill_units(in->text, in->len, ds->span, ds->n);
}

int pw_policy_check(const struct pw_policy *p, const struct pw_check_input *in,
                    struct pw_verdict **ret) {
        if (!p || !in || !ret || (!in->text && in->len) || !p->matcher)
                return -EINVAL;
        if (in->len > PW_TEXT_MAX)
                return -EINVAL;
        if (in->mode && in->mode != PW_MODE_PERSONAL && in->mode != PW_MODE_BUSINESS &&
            in->mode != PW_MODE_UNKNOWN)
                return -EINVAL;
        struct verdict_box *b = calloc(1, sizeof *b);
        if (!b)
                return -ENOMEM;
        struct pw_verdict *v = &b->v;
        resolve_account(p, in, v);
        int r = 0;
        if (v->company_account && !v->authorised) {
                struct pw_finding *f = new_finding(b);
                if (!f) {
                        r = -ENOMEM;
                } else {
                        const struct pw_rule *ar = &p->account_rule;
                        f->rule_id = ar->id;
                        f->category = ar->category;
                        f->message = ar->message;
                        f->action = PW_ACTION_BLOCK;
                        f->overridable = 0;
                        f->confidence = 100;
                        copy_utf8(in->account_handle ? in->account_handle : v->account_name,
                                  f->excerpt, sizeof f->excerpt);
                }
        }
        unsigned modes = v->mode == PW_MODE_PERSONAL   ? PW_MODEBIT_PERSONAL
                         : v->mode == PW_MODE_BUSINESS ? PW_MODEBIT_BUSINESS
                                                       : PW_MODEBIT_PERSONAL | PW_MODEBIT_BUSINESS;
        struct detections ds = {0};
        struct cands c = {0}, aux = {0};
        struct pw_worker *w = r == 0 ? pw_matcher_acquire(p) : NULL;
        if (r == 0 && !w)
                r = -ENOMEM;
        if (r == 0)
                r = pw_matcher_scan(p, w, in->text ? in->text : "", in->len, modes);
        if (r == 0)
                r = detect(p, in, &ds);
        if (r == 0) {
                if (w->n_hits > 1)
                        qsort(w->hits, w->n_hits, sizeof *w->hits, cmp_hit);
                for (size_t i = 0; r == 0 && i < p->n_rules; i++)
                        if (p->rules[i].modes & modes)
                                r = eval_rule(p, i, w, &ds, in->text, b, &c, &aux);
        }
        pw_matcher_release(p, w);
        free(c.v);
        free(aux.v);
        free(ds.v);
        free(ds.span);
        if (r < 0) {
                pw_verdict_free(v);
                return r;
        }
        /* the verdict counts every finding; the list keeps the first MAX_FINDINGS */
        v->action = PW_ACTION_ALLOW;
        v->overridable = 1;
        for (size_t i = 0; i < v->n_findings; i++) {
                const struct pw_finding *f = &v->findings[i];
                if (f->action > v->action)
                        v->action = f->action;
                if (f->action == PW_ACTION_BLOCK && !f->overridable)
                        v->overridable = 0;
        }
        if (v->n_findings > 1)
                qsort(v->findings, v->n_findings, sizeof *v->findings, cmp_finding);
        if (v->n_findings > MAX_FINDINGS)
                v->n_findings = MAX_FINDINGS;
        *ret = v;
        return 0;
}

struct pw_verdict *pw_verdict_free(struct pw_verdict *v) {
        if (!v)
                return NULL;
        struct verdict_box *b = (struct verdict_box *)v;
        if (v->findings)
                explicit_bzero(v->findings, b->cap * sizeof *v->findings);
        free(v->findings);
        free(b);
        return NULL;
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static json_t *span_json(uint32_t a, uint32_t b) {
        return json_pack("[I,I]", (json_int_t)a, (json_int_t)b);
}

json_t *pw_verdict_to_json(const struct pw_verdict *v) {
        if (!v)
                return NULL;
        json_t *arr = json_array();
        if (!arr)
                return NULL;
        for (size_t i = 0; i < v->n_findings; i++) {
                const struct pw_finding *f = &v->findings[i];
                json_t *o = json_pack(
                        "{s:s, s:s, s:s?, s:s, s:b, s:i, s:s, s:s, s:{s:o, s:o, s:o}}", "rule",
                        f->rule_id, "category", f->category, "detector", f->detector, "action",
                        pw_action_name(f->action), "overridable", f->overridable, "confidence",
                        f->confidence, "message", f->message, "excerpt", f->excerpt, "span",
                        "bytes", span_json(f->span.byte_start, f->span.byte_end), "cp",
                        span_json(f->span.cp_start, f->span.cp_end), "utf16",
                        span_json(f->span.u16_start, f->span.u16_end));
                if (!o || json_array_append_new(arr, o) < 0) {
                        json_decref(arr);
                        return NULL;
                }
        }
        return json_pack("{s:s, s:b, s:s, s:b, s:b, s:s?, s:o}", "action",
                         pw_action_name(v->action), "overridable", v->overridable, "mode",
                         pw_mode_name(v->mode), "company_account", v->company_account, "authorised",
                         v->authorised, "account", v->account_name, "findings", arr);
}
