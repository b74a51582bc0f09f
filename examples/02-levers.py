# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Levers under two hypotheses: bargaining while fighting
#
# The border war of the tutorial "Bargaining while fighting"
# (`docs/site/examples/border-war.yaml`). We simulate the war with and without each lever,
# plot the chance that a deal is in force week by week, and compare levers with
# `detente.analysis.compare.compare` (common random numbers, paired 95% intervals).

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from detente.analysis.compare import compare, war_options
from detente.runtime import Experiment, run
from detente.scenario import load_scenario

ROOT = Path.cwd() if (Path.cwd() / "scenarios").is_dir() else Path.cwd().parent
scenario = load_scenario(ROOT / "docs/site/examples/border-war.yaml")
levers = [lv.id for lv in scenario.levers]
hypotheses = [h.id for h in scenario.hypotheses]
levers, hypotheses

# %% [markdown]
# ## The chance of a deal over time
#
# A war `Results` holds every run; `dataset["in_force"]` is (run, week).

# %%
RUNS = 2000
curves = {}
for variant in [(), *[(lv,) for lv in levers]]:
    res = run(Experiment(scenario, "war", hypothesis="confident-north", levers=variant,
                         draws=RUNS, seed=0))
    curves[variant[0] if variant else "baseline"] = res.dataset["in_force"].mean("run")
curve = pd.DataFrame({k: v.to_series() for k, v in curves.items()})
ax = curve.plot(figsize=(7, 3.5), title="confident-north: P(deal in force) by week")
ax.set_xlabel("week")
plt.tight_layout()

# %% [markdown]
# ## Every lever under every hypothesis
#
# `compare` returns plain data (the object `detente compare --json` prints). We turn the
# paired differences at week 26 into a DataFrame and draw them as a forest plot.

# %%
result = compare(scenario, hypotheses, levers, RUNS, 0, war_options())
rows = [{"hypothesis": h, "lever": lv, "delta": d["delta_p_agreement"]["26"]["mean"] * 100,
         "lo": d["delta_p_agreement"]["26"]["ci95"][0] * 100,
         "hi": d["delta_p_agreement"]["26"]["ci95"][1] * 100}
        for h, entry in result["hypotheses"].items() for lv, d in entry["levers"].items()]
effects = pd.DataFrame(rows)
effects

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
for k, (h, group) in enumerate(effects.groupby("hypothesis")):
    y = [i + 0.15 * (2 * k - 1) for i in range(len(group))]
    err = [group["delta"] - group["lo"], group["hi"] - group["delta"]]
    ax.errorbar(group["delta"], y, xerr=err, fmt="o", label=h, capsize=3)
ax.set_yticks(range(len(levers)), levers)
ax.axvline(0, color="grey", lw=0.8)
ax.set_xlabel("change in P(deal in force) at week 26, points (95% paired CI)")
ax.legend()
plt.tight_layout()
