/* Peer identity from the kernel (docs/service-protocol.md §6).
 *
 * On accept postwardend asks the kernel who is on the other end: SO_PEERCRED (uid, gid, pid as
 * of connect()), a pidfd (SO_PEERPIDFD where the kernel has it, which names the connecting
 * process itself; else pidfd_open(pid)), then /proc/PID/stat start time, loginuid and sessionid,
 * and finally the pidfd again to confirm the process was alive while /proc was read. A pid that
 * died or was reused leaves uid/gid/pid (they came with the socket) but no session facts. */
#ifndef POSTWARDEN_DAEMON_PEER_H
#define POSTWARDEN_DAEMON_PEER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct pw_svc_peer {
        uid_t uid;           /* SO_PEERCRED: the connecting process's effective uid */
        gid_t gid;           /* SO_PEERCRED */
        pid_t pid;           /* SO_PEERCRED; 0 when the kernel had none */
        uint64_t start_time; /* /proc/PID/stat field 22 (clock ticks after boot), 0 unknown */
        int64_t loginuid;    /* /proc/PID/loginuid, -1 when unset or unknown */
        int64_t sessionid;   /* /proc/PID/sessionid, -1 when unset or unknown */
        bool alive;          /* the process was alive after /proc was read: facts above hold */
        bool peer_pidfd;     /* the pidfd came from SO_PEERPIDFD (no pid-reuse window at all) */
        char comm[16];       /* /proc/PID/comm, for logs only */
};

/* Fills *ret for the connected socket `fd`. Returns 0 (even when the process is gone: then
 * alive is false and the /proc facts are unknown), or -errno when SO_PEERCRED fails. `now_ticks`
 * (0: skip the check) is CLOCK_BOOTTIME at accept in clock ticks: a process that started later
 * cannot be the one that connected. */
int pw_svc_peer_from_socket(int fd, uint64_t now_ticks, struct pw_svc_peer *ret);

/* CLOCK_BOOTTIME in clock ticks (sysconf(_SC_CLK_TCK)), as /proc/PID/stat counts start times. */
uint64_t pw_svc_boot_ticks(void);

/* Reads /proc/PID/stat: start time (field 22) and parent pid. Returns 0 or -errno. */
int pw_svc_proc_stat(pid_t pid, uint64_t *ret_start, pid_t *ret_ppid, uid_t *ret_uid);

#endif
