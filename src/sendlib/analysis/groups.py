"""Programme groups (Safety Valve, Delivering Better Value, neither) and comparisons between groups."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sendlib.analysis.growth import bootstrap_means, clean_values, simulated_interval
from sendlib.analysis.measures import require_panel_columns
from sendlib.errors import ValidationError

SAFETY_VALVE = "safety valve"
DBV = "DBV"
NEITHER = "neither"
PROGRAMME_GROUPS = (SAFETY_VALVE, DBV, NEITHER)
_FLAG_COLUMNS = {SAFETY_VALVE: "safety_valve", DBV: "dbv"}

#: Published counts: 55 DBV councils and 34 Safety Valve councils, 89 of 152 LAs (58.6%).
CLAIMED_MEMBERSHIP: dict[str, float] = {
    "dbv": 55, "safety_valve": 34, "either": 89, "total_las": 152, "share_either_pct": 58.6,
}


def _flags(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The bool membership columns, checked to be present and never missing."""
    require_panel_columns(frame, columns)
    missing = [c for c in columns if frame[c].isna().any()]
    if missing:
        raise ValidationError(f"membership column(s) {missing} have missing values; expected True/False everywhere")
    return frame[columns].astype(bool)


def assign_programme_group(panel: pd.DataFrame, both: str = SAFETY_VALVE) -> pd.Series:
    """"safety valve", "DBV" or "neither" for every row, from the bool columns ``safety_valve`` and ``dbv``.

    A unit in both programmes (e.g. moved from DBV to Safety Valve) goes to the group named by
    ``both`` (default: Safety Valve takes precedence, as the more intensive intervention).
    """
    if both not in (SAFETY_VALVE, DBV):
        raise ValueError(f"both must be {SAFETY_VALVE!r} or {DBV!r}, got {both!r}")
    flags = _flags(panel, list(_FLAG_COLUMNS.values()))
    order = [SAFETY_VALVE, DBV] if both == SAFETY_VALVE else [DBV, SAFETY_VALVE]
    group = np.select([flags[_FLAG_COLUMNS[name]].to_numpy() for name in order], order, default=NEITHER)
    return pd.Series(group, index=panel.index, name="programme_group", dtype="string")


def group_summary(frame: pd.DataFrame, value_col: str, group_col: str) -> pd.DataFrame:
    """n (non-missing values), mean, median and sd (ddof=1) of ``value_col`` per group, sorted by group."""
    require_panel_columns(frame, [value_col, group_col])
    grouped = frame.dropna(subset=[group_col]).groupby(group_col, sort=True, observed=True)[value_col]
    summary = grouped.agg(n="count", mean="mean", median="median", sd="std").reset_index()
    return summary.astype({"n": "int64", "mean": "float64", "median": "float64", "sd": "float64"})


@dataclass(frozen=True)
class MeanDifference:
    """mean(a) - mean(b), its percentile-bootstrap interval (each end with its Monte Carlo
    standard error over ``n_draws`` resamples) and Welch's t-test p-value."""

    difference: float
    low: float
    high: float
    p_value: float
    n_a: int
    n_b: int
    low_mc_se: float = float("nan")
    high_mc_se: float = float("nan")
    n_draws: int = 0


def difference_in_means_ci(
    a: Iterable[float], b: Iterable[float], n_draws: int, seed: int, level: float = 0.95
) -> MeanDifference:
    """Difference of means with a bootstrap interval (a and b resampled independently, with
    replacement, ``n_draws`` times) and Welch's unequal-variance t-test (two-sided).

    Missing values are dropped. The p-value is NaN when a group has fewer than 2 values or
    both groups are constant (the test is undefined).
    """
    values_a, values_b = clean_values(a, "a"), clean_values(b, "b")
    rng = np.random.default_rng(seed)
    means_a, means_b = bootstrap_means(values_a, n_draws, rng), bootstrap_means(values_b, n_draws, rng)
    interval = simulated_interval(float(values_a.mean() - values_b.mean()), means_a - means_b, level)
    enough = values_a.size > 1 and values_b.size > 1 and (values_a.var() > 0 or values_b.var() > 0)
    from scipy import stats  # half a second to import; only this test needs it

    p_value = float(stats.ttest_ind(values_a, values_b, equal_var=False).pvalue) if enough else np.nan
    return MeanDifference(interval.estimate, interval.low.value, interval.high.value, p_value, values_a.size,
                          values_b.size, interval.low.mc_se, interval.high.mc_se, n_draws)


def count_programme_membership(
    membership_by_la: pd.DataFrame,
    total_las: int | None = None,
    claimed: Mapping[str, float] = CLAIMED_MEMBERSHIP,
    key: str = "la_code",
) -> pd.DataFrame:
    """Our counts of DBV, Safety Valve, either and both, total LAs and the share in either,
    beside the published (``claimed``) figures.

    ``membership_by_la``: one row per LA (``key`` unique) with bool ``dbv`` and ``safety_valve``.
    ``total_las`` defaults to the number of rows (pass it when the frame lists programme LAs only).
    Items: dbv, safety_valve, either, both, total_las, share_either_pct (= either / total_las * 100).
    Columns: item, ours, claimed, shortfall (claimed - ours; NaN when nothing is claimed).
    """
    require_panel_columns(membership_by_la, [key])
    duplicated = membership_by_la[key].duplicated()
    if duplicated.any():
        raise ValidationError(f"membership has several rows for {key} {sorted(membership_by_la.loc[duplicated, key])}")
    flags = _flags(membership_by_la, ["dbv", "safety_valve"])
    total = len(membership_by_la) if total_las is None else total_las
    either = int((flags["dbv"] | flags["safety_valve"]).sum())
    ours = {
        "dbv": int(flags["dbv"].sum()),
        "safety_valve": int(flags["safety_valve"].sum()),
        "either": either,
        "both": int((flags["dbv"] & flags["safety_valve"]).sum()),
        "total_las": total,
        "share_either_pct": either / total * 100 if total else np.nan,
    }
    table = pd.DataFrame(
        {
            "item": pd.Series(list(ours), dtype="string"),
            "ours": pd.Series(list(ours.values()), dtype="float64"),
            "claimed": pd.Series([claimed.get(item, np.nan) for item in ours], dtype="float64"),
        }
    )
    table["shortfall"] = table["claimed"] - table["ours"]
    return table
