"""Served calls outlive server processes: crashes, restarts, redeploys, shared stores.

Every test starts its own real server processes (tests/support/served.py) on a
real store (a SQLite file, or a real redis-server from the `redis_url`
fixture) and plays calls with signed Twilio webhooks. What a test checks is
what a caller would notice: the next webhook after a `kill -9` and a restart
continues the call exactly where it was, and nothing ran twice.
"""

from __future__ import annotations

import concurrent.futures
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.serve.line import LineApi, copy_flows, order_id, outbox, wait_until
from tests.support.http_server import unused_port
from tests.support.served import ServedFlow, ServerFactory, served
from tests.support.twilio_webhooks import TwilioCall, new_phone_number

__all__ = ["served"]  # the fixture

APOLOGY = (
    "We're sorry, this call cannot continue because the service was updated. Please call again."
)


def line_server(
    served: ServerFactory, folder: Path, api: LineApi, *, store: str | None = None,
    args: tuple[str, ...] = (), name: str | None = None,
) -> ServedFlow:  # fmt: skip
    (flow,) = copy_flows(folder / "line", "line.flow")
    env = {"API_URL": api.url, "FLOWC_OUTBOX_FILE": str(folder / "outbox.jsonl")}
    return served.start([flow], store=store, env=env, args=args, name=name)


def phone(server: ServedFlow) -> TwilioCall:
    return TwilioCall(server.url, server.auth_token, from_=new_phone_number())


# ------------------------------------------------------------------ crashes


def test_a_server_killed_mid_turn_leaves_the_call_to_the_next_one_once_its_lease_lapses(
    served: ServerFactory, tmp_path: Path, api: LineApi
) -> None:
    """`kill -9` while a turn's slow request is out: Twilio's webhook fails and it reports
    the call over. The restarted server waits for the dead one's claim on the turn to
    lapse (--lease 3) and then ends the call from where it waited: after call once."""
    server = line_server(served, tmp_path, api, args=("--lease", "3"))
    with phone(server) as call:
        call.start()
        call.answer("order")
        call.answer("Jane Doe")
        api.delay("/orders", call.call_sid, 30.0)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            dying = pool.submit(call.press, "3")
            api.wait_for("/orders", call.call_sid)
            server.kill()
            with pytest.raises(httpx.TransportError):
                dying.result()
        server.start()
        assert call.hang_up().status_code == 204  # the lease has not lapsed yet
        api.wait_for("/after", call.call_sid, timeout=15)
        assert [r.json()["outcome"] for r in api.requests("/after", call.call_sid)] == [
            "hangup"
        ]
        assert server.events("turn_taken_over", call=call.call_sid)
        wait_until(lambda: bool(server.events("call_ended", call=call.call_sid)), "call_ended")
        assert call.hang_up().status_code == 204  # reported twice: nothing runs again
    assert len(api.requests("/after", call.call_sid)) == 1


def test_after_kill_9_a_restarted_server_continues_the_call_where_it_was(
    served: ServerFactory, tmp_path: Path, api: LineApi, store_url: str
) -> None:
    server = line_server(served, tmp_path, api, store=store_url)
    with phone(server) as call:
        call.start()
        call.answer("order")
        count = call.answer("Jane Doe")  # inside the TakeOrder action now
        assert count.gather is not None
        server.kill()
        server.start()
        placed = call.press("3")
        assert placed.says == ["Let me place that order."]
        assert placed.gather is not None
        assert placed.gather.prompt == (
            f"Order {order_id(call.call_sid)} is placed. Will you pick it up yourself?"
        )
        (order,) = api.requests("/orders", call.call_sid)
        assert order.json() == {"call": call.call_sid, "name": "Jane Doe", "count": 3}
        server.kill()
        server.start()
        assert call.retry().text == placed.text  # Twilio's retry, answered from the store
        assert api.hits("/orders", call.call_sid) == 1
        assert call.answer("yes").says == ["See you at the counter. Goodbye!"]
    wait_until(lambda: bool(server.events("call_ended", call=call.call_sid)), "call_ended")
    assert [e["outcome"] for e in server.events("call_ended", call=call.call_sid)] == ["ended"]
    assert len(outbox(tmp_path / "outbox.jsonl", to=call.from_)) == 1


