"""Every entity of the protocol lands in a local table: none can be dropped on pull.

The applier used to import the evidence and documents models under `suppress(ImportError)`,
so a broken import there silently skipped every pulled photo and document row.
"""

from __future__ import annotations

from sync.client.apply import tables
from sync.protocol import ENTITIES


def test_every_protocol_entity_has_its_local_table() -> None:
    found = tables()
    assert set(found) == set(ENTITIES)
    assert found["document"].name == "documents"
    assert found["case"].name == "case_file"
    assert all("id" in table.c for table in found.values())
