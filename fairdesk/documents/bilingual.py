"""Side-by-side documents in two languages (``zh+de``): what staff read beside what binds.

Both languages are prepared and rendered to blocks exactly as a one-language document
(their own words, dates and blank markers). Where the two block lists correspond — the same
kinds of block in the same order, which is how the templates of one kind are written — the
document shows them in two columns, pair by pair. Where they do not (a condition that adds a
paragraph in one language only), it shows the whole document in each language one after the
other. Either way it opens with a note, in both languages, saying which version governs: the
language of the court or the fair's organiser when it is one of the two, else the version
that is not Chinese (the one the other side reads).

Internal cover-sheet notes are never part of either version; the cover sheet is produced
apart, in the governing language.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from fairdesk.documents import blocks as blk
from fairdesk.documents.render import DocumentSpec
from fairdesk.documents.templates import DOC_LANGUAGES
from fairdesk.errors import ValidationError
from fairdesk.i18n import _

SEPARATOR = "+"
# The language courts and fair organisers of a country work in (where it is one of ours).
AUTHORITY_LANGUAGE = {
    "DE": "de",
    "AT": "de",
    "CH": "de",
    "LI": "de",
    "CN": "zh",
    "TW": "zh",
    "HK": "zh",
    "US": "en",
    "GB": "en",
    "IE": "en",
    "AU": "en",
    "SG": "en",
    "AE": "en",
}


def split(language: str) -> tuple[str, str] | None:
    """``"zh+de"`` → ``("zh", "de")``; a single language → None. Raises for nonsense."""
    if SEPARATOR not in language:
        return None
    parts = [p.strip() for p in language.split(SEPARATOR)]
    if len(parts) != 2 or parts[0] == parts[1] or not all(parts):
        raise ValidationError(
            _(
                "Give two different document languages joined by '+', e.g. zh+de; got {value}."
            ).format(value=language)
        )
    return parts[0], parts[1]


def language_codes() -> list[str]:
    """Every language choice: the single languages, then each ordered pair."""
    pairs = [f"{a}{SEPARATOR}{b}" for a in DOC_LANGUAGES for b in DOC_LANGUAGES if a != b]
    return [*DOC_LANGUAGES, *pairs]


def governing(languages: tuple[str, str], country: str) -> tuple[str, bool]:
    """The language whose version governs, and whether it is the authority's language."""
    authority = AUTHORITY_LANGUAGE.get(country.upper())
    if authority in languages:
        return authority, True
    return next((lang for lang in languages if lang != "zh"), languages[0]), False


@dataclass(frozen=True)
class BilingualSpec:
    """Two one-language specs and how to lay them out together."""

    left: DocumentSpec
    right: DocumentSpec
    pairs: tuple[tuple[blk.Block, blk.Block], ...]  # empty: one version after the other
    governing: str
    notes: tuple[str, str]  # the governing note in the left and in the right language
    title: str
    doc_ref: str

    @property
    def language(self) -> str:
        return f"{self.left.language}{SEPARATOR}{self.right.language}"

    @property
    def side_by_side(self) -> bool:
        return bool(self.pairs)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.left.warnings, *self.right.warnings)))


def align(
    left: Sequence[blk.Block], right: Sequence[blk.Block]
) -> list[tuple[blk.Block, blk.Block]] | None:
    """The blocks as pairs when both versions have the same structure, else None."""
    if len(left) != len(right):
        return None
    pairs = list(zip(left, right, strict=True))
    for a, b in pairs:
        if a.kind != b.kind:
            return None
        if a.kind in ("evidence", "qr") and a.text != b.text:
            return None
    return pairs


def _note(spec: DocumentSpec, lang: str, authority: bool) -> str:
    name = spec.words.get(f"language_{lang}", lang)
    key = "governs_authority" if authority else "governs"
    return spec.words.get(key, "The {lang} version governs.").format(lang=name)


def combine(left: DocumentSpec, right: DocumentSpec, country: str) -> BilingualSpec:
    """Lay out two versions of one document together (see the module doc)."""
    languages = (left.language, right.language)
    lang, authority = governing(languages, country)
    pairs = align(left.blocks, right.blocks)
    ref = hashlib.sha256(f"{left.doc_ref}{SEPARATOR}{right.doc_ref}".encode()).hexdigest()
    return BilingualSpec(
        left=left,
        right=right,
        pairs=tuple(pairs or ()),
        governing=lang,
        notes=(_note(left, lang, authority), _note(right, lang, authority)),
        title=f"{left.title} / {right.title}",
        doc_ref=ref,
    )
