"""The evidence feature's vocabularies: item kinds, custody actions, import outcomes.

Each value is stored, synced, and (for custody actions) hashed into the custody log and the
manifests of exported bundles, so the strings never change: a new member may be added, an
existing value never renamed. Kept free of SQLAlchemy so widgets and the document renderer can
use them without loading the tables. (The ``bundle`` package, shared with HQ and the verifier
in exported bundles, spells the same values as plain strings on purpose.)
"""

from __future__ import annotations

import enum

from fairdesk.i18n import N_


class EvidenceKind(enum.StrEnum):
    """What an item is, read from its bytes (never from its name)."""

    IMAGE = "image"
    VIDEO = "video"
    PDF = "pdf"
    FILE = "file"  # anything else, and images that cannot be decoded (kept byte-exact)

    @classmethod
    def of(cls, value: str) -> EvidenceKind:
        """The kind of a stored value; one this version does not know is shown as a file."""
        try:
            return cls(value)
        except ValueError:
            return cls.FILE


KIND_LABELS: dict[EvidenceKind, str] = {
    EvidenceKind.IMAGE: N_("Photo"),
    EvidenceKind.VIDEO: N_("Video"),
    EvidenceKind.PDF: N_("PDF"),
    EvidenceKind.FILE: N_("Other file"),
}


def kind_label(value: str) -> str:
    """The (untranslated) label of a stored kind; an unknown one is labelled as a file."""
    return KIND_LABELS[EvidenceKind.of(value)]


class CustodyAction(enum.StrEnum):
    """What a custody log entry records (its ``action``, part of the hashed entry)."""

    IMPORT = "import"
    ANNOTATION = "annotation"
    INCLUDED_IN_DOCUMENT = "included_in_document"
    EXPORT = "export"
    UPLOAD = "upload"
    DELETE_REQUEST = "delete_request"
    PURGE = "purge"
    RESTORE = "restore"
    TRAVEL_REMOVED = "travel_removed"  # travel mode (fairdesk.protect.travel): local copy removed
    TRAVEL_RESTORED = "travel_restored"  # ... and downloaded again from HQ


ACTION_LABELS: dict[CustodyAction, str] = {
    CustodyAction.IMPORT: N_("Imported"),
    CustodyAction.ANNOTATION: N_("Annotated copy made"),
    CustodyAction.INCLUDED_IN_DOCUMENT: N_("Included in a document"),
    CustodyAction.EXPORT: N_("Exported"),
    CustodyAction.UPLOAD: N_("Uploaded to HQ"),
    CustodyAction.DELETE_REQUEST: N_("Hidden (delete requested)"),
    CustodyAction.PURGE: N_("Bytes purged"),
    CustodyAction.RESTORE: N_("Shown again"),
    CustodyAction.TRAVEL_REMOVED: N_("Local copy removed for travel (kept at HQ)"),
    CustodyAction.TRAVEL_RESTORED: N_("Local copy downloaded again from HQ"),
}


class Integrity(enum.StrEnum):
    """An item's local integrity flag, from the last check of its original (never synced)."""

    OK = "ok"
    MISSING = "missing"
    MISMATCH = "mismatch"  # the bytes no longer hash to the recorded SHA-256
    AT_HQ = "at_hq"  # the original was removed for travel; HQ holds it
    REMOTE = "remote"  # imported on another device, held by HQ, not downloaded here
    UNSET = ""  # no flag recorded for a row pulled from HQ


class ImportStatus(enum.StrEnum):
    """What became of one file given to the importer (or sent by a phone to the intake)."""

    IMPORTED = "imported"
    DUPLICATE = "duplicate"  # already in the case: stored once, the earlier item stands
    REJECTED = "rejected"  # the importer could not keep it; the reason says why
    REFUSED = "refused"  # phone intake only: turned down before it reached the importer
