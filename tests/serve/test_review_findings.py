"""Defects found by reviewing `flowc serve` as an attacker, a flaky network and Twilio would.

Each test is named as the behaviour the server must have, and plays it against a
real server process (tests/support/served.py) with signed webhooks
(tests/support/twilio_webhooks.py); the flows are written by the tests.
"""

from __future__ import annotations

import concurrent.futures
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serve.line import wait_until
from tests.support.http_server import LocalHttpServer, Reply, running_http_server
from tests.support.served import ServerFactory, run_serve, served
from tests.support.twilio_webhooks import TwilioCall, new_call_sid

__all__ = ["served"]  # the fixture

SECRET = "sk_live_review_4242_do_not_store"
APOLOGY = (
    "We're sorry, this call cannot continue because the service was updated. Please call again."
)

SECRET_FLOW = """\
flow Keyed {
  on no_answer -> bye
  on error -> failed

  set api = env("API_URL") as text ?? "http://127.0.0.1:9"
  set key = env("REVIEW_API_KEY")
  set bearer = "Bearer {{key}}"

  collect word: text
    prompt "Say a word."
  request checked = POST "{{api}}/check"
    headers { "Authorization": bearer }
    body { "call": call.id }
    expect { ok: text }
  collect again: bool
    prompt "Checked. Again?"
  end "Bye."

  failed:
  end "Something failed."

  bye:
  end "Bye bye."
}
"""

TWO_QUESTIONS = """\
flow Two {
  on no_answer -> bye

  collect first: text
    prompt "First question?"
  collect second: text
    prompt "Second question?"
  end "Done."

  bye:
  end "Bye."

  after call {
    set noted = call.outcome
  }
}
"""


def write_flow(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


@pytest.fixture
def api() -> Iterator[LocalHttpServer]:
    server = LocalHttpServer()
    server.route("POST", "/check", Reply.json({"ok": "yes"}))
    server.start()
    yield server
    server.stop()


def test_a_secret_inside_a_longer_value_is_stored_as_a_reference_and_works_after_resume(
    served: ServerFactory, tmp_path: Path, api: LocalHttpServer
) -> None:
    flow = write_flow(tmp_path / "keyed", "keyed.flow", SECRET_FLOW)
    env = {"API_URL": api.url, "REVIEW_API_KEY": SECRET}
    server = served.start([flow], env=env)
    with TwilioCall(server.url, server.auth_token) as call:
        assert call.start().gather is not None
        # The request runs in the resumed turn: "Bearer {{key}}" came back from the store.
        answer = call.answer("kiwi")
        assert answer.gather is not None and answer.gather.prompt == "Checked. Again?"
    (check,) = [r for r in api.requests if r.path == "/check"]
    headers = {name.lower(): value for name, value in check.headers.items()}
    assert headers["authorization"] == f"Bearer {SECRET}"
    assert server.stop() == 0
    for path in server.folder.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), f"the secret is in {path}"


def test_a_hang_up_racing_a_caller_turn_always_ends_the_call_once(
    served: ServerFactory, tmp_path: Path, redis_url: str
) -> None:
    flow = write_flow(tmp_path / "two", "two.flow", TWO_QUESTIONS)
    server = served.start([flow], store=redis_url)
    calls = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(20):
            call = TwilioCall(server.url, server.auth_token)
            status = TwilioCall(server.url, server.auth_token, call_sid=call.call_sid)
            call.start()
            # The caller answers and hangs up at once: Twilio posts both together.
            answered = pool.submit(call.answer, "kiwi")
            hung_up = pool.submit(status.hang_up)
            assert answered.result().ok and hung_up.result().status_code == 204
            calls.append(call.call_sid)
            call.close()
            status.close()

    def all_ended() -> bool:
        return all(server.events("call_ended", call=sid) for sid in calls)

    wait_until(all_ended, "every call to end")
    for sid in calls:
        assert [e["outcome"] for e in server.events("call_ended", call=sid)] == ["hangup"]


def test_a_build_in_the_archive_that_no_longer_imports_ends_its_calls_with_the_apology(
    served: ServerFactory, tmp_path: Path
) -> None:
    flow = write_flow(tmp_path / "two", "two.flow", TWO_QUESTIONS)
    server = served.start([flow])
    build = server.healthz().json()["build"]
    with TwilioCall(server.url, server.auth_token) as call:
        call.start()
        server.stop()
        module = tmp_path / "two" / ".flowc" / "builds" / build / "two.py"
        module.write_text(module.read_text() + "\nraise RuntimeError('damaged')\n")
        flow.write_text(TWO_QUESTIONS.replace("First question?", "New first question?"))
        server.restart()
        sorry = call.answer("kiwi")
        assert sorry.ok, sorry.text
        assert sorry.says == [APOLOGY] and sorry.hangup
        assert call.retry().text == sorry.text
    (abandoned,) = server.events("call_abandoned", call=call.call_sid)
    assert "damaged" in abandoned["reason"]
    assert f"call {call.call_sid} ends with an apology" in server.stderr()
    assert "Traceback" not in server.stderr()


