"""Simple, transparent projections of high-needs funding, spending and the cumulative DSG
balance, and back-tests of the assumptions against what actually happened.

Arithmetic (k = 1 .. horizon projected years after ``start_fy``; sign: POSITIVE = deficit):

    funding_k = funding_{k-1} * (1 + funding_growth_k)       (funding_0 = start-year funding)
    spend_k   = spend_{k-1}   * (1 + spend_growth)           (spend_0 = start-year outturn)
    gap_k     = spend_k - funding_k                          (in-year overspend)
    balance_k = balance_{k-1} + gap_k                        (balance_0 = start-year cumulative balance)
    dsg_k     = dsg_{k-1} * (1 + funding_growth_k)           (total DSG grows like high-needs funding)
    balance_pct_of_dsg_k = 100 * balance_k / dsg_k

Spend growth is either the unit's own compound annual growth over the last ``trend_years``
("own_trend") or the national one ("national"):

    rate = (spend_start / spend_{start - n}) ** (1 / n) - 1

Missing inputs give missing projections (NaN), never 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sendlib.analysis.growth import national_growth, unit_growth
from sendlib.analysis.measures import (
    COMPLETENESS_FLAGS,
    COUNT_MEASURES,
    MEASURES,
    measure_values,
    require_panel_columns,
)
from sendlib.years import fy_label, fy_range, fy_start

SPEND_RULES = ("own_trend", "national")
FundingGrowth = float | Sequence[float] | Mapping[str, float]

PROJECTION_COLUMNS = ["fy", "fy_start", "funding_gbp", "spend_gbp", "gap_gbp", "balance_gbp"]


def project_funding(last_value: float, growth_rates: Sequence[float]) -> list[float]:
    """One value per rate: value_k = value_{k-1} * (1 + rate_k), from value_0 = ``last_value``."""
    values = np.float64(last_value) * np.cumprod([1.0 + rate for rate in growth_rates])
    return [float(v) for v in values]


def spend_trend_rate(values: pd.Series, n_years: int) -> float:
    """Compound annual growth over the last ``n_years`` of a series indexed by ``fy_start``.

    rate = (v[last] / v[last - n_years]) ** (1 / n_years) - 1, last = the series' latest
    fy_start. NaN when either value is missing or not positive.
    """
    if n_years < 1:
        raise ValueError(f"n_years must be at least 1, got {n_years}")
    if values.empty:
        return np.nan
    last = int(values.index.max())
    end, start = values.get(last, np.nan), values.get(last - n_years, np.nan)
    if not (start > 0 and end > 0):
        return np.nan
    return float((end / start) ** (1 / n_years) - 1)


def growth_path(funding_growth: FundingGrowth, start_fy: str, horizon: int) -> list[float]:
    """One funding growth rate per projected year (``start_fy`` + 1 .. + ``horizon``).

    A float applies to every year; a sequence must have ``horizon`` rates; a mapping is
    keyed by FY label ("2023-24") and must cover every projected year.
    """
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1, got {horizon}")
    years = [fy_label(fy_start(start_fy) + k) for k in range(1, horizon + 1)]
    if isinstance(funding_growth, Mapping):
        missing = [fy for fy in years if fy not in funding_growth]
        if missing:
            raise ValueError(f"funding_growth has no rate for {missing} (has {sorted(funding_growth)})")
        return [float(funding_growth[fy]) for fy in years]
    if isinstance(funding_growth, Sequence):
        if len(funding_growth) != horizon:
            raise ValueError(f"funding_growth has {len(funding_growth)} rates for a horizon of {horizon} years")
        return [float(rate) for rate in funding_growth]
    return [float(funding_growth)] * horizon


def project_unit(
    start_fy: str,
    horizon: int,
    funding0: float,
    spend0: float,
    balance0: float,
    funding_growth: FundingGrowth,
    spend_growth: float,
) -> pd.DataFrame:
    """The projected years of one unit: fy, fy_start, funding_gbp, spend_gbp, gap_gbp, balance_gbp.

    See the module docstring for the arithmetic; the start year itself is not a row.
    """
    funding = project_funding(funding0, growth_path(funding_growth, start_fy, horizon))
    spend = project_funding(spend0, [spend_growth] * horizon)
    gap = np.subtract(spend, funding)
    starts = [fy_start(start_fy) + k for k in range(1, horizon + 1)]
    return pd.DataFrame(
        {
            "fy": pd.Series([fy_label(y) for y in starts], dtype="string"),
            "fy_start": pd.Series(starts, dtype="int64"),
            "funding_gbp": funding,
            "spend_gbp": spend,
            "gap_gbp": gap,
            "balance_gbp": np.float64(balance0) + np.cumsum(gap),
        }
    )


def _spend_by_year(panel: pd.DataFrame) -> pd.DataFrame:
    """Cash high-needs spend, unit x fy_start, missing where the unit's reporting is incomplete."""
    flag = COMPLETENESS_FLAGS["hn_spend"]
    require_panel_columns(panel, ["unit", "fy_start", flag])
    spend = measure_values(panel, "hn_spend", "cash", "total").where(panel[flag].astype("boolean").eq(True))
    frame = pd.DataFrame({"unit": panel["unit"].astype(str), "fy_start": panel["fy_start"], "spend": spend})
    return frame.pivot(index="unit", columns="fy_start", values="spend").sort_index()


