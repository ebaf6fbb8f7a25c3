"""`python` declarations against the Python functions they declare, read without running them.

The module of a declaration is looked for where `flowc run` finds it: beside the
`.flow` file (the declaring file's folder, then an entry file's folder, which
`flowc run` puts on sys.path), else among installed modules by
`importlib.util.find_spec` of its top-level name, which imports nothing. Its
source is parsed with the stdlib `ast`, never imported. What is checked, at the
declaration's line:

- the module exists (E0115) and its source parses (E0117);
- the function is defined at the module's top level (E0116);
- the parameters match (E0530): the generated code passes the declared
  parameters positionally, in the declared order;
- annotations do not contradict the declared types (E0531), by the table of
  docs/language.md; an annotation outside the table is not checked.

A module installed without source to read (a builtin, a compiled extension) is
not checked, nor is a function whose module binds names the checker cannot see
(`from x import *`, a module `__getattr__`), nor a name bound other than by `def`.
"""

from __future__ import annotations

import ast as pyast
import importlib.util
import keyword
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from .. import ast, codes
from .. import types as ty
from ..diagnostics import (
    Applicability,
    Diagnostic,
    Edit,
    Fix,
    Note,
    did_you_mean,
    error,
    rename_fix,
)
from ..source import Span

__all__ = ["PythonSources", "check_python_decls"]


@dataclass(frozen=True, slots=True)
class _Parsed:
    path: str
    tree: pyast.Module


@dataclass(frozen=True, slots=True)
class _Unparsable:
    path: str
    reason: str


class _Missing:
    """Neither beside the flow nor installed."""


class _Unchecked:
    """Installed, with no source to read."""


_Found = _Parsed | _Unparsable | _Missing | _Unchecked


class PythonSources:
    """Finds and parses Python modules once per analysis, for every file that declares them."""

    def __init__(self, entry_folders: Iterable[str]) -> None:
        self._entry_folders = tuple(dict.fromkeys(entry_folders))
        self._parsed: dict[str, _Parsed | _Unparsable] = {}

    def find(self, module: str, flow_file: str) -> _Found:
        parts = module.split(".")
        folders = dict.fromkeys((os.path.dirname(flow_file), *self._entry_folders))
        for folder in folders:
            top = os.path.join(folder, parts[0])
            if os.path.isdir(top) or os.path.isfile(top + ".py"):
                path = _source_in([folder], parts)
                return self._parse(path) if path is not None else _Missing()
        try:
            spec = importlib.util.find_spec(parts[0])
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            return _Missing()
        if len(parts) == 1:
            origin = spec.origin
            if origin is not None and origin.endswith(".py") and os.path.isfile(origin):
                return self._parse(origin)
            return _Unchecked()
        locations = list(spec.submodule_search_locations or ())
        path = _source_in(locations, parts[1:])
        return self._parse(path) if path is not None else _Unchecked()

    def _parse(self, path: str) -> _Parsed | _Unparsable:
        if path not in self._parsed:
            self._parsed[path] = _parse(path)
        return self._parsed[path]


def _source_in(folders: Sequence[str], parts: Sequence[str]) -> str | None:
    for folder in folders:
        base = os.path.join(folder, *parts)
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(candidate):
                return os.path.normpath(candidate)
    return None


def _parse(path: str) -> _Parsed | _Unparsable:
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as exc:
        return _Unparsable(path, f"cannot be read: {exc.strerror or exc}")
    try:
        return _Parsed(path, pyast.parse(data, filename=path))
    except SyntaxError as exc:
        return _Unparsable(f"{path}:{exc.lineno}" if exc.lineno else path, exc.msg)
    except ValueError as exc:  # null bytes, undecodable text
        return _Unparsable(path, str(exc))


