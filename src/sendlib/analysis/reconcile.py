"""Compare our figures with published ones written as text ("~256300", "just under 6",
"over 9.1", "7.5 -> 12", "200-800", "+0.78", "1.36 (respondents) / ~1.9 (extrapolated)").

A published text is read as one or more alternatives (split on "/"), each an interval
[low, high] of what the publisher says the value is:

- "256300", "+0.78", "~256300", "about 5": the point [x, x];
- "just under x", "nearly x", "almost x": [x - 5% |x|, x]; "just over x": [x, x + 5% |x|];
- "over x", "more than x", "at least x", ">x": [x, inf); "under x", "up to x", "<x": (-inf, x];
- "a-b", "a to b" and a parenthesised "(range a-b)": [a, b];
- "a -> b" (a change): the end value b, or a with ``part="start"``, or b / a - 1 with
  ``part="change"``;
- "a+b+c": the sum of the components.

Other parenthesised text ("(respondents)", "(4.3%)") labels the alternative. Thousands
commas, "£" and "%" are ignored. Ours PASSES when it lies in some alternative's interval
widened by ``tolerance_rel`` times each finite bound's magnitude; else FAIL. A missing value
of ours or an unreadable published text is NOT COMPARABLE, with the reason.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

PASS = "PASS"
FAIL = "FAIL"
NOT_COMPARABLE = "NOT COMPARABLE"
#: How far "just under x" / "nearly x" / "just over x" may be from x (relative).
JUST_MARGIN = 0.05
ARROW_PARTS = ("end", "start", "change")
#: Relative slack added to every tolerance so that float rounding (2.2 + 2.0 + 2.1) never decides.
_FLOAT_SLACK = 1e-9

_NUM = r"[+-]?\d+(?:\.\d+)?"
_UNSIGNED = r"~?\s*\d+(?:\.\d+)?"
_APPROX = r"(?:~|≈|c\.|circa|about|around|approx\.?|approximately)"
_PARENS = re.compile(r"\(([^)]*)\)")
_RANGE_NOTE = re.compile(rf"^range\s+({_UNSIGNED})\s*(?:-|–|to)\s*({_UNSIGNED})$")
_BOUNDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^{_APPROX}?\s*({_NUM})$"), "point"),
    (re.compile(rf"^(?:just under|just below|nearly|almost)\s*({_NUM})$"), "just_under"),
    (re.compile(rf"^(?:just over|just above)\s*({_NUM})$"), "just_over"),
    (re.compile(rf"^(?:over|more than|above|at least|>=|>|≥)\s*({_NUM})$"), "at_least"),
    (re.compile(rf"^(?:under|less than|below|at most|up to|<=|<|≤)\s*({_NUM})$"), "at_most"),
]
_RANGE = re.compile(rf"^({_UNSIGNED})\s*(?:-|–|to)\s*({_UNSIGNED})$")
_ARROW = re.compile(rf"^({_UNSIGNED}|{_NUM})\s*(?:->|→)\s*({_UNSIGNED}|{_NUM})$")
_SUM = re.compile(rf"^{_NUM}(?:\s*\+\s*\d+(?:\.\d+)?)+$")


@dataclass(frozen=True)
class Published:
    """One reading of a published figure: the interval [low, high] and how it was read."""

    low: float
    high: float
    description: str


def _number(text: str) -> float:
    return float(text.replace("~", "").replace(" ", ""))


def _normalise(text: str) -> str:
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text.lower())
    return re.sub(r"\s+", " ", text.replace("£", "").replace("%", "")).strip()


def _read_bound(core: str) -> Published | None:
    """A point, a one-sided bound or a "just under/over" interval, if ``core`` is one."""
    for pattern, kind in _BOUNDS:
        match = pattern.match(core)
        if match:
            x = _number(match.group(1))
            margin = JUST_MARGIN * abs(x)
            return {
                "point": Published(x, x, f"{x:g}"),
                "just_under": Published(x - margin, x, f"just under {x:g} (within {JUST_MARGIN:.0%})"),
                "just_over": Published(x, x + margin, f"just over {x:g} (within {JUST_MARGIN:.0%})"),
                "at_least": Published(x, math.inf, f"at least {x:g}"),
                "at_most": Published(-math.inf, x, f"at most {x:g}"),
            }[kind]
    return None


def _read_core(core: str, part: str) -> Published | None:
    """The interval a parenthesis-free text stands for, or None if it is not understood."""
    bound = _read_bound(core)
    if bound is not None:
        return bound
    if match := _RANGE.match(core):
        low, high = sorted((_number(match.group(1)), _number(match.group(2))))
        return Published(low, high, f"between {low:g} and {high:g}")
    if match := _ARROW.match(core):
        start, end = _number(match.group(1)), _number(match.group(2))
        value = {"start": start, "end": end, "change": end / start - 1 if start else math.nan}[part]
        return Published(value, value, f"{part} of {start:g} -> {end:g} = {value:g}")
    if _SUM.match(core):
        total = sum(_number(x) for x in core.split("+") if x.strip())
        return Published(total, total, f"{total:g} (sum of {core})")
    return None


def _read_alternative(text: str, part: str) -> Published | None:
    notes = [note.strip() for note in _PARENS.findall(text)]
    core = _normalise(_PARENS.sub(" ", text))
    for note in notes:
        if match := _RANGE_NOTE.match(_normalise(note)):
            low, high = sorted((_number(match.group(1)), _number(match.group(2))))
            return Published(low, high, f"between {low:g} and {high:g} (range around {core})")
    reading = _read_core(core, part)
    if reading is None:
        return None
    labels = "; ".join(notes)
    return Published(reading.low, reading.high, f"{reading.description} [{labels}]" if labels else reading.description)


def parse_published(text: str, part: str = "end") -> list[Published]:
    """Every alternative reading of a published text (see the module docstring).

    A ValueError names the text when any alternative cannot be read; ``part`` chooses what
    "a -> b" stands for ("end", "start" or "change").
    """
    if part not in ARROW_PARTS:
        raise ValueError(f"unknown part {part!r}; choose one of {list(ARROW_PARTS)}")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"no published value ({text!r})")
    readings = [_read_alternative(alternative, part) for alternative in text.split("/")]
    if any(reading is None for reading in readings):
        raise ValueError(f"cannot read published value {text!r}")
    return readings


def _within(ours: float, reading: Published, tolerance_rel: float) -> bool:
    slack = tolerance_rel + _FLOAT_SLACK
    low = reading.low - slack * abs(reading.low) if math.isfinite(reading.low) else -math.inf
    high = reading.high + slack * abs(reading.high) if math.isfinite(reading.high) else math.inf
    return low <= ours <= high


def _distance(ours: float, reading: Published) -> str:
    """How far ours is from the interval, relative to the nearest bound."""
    if reading.low <= ours <= reading.high:
        return "inside"
    bound = reading.low if ours < reading.low else reading.high
    return f"{ours / bound - 1:+.1%} from {bound:g}" if bound else f"{ours - bound:+g} from 0"


def compare_published(
    ours: float | None, published: str, tolerance_rel: float, part: str = "end"
) -> tuple[str, str]:
    """(status, detail): PASS / FAIL / NOT COMPARABLE for our value against a published text.

    ``tolerance_rel`` widens each finite bound by that share of its magnitude (0.05 = 5%).
    """
    if tolerance_rel < 0:
        raise ValueError(f"tolerance_rel must be >= 0, got {tolerance_rel}")
    if ours is None or not math.isfinite(float(ours)):
        return NOT_COMPARABLE, f"no value of ours to compare with published {published!r}"
    try:
        readings = parse_published(published, part)
    except ValueError as exc:
        return NOT_COMPARABLE, str(exc)
    ours = float(ours)
    passed = [_within(ours, reading, tolerance_rel) for reading in readings]
    details = " | ".join(
        f"{reading.description}: {'within' if ok else 'outside'} ({_distance(ours, reading)})"
        for reading, ok in zip(readings, passed)
    )
    status = PASS if any(passed) else FAIL
    return status, f"ours {ours:g} vs published {published!r}, tolerance {tolerance_rel:.1%}: {details}"
