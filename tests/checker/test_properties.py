"""Properties of the checker over generated programs.

Programs come from a small grammar-aware generator: an action and a flow whose
steps, names, targets and expressions are drawn from small pools, so that
references sometimes resolve and sometimes do not, and every kind of mistake
turns up. Each program is written to a real file and checked by the pipeline.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from flowc.build import build_files
from flowc.diagnostics import Diagnostic
from flowc.pipeline import check_files
from hypothesis import given, settings
from hypothesis import strategies as st

VARIABLES = ("x", "y", "reply", "book")
LABELS = ("start", "again", "done")
OUTPUTS = ("Ok", "Fail", "Later")
TYPES = ("text", "number", "bool", "phone", "json", "{a: text}", "list[text]")
CODE_FORMAT = re.compile(r"^[EW]\d{4}$")

names = st.sampled_from(VARIABLES)
labels = st.sampled_from(LABELS)
outputs = st.sampled_from(OUTPUTS)


@st.composite
def paths(draw: st.DrawFn) -> str:
    base = draw(st.sampled_from((*VARIABLES, "call")))
    suffix = draw(st.sampled_from(("", ".a", ".value", ".caller", ".outcome", "[0]")))
    return base + suffix


literals = st.sampled_from(('"yes"', "42", "true", '"+15550001111"', 'env("KEY")'))
atoms = st.one_of(literals, paths())


@st.composite
def expressions(draw: st.DrawFn) -> str:
    left = draw(atoms)
    form = draw(st.sampled_from(("atom", "==", "<", "??", "and", "not", "in")))
    right = draw(atoms)
    return {
        "atom": left,
        "==": f"{left} == {right}",
        "<": f"{left} < {right}",
        "??": f"{left} ?? {right}",
        "and": f"{left} and {right}",
        "not": f"not {left}",
        "in": f"{left} in [{right}, {left}]",
    }[form]


@st.composite
def targets(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(("label", "output", "output_args")))
    if kind == "label":
        return draw(labels)
    if kind == "output":
        return draw(outputs)
    return f"{draw(outputs)}(value = {draw(expressions())})"


def handler(event: str, target: str) -> str:
    return f" on {event} -> {target}"


@st.composite
def steps(draw: st.DrawFn) -> str:
    var = draw(names)
    target = draw(targets())
    maybe = draw(st.booleans())
    kind = draw(
        st.sampled_from(
            ("talk", "collect", "request", "run", "set", "if", "jump", "sms", "end",
             "exit", "transfer", "code")
        )
    )
    step = {
        "talk": f'talk "Hello {{{{{draw(paths())}}}}}"',
        "collect": f'collect {var}: {draw(st.sampled_from(TYPES))} prompt "{var}?"'
        + (handler("no_answer", target) if maybe else ""),
        "request": f'request {var} = GET "https://example.com/{{{{{draw(paths())}}}}}"'
        + (f" expect {{a: {draw(st.sampled_from(TYPES))}}}" if maybe else "")
        + (handler("error", target) if draw(st.booleans()) else ""),
        "run": f"run {var} = Sub(question = {draw(expressions())})"
        + "".join(handler(o, draw(targets())) for o in draw(st.sets(outputs))),
        "set": f"set {var} = {draw(expressions())}",
        "if": f"if {draw(expressions())} -> {target}",
        "jump": f"-> {target}",
        "sms": f'send sms to {draw(atoms)} "Hi {{{{{draw(paths())}}}}}"',
        "end": 'end "Goodbye."',
        "exit": f"exit {draw(outputs)}" + (f"(value = {draw(expressions())})" if maybe else ""),
        "transfer": f'transfer to {draw(atoms)} say "Bye {{{{{draw(paths())}}}}}"',
        "code": f"code {var} = helpers.score(value = {draw(expressions())})"
        + (handler("error", target) if maybe else ""),
    }[kind]
    label = draw(st.sampled_from(("", *(f"{name}:\n  " for name in LABELS))))
    return f"  {label}{step}\n"


@st.composite
def programs(draw: st.DrawFn) -> str:
    declared = draw(st.lists(outputs, min_size=1, max_size=3, unique=True))
    action_outputs = "".join(
        f"  output {o}" + ("(value: text)\n" if draw(st.booleans()) else "\n") for o in declared
    )
    defaults = "".join(
        f"  on {event} -> {draw(targets())}\n"
        for event in draw(st.sets(st.sampled_from(("no_answer", "error", "silence"))))
    )
    action_steps = "".join(draw(st.lists(steps(), max_size=6)))
    flow_steps = "".join(draw(st.lists(steps(), max_size=8)))
    after = draw(st.lists(steps(), max_size=3))
    after_call = f"  after call {{\n{''.join(after)}  }}\n" if after else ""
    return (
        "python helpers.score(value: text) -> number\n\n"
        "action Sub {\n  input question: text\n"
        f"{action_outputs}{defaults}{action_steps}}}\n\n"
        f"flow Main {{\n{defaults}{flow_steps}{after_call}}}\n"
    )


def check_text(text: str) -> tuple[list[Diagnostic], int]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.flow"
        path.write_text(text, encoding="utf-8")
        result = check_files([str(path)])
        return list(result.diagnostics), text.count("\n") + 1


@settings(max_examples=300, deadline=None)
@given(programs())
def test_checker_never_crashes_and_reports_well_formed_diagnostics(text: str) -> None:
    diagnostics, line_count = check_text(text)
    for d in diagnostics:
        assert CODE_FORMAT.match(d.code)
        assert d.message and not d.message.endswith(".")
        assert 1 <= d.span.line <= line_count
        assert all(note.message for note in d.notes)


def run_program(handled: list[str], extra: list[str]) -> str:
    """Random steps, then a run of an action with three outputs connecting only `handled`.

    `finish` (a label the random steps never use) is reachable whatever is connected, so
    connecting an output changes no reachability.
    """
    handlers = "".join(f" on {o} -> finish" for o in handled)
    return (
        "action Sub {\n  output Ok\n  output Fail\n  output Later\n"
        "  exit Ok\n}\n\n"
        "flow Main {\n"
        '  if call.caller == "+15550001111" -> finish\n'
        f"{''.join(extra)}"
        f"  run book = Sub(){handlers}\n"
        "  finish:\n  end \"Goodbye.\"\n}\n"
    )


def of_the_run(diagnostics: list[Diagnostic], line: int) -> list[Diagnostic]:
    return [d for d in diagnostics if d.code == "E0301" and d.span.line == line]


def the_others(diagnostics: list[Diagnostic], line: int) -> list[tuple[str, str, int]]:
    ours = of_the_run(diagnostics, line)
    return sorted((d.code, d.message, d.span.line) for d in diagnostics if d not in ours)


@settings(max_examples=150, deadline=None)
@given(
    handled=st.lists(outputs, unique=True),
    extra=st.lists(steps(), max_size=4),
    data=st.data(),
)
def test_connecting_a_reported_output_removes_exactly_that_report(
    handled: list[str], extra: list[str], data: st.DataObject
) -> None:
    text = run_program(handled, extra)
    lines = text.splitlines()
    line = 1 + next(i for i, t in enumerate(lines) if t.startswith("  run book = Sub()"))
    before, _ = check_text(text)
    missing = [o for o in OUTPUTS if o not in handled]
    unconnected = of_the_run(before, line)
    if not missing:
        assert unconnected == []
        return
    # Every missing output is named, in one diagnostic.
    assert len(unconnected) == 1
    assert all(f"'{o}'" in unconnected[0].message for o in missing)
    connect = data.draw(st.sampled_from(missing))
    # Clauses may share a line, so connecting one moves no other diagnostic.
    after, _ = check_text(run_program([*handled, connect], extra))
    still = of_the_run(after, line)
    remaining = [o for o in missing if o != connect]
    assert len(still) == (1 if remaining else 0)
    if remaining:
        assert f"'{connect}'" not in still[0].message
        assert all(f"'{o}'" in still[0].message for o in remaining)
    assert the_others(after, line) == the_others(before, line)


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_TEXTS = {
    path.relative_to(EXAMPLES).as_posix(): path.read_text(encoding="utf-8")
    for path in sorted(EXAMPLES.rglob("*.flow"))
}


@st.composite
def mutated_examples(draw: st.DrawFn) -> dict[str, str]:
    """The example programs with a few lines deleted, duplicated or swapped in one file."""
    name = draw(st.sampled_from(sorted(EXAMPLE_TEXTS)))
    lines = EXAMPLE_TEXTS[name].splitlines()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(("delete", "duplicate", "swap")))
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(j, lines[i])
        else:
            lines[i], lines[j] = lines[j], lines[i]
    return {**EXAMPLE_TEXTS, name: "\n".join(lines) + "\n"}


@settings(max_examples=150, deadline=None)
@given(mutated_examples())
def test_checker_never_crashes_on_mutated_examples(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name, text in files.items():
            path = Path(folder) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        result = check_files([str(Path(folder) / name) for name in sorted(files)])
    for d in result.diagnostics:
        assert CODE_FORMAT.match(d.code)
        assert d.span.line >= 1


@settings(max_examples=30, deadline=None)
@given(mutated_examples())
def test_what_the_checker_accepts_the_code_generator_can_build(files: dict[str, str]) -> None:
    """The checker is the code generator's guard: no error means every path is known."""
    with tempfile.TemporaryDirectory() as folder:
        for name, text in files.items():
            path = Path(folder) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        result = build_files([str(Path(folder) / name) for name in sorted(files)])
    if result.ok:
        assert result.files
        for emitted in result.files:
            compile(emitted.text, emitted.path, "exec")


