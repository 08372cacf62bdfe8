"""`fairdesk-hq`: run the HQ server and administer tenants, users, devices and HQ content.

Every command takes `--db URL`, `--data-dir DIR`, `--blobs DIR|s3://bucket/prefix` (or
`FAIRDESK_HQ_*` environment variables) and `--json` for scripts; the schema is migrated automatically before anything runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from sync.server import __version__, admin, blobgc, epoch, queries, summary, uploads
from sync.server.blobstore import open_store
from sync.server.config import Settings
from sync.server.console import cli_support as console_admin
from sync.server.db import Database, migrate, open_database
from sync.server.errors import ApiError
from sync.server.uploads import LIVE_STATES

GIB = 1024**3


def _common() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--db", help="SQLAlchemy URL (default: SQLite in the data dir)")
    parent.add_argument("--data-dir", type=Path, help="data directory (default: per-user)")
    parent.add_argument(
        "--blobs",
        help="blob folder (default: <data dir>/blobs) or s3://bucket/prefix (endpoint and "
        "credentials from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION)",
    )
    parent.add_argument("--json", action="store_true", help="machine-readable output")
    return parent


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(prog="fairdesk-hq", description=__doc__)
    parser.add_argument("--version", action="version", version=f"fairdesk-hq {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[common], help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--fd", type=int, help="serve on an already bound socket (tests)")
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--forwarded-allow-ips", default="127.0.0.1", help="trusted reverse proxies")

    sub.add_parser("migrate", parents=[common], help="bring the schema up to date")

    tenant = sub.add_parser("tenant", help="tenants").add_subparsers(dest="action", required=True)
    t_add = tenant.add_parser("add", parents=[common])
    t_add.add_argument("name")
    t_add.add_argument("--kind", choices=["company", "guidance"], default="company")
    t_add.add_argument("--quota-gb", type=float, help="blob storage quota in GiB")
    tenant.add_parser("list", parents=[common])

    user = sub.add_parser("user", help="users").add_subparsers(dest="action", required=True)
    u_add = user.add_parser("add", parents=[common])
    u_add.add_argument("name")
    u_add.add_argument("--tenant", required=True)
    u_add.add_argument("--role", required=True, choices=["responder", "legal", "admin", "guidance"])
    u_add.add_argument("--email")
    u_add.add_argument(
        "--password-stdin", action="store_true", help="read a console password from stdin"
    )
    u_pw = user.add_parser("passwd", parents=[common], help="set a web-console password")
    u_pw.add_argument("name")
    u_pw.add_argument("--tenant", required=True)
    u_pw.add_argument("--totp", action="store_true", help="also require a TOTP code")
    u_pw.add_argument("--password-stdin", action="store_true", help="read it from stdin")

    case = sub.add_parser("case", help="cases as HQ sees them").add_subparsers(
        dest="action", required=True
    )
    c_list = case.add_parser("list", parents=[common])
    c_list.add_argument("--tenant", required=True, help="company or guidance centre")
    c_list.add_argument("--search", default="", help="words that must all occur (Chinese too)")
    c_list.add_argument("--level", choices=["red", "yellow", "blue"])
    c_list.add_argument("--status")
    c_list.add_argument("--country", help="ISO code of the fair's country")
    c_list.add_argument("--open-only", action="store_true")
    c_list.add_argument("--limit", type=int, default=1000)
    c_show = case.add_parser("show", parents=[common])
    c_show.add_argument("case_id")
    c_show.add_argument("--tenant", required=True, help="company or guidance centre")
    c_export = case.add_parser(
        "export",
        parents=[common],
        help="verifiable evidence bundle (zip) signed by HQ's key; verify.py inside checks it",
    )
    c_export.add_argument("case_id")
    c_export.add_argument("--tenant", required=True, help="company or guidance centre")
    c_export.add_argument("--out", required=True, type=Path, help="the zip file to write")

    code = sub.add_parser("enroll-code", parents=[common], help="one-time device enrolment code")
    code.add_argument("--tenant", required=True)
    code.add_argument("--role", choices=["responder", "legal", "admin", "guidance"])
    code.add_argument("--expires", default="24h", help="e.g. 30m, 24h, 7d")
    code.add_argument("--user", help="bind the device to this user")

    device = sub.add_parser("device", help="devices").add_subparsers(dest="action", required=True)
    d_list = device.add_parser("list", parents=[common])
    d_list.add_argument("--tenant", required=True)
    d_revoke = device.add_parser("revoke", parents=[common])
    d_revoke.add_argument("device_id")

    esc = sub.add_parser("escalate", parents=[common], help="share a case with a guidance centre")
    esc.add_argument("--tenant", required=True)
    esc.add_argument("--case", required=True)
    esc.add_argument("--to", required=True, help="guidance centre tenant name")

    alert = sub.add_parser("alert", help="risk alerts").add_subparsers(dest="action", required=True)
    a_pub = alert.add_parser("publish", parents=[common])
    a_pub.add_argument("--title", required=True, help="title in English")
    a_pub.add_argument("--title-zh", default="", help="title in Chinese")
    a_pub.add_argument("--body", "--text", dest="body", required=True, help="text in English")
    a_pub.add_argument("--body-zh", "--text-zh", dest="body_zh", default="", help="text in Chinese")
    a_pub.add_argument("--level", choices=["red", "yellow", "blue"], help="default: yellow")
    a_pub.add_argument(
        "--severity", choices=["info", "warning", "critical"], help="same scale as --level"
    )
    a_pub.add_argument("--country", action="append", help="ISO code; repeat or comma-separate")
    a_pub.add_argument("--fair", action="append", help="fair name; repeat for several")
    a_pub.add_argument("--goods", action="append", help="goods category, e.g. hs85; repeatable")
    a_pub.add_argument("--valid-from", help="ISO 8601 date or time (default: now)")
    a_pub.add_argument("--valid-until", help="ISO 8601 date or time (default: no end)")
    a_pub.add_argument("--tenant", help="only for this tenant (default: everyone)")
    a_acks = alert.add_parser("acks", parents=[common], help="acknowledgements from devices")
    a_acks.add_argument("--tenant", help="only this tenant's devices")
    a_acks.add_argument("--alert", help="only this alert")

    ref = sub.add_parser("reference", help="reference data").add_subparsers(
        dest="action", required=True
    )
    r_pub = ref.add_parser("publish", parents=[common])
    r_pub.add_argument("--kind", required=True, help="e.g. law, procedure, expert")
    r_pub.add_argument("--key", required=True)
    r_pub.add_argument("--data", required=True, help="JSON object, or @file.json")
    r_pub.add_argument("--tenant")
    r_pub.add_argument("--delete", action="store_true")

    up = sub.add_parser("uploads", help="unfinished blob uploads and their quota reservations")
    up_actions = up.add_subparsers(dest="action", required=True)
    up_list = up_actions.add_parser("list", parents=[common], help="live reservations")
    up_list.add_argument("--tenant", help="only this tenant")
    up_list.add_argument("--all", action="store_true", help="also finished and failed uploads")
    up_actions.add_parser(
        "expire", parents=[common], help="end lapsed reservations, remove leftover upload bytes"
    )

    gc = sub.add_parser(
        "gc",
        parents=[common],
        help="delete blobs no live record references (after the grace period)",
    )
    gc.add_argument("--dry-run", action="store_true", help="list what would go, change nothing")

    prune = sub.add_parser(
        "prune", parents=[common], help="drop superseded change-log rows and old tokens"
    )
    prune.add_argument("--keep-days", type=int, default=90)

    sub.add_parser(
        "new-epoch",
        parents=[common],
        help="after restoring a backup: every device re-pushes what HQ lacks and pulls again",
    )
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if args.data_dir is not None:
        overrides["data_dir"] = args.data_dir
    if args.db:
        overrides["database_url"] = args.db
    if args.blobs is not None:
        if args.blobs.startswith("s3://"):
            overrides["blobs_url"] = args.blobs
        else:
            overrides["blobs_dir"] = Path(args.blobs)
    return Settings(**overrides)


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=None if args.json else 2) if args.json else text)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from sync.server.connection import H11_BUFFER_BYTES, HqHTTPProtocol

    settings.prepare()
    db = open_database(settings.resolved_database_url())
    migrate(db.engine)
    db.dispose()
    # Workers are separate processes: hand them the resolved settings through the environment.
    os.environ["FAIRDESK_HQ_DATA_DIR"] = str(settings.data_dir)
    os.environ["FAIRDESK_HQ_DATABASE_URL"] = settings.resolved_database_url()
    os.environ["FAIRDESK_HQ_BLOBS_DIR"] = str(settings.resolved_blobs_dir())
    os.environ["FAIRDESK_HQ_BLOBS_URL"] = settings.blobs_url
    # The TSA key is created once here, before the workers start (they only read it).
    from sync.server import tsa

    tsa.load_or_create(settings.resolved_tsa_dir())
    os.environ["FAIRDESK_HQ_TSA_DIR"] = str(settings.resolved_tsa_dir())
    os.environ["FAIRDESK_HQ_MIGRATE_ON_START"] = "0"
    uvicorn.run(
        "sync.server.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        fd=args.fd,
        workers=args.workers,
        log_level=args.log_level,
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        server_header=False,
        timeout_keep_alive=30,
        http=HqHTTPProtocol,
        h11_max_incomplete_event_size=H11_BUFFER_BYTES,
    )
    return 0


def _run_admin(args: argparse.Namespace, session: Session) -> tuple[Any, str]:
    command = (
        args.command
        if args.command not in ("tenant", "user", "device", "alert", "reference", "uploads", "case")
        else f"{args.command} {args.action}"
    )
    if command == "tenant add":
        quota = (
            int(args.quota_gb * GIB)
            if args.quota_gb is not None
            else settings_from(args).default_quota_bytes
        )
        t = admin.add_tenant(session, args.name, args.kind, quota)
        return {
            "tenant_id": t.id,
            "name": t.name,
            "kind": t.kind,
        }, f"tenant {t.name} ({t.kind}) {t.id}"
    if command == "tenant list":
        from sqlalchemy import select

        from sync.server.models import Tenant

        rows = [
            {"tenant_id": t.id, "name": t.name, "kind": t.kind}
            for t in session.scalars(select(Tenant).order_by(Tenant.name))
        ]
        return rows, "\n".join(f"{r['name']}\t{r['kind']}\t{r['tenant_id']}" for r in rows)
    if command == "user add":
        u = admin.add_user(session, args.tenant, args.name, args.role, args.email)
        if args.password_stdin:
            console_admin.set_password(session, u, _read_password(), with_totp=False)
        return {"user_id": u.id, "name": u.name, "role": u.role}, f"user {u.name} ({u.role}) {u.id}"
    if command == "user passwd":
        user = console_admin.user_by_name(session, args.tenant, args.name)
        password = _read_password() if args.password_stdin else _prompt_password()
        secret = console_admin.set_password(session, user, password, with_totp=args.totp)
        data = {"user_id": user.id, "totp_secret": secret}
        text = f"console password set for {user.name}"
        if secret:
            data["totp_uri"] = console_admin.totp_uri(secret, args.tenant, user.name)
            text += f"\nTOTP secret (add it to an authenticator app): {secret}\n{data['totp_uri']}"
        return data, text
    if command in ("case list", "case show"):
        scope = console_admin.scope_of(session, args.tenant)
        cases = summary.SummarySession(session)  # `main` caught the summary up just before
        if command == "case show":
            return console_admin.show_case(cases, scope, args.case_id)
        flt = queries.CaseFilter(
            level=args.level,
            status=args.status,
            country=args.country,
            search=args.search,
            open_only=args.open_only,
            limit=args.limit,
        )
        rows = queries.list_cases(cases, scope, flt)
        return rows, "\n".join(
            f"{r['level'] or '-'}\t{r['next_deadline'] or '-'}\t{r['id']}\t{r['title']}"
            for r in rows
        ) or "no cases"
    if command == "enroll-code":
        code = admin.make_enroll_code(
            session, args.tenant, args.role, admin.parse_duration(args.expires), args.user
        )
        return {"code": code}, code
    if command == "device list":
        devices = admin.list_devices(session, admin.tenant_by_name(session, args.tenant).id)
        rows = [d.model_dump() for d in devices]
        return rows, "\n".join(
            f"{d.device_id}\t{d.role}\t{'revoked' if d.revoked else 'active'}\t{d.name}"
            for d in devices
        )
    if command == "device revoke":
        info = admin.revoke_device(session, None, args.device_id)
        return info.model_dump(), f"revoked {info.device_id}"
    if command == "escalate":
        tenant = admin.tenant_by_name(session, args.tenant)
        esc = admin.escalate(session, tenant.id, args.case, args.to)
        return esc.model_dump(), f"case {esc.case_id} escalated to {esc.guidance_centre}"
    if command == "alert publish":
        a = admin.publish_alert(
            session,
            args.title,
            args.body,
            args.severity,
            None,
            args.tenant,
            level=args.level,
            title_zh=args.title_zh,
            body_zh=args.body_zh,
            countries=args.country,
            fairs=args.fair,
            goods=args.goods,
            valid_from=args.valid_from,
            valid_until=args.valid_until,
        )
        return {"alert_id": a.id, "seq": a.seq}, f"alert {a.id} published (seq {a.seq})"
    if command == "alert acks":
        acks = admin.alert_acks(session, args.tenant, args.alert)
        return [a.model_dump() for a in acks], "\n".join(
            f"{a.acknowledged_at}\t{a.alert_id}\t{a.user}\t{a.device_name or a.device_id}"
            for a in acks
        ) or "no acknowledgements"
    if command == "reference publish":
        raw = Path(args.data[1:]).read_text("utf-8") if args.data.startswith("@") else args.data
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise admin.AdminError("--data must be a JSON object")
        e = admin.publish_reference(session, args.kind, args.key, data, args.tenant, args.delete)
        return {
            "seq": e.seq,
            "kind": e.kind,
            "key": e.key,
        }, f"{e.kind}/{e.key} published (seq {e.seq})"
    if command == "uploads list":
        tenant_id = admin.tenant_by_name(session, args.tenant).id if args.tenant else None
        listed = [asdict(u) for u in uploads.list_uploads(session, tenant_id, args.all)]
        return listed, "\n".join(
            f"{u['upload_id']}\t{u['tenant']}\t{u['state']}"
            f"{'' if u['reserved'] or u['state'] not in LIVE_STATES else ' (lapsed)'}"
            f"\t{u['offset']}/{u['length']}\t{u['expires_at']}\t{u['digest']}"
            for u in listed
        ) or "no unfinished uploads"
    if command == "prune":
        removed = admin.prune(session, args.keep_days)
        tokens = admin.prune_tokens(session, args.keep_days)
        return {"removed": removed, "tokens_removed": tokens}, (
            f"removed {removed} superseded change-log rows and {tokens} expired or spent tokens"
        )
    if command == "new-epoch":
        count = epoch.replace_all(session)
        return {"tenants": count}, (
            f"new epoch for {count} tenants: every device will re-push and resync"
        )
    raise admin.AdminError(f"unknown command {command}")


def _read_password() -> str:
    return sys.stdin.readline().rstrip("\n")


def _prompt_password() -> str:
    import getpass

    first = getpass.getpass("New console password: ")
    if getpass.getpass("Again: ") != first:
        raise admin.AdminError("the two passwords differ")
    return first


def _export(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """`case export`: the bundle, then one line in the console's audit log."""
    from sync.server import bundles
    from sync.server.console import audit

    store = open_store(settings)
    with summary.reading(db) as session:
        scope = console_admin.scope_of(session, args.tenant)
        try:
            result = bundles.export_case(
                session,
                store,
                scope,
                args.case_id,
                args.out,
                data_dir=settings.data_dir,
                exported_by="fairdesk-hq case export",
            )
        except queries.CaseNotFound:
            raise admin.AdminError(f"no case {args.case_id!r} for this tenant") from None
        except bundles.ExportRefused as exc:
            raise admin.AdminError(exc.message) from None
        except OSError as exc:
            raise admin.AdminError(
                f"the bundle could not be written to {args.out} ({exc.strerror or exc}); "
                "nothing was exported"
            ) from None
    with db.writing() as session:
        audit.record(
            session,
            None,
            "export case",
            args.case_id,
            f"sha256={result.sha256} key={result.key_fingerprint}",
            tenant_id=scope.tenant_id,
            user_name="command line",
        )
    _emit(
        args,
        json.loads(bundles.summary_json(result)),
        f"{result.path}: {result.items} originals, {result.documents} documents, SHA-256 "
        f"{result.sha256}\nsigned by HQ key {result.key_fingerprint}",
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = settings_from(args)
    if args.command == "serve":
        return _serve(args, settings)
    settings.prepare()
    db = open_database(settings.resolved_database_url())
    try:
        migrate(db.engine)
        if args.command == "migrate":
            _emit(args, {"migrated": True}, "schema up to date")
            return 0
        if args.command == "uploads" and args.action == "expire":
            # Not one transaction: each upload's files are removed under that upload's lock.
            store = open_store(settings)
            report = uploads.UploadService(db, store, settings).expire()
            _emit(
                args,
                asdict(report),
                f"{report.expired} reservations expired, leftover bytes of "
                f"{report.files_removed} uploads removed, {report.busy} busy (left for next time)",
            )
            return 0
        if args.command == "case" and args.action == "export":
            return _export(args, settings, db)
        if args.command == "gc":
            gc_report = blobgc.collect(db, open_store(settings), settings, args.dry_run)
            verb = "would delete" if args.dry_run else "deleted"
            _emit(
                args,
                gc_report.as_json(),
                f"{verb} {len(gc_report.objects_deleted)} objects ({gc_report.bytes_deleted} bytes)"
                f" and released {len(gc_report.claims_released)} tenant claims; "
                f"{gc_report.newly_unreferenced} newly unreferenced (grace "
                f"{gc_report.grace_days:g} days starts now), {gc_report.kept_in_grace} in grace, "
                f"{len(gc_report.kept_live_upload)} kept for a live upload"
                + "".join(f"\n  {sha}" for sha in gc_report.objects_deleted),
            )
            return 0
        if args.command == "case":  # list, show: read from the case summary
            summary.catch_up(db)
        with db.writing() as session:
            data, text = _run_admin(args, session)
        _emit(args, data, text)
        return 0
    except (admin.AdminError, ApiError) as exc:
        message = exc.message if isinstance(exc, ApiError) else str(exc)
        print(
            json.dumps({"error": message}) if args.json else f"fairdesk-hq: {message}",
            file=sys.stderr,
        )
        return 2
    finally:
        db.dispose()
