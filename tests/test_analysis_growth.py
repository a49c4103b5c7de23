import numpy as np
import pandas as pd
import pytest

from sendlib.analysis import growth
from sendlib.errors import ValidationError


def two_year_panel() -> pd.DataFrame:
    """A: 100 -> 125; B: 200 -> 220; C: incomplete in the end year; D: no base value; E: base 0."""
    rows = [
        ("A", "2021-22", 100.0, True, 10.0), ("A", "2022-23", 125.0, True, 10.0),
        ("B", "2021-22", 200.0, True, 40.0), ("B", "2022-23", 220.0, True, 50.0),
        ("C", "2021-22", 300.0, True, 30.0), ("C", "2022-23", 100.0, False, 30.0),
        ("D", "2021-22", np.nan, True, 20.0), ("D", "2022-23", 90.0, True, 20.0),
        ("E", "2021-22", 0.0, True, 5.0), ("E", "2022-23", 10.0, True, 5.0),
    ]
    panel = pd.DataFrame(rows, columns=["unit", "fy", "hn_spend_gbp", "hn_spend_complete", "pop_2_18_count"])
    return panel.assign(fy_start=panel["fy"].str[:4].astype(int), deflator_index=100.0)


def test_unit_growth_values_and_exclusions():
    table = growth.unit_growth(two_year_panel(), "hn_spend", "cash", "total", "2021-22", "2022-23")
    assert list(table.columns) == ["unit", "value_base", "value_end", "growth", "excluded_reason"]
    assert table["unit"].tolist() == ["A", "B", "C", "D", "E"]
    by_unit = table.set_index("unit")
    assert by_unit.loc["A", "growth"] == pytest.approx(0.25)
    assert by_unit.loc["B", "growth"] == pytest.approx(0.10)
    assert by_unit[["growth"]].iloc[2:].isna().all().all()
    assert "incomplete end year (2022-23)" in by_unit.loc["C", "excluded_reason"]
    assert "missing base value (2021-22)" in by_unit.loc["D", "excluded_reason"]
    assert by_unit.loc["E", "excluded_reason"] == "base value not positive (2021-22)"
    assert by_unit["excluded_reason"].iloc[:2].isna().all()


def test_unit_absent_in_a_year_is_excluded_and_years_must_be_ordered():
    panel = two_year_panel()
    panel = panel.loc[~((panel["unit"] == "A") & (panel["fy"] == "2022-23"))]
    table = growth.unit_growth(panel, "hn_spend", "cash", "total", "2021-22", "2022-23").set_index("unit")
    assert "missing end value" in table.loc["A", "excluded_reason"]
    with pytest.raises(ValueError, match="must come after"):
        growth.unit_growth(panel, "hn_spend", "cash", "total", "2022-23", "2021-22")


def test_duplicated_unit_year_is_an_error():
    panel = pd.concat([two_year_panel(), two_year_panel().iloc[[0]]])
    with pytest.raises(ValidationError, match=r"\['A'\] in 2021-22"):
        growth.unit_growth(panel, "hn_spend", "cash", "total", "2021-22", "2022-23")


def test_national_growth_is_a_ratio_of_sums_over_units_known_in_both_years():
    result = growth.national_growth(two_year_panel(), "hn_spend", "cash", "total", "2021-22", "2022-23")
    # A, B and E (base 0 is fine in a sum) are kept: (125 + 220 + 10) / (100 + 200 + 0) - 1
    assert result.value_base == 300.0 and result.value_end == 355.0
    assert result.growth == pytest.approx(355 / 300 - 1)
    assert result.n_units == 3 and result.excluded_units == ("C", "D") and not result.complete


