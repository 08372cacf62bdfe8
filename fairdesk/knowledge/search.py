"""Offline full-text search over the reference library, in Chinese and English.

The library is small (hundreds of entries) and read-only, so each loaded version gets its own
in-memory SQLite FTS5 index, built on first use in a few milliseconds; nothing on disk can go
stale. Chinese is indexed character by character and queried as phrases by the same helpers
as the case search (``fairdesk.search``), so a two-character word like 禁令 is found inside
longer runs of text. Both languages are indexed together: a query in either finds the entry.
Every entry is also indexed under the common names of its country (UK, GB, Britain, 英国; US,
USA, 美国; UPC, 统一专利法院; …), so a responder's everyday word finds the card.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass

from fairdesk.knowledge.library import Entry, Library, normalise_country
from fairdesk.search import build_match, index_text


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float  # lower is better (FTS5 bm25)


# Common names of the library's countries, in English and Chinese (search aliases).
COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "DE": ("Germany", "German", "Deutschland", "德国"),
    "UPC": ("UPC", "Unified Patent Court", "统一专利法院", "欧洲统一专利法院"),
    "US": ("US", "USA", "United States", "America", "美国"),
    "FR": ("France", "French", "法国"),
    "IT": ("Italy", "Italia", "意大利"),
    "ES": ("Spain", "España", "西班牙"),
    "GB": ("UK", "GB", "Britain", "Great Britain", "United Kingdom", "England", "英国"),
    "HK": ("Hong Kong", "HK", "香港"),
    "AE": ("UAE", "United Arab Emirates", "Emirates", "Dubai", "阿联酋", "迪拜"),
    "JP": ("Japan", "日本"),
    "CN": ("China", "PRC", "中国"),
    "EU": ("EU", "European Union", "Europe", "欧盟"),
}


def _names(entry: Entry) -> str:
    codes = (entry.country, *entry.applies_in)
    return "\n".join(name for code in codes for name in COUNTRY_NAMES.get(code, ()))


class _Index:
    def __init__(self, library: Library) -> None:
        self.library = library
        self.lock = threading.Lock()
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.execute(
            "CREATE VIRTUAL TABLE kb USING fts5(entry_id UNINDEXED, title, body, "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        self.db.executemany(
            "INSERT INTO kb(entry_id, title, body) VALUES (?, ?, ?)",
            [
                (
                    e.id,
                    index_text(f"{e.title.en}\n{e.title.zh}"),
                    index_text(f"{e.text_blob()}\n{_names(e)}"),
                )
                for e in library.entries
            ],
        )
        self.db.commit()

    def query(self, match: str, limit: int) -> list[tuple[str, float]]:
        with self.lock:
            # Title matches count five times as much as body matches.
            rows = self.db.execute(
                "SELECT entry_id, bm25(kb, 0.0, 5.0, 1.0) AS score FROM kb WHERE kb MATCH ? "
                "ORDER BY score LIMIT ?",
                (match, limit),
            ).fetchall()
        return [(str(r[0]), float(r[1])) for r in rows]


_indexes: dict[tuple[int, str, int], _Index] = {}
_lock = threading.Lock()


def _index_for(library: Library) -> _Index:
    key = (library.library_version, library.origin, id(library))
    with _lock:
        index = _indexes.get(key)
        if index is None:
            # Keep only the newest few: an old version's index is useless after an update.
            while len(_indexes) >= 3:
                _indexes.pop(next(iter(_indexes)))
            index = _indexes[key] = _Index(library)
        return index


def search(
    library: Library,
    query: str,
    *,
    limit: int = 50,
    country: str | None = None,
    kinds: tuple[str, ...] | None = None,
) -> list[Hit]:
    """Entries matching every word of ``query`` (Chinese or English), best first."""
    match = build_match(query)
    if match is None:
        return []
    code = normalise_country(country) if country else None
    hits: list[Hit] = []
    # Ask for more than ``limit`` because filters drop some rows afterwards.
    for entry_id, score in _index_for(library).query(match, limit * 4 if code or kinds else limit):
        entry = library.get(entry_id)
        if entry is None:
            continue
        if code and entry.country != code and code not in entry.applies_in:
            continue
        if kinds and entry.kind not in kinds:
            continue
        hits.append(Hit(entry, score))
    return hits[:limit]
