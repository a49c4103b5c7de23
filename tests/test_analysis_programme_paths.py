"""A programme council's paths before and after entry against its statistical neighbours in no
programme (sendlib.analysis.programme_paths), on hand-made frames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sendlib.analysis import profile
from sendlib.analysis import programme_paths as pp

NAN = float("nan")
YEARS = [2019, 2020, 2021, 2022, 2023]


def path_frame() -> pd.DataFrame:
    """Spending per head (money) and the mainstream share of council t and neighbours n1, n2, n3
    (n3 has no spending), 2019-20 to 2023-24; t enters in 2022 (2022-23)."""
    spend = {"t": [100, 110, 121, 127.05, 133.4025], "n1": [100, 105, 110.25, 121.275, 133.4025],
             "n2": [200, 210, 220.5, 242.55, 266.805], "n3": [NAN] * 5}
    share = {"t": [0.30, 0.32, 0.34, 0.35, 0.36], "n1": [0.40, 0.40, 0.40, 0.42, 0.44],
             "n2": [0.50, 0.50, 0.50, 0.52, 0.54], "n3": [0.20, NAN, 0.20, 0.20, 0.20]}
    rows = [(unit, year, f"{year}-{str(year + 1)[2:]}", spend[unit][i], share[unit][i])
            for unit in spend for i, year in enumerate(YEARS)]
    return pd.DataFrame(rows, columns=["unit", "time", "fy", "hn_spend_per_head_2_18", "mainstream_share"])


def test_paths_are_the_council_and_its_neighbours_mean_each_year():
    lines = pp.paths(path_frame(), "t", ["n1", "n2", "n3", "outside"]).set_index(["outcome", "fy"])
    spend = lines.loc[("hn_spend_per_head_2_18", "2019-20")]
    assert (spend["council"], spend["neighbours"], spend["n_neighbours"]) == (100, 150, 2)  # n3 has no spending
    share = lines.loc[("mainstream_share", "2020-21")]
    assert share["neighbours"] == pytest.approx(0.45) and share["n_neighbours"] == 2  # n3 missing that year
    assert lines.loc[("mainstream_share", "2019-20"), "n_neighbours"] == 3
    assert (spend["kind"], lines.loc[("mainstream_share", "2019-20"), "kind"]) == ("money", "share")
    assert lines.loc[("hn_spend_per_head_2_18", "2023-24"), "time"] == 2023


def test_growth_before_and_after_entry_by_hand():
    table = pp.growth_table(path_frame(), "t", 2022, ["n1", "n2", "n3"]).set_index("outcome")
    spend = table.loc["hn_spend_per_head_2_18"]
    assert (spend["before"], spend["after"]) == ("2019-20 to 2021-22", "2021-22 to 2023-24")
    assert spend["council_before"] == pytest.approx(math.log(1.1))  # 10% a year to 2021-22
    assert spend["council_after"] == pytest.approx(math.log(1.05))  # then 5% a year
    assert spend["neighbours_before"] == pytest.approx(math.log(1.05)) and spend["n_neighbours"] == 2
    assert spend["neighbours_after"] == pytest.approx(math.log(1.1))
    assert spend["difference"] == pytest.approx(2 * (math.log(1.05) - math.log(1.1)))  # slowed against faster
    share = table.loc["mainstream_share"]
    assert share["council_before"] == pytest.approx(0.02) and share["council_after"] == pytest.approx(0.01)
    assert share["neighbours_before"] == pytest.approx(0.0) and share["neighbours_after"] == pytest.approx(0.04 / 3)
    assert share["n_neighbours"] == 3 and share["difference"] == pytest.approx(-0.01 - 0.04 / 3)


def test_growth_without_years_before_entry_is_missing():
    table = pp.growth_table(path_frame(), "t", 2020, ["n1"]).set_index("outcome")
    assert table.loc["mainstream_share", "before"] == "" and math.isnan(table.loc["mainstream_share", "difference"])
    assert table.loc["mainstream_share", "after"] == "2019-20 to 2023-24"


def test_figure_frame_shows_shares_in_percent_with_units_in_the_titles():
    lines = pp.paths(path_frame(), "t", ["n1"])
    figure = pp.figure_frame(lines, "Kent", "Neighbours")
    assert set(figure["series"]) == {"Kent", "Neighbours"} and len(figure) == 2 * len(lines)
    share = figure[figure["measure"].str.endswith("(%)")]
    assert share["value"].max() == pytest.approx(44.0) and len(share) == 10
    assert figure["measure"].str.endswith("(£)").sum() == 10


CODES = ["101", "102", "103", "104", "105"]


def programme_rows() -> pd.DataFrame:
    """101: DBV (invited 23 June 2022), then a safety-valve agreement in 2023-24; 103: safety valve 2020-21."""
    day = pd.Timestamp
    return pd.DataFrame({"la_code": ["101", "101", "103"], "programme": ["delivering_better_value", "safety_valve",
                                                                         "safety_valve"],
                         "group": ["tranche 1", "2023-24", "2020-21"], "invited": [day("2022-06-23"), pd.NaT, pd.NaT],
                         "signed": [pd.NaT, day("2024-03-31"), day("2021-03-31")],
                         "start": [day("2022-06-23"), day("2024-03-31"), day("2021-03-31")]})


def lookup() -> pd.DataFrame:
    return pd.DataFrame({"la_code": CODES, "la_name": [f"Council {c}" for c in CODES], "unit": CODES,
                         "unit_name": [f"Council {c}" for c in CODES], "end_date": [pd.NaT] * 5})


def neighbours() -> pd.DataFrame:
    """101's neighbours in the 2025 model: 103, 104, 105."""
    return pd.DataFrame({"model": "2025", "la_code": "101", "rank": [1, 2, 3],
                         "neighbour_la_code": ["103", "104", "105"], "closeness": "close"})