def check_python_decls(
    module: ast.Module, decls: Iterable[ast.PythonDecl], sources: PythonSources
) -> list[Diagnostic]:
    """The diagnostics of one file's python declarations (each declared once: duplicates are
    E0109's)."""
    found: list[Diagnostic] = []
    reported: set[str] = set()  # a module missing or unparsable is said once per file
    for decl in decls:
        source = sources.find(decl.module, module.path)
        if isinstance(source, _Unchecked):
            continue
        if isinstance(source, _Missing | _Unparsable):
            problem = _module_problem(decl, source, module.path)
            if problem is not None and decl.module not in reported:
                reported.add(decl.module)
                found.append(problem)
            continue
        found += _check_function(module, decl, source)
    return found


def _head(decl: ast.PythonDecl) -> Span:
    """`python module.function`: the part of the declaration that names the function."""
    s, f = decl.span, decl.function.span
    return Span(s.file, s.line, s.column, f.end_line, f.end_column)


def _module_problem(
    decl: ast.PythonDecl, source: _Missing | _Unparsable, flow_file: str
) -> Diagnostic | None:
    """A module that does not parse; a missing one only when a Python file beside the flow
    is named nearly like it (a misspelling): one simply absent may be provided where the
    flow is deployed."""
    if isinstance(source, _Unparsable):
        return error(
            codes.PYTHON_SOURCE_UNPARSABLE,
            _head(decl),
            f"python module '{decl.module}' does not parse: {source.path}: {source.reason}",
            help="fix the Python file; flowc reads it without running it",
        )
    folder = os.path.dirname(flow_file) or "."
    beside = _python_files(folder)
    suggestion = did_you_mean(decl.module.split(".")[0], beside)
    if suggestion is None:
        return None
    wanted = os.path.join(*decl.module.split(".")) + ".py"
    return error(
        codes.PYTHON_MODULE_NOT_FOUND,
        _head(decl),
        f"python module '{decl.module}' is neither beside this file nor installed",
        notes=[Note(f"looked for {os.path.join(folder, wanted)} and an installed '{decl.module}'")],
        help=f"did you mean '{suggestion}'? ({suggestion}.py is beside this file)",
    )


def _python_files(folder: str) -> list[str]:
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return [n.removesuffix(".py") for n in names if n.endswith(".py")]


Function = pyast.FunctionDef | pyast.AsyncFunctionDef


@dataclass
class _TopLevel:
    functions: dict[str, Function]
    other_names: set[str]
    opaque: bool  # `from x import *` or a module __getattr__: any name may exist


def _top_level(tree: pyast.Module) -> _TopLevel:
    names = _TopLevel({}, set(), False)
    for stmt in _statements(tree.body):
        if isinstance(stmt, pyast.FunctionDef | pyast.AsyncFunctionDef):
            names.functions[stmt.name] = stmt
            names.opaque |= stmt.name == "__getattr__"
        elif isinstance(stmt, pyast.ClassDef):
            names.other_names.add(stmt.name)
        elif isinstance(stmt, pyast.Import | pyast.ImportFrom):
            for alias in stmt.names:
                names.opaque |= alias.name == "*"
                names.other_names.add((alias.asname or alias.name).split(".")[0])
        else:
            for node in pyast.walk(stmt):
                if isinstance(node, pyast.Name) and isinstance(node.ctx, pyast.Store):
                    names.other_names.add(node.id)
    return names


def _statements(body: Sequence[pyast.stmt]) -> Iterator[pyast.stmt]:
    """Top-level statements, and those of top-level `if` and `try` blocks."""
    for stmt in body:
        if isinstance(stmt, pyast.If):
            yield from _statements(stmt.body)
            yield from _statements(stmt.orelse)
        elif isinstance(stmt, pyast.Try):
            for block in (stmt.body, stmt.orelse, stmt.finalbody):
                yield from _statements(block)
            for handler in stmt.handlers:
                yield from _statements(handler.body)
        else:
            yield stmt


def _check_function(module: ast.Module, decl: ast.PythonDecl, source: _Parsed) -> list[Diagnostic]:
    names = _top_level(source.tree)
    name = decl.function.name
    if not name.isidentifier() or keyword.iskeyword(name):
        return []  # only `getattr` reaches it: a name bound where the checker cannot see
    function = names.functions.get(name)
    if function is None:
        if names.opaque or name in names.other_names:
            return []
        return [_missing_function(module, decl, source, names)]
    where = f"{source.path}:{function.lineno}"
    problems = _parameter_problems(decl, function, where)
    return problems if problems else _annotation_problems(decl, function, where)


