"""What decides each verdict of the flagship: for every lever under every hypothesis of
`scenarios/ukraine-2025.yaml`, its paired effect on P(deal in force) at 13, 26, 52 and 104
weeks, and a tornado of the uncertain inputs that decide it, each with its evidence status.

    PYTHONPATH=src python docs/verdicts.py [--write] [--runs 2000] [--runs-per-sample 80]

Effects: every lever alone against the baseline over ``--runs`` runs that share their random
streams (common random numbers), mean and 95% interval of the per-run difference. Tornado:
every uncertain input of the coupled model (its declared distribution) and every non-zero point
value that rests on an assumption (over ±50% of its value, `detente sensitivity --widen 0.5`),
one at a time at its 5th and 95th percentiles, the others at their point values, each row over
``--runs-per-sample`` runs on the same streams; one design serves every lever (each lever's own
effect sizes are inputs of its tornado only). A verdict at week W is

* "robust" when no input, at either end of its range, gives an effect whose 95% interval (over
  that row's paired runs) lies wholly on the other side of zero from the verdict's (for an
  effect indistinguishable from zero: wholly on either side);
* "hangs on" the inputs that do, named with their evidence status.

The size of an effect may still change a lot over an input's range where its sign holds; the
last column lists the three inputs with the largest swing, whatever their sign.

A one-at-a-time screen: interactions between inputs are not explored (`detente sensitivity
--method sobol` does that for one outcome at a time). ``--write`` replaces the part of
docs/flagship.md between the VERDICTS markers.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from detente.analysis import sensitivity as S
from detente.analysis.compare import run_variant
from detente.analysis.coupled import lever_effects
from detente.analysis.outcomes import deal_in_force, parse_outcome
from detente.options import CoupledOptions
from detente.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "ukraine-2025.yaml"
DOC = ROOT / "docs" / "flagship.md"
BEGIN, END = "<!-- VERDICTS:BEGIN (docs/verdicts.py --write) -->", "<!-- VERDICTS:END -->"
WEEKS = (13, 26, 52, 104)
TORNADO_WEEKS = (52, 104)
WIDEN = 0.5


def effects(scenario, hypothesis: str, levers: list[str], runs: int, seed: int) -> dict:
    """Lever -> week -> (mean, lo, hi) of the paired effect on P(deal in force); and the
    baseline's P(deal) per week under "(baseline)"."""
    opts = CoupledOptions()
    base = run_variant(scenario, hypothesis, (), runs, seed, opts)
    out = {"(baseline)": {w: float(base.outcome.deal_in_force[:, w - 1].mean()) for w in WEEKS}}
    for lever in levers:
        alt = run_variant(scenario, hypothesis, (lever,), runs, seed, opts)
        d = lever_effects(alt, base, WEEKS)["delta_p_deal"]
        out[lever] = {w: (d[str(w)]["mean"], *d[str(w)]["ci95"]) for w in WEEKS}
    return out


def tornadoes(scenario, hypothesis: str, levers: list[str], m: int, seed: int) -> dict:
    """(lever, week) -> (base effect, bars) of the paired effect over one shared design."""
    problem = S.war_problem(scenario, parse_outcome(f"p_deal@{WEEKS[-1]}", scenario),
                            hypothesis, levers=levers, widen=WIDEN)
    inputs = problem.inputs
    x = S.tornado_design(inputs)
    deals = [{w: deal_in_force(S.simulate_variants(problem, x, m, seed, [v])[0], w)
              for w in TORNADO_WEEKS}  # one variant at a time: only P(deal) is kept
             for v in [(), *((lv,) for lv in levers)]]
    out = {}
    for k, lever in enumerate(levers):
        own = [j for j, inp in enumerate(inputs)
               if inp.target[0] not in ("effect", "credibility", "scale")
               or inp.target[1] == lever]
        for w in TORNADO_WEEKS:
            runs = (deals[k + 1][w] - deals[0][w]).reshape(x.shape[0], m)
            y = runs.mean(axis=1)
            half = 1.96 * runs.std(axis=1, ddof=1) / np.sqrt(m)
            bars = S.tornado_bars(inputs, x, y, runs, own)
            index = {inp.name: j for j, inp in enumerate(inputs)}
            for b in bars:  # the interval of the effect itself at each end of the range
                low, high = 1 + 2 * index[b["name"]], 2 + 2 * index[b["name"]]
                b["low_effect_ci"] = (y[low] - half[low], y[low] + half[low])
                b["high_effect_ci"] = (y[high] - half[high], y[high] + half[high])
            out[(lever, w)] = (float(y[0]), bars)
    return out, len(inputs)


def verdict(effect: tuple[float, float, float], bars: list[dict]) -> tuple[str, list[dict]]:
    """'robust' or 'hangs on', and the bars that flip the verdict (module docstring)."""
    mean, lo, hi = effect
    sign = 0 if lo <= 0 <= hi else int(np.sign(mean))

    def flips(ci: tuple[float, float]) -> bool:
        return (ci[0] > 0 and sign <= 0) or (ci[1] < 0 and sign >= 0)

    flipping = [b for b in bars if flips(b["low_effect_ci"]) or flips(b["high_effect_ci"])]
    return ("hangs on" if flipping else "robust"), flipping


