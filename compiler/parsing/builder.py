"""Building the AST, one method per grammar rule, during the parse itself.

The LALR parser calls a method at each reduction (see reductions.py), with
the rule's children as positional parameters in grammar order: keywords and
brackets as Lark tokens (their positions start and end spans), everything
else already built. So no parse tree is ever made. A method also reports
what the grammar lets through but the language does not (a keyword used as a
name, an unknown type, a clause given twice, a missing one).

Each parse has a builder of its own; the templates of its strings are parsed
with the same builder, which keeps nothing of one reduction for the next.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flowc_runtime.intents import phrase_words
from lark import Token

from .. import ast
from .. import types as ty
from ..diagnostics import Diagnostic
from ..source import Span
from . import messages
from .context import ParseContext
from .nesting import MAX_NESTING, too_deep
from .strings import StringReader, TemplateParser

_STEP_TYPES = (
    ast.Talk, ast.Collect, ast.Request, ast.Run, ast.Code, ast.Set, ast.If, ast.Jump,
    ast.SendSms, ast.SendEmail, ast.Transfer, ast.End, ast.Exit,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Map:
    """The `{ "key": expr, ... }` of a request clause (only inside the parser)."""

    entries: tuple[ast.Entry, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class _FormFields:
    """The braces of a form: its fields, and the record type they make."""

    fields: tuple[ast.FormField, ...]
    record: ast.RecordType


# The clauses only a form's collect takes (`ask` is a node of its own: field_ask).
_FORM_CLAUSES = ("given", "confirm")


@dataclass(frozen=True, slots=True)
class _Dotted:
    """A dotted name `a.b.c` (only inside the parser)."""

    parts: tuple[ast.Ident, ...]
    span: Span


class Builder:
    """Builds one file's AST, and reports the errors the grammar alone does not catch."""

    def __init__(
        self, context: ParseContext, reserved: frozenset[str], parse_template: TemplateParser
    ) -> None:
        self._context = context
        self._reserved = reserved
        self._strings = StringReader(context, reserved, parse_template)
        self._template_strings = StringReader(context, reserved, None)
        self._too_deep_reported = False  # once per file: the rest of the tree is as deep

    # ---- spans and checks

    def _report(self, diagnostic: Diagnostic) -> None:
        self._context.report(diagnostic)

    def _span_of(self, item: Token | Any) -> Span:
        if isinstance(item, Token):
            return self._context.token_span(item)
        span: Span = item.span
        return span

    def _cover(self, first: Token | Any, last: Token | Any) -> Span:
        """The span from the start of `first` to the end of `last`, tokens or nodes.

        A token has a span's four positions itself: no span is made for it.
        """
        start: Token | Span = first if isinstance(first, Token) else first.span
        end: Token | Span = last if isinstance(last, Token) else last.span
        # A token the parser sees always has its positions (see ParseContext.token_span).
        return Span(self._context.file, start.line, start.column, end.end_line, end.end_column)  # type: ignore[arg-type]

    def _check_nesting(self, node: ast.Expr | ast.TypeExpr) -> None:
        span = node.span
        # Each level of nesting takes at least one character, so a node shorter
        # than the limit, on one line, cannot be too deep: no need to walk it.
        if span.line == span.end_line and span.end_column - span.column <= MAX_NESTING:
            return
        if not self._too_deep_reported:
            deep = too_deep(node)
            if deep is not None:
                self._too_deep_reported = True
                self._report(messages.too_deep(deep, MAX_NESTING))

    def _name(self, ident: ast.Ident) -> ast.Ident:
        """A name that declares or refers to a variable, label, action, flow, input or output.

        Keywords are reserved for these. A field (`response.body`, `{ from: text }`) and
        an argument name may be any word, as JSON fields and Python parameters may be.
        """
        if ident.name in self._reserved:
            self._report(messages.keyword_as_name(ident))
        return ident

    def _plain(self, literal: ast.StringLit, what: str) -> str:
        if not literal.is_plain:
            self._report(messages.not_plain(literal, what))
        return literal.plain_text

    def _handler(self, handlers: Iterable[Any], event: str, step: str) -> ast.Handler | None:
        """The step's `on EVENT -> ...`; another event, or a second handler, is an error."""
        chosen: ast.Handler | None = None
        for handler in handlers:
            if not isinstance(handler, ast.Handler):
                continue
            if handler.event.name != event:
                self._report(messages.wrong_handler(handler, step, event))
            elif chosen is not None:
                self._report(messages.duplicate_handler(handler, chosen, step))
            else:
                chosen = handler
        return chosen

    def _clauses(self, step: str, children: Sequence[Any]) -> _Clauses:
        clauses = _Clauses(children)
        for keyword in clauses.repeated:
            self._report(messages.duplicate_clause(self._span_of(keyword), step, keyword.value))
        return clauses

    def _required(self, clauses: _Clauses, clause: str, step_keyword: Token, step: str) -> Any:
        """A clause the step cannot do without. When it is missing, an empty string stands
        in for it: the error makes parse() drop the module."""
        value = clauses.get(clause)
        if value is None:
            at = self._span_of(step_keyword)
            self._report(messages.missing_clause(at, step, clause))
            return ast.StringLit((), at)
        return value

    def _module_function(self, dotted: _Dotted, keyword: str) -> tuple[str, ast.Ident]:
        """The `module.function` named after `python` or `code`."""
        if len(dotted.parts) < 2:
            self._report(messages.not_dotted(dotted.span, keyword, dotted.parts[0].name))
        module = ".".join(part.name for part in dotted.parts[:-1])
        return module, dotted.parts[-1]

    # ---- terminals, as the lexer reads them

    def NAME(self, token: Token) -> ast.Ident:
        return ast.Ident(token.value, self._context.token_span(token))

    def NUMBER(self, token: Token) -> ast.NumberLit:
        text: str = token.value
        value: int | float = float(text) if "." in text else int(text)
        return ast.NumberLit(value, self._context.token_span(token))

    def DURATION(self, token: Token) -> ast.DurationLit:
        span = self._context.token_span(token)
        parts = _DURATION_PARTS.fullmatch(token.value)
        assert parts is not None, "the lexer reads only a number and a unit"
        digits, unit = parts.groups()
        # A word unit may be plural (`7 days`); `ms` and `s` are units of their own.
        milliseconds = _UNIT_MILLISECONDS.get(unit.removesuffix("s") if len(unit) > 2 else unit)
        if milliseconds is None:
            # Months and years have no fixed length: 1 month after January 31st is no day.
            self._report(messages.calendar_duration(span, token.value, unit))
            milliseconds = 0
        return ast.DurationLit(int(digits) * milliseconds, span)

    def DATE(self, token: Token) -> ast.MomentLit:
        return self._moment(token, ast.MomentKind.DATE)

    def TIME(self, token: Token) -> ast.MomentLit:
        return self._moment(token, ast.MomentKind.TIME)

    def DATETIME(self, token: Token) -> ast.MomentLit:
        return self._moment(token, ast.MomentKind.DATETIME)

    def _moment(self, token: Token, kind: ast.MomentKind) -> ast.MomentLit:
        """A date or time literal as ISO text; one that names no real day or time is an error
        (the lexer reads any digits of the right shape, so that this can say why)."""
        span = self._context.token_span(token)
        written: str = token.value
        try:
            iso = ty.iso_moment(written, kind.value)
        except ValueError as exc:
            self._report(messages.invalid_moment(span, written, kind.value, str(exc)))
            iso = written
        return ast.MomentLit(kind, iso, span)

    def STRING(self, token: Token) -> ast.StringLit:
        return self._strings.read(token)

    def string_in_template(self, token: Token) -> ast.StringLit:
        """STRING inside a template: its templates are errors, not parsed."""
        return self._template_strings.read(token)

    # ---- declarations

    def module(self, *declarations: ast.Declaration) -> ast.Module:
        end_line, end_column = self._context.end()
        span = Span(self._context.file, 1, 1, end_line, end_column)
        return ast.Module(self._context.file, declarations, span)

    def dotted(self, *parts: ast.Ident) -> _Dotted:
        return _Dotted(parts, self._cover(parts[0], parts[-1]))

    def file_import(
        self, keyword: Token, path: ast.StringLit, _import: Token, *names: ast.Ident
    ) -> ast.FileImport:
        self._plain(path, "an import path")
        declared = tuple(self._name(n) for n in names)
        return ast.FileImport(path, declared, self._cover(keyword, names[-1]))

    def package_import(
        self, keyword: Token, package: _Dotted, _import: Token, *names: ast.Ident
    ) -> ast.PackageImport:
        dotted = ".".join(part.name for part in package.parts)
        declared = tuple(self._name(n) for n in names)
        return ast.PackageImport(dotted, declared, self._cover(keyword, names[-1]))

    def python_decl(
        self, keyword: Token, callable_: _Dotted, _lpar: Token, *rest: Any
    ) -> ast.PythonDecl:
        *params, _rpar, _arrow, returns = rest
        module, function = self._module_function(callable_, "python")
        span = self._cover(keyword, returns)
        return ast.PythonDecl(module, function, tuple(params), returns, span)

    def param(self, name: ast.Ident, type_: ast.TypeExpr) -> ast.Param:
        return ast.Param(self._name(name), type_, self._cover(name, type_))

    def action(self, keyword: Token, name: ast.Ident, _lbrace: Token, *body: Any) -> ast.Action:
        *members, closing = body
        return ast.Action(
            name=self._name(name),
            meta=_first(members, ast.Meta),
            inputs=_all(members, ast.Input),
            outputs=_all(members, ast.Output),
            handlers=_all(members, ast.Handler),
            intents=_all(members, ast.Intent),
            steps=_all(members, _STEP_TYPES),
            span=self._cover(keyword, closing),
        )

    def flow(self, keyword: Token, name: ast.Ident, _lbrace: Token, *body: Any) -> ast.Flow:
        *members, closing = body
        return ast.Flow(
            name=self._name(name),
            meta=_first(members, ast.Meta),
            handlers=_all(members, ast.Handler),
            intents=_all(members, ast.Intent),
            steps=_all(members, _STEP_TYPES),
            after_call=_first(members, ast.AfterCall),
            span=self._cover(keyword, closing),
        )

    def meta(self, keyword: Token, _lbrace: Token, *body: Any) -> ast.Meta:
        *entries, closing = body
        return ast.Meta(tuple(entries), self._cover(keyword, closing))

    def meta_entry(self, key: ast.Ident, value: ast.StringLit | ast.Ident) -> ast.MetaEntry:
        return ast.MetaEntry(key, value, self._cover(key, value))

    def input(self, keyword: Token, name: ast.Ident, type_: ast.TypeExpr, *rest: Any) -> ast.Input:
        # rest: an optional default expression, then an optional CONFIGURABLE and its label.
        default = rest[0] if rest and not isinstance(rest[0], Token) else None
        configurable = rest[1:] if default is not None else rest
        label: ast.StringLit | None = configurable[1] if len(configurable) == 2 else None
        if label is not None:
            # The label is shown to people who configure the action: there is no call to fill it.
            self._plain(label, "the label of a configurable input")
        span = self._cover(keyword, rest[-1] if rest else type_)
        return ast.Input(self._name(name), type_, default, bool(configurable), label, span)

    def output(self, keyword: Token, name: ast.Ident, *fields: Any) -> ast.Output:
        # fields: nothing, or LPAR, the field types and RPAR.
        types = _all(fields, ast.FieldType)
        return ast.Output(
            self._name(name), types, self._cover(keyword, fields[-1] if fields else name)
        )

    def handler(
        self, keyword: Token, event: ast.Ident, _arrow: Token, target: ast.Target
    ) -> ast.Handler:
        return ast.Handler(self._name(event), target, self._cover(keyword, target))

    def intent(
        self, keyword: Token, _intent: Token, name: ast.Ident, lsqb: Token, *rest: Any
    ) -> ast.Intent:
        # rest: the phrases, RSQB, ARROW and the target.
        *phrases, rsqb, _arrow, target = rest
        for phrase in phrases:
            # Matched against what the caller says, before any variable has a value.
            self._plain(phrase, "an intent phrase")
            if phrase.is_plain and not phrase_words(phrase.plain_text):
                self._report(messages.phrase_without_words(name, phrase))
        brackets = self._cover(lsqb, rsqb)
        if not phrases:
            self._report(messages.intent_without_phrases(name, brackets))
        return ast.Intent(
            self._name(name), tuple(phrases), brackets, target, self._cover(keyword, target)
        )

    def target(self, name: ast.Ident, *arguments: Any) -> ast.Target:
        # arguments: nothing, or LPAR, the arguments and RPAR.
        args = _all(arguments, ast.Arg) if arguments else None
        return ast.Target(
            self._name(name), args, self._cover(name, arguments[-1] if arguments else name)
        )

    def arg(self, name: ast.Ident, value: ast.Expr) -> ast.Arg:
        return ast.Arg(name, value, self._cover(name, value))

    def after_call(self, keyword: Token, _call: Token, _lbrace: Token, *body: Any) -> ast.AfterCall:
        *steps, closing = body
        return ast.AfterCall(tuple(steps), self._cover(keyword, closing))

    # ---- steps

    def step(self, *labelled: Any) -> ast.Step:
        *labels, step = labelled
        if not labels:
            return step  # type: ignore[no-any-return]
        return dataclasses.replace(step, labels=tuple(labels))  # type: ignore[no-any-return]

    def label(self, name: ast.Ident) -> ast.Ident:
        return name

    def talk(self, keyword: Token, text: ast.Expr, *flag: Token) -> ast.Talk:
        # flag: UNINTERRUPTIBLE, when written.
        last = flag[-1] if flag else text
        return ast.Talk((), text, not flag, self._cover(keyword, last))

    def collect(
        self, keyword: Token, var: ast.Ident, answer: ast.TypeExpr | _FormFields, *rest: Any
    ) -> ast.Collect:
        # rest: an optional IN and its list of options, then the clauses.
        has_options = bool(rest) and _is(rest[0], "IN")
        written = rest[2:] if has_options else rest
        asks = _all(written, ast.FieldAsk)
        clauses = self._clauses("collect", [c for c in written if not isinstance(c, ast.FieldAsk)])
        form = self._form(var, answer, asks, clauses)
        type_ = answer.record if isinstance(answer, _FormFields) else answer
        # `expect evening` gives a name, `expect 8 digits` the count (see digit_count).
        expected = clauses.get("expect")
        return ast.Collect(
            labels=(),
            var=self._name(var),
            type=type_,
            options=rest[1] if has_options else None,
            prompt=self._required(clauses, "prompt", keyword, "collect"),
            reprompt=clauses.get("reprompt"),
            attempts=clauses.get("attempts"),
            timeout=clauses.get("timeout"),
            day_part=expected if isinstance(expected, ast.Ident) else None,
            digits=expected if isinstance(expected, ast.NumberLit) else None,
            on_no_answer=self._handler(clauses.handlers, "no_answer", "collect"),
            span=self._cover(keyword, rest[-1] if rest else type_),
            form=form,
        )

    def _form(
        self,
        var: ast.Ident,
        answer: ast.TypeExpr | _FormFields,
        asks: tuple[ast.FieldAsk, ...],
        clauses: _Clauses,
    ) -> ast.Form | None:
        """The form of a collect of a record; its clauses on any other collect are errors."""
        if not isinstance(answer, _FormFields):
            for keyword in clauses.keywords(_FORM_CLAUSES):
                self._report(
                    messages.form_clause_not_a_form(keyword.value, self._span_of(keyword), var)
                )
            for ask in asks:
                self._report(messages.form_clause_not_a_form("ask", ask.span, var))
            return None
        first_asks: dict[str, ast.FieldAsk] = {}
        for ask in asks:
            if ask.field.name in first_asks:
                self._report(messages.field_asked_twice(ask, first_asks[ask.field.name]))
            first_asks.setdefault(ask.field.name, ask)
        return ast.Form(
            answer.fields,
            asks,
            clauses.get("given"),
            clauses.get("confirm"),
            answer.record.span,
        )

    def answer_type(self, name: ast.Ident, *element: Any) -> ast.TypeExpr:
        """The type of a collect that is not a form: a named type, or `list[...]`."""
        node: ast.TypeExpr = (
            self.list_type(name, *element) if element else self.named_type(name)
        )
        return self.type(node)

    def form(self, lbrace: Token, *body: Any) -> _FormFields:
        *fields, closing = body
        seen: dict[str, ast.FormField] = {}
        for field in fields:
            if field.name.name in seen:
                self._report(messages.form_field_twice(field, seen[field.name.name]))
            seen.setdefault(field.name.name, field)
        record = ast.RecordType(
            tuple(ast.FieldType(f.name, f.type, f.span) for f in fields),
            self._cover(lbrace, closing),
        )
        self._check_nesting(record)
        return _FormFields(tuple(fields), record)

    def form_field(
        self, name: ast.Ident, type_: ast.TypeExpr, *options: Any
    ) -> ast.FormField:
        # options: nothing, or IN and the list of options.
        written: ast.ListLit | None = options[1] if options else None
        span = self._cover(name, options[-1] if options else type_)
        return ast.FormField(name, type_, written, span)

    def field_ask(self, keyword: Token, field: ast.Ident, prompt: ast.Expr) -> ast.FieldAsk:
        return ast.FieldAsk(field, prompt, self._cover(keyword, prompt))

    def digit_count(self, count: ast.NumberLit, unit: ast.Ident) -> ast.NumberLit:
        """The count of `expect 8 digits`; the word after it can only be `digits`."""
        if unit.name != "digits":
            self._report(messages.not_digits(count, unit))
        return count

    def request(
        self, keyword: Token, var: ast.Ident, method: Token, url: ast.Expr, *rest: Any
    ) -> ast.Request:
        clauses = self._clauses("request", rest)
        headers: _Map | None = clauses.get("headers")
        query: _Map | None = clauses.get("query")
        body: _Map | None = clauses.get("body")
        return ast.Request(
            labels=(),
            var=self._name(var),
            method=ast.HttpMethod(method.value),
            url=url,
            headers=headers.entries if headers else (),
            query=query.entries if query else (),
            body=body.entries if body else None,
            expect=clauses.get("expect"),
            timeout=clauses.get("timeout"),
            retries=clauses.get("retries"),
            on_error=self._handler(clauses.handlers, "error", "request"),
            span=self._cover(keyword, rest[-1] if rest else url),
        )

    def map(self, lbrace: Token, *body: Any) -> _Map:
        *entries, closing = body
        return _Map(tuple(entries), self._cover(lbrace, closing))

    def entry(self, key: ast.StringLit, value: ast.Expr) -> ast.Entry:
        return ast.Entry(key, value, self._cover(key, value))

    def run(
        self, keyword: Token, var: ast.Ident, action: ast.Ident, _lpar: Token, *rest: Any
    ) -> ast.Run:
        # rest: the arguments, RPAR, then the handlers.
        var, action = self._name(var), self._name(action)
        args, handlers = _all(rest, ast.Arg), _all(rest, ast.Handler)
        return ast.Run((), var, action, args, handlers, self._cover(keyword, rest[-1]))

    def code(
        self, keyword: Token, var: ast.Ident, callable_: _Dotted, _lpar: Token, *rest: Any
    ) -> ast.Code:
        # rest: the arguments, RPAR, then the handlers.
        module, function = self._module_function(callable_, "code")
        on_error = self._handler(rest, "error", "code")
        span = self._cover(keyword, rest[-1])
        return ast.Code((), self._name(var), module, function, _all(rest, ast.Arg), on_error, span)

    def set(self, keyword: Token, var: ast.Ident, value: ast.Expr) -> ast.Set:
        return ast.Set((), self._name(var), value, self._cover(keyword, value))

    def if_step(
        self, keyword: Token, condition: ast.Expr, _arrow: Token, target: ast.Target
    ) -> ast.If:
        return ast.If((), condition, target, self._cover(keyword, target))

    def jump(self, arrow: Token, target: ast.Target) -> ast.Jump:
        return ast.Jump((), target, self._cover(arrow, target))

    def send_sms(
        self, send: Token, _sms: Token, _to: Token, to: ast.Expr, text: ast.Expr, *handlers: Any
    ) -> ast.SendSms:
        on_error = self._handler(handlers, "error", "send sms")
        return ast.SendSms(
            (), to, text, on_error, self._cover(send, handlers[-1] if handlers else text)
        )

    def send_email(
        self, send: Token, _email: Token, _to: Token, to: ast.Expr, *rest: Any
    ) -> ast.SendEmail:
        clauses = self._clauses("send email", rest)
        return ast.SendEmail(
            labels=(),
            to=to,
            subject=self._required(clauses, "subject", send, "send email"),
            body=self._required(clauses, "body", send, "send email"),
            on_error=self._handler(clauses.handlers, "error", "send email"),
            span=self._cover(send, rest[-1] if rest else to),
        )

    def transfer(self, keyword: Token, _to: Token, to: ast.Expr, *rest: Any) -> ast.Transfer:
        clauses = self._clauses("transfer", rest)
        on_error = self._handler(clauses.handlers, "error", "transfer")
        span = self._cover(keyword, rest[-1] if rest else to)
        return ast.Transfer((), to, clauses.get("say"), on_error, span)

    def end(self, keyword: Token, text: ast.StringLit | None = None) -> ast.End:
        return ast.End((), text, self._cover(keyword, keyword if text is None else text))

    def exit(self, keyword: Token, output: ast.Ident, *arguments: Any) -> ast.Exit:
        # arguments: nothing, or LPAR, the arguments and RPAR.
        span = self._cover(keyword, arguments[-1] if arguments else output)
        return ast.Exit((), self._name(output), _all(arguments, ast.Arg), span)

    # ---- types

    def type(self, node: ast.TypeExpr) -> ast.TypeExpr:
        self._check_nesting(node)
        return node

    def named_type(self, name: ast.Ident) -> ast.NamedType:
        if name.name not in ast.SCALAR_TYPE_NAMES:
            self._report(messages.unknown_type(name))
        return ast.NamedType(name.name, name.span)

    def list_type(
        self, name: ast.Ident, _lsqb: Token, element: ast.TypeExpr, rsqb: Token
    ) -> ast.ListType:
        if name.name != "list":
            self._report(messages.not_a_list_type(name))
        return ast.ListType(element, self._cover(name, rsqb))

    def record_type(self, lbrace: Token, *body: Any) -> ast.RecordType:
        *fields, closing = body
        return ast.RecordType(tuple(fields), self._cover(lbrace, closing))

    def field_type(self, name: ast.Ident, type_: ast.TypeExpr) -> ast.FieldType:
        return ast.FieldType(name, type_, self._cover(name, type_))

    # ---- expressions

    def expr(self, node: ast.Expr) -> ast.Expr:
        self._check_nesting(node)
        return node

    def template(self, node: ast.Expr) -> ast.Expr:
        self._check_nesting(node)
        return node

    def logic(self, left: ast.Expr, operator: Token, right: ast.Expr) -> ast.Logic:
        return ast.Logic(ast.LogicOp(operator.value), left, right, self._cover(left, right))

    def negation(self, keyword: Token, operand: ast.Expr) -> ast.Not:
        return ast.Not(operand, self._cover(keyword, operand))

    def compare(self, left: ast.Expr, operator: Token, right: ast.Expr) -> ast.Compare:
        return ast.Compare(ast.CompareOp(operator.value), left, right, self._cover(left, right))

    def fallback(self, left: ast.Expr, right: ast.Expr) -> ast.Fallback:
        return ast.Fallback(left, right, self._cover(left, right))

    def field(self, target: ast.Expr, name: ast.Ident) -> ast.FieldAccess:
        return ast.FieldAccess(target, name, self._cover(target, name))

    def index(
        self, target: ast.Expr, _lsqb: Token, position: ast.Expr, rsqb: Token
    ) -> ast.IndexAccess:
        # A literal position is checked here; a computed one when the step runs.
        if isinstance(position, ast.NumberLit) and (
            not isinstance(position.value, int) or position.value < 0
        ):
            self._report(messages.bad_index(position))
        return ast.IndexAccess(target, position, self._cover(target, rsqb))

    def arithmetic(self, left: ast.Expr, operator: Token, right: ast.Expr) -> ast.Arithmetic:
        return ast.Arithmetic(
            ast.ArithOp(operator.value), left, right, self._cover(left, right)
        )

    def negative(self, minus: Token, operand: ast.Expr) -> ast.Expr:
        span = self._cover(minus, operand)
        # `-1` is a number literal (NUMBER holds no sign, so that `a-1` is a subtraction).
        if isinstance(operand, ast.NumberLit):
            return ast.NumberLit(-operand.value, span)
        return ast.Negative(operand, span)

    def function_call(self, name: ast.Ident, _lpar: Token, *rest: Any) -> ast.FunctionCall:
        *args, rpar = rest
        return ast.FunctionCall(name, tuple(args), self._cover(name, rpar))

    def conversion(
        self, value: ast.Expr, _as: Token, target: ast.Ident | ast.TypeExpr
    ) -> ast.EnvRef | ast.Formatted:
        """`env("V") as TYPE` reads the variable as that type; `VALUE as NAME` formats it."""
        if isinstance(value, ast.EnvRef) and value.as_type is None:
            as_type = self.named_type(target) if isinstance(target, ast.Ident) else target
            as_type = self.type(as_type)
            return ast.EnvRef(value.variable, as_type, self._cover(value, as_type))
        if not isinstance(target, ast.Ident):
            self._report(messages.type_after_as(target.span))
            return ast.Formatted(value, ast.Ident("", target.span), self._cover(value, target))
        return ast.Formatted(value, target, self._cover(value, target))

    def true(self, keyword: Token) -> ast.BoolLit:
        return ast.BoolLit(True, self._span_of(keyword))

    def false(self, keyword: Token) -> ast.BoolLit:
        return ast.BoolLit(False, self._span_of(keyword))

    def name_ref(self, name: ast.Ident) -> ast.Name:
        return ast.Name(self._name(name), name.span)

    def call_ref(self, keyword: Token) -> ast.Name:
        span = self._span_of(keyword)
        return ast.Name(ast.Ident("call", span), span)

    def env(self, keyword: Token, _lpar: Token, variable: ast.StringLit, rpar: Token) -> ast.EnvRef:
        name = self._plain(variable, "the name of an environment variable")
        return ast.EnvRef(name, None, self._cover(keyword, rpar))


    def paren(self, lpar: Token, inner: ast.Expr, rpar: Token) -> ast.Expr:
        # The parentheses belong to the expression's span, so a caret shows them.
        return dataclasses.replace(inner, span=self._cover(lpar, rpar))

    def today(self, keyword: Token) -> ast.Clock:
        return ast.Clock(ast.ClockWord.TODAY, self._span_of(keyword))

    def now(self, keyword: Token) -> ast.Clock:
        return ast.Clock(ast.ClockWord.NOW, self._span_of(keyword))

    def list_lit(self, lsqb: Token, *body: Any) -> ast.ListLit:
        *items, closing = body
        return ast.ListLit(tuple(items), self._cover(lsqb, closing))

    def record_lit(self, lbrace: Token, *body: Any) -> ast.RecordLit:
        *fields, closing = body
        seen: dict[str, ast.RecordField] = {}
        for item in fields:
            if item.name.name in seen:
                self._report(messages.duplicate_record_field(item.name, seen[item.name.name]))
            seen.setdefault(item.name.name, item)
        return ast.RecordLit(tuple(fields), self._cover(lbrace, closing))

    def record_field(self, name: ast.Ident, value: ast.Expr) -> ast.RecordField:
        return ast.RecordField(name, value, self._cover(name, value))


