"""One council's profile: its harmonised unit, comparator units, its rank among them, its
allocation, DSG balance and programmes, and its high-needs projection under the funding
assumptions of DfE's June 2022 guidance (numbers and frames only: the sentences and readable
tables are in sendlib.findings.council, the figures in sendlib.present.council_figures).

Definitions:

- a council is shown as its harmonised unit (Cumberland -> ``cumbria``), since the panel is per unit;
- spend per head 2-18 = S251 high-needs outturn / population aged 2-18 (complete spend only);
  EHC plan rate = EHC plans (January ``fy_start + 1``) per 10,000 population aged 0-25;
- "stat_neighbours" comparators (the default): the council's ten DfE statistical neighbours in
  the ``sn_model`` model ("2025" or "2021"), mapped onto units by sendlib.neighbours.neighbour_units
  (a merged neighbour -> its unit, counted once; a neighbour in the council's own unit left out);
- "nearest" comparators: every unit with both baseline features is standardised
  (z = (x - mean) / sd, sd with ddof=0); the distance to the subject is Euclidean over the
  z-scores; the ``n`` smallest distances win, ties broken by unit id;
- rank 1 = the highest value of the group (subject + comparators); rank = 1 + number of
  units with a strictly higher value; only units with a value are ranked;
- projection (see :func:`guidance_projection`): analysis.projections.project_all from the
  last year with a DSG balance, the in-year gap anchored on that year's observed change in
  the balance; funding grows as the unit's allocation did in years already allocated in
  June 2022, then at the assumed rates; spend at the unit's own S251 trend.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sendlib.analysis.groups import CLAIMED_MEMBERSHIP
from sendlib.analysis.growth import unit_growth
from sendlib.analysis.measures import COMPLETENESS_FLAGS, measure_values, require_panel_columns
from sendlib.analysis.projections import project_all
from sendlib.errors import ParameterError
from sendlib.geography import resolve_la
from sendlib.memo import memoised
from sendlib.neighbours import neighbour_units
from sendlib.programmes import ANNOUNCEMENT, membership_as_at
from sendlib.years import fy_label, fy_range, fy_start

COMPARATOR_METHODS = ("stat_neighbours", "region", "la_type", "nearest")
#: Statistical-neighbour models (sendlib.neighbours): the 2025 model and the April 2021 one.
SN_MODELS = ("2025", "2021")
SN_NEIGHBOURS = 10  # neighbours per council in each model
#: Comparator method -> the panel column its units must share with the subject.
SHARED_COLUMNS = {"region": "region_name", "la_type": "la_type"}
#: Feature column -> label, for comparator selection and ranking.
FEATURE_LABELS: dict[str, str] = {
    "spend_per_head_2_18_gbp": "high-needs spend per head aged 2-18 (GBP)",
    "ehcp_per_10k_0_25": "EHC plans per 10,000 aged 0-25",
}
RANK_LABELS: dict[str, str] = {"spend_growth": "high-needs spend growth (cash)", **FEATURE_LABELS}
#: The first year the June 2022 guidance assumed a funding rise for (later years take the "after" rate).
GUIDANCE_FIRST_FY = "2023-24"
FUNDING_COLUMN = "hnb_after_deductions_gbp"
BALANCE_COLUMN = "dsg_balance_gbp"
SPEND_TREND_YEARS = 3
PER_10K = 10_000


@dataclass(frozen=True)
class CouncilUnit:
    """A council and the harmonised unit it is profiled through."""

    la_code: str
    la_name: str
    unit: str
    unit_name: str
    member_la_codes: tuple[str, ...]
    member_la_names: tuple[str, ...]
    ons_codes: tuple[str, ...] = ()  # every ONS code the council has had

    @property
    def merged(self) -> bool:
        """True when the unit joins several LAs (so the profile is not of the council alone)."""
        return len(self.member_la_codes) > 1


def council_unit(lookup: pd.DataFrame, la: str) -> CouncilUnit:
    """The council ``la`` (3-digit code, ONS code or name) and its unit, from the la_lookup table.
    Unknown council: ParameterError with suggestions."""
    require_panel_columns(lookup, ["la_code", "la_name", "unit", "unit_name"])
    la_code = resolve_la(str(la), lookup)
    row = lookup.loc[lookup["la_code"] == la_code].iloc[0]
    members = lookup.loc[lookup["unit"] == row["unit"]].sort_values("la_code")
    return CouncilUnit(
        la_code=la_code,
        la_name=str(row["la_name"]),
        unit=str(row["unit"]),
        unit_name=str(row["unit_name"]),
        member_la_codes=tuple(members["la_code"].astype(str)),
        member_la_names=tuple(members["la_name"].astype(str)),
        ons_codes=tuple(str(row["ons_codes"]).split(";")) if "ons_codes" in lookup.columns else (),
    )


def complete_spend(panel: pd.DataFrame, basis: str = "cash", denominator: str = "total") -> pd.Series:
    """High-needs spend per panel row, missing where the unit's reporting is incomplete."""
    flag = COMPLETENESS_FLAGS["hn_spend"]
    require_panel_columns(panel, [flag])
    values = measure_values(panel, "hn_spend", basis, denominator)
    return values.where(panel[flag].astype("boolean").eq(True).to_numpy())


