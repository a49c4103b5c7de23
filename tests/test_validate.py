"""Each QA check with a small passing and a small failing example."""

import pandas as pd
import pandera.pandas as pa
import pytest

from sendlib import validate as v
from sendlib.schemas import count_column, fy_column, la_code_column
from sendlib.errors import ValidationError


def test_unique_keys_fail_names_the_duplicate():
    frame = pd.DataFrame({"la_code": ["202", "202", "886"], "fy": ["2021-22"] * 3})
    result = v.check_unique_keys(frame, ["la_code", "fy"], "t")
    assert result.status == v.FAIL and "202/2021-22" in result.message
    assert v.check_unique_keys(frame.iloc[1:], ["la_code", "fy"], "t").status == v.PASS


def test_coverage_missing_is_advisory_and_unexpected_is_fail():
    frame = pd.DataFrame({"la_code": ["202", "886", "999"], "fy": ["a", "a", "b"], "x": [1.0, None, 2.0]})
    res = v.check_coverage(frame, "la_code", "fy", {"a": {"202", "886"}, "b": {"202"}}, "t", value="x")
    assert [r.status for r in res] == [v.ADVISORY, v.FAIL]
    assert "886" in res[0].message and "999" in res[1].message


def test_sums_to_national():
    las = pd.DataFrame({"fy": ["a", "a", "b", "b"], "n": [1.0, 2.0, 5.0, None]})
    nat = pd.DataFrame({"fy": ["a", "b"], "n": [4.0, 6.0]})
    res = v.check_sums_to_national(las, nat, "n", "fy", "t")
    assert [r.status for r in res] == [v.FAIL, v.ADVISORY]
    ok = v.check_sums_to_national(las.iloc[:2], nat.iloc[:1].assign(n=3.0), "n", "fy", "t")
    assert ok[0].status == v.PASS


def test_negative_counts_fail():
    assert v.check_non_negative(pd.DataFrame({"n": [1.0, -1.0]}), ["n"], "t").status == v.FAIL
    assert v.check_non_negative(pd.DataFrame({"n": [1.0, None]}), ["n"], "t").status == v.PASS


def test_suppressed_value_turned_into_zero_fails():
    frame = pd.DataFrame({"n": [0.0, None], "n_suppressed": [True, True]})
    assert v.check_suppressed_are_missing(frame, "n", "n_suppressed", "t").status == v.FAIL
    assert v.check_suppressed_are_missing(frame.iloc[1:], "n", "n_suppressed", "t").status == v.PASS


def test_magnitude_catches_gbp_millions():
    frame = pd.DataFrame({"gbp": [7.2, 10.5, 3.1]})  # GBP million by mistake
    assert v.check_magnitude(frame, "gbp", 1e6, 1e10, "t", "an LA's annual GBP").status == v.FAIL
    assert v.check_magnitude(frame * 1e6, "gbp", 1e6, 1e10, "t", "an LA's annual GBP").status == v.PASS


def test_raise_on_fail_lists_every_failure_and_frame_orders_fail_first():
    results = [v.CheckResult("t", "c1", v.PASS, "ok"), v.CheckResult("t", "c2", v.FAIL, "bad"),
               v.CheckResult("u", "c3", v.FAIL, "worse"), v.CheckResult("t", "c4", v.ADVISORY, "hmm")]
    with pytest.raises(ValidationError, match=r"2 QA check\(s\) failed(.|\n)*c2(.|\n)*c3"):
        v.raise_on_fail(results)
    assert v.results_frame(results)["status"].tolist() == [v.FAIL, v.FAIL, v.ADVISORY, v.PASS]
    v.raise_on_fail(results[:1])


def test_schema_lists_all_failures():
    schema = pa.DataFrameSchema({"la_code": la_code_column(), "fy": fy_column(), "n": count_column()})
    frame = pd.DataFrame({"la_code": ["20"], "fy": ["2021"], "n": [-1.0]})
    with pytest.raises(ValidationError) as err:
        v.validate_schema(frame, schema, "demo")
    message = str(err.value)
    assert "demo" in message and "la_code" in message and "fy" in message and "column n" in message


