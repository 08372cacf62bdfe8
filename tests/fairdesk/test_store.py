"""The local store: durability settings, migrations with backups, and refusing unsafe folders."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from fairdesk import cases
from fairdesk.cases import CaseInput
from fairdesk.errors import StoreError
from fairdesk.model import Direction, Trigger
from fairdesk.store import DB_NAME, Store, head_revision, open_store


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _case(title: str = "Abmahnung") -> CaseInput:
    return CaseInput(title, Direction.AGAINST_US, Trigger.WARNING_LETTER)


def test_new_store_uses_wal_full_sync_and_foreign_keys(store: Store) -> None:
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    for sub in ("vault", "thumbs", "exports", "backups", "logs"):
        assert (store.data_dir / sub).is_dir()


def test_reopen_keeps_data_and_device_identity(data_dir: Path) -> None:
    first = open_store(data_dir)
    case_id = cases.create_case(first, _case())
    device = first.device
    first.close()
    second = open_store(data_dir)
    assert second.device == device
    assert cases.get_case(second, case_id).case.title == "Abmahnung"
    second.close()


def test_newer_schema_is_refused_without_touching_the_file(data_dir: Path) -> None:
    open_store(data_dir).close()
    db = data_dir / DB_NAME
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    before = _digest(db)
    with pytest.raises(StoreError, match="newer FairDesk"):
        open_store(data_dir)
    assert _digest(db) == before


def test_damaged_database_is_refused_and_never_replaced(data_dir: Path) -> None:
    store = open_store(data_dir)
    cases.create_case(store, _case())
    store.close()
    db = data_dir / DB_NAME
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    raw = bytearray(db.read_bytes())
    raw[:16] = b"garbage-garbage!"
    db.write_bytes(bytes(raw))
    before = sorted(p.name for p in data_dir.iterdir())
    with pytest.raises(StoreError, match="damaged"):
        open_store(data_dir)
    assert db.read_bytes() == bytes(raw)
    assert sorted(p.name for p in data_dir.iterdir()) == before


def test_missing_database_beside_evidence_is_not_recreated(data_dir: Path) -> None:
    (data_dir / "vault").mkdir(parents=True)
    (data_dir / "vault" / "ab12").write_bytes(b"evidence")
    with pytest.raises(StoreError, match="missing"):
        open_store(data_dir)
    assert not (data_dir / DB_NAME).exists()


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody can write to: permissions for users, the immutable flag for root."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
            pytest.skip("running as root and chattr +i is not available here")
        yield folder
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
        yield folder
        folder.chmod(stat.S_IRWXU)


def test_read_only_folder_is_refused_and_left_empty(read_only_folder: Path) -> None:
    with pytest.raises(StoreError, match="cannot write"):
        open_store(read_only_folder)
    assert list(read_only_folder.iterdir()) == []


def test_migration_from_first_schema_keeps_data_and_makes_a_backup(data_dir: Path) -> None:
    """A database at the first released schema upgrades to head with a backup first."""
    from alembic import command

    from fairdesk.store import _alembic_config, _engine, _ensure_device, plain_connect

    data_dir.mkdir(parents=True)
    engine = _engine(data_dir / DB_NAME, plain_connect)
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001_initial")
    _ensure_device(engine)
    engine.dispose()
    if head_revision() == "0001_initial":
        pytest.skip("only one schema so far")
    store = open_store(data_dir)
    backups = list((data_dir / "backups").glob("*.sqlite3"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (
            "0001_initial",
        )
    case_id = cases.create_case(store, _case())
    assert cases.get_case(store, case_id)
    store.close()


def test_disk_full_says_not_saved_and_keeps_earlier_data(data_dir: Path, tmp_path: Path) -> None:
    """RLIMIT_FSIZE in a child makes writes fail like a full disk; earlier data must survive."""
    store = open_store(data_dir)
    kept = cases.create_case(store, _case("kept before the disk filled"))
    store.close()
    size = (data_dir / DB_NAME).stat().st_size + sum(
        Path(str(data_dir / DB_NAME) + s).stat().st_size
        for s in ("-wal",)
        if Path(str(data_dir / DB_NAME) + s).exists()
    )
    code = textwrap.dedent(f"""
        import resource, signal, sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        from fairdesk import cases
        from fairdesk.cases import CaseInput
        from fairdesk.errors import FairDeskError
        from fairdesk.model import Direction, Trigger
        from fairdesk.store import open_store
        store = open_store({str(data_dir)!r})
        resource.setrlimit(resource.RLIMIT_FSIZE, ({size + 4096}, {size + 4096}))
        try:
            for i in range(2000):
                cases.create_case(store, CaseInput("x" * 250 + str(i), Direction.BY_US, Trigger.WATCH,
                                                   summary="y" * 100_000))
        except FairDeskError as exc:
            print("ERROR", exc)
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert "ERROR" in result.stdout, result.stderr
    assert "NOT saved" in result.stdout or "full" in result.stdout
    store = open_store(data_dir)
    assert cases.get_case(store, kept).case.title == "kept before the disk filled"
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    store.close()


