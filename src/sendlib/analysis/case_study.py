"""The June 2022 case-study claim: ten councils "managing needs effectively" whose average
high-needs spending had still grown by almost a quarter since 2018. Is that growth low next to
every other council and to random groups of ten, and what would selection on the outcome give?

Growth, national growth, percentiles, random groups and the bootstrap are those of
sendlib.analysis.growth; this module adds what the case-study question needs on top:
checking a run's parameters against the data, the named councils' units, an interval that
says so when it cannot be estimated (one named council), the mean the unnamed members would
need, regressions on membership with controls, groups selected on an outcome, and the
sensitivity table with random groups of the claimed group's size.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sendlib.analysis import growth
from sendlib.analysis.measures import (  # noqa: F401 (BASES, DENOMINATORS: the sensitivity table's defaults)
    BASES,
    COUNT_MEASURES,
    DENOMINATORS,
    check_measure,
    measure_values,
    require_panel_columns,
)
from sendlib.errors import ParameterError
from sendlib.years import fy_start

#: Quantiles of the unit growth distribution shown in the distribution table.
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
#: Numeric controls of the membership regressions (built by :func:`regression_frame`).
NUMERIC_CONTROLS = ("baseline_spend_per_head_2_18_k", "ehcp_growth", "idaci_score")
#: Categorical control (one 0/1 column per level except the first in sorted order).
CATEGORICAL_CONTROL = "la_type"
#: Membership columns of :func:`regression_frame`, in the order they are reported.
MEMBERSHIPS = ("case_study", "dbv", "safety_valve")
#: Measures of the sensitivity table (allocations only enter where their years allow).
SENSITIVITY_MEASURES = ("hn_spend", "hnb_after_deductions")
#: Cumulative DSG balance as % of DSG (POSITIVE = deficit), used to pick a "well-managed" group.
BALANCE_COLUMN = "dsg_balance_pct"
#: A leverage this close to 1 makes an HC3 standard error undefined (division by 1 - h).
_LEVERAGE_TOLERANCE = 1e-8


def measure_years(panel: pd.DataFrame, measure: str, basis: str, denominator: str) -> list[str]:
    """The financial years in which at least one unit has a value of the measure, sorted."""
    values = measure_values(panel, measure, basis, denominator)
    return sorted(panel.loc[values.notna(), "fy"].astype(str).unique())


def units_of_councils(panel: pd.DataFrame, la_codes: Sequence[str]) -> list[str]:
    """The harmonised units (sorted, distinct) whose members include the councils ``la_codes``.

    The panel's ``la_codes`` column lists each unit's member codes joined by "+". A code that
    belongs to no unit is a ParameterError naming it.
    """
    require_panel_columns(panel, ["unit", "la_codes"])
    members = panel[["unit", "la_codes"]].drop_duplicates()
    unit_of = {code: str(row.unit) for row in members.itertuples() for code in str(row.la_codes).split("+")}
    unknown = sorted(set(la_codes) - set(unit_of))
    if unknown:
        raise ParameterError(f"council code(s) {unknown} belong to no unit of the panel")
    return sorted({unit_of[code] for code in la_codes})


def _span(fys: Sequence[str]) -> str:
    return f"{fys[0]} to {fys[-1]}" if fys else "none"


def check_parameters(panel: pd.DataFrame, parameters: Mapping[str, Any]) -> list[str]:
    """Check a run's parameters against the data; return the case-study units.

    ``parameters``: notebook 02's case_study, measure, basis, denominator, base_fy, end_fy,
    group_size, n_draws and (optional) sensitivity_base_fy and sensitivity_end_fy. Raises a
    ParameterError with a clear message when: the measure combination is invalid; ``end_fy``
    is not after ``base_fy``; the measure has no data in ``base_fy`` or ``end_fy`` (naming the
    years that have data); no case-study council is given, or none has a growth value for
    these years; ``group_size`` is below the number of named units or above the number of
    units with a growth value; ``n_draws`` < 1; or a sensitivity end year is not after every
    sensitivity base year.
    """
    case_study, measure, basis, denominator, base_fy, end_fy, group_size, n_draws = (parameters[name] for name in (
        "case_study", "measure", "basis", "denominator", "base_fy", "end_fy", "group_size", "n_draws"))
    sensitivity_base_fys = parameters.get("sensitivity_base_fy", ())
    sensitivity_end_fys = parameters.get("sensitivity_end_fy", ())
    try:
        check_measure(measure, basis, denominator)
    except ValueError as exc:
        raise ParameterError(str(exc)) from None
    if fy_start(end_fy) <= fy_start(base_fy):
        raise ParameterError(f"end_fy {end_fy!r} must come after base_fy {base_fy!r}")
    available = measure_years(panel, measure, basis, denominator)
    for name, fy in (("base_fy", base_fy), ("end_fy", end_fy)):
        if fy not in available:
            raise ParameterError(
                f"measure {measure!r} ({basis}, {denominator}) has no data in {name} {fy}; "
                f"years with data: {_span(available)}"
            )
    if n_draws < 1:
        raise ParameterError(f"n_draws must be at least 1, got {n_draws}")
    if not case_study:
        raise ParameterError("case_study is empty: name at least one council (code, ONS code or name)")
    units = units_of_councils(panel, case_study)
    table = growth.unit_growth(panel, measure, basis, denominator, base_fy, end_fy)
    known = table.dropna(subset=["growth"])
    if not known["unit"].isin(units).any():
        reasons = table.loc[table["unit"].isin(units), ["unit", "excluded_reason"]].to_dict("records")
        raise ParameterError(f"no case-study unit has a growth value from {base_fy} to {end_fy}: {reasons}")
    if not len(units) <= group_size <= len(known):
        raise ParameterError(
            f"group_size must be between the {len(units)} named case-study unit(s) and the {len(known)} units "
            f"with a growth value, got {group_size}"
        )
    late_bases = [b for b in sensitivity_base_fys for e in sensitivity_end_fys if fy_start(e) <= fy_start(b)]
    if late_bases:
        raise ParameterError(
            f"every sensitivity end year must come after every sensitivity base year; "
            f"base year(s) {sorted(set(late_bases))} are not before {sorted(sensitivity_end_fys)}"
        )
    return units


def distribution_table(values: pd.Series | Sequence[float], quantiles: Sequence[float] = QUANTILES) -> pd.DataFrame:
    """Columns statistic, value: n, mean, min, the quantiles (as "p10", "p25", ...) and max of
    the non-missing values (quantiles by linear interpolation)."""
    clean = growth.clean_values(values)
    rows = [("n", float(clean.size)), ("mean", float(clean.mean())), ("min", float(clean.min()))]
    rows += [(f"p{round(q * 100)}", float(np.quantile(clean, q))) for q in quantiles]
    rows.append(("max", float(clean.max())))
    return pd.DataFrame(rows, columns=["statistic", "value"]).astype({"statistic": "string", "value": "float64"})


def growth_markers(
    claimed_growth: float, national_growth: float, named: Mapping[str, float], max_named: int = 3
) -> dict[str, float]:
    """Labelled vertical lines for a growth histogram: the claim, England, and each named unit
    (``name -> growth``, in order) or, when there are more than ``max_named``, their mean."""
    markers = {"claimed": claimed_growth, "England": national_growth}
    if len(named) > max_named:
        markers[f"named units' mean (n = {len(named)})"] = float(np.mean(list(named.values())))
    else:
        markers.update({f"{name} (named)": value for name, value in named.items()})
    return markers


@dataclass(frozen=True)
class ClaimAmongUnits:
    """Where a claimed growth sits among every unit's growth (step 1 of notebook 02).

    ``table``: every unit (growth.unit_growth) with unit_name and case_study (named unit);
    ``known``: the units with a growth value; ``percentile``: share of them at most the claim;
    ``n_below``: how many grew strictly less; ``named``: the named units with a growth value
    (unit, unit_name, growth, percentile); ``distribution``: distribution_table of ``known``.
    """

    table: pd.DataFrame
    known: pd.DataFrame
    national: growth.NationalGrowth
    claimed: float
    percentile: float
    n_below: int
    named: pd.DataFrame
    distribution: pd.DataFrame

    @property
    def excluded(self) -> pd.DataFrame:
        """The units without a growth value: unit, unit_name, excluded_reason."""
        return self.table.loc[self.table["growth"].isna(), ["unit", "unit_name", "excluded_reason"]]


def unit_names(panel: pd.DataFrame) -> pd.Series:
    """unit -> unit_name, one entry per unit of the panel."""
    require_panel_columns(panel, ["unit", "unit_name"])
    return panel.drop_duplicates("unit").set_index("unit")["unit_name"].astype(str)


def claim_among_units(
    panel: pd.DataFrame, case_units: Collection[str], measure: str, basis: str, denominator: str, base_fy: str,
    end_fy: str, claimed: float,
) -> ClaimAmongUnits:
    """Every unit's growth of the measure, the national growth and where ``claimed`` and the
    named ``case_units`` sit among the units (percentile = share of units at most the value)."""
    table = growth.unit_growth(panel, measure, basis, denominator, base_fy, end_fy)
    table = table.assign(unit_name=table["unit"].map(unit_names(panel)).astype("string"),
                         case_study=table["unit"].isin(list(case_units)))
    known = table.dropna(subset=["growth"]).reset_index(drop=True)
    named = known.loc[known["case_study"], ["unit", "unit_name", "growth"]].reset_index(drop=True)
    named["percentile"] = [growth.percentile_of(g, known["growth"]) for g in named["growth"]]
    return ClaimAmongUnits(
        table=table, known=known, national=growth.national_growth(panel, measure, basis, denominator, base_fy, end_fy),
        claimed=claimed, percentile=growth.percentile_of(claimed, known["growth"]),
        n_below=int((known["growth"] < claimed).sum()), named=named, distribution=distribution_table(known["growth"]),
    )


@dataclass(frozen=True)
class ClaimAmongGroups:
    """The claim against random groups of the claimed group's size (step 2 of notebook 02):
    the groups' means (``draws``), the share at most the claim, the central 95% of the means and
    what the unnamed members would need."""

    draws: np.ndarray
    share: growth.SimulatedShare
    central: growth.SimulatedInterval
    unnamed: UnnamedMembers
    group_size: int
    seed: int


def claim_among_groups(
    units: ClaimAmongUnits, group_size: int, n_draws: int, seed: int, level: float = 0.95
) -> ClaimAmongGroups:
    """Random groups of ``group_size`` units drawn from every unit with a growth value: the
    share averaging at most the claim is growth.claim_share_among_random_groups (the function
    notebook 07 uses, so the same pool, draws and seed give the same share there)."""
    draws = growth.random_group_means(units.known["growth"], group_size, n_draws, seed)
    share = growth.claim_share_among_random_groups(units.known["growth"], units.claimed, group_size, n_draws, seed)
    unnamed = unnamed_members(units.known, units.named["unit"], units.claimed, group_size, n_draws, seed)
    central = growth.simulated_interval(float(draws.mean()), draws, level)
    return ClaimAmongGroups(draws, share, central, unnamed, group_size, seed)


@dataclass(frozen=True)
class GroupInterval:
    """A group's mean growth and its percentile-bootstrap interval, when one can be estimated."""

    n: int
    mean: float
    low: float
    high: float
    level: float
    estimable: bool
    note: str
    simulated: growth.SimulatedInterval | None = None


