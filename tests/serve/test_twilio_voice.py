"""`flowc serve` answering Twilio Voice webhooks: a real server process, real signed requests.

Each test plays one phone call (its own CallSid) the way Twilio does: form posts
signed with the auth token, following the URLs in the TwiML the server answers.
One server (flows/line.flow, on a SQLite store) serves the whole module; tests
that need other options start their own. The flow's API (`LineApi`) is a real
local HTTP server, and SMS go to the local outbox file, so what ran is counted.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.serve.line import LineApi, copy_flows, order_id, outbox, wait_until
from tests.support.served import ServedFlow, run_serve
from tests.support.twilio_webhooks import TwilioCall, TwiML, new_phone_number

WELCOME = "Welcome to the test line."
MENU = "Say order, transfer or goodbye."
MENU_AGAIN = "Sorry, please say order, transfer or goodbye."
ASK_NAME = "What name is the order under?"
ASK_COUNT = "How many pizzas? You can use the keypad."


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("twilio-voice")


@pytest.fixture(scope="module")
def outbox_file(folder: Path) -> Path:
    return folder / "outbox.jsonl"


@pytest.fixture(scope="module")
def server(api: LineApi, folder: Path, outbox_file: Path) -> Iterator[ServedFlow]:
    (flow,) = copy_flows(folder / "line", "line.flow")
    served = ServedFlow(
        folder / "server", [flow], env={"API_URL": api.url, "FLOWC_OUTBOX_FILE": str(outbox_file)}
    )
    served.start()
    yield served
    served.close()


@pytest.fixture
def call(server: ServedFlow) -> Iterator[TwilioCall]:
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as phone_call:
        yield phone_call


def ended(server: ServedFlow, call: TwilioCall) -> list[str]:
    """The outcomes of the call's call_ended events, once there is one."""
    wait_until(lambda: bool(server.events("call_ended", call=call.call_sid)), "call_ended")
    return [event["outcome"] for event in server.events("call_ended", call=call.call_sid)]


def after_call_outcomes(api: LineApi, call: TwilioCall) -> list[str]:
    """What each run of the call's `after call` reported."""
    return [request.json()["outcome"] for request in api.requests("/after", call.call_sid)]


def order_to_pickup_question(call: TwilioCall) -> TwiML:
    """Plays the call up to the question after the order is placed."""
    call.start()
    call.answer("order")
    call.answer("Jane Doe")
    return call.press("3")


# ------------------------------------------------------------------ a whole call


def test_a_call_is_says_and_gathers_and_ends_with_a_hangup(
    server: ServedFlow, call: TwilioCall, api: LineApi, outbox_file: Path
) -> None:
    first = call.start()
    assert first.verbs == ["Say", "Gather"]
    assert first.says == [WELCOME]
    gather = first.gather
    assert gather is not None
    assert gather.input == "speech dtmf"
    assert gather.action_on_empty_result
    assert gather.method == "POST"
    assert gather.says == [MENU]  # the question is inside: the caller may answer over it
    assert gather.hints == ["order", "transfer", "goodbye"]  # from `text in [...]`
    assert gather.timeout == 4  # the step's `timeout 4s`
    assert gather.action == f"{server.url}/twilio/calls/{call.call_sid}/1"

    name = call.answer("order")
    assert name.verbs == ["Gather"]
    assert name.gather is not None
    assert name.gather.prompt == ASK_NAME
    assert name.gather.timeout == 7
    assert name.gather.hints == []
    assert name.gather.action == f"{server.url}/twilio/calls/{call.call_sid}/2"

    count = call.answer("Jane Doe", confidence=0.87)
    assert count.gather is not None and count.gather.prompt == ASK_COUNT

    placed = call.press("3")  # keypad digits are a turn like words
    assert placed.says == ["Let me place that order."]
    assert placed.gather is not None
    assert placed.gather.prompt == (
        f"Order {order_id(call.call_sid)} is placed. Will you pick it up yourself?"
    )
    (order,) = api.requests("/orders", call.call_sid)
    assert order.json() == {"call": call.call_sid, "name": "Jane Doe", "count": 3}
    assert outbox(outbox_file, to=call.from_) == [
        {"kind": "sms", "to": call.from_, "text": f"Order {order_id(call.call_sid)} for "
         "Jane Doe is placed."}
    ]  # fmt: skip

    goodbye = call.answer("yes")
    assert goodbye.verbs == ["Say", "Hangup"]
    assert goodbye.says == ["See you at the counter. Goodbye!"]
    assert ended(server, call) == ["ended"]
    api.wait_for("/after", call.call_sid)
    assert after_call_outcomes(api, call) == ["ended"]


