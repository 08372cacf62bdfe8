"""Pieces every page uses: a page header and a table view set up the same way everywhere."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fairdesk.timeutil import all_zones
from ui.theme import SPACING


@cache
def time_zone_names() -> list[str]:
    """All IANA zone names (read once: walking tzdata's folders takes ~50 ms)."""
    return all_zones()


def page_layout(widget: QWidget) -> QVBoxLayout:
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(SPACING * 2, SPACING * 2, SPACING * 2, SPACING)
    layout.setSpacing(SPACING)
    return layout


def page_header(title: str, subtitle: str = "") -> tuple[QWidget, QLabel, QLabel]:
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    title_label = QLabel(title)
    title_label.setObjectName("pageTitle")
    subtitle_label = QLabel(subtitle)
    subtitle_label.setObjectName("subtitle")
    layout.addWidget(title_label)
    layout.addSpacing(SPACING)
    layout.addWidget(subtitle_label, 1, Qt.AlignmentFlag.AlignBottom)
    return box, title_label, subtitle_label


def fit_columns(view: QTableView, samples: dict[int, str]) -> None:
    """Size columns to fit a sample text (no pass over every row, unlike ResizeToContents)."""
    metrics = view.fontMetrics()
    header = view.horizontalHeader()
    for column, sample in samples.items():
        title = str(view.model().headerData(column, Qt.Orientation.Horizontal) or "")
        width = max(
            metrics.horizontalAdvance(sample) + 36,
            header.fontMetrics().horizontalAdvance(title) + 28,
        )
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        view.setColumnWidth(column, width)


def table_view() -> QTableView:
    view = QTableView()
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(30)
    # Fixed row heights: the view never asks the model for every row to size them.
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.horizontalHeader().setHighlightSections(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.setShowGrid(False)
    return view
