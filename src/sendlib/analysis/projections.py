"""Simple, transparent projections of high-needs funding, spending and the cumulative DSG
balance, and back-tests of the assumptions against what actually happened.

Arithmetic (k = 1 .. horizon projected years after ``start_fy``; sign: POSITIVE = deficit):

    funding_k = funding_{k-1} * (1 + funding_growth_k)       (funding_0 = start-year funding)
    spend_k   = spend_{k-1}   * (1 + spend_growth)           (spend_0 = start-year outturn)
    gap_k     = spend_k - funding_k + offset                 (in-year overspend)
    balance_k = balance_{k-1} + gap_k                        (balance_0 = start-year cumulative balance)
    dsg_k     = dsg_{k-1} * (1 + funding_growth_k)           (total DSG grows like high-needs funding)
    balance_pct_of_dsg_k = 100 * balance_k / dsg_k

For projected years up to ``actual_funding_until`` funding_growth_k is the unit's actual
growth in allocations (and dsg_k grows like its actual total DSG): those years take the
allocations themselves; the assumed rates apply after them.

The offset is the "gap basis". S251 spend (lines 1.2.x) leaves out the place funding that
the high needs block pays for, so spend - funding is not the in-year overspend. "raw"
takes it as it is (offset = 0); "observed" anchors the gap on the start year's observed
change in the cumulative DSG balance, offset = (balance_0 - balance_{-1}) - (spend_0 -
funding_0), so gap_0 is the observed one and later gaps move with spend and funding:
gap_k = gap_0 + (spend_k - spend_0) - (funding_k - funding_0).

Spend growth is either the unit's own compound annual growth over the last ``trend_years``
("own_trend") or the national one ("national"):

    rate = (spend_start / spend_{start - n}) ** (1 / n) - 1

Missing inputs give missing projections (NaN), never 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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
from sendlib.errors import ParameterError
from sendlib.years import fy_label, fy_range, fy_start

SPEND_RULES = ("own_trend", "national")
GAP_BASES = ("observed", "raw")
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
    gap_offset: float = 0.0,
) -> pd.DataFrame:
    """The projected years of one unit: fy, fy_start, funding_gbp, spend_gbp, gap_gbp, balance_gbp.

    See the module docstring for the arithmetic (``gap_offset`` is its offset); the start
    year itself is not a row.
    """
    funding = project_funding(funding0, growth_path(funding_growth, start_fy, horizon))
    spend = project_funding(spend0, [spend_growth] * horizon)
    gap = np.subtract(spend, funding) + np.float64(gap_offset)
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


def _by_year(panel: pd.DataFrame, values: pd.Series) -> pd.DataFrame:
    """``values`` (aligned with the panel's rows) as a unit x fy_start table."""
    require_panel_columns(panel, ["unit", "fy_start"])
    frame = pd.DataFrame({"unit": panel["unit"].astype(str), "fy_start": panel["fy_start"],
                          "value": values.astype("float64")})
    return frame.pivot(index="unit", columns="fy_start", values="value").sort_index()


def _spend_by_year(panel: pd.DataFrame) -> pd.DataFrame:
    """Cash high-needs spend, unit x fy_start, missing where the unit's reporting is incomplete."""
    flag = COMPLETENESS_FLAGS["hn_spend"]
    require_panel_columns(panel, [flag])
    spend = measure_values(panel, "hn_spend", "cash", "total")
    return _by_year(panel, spend.where(panel[flag].astype("boolean").eq(True)))


def _column_by_year(panel: pd.DataFrame, column: str) -> pd.DataFrame:
    """A panel column as a unit x fy_start table."""
    require_panel_columns(panel, [column])
    return _by_year(panel, panel[column])


def national_spend_trend_rate(panel: pd.DataFrame, start_fy: str, trend_years: int) -> float:
    """Compound annual growth of national high-needs outturn over the ``trend_years`` to
    ``start_fy``, over the units with complete spend in both end years (growth.national_growth)."""
    if trend_years < 1:
        raise ValueError(f"trend_years must be at least 1, got {trend_years}")
    base_fy = fy_label(fy_start(start_fy) - trend_years)
    growth = national_growth(panel, "hn_spend", "cash", "total", base_fy, start_fy).growth
    return float((1 + growth) ** (1 / trend_years) - 1)


def _spend_growth_rates(panel: pd.DataFrame, start_fy: str, spend_rule: str, trend_years: int) -> pd.Series:
    """The annual spend growth rate of every unit under ``spend_rule``, indexed by unit."""
    if spend_rule not in SPEND_RULES:
        raise ValueError(f"unknown spend_rule {spend_rule!r}; choose one of {list(SPEND_RULES)}")
    spend = _spend_by_year(panel)
    start = fy_start(start_fy)
    if start not in spend.columns:
        return pd.Series(np.nan, index=spend.index, dtype="float64")
    if spend_rule == "national":
        return pd.Series(national_spend_trend_rate(panel, start_fy, trend_years), index=spend.index, dtype="float64")
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


def _funding_rates(
    panel: pd.DataFrame, column: str, start_fy: str, horizon: int, funding_growth: FundingGrowth,
    actual_until: str | None,
) -> pd.DataFrame:
    """Growth rate of ``column`` per unit (rows) and projected fy_start (columns): the unit's
    actual growth in projected years up to ``actual_until``, ``funding_growth`` after them."""
    start = fy_start(start_fy)
    n_actual = 0 if actual_until is None else min(max(fy_start(actual_until) - start, 0), horizon)
    assumed = growth_path(funding_growth, fy_label(start + n_actual), horizon - n_actual) if n_actual < horizon else []
    values = _column_by_year(panel, column)
    missing = pd.Series(np.nan, index=values.index)
    rates = {}
    for k in range(1, horizon + 1):
        year = start + k
        if k <= n_actual:
            rates[year] = values.get(year, missing) / values.get(year - 1, missing) - 1
        else:
            rates[year] = pd.Series(assumed[k - n_actual - 1], index=values.index)
    return pd.DataFrame(rates, index=values.index, dtype="float64")


def _gap_offsets(panel: pd.DataFrame, start_fy: str, start: pd.DataFrame, gap_basis: str) -> pd.Series:
    """Per unit, the offset added to spend - funding (module doc): 0 for "raw"; for "observed",
    the start year's observed change in the DSG balance minus its spend - funding."""
    if gap_basis not in GAP_BASES:
        raise ValueError(f"unknown gap_basis {gap_basis!r}; choose one of {list(GAP_BASES)}")
    if gap_basis == "raw":
        return pd.Series(0.0, index=start.index, dtype="float64")
    balances = _column_by_year(panel, "dsg_balance_gbp").reindex(start.index)
    previous = balances.get(fy_start(start_fy) - 1, pd.Series(np.nan, index=start.index))
    return (start["balance0"] - previous) - (start["spend0"] - start["funding0"])


def _start_row(start_fy: str, start: pd.Series, gap_offset: float) -> pd.DataFrame:
    """The start year as a projection row (its gap is spend - funding + offset)."""
    return pd.DataFrame({
        "fy": pd.Series([start_fy], dtype="string"),
        "fy_start": pd.Series([fy_start(start_fy)], dtype="int64"),
        "funding_gbp": [start["funding0"]],
        "spend_gbp": [start["spend0"]],
        "gap_gbp": [start["spend0"] - start["funding0"] + gap_offset],
        "balance_gbp": [start["balance0"]],
        "dsg_total_gbp": [start["dsg0"]],
    })


def project_all(
    panel: pd.DataFrame,
    start_fy: str,
    horizon: int,
    funding_growth: FundingGrowth,
    spend_rule: str = "own_trend",
    trend_years: int = 3,
    funding_measure: str = "hnb_after_deductions",
    gap_basis: str = "raw",
    actual_funding_until: str | None = None,
    include_start: bool = False,
) -> pd.DataFrame:
    """Project every unit from its ``start_fy`` values (one row per unit x projected year).

    Funding is ``funding_measure`` (default the high needs block after academy/FE place
    deductions, the money the LA itself spends); spend is S251 high-needs outturn;
    balance_0 is the cumulative DSG balance (``dsg_balance_gbp``, POSITIVE = deficit), so
    ``start_fy`` must be a year with balances. ``gap_basis`` and ``actual_funding_until``:
    see the module doc (``funding_growth`` then covers only the years after
    ``actual_funding_until``). ``include_start`` adds the start year as a row. Columns: unit,
    fy, fy_start, funding_gbp, spend_gbp, gap_gbp, balance_gbp, dsg_total_gbp,
    balance_pct_of_dsg, spend_growth_rate.
    """
    if funding_measure not in MEASURES or funding_measure in COUNT_MEASURES:
        raise ValueError(f"funding_measure {funding_measure!r} is not a money measure of {list(MEASURES)}")
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1, got {horizon}")
    start = _start_values(panel, start_fy, funding_measure)
    offsets = _gap_offsets(panel, start_fy, start, gap_basis)
    spend_rates = _spend_growth_rates(panel, start_fy, spend_rule, trend_years)
    funding_rates, dsg_rates = (
        _funding_rates(panel, column, start_fy, horizon, funding_growth, actual_funding_until).reindex(start.index)
        for column in (MEASURES[funding_measure], "dsg_total_gbp")
    )
    frames = []
    for unit, row in start.iterrows():
        frame = project_unit(start_fy, horizon, row["funding0"], row["spend0"], row["balance0"],
                             funding_rates.loc[unit].tolist(), spend_rates[unit], offsets[unit])
        frame["dsg_total_gbp"] = project_funding(row["dsg0"], dsg_rates.loc[unit].tolist())
        if include_start:
            frame = pd.concat([_start_row(start_fy, row, offsets[unit]), frame], ignore_index=True)
        frame.insert(0, "unit", unit)
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


def backtest_guidance(
    panel: pd.DataFrame, base_fy: str, first: float, after: float, measure: str = "hnb_before_deductions"
) -> pd.DataFrame:
    """:func:`backtest_funding_assumption` of the guidance rates (:func:`guidance_rates`) over
    every year after ``base_fy`` up to the last with allocations."""
    last_fy = years_with_values(panel, MEASURES[measure])[-1]
    return backtest_funding_assumption(panel, base_fy, guidance_rates(base_fy, last_fy, first, after), measure)


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


def guidance_rates(base_fy: str, last_fy: str, first: float, after: float) -> dict[str, float]:
    """Assumed funding growth by FY: ``first`` in the year after ``base_fy``, ``after`` in each
    later year up to ``last_fy`` (the June 2022 guidance: base 2022-23, 5% then 3%); empty
    when ``last_fy`` is not after ``base_fy``."""
    base = fy_start(base_fy)
    return {fy_label(year): first if year == base + 1 else after for year in range(base + 1, fy_start(last_fy) + 1)}


def years_with_values(panel: pd.DataFrame, column: str) -> list[str]:
    """The panel's FYs in which ``column`` is known for at least one unit, in order."""
    require_panel_columns(panel, ["fy", column])
    return sorted(panel.loc[panel[column].notna(), "fy"].astype(str).unique(), key=fy_start)


_VALUE_COLUMNS = ["funding_gbp", "spend_gbp", "gap_gbp", "balance_gbp", "dsg_total_gbp"]


def national_projection(projection: pd.DataFrame) -> pd.DataFrame:
    """Sums per FY of a ``project_all`` table over the units whose funding, spend, gap, balance
    and total DSG are known in every year (n_units of them, the same set every year);
    balance_pct_of_dsg = 100 * sum of balances / sum of total DSG. Columns: fy, fy_start,
    n_units, funding_gbp, spend_gbp, gap_gbp, balance_gbp, dsg_total_gbp, balance_pct_of_dsg."""
    require_panel_columns(projection, ["unit", "fy", "fy_start", *_VALUE_COLUMNS])
    complete = projection[_VALUE_COLUMNS].notna().all(axis=1).groupby(projection["unit"]).all()
    kept = projection.loc[projection["unit"].isin(complete.index[complete])]
    table = kept.groupby(["fy", "fy_start"], sort=True)[_VALUE_COLUMNS].sum().reset_index()
    table.insert(2, "n_units", kept["unit"].nunique())
    table["balance_pct_of_dsg"] = 100 * table["balance_gbp"] / table["dsg_total_gbp"]
    return table.astype({"fy": "string", "fy_start": "int64", "n_units": "int64"}).sort_values(
        "fy_start", ignore_index=True)


def units_over_threshold(projection: pd.DataFrame, threshold_pct_of_dsg: float) -> pd.DataFrame:
    """The units whose balance_pct_of_dsg exceeds the threshold in at least one year: unit,
    first_fy_over, n_years_over, then balance_pct_of_dsg in every FY (one column per FY
    label); sorted by first_fy_over, then unit."""
    require_panel_columns(projection, ["unit", "fy", "fy_start", "balance_pct_of_dsg"])
    over = projection.loc[projection["balance_pct_of_dsg"].gt(threshold_pct_of_dsg)]
    summary = over.sort_values("fy_start").groupby("unit").agg(first_fy_over=("fy", "first"),
                                                               n_years_over=("fy", "size"))
    fys = projection.drop_duplicates("fy").sort_values("fy_start")["fy"].astype(str).tolist()
    wide = projection.pivot(index="unit", columns="fy", values="balance_pct_of_dsg")[fys]
    table = summary.join(wide).rename_axis("unit").reset_index()
    table = table.astype({"unit": "string", "first_fy_over": "string", "n_years_over": "int64"})
    table.columns = [str(c) for c in table.columns]
    return table.sort_values(["first_fy_over", "unit"], ignore_index=True)


def comparison_path(table: pd.DataFrame, base_fy: str, expected_col: str) -> pd.DataFrame:
    """National expected and actual totals per FY of a back-test table (its unit rows), over
    the units with both known in every year, starting with ``base_fy`` (expected = actual =
    the base value). Columns: fy, n_units, ``expected_col``, actual_gbp."""
    require_panel_columns(table, ["level", "unit", "fy", "base_gbp", expected_col, "actual_gbp"])
    units = table.loc[table["level"] == "unit"]
    known = units[[expected_col, "actual_gbp"]].notna().all(axis=1).groupby(units["unit"]).all()
    kept = units.loc[units["unit"].isin(known.index[known])]
    sums = kept.groupby("fy", sort=True)[[expected_col, "actual_gbp"]].sum().reset_index()
    first = kept.loc[kept["fy"] == kept["fy"].min()]
    base = first["base_gbp"].sum()
    path = pd.concat([pd.DataFrame({"fy": [base_fy], expected_col: [base], "actual_gbp": [base]}), sums],
                     ignore_index=True)
    path.insert(1, "n_units", kept["unit"].nunique())
    return path.astype({"fy": "string", "n_units": "int64", expected_col: "float64", "actual_gbp": "float64"})


def backtest_units(table: pd.DataFrame, fy: str) -> pd.DataFrame:
    """The unit rows of a back-test table in ``fy``."""
    return table.loc[(table["level"] == "unit") & (table["fy"] == fy)]


def backtest_summary(table: pd.DataFrame, fy: str, expected_col: str) -> dict[str, float]:
    """Headline numbers of one back-test year, keyed n_units, ``expected_col``, actual_gbp,
    difference_pct (the national row's) and, across units with both values,
    share_units_above (actual > expected) and median_unit_difference_pct."""
    rows = table.loc[table["fy"] == fy]
    national = rows.loc[rows["level"] == "national"]
    if len(national) != 1:
        raise ValueError(f"back-test table has {len(national)} national rows for {fy!r}; expected 1")
    units = backtest_units(table, fy).dropna(subset=[expected_col, "actual_gbp"])
    nat = national.iloc[0]
    return {
        "n_units": int(nat["n_units"]),
        expected_col: float(nat[expected_col]),
        "actual_gbp": float(nat["actual_gbp"]),
        "difference_pct": float(nat["difference_pct"]),
        "share_units_above": float((units["actual_gbp"] > units[expected_col]).mean()) if len(units) else np.nan,
        "median_unit_difference_pct": float(units["difference_pct"].median()) if len(units) else np.nan,
    }


#: The national inputs of a projection, in the order notebook 04 shows them.
INPUT_COLUMNS = ["hn_spend_gbp", "hnb_before_deductions_gbp", "hnb_after_deductions_gbp", "dsg_total_gbp",
                 "dsg_balance_gbp"]


def national_inputs(panel: pd.DataFrame) -> pd.DataFrame:
    """Per FY, the sum over units with a value of each of INPUT_COLUMNS (missing when no unit
    has one). Columns: fy, then INPUT_COLUMNS."""
    require_panel_columns(panel, ["fy", *INPUT_COLUMNS])
    table = panel.groupby("fy", sort=False)[INPUT_COLUMNS].sum(min_count=1).astype("float64")
    table = table.reset_index().astype({"fy": "string"})
    return table.sort_values("fy", key=lambda fys: fys.map(fy_start), ignore_index=True)


def guidance_projection(
    panel: pd.DataFrame, start_fy: str, horizon: int, backtest_base_fy: str, funding_growth_first: float,
    funding_growth_after: float, spend_rule: str = "own_trend", trend_years: int = 3, gap_basis: str = "observed",
) -> pd.DataFrame:
    """:func:`project_all` on the June 2022 guidance path (:func:`guidance_rates`): allocations
    actual to ``backtest_base_fy``, then ``funding_growth_first`` and ``funding_growth_after`` a
    year; the start year included."""
    last_fy = fy_label(fy_start(start_fy) + horizon)
    rates = guidance_rates(backtest_base_fy, last_fy, funding_growth_first, funding_growth_after)
    return project_all(panel, start_fy, horizon, rates, spend_rule=spend_rule, trend_years=trend_years,
                       gap_basis=gap_basis, actual_funding_until=backtest_base_fy, include_start=True)


def projection_results(panel: pd.DataFrame, projection: pd.DataFrame, start_fy: str, trend_years: int) -> dict[str, object]:
    """The headline numbers of a projection (national sums over the councils known every year):
    balances, gaps, spend and funding in the start and last years, the national and median
    council spending growth rates."""
    national = national_projection(projection)
    start, final = national.iloc[0], national.iloc[-1]
    unit_rates = projection.drop_duplicates("unit")["spend_growth_rate"]
    return {
        "last_projected_fy": str(final["fy"]), "projection_n_units": int(start["n_units"]),
        "national_balance_start_gbp": float(start["balance_gbp"]),
        "national_balance_start_pct_of_dsg": float(start["balance_pct_of_dsg"]),
        "national_balance_final_gbp": float(final["balance_gbp"]),
        "national_balance_final_pct_of_dsg": float(final["balance_pct_of_dsg"]),
        "national_gap_start_gbp": float(start["gap_gbp"]), "national_gap_final_gbp": float(final["gap_gbp"]),
        "national_raw_gap_start_gbp": float(start["spend_gbp"] - start["funding_gbp"]),
        "national_spend_final_gbp": float(final["spend_gbp"]), "national_funding_final_gbp": float(final["funding_gbp"]),
        "national_spend_trend_rate": national_spend_trend_rate(panel, start_fy, trend_years),
        "median_unit_spend_growth_rate": float(unit_rates.median()),
    }


def threshold_results(over_by_year: pd.DataFrame, over: pd.DataFrame) -> dict[str, object]:
    """The counts of :func:`councils_over_threshold` (first and last year, every year) and of
    :func:`units_over_threshold` (councils over in at least one year)."""
    first, last = over_by_year.iloc[0], over_by_year.iloc[-1]
    return {
        "n_over_threshold_start": int(first["n_over"]), "n_known_start": int(first["n_known"]),
        "n_over_threshold_final": int(last["n_over"]), "n_known_final": int(last["n_known"]),
        "share_over_threshold_final": float(last["share_over"]), "n_over_threshold_ever": len(over),
        "n_over_threshold_by_fy": dict(zip(over_by_year["fy"].astype(str), over_by_year["n_over"].astype(int))),
    }


def funding_backtest_results(funding_test: pd.DataFrame, backtest_base_fy: str) -> dict[str, object]:
    """The funding back-test's first assumed year (the year after ``backtest_base_fy``): assumed
    and actual national growth, :func:`backtest_summary` as ``funding_*``, actual growth by FY."""
    fy = fy_label(fy_start(backtest_base_fy) + 1)
    national = funding_test.loc[funding_test["level"] == "national"]
    first = national.loc[national["fy"] == fy].iloc[0]
    return {
        "funding_backtest_fy": fy, "funding_assumed_growth": float(first["assumed_growth"]),
        "funding_actual_growth": float(first["actual_growth"]),
        "funding_actual_growth_by_fy": dict(zip(national["fy"].astype(str), national["actual_growth"].astype(float))),
        **{f"funding_{key}": value for key, value in backtest_summary(funding_test, fy, "assumed_gbp").items()},
    }


def spend_backtest_results(spend_test: pd.DataFrame) -> dict[str, object]:
    """The spending back-test's first and last years: the national difference in the first,
    :func:`backtest_summary` of the last as ``spend_*``."""
    fys = sorted(spend_test["fy"].astype(str).unique(), key=fy_start)
    return {
        "spend_backtest_first_fy": fys[0], "spend_backtest_final_fy": fys[-1],
        "spend_first_difference_pct": backtest_summary(spend_test, fys[0], "projected_gbp")["difference_pct"],
        **{f"spend_{key}": value for key, value in backtest_summary(spend_test, fys[-1], "projected_gbp").items()},
    }


def _setting_problems(
    spend_rule: str, gap_basis: str, horizon: int, trend_years: int, growth_rates: Mapping[str, float]
) -> list[str]:
    """Problems of the settings on their own (no data needed)."""
    problems = []
    if spend_rule not in SPEND_RULES:
        problems.append(f"spend_rule {spend_rule!r} is not one of {list(SPEND_RULES)}")
    if gap_basis not in GAP_BASES:
        problems.append(f"gap_basis {gap_basis!r} is not one of {list(GAP_BASES)}")
    for name, value in (("horizon", horizon), ("trend_years", trend_years)):
        if value < 1:
            problems.append(f"{name} must be at least 1, got {value}")
    for name, value in growth_rates.items():
        if value <= -1:
            problems.append(f"{name} must be above -1 (a fall of 100%), got {value}")
    return problems


def _start_year_problems(panel: pd.DataFrame, start_fy: str, trend_years: int, gap_basis: str) -> list[str]:
    """Problems of ``start_fy`` with the data: DSG balances in it (and the year before for
    gap_basis "observed"), outturn in it and ``trend_years`` before it."""
    problems = []
    start = fy_start(start_fy)
    balances = years_with_values(panel, "dsg_balance_gbp")
    if start_fy not in balances:
        problems.append(f"start_fy {start_fy!r} has no DSG balance; years with balances: {', '.join(balances)}")
    elif gap_basis == "observed" and fy_label(start - 1) not in balances:
        problems.append(
            f"gap_basis 'observed' needs the DSG balance of the year before start_fy ({fy_label(start - 1)}), "
            f"which is missing; choose a later start_fy or gap_basis 'raw'"
        )
    spend = years_with_values(panel, "hn_spend_gbp")
    needed = [fy_label(start - max(trend_years, 0)), start_fy]
    if any(fy not in spend for fy in needed):
        problems.append(
            f"spend growth over trend_years={trend_years} to {start_fy} needs outturn in {' and '.join(needed)}; "
            f"spend is known for {spend[0]} to {spend[-1]}"
        )
    return problems


def _base_year_problems(
    panel: pd.DataFrame, start_fy: str, backtest_base_fy: str, funding_measures: Sequence[str]
) -> list[str]:
    """Problems of ``backtest_base_fy``: allocations in it and the year after; not before start_fy."""
    problems = []
    known = [set(years_with_values(panel, MEASURES[measure])) for measure in funding_measures]
    allocations = sorted(set.intersection(*known), key=fy_start)
    if backtest_base_fy not in allocations or fy_label(fy_start(backtest_base_fy) + 1) not in allocations:
        problems.append(
            f"backtest_base_fy {backtest_base_fy!r} needs allocations in it and the year after; "
            f"allocations are known for {', '.join(allocations)}"
        )
    if fy_start(start_fy) > fy_start(backtest_base_fy):
        problems.append(f"start_fy {start_fy!r} must not come after backtest_base_fy {backtest_base_fy!r}")
    return problems


def check_projection_parameters(
    panel: pd.DataFrame,
    parameters: Mapping[str, Any],
    funding_measures: Sequence[str] = ("hnb_after_deductions", "hnb_before_deductions"),
) -> None:
    """Raise one ParameterError listing every problem of notebook 04's projection + back-test
    ``parameters`` (start_fy, horizon, spend_rule, trend_years, gap_basis, backtest_base_fy,
    funding_growth_first, funding_growth_after): unknown spend_rule/gap_basis, horizon or
    trend_years below 1, a growth rate <= -100%, a start_fy without DSG balances (or, for
    gap_basis "observed", without balances the year before), outturn missing in start_fy or
    trend_years before it, a backtest_base_fy without allocations in it and the year after, or
    a start_fy after backtest_base_fy."""
    start_fy, horizon, spend_rule, trend_years, gap_basis, backtest_base_fy = (parameters[name] for name in (
        "start_fy", "horizon", "spend_rule", "trend_years", "gap_basis", "backtest_base_fy"))
    funding_growth_first, funding_growth_after = parameters["funding_growth_first"], parameters["funding_growth_after"]
    growth_rates = {"funding_growth_first": funding_growth_first, "funding_growth_after": funding_growth_after}
    problems = [
        *_setting_problems(spend_rule, gap_basis, horizon, trend_years, growth_rates),
        *_start_year_problems(panel, start_fy, trend_years, gap_basis),
        *_base_year_problems(panel, start_fy, backtest_base_fy, funding_measures),
    ]
    if problems:
        raise ParameterError("; ".join(problems))
