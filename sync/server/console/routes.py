"""The console's pages and form actions under `/console` (mounted by `sync.server.app`).

Every page needs a session (else: the sign-in page); every POST needs the session's CSRF token
in the form and, when the browser sends one, an `Origin` equal to the server's. Objects outside
the signed-in person's scope answer 404, exactly like unknown ones.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import or_, select
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from sync.server import admin, alerts, bundles, queries, summary
from sync.server.blobstore import BlobStore
from sync.server.config import Settings
from sync.server.console import audit, auth, web
from sync.server.console.i18n import LANGUAGES, N_, resources_root
from sync.server.db import Database
from sync.server.errors import ApiError
from sync.server.models import AlertAck, Device, Escalation, RiskAlert, Tenant

PREFIX = "/console"
SESSION_COOKIE = "fdhq_session"
LOGIN_COOKIE = "fdhq_login"
MAX_FORM_BYTES = 64 * 1024
SIZES = {"thumb": 320, "view": 1600}
_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")

router = APIRouter(prefix=PREFIX, include_in_schema=False)


class _SignInNeeded(Exception):
    pass


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _staff(request: Request) -> auth.Staff:
    token = request.cookies.get(web.cookie_name(SESSION_COOKIE))
    with _db(request).writing() as session:
        staff = auth.session_staff(session, token)
    if staff is None:
        raise _SignInNeeded()
    return staff


def _audit(
    request: Request, staff: auth.Staff, action: str, target: str = "", detail: str = ""
) -> None:
    with _db(request).writing() as session:
        audit.record(session, staff, action, target, detail, _ip(request))


def _scope(staff: auth.Staff) -> queries.Scope:
    return queries.Scope(staff.tenant_id, staff.is_guidance)


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise _Refused(404, N_("Not found."))
    return value


async def _form(request: Request, staff: auth.Staff | None) -> dict[str, str]:
    """The posted form, after the CSRF and Origin checks."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise _Refused(415, N_("This form could not be read. Reload the page and try again."))
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise _Refused(413, N_("This form is too large."))
    fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    origin = request.headers.get("origin")
    if origin and origin != "null":
        own = f"{request.url.scheme}://{request.url.netloc}"
        if origin != own:
            raise _Refused(403, N_("This form came from another site and was refused."))
    if staff is not None and not auth.csrf_ok(staff.csrf_token, fields.get("csrf")):
        raise _Refused(403, N_("This form has expired. Reload the page and try again."))
    return fields


def _page(request: Request, staff: auth.Staff, template: str, **context: Any) -> Response:
    return web.render(request, template, {"staff": staff, **context})


# --- sign-in ---------------------------------------------------------------------------------


def _login_page(request: Request, message: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = web.render(
        request, "login.html", {"staff": None, "login_csrf": token, "message": message}, status
    )
    web.set_cookie(response, LOGIN_COOKIE, token, max_age=3600)
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    fields = await _form(request, None)
    expected = request.cookies.get(web.cookie_name(LOGIN_COOKIE), "")
    if not expected or not auth.csrf_ok(expected, fields.get("csrf")):
        return _login_page(
            request, N_("This form has expired. Reload the page and try again."), 403
        )
    tenant, name = fields.get("tenant", ""), fields.get("name", "")
    failure: auth.SignInError | None = None
    # One transaction, committed either way: a failure must count towards the lock-out.
    with _db(request).writing() as session:
        try:
            token, staff = auth.sign_in(
                session, tenant, name, fields.get("password", ""), fields.get("code", "")
            )
        except auth.SignInError as exc:
            failure = exc
            row = session.scalars(select(Tenant.id).where(Tenant.name == tenant.strip())).first()
            audit.record(
                session,
                None,
                "sign-in failed",
                detail=str(exc),
                ip=_ip(request),
                tenant_id=row,
                user_name=name.strip(),
            )
        else:
            audit.record(session, staff, "sign-in", ip=_ip(request))
    if failure is not None:
        response = _login_page(request, str(failure), 429 if failure.retry_after else 401)
        if failure.retry_after:
            response.headers["Retry-After"] = str(failure.retry_after)
        return response
    response = RedirectResponse(f"{PREFIX}/cases", status_code=303)
    web.set_cookie(response, SESSION_COOKIE, token, max_age=int(auth.ABSOLUTE.total_seconds()))
    response.delete_cookie(web.cookie_name(LOGIN_COOKIE), path="/")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    staff = _staff(request)
    await _form(request, staff)
    with _db(request).writing() as session:
        auth.sign_out(session, request.cookies.get(web.cookie_name(SESSION_COOKIE)))
        audit.record(session, staff, "sign-out", ip=_ip(request))
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(web.cookie_name(SESSION_COOKIE), path="/")
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "") -> Response:
    # Only a path inside the console: never an open redirect.
    target = next if next.startswith(PREFIX + "/") and not next.startswith("//") else PREFIX
    response = RedirectResponse(target, status_code=303)
    if code in LANGUAGES:
        response.set_cookie(
            web.LANG_COOKIE,
            code,
            max_age=365 * 86400,
            path="/",
            samesite="lax",
            secure=web.secure_cookies(),
        )
    return response