def pct(v: float) -> str:
    return f"{100 * v:+.1f}"


def bar_text(b: dict) -> str:
    return (f"{b['name']} ({b['evidence']}) {b['at_p05']:.3g}→{pct(b['low'])}, "
            f"{b['at_p95']:.3g}→{pct(b['high'])}")


def table(scenario, args) -> tuple[str, dict]:
    levers = [lv.id for lv in scenario.levers]
    hyps = [h.id for h in scenario.hypotheses]
    lines = [
        "| hypothesis | lever | ΔP(deal) wk 13 | wk 26 | wk 52 (95% CI) | wk 104 (95% CI) | "
        "verdict wk 52 | verdict wk 104 | inputs that decide it (wk 104; evidence; "
        "p05→effect, p95→effect, points) |",
        "|---|---|---|---|---|---|---|---|---|"]
    summary: dict = {}
    n_inputs = 0
    for hyp in hyps:
        eff = effects(scenario, hyp, levers, args.runs, args.seed)
        torn, n_inputs = tornadoes(scenario, hyp, levers, args.runs_per_sample, args.seed)
        base = eff["(baseline)"]
        lines.append(f"| {hyp} | *baseline P(deal)* | {base[13]:.3f} | {base[26]:.3f} | "
                     f"{base[52]:.3f} | {base[104]:.3f} | | | |")
        for lever in levers:
            e = eff[lever]
            words, decide = [], ""
            for w in TORNADO_WEEKS:
                word, flipping = verdict(e[w], torn[(lever, w)][1])
                summary[(hyp, lever, w)] = (e[w], word, flipping, torn[(lever, w)][1])
                words.append(word if not flipping else "hangs on " + ", ".join(
                    f"{b['name']} ({b['evidence']})" for b in flipping[:3]))
            top = [b for b in torn[(lever, 104)][1] if b["swing"] >= 0.005][:3]
            decide = "; ".join(bar_text(b) for b in top) or "no input moves it by 0.5 points"
            lines.append(
                f"| {hyp} | {lever} | {pct(e[13][0])} | {pct(e[26][0])} | "
                f"{pct(e[52][0])} ({pct(e[52][1])}, {pct(e[52][2])}) | "
                f"{pct(e[104][0])} ({pct(e[104][1])}, {pct(e[104][2])}) | {words[0]} | "
                f"{words[1]} | {decide} |")
    head = (f"`PYTHONPATH=src python docs/verdicts.py --write --runs {args.runs} "
            f"--runs-per-sample {args.runs_per_sample}` (seed {args.seed}; effects in "
            f"percentage points over {args.runs:,} paired runs; tornado over {n_inputs} inputs, "
            f"{args.runs_per_sample} runs per row, assumed point values at ±{WIDEN:.0%}):")
    return head + "\n\n" + "\n".join(lines) + "\n", summary


def short_table(summary: dict, hyps: list[str], levers: list[str]) -> str:
    """The README's table: each lever's week-104 effect and verdict under each hypothesis."""
    lines = ["| lever | " + " | ".join(f"{h}: Δ wk 104 (95% CI), verdict" for h in hyps) + " |",
             "|---|" + "---|" * len(hyps)]
    for lever in levers:
        cells = []
        for h in hyps:
            (mean, lo, hi), _, flipping, bars = summary[(h, lever, 104)]
            if flipping:
                why = "hangs on " + ", ".join(f"{b['name']} ({b['evidence']})"
                                              for b in flipping[:2])
            else:
                top = [b for b in bars if b["swing"] >= 0.005][:1]
                why = "robust" + (f"; size: {top[0]['name']} ({top[0]['evidence']})"
                                  if top else "")
            cells.append(f"{pct(mean)} ({pct(lo)}, {pct(hi)}), {why}")
        lines.append(f"| {lever} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write(text: str) -> None:
    doc = DOC.read_text()
    if BEGIN not in doc:
        raise SystemExit(f"{DOC} has no {BEGIN} marker")
    start, end = doc.index(BEGIN) + len(BEGIN), doc.index(END)
    DOC.write_text(doc[:start] + "\n" + text + doc[end:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--runs-per-sample", type=int, default=80)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    t, cpu = time.perf_counter(), time.process_time()
    scenario = load_scenario(SCENARIO)
    text, summary = table(scenario, args)
    print(text)
    print(short_table(summary, [h.id for h in scenario.hypotheses],
                      [lv.id for lv in scenario.levers]))
    print(f"({time.perf_counter() - t:.0f} s wall, {time.process_time() - cpu:.0f} s CPU)")
    if args.write:
        write(text)


if __name__ == "__main__":
    main()
