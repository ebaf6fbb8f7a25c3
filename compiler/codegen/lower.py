"""Lowering: a checked program's AST to the IR of generated modules (ir.py).

Runs only on programs the checker accepted, so every name resolves, every
`run` has all its outputs connected and no body falls off its end. It reads
what the checker worked out (checker/model.py) and works nothing out again:
each body's flow graph gives every way out of every step, the recorded types
say which values are dates to be said in words, and the step table
(flowc.steps) names each step's function, macro, and what becomes of an event
no handler catches.

Each .flow step becomes one step function. Every way out of a step becomes a
step index: a label is the index of its step, and a target that leaves an
action (`-> Fail(reason = "...")`, `on Fail -> Fail`) becomes a small `exit`
step appended to the body, so the driver only ever follows indexes and
`Enter`/`Leave` moves.

Every string the source provides reaches Python through `repr()`, never by
pasting text into code; variables are dict keys, never Python names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from flowc_runtime.values import TEXT_LIKE

from .. import ast
from .. import types as ty
from ..checker.model import BodyModel, Model
from ..graph import BodyKind, Edge, EdgeKind, Leave
from ..loader import Program
from ..source import Span
from ..steps import EXIT, OnEvent, StepKind, Unhandled, Waits, kind_of
from ..types import ListOf, Type
from ..walk import module_expressions, walk
from . import names
from .expressions import ExpressionLowerer, env_type, shape
from .ir import BodyIR, ImportIR, InputIR, IntentIR, ModuleIR, MoveIR, StepIR

# The types said in words rather than as written: dates and times, durations, a bool as
# yes or no, and lists (each item as its type is said, joined as the locale joins a list).
SPOKEN_TYPES = frozenset({ty.DATE, ty.TIME, ty.DATETIME, ty.DURATION, ty.BOOL})


@dataclass(frozen=True, slots=True)
class ProgramLayout:
    """Where each source file's module goes: its dotted name, from the common root of
    the files generated, and the name other generated modules import it as. An
    installed library's file whose wheel ships its module keeps that module's name
    and is not generated (Program.shipped)."""

    root: str
    modules: Mapping[str, str]
    aliases: Mapping[str, str]
    generated: tuple[str, ...]

    @staticmethod
    def of(program: Program) -> ProgramLayout:
        generated = tuple(sorted(p for p in program.modules if p not in program.shipped))
        root = names.common_root(generated)
        python_modules = {
            decl.module.split(".")[0]
            for module in program.modules.values()
            for decl in module.pythons
        }
        modules = {
            **names.module_names(generated, root, python_modules),
            **{p: program.shipped[p] for p in program.modules if p in program.shipped},
        }
        aliases = names.module_aliases(modules.values(), "_flow_")
        return ProgramLayout(root, modules, aliases, generated)

    @property
    def generated_modules(self) -> dict[str, str]:
        """Source path -> module name, of the modules a build writes."""
        return {path: self.modules[path] for path in self.generated}


def lower_program(program: Program, model: Model, version: str) -> list[ModuleIR]:
    """One ModuleIR per source file of the program, in a stable order."""
    layout = ProgramLayout.of(program)
    secret_env = secret_env_names(program)
    return [
        lower_module(program, model, layout, path, version, secret_env)
        for path in layout.generated
    ]


def secret_env_names(program: Program) -> tuple[str, ...]:
    """Every environment variable the program reads as a secret (`env("NAME")`)."""
    found = {
        expr.variable
        for module in program.modules.values()
        for root in module_expressions(module)
        for expr in walk(root)
        if isinstance(expr, ast.EnvRef) and env_type(expr.as_type) == "secret"
    }
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
    lowerer = BodyLowerer(context, context.model.bodies[action])
    steps, intents = lowerer.lower()
    inputs = tuple(_lower_input(context, item, lowerer.exprs) for item in action.inputs)
    return BodyIR(
        name,
        names.body_constant(name, is_action=True),
        True,
        action.span.line,
        steps,
        (),
        inputs,
        intents=intents,
    )


def lower_flow(context: ModuleContext, flow: ast.Flow) -> BodyIR:
    name = flow.name.name
    steps, intents = BodyLowerer(context, context.model.bodies[flow]).lower()
    after_call: tuple[StepIR, ...] = ()
    if flow.after_call is not None:
        after_call, _ = BodyLowerer(context, context.model.bodies[flow.after_call]).lower()
    return BodyIR(
        name,
        names.body_constant(name, is_action=False),
        False,
        flow.span.line,
        steps,
        after_call,
        (),
        context.secret_env,
        intents,
    )


def _lower_input(context: ModuleContext, item: ast.Input, exprs: ExpressionLowerer) -> InputIR:
    default = exprs.lower(item.default) if item.default is not None else None
    secret = isinstance(item.type, ast.NamedType) and item.type.name == "secret"
    return InputIR(
        repr(item.name.name),
        default,
        secret,
        item.span.line,
        context.source_text(item.span),
    )


class BodyLowerer:
    """Lowers the steps of one body (a flow, an action, or an `after call` block) from
    what the checker recorded about it: its flow graph gives every way out of every
    step, its types say which values are dates and times to be said in words."""

    def __init__(self, context: ModuleContext, model: BodyModel) -> None:
        self.context = context
        self.body = model.body
        self.graph = model.graph
        self.types = model.types
        self.exprs = ExpressionLowerer(model.types)
        self.exits: list[StepIR] = []
        self._exit_indexes: dict[object, int] = {}

    def lower(self) -> tuple[tuple[StepIR, ...], tuple[IntentIR, ...]]:
        """The body's step functions (with the exit steps its targets need) and its intents."""
        lowered = [self.lower_step(index, step) for index, step in enumerate(self.body.steps)]
        intents = self.intents()
        lowered += self.exits
        width = max(2, len(str(len(lowered) - 1)))
        after_call = self.body.kind is BodyKind.AFTER_CALL
        steps = tuple(
            replace(
                step,
                function=names.step_function(
                    self.body.name, index, step.kind, width, after_call=after_call
                ),
            )
            for index, step in enumerate(lowered)
        )
        return steps, intents

    def intents(self) -> tuple[IntentIR, ...]:
        """The body's intents that some step hears, each going where its edges go: every
        intent edge of one intent has its target as destination."""
        moves: dict[str, tuple[ast.Intent, MoveIR]] = {}
        for edges in self.graph.successors:
            for edge in edges:
                intent = edge.clause
                if isinstance(intent, ast.Intent) and intent.name.name not in moves:
                    moves[intent.name.name] = (intent, self._move(edge))
        return tuple(
            IntentIR(
                repr(name),
                repr(tuple(phrase.plain_text for phrase in intent.phrases)),
                move,
            )
            for name, (intent, move) in moves.items()
        )

    # ---------------------------------------------------------------- speech

    def speech(self, expr: ast.Expr) -> str:
        """Text for a person (said, or sent as a message): dates and times read naturally.

        A template value whose type is a date, time, datetime, duration or bool, or a
        list, is rendered with `call.spoken` ("Thursday, March 14, 2030 at 2 PM", "5 PM,
        6 PM, and 7 PM", a bool as "yes" or "no"), everything else as in any other text.
        """
        if isinstance(expr, ast.StringLit) and not expr.is_plain:
            parts = [
                repr(part.text) if isinstance(part, ast.TextPart) else self._spoken_value(part.expr)
                for part in expr.parts
            ]
            return f"ops.text({', '.join(parts)})"
        if isinstance(expr, ast.StringLit):
            return self.exprs.lower(expr)
        return f"ops.text({self._spoken_value(expr)})"

    def _spoken_value(self, expr: ast.Expr) -> str:
        said = self._said_type(expr)
        if said in SPOKEN_TYPES or isinstance(said, ListOf):
            return f"call.spoken({self.exprs.lower(expr)}, {_said_shape(said)})"
        return self.exprs.lower(expr)

    def _said_type(self, expr: ast.Expr) -> Type:
        """The type the checker gave the value a person hears; a fallback
        (`{{when ?? "not yet"}}`) is said as its left side is, which the right side
        only stands in for when it is missing."""
        while isinstance(expr, ast.Fallback):
            expr = expr.left
        return self.types[expr]

    # ---------------------------------------------------------------- ways out

    def moves(self, index: int) -> dict[str, MoveIR]:
        """A step's ways out, by the names its macro uses, as the checker's flow graph has
        them; for an event no handler catches, what the step table says happens."""
        moves: dict[str, MoveIR] = {}
        for edge in self.graph.successors[index]:
            name = _move_name(edge)
            if name is not None:
                moves[name] = self._move(edge)
        slot = kind_of(self.body.steps[index]).handler
        if slot is not None and slot.event not in moves:
            moves[slot.event.value] = _unhandled(slot, index)
        return moves

    def _move(self, edge: Edge) -> MoveIR:
        if edge.clause is None:
            # To the next step; or, in `after call`, a failure without a handler going on.
            comment = "next" if edge.kind is EdgeKind.NEXT else "next (logged)"
            return MoveIR(str(edge.destination), comment)
        clause = edge.clause
        target = clause.target if isinstance(clause, ast.Handler | ast.Intent) else clause
        if isinstance(edge.destination, Leave):
            return self.exit_step(target)
        return MoveIR(str(edge.destination), f"-> {target.name.name}")

    def exit_step(self, target: ast.Target) -> MoveIR:
        """The index of a step that leaves the action through the output a target names
        (`-> Fail(reason = "...")`, `on Fail -> Fail`), made on first use."""
        output = target.name.name
        key: object = (output, target.span) if target.args else output
        text = f"-> {self.context.source_text(target.span)}"
        if key not in self._exit_indexes:
            self._exit_indexes[key] = len(self.body.steps) + len(self.exits)
            fields = {"output": repr(output), "fields": self.exprs.args(target.args or ())}
            self.exits.append(_step_ir(EXIT, target.span.line, text, fields, {}))
        return MoveIR(str(self._exit_indexes[key]), text)

    def make(
        self,
        index: int,
        step: ast.Step,
        moves: Mapping[str, MoveIR] | None = None,
        **fields: str,
    ) -> StepIR:
        """The IR of a step: its `fields`, and its moves (by default from the graph)."""
        return _step_ir(
            kind_of(step),
            step.span.line,
            self.context.source_text(step.span),
            fields,
            self.moves(index) if moves is None else moves,
        )

    # ---------------------------------------------------------------- steps

    def lower_step(self, index: int, step: ast.Step) -> StepIR:
        """The step's own clauses as Python expressions, for its macro to place."""
        match step:
            case ast.Talk():
                return self.make(
                    index, step, text=self.speech(step.text),
                    interruptible=repr(step.interruptible),
                )
            case ast.Collect() if step.form is not None:
                form = self._form(step, step.form)
                return self.make(
                    index, step, var=repr(step.var.name), question=form, method="collect_form"
                )
            case ast.Collect():
                question = self._question(step)
                return self.make(
                    index, step, var=repr(step.var.name), question=question, method="collect"
                )
            case ast.Request():
                expect = shape(step.expect) if step.expect is not None else "None"
                return self.make(
                    index, step, var=repr(step.var.name), request=_http_request(step, self.exprs),
                    expect=expect,
                )
            case ast.Run():
                return self._run(index, step)
            case ast.Code():
                return self._code(index, step)
            case ast.Set():
                value = self.exprs.lower(step.value)
                return self.make(index, step, var=repr(step.var.name), value=value)
            case ast.If():
                return self.make(index, step, condition=self.exprs.condition(step.condition))
            case ast.Jump():
                return self.make(index, step)
            case ast.SendSms():
                to = self.exprs.textual(step.to)
                return self.make(index, step, to=to, text=self.speech(step.text))
            case ast.SendEmail():
                return self.make(
                    index, step, to=self.exprs.textual(step.to), subject=self.speech(step.subject),
                    body=self.speech(step.body),
                )
            case ast.Transfer():
                say = self.speech(step.say) if step.say is not None else "None"
                return self.make(index, step, to=self.exprs.textual(step.to), say=say)
            case ast.End():
                text = self.speech(step.text) if step.text is not None else "None"
                return self.make(index, step, text=text)
            case ast.Exit():
                return self.make(
                    index, step, output=repr(step.output.name), fields=self.exprs.args(step.args)
                )

    def _question(self, step: ast.Collect) -> str:
        type_name = step.type.name if isinstance(step.type, ast.NamedType) else "json"
        parts = [repr(type_name), self.speech(step.prompt)]
        if step.reprompt is not None:
            parts.append(f"reprompt={self.speech(step.reprompt)}")
        if isinstance(step.options, ast.ListLit):
            options = ", ".join(self.exprs.textual(item) for item in step.options.items)
            parts.append(f"options=[{options}]")
        elif step.options is not None:
            # A list computed when the step runs: each item as its text.
            parts.append(f"options=ops.options({self.exprs.lower(step.options)})")
        parts += self._waiting(step)
        if step.day_part is not None:
            parts.append(f"day_part={step.day_part.name!r}")
        if step.digits is not None:
            parts.append(f"digits={int(step.digits.value)!r}")
        return f"Question({', '.join(parts)})"

    @staticmethod
    def _waiting(step: ast.Collect) -> list[str]:
        """How often and how long a collect (a single answer or a form) waits for one."""
        parts = []
        if step.attempts is not None:
            parts.append(f"attempts={int(step.attempts.value)!r}")
        if step.timeout is not None:
            parts.append(f"timeout_seconds={step.timeout.milliseconds / 1000!r}")
        return parts

    def _form(self, step: ast.Collect, form: ast.Form) -> str:
        """The `FormQuestion` of a collect of a record: its fields as data, each with its
        prompt; the read-back a function of the variables (the form's own among them)."""
        prompts = {ask.field.name: ask.prompt for ask in form.asks}
        fields = ", ".join(self._form_field(f, prompts[f.name.name]) for f in form.fields)
        parts = [self.speech(step.prompt), f"fields=({fields},)"]
        if step.reprompt is not None:
            parts.append(f"reprompt={self.speech(step.reprompt)}")
        parts += self._waiting(step)
        if form.given is not None:
            parts.append(f"given={self.exprs.lower(form.given)}")
        if form.confirm is not None:
            parts.append(f"confirm=lambda v: {self.speech(form.confirm)}")
        return f"FormQuestion({', '.join(parts)})"

    def _form_field(self, field: ast.FormField, prompt: ast.Expr) -> str:
        type_name = field.type.name if isinstance(field.type, ast.NamedType) else "json"
        parts = [repr(field.name.name), repr(type_name), self.speech(prompt)]
        if field.options is not None:
            options = ", ".join(self.exprs.textual(item) for item in field.options.items)
            parts.append(f"options=[{options}]")
        return f"FormField({', '.join(parts)})"

    def _run(self, index: int, step: ast.Run) -> StepIR:
        # The graph lists a run's edges in the order its action declares the outputs; the
        # generated `returns` keep the order of the run's own `on` clauses, as written.
        moves = self.moves(index)
        returns = {repr(h.event.name): moves[repr(h.event.name)] for h in step.handlers}
        return self.make(
            index,
            step,
            returns,
            action=self.context.action_reference(step),
            var=repr(step.var.name),
            args=self.exprs.args(step.args),
        )

    def _code(self, index: int, step: ast.Code) -> StepIR:
        decl = self.context.model.python_calls.get(step)
        alias = self.context.python_aliases[step.module]
        # The function and its arguments as values, not a call: the runtime makes the
        # call, here or in a worker's activity (flowc_runtime.temporal).
        passed = [_python_callee(step, alias), *_python_arguments(step, decl, self.exprs)]
        return self.make(
            index,
            step,
            var=repr(step.var.name),
            function=repr(f"{step.module}.{step.function.name}"),
            passed=", ".join(passed),
            returns=shape(decl.returns) if decl else "None",
        )


