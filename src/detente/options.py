"""Every model's options, declared once (MODELS.md; STYLE.md "declare parameter constraints once").

Each model's options are one frozen pydantic model: a field's type, bounds, allowed values
(``Literal``), default and description live in its declaration, with the paper or peer that chose
the default under ``source``. Everything else reads these declarations: validation of
``-O key=value`` strings, of ``model_options`` in scenario files (with their line numbers), of API
bodies; ``detente models``; the JSON Schema; the dashboard's controls. This module depends on no
kernel, so the scenario language can validate options without importing a model.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from detente.errors import InputError, Path, Problem, problem


def option(default: Any, description: str, *, source: str | None = None,
           requires: dict[str, list[Any]] | None = None, **bounds: Any) -> Any:
    """A declared option: default, description, bounds (ge/le/gt/lt), the default's source, and
    ``requires``: the values other options must have for this one to matter (a setting that
    changes nothing because of another value is warned about, never silently ignored)."""
    extra: dict[str, Any] = {}
    if source:
        extra["source"] = source
    if requires:
        extra["requires"] = requires
    return Field(default, description=description, json_schema_extra=extra or None, **bounds)


class Options(BaseModel):
    """Base of every model's options: unknown keys, wrong types and values out of bounds are
    errors; ``-O`` strings are coerced ("0.5" -> 0.5, "true" -> True)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, defer_build=True)

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def inert(self, given: Any) -> list[str]:
        """Warnings for options in ``given`` that change nothing because of another option."""
        out = []
        for name in given:
            field = type(self).model_fields.get(name)
            extra = field.json_schema_extra if field is not None else None
            needs = extra.get("requires", {}) if isinstance(extra, dict) else {}
            for other, values in needs.items():
                if getattr(self, other) not in values:
                    out.append(f"option {name!r} changes nothing unless {other} is "
                               f"{' or '.join(map(str, values))} (it is {getattr(self, other)})")
        return out


Weights = Literal["cs", "c", "s", "equal"]
WEIGHTS_DOC = ("voting weights: 'cs' capability x salience (the compromise model), 'c', 's', "
               "'equal'")


class MeanOptions(Options):
    weights: Weights = option("cs", WEIGHTS_DOC, source="Achen 2006 (compromise model)")


class MedianOptions(Options):
    weights: Weights = option("cs", WEIGHTS_DOC, source="Scholz et al. 2011 eqs. 26-29")
    tie: Literal["lower", "midpoint"] = option(
        "lower", "'lower' weighted median, or 'midpoint' of the two middle positions when the "
        "cumulative weight is exactly half", source="MODELS.md §1.2")


class NashOptions(Options):
    utility: Literal["linear", "quadratic"] = option(
        "linear", "utility -|o - x_i| ('linear') or -(o - x_i)^2 ('quadratic')",
        source="MODELS.md §1.3")
    weights: Weights = option("cs", WEIGHTS_DOC + "; 'equal' is the symmetric Nash solution",
                              source="MODELS.md §1.3")


class KSOptions(Options):
    utility: Literal["linear", "quadratic"] = option(
        "linear", "utility -|o - x_i| ('linear') or -(o - x_i)^2 ('quadratic')",
        source="MODELS.md §1.4")


EUM_PRESETS: dict[str, dict[str, Any]] = {
    "scholz-code": {},
    "paper": {"probability": "paper", "perspective": "own", "offer_selection": "least_move"},
    "schelling": {"range": "current", "probability": "paper", "perspective": "own",
                  "conflict_rule": "no_move", "offer_selection": "most_enforceable",
                  "stop": "median_stable", "rounds": 100},
    "masad2014": {"probability": "signed_clip", "offer_selection": "highest_eu",
                  "update": "sequential"},
}


