"""A small LSP client for the tests: `flowc lsp` as a real subprocess, JSON-RPC over its pipes.

Messages are framed as the protocol says (a `Content-Length` header, a blank
line, a UTF-8 JSON body). A thread reads the server's output so a test can wait
for a notification with a timeout instead of hanging on a silent server.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import tempfile
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

TIMEOUT = 10.0  # seconds; generous for a slow CI machine, never reached when things work

Message = dict[str, Any]
Key = TypeVar("Key", int, str)


@contextmanager
def lsp_server(cwd: Path) -> Iterator[LspClient]:
    """A running `flowc lsp` in the folder, killed on the way out if it is still there."""
    # A file, not a pipe, for the server's log: nobody reads it until the end.
    with tempfile.TemporaryFile() as log:
        client = LspClient(cwd, log)
        try:
            yield client
        finally:
            client.kill()


class LspClient:
    def __init__(self, cwd: Path, log: IO[bytes]) -> None:
        self._log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flowc.cli", "lsp"],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._stdin = self.process.stdin
        self._next_id = 1
        self._responses: dict[int, queue.Queue[Message]] = defaultdict(queue.Queue)
        self._diagnostics: dict[str, queue.Queue[Message]] = defaultdict(queue.Queue)
        self._lock = threading.Lock()
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    # -- speaking

    def request(self, method: str, params: object) -> Message:
        """Send a request and return the whole response (`result` or `error`)."""
        request_id = self._next_id
        self._next_id += 1
        self._send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        return self._queue(self._responses, request_id).get(timeout=TIMEOUT)

    def notify(self, method: str, params: object) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def initialize(self, capabilities: object | None = None) -> Message:
        response = self.request(
            "initialize",
            {"processId": None, "rootUri": None, "capabilities": capabilities or {}},
        )
        self.notify("initialized", {})
        return response

    def open(self, path: Path | str, text: str, version: int = 1) -> None:
        """Open a file, or a document named by a URI of its own (an untitled buffer)."""
        document = {"uri": _uri(path), "languageId": "flow", "version": version, "text": text}
        self.notify("textDocument/didOpen", {"textDocument": document})

    def change(self, path: Path, text: str, version: int) -> None:
        self.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": path.as_uri(), "version": version},
                "contentChanges": [{"text": text}],
            },
        )

    def save(self, path: Path) -> None:
        self.notify("textDocument/didSave", {"textDocument": {"uri": path.as_uri()}})

    def close(self, path: Path) -> None:
        self.notify("textDocument/didClose", {"textDocument": {"uri": path.as_uri()}})

    def stop(self) -> int:
        """shutdown, then exit, as an editor does; the server's exit status."""
        response = self.request("shutdown", None)
        assert "error" not in response, response
        self.notify("exit", None)
        return self.wait()

    def wait(self) -> int:
        returncode = self.process.wait(timeout=TIMEOUT)
        self._stdin.close()
        return returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    # -- listening

    def publication(self, path: Path | str) -> Message:
        """The parameters of the next publishDiagnostics for the file, in arrival order."""
        return self._queue(self._diagnostics, _uri(path)).get(timeout=TIMEOUT)

    def diagnostics(self, path: Path | str) -> list[Message]:
        """The diagnostics of the next publishDiagnostics for the file."""
        diagnostics: list[Message] = self.publication(path)["diagnostics"]
        return diagnostics

    def nothing_more_published(self, path: Path) -> bool:
        return self._queue(self._diagnostics, path.as_uri()).empty()

    def log(self) -> str:
        """What the server wrote to stderr so far."""
        self._log.seek(0)
        return self._log.read().decode("utf-8", errors="replace")

    def _queue(self, table: dict[Key, queue.Queue[Message]], key: Key) -> queue.Queue[Message]:
        # Both threads look queues up; only one may create a missing one.
        with self._lock:
            return table[key]

    def _send(self, message: Message) -> None:
        body = json.dumps(message).encode("utf-8")
        self._stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self._stdin.flush()

    def _read(self, stdout: IO[bytes]) -> None:
        while (message := _read_message(stdout)) is not None:
            if message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                self._queue(self._diagnostics, params["uri"]).put(params)
            elif "id" in message and "method" not in message:
                self._queue(self._responses, message["id"]).put(message)


def _uri(document: Path | str) -> str:
    return document.as_uri() if isinstance(document, Path) else document


def _read_message(stream: IO[bytes]) -> Message | None:
    """One framed message, or None at the end of the stream."""
    length = None
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("ascii").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if line == b"" or length is None:
        return None
    message: Message = json.loads(stream.read(length).decode("utf-8"))
    return message