_DURATION_PARTS = re.compile(r"([0-9]+)[ \t]*([a-z]+)")
_UNIT_MILLISECONDS = {
    "ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000,
    "second": 1000, "minute": 60_000, "hour": 3_600_000, "day": 86_400_000,
    "week": 7 * 86_400_000,
}  # fmt: skip


class _Clauses:
    """The optional clauses of a step, by keyword, and its `on ... ->` handlers.

    `children` alternate a clause keyword and its value, with handlers among them.
    """

    def __init__(self, children: Sequence[Any]) -> None:
        self.values: dict[str, Any] = {}
        self.handlers: list[ast.Handler] = []
        self.repeated: list[Token] = []  # the keyword of each clause given again
        self._keywords: dict[str, Token] = {}
        items = iter(children)
        for item in items:
            if isinstance(item, ast.Handler):
                self.handlers.append(item)
                continue
            if item.value in self.values:
                self.repeated.append(item)
            self._keywords.setdefault(item.value, item)
            self.values[item.value] = next(items)

    def get(self, keyword: str) -> Any:
        return self.values.get(keyword)

    def keywords(self, names: Sequence[str]) -> list[Token]:
        """The keyword token of each of these clauses that is written."""
        return [self._keywords[name] for name in names if name in self._keywords]


def _is(item: Any, terminal: str) -> bool:
    return isinstance(item, Token) and item.type == terminal


def _all(children: Iterable[Any], kind: type[Any] | tuple[type[Any], ...]) -> tuple[Any, ...]:
    """The children of one kind, in order."""
    return tuple(child for child in children if isinstance(child, kind))


def _first(children: Iterable[Any], kind: type[Any]) -> Any:
    return next((child for child in children if isinstance(child, kind)), None)
