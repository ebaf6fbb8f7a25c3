"""Generated code runs without the compiler: `flowc build` output plus flowc_runtime,
taken through examples/host_app.py (a real subprocess) against the real booking API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.examples.booking import EXAMPLES, running_booking_api

PROJECT = EXAMPLES.parent
API_KEY = "deploy-test-key"
BUILD_TIME_ONLY = {"flowc", "lark", "jinja2", "black", "mypy"}


def build(flow_file: str, out: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "flowc.cli", "build", flow_file, "-o", str(out)],
        cwd=PROJECT,
        check=True,
        capture_output=True,
    )


def imported_top_level_modules(importtime_report: str) -> set[str]:
    """Top-level names of every module in a `python -X importtime` report."""
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)", importtime_report, re.M)
    return {name.strip().split(".")[0] for name in names}


def test_a_built_flow_takes_a_call_with_only_the_runtime(tmp_path: Path) -> None:
    build("examples/legal_intake_local.flow", tmp_path)
    turns = "Jane Doe\nMarch 14th 2030 at 2 PM\nthe first one\n"
    with running_booking_api(API_KEY) as url:
        env = {**os.environ, "CALENDAR_API_KEY": API_KEY, "BOOKING_API_URL": url}
        result = subprocess.run(
            [sys.executable, "-X", "importtime", str(EXAMPLES / "host_app.py"),
             str(tmp_path), "legal_intake_local", "LegalIntakeLocal", "--caller", "+15550004444"],
            input=turns, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    confirmed = (
        "sms to +15550004444: Your consultation is confirmed: https://meet.example.com/bk-0001"
    )
    assert confirmed in result.stdout.splitlines()
    imported = imported_top_level_modules(result.stderr)
    assert "flowc_runtime" in imported
    assert not imported & BUILD_TIME_ONLY


def test_the_host_reports_an_unknown_module_in_words(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "host_app.py"), str(tmp_path), "missing", "Flow"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "cannot import the generated module 'missing'" in result.stderr
    assert "Traceback" not in result.stderr
