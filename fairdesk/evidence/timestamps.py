"""RFC 3161 trusted timestamps on the custody log: the queue, the checks and the stored tokens.

A device clock is a claim; a timestamp token from a time-stamping authority (TSA) is a third
party vouching that a custody-log head existed at a given time. What is stamped is the *head*
of this device's log, written as canonical JSON (:func:`head_bytes`): the message imprint is
``SHA-256(head JSON)``, so ``openssl ts -verify -data head.json`` checks a token directly, and
the head's Merkle root (RFC 6962, :func:`fairdesk.evidence.custody.merkle_root`) covers every
entry up to ``tree_size``. One token for the newest head therefore covers all earlier entries:
the queue keeps one row per device (the newest head still to stamp), however long the device
was offline.

Every answer is checked before it is stored (:func:`check_reply`): a real RFC 3161 reply, the
imprint of the head we asked for, our nonce, a CMS signature that verifies, the signer's
time-stamping key usage, the ESS signing-certificate binding, and a certificate chain that ends
at one of the configured roots and is valid now and at the token's time. Anything else raises
:class:`TimestampRejected` with a sentence a responder understands, and the head stays queued.

The network side lives in ``sync.client.timestamps``; this module never talks to a TSA.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from asn1crypto import cms, core, tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from sqlalchemy import Integer, LargeBinary, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from fairdesk.errors import FairDeskError, ValidationError
from fairdesk.evidence.models import CustodyEvent, EvidenceItem
from fairdesk.evidence.vocab import CustodyAction
from fairdesk.i18n import _
from fairdesk.ids import new_id
from fairdesk.model import Base
from fairdesk.store import Store
from fairdesk.timeutil import utcnow

HEAD_FORMAT = "fairdesk-custody-head/1"
HQ_TSA_NAME = "HQ"
CONFIG_NAME = "timestamps.json"  # in the data folder: the public TSAs the company trusts
TSA_DIR = "timestamps"  # in the data folder: HQ's pinned TSA root
QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
_DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class TimestampQueue(Base):
    """The newest head of one device's log that still needs a token (one row per device)."""

    __tablename__ = "timestamp_queue"
    device_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tree_size: Mapped[int] = mapped_column(Integer)
    queued_at: Mapped[datetime]
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_attempt_at: Mapped[datetime | None] = mapped_column(default=None)


class TimestampToken(Base):
    """A verified RFC 3161 token (DER TimeStampToken) for one head, from one TSA."""

    __tablename__ = "timestamp_token"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(36))
    tree_size: Mapped[int] = mapped_column(Integer)
    merkle_root: Mapped[str] = mapped_column(String(64))
    head_json: Mapped[str] = mapped_column(Text)  # exactly the bytes whose SHA-256 was stamped
    tsa_name: Mapped[str] = mapped_column(String(200))
    tsa_url: Mapped[str] = mapped_column(Text)
    token: Mapped[bytes] = mapped_column(LargeBinary)
    certs_pem: Mapped[str] = mapped_column(Text)  # signer … root, as checked
    gen_time: Mapped[datetime]
    serial: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("device_id", "tree_size", "tsa_name", name="uq_timestamp_head_tsa"),
    )


class TimestampRejected(FairDeskError):
    """A TSA's answer that is not stored; ``str()`` says why in one sentence."""


# -- heads -----------------------------------------------------------------------------------


def head_bytes(head: dict[str, Any]) -> bytes:
    """The exact bytes stamped for a head: sorted keys, no spaces, UTF-8."""
    body = {
        "format": HEAD_FORMAT,
        "device_id": head["device_id"],
        "tree_size": head["tree_size"],
        "last_entry_hash": head["last_entry_hash"],
        "merkle_root": head["merkle_root"],
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def queue_head(session: Session, device_id: str, tree_size: int) -> None:
    """Called by every custody append: the device's newest head now needs a token."""
    row = session.get(TimestampQueue, device_id)
    if row is None:
        session.add(TimestampQueue(device_id=device_id, tree_size=tree_size, queued_at=utcnow()))
    elif tree_size > row.tree_size:
        row.tree_size = tree_size


@dataclass(frozen=True)
class PendingHead:
    device_id: str
    tree_size: int
    merkle_root: str
    head_json: bytes

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.head_json).digest()


