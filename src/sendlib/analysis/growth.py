"""Growth between two financial years, per unit and nationally, and where a claimed
growth figure sits among units and among random groups of units.

Definitions used throughout:

- unit growth = value_end / value_base - 1 (needs both values, a positive base value
  and, for spend, complete reporting in both years);
- national growth = (sum of numerators_end / sum of denominators_end)
  / (sum of numerators_base / sum of denominators_base) - 1 over the units with every
  part known in both years ("total" has no denominator: a ratio of sums);
- percentile of x in a distribution = share of its (non-missing) values that are <= x.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sendlib.analysis.measures import COMPLETENESS_FLAGS, is_valid_combination, measure_parts, require_panel_columns
from sendlib.errors import ValidationError
from sendlib.years import fy_start

SENSITIVITY_COLUMNS = [
    "measure", "basis", "denominator", "base_fy", "end_fy", "n_units", "n_group", "group_mean_growth",
    "national_growth", "national_complete", "claimed_growth", "claim_percentile_among_units",
    "claim_percentile_among_random_groups", "group_mean_percentile_among_random_groups",
]
#: Draws per batch in the resampling functions (bounds memory; fixed so results never depend on it).
_BATCH = 4096


@dataclass(frozen=True)
class NationalGrowth:
    """National value in two years and its growth, over the units known in both."""

    value_base: float
    value_end: float
    growth: float
    n_units: int
    excluded_units: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """True when no unit of the panel had to be left out."""
        return not self.excluded_units


def _check_years(base_fy: str, end_fy: str) -> None:
    if fy_start(end_fy) <= fy_start(base_fy):
        raise ValueError(f"end_fy {end_fy!r} must come after base_fy {base_fy!r}")


def _year_parts(panel: pd.DataFrame, measure: str, basis: str, denominator: str, fy: str) -> pd.DataFrame:
    """Numerator, denominator and completeness of every unit in one year, indexed by unit."""
    rows = panel.loc[panel["fy"] == fy]
    duplicated = rows["unit"].duplicated()
    if duplicated.any():
        raise ValidationError(f"panel has several rows for unit(s) {sorted(rows.loc[duplicated, 'unit'])} in {fy}")
    numerator, divisor = measure_parts(rows, measure, basis, denominator)
    flag = COMPLETENESS_FLAGS.get(measure)
    complete = rows[flag].astype("boolean") if flag else pd.Series(True, index=rows.index, dtype="boolean")
    parts = pd.DataFrame({"numerator": numerator, "denominator": divisor, "complete": complete})
    return parts.set_axis(rows["unit"].astype(str).to_numpy())


def _joined_reasons(checks: dict[str, pd.Series]) -> pd.Series:
    """Per row, the names of the checks that failed, joined by "; " (NA when none failed)."""
    failed = pd.DataFrame(checks).fillna(False).astype(bool)
    names = np.array(failed.columns, dtype=object)
    joined = ["; ".join(names[row]) or pd.NA for row in failed.to_numpy()]
    return pd.Series(joined, index=failed.index, dtype="string")


def _paired_parts(
    panel: pd.DataFrame, measure: str, basis: str, denominator: str, base_fy: str, end_fy: str
) -> pd.DataFrame:
    """Both years' parts side by side for every unit of the panel, with ``excluded_reason``."""
    require_panel_columns(panel, ["unit", "fy"])
    _check_years(base_fy, end_fy)
    units = sorted(panel["unit"].astype(str).unique())
    frame = pd.DataFrame(index=pd.Index(units, name="unit"))
    checks: dict[str, pd.Series] = {}
    for label, fy in (("base", base_fy), ("end", end_fy)):
        parts = _year_parts(panel, measure, basis, denominator, fy).reindex(units)
        frame[f"numerator_{label}"] = parts["numerator"].astype("float64")
        frame[f"denominator_{label}"] = parts["denominator"].astype("float64")
        checks[f"incomplete {label} year ({fy})"] = parts["complete"].eq(False)
        checks[f"missing {label} value ({fy})"] = frame[f"numerator_{label}"].isna()
        checks[f"missing {label} denominator ({fy})"] = frame[f"denominator_{label}"].isna()
    frame["excluded_reason"] = _joined_reasons(checks)
    return frame


