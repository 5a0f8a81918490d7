#!/bin/sh
# postwardenctl policy check/compile/test as a whole process: exit statuses, error lines
# (file:line:column: rule ID: message), the cache, readable and JSON verdicts.
# Usage: test_policy_cli.sh POSTWARDENCTL SOURCE_DIR
set -eu
ctl=$1
src=$2
tmp=$(mktemp -d /tmp/pw-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0

fail() {
        echo "FAIL: $*" >&2
        fails=$((fails + 1))
}

# expect STATUS CMD... : runs CMD, output in $tmp/out and $tmp/err, checks the exit status
expect() {
        want=$1
        shift
        set +e
        "$@" >"$tmp/out" 2>"$tmp/err"
        got=$?
        set -e
        [ "$got" = "$want" ] || fail "exit $got, want $want: $* ($(cat "$tmp/err"))"
}

contains() { # FILE TEXT
        grep -qF -- "$2" "$1" || fail "$1 lacks '$2': $(cat "$1")"
}

cp -r "$src/policy/default" "$tmp/policy"
pol=$tmp/policy/policy.json

# --- check ---
expect 0 "$ctl" policy check "$pol"
contains "$tmp/out" "valid (policy id "

cat >"$tmp/bad.json" <<'JSON'
{"rules": [
  {"id": "r1", "action": "warn", "message": "m",
   "match": {"terms": ["a"]}, "modes": ["any", "weekend"]}]}
JSON
expect 1 "$ctl" policy check "$tmp/bad.json"
contains "$tmp/err" "$tmp/bad.json:3:48: rule r1: unknown mode \"weekend\""

printf '{"rules": [}\n' >"$tmp/syntax.json"
expect 1 "$ctl" policy check "$tmp/syntax.json"
contains "$tmp/err" "$tmp/syntax.json:1:12: "

expect 1 "$ctl" policy check "$tmp/missing.json"
contains "$tmp/err" "$tmp/missing.json: cannot read the policy"

expect 2 "$ctl" policy frobnicate

# --- compile: cache written, then loaded ---
mkdir "$tmp/cache"
expect 0 "$ctl" policy compile --cache "$tmp/cache" "$pol"
contains "$tmp/out" "compiled in"
ls "$tmp/cache"/policy-*.hsdb >/dev/null || fail "no cache file"
expect 0 "$ctl" policy compile --cache "$tmp/cache" "$pol"
contains "$tmp/out" "loaded from the cache"
# a corrupt cache file is rebuilt, not trusted
for f in "$tmp/cache"/policy-*.hsdb; do printf 'garbage' | dd of="$f" bs=1 seek=200 conv=notrunc 2>/dev/null; done
expect 0 "$ctl" policy compile --cache "$tmp/cache" "$pol"
contains "$tmp/out" "compiled in"
# an unwritable cache directory is an error for compile
expect 2 "$ctl" policy compile --cache "$tmp/nonexistent" "$pol"

# --- test: the README demo (clean, warned, blocked, wrong account) ---
t() { "$ctl" policy test --policy "$pol" --cache "$tmp/cache" "$@"; }
expect 0 t --mode personal "What a lovely sunset at the beach today."
contains "$tmp/out" "verdict: allow"
expect 3 t --mode personal "I really like working at Acme."
contains "$tmp/out" "trademarks-personal"
expect 4 t --mode business "Sneak peek at Project Bluebird, under NDA!"
contains "$tmp/out" "confidential-code-names"
contains "$tmp/out" "confidential-markers"
expect 4 t --account x.com:@AcmeCorp --user mallory "Big news today!"
contains "$tmp/out" "NOT authorised"
contains "$tmp/out" "company-account"
expect 0 t --account x.com:@AcmeCorp --user alice "Big news today!"
contains "$tmp/out" "account: acme-x (company account, authorised)"
expect 0 t --account x.com:@AcmeCorp --user carol --group social-media "Big news today!"

# JSON and stdin (with a NUL byte and a full-width code name)
printf 'a\000 \357\274\263tormwing' >"$tmp/text"
expect 4 t --mode personal --json - <"$tmp/text"
contains "$tmp/out" '"rule":"confidential-code-names"'
contains "$tmp/out" '"span":{"bytes":[3,14],"cp":[3,12],"utf16":[3,12]}'
python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); assert v["action"]=="block" and v["mode"]=="personal"' "$tmp/out" ||
        fail "JSON verdict does not parse"

expect 2 t --mode weekend "x"
expect 2 t --account nocolon "x"

if [ "$fails" -ne 0 ]; then
        echo "$fails failure(s)" >&2
        exit 1
fi
echo "policy CLI: all checks passed"
