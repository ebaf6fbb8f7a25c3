"""`flowc test --junit FILE`: the results as JUnit XML, the format CI servers read.

One <testsuite> of one <testcase> per test file: a failure as <failure> with
the diff as its text, a test that does not check as <error> with its
diagnostics.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence

from .runner import TestResult, describe_failure


def junit_xml(results: Sequence[TestResult]) -> str:
    suite = ElementTree.Element(
        "testsuite",
        name="flowc test",
        tests=str(len(results)),
        failures=str(sum(1 for r in results if r.status == "failed")),
        errors=str(sum(1 for r in results if r.status == "error")),
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    for result in results:
        case = ElementTree.SubElement(
            suite, "testcase", classname=result.path, name=result.name,
            time=f"{result.seconds:.3f}",
        )
        if result.status == "failed":
            first = result.failures[0].message
            ElementTree.SubElement(case, "failure", message=first).text = describe_failure(result)
        elif result.status == "error":
            message = result.diagnostics[0].message
            ElementTree.SubElement(case, "error", message=message).text = describe_failure(result)
    ElementTree.indent(suite)
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
