"""Terminal rendering of negotiation results with rich."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from detente.results import NegotiationResult
from detente.scenario.schema import Scenario


def _scale(scenario: Scenario, issue_id: str) -> str:
    issue = scenario.issue(issue_id)
    lo = f"{issue.low:g}" + (f" {issue.low_label}" if issue.low_label else "")
    hi = f"{issue.high:g}" + (f" {issue.high_label}" if issue.high_label else "")
    return escape(f"{lo} … {hi}")  # labels are the analyst's text, never markup


def render_outcome_probabilities(console: Console, result: NegotiationResult) -> None:
    """For models with a PCE (smp): the most likely outcome per turn and the final positions."""
    traj = result.trajectory
    t = int(traj.turns[0])
    issues = result.batch.issues
    reps = traj.diagnostics["option_probabilities"][0]
    turns = Table(title="Most likely outcome per turn (PCE over distinct positions)",
                  title_justify="left")
    turns.add_column("turn", justify="right")
    turns.add_column("P(most likely)", justify="right")
    for d in issues:
        turns.add_column(d, justify="right")
    for k in range(t + 1):
        best = int(reps[k].argmax())
        turns.add_row(str(k), f"{reps[k, best]:.4f}",
                      *(f"{traj.positions[0, k, best, j]:.2f}" for j in range(len(issues))))
    console.print(turns)
    actors = result.batch.actors
    if len(actors) <= 12:  # every actor's position, turn by turn, while it still fits
        path = Table(title="Positions per turn", title_justify="left")
        path.add_column("turn", justify="right")
        for a in actors:
            path.add_column(a, justify="right")
        for k in range(t + 1):
            path.add_row(str(k), *("(" + ", ".join(f"{v:.1f}" for v in traj.positions[0, k, i])
                                   + ")" for i in range(len(actors))))
        console.print(path)
    final = Table(title=f"Positions after turn {t} and the chance each is the group's choice",
                  title_justify="left")
    final.add_column("actor")
    for d in issues:
        final.add_column(d, justify="right")
    final.add_column("probability", justify="right")
    for i, actor in enumerate(result.batch.actors):
        final.add_row(actor, *(f"{traj.positions[0, t, i, j]:.2f}" for j in range(len(issues))),
                      f"{traj.probabilities[0, t, i]:.4f}")
    console.print(final)


def render_exchanges(console: Console, result: NegotiationResult, top: int = 10) -> None:
    """Per-issue outcome by round (preference and voting) and the largest exchanges."""
    traj = result.trajectory
    diag = traj.diagnostics
    issues = result.batch.issues
    table = Table(title="Outcome by round: preference (start of round) / voting (after its "
                  "exchanges)", title_justify="left")
    table.add_column("round", justify="right")
    for d in issues:
        table.add_column(d, justify="right")
    pref, vote = diag["preference_outcome"][0], diag["voting_outcome"][0]
    for k in range(pref.shape[0]):
        cells = [f"{pref[k, j]:.2f}" + (f" / {vote[k, j]:.2f}" if k < vote.shape[0] else "")
                 for j in range(len(issues))]
        table.add_row(str(k), *cells)
    console.print(table)
    realised = [(r + 1, e) for r, rnd in enumerate(diag["exchanges"][0]) for e in rnd]
    realised.sort(key=lambda item: -item[1]["gain"])
    ex = Table(title=f"Largest of {len(realised)} realised exchanges", title_justify="left")
    for col in ("round", "gain", "actor gives", "on", "move", "actor gives", "on", "move"):
        ex.add_column(col)
    for r, e in realised[:top]:
        i, j = e["i"], e["j"]
        ex.add_row(str(r), f"{e['gain']:.3f}", i["actor"], i["supply"], f"{i['move']:+.2f}",
                   j["actor"], j["supply"], f"{j['move']:+.2f}")
    console.print(ex)


def render_negotiation(console: Console, scenario: Scenario, result: NegotiationResult) -> None:
    """Forecast per round and issue (median and weighted mean), then the forecast line."""
    traj = result.trajectory
    if "voting_positions" in traj.diagnostics:
        console.print(f"[bold]{escape(scenario.name)}[/] — model [bold]{result.model}[/]",
                      highlight=False)
        render_exchanges(console, result)
        _forecast_table(console, scenario, result)
        return
    if traj.probabilities is not None:
        console.print(f"[bold]{escape(scenario.name)}[/] — model [bold]{result.model}[/]",
                      highlight=False)
        render_outcome_probabilities(console, result)
        _forecast_table(console, scenario, result)
        return
    t = int(traj.turns[0])
    issues = result.batch.issues
    median, mean = result.median_path()[0], result.mean_path()[0]
    console.print(f"[bold]{escape(scenario.name)}[/] — model [bold]{result.model}[/]",
                  highlight=False)
    table = Table()
    table.add_column("round", justify="right")
    for d in issues:
        table.add_column(f"{d}\nmedian", justify="right")
        table.add_column(f"{d}\nmean", justify="right")
    for k in range(t + 1):
        row = ["input" if k == 0 else str(k)]
        for j in range(len(issues)):
            row += [f"{median[k, j]:.3f}", f"{mean[k, j]:.3f}"]
        table.add_row(*row)
    console.print(table)
    _forecast_table(console, scenario, result)


def _forecast_table(console: Console, scenario: Scenario, result: NegotiationResult) -> None:
    traj = result.trajectory
    t = int(traj.turns[0])
    issues = result.batch.issues
    forecast = Table(title="Forecast", title_justify="left")
    forecast.add_column("issue")
    forecast.add_column("scale")
    forecast.add_column("forecast", justify="right")
    if result.batch.draws > 1:
        forecast.add_column(f"p05 – p95 over {result.batch.draws} draws", justify="right")
    summary = result.draw_summary() if result.batch.draws > 1 else {}
    for j, d in enumerate(issues):
        row = [d, _scale(scenario, d), f"{traj.forecast[0, j]:.3f}"]
        if summary:
            row.append(f"{summary[d]['p05']:.3f} – {summary[d]['p95']:.3f}")
        forecast.add_row(*row)
    console.print(forecast)
    p = result.provenance
    console.print(
        f"[dim]stop: {traj.stop_reason[0]} after {t} round(s) · scenario "
        f"{(p['scenario_sha256'] or '')[:12]} · seed {p['seed']} · detente {p['version']}[/]",
        highlight=False,
    )
