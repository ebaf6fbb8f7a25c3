"""`flowc run` end to end against real local services: `request` steps against a
real HTTP server, `send email` through a real SMTP server (aiosmtpd), `send sms`
through a local stand-in for Twilio's Messages API, and secrets kept out of
every record of the call.

Each test runs the `flowc` command as a subprocess; services are configured
through the environment variables that docs/runtime.md documents, and the
event log (`--log FILE`) shows why a step failed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.http_server import LocalHttpServer, Reply, unused_port
from tests.support.smtp_server import LocalSmtpServer
from tests.support.twilio_server import LocalTwilio

from .core_cli import Run, flowc_run, write_flow

Event = dict[str, Any]
# An API key: it must reach the servers but no record of the call.
SECRET_KEY = "sk-live-7f3a9c1e5b"


def run_logged(
    flow_file: Path, turns: list[str], environment: dict[str, str]
) -> tuple[Run, list[Event]]:
    """`flowc run` with `--log`; the run and its event log, one dict per event."""
    log = flow_file.parent / "events.jsonl"
    run = flowc_run(flow_file, turns, extra_args=("--log", str(log)), environment=environment)
    assert log.exists(), f"no event log; stderr: {run.stderr}"
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return run, events


def of_kind(events: list[Event], kind: str) -> list[Event]:
    return [event for event in events if event["event"] == kind]


def smtp_settings(server: LocalSmtpServer) -> dict[str, str]:
    return {
        "FLOWC_SMTP_HOST": server.host,
        "FLOWC_SMTP_PORT": str(server.port),
        "FLOWC_SMTP_FROM": "agent@flowc.example",
    }


def twilio_settings(twilio: LocalTwilio) -> dict[str, str]:
    return {
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_FROM_NUMBER": twilio.from_number,
        "TWILIO_BASE_URL": twilio.url,
    }


# --------------------------------------------------------------------------- request

ORDER = """
    flow Order {
      on no_answer -> bye
      collect pizzas: number
        prompt "How many pizzas?"
      set api = env("SHOP_API") as text
      request order = POST "{{api}}/orders"
        headers { "X-Shop": "slice" }
        query { "source": "phone" }
        body { "count": pizzas, "caller": call.caller }
        expect { id: text, eta: { minutes: number }, toppings: list[text] }
        timeout 2s
        retries 1
        on error -> failed
      talk "Order {{order.id}}: {{order.toppings[0]}}, ready in {{order.eta.minutes}} minutes."
      end "Enjoy."
      failed:
      end "Sorry, we could not place the order."
      bye:
      end
    }
"""


def test_a_request_sends_what_the_step_says_and_its_answer_fills_the_variable(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    http_server.route(
        "POST",
        "/orders",
        Reply.json({"id": "A-17", "eta": {"minutes": 25}, "toppings": ["basil"], "extra": 1}),
    )
    flow = write_flow(tmp_path, "order.flow", ORDER)
    run, events = run_logged(flow, ["two"], {"SHOP_API": http_server.url})

    assert run.status == 0, run.stderr
    assert run.transcript[-3:] == [
        "agent: Order A-17: basil, ready in 25 minutes.",
        "agent: Enjoy.",
        "end: ended",
    ]
    (sent,) = http_server.requests
    assert (sent.method, sent.path, sent.query) == ("POST", "/orders", {"source": ["phone"]})
    assert sent.headers["x-shop"] == "slice"
    assert sent.headers["content-type"] == "application/json"
    assert sent.json() == {"count": 2, "caller": "+15550001111"}
    (answered,) = of_kind(events, "request_answered")
    assert answered["status"] == 200 and answered["attempts"] == 1
    assert answered["url"] == f"{http_server.url}/orders"
    assert of_kind(events, "request_failed") == []


# Every way a request can fail, one after the other in one call: each step takes
# its own `on error` path (which says which one failed) and carries on with the
# next. The last one has no handler of its own and takes the flow's default.
FAILURES = """
    flow Failures {
      on error -> default_handler
      set up = env("UP") as text
      set down = env("DOWN") as text

      request refused = GET "{{down}}/status"
        on error -> refused_failed
      talk "not reached"
      refused_failed:
      talk "server down"

      request busy = GET "{{up}}/busy"
        retries 2
        on error -> busy_failed
      talk "not reached"
      busy_failed:
      talk "server error"

      request missing = GET "{{up}}/missing"
        retries 2
        on error -> missing_failed
      talk "not reached"
      missing_failed:
      talk "not found"

      request slow = GET "{{up}}/slow"
        timeout 300ms
        on error -> slow_failed
      talk "not reached"
      slow_failed:
      talk "too slow"

      request dropped = GET "{{up}}/drop"
        on error -> dropped_failed
      talk "not reached"
      dropped_failed:
      talk "hung up on"

      request page = GET "{{up}}/page"
        on error -> page_failed
      talk "not reached"
      page_failed:
      talk "not json"

      request partial = GET "{{up}}/partial"
        expect { id: text, total: number }
        on error -> partial_failed
      talk "not reached"
      partial_failed:
      talk "field missing"

      request mistyped = GET "{{up}}/mistyped"
        expect { id: text, total: number }
      talk "not reached"

      default_handler:
      end "wrong type, by the default handler"
    }
