/* Fuzz target: normalisation of arbitrary bytes (policy/normalize.c).
 *
 * Not just "does not crash": every run is checked against the invariants of
 * tests/unit/normalize_invariants.h (in-bounds, monotonic maps that agree in bytes, code points
 * and UTF-16; ignorables only in the gaps; the fold equal to whole-text NFKC_Casefold; the
 * skeleton equal to per-code-point skeletons; the fold-only fast path equal to the full path).
 * A violation aborts, which libFuzzer reports as a crash with the input saved. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../unit/normalize_invariants.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* One normaliser for the whole process, as each engine thread keeps one. */
        static struct pw_norm *n;
        if (!n && !(n = pw_norm_new()))
                abort();
        if (size > 4096)
                return 0; /* the checks are quadratic in places; big inputs add nothing */
        const char *bad = inv_check_all(n, (const char *)data, size);
        if (bad) {
                fprintf(stderr, "fuzz_normalize: invariant violated: %s\n", bad);
                abort();
        }
        return 0;
}
