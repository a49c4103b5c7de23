"""Read a published figure's text as the interval it implies, and give our figure a status.

A published text is one or more alternatives (split on "/"), each read as an interval
[low, high] of what the publisher says the value is. ``h`` is half a unit of the number's
last significant digit ("9.7" -> 0.05, "354000" -> 500, "55" -> 0.5; with
``exact_integers`` a whole number is exact, so "20" is [20, 20]):

- "9.7", "+0.78", "~256300", "about 5": within its rounding, [x - h, x + h];
- "just under x", "nearly x", "almost x": within the rounding below, [x - h, x];
  "just over x": [x, x + h];
- "over x", "more than x", "at least x", ">x": at or above, [x, inf); "under x", "<x": (-inf, x];
- "a-b", "a to b" and a parenthesised "(range a-b)": the range as stated, [a, b];
- "a -> b" (a change): the end value b within its rounding;
- "a+b+c": the sum, within the sum of the components' roundings.

Other parenthesised text ("(respondents)", "(4.3%)") labels the alternative. Thousands
commas, "£" and "%" are ignored. There is no percentage tolerance anywhere.

Statuses (:func:`classify`): MATCH when ours lies in some alternative; EXPLAINED when it does
not but ours minus a measured adjustment (a definition difference sized from data) does;
DIFFERENT otherwise; NOT COMPARABLE when we have no value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

MATCH = "MATCH"
EXPLAINED = "EXPLAINED"
DIFFERENT = "DIFFERENT"
NOT_COMPARABLE = "NOT COMPARABLE"
#: Every status, in the order reports list them.
STATUSES = (MATCH, EXPLAINED, DIFFERENT, NOT_COMPARABLE)
#: Relative slack so that float arithmetic (2.2 + 2.0 + 2.1) never decides a boundary.
_FLOAT_SLACK = 1e-9

_NUM = r"[+-]?\d+(?:\.\d+)?"
_APPROX = r"(?:~|≈|c\.|circa|about|around|approx\.?|approximately)"
_PARENS = re.compile(r"\(([^)]*)\)")
_RANGE_NOTE = re.compile(rf"^range\s+({_NUM})\s*(?:-|–|to)\s*({_NUM})$")
_BOUNDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^{_APPROX}?\s*({_NUM})$"), "point"),
    (re.compile(rf"^(?:just under|just below|nearly|almost)\s*({_NUM})$"), "just_under"),
    (re.compile(rf"^(?:just over|just above)\s*({_NUM})$"), "just_over"),
    (re.compile(rf"^(?:over|more than|above|at least|>=|>|≥)\s*({_NUM})$"), "at_least"),
    (re.compile(rf"^(?:under|less than|below|at most|up to|<=|<|≤)\s*({_NUM})$"), "at_most"),
]
_RANGE = re.compile(r"^~?\s*(\d+(?:\.\d+)?)\s*(?:-|–|to)\s*~?\s*(\d+(?:\.\d+)?)$")
_ARROW = re.compile(rf"^~?\s*({_NUM})\s*(?:->|→)\s*~?\s*({_NUM})$")
_SUM = re.compile(rf"^{_NUM}(?:\s*\+\s*\d+(?:\.\d+)?)+$")


@dataclass(frozen=True)
class Interval:
    """What a published alternative says the value is: [low, high], and how it was read."""

    low: float
    high: float
    description: str

    def contains(self, value: float) -> bool:
        """True when ``value`` lies in [low, high] (float slack only)."""
        slack = _FLOAT_SLACK * max(1.0, abs(value))
        return self.low - slack <= value <= self.high + slack


def half_unit(number: str, exact_integers: bool = False) -> float:
    """Half a unit of the last significant digit of a number as written ("9.7" -> 0.05, "354000"
    -> 500, "575963" -> 0.5, "0" -> 0.5); ``exact_integers``: whole numbers are exact ("20" -> 0)."""
    text = number.replace(",", "").lstrip("+-~ ")
    if "." in text:
        return 0.5 * 10.0 ** -len(text.split(".")[1])
    if exact_integers:
        return 0.0
    if not text.strip("0"):
        return 0.5
    return 0.5 * 10.0 ** (len(text) - len(text.rstrip("0")))


def _normalise(text: str) -> str:
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text.lower())
    return re.sub(r"\s+", " ", text.replace("£", "").replace("%", "")).strip()


def _read_bound(core: str, exact_integers: bool) -> Interval | None:
    """A point, a one-sided bound or a "just under/over" interval, if ``core`` is one."""
    for pattern, kind in _BOUNDS:
        if match := pattern.match(core):
            x, h = float(match.group(1)), half_unit(match.group(1), exact_integers)
            return {
                "point": Interval(x - h, x + h, f"{x:g} within its rounding (±{h:g})" if h else f"exactly {x:g}"),
                "just_under": Interval(x - h, x, f"just under {x:g}: within the rounding below ({x - h:g} to {x:g})"),
                "just_over": Interval(x, x + h, f"just over {x:g}: within the rounding above ({x:g} to {x + h:g})"),
                "at_least": Interval(x, math.inf, f"at or above {x:g}"),
                "at_most": Interval(-math.inf, x, f"at or below {x:g}"),
            }[kind]
    return None


def _read_core(core: str, exact_integers: bool) -> Interval | None:
    """The interval a parenthesis-free text stands for, or None if it is not understood."""
    if (bound := _read_bound(core, exact_integers)) is not None:
        return bound
    if match := _RANGE.match(core):
        low, high = sorted((float(match.group(1)), float(match.group(2))))
        return Interval(low, high, f"between {low:g} and {high:g}, as stated")
    if match := _ARROW.match(core):
        end, h = float(match.group(2)), half_unit(match.group(2), exact_integers)
        return Interval(end - h, end + h, f"the end value {end:g} of {core}, within its rounding (±{h:g})")
    if _SUM.match(core):
        parts = [part.strip() for part in core.split("+") if part.strip()]
        total, h = sum(float(p) for p in parts), sum(half_unit(p, exact_integers) for p in parts)
        return Interval(total - h, total + h, f"{total:g} (sum of {core}), within the parts' rounding (±{h:g})")
    return None


def _read_alternative(text: str, exact_integers: bool) -> Interval | None:
    notes = [note.strip() for note in _PARENS.findall(text)]
    core = _normalise(_PARENS.sub(" ", text))
    for note in notes:
        if match := _RANGE_NOTE.match(_normalise(note)):
            low, high = sorted((float(match.group(1)), float(match.group(2))))
            return Interval(low, high, f"between {low:g} and {high:g} (the range around {core})")
    reading = _read_core(core, exact_integers)
    if reading is None or not notes:
        return reading
    return Interval(reading.low, reading.high, f"{reading.description} [{'; '.join(notes)}]")


def published_interval(text: str, exact_integers: bool = False) -> list[Interval]:
    """Every alternative interval a published text implies (see the module docstring); a
    ValueError names the text when any alternative cannot be read."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"no published value ({text!r})")
    readings = [_read_alternative(alternative, exact_integers) for alternative in text.split("/")]
    if any(reading is None for reading in readings):
        raise ValueError(f"cannot read published value {text!r}")
    return readings


def nearest(value: float, intervals: list[Interval]) -> tuple[Interval, float]:
    """The alternative nearest to ``value`` and value minus its nearest bound (0 inside)."""
    def gap(interval: Interval) -> float:
        if interval.contains(value):
            return 0.0
        return value - (interval.low if value < interval.low else interval.high)

    best = min(intervals, key=lambda interval: abs(gap(interval)))
    return best, gap(best)


def classify(ours: float | None, intervals: list[Interval], adjusted: float | None = None) -> str:
    """MATCH (ours inside an interval), EXPLAINED (outside, but ``adjusted`` = ours minus a
    measured adjustment is inside), DIFFERENT, or NOT COMPARABLE (no value of ours)."""
    if ours is None or not math.isfinite(ours):
        return NOT_COMPARABLE
    if any(interval.contains(ours) for interval in intervals):
        return MATCH
    if adjusted is not None and any(interval.contains(adjusted) for interval in intervals):
        return EXPLAINED
    return DIFFERENT
