#!/usr/bin/env python3
"""Builds libFuzzer dictionaries fuzz/dicts/<target>.dict: JSON syntax, every object key
and short string of the target's seeds, and for the scenario and sweep targets every name
in schema/scenario.schema.json. Run from the repository root after make-seeds.py."""
import json, os

SEEDS = "fuzz/seeds"
DICTS = "fuzz/dicts"
SYNTAX = ['{', '}', '[', ']', ':', ',', '""', 'null', 'true', 'false', '-1', '0', '1e308', '0.5', '-0',
          '4294967296', '18446744073709551616', '"\\u0000"', '\\u00e9', '\x00']
EXTRA = ['"0s"', '"1ms"', '"10s"', '"30s"', '"1m"', '"1h"', '"1d"', '"400d"', '"1us"',
         '{"uniform": ["1s", "2s"]}', '{"exponential": "1s"}', '{"lognormal": {"median": "1s", "sigma": 1}}']


def strings(value, out):
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(json.dumps(k))
            strings(v, out)
    elif isinstance(value, list):
        for v in value:
            strings(v, out)
    elif isinstance(value, str) and len(value) <= 40:
        out.add(json.dumps(value))


def escape(token):
    return "".join(c if 0x20 <= ord(c) < 0x7f and c not in '"\\' else f"\\x{ord(c):02x}"
                   for c in token.encode("utf-8").decode("latin-1"))


def main():
    os.makedirs(DICTS, exist_ok=True)
    schema = json.load(open("schema/scenario.schema.json"))
    for target in sorted(os.listdir(SEEDS)):
        tokens = set(SYNTAX)
        if target in ("scenario", "sweep"):
            strings(schema, tokens)
            tokens.update(EXTRA)
        for name in os.listdir(f"{SEEDS}/{target}"):
            for part in open(f"{SEEDS}/{target}/{name}", "rb").read().split(b"\0"):
                try:
                    strings(json.loads(part), tokens)
                except ValueError:
                    pass  # CSV files and the bad seeds
        tokens = sorted(t for t in tokens if 0 < len(t.encode()) <= 64 and not t.startswith("\"#/"))
        with open(f"{DICTS}/{target}.dict", "w") as f:
            for t in tokens:
                f.write(f'"{escape(t)}"\n')
        print(f"{target}: {len(tokens)} tokens")


if __name__ == "__main__":
    main()
