"""Conversation tests as files (`.flowtest`): parse, check, run offline, coverage, JUnit, pytest.

docs/testing.md describes the format and the commands. The editor's entry
point is `check_flowtest(path, text)`: a test file's diagnostics, with the
sources to render them.
"""

from .check import CheckedTest, TestInputError, check_flowtest

__all__ = ["CheckedTest", "TestInputError", "check_flowtest"]
