"""HQ as an RFC 3161 time-stamping authority for its devices' custody-log heads.

Key and certificates live in the TSA folder (``<data dir>/tsa`` unless ``FAIRDESK_HQ_TSA_DIR``
says otherwise): ``tsa-key.pem`` (the signing key) and ``tsa-chain.pem`` (the signing
certificate first, then its issuers up to the root). A company that has its own TSA
certificate puts those two files there; otherwise the first start generates a small private
PKI — a root ("FairDesk HQ TSA root") and an ECDSA P-256 signing certificate with the critical
time-stamping key usage it issues — written atomically so that several workers starting at
once end up with one key.

Requests and replies are built with asn1crypto (ASN.1/CMS structures) and signed with
``cryptography``; no DER is written by hand. Every token issued is logged in ``tsa_tokens``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy.orm import Session

from sync.server.models import TsaToken

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
KEY_NAME = "tsa-key.pem"
CHAIN_NAME = "tsa-chain.pem"
# A policy OID of our own under the UUID arc (2.25, ITU-T X.667): no registration needed.
POLICY_OID = "2.25." + str(uuid.UUID("6f1d2a4e-4f0b-4d7e-9c1a-fa10de500001").int)
ACCEPTED_DIGESTS = {"sha256": 32, "sha384": 48, "sha512": 64}
CERT_YEARS = 10


class TsaSetupError(RuntimeError):
    """The TSA folder holds files that cannot be used (a sentence for the operator)."""


@dataclass(frozen=True)
class Authority:
    key: ec.EllipticCurvePrivateKey
    chain: tuple[x509.Certificate, ...]  # signer first

    @property
    def signer(self) -> x509.Certificate:
        return self.chain[0]

    def chain_pem(self) -> str:
        return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in self.chain)

    def root_pem(self) -> str:
        return self.chain[-1].public_bytes(serialization.Encoding.PEM).decode()


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "FairDesk HQ"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _generate(folder: Path) -> None:
    now = datetime.now(UTC) - timedelta(minutes=5)
    until = now + timedelta(days=365 * CERT_YEARS)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name("FairDesk HQ TSA root")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    signer = (
        x509.CertificateBuilder()
        .subject_name(_name("FairDesk HQ time-stamping authority"))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    # The root's key is not kept: nothing else is ever issued under it.
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(folder / KEY_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_pem)
        handle.flush()
        os.fsync(handle.fileno())
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (signer, root))
    (folder / CHAIN_NAME).write_bytes(chain)


def load_or_create(folder: Path) -> Authority:
    """The TSA in ``folder``; generated there on first use (atomically: one winner)."""
    folder = Path(folder)
    if not (folder / KEY_NAME).exists():
        folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = Path(tempfile.mkdtemp(prefix=".tsa-", dir=folder.parent))
        try:
            _generate(temp)
            with contextlib.suppress(OSError):  # another worker won the race: use theirs
                os.rename(temp, folder)
        finally:
            shutil.rmtree(temp, ignore_errors=True)
    try:
        key = serialization.load_pem_private_key((folder / KEY_NAME).read_bytes(), password=None)
        chain = tuple(x509.load_pem_x509_certificates((folder / CHAIN_NAME).read_bytes()))
    except (OSError, ValueError) as exc:
        raise TsaSetupError(
            f"the TSA key or certificates in {folder} cannot be read: {exc}"
        ) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TsaSetupError(f"the TSA key in {folder} must be an EC key")
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if chain[0].public_key().public_bytes(
        serialization.Encoding.DER, spki
    ) != key.public_key().public_bytes(serialization.Encoding.DER, spki):
        raise TsaSetupError(f"the first certificate in {folder / CHAIN_NAME} is not the key's")
    return Authority(key, chain)


class _StatusOnly(core.Sequence):  # type: ignore[misc]
    """A TimeStampResp without a token (asn1crypto's own class insists on one)."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [("status", tsp.PKIStatusInfo)]


class BadRequest(ValueError):
    """A request we answer with an RFC 3161 rejection (reason in ``fail_info``)."""

    def __init__(self, fail_info: str, text: str) -> None:
        super().__init__(text)
        self.fail_info = fail_info


def _reply(status: str, text: str | None = None, fail_info: str | None = None) -> bytes:
    info: dict[str, object] = {"status": status}
    if text:
        info["status_string"] = [text]
    if fail_info:
        info["fail_info"] = {fail_info}
    reply: bytes = _StatusOnly({"status": info}).dump()
    return reply


def rejection(error: BadRequest) -> bytes:
    return _reply("rejection", str(error), error.fail_info)


def parse_request(body: bytes) -> tsp.TimeStampReq:
    try:
        request = tsp.TimeStampReq.load(body, strict=True)
        algorithm = request["message_imprint"]["hash_algorithm"]["algorithm"].native
        digest = request["message_imprint"]["hashed_message"].native
        _ = request["nonce"].native, request["cert_req"].native, request["version"].native
    except (ValueError, TypeError, KeyError) as exc:
        raise BadRequest("bad_data_format", "not an RFC 3161 TimeStampReq") from exc
    if algorithm not in ACCEPTED_DIGESTS:
        raise BadRequest("bad_alg", f"unsupported digest {algorithm}")
    if len(digest) != ACCEPTED_DIGESTS[algorithm]:
        raise BadRequest("bad_data_format", "digest length does not match its algorithm")
    if request["req_policy"].native not in (None, POLICY_OID):
        raise BadRequest("unaccepted_policy", "unknown policy")
    return request


def _ess_v2(cert: x509.Certificate) -> tsp.SigningCertificateV2:
    der = cert.public_bytes(serialization.Encoding.DER)
    parsed = asn1_x509.Certificate.load(der)
    return tsp.SigningCertificateV2(
        {
            "certs": [
                {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "cert_hash": hashlib.sha256(der).digest(),
                    "issuer_serial": {
                        "issuer": [asn1_x509.GeneralName({"directory_name": parsed.issuer})],
                        "serial_number": parsed.serial_number,
                    },
                }
            ]
        }
    )


def issue(authority: Authority, request: tsp.TimeStampReq, now: datetime) -> tuple[bytes, str]:
    """A granted TimeStampResp for ``request`` and the token's serial number (decimal)."""
    serial = secrets.randbits(127)
    tst_info = tsp.TSTInfo(
        {
            "version": "v1",
            "policy": POLICY_OID,
            "message_imprint": request["message_imprint"],
            "serial_number": serial,
            "gen_time": core.GeneralizedTime(now.astimezone(UTC).replace(microsecond=0)),
            "accuracy": {"seconds": 1},
            "ordering": False,
            "nonce": request["nonce"].native,
        }
    )
    tst_bytes = tst_info.dump()
    signer_der = authority.signer.public_bytes(serialization.Encoding.DER)
    signer = asn1_x509.Certificate.load(signer_der)
    signed_attrs = cms.CMSAttributes(
        [
            {"type": "content_type", "values": ["tst_info"]},
            {"type": "signing_time", "values": [cms.Time({"utc_time": now.astimezone(UTC)})]},
            {"type": "message_digest", "values": [hashlib.sha256(tst_bytes).digest()]},
            {"type": "signing_certificate_v2", "values": [_ess_v2(authority.signer)]},
        ]
    )
    signature = authority.key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
    certificates = (
        [
            asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
            for c in authority.chain
        ]
        if request["cert_req"].native
        else []
    )
    signed_data = {
        "version": "v3",
        "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
        "encap_content_info": {
            "content_type": "tst_info",
            "content": cms.ParsableOctetString(tst_bytes),
        },
        "signer_infos": [
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {
                        "issuer_and_serial_number": {
                            "issuer": signer.issuer,
                            "serial_number": signer.serial_number,
                        }
                    }
                ),
                "digest_algorithm": {"algorithm": "sha256"},
                "signed_attrs": signed_attrs,
                "signature_algorithm": {"algorithm": "sha256_ecdsa"},
                "signature": signature,
            }
        ],
    }
    if certificates:
        signed_data["certificates"] = certificates
    token = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)})
    response = tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})
    return response.dump(), str(serial)


def answer(
    session: Session,
    authority: Authority,
    body: bytes,
    *,
    tenant_id: str,
    device_id: str,
    now: datetime | None = None,
) -> bytes:
    """The reply for one request body; every granted token is logged in the caller's session."""
    now = now or datetime.now(UTC)
    try:
        request = parse_request(body)
    except BadRequest as exc:
        return rejection(exc)
    reply, serial = issue(authority, request, now)
    session.add(
        TsaToken(
            serial=serial,
            tenant_id=tenant_id,
            device_id=device_id,
            hash_algorithm=request["message_imprint"]["hash_algorithm"]["algorithm"].native,
            imprint=request["message_imprint"]["hashed_message"].native.hex(),
            gen_time=now.replace(microsecond=0),
            reply_sha256=hashlib.sha256(reply).hexdigest(),
        )
    )
    return reply
