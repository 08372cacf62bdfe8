"""The local store: opening the data folder's SQLite database safely, migrating it, and units of work.

Everything reaches the database through :func:`open_store`, so that an encrypted driver
(SQLCipher) can replace the plain one in one place. The rules (docs/reliability-and-security.md): WAL with
``synchronous=FULL``, foreign keys on, a backup before every migration, and never a new
empty database created where an existing one could not be opened.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from fairdesk import quickread
from fairdesk.crypto import keys as crypto_keys
from fairdesk.crypto import sqlcipher
from fairdesk.errors import StoreError
from fairdesk.i18n import _

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from fairdesk.vault import Vault

# SQLAlchemy, Alembic and the ORM mapping are imported where they are used, not here: the app
# opens an up-to-date folder and paints its first screen (fairdesk.quickread) without them,
# and the engine is created on first use, on a worker, after the window is usable.

DB_NAME = "fairdesk.sqlite3"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SUBFOLDERS = ("vault", "thumbs", "exports", "backups", "logs")


class DeviceInfo(NamedTuple):
    id: str
    short_code: str
    user_name: str


class Store:
    """An open data folder and everything that belongs to it: engine, session factory, this
    device's identity, the folder's data key and its vault.

    What is per folder lives here and is passed along with the store, never found through a
    process-wide registry: two stores of two folders in one process share nothing.
    The engine, session factory and vault are created on first use (thread-safe): a store
    opened by :func:`open_store` with ``defer_orm=True`` serves the first screen through
    ``reader`` (plain sqlite3) before SQLAlchemy (or cryptography) is even imported.
    """

    def __init__(
        self,
        data_dir: Path,
        engine: Engine | None = None,
        *,
        connect: ConnectFactory | None = None,
        device: DeviceInfo | None = None,
        integrity: IntegrityCheck | None = None,
        data_key: bytes | None = None,
    ) -> None:
        self.data_dir = data_dir
        self._connect = connect or plain_connect
        self._engine = engine
        self._sessions: sessionmaker[Session] | None = None
        self._lock = threading.Lock()
        self._integrity = integrity
        # The data key of an encrypted folder (None for a plain one): the vault, thumbnails
        # and document caches encrypt with it.
        self.data_key = data_key
        self._vault: Vault | None = None
        self.reader = quickread.Reader(data_dir / DB_NAME, self._connect)
        self.device = device if device is not None else _read_device(self.engine)

    def start_integrity_check(self) -> None:
        """Start the integrity check a deferred open left pending (if not started yet)."""
        if self._integrity is not None:
            self._integrity.start()

    def verify(self) -> None:
        """Wait for the integrity check a deferred open left pending; StoreError if it failed.

        ``open_store(defer_orm=True)`` returns before ``PRAGMA quick_check`` has run (on
        100,000 cases the check takes longer than building the window). The app starts it
        (:meth:`start_integrity_check`) once the window's first screen has answered; anything
        that needs the engine earlier starts it here and waits. The engine is only created
        after it said "ok", so nothing is written, through the ORM or SQLAlchemy core, to a
        database that failed it; the lists read before that go through the read-only
        ``reader``. The app closes with the same message as before if the check failed.
        """
        check = self._integrity
        if check is None:
            return
        try:
            ok = check.result()
        except (sqlite3.Error, sqlcipher.DriverError) as exc:
            ok = str(exc)
        if ok != "ok":
            raise StoreError(
                _(
                    "The database {path} is damaged ({detail}). Nothing was "
                    "changed; restore it from backups/."
                ).format(path=self.db_path, detail=ok)
            )
        self._integrity = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self.verify()
            with self._lock:
                if self._engine is None:
                    self._engine = _engine(self.db_path, self._connect)
        return self._engine

    @property
    def vault(self) -> Vault:
        """The folder's evidence and document bytes, encrypted with :attr:`data_key` if set."""
        if self._vault is None:
            # Imported here: the vault needs cryptography, which a plain folder's first paint
            # does without.
            from fairdesk.vault import Vault

            with self._lock:
                if self._vault is None:
                    self._vault = Vault(self.data_dir, self.data_key)
        return self._vault

    @property
    def sessions(self) -> sessionmaker[Session]:
        if self._sessions is None:
            engine = self.engine
            with self._lock:
                if self._sessions is None:
                    from sqlalchemy.orm import sessionmaker

                    self._sessions = sessionmaker(engine, expire_on_commit=False)
        return self._sessions

    def finish_opening(self) -> int:
        """What a deferred open leaves for a worker: the shipped fairs (first start, upgrade).

        Returns how many fairs were added (0 on almost every start: one query).
        """
        from fairdesk import events
        from fairdesk.fairs import seed_catalogue  # fairs imports this module

        added = seed_catalogue(self.engine)
        if added:
            events.emit(events.Change.FAIR)
        return added

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_NAME

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A unit of work that commits on success and rolls back on any error.

        Disk-full and I/O errors become a StoreError saying nothing was saved.
        """
        from sqlalchemy.exc import OperationalError

        session = self.sessions()
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise _store_error_from(exc, self.data_dir) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        session = self.sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def close(self) -> None:
        self.reader.close()
        if self._engine is not None:
            self._engine.dispose()


def _store_error_from(exc: Exception, data_dir: Path) -> StoreError:
    text = str(exc).lower()
    if "full" in text or "disk i/o" in text:
        return StoreError(
            _(
                "The disk is full or failing: the last change was NOT saved. "
                "Everything saved before is intact. Free some space and try again."
            )
        )
    if "readonly" in text or "read-only" in text:
        return StoreError(
            _("The data folder {path} is read-only: nothing can be saved there.").format(
                path=data_dir
            )
        )
    if "locked" in text or "busy" in text:
        return StoreError(_("The database is busy (another FairDesk window?). Try again."))
    return StoreError(_("The database could not save the change: {error}").format(error=exc))


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")  # NORMAL can lose commits on power loss in WAL
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


ConnectFactory = Callable[[Path], Any]


def plain_connect(path: Path) -> sqlite3.Connection:
    """The unencrypted driver (the default; an encrypted one has the same signature)."""
    return sqlite3.connect(str(path), check_same_thread=False, timeout=10)


def _engine(path: Path, connect: ConnectFactory) -> Engine:
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import QueuePool

    engine = create_engine(
        "sqlite://",
        creator=lambda: connect(path),
        poolclass=QueuePool,
        pool_size=4,
    )
    event.listen(engine, "connect", _pragmas)
    return engine


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = _script().get_current_head()
    assert head is not None
    return head


def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config())


def quick_head_revision() -> str | None:
    """The migration head read from the revision files (see fairdesk.quickread), or None."""
    return quickread.quick_head_revision(MIGRATIONS_DIR)


def _stored_revisions(engine: Engine) -> list[str]:
    """The rows of ``alembic_version`` (empty for a new or foreign database)."""
    with engine.connect() as connection:
        exists = connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).first()
        if exists is None:
            return []
        return [
            row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")
        ]


def _check_writable(data_dir: Path) -> None:
    probe = data_dir / f".write-probe-{os.getpid()}"
    try:
        with open(probe, "wb") as handle:
            handle.write(b"x")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise StoreError(
                _(
                    "The disk holding {path} is full. Free some space, then start "
                    "FairDesk again; your data is untouched."
                ).format(path=data_dir)
            ) from exc
        raise StoreError(
            _(
                "FairDesk cannot write to the data folder {path} ({error}). Choose "
                "another folder or fix its permissions; nothing was changed."
            ).format(path=data_dir, error=exc.strerror)
        ) from exc
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()


def backup_database(data_dir: Path, label: str, connect: ConnectFactory = plain_connect) -> Path:
    """Copy the database consistently (SQLite backup API) into ``backups/``.

    With the encrypted driver the copy is encrypted with the same key.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = data_dir / "backups" / f"fairdesk-{stamp}-{label}.sqlite3"
    target.parent.mkdir(parents=True, exist_ok=True)
    source = connect(data_dir / DB_NAME)
    try:
        dest = connect(target)
        with dest:
            source.backup(dest)
        dest.close()
    finally:
        source.close()
    return target


