"""A real headless Chromium driven through Selenium, as a phone would open the intake page.

Skips (with the reason) when Debian's ``chromium`` / ``chromium-driver`` or ``selenium`` are
missing — except under ``CI=true``, where that is a failure: CI installs them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMEDRIVER = "/usr/bin/chromedriver"
FONTS = Path(__file__).resolve().parents[3] / "resources" / "fonts"


def _fontconfig(folder: Path) -> dict[str, str]:
    """Environment for Chromium that adds FairDesk's bundled Noto Sans SC to the system fonts.

    Phones have CJK fonts; a bare test machine may not, and the Chinese screenshots would show
    empty boxes instead of Chinese.
    """
    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<dir>{FONTS}</dir><cachedir>{folder / 'cache'}</cachedir></fontconfig>"
    )
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


def require_browser() -> None:
    missing = [
        what
        for what, present in (
            ("chromium", shutil.which("chromium") is not None),
            ("chromium-driver", os.path.exists(CHROMEDRIVER)),
            ("selenium", importlib.util.find_spec("selenium") is not None),
        )
        if not present
    ]
    if not missing:
        return
    reason = f"needs {', '.join(missing)} (apt-get install -y chromium chromium-driver)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the browser tests: {reason}")
    pytest.skip(reason)


@contextmanager
def phone_browser(language: str = "en-US", width: int = 390, height: int = 844) -> Iterator[Any]:
    """A narrow, phone-sized headless Chromium whose ``navigator.language`` is ``language``."""
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-extensions",
        "--no-first-run",
        "--ignore-certificate-errors",  # the per-session certificate is self-signed
        f"--lang={language}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    fonts = Path(tempfile.mkdtemp(prefix="fairdesk-fonts-"))
    service = Service(CHROMEDRIVER, env=_fontconfig(fonts))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.execute_cdp_cmd("Emulation.setLocaleOverride", {"locale": language})
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True},
        )
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(fonts, ignore_errors=True)
