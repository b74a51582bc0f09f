"""Regenerate the citation review table of docs/flagship.md from `detente evidence check`.

Run from the repository root, with ../shared beside it:
``.venv/bin/python docs/citation_review.py --write``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "flagship.md"
START, END = "<!-- citation-review:start -->", "<!-- citation-review:end -->"


def table() -> str:
    corpus = sorted((ROOT.parent / "shared" / "corpus").glob("*.txt"))
    out = subprocess.run([sys.executable, "-m", "detente.cli", "evidence", "check",
                          str(ROOT / "scenarios" / "ukraine-2025.yaml"), *map(str, corpus),
                          "--json"], capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    counts = data["support"]
    lines = [f"Result: **{counts['strong']} strong, {counts['weak']} weak, {counts['none']} none, "
             f"{counts['unchecked']} unchecked** of {sum(counts.values())} citations.", "",
             "| file | ¶ | field | support | overlap | why / missing terms |",
             "|---|---|---|---|---|---|"]
    for c in data["checks"]:
        why = c["reason"] if c["support"] in ("none", "unchecked") else ", ".join(
            c["missing_terms"][:6])
        lines.append(f"| `{c['file'] and Path(c['file']).name}` | {c['paragraph'] or '–'} | "
                     f"`{c['field']}` | {c['support']} | {c['overlap']:.2f} | {why} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite docs/flagship.md")
    body = table()
    if not parser.parse_args().write:
        print(body)
        return
    text = DOC.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{START}\n{body}\n{END}{tail}")


if __name__ == "__main__":
    main()
