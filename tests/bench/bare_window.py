"""The baseline of the start-up benchmarks: a bare PySide6 window with one 10,000-row table.

Prints ``READY <peak kB>`` once the window is shown and painted, then quits. Run from source by
bench_ui.py and, built with PyInstaller, by bench_frozen.py: the same code on both sides.
"""

from __future__ import annotations

import resource
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView

if TYPE_CHECKING:  # annotations only: the baseline imports nothing it does not use
    from PySide6.QtCore import QPersistentModelIndex

    Index = QModelIndex | QPersistentModelIndex


def peak_kb() -> int:
    """This process's own peak resident memory (VmHWM; ru_maxrss survives exec on Linux)."""
    if sys.platform == "linux":
        with open("/proc/self/status") as status:
            return int(next(line.split()[1] for line in status if line.startswith("VmHWM")))
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class Model(QAbstractTableModel):
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 10000

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 7

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.DisplayRole:
            return f"row {index.row()} column {index.column()}"
        return None


app = QApplication(["bare"])
window = QMainWindow()
view = QTableView()
view.setModel(Model(view))
window.setCentralWidget(view)
window.resize(1280, 800)
window.show()


def ready() -> None:
    app.processEvents()
    print("READY", peak_kb(), flush=True)
    app.quit()


QTimer.singleShot(0, ready)
app.exec()
