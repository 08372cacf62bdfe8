"""One intake session: a case, its pairing tokens, the phones that paired, their uploads.

Flow: the laptop shows a one-time pairing token (in the QR code). A phone presents it once and
receives its own phone key; the token is then spent and a fresh one is shown for the next
phone. Tokens expire (default 10 minutes) and belong to this session, hence to one case.
Uploads are resumable: the phone announces a file (name, size, and the SHA-256 when it could
compute one), then sends chunks at the offset the laptop confirms; after a dropped connection
it asks for the offset and carries on. The first bytes decide whether the file is accepted
(photos, videos and PDFs only, by content, not by name); the last byte hands the staged file to
the evidence importer — the same path as a local import — with a custody entry naming the
phone, its address and browser. Staged bytes live encrypted in ``<data>/intake/`` (see
:mod:`fairdesk.intake.staging`) and are removed when imported, refused or when the session
closes.

The session knows nothing of HTTP: :mod:`fairdesk.intake.server` maps requests onto it and
:class:`Refused` onto status codes.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import hmac
import logging
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from fairdesk.errors import FairDeskError
from fairdesk.evidence import importer, metadata, service
from fairdesk.evidence.vocab import EvidenceKind, ImportStatus
from fairdesk.i18n import _
from fairdesk.intake.staging import StagingKey
from fairdesk.store import Store

log = logging.getLogger(__name__)

ACCEPTED_KINDS = (EvidenceKind.IMAGE, EvidenceKind.VIDEO, EvidenceKind.PDF)
DEFAULT_MAX_FILE = 4 << 30  # 4 GiB: a long 4K video still fits
DEFAULT_TOKEN_TTL = timedelta(minutes=10)
DEFAULT_IDLE = timedelta(minutes=30)
BLOCK = 1 << 20
LOCK_WAIT = 2.0  # seconds a resumed chunk waits for a dying connection to let go


class Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


class Refused(Exception):
    """A request the intake turns down: HTTP status, a code the phone page translates, words."""

    def __init__(self, status: int, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.params = params


class ConnectionCut(Exception):
    """The phone stopped sending in the middle of a chunk; what arrived is kept."""


@dataclass(frozen=True)
class Phone:
    id: str
    name: str
    address: str
    user_agent: str
    paired_at: datetime


@dataclass(frozen=True)
class Received:
    """What became of one file a phone sent (for the laptop's list and the phone's page)."""

    upload_id: str
    phone_id: str
    phone_name: str
    name: str
    size: int
    status: ImportStatus  # the importer's outcome, or REFUSED by the intake itself
    sha256: str = ""
    reason: str = ""
    item_id: str = ""
    hashed_on_phone: bool = False


@dataclass
class _Upload:
    id: str
    phone_key: str
    name: str
    size: int
    declared_sha256: str
    last_modified: float | None
    path: Path
    offset: int = 0
    sniffed: bool = False
    result: Received | None = None
    hasher: Any = field(default_factory=hashlib.sha256)
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: threading.Event = field(default_factory=threading.Event)  # result is set
    counter: bytes = b""  # AES-CTR counter block of the staged ciphertext


@dataclass
class _Token:
    value: str
    issued: float


class IntakeEvent(enum.StrEnum):
    """What a listener is told (also the ``event`` of ``fairdesk receive --json`` lines)."""

    PHONE = "phone"  # payload: the Phone that paired or was renamed
    TOKEN = "token"  # payload: the new pairing token
    FILE = "file"  # payload: the Received outcome of one file
    CLOSED = "closed"  # payload: the reason (IDLE, or what close() was given)


IDLE = "idle"  # the reason when the session closed itself after the idle time


Listener = Callable[[IntakeEvent, Any], None]  # (event, payload)


def _mb(size: int) -> str:
    return f"{size / (1 << 20):.1f}"


class IntakeSession:
    def __init__(
        self,
        store: Store,
        case_id: str,
        *,
        max_file_size: int = DEFAULT_MAX_FILE,
        token_ttl: timedelta = DEFAULT_TOKEN_TTL,
        idle_timeout: timedelta = DEFAULT_IDLE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not service.case_exists(store, case_id):
            raise Refused(404, "no_case", _("No case with id {id}.").format(id=case_id))
        self.store = store
        self.case_id = case_id
        self.max_file_size = max_file_size
        self.token_ttl = token_ttl.total_seconds()
        self.idle_timeout = idle_timeout.total_seconds()
        self._clock = clock
        self._lock = threading.Lock()
        self._token = _Token(secrets.token_urlsafe(18), clock())
        self._phones: dict[str, Phone] = {}  # phone key -> phone
        self._uploads: dict[str, _Upload] = {}
        self._listeners: list[Listener] = []
        self._last_activity = clock()
        self.closed_reason = ""
        self.staging = store.data_dir / "intake" / secrets.token_hex(8)
        self.staging.mkdir(parents=True, exist_ok=True)
        # Finished files are imported here, one at a time (one SQLite writer), while the
        # phone already sends the next one; it learns the outcome with GET ...?wait=1.
        self._imports = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-import")
        self._staging_key = StagingKey()  # in memory only: staged bytes are ciphertext

    # -- listeners ---------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _emit(self, event: IntakeEvent, payload: Any) -> None:
        for listener in list(self._listeners):
            listener(event, payload)

    # -- tokens and phones -------------------------------------------------------------------

    @property
    def token(self) -> str:
        with self._lock:
            return self._token.value

    @property
    def closed(self) -> bool:
        return bool(self.closed_reason)

    def touch(self) -> None:
        self._last_activity = self._clock()

    def _new_token(self) -> str:
        self._token = _Token(secrets.token_urlsafe(18), self._clock())
        return self._token.value

    def pair(self, token: str, address: str, user_agent: str) -> tuple[str, Phone]:
        """Spend the pairing token; return the phone's own key and its record."""
        self._check_open()
        with self._lock:
            current = self._token
            if not token or not hmac.compare_digest(token.encode(), current.value.encode()):
                raise Refused(
                    403,
                    "bad_token",
                    _("This code is not valid (already used, or from another session)."),
                )
            if self._clock() - current.issued > self.token_ttl:
                raise Refused(403, "token_expired", _("This code has expired."))
            key = secrets.token_urlsafe(32)
            number = len(self._phones) + 1
            phone = Phone(
                id=secrets.token_hex(6),
                name=_("Phone {number}").format(number=number),
                address=address,
                user_agent=user_agent[:300],
                paired_at=datetime.now(UTC),
            )
            self._phones[key] = phone
            fresh = self._new_token()
        self.touch()
        self._emit(IntakeEvent.PHONE, phone)
        self._emit(IntakeEvent.TOKEN, fresh)
        return key, phone

    def rename_phone(self, phone_id: str, name: str) -> Phone:
        clean = " ".join(name.split())[:80]
        with self._lock:
            for key, phone in self._phones.items():
                if phone.id == phone_id:
                    renamed = replace(phone, name=clean or phone.name)
                    self._phones[key] = renamed
                    break
            else:
                raise Refused(404, "no_phone", _("No such phone in this session."))
        self._emit(IntakeEvent.PHONE, renamed)
        return renamed

    def phones(self) -> list[Phone]:
        with self._lock:
            return list(self._phones.values())

    def phone_for(self, key: str) -> Phone:
        self._check_open()
        with self._lock:
            for known, phone in self._phones.items():
                if key and hmac.compare_digest(known.encode(), key.encode()):
                    return phone
        raise Refused(403, "forbidden", _("This phone is not paired with the laptop."))

    def _check_open(self) -> None:
        if self.closed:
            raise Refused(403, "closed", _("The laptop has closed the intake."))

    # -- uploads -----------------------------------------------------------------------------

    def begin_upload(
        self,
        phone_key: str,
        name: str,
        size: int,
        sha256: str = "",
        last_modified_ms: float | None = None,
    ) -> _Upload:
        """Announce a file, or find the announcement again after a reload (same answers)."""
        self.phone_for(phone_key)
        self.touch()
        sha256 = sha256.lower()
        if sha256 and (len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256)):
            raise Refused(400, "bad_request", _("The announced SHA-256 is not a hex digest."))
        if size <= 0:
            raise Refused(400, "empty", _("The file is empty (0 bytes): there is nothing to keep."))
        if size > self.max_file_size:
            raise Refused(
                413,
                "too_large",
                _("The file is {size} MB; at most {limit} MB per file are accepted.").format(
                    size=_mb(size), limit=_mb(self.max_file_size)
                ),
                limit=self.max_file_size,
                size=size,
            )
        shown = importer.safe_name(name.replace("\\", "/"))[:255] or "upload"
        upload_id = hashlib.sha256(
            "\x00".join([phone_key, shown, str(size), str(last_modified_ms), sha256]).encode()
        ).hexdigest()[:32]
        with self._lock:
            upload = self._uploads.get(upload_id)
            if upload is None:
                path = self.staging / upload_id
                path.touch()
                modified = None if last_modified_ms is None else last_modified_ms / 1000
                upload = _Upload(upload_id, phone_key, shown, size, sha256, modified, path)
                upload.counter = self._staging_key.new_counter()
                self._uploads[upload_id] = upload
        return upload

    def upload(self, phone_key: str, upload_id: str) -> _Upload:
        self.phone_for(phone_key)
        with self._lock:
            upload = self._uploads.get(upload_id)
        if upload is None or not hmac.compare_digest(upload.phone_key, phone_key):
            raise Refused(404, "not_found", _("No such upload."))
        self.touch()
        return upload

    def write_chunk(
        self, phone_key: str, upload_id: str, offset: int, body: Readable, length: int
    ) -> _Upload:
        """Append ``length`` bytes read from ``body`` at ``offset``; finish the file at its end."""
        upload = self.upload(phone_key, upload_id)
        if not upload.lock.acquire(timeout=LOCK_WAIT):
            raise Refused(409, "busy", _("This file is still arriving on another connection."))
        try:
            if upload.result is not None:
                return upload
            if offset != upload.offset:
                raise Refused(
                    409,
                    "offset",
                    _("The laptop has {offset} bytes of this file.").format(offset=upload.offset),
                    offset=upload.offset,
                )
            if length < 0 or offset + length > upload.size:
                raise Refused(400, "bad_request", _("More bytes than the file announced."))
            self._receive(upload, body, length)
            if not upload.sniffed and (
                upload.offset >= metadata.SNIFF_BYTES or upload.offset == upload.size
            ):
                self._sniff(upload)
            if upload.offset == upload.size:
                self._finish(upload)
            return upload
        finally:
            upload.lock.release()

    def _receive(self, upload: _Upload, body: Readable, length: int) -> None:
        left = length
        stream = self._staging_key.cipher_at(upload.counter, upload.offset)
        with open(upload.path, "r+b") as out:
            out.seek(upload.offset)
            while left:
                block = body.read(min(BLOCK, left))
                if not block:
                    out.truncate(upload.offset)
                    raise ConnectionCut
                out.write(stream.update(block))
                out.flush()
                upload.hasher.update(block)
                upload.offset += len(block)
                left -= len(block)
                self.touch()

    def _refuse(self, upload: _Upload, status: int, code: str, reason: str, **params: Any) -> None:
        self._set_refused(upload, reason)
        raise Refused(status, code, reason, **params)

    def _set_refused(self, upload: _Upload, reason: str) -> None:
        upload.path.unlink(missing_ok=True)
        self._set_result(
            upload,
            Received(
                upload.id,
                self._phone_id(upload),
                self._phone_name(upload),
                upload.name,
                upload.size,
                ImportStatus.REFUSED,
                reason=reason,
            ),
        )

    def _set_result(self, upload: _Upload, result: Received) -> None:
        upload.result = result
        upload.done.set()
        self._emit(IntakeEvent.FILE, result)

    def wait_result(self, phone_key: str, upload_id: str, timeout: float) -> _Upload:
        """The upload once its outcome is known, or as it stands after ``timeout`` seconds."""
        upload = self.upload(phone_key, upload_id)
        if upload.offset == upload.size:
            upload.done.wait(timeout)
        return upload

    def _sniff(self, upload: _Upload) -> None:
        with self._staging_key.open(upload.path, upload.counter) as handle:
            mime = metadata.sniff_mime(handle.read(metadata.SNIFF_BYTES))
        if metadata.kind_of(mime) not in ACCEPTED_KINDS:
            self._refuse(
                upload,
                415,
                "not_accepted",
                _(
                    "Only photos, videos and PDF files are accepted; the content of this file "
                    "is {mime}, whatever its name says. It was not kept."
                ).format(mime=mime),
                mime=mime,
            )
        upload.sniffed = True

    def _phone(self, upload: _Upload) -> Phone | None:
        with self._lock:
            return self._phones.get(upload.phone_key)

    def _phone_id(self, upload: _Upload) -> str:
        phone = self._phone(upload)
        return phone.id if phone else ""

    def _phone_name(self, upload: _Upload) -> str:
        phone = self._phone(upload)
        return phone.name if phone else ""

    def _finish(self, upload: _Upload) -> None:
        digest = upload.hasher.hexdigest()
        if upload.declared_sha256 and digest != upload.declared_sha256:
            self._refuse(
                upload,
                422,
                "hash_mismatch",
                _(
                    "The bytes that arrived do not match the SHA-256 the phone computed; "
                    "nothing was kept. Send the file again."
                ),
                sha256=digest,
            )
        phone = self._phone(upload)
        assert phone is not None
        if upload.last_modified is not None:
            # An absurd date from the phone: the file keeps the arrival time.
            with contextlib.suppress(OverflowError, OSError, ValueError):
                os.utime(upload.path, (upload.last_modified, upload.last_modified))
        at = datetime.now(UTC).isoformat(timespec="seconds")
        checked = bool(upload.declared_sha256)
        how = (
            "SHA-256 computed on the phone before sending and matched on arrival"
            if checked
            else "SHA-256 computed by the laptop on arrival (the phone could not compute it)"
        )
        details = {
            "via": "phone intake",
            "received_from": phone.name,
            "address": phone.address,
            "user_agent": phone.user_agent,
            "received_at": at,
            "sha256_from_phone": checked,
            # English on purpose: the custody log is evidence, read the same everywhere.
            "summary": f"received from {phone.name} ({phone.address}, {phone.user_agent}) "
            f"at {at}; {how}",
        }
        self._imports.submit(self._store, upload, phone, details, digest)

    def _store(self, upload: _Upload, phone: Phone, details: dict[str, Any], digest: str) -> None:
        """On the import thread: the same importer as a local import, then tell the phone."""
        try:
            outcome = importer.import_file(
                self.store,
                self.store.vault,
                self.case_id,
                upload.path,
                name=upload.name,
                details=details,
                opener=lambda path: self._staging_key.open(path, upload.counter),
            )
        except Exception as exc:  # never leave the phone waiting for an outcome
            log.exception("intake import of %s failed", upload.name)
            self._set_refused(upload, str(exc) if isinstance(exc, FairDeskError) else repr(exc))
            return
        finally:
            upload.path.unlink(missing_ok=True)
        self._set_result(
            upload,
            Received(
                upload.id,
                phone.id,
                phone.name,
                upload.name,
                upload.size,
                outcome.status,
                sha256=outcome.sha256 or digest,
                reason=outcome.reason,
                item_id=outcome.item_id,
                hashed_on_phone=bool(details["sha256_from_phone"]),
            ),
        )

    # -- lifetime ----------------------------------------------------------------------------

    def maintain(self) -> None:
        """Called about once a second: renew an expired token, close after the idle time."""
        if self.closed:
            return
        now = self._clock()
        if now - self._last_activity > self.idle_timeout:
            self.close(IDLE)
            return
        with self._lock:
            fresh = self._new_token() if now - self._token.issued > self.token_ttl else ""
        if fresh:
            self._emit(IntakeEvent.TOKEN, fresh)

    def close(self, reason: str = "closed") -> None:
        if self.closed:
            return
        self.closed_reason = reason
        # Files that fully arrived are still imported; then the staged bytes go.
        self.staging_removed = self._imports.submit(shutil.rmtree, self.staging, ignore_errors=True)
        self._imports.shutdown(wait=False)
        self._emit(IntakeEvent.CLOSED, reason)

    def wait_imports(self, timeout: float | None = None) -> None:
        """Block until every fully arrived file has been imported (tests, the CLI at exit)."""
        self._imports.submit(lambda: None).result(timeout)