def head_at(session: Session, device_id: str, tree_size: int) -> PendingHead:
    from fairdesk.evidence import custody  # custody imports this module for queue_head

    hashes_ = list(
        session.scalars(
            select(CustodyEvent.entry_hash)
            .where(CustodyEvent.device_id == device_id, CustodyEvent.seq <= tree_size)
            .order_by(CustodyEvent.seq)
        )
    )
    root = custody.merkle_root(hashes_)
    head = {
        "device_id": device_id,
        "tree_size": len(hashes_),
        "last_entry_hash": hashes_[-1] if hashes_ else custody.GENESIS,
        "merkle_root": root,
    }
    return PendingHead(device_id, len(hashes_), root, head_bytes(head))


def pending_for(session: Session, device_id: str, tsa_name: str) -> PendingHead | None:
    """The head to send to this TSA, or None when its newest token already covers the queue."""
    queued = session.get(TimestampQueue, device_id)
    if queued is None:
        return None
    stamped = session.scalar(
        select(TimestampToken.tree_size)
        .where(TimestampToken.device_id == device_id, TimestampToken.tsa_name == tsa_name)
        .order_by(TimestampToken.tree_size.desc())
        .limit(1)
    )
    if stamped is not None and stamped >= queued.tree_size:
        return None
    return head_at(session, device_id, queued.tree_size)


def save_token(
    session: Session, pending: PendingHead, tsa_name: str, tsa_url: str, token: VerifiedToken
) -> TimestampToken:
    row = TimestampToken(
        id=new_id(),
        device_id=pending.device_id,
        tree_size=pending.tree_size,
        merkle_root=pending.merkle_root,
        head_json=pending.head_json.decode(),
        tsa_name=tsa_name,
        tsa_url=tsa_url,
        token=token.token_der,
        certs_pem=token.certs_pem,
        gen_time=token.gen_time,
        serial=token.serial,
        received_at=utcnow(),
    )
    session.add(row)
    queued = session.get(TimestampQueue, pending.device_id)
    if queued is not None:
        queued.last_attempt_at = utcnow()
        queued.last_error = ""
    return row


def record_problem(session: Session, device_id: str, tsa_name: str, reason: str) -> None:
    """Keep the head queued and remember why this attempt failed (shown in the app)."""
    queued = session.get(TimestampQueue, device_id)
    if queued is not None:
        queued.last_attempt_at = utcnow()
        queued.last_error = f"{tsa_name}: {reason}"


# -- coverage --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cover:
    """The earliest token covering an item's import entry: it was in the log before ``at``."""

    at: datetime
    tsa_name: str
    token_id: str


def coverage(
    session: Session, item_ids: Iterable[str] | None = None, *, tsa_name: str | None = None
) -> dict[str, Cover | None]:
    """For each item with an import entry: its earliest covering token, or None (waiting).

    ``tsa_name`` limits the tokens to one authority's.
    """
    query = select(CustodyEvent.item_id, CustodyEvent.device_id, CustodyEvent.seq).where(
        CustodyEvent.action == CustodyAction.IMPORT, CustodyEvent.item_id != ""
    )
    if item_ids is not None:
        query = query.where(CustodyEvent.item_id.in_(list(item_ids)))
    entries = session.execute(query).all()
    token_query = select(TimestampToken).order_by(TimestampToken.tree_size)
    if tsa_name is not None:
        token_query = token_query.where(TimestampToken.tsa_name == tsa_name)
    tokens: dict[str, list[TimestampToken]] = {}
    for token in session.scalars(token_query):
        tokens.setdefault(token.device_id, []).append(token)
    # Per device, the earliest gen_time among tokens of size >= k: a suffix minimum.
    best: dict[str, tuple[list[int], list[TimestampToken]]] = {}
    for device_id, rows in tokens.items():
        suffix: list[TimestampToken] = []
        for row in reversed(rows):
            suffix.append(row if not suffix or row.gen_time < suffix[-1].gen_time else suffix[-1])
        suffix.reverse()
        best[device_id] = ([r.tree_size for r in rows], suffix)
    result: dict[str, Cover | None] = {}
    for item_id, device_id, seq in entries:
        cover: Cover | None = None
        if device_id in best:
            sizes, suffix = best[device_id]
            index = bisect.bisect_left(sizes, seq)
            if index < len(sizes):
                token = suffix[index]
                cover = Cover(token.gen_time, token.tsa_name, token.id)
        previous = result.get(item_id)
        if previous is None or (cover is not None and cover.at < previous.at):
            result[item_id] = cover
    return result


