"""sendlib.present.pagecss: a page keeps the CSS rules and custom properties it can use, nothing else."""

from __future__ import annotations

from sendlib.present.pagecss import slim_page

CSS = """
:root { --used: red; --chained: var(--used); --unused: url(data:image/svg+xml;base64,AAAA); }
body { margin: 0; }
.a .b { color: var(--chained); }
.a:not(.never) { padding: 1px; }
.c, .a > .b { border: 0; }
.missing { color: blue; }
.a.missing { color: green; }
:is(.missing, .a) .b { top: 0; }
@media print { .missing { display: none; } .a { display: block; } }
@media screen { .missing { display: none; } }
@keyframes spin { from { opacity: 0; } to { opacity: 1; } }
"""


def page(css: str) -> str:
    return f'<html><head><style type="text/css">{css}</style></head><body><div class="a x"><p class="b">t</p></div></body></html>'


def test_unused_rules_and_properties_go_and_the_rest_stays() -> None:
    slim = slim_page(page(CSS))
    for kept in ("--used: red", "--chained: var(--used)", "body { margin: 0; }", ".a .b { color: var(--chained); }",
                 ".a:not(.never)", ".c, .a > .b", ":is(.missing, .a) .b", "@media print", ".a { display: block; }",
                 "@keyframes spin"):
        assert kept in slim, kept
    for dropped in ("--unused", ".missing { color: blue; }", ".a.missing", "@media screen"):
        assert dropped not in slim, dropped


def test_a_page_without_style_is_unchanged() -> None:
    assert slim_page("<p class='a'>x</p>") == "<p class='a'>x</p>"
