"""The reports as a reader sees them, in a real browser: Debian's Chromium driven by selenium
through Debian's chromedriver (no browser is downloaded). On the front page
(reports/index.html, opened from file://) typing part of a council's name keeps only the
matching rows, clicking a heading sorts the column (numbers as numbers), and the council's
link opens its report, whose visible text has the headline summary and no "NaN" and whose
figures are drawn. Skips, saying why, where the browser is missing; fails under CI=true."""

from __future__ import annotations

import importlib.util
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

from cli_runs import run_sendlib
from conftest import under_ci

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
WINDOW = (1280, 2000)
STEM = "05_council_profile"
#: Two councils (one round of two parallel jobs): only one has the letters typed below, and
#: their spend per head sorts differently as text and as numbers (Stockport's £762 < Camden's £1,205).
COUNCILS = {"202": "Camden", "356": "Stockport"}
TYPED = "amde"
SPEND_COLUMN = "Spend per head aged 2-18"

pytestmark = pytest.mark.needs_data


def browser_missing() -> str | None:
    """Why the real-browser tests cannot run here, or None."""
    if not CHROMIUM.is_file() or not CHROMEDRIVER.is_file():
        return (f"{CHROMIUM} or {CHROMEDRIVER} not found: install Debian's browser "
                "(apt-get install -y chromium chromium-driver) to render the reports")
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed: pip install -c constraints.txt -e '.[dev]'"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A headless Chromium with a fresh profile; skipped (failed under CI) without one."""
    reason = browser_missing()
    if reason:
        if under_ci():
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
                 f"--window-size={WINDOW[0]},{WINDOW[1]}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def rendered(processed_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reports folder with the councils' reports and the front page, made with the CLI."""
    reports = tmp_path_factory.mktemp("reports")
    completed = run_sendlib(reports, "report", "--all", "--la-list", *COUNCILS, "--jobs", "2")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return reports


@pytest.fixture
def front_page(browser, rendered: Path):
    browser.get((rendered / "index.html").as_uri())
    return browser


def council_rows(driver) -> list:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, "#councils tbody tr")


def visible_names(driver) -> list[str]:
    return [row.find_element("css selector", "td.name").text for row in council_rows(driver) if row.is_displayed()]


def type_filter(driver, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element("id", "council-filter")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(text)


def column_index(driver, heading: str) -> int:
    headings = [cell.text for cell in driver.find_elements("css selector", "#councils thead th")]
    return next(i for i, text in enumerate(headings) if text.startswith(heading))


def screenshot(driver, png: Path) -> np.ndarray:
    """The browser window as an RGB(A) array (saved to ``png``)."""
    assert driver.save_screenshot(str(png)), f"no screenshot written to {png}"
    return image.imread(png)


def inked_share(pixels: np.ndarray) -> float:
    """Share of pixels that are not (near) white."""
    return float((pixels[..., :3] < 0.9).any(axis=-1).mean())


def distinct_colours(pixels: np.ndarray) -> int:
    rgb = (pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    return len(np.unique(rgb, axis=0))


def test_front_page_lists_every_council_by_name(front_page, tmp_path: Path) -> None:
    assert sorted(visible_names(front_page)) == sorted(COUNCILS.values())
    assert "NaN" not in front_page.find_element("tag name", "body").text
    pixels = screenshot(front_page, tmp_path / "index.png")
    assert inked_share(pixels) > 0.01, "the front page is (almost) blank"


def test_typing_part_of_a_name_keeps_only_the_matching_rows(front_page) -> None:
    type_filter(front_page, TYPED)
    assert visible_names(front_page) == ["Camden"]
    assert front_page.find_element("id", "council-count").text == "1"
    type_filter(front_page, "")
    assert len(visible_names(front_page)) == len(COUNCILS)


def test_clicking_a_heading_sorts_its_numbers_as_numbers(front_page) -> None:
    column = column_index(front_page, SPEND_COLUMN)
    button = front_page.find_elements("css selector", "#councils thead th button")[column]

    def values() -> list[float]:
        cells = [row.find_elements("tag name", "td")[column] for row in council_rows(front_page)]
        return [float(cell.get_attribute("data-sort")) for cell in cells]

    button.click()
    ascending = values()
    assert ascending == sorted(ascending) and len(ascending) == len(COUNCILS)
    button.click()
    assert values() == sorted(ascending, reverse=True)


def test_the_council_link_opens_its_report_with_the_headline_summary_and_no_nan(front_page) -> None:
    type_filter(front_page, TYPED)
    link = next(row for row in council_rows(front_page) if row.is_displayed()).find_element("css selector", "td.name a")
    link.click()
    assert re.search(rf"/council_202/{STEM}\.nocode\.html$", front_page.current_url), front_page.current_url
    text = front_page.execute_script("return document.body.innerText")
    assert "Camden (202)" in text and "Traceback" not in text
    assert "Headline summary" in text
    assert "NaN" not in text, [line for line in text.splitlines() if "NaN" in line][:5]


def test_a_council_report_draws_its_figures_from_a_copy_of_its_folder(browser, rendered: Path, tmp_path: Path) -> None:
    copy = shutil.copytree((rendered / "latest" / "council_202").resolve(), tmp_path / "elsewhere" / "council_202")
    browser.get((copy / f"{STEM}.nocode.html").as_uri())
    drawn = browser.execute_script("return Array.from(document.images)"
                                   ".filter(i => i.src.startsWith('data:image/png') && i.naturalWidth > 0).length")
    assert drawn >= 10, "every figure is embedded in the page and drawn"
    pixels = screenshot(browser, tmp_path / "council.png")
    assert inked_share(pixels) > 0.03, "the report is (almost) blank"
    assert distinct_colours(pixels) > 200, "no figure drawn"
    browser.get((copy / f"{STEM}.html").as_uri())  # with code: figures are files beside the page
    broken = browser.execute_script("return Array.from(document.images).filter(i => !(i.naturalWidth > 0))"
                                    ".map(i => i.getAttribute('src'))")
    assert browser.execute_script("return document.images.length") >= 10 and not broken, broken
