"""The front page, ``reports/index.html``: where a user starts.

It shows, from the ``results.json`` files of the reports:

- the project's headline findings (the case-study verdict of 02_case_study_growth, the
  back-test of 04_sustainability, the published-figure tally of 06_published_figures);
- a link to each evidence notebook's report;
- every council profiled, one row each: name, code, region, LA type, programme membership
  and key figures, filterable by name and sortable by column (a few lines of inline
  JavaScript, so the page works offline from ``file://``).

Which reports: every run folder with a ``manifest.json`` counts, so a council reported on
its own after a full ``sendlib reproduce`` keeps every other council on the page. For each
report name the newest record wins, newest by the manifest's ``started_at`` (then the
record's own ``started_at``, then the run id); each row says which run it came from. A
failed report stands out and still links to its executed notebook.

Every value from data (names, codes, errors, paths) is HTML-escaped; missing figures read
"no data", never "None" or "NaN".
"""

from __future__ import annotations

import html
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sendlib.analysis.reconcile import STATUSES
from sendlib.errors import SendlibError
from sendlib.findings.after_2022 import headline as after_2022_finding
from sendlib.present.readable import LA_TYPE_NAMES, format_gbp, format_pct
from sendlib.runner import MANIFEST_FILE

RESULTS_FILE = "results.json"
COUNCIL_NOTEBOOK = "05_council_profile"
CASE_STUDY_REPORT = "02_case_study_growth"
SUSTAINABILITY_REPORT = "04_sustainability"
PUBLISHED_REPORT = "06_published_figures"
AFTER_2022_REPORT = "08_after_2022"
NO_DATA = "no data"
#: The 02 verdict: the claim is "unusually low" when fewer than this share of random groups average as little.
UNUSUAL_SHARE = 0.05
#: Output kind in a manifest record -> link label, in the order shown.
LINK_LABELS = {"html_nocode": "report", "html": "with code", "notebook": "notebook"}
MEASURE_WORDS = {
    "hn_spend": "high-needs spending", "hnb_before_deductions": "the high needs block before deductions",
    "hnb_after_deductions": "the high needs block after deductions", "dsg_total": "total DSG",
    "ehcp": "EHC plans",
}
DENOMINATOR_WORDS = {
    "total": "", "per_head_2_18": " per resident aged 2-18", "per_head_0_25": " per resident aged 0-25",
    "per_ehcp": " per EHC plan",
}
_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Report:
    """The newest record of one report across runs, with its ``results.json`` ({} if none)."""

    name: str
    run_id: str
    run_started_at: str | None
    record: Mapping[str, Any]
    results: Mapping[str, Any]

    @property
    def ok(self) -> bool:
        return self.record.get("status") == "ok"

    @property
    def notebook_stem(self) -> str:
        return Path(str(self.record.get("notebook") or self.name)).stem

    def href(self, kind: str) -> str | None:
        """The link (relative to reports/) to one of the report's outputs, None if absent."""
        if kind == "results":
            return f"{self.run_id}/{self.name}/{RESULTS_FILE}" if self.results else None
        path = (self.record.get("outputs") or {}).get(kind)
        return f"{self.run_id}/{path}" if path else None

    @property
    def main_href(self) -> str | None:
        """The report to read: the HTML without code, else with code, else the executed notebook."""
        return next((link for link in map(self.href, LINK_LABELS) if link), None)


@dataclass(frozen=True)
class Figure:
    """A council key figure: the results.json key, its heading and how it is shown."""

    key: str
    heading: str
    explanation: str
    year: Callable[[Mapping[str, Any]], str | None]
    shown: Callable[[float], str]


def _balance_text(pct_of_dsg: float) -> str:
    """Cumulative DSG balance as % of DSG (positive = deficit): "deficit 7.1%", "surplus 2.0%"."""
    if pct_of_dsg == 0:
        return "none"
    return f"{'deficit' if pct_of_dsg > 0 else 'surplus'} {abs(pct_of_dsg):.1f}%"


def _key_year(key: str) -> Callable[[Mapping[str, Any]], str | None]:
    return lambda results: _text(results.get(key))


