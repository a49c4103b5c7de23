"""Tiny Explore Education Statistics (EES) files for reader tests: rows with the geography
columns of the real files, and zips holding them (the SEN2 releases are read from zips)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

GEO = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name",
       "region_code", "region_name", "old_la_code", "new_la_code", "la_name"]
LONDON = ("E12000007", "London")


def ees_row(time_period: str, level: str, la_code: str = "", ons: str = "", name: str = "",
            region: tuple[str, str] = LONDON) -> dict:
    """The geography columns of one EES row (national, regional or LA)."""
    region = region if level != "National" else ("", "")
    return dict(zip(GEO, [time_period, "Calendar year", level, "E92000001", "England", *region, la_code, ons, name]))


def write_zip(path: Path, members: dict[str, pd.DataFrame | str]) -> Path:
    """A zip holding each frame as a CSV member (or each text as it is)."""
    with zipfile.ZipFile(path, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content if isinstance(content, str) else content.to_csv(index=False))
    return path
