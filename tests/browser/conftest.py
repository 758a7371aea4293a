"""A `tinbao demo` process and a headless Chromium driving its page (Debian's chromium)."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.demo_process import DemoProcess, demo_process

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
# Set to a folder (docs/screenshots) to keep the screenshots; else they go to a temporary one.
SCREENSHOTS = os.environ.get("SCREENSHOTS_DIR")

MISSING = (
    "browser tests need Debian's chromium and chromium-driver "
    "(scripts/test installs them when run as root)"
)


@pytest.fixture(scope="module")
def demo(
    browser: webdriver.Chrome, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoProcess]:
    """One demo for the module; each test starts from its first state."""
    folder = tmp_path_factory.mktemp("demo")
    with demo_process(folder / "data", cwd=folder) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """A headless Chromium the size of a laptop screen."""
    if CHROMIUM is None or CHROMEDRIVER is None:
        if os.environ.get("CI") == "true":
            pytest.fail(MISSING + "; CI=true requires them")
        pytest.skip(MISSING)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in a container has no user namespace for the sandbox
        "--disable-dev-shm-usage",
        "--window-size=1440,960",
        "--lang=vi",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(demo: DemoProcess, browser: webdriver.Chrome) -> webdriver.Chrome:
    """The demo page, the demo just reset to its first state."""
    assert httpx.post(demo.url + "/playground/reset", timeout=30).status_code == 200
    browser.set_window_size(1440, 960)
    browser.get(demo.url + "/")
    return browser


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go."""
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(browser: webdriver.Chrome, folder: Path, name: str, *, width: int = 1100) -> None:
    """Save what the browser shows as a small PNG."""
    picture: Image.Image = Image.open(io.BytesIO(browser.get_screenshot_as_png()))
    if picture.width > width:
        picture = picture.resize((width, round(picture.height * width / picture.width)))
    picture.convert("RGB").quantize(colors=128).save(folder / f"{name}.png", optimize=True)
