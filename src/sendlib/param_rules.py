"""The allowed values of every notebook parameter, declared in one place.

sendlib.params applies these rules before any kernel starts (``sendlib run``, ``report``,
``reproduce``) and ``sendlib params NOTEBOOK`` prints them. :data:`RULES` holds the rule of a
parameter name in every notebook; :data:`NOTEBOOK_RULES` overrides it for one notebook (keyed
by its stem). A name ending ``_fy`` with no rule is a year of the panel. A new notebook adds
the rules of its new parameters here; tests/test_params.py checks that every number a notebook
takes has a declared range.

Conventions:

- **Shares and growth rates are fractions**: 0.05 is 5%. They may also be written as a
  percentage, ``5%`` (on the command line and in a YAML file, where ``5%`` is text); a value
  whose size is implausible for a fraction (25 for a growth rate) is refused with "did you mean
  0.25 (25%)?".
- **Work sizes have upper bounds** that keep a run within minutes; the message says what the
  bound costs. Measured on the real data (BENCHMARKS.md machine, loaded): notebook 02 takes
  11 s with 5,000 draws and 71 s with 100,000; 07 takes 30 s and 54 s; 03 10 s and 14 s.
- Texts are at most :data:`MAX_TEXT` characters (a council name, a year, a choice), folders
  at most :data:`MAX_PATH`.

Checks that need the data (a year with values, a council with neighbours) come after these,
in sendlib.prechecks.
"""

from __future__ import annotations

import datetime
import importlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sendlib import config
from sendlib.errors import ParameterError, SourceFormatError, shown, suggestion
from sendlib.years import fy_start

PANEL_FILE = "panel.parquet"
MAX_TEXT = 100
MAX_PATH = 4096
MAX_DRAWS = 100_000
MAX_SEED = 2**32 - 1
COUNCILS_IN_ENGLAND = 153
_PERCENT = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*%\s*$")


def percentage_text(value: Any) -> float | None:
    """``"5%"`` -> 5.0 (the number before the sign); None for anything else."""
    match = _PERCENT.match(value) if isinstance(value, str) else None
    return float(match.group(1)) if match else None


def panel_fys() -> list[str] | None:
    """The ``fy`` values of data/processed/panel.parquet, or None when it does not exist yet."""
    import pandas as pd  # only when a year is checked

    path = config.processed_dir() / PANEL_FILE
    if not path.is_file():
        return None
    try:
        fys = pd.read_parquet(path, columns=["fy"])["fy"]
    except (KeyError, ValueError, OSError) as exc:
        raise SourceFormatError(path, f"cannot read its 'fy' column ({type(exc).__name__}); "
                                      "run `sendlib data` to rebuild it") from exc
    return sorted(fys.dropna().astype(str).unique())


def _pct(fraction: float) -> str:
    """0.05 -> "5%", -1 -> "-100%" (as few digits as the value needs)."""
    return f"{fraction * 100:.10g}%"


def _number(value: float) -> str:
    """1000000 -> "1,000,000"; 0.05 -> "0.05"; -1e308 -> "-1e+308"."""
    if isinstance(value, int) or (abs(value) < 1e15 and float(value).is_integer()):
        return f"{int(value):,}"
    return f"{value:.10g}"


class Rule:
    """What values a parameter takes. ``prepare`` runs before the type check (e.g. ``"5%"``
    becomes 0.05), ``check`` after it: it returns the value to use (normalised) or raises
    ParameterError (ValueError also) saying what is expected. ``describe`` is the text
    ``sendlib params`` shows."""

    max_text = MAX_TEXT

    def prepare(self, value: Any) -> Any:
        return value

    def check(self, value: Any) -> Any:
        return value

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Whole(Rule):
    """A whole number from ``low`` to ``high``; ``why`` explains the bounds (a work size says
    what its upper bound costs)."""

    low: int
    high: int
    why: str = ""

    def check(self, value: Any) -> Any:
        if not self.low <= value <= self.high:
            reason = f" ({self.why})" if self.why else ""
            raise ParameterError(f"expected a whole number from {self.low:,} to {self.high:,}{reason}, "
                                 f"got {_number(value)}")
        return value

    def describe(self) -> str:
        return f"a whole number from {self.low:,} to {self.high:,}" + (f" ({self.why})" if self.why else "")