def _spend_growth_rates(panel: pd.DataFrame, start_fy: str, spend_rule: str, trend_years: int) -> pd.Series:
    """The annual spend growth rate of every unit under ``spend_rule``, indexed by unit."""
    if spend_rule not in SPEND_RULES:
        raise ValueError(f"unknown spend_rule {spend_rule!r}; choose one of {list(SPEND_RULES)}")
    spend = _spend_by_year(panel)
    start = fy_start(start_fy)
    if start not in spend.columns:
        return pd.Series(np.nan, index=spend.index, dtype="float64")
    if spend_rule == "national":
        growth = national_growth(panel, "hn_spend", "cash", "total", fy_label(start - trend_years), start_fy).growth
        return pd.Series((1 + growth) ** (1 / trend_years) - 1, index=spend.index, dtype="float64")
    history = spend.loc[:, spend.columns <= start]
    return history.apply(lambda row: spend_trend_rate(row, trend_years), axis=1).astype("float64")


def _start_values(panel: pd.DataFrame, start_fy: str, funding_measure: str) -> pd.DataFrame:
    """Start-year funding, spend (complete only), DSG balance and total DSG per unit."""
    columns = {"funding0": MEASURES[funding_measure], "balance0": "dsg_balance_gbp", "dsg0": "dsg_total_gbp"}
    require_panel_columns(panel, ["unit", "fy", *columns.values()])
    rows = panel.loc[panel["fy"] == start_fy]
    rows = rows.set_axis(rows["unit"].astype(str).to_numpy())
    frame = pd.DataFrame({name: rows[column].astype("float64") for name, column in columns.items()})
    spend = _spend_by_year(panel)
    frame = frame.reindex(spend.index)
    frame["spend0"] = spend[fy_start(start_fy)] if fy_start(start_fy) in spend.columns else np.nan
    return frame


