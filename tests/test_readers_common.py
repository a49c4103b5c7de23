import zipfile
from pathlib import Path

import pandas as pd
import pytest

from sendlib.errors import SourceFormatError
from sendlib.readers import common


def test_suppression_markers_become_missing_and_flagged_never_zero():
    values, flag = common.parse_numeric(pd.Series(["12", "c", "1,234", "x", None, ":", ".."]))
    assert values.tolist()[0] == 12 and values.tolist()[2] == 1234
    assert values.isna().tolist() == [False, True, False, True, True, True, True]
    assert flag.tolist() == [False, True, False, True, False, True, True]


def test_unknown_text_in_numeric_column_is_an_error():
    with pytest.raises(ValueError, match="oops"):
        common.parse_numeric(pd.Series(["1", "oops"]))


def test_missing_column_names_file_and_column(tmp_path: Path):
    with pytest.raises(SourceFormatError, match=r"f\.csv.*'la_code'"):
        common.require_columns(pd.DataFrame({"x": [1]}), ["la_code"], tmp_path / "f.csv")


def test_missing_file_says_how_to_get_it(tmp_path: Path):
    with pytest.raises(SourceFormatError, match="make data"):
        common.require_file(tmp_path / "absent.xlsx")


def test_corrupted_workbook_is_named(tmp_path: Path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(SourceFormatError, match="bad.xlsx"):
        common.read_excel(bad, 0)


def test_csv_in_zip_and_bad_zip(tmp_path: Path):
    good = tmp_path / "a.zip"
    with zipfile.ZipFile(good, "w") as z:
        z.writestr("data/t.csv", "a,b\n1,2\n")
    assert common.read_csv_in_zip(good, "data/t.csv").to_dict("records") == [{"a": 1, "b": 2}]
    with pytest.raises(SourceFormatError, match="no member"):
        common.read_csv_in_zip(good, "data/other.csv")
    bad = tmp_path / "b.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(SourceFormatError, match="b.zip.*zip"):
        common.read_csv_in_zip(bad, "data/t.csv")


def test_duplicate_keys_are_named(tmp_path: Path):
    frame = pd.DataFrame({"la_code": ["202", "202"], "fy": ["2021-22", "2021-22"]})
    with pytest.raises(SourceFormatError, match="202"):
        common.check_unique(frame, ["la_code", "fy"], tmp_path / "t.csv")
