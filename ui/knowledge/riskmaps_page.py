"""The Risk maps page: high-risk enterprises, goods and destinations.

Each map is a ranked table (``RiskTableModel``) with a bar chart of the top ten (QtCharts);
destinations also get the tile world map. Filters: time range and right kind. The maps are
computed on the read pool and exported (CSV or PDF) on the db pool; the GUI thread only draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from fairdesk import geo
from fairdesk.errors import ValidationError
from fairdesk.events import Change
from fairdesk.fairs import FairRow, list_fairs
from fairdesk.i18n import N_, _, current_language
from fairdesk.knowledge import riskletter, riskmaps, riskprofile
from fairdesk.knowledge.library import Library, load_active
from fairdesk.knowledge.riskmaps import MAP_TITLES, MAPS, RiskFilter, RiskMap, RiskRow
from fairdesk.model import Level, RightKind
from fairdesk.store import Store
from ui.clock import clock
from ui.formatting import label
from ui.knowledge.geomap import GeoWorldMap
from ui.knowledge.worldmap import TileWorldMap
from ui.pages.common import page_header, page_layout, table_view
from ui.qt_events import bridge
from ui.tasks import runner
from ui.theme import AMBER, AMBER_TEXT, BLUE, MUTED_TEXT, RED

CHART_ROWS = 10
_Index = QModelIndex | QPersistentModelIndex


LEVEL_COLOURS = {Level.RED: RED, Level.YELLOW: AMBER, Level.BLUE: BLUE}
_SPARK = "▁▂▃▄▅▆▇█"
TREND_MONTHS = 24  # the table's trend shows the last two years; the tooltip lists every month


def sparkline(counts: list[int]) -> str:
    """Cases per month as a one-line bar string (empty months are the lowest bar)."""
    top = max(counts, default=0)
    if not top:
        return ""
    return "".join(_SPARK[0] if not c else _SPARK[max(1, round(c * 7 / top))] for c in counts)


class RiskTableModel(QAbstractTableModel):
    """Rank, name, cases, red cases, score, open cases, level (rule), trend per month."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[RiskRow] = []
        self.months: list[str] = []
        self.name_header = N_("Name")

    def set_rows(self, rows: list[RiskRow], months: list[str] | None = None) -> None:
        self.beginResetModel()
        self.rows = rows
        self.months = months or []
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 8

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return [
                _("Rank"),
                _(self.name_header),
                _("Cases"),
                _("Red cases"),
                _("Score"),
                _("Open"),
                _("Level"),
                _("Cases per month"),
            ][section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return [
                str(index.row() + 1),
                row.label(),
                str(row.count),
                str(row.red),
                str(row.score),
                str(row.open),
                _("{level} ({rule})").format(level=label(row.level), rule=row.rule),
                sparkline(riskmaps.trend(row, self.months[-TREND_MONTHS:])),
            ][index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 6:
            return QColor(LEVEL_COLOURS[row.level])
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() not in (1, 6, 7):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == 6:
                return _(riskmaps.ROW_RULES[row.rule])
            if index.column() == 7 and self.months:
                counts = riskmaps.trend(row, self.months)
                return ", ".join(f"{m}: {c}" for m, c in zip(self.months, counts, strict=True))
            return riskmaps.row_details(row) or None
        return None


def _size_columns(table: Any) -> None:
    for column, width in enumerate((44, 210, 52, 76, 52, 52, 96, 210)):
        table.setColumnWidth(column, width)


class MapView(QWidget):
    """One map: table on the left, chart (and world view) on the right."""

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.model = RiskTableModel()
        if kind == "enterprises":
            self.model.name_header = N_("Our exporter")
        elif kind == "destinations":
            self.model.name_header = N_("Country")
        else:
            self.model.name_header = N_("HS chapter")
        self.table = table_view()
        self.table.setModel(self.model)
        _size_columns(self.table)
        # The map's colour and the written rule that set it.
        self.level = QLabel()
        self.level.setObjectName("mapLevel")
        self.level.setWordWrap(True)
        # The second table: the other side (enterprises), the priority industries (goods),
        # the fairs (destinations).
        self.second_title = QLabel()
        self.second_title.setObjectName("subtitle")
        self.second = RiskTableModel()
        self.second_table = table_view()
        self.second_table.setModel(self.second)
        _size_columns(self.second_table)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 3)
        left_layout.addWidget(self.second_title)
        left_layout.addWidget(self.second_table, 2)
        self.chart = QChart()
        self.chart.legend().hide()
        self.chart.setMargins(self.chart.margins())
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(220)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.chart_view, 1)
        self.world: TileWorldMap | None = None
        self.profile = QLabel()
        if kind == "destinations":
            self.world = GeoWorldMap()
            # The shaded map shows the same ranking as the bar chart; the room goes to the map
            # and the country's legal risk profile.
            self.chart_view.setVisible(False)
            right_layout.addWidget(self.world, 1)
            self.profile.setWordWrap(True)
            self.profile.setTextFormat(Qt.TextFormat.RichText)
            self.profile.setAlignment(Qt.AlignmentFlag.AlignTop)
            right_layout.addWidget(self.profile, 1)
        elif kind == "goods":  # the priority industries' seizure / 337 / SEP exposure
            # The table carries the ranking; the room goes to the sourced exposure.
            self.chart_view.setVisible(False)
            self.profile.setWordWrap(True)
            self.profile.setTextFormat(Qt.TextFormat.RichText)
            self.profile.setAlignment(Qt.AlignmentFlag.AlignTop)
            right_layout.addWidget(self.profile, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([620, 380])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.level)
        self.empty = QLabel(_("No cases match the filter."))
        self.empty.setObjectName("subtitle")
        layout.addWidget(self.empty)
        layout.addWidget(split, 1)
        # Goods: the cases no HS chapter matched, shown apart with a prompt to classify.
        self.unclassified = QLabel()
        self.unclassified.setWordWrap(True)
        self.unclassified.setStyleSheet(f"color:{AMBER_TEXT}")
        self.unclassified.setVisible(False)
        layout.addWidget(self.unclassified)

    def show_map(self, risk_map: RiskMap) -> None:
        # Destinations: countries only (home country left out); the chart shows the same.
        months = riskmaps.months_span(risk_map)
        self.model.set_rows(list(risk_map.rows), months)
        self.empty.setVisible(not risk_map.rows)
        colour = LEVEL_COLOURS[risk_map.level] if risk_map.rule else MUTED_TEXT
        self.level.setText(
            _("Map level: {text}").format(text=riskmaps.level_text(risk_map))
            + (
                "  " + _("Months: {first} – {last}").format(first=months[0], last=months[-1])
                if months
                else ""
            )
        )
        self.level.setStyleSheet(f"color:{colour}; font-weight:600")
        if self.kind == "enterprises":
            second, title = list(risk_map.counterparties), N_("Other side of our cases")
            self.second.name_header = N_("Other side (our allegation, not a finding)")
        elif self.kind == "goods":
            second, title = list(risk_map.industries), N_("Priority industries")
            self.second.name_header = N_("Priority industry")
        else:
            second, title = list(risk_map.fairs), N_("Fairs")
            self.second.name_header = N_("Fair")
        self.second_title.setText(_(title))
        self.second.set_rows(second, months)
        note = riskmaps.unclassified_note(risk_map)
        self.unclassified.setText(note)
        self.unclassified.setVisible(bool(note))
        top = list(risk_map.countries if self.kind == "destinations" else risk_map.rows)
        self._draw_chart(top[:CHART_ROWS])
        if self.world is not None:
            self.world.set_scores({r.key: r.score for r in risk_map.countries})

    def _draw_chart(self, rows: list[RiskRow]) -> None:
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        # Enterprises: our exporters are ranked by open exposure, so the chart shows that.
        exposure = self.kind == "enterprises"
        bars = QBarSet(_("Open exposure") if exposure else _("Score"))
        bars.setColor(QColor(RED))
        names = []
        # Horizontal bars leave room for long names; listed bottom-up, so reverse for rank 1 on top.
        for row in reversed(rows):
            bars.append(row.open_score if exposure else row.score)
            name = row.label()
            names.append(name if len(name) <= 26 else name[:25] + "…")
        series = QHorizontalBarSeries()
        series.append(bars)
        self.chart.addSeries(series)
        axis_names = QBarCategoryAxis()
        axis_names.append(names or [""])
        axis_values = QValueAxis()
        top = max([r.open_score if exposure else r.score for r in rows], default=1)
        step = max(1, math.ceil(top / 5))
        axis_values.setRange(0, step * 5)
        axis_values.setTickCount(6)
        axis_values.setLabelFormat("%d")
        self.chart.addAxis(axis_names, Qt.AlignmentFlag.AlignLeft)
        self.chart.addAxis(axis_values, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(axis_names)
        series.attachAxis(axis_values)
        title = _("Top {count} by open exposure") if exposure else _("Top {count} by score")
        self.chart.setTitle(title.format(count=len(rows)))


@dataclass(frozen=True)
class Computed:
    maps: dict[str, RiskMap]
    library: Library
    fairs: list[FairRow]


def compute_all(store: Store, flt: RiskFilter) -> Computed:
    maps = {kind: riskmaps.compute(store, kind, flt) for kind in MAPS}
    return Computed(maps, load_active(store), list_fairs(store))


def exposure_html(risk_map: RiskMap, library: Library) -> str:
    """Goods: each priority industry's exposure from sourced cards (gaps shown as gaps)."""
    parts = [f"<b>{escape(_('Priority industries: exposure'))}</b>"]
    for row in risk_map.industries:
        countries = sorted(k[8:] for k in row.detail if k.startswith("country:"))
        parts.append(f"<p><b>{escape(row.label())}</b><br>")
        for aspect in riskprofile.goods_exposure(countries, library):
            name = escape(_(riskprofile.GOODS_ASPECTS[aspect.key]))
            if aspect.gap:
                text = (
                    f"<span style='color:{AMBER_TEXT}'>"
                    + escape(_("Gap: no sourced card in the library"))
                    + "</span>"
                )
            else:
                text = escape("; ".join(aspect.titles()))
            parts.append(f"{name}: {text}<br>")
        parts.append("</p>")
    return "".join(parts)


def profile_html(country: str, library: Library, fairs: list[FairRow], today: date) -> str:
    """The destination panel: the legal risk profile (sourced cards or a gap) and the
    upcoming fair calendar for one country."""
    name = geo.country_name(country)
    parts = [f"<b>{escape(_('Legal risk profile: {country}').format(country=name))}</b>"]
    parts.append("<table cellspacing='2'>")
    for aspect in riskprofile.profile(country, library):
        if aspect.gap:
            cell = (
                f"<span style='color:{AMBER_TEXT}'>"
                + escape(_("Gap: no sourced card in the library"))
                + "</span>"
            )
        else:
            cell = "<br>".join(
                escape(_("{title} ({n} sources)").format(title=c.title.get(), n=len(c.sources)))
                for c in aspect.cards
            )
        parts.append(
            f"<tr><td valign='top'><b>{escape(_(riskprofile.ASPECTS[aspect.key]))}</b>"
            f"&nbsp;</td><td>{cell}</td></tr>"
        )
    parts.append("</table>")
    parts.append(f"<b>{escape(_('Upcoming fairs'))}</b><br>")
    calendar = riskprofile.upcoming_fairs(fairs, country, today)
    if not calendar:
        parts.append(escape(_("No upcoming fair in the catalogue.")))
    for fair in calendar[:6]:
        when = (
            f"{fair.starts_on.isoformat()} – {fair.ends_on.isoformat() if fair.ends_on else ''}"
            if fair.starts_on
            else _("dates not set")
        )
        parts.append(escape(f"{when}  {riskprofile.fair_name(fair)} ({fair.city})") + "<br>")
    return "".join(parts)


class RiskMapsPage(QWidget):
    TIME_RANGES = ((None, N_("All time")), (30, N_("Last 30 days")), (365, N_("Last 12 months")))

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.maps: dict[str, RiskMap] = {}
        self.library: Library | None = None
        self.last_reminder: riskletter.Reminder | None = None
        self.fairs: list[FairRow] = []
        layout = page_layout(self)
        header, _title, self.subtitle = page_header(
            _("Risk maps"),
            _("Score: red case 3, yellow 2, blue 1; alerts add their level's weight."),
        )
        layout.addWidget(header)
        bar = QHBoxLayout()
        self.time_range = QComboBox()
        for days, text in self.TIME_RANGES:
            self.time_range.addItem(_(text), days)
        self.right_kind = QComboBox()
        self.right_kind.addItem(_("All right kinds"), None)
        for kind in RightKind:
            self.right_kind.addItem(label(kind), kind.value)
        # Destinations: one click from the selected country or fair row to the risk reminder.
        self.reminder = QPushButton(_("Risk reminder letter…"))
        self.export_csv = QPushButton(_("Export CSV…"))
        self.export_pdf = QPushButton(_("Export PDF…"))
        bar.addWidget(QLabel(_("Time")))
        bar.addWidget(self.time_range)
        bar.addWidget(QLabel(_("Right kind")))
        bar.addWidget(self.right_kind)
        bar.addStretch(1)
        bar.addWidget(self.reminder)
        bar.addWidget(self.export_csv)
        bar.addWidget(self.export_pdf)
        layout.addLayout(bar)
        self.tabs = QTabWidget()
        self.views: dict[str, MapView] = {}
        for map_kind in MAPS:
            self.views[map_kind] = MapView(map_kind)
            self.tabs.addTab(self.views[map_kind], _(MAP_TITLES[map_kind]))
        layout.addWidget(self.tabs, 1)
        self.time_range.currentIndexChanged.connect(self.reload)
        self.right_kind.currentIndexChanged.connect(self.reload)
        self.views["destinations"].table.selectionModel().selectionChanged.connect(
            lambda *_args: self.show_profile()
        )
        self.reminder.clicked.connect(self.risk_reminder)
        self.tabs.currentChanged.connect(
            lambda index: self.reminder.setVisible(MAPS[index] == "destinations")
        )
        self.reminder.setVisible(self.current_kind() == "destinations")
        self.export_csv.clicked.connect(lambda: self._export("csv"))
        self.export_pdf.clicked.connect(lambda: self._export("pdf"))
        bridge().changed.connect(self._core_changed)
        self.reload()

    def current_filter(self) -> RiskFilter:
        days = self.time_range.currentData()
        since = clock().now() - timedelta(days=days) if days else None
        kind = self.right_kind.currentData()
        return RiskFilter(since=since, right_kind=RightKind(kind) if kind else None)

    def _core_changed(self, kind: str, _id: str) -> None:
        if kind in (Change.CASE, Change.ALERTS, Change.LEVELS):
            self.reload()

    def reload(self) -> None:
        runner().run(
            compute_all,
            self.store,
            self.current_filter(),
            on_done=self._computed,
            on_error=self._failed,
            pool="read",
        )

    def _computed(self, computed: Computed) -> None:
        self.maps = computed.maps
        self.library = computed.library
        self.fairs = computed.fairs
        for kind, view in self.views.items():
            view.show_map(computed.maps[kind])
        self.views["goods"].profile.setText(exposure_html(computed.maps["goods"], computed.library))
        self.show_profile()

    def show_profile(self) -> None:
        """The selected destination's profile (the top-ranked one when none is selected)."""
        view = self.views["destinations"]
        rows = view.model.rows
        if self.library is None or not rows:
            view.profile.setText("")
            return
        selected = view.table.selectionModel().selectedRows()
        row = rows[selected[0].row()] if selected else rows[0]
        view.profile.setText(profile_html(row.key, self.library, self.fairs, clock().now().date()))

    def _failed(self, exc: BaseException) -> None:
        QMessageBox.warning(
            self,
            _("Risk maps"),
            _("The risk maps could not be computed: {error}").format(error=exc),
        )

    def selected_destination(self) -> RiskRow | None:
        """The selected country row, else the selected fair row."""
        view = self.views["destinations"]
        for table, model in ((view.table, view.model), (view.second_table, view.second)):
            picked = table.selectionModel().selectedRows()
            if picked:
                return model.rows[picked[0].row()]
        return None

    def risk_reminder(self, fields: dict[str, str] | None = None) -> None:
        """Render the risk reminder letter for the selected row (db pool)."""
        row = self.selected_destination()
        risk_map = self.maps.get("destinations")
        if row is None or risk_map is None or self.library is None:
            self.subtitle.setText(_("Select a country or fair row first."))
            return
        runner().run(
            riskletter.reminder_for_row,
            self.store,
            risk_map,
            row,
            self.library,
            current_language(),
            fields,
            pool="db",
            on_done=self._reminder_done,
            on_error=self._reminder_failed,
        )

    def _reminder_failed(self, exc: BaseException) -> None:
        # A missing company name or signatory, or no fair there: the service's own sentence.
        if isinstance(exc, ValidationError):
            self.subtitle.setText(str(exc))
        else:
            self._failed(exc)

    def _reminder_done(self, done: riskletter.Reminder) -> None:
        self.last_reminder = done
        self.subtitle.setText(
            _("Risk reminder saved for {fair}: {ref}").format(
                fair=done.fair.name, ref=done.result.doc_ref
            )
        )

    def current_kind(self) -> str:
        return MAPS[self.tabs.currentIndex()]

    def _export(self, fmt: str) -> None:
        kind = self.current_kind()
        if kind not in self.maps:
            return
        default = str(self.store.data_dir / "exports" / f"risk-{kind}.{fmt}")
        pattern = _("CSV files (*.csv)") if fmt == "csv" else _("PDF files (*.pdf)")
        path, _chosen = QFileDialog.getSaveFileName(self, _("Export risk map"), default, pattern)
        if path:
            self.export_to(fmt, Path(path))

    def export_to(self, fmt: str, path: Path) -> None:
        risk_map = self.maps[self.current_kind()]
        writer = riskmaps.export_csv if fmt == "csv" else riskmaps.export_pdf
        runner().run(
            writer,
            risk_map,
            path,
            pool="db",
            on_done=lambda done: self.subtitle.setText(_("Exported to {path}").format(path=done)),
            on_error=self._failed,
        )
