"""The device's fetcher for :mod:`fairdesk.evidence.ondemand`: files from HQ, on demand.

Installed by the ``fairdesk`` command's sync plug-in (``sync.client.cli``) and by the app's
sync feature (``ui.sync``). The network modules load only when something is fetched, so
installing costs nothing at start-up. Each file goes through :func:`sync.client.blobs.download`
(resumable, SHA-256 checked before it enters the vault); a cut link is retried a few times
from the bytes already received before the file is reported as not downloaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fairdesk.evidence import ondemand
from fairdesk.evidence.ondemand import Failure, Missed, Progress, Wanted
from fairdesk.store import Store
from fairdesk.vault import Cancelled, CancelLike

# Attempts per file after a cut (each resumes where the last stopped; a link that is really
# down fails the first request at once, in the connect timeout).
RESUMES = 4
STALLS = 2  # attempts in a row that brought no byte: HQ is unreachable


def fetch(
    store: Store,
    wanted: Sequence[Wanted],
    progress: Callable[[Progress], None] | None,
    cancel: CancelLike | None,
) -> dict[str, Missed]:
    from sync.client import blobs
    from sync.client.engine import make_transport
    from sync.client.errors import NeedsSignIn, Offline, SyncError

    try:
        transport = make_transport(store)
    except SyncError as exc:
        return {w.sha256: Missed(Failure.REFUSED, str(exc)) for w in wanted}
    missed: dict[str, Missed] = {}
    all_size = sum(w.size for w in wanted)
    finished = 0  # bytes of the files done before the current one
    try:
        for index, item in enumerate(wanted):

            def report(
                done: int, size: int, item: Wanted = item, index: int = index, base: int = finished
            ) -> None:
                if progress is not None:
                    progress(
                        Progress(
                            item.name,
                            done,
                            size,
                            index,
                            len(wanted),
                            base + done,
                            max(all_size, base + size),
                        )
                    )

            partial = store.vault.partial(item.sha256)
            stalls = 0
            for attempt in range(RESUMES):
                before = partial.size()
                try:
                    blobs.download(store, transport, item.sha256, on_progress=report, cancel=cancel)
                    break
                except (Offline, NeedsSignIn) as exc:
                    # A cut mid-file is worth an immediate resume; a link that gave nothing
                    # twice in a row is down, and the rest will not get through either.
                    stalls = 0 if partial.size() > before else stalls + 1
                    if attempt + 1 < RESUMES and stalls < STALLS:
                        continue
                    missed[item.sha256] = Missed(Failure.OFFLINE, str(exc))
                    break
                except blobs.NotAvailable as exc:
                    missed[item.sha256] = Missed(Failure.NOT_AVAILABLE, str(exc))
                    break
                except blobs.Mismatch as exc:
                    missed[item.sha256] = Missed(Failure.DAMAGED, str(exc))
                    break
                except Cancelled:
                    raise
                except SyncError as exc:
                    missed[item.sha256] = Missed(Failure.REFUSED, str(exc))
                    break
            if item.sha256 in missed and missed[item.sha256].failure is Failure.OFFLINE:
                for rest in wanted[index + 1 :]:  # offline: do not wait a timeout per file
                    missed[rest.sha256] = missed[item.sha256]
                break
            finished += item.size
    finally:
        transport.close()
    return missed


def install() -> None:
    """Make this process fetch from HQ when a file is viewed, verified or exported."""
    ondemand.install(fetch)
