"""The Guidance tab of a case: next hour and contacts, procedure cards, proposed deadlines,
documents, checklist.

"Next hour and contacts" opens the tab: where we are or may be served, the respondent's
next-hour card for the case's country (and the UPC's, where it applies); on every case, the
contacts of the case's fair, with phone numbers that work offline.

Proposed deadlines are only suggestions: each has an "Add" button that records it through
``fairdesk.cases.add_deadline`` on the db pool (the user confirms by clicking). A country the
library does not cover says "no data" and shows the general checklist.
"""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from fairdesk import cases
from fairdesk.cases import CaseDetail
from fairdesk.events import Change
from fairdesk.i18n import N_, _, current_language
from fairdesk.knowledge import guidance
from fairdesk.knowledge.guidance import Guidance, ProposedDeadline
from fairdesk.knowledge.library import DOCUMENT_LABELS, Entry, Library, load_active
from fairdesk.situation import describe
from fairdesk.store import Store
from ui.clock import clock
from ui.formatting import local_time
from ui.knowledge.entry_view import entry_html
from ui.qt_events import bridge
from ui.tasks import explain, runner
from ui.theme import AMBER, ERROR_BACKGROUND, MUTED_TEXT, RED, WARNING_BACKGROUND

# Whose deadline, as ``guidance.whose_deadline`` reads it from our side of the case.
WHOSE_LABELS = {
    "ours": N_("Our deadline"),
    "theirs": N_("The other side's deadline"),
    "authority": N_("Expected decision"),
}


def _section(title: str) -> QLabel:
    heading = QLabel(title)
    heading.setObjectName("sectionTitle")
    return heading


def load(store: Store, case_id: str) -> tuple[Guidance, CaseDetail, list[Entry], dict[str, str]]:
    """On a reader thread: the guidance, the case, the next-hour cards and the titles of the
    documents offered, all from this data folder (its library is passed on explicitly; there
    is no process-wide library)."""
    library = load_active(store)
    g = guidance.guidance_for_case(store, case_id, library=library)
    titles = document_titles(store, g.documents)
    return g, cases.get_case(store, case_id), next_hour_entries(g, library), titles


def document_titles(store: Store, kinds: tuple[str, ...]) -> dict[str, str]:
    """A readable title for each document kind offered, in the interface language.

    Guidance offers every kind that fits the case, the newer ones (Widerspruch, power of
    attorney, phrase card...) too; those have no short label of their own, so their
    template's title is shown (a missing label once made the whole panel fail).
    """
    from fairdesk.documents import service

    language = "zh" if current_language().startswith("zh") else "en"
    available = service.kinds(store)
    titles = {}
    for kind in kinds:
        if kind in DOCUMENT_LABELS:
            titles[kind] = _(DOCUMENT_LABELS[kind])
            continue
        languages = available.get(kind, [])
        if not languages:
            titles[kind] = kind
            continue
        if language not in languages:  # e.g. the German phrase card in the Chinese interface
            own = service.declaration(kind, store).title_in(language)
            if own:
                titles[kind] = own
                continue
        chosen = language if language in languages else languages[0]
        titles[kind] = service.kind_title(kind, chosen, store)
    return titles


def next_hour_entries(g: Guidance, library: Library) -> list[Entry]:
    """The next-hour cards for the case's country, then the fair's own contacts (if any).

    The library's next-hour cards are the respondent's ("served or accused"): on our own
    complaint or our watch for copies only the fair's contacts are shown."""
    if not g.country:
        return []
    cards = library.for_country(g.country, kinds=("next_hour",)) if g.defending else []
    if g.situation is not None:  # only the steps and contacts for what happened
        cards = [guidance.fit_to_event(card, g.situation.event) for card in cards]
    # The country's own card first, then those that also apply there (the UPC in DE...).
    cards.sort(key=lambda e: e.country != g.country)
    if g.venue is not None and g.venue.contacts:
        cards.append(g.venue)
    return cards


