"""Run notebooks/06_published_figures.ipynb like a user (``sendlib run``) on the real processed
tables, and check its table, HTML and results.json against plain-pandas calculations."""

import html
import re
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest

from cli_runs import NotebookRun, notebook_run, unreadable_bits
from sendlib import config
from sendlib.findings.published import CLASS_WORDS

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
    # the opening tallies each independence class apart (never one tally across classes)
    assert f"{len(published)} published figures" in run.text
    by_class = run.results["status_counts_by_independence"]
    assert set(by_class) == {"independent", "official", "circular", "model"}
    for kind, name in ((kind, words[0]) for kind, words in CLASS_WORDS.items()):
        rows = run.table[run.table["independence"] == kind]["status"].value_counts()
        assert by_class[kind] == {s: int(rows.get(s, 0)) for s in ORDER}
        tally = f"{name[0].upper() + name[1:]} , {sum(by_class[kind].values())} figures: " + ", ".join(
            f"{by_class[kind][s]} {s}" for s in ORDER)
        assert tally in run.text
    mixed = ", ".join(f"{run.results['status_counts'][s]} {s}" for s in ORDER)
    assert mixed not in run.text
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
    assert unreadable_bits(run.text) == []
    for raw in ("interval_low", "source_url", "our_basis", "source_key"):
        assert raw not in run.text
    assert (run.folder / "figures" / "ehcp_ours_vs_published.png").is_file()


def test_independence_and_what_ours_is(run):
    published = pd.read_csv(config.PUBLISHED_FIGURES_CSV, dtype=str)
    assert run.table["independence"].tolist() == published["independence"].tolist()
    kinds = run.table.set_index("row")["ours_kind"].fillna("")
    assert set(kinds) <= {"data", "projection", "curated names", ""}
    assert (kinds[run.table.set_index("row")["ours"].isna()] == "").all()
    assert row(run.table, "DBV councils", "23 Jun 2022")["ours_kind"] == "curated names"
    assert row(run.table, "Cumulative DSG deficit", "2027 (forecast)")["ours_kind"] == "projection"
    for series, period in (("Councils with a cumulative DSG deficit", "end 2020-21"),
                           ("Safety valve agreements", "2020-21")):
        assert row(run.table, series, period)["independence"] == "circular"
    for label in ("our data", "our projection", "count of curated names"):
        assert label in run.text


def test_new_series_have_rules(run):
    timeliness = row(run.table, "EHC plans issued within 20 weeks (excl. exceptions)", "2024")
    if (config.processed_dir() / "timeliness_national.parquet").is_file():
        assert timeliness["status"] != "NOT COMPARABLE" and "calendar year 2024" in timeliness["our_basis"]
    else:
        assert timeliness["status"] == "NOT COMPARABLE" and "SEN2 timeliness table" in timeliness["reason"]
    overspending = row(run.table, "Share of LAs overspending high-needs budget", "2017-18")
    assert overspending["status"] == "NOT COMPARABLE" and "FY2021-22" in overspending["our_basis"]
    per_plan = row(run.table, "High needs funding per EHCP (real-terms change)", "2015-16 -> 2024-25")
    assert per_plan["status"] == "NOT COMPARABLE" and "per plan in FY2019-20" in per_plan["our_basis"]
    assert "nothing maps the series" not in " ".join(run.table["reason"])


def test_sources_link_the_publisher_first(run):
    sources = pd.read_csv(config.REFERENCE_DIR / "published_sources.csv", dtype=str, keep_default_na=False)
    page = (run.folder / f"{STEM}.nocode.html").read_text(encoding="utf-8")
    nao = sources.set_index("source_key").loc["NASEN_NAO19"]
    first = page.index(f'<a href="{nao["publisher_url"]}">{html.escape(nao["title"], quote=False)}</a>')
    assert page.index(nao["url"], first) > first and "quote checked at" in run.text
