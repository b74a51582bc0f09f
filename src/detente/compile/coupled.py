"""Scenario -> CoupledInputs: the arrays of the talks-while-fighting kernel (MODELS.md §7).

The war part (sides, front start, beliefs, breakdown, every lever's effect sizes) is compiled by
:func:`detente.compile.compile_war` with *every* lever, so a run's draws do not depend on which
levers a variant switches on; the issue positions come from :func:`compile_scenario` with the
same seed; the coupled sections (front, talks, economy, third parties, red lines, prospects,
aims) are sampled through :func:`sample_quantities` from a third, independent stream, always in
the same column order. Two variants with the same seed therefore share every draw (common
random numbers); only the switched-on levers differ.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any

import numpy as np

from detente.compile import (
    WarInputs,
    compile_scenario,
    compile_war,
    late_levers,
    sample_quantities,
)
from detente.errors import InputError, problem
from detente.scenario.schema import Scenario
from detente.scenario.talks import (
    AIMS_FIELDS,
    ECONOMY_FIELDS,
    TALKS_FIELDS,
    THIRD_PARTY_FIELDS,
    Aims,
    ContinuousFront,
    coupled_quantities,
)


@dataclass(frozen=True)
class CoupledInputs:
    """Everything the coupled kernel needs; B = runs, N = actors, D = issues, T = horizon weeks.

    war: the §5 war inputs (``params`` (B,) per dotted path; ``levers`` = every lever of the
        scenario, compiled with its effect sizes).
    selected (L,) bool: the lever is switched on in this variant; kind (L,) 'scheduled' |
        'prospect' | 'deadline'; the prospect's probability π(t) as steps (:meth:`prospect`):
        pi (B, L, S) the value from week pi_from[l, s] (L, S) on, weeks ascending (padding:
        weeks past the horizon); deadline: NaN (the kernel reads its credibility); scheduled: 1.
        (A (B, L, T) table of every week took 750 MB at 100,000 runs.)
    pressure (J, L) bool: lever l is a pressure lever of third party j (on after j retaliates).
    actors (N,), issues (D,), r, u: the belligerents' actor indices; parties (J,) the third
        parties' actor indices; veto (V,) the veto players' actor indices.
    ideal, salience, capability (B, N, D): positions at the scenario date (ideals), saliences on
        [0, 1], capabilities; low, high (D,); reference (B, D) (NaN: none).
    line_issue (D,) bool: freeze terms follow the front; partial (S, D) bool issue subsets.
    red_actor, red_issue (Lr,) int, red_above (Lr,) bool; red_bound, red_softening,
        red_threshold (B, Lr).
    front, talks, economy (dict of (B,) arrays by field); third (dict of (B, J) arrays by field);
    aims (dict of (B, 2) arrays by field, side order R, U; NaN where a side has no aims type).
    tempo (B, 12) by calendar month; month (T + lookahead,) the month index (0-11) of each week.
    fort_at, fort_width (F,), fort_factor (B, F).
    cadence (T,) bool: a regular talks week; meeting_week (M,), meeting_probability (B, M).
    """

    war: WarInputs
    selected: np.ndarray
    kind: tuple[str, ...]
    pi: np.ndarray
    pi_from: np.ndarray
    pressure: np.ndarray
    actors: tuple[str, ...]
    issues: tuple[str, ...]
    r: int
    u: int
    parties: np.ndarray
    veto: np.ndarray
    ideal: np.ndarray
    salience: np.ndarray
    capability: np.ndarray
    low: np.ndarray
    high: np.ndarray
    reference: np.ndarray
    line_issue: np.ndarray
    partial: np.ndarray
    partial_ids: tuple[str, ...]
    red_actor: np.ndarray
    red_issue: np.ndarray
    red_above: np.ndarray
    red_bound: np.ndarray
    red_softening: np.ndarray
    red_threshold: np.ndarray
    front: dict[str, np.ndarray]
    talks: dict[str, np.ndarray]
    economy: dict[str, np.ndarray]
    third: dict[str, np.ndarray]
    aims: dict[str, np.ndarray]
    tempo: np.ndarray
    month: np.ndarray
    fort_at: np.ndarray
    fort_width: np.ndarray
    fort_factor: np.ndarray
    cadence: np.ndarray
    meeting_week: np.ndarray
    meeting_probability: np.ndarray
    model: str
    model_options: Any
    lookahead: int
    anticipation: bool
    proposer: str

    @property
    def runs(self) -> int:
        return self.war.runs

    @property
    def horizon(self) -> int:
        return self.war.horizon

    def prospect(self, lever: int, week: int) -> np.ndarray:
        """π of lever ``lever`` in week ``week`` of every run, (B,): its latest step."""
        return self.pi[:, lever, np.searchsorted(self.pi_from[lever], week, side="right") - 1]

    @property
    def lever_ids(self) -> tuple[str, ...]:
        return tuple(lv.id for lv in self.war.levers)

    def take(self, rows: slice) -> CoupledInputs:
        """The runs ``rows`` of these inputs (the runner's blocks)."""
        def cut(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            return {k: v[rows] for k, v in d.items()}

        return replace(
            self, war=self.war.take(rows), pi=self.pi[rows], ideal=self.ideal[rows],
            salience=self.salience[rows], capability=self.capability[rows],
            reference=self.reference[rows], red_bound=self.red_bound[rows],
            red_softening=self.red_softening[rows], red_threshold=self.red_threshold[rows],
            front=cut(self.front), talks=cut(self.talks), economy=cut(self.economy),
            third=cut(self.third), aims=cut(self.aims), tempo=self.tempo[rows],
            fort_factor=self.fort_factor[rows], meeting_probability=self.meeting_probability[rows])


def talks_model_options(model: str, given: dict[str, Any], rounds: int) -> Any:
    """The talks model's options: the scenario's, with ``rounds`` turns per talks week.

    smp runs with ``enforce_limits`` off unless set (saliences are normalised per actor before
    each round, and exited third parties keep a tiny capability, so KTAB's limits hold anyway).
    """
    from detente.registry import get_spec, model_options

    fields = get_spec(model).options.model_fields
    given = dict(given)
    name = next((f for f in ("rounds", "max_turns") if f in fields), None)
    if name is not None:
        given.setdefault(name, rounds)
    elif rounds != 1:
        import warnings

        warnings.warn(f"talks.rounds = {rounds} changes nothing: model {model!r} is static "
                      "(it has no rounds)", stacklevel=2)
    if model == "smp":
        given.setdefault("enforce_limits", False)
    return model_options(model, given)


def compile_coupled(scenario: Scenario, hypothesis: str | None = None,
                    levers: tuple[str, ...] | list[str] = (), runs: int = 1000,
                    seed: Any = 0, strength: dict[str, float] | None = None,
                    horizon: int | None = None) -> CoupledInputs:
    """Draw ``runs`` runs of the coupled model under ``hypothesis`` with ``levers`` switched on
    (``seed``: an int or the runner's Streams; every draw from a named stream of it). The draws
    do not depend on ``levers``: inside :func:`detente.seeds.shared_draws` the variants of one
    hypothesis share one compiled set of arrays (read-only), only ``selected`` differing."""
    from detente.seeds import Streams, shared_value

    seed = seed if isinstance(seed, Streams) else Streams.from_seed(seed)
    war = scenario.war
    if war is None or war.talks is None:
        raise InputError([problem("the coupled model needs a `war.talks` section",
                                  ("war", "talks"))])
    key = (hypothesis, runs, seed, tuple(sorted((strength or {}).items())), horizon)
    base = shared_value("compile_coupled", scenario, key, lambda: _compile_coupled(
        scenario, hypothesis, runs, seed, strength, horizon), seal=_read_only)
    all_ids = tuple(lv.id for lv in scenario.levers)
    for lid in levers:
        if lid not in all_ids:
            raise InputError([problem(f"unknown lever (defined: {', '.join(all_ids) or 'none'})",
                                      ("lever",), value=lid)])
    if horizon is not None and (late := late_levers(scenario, levers, horizon)):
        raise InputError(late)
    return replace(base, selected=np.array([lid in levers for lid in all_ids], dtype=bool))


def _compile_coupled(scenario: Scenario, hypothesis: str | None, runs: int, seed: Any,
                     strength: dict[str, float] | None, horizon: int | None) -> CoupledInputs:
    """:func:`compile_coupled` with no lever switched on, the levers unchecked."""
    war = scenario.war
    assert war is not None and war.talks is not None
    all_ids = tuple(lv.id for lv in scenario.levers)
    inputs = compile_war(scenario, hypothesis, all_ids, runs, seed, strength)
    if horizon is not None:
        inputs = replace(inputs, horizon=horizon)
    t_max = inputs.horizon
    col = coupled_columns(scenario, hypothesis, runs, seed)
    batch = compile_scenario(scenario, draws=runs, seed=seed.sequence("sampling"))
    actors, issues = batch.actors, batch.issues
    talks = war.talks
    cont = war.front.continuous or ContinuousFront()
    parties = [actors.index(tp.actor) for tp in war.third_parties]
    veto = [actors.index(a) for a in (talks.veto or (war.R, war.U))]
    n_l = len(scenario.levers)
    pressure = np.zeros((len(parties), n_l), dtype=bool)
    for j, tp in enumerate(war.third_parties):
        for lid in tp.pressure:
            pressure[j, all_ids.index(lid)] = True
    lookahead = talks.lookahead
    return CoupledInputs(
        war=inputs,
        selected=np.zeros(len(all_ids), dtype=bool),
        **column_fields(scenario, col, runs, t_max),
        pressure=pressure,
        actors=actors,
        issues=issues,
        r=actors.index(war.R),
        u=actors.index(war.U),
        parties=np.array(parties, dtype=int),
        veto=np.array(veto, dtype=int),
        ideal=batch.position,
        salience=batch.salience,
        capability=batch.capability,
        low=batch.low,
        high=batch.high,
        reference=batch.reference,
        line_issue=np.array([i in cont.line_issues for i in issues], dtype=bool),
        partial=np.array([[i in pd.issues for i in issues] for pd in talks.partial],
                         dtype=bool).reshape(len(talks.partial), len(issues)),
        partial_ids=tuple(pd.id for pd in talks.partial),
        red_actor=np.array([actors.index(rl.actor) for rl in war.red_lines], dtype=int),
        red_issue=np.array([issues.index(rl.issue) for rl in war.red_lines], dtype=int),
        red_above=np.array([rl.vetoes == "above" for rl in war.red_lines], dtype=bool),
        month=_months(scenario.as_of, t_max + lookahead),
        fort_at=np.array([f.at for f in cont.fortified]),
        fort_width=np.array([f.width for f in cont.fortified]),
        cadence=np.array([talks.every is not None and t % talks.every == 0
                          for t in range(t_max)], dtype=bool),
        meeting_week=np.array([m.week for m in talks.meetings], dtype=int),
        model=talks.model,
        model_options=talks_model_options(talks.model,
                                          {**scenario.model_options.get(talks.model, {}),
                                           **talks.options}, talks.rounds),
        lookahead=lookahead,
        anticipation=talks.anticipation,
        proposer=talks.proposer,
    )


def coupled_columns(scenario: Scenario, hypothesis: str | None, runs: int, seed: Any
                    ) -> dict[str, np.ndarray]:
    """The coupled sections' numbers of ``runs`` runs by dotted path (the names of
    :func:`~detente.scenario.talks.coupled_quantities`), each (B,), drawn from the named stream
    ``coupled.parameters`` of ``seed`` (an int or Streams) in sorted-name column order."""
    from detente.seeds import Streams

    seed = seed if isinstance(seed, Streams) else Streams.from_seed(seed)
    hyp = next((h for h in scenario.hypotheses if h.id == hypothesis), None)
    quantities = coupled_quantities(scenario.war, scenario.levers)
    if hyp is not None:
        quantities.update({k: v for k, v in hyp.parameters.items() if k in quantities})
    names = sorted(quantities)
    values = sample_quantities([quantities[k] for k in names], runs,
                               seed.sequence("coupled.parameters"))
    return {k: values[:, j] for j, k in enumerate(names)}


def _read_only(inputs: CoupledInputs) -> None:
    """Every array reachable from ``inputs`` (its war inputs' parameters, terms and levers'
    sizes and credibilities too) read-only: variants sharing them cannot change one another's."""
    values: list[Any] = [inputs]
    while values:
        v = values.pop()
        if isinstance(v, np.ndarray):
            v.flags.writeable = False
        elif is_dataclass(v):
            values += [getattr(v, f.name) for f in fields(v)]
        elif isinstance(v, dict | tuple | list):
            values += v.values() if isinstance(v, dict) else v


def column_fields(scenario: Scenario, col: dict[str, np.ndarray], runs: int, t_max: int
                  ) -> dict[str, Any]:
    """The CoupledInputs fields built from the columns ``col`` (:func:`coupled_columns`):
    kind, pi, red_bound/softening/threshold, front, talks, economy, third, aims, tempo,
    fort_factor, meeting_probability."""
    war = scenario.war
    cont = war.front.continuous or ContinuousFront()  # type: ignore[union-attr]
    aims = war.aims or Aims()  # type: ignore[union-attr]
    kind, pi, pi_from = _prospects(scenario, col, runs, t_max)
    return dict(
        kind=kind,
        pi=pi,
        pi_from=pi_from,
        **_red_lines(war, col, runs),
        front={f: col[f"front.{f}"] for f in ("step", "noise", "band")},
        talks={f: col[f"talks.{f}"] for f in TALKS_FIELDS},
        economy={f: col[f"economy.{f}"] for f in ECONOMY_FIELDS},
        third={f: _columns([col[f"third_parties.{tp.actor}.{f}"]
                            for tp in war.third_parties], runs)  # type: ignore[union-attr]
               for f in THIRD_PARTY_FIELDS},
        aims={f: np.stack([col.get(f"aims.{s}.{f}", np.full(runs, np.nan)) for s in "RU"],
                          axis=1) for f in AIMS_FIELDS} if (aims.R or aims.U) else {},
        tempo=np.stack([col.get(f"front.tempo.{m}", np.ones(runs)) for m in range(1, 13)],
                       axis=1),
        fort_factor=_columns([col[f"front.fortified.{k}"] for k in range(len(cont.fortified))],
                             runs),
        meeting_probability=_columns([col[f"talks.meeting.{k}"] for k in
                                      range(len(war.talks.meetings))], runs),  # type: ignore[union-attr]
    )


def with_columns(inputs: CoupledInputs, scenario: Scenario, col: dict[str, np.ndarray]
                 ) -> CoupledInputs:
    """``inputs`` with its coupled-section arrays rebuilt from the columns ``col`` (B,) each
    (a sensitivity analysis writes its sampled values over the drawn ones)."""
    return replace(inputs, **column_fields(scenario, col, inputs.runs, inputs.horizon))


def _columns(arrays: list[np.ndarray], runs: int) -> np.ndarray:
    """(B,) arrays side by side, (B, K); (B, 0) when there are none."""
    return np.stack(arrays, axis=1) if arrays else np.zeros((runs, 0))


def _red_lines(war: Any, col: dict[str, np.ndarray], runs: int) -> dict[str, np.ndarray]:
    out = {}
    for f in ("bound", "softening", "threshold"):
        out[f"red_{f}"] = _columns([col[f"red_lines.{rl.actor}.{rl.issue}.{f}"]
                                    for rl in war.red_lines], runs)
    return out


def _prospects(scenario: Scenario, col: dict[str, np.ndarray], runs: int, t_max: int
               ) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Each lever's kind and its probability path π as steps: values (B, L, S) from the weeks
    (L, S) on (see CoupledInputs). A prospect starts at its probability and takes each schedule
    point's value from that week on, in week order (of points in one week the last listed);
    points at or past the horizon never apply."""
    kinds, steps = [], []
    for lv in scenario.levers:
        if lv.prospect is not None:
            kinds.append("prospect")
            points = sorted(enumerate(lv.prospect.schedule), key=lambda e: e[1].week)
            steps.append([(0, col[f"prospect.{lv.id}"])] + [
                (pt.week, col[f"prospect.{lv.id}.{k}"]) for k, pt in points if pt.week < t_max])
        else:
            kinds.append("deadline" if lv.deadline is not None else "scheduled")
            steps.append([(0, np.full(runs, np.nan if lv.deadline is not None else 1.0))])
    width = max((len(st) for st in steps), default=1)
    pi = np.ones((runs, len(steps), width))
    pi_from = np.full((len(steps), width), t_max)
    for li, st in enumerate(steps):
        for s, (week, values) in enumerate(st):
            pi[:, li, s], pi_from[li, s] = values, week
    return tuple(kinds), pi, pi_from


def _months(as_of: dt.date | None, weeks: int) -> np.ndarray:
    """Calendar month index (0 = January) of each week from ``as_of`` (none: from January 1)."""
    start = as_of or dt.date(2001, 1, 1)
    return np.array([(start + dt.timedelta(days=7 * t)).month - 1 for t in range(weeks)],
                    dtype=int)


__all__ = ["CoupledInputs", "column_fields", "compile_coupled", "coupled_columns",
           "talks_model_options", "with_columns"]