def _current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _known_revision(script: ScriptDirectory, revision: str) -> bool:
    from alembic.script.revision import ResolutionError
    from alembic.util import CommandError

    try:
        return script.get_revision(revision) is not None
    except (ResolutionError, CommandError):
        return False


def _migrate(
    data_dir: Path, engine: Engine, fresh: bool, connect: ConnectFactory = plain_connect
) -> None:
    if not fresh:
        stored = _stored_revisions(engine)
        if len(stored) == 1 and stored[0] == quick_head_revision():
            return  # up to date: the usual start, without importing Alembic
    script = _script()
    current = _current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is not None and not _known_revision(script, current):
        raise StoreError(
            _(
                "This data folder was written by a newer FairDesk (schema {rev}). "
                "Update FairDesk to open it; nothing was changed."
            ).format(rev=current)
        )
    if not fresh and current is None:
        # A file that is a database but not ours: refuse rather than write our tables into it.
        with engine.connect() as connection:
            tables: int = connection.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE type='table'"
            ).scalar_one()
        if tables:
            raise StoreError(
                _("{path} is not a FairDesk database; nothing was changed.").format(
                    path=data_dir / DB_NAME
                )
            )
    backup = None if fresh else backup_database(data_dir, f"before-{head}", connect)
    from alembic import command

    config = _alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except Exception as exc:
        engine.dispose()
        if backup is not None:
            shutil.copyfile(backup, data_dir / DB_NAME)
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    (data_dir / (DB_NAME + suffix)).unlink()
            raise StoreError(
                _(
                    "Updating the database failed ({error}); it was restored from "
                    "the backup {backup}."
                ).format(error=exc, backup=backup)
            ) from exc
        raise


