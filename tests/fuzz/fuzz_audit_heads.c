/* Fuzz target: what `postwardenctl audit verify --heads FILE` reads from a syslog collector
 * (cli/audit_heads.c), and the --since/--until values it parses (cli/audit_util.c). Both are
 * untrusted text; they must give heads or errors, never a crash, a leak or an unsorted result. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit_heads.h"
#include "audit_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct pw_cli_heads h = {0};
        /* Any host, and one host: the filter must not change what is well-formed. */
        if (pw_cli_heads_parse((const char *)data, size, NULL, &h) == 0) {
                for (size_t i = 1; i < h.n; i++)
                        if (h.v[i - 1].seq > h.v[i].seq)
                                abort();
                for (size_t i = 0; i < h.n; i++)
                        if (h.v[i].seq < 1 || strlen(h.v[i].hex) != 64)
                                abort();
        }
        size_t all = h.n;
        pw_cli_heads_free(&h);
        if (pw_cli_heads_parse((const char *)data, size, "ws-test", &h) == 0 && h.n > all)
                abort();
        pw_cli_heads_free(&h);

        /* The first line as a time argument. */
        char buf[128];
        size_t n = size < sizeof buf - 1 ? size : sizeof buf - 1;
        memcpy(buf, data, n);
        buf[n] = '\0';
        char *nl = strchr(buf, '\n');
        if (nl)
                *nl = '\0';
        int64_t us = 0;
        struct pw_error err;
        if (pw_cli_time_parse(buf, 1793606400000000LL, &us, &err) == 0) {
                char out[PW_CLI_TIME_MAX];
                pw_cli_time_format(us, true, out);
        }
        char *e = pw_cli_escape(buf);
        free(e);
        return 0;
}
