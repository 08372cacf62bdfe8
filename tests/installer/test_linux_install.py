"""installer/linux/install.sh: per-user install, upgrade in place, uninstall that keeps the data.

Runs the real script on a package laid out like the tarball build.sh makes, with a stand-in
program (a shell script) instead of the 250 MB frozen app; tests/installer/frozen_check.py
checks the real build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "installer" / "linux"


def _package(tmp_path: Path, version: str) -> Path:
    package = tmp_path / f"FairDesk-{version}"
    (package / "fairdesk" / "_internal").mkdir(parents=True)
    program = package / "fairdesk" / "fairdesk"
    program.write_text(f'#!/bin/sh\necho FairDesk {version} "$@"\n')
    program.chmod(0o755)
    for name in ("install.sh", "fairdesk.desktop"):
        shutil.copy(LINUX / name, package / name)
    shutil.copy(ROOT / "resources" / "icons" / "fairdesk-256.png", package / "fairdesk.png")
    shutil.copy(ROOT / "resources" / "icons" / "fairdesk.svg", package / "fairdesk.svg")
    (package / "VERSION").write_text(version + "\n")
    return package


def _run(package: Path, prefix: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FAIRDESK_PREFIX": str(prefix), "PATH": os.environ.get("PATH", "")}
    return subprocess.run(
        ["sh", str(package / "install.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_install_upgrade_and_uninstall_keep_user_data(tmp_path: Path) -> None:
    prefix = tmp_path / "home" / ".local"
    data = prefix / "share" / "FairDesk"  # where platformdirs puts the data on Linux
    data.mkdir(parents=True)
    (data / "fairdesk.sqlite3").write_bytes(b"SQLite format 3\x00the user's cases")

    result = _run(_package(tmp_path / "v1", "1.0.0"), prefix)
    assert "FairDesk 1.0.0 is installed" in result.stdout
    command = prefix / "bin" / "fairdesk"
    assert command.is_symlink()
    ran = subprocess.run([str(command), "--version"], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "FairDesk 1.0.0 --version"

    desktop = (prefix / "share" / "applications" / "fairdesk.desktop").read_text()
    assert f'Exec="{prefix}/opt/fairdesk/fairdesk"' in desktop and "Icon=fairdesk" in desktop
    assert desktop.startswith("[Desktop Entry]\n") and "Type=Application" in desktop
    assert "Comment[zh_CN]=" in desktop and "Terminal=false" in desktop
    icons = prefix / "share" / "icons" / "hicolor"
    assert (icons / "256x256" / "apps" / "fairdesk.png").read_bytes()[:4] == b"\x89PNG"
    assert (icons / "scalable" / "apps" / "fairdesk.svg").exists()

    _run(_package(tmp_path / "v2", "1.1.0"), prefix)  # upgrade over the old version
    ran = subprocess.run([str(command)], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "FairDesk 1.1.0"
    assert sorted(p.name for p in (prefix / "opt").iterdir()) == ["fairdesk"]  # no leftovers

    result = _run(tmp_path / "v2" / "FairDesk-1.1.0", prefix, "--uninstall")
    assert "data folder was left" in result.stdout
    assert not (prefix / "opt" / "fairdesk").exists() and not command.exists()
    assert not (prefix / "share" / "applications" / "fairdesk.desktop").exists()
    assert (data / "fairdesk.sqlite3").read_bytes().endswith(b"the user's cases")


def test_install_refuses_to_run_outside_the_package(tmp_path: Path) -> None:
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    shutil.copy(LINUX / "install.sh", lonely / "install.sh")
    result = subprocess.run(
        ["sh", str(lonely / "install.sh")],
        env={**os.environ, "FAIRDESK_PREFIX": str(tmp_path / "prefix")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "unpacked FairDesk folder" in result.stderr
    assert not (tmp_path / "prefix").exists()
