"""Turns an AST back into .flow text, for the parser's round-trip tests.

The text is canonical (one step a line, clauses in the order LANGUAGE.md lists
them, the fewest parentheses that keep the meaning), so parsing it gives the
same AST, spans aside; and for source written in that style it gives back the
same tokens, which shows the AST kept every part of the file.
"""

from __future__ import annotations

from collections.abc import Iterable

from flowc import ast

# Binding strength of each expression form (higher binds tighter), as in grammar/flow.lark.
_OR, _AND, _NOT, _COMPARE, _FALLBACK, _ADD, _MUL, _UNARY, _POSTFIX, _ATOM = range(1, 11)
_ARITH_STRENGTH = {
    ast.ArithOp.ADD: _ADD, ast.ArithOp.SUB: _ADD, ast.ArithOp.MUL: _MUL, ast.ArithOp.DIV: _MUL,
}  # fmt: skip


def unparse(module: ast.Module) -> str:
    return "\n".join(_declaration(d) for d in module.declarations) + "\n"


def _declaration(d: ast.Declaration) -> str:
    match d:
        case ast.FileImport():
            return f"from {string(d.path)} import {_names(d.names)}\n"
        case ast.PackageImport():
            return f"from {d.package} import {_names(d.names)}\n"
        case ast.PythonDecl():
            params = ", ".join(f"{p.name.name}: {type_(p.type)}" for p in d.params)
            return f"python {d.module}.{d.function.name}({params}) -> {type_(d.returns)}\n"
        case ast.Action():
            members = [
                *_meta(d.meta),
                *(_input(i) for i in d.inputs),
                *(_output(o) for o in d.outputs),
                *(_handler(h) for h in d.handlers),
                *(_intent(i) for i in d.intents),
                *_steps(d.steps),
            ]
            return _block(f"action {d.name.name}", members)
        case ast.Flow():
            members = [
                *_meta(d.meta),
                *(_handler(h) for h in d.handlers),
                *(_intent(i) for i in d.intents),
                *_steps(d.steps),
            ]
            if d.after_call is not None:
                members.append(_block("after call", _steps(d.after_call.steps)).rstrip("\n"))
            return _block(f"flow {d.name.name}", members)


def _block(head: str, members: Iterable[str]) -> str:
    body = "".join(_indent(m) for m in members)
    return f"{head} {{\n{body}}}\n"


def _indent(text: str) -> str:
    return "".join(f"  {line}\n" for line in text.splitlines())


def _names(names: Iterable[ast.Ident]) -> str:
    return ", ".join(n.name for n in names)


def _meta(meta: ast.Meta | None) -> list[str]:
    if meta is None:
        return []
    entries = [
        f"{e.key.name}: {string(e.value) if isinstance(e.value, ast.StringLit) else e.value.name}"
        for e in meta.entries
    ]
    return [_block("meta", entries).rstrip("\n")]


def _input(i: ast.Input) -> str:
    text = f"input {i.name.name}: {type_(i.type)}"
    if i.default is not None:
        text += f" = {expr(i.default)}"
    if i.configurable:
        text += " configurable"
        if i.label is not None:
            text += f" {string(i.label)}"
    return text


def _output(o: ast.Output) -> str:
    if not o.fields:
        return f"output {o.name.name}"
    return f"output {o.name.name}({', '.join(_field(f) for f in o.fields)})"


def _field(f: ast.FieldType) -> str:
    return f"{f.name.name}: {type_(f.type)}"


def _handler(h: ast.Handler) -> str:
    return f"on {h.event.name} -> {_target(h.target)}"


def _intent(i: ast.Intent) -> str:
    phrases = ", ".join(string(p) for p in i.phrases)
    return f"on intent {i.name.name} [{phrases}] -> {_target(i.target)}"


def _target(t: ast.Target) -> str:
    return t.name.name if t.args is None else f"{t.name.name}({_args(t.args)})"


def _args(args: Iterable[ast.Arg]) -> str:
    return ", ".join(f"{a.name.name} = {expr(a.value)}" for a in args)


