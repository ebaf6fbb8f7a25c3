"""`Call`'s service methods against real local servers: what they return, what
they set, what they log, and that secrets never reach the log."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

from flowc_runtime import JsonLinesSink, MemorySink, ScriptedChannel
from flowc_runtime.call import Call
from flowc_runtime.driver import start_call
from flowc_runtime.events import Secrets
from flowc_runtime.messaging import Outbox
from flowc_runtime.program import Vars
from flowc_runtime.services import HttpRequest
from flowc_runtime.transcript import transcript_line

from tests.support.http_server import LocalHttpServer, Reply

from . import sample_flows
from .helpers import local_services

API_KEY = "k-9f8e7d"


def new_call(sink: MemorySink, outbox: Outbox | None = None) -> Call:
    services = local_services({"API_KEY": API_KEY}, outbox)
    call = start_call(sample_flows.FLOW_Greeter, services, ScriptedChannel([]), sinks=[sink])
    call.env_secret("API_KEY")
    return call


def test_a_request_sets_its_variable_and_logs_the_answer(http_server: LocalHttpServer) -> None:
    http_server.route("GET", "/slots", Reply.json({"first": "9:00", "second": "10:00"}))
    sink = MemorySink()
    v: Vars = {}
    request = HttpRequest(
        "GET", f"{http_server.url}/slots", headers={"apiKey": API_KEY}, query={"key": API_KEY}
    )
    ok = asyncio.run(new_call(sink).request(v, "slots", request, {"first": "text"}))
    assert ok and v["slots"] == {"first": "9:00", "second": "10:00"}
    answered = sink.of_kind("request_answered")[0]
    assert answered["status"] == 200 and answered["method"] == "GET"
    assert isinstance(answered["duration_ms"], float)
    headers = {name.lower(): value for name, value in http_server.requests[0].headers.items()}
    assert headers["apikey"] == API_KEY
    assert API_KEY not in json.dumps(sink.events)


def test_an_answer_of_the_wrong_shape_takes_the_error_path(http_server: LocalHttpServer) -> None:
    http_server.route("GET", "/slots", Reply.json({"first": 9}))
    sink = MemorySink()
    v: Vars = {}
    request = HttpRequest("GET", f"{http_server.url}/slots")
    assert not asyncio.run(new_call(sink).request(v, "slots", request, {"first": "text"}))
    assert "slots" not in v
    failed = sink.of_kind("request_failed")[0]
    assert (
        failed["reason"]
        == "the answer does not match expect: body.first should be text, got number 9"
    )


def test_a_failed_request_is_logged_with_its_reason(http_server: LocalHttpServer) -> None:
    http_server.route("POST", "/book", Reply.status(503))
    sink = MemorySink()
    request = HttpRequest("POST", f"{http_server.url}/book", body={"a": 1}, has_body=True)
    assert not asyncio.run(new_call(sink).request({}, "booking", request))
    failed = sink.of_kind("request_failed")[0]
    assert failed["status"] == 503 and failed["reason"]


def test_messages_go_to_the_outbox_and_show_in_the_transcript() -> None:
    sink = MemorySink()
    outbox = Outbox()
    call = new_call(sink, outbox)
    assert asyncio.run(call.send_sms("+15550001111", f"your key is {API_KEY}"))
    assert asyncio.run(call.send_email("a@example.com", "Hello", "Body"))
    lines = [transcript_line(event) for event in sink.events]
    assert "sms to +15550001111: your key is ***" in lines
    assert "email to a@example.com: Hello" in lines
    assert len(outbox.messages) == 2
    assert [event["via"] for event in sink.of_kind("message_sent")] == ["Outbox", "Outbox"]


def test_masking_replaces_every_secret_at_any_depth_longest_first() -> None:
    secrets = Secrets(["abc", "abcdef", ""])
    assert secrets.mask("x abcdef y abc") == "x *** y ***"
    assert secrets.mask({"abc": ["abcdef", 1, None]}) == {"***": ["***", 1, None]}
    assert Secrets().mask("abc") == "abc"


def test_the_json_lines_sink_writes_one_object_per_line() -> None:
    stream = io.StringIO()
    sink = JsonLinesSink(stream)
    sink.emit({"event": "say", "text": "héllo\nthere"})
    sink.emit({"event": "heard", "text": None})
    lines = stream.getvalue().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"event": "say", "text": "héllo\nthere"},
        {"event": "heard", "text": None},
    ]


def test_the_json_lines_sink_escapes_a_lone_surrogate_that_utf_8_cannot_hold(
    tmp_path: Path,
) -> None:
    """An API answering "\\ud800" puts a lone surrogate in a variable; the log file
    still gets the event (escaped), and the call does not fault on its log."""
    log = tmp_path / "events.jsonl"
    with log.open("w", encoding="utf-8") as stream:
        JsonLinesSink(stream).emit({"event": "variable_set", "name": "x", "value": "a\ud800b"})
    assert json.loads(log.read_text(encoding="utf-8")) == {
        "event": "variable_set",
        "name": "x",
        "value": "a\ud800b",
    }


def test_transcript_lines_keep_to_one_line_and_skip_internal_events() -> None:
    assert transcript_line({"event": "say", "text": "a\nb"}) == "agent: a / b"
    assert transcript_line({"event": "heard", "text": None}) == "caller: (silence)"
    assert transcript_line({"event": "heard", "text": "hi"}, show_caller=False) is None
    assert transcript_line({"event": "transfer", "to": "+1555"}) == "transfer to +1555"
    assert transcript_line({"event": "call_ended", "outcome": "hangup"}) == "end: hangup"
    assert transcript_line({"event": "step", "file": "f.flow", "line": 1, "kind": "talk"}) is None
