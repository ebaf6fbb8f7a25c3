"""Lowering: a checked program's AST to the IR of generated modules (ir.py).

Runs only on programs the checker accepted, so every name resolves, every
`run` has all its outputs connected and no body falls off its end.

Each .flow step becomes one step function. Every way out of a step becomes a
step index: a label is the index of its step, and a target that leaves an
action (`-> Fail(reason = "...")`, `on Fail -> Fail`) becomes a small `exit`
step appended to the body, so the driver only ever follows indexes and
`Enter`/`Leave` moves.

Every string the source provides reaches Python through `repr()`, never by
pasting text into code; variables are dict keys, never Python names.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from .. import ast
from ..checker.model import Model, Variable
from ..loader import Program
from ..source import Span
from ..types import ListOf, Record, RunResult, Scalar, Type
from . import names
from .ir import BodyIR, ImportIR, InputIR, ModuleIR, MoveIR, StepIR

TEXT_LIKE = frozenset({"text", "secret", "phone", "email", "date", "time", "datetime"})
CALL_BUILTINS = frozenset({"caller", "callee", "id", "started_at", "outcome"})
COMPARE_FUNCTIONS = {
    ast.CompareOp.EQ: "ops.eq",
    ast.CompareOp.NE: "ops.ne",
    ast.CompareOp.LT: "ops.lt",
    ast.CompareOp.LE: "ops.le",
    ast.CompareOp.GT: "ops.gt",
    ast.CompareOp.GE: "ops.ge",
    ast.CompareOp.IN: "ops.contains",
}
BOOLEAN_EXPRS = (ast.Compare, ast.Logic, ast.Not, ast.BoolLit)
SPOKEN_TYPES = frozenset({"date", "time", "datetime"})


@dataclass(frozen=True, slots=True)
class ProgramLayout:
    """Where each source file's module goes: its dotted name, from the common root,
    and the name other generated modules import it as."""

    root: str
    modules: Mapping[str, str]
    aliases: Mapping[str, str]

    @staticmethod
    def of(program: Program) -> ProgramLayout:
        root = names.common_root(program.modules)
        python_modules = {
            decl.module.split(".")[0]
            for module in program.modules.values()
            for decl in module.pythons
        }
        modules = names.module_names(program.modules, root, python_modules)
        return ProgramLayout(root, modules, names.module_aliases(modules.values(), "_flow_"))


def lower_program(program: Program, model: Model, version: str) -> list[ModuleIR]:
    """One ModuleIR per source file of the program, in a stable order."""
    layout = ProgramLayout.of(program)
    secret_env = secret_env_names(program)
    return [
        lower_module(program, model, layout, path, version, secret_env)
        for path in sorted(program.modules)
    ]


def secret_env_names(program: Program) -> tuple[str, ...]:
    """Every environment variable the program reads as a secret (`env("NAME")`)."""
    found: set[str] = set()
    pending: list[object] = list(program.modules.values())
    while pending:
        node = pending.pop()
        if isinstance(node, ast.EnvRef):
            if _env_type(node.as_type) == "secret":
                found.add(node.variable)
        elif isinstance(node, tuple):
            pending.extend(node)
        elif dataclasses.is_dataclass(node) and not isinstance(node, Span):
            pending.extend(getattr(node, item.name) for item in dataclasses.fields(node))
    return tuple(sorted(found))


def lower_module(
    program: Program,
    model: Model,
    layout: ProgramLayout,
    path: str,
    version: str,
    secret_env: tuple[str, ...] = (),
) -> ModuleIR:
    module = program.modules[path]
    context = ModuleContext(program, model, layout, path, secret_env)
    bodies = [lower_action(context, action) for action in module.actions]
    bodies += [lower_flow(context, flow) for flow in module.flows]
    flow_imports = tuple(
        ImportIR(name, layout.aliases[name]) for name in sorted(context.flow_modules)
    )
    python_imports = tuple(
        ImportIR(name, alias) for name, alias in sorted(context.python_aliases.items())
    )
    return ModuleIR(
        path, layout.modules[path], version, flow_imports, python_imports, tuple(bodies)
    )


@dataclass
class ModuleContext:
    """What lowering a module needs to know about the rest of the program."""

    program: Program
    model: Model
    layout: ProgramLayout
    path: str
    # What a flow masks from its call's start (flowc_runtime.program.Body.secret_env).
    secret_env: tuple[str, ...] = ()
    flow_modules: set[str] = field(default_factory=set)
    # The source's lines, split once: every step's comment quotes one. Split on
    # "\n" alone, as spans count lines (str.splitlines would also split on \f or
    # \u2028 inside a string, and later steps would quote the wrong lines).
    lines: list[str] = field(default_factory=list)
    # The name each `python` module of this source is imported as.
    python_aliases: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        declared = {decl.module for decl in self.program.modules[self.path].pythons}
        self.python_aliases = names.module_aliases(declared, "_py_")
        text = self.program.sources[self.path].text
        self.lines = [line.removesuffix("\r") for line in text.split("\n")]

    def source_text(self, span: Span) -> str:
        """The source text a span starts with (its first line), quoted in comments."""
        line = self.lines[span.line - 1] if 0 < span.line <= len(self.lines) else ""
        end = span.end_column - 1 if span.end_line == span.line else len(line)
        return line[span.column - 1 : end].strip()

    def variables(self, body: ast.Action | ast.Flow | ast.AfterCall) -> Mapping[str, Variable]:
        """The checked variables of a body, with their types."""
        return self.model.bodies[body].variables

    def action_reference(self, run: ast.Run) -> str:
        """The Python expression for the `Body` of the action a `run` uses."""
        action = self.model.run_actions[run]
        constant = names.body_constant(action.name, is_action=True)
        if action.module == self.path:
            return constant
        module_name = self.layout.modules[action.module]
        self.flow_modules.add(module_name)
        return f"{self.layout.aliases[module_name]}.{constant}"


# --------------------------------------------------------------------------
# Bodies


def lower_action(context: ModuleContext, action: ast.Action) -> BodyIR:
    name = action.name.name
    steps = BodyLowerer(
        context, name, action.steps, action.handlers, context.variables(action), is_action=True
    ).lower()
    inputs = tuple(_lower_input(context, item) for item in action.inputs)
    return BodyIR(
        name,
        names.body_constant(name, is_action=True),
        True,
        action.span.line,
        steps,
        (),
        inputs,
    )


def lower_flow(context: ModuleContext, flow: ast.Flow) -> BodyIR:
    name = flow.name.name
    steps = BodyLowerer(
        context, name, flow.steps, flow.handlers, context.variables(flow), is_action=False
    ).lower()
    after_call: tuple[StepIR, ...] = ()
    if flow.after_call is not None:
        after_call = BodyLowerer(
            context,
            name,
            flow.after_call.steps,
            (),
            context.variables(flow.after_call),
            is_action=False,
            in_after_call=True,
        ).lower()
    return BodyIR(
        name,
        names.body_constant(name, is_action=False),
        False,
        flow.span.line,
        steps,
        after_call,
        (),
        context.secret_env,
    )


def _lower_input(context: ModuleContext, item: ast.Input) -> InputIR:
    default = lower_expr(item.default) if item.default is not None else None
    secret = isinstance(item.type, ast.NamedType) and item.type.name == "secret"
    return InputIR(
        repr(item.name.name),
        default,
        secret,
        item.span.line,
        context.source_text(item.span),
    )


class BodyLowerer:
    """Lowers the steps of one body (a flow, an action, or an `after call` block)."""

    def __init__(
        self,
        context: ModuleContext,
        body_name: str,
        steps: Sequence[ast.Step],
        handlers: Sequence[ast.Handler],
        variables: Mapping[str, Variable],
        *,
        is_action: bool,
        in_after_call: bool = False,
    ) -> None:
        self.context = context
        self.in_after_call = in_after_call
        self.variables = variables
        self.body_name = body_name
        self.steps = steps
        self.is_action = is_action
        self.defaults = {handler.event.name: handler for handler in handlers}
        self.labels = {
            label.name: index for index, step in enumerate(steps) for label in step.labels
        }
        self.exits: list[StepIR] = []
        self._exit_indexes: dict[object, int] = {}

    def lower(self) -> tuple[StepIR, ...]:
        lowered = [self.lower_step(index, step) for index, step in enumerate(self.steps)]
        lowered += self.exits
        width = max(2, len(str(len(lowered) - 1)))
        return tuple(
            replace(
                step,
                function=names.step_function(
                    self.body_name, index, step.kind, width, after_call=self.in_after_call
                ),
            )
            for index, step in enumerate(lowered)
        )

    # ---------------------------------------------------------------- speech

    def speech(self, expr: ast.Expr) -> str:
        """Text for a person (said, or sent as a message): dates and times read naturally.

        A template value whose type is date, time or datetime is rendered with
        `ops.spoken` ("Thursday, March 14, 2030 at 2 PM"), everything else as
        in any other text.
        """
        if isinstance(expr, ast.StringLit) and not expr.is_plain:
            parts = [
                repr(part.text) if isinstance(part, ast.TextPart) else self._spoken_value(part.expr)
                for part in expr.parts
            ]
            return f"ops.text({', '.join(parts)})"
        if isinstance(expr, ast.StringLit):
            return lower_expr(expr)
        return f"ops.text({self._spoken_value(expr)})"

    def _spoken_value(self, expr: ast.Expr) -> str:
        kind = static_type(expr, self.variables)
        if isinstance(kind, Scalar) and kind.name in SPOKEN_TYPES:
            return f"ops.spoken({lower_expr(expr)}, {kind.name!r})"
        return lower_expr(expr)

    # ---------------------------------------------------------------- targets

    def next_of(self, index: int) -> MoveIR:
        return MoveIR(str(index + 1), "next")

    def target(self, target: ast.Target) -> MoveIR:
        name = target.name.name
        if target.args is None and name in self.labels:
            return MoveIR(str(self.labels[name]), f"-> {name}")
        return self.exit_step(name, target.args or (), target.span)

    def handler_or(self, handler: ast.Handler | None, otherwise: MoveIR) -> MoveIR:
        """An optional path (`send`, `transfer`): the step's own handler, else `otherwise`.

        Default handlers do not apply here: they catch no_answer and error of
        collect, request and code only (LANGUAGE.md section 4).
        """
        return self.target(handler.target) if handler is not None else otherwise

    def required(self, handler: ast.Handler | None, default_event: str) -> MoveIR:
        """The target of a path the checker guarantees: the step's handler or the default."""
        chosen = handler or self.defaults.get(default_event)
        if chosen is None:
            raise AssertionError(f"the checker let through a step with no {default_event} path")
        return self.target(chosen.target)

    def error_path(self, index: int, handler: ast.Handler | None) -> MoveIR:
        """Where a failed `request` or `code` goes.

        In `after call`, which has no default handlers, a failure without a handler
        is logged and the block goes on (the checker's graph has the same edge).
        """
        if handler is None and self.in_after_call:
            return MoveIR(str(index + 1), "next (logged)")
        return self.required(handler, "error")

    def exit_step(self, output: str, args: Sequence[ast.Arg], span: Span) -> MoveIR:
        """The index of a step that leaves the action through `output` (made on first use)."""
        key: object = (output, span) if args else output
        if key not in self._exit_indexes:
            self._exit_indexes[key] = len(self.steps) + len(self.exits)
            target_text = f"-> {self.context.source_text(span)}"
            fields = {"output": repr(output), "fields": _arg_dict(args)}
            self.exits.append(StepIR("", "exit", span.line, target_text, fields, {}))
        return MoveIR(str(self._exit_indexes[key]), f"-> {self.context.source_text(span)}")

    def make(
        self,
        kind: str,
        span: Span,
        moves: Mapping[str, MoveIR] | None = None,
        **fields: str,
    ) -> StepIR:
        return StepIR("", kind, span.line, self.context.source_text(span), fields, moves or {})

    # ---------------------------------------------------------------- steps

    def lower_step(self, index: int, step: ast.Step) -> StepIR:
        match step:
            case ast.Talk():
                return self._talk(index, step)
            case ast.Collect():
                return self._collect(index, step)
            case ast.Request():
                return self._request(index, step)
            case ast.Run():
                return self._run(index, step)
            case ast.Code():
                return self._code(index, step)
            case ast.Set():
                return self._set(index, step)
            case ast.If():
                return self._if(index, step)
            case ast.Jump():
                return self._jump(index, step)
            case ast.SendSms():
                return self._sms(index, step)
            case ast.SendEmail():
                return self._email(index, step)
            case ast.Transfer():
                return self._transfer(index, step)
            case ast.End():
                return self._end(index, step)
            case ast.Exit():
                return self._exit(index, step)

    def _talk(self, index: int, step: ast.Talk) -> StepIR:
        return self.make(
            "talk", step.span, {"next": self.next_of(index)}, text=self.speech(step.text)
        )

    def _collect(self, index: int, step: ast.Collect) -> StepIR:
        moves = {
            "next": self.next_of(index),
            "no_answer": self.required(step.on_no_answer, "no_answer"),
        }
        return self.make(
            "collect",
            step.span,
            moves,
            var=repr(step.var.name),
            question=_question(step, self.speech),
        )

    def _request(self, index: int, step: ast.Request) -> StepIR:
        moves = {"next": self.next_of(index), "error": self.error_path(index, step.on_error)}
        expect = shape(step.expect) if step.expect is not None else "None"
        return self.make(
            "request",
            step.span,
            moves,
            var=repr(step.var.name),
            request=_http_request(step),
            expect=expect,
        )

    def _run(self, index: int, step: ast.Run) -> StepIR:
        returns = {repr(h.event.name): self.target(h.target) for h in step.handlers}
        return self.make(
            "run",
            step.span,
            returns,
            action=self.context.action_reference(step),
            var=repr(step.var.name),
            args=_arg_dict(step.args),
        )

    def _code(self, index: int, step: ast.Code) -> StepIR:
        moves = {"next": self.next_of(index), "error": self.error_path(index, step.on_error)}
        decl = self.context.model.python_calls.get(step)
        invocation = _python_call(step, decl, self.context.python_aliases[step.module])
        return self.make(
            "code",
            step.span,
            moves,
            var=repr(step.var.name),
            function=repr(f"{step.module}.{step.function.name}"),
            invocation=invocation,
            result_type=python_type(decl.returns) if decl else "object",
            returns=shape(decl.returns) if decl else "None",
        )

    def _set(self, index: int, step: ast.Set) -> StepIR:
        return self.make(
            "set",
            step.span,
            {"next": self.next_of(index)},
            var=repr(step.var.name),
            value=lower_expr(step.value),
        )

    def _if(self, index: int, step: ast.If) -> StepIR:
        moves = {"target": self.target(step.target), "next": self.next_of(index)}
        return self.make("if", step.span, moves, condition=condition(step.condition))

    def _jump(self, index: int, step: ast.Jump) -> StepIR:
        return self.make("jump", step.span, {"target": self.target(step.target)})

    def _sms(self, index: int, step: ast.SendSms) -> StepIR:
        moves = {
            "next": self.next_of(index),
            "error": self.handler_or(step.on_error, MoveIR(str(index + 1), "next (logged)")),
        }
        return self.make("sms", step.span, moves, to=textual(step.to), text=self.speech(step.text))

    def _email(self, index: int, step: ast.SendEmail) -> StepIR:
        moves = {
            "next": self.next_of(index),
            "error": self.handler_or(step.on_error, MoveIR(str(index + 1), "next (logged)")),
        }
        return self.make(
            "email",
            step.span,
            moves,
            to=textual(step.to),
            subject=self.speech(step.subject),
            body=self.speech(step.body),
        )

    def _transfer(self, index: int, step: ast.Transfer) -> StepIR:
        moves = {"error": self.handler_or(step.on_error, MoveIR("ENDED", "the call ends"))}
        say = self.speech(step.say) if step.say is not None else "None"
        return self.make("transfer", step.span, moves, to=textual(step.to), say=say)

    def _end(self, index: int, step: ast.End) -> StepIR:
        text = self.speech(step.text) if step.text is not None else "None"
        return self.make("end", step.span, text=text)

    def _exit(self, index: int, step: ast.Exit) -> StepIR:
        return self.make(
            "exit",
            step.span,
            output=repr(step.output.name),
            fields=_arg_dict(step.args),
        )


