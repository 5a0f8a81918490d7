#!/bin/sh
# lintian on the built package (ctest packaging.lintian): any error or warning fails. The few
# tags that are right for this package are overridden, each with its reason, in
# packaging/debian/postwarden.lintian-overrides; informational tags are shown, not counted.
# Usage: lintian.sh DEB_DIR
set -eu
command -v lintian >/dev/null || { echo "skip: no lintian"; exit 77; }
debs=$(ls "$1"/postwarden_*.deb)
# shellcheck disable=SC2086
lintian --fail-on error,warning --display-info --show-overrides $debs 2>&1 |
        grep -v 'running with root privileges' || :
# shellcheck disable=SC2086
lintian --fail-on error,warning $debs >/dev/null 2>&1 || {
        echo "FAIL: lintian reports errors or warnings"
        exit 1
}
echo "lintian: no errors, no warnings"
