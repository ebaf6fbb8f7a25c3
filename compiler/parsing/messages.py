"""The wording of syntax errors: every message, hint and note the parser reports.

The other parts decide where an error is and what the parser saw there; the
words are made here, so that all of them can be read, and kept consistent, in
one place. What the parser expected arrives as grammar terminals (TALK,
LPAR, __ANON_0 ...) and is put into words for a person (`phrase`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lark import Token

from .. import ast, codes
from ..diagnostics import Diagnostic, Note, did_you_mean, error, rename_fix
from ..source import Span
from .grammar import DECLARATION_KEYWORDS, MEMBER_KEYWORDS, STEP_KEYWORDS, Grammar

TEMPLATE_END = "TEMPLATE_END"
"""Stands for $END in what a template expects: a template's text ends at its `}}`."""

# --------------------------------------------------------------------------
# Unexpected tokens


def unexpected(
    grammar: Grammar,
    span: Span,
    expected: set[str],
    token: Token,
    in_template: bool,
    hint: str | None,
    notes: Sequence[Note],
) -> Diagnostic:
    found = _describe(token, in_template)
    message = f"expected {phrase(grammar, expected)} but found {found}"
    return error(codes.UNEXPECTED_TOKEN, span, message, notes=notes, help=hint)


def unknown_keyword(
    span: Span, written: str, near: str, keywords: Sequence[str], expected: str | None
) -> Diagnostic:
    """`written` where a keyword belongs: `near`, the likeliest of the `keywords` that fit."""
    message = f"unknown keyword '{written}'; did you mean '{near}'?"
    return error(
        codes.UNKNOWN_KEYWORD,
        span,
        message,
        help=f"expected {expected}" if expected else None,
        fixes=rename_fix(span, written, near, keywords),
    )


def name_without_colon(grammar: Grammar, name: ast.Ident, expected: set[str]) -> Diagnostic:
    """A name read as a label with no ':' after it; `expected` could stand in its place."""
    message = f"expected {phrase(grammar, expected)} but found the name '{name.name}'"
    if name.name in ast.SCALAR_TYPE_NAMES:  # `answer: text` with its `collect` left out
        ask = f"write 'collect NAME: {name.name} prompt ...'"
        hint = f"'{name.name}' is a type; to ask the caller, {ask}"
    else:
        hint = f"a step begins with a keyword; a label is written '{name.name}:'"
    return error(codes.UNEXPECTED_TOKEN, name.span, message, help=hint)


def unclosed_block(opening: Span) -> Note:
    return Note("the block opened here is never closed", opening)


def stopped_reading(errors: int) -> Note:
    return Note(f"stopped reading this file after {errors} syntax errors")


def _describe(token: Token, in_template: bool) -> str:
    kind = token.type
    if kind == "$END":
        return "'}}'" if in_template else "the end of the file"
    if kind == "NAME":
        return f"the name '{token.value}'"
    if kind == "STRING":
        return "a string"
    if kind == "NUMBER":
        return f"the number {token.value}"
    if kind == "DURATION":
        return f"the duration {token.value}"
    if kind in ("DATE", "TIME", "DATETIME"):
        return f"the {kind.lower()} {token.value}"
    return f"'{token.value}'"


_STEP_TERMINALS = frozenset(k.upper() for k in STEP_KEYWORDS)
_STEP_STARTS = _STEP_TERMINALS | {"ARROW", "ON"}
_MEMBERS = frozenset(k.upper() for k in MEMBER_KEYWORDS)
# Operators that a template, which holds a value, cannot use.
_NOT_IN_TEMPLATES = frozenset(["CMP_OP", "IN", "AND", "OR", "NOT"])
_COMPARISONS = frozenset(["CMP_OP", "IN"])


