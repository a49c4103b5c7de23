"""One house style for every figure, and saving each figure as a byte-stable PNG with the
data behind it as a CSV beside it (``<output_dir>/figures/<name>.png`` and ``.csv``).

Style: white background, light horizontal grid, no top/right spines, readable sans-serif
fonts, the colour-blind-safe Okabe-Ito palette; units of interest are drawn in
``HIGHLIGHT`` over ``MUTED`` grey for everything else.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Collection, Mapping, Sequence
from itertools import cycle
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter
from matplotlib.transforms import Bbox

from sendlib.atomic import write_bytes_atomic
from sendlib.outputs import save_table

#: Okabe-Ito colour-blind-safe palette (black, and vermillion kept for HIGHLIGHT, left out); then the
#: two roles every plot uses.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442"]
HIGHLIGHT = "#D55E00"
MUTED = "#A0A0A0"
#: One resolution and size for every figure: 8 x 4.5 inches at 150 dpi is 1200 x 675 pixels,
#: shown 800 pixels wide (SCREEN_DPI), sharp on high-density screens.
DPI = 150
FIGSIZE = (8.0, 4.5)
#: Colours kept in a stored PNG (a palette image): enough for the house palette, greys and
#: anti-aliasing.
PNG_COLOURS = 256
#: zlib level of a stored PNG: 7 wrote a council's ten figures (when measured) in a quarter of the time of 9
#: (about 90 ms against 330 ms) for files about 9% larger; the pixels are the same.
PNG_COMPRESSION = 7

_RC = {
    "figure.figsize": FIGSIZE,
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    # Titles sit just above the axes (no figure has ticks on top): a fixed place, the one matplotlib
    # finds when it searches, without measuring every tick label at each drawing.
    "axes.titley": 1.0,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,  # grid lines behind bars and lines
    "grid.color": "#E5E5E5",
    "grid.linewidth": 0.8,
    "axes.facecolor": "white",
    "axes.edgecolor": "#CCCCCC",
    "axes.labelcolor": "#262626",
    "xtick.color": "#262626",
    "ytick.color": "#262626",
    "axes.prop_cycle": cycler(color=PALETTE),
    "lines.linewidth": 1.8,
}


def apply_style() -> None:
    """Set the house style for every later figure (matplotlib rcParams only: seaborn costs a
    second to import and only the heatmap needs it)."""
    plt.rcParams.update(_RC)


class _Pixels(io.BytesIO):
    """Where ``savefig(format="rgba")`` writes: keeps the drawn pixels as an array (height x
    width x RGBA), taken from the renderer's buffer, which knows its shape."""

    pixels: np.ndarray | None = None

    def write(self, data: object) -> int:
        self.pixels = np.array(data, dtype=np.uint8)  # a copy: the renderer's buffer is reused
        return self.pixels.nbytes


#: Room drawn around a figure's own canvas (inches: left, bottom, right, top), so that what sticks out
#: of it (long bar labels, an axis label) is drawn too; the picture is then cut to what was drawn.
MARGINS = (3.0, 1.0, 1.0, 1.0)
#: White kept around what was drawn, as matplotlib's bbox_inches="tight" keeps (its pad_inches).
PAD_INCHES = 0.1
_WHITE = 0xFFFFFFFF


