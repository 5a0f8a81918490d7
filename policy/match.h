/* The matcher's per-thread scanning interface, used by verdict.c: see match.c. */
#ifndef POSTWARDEN_MATCH_H
#define POSTWARDEN_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include <hs.h>

#include "policy_internal.h"

#define PW_HITS_PER_OWNER 4096u /* hits kept per rule and kind; more are counted as one */

/* One hit in a normalised view; map it with pw_norm_map(worker->norm, view, ...). */
struct pw_hit {
        uint32_t owner; /* (index << 2) | enum pw_owner_kind */
        uint32_t view;  /* PW_NORM_SKELETON or PW_NORM_FOLD */
        uint32_t start; /* [start, end) in that view */
        uint32_t end;   /* (exclusive) */
};

/* One thread's scanning state, taken from the policy's pool for one check. */
struct pw_worker {
        struct pw_norm *norm;    /* normaliser; its views hold the last text */
        hs_scratch_t *scratch;   /* vectorscan scratch for both databases */
        struct pw_hit *hits;     /* hits of the last scan, in report order */
        size_t n_hits, cap_hits; /* used and allocated entries of hits */
        uint32_t n_slots;        /* owner values: size of the arrays below */
        int32_t *last;           /* per owner: index in hits of its latest hit */
        uint32_t *stored;        /* per owner: hits stored in this scan */
        uint32_t *touched;       /* owners with hits in this scan */
        size_t n_touched;        /* used entries of touched */
        struct pw_worker *next;  /* in the idle pool */
};

/* Takes an idle worker (or makes one); NULL when out of memory. */
struct pw_worker *pw_matcher_acquire(const struct pw_policy *p);

/* Wipes the worker's text and returns it to the pool. */
void pw_matcher_release(const struct pw_policy *p, struct pw_worker *w);

struct pw_worker *pw_worker_free(struct pw_worker *w);

/* Normalises `text` and scans it; hits of rules that apply in `modes` (PW_MODEBIT_*) end up in
 * w->hits. Returns 0, -EINVAL (text too long), -ENOMEM, -EIO. */
int pw_matcher_scan(const struct pw_policy *p, struct pw_worker *w, const char *text, size_t len,
                    unsigned modes);

#endif