def test_damaged_pages_found_by_the_background_check_refuse_the_folder(data_dir: Path) -> None:
    store = open_store(data_dir)
    for _i in range(40):
        cases.create_case(store, _case())
    store.close()
    db = data_dir / DB_NAME
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    raw = bytearray(db.read_bytes())
    page = 4096
    assert len(raw) > 8 * page
    raw[3 * page : len(raw) - page] = b"\xa5" * (len(raw) - 4 * page)  # header intact
    db.write_bytes(bytes(raw))
    before = sorted(p.name for p in data_dir.iterdir())
    with pytest.raises(StoreError, match=r"damaged|cannot be opened"):
        open_store(data_dir)
    assert db.read_bytes() == bytes(raw)
    assert sorted(p.name for p in data_dir.iterdir()) == before


def damage_case_table(data_dir: Path) -> bytes:
    """Overwrite one leaf page of ``case_file``: the schema, device and sync rows stay readable
    (so a deferred open gets past its schema check) but ``PRAGMA quick_check`` fails."""
    store = open_store(data_dir)
    for i in range(30):
        cases.create_case(
            store,
            CaseInput(
                f"Abmahnung {i}", Direction.AGAINST_US, Trigger.WARNING_LETTER, summary="x" * 1500
            ),
        )
    store.close()
    db = data_dir / DB_NAME
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    with sqlite3.connect(db) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        leaf = connection.execute(
            "SELECT pageno FROM dbstat WHERE name = 'case_file' AND pagetype = 'leaf' "
            "ORDER BY pageno LIMIT 1 OFFSET 2"
        ).fetchone()[0]
    connection.close()
    raw = bytearray(db.read_bytes())
    raw[(leaf - 1) * page_size : leaf * page_size] = b"\xa5" * page_size
    db.write_bytes(bytes(raw))
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM device").fetchone()[0] == 1
        with pytest.raises(sqlite3.DatabaseError, match="malformed"):
            connection.execute("PRAGMA quick_check").fetchone()
    connection.close()
    return bytes(raw)


def test_a_deferred_open_never_writes_to_a_database_that_fails_the_integrity_check(
    data_dir: Path,
) -> None:
    """The window's open returns before ``quick_check`` has answered (issue 16); the engine,
    and so every write, waits for it and is refused with the same sentence as before."""
    raw = damage_case_table(data_dir)
    store = open_store(data_dir, defer_orm=True)
    try:
        with pytest.raises(StoreError, match=r"is damaged .*Nothing was changed"):
            store.verify()
        with pytest.raises(StoreError, match="is damaged"):
            cases.create_case(store, _case("written to a damaged file"))
        with pytest.raises(StoreError, match="is damaged"):
            store.engine  # noqa: B018  # every later use is refused too
    finally:
        store.close()
    assert (data_dir / DB_NAME).read_bytes() == raw
    assert not Path(str(data_dir / DB_NAME) + "-wal").exists()