def _entries(entries: Iterable[ast.Entry]) -> str:
    return "{ " + ", ".join(f"{string(e.key)}: {expr(e.value)}" for e in entries) + " }"


# --------------------------------------------------------------------------
# Steps


def _steps(steps: Iterable[ast.Step]) -> list[str]:
    return ["".join(f"{label.name}:\n" for label in s.labels) + _step(s) for s in steps]


def _clauses(head: str, clauses: Iterable[str | None]) -> str:
    return "\n  ".join([head, *(c for c in clauses if c is not None)])


def _on(handler: ast.Handler | None) -> str | None:
    return None if handler is None else _handler(handler)


def _step(s: ast.Step) -> str:
    match s:
        case ast.Talk():
            return f"talk {expr(s.text)}" + ("" if s.interruptible else " uninterruptible")
        case ast.Collect():
            answer = _form_type(s.form) if s.form is not None else type_(s.type)
            head = f"collect {s.var.name}: {answer}"
            if s.options is not None:
                head += f" in {expr(s.options)}"
            return _clauses(
                head,
                [
                    f"prompt {expr(s.prompt)}",
                    s.reprompt and f"reprompt {expr(s.reprompt)}",
                    s.attempts and f"attempts {expr(s.attempts)}",
                    s.timeout and f"timeout {expr(s.timeout)}",
                    s.day_part and f"expect {s.day_part.name}",
                    s.digits and f"expect {expr(s.digits)} digits",
                    *_form_clauses(s.form),
                    _on(s.on_no_answer),
                ],
            )
        case ast.Request():
            return _clauses(
                f"request {s.var.name} = {s.method.value} {expr(s.url)}",
                [
                    f"headers {_entries(s.headers)}" if s.headers else None,
                    f"query {_entries(s.query)}" if s.query else None,
                    f"body {_entries(s.body)}" if s.body is not None else None,
                    s.expect and f"expect {type_(s.expect)}",
                    s.timeout and f"timeout {expr(s.timeout)}",
                    s.retries and f"retries {expr(s.retries)}",
                    _on(s.on_error),
                ],
            )
        case ast.Run():
            head = f"run {s.var.name} = {s.action.name}({_args(s.args)})"
            return _clauses(head, [_handler(h) for h in s.handlers])
        case ast.Code():
            head = f"code {s.var.name} = {s.module}.{s.function.name}({_args(s.args)})"
            return _clauses(head, [_on(s.on_error)])
        case ast.Set():
            return f"set {s.var.name} = {expr(s.value)}"
        case ast.If():
            return f"if {expr(s.condition)} -> {_target(s.target)}"
        case ast.Jump():
            return f"-> {_target(s.target)}"
        case ast.SendSms():
            return _clauses(f"send sms to {expr(s.to)} {expr(s.text)}", [_on(s.on_error)])
        case ast.SendEmail():
            return _clauses(
                f"send email to {expr(s.to)}",
                [f"subject {expr(s.subject)}", f"body {expr(s.body)}", _on(s.on_error)],
            )
        case ast.Transfer():
            say = s.say and f"say {expr(s.say)}"
            return " ".join(filter(None, [f"transfer to {expr(s.to)}", say, _on(s.on_error)]))
        case ast.End():
            return "end" if s.text is None else f"end {string(s.text)}"
        case ast.Exit():
            return f"exit {s.output.name}" + (f"({_args(s.args)})" if s.args else "")


# --------------------------------------------------------------------------
# Types and expressions


def _form_type(form: ast.Form) -> str:
    fields = (
        f"{f.name.name}: {type_(f.type)}" + (f" in {expr(f.options)}" if f.options else "")
        for f in form.fields
    )
    return "{ " + ", ".join(fields) + " }"


def _form_clauses(form: ast.Form | None) -> list[str | None]:
    if form is None:
        return []
    asks: list[str | None] = [f"ask {a.field.name} {expr(a.prompt)}" for a in form.asks]
    return [
        *asks,
        form.given and f"given {expr(form.given)}",
        form.confirm and f"confirm {expr(form.confirm)}",
    ]


