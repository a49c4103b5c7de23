"""The reports as a reader sees them: a council report and the index, rendered by headless
Chromium, must draw something (not a blank page) and carry their figures inside the HTML."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
WINDOW = (1280, 2000)
STEM = "05_council_profile"

pytestmark = [
    pytest.mark.needs_data,
    pytest.mark.skipif(
        not CHROMIUM.is_file(),
        reason=f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) to render reports",
    ),
]


def screenshot(page: Path, png: Path, profile_dir: Path) -> np.ndarray:
    """Render ``page`` with headless Chromium into ``png``; the screenshot as an RGB(A) array."""
    completed = subprocess.run(
        [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", f"--screenshot={png}",
         f"--window-size={WINDOW[0]},{WINDOW[1]}", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0 and png.is_file(), completed.stderr[-2000:]
    return image.imread(png)


def inked_share(pixels: np.ndarray) -> float:
    """Share of pixels that are not (near) white."""
    return float((pixels[..., :3] < 0.9).any(axis=-1).mean())


def distinct_colours(pixels: np.ndarray) -> int:
    rgb = (pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    return len(np.unique(rgb, axis=0))


@pytest.fixture(scope="module")
def rendered(processed_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Camden's report and the index, made with the CLI into a temporary reports folder."""
    reports = tmp_path_factory.mktemp("reports")
    env = {**os.environ, "SENDLIB_REPORTS_DIR": str(reports)}
    env.pop("SENDLIB_RUN_ID", None)
    completed = subprocess.run([sys.executable, "-m", "sendlib", "report", "--la", "Camden"],
                               capture_output=True, text=True, env=env, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return reports


def test_council_report_renders_with_its_figures(rendered, tmp_path):
    page = rendered / "latest" / "council_202" / f"{STEM}.nocode.html"
    html = page.read_text(encoding="utf-8")
    embedded = re.findall(r'<img[^>]+src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}', html)
    assert len(embedded) >= 10, "every figure is embedded in the page"
    assert "Camden (202)" in html and "Traceback" not in html
    pixels = screenshot(page, tmp_path / "council.png", tmp_path / "chromium")
    assert pixels.shape[:2] == (WINDOW[1], WINDOW[0])
    assert inked_share(pixels) > 0.03, "the page is (almost) blank"
    assert distinct_colours(pixels) > 200, "no figure drawn"


def test_index_renders_and_links_the_report(rendered, tmp_path):
    index = rendered / "index.html"
    html = index.read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', html)
    report_link = next(link for link in links if link.endswith(f"council_202/{STEM}.nocode.html"))
    assert (rendered / report_link).is_file(), "the index links an existing report"
    pixels = screenshot(index, tmp_path / "index.png", tmp_path / "chromium")
    assert pixels.shape[:2] == (WINDOW[1], WINDOW[0])
    assert inked_share(pixels) > 0.003, "the index is blank"
