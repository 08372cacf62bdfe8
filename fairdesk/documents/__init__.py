"""Response documents: templates per kind and language, PDF and DOCX output, stored versions.

Entry points are in :mod:`fairdesk.documents.service`; templates live in
``resources/templates`` (see its README). No Qt here: the UI is in ``ui.documents``.
"""
