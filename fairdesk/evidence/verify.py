"""Checking the evidence: the database, every original's hash, and the custody log.

``verify(store)`` re-hashes every original; ``startup_check(store)`` first quarantines crash
leftovers, then re-hashes only recent items (a quick check the app runs at start-up). Both
return a per-item problem list in words and update each row's local integrity flag.

An original that another device imported and this one pulled from HQ is not downloaded until
someone opens it: "held by HQ, not downloaded here" (flag ``remote``) is a fact, not a problem,
and checking never turns it into ``missing``. Only an original this device imported, or one it
had downloaded, and that is no longer in the vault, is missing. On a device whose role reads
such cases, ``fairdesk verify`` downloads them first (:mod:`fairdesk.evidence.ondemand`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from fairdesk.evidence import custody
from fairdesk.evidence.models import CustodyEvent, EvidenceItem
from fairdesk.evidence.rows import display_name
from fairdesk.evidence.vocab import CustodyAction, Integrity
from fairdesk.i18n import _
from fairdesk.store import Store
from fairdesk.timeutil import utcnow
from fairdesk.vault import CancelLike

RECENT = timedelta(days=7)


@dataclass(frozen=True)
class Problem:
    what: str  # a sentence for the user
    item_id: str = ""
    sha256: str = ""
    name: str = ""  # the item's file name, for display
    case_id: str = ""


@dataclass(frozen=True)
class VerifyReport:
    database: str  # "ok" or SQLite's message
    items_checked: int
    log_entries: int
    problems: tuple[Problem, ...]
    quarantined: tuple[str, ...] = ()  # crash leftovers moved aside by this run
    full: bool = True
    # Originals removed for travel (custody ``travel_removed``): safe at HQ, not a problem.
    kept_at_hq: tuple[Problem, ...] = ()
    # Originals imported on another device, held by HQ, never downloaded here: not a problem.
    not_downloaded: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.database == "ok" and not self.problems


def _database_check(store: Store, quick: bool) -> str:
    pragma = "PRAGMA quick_check" if quick else "PRAGMA integrity_check"
    with store.engine.connect() as connection:
        rows = [r[0] for r in connection.execute(text(pragma))]
    return "ok" if rows == ["ok"] else "; ".join(str(r) for r in rows[:20])


def verify(
    store: Store,
    case_id: str | None = None,
    *,
    recent: timedelta | None = None,
    cancel: CancelLike | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> VerifyReport:
    """Check the database, re-hash originals (all, or imported within ``recent``), check the log."""
    database = _database_check(store, quick=recent is not None)
    vault = store.vault
    problems: list[Problem] = []
    with store.read() as session:
        query = select(
            EvidenceItem.id,
            EvidenceItem.sha256,
            EvidenceItem.original_name,
            EvidenceItem.case_id,
            EvidenceItem.size,
            EvidenceItem.device_id,
            EvidenceItem.integrity,
        ).where(EvidenceItem.purged_at.is_(None))
        if case_id:
            query = query.where(EvidenceItem.case_id == case_id)
        if recent is not None:
            query = query.where(EvidenceItem.imported_at >= utcnow() - recent)
        items = list(session.execute(query.order_by(EvidenceItem.imported_at)))
        entries = custody.all_entries(session)
        logged = {
            (e.item_id, e.item_sha256)
            for e in session.scalars(
                select(CustodyEvent).where(
                    CustodyEvent.action.in_((CustodyAction.IMPORT, CustodyAction.ANNOTATION))
                )
            )
        }
        away = removed_for_travel(session)
    flags: dict[str, Integrity] = {}
    kept: list[Problem] = []
    elsewhere: list[Problem] = []
    here = store.device.id
    for index, (item_id, sha, name, item_case, _size, made_on, integrity) in enumerate(items):
        if cancel is not None and cancel.cancelled:
            break
        if progress is not None:
            progress(index, len(items))
        shown = display_name(name)
        actual_size = vault.stored_size(sha)
        actual = None if actual_size is None else vault.hash_blob(sha)
        if actual is None and sha in away:
            flags[item_id] = Integrity.AT_HQ
            kept.append(
                Problem(
                    _("“{name}”: kept at HQ (removed for travel).").format(name=shown),
                    item_id,
                    sha,
                    shown,
                    item_case,
                )
            )
        elif actual is None and held_by_hq(integrity, made_on, here):
            flags[item_id] = Integrity.REMOTE
            elsewhere.append(
                Problem(
                    _("“{name}”: held by HQ, not downloaded to this computer.").format(name=shown),
                    item_id,
                    sha,
                    shown,
                    item_case,
                )
            )
        elif actual is None:
            flags[item_id] = Integrity.MISSING
            problems.append(
                Problem(
                    _("“{name}”: the original file is missing from the evidence folder.").format(
                        name=shown
                    ),
                    item_id,
                    sha,
                    shown,
                    item_case,
                )
            )
        elif actual != sha:
            flags[item_id] = Integrity.MISMATCH
            problems.append(
                Problem(
                    _(
                        "“{name}”: the original file was changed or damaged (its "
                        "SHA-256 no longer matches the one recorded at import)."
                    ).format(name=shown),
                    item_id,
                    sha,
                    shown,
                    item_case,
                )
            )
        else:
            flags[item_id] = Integrity.OK
        if (item_id, sha) not in logged:
            problems.append(
                Problem(
                    _("“{name}”: its import is not recorded in the custody log.").format(
                        name=shown
                    ),
                    item_id,
                    sha,
                    shown,
                    item_case,
                )
            )
    item_names = {row[0]: display_name(row[2]) for row in items}
    for chain_problem in custody.check_chain(entries):
        entry = next(
            (
                e
                for e in entries
                if e["device_id"] == chain_problem.device_id and e["seq"] == chain_problem.seq
            ),
            None,
        )
        item_id = entry["item_id"] if entry else ""
        problems.append(
            Problem(
                chain_problem.what,
                item_id,
                entry["item_sha256"] if entry else "",
                item_names.get(item_id, ""),
                entry["case_id"] if entry else "",
            )
        )
    if flags:
        now = utcnow()
        with store.write() as session:
            for item_id, flag in flags.items():
                item = session.get(EvidenceItem, item_id)
                if item is not None:
                    item.integrity = flag
                    item.integrity_checked_at = now
    checked = sum(1 for flag in flags.values() if flag not in (Integrity.AT_HQ, Integrity.REMOTE))
    return VerifyReport(
        database,
        checked,
        len(entries),
        tuple(problems),
        full=recent is None,
        kept_at_hq=tuple(kept),
        not_downloaded=tuple(elsewhere),
    )


def held_by_hq(integrity: str, made_on: str, here: str) -> bool:
    """Pulled from HQ and never downloaded here (or downloaded, then cleared as disposable).

    An item imported on another device reached this one only through HQ, which received its
    original from that device; ``missing`` written by an older version of this check for such
    an item is read as what it was (the check must never downgrade an item).
    """
    return integrity == Integrity.REMOTE or (
        made_on != here and integrity in (Integrity.MISSING, Integrity.UNSET)
    )


def held_elsewhere(store: Store, case_id: str | None = None) -> list[str]:
    """SHA-256s of originals held by HQ and not in this vault (what ``--fetch`` downloads)."""
    vault = store.vault
    here = store.device.id
    with store.read() as session:
        query = select(EvidenceItem.sha256, EvidenceItem.device_id, EvidenceItem.integrity).where(
            EvidenceItem.purged_at.is_(None)
        )
        if case_id:
            query = query.where(EvidenceItem.case_id == case_id)
        rows = list(session.execute(query))
        away = removed_for_travel(session)
    wanted: list[str] = []
    for sha, made_on, integrity in rows:
        if sha in away or sha in wanted or not held_by_hq(integrity, made_on, here):
            continue
        if vault.stored_size(sha) is None:
            wanted.append(sha)
    return wanted


def removed_for_travel(session: Session) -> set[str]:
    """SHA-256s whose latest travel entry in the custody log is a removal (not restored)."""
    away: set[str] = set()
    events = session.execute(
        select(CustodyEvent.action, CustodyEvent.item_sha256)
        .where(
            CustodyEvent.action.in_((CustodyAction.TRAVEL_REMOVED, CustodyAction.TRAVEL_RESTORED))
        )
        .order_by(CustodyEvent.at, CustodyEvent.seq)
    )
    for action, sha in events:
        if action == CustodyAction.TRAVEL_REMOVED:
            away.add(sha)
        else:
            away.discard(sha)
    return away


def startup_check(store: Store) -> VerifyReport:
    """Quarantine crash leftovers, then check recent items, the log and the database."""
    from fairdesk.evidence.service import recover

    recovered = recover(store)
    report = verify(store, recent=RECENT)
    return VerifyReport(
        report.database,
        report.items_checked,
        report.log_entries,
        report.problems,
        recovered.quarantined,
        full=False,
        kept_at_hq=report.kept_at_hq,
        not_downloaded=report.not_downloaded,
    )
