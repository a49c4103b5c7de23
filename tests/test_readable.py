import numpy as np
import pandas as pd
import pytest

from sendlib.analysis.growth import SimulatedInterval, SimulatedQuantile, SimulatedShare
from sendlib.analysis.outcomes import OUTCOMES, Outcome
from sendlib.present import readable as rd
from sendlib.present.readable import format_outcome
from sendlib.present.markup import escape
from sendlib.present.readable import (
    NO_DATA, bullet_list, format_gbp, format_pct, format_value, markdown_table, readable_frame, with_sign,
)


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (1204.84, "gbp", "£1,205"), (-4_912_345.0, "gbp_m", "-£4.9m"), (80.28, "pct", "80.3%"),
        (74.36, "signed_pct", "+74.4%"), (-2.0, "signed_pct", "-2.0%"), (201.08, "rate", "201.1"),
        (12345.0, "count", "12,345"), ("Camden", "text", "Camden"),
        (np.nan, "gbp", NO_DATA), (None, "pct", NO_DATA), (pd.NA, "count", NO_DATA),
    ],
)
def test_format_value(value, unit, text):
    assert format_value(value, unit) == text


def test_format_value_unknown_unit():
    with pytest.raises(ValueError, match="unknown unit 'euro'"):
        format_value(1.0, "euro")


@pytest.mark.parametrize(
    ("value", "outcome", "text"),
    [
        (0.5079, "mainstream_share", "50.8%"), (0.0, "refusal_share", "0.0%"), (1.0, "timely_20wk_ex", "100.0%"),
        (23.625, "new_plans_per_10k", "23.6"), (np.nan, "appeal_rate", NO_DATA), (None, "ap_share", NO_DATA),
        (pd.NA, "requests_per_10k", NO_DATA),
    ],
)
def test_format_outcome_by_its_kind(value, outcome, text):
    assert format_outcome(value, OUTCOMES[outcome]) == text
    assert format_outcome(value, OUTCOMES[outcome].kind) == text


def test_format_outcome_money_and_unknown_kinds():
    spend = Outcome("spend_per_plan", "hn_spend_gbp", ("ehcp_count",), 1.0, "Spending per plan", "money")
    assert format_outcome(1204.6, spend) == "£1,205"
    with pytest.raises(ValueError, match="unknown outcome kind 'ratio'"):
        format_outcome(0.5, "ratio")


def test_readable_frame_headings_and_no_nan():
    frame = pd.DataFrame({"unit_name": ["A", "B"], "spend_gbp": [1.5e6, np.nan], "x": [1, 2]})
    shown = readable_frame(frame, {"unit_name": ("Council", "text"), "spend_gbp": ("Spending", "gbp_m")})
    assert shown.to_dict("list") == {"Council": ["A", "B"], "Spending": ["£1.5m", NO_DATA]}
    with pytest.raises(KeyError, match="'la_code'"):
        readable_frame(frame, {"la_code": ("Code", "text")})


def test_markdown_table_escapes_every_cell_and_note():
    frame = pd.DataFrame({"Council": ["<b>A|B</b>"], "Rate (%)": ["1.5%"]})
    text = markdown_table(frame, ["a *note*"])
    assert text.splitlines() == [
        "| Council | Rate \\(%\\) |", "| --- | --- |", "| &lt;b&gt;A\\|B&lt;/b&gt; | 1\\.5% |", "", "a \\*note\\*  ",
    ]


@pytest.mark.parametrize(
    ("arguments", "text"),
    [
        (("hn_spend", "cash", "total"), "high-needs spending, cash"),
        (("hn_spend", "real", "per_head_2_18"), "high-needs spending per resident aged 2-18, real terms (2023-24 prices)"),
        (("hnb_after_deductions",), "the high needs block after deductions, cash"),
        (("ehcp", "cash", "per_head_0_25"), "EHC plans per resident aged 0-25"),
    ],
)
def test_measure_label_in_words(arguments, text):
    assert rd.measure_label(*arguments) == text


@pytest.mark.parametrize(
    ("value", "keywords", "text"),
    [
        (0.25, {}, "25.0%"), (-0.029, {}, "-2.9%"), (0.061, {"signed": True}, "+6.1%"), (0.0, {}, "0.0%"),
        (0.00005, {}, "0.005%"), (0.99995, {}, "99.995%"), (1.0, {}, "100.0%"), (np.nan, {}, NO_DATA),
        (0.123456, {"digits": 2}, "12.35%"),
    ],
)
def test_share_never_rounds_to_0_or_100_percent(value, keywords, text):
    assert rd.share(value, **keywords) == text


def test_points_p_values_counts_and_lists():
    assert rd.points(0.061) == "+6.1 points" and rd.points(-0.0004) == "0.0 points"
    assert rd.points(0.00056, digits=2, signed=False) == "0.06 points" and rd.points(None) == NO_DATA
    assert rd.points_range(-0.106, 0.024) == "-10.6 to +2.4 points"
    assert (rd.p_value(0.15), rd.p_value(0.0004), rd.p_value(np.nan)) == ("p = 0.150", "p < 0.001", "p not defined")
    assert (rd.count(20000), rd.count(pd.NA)) == ("20,000", NO_DATA)
    assert [rd.listing(x) for x in ([], ["A"], ["A", "B"], ["A", "B", "C"])] == ["none", "A", "A and B", "A, B and C"]
    assert rd.capitalised("cumulative DSG balance") == "Cumulative DSG balance" and rd.capitalised("") == ""


