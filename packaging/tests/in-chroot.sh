#!/bin/sh
# Runs inside the Debian 12 chroot made by install-purge.sh: install the package with apt, use
# it (a PAM session through the real stack, the browser host through its installed manifest,
# the session in the audit store), purge it, and check that nothing of it is left and /etc/pam.d
# is byte-identical to before. systemd is not PID 1 here: postwardend is started by hand as its
# user, and the units' enablement symlinks are checked instead of starting them.
set -eu
deb=$1
export DEBIAN_FRONTEND=noninteractive
n=0
ok() {
        n=$((n + 1))
        echo "ok $n - $*"
}
fail() {
        echo "FAIL: $*" >&2
        [ -f /tmp/pwd.log ] && sed 's/^/  postwardend: /' /tmp/pwd.log >&2
        exit 1
}

# Everything on the root file system (proc, dev, run, tmp are other mounts), with what each
# entry is; and /etc/pam.d byte for byte.
snapshot() {
        find / -xdev \( -path /pw-test -o -path /var/lib/dpkg -o -path /var/log -o \
                -path /var/cache/apt -o -path /var/cache/debconf -o -path /var/lib/apt \) -prune -o \
                -printf '%y %p\n' | sort
}
pamd() { (cd /etc/pam.d && find . -printf '%y %p %l\n' | sort && find . -type f -exec sha256sum {} + | sort); }
snapshot >/tmp/fs-before
pamd >/tmp/pamd-before

# --- install -------------------------------------------------------------------------------------
apt-get install -y -qq --no-install-recommends "$deb" >/tmp/apt-install.log 2>&1 ||
        { cat /tmp/apt-install.log; fail "apt-get install"; }
dpkg -L postwarden | sort >/tmp/files
ok "apt-get install ./$(basename "$deb")"

getent passwd postwarden >/dev/null || fail "no user postwarden"
getent group postwarden >/dev/null || fail "no group postwarden"
getent group postwarden-admin >/dev/null || fail "no group postwarden-admin"
ok "systemd-sysusers made postwarden and postwarden-admin"

perm() { stat -c '%a %U:%G' "$1"; }
[ "$(perm /etc/postwarden/policy.json)" = "640 root:postwarden" ] ||
        fail "/etc/postwarden/policy.json is $(perm /etc/postwarden/policy.json)"
for f in /etc/postwarden/*.txt; do
        [ "$(perm "$f")" = "640 root:postwarden" ] || fail "$f is $(perm "$f")"
done
[ "$(perm /etc/postwarden/host.json)" = "644 root:root" ] || fail "host.json is $(perm /etc/postwarden/host.json)"
grep -qx /etc/postwarden/policy.json /var/lib/dpkg/info/postwarden.conffiles ||
        fail "policy.json is not a conffile"
[ "$(perm /var/lib/postwarden)" = "711 postwarden:postwarden" ] ||
        fail "/var/lib/postwarden is $(perm /var/lib/postwarden)"
[ "$(perm /var/cache/postwarden)" = "700 postwarden:postwarden" ] ||
        fail "/var/cache/postwarden is $(perm /var/cache/postwarden)"
[ -d /run/postwarden ] || fail "no /run/postwarden"
ok "policy 0640 root:postwarden (conffile), state 0711 and cache 0700 postwarden (tmpfiles)"

link() { [ "$(readlink "/etc/systemd/system/$1")" = "/lib/systemd/system/${1##*/}" ] || fail "no unit symlink /etc/systemd/system/$1"; }
link sockets.target.wants/postwardend.socket
link multi-user.target.wants/postwardend.service
link timers.target.wants/postwarden-purge.timer
ok "postwardend.socket and .service, and the daily retention timer, enabled"

grep -Eq '^session[[:space:]]+optional[[:space:]]+pam_postwarden\.so' /etc/pam.d/common-session ||
        fail "pam_postwarden.so is not in common-session"
! grep -q pam_postwarden /etc/pam.d/common-session-noninteractive ||
        fail "pam_postwarden.so in common-session-noninteractive"
ok "pam-auth-update put 'session optional pam_postwarden.so' in common-session"

# --- use -----------------------------------------------------------------------------------------
# What the socket unit would do: the socket in /run/postwarden, here bound by the service itself;
# and what postwardend.service's SupplementaryGroups=postwarden-admin does.
chown postwarden:postwarden /run/postwarden
setpriv --reuid=postwarden --regid=postwarden --groups=postwarden-admin --inh-caps=-all \
        /usr/sbin/postwardend --foreground >/tmp/pwd.log 2>&1 &
pwd_pid=$!
i=0
while [ ! -S /run/postwarden/postwarden.sock ]; do
        i=$((i + 1))
        [ $i -lt 100 ] || fail "postwardend did not listen in 10 s"
        kill -0 $pwd_pid 2>/dev/null || fail "postwardend exited"
        sleep 0.1
done
ok "postwardend runs as postwarden with the installed policy"

pamtester postwarden-test alice open_session close_session >/tmp/pamtester.log 2>&1 ||
        { cat /tmp/pamtester.log; fail "pamtester"; }
sleep 0.5
rows=$(sqlite3 -readonly /var/lib/postwarden/audit.db \
        "SELECT user || '|' || service || '|' || src || '|' || (closed_us IS NOT NULL) FROM sessions")
[ "$rows" = "alice|postwarden-test|pam|1" ] || fail "sessions in the store: '$rows'"
ok "pamtester opened and closed a session through common-session; the store has it"

# An admin (a member of postwarden-admin) lists it with postwardenctl; the service gave the
# database to that group. An employee may not read the audit trail.
[ "$(perm /var/lib/postwarden/audit.db)" = "640 postwarden:postwarden-admin" ] ||
        fail "/var/lib/postwarden/audit.db is $(perm /var/lib/postwarden/audit.db)"
