"""What the About dialog shows: the version, this build, and the licences of the bundled fonts and libraries.

No Qt here, so the command line and tests can use it. Library licences come from the
installed distributions' metadata (``importlib.metadata``); the installer build copies that
metadata into the frozen app (installer/fairdesk.spec reads :data:`LIBRARIES`), so the
frozen About dialog lists the same thing. Font licences are the text files beside the fonts
in ``resources/fonts``.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any, NamedTuple, cast

if TYPE_CHECKING:
    import importlib.metadata as metadata

from fairdesk import __version__
from fairdesk.resources import resource_path

APP_NAME = "FairDesk"

# Distributions inside the desktop build (the runtime dependencies of `fairdesk` and theirs,
# including platform-only ones: those not installed here are skipped). tests/fairdesk/
# test_about.py fails when a new dependency is missing from this list.
LIBRARIES: tuple[str, ...] = (
    "PySide6",
    "PySide6_Essentials",
    "PySide6_Addons",  # QtPdf up to 6.11 (only QtPdf is taken from it)
    "PySide6_Pdf",  # QtPdf from 6.12 on
    "shiboken6",
    "SQLAlchemy",
    "greenlet",
    "alembic",
    "Mako",
    "MarkupSafe",
    "reportlab",
    "python-docx",
    "lxml",
    "Jinja2",
    "qrcode",
    "requests",
    "urllib3",
    "certifi",
    "idna",
    "charset-normalizer",
    "pillow",
    "pillow-heif",
    "platformdirs",
    "tzdata",
    "babel",
    "cryptography",
    "asn1crypto",  # RFC 3161 timestamp tokens (MIT)
    "cffi",
    "pycparser",
    "keyring",
    "jaraco.classes",
    "jaraco.context",
    "jaraco.functools",
    "more-itertools",
    "backports.tarfile",
    "importlib-metadata",
    "zipp",
    "jeepney",
    "SecretStorage",
    "pywin32-ctypes",
    "argon2-cffi",
    "argon2-cffi-bindings",
    "sqlcipher3",
    "pydantic",
    "pydantic-core",
    "annotated-types",
    "typing-inspection",
    "typing-extensions",
    "lazy-importer",
)

# Requirements of `fairdesk` that only the HQ server uses: left out of the desktop build.
SERVER_ONLY: tuple[str, ...] = (
    "fastapi",
    "uvicorn",
    "httptools",
    "pydantic-settings",
    "psycopg",
    "boto3",
)

# Distributions whose metadata names no licence; checked by hand against their LICENSE file.
LICENCE_OVERRIDES = {"sqlcipher3": "Zlib"}

_CLASSIFIER_SPDX = {
    "MIT License": "MIT",
    "BSD License": "BSD",
    "Apache Software License": "Apache-2.0",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "Python Software Foundation License": "PSF-2.0",
}


class Component(NamedTuple):
    """One bundled font or library and the terms it is distributed under."""

    name: str
    version: str
    licence: str
    kind: str  # "font", "library" or "runtime"
    url: str = ""
    text: str = ""  # the full licence text when the bundle carries it


def version() -> str:
    return __version__


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def build_info() -> dict[str, str]:
    """Facts support asks for first; none of them is about the user's cases."""
    # platform and importlib.metadata load here, not with the module: the crash reporter is
    # installed at every start, before the window, and needs them only to write a report.
    import platform

    return {
        "version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "frozen": "yes" if is_frozen() else "no",
    }


def _spaced(stem: str) -> str:
    """``NotoSansSC`` -> ``Noto Sans SC``; a family's own spelling where it has one."""
    return FONT_NAMES.get(stem) or re.sub(r"(?<=[a-z])(?=[A-Z])", " ", stem)


# Families whose name is not split at each capital ("DejaVu", not "Deja Vu").
FONT_NAMES = {"DejaVu": "DejaVu Sans"}


def fonts() -> list[Component]:
    """Each ``OFL-<Family>.txt`` / ``LICENSE-<Family>.txt`` in resources/fonts is one font family."""
    found = []
    for path in sorted(resource_path("fonts").glob("*.txt")):
        prefix, _sep, family = path.stem.partition("-")
        if not family:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        is_ofl = "OPEN FONT LICENSE" in text.upper() and "1.1" in text
        is_vera = "BITSTREAM VERA" in text.upper()  # DejaVu: Bitstream Vera licence (SPDX)
        licence = "OFL-1.1" if is_ofl else "Bitstream-Vera" if is_vera else prefix
        found.append(Component(_spaced(family), "", licence, "font", text=text))
    return found


def _field(dist: metadata.Distribution, key: str, default: str = "") -> str:
    value = cast(Any, dist.metadata).get(key)
    return str(value) if value else default


def licence_of(dist: metadata.Distribution) -> str:
    """Short licence name from a distribution's metadata (SPDX expression when it has one)."""
    name = _field(dist, "Name", "")
    override = LICENCE_OVERRIDES.get(name.lower())
    if override:
        return override
    expression = _field(dist, "License-Expression").strip()
    if expression:
        return expression
    field = _field(dist, "License").strip()
    # Some projects paste the whole licence text into this field; only a short one is a name.
    if field and "\n" not in field and len(field) <= 60:
        return field
    classifiers = [
        c.split("::")[-1].strip()
        for c in dist.metadata.get_all("Classifier") or []
        if c.startswith("License ::") and "Other/Proprietary" not in c
    ]
    if classifiers:
        return " / ".join(_CLASSIFIER_SPDX.get(c, c) for c in classifiers)
    return "see project"


def _licence_text(dist: metadata.Distribution) -> str:
    for file in dist.files or ():
        parts = file.parts
        # Only the licence files inside the .dist-info folder: the build copies that folder.
        if not parts or not parts[0].endswith(".dist-info"):
            continue
        if re.match(r"(LICEN[CS]E|COPYING|NOTICE)", parts[-1], re.IGNORECASE):
            try:
                return str(file.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
    return ""


def _url(dist: metadata.Distribution) -> str:
    home = _field(dist, "Home-page")
    if home:
        return home
    urls: dict[str, str] = {}
    for entry in dist.metadata.get_all("Project-URL") or []:
        label, _sep, url = entry.partition(",")
        urls[label.strip().lower()] = url.strip()
    for label in ("homepage", "home", "source", "source code", "repository", "documentation"):
        if urls.get(label):
            return urls[label]
    return ""


def libraries() -> list[Component]:
    """The bundled libraries that are installed here, in the order of :data:`LIBRARIES`."""
    import importlib.metadata as metadata

    found = []
    for name in LIBRARIES:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        found.append(
            Component(
                _field(dist, "Name", name),
                dist.version,
                licence_of(dist),
                "library",
                url=_url(dist),
                text=_licence_text(dist),
            )
        )
    return found


def components() -> list[Component]:
    """Everything the About dialog lists: fonts, the Python runtime, then libraries."""
    import platform

    python = Component(
        "Python", platform.python_version(), "PSF-2.0", "runtime", url="https://www.python.org"
    )
    return [*fonts(), python, *libraries()]