@dataclass(frozen=True)
class CaseCoverage:
    """Which of a case's items a timestamp covers, and the last problem met getting one."""

    covers: dict[str, Cover | None]
    last_error: str = ""

    @property
    def covered(self) -> int:
        return sum(1 for c in self.covers.values() if c is not None)

    @property
    def waiting(self) -> int:
        return sum(1 for c in self.covers.values() if c is None)

    def summary(self) -> str:
        """One line for the case's evidence tab."""
        if not self.covers:
            return ""
        text = _(
            "Independent time (RFC 3161): {covered} item(s) covered by a timestamp, {waiting} "
            "waiting for a connection."
        ).format(covered=self.covered, waiting=self.waiting)
        if self.waiting and self.last_error:
            text += " " + _("Last attempt: {problem}").format(problem=self.last_error)
        return text


def case_coverage(store: Store, case_id: str) -> CaseCoverage:
    """Coverage of one case's items (for the evidence tab; runs on a reader thread)."""
    with store.read() as session:
        ids = list(session.scalars(select(EvidenceItem.id).where(EvidenceItem.case_id == case_id)))
        covers = coverage(session, ids)
        queued = session.get(TimestampQueue, store.device.id)
        return CaseCoverage(covers, queued.last_error if queued is not None else "")


@dataclass(frozen=True)
class BundleStamps:
    """What an export carries: token, head and certificate files, and what each item gets."""

    files: dict[str, bytes]
    records: list[dict[str, Any]]
    items: dict[str, dict[str, Any] | None]


def _slug(name: str) -> str:
    keep = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")
    return keep[:40] or "tsa"


def for_bundle(session: Session, item_ids: Sequence[str]) -> BundleStamps:
    """For every TSA, the earliest token covering each item (each token once)."""
    names = sorted(set(session.scalars(select(TimestampToken.tsa_name))))
    best: dict[str, Cover] = {}
    chosen: set[str] = set()
    for name in names:
        for item_id, cover in coverage(session, item_ids, tsa_name=name).items():
            if cover is None:
                continue
            chosen.add(cover.token_id)
            if item_id not in best or cover.at < best[item_id].at:
                best[item_id] = cover
    files: dict[str, bytes] = {}
    records: list[dict[str, Any]] = []
    token_file: dict[str, str] = {}
    rows = sorted(
        (r for r in (session.get(TimestampToken, i) for i in chosen) if r is not None),
        key=lambda r: (r.device_id, r.tree_size, r.tsa_name),
    )
    for row in rows:
        stem = f"timestamps/{row.device_id[:8]}-{row.tree_size}"
        head_name = f"{stem}.head.json"
        token_name = f"{stem}-{_slug(row.tsa_name)}.tsr"
        certs_name = f"timestamps/{_slug(row.tsa_name)}-certificates.pem"
        files[head_name] = row.head_json.encode()
        files[token_name] = row.token
        files[certs_name] = row.certs_pem.encode()  # signer … root, as checked when received
        token_file[row.id] = token_name
        records.append(
            {
                "token": token_name,
                "head": head_name,
                "certificates": certs_name,
                "tsa": row.tsa_name,
                "tsa_url": row.tsa_url,
                "device_id": row.device_id,
                "tree_size": row.tree_size,
                "merkle_root": row.merkle_root,
                "gen_time": row.gen_time.astimezone(UTC).isoformat(),
                "serial": row.serial,
                "openssl": openssl_command(head_name, token_name, certs_name),
            }
        )
    items: dict[str, dict[str, Any] | None] = {}
    for item_id in item_ids:
        cover = best.get(item_id)
        items[item_id] = (
            None
            if cover is None
            else {
                "in_log_before": cover.at.astimezone(UTC).isoformat(),
                "tsa": cover.tsa_name,
                "token": token_file[cover.token_id],
            }
        )
    return BundleStamps(files, records, items)


