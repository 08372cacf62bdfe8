"""The names of synced fields as a person knows them, in their language.

Shown wherever a stored field name reaches the screen: the sync conflict dialog and the case
timeline ("Edited: Booth, Summary"). Case texts take their labels from ``fairdesk.cases``.
"""

from __future__ import annotations

from fairdesk.cases import EDITABLE_TEXT
from fairdesk.i18n import N_, _, current_language

# Labels of every synced field a person can edit (case texts come from fairdesk.cases).
FIELD_LABELS: dict[str, str] = {
    **{name: label for name, (label, _limit) in EDITABLE_TEXT.items()},
    "_deleted": N_("Deleted?"),
    "number": N_("Number"),
    "status": N_("Status"),
    "direction": N_("Direction"),
    "trigger": N_("Trigger"),
    "fair_id": N_("Fair"),
    "served_at": N_("Served at"),
    "level_override": N_("Level override"),
    "override_reason": N_("Override reason"),
    "role": N_("Role"),
    "name": N_("Name"),
    "organisation": N_("Organisation"),
    "contact": N_("Contact"),
    "kind": N_("Kind"),
    "office": N_("Office"),
    "owner": N_("Owner"),
    "right_status": N_("Right status"),
    "valid_from": N_("Valid from"),
    "valid_until": N_("Valid until"),
    "asserted_by_us": N_("Asserted by us"),
    "what": N_("What"),
    "due_at": N_("Due"),
    "rule": N_("Rule"),
    "rule_hours": N_("Hours"),
    "source": N_("Source"),
    "done": N_("Done"),
    "caption": N_("Caption"),
    "shows": N_("What it shows"),
    "supports": N_("Supports (right or claim feature)"),
    "notary_present": N_("Notary present"),
    "witness_present": N_("Witness present"),
    "tags": N_("Tags"),
    "hidden_at": N_("Hidden at"),
    "hidden_reason": N_("Hidden reason"),
    "purged_at": N_("Purged at"),
    # parties and fairs (i12)
    "reference": N_("File number"),
    "city": N_("City"),
    "country": N_("Country"),
    "venue": N_("Venue"),
    "time_zone": N_("Time zone"),
    "starts_on": N_("First day this year"),
    "ends_on": N_("Last day this year"),
    "opening_time": N_("Opens at (fair time)"),
    "closing_time": N_("Closes at (fair time)"),
    "name_zh": N_("Chinese name"),
    "name_local": N_("Local name"),
    "organiser": N_("Organiser"),
    "ip_desk": N_("Organiser's IP desk"),
    "library_venue": N_("Library entry"),
    "source_url": N_("Source"),
    "source_checked": N_("Checked on"),
    "notes": N_("Notes"),
}


def field_label(name: str) -> str:
    """The field's name as the person knows it, in their language."""
    label = FIELD_LABELS.get(name)
    return _(label) if label else name.replace("_", " ")


def field_list(names: list[str]) -> str:
    """Several field names as one phrase: "Booth, Summary" / "展位、案情摘要"."""
    separator = "、" if current_language().startswith("zh") else ", "
    return separator.join(field_label(name) for name in names)
