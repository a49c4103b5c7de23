import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from sendlib.present import plots  # noqa: E402
from sendlib.analysis import groups  # noqa: E402
from sendlib.analysis import programme_groups as pg  # noqa: E402
from sendlib.errors import ParameterError  # noqa: E402

FYS = ["2019-20", "2020-21", "2021-22"]
DEFLATOR = {"2019-20": 90.0, "2020-21": 95.0, "2021-22": 100.0}
# unit: (dbv, safety_valve, spend per FY, allocation after deductions per FY, DSG balance % per FY,
#        EHC plans per FY, population 0-25 per FY)
UNITS = {
    "u1": (False, True, [100, 120, 150], [90, 100, 110], [4.0, 5.0, 6.0], [10, 12, 15], [1000, 1000, 1000]),
    "u2": (True, True, [200, 230, 260], [210, 220, 230], [2.0, 3.0, 8.0], [20, 22, 31], [2000, 2000, 2000]),
    "u3": (True, False, [100, 110, 120], [100, 110, 120], [1.0, 1.5, 2.0], [10, 11, 11], [1000, 1000, 1000]),
    "u4": (True, False, [50, 60, 70], [60, 65, 60], [0.5, 1.0, 3.0], [5, 6, 8], [500, 500, 500]),
    "u5": (False, False, [100, 105, 110], [120, 125, 130], [-1.0, -1.0, -2.0], [10, 10, 12], [1000, 1000, 1000]),
    "u6": (False, False, [80, 84, 89], [100, np.nan, 100], [-2.0, 0.0, 1.0], [8, 9, 10], [800, 800, np.nan]),
}


def mini_panel() -> pd.DataFrame:
    rows = []
    for unit, (dbv, sv, spend, allocation, balance, plans, population) in UNITS.items():
        for i, fy in enumerate(FYS):
            rows.append({
                "unit": unit, "unit_name": unit.upper(), "fy": fy, "fy_start": 2019 + i, "dbv": dbv,
                "safety_valve": sv, "hn_spend_gbp": float(spend[i]), "hn_spend_complete": True,
                "hnb_after_deductions_gbp": float(allocation[i]), "dsg_balance_pct": balance[i],
                "ehcp_count": float(plans[i]), "pop_0_25_count": float(population[i]),
                "pop_2_18_count": float(population[i]) / 2, "deflator_index": DEFLATOR[fy],
            })  # fmt: skip
    panel = pd.DataFrame(rows)
    panel["hn_spend_real_gbp"] = panel["hn_spend_gbp"] / panel["deflator_index"] * 100
    return panel


@pytest.fixture
def panel() -> pd.DataFrame:
    return mini_panel()


def group_parameters(base_fy: str, end_fy: str, both_rule: str, n_draws: int, level: float) -> dict:
    return {"base_fy": base_fy, "end_fy": end_fy, "both_rule": both_rule, "n_draws": n_draws, "level": level}


@pytest.fixture
def years(panel: pd.DataFrame) -> pg.GroupYears:
    return pg.check_group_parameters(panel, group_parameters("2019-20", "2021-22", groups.SAFETY_VALVE, 100, 0.9))


def test_group_years(panel: pd.DataFrame, years: pg.GroupYears):
    assert years == pg.GroupYears("2019-20", "2021-22", tuple(FYS), ("2019-20", "2021-22"), "2021-22")
    # u6 lacks 2021-22 population but others have it; without any, fall back to the latest FY with population.
    no_population = panel.assign(pop_0_25_count=panel["pop_0_25_count"].where(panel["fy"] != "2021-22"))
    assert pg.group_years(no_population, "2019-20", "2021-22").per_head_fy == "2020-21"


