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

FIRST_CHECK, EDITION_CHECK = "2026-11-25", "2026-12-04"  # edition 2026.11, edition 2026.12
REQUIRED_COUNTRIES = {"DE", "UPC", "US", "FR", "IT", "ES", "GB", "HK", "AE", "JP", "CN"}
# Hosts that republish official texts: a page there is a copy, never "official" or "statute".
COPY_HOSTS = (
    "ecfr.io",
    "cupdf.com",
    "docplayer.",
    "justia.com",
    "getpocketlaw.com",
    "ippt.eu",
    "upc-casalonga.eu",
    "gazzettaufficiale.biz",
    "doczz.",
    "slideplayer.",
    "yudu.com",
    "detsandbox.com",
)


def _registry() -> dict[int, dict[str, Any]]:
    data = json.loads(resource_path("reference", "sources.json").read_text(encoding="utf-8"))
    return {s["ref"]: s for s in data["sources"]}


def test_every_shipped_entry_is_sourced_bilingual_and_dated(shipped: library.Library) -> None:
    registry = _registry()
    assert set(shipped.countries()) >= REQUIRED_COUNTRIES
    checked_dates: set[str] = set()
    for entry in shipped.entries:
        assert entry.checked in (FIRST_CHECK, EDITION_CHECK), entry.id
        assert entry.as_of and entry.review_by and entry.as_of < entry.review_by, entry.id
        assert entry.confidence in library.CONFIDENCE
        assert entry.applies_to.en and entry.applies_to.zh
        if entry.is_gap:
            assert entry.confidence == "low"
            continue
        assert entry.sources, entry.id
        for source in entry.sources:
            # Every source is one of the numbered sources in sources.json, with the same URL.
            assert registry[source.ref]["url"] == source.url, (entry.id, source.ref)
            assert source.type in library.SOURCE_TYPES
            assert source.checked in (FIRST_CHECK, EDITION_CHECK)
            assert source.published == "unknown" or source.published[:10] <= source.checked
            checked_dates.add(source.checked)
            assert source.published == "unknown" or re.match(r"^\d{4}", source.published)
            assert source.confidence in library.CONFIDENCE
        texts = [entry.title, entry.summary, *(t for _n, t in entry.fields), *entry.items]
        for text in texts:
            if not text.gap:
                assert text.en.strip() and re.search(r"[\u4e00-\u9fff]", text.zh), (entry.id, text)
        if len(entry.sources) == 1:
            assert "single_source" in entry.flags, entry.id
    # Each source carries the date it was itself checked, not one date for the whole library.
    assert checked_dates == {FIRST_CHECK, EDITION_CHECK}


def _statements(entry: library.Entry) -> list[tuple[str, library.Text]]:
    """Every text of an entry that states law or fact (not notes, city names or headings)."""
    out = [(f"field {name}", text) for name, text in entry.fields]
    out = [(w, t) for w, t in out if w.split()[1] not in library.UNSOURCED_FIELDS]
    if entry.kind not in library.ITEM_KINDS:
        out.append(("summary", entry.summary))
    out += [(f"item {n}", t) for n, t in enumerate(entry.items)]
    out += [(f"deadline {d.id}", library.Text("x", "x", d.refs)) for d in entry.deadlines]
    return [(w, t) for w, t in out if not t.gap]


def test_currency_rules_hold_for_every_shipped_statement(shipped: library.Library) -> None:
    """The build fails when a statement has no source, a source has no type, or "high"
    confidence rests only on undated secondary sources."""
    for entry in shipped.entries:
        for where, text in _statements(entry):
            assert text.refs, f"{entry.id}: {where} has no source"
        for source in entry.sources:
            assert source.type in library.SOURCE_TYPES, (entry.id, source.ref)
            if any(host in source.url for host in COPY_HOSTS):
                assert source.type == "copy", (entry.id, source.ref, source.type)
        for contact in entry.contacts:
            assert contact.refs, (entry.id, contact.name.en)
        if entry.confidence == "high":
            assert any(library.is_primary(s) or s.published != "unknown" for s in entry.sources), (
                entry.id
            )


