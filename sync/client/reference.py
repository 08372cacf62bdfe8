"""Pulling HQ's risk alerts and reference-library updates onto the device.

``GET /v1/alerts?since=`` and ``GET /v1/reference?since=`` are paged by their own cursors
(table ``sync_feed``, :mod:`fairdesk.feedmodel`), apart from the change-log cursor. Alerts go
to :func:`fairdesk.knowledge.alerts.store_alerts`; a reference item of kind ``library`` goes to
:func:`fairdesk.knowledge.library.apply_reference_update`, which installs it atomically or
rejects it as a whole.

A rejected update must neither stop the sync nor vanish: the device moves past it (a corrected
version HQ publishes later must still arrive) but keeps the reason in ``sync_feed.last_error``,
shown by the sync status until a later update applies cleanly. Anything else that goes wrong
while applying (a full disk, ...) is recorded the same way but the cursor stays before the item,
so the next sync tries it again. Network trouble raises :class:`SyncError` like the rest of the
sync. Storing alerts and moving the cursor are separate transactions: after a crash in between
the page is simply fetched again (storing an alert again updates it in place, and an update
that is not newer than the library in use is passed over).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from fairdesk import cases
from fairdesk.feedmodel import FEEDS, SyncFeed
from fairdesk.i18n import _
from fairdesk.knowledge import alerts, library
from fairdesk.store import Store
from fairdesk.timeutil import utcnow
from sync.client.errors import ServerError
from sync.client.transport import Transport
from sync.protocol import ALERT_LEVELS, DEFAULT_PULL_LIMIT, Alert, AlertPage, ReferencePage

log = logging.getLogger(__name__)

ALERTS, REFERENCE = FEEDS
LIBRARY_KIND = "library"
# Pages per sync at most, so a huge backlog cannot hold the sync forever (the rest comes next time).
MAX_PAGES = 50


@dataclass
class FeedStats:
    alerts_stored: int = 0
    alerts_skipped: int = 0
    library_versions: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def feed_cursor(store: Store, name: str) -> int:
    with store.read() as session:
        row = session.get(SyncFeed, name)
        return int(row.cursor) if row else 0


def feed_problems(store: Store) -> dict[str, str]:
    """The last unresolved problem of each feed that has one."""
    with store.read() as session:
        return {
            name: row.last_error
            for name in FEEDS
            if (row := session.get(SyncFeed, name)) is not None and row.last_error
        }


def _save(store: Store, name: str, cursor: int, error: str | None) -> None:
    """Store the cursor; ``error`` None keeps the recorded problem, "" clears it."""
    now = utcnow()
    with store.write() as session:
        row = session.get(SyncFeed, name)
        if row is None:
            row = SyncFeed(name=name, cursor=0, last_error="", error_at=None)
            session.add(row)
        row.cursor = max(cursor, 0)
        row.updated_at = now
        if error is not None:
            row.last_error = error
            row.error_at = now if error else None


def _page(transport: Transport, path: str, cursor: int, limit: int) -> dict[str, Any]:
    status, body = transport.json("GET", path, params={"since": cursor, "limit": limit})
    if status != 200:
        raise ServerError.refused(
            _("HQ refused to send alerts or reference updates ({status}: {error})."),
            status,
            body,
        )
    return body


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The wire alert in the full shape ``store_alerts`` reads (zh falls back to en there)."""
    return {
        "id": alert.alert_id,
        "level": alert.level or ALERT_LEVELS.get(alert.severity, "yellow"),
        "title": {"en": alert.title, "zh": alert.title_zh},
        "text": {"en": alert.body, "zh": alert.body_zh},
        "countries": alert.countries,
        "fairs": alert.fairs or ([alert.fair] if alert.fair else []),
        "goods": alert.goods,
        "valid_from": alert.valid_from,
        "valid_until": alert.valid_until,
        "published_at": alert.published_at,
    }


def pull_alerts(
    store: Store, transport: Transport, stats: FeedStats, limit: int = DEFAULT_PULL_LIMIT
) -> None:
    for _n in range(MAX_PAGES):
        page = AlertPage.model_validate(
            _page(transport, "/alerts", feed_cursor(store, ALERTS), limit)
        )
        if page.items:
            result = alerts.store_alerts(store, [alert_payload(a) for a in page.items])
            stats.alerts_stored += result.stored + result.updated
            stats.alerts_skipped += len(result.skipped)
            problem = " ".join(result.skipped)
            if problem:
                stats.problems.append(problem)
            _save(store, ALERTS, page.next_cursor, problem)
        if not page.has_more:
            return


def _rejection(key: str, exc: Exception) -> str:
    return _("The reference update {key} from HQ was not applied. {reason}").format(
        key=key, reason=exc
    )


def pull_reference(
    store: Store, transport: Transport, stats: FeedStats, limit: int = DEFAULT_PULL_LIMIT
) -> None:
    for _n in range(MAX_PAGES):
        cursor = feed_cursor(store, REFERENCE)
        page = ReferencePage.model_validate(_page(transport, "/reference", cursor, limit))
        for item in page.items:
            version = item.data.get("library_version")
            if (
                item.kind != LIBRARY_KIND  # other kinds: nothing on the device reads them yet
                or item.deleted
                or (
                    isinstance(version, int)
                    and version <= library.load_active(store).library_version
                )
            ):  # the last case: already in use (a re-pull)
                _save(store, REFERENCE, item.seq, None)
                cursor = item.seq
                continue
            try:
                applied = library.apply_reference_update(store, item.data)
            except library.LibraryError as exc:
                # Rejected as a whole, the previous library stays: move on, keep it on show.
                message = _rejection(item.key, exc)
                log.warning("reference update %s rejected: %s", item.key, exc.problems)
                stats.problems.append(message)
                _save(store, REFERENCE, item.seq, message)
                cursor = item.seq
                continue
            except Exception as exc:  # disk full, ...: try this item again next sync
                log.exception("reference update %s could not be installed", item.key)
                message = _rejection(item.key, exc)
                stats.problems.append(message)
                _save(store, REFERENCE, cursor, message)
                return
            stats.library_versions.append(applied.library_version)
            _save(store, REFERENCE, item.seq, "")
            cursor = item.seq
        _save(store, REFERENCE, page.next_cursor, None)
        if not page.has_more:
            return


def pull_feeds(store: Store, transport: Transport) -> FeedStats:
    """Both feeds, alerts first (they are what a responder must see soonest)."""
    stats = FeedStats()
    pull_alerts(store, transport, stats)
    pull_reference(store, transport, stats)
    if stats.library_versions:
        # Rule R6 reads the library: re-level every case with the version now in use, so
        # this device agrees with every other device on that version (CLI sync included).
        cases.refresh_levels(store, full=True)
    return stats
