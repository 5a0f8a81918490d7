#!/bin/sh
# Debian's Chromium reads the package's managed policy and force-installs the packed extension
# from the package's own update manifest (ctest packaging.chromium_policy).
#
# In a private mount namespace the package's files are laid over /etc/chromium and /usr/share
# (overlayfs, read-only, the real directories untouched), and headless Chromium starts with an
# empty profile. The test passes when the extension, under the id the native-messaging manifests
# allow, is installed in the profile: Chromium found /etc/chromium/policies/managed/postwarden.json,
# fetched file:///usr/share/postwarden/extension/updates.xml and accepted the CRX's signature.
# Usage: chromium-policy.sh DEB. Exit 77 (skip) without root, chromium or overlayfs.
set -eu
deb=$(readlink -f "$1")
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
command -v chromium >/dev/null || { echo "skip: no chromium"; exit 77; }
grep -qw overlay /proc/filesystems || { echo "skip: no overlayfs"; exit 77; }

d=$(mktemp -d /tmp/pw-chromium-policy-XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
dpkg-deb -x "$deb" "$d/pkg"
id=$(sed -n 's|.*"chrome-extension://\([a-p]*\)/".*|\1|p' \
        "$d/pkg/etc/chromium/native-messaging-hosts/com.postwarden.host.json")
[ -n "$id" ] || { echo "FAIL: no extension id in the Chromium manifest"; exit 1; }
grep -q "\"$id;file:///usr/share/postwarden/extension/updates.xml\"" \
        "$d/pkg/etc/chromium/policies/managed/postwarden.json" ||
        { echo "FAIL: the managed policy does not force-install $id"; exit 1; }

unshare -m --propagation private sh -eu -c '
        d=$1; id=$2
        mount -t overlay overlay -o "lowerdir=$d/pkg/etc/chromium:/etc/chromium" /etc/chromium
        mount -t overlay overlay -o "lowerdir=$d/pkg/usr/share:/usr/share" /usr/share
        HOME=$d/home; export HOME
        mkdir -p "$HOME"
        chromium --no-sandbox --headless=new --disable-gpu --no-first-run \
                --user-data-dir="$d/profile" about:blank >"$d/chromium.log" 2>&1 &
        pid=$!
        i=0
        while [ ! -f "$d/profile/Default/Extensions/$id/"*/manifest.json ] 2>/dev/null; do
                i=$((i + 1))
                if [ $i -gt 600 ] || ! kill -0 $pid 2>/dev/null; then
                        kill $pid 2>/dev/null || :
                        echo "FAIL: Chromium did not force-install $id in 60 s"
                        tail -20 "$d/chromium.log"
                        exit 1
                fi
                sleep 0.1
        done
        kill $pid
        wait $pid 2>/dev/null || :
        echo "ok - Chromium force-installed $id from the package policy ($((i / 10)) s)"
' sh "$d" "$id"