def _year_span(results: Mapping[str, Any]) -> str | None:
    first, last = _text(results.get("first_fy")), _text(results.get("last_fy"))
    return f"{first} to {last}" if first and last else None


FIGURES = (
    Figure("spend_per_head_2_18_gbp", "Spend per head aged 2-18",
           "S251 high-needs spending (lines 1.2.x, cash) per resident aged 2-18", _key_year("level_fy"), format_gbp),
    Figure("spend_growth_cash", "Spend growth", "Growth of S251 high-needs spending, cash terms",
           _year_span, format_pct),
    Figure("spend_vs_allocation", "Spend vs allocation",
           "S251 high-needs spending above (+) or below (-) the high needs block allocation after deductions",
           _key_year("allocation_fy"), format_pct),
    Figure("balance_pct", "DSG balance", "Cumulative DSG balance as a share of total DSG, at the end of the year",
           _key_year("balance_fy"), _balance_text),
)


def number(value: object) -> float | None:
    """``value`` as a finite float, or None (missing, NaN, infinite, text, a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _text(value: object) -> str | None:
    """A non-empty string value, or None."""
    return value if isinstance(value, str) and value.strip() else None


def _share(value: float) -> str:
    return f"{100 * value:.1f}%"


def read_runs(reports_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    """(run folder, manifest) for every run folder under ``reports_dir`` with a manifest (the
    ``latest`` link skipped); a manifest that is not a JSON object is an error naming it."""
    runs = []
    for path in sorted(Path(reports_dir).glob(f"*/{MANIFEST_FILE}")):
        if path.parent.is_symlink():
            continue
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SendlibError(f"{path}: not a readable manifest ({exc})") from None
        if not isinstance(manifest, dict) or not isinstance(manifest.get("reports", {}), dict):
            raise SendlibError(f"{path}: expected a JSON object with a 'reports' object")
        runs.append((path.parent, manifest))
    return runs


def _moment(text: object) -> datetime:
    """An ISO timestamp as an aware datetime (UTC if naive); the earliest moment if unreadable."""
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return _EARLIEST
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def read_results(report_dir: Path) -> dict[str, Any]:
    """A report's results.json as a dict; {} when absent or not a JSON object."""
    try:
        results = json.loads((report_dir / RESULTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return results if isinstance(results, dict) else {}


def newest_reports(runs: Iterable[tuple[Path, Mapping[str, Any]]]) -> dict[str, Report]:
    """For each report name, its newest record across ``runs`` (newest by the manifest's
    started_at, then the record's started_at, then the run id), with its results."""
    newest: dict[str, tuple[tuple[datetime, datetime, str], Path, Mapping[str, Any], Mapping[str, Any]]] = {}
    for run_dir, manifest in runs:
        for name, record in manifest.get("reports", {}).items():
            if not isinstance(record, dict):
                continue
            key = (_moment(manifest.get("started_at")), _moment(record.get("started_at")), run_dir.name)
            if name not in newest or key > newest[name][0]:
                newest[name] = (key, run_dir, manifest, record)
    return {
        name: Report(name=name, run_id=run_dir.name, run_started_at=_text(manifest.get("started_at")),
                     record=record, results=read_results(run_dir / name))
        for name, (_, run_dir, manifest, record) in sorted(newest.items())
    }


def case_study_finding(results: Mapping[str, Any]) -> str | None:
    """The 02 verdict: where the claimed growth of DfE's "effective" councils sits among
    councils and among random groups of their size; None without the core numbers."""
    claim, among_units = number(results.get("claimed_growth")), number(results.get("claim_percentile_among_units"))
    n_units, base, end = number(results.get("n_units_with_growth")), results.get("base_fy"), results.get("end_fy")
    if claim is None or among_units is None or n_units is None or not (_text(base) and _text(end)):
        return None
    measure = MEASURE_WORDS.get(str(results.get("measure")), str(results.get("measure") or "the measure"))
    measure += DENOMINATOR_WORDS.get(str(results.get("denominator")), "")
    basis = f", {results['basis']} terms" if _text(results.get("basis")) else ""
    size = number(results.get("group_size"))
    group = f"{size:.0f} " if size is not None else ""
    text = (f"DfE's {group}\"effective\" councils grew by a claimed {_share(claim)} ({measure}{basis}, {base} to "
            f"{end}). {_share(among_units)} of {n_units:.0f} councils grew by at most that")
    among_groups = number(results.get("claim_percentile_among_random_groups"))
    if among_groups is not None:
        verdict = "unusually low" if among_groups < UNUSUAL_SHARE else "not unusual"
        text += (f", and {_share(among_groups)} of random groups of {group}councils average that little: "
                 f"{verdict} for a group of that size")
    national = number(results.get("national_growth"))
    text += f". England grew by {_share(national)}." if national is not None else "."
    low, high = (number(results.get(f"sensitivity_claim_percentile_among_units_{bound}")) for bound in ("min", "max"))
    rows = number(results.get("sensitivity_rows"))
    if low is not None and high is not None and rows is not None:
        text += (f" On other measures and years ({rows:.0f} combinations) the claim's place among councils ranges "
                 f"from {_share(low)} to {_share(high)}: the verdict depends on which spending is meant.")
    return text


def backtest_finding(results: Mapping[str, Any]) -> str | None:
    """The 04 back-test: assumed against actual funding growth, projected against actual
    spending, and the councils projected past the deficit threshold; None if none is there."""
    parts = []
    assumed, actual = number(results.get("funding_assumed_growth")), number(results.get("funding_actual_growth"))
    if assumed is not None and actual is not None and _text(results.get("funding_backtest_fy")):
        parts.append(f"The June 2022 guidance assumed high needs block allocations would grow {_share(assumed)} in "
                     f"{results['funding_backtest_fy']}; they grew {_share(actual)}.")
    spend_gap = number(results.get("spend_difference_pct"))
    if spend_gap is not None and _text(results.get("spend_backtest_final_fy")):
        since = f" projected from {results['start_fy']}" if _text(results.get("start_fy")) else " projected"
        above = number(results.get("spend_share_units_above"))
        share = f", higher than projected in {_share(above)} of councils" if above is not None else ""
        direction = "above" if spend_gap >= 0 else "below"
        parts.append(f"High-needs spending in {results['spend_backtest_final_fy']} was {_share(abs(spend_gap))} "
                     f"{direction} its trend{since}{share}.")
    over, known = number(results.get("n_over_threshold_final")), number(results.get("n_known_final"))
    threshold = number(results.get("threshold_pct"))
    if over is not None and known is not None and threshold is not None and _text(results.get("last_projected_fy")):
        parts.append(f"On the guidance's assumptions, {over:.0f} of {known:.0f} councils would have a cumulative "
                     f"DSG deficit above {threshold:g}% of their DSG by {results['last_projected_fy']}.")
    return " ".join(parts) or None


def status_tally(results: Mapping[str, Any]) -> dict[str, int]:
    """06's count per status (``status_counts``); statuses with no figure are left out; in 06's
    order of statuses, others last."""
    counts = results.get("status_counts")
    if not isinstance(counts, dict):
        return {}
    tally = {str(status): int(n) for status, value in counts.items() if (n := number(value))}
    order = {status: position for position, status in enumerate(STATUSES)}
    return dict(sorted(tally.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


def published_finding(results: Mapping[str, Any]) -> str | None:
    """The 06 tally: "63 published national figures set against our data: 23 MATCH, ..."."""
    tally = status_tally(results)
    if not tally:
        return None
    total = number(results.get("n_rows"))
    total_text = f"{total:.0f}" if total is not None else f"{sum(tally.values())}"
    return (f"{total_text} published national figures set against our data: "
            + ", ".join(f"{n} {status}" for status, n in tally.items()) + ".")


FINDINGS = (
    (CASE_STUDY_REPORT, "Did the \"effective\" councils' spending grow little?", case_study_finding),
    (SUSTAINABILITY_REPORT, "Did the funding assumptions hold?", backtest_finding),
    (PUBLISHED_REPORT, "Do our numbers match the published ones?", published_finding),
    (AFTER_2022_REPORT, "Did councils' paths change after they entered a programme?", after_2022_finding),
)


def notebook_title(report: Report, run_dir: Path) -> str:
    """The first Markdown heading of the executed notebook ("02 · ..."), else the report name."""
    path = (report.record.get("outputs") or {}).get("notebook")
    try:
        cells = json.loads((run_dir / path).read_text(encoding="utf-8"))["cells"] if path else []
    except (OSError, ValueError, KeyError, TypeError):
        cells = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            source = "".join(cell.get("source") or [])
            heading = next((line for line in source.splitlines() if line.startswith("#")), "")
            return heading.lstrip("#").strip() or report.name
    return report.name


def programme_text(results: Mapping[str, Any]) -> str:
    """"DBV (tranche 2), safety valve (2022-23), case study"; "none known"; "no data" without flags."""
    flags = ("dbv", "safety_valve", "case_study_2022")
    if not any(isinstance(results.get(flag), bool) for flag in flags):
        return NO_DATA
    detail = {"dbv": results.get("dbv_tranche"), "safety_valve": results.get("safety_valve_year")}
    names = {"dbv": "DBV", "safety_valve": "safety valve", "case_study_2022": "case study"}
    parts = []
    for flag in flags:
        if results.get(flag) is True:
            extra = detail.get(flag)
            extra_text = _text(extra) or (f"{extra:g}" if number(extra) is not None else None)
            parts.append(names[flag] + (f" ({extra_text})" if extra_text else ""))
    return ", ".join(parts) or "none known"


def la_type_text(results: Mapping[str, Any]) -> str:
    """The LA type in words ("inner London borough"); the code itself if unknown; "no data"."""
    code = _text(results.get("la_type"))
    return LA_TYPE_NAMES.get(code, code) if code else NO_DATA


def _common_year(figure: Figure, councils: Sequence[Report]) -> str | None:
    """The year (or span) most councils' value of ``figure`` is for."""
    years = Counter(figure.year(c.results) for c in councils if number(c.results.get(figure.key)) is not None)
    years.pop(None, None)
    return years.most_common(1)[0][0] if years else None


def _cell(text: str, sort: str | float | None = None, css: str = "") -> str:
    sort_attr = "" if sort is None else f' data-sort="{html.escape(str(sort))}"'
    class_attr = f' class="{css}"' if css else ""
    return f"<td{class_attr}{sort_attr}>{html.escape(text)}</td>"


def _figure_cell(figure: Figure, results: Mapping[str, Any], common_year: str | None) -> str:
    value = number(results.get(figure.key))
    if value is None:
        return _cell(NO_DATA, "", "num missing")
    year = figure.year(results)
    suffix = f" ({year})" if year and year != common_year else ""
    return _cell(figure.shown(value) + suffix, repr(value), "num")


def _link(href: str | None, text: str) -> str:
    return f'<a href="{html.escape(href)}">{html.escape(text)}</a>' if href else html.escape(text)


def _links(report: Report) -> str:
    kinds = [*LINK_LABELS, "results"]
    labels = {**LINK_LABELS, "results": "results"}
    return " · ".join(_link(report.href(kind), labels[kind]) for kind in kinds if report.href(kind))


def _status_cell(report: Report) -> str:
    if report.ok:
        return _cell("ok", "ok", "status ok")
    error = str(report.record.get("error") or "no error recorded")
    status = str(report.record.get("status") or "unknown")
    return (f'<td class="status failed" data-sort="{html.escape(status)}"><strong>{html.escape(status)}</strong>'
            f'<div class="error">{html.escape(error)}</div></td>')


def _run_cell(report: Report) -> str:
    return (f'<td data-sort="{html.escape(report.run_started_at or "")}">'
            f'{_link(f"{report.run_id}/{MANIFEST_FILE}", report.run_id)}</td>')


def council_code(report: Report) -> str:
    """The council's 3-digit code: from results, else the ``la`` parameter, else the report name."""
    parameters = report.record.get("parameters") or {}
    return str(_text(report.results.get("la_code")) or _text(parameters.get("la"))
               or report.name.removeprefix("council_"))


def council_row(report: Report, common_years: Mapping[str, str | None]) -> str:
    """One council's table row (a failed report's row marked ``failed``)."""
    results = report.results
    name = _text(results.get("la_name")) or f"council {council_code(report)} (no results)"
    title = _link(report.main_href, name)
    cells = [
        f'<td class="name" data-sort="{html.escape(name.lower())}">{title}</td>',
        _cell(council_code(report)),
        _cell(_text(results.get("region")) or NO_DATA),
        _cell(la_type_text(results)),
        _cell(programme_text(results)),
        *(_figure_cell(figure, results, common_years[figure.key]) for figure in FIGURES),
        _status_cell(report),
        _run_cell(report),
    ]
    css = "" if report.ok else ' class="failed"'
    return f"<tr{css}>" + "".join(cells) + "</tr>"


def _heading(text: str, kind: str, explanation: str = "") -> str:
    title = f' title="{html.escape(explanation)}"' if explanation else ""
    return f'<th scope="col" data-type="{kind}"{title}><button type="button">{html.escape(text)}</button></th>'


def council_table(councils: Sequence[Report]) -> str:
    """The councils' table (sortable headings, one row per council): failed reports first, then by name."""
    common = {figure.key: _common_year(figure, councils) for figure in FIGURES}
    headings = [_heading("Council", "text"), _heading("Code", "text"), _heading("Region", "text"),
                _heading("LA type", "text"), _heading("Programmes", "text", "Delivering Better Value (DBV), "
                                                      "Safety Valve agreement, one of DfE's ten 2022 case studies")]
    headings += [_heading(f.heading + (f", {common[f.key]}" if common[f.key] else ""), "number", f.explanation)
                 for f in FIGURES]
    headings += [_heading("Status", "text"), _heading("Run", "text", "The run this report comes from")]
    ordered = sorted(councils, key=lambda c: (c.ok, (_text(c.results.get("la_name")) or c.name).lower()))
    rows = "\n".join(council_row(council, common) for council in ordered)
    return (f'<table id="councils">\n<thead><tr>{"".join(headings)}</tr></thead>\n'
            f"<tbody>\n{rows}\n</tbody>\n</table>")


def findings_section(reports: Mapping[str, Report]) -> str:
    """The headline findings, one per evidence notebook, each linking its report."""
    items = []
    for name, question, finding in FINDINGS:
        report = reports.get(name)
        if report is None:
            body = f"Not run yet: <code>sendlib reproduce</code> (or <code>sendlib run {html.escape(name)}</code>)."
        else:
            text = finding(report.results) if report.ok else None
            body = html.escape(text) if text else (
                f"{'The report failed' if not report.ok else 'Its results.json has no such figures'} "
                f"(run {html.escape(report.run_id)}).")
            body += f" {_link(report.main_href, 'Read the report')}."
        items.append(f"<li><h3>{html.escape(question)}</h3><p>{body}</p></li>")
    return '<ul class="findings">\n' + "\n".join(items) + "\n</ul>"


def evidence_table(notebooks: Sequence[Report], reports_dir: Path) -> str:
    """The evidence notebooks' reports: title (linked), status, run and every output."""
    rows = []
    for report in notebooks:
        title = notebook_title(report, reports_dir / report.run_id)
        css = "" if report.ok else ' class="failed"'
        rows.append(f"<tr{css}><td>{_link(report.main_href, title)}</td>{_status_cell(report)}{_run_cell(report)}"
                    f"<td>{_links(report)}</td></tr>")
    return ('<table class="evidence">\n<thead><tr><th scope="col">Notebook</th><th scope="col">Status</th>'
            '<th scope="col">Run</th><th scope="col">Files</th></tr></thead>\n<tbody>\n'
            + "\n".join(rows) + "\n</tbody>\n</table>")


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 90em; padding: 0 1em; color: #222;
       line-height: 1.4; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.6em; border-bottom: 2px solid #ddd; }
.lead { color: #444; max-width: 60em; }
.findings { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fit, minmax(22em, 1fr));
            gap: 1em; }
.findings li { border: 1px solid #ddd; border-radius: 6px; padding: 0.6em 1em; background: #fafafa; }
.findings h3 { margin: 0.2em 0; font-size: 1.05em; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
th, td { text-align: left; padding: 0.35em 0.6em; border-bottom: 1px solid #e3e3e3; vertical-align: top; }
th { background: #f0f0f0; position: sticky; top: 0; }
th button { all: unset; cursor: pointer; font-weight: bold; }
th button::after { content: " \\2195"; color: #999; }
th[aria-sort="ascending"] button::after { content: " \\2191"; color: #222; }
th[aria-sort="descending"] button::after { content: " \\2193"; color: #222; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.missing { color: #888; font-style: italic; }
tr.failed { background: #fdecea; } tr.failed td:first-child { border-left: 4px solid #b2182b; }
.status.ok { color: #1b7837; } .status.failed { color: #b2182b; }
.error { font-size: 0.85em; max-width: 30em; }
#council-filter { font-size: 1.05em; padding: 0.35em 0.5em; width: 22em; max-width: 100%; }
.filter { margin: 0.8em 0; }
"""

SCRIPT = """
(function () {
  const table = document.getElementById("councils");
  if (!table) return;
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const filter = document.getElementById("council-filter");
  const count = document.getElementById("council-count");
  filter.addEventListener("input", function () {
    const needle = filter.value.trim().toLowerCase();
    let shown = 0;
    rows.forEach(function (row) {
      const text = (row.cells[0].textContent + " " + row.cells[1].textContent).toLowerCase();
      row.hidden = !text.includes(needle);
      if (!row.hidden) shown += 1;
    });
    count.textContent = shown;
  });
  const headings = Array.from(table.tHead.rows[0].cells);
  headings.forEach(function (heading, column) {
    heading.querySelector("button").addEventListener("click", function () {
      const ascending = heading.getAttribute("aria-sort") !== "ascending";
      headings.forEach(function (h) { h.removeAttribute("aria-sort"); });
      heading.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const numeric = heading.dataset.type === "number";
      const key = function (row) {
        const cell = row.cells[column];
        const text = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim().toLowerCase();
        return numeric ? (text === "" ? null : Number(text)) : text;
      };
      rows.sort(function (a, b) {
        const x = key(a), y = key(b);
        if (x === y) return 0;
        if (x === null || x === "") return 1;   /* missing values last, either way */
        if (y === null || y === "") return -1;
        const order = numeric ? x - y : x.localeCompare(y);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
})();
"""


def render_front_page(reports_dir: Path) -> str:
    """The front page for every run under ``reports_dir`` (links relative to it)."""
    reports_dir = Path(reports_dir)
    runs = read_runs(reports_dir)
    reports = newest_reports(runs)
    councils = [r for r in reports.values() if r.notebook_stem == COUNCIL_NOTEBOOK]
    notebooks = [r for r in reports.values() if r.notebook_stem != COUNCIL_NOTEBOOK]
    failed = sum(not r.ok for r in reports.values())
    newest_run = max(runs, key=lambda run: (_moment(run[1].get("started_at")), run[0].name))[0].name if runs else None
    summary = (f"{len(reports)} reports from {len(runs)} run(s); newest run {html.escape(newest_run or 'none')}; "
               + (f'<strong class="status failed">{failed} failed</strong>.' if failed else "none failed."))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sendlib: high-needs SEND spending in England, rebuilt from public data</title>
<style>{STYLE}</style>
</head>
<body>
<h1>High-needs SEND spending in England, rebuilt from public data</h1>
<p class="lead">The evidence behind DfE's "Delivering Better Value in SEND" programme (June 2022), recomputed by
sendlib from public data. Start with the headline findings, read the evidence notebooks, or find your council
below. {summary}</p>
<h2>Headline findings</h2>
{findings_section(reports)}
<h2>Evidence notebooks</h2>
{evidence_table(notebooks, reports_dir)}
<h2>Councils</h2>
<p>Each council's profile against its comparators. Figures are for the year in the heading unless another is
given in brackets; click a heading to sort. Spending is S251 high-needs outturn in cash; a DSG deficit is
the cumulative Dedicated Schools Grant balance owed.</p>
<div class="filter"><label for="council-filter">Find a council by name or code: </label>
<input id="council-filter" type="search" placeholder="e.g. Stockport" autocomplete="off">
<span>showing <span id="council-count">{len(councils)}</span> of {len(councils)}</span></div>
{council_table(councils)}
<script>{SCRIPT}</script>
</body>
</html>
"""
