/* postwardenctl policy: check, compile and try out the company policy.
 *
 *   policy check [FILE]                      validate; exit 0 valid, 1 invalid
 *   policy compile [--cache DIR] [FILE]      build the vectorscan cache
 *   policy test [OPTIONS] [TEXT|-]           the verdict on a text (readable or --json)
 *
 * Errors are printed as "file:line:column: rule ID: message", one line, on stderr. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "postwarden/policy.h"

#define DEFAULT_POLICY "/etc/postwarden/policy.json"
#define DEFAULT_CACHE  "/var/cache/postwarden"
#define MAX_TEXT       (16u << 20)

/* Exit statuses of `policy test`, beyond 0 (allow) and 2 (usage or runtime error). */
enum { EXIT_WARN = 3, EXIT_BLOCK = 4 };

static void print_error(const struct pw_error *err) {
        char buf[1024];
        pw_error_format(err, buf, sizeof buf);
        fprintf(stderr, "%s\n", buf);
}

static void usage(FILE *f) {
        fprintf(f,
                "usage: postwardenctl policy check [FILE]\n"
                "       postwardenctl policy compile [--cache DIR] [FILE]\n"
                "       postwardenctl policy test [--policy FILE] [--cache DIR|--no-cache]\n"
                "                [--mode business|personal|unknown] [--account SITE:HANDLE]\n"
                "                [--account-id ID] [--site SITE] [--user NAME] [--group NAME]...\n"
                "                [--json] [TEXT|-]\n"
                "FILE defaults to " DEFAULT_POLICY ", DIR to " DEFAULT_CACHE ".\n"
                "policy test exits 0 (allow), 3 (warn), 4 (block), 2 (error).\n");
}

/* ---- check ---------------------------------------------------------------------------------- */

static int cmd_check(int argc, char **argv) {
        if (argc > 2 || (argc == 2 && argv[1][0] == '-' && argv[1][1])) {
                usage(stderr);
                return 2;
        }
        const char *path = argc == 2 ? argv[1] : DEFAULT_POLICY;
        struct pw_policy *p = NULL;
        struct pw_error err = {0};
        int r = pw_policy_load(path, NULL, PW_POLICY_NO_COMPILE, &p, &err);
        if (r == -EINVAL) {
                print_error(&err);
                return 1;
        }
        if (r < 0) {
                if (err.text[0])
                        print_error(&err);
                else
                        fprintf(stderr, "%s: %s\n", path, strerror(-r));
                return r == -ENOENT || r == -EACCES || r == -EFBIG ? 1 : 2;
        }
        printf("%s: valid (policy id %s)\n", path, pw_policy_id(p));
        pw_policy_free(p);
        return 0;
}

/* ---- compile -------------------------------------------------------------------------------- */