def test_silence_is_asked_again_then_takes_the_no_answer_path(
    server: ServedFlow, call: TwilioCall, api: LineApi
) -> None:
    call.start()
    again = call.silence()  # neither SpeechResult nor Digits: the Gather timed out
    assert again.verbs == ["Gather"]
    assert again.gather is not None
    assert again.gather.says == [MENU_AGAIN]
    assert again.gather.action == f"{server.url}/twilio/calls/{call.call_sid}/2"

    gone = call.silence()  # `attempts 2`: the no_answer path
    assert gone.says == ["We did not hear you. Goodbye."]
    assert gone.hangup
    assert ended(server, call) == ["ended"]
    api.wait_for("/after", call.call_sid)
    assert after_call_outcomes(api, call) == ["ended"]


def test_healthz_names_the_flow_and_its_build(server: ServedFlow) -> None:
    answer = server.healthz()
    assert answer.status_code == 200
    health = answer.json()
    assert health["ok"] is True
    assert health["flow"] == "line:Line"
    archived = [p.name for p in (server.files[0].parent / ".flowc" / "builds").iterdir()]
    assert health["build"] in archived
    assert f"(build {health['build']})" in server.stderr()


# ------------------------------------------------------------------ transfer


def test_a_transfer_is_a_dial_whose_completed_end_is_the_outcome_transferred(
    server: ServedFlow, call: TwilioCall, api: LineApi
) -> None:
    call.start()
    dial = call.answer("transfer")
    assert dial.verbs == ["Say", "Dial"]
    assert dial.says == ["Putting you through to the desk."]
    assert dial.dial is not None
    assert dial.dial.number == "+15559990000"
    assert dial.dial.action == f"{server.url}/twilio/calls/{call.call_sid}/2"
    assert dial.dial.method == "POST"

    over = call.dial_ended("completed")
    assert over.says == []
    assert over.gather is None and over.dial is None
    assert ended(server, call) == ["transferred"]
    api.wait_for("/after", call.call_sid)
    assert after_call_outcomes(api, call) == ["transferred"]


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "canceled"])
def test_a_dial_that_reaches_nobody_takes_the_transfers_error_path(
    server: ServedFlow, call: TwilioCall, api: LineApi, status: str
) -> None:
    call.start()
    call.answer("transfer")
    over = call.dial_ended(status)
    assert over.verbs == ["Say", "Hangup"]
    assert over.says == ["The desk is not available. Goodbye."]
    assert ended(server, call) == ["ended"]
    failed = server.events("transfer_failed", call=call.call_sid)
    assert [event["to"] for event in failed] == ["+15559990000"]
    assert status in failed[0]["reason"]


def test_a_caller_who_hangs_up_while_the_dial_rings_ends_the_call_as_a_hang_up(
    server: ServedFlow, call: TwilioCall, api: LineApi
) -> None:
    """Twilio then posts the Dial's action with CallStatus=completed: nobody is left to
    hear the transfer's error path, so it does not run."""
    call.start()
    dial = call.answer("transfer")
    assert dial.dial is not None and dial.dial.action is not None
    over = call.post(dial.dial.action, {"DialCallStatus": "no-answer", "CallStatus": "completed"})
    assert over.says == []
    assert ended(server, call) == ["hangup"]
    api.wait_for("/after", call.call_sid)
    assert after_call_outcomes(api, call) == ["hangup"]


# ------------------------------------------------------------------ signatures


def refused(call: TwilioCall, url: str, **how: Any) -> httpx.Response:
    """Posts the call's fields and an answer to `url`, signed as `how` says."""
    return call.send(url, call.fields({"SpeechResult": "order", "Confidence": "0.9"}), **how)


