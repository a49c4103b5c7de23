import numpy as np
import pandas as pd
import pytest

from sendlib.analysis import measures
from sendlib.errors import ValidationError


def small_panel() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit": ["A", "B", "C"],
            "fy": ["2021-22"] * 3,
            "hn_spend_gbp": [1100.0, 2200.0, np.nan],
            "hnb_before_deductions_gbp": [1000.0, 2000.0, 3000.0],
            "hnb_after_deductions_gbp": [900.0, 1800.0, 2700.0],
            "dsg_total_gbp": [5000.0, 6000.0, 7000.0],
            "ehcp_count": [10.0, 0.0, 30.0],
            "pop_2_18_count": [100.0, 200.0, 300.0],
            "pop_0_25_count": [110.0, np.nan, 330.0],
            "deflator_index": [110.0, 110.0, 110.0],
        }
    )


def test_cash_and_real_totals():
    panel = small_panel()
    assert measures.measure_values(panel, "hn_spend", "cash", "total").tolist()[:2] == [1100.0, 2200.0]
    real = measures.measure_values(panel, "hn_spend", "real", "total")
    assert real.tolist()[:2] == pytest.approx([1000.0, 2000.0])
    assert np.isnan(real.iloc[2])


def test_per_head_and_per_ehcp_with_missing_or_zero_denominators():
    panel = small_panel()
    assert measures.measure_values(panel, "hn_spend", "cash", "per_head_2_18").tolist()[:2] == [11.0, 11.0]
    per_0_25 = measures.measure_values(panel, "hnb_before_deductions", "cash", "per_head_0_25")
    assert per_0_25.iloc[0] == pytest.approx(1000 / 110) and np.isnan(per_0_25.iloc[1])
    per_ehcp = measures.measure_values(panel, "dsg_total", "cash", "per_ehcp")
    assert per_ehcp.iloc[0] == 500.0 and np.isnan(per_ehcp.iloc[1])  # zero plans -> NaN, never inf
    assert measures.measure_values(panel, "ehcp", "cash", "per_head_2_18").tolist() == [0.1, 0.0, 0.1]


def test_measure_parts_give_numerator_and_denominator():
    numerator, denominator = measures.measure_parts(small_panel(), "hnb_after_deductions", "real", "per_head_2_18")
    assert numerator.tolist() == pytest.approx([900 / 1.1, 1800 / 1.1, 2700 / 1.1])
    assert denominator.tolist() == [100.0, 200.0, 300.0]


@pytest.mark.parametrize(
    ("measure", "basis", "denominator", "message"),
    [
        ("spend", "cash", "total", r"unknown measure 'spend'.*hn_spend"),
        ("hn_spend", "nominal", "total", r"unknown basis 'nominal'.*'cash', 'real'"),
        ("hn_spend", "cash", "per_pupil", r"unknown denominator 'per_pupil'.*per_head_2_18"),
        ("ehcp", "real", "total", r"'ehcp' is a count.*'real'"),
        ("ehcp", "cash", "per_ehcp", r"'ehcp'.*'per_ehcp' is invalid"),
    ],
)
def test_invalid_names_and_combinations_are_value_errors(measure, basis, denominator, message):
    with pytest.raises(ValueError, match=message):
        measures.measure_values(small_panel(), measure, basis, denominator)
    assert not measures.is_valid_combination(measure, basis, denominator)


def test_missing_panel_column_is_named():
    with pytest.raises(ValidationError, match="deflator_index"):
        measures.measure_values(small_panel().drop(columns="deflator_index"), "hn_spend", "real", "total")


def test_add_derived_columns_uses_the_same_formula_and_leaves_input_alone():
    panel = small_panel().assign(hn_spend_real_gbp=-1.0)
    derived = measures.add_derived_columns(panel)
    assert list(derived.columns[-4:]) == list(measures.DERIVED_COLUMNS)
    assert derived["hn_spend_real_gbp"].tolist()[:2] == pytest.approx([1000.0, 2000.0])
    assert derived["hn_spend_per_head_2_18_gbp"].tolist()[:2] == [11.0, 11.0]
    assert derived["hn_spend_per_head_0_25_gbp"].iloc[0] == pytest.approx(10.0)
    assert derived["hn_spend_per_ehcp_gbp"].iloc[0] == 110.0 and np.isnan(derived["hn_spend_per_ehcp_gbp"].iloc[1])
    assert (panel["hn_spend_real_gbp"] == -1.0).all()
    assert "hn_spend_per_ehcp_gbp" not in panel.columns
