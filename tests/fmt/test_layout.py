"""The canonical layout of `flowc fmt`, case by case, and where comments go."""

from __future__ import annotations

import textwrap
import typing
from pathlib import Path

import pytest
from flowc import ast
from flowc.fmt import (
    _EXPRESSION_PRINTERS,
    _STEP_PRINTERS,
    LINE_LENGTH,
    SourceSyntaxError,
    format_text,
)
from flowc.parser import parse
from flowc.source import SourceFile

ROOT = Path(__file__).resolve().parents[2]


def fmt(text: str) -> str:
    return format_text(textwrap.dedent(text).lstrip("\n"), "test.flow")


def flow(body: str) -> str:
    """A flow of these steps (dedented), as the formatter writes it."""
    return "flow F {\n" + textwrap.indent(textwrap.dedent(body).strip("\n"), "  ") + "\n}\n"


def test_every_kind_of_expression_and_step_has_a_layout() -> None:
    # A kind of node added to the language without a layout fails here, not silently.
    assert set(typing.get_args(ast.Expr)) - set(_EXPRESSION_PRINTERS) == set()
    assert set(typing.get_args(ast.Step)) - set(_STEP_PRINTERS) == set()


@pytest.mark.parametrize(
    "name", ["legal_intake.flow", "legal_intake_local.flow", "pharmacy_line.flow"]
)
def test_the_examples_are_formatted_already(name: str) -> None:
    text = (ROOT / "examples" / name).read_text()
    assert format_text(text, name) == text


def test_intents_follow_the_default_handlers_and_uninterruptible_stays_on_its_line() -> None:
    messy = """
        flow F { on intent human [ "talk to a person" ,"agent" ] -> bye
          on no_answer -> bye
          talk "This call is recorded."
            uninterruptible
          collect x: text prompt "q"
          bye: end }
    """
    assert fmt(messy) == flow(
        """
        on no_answer -> bye
        on intent human ["talk to a person", "agent"] -> bye

        talk "This call is recorded." uninterruptible
        collect x: text
          prompt "q"

        bye:
        end
        """
    )


def test_blanks_and_line_breaks_are_laid_out_anew() -> None:
    messy = """
        flow   F{on no_answer->bye
          talk   "hi"   collect x :text prompt "q"  on no_answer -> bye
        if x=="a"->bye
            bye:end}
    """
    assert fmt(messy) == flow(
        """
        on no_answer -> bye

        talk "hi"
        collect x: text
          prompt "q"
          on no_answer -> bye
        if x == "a" -> bye

        bye:
        end
        """
    )


def test_clauses_come_in_the_order_of_the_language_reference() -> None:
    text = """
        flow F {
          request r = GET "u" on error -> out retries 2 timeout 5s expect json
            body { "a": 1 } query { "q": 2 } headers { "h": 3 }
          collect c: text on no_answer -> out timeout 5s attempts 2 reprompt "r" prompt "p"
          send email to "a@b.example" body "b" subject "s"
          out: end
        }
    """
    assert fmt(text) == flow(
        """
        request r = GET "u"
          headers { "h": 3 }
          query { "q": 2 }
          body { "a": 1 }
          expect json
          timeout 5s
          retries 2
          on error -> out
        collect c: text
          prompt "p"
          reprompt "r"
          attempts 2
          timeout 5s
          on no_answer -> out
        send email to "a@b.example"
          subject "s"
          body "b"

        out:
        end
        """
    )


def test_one_blank_line_is_kept_between_steps_and_one_comes_before_a_label() -> None:
    text = """
        flow F {
          talk "a"



          talk "b"
          talk "c"
          here:
          end
        }
    """
    assert fmt(text) == flow(
        """
        talk "a"

        talk "b"
        talk "c"

        here:
        end
        """
    )


def test_literals_are_written_as_in_the_source() -> None:
    text = (
        "flow F {\n"
        '  set a = "caf\\u{e9} {{ name ?? "x" }} \\{{"\n'
        "  set b = 3.50\n"
        "  set c = 5000ms\n"
        '  set d = """two\n'
        '      lines  """\n'
        "  end\n"
        "}\n"
    )
    assert format_text(text, "literals.flow") == text


def test_parentheses_that_are_written_are_kept_and_needed_ones_added() -> None:
    text = """
        flow F {
          if (a == b) or not (c and d) -> x
          set y = ((e ?? f))
          x: end
        }
    """
    out = fmt(text)
    assert "if (a == b) or not (c and d) -> x" in out
    assert "set y = (e ?? f)" in out


def test_a_long_argument_list_is_written_one_argument_a_line() -> None:
    long = "x" * 60
    text = f"""
        flow F {{
          run r = Act(first = "{long}", second = "{long}")
            on Done -> bye
          bye: end
        }}
    """
    assert fmt(text) == flow(
        f"""
        run r = Act(
          first = "{long}",
          second = "{long}",
        )
          on Done -> bye

        bye:
        end
        """
    )
    assert all(len(line) <= LINE_LENGTH for line in fmt(text).splitlines())


def test_a_transfer_says_its_words_on_its_line_when_they_fit() -> None:
    assert fmt('flow F { transfer to "+1555" say "hi" }') == flow('transfer to "+1555" say "hi"')
    long = "y" * 90
    assert fmt(f'flow F {{ transfer to "+1555" say "{long}" }}') == flow(
        f"""
        transfer to "+1555"
          say "{long}"
        """
    )


def test_comments_stay_beside_what_they_were_next_to() -> None:
    text = """
        # The file's header.

        flow F {  # the main flow
          # Greet first.
          talk "hi"    # aligned
          collect x: text
            # why prompt
            prompt "q"
            on no_answer -> bye  # silence

          bye:
          end
          # the end
        }
        # after everything
    """
    assert fmt(text) == textwrap.dedent(text).lstrip("\n").replace("    # aligned", "  # aligned")


def test_a_comment_inside_a_list_breaks_it_one_item_a_line() -> None:
    text = """
        flow F {
          run r = Act(a = 1, # the first
            b = 2)
            on Done -> bye
          bye: end
        }
    """
    assert fmt(text) == flow(
        """
        run r = Act(
          a = 1,  # the first
          b = 2,
        )
          on Done -> bye

        bye:
        end
        """
    )


def test_a_comment_travels_with_its_clause_when_clauses_are_reordered() -> None:
    text = """
        flow F {
          collect x: text
            on no_answer -> bye  # give up
            prompt "q"  # ask
          bye: end
        }
    """
    out = fmt(text)
    assert '    prompt "q"  # ask\n    on no_answer -> bye  # give up\n' in out


def test_crlf_line_endings_are_kept() -> None:
    out = format_text('flow F {\r\n  talk "hi"  \r\n  end\r\n}\r\n', "crlf.flow")
    assert out == 'flow F {\r\n  talk "hi"\r\n  end\r\n}\r\n'


def test_a_syntax_error_is_the_parser_s_own_diagnostic() -> None:
    text = 'flow F {\n  talk "hi"\n  colect x: text\n}\n'
    with pytest.raises(SourceSyntaxError) as caught:
        format_text(text, "bad.flow")
    assert caught.value.diagnostics == parse(SourceFile("bad.flow", text)).diagnostics
    assert caught.value.diagnostics


def test_an_empty_file_stays_empty() -> None:
    assert format_text("", "empty.flow") == "\n"
    assert format_text("# only a comment\n", "c.flow") == "# only a comment\n"
