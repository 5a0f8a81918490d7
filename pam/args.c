/* Option parsing for pam_postwarden.so: see args.h. */
#include "args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <postwarden/client.h>

/* Returns the value of `word` when it is "<key>=value", else NULL. */
static const char *value_of(const char *word, const char *key) {
        size_t n = strlen(key);
        if (strncmp(word, key, n) != 0 || word[n] != '=')
                return NULL;
        return word + n + 1;
}

/* Parses a decimal timeout in 1..PW_PAM_TIMEOUT_MS_MAX; returns 0 and *ret, or -EINVAL. */
static int parse_timeout(const char *s, int *ret) {
        if (*s < '0' || *s > '9') /* strtol would accept spaces and signs */
                return -EINVAL;
        char *end = NULL;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno != 0 || *end != '\0' || v < 1 || v > PW_PAM_TIMEOUT_MS_MAX)
                return -EINVAL;
        *ret = (int)v;
        return 0;
}

/* Reports `arg` as ignored for reason `why`, when someone listens. */
static void complain_about(pw_pam_args_complaint_fn *complain, void *userdata, const char *arg,
                           const char *why) {
        if (complain)
                complain(userdata, arg, why);
}

int pw_pam_args_parse(int argc, const char **argv, struct pw_pam_args *ret,
                      pw_pam_args_complaint_fn *complain, void *userdata) {
        struct pw_pam_args a = {
                .debug = false,
                .socket_path = PW_SOCKET_DEFAULT,
                .timeout_ms = PW_CLIENT_TIMEOUT_MS_DEFAULT,
                .fail_closed = false,
                .skip = PW_PAM_SKIP_DEFAULT,
        };
        int ignored = 0;
        const char *v;

        for (int i = 0; i < argc; i++) {
                const char *w = argv[i];
                const char *why = NULL;

                if (!w) {
                        continue;
                } else if (strcmp(w, "debug") == 0) {
                        a.debug = true;
                } else if ((v = value_of(w, "socket"))) {
                        size_t n = strlen(v);
                        if (n == 0)
                                why = "empty socket path";
                        else if (v[0] != '/')
                                why = "socket path must be absolute";
                        else if (n > PW_PAM_SOCKET_PATH_MAX)
                                why = "socket path too long for a Unix socket";
                        else
                                a.socket_path = v;
                } else if ((v = value_of(w, "timeout_ms"))) {
                        if (parse_timeout(v, &a.timeout_ms) < 0)
                                why = "timeout_ms wants a whole number of milliseconds, 1-10000";
                } else if ((v = value_of(w, "fail"))) {
                        if (strcmp(v, "open") == 0)
                                a.fail_closed = false;
                        else if (strcmp(v, "closed") == 0)
                                a.fail_closed = true;
                        else
                                why = "fail wants open or closed";
                } else if ((v = value_of(w, "skip"))) {
                        a.skip = v; /* empty: record every service */
                } else {
                        why = "unknown option";
                }

                if (why) {
                        complain_about(complain, userdata, w, why);
                        ignored++;
                }
        }
        *ret = a;
        return ignored;
}

bool pw_pam_args_skips(const struct pw_pam_args *args, const char *service) {
        if (!service || !*service || !args->skip)
                return false;
        size_t n = strlen(service);
        for (const char *p = args->skip; *p;) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t)(comma - p) : strlen(p);
                if (len == n && memcmp(p, service, n) == 0)
                        return true;
                if (!comma)
                        break;
                p = comma + 1;
        }
        return false;
}