def ehcp_rate_per_10k(panel: pd.DataFrame) -> pd.Series:
    """EHC plans per 10,000 population aged 0-25, per panel row (missing without a population)."""
    return (measure_values(panel, "ehcp", "cash", "per_head_0_25") * PER_10K).rename("ehcp_per_10k_0_25")


def unit_features(panel: pd.DataFrame, fy: str) -> pd.DataFrame:
    """Per unit (index, sorted) in ``fy``: spend_per_head_2_18_gbp and ehcp_per_10k_0_25."""
    features = group_series(panel, panel["unit"].astype(str).unique(), [fy]).set_index("unit")
    return features[list(FEATURE_LABELS)].rename_axis("unit")


def standardised_distances(features: pd.DataFrame, subject: str) -> pd.Series:
    """Euclidean distance of every unit to ``subject`` over z-scored features (ddof=0), z-scores
    taken over the units with every feature known; NaN for the others (and all NaN when the
    subject lacks a feature)."""
    known = features.dropna()
    spread = known.std(ddof=0).replace(0.0, np.nan)
    z = (known - known.mean()) / spread
    z = z.fillna(0.0)  # a constant feature separates nobody
    if subject not in z.index:
        return pd.Series(np.nan, index=features.index, name="distance", dtype="float64")
    distance = np.sqrt(((z - z.loc[subject]) ** 2).sum(axis=1))
    return distance.reindex(features.index).rename("distance").astype("float64")


def select_comparators(
    panel: pd.DataFrame, subject: str, method: str, n_nearest: int, baseline_fy: str,
    neighbours: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The subject's comparator units (the subject itself excluded).

    ``stat_neighbours``: the units of ``neighbours`` (sendlib.neighbours.neighbour_units output),
    in rank order, with its columns rank, neighbour_la_code, neighbour_name, closeness and note;
    ``region``/``la_type``: every unit sharing the subject's region_name / la_type, sorted by
    unit; ``nearest``: the ``n_nearest`` units closest in ``baseline_fy`` features (see module
    doc), sorted by distance then unit. Columns: unit, unit_name, distance (NaN unless nearest).
    """
    require_panel_columns(panel, ["unit", "unit_name", "fy", "region_name", "la_type"])
    if method not in COMPARATOR_METHODS:
        raise ValueError(f"unknown comparator method {method!r}; choose one of {list(COMPARATOR_METHODS)}")
    units = panel.drop_duplicates("unit").set_index("unit")[["unit_name", "region_name", "la_type"]].sort_index()
    if subject not in units.index:
        raise ValueError(f"unit {subject!r} is not in the panel")
    extra: list[str] = []
    if method == "stat_neighbours":
        if neighbours is None:
            raise ValueError("comparators 'stat_neighbours' needs the council's neighbours (neighbour_units output)")
        unknown = sorted(set(neighbours["unit"]) - set(units.index))
        if unknown:
            raise ValueError(f"neighbour unit(s) {unknown} are not in the panel")
        extra = ["rank", "neighbour_la_code", "neighbour_name", "closeness", "note"]
        chosen = neighbours.loc[neighbours["unit"] != subject, ["unit", *extra]].assign(distance=np.nan)
    elif method == "nearest":
        distance = standardised_distances(unit_features(panel, baseline_fy), subject)
        chosen = distance.drop(subject).dropna().reset_index().sort_values(["distance", "unit"], kind="stable")
        chosen = chosen.head(n_nearest)
    else:
        column = SHARED_COLUMNS[method]
        same = units.index[(units[column] == units.loc[subject, column]) & (units.index != subject)]
        chosen = pd.DataFrame({"unit": same, "distance": np.nan})
    chosen["unit_name"] = chosen["unit"].map(units["unit_name"])
    return chosen[["unit", "unit_name", "distance", *extra]].astype(
        {"unit": "string", "unit_name": "string", "distance": "float64"}
    ).reset_index(drop=True)


def comparator_average(series: pd.DataFrame, comparators: Collection[str], columns: Sequence[str],
                       label: str) -> pd.DataFrame:
    """Rows of a :func:`group_series` table for the comparators' average per year (simple mean
    over the comparators with a value, as LAIT shows it): fy, unit "", unit_name ``label``,
    each column's mean and ``n_<column>`` (how many had a value)."""
    rows = series.loc[series["unit"].isin(set(comparators))]
    grouped = rows.groupby("fy", sort=True)[list(columns)]
    average = grouped.mean().join(grouped.count().add_prefix("n_")).reset_index()
    average.insert(1, "unit", "")
    average.insert(2, "unit_name", label)
    return average.astype({"fy": "string", "unit": "string", "unit_name": "string"})


