"""SVG against palette PNG for the council report's charts: CPU time to draw and write each figure,
and its bytes, for a few councils. Prints one JSON object (read by run_benchmarks.py).

The figures are the report's own: notebook 05's code cells run in this process for each council
(parameters and `output_dir` set as the runner sets them), with ``plots.save_and_link`` replaced by
a collector, then every figure is written each way from a fresh drawing of the same cells.

Usage: python benchmarks/figures.py [--councils 202 886 420]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sendlib import config  # noqa: E402
from sendlib.present import plots  # noqa: E402

NOTEBOOK = "05_council_profile"


def council_figures(la: str) -> list[tuple[str, Figure]]:
    """The figures of council ``la``'s report, drawn by the notebook's own cells, not saved."""
    import IPython.display

    collected: list[tuple[str, Figure]] = []
    saved, shown = plots.save_and_link, IPython.display.display
    plots.save_and_link = lambda fig, data, output_dir, name: collected.append((name, fig))
    IPython.display.display = lambda *args, **kwargs: None
    try:
        notebook = json.loads((config.notebooks_dir() / f"{NOTEBOOK}.ipynb").read_text(encoding="utf-8"))
        cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
        namespace: dict = {}
        exec(cells[0], namespace)  # noqa: S102 (the notebook's parameters cell)
        namespace.update(la=la, output_dir=tempfile.mkdtemp(prefix="sendlib-figures-"))
        for cell in cells[1:]:
            exec(cell, namespace)  # noqa: S102 (the notebook's own cells)
    finally:
        plots.save_and_link, IPython.display.display = saved, shown
    return collected


def png_tight(fig: Figure) -> bytes:
    """The PNG as written before: savefig's tight box (every text laid out twice), then the palette."""
    from PIL import Image

    drawn = plots._Pixels()
    fig.savefig(drawn, format="rgba", dpi=plots.DPI, bbox_inches="tight")
    palette = Image.fromarray(drawn.pixels).convert("RGB").quantize(
        colors=plots.PNG_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    stored = io.BytesIO()
    palette.save(stored, format="PNG", compress_level=plots.PNG_COMPRESSION)
    return stored.getvalue()


def svg(fig: Figure, text_as_text: bool = False) -> bytes:
    """matplotlib's SVG with its tight box: glyphs as paths (looks the same everywhere) or, with
    ``text_as_text``, as text (smaller, drawn in whatever font the reader's machine has)."""
    stored = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none" if text_as_text else "path", "svg.hashsalt": "sendlib"}):
        fig.savefig(stored, format="svg", bbox_inches="tight", metadata={"Date": None})
    return stored.getvalue()


METHODS: dict[str, Callable[[Figure], bytes]] = {
    "PNG, palette, one drawing cut to what was drawn (now)": plots.png_bytes,
    "PNG, palette, savefig's tight box (before)": png_tight,
    "SVG, glyphs as paths, tight box": svg,
    "SVG, text as text, tight box": lambda fig: svg(fig, text_as_text=True),
}


def measure(councils: list[str]) -> dict:
    """For each method: CPU milliseconds per figure (median over every figure of every council,
    each written from a fresh drawing), bytes per figure (median) and per report (sum, mean over
    councils)."""
    plots.apply_style()
    council_figures(councils[0])  # warm-up: imports, tables read, caches
    plt.close("all")
    found: dict[str, dict] = {}
    for method, write in METHODS.items():
        times, sizes, per_report = [], [], []
        for la in councils:
            figures = council_figures(la)
            written = 0
            for _, fig in figures:
                started = time.process_time()
                size = len(write(fig))
                times.append(1000 * (time.process_time() - started))
                sizes.append(size)
                written += size
            per_report.append(written)
            plt.close("all")
        found[method] = {"ms_per_figure": round(statistics.median(times), 1), "bytes_per_figure": statistics.median(sizes),
                         "bytes_per_report": round(statistics.mean(per_report)), "figures": len(times)}
    return {"councils": councils, "methods": found}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--councils", nargs="+", default=["202", "886", "420"])
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.councils)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
