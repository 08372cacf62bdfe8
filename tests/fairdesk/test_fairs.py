"""Fairs: the shipped catalogue is sound, seeded once (new and upgraded stores), editable.

Real SQLite stores in tmp folders; the upgrade test takes a store back to the previous schema
with Alembic's own downgrade, adds a fair the user typed, and opens it again.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from datetime import date
from pathlib import Path

import pytest
import tzdata  # type: ignore[import-untyped]
from sqlalchemy import func, select

from fairdesk import fairs
from fairdesk.errors import ValidationError
from fairdesk.fairs import Catalogue, CatalogueFair, FairInput
from fairdesk.model import Fair, OutboxEntry
from fairdesk.resources import resource_path
from fairdesk.store import DB_NAME, open_store
from fairdesk.timeutil import is_valid_zone

CATALOGUE = json.loads(resource_path("fairs", "catalogue.json").read_text(encoding="utf-8"))


def _iso_countries() -> set[str]:
    tab = Path(tzdata.__file__).parent / "zoneinfo" / "iso3166.tab"
    lines = tab.read_text(encoding="utf-8").splitlines()
    return {line.split("\t")[0] for line in lines if line and not line.startswith("#")}


def _library_venues() -> set[str]:
    data = json.loads(resource_path("reference", "venues.json").read_text(encoding="utf-8"))
    return {entry["id"] for entry in data["entries"]}


# --- the catalogue file -----------------------------------------------------------------------


def test_catalogue_has_the_major_fairs_with_valid_zones_countries_and_sources() -> None:
    entries = CATALOGUE["fairs"]
    assert len(entries) >= 40
    countries = _iso_countries()
    venues = _library_venues()
    for e in entries:
        where = e["key"]
        assert is_valid_zone(e["time_zone"]), where
        assert e["country"] in countries, where
        assert e["name"]["en"] and e["name"]["zh"] and e["name"]["local"], where
        assert re.match(r"^https?://\S+$", e["source"]["url"]), where
        assert date.fromisoformat(e["source"]["checked"]) <= date.today(), where
        assert e["library_venue"] is None or e["library_venue"] in venues, where
        for clock in (e["opening_time"], e["closing_time"]):
            assert clock == "" or re.fullmatch(r"\d\d:\d\d", clock), where
        desk = e["ip_desk"]
        # An IP desk is never stated without its own source.
        assert desk is None or re.match(r"^https?://", desk["source"]), where
    for field in ("key",):
        values = [e[field] for e in entries]
        assert len(values) == len(set(values)), field
    names = [e["name"]["en"].lower() for e in entries]
    assert len(names) == len(set(names))
    must_have = {
        "hannover-messe", "ifa-berlin", "ces", "mwc-barcelona", "canton-fair", "eicma",
        "salone-del-mobile", "ambiente", "automechanika-frankfurt", "intersolar-europe",
        "bauma", "drupa", "interpack", "medica", "ispo", "spielwarenmesse", "computex",
        "gulfood", "gitex-global", "sema-show", "nab-show", "eurobike", "light-building",
    }  # fmt: skip
    assert must_have <= {e["key"] for e in entries}
    assert any(e["key"].startswith("hktdc-") for e in entries)
    # Every entry also passes the same checks as a fair a user types.
    assert len(fairs.load_catalogue().fairs) == len(entries)


# --- seeding ------------------------------------------------------------------------------------


def test_first_start_has_the_catalogue_offline_and_reopening_adds_nothing(tmp_path: Path) -> None:
    store = open_store(tmp_path / "data")
    listed = fairs.list_fairs(store)
    assert len(listed) == len(CATALOGUE["fairs"])
    hannover = fairs.find_fair(store, "Hannover Messe")
    assert hannover.id == str(uuid.uuid5(fairs.CATALOGUE_NAMESPACE, "hannover-messe"))
    assert hannover.time_zone == "Europe/Berlin"
    assert hannover.library_venue == "venue.hannover-messe"
    assert fairs.find_fair(store, "广交会").catalogue_key == "canton-fair"  # an alias
    with store.read() as session:  # seeding is not a user edit: nothing to push
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == 0
    store.close()
    store = open_store(tmp_path / "data")
    assert len(fairs.list_fairs(store)) == len(listed)


def test_two_laptops_seed_the_same_ids(tmp_path: Path) -> None:
    a = open_store(tmp_path / "a")
    b = open_store(tmp_path / "b")
    assert {f.id for f in fairs.list_fairs(a)} == {f.id for f in fairs.list_fairs(b)}


def test_new_catalogue_edition_adds_only_missing_fairs(tmp_path: Path) -> None:
    store = open_store(tmp_path / "data")
    fairs.create_fair(store, FairInput("Example Expo", "Asia/Tokyo", "Tokyo", "JP"))
    ces = fairs.find_fair(store, "CES")
    with store.write() as session:  # the user deleted CES: it must stay deleted
        fair = session.get(Fair, ces.id)
        assert fair is not None
        fair.deleted_at = fair.created_at
    edition = Catalogue(
        version=99,
        fairs=(
            CatalogueFair("example-expo", FairInput("Example Expo", "Asia/Tokyo"), ()),
            CatalogueFair("brand-new", FairInput("Brand New Fair", "Europe/Paris"), ()),
            CatalogueFair("ces", FairInput("CES", "America/Los_Angeles"), ()),
        ),
    )
    assert fairs.seed_catalogue(store.engine, edition) == 1
    names = [f.name for f in fairs.list_fairs(store)]
    assert names.count("Example Expo") == 1
    assert "Brand New Fair" in names
    assert "CES" not in names
    assert fairs.seed_catalogue(store.engine, edition) == 0


def test_upgrade_from_the_previous_schema_seeds_without_duplicating(tmp_path: Path) -> None:
    from alembic import command

    from fairdesk.store import _alembic_config

    data = tmp_path / "data"
    store = open_store(data)
    config = _alembic_config()
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007_reference_cursors")
    store.close()
    db = sqlite3.connect(data / DB_NAME)
    with db:
        db.execute("DELETE FROM fair")
        db.execute(
            "INSERT INTO fair (id, name, city, country, venue, time_zone, closing_time, version,"
            " created_at, updated_at) VALUES ('0190aaaa-0000-7000-8000-000000000001',"
            " 'Hannover Messe', 'Hannover', 'DE', '', 'Europe/Berlin', '18:00', 0,"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
    db.close()
    store = open_store(data)
    listed = fairs.list_fairs(store)
    assert [f.name for f in listed].count("Hannover Messe") == 1
    assert fairs.find_fair(store, "Hannover Messe").id == "0190aaaa-0000-7000-8000-000000000001"
    assert len(listed) == len(CATALOGUE["fairs"])
    assert fairs.find_fair(store, "IFA Berlin").catalogue_key == "ifa-berlin"


# --- adding and editing -------------------------------------------------------------------------


def _counts(store: object) -> tuple[int, int]:
    with store.read() as session:  # type: ignore[attr-defined]
        return (
            session.scalar(select(func.count()).select_from(Fair)),
            session.scalar(select(func.count()).select_from(OutboxEntry)),
        )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (FairInput("Atlantis Expo", "Europe/Atlantis"), "Unknown time zone: Europe/Atlantis"),
        (
            FairInput("Late Expo", "Europe/Berlin", starts_on=date(2027, 4, 5),
                      ends_on=date(2027, 4, 1)),
            r"cannot end \(2027-04-01\) before it starts \(2027-04-05\)",
        ),
        (FairInput("hannover messe", "Europe/Berlin"), "already a fair called hannover messe"),
        (FairInput("Odd Expo", "Europe/Berlin", country="Germany"), "two-letter ISO code"),
        (FairInput("Hours Expo", "Europe/Berlin", closing_time="6pm"), "must look like 09:00"),
        (FairInput("  ", "Europe/Berlin"), "Fair name is required"),
    ],
)  # fmt: skip
def test_bad_fair_input_is_a_sentence_and_saves_nothing(
    tmp_path: Path, data: FairInput, message: str
) -> None:
    store = open_store(tmp_path / "data")
    before = _counts(store)
    with pytest.raises(ValidationError, match=message):
        fairs.create_fair(store, data)
    assert _counts(store) == before


def test_edit_checks_everything_before_saving_anything(tmp_path: Path) -> None:
    store = open_store(tmp_path / "data")
    ifa = fairs.find_fair(store, "IFA Berlin")
    before = _counts(store)
    with pytest.raises(ValidationError, match="cannot end"):
        fairs.edit_fair(
            store, ifa.id, {"venue": "Changed", "starts_on": date(2027, 9, 5),
                            "ends_on": date(2027, 9, 1)}
        )  # fmt: skip
    with pytest.raises(ValidationError, match="already a fair called CES"):
        fairs.edit_fair(store, ifa.id, {"name": "CES"})
    with pytest.raises(ValidationError, match="Unknown time zone"):
        fairs.edit_fair(store, ifa.id, {"time_zone": "Berlin"})
    assert _counts(store) == before
    assert fairs.get_fair(store, ifa.id) == ifa


def test_first_edit_of_a_catalogue_fair_is_pushed_as_an_insert_of_the_edited_fields(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path / "data")
    ifa = fairs.find_fair(store, "IFA Berlin")
    fairs.edit_fair(
        store, ifa.id, {"starts_on": date(2027, 9, 3), "ends_on": date(2027, 9, 7),
                        "closing_time": "18:00"}
    )  # fmt: skip
    fairs.edit_fair(store, ifa.id, {"opening_time": "10:00"})
    with store.read() as session:
        entries = session.scalars(select(OutboxEntry).order_by(OutboxEntry.mutation_id)).all()
        first, second = entries
        assert (first.entity, first.entity_id, first.op) == ("fair", ifa.id, "insert")
        assert first.changes == {
            "starts_on": "2027-09-03",
            "ends_on": "2027-09-07",
            "closing_time": "18:00",
            "catalogue_key": "ifa-berlin",
        }
        assert (second.op, second.base_version, second.changes) == (
            "update",
            0,
            {"opening_time": "10:00"},
        )
    row = fairs.get_fair(store, ifa.id)
    assert (row.starts_on, row.opening_time, row.name) == (date(2027, 9, 3), "10:00", "IFA Berlin")


def test_a_users_own_fair_is_pushed_whole(tmp_path: Path) -> None:
    store = open_store(tmp_path / "data")
    fair_id = fairs.create_fair(
        store, FairInput("Example Expo", "Asia/Tokyo", "Tokyo", "jp", name_zh="示例展")
    )
    with store.read() as session:
        entry = session.scalars(select(OutboxEntry)).one()
        assert entry.op == "insert" and entry.entity_id == fair_id
        assert entry.changes["country"] == "JP" and entry.changes["name_zh"] == "示例展"
        assert entry.changes["time_zone"] == "Asia/Tokyo"