class EUMOptions(Options):
    """Options of the expected-utility model; each row of MODELS.md §2.9 is one field. The
    defaults form the ``scholz-code`` preset (Velev 2014's recovery of Scholz's own code, the
    only configuration known to reproduce Table 2); a preset fills the options not given."""

    preset: Literal["scholz-code", "paper", "schelling", "masad2014"] = option(
        "scholz-code", "a named set of the options below; explicitly given options override it",
        source="MODELS.md §2.9")
    q: float = option(1.0, "probability the status quo persists if nobody challenges",
                      source="Scholz et al. 2011 (BDM 1994)", ge=0.0, le=1.0)
    probability: Literal["all_pairs_risk", "paper", "signed_clip"] = option(
        "all_pairs_risk", "win probability: Scholz's code (A7/A8), eqs. 30/31, or signed clip",
        source="Velev 2014 replication")
    perspective: Literal["evaluator", "own"] = option(
        "evaluator", "whose risk exponent prices both sides of a dyad (A9)", source="Velev 2014")
    security: Literal["adversary", "row"] = option(
        "adversary", "security from the column sum (§5 prose) or the row (Appendix) (A2)",
        source="Scholz et al. 2011 §5")
    conflict_rule: Literal["loser_moves", "no_move"] = option(
        "loser_moves", "in a confrontation the weaker side moves, or nobody (A6)",
        source="Scholz et al. 2011")
    offer_selection: Literal["scholz_code", "least_move", "highest_eu", "most_enforceable"] = (
        option("scholz_code", "which of several offers an actor accepts (A5)",
               source="Velev 2014"))
    capitulation: Literal["paper", "velev_bug"] = option(
        "paper", "'paper': |a| > b fires; 'velev_bug': never fires (A4)", source="MODELS.md §2.9")
    update: Literal["simultaneous", "sequential"] = option(
        "simultaneous", "positions update together or one actor at a time (A13)",
        source="Scholz et al. 2011")
    range: Literal["initial", "current", "scale"] = option(
        "initial", "distance normaliser R from the initial or current positions, or the scale",
        source="Scholz et al. 2011 §2.2")
    risk: Literal["on", "off"] = option("on", "risk exponents (eqs. 32-34) or r = 1",
                                        source="BDM 1985")
    stop: Literal["rounds", "median_stable"] = option(
        "rounds", "a fixed number of rounds, or stop when the median is stable (A14)",
        source="MODELS.md §2.9")
    rounds: int = option(10, "rounds (the cap under median_stable)", source="Scholz et al. 2011",
                         ge=1, le=10_000)
    stable_eps: float = option(0.5, "median moves less than this to count as stable",
                               source="schelling", requires={"stop": ["median_stable"]},
                               ge=0.0)
    stable_k: int = option(2, "consecutive stable rounds that stop the run", source="schelling",
                           requires={"stop": ["median_stable"]}, ge=1, le=1000)
    engine: Literal["auto", "numpy", "compiled"] = option(
        "auto", "'compiled' loops (numba; every option, equal to numpy to round-off), the "
        "'numpy' kernel, or 'auto' (compiled when prebuilt by detente.warm, else with numba "
        "for 64 or more problems, else numpy)", source="detente")

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("preset") in EUM_PRESETS:
            return {**EUM_PRESETS[data["preset"]], **data}
        return data


