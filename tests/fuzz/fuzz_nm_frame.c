/* libFuzzer target: postwarden-host's frame reader and message dispatch.
 *
 * The first byte picks the path: odd, the rest is one frame's payload handed to dispatch;
 * even, the rest is a byte stream served frame by frame, as stdin would be. Replies go to
 * /dev/null. The host runs standalone with a small policy when PW_FUZZ_POLICY names one, and in
 * relay mode (service unreachable) otherwise. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "postwarden/nmhost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One host for the whole run, as one browser session has; its cache sees every input. */
static struct pw_nm_host *host;
static int devnull = -1;

static void init(void) {
        struct pw_nm_host_options o = {
                .policy_path = getenv("PW_FUZZ_POLICY"),
                .socket_path = "/nonexistent/postwarden-fuzz.sock",
                .timeout_ms = 10,
                .cache_entries = 8,
                .caller = "abcdefghijklmnopabcdefghijklmnop",
        };
        if (pw_nm_host_new(&o, &host, NULL) < 0)
                abort();
        devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (devnull < 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (!host)
                init();
        if (size < 1)
                return 0;
        if (data[0] & 1) {
                char *reply = NULL;
                size_t len = 0;
                if (pw_nm_host_handle(host, (const char *)data + 1, size - 1, &reply, &len) == 0) {
                        if (len > PW_NM_REPLY_MAX || !reply)
                                abort();
                        pw_nm_reply_free(reply, len);
                }
                return 0;
        }
        struct pw_nm_reader *r;
        if (pw_nm_reader_new_mem(data + 1, size - 1, 4096, &r) < 0)
                return 0;
        (void)pw_nm_serve(host, r, devnull);
        pw_nm_reader_free(r);
        return 0;
}
