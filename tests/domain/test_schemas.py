"""The published event schemas (``schemas/``): one per event type and version, current with the
event classes, locked once published, and true to what the stream really holds.

- every event class has a schema for its current version, and every schema file belongs to an
  event type (older versions stay as published history);
- the checked-in schemas equal freshly generated ones, and no locked version changed;
- a Koers application run against NATS writes one event of every type, and each payload
  validates against ``schemas/<Koers-Type>.v<Koers-Schema>.json``, formats checked;
- check-ins stored by an earlier version (schema v1, a checked-in fixture) read back upcast.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import nats
import orjson
import pytest
from eventsourcing.persistence import StoredEvent

import ledger.domain
from ledger.application import Koers
from ledger.domain import COMMANDS, Criterion, KeyResult, Option
from ledger.nats._client import RawMessage
from ledger.schemas import (
    LOCK_NAME,
    SCHEMA_DIR,
    SchemaError,
    build_schema,
    check,
    event_types,
    fingerprint,
    generate,
    published,
    read_lock,
    render,
    write,
)
from ledger.schemas import _glossary as glossary
from ledger.schemas.__main__ import main
from tests import factories as example
from tests.conftest import nats_url, read_stream, schema_validator

FIXTURE = Path(__file__).parents[1] / "fixtures" / "key_result_checked_in_v1.jsonl"
CURRENT = {e.name: e.version for e in event_types()}


def read_messages(stream: str) -> list[RawMessage]:
    async def read() -> list[RawMessage]:
        nc = await nats.connect(nats_url())
        try:
            return await read_stream(nc, stream)
        finally:
            await nc.close()

    return asyncio.run(read())


def errors(file_name: str, payload: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in schema_validator(file_name).iter_errors(payload)]


# -- (a) every event type has a schema; every schema has an event type ------------------------


def test_every_event_class_of_every_aggregate_has_a_schema_for_its_current_version() -> None:
    assert len(CURRENT) >= 39
    missing = [e.file_name for e in event_types() if not (SCHEMA_DIR / e.file_name).exists()]
    assert missing == []


def test_every_schema_file_is_an_event_type_at_or_below_its_current_version() -> None:
    files = published()
    assert files
    orphans = [f.path.name for f in files if f.version > CURRENT.get(f.name, 0)]
    assert orphans == []
    assert {p.name for p in SCHEMA_DIR.glob("*.json")} == {f.path.name for f in files}


def test_a_versioned_event_keeps_every_older_schema_and_has_an_upcaster_for_each_step() -> None:
    for event in event_types():
        for version in range(1, event.version):
            assert (SCHEMA_DIR / f"{event.name}.v{version}.json").exists(), (event.name, version)
            assert callable(getattr(event.cls, f"upcast_v{version}_v{version + 1}", None))
    assert CURRENT["key_result.checked_in"] == 3
    assert CURRENT["decision.made"] == 2  # v2: every event records its credential


def test_every_schema_is_a_valid_draft_2020_12_schema_with_its_id_and_descriptions() -> None:
    for file in published():
        schema = json.loads(file.path.read_text("utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"] == f"https://koers.invalid/schemas/{file.path.name}"
        assert schema["additionalProperties"] is False
        assert schema["title"]
        assert schema["description"]
        for owner in [schema, *schema.get("$defs", {}).values()]:
            assert set(owner["required"]) == set(owner["properties"]), file.path.name
            for name, field in owner["properties"].items():
                assert field.get("description"), f"{file.path.name}: {name}"


# -- (b) the checked-in schemas are the generated ones, and published versions are locked -----


def test_the_checked_in_schemas_equal_freshly_generated_ones() -> None:
    """Fails when an event's shape (or a description) changed without 'write'."""
    for name, schema in generate().items():
        assert (SCHEMA_DIR / name).read_text("utf-8") == render(schema), (
            f"{name} is out of date: run 'python -m ledger.schemas write' (and if the shape "
            f"changed, raise the event's class_version with an upcaster first)"
        )
    assert check() == []


def test_no_locked_version_changed_and_every_schema_file_is_locked() -> None:
    lock = read_lock()
    files = {f.key: f for f in published()}
    assert set(lock) == set(files), "run 'python -m ledger.schemas write' to lock new versions"
    for key, file in files.items():
        digest = fingerprint(json.loads(file.path.read_text("utf-8")))
        assert lock[key] == digest, f"{key} is published and changed: add a new version instead"
    for name, schema in generate().items():
        assert lock[name.removesuffix(".json")] == fingerprint(schema), name


