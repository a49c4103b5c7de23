"""The runner (papermill runs, HTML, manifest, index) and the notebook output helpers,
on the toy notebooks in tests/fixtures/notebooks."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_runs import notebook_results
from sendlib import config
from sendlib.atomic import atomic_path, sha256_of, write_json_atomic
from sendlib.errors import ParameterError, SendlibError
from sendlib.outputs import prepare_output_dir, save_table, write_results
from sendlib.present.frontpage import write_index
from sendlib.runner import (
    check_jobs,
    councils_with_data,
    create_run_dir,
    find_notebook,
    latest_run,
    new_run_id,
    run_many,
    run_notebook,
    write_manifest,
)

TOYS = Path(__file__).parent / "fixtures" / "notebooks"
RAW_ENTRY = {"dataset": "s251_outturn", "file": "a.json", "sha256": "ab" * 32, "bytes": 10, "source": "mirror"}


def point_env(patch: pytest.MonkeyPatch, root: Path) -> None:
    """Reports and data under ``root``; notebooks = the toy notebooks."""
    patch.setenv("SENDLIB_REPORTS_DIR", str(root / "reports"))
    patch.setenv("SENDLIB_DATA_DIR", str(root / "data"))
    patch.setenv("SENDLIB_NOTEBOOKS_DIR", str(TOYS))
    patch.delenv("SENDLIB_RUN_ID", raising=False)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary tree with a tiny processed table and a raw provenance record."""
    root = tmp_path_factory.mktemp("runner")
    (root / "data" / "processed").mkdir(parents=True)
    (root / "data" / "raw").mkdir()
    pd.DataFrame({"unit": ["202"], "fy": ["2021-22"]}).to_parquet(root / "data" / "processed" / "panel.parquet")
    write_json_atomic(root / "data" / "raw" / "provenance.json", {"s251_outturn/a.json": RAW_ENTRY})
    return root


