/* Integration tests of postwardend's audit path against the real store: group commit under
 * load, kill -9 mid-burst (every acknowledged event survives, the chain verifies), a full disk
 * (tmpfs, and RLIMIT_FSIZE -> EFBIG), a database made read-only under the service, a corrupt
 * database file. In each fault the service stays up, answers checks, refuses events with error
 * 8 (never acknowledges what it did not commit) and says why in its log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <sys/mount.h>

#include "service_harness.h"

#include "postwarden/audit.h"

/* ---- helpers -------------------------------------------------------------------------------- */

struct seqs {
        int64_t *v; /* sequence numbers seen */
        size_t n, cap;
};

static int collect_seq(const struct pw_audit_event_row *row, void *userdata) {
        struct seqs *s = userdata;
        if (s->n == s->cap) {
                s->cap = s->cap ? s->cap * 2 : 1024;
                s->v = realloc(s->v, s->cap * sizeof *s->v);
        }
        s->v[s->n++] = row->seq;
        return 0;
}

static int cmp64(const void *a, const void *b) {
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return x < y ? -1 : x > y;
}

/* ---- kill -9 during a burst ----------------------------------------------------------------- */

#define BURST_CLIENTS 8

struct burster {
        struct svc *s;        /* the service */
        int64_t acked[20000]; /* seqs acknowledged to this client */
        size_t n;             /* how many */
};

static void *burst(void *arg) {
        struct burster *b = arg;
        struct pw_client *c = NULL;
        if (pw_client_connect(b->s->sock, 1000, &c) < 0)
                return NULL;
        for (int i = 0; b->n < 20000; i++) {
                json_t *req = msg_post(i, false, NULL), *rep = NULL;
                int r = pw_client_request(c, req, 5000, &rep);
                json_decref(req);
                if (r < 0)
                        break; /* killed */
                if (reply_code(rep) == 0)
                        b->acked[b->n++] = json_integer_value(json_object_get(rep, "seq"));
                json_decref(rep);
        }
        pw_client_free(c);
        return NULL;
}

static void kill9_mid_burst_loses_no_acknowledged_event(void **state) {
        struct svc s;
        svc_init(&s, NULL);
        assert_int_equal(svc_start(&s), 0);
        static struct burster b[BURST_CLIENTS];
        pthread_t t[BURST_CLIENTS];
        for (int i = 0; i < BURST_CLIENTS; i++) {
                b[i].s = &s;
                b[i].n = 0;
                pthread_create(&t[i], NULL, burst, &b[i]);
        }
        usleep(700000);
        svc_stop_sig(&s, SIGKILL);
        size_t total = 0;
        for (int i = 0; i < BURST_CLIENTS; i++) {
                pthread_join(t[i], NULL);
                total += b[i].n;
        }
        assert_true(total > 0);
        /* Restart on the same file: it opens, and every acknowledged seq is there. */
        assert_int_equal(svc_start(&s), 0);
        svc_stop(&s);
        int64_t rows = harness_verify_db(s.db).rows;
        assert_true(rows >= (int64_t)total);
        struct pw_audit *a;
        struct pw_audit_options opt = {.path = s.db, .flags = PW_AUDIT_READONLY};
        assert_int_equal(pw_audit_open(&opt, &a, NULL), 0);
        struct seqs have = {0};
        struct pw_audit_event_filter f = {.peer_uid = -1, .kind = PW_AUDIT_POST_ATTEMPT};
        assert_int_equal(pw_audit_query_events(a, &f, collect_seq, &have, NULL), 0);
        pw_audit_free(a);
        qsort(have.v, have.n, sizeof *have.v, cmp64);
        size_t missing = 0;
        for (int i = 0; i < BURST_CLIENTS; i++)
                for (size_t k = 0; k < b[i].n; k++)
                        missing += !bsearch(&b[i].acked[k], have.v, have.n, sizeof *have.v, cmp64);
        printf("# kill -9: %zu acknowledged, %zu in the store, %zu missing\n", total, have.n,
               missing);
        assert_int_equal(missing, 0);
        free(have.v);
        svc_cleanup(&s);
}

/* ---- full disk --------------------------------------------------------------------------------
 */