static int cmd_compile(int argc, char **argv) {
        static const struct option opts[] = {
                {"cache", required_argument, NULL, 'c'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        const char *cache = DEFAULT_CACHE;
        int o;
        optind = 1;
        while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
                switch (o) {
                case 'c':
                        cache = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (argc - optind > 1) {
                usage(stderr);
                return 2;
        }
        const char *path = optind < argc ? argv[optind] : DEFAULT_POLICY;
        struct pw_policy *p = NULL;
        struct pw_error err = {0};
        int r = pw_policy_load(path, cache, 0, &p, &err);
        if (r < 0) {
                if (err.text[0])
                        print_error(&err);
                else
                        fprintf(stderr, "%s: %s\n", path, strerror(-r));
                return r == -EINVAL ? 1 : 2;
        }
        struct pw_compile_info info;
        pw_policy_compile_info(p, &info);
        printf("%s: policy id %s: %zu literals, %zu regexes, %zu bytes of databases, %s in "
               "%.1f ms\n",
               path, pw_policy_id(p), info.n_literals, info.n_regexes, info.db_bytes,
               info.from_cache ? "loaded from the cache" : "compiled", info.build_ms);
        int status = 0;
        if (info.from_cache || info.cache_written) {
                printf("cache: %s\n", info.cache_file);
        } else {
                fprintf(stderr, "postwardenctl: cannot write the cache in %s: %s\n", cache,
                        strerror(info.cache_store_error));
                status = 2;
        }
        pw_policy_free(p);
        return status;
}

/* ---- test ----------------------------------------------------------------------------------- */

/* Reads all of stdin (at most MAX_TEXT bytes) into a new buffer. */
static int read_stdin(char **ret, size_t *ret_len) {
        size_t cap = 65536, len = 0;
        char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len == cap) {
                        if (cap > MAX_TEXT) {
                                free(buf);
                                return -EFBIG;
                        }
                        char *n = realloc(buf, cap * 2);
                        if (!n) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = n;
                        cap *= 2;
                }
                size_t got = fread(buf + len, 1, cap - len, stdin);
                if (got == 0)
                        break;
                len += got;
        }
        if (ferror(stdin)) {
                free(buf);
                return -EIO;
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}

/* The calling user's name and group names, for when --user and --group are not given. */
static void whoami(const char **ret_user, char ***ret_groups) {
        struct passwd *pw = getpwuid(getuid());
        *ret_user = pw ? pw->pw_name : NULL;
        gid_t gids[256];
        int n = getgroups(256, gids);
        char **names = calloc(n > 0 ? (size_t)n + 1 : 1, sizeof *names);
        size_t k = 0;
        for (int i = 0; names && i < n; i++) {
                struct group *g = getgrgid(gids[i]);
                if (g && (names[k] = strdup(g->gr_name)))
                        k++;
        }
        *ret_groups = names;
}

static void print_verdict(const struct pw_verdict *v) {
        printf("verdict: %s%s   mode: %s", pw_action_name(v->action),
               v->action == PW_ACTION_BLOCK
                       ? (v->overridable ? " (overridable)" : " (not overridable)")
                       : "",
               pw_mode_name(v->mode));
        if (v->company_account)
                printf("   account: %s (company account, %s)", v->account_name,
                       v->authorised ? "authorised" : "NOT authorised");
        printf("\n");
        for (size_t i = 0; i < v->n_findings; i++) {
                const struct pw_finding *f = &v->findings[i];
                printf("  %-5s %s [%s%s%s] bytes %u-%u, chars %u-%u, utf16 %u-%u: \"%s\"%s\n",
                       pw_action_name(f->action), f->rule_id, f->category,
                       f->detector ? ", detector " : "", f->detector ? f->detector : "",
                       f->span.byte_start, f->span.byte_end, f->span.cp_start, f->span.cp_end,
                       f->span.u16_start, f->span.u16_end, f->excerpt,
                       f->overridable ? " (overridable)" : "");
                printf("        %s\n", f->message);
        }
}

static int cmd_test(int argc, char **argv) {
        static const struct option opts[] = {
                {"policy", required_argument, NULL, 'p'},
                {"cache", required_argument, NULL, 'c'},
                {"no-cache", no_argument, NULL, 'n'},
                {"mode", required_argument, NULL, 'm'},
                {"account", required_argument, NULL, 'a'},
                {"account-id", required_argument, NULL, 'i'},
                {"site", required_argument, NULL, 's'},
                {"user", required_argument, NULL, 'u'},
                {"group", required_argument, NULL, 'g'},
                {"json", no_argument, NULL, 'j'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        const char *path = DEFAULT_POLICY, *cache = DEFAULT_CACHE;
        struct pw_check_input in = {0};
        char *site_buf = NULL;
        const char *groups[64];
        size_t n_groups = 0;
        bool json = false, user_given = false;
        int o, status = 2;
        optind = 1;
        while ((o = getopt_long(argc, argv, "p:c:nm:a:i:s:u:g:jh", opts, NULL)) != -1) {
                switch (o) {
                case 'p':
                        path = optarg;
                        break;
                case 'c':
                        cache = optarg;
                        break;
                case 'n':
                        cache = NULL;
                        break;
                case 'm':
                        if (!strcmp(optarg, "business"))
                                in.mode = PW_MODE_BUSINESS;
                        else if (!strcmp(optarg, "personal"))
                                in.mode = PW_MODE_PERSONAL;
                        else if (!strcmp(optarg, "unknown"))
                                in.mode = PW_MODE_UNKNOWN;
                        else {
                                fprintf(stderr, "postwardenctl: unknown mode '%s'\n", optarg);
                                goto out;
                        }
                        break;
                case 'a': {
                        char *colon = strchr(optarg, ':');
                        if (!colon || colon == optarg || !colon[1]) {
                                fprintf(stderr, "postwardenctl: --account wants SITE:HANDLE\n");
                                goto out;
                        }
                        free(site_buf);
                        if (!(site_buf = strndup(optarg, (size_t)(colon - optarg))))
                                goto out;
                        in.site = site_buf;
                        in.account_handle = colon + 1;
                        break;
                }
                case 'i':
                        in.account_id = optarg;
                        break;
                case 's':
                        in.site = optarg;
                        break;
                case 'u':
                        in.user = optarg;
                        user_given = true;
                        break;
                case 'g':
                        if (n_groups + 1 >= sizeof groups / sizeof *groups) {
                                fprintf(stderr, "postwardenctl: too many --group\n");
                                goto out;
                        }
                        groups[n_groups++] = optarg;
                        user_given = true;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'h':
                        usage(stdout);
                        status = 0;
                        goto out;
                default:
                        usage(stderr);
                        goto out;
                }
        }
        groups[n_groups] = NULL;
        if (argc - optind > 1) {
                usage(stderr);
                goto out;
        }
        char **my_groups = NULL;
        if (!user_given)
                whoami(&in.user, &my_groups);
        in.groups = user_given ? groups : (const char *const *)my_groups;

        char *text = NULL;
        size_t len = 0;
        if (optind < argc && strcmp(argv[optind], "-")) {
                in.text = argv[optind];
                in.len = strlen(argv[optind]);
        } else {
                int r = read_stdin(&text, &len);
                if (r < 0) {
                        fprintf(stderr, "postwardenctl: reading the text: %s\n", strerror(-r));
                        goto free_groups;
                }
                in.text = text;
                in.len = len;
        }
        struct pw_policy *p = NULL;
        struct pw_error err = {0};
        int r = pw_policy_load(path, cache, 0, &p, &err);
        if (r < 0) {
                if (err.text[0])
                        print_error(&err);
                else
                        fprintf(stderr, "%s: %s\n", path, strerror(-r));
                goto free_text;
        }
        struct pw_verdict *v = NULL;
        r = pw_policy_check(p, &in, &v);
        if (r < 0) {
                fprintf(stderr, "postwardenctl: checking the text: %s\n", strerror(-r));
        } else {
                if (json) {
                        json_t *j = pw_verdict_to_json(v);
                        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
                        if (s)
                                printf("%s\n", s);
                        else
                                fprintf(stderr, "postwardenctl: out of memory\n");
                        free(s);
                        json_decref(j);
                } else {
                        print_verdict(v);
                }
                status = v->action == PW_ACTION_BLOCK  ? EXIT_BLOCK
                         : v->action == PW_ACTION_WARN ? EXIT_WARN
                                                       : 0;
        }
        pw_verdict_free(v);
        pw_policy_free(p);
free_text:
        if (text) {
                explicit_bzero(text, len);
                free(text);
        }
free_groups:
        for (char **g = my_groups; g && *g; g++)
                free(*g);
        free(my_groups);
out:
        free(site_buf);
        return status;
}

int pw_cli_policy(int argc, char **argv); /* main.c's table entry */

int pw_cli_policy(int argc, char **argv) {
        if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        if (!strcmp(argv[1], "check"))
                return cmd_check(argc - 1, argv + 1);
        if (!strcmp(argv[1], "compile"))
                return cmd_compile(argc - 1, argv + 1);
        if (!strcmp(argv[1], "test"))
                return cmd_test(argc - 1, argv + 1);
        fprintf(stderr, "postwardenctl: unknown policy command '%s'\n", argv[1]);
        usage(stderr);
        return 2;
}
