"""Playing tests: stubs (by variable, by URL, in order, failures), the verdict, coverage.

Each test writes a small flow and its tests into a folder of its own and runs
them with the runner `flowc test` uses; the flow's `code` step calls a real
Python module next to it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from flowc.graph import EdgeKind
from flowc.testing.check import TestInputError
from flowc.testing.coverage import report
from flowc.testing.runner import Runner, TestResult, describe_failure

DESK = """\
python scoring.score(n: number) -> number

flow Desk {
  on error -> failed

  collect n: number
    prompt "How many?"
    on no_answer -> lookup
  lookup:
  request first = GET "https://api.example.com/one"
    expect { id: text }
  request second = GET "https://api.example.com/two"
  code s = scoring.score(n = n ?? 0)
  send sms to call.caller "Id {{first.id}}, score {{s}}"
  transfer to "+15550100000"
    on error -> failed

  failed:
  end "Sorry."
}
"""
HEADER = 'flow Desk from "desk.flow"\ncall from +15550001111\n'
ANSWERS = 'stub first: 200 {"id": "A"}\nstub GET https://api.example.com/*: 200 {}\n'
PUT_THROUGH = """\
agent: How many?
caller: 3
sms to +15550001111: Id A, score 6
transfer to +15550100000
end: transferred
"""


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "desk.flow").write_text(DESK, encoding="utf-8")
    (tmp_path / "scoring.py").write_text(
        "def score(n: float) -> float:\n    return n * 2\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(folder: Path, *tests: str) -> tuple[list[TestResult], Runner]:
    paths = []
    for n, text in enumerate(tests):
        path = folder / f"t{n}.flowtest"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        paths.append(path.name)
    runner = Runner()
    try:
        return runner.run_files(paths), runner
    finally:
        runner.close()


def test_stubs_answer_by_variable_and_by_url_and_the_real_code_runs(desk: Path) -> None:
    [result], _ = run(desk, HEADER + ANSWERS + PUT_THROUGH)
    assert result.status == "passed", describe_failure(result)


def test_a_request_without_stub_fails_the_test_naming_it(desk: Path) -> None:
    [result], _ = run(desk, HEADER + 'stub first: 200 {"id": "A"}\n' + PUT_THROUGH)
    assert result.status == "failed"
    assert result.failures[0].message.startswith(
        "request 'second' (GET https://api.example.com/two) has no stub"
    )


def test_failures_stubbed_take_the_error_paths(desk: Path) -> None:
    sorry = "agent: How many?\ncaller: 3\nagent: Sorry.\nend: ended\n"
    code_raises = HEADER + ANSWERS + 'stub s: raises ValueError "no model"\n' + sorry
    answer_503 = HEADER + "stub first: 503\n" + sorry
    transfer_fails = (HEADER + ANSWERS + 'stub transfer to +15550100000: fails "busy"\n'
                      + "agent: How many?\ncaller: 3\nsms to +15550001111: Id A, score 6\n"
                      + "agent: Sorry.\nend: ended\n"
                      + 'expect event transfer_failed {"reason": "busy"}\n')
    sms_fails = (HEADER + ANSWERS + 'stub sms: fails "carrier down"\n'
                 + PUT_THROUGH.replace("sms to +15550001111: Id A, score 6\n", "")
                 + 'expect event message_failed {"medium": "sms", "reason": "carrier down"}\n')
    results, _ = run(desk, code_raises, answer_503, transfer_fails, sms_fails)
    assert [r.status for r in results] == ["passed"] * 4, [describe_failure(r) for r in results]


def test_stubs_of_one_request_answer_in_order_and_the_last_repeats(desk: Path) -> None:
    flow = DESK.replace('request first = GET "https://api.example.com/one"',
                        'request first = GET "https://api.example.com/one"\n'
                        "    on error -> lookup")
    (desk / "desk.flow").write_text(flow, encoding="utf-8")
    text = (HEADER + "stub first: 503\nstub first: timeout\n" + ANSWERS + PUT_THROUGH
            + 'expect event request_failed {"reason": "GET https://api.example.com/one '
            'answered 503 Service Unavailable"}\n'
            + 'expect event request_failed {"reason": "GET https://api.example.com/one '
            'timed out after 10.0 s"}\n')
    [result], _ = run(desk, text)
    assert result.status == "passed", describe_failure(result)


def test_expectations_beyond_the_transcript(desk: Path) -> None:
    text = (HEADER + ANSWERS + PUT_THROUGH + "expect s = 6\nexpect first = {\"id\": \"A\"}\n"
            "expect s = 7\nexpect never = 1\nexpect no event transfer\n"
            'expect event request_sent {"url": "https://nowhere"}\n')
    [result], _ = run(desk, text)
    assert [(f.line, f.message) for f in result.failures] == [
        (12, "'s' is 6, not 7"),
        (13, "'never' was never set"),
        (14, 'the log has an event transfer: {"event": "transfer", "to": "+15550100000"}'),
        (15, 'no event request_sent {"url": "https://nowhere"} in the log (events '
             'request_sent: {"event": "request_sent", "method": "GET", "url": '
             '"https://api.example.com/one"}; {"event": "request_sent", "method": "GET", '
             '"url": "https://api.example.com/two"})'),
    ]


def test_a_transcript_that_differs_fails_with_a_diff_at_the_first_differing_line(
    desk: Path,
) -> None:
    [result], _ = run(desk, HEADER + ANSWERS + PUT_THROUGH.replace("Id A", "Id B"))
    [failure] = result.failures
    assert (failure.message, failure.line) == ("the transcript differs", 7)
    assert failure.diff is not None
    assert "-sms to +15550001111: Id B, score 6\n+sms to +15550001111: Id A, score 6" \
        in failure.diff


def test_coverage_tells_a_no_answer_from_the_answer_that_go_to_the_same_step(
    desk: Path,
) -> None:
    silent = (
        "agent: How many?\ncaller: (silence)\n" * 3
        + PUT_THROUGH.removeprefix("agent: How many?\ncaller: 3\n").replace("score 6", "score 0")
    )
    [result], runner = run(desk, HEADER + ANSWERS + silent)
    assert result.status == "passed", describe_failure(result)
    [body] = report(runner.coverage)
    untaken = [u.description for u in body.untaken]
    assert "line 6 collect n: then line 10 request first" in untaken
    assert "line 6 collect n: on no_answer -> line 10 request first" not in untaken
    taken = runner.coverage.bodies[("desk.flow", "flow", "Desk")]
    kinds = {taken.graph.successors[s][i].kind for s, i in taken.edges}
    assert EdgeKind.NO_ANSWER in kinds


def test_a_test_of_a_flow_with_errors_shows_the_flows_diagnostics(desk: Path) -> None:
    broken = DESK.replace("    on no_answer -> lookup\n", "    on no_answer -> lokup\n")
    (desk / "desk.flow").write_text(broken, encoding="utf-8")
    [result], _ = run(desk, HEADER + ANSWERS + PUT_THROUGH)
    assert result.status == "error"
    assert "desk.flow:8:21: error[E0102]: 'lokup' is not a label of flow 'Desk'" \
        in describe_failure(result)


def test_a_file_that_is_not_text_is_an_input_error(desk: Path) -> None:
    (desk / "binary.flowtest").write_bytes(b"flow Desk from \xff\n")
    with pytest.raises(TestInputError, match=r"'binary\.flowtest' is not UTF-8 text"):
        Runner().run_file("binary.flowtest")
