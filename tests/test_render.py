"""The reports as a reader sees them, in a real browser: Debian's Chromium driven by selenium
through Debian's chromedriver (no browser is downloaded). On the front page
(reports/index.html, opened from file://) typing part of a council's name keeps only the
matching rows (the hard names of tests/fixtures/hard_names.csv find what the Python matcher
finds), clicking a heading sorts the column (numbers as numbers), and the council's link opens
its report, whose visible text has the headline summary and no "NaN" and whose figures are
drawn. After a rerun of a council with another setting, its row still links to the default
run, the rerun is listed apart with its setting, and its page shows the setting in its
"Parameters used" box; the back link and the CSV links work from the run folder and from a
copy of the council's folder. Skips, saying why, where the browser is missing; fails under
CI=true."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlparse
from urllib.request import url2pathname

import numpy as np
import pandas as pd
import pytest
from matplotlib import image

from cli_runs import hard_names, run_sendlib
from conftest import under_ci
from sendlib.present.frontpage import write_index

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
#: The rerun of Stockport with another setting, and how the front page labels it.
CUSTOM = ("funding_growth_first", "0.1")
CUSTOM_LABEL = "funding_growth_first = 10%"

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
    """A reports folder with the councils' reports (with the page with code too) and the front
    page, made with the CLI."""
    reports = tmp_path_factory.mktemp("reports")
    completed = run_sendlib(reports, "report", "--all", "--la-list", *COUNCILS, "--jobs", "2", "--with-code")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return reports


@pytest.fixture
def front_page(browser, rendered: Path):
    browser.get((rendered / "index.html").as_uri())
    return browser


@pytest.fixture(scope="module")
def rerun(rendered: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of ``rendered`` in which Stockport was then run again with another setting."""
    reports = tmp_path_factory.mktemp("rerun") / "reports"
    shutil.copytree(rendered, reports, symlinks=True)
    completed = run_sendlib(reports, "report", "--la", "Stockport", "-p", *CUSTOM)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return reports


