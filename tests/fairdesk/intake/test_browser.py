"""The phone page in a real browser: pair, send 20 real photos (a HEIC and a 30 MB file among
them) through a link that is cut twice in the middle of the big file, and find every original
byte-exact in the vault with its custody entry. Also the page's screenshots in both languages.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from fairdesk.evidence import service
from fairdesk.evidence.vocab import EvidenceKind
from fairdesk.store import Store
from tests.fairdesk.intake.browser import phone_browser
from tests.fairdesk.intake.conftest import Intake, photo_bytes
from tests.sync.faultproxy import FaultProxy

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "build" / "screenshots" / "intake"


def make_photos(folder: Path) -> list[Path]:
    """18 JPEGs, one HEIC (pillow-heif) and one ~30 MB PNG of noise, all real and decodable."""
    paths = []
    for index in range(18):
        path = folder / f"IMG_{index:04d}.JPG"
        path.write_bytes(photo_bytes(index + 1, (1024 + index * 16, 768)))
        paths.append(path)
    import pillow_heif

    pillow_heif.register_heif_opener()
    heic = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 40, 90)).save(heic, "HEIF", quality=80)
    paths.append(folder / "IMG_0100.HEIC")
    paths[-1].write_bytes(heic.getvalue())
    side = 3200  # 3200 x 3200 x 3 bytes of noise: PNG cannot shrink it, ~30 MB
    noise = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    paths.append(folder / "big-scan.png")
    noise.save(paths[-1], "PNG", compress_level=0)
    return paths


def wait_for_all(driver: object, count: int, timeout: float = 600) -> list[dict[str, str]]:
    """Wait (polling the page, no fixed sleep) until every file row has finished."""
    from selenium.webdriver.support.ui import WebDriverWait

    script = (
        "return Array.from(document.querySelectorAll('#files li')).map(function (li) {"
        " return {name: li.getAttribute('data-name'), state: li.getAttribute('data-state'),"
        " sha256: li.getAttribute('data-sha256') || '',"
        " text: li.querySelector('.state').textContent,"
        " sha_text: li.querySelector('.sha').textContent}; });"
    )

    def finished(drv: Any) -> Any:  # selenium's driver type is generic over a private bound
        rows: list[dict[str, str]] = drv.execute_script(script)
        done = len(rows) == count and all(r["state"] in ("done", "failed") for r in rows)
        return rows if done else False

    wait: WebDriverWait[Any] = WebDriverWait(driver, timeout, poll_frequency=0.25)
    rows: list[dict[str, str]] = wait.until(finished)
    return rows


def test_twenty_photos_from_a_browser_survive_a_cut_link_byte_exact(
    intake: Intake, intake_store: Store, intake_case: str, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    intake.session.max_file_size = 64 << 20
    folder = tmp_path / "phone"
    folder.mkdir()
    photos = make_photos(folder)
    assert (folder / "big-scan.png").stat().st_size > 29 << 20
    proxy = FaultProxy("127.0.0.1", intake.server.port).start()
    # Both cuts fall inside the 30 MB file (the 19 others together are far below 20 MB).
    proxy.cut_at = [20 << 20, 27 << 20]
    try:
        with phone_browser("en-US") as driver:
            driver.get(f"https://127.0.0.1:{proxy.port}/#t={intake.session.token}")
            WebDriverWait(driver, 60).until(
                lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-paired") == "yes"
            )
            assert "#t=" not in driver.current_url  # the spent token left the address bar
            driver.find_element(By.ID, "pick").send_keys("\n".join(str(p) for p in photos))
            rows = wait_for_all(driver, len(photos))
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(SCREENSHOTS / "phone-en-after-upload.png"))
            secure = driver.execute_script("return window.isSecureContext")
    finally:
        proxy.stop()
    assert proxy.cuts_done == 2
    assert all(r["state"] == "done" for r in rows), json.dumps(rows, indent=1)
    expected = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in photos}
    # The page shows each file's SHA-256 as the laptop stored it.
    assert {r["name"]: r["sha256"] for r in rows} == expected
    items = {i.original_name: i for i in service.list_items(intake_store, intake_case)}
    assert set(items) == set(expected)
    for photo in photos:
        item = items[photo.name]
        assert item.sha256 == expected[photo.name]
        with service.open_original(intake_store, item.sha256) as handle:
            assert handle.read() == photo.read_bytes(), photo.name
    assert items["IMG_0100.HEIC"].mime == "image/heic"
    assert items["big-scan.png"].kind == EvidenceKind.IMAGE
    log = [r for r in service.custody_log(intake_store, intake_case) if r.item_sha256]
    assert len(log) == len(photos)
    for entry in log:
        details = json.loads(entry.details)
        assert details["received_from"] == "Phone 1"
        assert details["address"] == "127.0.0.1"
        assert "Chrome" in details["user_agent"]
        assert details["summary"].startswith("received from Phone 1 (127.0.0.1, Mozilla/")
        assert details["sha256_from_phone"] is secure
    assert secure is True  # HTTPS page: the phone hashed every file before sending
    assert not list((intake_store.data_dir / "intake").rglob("*.*"))


@pytest.mark.parametrize("language", ["en-US", "zh-CN"])
def test_phone_page_screenshots_in_both_languages(
    intake: Intake, language: str, tmp_path: Path
) -> None:
    """Two photos and a program renamed .jpg: the page says in the phone's language what happened."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    files = [tmp_path / "IMG_2001.JPG", tmp_path / "booth-17.JPG", tmp_path / "setup.jpg"]
    files[0].write_bytes(photo_bytes(21))
    files[1].write_bytes(photo_bytes(22))
    files[2].write_bytes(b"MZ\x90\x00" + bytes(range(256)) * 8)
    with phone_browser(language) as driver:
        driver.get(f"{intake.server.url}#t={intake.session.token}")
        WebDriverWait(driver, 60).until(
            lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-paired") == "yes"
        )
        title = driver.find_element(By.ID, "title").text
        status = driver.find_element(By.ID, "status").text
        driver.find_element(By.ID, "pick").send_keys("\n".join(str(p) for p in files))
        rows = wait_for_all(driver, len(files), timeout=120)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SCREENSHOTS / f"phone-{language}.png"))
    assert [r["state"] for r in rows] == ["done", "done", "failed"]
    if language.startswith("zh"):
        assert title == "把照片发送到 FairDesk" and "已连接" in status
        assert "只接收照片、视频和 PDF 文件" in rows[2]["text"]
    else:
        assert title == "Send photos to FairDesk" and "Connected as “Phone 1”" in status
        assert "only photos, videos and PDF files are accepted" in rows[2]["text"]


def test_a_spent_code_shows_a_clear_sentence_on_the_phone(intake: Intake) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    token = intake.session.token
    assert intake.pair(token).status_code == 200  # another phone was quicker
    with phone_browser("en-US") as driver:
        driver.get(f"{intake.server.url}#t={token}")
        WebDriverWait(driver, 60).until(
            lambda d: "not valid" in d.find_element(By.ID, "status").text
        )
        assert driver.find_element(By.ID, "buttons").is_displayed() is False
