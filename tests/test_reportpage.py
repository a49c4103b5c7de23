"""What every report page gets from the runner (sendlib.present.reportpage) and which settings a
record counts as its own (sendlib.runs.non_default), on hand-made values."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import pytest

from sendlib import config
from sendlib.present import reportpage
from sendlib.runs import non_default

DEFAULTS = {"la": "202", "funding_growth_first": 0.05, "threshold_pct": 10.0, "sn_model": "2025",
            "case_study": ["202"]}
DECLARED = {"la": ("202", "council"), "funding_growth_first": (0.05, "assumed growth <b>"),
            "sn_model": ("2025", "DfE's model")}


@pytest.mark.parametrize(("given", "expected"), [
    ({"funding_growth_first": 0.1}, {"funding_growth_first": 0.1}),
    ({"funding_growth_first": 0.05, "threshold_pct": 10}, {}),  # the defaults, given: not a setting; 10 == 10.0
    ({"la": "356", "output_dir": "/somewhere"}, {}),  # the council is the report, not a setting
    ({"case_study": ["202", "886"], "sn_model": "2021"}, {"case_study": ["202", "886"], "sn_model": "2021"}),
    ({"unknown": 1}, {}),
])
def test_non_default_keeps_only_settings_that_differ(given: dict, expected: dict) -> None:
    assert non_default(given, DEFAULTS) == expected


@pytest.mark.parametrize(("name", "value", "text"), [
    ("funding_growth_first", 0.05, "5%"), ("claimed_growth", 0.25, "25%"), ("level", 0.95, "95%"),
    ("funding_growth_after", 0.025, "2.5%"), ("threshold_pct", 12.5, "12.5%"), ("n_draws", 5000, "5000"),
    ("sensitivity_base_fy", ["2017-18", "2018-19"], "2017-18, 2018-19"), ("flag", True, "yes"),
    ("raw_dir", "", "not set"), ("case_study", [], "none"), ("x", None, "none"), ("scale", 1.5, "1.5"),
])
def test_setting_text_reads_as_words(name: str, value: object, text: str) -> None:
    assert reportpage.setting_text(name, value) == text


def test_a_folder_is_shown_relative_to_the_project_never_whole() -> None:
    assert reportpage.setting_text("processed_dir", str(config.PROJECT_ROOT / "data" / "other")) == "data/other"
    assert reportpage.setting_text("processed_dir", "/somewhere/else/processed") == "else/processed"


def test_settings_label() -> None:
    assert reportpage.settings_label({"funding_growth_first": 0.1, "comparators": "region"}) == (
        "funding_growth_first = 10%, comparators = region")
    assert reportpage.settings_label({}) == "default settings"


def test_parameters_box_marks_what_changed_and_escapes_every_value() -> None:
    box = reportpage.parameters_box(DECLARED, {"la": "356", "funding_growth_first": 0.1, "sn_model": "<x>"},
                                    {"funding_growth_first": 0.1})
    assert "<td>funding_growth_first</td><td><strong>10%</strong> (changed)</td><td>5%</td>" in box
    assert "<td>la</td><td><strong>356</strong></td><td>the council of this report</td>" in box
    assert "&lt;x&gt;" in box and "assumed growth &lt;b&gt;" in box and "<x>" not in box
    assert "1 setting differs from the defaults" in box
    assert "Every setting is the notebook&#x27;s default." in reportpage.parameters_box(DECLARED, {}, {})
    assert "\n\n" not in reportpage.page_header(DECLARED, {}, {}), "no blank line: Markdown keeps the HTML as is"
    assert "This notebook has no settings." in reportpage.parameters_box({}, {}, {})


def test_add_page_header_goes_after_the_injected_parameters_and_retitles_a_council_report() -> None:
    cells = [nbformat.v4.new_markdown_cell("# Council profile\n\nIntro."),
             nbformat.v4.new_code_cell("la = '202'", metadata={"tags": ["parameters"]}),
             nbformat.v4.new_code_cell("la = '356'", metadata={"tags": ["injected-parameters"]}),
             nbformat.v4.new_code_cell("x = 1")]
    notebook = reportpage.add_page_header(nbformat.v4.new_notebook(cells=cells), "<p>box</p>",
                                          "Stockport: high needs profile")
    assert [cell.source for cell in notebook.cells][2:4] == ["la = '356'", "<p>box</p>"]
    assert notebook.cells[0].source == "# Stockport: high needs profile\n\nIntro."
    plain = reportpage.add_page_header(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T")]), "")
    assert [cell.source for cell in plain.cells] == ["# T"]


def test_council_title_names_the_council(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "processed").mkdir()
    lookup = pd.DataFrame({"la_code": ["801", "356"], "la_name": ["Bristol, City of", "Stockport"]})
    lookup.to_parquet(tmp_path / "processed" / "la_lookup.parquet")
    monkeypatch.setenv("SENDLIB_DATA_DIR", str(tmp_path))
    assert reportpage.council_title({"la": "801"}) == "Bristol: high needs profile"
    assert reportpage.council_title({"la": "999"}) == "council 999: high needs profile"
    assert reportpage.council_title({"n": 4}) is None