"""


def test_every_request_failure_takes_the_error_path_and_the_log_says_why(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    http_server.route("GET", "/busy", Reply.status(500))
    http_server.route("GET", "/missing", Reply.status(404))
    http_server.route("GET", "/slow", Reply.json({"id": "late"}, delay_seconds=3))
    http_server.route("GET", "/drop", Reply.drop())
    http_server.route("GET", "/page", Reply.text("<html>Welcome</html>"))
    http_server.route("GET", "/partial", Reply.json({"id": "p1"}))
    http_server.route("GET", "/mistyped", Reply.json({"id": "m1", "total": "12.50"}))
    down = f"http://127.0.0.1:{unused_port()}"
    flow = write_flow(tmp_path, "failures.flow", FAILURES)
    run, events = run_logged(flow, [], {"UP": http_server.url, "DOWN": down})

    assert run.status == 0, run.stderr
    assert run.transcript == [
        "agent: server down",
        "agent: server error",
        "agent: not found",
        "agent: too slow",
        "agent: hung up on",
        "agent: not json",
        "agent: field missing",
        "agent: wrong type, by the default handler",
        "end: ended",
    ]
    up = http_server.url
    reasons = [(e["reason"], e["status"], e["attempts"]) for e in of_kind(events, "request_failed")]
    assert reasons == [
        (f"GET {down}/status: connection refused", None, 1),
        (f"GET {up}/busy answered 500 Internal Server Error", 500, 3),
        (f"GET {up}/missing answered 404 Not Found", 404, 1),
        (f"GET {up}/slow timed out after 0.3 s", None, 1),
        (f"GET {up}/drop: the server closed the connection without answering", None, 1),
        (f"GET {up}/page: response body is not JSON: '<html>Welcome</html>'", 200, 1),
        ("the answer does not match expect: body.total is missing", 200, 1),
        ('the answer does not match expect: body.total should be number, got text "12.50"', 200, 1),
    ]
    # A 5xx is tried again (`retries 2`: three attempts in all); a 4xx is final.
    assert http_server.hits("GET", "/busy") == 3
    assert http_server.hits("GET", "/missing") == 1
    assert of_kind(events, "request_answered") == []
    slow = next(e for e in of_kind(events, "request_failed") if e["url"].endswith("/slow"))
    assert slow["duration_ms"] < 2000


def strict_json(text: str) -> Any:
    """JSON as RFC 8259 defines it: NaN and Infinity are not numbers there."""

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_a_body_with_nan_is_not_json_and_takes_the_error_path(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    """`NaN` is what some serializers write for a missing float, but it is not
    JSON: the request fails like any other body that is not JSON, and the event
    log stays JSON lines."""
    http_server.route("GET", "/score", Reply(200, b'{"score": NaN}'))
    flow = write_flow(
        tmp_path,
        "score.flow",
        """
        flow Score {
          set api = env("API") as text
          request rating = GET "{{api}}/score"
            expect { score: number }
            on error -> failed
          end "Your score is {{rating.score}}."
          failed:
          end "No score today."
        }
        """,
    )
    run = flowc_run(
        flow, [], extra_args=("--log", "events.jsonl"), environment={"API": http_server.url}
    )

    assert run.transcript == ["agent: No score today.", "end: ended"]
    events = [strict_json(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    (failed,) = of_kind(events, "request_failed")
    assert failed["reason"].startswith(f"GET {http_server.url}/score: response body is not JSON")


RETRIES = """
    flow Retries {
      set api = env("API") as text
      request flaky = GET "{{api}}/flaky"
        expect { ok: bool }
        retries 2
        on error -> failed
      request slow = GET "{{api}}/slow"
        timeout 300ms
        retries 1
        on error -> failed
      end "Both answered."
      failed:
      end "A request failed."
    }
