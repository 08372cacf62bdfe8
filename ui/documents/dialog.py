"""The New-document dialog: kind, document language, format, paper, and the field form.

The form shows every field the template uses, required ones first and marked, pre-filled
from the case and from what the user typed for this case's earlier documents. Rendering
runs on the db pool of ``ui.tasks.runner()``; the dialog stays responsive and shows the
missing fields or the template error in words, never a traceback. Nothing is read on the GUI
thread: the fitting kinds and earlier values when the dialog opens, and the template and case
values at every change of kind or language, are read on the read pool.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from fairdesk.documents import service, templates
from fairdesk.documents.context import Prepared, ui_language
from fairdesk.documents.templates import TemplateInfo
from fairdesk.i18n import _
from fairdesk.store import Store
from ui.tasks import explain, runner
from ui.theme import RED

DOC_LANGUAGES = (("zh", "中文"), ("en", "English"), ("de", "Deutsch"))


def _read_form(
    store: Store, case_id: str, kind: str, language: str, second: str
) -> tuple[TemplateInfo, Prepared]:
    """On a worker thread: the template (and that the second version exists) and the case's
    values for the form. Raises FairDeskError with a sentence for the dialog."""
    info = templates.load(kind, language, store.data_dir)
    if second:
        templates.load(kind, second, store.data_dir)
    return info, service.check(store, case_id, info.kind, info.language)


def _read_choices(
    store: Store, case_id: str, language: str
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """On a worker thread: what the user typed for this case's earlier documents, and the
    kinds that fit the case as (title in ``language`` where the kind has it, kind)."""
    kinds = [
        (service.kind_title(kind, language if language in langs else langs[0], store), kind)
        for kind, langs in service.kinds_for_case(store, case_id).items()
    ]
    return service.last_fields(store, case_id), kinds


class NewDocumentDialog(QDialog):
    """Emits ``generated(GenerationResult)`` after a document was rendered and stored."""

    generated = Signal(object)

    def __init__(self, store: Store, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.case_id = case_id
        self.setWindowTitle(_("New document"))
        self.resize(640, 720)
        self.inputs: dict[str, QLineEdit | QPlainTextEdit] = {}
        self.from_case: dict[str, str] = {}
        self.previous: dict[str, str] = {}  # read with the kinds (_read_choices)
        self._generation = 0  # the latest form read asked for; older answers are dropped
        self._choices_loaded = False

        self.kind = QComboBox()  # filled when the case's fitting kinds arrive
        lang = ui_language()
        self.language = QComboBox()
        for code, name in DOC_LANGUAGES:
            self.language.addItem(name, code)
        self.language.setCurrentIndex(1 if lang == "en" else 0)
        # A second language gives both versions side by side in one document (zh | de), so
        # staff understand what they hand over; a note in it says which version governs.
        self.second = QComboBox()
        self.second.setObjectName("second_language")
        self.second.addItem(_("— none —"), "")
        for code, name in DOC_LANGUAGES:
            self.second.addItem(name, code)
        self.format = QComboBox()
        self.format.addItem(_("PDF (to hand over)"), "pdf")
        self.format.addItem(_("DOCX (for the lawyer to edit)"), "docx")
        self.paper = QComboBox()
        self.paper.addItem("A4", "a4")
        self.paper.addItem(_("US Letter"), "letter")
        self.blanks = QCheckBox(_("Render missing fields as marked blanks"))

        top = QFormLayout()
        top.addRow(_("Kind"), self.kind)
        top.addRow(_("Document language"), self.language)
        top.addRow(_("Side by side with"), self.second)
        top.addRow(_("Format"), self.format)
        top.addRow(_("Paper"), self.paper)

        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setObjectName("hint")
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form_host)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.render_button = self.buttons.addButton(
            _("Render"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.rejected.connect(self.reject)
        self.render_button.clicked.connect(self.generate)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.notes)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.blanks)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.kind.currentIndexChanged.connect(self._rebuild)
        self.language.currentIndexChanged.connect(self._rebuild)
        self.second.currentIndexChanged.connect(self._rebuild)
        self.render_button.setEnabled(False)
        self.status.setText(_("Reading the case…"))
        runner().run(
            _read_choices,
            store,
            case_id,
            lang,
            on_done=self._show_choices,
            on_error=lambda exc: self.status.setText(
                explain(exc, _("The document could not be prepared."))
            ),
            owner=self,
            pool="read",
        )

    def _show_choices(self, result: tuple[dict[str, str], list[tuple[str, str]]]) -> None:
        self.previous, kinds = result
        self._choices_loaded = True
        self.kind.blockSignals(True)
        # Only the kinds that fit this case (our side, situation, country, rights).
        for title, kind in kinds:
            self.kind.addItem(title, kind)
        self.kind.setCurrentIndex(max(0, self.kind.findData("panel_response")))
        self.kind.blockSignals(False)
        self._rebuild()

    # -- the field form --------------------------------------------------------------------

    def _current_values(self) -> dict[str, str]:
        out = {}
        for name, widget in self.inputs.items():
            text = widget.toPlainText() if isinstance(widget, QPlainTextEdit) else widget.text()
            # A value shown as it came from the case is left to the case, so it is formatted
            # in the document's language (dates, "Hall") and not frozen as typed text.
            if text.strip() and text != self.from_case.get(name):
                out[name] = text
        return out

    def _rebuild(self) -> None:
        """Read the template and the case for the chosen kind and language off the GUI thread
        (the case may be in an encrypted database), then build the form from the result."""
        if not self._choices_loaded:
            return  # a language chosen before the kinds arrived: they rebuild when they do
        typed = {**self.previous, **self._current_values()}
        self._generation += 1
        generation = self._generation
        self.render_button.setEnabled(False)
        self.status.setText(_("Reading the case…"))
        second = str(self.second.currentData()) if "+" in self.language_code() else ""
        runner().run(
            _read_form,
            self.store,
            self.case_id,
            self.kind_code(),
            str(self.language.currentData()),
            second,
            on_done=lambda result: self._show_form(generation, typed, result),
            on_error=lambda exc: self._form_failed(generation, exc),
            owner=self,
            pool="read",
        )

    def _form_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return  # an older choice of kind or language: its answer no longer matters
        self._clear_form()
        self.status.setText(explain(exc, _("The document could not be prepared.")))

    def _clear_form(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.inputs.clear()
        self.from_case.clear()

    def _show_form(
        self, generation: int, typed: dict[str, str], result: tuple[TemplateInfo, Prepared]
    ) -> None:
        if generation != self._generation:
            return  # the user changed kind or language meanwhile; a newer read is under way
        info, prepared = result
        self._clear_form()
        self.render_button.setEnabled(True)
        self.notes.setText(templates.unwrap(info.jurisdiction_notes))  # no TOML line breaks
        ui = ui_language()
        for name in (*info.required, *info.optional):
            fdef = info.fields[name]
            widget: QLineEdit | QPlainTextEdit
            if fdef.type == "line":
                widget = QLineEdit()
            else:
                widget = QPlainTextEdit()
                widget.setFixedHeight(90 if fdef.type != "text" else 120)
            case_value = prepared.values.get(name)
            text = typed.get(name) or ""
            if not text and isinstance(case_value, str):
                text = self.from_case[name] = case_value
            if isinstance(widget, QPlainTextEdit):
                widget.setPlainText(text)
                hint = fdef.help_text(ui)
                if fdef.type == "rows":
                    hint += "  [" + " | ".join(fdef.column_names(ui)) + "]"
                widget.setPlaceholderText(hint)
            else:
                widget.setText(text)
                widget.setPlaceholderText(fdef.help_text(ui))
            widget.setToolTip(fdef.help_text(ui))
            widget.setObjectName(f"field_{name}")
            label = fdef.label(ui) + (" *" if name in info.required else "")
            self.form.addRow(label, widget)
            self.inputs[name] = widget
        self.status.setText(_("* required"))

    def kind_code(self) -> str:
        return str(self.kind.currentData())

    def language_code(self) -> str:
        """``zh``, or ``zh+de`` when a different second language is chosen."""
        first, second = str(self.language.currentData()), str(self.second.currentData())
        return f"{first}+{second}" if second and second != first else first

    def set_field(self, name: str, value: str) -> None:
        widget = self.inputs[name]
        if isinstance(widget, QPlainTextEdit):
            widget.setPlainText(value)
        else:
            widget.setText(value)

    # -- rendering -------------------------------------------------------------------------

    def generate(self) -> None:
        self.render_button.setEnabled(False)
        self.status.setText(_("Rendering…"))
        runner().run(
            service.render_document,
            self.store,
            self.case_id,
            self.kind_code(),
            self.language_code(),
            self._current_values(),
            fmt=str(self.format.currentData()),
            paper=str(self.paper.currentData()),
            allow_blanks=self.blanks.isChecked(),
            on_done=self._done,
            on_error=self._failed,
            pool="db",
        )

    def _done(self, result: Any) -> None:
        self.render_button.setEnabled(True)
        self.generated.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.render_button.setEnabled(True)
        if isinstance(exc, service.MissingFieldsError):
            for missing in exc.missing:
                widget = self.inputs.get(missing.name)
                if widget is not None:
                    widget.setStyleSheet(f"border: 2px solid {RED};")
            self.status.setText(str(exc))
        else:
            self.status.setText(explain(exc, _("The document could not be generated.")))
