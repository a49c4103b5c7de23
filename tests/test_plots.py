import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from PIL import Image  # noqa: E402

from sendlib.present import plots  # noqa: E402


@pytest.fixture(autouse=True)
def house_style():
    with matplotlib.rc_context():
        plots.apply_style()
        yield
    plt.close("all")


def test_apply_style_sets_the_house_rules():
    params = matplotlib.rcParams
    assert not params["axes.spines.top"] and not params["axes.spines.right"]
    assert params["savefig.dpi"] == plots.DPI
    assert params["axes.axisbelow"] is True, "grid lines behind bars"
    assert [to_hex(c).upper() for c in params["axes.prop_cycle"].by_key()["color"]] == plots.PALETTE


def draw() -> plt.Figure:
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [2, 1, 3])
    ax.set_title("test")
    return fig


def test_save_figure_writes_png_and_csv_byte_stable_and_closes(tmp_path):
    data = pd.DataFrame({"x": [1, 2, 3], "y": [2.0, 1.0, 3.0]})
    fig = draw()
    png, csv = plots.save_figure(fig, data, tmp_path, "line")
    assert png == tmp_path / "figures" / "line.png" and csv == tmp_path / "figures" / "line.csv"
    assert not plt.fignum_exists(fig.number)
    assert pd.read_csv(csv).equals(data)
    with Image.open(png) as image:
        assert image.format == "PNG" and "Software" not in image.info
    first = png.read_bytes()
    plots.save_figure(draw(), data, tmp_path, "line")
    assert png.read_bytes() == first
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == ["line.csv", "line.png"]


def test_save_figure_rejects_a_bad_name_and_still_closes(tmp_path):
    fig = draw()
    with pytest.raises(ValueError, match="plain file stem"):
        plots.save_figure(fig, pd.DataFrame({"a": [1]}), tmp_path, "../escape")
    assert not plt.fignum_exists(fig.number)


def test_distribution_with_markers():
    fig = plots.distribution_with_markers([0.1, 0.2, 0.2, None, 0.4], {"claimed": 0.3, "England": 0.25}, "t", "growth")
    ax = fig.axes[0]
    vertical = [line for line in ax.get_lines() if line.get_xdata()[0] == line.get_xdata()[1]]
    assert [line.get_xdata()[0] for line in vertical] == [0.3, 0.25]
    assert to_hex(vertical[0].get_color()).upper() == plots.HIGHLIGHT
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["claimed: 0.3", "England: 0.25"]
    assert ax.get_ylabel() == "count (n = 4)"
    assert all(float(tick).is_integer() for tick in ax.get_yticks())  # counts: never 0.5 of one


def test_distribution_with_markers_in_percent_counts_whole_units():
    fig = plots.distribution_with_markers([0.1, 0.2, 0.2, 0.4], {"claimed": 0.25}, "t", "growth", as_percent=True,
                                          counted="units")
    ax = fig.axes[0]
    fig.canvas.draw()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["claimed: 25.0%"]
    assert ax.get_ylabel() == "number of units (4 in all)"
    assert all(tick == int(tick) for tick in ax.get_yticks())  # no 2.5 units
    assert all(label.get_text().endswith("%") for label in ax.get_xticklabels() if label.get_text())


def test_ranked_bar_orders_and_highlights():
    frame = pd.DataFrame({"name": ["a", "b", "c", "d"], "v": [2.0, 5.0, None, 1.0]})
    fig = plots.ranked_bar(frame, "v", "name", highlight={"b"})
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["d", "a", "b"]  # largest at the top
    colours = [to_hex(bar.get_facecolor()).upper() for bar in ax.patches]
    assert colours == [plots.MUTED, plots.MUTED, plots.HIGHLIGHT]


def test_ranked_bar_in_percent_labels_every_bar():
    frame = pd.DataFrame({"name": ["a", "b"], "v": [0.25, 0.7]})
    ax = plots.ranked_bar(frame, "v", "name", as_percent=True).axes[0]
    assert [t.get_text() for t in ax.texts] == ["25.0%", "70.0%"]


