"""One process's share of a call, for the suspend/resume test.

    python -m tests.runtime_core.call_process start          -> prints the state JSON
    python -m tests.runtime_core.call_process resume TURN    (state JSON on stdin)
                                                             -> prints the transcript

Each run ends with the call suspended (state printed) or over (outcome printed).
"""

from __future__ import annotations

import asyncio
import sys

from flowc_runtime import ScriptedChannel, TranscriptPrinter, WhenExhausted, resume_call, run_call

from . import sample_flows
from .helpers import local_services


async def main(command: str, turns: list[str]) -> None:
    services = local_services({"SAMPLE_TOKEN": "tok-123"})
    channel = ScriptedChannel(turns, when_exhausted=WhenExhausted.SUSPEND)
    sinks = [TranscriptPrinter(sys.stderr)]
    if command == "start":
        result = await run_call(
            sample_flows.FLOW_Greeter, services, channel, caller="+15550001111", sinks=sinks
        )
    else:
        result = await resume_call(sys.stdin.read(), services, channel, sinks=sinks)
    print(result.state if result.outcome is None else f"outcome: {result.outcome.value}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2:]))