def test_national_per_head_is_summed_numerators_over_summed_denominators():
    panel = two_year_panel().loc[lambda f: f["unit"].isin(["A", "B"])]
    result = growth.national_growth(panel, "hn_spend", "cash", "per_head_2_18", "2021-22", "2022-23")
    assert result.value_base == pytest.approx(300 / 50) and result.value_end == pytest.approx(345 / 60)
    assert result.growth == pytest.approx((345 / 60) / (300 / 50) - 1)
    assert result.complete
    unit_rates = growth.unit_growth(panel, "hn_spend", "cash", "per_head_2_18", "2021-22", "2022-23")["growth"]
    assert unit_rates.mean() != pytest.approx(result.growth)  # not a mean of unit rates


def test_percentile_of():
    assert growth.percentile_of(3, [1, 2, 3, 4]) == 0.75
    assert growth.percentile_of(0, [1, 2]) == 0.0
    assert growth.percentile_of(3, [1, np.nan, 5]) == 0.5
    with pytest.raises(ValueError, match="no non-missing"):
        growth.percentile_of(1, [np.nan])


def test_random_group_means_identical_values_and_reproducibility():
    same = growth.random_group_means(pd.Series([0.2] * 10), group_size=4, n_draws=50, seed=1)
    assert same.shape == (50,) and np.allclose(same, 0.2)
    values = pd.Series(np.arange(20, dtype=float))
    first = growth.random_group_means(values, 5, 5000, seed=7)
    assert np.array_equal(first, growth.random_group_means(values, 5, 5000, seed=7))
    assert not np.array_equal(first, growth.random_group_means(values, 5, 5000, seed=8))
    assert first.mean() == pytest.approx(9.5, abs=0.1)  # an unbiased draw
    whole = growth.random_group_means(values, 20, 3, seed=0)
    assert np.allclose(whole, 9.5)  # without replacement: the whole set every time


def test_random_group_means_draw_without_replacement():
    means = growth.random_group_means(pd.Series([0.0, 1.0, np.nan]), group_size=2, n_draws=100, seed=3)
    assert np.allclose(means, 0.5)  # never the same unit twice, NaN dropped
    with pytest.raises(ValueError, match="group_size"):
        growth.random_group_means(pd.Series([1.0, 2.0]), group_size=3, n_draws=10, seed=0)
    with pytest.raises(ValueError, match="n_draws"):
        growth.random_group_means(pd.Series([1.0, 2.0]), group_size=1, n_draws=0, seed=0)


def test_bootstrap_mean_ci():
    assert growth.bootstrap_mean_ci([2.5] * 8, n_draws=200, seed=0) == (2.5, 2.5, 2.5)
    sample = np.random.default_rng(0).normal(10, 2, size=100)
    mean, low, high = growth.bootstrap_mean_ci(sample, n_draws=5000, seed=1)
    assert mean == pytest.approx(sample.mean()) and low < mean < high
    assert high - low == pytest.approx(2 * 1.96 * sample.std(ddof=1) / 10, rel=0.15)
    assert growth.bootstrap_mean_ci(sample, 500, seed=4) == growth.bootstrap_mean_ci(sample, 500, seed=4)
    with pytest.raises(ValueError, match="level"):
        growth.bootstrap_mean_ci(sample, 100, seed=0, level=95)


def test_growth_regression_recovers_known_coefficients():
    rng = np.random.default_rng(42)
    n = 400
    frame = pd.DataFrame({"group": rng.choice(["DBV", "neither", "safety valve"], size=n), "idaci": rng.random(n)})
    effect = frame["group"].map({"DBV": 0.10, "neither": 0.0, "safety valve": -0.05})
    frame["growth"] = 0.2 + effect + 0.5 * frame["idaci"] + rng.normal(0, 0.02, size=n)
    frame.loc[:4, "idaci"] = np.nan
    result = growth.growth_regression(frame, "growth", "group", ["idaci"], reference="neither")
    assert result.nobs == n - 5 and result.n_dropped == 5
    assert result.cov_type == "HC3"
    assert result.params["group[DBV]"] == pytest.approx(0.10, abs=0.01)
    assert result.params["group[safety valve]"] == pytest.approx(-0.05, abs=0.01)
    assert result.params["idaci"] == pytest.approx(0.5, abs=0.02)
    assert result.params["const"] == pytest.approx(0.2, abs=0.01)