def test_sen2_schemas_refuse_unknown_settings_duplicate_keys_and_zero_for_missing_flags():
    from sendlib.schemas import SCHEMAS

    row = {"la_code": "202", "la_name": "Camden", "january": 2024, "setting": "special_independent",
           "setting_group": "special_independent", "ehcp_count": 70.0, "ehcp_count_suppressed": False,
           "source_note": pd.NA}
    good = pd.DataFrame([row]).astype({"source_note": "string"})
    v.validate_schema(good, SCHEMAS["ehcp_by_setting"], "ehcp_by_setting")
    bad = pd.concat([good, good.assign(setting="special_private", ehcp_count=-1.0)], ignore_index=True)
    with pytest.raises(ValidationError, match="(?s)setting.*special_private.*ehcp_count"):
        v.validate_schema(bad, SCHEMAS["ehcp_by_setting"], "ehcp_by_setting")
    with pytest.raises(ValidationError, match="ehcp_by_setting_national"):
        v.validate_schema(pd.concat([good, good], ignore_index=True).drop(columns=["la_code", "la_name", "source_note"]),
                          SCHEMAS["ehcp_by_setting_national"], "ehcp_by_setting_national")


# --- statistical neighbours ----------------------------------------------------------------

def neighbours(la_code: str, codes: list[str], model: str = "2025", current: bool = True) -> pd.DataFrame:
    """One council's neighbour rows, ranked 1..len(codes)."""
    return pd.DataFrame({"model": model, "la_code": la_code, "la_name": f"LA {la_code}",
                         "rank": range(1, len(codes) + 1), "neighbour_la_code": codes, "la_current": current})


TEN = [f"{300 + i}" for i in range(10)]


def test_neighbour_sets_fail_for_nine_or_a_repeated_neighbour():
    assert v.check_neighbour_sets(neighbours("202", TEN), "t").status == v.PASS
    nine = v.check_neighbour_sets(neighbours("202", TEN[:9]), "t")
    assert nine.status == v.FAIL and "model 2025: 202" in nine.message
    repeated = v.check_neighbour_sets(neighbours("203", TEN[:9] + ["300"]), "t")
    assert repeated.status == v.FAIL and "203" in repeated.message
    assert v.check_neighbour_sets(neighbours("835", TEN[:9], current=False), "t").status == v.PASS  # former council


def test_unknown_neighbour_code_fails_naming_council_and_code():
    frame = neighbours("202", TEN[:9] + ["999"])
    result = v.check_known_codes(frame, "neighbour_la_code", set(TEN), "t")
    assert result.status == v.FAIL and "202 LA 202 -> 999" in result.message
    assert v.check_known_codes(neighbours("202", TEN), "neighbour_la_code", set(TEN), "t").status == v.PASS


def test_council_as_its_own_neighbour_fails():
    result = v.check_not_own_neighbour(neighbours("305", TEN), "t")
    assert result.status == v.FAIL and "305" in result.message and "rank 6" in result.message
    assert v.check_not_own_neighbour(neighbours("202", TEN), "t").status == v.PASS


def test_former_councils_are_advisory_and_named():
    frame = pd.concat([neighbours("202", TEN), neighbours("928", TEN, model="2021", current=False)])
    frame.loc[frame["la_code"] == "928", "la_name"] = "Northamptonshire"
    result = v.check_former_councils(frame, "t")
    assert result.status == v.ADVISORY and "model 2021: 928 Northamptonshire" in result.message
    assert v.check_former_councils(neighbours("202", TEN), "t").status == v.PASS


