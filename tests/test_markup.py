"""The escaping helper: data-derived text never becomes live Markdown or HTML."""

from __future__ import annotations

from pathlib import Path

from nbconvert.filters.markdown_mistune import markdown2html_mistune

from sendlib.present.markup import code, escape

HOSTILE = "x`</code><img src=q onerror=alert(1)>`*bold* [link](http://a) # h"


def test_escape_leaves_no_live_html_or_markdown_after_rendering() -> None:
    rendered = markdown2html_mistune(f"Council: {escape(HOSTILE)}")
    assert "<img" not in rendered and "<a " not in rendered and "<em>" not in rendered
    assert "&lt;img src=q onerror=alert(1)&gt;" in rendered


def test_escape_keeps_plain_names_readable() -> None:
    assert markdown2html_mistune(escape("Barking and Dagenham")).strip() == "<p>Barking and Dagenham</p>"


def test_code_shows_backticks_and_tags_literally() -> None:
    rendered = markdown2html_mistune(f"Wrote to {code(HOSTILE)}")
    assert "<img" not in rendered
    assert "<code>x`&lt;/code&gt;&lt;img src=q onerror=alert(1)&gt;`*bold*" in rendered


def report_html(markdown: str, folder: Path) -> str:
    """``markdown`` displayed by a cell, in the page the runner writes (sendlib.workers.Exporters:
    the pages' template, images embedded, no code)."""
    import nbformat

    from sendlib.workers import Exporters

    notebook = nbformat.v4.new_notebook()
    output = nbformat.v4.new_output("display_data", data={"text/markdown": markdown, "text/plain": ""})
    notebook.cells.append(nbformat.v4.new_code_cell("", outputs=[output]))
    written = Exporters().write(notebook, folder / "report.ipynb", "report")
    return written["html_nocode"].read_text(encoding="utf-8")


def test_code_survives_the_report_export(tmp_path: Path) -> None:
    """The cause of the empty <code></code> in 01 and the lost <code>cumbria</code> in 05: inline
    HTML comes back from the export as an empty element; a code span does not."""
    assert "<code></code>/data/processed" in report_html("Wrote to <code>/data/processed</code>.", tmp_path)
    page = report_html(f"Wrote to {code('/data/processed')}; unit {code('cumbria')}; {code('a_b*c*')}.", tmp_path)
    assert "Wrote to <code>/data/processed</code>; unit <code>cumbria</code>; <code>a_b*c*</code>." in page
    assert "<code></code>" not in page


def test_code_fences_backticks_and_spaces() -> None:
    assert code("cumbria") == "`cumbria`" and code("bcp_dorset") == "`bcp_dorset`" and code("") == ""
    assert code("a`b") == "``a`b``" and code("`x`") == "`` `x` ``" and code("a\nb") == "`a b`"
    for value in ("a`b", "`x`", "``y", " z "):
        assert f"<code>{value}</code>" in markdown2html_mistune(f"see {code(value)} here")
