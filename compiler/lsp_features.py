"""What the editor asks about the code: hover, the outline, folding and semantic tokens.

Everything is read from an analysis: the index (lsp_index.py) for names, the
model for types, the AST for spans. Go to definition, references and rename
are in the server (lsp.py), which sees the analyses of every open document.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from lsprotocol import types

from . import ast
from . import types as ty
from .checker.model import Variable
from .lsp_analysis import Analysis
from .lsp_index import Index, Occurrence, Symbol, SymbolKind
from .lsp_parsing import subtrees
from .lsp_positions import Point, Ranges, contains
from .resolve import ActionRef
from .source import Span
from .steps import VariableKind, kind_of

# The scalar types, for hover over a type's name.
TYPE_DOCS = {
    "text": "any text the caller says or the flow builds",
    "number": "a whole or decimal number",
    "bool": "yes or no (`true` / `false`)",
    "date": "a calendar day",
    "time": "a time of day",
    "datetime": "a day and a time",
    "phone": "a phone number (E.164); fits where text is expected",
    "email": "an email address; fits where text is expected",
    "secret": "a value never spoken, sent or logged (an API key)",
    "json": "data of undeclared shape, checked where it is used",
}

_SET_BY = {
    VariableKind.INPUT: "an input",
    VariableKind.COLLECT: "collected from the caller",
    VariableKind.REQUEST: "the answer of a request",
    VariableKind.RUN: "the result of a run",
    VariableKind.CODE: "returned by a Python function",
    VariableKind.SET: "set",
}


# --------------------------------------------------------------------------
# Hover


def hover(analysis: Analysis, point: Point) -> tuple[str, Span] | None:
    """Markdown about the name or type under the cursor, and the span it covers."""
    occurrence = analysis.index.at(analysis.path, point)
    if occurrence is not None:
        text = describe(analysis, occurrence.symbol)
        return (text, occurrence.span) if text else None
    module = analysis.module()
    field = _form_field_at(module, point) if module else None
    if field is not None:
        collect, declared, span = field
        return _describe_form_field(collect, declared), span
    intent = _intent_at(module, point) if module else None
    if intent is not None:
        body, heard = intent
        return _describe_intent(body, heard), heard.name.span
    named = (
        next((t for t in type_names(module) if contains(t.span, point)), None) if module else None
    )
    if named is not None:
        return f"```flow\n{named.name}\n```\n\n{TYPE_DOCS.get(named.name, '')}", named.span
    return None


def describe(analysis: Analysis, symbol: Symbol) -> str | None:
    index = analysis.index
    match symbol.kind:
        case SymbolKind.VARIABLE:
            variable = index.variables.get(symbol)
            return _describe_variable(variable) if variable else None
        case SymbolKind.ACTION:
            return _describe_action(analysis, index.actions[symbol])
        case SymbolKind.OUTPUT:
            action, output = index.outputs[symbol]
            return (
                _code(_output_line(analysis, output))
                + f"\n\nan output of action `{action.name.name}`"
            )
        case SymbolKind.LABEL:
            return _describe_label(index, symbol)
        case SymbolKind.PYTHON:
            return _code(_python_line(analysis, index.pythons[symbol]))
        case SymbolKind.FLOW:
            flow = index.flows[symbol]
            return _code(f"flow {flow.name.name}") + _meta_lines(flow.meta)


def _form_field_at(
    module: ast.Module, point: Point
) -> tuple[ast.Collect, ast.FormField, Span] | None:
    """The field of a form under the cursor: where the record declares it, in an `ask` or a
    `given {...}` of the collect, or read as `order.size` in the body of the collect."""
    declaration = next((d for d in module.declarations if contains(d.span, point)), None)
    if not isinstance(declaration, ast.Action | ast.Flow):
        return None
    collects = [
        s for s in subtrees(declaration) if isinstance(s, ast.Collect) and s.form is not None
    ]
    for collect in collects:
        assert collect.form is not None
        fields = {field.name.name: field for field in collect.form.fields}
        for name in _form_field_names(collect.form):
            if contains(name.span, point) and name.name in fields:
                return collect, fields[name.name], name.span
    for node in subtrees(declaration):
        if not (isinstance(node, ast.FieldAccess) and isinstance(node.target, ast.Name)):
            continue
        if not contains(node.field.span, point):
            continue
        for collect in collects:
            assert collect.form is not None
            if collect.var.name == node.target.ident.name:
                found = next(
                    (f for f in collect.form.fields if f.name.name == node.field.name), None
                )
                return (collect, found, node.field.span) if found else None
    return None


def _intent_at(
    module: ast.Module, point: Point
) -> tuple[ast.Action | ast.Flow, ast.Intent] | None:
    """The global intent whose name is under the cursor, with the body declaring it."""
    for declaration in module.declarations:
        if isinstance(declaration, ast.Action | ast.Flow):
            for intent in declaration.intents:
                if contains(intent.name.span, point):
                    return declaration, intent
    return None


def _describe_intent(body: ast.Action | ast.Flow, intent: ast.Intent) -> str:
    phrases = ", ".join(f'"{phrase.plain_text}"' for phrase in intent.phrases)
    kind = "action" if isinstance(body, ast.Action) else "flow"
    where = "every collect of the action and of the actions it runs" if kind == "action" else (
        "every collect of the flow and of the actions it runs (unless one has an intent of "
        "the same name)")
    return (
        _code(f"on intent {intent.name.name} [{phrases}] -> {intent.target.name.name}")
        + f"\n\na global intent of {kind} `{body.name.name}`, heard at {where}"
    )


def _form_field_names(form: ast.Form) -> Iterator[ast.Ident]:
    yield from (field.name for field in form.fields)
    yield from (ask.field for ask in form.asks)
    if isinstance(form.given, ast.RecordLit):
        yield from (given.name for given in form.given.fields)


def _describe_form_field(collect: ast.Collect, field: ast.FormField) -> str:
    shown = ty.display(ty.from_syntax(field.type))
    if field.options is not None:
        options = [i for i in field.options.items if isinstance(i, ast.StringLit) and i.is_plain]
        shown += " in [" + ", ".join(f'"{option.plain_text}"' for option in options) + "]"
    lines = [f"a field of the form 'collect {collect.var.name}', line {collect.span.line}"]
    assert collect.form is not None
    ask = next((a for a in collect.form.asks if a.field.name == field.name.name), None)
    if ask is not None and isinstance(ask.prompt, ast.StringLit) and ask.prompt.is_plain:
        lines.append(f'asked "{ask.prompt.plain_text}" when missing')
    return _code(f"{collect.var.name}.{field.name.name}: {shown}") + "\n\n" + "; ".join(lines)


def _describe_variable(variable: Variable) -> str:
    shown = _type_text(variable.type)
    where = f"{_SET_BY[variable.kind]}, line {variable.span.line}"
    return _code(f"{variable.name}: {shown}") + f"\n\n{where}"


def _type_text(t: ty.Type) -> str:
    if isinstance(t, ty.RunResult):
        outputs = " | ".join(
            f"{name}({', '.join(f'{f}: {ty.display(ft)}' for f, ft in record.fields)})"
            if record.fields
            else name
            for name, record in t.outputs
        )
        return f"{t.action} -> {outputs}"
    return ty.display(t)


def _describe_action(analysis: Analysis, ref: ActionRef) -> str:
    action = ref.action
    lines = [f"action {action.name.name}"]
    lines += [f"  {_input_line(analysis, i)}" for i in action.inputs]
    lines += [f"  {_output_line(analysis, o)}" for o in action.outputs]
    where = "" if ref.module == analysis.path else f"\n\nfrom `{ref.module}`"
    return _code("\n".join(lines)) + _meta_lines(action.meta) + where


def _input_line(analysis: Analysis, item: ast.Input) -> str:
    line = f"input {item.name.name}: {_source(analysis, item.type.span)}"
    if item.default is not None:
        line += f" = {_source(analysis, item.default.span)}"
    return line


def _output_line(analysis: Analysis, output: ast.Output) -> str:
    if not output.fields:
        return f"output {output.name.name}"
    fields = ", ".join(f"{f.name.name}: {_source(analysis, f.type.span)}" for f in output.fields)
    return f"output {output.name.name}({fields})"


def _python_line(analysis: Analysis, decl: ast.PythonDecl) -> str:
    params = ", ".join(f"{p.name.name}: {_source(analysis, p.type.span)}" for p in decl.params)
    returns = _source(analysis, decl.returns.span)
    return f"python {decl.module}.{decl.function.name}({params}) -> {returns}"


def _describe_label(index: Index, symbol: Symbol) -> str:
    uses = [o for o in index.occurrences_of(symbol) if not o.is_declaration]
    lines = ", ".join(str(o.span.line) for o in uses)
    plural = "s" * (len(uses) != 1)
    used = f"{len(uses)} use{plural}" + (f" (line{plural} {lines})" if uses else "")
    return _code(f"{symbol.name}:") + f"\n\na label of {index.label_bodies[symbol]}: {used}"


def _meta_lines(meta: ast.Meta | None) -> str:
    if meta is None:
        return ""
    entries = [
        f"- {e.key.name}: "
        + (e.value.plain_text if isinstance(e.value, ast.StringLit) else e.value.name)
        for e in meta.entries
    ]
    return "\n\n" + "\n".join(entries)


def _code(text: str) -> str:
    return f"```flow\n{text}\n```"


def _source(analysis: Analysis, span: Span) -> str:
    """The source text of a span (its first line, for one that runs over several)."""
    source = analysis.result.sources.get(span.file)
    if source is None:
        return ""
    line = source.line_text(span.line)
    end = span.end_column - 1 if span.end_line == span.line else len(line)
    return line[span.column - 1 : end]


def type_names(module: ast.Module) -> Iterator[ast.NamedType]:
    """Every scalar type written in the module: in declarations, steps and expressions."""
    return (node for node in subtrees(module) if isinstance(node, ast.NamedType))


def _all_steps(decl: ast.Action | ast.Flow) -> tuple[ast.Step, ...]:
    if isinstance(decl, ast.Flow) and decl.after_call is not None:
        return decl.steps + decl.after_call.steps
    return decl.steps


# --------------------------------------------------------------------------
# Outline and folding


def document_symbols(module: ast.Module, ranges: Ranges) -> list[types.DocumentSymbol]:
    symbols = []
    for decl in module.declarations:
        match decl:
            case ast.FileImport() | ast.PackageImport():
                name = decl.path.plain_text if isinstance(decl, ast.FileImport) else decl.package
                detail = "import " + ", ".join(n.name for n in decl.names)
                symbols.append(
                    _symbol(name, detail, types.SymbolKind.Module, decl.span, decl.span, ranges)
                )
            case ast.PythonDecl():
                name = f"{decl.module}.{decl.function.name}"
                symbols.append(
                    _symbol(
                        name,
                        "python",
                        types.SymbolKind.Function,
                        decl.span,
                        decl.function.span,
                        ranges,
                    )
                )
            case ast.Action() | ast.Flow():
                symbols.append(_body_symbol(decl, ranges))
    return symbols


def _body_symbol(decl: ast.Action | ast.Flow, ranges: Ranges) -> types.DocumentSymbol:
    children = []
    if isinstance(decl, ast.Action):
        children += [
            _symbol(i.name.name, "input", types.SymbolKind.Field, i.span, i.name.span, ranges)
            for i in decl.inputs
        ]
        children += [
            _symbol(o.name.name, "output", types.SymbolKind.Event, o.span, o.name.span, ranges)
            for o in decl.outputs
        ]
    children += _label_symbols(decl.steps, ranges)
    if isinstance(decl, ast.Flow) and decl.after_call is not None:
        after = decl.after_call
        first_line = Span(
            after.span.file,
            after.span.line,
            after.span.column,
            after.span.line,
            after.span.column + len("after call"),
        )
        children.append(
            _symbol(
                "after call",
                None,
                types.SymbolKind.Namespace,
                after.span,
                first_line,
                ranges,
                _label_symbols(after.steps, ranges),
            )
        )
    kind = types.SymbolKind.Function if isinstance(decl, ast.Action) else types.SymbolKind.Class
    what = "action" if isinstance(decl, ast.Action) else "flow"
    return _symbol(decl.name.name, what, kind, decl.span, decl.name.span, ranges, children)


def _label_symbols(steps: Sequence[ast.Step], ranges: Ranges) -> list[types.DocumentSymbol]:
    return [
        _symbol(
            label.name,
            kind_of(step).keyword,
            types.SymbolKind.Key,
            label.span.cover(step.span),
            label.span,
            ranges,
        )
        for step in steps
        for label in step.labels
    ]


def _symbol(
    name: str,
    detail: str | None,
    kind: types.SymbolKind,
    whole: Span,
    selection: Span,
    ranges: Ranges,
    children: list[types.DocumentSymbol] | None = None,
) -> types.DocumentSymbol:
    return types.DocumentSymbol(
        name=name,
        detail=detail,
        kind=kind,
        range=ranges(whole),
        selection_range=ranges(selection),
        children=children or None,
    )


def folding_ranges(module: ast.Module, lines: Sequence[str]) -> list[types.FoldingRange]:
    """Declarations, meta and `after call` blocks, steps over several lines, runs of
    comments and of imports. A block folds up to its closing brace, which stays in view."""
    folds: list[types.FoldingRange] = []

    def fold(span: Span, keep_last: bool, kind: types.FoldingRangeKind | None = None) -> None:
        last = span.end_line - (2 if keep_last else 1)  # 0-based
        if last > span.line - 1:
            folds.append(types.FoldingRange(start_line=span.line - 1, end_line=last, kind=kind))

    for decl in module.declarations:
        if isinstance(decl, ast.Action | ast.Flow):
            fold(decl.span, keep_last=True)
            if decl.meta is not None:
                fold(decl.meta.span, keep_last=True)
            if isinstance(decl, ast.Flow) and decl.after_call is not None:
                fold(decl.after_call.span, keep_last=True)
            for step in _all_steps(decl):
                fold(step.span, keep_last=False)
    imports = [d.span for d in module.imports]
    for span in _runs([s.line for s in imports]):
        fold(_lines_span(module.path, *span), keep_last=False, kind=types.FoldingRangeKind.Imports)
    comments = [i + 1 for i, line in enumerate(lines) if line.lstrip().startswith("#")]
    for span in _runs(comments):
        fold(_lines_span(module.path, *span), keep_last=False, kind=types.FoldingRangeKind.Comment)
    return sorted(folds, key=lambda f: (f.start_line, f.end_line))


def _runs(line_numbers: list[int]) -> Iterator[tuple[int, int]]:
    """Consecutive line numbers grouped: (first, last) of each run of two or more."""
    start = previous = None
    for line in [*line_numbers, None]:
        if line is not None and previous is not None and line == previous + 1:
            previous = line
            continue
        if start is not None and previous is not None and previous > start:
            yield start, previous
        start = previous = line


def _lines_span(path: str, first: int, last: int) -> Span:
    return Span(path, first, 1, last, 1)


# --------------------------------------------------------------------------
# Semantic tokens

TOKEN_TYPES = [
    types.SemanticTokenTypes.Function,
    types.SemanticTokenTypes.Class,
    types.SemanticTokenTypes.Label,
    types.SemanticTokenTypes.Variable,
    types.SemanticTokenTypes.Parameter,
    types.SemanticTokenTypes.Event,
    types.SemanticTokenTypes.Type,
]
TOKEN_MODIFIERS = [types.SemanticTokenModifiers.Declaration]
LEGEND = types.SemanticTokensLegend(
    token_types=[str(t.value) for t in TOKEN_TYPES],
    token_modifiers=[str(m.value) for m in TOKEN_MODIFIERS],
)
_TOKEN_OF_KIND = {
    SymbolKind.ACTION: types.SemanticTokenTypes.Function,
    SymbolKind.PYTHON: types.SemanticTokenTypes.Function,
    SymbolKind.FLOW: types.SemanticTokenTypes.Class,
    SymbolKind.LABEL: types.SemanticTokenTypes.Label,
    SymbolKind.VARIABLE: types.SemanticTokenTypes.Variable,
    SymbolKind.OUTPUT: types.SemanticTokenTypes.Event,
}


def semantic_tokens(analysis: Analysis, ranges: Ranges) -> list[int]:
    """The names of the document (what the checker resolved) and its types, LSP-encoded:
    five integers per token, each position relative to the token before."""
    tokens: list[tuple[int, int, int, int, int]] = []
    for occurrence in analysis.index.by_file.get(analysis.path, []):
        kind = _token_type(analysis, occurrence)
        tokens.append(_token(occurrence.span, kind, occurrence.is_declaration, ranges))
    module = analysis.module()
    if module is not None:
        tokens += (
            _token(t.span, types.SemanticTokenTypes.Type, False, ranges) for t in type_names(module)
        )
    data: list[int] = []
    line = character = 0
    for token_line, start, length, kind_index, modifiers in sorted(set(tokens)):
        delta_start = start - character if token_line == line else start
        data += [token_line - line, delta_start, length, kind_index, modifiers]
        line, character = token_line, start
    return data


def _token_type(analysis: Analysis, occurrence: Occurrence) -> types.SemanticTokenTypes:
    variable = analysis.index.variables.get(occurrence.symbol)
    if occurrence.symbol.kind is SymbolKind.VARIABLE and (
        variable is None or variable.kind is VariableKind.INPUT
    ):
        return types.SemanticTokenTypes.Parameter
    return _TOKEN_OF_KIND[occurrence.symbol.kind]


def _token(
    span: Span, kind: types.SemanticTokenTypes, declaration: bool, ranges: Ranges
) -> tuple[int, int, int, int, int]:
    where = ranges(span)
    length = where.end.character - where.start.character
    return (
        where.start.line,
        where.start.character,
        length,
        TOKEN_TYPES.index(kind),
        int(declaration),
    )