def unit_growth(
    panel: pd.DataFrame, measure: str, basis: str, denominator: str, base_fy: str, end_fy: str
) -> pd.DataFrame:
    """Growth of every unit: columns unit, value_base, value_end, growth, excluded_reason.

    growth = value_end / value_base - 1. Every unit of the panel is listed, sorted by unit;
    an excluded unit (a value or denominator missing in either year, spend incomplete in
    either year, or a base value <= 0) has growth NaN and says why in ``excluded_reason``.
    """
    parts = _paired_parts(panel, measure, basis, denominator, base_fy, end_fy)
    value_base = parts["numerator_base"] / parts["denominator_base"]
    value_end = parts["numerator_end"] / parts["denominator_end"]
    not_positive = value_base.le(0) & parts["excluded_reason"].isna()
    reason = parts["excluded_reason"].mask(not_positive, f"base value not positive ({base_fy})")
    growth = (value_end / value_base - 1).where(reason.isna())
    return pd.DataFrame(
        {
            "unit": parts.index.to_numpy(),
            "value_base": value_base.to_numpy(),
            "value_end": value_end.to_numpy(),
            "growth": growth.to_numpy(),
            "excluded_reason": reason.to_numpy(),
        }
    ).astype({"unit": "string", "excluded_reason": "string"})


def national_growth(
    panel: pd.DataFrame, measure: str, basis: str, denominator: str, base_fy: str, end_fy: str
) -> NationalGrowth:
    """National value in both years and its growth, over units with every part known in both.

    total: value = sum of values; per head / per EHC plan: value = sum of numerators /
    sum of denominators (a national rate, not a mean of unit rates). The units left out
    are listed in ``excluded_units`` (``complete`` is False when there are any).
    """
    parts = _paired_parts(panel, measure, basis, denominator, base_fy, end_fy)
    kept = parts.loc[parts["excluded_reason"].isna()]
    excluded = tuple(parts.index[parts["excluded_reason"].notna()])
    if kept.empty:
        return NationalGrowth(np.nan, np.nan, np.nan, 0, excluded)
    def national_value(label: str) -> float:
        total = kept[f"numerator_{label}"].sum()
        return float(total if denominator == "total" else total / kept[f"denominator_{label}"].sum())

    value_base, value_end = national_value("base"), national_value("end")
    growth = value_end / value_base - 1 if value_base > 0 else np.nan
    return NationalGrowth(value_base, value_end, growth, len(kept), excluded)


def percentile_of(value: float, distribution: Iterable[float]) -> float:
    """Share of the distribution's non-missing values that are <= ``value`` (0..1).

    percentile_of(3, [1, 2, 3, 4]) == 0.75. An empty distribution is a ValueError.
    """
    values = np.asarray(list(distribution), dtype="float64")
    values = values[~np.isnan(values)]
    if values.size == 0:
        raise ValueError("percentile_of: the distribution has no non-missing values")
    return float(np.mean(values <= value))


def _batches(n_draws: int) -> list[int]:
    if n_draws < 1:
        raise ValueError(f"n_draws must be at least 1, got {n_draws}")
    return [min(_BATCH, n_draws - start) for start in range(0, n_draws, _BATCH)]


def random_group_means(growth: pd.Series | Sequence[float], group_size: int, n_draws: int, seed: int) -> np.ndarray:
    """Means of ``n_draws`` random groups of ``group_size`` units, each drawn without replacement.

    Missing values are dropped first. Each group is the ``group_size`` smallest of fresh
    uniform keys (a uniformly random subset); a seeded numpy Generator makes it reproducible.
    """
    values = pd.Series(growth, dtype="float64").dropna().to_numpy()
    if not 1 <= group_size <= values.size:
        raise ValueError(f"group_size must be between 1 and the {values.size} non-missing values, got {group_size}")
    return values[random_subsets(values.size, group_size, n_draws, seed)].mean(axis=1)


@functools.lru_cache(maxsize=16)  # 07 draws from up to 9 pools; 1.6 MB each at 20,000 draws of 10
def random_subsets(n: int, group_size: int, n_draws: int, seed: int) -> np.ndarray:
    """``n_draws`` rows of ``group_size`` distinct positions among ``n`` (read-only): the
    ``group_size`` smallest of fresh uniform keys per row, from a Generator seeded with ``seed``.
    They depend only on these four numbers, so they are computed once per process and shared by
    every pool of that size (the rows of a sensitivity table)."""
    rng = np.random.default_rng(seed)
    chosen = []
    for size in _batches(n_draws):  # keys a batch at a time: memory stays bounded
        keys = rng.random((size, n))
        chosen.append(np.argpartition(keys, group_size - 1, axis=1)[:, :group_size])
    subsets = np.concatenate(chosen)
    subsets.flags.writeable = False
    return subsets


