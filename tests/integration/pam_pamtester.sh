#!/bin/sh
# pam_postwarden.so under pamtester, a real PAM application, with pam_wrapper supplying the
# service files (LD_PRELOAD works with any binary). Usage:
#   pam_pamtester.sh MODULE PRELOAD [POSTWARDEND POLICY]
# Without a service the session opens and closes (fail open) and says why in the log; with
# fail=closed pamtester is refused. With POSTWARDEND, a real service on a temporary socket and
# database records the session, and sqlite3 finds its row with tty, rhost and close time.
set -eu
module=$1
preload=$2
daemon=${3:-}
policy=${4:-}

dir=$(mktemp -d /tmp/pw-pamtester-XXXXXX)
pid=
cleanup() {
        if [ -n "$pid" ]; then
                kill "$pid" 2>/dev/null || :
                wait "$pid" 2>/dev/null || : # its status is SIGTERM's, not ours
        fi
        rm -rf "$dir"
}
trap cleanup EXIT INT TERM
mkdir "$dir/svc"
echo "session required pam_deny.so" >"$dir/svc/other"
printf 'session required %s socket=%s/absent.sock timeout_ms=100\n' "$module" "$dir" \
        >"$dir/svc/pw-open"
printf 'session required %s socket=%s/absent.sock timeout_ms=100 fail=closed\n' "$module" "$dir" \
        >"$dir/svc/pw-closed"
printf 'session required %s debug socket=%s/pw.sock timeout_ms=2000\n' "$module" "$dir" \
        >"$dir/svc/pw-real"

# Deep binding off (for sanitizer builds): pam_wrapper 1.1.4 (Debian 12) reads the variable under
# uid_wrapper's name, so both are set.
pamtester_wrapped() {
        LD_PRELOAD=$preload PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$dir/svc \
                PAM_WRAPPER_DEBUGLEVEL=2 PAM_WRAPPER_DISABLE_DEEPBIND=1 \
                UID_WRAPPER_DISABLE_DEEPBIND=1 \
                pamtester -I tty=pts/9 -I rhost=192.0.2.7 "$@"
}
fail() {
        echo "FAIL: $*" >&2
        exit 1
}

# 1. no service: the session opens and closes, and the log says why it was not recorded
pamtester_wrapped pw-open nobody open_session close_session >"$dir/out" 2>"$dir/err" ||
        fail "fail-open session was refused: $(cat "$dir/err")"
grep -q "successfully opened a session" "$dir/out" || fail "no open: $(cat "$dir/out")"
grep -q "session has successfully been closed" "$dir/out" || fail "no close"
grep -q "session open not recorded (service not running" "$dir/err" || fail "no log line"
echo "ok 1 - fail open under pamtester"

# 2. fail=closed: refused
if pamtester_wrapped pw-closed nobody open_session >"$dir/out" 2>"$dir/err"; then
        fail "fail=closed session was opened"
fi
grep -q "fail=closed: refusing" "$dir/err" || fail "no fail=closed log line"
echo "ok 2 - fail=closed refuses under pamtester"

# 3. a real postwardend records the session
if [ -z "$daemon" ]; then
        echo "ok 3 # SKIP no postwardend given"
        exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
        echo "ok 3 # SKIP not root (postwardend takes session messages from root only)"
        exit 0
fi
"$daemon" --foreground --socket "$dir/pw.sock" --db "$dir/audit.db" --policy "$policy" \
        --cache none >"$dir/daemon.log" 2>&1 &
pid=$!
i=0
while [ ! -S "$dir/pw.sock" ]; do
        i=$((i + 1))
        [ $i -gt 100 ] && fail "postwardend did not start: $(cat "$dir/daemon.log")"
        sleep 0.05
done
pamtester_wrapped pw-real nobody open_session close_session >"$dir/out" 2>"$dir/err" ||
        fail "session with the service up was refused: $(cat "$dir/err")"
grep -q "session open recorded" "$dir/err" || fail "open not recorded: $(cat "$dir/err")"
grep -q "session close recorded" "$dir/err" || fail "close not recorded: $(cat "$dir/err")"
row=$(sqlite3 -separator '|' "$dir/audit.db" \
        "SELECT user, uid, service, tty, rhost, src, closed_us >= opened_us FROM sessions;")
[ "$row" = "nobody|65534|pw-real|pts/9|192.0.2.7|pam|1" ] || fail "session row: '$row'"
echo "ok 3 - postwardend recorded the session opened and closed by pamtester"
