"""Module and identifier naming for generated code (docs/codegen.md, "Module names")."""

from __future__ import annotations

import keyword
import os

import pytest
from flowc.codegen.names import module_file, module_name, python_identifier
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
        ("lib/email.flow", "lib.email"),
    ],
)
def test_module_names_follow_the_path_under_the_common_root(path: str, expected: str) -> None:
    root = os.path.abspath("project")
    assert module_name(os.path.join(root, path), root) == expected


def test_a_dotted_module_is_written_under_its_package_folders() -> None:
    assert module_file("lib.appointments") == os.path.join("lib", "appointments.py")
