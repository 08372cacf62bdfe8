"""The data key and the key file ``keyring.json`` that keeps it wrapped.

Everything is encrypted with one random 256-bit data key. The key file holds it twice, each
copy wrapped with AES-GCM: once by a key derived from the passphrase with Argon2id (per-folder
random salt; the parameters are stored so they can grow later) and once by the recovery key
shown at set-up. Changing the passphrase re-wraps the data key; nothing is re-encrypted. The
key file is saved atomically with a backup first (KeePassXC): temp → fsync → rename.

Wrong passphrases are slowed down with a growing delay. The attempt counter lives in the
user's state folder, *outside* the data folder, so a failed unlock changes nothing there.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import time
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

# argon2, cryptography, platformdirs and hashlib are imported where they are used: every start
# asks ``is_encrypted`` before the window opens, and a plain folder needs none of them (~25 ms;
# hashlib alone initialises OpenSSL, ~4 MB of the first paint's memory). Random bytes come
# from os.urandom, which is what secrets.token_bytes returns.
from fairdesk.errors import FairDeskError, ValidationError
from fairdesk.fsutil import fsync_dir, write_atomic
from fairdesk.i18n import _

KEYFILE_NAME = "keyring.json"
PENDING_NAME = "keyring.pending.json"  # written first by a migration, promoted at its end
FORMAT = "fairdesk-keyfile"
VERSION = 1
KEY_BYTES = 32
RECOVERY_BYTES = 30  # 240 bits → 48 base32 characters, printed as 12 groups of 4
MIN_PASSPHRASE = 8
KEYCHAIN_SERVICE = "FairDesk"


class KdfParams(NamedTuple):
    """Argon2id cost. Production uses :data:`DEFAULT_KDF`; tests pass :data:`TEST_KDF` explicitly."""

    time_cost: int = 3
    memory_cost: int = 64 * 1024  # KiB: 64 MiB, ~0.2 s on a 2020 laptop
    parallelism: int = 2


DEFAULT_KDF = KdfParams()
TEST_KDF = KdfParams(time_cost=1, memory_cost=1024, parallelism=1)  # tests only, never production


class ProtectError(FairDeskError):
    """Unlocking or changing the protection failed; nothing on disk was changed."""


class WrongPassphrase(ProtectError):
    """The passphrase (or recovery key) does not open this data folder."""


class UnlockDelayed(ProtectError):
    """Too many wrong attempts: the next one is allowed after ``seconds``."""

    def __init__(self, message: str, seconds: float) -> None:
        super().__init__(message)
        self.seconds = seconds


class KeyFileMissing(ProtectError):
    """The folder is encrypted but its key file is gone or unreadable."""


class Setup(NamedTuple):
    data_key: bytes
    recovery_key: str  # printable; shown once


# -- small helpers --------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def normalize_passphrase(passphrase: str) -> bytes:
    """NFC so the same passphrase typed on macOS (NFD) and Windows (NFC) gives the same key."""
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def key_id(data_key: bytes) -> str:
    """A public fingerprint of the data key: tells a right key from a wrong one, reveals nothing."""
    import hashlib

    return hashlib.sha256(b"fairdesk key id v1\x00" + data_key).hexdigest()[:32]


def derive_passphrase_kek(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(
        normalize_passphrase(passphrase),
        salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_cost,
        parallelism=params.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def _recovery_kek(recovery: bytes, salt: bytes) -> bytes:
    # The recovery key is 240 random bits: a fast KDF is enough, Argon2 would add nothing.
    from cryptography.hazmat.primitives.hashes import SHA256
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(SHA256(), KEY_BYTES, salt, b"fairdesk recovery kek v1").derive(recovery)


def format_recovery_key(raw: bytes) -> str:
    text = base64.b32encode(raw).decode("ascii").rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_recovery_key(text: str) -> bytes:
    """Tolerant of case, spaces, dashes and the usual look-alikes (0/O, 1/I, 8/B)."""
    cleaned = "".join(c for c in text.upper() if c.isalnum())
    cleaned = cleaned.translate(str.maketrans("018", "OIB"))
    try:
        raw = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except ValueError:
        raw = b""
    if len(raw) != RECOVERY_BYTES:
        raise WrongPassphrase(
            _(
                "This is not a valid recovery key: it has 12 groups of 4 letters and digits, "
                "as printed at set-up."
            )
        )
    return raw


def _wrap(kek: bytes, data_key: bytes, slot: str) -> dict[str, str]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    sealed = AESGCM(kek).encrypt(nonce, data_key, f"fairdesk data key v1:{slot}".encode())
    return {"nonce": _b64(nonce), "ciphertext": _b64(sealed)}


def _unwrap(kek: bytes, wrapped: dict[str, Any], slot: str) -> bytes | None:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(kek).decrypt(
            _unb64(wrapped["nonce"]),
            _unb64(wrapped["ciphertext"]),
            f"fairdesk data key v1:{slot}".encode(),
        )
    except (InvalidTag, KeyError, ValueError):
        return None


# -- the key file -----------------------------------------------------------------------------


def keyfile_path(data_dir: Path) -> Path:
    """The key file in use: ``keyring.json``, or the pending one of an unfinished migration."""
    main = Path(data_dir) / KEYFILE_NAME
    pending = Path(data_dir) / PENDING_NAME
    return pending if pending.exists() and not main.exists() else main


def is_encrypted(data_dir: Path) -> bool:
    """A folder is encrypted once it has a key file (even if the migration is unfinished)."""
    return (Path(data_dir) / KEYFILE_NAME).exists() or (Path(data_dir) / PENDING_NAME).exists()


def _save_keyfile(data_dir: Path, payload: dict[str, Any], name: str | None = None) -> None:
    """Atomic save: back the old file up first, write a temp file, fsync, rename, fsync dir."""
    data_dir = Path(data_dir)
    target = data_dir / name if name else keyfile_path(data_dir)
    if target.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        backups = data_dir / "backups"
        backups.mkdir(parents=True, exist_ok=True)
        shutil.copy2(target, backups / f"keyring-{stamp}.json")
        fsync_dir(backups)
    body = json.dumps(payload, indent=2, sort_keys=True).encode("utf-8")
    write_atomic(target, body, mode=0o600)


def load_keyfile(data_dir: Path) -> dict[str, Any]:
    path = keyfile_path(data_dir)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if payload.get("format") != FORMAT or not isinstance(payload.get("slots"), dict):
            raise ValueError("not a key file")
    except FileNotFoundError as exc:
        raise KeyFileMissing(
            _(
                "The key file {path} is missing, so the encrypted data cannot be opened. "
                "Nothing was changed; restore keyring.json from backups/ or from your copy."
            ).format(path=path)
        ) from exc
    except (OSError, ValueError) as exc:
        raise KeyFileMissing(
            _(
                "The key file {path} is damaged. Nothing was changed; restore keyring.json "
                "from backups/."
            ).format(path=path)
        ) from exc
    if payload.get("version", 0) > VERSION:
        raise KeyFileMissing(
            _("This data folder was protected by a newer FairDesk. Update FairDesk to open it.")
        )
    return dict(payload)


def check_new_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValidationError(
            _("Choose a passphrase of at least {count} characters.").format(count=MIN_PASSPHRASE)
        )


def _passphrase_slot(passphrase: str, data_key: bytes, params: KdfParams) -> dict[str, Any]:
    salt = os.urandom(16)
    kek = derive_passphrase_kek(passphrase, salt, params)
    return {
        "kdf": "argon2id",
        "salt": _b64(salt),
        "time_cost": params.time_cost,
        "memory_cost": params.memory_cost,
        "parallelism": params.parallelism,
        **_wrap(kek, data_key, "passphrase"),
    }


def create_keyfile(
    data_dir: Path,
    passphrase: str,
    *,
    params: KdfParams = DEFAULT_KDF,
    data_key: bytes | None = None,
    pending: bool = False,
) -> Setup:
    """Make a new data key (or wrap ``data_key``) and write the key file. Refuses to overwrite.

    ``pending`` writes ``keyring.pending.json`` (a migration promotes it when it is done).
    """
    check_new_passphrase(passphrase)
    data_dir = Path(data_dir)
    if is_encrypted(data_dir):
        raise ProtectError(_("This data folder is already protected."))
    data_key = data_key or os.urandom(KEY_BYTES)
    recovery = os.urandom(RECOVERY_BYTES)
    recovery_salt = os.urandom(16)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "key_id": key_id(data_key),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "slots": {
            "passphrase": _passphrase_slot(passphrase, data_key, params),
            "recovery": {
                "kdf": "hkdf-sha256",
                "salt": _b64(recovery_salt),
                **_wrap(_recovery_kek(recovery, recovery_salt), data_key, "recovery"),
            },
        },
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    _save_keyfile(data_dir, payload, PENDING_NAME if pending else KEYFILE_NAME)
    return Setup(data_key, format_recovery_key(recovery))


def new_recovery_key(data_dir: Path, data_key: bytes) -> str:
    """Replace the recovery slot (the old recovery key stops working); returns the new key."""
    payload = load_keyfile(data_dir)
    if _checked(payload, data_key) is None:
        raise WrongPassphrase(_("The key does not belong to this data folder; nothing changed."))
    recovery = os.urandom(RECOVERY_BYTES)
    salt = os.urandom(16)
    payload["slots"]["recovery"] = {
        "kdf": "hkdf-sha256",
        "salt": _b64(salt),
        **_wrap(_recovery_kek(recovery, salt), data_key, "recovery"),
    }
    _save_keyfile(data_dir, payload)
    return format_recovery_key(recovery)


def promote_pending(data_dir: Path) -> None:
    """The migration's commit point: ``keyring.pending.json`` becomes ``keyring.json``."""
    pending = Path(data_dir) / PENDING_NAME
    if pending.exists():
        os.replace(pending, Path(data_dir) / KEYFILE_NAME)
        fsync_dir(Path(data_dir))


