"""QA checks for the processed tables, and schema validation (the schemas are in sendlib.schemas).

Every check returns a :class:`CheckResult` with status PASS, FAIL or ADVISORY and a
message a person can act on. FAIL stops the clean step; ADVISORY is reported (e.g. a
council missing from one year of a source) and carried into the tables' notes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass

from typing import TYPE_CHECKING

import pandas as pd

from sendlib.errors import ValidationError

if TYPE_CHECKING:  # pandera takes a quarter of a second to import: only sendlib.schemas loads it
    import pandera.pandas as pa

PASS, FAIL, ADVISORY = "PASS", "FAIL", "ADVISORY"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one QA check on one table."""

    table: str
    check: str
    status: str
    message: str


def results_frame(results: Iterable[CheckResult]) -> pd.DataFrame:
    """The QA results as a table (FAIL first, then ADVISORY, then PASS)."""
    frame = pd.DataFrame([asdict(r) for r in results], columns=["table", "check", "status", "message"])
    order = {FAIL: 0, ADVISORY: 1, PASS: 2}
    return frame.sort_values(["status", "table", "check"], key=lambda s: s.map(order) if s.name == "status" else s,
                             kind="stable").reset_index(drop=True)


def raise_on_fail(results: Iterable[CheckResult]) -> None:
    """Raise ValidationError listing every FAIL."""
    failures = [r for r in results if r.status == FAIL]
    if failures:
        lines = "\n".join(f"- {r.table}: {r.check}: {r.message}" for r in failures)
        raise ValidationError(f"{len(failures)} QA check(s) failed:\n{lines}")


def _examples(values: Iterable, limit: int = 8) -> str:
    values = sorted({str(v) for v in values})
    more = f" (+{len(values) - limit} more)" if len(values) > limit else ""
    return ", ".join(values[:limit]) + more


# --- schemas -------------------------------------------------------------------------------

def validate_schema(frame: pd.DataFrame, schema: pa.DataFrameSchema, table: str) -> pd.DataFrame:
    """Validate lazily (every failure listed); raise ValidationError naming the table."""
    import pandera.pandas as pa

    try:
        return schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases[["column", "check", "failure_case"]].astype(str).drop_duplicates().head(20)
        listing = "\n".join(f"- column {c}: {k}: {v}" for c, k, v in cases.itertuples(index=False))
        raise ValidationError(f"table {table!r} does not match its schema:\n{listing}") from exc


# --- QA checks -----------------------------------------------------------------------------

def check_unique_keys(frame: pd.DataFrame, keys: list[str], table: str) -> CheckResult:
    """FAIL when any key combination appears more than once."""
    dup = frame.duplicated(keys, keep=False)
    if dup.any():
        rows = frame.loc[dup, keys].drop_duplicates().astype(str).agg("/".join, axis=1)
        return CheckResult(table, f"unique keys {keys}", FAIL, f"{dup.sum()} duplicated rows: {_examples(rows)}")
    return CheckResult(table, f"unique keys {keys}", PASS, f"{len(frame)} rows, keys unique")


def check_coverage(
    frame: pd.DataFrame,
    key: str,
    period: str,
    expected: Mapping[object, set[str]],
    table: str,
    value: str | None = None,
) -> list[CheckResult]:
    """ADVISORY per period listing expected keys with no row (or no ``value``); FAIL for unexpected keys."""
    results = []
    for when, keys in sorted(expected.items()):
        rows = frame[frame[period] == when]
        if value is not None:
            rows = rows[rows[value].notna()]
        present = set(rows[key].astype(str))
        missing, extra = keys - present, present - keys
        name = f"coverage {period}={when}"
        if extra:
            results.append(CheckResult(table, name, FAIL, f"unexpected {key}: {_examples(extra)}"))
        elif missing:
            results.append(CheckResult(table, name, ADVISORY,
                                       f"{len(missing)} of {len(keys)} expected missing: {_examples(missing)}"))
        else:
            results.append(CheckResult(table, name, PASS, f"all {len(keys)} present"))
    return results