# Niceness of the integrity check's thread (Linux: per thread; elsewhere unchanged). It runs
# beside the first screen's reads and the window being built: on a two-core laptop the check
# of 100,000 cases (several hundred ms of CPU) took a core the reads wanted. Lowered, it gets
# the time they leave; its answer is still awaited before anything may write.
QUICK_CHECK_NICENESS = 10


def _lower_priority() -> None:
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError, AttributeError):
        tid = threading.get_native_id()
        os.setpriority(
            os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + QUICK_CHECK_NICENESS
        )


class IntegrityCheck:
    """``PRAGMA quick_check`` of one database on its own connection and thread, started once
    (by :meth:`start`, or by the first :meth:`result`); its answer is kept.

    A plain thread, not an executor: a deferred open starts the check when the window's first
    screen has answered, on the GUI thread just before the rows are painted, and importing
    concurrent.futures (with queue and heapq) cost ~4-7 ms there.
    """

    def __init__(self, db_path: Path, connect: ConnectFactory) -> None:
        self._db_path = db_path
        self._connect = connect
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._answer = ""
        self._error: BaseException | None = None

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                # Not a daemon: leaving the app waits for the check, as it waited for the pool.
                self._thread = threading.Thread(target=self._run, name="quick-check")
                self._thread.start()

    def _run(self) -> None:
        try:
            self._answer = _quick_check(self._db_path, self._connect)
        except BaseException as exc:  # handed to whoever asks for the result
            self._error = exc
        finally:
            self._done.set()

    def result(self) -> str:
        """The check's answer, "ok" for an intact database; raises what kept it from running."""
        self.start()
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._answer


