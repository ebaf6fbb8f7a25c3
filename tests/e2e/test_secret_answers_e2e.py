"""`collect pin: secret` end to end through `flowc run`: a PIN piped in reaches
the server the flow sends it to, and neither the transcript nor the event log
holds it (LANGUAGE.md section 6, "Secret answers")."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.http_server import LocalHttpServer, Reply

from .core_cli import flowc_run, write_flow

PIN_FLOW = """
    flow Banking {
      on no_answer -> goodbye
      set api = env("API") as text
      collect pin: secret
        prompt "Please say or key in your PIN."
      request check = POST "{{api}}/pin"
        body { "pin": pin }
        expect { ok: bool }
        on error -> goodbye
      talk "Your PIN is checked."
      end "Thank you."
      goodbye:
      end "Goodbye."
    }
"""


def test_a_piped_pin_reaches_the_server_but_never_the_transcript_or_the_log(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    http_server.route("POST", "/pin", Reply.json({"ok": True}))
    flow = write_flow(tmp_path, "banking.flow", PIN_FLOW)
    log = tmp_path / "events.jsonl"
    run = flowc_run(
        flow, ["9 7 3 1 5 8"], extra_args=("--log", str(log)), environment={"API": http_server.url}
    )

    assert run.status == 0, run.stderr
    assert run.transcript == [
        "agent: Please say or key in your PIN.",
        "caller: ***",
        "agent: Your PIN is checked.",
        "agent: Thank you.",
        "end: ended",
    ]
    (sent,) = http_server.requests
    assert sent.json() == {"pin": "973158"}
    logged = log.read_text(encoding="utf-8")
    assert "973158" not in logged and "9 7 3 1 5 8" not in logged
    assert "973158" not in run.stderr
    heard = [json.loads(line) for line in logged.splitlines()]
    assert [e["text"] for e in heard if e["event"] == "heard"] == ["***"]