def openssl_command(head: str, token: str, certificates: str) -> str:
    """The exact command that checks a bundled token's signature and imprint with OpenSSL."""
    return f"openssl ts -verify -data {head} -in {token} -token_in -CAfile {certificates}"


def cover_text(cover: Cover | None) -> str:
    """The line the evidence report and the app show for one item."""
    if cover is None:
        return _(
            "No independent timestamp yet: waiting for a connection to a time-stamping authority."
        )
    return _("In the log before {time} (RFC 3161 token from {tsa}).").format(
        time=cover.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"), tsa=cover.tsa_name
    )


# -- configuration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TsaConfig:
    """One time-stamping authority: where to send requests and which roots to trust for it."""

    name: str
    url: str  # empty for HQ (sent through the sync connection)
    roots: tuple[x509.Certificate, ...]


def hq_root_path(data_dir: Path) -> Path:
    return Path(data_dir) / TSA_DIR / "hq-tsa-root.pem"


def load_pem_certs(data: bytes) -> tuple[x509.Certificate, ...]:
    try:
        return tuple(x509.load_pem_x509_certificates(data))
    except ValueError as exc:
        raise ValidationError(_("The TSA certificate file holds no readable certificate.")) from exc


def public_tsas(data_dir: Path) -> list[TsaConfig]:
    """The public TSAs listed in ``timestamps.json`` in the data folder; none when absent.

    ``{"tsas": [{"name": "…", "url": "https://…", "roots": "roots.pem"}]}``; ``roots`` is a PEM
    file (relative to the data folder) holding the CA certificates trusted for that TSA.
    """
    path = Path(data_dir) / CONFIG_NAME
    if not path.exists():
        return []
    try:
        config = json.loads(path.read_text("utf-8"))
        listed = config.get("tsas", [])
        result = []
        for entry in listed:
            roots_file = Path(data_dir) / str(entry["roots"])
            result.append(
                TsaConfig(
                    str(entry["name"]), str(entry["url"]), load_pem_certs(roots_file.read_bytes())
                )
            )
        return result
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValidationError(
            _(
                "The list of time-stamping authorities ({path}) cannot be read: {error}. No "
                "public authority is contacted until it is fixed."
            ).format(path=path, error=exc)
        ) from exc


# -- RFC 3161 requests and answers -------------------------------------------------------------


def build_request(digest: bytes) -> tuple[bytes, int]:
    """A DER TimeStampReq for a SHA-256 digest, with a fresh nonce and the TSA's certificate."""
    nonce = secrets.randbits(63) | 1
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": digest,
            },
            "nonce": nonce,
            "cert_req": True,
        }
    )
    return request.dump(), nonce


