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
    """`500ms`, `5s`, `2m`, kept as milliseconds."""

    milliseconds: int
    span: Span


@dataclass(frozen=True, slots=True)
class ListLit:
    """`[a, b, c]`: the options of a `collect ... in [...]`, or the right side of `in`."""

    items: tuple[Expr, ...]
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
    """`target[index]` with an integer literal index."""

    target: Expr
    index: int
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
    | ListLit
    | Name
    | FieldAccess
    | IndexAccess
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
    span: Span


@dataclass(frozen=True, slots=True)
class Collect:
    labels: tuple[Ident, ...]
    var: Ident
    type: TypeExpr
    options: ListLit | None
    prompt: Expr
    reprompt: Expr | None
    attempts: NumberLit | None
    timeout: DurationLit | None
    on_no_answer: Handler | None
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
    steps: tuple[Step, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Flow:
    name: Ident
    meta: Meta | None
    handlers: tuple[Handler, ...]
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
