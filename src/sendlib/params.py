"""Notebook parameters: read a notebook's tagged ``parameters`` cell, turn command-line and
YAML values into parameter values, and validate a run's overrides before any kernel starts.

Each parameter's allowed values are declared in sendlib.param_rules (ranges of numbers, work
sizes with upper bounds, shares and growth rates as fractions that may be written ``5%``,
councils, years, choices, dates, folders); values are normalised as they are checked. On top:

- every number must be finite: NaN and infinity are refused whatever the parameter;
- ``output_dir`` is set by the runner and cannot be overridden;
- a YAML parameter file may not use aliases (``*name``: a "billion laughs" file is refused at
  once) nor give a name twice, and is at most :data:`MAX_FILE_BYTES`;
- messages show a short repr of a value (sendlib.errors.shown), never a long one in full.

Checks that need the data (ranges, year order, data present) run next, before any kernel
starts, through sendlib.prechecks.
"""

from __future__ import annotations

import ast
import io
import json
import math
import tokenize
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sendlib.errors import ParameterError, shown, suggestion
from sendlib.param_rules import ListOf, Rule, percentage_text, rule_for

PARAMETERS_TAG = "parameters"
OUTPUT_DIR = "output_dir"
MAX_FILE_BYTES = 100_000
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_SCALARS = (str, int, float, bool, type(None))


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader without aliases (``*name`` refers back to an anchor: nested, they
    expand to billions of values) and with duplicate keys as errors."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, f"found the alias *{shown(event.anchor)[1:-1]}: aliases (*name) are not allowed "
                "in a parameter file; write each value out", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicated = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: the safe loader says so
                continue
            if duplicated:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{shown(key)} is given twice; give each name once", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


@dataclass(frozen=True)
class Parameter:
    """One parameter as declared in a notebook's ``parameters`` cell."""

    name: str
    default: Any
    type_name: str
    comment: str
    line: int


def notebook_parameters(path: str | Path) -> dict[str, Parameter]:
    """Every parameter of the notebook at ``path``, in cell order, from its first code cell,
    which must be tagged ``parameters`` and hold only ``name = <literal>  # comment`` lines."""
    path = Path(path)
    source = _parameters_cell_source(path)
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise _cell_error(path, exc.lineno or 0, f"not valid Python ({exc.msg})") from exc
    comments = _comments_by_line(source)
    parameters: dict[str, Parameter] = {}
    for statement in tree.body:
        name, default = _literal_assignment(statement, path)
        if name in parameters:
            raise _cell_error(path, statement.lineno, f"{name!r} is assigned twice")
        comment = comments.get(statement.lineno) or comments.get(statement.end_lineno or 0, "")
        parameters[name] = Parameter(name, default, _type_name(default), comment, statement.lineno)
    return parameters


