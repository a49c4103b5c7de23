"""The real clean step on the real raw files: coverage, national totals against published
figures, byte-identical reruns, atomic writes, freshness (never wrong: damaged tables, edited
raw files, a kill between two renames), escaped output, and bad input end to end.

A build takes 15 seconds, so the module builds the tables once in memory (``built``) besides
the session's processed tables (``processed_data``, conftest.py): two builds of the same raw
files and code, compared byte for byte, and the QA, write and freshness tests use them or a
copy of the processed tables instead of building again. Each test holds the processed tables
steady (conftest.py: nbval's run of notebook 01 rewrites them)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from cli_runs import report_folders, run_sendlib

from sendlib import config, tables
from sendlib import validate as qa
from sendlib.acquire import PROVENANCE_FILE
from sendlib.atomic import sha256_of
from sendlib.errors import ChecksumError, SourceFormatError, ValidationError
from sendlib.sources import load_registry, registry_by_relpath

pytestmark = [pytest.mark.needs_data, pytest.mark.usefixtures("steady_processed_data")]


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


@pytest.fixture(scope="module")
def built(raw_data: Path) -> dict[str, pd.DataFrame]:
    """Every table and the panel, built in memory by the real clean step's build (read-only)."""
    return tables.build_all(tables.CleanSettings(raw_dir=raw_data))


