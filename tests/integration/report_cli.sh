#!/bin/sh
# postwardenctl audit report on a seeded database with hostile values (pw-audit-seed --hostile):
# the HTML has no script, no raw control or bidi character, no reference to anything outside
# the file, and its counts equal what sqlite3 counts in the same database; a tampered row makes
# the report say so (exit 1); bad arguments and an unreadable database are refused (exit 2).
#
#   report_cli.sh POSTWARDENCTL PW-AUDIT-SEED
set -eu
ctl=$1
seed=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
        echo "FAIL: $*" >&2
        exit 1
}

report() { "$ctl" audit report "$@"; }

db=$tmp/audit.db
"$seed" --events 3000 --seed 13 --hostile "$db" >/dev/null

# 1,234,567
commas() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
us() { echo "$(date -u -d "$1" +%s)000000"; }
q() { sqlite3 -readonly "$db" "$1"; }
# The number shown in the element with data-pw="$1".
shown() { sed -n "s/.*data-pw=\"$1\"[^>]*>\([^<]*\)<.*/\1/p" "$2" | head -n 1; }

check_counts() { # FILE SINCE UNTIL (µs)
        f=$1
        period="time_us >= $2 AND time_us < $3"
        for pair in "overrides:kind = 'override'" "auth-blocks:kind = 'auth_block'" \
                "blocked:kind = 'post_attempt' AND action = 'block'" \
                "warned:kind = 'post_attempt' AND action = 'warn'" \
                "posts:kind IN ('post_attempt', 'override')"; do
                key=${pair%%:*}
                want=$(commas "$(q "SELECT count(*) FROM events WHERE $period AND ${pair#*:}")")
                got=$(shown "$key" "$f")
                [ "$got" = "$want" ] || fail "$f: $key shows '$got', sqlite3 counts '$want'"
        done
        n=$(q "SELECT count(*) FROM events WHERE $period AND kind = 'override'")
        rows=$(grep -o 'data-pw="override"' "$f" | wc -l)
        [ "$rows" -eq "$((n < 50 ? n : 50))" ] || fail "$f: $rows override rows for $n overrides"
        n=$(q "SELECT count(DISTINCT a.id) FROM accounts a WHERE a.company = 1 AND (EXISTS
                (SELECT 1 FROM events e WHERE e.account_id = a.id AND e.$period AND e.kind IN
                ('post_attempt', 'override', 'auth_block')) OR EXISTS (SELECT 1 FROM
                session_accounts l WHERE l.account_id = a.id AND l.last_us >= $2 AND
                l.first_us < $3))")
        [ "$(shown accounts-total "$f")" = "$n" ] || fail "$f: accounts-total is not $n"
        rows=$(grep -o 'data-pw="account"' "$f" | wc -l)
        [ "$rows" -eq "$n" ] || fail "$f: $rows account sections for $n accounts"
}

check_clean() { # FILE
        f=$1
        ! grep -qi '<script' "$f" || fail "$f: contains <script"
        ! grep -q "$(printf '\033')" "$f" || fail "$f: contains a raw ESC"
        ! grep -q "$(printf '\342\200\256')" "$f" || fail "$f: contains a raw U+202E"
        ! grep -q "$(printf '\r')" "$f" || fail "$f: contains a raw CR"
        ! grep -Eqi '(src|href|action|formaction|srcset|background)=' "$f" ||
                fail "$f: refers to another resource"
        ! grep -Eqi 'url\(|@import|https?:' "$f" || fail "$f: contains a URL"
        grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$f" ||
                fail "$f: no Content-Security-Policy"
        # the hostile values are there, as text
        grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$f" || fail "$f: hostile name missing"
        grep -q 'title="RIGHT-TO-LEFT OVERRIDE">\\u202E</span>' "$f" ||
                fail "$f: U+202E not shown as an escape"
        [ "$(stat -c %s "$f")" -lt 5000000 ] || fail "$f: larger than 5 MB"
}

# The whole seeded month.
out=$tmp/all.html
report --db "$db" --since 2026-11-01T00:00Z --until 2026-12-15T00:00Z -o "$out" ||
        fail "report exited $?"
[ "$(stat -c %a "$out")" = 600 ] || fail "the report is not mode 0600"
check_clean "$out"
check_counts "$out" "$(us 2026-11-01T00:00Z)" "$(us 2026-12-15T00:00Z)"
grep -q 'data-pw-status="ok"' "$out" || fail "the chain of a fresh store does not verify"
head=$(q "SELECT lower(hex(hash)) FROM events ORDER BY seq DESC LIMIT 1")
grep -q "data-pw=\"head\">$head<" "$out" || fail "the report does not show the chain head"

# One week: only its events count.
out=$tmp/week.html
report --db "$db" --since 2026-11-09T00:00Z --until 2026-11-16T00:00Z --utc -o "$out" ||
        fail "report exited $?"
check_counts "$out" "$(us 2026-11-09T00:00Z)" "$(us 2026-11-16T00:00Z)"
[ "$(sed -n 's/.*data-pw-buckets="\([0-9]*\)".*/\1/p' "$out")" = 7 ] ||
        fail "a week in UTC is not 7 daily bars"

# Local time: the timeline's hours and days follow the zone, across a DST change (47 hours on
# 2026-03-29 in Berlin; days stay days).
if [ -e /usr/share/zoneinfo/Europe/Berlin ]; then
        for case in "2026-03-28 2026-03-30 47" "2026-10-20 2026-10-30 10"; do
                set -- $case
                TZ=Europe/Berlin report --db "$db" --since "$1" --until "$2" -o "$tmp/tz.html" ||
                        fail "report in Europe/Berlin exited $?"
                n=$(sed -n 's/.*data-pw-buckets="\([0-9]*\)".*/\1/p' "$tmp/tz.html")
                [ "$n" = "$3" ] || fail "Europe/Berlin $1 to $2: $n bars, not $3"
        done
fi

# Standard output, and caps: --rows 3.
report --db "$db" --since 2026-11-01T00:00Z --until 2026-12-15T00:00Z --rows 3 >"$tmp/stdout.html" ||
        fail "report to stdout exited $?"
[ "$(grep -o 'data-pw="override"' "$tmp/stdout.html" | wc -l)" -eq 3 ] || fail "--rows 3"

# A tampered justification: exit 1, and the page names the row.
cp "$db" "$tmp/bad.db"
bad=$(sqlite3 "$tmp/bad.db" "SELECT min(seq) FROM events WHERE kind = 'override'")
sqlite3 "$tmp/bad.db" "UPDATE events SET justification = 'nothing to see' WHERE seq = $bad"
set +e
report --db "$tmp/bad.db" --since 2026-11-01T00:00Z --until 2026-12-15T00:00Z \
        -o "$tmp/bad.html" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "a tampered store gave exit $rc, not 1"
grep -q 'data-pw-status="bad"' "$tmp/bad.html" || fail "the report does not say the chain broke"
grep -q "data-pw=\"bad-seq\">$bad<" "$tmp/bad.html" || fail "the report does not name event $bad"
grep -q "broken at event $bad" "$tmp/err" || fail "stderr does not name event $bad"

# Bad input: exit 2 with a message naming it; nothing written.
expect2() { # WHAT-IN-STDERR ARGS...
        what=$1
        shift
        set +e
        report "$@" >/dev/null 2>"$tmp/err"
        rc=$?
        set -e
        [ "$rc" -eq 2 ] || fail "report $* exited $rc, not 2"
        grep -q -- "$what" "$tmp/err" || fail "report $*: stderr lacks '$what': $(cat "$tmp/err")"
}
expect2 "--since" --db "$db" --since yesterday-ish -o "$tmp/x.html"
expect2 "empty" --db "$db" --since 2026-12-01 --until 2026-11-01 -o "$tmp/x.html"
expect2 "no-such" --db "$tmp/no-such.db" -o "$tmp/x.html"
expect2 "--rows" --db "$db" --rows 0
expect2 "unknown option" --db "$db" --bogus
[ ! -e "$tmp/x.html" ] || fail "a refused report left a file"

# Someone outside postwarden-admin: "permission denied", no data (as root only).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
        chmod 0755 "$tmp"
        chmod 0600 "$db" "$db-wal" "$db-shm" 2>/dev/null || chmod 0600 "$db"
        set +e
        setpriv --reuid=65534 --regid=65534 --clear-groups "$ctl" audit report --db "$db" \
                >"$tmp/nobody.out" 2>"$tmp/err"
        rc=$?
        set -e
        [ "$rc" -eq 2 ] || fail "an unprivileged user got exit $rc"
        grep -q "permission denied" "$tmp/err" || fail "no 'permission denied': $(cat "$tmp/err")"
        [ ! -s "$tmp/nobody.out" ] || fail "an unprivileged user got output"
fi
echo "ok"
