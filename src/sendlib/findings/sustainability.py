"""What notebook 04 states about the projection of high-needs deficits under the June 2022
funding assumptions and its back-test, built from the numbers of
:mod:`sendlib.analysis.projections` (``results``: the notebook's results.json as a mapping),
and the tables it shows, in words and units a reader uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from sendlib.present.readable import NO_DATA, format_pct, gbp_bn, markdown_table, years_span

#: The national inputs (analysis.projections.INPUT_COLUMNS) in words.
INPUT_HEADINGS = {
    "hn_spend_gbp": "High-needs spending (S251 lines 1.2.x)",
    "hnb_before_deductions_gbp": "High needs block before deductions",
    "hnb_after_deductions_gbp": "High needs block after deductions",
    "dsg_total_gbp": "Total DSG",
    "dsg_balance_gbp": "Cumulative DSG balance (positive = deficit)",
}
#: The projected series in the national figure, in words.
PROJECTION_SERIES = {"funding_gbp": "funding (high needs block after deductions)",
                     "spend_gbp": "spending (S251 lines 1.2.x)", "balance_gbp": "cumulative DSG deficit"}


def _pct(share: object, signed: bool = False) -> str:
    """A fraction as a percentage ("no data" when missing)."""
    text = format_pct(share, signed=signed)
    return NO_DATA if text == "not available" else text


def spend_rule_words(results: Mapping[str, Any]) -> str:
    """How spending grows: "each council's own 3-year trend (median 11.1% a year)" or "the
    national 3-year trend (11.1% a year)"."""
    years = results["trend_years"]
    if results["spend_rule"] == "own_trend":
        return f"each council's own {years}-year trend (median {_pct(results['median_unit_spend_growth_rate'])} a year)"
    return f"the national {years}-year trend ({_pct(results['national_spend_trend_rate'])} a year)"


def projection_finding(results: Mapping[str, Any]) -> str:
    """The projection's finding and how its in-year gap starts (Markdown)."""
    r = results
    return (
        f"**Finding.** With funding actual to {r['backtest_base_fy']}, then {_pct(r['funding_growth_first'], True)} "
        f"and {_pct(r['funding_growth_after'], True)} a year, and spending growing at {spend_rule_words(r)}, the "
        f"cumulative DSG deficit of the {r['projection_n_units']} councils goes from "
        f"{gbp_bn(r['national_balance_start_gbp'])} at the end of {r['start_fy']} "
        f"({r['national_balance_start_pct_of_dsg']:.1f}% of their total DSG) to {gbp_bn(r['national_balance_final_gbp'])} "
        f"by the end of {r['last_projected_fy']} ({r['national_balance_final_pct_of_dsg']:.1f}%); the in-year gap is "
        f"then {gbp_bn(r['national_gap_final_gbp'])} a year, with spending at {gbp_bn(r['national_spend_final_gbp'])} "
        f"against funding of {gbp_bn(r['national_funding_final_gbp'])} (national spending trend: "
        f"{_pct(r['national_spend_trend_rate'])} a year).\n\n"
        f"**Gap basis.** In {r['start_fy']}, spending minus funding was {gbp_bn(r['national_raw_gap_start_gbp'], True)} "
        f"nationally, while the in-year gap the projection starts from ({r['gap_basis']}) is "
        f"{gbp_bn(r['national_gap_start_gbp'], True)}."
    )


def threshold_finding(results: Mapping[str, Any]) -> str:
    """How many councils pass the deficit threshold at the start, at the end, and ever (Markdown)."""
    r = results
    return (
        f"**Finding.** At the end of {r['start_fy']}, {r['n_over_threshold_start']} of {r['n_known_start']} councils "
        f"had a cumulative deficit above {r['threshold_pct']:g}% of their DSG; under these assumptions "
        f"{r['n_over_threshold_final']} of {r['n_known_final']} would by {r['last_projected_fy']} "
        f"({_pct(r['share_over_threshold_final'])}), and {r['n_over_threshold_ever']} pass it in at least one year."
    )


def funding_backtest_finding(results: Mapping[str, Any]) -> str:
    """Assumed against actual allocations in the first assumed year (Markdown)."""
    r = results
    return (
        f"**Finding.** Actual national high-needs block allocations (before deductions, {r['funding_n_units']} "
        f"councils) grew {_pct(r['funding_actual_growth'])} in {r['funding_backtest_fy']} against the "
        f"{_pct(r['funding_assumed_growth'])} assumed: {gbp_bn(r['funding_actual_gbp'])} instead of "
        f"{gbp_bn(r['funding_assumed_gbp'])} ({_pct(r['funding_difference_pct'], True)}). "
        f"{_pct(r['funding_share_units_above'])} of councils received more than the assumption (median council "
        f"{_pct(r['funding_median_unit_difference_pct'], True)})."
    )