def test_council_name_disagreeing_with_its_code_fails():
    accepted = {"202": {"camden"}, "300": {"la 300"}}
    frame = pd.concat([neighbours("202", TEN), neighbours("300", TEN)])
    result = v.check_names_match(frame, accepted, str.lower, "t")
    assert result.status == v.FAIL and "model 2025: 202 LA 202" in result.message and "300" not in result.message
    assert v.check_names_match(frame.assign(la_name="LA 300").iloc[10:], accepted, str.lower, "t").status == v.PASS


def test_sums_to_national_counts_absent_councils_as_missing():
    las = pd.DataFrame({"la_code": ["202"], "y": [2023], "n": [5.0]})
    nat = pd.DataFrame({"y": [2023], "n": [8.0]})
    assert v.check_sums_to_national(las, nat, "n", "y", "t")[0].status == v.FAIL
    res = v.check_sums_to_national(las, nat, "n", "y", "t", expected={2023: {"202", "204"}})
    assert res[0].status == v.ADVISORY and "1 LA values missing" in res[0].message


def test_sums_to_national_by_key_summarises_each_period():
    las = pd.DataFrame({"la_code": ["1", "2"] * 2, "y": [2025] * 4, "need": ["a", "a", "b", "b"],
                        "n": [1.0, 2.0, 3.0, 4.0]})
    nat = pd.DataFrame({"y": [2025, 2025], "need": ["a", "b"], "n": [3.0, 7.0]})
    ok = v.check_sums_to_national(las, nat, "n", "y", "t", by=["need"])
    assert [(r.status, r.check) for r in ok] == [(v.PASS, "LA sum = national (n, y=2025)")]
    moved = v.check_sums_to_national(las, nat.assign(n=[4.0, 6.0]), "n", "y", "t", by=["need"])[0]
    assert moved.status == v.ADVISORY and "totals agree" in moved.message  # same total, another split
    lost = v.check_sums_to_national(las, nat.assign(n=[4.0, 7.0]), "n", "y", "t", by=["need"])[0]
    assert lost.status == v.FAIL and "a: LA sum 3 vs national 4" in lost.message


def test_values_set_aside_are_advisory_and_named():
    frame = pd.DataFrame({"la_code": ["370", "371", "202"], "y": [2022, 2022, 2022],
                          "source_note": ["repeats the regional total", "repeats the regional total", None]})
    result = v.check_values_set_aside(frame, "source_note", "y", "t")
    assert result.status == v.ADVISORY and "y=2022: repeats the regional total (370, 371)" in result.message
    assert v.check_values_set_aside(frame.iloc[2:], "source_note", "y", "t").status == v.PASS


def test_rate_that_does_not_recompute_from_its_counts_fails():
    frame = pd.DataFrame({"la_code": ["202", "356", "420"], "calendar_year": [2022] * 3,
                          "a": [41.0, 50.0, None], "d": [1516.0, 2924.0, 7.0], "rate": [2.7, 1.7, 0.0]})
    assert v.check_rate_recomputes(frame, "a", "d", "rate", "t").status == v.PASS
    shifted = frame.assign(rate=[1.7, 2.7, 0.0])  # rates of two rows swapped
    result = v.check_rate_recomputes(shifted, "a", "d", "rate", "t")
    assert result.status == v.FAIL and "2 of 2 rates" in result.message and "202 2022: 1.7" in result.message


def test_source_codes_disagreeing_with_names_are_advisory():
    frame = pd.DataFrame({"la_code": ["891", "892", "202"], "file_la_code": pd.array(["928", None, "202"], "string"),
                          "la_name": ["Nottinghamshire", "Nottingham", "Camden"]})
    result = v.check_codes_agree(frame, "file_la_code", "t")
    assert result.status == v.ADVISORY and "Nottinghamshire (file 928, DfE 891)" in result.message
    assert "Nottingham (file none, DfE 892)" in result.message
    assert v.check_codes_agree(frame.iloc[2:], "file_la_code", "t").status == v.PASS
