"""The encrypted database driver: a connect factory like ``fairdesk.store.plain_connect``.

SQLCipher 4 through ``sqlcipher3`` with the *raw* 256-bit data key (``x'…'``), so no
passphrase ever reaches ``PRAGMA key`` (quotes would break it, and the raw key skips
SQLCipher's own slow KDF: Argon2id already ran once at unlock). ``PRAGMA key`` must be the
first statement on every connection; the store's own pragmas (WAL, synchronous=FULL) follow.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Raised by the driver itself (e.g. a wrong key inside a connect event, before SQLAlchemy
    # wraps). Resolved on first use by __getattr__ below: the store names it only in ``except``
    # clauses, which are evaluated when an error arrives, so a plain folder never loads the
    # driver before the window is shown.
    DriverError: type[Exception]


def __getattr__(name: str) -> Any:
    if name == "DriverError":
        import sqlcipher3

        return sqlcipher3.dbapi2.Error
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _key_pragma(data_key: bytes) -> str:
    if len(data_key) != 32:
        raise ValueError("the data key must be 32 bytes")
    return f"PRAGMA key = \"x'{data_key.hex()}'\""


def connect(path: Path, data_key: bytes) -> Any:
    import sqlcipher3

    con = sqlcipher3.connect(str(path), check_same_thread=False, timeout=10)
    try:
        # Silences "ERROR CORE ... hmac check failed" on stderr; a wrong key still raises.
        con.execute("PRAGMA cipher_log_level = NONE")
        con.execute(_key_pragma(data_key))
    except BaseException:
        con.close()
        raise
    return con


def connect_factory(data_key: bytes) -> Callable[[Path], Any]:
    """``open_store(data_dir, connect=connect_factory(key))``."""

    def _connect(path: Path) -> Any:
        return connect(path, data_key)

    return _connect


def attach_encrypted(connection: Any, target: Path, data_key: bytes, schema: str = "enc") -> None:
    """ATTACH an encrypted database under ``schema`` on a sqlcipher3 connection."""
    connection.execute(f"ATTACH DATABASE ? AS {schema} KEY \"x'{data_key.hex()}'\"", (str(target),))
