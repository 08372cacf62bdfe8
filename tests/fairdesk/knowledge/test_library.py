"""The shipped library is complete and sourced; updates are all-or-nothing and atomic."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from fairdesk.i18n import set_language
from fairdesk.knowledge import library
from fairdesk.knowledge.model import LibraryVersion
from fairdesk.resources import resource_path
from fairdesk.store import Store

CHECK_DATE = "2026-11-25"
REQUIRED_COUNTRIES = {"DE", "UPC", "US", "FR", "IT", "ES", "GB", "HK", "AE", "JP", "CN"}


def _registry() -> dict[int, dict[str, Any]]:
    data = json.loads(resource_path("reference", "sources.json").read_text(encoding="utf-8"))
    return {s["ref"]: s for s in data["sources"]}


def test_every_shipped_entry_is_sourced_bilingual_and_dated(shipped: library.Library) -> None:
    registry = _registry()
    assert set(shipped.countries()) >= REQUIRED_COUNTRIES
    for entry in shipped.entries:
        assert entry.checked == CHECK_DATE
        assert entry.confidence in library.CONFIDENCE
        assert entry.applies_to.en and entry.applies_to.zh
        if entry.is_gap:
            assert entry.confidence == "low"
            continue
        assert entry.sources, entry.id
        for source in entry.sources:
            # Every source is one of DOMAIN.md's numbered sources, with the same URL.
            assert registry[source.ref]["url"] == source.url, (entry.id, source.ref)
            assert source.type in library.SOURCE_TYPES
            assert source.checked == CHECK_DATE
            assert source.published == "unknown" or re.match(r"^\d{4}", source.published)
            assert source.confidence in library.CONFIDENCE
        texts = [entry.title, entry.summary, *(t for _n, t in entry.fields), *entry.items]
        for text in texts:
            if not text.gap:
                assert text.en.strip() and re.search(r"[\u4e00-\u9fff]", text.zh), (entry.id, text)
        if len(entry.sources) == 1:
            assert "single_source" in entry.flags, entry.id


def test_dated_and_doubtful_facts_carry_their_flags(shipped: library.Library) -> None:
    # DOMAIN.md marks these "(old)", "(unverified)" or sandbox-sourced.
    for entry_id in (
        "case.automechanika-2008",
        "case.hktdc-bar-2004",
        "case.eicma-2007",
        "de.customs",
        "hk.organiser",
    ):
        assert "old" in shipped.get(entry_id).flags, entry_id  # type: ignore[union-attr]
    det = shipped.get("ae.det")
    assert det is not None and det.confidence == "low" and "sandbox_source" in det.flags
    assert [s.confidence for s in det.sources if s.ref == 42] == ["low"]
    measures = shipped.get("cn.fair-measures-2006")
    assert measures is not None and "unverified" in measures.flags
    assert measures.field("timing").unverified  # type: ignore[union-attr]
    mwc = shipped.get("es.fast-action")
    assert mwc is not None and "yearly" in mwc.flags and mwc.review_by == "2026-12-31"


def test_gaps_read_as_gaps_never_as_no_procedure(shipped: library.Library) -> None:
    descrizione = shipped.get("it.descrizione")
    assert descrizione is not None
    timing = descrizione.field("timing")
    assert timing is not None and timing.gap
    assert timing.get() == "Gap: no verified information"
    set_language("zh_CN")
    assert "空白" in timing.get()
    japan = shipped.get("jp.organiser")
    assert japan is not None and japan.is_gap and japan.summary.gap


def test_no_people_in_shipped_data() -> None:
    # Contacts are public institutions; example people exist only in the (labelled) demo data.
    text = "\n".join(
        p.read_text(encoding="utf-8") for p in resource_path("reference").glob("*.json")
    )
    for marker in ("fictional", "虚构", "示例", "Mustermann", "Musterfrau", "Beispiel", "@"):
        assert marker not in text, marker


def _payload(shipped: library.Library, version: int = 2) -> dict[str, Any]:
    payload = copy.deepcopy(shipped.as_payload())
    payload["library_version"] = version
    payload["edition"] = f"test-{version}"
    return payload


def _state(store: Store) -> tuple[int, list[str], list[int]]:
    files = (
        sorted(p.name for p in (store.data_dir / "reference").rglob("*") if p.is_file())
        if (store.data_dir / "reference").exists()
        else []
    )
    with store.read() as session:
        versions = list(session.scalars(select(LibraryVersion.library_version)))
    return library.load_active(store).library_version, files, versions


@pytest.mark.parametrize(
    "break_it",
    [
        "missing_chinese",
        "no_sources",
        "bad_url",
        "unknown_kind",
        "truncated",
        "bad_schema",
        "dangling_ref",
        "missing_field",
        "not_newer",
        "bad_incremental",
    ],
)
def test_a_bad_update_is_rejected_whole_and_the_old_library_stays(
    store: Store, shipped: library.Library, break_it: str
) -> None:
    before = _state(store)
    payload = _payload(shipped)
    entries = payload["entries"]
    good_count = len(entries)
    if break_it == "missing_chinese":
        entries[-1]["title"]["zh"] = ""
    elif break_it == "no_sources":
        next(e for e in entries if e["id"] == "fr.saisie")["sources"] = []
    elif break_it == "bad_url":
        entries[3]["sources"][0]["url"] = "javascript:alert(1)"
    elif break_it == "unknown_kind":
        entries[0]["kind"] = "rumour"
    elif break_it == "truncated":
        payload["entries"] = [*entries[: good_count // 2], {"id": entries[good_count // 2]["id"]}]
    elif break_it == "bad_schema":
        payload["schema_version"] = 99
    elif break_it == "dangling_ref":
        entry = next(e for e in entries if e["id"] == "cn.canton-complaint")
        entry["fields"]["timing"]["refs"] = [999]
    elif break_it == "missing_field":
        del next(e for e in entries if e["id"] == "de.injunction")["fields"]["timing"]
    elif break_it == "not_newer":
        payload["library_version"] = 1
    elif break_it == "bad_incremental":
        payload = {
            "schema_version": 1,
            "library_version": 2,
            "edition": "x",
            "base_version": 7,
            "upsert": [],
            "delete": [],
        }
    with pytest.raises(library.LibraryError) as caught:
        library.apply_reference_update(store, payload)
    message = str(caught.value)
    assert "rejected as a whole" in message and "nothing was changed" in message
    assert caught.value.problems
    assert _state(store) == before  # no file, no row, same version in use
    assert library.load_active(store).get("fr.saisie") is not None


def test_a_good_update_is_applied_atomically_and_shows_what_changed(
    store: Store, shipped: library.Library
) -> None:
    payload = _payload(shipped)
    saisie = next(e for e in payload["entries"] if e["id"] == "fr.saisie")
    saisie["summary"]["en"] += " Updated."
    payload["entries"] = [e for e in payload["entries"] if e["id"] != "case.eicma-2007"]
    result = library.apply_reference_update(store, payload)
    assert result.library_version == 2 and result.previous_version == 1
    assert result.changes.removed == ("case.eicma-2007",)
    assert ("fr.saisie", ("summary",)) in result.changes.changed
    folder = store.data_dir / "reference" / "versions"
    assert [p.name for p in folder.iterdir()] == ["2.json"]  # no temp file left behind
    active = library.load_active(store)
    assert active.library_version == 2 and active.origin == "update"
    assert active.get("fr.saisie").summary.en.endswith("Updated.")  # type: ignore[union-attr]
    assert library.history(store)[0].changes["removed"] == ["case.eicma-2007"]

    # Then changes on top of version 2: one entry replaced, one deleted.
    incremental = {
        "schema_version": 1,
        "library_version": 3,
        "edition": "test-3",
        "base_version": 2,
        "upsert": [copy.deepcopy(saisie)],
        "delete": ["case.mwc-2018"],
    }
    incremental["upsert"][0]["confidence"] = "high"
    result = library.apply_reference_update(store, incremental)
    assert result.changes.removed == ("case.mwc-2018",)
    assert result.changes.changed == (("fr.saisie", ("confidence",)),)
    assert library.load_active(store).get("case.mwc-2018") is None


def test_a_damaged_stored_version_falls_back_instead_of_failing(
    store: Store, shipped: library.Library
) -> None:
    library.apply_reference_update(store, _payload(shipped))
    stored = store.data_dir / "reference" / "versions" / "2.json"
    stored.write_bytes(stored.read_bytes()[:100])
    library._active_cache.clear()
    assert library.load_active(store).origin == "shipped"


def test_shipped_payload_file_is_what_the_manifest_lists() -> None:
    manifest = json.loads(resource_path("reference", "manifest.json").read_text(encoding="utf-8"))
    listed = set(manifest["files"])
    present = {p.name for p in Path(resource_path("reference")).glob("*.json")}
    assert listed == present - {"manifest.json", "sources.json"}