@pytest.fixture
def toy_env(env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    point_env(monkeypatch, env)
    return env


@pytest.fixture(scope="module")
def run(env: Path) -> tuple[Path, list]:
    """Three toy notebooks (one failing) run two at a time, each page also with its code, with
    manifest and index."""
    jobs = [
        ("toy_ok", {"n": 4}, "ok"),
        ("toy_fail", {}, "fail"),
        (TOYS / "toy_square.ipynb", {"values": [2, 3]}, "square"),
    ]
    with pytest.MonkeyPatch.context() as patch:
        point_env(patch, env)
        run_dir = create_run_dir("20260101T000000Z")
        records = run_many(jobs, run_dir, n_jobs=2, with_code=True)
        write_manifest(run_dir, records)
        write_index(run_dir.parent)
    return run_dir, records


def results(folder: Path) -> dict:
    return json.loads((folder / "results.json").read_text(encoding="utf-8"))


# --- runs -------------------------------------------------------------------------------------


def test_records_come_back_in_job_order_with_status(run: tuple[Path, list]) -> None:
    _, records = run
    assert [r.report_name for r in records] == ["ok", "fail", "square"]
    assert [r.status for r in records] == ["ok", "failed", "ok"]
    assert records[1].error == "cell [3]: ValueError: toy failure"
    assert records[0].error is None
    assert all(r.duration_s > 0 and r.started_at <= r.finished_at for r in records)


def test_notebooks_see_their_parameters_and_run_in_the_project_root(run: tuple[Path, list]) -> None:
    run_dir, records = run
    ok = results(run_dir / "ok")
    assert ok["n"] == 4 and ok["total"] == pytest.approx(9.0) and ok["label"] == "toy"
    assert ok["cwd"] == str(config.PROJECT_ROOT)
    assert notebook_results(run_dir / "square") == {"sum_of_squares": 13}
    assert records[0].parameters == {
        "output_dir": str(run_dir / "ok"), "n": 4, "scale": 1.5, "label": "toy", "flags": ["a", "b"],
        "start_fy": "2019-20",
    }
    assert (run_dir / "ok" / "figures" / "table.csv").read_text() == "i,x\n0,0.0\n1,1.5\n2,3.0\n3,4.5\n"


def test_records_and_results_say_which_settings_differ_from_the_defaults(run: tuple[Path, list]) -> None:
    run_dir, records = run
    settings = [(r.non_default, r.defaults) for r in records]
    assert settings == [({"n": 4}, False), ({}, True), ({"values": [2, 3]}, False)]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["reports"]["ok"]["non_default"] == {"n": 4} and manifest["reports"]["fail"]["defaults"] is True
    square = results(run_dir / "square")
    assert square["parameters"] == {"values": [2, 3]} and square["defaults"] == {"values": [1, 2, 3]}
    assert results(run_dir / "ok")["parameters"] == {"n": 4, "scale": 1.5, "label": "toy", "flags": ["a", "b"],
                                                     "start_fy": "2019-20"}


def test_every_page_opens_with_a_back_link_and_the_parameters_used(run: tuple[Path, list]) -> None:
    run_dir, _ = run
    page = (run_dir / "ok" / "toy_ok.nocode.html").read_text()
    assert page.index("Toy notebook: writes a table and results") < page.index("Parameters used")
    assert 'href="../../index.html"' in page
    changed = re.search(r"<tr[^>]*><td>n</td><td><strong>4</strong> \(changed\)</td><td>3</td>", page)
    assert changed and "<td>scale</td><td><strong>1.5</strong></td><td>1.5</td>" in page
    assert "1 setting differs from the defaults" in page
    executed = json.loads((run_dir / "ok" / "toy_ok.ipynb").read_text())
    tags = [cell["metadata"].get("tags", []) for cell in executed["cells"]]
    assert tags.index(["sendlib-page-header"]) == tags.index(["injected-parameters"]) + 1


def test_executed_notebook_and_html_exist_also_when_it_failed(run: tuple[Path, list]) -> None:
    run_dir, records = run
    assert records[1].outputs == {
        "notebook": "fail/toy_fail.ipynb", "html": "fail/toy_fail.html", "html_nocode": "fail/toy_fail.nocode.html",
    }
    assert "toy failure" in (run_dir / "fail" / "toy_fail.ipynb").read_text()
    assert "toy failure" in (run_dir / "fail" / "toy_fail.nocode.html").read_text()


def test_html_with_and_without_code(run: tuple[Path, list]) -> None:
    run_dir, _ = run
    with_code = (run_dir / "ok" / "toy_ok.html").read_text()
    without = (run_dir / "ok" / "toy_ok.nocode.html").read_text()
    assert "prepare_output_dir" in with_code
    assert "prepare_output_dir" not in without
    assert "Toy notebook: writes a table and results" in without
    assert "<title>ok</title>" in without


def test_the_page_with_code_is_written_only_when_asked(toy_env: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    (record,) = run_many([("toy_ok", {}, "ok")], run_dir)
    assert record.outputs == {"notebook": "ok/toy_ok.ipynb", "html_nocode": "ok/toy_ok.nocode.html"}
    assert sorted(p.name for p in (run_dir / "ok").glob("*.html")) == ["toy_ok.nocode.html"]


def test_manifest_hashes_match_every_output_file(run: tuple[Path, list]) -> None:
    run_dir, _ = run
    manifest = json.loads((run_dir / "manifest.json").read_text())
    files = {p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest["outputs"]) == files
    for relpath, entry in manifest["outputs"].items():
        assert entry == {"sha256": sha256_of(run_dir / relpath), "bytes": (run_dir / relpath).stat().st_size}


def test_manifest_records_inputs_versions_and_status(run: tuple[Path, list], env: Path) -> None:
    run_dir, _ = run
    manifest = json.loads((run_dir / "manifest.json").read_text())
    panel = env / "data" / "processed" / "panel.parquet"
    assert manifest["inputs"] == {
        "processed/panel.parquet": {"sha256": sha256_of(panel), "bytes": panel.stat().st_size},
        "raw/s251_outturn/a.json": {"sha256": RAW_ENTRY["sha256"], "bytes": 10},
    }
    assert manifest["run_id"] == "20260101T000000Z"
    assert manifest["status"] == "failed"
    assert {r: v["status"] for r, v in manifest["reports"].items()} == {"ok": "ok", "fail": "failed", "square": "ok"}
    assert manifest["reports"]["square"]["parameters"]["values"] == [2, 3]
    assert re.fullmatch(r"[0-9a-f]{40}", manifest["git"]["commit"])
    assert isinstance(manifest["git"]["dirty"], bool)
    assert manifest["packages"]["papermill"] and manifest["packages"]["pandas"] and manifest["packages"]["sendlib"]


def test_index_links_every_report_and_marks_failures(run: tuple[Path, list], env: Path) -> None:
    run_dir, _ = run
    index = (env / "reports" / "index.html").read_text()
    for link in ("ok/toy_ok.nocode.html", "ok/toy_ok.html", "ok/results.json", "fail/toy_fail.nocode.html",
                 "square/toy_square.nocode.html", "manifest.json"):
        assert f'href="20260101T000000Z/{link}"' in index
    assert re.search(r'<tr class="failed"><td><a href="20260101T000000Z/fail/toy_fail.nocode.html">', index)
    assert re.search(r'<tr><td><a href="20260101T000000Z/ok/toy_ok.nocode.html">[^<]*</a></td><td class="status ok"', index)
    assert "ValueError: toy failure" in index
    assert (env / "reports" / "latest").resolve() == run_dir


def test_same_inputs_give_identical_results_and_tables(run: tuple[Path, list], toy_env: Path) -> None:
    first, _ = run
    second = create_run_dir("20260101T000000Z")
    assert second.name == "20260101T000000Z-02"
    record = run_notebook("toy_ok", {"n": 4}, second, "ok")
    assert record.status == "ok"
    for relpath in ("results.json", "figures/table.csv"):
        assert (second / "ok" / relpath).read_bytes() == (first / "ok" / relpath).read_bytes()


def test_bad_parameter_is_refused_before_anything_runs(toy_env: Path, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="did you mean 'scale'"):
        run_notebook("toy_ok", {"scal": 2}, tmp_path, "ok")
    assert not (tmp_path / "ok").exists()


def test_missing_kernel_is_a_clear_error(toy_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "KERNEL_NAME", "no-such-kernel-xyz")
    with pytest.raises(SendlibError, match="kernel 'no-such-kernel-xyz' is not installed: run `make setup`"):
        run_notebook("toy_ok", {}, tmp_path, "ok")
    assert not (tmp_path / "ok").exists()


def test_report_name_must_be_a_folder_name(toy_env: Path, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="report name '../x'"):
        run_notebook("toy_ok", {}, tmp_path, "../x")


def test_find_notebook(toy_env: Path) -> None:
    assert find_notebook("toy_ok") == (TOYS / "toy_ok.ipynb").resolve()
    assert find_notebook(TOYS / "toy_fail.ipynb") == (TOYS / "toy_fail.ipynb").resolve()
    with pytest.raises(SendlibError, match=r"'toy_sqare' not found \(did you mean 'toy_square'"):
        find_notebook("toy_sqare")


@pytest.mark.parametrize(
    ("jobs", "n_jobs", "expected"),
    [
        ([], 1, "nothing to run"),
        ([("toy_ok", {}, "a")], 0, "at least 1"),
        ([("toy_ok", {}, "a"), ("toy_square", {}, "a")], 1, "repeated: a"),
    ],
)
def test_check_jobs(jobs: list, n_jobs: int, expected: str) -> None:
    with pytest.raises(ParameterError, match=expected):
        check_jobs(jobs, n_jobs)


def test_manifest_keeps_reports_of_an_earlier_write(toy_env: Path, tmp_path: Path, run: tuple[Path, list]) -> None:
    _, records = run
    folder = tmp_path / "20260102T000000Z"
    folder.mkdir()
    write_manifest(folder, records[:1])
    write_manifest(folder, records[1:])
    assert set(json.loads((folder / "manifest.json").read_text())["reports"]) == {"ok", "fail", "square"}


def test_latest_run_needs_a_manifest(tmp_path: Path) -> None:
    (tmp_path / "20260101T000000Z").mkdir()
    with pytest.raises(SendlibError, match="no run with a manifest.json"):
        latest_run(tmp_path)


# --- run ids ----------------------------------------------------------------------------------


def test_run_id_is_a_sortable_utc_timestamp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SENDLIB_RUN_ID", raising=False)
    assert new_run_id(datetime(2026, 11, 28, 12, 15, 0, tzinfo=timezone.utc)) == "20261128T121500Z"
    assert re.fullmatch(r"\d{8}T\d{6}Z", new_run_id())


def test_run_id_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENDLIB_RUN_ID", "test-run")
    assert new_run_id() == "test-run"
    monkeypatch.setenv("SENDLIB_RUN_ID", "a/b")
    with pytest.raises(ParameterError, match="SENDLIB_RUN_ID 'a/b'"):
        new_run_id()


# --- councils to profile ----------------------------------------------------------------------


def lookup() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "la_code": ["202", "835", "838", "839", "886", "909", "942", "943"],
            "unit": ["202", "bcp_dorset", "bcp_dorset", "bcp_dorset", "886", "cumbria", "cumbria", "cumbria"],
            "end_date": pd.to_datetime([None, "2019-03-31", None, None, None, "2023-03-31", None, None]),
        }
    )