# --------------------------------------------------------------------------
# Step parts


def _arg_dict(args: Sequence[ast.Arg]) -> str:
    return "{" + ", ".join(f"{arg.name.name!r}: {lower_expr(arg.value)}" for arg in args) + "}"


def _question(step: ast.Collect, speech: Callable[[ast.Expr], str]) -> str:
    type_name = step.type.name if isinstance(step.type, ast.NamedType) else "json"
    parts = [repr(type_name), speech(step.prompt)]
    if step.reprompt is not None:
        parts.append(f"reprompt={speech(step.reprompt)}")
    if step.options is not None:
        options = ", ".join(textual(item) for item in step.options.items)
        parts.append(f"options=[{options}]")
    if step.attempts is not None:
        parts.append(f"attempts={int(step.attempts.value)!r}")
    if step.timeout is not None:
        parts.append(f"timeout_seconds={step.timeout.milliseconds / 1000!r}")
    return f"Question({', '.join(parts)})"


def _http_request(step: ast.Request) -> str:
    parts = [f"method={step.method.value!r}", f"url={textual(step.url)}"]
    if step.headers:
        parts.append(f"headers={_text_entries(step.headers)}")
    if step.query:
        parts.append(f"query={_text_entries(step.query)}")
    if step.body is not None:
        body = ", ".join(f"{textual(e.key)}: {lower_expr(e.value)}" for e in step.body)
        parts.append(f"body={{{body}}}")
        parts.append("has_body=True")
    if step.timeout is not None:
        parts.append(f"timeout_seconds={step.timeout.milliseconds / 1000!r}")
    if step.retries is not None:
        parts.append(f"retries={int(step.retries.value)!r}")
    return f"HttpRequest({', '.join(parts)})"


