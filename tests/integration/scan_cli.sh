#!/bin/sh
# Integration: postwardenctl scan --jsonl over a file with good and bad lines. Bad lines are
# reported on stderr with their line number and skipped, good ones are answered, the exit status
# says some lines were bad; the one-text mode prints masked detections only.
set -eu
ctl=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export POSTWARDEN_CACHE_DIR="$tmp"
fail() {
        echo "FAIL: $*" >&2
        exit 1
}
cat > "$tmp/in.jsonl" <<'JSONL'
{"i": 1, "text": "card 4111 1111 1111 1111", "extra": "ignored"}
{"i": 2, "text": 
{"i": 3, "text": "nothing here"}
{"i": "four", "text": "x"}
{"i": 5, "text": "mail jane.doe@example.com and key AKIAJ7Q2XEZ4RLW3MNOP"}
JSONL
status=0
"$ctl" scan --jsonl --cache-dir "$tmp" "$tmp/in.jsonl" > "$tmp/out" 2> "$tmp/err" || status=$?
[ "$status" = 1 ] || fail "exit status $status, expected 1"
grep -q ':2:' "$tmp/err" || fail "line 2 not reported: $(cat "$tmp/err")"
grep -q ':4:' "$tmp/err" || fail "line 4 not reported: $(cat "$tmp/err")"
[ "$(wc -l < "$tmp/out")" = 3 ] || fail "expected 3 answers: $(cat "$tmp/out")"
grep -qx '{"i":1,"matched":true,"categories":\["credit_card"\]}' "$tmp/out" || fail "line 1: $(cat "$tmp/out")"
grep -qx '{"i":3,"matched":false,"categories":\[\]}' "$tmp/out" || fail "line 3"
grep -qx '{"i":5,"matched":true,"categories":\["email","aws_key"\]}' "$tmp/out" || fail "line 5: $(cat "$tmp/out")"
# stdin works too
printf '{"i": 9, "text": "IBAN GB82 WEST 1234 5698 7654 32"}\n' | "$ctl" scan --jsonl - | grep -q '"iban"' || fail "stdin"
# one-text mode: masked excerpt, never the number
out=$("$ctl" scan "pay 4111 1111 1111 1111")
echo "$out" | grep -q '\*\*\*\* \*\*\*\* \*\*\*\* 1111' || fail "mask: $out"
echo "$out" | grep -q '4111 1111' && fail "unmasked: $out"
# usage errors
"$ctl" scan --min-confidence 500 x > /dev/null 2>&1 && fail "bad --min-confidence accepted"
"$ctl" scan --jsonl /nonexistent/file > /dev/null 2>&1 && fail "missing file accepted"
echo "ok"