@pytest.mark.parametrize(
    "how",
    [
        {"unsigned": True},
        {"signature": "bm90IGEgc2lnbmF0dXJl"},
        {"signed_url": "http://127.0.0.1:1/twilio/calls/elsewhere/1"},
    ],
    ids=["missing", "wrong", "for-another-url"],
)
def test_a_request_without_a_valid_signature_is_refused_and_changes_nothing(
    server: ServedFlow, call: TwilioCall, how: dict[str, Any]
) -> None:
    call.start()
    action = f"{server.url}/twilio/calls/{call.call_sid}/1"
    answer = refused(call, action, **how)
    assert answer.status_code == 403
    assert answer.text.startswith("forbidden: ")
    (event,) = server.events("webhook_refused", call=call.call_sid)
    assert event["path"] == f"/twilio/calls/{call.call_sid}/1"
    assert event["reason"] in answer.text
    wait_until(lambda: f"refused POST /twilio/calls/{call.call_sid}/1" in server.stderr(),
               "the refusal on stderr")  # fmt: skip
    # Nothing ran: the call still waits at the menu, and the signed answer is turn 1.
    assert not server.events("heard", call=call.call_sid)
    name = call.answer("order")
    assert name.gather is not None and name.gather.prompt == ASK_NAME


def test_a_refused_incoming_call_is_not_stored(server: ServedFlow, call: TwilioCall) -> None:
    answer = call.send(f"{server.url}/twilio/voice", call.fields(), unsigned=True)
    assert answer.status_code == 403
    assert not server.events("call_started", call=call.call_sid)
    assert call.post(f"{server.url}/twilio/calls/{call.call_sid}/1").status_code == 404


def test_a_refused_status_callback_does_not_end_the_call(
    server: ServedFlow, call: TwilioCall, api: LineApi
) -> None:
    call.start()
    fields = call.fields({"CallStatus": "completed"})
    assert call.send(f"{server.url}/twilio/status", fields, unsigned=True).status_code == 403
    assert not server.events("call_ended", call=call.call_sid)
    assert call.answer("goodbye").says == ["Goodbye!"]
    assert ended(server, call) == ["ended"]


def test_behind_a_proxy_requests_are_signed_for_the_public_url(
    server: ServedFlow, api: LineApi, folder: Path
) -> None:
    (flow,) = copy_flows(folder / "public", "line.flow")
    public = ServedFlow(
        folder / "public-server", [flow], env={"API_URL": api.url},
        args=["--public-url", "https://example.test"],
    )  # fmt: skip
    public.start()
    try:
        with TwilioCall(public.url, public.auth_token, public_url="https://example.test") as call:
            first = call.start()
            assert first.ok, first.text
            assert first.gather is not None
            assert first.gather.action == f"https://example.test/twilio/calls/{call.call_sid}/1"
            # The same request signed for the address the server listens on is refused.
            local = f"{public.url}/twilio/calls/{call.call_sid}/1"
            answer = call.send(local, call.fields({"SpeechResult": "order"}))
            assert answer.status_code == 403
            assert "https://example.test/twilio/calls/" in answer.text
            assert call.answer("order").gather is not None
    finally:
        public.close()


def test_insecure_no_signature_warns_at_start_and_accepts_unsigned_requests(
    api: LineApi, folder: Path
) -> None:
    (flow,) = copy_flows(folder / "insecure", "line.flow")
    insecure = ServedFlow(
        folder / "insecure-server", [flow], env={"API_URL": api.url}, auth_token=None,
        args=["--insecure-no-signature"],
    )  # fmt: skip
    insecure.start()
    try:
        assert "WARNING: --insecure-no-signature" in insecure.stderr()
        with TwilioCall(insecure.url, None) as call:
            answer = call.send(f"{insecure.url}/twilio/voice", call.fields(), unsigned=True)
            assert answer.status_code == 200
            assert WELCOME in answer.text
    finally:
        insecure.close()


def test_without_an_auth_token_the_server_refuses_to_start(folder: Path) -> None:
    (flow,) = copy_flows(folder / "no-token", "line.flow")
    result = run_serve([flow], args=["--port", "1"], auth_token=None)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("flowc: error: TWILIO_AUTH_TOKEN is not set")
    assert "--insecure-no-signature" in lines[0]


# ------------------------------------------------------------------ retries and stale turns


