"""HQ levels a case as the device does, rule R6 (ex-parte country floor) included.

Devices keep the level local (never pushed), so HQ reads the synced facts with a port of the
device's reading (`sync/server/situation.py`). Here a real device records cases across the
trigger × direction × country matrix, with the awkward bits (a UPC court party, a unitary
patent, police at a seizure, a user's correction, a deadline due within 24 hours, a level
override), syncs them to a real `fairdesk-hq`, and `fairdesk-hq case list --json` must give the
device's level and rule for every one — before and after HQ publishes a library update that
makes Japan an ex-parte country.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path

from fairdesk import cases
from fairdesk.cases import CaseInput, DeadlineInput, FairInput, PartyInput, RightInput
from fairdesk.knowledge import library
from fairdesk.model import Direction, Level, PartyRole, RightKind, Trigger
from fairdesk.timeutil import utcnow
from tests.sync.devices import make_node
from tests.sync.hq_harness import LiveHq


def _hq_levels(hq: LiveHq, tenant: str) -> dict[str, tuple[str, str]]:
    done = hq.cli("case", "list", "--tenant", tenant, "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    return {r["id"]: (r["level"], r["level_rule"]) for r in rows}


def _device_levels(store: object, ids: list[str]) -> dict[str, tuple[str, str]]:
    out = {}
    for case_id in ids:
        detail = cases.get_case(store, case_id)  # type: ignore[arg-type]
        out[case_id] = (detail.case.level.value, detail.level_rule)
    return out


def test_hq_and_the_device_give_every_case_the_same_level_and_rule(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    laptop = make_node(hq, tmp_path, "laptop", tenant)
    store = laptop.store
    fairs = [
        cases.find_fair(store, "Hannover Messe").id,  # DE: ex parte
        cases.find_fair(store, "Canton Fair").id,  # CN: not
        cases.find_fair(store, "CES").id,  # US: ex parte
        cases.create_fair(store, FairInput("Example Expo Tokyo", "Asia/Tokyo", "Tokyo", "JP")),
        None,
    ]
    ids: list[str] = []
    for trigger in Trigger:
        for direction in Direction:
            for fair in fairs:
                ids.append(
                    cases.create_case(
                        store, CaseInput(f"{trigger} {direction}", direction, trigger, fair)
                    )
                )
    de, jp = fairs[0], fairs[3]
    upc = cases.create_case(
        store, CaseInput("Order served", Direction.AGAINST_US, Trigger.COURT_ORDER, de)
    )
    cases.add_party(store, upc, PartyInput(PartyRole.COURT, "Unified Patent Court", "LD Munich"))
    unitary = cases.create_case(
        store, CaseInput("Seizure", Direction.AGAINST_US, Trigger.SEIZURE, jp)
    )
    cases.add_right(store, unitary, RightInput(RightKind.INVENTION_PATENT, "EP1", office="EPUE"))
    police = cases.create_case(store, CaseInput("Raid", Direction.AGAINST_US, Trigger.SEIZURE, de))
    cases.add_party(store, police, PartyInput(PartyRole.POLICE, "Polizei Hannover"))
    corrected_de = cases.create_case(
        store, CaseInput("Rumour", Direction.BY_US, Trigger.RISK_NOTICE, fairs[1])
    )
    cases.edit_case(
        store, corrected_de, cases.CaseEdit(situation="watch/risk_notice/DE"), reason="German court"
    )
    corrected_cn = cases.create_case(
        store, CaseInput("Letter", Direction.AGAINST_US, Trigger.WARNING_LETTER, de)
    )
    cases.edit_case(
        store,
        corrected_cn,
        cases.CaseEdit(situation="respondent/risk_notice/CN"),
        reason="only a rumour, and about China",
    )
    same_as_computed = cases.create_case(
        store, CaseInput("Letter by us", Direction.BY_US, Trigger.WARNING_LETTER, de)
    )
    cases.edit_case(
        store,
        same_as_computed,
        cases.CaseEdit(situation="complainant/copy_spotted/DE"),
        reason="same",
    )
    urgent = cases.create_case(
        store, CaseInput("Deadline", Direction.AGAINST_US, Trigger.RISK_NOTICE, fairs[1])
    )
    cases.add_deadline(
        store, urgent, DeadlineInput("Answer the desk", due_at=utcnow() + timedelta(hours=3))
    )
    overridden = cases.create_case(
        store, CaseInput("Override", Direction.AGAINST_US, Trigger.RISK_NOTICE, de)
    )
    cases.edit_case(store, overridden, cases.CaseEdit(level=Level.RED), reason="board asked")
    ids += [upc, unitary, police, corrected_de, corrected_cn, same_as_computed, urgent, overridden]
    assert laptop.sync().drained

    device = _device_levels(store, ids)
    assert {rule for _level, rule in device.values()} >= {"R1", "R2", "R3", "R4", "R5", "R6"}
    hq_seen = _hq_levels(hq, tenant)
    assert {i: hq_seen[i] for i in ids} == device

    # HQ publishes a library in which Japan's injunction is ex parte: the device re-levels on
    # its next sync, and HQ reads the same library at once.
    shipped = library.shipped_payload()
    entry = copy.deepcopy(next(e for e in shipped["entries"] if e["id"] == "jp.injunction"))
    entry["ex_parte"] = True
    update = {
        "schema_version": shipped["schema_version"],
        "library_version": shipped["library_version"] + 1,
        "edition": "test-jp",
        "published_at": "2027-01-05",
        "base_version": shipped["library_version"],
        "upsert": [entry],
        "delete": [],
    }
    path = tmp_path / "library.json"
    path.write_text(json.dumps(update, ensure_ascii=False), "utf-8")
    done = hq.cli(
        "reference", "publish", "--kind", "library", "--key", "3", "--data", f"@{path}", "--json"
    )
    assert done.returncode == 0, done.stderr
    assert laptop.sync().drained
    after = _device_levels(store, ids)
    assert after != device  # Japan's cases moved
    hq_after = _hq_levels(hq, tenant)
    assert {i: hq_after[i] for i in ids} == after
