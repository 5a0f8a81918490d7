/* Peer identity from the kernel: see peer.h. */
#include "peer.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5 */
#endif

/* Reads a small /proc file into buf (NUL-terminated). Returns bytes read or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t size) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        ssize_t n;
        do
                n = read(fd, buf, size - 1);
        while (n < 0 && errno == EINTR);
        int e = errno;
        close(fd);
        if (n < 0)
                return -e;
        buf[n] = '\0';
        return n;
}

/* Reads a /proc/PID/<name> decimal value; 4294967295 (unset) and errors give -1. */
static int64_t read_u32(pid_t pid, const char *name) {
        char path[64], buf[32];
        snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
        if (read_small(path, buf, sizeof buf) <= 0)
                return -1;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(buf, &end, 10);
        if (errno || end == buf || v >= UINT32_MAX)
                return -1;
        return (int64_t)v;
}

int pw_svc_proc_stat(pid_t pid, uint64_t *ret_start, pid_t *ret_ppid, uid_t *ret_uid) {
        char path[64], buf[1024];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        ssize_t n = read_small(path, buf, sizeof buf);
        if (n < 0)
                return (int)n;
        /* comm may hold spaces and parentheses: fields restart after the last ')'. */
        char *p = strrchr(buf, ')');
        if (!p)
                return -EBADMSG;
        p++;
        char state;
        int ppid;
        unsigned long long start = 0;
        /* Fields 3 (state), 4 (ppid), then 18 skipped, then 22 (starttime). */
        if (sscanf(p,
                   " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d "
                   "%llu",
                   &state, &ppid, &start) != 3)
                return -EBADMSG;
        if (ret_uid) {
                struct stat st;
                snprintf(path, sizeof path, "/proc/%d", (int)pid);
                if (stat(path, &st) < 0)
                        return -errno;
                *ret_uid = st.st_uid;
        }
        if (ret_start)
                *ret_start = start;
        if (ret_ppid)
                *ret_ppid = ppid;
        return 0;
}

uint64_t pw_svc_boot_ticks(void) {
        struct timespec ts;
        clock_gettime(CLOCK_BOOTTIME, &ts);
        long hz = sysconf(_SC_CLK_TCK);
        if (hz <= 0)
                hz = 100;
        return (uint64_t)ts.tv_sec * (uint64_t)hz + (uint64_t)ts.tv_nsec / (1000000000ull / hz);
}

/* 0 when the process behind pidfd is still running, -ESRCH when it has exited. */
static int pidfd_alive(int pidfd) {
        if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0)
                return 0;
        return errno == EPERM ? 0 : -errno; /* EPERM: alive, just not ours to signal */
}

int pw_svc_peer_from_socket(int fd, uint64_t now_ticks, struct pw_svc_peer *ret) {
        struct ucred cred;
        socklen_t len = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return -errno;
        struct pw_svc_peer p = {
                .uid = cred.uid,
                .gid = cred.gid,
                .pid = cred.pid,
                .loginuid = -1,
                .sessionid = -1,
        };
        if (cred.pid <= 0) {
                *ret = p;
                return 0;
        }
        int pidfd = -1;
        len = sizeof pidfd;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 && pidfd >= 0)
                p.peer_pidfd = true;
        else
                pidfd = (int)syscall(SYS_pidfd_open, cred.pid, 0);
        if (pidfd < 0) {
                *ret = p; /* already gone (ESRCH): kernel uid/gid/pid only */
                return 0;
        }
        uint64_t start = 0;
        if (pw_svc_proc_stat(cred.pid, &start, NULL, NULL) == 0) {
                p.start_time = start;
                p.loginuid = read_u32(cred.pid, "loginuid");
                p.sessionid = read_u32(cred.pid, "sessionid");
                char path[64];
                snprintf(path, sizeof path, "/proc/%d/comm", (int)cred.pid);
                if (read_small(path, p.comm, sizeof p.comm) > 0)
                        p.comm[strcspn(p.comm, "\n")] = '\0';
        }
        /* Alive now means /proc above described the pidfd's process. Without SO_PEERPIDFD the pid
         * may have been reused between connect() and pidfd_open(): a process that started after
         * the accept cannot be the one that connected. */
        p.alive = start != 0 && pidfd_alive(pidfd) == 0 &&
                  (p.peer_pidfd || now_ticks == 0 || start <= now_ticks);
        close(pidfd);
        if (!p.alive) {
                p.start_time = 0;
                p.loginuid = -1;
                p.sessionid = -1;
        }
        *ret = p;
        return 0;
}
