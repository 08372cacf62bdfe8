"""Object-level authorization as a Hypothesis state machine (OWASP API1).

Two companies and a guidance centre act at random; after each step every id-taking route is
probed with ids that belong to someone else. Another tenant's case, blob, upload or device must
answer exactly like an unknown one (404 / "unknown ..."), nothing may change, and every pull
returns only what its caller may see. The guidance centre sees escalated cases and nothing else.
"""

from __future__ import annotations

import os
import uuid
from typing import Any, ClassVar

from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from starlette.testclient import TestClient

from sync.protocol import digest_of
from tests.sync.hq_harness import DeviceClient
from tests.sync.server.helpers import device, tenant

ACTORS = ("acme", "rival", "centre")
COMPANIES = ("acme", "rival")


class TenantIsolation(RuleBasedStateMachine):
    http: ClassVar[TestClient]
    devices: ClassVar[dict[str, DeviceClient]]

    cases = Bundle("cases")
    blobs = Bundle("blobs")
    uploads = Bundle("uploads")

    # The model outlives single examples because the database does too.
    owner: ClassVar[dict[str, str]]
    escalated: ClassVar[set[str]]
    blob_cases: ClassVar[dict[str, set[str]]]
    blob_owner: ClassVar[dict[str, str]]

    # --- what each actor may see --------------------------------------------------------
    def sees_case(self, actor: str, case: str) -> bool:
        return self.owner[case] == actor or (actor == "centre" and case in self.escalated)

    def sees_blob(self, actor: str, digest: str) -> bool:
        if self.blob_owner[digest] == actor:
            return True
        return actor == "centre" and bool(self.blob_cases[digest] & self.escalated)

    # --- actions ------------------------------------------------------------------------
    @rule(target=cases, owner=st.sampled_from(COMPANIES))
    def create_case(self, owner: str) -> str:
        d = self.devices[owner]
        case = d.new_case(title=f"{owner} secret")
        [r] = d.push(
            [d.mutation("party", str(uuid.uuid4()), changes={"case_id": case, "name": "x"})]
        )
        assert r["status"] == "applied"
        self.owner[case] = owner
        return case

    @rule(case=cases)
    def escalate(self, case: str) -> None:
        owner = self.devices[self.owner[case]]
        response = owner.request(
            "POST", f"/v1/cases/{case}/escalate", json={"guidance_centre": "Centre"}
        )
        assert response.status_code == 200, response.text
        self.escalated.add(case)

    @rule(target=blobs, case=cases, data=st.binary(min_size=1, max_size=64))
    def attach_blob(self, case: str, data: bytes) -> str:
        owner = self.owner[case]
        d = self.devices[owner]
        digest = d.upload(data + os.urandom(8))  # random tail: distinct blobs per step
        [r] = d.push(
            [
                d.mutation(
                    "evidence_item",
                    str(uuid.uuid4()),
                    changes={"case_id": case},
                    blob_refs=[digest.removeprefix("sha256:")],
                )
            ]
        )
        assert r["status"] == "applied"
        self.blob_owner[digest] = owner
        self.blob_cases[digest] = {case}
        return digest

    @rule(target=uploads, owner=st.sampled_from(ACTORS))
    def open_upload(self, owner: str) -> tuple[str, str, bytes]:
        data = os.urandom(32)
        response = self.devices[owner].start_upload(data)
        assert response.status_code == 201
        upload_id = response.json()["upload_id"]
        assert self.devices[owner].patch(upload_id, 0, data[:16]).status_code == 204
        return owner, upload_id, data

    # --- probes -------------------------------------------------------------------------
    @rule(actor=st.sampled_from(ACTORS), case=cases)
    def probe_case(self, actor: str, case: str) -> None:
        d = self.devices[actor]
        view = d.request("GET", f"/v1/cases/{case}")
        if self.sees_case(actor, case):
            assert view.status_code == 200
            assert view.json()["case_id"] == case
            return
        assert view.status_code == 404 and view.json()["error"] == "not_found"
        results = d.push(
            [
                d.mutation("case", case, "update", base_version=1, changes={"title": "pwned"}),
                d.mutation("note", str(uuid.uuid4()), changes={"case_id": case, "text": "x"}),
                d.mutation("case", case, "delete", base_version=1),
            ]
        )
        assert [r["status"] for r in results] == ["rejected"] * 3
        if actor == "centre":
            assert {r["reason"] for r in results} <= {
                "unknown case",
                "guidance centres may only add notes and timeline events",
            }
        else:
            assert [r["reason"] for r in results] == [
                "unknown record",
                "unknown case",
                "unknown record",
            ]
        if actor != "centre":
            esc = d.request(
                "POST", f"/v1/cases/{case}/escalate", json={"guidance_centre": "Centre"}
            )
            assert esc.status_code == 404

    @rule(actor=st.sampled_from(ACTORS), digest=blobs)
    def probe_blob(self, actor: str, digest: str) -> None:
        d = self.devices[actor]
        head = d.request("HEAD", f"/v1/blobs/{digest}")
        get = d.request("GET", f"/v1/blobs/{digest}")
        if self.sees_blob(actor, digest):
            assert head.status_code == 200 and get.status_code == 200
            assert digest_of(get.content) == digest
        else:
            assert head.status_code == 404 and get.status_code == 404

    @rule(actor=st.sampled_from(ACTORS), upload=uploads)
    def probe_upload(self, actor: str, upload: tuple[str, str, bytes]) -> None:
        owner, upload_id, data = upload
        if owner == actor:
            return
        d = self.devices[actor]
        assert d.request("HEAD", f"/v1/uploads/{upload_id}").status_code == 404
        assert d.patch(upload_id, 16, data[16:]).status_code == 404
        assert d.complete(upload_id, digest_of(data)).status_code == 404
        # The owner's upload is untouched.
        head = self.devices[owner].request("HEAD", f"/v1/uploads/{upload_id}")
        assert head.headers["upload-offset"] == "16"

    @rule(actor=st.sampled_from(ACTORS), target_actor=st.sampled_from(ACTORS))
    def probe_device(self, actor: str, target_actor: str) -> None:
        if actor == target_actor:
            return
        d, victim = self.devices[actor], self.devices[target_actor]
        revoke = d.request("POST", f"/v1/devices/{victim.device_id}/revoke")
        assert revoke.status_code == 404
        listed = d.request("GET", "/v1/devices")
        assert listed.status_code == 200
        assert victim.device_id not in {x["device_id"] for x in listed.json()}
        assert victim.request("GET", "/v1/sync/pull", params={"limit": 1}).status_code == 200

    @invariant()
    def pulls_are_scoped(self) -> None:
        for actor in ACTORS:
            changes = self.devices[actor].pull_all()
            seen_cases = {c["case_id"] for c in changes}
            assert all(self.sees_case(actor, c) for c in seen_cases if c in self.owner), actor
            assert seen_cases <= set(self.owner), actor
            for cursor_probe in (0,):
                response = self.devices[actor].request(
                    "GET", "/v1/sync/pull", params={"cursor": cursor_probe, "limit": 1}
                )
                assert response.status_code == 200


def test_tenants_never_see_each_other(hq_http: TestClient, hq_app: FastAPI) -> None:
    for name, kind in (("Acme", "company"), ("Rival", "company"), ("Centre", "guidance")):
        tenant(hq_app, name, kind)
    devices: dict[str, Any] = {
        "acme": device(hq_http, hq_app, "Acme", "admin"),
        "rival": device(hq_http, hq_app, "Rival", "admin"),
        "centre": device(hq_http, hq_app, "Centre", "admin"),
    }
    TenantIsolation.http = hq_http
    TenantIsolation.devices = devices
    TenantIsolation.owner, TenantIsolation.escalated = {}, set()
    TenantIsolation.blob_cases, TenantIsolation.blob_owner = {}, {}
    run_state_machine_as_test(
        TenantIsolation,
        settings=settings(
            max_examples=6,
            stateful_step_count=12,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