@pytest.mark.parametrize(
    ("break_it", "problem"),
    [
        ("statement_without_source", "has no source"),
        ("source_without_type", "unknown source type"),
        ("high_on_undated_secondary", 'confidence "high" rests only on undated secondary'),
        ("no_review_date", "review date (review_by) is missing"),
        ("no_as_of", "as-of date (as_of) is missing"),
        ("bad_phone", "is not a number"),
        ("bad_side", "addressed_to must be respondent or holder, not exhibitor"),
    ],
)
def test_the_validator_refuses_what_the_currency_rules_forbid(
    shipped: library.Library, break_it: str, problem: str
) -> None:
    payload = _payload(shipped)
    entries = {e["id"]: e for e in payload["entries"]}
    if break_it == "statement_without_source":
        entries["us.cbp"]["fields"]["timing"]["refs"] = []
    elif break_it == "source_without_type":
        del entries["us.cbp"]["sources"][0]["type"]
    elif break_it == "high_on_undated_secondary":
        entry = entries["de.widerspruch"]
        entry["sources"] = [s for s in entry["sources"] if s["ref"] == 89]
        for text in [entry["summary"], *entry["fields"].values()]:
            text["refs"] = [89]
        entry["confidence"] = "high"
    elif break_it == "no_review_date":
        del entries["it.descrizione"]["review_by"]
    elif break_it == "no_as_of":
        del entries["it.descrizione"]["as_of"]
    elif break_it == "bad_phone":
        entries["us.next-hour"]["contacts"][0]["phone"] = "call the ITC"
    elif break_it == "bad_side":
        entries["de.widerspruch"]["addressed_to"] = "exhibitor"
    with pytest.raises(library.LibraryError) as caught:
        library.parse_library(payload)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_one_sided_remedies_name_their_side(shipped: library.Library) -> None:
    """The objection, the final declaration and the protective letters are the respondent's
    (the cards speak to "you (the respondent)"); every other card is for either side."""
    one_sided = {e.id: e.addressed_to for e in shipped.entries if e.addressed_to is not None}
    assert one_sided == {
        "de.widerspruch": "respondent",
        "de.abschlusserklaerung": "respondent",
        "de.protective-letter": "respondent",
        "upc.protective-letter": "respondent",
    }
    payload = _payload(shipped)
    next(e for e in payload["entries"] if e["id"] == "de.widerspruch")["addressed_to"] = None
    either = library.parse_library(payload).get("de.widerspruch")
    assert either is not None and either.addressed_to is None  # null: either side, on purpose


def test_an_hq_library_without_sides_keeps_the_shipped_ones(
    store: Store, shipped: library.Library
) -> None:
    """A library HQ published before ``addressed_to`` existed (version 3, no entry carries the
    key) must not put the respondent's objection among a holder's procedures: each entry
    keeps the side the shipped library gives its id, on this device, after a restart too."""
    payload = _payload(shipped, shipped.library_version + 1)
    for entry in payload["entries"]:
        entry.pop("addressed_to", None)
    objection = next(e for e in payload["entries"] if e["id"] == "de.widerspruch")
    payload["entries"].append({**copy.deepcopy(objection), "id": "de.widerspruch-copy"})
    library.apply_reference_update(store, payload)
    library._active_cache.clear()  # read back from the stored file, as after a restart
    active = library.load_active(store)
    assert active.library_version == shipped.library_version + 1
    sides = {e.id: e.addressed_to for e in active.entries if e.addressed_to is not None}
    assert sides == {e.id: e.addressed_to for e in shipped.entries if e.addressed_to}
    copied = active.get("de.widerspruch-copy")  # an id the shipped library does not know
    assert copied is not None and copied.addressed_to is None