def test_councils_with_data_are_live_councils_of_units_with_spend() -> None:
    panel = pd.DataFrame(
        {
            "unit": ["202", "202", "bcp_dorset", "886", "cumbria"],
            "fy": ["2020-21", "2021-22", "2021-22", "2021-22", "2021-22"],
            "hn_spend_gbp": [1.0, 2.0, 3.0, np.nan, 4.0],
        }
    )
    assert councils_with_data(panel, lookup()) == ["202", "838", "839", "942", "943"]


def test_councils_with_data_from_a_panel_with_la_code() -> None:
    panel = pd.DataFrame({"la_code": ["886", "202", "202"], "fy": ["2021-22"] * 3})
    assert councils_with_data(panel) == ["202", "886"]


def test_councils_with_data_needs_the_panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENDLIB_DATA_DIR", str(tmp_path))
    with pytest.raises(SendlibError, match="panel.parquet not found: run `sendlib data` first"):
        councils_with_data()


# --- notebook outputs -------------------------------------------------------------------------


def test_prepare_output_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENDLIB_REPORTS_DIR", str(tmp_path / "reports"))
    scratch = prepare_output_dir("", "02_case_study_growth")
    assert scratch == tmp_path / "reports" / "scratch" / "02_case_study_growth"
    assert (scratch / "figures").is_dir()
    given = prepare_output_dir(str(tmp_path / "run" / "x"), "ignored")
    assert given == tmp_path / "run" / "x" and (given / "figures").is_dir()


