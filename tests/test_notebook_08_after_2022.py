"""Run notebooks/08_after_2022.ipynb like a user (``sendlib run``) on the real processed tables,
and check its results.json against an independent plain-pandas difference-in-differences."""

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_runs import NotebookRuns, report_folders, run_sendlib
from sendlib import config

STEM = "08_after_2022"
RECORD_KEYS = {"programme", "outcome", "estimator", "estimate", "ci_low", "ci_high", "pre_trend_p", "n_treated",
               "n_control", "verdict"}
VERDICTS = {"slower after entry", "no detectable difference", "faster after entry",
            "not credible (paths differed before entry)", "not estimated"}
CUSTOM = {"programmes": ["dbv", "safety_valve"], "outcomes": ["ehcp_per_10k", "hn_spend"], "estimator": "sun_abraham",
          "comparison": "never_treated", "level": 0.9, "seed": 7}

pytestmark = pytest.mark.needs_data


def run_notebook(reports: Path, *args: str) -> subprocess.CompletedProcess:
    return run_sendlib(reports, "run", STEM, *args)


@pytest.fixture(scope="module")
def panel(processed_data: Path) -> pd.DataFrame:
    return pd.read_parquet(processed_data / "panel.parquet")


@pytest.fixture(scope="module")
def default_run(notebook_runs: NotebookRuns) -> tuple[dict, Path]:
    """(results.json, report folder) of `sendlib run 08_after_2022`, run once per session."""
    run = notebook_runs.notebook(STEM)
    return run.results, run.folder


@pytest.fixture(scope="module")
def custom_run(notebook_runs: NotebookRuns) -> tuple[dict, Path]:
    """The same with the CUSTOM parameters, given as a YAML file (-f)."""
    run = notebook_runs.notebook(STEM, CUSTOM)
    return run.results, run.folder


# --- independent calculation: DBV is one cohort (FY2022-23), a plain 2x2 per year -------------------


def dbv_units(processed: Path) -> tuple[set[str], set[str]]:
    """(DBV units, units in no programme), from programmes.csv: a unit with a safety-valve
    agreement dated before 23 June 2022 entered that programme first and is in neither set."""
    rows = pd.read_csv(config.PROGRAMMES_CSV, dtype=str, keep_default_na=False)
    units = pd.read_parquet(processed / "la_lookup.parquet").set_index("la_code")["unit"]
    rows["unit"] = rows["la_code"].map(units)
    valve = rows[rows["programme"] == "safety_valve"]
    early_valve = set(valve.loc[pd.to_datetime(valve["signed"]) < "2022-06-23", "unit"])
    dbv = set(rows.loc[rows["programme"] == "delivering_better_value", "unit"]) - early_valve
    in_any = set(rows.loc[rows["programme"].isin(["delivering_better_value", "safety_valve"]), "unit"])
    all_units = set(pd.read_parquet(processed / "panel.parquet", columns=["unit"])["unit"])
    return dbv, all_units - in_any


def dbv_two_by_two(panel: pd.DataFrame, values: pd.Series, processed: Path) -> float:
    """exp(mean over years after entry of the 2x2 DiD of log values against FY2021-22) - 1, on
    the units known in every year with data (a balanced panel)."""
    treated, comparison = dbv_units(processed)
    table = panel.assign(value=np.log(values)).pivot(index="unit", columns="fy", values="value")
    table = table.loc[:, table.notna().any()].dropna()
    change = table.sub(table["2021-22"], axis=0)
    later = [fy for fy in table.columns if fy > "2021-22"]
    gaps = [change.loc[change.index.isin(list(treated)), fy].mean() - change.loc[change.index.isin(list(comparison)),
                                                                                  fy].mean() for fy in later]
    return float(np.expm1(np.mean(gaps)))


def effect(results: dict, programme: str, outcome: str) -> dict:
    (found,) = [e for e in results["effects"] if e["programme"] == programme and e["outcome"] == outcome]
    return found


# --- the default run ------------------------------------------------------------------------------