def test_dangerous_corrections_of_edition_2026_12(shipped: library.Library) -> None:
    assert shipped.edition == "2026.12"
    italy = shipped.get("it.descrizione")
    assert italy is not None
    assert "seizure" in italy.summary.en and "Law no. 102 of 24 July 2023" in italy.summary.en
    assert "does not stop the display" not in italy.text_blob()
    assert {106, 108} <= set(italy.summary.refs)
    checklist_it = shipped.get("checklist.it")
    assert checklist_it is not None
    assert not any("does not stop the display" in i.en for i in checklist_it.items)
    assert any("34-bis" in i.en for i in checklist_it.items)

    injunction = shipped.get("de.injunction")
    assert injunction is not None
    timing = injunction.field("timing")
    assert timing is not None and "not from its service on you" in timing.en
    month = next(d for d in injunction.deadlines if d.id == "de-holder-serve-1-month")
    assert month.rule == "info"  # no longer computed from the day we were served
    assert injunction.contacts[0].url == "https://schutzschriftenregister.hessen.de"
    letter = shipped.get("de.protective-letter")
    assert letter is not None
    prefiling = letter.field("prefiling")
    assert prefiling is not None and "EUR 83" in prefiling.en and 87 in prefiling.refs
    assert "ag-essen" not in (letter.contacts[0].url or "")
    for entry_id in ("de.widerspruch", "de.abschlusserklaerung", "de.patent-courts"):
        assert shipped.get(entry_id) is not None, entry_id

    tro = shipped.get("us.tro")
    assert tro is not None and "good cause" in tro.summary.en
    itc = shipped.get("us.itc-337")
    assert itc is not None and (itc.contacts[0].url or "").startswith("https://www.usitc.gov/")
    assert itc.contacts[0].phone == "+1 202 205 1802"

    for entry_id in ("ae.det", "ae.customs"):
        uae = shipped.get(entry_id)
        assert uae is not None
        must, consequences = uae.field("respondent_must"), uae.field("consequences")
        assert must is not None and must.gap and consequences is not None and consequences.gap
        who = uae.field("who_files")
        assert who is not None and "legalised" in who.en and "AED" in who.en

    canton = shipped.get("cn.canton-complaint")
    assert canton is not None
    timing = canton.field("timing")
    assert timing is not None and "24 hours" in timing.en and "24 hours" in canton.summary.en
    assert "appeal" not in timing.en and "to answer" not in canton.summary.en
    notes = canton.field("notes")
    assert notes is not None and "evaluation report" in notes.en and "gap" in notes.en


def test_every_country_has_a_next_hour_card_with_contacts(shipped: library.Library) -> None:
    for country in REQUIRED_COUNTRIES:
        cards = [e for e in shipped.entries if e.kind == "next_hour" and e.country == country]
        assert len(cards) == 1, country
        card = cards[0]
        assert card.items and all(i.refs for i in card.items), country
        phones = [c.phone for c in card.contacts if c.phone]
        assert phones, country  # every number comes from a source the card lists
        for contact in card.contacts:
            assert set(contact.refs) <= {s.ref for s in card.sources}, (country, contact.name.en)
    assert {"customs"} <= {e.instrument for e in shipped.for_country("US")}
    for country in ("DE", "FR", "IT", "ES"):
        assert "eu.customs-holder" in [e.id for e in shipped.for_country(country)], country
    assert shipped.get("gb.customs") is not None


def test_ex_parte_instruments_are_the_countrys_instruments_marked_ex_parte(
    shipped: library.Library,
) -> None:
    """The per-country index every levelling asks gives what filtering the entries gives."""
    codes = {c for e in shipped.entries for c in (e.country, *e.applies_in)} | {"XX"}
    assert {"DE", "US"} <= {c for c in codes if shipped.ex_parte_instruments(c)}
    for code in codes:
        filtered = [e for e in shipped.for_country(code, ("instrument",)) if e.ex_parte]
        assert list(shipped.ex_parte_instruments(code)) == filtered, code
    assert shipped.ex_parte_instruments(" de ") == shipped.ex_parte_instruments("DE")


