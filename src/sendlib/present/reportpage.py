"""What the runner adds to every report page, whatever the notebook: its title, a link back to
the front page and a "Parameters used" box.

- :func:`council_title`: a council report is "<council>: high needs profile" (the page's
  ``<title>`` and its first heading); any other report keeps its name as its title.
- :func:`page_header`: a Markdown cell placed after papermill's injected-parameters cell: the
  link back to ``reports/index.html`` (two folders up from the page) and the box listing every
  setting with the value used, its default and what it means, the values that differ from the
  defaults marked "changed". When the page is opened from a copy of its folder, where the
  front page is not two folders up, a few lines of script replace the link by a sentence
  saying where the front page is (they test for it by loading it as a script: present,
  it loads; absent, it fails), so the copy has no dead link.
- :func:`setting_text` / :func:`settings_label`: a value in words ("5%", "2017-18, 2018-19",
  "yes"), also used by the front page for the runs made with other settings.

Every value is HTML-escaped (values come from the command line or a parameter file).
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sendlib import config
from sendlib.param_rules import is_fraction
from sendlib.present.readable import project_path

FRONT_PAGE_HREF = "../../index.html"
COUNCIL_PARAMETER = "la"
COUNCIL_TITLE = "{name}: high needs profile"
HEADER_TAG = "sendlib-page-header"
_PERCENT_SUFFIX = "_pct"
_NAME_SUFFIX = re.compile(r",\s*(City|County) of\s*$", re.IGNORECASE)
_BOX_STYLE = ("border:1px solid #c8c8c8;border-left:4px solid #0072B2;border-radius:4px;background:#f6f8fa;"
              "padding:0.3em 1em 0.6em;margin:0.8em 0")
_CHANGED_STYLE = "background:#fff1cc"


def setting_text(name: str, value: Any) -> str:
    """A parameter value in words: growth rates and shares as percentages ("5%"), ``*_pct``
    values with "%", lists joined ("2017-18, 2018-19"), yes/no, "none", "not set" for "", an
    absolute path relative to the project (or its last two parts)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, list):
        return ", ".join(setting_text(name, item) for item in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {setting_text(key, item)}" for key, item in value.items()) or "none"
    if isinstance(value, float) and is_fraction(name):
        return f"{100 * value:.6g}%"
    if isinstance(value, int | float) and name.endswith(_PERCENT_SUFFIX):
        return f"{value:g}%"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str) and value.startswith("/"):  # a folder: never the machine's whole path
        return project_path(value, config.PROJECT_ROOT)
    return str(value) if value != "" else "not set"


def settings_label(settings: Mapping[str, Any]) -> str:
    """"funding_growth_first = 10%, comparators = region"; "default settings" when empty."""
    return ", ".join(f"{name} = {setting_text(name, value)}" for name, value in settings.items()) \
        or "default settings"


def plain_council_name(la_name: str) -> str:
    """DfE's name without its ", City of" / ", County of" tail ("Bristol, City of" -> "Bristol")."""
    return _NAME_SUFFIX.sub("", la_name).strip()


@functools.lru_cache(maxsize=4)
def _council_names(lookup: Path, modified: int) -> dict[str, str]:
    import pandas as pd  # only a council report needs it

    table = pd.read_parquet(lookup, columns=["la_code", "la_name"])
    return dict(zip(table["la_code"].astype(str), table["la_name"].astype(str)))


def council_name(la_code: str) -> str:
    """The council's name from the processed ``la_lookup`` table ("council 356" if unreadable)."""
    lookup = config.processed_dir() / "la_lookup.parquet"
    try:
        names = _council_names(lookup, lookup.stat().st_mtime_ns)
    except (OSError, ValueError, KeyError):
        names = {}
    return plain_council_name(names.get(str(la_code), f"council {la_code}"))


def council_title(parameters: Mapping[str, Any]) -> str | None:
    """"<council>: high needs profile" for a council report (one with ``la``), else None."""
    la = parameters.get(COUNCIL_PARAMETER)
    return COUNCIL_TITLE.format(name=council_name(la)) if isinstance(la, str) and la else None