"""


def test_retries_ride_out_server_errors_and_a_timeout(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    """`retries N` tries again after a 5xx or a timeout; the request that
    finally succeeds takes the normal path and the log counts its attempts."""
    http_server.route(
        "GET", "/flaky", Reply.status(503), Reply.status(502), Reply.json({"ok": True})
    )
    http_server.route("GET", "/slow", Reply.json({}, delay_seconds=3), Reply.json({}))
    flow = write_flow(tmp_path, "retries.flow", RETRIES)
    run, events = run_logged(flow, [], {"API": http_server.url})

    assert run.transcript == ["agent: Both answered.", "end: ended"]
    answered = [
        (e["url"].rsplit("/", 1)[-1], e["attempts"]) for e in of_kind(events, "request_answered")
    ]
    assert answered == [("flaky", 3), ("slow", 2)]
    assert (http_server.hits("GET", "/flaky"), http_server.hits("GET", "/slow")) == (3, 2)


LOOKUP = """
    action Lookup {
      input api: text
      input key: secret = env("LOOKUP_KEY") configurable "API key"
      output Found(owner: text)
      output Fail(reason: text)
      on error -> Fail(reason = "the account lookup failed")

      request account = GET "{{api}}/accounts" headers { "X-Key": key }
        expect { owner: text }
      request history = GET "{{api}}/history" headers { "X-Key": key }
        on error -> Fail(reason = "the history lookup failed")
      exit Found(owner = account.owner)
    }

    flow Desk {
      run lookup = Lookup(api = env("API") as text ?? "http://unset.invalid")
        on Found -> found
        on Fail -> failed
      found:
      end "Hello {{lookup.owner}}."
      failed:
      end "Sorry: {{lookup.reason}}."
    }
"""


def test_a_failing_request_inside_an_action_leaves_through_an_output(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    """Inside an action an error path may be an output: the step's own
    (`on error -> Fail(...)`), or the action's default. The action's secret
    input reaches the server and is masked in the log (`action_entered`)."""
    http_server.route("GET", "/accounts", Reply.json({"owner": "Jane"}), Reply.json({"name": "J"}))
    http_server.route("GET", "/history", Reply.status(500))
    flow = write_flow(tmp_path, "desk.flow", LOOKUP)
    environment = {"API": http_server.url, "LOOKUP_KEY": SECRET_KEY}

    own, events = run_logged(flow, [], environment)
    assert own.transcript == ["agent: Sorry: the history lookup failed.", "end: ended"]
    assert [r.headers["x-key"] for r in http_server.requests] == [SECRET_KEY, SECRET_KEY]
    (entered,) = of_kind(events, "action_entered")
    assert entered["inputs"] == {"api": http_server.url, "key": "***"}
    assert [e["output"] for e in of_kind(events, "action_left")] == ["Fail"]
    assert SECRET_KEY not in (tmp_path / "events.jsonl").read_text(encoding="utf-8")

    default = flowc_run(flow, [], environment=environment)
    assert default.transcript == ["agent: Sorry: the account lookup failed.", "end: ended"]


# ------------------------------------------------------------------- after call

AFTER_CALL = """
    python grading.grade(score: number) -> text

    flow Survey {
      on no_answer -> bye
      collect score: number
        prompt "From one to five, how did we do?"
      end "Thank you."
      bye:
      end

      after call {
        set api = env("CRM") as text
        request saved = POST "{{api}}/surveys" body { "score": score ?? 0 }
        code grade = grading.grade(score = score ?? 0)
        send email to "quality@flowc.example"
          subject "Survey: {{score ?? "no score"}}"
          body "{{call.outcome}}, saved as {{saved.id ?? "nothing"}}, grade {{grade ?? "none"}}"
        request notified = POST "{{api}}/notify" body { "outcome": call.outcome }
      }
    }