@router.get("")
@router.get("/")
def home() -> Response:
    return RedirectResponse(f"{PREFIX}/cases", status_code=303)


@router.get("/static/{name}")
def static(name: str) -> Response:
    folder = resources_root() / "hq-console" / "static"
    path = (folder / name).resolve()
    if path.parent != folder.resolve() or not path.is_file():
        raise _Refused(404, N_("Not found."))
    return FileResponse(path, headers={"Cache-Control": "max-age=3600"})


FONTS = ("NotoSansSC_400Regular.ttf", "NotoSansSC_700Bold.ttf")


@router.get("/fonts/{name}")
def font(name: str) -> Response:
    """The bundled Noto Sans SC, for browsers of machines without a Chinese font (OFL 1.1)."""
    if name not in FONTS:
        raise _Refused(404, N_("Not found."))
    return FileResponse(
        resources_root() / "fonts" / name,
        media_type="font/ttf",
        headers={"Cache-Control": "public, max-age=604800"},
    )


# --- cases -----------------------------------------------------------------------------------


@router.get("/cases")
def case_list(
    request: Request,
    q: str = "",
    level: str = "",
    status: str = "",
    country: str = "",
    open: str = "",
) -> Response:
    staff = _staff(request)
    flt = queries.CaseFilter(
        level=level or None,
        status=status or None,
        country=country or None,
        search=q[: queries.MAX_QUERY_CHARS],
        open_only=bool(open),
        limit=queries.PAGE_SIZE,
    )
    with summary.reading(_db(request)) as session:
        rows = queries.list_cases(session, _scope(staff), flt)
    _audit(request, staff, "view cases", detail=f"q={q[:100]} level={level} country={country}")
    return _page(request, staff, "cases.html", cases=rows, flt=flt, q=q, open=bool(open))


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: str) -> Response:
    staff = _staff(request)
    with summary.reading(_db(request)) as session:
        try:
            case = queries.show_case(session, _scope(staff), _check_id(case_id))
        except queries.CaseNotFound:
            raise _Refused(404, N_("Not found.")) from None
        centres = (
            []
            if staff.is_guidance
            else list(
                session.scalars(
                    select(Tenant.name).where(Tenant.kind == "guidance").order_by(Tenant.name)
                )
            )
        )
    _audit(request, staff, "view case", case_id)
    settings: Settings = request.app.state.settings
    return _page(
        request,
        staff,
        "case.html",
        case=case,
        centres=centres,
        hq_key=bundles.hq_fingerprint(settings.data_dir),
    )


