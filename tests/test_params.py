"""Notebook parameters: the tagged cell, command-line and YAML values, validation rules."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from sendlib import config
from sendlib.errors import ParameterError, SourceFormatError, suggestion
from sendlib.param_rules import panel_fys
from sendlib.params import Parameter, load_parameter_file, notebook_parameters, parse_cli_value, validate_parameters

PARAMETERS = '''output_dir = ""  # set by the runner
# a full-line comment is allowed
la = "202"  # council code or name
n_draws = 1000  # bootstrap draws
level = 0.95
verbose = False  # print more
groups = [  # programme groups
    "dbv",
    "safety valve",
]
years = [2019, 2020]
weights = {"a": 1.0}
case_study = None  # councils, default all
start_fy = "2018-19"  # first year
measure = "hn_spend"
scale = 1.5  # a number without a declared range
'''


def write_notebook(folder: Path, parameters: str, *, tagged: bool = True, code_first: str | None = None,
                   name: str = "nb.ipynb") -> Path:
    """A notebook whose first code cell holds ``parameters`` (optionally preceded by ``code_first``)."""
    notebook = new_notebook()
    cells = [new_markdown_cell("# Title")]
    if code_first is not None:
        cells.append(new_code_cell(code_first))
    cells.append(new_code_cell(parameters, metadata={"tags": ["parameters"]} if tagged else {}))
    cells.append(new_code_cell("print(la)"))
    notebook.cells = cells
    path = folder / name
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    return write_notebook(tmp_path, PARAMETERS)


@pytest.fixture
def fake_geography(monkeypatch: pytest.MonkeyPatch) -> None:
    """sendlib.geography replaced by a tiny resolver (Camden 202, Kent 886)."""
    known = {"202": "202", "camden": "202", "e09000007": "202", "886": "886", "kent": "886"}

    def resolve_la(query: str, lookup: object = None) -> str:
        try:
            return known[query.strip().lower()]
        except KeyError:
            raise ParameterError(f"no council {query!r}{suggestion(query.lower(), list(known))}") from None

    module = types.ModuleType("sendlib.geography")
    module.resolve_la = resolve_la
    monkeypatch.setitem(sys.modules, "sendlib.geography", module)


@pytest.fixture
def fake_measures(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("sendlib.analysis.measures")
    module.MEASURES = {"hn_spend": "hn_spend_gbp", "ehcp": "ehcp_count"}
    module.BASES = ("cash", "real")
    module.DENOMINATORS = ("total", "per_head_2_18")
    monkeypatch.setitem(sys.modules, "sendlib.analysis.measures", module)


@pytest.fixture(autouse=True)
def no_panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data folder: no panel unless a test writes one."""
    data = tmp_path / "data"
    monkeypatch.setenv("SENDLIB_DATA_DIR", str(data))
    return data


def write_panel(data: Path, fys: list[str]) -> None:
    (data / "processed").mkdir(parents=True)
    pd.DataFrame({"unit": ["202"] * len(fys), "fy": fys}).to_parquet(data / "processed" / "panel.parquet")


# --- notebook_parameters ----------------------------------------------------------------------


