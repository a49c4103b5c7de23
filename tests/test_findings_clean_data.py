"""Notebook 01's report in words, on hand-made tables."""

from pathlib import Path

import numpy as np
import pandas as pd
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from sendlib.findings import clean_data as findings

NAMES = {"fy", "la_code", "la_current", "hn_spend_gbp", "pop_0_25_count", "pop_0_17_dfe_count", "model", "unit"}
COUNCILS = {"942": "Cumberland", "943": "Westmorland and Furness"}
QA = pd.DataFrame({
    "table": ["hn_spend", "hn_spend", "stat_neighbours", "panel"],
    "check": ["coverage fy=2023-24", "unique keys ['la_code', 'fy']", "rows for councils that no longer exist",
              "units normalised (hn_spend_gbp)"],
    "status": ["ADVISORY", "PASS", "ADVISORY", "FAIL"],
    "message": ["2 of 153 expected missing: 942, 943", "1214 rows, keys unique",
                "10 kept (flagged la_current=False): model 2021: 909 Cumbria", "median 12 is not plausible"],
})


def test_column_names_in_words():
    assert [findings.column_words(n) for n in ("la_code", "hn_spend_gbp", "pop_0_25_count", "fy", "dsg_balance_pct")] \
        == ["LA code", "high-needs spend (£)", "population aged 0-25", "financial year", "DSG balance (%)"]
    assert findings.columns_in_words("coverage fy=2023-24", NAMES) == "coverage financial year 2023-24"
    assert findings.columns_in_words("unique keys ['la_code', 'fy']", NAMES) == "unique keys LA code, financial year"
    assert findings.columns_in_words("['model', 'rank']", NAMES) == "model, rank"
    assert findings.columns_in_words("flagged la_current=False", NAMES) == "flagged LA current False"
    assert findings.columns_in_words("pop_0_17_dfe_count stays; fyx and hn_spend_gbp_x too", NAMES) == (
        "population aged 0-17 (DfE) stays; fyx and hn_spend_gbp_x too")


def test_missing_councils_are_named():
    assert findings.missing_with_names("2 of 153 expected missing: 942, 943", COUNCILS) == (
        "2 of 153 expected missing: Cumberland (942), Westmorland and Furness (943)")
    assert findings.missing_with_names("missing: 999", COUNCILS) == "missing: 999"
    assert findings.missing_with_names("153 rows", COUNCILS) == "153 rows"


def test_qa_tally_table_and_incomplete_list():
    assert findings.qa_counts(QA) == {"PASS": 1, "ADVISORY": 2, "FAIL": 1}
    assert findings.qa_tally(QA) == "**1 PASS, 2 ADVISORY, 1 FAIL** over 3 tables."
    table = findings.qa_markdown(QA, NAMES, COUNCILS, "The 4 checks.")
    assert table.splitlines()[0] == "| Table | Check | Result | Detail |"
    assert "coverage financial year 2023\\-24 | ADVISORY | 2 of 153 expected missing&#58; Cumberland \\(942\\)" in table
    assert "la_code" not in table and "fy=" not in table and table.endswith("The 4 checks\\.  ")
    listed = findings.incomplete_markdown(QA, NAMES, COUNCILS)
    assert listed.splitlines() == ["National sums over these table-years are **incomplete**:",
                                   "- High\\-needs spending \\(S251 outturn\\), financial year 2023\\-24: 2 of 153 "
                                   "expected missing&#58; Cumberland \\(942\\), Westmorland and Furness \\(943\\)"]
    assert findings.incomplete_markdown(QA.iloc[1:2], NAMES, COUNCILS).startswith("Every table covers")


def test_tables_coverage_and_totals():
    built = {"panel": pd.DataFrame({"a": range(1200), "b": 0}), "ehcp": pd.DataFrame({"a": [1]})}
    assert findings.tables_markdown(built).splitlines()[2:4] == ["| ehcp | 1 | 1 |", "| panel | 1,200 | 2 |"]
    coverage = pd.DataFrame({"2019-20": pd.array([151, pd.NA], dtype="Int64")}, index=["hn_spend", "dsg_balance"])
    rows = findings.coverage_markdown(coverage).splitlines()
    assert rows[2:4] == ["| High\\-needs spending \\(S251 outturn\\) | 151 |", "| Cumulative DSG balance | no data |"]
    panel = pd.DataFrame({"unit": ["A", "B", "A"], "fy": ["2017-18", "2017-18", "2018-19"],
                          "hn_spend_gbp": [4.0e9, 0.404335e9, 4.7e9], "hnb_after_deductions_gbp": [np.nan] * 3,
                          "ehcp_count": [300000.0, 19819.0, np.nan], "pop_2_18_count": [1.1e7, 44975.0, 1.2e7]})
    totals = findings.national_totals_markdown(panel)
    assert "| 2017\\-18 | £4\\.40bn | no data | 319,819 | 11,044,975 |" in totals
    assert "| 2018\\-19 | £4\\.70bn | no data | no data | 12,000,000 |" in totals
    assert "High needs block after deductions&#58; no year\\.  " in totals and "e+" not in totals
    html = markdown2html_mistune(totals)
    assert "<NA>" not in html and "NaN" not in html


def test_written_sentence_names_the_folder_relative_to_the_project(tmp_path: Path):
    panel = pd.DataFrame({"unit": ["A", "B", "A"], "fy": ["2017-18", "2017-18", "2018-19"]})
    sentence = findings.written_sentence(16, tmp_path / "data" / "processed", tmp_path, panel)
    assert sentence == "Wrote 16 tables to `data/processed`; the panel has 2 units × 2 financial years."
    assert str(tmp_path) not in sentence
