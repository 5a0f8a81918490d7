/* Integration tests of postwarden-host: the real binary over real pipes, as a browser runs it.
 *
 * Every run parses the host's whole stdout strictly as frames (nm_harness.h), so a single stray
 * byte fails the test. Environment: PW_HOST (the binary), PW_SOURCE_DIR (golden frames). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "nm_harness.h"

#define EXT_ID "abcdefghijklmnopabcdefghijklmnop"
#define FF_ID  "postwarden@example.com"
#define ORIGIN "chrome-extension://" EXT_ID "/"

struct env {
        const char *bin;  /* PW_HOST */
        const char *src;  /* PW_SOURCE_DIR */
        char dir[64];     /* scratch directory */
        char cfg[128];    /* host configuration allowing EXT_ID and FF_ID */
        char sock[128];   /* a socket path nobody listens on */
        char log[128];    /* the host's stderr */
        char policy[512]; /* the default policy */
        char cache[128];  /* compiled-policy cache for standalone runs */
};

static int setup(void **state) {
        struct env *e = calloc(1, sizeof *e);
        if (!e)
                return -1;
        e->bin = getenv("PW_HOST");
        e->src = getenv("PW_SOURCE_DIR");
        if (!e->bin || !e->src) {
                fprintf(stderr, "PW_HOST and PW_SOURCE_DIR must be set\n");
                return -1;
        }
        strcpy(e->dir, "/tmp/pw-nmhost.XXXXXX");
        if (!mkdtemp(e->dir))
                return -1;
        snprintf(e->cfg, sizeof e->cfg, "%s/host.json", e->dir);
        snprintf(e->sock, sizeof e->sock, "%s/nobody.sock", e->dir);
        snprintf(e->log, sizeof e->log, "%s/host.log", e->dir);
        snprintf(e->policy, sizeof e->policy, "%s/policy/default/policy.json", e->src);
        snprintf(e->cache, sizeof e->cache, "%s/cache", e->dir);
        if (mkdir(e->cache, 0700) < 0)
                return -1;
        FILE *f = fopen(e->cfg, "w");
        if (!f)
                return -1;
        fprintf(f, "{\"allowed_extensions\": [\"%s\", \"%s\"], \"socket\": \"%s\"}\n", EXT_ID,
                FF_ID, e->sock);
        fclose(f);
        signal(SIGPIPE, SIG_IGN);
        *state = e;
        return 0;
}

static int teardown(void **state) {
        struct env *e = *state;
        char cmd[160];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
        if (system(cmd) != 0)
                return -1;
        free(e);
        return 0;
}

/* Runs the host (relay mode, service unreachable) with caller ORIGIN over `in`; returns the exit
 * status and every reply in *ret. */
static int run(struct env *e, const struct nmh_buf *in, size_t chunk, unsigned gap_us,
               json_t **ret) {
        char *argv[] = {(char *)e->bin, "--config", e->cfg, ORIGIN, NULL};
        struct nmh_proc p;
        assert_int_equal(nmh_spawn(&p, argv, e->log), 0);
        assert_int_equal(nmh_feed(&p, in->p, in->len, chunk, gap_us, 0), 0);
        return nmh_finish(&p, ret);
}

/* As run(), standalone with the default policy. */
static int run_standalone(struct env *e, const struct nmh_buf *in, json_t **ret) {
        char *argv[] = {(char *)e->bin, "--config", e->cfg, "--policy", e->policy,
                        "--cache",      e->cache,   ORIGIN, NULL};
        struct nmh_proc p;
        assert_int_equal(nmh_spawn(&p, argv, e->log), 0);
        assert_int_equal(nmh_feed(&p, in->p, in->len, 0, 0, 0), 0);
        return nmh_finish(&p, ret);
}

static json_t *hello(json_int_t id) {
        return json_pack("{s:i, s:I, s:s}", "v", 1, "id", id, "type", "hello");
}

/* The error code of reply `r`, or 0 when it is not an error frame. */
static int code_of(json_t *r) {
        const char *t = json_string_value(json_object_get(r, "type"));
        if (!t || strcmp(t, "error"))
                return 0;
        return (int)json_integer_value(json_object_get(json_object_get(r, "error"), "code"));
}

