"""Protecting a data folder: set up a new one encrypted, or encrypt an existing plain one in place.

The in-place migration can be interrupted at any point and run again (it resumes):

1. the plain store is opened once (migrated to the current schema) and checkpointed;
2. ``keyring.pending.json`` is written (from now on the folder counts as encrypted);
3. the database is exported with ``sqlcipher_export`` into an encrypted copy, which is checked
   table by table against the plain one and also kept in ``backups/``;
4. each vault original is encrypted into a temp file beside it, decrypted again and compared
   by SHA-256 with its name, and only then renamed over the plain file;
5. plaintext thumbnails are deleted (they are remade encrypted), plain database backups are
   re-written encrypted;
6. the encrypted database replaces the plain one, the key file is promoted (commit point), and
   every evidence item is read back and its plaintext SHA-256 compared.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlcipher3

from fairdesk.crypto import blobcrypt, keys, sqlcipher
from fairdesk.fsutil import fsync_dir
from fairdesk.i18n import _
from fairdesk.store import DB_NAME, Store, open_store
from fairdesk.vault import PARTIAL_DIR

SQLITE_HEADER = b"SQLite format 3\x00"
ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ProtectResult:
    recovery_key: str  # shown once
    data_key: bytes
    items_verified: int
    files_encrypted: int
    already_damaged: tuple[str, ...]  # originals whose bytes no longer matched before migration


def _is_plain_db(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(16) == SQLITE_HEADER


def _tables(con: object) -> dict[str, int]:
    names = [
        r[0]
        for r in con.execute(  # type: ignore[attr-defined]
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {
        n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]  # type: ignore[attr-defined]
        for n in names
    }


def export_encrypted(plain: Path, target: Path, data_key: bytes) -> None:
    """Copy a plain SQLite file into an encrypted one and check every table's row count."""
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(str(target) + suffix).unlink()
    con = sqlcipher3.connect(str(plain))
    try:
        con.execute("PRAGMA cipher_log_level = NONE")
        sqlcipher.attach_encrypted(con, target, data_key)
        con.execute("SELECT sqlcipher_export('enc')")
        con.execute("DETACH DATABASE enc")
        expected = _tables(con)
    finally:
        con.close()
    check = sqlcipher.connect(target, data_key)
    try:
        got = _tables(check)
        ok = check.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        check.close()
    if got != expected or ok != "ok":
        raise keys.ProtectError(
            _("The encrypted copy of the database did not match; nothing was changed.")
        )
    with open(target, "rb+") as handle:
        os.fsync(handle.fileno())


def _sha256_stream(handle: object) -> str:
    digest = hashlib.sha256()
    while chunk := handle.read(blobcrypt.CHUNK):  # type: ignore[attr-defined]
        digest.update(chunk)
    return digest.hexdigest()


def encrypt_file_in_place(path: Path, data_key: bytes, context: bytes) -> str:
    """Encrypt ``path`` beside itself, verify by decrypting, then rename over it.

    Returns the plaintext SHA-256. Skips (returning the hash) a file that is already encrypted.
    """
    if blobcrypt.has_magic(path):
        with (
            contextlib.suppress(blobcrypt.DamagedError),
            blobcrypt.open_decrypted(path, data_key, context) as handle,
        ):
            return _sha256_stream(handle)
    temp = path.with_name(f".encrypting-{path.name}")
    try:
        with open(path, "rb") as source, open(temp, "wb") as out:
            digest = hashlib.sha256()
            enc = blobcrypt.Encryptor(data_key, out)
            while chunk := source.read(blobcrypt.CHUNK):
                digest.update(chunk)
                enc.write(chunk)
            enc.finish(context)
            out.flush()
            os.fsync(out.fileno())
        with blobcrypt.open_decrypted(temp, data_key, context) as handle:
            if _sha256_stream(handle) != digest.hexdigest():
                raise keys.ProtectError(_("An encrypted copy did not read back; nothing changed."))
        mode = path.stat().st_mode
        os.chmod(temp, mode & 0o777)
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    fsync_dir(path.parent)
    return digest.hexdigest()


def _vault_files(data_dir: Path) -> tuple[list[Path], list[Path]]:
    vault = data_dir / "vault"
    blobs, quarantined = [], []
    if vault.is_dir():
        for folder in sorted(vault.iterdir()):
            if folder.is_dir() and len(folder.name) == 2:
                blobs += [p for p in sorted(folder.iterdir()) if p.is_file() and len(p.name) == 64]
        quarantine = vault / "quarantine"
        if quarantine.is_dir():
            quarantined = [p for p in sorted(quarantine.rglob("*")) if p.is_file()]
    return blobs, quarantined


