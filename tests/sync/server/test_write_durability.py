"""Issue 16: which of HQ's SQLite commits wait for the disk.

A whole-file PUT creates its upload row with a lazy commit (no WAL fsync: the device is never
told that row's id) and completes it with a durable one, which makes both durable. A real SQLite
file; what is checked is the `synchronous` setting each write transaction runs with (SQLite's
fsyncs happen in C, out of Python's sight).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from sync.server.db import open_database


def _synchronous(session: Session) -> int:
    return int(session.execute(text("PRAGMA synchronous")).scalar_one())


def test_lazy_commits_only_where_asked_and_pooled_connections_come_back_durable(
    tmp_path: Path,
) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'hq.sqlite3'}")
    try:
        with db.writing() as session:
            session.execute(text("PRAGMA journal_mode=WAL"))
            session.execute(text("CREATE TABLE t (x INTEGER)"))
            assert _synchronous(session) == 2  # FULL
        with db.writing(durable=False) as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            assert _synchronous(session) == 1  # NORMAL: no fsync at this commit
        for _again in range(3):  # the same pooled connection, durable again
            with db.writing() as session:
                session.execute(text("INSERT INTO t VALUES (2)"))
                assert _synchronous(session) == 2
        with db.reading() as session:
            assert session.execute(text("SELECT count(*) FROM t")).scalar_one() == 4
    finally:
        db.dispose()
