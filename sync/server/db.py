"""Engines, sessions, migrations and the change-log streams' sequences.

Writers of one stream must serialise so that `server_seq` order equals commit order within it:
on SQLite every write session starts with `BEGIN IMMEDIATE` (one writer at a time, decided at
BEGIN rather than at the first write, so no deadlock-and-retry); on PostgreSQL the row of each
stream written (`tenant_sequences`, one per tenant) is locked `FOR UPDATE` before a number is
taken and stays locked until commit, so tenants never wait for each other.

On SQLite the writers of one process also queue on a lock of their own before `BEGIN IMMEDIATE`:
SQLite's busy handler polls with sleeps of up to 100 ms, so a writer queued behind a long push
woke up to 100 ms after the lock was free (profiled in a drain: photo uploads waiting on it).
The lock hands over at once; other processes still meet the busy handler.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from sync.server.models import Counter, TenantSequence

SEQ_COUNTER = "server_seq"
_WRITE_OPTION = "fairdesk_write"
_LAZY_OPTION = "fairdesk_lazy_commit"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            # Threads of one process share the pool; the busy timeout queues writers.
            connect_args={"check_same_thread": False, "timeout": 60},
            pool_size=8,
            max_overflow=32,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_size=8, max_overflow=32, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (the pysqlite driver would defer it).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL, not NORMAL: NORMAL may lose committed transactions on power loss.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        immediate = options.get(_WRITE_OPTION, False)
        if immediate:
            # Per transaction, so a pooled connection never keeps a lazy setting: FULL, or
            # NORMAL for a write nobody is told about before a later FULL commit (see
            # `Database.writing(durable=False)`).
            lazy = options.get(_LAZY_OPTION, False)
            conn.exec_driver_sql(f"PRAGMA synchronous={'NORMAL' if lazy else 'FULL'}")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# How long a writer waits for this process's SQLite write queue before it goes on to SQLite's
# own busy handler anyway (the busy timeout above): never longer than before the queue existed.
WRITE_QUEUE_TIMEOUT = 60.0


@dataclass
class Database:
    engine: Engine
    read: sessionmaker[Session]
    write: sessionmaker[Session]
    # SQLite only (see the module docstring); re-entrant, as a nested write in one thread was
    # (it then waits on SQLite itself, as before).
    write_queue: threading.RLock | None = None
    lazy_write: sessionmaker[Session] | None = None

    @contextmanager
    def writing(self, *, durable: bool = True) -> Iterator[Session]:
        """One write transaction: commits on success, rolls back on any exception.

        `durable=False` (SQLite only; elsewhere ignored): the commit does not wait for the disk
        (WAL, `synchronous=NORMAL`). Only for a write that no answer depends on until a later
        durable commit, which makes it durable too (the WAL is fsynced up to its end); a crash
        before that loses it, as if the request had never come.
        """
        queued = self.write_queue is not None and self.write_queue.acquire(
            timeout=WRITE_QUEUE_TIMEOUT
        )
        maker = self.write if durable or self.lazy_write is None else self.lazy_write
        try:
            with maker() as session, session.begin():
                yield session
        finally:
            if queued and self.write_queue is not None:
                self.write_queue.release()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self.read() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str) -> Database:
    engine = make_engine(url)
    write_engine = engine.execution_options(**{_WRITE_OPTION: True})
    sqlite = engine.dialect.name == "sqlite"
    return Database(
        engine=engine,
        read=sessionmaker(engine, expire_on_commit=False),
        write=sessionmaker(write_engine, expire_on_commit=False),
        write_queue=threading.RLock() if sqlite else None,
        lazy_write=sessionmaker(
            write_engine.execution_options(**{_LAZY_OPTION: True}), expire_on_commit=False
        )
        if sqlite
        else None,
    )


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (idempotent; safe to run from several processes)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def take_sequence(session: Session, count: int) -> int:
    """Reserve `count` consecutive numbers of operator publications (alerts, reference data).

    The counter row stays locked until the surrounding transaction ends, so no later-committing
    transaction can hold a smaller number than an earlier-committing one. Not the change log's
    numbering: that is per tenant (`lock_streams`).
    """
    current = session.scalars(
        select(Counter.value).where(Counter.name == SEQ_COUNTER).with_for_update()
    ).one()
    session.execute(
        update(Counter).where(Counter.name == SEQ_COUNTER).values(value=current + count)
    )
    return current + 1


def lock_streams(session: Session, tenant_ids: set[str]) -> dict[str, int]:
    """Lock the sequence rows of `tenant_ids` and return their values.

    Rows are locked one by one in sorted order, so two transactions that need the same streams
    (a company and the guidance centre it escalated to) never deadlock.
    """
    heads: dict[str, int] = {}
    for tenant_id in sorted(tenant_ids):
        heads[tenant_id] = session.scalars(
            select(TenantSequence.value)
            .where(TenantSequence.tenant_id == tenant_id)
            .with_for_update()
        ).one()
    return heads


def advance_streams(session: Session, before: dict[str, int], after: dict[str, int]) -> None:
    """Store the new values of the streams (locked by `lock_streams`) that moved."""
    for tenant_id, value in after.items():
        if value != before.get(tenant_id):
            session.execute(
                update(TenantSequence)
                .where(TenantSequence.tenant_id == tenant_id)
                .values(value=value)
            )


def stream_head(session: Session, tenant_id: str) -> int:
    """The last number handed out in `tenant_id`'s stream (no lock)."""
    return session.scalars(
        select(TenantSequence.value).where(TenantSequence.tenant_id == tenant_id)
    ).one()