def test_write_results_is_sorted_and_plain_json(tmp_path: Path) -> None:
    path = write_results(
        tmp_path,
        {"b": np.float64(0.25), "a": [np.int64(3), float("nan")], "c": {"z": pd.NA, "y": np.bool_(True)},
         "d": pd.Timestamp("2022-01-01"), "e": np.array([1.5, np.inf])},
    )
    assert path == tmp_path / "results.json"
    assert path.read_text() == (
        '{\n  "a": [\n    3,\n    null\n  ],\n  "b": 0.25,\n  "c": {\n    "y": true,\n    "z": null\n  },\n'
        '  "d": "2022-01-01T00:00:00",\n  "e": [\n    1.5,\n    null\n  ]\n}\n'
    )


def test_write_results_refuses_unknown_objects(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"results\['frame'\]: cannot write a DataFrame"):
        write_results(tmp_path, {"frame": pd.DataFrame({"a": [1]})})
    assert not (tmp_path / "results.json").exists()


def test_save_table_is_stable(tmp_path: Path) -> None:
    frame = pd.DataFrame({"la_code": ["202", "886"], "value_gbp": [1.5, np.nan], "n_count": [1, 2]})
    path = save_table(frame, tmp_path, "values")
    assert path == tmp_path / "figures" / "values.csv"
    assert path.read_bytes() == b"la_code,value_gbp,n_count\n202,1.5,1\n886,,2\n"
    named = save_table(frame.set_index("la_code"), tmp_path, "named")
    assert named.read_text().splitlines()[0] == "la_code,value_gbp,n_count"


