"""Documents in the app: a case panel listing generated documents (the Documents tab, listed in
``ui.features``), the New-document dialog, an in-app PDF preview (QtPdf), open in the system
viewer, save as and print.
"""