def test_the_edition_carries_a_readable_change_log(shipped: library.Library) -> None:
    (note,) = shipped.changelog
    assert note.edition == "2026.12" and note.title.en == "What changed in 2026.12"
    named = {entry_id for item in note.items for entry_id in item.entries}
    assert {"it.descrizione", "de.injunction", "us.tro", "ae.customs", "us.cbp"} <= named
    assert all(item.text.en and item.text.zh for item in note.items)
    assert named <= {e.id for e in shipped.entries}


def test_dated_and_doubtful_facts_carry_their_flags(shipped: library.Library) -> None:
    # Their sources are dated, unconfirmed or sandbox-hosted (see sources.json).
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
    # Institutional mailboxes are allowed as contact e-mails; no other address anywhere.
    mailboxes = {c.email for e in library.load_shipped().entries for c in e.contacts if c.email}
    assert mailboxes == {"IPRRQuestions@cbp.dhs.gov", "crimereport@customs.gov.hk"}
    for mailbox in mailboxes:
        text = text.replace(mailbox, "")
    for marker in ("fictional", "虚构", "示例", "Mustermann", "Musterfrau", "Beispiel", "@"):
        assert marker not in text, marker


def _payload(shipped: library.Library, version: int | None = None) -> dict[str, Any]:
    payload = copy.deepcopy(shipped.as_payload())
    version = version or shipped.library_version + 1
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
        payload["library_version"] = shipped.library_version
    elif break_it == "bad_incremental":
        payload = {
            "schema_version": 1,
            "library_version": shipped.library_version + 1,
            "edition": "x",
            "base_version": 77,
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
    v = shipped.library_version
    assert result.library_version == v + 1 and result.previous_version == v
    assert result.changes.removed == ("case.eicma-2007",)
    assert ("fr.saisie", ("summary",)) in result.changes.changed
    folder = store.data_dir / "reference" / "versions"
    assert [p.name for p in folder.iterdir()] == [f"{v + 1}.json"]  # no temp file left behind
    active = library.load_active(store)
    assert active.library_version == v + 1 and active.origin == "update"
    assert active.changelog == shipped.changelog  # the readable change log travels along
    assert active.get("fr.saisie").summary.en.endswith("Updated.")  # type: ignore[union-attr]
    assert library.history(store)[0].changes["removed"] == ["case.eicma-2007"]

    # Then changes on top of version 2: one entry replaced, one deleted.
    incremental: dict[str, Any] = {
        "schema_version": 1,
        "library_version": v + 2,
        "edition": "test-3",
        "base_version": v + 1,
        "upsert": [copy.deepcopy(saisie)],
        "delete": ["case.mwc-2018"],
    }
    # ("high" would be refused: fr.saisie rests only on undated secondary sources.)
    incremental["upsert"][0]["confidence"] = "low"
    result = library.apply_reference_update(store, incremental)
    assert result.changes.removed == ("case.mwc-2018",)
    assert result.changes.changed == (("fr.saisie", ("confidence",)),)
    assert library.load_active(store).get("case.mwc-2018") is None


def test_a_damaged_stored_version_falls_back_instead_of_failing(
    store: Store, shipped: library.Library
) -> None:
    library.apply_reference_update(store, _payload(shipped))
    stored = store.data_dir / "reference" / "versions" / f"{shipped.library_version + 1}.json"
    stored.write_bytes(stored.read_bytes()[:100])
    library._active_cache.clear()
    assert library.load_active(store).origin == "shipped"


def test_shipped_payload_file_is_what_the_manifest_lists() -> None:
    manifest = json.loads(resource_path("reference", "manifest.json").read_text(encoding="utf-8"))
    listed = set(manifest["files"])
    present = {p.name for p in Path(resource_path("reference")).glob("*.json")}
    assert listed == present - {"manifest.json", "sources.json"}
