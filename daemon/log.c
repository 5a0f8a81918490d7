/* postwardend's log: stderr in --foreground mode (tests read it), syslog otherwise. Never
 * given draft text: callers log rule ids, sizes and positions only. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

#include "service.h"

static bool log_foreground; /* the daemon's log configuration: set once at start */
static bool log_debug;

void pw_svc_log_init(bool foreground, bool debug) {
        log_foreground = foreground;
        log_debug = debug;
        if (!foreground)
                openlog("postwardend", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void pw_svc_log(int priority, const char *fmt, ...) {
        if (priority == LOG_DEBUG && !log_debug)
                return;
        va_list ap;
        va_start(ap, fmt);
        if (log_foreground) {
                static const char *const names[] = {"emerg",   "alert",  "crit", "error",
                                                    "warning", "notice", "info", "debug"};
                char line[1024];
                vsnprintf(line, sizeof line, fmt, ap);
                /* One write per line, so that lines from several threads do not interleave. */
                fprintf(stderr, "postwardend: %s: %s\n", names[priority & 7], line);
        } else {
                vsyslog(priority, fmt, ap);
        }
        va_end(ap);
}
