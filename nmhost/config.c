/* The host's configuration file (/etc/postwarden/host.json) and the caller check.
 *
 * The browser starts the host with the calling extension in its arguments; only extension ids
 * the administrator listed are served. The file is small JSON, validated as one shape. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "postwarden/nmhost.h"

#define ID_MAX 128 /* longer than any Chrome (32) or sane Firefox (email-like or {uuid}) id */

struct pw_nm_config {
        json_t *root;       /* the parsed file (owned); strings below are borrowed from it */
        json_t *allowed;    /* array of allowed extension ids, or NULL */
        const char *socket; /* service socket, or NULL */
        const char *policy; /* standalone policy file, or NULL */
        const char *cache;  /* compiled-policy cache dir, or NULL */
        int timeout_ms;     /* relay timeout, 0: default */
};

int pw_nm_config_new(struct pw_nm_config **ret) {
        if (!ret)
                return -EINVAL;
        struct pw_nm_config *c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

struct pw_nm_config *pw_nm_config_free(struct pw_nm_config *c) {
        if (!c)
                return NULL;
        json_decref(c->root);
        free(c);
        return NULL;
}

/* 1 when `id` looks like an extension id: 1..ID_MAX printable ASCII characters without space,
 * '/' or quotes (Chrome: 32 letters a-p; Firefox: "name@domain" or "{uuid}"). */
static int id_valid(const char *id) {
        size_t n = strlen(id);
        if (n == 0 || n > ID_MAX)
                return 0;
        for (const char *p = id; *p; p++)
                if (*p <= ' ' || *p > '~' || *p == '/' || *p == '"' || *p == '\\')
                        return 0;
        return 1;
}

int pw_nm_config_load(const char *path, struct pw_nm_config **ret, struct pw_error *err) {
        json_error_t jerr;
        struct pw_nm_config *c;

        if (!path || !ret)
                return -EINVAL;
        json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                int e = json_error_code(&jerr) == json_error_cannot_open_file ? -ENOENT : -EINVAL;
                pw_error_set(err, path, jerr.line, jerr.column, NULL, "%s", jerr.text);
                return e;
        }
        int k = pw_nm_config_new(&c);
        if (k < 0) {
                json_decref(root);
                return k;
        }
        c->root = root;
        if (json_unpack_ex(root, &jerr, 0, "{s:o, s?s, s?s, s?s, s?i !}", "allowed_extensions",
                           &c->allowed, "socket", &c->socket, "policy", &c->policy, "cache_dir",
                           &c->cache, "timeout_ms", &c->timeout_ms) < 0) {
                pw_error_set(err, path, 0, 0, NULL, "%s", jerr.text);
                pw_nm_config_free(c);
                return -EINVAL;
        }
        if (!json_is_array(c->allowed)) {
                pw_error_set(err, path, 0, 0, NULL, "allowed_extensions must be an array");
                pw_nm_config_free(c);
                return -EINVAL;
        }
        size_t i;
        json_t *v;
        json_array_foreach(c->allowed, i, v) {
                if (!json_is_string(v) || !id_valid(json_string_value(v))) {
                        pw_error_set(err, path, 0, 0, NULL,
                                     "allowed_extensions[%zu] is not an extension id", i);
                        pw_nm_config_free(c);
                        return -EINVAL;
                }
        }
        if (c->timeout_ms < 0 || c->timeout_ms > 60000) {
                pw_error_set(err, path, 0, 0, NULL, "timeout_ms must be 0..60000");
                pw_nm_config_free(c);
                return -EINVAL;
        }
        *ret = c;
        return 0;
}

const char *pw_nm_config_socket(const struct pw_nm_config *c) {
        return c ? c->socket : NULL;
}

const char *pw_nm_config_policy(const struct pw_nm_config *c) {
        return c ? c->policy : NULL;
}

const char *pw_nm_config_cache_dir(const struct pw_nm_config *c) {
        return c ? c->cache : NULL;
}

int pw_nm_config_timeout_ms(const struct pw_nm_config *c) {
        return c ? c->timeout_ms : 0;
}

int pw_nm_config_allows(const struct pw_nm_config *c, const char *id) {
        size_t i;
        json_t *v;
        if (!c || !c->allowed || !id)
                return 0;
        json_array_foreach(c->allowed, i, v) {
                if (!strcmp(json_string_value(v), id))
                        return 1;
        }
        return 0;
}

int pw_nm_caller_id(int argc, char *const *argv, char *ret_id, size_t size, struct pw_error *err) {
        static const char chrome[] = "chrome-extension://";
        char id[ID_MAX + 1];

        if (argc < 1 || !argv[0]) {
                pw_error_set(err, NULL, 0, 0, NULL,
                             "no caller: the browser passes the extension's origin or id");
                return -EINVAL;
        }
        if (!strncmp(argv[0], chrome, sizeof chrome - 1)) {
                /* Chrome, Chromium, Edge: "chrome-extension://ID/" */
                const char *s = argv[0] + sizeof chrome - 1;
                size_t n = strcspn(s, "/");
                if (n == 0 || n > ID_MAX || (s[n] == '/' && s[n + 1] != '\0')) {
                        pw_error_set(err, NULL, 0, 0, NULL, "malformed caller origin");
                        return -EINVAL;
                }
                memcpy(id, s, n);
                id[n] = '\0';
        } else if (argc >= 2 && argv[1]) {
                /* Firefox: the manifest path, then the extension id */
                if (strlen(argv[1]) > ID_MAX) {
                        pw_error_set(err, NULL, 0, 0, NULL, "malformed caller extension id");
                        return -EINVAL;
                }
                strcpy(id, argv[1]);
        } else {
                pw_error_set(err, NULL, 0, 0, NULL,
                             "no caller: expected chrome-extension://ID/ or MANIFEST EXTENSION-ID");
                return -EINVAL;
        }
        if (!id_valid(id)) {
                pw_error_set(err, NULL, 0, 0, NULL, "malformed caller extension id");
                return -EINVAL;
        }
        if (strlen(id) + 1 > size) {
                pw_error_set(err, NULL, 0, 0, NULL, "caller id too long");
                return -ENOBUFS;
        }
        strcpy(ret_id, id);
        return 0;
}
