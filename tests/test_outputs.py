"""The CSVs a report writes, rounded by the kind of each column, and the one zip of them all
(sendlib.outputs), on hand-made tables."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sendlib.outputs import csv_decimals, save_table, write_data_zip


@pytest.mark.parametrize(("column", "decimals"), [
    ("ehcp_count", 0), ("n_ranked_spend_growth", 0), ("rank", 0), ("hn_spend_gbp", 2), ("total_gbp_m", 4),
    ("gbp_bn", 6), ("dsg_balance_pct", 2), ("pct_of_dsg", 2), ("ehcp_per_10k_0_25", 2), ("spend_growth_rate", 4),
    ("claim_percentile_among_units", 4), ("spend_vs_allocation", 4), ("spend_index_actual", 4),
    ("value", None), ("median", None), ("p_value", None),
])
def test_csv_decimals_by_kind_of_column(column: str, decimals: int | None) -> None:
    assert csv_decimals(column) == decimals


def test_save_table_rounds_to_the_kind_of_each_column(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "fy": ["2023-24", "2024-25"], "value": [3.6699999999999995, 39.39713735316092],
        "hn_spend_gbp": [50273762.123, np.nan], "ehcp_count": [331.5, np.nan], "growth": [0.12430872843295715, -1e-9],
        "dsg_balance_pct": [4.463098158820054, -0.001], "n": [1, 2],
    })
    text = save_table(frame, tmp_path, "t").read_text()
    assert text == ("fy,value,hn_spend_gbp,ehcp_count,growth,dsg_balance_pct,n\n"
                    "2023-24,3.67,50273762.12,332,0.1243,4.46,1\n"
                    "2024-25,39.3971373532,,,0.0,0.0,2\n"), "no float noise, missing stays empty, no -0.0"


def test_the_data_zip_holds_every_csv_and_its_bytes_do_not_depend_on_when_or_in_what_order(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for folder, names in ((first, ["b", "a"]), (second, ["a", "b"])):
        for name in names:
            save_table(pd.DataFrame({"x": [1.5, 2.0]}), folder, name)
    for offset, csv in enumerate(sorted((first / "figures").glob("*.csv"))):
        os.utime(csv, (1_000_000 + offset, 1_000_000 + offset))
    zips = [write_data_zip(folder, "camden_202_high_needs_data") for folder in (first, second)]
    assert zips[0] == first / "camden_202_high_needs_data.zip" and zips[0].read_bytes() == zips[1].read_bytes()
    with zipfile.ZipFile(zips[0]) as archive:
        assert archive.namelist() == ["camden_202_high_needs_data/a.csv", "camden_202_high_needs_data/b.csv"]
        assert archive.read("camden_202_high_needs_data/a.csv") == (first / "figures" / "a.csv").read_bytes()
    assert [p.name for p in first.iterdir() if p.name.startswith(".")] == [], "no temporary file left"
    with pytest.raises(ValueError, match="plain file stem"):
        write_data_zip(first, "../x")