def test_growth_regression_bool_group_and_bad_input():
    frame = pd.DataFrame({"g": [True, False, True, False, True, False], "y": [3.0, 1.0, 3.1, 1.1, 2.9, 0.9]})
    result = growth.growth_regression(frame, "y", "g", [])
    assert list(result.params.index) == ["const", "g[True]"]
    assert result.params["g[True]"] == pytest.approx(2.0)
    with pytest.raises(ValueError, match=r"only \[True\].*2\+ levels"):
        growth.growth_regression(frame.loc[frame["g"]], "y", "g", [])
    with pytest.raises(ValidationError, match="idaci"):
        growth.growth_regression(frame, "y", "g", ["idaci"])


def sensitivity_panel() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    rows = []
    for i in range(12):
        base = 100.0 + i
        for k, fy in enumerate(["2021-22", "2022-23", "2023-24"]):
            spend = base * (1 + 0.02 * i) ** k
            rows.append((f"U{i:02d}", fy, 2021 + k, spend, True, 50.0 + rng.random(), 1000.0 + 10 * i, 100.0 + 5 * k))
    return pd.DataFrame(
        rows,
        columns=["unit", "fy", "fy_start", "hn_spend_gbp", "hn_spend_complete", "ehcp_count", "pop_2_18_count",
                 "deflator_index"],
    )


def test_sensitivity_table_rows_and_values():
    panel = sensitivity_panel()
    group = {"U09", "U10", "U11"}
    table = growth.sensitivity_table(
        panel, group, claimed_growth=0.3, measures=["hn_spend", "ehcp"], bases=["cash", "real"],
        denominators=["total", "per_ehcp"], end_fys=["2022-23", "2023-24"], base_fy="2021-22", n_draws=500, seed=0,
    )
    assert list(table.columns) == growth.SENSITIVITY_COLUMNS
    # hn_spend: 2 bases x 2 denominators; ehcp: cash x total only; times 2 end years
    assert len(table) == (4 + 1) * 2
    row = table.query("measure == 'hn_spend' and basis == 'cash' and denominator == 'total' and end_fy == '2023-24'")
    row = row.iloc[0]
    unit_growths = np.array([(1 + 0.02 * i) ** 2 - 1 for i in range(12)])
    assert row["n_units"] == 12 and row["n_group"] == 3
    assert row["group_mean_growth"] == pytest.approx(unit_growths[9:].mean())
    spends = np.array([(100.0 + i) * (1 + 0.02 * i) ** np.array([0, 2]) for i in range(12)])
    assert row["national_growth"] == pytest.approx(spends[:, 1].sum() / spends[:, 0].sum() - 1)
    assert row["claim_percentile_among_units"] == pytest.approx(np.mean(unit_growths <= 0.3))
    means = growth.random_group_means(pd.Series(unit_growths), 3, 500, 0)
    assert row["claim_percentile_among_random_groups"] == pytest.approx(np.mean(means <= 0.3))
    group_mean_share = np.mean(means <= row["group_mean_growth"])
    assert row["group_mean_percentile_among_random_groups"] == pytest.approx(group_mean_share)
    assert bool(row["national_complete"])


@pytest.mark.needs_data
def test_national_growth_on_real_s251_outturn(raw_data):
    from sendlib.readers.s251 import read_s251_outturn, s251_paths

    spend = read_s251_outturn(s251_paths(raw_data)).rename(columns={"la_name": "unit"}).assign(hn_spend_complete=True)
    result = growth.national_growth(spend, "hn_spend", "cash", "total", "2017-18", "2022-23")
    # England sums (data README): 4.40bn -> 7.42bn, +68.5%; LAs reorganised in between are left out
    assert result.n_units == 149
    assert set(result.excluded_units) == {
        "Bournemouth", "Poole", "Bournemouth, Christchurch and Poole", "Northamptonshire",
        "North Northamptonshire", "West Northamptonshire", "Cumberland", "Westmorland and Furness",
    }
    assert result.growth == pytest.approx(7.419 / 4.404 - 1, abs=0.01)
    by_la = growth.unit_growth(spend, "hn_spend", "cash", "total", "2017-18", "2022-23").set_index("unit")
    camden = by_la.loc["Camden"]
    assert camden["value_base"] == 28_845_872 and camden["growth"] == pytest.approx(35_200_616 / 28_845_872 - 1)


