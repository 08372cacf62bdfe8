"""About: version from one place, and a licence for every bundled font and library."""

from __future__ import annotations

import importlib.metadata as metadata
import re

from packaging.requirements import Requirement

import fairdesk
from fairdesk import about


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _desktop_dependencies() -> set[str]:
    """Every installed distribution the desktop app pulls in, server-only ones left out."""
    server = {_key(n) for n in about.SERVER_ONLY}
    seen: set[str] = set()
    pending = ["fairdesk"]
    while pending:
        dist = metadata.distribution(pending.pop())
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            key = _key(req.name)
            if key in server or key in seen:
                continue
            try:
                metadata.distribution(req.name)
            except metadata.PackageNotFoundError:
                continue
            seen.add(key)
            pending.append(req.name)
    return seen


def test_every_desktop_dependency_has_its_licence_listed() -> None:
    listed = {_key(n) for n in about.LIBRARIES}
    # The meta package pulls these in, but the desktop build leaves them out.
    not_bundled = {"pyside6-webengine"}
    missing = _desktop_dependencies() - listed - not_bundled
    assert not missing, f"add to fairdesk.about.LIBRARIES (and check the licence): {missing}"


def test_components_name_a_licence_for_each_font_and_library() -> None:
    items = about.components()
    fonts = [c for c in items if c.kind == "font"]
    by_name = {f.name: f for f in fonts}
    assert sorted(by_name) == ["DejaVu Sans", "Noto Sans SC"]
    noto = by_name["Noto Sans SC"]
    assert noto.licence == "OFL-1.1" and "SIL OPEN FONT LICENSE" in noto.text.upper()
    assert by_name["DejaVu Sans"].licence == "Bitstream-Vera"
    libraries = {c.name.lower(): c for c in items if c.kind == "library"}
    assert "LGPL-3.0" in libraries["pyside6"].licence
    assert libraries["sqlcipher3"].licence == "Zlib"  # no licence in its metadata: override
    unknown = [c.name for c in libraries.values() if c.licence == "see project"]
    assert not unknown
    assert all(c.version for c in libraries.values())


def test_version_comes_from_the_package() -> None:
    assert about.version() == fairdesk.__version__ == metadata.version("fairdesk")
    info = about.build_info()
    assert info["version"] == fairdesk.__version__ and info["frozen"] == "no"
