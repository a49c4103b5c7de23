"""One escaping helper for every Markdown/HTML string built from data or parameters.

nbconvert renders Markdown output as HTML without sanitising it, so a council name, a path
or a parameter value containing ``<``, ``&`` or Markdown syntax would otherwise become live
markup in the exported reports. Text written by the project itself needs no escaping; any
value that comes from data, a parameter or the environment goes through :func:`escape`
(running text) or :func:`code` (shown as code) before it reaches ``Markdown(...)`` or HTML.

Inline HTML tags do not survive the reports' export: with ``embed_images`` (each report is
one self-contained page) nbconvert's Markdown renderer hands every inline HTML token to
BeautifulSoup on its own, so an opening ``<code>`` comes back as an empty ``<code></code>``
and the closing tag is dropped (the text then shows after an empty element). Code is
therefore written as a Markdown code span, which the renderer turns into ``<code>`` itself.
"""

from __future__ import annotations

import html
import re

#: Characters with a meaning in Markdown (CommonMark) that a value must not trigger.
_MARKDOWN_SPECIAL = "\\`*_{}[]()#+-.!|~"  # "<", ">", "&" are HTML-escaped instead


def escape(value: object) -> str:
    """``value`` as text safe inside Markdown or HTML: HTML-escaped (``<``, ``>``, ``&``, quotes)
    and every Markdown special character backslash-escaped, so it shows literally."""
    text = "".join(f"\\{char}" if char in _MARKDOWN_SPECIAL else char for char in str(value))
    return html.escape(text, quote=True).replace(":", "&#58;")  # ":" as an entity: no autolinked URLs


def code(value: object) -> str:
    """``value`` shown as inline code in running text, safe whatever it contains: a Markdown code
    span (its content is literal; the renderer HTML-escapes it) fenced by one backtick more than
    the longest run of backticks inside, padded with a space when the value starts or ends with
    a backtick or a space (CommonMark strips one); line breaks become spaces. Not for table
    cells, where a ``|`` would still split the cell: use :func:`escape` there."""
    text = " ".join(str(value).splitlines())
    if not text:
        return ""
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{pad}{text}{pad}{fence}"
