"""Rendering for the console: Jinja2 (autoescaped), the request's language, times and cookies.

Language: the `fdhq_lang` cookie set by the switch in the page header, else Accept-Language,
else English. Strings go through the project's one catalog (`fairdesk.i18n.translate`).
Cookies are `Secure` with the `__Host-` prefix; `FAIRDESK_HQ_CONSOLE_INSECURE_COOKIES=1` drops
both, only so that tests can drive the console over plain HTTP on 127.0.0.1 (never in production:
put the console behind the TLS reverse proxy described in `sync/server/README.md`).
"""

from __future__ import annotations

import base64
import io
import os
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from sync.server import situation
from sync.server.console import labels
from sync.server.console.i18n import LANGUAGES, resources_root, translate

LANG_COOKIE = "fdhq_lang"
INSECURE_ENV = "FAIRDESK_HQ_CONSOLE_INSECURE_COOKIES"
HQ_ZONE_ENV = "FAIRDESK_HQ_TIME_ZONE"
DEFAULT_HQ_ZONE = "Asia/Shanghai"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(resources_root() / "hq-console" / "templates")),
    autoescape=True,
    # Synced rows may lack optional keys (older app versions): a missing key renders empty.
    undefined=jinja2.Undefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def secure_cookies() -> bool:
    return os.environ.get(INSECURE_ENV) != "1"


def cookie_name(base: str) -> str:
    return f"__Host-{base}" if secure_cookies() else base


def set_cookie(response: Any, base: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(
        cookie_name(base),
        value,
        max_age=max_age,
        path="/",
        secure=secure_cookies(),
        httponly=True,
        samesite="strict",
    )


def language(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return str(chosen)
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return "en"


def hq_zone() -> ZoneInfo:
    try:
        return ZoneInfo(os.environ.get(HQ_ZONE_ENV) or DEFAULT_HQ_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_HQ_ZONE)


def _zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def when(value: Any, zone_name: str | None = None) -> str:
    """An instant in a zone with its abbreviation (or offset where that is ambiguous) and name."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    zone = _zone(zone_name) if zone_name else hq_zone()
    if zone is None:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {_zone_label(local)} ({zone.key})"


# Abbreviations that name more than one zone ("CST" is China, US Central and Cuba): shown as
# the offset instead, as the desktop app does.
_AMBIGUOUS = {"CST", "IST", "AST", "BST", "GST", "SST", "ECT", "CDT", "ADT"}


def _zone_label(local: datetime) -> str:
    abbreviation = local.tzname() or ""
    if abbreviation.isalpha() and abbreviation not in _AMBIGUOUS:
        return abbreviation
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def qr_svg_data_uri(text: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    lang = language(request)

    def _(message: str, **kw: Any) -> str:
        text = translate(message, lang)
        return text.format(**kw) if kw else text

    page = _env.get_template(template).render(
        _=_,
        lang=lang,
        languages=LANGUAGES,
        when=when,
        label=labels.label,  # "open" → "Open", then translated by _
        # "respondent/ex_parte_order_served/DE" as the device words it, in the page's language.
        situation_words=lambda key: situation.describe(key, lang),
        hq_zone=hq_zone().key,
        path=request.url.path,
        **context,
    )
    response = HTMLResponse(page, status_code=status_code)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    return response
