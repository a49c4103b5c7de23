"""Financial-year labels and how other calendars pair with them.

A financial year (FY) runs April to March and is labelled ``"2021-22"`` (``fy``) with
``fy_start`` 2021. The panel pairs FY Y-(Y+1) with:

- EHC plans and pupil counts of **January Y+1** (the census taken inside the FY);
- population estimates of **mid-year Y** (30 June, inside the FY).
"""

from __future__ import annotations

import re

_FY_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def fy_label(fy_start: int) -> str:
    """2021 -> "2021-22"."""
    return f"{fy_start}-{(fy_start + 1) % 100:02d}"


def fy_start(label: str) -> int:
    """"2021-22" -> 2021; anything else is a ValueError naming the label."""
    match = _FY_PATTERN.match(str(label).strip())
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError(f"financial year {label!r} is not of the form 'YYYY-YY' (e.g. '2021-22')")
    return int(match.group(1))


def fy_range(first: str, last: str) -> list[str]:
    """Every FY label from ``first`` to ``last`` inclusive."""
    return [fy_label(y) for y in range(fy_start(first), fy_start(last) + 1)]


def january_for_fy(label: str) -> int:
    """The January census year paired with a FY: "2021-22" -> 2022."""
    return fy_start(label) + 1


def fy_for_january(year: int) -> str:
    """The FY containing January ``year``: 2022 -> "2021-22"."""
    return fy_label(year - 1)


def midyear_for_fy(label: str) -> int:
    """The mid-year population estimate paired with a FY: "2021-22" -> 2021."""
    return fy_start(label)


def fy_from_time_period(value: object) -> str:
    """DfE ``time_period`` 201920 (or "201920") -> "2019-20"; anything else is a ValueError."""
    text = str(value).strip()
    match = re.fullmatch(r"(\d{4})(\d{2})(\.0)?", text)
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError(f"time_period {value!r} is not of the form YYYYyy (e.g. 201920)")
    return fy_label(int(match.group(1)))