def group_mean_interval(
    values: pd.Series | Sequence[float], n_draws: int, seed: int, level: float = 0.95
) -> GroupInterval:
    """Mean of the non-missing ``values`` with a bootstrap interval (growth.bootstrap_mean_ci).

    With no value the mean is NaN; with one value, resampling can only repeat it, so the
    interval is not estimable (low/high NaN, ``estimable`` False) rather than a zero-width
    interval that would look certain.
    """
    clean = np.asarray(pd.Series(values, dtype="float64").dropna())
    if clean.size == 0:
        return GroupInterval(0, np.nan, np.nan, np.nan, level, False, "no member has a value")
    if clean.size == 1:
        note = "one member: resampling one value gives a zero-width interval, so the uncertainty is not estimable"
        return GroupInterval(1, float(clean[0]), np.nan, np.nan, level, False, note)
    simulated = growth.bootstrap_mean_interval(clean, n_draws, seed, level)
    note = f"percentile bootstrap over {clean.size} members, {n_draws:,} resamples"
    return GroupInterval(int(clean.size), simulated.estimate, simulated.low.value, simulated.high.value, level, True,
                         note, simulated)


def implied_mean_of_others(claimed_mean: float, known_values: Sequence[float], group_size: int) -> float:
    """The mean growth the ``group_size - len(known_values)`` unnamed members must have for the
    whole group to average ``claimed_mean``: (group_size * claimed - sum(known)) / n_unnamed.
    NaN when every member is named; a ValueError when more are named than the group holds."""
    known = [float(v) for v in known_values]
    unnamed = group_size - len(known)
    if unnamed < 0:
        raise ValueError(f"{len(known)} named values exceed group_size {group_size}")
    if unnamed == 0:
        return float("nan")
    return (group_size * claimed_mean - sum(known)) / unnamed


