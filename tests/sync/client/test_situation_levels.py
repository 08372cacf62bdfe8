"""One case, one level: the CLI, the services the window calls and a second device after sync
through a real `fairdesk-hq` all give the same level and rule, and follow the situation.

The bug this pins: rule R6 (ex-parte country floor) read a process-wide library that only
some paths loaded, and the sync applier levelled pulled cases with no floor at all — a risk
notice at Hannover Messe was yellow/R6 on the laptop that recorded it and blue/R5 on the HQ
lawyer's device.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import update

from fairdesk import cases
from fairdesk.cases import CaseInput, FairInput, PartyInput
from fairdesk.knowledge import library
from fairdesk.model import Case, Direction, Level, PartyRole, Trigger
from tests.sync.devices import make_node
from tests.sync.hq_harness import LiveHq


def _cli(data_dir: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "fairdesk", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FAIRDESK_LANG": "en"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _level(store_case: cases.CaseDetail) -> tuple[Level, str]:
    return store_case.case.level, store_case.level_rule


def test_same_level_and_rule_on_every_path_and_device(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    laptop = make_node(hq, tmp_path, "laptop", tenant)
    lawyer = make_node(hq, tmp_path, "lawyer", tenant)
    fair = cases.find_fair(laptop.store, "Hannover Messe").id  # from the shipped catalogue
    # The command line, in its own process (nothing loaded before it levels the case).
    out = _cli(
        tmp_path / "laptop",
        "case",
        "new",
        "--title",
        "Risk notice: competitor announced action",
        "--trigger",
        "risk_notice",
        "--fair",
        "Hannover Messe",
        "--json",
    )
    cli_case = json.loads(out)
    assert (cli_case["level"], cli_case["level_rule"]) == ("yellow", "R6")
    assert cli_case["situation"]["key"] == "watch/risk_notice/DE"
    # The service the New emergency dialog calls, in this process.
    gui_id = cases.create_case(
        laptop.store,
        CaseInput("Same facts from the window", Direction.AGAINST_US, Trigger.RISK_NOTICE, fair),
    )
    assert _level(cases.get_case(laptop.store, gui_id)) == (Level.YELLOW, "R6")

    assert laptop.sync().drained
    assert lawyer.sync().drained
    for case_id in (cli_case["id"], gui_id):
        seen = cases.get_case(lawyer.store, case_id)
        assert _level(seen) == (Level.YELLOW, "R6"), case_id
        assert seen.situation is not None and seen.situation.situation.key() == (
            "watch/risk_notice/DE"
        )

    # A row levelled by older code (blue/R5, as the applier without a floor left it) is
    # mended by the full refresh the app runs at start and after a library update.
    with lawyer.store.write() as session:
        session.execute(
            update(Case)
            .where(Case.id == gui_id)
            .values(level=Level.BLUE, computed_level=Level.BLUE, level_reason="R5")
        )
    assert cases.refresh_levels(lawyer.store, full=True) == 1
    assert _level(cases.get_case(lawyer.store, gui_id)) == (Level.YELLOW, "R6")

    # The lawyer corrects the situation: the order came from the UPC. The correction syncs
    # like any field, and both devices level it the same way.
    cases.edit_case(
        lawyer.store,
        gui_id,
        cases.CaseEdit(situation="respondent/ex_parte_order_served/UPC"),
        reason="Order of the UPC Local Division Düsseldorf",
    )
    assert lawyer.sync().drained
    assert laptop.sync().drained
    for node in (laptop, lawyer):
        seen = cases.get_case(node.store, gui_id)
        assert _level(seen) == (Level.RED, "R1"), node.name
        assert seen.situation is not None and seen.situation.corrected
        assert seen.situation.situation.key() == "respondent/ex_parte_order_served/UPC"
    shown = json.loads(_cli(tmp_path / "laptop", "case", "show", gui_id, "--json"))
    assert shown["situation"]["corrected"] is True
    assert shown["guidance"]["situation"] == "respondent/ex_parte_order_served/UPC"
    assert shown["guidance"]["cards"][0]["id"] == "upc.provisional-measures"
    assert "protective_letter" not in shown["guidance"]["documents"]


def test_a_upc_court_party_moves_the_situation_on_both_devices(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    laptop = make_node(hq, tmp_path, "laptop", tenant)
    lawyer = make_node(hq, tmp_path, "lawyer", tenant)
    fair = cases.find_fair(laptop.store, "Hannover Messe").id  # from the shipped catalogue
    case_id = cases.create_case(
        laptop.store,
        CaseInput("Injunction served", Direction.AGAINST_US, Trigger.COURT_ORDER, fair),
    )
    assert cases.get_case(laptop.store, case_id).situation.situation.key() == (  # type: ignore[union-attr]
        "respondent/ex_parte_order_served/DE"
    )
    cases.add_party(
        laptop.store, case_id, PartyInput(PartyRole.COURT, "Unified Patent Court", "LD Munich")
    )
    assert laptop.sync().drained
    assert lawyer.sync().drained
    for node in (laptop, lawyer):
        reading = cases.get_case(node.store, case_id).situation
        assert reading is not None and not reading.corrected
        assert reading.situation.key() == "respondent/ex_parte_order_served/UPC", node.name


def test_a_library_update_from_hq_relevels_cases_on_sync(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    laptop = make_node(hq, tmp_path, "laptop", tenant)
    tokyo = cases.create_fair(
        laptop.store, FairInput("Example Expo Tokyo", "Asia/Tokyo", "Tokyo", "JP")
    )
    case_id = cases.create_case(
        laptop.store,
        CaseInput("Rumour of an injunction", Direction.AGAINST_US, Trigger.RISK_NOTICE, tokyo),
    )
    assert _level(cases.get_case(laptop.store, case_id)) == (Level.BLUE, "R5")
    shipped = library.shipped_payload()
    entry = copy.deepcopy(next(e for e in shipped["entries"] if e["id"] == "jp.injunction"))
    entry["ex_parte"] = True  # a (hypothetical) correction published by HQ
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
        "reference", "publish", "--kind", "library", "--key", "2", "--data", f"@{path}", "--json"
    )
    assert done.returncode == 0, done.stderr
    assert laptop.sync().drained
    assert library.load_active(laptop.store).edition == "test-jp"
    assert _level(cases.get_case(laptop.store, case_id)) == (Level.YELLOW, "R6")