def hint(expected: set[str], token: Token, values: Sequence[Any], in_template: bool) -> str | None:
    """Advice for mistakes the expected words alone do not explain.

    `values` is the parser's value stack: what it has read and not yet reduced.
    """
    if token.value == "=" and "CMP_OP" in expected:
        return "to compare, write '=='"
    if in_template and token.type in _NOT_IN_TEMPLATES:
        return (
            "a template holds a value (a path, a literal, arithmetic, '??' or 'as FORMAT'); "
            "compute it with 'set' first"
        )
    if token.type in _COMPARISONS and _ends_with_comparison(values):
        return "comparisons do not chain; join them with 'and': a < b and b < c"
    if token.type in _MEMBERS:
        return "an action has its meta, then its inputs, then its outputs; a flow has only meta"
    if token.type == "AFTER":
        return "a flow has one 'after call' block, after its steps; an action has none"
    if token.type == "ON" and "TALK" in expected and "ON" not in expected:
        return (
            "a default handler comes before the first step; a step's own handler follows it"
            " (collect, request, run, code, send, transfer)"
        )
    if token.type not in _STEP_STARTS:
        return None
    if "OUTPUT" in expected and "TALK" not in expected:
        return "an action declares its outputs (at least one) before its handlers and steps"
    if expected == {"RBRACE"}:
        return "'after call { ... }' comes last in a flow, after every step"
    return None


def _ends_with_comparison(values: Sequence[Any]) -> bool:
    """Whether the parser has just read `a < b`: reduced to a Compare, or not yet (a, `<`, b)."""
    if values and isinstance(values[-1], ast.Compare):
        return True
    operator = values[-2] if len(values) >= 2 else None
    return isinstance(operator, Token) and operator.type in _COMPARISONS


# --------------------------------------------------------------------------
# What the parser expected, in words

_EXPRESSION_STARTS = frozenset(
    [
        "STRING", "NUMBER", "DURATION", "DATE", "TIME", "DATETIME", "NAME", "TRUE", "FALSE",
        "TODAY", "NOW", "CALL", "ENV", "NOT", "LPAR", "LSQB", "LBRACE", "MINUS",
    ]
)  # fmt: skip
_EXPRESSION_MARKS = frozenset(["STRING", "NUMBER", "NAME", "LPAR"])
# What may continue an expression: left out of a message when anything else fits.
_CONTINUATION_LITERALS = frozenset([".", "[", "??", "and", "or", "in", "as", "+", "-", "*", "/"])
_METHODS = frozenset(["GET", "POST", "PUT", "PATCH", "DELETE"])
_NAMED = {
    "NAME": "a name",
    "STRING": "a string",
    "NUMBER": "a number",
    "DURATION": "a duration (500ms, 5s, 2m, 2 h, 7 days)",
    "DATE": "a date (2030-03-14)",
    "TIME": "a time (17:00)",
    "DATETIME": "a date and time (2030-03-14T17:00)",
    "CMP_OP": "a comparison (==, !=, <, <=, >, >=)",
    "$END": "the end of the file",
    TEMPLATE_END: "'}}'",
}
_STEP_LIST = "talk, collect, request, ..."


def phrase(grammar: Grammar, expected: set[str]) -> str:
    """The terminals the parser would accept, as words: "a step (...), 'after' or '}'"."""
    words = _words(grammar, expected)
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _words(grammar: Grammar, expected: set[str]) -> list[str]:
    remaining = set(expected)
    groups: list[str] = []
    if "TALK" in remaining:
        groups.append(f"a step ({_STEP_LIST})")
        remaining -= _STEP_TERMINALS | {"ARROW", "NAME"}
    if "ACTION" in remaining:
        groups.append("a declaration (action, flow, from, python)")
        remaining -= {k.upper() for k in DECLARATION_KEYWORDS}
    if remaining >= _EXPRESSION_MARKS:
        groups.append("an expression")
        remaining -= _EXPRESSION_STARTS
    if remaining >= {"NAME", "LBRACE"} and "STRING" not in remaining:
        groups.append("a type (text, number, ..., list[T], {field: type})")
        remaining -= {"NAME", "LBRACE"}
    if remaining >= _METHODS:
        groups.append("an HTTP method (GET, POST, PUT, PATCH, DELETE)")
        remaining -= _METHODS
    continuations = remaining & _continuations(grammar)
    if "CMP_OP" in remaining:
        # Right after a name: its `(` would call a function, worth no word here.
        continuations |= remaining & {"LPAR"}
    if groups or remaining - continuations:
        remaining -= continuations
    singles = sorted(_single(grammar, t) for t in remaining if not t.startswith("__ANON"))
    anonymous = sorted(_single(grammar, t) for t in remaining if t.startswith("__ANON"))
    return groups + singles + anonymous or ["something else"]


