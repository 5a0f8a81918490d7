#!/bin/sh
# Checks packaging/systemd/postwardend.{socket,service} with `systemd-analyze verify`, ExecStart
# pointed at the built binary. Any complaint fails the test (unknown keys are only warnings to
# systemd, so the output is checked, not just the exit status).
# Usage: service_units.sh SOURCE_DIR POSTWARDEND_BINARY
set -eu
src=$1
bin=$2
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cp "$src/packaging/systemd/postwardend.socket" "$d/"
sed "s|/usr/sbin/postwardend|$bin|" "$src/packaging/systemd/postwardend.service" >"$d/postwardend.service"
out=$(cd "$d" && systemd-analyze verify --man=no ./postwardend.socket ./postwardend.service 2>&1) || {
        echo "$out"
        exit 1
}
if [ -n "$out" ]; then
        echo "$out"
        exit 1
fi
echo "units verify"