@dataclass(frozen=True)
class Fraction(Rule):
    """A share or a growth rate as a fraction (0.05 = 5%), also written ``5%``; ``what`` says
    which. Bounds are inclusive unless ``low_open``/``high_open``."""

    what: str
    low: float
    high: float
    low_open: bool = False
    high_open: bool = False

    def prepare(self, value: Any) -> Any:
        percent = percentage_text(value)
        return value if percent is None else percent / 100

    def check(self, value: Any) -> Any:
        if self._inside(value):
            return value
        meant = f": did you mean {_number(value / 100)} ({_number(value)}%)?" if self._inside(value / 100) else ""
        raise ParameterError(f"expected {self.describe()}, got {_number(value)}{meant}")

    def _inside(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def describe(self) -> str:
        low = f"above {_pct(self.low)}" if self.low_open else f"from {_pct(self.low)}"
        high = f"below {_pct(self.high)}" if self.high_open else f"up to {_pct(self.high)}"
        return f"{self.what} as a fraction or a percentage, {low} and {high} (0.05 or 5% both mean 5%)"


@dataclass(frozen=True)
class Percent(Rule):
    """A number of percent (10.0 = 10%), also written ``10%``, from ``low`` to ``high``."""

    what: str
    low: float
    high: float

    def prepare(self, value: Any) -> Any:
        percent = percentage_text(value)
        return value if percent is None else percent

    def check(self, value: Any) -> Any:
        if not self.low <= value <= self.high:
            raise ParameterError(f"expected {self.describe()}, got {_number(value)}")
        return value

    def describe(self) -> str:
        return (f"{self.what} in percent, from {_number(self.low)} to {_number(self.high)} "
                f"(10 or 10% both mean 10%)")


@dataclass(frozen=True)
class Council(Rule):
    """A council: 3-digit DfE code, ONS code or name (a number such as 202 is a code),
    resolved to its 3-digit code with sendlib.geography.resolve_la."""

    def prepare(self, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def check(self, value: Any) -> Any:
        from sendlib.geography import resolve_la  # reads the LA lists; only when a council is given

        return resolve_la(str(value))

    def describe(self) -> str:
        return "a council: 3-digit DfE code, ONS code or name"


@dataclass(frozen=True)
class PanelYear(Rule):
    """A financial year "2021-22" among the panel's years (when the panel exists)."""

    def check(self, value: Any) -> Any:
        fy_start(value)
        available = panel_fys()
        if available is not None and value not in available:
            span = f"{available[0]} to {available[-1]}" if available else "none"
            raise ParameterError(f"{shown(value)} is not a year of the panel (data/processed/{PANEL_FILE}: {span})")
        return value

    def describe(self) -> str:
        return 'a financial year such as "2021-22", one of the panel\'s years'


@dataclass(frozen=True)
class YearLabel(Rule):
    """A financial year "2021-22" (its range is checked against the data later)."""

    checked_against: str

    def check(self, value: Any) -> Any:
        fy_start(value)
        return value

    def describe(self) -> str:
        return f'a financial year such as "2021-22", within {self.checked_against}'


@dataclass(frozen=True)
class Choice(Rule):
    """One of the choices ``attribute`` of ``module`` declares (imported only when checked)."""

    name: str
    module: str
    attribute: str

    def choices(self) -> Sequence[str]:
        return getattr(importlib.import_module(self.module), self.attribute)

    def check(self, value: Any) -> Any:
        choices = self.choices()
        if isinstance(value, str) and value in choices:
            return value
        raise ParameterError(f"{shown(value)} is not a known {self.name}{suggestion(value, list(choices))}; "
                             f"choose from {', '.join(choices)}")

    def describe(self) -> str:
        return "one of " + ", ".join(self.choices())


@dataclass(frozen=True)
class ProgrammeDate(Rule):
    """A YYYY-MM-DD date within the dates of data/reference/programmes.csv."""

    def prepare(self, value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime.date) else value  # YAML reads 2022-06-23 as a date

    def check(self, value: Any) -> Any:
        from sendlib.programmes import check_as_at  # reads the programmes table; only when as_at is given

        check_as_at(value)
        return value

    def describe(self) -> str:
        return "a date YYYY-MM-DD within the dates data/reference/programmes.csv records"


@dataclass(frozen=True)
class Folder(Rule):
    """A folder (empty text: ``default``); whether it is usable is checked later, against the disk."""

    default: str
    max_text = MAX_PATH

    def describe(self) -> str:
        return f"a folder (empty: {self.default})"


@dataclass(frozen=True)
class ListOf(Rule):
    """A list of ``min_items`` to ``max_items`` values, each following ``item``; with ``unique``
    no value may be listed twice."""

    item: Rule
    min_items: int = 1
    max_items: int = COUNCILS_IN_ENGLAND
    unique: bool = True

    def prepare(self, value: Any) -> Any:
        return [self.item.prepare(entry) for entry in value] if isinstance(value, list) else value

    def check(self, value: Any) -> Any:
        if not self.min_items <= len(value) <= self.max_items:
            raise ParameterError(f"expected a list of {self.min_items} to {self.max_items} values, "
                                 f"got {len(value):,}: {shown(value)}")
        checked = [self.item.check(entry) for entry in value]
        twice = sorted({str(entry) for entry in checked if checked.count(entry) > 1})
        if self.unique and twice:
            raise ParameterError(f"{', '.join(twice)} listed twice")
        return checked

    def describe(self) -> str:
        return f"a list of {self.min_items} to {self.max_items} values, each {self.item.describe()}"


# --- the rules ------------------------------------------------------------------------------------

_DRAWS = Whole(1, MAX_DRAWS, f"more draws take longer: {MAX_DRAWS:,} take about a minute in notebook 02")
_YEARLY_GROWTH = Fraction("a yearly growth rate", -1, 1, low_open=True)
_CHOICES = {
    "measure": ("sendlib.analysis.measures", "MEASURES"),
    "basis": ("sendlib.analysis.measures", "BASES"),
    "denominator": ("sendlib.analysis.measures", "DENOMINATORS"),
    "spend_rule": ("sendlib.analysis.projections", "SPEND_RULES"),
    "gap_basis": ("sendlib.analysis.projections", "GAP_BASES"),
    "both_rule": ("sendlib.analysis.programme_groups", "BOTH_RULES"),
    "comparators": ("sendlib.analysis.profile", "COMPARATOR_METHODS"),
    "frame_rule": ("sendlib.analysis.selection", "FRAME_RULES"),
    "sn_model": ("sendlib.analysis.profile", "SN_MODELS"),
}

#: Parameter name -> its rule, in every notebook.
RULES: dict[str, Rule] = {
    "la": Council(),
    "case_study": ListOf(Council(), unique=False),
    "as_at": ProgrammeDate(),
    **{name: Choice(name, module, attribute) for name, (module, attribute) in _CHOICES.items()},
    "n_draws": _DRAWS,
    "seed": Whole(0, MAX_SEED, "the seed of numpy's random generator"),
    "group_size": Whole(1, COUNCILS_IN_ENGLAND, "councils in the group; at most the councils in England"),
    "n_nearest": Whole(1, COUNCILS_IN_ENGLAND - 1, "the other councils at most"),
    "horizon": Whole(1, 30, "years projected; beyond 30 years a projection of this kind says nothing"),
    "trend_years": Whole(1, 10, "years the spending trend is measured over; the outturn data cover fewer"),
    "level": Fraction("a confidence level", 0, 1, low_open=True, high_open=True),
    "claimed_growth": Fraction("a growth over the whole period", -1, 2, low_open=True),
    "funding_growth_first": _YEARLY_GROWTH,
    "funding_growth_after": _YEARLY_GROWTH,
    "threshold_pct": Percent("a share of total DSG", 0, 1000),
    "sensitivity_base_fy": ListOf(PanelYear(), max_items=20),
    "sensitivity_end_fy": ListOf(PanelYear(), max_items=20),
}

_RAW_YEARS = YearLabel("the years of the raw files")
#: Notebook stem -> parameter name -> its rule there (instead of RULES).
NOTEBOOK_RULES: dict[str, dict[str, Rule]] = {
    "01_clean_data": {
        "raw_dir": Folder("data/raw"), "processed_dir": Folder("data/processed"),
        "first_fy": _RAW_YEARS, "last_fy": _RAW_YEARS, "deflator_base_fy": _RAW_YEARS,
    },
    "08_after_2022": {
        "programmes": ListOf(Choice("programme", "sendlib.analysis.evaluation", "PROGRAMMES"), max_items=3),
        "outcomes": ListOf(Choice("outcome", "sendlib.analysis.evaluation", "EVALUATED_OUTCOMES"), max_items=20),
        "estimator": Choice("estimator", "sendlib.analysis.evaluation", "ESTIMATORS"),
        "comparison": Choice("comparison", "sendlib.analysis.evaluation", "COMPARISONS"),
        "n_boot": Whole(99, 9_999, "bootstrap draws: fewer than 99 cannot place a 95% interval's ends; "
                                   "each estimate's bootstrap takes longer with more"),
        "n_matches": Whole(1, 20, "comparison councils matched to each programme council"),
        "wild_below": Whole(0, COUNCILS_IN_ENGLAND, "treated councils below which intervals use the wild "
                                                    "cluster bootstrap; 0 never uses it"),
    },
}

FY_SUFFIX = "_fy"


def rule_for(notebook_stem: str, name: str) -> Rule | None:
    """The rule of parameter ``name`` in the notebook ``notebook_stem``, or None."""
    declared: Mapping[str, Rule] = NOTEBOOK_RULES.get(notebook_stem, {})
    if name in declared:
        return declared[name]
    if name in RULES:
        return RULES[name]
    return PanelYear() if name.endswith(FY_SUFFIX) else None


def is_fraction(name: str, notebook_stem: str = "") -> bool:
    """True when parameter ``name`` is a share or a growth rate given as a fraction (0.05 = 5%),
    so that people are shown it as a percentage."""
    return isinstance(rule_for(notebook_stem, name), Fraction)