def test_unit_group_measures_against_hand_calculations(panel: pd.DataFrame, years: pg.GroupYears):
    table = pg.unit_group_measures(panel, years).set_index("unit")
    assert table.columns.tolist() == ["unit_name", "programme_group", *pg.unit_measure_columns(years)]
    assert table["programme_group"].tolist() == ["safety valve", "safety valve", "DBV", "DBV", "neither", "neither"]
    assert table.loc["u1", "spend_growth_cash_pct"] == pytest.approx(50.0)
    assert table.loc["u1", "spend_growth_real_pct"] == pytest.approx((150 / 100 * 90 / 100 - 1) * 100)
    # u1: block 300, spend 370 over three years.
    assert table.loc["u1", "hnb_minus_spend_gbp"] == pytest.approx((300 - 370) / 3)
    assert table.loc["u1", "spend_to_hnb_pct"] == pytest.approx(100 * 370 / 300)
    assert np.isnan(table.loc["u6", "spend_to_hnb_pct"]) and np.isnan(table.loc["u6", "hnb_minus_spend_gbp"])
    assert table.loc["u2", "dsg_balance_2019_20_pct"] == 2.0 and table.loc["u2", "dsg_balance_2021_22_pct"] == 8.0
    assert table.loc["u2", "ehcp_growth_pct"] == pytest.approx(55.0)
    assert table.loc["u4", "ehcp_per_10k_0_25"] == pytest.approx(8 / 500 * 1e4)
    assert np.isnan(table.loc["u6", "ehcp_per_10k_0_25"])


def test_both_rule_moves_units_in_both(panel: pd.DataFrame):
    assert pg.unit_groups(panel, groups.DBV)["programme_group"].tolist()[:2] == ["safety valve", "DBV"]


def test_incomplete_spend_is_left_out(panel: pd.DataFrame, years: pg.GroupYears):
    panel.loc[(panel["unit"] == "u3") & (panel["fy"] == "2020-21"), "hn_spend_complete"] = False
    table = pg.unit_group_measures(panel, years).set_index("unit")
    assert table.loc["u3", "spend_growth_cash_pct"] == pytest.approx(20.0)  # base and end are complete
    assert np.isnan(table.loc["u3", "spend_to_hnb_pct"])


def test_check_group_parameters_lists_every_problem(panel: pd.DataFrame):
    with pytest.raises(ParameterError) as error:
        pg.check_group_parameters(panel, group_parameters("2021-22", "2019-20", "both", 0, 1.5))
    message = str(error.value)
    for text in ("both_rule must be 'safety valve' or 'DBV'", "end_fy '2019-20' must come after base_fy '2021-22'",
                 "n_draws must be at least 1", "level must be between 0 and 1"):
        assert text in message
    with pytest.raises(ParameterError, match=r"end_fy '2030-31' is not a year of the panel \(2019-20 to 2021-22\)"):
        pg.check_group_parameters(panel, group_parameters("2019-20", "2030-31", groups.SAFETY_VALVE, 10, 0.95))
    no_spend = panel.assign(hn_spend_gbp=panel["hn_spend_gbp"].where(panel["fy"] != "2019-20"))
    with pytest.raises(ParameterError, match="no high-needs spend data for 2019-20"):
        pg.check_group_parameters(no_spend, group_parameters("2019-20", "2021-22", groups.SAFETY_VALVE, 10, 0.95))
    no_population = panel.assign(pop_0_25_count=np.nan)
    with pytest.raises(ParameterError, match="no population data up to end_fy"):
        pg.check_group_parameters(no_population, group_parameters("2019-20", "2021-22", groups.SAFETY_VALVE, 10, 0.95))


def test_group_summaries_and_differences(panel: pd.DataFrame, years: pg.GroupYears):
    units = pg.unit_group_measures(panel, years)
    measures = ["spend_growth_cash_pct", "spend_to_hnb_pct"]
    summary = pg.group_summaries(units, measures)
    assert summary[["measure", "programme_group"]].values.tolist() == [
        [m, g] for m in measures for g in groups.PROGRAMME_GROUPS
    ]
    neither = summary[(summary["measure"] == "spend_to_hnb_pct") & (summary["programme_group"] == "neither")].iloc[0]
    assert neither["n"] == 1 and neither["mean"] == pytest.approx(100 * 315 / 375)

    differences = pg.group_differences(units, measures, n_draws=200, seed=7, level=0.9)
    assert differences.columns.tolist() == pg.DIFFERENCE_COLUMNS
    assert len(differences) == 6 and differences["seed"].tolist() == list(range(7, 13))
    first = differences.iloc[0]
    growth = units.set_index("unit")["spend_growth_cash_pct"]
    expected = groups.difference_in_means_ci(growth[["u1", "u2"]], growth[["u5", "u6"]], 200, 7, 0.9)
    assert (first["group_a"], first["group_b"]) == ("safety valve", "neither")
    assert first["difference"] == pytest.approx(np.mean([50, 30]) - np.mean([10, 100 * 9 / 80]))
    found = (first["low"], first["high"], first["p_value"])
    assert found == pytest.approx((expected.low, expected.high, expected.p_value))