def spend_backtest_finding(results: Mapping[str, Any]) -> str:
    """Projected against actual outturn in the last year with outturn (Markdown)."""
    r = results
    return (
        f"**Finding.** Projected from {r['start_fy']} at {spend_rule_words(r)}, national high-needs outturn in "
        f"{r['spend_backtest_final_fy']} would have been {gbp_bn(r['spend_projected_gbp'])} ({r['spend_n_units']} "
        f"councils); actual outturn was {gbp_bn(r['spend_actual_gbp'])} ({_pct(r['spend_difference_pct'], True)}; "
        f"{_pct(r['spend_first_difference_pct'], True)} already in {r['spend_backtest_first_fy']}). Actual outturn "
        f"exceeded the projection in {_pct(r['spend_share_units_above'])} of councils (median council "
        f"{_pct(r['spend_median_unit_difference_pct'], True)})."
    )


def inputs_table(inputs: pd.DataFrame) -> str:
    """The national inputs by FY in £bn (Markdown), and under it the years each input covers
    (why a cell reads "no data")."""
    shown = pd.DataFrame({"Financial year": inputs["fy"].astype(str)})
    notes = []
    for column, heading in INPUT_HEADINGS.items():
        shown[heading] = inputs[column].map(gbp_bn)
        years = inputs.loc[inputs[column].notna(), "fy"].astype(str).tolist()
        notes.append(f"{heading}: {years_span(years)} in the files we read.")
    return markdown_table(shown, ["Sums over the councils with a value; \"no data\": no council has one that year.",
                                  *notes])


def projection_path(national: pd.DataFrame) -> pd.DataFrame:
    """The national projection's funding, spending and deficit, long (fy, series in words,
    gbp_bn), for the figure."""
    path = national.melt(id_vars="fy", value_vars=list(PROJECTION_SERIES), var_name="series", value_name="gbp")
    return path.assign(gbp_bn=path["gbp"] / 1e9, series=path["series"].map(PROJECTION_SERIES))


def projection_table(national: pd.DataFrame, start_fy: str) -> str:
    """The national projection by FY (Markdown): councils, funding, spending, in-year gap,
    cumulative deficit in £bn and as a share of total DSG; the start year marked observed."""
    shown = pd.DataFrame({
        "Financial year": [f"{fy} (observed)" if fy == start_fy else str(fy) for fy in national["fy"]],
        "Councils": national["n_units"].astype(int).astype(str),
        "Funding (block after deductions)": national["funding_gbp"].map(gbp_bn),
        "Spending (S251 lines 1.2.x)": national["spend_gbp"].map(gbp_bn),
        "In-year gap": national["gap_gbp"].map(lambda v: gbp_bn(v, signed=True)),
        "Cumulative DSG deficit": national["balance_gbp"].map(gbp_bn),
        "Deficit as % of total DSG": national["balance_pct_of_dsg"].map(lambda v: _pct(v / 100)),
    })
    return markdown_table(shown, ["Every council known in every year is summed (the same councils each year)."])


def _council(name: object, unit: object) -> str:
    """A council's name, with its 3-digit code (merged units have no code anyone uses)."""
    code = str(unit)
    return f"{name} ({code})" if code.isdigit() else str(name)


def over_threshold_table(over: pd.DataFrame, fys: Sequence[str], threshold_pct: float) -> str:
    """Every council over the threshold in at least one year (Markdown; the whole list, none cut):
    the year it first passes it, how many years, and its deficit as % of its DSG each year."""
    shown = pd.DataFrame({
        "Council": [_council(name, unit) for name, unit in zip(over["unit_name"], over["unit"])],
        "First year over": over["first_fy_over"].astype(str),
        "Years over": over["n_years_over"].astype(int).astype(str),
        **{fy: over[fy].map(lambda v: _pct(v / 100)) for fy in fys},
    })
    note = (f"All {len(over)} councils whose cumulative DSG deficit passes {threshold_pct:g}% of their total DSG in "
            "at least one year; each year: the deficit as % of total DSG (negative: a surplus).")
    return markdown_table(shown, [note])


def backtest_table(test: pd.DataFrame, expected_col: str, expected_words: str) -> str:
    """The national rows of a back-test (Markdown): councils, expected (``expected_words``) and
    actual in £bn, and actual above (+) or below (-) expected."""
    national = test.loc[test["level"] == "national"]
    shown = pd.DataFrame({
        "Financial year": national["fy"].astype(str),
        "Councils": national["n_units"].astype(int).astype(str),
        expected_words.capitalize(): national[expected_col].map(gbp_bn),
        "Actual": national["actual_gbp"].map(gbp_bn),
        "Actual above (+) or below (-)": national["difference_pct"].map(lambda v: _pct(v, signed=True)),
    })
    return markdown_table(shown)


def in_bn(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """``frame`` with ``columns`` (GBP) in £bn, for a figure's axis."""
    return frame.assign(**{column: frame[column] / 1e9 for column in columns})