@dataclass(frozen=True)
class UnnamedMembers:
    """What the unnamed members of the claimed group would need, and how usual that is."""

    n_unnamed: int
    implied_mean: float
    percentile_among_random_groups: float
    n_draws: int = 0

    @property
    def simulated(self) -> growth.SimulatedShare:
        """The share of random groups as a simulated share (with its Monte Carlo standard error)."""
        return growth.SimulatedShare(self.percentile_among_random_groups, self.n_draws)


def unnamed_members(
    unit_growth: pd.DataFrame, named_units: Collection[str], claimed_growth: float, group_size: int,
    n_draws: int, seed: int,
) -> UnnamedMembers:
    """The mean growth the unnamed members need (:func:`implied_mean_of_others`, from the named
    units' growth in ``unit_growth``) and the share of random groups of that many other units
    (named units left out) whose mean is at most that. NaN when every member is named."""
    known = unit_growth.dropna(subset=["growth"])
    named = known["unit"].isin(list(named_units))
    implied = implied_mean_of_others(claimed_growth, known.loc[named, "growth"].tolist(), group_size)
    n_unnamed = group_size - int(named.sum())
    if n_unnamed == 0:
        return UnnamedMembers(0, implied, float("nan"), n_draws)
    means = growth.random_group_means(known.loc[~named, "growth"], n_unnamed, n_draws, seed)
    return UnnamedMembers(n_unnamed, implied, growth.percentile_of(implied, means), n_draws)