def _quick_check(db_path: Path, connect: ConnectFactory) -> str:
    _lower_priority()
    connection = connect(db_path)
    try:
        cursor = connection.cursor()
        # The check reads every page once: a small page cache does it as fast, and the default
        # 2 MB would be filled and counted in the first paint's peak memory.
        cursor.execute("PRAGMA cache_size = -256")
        row = cursor.execute("PRAGMA quick_check").fetchone()
        cursor.close()
    finally:
        connection.close()
    return str(row[0])


def _dbapi_error() -> type[Exception]:
    from sqlalchemy.exc import DBAPIError

    return DBAPIError


def _current_device(db_path: Path, connect: ConnectFactory) -> DeviceInfo | None:
    """This device, if the database is at the schema head and initialised; else None.

    Plain DB-API (no SQLAlchemy): the schema checks the full path makes before any write, for
    the usual start (the integrity check runs beside it, see :meth:`Store.verify`). None sends
    the caller to the full path, which says what is wrong.
    """
    try:
        connection = connect(db_path)
        try:
            cursor = connection.cursor()
            try:
                if not quickread.schema_is_current(connection, quick_head_revision()):
                    return None
                state = cursor.execute("SELECT 1 FROM sync_state WHERE id = 1").fetchone()
                device = cursor.execute(
                    "SELECT id, short_code, user_name FROM device LIMIT 1"
                ).fetchone()
            finally:
                cursor.close()
        finally:
            connection.close()
    except (sqlite3.Error, sqlcipher.DriverError):
        return None
    if state is None or device is None:
        return None
    return DeviceInfo(device[0], device[1], device[2])


def _read_device(engine: Engine) -> DeviceInfo:
    # Core, not the ORM: the first ORM query configures every mapper (~40 ms), which the
    # window's first list query then does on a worker thread instead of before the window.
    from sqlalchemy import select

    from fairdesk.model import Device

    table = Device.__table__
    with engine.connect() as connection:
        row = connection.execute(select(table.c.id, table.c.short_code, table.c.user_name)).one()
    return DeviceInfo(row.id, row.short_code, row.user_name)


def _ensure_device(engine: Engine) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from fairdesk.model import Device, SyncState

    device, state = Device.__table__, SyncState.__table__
    with engine.connect() as connection:
        complete = (
            connection.execute(select(device.c.id).limit(1)).first() is not None
            and connection.execute(select(state.c.id).where(state.c.id == 1)).first() is not None
        )
    if complete:  # every start but the first: no ORM needed (see _read_device)
        return
    with Session(engine) as session, session.begin():
        if session.scalars(select(Device)).first() is None:
            from fairdesk.ids import new_id  # uuid imports platform: not on the usual start

            device_id = new_id()
            # 4 characters of base32 from the random tail: readable, and unique enough that two
            # devices of one company collide with probability ~1e-6; numbers also carry the date.
            alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
            tail = int(device_id.replace("-", "")[-12:], 16)
            code = "".join(alphabet[(tail >> (5 * i)) & 31] for i in range(4))
            session.add(
                Device(
                    id=device_id,
                    short_code=code,
                    user_name=os.environ.get("USER", ""),
                    created_at=datetime.now(UTC),
                )
            )
        if session.get(SyncState, 1) is None:
            session.add(SyncState(id=1))