def protect_new_folder(
    data_dir: Path, passphrase: str, *, params: keys.KdfParams = keys.DEFAULT_KDF
) -> ProtectResult:
    """First run: a new, empty data folder, encrypted from the first byte."""
    data_dir = Path(data_dir)
    if (data_dir / DB_NAME).exists():
        raise keys.ProtectError(_("This folder already has data; use the migration instead."))
    setup = keys.create_keyfile(data_dir, passphrase, params=params)
    open_store(data_dir, data_key=setup.data_key).close()
    return ProtectResult(setup.recovery_key, setup.data_key, 0, 0, ())


def protect_existing_folder(
    data_dir: Path,
    passphrase: str,
    *,
    params: keys.KdfParams = keys.DEFAULT_KDF,
    progress: ProgressFn | None = None,
) -> ProtectResult:
    """Encrypt a plain data folder in place (resumable); see the module docstring."""
    data_dir = Path(data_dir).expanduser().resolve()
    db = data_dir / DB_NAME
    if (data_dir / keys.KEYFILE_NAME).exists():
        raise keys.ProtectError(_("This data folder is already protected."))
    if not db.exists():
        return protect_new_folder(data_dir, passphrase, params=params)
    pending = (data_dir / keys.PENDING_NAME).exists()
    if pending:  # an interrupted run: same data key, a fresh recovery key
        data_key = keys.unlock_with_passphrase(data_dir, passphrase)
        recovery = keys.new_recovery_key(data_dir, data_key)
    else:
        open_store(data_dir).close()  # schema current, refusals (damage, newer) apply first
        con = sqlite3.connect(db)
        try:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            con.close()
        setup = keys.create_keyfile(data_dir, passphrase, params=params, pending=True)
        data_key, recovery = setup.data_key, setup.recovery_key

    def step(what: str, done: int, total: int) -> None:
        if progress is not None:
            progress(what, done, total)

    encrypting = data_dir / f"{DB_NAME}.encrypting"
    if _is_plain_db(db):
        step("database", 0, 1)
        export_encrypted(db, encrypting, data_key)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        backup = data_dir / "backups" / f"fairdesk-{stamp}-before-protect.sqlite3"
        backup.parent.mkdir(exist_ok=True)
        backup.write_bytes(encrypting.read_bytes())  # the same encrypted, verified bytes

    blobs, quarantined = _vault_files(data_dir)
    damaged: list[str] = []
    total = len(blobs) + len(quarantined)
    for index, blob in enumerate(blobs):
        step("vault", index, total)
        if encrypt_file_in_place(blob, data_key, blob.name.encode("ascii")) != blob.name:
            damaged.append(blob.name)
    for index, stray in enumerate(quarantined):
        step("vault", len(blobs) + index, total)
        encrypt_file_in_place(stray, data_key, b"quarantine:" + stray.name.encode())

    for thumb in (data_dir / "thumbs").rglob("*"):
        if thumb.is_file() and not thumb.name.endswith(".enc"):
            thumb.unlink()  # disposable; remade encrypted on first use
    for partial in (data_dir / PARTIAL_DIR).rglob("*"):
        if partial.is_file():
            partial.unlink()  # the plain first bytes of a file HQ holds; refetched sealed
    for old in sorted((data_dir / "backups").glob("*.sqlite3")):
        if _is_plain_db(old):
            temp = old.with_name(old.name + ".encrypting")
            export_encrypted(old, temp, data_key)
            os.replace(temp, old)

    if encrypting.exists():
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(str(db) + suffix).unlink()
        os.replace(encrypting, db)
        fsync_dir(data_dir)
    keys.promote_pending(data_dir)  # the commit point

    store = open_store(data_dir, data_key=data_key)
    try:
        step("verify", 0, 1)
        verified = _verify_items(store, set(damaged))
    finally:
        store.close()
    return ProtectResult(recovery, data_key, verified, total, tuple(damaged))


def _verify_items(store: Store, known_damaged: set[str]) -> int:
    """Read every original back through the encrypted vault and compare its SHA-256."""
    from sqlalchemy import text

    vault = store.vault
    with store.read() as session:
        shas: list[str] = list(
            session.execute(
                text("SELECT DISTINCT sha256 FROM evidence_item WHERE purged_at IS NULL")
            ).scalars()
        )
    wanted = [s for s in shas if s not in known_damaged and vault.exists(s)]
    bad = [s for s in wanted if vault.hash_blob(s) != s]
    if bad:
        raise keys.ProtectError(
            _("{count} evidence files did not read back correctly after encryption.").format(
                count=len(bad)
            )
        )
    return len(wanted)