"""


def test_a_failing_request_in_after_call_is_logged_and_the_block_goes_on(
    http_server: LocalHttpServer, smtp_server: LocalSmtpServer, tmp_path: Path
) -> None:
    """In `after call` a request or code step needs no `on error`: the call is
    over, so a failure is logged and the next step runs (here: the email is
    still sent, and the request that ends the block fails without faulting the
    call)."""
    write_flow(
        tmp_path,
        "grading.py",
        """
        def grade(score: float) -> str:
            raise LookupError(f"no grade for {score}")
        """,
    )
    http_server.route("POST", "/surveys", Reply.status(503))
    http_server.route("POST", "/notify", Reply.status(500))
    flow = write_flow(tmp_path, "survey.flow", AFTER_CALL)
    environment = {"CRM": http_server.url, **smtp_settings(smtp_server)}
    run, events = run_logged(flow, ["four"], environment)

    assert run.status == 0, run.stderr
    assert run.stderr == ""
    assert run.transcript[-3:] == [
        "agent: Thank you.",
        "email to quality@flowc.example: Survey: 4",
        "end: ended",
    ]
    (mail,) = smtp_server.messages
    assert mail.body.strip() == "ended, saved as nothing, grade none"
    failed = [e["url"].rsplit("/", 1)[-1] for e in of_kind(events, "request_failed")]
    assert failed == ["surveys", "notify"]
    assert [r.json() for r in http_server.requests] == [{"score": 4}, {"outcome": "ended"}]
    (code_failed,) = of_kind(events, "code_failed")
    assert code_failed["reason"] == "LookupError: no grade for 4"
    assert of_kind(events, "fault") == []


def test_hanging_up_mid_action_still_reports_the_call_to_the_real_server(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    """The caller hangs up (end of input) inside an action: `call.outcome` is
    `hangup` and `after call` still makes its real request."""
    write_flow(
        tmp_path,
        "lib/ask.flow",
        """
        action AskScore {
          output Scored(score: number)
          output Skipped
          on no_answer -> Skipped
          collect score: number
            prompt "From one to five, how did we do?"
          exit Scored(score = score)
        }
        """,
    )
    flow = write_flow(
        tmp_path,
        "survey.flow",
        """
        from "lib/ask.flow" import AskScore

        flow Survey {
          talk "One question before you go."
          run asked = AskScore()
            on Scored -> thanks
            on Skipped -> thanks
          thanks:
          end "Thank you."

          after call {
            set api = env("CRM") as text
            request saved = POST "{{api}}/surveys"
              body { "outcome": call.outcome, "score": asked.score ?? -1 }
          }
        }
        """,
    )
    http_server.route("POST", "/surveys", Reply.json({"id": "S-1"}))
    run, events = run_logged(flow, [], {"CRM": http_server.url})

    assert run.status == 0, run.stderr
    assert run.transcript == [
        "agent: One question before you go.",
        "agent: From one to five, how did we do?",
        "end: hangup",
    ]
    (sent,) = http_server.requests
    assert sent.json() == {"outcome": "hangup", "score": -1}
    assert [e["action"] for e in of_kind(events, "action_entered")] == ["AskScore"]
    assert of_kind(events, "action_left") == []
    assert of_kind(events, "call_ended")[0]["outcome"] == "hangup"


# --------------------------------------------------------------------------- email

EMAIL = """
    flow Receipt {
      on no_answer -> bye
      collect address: email
        prompt "What email should the receipt go to?"
      send email to address
        subject "Your receipt, {{call.caller}}"
        body "Total: 42 dollars.\\nThank you!"
      talk "Sent to {{address}}."
      send email to "manager@flowc.example"
        subject "Receipt sent"
        body "to {{address}}"
        on error -> unsent
      end "Goodbye."
      unsent:
      end "The manager could not be told."
      bye:
      end
    }
