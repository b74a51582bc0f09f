"""What keeps start-up short and visible: `detente --help` loads neither rich nor the scientific
stack, a §5 war run does not import the coupled model (nor scipy), and long steps report
progress on stderr outside a terminal."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from detente.views.progress import Steps

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "80"}


def load_mod():  # type: ignore[no-untyped-def]
    from detente.scenario import yaml_reader as load

    return load


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


# -- issue 14: what a small command loads, and the fast paths pinned to the reference paths ------

RUN_BDM = ["run", "scenarios/bdm1994-emissions.yaml", "-m", "eum", "--json"]


def _command(argv: list[str]) -> str:
    return (f"from detente.cli import dispatching\nargv = {argv!r}\n"
            "try:\n    dispatching(argv)(argv, prog_name='detente')\nexcept SystemExit:\n    pass")


def test_a_negotiation_run_loads_no_pool_psutil_csv_reader_scipy_or_rich():
    from detente.models import eum_fast

    mods = loaded_after(_command(RUN_BDM))
    assert {"detente.models.eum", "detente.runtime", "yaml"} <= mods
    heavy = {"psutil", "multiprocessing", "concurrent", "rich", "pandas"}
    if eum_fast.PREBUILT is not None:  # without the prebuilt round numba's loops serve (and
        heavy |= {"numba", "scipy"}    # numba imports scipy)
    assert not {m for m in mods if m.split(".")[0] in heavy}, sorted(mods & heavy)
    assert not {"detente.scenario.grid", "detente.scenario.importers"} & mods


def test_validate_loads_neither_numpy_nor_the_models():
    mods = loaded_after(_command(["validate", "scenarios/ukraine-2025.yaml"]))
    assert "detente.scenario.schema" in mods
    assert not {m for m in mods if m.split(".")[0] in ("numpy", "scipy", "numba")}
    assert not {m for m in mods if m.startswith(("detente.models", "detente.runtime"))}


def test_import_detente_loads_nothing_heavy():
    mods = loaded_after("import detente")
    assert not {m for m in mods if m.split(".")[0] in
                ("numpy", "pydantic", "typer", "yaml", "rich", "importlib_metadata")}
    assert "importlib.metadata" not in mods  # the version is read on first use only


def test_a_csv_file_still_reaches_its_reader_without_pyyaml():
    mods = loaded_after(_command(["validate", "tests/fixtures/decide/cop21.csv"]))
    assert "detente.scenario.importers" in mods
    assert not {m for m in mods if m.split(".")[0] == "yaml"}
    assert "detente.scenario.yaml_reader" not in mods


@pytest.mark.parametrize("argv", [
    ["run", "--help"], ["run"], ["run", "nowhere.yaml"], ["run", *RUN_BDM[1:3], "-m", "nope"],
    ["run", *RUN_BDM[1:], "--draws", "0"], ["validate", "tests/fixtures/minimal.yaml"],
    ["validate", "tests/fixtures/minimal.yaml", "--bogus"], ["models", "--json"],
    ["--help"], ["ledger", "--help"], ["rnu"], [],
    ["run", "--version"], ["validate", "-h"], ["models", "--json", "extra"], ["--version"],
    ["--bogus", "models"], ["models", "--show-completion"],
])
def test_dispatching_one_command_says_what_the_whole_app_says(argv):
    """`detente COMMAND` builds only that command: same output, errors and exit status."""
    from typer.testing import CliRunner

    from detente.cli import app, dispatching

    runner = CliRunner()
    whole, only = (runner.invoke(a, argv, prog_name="detente") for a in (app, dispatching(argv)))
    assert (only.exit_code, only.output) == (whole.exit_code, whole.output)
    assert len(dispatching(argv).registered_commands) == (1 if argv and argv[0] in
                                                          ("run", "validate", "models") else
                                                          len(app.registered_commands))


YAML_FILES = sorted({*ROOT.glob("scenarios/**/*.yaml"), *ROOT.glob("tests/fixtures/**/*.yaml"),
                     *ROOT.glob("examples/**/*.yaml"), *ROOT.glob("forecasts/**/*.yaml")})


@pytest.mark.skipif(len(load_mod().LOADERS) < 2, reason="PyYAML without libyaml")
@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_libyaml_reader_gives_the_reference_loaders_values_and_lines(path):
    """Values and line numbers alike on every YAML file of the repository (the hostile fixtures
    included: there both refuse it, and the reference loader words the error)."""
    import yaml

    load = load_mod()
    text = path.read_text()

    def outcome(cls: type) -> object:
        try:
            return load._compose_construct(text, str(path), cls)
        except (yaml.YAMLError, RecursionError) as err:
            return type(err).__name__
        except Exception as err:  # duplicate keys: an InputError naming them and their lines
            return err.records() if hasattr(err, "records") else repr(err)

    fast, reference = (outcome(cls) for cls in load.LOADERS)
    assert fast == reference


BAD_YAML = [
    "name: [unclosed\nissues: 3\n",
    "a: 1\n\tb: 2\n",
    "name: x\nname: y\n",
    "as_of: !!timestamp 2020-13-45\n",
    "name: &n [a, *n]\n",
    "name: " + "[" * 2000 + "]" * 2000 + "\n",
    "name: \x01\n",
    "a: *missing\n",
    "- a\nb: c\n",
    "key: 'unterminated\n",
    'name: "a\ud800"\n',  # a lone surrogate: libyaml cannot even take it (UTF-8 only)
]


@pytest.mark.parametrize("text", BAD_YAML, ids=range(len(BAD_YAML)))
def test_a_refused_document_reads_as_the_reference_loader_words_it(text, monkeypatch):
    from detente.errors import InputError

    load = load_mod()

    def message() -> list[dict]:
        with pytest.raises(InputError) as e:
            load.parse_yaml(text, "s.yaml")
        return e.value.records()

    both = message()
    monkeypatch.setattr(load, "LOADERS", load.LOADERS[-1:])
    assert both == message()


# -- issue 14: pydantic's plugin scan is skipped only when no distribution declares a plugin ------

PLUGIN = '''import sys


class Plugin:
    def new_schema_validator(self, schema, schema_type, path, kind, config, settings):
        print(f"plugin saw {path.name}", file=sys.stderr)
        return None, None, None


plugin = Plugin()
'''


def _distribution(root: Path, layout: str, entry_points: str | None) -> None:
    """A distribution's metadata folder as installers (dist-info), setuptools (egg-info) and
    eggs (EGG-INFO inside a .egg path entry) lay it out."""
    folder = {"dist-info": root / "fake-1.0.dist-info", "egg-info": root / "fake.egg-info",
              "egg": root / "fake-1.0-py3.11.egg" / "EGG-INFO"}[layout]
    folder.mkdir(parents=True)
    (folder / ("METADATA" if layout == "dist-info" else "PKG-INFO")).write_text(
        "Metadata-Version: 2.1\nName: fake\nVersion: 1.0\n")
    if entry_points is not None:
        (folder / "entry_points.txt").write_text(entry_points)


@pytest.mark.parametrize("layout", ["dist-info", "egg-info", "egg"])
@pytest.mark.parametrize("entry_points", [None, "[console_scripts]\nfake = fake:main\n",
                                          "[pydantic]\nfake = fake:plugin\n",
                                          "[console_scripts]\nx = y:z\n  [pydantic]  \nf = g:h\n"])
def test_the_plugin_check_never_misses_what_importlib_metadata_finds(tmp_path, layout,
                                                                     entry_points):
    from importlib.metadata import distributions

    from detente.cli.plugins import path_may_declare

    _distribution(tmp_path, layout, entry_points)
    path = [str(tmp_path / "fake-1.0-py3.11.egg") if layout == "egg" else str(tmp_path)]
    found = [ep for d in distributions(path=path) for ep in d.entry_points
             if ep.group == "pydantic"]
    assert path_may_declare(path) == bool(found) == ("[pydantic]" in (entry_points or ""))


def test_a_path_entry_the_check_cannot_read_leaves_pydantic_to_look(tmp_path):
    from detente.cli.plugins import path_may_declare

    (tmp_path / "bundle.zip").write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip archive
    assert path_may_declare([str(tmp_path / "bundle.zip")])
    assert not path_may_declare([str(tmp_path / "absent")])


def test_the_switch_is_set_only_when_unset_and_nothing_declares_a_plugin(tmp_path, monkeypatch):
    from detente.cli import plugins

    monkeypatch.setattr(plugins, "may_declare_plugins", lambda: False)
    monkeypatch.setenv(plugins.SWITCH, "some-plugin")  # the user's own choice stands
    assert not plugins.skip_empty_scan() and os.environ[plugins.SWITCH] == "some-plugin"
    monkeypatch.delenv(plugins.SWITCH)
    assert plugins.skip_empty_scan() and os.environ[plugins.SWITCH] == "1"
    monkeypatch.delenv(plugins.SWITCH)
    monkeypatch.setattr(plugins, "may_declare_plugins", lambda: True)
    assert not plugins.skip_empty_scan() and plugins.SWITCH not in os.environ


def test_an_installed_pydantic_plugin_still_sees_the_commands_models(tmp_path):
    _distribution(tmp_path, "dist-info", "[pydantic]\nfake = fakeplugin:plugin\n")
    (tmp_path / "fakeplugin.py").write_text(PLUGIN)
    env = {**ENV, "PYTHONPATH": os.pathsep.join([ENV["PYTHONPATH"], str(tmp_path)])}
    env.pop("PYDANTIC_DISABLE_PLUGINS", None)
    command = [sys.executable, "-c", "from detente.cli import main; main()", "validate",
               "tests/fixtures/minimal.yaml"]
    out = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "plugin saw Scenario" in out.stderr


# -- issue 14: warnings reach stderr as rich would print them, without importing rich -------------

WARNINGS = ["every run settles in week 0: both sides prefer the offer (V_R + V_U <= 1, §5.6)",
            "[bold]not markup[/] 漢字 × ≤  trailing  ", "x" * 300, "ratio 1:2 and 3:4",
            "an emoji code :rocket: here", "a\ttab", "a control \x1b[31m code", "line\nbreak"]


@pytest.mark.parametrize("text", WARNINGS, ids=range(len(WARNINGS)))
def test_a_warning_reads_as_rich_prints_it(text, capsys, monkeypatch):
    from detente import cli

    monkeypatch.setattr(cli, "err", cli._Console(stderr=True))  # rich not yet made
    cli.warn([text])
    plain = capsys.readouterr().err
    reference = io.StringIO()
    Console(file=reference, width=40).print(f"warning: {text}", highlight=False, markup=False,
                                            soft_wrap=True)
    assert plain == reference.getvalue()


def test_a_section5_simulate_warns_without_loading_rich():
    argv = ["simulate", "scenarios/ukraine-2025.yaml", "--runs", "200", "--json", "-O",
            "variant=powell"]
    mods = loaded_after(_command(argv))
    assert "warning:" in mods  # loaded_after reads stderr: the warnings are there
    assert not {m for m in mods if m.split(".")[0] == "rich"}


def test_a_runs_provenance_hash_is_the_scenarios_own():
    """The runner takes the hash the compiled batch carries (hashed once, not twice): it is the
    scenario's own, from a YAML file and from a peer's CSV alike."""
    from detente.runtime import negotiate
    from detente.scenario import load_scenario

    for path in ("scenarios/bdm1994-emissions.yaml", "tests/fixtures/decide/cop21.csv"):
        sc = load_scenario(ROOT / path)
        assert negotiate(sc, "mean").provenance["scenario_sha256"] == sc.sha256()