@st.composite
def valid_steps(draw: st.DrawFn, known: list[str], index: int) -> list[str]:
    """One correct step (or a run and the label its success continues at); `known` holds
    the variables assigned on every path so far and grows with the step's own."""
    var = f"v{index}"
    seen = draw(st.sampled_from(known)) if known else None
    said = f"{{{{{seen}}}}}" if seen else "nothing yet"
    kind = draw(st.sampled_from(("talk", "collect", "request", "set", "if", "run", "code", "sms")))
    if kind == "talk" or (kind in ("set", "if") and seen is None):
        return [f'talk "We have {said}."']
    if kind == "collect":
        known.append(var)
        return [f'collect {var}: {draw(st.sampled_from(("text", "number", "phone")))} prompt "?"']
    if kind == "request":
        known.append(var)
        return [f'request {var} = GET "https://example.com/{said}" expect {{a: text}}']
    if kind == "set":
        known.append(var)
        return [f'set {var} = "{said}"']
    if kind == "if":
        return [f'if "{said}" == "x" -> done']
    if kind == "run":
        known.append(var)
        return [f'run {var} = Sub(q = "{said}") on Ok -> after{index} on Fail -> done',
                f"after{index}:", f'talk "{{{{{var}.value}}}}"']
    if kind == "code":
        known.append(var)
        return [f'code {var} = helpers.score(value = "{said}")']
    return [f'send sms to call.caller "About {said}"']


