import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sendlib.analysis import groups
from sendlib.errors import ValidationError


def membership() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "la_code": ["201", "202", "203", "204", "205"],
            "dbv": [True, False, True, False, False],
            "safety_valve": [True, True, False, False, False],
        }
    )


def test_assign_programme_group_with_the_precedence_rule():
    frame = membership()
    expected = ["safety valve", "safety valve", "DBV", "neither", "neither"]
    assert groups.assign_programme_group(frame).tolist() == expected
    dbv_first = groups.assign_programme_group(frame, both="DBV")
    assert dbv_first.tolist() == ["DBV", "safety valve", "DBV", "neither", "neither"]
    assert dbv_first.name == "programme_group" and dbv_first.index.equals(frame.index)
    with pytest.raises(ValueError, match="both must be"):
        groups.assign_programme_group(frame, both="neither")


def test_missing_membership_flags_are_errors():
    frame = membership().astype({"dbv": "object"})
    frame.loc[0, "dbv"] = None
    with pytest.raises(ValidationError, match=r"\['dbv'\].*missing"):
        groups.assign_programme_group(frame)
    with pytest.raises(ValidationError, match="safety_valve"):
        groups.assign_programme_group(membership().drop(columns="safety_valve"))


def test_group_summary():
    frame = pd.DataFrame({"g": ["a", "a", "a", "b", "b", None], "v": [1.0, 2.0, 6.0, 4.0, np.nan, 100.0]})
    summary = groups.group_summary(frame, "v", "g")
    assert summary["g"].tolist() == ["a", "b"]
    assert summary["n"].tolist() == [3, 1]
    assert summary["mean"].tolist() == [3.0, 4.0]
    assert summary["median"].tolist() == [2.0, 4.0]
    assert summary["sd"].iloc[0] == pytest.approx(np.std([1, 2, 6], ddof=1)) and np.isnan(summary["sd"].iloc[1])


def test_difference_in_means_ci():
    same = groups.difference_in_means_ci([3.0] * 5, [1.0] * 4, n_draws=100, seed=0)
    assert (same.difference, same.low, same.high) == (2.0, 2.0, 2.0) and np.isnan(same.p_value)
    rng = np.random.default_rng(0)
    a, b = rng.normal(1.0, 1.0, 200), rng.normal(0.0, 2.0, 150)
    result = groups.difference_in_means_ci(a, b, n_draws=3000, seed=1)
    assert result.difference == pytest.approx(a.mean() - b.mean())
    assert result.low < result.difference < result.high
    assert result.p_value == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
    assert (result.n_a, result.n_b) == (200, 150)
    assert groups.difference_in_means_ci(a, b, 300, seed=2) == groups.difference_in_means_ci(a, b, 300, seed=2)
    assert np.isnan(groups.difference_in_means_ci([1.0], [2.0, 3.0], 10, seed=0).p_value)
    with pytest.raises(ValueError, match="a has no non-missing"):
        groups.difference_in_means_ci([np.nan], [1.0], 10, seed=0)


def test_count_programme_membership_against_claims():
    table = groups.count_programme_membership(membership(), total_las=10).set_index("item")
    assert table.index.tolist() == ["dbv", "safety_valve", "either", "both", "total_las", "share_either_pct"]
    assert table["ours"].tolist() == [2.0, 2.0, 3.0, 1.0, 10.0, 30.0]
    assert table.loc["dbv", "claimed"] == 55 and table.loc["dbv", "shortfall"] == 53
    assert table.loc["share_either_pct", "claimed"] == 58.6
    assert np.isnan(table.loc["both", "claimed"]) and np.isnan(table.loc["both", "shortfall"])
    default_total = groups.count_programme_membership(membership()).set_index("item")
    assert default_total.loc["total_las", "ours"] == 5


def test_published_claims_are_consistent():
    claimed = groups.CLAIMED_MEMBERSHIP
    assert claimed["dbv"] + claimed["safety_valve"] == claimed["either"]
    assert round(100 * claimed["either"] / claimed["total_las"], 1) == claimed["share_either_pct"]


def test_count_programme_membership_rejects_duplicated_las():
    frame = pd.concat([membership(), membership().iloc[[1]]])
    with pytest.raises(ValidationError, match="202"):
        groups.count_programme_membership(frame)
