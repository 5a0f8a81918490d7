#!/bin/sh
# Debian's Chromium with the package's files (ctest packaging.chromium_policy):
#
# 1. reads /etc/chromium/policies/managed/postwarden.json and force-installs the packed extension
#    from file:///usr/share/postwarden/extension/updates.xml, under the id that the
#    native-messaging manifests allow (Chromium checks the CRX's signature against the id);
# 2. the extension's own worker reaches /usr/libexec/postwarden/postwarden-host through the
#    system manifest /etc/chromium/native-messaging-hosts/, and the host, reading
#    /etc/postwarden/host.json, serves it: hello answers with the extension's id as caller;
# 3. a host manifest of the employee's own (in the profile's NativeMessagingHosts/, pointing at a
#    fake host) is ignored, because of NativeMessagingUserLevelHosts=false. A control run with
#    that one policy taken out must reach the fake host, so the test can tell the difference.
#
# In a private mount namespace the package's files are laid over /etc, /usr/share and
# /usr/libexec (overlayfs, read-only; the real directories are untouched).
# Usage: chromium-policy.sh DEB. Exit 77 (skip) without root, chromium, node or overlayfs.
set -eu
deb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
command -v chromium >/dev/null || { echo "skip: no chromium"; exit 77; }
command -v node >/dev/null || { echo "skip: no node"; exit 77; }
grep -qw overlay /proc/filesystems || { echo "skip: no overlayfs"; exit 77; }

d=$(mktemp -d /tmp/pw-chromium-policy-XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
dpkg-deb -x "$deb" "$d/pkg"
id=$(sed -n 's|.*"chrome-extension://\([a-p]*\)/".*|\1|p' \
        "$d/pkg/etc/chromium/native-messaging-hosts/com.postwarden.host.json")
[ -n "$id" ] || { echo "FAIL: no extension id in the Chromium manifest"; exit 1; }

# The employee's own host: answers any hello with "fake".
cat >"$d/fake-host" <<'FAKE'
#!/usr/bin/perl
read STDIN, $l, 4; read STDIN, $m, unpack("L", $l);
$r = '{"v":1,"id":1,"type":"hello","fake":true}'; print pack("L", length $r), $r;
FAKE
chmod 755 "$d/fake-host"

# Chromium does not let DevTools attach to extensions installed by policy unless
# DeveloperToolsAvailability is 1, so the test adds that one policy in a file of its own.
mkdir -p "$d/etc-test/chromium/policies/managed"
echo '{"DeveloperToolsAvailability": 1}' >"$d/etc-test/chromium/policies/managed/zz-test.json"
# The control: the package's /etc, less NativeMessagingUserLevelHosts.
cp -a "$d/pkg/etc" "$d/etc-control"
sed -i '/NativeMessagingUserLevelHosts/d' "$d/etc-control/chromium/policies/managed/postwarden.json"

run() { # ETC_LOWER NAME -> prints the hello reply
        profile=$d/profile-$2
        mkdir -p "$profile/NativeMessagingHosts"
        printf '{"name":"com.postwarden.host","description":"fake","path":"%s","type":"stdio","allowed_origins":["chrome-extension://%s/"]}\n' \
                "$d/fake-host" "$id" >"$profile/NativeMessagingHosts/com.postwarden.host.json"
        unshare -m --propagation private sh -eu -c '
                d=$1; etc=$2; profile=$3; id=$4; here=$5
                mount -t overlay overlay -o "lowerdir=$d/etc-test:$etc:/etc" /etc
                mount -t overlay overlay -o "lowerdir=$d/pkg/usr/share:/usr/share" /usr/share
                mount -t overlay overlay -o "lowerdir=$d/pkg/usr/libexec:/usr/libexec" /usr/libexec
                HOME=$d/home; export HOME
                mkdir -p "$HOME"
                # In a process group of its own (setsid): its helper processes (zygote,
                # renderers, utilities) outlive the browser process for a moment and still write
                # into the profile, which then cannot be removed ("Directory not empty").
                setsid chromium --no-sandbox --headless=new --disable-gpu --no-first-run \
                        --remote-debugging-port=0 --user-data-dir="$profile" about:blank \
                        >"$profile.log" 2>&1 &
                pid=$!
                rc=0
                node --experimental-websocket --no-warnings "$here/chromium-hello.mjs" "$profile" "$id" ||
                        rc=$?
                kill -TERM -$pid 2>/dev/null || kill $pid
                wait $pid 2>/dev/null || :
                i=0 # until no process of the group is left (kill -0: is there one?), at most 10 s
                while kill -0 -$pid 2>/dev/null && [ $i -lt 100 ]; do
                        kill -TERM -$pid 2>/dev/null || :
                        sleep 0.1
                        i=$((i + 1))
                done
                exit $rc
        ' sh "$d" "$1" "$profile" "$id" "$here" || {
                echo "FAIL: $2 run" >&2
                tail -20 "$profile.log" >&2
                exit 1
        }
}

reply=$(run "$d/pkg/etc" package)
[ -d "$d/profile-package/Default/Extensions/$id" ] ||
        { echo "FAIL: $id is not installed in the profile"; exit 1; }
echo "ok 1 - Chromium force-installed $id from the package's policy and CRX"
case $reply in
*'"name":"postwarden-host"'*"\"caller\":\"$id\""*) ;;
*) echo "FAIL: the extension did not reach the package's host: $reply"; exit 1 ;;
esac
# chrome://policy shows every policy of the package's file with status OK (a wrong name or type
# shows as an error there).
for p in $(sed -n 's/^ *"\([A-Za-z]*\)":.*/\1/p' "$d/pkg/etc/chromium/policies/managed/postwarden.json"); do
        case $reply in
        *"\"$p\":\"OK\""*) ;;
        *) echo "FAIL: chrome://policy does not show $p as OK: $reply"; exit 1 ;;
        esac
done
echo "ok 2 - the extension reached /usr/libexec/postwarden/postwarden-host through the system manifest"
echo "ok 3 - chrome://policy shows each policy of postwarden.json with status OK"
echo "ok 4 - the employee's own host manifest was ignored (NativeMessagingUserLevelHosts=false)"

reply=$(run "$d/etc-control" control)
case $reply in
*'"fake":true'*) ;;
*) echo "FAIL: control run without NativeMessagingUserLevelHosts did not reach the fake host: $reply"; exit 1 ;;
esac
echo "ok 5 - control: without that policy the employee's host wins"
