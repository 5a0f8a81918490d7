#!/bin/sh
# postwardenctl audit on a store of one million post events, against sqlite3 running the same
# query on the same file in the same hyperfine run (the ratio is the result, not the absolute
# time). Prints the query plans of the statements the CLI uses (EXPLAIN QUERY PLAN).
#
# Usage: bench/bench_audit_cli.sh BUILD_DIR [DB]
#   DB defaults to /tmp/pw-bench-audit-1m.db; it is written with
#   BUILD_DIR/tests/pw-audit-seed --events 1000000 when missing (takes minutes).
set -eu
build=$1
db=${2:-/tmp/pw-bench-audit-1m.db}
ctl=$build/cli/postwardenctl
seed=$build/tests/pw-audit-seed
[ -x "$ctl" ] && [ -x "$seed" ] || { echo "build postwardenctl and pw-audit-seed first" >&2; exit 2; }
if [ ! -e "$db" ]; then
        echo "seeding $db (1M post events) ..."
        "$seed" --events 1000000 "$db"
fi
export TZ=UTC
echo "== store: $(sqlite3 -readonly "$db" 'SELECT count(*) FROM events') events, \
$(sqlite3 -readonly "$db" 'SELECT count(*) FROM sessions') sessions, \
$(sqlite3 -readonly "$db" 'SELECT count(*) FROM session_accounts') links, $(du -h "$db" | cut -f1)"
uptime

acct=$(sqlite3 -readonly "$db" "SELECT id FROM accounts WHERE handle = '@AcmeCorp'")
max=$(sqlite3 -readonly "$db" 'SELECT max(time_us) FROM events')
day=$((max - 86400000000))
week=$((max - 7 * 86400000000))
since_day=$(date -u -d "@$((day / 1000000))" +%Y-%m-%dT%H:%M:%SZ)
since_week=$(date -u -d "@$((week / 1000000))" +%Y-%m-%dT%H:%M:%SZ)

# The statements of audit/store.c (ST_Q_SESSIONS_BY_ACCOUNT, ST_Q_EVENTS), bound as the CLI binds
# them for `sessions --account @AcmeCorp [--since]` and `events --since`.
cols_s="s.id, s.user, s.service, s.tty, s.rhost, s.xdg_session_id, s.host, s.uid, s.audit_sessionid, s.loginuid, s.opened_us, s.closed_us, s.src"
q_sessions() { # SINCE
        echo "SELECT $cols_s, l.account_id, l.rule FROM session_accounts l JOIN sessions s ON s.id = l.session_id WHERE l.account_id = $acct AND (NULL IS NULL OR s.user = NULL) AND (s.closed_us IS NULL OR s.closed_us >= $1) AND s.opened_us < 9223372036854775807 AND (0 = 0 OR s.closed_us IS NULL) ORDER BY s.opened_us DESC, s.id DESC, l.rule LIMIT -1"
}
cols_e="e.seq, e.kind, e.time_us, e.peer_uid, e.peer_pid, e.peer_sessionid, e.peer_src, e.claim_src, e.session_id, e.account_id, e.target_seq, e.site, e.action, e.mode, e.policy_id, e.justification, e.note, e.company, e.authorised, e.verdict_src, (SELECT count(*) FROM findings f WHERE f.event_seq = e.seq), CASE WHEN e.redacted_us IS NOT NULL THEN 2 WHEN EXISTS (SELECT 1 FROM archive r WHERE r.event_seq = e.seq) THEN 1 ELSE 0 END"
q_events() { # SINCE
        echo "SELECT $cols_e FROM events e WHERE e.time_us >= $1 AND e.time_us < 9223372036854775807 AND (NULL IS NULL OR e.session_id = NULL) AND (NULL IS NULL OR e.peer_uid = NULL) AND (NULL IS NULL OR e.kind = NULL) ORDER BY e.time_us, e.seq LIMIT -1"
}

echo
echo "== EXPLAIN QUERY PLAN: audit sessions --account @AcmeCorp --since $since_week"
sqlite3 -readonly "$db" "EXPLAIN QUERY PLAN $(q_sessions "$week")"
echo "== EXPLAIN QUERY PLAN: audit events --since $since_day"
sqlite3 -readonly "$db" "EXPLAIN QUERY PLAN $(q_events "$day")"
echo
echo "== rows: sessions --account @AcmeCorp: $("$ctl" audit sessions --account @AcmeCorp --json --db "$db" | wc -l), \
with --since 7d-before-the-newest-event: $("$ctl" audit sessions --account @AcmeCorp --since "$since_week" --json --db "$db" | wc -l); \
events --since 24h-before-the-newest: $("$ctl" audit events --since "$since_day" --json --db "$db" | wc -l)"

hf() {
        hyperfine -N --warmup 3 --min-runs 15 --export-markdown /dev/stdout "$@" 2>&1 |
                grep -v '^$'
}
echo
echo "== sessions --account @AcmeCorp (last week and all four weeks), JSON to /dev/null"
hf -n "ctl sessions --account @AcmeCorp --since 7d" \
        "$ctl audit sessions --account @AcmeCorp --since $since_week --json --db $db" \
        -n "sqlite3 same query" "sqlite3 -readonly -json $db \"$(q_sessions "$week")\"" \
        -n "ctl sessions --account @AcmeCorp (all)" \
        "$ctl audit sessions --account @AcmeCorp --json --db $db" \
        -n "sqlite3 same query (all)" \
        "sqlite3 -readonly -json $db \"$(q_sessions -9223372036854775808)\""
echo
echo "== events --since (24 h before the newest event), JSON to /dev/null"
hf -n "ctl events --since 24h" "$ctl audit events --since $since_day --json --db $db" \
        -n "sqlite3 same query" "sqlite3 -readonly -json $db \"$(q_events "$day")\""
echo
echo "== events --since 24h --kind purge: the same index range walked, no row printed (query cost)"
hf -n "ctl events --since 24h --kind purge" \
        "$ctl audit events --since $since_day --kind purge --json --db $db" \
        -n "sqlite3 same query" \
        "sqlite3 -readonly -json $db \"$(q_events "$day" | sed "s/(NULL IS NULL OR e.kind = NULL)/e.kind = 'purge'/")\""
echo
echo "== verify: the whole chain, beside sqlite3 reading every event, finding and archive row"
hyperfine -N --warmup 1 --min-runs 5 --export-markdown /dev/stdout \
        -n "ctl verify" "$ctl audit verify --db $db" \
        -n "sqlite3 read all rows" \
        "sqlite3 -readonly $db \"SELECT sum(length(hash) + length(content_hash) + coalesce(length(site), 0)) FROM events; SELECT sum(length(rule_id)) FROM findings; SELECT sum(length(body)) FROM archive\"" |
        grep -v '^$'
uptime
