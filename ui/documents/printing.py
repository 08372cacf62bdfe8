"""Printing a PDF with QPrinter: each page rendered by QtPdf at the printer's resolution."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo
from PySide6.QtWidgets import QDialog, QWidget

from fairdesk.i18n import _


def print_pdf(document: QPdfDocument, parent: QWidget | None = None) -> str:
    """Show the print dialog and print; returns a message for the user when nothing printed."""
    if not QPrinterInfo.availablePrinters():
        return _("No printer is set up on this computer. Save the PDF and print it elsewhere.")
    if document.status() != QPdfDocument.Status.Ready or document.pageCount() == 0:
        return _("Select a PDF document first.")
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    dialog = QPrintDialog(printer, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return ""
    painter = QPainter()
    if not painter.begin(printer):
        return _("The printer could not be started.")
    try:
        dpi = printer.resolution()
        for page in range(document.pageCount()):
            if page:
                printer.newPage()
            size = document.pagePointSize(page)
            image = document.render(
                page, QSize(round(size.width() * dpi / 72), round(size.height() * dpi / 72))
            )
            target = painter.viewport()
            scaled = image.scaled(
                target.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            painter.drawImage(target.topLeft(), scaled)
    finally:
        painter.end()
    return ""