def latest_fy_with(panel: pd.DataFrame, columns: str | Sequence[str], up_to_fy: str) -> str | None:
    """The latest ``fy`` up to ``up_to_fy`` in which some row has every one of ``columns``
    (a name or a list) known; None if there is none."""
    columns = [columns] if isinstance(columns, str) else list(columns)
    require_panel_columns(panel, ["fy", *columns])
    years = panel.loc[panel[columns].notna().all(axis=1), "fy"].astype(str)
    years = [fy for fy in years.unique() if fy_start(fy) <= fy_start(up_to_fy)]
    return max(years, key=fy_start) if years else None


def group_values(
    panel: pd.DataFrame, units: Collection[str], first_fy: str, last_fy: str, level_fy: str
) -> pd.DataFrame:
    """Per unit of ``units`` (sorted): unit, unit_name, spend_growth (cash, ``first_fy`` ->
    ``last_fy``, from analysis.growth.unit_growth), spend_per_head_2_18_gbp and
    ehcp_per_10k_0_25 in ``level_fy``."""
    wanted = sorted(set(units))
    rows = panel.loc[panel["unit"].isin(wanted)]
    growth = unit_growth(rows, "hn_spend", "cash", "total", first_fy, last_fy).set_index("unit")["growth"]
    features = unit_features(rows, level_fy)
    names = panel.drop_duplicates("unit").set_index("unit")["unit_name"]
    frame = pd.DataFrame(
        {
            "unit": wanted,
            "unit_name": names.reindex(wanted).to_numpy(),
            "spend_growth": growth.reindex(wanted).to_numpy(),
            "spend_per_head_2_18_gbp": features["spend_per_head_2_18_gbp"].reindex(wanted).to_numpy(),
            "ehcp_per_10k_0_25": features["ehcp_per_10k_0_25"].reindex(wanted).to_numpy(),
        }
    )
    return frame.astype({"unit": "string", "unit_name": "string", **{c: "float64" for c in RANK_LABELS}})


def rank_of(values: pd.Series, subject: str) -> tuple[int | None, int]:
    """(rank, n): rank 1 = highest of the non-missing ``values`` (indexed by unit); the
    subject's rank is 1 + the number strictly higher, None when its value is missing."""
    known = values.dropna()
    if subject not in known.index:
        return None, len(known)
    return int((known > known.loc[subject]).sum()) + 1, len(known)


def rank_table(values: pd.DataFrame, subject: str) -> pd.DataFrame:
    """One row per ranked measure of ``group_values`` output: measure, label, subject_value,
    rank, n_ranked, group_median (over every ranked unit, subject included)."""
    indexed = values.set_index("unit")
    rows = []
    for measure, label in RANK_LABELS.items():
        rank, n_ranked = rank_of(indexed[measure], subject)
        rows.append(
            {
                "measure": measure,
                "label": label,
                "subject_value": indexed[measure].get(subject, np.nan),
                "rank": rank,
                "n_ranked": n_ranked,
                "group_median": indexed[measure].median(),
            }
        )
    table = pd.DataFrame(rows)
    return table.astype({"measure": "string", "label": "string", "subject_value": "float64", "rank": "Int64",
                         "n_ranked": "int64", "group_median": "float64"})


def unit_series(
    panel: pd.DataFrame, unit: str, columns: Mapping[str, str], fys: Collection[str] | None = None, scale: float = 1.0
) -> pd.DataFrame:
    """The unit's values over the years (all, or ``fys``) in long form: fy, series (the label
    of each column in ``columns``, label -> panel column), value (divided by ``scale``, e.g.
    1e6 for GBP million); missing values kept as NaN."""
    require_panel_columns(panel, ["unit", "fy", *columns.values()])
    rows = panel.loc[panel["unit"] == unit]
    if fys is not None:
        rows = rows.loc[rows["fy"].isin(set(fys))]
    rows = rows.sort_values("fy")
    frames = [
        pd.DataFrame({"fy": rows["fy"].astype(str).to_numpy(), "series": label,
                      "value": rows[column].astype("float64").to_numpy() / scale})
        for label, column in columns.items()
    ]
    return pd.concat(frames, ignore_index=True).astype({"fy": "string", "series": "string"})


def group_series(panel: pd.DataFrame, units: Collection[str], fys: Collection[str]) -> pd.DataFrame:
    """The ranked features of ``units`` in every year of ``fys``: fy, unit, unit_name,
    spend_per_head_2_18_gbp (complete spend only), ehcp_per_10k_0_25; sorted by unit, fy."""
    rows = panel.loc[panel["unit"].isin(set(units)) & panel["fy"].isin(set(fys))]
    frame = pd.DataFrame(
        {
            "fy": rows["fy"].astype(str).to_numpy(),
            "unit": rows["unit"].astype(str).to_numpy(),
            "unit_name": rows["unit_name"].astype(str).to_numpy(),
            "spend_per_head_2_18_gbp": complete_spend(rows, denominator="per_head_2_18").to_numpy(),
            "ehcp_per_10k_0_25": ehcp_rate_per_10k(rows).to_numpy(),
        }
    )
    frame = frame.astype({"fy": "string", "unit": "string", "unit_name": "string"})
    return frame.sort_values(["unit", "fy"], ignore_index=True)


