"""Completion by position, and signature help in the arguments of a `run`.

What fits where is read from the text before the cursor (the line being typed
seldom parses) and from the last analysis in which the document parsed: the
body around the cursor gives the variables in scope with their types, the
labels to jump to and, after a `run`, the outputs its action has that no
`on Out ->` connects yet, offered one by one and all together as one snippet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lsprotocol import types

from . import ast
from . import types as ty
from .graph import BodyKind
from .lsp_analysis import Analysis, Place
from .lsp_positions import Point
from .steps import STEP_KINDS

DECLARATION_KEYWORDS = ("flow", "action", "from", "python")
# Clauses a step takes on the lines below it (docs/language.md).
CLAUSE_KEYWORDS = (
    "prompt",
    "reprompt",
    "attempts",
    "timeout",
    "headers",
    "query",
    "body",
    "expect",
    "retries",
    "say",
    "subject",
    "uninterruptible",
    "on no_answer ->",
    "on error ->",
)
# The clauses only a collect of a record takes (a form: docs/language.md, "Forms").
FORM_CLAUSE_KEYWORDS = ("ask", "given", "confirm")
EVENTS = ("no_answer", "error")
# After `on ` at the top of a body: a global intent (`on intent NAME [...] -> T`).
INTENT_KEYWORD = "intent"

_JUMP = re.compile(r"->\s*\w*$")
_RUN_ACTION = re.compile(r"\brun\s+\w+\s*=\s*\w*$")
_FIELD = re.compile(r"\b(\w+)\.\w*$")
_TEMPLATE = re.compile(r"\{\{[^}]*$")
_EXPRESSION = re.compile(
    r"(\bif\s|\bset\s+\w+\s*=|\(|,|=|==|!=|\band\b|\bor\b|\bnot\b|\?\?)\s*\w*$"
)
_CLAUSE_START = re.compile(r"^\s*(on\s+)?\w*$")
_ASK_FIELD = re.compile(r"^\s*ask\s+\w*$")
_RUN_OPEN = re.compile(r"\brun\s+\w+\s*=\s*(\w+)\s*\(")
# In a run's arguments, where the next argument's name goes: `Ask(`, `Ask(a = 1, q`.
_ARGUMENT_NAME = re.compile(r"\brun\s+\w+\s*=\s*(\w+)\s*\(([^()]*?,)?\s*\w*$")


def complete(analysis: Analysis | None, prefix: str, point: Point) -> list[types.CompletionItem]:
    """What can be written at the cursor; `prefix` is its line up to the cursor."""
    place = analysis.place(point) if analysis else None
    if analysis is None or place is None or place.body is None:  # outside every flow and action
        return _keywords(DECLARATION_KEYWORDS) if re.fullmatch(r"\w*", prefix) else []
    if _JUMP.search(prefix):
        return _labels(place)
    if _RUN_ACTION.search(prefix):
        return _actions(analysis)
    argument = _ARGUMENT_NAME.search(prefix)
    if argument:
        return _inputs(analysis, argument.group(1), prefix[argument.start() :])
    field = _FIELD.search(prefix)
    if field and (_TEMPLATE.search(prefix) or _EXPRESSION.search(prefix[: field.start()])):
        return _fields(place, field.group(1))
    if _TEMPLATE.search(prefix) or _EXPRESSION.search(prefix):
        return _variables(place)
    form = _form_above(place)
    if form is not None and _ASK_FIELD.match(prefix):
        return _form_fields(form)
    clause = _CLAUSE_START.match(prefix)
    if clause is None:
        return []
    outputs = _unconnected_outputs(analysis, place)
    if clause.group(1):  # `on ` typed: the events this step can take, or an intent
        return outputs or _keywords((*EVENTS, INTENT_KEYWORD) if _at_top(place) else EVENTS)
    steps = [k.keyword for k in STEP_KINDS if k.keyword != "exit" or _in_action(place)]
    form_clauses = FORM_CLAUSE_KEYWORDS if form is not None else ()
    return outputs + _keywords((*steps, *CLAUSE_KEYWORDS, *form_clauses))


def _at_top(place: Place) -> bool:
    """Before the first step of a flow or an action, where its default handlers and
    intents are declared (an `on` after a step is that step's clause)."""
    assert place.body is not None
    return place.step is None and place.body.body.kind is not BodyKind.AFTER_CALL


def _form_above(place: Place) -> ast.Form | None:
    """The form of the collect the cursor is in or just after: its clauses may follow."""
    return place.step.form if isinstance(place.step, ast.Collect) else None


def _form_fields(form: ast.Form) -> list[types.CompletionItem]:
    """After `ask `: the form's fields, those without a prompt yet first."""
    asked = {ask.field.name for ask in form.asks}
    fields = sorted(form.fields, key=lambda field: field.name.name in asked)
    return [
        types.CompletionItem(
            label=field.name.name,
            kind=types.CompletionItemKind.Field,
            detail=ty.display(ty.from_syntax(field.type)),
        )
        for field in fields
    ]


def without_snippets(item: types.CompletionItem) -> types.CompletionItem:
    """The item for a client that takes no snippets: its placeholders' text, plainly."""
    if item.insert_text_format != types.InsertTextFormat.Snippet or item.insert_text is None:
        return item
    text = re.sub(r"\$\{\d+:([^}]*)\}", r"\1", item.insert_text)
    item.insert_text = re.sub(r"\$\d+", "", text)
    item.insert_text_format = types.InsertTextFormat.PlainText
    return item


def _keywords(words: tuple[str, ...] | list[str]) -> list[types.CompletionItem]:
    return [types.CompletionItem(label=w, kind=types.CompletionItemKind.Keyword) for w in words]


def _in_action(place: Place) -> bool:
    return isinstance(place.declaration, ast.Action)


def _labels(place: Place) -> list[types.CompletionItem]:
    assert place.body is not None
    items = [
        types.CompletionItem(label=name, kind=types.CompletionItemKind.Reference, detail="label")
        for name in place.body.graph.labels
    ]
    if isinstance(place.declaration, ast.Action):
        items += [
            types.CompletionItem(
                label=o.name.name, kind=types.CompletionItemKind.Event, detail="output"
            )
            for o in place.declaration.outputs
        ]
    return items


def actions_in_scope(analysis: Analysis) -> dict[str, ast.Action]:
    """The actions the document can run: its own and those it imports, by name."""
    program = analysis.result.program
    module = analysis.module()
    if module is None:
        return {}
    found = {a.name.name: a for a in module.actions}
    for imp in module.imports:
        wanted = {n.name for n in imp.names}
        for target in program.import_targets.get(imp, ()):
            imported = program.modules.get(target)
            found |= (
                {a.name.name: a for a in imported.actions if a.name.name in wanted}
                if imported
                else {}
            )
    return found


def _actions(analysis: Analysis) -> list[types.CompletionItem]:
    return [
        types.CompletionItem(
            label=name,
            kind=types.CompletionItemKind.Function,
            detail=signature_label(action),
            insert_text=f"{name}($1)",
            insert_text_format=types.InsertTextFormat.Snippet,
        )
        for name, action in actions_in_scope(analysis).items()
    ]


def _inputs(analysis: Analysis, action_name: str, run_text: str) -> list[types.CompletionItem]:
    """The inputs of the action a `run` uses that its arguments do not name yet."""
    action = actions_in_scope(analysis).get(action_name)
    if action is None:
        return []
    given = set(re.findall(r"(\w+)\s*=", run_text.partition("(")[2]))
    return [
        types.CompletionItem(
            label=item.name.name,
            kind=types.CompletionItemKind.Property,
            detail=ty.display(ty.from_syntax(item.type)),
            insert_text=f"{item.name.name} = ",
        )
        for item in action.inputs
        if item.name.name not in given
    ]


def _variables(place: Place) -> list[types.CompletionItem]:
    assert place.body is not None
    return [
        types.CompletionItem(
            label=name, kind=types.CompletionItemKind.Variable, detail=ty.display(variable.type)
        )
        for name, variable in place.body.variables.items()
    ]


def _fields(place: Place, name: str) -> list[types.CompletionItem]:
    assert place.body is not None
    variable = place.body.variables.get(name)
    if variable is None:
        return []
    t = variable.type
    if not isinstance(t, ty.RunResult | ty.Record):
        return []
    names = t.field_names if isinstance(t, ty.RunResult) else tuple(f for f, _ in t.fields)
    return [
        types.CompletionItem(
            label=field,
            kind=types.CompletionItemKind.Field,
            detail=ty.display(t.field(field) or ty.JSON),
        )
        for field in names
    ]


def _unconnected_outputs(analysis: Analysis, place: Place) -> list[types.CompletionItem]:
    """After a `run` (or inside it): each output no handler takes, and one snippet for all."""
    run = place.step
    if not isinstance(run, ast.Run):
        return []
    ref = analysis.result.model.run_actions.get(run)
    if ref is None:
        return []
    taken = {h.event.name for h in run.handlers}
    missing = [o.name.name for o in ref.action.outputs if o.name.name not in taken]
    items = [
        types.CompletionItem(
            label=f"on {name} ->",
            kind=types.CompletionItemKind.Event,
            detail=f"output of {ref.name}",
            insert_text=f"on {name} -> ${{1:{_label_for(name)}}}",
            insert_text_format=types.InsertTextFormat.Snippet,
        )
        for name in missing
    ]
    if len(missing) > 1:
        indent = " " * (run.span.column + 1)
        clauses = [f"on {name} -> ${{{i}:{_label_for(name)}}}" for i, name in enumerate(missing, 1)]
        items.insert(
            0,
            types.CompletionItem(
                label="on ... -> (every output not connected)",
                kind=types.CompletionItemKind.Snippet,
                detail=", ".join(missing),
                insert_text=f"\n{indent}".join(clauses),
                insert_text_format=types.InsertTextFormat.Snippet,
                sort_text="0",
            ),
        )
    return items


def _label_for(output: str) -> str:
    """`NotInterested` -> `not_interested`, the label a handler of it would go to."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", output).lower()


# --------------------------------------------------------------------------
# Signature help


def signature_label(action: ast.Action) -> str:
    return f"{action.name.name}({', '.join(_parameters(action))})"


def _parameters(action: ast.Action) -> Iterator[str]:
    for item in action.inputs:
        text = f"{item.name.name}: {ty.display(ty.from_syntax(item.type))}"
        yield text + (" = ..." if item.default is not None else "")


def signature_help(analysis: Analysis | None, before: str) -> types.SignatureHelp | None:
    """The inputs of the action whose `run` arguments the cursor is in; `before` is the
    document's text up to the cursor."""
    openings = list(_RUN_OPEN.finditer(before))
    opening = openings[-1] if openings else None
    if opening is None or analysis is None:
        return None
    arguments = before[opening.end() :]
    if arguments.count("(") < arguments.count(")"):
        return None  # the argument list is closed: the cursor is past it
    action = actions_in_scope(analysis).get(opening.group(1))
    if action is None:
        return None
    parameters = list(_parameters(action))
    return types.SignatureHelp(
        signatures=[
            types.SignatureInformation(
                label=signature_label(action),
                parameters=[types.ParameterInformation(label=p) for p in parameters],
            )
        ],
        active_signature=0,
        active_parameter=_active_parameter(action, arguments),
    )


def _active_parameter(action: ast.Action, arguments: str) -> int:
    """The input being written: the one named before `=`, else the one at that position."""
    current = arguments.split(",")[-1]
    named = re.match(r"\s*(\w+)\s*=", current)
    names = [item.name.name for item in action.inputs]
    if named and named.group(1) in names:
        return names.index(named.group(1))
    return min(arguments.count(","), max(len(names) - 1, 0))
