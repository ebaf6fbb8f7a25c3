"""Whole .flow programs at random, for the formatter's properties: ASTs, and text for them.

`modules()` builds module ASTs (spans blank) with every kind of declaration,
step and clause, and expressions from the parser's own strategy
(tests/parser/test_properties.py). `scrambled()` writes one as text
(tests/parser/unparse.py) and then lays its tokens out anew: any blanks and
line breaks between them, and comments (`# note N`, each once) between any two.
The programs need not make sense to the checker, only to the parser.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flowc import ast
from hypothesis import strategies as st

from tests.parser.support import NO_SPAN, tokens
from tests.parser.test_properties import EXPRESSIONS, PATHS
from tests.parser.unparse import unparse

PATH = "generated.flow"
T = TypeVar("T")


def _ident(name: str) -> ast.Ident:
    return ast.Ident(name, NO_SPAN)


# None is a unit word of durations (`7 s`, `2 days`): a number before it would become one.
VARIABLES = st.sampled_from(["a", "b", "answer", "x_1", "booking"]).map(_ident)
LABELS = st.sampled_from(["ask", "retry", "done", "later"]).map(_ident)
OUTPUTS = st.sampled_from(["Success", "Fail", "Escalate"]).map(_ident)
FIELDS = st.sampled_from(["first", "reason", "amount"]).map(_ident)
ARGUMENTS = st.sampled_from(["first", "reason", "amount", "slot"]).map(_ident)


def _plain(text: str) -> ast.StringLit:
    return ast.StringLit((ast.TextPart(text, NO_SPAN),) if text else (), NO_SPAN)


STRINGS = st.text('ab {}#"\\\n', max_size=8).map(_plain)
NUMBERS = st.integers(0, 99).map(lambda n: ast.NumberLit(n, NO_SPAN))
DURATIONS = st.sampled_from([500, 5000, 120_000]).map(lambda ms: ast.DurationLit(ms, NO_SPAN))

TYPES: st.SearchStrategy[ast.TypeExpr] = st.recursive(
    st.sampled_from(ast.SCALAR_TYPE_NAMES).map(lambda name: ast.NamedType(name, NO_SPAN)),
    lambda inner: st.one_of(
        inner.map(lambda t: ast.ListType(t, NO_SPAN)),
        st.lists(st.tuples(FIELDS, inner), max_size=2, unique_by=lambda f: f[0].name).map(
            lambda fields: ast.RecordType(
                tuple(ast.FieldType(name, t, NO_SPAN) for name, t in fields), NO_SPAN
            )
        ),
    ),
    max_leaves=3,
)


def _optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.none() | strategy


def _args(
    values: st.SearchStrategy[ast.Expr] = EXPRESSIONS,
) -> st.SearchStrategy[tuple[ast.Arg, ...]]:
    arg = st.builds(lambda n, v: ast.Arg(n, v, NO_SPAN), ARGUMENTS, values)
    return st.lists(arg, max_size=3).map(tuple)


TARGETS = st.builds(
    lambda name, args: ast.Target(name, args, NO_SPAN),
    LABELS | OUTPUTS,
    st.none() | _args(),
)


def _handler(events: st.SearchStrategy[ast.Ident]) -> st.SearchStrategy[ast.Handler]:
    return st.builds(lambda e, t: ast.Handler(e, t, NO_SPAN), events, TARGETS)


INTENTS = st.lists(
    st.builds(
        lambda name, phrases, target: ast.Intent(name, tuple(phrases), NO_SPAN, target, NO_SPAN),
        st.sampled_from(["human", "cancel"]).map(_ident),
        st.lists(st.sampled_from(["operator", "talk to a person", "never mind"]).map(_plain),
                 min_size=1, max_size=3),
        TARGETS,
    ),
    max_size=2,
).map(tuple)
NO_ANSWER = _handler(st.just(_ident("no_answer")))
ON_ERROR = _handler(st.just(_ident("error")))
ENTRIES = st.lists(
    st.builds(lambda k, v: ast.Entry(k, v, NO_SPAN), STRINGS, EXPRESSIONS), max_size=3
).map(tuple)
# The text of an sms is a string or a dotted name (grammar/flow.lark).
SMS_PATHS = st.lists(VARIABLES, min_size=1, max_size=3).map(
    lambda names: functools.reduce(
        lambda target, name: ast.FieldAccess(target, name, NO_SPAN),
        names[1:],
        ast.Name(names[0], NO_SPAN),
    )
)
DAY_PARTS = st.sampled_from(["morning", "afternoon", "evening"]).map(_ident)
# A collect's one `expect` clause: a part of the day or a count of digits, or none.
COLLECT_EXPECTS: st.SearchStrategy[tuple[ast.Ident | None, ast.NumberLit | None]] = st.one_of(
    st.just((None, None)),
    DAY_PARTS.map(lambda part: (part, None)),
    NUMBERS.map(lambda count: (None, count)),
)
OPTIONS = st.lists(EXPRESSIONS, max_size=3).map(lambda items: ast.ListLit(tuple(items), NO_SPAN))

def _form_of(answer: ast.TypeExpr) -> ast.Form | None:
    """A collect of a record is a form (its record's fields, no options or clauses)."""
    if not isinstance(answer, ast.RecordType):
        return None
    fields = tuple(ast.FormField(f.name, f.type, None, NO_SPAN) for f in answer.fields)
    return ast.Form(fields, (), None, None, NO_SPAN)


# Each kind of step, as a function of its labels.
_Labelled = Callable[[tuple[ast.Ident, ...]], ast.Step]


def _step_kinds() -> st.SearchStrategy[_Labelled]:
    n = NO_SPAN
    return st.one_of(
        st.builds(lambda e, i: lambda ls: ast.Talk(ls, e, i, n), EXPRESSIONS, st.booleans()),
        st.builds(
            lambda v, t, o, p, r, a, d, x, h: lambda ls: ast.Collect(
                ls, v, t, o, p, r, a, d, *x, h, n, form=_form_of(t)
            ),
            VARIABLES, TYPES, _optional(OPTIONS | PATHS), EXPRESSIONS, _optional(EXPRESSIONS),
            _optional(NUMBERS), _optional(DURATIONS), COLLECT_EXPECTS, _optional(NO_ANSWER),
        ),
        st.builds(
            lambda v, m, u, hs, q, b, x, d, r, h: lambda ls: ast.Request(
                ls, v, m, u, hs, q, b, x, d, r, h, n
            ),
            VARIABLES, st.sampled_from(list(ast.HttpMethod)), EXPRESSIONS, ENTRIES, ENTRIES,
            _optional(ENTRIES), _optional(TYPES), _optional(DURATIONS), _optional(NUMBERS),
            _optional(ON_ERROR),
        ),
        st.builds(
            lambda v, a, args, hs: lambda ls: ast.Run(ls, v, a, args, tuple(hs), n),
            VARIABLES, st.sampled_from(["Book", "Lookup"]).map(_ident), _args(),
            st.lists(_handler(OUTPUTS), max_size=3),
        ),
        st.builds(
            lambda v, f, args, h: lambda ls: ast.Code(ls, v, "scoring", f, args, h, n),
            VARIABLES, st.sampled_from(["score", "rank"]).map(_ident), _args(),
            _optional(ON_ERROR),
        ),
        st.builds(lambda v, e: lambda ls: ast.Set(ls, v, e, n), VARIABLES, EXPRESSIONS),
        st.builds(lambda c, t: lambda ls: ast.If(ls, c, t, n), EXPRESSIONS, TARGETS),
        st.builds(lambda t: lambda ls: ast.Jump(ls, t, n), TARGETS),
        st.builds(
            lambda to, text, h: lambda ls: ast.SendSms(ls, to, text, h, n),
            EXPRESSIONS, STRINGS | SMS_PATHS, _optional(ON_ERROR),
        ),
        st.builds(
            lambda to, s, b, h: lambda ls: ast.SendEmail(ls, to, s, b, h, n),
            EXPRESSIONS, EXPRESSIONS, EXPRESSIONS, _optional(ON_ERROR),
        ),
        st.builds(
            lambda to, say, h: lambda ls: ast.Transfer(ls, to, say, h, n),
            EXPRESSIONS, _optional(EXPRESSIONS), _optional(ON_ERROR),
        ),
        st.builds(lambda text: lambda ls: ast.End(ls, text, n), _optional(STRINGS)),
        st.builds(lambda o, args: lambda ls: ast.Exit(ls, o, args, n), OUTPUTS, _args()),
    )  # fmt: skip


STEPS = st.builds(
    lambda labels, kind: kind(tuple(labels)),
    st.lists(LABELS, max_size=2, unique_by=lambda label: label.name),
    _step_kinds(),
)

META = st.builds(
    lambda title, publish: ast.Meta(
        (
            ast.MetaEntry(_ident("title"), title, NO_SPAN),
            ast.MetaEntry(_ident("publish"), _ident(publish), NO_SPAN),
        ),
        NO_SPAN,
    ),
    STRINGS,
    st.sampled_from(["draft", "organization"]),
)
INPUTS = st.builds(
    lambda name, t, default, configurable, label: ast.Input(
        name, t, default, configurable, label if configurable else None, NO_SPAN
    ),
    VARIABLES, TYPES, _optional(EXPRESSIONS), st.booleans(), _optional(STRINGS),
)  # fmt: skip
OUTPUT_DECLARATIONS = st.builds(
    lambda name, fields: ast.Output(
        name, tuple(ast.FieldType(f, t, NO_SPAN) for f, t in fields), NO_SPAN
    ),
    OUTPUTS,
    st.lists(st.tuples(FIELDS, TYPES), max_size=2),
)
DEFAULTS = st.lists(NO_ANSWER | ON_ERROR, max_size=2).map(tuple)
BODY = st.lists(STEPS, max_size=5).map(tuple)

ACTIONS = st.builds(
    lambda name, meta, inputs, outputs, handlers, intents, steps: ast.Action(
        name, meta, tuple(inputs), tuple(outputs), handlers, intents, steps, NO_SPAN
    ),
    st.sampled_from(["Book", "Lookup"]).map(_ident), _optional(META),
    st.lists(INPUTS, max_size=2), st.lists(OUTPUT_DECLARATIONS, min_size=1, max_size=2),
    DEFAULTS, INTENTS, BODY,
)  # fmt: skip
FLOWS = st.builds(
    lambda name, meta, handlers, intents, steps, after: ast.Flow(
        name, meta, handlers, intents, steps, after, NO_SPAN
    ),
    st.sampled_from(["Main", "Intake"]).map(_ident), _optional(META), DEFAULTS, INTENTS, BODY,
    _optional(BODY.map(lambda steps: ast.AfterCall(steps, NO_SPAN))),
)  # fmt: skip
IMPORTS = st.one_of(
    st.builds(
        lambda names: ast.FileImport(_plain("lib/actions.flow"), tuple(names), NO_SPAN),
        st.lists(OUTPUTS, min_size=1, max_size=3),
    ),
    st.builds(
        lambda names: ast.PackageImport("acme.actions", tuple(names), NO_SPAN),
        st.lists(OUTPUTS, min_size=1, max_size=2),
    ),
)
PYTHONS = st.builds(
    lambda params, returns: ast.PythonDecl(
        "scoring",
        _ident("score"),
        tuple(ast.Param(name, t, NO_SPAN) for name, t in params),
        returns,
        NO_SPAN,
    ),
    st.lists(st.tuples(VARIABLES, TYPES), max_size=2),
    TYPES,
)


def modules() -> st.SearchStrategy[ast.Module]:
    declarations = st.lists(IMPORTS | PYTHONS | ACTIONS | FLOWS, min_size=1, max_size=4)
    return declarations.map(lambda ds: ast.Module(PATH, tuple(ds), NO_SPAN))


# --------------------------------------------------------------------------
# Text: the tokens of the unparsed module with other blanks and comments between


@dataclass(frozen=True)
class Scrambled:
    module: ast.Module
    text: str
    comments: tuple[str, ...]


SEPARATORS = st.sampled_from([" ", " ", " ", "\n", "\n\n", "\n\n\n  ", "\t", "  \n    "])


@st.composite
def scrambled(draw: st.DrawFn) -> Scrambled:
    module = draw(modules())
    words = [text for _, text in tokens(unparse(module))]
    pieces: list[str] = []
    comments: list[str] = []
    previous = ""
    for word in words:
        # A keyword after `.` is read as a field name only right after it (`book.from`),
        # and `call` as a format only on the line of its `as` (`total as call`).
        if previous == "as":
            pieces.append(" ")
        elif previous != ".":
            if draw(st.integers(0, 9)) == 0:
                comment = f"# note {len(comments)}"
                comments.append(comment)
                pieces.append(f"{draw(SEPARATORS)}{comment}\n")
            pieces.append(draw(SEPARATORS))
        pieces.append(word)
        previous = word
    if draw(st.booleans()):
        comment = f"# note {len(comments)}"
        comments.append(comment)
        pieces.append(f"  {comment}")
    return Scrambled(module, "".join(pieces).lstrip(" \t\n") + "\n", tuple(comments))