def png_bytes(fig: Figure) -> bytes:
    """The figure as a page-sized PNG: drawn at DPI and cut to what was drawn (tight_pixels), then
    stored with a palette of at most PNG_COLOURS colours (fast octree quantisation, no dithering)
    at zlib level PNG_COMPRESSION, about a third of the bytes of matplotlib's RGBA file and legible
    alike (flat colours, anti-aliased text; a colour bar shows faint steps); no metadata, so the
    same figure gives the same bytes. The drawn pixels go straight to the quantiser (the same
    pixels matplotlib's own PNG holds, without encoding and decoding that file)."""
    from PIL import Image  # installed with matplotlib

    pixels = tight_pixels(fig)
    palette = Image.fromarray(pixels).convert("RGB").quantize(
        colors=PNG_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    stored = io.BytesIO()
    palette.save(stored, format="PNG", compress_level=PNG_COMPRESSION)
    return stored.getvalue()


def tight_pixels(fig: Figure) -> np.ndarray:
    """The figure's pixels (height x width x RGBA) at DPI as ``savefig(bbox_inches="tight")`` gives
    them, from one drawing instead of two: the figure is drawn once on a canvas larger by MARGINS,
    its axes where they were, and cut to the drawn (non-white) pixels with PAD_INCHES around them.
    matplotlib's tight box lays every text out twice (once to measure, once to draw): a third
    slower for the council report's charts. Figures with text or legends placed on the figure
    itself (a suptitle, a figure legend: they would move with the canvas) are drawn once on their
    own canvas (small multiples lay themselves out to fit it). Figures drawn up to the canvas's
    edge are drawn the tight way."""
    pixels = _drawn_with_margins(fig, (0.0, 0.0, 0.0, 0.0) if fig.texts or fig.legends else MARGINS)
    if pixels is not None:
        ink = pixels.view(np.uint32)[..., 0] != _WHITE
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        height, width = ink.shape
        if rows.size and rows[0] > 0 and cols[0] > 0 and rows[-1] < height - 1 and cols[-1] < width - 1:
            pad = round(PAD_INCHES * DPI)
            return pixels[max(rows[0] - pad, 0):rows[-1] + 1 + pad, max(cols[0] - pad, 0):cols[-1] + 1 + pad]
    drawn = _Pixels()
    fig.savefig(drawn, format="rgba", dpi=DPI, bbox_inches="tight", pad_inches=PAD_INCHES)
    return _checked(drawn.pixels)


def _drawn_with_margins(fig: Figure, margins: tuple[float, float, float, float]) -> np.ndarray | None:
    """The figure drawn at DPI on a canvas larger by ``margins`` (inches: left, bottom, right,
    top), every axes at the same place in inches; the figure is put back as it was. None if its
    background is not opaque white."""
    if fig.get_facecolor() != (1.0, 1.0, 1.0, 1.0):
        return None
    width, height = fig.get_size_inches()
    left, bottom, right, top = margins
    grown = (width + left + right, height + bottom + top)
    placed = [(ax, ax.get_position(original=True), ax.get_position()) for ax in fig.axes]

    def moved(box: Bbox) -> Bbox:
        return Bbox.from_extents((box.x0 * width + left) / grown[0], (box.y0 * height + bottom) / grown[1],
                                 (box.x1 * width + left) / grown[0], (box.y1 * height + bottom) / grown[1])

    drawn = _Pixels()
    try:
        for ax, original, active in placed:
            ax._set_position(moved(original), which="original")
            ax._set_position(moved(active), which="active")
        fig.set_size_inches(grown, forward=False)
        fig.savefig(drawn, format="rgba", dpi=DPI)
    finally:
        fig.set_size_inches((width, height), forward=False)
        for ax, original, active in placed:
            ax._set_position(original, which="original")
            ax._set_position(active, which="active")
    return _checked(drawn.pixels)


def _checked(pixels: np.ndarray | None) -> np.ndarray:
    if pixels is None or pixels.ndim != 3 or pixels.shape[2] != 4:
        raise RuntimeError("matplotlib's rgba output is not a height x width x 4 buffer")
    return pixels


def save_figure(fig: Figure, data: pd.DataFrame, output_dir: Path, name: str) -> tuple[Path, Path]:
    """Write ``figures/<name>.png`` (png_bytes: fixed dpi and palette, same inputs, same bytes)
    and the data as ``figures/<name>.csv`` (outputs.save_table), close the figure; return (png, csv)."""
    try:
        csv = save_table(data, Path(output_dir), name)
        png = csv.with_suffix(".png")
        write_bytes_atomic(png, png_bytes(fig))
    finally:
        plt.close(fig)
    return png, csv


def _titled(ax: plt.Axes, title: str, xlabel: str = "", ylabel: str = "") -> None:
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def percent_axis(ax: plt.Axes, axis: str = "x", decimals: int | None = 0) -> None:
    """Tick labels of ``axis`` ("x" or "y") as percentages of fractions: 0.25 -> "25%"."""
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(PercentFormatter(xmax=1, decimals=decimals))


def count_axis(ax: plt.Axes, axis: str = "y") -> None:
    """Ticks of a count axis at whole numbers only (no 2.5 councils), with thousands separators."""
    scale = ax.xaxis if axis == "x" else ax.yaxis
    scale.set_major_locator(MaxNLocator(integer=True))
    scale.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def level_colours(levels: Collection[object], highlight: Sequence[object] = ()) -> dict[object, str]:
    """A colour per level: the ``highlight`` levels present, in the order given, HIGHLIGHT then
    the palette; the other levels, in sorted order, the palette colours that follow (without
    ``highlight``: every level in the palette, in sorted order)."""
    present = set(levels)
    first = [level for level in dict.fromkeys(highlight) if level in present]
    rest = sorted((level for level in present if level not in set(first)), key=str)
    return dict(zip(first + rest, cycle([HIGHLIGHT, *PALETTE] if first else PALETTE)))


def distribution_with_markers(
    values: Sequence[float] | pd.Series,
    markers: Mapping[str, float],
    title: str,
    xlabel: str,
    bins: int = 30,
    as_percent: bool = False,
    counted: str = "",
) -> Figure:
    """Histogram of ``values`` (missing dropped) with a labelled vertical line per marker; the
    count axis ticks at whole numbers. ``as_percent``: values are fractions, shown as % on the
    axis and in the legend. ``counted`` names what is counted ("units": "number of units (150)")."""
    fig, ax = plt.subplots()
    clean = pd.Series(values, dtype="float64").dropna()
    ax.hist(clean, bins=bins, color=MUTED, edgecolor="white")
    shown = _percent if as_percent else "{:.3g}".format
    for (label, value), colour in zip(markers.items(), [HIGHLIGHT, *PALETTE]):
        ax.axvline(value, color=colour, linewidth=2, linestyle="--", label=f"{label}: {shown(value)}")
    if markers:
        ax.legend(loc="upper right")
    if as_percent:
        percent_axis(ax, "x")
    count_axis(ax, "y")
    ylabel = f"number of {counted} ({len(clean):,} in all)" if counted else f"count (n = {len(clean)})"
    _titled(ax, title, xlabel, ylabel)
    return fig


def ranked_bar(
    frame: pd.DataFrame,
    value_col: str,
    label_col: str,
    highlight: Collection[str] = (),
    title: str = "",
    xlabel: str = "",
    as_percent: bool = False,
) -> Figure:
    """Horizontal bars sorted from largest (top) to smallest; labels in ``highlight`` in HIGHLIGHT;
    ``as_percent``: values are fractions, each bar labelled with its percentage."""
    ranked = frame[[label_col, value_col]].dropna(subset=[value_col]).sort_values(value_col, kind="stable")
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], max(3.0, 0.18 * len(ranked) + 1.0)))
    colours = [HIGHLIGHT if label in set(highlight) else MUTED for label in ranked[label_col]]
    ax.barh(ranked[label_col].astype(str), ranked[value_col], color=colours)
    ax.margins(y=0.5 / max(len(ranked), 1))
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    ax.tick_params(axis="y", labelsize=7 if len(ranked) > 40 else 10)
    if as_percent:
        percent_axis(ax, "x")
        ax.bar_label(ax.containers[0], labels=[_percent(v) for v in ranked[value_col]], padding=3, fontsize=9)
        ax.margins(x=0.12)
    _titled(ax, title, xlabel)
    return fig


