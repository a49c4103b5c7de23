"""The escaping helper: data-derived text never becomes live Markdown or HTML."""

from __future__ import annotations

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