def test_parameters_are_read_with_defaults_types_comments_and_lines(notebook: Path) -> None:
    params = notebook_parameters(notebook)
    assert list(params) == [
        "output_dir", "la", "n_draws", "level", "verbose", "groups", "years", "weights", "case_study",
        "start_fy", "measure", "scale",
    ]
    assert params["la"] == Parameter("la", "202", "str", "council code or name", 3)
    assert params["n_draws"].default == 1000 and params["n_draws"].type_name == "int"
    assert params["level"] == Parameter("level", 0.95, "float", "", 5)
    assert params["verbose"].type_name == "bool"
    assert params["groups"] == Parameter("groups", ["dbv", "safety valve"], "list of str", "programme groups", 7)
    assert params["years"].type_name == "list of int"
    assert params["weights"].type_name == "dict"
    assert params["case_study"].type_name == "None"
    assert params["case_study"].comment == "councils, default all"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('output_dir = ""\nimport pandas as pd', r"line 2: expected `name = <literal>`, found `import pandas as pd`"),
        ('output_dir = ""\nn = len("abc")', r"line 2: the value of 'n' is not a literal"),
        ('output_dir = ""\npair = (1, 2)', r"line 2: 'pair' is a tuple"),
        ('output_dir = ""\na = b = 1', r"line 2: expected `name = <literal>`"),
        ('output_dir = ""\nn: int = 3', r"line 2: expected `name = <literal>`"),
        ('output_dir = ""\nn = 1\nn = 2', r"line 3: 'n' is assigned twice"),
        ('output_dir = ""\n%matplotlib inline', r"line 2: not valid Python"),
        ('output_dir = ""\nprint(1)', r"line 2: expected `name = <literal>`, found `print\(1\)`"),
    ],
)
def test_parameters_cell_errors_name_notebook_and_line(tmp_path: Path, source: str, expected: str) -> None:
    path = write_notebook(tmp_path, source)
    with pytest.raises(ParameterError, match=expected) as info:
        notebook_parameters(path)
    assert str(path) in str(info.value)


def test_untagged_parameters_cell_is_an_error(tmp_path: Path) -> None:
    path = write_notebook(tmp_path, 'output_dir = ""', tagged=False)
    with pytest.raises(ParameterError, match="first code cell must be tagged 'parameters'"):
        notebook_parameters(path)


def test_code_before_the_parameters_cell_is_an_error(tmp_path: Path) -> None:
    path = write_notebook(tmp_path, 'output_dir = ""', code_first="import pandas")
    with pytest.raises(ParameterError, match="first code cell must be tagged"):
        notebook_parameters(path)


def test_missing_notebook(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="notebook not found"):
        notebook_parameters(tmp_path / "absent.ipynb")


def test_corrupted_notebook(tmp_path: Path, notebook: Path) -> None:
    notebook.write_text(notebook.read_text()[:50], encoding="utf-8")
    with pytest.raises(ParameterError, match="not a readable notebook"):
        notebook_parameters(notebook)


# --- parameter files and command-line values --------------------------------------------------


def test_parameter_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("la: Camden\nn_draws: 50\nstart_fy: 2019-20\ngroups: [dbv]\n", encoding="utf-8")
    assert load_parameter_file(path) == {"la": "Camden", "n_draws": 50, "start_fy": "2019-20", "groups": ["dbv"]}


def test_empty_parameter_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("# nothing\n", encoding="utf-8")
    assert load_parameter_file(path) == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("- a\n- b\n", "expected a mapping"), ("la: [unclosed\n", "not a valid YAML file")],
)
def test_bad_parameter_file(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParameterError, match=expected):
        load_parameter_file(path)


def test_missing_parameter_file(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="parameter file not found"):
        load_parameter_file(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("la", "Camden", "Camden"),
        ("la", "202", "202"),
        ("n_draws", " 250 ", 250),
        ("level", "0.9", 0.9),
        ("level", "1", 1.0),
        ("verbose", "Yes", True),
        ("verbose", "false", False),
        ("groups", "dbv, neither", ["dbv", "neither"]),
        ("groups", "[dbv, 202]", ["dbv", "202"]),
        ("groups", "[]", []),
        ("years", "2019,2021", [2019, 2021]),
        ("years", "[2019, 2021]", [2019, 2021]),
        ("weights", '{"a": 2, "b": 0.5}', {"a": 2, "b": 0.5}),
        ("case_study", "[Camden, Kent]", ["Camden", "Kent"]),
        ("case_study", "null", None),
    ],
)
def test_cli_values_take_the_type_of_the_default(notebook: Path, name: str, text: str, expected: object) -> None:
    value = parse_cli_value(text, notebook_parameters(notebook)[name])
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("n_draws", "many", "expected an integer"),
        ("level", "high", "expected a number"),
        ("verbose", "maybe", "expected true or false"),
        ("years", "2019,later", "expected an integer"),
        ("weights", "[1, 2]", "expected a dict"),
        ("groups", "[unclosed", "not a valid YAML/JSON value"),
    ],
)
def test_bad_cli_values(notebook: Path, name: str, text: str, expected: str) -> None:
    with pytest.raises(ParameterError, match=rf"-p {name} .*{expected}"):
        parse_cli_value(text, notebook_parameters(notebook)[name])