@pytest.fixture(scope="module")
def real_qa(raw_data: Path, built: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The QA results of the real clean step."""
    settings = tables.CleanSettings(raw_dir=raw_data)
    return qa.results_frame(tables.quality_checks(built, built["la_lookup"], settings))


def _qa_row(results: pd.DataFrame, table: str, check: str) -> pd.Series:
    return results[(results["table"] == table) & (results["check"] == check)].iloc[0]


def test_missing_council_in_a_year_is_reported_as_advisory(real_qa: pd.DataFrame):
    row = _qa_row(real_qa, "hn_spend", "coverage fy=2023-24")
    assert row["status"] == qa.ADVISORY and "942" in row["message"] and "943" in row["message"]
    assert (real_qa["status"] != qa.FAIL).all()


def test_sen2_gaps_are_advisories_that_name_their_cause(real_qa: pd.DataFrame):
    set_aside = _qa_row(real_qa, "new_plans", "values set aside as source errors")
    assert set_aside["status"] == qa.ADVISORY and "calendar_year=2022" in set_aside["message"] and "384" in set_aside["message"]
    assert _qa_row(real_qa, "new_plans", "LA sum = national (new_plans_count, calendar_year=2022)")["status"] == qa.ADVISORY
    assert _qa_row(real_qa, "new_plans", "LA sum = national (new_plans_count, calendar_year=2024)")["status"] == qa.PASS
    need = _qa_row(real_qa, "primary_need", "LA sum = national (ehcp_count, january=2025)")
    assert need["status"] == qa.ADVISORY and "totals agree" in need["message"] and "sld" in need["message"]
    codes = _qa_row(real_qa, "tribunal_appeals", "file_la_code agrees with la_code found by name")
    assert codes["status"] == qa.ADVISORY and "Nottinghamshire (file 928, DfE 891)" in codes["message"]
    assert _qa_row(real_qa, "tribunal_appeals", "appeal_rate_pct recomputes from appeals_count / "
                                                "appealable_decisions_count")["status"] == qa.PASS
    sen2_tables = real_qa[real_qa["table"].isin(["ehcp_by_setting", "new_plans_by_setting", "new_plans", "requests",
                                                 "timeliness", "primary_need", "tribunal_appeals"])]
    assert sen2_tables["table"].nunique() == 7 and (sen2_tables["status"] == qa.PASS).sum() > 100


def _published_ehcp() -> pd.DataFrame:
    published = pd.read_csv(config.PUBLISHED_FIGURES_CSV, dtype=str)
    rows = published[published["series"].str.startswith("EHC plans") & published["series"].str.contains("in force")].copy()
    rows["january"] = rows["period"].str.extract(r"Jan (\d{4})")[0].astype(int)
    rows["approx"] = rows["value"].str.startswith("~")
    rows["number"] = rows["value"].str.lstrip("~").astype(float)
    return rows


def test_national_ehcp_totals_match_published_within_rounding(processed_data: Path):
    national = pd.read_parquet(processed_data / "ehcp_national.parquet").set_index("january")["ehcp_count"]
    las = pd.read_parquet(processed_data / "ehcp.parquet").groupby("january")["ehcp_count"].sum()
    pd.testing.assert_series_equal(las, national, check_names=False)
    outcomes = {}
    for row in _published_ehcp().itertuples():  # a January may have two figures (then and revised): each checked
        ours, key = national[row.january], (row.january, row.value)
        rounded_to = 1000 if row.number % 1000 == 0 else 100 if row.number % 100 == 0 else 1
        if row.approx:  # derived or quoted figures: within 0.5%
            outcomes[key] = "approx" if abs(ours / row.number - 1) <= 0.005 else "FAIL"
        elif abs(ours - row.number) <= rounded_to / 2:
            outcomes[key] = "within rounding"
        elif abs(ours / row.number - 1) <= 0.002:
            outcomes[key] = "later revision"  # an exact published figure DfE has since revised
        else:
            outcomes[key] = "FAIL"
    assert "FAIL" not in outcomes.values(), outcomes
    assert outcomes[(2017, "287290")] == "within rounding" and outcomes[(2021, "430700")] == "within rounding"
    assert outcomes[(2024, "575963")] == "later revision"  # 576,474 in the 2025 release vs 575,963 published in 2024
    assert outcomes[(2024, "576500")] == "within rounding"  # the 2025 release's own figure for January 2024


def test_two_builds_give_byte_identical_parquet(raw_data: Path, processed_data: Path, built: dict, tmp_path: Path):
    """This module's build, written as the clean step writes, against the session's processed
    tables: another build from the same raw files, code and settings (their build record says so)."""
    assert tables.is_up_to_date(tables.CleanSettings(raw_dir=raw_data), processed_data)
    tables.write_tables(built, tmp_path / "again")
    first, second = _hashes(processed_data), _hashes(tmp_path / "again")
    assert len(first) == 29 and first == second  # 28 tables + the panel


def test_a_failing_check_writes_nothing(raw_data: Path, built: dict, tmp_path: Path, monkeypatch):
    failing = [qa.CheckResult("hn_spend", "demo", qa.FAIL, "injected failure")]
    monkeypatch.setattr(tables, "build_all", lambda settings: built)  # the tables as built, not built again
    monkeypatch.setattr(tables, "quality_checks", lambda *a, **k: failing)
    with pytest.raises(ValidationError, match="injected failure"):
        tables.clean(tables.CleanSettings(raw_dir=raw_data), tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_freshness_follows_inputs_and_settings(processed_copy: Path, tmp_path: Path, monkeypatch):
    processed = processed_copy / "processed"
    settings = tables.CleanSettings(raw_dir=processed_copy / "raw")
    assert "no build record" in tables.stale_reason(settings, tmp_path)
    assert tables.is_up_to_date(settings, processed)
    record = json.loads((processed / tables.BUILD_RECORD).read_text())
    assert {f"{name}.parquet": sha for name, sha in record["tables"].items()} == _hashes(processed)
    assert len(record["tables"]) == 29
    assert set(record["raw"]) == {f.relpath for f in load_registry()}
    changed = tables.CleanSettings(raw_dir=processed_copy / "raw", deflator_base_fy="2022-23")
    assert not tables.is_up_to_date(changed, processed)
    monkeypatch.setattr(tables, "fingerprint", lambda s: "a changed raw file or code")
    assert "code" in tables.stale_reason(settings, processed)
    monkeypatch.undo()
    (processed / "panel.parquet").unlink()
    assert tables.stale_reason(settings, processed) == f"{processed / 'panel.parquet'} is missing"


def test_a_truncated_table_is_not_up_to_date(processed_copy: Path):
    panel = processed_copy / "processed" / "panel.parquet"
    settings = tables.CleanSettings(raw_dir=processed_copy / "raw")
    assert tables.is_up_to_date(settings, panel.parent)
    panel.write_bytes(panel.read_bytes()[:1000])
    assert tables.stale_reason(settings, panel.parent) == (
        f"{panel} is not the table the last build wrote (its sha256 differs: damaged or replaced)")


def test_an_old_or_unreadable_build_record_is_not_up_to_date(processed_copy: Path):
    processed = processed_copy / "processed"
    settings = tables.CleanSettings(raw_dir=processed_copy / "raw")
    record = json.loads((processed / tables.BUILD_RECORD).read_text())
    (processed / tables.BUILD_RECORD).write_text(json.dumps({**record, "tables": sorted(record["tables"])}))
    assert "lists no table checksums" in tables.stale_reason(settings, processed)
    (processed / tables.BUILD_RECORD).write_text('{"fingerprint": ')
    assert "cannot be read" in tables.stale_reason(settings, processed)


def test_an_edited_raw_file_is_never_built_from(processed_copy: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SENDLIB_DATA_DIR", str(processed_copy))
    before = _hashes(processed_copy / "processed")
    edited = _edit_raw_file(processed_copy / "raw", "deflators/gdp_deflators.csv")
    registered = registry_by_relpath()["deflators/gdp_deflators.csv"].sha256
    settings = tables.CleanSettings(raw_dir=processed_copy / "raw")
    assert str(edited) in tables.stale_reason(settings, processed_copy / "processed")
    data = run_sendlib(tmp_path / "reports", "data")
    assert data.returncode == 2 and str(edited) in data.stderr and registered in data.stderr
    clean = run_sendlib(tmp_path / "reports", "run", "01_clean_data")
    assert clean.returncode == 1
    assert str(edited) in clean.stderr and registered in clean.stderr and sha256_of(edited) in clean.stderr
    assert _hashes(processed_copy / "processed") == before  # nothing was built from the edited file
    with pytest.raises(ChecksumError, match="gdp_deflators.csv"):
        tables.clean(settings, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_kill_between_two_renames_is_rebuilt_by_sendlib_data(processed_copy: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SENDLIB_DATA_DIR", str(processed_copy))
    processed = processed_copy / "processed"
    before = _hashes(processed)
    killed = subprocess.run([sys.executable, "-c", KILL_BEFORE_PANEL_RENAME], capture_output=True, text=True,
                            timeout=600, env=dict(os.environ))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    changed = {name for name, sha in _hashes(processed).items() if before[name] != sha}
    assert "hn_spend.parquet" in changed and "panel.parquet" not in changed  # killed half-way through
    assert pd.read_parquet(processed / "hn_spend.parquet")["fy"].max() == "2023-24"
    assert pd.read_parquet(processed / "panel.parquet")["fy"].max() == "2024-25"
    assert list(processed.glob(".panel.parquet.*.tmp"))  # the temporary file of the table being renamed
    assert "no build record" in tables.stale_reason(tables.CleanSettings(raw_dir=processed_copy / "raw"), processed)
    data = run_sendlib(tmp_path / "reports", "data")
    assert data.returncode == 0, data.stderr
    assert "up to date" not in data.stdout and "01_clean_data" in data.stdout
    assert _hashes(processed) == before and not list(processed.glob(".*.tmp"))
    again = run_sendlib(tmp_path / "reports", "data")
    assert again.returncode == 0 and "up to date" in again.stdout


#: The clean step's write of tables whose hn_spend ends in 2023-24 (as `sendlib run 01_clean_data
#: -p last_fy 2023-24` would build it; the other tables as they are, not built again), killed (SIGKILL)
#: between two renames: hn_spend and the tables before it are replaced, the panel is not.
KILL_BEFORE_PANEL_RENAME = """
import os, signal
from pathlib import Path
import pandas as pd
from sendlib import config, tables
built = {path.stem: pd.read_parquet(path) for path in sorted(config.processed_dir().glob("*.parquet"))}
built["hn_spend"] = built["hn_spend"][built["hn_spend"]["fy"] <= "2023-24"]
rename = os.replace
def replace(source, target):
    if Path(target).name == "panel.parquet":
        os.kill(os.getpid(), signal.SIGKILL)
    rename(source, target)
os.replace = replace
tables.write_tables(built, config.processed_dir())
"""


def test_a_failed_write_leaves_no_temporary_file_and_no_record(processed_copy: Path, built: dict, monkeypatch):
    processed = processed_copy / "processed"
    settings = tables.CleanSettings(raw_dir=processed_copy / "raw")
    calls = []

    def failing_to_parquet(frame, path, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        return original(frame, path, **kwargs)

    original = pd.DataFrame.to_parquet
    monkeypatch.setattr(pd.DataFrame, "to_parquet", failing_to_parquet)
    with pytest.raises(OSError, match=r"deprivation\.parquet") as failed:  # sendlib.atomic names the file
        tables.write_tables(built, processed)
    assert str(failed.value.__cause__) == "disk full"
    assert not list(processed.glob(".*.tmp")) and not tables.is_up_to_date(settings, processed)


def _edit_raw_file(raw: Path, relpath: str) -> Path:
    """Replace a raw file (a symlink into data/raw in the copy) by an edited copy of it."""
    path = raw / relpath
    text = path.read_text(encoding="utf-8")
    path.unlink()
    path.write_text(text.replace("1", "2", 1), encoding="utf-8")
    return path


@pytest.fixture
def processed_copy(processed_data: Path, tmp_path: Path) -> Path:
    """A data folder (SENDLIB_DATA_DIR layout) for tests that damage it: raw/ as symlinks to
    the real raw files (plus a copy of provenance.json), processed/ as a copy of the real tables."""
    data = tmp_path / "data"
    _raw_copy(config.raw_dir(), data / "raw")
    (data / "raw" / PROVENANCE_FILE).unlink()
    shutil.copy(config.raw_dir() / PROVENANCE_FILE, data / "raw" / PROVENANCE_FILE)
    shutil.copytree(processed_data, data / "processed")
    return data


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
def test_bad_raw_file_stops_the_build_naming_the_file(raw_data, tmp_path, dataset, name, damage, message):
    raw = _raw_copy(raw_data, tmp_path / "raw")
    (raw / dataset / name).unlink()
    if damage is not None:
        (raw / dataset / name).write_bytes(damage)
    with pytest.raises(SourceFormatError, match=re.escape(message)):
        tables.build_all(tables.CleanSettings(raw_dir=raw))  # the readers' messages (clean() checks hashes first)


def test_unknown_la_code_and_renamed_column_are_named(raw_data, tmp_path):
    raw = _raw_copy(raw_data, tmp_path / "raw")
    source = raw_data / "dsg_balance" / "dsg_deficit_derived.xlsx"
    frame = pd.read_excel(source, engine="calamine")
    (raw / "dsg_balance" / "dsg_deficit_derived.xlsx").unlink()
    renamed = frame.rename(columns={"la_name": "local_authority"})
    renamed.to_excel(raw / "dsg_balance" / "dsg_deficit_derived.xlsx", index=False)
    with pytest.raises(SourceFormatError, match="la_name"):
        tables.build_all(tables.CleanSettings(raw_dir=raw))
    unknown = frame.copy()
    unknown.loc[unknown["geographic_level"] == "Local authority", "la_name"] = "Atlantis"
    unknown.to_excel(raw / "dsg_balance" / "dsg_deficit_derived.xlsx", index=False)
    with pytest.raises(SourceFormatError, match="Atlantis"):
        tables.build_all(tables.CleanSettings(raw_dir=raw))
    shutil.rmtree(raw)


def test_sendlib_data_skips_an_up_to_date_clean_step(processed_data: Path, tmp_path: Path):
    done = run_sendlib(tmp_path, "data", timeout=300)
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout and not any(tmp_path.iterdir())


def test_a_hostile_path_parameter_is_escaped_in_both_html_files(raw_data: Path, tmp_path: Path):
    hostile = "x`<img src=x onerror=alert(1)>`"
    done = run_sendlib(tmp_path / "reports", "run", "01_clean_data", "-p", "processed_dir", str(tmp_path / hostile),
                       "--with-code")
    assert done.returncode == 0, done.stderr
    (html, nocode), = [(folder / "01_clean_data.html", folder / "01_clean_data.nocode.html")
                       for folder in report_folders(tmp_path / "reports", "01_clean_data")]
    for page in (html.read_text(encoding="utf-8"), nocode.read_text(encoding="utf-8")):
        assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in nocode.read_text(encoding="utf-8")