def test_group_differences_skip_an_empty_group(panel: pd.DataFrame, years: pg.GroupYears):
    units = pg.unit_group_measures(panel, years)
    units.loc[units["programme_group"] == "DBV", "spend_to_hnb_pct"] = np.nan
    differences = pg.group_differences(units, ["spend_to_hnb_pct"], n_draws=50, seed=1)
    assert differences[["group_a", "group_b"]].values.tolist() == [["safety valve", "neither"]]


def test_yearly_measures_medians_and_totals(panel: pd.DataFrame):
    yearly = pg.yearly_unit_measures(panel)
    assert yearly.columns.tolist() == ["unit", "fy", "programme_group", *pg.YEARLY_MEASURES]
    u4 = yearly[(yearly["unit"] == "u4") & (yearly["fy"] == "2021-22")].iloc[0]
    assert u4["spend_to_hnb_pct"] == pytest.approx(100 * 70 / 60) and u4["hnb_minus_spend_gbp"] == -10
    assert u4["hn_spend_real_per_head_2_18_gbp"] == pytest.approx(70 / 250)
    medians = pg.group_medians_by_year(yearly, ["dsg_balance_pct"])
    sv = medians[(medians["programme_group"] == "safety valve") & (medians["fy"] == "2021-22")].iloc[0]
    assert (sv["n"], sv["median"]) == (2, 7.0)
    totals = pg.group_totals_by_year(yearly, "hnb_minus_spend_gbp").set_index(["programme_group", "fy"])
    assert totals.loc[("neither", "2020-21"), "n"] == 1 and totals.loc[("neither", "2020-21"), "total"] == 20
    assert totals.loc[("DBV", "2019-20"), "total"] == (100 - 100) + (60 - 50)


def test_results_dictionaries(panel: pd.DataFrame, years: pg.GroupYears):
    units = pg.unit_group_measures(panel, years)
    summary = pg.summary_results(pg.group_summaries(units, ["ehcp_growth_pct"]))
    assert list(summary) == ["ehcp_growth_pct"] and list(summary["ehcp_growth_pct"]) == list(groups.PROGRAMME_GROUPS)
    assert summary["ehcp_growth_pct"]["DBV"] == {"n": 2, "mean": pytest.approx(35.0), "median": pytest.approx(35.0),
                                                 "sd": pytest.approx(np.std([10.0, 60.0], ddof=1))}
    differences = pg.difference_results(pg.group_differences(units, ["ehcp_growth_pct"], 50, 3))
    assert list(differences["ehcp_growth_pct"]) == ["safety valve minus neither", "DBV minus neither",
                                                    "safety valve minus DBV"]
    assert differences["ehcp_growth_pct"]["DBV minus neither"]["n_a"] == 2
    assert differences["ehcp_growth_pct"]["DBV minus neither"]["high_mc_se"] >= 0
    assert pg.years_results(years) == {"allocation_fys": FYS, "dsg_fys": ["2019-20", "2021-22"], "per_head_fy": "2021-22"}


# --- membership ---------------------------------------------------------------------------------

NaT = pd.NaT
LAS = [
    ("202", "Camden", "2009-01-01", NaT, "202"),
    ("886", "Kent", "2009-01-01", NaT, "886"),
    ("909", "Cumbria", "2009-01-01", "2023-03-31", "cumbria"),
    ("942", "Cumberland", "2023-04-01", NaT, "cumbria"),
    ("943", "Westmorland and Furness", "2023-04-01", NaT, "cumbria"),
]
# la_code, la_name, programme, group, start (invited, else signed), signed
PROGRAMMES = [
    ("942", "Cumberland", "delivering_better_value", "tranche 1", "2022-06-23", NaT),
    ("943", "Westmorland and Furness", "delivering_better_value", "tranche 1", "2022-06-23", NaT),
    ("886", "Kent", "delivering_better_value", "tranche 3 (inferred)", "2022-06-23", NaT),
    ("886", "Kent", "safety_valve", "2022-23", "2022-03-31", "2022-03-31"),
    ("202", "Camden", "safety_valve", "2022-23 (inferred)", "2022-06-23", "2023-03-31"),
]


