"""Sending the queued custody-head timestamp requests, once per sync (RFC 3161 over HTTP).

For every configured time-stamping authority — HQ always (through the sync connection, as
the enrolled device), plus the public TSAs listed in the data folder's ``timestamps.json`` —
the newest queued head that this TSA has not stamped yet is sent, one request per TSA
however many entries were added offline. Each answer is checked by
:func:`fairdesk.evidence.timestamps.check_reply` before it is stored; a rejected answer leaves
the head queued with the reason on show, and never fails the sync itself.

HQ's TSA root is pinned on first use: fetched over the authenticated sync connection and kept
in the data folder; a later HQ answer signed under another root is rejected as untrusted.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from fairdesk import events
from fairdesk.errors import ValidationError
from fairdesk.evidence import timestamps
from fairdesk.evidence.timestamps import (
    QUERY_TYPE,
    REPLY_TYPE,
    TimestampRejected,
    TsaConfig,
)
from fairdesk.i18n import _
from fairdesk.store import Store
from sync.client.errors import SyncError
from sync.client.transport import Transport, _is_loopback

PUBLIC_TIMEOUT = (10.0, 30.0)


@dataclass
class StampReport:
    sent: int = 0  # requests sent (one per TSA that had a head to stamp)
    stored: int = 0  # verified tokens stored
    problems: list[str] = field(default_factory=list)


Sender = Callable[[bytes], tuple[bytes, str]]  # request DER -> (reply body, content type)


def hq_roots(store: Store, transport: Transport) -> tuple[x509.Certificate, ...]:
    """HQ's TSA root: the pinned copy, or fetched from HQ once and pinned."""
    path = timestamps.hq_root_path(store.data_dir)
    if path.exists():
        return timestamps.load_pem_certs(path.read_bytes())
    response = transport.request("GET", "/tsa/certificates", expect_json=False)
    if response.status_code != 200:
        raise TimestampRejected(
            _("HQ does not offer timestamps yet (it answered {status}).").format(
                status=response.status_code
            )
        )
    try:
        root = timestamps.load_pem_certs(response.content)[-1]
    except (ValidationError, IndexError) as exc:
        raise TimestampRejected(_("HQ sent no readable TSA certificate.")) from exc
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    temp.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    with contextlib.suppress(FileExistsError):  # pinned meanwhile by another sync: keep it
        os.link(temp, path)
    temp.unlink()
    return timestamps.load_pem_certs(path.read_bytes())


def _hq_sender(transport: Transport) -> Sender:
    def send(body: bytes) -> tuple[bytes, str]:
        response = transport.request(
            "POST", "/tsa", data=body, headers={"Content-Type": QUERY_TYPE}, expect_json=False
        )
        if response.status_code != 200:
            raise TimestampRejected(
                _("HQ refused the timestamp request ({status}).").format(
                    status=response.status_code
                )
            )
        return response.content, response.headers.get("content-type", "")

    return send


def _public_sender(tsa: TsaConfig) -> Sender:
    def send(body: bytes) -> tuple[bytes, str]:
        with requests.Session() as session:
            session.trust_env = not _is_loopback(tsa.url)
            try:
                response = session.post(
                    tsa.url,
                    data=body,
                    headers={"Content-Type": QUERY_TYPE},
                    timeout=PUBLIC_TIMEOUT,
                )
            except requests.RequestException as exc:
                raise TimestampRejected(
                    _("The time-stamping authority cannot be reached ({error}).").format(
                        error=type(exc).__name__
                    )
                ) from exc
            if response.status_code != 200:
                raise TimestampRejected(
                    _("The time-stamping authority answered with an error ({status}).").format(
                        status=response.status_code
                    )
                )
            return response.content, response.headers.get("content-type", "")

    return send


def _fixed(
    roots: tuple[x509.Certificate, ...],
) -> Callable[[], tuple[x509.Certificate, ...]]:
    return lambda: roots


def stamp_pending(store: Store, transport: Transport) -> StampReport:
    """Send this device's queued head to every configured TSA that has not stamped it yet."""
    report = StampReport()
    device_id = store.device.id
    try:
        public = timestamps.public_tsas(store.data_dir)
    except ValidationError as exc:
        report.problems.append(str(exc))
        public = []
    authorities: list[tuple[str, str, Callable[[], tuple[x509.Certificate, ...]], Sender]] = [
        (
            timestamps.HQ_TSA_NAME,
            transport.base_url,
            lambda: hq_roots(store, transport),
            _hq_sender(transport),
        ),
    ]
    for tsa in public:
        authorities.append((tsa.name, tsa.url, _fixed(tsa.roots), _public_sender(tsa)))
    for name, url, roots_of, send in authorities:
        with store.read() as session:
            pending = timestamps.pending_for(session, device_id, name)
        if pending is None:
            continue
        body, nonce = timestamps.build_request(pending.digest)
        try:
            roots = roots_of()
            report.sent += 1
            reply, content_type = send(body)
            if content_type.split(";")[0].strip().lower() != REPLY_TYPE:
                raise TimestampRejected(
                    _(
                        "The time-stamping authority answered with “{type}” instead of a "
                        "timestamp (a Wi-Fi login page or a wrong address?)."
                    ).format(type=content_type or "nothing")
                )
            verified = timestamps.check_reply(
                reply, digest=pending.digest, nonce=nonce, roots=roots
            )
        except (TimestampRejected, SyncError) as exc:
            with store.write() as session:
                timestamps.record_problem(session, device_id, name, str(exc))
            report.problems.append(f"{name}: {exc}")
            continue
        with store.write() as session:
            timestamps.save_token(session, pending, name, url, verified)
        report.stored += 1
    if report.stored:
        events.emit(events.Change.TIMESTAMPS)  # the evidence tab recounts what is covered
    return report