def test_a_retried_turn_gets_the_same_twiml_and_runs_nothing_again(
    server: ServedFlow, call: TwilioCall, api: LineApi, outbox_file: Path
) -> None:
    first = order_to_pickup_question(call)
    again = call.retry()  # Twilio posts the same request again
    assert again.text == first.text
    assert api.hits("/orders", call.call_sid) == 1
    assert len(outbox(outbox_file, to=call.from_)) == 1
    assert len(server.events("heard", call=call.call_sid)) == 3


def test_a_retried_incoming_call_webhook_starts_the_call_once(
    server: ServedFlow, call: TwilioCall
) -> None:
    first = call.start()
    assert call.retry().text == first.text
    assert len(server.events("call_started", call=call.call_sid)) == 1


def test_a_turn_retried_while_it_runs_waits_for_it_and_runs_once(
    server: ServedFlow, call: TwilioCall, api: LineApi, outbox_file: Path
) -> None:
    call.start()
    call.answer("order")
    call.answer("Jane Doe")
    api.delay("/orders", call.call_sid, 1.0)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        first = pool.submit(call.press, "3")
        api.wait_for("/orders", call.call_sid)
        second = pool.submit(call.retry)  # Twilio gave up waiting and asks again
        answers = [first.result(), second.result()]
    assert answers[0].text == answers[1].text
    assert answers[0].gather is not None
    assert api.hits("/orders", call.call_sid) == 1
    assert len(outbox(outbox_file, to=call.from_)) == 1


def test_a_stale_turn_is_refused_with_409(server: ServedFlow, call: TwilioCall) -> None:
    call.start()
    call.answer("order")
    call.answer("Jane Doe")  # the call is at turn 3 now
    old = f"{server.url}/twilio/calls/{call.call_sid}/1"
    answer = call.send(old, call.fields({"SpeechResult": "transfer"}))
    assert answer.status_code == 409
    assert answer.text == f"stale turn: call {call.call_sid} is at turn 3, not 1\n"
    ahead = f"{server.url}/twilio/calls/{call.call_sid}/7"
    assert call.send(ahead, call.fields({"SpeechResult": "3"})).status_code == 409
    assert call.press("3").gather is not None  # the call goes on from where it is


def test_an_unknown_call_is_404(server: ServedFlow, call: TwilioCall) -> None:
    for path in ("1", "1/wait"):
        url = f"{server.url}/twilio/calls/{call.call_sid}/{path}"
        answer = call.send(url, call.fields({"SpeechResult": "order"}))
        assert answer.status_code == 404
        assert call.call_sid in answer.text


def test_a_form_for_another_call_than_its_url_is_400(server: ServedFlow, call: TwilioCall) -> None:
    call.start()
    other = call.fields({"CallSid": "CA" + "0" * 32, "SpeechResult": "order"})
    answer = call.send(f"{server.url}/twilio/calls/{call.call_sid}/1", other)
    assert answer.status_code == 400


# ------------------------------------------------------------------ hang-ups


def test_hanging_up_at_a_question_ends_the_call_and_runs_after_call_once(
    server: ServedFlow, call: TwilioCall, api: LineApi
) -> None:
    call.start()
    call.answer("order")
    assert call.hang_up().status_code == 204
    assert ended(server, call) == ["hangup"]
    api.wait_for("/after", call.call_sid)
    assert call.hang_up().status_code == 204  # Twilio may report it twice
    assert ended(server, call) == ["hangup"]
    assert after_call_outcomes(api, call) == ["hangup"]
    late = call.answer("Jane Doe")  # the Gather's action, racing the hang-up
    assert late.ok
    assert late.gather is None and late.says == []


def test_a_hang_up_during_a_slow_request_ends_the_call_after_it(
    server: ServedFlow, call: TwilioCall, api: LineApi
) -> None:
    call.start()
    call.answer("order")
    call.answer("Jane Doe")
    api.delay("/orders", call.call_sid, 2.0)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        turn = pool.submit(call.press, "3")
        api.wait_for("/orders", call.call_sid)
        assert call.hang_up().status_code == 204  # while the request is still out
        answer = turn.result()
    assert answer.ok
    assert answer.gather is None  # nobody is left to ask
    assert ended(server, call) == ["hangup"]
    assert server.events("request_answered", call=call.call_sid)
    api.wait_for("/after", call.call_sid)
    assert after_call_outcomes(api, call) == ["hangup"]


