"""Travel mode: before a border, remove the local copies of evidence that HQ verifiably holds.

Only originals whose upload HQ confirmed by digest (``blob_queue.state == "done"``, set by the
device-sync client after HQ verified the SHA-256) are removed; each removal is appended to the
custody log. The rows, captions and custody stay (encrypted) so the case still reads normally,
and :func:`restore` downloads the bytes again from HQ when they are needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from fairdesk.errors import NotFoundError
from fairdesk.evidence import service
from fairdesk.evidence.models import EvidenceItem
from fairdesk.evidence.vocab import CustodyAction
from fairdesk.i18n import _
from fairdesk.model import Case
from fairdesk.store import Store
from fairdesk.syncmodel import BlobQueueEntry


@dataclass(frozen=True)
class TravelPlan:
    removable: tuple[tuple[str, str, int], ...]  # (case_id, sha256, size) verified at HQ, present
    kept: tuple[tuple[str, str], ...]  # (case_id, sha256) not (yet) verified at HQ: stay here

    @property
    def bytes_freed(self) -> int:
        return sum(size for _c, _s, size in self.removable)


def is_verified_at_hq(store: Store, sha256: str) -> bool:
    """True only when HQ confirmed it holds these exact bytes (digest checked on upload)."""
    with store.read() as session:
        entry = session.get(BlobQueueEntry, sha256)
        return entry is not None and entry.state == "done"


def plan(store: Store, case_ids: list[str] | None = None) -> TravelPlan:
    """What travel mode would remove: ``case_ids``, or every case (``--all-synced``)."""
    vault = store.vault
    with store.read() as session:
        if case_ids:
            for case_id in case_ids:
                if session.get(Case, case_id) is None:
                    raise NotFoundError(_("No case with id {id}.").format(id=case_id))
        query = select(EvidenceItem.case_id, EvidenceItem.sha256, EvidenceItem.size).where(
            EvidenceItem.purged_at.is_(None)
        )
        if case_ids:
            query = query.where(EvidenceItem.case_id.in_(case_ids))
        items = list(session.execute(query.order_by(EvidenceItem.imported_at)))
        done = set(
            session.scalars(select(BlobQueueEntry.sha256).where(BlobQueueEntry.state == "done"))
        )
    removable, kept, seen = [], [], set()
    for case_id, sha, size in items:
        if sha in done:
            if vault.exists(sha) and sha not in seen:
                removable.append((case_id, sha, size))
                seen.add(sha)
        else:
            kept.append((case_id, sha))
    # A blob shared with a case that keeps it stays (the same bytes serve both).
    keep_shas = {sha for _c, sha in kept}
    return TravelPlan(tuple(r for r in removable if r[1] not in keep_shas), tuple(kept))


def remove_local_copies(store: Store, travel_plan: TravelPlan) -> int:
    """Remove the planned local copies, logging each in the custody log first."""
    vault = store.vault
    removed = 0
    for case_id, sha, size in travel_plan.removable:
        if not is_verified_at_hq(store, sha):  # re-checked: the plan may be stale
            continue
        service.record_custody(
            store,
            action=CustodyAction.TRAVEL_REMOVED,
            sha256=sha,
            case_id=case_id,
            details={"size": size, "reason": "travel mode: verified copy at HQ"},
        )
        if vault.purge(sha):
            removed += 1
    return removed


def missing_locally(store: Store, case_ids: list[str] | None = None) -> list[tuple[str, str]]:
    """(case_id, sha256) of originals removed for travel (or otherwise absent) here."""
    vault = store.vault
    with store.read() as session:
        query = select(EvidenceItem.case_id, EvidenceItem.sha256).where(
            EvidenceItem.purged_at.is_(None)
        )
        if case_ids:
            query = query.where(EvidenceItem.case_id.in_(case_ids))
        rows = list(session.execute(query))
    return [(c, s) for c, s in rows if not vault.exists(s)]


def restore(
    store: Store, download: Callable[[str], object], case_ids: list[str] | None = None
) -> int:
    """Download removed originals again (``download(sha256)`` writes them into the vault)."""
    restored = 0
    for case_id, sha in missing_locally(store, case_ids):
        download(sha)
        if store.vault.hash_blob(sha) == sha:
            service.record_custody(
                store, action=CustodyAction.TRAVEL_RESTORED, sha256=sha, case_id=case_id
            )
            restored += 1
    return restored