def regression_controls(measure: str) -> list[str]:
    """The numeric controls for growth of ``measure``: EHC plan growth is left out when the
    measure is itself a count of EHC plans (it would be the outcome)."""
    return [c for c in NUMERIC_CONTROLS if not (measure in COUNT_MEASURES and c == "ehcp_growth")]


def regression_frame(
    panel: pd.DataFrame, unit_growth: pd.DataFrame, base_fy: str, end_fy: str, case_units: Collection[str]
) -> pd.DataFrame:
    """One row per unit of ``unit_growth`` (columns unit, growth) with the regression's variables.

    Columns: unit, unit_name, la_type, growth, baseline_spend_per_head_2_18_k (high-needs
    spend in cash per resident aged 2-18 in ``base_fy``, GBP thousand), ehcp_growth (EHC plans,
    ``end_fy`` over ``base_fy`` - 1), idaci_score, case_study (unit in ``case_units``), dbv,
    safety_valve. Sorted by unit.
    """
    require_panel_columns(panel, ["unit", "fy", "unit_name", "la_type", "idaci_score", "dbv", "safety_valve"])
    base = panel.loc[panel["fy"] == base_fy].copy()
    base["baseline_spend_per_head_2_18_k"] = measure_values(base, "hn_spend", "cash", "per_head_2_18") / 1000
    attributes = base[
        ["unit", "unit_name", "la_type", "baseline_spend_per_head_2_18_k", "idaci_score", "dbv", "safety_valve"]
    ]
    plans = growth.unit_growth(panel, "ehcp", "cash", "total", base_fy, end_fy)[["unit", "growth"]]
    frame = (
        unit_growth[["unit", "growth"]]
        .merge(attributes, on="unit", how="left")
        .merge(plans.rename(columns={"growth": "ehcp_growth"}), on="unit", how="left")
    )
    frame["case_study"] = frame["unit"].isin(list(case_units))
    columns = ["unit", "unit_name", "la_type", "growth", *NUMERIC_CONTROLS, *MEMBERSHIPS]
    return frame[columns].astype({"unit": "string", "dbv": bool, "safety_valve": bool}).sort_values(
        "unit", ignore_index=True
    )