def _missing_function(
    module: ast.Module, decl: ast.PythonDecl, source: _Parsed, names: _TopLevel
) -> Diagnostic:
    name = decl.function.name
    public = [n for n in names.functions if not n.startswith("_") or name.startswith("_")]
    suggestion = did_you_mean(name, public)
    fixes: tuple[Fix, ...] = ()
    for fix in rename_fix(decl.function.span, name, suggestion, public):
        # The `code` steps of this file that call the misspelt name are renamed with it.
        calls = [
            Edit(step.function.span, fix.edits[0].new_text)
            for step in _code_steps(module)
            if step.module == decl.module and step.function.name == name
        ]
        fixes += (Fix(fix.message, fix.edits + tuple(calls), fix.applicability),)
    return error(
        codes.PYTHON_FUNCTION_NOT_FOUND,
        decl.function.span,
        f"'{source.path}' defines no function '{name}'",
        help=f"did you mean '{suggestion}'?" if suggestion else
        f"define `def {name}(...)` at the top level of {source.path}",
        fixes=fixes,
    )


def _code_steps(module: ast.Module) -> Iterator[ast.Code]:
    for decl in module.declarations:
        if isinstance(decl, ast.Action | ast.Flow):
            blocks = [decl.steps]
            if isinstance(decl, ast.Flow) and decl.after_call is not None:
                blocks.append(decl.after_call.steps)
            for steps in blocks:
                yield from (step for step in steps if isinstance(step, ast.Code))


def _parameter_problems(
    decl: ast.PythonDecl, function: Function, where: str
) -> list[Diagnostic]:
    """The declared parameters are passed positionally, in order: each must be the function's
    positional parameter of that name and place, and every required one must be declared."""
    args = function.args
    positional = [a.arg for a in (*args.posonlyargs, *args.args)]
    required = positional[: len(positional) - len(args.defaults)]
    declared = [p.name.name for p in decl.params]
    signature = f"def {function.name}({', '.join(positional)})" if not (
        args.vararg or args.kwonlyargs or args.kwarg
    ) else f"def {function.name}(...)"
    note = Note(f"{signature} at {where}")
    for index, param in enumerate(decl.params):
        name = param.name.name
        if index < len(positional) and positional[index] == name:
            continue
        if name in positional:
            return [
                error(
                    codes.PYTHON_PARAMETERS_DIFFER,
                    param.name.span,
                    f"'{name}' is parameter {positional.index(name) + 1} of '{function.name}', "
                    f"but declared as parameter {index + 1}",
                    notes=[note],
                    help="declare the parameters in the function's order: they are passed "
                    "in the declared order",
                )
            ]
        if index >= len(positional) and args.vararg is not None:
            continue
        keyword_only = name in [a.arg for a in args.kwonlyargs]
        suggestion = did_you_mean(name, positional)
        return [
            error(
                codes.PYTHON_PARAMETERS_DIFFER,
                param.name.span,
                f"'{name}' of '{function.name}' is keyword-only, but declared parameters are "
                "passed by position" if keyword_only else
                f"'{function.name}' has no parameter '{name}'",
                notes=[note],
                help=f"did you mean '{suggestion}'?" if suggestion else
                "declare the parameters the function takes",
            )
        ]
    unpassed = required[len(declared):]
    unpassed += [
        a.arg for a, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)
        if default is None
    ]
    if unpassed:
        listed = ", ".join(f"'{p}'" for p in unpassed)
        return [
            error(
                codes.PYTHON_PARAMETERS_DIFFER,
                decl.function.span,
                f"the declaration does not pass {listed}, which '{function.name}' requires",
                notes=[note],
                help="declare every parameter the function requires, or give it a default "
                "in Python",
            )
        ]
    return []


