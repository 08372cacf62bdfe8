"""Words for the stored vocabularies the console shows (status, roles, right and evidence kinds,
timeline entries), so a Chinese page never shows "open" or "complainant".

The server may not import the desktop core, so the English words are written here again; they
are the same message ids as the desktop's (`fairdesk.enums.LABELS`, the evidence kinds, the case
page's timeline), so one Chinese translation serves both, and a test keeps the two equal.
"""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "status": {
        "open": "Open",
        "responding": "Responding",
        "escalated": "Escalated",
        "settled": "Settled",
        "closed": "Closed",
    },
    "level": {"red": "Red", "yellow": "Yellow", "blue": "Blue"},
    "role": {
        "complainant": "Rights holder / applicant / complainant",
        "respondent": "Respondent",
        "their_counsel": "Their counsel",
        "us": "Us (exhibitor)",
        "our_counsel": "Our counsel",
        "court": "Court or authority",
        "bailiff": "Bailiff / court officer",
        "customs": "Customs officer",
        "police": "Police",
        "organiser_ip_desk": "Organiser IP desk",
        "witness": "Witness",
        "notary": "Notary",
    },
    "right": {
        "invention_patent": "Invention patent",
        "utility_model": "Utility model",
        "design": "Design",
        "trademark": "Trademark",
        "copyright": "Copyright",
        "trade_dress": "Trade dress",
    },
    "evidence": {"image": "Photo", "video": "Video", "pdf": "PDF", "file": "Other file"},
    "timeline": {
        "created": "Created",
        "status": "Status changed",
        "level": "Level changed",
        "level_override": "Level overridden",
        "edit": "Edited",
        "deadline_done": "Deadline done",
        "deadline_reopened": "Deadline reopened",
        "deleted": "Deleted",
        "party_edited": "Party edited",
        "party_removed": "Party removed",
        "right_edited": "Right edited",
        "right_removed": "Right removed",
        "situation": "Situation corrected",
    },
}


def label(vocabulary: str, value: str | None) -> str:
    """The English words for a stored value (to be translated); an unknown value as it is."""
    if not value:
        return ""
    return LABELS[vocabulary].get(value, value)
