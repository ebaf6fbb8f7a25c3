"""`textDocument/formatting` is `flowc fmt`; an open `.flowtest` file gets the diagnostics
`flowc test` would report for it, as it is typed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from flowc.fmt import format_text
from lsprotocol import types

from tests.lsp.support import (
    FlowClient,
    apply_edits,
    change_document,
    diagnostics,
    initialize,
    open_document,
    server_config,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

UNTIDY = """\
flow   Hours {
    on no_answer ->   goodbye
  # what callers ask most
      talk "We are open nine to five."
  goodbye:
  end    "Goodbye."
}
"""

HOURS_TEST = """\
flow Hours from "hours.flow"

agent: We are open nine to five.
end: Goodbye.
"""


@pytest_lsp.fixture(config=server_config(), scope="module")
async def server(lsp_client: FlowClient) -> AsyncIterator[None]:
    await initialize(lsp_client)
    yield
    await lsp_client.shutdown_session()


async def formatting(client: FlowClient, path: Path) -> list[types.TextEdit] | None:
    return await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            options=types.FormattingOptions(tab_size=2, insert_spaces=True),
        )
    )


async def test_formatting_gives_the_layout_of_flowc_fmt_and_then_nothing(
    server: FlowClient, tmp_path: Path
) -> None:
    hours = tmp_path / "hours.flow"
    open_document(server, hours, UNTIDY)
    edits = await formatting(server, hours)
    assert edits is not None
    formatted = apply_edits(UNTIDY, edits)
    assert formatted == format_text(UNTIDY, str(hours))
    assert "# what callers ask most" in formatted
    change_document(server, hours, formatted, version=2)
    again = await formatting(server, hours)
    assert again is not None and len(again) == 0  # formatted: no edit, not a refusal


async def test_text_that_does_not_parse_is_left_as_it_is(
    server: FlowClient, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.flow"
    open_document(server, broken, "flow Hours {\n  talk\n}\n")
    assert await formatting(server, broken) is None


async def test_a_test_file_gets_its_diagnostics_as_it_is_typed(
    server: FlowClient, tmp_path: Path
) -> None:
    (tmp_path / "hours.flow").write_text(UNTIDY, encoding="utf-8")
    test = tmp_path / "hours.flowtest"
    open_document(server, test, HOURS_TEST.replace("flow Hours", "flow Hour"))
    [problem] = await diagnostics(server, test)
    assert problem.code == "E0703"
    assert "Hours" in (problem.message + str(problem.data or ""))
    change_document(server, test, HOURS_TEST, version=2)
    assert await diagnostics(server, test) == []