def load_parameter_file(path: str | Path) -> dict[str, Any]:
    """The ``name: value`` mapping of a YAML parameter file (empty file -> {}); aliases and
    repeated names are refused, and so is a file over MAX_FILE_BYTES."""
    path = Path(path)
    if path.is_dir():
        raise ParameterError(f"{path}: is a directory, not a parameter file (give a YAML file of name: value lines)")
    if not path.is_file():
        raise ParameterError(f"{path}: parameter file not found")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ParameterError(f"{path}: {size:,} bytes is too large for a parameter file (at most {MAX_FILE_BYTES:,}; "
                             "it holds a few name: value lines)")
    try:
        data = _load_yaml(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ParameterError(f"{path}: not a valid YAML file ({_yaml_problem(exc)})") from exc
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
        raise ParameterError(f"{path}: expected a mapping of parameter names to values, e.g. `la: Camden`")
    return data


def parse_cli_value(text: str, parameter: Parameter) -> Any:
    """The value of ``-p NAME TEXT`` in the type of the parameter's default: lists as a
    YAML/JSON literal (``[a, b]``) or comma-separated (``a,b``), dicts as YAML/JSON, and
    any YAML value when the default is None; a number written ``5%`` is kept as text for
    the parameter's rule (sendlib.param_rules) to read."""
    default = parameter.default
    try:
        if isinstance(default, list):
            return _parse_list(text, _element_default(default))
        if isinstance(default, dict):
            return _parse_yaml(text, dict)
        if default is None:
            return _parse_yaml(text, object)
        if isinstance(default, float) and percentage_text(text) is not None:
            return text.strip()  # "5%": the parameter's rule decides whether it takes a percentage
        return _parse_scalar(text, type(default))
    except ValueError as exc:
        raise ParameterError(f"-p {parameter.name} {shown(text)}: {exc}") from exc


def validate_parameters(notebook: str | Path, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The checked and normalised ``overrides`` for ``notebook``; every problem found is
    reported at once in one ParameterError (unknown name, wrong type, value out of range)."""
    notebook = Path(notebook)
    declared = notebook_parameters(notebook)
    if OUTPUT_DIR not in declared:
        raise ParameterError(f"{notebook}: the parameters cell must declare `{OUTPUT_DIR} = \"\"`")
    validated: dict[str, Any] = {}
    problems: list[str] = []
    for name in sorted(overrides):
        try:
            validated[name] = _validated_value(notebook.stem, declared, name, overrides[name])
        except ParameterError as exc:
            problems.append(f"{notebook.stem}: {exc}")
    if problems:
        raise ParameterError("\n".join(problems))
    return validated


def _parameters_cell_source(path: Path) -> str:
    """The source of the notebook's first code cell, which must be tagged ``parameters``.
    (The notebook JSON is read directly: nbformat takes a second to import, too long for
    ``sendlib params`` and for refusing a bad parameter.)"""
    if not path.is_file():
        raise ParameterError(f"{path}: notebook not found")
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code_cells = [cell for cell in cells if cell["cell_type"] == "code"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ParameterError(f"{path}: not a readable notebook ({type(exc).__name__}: {exc})") from exc
    if not code_cells or PARAMETERS_TAG not in code_cells[0].get("metadata", {}).get("tags", []):
        raise ParameterError(f"{path}: the first code cell must be tagged {PARAMETERS_TAG!r}")
    source = code_cells[0].get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _cell_error(path: Path, line: int, problem: str) -> ParameterError:
    return ParameterError(f"{path}: parameters cell, line {line}: {problem}")


def _literal_assignment(statement: ast.stmt, path: Path) -> tuple[str, Any]:
    """(name, value) of a ``name = <literal>`` statement; anything else is an error."""
    if not (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
    ):
        raise _cell_error(path, statement.lineno, f"expected `name = <literal>`, found `{ast.unparse(statement)}`")
    name = statement.targets[0].id
    try:
        value = ast.literal_eval(statement.value)
    except (ValueError, TypeError, SyntaxError) as exc:
        raise _cell_error(path, statement.lineno, f"the value of {name!r} is not a literal") from exc
    if not _is_plain_literal(value):
        raise _cell_error(
            path, statement.lineno,
            f"{name!r} is a {type(value).__name__}; use str, int, float, bool, None or lists/dicts of them",
        )
    return name, value


def _is_plain_literal(value: Any) -> bool:
    if isinstance(value, list):
        return all(_is_plain_literal(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _is_plain_literal(item) for key, item in value.items())
    return isinstance(value, _SCALARS)


def _comments_by_line(source: str) -> dict[int, str]:
    """Comment text by line number (the cell has already parsed, so it tokenizes)."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {tok.start[0]: tok.string.lstrip("#").strip() for tok in tokens if tok.type == tokenize.COMMENT}


def _type_name(value: Any) -> str:
    """"str", "int", ..., "None", or "list of str" for a list whose items share a type."""
    if value is None:
        return "None"
    if isinstance(value, list) and _element_default(value) is not None:
        return f"list of {type(value[0]).__name__}"
    return type(value).__name__


def _element_default(default: list) -> Any:
    """A representative item of a default list (its items' common type), or None if mixed/empty."""
    kinds = {type(item) for item in default}
    return default[0] if len(kinds) == 1 and default[0] is not None else None


def _parse_scalar(text: str, kind: type) -> Any:
    if kind is str:
        return text
    if kind is bool:
        lowered = text.strip().lower()
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE
        raise ValueError("expected true or false")
    try:
        return kind(text.strip())
    except ValueError:
        raise ValueError(f"expected {'an integer' if kind is int else 'a number'}") from None


def _load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a safe loader, stricter still)


def _yaml_problem(exc: Exception) -> str:
    """A YAML error on one line: ``line 3: 'seed' is given twice; ...``."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        return f"line {exc.problem_mark.line + 1}: {exc.problem}"
    return str(exc).replace("\n", " ")


def _parse_yaml(text: str, kind: type) -> Any:
    try:
        value = _load_yaml(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"not a valid YAML/JSON value ({_yaml_problem(exc)})") from exc
    if not isinstance(value, kind):
        raise ValueError(f"expected a {kind.__name__}, e.g. {'[a, b]' if kind is list else '{a: 1}'}")
    return value


def _parse_list(text: str, element_default: Any) -> list:
    stripped = text.strip()
    if stripped.startswith("["):
        items = _parse_yaml(stripped, list)
    else:
        items = [part.strip() for part in stripped.split(",") if part.strip()]
    if element_default is None:
        return items
    kind = type(element_default)
    return [_parse_item(item, kind) for item in items]


def _parse_item(item: Any, kind: type) -> Any:
    """A list item in the type ``kind`` (text is parsed; a YAML number for a text list becomes text)."""
    if isinstance(item, str):
        return _parse_scalar(item, kind)
    if kind is str and isinstance(item, (int, float)) and not isinstance(item, bool):
        return str(item)
    return item


def _validated_value(stem: str, declared: Mapping[str, Parameter], name: str, value: Any) -> Any:
    if name == OUTPUT_DIR:
        raise ParameterError(f"{OUTPUT_DIR!r} is set by the runner (reports/<run-id>/<report>); do not pass it")
    if name not in declared:
        raise ParameterError(
            f"unknown parameter {shown(name)}{suggestion(name, list(declared))}; "
            f"its parameters are: {', '.join(declared)}"
        )
    parameter, rule = declared[name], rule_for(stem, name)
    if rule is not None:
        value = _apply(rule, rule.prepare, value)
    try:
        value = _conformed(value, parameter.default)
    except TypeError:
        raise ParameterError(
            f"parameter {name!r} expects {parameter.type_name} (default {shown(parameter.default)}), "
            f"got {type(value).__name__} {shown(value)}"
        ) from None
    _check_finite(name, value)
    if rule is None:
        return value
    try:
        _check_length(value, rule)
        return None if value is None else _apply(rule, rule.check, value)
    except (ParameterError, ValueError) as exc:
        raise ParameterError(f"parameter {name!r}: {exc}") from exc


def _apply(rule: Rule, step: Callable[[Any], Any], value: Any) -> Any:
    """``step`` (the rule's prepare or check) on ``value``, or on each item of a list value
    when the rule is one of a single value (a list of councils takes the council rule)."""
    if isinstance(value, list) and not isinstance(rule, ListOf):
        return [step(item) for item in value]
    return step(value)


def _conformed(value: Any, default: Any) -> Any:
    """``value`` in the type of ``default`` (an int is accepted for a float; a None default
    accepts anything); a TypeError when it does not fit."""
    if default is None:
        return value
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(default, list) and isinstance(value, list):
        return [_conformed(item, _element_default(default)) for item in value]
    if type(value) is not type(default):
        raise TypeError(f"{shown(value)} is not a {type(default).__name__}")
    return value


def _check_finite(name: str, value: Any) -> None:
    """A ParameterError naming ``name`` when ``value`` is or holds a NaN or an infinite number."""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, (list, dict)):
            _check_finite(name, item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ParameterError(f"parameter {name!r} must be a finite number, got {item!r}")


def _check_length(value: Any, rule: Rule) -> None:
    """A ParameterError when a text (or a text in a list) is longer than ``rule`` allows."""
    limit = rule.item.max_text if isinstance(rule, ListOf) else rule.max_text
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str) and len(item) > limit:
            raise ParameterError(f"expected at most {limit:,} characters, got {shown(item)}")