# --- validation -------------------------------------------------------------------------------


def test_unknown_parameter_suggests_the_closest(notebook: Path) -> None:
    with pytest.raises(ParameterError, match=r"nb: unknown parameter 'n_draw' \(did you mean 'n_draws'\?\)"):
        validate_parameters(notebook, {"n_draw": 10})


def test_wrong_type(notebook: Path) -> None:
    with pytest.raises(ParameterError, match=r"'n_draws' expects int \(default 1000\), got str 'many'"):
        validate_parameters(notebook, {"n_draws": "many"})


@pytest.mark.parametrize(
    ("name", "value"),
    [("verbose", 1), ("n_draws", True), ("n_draws", 2.5), ("years", ["2019"]), ("groups", "dbv"), ("weights", [1])],
)
def test_more_wrong_types(notebook: Path, name: str, value: object) -> None:
    with pytest.raises(ParameterError, match=f"'{name}' expects"):
        validate_parameters(notebook, {name: value})


def test_int_is_accepted_for_float_and_none_default_accepts_anything(notebook: Path) -> None:
    validated = validate_parameters(notebook, {"scale": 1, "n_draws": 10, "weights": {"b": 2}})
    assert validated == {"scale": 1.0, "n_draws": 10, "weights": {"b": 2}}
    assert type(validated["scale"]) is float


def test_every_problem_is_reported_at_once(notebook: Path) -> None:
    with pytest.raises(ParameterError) as info:
        validate_parameters(notebook, {"n_draw": 1, "level": "high"})
    assert "unknown parameter 'n_draw'" in str(info.value)
    assert "'level' expects float" in str(info.value)


def test_output_dir_is_set_by_the_runner(notebook: Path) -> None:
    with pytest.raises(ParameterError, match="'output_dir' is set by the runner"):
        validate_parameters(notebook, {"output_dir": "/tmp/x"})


def test_notebook_without_output_dir_is_refused(tmp_path: Path) -> None:
    path = write_notebook(tmp_path, "n = 1")
    with pytest.raises(ParameterError, match='must declare `output_dir = ""`'):
        validate_parameters(path, {})


def test_councils_are_resolved_to_codes(notebook: Path, fake_geography: None) -> None:
    validated = validate_parameters(notebook, {"la": "Camden", "case_study": ["kent", 202, "E09000007"]})
    assert validated == {"la": "202", "case_study": ["886", "202", "202"]}


def test_council_given_as_a_number(notebook: Path, fake_geography: None) -> None:
    assert validate_parameters(notebook, {"la": 886}) == {"la": "886"}


def test_unknown_council_suggests(notebook: Path, fake_geography: None) -> None:
    with pytest.raises(ParameterError, match=r"parameter 'la': no council 'Camdn' \(did you mean 'camden'"):
        validate_parameters(notebook, {"la": "Camdn"})


def test_financial_year_format(notebook: Path) -> None:
    assert validate_parameters(notebook, {"start_fy": "2020-21"}) == {"start_fy": "2020-21"}
    with pytest.raises(ParameterError, match=r"'start_fy'.*'2020-22' is not of the form 'YYYY-YY'"):
        validate_parameters(notebook, {"start_fy": "2020-22"})


def test_financial_year_must_be_in_the_panel(notebook: Path, no_panel: Path) -> None:
    write_panel(no_panel, ["2019-20", "2020-21", "2021-22", "2020-21"])
    assert panel_fys() == ["2019-20", "2020-21", "2021-22"]
    assert validate_parameters(notebook, {"start_fy": "2021-22"}) == {"start_fy": "2021-22"}
    with pytest.raises(ParameterError, match=r"'2017-18' is not a year of the panel .*2019-20 to 2021-22"):
        validate_parameters(notebook, {"start_fy": "2017-18"})