def _text_entries(entries: Sequence[ast.Entry]) -> str:
    return "{" + ", ".join(f"{textual(e.key)}: {textual(e.value)}" for e in entries) + "}"


def _python_call(step: ast.Code, decl: ast.PythonDecl | None, alias: str) -> str:
    function = step.function.name
    callee = (
        f"{alias}.{function}"
        if function.isidentifier() and names.python_identifier(function) == function
        else f"getattr({alias}, {function!r})"
    )
    given = {arg.name.name: arg.value for arg in step.args}
    if decl is None:
        arguments = [lower_expr(value) for value in given.values()]
    else:
        # Positional, in the declared order: a parameter named like a Python
        # keyword (`class`) would not work as a keyword argument.
        arguments = [
            converted(lower_expr(given[param.name.name]), param.type)
            for param in decl.params
            if param.name.name in given
        ]
    return f"{callee}({', '.join(arguments)})"


# --------------------------------------------------------------------------
# Types


def python_type(type_expr: ast.TypeExpr) -> str:
    """The Python annotation for a value of a .flow type passed to or from Python code."""
    match type_expr:
        case ast.NamedType(name=name):
            if name in TEXT_LIKE:
                return "str"
            return {"number": "float", "bool": "bool"}.get(name, "JSON")
        case ast.ListType(element=element):
            return f"list[{python_type(element)}]"
        case ast.RecordType():
            return "dict[str, Any]"