def _continuations(grammar: Grammar) -> set[str]:
    literals = grammar.literals
    return {"CMP_OP"} | {t for t in literals if literals[t] in _CONTINUATION_LITERALS}


def _single(grammar: Grammar, terminal: str) -> str:
    if terminal in _NAMED:
        return _NAMED[terminal]
    return f"'{grammar.literals.get(terminal, terminal.lower())}'"


# --------------------------------------------------------------------------
# Suggestions for misspelt keywords

# Keywords that can begin a line: a step, a member of an action or flow, a
# declaration, or a clause of the step before. A name read as a label where none
# belongs is compared with these only: `Fail(...)` is no misspelt `email`.
LINE_KEYWORDS = (
    *STEP_KEYWORDS, *DECLARATION_KEYWORDS, *MEMBER_KEYWORDS, "after",
    "on", "configurable", "prompt", "reprompt", "attempts", "timeout", "headers", "query",
    "body", "expect", "retries", "subject", "say",
)  # fmt: skip


def keywords_in(grammar: Grammar, expected: set[str]) -> list[str]:
    """The keywords among the expected terminals, as written."""
    literals = grammar.literals
    return [literals[t] for t in expected if literals.get(t) in grammar.keywords]


def near_keyword(name: str, keywords: list[str]) -> str | None:
    """The keyword `name` is probably a misspelling of; a wrong case (`get`, `Talk`) first."""
    same_letters = [k for k in keywords if k.lower() == name.lower()]
    return same_letters[0] if same_letters else did_you_mean(name, keywords)


def keyword_for_label(name: str) -> str | None:
    """The keyword a name read as a label probably misspells; a type name misspells none."""
    if name in ast.SCALAR_TYPE_NAMES:
        return None
    return did_you_mean(name, LINE_KEYWORDS)


# --------------------------------------------------------------------------
# Characters the lexer cannot read

# What a character that starts no token was probably meant to be.
_CHARACTER_HINTS = {
    "'": 'strings are written in double quotes: "..."',
    "\u201c": 'strings are written in straight double quotes: "..."',
    "\u201d": 'strings are written in straight double quotes: "..."',
    "&": "write 'and'",
    "|": "write 'or'",
    "!": "write 'not', or '!=' to compare",
    "%": "there is no remainder operator; compute it in a `code` step",
}


def bad_character(span: Span, char: str) -> Diagnostic:
    if not char.isprintable() or char.isspace():
        shown = f"U+{ord(char):04X}"
    else:
        shown = f'"{char}"' if char == "'" else f"'{char}'"
    hint = _CHARACTER_HINTS.get(char) or _non_ascii_hint(char)
    return error(codes.UNEXPECTED_CHARACTER, span, f"unexpected character {shown}", help=hint)


def _non_ascii_hint(char: str) -> str | None:
    if char.isalpha():
        return "names are written in ASCII letters, digits and '_'; other text goes in strings"
    return None


def malformed_number(span: Span, written: str) -> Diagnostic:
    return error(
        codes.MALFORMED_NUMBER,
        span,
        f"malformed number '{written}'",
        help="numbers are written 42, 3.5 or -1; durations 500ms, 5s, 2m, 3h, 1d or `7 days`",
    )


def unterminated_string(span: Span, text: str, offset: int) -> Diagnostic:
    """The string opening at text[offset] has no closing quote."""
    if text.startswith('"""', offset):
        message, hint = "unterminated multi-line string", 'close it with """'
        closing = text.find('"""', offset + 3)
        body = text[offset : len(text) if closing == -1 else closing]
    else:
        message = "unterminated string"
        hint = 'close it with " on the same line; use """...""" for text over several lines'
        line_end = text.find("\n", offset)
        body = text[offset : len(text) if line_end == -1 else line_end]
    if "{{" in body and "}}" not in body[body.rindex("{{") :]:
        hint = "a template '{{' needs its '}}' (write '\\{{' for literal braces)"
    return error(codes.UNTERMINATED_STRING, span, message, help=hint)


# --------------------------------------------------------------------------
# Constructs that parse but break a rule of the language


