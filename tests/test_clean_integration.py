"""The real clean step on the real raw files: coverage, national totals against published
figures, byte-identical reruns, atomic writes, freshness, and bad input end to end."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sendlib import config, tables
from sendlib import validate as qa
from sendlib.errors import SourceFormatError, ValidationError

pytestmark = pytest.mark.needs_data


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.parquet"))}


def test_panel_covers_every_unit_and_year(processed_data: Path):
    panel = pd.read_parquet(processed_data / "panel.parquet")
    assert panel["unit"].nunique() == 150
    assert sorted(panel["fy"].unique()) == [f"{y}-{(y + 1) % 100:02d}" for y in range(2017, 2025)]
    spend = panel.dropna(subset=["hn_spend_gbp"]).groupby("fy")["unit"].nunique()
    assert (spend.drop("2023-24") == 150).all() and spend["2023-24"] == 149  # Cumbria's successors missing
    assert set(panel.loc[panel["fy"] == "2023-24"].query("hn_spend_gbp != hn_spend_gbp")["unit"]) == {"cumbria"}
    # England S251 1.2.x totals from the data README (GBP bn, 2 d.p.)
    totals = panel.groupby("fy")["hn_spend_gbp"].sum() / 1e9
    assert totals.round(2).tolist() == [4.40, 4.73, 5.16, 5.69, 6.49, 7.42, 8.69, 10.22]


def test_missing_council_in_a_year_is_reported_as_advisory(raw_data: Path):
    settings = tables.CleanSettings(raw_dir=raw_data)
    built = tables.build_all(settings)
    results = qa.results_frame(tables.quality_checks(built, built["la_lookup"], settings))
    row = results[(results["table"] == "hn_spend") & (results["check"] == "coverage fy=2023-24")].iloc[0]
    assert row["status"] == qa.ADVISORY and "942" in row["message"] and "943" in row["message"]
    assert (results["status"] != qa.FAIL).all()


def _published_ehcp() -> pd.DataFrame:
    published = pd.read_csv(config.PUBLISHED_FIGURES_CSV, dtype=str)
    rows = published[published["series"].str.startswith("EHC plans")].copy()
    rows["january"] = rows["period"].str.extract(r"Jan (\d{4})")[0].astype(int)
    rows["approx"] = rows["value"].str.startswith("~")
    rows["number"] = rows["value"].str.lstrip("~").astype(float)
    return rows


def test_national_ehcp_totals_match_published_within_rounding(processed_data: Path):
    national = pd.read_parquet(processed_data / "ehcp_national.parquet").set_index("january")["ehcp_count"]
    las = pd.read_parquet(processed_data / "ehcp.parquet").groupby("january")["ehcp_count"].sum()
    pd.testing.assert_series_equal(las, national, check_names=False)
    outcomes = {}
    for row in _published_ehcp().itertuples():
        ours = national[row.january]
        rounded_to = 1000 if row.number % 1000 == 0 else 100 if row.number % 100 == 0 else 1
        if row.approx:  # derived or quoted figures: within 0.5%
            outcomes[row.january] = "approx" if abs(ours / row.number - 1) <= 0.005 else "FAIL"
        elif abs(ours - row.number) <= rounded_to / 2:
            outcomes[row.january] = "within rounding"
        elif abs(ours / row.number - 1) <= 0.002:
            outcomes[row.january] = "later revision"  # an exact published figure DfE has since revised
        else:
            outcomes[row.january] = "FAIL"
    assert "FAIL" not in outcomes.values(), outcomes
    assert outcomes[2017] == "within rounding" and outcomes[2021] == "within rounding"
    assert outcomes[2024] == "later revision"  # 576,474 in the 2025 release vs 575,963 published in 2024


def test_two_runs_give_byte_identical_parquet(raw_data: Path, tmp_path: Path):
    settings = tables.CleanSettings(raw_dir=raw_data)
    tables.clean(settings, tmp_path / "a")
    tables.clean(settings, tmp_path / "b")
    first, second = _hashes(tmp_path / "a"), _hashes(tmp_path / "b")
    assert len(first) == 15 and first == second


def test_a_failing_check_writes_nothing(raw_data: Path, tmp_path: Path, monkeypatch):
    failing = [qa.CheckResult("hn_spend", "demo", qa.FAIL, "injected failure")]
    monkeypatch.setattr(tables, "quality_checks", lambda *a, **k: failing)
    with pytest.raises(ValidationError, match="injected failure"):
        tables.clean(tables.CleanSettings(raw_dir=raw_data), tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_freshness_follows_inputs_and_settings(raw_data: Path, tmp_path: Path, monkeypatch):
    settings = tables.CleanSettings(raw_dir=raw_data)
    assert not tables.is_up_to_date(settings, tmp_path)
    tables.clean(settings, tmp_path)
    assert tables.is_up_to_date(settings, tmp_path)
    assert not tables.is_up_to_date(tables.CleanSettings(raw_dir=raw_data, deflator_base_fy="2022-23"), tmp_path)
    monkeypatch.setattr(tables, "fingerprint", lambda s: "a changed raw file or code")
    assert not tables.is_up_to_date(settings, tmp_path)
    monkeypatch.undo()
    (tmp_path / "panel.parquet").unlink()
    assert not tables.is_up_to_date(settings, tmp_path)


def _raw_copy(raw: Path, target: Path) -> Path:
    """A raw folder of symlinks to the real files (so one can be replaced without touching data/raw)."""
    for path in raw.rglob("*"):
        if path.is_file():
            link = target / path.relative_to(raw)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)
    return target


@pytest.mark.parametrize("dataset, name, damage, message", [
    ("s251_outturn", "s251_lookup_2020.json", b'{"E09000007": {"la_name": "Camden"', "s251_lookup_2020.json"),
    ("dsg_balance", "dsg_deficit_derived.xlsx", b"PK\x03\x04truncated", "dsg_deficit_derived.xlsx"),
    ("ehcp_sen2", "education-health-and-care-plans_2025.zip", b"PK\x05\x06", "education-health-and-care-plans_2025"),
    ("la_lookup", "las.csv", None, "las.csv"),
])
def test_bad_raw_file_stops_the_step_naming_the_file(raw_data, tmp_path, dataset, name, damage, message):
    raw = _raw_copy(raw_data, tmp_path / "raw")
    (raw / dataset / name).unlink()
    if damage is not None:
        (raw / dataset / name).write_bytes(damage)
    with pytest.raises(SourceFormatError, match=re.escape(message)):
        tables.clean(tables.CleanSettings(raw_dir=raw), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unknown_la_code_and_renamed_column_are_named(raw_data, tmp_path):
    raw = _raw_copy(raw_data, tmp_path / "raw")
    source = raw_data / "dsg_balance" / "dsg_deficit_derived.xlsx"
    frame = pd.read_excel(source, engine="calamine")
    (raw / "dsg_balance" / "dsg_deficit_derived.xlsx").unlink()
    renamed = frame.rename(columns={"la_name": "local_authority"})
    renamed.to_excel(raw / "dsg_balance" / "dsg_deficit_derived.xlsx", index=False)
    with pytest.raises(SourceFormatError, match="la_name"):
        tables.clean(tables.CleanSettings(raw_dir=raw), tmp_path / "out")
    unknown = frame.copy()
    unknown.loc[unknown["geographic_level"] == "Local authority", "la_name"] = "Atlantis"
    unknown.to_excel(raw / "dsg_balance" / "dsg_deficit_derived.xlsx", index=False)
    with pytest.raises(SourceFormatError, match="Atlantis"):
        tables.clean(tables.CleanSettings(raw_dir=raw), tmp_path / "out")
    assert not (tmp_path / "out").exists()
    shutil.rmtree(raw)


def test_sendlib_data_skips_an_up_to_date_clean_step(processed_data: Path, tmp_path: Path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "SENDLIB_REPORTS_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "sendlib", "data"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout and not any(tmp_path.iterdir())