useradd -M -N -G postwarden-admin auditor
setpriv --reuid=auditor --regid=users --init-groups postwardenctl audit sessions >/tmp/ctl.log 2>&1 ||
        { cat /tmp/ctl.log; fail "postwardenctl audit sessions as a member of postwarden-admin"; }
grep -q alice /tmp/ctl.log || fail "postwardenctl audit sessions does not list alice: $(cat /tmp/ctl.log)"
if setpriv --reuid=alice --regid=alice --init-groups postwardenctl audit sessions >/tmp/ctl.log 2>&1; then
        fail "an employee could read the audit trail: $(cat /tmp/ctl.log)"
fi
userdel auditor
ok "audit.db 0640 postwarden:postwarden-admin; an admin lists the session, alice may not"

# The host, found through Chromium's installed manifest, started as the employee the way the
# browser starts it (caller origin in argv), answers a framed hello through the service.
m=/etc/chromium/native-messaging-hosts/com.postwarden.host.json
host=$(sed -n 's/^ *"path": *"\([^"]*\)".*/\1/p' "$m")
origin=$(sed -n 's/.*"allowed_origins": *\["\([^"]*\)"\].*/\1/p' "$m")
[ -x "$host" ] || fail "the manifest's path '$host' is not an executable"
reply=$(perl -e '$m = q({"v":1,"id":1,"type":"hello"}); print pack("L", length $m), $m' |
        setpriv --reuid=alice --regid=alice --init-groups "$host" "$origin" | tail -c +5)
echo "$reply" | grep -q '"type": *"hello"' || fail "host reply: $reply"
echo "$reply" | grep -q '"service": *"available"' || fail "host did not reach the service: $reply"
echo "$reply" | grep -q '"user": *"alice"' || fail "host reply user: $reply"
ok "$host answers hello through the service (manifest $m)"

# --- reinstall, remove, purge ---------------------------------------------------------------------
# prerm stops the units where systemd runs; here the service started by hand is stopped by hand.
kill $pwd_pid
wait $pwd_pid || :

# The maintainer scripts run again on a reinstall (prerm upgrade, postinst configure with the old
# version): nothing doubles, nothing is lost.
echo "# local edit" >>/etc/postwarden/policy.json
dpkg -i "$deb" >/tmp/dpkg-reinstall.log 2>&1 || { cat /tmp/dpkg-reinstall.log; fail "dpkg -i again"; }
[ "$(grep -c pam_postwarden /etc/pam.d/common-session)" = 1 ] || fail "pam_postwarden.so twice after reinstall"
tail -1 /etc/postwarden/policy.json | grep -q "# local edit" || fail "reinstall replaced the admin's policy"
[ "$(perm /etc/postwarden/policy.json)" = "640 root:postwarden" ] || fail "policy.json mode after reinstall"
[ -s /var/lib/postwarden/audit.db ] || fail "reinstall lost the audit store"
ok "reinstall: one PAM line, the admin's policy kept, the store kept"

apt-get remove -y -qq postwarden >/tmp/apt-remove.log 2>&1 || { cat /tmp/apt-remove.log; fail "apt-get remove"; }
! grep -q pam_postwarden /etc/pam.d/common-session || fail "remove left pam_postwarden.so in common-session"
[ -f /etc/postwarden/policy.json ] || fail "remove (not purge) deleted the policy conffile"
[ ! -e /usr/sbin/postwardend ] || fail "remove left /usr/sbin/postwardend"
ok "apt-get remove: PAM line gone, conffiles kept"
apt-get purge -y -qq postwarden >/tmp/apt-purge.log 2>&1 || { cat /tmp/apt-purge.log; fail "apt-get purge"; }
ok "apt-get purge postwarden"

left=""
while read -r f; do
        [ "$f" = /. ] && continue
        if [ -e "$f" ] || [ -L "$f" ]; then
                # A directory may stay when another package owns it too, and /lib is /usr/lib's
                # alias (merged /usr), a symlink no package owns.
                if [ -d "$f" ] && { [ -L "$f" ] || dpkg -S "$f" >/dev/null 2>&1; }; then continue; fi
                left="$left $f"
        fi
done </tmp/files
[ -z "$left" ] || fail "left after purge:$left"
for d in /etc/postwarden /var/lib/postwarden /var/cache/postwarden /run/postwarden; do
        [ ! -e "$d" ] || fail "$d is left after purge"
done
ok "no file of the package is left ($(wc -l </tmp/files) paths checked)"

pamd >/tmp/pamd-after
cmp -s /tmp/pamd-before /tmp/pamd-after || {
        diff /tmp/pamd-before /tmp/pamd-after >&2
        fail "/etc/pam.d differs from before"
}
ok "/etc/pam.d is byte-identical to before"

# Whole file system: only the users (kept by design, see packaging/README.md), pam-auth-update's
# own state, and the empty /etc/opt may differ. base-files makes /etc/opt on every Debian system
# but no package owns it, so dpkg removes it, empty, with the last package that had files in it
# (here the Chrome and Edge policies); dpkg removes leftover directories after postrm, so the
# package cannot put it back.
snapshot >/tmp/fs-after
diff /tmp/fs-before /tmp/fs-after | grep '^[<>]' |
        grep -Ev ' /etc/(passwd|group|shadow|gshadow)-?$| /var/lib/pam/| /etc/ld\.so\.cache$|^< d /etc/opt$' \
                >/tmp/fs-diff || :
[ ! -s /tmp/fs-diff ] || {
        cat /tmp/fs-diff >&2
        fail "the file system differs from before install"
}
ok "the file system is as before install, but for the kept users and the empty /etc/opt"
echo "1..$n"