def keyword_as_name(name: ast.Ident) -> Diagnostic:
    return error(
        codes.KEYWORD_AS_NAME,
        name.span,
        f"'{name.name}' is a keyword and cannot be used as a name",
        help=f"choose another name, such as '{name.name}_value'",
    )


def unknown_type(name: ast.Ident) -> Diagnostic:
    known = (*ast.SCALAR_TYPE_NAMES, "list")
    if name.name == "list":
        message, hint = "'list' needs an element type", "write list[text], list[number], ..."
    else:
        message = f"unknown type '{name.name}'"
        near = did_you_mean(name.name, known)
        hint = f"did you mean '{near}'?" if near else "types are " + ", ".join(known)
        fixes = rename_fix(name.span, name.name, near, known)
        return error(codes.UNKNOWN_TYPE, name.span, message, help=hint, fixes=fixes)
    return error(codes.UNKNOWN_TYPE, name.span, message, help=hint)


def not_a_list_type(name: ast.Ident) -> Diagnostic:
    return error(
        codes.UNKNOWN_TYPE,
        name.span,
        f"'{name.name}[...]' is not a type; only 'list' takes an element type",
        help="write list[T]",
    )


def invalid_moment(span: Span, written: str, kind: str, reason: str) -> Diagnostic:
    """A date or time literal of the right shape that names no real day or time."""
    examples = {"date": "2030-03-14", "time": "17:00 or 17:00:30", "datetime": "2030-03-14T17:00"}
    return error(
        codes.INVALID_MOMENT,
        span,
        f"'{written}' is not a real {kind}: {reason}",
        help=f"write a {kind} in ISO form, e.g. {examples[kind]}",
    )


def calendar_duration(span: Span, written: str, unit: str) -> Diagnostic:
    return error(
        codes.CALENDAR_DURATION,
        span,
        f"'{written}' is not a duration: {unit.rstrip('s')}s have no fixed length",
        notes=[Note("a month after January 31st, or a year after February 29th, is no day")],
        help="write the days (`30 days`, `365 days`), or compute the date in a `code` step",
    )


def type_after_as(span: Span) -> Diagnostic:
    return error(
        codes.TYPE_AFTER_AS,
        span,
        "only `env(\"NAME\") as TYPE` takes a type after 'as'; after any other value, "
        "'as' names a format",
        help="write a format such as `as money`, or read the variable: env(\"NAME\") as TYPE",
    )


def duplicate_record_field(name: ast.Ident, first: ast.RecordField) -> Diagnostic:
    return error(
        codes.DUPLICATE_RECORD_FIELD,
        name.span,
        f"the field '{name.name}' is written twice in this record",
        notes=[Note("first written here", first.name.span)],
        help="remove or rename one of them",
    )


def bad_index(number: ast.NumberLit) -> Diagnostic:
    message = f"an index must be a whole number 0 or more, not {number.value}"
    return error(codes.MALFORMED_NUMBER, number.span, message)


def too_deep(span: Span, limit: int) -> Diagnostic:
    return error(
        codes.NESTED_TOO_DEEPLY,
        span,
        f"this nests more than {limit} levels deep",
        help="split it into several steps with `set`",
    )


def missing_clause(span: Span, step: str, keyword: str) -> Diagnostic:
    return error(codes.MISSING_CLAUSE, span, f"'{step}' needs a '{keyword}' clause")


def duplicate_clause(span: Span, step: str, keyword: str) -> Diagnostic:
    return error(
        codes.DUPLICATE_CLAUSE,
        span,
        f"'{step}' has more than one '{keyword}' clause",
        help=f"keep one '{keyword}'",
    )


def duplicate_handler(handler: ast.Handler, first: ast.Handler, step: str) -> Diagnostic:
    message = f"'{step}' has more than one 'on {handler.event.name}' handler"
    return error(
        codes.DUPLICATE_CLAUSE, handler.span, message, notes=[Note("the first is here", first.span)]
    )


def wrong_handler(handler: ast.Handler, step: str, event: str) -> Diagnostic:
    return error(
        codes.WRONG_HANDLER,
        handler.event.span,
        f"'{step}' can only handle '{event}', not '{handler.event.name}'",
        help=f"write 'on {event} -> TARGET'",
    )


