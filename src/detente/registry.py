"""The model registry: every model by name, listed explicitly (no registration by import).

A :class:`ModelSpec` names a model's options (declared in :mod:`detente.options`), where its
kernel lives (imported only when the model runs), what kind of input it takes, and how the runner
may split its batch. Adding a model means adding one entry here; the common check suite
(``tests/test_model_checks.py``) then runs over it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Literal

from detente import options as opt
from detente.errors import InputError, problem


@dataclass(frozen=True)
class ModelSpec:
    """What the runner needs to know about a model.

    kind: 'negotiation' (takes a Batch of draws) or 'war' (takes WarInputs of runs).
    kernel: 'module:Class' of the kernel object, whose ``run(batch, options, streams)`` returns
        arrays with the batch axis first.
    block: items (draws or runs) per block; part of the random-stream layout, so it never depends
        on the number of workers.
    threads: whether blocks may share a process (numpy releases the GIL); GIL-bound kernels get
        parallelism only from process or dask workers.
    compile: 'module:function' compiling a scenario for a war model (scenario, hypothesis,
        levers, runs, streams, strength, horizon).
    repeats: the batch axis is draws x repetitions (option ``repetitions``): the runner repeats
        each draw's row, draw-major, so repetitions spread over blocks and workers too.
    """

    name: str
    summary: str
    kind: Literal["negotiation", "war"]
    options: type[opt.Options]
    kernel: str
    block: int = 1024
    threads: bool = True
    repeats: bool = False
    compile: str | None = None

    def compiler(self) -> Any:
        """The function that compiles a scenario into this war model's inputs."""
        module, _, attr = (self.compile or "").partition(":")
        return getattr(importlib.import_module(module), attr)

    def load(self) -> Any:
        module, _, attr = self.kernel.partition(":")
        return getattr(importlib.import_module(module), attr)()


MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in (
    ModelSpec("mean", "Compromise model: capability x salience weighted mean (Achen 2006)",
              "negotiation", opt.MeanOptions, "detente.models.baselines:MeanModel", 65536),
    ModelSpec("median", "Weighted median voter (Black; Scholz et al. 2011 eqs. 26-29)",
              "negotiation", opt.MedianOptions, "detente.models.baselines:MedianModel", 65536),
    ModelSpec("nash", "Weighted Nash bargaining solution, status quo as disagreement point",
              "negotiation", opt.NashOptions, "detente.models.baselines:NashModel", 8192),
    ModelSpec("ks", "Kalai-Smorodinsky bargaining solution, status quo as disagreement point",
              "negotiation", opt.KSOptions, "detente.models.baselines:KSModel", 8192),
    ModelSpec("eum", "Bueno de Mesquita expected-utility model (Scholz, Calbert & Smith 2011 "
              "reconstruction)", "negotiation", opt.EUMOptions, "detente.models.eum:EUMModel",
              1024),
    ModelSpec("smp", "KTAB spatial model of politics with probabilistic Condorcet elections "
              "(multi-dimensional)", "negotiation", opt.SMPOptions,
              "detente.models.smp:SMPModel", 64),
    ModelSpec("exchange", "Stokman's exchange model (Equal Gain; randomised with p > 0)",
              "negotiation", opt.ExchangeOptions, "detente.models.exchange:ExchangeModel", 2,
              threads=False, repeats=True),
    ModelSpec("war", "Bargaining while fighting (Smith & Stam, Powell, Fearon variants)", "war",
              opt.WarOptions, "detente.war.kernel:WarModel", 8192,
              compile="detente.compile:compile_war"),
    ModelSpec("coupled", "Talks while fighting: the war moves the talks, the talks end the war, "
              "strategic third parties (MODELS.md §7)", "war", opt.CoupledOptions,
              # threads=False: each week is a hundred short numpy steps, and the Python between
              # them holds the GIL; two threads on two cores took 16.2-16.6 s wall (21 s CPU)
              # for the flagship's 100,000 runs against 12.3-14.5 s one block after another
              # (`detente simulate scenarios/ukraine-2025.yaml --runs 100000 --json`, issue 14);
              # processes (--workers) still share the blocks out, with the same numbers
              "detente.war.coupled:CoupledModel", 5120, threads=False,
              compile="detente.compile.coupled:compile_coupled"),
)}


def get_spec(name: str) -> ModelSpec:
    if name not in MODELS:
        raise InputError([problem(f"unknown model (available: {', '.join(sorted(MODELS))})",
                                  ("model",), value=name)])
    return MODELS[name]


def get_model(name: str) -> Any:
    """The kernel object of a model (imported on first use)."""
    return get_spec(name).load()


def model_options(name: str, given: dict[str, Any] | None = None) -> opt.Options:
    """Validated options for model ``name`` (presets included) from strings or values."""
    return opt.parse_options(get_spec(name).options, given)


def negotiation_models() -> list[str]:
    return [n for n, s in MODELS.items() if s.kind == "negotiation"]


def negotiation_spec(name: str) -> ModelSpec:
    """:func:`get_spec` for a command that runs negotiation models only (``detente run``): a war
    model is refused with the command that runs it, before anything is run."""
    spec = get_spec(name)
    if spec.kind != "negotiation":
        raise InputError([problem(
            f"{name!r} is a war model, which `detente simulate` runs (with a hypothesis and "
            f"levers); `detente run` runs the negotiation models: "
            f"{', '.join(sorted(negotiation_models()))}", ("model",), value=name)])
    return spec
