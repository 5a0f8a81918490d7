#!/bin/sh
# Checks the systemd units in packaging/systemd (postwardend.{socket,service} and
# postwarden-purge.{service,timer}) with `systemd-analyze verify`, ExecStart pointed at the
# built binaries. Any complaint fails the test (unknown keys are only warnings to systemd, so
# the output is checked, not just the exit status). Then the timer's schedule is checked: daily,
# persistent, with a random delay.
# Usage: service_units.sh SOURCE_DIR POSTWARDEND_BINARY [POSTWARDENCTL_BINARY]
set -eu
src=$1
bin=$2
ctl=${3:-/bin/true}
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cp "$src/packaging/systemd/postwardend.socket" "$src/packaging/systemd/postwarden-purge.timer" "$d/"
sed "s|/usr/sbin/postwardend|$bin|" "$src/packaging/systemd/postwardend.service" >"$d/postwardend.service"
sed "s|/usr/bin/postwardenctl|$ctl|" "$src/packaging/systemd/postwarden-purge.service" >"$d/postwarden-purge.service"
grep -q "^ExecStart=$ctl audit purge\$" "$d/postwarden-purge.service" || {
        echo "postwarden-purge.service does not run 'postwardenctl audit purge' (without --before)"
        exit 1
}
out=$(cd "$d" && systemd-analyze verify --man=no ./postwardend.socket ./postwardend.service \
        ./postwarden-purge.service ./postwarden-purge.timer 2>&1) || {
        echo "$out"
        exit 1
}
if [ -n "$out" ]; then
        echo "$out"
        exit 1
fi
t="$d/postwarden-purge.timer"
for want in "OnCalendar=daily" "Persistent=true" "RandomizedDelaySec="; do
        grep -q "^$want" "$t" || {
                echo "postwarden-purge.timer: no $want"
                exit 1
        }
done
# The calendar expression must parse and recur every day.
if systemd-analyze calendar --iterations=2 daily >"$d/cal" 2>&1; then
        grep -q "Next elapse" "$d/cal" || {
                cat "$d/cal"
                exit 1
        }
fi
echo "units verify"
