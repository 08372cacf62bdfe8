"""Risk alerts at HQ: publishing them with their full content, the wire shape devices pull,
and the acknowledgements devices push back (entity ``alert_ack``, see ``sync.protocol``).

An acknowledgement is append-only and kept in the sending device's tenant, one per device and
alert; it may only name an alert that device can see (published for everyone or for its own
tenant), else it is rejected with a reason the responder can read on the Sync page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.protocol import ALERT_LEVELS, Alert, AlertAckInfo, Mutation, MutationResult
from sync.server.deps import Caller
from sync.server.models import AlertAck, Device, RiskAlert, utcnow

LEVEL_SEVERITY = {level: severity for severity, level in ALERT_LEVELS.items()}
MAX_LIST = 200  # countries, fairs or goods categories per alert


class AlertInputError(ValueError):
    """An operator mistake in an alert to publish (printed by the CLI)."""


def instant(value: str | None, label: str) -> str | None:
    """ISO 8601 (a date alone means its start, UTC) normalised to UTC, or None."""
    if value in (None, ""):
        return None
    assert value is not None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise AlertInputError(f"{label}: {value!r} is not an ISO 8601 date or time") from exc
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat()


def _items(values: list[str] | None) -> list[str]:
    """Repeated options and comma-separated lists alike; order kept, duplicates dropped."""
    seen: dict[str, None] = {}
    for value in values or []:
        for part in value.split(","):
            if part.strip():
                seen.setdefault(part.strip(), None)
    if len(seen) > MAX_LIST:
        raise AlertInputError(f"at most {MAX_LIST} countries, fairs or goods per alert")
    return list(seen)


def resolve_severity(severity: str | None, level: str | None) -> str:
    if level is not None and level not in LEVEL_SEVERITY:
        raise AlertInputError("level must be red, yellow or blue")
    if severity is not None and severity not in ALERT_LEVELS:
        raise AlertInputError("severity must be info, warning or critical")
    if level and severity and LEVEL_SEVERITY[level] != severity:
        raise AlertInputError(f"--level {level} and --severity {severity} disagree")
    return LEVEL_SEVERITY[level] if level else (severity or "warning")


def details(
    *,
    title_zh: str = "",
    body_zh: str = "",
    countries: list[str] | None = None,
    fairs: list[str] | None = None,
    goods: list[str] | None = None,
    valid_from: str | None = None,
    valid_until: str | None = None,
) -> dict[str, Any]:
    start, end = instant(valid_from, "valid from"), instant(valid_until, "valid until")
    if start and end and end < start:
        raise AlertInputError("the alert would expire before it starts")
    return {
        "title_zh": title_zh.strip()[:300],
        "body_zh": body_zh.strip(),
        "countries": [c.upper() for c in _items(countries)],
        "fairs": _items(fairs),
        "goods": _items(goods),
        "valid_from": start,
        "valid_until": end,
    }


def to_wire(alert: RiskAlert) -> Alert:
    extra = alert.details or {}
    fairs = list(extra.get("fairs") or ([alert.fair] if alert.fair else []))
    return Alert(
        seq=alert.seq,
        alert_id=alert.id,
        severity=alert.severity,  # type: ignore[arg-type]  # checked on publish
        title=alert.title,
        body=alert.body,
        fair=alert.fair,
        published_at=alert.published_at.isoformat(),
        level=ALERT_LEVELS.get(alert.severity),  # type: ignore[arg-type]  # same check
        title_zh=str(extra.get("title_zh") or ""),
        body_zh=str(extra.get("body_zh") or ""),
        countries=list(extra.get("countries") or []),
        fairs=fairs,
        goods=list(extra.get("goods") or []),
        valid_from=extra.get("valid_from"),
        valid_until=extra.get("valid_until"),
    )


def _rejected(m: Mutation, reason: str) -> MutationResult:
    return MutationResult(mutation_id=m.mutation_id, status="rejected", reason=reason)


def apply_ack(session: Session, caller: Caller, m: Mutation) -> MutationResult:
    """Store one pushed acknowledgement (idempotent per device and alert)."""
    if m.op != "insert":
        return _rejected(m, "an alert acknowledgement can only be added")
    changes = m.changes
    if changes.get("case_id") not in (None, ""):
        return _rejected(m, "an alert acknowledgement belongs to no case")
    alert_id = changes.get("alert_id", m.entity_id)
    if alert_id != m.entity_id:
        return _rejected(m, "alert_id must equal the entity id")
    alert = session.get(RiskAlert, m.entity_id)
    if alert is None or alert.tenant_id not in (None, caller.tenant_id):
        # The same words for another tenant's alert: its existence is not disclosed.
        return _rejected(m, f"HQ has no alert {m.entity_id[:64]} for this device")
    existing = session.scalars(
        select(AlertAck).where(
            AlertAck.device_id == caller.device_id, AlertAck.alert_id == alert.id
        )
    ).first()
    if existing is None:
        raw_when = changes.get("acknowledged_at")
        try:
            when = instant(raw_when if isinstance(raw_when, str) else None, "acknowledged_at")
        except AlertInputError:
            when = None
        session.add(
            AlertAck(
                tenant_id=caller.tenant_id,
                alert_id=alert.id,
                device_id=caller.device_id,
                user_name=str(changes.get("user") or "")[:200],
                # A device clock gone wrong must not lose the acknowledgement: HQ's time then.
                acknowledged_at=datetime.fromisoformat(when) if when else utcnow(),
                received_at=utcnow(),
                mutation_id=m.mutation_id,
            )
        )
    return MutationResult(mutation_id=m.mutation_id, status="applied", version=1)


def list_acks(
    session: Session, tenant_id: str | None = None, alert_id: str | None = None
) -> list[AlertAckInfo]:
    query = (
        select(AlertAck, RiskAlert.title, Device.name)
        .join(RiskAlert, RiskAlert.id == AlertAck.alert_id)
        .join(Device, Device.id == AlertAck.device_id)
        .order_by(AlertAck.received_at, AlertAck.id)
    )
    if tenant_id is not None:
        query = query.where(AlertAck.tenant_id == tenant_id)
    if alert_id is not None:
        query = query.where(AlertAck.alert_id == alert_id)
    return [
        AlertAckInfo(
            alert_id=ack.alert_id,
            alert_title=title,
            tenant_id=ack.tenant_id,
            device_id=ack.device_id,
            device_name=device_name,
            user=ack.user_name,
            acknowledged_at=ack.acknowledged_at.isoformat(),
            received_at=ack.received_at.isoformat(),
        )
        for ack, title, device_name in session.execute(query)
    ]
