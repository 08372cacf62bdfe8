"""``fairdesk receive CASE``: open the phone intake for a case from the command line.

Prints the address, the one-time pairing token and the certificate fingerprint (with
``--json``: one JSON object per line — first ``{"url", "pairing_url", "token",
"fingerprint", "case_id"}``, then one object per event: ``{"event": "phone" | "token" |
"file" | "closed", ...}``), then logs every received file until SIGINT or SIGTERM, or until
30 minutes pass without a request. Listens on 127.0.0.1 unless ``--host`` names the address
of the network the phones are on.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from datetime import timedelta
from typing import Any

from fairdesk import cases
from fairdesk.cli.common import add_subcommand, open_from_args
from fairdesk.i18n import _
from fairdesk.intake.server import IntakeServer
from fairdesk.intake.session import (
    DEFAULT_MAX_FILE,
    IntakeEvent,
    IntakeSession,
    Phone,
    Received,
)


def register(subparsers: Any) -> None:
    parser = add_subcommand(subparsers, "receive", _("receive photos from phones into a case"))
    parser.add_argument("case", metavar="CASE", help=_("case id or number"))
    parser.add_argument(
        "--host", default="127.0.0.1", help=_("address to listen on (default: 127.0.0.1)")
    )
    parser.add_argument("--port", type=int, default=0, help=_("port (default: any free port)"))
    parser.add_argument(
        "--max-size-mb",
        type=float,
        default=DEFAULT_MAX_FILE / (1 << 20),
        help=_("largest file accepted, in MB"),
    )
    parser.add_argument(
        "--idle-minutes", type=float, default=30, help=_("close after this many idle minutes")
    )
    parser.add_argument("--json", action="store_true", help=_("print JSON lines"))
    parser.set_defaults(handler=_cmd_receive)


def _line(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _cmd_receive(args: argparse.Namespace) -> int:
    store = open_from_args(args, create=False)
    try:
        case_id = cases.get_case(store, args.case).case.id
        session = IntakeSession(
            store,
            case_id,
            max_file_size=int(args.max_size_mb * (1 << 20)),
            idle_timeout=timedelta(minutes=args.idle_minutes),
        )
        try:
            server = IntakeServer(session, args.host, args.port)
        except OSError as exc:
            session.close()
            print(
                _("fairdesk: cannot listen on {host}:{port} ({error}).").format(
                    host=args.host, port=args.port, error=exc.strerror or exc
                ),
                file=sys.stderr,
            )
            return 1
        stop = threading.Event()

        def on_event(event: IntakeEvent, payload: Any) -> None:
            if args.json:
                _line({"event": event, **_event_json(event, payload, server)})
            else:
                print(_event_text(event, payload, server), flush=True)
            if event == IntakeEvent.CLOSED:
                stop.set()

        session.subscribe(on_event)
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_args: stop.set())
        if args.json:
            _line(
                {
                    "url": server.url,
                    "pairing_url": server.pairing_url,
                    "token": session.token,
                    "fingerprint": server.certificate.fingerprint,
                    "case_id": case_id,
                }
            )
        else:
            print(_("Receiving into case {case} at {url}").format(case=args.case, url=server.url))
            print(_("Pairing address: {url}").format(url=server.pairing_url))
            print(
                _("Certificate fingerprint (SHA-256): {fp}").format(
                    fp=server.certificate.fingerprint
                )
            )
            print(_("Stop with Ctrl+C."), flush=True)
        while not stop.wait(0.5):  # a short wait keeps signal handlers responsive
            pass
        server.close()
    finally:
        store.close()
    return 0


def _event_json(event: IntakeEvent, payload: Any, server: IntakeServer) -> dict[str, Any]:
    if isinstance(payload, Phone):
        return {"phone_id": payload.id, "name": payload.name, "address": payload.address}
    if isinstance(payload, Received):
        return {
            "phone": payload.phone_name,
            "name": payload.name,
            "size": payload.size,
            "status": payload.status,
            "sha256": payload.sha256 or None,
            "reason": payload.reason,
            "item_id": payload.item_id or None,
            "hashed_on_phone": payload.hashed_on_phone,
        }
    if event == IntakeEvent.TOKEN:
        return {"token": payload, "pairing_url": server.pairing_url}
    return {"reason": str(payload)}


def _event_text(event: IntakeEvent, payload: Any, server: IntakeServer) -> str:
    if isinstance(payload, Phone):
        return _("Phone connected: {name} ({address})").format(
            name=payload.name, address=payload.address
        )
    if isinstance(payload, Received):
        return _("{status}: {name} from {phone} — SHA-256 {sha} {reason}").format(
            status=payload.status,
            name=payload.name,
            phone=payload.phone_name,
            sha=payload.sha256 or "—",
            reason=payload.reason,
        )
    if event == IntakeEvent.TOKEN:
        return _("Next phone: {url}").format(url=server.pairing_url)
    return _("Intake closed ({reason}).").format(reason=payload)
