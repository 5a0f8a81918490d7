/* postwardenctl: the admin's command line. One file per subcommand group (cmd_*.c); this file
 * only dispatches. Exit status: 0 success, 1 the check failed (policy invalid, chain broken),
 * 2 usage or runtime error. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int pw_cli_audit(int argc, char **argv);
int pw_cli_policy(int argc, char **argv);
int pw_cmd_scan(int argc, char **argv);

static const struct pw_cli_command commands[] = {
        /* name, handler, one-line help; keep sorted */
        {"audit", pw_cli_audit, "query, verify, purge, redact and export the audit trail"},
        {"policy", pw_cli_policy, "check, compile or try out the company policy"},
        {"scan", pw_cmd_scan, "run the built-in detectors over text (--jsonl for many)"},
        {NULL, NULL, NULL},
};

static void usage(FILE *f) {
        fprintf(f, "usage: postwardenctl COMMAND [ARGS...]\n\ncommands:\n");
        for (const struct pw_cli_command *c = commands; c->name; c++)
                fprintf(f, "  %-10s %s\n", c->name, c->help);
        fprintf(f, "  %-10s %s\n", "version", "print the version");
}

int main(int argc, char **argv) {
        if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
            !strcmp(argv[1], "help")) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
                printf("postwardenctl %s\n", POSTWARDEN_VERSION);
                return 0;
        }
        for (const struct pw_cli_command *c = commands; c->name; c++)
                if (!strcmp(argv[1], c->name))
                        return c->run(argc - 1, argv + 1);
        fprintf(stderr, "postwardenctl: unknown command '%s' (see postwardenctl --help)\n",
                argv[1]);
        return 2;
}
