"""Notebook parameters: read a notebook's tagged ``parameters`` cell, turn command-line and
YAML values into parameter values, and validate a run's overrides before any kernel starts.

Value rules, keyed by parameter name (values are normalised as they are checked):

- ``la``, ``case_study``: a council (3-digit code, ONS code or name) or a list of them, resolved
  with sendlib.geography.resolve_la to 3-digit ``la_code`` strings (a number such as 202 is a code);
- names ending ``_fy``: a financial year "2021-22" (or a list), which must be one of the panel's
  ``fy`` values when data/processed/panel.parquet exists;
- ``measure``, ``basis``, ``denominator``, ``spend_rule``, ``gap_basis``, ``both_rule``, ``comparators``,
  ``sn_model``: one of the choices their analysis module declares (see CHOICE_PARAMETERS);
- ``as_at``: a YYYY-MM-DD date within the dates of data/reference/programmes.csv;
- every number must be finite: NaN and infinity are refused whatever the parameter;
- ``output_dir`` is set by the runner and cannot be overridden.

Checks that need the panel (ranges, year order, data present) run next, before any kernel
starts, through sendlib.prechecks.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import io
import json
import math
import tokenize
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sendlib import config
from sendlib.errors import ParameterError, SourceFormatError
from sendlib.years import fy_start

PARAMETERS_TAG = "parameters"
OUTPUT_DIR = "output_dir"
COUNCIL_PARAMETERS = frozenset({"la", "case_study"})
FY_SUFFIX = "_fy"
#: Parameters whose value must be one of a module's choices: name -> (module, attribute).
CHOICE_PARAMETERS = {
    "measure": ("sendlib.analysis.measures", "MEASURES"),
    "basis": ("sendlib.analysis.measures", "BASES"),
    "denominator": ("sendlib.analysis.measures", "DENOMINATORS"),
    "spend_rule": ("sendlib.analysis.projections", "SPEND_RULES"),
    "gap_basis": ("sendlib.analysis.projections", "GAP_BASES"),
    "both_rule": ("sendlib.analysis.programme_groups", "BOTH_RULES"),
    "comparators": ("sendlib.analysis.profile", "COMPARATOR_METHODS"),
    "frame_rule": ("sendlib.analysis.selection", "FRAME_RULES"),
    "sn_model": ("sendlib.analysis.profile", "SN_MODELS"),
    "programmes": ("sendlib.analysis.evaluation", "PROGRAMMES"),
    "outcomes": ("sendlib.analysis.evaluation", "EVALUATED_OUTCOMES"),
    "estimator": ("sendlib.analysis.evaluation", "ESTIMATORS"),
    "comparison": ("sendlib.analysis.evaluation", "COMPARISONS"),
}
AS_AT = "as_at"
PANEL_FILE = "panel.parquet"
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Parameter:
    """One parameter as declared in a notebook's ``parameters`` cell."""

    name: str
    default: Any
    type_name: str
    comment: str
    line: int


