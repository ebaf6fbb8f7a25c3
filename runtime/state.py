"""`CallState`: a suspended call as data, and its JSON (state version 2).

The driver (driver.py) turns a call that waits for its caller into a `CallState`
and back; this module owns the stored form: which fields there are, how they
are written, and what a state read back must hold. docs/codegen.md
("Suspending and resuming") shows the JSON:

    {"version": 2,
     "call": {"id", "caller", "callee", "started_at"},
     "frames": [{"module", "body", "step", "vars", "env_vars", "env_parts",
                 "secret_vars", "variable", "returns", "answer_parts"?}, ...],
     "pending_attempt": 1 | null,
     "pending_transfer": false,
     "sealed_answers"?: "v1...."}

Secrets at rest: a variable holding the value of a secret environment variable
(an API key read with `env("NAME")`) is not stored: `env_vars` names the
environment variable instead, and resuming reads it again. Within a longer value
(a "Bearer {{key}}" text, a record) each such value is stored as a reference,
and `env_parts` lists those variables. Other secret values (secret inputs) are
stored as they are, and `secret_vars` lists them so the resumed call keeps
masking them. The caller's secret answers (`collect x: secret`) are never stored
in clear: `sealed_answers` holds them encrypted (sealing.py, key FLOWC_STATE_KEY),
each one inside a stored value is a reference to it, and `answer_parts` lists
the variables that hold one. States without the two fields (stored before they
existed) read as holding no answers; a state with no answer is written without
them, as before.

A form (a collect of a record) that waits keeps its progress (the fields it has,
the question it asks, that question's attempt) as a variable of its frame,
`"<variable>.form"` (form_dialogue.py): stored with the frame's other variables, so
the format needs no field of its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias, TypeGuard

from .call import CallInfo
from .program import Body, Frame, Vars
from .sealing import SealError, seal, unseal
from .services import JSON

STATE_VERSION = 2

# The process environment as the driver reads it (`Services.env`).
Environment: TypeAlias = Callable[[str], str | None]


class StateError(ValueError):
    """A stored call state that cannot be resumed; the message says why."""


@dataclass(frozen=True, slots=True)
class FrameState:
    """A stored `Frame`: its body by module and name, and its variables at rest."""

    module: str
    body: str
    step: int
    vars: Vars
    env_vars: dict[str, str]
    env_parts: tuple[str, ...]
    secret_vars: tuple[str, ...]
    variable: str | None
    returns: dict[str, int]
    answer_parts: tuple[str, ...] = ()

    @classmethod
    def of_frame(
        cls,
        frame: Frame,
        env_names: Mapping[str, str],
        is_secret: Callable[[JSON], bool],
        answers: Sequence[str] = (),
    ) -> FrameState:
        """The frame at rest; `env_names` maps each secret environment value to its
        variable's name, `is_secret` tells the secrets the call masks, `answers` are
        the call's secret answers (stored as references to `sealed_answers`)."""
        answer_refs = {answer: str(index) for index, answer in enumerate(answers)}
        env_vars = {
            name: env_names[value]
            for name, value in frame.vars.items()
            if isinstance(value, str) and value in env_names
        }
        stored: Vars = {}
        env_parts: list[str] = []
        answer_parts: list[str] = []
        for name, value in frame.vars.items():
            if name in env_vars:
                continue
            hidden = _hide_env_values(value, env_names) if env_names else value
            if hidden != value:
                env_parts.append(name)
            if answer_refs:
                unsealed = hidden
                hidden = _hide_values(hidden, answer_refs, _answer_marker)
                if hidden != unsealed:
                    answer_parts.append(name)
            stored[name] = hidden
        return cls(
            module=frame.body.module,
            body=frame.body.name,
            step=frame.index,
            vars=stored,
            env_vars=env_vars,
            env_parts=tuple(env_parts),
            secret_vars=tuple(
                name
                for name, value in frame.vars.items()
                if name not in env_vars and name not in answer_parts and is_secret(value)
            ),
            variable=frame.variable,
            returns=dict(frame.returns),
            answer_parts=tuple(answer_parts),
        )

    def to_frame(self, body: Body, env: Environment, answers: Sequence[str] = ()) -> Frame:
        """The frame again, with the secret environment values read anew and the
        secret `answers` (unsealed) put back; StateError when one is no longer set or
        the step is not in `body` (another build)."""
        variables = dict(self.vars)
        for name in self.answer_parts:
            variables[name] = _restore_values(
                variables[name], _ANSWER_MARKER, lambda index: _answer(answers, index)
            )
        for name, env_name in self.env_vars.items():
            variables[name] = self._env_value(env_name, env)
        for name in self.env_parts:
            variables[name] = _restore_env_values(
                variables[name], lambda env_name: self._env_value(env_name, env)
            )
        if not 0 <= self.step < len(body.steps):
            raise StateError(f"step {self.step!r} does not exist in '{self.body}'")
        return Frame(body, self.step, variables, self.variable, dict(self.returns))

    def _env_value(self, env_name: str, env: Environment) -> str:
        value = env(env_name)
        if value is None:
            raise StateError(
                f"the environment variable {env_name} that '{self.body}' read is no longer set"
            )
        return value

    def to_json_object(self) -> JSON:
        stored: dict[str, JSON] = {
            "module": self.module,
            "body": self.body,
            "step": self.step,
            "vars": self.vars,
            "env_vars": dict(self.env_vars),
            "env_parts": list(self.env_parts),
            "secret_vars": list(self.secret_vars),
            "variable": self.variable,
            "returns": dict(self.returns),
        }
        if self.answer_parts:  # only then: a state without answers is stored as before
            stored["answer_parts"] = list(self.answer_parts)
        return stored

    @classmethod
    def from_json_object(cls, value: JSON, where: str) -> FrameState:
        item = _Fields(value, where)
        variables = item.object("vars")
        return cls(
            module=item.text("module"),
            body=item.text("body"),
            step=item.whole_number("step"),
            vars=variables,
            env_vars=item.texts_by_name("env_vars"),
            # absent in states stored before it existed
            env_parts=item.names("env_parts", variables, optional=True),
            secret_vars=item.names("secret_vars", variables),
            variable=item.optional_text("variable"),
            returns=item.whole_numbers_by_name("returns"),
            answer_parts=item.names("answer_parts", variables, optional=True),
        )