"""


def test_email_is_delivered_over_smtp_with_a_login(
    smtp_server: LocalSmtpServer, tmp_path: Path
) -> None:
    flow = write_flow(tmp_path, "receipt.flow", EMAIL)
    login = {"FLOWC_SMTP_USER": smtp_server.username, "FLOWC_SMTP_PASSWORD": smtp_server.password}
    run, events = run_logged(
        flow, ["jane at example dot com"], {**smtp_settings(smtp_server), **login}
    )

    assert run.status == 0, run.stderr
    assert run.transcript[2:] == [
        "email to jane@example.com: Your receipt, +15550001111",
        "agent: Sent to jane@example.com.",
        "email to manager@flowc.example: Receipt sent",
        "agent: Goodbye.",
        "end: ended",
    ]
    receipt, note = smtp_server.messages
    assert receipt.authenticated_as == smtp_server.username
    assert receipt.recipients == ["jane@example.com"]
    assert receipt.message["To"] == "jane@example.com"
    assert receipt.message["From"] == "agent@flowc.example"
    assert receipt.message["Subject"] == "Your receipt, +15550001111"
    assert receipt.body.strip() == "Total: 42 dollars.\nThank you!"
    assert note.body.strip() == "to jane@example.com"
    assert {e["via"] for e in of_kind(events, "message_sent")} == {"SmtpMailer"}


def test_a_refused_email_is_logged_and_the_call_goes_on_or_takes_its_error_path(
    smtp_server: LocalSmtpServer, tmp_path: Path
) -> None:
    """Without `on error` a refused email is logged and the call continues; with
    `on error -> unsent` it goes to `unsent`."""
    smtp_server.refuse_recipients = True
    flow = write_flow(tmp_path, "receipt.flow", EMAIL)
    run, events = run_logged(flow, ["jane at example dot com"], smtp_settings(smtp_server))

    assert run.status == 0, run.stderr
    assert run.transcript[2:] == [
        "agent: Sent to jane@example.com.",
        "agent: The manager could not be told.",
        "end: ended",
    ]
    assert smtp_server.messages == []
    server = f"{smtp_server.host}:{smtp_server.port}"
    assert [(e["to"], e["reason"]) for e in of_kind(events, "message_failed")] == [
        (
            "jane@example.com",
            f"SMTP server {server} refused the recipient "
            "(jane@example.com: 550 mailbox unavailable)",
        ),
        (
            "manager@flowc.example",
            f"SMTP server {server} refused the recipient "
            "(manager@flowc.example: 550 mailbox unavailable)",
        ),
    ]


def test_an_unreachable_smtp_server_fails_the_sends_in_words(tmp_path: Path) -> None:
    port = unused_port()
    flow = write_flow(tmp_path, "receipt.flow", EMAIL)
    settings = {
        "FLOWC_SMTP_HOST": "127.0.0.1",
        "FLOWC_SMTP_PORT": str(port),
        "FLOWC_SMTP_FROM": "agent@flowc.example",
    }
    run, events = run_logged(flow, ["jane at example dot com"], settings)

    assert run.status == 0, run.stderr
    assert run.transcript[-2:] == ["agent: The manager could not be told.", "end: ended"]
    reasons = {e["reason"] for e in of_kind(events, "message_failed")}
    assert reasons == {f"SMTP server 127.0.0.1:{port} is unreachable: connection refused"}


# ----------------------------------------------------------------------------- SMS

SMS = """
    flow Reminder {
      send sms to call.caller "Your table is booked for 8 PM."
      send sms to "555" "This number is not a number."
      talk "A rejected text without a handler does not stop the call."
      send sms to "555" "Neither is this one."
        on error -> rejected
      end "Not reached."
      rejected:
      end "We could not text the second number."
    }
