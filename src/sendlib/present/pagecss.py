"""Keep in an exported page only the stylesheet rules it can use.

nbconvert's "lab" template inlines all of JupyterLab's CSS (about 260 kB) into every HTML
file, most of it for widgets and editors a static report never shows. :func:`slim_page`
drops each rule whose selectors all need a class that no element of the page carries
(classes inside ``:not()``, ``:is()``, ``:where()`` and ``:has()`` are not required, so a
rule is dropped only when it cannot match); rules without classes (``body``, ``:root``,
``[data-jp-theme-light]``), ``@font-face`` and ``@keyframes`` stay. Custom properties
(``--jp-icon-add: url(data:...)``, most of the bytes) are kept only when a kept rule uses
them through ``var()``, directly or through another kept property. The page looks the same
with a few tens of kilobytes of CSS instead of 260.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import tinycss2

_STYLE = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.S)
_CLASS_ATTRIBUTE = re.compile(r'\bclass="([^"]*)"')
_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_OPTIONAL = re.compile(r":(?:not|is|where|has)\((?:[^()]|\([^()]*\))*\)")
_GROUPING_AT_RULES = {"media", "supports", "layer", "container"}
_VAR = re.compile(r"var\(\s*(--[\w-]+)")


@dataclass(frozen=True)
class _Rule:
    """A stylesheet rule: its text, and the classes each of its selectors needs (None: keep
    always); for @media and the like, the rules inside instead."""

    text: str
    needs: tuple[frozenset[str], ...] | None = None
    head: str = ""
    inner: tuple[_Rule, ...] = ()
    selector: str = ""
    properties: tuple[tuple[str, str, frozenset[str]], ...] = ()  # custom: (name, declaration, vars used)
    uses: frozenset[str] = frozenset()  # vars used by the rule's other declarations


def slim_page(page: str) -> str:
    """``page`` with each ``<style>`` block reduced to the rules that can match its elements
    and the custom properties those rules use."""
    classes = frozenset(name for attribute in _CLASS_ATTRIBUTE.findall(page) for name in attribute.split())
    blocks = [(match, _matching(_parsed(match.group(2)), classes)) for match in _STYLE.finditer(page)]
    variables = _used_variables([rule for _, rules in blocks for rule in _flat(rules)])
    pieces, position = [], 0
    for match, rules in blocks:
        pieces += [page[position:match.start(2)], _text(rules, variables)]
        position = match.end(2)
    return "".join(pieces) + page[position:]


def _matching(rules: tuple[_Rule, ...], classes: frozenset[str]) -> tuple[_Rule, ...]:
    kept = []
    for rule in rules:
        if rule.head:
            inner = _matching(rule.inner, classes)
            if inner:
                kept.append(_Rule("", None, rule.head, inner))
        elif rule.needs is None or any(needed <= classes for needed in rule.needs):
            kept.append(rule)
    return tuple(kept)


def _flat(rules: tuple[_Rule, ...]) -> list[_Rule]:
    return [leaf for rule in rules for leaf in (_flat(rule.inner) if rule.head else [rule])]


def _used_variables(rules: list[_Rule]) -> set[str]:
    """Custom properties used by the rules' ordinary declarations, and by those, transitively."""
    defined: dict[str, set[str]] = {}
    for rule in rules:
        for name, _, uses in rule.properties:
            defined.setdefault(name, set()).update(uses)
    used = set().union(*(rule.uses for rule in rules)) if rules else set()
    pending = list(used)
    while pending:
        for further in defined.get(pending.pop(), ()):
            if further not in used:
                used.add(further)
                pending.append(further)
    return used


def _text(rules: tuple[_Rule, ...], variables: set[str]) -> str:
    parts = []
    for rule in rules:
        if rule.head:
            parts.append(f"{rule.head}{{\n{_text(rule.inner, variables)}}}\n")
        elif rule.properties:
            kept = [declaration for name, declaration, _ in rule.properties if name in variables]
            if kept or rule.text:
                parts.append(f"{rule.selector}{{{rule.text}{''.join(kept)}}}\n")
        else:
            parts.append(rule.text + "\n")
    return "".join(parts)


@functools.lru_cache(maxsize=32)
def _parsed(css: str) -> tuple[_Rule, ...]:
    """The rules of a stylesheet (cached: every page of a run carries the same CSS)."""
    return _rules(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))


def _rules(nodes: list) -> tuple[_Rule, ...]:
    rules = []
    for node in nodes:
        if node.type == "qualified-rule":
            prelude = tinycss2.serialize(node.prelude)
            needs = tuple(frozenset(_CLASS.findall(_OPTIONAL.sub("", selector))) for selector in _split_selectors(prelude))
            rules.append(_declarations(node, prelude, needs))
        elif node.type == "at-rule" and node.lower_at_keyword in _GROUPING_AT_RULES and node.content is not None:
            inner = tinycss2.parse_rule_list(node.content, skip_comments=True, skip_whitespace=True)
            head = f"@{node.at_keyword}{tinycss2.serialize(node.prelude)}"
            rules.append(_Rule("", None, head, _rules(inner)))
        elif node.type == "at-rule":
            rules.append(_Rule(tinycss2.serialize([node])))
    return tuple(rules)


def _declarations(node: object, prelude: str, needs: tuple[frozenset[str], ...]) -> _Rule:
    """A style rule; when it defines custom properties, split into those (each kept only if
    used) and its other declarations (``text``)."""
    declarations = [d for d in tinycss2.parse_blocks_contents(node.content, skip_comments=True,
                                                              skip_whitespace=True) if d.type == "declaration"]
    custom = [d for d in declarations if d.name.startswith("--")]
    if not custom:
        text = tinycss2.serialize([node])
        return _Rule(text, needs, uses=frozenset(_VAR.findall(text)))
    other = "".join(f"{d.name}:{tinycss2.serialize(d.value)}{' !important' if d.important else ''};"
                    for d in declarations if not d.name.startswith("--"))
    properties = tuple((d.name, f"{d.name}:{tinycss2.serialize(d.value)};", frozenset(_VAR.findall(
        tinycss2.serialize(d.value)))) for d in custom)
    return _Rule(other, needs, selector=prelude, properties=properties, uses=frozenset(_VAR.findall(other)))


def _split_selectors(prelude: str) -> list[str]:
    """A selector list split at its top-level commas (not those inside parentheses)."""
    selectors, depth, current = [], 0, []
    for char in prelude:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            selectors.append("".join(current))
            current = []
        else:
            current.append(char)
    selectors.append("".join(current))
    return selectors