def test_time_series_names_levels_and_marks_a_year():
    frame = pd.DataFrame({"fy": ["2019-20", "2020-21"] * 2, "v": [1, 2, 3, 4], "group": ["frame"] * 2 + ["others"] * 2})
    fig = plots.time_series(frame, "fy", "v", "group", labels={"frame": "units in the frame"})
    plots.mark_x(fig, "2020-21", "selection year")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["units in the frame", "others"]
    assert [t.get_text() for t in ax.texts] == ["selection year "]


def test_annotated_heatmap_takes_a_format_function():
    matrix = pd.DataFrame([[0.00005, 1.0]], index=["r"], columns=["a", "b"])
    fig = plots.annotated_heatmap(matrix, "t", "share", value_format=lambda v: "<1%" if 0 < v < 0.005 else f"{v:.0%}")
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["100%", "<1%"]


def test_time_series_highlights_and_mutes():
    frame = pd.DataFrame(
        {"fy_start": [2020, 2021] * 3, "v": [1, 2, 3, 4, 5, 6], "unit": ["a", "a", "b", "b", "c", "c"]}
    )
    ax = plots.time_series(frame, "fy_start", "v", "unit", highlight={"b"}).axes[0]
    colours = [to_hex(line.get_color()).upper() for line in ax.get_lines()]
    assert colours == [plots.MUTED, plots.HIGHLIGHT, plots.MUTED]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["b"]
    plain = plots.time_series(frame, "fy_start", "v", "unit").axes[0]
    assert [to_hex(line.get_color()).upper() for line in plain.get_lines()] == plots.PALETTE[:3]


def test_assumption_vs_actual():
    frame = pd.DataFrame({"fy": ["2023-24", "2022-23"], "assumed": [105.0, 100.0], "actual": [107.0, 100.0]})
    ax = plots.assumption_vs_actual(frame, "fy", "assumed", "actual", title="t", ylabel="GBP").axes[0]
    assumed, actual = ax.get_lines()
    assert list(assumed.get_xdata()) == ["2022-23", "2023-24"] and list(actual.get_ydata()) == [100.0, 107.0]
    assert assumed.get_linestyle() == "--" and to_hex(actual.get_color()).upper() == plots.HIGHLIGHT
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["assumed", "actual"]
    projected = plots.assumption_vs_actual(frame, "fy", "assumed", "actual", assumed_label="projected").axes[0]
    assert [text.get_text() for text in projected.get_legend().get_texts()] == ["projected", "actual"]


def test_grouped_bars_keep_the_order_given_and_colour_levels_as_the_line_charts_do():
    frame = pd.DataFrame({"need": ["b need", "b need", "a need", "a need"], "share": [40.0, 30.0, 5.0, np.nan],
                          "series": ["Camden", "England", "Camden", "England"]})
    fig = plots.grouped_bars(frame, "need", "share", "series", title="t", xlabel="% of plans")
    ax = fig.axes[0]
    assert [label.get_text() for label in ax.get_yticklabels()] == ["b need", "a need"]
    assert [to_hex(bar.get_facecolor()).upper() for bar in ax.patches[:2]] == [plots.PALETTE[0].upper()] * 2
    assert np.isnan(ax.patches[3].get_width()) and ax.get_xlabel() == "% of plans"
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["Camden", "England"]
    plt.close(fig)


def test_level_colours_put_the_highlighted_levels_first_in_the_order_given():
    assert plots.level_colours(["b", "a", "c"]) == {"a": plots.PALETTE[0], "b": plots.PALETTE[1], "c": plots.PALETTE[2]}
    chosen = plots.level_colours(["England", "Camden", "Neighbours"], highlight=("Camden", "Neighbours", "absent"))
    assert list(chosen) == ["Camden", "Neighbours", "England"]
    assert list(chosen.values()) == [plots.HIGHLIGHT, plots.PALETTE[0], plots.PALETTE[1]]