class SMPOptions(Options):
    """KTAB's nine parameters (names and values as in its XML schema) and run controls; defaults
    are those KTAB writes for a CSV run (MODELS.md §3.11)."""

    VictoryProbModel: Literal["Linear", "Square", "Quartic", "Octic", "Binary"] = option(
        "Linear", "coalition strength to victory probability", source="KTAB CSV default")
    PCEModel: Literal["Conditional", "MarkovIncentive", "MarkovUniform"] = option(
        "Conditional", "probabilistic Condorcet election", source="KTAB CSV default")
    StateTransitions: Literal["Deterministic", "Stochastic"] = option(
        "Deterministic", "how a queue's winning bargain is picked", source="KTAB CSV default")
    VotingRule: Literal["Binary", "PropBin", "Proportional", "PropCbc", "Cubic",
                        "ASymProsp"] = option("Proportional", "vote from utility differences",
                                              source="KTAB CSV default")
    BigRAdjust: Literal["Full", "TwoThirds", "Half", "OneThird", "No"] = option(
        "OneThird", "risk-attitude adjustment", source="KTAB CSV default")
    BigRRange: Literal["Min", "Mid", "Max"] = option("Mid", "risk-attitude range",
                                                     source="KTAB CSV default")
    ThirdPartyCommit: Literal["NoCommit", "SemiCommit", "FullCommit"] = option(
        "SemiCommit", "third parties' commitment in a challenge", source="KTAB CSV default")
    InterVecBrgn: Literal["S1P1", "S2P2", "S2PMax"] = option(
        "S2P2", "interpolation of vector bargains", source="KTAB CSV default")
    BargnModel: Literal["InitOnlyInterp", "InitRcvrInterp", "PWCompInterp"] = option(
        "InitOnlyInterp", "bargaining model", source="KTAB CSV default")
    max_turns: int = option(100, "KTAB's turn cap", source="KTAB", ge=1, le=10_000)
    stop_ratio: float = option(0.02, "stop when the fractional change of positions against the "
                               "first turn falls below this (from turn 2)", source="KTAB",
                               ge=0.0, le=1.0)
    rcvr_estimate: Literal["peer", "probability"] = option(
        "peer", "InitRcvrInterp: KTAB's behaviour or the corrected reading (§3.9)",
        source="MODELS.md §3.9", requires={"BargnModel": ["InitRcvrInterp"]})
    pwcomp_receiver_capability: Literal["peer", "receiver"] = option(
        "peer", "PWCompInterp: KTAB's behaviour or the corrected reading (§3.9)",
        source="MODELS.md §3.9", requires={"BargnModel": ["PWCompInterp"]})
    enforce_limits: bool = option(True, "refuse inputs outside KTAB's limits (3-250 actors, "
                                  "saliences summing to at most 1)", source="KTAB")
    markov_max_iterations: int = option(10_000, "cap on the Markov PCE iterations",
                                        source="detente (KTAB has none)",
                                        requires={"PCEModel": ["MarkovIncentive",
                                                               "MarkovUniform"]},
                                        ge=1, le=1_000_000)
    engine: Literal["auto", "numpy", "compiled"] = option(
        "auto", "'compiled' loops (numba, default configuration only), the 'numpy' kernel, or "
        "'auto' (the prebuilt compiled turns when they apply, else numba's for a single draw "
        "of more than 80 actors)",
        source="detente")


class ExchangeOptions(Options):
    """Options of Stokman's exchange model (MODELS.md §4). Ties are broken with the experiment's
    seed (one stream per draw and repetition), so ``--seed`` changes them."""

    rounds: int = option(10, "rounds (decide's iterations)", source="decide", ge=1, le=1000)
    p: float = option(0.0, "randomisation of gains; 0 is Equal Gain",
                      source="Dijkstra et al. 2018", ge=0.0, le=1.0)
    repetitions: int = option(1, "independent runs per draw (ties are broken at random)",
                              source="decide", ge=1, le=100_000)
    duplicate_tie: Literal["peer", "fixed"] = option(
        "peer", "'peer' keeps decide's duplicate reference to a tie's runner-up", source="decide")
    engine: Literal["decimal", "auto", "compiled", "python"] = option(
        "decimal", "'decimal' reproduces decide's 28-digit arithmetic digit for digit; 'compiled'"
        " and 'python' work in binary floats (same rules, their own round-off); 'auto' is "
        "compiled when numba is installed", source="docs/exchange-parity.md")


class BattleOptions(Options):
    """The battle generator's options, shared by the war and the coupled kernels (§5.4)."""

    battle: Literal["csf", "bernoulli"] = option(
        "csf", "contest-success function on forces x effectiveness, or fixed odds",
        source="MODELS.md §5.4")
    csf_exponent: float = option(1.0, "exponent m of the contest-success function",
                                 source="Tullock/Hirshleifer", requires={"battle": ["csf"]},
                                 ge=0.0, le=10.0)


class WarOptions(BattleOptions):
    """Options of the bargaining-while-fighting kernel (MODELS.md §5)."""

    variant: Literal["smith-stam", "powell", "fearon"] = option(
        "smith-stam", "non-common Beta priors on a random-walk front (Smith & Stam 2004); "
        "'powell': R's private tough/soft type screened by U's offers (Powell 2004); 'fearon': "
        "one-shot take-it-or-leave-it (Fearon 1995)", source="MODELS.md §5.13")
    proposer: Literal["mediator", "alternating", "R", "U"] = option(
        "mediator", "who proposes: the midpoint of the true range, or a side from its beliefs",
        source="MODELS.md §5.15")
    offer_rule: Literal["midpoint", "tioli"] = option(
        "midpoint", "midpoint of the perceived range, or take-it-or-leave-it",
        source="MODELS.md §5.3")
    powell_uncertainty: Literal["cost", "power"] = option(
        "cost", "powell: R's private type is in its costs or in its power", source="Powell 2004",
        requires={"variant": ["powell"]})
    type_spread: float = option(0.5, "powell: tough/soft types scale costs by (1 -/+ spread)",
                                source="detente", requires={"variant": ["powell"]},
                                ge=0.0, le=0.99)
    tough_prior: float = option(0.5, "powell: prior that R is the tough type", source="detente",
                                requires={"variant": ["powell"]}, ge=0.0, le=1.0)


