#!/bin/sh
# Integration: runs `postwardenctl scan --jsonl` over the dev detection corpus and fails when the
# F1 on the clean cases of any of the 13 required categories drops below 0.95 (issue 5).
# Usage: detect_corpus.sh POSTWARDENCTL CORPUS_DIR
# Skips (exit 77) only when the corpus is not there (it is never copied into the repository).
set -eu
ctl=$1
dir=$2
if [ ! -r "$dir/dev.jsonl" ] || [ ! -r "$dir/score.py" ]; then
        echo "SKIP: $dir/dev.jsonl or score.py not found (the corpus lives outside the repo)"
        exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$ctl" scan --jsonl --cache-dir "$tmp" "$dir/dev.jsonl" > "$tmp/results.jsonl"
python3 "$dir/score.py" "$tmp/results.jsonl" > "$tmp/score.txt"
# The table after the "clean cases" header: category pos neg TP FP FN TN prec recall F1.
awk -v want="credit_card iban email phone us_ssn ip_address aws_key github_token slack_token private_key jwt google_api_key stripe_key" '
        /^== clean cases/ { clean = 1; next }
        clean && NF == 10 && $1 != "category" { f1[$1] = $10 }
        clean && /^macro F1/ { macro = $3 }
        END {
                n = split(want, cats, " ")
                bad = 0
                for (i = 1; i <= n; i++) {
                        c = cats[i]
                        v = (c in f1) ? f1[c] : "missing"
                        status = (v != "missing" && v + 0 >= 0.95) ? "ok" : "FAIL"
                        if (status == "FAIL") bad++
                        printf "%-16s F1 %s %s\n", c, v, status
                }
                printf "macro F1 (clean, all categories): %s\n", macro
                exit bad ? 1 : 0
        }' "$tmp/score.txt"