def converted(code: str, type_expr: ast.TypeExpr) -> str:
    """`code` (a JSON value) checked and typed as the Python type of `type_expr`."""
    match type_expr:
        case ast.NamedType(name=name):
            if name in TEXT_LIKE:
                return f"ops.as_text({code})"
            if name in ("number", "bool"):
                return f"ops.as_{name}({code})"
            return code
        case ast.ListType():
            return f"ops.as_list({code})"
        case ast.RecordType():
            return f"ops.as_record({code})"


def shape(type_expr: ast.TypeExpr) -> str:
    """The run-time shape (ops.Shape) of a type, as Python source."""
    match type_expr:
        case ast.NamedType(name=name):
            return repr(name)
        case ast.ListType(element=element):
            return f"[{shape(element)}]"
        case ast.RecordType(fields=fields):
            return "{" + ", ".join(f"{f.name.name!r}: {shape(f.type)}" for f in fields) + "}"


# --------------------------------------------------------------------------
# Expressions


def static_type(expr: ast.Expr, variables: Mapping[str, Variable]) -> Type | None:
    """The checked type of a path (`name`, `name.field`, `name[0]`, `a ?? b`), if known."""
    match expr:
        case ast.Name(ident=ident):
            variable = variables.get(ident.name)
            return variable.type if variable is not None else None
        case ast.FieldAccess(target=ast.Name(ident=ast.Ident(name="call")), field=field_name) if (
            field_name.name in CALL_BUILTINS
        ):
            return Scalar("datetime") if field_name.name == "started_at" else None
        case ast.FieldAccess(target=target, field=field_name):
            owner = static_type(target, variables)
            return owner.field(field_name.name) if isinstance(owner, Record | RunResult) else None
        case ast.IndexAccess(target=target):
            owner = static_type(target, variables)
            return owner.element if isinstance(owner, ListOf) else None
        case ast.Fallback(left=left):
            return static_type(left, variables)
        case _:
            return None


