"""What changed between two versions of a library's interface, and the bump each change needs.

A change is major when a flow that used the old version may no longer check
against the new one: an action gone, a new output (every `run` must connect it),
an output or field gone, a new input without a default, a changed type, an input
that lost its default or stopped being configurable. It is minor when old uses
still check and something new can be used: a new action, a new input with a
default, a new field, an input that became configurable, new metadata. Anything
else (a changed default, description or label) is a patch. A rename is a
removal and an addition, so it is major.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TypeVar

from packaging.version import Version

from .interface import ActionInterface, InputInterface, OutputInterface
from .manifest import LibraryInterface


class Bump(IntEnum):
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    @property
    def word(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Change:
    action: str
    description: str
    bump: Bump

    def __str__(self) -> str:
        return f"{self.bump.word}: {self.action}: {self.description}"


def interface_changes(old: LibraryInterface, new: LibraryInterface) -> list[Change]:
    """Every change of every action, in action order, majors first within an action."""
    changes: list[Change] = []
    for name in sorted(old.actions.keys() | new.actions.keys()):
        before, after = old.actions.get(name), new.actions.get(name)
        if after is None:
            changes.append(Change(name, "the action was removed (or became a draft)", Bump.MAJOR))
        elif before is None:
            changes.append(Change(name, "new action", Bump.MINOR))
        else:
            found = [Change(name, text, bump) for text, bump in _action_changes(before, after)]
            changes += sorted(found, key=lambda c: -c.bump)
    return changes


def required_bump(changes: Sequence[Change]) -> Bump | None:
    """The smallest bump that covers every change; None when nothing changed."""
    return max((c.bump for c in changes), default=None)


def bump_between(old: Version, new: Version) -> Bump | None:
    """The bump from `old` to `new`, or None when `new` is not greater."""
    if new <= old:
        return None
    if new.major != old.major:
        return Bump.MAJOR
    return Bump.MINOR if new.minor != old.minor else Bump.PATCH


def smallest_version(old: Version, bump: Bump) -> Version:
    """The first version after `old` that makes `bump`."""
    if bump is Bump.MAJOR:
        return Version(f"{old.major + 1}.0.0")
    if bump is Bump.MINOR:
        return Version(f"{old.major}.{old.minor + 1}.0")
    return Version(f"{old.major}.{old.minor}.{old.micro + 1}")


Found = Iterator[tuple[str, Bump]]


def _action_changes(old: ActionInterface, new: ActionInterface) -> Found:
    yield from _input_changes(_by_name(old.inputs), _by_name(new.inputs))
    yield from _output_changes(_by_name(old.outputs), _by_name(new.outputs), old.name)
    yield from _meta_changes(old, new)


Named = TypeVar("Named", InputInterface, OutputInterface)


def _by_name(items: Sequence[Named]) -> dict[str, Named]:
    return {item.name: item for item in items}


def _input_changes(old: Mapping[str, InputInterface], new: Mapping[str, InputInterface]) -> Found:
    for name, before in old.items():
        after = new.get(name)
        if after is None:
            # Only an input a use could pass breaks uses when it goes.
            passable = before.default is None or before.configurable
            yield f"input '{name}' was removed", Bump.MAJOR if passable else Bump.PATCH
        else:
            yield from _one_input(name, before, after)
    for name, after in new.items():
        if name not in old:
            if after.default is None:
                yield f"new input '{name}' has no default: every use must pass it", Bump.MAJOR
            else:
                yield f"new input '{name}' with a default", Bump.MINOR


def _one_input(name: str, old: InputInterface, new: InputInterface) -> Found:
    if old.type != new.type:
        yield f"input '{name}' changed type from {old.type} to {new.type}", Bump.MAJOR
    if old.default is not None and new.default is None:
        yield f"input '{name}' lost its default: every use must pass it", Bump.MAJOR
    elif old.default is None and new.default is not None:
        yield f"input '{name}' got a default ({new.default})", Bump.MINOR
    elif old.default != new.default:
        yield f"input '{name}' default {old.default} became {new.default}", Bump.PATCH
    if old.configurable and not new.configurable and new.default is not None:
        yield f"input '{name}' stopped being configurable: a use passing it breaks", Bump.MAJOR
    elif not old.configurable and new.configurable:
        yield f"input '{name}' became configurable", Bump.MINOR
    if old.label != new.label:
        yield (
            f"input '{name}' label {old.label!r} became {new.label!r}",
            (Bump.MINOR if old.label is None else Bump.PATCH),
        )


def _output_changes(
    old: Mapping[str, OutputInterface], new: Mapping[str, OutputInterface], action: str
) -> Found:
    for name, before in old.items():
        after = new.get(name)
        if after is None:
            yield f"output '{name}' was removed (or renamed)", Bump.MAJOR
            continue
        old_fields = {f.name: f.type for f in before.fields}
        new_fields = {f.name: f.type for f in after.fields}
        for field, type_ in old_fields.items():
            if field not in new_fields:
                yield f"field '{field}' of output '{name}' was removed (or renamed)", Bump.MAJOR
            elif new_fields[field] != type_:
                yield (
                    f"field '{field}' of output '{name}' changed type from {type_} "
                    f"to {new_fields[field]}",
                    Bump.MAJOR,
                )
        for field in new_fields.keys() - old_fields.keys():
            yield f"new field '{field}' on output '{name}'", Bump.MINOR
    for name in new.keys() - old.keys():
        yield f"new output '{name}': every run of {action} must connect it", Bump.MAJOR


def _meta_changes(old: ActionInterface, new: ActionInterface) -> Found:
    if old.publish != new.publish:
        yield f"publish {old.publish.value} became {new.publish.value}", Bump.PATCH
    # The action's own `version` follows the library's: not a change of its own.
    for key in sorted((old.meta.keys() | new.meta.keys()) - {"version"}):
        before, after = old.meta.get(key), new.meta.get(key)
        if before is None:
            yield f"new meta '{key}': {after!r}", Bump.MINOR
        elif after is None:
            yield f"meta '{key}' was removed", Bump.PATCH
        elif before != after:
            yield f"meta '{key}' {before!r} became {after!r}", Bump.PATCH
