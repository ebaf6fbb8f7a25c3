"""Two distributions: `flowc` (the compiler) and `flowc-runtime` (runtime/).

Each wheel is built the way pip builds it for an install (tests/packaging/
conftest.py), then its file list is compared with the source folders, so a new
subpackage or data file that the packaging configuration forgets, or a file that
does not belong in it, fails here rather than on a user's machine.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.packaging.wheels import ROOT, Wheel, runtime_files


def expected(folder: str, package: str, patterns: tuple[str, ...]) -> set[str]:
    base = ROOT / folder
    return {
        f"{package}/{path.relative_to(base).as_posix()}"
        for pattern in patterns
        for path in base.rglob(pattern)
        if "__pycache__" not in path.parts
    }


def requirements(wheel: Wheel) -> list[str]:
    return wheel.metadata.get_all("Requires-Dist") or []


def requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group()).lower()


# --- flowc-runtime ---------------------------------------------------------------


def test_the_runtime_wheel_holds_exactly_the_runtimes_modules_and_markers(
    runtime_wheel: Wheel, runtime_source: Path
) -> None:
    wanted = runtime_files(runtime_source)
    assert {"flowc_runtime/__init__.py", "flowc_runtime/py.typed"} <= wanted
    assert runtime_wheel.files == wanted


def test_every_runtime_subpackage_ships_without_being_listed(
    runtime_wheel: Wheel, runtime_source: Path
) -> None:
    subfolders = {
        path.parent.relative_to(runtime_source).as_posix()
        for path in runtime_source.rglob("*.py")
        if path.parent != runtime_source and "__pycache__" not in path.parts
    }
    assert "serve" in subfolders
    shipped = {
        name.rsplit("/", 1)[0].removeprefix("flowc_runtime/") for name in runtime_wheel.files
    }
    assert subfolders <= shipped


def test_the_runtime_wheel_ships_no_compiler_tests_pyproject_or_build_output(
    runtime_wheel: Wheel,
) -> None:
    assert all(name.startswith("flowc_runtime/") for name in runtime_wheel.files)
    assert not [name for name in runtime_wheel.names if name.endswith("pyproject.toml")]
    assert not [name for name in runtime_wheel.names if "/tests/" in name]
    assert not [name for name in runtime_wheel.names if "planted" in name]


def test_the_runtime_declares_flowc_serve_and_the_serve_extra(runtime_wheel: Wheel) -> None:
    entry_points = runtime_wheel.dist_info("entry_points.txt")
    assert "[console_scripts]" in entry_points
    assert "flowc-serve = flowc_runtime.serve.cli:main" in entry_points

    metadata = runtime_wheel.metadata
    assert metadata["Name"] == "flowc-runtime"
    assert "serve" in (metadata.get_all("Provides-Extra") or [])
    serve = {requirement_name(r) for r in requirements(runtime_wheel) if 'extra == "serve"' in r}
    assert {"starlette", "uvicorn", "twilio", "redis"} <= serve
    # websockets must be installed: named itself, or through uvicorn[standard]
    assert "websockets" in serve or any(
        r.startswith("uvicorn[standard]") for r in requirements(runtime_wheel)
    )


def test_the_runtime_needs_nothing_of_the_compiler(runtime_wheel: Wheel) -> None:
    base = {requirement_name(r) for r in requirements(runtime_wheel) if "extra ==" not in r}
    assert base == {
        "httpx", "aiosmtplib", "python-dateutil", "tzdata",
        "phonenumbers", "rapidfuzz", "babel", "num2words",
    }
    everything = {requirement_name(r) for r in requirements(runtime_wheel)}
    assert not everything & {"flowc", "lark", "jinja2", "black", "mypy", "pygls"}


# --- flowc -----------------------------------------------------------------------


def test_every_compiler_module_template_and_marker_is_in_the_wheel(flowc_wheel: Wheel) -> None:
    wanted = expected("compiler", "flowc", ("*.py", "*.jinja", "py.typed"))
    assert wanted - flowc_wheel.files == set()


def test_the_grammar_ships_inside_the_compiler_package(flowc_wheel: Wheel) -> None:
    assert {"flowc/grammar/flow.lark", "flowc/grammar/__init__.py"} <= flowc_wheel.files


def test_the_flowc_wheel_holds_the_compiler_and_not_the_runtime(flowc_wheel: Wheel) -> None:
    assert {name.split("/", 1)[0] for name in flowc_wheel.files} == {"flowc"}
    assert not [name for name in flowc_wheel.names if name.startswith("flowc_runtime")]


def test_flowc_requires_the_served_runtime_of_its_own_release(
    flowc_wheel: Wheel, runtime_wheel: Wheel
) -> None:
    (runtime,) = (r for r in requirements(flowc_wheel) if requirement_name(r) == "flowc-runtime")
    assert runtime.replace(" ", "") == f"flowc-runtime[serve]=={runtime_wheel.metadata['Version']}"


def test_the_flowc_console_script_is_declared(flowc_wheel: Wheel) -> None:
    assert "flowc = flowc.cli:main" in flowc_wheel.dist_info("entry_points.txt")
