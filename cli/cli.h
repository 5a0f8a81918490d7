/* postwardenctl's subcommand table; each cmd_*.c defines one handler. */
#ifndef POSTWARDEN_CLI_H
#define POSTWARDEN_CLI_H

/* Runs a subcommand; argv[0] is the subcommand's name. Returns the process exit status. */
typedef int (*pw_cli_run)(int argc, char **argv);

struct pw_cli_command {
        const char *name; /* first word after postwardenctl */
        pw_cli_run run;
        const char *help; /* one line */
};

/* postwardenctl audit report (cmd_report.c); argv[0] is "report". */
int pw_cli_audit_report(int argc, char **argv);

#endif