def open_store(
    data_dir: Path | str,
    *,
    create: bool = True,
    connect: ConnectFactory = plain_connect,
    data_key: bytes | None = None,
    defer_orm: bool = False,
) -> Store:
    """Open (and if ``create``, initialise) the data folder; migrate with a backup first.

    Raises StoreError with a readable message instead of ever replacing a database that
    exists but cannot be used. An encrypted folder (with a key file) needs its ``data_key``
    (see :mod:`fairdesk.protect`); the database is then opened with SQLCipher.

    ``defer_orm`` (the window): when the database passes the integrity check and is exactly at
    the schema head with its device rows, the store is returned without importing SQLAlchemy
    (engine created on first use); the caller runs :meth:`Store.finish_opening` on a worker.
    Anything else takes the full path below, which migrates or refuses with its message.
    """
    data_dir = Path(data_dir).expanduser().resolve()
    if data_key is not None:
        connect = sqlcipher.connect_factory(data_key)
    elif crypto_keys.is_encrypted(data_dir) and connect is plain_connect:
        raise StoreError(
            _(
                "The data in {path} is encrypted: unlock it with your passphrase "
                "(--passphrase-file or FAIRDESK_PASSPHRASE_FILE on the command line)."
            ).format(path=data_dir)
        )
    db_path = data_dir / DB_NAME
    fresh = not db_path.exists()
    if fresh and not create:
        raise StoreError(_("No FairDesk data in {path}.").format(path=data_dir))
    if (
        fresh
        and data_dir.exists()
        and (data_dir / "vault").exists()
        and any((data_dir / "vault").iterdir())
    ):
        raise StoreError(
            _(
                "The database in {path} is missing but evidence files are there. "
                "Restore the database from backups/ — FairDesk will not start a new "
                "empty one over your evidence."
            ).format(path=data_dir)
        )
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            _("FairDesk cannot create the data folder {path} ({error}).").format(
                path=data_dir, error=exc.strerror
            )
        ) from exc
    _check_writable(data_dir)
    if not fresh:
        with open(db_path, "rb") as handle:
            header = handle.read(16)
        if header == b"SQLite format 3\x00" and data_key is not None:
            raise StoreError(
                _(
                    "The database {path} is not encrypted although this folder is "
                    "protected (an interrupted set-up?). Nothing was changed; run "
                    "`fairdesk protect` again to finish."
                ).format(path=db_path)
            )
        if header and header != b"SQLite format 3\x00" and data_key is None:
            raise StoreError(
                _(
                    "The database {path} is damaged or encrypted with a key FairDesk "
                    "does not have. Nothing was changed; restore it from backups/."
                ).format(path=db_path)
            )
    for name in SUBFOLDERS:
        (data_dir / name).mkdir(exist_ok=True)
    # The integrity check is C work that releases the GIL (20-100 ms on 10,000 cases, several
    # hundred on 100,000). On a full open it runs on its own connection while the engine is
    # created (~60 ms of Python). A deferred open leaves it pending: the app starts it once the
    # first screen has answered, because on a two-core laptop it took a core from the reads
    # the user was waiting for. Either way its answer is awaited before anything (migration,
    # first-start rows, any use of the engine) may write.
    check = None if fresh else IntegrityCheck(db_path, connect)
    if defer_orm and check is not None:
        device = _current_device(db_path, connect)
        if device is not None:
            return Store(
                data_dir, connect=connect, device=device, integrity=check, data_key=data_key
            )
    if check is not None:
        check.start()
    engine = _engine(db_path, connect)
    try:
        if check is not None:
            ok = check.result()
            if ok != "ok":
                raise StoreError(
                    _(
                        "The database {path} is damaged ({detail}). Nothing was "
                        "changed; restore it from backups/."
                    ).format(path=db_path, detail=ok)
                )
        _migrate(data_dir, engine, fresh, connect)
        _ensure_device(engine)
        from fairdesk.fairs import seed_catalogue  # fairs imports this module

        seed_catalogue(engine)  # first start and upgrades: the shipped fairs, offline
        return Store(data_dir, engine, connect=connect, data_key=data_key)
    except StoreError:
        engine.dispose()
        raise
    except (sqlite3.Error, sqlcipher.DriverError, _dbapi_error()) as exc:
        engine.dispose()
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    Path(str(db_path) + suffix).unlink()
        raise StoreError(
            _(
                "The database {path} cannot be opened ({error}). Nothing was "
                "changed; restore it from backups/."
            ).format(path=db_path, error=getattr(exc, "orig", exc))
        ) from exc
