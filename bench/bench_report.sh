#!/bin/sh
# bench_report.sh: `postwardenctl audit report` on a store of a million events (issue 13: targets
# <= 5 s and <= 5 MB), next to peers in the same run on the same file:
#   - sqlite3-aggregates: the sqlite3 shell running the report's aggregate queries as plain SQL
#     (bench/report_peer.sql; no chain walk, SQLite has no SHA-256);
#   - sqlite3-rows-csv: listing every event of the period as CSV, what a report that lists rows
#     instead of summarising would have to carry (its size is printed too).
# The report also walks the whole hash chain (on a second core); bench_audit --million measures
# that walk alone.
#
#   bench/bench_report.sh BUILD_DIR [EVENTS]      (RUNS=5 hyperfine runs; PW_BENCH_DIR=where the
#                                                  store goes, default BUILD_DIR/bench-data)
# The store is written once by pw-audit-seed (--seed 1; four weeks from 2026-11-02) and reused.
set -eu
build=${1:?usage: bench_report.sh BUILD_DIR [EVENTS]}
events=${2:-1000000}
here=$(cd "$(dirname "$0")" && pwd)
ctl=$build/cli/postwardenctl
seed=$build/tests/pw-audit-seed
dir=${PW_BENCH_DIR:-$build/bench-data}
mkdir -p "$dir"
db=$dir/report-$events.db
if [ ! -e "$db" ]; then
        echo "== writing $db ($events events, pw-audit-seed --seed 1)"
        "$seed" --events "$events" --seed 1 "$db"
fi
since=2026-11-01T00:00Z
until=2026-12-01T00:00Z
s_us=$(($(date -u -d "$since" +%s) * 1000000))
u_us=$(($(date -u -d "$until" +%s) * 1000000))
sub="audit report"
sed -e "s/:since/$s_us/g" -e "s/:until/$u_us/g" "$here/report_peer.sql" >"$dir/report_peer.sql"

echo "== machine: $(nproc) cores; $(uptime)"
echo "== store: $(stat -c %s "$db") bytes; $(sqlite3 -readonly "$db" "SELECT count(*) FROM events WHERE time_us >= $s_us AND time_us < $u_us") events in the period"
hyperfine --warmup 1 --runs "${RUNS:-5}" --export-markdown "$dir/bench_report.md" \
        -n "report ($sub)" "$ctl $sub --db $db --since $since --until $until -o $dir/report.html" \
        -n "sqlite3-aggregates" "sqlite3 -readonly $db < $dir/report_peer.sql" \
        -n "sqlite3-rows-csv" "sqlite3 -readonly -csv $db 'SELECT * FROM events WHERE time_us >= $s_us AND time_us < $u_us' > $dir/rows.csv"
echo "== sizes: report.html $(stat -c %s "$dir/report.html") bytes; rows.csv $(stat -c %s "$dir/rows.csv") bytes"
echo "== one more report run under /usr/bin/time:"
/usr/bin/time -f "wall %e s, user %U s, sys %S s, max RSS %M KiB" \
        "$ctl" $sub --db "$db" --since "$since" --until "$until" -o "$dir/report.html"
echo "== machine after: $(uptime)"
