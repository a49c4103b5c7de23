import math

import pandas as pd
import pytest

from sendlib import config
from sendlib.analysis import reconcile
from sendlib.analysis.reconcile import FAIL, NOT_COMPARABLE, PASS


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("~256300", 256300, 256300),
        ("256,300", 256300, 256300),
        ("+0.78", 0.78, 0.78),
        ("-2.6%", -2.6, -2.6),
        ("just under 6", 5.7, 6),
        ("nearly 11", 10.45, 11),
        ("just over 2", 2, 2.1),
        ("over 9.1", 9.1, math.inf),
        ("at least 3.3", 3.3, math.inf),
        (">8", 8, math.inf),
        ("up to 5", -math.inf, 5),
        ("200-800", 200, 800),
        ("450 to 500", 450, 500),
        ("7.5 -> 12", 12, 12),
        ("2.2+2.0+2.1", 6.3, 6.3),
        ("+0.44 (4.3%)", 0.44, 0.44),
        ("~4.0 (national est.)", 4.0, 4.0),
        ("4.6 (range 4.3-4.9)", 4.3, 4.9),
        ("£10,450", 10450, 10450),
    ],
)
def test_parse_published_single_readings(text, low, high):
    (reading,) = reconcile.parse_published(text)
    assert (reading.low, reading.high) == (pytest.approx(low), pytest.approx(high))


def test_parse_alternatives_and_arrow_parts():
    first, second = reconcile.parse_published("1.36 (respondents) / ~1.9 (extrapolated)")
    assert (first.low, second.low) == (1.36, 1.9)
    assert "[respondents]" in first.description and "[extrapolated]" in second.description
    assert reconcile.parse_published("7.5 -> 12", part="start")[0].low == 7.5
    assert reconcile.parse_published("7.5 -> 12", part="change")[0].low == pytest.approx(0.6)
    assert reconcile.parse_published("19600 -> 19100", part="change")[0].low == pytest.approx(19100 / 19600 - 1)
    with pytest.raises(ValueError, match="unknown part"):
        reconcile.parse_published("7.5 -> 12", part="middle")


@pytest.mark.parametrize(
    ("ours", "published", "tolerance", "status"),
    [
        (256000, "~256300", 0.01, PASS),
        (240000, "~256300", 0.01, FAIL),
        (5.9, "just under 6", 0.0, PASS),
        (6.05, "just under 6", 0.0, FAIL),
        (6.05, "just under 6", 0.02, PASS),
        (9.5, "over 9.1", 0.0, PASS),
        (9.0, "over 9.1", 0.0, FAIL),
        (9.0, "over 9.1", 0.02, PASS),
        (12.1, "7.5 -> 12", 0.02, PASS),
        (500, "200-800", 0.0, PASS),
        (850, "200-800", 0.05, FAIL),
        (0.78, "+0.78", 0.0, PASS),
        (-0.78, "+0.78", 0.5, FAIL),
        (1.85, "1.36 (respondents) / ~1.9 (extrapolated)", 0.05, PASS),
        (1.6, "1.36 (respondents) / ~1.9 (extrapolated)", 0.05, FAIL),
        (6.3, "2.2+2.0+2.1", 0.0, PASS),
    ],
)
def test_compare_published_statuses(ours, published, tolerance, status):
    result, detail = reconcile.compare_published(ours, published, tolerance)
    assert result == status, detail
    assert published in detail


def test_not_comparable_cases_give_a_reason():
    expected = (NOT_COMPARABLE, "no value of ours to compare with published '~5'")
    assert reconcile.compare_published(None, "~5", 0.05) == expected
    status, detail = reconcile.compare_published(float("nan"), "~5", 0.05)
    assert status == NOT_COMPARABLE and "no value of ours" in detail
    status, detail = reconcile.compare_published(5.0, "rising fast", 0.05)
    assert status == NOT_COMPARABLE and "cannot read published value 'rising fast'" in detail
    status, detail = reconcile.compare_published(5.0, "", 0.05)
    assert status == NOT_COMPARABLE and "no published value" in detail
    with pytest.raises(ValueError, match="tolerance_rel"):
        reconcile.compare_published(5.0, "5", -0.1)


def test_detail_reports_the_distance():
    status, detail = reconcile.compare_published(6.6, "~6", 0.05)
    assert status == FAIL and "+10.0% from 6" in detail



def test_every_curated_published_figure_can_be_read():
    if not config.PUBLISHED_FIGURES_CSV.is_file():
        pytest.skip(f"{config.PUBLISHED_FIGURES_CSV} not in the project yet")
    unreadable = []
    for text in pd.read_csv(config.PUBLISHED_FIGURES_CSV, dtype=str)["value"]:
        try:
            reconcile.parse_published(text)
        except ValueError:
            unreadable.append(text)
    assert not unreadable