def test_panel_without_fy_column(no_panel: Path) -> None:
    (no_panel / "processed").mkdir(parents=True)
    pd.DataFrame({"unit": ["202"]}).to_parquet(no_panel / "processed" / "panel.parquet")
    with pytest.raises(SourceFormatError, match="panel.parquet: cannot read its 'fy' column"):
        panel_fys()


def test_measure_basis_denominator_choices(tmp_path: Path, fake_measures: None) -> None:
    path = write_notebook(tmp_path, 'output_dir = ""\nmeasure = "hn_spend"\nbasis = "cash"\ndenominator = "total"')
    assert validate_parameters(path, {"measure": "ehcp", "basis": "real"}) == {"measure": "ehcp", "basis": "real"}
    with pytest.raises(ParameterError, match=r"'hn_spnd' is not a known measure \(did you mean 'hn_spend'\?\)"):
        validate_parameters(path, {"measure": "hn_spnd"})
    with pytest.raises(ParameterError, match="'per_head' is not a known denominator.*choose from total, per_head_2_18"):
        validate_parameters(path, {"denominator": "per_head"})


def test_suggestion() -> None:
    assert suggestion("camdn", ["camden", "kent"]) == " (did you mean 'camden'?)"
    assert suggestion("zzz", ["camden"]) == ""


def test_projection_rule_choices_are_checked_before_a_kernel_starts(tmp_path: Path) -> None:
    path = write_notebook(tmp_path, 'output_dir = ""\nspend_rule = "own_trend"\ngap_basis = "observed"')
    assert validate_parameters(path, {"spend_rule": "national"}) == {"spend_rule": "national"}
    with pytest.raises(ParameterError, match=r"'trend' is not a known spend_rule \(did you mean 'own_trend'\?\)"):
        validate_parameters(path, {"spend_rule": "trend"})
    with pytest.raises(ParameterError, match="not a known gap_basis"):
        validate_parameters(path, {"gap_basis": "anchored"})


@pytest.mark.parametrize(("name", "value", "shown"), [
    ("level", float("nan"), "nan"), ("level", float("inf"), "inf"), ("level", float("-inf"), "-inf"),
    ("weights", {"a": float("nan")}, "nan"),
])
def test_numbers_must_be_finite(notebook: Path, name: str, value: object, shown: str) -> None:
    with pytest.raises(ParameterError, match=rf"nb: parameter '{name}' must be a finite number, got {shown}"):
        validate_parameters(notebook, {name: value})


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "1e999"])
def test_nan_and_inf_from_the_command_line_are_refused(notebook: Path, text: str) -> None:
    value = parse_cli_value(text, notebook_parameters(notebook)["level"])
    with pytest.raises(ParameterError, match="'level' must be a finite number"):
        validate_parameters(notebook, {"level": value})


