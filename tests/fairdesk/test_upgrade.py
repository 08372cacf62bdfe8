"""Upgrading FairDesk: a migration that fails puts the backup back and says so in words.

A newer version is simulated by a copy of the migrations folder with one more revision,
which ``fairdesk.store.MIGRATIONS_DIR`` is pointed at. The broken revision first creates a
table (SQLite commits DDL at once, so a transaction rollback alone would leave it behind)
and then fails; only restoring the backup removes that table again.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from fairdesk import cases
from fairdesk import store as store_module
from fairdesk.demo import fill_demo
from fairdesk.errors import StoreError
from fairdesk.store import DB_NAME, head_revision, open_store

BROKEN = '''"""a newer release whose migration breaks half-way"""
import sqlalchemy as sa
from alembic import op

revision = "9001_next_release"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("half_done", sa.Column("id", sa.Integer(), primary_key=True))
    op.execute("INSERT INTO table_that_does_not_exist VALUES (1)")


def downgrade() -> None:
    pass
'''

WORKING = BROKEN.replace(
    'op.execute("INSERT INTO table_that_does_not_exist VALUES (1)")', "pass"
).replace("half_done", "next_release_table")


def _newer_release(tmp_path: Path, revision_source: str) -> Path:
    migrations = tmp_path / "newer-migrations"
    shutil.copytree(
        store_module.MIGRATIONS_DIR, migrations, ignore=shutil.ignore_patterns("__pycache__")
    )
    (migrations / "versions" / "9001_next_release.py").write_text(
        revision_source.format(down=head_revision())
    )
    return migrations


def _tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        return {name for (name,) in rows}


def _version(db: Path) -> str:
    with sqlite3.connect(db) as connection:
        (version,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        return str(version)


@pytest.fixture
def filled(data_dir: Path) -> int:
    opened = open_store(data_dir)
    created = fill_demo(opened)
    opened.close()
    return created


def test_failed_migration_restores_the_backup_and_says_so(
    data_dir: Path, filled: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_head = head_revision()
    monkeypatch.setattr(store_module, "MIGRATIONS_DIR", _newer_release(tmp_path, BROKEN))
    assert head_revision() == "9001_next_release"

    with pytest.raises(StoreError) as raised:
        open_store(data_dir)

    backups = list((data_dir / "backups").glob("*before-9001_next_release.sqlite3"))
    assert len(backups) == 1
    message = str(raised.value)
    assert "Updating the database failed" in message and "restored from the backup" in message
    assert str(backups[0]) in message  # the user (or support) can find the copy
    db = data_dir / DB_NAME
    assert "half_done" not in _tables(db)  # the half-done step is gone: the backup is back
    assert _version(db) == old_head

    # The previous release still opens the folder with every case in it.
    monkeypatch.undo()
    reopened = open_store(data_dir, create=False)
    try:
        assert len(cases.list_cases(reopened)) == filled
    finally:
        reopened.close()


def test_successful_upgrade_backs_up_first_then_migrates(
    data_dir: Path, filled: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_head = head_revision()
    monkeypatch.setattr(store_module, "MIGRATIONS_DIR", _newer_release(tmp_path, WORKING))
    upgraded = open_store(data_dir)
    try:
        assert len(cases.list_cases(upgraded)) == filled
    finally:
        upgraded.close()
    assert "next_release_table" in _tables(data_dir / DB_NAME)
    assert _version(data_dir / DB_NAME) == "9001_next_release"
    (backup,) = (data_dir / "backups").glob("*before-9001_next_release.sqlite3")
    assert _version(backup) == old_head and "next_release_table" not in _tables(backup)
