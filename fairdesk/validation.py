"""Checks on what users type: lengths, control characters, required fields.

Every check raises ValidationError with a sentence naming the field, so nothing is saved half.
"""

from __future__ import annotations

import re
import unicodedata

from fairdesk.errors import ValidationError
from fairdesk.i18n import _

# C0/C1 controls except tab and newline, plus bidi overrides that can disguise text.
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# The longest text each kind of field takes, in characters. The services check them (and the
# forms pre-check them to mark the field); they live here only, so both say the same.
TITLE_MAX = 300  # a case's title
SHORT_MAX = 300  # names, organisations, owners: one line
LONG_MAX = 200_000  # summaries and notes
PLACE_MAX = 100  # hall, booth
CODE_MAX = 100  # right numbers, offices, right status, file numbers
CASE_NUMBER_MAX = 40
PRODUCTS_MAX = 5_000
CONTACT_MAX = 2_000  # address, phone, e-mail: several lines
REASON_MAX = 2_000  # why a level was overridden, a row removed, a case deleted
DEADLINE_MAX = 500  # what is due, and the source of the rule


def clean_text(
    label: str,
    value: str | None,
    *,
    max_len: int = SHORT_MAX,
    required: bool = False,
    multiline: bool = False,
) -> str:
    """Normalise (NFC, trimmed) and check one text field; ``label`` is already translated."""
    text = unicodedata.normalize("NFC", value or "").strip()
    if not multiline and ("\n" in text or "\r" in text or "\t" in text):
        text = " ".join(text.split())
    if _FORBIDDEN.search(text):
        raise ValidationError(
            _("{field} contains invisible control characters; please retype it.").format(
                field=label
            )
        )
    if required and not text:
        raise ValidationError(_("{field} is required.").format(field=label))
    if len(text) > max_len:
        raise ValidationError(
            _("{field} is too long ({length} characters; at most {limit}).").format(
                field=label, length=len(text), limit=max_len
            )
        )
    return text
