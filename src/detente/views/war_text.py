"""Terminal rendering of war simulations and lever comparisons, with verdicts in words."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from detente.scenario.schema import Scenario


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def _span(delta: dict[str, Any]) -> str:
    lo, hi = delta["ci95"]
    return f"95% CI {100 * lo:+.1f} to {100 * hi:+.1f}"


def lever_verdict(delta: dict[str, Any], week: str) -> str:
    """What a lever does to P(agreement in force at ``week``), and how sure we are."""
    d, (lo, hi) = delta["mean"], delta["ci95"]
    span = _span(delta)
    what = f"the chance of a deal in force at week {week}"
    if lo > 0:
        return f"raises {what} by {100 * d:.1f} points ({span})"
    if hi < 0:
        return f"lowers {what} by {-100 * d:.1f} points ({span})"
    return f"no clear effect at week {week} ({100 * d:+.1f} points, {span})"


def terms_shift(lever: dict[str, Any], baseline: dict[str, Any], scenario: Scenario) -> str:
    """The issue whose settlement terms move most, in words (0 = Ukraine's end of the scale)."""
    best, shift = None, 0.0
    for issue, t in lever["terms"].items():
        b = baseline["terms"][issue]
        if t["mean"] is None or b["mean"] is None:
            continue
        if abs(t["mean"] - b["mean"]) > abs(shift):
            best, shift = issue, t["mean"] - b["mean"]
    if best is None or abs(shift) < 0.05:
        return "settlement terms barely move"
    iss = scenario.issue(best)
    toward = iss.high_label if shift > 0 else iss.low_label
    return escape(f"terms on {best} move {abs(shift):.1f} points toward '{toward}'")


def render_simulation(console: Console, summary: dict[str, Any], scenario: Scenario) -> None:
    levers = ", ".join(summary["levers"]) or "none"
    console.print(f"[bold]{escape(scenario.name)}[/] — hypothesis "
                  f"[bold]{summary['hypothesis']}[/], "
                  f"levers: {levers}; {summary['provenance']['runs']:,} runs over "
                  f"{summary['horizon']} weeks", highlight=False)
    t = Table(title="Chance an agreement is in force", title_justify="left")
    for w in summary["p_agreement"]:
        t.add_column(f"week {w}", justify="right")
    t.add_row(*(_pct(v) for v in summary["p_agreement"].values()))
    console.print(t)
    modes = Table(title="How the war ends (share of runs)", title_justify="left")
    modes.add_column("end")
    modes.add_column("share", justify="right")
    for mode, share in sorted(summary["end_mode"].items(), key=lambda kv: -kv[1]):
        modes.add_row(mode, _pct(share))
    console.print(modes)
    d = summary["duration_weeks"]
    console.print(f"Weeks until the final state: p10 {d['p10']:.0f}, median {d['p50']:.0f}, "
                  f"p90 {d['p90']:.0f} ({_pct(summary['censored_share'])} still fighting at the "
                  "horizon)", highlight=False)
    terms = Table(title="Settlement terms (runs that ended)", title_justify="left")
    terms.add_column("issue")
    terms.add_column("mean", justify="right")
    terms.add_column("p05 – p95", justify="right")
    terms.add_column("scale")
    for issue, v in summary["terms"].items():
        iss = scenario.issue(issue)
        if v["mean"] is None:
            terms.add_row(issue, "—", "—", "")
            continue
        terms.add_row(issue, f"{v['mean']:.1f}", f"{v['p05']:.1f} – {v['p95']:.1f}",
                      escape(f"0 {iss.low_label or ''} … 100 {iss.high_label or ''}"))
    console.print(terms)
    if "coupled" in summary:
        render_coupled(console, summary["coupled"])


def _quantiles(q: dict[str, float]) -> str:
    return " / ".join(f"{q[k]:.0f}" for k in ("p5", "p25", "p50", "p75", "p95"))


def render_coupled(console: Console, coupled: dict[str, Any]) -> None:
    """The coupled model's own outputs (MODELS.md §7.8): terms per issue as distributions,
    who refused the proposals and why, and each third party's engagement over time."""
    terms = Table(title="Terms per issue (p5 / p25 / median / p75 / p95 over the runs with a "
                  "deal; 0 = the scale's low end)", title_justify="left")
    terms.add_column("issue")
    terms.add_column("deals", justify="right")
    terms.add_column("deal terms", justify="right")
    terms.add_column("last proposal (all runs)", justify="right")
    for issue, t in coupled["terms"].items():
        deal, last = t["deal"], t["last_proposal"]
        terms.add_row(escape(issue), f"{deal['n']:,}",
                      _quantiles(deal["quantiles"]) if deal["n"] else "—",
                      _quantiles(last["quantiles"]) if last["n"] else "—")
    console.print(terms)
    vetoes = coupled["vetoes"]
    refusals = Table(title=f"Refusals: share of the {vetoes['rounds_held']:,} talks rounds held "
                     "in which each veto player refused", title_justify="left")
    refusals.add_column("veto player")
    refusals.add_column("a red line", justify="right")
    refusals.add_column("its value of fighting on", justify="right")
    for actor, why in vetoes["by_actor"].items():
        refusals.add_row(escape(actor), _pct(why["red_line"]), _pct(why["value_of_fighting"]))
    console.print(refusals)
    weeks = [str(w) for w in coupled["checkpoints"]]
    engaged = Table(title="Third parties still engaged (share of runs)", title_justify="left")
    engaged.add_column("third party")
    for w in weeks:
        engaged.add_column(f"week {w}", justify="right")
    for party, t in coupled["third_parties"].items():
        engaged.add_row(escape(party), *(_pct(t["engaged"][w]["p"]) for w in weeks))
    console.print(engaged)


def headline_week(weeks: list[str]) -> str:
    """The checkpoint a comparison table headlines: the last one (the horizon's end, or 104)."""
    return weeks[-1]


def lever_verdicts(deltas: dict[str, dict[str, Any]]) -> str:
    """A lever's effect in words at every checkpoint where it is clear, else at none of them."""
    clear = [w for w, d in deltas.items() if d["ci95"][0] > 0 or d["ci95"][1] < 0]
    if not clear:
        last = deltas[list(deltas)[-1]]
        return (f"no clear effect at weeks {', '.join(deltas)} (at week {list(deltas)[-1]}: "
                f"{100 * last['mean']:+.1f} points, {_span(last)})")
    return "; ".join(lever_verdict(deltas[w], w) for w in clear)


def render_comparison(console: Console, result: dict[str, Any], scenario: Scenario) -> None:
    prov = result["provenance"]
    console.print(f"[bold]{escape(scenario.name)}[/]: levers compared with common random numbers, "
                  f"{prov['runs']:,} runs each, seed {prov['seed']}", highlight=False)
    for hyp, entry in result["hypotheses"].items():
        base = entry["baseline"]
        weeks = list(base["p_agreement"])
        head = headline_week(weeks)
        table = Table(title=f"Hypothesis: {hyp}", title_justify="left", show_lines=False)
        table.add_column("variant")
        for w in weeks:
            table.add_column(f"P(deal) wk {w}", justify="right")
        table.add_column(f"change at wk {head} (95% CI)", justify="right")
        table.add_row("baseline", *(_pct(base["p_agreement"][w]) for w in weeks), "")
        for lever, v in entry["levers"].items():
            delta = v["delta_p_agreement"].get(head)
            change = ("" if delta is None else
                      f"{100 * delta['mean']:+.1f} ({100 * delta['ci95'][0]:+.1f}, "
                      f"{100 * delta['ci95'][1]:+.1f})")
            table.add_row(lever, *(_pct(v["p_agreement"][w]) for w in weeks), change)
        console.print(table)
        for lever, v in entry["levers"].items():
            deltas = {w: d for w, d in v["delta_p_agreement"].items() if d is not None}
            if deltas:
                console.print(f"  • [bold]{lever}[/] {lever_verdicts(deltas)}; "
                              f"{terms_shift(v, base, scenario)}.", highlight=False)
        console.print()
