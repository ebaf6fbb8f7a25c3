"""Module and identifier naming for generated code (docs/codegen.md, "Module names")."""

from __future__ import annotations

import ast
import keyword
import os
from pathlib import Path

import pytest
from flowc.build import build_files
from flowc.codegen.names import (
    module_aliases,
    module_file,
    module_name,
    module_names,
    python_identifier,
)
from hypothesis import given
from hypothesis import strategies as st


@given(st.text(max_size=12))
def test_any_text_becomes_a_usable_python_identifier(text: str) -> None:
    name = python_identifier(text)
    assert name.isidentifier() and name.isascii()
    assert not keyword.iskeyword(name) and not keyword.issoftkeyword(name)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("legal_intake.flow", "legal_intake"),
        ("lib/appointments.flow", "lib.appointments"),
        ("my-flows/2024 plan.flow", "my_flows._2024_plan"),
        ("class/def.flow", "class_.def_"),
        ("email.flow", "email_flow"),
        ("flowc_runtime.flow", "flowc_runtime_flow"),
        ("httpx.flow", "httpx_flow"),
        ("lib/email.flow", "lib.email"),
    ],
)
def test_module_names_follow_the_path_under_the_common_root(path: str, expected: str) -> None:
    root = os.path.abspath("project")
    assert module_name(os.path.join(root, path), root) == expected


def test_a_dotted_module_is_written_under_its_package_folders() -> None:
    assert module_file("lib.appointments") == os.path.join("lib", "appointments.py")


def test_a_module_never_takes_the_name_of_a_python_module_its_code_steps_import() -> None:
    root = os.path.abspath("project")
    billing = os.path.join(root, "billing.flow")
    assert module_names([billing], root, taken={"billing"}) == {billing: "billing_flow"}


def test_two_sources_never_share_a_module_or_a_package_name() -> None:
    root = os.path.abspath("project")
    paths = [os.path.join(root, p) for p in ("my-flows.flow", "my_flows.flow", "lib.flow")]
    paths.append(os.path.join(root, "lib", "a.flow"))
    named = module_names(paths, root)
    assert sorted(named.values()) == ["lib.a", "lib_2", "my_flows", "my_flows_2"]


def test_after_call_steps_never_share_a_name_with_another_body_s_steps(tmp_path: Path) -> None:
    source = tmp_path / "after.flow"
    source.write_text(
        'flow X {\n  end "x"\n  after call {\n    set a = 1\n  }\n}\n'
        'flow X_after_call {\n  set b = 2\n  end "y"\n}\n',
        encoding="utf-8",
    )
    result = build_files([str(source)])
    assert result.ok, [d.message for d in result.check.diagnostics]
    (module,) = result.files
    functions = [
        node.name
        for node in ast.parse(module.text).body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    assert len(functions) == len(set(functions)), functions


def test_import_aliases_are_distinct_even_where_dots_become_underscores() -> None:
    assert module_aliases(["lib_x", "lib.x", "lib.appointments"], "_flow_") == {
        "lib.appointments": "_flow_lib_appointments",
        "lib.x": "_flow_lib_x",
        "lib_x": "_flow_lib_x_2",
    }
