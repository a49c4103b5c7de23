"""Build the processed tables from the raw files: read (readers), put on DfE codes and
harmonised units (geography), check (QA), and write atomically as Parquet.

Nothing is read until every raw file has its registered sha256, and nothing is written
unless every table passes its schema and no QA check FAILs; each table is then written to a
temporary file and renamed, so a failed run never leaves half-written tables. The build
record (``_build.json``: what the tables were built from and each table's sha256) is removed
before the first rename and written after the last, so "up to date" is never claimed for a
mix of old and new tables, a damaged table or an edited raw file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd

from sendlib import config, geography, programmes, years
from sendlib import validate as qa
from sendlib.acquire import verify_raw_files
from sendlib.atomic import atomic_path, sha256_of, write_json_atomic
from sendlib.errors import SendlibError
from sendlib.readers import (
    deflator,
    deprivation,
    dsg_allocations,
    dsg_balance,
    ehcp,
    hn_benchmarking,
    population,
    s251,
    sen2,
    sen_support,
    stat_neighbours,
    tribunal,
)


@dataclass(frozen=True)
class CleanSettings:
    """The clean step's parameters."""

    raw_dir: Path
    first_fy: str = "2017-18"
    last_fy: str = "2024-25"
    deflator_base_fy: str = "2023-24"

    def __post_init__(self) -> None:
        if years.fy_start(self.first_fy) > years.fy_start(self.last_fy):
            raise ValueError(f"first_fy {self.first_fy} is after last_fy {self.last_fy}")

    @property
    def fys(self) -> list[str]:
        return years.fy_range(self.first_fy, self.last_fy)


def expected_las(lookup: pd.DataFrame, dates: dict[object, str]) -> dict[object, set[str]]:
    """Per period, the LA codes in operation on that period's reference date."""
    return {period: set(geography.operating_on(lookup, day)["la_code"]) for period, day in dates.items()}


def fy_dates(fys: list[str]) -> dict[str, str]:
    """1 April of each FY: the day an LA must exist to report for that year."""
    return {fy: f"{years.fy_start(fy)}-04-01" for fy in fys}


def _in_fy_range(frame: pd.DataFrame, settings: CleanSettings) -> pd.DataFrame:
    return frame[frame["fy"].isin(settings.fys)].reset_index(drop=True)


def _la_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["geographic_level"] == "Local authority"].drop(columns="geographic_level")


def _national_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["geographic_level"] == "National"]


# --- one builder per table -----------------------------------------------------------------


def build_hn_spend(settings: CleanSettings, lookup: pd.DataFrame) -> pd.DataFrame:
    """S251 high-needs outturn (lines 1.2.x) and the other S251 buckets, per LA and FY."""
    raw = s251.read_s251_outturn(s251.s251_paths(settings.raw_dir))
    table = geography.attach_la_code(raw, lookup, by="ons_code", source=settings.raw_dir / s251.DATASET)
    return _in_fy_range(table, settings).sort_values(["fy", "la_code"]).reset_index(drop=True)


def build_hn_benchmarking(settings: CleanSettings, lookup: pd.DataFrame) -> pd.DataFrame:
    """FY2021-22 High Needs Benchmarking Tool breakdown (budget and outturn lines, with place funding)."""
    table = hn_benchmarking.read_hn_benchmarking(settings.raw_dir / hn_benchmarking.DATASET / hn_benchmarking.FILE)
    geography.check_la_codes(table, lookup, settings.raw_dir / hn_benchmarking.DATASET)
    return table


def build_hnb_allocation(settings: CleanSettings, lookup: pd.DataFrame) -> pd.DataFrame:
    """High-needs block before/after deductions and total DSG, per LA and FY."""
    table = dsg_allocations.read_dsg_allocations(settings.raw_dir)
    geography.check_la_codes(table, lookup, settings.raw_dir / dsg_allocations.DATASET)
    return table


