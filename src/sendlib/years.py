"""Financial-year labels and how other calendars pair with them (stated here once).

A financial year (FY) runs April to March and is labelled ``"2021-22"`` (``fy``) with
``fy_start`` 2021. The panel pairs FY Y-(Y+1) with:

- counts taken in **January Y+1** (``january``): EHC plans in force (all, by setting, by
  primary need) and pupil percentages, the census taken inside the FY;
- population estimates of **mid-year Y** (``mid_year``: 30 June, inside the FY);
- flows over **calendar year Y** (``calendar_year``): new EHC plans, requests for assessment
  and decisions, plans issued within 20 weeks, SEND Tribunal appeals. April-December of Y lies
  inside the FY, and the SEN2 return made in January Y+1 covers the year.

So FY 2022-23 takes the plans in force in January 2023, the population of mid-2022 and the
new plans, requests and appeals of calendar 2022.
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


def fy_for_calendar_year(year: int) -> str:
    """The FY paired with a calendar year's flows: 2022 -> "2022-23"."""
    return fy_label(int(year))


def calendar_year_for_fy(label: str) -> int:
    """The calendar year whose flows pair with a FY: "2022-23" -> 2022."""
    return fy_start(label)


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