# -- the growing delay between wrong attempts ---------------------------------------------------


class AttemptGuard:
    """Counts wrong attempts per data folder in the user's state folder (not the data folder).

    After the n-th wrong attempt the next is allowed after min(2^(n-1), 300) seconds
    (the first two mistakes cost only a second or two: people mistype).
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        state_dir: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        import platformdirs

        folder = state_dir or Path(platformdirs.user_state_dir("FairDesk", "FairDesk"))
        import hashlib

        name = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:16]
        self.path = folder / f"unlock-{name}.json"
        self.clock = clock

    def _read(self) -> tuple[int, float]:
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
            return int(state["failures"]), float(state["last"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0, 0.0

    @staticmethod
    def delay_after(failures: int) -> float:
        return 0.0 if failures <= 0 else float(min(2 ** (failures - 1), 300))

    def failures(self) -> int:
        return self._read()[0]

    def wait_seconds(self) -> float:
        failures, last = self._read()
        return max(0.0, last + self.delay_after(failures) - self.clock())

    def check(self) -> None:
        wait = self.wait_seconds()
        if wait > 0:
            raise UnlockDelayed(
                _("Too many wrong attempts: wait {seconds} seconds before trying again.").format(
                    seconds=int(wait + 0.999)
                ),
                wait,
            )

    def failed(self) -> None:
        failures, _last = self._read()
        self._write(failures + 1, self.clock())

    def succeeded(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _write(self, failures: int, last: float) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            temp = self.path.with_suffix(".tmp")
            temp.write_text(json.dumps({"failures": failures, "last": last}), encoding="utf-8")
            os.replace(temp, self.path)
        except OSError:  # a read-only home must not stop anyone from unlocking
            pass


# -- unlocking ---------------------------------------------------------------------------------


def _checked(payload: dict[str, Any], data_key: bytes | None) -> bytes | None:
    if data_key is None or key_id(data_key) != payload.get("key_id"):
        return None
    return data_key


def unlock_with_passphrase(
    data_dir: Path, passphrase: str, *, guard: AttemptGuard | None = None
) -> bytes:
    """The data key, or WrongPassphrase / UnlockDelayed. Never writes to the data folder."""
    guard = guard or AttemptGuard(data_dir)
    guard.check()
    payload = load_keyfile(data_dir)
    slot = payload["slots"].get("passphrase", {})
    try:
        params = KdfParams(
            int(slot["time_cost"]), int(slot["memory_cost"]), int(slot["parallelism"])
        )
        kek = derive_passphrase_kek(passphrase, _unb64(slot["salt"]), params)
    except (KeyError, ValueError, TypeError) as exc:
        raise KeyFileMissing(
            _(
                "The key file {path} is damaged. Nothing was changed; restore it from backups/."
            ).format(path=keyfile_path(data_dir))
        ) from exc
    data_key = _checked(payload, _unwrap(kek, slot, "passphrase"))
    if data_key is None:
        guard.failed()
        raise WrongPassphrase(
            _(
                "Wrong passphrase: the data stays locked and nothing was changed. Check the "
                "keyboard layout and Caps Lock, or use your recovery key."
            )
        )
    guard.succeeded()
    return data_key


def unlock_with_recovery_key(
    data_dir: Path, recovery_text: str, *, guard: AttemptGuard | None = None
) -> bytes:
    guard = guard or AttemptGuard(data_dir)
    guard.check()
    payload = load_keyfile(data_dir)
    slot = payload["slots"].get("recovery", {})
    raw = parse_recovery_key(recovery_text)
    try:
        kek = _recovery_kek(raw, _unb64(slot["salt"]))
    except (KeyError, ValueError) as exc:
        raise KeyFileMissing(
            _(
                "The key file {path} is damaged. Nothing was changed; restore it from backups/."
            ).format(path=keyfile_path(data_dir))
        ) from exc
    data_key = _checked(payload, _unwrap(kek, slot, "recovery"))
    if data_key is None:
        guard.failed()
        raise WrongPassphrase(
            _("This recovery key does not belong to this data folder; nothing was changed.")
        )
    guard.succeeded()
    return data_key


def change_passphrase(
    data_dir: Path, data_key: bytes, new_passphrase: str, *, params: KdfParams = DEFAULT_KDF
) -> None:
    """Re-wrap the data key under ``new_passphrase`` (the caller proved it knows the key)."""
    check_new_passphrase(new_passphrase)
    payload = load_keyfile(data_dir)
    if _checked(payload, data_key) is None:
        raise WrongPassphrase(_("The key does not belong to this data folder; nothing changed."))
    payload["slots"]["passphrase"] = _passphrase_slot(new_passphrase, data_key, params)
    payload["changed_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    _save_keyfile(data_dir, payload)
    forget_keychain(data_dir, data_key)  # an old cached copy must not outlive the change silently


# -- the OS keychain (convenience only, never the only copy) -------------------------------------


def _keychain_name(data_key_id: str) -> str:
    return f"data-key-{data_key_id}"


def keychain_store(data_dir: Path, data_key: bytes) -> bool:
    """Cache the data key in the OS keychain; False (silently) where there is none."""
    try:
        import keyring

        keyring.set_password(KEYCHAIN_SERVICE, _keychain_name(key_id(data_key)), data_key.hex())
        return True
    except Exception:  # any backend failure: the keychain is only a convenience
        return False


def keychain_load(data_dir: Path) -> bytes | None:
    """The data key from the keychain if it is cached there and still right, else None."""
    try:
        payload = load_keyfile(data_dir)
        import keyring

        hexkey = keyring.get_password(KEYCHAIN_SERVICE, _keychain_name(str(payload.get("key_id"))))
        return _checked(payload, bytes.fromhex(hexkey)) if hexkey else None
    except Exception:
        return None


def forget_keychain(data_dir: Path, data_key: bytes) -> None:
    with contextlib.suppress(Exception):
        import keyring

        keyring.delete_password(KEYCHAIN_SERVICE, _keychain_name(key_id(data_key)))


def status(data_dir: Path) -> dict[str, Any]:
    """What the key file says, without any secret (for ``protect status --json``)."""
    if not is_encrypted(data_dir):
        return {"encrypted": False}
    payload = load_keyfile(data_dir)
    slot = payload["slots"].get("passphrase", {})
    return {
        "encrypted": True,
        "key_id": payload.get("key_id"),
        "created_at": payload.get("created_at"),
        "passphrase_changed_at": payload.get("changed_at"),
        "kdf": {k: slot.get(k) for k in ("kdf", "time_cost", "memory_cost", "parallelism")},
        "recovery_key": "recovery" in payload["slots"],
    }
