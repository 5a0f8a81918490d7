#!/usr/bin/env python3
"""Collects ordinary texts nobody on this project wrote, as JSON Lines {"i", "source", "text"}:

  - every quotation of the Debian `fortunes` and `fortunes-min` packages
    (/usr/share/games/fortunes/*, strfile format: entries separated by "%" lines), offensive
    ones excluded (they are not installed by default);
  - every change entry ("  * ..." bullets, continuation lines joined) of the Debian changelogs
    under /usr/share/doc/*/changelog.Debian.gz: dates, versions, times, bug numbers, prices.

Maintainer trailer lines (" -- Name <address>  date") are left out: they are addresses by
design. Deterministic: files are read in sorted order.

  collect.py > ordinary.jsonl
"""
import glob
import gzip
import json
import os
import sys


def fortunes():
    base = '/usr/share/games/fortunes'
    for path in sorted(glob.glob(os.path.join(base, '*'))):
        if os.path.isdir(path) or path.endswith(('.dat', '.u8')) or os.path.islink(path):
            continue
        try:
            with open(path, encoding='utf-8', errors='replace') as f:
                data = f.read()
        except OSError:
            continue
        for entry in data.split('\n%\n'):
            entry = entry.strip('%\n ')
            if entry:
                yield 'fortunes:' + os.path.basename(path), entry


def changelogs():
    for path in sorted(glob.glob('/usr/share/doc/*/changelog.Debian.gz')):
        try:
            with gzip.open(path, 'rt', encoding='utf-8', errors='replace') as f:
                lines = f.read().split('\n')
        except (OSError, EOFError):
            continue
        pkg = path.split('/')[4]
        cur = None
        for line in lines:
            s = line.strip()
            if line.startswith('  * ') or line.startswith('    - ') or line.startswith('  - '):
                if cur:
                    yield 'changelog:' + pkg, cur
                cur = s[2:]
            elif cur and line.startswith('    ') and s:
                cur += ' ' + s
            else:
                if cur:
                    yield 'changelog:' + pkg, cur
                cur = None
        if cur:
            yield 'changelog:' + pkg, cur


def main():
    seen = set()
    i = 0
    for source, text in list(fortunes()) + list(changelogs()):
        if text in seen:
            continue
        seen.add(text)
        sys.stdout.write(json.dumps({'i': i, 'source': source, 'text': text},
                                    ensure_ascii=False) + '\n')
        i += 1
    print(f'collect.py: {i} texts', file=sys.stderr)


if __name__ == '__main__':
    main()