/* ---- golden frames -----------------------------------------------------------------------------
 */

static uint8_t *unhex(const char *s, size_t *ret_len) {
        size_t n = strlen(s) / 2;
        uint8_t *b = malloc(n ? n : 1);
        assert_non_null(b);
        for (size_t i = 0; i < n; i++) {
                unsigned v;
                assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
                b[i] = (uint8_t)v;
        }
        *ret_len = n;
        return b;
}

/* Every tests/golden/nm-*.json whose mode is `mode` or "any": request in, reply as expected. */
static void golden(struct env *e, const char *want_mode) {
        char gdir[512];
        snprintf(gdir, sizeof gdir, "%s/tests/golden", e->src);
        DIR *d = opendir(gdir);
        assert_non_null(d);
        json_t *cases = json_array();
        struct nmh_buf in = {0};
        struct dirent *de;
        while ((de = readdir(d))) {
                if (strncmp(de->d_name, "nm-", 3) || !strstr(de->d_name, ".json"))
                        continue;
                char path[1024];
                snprintf(path, sizeof path, "%s/%s", gdir, de->d_name);
                json_error_t je;
                json_t *g = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
                if (!g)
                        fail_msg("%s: %s", path, je.text);
                const char *mode = json_string_value(json_object_get(g, "mode"));
                assert_non_null(mode);
                if (strcmp(mode, "any") && strcmp(mode, want_mode)) {
                        json_decref(g);
                        continue;
                }
                json_t *req = json_object_get(g, "request");
                const char *hex = json_string_value(json_object_get(g, "request_hex"));
                const char *fhex = json_string_value(json_object_get(g, "request_frame_hex"));
                size_t n;
                if (req) {
                        nmh_frame_json(&in, json_incref(req));
                } else if (hex) {
                        uint8_t *b = unhex(hex, &n);
                        nmh_frame(&in, b, n);
                        free(b);
                } else {
                        assert_non_null(fhex);
                        uint8_t *b = unhex(fhex, &n);
                        nmh_put(&in, b, n);
                        free(b);
                }
                json_object_set_new(g, "file", json_string(de->d_name));
                json_array_append_new(cases, g);
        }
        closedir(d);
        assert_true(json_array_size(cases) >= 10);

        json_t *replies;
        if (!strcmp(want_mode, "standalone"))
                assert_int_equal(run_standalone(e, &in, &replies), 0);
        else
                assert_int_equal(run(e, &in, 0, 0, &replies), 0);
        assert_int_equal(json_array_size(replies), json_array_size(cases));
        size_t i;
        json_t *g;
        json_array_foreach(cases, i, g) {
                json_t *got = json_array_get(replies, i);
                if (!nmh_subset(json_object_get(g, "reply"), got)) {
                        char *s = json_dumps(got, JSON_COMPACT);
                        fail_msg("%s: got %s", json_string_value(json_object_get(g, "file")), s);
                }
        }
        json_decref(replies);
        json_decref(cases);
        free(in.p);
}

static void golden_frames_relay_unavailable(void **state) {
        golden(*state, "relay-unavailable");
}

static void golden_frames_standalone(void **state) {
        golden(*state, "standalone");
}

/* ---- framing -----------------------------------------------------------------------------------
 */

static void hello_then_eof_exits_zero(void **state) {
        struct nmh_buf in = {0};
        nmh_frame_json(&in, hello(1));
        json_t *r;
        assert_int_equal(run(*state, &in, 0, 0, &r), 0);
        assert_int_equal(json_array_size(r), 1);
        json_t *h = json_array_get(r, 0);
        assert_string_equal(json_string_value(json_object_get(h, "type")), "hello");
        assert_string_equal(json_string_value(json_object_get(h, "service")), "unavailable");
        assert_string_equal(json_string_value(json_object_get(h, "caller")), EXT_ID);
        json_decref(r);
        free(in.p);
}

/* site_problem is noted and logged on stderr for the admin: one line, the site's name with
 * non-printable bytes replaced, no other content. */