/* Posts events until one is refused; returns the refusal's code (or 0 if none in `max`). */
static int post_until_refused(struct svc *s, int max, int *ret_ok) {
        struct pw_client *c;
        if (pw_client_connect(s->sock, 1000, &c) < 0)
                return -1;
        int code = 0, ok = 0;
        /* Company posts carry archive text, so the file grows fast. */
        char text[4000];
        memset(text, 'a', sizeof text - 1);
        text[sizeof text - 1] = '\0';
        for (int i = 0; i < max && code == 0; i++) {
                json_t *req = msg_post(i, true, text), *rep = NULL;
                int r = pw_client_request(c, req, 10000, &rep);
                json_decref(req);
                if (r < 0) {
                        code = -1;
                        break;
                }
                code = reply_code(rep);
                ok += code == 0;
                json_decref(rep);
        }
        pw_client_free(c);
        *ret_ok = ok;
        return code;
}

static void check_still_answered(struct svc *s) {
        json_t *rep = svc_call(s,
                               json_pack("{s:i, s:i, s:s, s:s}", "v", 1, "id", 1, "type", "check",
                                         "text", "hello world"),
                               NULL);
        assert_int_equal(reply_code(rep), 0);
        json_decref(rep);
}

static void full_tmpfs_refuses_events_and_keeps_serving(void **state) {
        char mnt[64];
        snprintf(mnt, sizeof mnt, "/tmp/pw-full-XXXXXX");
        assert_non_null(mkdtemp(mnt));
        if (mount("tmpfs", mnt, "tmpfs", 0, "size=384k") < 0) {
                rmdir(mnt);
                skip(); /* no CAP_SYS_ADMIN here: the RLIMIT_FSIZE test covers the path */
        }
        struct svc s;
        svc_init(&s, mnt);
        assert_int_equal(svc_start(&s), 0);
        int ok = 0;
        int code = post_until_refused(&s, 5000, &ok);
        assert_int_equal(code, 8);
        assert_true(ok > 0);
        check_still_answered(&s);
        assert_true(harness_file_has(s.log, "audit write refused"));
        svc_stop(&s);
        /* Everything acknowledged before the disk filled is there and verifies. */
        assert_true(harness_verify_db(s.db).rows >= ok);
        umount2(mnt, MNT_DETACH);
        rmdir(mnt);
        svc_cleanup(&s);
}

static void file_size_limit_gives_efbig_not_a_crash(void **state) {
        struct svc s;
        svc_init(&s, NULL);
        /* SQLite's first pages fit; the WAL soon passes 256 KiB. SIGXFSZ is ignored by the
         * service, so the write fails with EFBIG instead of killing it. */
        assert_int_equal(svc_start_ex(&s, 256 * 1024, NULL), 0);
        int ok = 0;
        int code = post_until_refused(&s, 5000, &ok);
        assert_int_equal(code, 8);
        check_still_answered(&s);
        int st = 0;
        assert_int_equal(waitpid(s.pid, &st, WNOHANG), 0); /* still running */
        assert_true(harness_file_has(s.log, "audit write refused"));
        svc_cleanup(&s);
}

/* ---- read-only and corrupt databases -------------------------------------------------------- */