def subject_summary(panel: pd.DataFrame, unit: str, first_fy: str, last_fy: str, level_fy: str) -> dict[str, float]:
    """The unit's headline numbers: spend (complete only) in cash and real terms in ``first_fy``
    and ``last_fy`` and its growth (``spend_growth_cash``, ``spend_growth_real``); EHC plans in
    both years and their growth; spend per head 2-18 and EHC plans per 10,000 aged 0-25 in
    ``level_fy``."""
    rows = panel.loc[panel["unit"] == unit].set_index("fy")
    cash, real = complete_spend(rows), complete_spend(rows, basis="real")
    plans = rows["ehcp_count"].astype("float64")
    features = unit_features(panel.loc[panel["unit"] == unit], level_fy).reindex([unit]).iloc[0]  # row by row
    summary = {
        "spend_first_gbp": cash.get(first_fy, np.nan), "spend_last_gbp": cash.get(last_fy, np.nan),
        "spend_real_first_gbp": real.get(first_fy, np.nan), "spend_real_last_gbp": real.get(last_fy, np.nan),
        "ehcp_first_count": plans.get(first_fy, np.nan), "ehcp_last_count": plans.get(last_fy, np.nan),
        "spend_per_head_2_18_gbp": features["spend_per_head_2_18_gbp"],
        "ehcp_per_10k_0_25": features["ehcp_per_10k_0_25"],
    }
    summary["spend_growth_cash"] = summary["spend_last_gbp"] / summary["spend_first_gbp"] - 1
    summary["spend_growth_real"] = summary["spend_real_last_gbp"] / summary["spend_real_first_gbp"] - 1
    summary["ehcp_growth"] = summary["ehcp_last_count"] / summary["ehcp_first_count"] - 1
    return {key: float(value) for key, value in summary.items()}


def guidance_projection(
    panel: pd.DataFrame, unit: str, start_fy: str, end_fy: str, first: float, after: float,
    first_assumed_fy: str = GUIDANCE_FIRST_FY, trend_years: int = SPEND_TREND_YEARS,
) -> pd.DataFrame:
    """The unit's high-needs projection from ``start_fy`` to ``end_fy`` beside what happened,
    computed by analysis.projections.project_all as notebook 04 does (so the two agree).

    Funding (high needs block after deductions) grows as the unit's allocation actually did
    in years before ``first_assumed_fy`` (already allocated when the guidance was written),
    then by ``first`` in ``first_assumed_fy`` and ``after`` later; total DSG likewise. Spend
    (S251 outturn) grows at the unit's own compound growth over ``trend_years`` to the start
    year. The in-year gap is anchored on the start year's observed change in the DSG balance
    (gap basis "observed": gap_k = gap_0 + (spend_k - spend_0) - (funding_k - funding_0)),
    since S251 spend leaves out place funding and is not on the allocation's basis.

    One row per year from ``start_fy`` (inputs) to ``end_fy``: fy, fy_start, funding_gbp,
    spend_gbp, gap_gbp, balance_gbp (POSITIVE = deficit), dsg_total_gbp,
    balance_pct_of_dsg, spend_growth_rate, funding_growth (year on year), actual_funding_gbp,
    spend_index_projected and spend_index_actual (S251 spend / start-year spend). Missing
    inputs give missing projections, never 0.
    """
    start, horizon = fy_start(start_fy), fy_start(end_fy) - fy_start(start_fy)
    if horizon < 1:
        raise ValueError(f"end_fy {end_fy!r} must come after start_fy {start_fy!r}")
    assumed = {fy: (first if fy == first_assumed_fy else after) for fy in fy_range(first_assumed_fy, end_fy)}
    projection = project_all(  # own-trend spend and own allocations: the unit's rows suffice
        panel.loc[panel["unit"] == unit], start_fy, horizon, assumed, spend_rule="own_trend", trend_years=trend_years,
        gap_basis="observed", actual_funding_until=fy_label(fy_start(first_assumed_fy) - 1), include_start=True,
    )
    table = projection.loc[projection["unit"] == unit].drop(columns="unit").reset_index(drop=True)
    rows = panel.loc[panel["unit"] == unit].set_index("fy_start").sort_index()
    spend = pd.Series(complete_spend(rows).to_numpy(), index=rows.index, dtype="float64")
    table["funding_growth"] = table["funding_gbp"] / table["funding_gbp"].shift() - 1
    table["actual_funding_gbp"] = rows[FUNDING_COLUMN].reindex(table["fy_start"]).to_numpy(dtype="float64")
    table["spend_index_projected"] = table["spend_gbp"] / table["spend_gbp"].iloc[0]
    table["spend_index_actual"] = spend.reindex(table["fy_start"]).to_numpy() / spend.get(start, np.nan)
    return table.astype({"fy": "string", "fy_start": "int64"})


def projection_start(panel: pd.DataFrame, last_fy: str) -> str | None:
    """The year a projection to ``last_fy`` starts from: the last year before it with a DSG balance."""
    return latest_fy_with(panel, BALANCE_COLUMN, fy_label(fy_start(last_fy) - 1))


