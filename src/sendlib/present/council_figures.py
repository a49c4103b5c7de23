"""The council profile's figures (05_council_profile): one function per figure kind, each drawing
its figure in the house style (sendlib.present.plots) from frames of sendlib.analysis and
saving it with the CSV of its data, linked under it (plots.save_and_link). Titles and axis
labels are in words; the council is drawn in the highlight colour.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from sendlib.analysis import placement
from sendlib.analysis import programme_paths as paths
from sendlib.analysis.profile import Ranks
from sendlib.outputs import prepare_output_dir
from sendlib.present import plots
from sendlib.present.readable import capitalised
from sendlib.years import fy_label

NOTEBOOK = "05_council_profile"
FY_AXIS = "financial year"
#: Placement topic -> (figure title, x-axis label) of its figure of every year.
SECTION_FIGURES = {
    "placement": ("EHC plans in force by setting, each January", "January"),
    "new_plan_placement": ("New EHC plans by the setting named in them, each calendar year", "calendar year"),
    "process": ("New plans, requests, refusals, 20-week timeliness and tribunal appeals", "calendar year"),
}
#: Legend of the average of a programme council's statistical neighbours in no programme.
NEIGHBOURS_LABEL = "Neighbours in no programme (average)"
#: Measure of sendlib.analysis.profile.comparator_lines -> (title, y-axis label, figure name).
COMPARATOR_FIGURES = {
    "spend_per_head_2_18_gbp": ("High-needs spending per head aged 2-18 (grey: each comparator)", "GBP per head",
                                "spend_per_head_vs_comparators"),
    "ehcp_per_10k_0_25": ("EHC plans per 10,000 aged 0-25 (grey: each comparator)", "plans per 10,000",
                          "ehcp_rate_vs_comparators"),
}


def report_folder(output_dir: str) -> Path:
    """The report folder (sendlib.outputs.prepare_output_dir), with the house style set for its figures."""
    plots.apply_style()
    return prepare_output_dir(output_dir, NOTEBOOK)


def section_topic(section: placement.Section, topic: str, council_label: str, average_label: str,
                  out: Path) -> None:
    """One topic of the "Placement and process" section against the comparators' average and
    England: every year of its measures as small multiples, or the primary needs as bars."""
    if topic == "need":
        data = placement.figure_frame(section.needs, topic, council_label, average_label)
        fig = plots.grouped_bars(data, "measure", "value", "series", xlabel="% of EHC plans in force",
                                 title=f"Primary need of EHC plans, January {placement.NEED_JANUARY}",
                                 highlight=(council_label, average_label))
        plots.save_and_link(fig, data, out, "primary_need_vs_comparators")
        return
    title, xlabel = SECTION_FIGURES[topic]
    data = placement.figure_frame(section.series, topic, council_label, average_label)
    fig = plots.facet_lines(data, x="year", y="value", facet="measure", hue="series", title=title, xlabel=xlabel,
                            highlight=(council_label, average_label))
    plots.year_axes(fig)
    plots.save_and_link(fig, data, out, f"{topic}_vs_comparators")


def programme_paths(found: paths.CouncilPaths, council_label: str, out: Path) -> None:
    """A programme council's paths against its neighbours in no programme, its entry dotted
    (nothing for a council in no programme)."""
    if found.entry is None:
        return
    lines = paths.figure_frame(found.lines, council_label, NEIGHBOURS_LABEL)
    fig = plots.facet_lines(lines, x="time", y="value", facet="measure", hue="series", marker_x=found.entry.entry,
                            title=f"{council_label} and its neighbours in no programme (dotted: entry)",
                            xlabel=FY_AXIS, highlight=(council_label, NEIGHBOURS_LABEL))
    plots.year_axes(fig, fy_label)
    plots.save_and_link(fig, lines, out, "programme_paths")


def _series(series: pd.DataFrame, title: str, ylabel: str, out: Path, name: str) -> None:
    """A line per ``series`` of a long frame (fy, series, value) over the financial years."""
    fig = plots.time_series(series, x="fy", y="value", hue="series", title=title, ylabel=ylabel, xlabel=FY_AXIS)
    plots.save_and_link(fig, series, out, name)


def spending(series: pd.DataFrame, council_label: str, out: Path) -> None:
    """High-needs spending in cash and real terms (sendlib.analysis.profile.spending_series)."""
    _series(series, f"{council_label}: high-needs spending", "GBP million", out, "spending")


def allocation(series: pd.DataFrame, council_label: str, out: Path) -> None:
    """The allocation against spending (sendlib.analysis.profile.allocation_series)."""
    _series(series, f"{council_label}: allocation and spending", "GBP million", out, "allocation_vs_spending")


def against_comparators(lines: pd.DataFrame, measure: str, council_label: str, average_label: str,
                        out: Path) -> None:
    """One measure of sendlib.analysis.profile.comparator_lines over the years: the council and
    its comparators' average in colour, each comparator in grey."""
    title, ylabel, name = COMPARATOR_FIGURES[measure]
    fig = plots.time_series(lines, x="fy", y=measure, hue="unit_name", highlight=[council_label, average_label],
                            title=title, ylabel=ylabel, xlabel=FY_AXIS)
    plots.save_and_link(fig, lines, out, name)