@pytest.mark.parametrize("name", ["a/b", "x.csv", "", "../up"])
def test_save_table_name_must_be_a_stem(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="plain file stem"):
        save_table(pd.DataFrame({"a": [1]}), tmp_path, name)


@pytest.mark.needs_data
def test_councils_with_data_on_the_real_lookup(raw_data: Path) -> None:
    """Every unit of the real LA lookup in a panel -> every council live today, merged units
    profiled through their successors (BCP 839 and Dorset 838, not 835-837; 940/941; 942/943)."""
    from sendlib.geography import read_la_lookup

    lookup = read_la_lookup(raw_data)
    panel = pd.DataFrame({"unit": sorted(lookup["unit"].unique()), "fy": "2021-22", "hn_spend_gbp": 1.0})
    councils = councils_with_data(panel, lookup)
    assert len(councils) == 153
    assert {"838", "839", "940", "941", "942", "943", "201", "420"} <= set(councils)
    assert not {"835", "836", "837", "909", "928"} & set(councils)


# --- files: permissions, temporary names, concurrent writers, the latest run ----------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    previous = os.umask(umask)
    try:
        write_json_atomic(tmp_path / "a.json", {"a": 1})
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == mode


def test_every_file_of_a_run_is_readable_by_others_under_umask_022(toy_env: Path) -> None:
    previous = os.umask(0o022)
    try:
        run_dir = create_run_dir()
        write_manifest(run_dir, run_many([("toy_ok", {}, "ok")], run_dir))
        index = write_index(run_dir.parent)
    finally:
        os.umask(previous)
    files = [index, *(p for p in run_dir.rglob("*") if p.is_file())]
    assert len(files) > 5
    assert {p.relative_to(toy_env).as_posix(): oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {
        p.relative_to(toy_env).as_posix(): "0o644" for p in files}


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(tmp_path / "table.parquet") as tmp:
            tmp.write_bytes(b"half")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def manifest_started(reports: Path, run_id: str, started_at: str) -> None:
    write_json_atomic(reports / run_id / "manifest.json", {
        "run_id": run_id, "status": "ok", "started_at": started_at, "finished_at": started_at, "git": {},
        "reports": {}, "outputs": {},
    })


def test_latest_is_the_newest_run_by_start_time_not_by_id(tmp_path: Path) -> None:
    manifest_started(tmp_path, "ok", "2026-11-28T10:00:00+00:00")
    manifest_started(tmp_path, "20261128T120000Z", "2026-11-28T12:00:00+00:00")
    manifest_started(tmp_path, "20261128T110000Z", "2026-11-28T11:00:00+00:00")
    (tmp_path / "zzz-killed-run").mkdir()  # no manifest: never the latest
    assert latest_run(tmp_path) == tmp_path / "20261128T120000Z"
    write_index(tmp_path)
    assert (tmp_path / "latest").resolve() == tmp_path / "20261128T120000Z"


INDEX_WRITER = """
import sys
from sendlib.present.frontpage import write_index
for _ in range(40):
    write_index(sys.argv[1])
"""


def test_concurrent_index_writers_never_fail(tmp_path: Path) -> None:
    manifest_started(tmp_path, "20261128T120000Z", "2026-11-28T12:00:00+00:00")
    writers = [subprocess.Popen([sys.executable, "-c", INDEX_WRITER, str(tmp_path)], stderr=subprocess.PIPE, text=True)
               for _ in range(3)]
    outcomes = [(writer.wait(timeout=120), writer.stderr.read()) for writer in writers]
    assert outcomes == [(0, "")] * 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["20261128T120000Z", "index.html", "latest"]
