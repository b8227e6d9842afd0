"""Intake stories over HTTP, on real PostgreSQL: one narrative test per story."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPORTER, SECOND_REPORTER, Intake, received

pytestmark = pytest.mark.integration


def stored_events(service: Intake, case_id: str) -> list[Any]:
    """The aggregate's events as the application stores them."""
    from uuid import UUID

    return list(service.intake.events.get(UUID(case_id)))


def test_every_channel_is_registered_with_a_running_number(service: Intake) -> None:
    letter = service.register(
        channel="letter",
        received_at="2024-12-30T09:00:00+08:00",  # came by post before it was registered
        reporter=REPORTER,
        reported_persons=[
            {
                "name": "王某",
                "unit": "某县财政局",
                "position": "局长",
                "cadre_level": "county_managed",
            }
        ],
        categories=["duty_violation", "eight_point_rules"],
        key_fields=["poverty_alleviation"],
        keywords=["扶贫", "挪用"],
        conduct_date="2016-05-01",
        full_text="全文……",
    )
    visit = service.register(channel="visit", visitors=12, summary="集体来访反映征地补偿")
    web = service.register(channel="web")
    phone = service.register(channel="phone", summary="12388来电反映")
    body = service.register(
        channel="body_handover",
        handed_over_from="城关区人民检察院",
        handover_reference="检移〔2024〕1号",
    )
    upper = service.register(
        channel="upper_handover", handed_over_from="62", handover_reference="甘纪信转〔2024〕9号"
    )
    numbers = [r["registration_number"] for r in (letter, visit, web, phone, body, upper)]
    year = numbers[0].split("-")[1]
    assert numbers == [f"6201-{year}-{n:06d}" for n in range(1, 7)]
    # Another organ counts on its own.
    other = service.register(organ_code="620102", channel="phone")
    assert other["registration_number"] == f"620102-{year}-000001"

    # Real-name and web reports get a receipt code; an anonymous letter or phone call not.
    assert letter["receipt_code"] and web["receipt_code"]
    assert visit["receipt_code"] is None and phone["receipt_code"] is None
    assert len(letter["receipt_code"].replace("-", "")) * 5 >= 80

    shown = service.client.get(f"/petitions/{letter['case_id']}").json()
    assert shown["real_name"] is True and shown["registered_by"] == "clerk.li"
    assert shown["received_at"] < shown["registered_at"]
    assert shown["categories"] == ["eight_point_rules", "duty_violation"]
    assert shown["conduct_period"] == "before_cutoff"
    assert REPORTER["name"] not in str(shown) and REPORTER["phone"] not in str(shown)
    assert service.client.get(f"/petitions/{visit['case_id']}").json()["visitors"] == 12
    upper_shown = service.client.get(f"/petitions/{upper['case_id']}").json()
    assert upper_shown["channel"] == "upper_handover" and upper_shown["handed_over_from"] == "62"

    registered = stored_events(service, letter["case_id"])[0]
    assert type(registered).__qualname__ == "Petition.Registered"
    assert registered.sealed_reporter.startswith("v1.")
    assert registered.receipt_code_hash and letter["receipt_code"] not in str(vars(registered))


def test_the_gateway_shape_registers_an_anonymous_report(service: Intake) -> None:
    body = {"organ_code": "620102", "channel": "web", "summary": "网络举报"}
    body["received_at"] = received()
    # The city's clerk (the client's default token) does not register for the county.
    elsewhere = service.client.post("/petitions", json=body)
    assert elsewhere.status_code == 403 and elsewhere.json()["error"]["code"] == "forbidden"
    county_clerk = service.as_("clerk.ma", organ="620102")
    response = service.client.post("/petitions", json=body, headers=county_clerk)
    assert response.status_code == 201
    assert set(response.json()) == {
        "case_id",
        "registration_number",
        "receipt_code",
        "substance_hint",
    }
    assert response.json()["substance_hint"] is None  # names no person and no act
    # The event records the token's username: nothing in the request names the actor.
    assert (
        service.client.get(f"/petitions/{response.json()['case_id']}").json()["registered_by"]
        == "clerk.ma"
    )