def suggestion(word: object, choices: list[str] | tuple[str, ...] | Mapping[str, Any]) -> str:
    """`` (did you mean 'x' or 'y'?)`` for the closest ``choices`` to ``word``, or ``""``."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=3, cutoff=0.5)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


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
    """The ``name: value`` mapping of a YAML parameter file (empty file -> {})."""
    path = Path(path)
    if path.is_dir():
        raise ParameterError(f"{path}: is a directory, not a parameter file (give a YAML file of name: value lines)")
    if not path.is_file():
        raise ParameterError(f"{path}: parameter file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ParameterError(f"{path}: not a valid YAML file ({exc})") from exc
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
        raise ParameterError(f"{path}: expected a mapping of parameter names to values, e.g. `la: Camden`")
    return data


def parse_cli_value(text: str, parameter: Parameter) -> Any:
    """The value of ``-p NAME TEXT`` in the type of the parameter's default: lists as a
    YAML/JSON literal (``[a, b]``) or comma-separated (``a,b``), dicts as YAML/JSON, and
    any YAML value when the default is None."""
    default = parameter.default
    try:
        if isinstance(default, list):
            return _parse_list(text, _element_default(default))
        if isinstance(default, dict):
            return _parse_yaml(text, dict)
        if default is None:
            return _parse_yaml(text, object)
        return _parse_scalar(text, type(default))
    except ValueError as exc:
        raise ParameterError(f"-p {parameter.name} {text!r}: {exc}") from exc


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
            validated[name] = _validated_value(declared, name, overrides[name])
        except ParameterError as exc:
            problems.append(f"{notebook.stem}: {exc}")
    if problems:
        raise ParameterError("\n".join(problems))
    return validated


def panel_fys() -> list[str] | None:
    """The ``fy`` values of data/processed/panel.parquet, or None when it does not exist yet."""
    path = config.processed_dir() / PANEL_FILE
    if not path.is_file():
        return None
    try:
        fys = pd.read_parquet(path, columns=["fy"])["fy"]
    except (KeyError, ValueError, OSError) as exc:
        raise SourceFormatError(path, f"cannot read its 'fy' column ({exc})") from exc
    return sorted(fys.dropna().astype(str).unique())


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


def _parse_yaml(text: str, kind: type) -> Any:
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"not a valid YAML/JSON value ({exc})") from exc
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


def _validated_value(declared: Mapping[str, Parameter], name: str, value: Any) -> Any:
    if name == OUTPUT_DIR:
        raise ParameterError(f"{OUTPUT_DIR!r} is set by the runner (reports/<run-id>/<report>); do not pass it")
    if name not in declared:
        raise ParameterError(
            f"unknown parameter {name!r}{suggestion(name, list(declared))}; "
            f"its parameters are: {', '.join(declared)}"
        )
    parameter = declared[name]
    if name in COUNCIL_PARAMETERS:
        value = _each(value, lambda item: str(item) if isinstance(item, int) and not isinstance(item, bool) else item)
    try:
        value = _conformed(value, parameter.default)
    except TypeError:
        raise ParameterError(
            f"parameter {name!r} expects {parameter.type_name} (default {parameter.default!r}), "
            f"got {type(value).__name__} {value!r}"
        ) from None
    _check_finite(name, value)
    rule = _rule_for(name)
    if rule is None:
        return value
    try:
        return _each(value, rule)
    except (ParameterError, ValueError) as exc:
        raise ParameterError(f"parameter {name!r}: {exc}") from exc


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
        raise TypeError(f"{value!r} is not a {type(default).__name__}")
    return value


def _check_finite(name: str, value: Any) -> None:
    """A ParameterError naming ``name`` when ``value`` is or holds a NaN or an infinite number."""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, (list, dict)):
            _check_finite(name, item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ParameterError(f"parameter {name!r} must be a finite number, got {item!r}")


def _each(value: Any, rule: Callable[[Any], Any]) -> Any:
    """Apply ``rule`` to a value, or to every item of a list; None passes unchanged."""
    if value is None:
        return None
    if isinstance(value, list):
        return [rule(item) for item in value]
    return rule(value)


def _rule_for(name: str) -> Callable[[Any], Any] | None:
    if name in COUNCIL_PARAMETERS:
        return _resolve_council
    if name.endswith(FY_SUFFIX):
        return _check_fy
    if name in CHOICE_PARAMETERS:
        return lambda value: _check_choice(name, value)
    if name == AS_AT:
        return _check_as_at
    return None


def _resolve_council(value: Any) -> str:
    """A council code, ONS code or name -> its 3-digit la_code."""
    from sendlib.geography import resolve_la  # only when a council parameter is set

    return resolve_la(str(value))


def _check_fy(value: Any) -> str:
    """A "2021-22" label within the panel's years (when the panel exists)."""
    fy_start(value)
    available = panel_fys()
    if available is not None and value not in available:
        span = f"{available[0]} to {available[-1]}" if available else "none"
        raise ParameterError(f"{value!r} is not a year of the panel (data/processed/{PANEL_FILE}: {span})")
    return value


def _check_as_at(value: Any) -> str:
    """A programme-membership date within the dates the programmes table records."""
    from sendlib.programmes import check_as_at  # only when as_at is set

    check_as_at(value)
    return value


def _check_choice(name: str, value: Any) -> str:
    """``value`` must be one of the choices CHOICE_PARAMETERS names for ``name``."""
    module, attribute = CHOICE_PARAMETERS[name]
    choices = getattr(importlib.import_module(module), attribute)  # imported only when such a parameter is set
    if isinstance(value, str) and value in choices:
        return value
    raise ParameterError(
        f"{value!r} is not a known {name}{suggestion(value, list(choices))}; choose from {', '.join(choices)}"
    )
