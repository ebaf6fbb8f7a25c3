"""The syntax tree of a .flow file: plain frozen dataclasses, each with a span.

The parser builds these; every later pass reads them and nothing else. No Lark
object ever appears here. Sequences are tuples so that nodes stay hashable and
immutable. Field order follows the source order of the construct.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .source import Span

# --------------------------------------------------------------------------
# Names


@dataclass(frozen=True, slots=True)
class Ident:
    """A name as written in the source, with its own span (for "declared here")."""

    name: str
    span: Span


# --------------------------------------------------------------------------
# Types


@dataclass(frozen=True, slots=True)
class NamedType:
    """A scalar type: text, number, bool, date, time, datetime, phone, email, secret, json."""

    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class ListType:
    element: TypeExpr
    span: Span


@dataclass(frozen=True, slots=True)
class FieldType:
    name: Ident
    type: TypeExpr
    span: Span


@dataclass(frozen=True, slots=True)
class RecordType:
    fields: tuple[FieldType, ...]
    span: Span


TypeExpr = NamedType | ListType | RecordType

SCALAR_TYPE_NAMES = (
    "text",
    "number",
    "bool",
    "date",
    "time",
    "datetime",
    "phone",
    "email",
    "secret",
    "json",
)

# --------------------------------------------------------------------------
# Expressions


@dataclass(frozen=True, slots=True)
class TextPart:
    """Literal text of a string, escapes already decoded."""

    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class TemplatePart:
    """A `{{ expr }}` inside a string; `span` covers the braces, `expr.span` the inside."""

    expr: Expr
    span: Span


StringPart = TextPart | TemplatePart


@dataclass(frozen=True, slots=True)
class StringLit:
    """A string literal, `"..."` or `\"\"\"...\"\"\"`, split into text and templates."""

    parts: tuple[StringPart, ...]
    span: Span

    @property
    def is_plain(self) -> bool:
        """True when the string holds no template."""
        return all(isinstance(part, TextPart) for part in self.parts)

    @property
    def plain_text(self) -> str:
        """The text of the literal parts (templates left out)."""
        return "".join(part.text for part in self.parts if isinstance(part, TextPart))


@dataclass(frozen=True, slots=True)
class NumberLit:
    value: int | float
    span: Span


@dataclass(frozen=True, slots=True)
class BoolLit:
    value: bool
    span: Span


@dataclass(frozen=True, slots=True)
class DurationLit:
    """`500ms`, `5s`, `2m`, `2 h`, `7 days`, `1 week`, kept as milliseconds."""

    milliseconds: int
    span: Span


class MomentKind(StrEnum):
    """What a date or time literal, or a clock word, denotes (its type's name)."""

    DATE = "date"
    TIME = "time"
    DATETIME = "datetime"


@dataclass(frozen=True, slots=True)
class MomentLit:
    """`2030-03-14`, `17:00`, `17:00:30`, `2030-03-14T17:00`: checked, kept as ISO text
    (a time's hour with two digits, seconds only when written), the runtime's form."""

    kind: MomentKind
    iso: str
    span: Span


class ClockWord(StrEnum):
    """`today` (a date) and `now` (a datetime), in the call's time zone."""

    TODAY = "today"
    NOW = "now"

    @property
    def kind(self) -> MomentKind:
        return MomentKind.DATE if self is ClockWord.TODAY else MomentKind.DATETIME


@dataclass(frozen=True, slots=True)
class Clock:
    word: ClockWord
    span: Span


@dataclass(frozen=True, slots=True)
class ListLit:
    """`[a, b, c]`: a list of values, wherever an expression goes."""

    items: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class RecordField:
    """`name: value` in a record literal."""

    name: Ident
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class RecordLit:
    """`{name: n, size: s}`: a record of the fields written."""

    fields: tuple[RecordField, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Name:
    """A variable, an input, or the built-in `call`."""

    ident: Ident
    span: Span


@dataclass(frozen=True, slots=True)
class FieldAccess:
    """`target.field`."""

    target: Expr
    field: Ident
    span: Span


@dataclass(frozen=True, slots=True)
class IndexAccess:
    """`target[index]`: the item at a position counted from 0 (any number expression)."""

    target: Expr
    index: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """`len(x)`: a built-in function applied to its arguments."""

    function: Ident
    args: tuple[Expr, ...]
    span: Span


class ArithOp(StrEnum):
    ADD = "+"
    SUB = "-"
    MUL = "*"
    DIV = "/"


@dataclass(frozen=True, slots=True)
class Arithmetic:
    """`left + right` and the other arithmetic operators (on numbers, texts, dates, times,
    durations: the checker says which mix is allowed)."""

    op: ArithOp
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Negative:
    """`-operand` (a minus before a number literal is folded into the literal)."""

    operand: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Formatted:
    """`value as FORMAT`: the value's text in a named format (`total as money`)."""

    value: Expr
    format: Ident
    span: Span


class CompareOp(StrEnum):
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    IN = "in"


@dataclass(frozen=True, slots=True)
class Compare:
    op: CompareOp
    left: Expr
    right: Expr
    span: Span


class LogicOp(StrEnum):
    AND = "and"
    OR = "or"


@dataclass(frozen=True, slots=True)
class Logic:
    op: LogicOp
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Fallback:
    """`left ?? right`: right when left is undefined or empty."""

    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class EnvRef:
    """`env("NAME")`, typed `secret`, or `env("NAME") as TYPE`."""

    variable: str
    as_type: TypeExpr | None
    span: Span


Expr = (
    StringLit
    | NumberLit
    | BoolLit
    | DurationLit
    | MomentLit
    | Clock
    | ListLit
    | RecordLit
    | Name
    | FieldAccess
    | IndexAccess
    | FunctionCall
    | Arithmetic
    | Negative
    | Formatted
    | Compare
    | Logic
    | Not
    | Fallback
    | EnvRef
)

# --------------------------------------------------------------------------
# Jump targets, arguments, handlers


@dataclass(frozen=True, slots=True)
class Arg:
    """`name = expr` in a run, code call, exit or output target."""

    name: Ident
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Target:
    """Where `-> T` goes: a label of the same body, or (in an action) an output.

    `args` is None for a bare name (`-> ask_time`, `-> NotInterested`) and a tuple
    for an output with fields (`-> Fail(reason = "...")`); the resolver decides
    which kind a bare name is.
    """

    name: Ident
    args: tuple[Arg, ...] | None
    span: Span


@dataclass(frozen=True, slots=True)
class Handler:
    """`on EVENT -> target`: EVENT is `no_answer`, `error`, or an output name of a `run`."""

    event: Ident
    target: Target
    span: Span


@dataclass(frozen=True, slots=True)
class Intent:
    """`on intent NAME ["phrase", ...] -> target` at the top of a flow or an action: what
    the caller may say at any `collect` of the body to go to the target instead."""

    name: Ident
    phrases: tuple[StringLit, ...]
    # From `[` to `]`, around the phrases.
    brackets: Span
    target: Target
    span: Span


@dataclass(frozen=True, slots=True)
class Entry:
    """`"key": expr` in `headers`, `query` or `body`."""

    key: StringLit
    value: Expr
    span: Span


# --------------------------------------------------------------------------
# Steps. Every step has the labels written before it and a span covering the
# step from its keyword to its last clause (labels excluded).


@dataclass(frozen=True, slots=True)
class Talk:
    labels: tuple[Ident, ...]
    text: Expr
    # False for `talk "..." uninterruptible`: the caller's speech does not cut it short.
    interruptible: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Collect:
    labels: tuple[Ident, ...]
    var: Ident
    type: TypeExpr
    # A list literal, or any list-valued expression evaluated when the step runs.
    options: Expr | None
    prompt: Expr
    reprompt: Expr | None
    attempts: NumberLit | None
    timeout: DurationLit | None
    # `expect evening`: the part of the day an hour said without am/pm is read in.
    day_part: Ident | None
    # `expect 8 digits`: how many digits the answer has (keyed, ending on `#`, or said).
    digits: NumberLit | None
    on_no_answer: Handler | None
    span: Span
    # A collect of a record (`collect order: {size: text in [...], count: number}`): its
    # fields, their prompts, what is known already and the read-back. `type` is then
    # the record type of the fields.
    form: Form | None = None


@dataclass(frozen=True, slots=True)
class FormField:
    """A field of a form, `size: text in ["small", "large"]`: its type and written options."""

    name: Ident
    type: TypeExpr
    options: ListLit | None
    span: Span


@dataclass(frozen=True, slots=True)
class FieldAsk:
    """`ask size "What size?"`: the prompt of a field that is still missing."""

    field: Ident
    prompt: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Form:
    """What a collect of a record adds to a collect: its fields and their clauses."""

    fields: tuple[FormField, ...]
    asks: tuple[FieldAsk, ...]
    # `given {size: preferred_size}` or `given last_order`: fields known before asking.
    given: Expr | None
    # `confirm "So that's {{order.size}}, right?"`: read back once every field is known.
    confirm: Expr | None
    span: Span


class HttpMethod(StrEnum):
    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"


@dataclass(frozen=True, slots=True)
class Request:
    labels: tuple[Ident, ...]
    var: Ident
    method: HttpMethod
    url: Expr
    headers: tuple[Entry, ...]
    query: tuple[Entry, ...]
    body: tuple[Entry, ...] | None
    expect: TypeExpr | None
    timeout: DurationLit | None
    retries: NumberLit | None
    on_error: Handler | None
    span: Span


@dataclass(frozen=True, slots=True)
class Run:
    labels: tuple[Ident, ...]
    var: Ident
    action: Ident
    args: tuple[Arg, ...]
    handlers: tuple[Handler, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Code:
    """`code NAME = module.function(arg = expr, ...)`; `module` is dotted (`a.b`)."""

    labels: tuple[Ident, ...]
    var: Ident
    module: str
    function: Ident
    args: tuple[Arg, ...]
    on_error: Handler | None
    span: Span


@dataclass(frozen=True, slots=True)
class Set:
    labels: tuple[Ident, ...]
    var: Ident
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class If:
    labels: tuple[Ident, ...]
    condition: Expr
    target: Target
    span: Span


@dataclass(frozen=True, slots=True)
class Jump:
    labels: tuple[Ident, ...]
    target: Target
    span: Span


@dataclass(frozen=True, slots=True)
class SendSms:
    labels: tuple[Ident, ...]
    to: Expr
    text: Expr
    on_error: Handler | None
    span: Span


@dataclass(frozen=True, slots=True)
class SendEmail:
    labels: tuple[Ident, ...]
    to: Expr
    subject: Expr
    body: Expr
    on_error: Handler | None
    span: Span


@dataclass(frozen=True, slots=True)
class Transfer:
    labels: tuple[Ident, ...]
    to: Expr
    say: Expr | None
    on_error: Handler | None
    span: Span


@dataclass(frozen=True, slots=True)
class End:
    labels: tuple[Ident, ...]
    text: StringLit | None
    span: Span


@dataclass(frozen=True, slots=True)
class Exit:
    """`exit Out` or `exit Out(field = expr, ...)` (actions only)."""

    labels: tuple[Ident, ...]
    output: Ident
    args: tuple[Arg, ...]
    span: Span


Step = (
    Talk
    | Collect
    | Request
    | Run
    | Code
    | Set
    | If
    | Jump
    | SendSms
    | SendEmail
    | Transfer
    | End
    | Exit
)

# --------------------------------------------------------------------------
# Declarations


class Publish(StrEnum):
    DRAFT = "draft"
    ORGANIZATION = "organization"
    MARKETPLACE = "marketplace"


@dataclass(frozen=True, slots=True)
class MetaEntry:
    """`key: "value"`, or `publish: draft|organization|marketplace` (value is then an Ident)."""

    key: Ident
    value: StringLit | Ident
    span: Span


@dataclass(frozen=True, slots=True)
class Meta:
    entries: tuple[MetaEntry, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Input:
    """`input name: type [= default] [configurable ["label"]]`."""

    name: Ident
    type: TypeExpr
    default: Expr | None
    configurable: bool
    label: StringLit | None
    span: Span


@dataclass(frozen=True, slots=True)
class Output:
    """`output Name` or `output Name(field: type, ...)`."""

    name: Ident
    fields: tuple[FieldType, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class AfterCall:
    steps: tuple[Step, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Action:
    name: Ident
    meta: Meta | None
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    handlers: tuple[Handler, ...]
    intents: tuple[Intent, ...]
    steps: tuple[Step, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Flow:
    name: Ident
    meta: Meta | None
    handlers: tuple[Handler, ...]
    intents: tuple[Intent, ...]
    steps: tuple[Step, ...]
    after_call: AfterCall | None
    span: Span


@dataclass(frozen=True, slots=True)
class FileImport:
    """`from "relative/path.flow" import A, B` (path relative to the importing file)."""

    path: StringLit
    names: tuple[Ident, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class PackageImport:
    """`from package.name import A, B`: actions of an installed action library."""

    package: str
    names: tuple[Ident, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Param:
    name: Ident
    type: TypeExpr
    span: Span


@dataclass(frozen=True, slots=True)
class PythonDecl:
    """`python module.function(param: type, ...) -> type`; `module` is dotted."""

    module: str
    function: Ident
    params: tuple[Param, ...]
    returns: TypeExpr
    span: Span


Import = FileImport | PackageImport
Declaration = FileImport | PackageImport | PythonDecl | Action | Flow


@dataclass(frozen=True, slots=True)
class Module:
    """One parsed .flow file: its declarations in source order."""

    path: str
    declarations: tuple[Declaration, ...]
    span: Span

    @property
    def imports(self) -> tuple[Import, ...]:
        return tuple(d for d in self.declarations if isinstance(d, FileImport | PackageImport))

    @property
    def pythons(self) -> tuple[PythonDecl, ...]:
        return tuple(d for d in self.declarations if isinstance(d, PythonDecl))

    @property
    def actions(self) -> tuple[Action, ...]:
        return tuple(d for d in self.declarations if isinstance(d, Action))

    @property
    def flows(self) -> tuple[Flow, ...]:
        return tuple(d for d in self.declarations if isinstance(d, Flow))
