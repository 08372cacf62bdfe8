"""HQ risk alerts ("risk reminder letters") on the device, and their acknowledgement.

HQ publishes alerts; the device-sync code pulls them and calls :func:`store_alerts` with the
list it received. Each alert may come in either of two shapes::

    # full shape (what `fairdesk-hq alert publish` should send)
    {"id": "<uuid>", "level": "red" | "yellow" | "blue",
     "title": {"en": "...", "zh": "..."}, "text": {"en": "...", "zh": "..."},
     "countries": ["DE", ...], "fairs": ["Hannover Messe", ...], "goods": ["hs85", ...],
     "valid_from": "<ISO 8601>" | null, "valid_until": "<ISO 8601>" | null,
     "published_at": "<ISO 8601>"}
    # the current wire model sync.protocol.Alert (model_dump())
    {"alert_id": "<uuid>", "severity": "info" | "warning" | "critical", "title": "...",
     "body": "...", "fair": "..." | null, "published_at": "<ISO 8601>", "seq": 1}

The wire model's severity maps to critical→red, warning→yellow, info→blue; its single text is
used for both languages. An alert already stored is updated in place and keeps its
acknowledgement. An alert that cannot be read is skipped and reported; the others are stored.

Acknowledging writes the time and the user on the alert and an outbox entry
(``entity="alert_ack"``, ``op="insert"``, ``entity_id`` = the alert id) in the same
transaction, so the acknowledgement syncs back to HQ with the next push.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from fairdesk import events, outbox
from fairdesk.errors import NotFoundError
from fairdesk.i18n import _, current_language
from fairdesk.knowledge.library import normalise_country
from fairdesk.knowledge.model import RiskAlert
from fairdesk.model import Device, Level
from fairdesk.store import Store
from fairdesk.timeutil import utcnow

SEVERITY_LEVEL = {"critical": Level.RED, "warning": Level.YELLOW, "info": Level.BLUE}
MAX_TITLE = 300
MAX_TEXT = 20_000


@dataclass(frozen=True)
class AlertRow:
    id: str
    level: Level
    title_en: str
    title_zh: str
    text_en: str
    text_zh: str
    countries: tuple[str, ...]
    fairs: tuple[str, ...]
    goods: tuple[str, ...]
    valid_from: datetime | None
    valid_until: datetime | None
    published_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str

    def title(self, language: str | None = None) -> str:
        language = language or current_language()
        return self.title_zh if language.startswith("zh") and self.title_zh else self.title_en

    def text(self, language: str | None = None) -> str:
        language = language or current_language()
        return self.text_zh if language.startswith("zh") and self.text_zh else self.text_en

    def is_active(self, now: datetime) -> bool:
        if self.valid_from is not None and now < self.valid_from:
            return False
        return self.valid_until is None or now <= self.valid_until


@dataclass(frozen=True)
class StoreResult:
    stored: int
    updated: int
    skipped: tuple[str, ...]  # one translated reason per alert that could not be read


def _instant(value: Any, label: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(label)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _texts(value: Any) -> tuple[str, str]:
    if isinstance(value, dict):
        en, zh = str(value.get("en") or ""), str(value.get("zh") or "")
        return (en or zh), (zh or en)
    if isinstance(value, str):
        return value, value
    return "", ""


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    raise ValueError("list")


def parse_alert(raw: Any) -> dict[str, Any]:
    """Normalise one alert from either shape into column values; ValueError if unusable."""
    if not isinstance(raw, dict):
        raise ValueError(_("an alert must be an object"))
    alert_id = raw.get("id") or raw.get("alert_id")
    if not isinstance(alert_id, str) or not 1 <= len(alert_id) <= 64:
        raise ValueError(_("the alert has no id"))
    if "level" in raw:
        try:
            level = Level(raw["level"])
        except (ValueError, TypeError) as exc:
            raise ValueError(_("unknown alert level {value}").format(value=raw["level"])) from exc
    elif raw.get("severity") in SEVERITY_LEVEL:
        level = SEVERITY_LEVEL[raw["severity"]]
    else:
        raise ValueError(_("the alert has no level"))
    title_en, title_zh = _texts(raw.get("title"))
    text_en, text_zh = _texts(raw.get("text", raw.get("body")))
    if not title_en.strip():
        raise ValueError(_("the alert has no title"))
    try:
        published = _instant(raw.get("published_at"), "published_at")
        valid_from = _instant(raw.get("valid_from"), "valid_from")
        valid_until = _instant(raw.get("valid_until"), "valid_until")
        countries = [normalise_country(c) for c in _strings(raw.get("countries"))]
        fairs = _strings(raw.get("fairs", raw.get("fair")))
        goods = _strings(raw.get("goods"))
    except ValueError as exc:
        raise ValueError(_("the alert has a malformed date or list")) from exc
    if published is None:
        raise ValueError(_("the alert has no publication time"))
    if valid_from and valid_until and valid_until < valid_from:
        raise ValueError(_("the alert expires before it starts"))
    return {
        "id": alert_id,
        "level": level.value,
        "title_en": title_en[:MAX_TITLE],
        "title_zh": title_zh[:MAX_TITLE],
        "text_en": text_en[:MAX_TEXT],
        "text_zh": text_zh[:MAX_TEXT],
        "countries": countries,
        "fairs": fairs,
        "goods": goods,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "published_at": published,
    }


def store_alerts(store: Store, alerts: list[dict[str, Any]]) -> StoreResult:
    """Store alerts pulled from HQ (see the module docstring); readable ones are kept."""
    parsed: list[dict[str, Any]] = []
    skipped: list[str] = []
    for n, raw in enumerate(alerts):
        try:
            parsed.append(parse_alert(raw))
        except ValueError as exc:
            skipped.append(_("Alert {n} was skipped: {reason}.").format(n=n + 1, reason=exc))
    stored = updated = 0
    now = utcnow()
    with store.write() as session:
        for values in parsed:
            row = session.get(RiskAlert, values["id"])
            if row is None:
                session.add(
                    RiskAlert(received_at=now, acknowledged_at=None, acknowledged_by="", **values)
                )
                stored += 1
            else:
                for key, value in values.items():
                    setattr(row, key, value)
                updated += 1
    if stored or updated:
        events.emit(events.Change.ALERTS, "")
    return StoreResult(stored, updated, tuple(skipped))


def _row(alert: RiskAlert) -> AlertRow:
    return AlertRow(
        alert.id,
        Level(alert.level),
        alert.title_en,
        alert.title_zh,
        alert.text_en,
        alert.text_zh,
        tuple(alert.countries),
        tuple(alert.fairs),
        tuple(alert.goods),
        alert.valid_from,
        alert.valid_until,
        alert.published_at,
        alert.acknowledged_at,
        alert.acknowledged_by,
    )


_LEVEL_RANK = {Level.RED: 0, Level.YELLOW: 1, Level.BLUE: 2}


def list_alerts(
    store: Store, *, include_inactive: bool = False, now: datetime | None = None
) -> list[AlertRow]:
    """Alerts, unacknowledged first, then by level (red first) and newest first."""
    now = now or utcnow()
    with store.read() as session:
        rows = [_row(a) for a in session.scalars(select(RiskAlert))]
    if not include_inactive:
        rows = [r for r in rows if r.is_active(now)]
    rows.sort(
        key=lambda r: (
            r.acknowledged_at is not None,
            _LEVEL_RANK[r.level],
            -r.published_at.timestamp(),
        )
    )
    return rows


def unacknowledged(store: Store, now: datetime | None = None) -> list[AlertRow]:
    return [r for r in list_alerts(store, now=now) if r.acknowledged_at is None]


def acknowledge(store: Store, alert_id: str, *, now: datetime | None = None) -> AlertRow:
    """Record that this device's user read the alert; syncs back through the outbox."""
    now = now or utcnow()
    with store.write() as session:
        alert = session.get(RiskAlert, alert_id)
        if alert is None:
            raise NotFoundError(_("No alert with id {id}.").format(id=alert_id))
        if alert.acknowledged_at is None:
            device = session.scalars(select(Device)).one()
            alert.acknowledged_at = now
            alert.acknowledged_by = device.user_name
            outbox.record(
                session,
                entity="alert_ack",
                entity_id=alert.id,
                op="insert",
                case_id=None,
                changes={
                    "alert_id": alert.id,
                    "acknowledged_at": now,
                    "user": device.user_name,
                    "device_id": device.id,
                },
            )
        row = _row(alert)
    events.emit(events.Change.ALERTS, alert_id)
    return row