# --------------------------------------------------------------------------
# Step parts


def _step_ir(
    kind: StepKind[Any],
    line: int,
    source_text: str,
    fields: Mapping[str, str],
    moves: Mapping[str, MoveIR],
) -> StepIR:
    """A step function as the step table describes its kind: name, macro, async or not."""
    awaits = kind.waits is not Waits.NOTHING
    return StepIR("", kind.name, kind.template, awaits, line, source_text, fields, moves)


def _move_name(edge: Edge) -> str | None:
    """The name a macro gives the move along an edge; None for an edge that ends the body
    (`end`, a transfer that went through, `exit`), which the macro writes itself."""
    match edge.kind:
        case EdgeKind.NEXT:
            return "next" if isinstance(edge.destination, int) else None
        case EdgeKind.BRANCH | EdgeKind.JUMP:
            return "target"
        case EdgeKind.NO_ANSWER | EdgeKind.ERROR:
            return edge.kind.value
        case EdgeKind.OUTPUT:
            return repr(edge.output.name.name) if edge.output is not None else None
        case EdgeKind.INTENT:
            return None  # the body's intent table holds it (BodyLowerer.intents)


def _unhandled(slot: OnEvent[Any], index: int) -> MoveIR:
    """Where an event goes that no handler catches (the graph has no edge for it)."""
    match slot.unhandled:
        case Unhandled.CONTINUES:
            return MoveIR(str(index + 1), "next (logged)")
        case Unhandled.ENDS_CALL:
            return MoveIR("ENDED", "the call ends")
        case Unhandled.DEFAULT:
            raise AssertionError(f"the checker let through a step with no {slot.event} path")


