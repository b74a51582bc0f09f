"""The notebooks in examples/ run from top to bottom as notebooks (jupytext -> nbclient), plot
inline, show DataFrames, and write nothing into the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "examples").glob("*.py"))


def repo_state() -> str | None:
    """Untracked and modified files (None outside a git checkout)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return None
    out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                         capture_output=True, text=True)
    return out.stdout if out.returncode == 0 else None


def outputs(nb, key: str) -> int:
    return sum(key in out.get("data", {}) for cell in nb.cells if cell.cell_type == "code"
               for out in cell.get("outputs", []))


def test_there_are_at_least_three_notebooks():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_plots_and_writes_nothing(path, monkeypatch):
    # the kernel inherits the environment: this checkout's sources first, no GUI backend
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    before = repo_state()
    nb = jupytext.read(path)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    assert outputs(nb, "image/png") >= 1, "no inline plot"
    assert outputs(nb, "text/html") >= 1, "no DataFrame shown"
    assert repo_state() == before, "the notebook wrote into the repository"