class GuidancePanel(QScrollArea):
    def __init__(self, store: Store, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.case_id = case_id
        self.guidance: Guidance | None = None
        self.add_buttons: dict[str, QPushButton] = {}
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        self.layout_ = QVBoxLayout(body)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("sectionTitle")
        # Why these cards, deadlines and documents (the rules table's note, with its sources),
        # and what the library does not say for this situation.
        self.situation_note = QLabel()
        self.situation_note.setWordWrap(True)
        self.situation_note.setOpenExternalLinks(True)
        self.gaps = QLabel()
        self.gaps.setWordWrap(True)
        self.gaps.setStyleSheet(
            f"background: {ERROR_BACKGROUND}; border: 1px solid {RED}; border-radius: 4px; padding: 6px;"
        )
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(
            f"background: {WARNING_BACKGROUND}; border: 1px solid {AMBER}; border-radius: 4px; padding: 6px;"
        )
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.deadlines_box = QWidget()
        self.deadlines = QGridLayout(self.deadlines_box)
        self.deadlines.setContentsMargins(0, 0, 0, 0)
        self.documents = QLabel()
        self.documents.setWordWrap(True)
        self.cards = QTextBrowser()
        self.cards.setOpenExternalLinks(True)
        self.cards.setMinimumHeight(420)
        self.checklist = QTextBrowser()
        self.checklist.setOpenExternalLinks(True)
        self.checklist.setMinimumHeight(220)
        # Procedures only the other side can use (a respondent's objection on our own case):
        # apart from ours, under a heading that says they are not steps for us.
        self.other_side_title = _section(_(guidance.OTHER_SIDE_TITLE))
        self.other_side_note = QLabel(_(guidance.OTHER_SIDE_NOTE))
        self.other_side_note.setWordWrap(True)
        self.other_side = QTextBrowser()
        self.other_side.setOpenExternalLinks(True)
        self.other_side.setMinimumHeight(260)
        self.next_hour = QTextBrowser()
        self.next_hour.setOpenExternalLinks(True)
        self.next_hour.setMinimumHeight(320)
        self.next_hour_title = _section(_("Next hour and contacts"))
        self.checklist_title = _section(_("Checklist"))
        for widget in (
            self.message,
            self.situation_note,
            self.gaps,
            self.hint,
            self.error,
            self.next_hour_title,
            self.next_hour,
            _section(_("Proposed deadlines")),
            self.deadlines_box,
            _section(_("Documents to prepare")),
            self.documents,
            _section(_("Procedure")),
            self.cards,
            self.other_side_title,
            self.other_side_note,
            self.other_side,
            self.checklist_title,
            self.checklist,
        ):
            self.layout_.addWidget(widget)
        self.layout_.addStretch(1)
        self.setWidget(body)
        bridge().changed.connect(self._core_changed)
        self.reload()

    def _core_changed(self, kind: str, object_id: str) -> None:
        if kind == Change.REFERENCE or (kind == Change.CASE and object_id == self.case_id):
            self.reload()

    def reload(self) -> None:
        runner().run(
            load, self.store, self.case_id, on_done=self._loaded, on_error=self._failed, pool="read"
        )

    def _failed(self, exc: BaseException) -> None:
        self.error.setText(explain(exc))
        self.error.show()

    def _loaded(self, result: tuple[Guidance, CaseDetail, list[Entry], dict[str, str]]) -> None:
        g, detail, first, titles = result
        self.guidance = g
        self.error.hide()
        situation = describe(g.situation) if g.situation is not None else ""
        self.message.setText(f"{situation}\n{g.message}" if situation else g.message)
        refs = " ".join(
            f"<a href='{escape(s.url, quote=True)}'>[{s.ref}]</a>" for s in g.note_sources
        )
        self.situation_note.setText(f"{escape(g.note)} {refs}" if g.note else "")
        self.situation_note.setVisible(bool(g.note))
        self.gaps.setText("<br/>".join(escape(_("Gap: {text}").format(text=t)) for t in g.gaps))
        self.gaps.setVisible(bool(g.gaps))
        self.hint.setVisible(g.level_hint is not None)
        if g.level_hint is not None:
            self.hint.setText(g.level_hint.reason)
        self._fill_deadlines(g, detail)
        self.documents.setText("<br/>".join(f"• {escape(titles.get(d, d))}" for d in g.documents))
        today = clock().now().date()
        cards = [entry_html(e, today=today) for e in g.cards]
        if g.venue is not None:
            cards.insert(0, entry_html(g.venue, today=today))
        self.cards.setHtml("<hr/>".join(cards) if cards else f"<p>{escape(g.message)}</p>")
        self.cards.setVisible(bool(cards) or not g.has_data)
        self.other_side.setHtml("<hr/>".join(entry_html(e, today=today) for e in g.other_side))
        for widget in (self.other_side_title, self.other_side_note, self.other_side):
            widget.setVisible(bool(g.other_side))
        self.checklist.setHtml("<hr/>".join(entry_html(e, today=today) for e in g.checklists))
        self.checklist.setVisible(bool(g.checklists))  # pre-fair lists: watch items only
        self.checklist_title.setVisible(bool(g.checklists))
        self.next_hour.setHtml("<hr/>".join(entry_html(e, today=today) for e in first))
        self.next_hour.setVisible(bool(first))
        self.next_hour_title.setVisible(bool(first))

    def _fill_deadlines(self, g: Guidance, detail: CaseDetail) -> None:
        while self.deadlines.count():
            item = self.deadlines.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()  # type: ignore[union-attr]
        self.add_buttons.clear()
        existing_what = {d.what for d in detail.deadlines}
        existing_due = [d.due_at for d in detail.deadlines]
        tz = detail.case.fair_time_zone
        if not g.deadlines:
            self.deadlines.addWidget(QLabel(_("No deadline rule for this situation.")), 0, 0)
            return
        for row, proposal in enumerate(g.deadlines):
            what = QLabel(
                f"<b>{escape(proposal.what)}</b><br/><span style='color:{MUTED_TEXT}'>"
                f"{escape(_(WHOSE_LABELS[guidance.whose_deadline(proposal.party, g.defending)]))} · "
                f"{escape(proposal.note)} "
                f"{''.join(f'[{s.ref}]' for s in proposal.sources)}</span>"
            )
            what.setWordWrap(True)
            due = QLabel(local_time(proposal.due_at, tz) if proposal.due_at else "—")
            added = proposal.what in existing_what or (
                proposal.due_at is not None
                and any(abs((due - proposal.due_at).total_seconds()) < 120 for due in existing_due)
            )
            button = QPushButton(_("Added") if added else _("Add"))
            button.setEnabled(proposal.input is not None and not added)
            if proposal.input is None:
                button.setToolTip(proposal.note)
            button.clicked.connect(lambda _checked=False, p=proposal: self.add(p))
            self.add_buttons[proposal.spec_id] = button
            self.deadlines.addWidget(what, row, 0)
            self.deadlines.addWidget(due, row, 1)
            self.deadlines.addWidget(button, row, 2)
        self.deadlines.setColumnStretch(0, 1)

    def add(self, proposal: ProposedDeadline) -> None:
        if proposal.input is None:
            return
        button = self.add_buttons.get(proposal.spec_id)
        if button is not None:
            button.setEnabled(False)
        runner().run(
            cases.add_deadline,
            self.store,
            self.case_id,
            proposal.input,
            pool="db",
            on_done=lambda _id: self.reload(),
            on_error=self._add_failed(proposal),
        )

    def _add_failed(self, proposal: ProposedDeadline):  # type: ignore[no-untyped-def]
        def failed(exc: BaseException) -> None:
            self.error.setText(explain(exc))
            self.error.show()
            button = self.add_buttons.get(proposal.spec_id)
            if button is not None:
                button.setEnabled(True)

        return failed