# ------------------------------------------------------------------ secrets at rest


def test_a_secret_from_the_environment_is_never_written_to_the_store(
    served: ServerFactory, tmp_path: Path, api: LineApi
) -> None:
    secret = f"sk-live-{uuid.uuid4().hex}"
    (flow,) = copy_flows(tmp_path / "app", "secret.flow")
    env = {"API_URL": api.url, "SOME_API_KEY": secret}
    server = served.start([flow], env=env)
    database = Path(server.store.removeprefix("sqlite:"))

    def at_rest() -> bytes:
        files = [database, database.with_name(database.name + "-wal"), server.log]
        return b"".join(path.read_bytes() for path in files if path.exists())

    with phone(server) as call:
        first = call.start()  # the first request used the key; the call waits now
        assert first.gather is not None
        assert first.gather.prompt == "Hello Jane. Are you ready?"
        assert secret.encode() not in at_rest()
        inside = call.answer("yes")  # the action's request used its secret input
        assert inside.gather is not None
        assert inside.gather.prompt == "Shall I confirm the booking for Jane?"
        assert secret.encode() not in at_rest()
        server.kill()  # whatever is in the WAL stays there
        assert secret.encode() not in at_rest()
        server.start()
        assert call.answer("yes").says == ["Booked. Goodbye Jane."]
    assert secret.encode() not in at_rest()
    sent = [r for r in api.server.requests if r.query.get("call") == [call.call_sid]]
    assert [r.query["step"] for r in sent] == [["first"], ["second"], ["action"]]
    assert {r.headers["authorization"] for r in sent} == {secret}


# ------------------------------------------------------------------ redeploys