def time_series(
    frame: pd.DataFrame,
    x: str,
    y: str,
    hue: str,
    highlight: Collection[str] = (),
    title: str = "",
    ylabel: str = "",
    xlabel: str = "",
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """One line per ``hue`` level (x axis labelled ``xlabel``, default the column name). With
    ``highlight``: those levels in colour (labelled, the first in HIGHLIGHT, in the order given),
    the rest thin grey; without: every level in the palette.
    ``labels`` names levels in the legend (default: the level itself). A missing value between
    two known ones (a merged unit's year without every member) is a gap crossed by a dotted
    line, named in the legend, never a point left on its own."""
    fig, ax = plt.subplots()
    levels = sorted(frame[hue].dropna().unique(), key=str)
    emphasised = [level for level in highlight if level in set(levels)] if highlight else levels  # in given order
    colours = dict(zip(emphasised, cycle([HIGHLIGHT, *PALETTE] if highlight else PALETTE)))
    bridged = False
    for level in levels:
        line = frame.loc[frame[hue] == level].sort_values(x)
        if level in colours:
            style = {"color": colours[level], "linewidth": 2, "zorder": 3}
            ax.plot(line[x], line[y], marker="o", markersize=3, label=(labels or {}).get(level, str(level)), **style)
        else:
            style = {"color": MUTED, "linewidth": 0.8, "alpha": 0.6, "zorder": 2}
            ax.plot(line[x], line[y], **style)
        bridged = _bridge_gaps(ax, line[x], line[y], style) or bridged
    if 0 < len(colours) <= 12:
        if bridged:
            ax.plot([], [], color="#444444", linestyle=":", linewidth=1.5, label=GAP_LABEL)
        ax.legend(loc="upper left")
    _titled(ax, title, xlabel or x, ylabel)
    return fig


def mark_x(fig: Figure, x: object, label: str) -> None:
    """A dashed vertical line at ``x`` on the figure's first axes, labelled at its foot, left of
    the line, clear of a legend in the upper left (e.g. the year a group was selected)."""
    ax = fig.axes[0]
    ax.axvline(x, color=MUTED, linestyle="--", linewidth=1)
    ax.annotate(f"{label} ", (x, 0.02), xycoords=("data", "axes fraction"), ha="right", va="bottom", fontsize=9,
                color="#505050")


#: Legend entry of the dotted line across missing years.
GAP_LABEL = "dotted: no data in the years between"


def _bridge_gaps(ax: plt.Axes, xs: pd.Series, ys: pd.Series, style: Mapping[str, object]) -> bool:
    """Draw a dotted line (in ``style``) across each run of missing values between two known
    values of a line; True if there was one."""
    known = [i for i, value in enumerate(ys.astype("float64")) if pd.notna(value)]
    gaps = [(i, j) for i, j in zip(known, known[1:]) if j - i > 1]
    for i, j in gaps:
        ax.plot([xs.iloc[i], xs.iloc[j]], [ys.iloc[i], ys.iloc[j]], linestyle=":", **style)
    return bool(gaps)


def assumption_vs_actual(
    frame: pd.DataFrame,
    x: str,
    assumed: str,
    actual: str,
    title: str = "",
    ylabel: str = "",
    xlabel: str = "",
    assumed_label: str = "assumed",
) -> Figure:
    """The assumed path (dashed, grey, labelled ``assumed_label``) against the actual one (solid,
    HIGHLIGHT), over ``x``."""
    fig, ax = plt.subplots()
    ordered = frame.sort_values(x)
    ax.plot(ordered[x], ordered[assumed], color=MUTED, linestyle="--", linewidth=2, marker="o", label=assumed_label)
    ax.plot(ordered[x], ordered[actual], color=HIGHLIGHT, linewidth=2, marker="o", label="actual")
    ax.legend(loc="upper left")
    _titled(ax, title, xlabel or x, ylabel)
    return fig


def annotated_heatmap(
    matrix: pd.DataFrame,
    title: str = "",
    value_label: str = "",
    value_format: str | Callable[[float], str] = "{:.0%}",
    vmin: float = 0.0,
    vmax: float = 1.0,
) -> Figure:
    """A grid of coloured cells (colour-blind-safe "cividis"), one per matrix cell, each labelled
    with its value in ``value_format`` (a format string or a function; missing cells left blank);
    rows and columns in matrix order."""
    values = matrix.astype("float64")
    fig, ax = plt.subplots(figsize=(max(FIGSIZE[0], 1.3 * values.shape[1] + 3.5), 0.45 * values.shape[0] + 1.8))
    shown = value_format if callable(value_format) else value_format.format
    labels = values.map(lambda v: "" if pd.isna(v) else shown(v))
    import seaborn as sns  # only this figure needs it

    colour_bar = {"label": value_label, "format": FuncFormatter(lambda v, _: shown(v))}
    sns.heatmap(values, annot=labels.to_numpy(), fmt="", cmap="cividis", vmin=vmin, vmax=vmax, linewidths=0.5,
                linecolor="white", cbar_kws=colour_bar, ax=ax)
    ax.grid(False)
    ax.tick_params(axis="y", rotation=0)
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right", rotation_mode="anchor")
    _titled(ax, title)
    return fig


def count_bars(frame: pd.DataFrame, x: str, y: str, title: str = "", ylabel: str = "", xlabel: str = "") -> Figure:
    """Vertical bars of ``y`` for each ``x`` in the frame's row order, each labelled with its
    value; the count axis ticks at whole numbers only."""
    fig, ax = plt.subplots()
    bars = ax.bar(frame[x].astype(str), frame[y], color=PALETTE[0])
    count_axis(ax, "y")
    ax.bar_label(bars, fmt="%g", padding=2)
    ax.margins(y=0.12)
    _titled(ax, title, xlabel or x, ylabel)
    return fig


def grouped_bars(frame: pd.DataFrame, category: str, value: str, hue: str, title: str = "", xlabel: str = "",
                 highlight: Sequence[str] = ()) -> Figure:
    """Horizontal bars of ``value``, one group per ``category`` (top to bottom in the frame's
    order of first appearance) with a bar per ``hue`` level (in order of first appearance, one
    legend; coloured by level_colours, as facet_lines colours the same levels); missing values
    leave a gap."""
    categories = list(dict.fromkeys(frame[category]))
    levels = list(dict.fromkeys(frame[hue]))
    colours = level_colours(levels, highlight)
    height = 0.8 / max(len(levels), 1)
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], max(3.0, 0.28 * len(categories) * max(len(levels), 1) + 1.2)))
    positions = np.arange(len(categories))
    for offset, level in enumerate(levels):
        rows = frame[frame[hue] == level].set_index(category)[value].reindex(categories).astype("float64")
        ax.barh(positions + offset * height, rows.to_numpy(), height=height, color=colours[level], label=str(level))
    ax.set_yticks(positions + height * (len(levels) - 1) / 2, [textwrap.fill(str(c), 40) for c in categories])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    ax.legend(loc="lower right")
    _titled(ax, title, xlabel)
    return fig