def test_registration_refusals_have_stable_codes_in_two_languages(service: Intake) -> None:
    def refused(**fields: Any) -> dict[str, Any]:
        body = {
            "organ_code": "6201",
            "channel": "letter",
            "summary": "s",
            "received_at": received(),
        }
        response = service.client.post("/petitions", json={**body, **fields})
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["message_zh"] and error["message_en"]
        return error  # type: ignore[no-any-return]

    assert refused(organ_code="9999")["code"] == "organ_unknown"
    bad_id = {**REPORTER, "id_number": "620102198001011230"}
    error = refused(reporter=bad_id)
    assert error["code"] == "reporter_id_number_bad_check_digit"
    assert bad_id["id_number"] not in str(error) and REPORTER["name"] not in str(error)
    too_long = {**REPORTER, "id_number": "6201021980010112399"}
    error = refused(reporter=too_long)
    assert error["code"] == "request_invalid" and too_long["id_number"] not in str(error)
    assert refused(received_at="2150-01-01T00:00:00+08:00")["code"] == "received_after_registered"
    assert refused(received_at="2024-01-01T00:00:00")["code"] == "request_invalid"
    assert refused(key_fields=["astrology"])["code"] == "key_field_unknown"
    assert refused(channel="letter", visitors=3)["code"] == "visitors_only_for_visits"
    assert refused(channel="upper_handover", handed_over_from="6203")["code"] == (
        "handover_source_not_upper"
    )
    assert refused(conduct_date="2016-01-01", conduct_period="after_cutoff")["code"] == (
        "conduct_period_contradicts_date"
    )
    # Nothing refused used up a number.
    assert service.register()["registration_number"].endswith("-000001")