static void site_problem_is_logged_on_stderr(void **state) {
        struct env *e = *state;
        struct nmh_buf in = {0};
        nmh_frame_json(&in, json_pack("{s:i, s:i, s:s, s:s, s:s, s:s}", "v", 1, "id", 9, "type",
                                      "site_problem", "site", "x.com\n\x1b[31m", "problem",
                                      "no_account", "adapter", "x"));
        json_t *r;
        assert_int_equal(run(e, &in, 0, 0, &r), 0);
        json_t *a = json_array_get(r, 0);
        assert_string_equal(json_string_value(json_object_get(a, "type")), "site_problem");
        assert_true(json_is_true(json_object_get(a, "noted")));
        json_decref(r);
        free(in.p);
        FILE *f = fopen(e->log, "r");
        assert_non_null(f);
        char line[512] = "";
        int found = 0;
        while (fgets(line, sizeof line, f))
                if (strstr(line, "site x.com??[31m (adapter x): no acting account where one is "
                                 "expected"))
                        found = 1;
        fclose(f);
        assert_true(found);
}

static void no_input_exits_zero_silently(void **state) {
        struct nmh_buf in = {0};
        json_t *r;
        assert_int_equal(run(*state, &in, 0, 0, &r), 0);
        assert_int_equal(json_array_size(r), 0);
        json_decref(r);
}

static void oversize_frame_is_skipped_and_host_goes_on(void **state) {
        /* 3 MiB announced and sent, then a hello: error 100, then the hello's reply. */
        struct nmh_buf in = {0};
        size_t big = 3u * 1024 * 1024;
        char *junk = malloc(big);
        assert_non_null(junk);
        memset(junk, '{', big);
        nmh_frame(&in, junk, big);
        free(junk);
        nmh_frame_json(&in, hello(2));
        json_t *r;
        assert_int_equal(run(*state, &in, 0, 0, &r), 0);
        assert_int_equal(json_array_size(r), 2);
        assert_int_equal(code_of(json_array_get(r, 0)), 100);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 1), "id")), 2);
        json_decref(r);
        free(in.p);
}

static void huge_length_then_eof(void **state) {
        /* 4 GiB - 1 announced (browsers allow 64 MiB), a few bytes, EOF: refused, exit 0. */
        struct nmh_buf in = {0};
        uint8_t b[10] = {0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6};
        nmh_put(&in, b, sizeof b);
        json_t *r;
        assert_int_equal(run(*state, &in, 0, 0, &r), 0);
        assert_int_equal(json_array_size(r), 1);
        assert_int_equal(code_of(json_array_get(r, 0)), 100);
        json_decref(r);
        free(in.p);
}

static void zero_length_then_hello(void **state) {
        struct nmh_buf in = {0};
        nmh_frame(&in, "", 0);
        nmh_frame_json(&in, hello(3));
        json_t *r;
        assert_int_equal(run(*state, &in, 0, 0, &r), 0);
        assert_int_equal(json_array_size(r), 2);
        assert_int_equal(code_of(json_array_get(r, 0)), 101);
        assert_int_equal(code_of(json_array_get(r, 1)), 0);
        json_decref(r);
        free(in.p);
}

static void truncated_frame_is_answered_then_exit_zero(void **state) {
        struct nmh_buf in = {0};
        nmh_frame_json(&in, hello(4));
        uint32_t n = 100;
        nmh_put(&in, &n, 4);
        nmh_put(&in, "{\"v\":1,\"id\"", 11);
        json_t *r;
        assert_int_equal(run(*state, &in, 0, 0, &r), 0);
        assert_int_equal(json_array_size(r), 2);
        assert_int_equal(code_of(json_array_get(r, 1)), 102);
        json_decref(r);
        free(in.p);
}

static void truncated_header(void **state) {
        struct nmh_buf in = {0};
        nmh_put(&in, "\x05\x00", 2);
        json_t *r;
        assert_int_equal(run(*state, &in, 0, 0, &r), 0);
        assert_int_equal(json_array_size(r), 1);
        assert_int_equal(code_of(json_array_get(r, 0)), 102);
        json_decref(r);
        free(in.p);
}

static void frame_in_one_byte_writes(void **state) {
        struct nmh_buf in = {0};
        nmh_frame_json(&in, hello(5));
        nmh_frame_json(&in, hello(6));
        json_t *r;
        assert_int_equal(run(*state, &in, 1, 300, &r), 0);
        assert_int_equal(json_array_size(r), 2);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 0), "id")), 5);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 1), "id")), 6);
        json_decref(r);
        free(in.p);
}