def _sum_comparison(la_rows: pd.DataFrame, national: pd.DataFrame, value: str, keys: list[str],
                    absent: pd.Series, rel_tolerance: float) -> pd.DataFrame:
    """Per national row (``keys``): the LA sum, the national value, the gap, the LA values
    missing (missing values plus ``absent`` councils per key) and the status."""
    grouped = la_rows.groupby(keys)[value]
    frame = national.set_index(keys)[[value]].rename(columns={value: "national"})
    frame["ours"] = grouped.sum(min_count=1)
    frame["missing"] = (grouped.size() - grouped.count()).reindex(frame.index).fillna(0).astype(int)
    frame["missing"] += absent.reindex(frame.index.get_level_values(0)).fillna(0).astype(int).to_numpy()
    both_zero = (frame["ours"] == 0) & (frame["national"] == 0)
    frame["gap"] = (frame["ours"] / frame["national"] - 1).where(~both_zero, 0.0)
    unknown = frame["ours"].isna() | frame["national"].isna()
    explained = frame["missing"] > 0
    frame["status"] = [ADVISORY if u else PASS if abs(g) <= rel_tolerance else ADVISORY if e else FAIL
                       for u, g, e in zip(unknown, frame["gap"], explained, strict=True)]
    return frame


def _sum_detail(row: pd.Series) -> str:
    if pd.isna(row["ours"]) or pd.isna(row["national"]):
        return "no LA rows or no national value to compare"
    return (f"LA sum {row['ours']:,.0f} vs national {row['national']:,.0f} ({row['gap']:+.2%}); "
            f"{row['missing']} LA values missing")


def check_sums_to_national(
    la_rows: pd.DataFrame,
    national: pd.DataFrame,
    value: str,
    period: str,
    table: str,
    rel_tolerance: float = 0.005,
    by: list[str] | tuple[str, ...] = (),
    expected: Mapping[object, set[str]] | None = None,
) -> list[CheckResult]:
    """Compare the sum of LA rows with the national row, one result per period.

    A gap beyond ``rel_tolerance`` is ADVISORY when LA values are missing (suppressed values,
    or councils of ``expected`` with no row) and FAIL when every LA value is present. With
    ``by`` (e.g. ["setting"]) each period's rows are compared key by key and summarised; gaps
    that cancel out exactly over the keys (same total, another split) are ADVISORY.
    """
    present = la_rows.groupby(period)["la_code"].agg(set) if expected else pd.Series(dtype=object)
    absent = pd.Series({when: len(keys - present.get(when, set())) for when, keys in (expected or {}).items()},
                       dtype="int64")
    comparison = _sum_comparison(la_rows, national, value, [period, *by], absent, rel_tolerance)
    order = {FAIL: 0, ADVISORY: 1, PASS: 2}
    results = []
    for when, rows in comparison.groupby(level=0, sort=True):
        name = f"LA sum = national ({value}, {period}={when})"
        if not by:
            row = rows.iloc[0]
            results.append(CheckResult(table, name, row["status"], _sum_detail(row)))
            continue
        worst = min(rows["status"], key=order.get)
        if worst == PASS:
            results.append(CheckResult(table, name, PASS, f"all {len(rows)} {'/'.join(by)} values within "
                                                          f"{rel_tolerance:.1%}"))
            continue
        off = rows[rows["status"] != PASS].sort_values("status", key=lambda s: s.map(order))
        details = [f"{'/'.join(map(str, key[1:]))}: {_sum_detail(row)}" for key, row in off.head(5).iterrows()]
        more = f" (+{len(off) - 5} more)" if len(off) > 5 else ""
        message = f"{len(off)} of {len(rows)} differ: " + "; ".join(details) + more
        ours, theirs = rows["ours"].sum(), rows["national"].sum()
        if worst == FAIL and abs(ours - theirs) < 0.5:
            worst, message = ADVISORY, (f"totals agree ({ours:,.0f} vs {theirs:,.0f}) but the split between "
                                        f"{'/'.join(by)} values differs (counts moved between them, e.g. an LA's "
                                        f"figures amended after the England row was made): {message}")
        results.append(CheckResult(table, name, worst, message))
    return results