_BACK_SCRIPT = """<script>
(function () {
  var back = document.getElementById("sendlib-back");
  if (!back || location.protocol !== "file:") return;
  var probe = document.createElement("script");
  var previous = window.onerror;
  window.onerror = function (message, source) {  /* the front page is HTML, not a script: expected */
    if (source === probe.src) return true;
    return previous ? previous.apply(this, arguments) : false;
  };
  probe.onerror = function () {
    back.textContent = "This is a copy of the report: the front page with every council and the findings is "
      + "reports/index.html in the folder where the report was run.";
  };
  probe.src = back.querySelector("a").href;
  document.head.appendChild(probe);
})();
</script>"""


def back_link() -> str:
    """The link to the front page (with the script that turns it into a sentence in a copy)."""
    return (f'<p id="sendlib-back"><a href="{FRONT_PAGE_HREF}">&larr; All reports: the front page '
            f"(findings, every council)</a></p>\n{_BACK_SCRIPT}")


def _cell(text: str, style: str = "") -> str:
    attribute = f' style="{style}"' if style else ""
    return f"<td{attribute}>{html.escape(text)}</td>"


def parameters_box(declared: Mapping[str, tuple[Any, str]], used: Mapping[str, Any],
                   changed: Mapping[str, Any]) -> str:
    """The "Parameters used" box (HTML): one row per declared parameter (name -> (default,
    comment)), with the value used, the default and the comment; rows in ``changed`` marked."""
    rows = []
    for name, (default, comment) in declared.items():
        value = used.get(name, default)
        if name == COUNCIL_PARAMETER:
            default_text, mark, style = "the council of this report", "", ""
        else:
            default_text = setting_text(name, default)
            mark, style = (" (changed)", _CHANGED_STYLE) if name in changed else ("", "")
        row_style = f' style="{style}"' if style else ""
        rows.append(f"<tr{row_style}>{_cell(name)}<td><strong>{html.escape(setting_text(name, value))}</strong>"
                    f"{html.escape(mark)}</td>{_cell(default_text)}{_cell(comment)}</tr>")
    if not declared:
        return _box("This notebook has no settings.")
    summary = ("Every setting is the notebook's default." if not changed else
               f"{len(changed)} setting{'s' if len(changed) > 1 else ''} differ{'' if len(changed) > 1 else 's'} "
               "from the defaults (marked \"changed\"): the front page shows the run with the default settings "
               "and lists this one under \"Other runs\".")
    return _box(summary, "<table><thead><tr><th>Setting</th><th>Value used</th><th>Default</th>"
                         "<th>What it means</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _box(summary: str, table: str = "") -> str:
    """The box: "Parameters used." and ``summary`` (text), then ``table`` (HTML)."""
    body = f"{table}\n" if table else ""
    return (f'<div class="sendlib-parameters" style="{_BOX_STYLE}">\n'
            f"<p><strong>Parameters used.</strong> {html.escape(summary)}</p>\n{body}</div>")


def page_header(declared: Mapping[str, tuple[Any, str]], used: Mapping[str, Any], changed: Mapping[str, Any]) -> str:
    """The Markdown cell the runner adds to a report: the back link, then the parameters box
    (HTML with no blank line, so Markdown leaves it as it is)."""
    return back_link() + "\n" + parameters_box(declared, used, changed)


def add_page_header(notebook: Any, header: str, heading: str | None = None) -> Any:
    """The executed ``notebook`` with ``header`` as a Markdown cell after its injected-parameters
    cell (else after the parameters cell, else first) and, given a ``heading``, the first
    heading of its first Markdown cell replaced by it."""
    import nbformat

    cells = notebook.cells
    tags = [cell.get("metadata", {}).get("tags", []) for cell in cells]
    anchor = next((i for i, t in enumerate(tags) if "injected-parameters" in t),
                  next((i for i, t in enumerate(tags) if "parameters" in t), -1))
    if header:
        cells.insert(anchor + 1, nbformat.v4.new_markdown_cell(header, metadata={"tags": [HEADER_TAG]}))
    first = next((cell for cell in cells if cell.cell_type == "markdown"), None)
    if first is not None and heading:
        first.source = re.sub(r"^#\s.*$", lambda _: f"# {heading}", first.source, count=1, flags=re.M)
    return notebook