def test_nan_in_a_parameter_file_is_refused(tmp_path: Path, notebook: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("level: .nan\nyears: [2019, .inf]\n", encoding="utf-8")
    with pytest.raises(ParameterError) as info:
        validate_parameters(notebook, load_parameter_file(path))
    assert "'level' must be a finite number, got nan" in str(info.value)
    assert "'years' expects list of int" in str(info.value)  # a float in an int list: the type check comes first


def test_a_directory_given_as_parameter_file_is_named_as_such(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="is a directory, not a parameter file"):
        load_parameter_file(tmp_path)


# --- the project's notebooks: declared ranges, fractions, work-size bounds ---------------------

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def project_notebook(stem: str) -> Path:
    return NOTEBOOKS / f"{stem}.ipynb"


@pytest.mark.parametrize(("stem", "name", "value"), [
    ("02_case_study_growth", "n_draws", 1_000_000_000), ("02_case_study_growth", "n_draws", 10_000_000),
    ("03_programme_groups", "n_draws", 10_000_000), ("07_selection_and_follow_up", "n_draws", 10_000_000),
    ("04_sustainability", "horizon", 100_000), ("04_sustainability", "trend_years", 1_000),
    ("05_council_profile", "n_nearest", 100_000),
])
def test_work_sizes_have_an_upper_bound_stated_with_its_reason(stem: str, name: str, value: int) -> None:
    with pytest.raises(ParameterError) as info:
        validate_parameters(project_notebook(stem), {name: value})
    message = str(info.value)
    assert f"{stem}: parameter {name!r}" in message and f"{value:,}" in message
    assert "at most" in message or "to " in message


def test_the_work_size_message_says_why(no_panel: Path) -> None:
    with pytest.raises(ParameterError, match=r"from 1 to 100,000.*minute"):
        validate_parameters(project_notebook("02_case_study_growth"), {"n_draws": 10_000_000})


@pytest.mark.parametrize(("stem", "overrides", "expected"), [
    ("02_case_study_growth", {"seed": -1}, "'seed'"),
    ("03_programme_groups", {"seed": 2**40}, "'seed'"),
    ("02_case_study_growth", {"sensitivity_base_fy": []}, "'sensitivity_base_fy'"),
    ("07_selection_and_follow_up", {"sensitivity_end_fy": []}, "'sensitivity_end_fy'"),
    ("02_case_study_growth", {"sensitivity_end_fy": ["2020-21", "2020-21"]}, "listed twice"),
    ("02_case_study_growth", {"case_study": []}, "'case_study'"),
    ("02_case_study_growth", {"group_size": 0}, "'group_size'"),
    ("04_sustainability", {"horizon": 0}, "'horizon'"),
    ("04_sustainability", {"threshold_pct": -5.0}, "'threshold_pct'"),
    ("03_programme_groups", {"level": 1.5}, "'level'"),
])
def test_values_that_used_to_reach_a_kernel_are_refused(stem: str, overrides: dict, expected: str) -> None:
    with pytest.raises(ParameterError, match=expected):
        validate_parameters(project_notebook(stem), overrides)


@pytest.mark.parametrize(("stem", "name", "given", "meant"), [
    ("04_sustainability", "funding_growth_first", 5, "0.05 (5%)"),
    ("05_council_profile", "funding_growth_after", 3.0, "0.03 (3%)"),
    ("02_case_study_growth", "claimed_growth", 25, "0.25 (25%)"),
    ("07_selection_and_follow_up", "claimed_growth", 25.0, "0.25 (25%)"),
    ("03_programme_groups", "level", 95, "0.95 (95%)"),
])
def test_a_percentage_written_as_a_whole_number_is_refused_with_a_suggestion(stem: str, name: str, given: float,
                                                                             meant: str) -> None:
    with pytest.raises(ParameterError, match=rf"did you mean {re.escape(meant)}\?"):
        validate_parameters(project_notebook(stem), {name: given})


@pytest.mark.parametrize(("text", "expected"), [("5%", 0.05), (" 2.5 % ", 0.025), ("-3%", -0.03), ("0.05", 0.05)])
def test_a_growth_rate_takes_a_fraction_or_a_percentage(text: str, expected: float) -> None:
    notebook = project_notebook("04_sustainability")
    value = parse_cli_value(text, notebook_parameters(notebook)["funding_growth_first"])
    assert validate_parameters(notebook, {"funding_growth_first": value}) == {"funding_growth_first": expected}


def test_a_percentage_in_a_parameter_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("funding_growth_first: 5%\nfunding_growth_after: 0.03\nthreshold_pct: 12.5%\n", encoding="utf-8")
    assert validate_parameters(project_notebook("04_sustainability"), load_parameter_file(path)) == {
        "funding_growth_first": 0.05, "funding_growth_after": 0.03, "threshold_pct": 12.5}


def test_a_percentage_is_refused_where_a_number_is_not_a_share(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="'n_draws' expects int"):
        validate_parameters(project_notebook("02_case_study_growth"), {"n_draws": "50%"})


def test_a_huge_negative_number_is_refused_by_range() -> None:
    with pytest.raises(ParameterError, match=r"'claimed_growth'.*-1e\+308"):
        validate_parameters(project_notebook("02_case_study_growth"), {"claimed_growth": -1e308})


def test_the_clean_notebooks_years_are_not_compared_with_the_previous_panel(no_panel: Path) -> None:
    write_panel(no_panel, ["2019-20", "2020-21"])
    notebook = project_notebook("01_clean_data")
    assert validate_parameters(notebook, {"first_fy": "2017-18", "last_fy": "2024-25"}) == {
        "first_fy": "2017-18", "last_fy": "2024-25"}
    with pytest.raises(ParameterError, match="'first_fy'.*2017-19"):
        validate_parameters(notebook, {"first_fy": "2017-19"})


# --- YAML: aliases, duplicate keys, short messages ---------------------------------------------


def billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        previous, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]")
    lines.append(f"level: *{chr(ord('a') + levels - 1)}")
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_file_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(billion_laughs(), encoding="utf-8")
    with pytest.raises(ParameterError, match="alias") as info:
        validate_parameters(project_notebook("03_programme_groups"), load_parameter_file(path))
    assert len(str(info.value)) < 400