def council_projection(panel: pd.DataFrame, unit: str, last_fy: str, first: float, after: float) -> pd.DataFrame:
    """:func:`guidance_projection` of the unit from :func:`projection_start` to ``last_fy``."""
    return guidance_projection(panel, unit, projection_start(panel, last_fy), last_fy, first, after)


def balance_paths(panel: pd.DataFrame, unit: str, projection: pd.DataFrame, first_fy: str,
                  last_fy: str) -> pd.DataFrame:
    """Observed and projected cumulative DSG balance in GBP million (POSITIVE = deficit), long
    form for plotting: fy, series ("observed" from ``first_fy`` to ``last_fy``, "projected" over
    the projection), value."""
    observed = unit_series(panel, unit, {"observed": BALANCE_COLUMN}, fy_range(first_fy, last_fy), scale=1e6)
    projected = pd.DataFrame({"fy": projection["fy"].astype(str), "series": "projected",
                              "value": projection["balance_gbp"].astype("float64") / 1e6})
    return pd.concat([observed, projected], ignore_index=True).astype({"fy": "string", "series": "string"})


def projection_summary(projection: pd.DataFrame, first_assumed_fy: str = GUIDANCE_FIRST_FY) -> dict[str, object]:
    """Headline numbers of a :func:`guidance_projection` table: start and end year, balance and
    balance % of DSG at both ends, the spend growth rate, the funding growth of every projected
    year (``funding_growth_by_fy``) and which of those years took actual allocations (those
    before ``first_assumed_fy``, ``actual_funding_years``), the actual allocation growth in
    ``first_assumed_fy`` (NaN when outside the projection or unknown), and the latest year with
    actual S251 spend with the projected and actual spend growth to it."""
    table = projection.set_index("fy")
    first, last = str(table.index[0]), str(table.index[-1])
    actual = table["actual_funding_gbp"].astype("float64")
    previous = fy_label(fy_start(first_assumed_fy) - 1)
    spend_known = table.index[table["spend_index_actual"].notna()]
    spend_fy = str(spend_known[-1]) if len(spend_known) > 1 else None
    return {
        "start_fy": first, "end_fy": last,
        "balance_start_gbp": float(table.loc[first, "balance_gbp"]),
        "balance_start_pct": float(table.loc[first, "balance_pct_of_dsg"]),
        "balance_end_gbp": float(table.loc[last, "balance_gbp"]),
        "balance_end_pct": float(table.loc[last, "balance_pct_of_dsg"]),
        "spend_growth_rate": float(table["spend_growth_rate"].iloc[0]),
        "funding_growth_by_fy": {str(fy): float(rate) for fy, rate in table["funding_growth"].iloc[1:].items()},
        "actual_funding_years": [str(fy) for fy in table.index[1:] if fy_start(str(fy)) < fy_start(first_assumed_fy)],
        "actual_funding_growth_first_assumed": float(
            actual.get(first_assumed_fy, np.nan) / actual.get(previous, np.nan) - 1
        ),
        "actual_spend_fy": spend_fy,
        "projected_spend_growth": float(table.loc[spend_fy, "spend_index_projected"] - 1) if spend_fy else np.nan,
        "actual_spend_growth": float(table.loc[spend_fy, "spend_index_actual"] - 1) if spend_fy else np.nan,
    }


@memoised
def programme_council_counts(programmes: pd.DataFrame, lookup: pd.DataFrame,
                             as_at: str | pd.Timestamp = ANNOUNCEMENT) -> dict[str, int]:
    """Councils on the known lists as at ``as_at`` (default the 23 June 2022 announcement;
    sendlib.programmes.membership_as_at): keys dbv, safety_valve, case_study_2022. The same for
    every council, so computed once per process for the tables' content (sendlib.memo)."""
    members = membership_as_at(programmes, lookup, as_at)
    return {flag: int(members[flag].sum()) for flag in ("dbv", "safety_valve", "case_study_2022")}


def programme_rows(programmes: pd.DataFrame, la_codes: Collection[str]) -> pd.DataFrame:
    """The programme table's rows for these LA codes: la_code, la_name, programme, group,
    amount_gbp, confidence, source, sorted by programme then la_code."""
    columns = ["la_code", "la_name", "programme", "group", "amount_gbp", "confidence", "source"]
    require_panel_columns(programmes, columns)
    rows = programmes.loc[programmes["la_code"].astype(str).isin(set(la_codes)), columns]
    return rows.sort_values(["programme", "la_code"], kind="stable").reset_index(drop=True)


