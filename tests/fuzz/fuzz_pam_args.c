/* libFuzzer target: the option parser of pam_postwarden.so (pam/args.c).
 *
 * The input is split at newlines into PAM arguments (at most 32); its last line is also used as a
 * PAM service name for the skip= matcher. The parser must never crash, read out of bounds or hand
 * back a value that breaks its own contract. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Counts complaints; each must name a word and a reason. */
static void count(void *userdata, const char *arg, const char *why) {
        if (!arg || !why)
                abort();
        (*(int *)userdata)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *buf = malloc(size + 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = '\0';

        const char *argv[32];
        int argc = 0;
        char *line = buf;
        for (char *p = buf; argc < 32; p++) {
                if (*p == '\n' || *p == '\0') {
                        int end = *p == '\0';
                        *p = '\0';
                        argv[argc++] = line;
                        line = p + 1;
                        if (end)
                                break;
                }
        }

        struct pw_pam_args a;
        int complaints = 0;
        int ignored = pw_pam_args_parse(argc, argv, &a, count, &complaints);
        if (ignored != complaints || ignored < 0 || ignored > argc)
                abort();
        if (a.timeout_ms < 1 || a.timeout_ms > PW_PAM_TIMEOUT_MS_MAX)
                abort();
        if (!a.socket_path || a.socket_path[0] != '/' ||
            strlen(a.socket_path) > PW_PAM_SOCKET_PATH_MAX || !a.skip)
                abort();
        (void)pw_pam_args_skips(&a, argv[argc - 1]);
        (void)pw_pam_args_skips(&a, "cron");
        free(buf);
        return 0;
}