def test_each_screening_outcome_records_who_and_when_and_what_the_reporter_sees(
    service: Intake,
) -> None:
    client, actor = service.client, service.as_("clerk.wang")
    accepted = service.register(reporter=REPORTER)
    diverted = service.register(channel="web")
    refused = service.register(channel="web")

    def step(
        case: dict[str, Any], path: str, body: dict[str, Any], who: dict[str, str] = actor
    ) -> Any:
        return client.post(f"/petitions/{case['case_id']}/screening/{path}", json=body, headers=who)

    assert step(accepted, "accept", {"report_type": "accusation"}).json()["stage"] == "accepted"
    assert (
        step(
            diverted,
            "divert",
            {
                "department": "城关区住房和城乡建设局",
                "explanation": "房屋漏水属于物业管理纠纷,不属于纪检监察机关受理范围",
            },
        ).status_code
        == 200
    )
    leader = service.as_("leader.zhang", role="leader")
    early = step(refused, "not-accept/approve", {}, leader)
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_accept_not_proposed"
    # The old free-text approver is gone: a proposal names the acting clerk.
    old = step(refused, "not-accept", {"reason": "无实质内容", "approved_by": "leader.zhang"})
    assert old.status_code == 422
    # The actor is the token's: an actor object in the body is refused.
    in_body = step(refused, "not-accept", {"reason": "无实质内容", "actor": {"name": "x"}})
    assert in_body.status_code == 422
    proposed = step(refused, "not-accept", {"reason": "仅列举违纪行为名称,无实质内容"})
    assert proposed.status_code == 200 and proposed.json()["stage"] == "received"
    pending = step(refused, "accept", {"report_type": "accusation"})
    assert pending.status_code == 409 and pending.json()["error"]["code"] == "not_accept_pending"
    # Nobody approves their own proposal: the policy refuses first (403, its reason).
    own = step(refused, "not-accept/approve", {}, service.as_("clerk.wang", role="leader"))
    assert own.status_code == 403 and own.json()["error"]["code"] == "forbidden"
    assert own.json()["error"]["details"]["reason"] == "approver_proposed_it"
    # A petition clerk cannot approve.
    clerk_approves = step(refused, "not-accept/approve", {}, service.as_("clerk.zhou"))
    assert clerk_approves.status_code == 403
    assert clerk_approves.json()["error"]["details"]["reason"] == "no_rule_grants_approve_case"
    elsewhere = step(
        refused, "not-accept/approve", {}, service.as_("leader.wu", role="leader", organ="62")
    )
    assert elsewhere.status_code == 403
    assert elsewhere.json()["error"]["details"]["reason"] == "no_rule_grants_approve_case"
    approved = step(refused, "not-accept/approve", {}, leader)
    assert approved.status_code == 200 and approved.json()["stage"] == "not_accepted"

    shown = client.get(f"/petitions/{accepted['case_id']}").json()
    assert (shown["stage"], shown["report_type"], shown["screened_by"]) == (
        "accepted",
        "accusation",
        "clerk.wang",
    )
    assert shown["screened_at"]
    again = step(accepted, "divert", {"department": "法院", "explanation": "诉讼"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "petition_already_screened"
    decided = client.get(f"/petitions/{refused['case_id']}").json()
    assert (decided["proposed_by"], decided["approved_by"]) == ("clerk.wang", "leader.zhang")
    assert decided["screened_by"] == "clerk.wang" and decided["not_accept_proposal"] is None

    def progress(case: dict[str, Any]) -> dict[str, Any]:
        response = client.post("/public/progress", json={"receipt_code": case["receipt_code"]})
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    seen = progress(diverted)
    assert seen["stage"] == "diverted" and seen["diverted_to"] == "城关区住房和城乡建设局"
    assert "物业" in seen["explanation"] and seen["message_en"]
    seen = progress(refused)
    assert seen["stage"] == "not_accepted" and "无实质内容" in seen["reason"]
    assert "leader.zhang" not in str(seen) and "clerk" not in str(seen)
    seen = progress(accepted)
    assert (seen["stage"], seen["message_zh"], seen["message_en"]) == (
        "accepted",
        "已受理",
        "Accepted for handling",
    )
    assert set(seen) == {
        "stage",
        "message_zh",
        "message_en",
        "received_on",
        "diverted_to",
        "explanation",
        "reason",
        "result_zh",
        "result_en",
    }
    # Handling, then the public result.
    case_url = f"/petitions/{accepted['case_id']}"
    assert client.post(f"{case_url}/handling-started").json()["started"] is True
    assert client.post(f"{case_url}/handling-started").json()["started"] is False
    assert progress(accepted)["stage"] == "in_handling"
    client.post(
        f"{case_url}/result",
        json={
            "result_zh": "经查,反映问题部分属实,已给予党纪处分",
            "result_en": "Partly true; sanctioned",
        },
    )
    seen = progress(accepted)
    assert seen["stage"] == "concluded" and seen["result_en"] == "Partly true; sanctioned"


def test_real_name_check_and_acceptance_notification(service: Intake) -> None:
    client = service.client
    real = service.register(reporter=REPORTER)
    anonymous = service.register(channel="phone")
    url = f"/petitions/{real['case_id']}"
    assert (
        client.post(f"{url}/screening/real-name-check", json={"method": "by_phone"}).status_code
        == 200
    )
    again = client.post(f"{url}/screening/real-name-check", json={"method": "in_person"})
    assert again.json()["error"]["code"] == "real_name_already_verified"
    early = client.post(f"{url}/acceptance-notification", json={"method": "sms"})
    assert early.status_code == 409 and early.json()["error"]["code"] == "petition_not_screened"
    client.post(f"{url}/screening/accept", json={"report_type": "appeal"})
    told = client.post(f"{url}/acceptance-notification", json={"method": "sms"})
    assert told.status_code == 200
    shown = client.get(url).json()
    assert shown["real_name_check"] == "by_phone"
    assert shown["acceptance_notified"]["method"] == "sms"
    notified = stored_events(service, real["case_id"])[-1]
    assert type(notified).__qualname__ == "Petition.AcceptanceNotified"
    assert notified.method == "sms" and notified.notified_at

    a_url = f"/petitions/{anonymous['case_id']}"
    client.post(f"{a_url}/screening/accept", json={"report_type": "accusation"})
    refused = client.post(f"{a_url}/acceptance-notification", json={"method": "letter"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "petition_anonymous"


def test_a_repeat_is_found_and_linked_to_its_first_case(service: Intake) -> None:
    client = service.client
    person = {"name": "李建国", "unit": "榆中县某镇政府", "position": "镇长"}
    first = service.register(reported_persons=[person], categories=["integrity_discipline"])
    unrelated = service.register(reported_persons=[{"name": "赵某"}])
    for case in (first, unrelated):
        client.post(
            f"/petitions/{case['case_id']}/screening/accept", json={"report_type": "accusation"}
        )
    second = service.register(
        channel="web",
        reported_persons=[{**person, "position": ""}],
        categories=["integrity_discipline"],
    )
    candidates = client.get(f"/petitions/{second['case_id']}/repeat-candidates").json()
    assert [c["case_id"] for c in candidates] == [first["case_id"]]
    assert candidates[0]["score"] >= 0.9 and "李建国" in candidates[0]["reason_zh"]

    linked = client.post(
        f"/petitions/{second['case_id']}/screening/link-repeat",
        json={"first_case_id": first["case_id"], "reason": "同一被反映人同一问题,无新的事实"},
    )
    assert linked.json() == {
        "case_id": second["case_id"],
        "stage": "repeat",
        "first_case_id": first["case_id"],
    }
    # A repeat of a repeat is linked to the first case.
    third = service.register(channel="phone", reported_persons=[person])
    chained = client.post(
        f"/petitions/{third['case_id']}/screening/link-repeat",
        json={"first_case_id": second["case_id"], "reason": "again"},
    )
    assert chained.json()["first_case_id"] == first["case_id"]
    event = stored_events(service, third["case_id"])[-1]
    assert type(event).__qualname__ == "Petition.LinkedAsRepeat"
    assert event.first_case_id == first["case_id"]
    # The reporter of a repeat follows the first case, which is the one handled.
    assert (
        client.post("/public/progress", json={"receipt_code": second["receipt_code"]}).json()[
            "stage"
        ]
        == "accepted"
    )
    missing = client.post(
        f"/petitions/{unrelated['case_id']}/screening/link-repeat",
        json={"first_case_id": "00000000-0000-4000-8000-000000000000", "reason": "x"},
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "first_case_unknown"


def test_a_traditional_and_full_width_variant_is_a_repeat_candidate(service: Intake) -> None:
    client = service.client
    first = service.register(
        reported_persons=[{"name": "欧阳建国", "unit": "榆中县第2中学"}],
        categories=["integrity_discipline"],
    )
    client.post(
        f"/petitions/{first['case_id']}/screening/accept", json={"report_type": "accusation"}
    )
    variant = service.register(
        channel="web",
        reported_persons=[{"name": "歐陽　建國", "unit": "榆中縣第２中學"}],
        categories=["integrity_discipline"],
    )
    candidates = client.get(f"/petitions/{variant['case_id']}/repeat-candidates").json()
    assert [(c["case_id"], c["score"]) for c in candidates] == [(first["case_id"], 1.0)]
    shown = candidates[0]
    assert shown["registration_number"] == first["registration_number"]
    assert "工作单位相同" in shown["reason_zh"] and "same unit" in shown["reason_en"]
    assert set(shown) == {
        "case_id",
        "registration_number",
        "organ_code",
        "summary",
        "stage",
        "score",
        "reason_zh",
        "reason_en",
        "holder",
    }
    assert shown["holder"] == {
        "organ_code": "6201",
        "organ_name": "兰州市纪委监委",
        "office": "petition",
    }


def test_a_report_without_concrete_facts_gets_a_substance_hint(service: Intake) -> None:
    client = service.client
    bare = service.register(
        summary="举报王某贪污腐败,以权谋私",
        reported_persons=[{"name": "王某", "unit": "某县财政局"}],
    )
    # A hint only: the report is registered (201) and numbered like any other.
    assert bare["registration_number"]
    hint = bare["substance_hint"]
    assert "实质内容" in hint["message_zh"] and "leader's approval" in hint["message_en"]
    assert hint["missing"] == ["time", "place", "amount", "act"]
    shown = client.get(f"/petitions/{bare['case_id']}").json()
    assert shown["substance_hint"] == hint and shown["stage"] == "received"

    factual = service.register(
        summary="王某2023年春节期间在某酒店收受承包商礼金2万元",
        reported_persons=[{"name": "王某", "unit": "某县财政局"}],
    )
    assert factual["substance_hint"] is None
    assert client.get(f"/petitions/{factual['case_id']}").json()["substance_hint"] is None

    # Once the clerk records the facts, the hint goes away.
    corrected = client.post(
        f"/petitions/{bare['case_id']}/corrections",
        json={"reason": "补充来信内容", "full_text": "2023年5月在办公室索要好处费5000元"},
    )
    assert corrected.status_code == 200, corrected.text
    assert client.get(f"/petitions/{bare['case_id']}").json()["substance_hint"] is None


def test_corrections_add_an_event_and_never_edit(service: Intake) -> None:
    client = service.client
    case = service.register(reporter=REPORTER, summary="原摘要")
    url = f"/petitions/{case['case_id']}"
    response = client.post(
        f"{url}/corrections",
        headers=service.as_("clerk.zhao"),
        json={
            "reason": "登记时漏填被反映人,摘要有误",
            "summary": "更正后的摘要",
            "reported_persons": [{"name": "孙某", "unit": "某局"}],
            "reporter": SECOND_REPORTER,
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["changed_fields"] == ["reported_persons", "summary", "reporter"]
    shown = client.get(url).json()
    assert shown["summary"] == "更正后的摘要" and shown["corrections"] == 1
    events = stored_events(service, case["case_id"])
    assert events[0].summary == "原摘要"  # history is untouched
    corrected = events[-1]
    assert type(corrected).__qualname__ == "Petition.Corrected"
    assert corrected.reason.startswith("登记时") and corrected.actor == "clerk.zhao"
    assert corrected.changed_fields == ["reported_persons", "summary", "reporter"]
    assert corrected.sealed_reporter.startswith("v1.")
    assert SECOND_REPORTER["name"] not in str(corrected.changes)
    revealed = client.post(f"{url}/reporter/reveal", json={"purpose": "核实更正"}).json()
    assert revealed["name"] == SECOND_REPORTER["name"]

    same = client.post(f"{url}/corrections", json={"reason": "again", "summary": "更正后的摘要"})
    assert same.status_code == 422
    assert same.json()["error"]["code"] == "correction_changes_nothing"
    before_acceptance = client.post(
        f"{url}/corrections", json={"reason": "r", "report_type": "appeal"}
    )
    assert before_acceptance.json()["error"]["code"] == "report_type_before_acceptance"


def test_every_read_of_the_identity_is_recorded(service: Intake) -> None:
    case = service.register(reporter=REPORTER)
    url = f"/petitions/{case['case_id']}/reporter/reveal"
    response = service.client.post(
        url, json={"purpose": "电话核实实名"}, headers=service.as_("clerk.li")
    )
    assert response.json() == REPORTER
    event = stored_events(service, case["case_id"])[-1]
    assert type(event).__qualname__ == "Petition.ReporterRevealed"
    assert (event.actor, event.purpose) == ("clerk.li", "电话核实实名")
    anonymous = service.register(channel="web")
    refused = service.client.post(
        f"/petitions/{anonymous['case_id']}/reporter/reveal", json={"purpose": "x"}
    )
    assert refused.status_code == 409


def _pdf(size: int) -> bytes:
    head = b"%PDF-1.7\n"
    return head + b"0" * (size - len(head))


def _stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_attachments_are_content_addressed_and_limited(service: Intake) -> None:
    client = service.client
    case = service.register()
    url = f"/petitions/{case['case_id']}/attachments"
    root = service.data_dir / "attachments"

    scan = _pdf(20 * 1024 * 1024)
    response = client.post(
        url,
        files={"file": ("来信扫描.pdf", scan, "application/pdf")},
        data={"kind": "letter_scan"},
    )
    assert response.status_code == 201, response.text
    sha = hashlib.sha256(scan).hexdigest()
    assert response.json() == {
        "sha256": sha,
        "size": len(scan),
        "media_type": "application/pdf",
        "kind": "letter_scan",
        "added": True,
    }
    stored = _stored_files(root)
    assert stored == [root / sha[:2] / sha[2:4] / sha]
    # Encrypted at rest: the address is the plaintext's hash, the file holds ciphertext.
    on_disk = stored[0].read_bytes()
    assert on_disk.startswith(b"BATONAT1") and hashlib.sha256(on_disk).hexdigest() != sha
    assert b"%PDF-1.7" not in on_disk and b"0" * 64 not in on_disk
    event = stored_events(service, case["case_id"])[-1]
    assert type(event).__qualname__ == "Petition.AttachmentAdded"
    assert event.attachment == {
        "sha256": sha,
        "size": len(scan),
        "media_type": "application/pdf",
        "kind": "letter_scan",
    }
    download = client.get(f"{url}/{sha}")
    assert download.status_code == 200 and download.content == scan
    assert download.headers["content-type"] == "application/pdf"
    # The same content again attaches nothing new.
    assert (
        client.post(
            url, files={"file": ("copy.pdf", scan, "application/pdf")}, data={"kind": "letter_scan"}
        ).json()["added"]
        is False
    )

    refusals = [
        (("big.pdf", _pdf(25 * 1024 * 1024 + 1), "application/pdf"), "attachment_too_large"),
        (("notes.txt", b"hello", "text/plain"), "attachment_type_refused"),
        (("fake.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"), "attachment_content_mismatch"),
        (("empty.png", b"", "image/png"), "attachment_empty"),
    ]
    for upload, code in refusals:
        refused = client.post(url, files={"file": upload}, data={"kind": "document"})
        assert refused.status_code == 422, upload[0]
        assert refused.json()["error"]["code"] == code
    huge = client.post(
        url,
        content=b"x",
        headers={
            "content-length": str(200 * 1024 * 1024),
            "content-type": "multipart/form-data; boundary=b",
        },
    )
    assert huge.status_code == 422 and huge.json()["error"]["code"] == "attachment_too_large"
    assert _stored_files(root) == stored  # nothing else was stored, not even a temp file
    photo = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    assert (
        client.post(
            url, files={"file": ("p.png", photo, "image/png")}, data={"kind": "photo"}
        ).status_code
        == 201
    )
    recording = b"ID3" + b"\x00" * 100
    assert (
        client.post(
            url, files={"file": ("r.mp3", recording, "audio/mpeg")}, data={"kind": "recording"}
        ).status_code
        == 201
    )
    assert len(client.get(f"/petitions/{case['case_id']}").json()["attachments"]) == 3
    other = service.register()
    assert client.get(f"/petitions/{other['case_id']}/attachments/{sha}").status_code == 404


@pytest.mark.parametrize(
    "intake_settings",
    [
        {
            "progress_min_seconds": 0.3,
            "progress_burst": 5,
            "progress_per_minute": 1,
            "trusted_proxies": ["testclient"],
        }
    ],
)
def test_progress_answers_wrong_and_right_codes_alike_and_throttles_guessing(
    service: Intake,
) -> None:
    client = service.client
    case = service.register(channel="web")
    right = case["receipt_code"]
    wrong = "A" * 24

    def ask(code: str, client_ip: str) -> tuple[float, Any]:
        started = time.perf_counter()
        response = client.post(
            "/public/progress", json={"receipt_code": code}, headers={"X-Forwarded-For": client_ip}
        )
        return time.perf_counter() - started, response

    t_right, ok = ask(right, "10.0.0.1")
    t_wrong, missing = ask(wrong, "10.0.0.1")
    t_malformed, malformed = ask("not-a-code", "10.0.0.1")
    assert ok.status_code == 200 and ok.json()["stage"] == "received"
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "receipt_code_unknown"
    assert missing.json()["error"]["message_en"]
    assert malformed.status_code == 422
    assert malformed.json()["error"]["code"] == "receipt_code_malformed"
    # Every answer waits for the same floor, so a right and a wrong code look alike. Only
    # the floor is asserted: an upper bound would measure the machine's load, not intake.
    for elapsed in (t_right, t_wrong, t_malformed):
        assert elapsed >= 0.3
    # Lower case and without dashes is the same code.
    assert ask(right.replace("-", "").lower(), "10.0.0.2")[1].status_code == 200

    # A guesser from one address is throttled after the burst; another client is not.
    statuses = [ask(f"{n:024d}".replace("0", "A"), "10.0.0.1")[1] for n in range(4)]
    assert [r.status_code for r in statuses][-1] == 429
    throttled = statuses[-1].json()["error"]
    assert throttled["code"] == "rate_limited" and throttled["message_zh"]
    assert ask(right, "10.0.0.3")[1].status_code == 200


def test_a_registration_answers_alike_with_and_without_an_idempotency_key(
    service: Intake,
) -> None:
    """The unkeyed answer is written straight from the model (no second check by
    FastAPI): the same JSON, fields and status as the keyed answer FastAPI writes."""
    body = {
        "organ_code": "6201",
        "channel": "web",
        "received_at": received(),
        "reported_persons": [{"name": "欧阳志强", "unit": "某县财政局"}],
        "summary": "反映欧阳志强有问题",  # names a person, no fact: a substance hint
    }
    plain = service.client.post("/petitions", json=body)
    keyed = service.client.post("/petitions", json=body, headers={"Idempotency-Key": "k-1"})
    assert plain.status_code == keyed.status_code == 201
    assert plain.headers["content-type"] == keyed.headers["content-type"] == "application/json"
    first, second = plain.json(), keyed.json()
    fields = {"case_id", "registration_number", "receipt_code", "substance_hint"}
    assert set(first) == set(second) == fields
    assert first["substance_hint"]["missing"]
    assert first["substance_hint"] == second["substance_hint"]
    assert first["receipt_code"] and second["receipt_code"]
    # Chinese stays readable in both (not \u escapes), as FastAPI's JSONResponse writes it.
    assert "\\u" not in plain.text and "\\u" not in keyed.text
