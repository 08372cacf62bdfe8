"""Shared by the Qt hook overrides in this folder: collect a Qt module, minus what FairDesk never uses.

Filtering ``a.binaries`` after Analysis is too late (the dependencies of a dropped plugin are
already in), so the filter runs here, per module (docs/platform-notes.md, frozen build). Unlike
the recipe, QtPdf stays (the documents preview uses it); libQt6Pdf needs libQt6Network, so
that stays too, but not Qml/Quick, which only the ``imageformats/libqpdf`` plugin pulls in.
"""

from __future__ import annotations

import re

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

DROP = (
    "libQt6Qml",
    "libQt6Quick",
    "libQt6WaylandClient",
    "libQt6WaylandEgl",
    "libQt6WlShell",
    "libQt6EglFS",
    "libQt6VirtualKeyboard",
    "plugins/wayland",
    "plugins/egldeviceintegrations",
    "plugins/generic/",  # evdev/tslib input for framebuffer setups, not desktops
    "plugins/networkinformation",
    "plugins/tls",
    "plugins/imageformats/libqpdf",  # would pull QtQml and QtQuick (30+ MB)
    "plugins/platformthemes/",  # libqgtk3 pulls cairo and pango; native dialogs not needed
    "plugins/platforms/libqwayland",
    "plugins/platforms/libqeglfs",
    "plugins/platforms/libqlinuxfb",
    "plugins/platforms/libqvnc",
    "plugins/platforms/libqminimalegl",
    "plugins/platforms/libqvkkhrdisplay",
    "plugins/platforminputcontexts/libqtvirtualkeyboard",
)
# Qt's own translations: only those of the languages FairDesk offers (ui/app.py loads
# qtbase_<lang>.qm for the standard buttons and dialogs); the full set is 60 MB.
KEEP_TRANSLATION = re.compile(r"(qtbase|qt)_zh_CN\.qm$")


def _keep(entry: tuple[str, str]) -> bool:
    path = f"{entry[1]}/{entry[0]}".replace("\\", "/")
    if any(d in path for d in DROP):
        return False
    if "/translations/" in path or path.startswith("translations/"):
        return bool(KEEP_TRANSLATION.search(path))
    return True


def collect(hook_file: str) -> tuple[list[str], list[tuple[str, str]], list[tuple[str, str]]]:
    hiddenimports, binaries, datas = add_qt6_dependencies(hook_file)
    return (
        list(hiddenimports),
        [e for e in binaries if _keep(e)],
        [e for e in datas if _keep(e)],
    )