def build_dsg_balance(settings: CleanSettings, lookup: pd.DataFrame, allocation: pd.DataFrame) -> pd.DataFrame:
    """Cumulative DSG balance as % of total DSG and in GBP (positive = deficit)."""
    path = settings.raw_dir / dsg_balance.DATASET / dsg_balance.FILE
    table = geography.attach_la_code(dsg_balance.read_dsg_balance(path), lookup, by="la_name", source=path)
    table = table.merge(allocation[["la_code", "fy", "dsg_total_gbp"]], on=["la_code", "fy"], how="left")
    table["dsg_balance_gbp"] = table["dsg_balance_pct"] * table["dsg_total_gbp"] / 100
    return table.sort_values(["fy", "la_code"]).reset_index(drop=True)


def build_ehcp(settings: CleanSettings, lookup: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """EHC plans in force each January per LA (and the national series)."""
    raw = ehcp.read_ehcp(settings.raw_dir)
    las = _la_rows(raw)
    geography.check_la_codes(las, lookup, settings.raw_dir / ehcp.DATASET)
    national = _national_rows(raw)[["january", "ehcp_count", "source"]].reset_index(drop=True)
    return las.reset_index(drop=True), national


@dataclass(frozen=True)
class Sen2Table:
    """How one SEN2 table is read and checked: its reader (all levels), its period column,
    the keys beside ``la_code`` and the period, and its count columns."""

    reader: Callable[[Path], pd.DataFrame]
    period: str
    counts: list[str]
    keys: list[str] = field(default_factory=list)
    #: the count that says an LA reported (coverage), when not the first
    coverage_count: str | None = None


def _counts_of(name: str) -> list[str]:
    """Our count columns of one of readers.sen2.COUNT_TABLES."""
    return list(sen2.COUNT_TABLES[name][2].values())


#: The SEN2 2025 release's tables (the tribunal file, laid out differently, is built apart).
SEN2_TABLES: dict[str, Sen2Table] = {
    "ehcp_by_setting": Sen2Table(sen2.read_ehcp_by_setting, "january", ["ehcp_count"], ["setting"]),
    "new_plans_by_setting": Sen2Table(sen2.read_new_plans_by_setting, "calendar_year", ["new_plans_count"],
                                      ["setting"]),
    **{name: Sen2Table(partial(sen2.read_counts, name), "calendar_year", _counts_of(name))
       for name in ("new_plans", "requests")},
    "timeliness": Sen2Table(partial(sen2.read_counts, "timeliness"), "calendar_year", _counts_of("timeliness"),
                            coverage_count="issued_ex_count"),
    "primary_need": Sen2Table(sen2.read_primary_need, "january", ["ehcp_count"], ["need"]),
}
#: The tribunal file: read by readers.tribunal, put on DfE codes by name in build_tribunal_appeals.
TRIBUNAL = Sen2Table(tribunal.read_tribunal_appeals, "calendar_year", tribunal.COUNTS,
                     coverage_count="appealable_decisions_count")


def build_sen2_table(settings: CleanSettings, lookup: pd.DataFrame, spec: Sen2Table) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One SEN2 table per LA (codes checked against the lookup) and its England rows."""
    raw = spec.reader(settings.raw_dir)
    las = _la_rows(raw).reset_index(drop=True)
    geography.check_la_codes(las, lookup, sen2.release_path(settings.raw_dir))
    national = _national_rows(raw).drop(columns=["geographic_level", "la_code", "ons_code", "la_name", "source_note"])
    return las, national.reset_index(drop=True)


def la_codes_by_name_in_year(frame: pd.DataFrame, lookup: pd.DataFrame, source: str | Path) -> pd.Series:
    """The DfE code of each row's ``la_name``; a name several LAs have had (Dorset: the county to
    March 2019, the unitary after) goes to the one in operation at the end of ``calendar_year``."""
    codes = geography.attach_la_code(frame[["la_name"]], lookup, by="la_name", source=source)["la_code"]
    keys = lookup["la_name"].map(geography.normalise_name)
    shared = lookup[keys.duplicated(keep=False)].assign(key=keys)
    for index in frame.index[frame["la_name"].map(geography.normalise_name).isin(set(shared["key"]))]:
        row = frame.loc[index]
        same_name = shared[shared["key"] == geography.normalise_name(row["la_name"])]
        codes[index] = geography.operating_on(same_name, f"{row['calendar_year']}-12-31")["la_code"].iloc[0]
    return codes


def build_tribunal_appeals(settings: CleanSettings, lookup: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SEND Tribunal appeals and appealable decisions per LA and calendar year, and England's.

    Rows are put on DfE codes by name: the file's own codes disagree with its names in places
    (kept as ``file_la_code``; QA lists them)."""
    raw = TRIBUNAL.reader(settings.raw_dir)
    source = f"{sen2.release_path(settings.raw_dir)}:{tribunal.MEMBER}"
    las = raw[raw["geographic_level"] == "Local authority"].drop(columns="geographic_level").reset_index(drop=True)
    las.insert(0, "la_code", la_codes_by_name_in_year(las, lookup, source).to_numpy())
    national = raw[raw["geographic_level"] == "National"].drop(columns=["geographic_level", "file_la_code", "la_name"])
    return las.sort_values(["calendar_year", "la_code"]).reset_index(drop=True), national.reset_index(drop=True)