def project_all(
    panel: pd.DataFrame,
    start_fy: str,
    horizon: int,
    funding_growth: FundingGrowth,
    spend_rule: str = "own_trend",
    trend_years: int = 3,
    funding_measure: str = "hnb_after_deductions",
) -> pd.DataFrame:
    """Project every unit from its ``start_fy`` values (one row per unit x projected year).

    Funding is ``funding_measure`` (default the high needs block after academy/FE place
    deductions, the money the LA itself spends); spend is S251 high-needs outturn;
    balance_0 is the cumulative DSG balance (``dsg_balance_gbp``, POSITIVE = deficit), so
    ``start_fy`` must be a year with balances. Columns: unit, fy, fy_start, funding_gbp,
    spend_gbp, gap_gbp, balance_gbp, dsg_total_gbp, balance_pct_of_dsg, spend_growth_rate.
    """
    if funding_measure not in MEASURES or funding_measure in COUNT_MEASURES:
        raise ValueError(f"funding_measure {funding_measure!r} is not a money measure of {list(MEASURES)}")
    rates = growth_path(funding_growth, start_fy, horizon)
    start = _start_values(panel, start_fy, funding_measure)
    spend_rates = _spend_growth_rates(panel, start_fy, spend_rule, trend_years)
    frames = []
    for unit, row in start.iterrows():
        frame = project_unit(start_fy, horizon, row["funding0"], row["spend0"], row["balance0"], rates,
                             spend_rates[unit])
        frame.insert(0, "unit", unit)
        frame["dsg_total_gbp"] = project_funding(row["dsg0"], rates)
        frame["balance_pct_of_dsg"] = 100 * frame["balance_gbp"] / frame["dsg_total_gbp"]
        frame["spend_growth_rate"] = spend_rates[unit]
        frames.append(frame)
    projection = pd.concat(frames, ignore_index=True).astype({"unit": "string"})
    return projection.sort_values(["unit", "fy_start"], ignore_index=True)


def councils_over_threshold(projection: pd.DataFrame, threshold_pct_of_dsg: float) -> pd.DataFrame:
    """Per projected year: n_units, n_known (balance % known), n_over (balance_pct_of_dsg >
    threshold) and share_over = n_over / n_known."""
    require_panel_columns(projection, ["fy", "balance_pct_of_dsg"])
    known = projection["balance_pct_of_dsg"].notna()
    over = projection["balance_pct_of_dsg"].gt(threshold_pct_of_dsg) & known
    table = (
        pd.DataFrame({"fy": projection["fy"], "n_units": 1, "n_known": known.astype(int), "n_over": over.astype(int)})
        .groupby("fy", sort=True)
        .sum()
        .reset_index()
    )
    table["share_over"] = (table["n_over"] / table["n_known"].where(table["n_known"] > 0)).astype("float64")
    return table


def _assumed_years(base_fy: str, assumed: Mapping[str, float]) -> list[str]:
    """The assumed years, checked to run without gaps from the year after ``base_fy``."""
    if not assumed:
        raise ValueError("assumed has no years")
    years = fy_range(fy_label(fy_start(base_fy) + 1), max(assumed, key=fy_start))
    missing = [fy for fy in years if fy not in assumed]
    if missing or len(years) != len(assumed):
        raise ValueError(f"assumed must cover every year from after {base_fy} without gaps; got {sorted(assumed)}")
    return years


def _comparison(
    level: str, units: object, fy: str, n_units: object, base: object, expected: object, actual: object,
    expected_name: str, extra: Mapping[str, object],
) -> pd.DataFrame:
    """Rows of an expected-vs-actual comparison: difference_gbp = actual - expected,
    difference_pct = actual / expected - 1."""
    frame = pd.DataFrame(
        {"level": level, "unit": units, "fy": fy, "n_units": n_units, **extra,
         "base_gbp": base, expected_name: expected, "actual_gbp": actual},
        index=range(np.atleast_1d(units).size),
    )
    frame["difference_gbp"] = frame["actual_gbp"] - frame[expected_name]
    frame["difference_pct"] = frame["actual_gbp"] / frame[expected_name] - 1
    return frame