def test_a_highlighted_council_is_drawn_in_the_highlight_colour_in_bars_and_small_multiples():
    bars = pd.DataFrame({"need": ["a", "a", "a"], "share": [1.0, 2.0, 3.0], "series": ["England", "Camden", "Avg"]})
    ax = plots.grouped_bars(bars, "need", "share", "series", highlight=("Camden", "Avg")).axes[0]
    assert [to_hex(bar.get_facecolor()).upper() for bar in ax.patches] == [
        plots.PALETTE[1].upper(), plots.HIGHLIGHT, plots.PALETTE[0].upper()]  # bars stay in the frame's order
    lines = bars.assign(x=0).rename(columns={"need": "facet"})
    fig = plots.facet_lines(lines, "x", "share", "facet", hue="series", highlight=("Camden", "Avg"))
    assert [text.get_text() for text in fig.legends[0].get_texts()] == ["Camden", "Avg", "England"]
    assert to_hex(fig.axes[0].lines[0].get_color()).upper() == plots.HIGHLIGHT
    plt.close("all")


def test_a_figure_is_described_by_its_title_or_its_panels_titles():
    fig, ax = plt.subplots()
    assert plots.figure_description(fig) == "Figure"
    ax.set_title("Spending\nper head", loc="left")
    assert plots.figure_description(fig) == "Figure: Spending per head"
    fig.suptitle("Whole figure")
    assert plots.figure_description(fig) == "Figure: Whole figure"
    plt.close(fig)


def test_year_axes_put_whole_years_on_every_panel_written_as_asked():
    frame = pd.DataFrame({"x": [2019, 2020, 2021] * 2, "y": [1.0, 2.0, 3.0] * 2, "facet": ["a"] * 3 + ["b"] * 3})
    fig = plots.facet_lines(frame, "x", "y", "facet")
    plots.year_axes(fig, lambda year: f"{year}-{str(year + 1)[2:]}")
    fig.canvas.draw()
    for ax in [ax for ax in fig.axes if ax.get_visible()]:
        ticks = [tick for tick in ax.get_xticks() if 2019 <= tick <= 2021]
        assert all(float(tick).is_integer() for tick in ticks) and len(ticks) >= 2
        assert {label.get_text() for label in ax.get_xticklabels()} >= {"2019-20", "2021-22"}
    plt.close(fig)


def tight_reference(fig: plt.Figure) -> np.ndarray:
    """matplotlib's own tight PNG of ``fig`` at the house resolution, as RGB pixels."""
    drawn = io.BytesIO()
    fig.savefig(drawn, format="png", dpi=plots.DPI, bbox_inches="tight", pad_inches=plots.PAD_INCHES)
    drawn.seek(0)
    with Image.open(drawn) as reference:
        return np.asarray(reference.convert("RGB"))