DEMO_ALERTS: list[dict[str, Any]] = [
    {
        "id": "demo-alert-mwc-2027",
        "level": "red",
        "title": {
            "en": "Example alert (demo): injunction wave expected at MWC Barcelona",
            "zh": "示例预警（演示）：预计 MWC 巴塞罗那将出现禁令潮",
        },
        "text": {
            "en": "Demo text. Barcelona courts decide ex-parte injunctions within 48 h under "
            "the yearly fast-action protocol. File protective letters before the show.",
            "zh": "演示文本。根据每年更新的快速行动规程，巴塞罗那法院在 48 小时内对单方禁令作出决定。"
            "请在展前提交保护函。",
        },
        "countries": ["ES"],
        "fairs": ["MWC Barcelona"],
        "goods": ["hs85"],
        "published_at": "2026-11-20T08:00:00+00:00",
    },
    {
        "id": "demo-alert-de-customs",
        "level": "yellow",
        "title": {
            "en": "Example alert (demo): customs patrols at German fairs",
            "zh": "示例预警（演示）：德国展会海关巡查",
        },
        "text": {
            "en": "Demo text. Customs patrol stands at Frankfurt fairs and may demand an "
            "on-site security deposit.",
            "zh": "演示文本。海关在法兰克福展会巡查展位，并可能要求现场缴纳保证金。",
        },
        "countries": ["DE"],
        "fairs": ["Automechanika Frankfurt"],
        "goods": ["hs87"],
        "published_at": "2026-11-18T08:00:00+00:00",
    },
]


def fill_demo_alerts(store: Store) -> StoreResult:
    """Two clearly labelled example alerts, for the demo and screenshots."""
    return store_alerts(store, DEMO_ALERTS)