@dataclass(frozen=True, slots=True)
class CallState:
    """A suspended call: its info, its frames (the flow first) and what it waits on.

    `pending_attempt` is the attempt of the `collect` that was waiting (its prompt
    was said already); `pending_transfer` says a `transfer` was handed to the
    channel, and the call waits to learn how the dial went.
    """

    call: CallInfo
    frames: tuple[FrameState, ...]
    pending_attempt: int | None
    pending_transfer: bool
    # The call's secret answers, sealed (`seal_answers`); None when it holds none.
    sealed_answers: str | None = None

    def answers(self, key: str) -> list[str]:
        """The secret answers `sealed_answers` holds; StateError when they cannot be
        unsealed with `key` (another FLOWC_STATE_KEY, or another process's key)."""
        if self.sealed_answers is None:
            return []
        try:
            answers: JSON = json.loads(unseal(self.sealed_answers, key, self.call.id))
        except SealError as exc:
            raise StateError(f"the call's secret answers cannot be unsealed: {exc}") from exc
        if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
            raise _malformed("sealed_answers does not hold a list of texts")
        return [answer for answer in answers if isinstance(answer, str)]

    def secret_values(self) -> Iterator[str]:
        """The stored secret values (of `secret_vars`), which the resumed call masks."""
        for frame in self.frames:
            for name in frame.secret_vars:
                value = frame.vars[name]
                if isinstance(value, str):
                    yield value

    def to_json(self) -> str:
        state: dict[str, JSON] = {
            "version": STATE_VERSION,
            "call": {
                "id": self.call.id,
                "caller": self.call.caller,
                "callee": self.call.callee,
                "started_at": self.call.started_at,
            },
            "frames": [frame.to_json_object() for frame in self.frames],
            "pending_attempt": self.pending_attempt,
            "pending_transfer": self.pending_transfer,
        }
        if self.sealed_answers is not None:  # only then, as `answer_parts`
            state["sealed_answers"] = self.sealed_answers
        return json.dumps(state, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> CallState:
        """The state `to_json` wrote; StateError saying why when it is not one."""
        try:
            data: JSON = json.loads(text)
        except ValueError as exc:
            raise _malformed(f"not JSON: {exc}") from exc
        state = _Fields(data)
        version = state.get("version")
        if version != STATE_VERSION:
            raise StateError(f"unsupported call state version {version!r}")
        info = state.fields("call")
        frames = state.items("frames")
        if not frames:
            raise _malformed("no frames")
        return cls(
            call=CallInfo(
                id=info.text("id"),
                caller=info.text("caller"),
                callee=info.text("callee"),
                started_at=info.text("started_at"),
            ),
            frames=tuple(
                FrameState.from_json_object(frame, f"frames[{position}]")
                for position, frame in enumerate(frames)
            ),
            pending_attempt=state.optional_whole_number("pending_attempt"),
            pending_transfer=state.flag("pending_transfer"),
            sealed_answers=_optional_text(state, "sealed_answers"),
        )


def seal_answers(answers: Sequence[str], key: str, call_id: str) -> str | None:
    """The sealed text of a call's secret answers (None when there are none)."""
    return seal(json.dumps(list(answers)), key, call_id) if answers else None


def _optional_text(state: _Fields, name: str) -> str | None:
    """An optional text field that states stored before it existed do not have."""
    return state.optional_text(name) if state.get(name) is not None else None


# --------------------------------------------------------------------------
# Reading the JSON back: each field as the type it must have


def _malformed(reason: str) -> StateError:
    return StateError(f"malformed call state: {reason}")


class _Fields:
    """The fields of one JSON object of a stored state, each read as its type; any
    other shape is a StateError that names the field (`frames[1].step`)."""

    def __init__(self, value: JSON, where: str = "") -> None:
        if not isinstance(value, dict):
            raise _malformed(f"{where or 'the state'} is not an object")
        self._data = value
        self._where = where

    def get(self, name: str) -> JSON:
        """The field's value; None when it is absent."""
        return self._data.get(name)

    def text(self, name: str) -> str:
        value = self._required(name)
        if isinstance(value, str):
            return value
        raise self._wrong(name, "a text")

    def optional_text(self, name: str) -> str | None:
        value = self._required(name)
        if value is None or isinstance(value, str):
            return value
        raise self._wrong(name, "a text or null")

    def whole_number(self, name: str) -> int:
        value = self._required(name)
        if _is_whole_number(value):
            return value
        raise self._wrong(name, "a whole number")

    def optional_whole_number(self, name: str) -> int | None:
        value = self._required(name)
        if value is None or _is_whole_number(value):
            return value
        raise self._wrong(name, "a whole number or null")

    def flag(self, name: str) -> bool:
        value = self._required(name)
        if isinstance(value, bool):
            return value
        raise self._wrong(name, "true or false")

    def object(self, name: str) -> dict[str, JSON]:
        value = self._required(name)
        if isinstance(value, dict):
            return value
        raise self._wrong(name, "an object")

    def fields(self, name: str) -> _Fields:
        return _Fields(self.object(name), self._path(name))

    def items(self, name: str) -> list[JSON]:
        value = self._required(name)
        if isinstance(value, list):
            return value
        raise self._wrong(name, "a list")

    def texts_by_name(self, name: str) -> dict[str, str]:
        texts: dict[str, str] = {}
        for key, value in self.object(name).items():
            if not isinstance(value, str):
                raise self._wrong(name, "an object of texts")
            texts[key] = value
        return texts

    def whole_numbers_by_name(self, name: str) -> dict[str, int]:
        numbers: dict[str, int] = {}
        for key, value in self.object(name).items():
            if not _is_whole_number(value):
                raise self._wrong(name, "an object of whole numbers")
            numbers[key] = value
        return numbers

    def names(self, name: str, variables: Vars, *, optional: bool = False) -> tuple[str, ...]:
        """A list of variable names, each one of `variables`; none when the field is
        `optional` and absent."""
        if optional and name not in self._data:
            return ()
        names: list[str] = []
        for value in self.items(name):
            if not isinstance(value, str) or value not in variables:
                shown = repr(value) if isinstance(value, str) else _kind_of(value)
                raise _malformed(f"{self._path(name)} names {shown}, not a stored variable")
            names.append(value)
        return tuple(names)

    def _required(self, name: str) -> JSON:
        if name not in self._data:
            raise _malformed(f"{self._path(name)} is missing")
        return self._data[name]

    def _path(self, name: str) -> str:
        return f"{self._where}.{name}" if self._where else name

    def _wrong(self, name: str, expected: str) -> StateError:
        # The kind of value, not the value: a stored state may hold secrets.
        found = _kind_of(self._data[name])
        return _malformed(f"{self._path(name)} must be {expected}, not {found}")


def _is_whole_number(value: JSON) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _kind_of(value: JSON) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else "null"


# --------------------------------------------------------------------------
# Secret environment values inside stored values


def _env_marker(name: str) -> str:
    """What stands for the value of the secret environment variable `name` inside a
    stored string (NUL characters, which no text of a flow or a caller holds)."""
    return f"\0env:{name}\0"


_ENV_MARKER = re.compile("\0env:([^\0]*)\0")


def _hide_env_values(value: JSON, env_names: Mapping[str, str]) -> JSON:
    """`value` with each secret environment value in its strings (at any depth, keys
    too) replaced by its `_env_marker`."""
    if isinstance(value, str):
        for secret in sorted(env_names, key=len, reverse=True):
            if secret in value:
                value = value.replace(secret, _env_marker(env_names[secret]))
        return value
    if isinstance(value, list):
        return [_hide_env_values(item, env_names) for item in value]
    if isinstance(value, dict):
        return {
            str(_hide_env_values(key, env_names)): _hide_env_values(item, env_names)
            for key, item in value.items()
        }
    return value


def _answer_marker(index: str) -> str:
    """What stands for the secret answer `index` (of `sealed_answers`) in a stored string."""
    return f"\0answer:{index}\0"


_ANSWER_MARKER = re.compile("\0answer:([0-9]+)\0")


def _answer(answers: Sequence[str], index: str) -> str:
    position = int(index)
    if position >= len(answers):
        raise _malformed(f"a stored value refers to secret answer {position}, which is not sealed")
    return answers[position]


def _hide_values(value: JSON, names: Mapping[str, str], marker: Callable[[str], str]) -> JSON:
    """`value` with each of `names`' keys in its strings (at any depth, keys too)
    replaced by the marker of its name."""
    if isinstance(value, str):
        for secret in sorted(names, key=len, reverse=True):
            if secret in value:
                value = value.replace(secret, marker(names[secret]))
        return value
    if isinstance(value, list):
        return [_hide_values(item, names, marker) for item in value]
    if isinstance(value, dict):
        return {
            str(_hide_values(key, names, marker)): _hide_values(item, names, marker)
            for key, item in value.items()
        }
    return value


def _restore_values(
    value: JSON, pattern: re.Pattern[str], restore: Callable[[str], str]
) -> JSON:
    """The inverse of `_hide_values`: each marker `pattern` finds, restored."""
    if isinstance(value, str):
        return pattern.sub(lambda match: restore(match.group(1)), value)
    if isinstance(value, list):
        return [_restore_values(item, pattern, restore) for item in value]
    if isinstance(value, dict):
        return {
            str(_restore_values(key, pattern, restore)): _restore_values(item, pattern, restore)
            for key, item in value.items()
        }
    return value


def _restore_env_values(value: JSON, env_value: Callable[[str], str]) -> JSON:
    """The inverse of `_hide_env_values`: each marker replaced by the variable's value."""
    if isinstance(value, str):
        return _ENV_MARKER.sub(lambda match: env_value(match.group(1)), value)
    if isinstance(value, list):
        return [_restore_env_values(item, env_value) for item in value]
    if isinstance(value, dict):
        return {
            str(_restore_env_values(key, env_value)): _restore_env_values(item, env_value)
            for key, item in value.items()
        }
    return value