@pytest.fixture
def schema_copy(tmp_path: Path) -> Path:
    for file in [*SCHEMA_DIR.glob("*.json"), SCHEMA_DIR / LOCK_NAME]:
        shutil.copy(file, tmp_path / file.name)
    return tmp_path


def _reshaped(schemas: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The schemas as if ``key_result.dropped`` had gained a field."""
    schema = json.loads(json.dumps(schemas["key_result.dropped.v2.json"]))
    schema["properties"]["approved_by"] = {"description": "Who approved it.", "type": "string"}
    schema["required"].append("approved_by")
    return {**schemas, "key_result.dropped.v2.json": schema}


def test_changing_the_shape_of_a_published_version_is_refused(
    schema_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = (schema_copy / "key_result.dropped.v2.json").read_text("utf-8")
    monkeypatch.setattr("ledger.schemas._files.generate", lambda: _reshaped(generate()))
    written, refused = write(schema_copy)
    assert written == []
    assert len(refused) == 1
    assert "key_result.dropped.v2 is published" in refused[0]
    assert "class_version" in refused[0]
    assert (schema_copy / "key_result.dropped.v2.json").read_text("utf-8") == before
    assert any("key_result.dropped.v2 is published" in p for p in check(schema_copy))


def test_a_new_version_is_written_and_locked_and_the_old_one_stays(
    schema_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reshaped = _reshaped(generate())
    v3 = reshaped.pop("key_result.dropped.v2.json")
    reshaped["key_result.dropped.v3.json"] = v3
    monkeypatch.setattr("ledger.schemas._files.generate", lambda: reshaped)
    written, refused = write(schema_copy)
    assert (written, refused) == (["key_result.dropped.v3.json"], [])
    assert read_lock(schema_copy)["key_result.dropped.v3"] == fingerprint(v3)
    assert (schema_copy / "key_result.dropped.v2.json").exists()


def test_annotations_may_improve_in_place_but_every_validating_keyword_is_locked() -> None:
    schema = generate()["decision.opened.v3.json"]
    reworded = json.loads(json.dumps(schema))
    reworded["description"] = "Better words."
    reworded["$defs"]["Option"]["properties"]["title"]["description"] = "Better words."
    assert fingerprint(reworded) == fingerprint(schema)
    retyped = json.loads(json.dumps(schema))  # "description" here is a field, not an annotation
    retyped["$defs"]["Option"]["properties"]["description"]["type"] = "integer"
    assert fingerprint(retyped) != fingerprint(schema)


def test_check_reports_orphans_and_unlocked_files(schema_copy: Path) -> None:
    (schema_copy / "decision.made.v3.json").write_text("{}\n", "utf-8")
    (schema_copy / "decision.unmade.v1.json").write_text("{}\n", "utf-8")
    problems = check(schema_copy)
    assert any("decision.made.v3.json: newer than" in p for p in problems)
    assert any("decision.unmade.v1.json: no event type" in p for p in problems)
    assert check(SCHEMA_DIR) == []


def test_the_generator_fails_loudly_on_a_field_without_description(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(glossary.FIELDS, "reason")
    reversed_ = next(e for e in event_types() if e.name == "decision.reversed")
    with pytest.raises(SchemaError, match=r"no description for decision\.reversed\.reason"):
        build_schema(reversed_)


def test_every_glossary_entry_names_a_real_field_or_value() -> None:
    """So the descriptions never drift from the events they describe."""
    fields: set[str] = set()
    for name, schema in generate().items():
        type_ = name.rsplit(".v", 1)[0]
        fields.update(f"{type_}.{f}" for f in schema["properties"])
        fields.update(schema["properties"])
        for cls, spec in schema.get("$defs", {}).items():
            fields.update(f"{cls}.{f}" for f in spec["properties"])
    assert set(glossary.OVERRIDES) - fields == set()
    assert set(glossary.FIELDS) - fields == set()
    assert set(glossary.INTEGER_RANGES) - fields == set()
    assert set(glossary.EVENTS) == set(CURRENT)
    defs = {d for schema in generate().values() for d in schema.get("$defs", {})}
    assert set(glossary.DATACLASSES) == defs
    for enum_name, meanings in glossary.ENUM_VALUES.items():
        assert set(meanings) == {m.value for m in getattr(ledger.domain, enum_name)}, enum_name


def test_the_entry_point_checks_and_writes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    assert "every schema matches" in capsys.readouterr().out
    assert main(["publish"]) == 2


def test_the_format_checker_checks_uuid_date_time_and_date() -> None:
    """``date-time`` needs the rfc3339-validator package; without it jsonschema skips it."""
    checker = jsonschema.FormatChecker()
    assert {"uuid", "date-time", "date"} <= set(checker.checkers)
    assert not checker.conforms("2026-03-02T09:00:00", "date-time")  # no offset
    assert not checker.conforms("0b6f2c644d3a4f0e9a517c1d2e3f4a01", "uuid")  # no hyphens
    assert not checker.conforms("2026-3-2", "date")


# -- (c) a real round trip: every event type on the stream validates --------------------------


@pytest.fixture
def koers(env: dict[str, str]) -> Iterator[Koers]:
    app = Koers(env=env)
    yield app
    app.close()


def record_one_of_everything(app: Koers) -> None:
    a, b, c = "ann", "bob", "cem"
    now = datetime.now(UTC)
    today = now.date()
    # objectives
    top = app.set_objective(actor=a, key="o-top", **example.objective()).id
    child = app.set_objective(actor=a, **example.objective(owner=b, parent_id=top)).id
    app.realign_objective(child, actor=a, parent_id=None, reason="stands alone")
    # the directory
    app.add_person(actor=a, handle="ann", name="Ann", email="ann@example.org")
    app.grant_role("ann", actor=a, role="admin")
    app.revoke_role("ann", actor=a, role="admin")
    app.add_team(actor=a, slug="company", name="Company")
    app.add_team(actor=a, slug="platform", name="Platform", parent="company")
    app.set_member("platform", actor=a, handle="ann", role="lead")
    app.remove_member("platform", actor=a, handle="ann")
    app.notify_person("ann", actor=a, digest="weekly", quiet="19:00-08:00", kinds=["weekly_review"])
    app.notify_team("platform", actor=a, teams_url="https://example.webhook.office.com/x")
    # a command from the table with an idempotency key: its key's record
    app.execute(
        COMMANDS["objective.realign"], child, {"reason": "still alone"}, actor=a, key="k-realign"
    )
    # key results
    kr = app.add_key_result(actor=a, objective_id=top, **example.key_result(owner=b)).id
    app.check_in(
        kr, actor=b, key="ci-1", **example.check_in(value="12.50", as_of=now - timedelta(hours=2))
    )
    check_in_id = uuid.uuid5(kr, "ci-1")
    app.check_in(kr, actor=b, value="1E+1", confidence=0, as_of=now - timedelta(hours=1))
    app.correct_check_in(
        kr, actor=b, check_in_id=check_in_id, value="11", confidence=5, reason="typo"
    )
    app.retarget(kr, actor=a, target="35", reason="market shrank")
    app.weigh_key_result(kr, actor=a, weight="2.5", reason="it matters most")
    app.close_key_result(kr, actor=a, score="0.7", learnings="start earlier")
    churn = example.key_result(metric="decrease", start="10", target="5", unit="%", owner=c)
    other_kr = app.add_key_result(actor=a, objective_id=top, **churn).id
    app.drop_key_result(other_kr, actor=a, reason="not measurable")
    app.score_objective(top, actor=a, score="0.8", learnings="ship smaller")
    app.weigh_objective(child, actor=a, weight="3", reason="the quarter's focus")
    app.drop_objective(child, actor=a, reason="merged into another")
    # KPIs
    kpi = app.define_kpi(actor=a, **example.kpi(owner=b, next_step="")).id
    app.measure_kpi(kpi, actor=b, value="3.5", as_of=now - timedelta(days=1))
    app.set_kpi_next_step(kpi, actor=b, next_step="automate releases")
    app.retire_kpi(kpi, actor=a, reason="replaced")
    # decisions
    opened = example.decision(
        question="Which CI?",
        context="",
        options=[Option("gha", "GitHub Actions"), Option("self", "Self-hosted", "ours")],
        criteria=[Criterion("cost", Decimal("2")), Criterion("speed", Decimal("1.5"))],
        decide_by=today + timedelta(days=7),
    )
    decision = app.open_decision(actor=a, **opened).id
    app.add_option(decision, actor=a, option=Option("buildkite", "Buildkite"))
    app.update_information(decision, actor=a, information_level=80, note="benchmarks in")
    app.score_decision(decision, actor=a, option="gha", criterion="cost", score=4, note="")
    app.take_position(decision, actor=b, position="disagree_and_commit", note="")
    app.name_decision_roles(decision, actor=a, recommender=b, approver=c)
    app.approve_decision(decision, actor=c, note="fine by me")
    app.decide(
        decision, actor=a, **example.decide(chosen="gha", review_on=today + timedelta(days=30))
    )
    app.review_decision(decision, actor=a, **example.review())
    app.reverse_decision(decision, actor=a, reason="pricing changed")
    older = app.open_decision(actor=a, **{**opened, "question": "Keep Jenkins?"}).id
    app.supersede_decision(older, actor=a, by_decision_id=decision, reason="answered there")
    app.link_decision(decision, actor=a, kind="objective", target_id=top)
    # delegations
    delegation = app.delegate(
        actor=a, **example.delegation(level="advise", due=today + timedelta(days=30))
    ).id
    app.delegation_check_in(delegation, actor=b, status="at_risk", progress="venue", key="d-1")
    app.acknowledge_check_in(
        delegation, actor=a, check_in_id=uuid.uuid5(delegation, "d-1"), note="thanks"
    )
    app.renegotiate(delegation, actor=b, reason="venue moved", due=today + timedelta(days=40))
    app.complete_delegation(delegation, actor=a, feedback="great", feedforward="book earlier")
    hire = example.delegation(owner=c, title="Hire", level="tell", due=today + timedelta(days=60))
    revoked = app.delegate(actor=a, **hire).id
    app.revoke_delegation(revoked, actor=a, reason="hiring freeze")
    # retros (one action item done, one dropped, one carried over into a later retro)
    retro = app.hold_retro(actor=a, team="platform", period="sprint 42", held_on=today).id
    next_sprint = example.retro(
        period="sprint 43", held_on=today + timedelta(days=14), facilitator=b
    )
    later = app.hold_retro(actor=a, **next_sprint).id
    app.add_retro_item(retro, actor=b, kind="went_well", text="pairing")
    app.record_pulse(retro, actor=a, dimension="workload", score="3.4", responses=5)
    app.give_pulse_score(retro, actor=b, dimension="workload", score=4)
    items = [
        app.add_action_item(retro, actor=a, text=t, owner=b, due=today + timedelta(days=7)).item_id
        for t in ("fix CI", "write docs", "plan offsite")
    ]
    app.complete_action_item(retro, actor=b, item_id=items[0], note="done")
    app.drop_action_item(retro, actor=a, item_id=items[1], reason="obsolete")
    app.carry_over(retro, actor=a, item_id=items[2], to_retro_id=later)
    app.link_decision(decision, actor=a, kind="action_item", target_id=retro, item_id=items[2])
    # prompts
    prompt = app.issue_prompt(
        actor="koers", **example.prompt(triggered_by=[f"decision:{decision}"])
    ).id
    app.snooze_prompt(prompt, actor=a, until=now + timedelta(days=1))
    app.answer_prompt(prompt, actor=a, answer="the CI choice")
    dismissed = app.issue_prompt(actor="koers", to=b, question="How was the week?", kind="w").id
    app.dismiss_prompt(dismissed, actor=b)
    # credentials (of ann, whom the directory part above added)
    token = app.create_token(actor=a, handle="ann", label="laptop").id
    app.revoke_token(token, actor=a, reason="lost")
    app.use_login_link(app.issue_login_link("ann", actor=a, minutes=15))
    app.issue_calendar_link("ann", actor=a)
    app.issue_calendar_link("ann", actor=a)  # replaces the first
    app.revoke_calendar_link("ann", actor=a)
    webhook = app.add_webhook(actor=a, url="https://example.org/hooks/koers").id
    app.remove_webhook(webhook, actor=a, reason="tool retired")


def test_every_event_type_written_to_the_stream_validates_against_its_schema(
    koers: Koers, env: dict[str, str]
) -> None:
    record_one_of_everything(koers)
    messages = read_messages(env["NATS_STREAM"])
    seen: dict[str, set[str]] = {}
    for message in messages:
        type_, version = message.headers["Koers-Type"], message.headers["Koers-Schema"]
        payload = orjson.loads(message.data)
        assert errors(f"{type_}.v{version}.json", payload) == [], (message.seq, type_, payload)
        seen.setdefault(type_, set()).add(version)
    assert seen == {name: {str(version)} for name, version in CURRENT.items()}


def test_a_payload_that_breaks_its_schema_is_caught_with_formats_checked() -> None:
    payload = {
        "timestamp": "2026-03-02T09:00:00+00:00",
        "actor": "bob",
        "command_id": "",
        "check_in_id": str(uuid.uuid4()),
        "value": "12.5",
        "confidence": 6,
        "note": "",
        "blockers": [],
        "as_of": "2026-03-02T08:00:00+01:00",
        "class_version": 2,
    }
    assert errors("key_result.checked_in.v2.json", payload) == []
    bad = {
        **payload,
        "as_of": "2026-03-02T08:00:00",  # no offset
        "check_in_id": "not-a-uuid",
        "value": "12,5",
        "confidence": 11,
        "blockers": "one text",  # the v1 shape
        "extra": 1,
    }
    problems = errors("key_result.checked_in.v2.json", bad)
    for needle in ("as_of", "check_in_id", "value", "confidence", "blockers", "extra"):
        assert any(needle in p for p in problems), (needle, problems)


# -- (d) events stored by an earlier version (schema v1) read back through the upcaster ------


def fixture_events() -> list[dict[str, Any]]:
    return [json.loads(line) for line in FIXTURE.read_text("utf-8").splitlines() if line]


def insert_fixture_events(koers: Koers) -> list[dict[str, Any]]:
    """Store the fixture's v1 events as they are (an earlier version wrote them); its rows."""
    rows = fixture_events()
    koers.recorder.insert_events(
        [
            StoredEvent(
                uuid.UUID(r["originator_id"]),
                r["originator_version"],
                r["topic"],
                orjson.dumps(r["state"]),
            )
            for r in rows
        ]
    )
    return rows


def test_the_v1_fixture_payloads_validate_against_the_v1_schema_and_not_v2() -> None:
    rows = fixture_events()
    check_ins = [r for r in rows if r["topic"].endswith(":KeyResult.CheckedIn")]
    assert len(check_ins) == 2
    for row in check_ins:
        assert "class_version" not in row["state"]
        assert errors("key_result.checked_in.v1.json", row["state"]) == []
        assert errors("key_result.checked_in.v2.json", row["state"]) != []
    assert errors("key_result.added.v1.json", rows[0]["state"]) == []


def test_v1_check_ins_stored_by_an_earlier_version_load_with_blockers_as_a_list(
    koers: Koers, env: dict[str, str]
) -> None:
    # The recorder stamps Koers-Schema from the payload (no class_version key = v1), so the
    # v1 payloads inserted here carry Koers-Schema: 1, as the earlier version stored them.
    rows = insert_fixture_events(koers)
    kr = koers.load(KeyResult, uuid.UUID(rows[0]["originator_id"]))
    first, second = (uuid.UUID(r["state"]["check_in_id"]) for r in rows[1:])
    assert kr.check_ins[first]["blockers"] == ("CI is slow", "waiting on legal")
    assert kr.check_ins[second]["blockers"] == ()
    assert kr.check_ins[second]["value"] == Decimal("18.5")
    assert kr.check_ins[first]["as_of"] == datetime(2025, 10, 6, 6, 30, tzinfo=UTC)
    assert kr.version == 3
    assert kr.title == "Teams onboarded without help"
    assert kr.commands == {"kr-onboarding": "Added@1", "weekly-2025-42": "CheckedIn@3"}

    messages = read_messages(env["NATS_STREAM"])
    assert [m.headers["Koers-Schema"] for m in messages] == ["1", "1", "1"]
    for message in messages:
        file_name = f"{message.headers['Koers-Type']}.v{message.headers['Koers-Schema']}.json"
        assert errors(file_name, orjson.loads(message.data)) == []

    # a new check-in on the same key result is written as v3, after the v1 ones
    koers.check_in(
        kr.id, actor="bob", value="20", confidence=8, as_of=datetime.now(UTC), blockers=("x",)
    )
    last = read_messages(env["NATS_STREAM"])[-1]
    assert last.headers["Koers-Schema"] == "3"
    assert errors("key_result.checked_in.v3.json", orjson.loads(last.data)) == []


def test_the_schema_header_names_the_payloads_own_version(
    koers: Koers, env: dict[str, str]
) -> None:
    """A v1 payload stored today (an import, a migration) is stamped v1, not the class's v2."""
    insert_fixture_events(koers)
    stamped = {
        m.headers.get("Koers-Type"): m.headers.get("Koers-Schema")
        for m in read_messages(env["NATS_STREAM"])
    }
    assert stamped["key_result.checked_in"] == "1"