def check_profile_parameters(panel: pd.DataFrame, parameters: Mapping[str, Any], *, la_lookup: pd.DataFrame,
                             stat_neighbours: pd.DataFrame | None = None) -> str:
    """Raise ParameterError for a combination of notebook 05's ``parameters`` (la, comparators,
    sn_model, n_nearest, baseline_fy, first_fy, last_fy, funding_growth_first,
    funding_growth_after) the data cannot answer; return the projection's start year (the last
    year with DSG balances before ``last_fy``). The council is found in ``la_lookup``; with
    comparators "stat_neighbours" and the ``stat_neighbours`` table, a council with no row in
    ``sn_model`` raises sendlib.neighbours.NoNeighboursError (a ParameterError naming the
    model that has its neighbours)."""
    council = council_unit(la_lookup, parameters["la"])
    unit, la_code = council.unit, council.la_code
    comparators, n_nearest, baseline_fy, first_fy, last_fy = (parameters[name] for name in (
        "comparators", "n_nearest", "baseline_fy", "first_fy", "last_fy"))
    funding_growth_first, funding_growth_after = parameters["funding_growth_first"], parameters["funding_growth_after"]
    sn_model = parameters.get("sn_model", SN_MODELS[0])
    fys = set(panel["fy"].astype(str))
    for name, fy in (("baseline_fy", baseline_fy), ("first_fy", first_fy), ("last_fy", last_fy)):
        if fy not in fys:
            raise ParameterError(f"{name} {fy!r} is not a year of the panel ({min(fys)} to {max(fys)})")
    if comparators not in COMPARATOR_METHODS:
        raise ParameterError(f"comparators must be one of {', '.join(COMPARATOR_METHODS)}; got {comparators!r}")
    if comparators == "stat_neighbours":
        if sn_model not in SN_MODELS:
            raise ParameterError(f"sn_model must be one of {', '.join(SN_MODELS)}; got {sn_model!r}")
        if stat_neighbours is not None:
            neighbour_units(stat_neighbours, la_lookup, la_code, sn_model)
    n_units = panel["unit"].nunique()
    if not 1 <= n_nearest < n_units:
        raise ParameterError(f"n_nearest must be between 1 and {n_units - 1} (the other units); got {n_nearest}")
    if comparators == "nearest":
        missing = unit_features(panel, baseline_fy).reindex([unit]).isna().iloc[0]
        if missing.any():
            raise ParameterError(
                f"comparators 'nearest' needs the unit's {' and '.join(missing.index[missing])} in baseline_fy "
                f"{baseline_fy!r}, which is missing; choose another baseline_fy or comparators 'region'/'la_type'"
            )
    if fy_start(first_fy) >= fy_start(last_fy):
        raise ParameterError(f"first_fy {first_fy!r} must come before last_fy {last_fy!r}")
    for name, rate in (("funding_growth_first", funding_growth_first), ("funding_growth_after", funding_growth_after)):
        if not rate > -1:
            raise ParameterError(f"{name} is a growth rate (0.05 = +5%) and must be above -1; got {rate}")
    start_fy = projection_start(panel, last_fy)
    if start_fy is None:
        balance_years = sorted(panel.loc[panel[BALANCE_COLUMN].notna(), "fy"].astype(str).unique())
        raise ParameterError(
            f"last_fy {last_fy!r} must come after a year with DSG balances (the projection starts there); "
            f"balances exist for {', '.join(balance_years) or 'no year'}"
        )
    return start_fy




# --- what a council's report reads and states, section by section ---------------------------------


#: The processed tables a council profile reads (sendlib.tables.read_table), besides those of
#: sendlib.analysis.placement.TABLES.
INPUT_TABLES = ("panel", "la_lookup", "stat_neighbours", "programmes")


@dataclass(frozen=True)
class ProfileInputs:
    """The tables a council profile reads: the panel, the LA lookup, the statistical neighbours,
    the curated programmes, the tables of the placement section (name -> table) and England's
    outcomes from the files' own England rows (sendlib.analysis.outcomes.national_outcomes)."""

    panel: pd.DataFrame
    lookup: pd.DataFrame
    stat_neighbours: pd.DataFrame
    programmes: pd.DataFrame
    placement_tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    national: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    @property
    def units(self) -> list[str]:
        """Every unit of the panel, sorted."""
        return sorted(self.panel["unit"].astype(str).unique())

    @property
    def unit_names(self) -> dict[str, str]:
        """Unit -> its name."""
        return dict(zip(self.panel["unit"].astype(str), self.panel["unit_name"].astype(str)))


def read_inputs() -> ProfileInputs:
    """The profile's tables, read from data/processed (each validated by sendlib.tables)."""
    from sendlib.analysis.outcomes import national_outcomes
    from sendlib.analysis.placement import TABLES
    from sendlib.tables import read_table

    panel, lookup, stat_neighbours, programmes = (read_table(name) for name in INPUT_TABLES)
    tables = {name: read_table(name) for name in TABLES}
    return ProfileInputs(panel, lookup, stat_neighbours, programmes, tables, national_outcomes(tables))


def checked_council(inputs: ProfileInputs, **parameters: Any) -> CouncilUnit:
    """The council of notebook 05's ``parameters`` (all of them, by name), once
    :func:`check_profile_parameters` has found nothing the data cannot answer."""
    check_profile_parameters(inputs.panel, parameters, la_lookup=inputs.lookup, stat_neighbours=inputs.stat_neighbours)
    return council_unit(inputs.lookup, parameters["la"])