class _Response(core.Sequence):  # type: ignore[misc]
    """TimeStampResp with the token optional, as RFC 3161 says (asn1crypto requires it)."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


@dataclass(frozen=True)
class VerifiedToken:
    token_der: bytes
    gen_time: datetime
    serial: str
    certs_pem: str
    tsa_subject: str


def check_reply(
    reply: bytes,
    *,
    digest: bytes,
    nonce: int,
    roots: Sequence[x509.Certificate],
    now: datetime | None = None,
) -> VerifiedToken:
    """Check a TimeStampResp for our request; raises :class:`TimestampRejected` with the reason."""
    try:
        response = _Response.load(reply, strict=True)
        status = response["status"]["status"].native
        text = response["status"]["status_string"].native
    except (ValueError, TypeError, KeyError) as exc:
        raise TimestampRejected(
            _("The authority did not answer with an RFC 3161 timestamp (unreadable reply).")
        ) from exc
    if status not in ("granted", "granted_with_mods"):
        reason = "; ".join(text) if isinstance(text, list) else str(text or status)
        raise TimestampRejected(
            _("The authority refused to issue a timestamp ({reason}).").format(reason=reason)
        )
    token = response["time_stamp_token"]
    if isinstance(token, core.Void):
        raise TimestampRejected(_("The authority granted a timestamp but sent no token."))
    return check_token(token.dump(), digest=digest, nonce=nonce, roots=roots, now=now)


def _reject(message: str) -> TimestampRejected:
    return TimestampRejected(message)


def check_token(
    token_der: bytes,
    *,
    digest: bytes,
    roots: Sequence[x509.Certificate],
    nonce: int | None = None,
    now: datetime | None = None,
) -> VerifiedToken:
    """Check a DER TimeStampToken against the head digest and the trusted roots."""
    now = now or utcnow()
    try:
        info = cms.ContentInfo.load(token_der, strict=True)
        if info["content_type"].native != "signed_data":
            raise _reject(_("The timestamp token is not CMS signed data."))
        signed = info["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            raise _reject(_("The timestamp token does not contain timestamp information."))
        tst_bytes = encap["content"].contents
        tst = tsp.TSTInfo.load(tst_bytes, strict=True)
        imprint = tst["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        hashed = imprint["hashed_message"].native
        gen_time: datetime = tst["gen_time"].native
        serial = str(tst["serial_number"].native)
        token_nonce = tst["nonce"].native
        signer_infos = list(signed["signer_infos"])
        embedded = [
            x509.load_der_x509_certificate(choice.chosen.dump())
            for choice in (signed["certificates"] or [])
            if choice.name == "certificate"
        ]
    except TimestampRejected:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise _reject(_("The timestamp token is damaged or not an RFC 3161 token.")) from exc
    if algorithm != "sha256" or hashed != digest:
        raise _reject(
            _("The timestamp token is for another custody-log head (its message imprint differs).")
        )
    if nonce is not None and token_nonce != nonce:
        raise _reject(
            _("The timestamp token does not answer our request (nonce differs: a replayed token?).")
        )
    if len(signer_infos) != 1:
        raise _reject(_("The timestamp token must have exactly one signer."))
    signer_info = signer_infos[0]
    signer = _find_signer(signer_info, [*embedded, *roots])
    _check_signature(signer_info, signer, tst_bytes)
    chain = _check_chain(signer, embedded, roots, gen_time, now)
    pem = "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in chain)
    return VerifiedToken(
        token_der, gen_time.astimezone(UTC), serial, pem, signer.subject.rfc4514_string()
    )


def _find_signer(
    signer_info: cms.SignerInfo, candidates: Sequence[x509.Certificate]
) -> x509.Certificate:
    sid = signer_info["sid"]
    for cert in candidates:
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if (
                cert.serial_number == wanted["serial_number"].native
                and cert.issuer.public_bytes() == wanted["issuer"].dump()
            ):
                return cert
        else:
            try:
                ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            except x509.ExtensionNotFound:
                continue
            if ski.value.digest == sid.chosen.native:
                return cert
    raise _reject(
        _("The timestamp token does not carry the authority's certificate; it cannot be checked.")
    )


def _check_signature(
    signer_info: cms.SignerInfo, signer: x509.Certificate, tst_bytes: bytes
) -> None:
    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    if digest_name not in _DIGESTS:
        raise _reject(
            _("The timestamp token uses an unsupported digest ({name}).").format(name=digest_name)
        )
    algorithm = _DIGESTS[digest_name]()
    attrs = signer_info["signed_attrs"]
    if not attrs:
        raise _reject(_("The timestamp token has no signed attributes."))
    found: dict[str, Any] = {attr["type"].native: attr["values"][0] for attr in attrs}
    content_type = found.get("content_type")
    if content_type is None or content_type.native != "tst_info":
        raise _reject(_("The timestamp token's signed content type is wrong."))
    digest = hashes.Hash(_DIGESTS[digest_name]())
    digest.update(tst_bytes)
    message_digest = found.get("message_digest")
    if message_digest is None or message_digest.native != digest.finalize():
        raise _reject(
            _("The timestamp token was altered: its content no longer matches its signature.")
        )
    signer_der = signer.public_bytes(serialization.Encoding.DER)
    if "signing_certificate_v2" in found:
        ess = found["signing_certificate_v2"]["certs"][0]
        ess_alg = ess["hash_algorithm"]["algorithm"].native
        if ess_alg not in _DIGESTS:
            raise _reject(_("The timestamp token names its certificate with an unknown digest."))
        bound = hashes.Hash(_DIGESTS[ess_alg]())
        bound.update(signer_der)
        ok = ess["cert_hash"].native == bound.finalize()
    elif "signing_certificate" in found:
        ok = found["signing_certificate"]["certs"][0]["cert_hash"].native == (
            hashlib.sha1(signer_der).digest()  # ESSCertID (v1) is SHA-1 by definition
        )
    else:
        ok = False
    if not ok:
        raise _reject(
            _("The timestamp token is not bound to the certificate that signed it (ESS).")
        )
    signed_bytes = attrs.dump()
    signed_bytes = b"\x31" + signed_bytes[1:]  # signed over the universal SET OF, not [0]
    signature = signer_info["signature"].native
    key = signer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            scheme = signer_info["signature_algorithm"].signature_algo
            pad: padding.AsymmetricPadding = (
                padding.PSS(padding.MGF1(algorithm), padding.PSS.AUTO)
                if scheme == "rsassa_pss"
                else padding.PKCS1v15()
            )
            key.verify(signature, signed_bytes, pad, algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed_bytes, ec.ECDSA(algorithm))
        else:
            raise _reject(_("The timestamp authority uses an unsupported key type."))
    except InvalidSignature:
        raise _reject(
            _("The timestamp token's signature does not verify: the token was altered.")
        ) from None


def _valid_at(cert: x509.Certificate, when: datetime) -> bool:
    return cert.not_valid_before_utc <= when <= cert.not_valid_after_utc


def _check_chain(
    signer: x509.Certificate,
    embedded: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    gen_time: datetime,
    now: datetime,
) -> list[x509.Certificate]:
    try:
        usage = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is None or ExtendedKeyUsageOID.TIME_STAMPING not in usage:
        raise _reject(_("The signing certificate is not for time-stamping."))
    trusted = {r.public_bytes(serialization.Encoding.DER) for r in roots}
    pool = [*embedded, *roots]
    chain = [signer]
    current = signer
    for _depth in range(8):
        for when in (gen_time, now):
            if not _valid_at(current, when):
                raise _reject(
                    _(
                        "The time-stamping authority's certificate “{name}” is not valid at "
                        "{when} (expired or not yet valid)."
                    ).format(
                        name=current.subject.rfc4514_string(),
                        when=when.strftime("%Y-%m-%d %H:%M UTC"),
                    )
                )
        if current.public_bytes(serialization.Encoding.DER) in trusted:
            return chain
        issuer = None
        for candidate in pool:
            if candidate.subject != current.issuer or candidate == current:
                continue
            try:
                current.verify_directly_issued_by(candidate)
            except (ValueError, TypeError, InvalidSignature):
                continue
            issuer = candidate
            break
        if issuer is None:
            break
        chain.append(issuer)
        current = issuer
    raise _reject(
        _(
            "The time-stamping authority “{name}” is not trusted: its certificate does not lead "
            "to a configured root."
        ).format(name=signer.subject.rfc4514_string())
    )