def not_digits(count: ast.NumberLit, unit: ast.Ident) -> Diagnostic:
    written = f"{count.value:g}"
    return error(
        codes.EXPECTED_DIGITS,
        unit.span,
        f"a collect expects a count of digits, not of '{unit.name}'",
        notes=[Note("`expect N digits` asks for an answer of N digits, keyed or said")],
        help=f"write `expect {written} digits`",
        fixes=rename_fix(unit.span, unit.name, "digits", ("digits",)),
    )


def form_clause_not_a_form(clause: str, span: Span, var: ast.Ident) -> Diagnostic:
    return error(
        codes.FORM_CLAUSE_NOT_A_FORM,
        span,
        f"'{clause}' belongs to a form, but 'collect {var.name}' asks for one value",
        notes=[Note("a form is a collect of a record: `collect order: {size: text, "
                    "count: number}`")],
        help=f"remove the `{clause}` clause, or collect a record of fields",
    )


def field_asked_twice(ask: ast.FieldAsk, first: ast.FieldAsk) -> Diagnostic:
    return error(
        codes.FIELD_ASKED_TWICE,
        ask.span,
        f"field '{ask.field.name}' is asked twice",
        notes=[Note("first asked here", first.span)],
        help="keep one `ask` per field",
    )


def form_field_twice(field: ast.FormField, first: ast.FormField) -> Diagnostic:
    return error(
        codes.FORM_FIELD_TWICE,
        field.name.span,
        f"the form has two fields named '{field.name.name}'",
        notes=[Note("first declared here", first.name.span)],
        help="give each field its own name",
    )


def intent_without_phrases(name: ast.Ident, brackets: Span) -> Diagnostic:
    return error(
        codes.INTENT_WITHOUT_PHRASES,
        brackets,
        f"intent '{name.name}' has no phrases: the caller could never say it",
        notes=[Note("an intent is heard when the caller's answer matches one of its phrases")],
        help=f'list what callers say for it: on intent {name.name} ["...", "..."] -> <label>',
    )


def phrase_without_words(name: ast.Ident, phrase: ast.StringLit) -> Diagnostic:
    return error(
        codes.INTENT_WITHOUT_PHRASES,
        phrase.span,
        f"the phrase \"{phrase.plain_text}\" of intent '{name.name}' has no words: the "
        "caller could never say it",
        notes=[Note("a phrase is matched by its words; case and punctuation do not count")],
        help="write the words callers say, or remove the phrase",
    )


def not_plain(literal: ast.StringLit, what: str) -> Diagnostic:
    return error(codes.TEMPLATE_NOT_PLAIN, literal.span, f"{what} cannot hold a template")


def not_dotted(dotted: Span, keyword: str, name: str) -> Diagnostic:
    return error(
        codes.PYTHON_WITHOUT_MODULE,
        dotted,
        f"'{keyword}' needs module.function, not just '{name}'",
        help="name the Python module too, e.g. `scoring.score_lead`",
    )


# --------------------------------------------------------------------------
# Strings and templates

_ESCAPES_HELP = 'escapes are \\" \\\\ \\n \\t \\u{HEX} and \\{; write \\\\ for a backslash'


def backslash_at_line_end(span: Span) -> Diagnostic:
    return error(
        codes.UNKNOWN_ESCAPE,
        span,
        "a backslash cannot end a line",
        help='a """ string keeps its line breaks as written; write \\\\ for a backslash',
    )


def unknown_escape(span: Span, written: str) -> Diagnostic:
    return error(codes.UNKNOWN_ESCAPE, span, f"unknown escape '{written}'", help=_ESCAPES_HELP)


def not_a_character(span: Span, written: str) -> Diagnostic:
    message = f"'{written}' is not a Unicode character"
    return error(codes.UNKNOWN_ESCAPE, span, message, help=_ESCAPES_HELP)


def empty_template(span: Span) -> Diagnostic:
    return error(codes.BAD_TEMPLATE, span, "empty template", help="write a value inside: {{name}}")


def nested_template(span: Span) -> Diagnostic:
    return error(
        codes.BAD_TEMPLATE,
        span,
        "a template cannot hold a string with another template",
        help="write '\\{{' for literal braces",
    )
