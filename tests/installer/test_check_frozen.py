"""installer/check_frozen.py's structural checks, on folders laid out like a build."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _check_frozen() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_frozen", ROOT / "installer/check_frozen.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_build_that_bundles_pkg_resources_fails_the_check(tmp_path: Path) -> None:
    """Bundled, pkg_resources is imported by PyInstaller's runtime hook at every start (~65 ms)."""
    check = _check_frozen()
    app_dir = tmp_path / "fairdesk"
    (app_dir / "_internal" / "PySide6").mkdir(parents=True)
    check.check_nothing_slow_bundled(app_dir)  # a build without it passes

    (app_dir / "_internal" / "pkg_resources").mkdir()
    with pytest.raises(check.CheckFailed, match="pkg_resources"):
        check.check_nothing_slow_bundled(app_dir)