static void ten_thousand_frames_in_one_burst(void **state) {
        struct nmh_buf in = {0};
        for (int i = 0; i < 10000; i++) {
                if (i % 3 == 0)
                        nmh_frame_json(&in, hello(i));
                else if (i % 3 == 1)
                        nmh_frame_json(&in, json_pack("{s:i, s:i, s:s, s:s, s:n, s:s}", "v", 1,
                                                      "id", i, "type", "check", "site", "x.com",
                                                      "account", "text", "a draft"));
                else
                        nmh_frame_json(&in, json_pack("{s:i, s:i, s:s}", "v", 1, "id", i, "type",
                                                      "nonsense"));
        }
        json_t *r;
        assert_int_equal(run(*state, &in, 0, 0, &r), 0);
        assert_int_equal(json_array_size(r), 10000);
        for (int i = 0; i < 10000; i++) {
                json_t *x = json_array_get(r, (size_t)i);
                assert_int_equal(json_integer_value(json_object_get(x, "id")), i);
                int want = i % 3 == 0 ? 0 : i % 3 == 1 ? 400 : 202;
                assert_int_equal(code_of(x), want);
        }
        json_decref(r);
        free(in.p);
}

/* xorshift64*: reproducible noise. */
static uint64_t rnd(uint64_t *s) {
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        return *s * 2685821657736338717ull;
}

static void random_bytes(void **state) {
        /* Raw noise: whatever its lengths say, the host answers frames only and exits 0. */
        uint64_t s = 0x9e3779b97f4a7c15ull;
        struct nmh_buf in = {0};
        for (int i = 0; i < 64 * 1024; i++) {
                uint8_t b = (uint8_t)rnd(&s);
                nmh_put(&in, &b, 1);
        }
        json_t *r;
        assert_int_equal(run(*state, &in, 0, 0, &r), 0);
        assert_true(json_array_size(r) >= 1);
        json_decref(r);
        free(in.p);

        /* Well-framed noise: every frame gets exactly one error reply. */
        in = (struct nmh_buf){0};
        for (int i = 0; i < 2000; i++) {
                uint8_t b[300];
                size_t n = 1 + rnd(&s) % sizeof b;
                for (size_t k = 0; k < n; k++)
                        b[k] = (uint8_t)rnd(&s);
                if (i % 2)
                        b[0] = '{';
                nmh_frame(&in, b, n);
        }
        assert_int_equal(run(*state, &in, 0, 0, &r), 0);
        assert_int_equal(json_array_size(r), 2000);
        size_t i;
        json_t *x;
        json_array_foreach(r, i, x) {
                int c = code_of(x);
                assert_true(c >= 100 && c < 300);
        }
        json_decref(r);
        free(in.p);
}

static void ten_thousand_nested_arrays(void **state) {
        struct nmh_buf in = {0}, p = {0};
        for (int i = 0; i < 10000; i++)
                nmh_put(&p, "[", 1);
        for (int i = 0; i < 10000; i++)
                nmh_put(&p, "]", 1);
        nmh_frame(&in, p.p, p.len);
        /* The same depth inside a field of a valid-looking check. */
        p.len = 0;
        const char *head =
                "{\"v\":1,\"id\":1,\"type\":\"check\",\"site\":\"x\",\"text\":\"a\",\"account\":";
        nmh_put(&p, head, strlen(head));
        for (int i = 0; i < 10000; i++)
                nmh_put(&p, "[", 1);
        for (int i = 0; i < 10000; i++)
                nmh_put(&p, "]", 1);
        nmh_put(&p, "}", 1);
        nmh_frame(&in, p.p, p.len);
        nmh_frame_json(&in, hello(7));
        json_t *r;
        assert_int_equal(run(*state, &in, 0, 0, &r), 0);
        assert_int_equal(json_array_size(r), 3);
        assert_int_equal(code_of(json_array_get(r, 0)), 104);
        assert_int_equal(code_of(json_array_get(r, 1)), 104);
        assert_int_equal(code_of(json_array_get(r, 2)), 0);
        json_decref(r);
        free(in.p);
        free(p.p);
}

