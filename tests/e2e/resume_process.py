"""One process's share of a call of a built flow, for the resume test.

    python -m tests.e2e.resume_process OUT_DIR MODULE FLOW start TURN...
    python -m tests.e2e.resume_process OUT_DIR MODULE FLOW resume TURN...  (state on stdin)

The caller's turns are the arguments; when they run out the call is suspended
and its state printed on stdout. The transcript goes to stderr.
"""

from __future__ import annotations

import asyncio
import importlib
import sys

from flowc_runtime import ScriptedChannel, TranscriptPrinter, WhenExhausted, resume_call, run_call
from flowc_runtime.config import close_services, services_from_env


async def main(out_dir: str, module_name: str, flow: str, command: str, turns: list[str]) -> None:
    sys.path.insert(0, out_dir)
    services = services_from_env({"CALENDAR_API_KEY": "cal-secret-1"})
    channel = ScriptedChannel(
        [turn or None for turn in turns], when_exhausted=WhenExhausted.SUSPEND
    )
    sinks = [TranscriptPrinter(sys.stderr)]
    try:
        if command == "start":
            body = importlib.import_module(module_name).BODIES[flow]
            result = await run_call(body, services, channel, caller="+15550001111", sinks=sinks)
        else:
            result = await resume_call(sys.stdin.read(), services, channel, sinks=sinks)
    finally:
        await close_services(services)
    print(result.state if result.outcome is None else f"outcome: {result.outcome.value}")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5], sys.argv[5:]))
