"""Checks on what identifies a right or a proceeding: right numbers per office, file numbers.

A right number that does not look like its office's format is only *warned* about (offices
print numbers in several styles, and a responder copying from a photographed page must be able
to save what they see); a court or authority file number with characters no court uses (``<``,
``;``, emoji, control characters, …) is refused with a sentence that says so.
"""

from __future__ import annotations

import re
import unicodedata

from fairdesk.errors import ValidationError
from fairdesk.i18n import _
from fairdesk.model import RightKind
from fairdesk.validation import clean_text

FILE_NUMBER_MAX = 100
# Letters and digits of any script (Aktenzeichen "4a O 12/26", 案号 "（2026）京73民初123号"),
# spaces and the punctuation courts print in file numbers.
_FILE_NUMBER_OK = re.compile(r"^[\w .,:/\-–()（）\[\]【】#·°'’]+$")


def check_file_number(text: str | None) -> str:
    """The file number, trimmed; a ValidationError for characters no court uses."""
    value = clean_text(_("File number"), text, max_len=FILE_NUMBER_MAX)
    odd = [ch for ch in value if ch == "_" or not _FILE_NUMBER_OK.match(ch)]
    if odd:
        raise ValidationError(
            _(
                "The file number {value} contains characters a court or authority file number "
                "does not use ({chars}); type it as printed on the papers, e.g. 4a O 12/26 or "
                "（2026）京73民初123号."
            ).format(value=value, chars=" ".join(dict.fromkeys(odd)))
        )
    return value


def _compact(number: str) -> str:
    text = unicodedata.normalize("NFKC", number).upper()
    return re.sub(r"[\s,.\-/]", "", text)


# Office → kind (None = any kind) → patterns for the compacted number (no spaces, commas,
# dots, dashes, slashes). Deliberately loose: they catch a number from another office or a
# mistyped digit count, not every official variant.
_FORMATS: dict[str, list[tuple[RightKind | None, str, str]]] = {
    "EP": [
        (RightKind.INVENTION_PATENT, r"(EP)?\d{7}([AB]\d?)?|(EP)?\d{8}\d?", "EP 3 000 001 B1"),
    ],
    "DE": [
        (
            RightKind.INVENTION_PATENT,
            r"(DE)?(10|11|19)\d{10}\d?([AB]\d|T\d|C\d)?|(DE)?\d{7,8}",
            "DE 10 2020 123 456.7",
        ),
        (RightKind.UTILITY_MODEL, r"(DE)?(20|21)\d{10}\d?(U\d)?", "DE 20 2020 123 456.7"),
        (RightKind.DESIGN, r"(DE)?40\d{9}\d?(\d{4})?|(DE)?\d{9,14}", "40 2020 123 456-0001"),
        (RightKind.TRADEMARK, r"(DE)?30\d{9}\d?|(DE)?\d{6,8}", "30 2020 123 456"),
    ],
    "CN": [
        (RightKind.INVENTION_PATENT, r"(ZL)?\d{12}\d?|(CN)?\d{9}[ABC]?", "ZL 2020 1 0123456.7"),
        (RightKind.UTILITY_MODEL, r"(ZL)?\d{12}\d?|(CN)?\d{9}U?", "ZL 2020 2 0123456.7"),
        (RightKind.DESIGN, r"(ZL)?\d{12}\d?|(CN)?\d{9}S?", "ZL 2020 3 0123456.7"),
        (RightKind.TRADEMARK, r"\d{6,9}", "12345678"),
    ],
    "US": [
        (RightKind.INVENTION_PATENT, r"(US)?(RE)?\d{6,8}(B\d)?", "US 11,234,567 B2"),
        (RightKind.DESIGN, r"(US)?D\d{6}S?", "US D987,654 S"),
        (RightKind.TRADEMARK, r"\d{7}|\d{8}", "Reg. No. 6,123,456"),
    ],
    "EM": [
        (RightKind.TRADEMARK, r"(EUTM|EM)?\d{9}", "018123456"),
        (RightKind.DESIGN, r"(RCD)?\d{9}\d{4}", "001234567-0001"),
    ],
    "WO": [(RightKind.INVENTION_PATENT, r"(WO)?\d{4}\d{6}(A\d)?", "WO 2020/123456")],
}
_FORMATS["EU"] = _FORMATS["EM"]
_FORMATS["EUIPO"] = _FORMATS["EM"]
_FORMATS["CNIPA"] = _FORMATS["CN"]
_FORMATS["DPMA"] = _FORMATS["DE"]
_FORMATS["EPO"] = _FORMATS["EP"]
_FORMATS["USPTO"] = _FORMATS["US"]


def number_warning(kind: RightKind, office: str, number: str) -> str:
    """A sentence when ``number`` does not look like ``office``'s format for ``kind``; else "".

    Only a warning: the right is saved as typed (see the module docstring).
    """
    if not number.strip() or not office.strip():
        return ""
    formats = [f for f in _FORMATS.get(office.strip().upper(), []) if f[0] in (kind, None)]
    if not formats:
        return ""  # an office or kind we have no format for: nothing to say
    compact = _compact(number)
    if any(re.fullmatch(pattern, compact) for _kind, pattern, _example in formats):
        return ""
    return _(
        "The number {number} does not look like a {office} number of this kind "
        "(e.g. {example}). It was kept as typed; check it against the certificate."
    ).format(number=number.strip(), office=office.strip().upper(), example=formats[0][2])
