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
# # Results: labelled arrays, files and provenance
#
# Every model returns one `Results` type: an xarray `Dataset` with named dimensions and
# coordinates (actor and issue ids), tidy pandas frames, and files that carry their
# provenance. Files here go to a temporary folder, never into the repository.

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import xarray as xr

from detente.runtime import Experiment, run
from detente.scenario import load_scenario

ROOT = Path.cwd() if (Path.cwd() / "scenarios").is_dir() else Path.cwd().parent
scenario = load_scenario(ROOT / "scenarios/bdm1994-emissions.yaml")
res = run(Experiment(scenario, "eum", {"preset": "scholz-code"}, rounds=8, draws=200, seed=7))
res.dataset

# %% [markdown]
# ## Select by label
#
# The median of the positions over the draws, per round, for three actors.

# %%
positions = res.dataset["positions"]
median_path = positions.median("draw").sel(issue=positions.issue[0])
median_path.sel(actor=median_path.actor[:3]).to_pandas()

# %%
band = res.dataset["forecast"].quantile([0.05, 0.5, 0.95], dim="draw").squeeze()
band.to_pandas()

# %%
res.to_frame("forecast")["value"].plot.hist(bins=25, figsize=(6, 3),
                                             title="eum forecast over 200 draws (years)")
plt.tight_layout()

# %% [markdown]
# ## Files and provenance
#
# `write` picks the format from the suffix (.parquet, .nc, .csv, .zarr). The Parquet file is
# the tidy frame; the netCDF file is the Dataset; both carry the provenance.

# %%
with tempfile.TemporaryDirectory() as tmp:
    parquet = res.write(Path(tmp) / "r.parquet")
    netcdf = res.write(Path(tmp) / "r.nc")
    frame = pd.read_parquet(parquet)
    with xr.open_dataset(netcdf, engine="scipy") as ds:
        attrs = dict(ds.attrs)
    print(len(frame), "rows;", sorted(frame.variable.unique()))
{k: res.provenance[k] for k in ("model", "seed", "draws", "scenario_sha256", "version")}

# %%
sorted(attrs)[:8]
