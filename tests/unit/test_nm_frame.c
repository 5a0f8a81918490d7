/* Unit tests for nmhost/frame.c: native-messaging frames in and out, over memory and real pipes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include <cmocka.h>

#include "postwarden/nmhost.h"

/* Appends a frame (header + payload) to buf at *off. */
static void put_frame(uint8_t *buf, size_t *off, const void *payload, uint32_t len) {
        memcpy(buf + *off, &len, 4);
        memcpy(buf + *off + 4, payload, len);
        *off += 4 + (size_t)len;
}

static void reads_frames_then_eof(void **state) {
        uint8_t buf[256];
        size_t off = 0;
        put_frame(buf, &off, "{\"a\":1}", 7);
        put_frame(buf, &off, "[]", 2);
        struct pw_nm_reader *r;
        assert_int_equal(pw_nm_reader_new_mem(buf, off, 0, &r), 0);
        const char *p;
        size_t n;
        assert_int_equal(pw_nm_reader_next(r, &p, &n), 1);
        assert_int_equal(n, 7);
        assert_memory_equal(p, "{\"a\":1}", 7);
        assert_int_equal(p[7], '\0');
        assert_int_equal(pw_nm_reader_next(r, &p, &n), 1);
        assert_int_equal(n, 2);
        assert_int_equal(pw_nm_reader_next(r, &p, &n), 0);
        assert_int_equal(pw_nm_reader_next(r, &p, &n), 0);
        pw_nm_reader_free(r);
}

static void empty_input_is_eof(void **state) {
        struct pw_nm_reader *r;
        assert_int_equal(pw_nm_reader_new_mem("", 0, 0, &r), 0);
        const char *p;
        size_t n;
        assert_int_equal(pw_nm_reader_next(r, &p, &n), 0);
        pw_nm_reader_free(r);
}

static void zero_length_then_next_frame(void **state) {
        uint8_t buf[64];
        size_t off = 0;
        put_frame(buf, &off, "", 0);
        put_frame(buf, &off, "{}", 2);
        struct pw_nm_reader *r;
        assert_int_equal(pw_nm_reader_new_mem(buf, off, 0, &r), 0);
        const char *p;
        size_t n;
        assert_int_equal(pw_nm_reader_next(r, &p, &n), -ENODATA);
        assert_int_equal(pw_nm_reader_next(r, &p, &n), 1);
        assert_int_equal(n, 2);
        pw_nm_reader_free(r);
}

static void oversize_is_skipped_without_allocating(void **state) {
        /* Cap 16: a 40-byte frame is refused and skipped; the frame after it is read. */
        uint8_t buf[128];
        size_t off = 0;
        char big[40];
        memset(big, 'x', sizeof big);
        put_frame(buf, &off, big, sizeof big);
        put_frame(buf, &off, "{}", 2);
        struct pw_nm_reader *r;
        assert_int_equal(pw_nm_reader_new_mem(buf, off, 16, &r), 0);
        const char *p = NULL;
        size_t n = 0;
        assert_int_equal(pw_nm_reader_next(r, &p, &n), -EMSGSIZE);
        assert_int_equal(n, 40);
        assert_null(p);
        assert_int_equal(pw_nm_reader_next(r, &p, &n), 1);
        assert_int_equal(n, 2);
        pw_nm_reader_free(r);
}

static void huge_announced_length_with_little_data(void **state) {
        /* 0xffffffff announced, 3 bytes follow: refused, skipped to EOF, then EOF. */
        uint8_t buf[7] = {0xff, 0xff, 0xff, 0xff, 'a', 'b', 'c'};
        struct pw_nm_reader *r;
        assert_int_equal(pw_nm_reader_new_mem(buf, sizeof buf, 0, &r), 0);
        const char *p;
        size_t n;
        assert_int_equal(pw_nm_reader_next(r, &p, &n), -EMSGSIZE);
        assert_int_equal(n, 0xffffffffu);
        assert_int_equal(pw_nm_reader_next(r, &p, &n), 0);
        pw_nm_reader_free(r);
}

