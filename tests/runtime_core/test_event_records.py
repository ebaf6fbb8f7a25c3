"""The event records are the log's one schema: documented field by field, and
turned into the JSON objects sinks have always had."""

from __future__ import annotations

import dataclasses
import inspect
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flowc_runtime import events
from flowc_runtime.events import (
    EVENT_RECORDS,
    EventLog,
    EventRecord,
    MemorySink,
    MessageSent,
    Secrets,
    StepEntered,
    StoreUnavailable,
    VariableSet,
    WebhookRefused,
)

RUNTIME_DOC = Path(__file__).resolve().parents[2] / "docs" / "runtime.md"
NOW = datetime(2030, 3, 11, 9, 30, tzinfo=UTC)
# A table row of the "Event log" section: | `kind` | `field`, `field` | what happened |
ROW = re.compile(r"^\| `(?P<kind>\w+)` \| (?P<fields>[^|]*) \|")


def documented_events() -> dict[str, tuple[str, ...]]:
    text = RUNTIME_DOC.read_text(encoding="utf-8")
    section = text.split("\n## Event log\n", 1)[1].split("\n## ", 1)[0]
    rows = (ROW.match(line) for line in section.splitlines())
    return {
        row["kind"]: tuple(re.findall(r"`(\w+)`", row["fields"])) for row in rows if row is not None
    }


def test_the_runtime_doc_lists_every_event_with_its_fields_in_order() -> None:
    recorded = {
        record.event: tuple(field.name for field in dataclasses.fields(record))
        for record in EVENT_RECORDS
    }
    assert documented_events() == recorded


def test_every_record_of_the_module_is_a_known_kind_of_its_own() -> None:
    defined = {
        value
        for value in vars(events).values()
        if inspect.isclass(value) and issubclass(value, EventRecord) and value is not EventRecord
    }
    assert defined == set(EVENT_RECORDS)
    assert len({record.event for record in EVENT_RECORDS}) == len(EVENT_RECORDS)


@pytest.mark.parametrize("record", EVENT_RECORDS, ids=lambda record: record.event)
def test_records_are_frozen_and_slotted(record: type[EventRecord]) -> None:
    params = record.__dataclass_params__  # type: ignore[attr-defined]
    assert params.frozen
    # slotted all the way up: no class of its MRO gives its instances a __dict__
    assert all("__dict__" not in vars(klass) for klass in record.__mro__)


def logged(record: EventRecord, secrets: Secrets | None = None) -> list[dict[str, object]]:
    sink = MemorySink()
    EventLog("c1", [sink], lambda: NOW, secrets or Secrets()).emit(record)
    return list(sink.events)


def test_the_log_stamps_a_record_and_lays_its_fields_out_in_order() -> None:
    assert logged(StepEntered("pizza.flow", 3, "talk")) == [
        {
            "event": "step",
            "call": "c1",
            "at": "2030-03-11T09:30:00+00:00",
            "file": "pizza.flow",
            "line": 3,
            "kind": "talk",
        }
    ]
    (event,) = logged(StepEntered("pizza.flow", 3, "talk"))
    assert list(event) == ["event", "call", "at", "file", "line", "kind"]


def test_the_log_masks_secrets_in_every_field_at_any_depth() -> None:
    value = {"header": "Bearer k-1", "k-1": ["k-1"]}
    (event,) = logged(VariableSet("auth", value), Secrets(["k-1"]))
    assert event["value"] == {"header": "Bearer ***", "***": ["***"]}


def test_a_message_sent_holds_the_text_of_an_sms_and_the_subject_of_an_email() -> None:
    (sms,) = logged(MessageSent(medium="sms", to="+1555", text="Hi", via="Outbox"))
    (email,) = logged(MessageSent(medium="email", to="a@b.example", subject="Re", via="SmtpMailer"))
    assert list(sms)[3:] == ["medium", "to", "text", "via"] and sms["text"] == "Hi"
    assert list(email)[3:] == ["medium", "to", "subject", "via"] and email["subject"] == "Re"


def test_a_log_without_sinks_does_nothing() -> None:
    log = EventLog("c1", [], lambda: NOW, Secrets())
    assert not log.active
    log.emit(StepEntered("pizza.flow", 3, "talk"))  # no sink to reach, nothing raised


def test_the_servers_events_are_stamped_as_they_are_without_masking() -> None:
    assert WebhookRefused("/twilio/voice", "no signature").stamped("CA1", "t") == {
        "event": "webhook_refused",
        "call": "CA1",
        "at": "t",
        "path": "/twilio/voice",
        "reason": "no signature",
    }
    assert StoreUnavailable("down").fields() == {"reason": "down"}
