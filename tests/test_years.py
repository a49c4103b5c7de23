import pytest

from sendlib import years


def test_fy_labels_round_trip():
    assert years.fy_label(2021) == "2021-22"
    assert years.fy_label(1999) == "1999-00"
    assert years.fy_start("2021-22") == 2021
    assert years.fy_range("2018-19", "2020-21") == ["2018-19", "2019-20", "2020-21"]


@pytest.mark.parametrize("bad", ["2021", "2021-23", "21-22", "2021/22", ""])
def test_bad_fy_label_is_named(bad):
    with pytest.raises(ValueError, match="YYYY-YY"):
        years.fy_start(bad)


def test_pairing_of_fy_with_january_and_midyear():
    assert years.january_for_fy("2021-22") == 2022
    assert years.fy_for_january(2022) == "2021-22"
    assert years.midyear_for_fy("2021-22") == 2021


def test_pairing_of_fy_with_calendar_year_flows():
    assert years.fy_for_calendar_year(2022) == "2022-23"
    assert years.calendar_year_for_fy("2022-23") == 2022
    assert years.calendar_year_for_fy(years.fy_for_calendar_year(1999)) == 1999
    # the same FY takes January 2023's plans in force and calendar 2022's new plans
    assert years.january_for_fy("2022-23") == years.calendar_year_for_fy("2022-23") + 1
    with pytest.raises(ValueError, match="YYYY-YY"):
        years.calendar_year_for_fy("2022")


def test_dfe_time_period_to_fy():
    assert years.fy_from_time_period(201920) == "2019-20"
    assert years.fy_from_time_period("202122") == "2021-22"
    with pytest.raises(ValueError, match="YYYYyy"):
        years.fy_from_time_period("201922")
