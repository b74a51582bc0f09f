"""What keeps start-up short and visible: `detente --help` loads neither rich nor the scientific
stack, a §5 war run does not import the coupled model (nor scipy), and long steps report
progress on stderr outside a terminal."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from detente.views.progress import Steps

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "80"}


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sys.modules), file=sys.stderr)"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=ENV, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return set(out.stderr.split())


def test_help_loads_neither_rich_nor_numpy_nor_pydantic():
    mods = loaded_after("import detente.cli as c\ntry:\n    c.app(['--help'])\n"
                        "except SystemExit:\n    pass")
    assert {"typer", "detente.cli"} <= mods
    assert not {m for m in mods if m.split(".")[0] in ("rich", "numpy", "pydantic", "scipy")}


def test_a_section5_war_run_leaves_the_coupled_model_and_scipy_unloaded():
    mods = loaded_after("from detente.analysis.compare import simulate_summary, war_options\n"
                        "from detente.scenario import load_scenario\n"
                        "s = load_scenario('tests/fixtures/war-2025.yaml')\n"
                        "print(simulate_summary(s, None, (), 200, 0, war_options())['horizon'])")
    assert "detente.war.kernel" in mods
    assert "detente.war.coupled" not in mods and "scipy" not in mods


def test_steps_print_a_line_before_and_after_each_step_outside_a_terminal(capsys):
    out = io.StringIO()
    step = Steps(Console(file=out), 2)
    with step("first"):
        print("inside", file=out)
    with step("second"):
        pass
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "[1/2] first ..." and err[1].startswith("[1/2] first: done in ")
    assert err[2] == "[2/2] second ..." and err[3].startswith("[2/2] second: done in ")
    assert out.getvalue() == "inside\n"  # the command's own output stays clean


def test_the_consoles_made_on_first_use_drive_a_progress_bar():
    """`compare` without --json shows a rich Progress on the lazily made console (a bare proxy
    is no context manager: the fuzz suite found every such `compare` ending in a TypeError)."""
    from typer.testing import CliRunner

    from detente.cli import app

    result = CliRunner().invoke(app, ["compare", "tests/fixtures/war-2025.yaml", "--runs",
                                      "2000", "--levers", "oil-sanctions"])
    assert result.exception is None, repr(result.exception)
    assert result.exit_code == 0 and "oil-sanctions" in result.output
