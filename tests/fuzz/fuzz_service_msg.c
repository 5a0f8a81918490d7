/* libFuzzer target: postwardend's framing and message validation (daemon/frame.c, msg.c).
 *
 * The input is what a client could write: a 4-byte length and a body. The header is checked as
 * the service does; the body (the rest of the input, whatever the header said) is decoded and
 * validated against every message spec. Nothing may crash, leak or read out of bounds, and a
 * message that validates must have every required field set. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < PW_FRAME_HEADER)
                return 0;
        uint32_t len = 0;
        (void)pw_frame_header(data, PW_FRAME_MAX, &len);
        const unsigned char *body = data + PW_FRAME_HEADER;
        size_t n = size - PW_FRAME_HEADER;
        json_t *root = NULL;
        json_error_t je;
        if (pw_frame_decode(body, n, &root, &je) < 0)
                return 0;
        struct pw_svc_msg m = {0};
        struct pw_error err = {0};
        if (pw_svc_msg_parse(root, &m, &err) == 0) {
                switch (m.type) {
                case PW_SVC_CHECK:
                        if (!m.u.check.text)
                                abort();
                        break;
                case PW_SVC_ACCOUNT:
                        if (!m.u.account.site || !m.u.account.handle || !m.u.account.detected_by)
                                abort();
                        break;
                case PW_SVC_POST_ATTEMPT:
                        if (!m.u.post.site || !m.u.post.action)
                                abort();
                        for (size_t i = 0; i < m.u.post.n_findings; i++)
                                if (!m.u.post.findings[i].rule ||
                                    strlen(m.u.post.findings[i].rule) > PW_SVC_MAX_SHORT)
                                        abort();
                        break;
                case PW_SVC_SESSION_OPEN:
                        if (!m.u.session_open.user || !m.u.session_open.service)
                                abort();
                        break;
                default:
                        break;
                }
                /* What the service sends back must encode. */
                unsigned char *out;
                size_t out_len;
                json_t *rep = json_pack("{s:i, s:O, s:s}", "v", 1, "id", m.id, "type", "ok");
                if (rep && pw_frame_encode(rep, &out, &out_len) == 0)
                        free(out);
                json_decref(rep);
        } else if (!err.text[0]) {
                abort(); /* every refusal says why */
        }
        pw_svc_msg_done(&m);
        json_decref(root);
        return 0;
}
