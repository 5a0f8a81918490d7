/* libFuzzer target over the built-in detectors: the whole scan (every detector on) and each
 * validator on raw bytes. The first input byte picks the mode; the rest is the text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect_internal.h"
#include "postwarden/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks what the API promises of each detection: a span inside the text, in end order, a
 * confidence in range and a NUL-terminated excerpt. */
struct expect {
        size_t len;
        uint32_t last_end;
};

static int on_detection(const struct pw_detection *d, void *userdata) {
        struct expect *x = userdata;
        if (d->byte_start >= d->byte_end || d->byte_end > x->len || d->byte_end < x->last_end ||
            d->confidence < 0 || d->confidence > 100 || !memchr(d->excerpt, '\0', sizeof d->excerpt))
                abort();
        x->last_end = d->byte_end;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* Built once per process, as the engine does; the harness is the only place with a
         * static detector set. */
        static struct pw_detectors *d;
        if (!d && pw_detectors_new(NULL, 0, &d, NULL) < 0)
                abort();
        if (size == 0)
                return 0;
        const char *t = (const char *)data + 1;
        size_t n = size - 1;
        switch (data[0] % 4) {
        case 0:
        case 1: {
                struct expect x = {n, 0};
                if (pw_detectors_scan(d, t, n, on_detection, &x) < 0)
                        abort();
                break;
        }
        case 2: {
                char digits[64];
                int nd = det_digits(t, n, digits, sizeof digits);
                if (nd > 0) {
                        (void)det_luhn(digits, (size_t)nd);
                        (void)det_verhoeff(digits, (size_t)nd);
                }
                (void)det_mod97(t, n);
                if (n <= 64) {
                        (void)det_iban_valid(t, n);
                        uint8_t ver;
                        size_t pl;
                        (void)det_base58check(t, n, &ver, &pl);
                }
                size_t hrp;
                (void)det_bech32(t, n, &hrp);
                if (n >= 36)
                        (void)det_github_crc(t, 36);
                if (n >= 2)
                        (void)det_iban_length(t);
                break;
        }
        default: {
                (void)det_jwt_valid(t, n);
                (void)det_placeholder(t, n);
                (void)det_entropy(t, n);
                unsigned char out[256];
                (void)det_b64url_decode(t, n, out, sizeof out);
                if (n > 0) {
                        char ex[96];
                        for (int m = 0; m <= DET_MASK_HEADER; m++) {
                                det_mask_excerpt(t, 0, n, (enum det_mask)m, ex);
                                if (!memchr(ex, '\0', sizeof ex))
                                        abort();
                        }
                }
                break;
        }
        }
        return 0;
}