def build_population(settings: CleanSettings, lookup: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ONS populations 0-25, 2-18, 0-17 per LA by mid-year, with DfE's revised 0-17 series beside them."""
    ons = population.read_ons_population(settings.raw_dir)
    is_england = ons["ons_code"] == population.ENGLAND
    folder = settings.raw_dir / population.DATASET
    las = geography.attach_la_code(ons[~is_england], lookup, by="ons_code", source=folder)
    dfe = _la_rows(population.read_dfe_population_0_17(folder / population.DFE_POPULATION_CSV))
    geography.check_la_codes(dfe, lookup, folder / population.DFE_POPULATION_CSV)
    dfe = dfe.rename(columns={"pop_0_17_count": "pop_0_17_dfe_count",
                              "pop_0_17_count_suppressed": "pop_0_17_dfe_count_suppressed"})
    merged = las.merge(dfe[["la_code", "mid_year", "pop_0_17_dfe_count", "pop_0_17_dfe_count_suppressed"]],
                       on=["la_code", "mid_year"], how="outer")
    merged["la_name"] = merged["la_code"].map(lookup.set_index("la_code")["la_name"])
    merged["pop_0_17_dfe_count_suppressed"] = merged["pop_0_17_dfe_count_suppressed"].fillna(False).astype(bool)
    england = ons[is_england].drop(columns=["ons_code"]).reset_index(drop=True)
    return merged.sort_values(["mid_year", "la_code"]).reset_index(drop=True), england


def build_deflator(settings: CleanSettings) -> pd.DataFrame:
    """Financial-year GDP deflator, rebased to 100 in the base FY."""
    table = deflator.read_gdp_deflator(settings.raw_dir / deflator.GDP_DEFLATOR_CSV)
    return deflator.rebase_deflator(table, settings.deflator_base_fy)


def build_sen_support(settings: CleanSettings, lookup: pd.DataFrame) -> pd.DataFrame:
    """% of pupils with SEN support and with an EHC plan, per LA and January."""
    las = _la_rows(sen_support.read_sen_support(settings.raw_dir / sen_support.LAIT_PARQUET))
    geography.check_la_codes(las, lookup, settings.raw_dir / sen_support.LAIT_PARQUET)
    return las.reset_index(drop=True)


def build_deprivation(settings: CleanSettings, lookup: pd.DataFrame) -> pd.DataFrame:
    """IMD and IDACI upper-tier summaries (IoD2015 and IoD2019) per LA."""
    raw = deprivation.read_deprivation(settings.raw_dir)
    table = geography.attach_la_code(raw, lookup, by="ons_code", source=settings.raw_dir / deprivation.DATASET)
    return table.sort_values(["iod_year", "la_code"]).reset_index(drop=True)


def build_programmes(lookup: pd.DataFrame) -> pd.DataFrame:
    """Programme membership as transcribed in data/reference/programmes.csv, names checked."""
    return programmes.read_programmes(config.PROGRAMMES_CSV, lookup)


def build_stat_neighbours(settings: CleanSettings, lookup: pd.DataFrame) -> pd.DataFrame:
    """DfE statistical neighbours (2025 and 2021 models), one row per (model, council, rank), with
    ``la_current`` / ``neighbour_current``: the council / neighbour still exists (no end date in
    the lookup). Rows of former councils are kept, flagged (QA reports them)."""
    table = stat_neighbours.read_stat_neighbours(settings.raw_dir)
    live = set(lookup.loc[lookup["end_date"].isna(), "la_code"])
    table["la_current"] = table["la_code"].isin(live)
    table["neighbour_current"] = table["neighbour_la_code"].isin(live)
    return table


def stat_neighbour_checks(table: pd.DataFrame, lookup: pd.DataFrame) -> list[qa.CheckResult]:
    """Ten distinct neighbours per current council, known codes, names agreeing with the lookup, no
    council its own neighbour; former councils named and current councils missing from a model
    (ADVISORY)."""
    known = set(lookup["la_code"])
    live = set(lookup.loc[lookup["end_date"].isna(), "la_code"])
    names: dict[str, set[str]] = {code: {geography.normalise_name(la_name)}
                                  for code, la_name in zip(lookup["la_code"], lookup["la_name"], strict=True)}
    for alias, code in geography.NAME_ALIASES.items():
        names.setdefault(code, set()).add(geography.normalise_name(alias))
    name = "stat_neighbours"
    results = [qa.check_unique_keys(table, ["model", "la_code", "rank"], name),
               qa.check_neighbour_sets(table, name),
               qa.check_known_codes(table, "la_code", known, name),
               qa.check_known_codes(table, "neighbour_la_code", known, name),
               qa.check_not_own_neighbour(table, name),
               qa.check_names_match(table, names, geography.normalise_name, name),
               qa.check_former_councils(table, name)]
    current = table[table["la_current"]]
    results += qa.check_coverage(current, "la_code", "model", {m: live for m in sorted(set(table["model"]))}, name)
    return results


# --- QA ------------------------------------------------------------------------------------


def quality_checks(tables: dict[str, pd.DataFrame], lookup: pd.DataFrame, settings: CleanSettings) -> list[qa.CheckResult]:
    """Every QA check on every table."""
    fys = fy_dates(settings.fys)
    results: list[qa.CheckResult] = []

    spend = tables["hn_spend"]
    spend_fys = {fy: day for fy, day in fys.items() if fy in set(spend["fy"])}
    results += [qa.check_unique_keys(spend, ["la_code", "fy"], "hn_spend"),
                qa.check_magnitude(spend, "hn_spend_gbp", 1e6, 1e9, "hn_spend", "an LA's annual high-needs spend")]
    results += qa.check_coverage(spend, "la_code", "fy", expected_las(lookup, spend_fys), "hn_spend", "hn_spend_gbp")

    alloc = tables["hnb_allocation"]
    alloc_fys = {fy: fys.get(fy, f"{years.fy_start(fy)}-04-01") for fy in sorted(set(alloc["fy"]))}
    results += [qa.check_unique_keys(alloc, ["la_code", "fy"], "hnb_allocation"),
                qa.check_magnitude(alloc, "hnb_after_deductions_gbp", 1e6, 1e9, "hnb_allocation", "an LA's HNB"),
                qa.check_magnitude(alloc, "dsg_total_gbp", 1e7, 1e10, "hnb_allocation", "an LA's total DSG")]
    results += qa.check_coverage(alloc, "la_code", "fy", expected_las(lookup, alloc_fys), "hnb_allocation",
                                 "dsg_total_gbp")

    balance = tables["dsg_balance"]
    results += [qa.check_unique_keys(balance, ["la_code", "fy"], "dsg_balance"),
                qa.check_suppressed_are_missing(balance, "dsg_balance_pct", "dsg_balance_pct_suppressed", "dsg_balance")]

    plans = tables["ehcp"]
    januaries = period_dates("january", sorted(set(plans["january"])))
    results += [qa.check_unique_keys(plans, ["la_code", "january"], "ehcp"),
                qa.check_non_negative(plans, ["ehcp_count"], "ehcp"),
                qa.check_suppressed_are_missing(plans, "ehcp_count", "ehcp_count_suppressed", "ehcp")]
    results += qa.check_coverage(plans, "la_code", "january", expected_las(lookup, januaries), "ehcp", "ehcp_count")
    results += qa.check_sums_to_national(plans, tables["ehcp_national"], "ehcp_count", "january", "ehcp")

    pop = tables["population"]
    counts = ["pop_0_25_count", "pop_2_18_count", "pop_0_17_count", "pop_0_17_dfe_count"]
    results += [qa.check_unique_keys(pop, ["la_code", "mid_year"], "population"),
                qa.check_non_negative(pop, counts, "population"),
                qa.check_suppressed_are_missing(pop, "pop_0_17_dfe_count", "pop_0_17_dfe_count_suppressed", "population")]
    for column in ["pop_0_25_count", "pop_2_18_count", "pop_0_17_count"]:
        results += qa.check_sums_to_national(pop.dropna(subset=[column]), tables["population_england"], column,
                                             "mid_year", "population", rel_tolerance=0.001)

    results += [qa.check_unique_keys(tables["deflator"], ["fy"], "deflator"),
                qa.check_unique_keys(tables["sen_support"], ["la_code", "january"], "sen_support"),
                qa.check_unique_keys(tables["deprivation"], ["la_code", "iod_year"], "deprivation"),
                qa.check_unique_keys(tables["la_lookup"], ["la_code"], "la_lookup")]
    results += stat_neighbour_checks(tables["stat_neighbours"], lookup)
    results += sen2_checks(tables, lookup)
    return results


def period_dates(period: str, values: list[int]) -> dict[int, str]:
    """The day an LA must exist on to report for each period: 15 January of a ``january`` (the
    census), 31 December of a ``calendar_year`` (the LAs making the return of the next January)."""
    day = "01-15" if period == "january" else "12-31"
    return {value: f"{value}-{day}" for value in values}


def sen2_checks(tables: dict[str, pd.DataFrame], lookup: pd.DataFrame) -> list[qa.CheckResult]:
    """QA of the SEN2 tables and the tribunal file: unique keys, no negative counts, suppressed
    values missing, LA coverage per period, LAs summing to the file's England row, values set
    aside; the tribunal rate recomputing from its counts and its codes agreeing with its names."""
    results: list[qa.CheckResult] = []
    for name, spec in {**SEN2_TABLES, "tribunal_appeals": TRIBUNAL}.items():
        las, national = tables[name], tables[f"{name}_national"]
        expected = expected_las(lookup, period_dates(spec.period, sorted(set(las[spec.period]))))
        results += [qa.check_unique_keys(las, ["la_code", spec.period, *spec.keys], name),
                    qa.check_non_negative(las, spec.counts, name)]
        results += [qa.check_suppressed_are_missing(las, c, f"{c}_suppressed", name) for c in spec.counts]
        results += qa.check_coverage(las, "la_code", spec.period, expected, name, spec.coverage_count or spec.counts[0])
        for count in spec.counts:
            results += qa.check_sums_to_national(las, national, count, spec.period, name, by=spec.keys,
                                                 expected=expected)
        if "source_note" in las.columns:
            results.append(qa.check_values_set_aside(las, "source_note", spec.period, name))
    appeals = tables["tribunal_appeals"]
    results += [qa.check_rate_recomputes(appeals, "appeals_count", "appealable_decisions_count", "appeal_rate_pct",
                                         "tribunal_appeals", scale=100, decimals=1),
                qa.check_codes_agree(appeals, "file_la_code", "tribunal_appeals")]
    return results


# --- the whole step ------------------------------------------------------------------------

def build_tables(settings: CleanSettings) -> dict[str, pd.DataFrame]:
    """Every processed table, in memory (the panel is built from them by sendlib.panel)."""
    lookup = geography.read_la_lookup(settings.raw_dir)
    tables: dict[str, pd.DataFrame] = {"la_lookup": lookup}
    tables["hn_spend"] = build_hn_spend(settings, lookup)
    tables["hn_benchmarking"] = build_hn_benchmarking(settings, lookup)
    tables["hnb_allocation"] = build_hnb_allocation(settings, lookup)
    tables["dsg_balance"] = build_dsg_balance(settings, lookup, tables["hnb_allocation"])
    tables["ehcp"], tables["ehcp_national"] = build_ehcp(settings, lookup)
    for name, spec in SEN2_TABLES.items():
        tables[name], tables[f"{name}_national"] = build_sen2_table(settings, lookup, spec)
    tables["tribunal_appeals"], tables["tribunal_appeals_national"] = build_tribunal_appeals(settings, lookup)
    tables["population"], tables["population_england"] = build_population(settings, lookup)
    tables["deflator"] = build_deflator(settings)
    tables["sen_support"] = build_sen_support(settings, lookup)
    tables["deprivation"] = build_deprivation(settings, lookup)
    tables["programmes"] = build_programmes(lookup)
    tables["stat_neighbours"] = build_stat_neighbours(settings, lookup)
    return tables


def write_tables(tables: dict[str, pd.DataFrame], processed_dir: Path) -> list[Path]:
    """Write each table as ``<name>.parquet`` atomically, in a stable byte layout.

    The build record is removed first (and rewritten by :func:`write_build_record` once every
    table is in place), so tables left by an interrupted write are never taken as up to date;
    temporary files left by a killed earlier write are removed."""
    invalidate_build_record(processed_dir)
    written = []
    for name in sorted(tables):
        target = Path(processed_dir) / f"{name}.parquet"
        for leftover in target.parent.glob(f".{target.name}.*.tmp"):
            leftover.unlink(missing_ok=True)
        with atomic_path(target) as tmp:
            tables[name].reset_index(drop=True).to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")
        written.append(target)
    return written


_TABLE_CACHE: dict[tuple[str, int, int], pd.DataFrame] = {}
REBUILD = "run `sendlib data` to rebuild it"


def read_table(name: str, processed_dir: Path | None = None) -> pd.DataFrame:
    """A processed table by name, checked against its schema (sendlib.schemas) when read, unless
    it is byte for byte the table the clean step built and checked (:func:`as_built`): a
    missing, unreadable (truncated) or wrong (replaced) file raises an error naming the file
    and the `sendlib data` remedy.

    Read once per process (a warm kernel runs many reports): cached by path, size and
    modification time, so a rebuilt table is read again; each call gets its own copy, so a
    notebook changing it cannot change what the next report reads."""
    path = (Path(processed_dir or config.processed_dir()) / f"{name}.parquet").resolve()
    try:
        stat = path.stat()
    except FileNotFoundError:
        from sendlib.errors import DataUnavailableError

        raise DataUnavailableError(f"{path} not found: run `sendlib data` first") from None
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _TABLE_CACHE:
        for stale in [k for k in _TABLE_CACHE if k[0] == key[0]]:
            del _TABLE_CACHE[stale]
        _TABLE_CACHE[key] = _read_checked(path, name)
    return _TABLE_CACHE[key].copy(deep=True)


def _read_checked(path: Path, name: str) -> pd.DataFrame:
    """The table at ``path``, or a SourceFormatError when it cannot be read or does not match
    the schema of table ``name``."""
    from sendlib.errors import SourceFormatError

    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise SourceFormatError(path, f"cannot be read ({reason}); {REBUILD}") from exc
    if as_built(path, name):
        return frame
    problems = schema_problems(frame, name)
    if problems:
        raise SourceFormatError(path, f"is not the {name} table the clean step writes ({problems}); {REBUILD}")
    return frame


def as_built(path: Path, name: str) -> bool:
    """True when ``path`` holds the very bytes the last finished clean step wrote for table
    ``name`` (the sha256 in its build record) and the code and settings are those it was built
    with: the table passed its schema then, so reading it does not check it again (pandera's
    import and checks take about 0.2 s of every process that reads tables). Anything else, a
    damaged or replaced file or other code, is checked against the schema."""
    try:
        record = json.loads((Path(path).parent / BUILD_RECORD).read_text(encoding="utf-8"))
        settings = CleanSettings(raw_dir=config.raw_dir(), **record["settings"])
        return record["tables"].get(name) == sha256_of(path) and record["fingerprint"] == fingerprint(settings)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def schema_problems(frame: pd.DataFrame, name: str) -> str:
    """What keeps ``frame`` from matching the schema of table ``name``, in a few words
    (missing columns first); "" when it matches or the table has no schema."""
    import pandera.pandas as pa

    from sendlib.schemas import SCHEMAS

    if name not in SCHEMAS:
        return ""
    try:
        SCHEMAS[name].validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        missing = cases.loc[cases["check"] == "column_in_dataframe", "failure_case"].astype(str).tolist()
        if missing:
            return f"missing column(s) {_listed(missing)}"
        failed = (cases["column"].astype(str) + ": " + cases["check"].astype(str)).drop_duplicates().tolist()
        return f"failed check(s) {_listed(failed)}"
    return ""


def _listed(items: list[str], most: int = 5) -> str:
    """"a, b, c" or "a, b, c, d, e and 7 more"."""
    shown = ", ".join(items[:most])
    return f"{shown} and {len(items) - most} more" if len(items) > most else shown


def build_all(settings: CleanSettings) -> dict[str, pd.DataFrame]:
    """Every table and the panel, schema-validated (raises ValidationError listing every failure)."""
    from sendlib.panel import build_panel
    from sendlib.schemas import validate_tables

    tables = build_tables(settings)
    tables["panel"] = build_panel(tables, settings.fys)
    validate_tables(tables)
    return tables


def coverage_summary(tables: dict[str, pd.DataFrame], fys: list[str]) -> pd.DataFrame:
    """LAs with a value per table and FY (counts of January Y+1, population of mid-year Y and
    flows of calendar year Y shown under FY Y-(Y+1), as the panel pairs them)."""
    to_fy = {"fy": lambda v: v, "january": years.fy_for_january, "mid_year": years.fy_label,
             "calendar_year": years.fy_for_calendar_year}
    specs = {"hn_spend": ("fy", "hn_spend_gbp"), "hnb_allocation": ("fy", "hnb_after_deductions_gbp"),
             "dsg_balance": ("fy", "dsg_balance_pct"), "ehcp": ("january", "ehcp_count"),
             "population": ("mid_year", "pop_2_18_count"), "sen_support": ("january", "sen_support_pct"),
             **{name: (spec.period, spec.coverage_count or spec.counts[0]) for name, spec in SEN2_TABLES.items()},
             "tribunal_appeals": (TRIBUNAL.period, TRIBUNAL.coverage_count)}
    rows = {}
    for name, (period, value) in specs.items():
        frame = tables[name].dropna(subset=[value])
        counts = frame.groupby(frame[period].map(to_fy[period]))["la_code"].nunique()
        rows[name] = counts.reindex(fys).astype("Int64")
    return pd.DataFrame(rows).T.rename_axis(index="table", columns="fy")


def clean(settings: CleanSettings, processed_dir: Path) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The clean step: build every table and the panel, validate, QA, and write them all.

    Returns the tables and the QA results table. A raw file whose sha256 is not the
    registered one raises ChecksumError before anything is read; any schema failure or FAIL
    check raises ValidationError before anything is written.
    """
    raw_hashes = verify_raw_files(settings.raw_dir)
    tables = build_all(settings)
    results = quality_checks(tables, tables["la_lookup"], settings)
    qa.raise_on_fail(results)
    write_tables(tables, processed_dir)
    write_build_record(tables, settings, processed_dir, raw_hashes)
    return tables, qa.results_frame(results)


# --- freshness: skip the clean step when nothing it depends on has changed ----------------

BUILD_RECORD = "_build.json"


def settings_from_parameters(parameters: dict) -> CleanSettings:
    """CleanSettings from the clean notebook's parameters (empty folders mean the configured ones)."""
    years_given = {k: parameters[k] for k in ("first_fy", "last_fy", "deflator_base_fy") if k in parameters}
    return CleanSettings(raw_dir=Path(parameters.get("raw_dir") or config.raw_dir()), **years_given)


def fingerprint(settings: CleanSettings) -> str:
    """sha256 over everything the processed tables depend on: each raw file's registered sha256,
    the package's code, the reference files, the clean notebook and the settings."""
    import hashlib

    from sendlib.sources import load_registry

    digest = hashlib.sha256()
    for raw_file in load_registry():
        digest.update(f"{raw_file.relpath}={raw_file.sha256}\n".encode())
    code = sorted(config.PACKAGE_DIR.rglob("*.py")) + sorted(config.REFERENCE_DIR.glob("*.csv"))
    code.append(config.NOTEBOOKS_DIR / "01_clean_data.ipynb")
    for path in code:
        if path.is_file():
            digest.update(path.relative_to(config.PROJECT_ROOT).as_posix().encode() + b"\n" + path.read_bytes())
    digest.update(f"{settings.first_fy}|{settings.last_fy}|{settings.deflator_base_fy}".encode())
    return digest.hexdigest()


def invalidate_build_record(processed_dir: Path) -> None:
    """Remove the build record: until it is written again, nothing in ``processed_dir`` is up to date."""
    (Path(processed_dir) / BUILD_RECORD).unlink(missing_ok=True)


def write_build_record(tables: dict[str, pd.DataFrame], settings: CleanSettings, processed_dir: Path,
                       raw_hashes: dict[str, str]) -> None:
    """Record what the processed tables were built from (the fingerprint, the settings, each
    raw file's sha256) and each written table's sha256 (read by :func:`stale_reason`)."""
    processed_dir = Path(processed_dir)
    write_json_atomic(processed_dir / BUILD_RECORD, {
        "fingerprint": fingerprint(settings), "raw": dict(sorted(raw_hashes.items())),
        "tables": {name: sha256_of(processed_dir / f"{name}.parquet") for name in sorted(tables)},
        "settings": {"first_fy": settings.first_fy, "last_fy": settings.last_fy,
                     "deflator_base_fy": settings.deflator_base_fy},
    })


def stale_reason(settings: CleanSettings, processed_dir: Path) -> str | None:
    """Why the processed tables must be rebuilt, or None when they are up to date: the build
    record is missing (never built, or a build was interrupted) or unreadable, the raw files,
    code or settings changed, a raw file is not the registered one, or a table is missing or
    its bytes are not the recorded ones (damaged or replaced)."""
    processed_dir = Path(processed_dir)
    try:
        record = json.loads((processed_dir / BUILD_RECORD).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"no build record ({BUILD_RECORD}): the tables were never built, or their last build did not finish"
    except (OSError, ValueError) as exc:
        return f"the build record {BUILD_RECORD} cannot be read ({exc})"
    recorded = record.get("tables") if isinstance(record, dict) else None
    if not isinstance(recorded, dict) or not recorded:
        return f"the build record {BUILD_RECORD} lists no table checksums (written by an older version)"
    if record.get("fingerprint") != fingerprint(settings):
        return "the raw files' registry, the code, the reference files or the settings changed since the last build"
    try:
        verify_raw_files(settings.raw_dir)
    except SendlibError as exc:
        return str(exc)
    for name, sha256 in sorted(recorded.items()):
        path = processed_dir / f"{name}.parquet"
        if not path.is_file():
            return f"{path} is missing"
        if sha256_of(path) != sha256:
            return f"{path} is not the table the last build wrote (its sha256 differs: damaged or replaced)"
    return None


def is_up_to_date(settings: CleanSettings, processed_dir: Path) -> bool:
    """True when the last build finished, nothing it depends on changed and every table is intact."""
    return stale_reason(settings, processed_dir) is None