class CoupledOptions(BattleOptions):
    """Options of the coupled talks-while-fighting kernel (MODELS.md §7; docs/coupled-model.md).
    The talks themselves (model, cadence, proposer, anticipation) are the scenario's."""

    front: Literal["continuous", "lattice"] = option(
        "continuous", "the continuous front of §7.6, or the §5 random walk on front.steps steps "
        "(the reductions of §7.9.1)", source="MODELS.md §7.6")
    anticipation: Literal["scenario", "on", "off"] = option(
        "scenario", "belligerents integrate over third parties' future engagement: as the "
        "scenario's talks.anticipation says, or forced on or off", source="MODELS.md §7.5")
    grid: int = option(4, "quadrature points for the expected remaining weeks", source="detente",
                       ge=2, le=64)
    intensity_every: int = option(4, "weeks between R's choices of offensive intensity and "
                                  "mobilisation (4 = monthly)", source="MODELS.md §7.6",
                                  ge=1, le=52)


def allowed_text(decl: dict[str, Any]) -> str:
    """What an option allows, in words: its choices or its range."""
    if "choices" in decl:
        return "must be one of " + ", ".join(map(str, decl["choices"]))
    lo = decl.get("minimum", decl.get("exclusiveMinimum"))
    hi = decl.get("maximum", decl.get("exclusiveMaximum"))
    kind = {"integer": "an integer", "number": "a finite number", "boolean": "true or false"}
    what = kind.get(decl["type"], decl["type"])
    if lo is None and hi is None:
        return f"must be {what}"
    left = "(" if "exclusiveMinimum" in decl else "["
    right = ")" if "exclusiveMaximum" in decl else "]"
    return (f"must lie in {left}{'-inf' if lo is None else f'{lo:g}'}, "
            f"{'inf' if hi is None else f'{hi:g}'}{right} ({what})")


def problems_of(err: ValidationError, cls: type[Options], prefix: Path) -> list[Problem]:
    """pydantic's errors on an options model as located problems under ``prefix``, each
    saying what the declaration allows."""
    decls = {d["name"]: d for d in describe(cls)}
    out = []
    for e in err.errors():
        loc = (*prefix, *e["loc"])
        name = str(e["loc"][0]) if e["loc"] else ""
        if e["type"] == "extra_forbidden":
            out.append(problem(f"unknown option for this model (allowed: "
                               f"{', '.join(cls.model_fields)})", loc, value=name))
        elif name in decls:
            what = "preset" if name == "preset" else "option"
            prefix_word = "unknown preset: " if name == "preset" else ""
            out.append(problem(f"{prefix_word}{what} {name!r} {allowed_text(decls[name])}", loc,
                               value=e.get("input")))
        else:
            out.append(problem(e["msg"].removeprefix("Value error, "), loc,
                               value=e.get("input")))
    return out


def parse_options(cls: type[Options], given: dict[str, Any] | None,
                  prefix: Path = ("options",)) -> Options:
    """Validate ``given`` (strings allowed) into ``cls``; every bad key in one InputError."""
    try:
        return cls.model_validate(dict(given or {}))
    except ValidationError as err:
        raise InputError(problems_of(err, cls, prefix)) from None


def describe(cls: type[Options]) -> list[dict[str, Any]]:
    """Each option's declaration as plain data: name, type, default, allowed values, bounds,
    description and source (for ``detente models``, docs and dashboard controls)."""
    schema = cls.model_json_schema()
    out = []
    for name, prop in schema["properties"].items():
        entry = {"name": name, "type": prop.get("type", "string"), "default": prop.get("default"),
                 "description": prop.get("description"), "source": prop.get("source")}
        if "enum" in prop:
            entry["choices"] = prop["enum"]
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            if key in prop:
                entry[key] = prop[key]
        out.append(entry)
    return out