def year_axes(fig: Figure, label: Callable[[int], str] | None = None) -> None:
    """Whole years on the x axis of every panel of ``fig`` (no 2019.5), each tick written by
    ``label`` when given (e.g. a financial year: 2022 -> "2022-23", written sideways, the panels
    laid out again as facet_lines lays them out, above its legend when it has one)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    for ax in fig.axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if label is not None:
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: label(int(round(x)))))
            ax.tick_params(axis="x", rotation=45)
    if label is not None:
        fig.tight_layout(rect=(0, 0.08 if fig.legends else 0, 1, 1))


def box_strip_by_group(
    frame: pd.DataFrame,
    value_col: str,
    group_col: str,
    order: Sequence[str],
    title: str = "",
    ylabel: str = "",
    reference: float | None = None,
) -> Figure:
    """A box per group (in ``order``; median in HIGHLIGHT, whiskers 1.5 IQR) with every value
    drawn over it as a point, spread sideways by a fixed-seed jitter (same data, same bytes);
    groups take the palette in sorted order, as in ``time_series``; tick labels give each
    group's n. ``reference`` draws a dashed horizontal line (e.g. 0)."""
    fig, ax = plt.subplots()
    data = frame[[group_col, value_col]].dropna()
    values = [data.loc[data[group_col] == group, value_col].astype("float64").to_numpy() for group in order]
    positions = list(range(len(order)))
    ax.boxplot(values, positions=positions, widths=0.5, showfliers=False, medianprops={"color": HIGHLIGHT,
               "linewidth": 2}, boxprops={"color": "#444444"}, whiskerprops={"color": "#444444"},
               capprops={"color": "#444444"})
    rng = np.random.default_rng(0)
    colours = level_colours(order)
    for position, group_values, colour in zip(positions, values, (colours[group] for group in order)):
        ax.scatter(position + rng.uniform(-0.18, 0.18, group_values.size), group_values, s=16, color=colour,
                   alpha=0.75, edgecolor="white", linewidth=0.4, zorder=3)
    if reference is not None:
        ax.axhline(reference, color=MUTED, linestyle="--", linewidth=1, zorder=1)
    ax.set_xticks(positions, [f"{group}\n(n = {len(v)})" for group, v in zip(order, values)])
    _titled(ax, title, "", ylabel)
    return fig



