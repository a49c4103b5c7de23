"""Every notebook stays short enough to read as question, data, method, result, caveat: at most
MAX_CODE_LINES lines of code (non-blank, non-comment lines of its code cells, the parameters
cell included). The sentences and tables it shows are built in sendlib.findings and
sendlib.present, where unit tests reach them. Each evidence notebook's title starts with its
number, as the front page lists them ("04 · Sustainability: ...")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sendlib import config
from sendlib.present.frontpage import COUNCIL_NOTEBOOK

MAX_CODE_LINES = 80
#: Notebooks not yet shortened, each with the count it must not exceed meanwhile. Remove a
#: notebook's entry when it is converted (the last test fails while an entry is no longer needed).
NOT_YET_SHORT: dict[str, int] = {}
NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))
#: Every notebook but the council profile, whose page is titled with the council's name.
EVIDENCE = [notebook for notebook in NOTEBOOKS if notebook.stem != COUNCIL_NOTEBOOK]


def code_lines(notebook: Path) -> int:
    """Non-blank lines of the notebook's code cells that are not comments."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    lines = (line.strip() for cell in cells if cell["cell_type"] == "code"
             for line in "".join(cell["source"]).splitlines())
    return sum(1 for line in lines if line and not line.startswith("#"))


def test_code_lines_count_code_only(tmp_path: Path) -> None:
    cells = [{"cell_type": "markdown", "source": ["# a title\n", "text\n"]},
             {"cell_type": "code", "source": ["x = 1  # a comment after code counts\n", "\n", "# a comment\n",
                                              "    # an indented comment\n", "y = [\n", "    x,\n", "]"]}]
    notebook = tmp_path / "n.ipynb"
    notebook.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    assert code_lines(notebook) == 4


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_notebook_has_at_most_80_lines_of_code(notebook: Path) -> None:
    limit = NOT_YET_SHORT.get(notebook.stem, MAX_CODE_LINES)
    assert code_lines(notebook) <= limit, (
        f"{notebook.name} has {code_lines(notebook)} lines of code (limit {limit}): move sentences to "
        f"sendlib.findings and tables or figures to sendlib.present")


@pytest.mark.parametrize("notebook", EVIDENCE, ids=[n.stem for n in EVIDENCE])
def test_an_evidence_notebook_is_titled_with_its_number(notebook: Path) -> None:
    first = json.loads(notebook.read_text(encoding="utf-8"))["cells"][0]
    heading = "".join(first["source"]).splitlines()[0]
    assert heading.startswith(f"# {notebook.stem[:2]} · "), heading


def test_allow_list_names_only_notebooks_still_too_long() -> None:
    stems = {n.stem for n in NOTEBOOKS}
    assert set(NOT_YET_SHORT) <= stems, sorted(set(NOT_YET_SHORT) - stems)
    converted = sorted(stem for stem in NOT_YET_SHORT if code_lines(config.NOTEBOOKS_DIR / f"{stem}.ipynb")
                       <= MAX_CODE_LINES)
    assert not converted, f"{converted} now have at most {MAX_CODE_LINES} lines of code: remove them from NOT_YET_SHORT"
