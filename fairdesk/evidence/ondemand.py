"""Originals and documents HQ holds and this device has not downloaded: fetched when needed.

A legal, admin or guidance device pulls a case's rows, not its files. When an item is viewed,
verified or exported, what is missing is downloaded from HQ, checked against its SHA-256 and
written through the vault's own write path (encrypted at rest in an encrypted folder).

The core never talks to HQ (it does not import ``sync``): the sync package installs the
:data:`Fetcher` with :func:`install` (``sync.client.ondemand.install``, called by the
``fairdesk`` command's sync plug-in and by the app's sync feature). Without one, or on a
device whose role does not read other devices' evidence, nothing is fetched and the items
stay "held by HQ, not downloaded here" — a fact, never "restore from a backup".
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select

from fairdesk.documents.model import GeneratedDocument
from fairdesk.errors import FairDeskError
from fairdesk.evidence.models import EvidenceItem
from fairdesk.evidence.rows import display_name
from fairdesk.evidence.verify import held_elsewhere
from fairdesk.evidence.vocab import Integrity
from fairdesk.i18n import _
from fairdesk.store import Store
from fairdesk.syncmodel import SyncAccount
from fairdesk.timeutil import utcnow
from fairdesk.vault import CancelLike

# Roles that read a case beyond what this device made (docs: issue 15): HQ legal staff and
# admins read their company's cases, a guidance centre the cases escalated to it. HQ enforces
# the same (404 outside the caller's scope); a booth laptop does not collect other laptops'
# originals (it may be searched at a border: see travel mode).
FETCHING_ROLES = frozenset({"legal", "admin", "guidance"})


class Failure(enum.Enum):
    """Why a file was not fetched."""

    OFFLINE = "offline"  # HQ cannot be reached (or a captive portal answered): try again later
    NOT_AVAILABLE = "not_available"  # HQ answered 404: not uploaded yet, or outside this scope
    DAMAGED = "damaged"  # HQ sent bytes that do not hash right: refused, not kept
    REFUSED = "refused"  # not enrolled, revoked, this role does not fetch, HQ error


@dataclass(frozen=True)
class Wanted:
    """One file to fetch: its SHA-256, the name shown to people and its recorded size."""

    sha256: str
    name: str
    size: int = 0


@dataclass(frozen=True)
class Progress:
    """Per item (``done``/``size`` of ``name``) and overall (``all_done``/``all_size`` bytes,
    item ``index`` of ``count``)."""

    name: str
    done: int
    size: int
    index: int
    count: int
    all_done: int
    all_size: int


@dataclass(frozen=True)
class Missed:
    failure: Failure
    why: str  # one sentence


class Fetcher(Protocol):
    def __call__(
        self,
        store: Store,
        wanted: Sequence[Wanted],
        progress: Callable[[Progress], None] | None,
        cancel: CancelLike | None,
    ) -> dict[str, Missed]:
        """Fetch each wanted file into the vault; returns the ones that were not, and why."""
        ...


_fetcher: Fetcher | None = None


def install(fetcher: Fetcher | None) -> None:
    """Set how this process fetches from HQ (the sync package does; tests may unset it)."""
    global _fetcher
    _fetcher = fetcher


class NotDownloaded(FairDeskError):
    """Files this device needs are still only at HQ; ``missed`` says which and why."""

    def __init__(self, message: str, missed: dict[str, Missed], names: dict[str, str]) -> None:
        super().__init__(message)
        self.missed = missed
        self.names = names


def role(store: Store) -> str:
    with store.read() as session:
        account = session.get(SyncAccount, 1)
        return account.role if account is not None else ""


def may_fetch(store: Store) -> bool:
    """Whether this device downloads files other devices made (its role reads those cases)."""
    return _fetcher is not None and role(store) in FETCHING_ROLES


def missing(store: Store, case_id: str | None = None) -> list[Wanted]:
    """Originals and documents of the case (or all) that HQ holds and this vault does not."""
    held = set(held_elsewhere(store, case_id))
    vault = store.vault
    here = store.device.id
    wanted: dict[str, Wanted] = {}
    with store.read() as session:
        items = select(EvidenceItem.sha256, EvidenceItem.original_name, EvidenceItem.size).where(
            EvidenceItem.purged_at.is_(None)
        )
        docs = select(
            GeneratedDocument.sha256,
            GeneratedDocument.title,
            GeneratedDocument.version,
            GeneratedDocument.size,
            GeneratedDocument.device_id,
        )
        if case_id:
            items = items.where(EvidenceItem.case_id == case_id)
            docs = docs.where(GeneratedDocument.case_id == case_id)
        for sha, name, size in session.execute(items):
            if sha in held and sha not in wanted:
                wanted[sha] = Wanted(sha, display_name(name), int(size or 0))
        for sha, title, version, size, made_on in session.execute(docs):
            # A document made on this device and missing here is a real loss, not a download.
            if made_on != here and sha not in wanted and vault.stored_size(sha) is None:
                name = _("{title} version {version}").format(title=title, version=version)
                wanted[sha] = Wanted(sha, name, int(size or 0))
    return list(wanted.values())


def fetch(
    store: Store,
    wanted: Sequence[Wanted],
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelLike | None = None,
) -> dict[str, Missed]:
    """Download ``wanted`` into the vault; returns {sha256: why not} for those not fetched."""
    if not wanted:
        return {}
    if _fetcher is None:
        why = _("Downloading from HQ needs the sync part of FairDesk.")
        return {w.sha256: Missed(Failure.REFUSED, why) for w in wanted}
    this_role = role(store)
    if this_role not in FETCHING_ROLES:
        why = _(
            "Not available to this device: its role ({role}) does not download files other "
            "devices made; open the case on an HQ device."
        ).format(role=this_role or _("not enrolled"))
        return {w.sha256: Missed(Failure.NOT_AVAILABLE, why) for w in wanted}
    missed = _fetcher(store, wanted, progress, cancel)
    fetched = [w.sha256 for w in wanted if w.sha256 not in missed]
    if fetched:
        _mark_downloaded(store, fetched)
    return missed


def _mark_downloaded(store: Store, shas: list[str]) -> None:
    """The items whose original was just downloaded (SHA-256 checked on write) are "ok" here."""
    now = utcnow()
    with store.write() as session:
        for item in session.scalars(
            select(EvidenceItem).where(
                EvidenceItem.sha256.in_(shas),
                EvidenceItem.integrity.in_((Integrity.REMOTE, Integrity.MISSING, Integrity.UNSET)),
            )
        ):
            item.integrity, item.integrity_checked_at = Integrity.OK, now


def missed_sentence(missed: dict[str, Missed], names: dict[str, str]) -> str:
    """One sentence for everything that was not fetched (offline first: the usual case)."""
    listed = ", ".join(f"“{names.get(sha, sha[:12])}”" for sha in missed)
    if any(m.failure is Failure.OFFLINE for m in missed.values()):
        return _(
            "This device is offline (HQ cannot be reached), so {count} file(s) held at HQ are "
            "not downloaded yet: {names}. Nothing was changed; connect and try again."
        ).format(count=len(missed), names=listed)
    reasons = sorted({m.why for m in missed.values()})
    return _("{count} file(s) held at HQ could not be downloaded ({names}): {why}").format(
        count=len(missed), names=listed, why=" ".join(reasons)
    )


def ensure_case(
    store: Store,
    case_id: str | None,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelLike | None = None,
) -> list[str]:
    """Fetch every file of the case that only HQ holds; returns the SHA-256s fetched.

    Raises :class:`NotDownloaded` (one sentence) when some could not be fetched; nothing
    already stored is touched either way. A device that does not fetch (its role, or no sync
    part) returns at once: its report says "held by HQ" as before.
    """
    if not may_fetch(store):
        return []
    wanted = missing(store, case_id)
    missed = fetch(store, wanted, progress, cancel)
    if missed:
        names = {w.sha256: w.name for w in wanted}
        raise NotDownloaded(missed_sentence(missed, names), missed, names)
    return [w.sha256 for w in wanted]


def ensure_one(
    store: Store,
    sha256: str,
    name: str = "",
    size: int = 0,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelLike | None = None,
) -> bool:
    """Make one file local if HQ holds it (viewing it); True when it is here now.

    Raises NotDownloaded with the sentence to show when it could not be fetched.
    """
    if store.vault.stored_size(sha256) is not None:
        return True
    if not may_fetch(store):
        return False
    wanted = Wanted(sha256, name or sha256[:12], size)
    missed = fetch(store, [wanted], progress, cancel)
    if missed:
        names = {sha256: wanted.name}
        raise NotDownloaded(missed_sentence(missed, names), missed, names)
    return True