"""


def test_sms_goes_through_twilio_and_a_rejection_takes_the_error_path(
    twilio_server: LocalTwilio, tmp_path: Path
) -> None:
    flow = write_flow(tmp_path, "reminder.flow", SMS)
    run, events = run_logged(flow, [], twilio_settings(twilio_server))

    assert run.status == 0, run.stderr
    assert run.transcript == [
        "sms to +15550001111: Your table is booked for 8 PM.",
        "agent: A rejected text without a handler does not stop the call.",
        "agent: We could not text the second number.",
        "end: ended",
    ]
    (sent,) = twilio_server.messages
    assert (sent.to, sent.from_, sent.body) == (
        "+15550001111",
        twilio_server.from_number,
        "Your table is booked for 8 PM.",
    )
    assert of_kind(events, "message_sent")[0]["via"] == "TwilioSms"
    failures = of_kind(events, "message_failed")
    assert [e["to"] for e in failures] == ["555", "555"]
    assert failures[0]["reason"] == (
        "Twilio refused the SMS to 555: Invalid 'To' Phone Number: 555 (error 21211)"
    )


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        pytest.param(
            {"TWILIO_AUTH_TOKEN": "wrong-token"},
            "Twilio refused the SMS to +15550001111: Authenticate (error 20003)",
            id="wrong-credentials",
        ),
        pytest.param(
            {"TWILIO_BASE_URL": "http://127.0.0.1:{closed_port}"},
            "could not reach Twilio at http://127.0.0.1:{closed_port}: connection refused",
            id="unreachable",
        ),
    ],
)
def test_an_sms_twilio_does_not_take_is_logged_and_the_call_goes_on(
    twilio_server: LocalTwilio, tmp_path: Path, settings: dict[str, str], reason: str
) -> None:
    closed_port = str(unused_port())
    overrides = {name: value.format(closed_port=closed_port) for name, value in settings.items()}
    flow = write_flow(tmp_path, "reminder.flow", SMS)
    run, events = run_logged(flow, [], {**twilio_settings(twilio_server), **overrides})

    assert run.status == 0, run.stderr
    assert run.transcript == [
        "agent: A rejected text without a handler does not stop the call.",
        "agent: We could not text the second number.",
        "end: ended",
    ]
    assert twilio_server.messages == []
    assert of_kind(events, "message_failed")[0]["reason"] == reason.format(closed_port=closed_port)


def test_with_nothing_configured_messages_go_to_the_outbox_and_the_transcript(
    tmp_path: Path,
) -> None:
    outbox = tmp_path / "outbox.jsonl"
    flow = write_flow(
        tmp_path,
        "notify.flow",
        """
        flow Notify {
          send sms to call.caller "Table for two at 8 PM."
          send email to "host@flowc.example" subject "Booking from {{call.caller}}" body "Two at 8."
          end
        }
        """,
    )
    run, events = run_logged(flow, [], {"FLOWC_OUTBOX_FILE": str(outbox)})

    assert run.status == 0, run.stderr
    assert run.transcript == [
        "sms to +15550001111: Table for two at 8 PM.",
        "email to host@flowc.example: Booking from +15550001111",
        "end: ended",
    ]
    assert [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()] == [
        {"kind": "sms", "to": "+15550001111", "text": "Table for two at 8 PM."},
        {
            "kind": "email",
            "to": "host@flowc.example",
            "subject": "Booking from +15550001111",
            "body": "Two at 8.",
        },
    ]
    assert {e["via"] for e in of_kind(events, "message_sent")} == {"Outbox"}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        pytest.param(
            {"FLOWC_SMTP_HOST": "127.0.0.1"},
            "FLOWC_SMTP_HOST is set but FLOWC_SMTP_FROM is not: "
            "set it to the address emails are sent from",
            id="smtp-without-sender",
        ),
        pytest.param(
            {"TWILIO_ACCOUNT_SID": "AC1"},
            "Twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER "
            "together; not set: TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER",
            id="half-a-twilio-account",
        ),
    ],
)
def test_unusable_service_settings_stop_the_run_before_the_call(
    tmp_path: Path, settings: dict[str, str], message: str
) -> None:
    flow = write_flow(tmp_path, "reminder.flow", SMS)
    run = flowc_run(flow, [], environment=settings)

    assert (run.status, run.transcript) == (2, [])
    assert run.stderr == f"flowc: error: {message}\n"


# ---------------------------------------------------------------------- code steps


def test_a_code_step_whose_function_calls_sys_exit_takes_its_error_path(tmp_path: Path) -> None:
    """`code` takes its error path when the function raises (LANGUAGE.md section 5),
    and `after call` runs whatever ended the call: `sys.exit()` in a library
    the function calls is a raise like any other, not the end of the process."""
    write_flow(
        tmp_path,
        "checks.py",
        """
        import sys


        def strict_check(word: str) -> str:
            sys.exit(3)
        """,
    )
    flow = write_flow(
        tmp_path,
        "check.flow",
        """
        python checks.strict_check(word: text) -> text

        flow Check {
          code verdict = checks.strict_check(word = "hello")
            on error -> failed
          end "Checked: {{verdict}}."
          failed:
          end "The check failed."

          after call {
            send email to "ops@flowc.example" subject "check: {{call.outcome}}" body ""
          }
        }
        """,
    )
    run = flowc_run(flow, [])

    assert run.transcript == [
        "agent: The check failed.",
        "email to ops@flowc.example: check: ended",
        "end: ended",
    ]
    assert run.status == 0


# ------------------------------------------------------------------------- secrets

SECRETS = """
    flow Account {
      set api = env("API") as text
      set key = env("API_KEY")
      request account = POST "{{api}}/accounts"
        headers { "Authorization": "Bearer {{key}}" }
        query { "key": key }
        body { "key": key }
        expect { owner: text, echo: text }
        on error -> failed
      talk "This account belongs to {{account.owner}}; the service echoed {{account.echo}}."
      end
      failed:
      end "The account service is down."
    }