def category_dummies(values: pd.Series) -> pd.DataFrame:
    """0/1 float columns ``<name>[<level>]`` for every level but the first in sorted order (the reference)."""
    levels = sorted(values.dropna().astype(str).unique())
    return pd.DataFrame(
        {f"{values.name}[{level}]": values.astype(str).eq(level).astype("float64") for level in levels[1:]},
        index=values.index,
    )


REGRESSION_COLUMNS = [
    "membership", "n", "n_members", "coefficient", "robust_se", "robust_p_value", "hc3_defined",
    "classical_se", "classical_p_value",
]  # fmt: skip


def membership_effects(
    frame: pd.DataFrame,
    outcome: str = "growth",
    memberships: Sequence[str] = MEMBERSHIPS,
    controls: Sequence[str] = NUMERIC_CONTROLS,
    categorical: str | None = CATEGORICAL_CONTROL,
) -> pd.DataFrame:
    """One OLS per membership column (members vs every other unit) of ``outcome`` on that
    membership, the numeric ``controls`` and 0/1 columns of the ``categorical`` control
    (growth.growth_regression: rows with a missing value dropped, HC3 robust errors).

    Columns: membership, n (rows used), n_members (members among them), coefficient (of
    membership), robust_se and robust_p_value (HC3), hc3_defined, classical_se and
    classical_p_value (homoskedastic OLS). HC3 divides by 1 - leverage; a member whose
    leverage is 1 (always so for a group of one: its dummy fits it exactly) makes it
    undefined, and robust_se/robust_p_value are then NaN (hc3_defined False). The classical
    test of a one-member dummy is the externally studentised residual of that member.
    """
    dummies = category_dummies(frame[categorical]) if categorical else pd.DataFrame(index=frame.index)
    design = pd.concat([frame, dummies], axis=1)
    rows = []
    for membership in memberships:
        result = growth.growth_regression(design, outcome, membership, [*controls, *dummies.columns])
        term = f"{membership}[True]"
        classical = result.model.fit()
        members = int(result.model.exog[:, result.model.exog_names.index(term)].sum())
        hc3_defined = bool(classical.get_influence().hat_matrix_diag.max() < 1 - _LEVERAGE_TOLERANCE)
        rows.append({
            "membership": membership, "n": int(result.nobs), "n_members": members,
            "coefficient": float(result.params[term]),
            "robust_se": float(result.bse[term]) if hc3_defined else np.nan,
            "robust_p_value": float(result.pvalues[term]) if hc3_defined else np.nan,
            "hc3_defined": hc3_defined,
            "classical_se": float(classical.bse[term]), "classical_p_value": float(classical.pvalues[term]),
        })
    return pd.DataFrame(rows, columns=REGRESSION_COLUMNS)


@dataclass(frozen=True)
class SelectedGroup:
    """A group picked by ranking units on one column, and its mean of another."""

    units: tuple[str, ...]
    mean: float


