"""The console as an HQ lawyer uses it: Debian's Chromium through Selenium against a real
`fairdesk-hq` process (SQLite and PostgreSQL) and a real `fairdesk` booth laptop.

Sign in, find the Hannover Messe case the booth synced (searching in Chinese), open the photo,
download the original and check its SHA-256, download the HQ-signed bundle and run its
verify.py, publish an alert and see the booth laptop
acknowledge it, make an enrolment code (text + QR), revoke the laptop and see its next sync
refused. The SQLite run saves a screenshot of every page in English and Chinese under
build/screenshots/hq/. Skipped only when Chromium is missing and CI is not set.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from fairdesk.knowledge.alerts import acknowledge, list_alerts
from sync.server.console.i18n import translate
from tests.sync.console.helpers import PASSWORD, add_staff, booth_case, hq_device_id
from tests.sync.hq_harness import live_hq

ROOT = Path(__file__).resolve().parents[3]
SHOTS = ROOT / "build" / "screenshots" / "hq"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

if not (CHROMIUM and DRIVER):
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but chromium/chromium-driver are not installed", pytrace=False)
    pytest.skip("chromium and chromium-driver are not installed", allow_module_level=True)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import (  # noqa: E402
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[tuple[WebDriver, Path]]:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--lang=en-US",
        "--no-proxy-server",
        f"--user-data-dir={tmp_path / 'chrome-profile'}",
    ):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "intl.accept_languages": "en-US,en",
        },
    )
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver, downloads
    finally:
        driver.quit()


T = TypeVar("T")


def _wait(driver: WebDriver, check: Callable[[WebDriver], T], timeout: float = 30) -> T:
    return WebDriverWait(driver, timeout).until(check)


def _element(driver: WebDriver, element_id: str) -> WebElement:
    """The element with this id, once the page that has it is there.

    A click on a link returns before the next page is always in place; looking an element up
    at once can find nothing (or the old page), so wait for it.
    """
    return _wait(driver, lambda d: d.find_element(By.ID, element_id))


def _submit(driver: WebDriver, button_id: str) -> None:
    """Clicks a form's button and waits until the page it answers with is there.

    The alerts form answers with the alerts page again, so the address alone cannot tell the
    answer has come: wait for the old page to go and the button to be back.
    """
    button = driver.find_element(By.ID, button_id)
    button.click()
    _wait(driver, _replaced(button))
    _element(driver, button_id)


def _replaced(element: WebElement) -> Callable[[WebDriver], bool]:
    """True once the page holding ``element`` has been replaced by the next one.

    Chromium says so either as a stale element or, while the next document is being built, as
    "Node with given id does not belong to the document" (a plain WebDriverException, which
    selenium's ``staleness_of`` does not expect: a full-suite run failed on it).
    """

    def check(_driver: WebDriver) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
        return False

    return check


def _shot(driver: WebDriver, name: str, enabled: bool) -> None:
    if not enabled:
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(1280, max(700, min(height + 40, 4000)))
    # Chinese text needs the CJK face (bundled Noto Sans SC when the system has none): load it.
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "Promise.all([document.fonts.load('15px \"FairDesk CJK\"', '中'),"
        " document.fonts.load('bold 15px \"FairDesk CJK\"', '中')])"
        ".then(() => document.fonts.ready).then(() => done(true));"
    )
    driver.save_screenshot(str(SHOTS / f"{name}.png"))
    driver.set_window_size(1280, 900)


def _natural_width(element: Any) -> Callable[[WebDriver], object]:
    """Waits until an <img> has loaded (its natural width, else 0)."""
    return lambda d: d.execute_script("return arguments[0].naturalWidth", element)


def _sign_in(driver: WebDriver, base: str, tenant: str, name: str) -> None:
    driver.get(f"{base}/console/login")
    driver.find_element(By.ID, "tenant").send_keys(tenant)
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "sign-in").click()
    _wait(driver, lambda d: d.current_url.endswith("/console/cases"))
    _element(driver, "search")


def _sign_out(driver: WebDriver) -> None:
    driver.find_element(By.ID, "sign-out").click()
    _wait(driver, lambda d: "/console/login" in d.current_url)
    _element(driver, "sign-in")


def _finished_download(folder: Path, suffix: str = "") -> Path | None:
    """The finished download, if any.

    Chromium writes into ``*.crdownload`` and renames it when done; it may also reserve the
    final name with an empty file while the download runs (a full-suite run read such an
    empty "zip"). So a download is finished only when no ``*.crdownload`` is left and the
    file under its final name has bytes.
    """
    names = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if any(p.name.endswith(".crdownload") for p in names):
        return None
    done = [p for p in names if p.name.endswith(suffix) and p.stat().st_size > 0]
    return done[0] if done else None


def test_hq_lawyer_works_the_booth_case_in_a_browser(
    hq_db_url: str, tmp_path: Path, browser: tuple[WebDriver, Path]
) -> None:
    driver, downloads = browser
    shots = hq_db_url.startswith("sqlite")
    env = {"FAIRDESK_HQ_CONSOLE_INSECURE_COOKIES": "1"}
    with live_hq(hq_db_url, tmp_path / "hq", env=env) as hq:
        hq.add_tenant("Acme Tools")
        hq.add_tenant("维权援助中心", kind="guidance")
        add_staff(hq.db_url, "Acme Tools", "Li Wei", "legal")
        add_staff(hq.db_url, "Acme Tools", "Admin", "admin")
        booth = booth_case(hq, tmp_path, "Acme Tools")
        base = hq.base_url

        for lang in ("en", "zh_CN"):
            driver.delete_all_cookies()
            driver.get(f"{base}/console/lang/{lang}?next=/console/login")
            _wait(driver, lambda d: d.find_element(By.ID, "sign-in"))
            _shot(driver, f"login-{lang}", shots)
            driver.find_element(By.ID, "password").send_keys("wrong password")
            driver.find_element(By.ID, "tenant").send_keys("Acme Tools")
            driver.find_element(By.ID, "name").send_keys("nobody")
            driver.find_element(By.ID, "sign-in").click()
            message = _wait(driver, lambda d: d.find_element(By.ID, "message"))
            expected = "Wrong organisation" if lang == "en" else "组织、姓名、密码或验证码错误"
            assert expected in message.text
            _shot(driver, f"login-error-{lang}", shots)

        for lang in ("en", "zh_CN"):
            driver.get(f"{base}/console/lang/{lang}?next=/console/login")
            _sign_in(driver, base, "Acme Tools", "Li Wei")
            box = driver.find_element(By.ID, "search")
            box.send_keys("专利")  # a word inside the title, no spaces
            driver.find_element(By.ID, "filter").click()
            _wait(driver, lambda d: "q=" in d.current_url)
            link = driver.find_element(By.CLASS_NAME, "case-link")
            listed = driver.find_element(By.ID, "cases").text
            assert "Hannover Messe" in listed
            # The situation in words, as the device says it (never "warning_letter/against_us").
            words = translate("Warning letter received", lang)
            assert words in listed and "against_us" not in listed, listed
            _shot(driver, f"cases-{lang}", shots)
            link.click()
            _wait(driver, lambda d: d.find_element(By.ID, "case-title"))
            assert "Rechtsanwalt K. Weber" in driver.find_element(By.ID, "parties").text
            thumb = driver.find_element(By.CSS_SELECTOR, "#evidence img")
            _wait(driver, _natural_width(thumb))
            _shot(driver, f"case-{lang}", shots)
            driver.find_element(By.CLASS_NAME, "evidence-link").click()
            preview = _wait(driver, lambda d: d.find_element(By.ID, "preview"))
            width = _wait(driver, _natural_width(preview))
            assert width == 640  # the server-made view of the 640×480 photo
            expected_sha = hashlib.sha256(booth.photo.read_bytes()).hexdigest()
            assert driver.find_element(By.ID, "sha256").text == expected_sha
            _shot(driver, f"evidence-{lang}", shots)
            if lang == "en":
                driver.find_element(By.ID, "download").click()
                got = _wait(driver, lambda _d: _finished_download(downloads))
                assert got is not None and got.name == "booth-photo.jpg"
                assert hashlib.sha256(got.read_bytes()).hexdigest() == expected_sha
                # The verifiable bundle, signed by HQ: its own verify.py passes on it.
                driver.back()
                _wait(driver, lambda d: d.find_element(By.ID, "export"))
                driver.find_element(By.ID, "export").click()
                bundle = _wait(driver, lambda _d: _finished_download(downloads, ".zip"))
                assert isinstance(bundle, Path)
                unpacked = tmp_path / "bundle"
                with zipfile.ZipFile(bundle) as archive:
                    archive.extractall(unpacked)
                checked = subprocess.run(
                    [sys.executable, "verify.py"],
                    cwd=unpacked,
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=120,
                )
                assert checked.returncode == 0, checked.stdout
                assert "ALL CHECKS PASSED" in checked.stdout

            # Publish an alert; the booth laptop pulls it, the responder acknowledges it.
            driver.find_element(By.ID, "nav-alerts").click()
            title = f"Patent troll at Hannover ({lang})"
            _element(driver, "title").send_keys(title)
            driver.find_element(By.ID, "title_zh").send_keys("汉诺威展会专利流氓")
            driver.find_element(By.ID, "body").send_keys("Do not sign anything; call HQ.")
            driver.find_element(By.ID, "body_zh").send_keys("不要签署任何文件；请致电总部。")
            driver.find_element(By.CSS_SELECTOR, "#alert-level option[value=red]").click()
            driver.find_element(By.ID, "countries").send_keys("DE")
            driver.find_element(By.ID, "fairs").send_keys("Hannover Messe")
            _submit(driver, "publish")
            assert booth.node.sync().drained
            mine = [a for a in list_alerts(booth.node.store) if a.title_en == title]
            assert len(mine) == 1
            assert mine[0].title_zh == "汉诺威展会专利流氓" and mine[0].countries == ("DE",)
            acknowledge(booth.node.store, mine[0].id)
            assert booth.node.sync().drained
            driver.refresh()
            card = driver.find_element(By.ID, f"alert-{mine[0].id}")
            assert "booth" in card.find_element(By.CLASS_NAME, "acks").text
            _shot(driver, f"alerts-{lang}", shots)
            _sign_out(driver)

        # The admin: enrolment code (text + QR), devices, revoke, audit log.
        for lang in ("en", "zh_CN"):
            driver.get(f"{base}/console/lang/{lang}?next=/console/login")
            _sign_in(driver, base, "Acme Tools", "Admin")
            driver.find_element(By.ID, "nav-devices").click()
            _element(driver, "make-code").click()
            code = _wait(driver, lambda d: d.find_element(By.ID, "code")).text
            assert len(code.replace("-", "")) == 20
            qr = driver.find_element(By.ID, "qr")
            assert driver.execute_script("return arguments[0].naturalWidth", qr) > 0
            _shot(driver, f"devices-{lang}", shots)
            driver.find_element(By.ID, "nav-audit").click()
            audit_text = _element(driver, "audit").text
            assert "download original" in audit_text and "publish alert" in audit_text
            _shot(driver, f"audit-{lang}", shots)
            driver.get(f"{base}/console/cases/00000000-0000-0000-0000-000000000000")
            _shot(driver, f"not-found-{lang}", shots)
            _sign_out(driver)

        # The guidance centre alerts the company that escalated the case to it.
        add_staff(hq.db_url, "维权援助中心", "advisor", "guidance")
        done = hq.cli(
            "escalate", "--tenant", "Acme Tools", "--case", booth.case_id, "--to", "维权援助中心"
        )
        assert done.returncode == 0, done.stderr
        for lang in ("en", "zh_CN"):
            driver.get(f"{base}/console/lang/{lang}?next=/console/login")
            _sign_in(driver, base, "维权援助中心", "advisor")
            driver.find_element(By.ID, "nav-alerts").click()
            options = _element(driver, "company").text
            assert "Acme Tools" in options
            driver.find_element(By.ID, "title").send_keys(f"Customs watch at Hannover ({lang})")
            driver.find_element(By.ID, "title_zh").send_keys("汉诺威海关重点监控")
            _submit(driver, "publish")
            assert booth.node.sync().drained
            title = f"Customs watch at Hannover ({lang})"
            [sent] = [a for a in list_alerts(booth.node.store) if a.title_en == title]
            acknowledge(booth.node.store, sent.id)
            assert booth.node.sync().drained
            driver.refresh()
            card = driver.find_element(By.ID, f"alert-{sent.id}")
            assert "booth" in card.find_element(By.CLASS_NAME, "acks").text
            assert "Acme Tools" in card.find_element(By.CLASS_NAME, "company").text
            _shot(driver, f"guidance-alerts-{lang}", shots)
            _sign_out(driver)

        device_id = hq_device_id(hq.db_url, "Acme Tools", "booth")
        driver.get(f"{base}/console/lang/en?next=/console/login")
        _sign_in(driver, base, "Acme Tools", "Admin")
        driver.find_element(By.ID, "nav-devices").click()
        row = _element(driver, f"device-{device_id}")
        row.find_element(By.CLASS_NAME, "revoke").click()
        _wait(driver, _replaced(row))
        row = _element(driver, f"device-{device_id}")
        assert row.find_element(By.CLASS_NAME, "state").text == "revoked"
        result = booth.node.sync()
        assert not result.ok  # the revoked laptop is refused from the next request on
        booth.node.close()
