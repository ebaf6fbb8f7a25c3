"""The pytest plugin (entry point `pytest11: flowc`): `.flowtest` files are collected as tests.

Each file is one test item, run by the same runner as `flowc test` (one runner
per pytest session, so each program is built once), with pytest's output,
selection (`-k`, paths) and reports. A failure shows the `.flowtest` line and
the transcript's diff; a test that does not check shows its diagnostics.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .runner import Runner

SUFFIX = ".flowtest"
_RUNNER = pytest.StashKey["Runner"]()


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.File | None:
    if file_path.suffix == SUFFIX:
        collected: pytest.File = FlowtestFile.from_parent(parent, path=file_path)
        return collected
    return None


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the last of a run of .flowtest items, the generated modules they imported
    leave `sys.modules` (programs.py), so the project's own tests never meet them."""
    if isinstance(item, FlowtestItem) and not isinstance(nextitem, FlowtestItem):
        runner = item.session.stash.get(_RUNNER, None)
        if runner is not None:
            runner.close()


def _runner(session: pytest.Session) -> Runner:
    if _RUNNER not in session.stash:
        # Imported here: a pytest run without .flowtest files does not load the runtime.
        from .runner import Runner

        session.stash[_RUNNER] = Runner()
    return session.stash[_RUNNER]


class FlowtestFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        yield FlowtestItem.from_parent(self, name=self.path.stem)


class FlowtestFailed(Exception):
    """A .flowtest failed or did not check; the message is what `flowc test` prints."""


class FlowtestItem(pytest.Item):
    # pytest-lsp's runtest hook wraps only items that have `funcargs` (it fails to yield
    # to any other item): an empty one, as a function test without fixtures has.
    funcargs: dict[str, object] = {}  # noqa: RUF012 - never written

    def runtest(self) -> None:
        from .runner import describe_failure

        result = _runner(self.session).run_file(self._relative_path())
        if result.status != "passed":
            raise FlowtestFailed(describe_failure(result))

    def _relative_path(self) -> str:
        """The path from the working folder, as `flowc test` names files."""
        try:
            return str(self.path.relative_to(Path.cwd()))
        except ValueError:
            return str(self.path)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: str | None = None,
    ) -> str:
        if isinstance(excinfo.value, FlowtestFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"flowtest: {self.name}"