def textual(expr: ast.Expr) -> str:
    """An expression whose value is used as text by a machine (a URL, a header, an address)."""
    if isinstance(expr, ast.StringLit):
        return lower_expr(expr)
    return f"ops.render({lower_expr(expr)})"


def condition(expr: ast.Expr) -> str:
    """An expression used as a condition: a Python bool."""
    if isinstance(expr, BOOLEAN_EXPRS):
        return lower_expr(expr)
    return f"ops.truthy({lower_expr(expr)})"


def lower_expr(expr: ast.Expr) -> str:
    """Python source for an expression; its value is JSON (`bool` for conditions)."""
    match expr:
        case ast.StringLit():
            return _string(expr)
        case ast.NumberLit(value=value):
            return _number(value)
        case ast.BoolLit(value=value):
            return "True" if value else "False"
        case ast.DurationLit(milliseconds=milliseconds):
            return repr(milliseconds)
        case ast.ListLit(items=items):
            return "[" + ", ".join(lower_expr(item) for item in items) + "]"
        case ast.Name(ident=ident):
            return f"v.get({ident.name!r})"
        case ast.FieldAccess(target=ast.Name(ident=ast.Ident(name="call")), field=field_name) if (
            field_name.name in CALL_BUILTINS
        ):
            return f"call.{field_name.name}"
        case ast.FieldAccess(target=target, field=field_name):
            return f"ops.field({lower_expr(target)}, {field_name.name!r})"
        case ast.IndexAccess(target=target, index=position):
            return f"ops.index({lower_expr(target)}, {position!r})"
        case ast.Compare(op=op, left=left, right=right):
            return f"{COMPARE_FUNCTIONS[op]}({lower_expr(left)}, {lower_expr(right)})"
        case ast.Logic(op=op, left=left, right=right):
            return f"({condition(left)} {op.value} {condition(right)})"
        case ast.Not(operand=operand):
            return f"(not {condition(operand)})"
        case ast.Fallback(left=left, right=right):
            return f"ops.fallback({lower_expr(left)}, {lower_expr(right)})"
        case ast.EnvRef(variable=variable, as_type=as_type):
            return _env(variable, as_type)


def _env_type(as_type: ast.TypeExpr | None) -> str:
    """`env("NAME")` is a secret; `env("NAME") as TYPE` is read as that type."""
    if as_type is None:
        return "secret"
    return as_type.name if isinstance(as_type, ast.NamedType) else "json"


def _env(variable: str, as_type: ast.TypeExpr | None) -> str:
    type_name = _env_type(as_type)
    if type_name == "secret":
        return f"call.env_secret({variable!r})"
    if type_name in TEXT_LIKE:
        return f"call.env({variable!r})"
    return f"call.env({variable!r}, {type_name!r})"


def _string(literal: ast.StringLit) -> str:
    if literal.is_plain:
        return repr(literal.plain_text)
    parts = [
        repr(part.text) if isinstance(part, ast.TextPart) else lower_expr(part.expr)
        for part in literal.parts
    ]
    return f"ops.text({', '.join(parts)})"


def _number(value: int | float) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    return repr(value)
