"""English Indices of Deprivation (IoD2015, IoD2019): upper-tier LA summaries (File 11).

Each workbook has one sheet per domain; each sheet lists the upper-tier LAs on the
geography of its edition (2013 codes for IoD2015, 2019 codes for IoD2019) with several
summary measures. We take, for the overall IMD and for IDACI (income deprivation affecting
children), the "Average score" (population-weighted mean of the LSOA scores) and its
"Rank of average score" (1 = most deprived). The other summaries (average rank, extent,
local concentration, share of LSOAs in the most deprived 10%) are not read.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sendlib import config
from sendlib.errors import SourceFormatError
from sendlib.readers.common import check_unique, numeric_column, read_excel

DATASET = "deprivation"
#: IoD edition -> File 11 workbook name.
IOD_WORKBOOKS = {
    2015: "File_11_ID_2015_Upper-tier_Local_Authority_Summaries.xlsx",
    2019: "File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx",
}
#: Sheet -> output column prefix.
DOMAINS = {"IMD": "imd", "IDACI": "idaci"}
#: Header ending (lower case, after the domain name) -> output column suffix.
MEASURES = {"- average score": "avg_score", "- rank of average score": "rank_of_avg_score"}
COLUMNS = ["ons_code", "la_name", "iod_year", "imd_avg_score", "imd_rank_of_avg_score",
           "idaci_avg_score", "idaci_rank_of_avg_score"]


def _column_ending(frame: pd.DataFrame, ending: str, where: str) -> str:
    """The one column whose (whitespace-normalised, lower-case) header ends with ``ending``."""
    hits = [c for c in frame.columns if " ".join(str(c).lower().split()).endswith(ending)]
    if len(hits) != 1:
        raise SourceFormatError(where, f"expected one column ending {ending!r}, found {hits}")
    return hits[0]


def _column_starting(frame: pd.DataFrame, start: str, where: str) -> str:
    """The one column whose header starts with ``start`` (case-insensitive)."""
    hits = [c for c in frame.columns if str(c).strip().lower().startswith(start)]
    if len(hits) != 1:
        raise SourceFormatError(where, f"expected one column starting {start!r}, found {hits}")
    return hits[0]


def read_domain_sheet(path: Path, sheet: str, prefix: str) -> pd.DataFrame:
    """ons_code, la_name and the average score and its rank from one domain sheet."""
    where = f"{path} [sheet {sheet!r}]"
    frame = read_excel(path, sheet)
    code = _column_starting(frame, "upper tier local authority district code", where)
    name = _column_starting(frame, "upper tier local authority district name", where)
    table = pd.DataFrame({"ons_code": frame[code].astype("str").str.strip(),
                          "la_name": frame[name].astype("str").str.strip()})
    if not table["ons_code"].str.fullmatch(r"E\d{8}").all():
        raise SourceFormatError(where, f"column {code!r} has values that are not ONS codes")
    for ending, suffix in MEASURES.items():
        column = _column_ending(frame, ending, where)
        values = numeric_column(frame[column], where, column)[0]
        if values.isna().any():
            raise SourceFormatError(where, f"column {column!r} is blank on row(s) {(values.index[values.isna()] + 2).tolist()[:5]}")
        table[f"{prefix}_{suffix}"] = values if suffix == "avg_score" else values.astype("Int64")
    check_unique(table, ["ons_code"], where)
    return table


def read_iod_workbook(path: Path, iod_year: int) -> pd.DataFrame:
    """IMD and IDACI average scores and ranks for every upper-tier LA in one edition."""
    imd, idaci = (read_domain_sheet(path, sheet, prefix) for sheet, prefix in DOMAINS.items())
    merged = imd.merge(idaci.drop(columns="la_name"), on="ons_code", how="outer", indicator=True)
    unmatched = merged.loc[merged["_merge"] != "both", "ons_code"].tolist()
    if unmatched:
        raise SourceFormatError(path, f"sheets IMD and IDACI list different LAs: {unmatched[:5]}")
    return merged.assign(iod_year=iod_year)[COLUMNS]


def read_deprivation(raw_dir: Path | None = None, files: dict[int, str] | None = None) -> pd.DataFrame:
    """IMD and IDACI summaries per upper-tier LA for IoD2015 and IoD2019.

    Columns: ons_code, la_name, iod_year, imd_avg_score, imd_rank_of_avg_score,
    idaci_avg_score, idaci_rank_of_avg_score (ranks: 1 = most deprived).
    """
    folder = Path(raw_dir or config.raw_dir()) / DATASET
    workbooks = files or IOD_WORKBOOKS
    table = pd.concat([read_iod_workbook(folder / name, year) for year, name in workbooks.items()], ignore_index=True)
    return table.sort_values(["iod_year", "ons_code"]).reset_index(drop=True)