"""


def test_a_secret_reaches_the_server_but_never_the_transcript_or_the_log(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    """`env("API_KEY")` is a secret: sent in a header, the query and the body,
    and even echoed back by the server and said, it is masked everywhere the
    call is recorded."""
    http_server.route("POST", "/accounts", Reply.json({"owner": "Jane", "echo": SECRET_KEY}))
    flow = write_flow(tmp_path, "account.flow", SECRETS)
    run, events = run_logged(flow, [], {"API": http_server.url, "API_KEY": SECRET_KEY})

    assert run.status == 0, run.stderr
    assert run.transcript == [
        "agent: This account belongs to Jane; the service echoed ***.",
        "end: ended",
    ]
    (sent,) = http_server.requests
    assert sent.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert sent.query == {"key": [SECRET_KEY]}
    assert sent.json() == {"key": SECRET_KEY}
    assert SECRET_KEY not in (tmp_path / "events.jsonl").read_text(encoding="utf-8")
    assert SECRET_KEY not in run.stderr
    assert {"name": "account", "value": {"owner": "Jane", "echo": "***"}} in [
        {"name": e["name"], "value": e["value"]} for e in of_kind(events, "variable_set")
    ]


def test_a_secret_in_a_failure_reason_is_masked(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    """The reason for an answer that is not JSON quotes the answer; when the
    server put the key in it, the log shows `***` instead."""
    http_server.route("POST", "/accounts", Reply.text(f"bad key {SECRET_KEY}"))
    flow = write_flow(tmp_path, "account.flow", SECRETS)
    run, events = run_logged(flow, [], {"API": http_server.url, "API_KEY": SECRET_KEY})

    assert run.transcript == ["agent: The account service is down.", "end: ended"]
    (failed,) = of_kind(events, "request_failed")
    assert failed["reason"] == (
        f"POST {http_server.url}/accounts: response body is not JSON: 'bad key ***'"
    )
    assert SECRET_KEY not in (tmp_path / "events.jsonl").read_text(encoding="utf-8")
