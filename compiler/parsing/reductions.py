"""What the LALR parser calls at each reduction: a builder method, with the rule's children.

Lark reduces a rule with the values of every symbol of one expansion. The
builder's methods take the children worth naming as positional parameters,
in grammar order (`set(keyword, name, value)` for `set: SET NAME "=" expr`).
This table makes them so, as Lark's own tree builder shapes a tree:

- anonymous punctuation ("=", ":", ",", ".", "??") is dropped: its neighbours' spans
  already say where it is;
- an inlined rule (`_names`, `_step`, and the `__x_star_n` rules Lark makes for
  `x*`) gives its children to its parent in its own place;
- a `?rule` alternative with a single child is that child.

The table is made once per grammar; `bind` gives each parse callbacks of its
own, calling that parse's builder, so parses never share a builder.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from lark.grammar import NonTerminal, Rule, Symbol, Terminal

Children = list[Any]
Callbacks = dict[Any, Callable[[Any], Any]]
"""Lark's ParseConf.callbacks: a rule's callback by Rule, a terminal's by its name."""

# Which children a rule passes on: (index in the expansion, whether an inlined rule's).
_Parts = tuple[tuple[int, bool], ...]
_Selector = Callable[[Children], Children]
# How a rule that builds a node is reduced: its builder method's name, and how to pick
# the method's arguments out of the values (None: all of them, as they are).
_Recipe = tuple[str, _Selector | None]


class Reductions:
    """The callbacks of a grammar's rules, waiting for a builder."""

    def __init__(self, rules: Sequence[Rule], terminals: Iterable[str]) -> None:
        # The same for every parse: inlined rules and single-child alternatives.
        self._fixed: Callbacks = {}
        # The rules that build a node.
        self._built: dict[Rule, _Recipe] = {}
        for rule in rules:
            parts = tuple(
                (index, _is_inlined(symbol))
                for index, symbol in enumerate(rule.expansion)
                if not _is_punctuation(symbol)
            )
            select = _selector(parts, len(rule.expansion))
            if rule.origin.name.startswith("_"):
                self._fixed[rule] = select or _as_they_are
            elif rule.options.expand1 and not rule.alias and parts == ((0, False),):
                self._fixed[rule] = operator.itemgetter(0)
            else:
                self._built[rule] = (rule.alias or rule.origin.name, select)
        self._terminals = tuple(terminals)

    def bind(self, builder: object, replacing: Callbacks | None = None) -> Callbacks:
        """Callbacks that build with `builder`: one method per rule (named after the rule
        or its alias) and per terminal that has one (NAME, STRING, ...), as in Lark.

        `replacing` gives other callbacks to some terminals.
        """
        callbacks = _BoundCallbacks(self._fixed, self._built, builder)
        # Looked up in the class's own namespace: getattr() of a missing name costs an
        # exception, for each of the many terminals that have no method.
        methods = vars(type(builder))
        callbacks.update((t, getattr(builder, t)) for t in self._terminals if t in methods)
        callbacks.update(replacing or {})
        return callbacks


class _BoundCallbacks(Callbacks):
    """The callbacks of one parse. A rule's is made when the parser first reduces it:
    a file uses a fraction of the grammar's rules, and making every callback up
    front would cost a small file's parse as much again."""

    def __init__(self, fixed: Callbacks, built: dict[Rule, _Recipe], builder: object) -> None:
        super().__init__(fixed)
        self._built = built
        self._builder = builder

    def __missing__(self, rule: Rule) -> Callable[[Children], Any]:
        name, select = self._built[rule]
        callback = self[rule] = _calling(getattr(self._builder, name), select)
        return callback


def _is_punctuation(symbol: Symbol) -> bool:
    return isinstance(symbol, Terminal) and symbol.filter_out


def _is_inlined(symbol: Symbol) -> bool:
    return isinstance(symbol, NonTerminal) and symbol.name.startswith("_")


def _selector(parts: _Parts, size: int) -> _Selector | None:
    """Picks a rule's children out of its expansion's values; None when all pass as they are."""
    if not any(inlined for _, inlined in parts):
        if len(parts) == size:
            return None
        indexes = tuple(index for index, _ in parts)
        return lambda values: [values[i] for i in indexes]
    return functools.partial(_gather, parts=parts)


def _gather(values: Children, parts: _Parts) -> Children:
    children: Children | None = None
    for index, inlined in parts:
        value = values[index]
        if children is None:
            # A repetition (`step*`) is left-recursive: its list is extended in place
            # rather than copied at each item, which would take quadratic time.
            children = value if inlined else [value]
        elif inlined:
            children += value
        else:
            children.append(value)
    return children if children is not None else []


def _as_they_are(values: Children) -> Children:
    return values


def _calling(method: Callable[..., Any], select: _Selector | None) -> Callable[[Children], Any]:
    if select is None:
        return lambda values: method(*values)
    return lambda values: method(*select(values))