def facet_lines(
    frame: pd.DataFrame,
    x: str,
    y: str,
    facet: str,
    hue: str | None = None,
    band: tuple[str, str] | None = None,
    title: str = "",
    ylabel: str = "",
    xlabel: str = "",
    reference: float | None = None,
    marker_x: float | None = None,
    columns: int = 3,
    highlight: Sequence[str] = (),
) -> Figure:
    """Small multiples, one panel per ``facet`` level (in order of appearance, each with its own
    y axis, titles wrapped):
    a line per ``hue`` level (coloured by level_colours with ``highlight``, one legend) or one
    line, with a shaded interval
    between the ``band`` columns; ``reference`` draws a dashed horizontal line (e.g. 0) and
    ``marker_x`` a dotted vertical one (e.g. entry)."""
    panels = list(dict.fromkeys(frame[facet]))
    rows = max(1, -(-len(panels) // columns))
    width = min(columns, max(len(panels), 1))
    bottom = FACET_LEGEND_INCHES if hue else 0.6
    height = FACET_ROW_INCHES * rows - FACET_GAP_INCHES + FACET_TOP_INCHES + bottom
    fig, axes = plt.subplots(rows, width, squeeze=False, figsize=(FIGSIZE[0] * width / 2.2, height))
    colours = level_colours(frame[hue].dropna().unique(), highlight) if hue else {None: PALETTE[0]}
    levels = list(colours)  # the highlighted first, so that the legend reads in that order
    for ax, panel in zip(axes.flat, panels):
        for level in levels:
            rows_of = frame[(frame[facet] == panel) & ((frame[hue] == level) if hue else True)].sort_values(x)
            ax.plot(rows_of[x], rows_of[y], color=colours[level], marker="o", markersize=3,
                    label=None if level is None else str(level))
            if band is not None:
                ax.fill_between(rows_of[x], rows_of[band[0]], rows_of[band[1]], color=colours[level], alpha=0.2,
                                linewidth=0)
        if reference is not None:
            ax.axhline(reference, color=MUTED, linestyle="--", linewidth=1)
        if marker_x is not None:
            ax.axvline(marker_x, color="#505050", linestyle=":", linewidth=1)
        ax.set_title(textwrap.fill(str(panel), 42), loc="left", fontsize=9, fontweight="normal")
        ax.tick_params(axis="x", labelsize=8, rotation=0 if pd.api.types.is_numeric_dtype(frame[x]) else 45)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    if hue:
        fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="lower center", ncol=min(len(levels), 4))
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
    fig.supxlabel(xlabel, fontsize=10, y=(bottom - 0.75 if hue else 0.05) / height, va="bottom")
    fig.supylabel(ylabel, fontsize=10)
    _facet_spacing(fig, bottom_inches=bottom)
    return fig


#: Small multiples, in inches: the height of each row of panels, the gap between rows (a wrapped
#: panel title and slanted year labels), the room above for the figure's title and the first
#: panels' titles, and below for the x label and legend.
FACET_ROW_INCHES, FACET_GAP_INCHES, FACET_TOP_INCHES, FACET_LEGEND_INCHES = 2.8, 0.95, 1.0, 1.3


def _facet_spacing(fig: Figure, bottom_inches: float) -> None:
    """Fixed margins and gaps for small multiples, in inches so that they hold whatever the
    number of rows: room for the figure title above, for ``bottom_inches`` below, and between
    panels for a wrapped two-line panel title and slanted year labels. The same look as
    matplotlib's tight layout without measuring every tick label (about 0.3 s a figure); the
    saved image is cut to what was drawn (tight_pixels)."""
    width, height = fig.get_figwidth(), fig.get_figheight()
    fig.subplots_adjust(left=0.75 / width, right=1 - 0.15 / width, top=1 - FACET_TOP_INCHES / height,
                        bottom=bottom_inches / height, wspace=0.3,
                        hspace=FACET_GAP_INCHES / (FACET_ROW_INCHES - FACET_GAP_INCHES))


def mark_entries(fig: Figure, entries: Mapping[object, str]) -> None:
    """A dotted vertical line at each x of ``entries`` (x -> label) on every panel, its label
    written upwards from the bottom of the axis."""
    for ax in fig.axes:
        bottom = ax.get_ylim()[0]
        for position, label in entries.items():
            ax.axvline(position, color="#505050", linestyle=":", linewidth=1)
            ax.annotate(label, (position, bottom), ha="right", va="bottom", rotation=90, fontsize=8, color="#505050")

#: Key of a displayed figure's image/png metadata naming its file under the report folder.
FIGURE_KEY = "sendlib_figure"
#: Pixels per figure inch on screen: a saved PNG (DPI per inch) is shown scaled to this.
SCREEN_DPI = 100


def save_and_display(fig: Figure, data: pd.DataFrame, output_dir: Path, name: str) -> None:
    """save_figure, then show the saved PNG in the notebook at SCREEN_DPI (so its text matches
    the page's): the figure is drawn once and the report shows exactly the file written."""
    from IPython.display import Image, display  # notebooks only

    described = figure_description(fig)
    png, _ = save_figure(fig, data, output_dir, name)
    content = png.read_bytes()
    width_px = int.from_bytes(content[16:20], "big")  # PNG IHDR: width, big-endian, at byte 16
    # The file's name lets the runner point the executed notebook and the HTML with code at
    # the file instead of storing the image again (sendlib.workers.figures_as_files); "alt"
    # describes the figure on the pages (for screen readers).
    display(Image(data=content, format="png", width=round(width_px * SCREEN_DPI / DPI),
                  metadata={FIGURE_KEY: png.relative_to(png.parent.parent).as_posix(), "alt": described}))


def figure_description(fig: Figure) -> str:
    """Words for a figure's alt text: its title (the figure's, else each panel's, wrapped lines
    joined), "Figure" if it has none."""
    titles = [fig.get_suptitle()] if fig.get_suptitle() else [
        ax.get_title(loc) for ax in fig.axes if ax.get_visible() for loc in ("left", "center") if ax.get_title(loc)]
    words = "; ".join(" ".join(title.split()) for title in titles)
    return f"Figure: {words}" if words else "Figure"


def save_and_link(fig: Figure, data: pd.DataFrame, output_dir: Path, name: str) -> None:
    """save_and_display, then a link under the figure to the CSV of its data (relative to the
    report folder, so it works from a copy of the folder)."""
    from IPython.display import Markdown, display  # notebooks only

    save_and_display(fig, data, output_dir, name)
    display(Markdown(f"Data behind this figure: [{name}.csv](figures/{name}.csv)"))
