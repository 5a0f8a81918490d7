#!/usr/bin/env python3
"""Generates look-alikes of personal data that are not personal data, as JSON Lines
{"i", "source", "text"}: order and tracking numbers, timestamps, version strings, ISBNs, part
numbers, ZIP+4 codes, coordinates, prices, durations, dates, ratios and scores, each in a short
sentence. Deterministic for a given --seed (default 20261123), so runs are comparable.

  lookalikes.py [--seed N] [--count N] > lookalikes.jsonl

Phone numbers are deliberately absent: a random 10-digit number *is* a well-formed phone
number in many plans, so a phone hit on one is not a false positive of the format check; the
phone and e-mail rates are reported separately anyway.
"""
import argparse
import json
import random
import string


def digits(r, n):
    return ''.join(r.choice(string.digits) for _ in range(n))


def gens(r):
    up = string.ascii_uppercase
    return [
        lambda: f'Your order #{digits(r, 3)}-{digits(r, 7)}-{digits(r, 7)} has shipped.',
        lambda: f'Order number {r.choice(up)}{digits(r, 8)} confirmed, thanks!',
        lambda: f'Tracking: 1Z{"".join(r.choice(up + string.digits) for _ in range(6))}{digits(r, 10)}',
        lambda: f'USPS tracking {digits(r, 4)} {digits(r, 4)} {digits(r, 4)} {digits(r, 4)} {digits(r, 4)} {digits(r, 2)}',
        lambda: f'FedEx {digits(r, 12)} arrives tomorrow.',
        lambda: f'Logged at {r.randint(1500000000, 1800000000)} (unix time).',
        lambda: f'Event timestamp {r.randint(1500000000000, 1800000000000)} ms.',
        lambda: f'Build finished {r.randint(2015, 2026)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}Z',
        lambda: f'Upgraded to version {r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 99)}',
        lambda: f'Kernel {r.randint(3, 6)}.{r.randint(0, 19)}.{r.randint(0, 200)}-{r.randint(1, 40)}-amd64 is running.',
        lambda: f'Release v{r.randint(1, 9)}.{r.randint(0, 9)}.{r.randint(0, 9)}.{r.randint(0, 9999)} tagged.',
        lambda: f'ISBN 978-{r.randint(0, 9)}-{digits(r, 2)}-{digits(r, 6)}-{r.randint(0, 9)}',
        lambda: f'Part no. {digits(r, 3)}-{digits(r, 4)}-{digits(r, 2)} is back in stock.',
        lambda: f'Ship to ZIP {digits(r, 5)}-{digits(r, 4)}.',
        lambda: f'Meet at {r.uniform(-90, 90):.4f}, {r.uniform(-180, 180):.4f} at noon.',
        lambda: f'Total: ${r.randint(1, 999)},{digits(r, 3)},{digits(r, 3)}.{digits(r, 2)}',
        lambda: f'Runtime {r.randint(0, 99):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{digits(r, 3)}',
        lambda: f'Due {r.randint(1, 12)}/{r.randint(1, 28)}/{r.randint(2000, 2030)}, invoice {digits(r, 9)}.',
        lambda: f'Final score {r.randint(0, 9)}-{r.randint(0, 9)}, aspect {r.choice(["16:9", "4:3", "21:9"])}.',
        lambda: f'Ticket {digits(r, 6)} updated; see case {digits(r, 8)}.',
        lambda: f'Serial {"".join(r.choice(up + string.digits) for _ in range(12))} registered.',
        lambda: f'Room {r.randint(100, 999)}, floor {r.randint(1, 40)}, badge {digits(r, 7)}.',
        lambda: f'Commit {"".join(r.choice("0123456789abcdef") for _ in range(40))} fixed it.',
        lambda: f'Checksum sha256:{"".join(r.choice("0123456789abcdef") for _ in range(64))}',
        lambda: f'UUID {"".join(r.choice("0123456789abcdef") for _ in range(8))}-{"".join(r.choice("0123456789abcdef") for _ in range(4))}-4{"".join(r.choice("0123456789abcdef") for _ in range(3))}-a{"".join(r.choice("0123456789abcdef") for _ in range(3))}-{"".join(r.choice("0123456789abcdef") for _ in range(12))}',
        lambda: f'Population {r.randint(1, 9)},{digits(r, 3)},{digits(r, 3)} in {r.randint(1900, 2024)}.',
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seed', type=int, default=20261123)
    ap.add_argument('--count', type=int, default=2600)
    a = ap.parse_args()
    r = random.Random(a.seed)
    g = gens(r)
    for i in range(a.count):
        k = i % len(g)
        print(json.dumps({'i': 1000000 + i, 'source': f'lookalike:{k}', 'text': g[k]()}))


if __name__ == '__main__':
    main()