def _said_shape(said: Type) -> str:
    """The shape `call.spoken` says a value by: a scalar's type name, `[item]` for a list."""
    if isinstance(said, ListOf):
        return f"[{_said_shape(said.element)}]"
    return repr(ty.display(said)) if said in SPOKEN_TYPES else repr("text")


def _http_request(step: ast.Request, exprs: ExpressionLowerer) -> str:
    textual = exprs.textual
    parts = [f"method={step.method.value!r}", f"url={textual(step.url)}"]
    if step.headers:
        parts.append(f"headers={_text_entries(step.headers, exprs)}")
    if step.query:
        parts.append(f"query={_text_entries(step.query, exprs)}")
    if step.body is not None:
        body = ", ".join(f"{textual(e.key)}: {exprs.lower(e.value)}" for e in step.body)
        parts.append(f"body={{{body}}}")
        parts.append("has_body=True")
    if step.timeout is not None:
        parts.append(f"timeout_seconds={step.timeout.milliseconds / 1000!r}")
    if step.retries is not None:
        parts.append(f"retries={int(step.retries.value)!r}")
    return f"HttpRequest({', '.join(parts)})"


def _text_entries(entries: Sequence[ast.Entry], exprs: ExpressionLowerer) -> str:
    pairs = (f"{exprs.textual(e.key)}: {exprs.textual(e.value)}" for e in entries)
    return "{" + ", ".join(pairs) + "}"


def _python_callee(step: ast.Code, alias: str) -> str:
    function = step.function.name
    if function.isidentifier() and names.python_identifier(function) == function:
        return f"{alias}.{function}"
    return f"getattr({alias}, {function!r})"


def _python_arguments(
    step: ast.Code, decl: ast.PythonDecl | None, exprs: ExpressionLowerer
) -> list[str]:
    given = {arg.name.name: arg.value for arg in step.args}
    if decl is None:
        return [exprs.lower(value) for value in given.values()]
    # Positional, in the declared order: a parameter named like a Python
    # keyword (`class`) would not work as a keyword argument.
    return [
        converted(exprs.lower(given[param.name.name]), param.type)
        for param in decl.params
        if param.name.name in given
    ]


# --------------------------------------------------------------------------
# Types


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