@router.post("/cases/{case_id}/export")
async def export(request: Request, case_id: str) -> Response:
    """The case's verifiable bundle (zip), signed by HQ's key; written to a temporary file in
    the data folder, sent, then removed."""
    staff = _staff(request)
    await _form(request, staff)
    settings: Settings = request.app.state.settings
    folder = settings.data_dir / "console-exports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    out = folder / f"{secrets.token_hex(8)}.zip"

    def write() -> bundles.ExportResult:
        with summary.reading(_db(request)) as session:
            return bundles.export_case(
                session,
                request.app.state.store,
                _scope(staff),
                _check_id(case_id),
                out,
                data_dir=settings.data_dir,
                exported_by=f"{staff.name} (console)",
            )

    try:
        result = await run_in_threadpool(write)
    except queries.CaseNotFound:
        raise _Refused(404, N_("Not found.")) from None
    except bundles.ExportRefused as exc:
        raise _Refused(
            409,
            N_(
                "An original or document of this case has not reached HQ yet; export again "
                "after the device has synced it. No bundle was written."
            )
            if exc.missing
            else N_(
                "An original or document held by HQ does not match its recorded SHA-256; no "
                "bundle was written."
            ),
        ) from None
    _audit(
        request,
        staff,
        "export case",
        case_id,
        f"sha256={result.sha256} key={result.key_fingerprint}",
    )
    day = datetime.now(UTC).date().isoformat()
    name = safe_filename(f"{result.case_number}-evidence-HQ-{day}.zip", f"{case_id}.zip")
    return FileResponse(
        out,
        media_type="application/zip",
        headers={
            "Content-Disposition": _disposition("attachment", name),
            "X-Content-SHA256": result.sha256,
        },
        background=BackgroundTask(out.unlink, missing_ok=True),
    )


def _item(
    request: Request, staff: auth.Staff, case_id: str, entity: str, item_id: str
) -> tuple[str, dict[str, Any]]:
    with _db(request).reading() as session:
        try:
            owner, fields = queries.case_item(
                session, _scope(staff), _check_id(case_id), entity, _check_id(item_id)
            )
        except queries.CaseNotFound:
            raise _Refused(404, N_("Not found.")) from None
        sha = str(fields.get("sha256") or "")
        if not re.fullmatch(r"[0-9a-f]{64}", sha) or not queries.tenant_holds(session, owner, sha):
            raise _Refused(404, N_("This file has not reached HQ yet."))
    store: BlobStore = request.app.state.store
    try:  # the database says HQ holds it; the store must agree before anything is sent
        store.open_object(sha).close()
    except (OSError, ValueError):
        raise _Refused(404, N_("This file has not reached HQ yet.")) from None
    return sha, fields