static void check_with_a_mebibyte_of_text(void **state) {
        /* 1 MiB of text makes a frame over the 1 MiB cap: refused, skipped. A check that fills
         * the cap exactly is accepted as a frame (and here answered: service unavailable). */
        size_t mib = 1024u * 1024u;
        char *text = malloc(mib + 1);
        assert_non_null(text);
        memset(text, 'a', mib);
        text[mib] = '\0';
        struct nmh_buf in = {0};
        nmh_frame_json(&in, json_pack("{s:i, s:i, s:s, s:s, s:n, s:s}", "v", 1, "id", 1, "type",
                                      "check", "site", "x.com", "account", "text", text));
        const char *head =
                "{\"v\":1,\"id\":2,\"type\":\"check\",\"site\":\"x.com\",\"account\":null,"
                "\"text\":\"";
        size_t room = mib - strlen(head) - 2;
        struct nmh_buf p = {0};
        nmh_put(&p, head, strlen(head));
        nmh_put(&p, text, room);
        nmh_put(&p, "\"}", 2);
        assert_int_equal(p.len, mib);
        nmh_frame(&in, p.p, p.len);
        free(text);
        free(p.p);
        json_t *r;
        assert_int_equal(run(*state, &in, 0, 0, &r), 0);
        assert_int_equal(json_array_size(r), 2);
        assert_int_equal(code_of(json_array_get(r, 0)), 100);
        assert_int_equal(code_of(json_array_get(r, 1)), 400);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 1), "id")), 2);
        json_decref(r);
        free(in.p);
}

/* ---- caller check ------------------------------------------------------------------------------
 */

static int run_caller(struct env *e, char *a1, char *a2, json_t **ret) {
        char *argv[] = {(char *)e->bin, "--config", e->cfg, a1, a2, NULL};
        struct nmh_proc p;
        struct nmh_buf in = {0};
        nmh_frame_json(&in, hello(1));
        assert_int_equal(nmh_spawn(&p, argv, e->log), 0);
        assert_int_equal(nmh_feed(&p, in.p, in.len, 0, 0, 0), 0);
        free(in.p);
        return nmh_finish(&p, ret);
}

static void chrome_and_firefox_callers_are_served(void **state) {
        json_t *r;
        assert_int_equal(run_caller(*state, ORIGIN, NULL, &r), 0);
        assert_int_equal(code_of(json_array_get(r, 0)), 0);
        json_decref(r);
        assert_int_equal(
                run_caller(*state, "/usr/lib/mozilla/native-messaging-hosts/x.json", FF_ID, &r), 0);
        assert_int_equal(code_of(json_array_get(r, 0)), 0);
        assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "caller")),
                            FF_ID);
        json_decref(r);
}

static void other_callers_get_an_error_frame_and_exit(void **state) {
        char *cases[][2] = {
                {"chrome-extension://bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/", NULL},
                {"/some/manifest.json", "evil@example.com"},
                {"chrome-extension:///", NULL},
                {"chrome-extension://" EXT_ID "/extra", NULL},
                {NULL, NULL},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                json_t *r;
                assert_int_equal(run_caller(*state, cases[i][0], cases[i][1], &r), 1);
                assert_int_equal(json_array_size(r), 1);
                assert_int_equal(code_of(json_array_get(r, 0)), 300);
                json_decref(r);
        }
}

static void missing_explicit_config_refuses(void **state) {
        struct env *e = *state;
        char *argv[] = {(char *)e->bin, "--config", "/nonexistent/host.json", ORIGIN, NULL};
        struct nmh_proc p;
        assert_int_equal(nmh_spawn(&p, argv, e->log), 0);
        assert_int_equal(nmh_feed(&p, (const uint8_t *)"", 0, 0, 0, 0), 0);
        json_t *r;
        assert_int_equal(nmh_finish(&p, &r), 1);
        assert_int_equal(json_array_size(r), 1);
        assert_int_equal(code_of(json_array_get(r, 0)), 500);
        json_decref(r);
}

/* ---- memory ------------------------------------------------------------------------------------
 */

