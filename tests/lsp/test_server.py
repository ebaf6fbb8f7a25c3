"""`flowc lsp` as an editor sees it: a real subprocess, spoken to in LSP over its stdin/stdout.

One server serves the diagnostics tests (each in its own folder, as separate
projects in one editor would be); the lifecycle tests start their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lsp.client import LspClient, lsp_server

DUPLICATE_LABEL = """\
flow Menu {
  on no_answer -> menu

  menu:
  collect choice: text in ["hours", "address"]
    prompt "Hours or address?"
  if choice == "hours" -> hours
  talk "We are at 1 Main Street."
  -> menu

  menu:
  hours:
  end "We are open nine to five."
}
"""
FIXED = DUPLICATE_LABEL.replace("  menu:\n  hours:", "  hours:")

UNREACHABLE_STEP = """\
flow Hours {
  end "We are open nine to five."
  talk "Is there anything else?"
}
"""

GREETING = """\
flow Greeting {
  on no_answer -> goodbye

  collect name: text
    prompt "What is your name?"
  talk "Grüße 😀 {{nmae}}."
  end

  goodbye:
  end "Goodbye."
}
"""

GREET_WITH_TYPO = 'action Greet {\n  output Done\n\n  talk "Hello {{nmae}}."\n  exit Done\n}\n'
GREET_FIXED = 'action Greet {\n  output Done\n\n  talk "Hello."\n  exit Done\n}\n'
MAIN = (
    'from "lib/greet.flow" import Greet\n\n'
    "flow Main {\n  run hello = Greet()\n    on Done -> bye\n\n  bye:\n  end\n}\n"
)
MAIN_WITHOUT_IMPORT = "flow Main {\n  end\n}\n"


def lsp_range(line: int, start: int, end: int) -> dict[str, dict[str, int]]:
    return {
        "start": {"line": line, "character": start},
        "end": {"line": line, "character": end},
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LspClient]:
    with lsp_server(tmp_path_factory.mktemp("lsp")) as client:
        assert "result" in client.initialize()
        yield client


def test_an_unsaved_buffer_with_an_error_gets_its_diagnostic(
    server: LspClient, tmp_path: Path
) -> None:
    menu = tmp_path / "menu.flow"  # never written: only the editor has the text

    server.open(menu, DUPLICATE_LABEL)

    assert server.diagnostics(menu) == [
        {
            "range": lsp_range(10, 2, 6),
            "severity": 1,
            "code": "E0106",
            "source": "flowc",
            "message": "the label 'menu' is declared twice in flow 'Menu'\n"
            "help: rename one of them; every label of a body must be unique",
            "relatedInformation": [
                {
                    "location": {"uri": menu.as_uri(), "range": lsp_range(3, 2, 6)},
                    "message": "first declared here",
                }
            ],
        }
    ]


def test_fixing_the_text_clears_the_diagnostics(server: LspClient, tmp_path: Path) -> None:
    menu = tmp_path / "menu.flow"
    server.open(menu, DUPLICATE_LABEL)
    assert [d["code"] for d in server.diagnostics(menu)] == ["E0106"]

    server.change(menu, FIXED, version=2)

    assert server.publication(menu) == {"uri": menu.as_uri(), "version": 2, "diagnostics": []}


def test_a_warning_carries_its_notes_and_help_and_fades_dead_code(
    server: LspClient, tmp_path: Path
) -> None:
    hours = tmp_path / "hours.flow"

    server.open(hours, UNREACHABLE_STEP)

    assert server.diagnostics(hours) == [
        {
            "range": lsp_range(2, 2, 32),
            "severity": 2,
            "code": "W0101",
            "source": "flowc",
            "message": "this 'talk' can never run\n"
            "note: no step, jump or handler leads here\n"
            "help: remove it, or put a label before it and jump to it",
            "tags": [1],  # Unnecessary: the editor shows the step faded
        }
    ]


def test_columns_count_utf16_code_units(server: LspClient, tmp_path: Path) -> None:
    greeting = tmp_path / "greeting.flow"

    server.open(greeting, GREETING)

    # `  talk "Grüße 😀 {{nmae}}."`: 'nmae' starts at code point 18; the emoji
    # before it is two UTF-16 code units, so an editor counts 19.
    [diagnostic] = server.diagnostics(greeting)
    assert (diagnostic["code"], diagnostic["range"]) == ("E0101", lsp_range(5, 19, 23))


def test_a_malformed_buffer_gets_syntax_diagnostics(server: LspClient, tmp_path: Path) -> None:
    broken = tmp_path / "broken.flow"

    server.open(broken, 'flow {{ "unterminated \x00 ☃\n  talk\n')

    codes = [d["code"] for d in server.diagnostics(broken)]
    assert codes and all(code.startswith("E00") for code in codes)
    server.change(broken, FIXED, version=2)
    assert server.diagnostics(broken) == []


def test_a_buffer_never_saved_anywhere_is_checked_under_its_own_uri(server: LspClient) -> None:
    untitled = "untitled:Untitled-1"

    server.open(untitled, DUPLICATE_LABEL)

    [diagnostic] = server.diagnostics(untitled)
    assert diagnostic["code"] == "E0106"
    assert diagnostic["relatedInformation"][0]["location"]["uri"] == untitled


def test_diagnostics_of_an_imported_file_go_to_its_uri(server: LspClient, tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    greet = tmp_path / "lib" / "greet.flow"
    greet.write_text(GREET_WITH_TYPO, encoding="utf-8")
    main = tmp_path / "main.flow"

    server.open(main, MAIN)

    assert server.diagnostics(main) == []
    [diagnostic] = server.diagnostics(greet)
    assert (diagnostic["code"], diagnostic["range"]) == ("E0101", lsp_range(3, 16, 20))

    # Fixed on disk: the next check (a save) clears them.
    greet.write_text(GREET_FIXED, encoding="utf-8")
    server.save(main)
    assert server.diagnostics(greet) == []


def test_an_import_dropped_from_the_text_has_its_diagnostics_cleared(
    server: LspClient, tmp_path: Path
) -> None:
    (tmp_path / "lib").mkdir()
    greet = tmp_path / "lib" / "greet.flow"
    greet.write_text(GREET_WITH_TYPO, encoding="utf-8")
    main = tmp_path / "main.flow"
    server.open(main, MAIN)
    assert [d["code"] for d in server.diagnostics(greet)] == ["E0101"]

    server.change(main, MAIN_WITHOUT_IMPORT, version=2)

    assert server.diagnostics(greet) == []


def test_an_open_import_speaks_for_itself_with_its_unsaved_text(
    server: LspClient, tmp_path: Path
) -> None:
    (tmp_path / "lib").mkdir()
    greet = tmp_path / "lib" / "greet.flow"
    greet.write_text(GREET_FIXED, encoding="utf-8")
    main = tmp_path / "main.flow"
    server.open(greet, GREET_WITH_TYPO)
    assert [d["code"] for d in server.diagnostics(greet)] == ["E0101"]

    server.open(main, MAIN)

    assert server.diagnostics(main) == []
    assert server.nothing_more_published(greet)


def test_closing_a_document_clears_its_diagnostics(server: LspClient, tmp_path: Path) -> None:
    menu = tmp_path / "menu.flow"
    server.open(menu, DUPLICATE_LABEL)
    assert [d["code"] for d in server.diagnostics(menu)] == ["E0106"]

    server.close(menu)

    assert server.diagnostics(menu) == []


# --------------------------------------------------------------------------
# Lifecycle


def test_shutdown_then_exit_ends_the_server_with_status_0(tmp_path: Path) -> None:
    with lsp_server(tmp_path) as client:
        client.initialize()
        assert client.stop() == 0
        assert "Traceback" not in client.log()


def test_exit_without_shutdown_ends_the_server_with_status_1(tmp_path: Path) -> None:
    with lsp_server(tmp_path) as client:
        client.initialize()
        client.notify("exit", None)
        assert client.wait() == 1


def test_a_client_that_prefers_utf8_gets_utf8_columns(tmp_path: Path) -> None:
    with lsp_server(tmp_path) as client:
        response = client.initialize({"general": {"positionEncodings": ["utf-8", "utf-16"]}})
        assert response["result"]["capabilities"]["positionEncoding"] == "utf-8"
        greeting = tmp_path / "greeting.flow"

        client.open(greeting, GREETING)

        # 'ü' and 'ß' are two bytes each, the emoji four: 18 code points, 23 bytes.
        [diagnostic] = client.diagnostics(greeting)
        assert diagnostic["range"] == lsp_range(5, 23, 27)
        assert client.stop() == 0