@pytest.fixture(scope="module")
def every_council(processed_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A front page with a row for every council of the LA lookup, from hand-made results (name,
    code and ONS codes: what the filter searches)."""
    reports = tmp_path_factory.mktemp("every_council")
    lookup = pd.read_parquet(processed_data / "la_lookup.parquet")
    records = {}
    for council in lookup.itertuples():
        name = f"council_{council.la_code}"
        (reports / "run" / name).mkdir(parents=True)
        results = {"la_code": council.la_code, "la_name": council.la_name, "ons_codes": council.ons_codes.split(";")}
        (reports / "run" / name / "results.json").write_text(json.dumps(results), encoding="utf-8")
        records[name] = {"notebook": f"notebooks/{STEM}.ipynb", "status": "ok", "outputs": {}, "non_default": {},
                         "started_at": "2026-01-01T10:00:00+00:00", "parameters": {"la": council.la_code}}
    manifest = {"run_id": "run", "started_at": "2026-01-01T10:00:00+00:00", "reports": records}
    (reports / "run" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    write_index(reports)
    return reports


def council_rows(driver) -> list:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, "#councils tbody tr")


def visible_names(driver) -> list[str]:
    return [row.find_element("css selector", "td.name").text for row in council_rows(driver) if row.is_displayed()]


def visible_codes(driver) -> list[str]:
    return sorted(row.find_elements("tag name", "td")[1].text for row in council_rows(driver) if row.is_displayed())


def other_run_rows(driver) -> list:
    return driver.find_elements("css selector", "table.others tbody tr")


def file_of(url: str) -> Path:
    """The file a file:// URL points at."""
    return Path(url2pathname(urlparse(url).path))


def relative_links(driver) -> list[str]:
    """Every link of the page that points at a file beside it (not a page anchor, not the web)."""
    hrefs = driver.execute_script("return Array.from(document.links).map(a => a.getAttribute('href'))")
    return [href for href in hrefs if href and not href.startswith(("#", "http:", "https:", "mailto:"))]


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
    undescribed = browser.execute_script("return Array.from(document.images).map(i => i.alt)"
                                         ".filter(alt => !alt.startsWith('Figure: '))")
    assert not undescribed, f"a screen reader reads each figure's title: {undescribed}"
    pixels = screenshot(browser, tmp_path / "council.png")
    assert inked_share(pixels) > 0.03, "the report is (almost) blank"
    assert distinct_colours(pixels) > 200, "no figure drawn"
    browser.get((copy / f"{STEM}.html").as_uri())  # with code: figures are files beside the page
    broken = browser.execute_script("return Array.from(document.images).filter(i => !(i.naturalWidth > 0))"
                                    ".map(i => i.getAttribute('src'))")
    assert browser.execute_script("return document.images.length") >= 10 and not broken, broken


@pytest.mark.parametrize("case", hard_names(), ids=lambda case: case["query"])
def test_the_filter_finds_the_hard_names_as_the_python_matcher_does(browser, every_council: Path, case: dict) -> None:
    browser.get((every_council / "index.html").as_uri())
    type_filter(browser, case["query"])
    assert visible_codes(browser) == sorted(case["finds"].split()), case["note"]
    assert browser.find_element("id", "council-count").text == str(len(case["finds"].split()))


def test_a_custom_rerun_keeps_the_row_on_the_default_run(rendered: Path, rerun: Path) -> None:
    """The real command line, no browser: `sendlib report --la Stockport -p funding_growth_first 0.1`
    after a default report."""
    first = json.loads((rendered / "latest" / "manifest.json").read_text(encoding="utf-8"))["run_id"]
    custom = json.loads((rerun / "latest" / "manifest.json").read_text(encoding="utf-8"))
    assert custom["run_id"] != first and custom["reports"]["council_356"]["non_default"] == {CUSTOM[0]: 0.1}
    page = (rerun / "index.html").read_text(encoding="utf-8")
    councils, others = page.split('<table class="others">')
    assert f'href="{first}/council_356/{STEM}.nocode.html">Stockport<' in councils
    assert f'href="{custom["run_id"]}/council_356/{STEM}.nocode.html">Stockport (356)<' in others
    assert CUSTOM_LABEL in others


def test_the_rerun_is_listed_apart_and_its_page_shows_the_setting(browser, rerun: Path) -> None:
    browser.get((rerun / "index.html").as_uri())
    type_filter(browser, "E08000007")
    assert visible_names(browser) == ["Stockport"]
    row = next(row for row in council_rows(browser) if row.is_displayed())
    assert "/council_356/" in row.find_element("css selector", "td.name a").get_attribute("href")
    (other,) = other_run_rows(browser)
    assert CUSTOM_LABEL in other.text and "Stockport (356)" in other.text
    other.find_element("css selector", "td a").click()
    text = browser.execute_script("return document.body.innerText")
    assert browser.title == "Stockport: high needs profile" and "Parameters used" in text
    assert re.search(r"funding_growth_first\s+10% \(changed\)\s+5%", text), text[:3000]
    browser.find_element("css selector", "#sendlib-back a").click()
    assert file_of(browser.current_url) == rerun / "index.html", "the back link opens the front page"


def test_back_and_csv_links_from_the_run_folder_and_from_a_copy(browser, rendered: Path, tmp_path: Path) -> None:
    folder = (rendered / "latest" / "council_202").resolve()
    copy = shutil.copytree(folder, tmp_path / "shared" / "council_202")
    for where in (folder, copy):
        browser.get((where / f"{STEM}.nocode.html").as_uri())
        links = relative_links(browser)
        assert "figures/spending.csv" in links and "camden_202_high_needs_data.zip" in links
        missing = [href for href in links if not file_of(urljoin(browser.current_url, href)).exists()]
        assert missing == [], f"dead links from {where}"
    browser.get((folder / f"{STEM}.nocode.html").as_uri())
    assert browser.find_element("css selector", "#sendlib-back a").get_attribute("href").endswith("/index.html")
    browser.get((copy / f"{STEM}.nocode.html").as_uri())
    back = browser.find_element("id", "sendlib-back")
    assert back.find_elements("tag name", "a") == [] and "reports/index.html" in back.text, "no dead link in a copy"
    csv = file_of(browser.find_element("link text", "spending.csv").get_attribute("href"))  # a click downloads it
    assert csv == copy / "figures" / "spending.csv" and csv.read_text().startswith("fy,series,value\n")