@pytest.mark.parametrize("sid", ["CA/../x", "CA?x=1", "CA#x", "CA x", "CA<&>", "C" * 65])
def test_an_incoming_call_sid_that_cannot_be_a_url_segment_is_refused_and_not_stored(
    served: ServerFactory, tmp_path: Path, sid: str
) -> None:
    flow = write_flow(tmp_path / "two", "two.flow", TWO_QUESTIONS)
    store = tmp_path / "calls.db"
    server = served.start([flow], store=f"sqlite:{store}")
    with TwilioCall(server.url, server.auth_token, call_sid=sid) as call:
        refused = call.start()
    assert refused.status_code == 400
    assert "not a call SID" in refused.text
    with TwilioCall(server.url, server.auth_token) as call:
        assert call.start().ok  # and the store still works
    with sqlite3.connect(store) as db:
        assert [row[0] for row in db.execute("SELECT id FROM calls")] == [call.call_sid]


def test_an_unsigned_huge_body_is_refused_without_being_read_whole(
    served: ServerFactory, tmp_path: Path
) -> None:
    flow = write_flow(tmp_path / "two", "two.flow", TWO_QUESTIONS)
    server = served.start([flow])
    body = b"CallSid=" + new_call_sid().encode() + b"&Junk=" + b"x" * (8 * 1024 * 1024)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"}
    answer = httpx.post(f"{server.url}/twilio/voice", content=body, headers=headers, timeout=30)
    assert answer.status_code == 413
    assert server.healthz().status_code == 200
    assert "Traceback" not in server.stderr()


def test_an_auth_token_with_surrounding_whitespace_checks_signatures_with_the_token(
    served: ServerFactory, tmp_path: Path
) -> None:
    flow = write_flow(tmp_path / "two", "two.flow", TWO_QUESTIONS)
    server = served.start([flow], auth_token=" review-token\n")
    # Twilio (and `flowc call`, which strips it too) signs with the token itself.
    with TwilioCall(server.url, "review-token") as call:
        first = call.start()
    assert first.ok, first.text


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--hold-after", "20", "--hold-after must be above 0 and below 15"),
        ("--hold-after", "0", "--hold-after must be above 0 and below 15"),
        ("--public-url", "calls.example.com", "--public-url must be an absolute URL"),
    ],
)
def test_options_that_would_break_every_call_are_refused_at_start(
    tmp_path: Path, option: str, value: str, says: str
) -> None:
    flow = write_flow(tmp_path / "two", "two.flow", TWO_QUESTIONS)
    store = f"sqlite:{tmp_path / 'calls.db'}"
    done = run_serve([flow], args=["--port", "1", "--store", store, option, value])
    assert done.returncode == 2
    assert says in done.stderr
    assert "Traceback" not in done.stderr


def test_words_with_control_characters_from_an_api_still_make_valid_twiml(
    served: ServerFactory, tmp_path: Path
) -> None:
    flow = write_flow(
        tmp_path / "keyed", "keyed.flow",
        SECRET_FLOW.replace('prompt "Checked. Again?"', 'prompt "Checked {{checked.ok}}. Again?"'),
    )  # fmt: skip
    with running_http_server() as api:
        # JSON may carry any of them.
        api.route("POST", "/check", Reply(200, b'{"ok": "J\\u0001a\\u000bn\\u001be"}'))
        server = served.start([flow], env={"API_URL": api.url, "REVIEW_API_KEY": SECRET})
        with TwilioCall(server.url, server.auth_token) as call:
            call.start()
            answer = call.answer("kiwi")  # TwiML.parse: ElementTree refuses invalid XML
    assert answer.gather is not None and answer.gather.prompt == "Checked Jane. Again?"


def test_a_port_in_use_is_a_set_up_error_said_in_one_line(
    served: ServerFactory, tmp_path: Path
) -> None:
    flow = write_flow(tmp_path / "two", "two.flow", TWO_QUESTIONS)
    server = served.start([flow])
    store = f"sqlite:{tmp_path / 'other.db'}"
    done = run_serve([flow], args=["--port", str(server.port), "--store", store])
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{server.port}" in done.stderr
    assert " on http://" not in done.stderr  # no start-up line for a server that never ran


def test_a_refused_request_cannot_write_control_characters_to_the_operators_terminal(
    served: ServerFactory, tmp_path: Path
) -> None:
    flow = write_flow(tmp_path / "two", "two.flow", TWO_QUESTIONS)
    server = served.start([flow])
    answer = httpx.post(f"{server.url}/twilio/calls/CA%1b[2J%07x/1", data={"CallSid": "x"})
    assert answer.status_code == 403
    wait_until(lambda: "refused POST" in server.stderr(), "the refusal on standard error")
    assert "\x1b" not in server.stderr() and "\x07" not in server.stderr()
    assert "/twilio/calls/CA\\x1b[2J\\x07x/1" in server.stderr()
