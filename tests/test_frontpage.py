"""The front page (sendlib.present.frontpage) on hand-made runs: manifests and results.json files
written into a temporary reports folder."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cli_runs import visible_text
from sendlib.present import frontpage

HOSTILE = "<img src=x onerror=alert(1)>"
CAMDEN = {
    "la_code": "202", "la_name": "Camden", "region": "London", "la_type": "ILB", "first_fy": "2017-18",
    "last_fy": "2024-25", "level_fy": "2023-24", "allocation_fy": "2023-24", "balance_fy": "2021-22",
    "spend_per_head_2_18_gbp": 1204.8394, "spend_growth_cash": 0.743568, "spend_vs_allocation": -0.197182,
    "balance_pct": -7.14, "dbv": False, "dbv_tranche": None, "safety_valve": False, "safety_valve_year": None,
    "case_study_2022": True,
}
STOCKPORT = {
    **CAMDEN, "la_code": "356", "la_name": "Stockport", "region": "North West", "la_type": "MD",
    "spend_per_head_2_18_gbp": 762.3, "spend_growth_cash": 1.599, "spend_vs_allocation": 0.024,
    "balance_pct": 2.1, "dbv": True, "dbv_tranche": "tranche 1", "safety_valve": True,
    "safety_valve_year": "2022-23", "case_study_2022": False,
}
CASE_STUDY = {
    "claimed_growth": 0.25, "claim_percentile_among_units": 0.2, "n_units_with_growth": 150, "base_fy": "2018-19",
    "end_fy": "2021-22", "measure": "hn_spend", "basis": "cash", "denominator": "total", "group_size": 10,
    "claim_percentile_among_random_groups": 0.0056, "national_growth": 0.3717, "sensitivity_rows": 48,
    "sensitivity_claim_percentile_among_units_min": 0.02, "sensitivity_claim_percentile_among_units_max": 0.9933,
}


def record(name: str, started_at: str, status: str = "ok", error: str | None = None,
           notebook: str = "05_council_profile", outputs: dict[str, str] | None = None,
           parameters: dict[str, Any] | None = None, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """A manifest record as runner.RunRecord writes it (every output present unless given);
    ``settings``: its ``non_default`` field (None: a record written before that field existed)."""
    if outputs is None:
        outputs = {"notebook": f"{name}/{notebook}.ipynb", "html": f"{name}/{notebook}.html",
                   "html_nocode": f"{name}/{notebook}.nocode.html"}
    written = {"report_name": name, "notebook": f"notebooks/{notebook}.ipynb", "parameters": parameters or {},
               "status": status, "error": error, "started_at": started_at, "finished_at": started_at,
               "duration_s": 1.0, "outputs": outputs}
    return written if settings is None else {**written, "non_default": settings, "defaults": not settings}


def write_run(reports: Path, run_id: str, started_at: str, reports_in_run: dict[str, tuple[dict, dict | None]]) -> Path:
    """A run folder with its manifest and each report's results.json (None: no results file)."""
    run_dir = reports / run_id
    for name, (_, results) in reports_in_run.items():
        (run_dir / name).mkdir(parents=True)
        if results is not None:
            (run_dir / name / "results.json").write_text(json.dumps(results), encoding="utf-8")
    manifest = {"run_id": run_id, "started_at": started_at, "status": "ok",
                "reports": {name: rec for name, (rec, _) in reports_in_run.items()}}
    (run_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return run_dir


def council(name: str, results: dict | None, started_at: str = "2026-01-01T10:00:00+00:00", **kw: Any) -> dict:
    return {name: (record(name, started_at, **kw), results)}


def rows_of(page: str) -> list[str]:
    """The councils table's body rows."""
    body = page.split('<table id="councils">', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr[^>]*>.*?</tr>", body, flags=re.S)


def row_for(page: str, code: str) -> str:
    return next(row for row in rows_of(page) if f"<td>{code}</td>" in row)


def test_every_council_is_a_row_with_its_name_code_region_type_programmes_and_figures(tmp_path: Path) -> None:
    write_run(tmp_path, "20260101T100000Z", "2026-01-01T10:00:00+00:00",
              {**council("council_202", CAMDEN), **council("council_356", STOCKPORT)})
    page = frontpage.render_front_page(tmp_path)
    assert len(rows_of(page)) == 2
    camden = row_for(page, "202")
    assert '<a href="20260101T100000Z/council_202/05_council_profile.nocode.html">Camden</a>' in camden
    cells = re.findall(r"<td[^>]*>(.*?)</td>", camden, flags=re.S)
    assert cells[1:9] == ["202", "London", "inner London borough", "case study", "£1,205", "+74.4%", "-19.7%",
                          "surplus 7.1%"]
    assert 'data-sort="1204.8394"' in camden, "figures sort by their value, not their text"
    stockport = row_for(page, "356")
    assert "DBV (tranche 1), safety valve (2022-23)" in stockport and "deficit 2.1%" in stockport
    assert "metropolitan district" in stockport
    assert "Spend per head aged 2-18, 2023-24" in page, "the shared year is in the heading"


def test_hostile_names_are_escaped_everywhere(tmp_path: Path) -> None:
    results = {**CAMDEN, "la_name": HOSTILE, "region": HOSTILE, "la_type": HOSTILE, "dbv": True,
               "dbv_tranche": HOSTILE}
    write_run(tmp_path, "20260101T100000Z", "2026-01-01T10:00:00+00:00",
              {**council("council_202", results),
               **council("council_203", None, status="failed", error=f"ValueError: {HOSTILE}")})
    page = frontpage.render_front_page(tmp_path)
    assert "<img" not in page
    # the name (shown and as its sort key), region, LA type, DBV tranche and the error message
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") == 6
    assert HOSTILE in visible_text(page), "shown literally"


def test_newest_record_by_start_time_wins_not_folder_name_and_every_council_stays(tmp_path: Path) -> None:
    old, new = "2026-01-01T10:00:00+00:00", "2026-01-02T09:00:00+01:00"
    write_run(tmp_path, "zzz-older", old, {**council("council_202", {**CAMDEN, "la_name": "Camden (old run)"}, old),
                                           **council("council_356", STOCKPORT, old)})
    write_run(tmp_path, "aaa-newer", new, council("council_202", CAMDEN, new))
    page = frontpage.render_front_page(tmp_path)
    assert "Camden (old run)" not in page
    assert 'href="aaa-newer/council_202/05_council_profile.nocode.html">Camden<' in row_for(page, "202")
    assert 'href="zzz-older/manifest.json">zzz-older<' in row_for(page, "356"), "says which run a row is from"
    assert len(rows_of(page)) == 2


def test_default_reports_compares_start_times_as_moments() -> None:
    starts = {"b": "2026-01-01T12:00:00+00:00", "a": "2026-01-01T12:30:00+00:00", "c": "2026-01-01T13:00:00+02:00"}
    runs = [(Path(run_id), {"started_at": start, "reports": {"x": record("x", start)}})
            for run_id, start in starts.items()]
    assert frontpage.default_reports(runs)["x"].run_id == "a"  # 13:00+02:00 is 11:00 UTC


def test_a_failed_report_stands_out_and_links_its_notebook(tmp_path: Path) -> None:
    failed = council("council_203", None, status="failed", error="cell [7]: KeyError: 'unit'",
                     outputs={"notebook": "council_203/05_council_profile.ipynb"}, parameters={"la": "203"})
    write_run(tmp_path, "20260101T100000Z", "2026-01-01T10:00:00+00:00", {**failed, **council("council_202", CAMDEN)})
    page = frontpage.render_front_page(tmp_path)
    row = row_for(page, "203")
    assert row.startswith('<tr class="failed">') and not row_for(page, "202").startswith('<tr class="failed">')
    assert 'href="20260101T100000Z/council_203/05_council_profile.ipynb"' in row
    assert "cell [7]: KeyError: &#x27;unit&#x27;" in row and "failed" in row
    assert "1 failed" in visible_text(page)


def test_missing_figures_read_no_data_never_none_or_nan(tmp_path: Path) -> None:
    sparse = {key: value for key, value in CAMDEN.items() if key not in ("spend_vs_allocation", "region", "dbv")}
    sparse.update({"balance_pct": None, "spend_per_head_2_18_gbp": float("nan")})
    write_run(tmp_path, "20260101T100000Z", "2026-01-01T10:00:00+00:00",
              {**council("council_202", sparse), **council("council_356", STOCKPORT)})
    page = frontpage.render_front_page(tmp_path)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row_for(page, "202"), flags=re.S)
    assert cells[2] == "no data" and cells[5:9] == ["no data", "+74.4%", "no data", "no data"]
    assert cells[4] == "case study", "programmes shown from the flags that exist"
    text = visible_text(page)
    assert not re.search(r"\b(None|NaN|nan|null)\b", text)


def test_a_year_other_than_the_heading_s_is_shown_in_the_cell(tmp_path: Path) -> None:
    write_run(tmp_path, "r1", "2026-01-01T10:00:00+00:00",
              {**council("council_202", CAMDEN), **council("council_356", {**STOCKPORT, "allocation_fy": "2022-23"}),
               **council("council_357", {**STOCKPORT, "la_code": "357", "la_name": "Tameside"})})
    page = frontpage.render_front_page(tmp_path)
    assert "+2.4% (2022-23)" in row_for(page, "356") and "(2023-24)" not in row_for(page, "357")


def test_case_study_finding_gives_the_verdict_from_the_numbers() -> None:
    text = frontpage.case_study_finding(CASE_STUDY)
    assert "claimed 25.0% (high-needs spending, cash terms, 2018-19 to 2021-22)" in text
    assert "20.0% of 150 councils" in text and "0.6% of random groups of 10" in text and "unusually low" in text
    assert "England grew by 37.2%" in text and "from 2.0% to 99.3%" in text
    assert "not unusual" in frontpage.case_study_finding({**CASE_STUDY, "claim_percentile_among_random_groups": 0.3})
    assert frontpage.case_study_finding({"claimed_growth": 0.25}) is None


def test_backtest_finding_says_what_exists() -> None:
    results = {"funding_assumed_growth": 0.05, "funding_actual_growth": 0.1072, "funding_backtest_fy": "2023-24",
               "spend_difference_pct": 0.13349, "spend_backtest_final_fy": "2024-25", "start_fy": "2021-22",
               "spend_share_units_above": 0.7667}
    text = frontpage.backtest_finding(results)
    assert "grow 5.0% in 2023-24; they grew 10.7%" in text
    assert "2024-25 was 13.3% above its trend projected from 2021-22, higher than projected in 76.7%" in text
    assert "below" in frontpage.backtest_finding({**results, "spend_difference_pct": -0.02})
    assert frontpage.backtest_finding({"horizon": 5}) is None


def test_published_tally_reads_status_counts_by_class_in_the_order_of_statuses() -> None:
    counts = {"official": {"DIFFERENT": 7, "EXPLAINED": 4, "MATCH": 23, "NOT COMPARABLE": 29, "OTHER": 0}}
    assert frontpage.published_finding({"n_rows": 63, "status_counts_by_independence": counts}) == (
        "63 published national figures set against our data, counted apart: official statistics reproduced, "
        "63 figures: 23 MATCH, 4 EXPLAINED, 7 DIFFERENT, 29 NOT COMPARABLE.")
    assert frontpage.published_finding({"n_pass": 18}) is None


def test_findings_and_evidence_notebooks_on_the_page(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, "r1", "2026-01-01T10:00:00+00:00", {
        "02_case_study_growth": (record("02_case_study_growth", "2026-01-01T10:00:00+00:00",
                                        notebook="02_case_study_growth"), CASE_STUDY),
        "06_published_figures": (record("06_published_figures", "2026-01-01T10:00:00+00:00", status="failed",
                                        error="boom", notebook="06_published_figures"), None),
    })
    cells = [{"cell_type": "code", "source": ["x = 1"]},
             {"cell_type": "markdown", "source": ["# 02 · Is 25% low?\n", "text"]}]
    (run_dir / "02_case_study_growth" / "02_case_study_growth.ipynb").write_text(json.dumps({"cells": cells}))
    page = frontpage.render_front_page(tmp_path)
    text = visible_text(page)
    assert "unusually low" in text and "The report failed (run r1)" in text
    assert "Not run yet" in text, "04 has no report"
    assert '<a href="r1/02_case_study_growth/02_case_study_growth.nocode.html">02 · Is 25% low?</a>' in page
    assert 'href="r1/06_published_figures/06_published_figures.nocode.html">06_published_figures<' in page
    assert len(rows_of(page)) == 0


def test_write_index_writes_the_front_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_run(tmp_path, "20260101T100000Z", "2026-01-01T10:00:00+00:00", council("council_202", CAMDEN))
    target = frontpage.write_index(tmp_path)
    assert target == tmp_path / "index.html" and "Camden" in target.read_text(encoding="utf-8")
    assert (tmp_path / "latest").resolve() == (tmp_path / "20260101T100000Z").resolve()


def test_an_unreadable_manifest_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "r1").mkdir()
    (tmp_path / "r1" / "manifest.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(frontpage.SendlibError, match=r"r1/manifest.json"):
        frontpage.render_front_page(tmp_path)


# --- which run a row shows: the newest finished run with the default settings -------------------

DAY1, DAY2, DAY3 = "2026-01-01T10:00:00+00:00", "2026-01-02T10:00:00+00:00", "2026-01-03T10:00:00+00:00"
CUSTOM = {"funding_growth_first": 0.1}


def other_rows(page: str) -> list[str]:
    """The rows of the "Other runs" table."""
    body = page.split('<table class="others">', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr[^>]*>.*?</tr>", body, flags=re.S)


def runs_of(tmp_path: Path) -> list:
    return frontpage.read_runs(tmp_path)


def test_a_newer_run_with_other_settings_does_not_take_the_row_and_is_listed_with_its_setting(tmp_path: Path):
    write_run(tmp_path, "r1", DAY1, council("council_356", STOCKPORT, DAY1, settings={}))
    write_run(tmp_path, "r2", DAY2, council("council_356", {**STOCKPORT, "spend_per_head_2_18_gbp": 999.0}, DAY2,
                                            settings=CUSTOM))
    assert frontpage.default_reports(runs_of(tmp_path))["council_356"].run_id == "r1"
    assert [r.run_id for r in frontpage.other_reports(runs_of(tmp_path))] == ["r2"]
    page = frontpage.render_front_page(tmp_path)
    assert 'href="r1/council_356/05_council_profile.nocode.html">Stockport<' in row_for(page, "356")
    assert "£999" not in page.split('<table class="others">')[0], "the row's figures are the default run's"
    (other,) = other_rows(page)
    assert 'href="r2/council_356/05_council_profile.nocode.html">Stockport (356)</a>' in other
    assert "funding_growth_first = 10%" in visible_text(other)


def test_the_newest_default_run_wins_over_older_ones(tmp_path: Path):
    write_run(tmp_path, "r1", DAY1, council("council_356", {**STOCKPORT, "la_name": "Stockport (old)"}, DAY1))
    write_run(tmp_path, "r2", DAY2, council("council_356", STOCKPORT, DAY2, settings={}))
    write_run(tmp_path, "r3", DAY3, council("council_356", STOCKPORT, DAY3, settings={"sn_model": "2021"}))
    assert frontpage.default_reports(runs_of(tmp_path))["council_356"].run_id == "r2"
    assert [r.run_id for r in frontpage.other_reports(runs_of(tmp_path))] == ["r3"], "an older default is not listed"


def test_an_interrupted_second_run_does_not_hide_the_finished_reports(tmp_path: Path):
    complete = {**council("council_202", CAMDEN, DAY1), **council("council_356", STOCKPORT, DAY1)}
    write_run(tmp_path, "full", DAY1, complete)
    interrupted = {**council("council_202", CAMDEN, DAY2, settings={}),
                   **council("council_356", None, DAY2, status="interrupted", outputs={}, settings={},
                             error="the run was interrupted before this report finished")}
    write_run(tmp_path, "stopped", DAY2, interrupted)
    chosen = frontpage.default_reports(runs_of(tmp_path))
    assert {name: r.run_id for name, r in chosen.items()} == {"council_202": "stopped", "council_356": "full"}
    page = frontpage.render_front_page(tmp_path)
    assert len(rows_of(page)) == 2 and "interrupted" not in " ".join(rows_of(page))
    assert 'href="full/council_356/05_council_profile.nocode.html">Stockport<' in row_for(page, "356")
    (other,) = other_rows(page)
    assert other.startswith('<tr class="interrupted">') and "council 356" in other and "default settings" in other


def test_an_interrupted_attempt_older_than_the_finished_report_is_not_listed(tmp_path: Path):
    write_run(tmp_path, "stopped", DAY1, council("council_356", None, DAY1, status="interrupted", outputs={}))
    write_run(tmp_path, "full", DAY2, council("council_356", STOCKPORT, DAY2))
    assert frontpage.other_reports(runs_of(tmp_path)) == []
    assert "No other runs" in visible_text(frontpage.render_front_page(tmp_path))


def test_a_failed_default_run_newer_than_an_ok_one_wins_and_is_red(tmp_path: Path):
    write_run(tmp_path, "r1", DAY1, council("council_356", STOCKPORT, DAY1))
    write_run(tmp_path, "r2", DAY2, council("council_356", None, DAY2, status="failed", error="boom", settings={}))
    page = frontpage.render_front_page(tmp_path)
    assert row_for(page, "356").startswith('<tr class="failed">') and "r2/manifest.json" in row_for(page, "356")


def test_records_without_the_field_are_judged_against_the_notebooks_current_defaults(tmp_path: Path):
    old_custom = council("council_356", STOCKPORT, DAY2,
                         parameters={"la": "356", "output_dir": "/x", "funding_growth_first": 0.1, "sn_model": "2025"})
    write_run(tmp_path, "r1", DAY1, council("council_356", STOCKPORT, DAY1,
                                            parameters={"la": "356", "output_dir": "/y", "funding_growth_first": 0.05}))
    write_run(tmp_path, "r2", DAY2, old_custom)
    assert frontpage.default_reports(runs_of(tmp_path))["council_356"].run_id == "r1"
    (other,) = frontpage.other_reports(runs_of(tmp_path))
    assert (other.run_id, other.settings) == ("r2", {"funding_growth_first": 0.1})


def test_the_headline_comes_only_from_the_default_run(tmp_path: Path):
    case = "02_case_study_growth"
    write_run(tmp_path, "r1", DAY1, {case: (record(case, DAY1, notebook=case, settings={}), CASE_STUDY)})
    write_run(tmp_path, "r2", DAY2, {case: (record(case, DAY2, notebook=case, settings={"claimed_growth": 0.3}),
                                            {**CASE_STUDY, "claimed_growth": 0.3})})
    page = frontpage.render_front_page(tmp_path)
    findings = visible_text(page.split("<h2>Evidence notebooks</h2>")[0])
    assert "grew by a claimed 25.0%" in findings and "30.0%" not in findings
    assert "claimed_growth = 30%" in visible_text(other_rows(page)[0])


def test_each_council_row_carries_the_key_the_filter_searches(tmp_path: Path):
    write_run(tmp_path, "r1", DAY1, council("council_342", {**STOCKPORT, "la_code": "342", "la_name": "St. Helens",
                                                            "ons_codes": ["E08000013"]}))
    page = frontpage.render_front_page(tmp_path)
    assert 'data-search="st helens 342 e08000013"' in row_for(page, "342")


def test_figures_resting_on_small_numbers_are_flagged_in_the_row(tmp_path: Path):
    flag = {"measure": "spend_growth_pct", "count": 11.0, "count_fy": "2017-18", "count_label": "EHC plans",
            "threshold": 500}
    scilly = {**STOCKPORT, "la_code": "420", "la_name": "Isles of Scilly", "spend_growth_cash": 2.182,
              "small_numbers": [flag]}
    write_run(tmp_path, "r1", DAY1, council("council_420", scilly))
    row = row_for(frontpage.render_front_page(tmp_path), "420")
    assert ('data-sort="2.182">+218.2%<span class="small-n" title="11 EHC plans in 2017-18, fewer than 500: read '
            'with care">small numbers</span></td>') in row
    assert row.count("small numbers") == 1, "only the flagged figure"
