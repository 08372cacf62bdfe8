"""Full-text search over cases, their parties, rights and notes (SQLite FTS5), Chinese included.

FTS5's ``unicode61`` tokenizer treats a run of Chinese characters as one token, so a search for
a two-character word inside a longer run would find nothing. We therefore index CJK text with a
space between characters and turn each CJK run of a query into a phrase query: the phrase
"专 利" matches exactly where 专利 appears. Latin words match by prefix, so search works as you
type. One index row per case holds all of that case's searchable text.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the first screen (fairdesk.quickread) uses build_match without the ORM
    from sqlalchemy.orm import Session

    from fairdesk.model import Case

# Han (incl. extension A), kana, Hangul, CJK punctuation and fullwidth forms.
_CJK = "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
MAX_QUERY_CHARS = 200


# Compiled on first use, not at import: the CJK character classes take ~4 ms to compile and
# this module is imported before the first paint (fairdesk.quickread), the first search later.
@cache
def _cjk_char() -> re.Pattern[str]:
    return re.compile(f"([{_CJK}])")


@cache
def _query_part() -> re.Pattern[str]:
    return re.compile(f"[{_CJK}]+|[^\\s{_CJK}]+")


@cache
def _word() -> re.Pattern[str]:
    return re.compile(r"[^\W_]+", re.UNICODE)


def index_text(value: str) -> str:
    """Text as stored in the index: each CJK character becomes its own token."""
    return _cjk_char().sub(r" \1 ", value)


def _is_cjk(part: str) -> bool:
    return bool(_cjk_char().match(part))


def build_match(query: str) -> str | None:
    """Turn what the user typed into an FTS5 MATCH expression (all terms must match).

    Returns None when nothing searchable is left (empty, only punctuation).
    """
    terms: list[str] = []
    word = _word()
    for part in _query_part().findall(query[:MAX_QUERY_CHARS]):
        if _is_cjk(part):
            chars = [c for c in part if word.fullmatch(c)]
            if chars:
                terms.append('"' + " ".join(chars) + '"')
        else:
            words = word.findall(part)
            if words:
                # Prefix on the last word so results appear while the word is being typed.
                terms.append('"' + " ".join(w.replace('"', '""') for w in words) + '"*')
    return " AND ".join(terms) if terms else None


def case_document(case: Case) -> str:
    """All searchable text of one case, parties, rights and notes included."""
    parts: list[str] = [case.number, case.title, case.summary, case.products, case.hall, case.booth]
    if case.fair is not None:
        parts += [case.fair.name, case.fair.city, case.fair.country, case.fair.venue]
    for party in case.parties:
        if party.deleted_at is None:
            parts += [party.name, party.organisation, party.contact]
    for right in case.rights:
        if right.deleted_at is None:
            parts += [right.number, right.office, right.owner]
    parts += [note.text for note in case.notes]
    return index_text("\n".join(p for p in parts if p))


def reindex_case(session: Session, case: Case) -> None:
    from sqlalchemy import text

    session.execute(text("DELETE FROM search_index WHERE case_id = :id"), {"id": case.id})
    if case.deleted_at is None:
        session.execute(
            text(
                "INSERT INTO search_index(case_id, entity, entity_id, body) "
                "VALUES (:id, 'case', :id, :body)"
            ),
            {"id": case.id, "body": case_document(case)},
        )


MATCHING_CASE_IDS_SQL = "SELECT case_id FROM search_index WHERE search_index MATCH :match"


def matching_case_ids_sql() -> str:
    """SQL fragment selecting case ids for a MATCH parameter named :match."""
    return MATCHING_CASE_IDS_SQL