def council_results(panel: pd.DataFrame, council: CouncilUnit, first_fy: str, last_fy: str) -> dict[str, Any]:
    """results.json's entries on who the report is about and its headline numbers: the council's
    codes, names and unit, region, type, the years, ``level_fy`` (the latest year with a
    population aged 2-18, for the per-head figures) and :func:`subject_summary`."""
    rows = panel[panel["unit"] == council.unit]
    level_fy = latest_fy_with(panel, "pop_2_18_count", last_fy)
    return {
        "la_code": council.la_code, "la_name": council.la_name, "ons_codes": list(council.ons_codes),
        "unit": council.unit, "unit_name": council.unit_name, "unit_la_codes": list(council.member_la_codes),
        "unit_is_merged": council.merged, "region": rows["region_name"].iloc[0], "la_type": rows["la_type"].iloc[0],
        "first_fy": first_fy, "last_fy": last_fy, "level_fy": level_fy,
        **subject_summary(panel, council.unit, first_fy, last_fy, level_fy),
    }


def comparators_for(inputs: ProfileInputs, council: CouncilUnit, method: str, sn_model: str, n_nearest: int,
                    baseline_fy: str) -> pd.DataFrame:
    """The council's comparator units (:func:`select_comparators`), its statistical neighbours in
    ``sn_model`` (sendlib.neighbours.neighbour_units) when ``method`` is "stat_neighbours"."""
    neighbours = (neighbour_units(inputs.stat_neighbours, inputs.lookup, council.la_code, sn_model)
                  if method == "stat_neighbours" else None)
    return select_comparators(inputs.panel, council.unit, method, n_nearest, baseline_fy, neighbours)


def comparator_results(chosen: pd.DataFrame, method: str, sn_model: str) -> dict[str, Any]:
    """results.json's entries on the comparators: the method, the model (None unless
    statistical neighbours), how many and their units."""
    return {"comparators": method, "sn_model": sn_model if method == "stat_neighbours" else None,
            "n_comparators": len(chosen), "comparator_units": list(chosen["unit"])}


#: The spending series of the report's first figure: label -> panel column (cash, real terms).
SPENDING_SERIES = {"cash": "hn_spend_gbp", "real terms (2023-24 prices)": "hn_spend_real_gbp"}
#: The allocation against spending: label -> panel column.
ALLOCATION_SERIES = {"allocation (high needs block after deductions)": FUNDING_COLUMN,
                     "spending (S251 lines 1.2.x)": "hn_spend_gbp"}


def spending_series(panel: pd.DataFrame, unit: str, first_fy: str, last_fy: str) -> pd.DataFrame:
    """The unit's high-needs spending in cash and real terms, GBP million, ``first_fy`` to
    ``last_fy`` (:func:`unit_series`)."""
    return unit_series(panel, unit, SPENDING_SERIES, fy_range(first_fy, last_fy), 1e6)


def allocation_series(panel: pd.DataFrame, unit: str, first_fy: str, last_fy: str) -> pd.DataFrame:
    """The unit's high needs block allocation after deductions and its S251 spending, GBP
    million, ``first_fy`` to ``last_fy`` (:func:`unit_series`)."""
    return unit_series(panel, unit, ALLOCATION_SERIES, fy_range(first_fy, last_fy), 1e6)


def comparator_lines(panel: pd.DataFrame, unit: str, comparators: Collection[str], first_fy: str, last_fy: str,
                     average_label: str) -> pd.DataFrame:
    """:func:`group_series` of the unit and its comparators, ``first_fy`` to ``last_fy``, with
    the comparators' average per year as a unit named ``average_label`` (:func:`comparator_average`)."""
    series = group_series(panel, [unit, *comparators], fy_range(first_fy, last_fy))
    average = comparator_average(series, comparators, list(FEATURE_LABELS), average_label)
    return pd.concat([series, average], ignore_index=True)


@dataclass(frozen=True)
class Ranks:
    """The ranked measures of the subject and its comparators (``values``: :func:`group_values`)
    and the subject's rank on each (``table``: :func:`rank_table`)."""

    values: pd.DataFrame
    table: pd.DataFrame

    def results(self) -> dict[str, Any]:
        """results.json's entries: per measure ``rank_<m>``, ``n_ranked_<m>`` and
        ``comparator_median_<m>`` (the median over every ranked unit)."""
        found: dict[str, Any] = {}
        for row in self.table.itertuples():
            found.update({f"rank_{row.measure}": row.rank, f"n_ranked_{row.measure}": row.n_ranked,
                          f"comparator_median_{row.measure}": row.group_median})
        return found


def ranks(panel: pd.DataFrame, subject: str, comparators: Collection[str], first_fy: str, last_fy: str,
          level_fy: str | None) -> Ranks:
    """The :class:`Ranks` of ``subject`` among itself and ``comparators``: growth from ``first_fy``
    to ``last_fy``, levels in ``level_fy``."""
    values = group_values(panel, [subject, *comparators], first_fy, last_fy, level_fy)
    return Ranks(values, rank_table(values, subject))


@dataclass(frozen=True)
class LatestAllocation:
    """The latest year (up to the report's last) with both an allocation after deductions and
    S251 spending, and both in GBP; ``fy`` None when no year has both."""

    fy: str | None
    allocation_gbp: float | None
    spend_gbp: float | None

    def results(self) -> dict[str, Any]:
        """results.json's ``allocation_fy``, ``allocation_gbp`` and ``spend_vs_allocation``
        (spending / allocation - 1)."""
        ratio = self.spend_gbp / self.allocation_gbp - 1 if self.fy else None
        return {"allocation_fy": self.fy, "allocation_gbp": self.allocation_gbp, "spend_vs_allocation": ratio}