def test_unit_with_code_names_the_council_and_its_code():
    assert rd.unit_with_code("Camden", "202") == "Camden (202)"
    assert rd.unit_with_code("Bournemouth, Christchurch and Poole with Dorset", "bcp_dorset") == (
        "Bournemouth, Christchurch and Poole with Dorset")


def test_mc_share_gives_the_standard_error_or_the_95_percent_bound():
    assert rd.mc_share(SimulatedShare(0.006, 20000), "random groups") == (
        "0.6% of random groups (Monte Carlo s.e. 0.055 points, 20,000 draws)")
    assert rd.mc_share(SimulatedShare(0.3, 5000)) == "30.0% of draws (Monte Carlo s.e. 0.6 points, 5,000 draws)"
    assert rd.mc_share(SimulatedShare(0.0, 20000), "random groups") == (
        "none of 20,000 random groups (below 0.015% at 95% confidence)")
    assert rd.mc_share(SimulatedShare(1.0, 20000), "random groups") == (
        "all 20,000 random groups (above 99.985% at 95% confidence)")
    assert rd.mc_share(SimulatedShare(np.nan, 100)).startswith(NO_DATA)
    assert rd.mc_share(SimulatedShare(0.0, 500), "groups") == "none of 500 groups (below 0.60% at 95% confidence)"


def test_mc_share_cell_and_interval():
    assert rd.mc_share_cell(SimulatedShare(0.006, 20000)) == "0.6% (0.055)"
    assert rd.mc_share_cell(SimulatedShare(0.5, 20000)) == "50.0% (0.4)"
    assert rd.mc_share_cell(SimulatedShare(0.0, 20000)) == "0% (none; < 0.015%)"
    assert rd.mc_share_cell(SimulatedShare(1.0, 20000)) == "100% (all; > 99.985%)"
    assert rd.mc_share_cell(SimulatedShare(np.nan, 20000)) == NO_DATA
    interval = SimulatedInterval(0.37, SimulatedQuantile(0.025, 0.277, 0.0008), SimulatedQuantile(0.975, 0.467, 0.001),
                                 0.95, 20000)
    assert rd.mc_interval(interval) == "27.7% to 46.7% (Monte Carlo s.e. of the ends at most 0.1 points, 20,000 draws)"


def test_whole_share_never_shows_0_or_100_percent_for_a_share_that_is_neither():
    shown = [rd.whole_share(v) for v in (0.0, 0.00005, 0.213, 0.9951, 1.0)]
    assert shown == ["0%", "<1%", "21%", ">99%", "100%"]


def test_gbp_bn_years_span_and_project_path(tmp_path):
    from sendlib.present.readable import gbp_bn, project_path, years_span

    assert (gbp_bn(4.404335e9), gbp_bn(-4.9e8), gbp_bn(3.5e8, signed=True), gbp_bn(np.nan)) == (
        "£4.40bn", "-£0.49bn", "+£0.35bn", NO_DATA)
    assert gbp_bn(0.0, signed=True) == "£0.00bn" and gbp_bn(1.23456e12) == "£1,234.56bn"
    assert (years_span(["2019-20", "2020-21", "2021-22"]), years_span(["2021-22"]), years_span([])) == (
        "2019-20 to 2021-22", "2021-22", "no year")
    assert project_path(tmp_path / "data" / "processed", tmp_path) == "data/processed"
    assert project_path(tmp_path, tmp_path) == "."
    assert project_path("/elsewhere/deep/data/processed", tmp_path) == "data/processed"


def test_bullet_list_escapes_each_line():
    assert bullet_list(["a *b*", "c"]) == f"- {escape('a *b*')}\n- c"


@pytest.mark.parametrize(("value", "unit", "text"), [
    (-40_000.0, "gbp_m", "£0.0m"), (-0.4, "gbp", "£0"), (-0.04, "pct", "0.0%"), (-0.04, "signed_pct", "0.0%"),
    (0.0, "signed_pct", "0.0%"), (0.04, "signed_pct", "0.0%"), (0.06, "signed_pct", "+0.1%"), (-0.3, "count", "0"),
    (-0.0004, "index", "0.000"), (-60_000.0, "gbp_m", "-£0.1m"),
])
def test_a_value_that_rounds_to_zero_has_no_sign(value, unit, text):
    assert format_value(value, unit) == text


def test_gbp_and_pct_never_show_minus_zero():
    assert (format_gbp(-12_000.0), format_gbp(-0.3), format_gbp(-4_912_345.0)) == ("-£12,000", "£0", "-£4.9m")
    assert (format_pct(-0.0004), format_pct(-0.0004, signed=False), format_pct(0.0)) == ("0.0%", "0.0%", "0.0%")
    assert (format_pct(-0.02), format_pct(0.743)) == ("-2.0%", "+74.3%")


@pytest.mark.parametrize(("magnitude", "negative", "plus", "text"), [
    ("£4.9m", True, False, "-£4.9m"), ("£0.0m", True, False, "£0.0m"), ("12.3%", False, True, "+12.3%"),
    ("0.0%", False, True, "0.0%"), ("1,234", False, False, "1,234"),
])
def test_with_sign(magnitude, negative, plus, text):
    assert with_sign(magnitude, negative, plus) == text
