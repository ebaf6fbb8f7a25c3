"""flowc_runtime: the small runtime that generated flow modules run on.

Generated modules import `ops`, `program` and `call`; an application running
calls uses the names below. Nothing here imports the compiler, lark, jinja2 or
black.
"""

from .call import Call, CallInfo, Question
from .channels import AwaitingCaller, ConsoleChannel, ScriptedChannel, WhenExhausted
from .driver import CallResult, StateError, find_body, resume_call, run_call, state_json
from .events import EventSink, JsonLinesSink, MemorySink
from .program import Body, Outcome
from .services import CallerHungUp, Services
from .transcript import TranscriptPrinter

__all__ = [
    "AwaitingCaller",
    "Body",
    "Call",
    "CallInfo",
    "CallResult",
    "CallerHungUp",
    "ConsoleChannel",
    "EventSink",
    "JsonLinesSink",
    "MemorySink",
    "Outcome",
    "Question",
    "ScriptedChannel",
    "Services",
    "StateError",
    "TranscriptPrinter",
    "WhenExhausted",
    "find_body",
    "resume_call",
    "run_call",
    "state_json",
]