@pytest.fixture
def lookup() -> pd.DataFrame:
    frame = pd.DataFrame(LAS, columns=["la_code", "la_name", "start_date", "end_date", "unit"])
    return frame.assign(start_date=pd.to_datetime(frame["start_date"]), end_date=pd.to_datetime(frame["end_date"]),
                        unit_name=frame["unit"].str.title())


@pytest.fixture
def programmes() -> pd.DataFrame:
    frame = pd.DataFrame(PROGRAMMES, columns=["la_code", "la_name", "programme", "group", "start", "signed"])
    return frame.assign(amount_gbp=np.nan, confidence="medium", note="", source="", start=pd.to_datetime(frame["start"]),
                        signed=pd.to_datetime(frame["signed"]))


def test_membership_on_counts_councils_as_they_were(programmes: pd.DataFrame, lookup: pd.DataFrame):
    members = pg.membership_on(programmes, lookup)
    assert members["la_code"].tolist() == ["202", "886", "909"]
    assert members.set_index("la_code")["dbv"].to_dict() == {"202": False, "886": True, "909": True}
    counts = groups.count_programme_membership(members).set_index("item")["ours"]
    assert counts.to_dict() == {"dbv": 2, "safety_valve": 2, "either": 3, "both": 1, "total_las": 3,
                                "share_either_pct": 100.0}
    later = pg.membership_on(programmes, lookup, "2024-01-01")
    assert later["la_code"].tolist() == ["202", "886", "942", "943"]
    earlier = pg.membership_on(programmes, lookup, "2022-05-01").set_index("la_code")
    assert earlier["safety_valve"].to_dict() == {"202": False, "886": True, "909": False} and not earlier["dbv"].any()


def counts_table(claimed: list[float], known: list[float], as_at: str = "2022-06-23") -> pd.DataFrame:
    from sendlib.programmes import COUNT_ITEMS
    return pd.DataFrame({"as_at": pd.Timestamp(as_at), "item": COUNT_ITEMS, "claimed": claimed, "known": known,
                         "claimed_as_at": pd.Timestamp(as_at)})


def test_panel_as_at_replaces_membership(lookup: pd.DataFrame, programmes: pd.DataFrame):
    panel = pd.DataFrame({"unit": ["202", "886", "cumbria"], "fy": "2021-22", "dbv": True, "safety_valve": True})
    early = pg.panel_as_at(panel, programmes, lookup, "2022-05-01").set_index("unit")
    assert early["dbv"].tolist() == [False, False, False] and early["safety_valve"].tolist() == [False, True, False]


def test_members_by_group_and_inferred_members(programmes: pd.DataFrame, lookup: pd.DataFrame):
    members = pg.membership_on(programmes, lookup)
    by_year = pg.members_by_group(members, "safety_valve_year")
    assert by_year.to_dict("records") == [
        {"group": "2022-23", "n_councils": 2, "n_inferred": 1, "councils": "Camden*; Kent"}
    ]
    by_tranche = pg.members_by_group(members, "dbv_tranche")
    counts = by_tranche[["group", "n_councils", "n_inferred"]].values.tolist()
    assert counts == [["tranche 1", 1, 0], ["tranche 3", 1, 1]]
    inferred = pg.inferred_members(programmes, "delivering_better_value")
    assert inferred[["la_code", "group"]].values.tolist() == [["886", "tranche 3 (inferred)"]]


def test_box_strip_by_group_draws_every_group():
    frame = pd.DataFrame({"group": ["a", "a", "b", "c", "c", "c"], "value": [1.0, 2.0, 3.0, 4.0, np.nan, 6.0]})
    fig = plots.box_strip_by_group(frame, "value", "group", ["a", "b", "c"], title="t", ylabel="y", reference=0)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a\n(n = 2)", "b\n(n = 1)", "c\n(n = 2)"]
    assert sum(len(c.get_offsets()) for c in ax.collections) == 5
    matplotlib.pyplot.close(fig)