def rank_axis_labels(first_fy: str, last_fy: str, level_fy: str | None) -> dict[str, str]:
    """Ranked measure (sendlib.analysis.profile.RANK_LABELS) -> its axis label, with its years."""
    return {"spend_growth": f"% growth in cash, {first_fy} to {last_fy}",
            "spend_per_head_2_18_gbp": f"GBP per head aged 2-18, {level_fy}",
            "ehcp_per_10k_0_25": f"EHC plans per 10,000 aged 0-25, {level_fy}"}


def rank_bars(ranks: Ranks, council_label: str, axis_labels: Mapping[str, str], out: Path) -> None:
    """A ranked bar chart of the council and its comparators per ranked measure
    (sendlib.analysis.profile.ranks), growth drawn in %; ``axis_labels``: :func:`rank_axis_labels`.
    A council without a value is named in the title, as it has no bar."""
    shown = ranks.values.assign(spend_growth=100 * ranks.values["spend_growth"])
    for row in ranks.table.itertuples():
        missing = "" if pd.notna(row.subject_value) else f" ({council_label}: no data)"
        fig = plots.ranked_bar(shown, row.measure, "unit_name", highlight=[council_label],
                               title=capitalised(row.label) + missing, xlabel=axis_labels[row.measure])
        plots.save_and_link(fig, shown[["unit", "unit_name", row.measure]], out, f"rank_{row.measure}")


def projection(balance_paths: pd.DataFrame, projected: pd.DataFrame, council_label: str, out: Path) -> None:
    """The figures of a guidance projection (``projected``: sendlib.analysis.profile.guidance_projection):
    the observed and projected cumulative DSG balance (``balance_paths``: profile.balance_paths;
    the legend where it hides least, as the balance may fall), the allocation on the assumed
    path against the actual one (GBP million), and S251 spending on its trend against what it
    did (an index, the projection's start year = 1)."""
    fig = plots.time_series(balance_paths, x="fy", y="value", hue="series", xlabel=FY_AXIS,
                            title=f"{council_label}: cumulative DSG balance", ylabel="GBP million (positive = deficit)")
    fig.axes[0].legend(loc="best")
    plots.save_and_link(fig, balance_paths, out, "projected_balance")
    assumed_against_actual(projected, out)


def assumed_against_actual(projection: pd.DataFrame, out: Path) -> None:
    """The allocation on the assumed path against the actual one (GBP million), and S251 spending
    on its trend against what it did (an index, the projection's start year = 1)."""
    start_fy = projection["fy"].iloc[0]
    funding = projection[["fy", "funding_gbp", "actual_funding_gbp"]].assign(
        funding_gbp=lambda f: f["funding_gbp"] / 1e6, actual_funding_gbp=lambda f: f["actual_funding_gbp"] / 1e6)
    fig = plots.assumption_vs_actual(funding, x="fy", assumed="funding_gbp", actual="actual_funding_gbp",
                                     title="Allocation: assumed path against actual", ylabel="GBP million",
                                     xlabel=FY_AXIS)
    plots.save_and_link(fig, funding, out, "funding_assumed_vs_actual")
    spend_index = projection[["fy", "spend_index_projected", "spend_index_actual"]]
    fig = plots.assumption_vs_actual(spend_index, x="fy", assumed="spend_index_projected", actual="spend_index_actual",
                                     title=f"S251 spending: trend projection against actual ({start_fy} = 1)",
                                     ylabel="index", xlabel=FY_AXIS)
    plots.save_and_link(fig, spend_index, out, "spending_projected_vs_actual")
