"""A second, independent RFC 3161 TSA for tests: `openssl ts -reply` with its own CA and key.

:func:`make_pki` writes a root CA and a time-stamping certificate (optionally already
expired) with `cryptography`; the tokens themselves are made by the `openssl` binary, so the
client is tested against an implementation that is not ours. :class:`OpensslTsa` serves it
on 127.0.0.1 over HTTP (a tiny `http.server` thread that shells out to openssl) and can be
told to misbehave: answer HTML, garbage, a tampered token, or a token for another digest.
"""

from __future__ import annotations

import hashlib
import subprocess
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REPLY_TYPE = "application/timestamp-reply"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass(frozen=True)
class Pki:
    folder: Path
    root_pem: Path
    tsa_cert: Path
    tsa_key: Path
    config: Path


def make_pki(folder: Path, *, expired: bool = False, name: str = "Test TSA") -> Pki:
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{name} root"))
        .issuer_name(_name(f"{name} root"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=800))
        .not_valid_after(now + timedelta(days=800))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start, end = (
        (now - timedelta(days=400), now - timedelta(days=30))
        if expired
        else (now - timedelta(days=1), now + timedelta(days=400))
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(f"{name} root"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    pki = Pki(
        folder,
        folder / "root.pem",
        folder / "tsa.pem",
        folder / "tsa.key",
        folder / "tsa.cnf",
    )
    pki.root_pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    pki.tsa_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pki.tsa_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (folder / "serial").write_text("01\n")
    pki.config.write_text(
        f"""[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = {folder}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/root.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""
    )
    return pki


def openssl_reply(pki: Pki, request: bytes) -> bytes:
    """`openssl ts -reply` for one DER request (runs the real binary)."""
    query = pki.folder / f"q-{hashlib.sha256(request).hexdigest()[:16]}.tsq"
    query.write_bytes(request)
    result = subprocess.run(
        ["openssl", "ts", "-reply", "-config", str(pki.config), "-queryfile", str(query)],
        capture_output=True,
        check=True,
        timeout=30,
    )
    query.unlink()
    return result.stdout


def openssl_verify(data: Path, token: Path, ca_file: Path, *, token_in: bool = True) -> str:
    """`openssl ts -verify`; returns its output, raises AssertionError when it fails."""
    args = ["openssl", "ts", "-verify", "-data", str(data), "-in", str(token)]
    if token_in:
        args.append("-token_in")
    args += ["-CAfile", str(ca_file)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "Verification: OK" in output, output
    return output


def tamper_token(reply: bytes) -> bytes:
    """Change the last digit of the signed genTime (one byte inside the signed TSTInfo)."""
    response = tsp.TimeStampResp.load(reply)
    tst = response["time_stamp_token"]["content"]["encap_content_info"]["content"].contents
    gen_time = tsp.TSTInfo.load(tst)["gen_time"].contents  # e.g. b"20261204171142Z"
    at = reply.index(gen_time) + len(gen_time) - 2  # the seconds' last digit, unique bytes
    digit = reply[at]
    return reply[:at] + bytes([ord("0") + (digit - ord("0") + 1) % 10]) + reply[at + 1 :]


def other_digest_request(request: bytes) -> bytes:
    """The same request (same nonce) but for another digest: a token for another head."""
    parsed = tsp.TimeStampReq.load(request)
    request_for_other = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": hashlib.sha256(b"another head").digest(),
            },
            "nonce": parsed["nonce"].native,
            "cert_req": True,
        }
    )
    return bytes(request_for_other.dump())


@dataclass
class OpensslTsa:
    """`openssl ts -reply` served on 127.0.0.1; ``mode`` says how it answers."""

    pki: Pki
    mode: str = "ok"  # ok | html | garbage | tampered | other_head
    requests: list[bytes] = field(default_factory=list)
    url: str = ""
    _server: ThreadingHTTPServer | None = None

    def __enter__(self) -> OpensslTsa:
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                tsa.requests.append(body)
                content_type, answer = REPLY_TYPE, b""
                if tsa.mode == "html":
                    content_type = "text/html; charset=utf-8"
                    answer = b"<html><body>Welcome to Messe Wi-Fi. Please log in.</body></html>"
                elif tsa.mode == "garbage":
                    answer = b"\x30\x03\x02\x01" + b"not der at all"
                elif tsa.mode == "other_head":
                    answer = openssl_reply(tsa.pki, other_digest_request(body))
                else:
                    answer = openssl_reply(tsa.pki, body)
                    if tsa.mode == "tampered":
                        answer = tamper_token(answer)
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/tsa"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
