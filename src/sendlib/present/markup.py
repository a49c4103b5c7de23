"""One escaping helper for every Markdown/HTML string built from data or parameters.

nbconvert renders Markdown output as HTML without sanitising it, so a council name, a path
or a parameter value containing ``<``, ``&`` or Markdown syntax would otherwise become live
markup in the exported reports. Text written by the project itself needs no escaping; any
value that comes from data, a parameter or the environment goes through :func:`escape`
(running text) or :func:`code` (shown as code) before it reaches ``Markdown(...)`` or HTML.
"""

from __future__ import annotations

import html

#: Characters with a meaning in Markdown (CommonMark) that a value must not trigger.
_MARKDOWN_SPECIAL = "\\`*_{}[]()#+-.!|~"  # "<", ">", "&" are HTML-escaped instead


def escape(value: object) -> str:
    """``value`` as text safe inside Markdown or HTML: HTML-escaped (``<``, ``>``, ``&``, quotes)
    and every Markdown special character backslash-escaped, so it shows literally."""
    text = "".join(f"\\{char}" if char in _MARKDOWN_SPECIAL else char for char in str(value))
    return html.escape(text, quote=True).replace(":", "&#58;")  # ":" as an entity: no autolinked URLs


def code(value: object) -> str:
    """``value`` shown as inline code, safe whatever it contains (backticks included): an HTML
    ``<code>`` element around the :func:`escape`-d text (Markdown is still parsed inside it)."""
    return f"<code>{escape(value)}</code>"