def ink_box(pixels: np.ndarray) -> np.ndarray:
    """``pixels`` (RGB) cut to what is not white."""
    ink = (pixels < 250).any(axis=2)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return pixels[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def assert_same_picture(pixels: np.ndarray, reference: np.ndarray) -> None:
    """The same picture as matplotlib's tight PNG: the same drawing within a pixel of its size (at
    most a sub-pixel shift: under 2% of the pixels differ by more than a fifth of the range), with
    the same white around it within 8 pixels (the tight box holds a text's whole line height, the
    cut only what is drawn: "test" has nothing above its t)."""
    assert abs(pixels.shape[0] - reference.shape[0]) <= 8 and abs(pixels.shape[1] - reference.shape[1]) <= 8
    ours, theirs = ink_box(pixels), ink_box(reference)
    height, width = min(ours.shape[0], theirs.shape[0]), min(ours.shape[1], theirs.shape[1])
    assert abs(ours.shape[0] - theirs.shape[0]) <= 1 and abs(ours.shape[1] - theirs.shape[1]) <= 1
    differ = np.abs(ours[:height, :width].astype(int) - theirs[:height, :width].astype(int)).max(axis=2) > 51
    assert differ.mean() < 0.02, f"{differ.mean():.1%} of the pixels differ"


def test_png_bytes_stores_the_pixels_drawn_once_and_cut_as_matplotlibs_tight_png():
    fig = draw()
    pixels = plots.tight_pixels(fig)
    assert_same_picture(pixels[..., :3], tight_reference(fig))
    with Image.open(io.BytesIO(plots.png_bytes(fig))) as stored:
        assert stored.mode == "P" and stored.size == (pixels.shape[1], pixels.shape[0])
        quantised = Image.fromarray(pixels).convert("RGB").quantize(
            colors=plots.PNG_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        # the drawn pixels went into the palette: exactly that picture comes out
        assert np.array_equal(np.asarray(stored.convert("RGB")), np.asarray(quantised.convert("RGB")))


def test_what_sticks_out_of_the_canvas_is_drawn_whole_and_the_figure_is_left_as_it_was():
    frame = pd.DataFrame({"name": ["Bournemouth, Christchurch and Poole with Dorset", "Camden"], "v": [1.0, 2.0]})
    fig = plots.ranked_bar(frame, "v", "name", title="long labels", xlabel="value")
    size, where = fig.get_size_inches().copy(), [ax.get_position().bounds for ax in fig.axes]
    assert fig.axes[0].get_tightbbox().x0 < 0, "the labels stick out of the canvas"
    assert_same_picture(plots.tight_pixels(fig)[..., :3], tight_reference(fig))
    assert np.array_equal(fig.get_size_inches(), size) and [ax.get_position().bounds for ax in fig.axes] == where


def test_a_figure_with_a_suptitle_is_drawn_once_on_its_own_canvas_as_the_tight_way_shows_it():
    fig = draw()
    fig.suptitle("placed on the figure")
    assert_same_picture(plots.tight_pixels(fig)[..., :3], tight_reference(fig))


def test_a_figure_text_cut_by_its_canvas_is_drawn_the_tight_way():
    fig = draw()
    fig.text(-0.05, 0.5, "half outside the canvas")
    assert np.array_equal(plots.tight_pixels(fig)[..., :3], tight_reference(fig))


def test_facet_lines_draws_one_panel_per_facet_with_bands_and_a_shared_legend():
    frame = pd.DataFrame({"x": [0, 1, 0, 1, 0, 1, 0, 1], "y": [1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0, 40.0],
                          "facet": ["a"] * 4 + ["a very long panel title " * 3] * 4, "hue": ["g", "g", "h", "h"] * 2})
    frame = frame.assign(low=frame["y"] - 1, high=frame["y"] + 1)
    fig = plots.facet_lines(frame, "x", "y", "facet", hue="hue", band=("low", "high"), reference=0, marker_x=0.5,
                            title="t", columns=3)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 2 and all(len(ax.lines) == 4 for ax in visible)  # 2 lines + reference + marker
    assert visible[0].get_ylim() != visible[1].get_ylim()  # each panel its own scale
    assert "\n" in visible[1].get_title(loc="left") and len(fig.legends) == 1
    plots.mark_entries(fig, {0.5: "entry"})
    assert all(len(ax.texts) == 1 for ax in visible)


def test_time_series_crosses_a_missing_year_with_a_dotted_line_named_in_the_legend():
    frame = pd.DataFrame({"fy": ["2021-22", "2022-23", "2023-24", "2024-25"] * 2, "v": [1, 2, None, 4, 1, 1, 1, 1],
                          "series": ["cash"] * 4 + ["flat"] * 4})
    ax = plots.time_series(frame, "fy", "v", "series").axes[0]
    dotted = [line for line in ax.get_lines() if line.get_linestyle() == ":" and len(line.get_xdata())]
    assert [(list(line.get_xdata()), list(line.get_ydata())) for line in dotted] == [(["2022-23", "2024-25"], [2, 4])]
    assert to_hex(dotted[0].get_color()).upper() == plots.PALETTE[0], "in the colour of its line"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["cash", "flat", plots.GAP_LABEL]


def test_save_and_link_shows_the_figure_then_a_link_to_its_csv(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    fig, ax = plt.subplots()
    plots.save_and_link(fig, pd.DataFrame({"x": [1]}), tmp_path, "line")
    assert len(shown) == 2 and shown[1].data == "Data behind this figure: [line.csv](figures/line.csv)"
