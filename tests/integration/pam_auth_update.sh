#!/bin/sh
# The pam-auth-update profile (packaging/pam-configs/postwarden) as Debian's own tool reads it:
# in a private mount namespace, copies of /etc/pam.d, /usr/share/pam-configs (plus ours) and
# /var/lib/pam are bound over the real ones and `pam-auth-update --package --enable postwarden`
# runs. The module must land in common-session after pam_systemd (so XDG_SESSION_ID is known),
# as `optional`, and not in common-session-noninteractive. The real files are never touched.
# Usage: pam_auth_update.sh PROFILE. Exit 77 (skip) without root, unshare or pam-auth-update.
set -eu
profile=$1
[ "$(id -u)" -eq 0 ] || exit 77
command -v pam-auth-update >/dev/null || exit 77
command -v unshare >/dev/null || exit 77

dir=$(mktemp -d /tmp/pw-pamauth-XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM
mkdir "$dir/pam.d" "$dir/configs" "$dir/var"
cp -a /etc/pam.d/. "$dir/pam.d/"
cp -a /usr/share/pam-configs/. "$dir/configs/"
cp -a /var/lib/pam/. "$dir/var/" 2>/dev/null || :
cp "$profile" "$dir/configs/postwarden"

unshare -m sh -c '
        set -eu
        mount --make-rprivate /
        mount --bind "$1/pam.d" /etc/pam.d
        mount --bind "$1/configs" /usr/share/pam-configs
        mount --bind "$1/var" /var/lib/pam
        DEBIAN_FRONTEND=noninteractive pam-auth-update --package --enable postwarden
        cp /etc/pam.d/common-session /etc/pam.d/common-session-noninteractive "$1/"
' sh "$dir" >"$dir/log" 2>&1 || {
        if grep -q "Operation not permitted" "$dir/log"; then exit 77; fi
        cat "$dir/log" >&2
        exit 1
}

fail() {
        echo "FAIL: $*" >&2
        echo "--- common-session:" >&2
        cat "$dir/common-session" >&2
        exit 1
}
line=$(grep -n 'pam_postwarden\.so' "$dir/common-session" || :)
[ -n "$line" ] || fail "pam_postwarden.so is not in common-session"
echo "$line" | grep -Eq '^[0-9]+:session[[:space:]]+optional[[:space:]]+pam_postwarden\.so' ||
        fail "not 'session optional': $line"
! grep -q pam_postwarden "$dir/common-session-noninteractive" ||
        fail "pam_postwarden.so is in common-session-noninteractive"
systemd=$(grep -n 'pam_systemd\.so' "$dir/common-session" | cut -d: -f1 || :)
if [ -n "$systemd" ] && [ "${line%%:*}" -lt "$systemd" ]; then
        fail "pam_postwarden.so comes before pam_systemd.so"
fi
grep -q pam_postwarden /etc/pam.d/common-session && fail "the real common-session was changed"
echo "ok - pam-auth-update puts 'session optional pam_postwarden.so' after pam_systemd"