def check_non_negative(frame: pd.DataFrame, columns: list[str], table: str) -> CheckResult:
    """FAIL when a count or population column has a negative value."""
    bad = {c: int((frame[c] < 0).sum()) for c in columns if (frame[c] < 0).any()}
    if bad:
        return CheckResult(table, "no negative counts", FAIL, f"negative values: {bad}")
    return CheckResult(table, "no negative counts", PASS, f"{len(columns)} columns non-negative")


def check_suppressed_are_missing(frame: pd.DataFrame, value: str, flag: str, table: str) -> CheckResult:
    """FAIL when a value flagged as suppressed is not missing (e.g. turned into 0)."""
    bad = frame[flag].astype(bool) & frame[value].notna()
    name = f"suppressed {value} stay missing"
    if bad.any():
        return CheckResult(table, name, FAIL, f"{int(bad.sum())} suppressed values are not missing")
    return CheckResult(table, name, PASS, f"{int(frame[flag].sum())} suppressed values, all missing")


def check_magnitude(frame: pd.DataFrame, value: str, low: float, high: float, table: str, what: str) -> CheckResult:
    """FAIL when the median of ``value`` is outside [low, high]: catches GBP-million vs GBP mix-ups."""
    median = frame[value].median()
    name = f"units normalised ({value})"
    if pd.isna(median) or not low <= median <= high:
        return CheckResult(table, name, FAIL, f"median {median:,.2f} outside [{low:,.0f}, {high:,.0f}] expected for {what}")
    return CheckResult(table, name, PASS, f"median {median:,.0f} is plausible for {what}")


def check_values_set_aside(frame: pd.DataFrame, note: str, period: str, table: str) -> CheckResult:
    """ADVISORY naming the rows whose values a reader set aside as source errors (``note``
    says which and why), so that a gap they leave is explained; PASS when there are none."""
    noted = frame[frame[note].notna()]
    name = "values set aside as source errors"
    if noted.empty:
        return CheckResult(table, name, PASS, "none")
    groups = noted.groupby([period, note])["la_code"].agg(lambda codes: _examples(codes, limit=20))
    listing = "; ".join(f"{period}={when}: {why} ({codes})" for (when, why), codes in groups.items())
    return CheckResult(table, name, ADVISORY, f"{len(noted)} row(s) missing instead: {listing}")


def check_rate_recomputes(frame: pd.DataFrame, numerator: str, denominator: str, rate: str, table: str,
                          scale: float = 100.0, decimals: int = 1) -> CheckResult:
    """FAIL when a published rate differs from ``scale`` x numerator / denominator by more than
    its rounding (half a unit of the ``decimals``-th place): catches shifted columns and
    misread cells. Rows missing any of the three are skipped."""
    rows = frame.dropna(subset=[numerator, denominator, rate])
    rows = rows[rows[denominator] > 0]
    recomputed = scale * rows[numerator] / rows[denominator]
    off = rows[(recomputed - rows[rate]).abs() > 0.5 * 10 ** -decimals + 1e-9]
    name = f"{rate} recomputes from {numerator} / {denominator}"
    if len(off):
        cases = [f"{r.la_code} {getattr(r, 'calendar_year', '')}: {getattr(r, rate)} vs "
                 f"{scale * getattr(r, numerator) / getattr(r, denominator):.{decimals + 2}f}" for r in off.itertuples()]
        return CheckResult(table, name, FAIL, f"{len(off)} of {len(rows)} rates differ beyond rounding: {_examples(cases)}")
    return CheckResult(table, name, PASS, f"all {len(rows)} rates agree to {10 ** -decimals:g}")


def check_codes_agree(frame: pd.DataFrame, source_code: str, table: str) -> CheckResult:
    """ADVISORY naming rows whose source's own code (``source_code``, may be missing) is not the
    ``la_code`` they were put on (found by name): the name was trusted, the code was not."""
    rows = frame.drop_duplicates(["la_code", source_code, "la_name"])
    differ = rows[rows[source_code].astype("string").fillna("none").to_numpy() != rows["la_code"].to_numpy()]
    name = f"{source_code} agrees with la_code found by name"
    if len(differ):
        file_codes = differ[source_code].astype("string").fillna("none")
        cases = differ["la_name"] + " (file " + file_codes + ", DfE " + differ["la_code"] + ")"
        return CheckResult(table, name, ADVISORY, f"{len(differ)} name(s) whose code in the file is another LA's or "
                                                  f"missing, put on the code of their name: {_examples(cases, limit=12)}")
    return CheckResult(table, name, PASS, f"{len(rows)} codes agree")


