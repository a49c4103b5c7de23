"""Run notebooks/06_published_figures.ipynb like a user (``sendlib run``) on the real processed
tables, and check its table, HTML and results.json against plain-pandas calculations."""

import html
import re
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest

from cli_runs import NotebookRun, notebook_run
from sendlib import config

STEM = "06_published_figures"
ORDER = ["MATCH", "EXPLAINED", "DIFFERENT", "NOT COMPARABLE"]
STATUSES = set(ORDER)

pytestmark = pytest.mark.needs_data


class Run(NamedTuple):
    folder: Path
    results: dict
    table: pd.DataFrame
    text: str  # the no-code HTML as a reader sees it


default_run = notebook_run(STEM)


@pytest.fixture
def run(default_run: NotebookRun) -> Run:
    table = pd.read_csv(default_run.figure_csv("published_comparison"), keep_default_na=False, na_values=[""])
    return Run(default_run.folder, default_run.results, table, default_run.text)


def row(table: pd.DataFrame, series: str, period: str) -> pd.Series:
    (found,) = table[(table["series"] == series) & (table["period"] == period)].itertuples(index=False)
    return pd.Series(found._asdict())


def test_every_published_row_appears_with_a_status_and_the_tally(run):
    published = pd.read_csv(config.PUBLISHED_FIGURES_CSV, dtype=str)
    assert len(run.table) == len(published) == run.results["n_rows"]
    assert run.table["published"].astype(str).tolist() == published["value"].tolist()
    assert set(run.table["status"]) <= STATUSES
    counts = run.table["status"].value_counts()
    assert run.results["status_counts"] == {s: int(counts.get(s, 0)) for s in ORDER}
    tally = f"{len(published)} published figures: " + ", ".join(f"{run.results['status_counts'][s]} {s}" for s in ORDER)
    assert tally in run.text.replace(" ,", ",")
    assert (run.table["reason"].str.len() > 0).all()


def test_over_9_1bn_is_not_a_match(run, processed_data):
    allocation = pd.read_parquet(processed_data / "hnb_allocation.parquet")
    ours = allocation.loc[allocation["fy"] == "2022-23", "hnb_before_deductions_gbp"].sum() / 1e9
    found = row(run.table, "High needs funding", "2022-23")
    assert found["ours"] == pytest.approx(ours) and ours < 9.1
    assert found["status"] == "DIFFERENT" and found["difference"] == pytest.approx(ours - 9.1)
    assert row(run.table, "High needs funding", "2023-24")["status"] != "MATCH"  # 9.95 is not "9.7"


def test_the_2021_22_increase_is_explained_with_the_measured_factor(run, processed_data):
    allocation = pd.read_parquet(processed_data / "hnb_allocation.parquet")
    before = allocation.groupby("fy")["hnb_before_deductions_gbp"].sum()
    found = row(run.table, "High needs funding increase", "2021-22")
    assert found["ours"] == pytest.approx((before["2021-22"] - before["2020-21"]) / 1e9)
    assert found["status"] == "EXPLAINED"
    assert "Hospital education, AP teachers pay/pension" in found["reason"] and "£0.118bn" in found["reason"]


def test_every_row_shows_a_source_title_and_url_or_says_none_was_found(run):
    sources = pd.read_csv(config.REFERENCE_DIR / "published_sources.csv", dtype=str, keep_default_na=False)
    assert run.table["source_title"].notna().all() and not run.table["source_title"].str.contains("no source entry").any()
    for title, url in zip(run.table["source_title"], run.table["source_url"].fillna("")):
        for one_title, one_url in zip(title.split(" | "), url.split(" | ")):
            assert one_title in set(sources["title"])
            assert one_url.startswith("http") or one_url == "no URL found"
    page = (run.folder / f"{STEM}.nocode.html").read_text(encoding="utf-8")
    links = set(html.unescape(u) for u in re.findall(r'<a href="([^"]+)"', page))
    assert {u for u in sources["url"] if u and u in set(run.table["source_url"].str.split(" \\| ").explode())} <= links


def test_new_rows_are_present_with_their_statuses(run, processed_data):
    balance = pd.read_parquet(processed_data / "dsg_balance.parquet")
    in_deficit = balance[balance["dsg_balance_gbp"] > 0].groupby("fy").size()
    dfe = run.table[(run.table["series"] == "Councils with a cumulative DSG deficit") & (run.table["period"] == "end 2019-20")]
    assert dfe["ours"].tolist() == [in_deficit["2019-20"]] * 2 and dfe["status"].tolist() == ["DIFFERENT", "MATCH"]
    for fy in ("2020-21", "2021-22"):
        assert row(run.table, "Councils with a cumulative DSG deficit", f"end {fy}")["ours"] == in_deficit[fy]
    assert row(run.table, "Cumulative DSG deficit (2022-23 prices)", "Mar 2022")["status"] in STATUSES
    assert row(run.table, "Safety valve agreements signed", "23 Jun 2022")["status"] == "MATCH"
    dbv = row(run.table, "DBV councils", "23 Jun 2022")
    assert dbv["status"] == "NOT COMPARABLE" and "by name" in dbv["reason"]
    for tranche, n in (("1", 20), ("2", 22)):
        assert row(run.table, f"DBV phase one areas, tranche {tranche}", "phase one")["ours"] == n
    for period in ("Mar 2026 (forecast)", "2027 (forecast)"):
        forecast = run.table[(run.table["series"] == "Cumulative DSG deficit") & (run.table["period"] == period)]
        compared = forecast[forecast["status"] != "NOT COMPARABLE"].iloc[0]
        assert compared["ours"] > 0 and "gross deficit" in compared["our_basis"] and pd.notna(compared["difference"])


def test_the_page_reads_like_prose(run):
    assert "NaN" not in run.text and " nan " not in run.text
    for raw in ("interval_low", "source_url", "our_basis", "source_key"):
        assert raw not in run.text
    assert (run.folder / "figures" / "ehcp_ours_vs_published.png").is_file()