def test_a_redeploy_keeps_calls_in_progress_on_their_build(
    served: ServerFactory, tmp_path: Path, api: LineApi
) -> None:
    (flow,) = copy_flows(tmp_path / "app", "redeploy.flow")
    archive = flow.parent / ".flowc" / "builds"  # the default, beside the flow
    server = served.start([flow], env={"API_URL": api.url})
    build_a = server.healthz().json()["build"]
    with phone(server) as finishing, phone(server) as stranded:
        assert finishing.start().says == ["This is version one."]
        finishing.answer("Jane")
        stranded.start()

        flow.write_text(flow.read_text().replace("version one", "version two")
                        .replace("Version one", "Version two"))  # fmt: skip
        server.restart()
        build_b = server.healthz().json()["build"]
        assert build_b != build_a

        # The call in progress finishes on build A: its words are A's.
        assert finishing.answer("Paris").says == ["Version one says goodbye to Jane from Paris."]
        api.wait_for("/after", finishing.call_sid)
        assert api.requests("/after", finishing.call_sid)[0].json()["version"] == "one"
        # A new call starts on build B.
        with phone(server) as new:
            first = new.start()
            assert first.says == ["This is version two."]
            assert first.gather is not None
            assert first.gather.prompt == "Version two asks: what is your name?"

        # Build A leaves the archive: the call still on it cannot go on.
        assert sorted(p.name for p in archive.iterdir()) == sorted([build_a, build_b])
        for path in sorted((archive / build_a).rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        (archive / build_a).rmdir()
        server.restart()
        seen = len(server.events(call=stranded.call_sid))
        sorry = stranded.answer("Jane")
        assert sorry.verbs == ["Say", "Hangup"]
        assert sorry.says == [APOLOGY]
        assert stranded.retry().text == sorry.text
    (abandoned,) = server.events("call_abandoned", call=stranded.call_sid)
    assert abandoned["build"] == build_a
    assert build_a in abandoned["reason"]
    later = server.events(call=stranded.call_sid)[seen:]
    assert [event["event"] for event in later] == ["call_abandoned"]  # nothing of A ran
    assert api.hits("/after", stranded.call_sid) == 0


# ------------------------------------------------------------------ store faults


def test_a_locked_sqlite_store_answers_503_and_the_retry_works_once_it_is_free(
    served: ServerFactory, tmp_path: Path, api: LineApi
) -> None:
    server = line_server(served, tmp_path, api)
    database = server.store.removeprefix("sqlite:")
    with phone(server) as call:
        call.start()
        holder = subprocess.Popen(
            [sys.executable, "-c", LOCK_HOLDER, database],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
            busy = call.answer("order")
            assert busy.status_code == 503
            assert busy.text.startswith("call store unavailable: ")
            assert "is locked by another process" in busy.text
            assert "locked" in server.stderr()
        finally:
            assert holder.stdin is not None
            holder.stdin.close()  # the holder rolls back and exits
            holder.wait(timeout=10)
        name = call.retry()  # Twilio retries the webhook
        assert name.ok, name.text
        assert name.gather is not None
        assert name.gather.prompt == "What name is the order under?"
        assert len(server.events("heard", call=call.call_sid)) == 1
        assert call.answer("Jane Doe").gather is not None


def test_a_lock_while_a_turn_runs_delays_its_answer_and_loses_nothing(
    served: ServerFactory, tmp_path: Path, api: LineApi
) -> None:
    server = line_server(served, tmp_path, api, args=("--builds", str(tmp_path / "archive")))
    flow = server.files[0]
    # With --store and --builds elsewhere, nothing is written beside the flow.
    assert [p.name for p in flow.parent.iterdir()] == [flow.name]
    assert len(list((tmp_path / "archive").iterdir())) == 1
    database = server.store.removeprefix("sqlite:")
    with phone(server) as call:
        call.start()
        call.answer("order")
        call.answer("Jane Doe")
        api.delay("/orders", call.call_sid, 1.0)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            turn = pool.submit(call.press, "3")
            api.wait_for("/orders", call.call_sid)  # the turn is claimed and running
            holder = subprocess.Popen(
                [sys.executable, "-c", LOCK_HOLDER, database],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
            wait_until(
                lambda: bool(server.events("message_sent", call=call.call_sid)),
                "the turn's steps to run",
            )
            assert not turn.done()  # its record cannot be written yet
            assert holder.stdin is not None
            holder.stdin.close()
            holder.wait(timeout=10)
            placed = turn.result()
        assert placed.ok, placed.text
        assert placed.gather is not None
        assert order_id(call.call_sid) in (placed.gather.prompt or "")
        server.kill()  # what the webhook answered is in the store
        server.start()
        assert call.retry().text == placed.text
        assert call.answer("no").says == ["We will deliver it. Goodbye!"]
    assert api.hits("/orders", call.call_sid) == 1
    assert len(outbox(tmp_path / "outbox.jsonl", to=call.from_)) == 1


# A separate process holds an exclusive transaction on the store until its stdin closes.
LOCK_HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
db.execute("UPDATE calls SET updated = updated")
print("locked", flush=True)
sys.stdin.read()
db.execute("ROLLBACK")
"""


def test_a_store_that_is_unreachable_is_reported_by_healthz_and_webhooks(
    served: ServerFactory, tmp_path: Path, api: LineApi
) -> None:
    """The server starts anyway (the store may come back) and says what is wrong."""
    store = f"redis://127.0.0.1:{unused_port()}/0"
    password = f"pw-{uuid.uuid4().hex}"
    with_password = store.replace("redis://", f"redis://:{password}@")
    flows = copy_flows(tmp_path / "app", "line.flow")
    server = served.start(flows, store=with_password, healthy=False)
    health = server.healthz()
    assert health.status_code == 503
    assert health.json()["ok"] is False
    assert "connection refused" in health.json()["store"]
    with phone(server) as call:
        answer = call.send(f"{server.url}/twilio/voice", call.fields())
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "1"
        assert "cannot be reached: connection refused" in answer.text
    assert "WARNING: the call store redis://127.0.0.1:" in server.stderr()  # at start
    assert f"/twilio/voice: the call store {store} cannot be reached" in server.stderr()
    assert health.json()["flow"] == "line:Line" and health.json()["build"]
    assert password not in server.stderr() + health.text