# --- statistical neighbours -----------------------------------------------------------------

def _council_labels(frame: pd.DataFrame) -> pd.Series:
    """"model <m>: <la_code> <la_name>" per row, for messages."""
    return "model " + frame["model"].astype(str) + ": " + frame["la_code"].astype(str) + " " + frame["la_name"].astype(str)


def check_neighbour_sets(frame: pd.DataFrame, table: str, neighbours: int = 10) -> CheckResult:
    """FAIL when a current council (``la_current``) has not exactly ``neighbours`` distinct
    neighbours ranked 1..``neighbours`` in a model."""
    current = frame[frame["la_current"]]
    groups = current.groupby(["model", "la_code"])
    ranks_ok = groups["rank"].agg(lambda r: sorted(r) == list(range(1, neighbours + 1)))
    distinct_ok = groups["neighbour_la_code"].nunique() == neighbours
    bad = ranks_ok.index[~(ranks_ok & distinct_ok)]
    name = f"{neighbours} distinct neighbours per current council"
    if len(bad):
        labels = [f"model {model}: {code}" for model, code in bad]
        return CheckResult(table, name, FAIL, f"{len(bad)} council(s) without {neighbours} distinct ranked neighbours: "
                                              f"{_examples(labels)}")
    return CheckResult(table, name, PASS, f"{len(ranks_ok)} council-model pairs, each with {neighbours}")


def check_known_codes(frame: pd.DataFrame, column: str, known: set[str], table: str) -> CheckResult:
    """FAIL when ``column`` holds a code that is not a known DfE LA code."""
    unknown = frame[~frame[column].astype(str).isin(known)]
    name = f"{column} is a known DfE code"
    if len(unknown):
        cases = _council_labels(unknown) + " -> " + unknown[column].astype(str)
        return CheckResult(table, name, FAIL, f"{len(unknown)} unknown code(s): {_examples(cases)}")
    return CheckResult(table, name, PASS, f"all {frame[column].nunique()} codes known")


def check_not_own_neighbour(frame: pd.DataFrame, table: str) -> CheckResult:
    """FAIL when a council is listed as its own neighbour."""
    own = frame[frame["la_code"] == frame["neighbour_la_code"]]
    if len(own):
        return CheckResult(table, "no council its own neighbour", FAIL,
                           f"{len(own)} row(s): {_examples(_council_labels(own) + ' rank ' + own['rank'].astype(str))}")
    return CheckResult(table, "no council its own neighbour", PASS, f"{len(frame)} rows")


def check_former_councils(frame: pd.DataFrame, table: str) -> CheckResult:
    """ADVISORY naming the councils (``la_current`` False) whose rows are kept although they no
    longer exist, e.g. pre-reorganisation Dorset, Northamptonshire, Cumbria."""
    former = frame[~frame["la_current"]].drop_duplicates(["model", "la_code"])
    name = "rows for councils that no longer exist"
    if len(former):
        return CheckResult(table, name, ADVISORY, f"{len(former)} kept (flagged la_current=False): "
                                                  f"{_examples(_council_labels(former), limit=12)}")
    return CheckResult(table, name, PASS, "every council listed still exists")


def check_names_match(frame: pd.DataFrame, accepted: Mapping[str, set[str]], normalise: Callable[[object], str],
                      table: str) -> CheckResult:
    """FAIL when a row's ``la_name`` (normalised) is not a name ``accepted`` for its ``la_code``:
    catches a code and a name that disagree (e.g. shifted columns)."""
    councils = frame.drop_duplicates(["model", "la_code"])
    ok = [normalise(name) in accepted.get(code, set()) for code, name in zip(councils["la_code"], councils["la_name"])]
    bad = councils[[not good for good in ok]]
    name = "la_name agrees with the lookup"
    if len(bad):
        return CheckResult(table, name, FAIL, f"{len(bad)} council(s) whose name is not the lookup's: "
                                              f"{_examples(_council_labels(bad))}")
    return CheckResult(table, name, PASS, f"{len(councils)} council-model names agree")