def latest_allocation(panel: pd.DataFrame, unit: str, last_fy: str) -> LatestAllocation:
    """The unit's :class:`LatestAllocation` up to ``last_fy``."""
    columns = [FUNDING_COLUMN, "hn_spend_gbp"]
    rows = panel[panel["unit"] == unit].set_index("fy")
    fy = latest_fy_with(rows.reset_index(), columns, last_fy)
    if fy is None:
        return LatestAllocation(None, None, None)
    allocated, spent = rows.loc[fy, columns]
    return LatestAllocation(fy, allocated, spent)


@dataclass(frozen=True)
class DsgBalance:
    """The unit's years with a cumulative DSG balance (``rows``, index ``fy``: dsg_balance_gbp,
    positive = deficit, and dsg_balance_pct of total DSG) and the latest of them up to the
    report's last year (``fy`` None when none): the balance in GBP and as % of total DSG, and
    its rank among every unit with a balance that year by that % (1 = the largest deficit)."""

    rows: pd.DataFrame
    fy: str | None
    balance_gbp: float | None
    balance_pct: float | None
    rank: int | None
    n_ranked: int | None

    def results(self) -> dict[str, Any]:
        """results.json's ``balance_fy``, ``balance_gbp``, ``balance_pct``, ``rank_balance_pct``
        and ``n_ranked_balance_pct``."""
        return {"balance_fy": self.fy, "balance_gbp": self.balance_gbp, "balance_pct": self.balance_pct,
                "rank_balance_pct": self.rank, "n_ranked_balance_pct": self.n_ranked}


def dsg_balance(panel: pd.DataFrame, unit: str, last_fy: str) -> DsgBalance:
    """The unit's :class:`DsgBalance` up to ``last_fy``."""
    rows = panel[panel["unit"] == unit].set_index("fy")
    known = rows.loc[rows[BALANCE_COLUMN].notna(), [BALANCE_COLUMN, "dsg_balance_pct"]]
    fy = latest_fy_with(rows.reset_index(), BALANCE_COLUMN, last_fy)
    if fy is None:
        return DsgBalance(known, None, None, None, None, None)
    rank, n_ranked = rank_of(panel[panel["fy"] == fy].set_index("unit")["dsg_balance_pct"], unit)
    return DsgBalance(known, fy, rows.loc[fy, BALANCE_COLUMN], rows.loc[fy, "dsg_balance_pct"], rank, n_ranked)


#: The panel's programme flags of a unit (the same every year).
PROGRAMME_FLAGS = ("dbv", "dbv_tranche", "safety_valve", "safety_valve_year", "safety_valve_amount_gbp",
                   "case_study_2022")


def programme_flags(panel: pd.DataFrame, unit: str) -> dict[str, Any]:
    """The unit's PROGRAMME_FLAGS, from its first row of the panel."""
    require_panel_columns(panel, ["unit", *PROGRAMME_FLAGS])
    return panel.loc[panel["unit"] == unit, list(PROGRAMME_FLAGS)].iloc[0].to_dict()


def known_lists(programmes: pd.DataFrame, lookup: pd.DataFrame) -> dict[str, Any]:
    """How complete the curated programme lists are: councils on each list as at the June 2022
    announcement (:func:`programme_council_counts`: dbv, safety_valve, case_study_2022), how
    many DBV councils DfE announced (``claimed_dbv``) and the case-study councils named
    (``case_studies``)."""
    named = programmes.loc[programmes["programme"] == "case_study_2022", "la_name"]
    return {**programme_council_counts(programmes, lookup), "claimed_dbv": CLAIMED_MEMBERSHIP["dbv"],
            "case_studies": list(named)}


@dataclass(frozen=True)
class CouncilProgrammes:
    """A unit's rows of the curated programme lists (``membership``: :func:`programme_rows`), its
    programme flags (``flags``: :func:`programme_flags`) and how complete the lists are
    (``known``: :func:`known_lists`)."""

    membership: pd.DataFrame
    flags: Mapping[str, Any]
    known: Mapping[str, Any]

    def results(self) -> dict[str, Any]:
        """results.json's programme flags (PROGRAMME_FLAGS)."""
        return dict(self.flags)


def council_programmes(inputs: ProfileInputs, council: CouncilUnit) -> CouncilProgrammes:
    """The :class:`CouncilProgrammes` of the council's unit."""
    return CouncilProgrammes(programme_rows(inputs.programmes, council.member_la_codes),
                             programme_flags(inputs.panel, council.unit),
                             known_lists(inputs.programmes, inputs.lookup))


def projection_results(outlook: Mapping[str, Any]) -> dict[str, Any]:
    """results.json's ``projection_<key>`` entries of a :func:`projection_summary`."""
    return {f"projection_{key}": value for key, value in outlook.items()}
