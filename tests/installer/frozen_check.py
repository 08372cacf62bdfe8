"""The frozen Linux build passes installer/check_frozen.py (opt-in: ``make installer-check``).

Not collected by a plain ``pytest`` run (the file name does not start with ``test_``):
building takes 1.5-2.5 minutes on 2 cores and rewrites dist/, which ``make test`` must not
do. ``make installer-check`` builds, then runs this file by name. Without a build in dist/
it builds one; it skips only when PyInstaller is missing, and never when ``CI=true``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXE = ROOT / "dist" / "fairdesk" / "fairdesk"


def _ensure_build() -> None:
    if EXE.exists():
        return
    if importlib.util.find_spec("PyInstaller") is None and os.environ.get("CI") != "true":
        pytest.skip("PyInstaller is missing: pip install -e '.[installer]'")
    subprocess.run(["sh", str(ROOT / "installer" / "linux" / "build.sh")], check=True)


@pytest.mark.slow
def test_frozen_app_passes_the_check(tmp_path: Path) -> None:
    _ensure_build()
    out = tmp_path / "installer.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "installer" / "check_frozen.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 Chinese PDF: ok" in result.stdout  # the documents code is in this build
    assert "FAIRDESK_SMOKE ok" in result.stdout and "frozen=True" in result.stdout
    report = json.loads(out.read_text())
    assert report["folder_bytes"] > 50_000_000
    (ROOT / "build" / "bench").mkdir(parents=True, exist_ok=True)
    (ROOT / "build" / "bench" / "installer.json").write_text(out.read_text())


@pytest.mark.slow
def test_tarball_holds_the_app_and_its_installer() -> None:
    _ensure_build()
    import fairdesk

    name = f"FairDesk-{fairdesk.__version__}"
    tarballs = sorted((ROOT / "dist").glob(f"{name}-linux-*.tar.gz"))
    assert tarballs, "build.sh made no tarball"
    with tarfile.open(tarballs[-1]) as archive:
        names = set(archive.getnames())
        program = archive.getmember(f"{name}/fairdesk/fairdesk")
        install = archive.getmember(f"{name}/install.sh")
    for member in ("fairdesk.desktop", "fairdesk.png", "fairdesk.svg", "VERSION"):
        assert f"{name}/{member}" in names
    assert program.mode & 0o111 and install.mode & 0o111
    assert f"{name}/fairdesk/_internal/resources/fonts/NotoSansSC_400Regular.ttf" in names
    assert not any("sync/server" in n or "/fastapi/" in n or "/uvicorn/" in n for n in names)
    assert not any("QtWebEngine" in n or "libQt6Qml" in n for n in names)
    assert any("libQt6Pdf" in n for n in names)  # the documents preview needs QtPdf


@pytest.mark.slow
def test_server_and_test_tools_are_not_in_the_python_archive() -> None:
    _ensure_build()
    tocs = list((ROOT / "build" / "pyinstaller").glob("**/PYZ-00.toc"))
    assert tocs, "no PyInstaller work folder: run make installer"
    modules = tocs[0].read_text()
    assert "'fairdesk.cli'" in modules and "'ui.main_window'" in modules
    assert "'sync.client" in modules and "'sync.protocol'" in modules
    for excluded in ("sync.server", "fastapi", "uvicorn", "starlette", "psycopg", "pytest"):
        assert f"'{excluded}'" not in modules and f"'{excluded}." not in modules, excluded