static void database_on_a_read_only_filesystem_then_writable_again(void **state) {
        char mnt[64];
        snprintf(mnt, sizeof mnt, "/tmp/pw-ro-XXXXXX");
        assert_non_null(mkdtemp(mnt));
        if (mount("tmpfs", mnt, "tmpfs", 0, "size=16m") < 0) {
                rmdir(mnt);
                skip();
        }
        struct svc s;
        svc_init(&s, mnt);
        assert_int_equal(svc_start(&s), 0);
        json_t *rep = svc_call(&s, msg_post(1, false, NULL), NULL);
        assert_int_equal(reply_code(rep), 0);
        json_decref(rep);
        svc_stop(&s);
        /* The kernel refuses to remount a filesystem read-only while a file on it is open for
         * writing, so the service is restarted on it: even root cannot write it now. */
        assert_int_equal(mount(NULL, mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
        assert_int_equal(svc_start(&s), 0);
        rep = svc_call(&s, msg_post(2, false, NULL), NULL);
        assert_int_equal(reply_code(rep), 8);
        json_decref(rep);
        check_still_answered(&s);
        assert_true(harness_file_has(s.log, "cannot be opened"));
        /* Writable again: the writer reopens the store (every 5 s) and events are accepted. */
        assert_int_equal(mount(NULL, mnt, NULL, MS_REMOUNT, NULL), 0);
        int code = -1;
        for (int i = 0; i < 40 && code != 0; i++) {
                rep = svc_call(&s, msg_post(3, false, NULL), NULL);
                code = reply_code(rep);
                json_decref(rep);
                if (code)
                        usleep(250000);
        }
        assert_int_equal(code, 0);
        svc_stop(&s);
        assert_true(harness_verify_db(s.db).rows >= 2);
        umount2(mnt, MNT_DETACH);
        rmdir(mnt);
        svc_cleanup(&s);
}

static void read_only_database_file_at_start(void **state) {
        struct svc s;
        svc_init(&s, NULL);
        assert_int_equal(svc_start(&s), 0); /* creates it */
        svc_stop(&s);
        /* Run the service as nobody on a root-owned 0644 database: it cannot write it. */
        char dir_owner[512];
        snprintf(dir_owner, sizeof dir_owner, "chown -R 65534 '%s' && chown 0 '%s' '%s'*", s.dir,
                 s.db, s.db);
        assert_int_equal(system(dir_owner), 0);
        chmod(s.db, 0444);
        const char *bin = harness_bin();
        char wrapper[256];
        snprintf(wrapper, sizeof wrapper, "%s/as-nobody.sh", s.dir);
        char script[512];
        snprintf(script, sizeof script,
                 "#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups '%s' "
                 "\"$@\"\n",
                 bin);
        harness_write_file(wrapper, script);
        chmod(wrapper, 0755);
        setenv("PW_POSTWARDEND", wrapper, 1);
        int r = svc_start(&s);
        setenv("PW_POSTWARDEND", bin, 1);
        assert_int_equal(r, 0);
        json_t *rep = svc_call(&s, msg_post(1, false, NULL), NULL);
        assert_int_equal(reply_code(rep), 8);
        json_decref(rep);
        check_still_answered(&s);
        assert_true(harness_file_has(s.log, "cannot be opened"));
        svc_cleanup(&s);
}

static void corrupt_database_is_reported_and_the_service_stays_up(void **state) {
        struct svc s;
        svc_init(&s, NULL);
        char junk[8192];
        for (size_t i = 0; i < sizeof junk; i++)
                junk[i] = (char)(i * 7 + 3);
        memcpy(junk, "SQLite format 3", 16); /* a header, then garbage */
        FILE *f = fopen(s.db, "wb");
        fwrite(junk, 1, sizeof junk, f);
        fclose(f);
        assert_int_equal(svc_start(&s), 0);
        json_t *rep = svc_call(&s, msg_post(1, false, NULL), NULL);
        assert_int_equal(reply_code(rep), 8);
        json_decref(rep);
        check_still_answered(&s);
        assert_true(harness_file_has(s.log, "cannot be opened"));
        svc_cleanup(&s);
}

/* ---- the chain head ------------------------------------------------------------------------- */

static void chain_head_is_logged_every_n_events(void **state) {
        struct svc s;
        svc_init(&s, NULL);
        const char *extra[] = {"--head-every", "10", NULL};
        assert_int_equal(svc_start_ex(&s, 0, extra), 0);
        for (int i = 0; i < 25; i++) {
                json_t *rep = svc_call(&s, msg_post(i, false, NULL), NULL);
                assert_int_equal(reply_code(rep), 0);
                json_decref(rep);
        }
        assert_true(harness_file_has(s.log, "audit chain head seq="));
        json_t *rep =
                svc_call(&s, json_pack("{s:i, s:i, s:s}", "v", 1, "id", 1, "type", "verify"), NULL);
        assert_int_equal(reply_code(rep), 0);
        assert_true(json_is_true(json_object_get(rep, "ok")));
        json_decref(rep);
        svc_cleanup(&s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(kill9_mid_burst_loses_no_acknowledged_event),
                cmocka_unit_test(full_tmpfs_refuses_events_and_keeps_serving),
                cmocka_unit_test(file_size_limit_gives_efbig_not_a_crash),
                cmocka_unit_test(database_on_a_read_only_filesystem_then_writable_again),
                cmocka_unit_test(read_only_database_file_at_start),
                cmocka_unit_test(corrupt_database_is_reported_and_the_service_stays_up),
                cmocka_unit_test(chain_head_is_logged_every_n_events),
        };
        if (getuid() != 0) {
                fprintf(stderr, "these tests run as root (mounts, setpriv)\n");
                return 77;
        }
        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
