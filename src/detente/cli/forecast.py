"""Commands ``forecast``, ``ledger verify|resolve|score|list`` and ``backtest`` (MODELS.md §6).

Only typer and the standard library at import time; the work happens in :mod:`detente.forecast`.
"""

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

LedgerOpt = Annotated[str | None, typer.Option(
    "--ledger", envvar="DETENTE_LEDGER",
    help="Ledger: a SQLite file (default: ledger.sqlite in the user data directory) or a "
         "postgresql:// URL.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def register(app: typer.Typer) -> None:
    """Add the forecasting commands to the ``detente`` app."""
    from detente.cli import reports_input_errors

    ledger = typer.Typer(help="The sealed forecast ledger: verify, resolve, score, list.",
                         no_args_is_help=True)
    app.command("forecast")(reports_input_errors(forecast))
    app.command("backtest")(reports_input_errors(backtest))
    for name, fn in (("verify", verify), ("resolve", resolve), ("score", score),
                     ("list", list_entries)):
        ledger.command(name)(reports_input_errors(fn))
    app.add_typer(ledger, name="ledger")


def _say(text: str) -> None:
    from detente.cli import out

    out.print(text, markup=False, highlight=False, soft_wrap=True)


def _open(ledger: str | None) -> Any:
    from detente.forecast.ledger import open_ledger

    return open_ledger(ledger)


def forecast(
    questions: Annotated[Path, typer.Argument(help="Question file (YAML).")],
    scenario: Annotated[Path, typer.Option("--scenario", "-s", help="Scenario file.")],
    hypothesis: Annotated[str | None, typer.Option(help="Hypothesis id (default: baseline).")]
    = None,
    lever: Annotated[list[str] | None, typer.Option("--lever", "-l", help="Lever on (repeat).")]
    = None,
    runs: Annotated[int, typer.Option(help="Simulation runs / Monte Carlo draws.", min=1,
                                      max=100_000)] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the one random generator.", min=0)] = 0,
    horizon: Annotated[int | None, typer.Option(help="Weeks to simulate (default: the "
                                                "scenario's war.horizon).")] = None,
    seal: Annotated[bool, typer.Option("--seal", help="Append the forecasts to the ledger.")]
    = False,
    ledger: LedgerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Forecast each question from the models, with baselines; --seal keeps them in the ledger."""
    from detente.cli import err, located_in, print_json
    from detente.forecast.make import Setup, check_open, make_forecasts
    from detente.forecast.questions import load_questions
    from detente.scenario import load_scenario

    qs = load_questions(questions)
    sc = load_scenario(scenario)
    if ledger is not None and not seal:
        err.print("warning: --ledger has no effect without --seal")
    setup = Setup(scenario, hypothesis, tuple(lever or ()), runs, seed, horizon)
    with located_in(questions):
        check_open(qs, date.today())
    with located_in(scenario):
        records, warnings = make_forecasts(qs, sc, setup)
    for w in warnings:
        err.print(f"warning: {w}")
    sealed = []
    if seal:
        book = _open(ledger)
        with located_in(questions):
            book.check_versions([r["question"] for r in records])
        sealed = [book.append("forecast", r["question"], r["model"], r["options"], r["inputs"],
                              r["forecast"], r["baselines"]) for r in records]
    if as_json:
        print_json({"forecasts": [_brief(r) for r in records],
                    "sealed": [{"id": s["id"], "question": s["question_id"], "hash": s["hash"]}
                               for s in sealed]})
        return
    for r, s in zip(records, sealed or [None] * len(records), strict=True):
        tag = f"  [sealed #{s['id']} {s['hash'][:12]}]" if s else ""
        _say(f"{r['question']['id']} v{r['question']['version']}  {r['model']}: "
                  f"{_show(r['forecast'])}{tag}")
        for name, b in r["baselines"].items():
            _say(f"    baseline {name}: {_show(b)}")
    if any("base_rate" in r["baselines"] and "stylised" in
           str(r["baselines"]["base_rate"].get("source")) for r in records):
        _say("note: war base rates use a stylised duration table (an assumption, not "
                  "data); see detente.forecast.reference_class")


def _brief(r: dict[str, Any]) -> dict[str, Any]:
    return {"question": r["question"]["id"], "version": r["question"]["version"],
            "model": r["model"], "forecast": r["forecast"], "baselines": r["baselines"],
            "inputs": r["inputs"]}


def _show(f: dict[str, Any]) -> str:
    if "p" in f:
        return f"p = {f['p']:.3f}"
    if "probabilities" in f:
        return "p = [" + ", ".join(f"{p:.3f}" for p in f["probabilities"]) + "]"
    q = f["quantiles"]
    if f.get("unit", "").startswith("days"):
        def fmt(v: float) -> str:
            return date.fromordinal(round(v)).isoformat()
    else:
        def fmt(v: float) -> str:
            return f"{v:.1f}"
    return f"median {fmt(q['0.5'])}, 90% [{fmt(q['0.05'])}, {fmt(q['0.95'])}]"


def verify(
    ledger: LedgerOpt = None,
    rerun: Annotated[bool, typer.Option(help="Re-run each sealed forecast from its inputs.")]
    = True,
    as_json: JsonOpt = False,
) -> None:
    """Recompute the hash chain (edited, deleted, reordered rows by id) and re-run forecasts."""
    from detente.cli import print_json
    from detente.forecast.ledger import decode, verify_chain
    from detente.forecast.make import reproduce

    book = _open(ledger)
    rows = book.rows()
    head_id, head_hash = book.head()
    findings = verify_chain(rows, head_id, head_hash)
    reruns = reproduce([decode(r) for r in rows if r["kind"] == "forecast"]) if rerun else []
    ok = not findings and all(x["status"] == "reproduced" for x in reruns)
    if as_json:
        print_json({"ok": ok, "rows": len(rows), "head": {"id": head_id, "hash": head_hash},
                    "findings": findings, "reruns": reruns})
    else:
        for f in findings:
            _say(f"row {f['id']}: {f['problem']}: {f['detail']}")
        for x in reruns:
            if x["status"] != "reproduced":
                _say(f"row {x['id']}: re-run {x['status']}: {x['detail']}")
        _say(f"{len(rows)} rows, head #{head_id} {head_hash[:16]}: "
                  + ("chain intact" if not findings else f"{len(findings)} problem(s)")
                  + (f"; {sum(x['status'] == 'reproduced' for x in reruns)}/{len(reruns)} "
                     "forecasts reproduced" if rerun else ""))
    if not ok:
        raise typer.Exit(1)


def resolve(
    question: Annotated[str, typer.Argument(help="Question id.")],
    outcome: Annotated[str, typer.Option(help="yes/no, an option, a number, a date, or annul.")],
    source: Annotated[str, typer.Option(help="The source that confirms the outcome.")],
    by: Annotated[str, typer.Option(help="Who resolved it.")] = "unknown",
    ledger: LedgerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Append the resolution of a question (a correction is a later resolution row)."""
    from detente.cli import print_json
    from detente.errors import InputError, problem
    from detente.forecast.evaluate import parse_outcome
    from detente.forecast.questions import Question

    book = _open(ledger)
    sealed = [e for e in book.entries("forecast") if e["question_id"] == question]
    if not sealed:
        known = sorted({e["question_id"] for e in book.entries("forecast")})
        raise InputError([problem(f"no sealed forecast of this question (sealed: "
                                  f"{', '.join(known) or 'none'})", ("question",),
                                  value=question)])
    q = Question.model_validate(sealed[-1]["question"])
    value = parse_outcome(q, outcome)
    row = book.append("resolution", sealed[-1]["question"], "resolution", {}, {},
                      {"outcome": value, "source": source, "resolved_by": by}, {})
    if as_json:
        print_json({"id": row["id"], "question": question, "outcome": value, "hash": row["hash"]})
    else:
        _say(f"resolved {question} v{q.version} = {value} [#{row['id']} "
                  f"{row['hash'][:12]}]")


def score(
    ledger: LedgerOpt = None,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.", min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Score resolved questions: Brier, log, RPS, CRPS, interval scores; skill vs baselines."""
    from detente.cli import err, print_json
    from detente.forecast.evaluate import score_ledger
    from detente.forecast.ledger import verify_chain

    book = _open(ledger)
    findings = verify_chain(book.rows(), *book.head())
    broken = {f["id"] for f in findings if f["problem"] in ("edited", "reordered")}
    if findings:
        err.print(f"warning: the ledger fails verification ({len(findings)} problem(s), see "
                  "`detente ledger verify`); rows that fail their hash are left out: "
                  f"{sorted(broken) or 'none'}", highlight=False)
    rows = [e for e in book.entries() if e["id"] not in broken]
    result = score_ledger([e for e in rows if e["kind"] == "forecast"],
                          [e for e in rows if e["kind"] == "resolution"], seed=seed)
    if as_json:
        print_json(result)
        return
    _say("Brier: " + "; ".join(f"{k} questions {v}"
                                    for k, v in result["brier_forms"].items()))
    _say(f"{len(result['questions'])} resolved question(s); scores time-averaged over the "
              "days each question was open")
    for name, scores in sorted(result["means"].items()):
        shown = ", ".join(f"{k} {v['mean']:.4f} (n={v['n']})" for k, v in scores.items()
                          if not k.startswith(("interval", "covered")))
        _say(f"  {name}: {shown}")
        if "covered_0.5" in scores:
            _say("    interval score / coverage (nominal): " + "; ".join(
                f"{1 - float(a):.0%}: {scores[f'interval_{a}']['mean']:.3f} / "
                f"{scores[f'covered_{a}']['mean']:.2f}" for a in ("0.5", "0.2", "0.1")))
    for s in result["skill"]:
        _say(f"  skill {s['model']} vs {s['baseline']} ({s['score']}, n={s['n']}): "
                  f"{s['skill']:+.3f} [{s['skill_low']:+.3f}, {s['skill_high']:+.3f}]; "
                  f"difference {s['difference']:+.4f} [{s['difference_low']:+.4f}, "
                  f"{s['difference_high']:+.4f}]")


def list_entries(ledger: LedgerOpt = None, as_json: JsonOpt = False) -> None:
    """List the ledger's rows."""
    from detente.cli import print_json

    book = _open(ledger)
    rows = book.entries()
    if as_json:
        print_json({"ledger": book.url.split("@")[-1], "entries": rows})
        return
    for r in rows:
        what = (_show(r["forecast"]) if r["kind"] == "forecast"
                else f"outcome {r['forecast']['outcome']} ({r['forecast']['source']})")
        _say(f"#{r['id']} {r['created_at'][:19]} {r['kind']:10} {r['question_id']} "
                  f"v{r['question_version']} {r['model']}: {what}")


def backtest(
    data: Annotated[Path, typer.Argument(help="DEU-format file, or a scenario with --outcome.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="deu or scenario.")] = "deu",
    capabilities: Annotated[Path | None, typer.Option(help="actor,capability CSV (DEU).")]
    = None,
    models: Annotated[str, typer.Option(help="Comma-separated models.")]
    = "mean,median,nash,eum,smp",
    outcome: Annotated[list[str] | None, typer.Option(
        help="scenario format: ISSUE=VALUE, the observed outcome (repeat).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.", min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Score negotiation models' point forecasts against observed outcomes (MAE, RMSE, hits)."""
    from detente.cli import err, parse_pairs, print_json
    from detente.forecast.backtest import backtest_deu, backtest_scenario

    names = [m.strip() for m in models.split(",") if m.strip()]
    if fmt == "deu" and outcome:
        err.print("warning: --outcome has no effect with --format deu (outcomes are the `out` "
                  "column)", highlight=False)
    if fmt == "scenario" and capabilities is not None:
        err.print("warning: --capabilities has no effect with --format scenario (the scenario "
                  "gives them)", highlight=False)
    if fmt == "deu":
        result = backtest_deu(data, names, capabilities, seed=seed)
    elif fmt == "scenario":
        result = backtest_scenario(data, names, parse_pairs(outcome), seed=seed)
    else:
        from detente.errors import InputError, problem

        raise InputError([problem("unknown backtest format (allowed: deu, scenario)",
                                  ("format",), value=fmt)])
    if as_json:
        print_json(result)
        return
    _say(f"{result['cases']} case(s), {result['source']}")
    for w in result.get("notes", []):
        _say(f"note: {w}")
    for name, s in result["models"].items():
        _say(f"  {name:7} MAE {s['mae']:7.3f}  RMSE {s['rmse']:7.3f}  within 5: "
                  f"{s['hit5']:.2f}  within 10: {s['hit10']:.2f}  (n={s['n']})")
    for name, d in result["against_mean"].items():
        _say(f"  {name} - mean, absolute error: {d['difference']:+.3f} "
                  f"[{d['difference_low']:+.3f}, {d['difference_high']:+.3f}] (95%, paired "
                  f"bootstrap, n={d['n']})")
