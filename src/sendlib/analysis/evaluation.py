"""Did councils' paths change after they entered a programme? Event studies of Delivering Better
Value (DBV), the safety valve and the June 2022 research's own sampling frame, beside the
comparisons council teams use (statistical neighbours) and a matched comparison for selection
(numbers and frames only; the sentences are in sendlib.findings.after_2022).

Definitions (units are the panel's harmonised units; a year is a financial year, ``time`` =
``fy_start``):

- **Entry.** DBV: the invitation, 23 June 2022, so FY2022-23 is the first treated year for all
  55 (tranche dates are not published: the tranche is an ordering only). Safety valve: the
  financial year of the agreement (``signed``), staggered 2020-21 to 2023-24. The frame
  (notebook 07's ``frame_rule``): being called effective, published 23 June 2022, so FY2022-23.
- **Treated and comparison units.** A unit in both programmes counts for the one it entered
  first (``start`` date; e.g. Bracknell Forest, Bristol, Wiltshire for DBV, Bournemouth,
  Christchurch and Poole with Dorset for the safety valve) and is left out of the other's
  analysis. Comparison units are in no programme; for the frame, they are outside the frame
  and in no programme, and frame units in a programme are left out.
- **Outcomes.** High-needs spend (cash, real, per head aged 2-18; complete S251 spend only)
  and the SEN2 outcomes of sendlib.analysis.outcomes. Money and rates are analysed in logs
  (an effect of -0.05 in logs is reported as exp(-0.05) - 1 = 4.9% lower), shares in
  fractions (an effect is a difference in percentage points / 100). Each estimation uses the
  years in which the outcome is known for some unit, and the units known in all of them (a
  balanced panel).
- **Estimators** (diff-diff): ``callaway_santanna`` (Callaway and Sant'Anna 2021, outcome
  regression, universal base period = the year before entry) against ``never_treated`` or
  ``not_yet_treated`` units; ``sun_abraham`` (Sun and Abraham 2021, interaction-weighted)
  against never-treated units only. The overall estimate averages the post-entry effects
  (CS: weighted by cohort size over every post-entry cohort-year; SA: by cohort shares).
- **Inference.** Clustered by unit. With fewer than ``wild_below`` treated units the intervals
  of Callaway-Sant'Anna come from a wild (multiplier) cluster bootstrap with Webb's six-point
  weights (``n_boot`` draws, seeded), those of Sun-Abraham from the CR2 Bell-McCaffrey
  small-sample correction; otherwise from the analytic cluster-robust variance. The joint
  pre-trend test is a Wald test that every lead (event time <= -2) is zero, with the
  estimator's own covariance of the leads (chi-squared, degrees of freedom = number of leads).
- **Neighbours' comparison.** For each treated unit, its DfE statistical neighbours
  (``sn_model``) that are comparison units: the change in its average annual growth (log
  points; points for shares) from before entry to after entry, minus the same change for the
  neighbours' mean; the mean over treated units with a percentile-bootstrap interval.
- **Matched comparison** (selection, regression to the mean). Each treated unit is matched to
  its ``n_matches`` nearest comparison units (with replacement; Euclidean distance on
  standardised annual growth before entry, the log level (level for shares) in the year
  before entry and the cumulative DSG balance as % of DSG in the last year before entry that has
  one, 2019-20 to 2021-22); the effect is the mean difference in annual growth after entry,
  with a percentile-bootstrap interval over treated units.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sendlib.analysis.growth import bootstrap_mean_ci
from sendlib.analysis.measures import measure_values, require_panel_columns
from sendlib.errors import ParameterError, SendlibError
from sendlib.years import fy_label, fy_start

PROGRAMMES = ("dbv", "safety_valve", "frame")
PROGRAMME_LABELS = {"dbv": "Delivering Better Value", "safety_valve": "safety valve",
                    "frame": "the research's frame (called effective)"}
#: Programme -> its name in the programmes table (the frame comes from sendlib.analysis.selection).
PROGRAMME_ROWS = {"dbv": "delivering_better_value", "safety_valve": "safety_valve"}
ESTIMATORS = ("callaway_santanna", "sun_abraham")
ESTIMATOR_LABELS = {"callaway_santanna": "Callaway-Sant'Anna", "sun_abraham": "Sun-Abraham"}
COMPARISONS = ("not_yet_treated", "never_treated")
COMPARISON_LABELS = {"not_yet_treated": "councils not yet in the programme (and never in one)",
                     "never_treated": "councils in no programme"}
#: Estimators that can use not-yet-treated units as comparisons (Sun-Abraham's saturated
#: regression compares with never-treated units only).
NOT_YET_TREATED_ESTIMATORS = frozenset({"callaway_santanna"})
DBV_ENTRY_FY = "2022-23"  # invitation of 23 June 2022
FRAME_ENTRY_FY = "2022-23"  # the research was published on 23 June 2022
#: Spending outcomes: name -> (basis, denominator, label), from S251 high-needs spend (lines 1.2.x).
SPENDING_OUTCOMES = {
    "hn_spend": ("cash", "total", "high-needs spend, cash"),
    "hn_spend_real": ("real", "total", "high-needs spend, real terms"),
    "hn_spend_per_head_2_18": ("cash", "per_head_2_18", "high-needs spend per head aged 2-18, cash"),
}
#: Outcomes from SEN2 and population, defined in sendlib.analysis.outcomes.
SEN2_OUTCOMES = ("ehcp_per_10k", "new_plans_per_10k", "mainstream_share", "special_independent_share",
                 "timely_20wk_ex", "timely_20wk", "special_state_share", "ap_share")
EVALUATED_OUTCOMES = (*SPENDING_OUTCOMES, *SEN2_OUTCOMES)
#: Outcome kinds analysed in logs (the rest, shares, in fractions).
LOG_KINDS = frozenset({"money", "rate"})
TIMING_COLUMNS = ["unit", "programme", "entry_fy", "entry", "group", "start"]
GROUP_COLUMNS = ["unit", "first_treat", "role", "note"]
COEFFICIENT_COLUMNS = ["event_time", "estimate", "ci_low", "ci_high", "n_cohorts", "n_units", "reference"]
#: Event times observed for fewer treated units than this are neither tested nor drawn: one
#: council's year (e.g. the only 2023-24 safety-valve agreement six years before entry) would
#: dominate them. They still count in the overall estimate.
MIN_EVENT_UNITS = 5


# --- outcomes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeSpec:
    """An evaluated outcome: its name, words for people and kind ("money", "rate" or "share")."""

    name: str
    label: str
    kind: str

    @property
    def in_logs(self) -> bool:
        return self.kind in LOG_KINDS


def outcome_spec(name: str) -> OutcomeSpec:
    """The spec of one of EVALUATED_OUTCOMES (SEN2 ones from sendlib.analysis.outcomes), its label
    as it reads inside a sentence."""
    if name in SPENDING_OUTCOMES:
        return OutcomeSpec(name, SPENDING_OUTCOMES[name][2], "money")
    if name not in SEN2_OUTCOMES:
        raise ParameterError(f"unknown outcome {name!r}; choose from {', '.join(EVALUATED_OUTCOMES)}")
    from sendlib.analysis.outcomes import OUTCOMES

    outcome, label = OUTCOMES[name], OUTCOMES[name].label
    in_sentence = label[:1].lower() + label[1:] if label[1:2].islower() else label  # "Share of" -> "share of"
    return OutcomeSpec(name, in_sentence, outcome.kind)


def outcome_values(panel: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """unit, time (fy_start), fy and one column per outcome in ``names`` (NaN where unknown;
    spending only where the unit's S251 spend is complete)."""
    require_panel_columns(panel, ["unit", "fy"])
    frame = pd.DataFrame({"unit": panel["unit"].astype(str).to_numpy(), "fy": panel["fy"].astype(str).to_numpy()})
    sen2 = [name for name in names if name not in SPENDING_OUTCOMES]
    for name in names:
        if name in SPENDING_OUTCOMES:
            basis, denominator, _ = SPENDING_OUTCOMES[name]
            complete = panel["hn_spend_complete"].astype(bool).to_numpy()
            frame[name] = measure_values(panel, "hn_spend", basis, denominator).where(complete).to_numpy()
    if sen2:
        from sendlib.analysis.outcomes import outcome_frame

        found = outcome_frame(panel, sen2)
        found = found.assign(unit=found["unit"].astype(str), fy=found["fy"].astype(str))
        frame = frame.merge(found[["unit", "fy", *sen2]], on=["unit", "fy"], how="left")
    frame.insert(1, "time", frame["fy"].map(fy_start).astype("int64"))
    return frame[["unit", "time", "fy", *names]].sort_values(["unit", "time"]).reset_index(drop=True)


def analysis_scale(values: pd.Series, spec: OutcomeSpec) -> pd.Series:
    """Values on the scale effects are estimated on: logs for money and rates (non-positive ->
    missing), fractions for shares."""
    values = values.astype("float64")
    return np.log(values.where(values > 0)) if spec.in_logs else values


def effect_scale(values: pd.Series | np.ndarray | float, spec: OutcomeSpec) -> pd.Series | np.ndarray | float:
    """An effect on the analysis scale as people read it: a proportional difference
    (exp(b) - 1) for log outcomes, a difference in fractions for shares."""
    return np.expm1(values) if spec.in_logs else values


# --- who is treated, and when ----------------------------------------------------------------------


def fy_containing(day: pd.Timestamp) -> str:
    """The financial year (April-March) containing ``day``: 2022-06-23 -> "2022-23"."""
    day = pd.Timestamp(day)
    return fy_label(day.year if day.month >= 4 else day.year - 1)


def programme_timing(programme_rows: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """One row per unit and programme (dbv, safety_valve): TIMING_COLUMNS. ``entry_fy`` is the
    first treated year (DBV: the invitation's year; safety valve: the agreement's), ``group``
    the tranche or agreement year, ``start`` the date the unit joined (for which came first);
    a unit of several councils takes its earliest member."""
    units = lookup.set_index("la_code")["unit"]
    parts = []
    for programme, name in PROGRAMME_ROWS.items():
        rows = programme_rows[programme_rows["programme"] == name]
        entry_day = rows["invited"] if programme == "dbv" else rows["signed"]
        parts.append(pd.DataFrame({
            "unit": rows["la_code"].map(units).to_numpy(), "programme": programme,
            "entry_fy": [fy_containing(day) for day in entry_day], "group": rows["group"].astype(str).to_numpy(),
            "start": rows["start"].to_numpy(),
        }))
    timing = pd.concat(parts, ignore_index=True).dropna(subset=["unit"])
    timing["entry"] = timing["entry_fy"].map(fy_start).astype("int64")
    timing = timing.sort_values(["unit", "programme", "start", "entry"]).drop_duplicates(["unit", "programme"])
    return timing[TIMING_COLUMNS].reset_index(drop=True)


def frame_timing(frame_units: Collection[str]) -> pd.DataFrame:
    """The research's frame as a treatment: every frame unit enters in FRAME_ENTRY_FY."""
    units = sorted(set(frame_units))
    return pd.DataFrame({"unit": units, "programme": "frame", "entry_fy": FRAME_ENTRY_FY,
                         "entry": fy_start(FRAME_ENTRY_FY), "group": "frame",
                         "start": pd.Timestamp("2022-06-23")})[TIMING_COLUMNS]


def treatment_groups(timing: pd.DataFrame, programme: str, units: Collection[str]) -> pd.DataFrame:
    """Every unit of ``units`` for one programme: GROUP_COLUMNS, ``first_treat`` = entry
    (fy_start) of a treated unit, 0 for a comparison unit, -1 for a unit left out, ``role``
    "treated", "comparison" or "left out" and a ``note`` saying why a unit is left out.
    ``timing`` holds programme_timing rows (and frame_timing rows for the frame)."""
    if programme not in PROGRAMMES:
        raise ParameterError(f"unknown programme {programme!r}; choose from {', '.join(PROGRAMMES)}")
    in_programmes = timing[timing["programme"].isin(list(PROGRAMME_ROWS))]
    first = in_programmes.sort_values(["start", "entry"]).drop_duplicates("unit").set_index("unit")["programme"]
    own = timing[timing["programme"] == programme].set_index("unit")["entry"]
    rows = []
    for unit in sorted(set(units)):
        if programme == "frame":
            treated, other = unit in own.index and unit not in first.index, unit in first.index
            why = "in a programme"
        else:
            treated = unit in own.index and first.get(unit) == programme
            other = unit in first.index and not treated
            why = f"entered {PROGRAMME_LABELS.get(first.get(unit), '')} first"
        if treated:
            rows.append((unit, int(own[unit]), "treated", ""))
        elif other or unit in own.index:
            rows.append((unit, -1, "left out", why))
        else:
            rows.append((unit, 0, "comparison", ""))
    return pd.DataFrame(rows, columns=GROUP_COLUMNS).astype({"first_treat": "int64"})



def research_frame_units(panel: pd.DataFrame, programme_rows: pd.DataFrame, lookup: pd.DataFrame,
                         hn_benchmarking: pd.DataFrame, frame_rule: str) -> list[str]:
    """The units of notebook 07's sampling frame ``frame_rule`` (sendlib.analysis.selection)."""
    from sendlib.analysis import selection

    excluded = selection.units_signed_in(programme_rows, lookup, selection.SELECTION_FY)
    place_funding = selection.place_funding_by_unit(hn_benchmarking, lookup)
    frame = selection.sampling_frame(panel, frame_rule, excluded, place_funding)
    return selection.frame_summary(frame, frame_rule).units


def all_timing(programme_rows: pd.DataFrame, lookup: pd.DataFrame, frame_units: Collection[str]) -> pd.DataFrame:
    """programme_timing and frame_timing together (TIMING_COLUMNS)."""
    return pd.concat([programme_timing(programme_rows, lookup), frame_timing(frame_units)], ignore_index=True)


def group_summary(groups: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """programme, entry (first treated year, or the role of units without one), units: how many
    units each programme's analysis treats from each year, compares with and leaves out."""
    rows = []
    for programme, table in groups.items():
        treated = table[table["role"] == "treated"].groupby("first_treat").size()
        rows += [(programme, f"treated from {fy_label(int(entry))}", int(n)) for entry, n in treated.items()]
        rows += [(programme, role, int((table["role"] == role).sum())) for role in ("comparison", "left out")]
    return pd.DataFrame(rows, columns=["programme", "entry", "units"])


def entry_marks(timing: pd.DataFrame, programmes: Collection[str]) -> dict[str, str]:
    """Financial year -> label of every entry year of ``programmes`` ("2022-23": "entry: DBV, frame")."""
    short = {"dbv": "DBV", "safety_valve": "safety valve", "frame": "frame"}
    chosen = timing[timing["programme"].isin(list(programmes))]
    by_year = chosen.groupby("entry_fy")["programme"].agg(lambda p: ", ".join(short[x] for x in dict.fromkeys(p)))
    return {fy: f"entry: {names}" for fy, names in by_year.items()}


def unknown_members(programme_rows: pd.DataFrame, lookup: pd.DataFrame) -> dict[str, int]:
    """Councils published as programme members but not named in the programmes table: DBV's 55
    invited (23 June 2022) and the 38 safety-valve agreements (by March 2024)."""
    from sendlib.programmes import counts_as_at

    dbv = counts_as_at(programme_rows, lookup, "2022-06-23").set_index("item")
    valve = counts_as_at(programme_rows, lookup, "2024-03-31").set_index("item")
    return {"dbv": int(dbv.at["dbv", "shortfall"]), "safety_valve": int(valve.at["safety_valve", "shortfall"]),
            "dbv_published": int(dbv.at["dbv", "claimed"]),
            "safety_valve_published": int(valve.at["safety_valve", "claimed"])}

# --- the estimation sample --------------------------------------------------------------------------


def estimation_frame(values: pd.DataFrame, outcome: str, groups: pd.DataFrame) -> pd.DataFrame:
    """unit, time, first_treat, value (analysis scale) for the treated and comparison units,
    over the years in which some unit has the outcome, keeping only units known in all of them
    (a balanced panel)."""
    spec = outcome_spec(outcome)
    kept = groups[groups["first_treat"] >= 0][["unit", "first_treat"]]
    frame = values[["unit", "time", outcome]].merge(kept, on="unit", how="inner")
    frame["value"] = analysis_scale(frame[outcome], spec)
    known_years = sorted(frame.loc[frame["value"].notna(), "time"].unique())
    frame = frame[frame["time"].isin(known_years)]
    complete = frame.groupby("unit")["value"].apply(lambda v: v.notna().all() and len(v) == len(known_years))
    frame = frame[frame["unit"].isin(complete[complete].index)]
    return frame[["unit", "time", "first_treat", "value"]].sort_values(["unit", "time"]).reset_index(drop=True)


# --- the event study ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventStudy:
    """One event study: coefficients (COEFFICIENT_COLUMNS, analysis scale), the overall
    post-entry estimate with its interval, the joint pre-trend test and the sample."""

    estimator: str
    comparison: str
    coefficients: pd.DataFrame
    estimate: float
    ci_low: float
    ci_high: float
    pre_trend_stat: float
    pre_trend_df: int
    pre_trend_p: float
    n_treated: int
    n_control: int
    first_year: int
    last_year: int
    inference: str


def check_design(estimator: str, comparison: str) -> None:
    """A ParameterError for an unknown estimator or comparison, or a pair that does not exist."""
    if estimator not in ESTIMATORS:
        raise ParameterError(f"unknown estimator {estimator!r}; choose from {', '.join(ESTIMATORS)}")
    if comparison not in COMPARISONS:
        raise ParameterError(f"unknown comparison {comparison!r}; choose from {', '.join(COMPARISONS)}")
    if comparison == "not_yet_treated" and estimator not in NOT_YET_TREATED_ESTIMATORS:
        raise ParameterError(f"estimator {estimator!r} compares with never-treated units only; use comparison "
                             f"'never_treated', or estimator 'callaway_santanna' for 'not_yet_treated'")


def joint_wald_test(estimates: np.ndarray, covariance: np.ndarray) -> tuple[float, int, float]:
    """(statistic, degrees of freedom, p-value) of the Wald test that every estimate is zero
    (chi-squared; a singular covariance uses its pseudo-inverse and its rank); NaNs without estimates."""
    from scipy import stats  # half a second to import

    estimates = np.asarray(estimates, dtype="float64")
    if estimates.size == 0 or not np.isfinite(estimates).all() or not np.isfinite(covariance).all():
        return float("nan"), 0, float("nan")
    rank = int(np.linalg.matrix_rank(covariance))
    if rank == 0:
        return float("nan"), 0, float("nan")
    statistic = float(estimates @ np.linalg.pinv(covariance) @ estimates)
    return statistic, rank, float(stats.chi2.sf(statistic, rank))


def units_by_event_time(data: pd.DataFrame) -> pd.Series:
    """How many treated units are observed at each event time (year - first_treat)."""
    treated = data[data["first_treat"] > 0]
    return (treated["time"] - treated["first_treat"]).value_counts().rename("n_units")


def _pre_trend(coefficients: pd.DataFrame, covariance: np.ndarray | None, index: Sequence[int]
               ) -> tuple[float, int, float]:
    """The joint test of the leads (event time <= -2, observed for MIN_EVENT_UNITS treated units
    or more) from the estimator's covariance."""
    leads = coefficients[(coefficients["event_time"] <= -2) & ~coefficients["reference"]
                         & coefficients["estimate"].notna() & (coefficients["n_units"] >= MIN_EVENT_UNITS)]
    if covariance is None or leads.empty:
        return float("nan"), 0, float("nan")
    position = {int(e): i for i, e in enumerate(index)}
    leads = leads[leads["event_time"].astype(int).isin(list(position))]
    chosen = [position[int(e)] for e in leads["event_time"]]
    return joint_wald_test(leads["estimate"].to_numpy(), np.asarray(covariance)[np.ix_(chosen, chosen)])


def _scalar(value: object) -> float:
    return float(np.asarray(value, dtype="float64").ravel()[0])


def _callaway_santanna(data: pd.DataFrame, comparison: str, alpha: float, n_boot: int, seed: int):
    from diff_diff import CallawaySantAnna  # a second to import: only the estimation needs it

    model = CallawaySantAnna(control_group=comparison, estimation_method="reg", base_period="universal",
                             cluster="unit", alpha=alpha, n_bootstrap=n_boot, bootstrap_weights="webb", seed=seed,
                             cband=False)
    fitted = model.fit(data, outcome="value", unit="unit", time="time", first_treat="first_treat")
    overall, study = fitted.aggregate("simple"), fitted.aggregate("event_study")
    table = study.to_dataframe()
    coefficients = pd.DataFrame({
        "event_time": table["event_time"].astype("int64"), "estimate": table["att"].astype("float64"),
        "ci_low": table["conf_int_lower"].astype("float64"), "ci_high": table["conf_int_upper"].astype("float64"),
        "n_cohorts": table["n"].astype("float64"), "reference": table["is_reference"].astype(bool)})
    return (coefficients, (_scalar(overall.att), _scalar(overall.conf_int_lower), _scalar(overall.conf_int_upper)),
            study.vcov, list(study.vcov_index) if study.vcov_index is not None else [], fitted.n_control_units)


def _sun_abraham(data: pd.DataFrame, alpha: float, small_sample: bool):
    from diff_diff import SunAbraham  # a second to import: only the estimation needs it

    model = SunAbraham(control_group="never_treated", cluster="unit", alpha=alpha,
                       vcov_type="hc2_bm" if small_sample else "hc1")
    fitted = model.fit(data, outcome="value", unit="unit", time="time", first_treat="first_treat")
    table = fitted.to_dataframe()
    reference = pd.DataFrame({"relative_period": [-1], "effect": [0.0], "n_groups": [np.nan]})
    counts = {int(e): row.get("n_groups", np.nan) for e, row in fitted.event_study_effects.items()}
    table = pd.concat([table.assign(n_groups=table["relative_period"].map(counts)), reference], ignore_index=True)
    coefficients = pd.DataFrame({
        "event_time": table["relative_period"].astype("int64"), "estimate": table["effect"].astype("float64"),
        "ci_low": table["conf_int_lower"].astype("float64"), "ci_high": table["conf_int_upper"].astype("float64"),
        "n_cohorts": table["n_groups"].astype("float64"), "reference": table["relative_period"] == -1,
    }).sort_values("event_time").reset_index(drop=True)
    low, high = fitted.overall_conf_int
    index = list(fitted.event_study_vcov_index) if fitted.event_study_vcov_index is not None else []
    return (coefficients, (float(fitted.overall_att), float(low), float(high)), fitted.event_study_vcov, index,
            fitted.n_control_units)


def event_study(data: pd.DataFrame, estimator: str = "callaway_santanna", comparison: str = "not_yet_treated",
                level: float = 0.95, n_boot: int = 999, seed: int = 0, wild_below: int = 30) -> EventStudy:
    """The event study of ``data`` (estimation_frame: unit, time, first_treat, value) with one
    of ESTIMATORS against one of COMPARISONS; see the module docstring for the inference."""
    check_design(estimator, comparison)
    firsts = data.drop_duplicates("unit")["first_treat"]
    n_treated, n_never = int((firsts > 0).sum()), int((firsts == 0).sum())
    if n_treated == 0 or n_never + (comparison == "not_yet_treated") * (firsts.nunique() - 1) == 0:
        raise ValueError(f"no treated or no comparison units ({n_treated} treated, {n_never} never treated)")
    few = n_treated < wild_below
    alpha = 1 - level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # diff-diff warns about the reference cells' undefined bootstrap SEs
        if estimator == "callaway_santanna":
            coefficients, overall, covariance, index, n_control = _callaway_santanna(
                data, comparison, alpha, n_boot if few else 0, seed)
            inference = (f"wild cluster bootstrap by unit (Webb weights, {n_boot} draws)" if few
                         else "cluster-robust by unit (analytic)")
        else:
            coefficients, overall, covariance, index, n_control = _sun_abraham(data, alpha, few)
            inference = "cluster-robust by unit, CR2 Bell-McCaffrey" if few else "cluster-robust by unit (analytic)"
    coefficients["n_units"] = coefficients["event_time"].map(units_by_event_time(data)).fillna(0).astype("int64")
    statistic, df, p_value = _pre_trend(coefficients, covariance, index)
    return EventStudy(estimator, comparison, coefficients[COEFFICIENT_COLUMNS], *overall, statistic, df, p_value,
                      n_treated, int(n_control), int(data["time"].min()), int(data["time"].max()), inference)


# --- every programme and outcome -------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """The event study of one programme and outcome (None, with a note, when it cannot be estimated)."""

    programme: str
    outcome: str
    study: EventStudy | None
    note: str


def evaluate(values: pd.DataFrame, groups: Mapping[str, pd.DataFrame], outcomes: Sequence[str], estimator: str,
             comparison: str, level: float, n_boot: int, seed: int, wild_below: int) -> list[Evaluation]:
    """event_study for every programme (``groups``: programme -> treatment_groups) and outcome."""
    found = []
    for programme, programme_groups in groups.items():
        for outcome in outcomes:
            data = estimation_frame(values, outcome, programme_groups)
            try:
                study = event_study(data, estimator, comparison, level, n_boot, seed, wild_below)
            except ValueError as exc:
                found.append(Evaluation(programme, outcome, None, f"not estimable: {exc}"))
                continue
            found.append(Evaluation(programme, outcome, study, ""))
    return found


EFFECT_COLUMNS = ["programme", "outcome", "estimator", "comparison", "estimate", "ci_low", "ci_high", "pre_trend_p",
                  "pre_trend_df", "n_treated", "n_control", "first_fy", "last_fy", "scale", "inference", "note"]


def effect_table(evaluations: Sequence[Evaluation]) -> pd.DataFrame:
    """One row per evaluation (EFFECT_COLUMNS): the overall estimate and interval as people read
    them (effect_scale: a proportional difference, or a difference in fractions for shares)."""
    rows = []
    for item in evaluations:
        spec, study = outcome_spec(item.outcome), item.study
        scale = "proportional difference" if spec.in_logs else "difference in share"
        if study is None:
            rows.append({"programme": item.programme, "outcome": item.outcome, "scale": scale, "note": item.note})
            continue
        rows.append({
            "programme": item.programme, "outcome": item.outcome, "estimator": study.estimator,
            "comparison": study.comparison, "estimate": effect_scale(study.estimate, spec),
            "ci_low": effect_scale(study.ci_low, spec), "ci_high": effect_scale(study.ci_high, spec),
            "pre_trend_p": study.pre_trend_p, "pre_trend_df": study.pre_trend_df, "n_treated": study.n_treated,
            "n_control": study.n_control, "first_fy": fy_label(study.first_year), "last_fy": fy_label(study.last_year),
            "scale": scale, "inference": study.inference, "note": item.note})
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


COEFFICIENT_TABLE_COLUMNS = ["programme", "outcome", "label", "event_time", "estimate", "ci_low", "ci_high",
                             "n_units", "reference"]


def coefficient_table(evaluations: Sequence[Evaluation]) -> pd.DataFrame:
    """COEFFICIENT_TABLE_COLUMNS for every estimated evaluation, the data of the event-study
    figures: estimates and intervals in % (log outcomes, effect_scale x 100) or percentage points
    (shares), ``label`` the outcome in words; event times with fewer than MIN_EVENT_UNITS treated
    units are left out."""
    parts = []
    for item in evaluations:
        if item.study is None:
            continue
        spec, table = outcome_spec(item.outcome), item.study.coefficients
        table = table[table["reference"] | (table["n_units"] >= MIN_EVENT_UNITS)].copy()
        table.loc[table["reference"], ["ci_low", "ci_high"]] = 0.0  # the reference year is 0 by construction
        parts.append(pd.DataFrame({
            "programme": item.programme, "outcome": item.outcome, "label": spec.label,
            "event_time": table["event_time"],
            **{column: 100 * effect_scale(table[column], spec) for column in ("estimate", "ci_low", "ci_high")},
            "n_units": table["n_units"], "reference": table["reference"]}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COEFFICIENT_TABLE_COLUMNS)


# --- growth before and after entry -----------------------------------------------------------------


def wide_values(values: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """The outcome on the analysis scale, one row per unit, one column per year (time)."""
    scaled = values.assign(value=analysis_scale(values[outcome], outcome_spec(outcome)))
    return scaled.pivot(index="unit", columns="time", values="value").sort_index()


def annual_growth(wide: pd.DataFrame, start: int, end: int) -> pd.Series:
    """Average annual change of each unit from year ``start`` to ``end`` (log points for log
    outcomes, fractions for shares); NaN where either year is unknown or end <= start."""
    if end <= start or start not in wide.columns or end not in wide.columns:
        return pd.Series(np.nan, index=wide.index, dtype="float64")
    return (wide[end] - wide[start]) / (end - start)


def growth_around(wide: pd.DataFrame, entry: int) -> pd.DataFrame:
    """pre_growth (first known year to the year before entry) and post_growth (the year before
    entry to the last known year) for every unit, as annual_growth."""
    known = [year for year in wide.columns if wide[year].notna().any()]
    first, last = (min(known), max(known)) if known else (entry, entry)
    return pd.DataFrame({"pre_growth": annual_growth(wide, first, entry - 1),
                         "post_growth": annual_growth(wide, entry - 1, last)})


# --- the council teams' comparison: statistical neighbours in no programme --------------------------


def unit_la_code(lookup: pd.DataFrame, unit: str) -> list[str]:
    """The councils of a unit, the one with the unit's own code first, then current ones."""
    rows = lookup[lookup["unit"] == unit]
    order = rows.assign(own=rows["la_code"] != unit, ended=rows["end_date"].notna())
    order = order.sort_values(["own", "ended", "la_code"])
    return order["la_code"].tolist()


def comparison_neighbours(stat_neighbours: pd.DataFrame, lookup: pd.DataFrame, units: Collection[str],
                          model: str, comparison_units: Collection[str]) -> dict[str, list[str]]:
    """Each unit's statistical neighbours (``model``, as units) that are comparison units, from the
    first of its councils (unit_la_code's order) with a row in the model: a merged unit whose
    current councils are not in an older model takes its old council's row. A unit none of
    whose councils is in the model gets an empty list; a ``model`` the table does not have is a
    ParameterError."""
    from sendlib.neighbours import check_model, neighbour_units

    check_model(stat_neighbours, model)  # on the whole table: each council's own rows may lack the model
    allowed, found = set(comparison_units), {}
    in_model = stat_neighbours[stat_neighbours["model"] == model]
    by_council = dict(tuple(in_model.groupby("la_code")))  # each call then hashes only its own rows
    for unit in units:
        listed = [la_code for la_code in unit_la_code(lookup, unit) if la_code in by_council]
        rows = neighbour_units(by_council[listed[0]], lookup, listed[0], model) if listed else None
        found[unit] = [] if rows is None else [n for n in rows["unit"] if n in allowed]
    return found


def programme_neighbours(stat_neighbours: pd.DataFrame, lookup: pd.DataFrame, groups: Mapping[str, pd.DataFrame],
                         model: str) -> dict[str, dict[str, list[str]]]:
    """comparison_neighbours of every programme's treated units: programme -> unit -> neighbours."""
    return {programme: comparison_neighbours(stat_neighbours, lookup, table.loc[table["role"] == "treated", "unit"],
                                             model, table.loc[table["role"] == "comparison", "unit"])
            for programme, table in groups.items()}

NEIGHBOUR_COLUMNS = ["unit", "entry", "n_neighbours", "unit_change", "neighbours_change", "difference"]


@dataclass(frozen=True)
class Aggregate:
    """A mean over treated units with its percentile-bootstrap interval."""

    mean: float
    ci_low: float
    ci_high: float
    n_units: int


def aggregate(differences: pd.Series, n_boot: int, seed: int, level: float) -> Aggregate:
    """The mean of ``differences`` (missing dropped) and its bootstrap interval; NaNs when empty."""
    known = differences.dropna()
    if known.empty:
        return Aggregate(float("nan"), float("nan"), float("nan"), 0)
    return Aggregate(*bootstrap_mean_ci(known, n_boot, seed, level), len(known))


def neighbour_comparison(wide: pd.DataFrame, groups: pd.DataFrame, neighbours: Mapping[str, Sequence[str]]
                         ) -> pd.DataFrame:
    """NEIGHBOUR_COLUMNS for every treated unit: the change in its annual growth from before to
    after entry (``unit_change``), the same for the mean of its neighbours with data, and the difference."""
    rows, changes = [], {}
    for unit, entry in groups.loc[groups["role"] == "treated", ["unit", "first_treat"]].itertuples(index=False):
        if entry not in changes:
            growth = growth_around(wide, int(entry))
            changes[entry] = growth["post_growth"] - growth["pre_growth"]
        change = changes[entry]
        peers = change.reindex([n for n in neighbours.get(unit, []) if n in change.index]).dropna()
        own = change.get(unit, np.nan)
        rows.append((unit, int(entry), len(peers), own, peers.mean() if len(peers) else np.nan,
                     own - peers.mean() if len(peers) else np.nan))
    return pd.DataFrame(rows, columns=NEIGHBOUR_COLUMNS)


# --- selection: matching on the pre-entry path and balances ------------------------------------------


MATCH_COLUMNS = ["unit", "entry", "matches", "pre_growth", "matched_pre_growth", "post_growth", "matched_post_growth",
                 "difference"]
BALANCE_YEARS = (2019, 2020, 2021)  # cumulative DSG balances are published for FY2019-20 to 2021-22


def matching_features(wide: pd.DataFrame, balances: pd.DataFrame, entry: int) -> pd.DataFrame:
    """pre_growth, level (the year before entry) and balance (cumulative DSG balance, % of DSG,
    in the last year before entry that has one; left out when no such year) for every unit."""
    features = pd.DataFrame({"pre_growth": growth_around(wide, entry)["pre_growth"],
                             "level": wide[entry - 1] if entry - 1 in wide.columns else np.nan})
    years = [year for year in BALANCE_YEARS if year < entry and year in balances.columns]
    if years:
        features["balance"] = balances[max(years)].reindex(features.index)
    return features


def matched_comparison(wide: pd.DataFrame, groups: pd.DataFrame, balances: pd.DataFrame, n_matches: int
                       ) -> pd.DataFrame:
    """MATCH_COLUMNS for every treated unit with all features: its ``n_matches`` nearest
    comparison units (standardised Euclidean distance on matching_features, ties by unit code),
    their mean growth before and after entry, and the difference in growth after entry."""
    comparison = groups.loc[groups["role"] == "comparison", "unit"]
    treated = groups[groups["role"] == "treated"]
    rows = []
    for entry, cohort in treated.groupby("first_treat"):
        features = matching_features(wide, balances, int(entry)).dropna()
        pool = features.reindex([u for u in comparison if u in features.index])
        if pool.empty:
            continue
        z = (features - features.mean()) / features.std(ddof=0).replace(0, 1)
        post = growth_around(wide, int(entry))["post_growth"]
        for unit in cohort["unit"]:
            if unit not in z.index or pd.isna(post.get(unit)):
                continue
            distance = ((z.loc[pool.index] - z.loc[unit]) ** 2).sum(axis=1) ** 0.5
            nearest = distance[post.reindex(distance.index).notna()].sort_index().sort_values(kind="stable")
            chosen = list(nearest.index[:n_matches])
            rows.append((unit, int(entry), ";".join(chosen), features.at[unit, "pre_growth"],
                         features.loc[chosen, "pre_growth"].mean(), post[unit], post[chosen].mean(),
                         post[unit] - post[chosen].mean()))
    return pd.DataFrame(rows, columns=MATCH_COLUMNS)


UNMATCHED_COLUMNS = ["unit", "entry", "post_growth", "comparison_post_growth", "difference"]


def unmatched_comparison(wide: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """UNMATCHED_COLUMNS for every treated unit: its annual growth after entry against the mean of
    all comparison units' growth from the same year (what matching is set against)."""
    comparison = groups.loc[groups["role"] == "comparison", "unit"]
    rows = []
    for entry, cohort in groups[groups["role"] == "treated"].groupby("first_treat"):
        post = growth_around(wide, int(entry))["post_growth"]
        others = post.reindex(comparison).mean()
        rows += [(unit, int(entry), post.get(unit, np.nan), others, post.get(unit, np.nan) - others)
                 for unit in cohort["unit"]]
    return pd.DataFrame(rows, columns=UNMATCHED_COLUMNS)


COMPARISON_COLUMNS = ["programme", "outcome", "method", "estimate", "ci_low", "ci_high", "n_units", "scale",
                      "pre_trend_p"]
METHOD_LABELS = {"event_study": "event study", "neighbours": "statistical neighbours in no programme",
                 "matched": "matched on the pre-entry path and DSG balance", "unmatched": "all comparison councils"}


def comparison_table(effects: pd.DataFrame, values: pd.DataFrame, groups: Mapping[str, pd.DataFrame],
                     neighbours: Mapping[str, Mapping[str, Sequence[str]]], balances: pd.DataFrame, n_matches: int,
                     n_boot: int, seed: int, level: float) -> pd.DataFrame:
    """COMPARISON_COLUMNS: for every row of an effect_table, its event-study estimate beside the
    neighbours' comparison, the matched comparison and the unmatched one (mean differences in
    annual growth, with bootstrap intervals); ``scale`` says what each estimate measures."""
    rows = []
    for effect in effects.itertuples(index=False):
        wide, programme_groups = wide_values(values, effect.outcome), groups[effect.programme]
        rows.append((effect.programme, effect.outcome, "event_study", effect.estimate, effect.ci_low, effect.ci_high,
                     effect.n_treated, effect.scale, effect.pre_trend_p))
        growth_scale = f"annual growth, {'log points' if outcome_spec(effect.outcome).in_logs else 'share'}"
        tables = {"neighbours": neighbour_comparison(wide, programme_groups, neighbours[effect.programme]),
                  "matched": matched_comparison(wide, programme_groups, balances, n_matches),
                  "unmatched": unmatched_comparison(wide, programme_groups)}
        for method, table in tables.items():
            summary = aggregate(table["difference"], n_boot, seed, level)
            rows.append((effect.programme, effect.outcome, method, summary.mean, summary.ci_low, summary.ci_high,
                         summary.n_units, growth_scale, np.nan))
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def balance_wide(panel: pd.DataFrame) -> pd.DataFrame:
    """Cumulative DSG balance as % of DSG (positive = deficit), one row per unit, one column per year."""
    frame = panel.assign(time=panel["fy"].map(fy_start), unit=panel["unit"].astype(str))
    return frame.pivot(index="unit", columns="time", values="dsg_balance_pct").sort_index()


# --- the guidance's levers: mainstream share and spending growth -----------------------------------


LEVER_COLUMNS = ["analysis", "term", "estimate", "ci_low", "ci_high", "p_value", "n", "first_fy", "last_fy"]
LEVER_TERMS = {"share_start": "mainstream share at the start (per percentage point)",
               "share_change": "change in mainstream share (per percentage point a year)"}


def lever_frame(values: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """unit, time, log_spend, share, log_ehcp, imd_score, la_type: high-needs spend (cash, complete
    only), the mainstream share, EHC plans in force, deprivation (IMD score) and LA type."""
    extra = panel.assign(unit=panel["unit"].astype(str), time=panel["fy"].map(fy_start))
    extra = extra[["unit", "time", "ehcp_count", "imd_score", "la_type"]]
    frame = values[["unit", "time", "hn_spend", "mainstream_share"]].merge(extra, on=["unit", "time"], how="left")
    positive = lambda column: np.log(frame[column].where(frame[column] > 0))  # noqa: E731
    return pd.DataFrame({"unit": frame["unit"], "time": frame["time"], "log_spend": positive("hn_spend"),
                         "share": frame["mainstream_share"], "log_ehcp": positive("ehcp_count"),
                         "imd_score": frame["imd_score"], "la_type": frame["la_type"].astype(str)})


def _lever_rows(fitted, analysis: str, terms: Sequence[str], level: float) -> list[tuple]:
    interval = fitted.conf_int(alpha=1 - level)
    return [(analysis, term, fitted.params[term] / 100, interval.loc[term, 0] / 100, interval.loc[term, 1] / 100,
             fitted.pvalues[term], int(fitted.nobs)) for term in terms]


def lever_years(frame: pd.DataFrame) -> tuple[int, int]:
    """The first and last years in which some unit has both spending and the mainstream share."""
    both = frame.loc[frame["log_spend"].notna() & frame["share"].notna(), "time"]
    return int(both.min()), int(both.max())


def levers(frame: pd.DataFrame, first: int, last: int, level: float) -> pd.DataFrame:
    """LEVER_COLUMNS: how annual high-needs spending growth (log points) moves with the mainstream
    share, per percentage point. Across units (OLS, HC3): growth from ``first`` to ``last`` on the
    share in ``first`` and its annual change, with EHC plan growth, IMD score and LA type. Within
    units (unit and year fixed effects, clustered by unit): the year's spending growth on the
    year's change in share and EHC plan growth (deprivation and LA type do not vary within a unit)."""
    import statsmodels.formula.api as smf  # only the lever regressions need it

    wide = {column: frame.pivot(index="unit", columns="time", values=column)
            for column in ("log_spend", "share", "log_ehcp")}
    static = frame.drop_duplicates("unit").set_index("unit")[["imd_score", "la_type"]]
    across = pd.DataFrame({"growth": annual_growth(wide["log_spend"], first, last),
                           "share_start": wide["share"][first],
                           "share_change": annual_growth(wide["share"], first, last),
                           "ehcp_growth": annual_growth(wide["log_ehcp"], first, last)}).join(static).dropna()
    fitted_across = smf.ols("growth ~ share_start + share_change + ehcp_growth + imd_score + C(la_type)",
                            data=across).fit(cov_type="HC3")
    changes = frame.sort_values(["unit", "time"]).copy()
    for column in ("log_spend", "share", "log_ehcp"):
        changes[f"d_{column}"] = changes.groupby("unit")[column].diff()
    within = changes[changes["time"].between(first + 1, last)].dropna(subset=["d_log_spend", "d_share", "d_log_ehcp"])
    within = within.rename(columns={"d_share": "share_change"})
    fitted_within = smf.ols("d_log_spend ~ share_change + d_log_ehcp + C(unit) + C(time)", data=within).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(within["unit"])[0]})
    rows = _lever_rows(fitted_across, "across units", ["share_start", "share_change"], level)
    rows += _lever_rows(fitted_within, "within units", ["share_change"], level)
    return pd.DataFrame([(*row, fy_label(first), fy_label(last)) for row in rows], columns=LEVER_COLUMNS)


#: The year the research's frame was drawn from (its 2020-21 surplus) and the shares compared in it.
FRAME_YEAR = "2020-21"
FRAME_PLACEMENT_SHARES = ("mainstream_share", "special_independent_share")


def frame_placement(values: pd.DataFrame, frame_units: Collection[str], n_boot: int, seed: int, level: float,
                    fy: str = FRAME_YEAR, outcomes: Sequence[str] = FRAME_PLACEMENT_SHARES) -> pd.DataFrame:
    """For each share in ``outcomes`` in year ``fy``: the frame's mean against all other units',
    the difference and its bootstrap interval (sendlib.analysis.groups.difference_in_means_ci);
    ``label`` names the share in words."""
    from sendlib.analysis.groups import difference_in_means_ci

    year = values[values["fy"] == fy]
    inside = year["unit"].isin(list(frame_units))
    rows = []
    for outcome in outcomes:
        result = difference_in_means_ci(year.loc[inside, outcome].dropna(), year.loc[~inside, outcome].dropna(),
                                        n_boot, seed, level)
        rows.append({"outcome": outcome, "label": outcome_spec(outcome).label, "fy": fy, "n_frame": result.n_a,
                     "n_others": result.n_b, "frame_mean": year.loc[inside, outcome].mean(),
                     "others_mean": year.loc[~inside, outcome].mean(), "difference": result.difference,
                     "ci_low": result.low, "ci_high": result.high, "p_value": result.p_value})
    return pd.DataFrame(rows)


# --- groups over time ---------------------------------------------------------------------------------


#: The settings of the placement-mix figure (sendlib.analysis.outcomes).
PLACEMENT_SHARES = ("mainstream_share", "special_state_share", "special_independent_share", "ap_share")
GROUP_ORDER = ("Delivering Better Value", "safety valve", "frame, in no programme", "no programme")


def unit_groups(timing: pd.DataFrame, units: Collection[str]) -> pd.Series:
    """Each unit's group for the paths and placement figures: the programme it entered first,
    else "frame, in no programme" for a frame unit, else "no programme"."""
    programmes = timing[timing["programme"].isin(list(PROGRAMME_ROWS))].sort_values(["start", "entry"])
    first = programmes.drop_duplicates("unit").set_index("unit")["programme"].map(
        {"dbv": GROUP_ORDER[0], "safety_valve": GROUP_ORDER[1]})
    frame = set(timing.loc[timing["programme"] == "frame", "unit"])
    labels = {unit: first.get(unit, GROUP_ORDER[2] if unit in frame else GROUP_ORDER[3]) for unit in units}
    return pd.Series(labels, name="group").sort_index()


def path_label(outcome: str) -> str:
    """The y-axis words of group_paths for ``outcome``."""
    return "index, first year = 100 (average council)" if outcome_spec(outcome).in_logs else "% (average council)"


def group_paths(values: pd.DataFrame, outcome: str, labels: pd.Series) -> pd.DataFrame:
    """group, fy, value, n_units: the mean over each group's units known in every year of the
    outcome of an index (first year = 100) for money and rates, of the share (in %) for shares."""
    spec, wide = outcome_spec(outcome), values.pivot(index="unit", columns="fy", values=outcome)
    wide = wide.loc[:, wide.notna().any()].dropna()
    shown = wide.div(wide.iloc[:, 0], axis=0) * 100 if spec.in_logs else wide * 100
    grouped = shown.groupby(labels.reindex(shown.index))
    paths = grouped.mean().stack().rename("value").reset_index().rename(columns={"level_0": "group"})
    counts = grouped.size()
    paths["n_units"] = paths["group"].map(counts).astype("int64")
    return paths[["group", "fy", "value", "n_units"]]


def placement_mix(values: pd.DataFrame, shares: Sequence[str], labels: pd.Series) -> pd.DataFrame:
    """group, fy, setting, share: the average unit's share (in %) of EHC plans in each setting of ``shares``."""
    frame = values.assign(group=values["unit"].map(labels))
    mix = (100 * frame.groupby(["group", "fy"])[list(shares)].mean()).stack().rename("share").reset_index()
    mix = mix.rename(columns={mix.columns[2]: "setting"})
    mix["setting"] = mix["setting"].map(lambda name: outcome_spec(name).label)
    return mix.dropna(subset=["share"]).reset_index(drop=True)


# --- parameters --------------------------------------------------------------------------------------


def check_evaluation_parameters(panel: pd.DataFrame, parameters: Mapping[str, Any]) -> None:
    """A ParameterError naming every problem of notebook 08's ``parameters`` that their rules
    (sendlib.param_rules: known programmes and outcomes, level, n_boot...) cannot see: an
    estimator that cannot use the comparison, or outcomes the panel cannot give."""
    problems = []
    try:
        check_design(parameters["estimator"], parameters["comparison"])
    except ParameterError as exc:
        problems.append(str(exc))
    outcomes = list(parameters["outcomes"])
    try:
        outcome_values(panel.head(0), outcomes)
    except (KeyError, ValueError, SendlibError) as exc:
        problems.append(f"the panel cannot give the outcomes {outcomes} ({exc}); run `sendlib data`")
    if problems:
        raise ParameterError("; ".join(problems))