def selected_group_mean(
    frame: pd.DataFrame, value_col: str, rank_col: str, group_size: int, lowest: bool = True
) -> SelectedGroup:
    """The ``group_size`` units with the lowest (or highest) ``rank_col`` among rows where both
    columns are known (ties broken by unit), and the mean of their ``value_col``."""
    require_panel_columns(frame, ["unit", value_col, rank_col])
    known = frame.dropna(subset=[value_col, rank_col])
    if not 1 <= group_size <= len(known):
        raise ValueError(f"group_size must be between 1 and the {len(known)} units with both values, got {group_size}")
    ranked = known.sort_values([rank_col, "unit"], ascending=[lowest, True], kind="stable").head(group_size)
    return SelectedGroup(tuple(ranked["unit"].astype(str)), float(ranked[value_col].mean()))


def latest_year_with_data(panel: pd.DataFrame, column: str, not_after: str) -> str | None:
    """The latest ``fy`` no later than ``not_after`` in which ``column`` has a value (None if none)."""
    require_panel_columns(panel, ["fy", column])
    fys = panel.loc[panel[column].notna(), "fy"].astype(str)
    fys = sorted(fy for fy in fys.unique() if fy_start(fy) <= fy_start(not_after))
    return fys[-1] if fys else None


SELECTION_COLUMNS = ["group", "rule", "n", "mean_growth", "units"]


def selection_comparison(frame: pd.DataFrame, panel: pd.DataFrame, group_size: int, end_fy: str) -> pd.DataFrame:
    """Groups of ``group_size`` units picked on an outcome, with their mean growth (``frame``:
    unit, growth, as from :func:`regression_frame`):

    - "lowest growth" / "highest growth": ranked on growth itself (the bounds any selection reaches);
    - "healthiest DSG balance": the lowest cumulative DSG deficit as % of DSG (POSITIVE =
      deficit) in the latest year with balances no later than ``end_fy`` (left out when none).

    Columns: group, rule, n, mean_growth, units ("+"-joined).
    """
    picks = [
        ("lowest growth", f"the {group_size} units with the lowest growth", frame, "growth", True),
        ("highest growth", f"the {group_size} units with the highest growth", frame, "growth", False),
    ]
    balance_fy = latest_year_with_data(panel, BALANCE_COLUMN, end_fy)
    if balance_fy is not None:
        balances = panel.loc[panel["fy"] == balance_fy, ["unit", BALANCE_COLUMN]]
        with_balance = frame.merge(balances.astype({"unit": frame["unit"].dtype}), on="unit", how="left")
        rule = f"the {group_size} units with the lowest DSG deficit (% of DSG) at the end of {balance_fy}"
        picks.insert(1, ("healthiest DSG balance", rule, with_balance, BALANCE_COLUMN, True))
    rows = []
    for group, rule, data, rank_col, lowest in picks:
        selected = selected_group_mean(data, "growth", rank_col, group_size, lowest)
        rows.append((group, rule, len(selected.units), selected.mean, "+".join(selected.units)))
    return pd.DataFrame(rows, columns=SELECTION_COLUMNS).astype({"n": "int64", "mean_growth": "float64"})


def selection_against_random_groups(selection: pd.DataFrame, draws: np.ndarray) -> pd.DataFrame:
    """A selection_comparison table with, for each group's mean growth, the share of the random
    groups' means (``draws``) at most it (``share_of_random_groups``) and its Monte Carlo s.e."""
    shares = [growth.share_at_or_below(mean, draws) for mean in selection["mean_growth"]]
    return selection.assign(share_of_random_groups=[s.share for s in shares],
                            share_of_random_groups_mc_se=[s.mc_se for s in shares])


def draws_frame(draws: np.ndarray) -> pd.DataFrame:
    """Simulated group means as a table: draw (1, 2, ...), mean_growth (the data of a histogram)."""
    return pd.DataFrame({"draw": np.arange(1, len(draws) + 1), "mean_growth": draws})


def selection_bars(selection: pd.DataFrame, claimed: float, random_mean: float, national: float) -> pd.DataFrame:
    """The groups picked on an outcome beside the claim, the random groups' mean and England:
    columns group, mean_growth (the data of the bar chart)."""
    references = pd.DataFrame({"group": ["claimed case-study group", "random groups (mean)", "England (all units)"],
                               "mean_growth": [claimed, random_mean, national]})
    return pd.concat([selection[["group", "mean_growth"]], references], ignore_index=True)


