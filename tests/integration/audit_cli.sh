#!/bin/sh
# postwardenctl audit as whole processes over real seeded SQLite files (pw-audit-seed): every
# subcommand and filter against golden files in three formats and two time zones, hostile values
# (escaped in tables, exact in CSV and JSON), verify finding a tampered row and a truncated tail
# against syslog heads, purge + verify, redact + verify, permission denied for a normal user, and
# purge/redact reaching a real postwardend.
# Usage: audit_cli.sh POSTWARDENCTL PW_AUDIT_SEED GOLDEN_DIR [POSTWARDEND POLICY]
# UPDATE_GOLDEN=1 rewrites the golden files from the current output (review the diff!).
set -eu
ctl=$1
seed=$2
golden=$3
daemon=${4:-}
policy=${5:-}
tmp=$(mktemp -d /tmp/pw-audit-cli-XXXXXX)
chmod 0755 "$tmp"
daemon_pid=
cleanup() {
        [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT
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

lacks() { # FILE TEXT
        if grep -qF -- "$2" "$1"; then fail "$1 has '$2'"; fi
}

db=$tmp/audit.db
"$seed" --hostile "$db" >/dev/null
n=$(sqlite3 "$db" "SELECT max(seq) FROM events")           # the chain's length
a1=$(sqlite3 "$db" "SELECT min(event_seq) FROM archive")   # the first archived post
a2=$(sqlite3 "$db" "SELECT min(event_seq) FROM archive WHERE event_seq > $a1")
a1_text=$(sqlite3 "$db" "SELECT CAST(body AS TEXT) FROM archive WHERE event_seq = $a1")

# golden NAME TZ ARGS... : `postwardenctl audit ARGS --db $db` under TZ must print golden/NAME
golden() {
        name=$1
        zone=$2
        shift 2
        set +e
        TZ=$zone "$ctl" audit "$@" --db "$db" >"$tmp/g.out" 2>"$tmp/g.err"
        st=$?
        set -e
        [ "$st" = 0 ] || fail "$name: exit $st: $(cat "$tmp/g.err")"
        if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
                cp "$tmp/g.out" "$golden/$name"
        elif ! cmp -s "$tmp/g.out" "$golden/$name"; then
                fail "$name differs from the golden file:"
                diff -u "$golden/$name" "$tmp/g.out" | head -20 >&2 || true
        fi
}

B=Europe/Berlin
# sessions
golden sessions.txt $B sessions
golden sessions.csv $B sessions --csv
golden sessions.json $B sessions --json
golden sessions-account.txt $B sessions --account @AcmeCorp
golden sessions-account-name-since.csv $B sessions --account acme-x --since 2026-11-15 --csv
golden sessions-account-id-utc.txt $B sessions --account urn:li:organization:42 --utc
golden sessions-site.json $B sessions --site linkedin.com --json
golden sessions-user-until.txt $B sessions --user alice --until 2026-11-20T00:00+01:00
golden sessions-session.txt $B sessions --session 10
golden sessions-account-ny.txt America/New_York sessions --account AcmeCorp --limit 3
# accounts
golden accounts.txt $B accounts
golden accounts.csv $B accounts --csv
golden accounts.json $B accounts --json
golden accounts-user.txt $B accounts --user bob
golden accounts-site-company.txt $B accounts --site x.com --since 2026-11-25
golden accounts-session.csv $B accounts --session 9 --csv
# events
golden events-window.txt $B events --since 2026-11-10 --until 2026-11-12T12:00
golden events-account.json $B events --account @AcmeCorp --json --until 2026-11-12
golden events-user-kind.csv $B events --user dave --kind auth_block --csv
golden events-session.txt $B events --session 3
golden events-site-utc.txt Asia/Kolkata events --site bsky.app --utc
golden events-hostile.csv $B events --account '666,"1"' --csv
golden events-limit.json $B events --limit 5 --json
# posts
golden posts.txt $B posts
golden posts.csv $B posts --csv
golden posts.json $B posts --json
golden posts-user-site.txt $B posts --user alice --site linkedin.com
# verify
golden verify.txt $B verify
golden verify.json $B verify --json

# --utc shows the same whatever TZ says; without it the zone shows.
TZ=UTC "$ctl" audit events --session 2 --utc --db "$db" >"$tmp/utc1"
TZ=Pacific/Auckland "$ctl" audit events --session 2 --utc --db "$db" >"$tmp/utc2"
cmp -s "$tmp/utc1" "$tmp/utc2" || fail "--utc output depends on TZ"
contains "$tmp/utc1" "2026-11-04 16:01:00Z"
TZ=Pacific/Auckland "$ctl" audit events --session 2 --db "$db" >"$tmp/nz"
contains "$tmp/nz" "2026-11-05 05:01:00+13:00"

# export: everything about one employee; the generation time is the one line that changes.
TZ=$B expect 0 "$ctl" audit export --user alice --db "$db"
[ ! -s "$tmp/err" ] || fail "export wrote to stderr: $(cat "$tmp/err")"
grep -v -e '"generated' -e '"database"' "$tmp/out" >"$tmp/export.json"
if [ "${UPDATE_GOLDEN:-}" = 1 ]; then cp "$tmp/export.json" "$golden/export-alice.json"; fi
cmp -s "$tmp/export.json" "$golden/export-alice.json" ||
        fail "export differs: $(diff -u "$golden/export-alice.json" "$tmp/export.json" | head)"
expect 2 "$ctl" audit export --db "$db"
contains "$tmp/err" "--user NAME is required"

# --- hostile values: no terminal control in tables, exact values in CSV and JSON -------------
for sub in sessions accounts events posts; do
        "$ctl" audit $sub --db "$db" >"$tmp/t"
        if LC_ALL=C grep -q "$(printf '\033')" "$tmp/t"; then fail "$sub table has an ESC byte"; fi
        if grep -q "$(printf '\342\200\256')" "$tmp/t"; then fail "$sub table has U+202E"; fi
        if LC_ALL=C grep -q "$(printf '\r')" "$tmp/t"; then fail "$sub table has a CR"; fi
done
"$ctl" audit accounts --csv --db "$db" >"$tmp/acc.csv"
"$ctl" audit accounts --json --db "$db" >"$tmp/acc.jsonl"
"$ctl" audit events --json --db "$db" >"$tmp/ev.jsonl"
"$ctl" audit sessions --csv --db "$db" >"$tmp/ses.csv"
python3 - "$db" "$tmp" <<'PY' || fail "hostile values are not exact in CSV/JSON"
import csv, json, sqlite3, sys
db, tmp = sys.argv[1], sys.argv[2]
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
want = {r[0]: r[1:] for r in con.execute("select id, handle, policy_name, display_name from accounts")}
rows = list(csv.DictReader(open(f"{tmp}/acc.csv", newline="", encoding="utf-8")))
assert len(rows) == len(want), (len(rows), len(want))
evil = 0
for r in rows:
    h, n, d = want[int(r["account_id"])]
    assert r["name"] == (n or ""), (r["name"], n)
    assert r["display_name"] == (d or ""), (r["display_name"], d)
    if h and "\x1b[31m" in h:
        assert r["account"] == h
        evil += 1
assert evil == 1, evil
for line in open(f"{tmp}/acc.jsonl", encoding="utf-8"):
    o = json.loads(line)
    h, n, d = want[o["account_id"]]
    assert o["handle"] == h and o["name"] == n and o["display_name"] == d, o
just = {r[0]: r[1] for r in con.execute("select seq, justification from events")}
hostile = 0
for line in open(f"{tmp}/ev.jsonl", encoding="utf-8"):
    o = json.loads(line)
    assert o["justification"] == just[o["seq"]], o
    hostile += bool(o["justification"] and "\u202e" in o["justification"])
assert hostile >= 1, hostile
users = {r[0]: r[1] for r in con.execute("select id, user from sessions")}
for r in csv.DictReader(open(f"{tmp}/ses.csv", newline="", encoding="utf-8")):
    assert r["user"] == users[int(r["session"])], r
assert any("\n" in u for u in users.values())
PY

# --- usage errors name what is wrong --------------------------------------------------------
expect 2 "$ctl" audit sessions --since yesterday --db "$db"
contains "$tmp/err" "'yesterday' is not a time"
expect 2 "$ctl" audit sessions --since 2026-11-20 --until 2026-11-10 --db "$db"
contains "$tmp/err" "--since must be before --until"
expect 2 "$ctl" audit sessions --heads x --db "$db"
contains "$tmp/err" "--heads does not apply here"
expect 2 "$ctl" audit events --kind nonsense --db "$db"
contains "$tmp/err" "unknown kind 'nonsense'"
expect 2 "$ctl" audit nonsense
contains "$tmp/err" "unknown audit command 'nonsense'"
expect 2 "$ctl" audit sessions --db "$tmp/missing.db"
contains "$tmp/err" "no such audit database"
expect 0 "$ctl" audit sessions --account @NoSuchAccount --db "$db"
contains "$tmp/err" "no account matches --account @NoSuchAccount"

# --- verify: heads from syslog, a truncated tail, a tampered row ------------------------------
# heads.log: what a collector holds — event and head lines of this host and another, noise.
python3 - "$db" "$tmp/heads.log" <<'PY'
import sqlite3, sys, json
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
with open(sys.argv[2], "w") as f:
    f.write("Dec  1 10:00:00 ws-berlin-01 sshd[1]: unrelated line\n")
    f.write("<134>1 2026-12-01T10:00:00Z ws-berlin-01 postwardend 1 - - @cee:{\"pw\":1,\"seq\":\"x\"}\n")
    f.write("@cee: not json\n")
    for seq, h in con.execute("select seq, lower(hex(hash)) from events order by seq"):
        kind = "chain_head" if seq % 10 == 0 else "event"
        o = {"pw": 1, "type": kind, "host": "ws-test", "seq": seq, "hash": h}
        f.write("<134>1 2026-12-01T10:00:00Z ws-test postwardend 42 - - @cee:" + json.dumps(o) + "\n")
        o2 = dict(o, host="ws-other", hash="00" * 32)
        f.write("Dec  1 10:00:01 ws-other postwardend[7]: @cee:" + json.dumps(o2) + "\n")
PY
expect 0 "$ctl" audit verify --heads "$tmp/heads.log" --host ws-test --db "$db"
contains "$tmp/out" "chain verified: $n events (seq 1..$n)"
contains "$tmp/out" "$n checked, 0 skipped (at or before the purge checkpoint), $n of other hosts, 2 lines ignored"
expect 1 "$ctl" audit verify --heads "$tmp/heads.log" --db "$db" --host ws-other
contains "$tmp/out" "chain BROKEN at event 1: differs from the head logged outside"
expect 0 "$ctl" audit verify --heads "$tmp/heads.log" --host ws-test --json --db "$db"
contains "$tmp/out" "\"ok\":true,\"rows\":$n,"
contains "$tmp/out" "\"heads_checked\":$n,\"heads_skipped\":0,\"heads_other_host\":$n,\"heads_ignored\":2"

# Truncated tail: the last rows deleted with sqlite3; only the syslog heads can tell.
cp "$db" "$tmp/trunc.db"
cp "$db-wal" "$tmp/trunc.db-wal" 2>/dev/null || true
keep=$((n - 5))
sqlite3 "$tmp/trunc.db" "DELETE FROM findings WHERE event_seq > $keep; DELETE FROM archive WHERE event_seq > $keep; DELETE FROM events WHERE seq > $keep;"
expect 1 "$ctl" audit verify --heads "$tmp/heads.log" --host ws-test --db "$tmp/trunc.db"
contains "$tmp/out" "chain BROKEN at event $((keep + 1)): truncated: a head was logged at $((keep + 1)) but the chain ends at $keep"
expect 1 "$ctl" audit verify --heads "$tmp/heads.log" --host ws-test --json --db "$tmp/trunc.db"
contains "$tmp/out" '"ok":false'
contains "$tmp/out" "\"bad_seq\":$((keep + 1)),"

# Tampered row: one event's site changed behind the service's back.
cp "$db" "$tmp/tamper.db"
cp "$db-wal" "$tmp/tamper.db-wal" 2>/dev/null || true
sqlite3 "$tmp/tamper.db" "UPDATE events SET site = 'evil.example' WHERE seq = 57"
expect 1 "$ctl" audit verify --db "$tmp/tamper.db"
contains "$tmp/out" "chain BROKEN at event 57: hash mismatch"
contains "$tmp/out" "last good event: 56"
expect 1 "$ctl" audit verify --json --db "$tmp/tamper.db"
contains "$tmp/out" '"ok":false,"rows":56,"first_seq":1,"head_seq":56'
contains "$tmp/out" '"bad_seq":57'

# --- purge + verify, redact + verify (pw_audit_purge/redact as the service would call them) ---
cp "$db" "$tmp/purge.db"
cp "$db-wal" "$tmp/purge.db-wal" 2>/dev/null || true
cp "$db.hmac-key" "$tmp/purge.db.hmac-key"
"$seed" --purge-before 1794528000000000 "$tmp/purge.db" >"$tmp/purge.out" # 2026-11-13T00:00Z
contains "$tmp/purge.out" "purged: checkpoint"
cp_seq=$(sed -n 's/purged: checkpoint \([0-9]*\),.*/\1/p' "$tmp/purge.out")
expect 0 "$ctl" audit verify --heads "$tmp/heads.log" --host ws-test --db "$tmp/purge.db"
contains "$tmp/out" "purged up to seq $cp_seq"
contains "$tmp/out" "$((n - cp_seq)) checked, $cp_seq skipped"
expect 0 "$ctl" audit events --kind purge --db "$tmp/purge.db"
contains "$tmp/out" "purge"
expect 0 "$ctl" audit events --until 2026-11-12 --db "$tmp/purge.db" --json
[ ! -s "$tmp/out" ] || fail "events before the purge cutoff are still listed"

cp "$db" "$tmp/redact.db"
cp "$db-wal" "$tmp/redact.db-wal" 2>/dev/null || true
cp "$db.hmac-key" "$tmp/redact.db.hmac-key"
"$seed" --redact $a1 --reason "customer erasure request #77" "$tmp/redact.db" >/dev/null
expect 0 "$ctl" audit verify --heads "$tmp/heads.log" --host ws-test --db "$tmp/redact.db"
contains "$tmp/out" "chain verified: $((n + 1)) events"
expect 0 "$ctl" audit posts --db "$tmp/redact.db" --json
contains "$tmp/out" "\"seq\":$a1,"
contains "$tmp/out" '"text":null,"redacted":true'
lacks "$tmp/out" "$a1_text"
expect 0 "$ctl" audit events --kind redaction --db "$tmp/redact.db"
contains "$tmp/out" "redaction"
# Content removed without a redaction event is found.
cp "$db" "$tmp/gone.db"
sqlite3 "$tmp/gone.db" "DELETE FROM archive WHERE event_seq = $a2"
expect 1 "$ctl" audit verify --db "$tmp/gone.db"
contains "$tmp/out" "chain BROKEN at event $a2: archived text or findings were altered"

# --- permission denied for a normal user ------------------------------------------------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
        # A fresh store whose WAL still holds its content (no root reader checkpointed it).
        "$seed" "$tmp/perm.db" >/dev/null
        [ -s "$tmp/perm.db-wal" ] || fail "the seeded WAL is empty: the test would not read it"
        rm "$tmp/perm.db.hmac-key"
        chown root:root "$tmp"/perm.db*
        chmod 0640 "$tmp"/perm.db*
        as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
        for sub in sessions accounts events posts verify export; do
                extra=
                [ $sub = export ] && extra="--user alice"
                expect 2 as_nobody "$ctl" audit $sub $extra --db "$tmp/perm.db"
                [ "$(cat "$tmp/err")" = "postwardenctl: permission denied: $tmp/perm.db (ask an admin to add you to the postwarden-admin group)" ] ||
                        fail "$sub as nobody: stderr is '$(cat "$tmp/err")'"
                [ ! -s "$tmp/out" ] || fail "$sub as nobody printed data"
        done
        # Readable -shm/-wal missing the group: the message names that file.
        chgrp 65534 "$tmp/perm.db"
        if [ -e "$tmp/perm.db-shm" ]; then
                expect 2 as_nobody "$ctl" audit sessions --db "$tmp/perm.db"
                contains "$tmp/err" "permission denied: $tmp/perm.db-"
        fi
        # The admin group's members (here: the group that owns the files) read it.
        chgrp 65534 "$tmp"/perm.db*
        expect 0 as_nobody "$ctl" audit sessions --account @AcmeCorp --db "$tmp/perm.db"
        contains "$tmp/out" "@AcmeCorp"
        expect 0 as_nobody "$ctl" audit verify --db "$tmp/perm.db"
        contains "$tmp/out" "chain verified"
else
        echo "SKIP permission tests: not root or no setpriv" >&2
fi

# --- purge and redact go through postwardend -------------------------------------------------
expect 2 "$ctl" audit purge --socket "$tmp/none.sock"
contains "$tmp/err" "cannot reach postwardend at $tmp/none.sock"
expect 2 "$ctl" audit redact --event 12 --socket "$tmp/none.sock"
contains "$tmp/err" "--event N and --reason TEXT are required"
if [ -n "$daemon" ]; then
        cp "$db" "$tmp/svc.db"
        cp "$db.hmac-key" "$tmp/svc.db.hmac-key"
        "$daemon" --foreground --socket "$tmp/svc.sock" --db "$tmp/svc.db" --policy "$policy" \
                --cache none 2>"$tmp/daemon.log" &
        daemon_pid=$!
        i=0
        while [ ! -S "$tmp/svc.sock" ] && [ $i -lt 600 ]; do
                sleep 0.05
                i=$((i + 1))
        done
        # Until the service knows the message it answers unknown_type; once it does, the reply is
        # printed. Either way the request reached the service and its answer was understood.
        set +e
        "$ctl" audit purge --before 2026-11-13 --socket "$tmp/svc.sock" >"$tmp/out" 2>"$tmp/err"
        st=$?
        set -e
        if [ $st = 0 ]; then
                contains "$tmp/out" "purged "
                expect 0 "$ctl" audit verify --db "$tmp/svc.db"
        else
                [ $st = 2 ] || fail "purge through the service: exit $st"
                contains "$tmp/err" "this postwardend does not know 'purge' requests"
        fi
        set +e
        "$ctl" audit redact --event 13 --reason "erasure #78" --json --socket "$tmp/svc.sock" \
                >"$tmp/out" 2>"$tmp/err"
        st=$?
        set -e
        if [ $st = 0 ]; then
                contains "$tmp/out" '"type":"redacted","seq":13'
        else
                [ $st = 2 ] || fail "redact through the service: exit $st"
                contains "$tmp/err" "this postwardend does not know 'redact' requests"
        fi
        kill "$daemon_pid"
        wait "$daemon_pid" 2>/dev/null || true
        daemon_pid=
fi

if [ $fails -gt 0 ]; then
        echo "$fails failure(s)" >&2
        exit 1
fi
echo "audit_cli: all checks passed"
