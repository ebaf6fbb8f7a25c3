"""Completion by position and signature help in `run` arguments, from a real `flowc lsp`.

Each test types into a document the way an editor sends it (the text as it is
while being typed, which often does not parse) and asks at the cursor.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import pytest_lsp
from lsprotocol import types

from tests.lsp.support import (
    FlowClient,
    change_document,
    diagnostics,
    initialize,
    open_document,
    position_of,
    publication,
    server_config,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

PROGRAM = """\
action Ask {
  input question: text
  input tries: number = 2

  output Yes
  output No(reason: text)
  output Later

  collect ok: bool
    prompt "{{question}}"
    on no_answer -> Later
  if ok -> Yes
  exit No(reason = "declined")
}

flow Main {
  on no_answer -> bye

  collect name: text
    prompt "Your name?"
  run answer = Ask(question = "Call back later, {{name}}?")
    on Yes -> bye

  bye:
  end "Goodbye."
}
"""


@pytest_lsp.fixture(config=server_config(), scope="module")
async def client(lsp_client: FlowClient) -> AsyncIterator[None]:
    await initialize(lsp_client)
    yield
    await lsp_client.shutdown_session()


class Typing:
    """One document, typed into: each `type` replaces a marked line and asks at its end."""

    def __init__(self, client: FlowClient, path: Path) -> None:
        self.client, self.path, self.version = client, path, 1

    async def complete(self, text: str, cursor_after: str) -> list[types.CompletionItem]:
        position = await self._typed(text, cursor_after)
        found = await self.client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=self.path.as_uri()),
                position=position,
            )
        )
        assert isinstance(found, list)
        return found

    async def signature(self, text: str, cursor_after: str) -> types.SignatureHelp | None:
        position = await self._typed(text, cursor_after)
        return await self.client.text_document_signature_help_async(
            types.SignatureHelpParams(
                text_document=types.TextDocumentIdentifier(uri=self.path.as_uri()),
                position=position,
            )
        )

    async def _typed(self, text: str, cursor_after: str) -> types.Position:
        self.version += 1
        change_document(self.client, self.path, text, self.version)
        await publication(self.client, self.path)
        return position_of(text, cursor_after, len(cursor_after))


@pytest_asyncio.fixture(loop_scope="module")
async def typing(client: FlowClient, tmp_path: Path) -> Typing:
    path = tmp_path / "main.flow"
    open_document(client, path, PROGRAM)
    found = [d.code for d in await diagnostics(client, path)]
    assert found == ["E0301"]  # the run's No and Later are not connected yet
    return Typing(client, path)


def labels(items: list[types.CompletionItem]) -> list[str]:
    return [item.label for item in items]


async def test_after_an_arrow_the_labels_of_the_body(typing: Typing) -> None:
    text = PROGRAM.replace("    on Yes -> bye\n", "    on Yes -> \n")
    assert labels(await typing.complete(text, "on Yes -> ")) == ["bye"]


async def test_after_an_arrow_in_an_action_its_labels_and_outputs(typing: Typing) -> None:
    text = PROGRAM.replace("  if ok -> Yes\n", "  if ok -> \n")
    assert labels(await typing.complete(text, "if ok -> ")) == ["Yes", "No", "Later"]


async def test_in_a_run_every_output_not_connected_and_one_snippet_for_all(
    typing: Typing,
) -> None:
    text = PROGRAM.replace("    on Yes -> bye\n", "    on Yes -> bye\n    \n")
    items = await typing.complete(text, "on Yes -> bye\n    ")
    assert labels(items)[:3] == [
        "on ... -> (every output not connected)",
        "on No ->",
        "on Later ->",
    ]
    snippet = items[0]
    assert snippet.insert_text_format == types.InsertTextFormat.Snippet
    assert snippet.insert_text == "on No -> ${1:no}\n    on Later -> ${2:later}"
    assert "talk" in labels(items)  # the next step may start here too


async def test_the_actions_a_run_can_use(typing: Typing) -> None:
    text = PROGRAM.replace("  bye:\n", "  run again = \n  bye:\n")
    [item] = await typing.complete(text, "run again = ")
    assert (item.label, item.detail) == ("Ask", "Ask(question: text, tries: number = ...)")


async def test_in_run_arguments_the_inputs_not_given_yet(typing: Typing) -> None:
    text = PROGRAM.replace("  bye:\n", "  run again = Ask(\n  bye:\n")
    items = await typing.complete(text, "again = Ask(")
    assert [(i.label, i.detail, i.insert_text) for i in items] == [
        ("question", "text", "question = "),
        ("tries", "number", "tries = "),
    ]

    text = PROGRAM.replace("  bye:\n", '  run again = Ask(question = "Sure?", \n  bye:\n')
    assert labels(await typing.complete(text, '"Sure?", ')) == ["tries"]


async def test_in_a_template_the_variables_in_scope_with_their_types(typing: Typing) -> None:
    text = PROGRAM.replace('  end "Goodbye."', '  end "Goodbye {{')
    items = await typing.complete(text, "Goodbye {{")
    assert [(i.label, i.detail) for i in items] == [
        ("name", "text"),
        ("answer", "the result of Ask"),
    ]


async def test_after_a_dot_the_fields_of_a_run_result(typing: Typing) -> None:
    text = PROGRAM.replace('  end "Goodbye."', '  end "Goodbye {{answer.')
    assert [(i.label, i.detail) for i in await typing.complete(text, "{{answer.")] == [
        ("reason", "text")
    ]


async def test_at_the_start_of_a_line_steps_and_clauses_and_at_top_level_declarations(
    typing: Typing,
) -> None:
    text = PROGRAM.replace("  bye:\n", "  se\n  bye:\n")
    found = labels(await typing.complete(text, "  se"))
    assert {"talk", "collect", "send sms", "prompt", "on no_answer ->"} <= set(found)
    assert "exit" not in found  # a flow has no outputs to exit through

    text = PROGRAM + "\n# the end\nfl"
    assert labels(await typing.complete(text, "the end\nfl")) == [
        "flow",
        "action",
        "from",
        "python",
    ]


async def test_after_on_at_the_top_of_a_body_the_events_and_intent(typing: Typing) -> None:
    text = PROGRAM.replace("  on no_answer -> bye\n", "  on no_answer -> bye\n  on \n", 1)
    assert labels(await typing.complete(text, "bye\n  on ")) == ["no_answer", "error", "intent"]


async def test_after_on_below_a_collect_its_events_and_no_intent(typing: Typing) -> None:
    # A step's clause: an intent is declared only at the top of a body.
    text = PROGRAM.replace('{{question}}"\n', '{{question}}"\n    on \n', 1)
    assert labels(await typing.complete(text, '{{question}}"\n    on ')) == ["no_answer", "error"]


async def test_signature_help_in_run_arguments(typing: Typing) -> None:
    text = PROGRAM.replace("  bye:\n", '  run again = Ask(question = "Sure?", \n  bye:\n')
    help = await typing.signature(text, '"Sure?", ')
    assert help is not None
    [signature] = help.signatures
    assert signature.label == "Ask(question: text, tries: number = ...)"
    assert [p.label for p in signature.parameters or ()] == [
        "question: text",
        "tries: number = ...",
    ]
    assert help.active_parameter == 1

    text = PROGRAM.replace("  bye:\n", "  run again = Ask(tries = \n  bye:\n")
    help = await typing.signature(text, "Ask(tries = ")
    assert help is not None and help.active_parameter == 1


async def test_no_signature_help_past_the_arguments(typing: Typing) -> None:
    assert await typing.signature(PROGRAM, '{{name}}?")') is None


@pytest.mark.asyncio
async def test_a_client_without_snippets_gets_plain_text(tmp_path: Path) -> None:
    client = await server_config().start()
    assert isinstance(client, FlowClient)
    await initialize(client, types.ClientCapabilities())
    path = tmp_path / "main.flow"
    text = PROGRAM.replace("    on Yes -> bye\n", "    on Yes -> bye\n    \n")
    open_document(client, path, PROGRAM)
    await publication(client, path)
    change_document(client, path, text, version=2)
    await publication(client, path)

    found = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            position=position_of(text, "on Yes -> bye\n    ", len("on Yes -> bye\n    ")),
        )
    )

    assert isinstance(found, list)
    everything = found[0]
    assert everything.insert_text == "on No -> no\n    on Later -> later"
    assert everything.insert_text_format == types.InsertTextFormat.PlainText
    await client.shutdown_session()
    await client.stop()


FORM = """\
  collect order: {size: text in ["small", "large"], count: number}
    prompt "What would you like?"
    ask size "Which size?"
    ask count "How many?"
"""


async def test_below_a_form_its_clauses_and_after_ask_its_fields(typing: Typing) -> None:
    with_form = PROGRAM.replace("  bye:\n", FORM + "  bye:\n")
    text = with_form.replace('    ask count "How many?"\n', '    ask count "How many?"\n    \n')
    found = labels(await typing.complete(text, 'How many?"\n    '))
    assert {"ask", "given", "confirm", "prompt", "talk"} <= set(found)

    text = with_form.replace('    ask count "How many?"\n', '    ask count "How many?"\n    ask \n')
    items = await typing.complete(text, 'How many?"\n    ask ')
    assert [(i.label, i.detail) for i in items] == [("size", "text"), ("count", "number")]


async def test_below_a_collect_of_one_value_no_form_clauses(typing: Typing) -> None:
    text = PROGRAM.replace('    prompt "Your name?"\n', '    prompt "Your name?"\n    \n')
    found = labels(await typing.complete(text, 'Your name?"\n    '))
    assert "prompt" in found
    assert not {"ask", "given", "confirm"} & set(found)