SENSITIVITY_COLUMNS = [*growth.SENSITIVITY_COLUMNS, "claim_percentile_among_random_groups_mc_se",
                       "random_group_size"]


def claim_sensitivity(
    panel: pd.DataFrame,
    group_units: Collection[str],
    claimed_growth: float,
    measures: Sequence[str],
    bases: Sequence[str],
    denominators: Sequence[str],
    base_fys: Sequence[str],
    end_fys: Sequence[str],
    group_size: int,
    n_draws: int,
    seed: int,
) -> pd.DataFrame:
    """growth.sensitivity_table for every base year (rows in input order), keeping only the
    combinations with data in both years (n_units > 0), where ``claim_percentile_among_random_groups``
    is recomputed for random groups of ``group_size`` units (the claimed group's size; the
    table's own groups have as many units as are named). ``group_mean_percentile_among_random_groups``
    keeps groups of n_group units. A last column ``random_group_size`` records the size used."""
    tables = [
        growth.sensitivity_table(
            panel, group_units, claimed_growth, measures, bases, denominators, end_fys, base_fy, n_draws, seed
        )
        for base_fy in base_fys
    ]
    table = pd.concat(tables, ignore_index=True)
    table = table.loc[table["n_units"] > 0].reset_index(drop=True)
    shares = [
        growth.claim_share_among_random_groups(
            growth.unit_growth(panel, row.measure, row.basis, row.denominator, row.base_fy, row.end_fy)["growth"],
            claimed_growth, group_size, n_draws, seed)
        for row in table.itertuples()
    ]
    table["claim_percentile_among_random_groups"] = pd.Series([s.share for s in shares], dtype="float64")
    table["claim_percentile_among_random_groups_mc_se"] = pd.Series([s.mc_se for s in shares], dtype="float64")
    table["random_group_size"] = group_size
    return table[SENSITIVITY_COLUMNS]


def skipped_measures(panel: pd.DataFrame, sensitivity: pd.DataFrame,
                     measures: Sequence[str] = SENSITIVITY_MEASURES) -> dict[str, list[str]]:
    """The ``measures`` with no row in the sensitivity table (no data in its years), each with
    the years in which it has data (cash, total)."""
    present = set(sensitivity["measure"])
    return {m: measure_years(panel, m, "cash", "total") for m in measures if m not in present}


def percentile_ranges(sensitivity: pd.DataFrame) -> pd.DataFrame:
    """Per measure, basis and denominator (in table order): the lowest and highest percentile of
    the claim among units over the years tried (columns measure, basis, denominator, low, high)."""
    ranges = sensitivity.groupby(["measure", "basis", "denominator"], sort=False)["claim_percentile_among_units"]
    return ranges.agg(low="min", high="max").reset_index()


def sensitivity_matrix(
    table: pd.DataFrame, value_col: str, row_label: Callable[[str, str, str], str] | None = None
) -> pd.DataFrame:
    """``value_col`` of a sensitivity table as a matrix: one row per "measure, basis, denominator"
    (or ``row_label(measure, basis, denominator)``), one column per "base_fy to end_fy", both in
    order of first appearance."""
    require_panel_columns(table, ["measure", "basis", "denominator", "base_fy", "end_fy", value_col])
    if row_label is None:
        rows = table["measure"] + ", " + table["basis"] + ", " + table["denominator"]
    else:
        labels = [row_label(m, b, d) for m, b, d in zip(table["measure"], table["basis"], table["denominator"])]
        rows = pd.Series(labels, index=table.index)
    columns = table["base_fy"] + " to " + table["end_fy"]
    long = pd.DataFrame({"row": rows, "column": columns, "value": table[value_col].astype("float64")})
    matrix = long.pivot(index="row", columns="column", values="value")
    return matrix.loc[list(dict.fromkeys(rows)), list(dict.fromkeys(columns))].rename_axis(index=None, columns=None)


