#!/usr/bin/env python3
"""Runs `postwardenctl scan --jsonl` over ordinary texts and reports how often each category
fires, and what the default policy would do with it:

  block: secrets and card numbers;
  warn:  IBAN, SSN and national identifiers, wallet addresses, phone numbers, e-mail addresses;
  none:  url, ip_address, mac_address (reported, not acted on by the default policy).

Targets (issue 5): 0 blocks; warns below 0.5 % of texts outside e-mail and phone.

  quiet.py POSTWARDENCTL FILE.jsonl... [--show N]
"""
import collections
import json
import subprocess
import sys

BLOCK = {'credit_card', 'aws_key', 'github_token', 'slack_token', 'google_api_key', 'stripe_key',
         'private_key', 'jwt', 'generic_api_key', 'other_secret'}
NONE = {'url', 'ip_address', 'mac_address'}


def action(cat):
    if cat in BLOCK:
        return 'block'
    if cat in NONE:
        return 'none'
    return 'warn'


def main():
    args = sys.argv[1:]
    show = 0
    if '--show' in args:
        k = args.index('--show')
        show = int(args[k + 1])
        del args[k:k + 2]
    ctl, files = args[0], args[1:]
    texts = {}
    for f in files:
        with open(f, encoding='utf-8') as fh:
            for line in fh:
                r = json.loads(line)
                texts[r['i']] = r
    data = ''.join(json.dumps({'i': i, 'text': r['text']}) + '\n' for i, r in texts.items())
    out = subprocess.run([ctl, 'scan', '--jsonl', '-'], input=data.encode(), capture_output=True,
                         check=True).stdout.decode()
    per_cat = collections.Counter()
    per_src = collections.defaultdict(collections.Counter)
    examples = collections.defaultdict(list)
    blocks = warns_other = 0
    src_blocks = collections.Counter()
    src_warns = collections.Counter()
    for line in out.splitlines():
        r = json.loads(line)
        cats = r['categories']
        acts = {action(c) for c in cats}
        src = texts[r['i']]['source'].split(':')[0]
        if 'block' in acts:
            blocks += 1
            src_blocks[src] += 1
        if any(action(c) == 'warn' and c not in ('email', 'phone') for c in cats):
            warns_other += 1
            src_warns[src] += 1
        for c in cats:
            per_cat[c] += 1
            per_src[src][c] += 1
            if len(examples[c]) < show:
                examples[c].append(texts[r['i']]['text'][:160])
    n = len(texts)
    srcs = collections.Counter(t['source'].split(':')[0] for t in texts.values())
    print(f'texts: {n} ({", ".join(f"{k} {v}" for k, v in sorted(srcs.items()))})')
    print(f'{"category":<28} {"action":<6} {"texts":>6} {"rate":>8}   by source')
    for c, k in sorted(per_cat.items(), key=lambda x: -x[1]):
        by = ', '.join(f'{s} {per_src[s][c]}' for s in sorted(per_src) if per_src[s][c])
        print(f'{c:<28} {action(c):<6} {k:6d} {100 * k / n:7.3f}%   {by}')
    print(f'texts blocked: {blocks} ({100 * blocks / n:.3f}%)   target 0')
    print(f'texts warned outside email/phone: {warns_other} ({100 * warns_other / n:.3f}%)   '
          f'target < 0.5%')
    for s_ in sorted(srcs):
        print(f'  {s_:<10} {srcs[s_]:6d} texts: blocked {src_blocks[s_]} '
              f'({100 * src_blocks[s_] / srcs[s_]:.3f}%), warned outside email/phone '
              f'{src_warns[s_]} ({100 * src_warns[s_] / srcs[s_]:.3f}%)')
    for c, ex in examples.items():
        for e in ex:
            print(f'  [{c}] {e!r}')
    return 0 if blocks == 0 and warns_other < 0.005 * n else 1


if __name__ == '__main__':
    sys.exit(main())