def _annotation_problems(
    decl: ast.PythonDecl, function: Function, where: str
) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    by_name = {a.arg: a for a in (*function.args.posonlyargs, *function.args.args)}
    for param in decl.params:
        arg = by_name.get(param.name.name)
        if arg is not None and arg.annotation is not None:
            found += _contradiction(
                param.type, arg.annotation, f"parameter '{arg.arg}' of '{function.name}'", where
            )
    if function.returns is not None:
        found += _contradiction(
            decl.returns, function.returns, f"the result of '{function.name}'", where
        )
    return found


def _contradiction(
    declared: ast.TypeExpr, annotation: pyast.expr, what: str, where: str
) -> list[Diagnostic]:
    flow_type = ty.from_syntax(declared)
    if annotation_fits(flow_type, annotation) is not False:
        return []
    written = pyast.unparse(annotation)
    meant = _FLOW_TYPE_OF.get(written)
    fixes = (
        (Fix(f"declare {meant}", (Edit(declared.span, meant),), Applicability.SUGGESTION),)
        if meant is not None else ()
    )
    return [
        error(
            codes.PYTHON_ANNOTATION_CONTRADICTS,
            declared.span,
            f"{what} is annotated {written}, but the declaration says {ty.display(flow_type)}",
            notes=[Note(f"annotated at {where}")],
            help=f"declare {meant}, or change the annotation" if meant else
            "make the declaration and the annotation agree (docs/language.md, section 4)",
            fixes=fixes,
        )
    ]


# The Python annotations each flow type may have (docs/language.md, section 4).
_ANNOTATIONS: dict[str, frozenset[str]] = {
    "text": frozenset({"str"}),
    "phone": frozenset({"str"}),
    "email": frozenset({"str"}),
    "secret": frozenset({"str"}),
    "number": frozenset({"float", "int"}),
    "bool": frozenset({"bool"}),
}
_LIST = frozenset({"list", "List"})
_DICT = frozenset({"dict", "Dict"})
# The annotations the table knows; any other (Any, object, a TypedDict, a class) is unknown.
_KNOWN = frozenset({"str", "float", "int", "bool", "None"}) | _LIST | _DICT
_FLOW_TYPE_OF = {"str": "text", "float": "number", "int": "number", "bool": "bool"}


def annotation_fits(flow_type: ty.Type, annotation: pyast.expr) -> bool | None:
    """Whether a value of the flow type fits the annotation; None when the table cannot say."""
    if isinstance(annotation, pyast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = pyast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    members = _union_members(annotation)
    if members is not None:
        fits = [annotation_fits(flow_type, member) for member in members]
        return True if True in fits else None if None in fits else False
    allowed = _allowed(flow_type)
    if allowed is None:
        return None
    if isinstance(annotation, pyast.Subscript):
        name = _name(annotation.value)
        if name in _LIST and isinstance(flow_type, ty.ListOf):
            return annotation_fits(flow_type.element, annotation.slice)
    else:
        name = "None" if _is_none(annotation) else _name(annotation)
    if name not in _KNOWN:
        return None
    return name in allowed


def _allowed(flow_type: ty.Type) -> frozenset[str] | None:
    if isinstance(flow_type, ty.Scalar):
        return _ANNOTATIONS.get(flow_type.name)
    if isinstance(flow_type, ty.ListOf):
        return _LIST
    if isinstance(flow_type, ty.Record):
        return _DICT
    return None


def _union_members(annotation: pyast.expr) -> list[pyast.expr] | None:
    if isinstance(annotation, pyast.BinOp) and isinstance(annotation.op, pyast.BitOr):
        return [annotation.left, annotation.right]
    if isinstance(annotation, pyast.Subscript):
        name = _name(annotation.value)
        inner = annotation.slice
        items = list(inner.elts) if isinstance(inner, pyast.Tuple) else [inner]
        if name == "Optional":
            return [*items, pyast.Constant(None)]
        if name == "Union":
            return items
    return None


def _is_none(annotation: pyast.expr) -> bool:
    return isinstance(annotation, pyast.Constant) and annotation.value is None


def _name(annotation: pyast.expr) -> str | None:
    if isinstance(annotation, pyast.Name):
        return annotation.id
    if isinstance(annotation, pyast.Attribute):  # typing.List, builtins.str
        return annotation.attr
    return None