def test_programme_entry_takes_the_first_programme_and_neighbours_in_none():
    rows, codes = programme_rows(), CODES
    entry = pp.programme_entry(rows, lookup(), neighbours(), codes, "101", "2025")
    assert (entry.programme, entry.entry_fy, entry.entry) == ("dbv", "2022-23", 2022)  # DBV first, valve later
    assert entry.neighbours == ("103", "104", "105") and entry.comparison_neighbours == ("104", "105")
    assert pp.programme_entry(rows, lookup(), neighbours(), codes, "102", "2025") is None
    valve = pp.programme_entry(rows, lookup(), neighbours(), codes, "103", "2025")  # no row in the model
    assert (valve.programme, valve.entry_fy, valve.neighbours) == ("safety_valve", "2020-21", ())
    assert np.isnan(pp.growth_table(path_frame(), "t", 2022, []).loc[0, "neighbours_before"])


def profile_panel() -> pd.DataFrame:
    """Units 101-105, FY2019-20 to 2023-24: spending per head (1,000 aged 2-18) as path_frame's t for
    101 and n1 for 104 and 105 (102 and 103 as n2); every SEN2 count constant."""
    spend = {"101": path_frame().query("unit == 't'")["hn_spend_per_head_2_18"].tolist(),
             "104": path_frame().query("unit == 'n1'")["hn_spend_per_head_2_18"].tolist()}
    rows = []
    for unit in CODES:
        per_head = spend.get(unit, spend["104"] if unit == "105" else [200.0] * 5)
        for i, year in enumerate(YEARS):
            rows.append({"unit": unit, "unit_name": f"Council {unit}", "fy": f"{year}-{str(year + 1)[2:]}",
                         "hn_spend_gbp": 1000 * per_head[i], "pop_2_18_count": 1000.0, "hn_spend_complete": True,
                         "deflator_index": 100.0, "ehcp_count": 100.0, "pop_0_25_count": 10_000.0,
                         "new_plans_count": 10.0, "ehcp_mainstream_count": 40.0,
                         "ehcp_special_independent_count": 5.0, "issued_ex_count": 10.0,
                         "issued_20wk_ex_count": 5.0})
    return pd.DataFrame(rows)


def inputs() -> profile.ProfileInputs:
    return profile.ProfileInputs(profile_panel(), lookup(), neighbours(), programme_rows())


def test_council_paths_of_a_programme_council_against_its_neighbours_in_no_programme():
    found = pp.council_paths(inputs(), "101", "2025", "2023-24")
    assert found.entry.comparison_neighbours == ("104", "105")
    assert set(found.lines["outcome"]) == set(pp.PATH_OUTCOMES) and (found.lines["n_neighbours"] == 2).all()
    spend = found.growth.set_index("outcome").loc["hn_spend_per_head_2_18"]
    assert spend["council_before"] == pytest.approx(math.log(1.1)) and spend["council_after"] == pytest.approx(
        math.log(1.05))
    assert spend["neighbours_before"] == pytest.approx(math.log(1.05))
    assert spend["difference"] == pytest.approx(2 * (math.log(1.05) - math.log(1.1)))
    results = found.results()
    assert (results["programme"], results["entry_fy"]) == ("dbv", "2022-23")
    assert results["neighbour_units"] == ["103", "104", "105"] and results["comparison_units"] == ["104", "105"]
    assert results["growth"]["hn_spend_per_head_2_18"]["difference"] == pytest.approx(spend["difference"])
    assert "label" not in results["growth"]["mainstream_share"]
    assert pp.council_paths(inputs(), "101", "2025", "2021-22").lines["fy"].max() == "2021-22"  # to last_fy


def test_council_paths_outside_a_programme_are_empty_and_results_none():
    found = pp.council_paths(inputs(), "102", "2025", "2023-24")
    assert found.entry is None and found.lines.empty and found.growth.empty
    assert list(found.lines.columns) == pp.PATH_COLUMNS and found.results() is None
