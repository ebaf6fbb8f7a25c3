"""The code generated for issue 9's expressions (values.flow) is typed, Black's, and runs.

Each operator becomes the `ops` function the checker's types choose; the module passes
`mypy --strict`, is left unchanged by Black, and a call through it says the values.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from flowc_runtime import Outcome, ScriptedChannel, run_call

from tests.codegen.built import build_into, imported
from tests.runtime_core.helpers import local_services
from tests.support.http_server import LocalHttpServer, Reply

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_into(HERE / "values.flow", tmp_path_factory.mktemp("values"))


@pytest.fixture
def module(output: Path) -> Iterator[ModuleType]:
    with imported(output, "values") as found:
        yield found


def test_the_operators_become_the_ops_their_types_choose(output: Path) -> None:
    code = (output / "values.py").read_text(encoding="utf-8")
    for expected in [
        'ops.add(v.get("tries"), 1)',
        'ops.later(call.today(), 604800000, "date")',
        'ops.earlier(call.now(), 7200000, "datetime")',
        'ops.later("23:30", 3600000, "time")',
        'ops.between(call.now(), call.started_at, "datetime")',
        'ops.moment_part(ops.field(v.get("first"), "at"), "date")',
        'ops.lt(v.get("day"), ops.moment_part(call.started_at, "date"), "date")',
        'ops.eq(v.get("day"), "2030-03-14", "date")',
        'options=ops.options(ops.field(ops.field(v.get("offer"), "rooms"), "name"))',
        'ops.field(ops.field(v.get("offer"), "rooms"), "opens"), ["time"]',
        'call.formatted(v.get("total"), "money")',
        'call.spoken(v.get("waited"), "duration")',
    ]:
        assert expected in code, expected


def test_the_module_passes_mypy_strict(output: Path, tmp_path: Path) -> None:
    (tmp_path / "flowc_runtime").symlink_to(PROJECT / "runtime")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "."],
        cwd=output,
        env={"MYPYPATH": str(tmp_path), "PATH": ""},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_module_is_blacks_output(output: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "black", "--check", "--diff", "values.py"],
        cwd=output,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_call_through_it_says_the_values(
    module: ModuleType, http_server: LocalHttpServer
) -> None:
    rooms = [
        {"name": "Garden", "opens": "09:00", "at": "2030-03-14T08:00"},
        {"name": "Library", "opens": "10:15:00", "at": "2030-03-12T10:15"},
    ]
    http_server.route("GET", "/rooms", Reply.json({"rooms": rooms, "fee": 12.5}))
    channel = ScriptedChannel(["library"])
    services = local_services({"ROOMS_API": http_server.url})
    result = asyncio.run(run_call(module.BODIES["Values"], services, channel))
    assert result.outcome is Outcome.ENDED and result.fault is None, result.fault
    # local_services' clock: 2030-03-11T09:30 UTC, the call started then too.
    assert channel.said == [
        "Which of Garden and Library, opening 9 AM and 10:15 AM?",
        "-$6.50 1st one 1 2 3 4 Monday, March 18, 2030 7:30 AM 0 seconds 0 seconds 0",
        "Bye Thursday, March 14, 2030 at 5 PM.",
    ]
