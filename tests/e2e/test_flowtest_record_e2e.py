"""What `flowc run --record` writes down, against a real local API: bodies over several
lines, a timeout, a secret answer of the caller and a secret setting; then replayed."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.flowtest_cli import flowc
from tests.support.http_server import LocalHttpServer, Reply

ORDERS = """\
flow Orders {
  on no_answer -> bye
  set api = env("ORDERS_URL") as text ?? "https://orders.example.com"
  collect pin: secret
    prompt "Your PIN, please?"
  request status = GET "{{api}}/status"
    headers { "Authorization": env("ORDERS_TOKEN") }
    expect { state: text, items: list[text] }
    on error -> down
  talk "Your order is {{status.state}}."
  request tracking = GET "{{api}}/tracking"
    timeout 1s
    on error -> down
  end "Bye."

  down:
  end "Orders are down."

  bye:
  end "Bye."
}
"""
ITEMS = ["a reading lamp", "two bookshelves", "a writing desk", "an office chair"]


def test_recorded_stubs_and_secrets_replay(tmp_path: Path, http_server: LocalHttpServer) -> None:
    (tmp_path / "orders.flow").write_text(ORDERS, encoding="utf-8")
    http_server.route("GET", "/status", Reply.json({"state": "shipped", "items": ITEMS}))
    http_server.route("GET", "/tracking", Reply.json({}, delay_seconds=3))
    recorded = flowc(
        "run", "orders.flow", "--record", "orders.flowtest", cwd=tmp_path, stdin="4 4 2 1\n",
        env={"ORDERS_URL": http_server.url, "ORDERS_TOKEN": "s3cret-token"},
    )
    assert recorded.returncode == 0, recorded.stderr
    assert "caller: ***" in recorded.stdout  # flowc run masks the secret answer
    text = (tmp_path / "orders.flowtest").read_text(encoding="utf-8")
    assert "s3cret-token" not in text
    assert 'env ORDERS_TOKEN = "not-recorded"' in text
    assert f'env ORDERS_URL = "{http_server.url}"' in text
    assert 'stub status: 200 {\n  "state": "shipped",\n  "items": [\n' in text
    assert "stub tracking: timeout" in text
    assert "caller: 4 4 2 1\n" in text  # the test has to say it
    assert text.endswith("agent: Orders are down.\nend: ended\n")

    http_server.stop()
    replayed = flowc("test", "orders.flowtest", cwd=tmp_path)
    assert replayed.returncode == 0, replayed.stdout