def test_a_hang_up_during_a_slow_after_call_does_not_run_it_again(
    server: ServedFlow, call: TwilioCall, api: LineApi
) -> None:
    api.delay("/after", call.call_sid, 2.0)
    call.start()
    goodbye = call.answer("goodbye")
    assert goodbye.says == ["Goodbye!"] and goodbye.hangup
    assert goodbye.elapsed < 2.0  # answered without waiting for the after call
    api.wait_for("/after", call.call_sid)
    assert call.hang_up().status_code == 204  # Twilio: the call is completed
    assert ended(server, call) == ["ended"]
    assert after_call_outcomes(api, call) == ["ended"]


def test_a_second_status_callback_during_a_slow_after_call_does_not_run_it_again(
    server: ServedFlow, call: TwilioCall, api: LineApi
) -> None:
    api.delay("/after", call.call_sid, 2.0)
    call.start()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        first = pool.submit(call.hang_up)  # runs the call's end, and its after call
        api.wait_for("/after", call.call_sid)
        assert call.hang_up().status_code == 204  # reported again meanwhile
        assert first.result().status_code == 204
    assert ended(server, call) == ["hangup"]
    assert after_call_outcomes(api, call) == ["hangup"]


# ------------------------------------------------------------------ slow steps


@pytest.fixture(scope="module")
def hold_server(api: LineApi, folder: Path, outbox_file: Path) -> Iterator[ServedFlow]:
    (flow,) = copy_flows(folder / "hold", "line.flow")
    served = ServedFlow(
        folder / "hold-server", [flow], args=["--hold-after", "1"],
        env={"API_URL": api.url, "FLOWC_OUTBOX_FILE": str(outbox_file)},
    )  # fmt: skip
    served.start()
    yield served
    served.close()


def test_a_slow_step_gets_a_hold_in_time_and_the_rest_after_the_redirect(
    hold_server: ServedFlow, api: LineApi, outbox_file: Path
) -> None:
    with TwilioCall(hold_server.url, hold_server.auth_token, from_=new_phone_number()) as call:
        call.start()
        call.answer("order")
        call.answer("Jane Doe")
        api.delay("/orders", call.call_sid, 2.2)
        held = call.press("3")
        assert held.elapsed < 1.9  # `--hold-after 1`, where the request takes 2.2 s
        assert held.verbs == ["Say", "Say", "Redirect"]
        assert held.says == ["Let me place that order.", "One moment, please."]
        wait = f"{hold_server.url}/twilio/calls/{call.call_sid}/3/wait"
        assert held.redirect == wait
        rest = call.follow_redirects()
        assert rest.says == []  # said already, before the hold
        assert rest.gather is not None
        assert rest.gather.prompt == (
            f"Order {order_id(call.call_sid)} is placed. Will you pick it up yourself?"
        )
        assert rest.gather.action == f"{hold_server.url}/twilio/calls/{call.call_sid}/4"
        assert all(a.redirect == wait for a in call.answers[4:-1])
        assert api.hits("/orders", call.call_sid) == 1
        assert len(outbox(outbox_file, to=call.from_)) == 1
        assert call.answer("no").says == ["We will deliver it. Goodbye!"]
        assert api.hits("/orders", call.call_sid) == 1


def test_a_caller_who_hangs_up_on_hold_ends_the_call_once_the_step_is_done(
    hold_server: ServedFlow, api: LineApi
) -> None:
    with TwilioCall(hold_server.url, hold_server.auth_token, from_=new_phone_number()) as call:
        call.start()
        call.answer("order")
        call.answer("Jane Doe")
        api.delay("/orders", call.call_sid, 1.5)
        assert call.press("3").redirect is not None
        assert call.hang_up().status_code == 204  # instead of following the Redirect
        assert ended(hold_server, call) == ["hangup"]
        api.wait_for("/after", call.call_sid)
        assert after_call_outcomes(api, call) == ["hangup"]
        assert api.hits("/orders", call.call_sid) == 1
        late = call.follow()  # a Redirect still on its way is answered, not run
        assert late.ok and late.gather is None