def percentile_by_base_fy(sensitivity: pd.DataFrame, measure: str, basis: str, denominator: str,
                          end_fy: str) -> dict[str, float]:
    """The claim's percentile among units from each base year of the sensitivity table, on one
    measure, basis and denominator to ``end_fy`` (base_fy -> percentile; empty when none match)."""
    rows = sensitivity[(sensitivity["measure"] == measure) & (sensitivity["basis"] == basis)
                       & (sensitivity["denominator"] == denominator) & (sensitivity["end_fy"] == end_fy)]
    return dict(zip(rows["base_fy"], rows["claim_percentile_among_units"]))


REGRESSION_KEYS = ("coefficient", "robust_se", "robust_p_value", "hc3_defined", "classical_se", "classical_p_value",
                   "n", "n_members")


def results_entries(
    units: ClaimAmongUnits, groups: ClaimAmongGroups, interval: GroupInterval, effects: pd.DataFrame,
    selection: pd.DataFrame, sensitivity: pd.DataFrame, skipped: Mapping[str, Sequence[str]],
    by_base: Mapping[str, float],
) -> dict[str, object]:
    """Notebook 02's numbers for results.json (the front page and the tests read these keys);
    every simulated share or percentile has its Monte Carlo standard error beside it (``_mc_se``)."""
    named, central, unnamed = units.named, groups.central, groups.unnamed
    ends = interval.simulated
    return {
        "case_study_units": sorted(units.table.loc[units.table["case_study"], "unit"]),
        "n_units_with_growth": len(units.known), "units_without_growth": units.excluded["unit"].tolist(),
        "national_growth": units.national.growth, "national_complete": units.national.complete,
        **dict(zip("unit_growth_" + units.distribution["statistic"], units.distribution["value"])),
        "claim_percentile_among_units": units.percentile,
        "case_study_growth": dict(zip(named["unit"], named["growth"])),
        "case_study_percentile_among_units": dict(zip(named["unit"], named["percentile"])),
        "random_group_mean": float(groups.draws.mean()),
        "random_group_p2_5": central.low.value, "random_group_p2_5_mc_se": central.low.mc_se,
        "random_group_p97_5": central.high.value, "random_group_p97_5_mc_se": central.high.mc_se,
        "claim_percentile_among_random_groups": groups.share.share,
        "claim_percentile_among_random_groups_mc_se": groups.share.mc_se,
        "unnamed_members_n": unnamed.n_unnamed, "unnamed_members_implied_mean": unnamed.implied_mean,
        "unnamed_members_implied_mean_percentile": unnamed.percentile_among_random_groups,
        "unnamed_members_implied_mean_percentile_mc_se": unnamed.simulated.mc_se,
        "case_study_mean_growth": interval.mean, "case_study_ci_estimable": interval.estimable,
        "case_study_ci_low": interval.low, "case_study_ci_high": interval.high,
        "case_study_ci_low_mc_se": ends.low.mc_se if ends else None,
        "case_study_ci_high_mc_se": ends.high.mc_se if ends else None,
        **{f"regression_{row['membership']}_{key}": row[key] for _, row in effects.iterrows()
           for key in REGRESSION_KEYS},
        **{f"selected_{row.group.replace(' ', '_')}_{key}": getattr(row, key) for row in selection.itertuples()
           for key in ("mean_growth", "share_of_random_groups", "share_of_random_groups_mc_se")},
        "sensitivity_rows": len(sensitivity), "sensitivity_measures_skipped": list(skipped),
        "sensitivity_claim_percentile_among_units_min": float(sensitivity["claim_percentile_among_units"].min()),
        "sensitivity_claim_percentile_among_units_max": float(sensitivity["claim_percentile_among_units"].max()),
        "sensitivity_claim_percentile_among_random_groups_mc_se_max":
            float(sensitivity["claim_percentile_among_random_groups_mc_se"].max()),
        "claim_percentile_among_units_by_base_fy": dict(by_base),
    }