# --- Monte Carlo: simulated shares and percentiles with their standard errors -------------------


def test_simulated_share_standard_error_and_bound():
    half = growth.SimulatedShare(0.5, 10000)
    assert half.mc_se == pytest.approx(0.005)  # sqrt(0.25 / 10000)
    small = growth.SimulatedShare(0.006, 20000)
    assert small.mc_se == pytest.approx(np.sqrt(0.006 * 0.994 / 20000))
    none = growth.SimulatedShare(0.0, 20000)
    assert none.mc_se == 0.0 and none.bound_95 == pytest.approx(3 / 20000, rel=0.01)  # the rule of three
    assert np.isnan(growth.SimulatedShare(np.nan, 100).mc_se)


def test_share_at_or_below_counts_the_draws():
    found = growth.share_at_or_below(2.0, [1.0, 2.0, 3.0, np.nan])
    assert found == growth.SimulatedShare(2 / 3, 3)
    with pytest.raises(ValueError, match="draws has no non-missing"):
        growth.share_at_or_below(1.0, [np.nan])


def test_claim_share_among_random_groups_is_the_share_of_random_group_means():
    values = pd.Series(np.random.default_rng(3).normal(0.35, 0.15, 150))
    share = growth.claim_share_among_random_groups(values, 0.25, 10, 5000, seed=11)
    means = growth.random_group_means(values, 10, 5000, seed=11)
    assert share == growth.SimulatedShare(float(np.mean(means <= 0.25)), 5000)
    # another seed moves the share by about its Monte Carlo standard error, not more
    other = growth.claim_share_among_random_groups(values, 0.25, 10, 5000, seed=12)
    assert abs(other.share - share.share) < 5 * share.mc_se


def test_random_subsets_are_cached_read_only_and_distinct_within_a_row():
    first = growth.random_subsets(20, 5, 300, 4)
    assert first is growth.random_subsets(20, 5, 300, 4) and not first.flags.writeable
    assert first.shape == (300, 5) and all(len(set(row)) == 5 for row in first.tolist())
    assert first.min() >= 0 and first.max() <= 19


def test_simulated_quantile_standard_error_matches_the_asymptotic_formula():
    draws = np.random.default_rng(0).normal(0.0, 1.0, 20000)
    found = growth.simulated_quantile(draws, 0.025)
    assert found.q == 0.025 and found.value == pytest.approx(np.quantile(draws, 0.025))
    density = np.exp(-1.96 ** 2 / 2) / np.sqrt(2 * np.pi)  # normal density at the 2.5% quantile
    expected = np.sqrt(0.025 * 0.975 / 20000) / density
    assert found.mc_se == pytest.approx(expected, rel=0.2)
    assert growth.simulated_quantile([1.0] * 50, 0.5).mc_se == 0.0
    with pytest.raises(ValueError, match="q must be between 0 and 1"):
        growth.simulated_quantile(draws, 2.5)


def test_bootstrap_mean_interval_is_bootstrap_mean_ci_with_errors():
    sample = np.random.default_rng(5).normal(10, 2, size=60)
    interval = growth.bootstrap_mean_interval(sample, 4000, seed=2, level=0.9)
    assert (interval.estimate, interval.low.value, interval.high.value) == growth.bootstrap_mean_ci(sample, 4000, 2, 0.9)
    assert (interval.low.q, interval.high.q, interval.level, interval.n_draws) == (pytest.approx(0.05), 0.95, 0.9, 4000)
    assert 0 < interval.low.mc_se < 0.1 and 0 < interval.high.mc_se < 0.1  # the mean's s.e. is 2 / sqrt(60) = 0.26