def test_every_programme_and_outcome_has_an_effect_record(default_run):
    results, _ = default_run
    parameters = results["parameters"]
    assert len(results["effects"]) == len(parameters["programmes"]) * len(parameters["outcomes"])
    for record in results["effects"]:
        assert RECORD_KEYS <= set(record) and record["verdict"] in VERDICTS
        if record["estimate"] is not None:
            assert record["ci_low"] <= record["estimate"] <= record["ci_high"]
            assert record["estimator"] == "callaway_santanna" and record["n_treated"] > 0
    assert results["headline"].startswith("Four years on")


def test_dbv_spend_matches_a_plain_two_by_two(default_run, panel, processed_data):
    results, _ = default_run
    spend = panel["hn_spend_gbp"].where(panel["hn_spend_complete"])
    found = effect(results, "dbv", "hn_spend")
    assert found["estimate"] == pytest.approx(dbv_two_by_two(panel, spend, processed_data), abs=1e-9)
    per_head = spend / panel["pop_2_18_count"]
    assert effect(results, "dbv", "hn_spend_per_head_2_18")["estimate"] == pytest.approx(
        dbv_two_by_two(panel, per_head, processed_data), abs=1e-9)


def test_national_outcomes_are_fractions_and_rates(default_run):
    national = default_run[0]["national_outcomes"]
    for name in ("mainstream_share", "special_independent_share", "timely_20wk_ex", "timely_20wk"):
        assert national[name] and all(0 < value < 1 for value in national[name].values()), name
    assert all(10 < value < 1000 for value in national["ehcp_per_10k"].values())
    assert "2024-25" in national["mainstream_share"]


def test_figures_come_with_their_data_and_the_front_page_has_the_headline(default_run):
    results, folder = default_run
    for name in ("event_study_dbv", "event_study_safety_valve", "event_study_frame", "indexed_paths", "placement_mix"):
        assert (folder / "figures" / f"{name}.png").is_file() and (folder / "figures" / f"{name}.csv").is_file()
    page = (folder.parent.parent / "index.html").read_text(encoding="utf-8")
    assert "Did councils&#x27; paths change after they entered a programme?" in page
    assert "Four years on" in page


# --- another outcome, estimator and comparison -------------------------------------------------------


def test_custom_choices_change_the_numbers(custom_run, default_run, panel, processed_data):
    results, _ = custom_run
    default, _ = default_run
    assert results["parameters"]["estimator"] == "sun_abraham" and results["level"] == 0.9
    assert {e["programme"] for e in results["effects"]} == {"dbv", "safety_valve"}
    assert all(e["estimator"] == "sun_abraham" for e in results["effects"])
    plans = 10_000 * panel["ehcp_count"] / panel["pop_0_25_count"]
    assert effect(results, "dbv", "ehcp_per_10k")["estimate"] == pytest.approx(
        dbv_two_by_two(panel, plans, processed_data), abs=1e-9)
    narrow, wide = effect(results, "dbv", "hn_spend"), effect(default, "dbv", "hn_spend")
    assert narrow["estimate"] == pytest.approx(wide["estimate"], abs=1e-9)  # one cohort: SA = CS = the 2x2
    assert narrow["ci_high"] - narrow["ci_low"] < wide["ci_high"] - wide["ci_low"]  # 90% against 95%
    assert effect(results, "safety_valve", "hn_spend")["estimate"] != effect(default, "safety_valve",
                                                                             "hn_spend")["estimate"]
    assert results["headline_outcome"] == "ehcp_per_10k"


# --- bad choices ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (("-p", "estimator", "ols"), "'ols' is not a known estimator"),
    (("-p", "outcomes", "[hn_spend, deficit]"), "parameter 'outcomes': 'deficit' is not a known outcome"),
    (("-p", "estimator", "sun_abraham"), "compares with never-treated units only"),
    (("-p", "programmes", "[]"), "parameter 'programmes': expected a list of 1 to 3 values, got 0"),
])
def test_bad_choices_are_refused_before_any_report(processed_data, tmp_path, args, message):
    result = run_notebook(tmp_path, *args)
    assert result.returncode == 2 and message in result.stderr
    assert not report_folders(tmp_path, STEM)