def _finish_comparison(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenated comparison rows with explicit dtypes, sorted by level, unit, fy."""
    table = pd.concat(frames, ignore_index=True)
    keys = {"level": "string", "unit": "string", "fy": "string", "n_units": "int64"}
    table = table.astype({**keys, **{c: "float64" for c in table.columns if c not in keys}})
    return table.sort_values(["level", "unit", "fy"], ignore_index=True)


def backtest_funding_assumption(
    panel: pd.DataFrame,
    base_fy: str = "2022-23",
    assumed: Mapping[str, float] | None = None,
    measure: str = "hnb_before_deductions",
) -> pd.DataFrame:
    """Assumed vs actual growth of allocations, per unit and nationally, year by year.

    For each assumed year t: assumed_gbp = base_gbp * prod_{s <= t} (1 + assumed_s);
    actual_gbp = the allocation in t; difference_gbp = actual - assumed; difference_pct =
    actual / assumed - 1; actual_growth = year-on-year actual growth. National rows
    (level "national", unit "national") are sums over units known in both base and t
    (n_units of them); actual_growth there is over units known in t-1 and t. Years
    without allocations (after 2023-24) have missing actuals. Default assumption: +5% in 2023-24.
    Columns: level, unit, fy, n_units, assumed_growth, actual_growth, base_gbp, assumed_gbp,
    actual_gbp, difference_gbp, difference_pct.
    """
    assumed = {"2023-24": 0.05} if assumed is None else dict(assumed)
    frames, cumulative = [], 1.0
    for fy in _assumed_years(base_fy, assumed):
        cumulative *= 1 + assumed[fy]
        previous = fy_label(fy_start(fy) - 1)
        units = unit_growth(panel, measure, "cash", "total", base_fy, fy)
        yearly = unit_growth(panel, measure, "cash", "total", previous, fy)["growth"].to_numpy()
        base = units["value_base"].to_numpy()
        frames.append(_comparison(
            "unit", units["unit"].to_numpy(), fy, units["excluded_reason"].isna().astype(int).to_numpy(), base,
            base * cumulative, units["value_end"].to_numpy(), "assumed_gbp",
            {"assumed_growth": assumed[fy], "actual_growth": yearly},
        ))
        national = national_growth(panel, measure, "cash", "total", base_fy, fy)
        national_yearly = national_growth(panel, measure, "cash", "total", previous, fy).growth
        frames.append(_comparison(
            "national", "national", fy, national.n_units, national.value_base, national.value_base * cumulative,
            national.value_end, "assumed_gbp", {"assumed_growth": assumed[fy], "actual_growth": national_yearly},
        ))
    return _finish_comparison(frames)


def backtest_spend_projection(
    panel: pd.DataFrame,
    start_fy: str,
    spend_rule: str = "own_trend",
    trend_years: int = 3,
    end_fy: str | None = None,
) -> pd.DataFrame:
    """Projected vs actual high-needs outturn for every year after ``start_fy`` up to ``end_fy``
    (default: the latest year with any spend).

    projected_k = spend_start * (1 + rate) ** k (rate from ``spend_rule``, see module doc);
    difference_gbp = actual - projected; difference_pct = actual / projected - 1. National
    rows (level "national") sum the n_units units with both a projection and an actual value.
    Columns: level, unit, fy, n_units, spend_growth_rate, base_gbp, projected_gbp, actual_gbp,
    difference_gbp, difference_pct.
    """
    spend = _spend_by_year(panel)
    last = fy_start(end_fy) if end_fy else int(spend.columns[spend.notna().any()].max())
    start = fy_start(start_fy)
    if last <= start:
        raise ValueError(f"no year to compare: end year {fy_label(last)} is not after start_fy {start_fy!r}")
    rates = _spend_growth_rates(panel, start_fy, spend_rule, trend_years)
    missing = pd.Series(np.nan, index=spend.index)
    base = spend.get(start, missing)
    frames = []
    for year in range(start + 1, last + 1):
        projected, actual = base * (1 + rates) ** (year - start), spend.get(year, missing)
        both = projected.notna() & actual.notna()
        frames.append(_comparison(
            "unit", spend.index.to_numpy(), fy_label(year), both.astype(int).to_numpy(), base.to_numpy(),
            projected.to_numpy(), actual.to_numpy(), "projected_gbp", {"spend_growth_rate": rates.to_numpy()},
        ))
        frames.append(_comparison(
            "national", "national", fy_label(year), int(both.sum()), base[both].sum(min_count=1),
            projected[both].sum(min_count=1), actual[both].sum(min_count=1), "projected_gbp",
            {"spend_growth_rate": np.nan},
        ))
    return _finish_comparison(frames)
