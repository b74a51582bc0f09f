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
# # A first scenario: every negotiation model, as pandas DataFrames
#
# The dam talks of the tutorial "Write a scenario from nothing"
# (`docs/site/examples/nile-dam.yaml`): load the file, run the five negotiation models through
# the experiment runner, and look at the results as tidy pandas frames and plots.

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from detente.runtime import Experiment, run
from detente.scenario import load_scenario

ROOT = Path.cwd() if (Path.cwd() / "scenarios").is_dir() else Path.cwd().parent
scenario = load_scenario(ROOT / "docs/site/examples/nile-dam.yaml")
[(a.id, a.name) for a in scenario.actors], [i.id for i in scenario.issues]

# %% [markdown]
# ## One forecast per model
#
# `run(Experiment(...))` returns a `Results`; `to_frame("forecast")` is a tidy frame with one
# row per draw and issue. smp is run outside KTAB's salience budget on purpose (see the
# tutorial).

# %%
options = {"smp": {"enforce_limits": False}}
frames = []
for model in ("mean", "median", "nash", "eum", "smp"):
    res = run(Experiment(scenario, model, options.get(model, {}), seed=0))
    frames.append(res.to_frame("forecast").assign(model=model))
forecasts = pd.concat(frames).pivot(index="model", columns="issue", values="value")
forecasts

# %%
ax = forecasts.plot.bar(subplots=True, layout=(1, 3), figsize=(11, 3), legend=False, rot=0)
plt.tight_layout()

# %% [markdown]
# ## The expected-utility model, round by round
#
# `to_frame("positions")` has a row per round, actor and issue; the weighted median per round
# is the model's forecast path.

# %%
eum = run(Experiment(scenario, "eum", seed=0))
positions = eum.to_frame("positions")
positions.head()

# %%
filling = positions[positions.issue == "filling"].pivot(index="round", columns="actor",
                                                        values="value")
ax = filling.plot(marker="o", figsize=(7, 3.5), title="eum: positions on years to fill")
ax.set_ylabel("years")
plt.tight_layout()

# %% [markdown]
# ## Monte Carlo: the forecast's distribution
#
# With `draws=500` every uncertain number of the file is sampled (draw 0 is the point
# estimate); the forecast frame then has 500 rows per issue.

# %%
mc = run(Experiment(scenario, "mean", draws=500, seed=1)).to_frame("forecast")
summary = mc.groupby("issue")["value"].describe(percentiles=[0.05, 0.5, 0.95])
summary

# %%
mc[mc.issue == "filling"]["value"].plot.hist(bins=30, figsize=(6, 3),
                                              title="mean model: years to fill, 500 draws")
plt.tight_layout()
