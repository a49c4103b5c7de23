import numpy as np
import pandas as pd
import pytest

from sendlib.analysis.outcomes import OUTCOMES, Outcome
from sendlib.present.readable import format_outcome
from sendlib.present.markup import escape
from sendlib.present.readable import NO_DATA, bullet_list, format_value, markdown_table, readable_frame


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


def test_bullet_list_escapes_each_line():
    assert bullet_list(["a *b*", "c"]) == f"- {escape('a *b*')}\n- c"