def test_duplicate_keys_in_a_parameter_file_are_named(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("n_draws: 100\nseed: 1\nn_draws: 200\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"p\.yaml.*'n_draws' is given twice"):
        load_parameter_file(path)


@pytest.mark.parametrize("value", ["x" * 10_000, ["x" * 10_000], list(range(10_000))])
def test_messages_show_a_short_repr_of_a_value(notebook: Path, value: object) -> None:
    with pytest.raises(ParameterError) as info:
        validate_parameters(notebook, {"n_draws": value})
    assert len(str(info.value)) < 300


def test_a_long_council_name_is_not_echoed(notebook: Path) -> None:
    with pytest.raises(ParameterError) as info:
        validate_parameters(notebook, {"la": "Camden" * 2000})
    assert "12,000 characters" in str(info.value) and len(str(info.value)) < 300


def test_every_number_a_notebook_takes_has_a_declared_range_its_default_passes() -> None:
    from sendlib.param_rules import Council, ListOf, rule_for

    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        declared = notebook_parameters(notebook)
        numeric = [p.name for p in declared.values()
                   if p.type_name in {"int", "float", "list of int", "list of float"}]
        assert [name for name in numeric if rule_for(notebook.stem, name) is None] == [], notebook.stem
        defaults = {name: p.default for name, p in declared.items() if name != "output_dir"
                    and not isinstance(rule_for(notebook.stem, name), Council)
                    and not (isinstance(rule_for(notebook.stem, name), ListOf)
                             and isinstance(rule_for(notebook.stem, name).item, Council))}
        validate_parameters(notebook, defaults)


def test_every_declared_rule_names_a_parameter_of_a_notebook() -> None:
    from sendlib.param_rules import NOTEBOOK_RULES, RULES

    names = {name for notebook in NOTEBOOKS.glob("*.ipynb") for name in notebook_parameters(notebook)}
    assert sorted(set(RULES) - names) == []
    for stem, rules in NOTEBOOK_RULES.items():
        assert set(rules) <= set(notebook_parameters(project_notebook(stem))), stem


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"programmes": []}, "parameter 'programmes': expected a list of 1 to 3 values"),
    ({"outcomes": ["hn_spend", "hn_spend"]}, "hn_spend listed twice"),
    ({"outcomes": ["deficit"]}, "'deficit' is not a known outcome"),
    ({"estimator": "did"}, "'did' is not a known estimator"),
    ({"level": 1.5}, "parameter 'level'"),
    ({"n_boot": 10}, "parameter 'n_boot': expected a whole number from 99"),
    ({"wild_below": -1}, "parameter 'wild_below': expected a whole number from 0"),
    ({"n_matches": 0}, "parameter 'n_matches': expected a whole number from 1"),
])
def test_notebook_08_rules_refuse_before_a_kernel(overrides: dict, expected: str) -> None:
    with pytest.raises(ParameterError, match=re.escape(expected)):
        validate_parameters(config.NOTEBOOKS_DIR / "08_after_2022.ipynb", overrides)
