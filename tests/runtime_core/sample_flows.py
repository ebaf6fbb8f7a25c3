"""Flows written by hand in the shape the code generator emits, for driving the
runtime without the compiler. Each step says which .flow text it stands for.

    action AskName {                         # sample.flow:1
      input greeting: text = "Hello"         # sample.flow:2
      input token: secret = env("SAMPLE_TOKEN")
      output Named(name: text)
      output Silent
      talk "{{greeting}}!"                   # sample.flow:6
      collect name: text prompt "Your name?" on no_answer -> Silent   # sample.flow:7
      exit Named(name = name)                # sample.flow:8
    }
    flow Greeter {                           # sample.flow:10
      run who = AskName() on Named -> known on Silent -> unknown   # sample.flow:11
      known: talk "Nice to meet you, {{who.name}}."                 # sample.flow:12
      set early = who.name < cutoff          # sample.flow:13 (see greeter_2_set)
      end "Bye {{who.name}}."                 # sample.flow:14
      unknown: transfer to "+15551230000" say "Connecting you."     # sample.flow:15
      after call { code log = audit.record(outcome = call.outcome) }  # sample.flow:17
    }
"""

from __future__ import annotations

from flowc_runtime import ops
from flowc_runtime.call import Call, Question
from flowc_runtime.program import ENDED, TRANSFERRED, Body, Enter, Leave, Move, Step, Vars
from flowc_runtime.services import JSON

SOURCE = "sample.flow"
AFTER_CALL_OUTCOMES: list[str] = []


def ask_name_inputs(call: Call, v: Vars) -> None:
    if "greeting" not in v:
        v["greeting"] = "Hello"
    if "token" not in v:
        v["token"] = call.env_secret("SAMPLE_TOKEN")
    call.keep_secret(v.get("token"))


async def ask_name_0_talk(call: Call, v: Vars) -> Move:
    await call.say(ops.text(v.get("greeting"), "!"))
    return 1


async def ask_name_1_collect(call: Call, v: Vars) -> Move:
    if await call.collect(v, "name", Question("text", "Your name?", attempts=2)):
        return 2
    return 3


async def ask_name_2_exit(call: Call, v: Vars) -> Move:
    return Leave("Named", {"name": v.get("name")})


async def ask_name_3_exit(call: Call, v: Vars) -> Move:
    return Leave("Silent")


ACTION_AskName = Body(
    module=__name__,
    name="AskName",
    source=SOURCE,
    steps=(
        Step(6, "talk", ask_name_0_talk),
        Step(7, "collect", ask_name_1_collect),
        Step(8, "exit", ask_name_2_exit),
        Step(7, "exit", ask_name_3_exit),
    ),
    inputs=ask_name_inputs,
    is_action=True,
)


async def greeter_0_run(call: Call, v: Vars) -> Move:
    return Enter(ACTION_AskName, "who", {}, {"Named": 1, "Silent": 4})


async def greeter_1_talk(call: Call, v: Vars) -> Move:
    await call.say(ops.text("Nice to meet you, ", ops.field(v.get("who"), "name"), "."))
    return 2


async def greeter_2_set(call: Call, v: Vars) -> Move:
    # The cutoff is the number 3 when the caller's name is "crash": ordering text
    # against a number is a runtime fault, which is what the tests want to see.
    name = ops.field(v.get("who"), "name")
    cutoff: JSON = 3 if name == "crash" else "M"
    call.set(v, "early", ops.lt(name, cutoff))
    return 3


async def greeter_3_end(call: Call, v: Vars) -> Move:
    await call.end(ops.text("Bye ", ops.field(v.get("who"), "name"), "."))
    return ENDED


async def greeter_4_transfer(call: Call, v: Vars) -> Move:
    if await call.transfer("+15551230000", "Connecting you."):
        return TRANSFERRED
    return ENDED


def record_outcome(outcome: str) -> str:
    """The sample's `audit.record`: keeps the outcome `after call` saw."""
    AFTER_CALL_OUTCOMES.append(outcome)
    return outcome


async def greeter_after_0_code(call: Call, v: Vars) -> Move:
    await call.code(v, "log", "audit.record", record_outcome, call.outcome, returns="text")
    return 1


FLOW_Greeter = Body(
    module=__name__,
    name="Greeter",
    source=SOURCE,
    steps=(
        Step(11, "run", greeter_0_run),
        Step(12, "talk", greeter_1_talk),
        Step(13, "set", greeter_2_set),
        Step(14, "end", greeter_3_end),
        Step(15, "transfer", greeter_4_transfer),
    ),
    after_call=(Step(17, "code", greeter_after_0_code),),
)

BODIES: dict[str, Body] = {"AskName": ACTION_AskName, "Greeter": FLOW_Greeter}
