/* Option parsing for pam_postwarden.so, kept apart from PAM so that the unit tests and the
 * fuzzer (tests/fuzz/fuzz_pam_args.c) exercise exactly the code the module runs.
 *
 * Internal to the module: the linker version script keeps these symbols out of its dynamic
 * symbol table. Nothing here logs; complaints go to a callback the module turns into
 * pam_syslog lines. */
#ifndef POSTWARDEN_PAM_ARGS_H
#define POSTWARDEN_PAM_ARGS_H

#include <stdbool.h>

#define PW_PAM_SKIP_DEFAULT    "cron,sudo,su,systemd-user"
#define PW_PAM_TIMEOUT_MS_MAX  10000
#define PW_PAM_SOCKET_PATH_MAX 107 /* sizeof(sockaddr_un.sun_path) - 1 */

/* The module's options for one PAM call; lives on the caller's stack. */
struct pw_pam_args {
        bool debug;              /* log each step at LOG_DEBUG */
        const char *socket_path; /* borrowed from argv (or a literal): the service's socket */
        int timeout_ms;          /* budget for connecting and getting the answer, 1..MAX */
        bool fail_closed;        /* not recorded → PAM_SESSION_ERR instead of PAM_SUCCESS */
        const char *skip;        /* borrowed: comma-separated PAM services never recorded */
};

/* Receives one ignored option: `arg` is the word as written, `why` a static reason. */
typedef void pw_pam_args_complaint_fn(void *userdata, const char *arg, const char *why);

/* Fills *ret with the defaults, then applies argv[0..argc) in order (a later word wins).
 * Unknown words and bad values are reported through `complain` (may be NULL) and ignored, so
 * the default stays in force. Strings in *ret are borrowed from argv. Returns the number of
 * words ignored (>= 0); never fails. */
int pw_pam_args_parse(int argc, const char **argv, struct pw_pam_args *ret,
                      pw_pam_args_complaint_fn *complain, void *userdata);

/* True when `service` is one of the comma-separated names in args->skip (exact match). A NULL
 * or empty service is never skipped: it cannot be matched against the admin's list. */
bool pw_pam_args_skips(const struct pw_pam_args *args, const char *service);

#endif
