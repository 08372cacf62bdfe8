"""Guards against a Qt binding that corrupts the interpreter.

PySide6 6.12.0 on Python 3.11 drops a reference to ``None`` on every void method call; after
enough calls (a few minutes of scrolling) Python aborts with "none_dealloc". pyproject.toml
keeps PySide6 below 6.12; this test fails if an affected release comes back.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QScrollBar


def test_void_method_calls_do_not_leak_references_to_none(qapp: QApplication) -> None:
    bar = QScrollBar()
    bar.setMaximum(1000)
    before = sys.getrefcount(None)
    for _ in range(1000):
        bar.setValue(5)
        QApplication.processEvents()
    assert abs(sys.getrefcount(None) - before) < 50