def bootstrap_means(values: np.ndarray, n_draws: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``n_draws`` resamples of ``values`` with replacement."""
    means = []
    for size in _batches(n_draws):
        means.append(values[rng.integers(0, values.size, size=(size, values.size))].mean(axis=1))
    return np.concatenate(means)


def clean_values(values: Iterable[float], name: str = "values") -> np.ndarray:
    """Non-missing values as float64; a ValueError naming ``name`` when none are left."""
    array = np.asarray(list(values), dtype="float64")
    array = array[~np.isnan(array)]
    if array.size == 0:
        raise ValueError(f"{name} has no non-missing values")
    return array


def interval_quantiles(level: float) -> tuple[float, float]:
    """The lower and upper quantiles of a central interval, e.g. 0.95 -> (0.025, 0.975)."""
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (exclusive), got {level}")
    return (1 - level) / 2, 1 - (1 - level) / 2


def bootstrap_mean_ci(
    values: Iterable[float], n_draws: int, seed: int, level: float = 0.95
) -> tuple[float, float, float]:
    """(sample mean, low, high): percentile bootstrap interval of the mean (missing values dropped)."""
    interval = bootstrap_mean_interval(values, n_draws, seed, level)
    return interval.estimate, interval.low.value, interval.high.value


def bootstrap_mean_interval(values: Iterable[float], n_draws: int, seed: int, level: float = 0.95) -> SimulatedInterval:
    """The sample mean and its percentile bootstrap interval, each end with its Monte Carlo
    standard error (missing values dropped)."""
    array = clean_values(values)
    means = bootstrap_means(array, n_draws, np.random.default_rng(seed))
    return simulated_interval(float(array.mean()), means, level)


# --- Monte Carlo: simulated shares and percentiles with their standard errors -------------------


@dataclass(frozen=True)
class SimulatedShare:
    """A share of ``n_draws`` simulated draws (e.g. random groups averaging at most a claim).

    ``mc_se`` is its Monte Carlo standard error, sqrt(share (1 - share) / n_draws): how far
    another seed would typically move it. When no draw (or every draw) qualifies that is 0, so
    ``bound_95`` gives the one-sided 95% bound instead: the share could be up to 1 - 0.05^(1/n)
    (about 3 / n) away from 0 (or 1) without the draws showing it.
    """

    share: float
    n_draws: int

    @property
    def mc_se(self) -> float:
        if np.isnan(self.share):
            return float("nan")
        return float(np.sqrt(self.share * (1 - self.share) / self.n_draws))

    @property
    def bound_95(self) -> float:
        return float(1 - 0.05 ** (1 / self.n_draws))


def share_at_or_below(value: float, draws: Sequence[float] | np.ndarray) -> SimulatedShare:
    """The share of ``draws`` (missing dropped) at or below ``value`` (percentile_of), with the
    number of draws behind it."""
    clean = clean_values(draws, "draws")
    return SimulatedShare(percentile_of(value, clean), int(clean.size))


def claim_share_among_random_groups(
    values: pd.Series | Sequence[float], claimed: float, group_size: int, n_draws: int, seed: int
) -> SimulatedShare:
    """The share of ``n_draws`` random groups of ``group_size`` of ``values`` (random_group_means,
    seeded) whose mean is at most ``claimed``. Every notebook that asks "how often would random
    groups average the claim?" asks this function, so the same pool, size, draws and seed give
    the same share everywhere."""
    return share_at_or_below(claimed, random_group_means(values, group_size, n_draws, seed))


@dataclass(frozen=True)
class SimulatedQuantile:
    """The ``q`` quantile of simulated draws and its Monte Carlo standard error."""

    q: float
    value: float
    mc_se: float


def simulated_quantile(draws: Sequence[float] | np.ndarray, q: float) -> SimulatedQuantile:
    """The ``q`` quantile of ``draws`` (linear interpolation) with a distribution-free Monte
    Carlo standard error: half the distance between the order statistics at n q -/+ sqrt(n q (1 - q))
    (the number of draws below the true quantile is binomial, with that standard deviation)."""
    if not 0 <= q <= 1:
        raise ValueError(f"q must be between 0 and 1, got {q}")
    ordered = np.sort(clean_values(draws, "draws"))
    n = ordered.size
    spread = np.sqrt(n * q * (1 - q))
    below = ordered[int(np.clip(np.floor(n * q - spread), 0, n - 1))]
    above = ordered[int(np.clip(np.ceil(n * q + spread), 0, n - 1))]
    return SimulatedQuantile(q, float(np.quantile(ordered, q)), float(above - below) / 2)


@dataclass(frozen=True)
class SimulatedInterval:
    """An estimate and the central ``level`` interval of its simulated (bootstrap) draws, each
    end with its Monte Carlo standard error."""

    estimate: float
    low: SimulatedQuantile
    high: SimulatedQuantile
    level: float
    n_draws: int


def simulated_interval(estimate: float, draws: np.ndarray, level: float = 0.95) -> SimulatedInterval:
    """The percentile interval of ``draws`` at ``level`` around ``estimate`` (simulated_quantile at both ends)."""
    low_q, high_q = interval_quantiles(level)
    return SimulatedInterval(float(estimate), simulated_quantile(draws, low_q), simulated_quantile(draws, high_q),
                             level, int(np.size(draws)))


def _group_dummies(groups: pd.Series, group_col: str, reference: object) -> pd.DataFrame:
    """0/1 columns ``group_col[level]`` for every level except ``reference``."""
    levels = sorted(groups.unique().tolist(), key=str)
    if len(levels) < 2:
        raise ValueError(f"{group_col!r} has only {levels} after dropping rows with missing values; need 2+ levels")
    if reference is None:
        reference = False if set(levels) <= {True, False} else levels[0]
    if reference not in levels:
        raise ValueError(f"reference level {reference!r} not among the levels of {group_col!r}: {levels}")
    others = [level for level in levels if level != reference]
    return pd.DataFrame({f"{group_col}[{level}]": groups.eq(level).astype("float64") for level in others})


def growth_regression(
    frame: pd.DataFrame, outcome: str, group_col: str, controls: Sequence[str] = (), reference: object = None
):
    """OLS of ``outcome`` on group indicators (vs ``reference``) and ``controls``, HC3 robust SEs.

    Rows with a missing outcome, group or control are dropped. The reference level defaults
    to False for a bool group, else the first level in sorted order. Coefficients are named
    ``group_col[level]``, ``const`` and the control names. Returns the statsmodels results,
    with ``nobs`` (rows used) and an added ``n_dropped`` (rows dropped).
    """
    require_panel_columns(frame, [outcome, group_col, *controls])
    used = frame[[outcome, group_col, *controls]].dropna()
    design = pd.concat(
        [_group_dummies(used[group_col], group_col, reference), used[list(controls)].astype("float64")], axis=1
    )
    import statsmodels.api as sm  # imported here: a second to load, and only regressions need it

    design = sm.add_constant(design, has_constant="add")
    result = sm.OLS(used[outcome].astype("float64"), design).fit(cov_type="HC3")
    result.n_dropped = len(frame) - len(used)
    return result


def _sensitivity_row(
    panel: pd.DataFrame,
    group_units: Collection[str],
    claimed_growth: float,
    combination: tuple[str, str, str, str],
    base_fy: str,
    n_draws: int,
    seed: int,
) -> dict[str, object]:
    measure, basis, denominator, end_fy = combination
    growth = unit_growth(panel, measure, basis, denominator, base_fy, end_fy).dropna(subset=["growth"])
    in_group = growth["unit"].isin(list(group_units))
    group_mean = growth.loc[in_group, "growth"].mean() if in_group.any() else np.nan
    national = national_growth(panel, measure, basis, denominator, base_fy, end_fy)
    row: dict[str, object] = {
        "measure": measure, "basis": basis, "denominator": denominator, "base_fy": base_fy, "end_fy": end_fy,
        "n_units": len(growth), "n_group": int(in_group.sum()), "group_mean_growth": group_mean,
        "national_growth": national.growth, "national_complete": national.complete, "claimed_growth": claimed_growth,
        "claim_percentile_among_units": np.nan, "claim_percentile_among_random_groups": np.nan,
        "group_mean_percentile_among_random_groups": np.nan,
    }
    if len(growth):
        row["claim_percentile_among_units"] = percentile_of(claimed_growth, growth["growth"])
    if in_group.any():
        means = random_group_means(growth["growth"], int(in_group.sum()), n_draws, seed)
        row["claim_percentile_among_random_groups"] = percentile_of(claimed_growth, means)
        row["group_mean_percentile_among_random_groups"] = percentile_of(group_mean, means)
    return row


def sensitivity_table(
    panel: pd.DataFrame,
    group_units: Collection[str],
    claimed_growth: float,
    measures: Sequence[str],
    bases: Sequence[str],
    denominators: Sequence[str],
    end_fys: Sequence[str],
    base_fy: str,
    n_draws: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per valid (measure, basis, denominator, end_fy) combination, in input order.

    Columns: measure, basis, denominator, base_fy, end_fy, n_units (units with a growth),
    n_group (group units among them), group_mean_growth, national_growth, national_complete,
    claimed_growth, claim_percentile_among_units, claim_percentile_among_random_groups
    (random groups of n_group units drawn from all n_units, ``n_draws`` draws, ``seed``) and
    group_mean_percentile_among_random_groups. Invalid combinations (e.g. EHC plans in real
    terms) are skipped.
    """
    rows = [
        _sensitivity_row(panel, group_units, claimed_growth, (m, b, d, e), base_fy, n_draws, seed)
        for m in measures
        for b in bases
        for d in denominators
        if is_valid_combination(m, b, d)
        for e in end_fys
    ]
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)
