#!/bin/sh
# Install, use, purge the built package in a Debian 12 chroot (ctest packaging.install_purge).
#
#   install-purge.sh DEB CACHE_DIR
#
# The chroot is `debootstrap --variant=minbase bookworm` plus the package's dependencies,
# pamtester and sqlite3, a user alice and a PAM service that includes common-session. It is made
# once and kept in CACHE_DIR (keyed by the dependency list); each run mounts an overlay on it in
# a private mount namespace, so the cached tree is never changed and nothing is left behind.
# The steps inside are in-chroot.sh. Exit 77 (skip) without root, debootstrap or overlayfs.
set -eu
deb=$(readlink -f "$1")
cache=$2
here=$(cd "$(dirname "$0")" && pwd)
mirror=${POSTWARDEN_DEBIAN_MIRROR:-http://deb.debian.org/debian}

[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
for t in debootstrap unshare chroot dpkg-deb; do
        command -v $t >/dev/null || { echo "skip: no $t"; exit 77; }
done
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
        { echo "skip: no overlayfs"; exit 77; }

# What the cached tree holds; a change in any of it makes a new one.
extra="pamtester, sqlite3"
deps=$(dpkg-deb -f "$deb" Depends)
key=$( (echo "$deps"; echo "$extra"; cat "$0") | sha256sum | cut -c1-12)
base=$cache/bookworm-$key
mkdir -p "$cache"

if [ ! -e "$base/.complete" ]; then
        rm -rf "$cache"/bookworm-*
        echo "# creating the chroot $base (once; later runs reuse it)"
        start=$(date +%s)
        debootstrap --variant=minbase bookworm "$base.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
                tail -20 "$cache/debootstrap.log"
                exit 1
        }
        cp /etc/resolv.conf "$base.tmp/etc/resolv.conf"
        unshare -m --propagation private sh -eu -c '
                root=$1; deps=$2
                mount -t proc proc "$root/proc"
                mount --rbind /dev "$root/dev"
                chroot "$root" sh -eu -c "
                        export DEBIAN_FRONTEND=noninteractive
                        apt-get update -qq
                        apt-get satisfy -y -qq --no-install-recommends \"\$1\" >/dev/null
                        apt-get clean
                        rm -rf /var/lib/apt/lists/*
                        useradd -m -s /bin/sh alice
                        printf \"%s\n\" \"auth required pam_permit.so\" \
                                \"account required pam_permit.so\" \
                                \"@include common-session\" >/etc/pam.d/postwarden-test
                " sh "$deps"
        ' sh "$base.tmp" "$deps, $extra" >>"$cache/debootstrap.log" 2>&1 || {
                tail -20 "$cache/debootstrap.log"
                exit 1
        }
        touch "$base.tmp/.complete"
        mv "$base.tmp" "$base"
        echo "# chroot made in $(($(date +%s) - start)) s"
fi

# The overlay's upper layer on a tmpfs: writes of this run vanish with the namespace.
run=$(mktemp -d /tmp/pw-install-purge-XXXXXX)
trap 'rm -rf "$run"' EXIT INT TERM
cp "$deb" "$here/in-chroot.sh" "$run/"
unshare -m --propagation private sh -eu -c '
        base=$1; run=$2
        mkdir "$run/ovl" "$run/root"
        mount -t tmpfs tmpfs "$run/ovl"
        mkdir "$run/ovl/upper" "$run/ovl/work"
        mount -t overlay overlay \
                -o "lowerdir=$base,upperdir=$run/ovl/upper,workdir=$run/ovl/work" "$run/root"
        r=$run/root
        mount -t proc proc "$r/proc"
        mount --rbind /dev "$r/dev"
        mount -t tmpfs tmpfs "$r/run"
        mount -t tmpfs tmpfs "$r/tmp"
        mkdir "$r/pw-test"
        cp "$run"/*.deb "$run/in-chroot.sh" "$r/pw-test/"
        exec chroot "$r" sh /pw-test/in-chroot.sh /pw-test/$(basename "$run"/*.deb)
' sh "$base" "$run"
