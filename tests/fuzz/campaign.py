"""A long, bounded fuzz campaign over the loader and every importer (issue 13).

    nice -n 19 python -m tests.fuzz.campaign --documents 100000 --out build/fuzz-findings

Generates ``--documents`` inputs with the fuzz suite's generators (shares below), checks each
with the suite's property (a valid Scenario with finite JSON results, or an InputError), and
keeps going after a failure: every failing input is written to ``--out`` (to become a fixture
in ``tests/fixtures/hostile/found-*``), every input slower than ``--slow`` seconds is counted as a
possible hang. Prints one JSON summary at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from . import properties as p

SHARES: dict[str, tuple[float, Any, str]] = {
    # name: (share of the documents, strategy, format or "doc-yaml"/"doc-json" for documents)
    "yaml-text": (0.08, st.text(max_size=2000), "yaml"),
    "json-text": (0.04, st.text(max_size=2000), "json"),
    "yaml-soup": (0.18, p.yaml_soup, "yaml"),
    "json-soup": (0.08, p.json_soup, "json"),
    "mutated-yaml-doc": (0.10, p.mutated_minimal(), "doc-yaml"),
    "perturbed-doc": (0.054, p.perturbed_minimal(), "doc-yaml"),
    "mutated-json-doc": (0.10, p.mutated_minimal(), "doc-json"),
    "mutated-yaml-text": (0.10, p.mutate_text(p.MINIMAL), "yaml"),
    "schema-doc": (0.001, p.scenario_schema_documents(), "doc-json"),
    "bdm-csv": (0.07, p.bdm_csv, "bdm-csv"),
    "ktab-csv": (0.07, p.ktab_csv(), "ktab-csv"),
    "ktab-xml": (0.06, p.ktab_xml(), "ktab-xml"),
    "decide": (0.065, p.decide_rows(), "decide"),
}
SUFFIX = {"yaml": ".yaml", "json": ".json", "doc-yaml": ".yaml", "doc-json": ".json",
          "bdm-csv": ".csv", "ktab-csv": ".ktab", "ktab-xml": ".xml", "decide": ".txt"}


def _run_one(name: str, value: Any, fmt: str, tally: Counter, out: Path, slow: float,
             kept: Counter) -> None:
    started = time.perf_counter()
    try:
        if fmt.startswith("doc-"):
            verdict = p.check_document(value, fmt.removeprefix("doc-"))
        else:
            verdict = p.check_text(value, fmt)
        tally[verdict] += 1
    except Exception as err:  # the campaign records every failure and goes on
        kind = f"{name}:{type(err).__name__}: {str(err)[:120]}"
        tally["failed"] += 1
        kept[kind] += 1
        if kept[kind] <= 3:
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            (out / f"{name}-{tally['failed']}{SUFFIX[fmt]}").write_text(text)
    if time.perf_counter() - started > slow:
        tally["slow"] += 1
    done = tally["valid"] + tally["refused"] + tally["failed"]
    if done % 2000 == 0:
        print(f"{done} documents: {tally['failed']} failed, {tally['slow']} slow", flush=True,
              file=sys.stderr)


def _drive(name: str, strategy: Any, fmt: str, n: int, check: Any) -> None:
    @settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def drive(value: Any) -> None:
        check(value)

    drive()


def campaign(documents: int, out: Path, slow: float, only: list[str] | None = None
             ) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    tally: Counter = Counter()
    kept: Counter = Counter()
    per: dict[str, int] = {}
    started = time.perf_counter()
    for name, (share, strategy, fmt) in SHARES.items():
        if only and name not in only:
            continue
        n = max(1, round(share * documents))
        before = sum(tally[k] for k in ("valid", "refused", "failed"))

        _drive(name, strategy, fmt, n, lambda v, nm=name, f=fmt: _run_one(
            nm, v, f, tally, out, slow, kept))
        per[name] = sum(tally[k] for k in ("valid", "refused", "failed")) - before
    return {"documents": sum(per.values()), "per_generator": per, "valid": tally["valid"],
            "refused": tally["refused"], "failed": tally["failed"], "slow": tally["slow"],
            "failure_kinds": dict(kept), "seconds": round(time.perf_counter() - started, 1),
            "findings": str(out)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path("build/fuzz-findings"))
    parser.add_argument("--slow", type=float, default=5.0,
                        help="seconds after which one input counts as a possible hang")
    parser.add_argument("--only", nargs="*", choices=list(SHARES),
                        help="run only these generators (to split a campaign over processes)")
    args = parser.parse_args()
    print(json.dumps(campaign(args.documents, args.out, args.slow, args.only), indent=2))


if __name__ == "__main__":
    main()
