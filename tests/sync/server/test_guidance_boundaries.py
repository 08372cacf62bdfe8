"""Issue 21, finding 4 and the cross-tenant ids at a guidance centre (both databases): a blob
reference only ever shows a blob that the referencing tenant's own upload produced, and one
company's rows can never be merged with another's at the centre."""

from __future__ import annotations

import os
import uuid

from fastapi import FastAPI
from starlette.testclient import TestClient

from sync.protocol import digest_of
from sync.server.models import Escalation, Record
from tests.sync.hq_harness import DeviceClient
from tests.sync.server.helpers import count, device, tenant


def _escalate(legal: DeviceClient, case: str, centre: str = "Centre") -> int:
    response = legal.request("POST", f"/v1/cases/{case}/escalate", json={"guidance_centre": centre})
    return response.status_code


def _get_blob(dev: DeviceClient, digest: str) -> int:
    return dev.request("GET", f"/v1/blobs/{digest}").status_code


def test_a_centre_cannot_read_a_company_blob_by_naming_it(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    tenant(hq_app, "Acme")
    tenant(hq_app, "Centre", "guidance")
    legal = device(hq_http, hq_app, "Acme", "legal")
    centre = device(hq_http, hq_app, "Centre")
    shared, private = legal.new_case(title="shared"), legal.new_case(title="private")
    secret = os.urandom(4096)
    secret_digest = legal.upload(secret)
    sha = secret_digest.removeprefix("sha256:")
    legal.push(
        [
            legal.mutation(
                "evidence_item", str(uuid.uuid4()), changes={"case_id": private}, blob_refs=[sha]
            )
        ]
    )
    assert _escalate(legal, shared) == 200
    assert _get_blob(centre, secret_digest) == 404
    # The centre names the private blob in a note of the escalated case...
    [note] = centre.push(
        [centre.mutation("note", str(uuid.uuid4()), changes={"case_id": shared}, blob_refs=[sha])]
    )
    assert note["status"] == "applied"  # the note itself is fine; the reference grants nothing
    assert _get_blob(centre, secret_digest) == 404
    assert centre.request("HEAD", f"/v1/blobs/{secret_digest}").status_code == 404
    # ...even after reserving an upload of that digest (a live reservation is not the bytes).
    reserved = centre.request(
        "POST",
        "/v1/uploads",
        headers={"Idempotency-Key": secret_digest, "Upload-Length": str(len(secret))},
    )
    assert reserved.status_code == 201
    [again] = centre.push(
        [centre.mutation("note", str(uuid.uuid4()), changes={"case_id": shared}, blob_refs=[sha])]
    )
    assert again["status"] == "applied"
    assert _get_blob(centre, secret_digest) == 404
    # The company's own references in the escalated case still work, including one pushed
    # before its photo was uploaded (records never wait behind photos).
    photo = os.urandom(2048)
    photo_digest = digest_of(photo)
    [pending] = legal.push(
        [
            legal.mutation(
                "evidence_item",
                str(uuid.uuid4()),
                changes={"case_id": shared},
                blob_refs=[photo_digest.removeprefix("sha256:")],
            )
        ]
    )
    assert pending["status"] == "applied"
    assert _get_blob(centre, photo_digest) == 404  # pending: not uploaded yet
    legal.upload(photo)
    response = centre.request("GET", f"/v1/blobs/{photo_digest}")
    assert response.status_code == 200 and response.content == photo
    assert _get_blob(centre, secret_digest) == 404


def _two_companies_and_a_centre(
    http: TestClient, app: FastAPI
) -> tuple[DeviceClient, DeviceClient, DeviceClient]:
    """A legal device of Acme and of Rival, and a device of the guidance centre "Centre"."""
    for name in ("Acme", "Rival"):
        tenant(app, name)
    tenant(app, "Centre", "guidance")
    return (
        device(http, app, "Acme", "legal"),
        device(http, app, "Rival", "legal"),
        device(http, app, "Centre"),
    )


def test_a_company_cannot_merge_its_case_into_another_company_at_the_centre(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    acme, rival, centre = _two_companies_and_a_centre(hq_http, hq_app)
    case = acme.new_case(title="Acme raid")
    acme_note = str(uuid.uuid4())
    acme.push([acme.mutation("note", acme_note, changes={"case_id": case, "text": "acme"})])
    assert _escalate(acme, case) == 200
    # The rival learnt the ids (a forwarded e-mail) and builds a case with the same ones.
    [copy] = rival.push([rival.mutation("case", case, changes={"title": "Rival's lie"})])
    assert copy["status"] == "applied"  # ids are per tenant: its own namespace is its business
    assert _escalate(rival, case) == 409
    assert count(hq_app, Escalation) == 1
    # Nor through a child row of another escalated case of its own.
    own = rival.new_case(title="Rival case")
    assert _escalate(rival, own) == 200
    [clash] = rival.push(
        [rival.mutation("note", acme_note, changes={"case_id": own, "text": "rival"})]
    )
    assert clash["status"] == "rejected"
    [fine] = rival.push(
        [rival.mutation("note", str(uuid.uuid4()), changes={"case_id": own, "text": "rival"})]
    )
    assert fine["status"] == "applied"
    # A rival row made before its case was escalated blocks that escalation instead.
    later = rival.new_case(title="later")
    rival.push([rival.mutation("note", acme_note, changes={"case_id": later, "text": "r"})])
    assert _escalate(rival, later) == 409
    # The centre sees Acme's case as Acme wrote it, and its note lands in Acme's case.
    pulled = centre.pull_all()
    by_id = {(c["entity"], c["entity_id"]): c for c in pulled}
    assert by_id[("case", case)]["fields"]["title"] == "Acme raid"
    assert by_id[("note", acme_note)]["fields"]["text"] == "acme"
    assert not [c for c in pulled if c["fields"].get("title") == "Rival's lie"]
    [note] = centre.push(
        [centre.mutation("note", str(uuid.uuid4()), changes={"case_id": case, "text": "advice"})]
    )
    assert note["status"] == "applied"
    assert count(hq_app, Record, Record.tenant_id == acme.tenant_id, Record.entity == "note") == 2
    assert count(hq_app, Record, Record.tenant_id == rival.tenant_id, Record.entity == "note") == 2


def test_one_push_cannot_give_two_companies_rows_the_same_id_at_the_centre(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    """The rows a push creates are inserted together at its end: the clash check must still see
    the ones created earlier in the same push, for another company."""
    acme, rival, centre = _two_companies_and_a_centre(hq_http, hq_app)
    acme_case, rival_case = acme.new_case(title="Acme"), rival.new_case(title="Rival")
    assert _escalate(acme, acme_case) == 200 and _escalate(rival, rival_case) == 200
    note = str(uuid.uuid4())
    first, second = centre.push(
        [
            centre.mutation("note", note, changes={"case_id": acme_case, "text": "to acme"}),
            centre.mutation("note", note, changes={"case_id": rival_case, "text": "to rival"}),
        ]
    )
    assert first["status"] == "applied"
    assert second["status"] == "rejected" and "already in use" in second["reason"]
    assert count(hq_app, Record) == 3  # the two cases and Acme's note