/* GCC says __SANITIZE_ADDRESS__; clang 14 only answers __has_feature(address_sanitizer). */
#if defined(__SANITIZE_ADDRESS__)
#define PW_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PW_UNDER_ASAN 1
#endif
#endif
#ifndef PW_UNDER_ASAN
#define PW_UNDER_ASAN 0
#endif

/* 100k requests (hellos, distinct checks, broken frames) through one host: RSS after the first
 * 2,000 and after all of them. */
static void memory_flat(struct env *e, int standalone) {
        const int total = 100000, warm = 2000;
        struct nmh_buf in = {0};
        char text[128];
        for (int i = 0; i < total; i++) {
                if (i % 4 == 0) {
                        nmh_frame_json(&in, hello(i));
                } else if (i % 4 == 3) {
                        nmh_frame(&in, "{\"v\":1,\"id\":", 12);
                } else {
                        snprintf(text, sizeof text, "draft %d about the quarterly numbers%s", i,
                                 i % 8 == 1 ? " and Stormwing, ask jane.doe@example.org" : "");
                        nmh_frame_json(&in, json_pack("{s:i, s:i, s:s, s:s, s:{s:s, s:n}, s:s}",
                                                      "v", 1, "id", i, "type", "check", "site",
                                                      "x.com", "account", "handle", "@me",
                                                      "stable_id", "text", text));
                }
        }
        char *relay[] = {(char *)e->bin, "--config", e->cfg, ORIGIN, NULL};
        char *alone[] = {(char *)e->bin, "--config", e->cfg, "--policy", e->policy,
                         "--cache",      e->cache,   ORIGIN, NULL};
        struct nmh_proc p;
        assert_int_equal(nmh_spawn(&p, standalone ? alone : relay, e->log), 0);
        int fed = nmh_feed(&p, in.p, in.len, 0, 0, 1);
        free(in.p);
        assert_int_equal(fed, 0);
        long before = -1, after = -1;
        json_t *j;
        for (int i = 0; i < total; i++) {
                assert_int_equal(nmh_next(&p, &j), 1);
                json_decref(j);
                if (i == warm)
                        before = nmh_rss_kib(p.pid);
        }
        after = nmh_rss_kib(p.pid);
        assert_int_equal(nmh_finish(&p, NULL), 0);
        fprintf(stderr, "%s: RSS after %d requests: %ld KiB; after %d: %ld KiB\n",
                standalone ? "standalone" : "relay", warm, before, total, after);
        assert_true(before > 0 && after > 0);
#if PW_UNDER_ASAN
        /* ASan's quarantine keeps freed memory resident: the bound means nothing there. */
        (void)before;
#else
        assert_true(after - before <= 512);
#endif
}

static void memory_stays_flat_over_100k_requests_relay(void **state) {
        memory_flat(*state, 0);
}

static void memory_stays_flat_over_100k_requests_standalone(void **state) {
        memory_flat(*state, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(golden_frames_relay_unavailable),
                cmocka_unit_test(golden_frames_standalone),
                cmocka_unit_test(hello_then_eof_exits_zero),
                cmocka_unit_test(no_input_exits_zero_silently),
                cmocka_unit_test(site_problem_is_logged_on_stderr),
                cmocka_unit_test(oversize_frame_is_skipped_and_host_goes_on),
                cmocka_unit_test(huge_length_then_eof),
                cmocka_unit_test(zero_length_then_hello),
                cmocka_unit_test(truncated_frame_is_answered_then_exit_zero),
                cmocka_unit_test(truncated_header),
                cmocka_unit_test(frame_in_one_byte_writes),
                cmocka_unit_test(ten_thousand_frames_in_one_burst),
                cmocka_unit_test(random_bytes),
                cmocka_unit_test(ten_thousand_nested_arrays),
                cmocka_unit_test(check_with_a_mebibyte_of_text),
                cmocka_unit_test(chrome_and_firefox_callers_are_served),
                cmocka_unit_test(other_callers_get_an_error_frame_and_exit),
                cmocka_unit_test(missing_explicit_config_refuses),
                cmocka_unit_test(memory_stays_flat_over_100k_requests_relay),
                cmocka_unit_test(memory_stays_flat_over_100k_requests_standalone),
        };
        return cmocka_run_group_tests_name("nm_host", tests, setup, teardown);
}
