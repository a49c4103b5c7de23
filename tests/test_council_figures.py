"""The council profile's figures (sendlib.present.council_figures) from hand-made frames: each
helper's title, axis labels and the data saved beside it (plots.save_and_link caught), and one
helper run through to its PNG, CSV and link."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from sendlib.analysis import placement, profile
from sendlib.analysis import programme_paths as pp
from sendlib.present import council_figures as figures
from sendlib.present import plots
from test_analysis_placement import LOOKUP, counts, section_tables
from test_analysis_profile import panel, projection_panel, report_panel
from test_analysis_programme_paths import inputs as programme_inputs


@pytest.fixture
def saved(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[plt.Figure, pd.DataFrame]]:
    """Every figure a helper saves, by name: (figure, data), instead of writing it."""
    found: dict[str, tuple[plt.Figure, pd.DataFrame]] = {}

    def catch(fig: plt.Figure, data: pd.DataFrame, out: Path, name: str) -> None:
        found[name] = (fig, data)
        plt.close(fig)

    monkeypatch.setattr(plots, "save_and_link", catch)
    return found


def titles(fig: plt.Figure) -> str:
    """The figure's title: its own (small multiples) or its first axes'."""
    return fig._suptitle.get_text() if fig._suptitle else fig.axes[0].get_title(loc="left")


def test_section_topics_draw_every_year_and_the_needs_as_bars(saved, tmp_path):
    frame = counts(new_plans_count=[8.0, 4.0], pop_0_25_count=[20_000.0, 20_000.0])
    section = placement.section(frame, section_tables(), LOOKUP, "a", ["b"], "2023-24")
    for topic in placement.TOPICS:
        figures.section_topic(section, topic, "Council A", "Neighbours' average (1)", tmp_path)
    assert set(saved) == {"placement_vs_comparators", "new_plan_placement_vs_comparators", "process_vs_comparators",
                          "primary_need_vs_comparators"}
    fig, data = saved["process_vs_comparators"]
    assert titles(fig) == figures.SECTION_FIGURES["process"][0]
    assert set(data["series"]) == {"Council A", "Neighbours' average (1)", "England"}
    fig, data = saved["primary_need_vs_comparators"]
    assert titles(fig) == "Primary need of EHC plans, January 2025"
    assert fig.axes[0].get_xlabel() == "% of EHC plans in force" and data["value"].max() <= 100


def test_a_programme_councils_paths_and_none_outside_a_programme(saved, tmp_path):
    found = pp.council_paths(programme_inputs(), "101", "2025", "2023-24")
    figures.programme_paths(found, "Council 101", tmp_path)
    fig, data = saved.pop("programme_paths")
    assert titles(fig) == "Council 101 and its neighbours in no programme (dotted: entry)"
    assert set(data["series"]) == {"Council 101", figures.NEIGHBOURS_LABEL}
    figures.programme_paths(pp.council_paths(programme_inputs(), "102", "2025", "2023-24"), "Council 102", tmp_path)
    assert not saved  # no programme: no figure


def test_money_lines_and_the_comparators_lines(saved, tmp_path):
    frame = report_panel()
    figures.spending(profile.spending_series(frame, "A", "2018-19", "2023-24"), "Unit A", tmp_path)
    figures.allocation(profile.allocation_series(frame, "A", "2018-19", "2023-24"), "Unit A", tmp_path)
    lines = profile.comparator_lines(frame, "A", ["B", "C"], "2018-19", "2023-24", "Average (2)")
    for measure in figures.COMPARATOR_FIGURES:
        figures.against_comparators(lines, measure, "Unit A", "Average (2)", tmp_path)
    fig, data = saved["spending"]
    assert titles(fig) == "Unit A: high-needs spending" and fig.axes[0].get_ylabel() == "GBP million"
    assert fig.axes[0].get_xlabel() == "financial year" and set(data["series"]) == {"cash",
                                                                                 "real terms (2023-24 prices)"}
    assert titles(saved["allocation_vs_spending"][0]) == "Unit A: allocation and spending"
    fig, data = saved["ehcp_rate_vs_comparators"]
    assert fig.axes[0].get_ylabel() == "plans per 10,000" and "Average (2)" in set(data["unit_name"])
    legend = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert legend == ["Average (2)", "Unit A"]  # the comparators themselves in grey, unlabelled


def test_rank_bars_draw_growth_in_percent_with_the_years_on_the_axis(saved, tmp_path):
    ranks = profile.ranks(panel(), "A", ["B", "C"], "2018-19", "2023-24", "2021-22")
    labels = figures.rank_axis_labels("2018-19", "2023-24", "2021-22")
    figures.rank_bars(ranks, "Unit A", labels, tmp_path)
    assert set(saved) == {f"rank_{measure}" for measure in profile.RANK_LABELS}
    fig, data = saved["rank_spend_growth"]
    assert titles(fig) == "High-needs spend growth (cash)"
    assert fig.axes[0].get_xlabel() == "% growth in cash, 2018-19 to 2023-24"
    assert data["spend_growth"].tolist() == pytest.approx([100 * (1.1**5 - 1)] * 3)
    assert list(data.columns) == ["unit", "unit_name", "spend_growth"]
    figures.rank_bars(profile.ranks(panel(), "E", ["A"], "2018-19", "2023-24", "2021-22"), "Unit E", labels, tmp_path)
    assert titles(saved["rank_spend_per_head_2_18_gbp"][0]) == (
        "High-needs spend per head aged 2-18 (GBP) (Unit E: no data)")  # E has no spend: no bar of its own


def test_projection_figures(saved, tmp_path):
    frame = projection_panel(1e6)
    projection = profile.guidance_projection(frame, "A", "2021-22", "2023-24", 0.05, 0.03)
    figures.projection(profile.balance_paths(frame, "A", projection, "2020-21", "2023-24"), projection, "Unit A",
                       tmp_path)
    assert set(saved) == {"projected_balance", "funding_assumed_vs_actual", "spending_projected_vs_actual"}
    assert titles(saved["projected_balance"][0]) == "Unit A: cumulative DSG balance"
    assert titles(saved["spending_projected_vs_actual"][0]) == (
        "S251 spending: trend projection against actual (2021-22 = 1)")
    funding = saved["funding_assumed_vs_actual"][1]
    assert funding["funding_gbp"].tolist() == pytest.approx([100.0, 110.0, 115.5])  # in GBP million


def test_a_helper_writes_its_png_and_csv_and_links_the_csv(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    out = figures.report_folder(str(tmp_path / "council"))
    figures.spending(profile.spending_series(report_panel(), "A", "2018-19", "2023-24"), "Unit A", out)
    assert (out / "figures" / "spending.png").read_bytes().startswith(b"\x89PNG")
    assert (out / "figures" / "spending.csv").read_text().startswith("fy,series,value\n2018-19,cash,")
    assert shown[-1].data == "Data behind this figure: [spending.csv](figures/spending.csv)"
    assert not plt.get_fignums()
