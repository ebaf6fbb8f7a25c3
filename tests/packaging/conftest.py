"""The two wheels, flowc and flowc-runtime, each built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.packaging.wheels import PLANTED, ROOT, Wheel, build_wheel, copy_source


@pytest.fixture(scope="session")
def runtime_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of runtime/ as it is in the work tree, nothing planted."""
    return copy_source(ROOT / "runtime", tmp_path_factory.mktemp("runtime-src") / "runtime")


@pytest.fixture(scope="session")
def runtime_wheel(tmp_path_factory: pytest.TempPathFactory, runtime_source: Path) -> Wheel:
    """flowc-runtime's wheel, built from a copy of runtime/ with tests and stale
    build output planted in it (what a developer's runtime/ may well hold)."""
    source = copy_source(runtime_source, tmp_path_factory.mktemp("runtime-build") / "runtime")
    for planted in PLANTED:
        (source / planted).parent.mkdir(parents=True, exist_ok=True)
        (source / planted).write_text("PLANTED = True\n")
    return build_wheel(source, tmp_path_factory.mktemp("runtime-wheel"))


@pytest.fixture(scope="session")
def flowc_wheel(tmp_path_factory: pytest.TempPathFactory) -> Wheel:
    source = copy_source(ROOT, tmp_path_factory.mktemp("flowc-src") / "flowc")
    return build_wheel(source, tmp_path_factory.mktemp("flowc-wheel"))