@st.composite
def valid_programs(draw: st.DrawFn) -> str:
    known: list[str] = []
    count = draw(st.integers(0, 12))
    lines = [line for i in range(count) for line in draw(valid_steps(known, i))]
    body = "".join(f"  {line}\n" for line in lines)
    return (
        "python helpers.score(value: text) -> number\n\n"
        "action Sub {\n  input q: text\n  output Ok(value: text)\n  output Fail\n\n"
        '  on no_answer -> Fail\n  collect answer: text prompt "{{q}}?"\n'
        "  if answer == \"no\" -> Fail\n  exit Ok(value = answer)\n}\n\n"
        "flow Main {\n  on no_answer -> done\n  on error -> done\n\n"
        f"{body}"
        '  done:\n  end "Goodbye."\n\n'
        "  after call {\n"
        '    send email to "desk@example.com" subject "{{call.outcome}}" body "Call over."\n'
        "  }\n}\n"
    )


@settings(max_examples=150, deadline=None)
@given(valid_programs())
def test_correct_programs_check_clean(text: str) -> None:
    diagnostics, _ = check_text(text)
    assert diagnostics == []


@settings(max_examples=15, deadline=None)
@given(valid_programs())
def test_correct_programs_build_into_valid_python(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.flow"
        path.write_text(text, encoding="utf-8")
        result = build_files([str(path)])
    assert result.ok and result.files
    for emitted in result.files:
        compile(emitted.text, emitted.path, "exec")
