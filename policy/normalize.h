/* Normalisation for matching (internal to libpostwarden-policy).
 *
 * The engine scans a normalised copy of the text, never the text itself, so the easy evasions
 * (case, full-width letters, ligatures, zero-width and bidi controls, odd spaces, Cyrillic
 * look-alikes) do not hide a term; every match in a view maps back to the original text exactly.
 * Design, decisions and measurements: docs/normalisation.md.
 *
 * Views (bit flags, both produced from one pass over the input):
 *   PW_NORM_FOLD      NFKC_Casefold (ICU unorm2), Default_Ignorable_Code_Point removed, every
 *                     run of White_Space (after folding) collapsed to one ASCII space.
 *   PW_NORM_SKELETON  the ICU uspoof skeleton of the FOLD view, taken per code point of the
 *                     FOLD view (so it is the skeleton of the case-folded text: "Асme" and
 *                     "ACME" both give the skeleton of "acme"). Asking for it computes FOLD too.
 *
 * Input: UTF-8 bytes, not NUL-terminated, may contain NUL, at most PW_NORM_MAX_INPUT bytes.
 * A normalisation segment longer than 32 code points (a base with dozens of combining marks) is
 * normalised in pieces, as the Stream-Safe Text Format does; the map stays exact.
 * Invalid UTF-8 is read as U+FFFD, one per maximal ill-formed subsequence (as policy.h says),
 * which is one code point and one UTF-16 unit covering those bytes. Output views are always
 * valid UTF-8 (they may contain NUL when the input does).
 *
 * Offsets: a view offset is a byte offset in that view's buffer. pw_norm_map() turns an output
 * span [s, e) into the smallest span of the original text that covers every source character
 * of output bytes s..e-1, in bytes, code points and UTF-16 units. A match that starts or ends
 * inside the expansion of one source character (ﬁ -> "fi", ß -> "ss") covers that whole
 * character; a removed character (ZWJ) inside a match is covered, one just outside is not.
 *
 * Threads: a struct pw_norm is one thread's scratch space (buffers, a cache, its own spoof
 * checker); use one per thread. There are no mutable globals besides ICU's own singletons.
 *
 * Memory: the view buffers are owned by the struct pw_norm and are valid until the next
 * pw_norm_run(), pw_norm_term(), pw_norm_wipe() or pw_norm_free() on it. They hold draft text:
 * pw_norm_wipe() and pw_norm_free() erase them (explicit_bzero). */
#ifndef POSTWARDEN_POLICY_NORMALIZE_H
#define POSTWARDEN_POLICY_NORMALIZE_H

#include <stddef.h>

#include "postwarden/policy.h"

enum {
        PW_NORM_FOLD = 1 << 0,     /* NFKC_Casefold, ignorables removed, spaces collapsed */
        PW_NORM_SKELETON = 1 << 1, /* uspoof skeleton of the FOLD view, per code point */
};

#define PW_NORM_MAX_INPUT ((size_t)16 << 20) /* bytes; more gives -EINVAL */

struct pw_norm; /* opaque; one per thread */

/* Makes a normaliser (opens ICU's NFKC_Casefold instance and a spoof checker). Returns NULL
 * when out of memory or when ICU's data cannot be loaded. */
struct pw_norm *pw_norm_new(void);

/* Wipes and frees a normaliser; accepts NULL; returns NULL. */
struct pw_norm *pw_norm_free(struct pw_norm *n);

/* Normalises `text` (`len` bytes; `text` may be NULL when len is 0) into the views in `views`
 * (PW_NORM_FOLD and/or PW_NORM_SKELETON; 0 means PW_NORM_FOLD). Replaces the previous run's
 * views. Returns 0, -EINVAL (len > PW_NORM_MAX_INPUT, unknown view bits), -ENOMEM, or -EIO
 * (ICU failed). On failure no view is available until the next successful run. */
int pw_norm_run(struct pw_norm *n, const char *text, size_t len, unsigned views);

/* Borrows one view of the last run: *ret_buf (valid UTF-8, not NUL-terminated; non-NULL even
 * when empty) and *ret_len. `view` is exactly one of PW_NORM_FOLD, PW_NORM_SKELETON. Returns 0,
 * or -EINVAL when that view was not produced by the last successful run (outputs untouched). */
int pw_norm_view(const struct pw_norm *n, unsigned view, const char **ret_buf, size_t *ret_len);

/* Maps the view span [out_start, out_end) of the last run to the original text. out_start ==
 * out_end gives an empty span at the source position of that offset. Returns 0, or -EINVAL
 * (view not produced, out_start > out_end, out_end > view length; *ret untouched). */
int pw_norm_map(const struct pw_norm *n, unsigned view, size_t out_start, size_t out_end,
                struct pw_span *ret);

/* Whether view offset `offset` of the last run is a word boundary, for whole-word matching:
 * 1 or 0, or -EINVAL (view not produced, offset > length). A match [s, e) is a whole word when
 * both s and e are boundaries. Word characters are ICU's \w (Alphabetic, Mark, Decimal_Number,
 * Connector_Punctuation, Join_Control); an offset is a boundary at either end of the view, or
 * when a neighbour is not a word character, or when a neighbour belongs to a script written
 * without spaces (Line_Break ID, CJ or SA: Han, kana, Thai, Lao, Khmer, Myanmar...), except
 * never before a combining mark and never inside a UTF-8 sequence. */
int pw_norm_is_word_boundary(const struct pw_norm *n, unsigned view, size_t offset);

/* Normalises a policy term exactly as texts are normalised (it is pw_norm_run() on the term)
 * and returns a new NUL-terminated copy of view `view` in *ret (the caller frees it) and its
 * length (which excludes the NUL; the term itself may contain NUL) in *ret_len. A term that
 * normalises to "" (only ignorables) gives 0 and an empty string: the caller should refuse it.
 * Replaces the last run's views. Returns 0, -EINVAL, -ENOMEM or -EIO; outputs untouched then. */
int pw_norm_term(struct pw_norm *n, const char *term, size_t len, unsigned view, char **ret,
                 size_t *ret_len);

/* Erases the views of the last run (explicit_bzero); no view is available afterwards. */
void pw_norm_wipe(struct pw_norm *n);

#endif