static void truncated_header_and_payload(void **state) {
        struct pw_nm_reader *r;
        const char *p;
        size_t n;
        uint8_t hdr[2] = {5, 0};
        assert_int_equal(pw_nm_reader_new_mem(hdr, sizeof hdr, 0, &r), 0);
        assert_int_equal(pw_nm_reader_next(r, &p, &n), -EPIPE);
        assert_int_equal(pw_nm_reader_next(r, &p, &n), 0);
        pw_nm_reader_free(r);

        uint8_t part[7] = {10, 0, 0, 0, '{', '"', 'a'};
        assert_int_equal(pw_nm_reader_new_mem(part, sizeof part, 0, &r), 0);
        assert_int_equal(pw_nm_reader_next(r, &p, &n), -EPIPE);
        assert_int_equal(pw_nm_reader_next(r, &p, &n), 0);
        pw_nm_reader_free(r);
}

static void frame_larger_than_read_ahead(void **state) {
        /* 300 KiB: read straight into the frame buffer, then the buffer is released. */
        size_t len = 300 * 1024;
        uint8_t *buf = malloc(len + 4 + 6);
        assert_non_null(buf);
        char *payload = malloc(len);
        assert_non_null(payload);
        for (size_t i = 0; i < len; i++)
                payload[i] = (char)('a' + i % 26);
        size_t off = 0;
        put_frame(buf, &off, payload, (uint32_t)len);
        put_frame(buf, &off, "{}", 2);
        struct pw_nm_reader *r;
        assert_int_equal(pw_nm_reader_new_mem(buf, off, 0, &r), 0);
        const char *p;
        size_t n;
        assert_int_equal(pw_nm_reader_next(r, &p, &n), 1);
        assert_int_equal(n, len);
        assert_memory_equal(p, payload, len);
        assert_int_equal(pw_nm_reader_next(r, &p, &n), 1);
        assert_int_equal(n, 2);
        pw_nm_reader_free(r);
        free(payload);
        free(buf);
}

static void write_then_read_over_a_pipe(void **state) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        assert_int_equal(pw_nm_write_frame(fds[1], "{\"x\":true}", 10), 0);
        assert_int_equal(pw_nm_write_frame(fds[1], "{}", 2), 0);
        close(fds[1]);
        struct pw_nm_reader *r;
        assert_int_equal(pw_nm_reader_new_fd(fds[0], 0, &r), 0);
        const char *p;
        size_t n;
        assert_int_equal(pw_nm_reader_next(r, &p, &n), 1);
        assert_int_equal(n, 10);
        assert_memory_equal(p, "{\"x\":true}", 10);
        assert_int_equal(pw_nm_reader_next(r, &p, &n), 1);
        assert_int_equal(pw_nm_reader_next(r, &p, &n), 0);
        pw_nm_reader_free(r);
        close(fds[0]);
}

static void reply_over_the_browser_cap_is_refused(void **state) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        static char big[PW_NM_REPLY_MAX + 1];
        assert_int_equal(pw_nm_write_frame(fds[1], big, sizeof big), -EMSGSIZE);
        close(fds[1]);
        char c;
        assert_int_equal(read(fds[0], &c, 1), 0); /* nothing was written */
        close(fds[0]);
}

static void write_to_closed_pipe_is_epipe(void **state) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        close(fds[0]);
        signal(SIGPIPE, SIG_IGN);
        assert_int_equal(pw_nm_write_frame(fds[1], "{}", 2), -EPIPE);
        close(fds[1]);
}

static void bad_arguments(void **state) {
        struct pw_nm_reader *r = (void *)1;
        assert_int_equal(pw_nm_reader_new_fd(-1, 0, &r), -EINVAL);
        assert_ptr_equal(r, (void *)1);
        assert_int_equal(pw_nm_reader_new_mem(NULL, 5, 0, &r), -EINVAL);
        assert_null(pw_nm_reader_free(NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(reads_frames_then_eof),
                cmocka_unit_test(empty_input_is_eof),
                cmocka_unit_test(zero_length_then_next_frame),
                cmocka_unit_test(oversize_is_skipped_without_allocating),
                cmocka_unit_test(huge_announced_length_with_little_data),
                cmocka_unit_test(truncated_header_and_payload),
                cmocka_unit_test(frame_larger_than_read_ahead),
                cmocka_unit_test(write_then_read_over_a_pipe),
                cmocka_unit_test(reply_over_the_browser_cap_is_refused),
                cmocka_unit_test(write_to_closed_pipe_is_epipe),
                cmocka_unit_test(bad_arguments),
        };
        return cmocka_run_group_tests_name("nm_frame", tests, NULL, NULL);
}