def type_(t: ast.TypeExpr) -> str:
    match t:
        case ast.NamedType():
            return t.name
        case ast.ListType():
            return f"list[{type_(t.element)}]"
        case ast.RecordType():
            return "{ " + ", ".join(_field(f) for f in t.fields) + " }"


def expr(e: ast.Expr, context: int = 0) -> str:
    text, strength = _expr(e)
    return f"({text})" if strength < context else text


def _expr(e: ast.Expr) -> tuple[str, int]:
    match e:
        case ast.StringLit():
            return string(e), _ATOM
        case ast.NumberLit():
            # `-1` is read as a minus before 1, folded into the literal.
            return str(e.value), (_UNARY if e.value < 0 else _ATOM)
        case ast.MomentLit():
            return e.iso, _ATOM
        case ast.Clock():
            return e.word.value, _ATOM
        case ast.BoolLit():
            return ("true" if e.value else "false"), _ATOM
        case ast.DurationLit():
            return _duration(e.milliseconds), _ATOM
        case ast.ListLit():
            return "[" + ", ".join(expr(i) for i in e.items) + "]", _ATOM
        case ast.RecordLit():
            fields = ", ".join(f"{f.name.name}: {expr(f.value)}" for f in e.fields)
            return "{" + fields + "}", _ATOM
        case ast.FunctionCall():
            return f"{e.function.name}({', '.join(expr(a) for a in e.args)})", _ATOM
        case ast.Name():
            return e.ident.name, _ATOM
        case ast.EnvRef():
            suffix = "" if e.as_type is None else f" as {type_(e.as_type)}"
            # A typed `env(...) as T` is a `??` operand, not a postfix one.
            return f'env("{e.variable}"){suffix}', (_ATOM if e.as_type is None else _FALLBACK)
        case ast.Formatted():
            return f"{expr(e.value, _ADD)} as {e.format.name}", _FALLBACK
        case ast.FieldAccess():
            return f"{expr(e.target, _POSTFIX)}.{e.field.name}", _POSTFIX
        case ast.IndexAccess():
            return f"{expr(e.target, _POSTFIX)}[{expr(e.index)}]", _POSTFIX
        case ast.Negative():
            return f"-{expr(e.operand, _UNARY)}", _UNARY
        case ast.Arithmetic():
            strength = _ARITH_STRENGTH[e.op]
            left, right = expr(e.left, strength), expr(e.right, strength + 1)
            return f"{left} {e.op.value} {right}", strength
        case ast.Fallback():
            return f"{expr(e.left, _FALLBACK)} ?? {expr(e.right, _ADD)}", _FALLBACK
        case ast.Compare():
            right = expr(e.right, _FALLBACK)
            return f"{expr(e.left, _FALLBACK)} {e.op.value} {right}", _COMPARE
        case ast.Not():
            return f"not {expr(e.operand, _NOT)}", _NOT
        case ast.Logic():
            strength = _OR if e.op is ast.LogicOp.OR else _AND
            left, right = expr(e.left, strength), expr(e.right, strength + 1)
            return f"{left} {e.op.value} {right}", strength


def _duration(milliseconds: int) -> str:
    if milliseconds and milliseconds % 60_000 == 0:
        return f"{milliseconds // 60_000}m"
    if milliseconds and milliseconds % 1000 == 0:
        return f"{milliseconds // 1000}s"
    return f"{milliseconds}ms"


def string(s: ast.StringLit) -> str:
    pieces: list[str] = []
    for index, part in enumerate(s.parts):
        if isinstance(part, ast.TemplatePart):
            pieces.append("{{" + expr(part.expr) + "}}")
            continue
        before_template = index + 1 < len(s.parts) and isinstance(
            s.parts[index + 1], ast.TemplatePart
        )
        pieces.append(_escape(part.text, before_template))
    return '"' + "".join(pieces) + '"'


def _escape(text: str, before_template: bool) -> str:
    out = []
    for i, char in enumerate(text):
        following = text[i + 1] if i + 1 < len(text) else ("{" if before_template else "")
        if char == "{" and following == "{":
            out.append("\\{")
        else:
            out.append({'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t"}.get(char, char))
    return "".join(out)
