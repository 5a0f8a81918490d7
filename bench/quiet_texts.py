#!/usr/bin/env python3
"""Writes ordinary texts nobody here wrote, one per line, for bench/policy_quiet:
Debian fortunes (package fortunes, /usr/share/games/fortunes) and a sample of Debian changelog
lines (/usr/share/doc/*/changelog*.gz), drawn with random.Random(SEED).

  quiet_texts.py OUT_DIR [N_CHANGELOG_LINES=20000] [SEED=1]
"""
import glob
import gzip
import os
import random
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
os.makedirs(out, exist_ok=True)

fortunes = []
for f in sorted(glob.glob('/usr/share/games/fortunes/*')):
    if f.endswith(('.dat', '.u8')) or os.path.isdir(f):
        continue
    with open(f, encoding='utf-8', errors='replace') as fp:
        fortunes += [' '.join(t.split()) for t in fp.read().split('\n%\n') if t.strip()]
with open(os.path.join(out, 'fortunes.txt'), 'w') as fp:
    fp.write('\n'.join(fortunes) + '\n')

lines = []
for f in sorted(glob.glob('/usr/share/doc/*/changelog*.gz')):
    try:
        with gzip.open(f, 'rt', errors='replace') as fp:
            lines += [' '.join(l.split()).lstrip('*- ') for l in fp if l.startswith('  ')]
    except OSError:
        continue
lines = [l for l in lines if len(l) > 20]
random.Random(seed).shuffle(lines)
with open(os.path.join(out, 'changelogs.txt'), 'w') as fp:
    fp.write('\n'.join(lines[:n]) + '\n')
print(f'{len(fortunes)} fortunes, {min(n, len(lines))} of {len(lines)} changelog lines (seed {seed})')