def safe_filename(name: str, fallback: str) -> str:
    """A download name without folders, control characters or quotes (never a path)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>:|?*;')
    name = name.strip(" .")
    return name[:150] or fallback


def _disposition(kind: str, name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _stream(store: BlobStore, sha: str) -> Iterator[bytes]:
    with store.open_object(sha) as handle:
        while block := handle.read(1024 * 1024):
            yield block


class _BlobFile(FileResponse):
    # Starlette's 64 KiB default costs one event-loop round trip per block; 1 MiB blocks keep a
    # large original at plain static-file speed (tests/bench/bench_console.py measures it).
    chunk_size = 1024 * 1024


def _blob_response(
    store: BlobStore, sha: str, media_type: str, headers: dict[str, str]
) -> Response:
    """The object as a file response when the store keeps it as a file on this machine (Range
    support, no generator hop per block), else streamed (an object store such as S3)."""
    with store.open_object(sha) as handle:
        name = getattr(handle, "name", None)
    if isinstance(name, str) and Path(name).is_file():
        # FileResponse sets Content-Length from the file itself: the bytes actually sent.
        headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        return _BlobFile(name, media_type=media_type, headers=headers)
    return StreamingResponse(_stream(store, sha), media_type=media_type, headers=headers)


@router.get("/cases/{case_id}/evidence/{item_id}/original")
def original(request: Request, case_id: str, item_id: str) -> Response:
    staff = _staff(request)
    sha, fields = _item(request, staff, case_id, "evidence_item", item_id)
    store: BlobStore = request.app.state.store
    name = safe_filename(str(fields.get("original_name") or ""), f"{sha[:16]}.bin")
    _audit(request, staff, "download original", f"{case_id}/{item_id}", sha)
    headers = {
        "Content-Disposition": _disposition("attachment", name),
        "X-Content-SHA256": sha,
        "Content-Length": str(int(fields.get("size") or 0)) if fields.get("size") else "",
    }
    headers = {k: v for k, v in headers.items() if v}
    return _blob_response(store, sha, "application/octet-stream", headers)


@router.get("/cases/{case_id}/evidence/{item_id}")
def evidence_page(request: Request, case_id: str, item_id: str) -> Response:
    staff = _staff(request)
    with summary.reading(_db(request)) as session:
        try:
            case = queries.show_case(session, _scope(staff), _check_id(case_id))
        except queries.CaseNotFound:
            raise _Refused(404, N_("Not found.")) from None
    item = next((e for e in case["evidence"] if e["id"] == item_id), None)
    if item is None:
        raise _Refused(404, N_("Not found."))
    custody = [
        c
        for c in case["custody"]
        if c.get("item_id") == item_id or c.get("item_sha256") == item.get("sha256")
    ]
    _audit(request, staff, "view evidence", f"{case_id}/{item_id}")
    return _page(request, staff, "evidence.html", case=case, item=item, custody=custody)


@router.get("/cases/{case_id}/evidence/{item_id}/{size}")
def preview(request: Request, case_id: str, item_id: str, size: str) -> Response:
    """A JPEG made on the server: `thumb` (320 px) for lists, `view` (1600 px) for the page."""
    if size not in SIZES:
        raise _Refused(404, N_("Not found."))
    staff = _staff(request)
    sha, _fields = _item(request, staff, case_id, "evidence_item", item_id)
    settings: Settings = request.app.state.settings
    folder = settings.data_dir / "console-previews" / size
    path = _thumb(request.app.state.store, folder, sha, SIZES[size])
    if path is None:
        raise _Refused(404, N_("No preview for this file."))
    return FileResponse(
        path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"}
    )


def _thumb(store: BlobStore, folder: Path, sha: str, px: int) -> Path | None:
    """A JPEG preview made here with Pillow (cached by digest); None if not an image."""
    target = folder / f"{sha}.jpg"
    if target.is_file():
        return target
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        from pillow_heif import register_heif_opener

        register_heif_opener()
    except ImportError:  # HEIC previews are a bonus, JPEG/PNG work without it
        pass
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        with store.open_object(sha) as handle, Image.open(handle) as opened:
            image = ImageOps.exif_transpose(opened)
            image.thumbnail((px, px))
            tmp = folder / f".{sha}.{secrets.token_hex(4)}.jpg"
            image.convert("RGB").save(tmp, "JPEG", quality=85)
            tmp.replace(target)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    return target


@router.get("/cases/{case_id}/documents/{doc_id}")
def document(request: Request, case_id: str, doc_id: str) -> Response:
    staff = _staff(request)
    sha, fields = _item(request, staff, case_id, "document", doc_id)
    store: BlobStore = request.app.state.store
    fmt = str(fields.get("format") or "")
    title = safe_filename(str(fields.get("title") or fields.get("kind") or ""), "document")
    name = title if title.lower().endswith(f".{fmt}") else f"{title}.{fmt or 'bin'}"
    _audit(request, staff, "open document", f"{case_id}/{doc_id}", sha)
    pdf = fmt == "pdf"
    return _blob_response(
        store,
        sha,
        "application/pdf" if pdf else "application/octet-stream",
        {
            "Content-Disposition": _disposition("inline" if pdf else "attachment", name),
            "X-Content-SHA256": sha,
            "Content-Security-Policy": "sandbox; default-src 'none'"
            if not pdf
            else "default-src 'self'",
        },
    )


@router.post("/cases/{case_id}/escalate")
async def escalate(request: Request, case_id: str) -> Response:
    staff = _staff(request)
    fields = await _form(request, staff)
    if staff.is_guidance or staff.role not in ("legal", "admin"):
        raise _Refused(403, N_("Only the company's legal staff or admins escalate cases."))
    centre = fields.get("centre", "")
    with _db(request).writing() as session:
        try:
            queries.owner_of(session, _scope(staff), _check_id(case_id))
            admin.escalate(session, staff.tenant_id, case_id, centre)
        except (queries.CaseNotFound, ApiError) as exc:
            message = exc.message if isinstance(exc, ApiError) else None
            raise _Refused(
                404 if not isinstance(exc, ApiError) else exc.status_code,
                message or N_("Not found."),
            ) from None
        audit.record(session, staff, "escalate case", case_id, centre, _ip(request))
    return RedirectResponse(f"{PREFIX}/cases/{case_id}", status_code=303)


# --- devices ---------------------------------------------------------------------------------


def _admin(staff: auth.Staff) -> None:
    if not staff.is_admin:
        raise _Refused(404, N_("Not found."))


def _roles(staff: auth.Staff) -> tuple[str, ...]:
    return admin.GUIDANCE_ROLES if staff.is_guidance else admin.COMPANY_ROLES


def _devices_page(
    request: Request, staff: auth.Staff, code: str | None = None, role: str = ""
) -> Response:
    with _db(request).reading() as session:
        devices = admin.list_devices(session, staff.tenant_id)
    return _page(
        request,
        staff,
        "devices.html",
        devices=devices,
        code=code,
        code_role=role,
        qr=web.qr_svg_data_uri(code) if code else None,
        roles=_roles(staff),
    )


@router.get("/devices")
def devices(request: Request) -> Response:
    staff = _staff(request)
    _admin(staff)
    _audit(request, staff, "view devices")
    return _devices_page(request, staff)


@router.post("/devices/codes")
async def new_code(request: Request) -> Response:
    staff = _staff(request)
    _admin(staff)
    fields = await _form(request, staff)
    role = fields.get("role", "")
    if role not in _roles(staff):
        raise _Refused(400, N_("Choose a role from the list."))
    hours = {"1h": 1, "24h": 24, "7d": 168}.get(fields.get("expires", "24h"), 24)
    with _db(request).writing() as session:
        code = admin.make_enroll_code(session, staff.tenant_name, role, timedelta(hours=hours))
        audit.record(
            session, staff, "new enrolment code", role, f"expires in {hours} h", _ip(request)
        )
    return _devices_page(request, staff, code, role)


@router.post("/devices/{device_id}/revoke")
async def revoke(request: Request, device_id: str) -> Response:
    staff = _staff(request)
    _admin(staff)
    await _form(request, staff)
    with _db(request).writing() as session:
        try:
            admin.revoke_device(session, staff.tenant_id, _check_id(device_id))
        except ApiError:
            raise _Refused(404, N_("Not found.")) from None
        audit.record(session, staff, "revoke device", device_id, ip=_ip(request))
    return RedirectResponse(f"{PREFIX}/devices", status_code=303)


# --- alerts ----------------------------------------------------------------------------------


def escalated_companies(session: Any, centre_id: str) -> dict[str, str]:
    """{tenant id: name} of the companies that escalated at least one case to this centre."""
    rows = session.execute(
        select(Tenant.id, Tenant.name)
        .join(Escalation, Escalation.tenant_id == Tenant.id)
        .where(Escalation.guidance_tenant_id == centre_id)
        .distinct()
        .order_by(Tenant.name)
    )
    return {tenant_id: name for tenant_id, name in rows}


def _alerts_page(
    request: Request,
    staff: auth.Staff,
    message: str = "",
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    with _db(request).reading() as session:
        companies = escalated_companies(session, staff.tenant_id) if staff.is_guidance else {}
        if staff.is_guidance:
            # A centre sees the alerts it published (one per company) and their acknowledgements.
            mine = RiskAlert.publisher_tenant_id == staff.tenant_id
        else:
            mine = or_(RiskAlert.tenant_id.is_(None), RiskAlert.tenant_id == staff.tenant_id)
        rows = list(
            session.scalars(select(RiskAlert).where(mine).order_by(RiskAlert.seq.desc()).limit(200))
        )
        acked = select(AlertAck, Device.name).join(Device, Device.id == AlertAck.device_id)
        if staff.is_guidance:
            acked = acked.where(AlertAck.alert_id.in_([a.id for a in rows]))
        else:
            acked = acked.where(AlertAck.tenant_id == staff.tenant_id)
        acks = session.execute(acked.order_by(AlertAck.received_at)).all()
        names = dict(
            session.execute(
                select(Tenant.id, Tenant.name).where(
                    Tenant.id.in_({a.tenant_id for a in rows if a.tenant_id})
                )
            ).all()
        )
    by_alert: dict[str, list[dict[str, Any]]] = {}
    for ack, device_name in acks:
        by_alert.setdefault(ack.alert_id, []).append(
            {"user": ack.user_name, "device": device_name, "at": ack.acknowledged_at.isoformat()}
        )
    items = [
        {
            "wire": alerts.to_wire(a),
            "own": a.tenant_id == staff.tenant_id or staff.is_guidance,
            "company": names.get(a.tenant_id or "") if staff.is_guidance else None,
            "acks": by_alert.get(a.id, []),
        }
        for a in rows
    ]
    return web.render(
        request,
        "alerts.html",
        {
            "staff": staff,
            "alerts": items,
            "message": message,
            "form": form or {},
            "companies": companies,
        },
        status,
    )


def _may_publish(staff: auth.Staff) -> None:
    # Company legal staff and admins warn their own devices; a guidance centre's staff warn the
    # devices of the companies that escalated a case to it (see `publish`).
    allowed = ("guidance", "admin") if staff.is_guidance else ("legal", "admin")
    if staff.role not in allowed:
        raise _Refused(404, N_("Not found."))


@router.get("/alerts")
def alert_list(request: Request) -> Response:
    staff = _staff(request)
    _may_publish(staff)
    _audit(request, staff, "view alerts")
    return _alerts_page(request, staff)


@router.post("/alerts")
async def publish(request: Request) -> Response:
    staff = _staff(request)
    _may_publish(staff)
    form = await _form(request, staff)

    def items(key: str) -> list[str]:
        return [p for p in re.split(r"[,\n]", form.get(key, "")) if p.strip()]

    try:
        with _db(request).writing() as session:
            if staff.is_guidance:
                companies = escalated_companies(session, staff.tenant_id)
                chosen = form.get("company", "")
                if chosen and chosen not in companies:
                    # A company that never escalated to this centre: as if it did not exist.
                    raise _Refused(404, N_("Not found."))
                targets = [companies[chosen]] if chosen else list(companies.values())
                if not targets:
                    raise admin.AdminError(
                        N_("No company has escalated a case to this centre yet.")
                    )
            else:
                targets = [staff.tenant_name]
            for target in targets:
                alert = admin.publish_alert(
                    session,
                    form.get("title", ""),
                    form.get("body", ""),
                    None,
                    None,
                    target,
                    level=form.get("level") or None,
                    title_zh=form.get("title_zh", ""),
                    body_zh=form.get("body_zh", ""),
                    countries=items("countries"),
                    fairs=items("fairs"),
                    goods=items("goods"),
                    valid_from=form.get("valid_from") or None,
                    valid_until=form.get("valid_until") or None,
                )
                if staff.is_guidance:
                    alert.publisher_tenant_id = staff.tenant_id
                detail = f"{alert.title} → {target}" if staff.is_guidance else alert.title
                audit.record(session, staff, "publish alert", alert.id, detail, _ip(request))
    except admin.AdminError as exc:
        return _alerts_page(request, staff, str(exc), form, 400)
    return RedirectResponse(f"{PREFIX}/alerts", status_code=303)


# --- audit -----------------------------------------------------------------------------------


@router.get("/audit")
def audit_log(request: Request) -> Response:
    staff = _staff(request)
    _admin(staff)
    _audit(request, staff, "view audit log")
    with _db(request).reading() as session:
        rows = audit.entries(session, staff.tenant_id)
    return _page(request, staff, "audit.html", entries=rows)


def mount(app: FastAPI) -> None:
    """Add the console to the HQ app (called by `sync.server.app.create_app`)."""
    app.include_router(router)

    @app.exception_handler(_SignInNeeded)
    async def _sign_in(request: Request, _exc: _SignInNeeded) -> Response:
        if request.method == "GET":
            return RedirectResponse(f"{PREFIX}/login", status_code=303)
        return web.render(
            request, "error.html", {"staff": None, "message": N_("Please sign in again.")}, 401
        )

    @app.exception_handler(_Refused)
    async def _refused(request: Request, exc: _Refused) -> Response:
        try:  # the page keeps its header (navigation, sign-out) for a signed-in person
            staff: auth.Staff | None = _staff(request)
        except _SignInNeeded:
            staff = None
        return web.render(
            request, "error.html", {"staff": staff, "message": exc.message}, exc.status
        )
