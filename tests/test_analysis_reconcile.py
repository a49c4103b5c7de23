import math

import pandas as pd
import pytest

from sendlib import config
from sendlib.analysis import reconcile
from sendlib.analysis.reconcile import DIFFERENT, EXPLAINED, MATCH, NOT_COMPARABLE


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("9.7", 9.65, 9.75),  # plain: half a unit of the last digit
        ("~256300", 256250, 256350),  # "~": within its rounding
        ("354000", 353500, 354500),
        ("575963", 575962.5, 575963.5),  # counts
        ("256,300", 256250, 256350),
        ("+0.78", 0.775, 0.785),
        ("just under 6", 5.5, 6),  # within the rounding below
        ("nearly 11", 10.5, 11),
        ("just over 2", 2, 2.5),
        ("over 9.1", 9.1, math.inf),  # at or above
        (">8", 8, math.inf),
        ("up to 5", -math.inf, 5),
        ("200-800", 200, 800),  # ranges as stated
        ("450 to 500", 450, 500),
        ("4.6 (range 4.3-4.9)", 4.3, 4.9),
        ("7.5 -> 12", 11.5, 12.5),
        ("2.2+2.0+2.1", 6.15, 6.45),
        ("+0.44 (4.3%)", 0.435, 0.445),
        ("£10,450", 10445, 10455),  # money: the trailing zero is rounding
        ("58.6%", 58.55, 58.65),
    ],
)
def test_published_interval(text, low, high):
    (reading,) = reconcile.published_interval(text)
    assert (reading.low, reading.high) == (pytest.approx(low), pytest.approx(high))


def test_exact_integers_and_half_units():
    assert reconcile.half_unit("20") == 5 and reconcile.half_unit("20", exact_integers=True) == 0
    (reading,) = reconcile.published_interval("20", exact_integers=True)
    assert (reading.low, reading.high) == (20, 20)
    assert reconcile.half_unit("0") == 0.5 and reconcile.half_unit("5.60") == pytest.approx(0.005)


def test_alternatives_keep_their_labels():
    first, second = reconcile.published_interval("1.36 (respondents) / ~1.9 (extrapolated)")
    assert (first.low, second.high) == (pytest.approx(1.355), pytest.approx(1.95))
    assert "[respondents]" in first.description and "[extrapolated]" in second.description


@pytest.mark.parametrize("text", ["rising fast", "", "9.1 or so"])
def test_unreadable_text_is_an_error_naming_it(text):
    with pytest.raises(ValueError, match="cannot read published value|no published value"):
        reconcile.published_interval(text)


@pytest.mark.parametrize(
    ("ours", "text", "adjusted", "status"),
    [
        (8.99, "over 9.1", None, DIFFERENT),  # below the figure it is meant to exceed
        (9.1, "over 9.1", None, MATCH),
        (9.95, "9.7", None, DIFFERENT),  # no blanket 3% tolerance
        (9.74, "9.7", None, MATCH),
        (5.9, "just under 6", None, MATCH),
        (6.01, "just under 6", None, DIFFERENT),
        (5.4, "just under 6", None, DIFFERENT),
        (256340, "~256300", None, MATCH),
        (256400, "~256300", None, DIFFERENT),
        (500, "200-800", None, MATCH),
        (801, "200-800", None, DIFFERENT),
        (4.9, "4.6 (range 4.3-4.9)", None, MATCH),
        (6.3, "2.2+2.0+2.1", None, MATCH),
        (94, "91", None, DIFFERENT),  # counts
        (0.843, "+0.73", 0.7252, EXPLAINED),  # money: a measured adjustment brings it inside
        (0.843, "+0.73", 0.74, DIFFERENT),  # an adjustment that does not account for it
        (1.37, "1.36 (respondents) / ~1.9 (extrapolated)", None, DIFFERENT),
        (1.9, "1.36 (respondents) / ~1.9 (extrapolated)", None, MATCH),
        (None, "5", None, NOT_COMPARABLE),
        (math.nan, "5", None, NOT_COMPARABLE),
    ],
)
def test_classify(ours, text, adjusted, status):
    assert reconcile.classify(ours, reconcile.published_interval(text), adjusted) == status


def test_nearest_gives_the_signed_gap_from_the_nearest_bound():
    intervals = reconcile.published_interval("1.36 / ~1.9")
    interval, gap = reconcile.nearest(1.5, intervals)
    assert interval.low == pytest.approx(1.355) and gap == pytest.approx(1.5 - 1.365)
    assert reconcile.nearest(1.9, intervals)[1] == 0.0
    assert reconcile.nearest(8.99, reconcile.published_interval("over 9.1"))[1] == pytest.approx(-0.11)


def test_every_curated_published_figure_can_be_read():
    values = pd.read_csv(config.PUBLISHED_FIGURES_CSV, dtype=str)["value"]
    unreadable = []
    for text in values:
        try:
            reconcile.published_interval(text)
        except ValueError:
            unreadable.append(text)
    assert not unreadable
