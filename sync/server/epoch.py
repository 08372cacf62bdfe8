"""HQ's epoch: which life of the database a device's cursor and acknowledgements belong to.

A restore from an older backup takes HQ back in time: sequence numbers and devices' mutation ids
it had already handed out are handed out again for other changes. The devices cannot see that
from the numbers alone, so HQ keeps a random epoch id in its own database (the ``epoch`` row of
``counters``; a backup restores the old one) and replaces it as soon as it sees proof that it
was restored — a device whose pull cursor is beyond HQ's sequence, a device that says HQ
acknowledged mutations HQ does not hold, a push that leaves a gap after what HQ holds — or when
the operator says so (``fairdesk-hq new-epoch``, step 4 of the restore procedure in the server
README). Every pull answer carries the epoch; a device showing another one gets 410
``hq_restored`` with the last mutation HQ holds from it, re-pushes everything after that and
pulls everything again (sync/client/pull.py).
"""

from __future__ import annotations

import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sync.server.db import Database
from sync.server.models import Counter

EPOCH_COUNTER = "epoch"


def _fmt(value: int | None) -> str:
    return f"{value:016x}" if value else ""


def current(session: Session) -> str:
    """The epoch id ("" on a database that has none yet: no device is checked against it)."""
    return _fmt(session.scalars(select(Counter.value).where(Counter.name == EPOCH_COUNTER)).first())


def replace(session: Session) -> str:
    """A new epoch id, in the caller's write transaction; returns it."""
    value = secrets.randbits(62) + 1
    if current(session):
        session.execute(update(Counter).where(Counter.name == EPOCH_COUNTER).values(value=value))
    else:
        session.add(Counter(name=EPOCH_COUNTER, value=value))
    session.flush()
    return _fmt(value)


def rotate(db: Database, seen: str) -> str:
    """Replace the epoch, unless another request already did since `seen` was read."""
    with db.writing() as session:
        now = current(session)
        return now if now != seen else replace(session)
