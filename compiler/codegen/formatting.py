"""Generated modules in Black's style without running Black on the build path.

Black formats about two thousand lines a second, so it used to be most of a
build. The templates now lay code out as Black does, string literals are quoted
as Black quotes them (`literal`, `restyle`), and the few lines longer than
Black's limit are split here the way Black splits them (`wrap_lines`): at the
last bracket, the head and tail on their own lines, the contents on one line
if they fit, else one element per line with a trailing comma (a collection
literal with commas is always exploded).

That covers the shapes generated code has. A line this module is not sure of
(a long line without brackets, with a comment, operators between its parts,
...) raises `NotSure`; only the top-level statement holding it is then given
to Black (`format_source`), so the result is Black's in every case, and
`tests/codegen/test_formatting.py` checks that the fast path agrees with Black
on every example and on the benchmark program.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

LINE_LENGTH = 88
INDENT = "    "
_TOP_LEVEL_BREAK = re.compile(r"\n\n\n(?=\S)")
# A Python string literal as repr() writes it (no prefixes, one line).
_STRING = re.compile(r"""'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*\"""")
_EXPONENT_PLUS = re.compile(r"(?<=\de)\+(?=\d)")
_ESCAPE_OR_CHAR = re.compile(r"\\.|.", re.DOTALL)
_TOKEN = re.compile(
    r"""(\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\w+|->|\*\*|//|[-+*/%<>=!]=|\S)"""
)
_OPENING = {"(": ")", "[": "]", "{": "}"}
_CLOSING = frozenset(_OPENING.values())
# Leaves that may stand between the parts of a line Black splits at its brackets
# alone: anything else (and, or, in, ==, +, two strings in a row) is a delimiter
# Black may split at first.
_PLAIN_OPERATORS = frozenset({".", "=", ":", "->"})
_STATEMENT_KEYWORDS = frozenset({"return", "if", "await", "elif", "while"})


class NotSure(Exception):
    """A line whose Black layout `wrap_lines` does not reproduce."""


# --------------------------------------------------------------------------
# Literals


def literal(value: object) -> str:
    """A string, or a tuple of strings, as a Python literal quoted the way Black quotes it."""
    if isinstance(value, tuple):
        items = [literal(item) for item in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    return _black_quotes(repr(value))


def restyle(code: str) -> str:
    """Python source from lowering (repr()'d strings, repr()'d floats) in Black's style:
    double quotes unless they need more escapes, `1e20` for `1e+20`."""
    parts = []
    position = 0
    for match in _STRING.finditer(code):
        parts.append(_EXPONENT_PLUS.sub("", code[position : match.start()]))
        parts.append(_black_quotes(match.group()))
        position = match.end()
    parts.append(_EXPONENT_PLUS.sub("", code[position:]))
    return "".join(parts)


def bare(code: str) -> str:
    """An expression without the redundant parentheses around all of it (`(a and b)`),
    which Black removes where a statement holds it (`if`, `return`, the right of `=`)."""
    if not (code.startswith("(") and code.endswith(")")):
        return code
    leaves = _leaves(code)
    if _matching_close(leaves, 0) != len(leaves) - 1 or _has_comma_at_depth_zero(leaves[1:-1]):
        return code
    return code[1:-1]


def _black_quotes(literal_text: str) -> str:
    """A repr()'d string with Black's quotes: double, unless that needs more escapes."""
    if literal_text.startswith('"'):
        return literal_text  # repr() chose double quotes: the text holds a ' and no "
    units = _ESCAPE_OR_CHAR.findall(literal_text[1:-1])
    if units.count('"') > units.count("\\'"):
        return literal_text
    body = "".join('\\"' if unit == '"' else "'" if unit == "\\'" else unit for unit in units)
    return f'"{body}"'


# --------------------------------------------------------------------------
# Wrapping long lines


@dataclass(frozen=True, slots=True)
class _Leaf:
    space: str  # the whitespace before it on the one-line form
    text: str


def wrap_lines(chunk: str) -> str:
    """A top-level statement (as the templates lay it out) with every line longer than
    Black's limit split the way Black splits it; raises NotSure when in doubt."""
    lines = chunk.split("\n")
    if all(len(line) <= LINE_LENGTH for line in lines) and chunk.isascii():
        return chunk
    wrapped: list[str] = []
    in_docstring = False
    for line in lines:
        opens_docstring = line.count('"""') % 2 == 1
        starts_docstring = opens_docstring and line.lstrip().startswith('"""')
        if in_docstring or starts_docstring or _is_comment(line) or _fits(line):
            wrapped.append(line)  # Black never splits a string: a docstring stays long
        else:
            wrapped += _wrap_statement(line)
        in_docstring ^= opens_docstring
    return "\n".join(wrapped)


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _fits(line: str) -> bool:
    return _width(line) <= LINE_LENGTH


def _wrap_statement(line: str) -> list[str]:
    """One long line of code: a statement, or an element inside brackets (ends with `,`)."""
    code = line.lstrip(" ")
    indent = line[: len(line) - len(code)]
    if code.startswith(("def ", "async def ", "from ", "import ", "class ")) or '"""' in code:
        raise NotSure(line)
    leaves = _leaves(code)
    if any(leaf.text == "#" for leaf in leaves):
        raise NotSure(line)  # a trailing comment: Black moves it with the split
    if _assigns_to_subscript(leaves):
        raise NotSure(line)  # `v["x"] = ...`: Black weighs splitting either side
    if _assigns_a_string(leaves):
        return _parenthesized_string(indent, leaves)
    return _right_hand_split(indent, leaves)


def _assigns_a_string(leaves: list[_Leaf]) -> bool:
    """`NAME = "text"`, as in the module's `SOURCE = "..."`."""
    return (
        len(leaves) == 3
        and leaves[0].text.isidentifier()
        and leaves[1].text == "="
        and leaves[2].text.startswith(('"', "'"))
    )


def _parenthesized_string(indent: str, leaves: list[_Leaf]) -> list[str]:
    """Black makes the invisible parentheses round a long string visible when that
    lets it fit, and leaves the line long when nothing would help."""
    name, string = leaves[0].text, leaves[2].text
    if _width(indent + INDENT + string) > LINE_LENGTH:
        return [f"{indent}{name} = {string}"]
    return [f"{indent}{name} = (", f"{indent}{INDENT}{string}", f"{indent})"]


def _lay_out(indent: str, leaves: list[_Leaf], explode: bool = False) -> list[str]:
    """The lines of what sits inside brackets: one line when it fits (and is not a
    collection Black always explodes), else one element per line."""
    text = _join(leaves)
    if not explode and _width(indent + text) <= LINE_LENGTH:
        return [indent + text]
    elements = _comma_elements(leaves)
    if elements is None:
        return _right_hand_split(indent, leaves) if _has_brackets(leaves) else [indent + text]
    return [line for element in elements for line in _lay_out_element(indent, element)]


def _lay_out_element(indent: str, element: list[_Leaf]) -> list[str]:
    """One element and its comma: split at its brackets when too long; Black leaves an
    element without brackets (`name="a long text",`) long, as nothing would help."""
    text = _join(element)
    if _width(indent + text) <= LINE_LENGTH or not _has_brackets(element):
        return [indent + text]
    return _right_hand_split(indent, element)


def _has_brackets(leaves: list[_Leaf]) -> bool:
    return any(leaf.text in _OPENING for leaf in leaves)


def _right_hand_split(indent: str, leaves: list[_Leaf]) -> list[str]:
    """Black's split at the last opening bracket: head, contents one level deeper, tail."""
    close = max((i for i, leaf in enumerate(leaves) if leaf.text in _CLOSING), default=-1)
    if close < 0:
        raise NotSure(_join(leaves))
    opening = _matching_open(leaves, close)
    head, body, tail = leaves[: opening + 1], leaves[opening + 1 : close], leaves[close:]
    _require_plain(head)
    _require_plain(tail)
    if _is_long_atom(indent, body) and _has_optional_parentheses(head):
        raise NotSure(_join(leaves))  # an atom too long anyway: Black weighs other splits
    head_line, tail_line = indent + _join(head), indent + _join(tail)
    if _width(head_line) > LINE_LENGTH or _width(tail_line) > LINE_LENGTH:
        raise NotSure(_join(leaves))
    is_collection = _is_collection(leaves, opening)
    magic_comma = body[-1].text == "," and not (is_collection and _is_one_tuple(body))
    explode = magic_comma or (is_collection and _has_comma_at_depth_zero(body[:-1]))
    inner = _lay_out(indent + INDENT, _unspaced(body), explode)
    return [head_line, *inner, tail_line]


def _is_long_atom(indent: str, body: list[_Leaf]) -> bool:
    return len(body) < 2 and _width(indent + INDENT + _join(body)) > LINE_LENGTH


def _has_optional_parentheses(head: list[_Leaf]) -> bool:
    """Whether Black sees invisible parentheses it may split at instead (after `return`,
    `if`, `=`)."""
    return head[0].text in _STATEMENT_KEYWORDS - {"await"} or any(leaf.text == "=" for leaf in head)


def _comma_elements(leaves: list[_Leaf]) -> list[list[_Leaf]] | None:
    """The elements between depth-0 commas, each ending with its comma (one is added
    after the last, as Black does); None without depth-0 commas."""
    elements: list[list[_Leaf]] = [[]]
    depth = 0
    for leaf in leaves:
        if leaf.text == "," and depth == 0:
            elements[-1].append(leaf)
            elements.append([])
            continue
        depth += (leaf.text in _OPENING) - (leaf.text in _CLOSING)
        elements[-1].append(leaf if elements[-1] else _Leaf("", leaf.text))
    if len(elements) == 1:
        _require_plain(leaves)
        return None
    if elements[-1]:
        elements[-1].append(_Leaf("", ","))
    else:
        elements.pop()
    for element in elements:
        _require_plain(element[:-1])
    return elements


def _require_plain(leaves: list[_Leaf]) -> None:
    """Raises NotSure when the leaves have a depth-0 delimiter other than commas, which
    Black would split at (or weigh against its brackets)."""
    depth = 0
    previous: _Leaf | None = None
    for leaf in leaves:
        is_bracket = leaf.text in _OPENING or leaf.text in _CLOSING
        if depth == 0 and not is_bracket and not _is_plain(leaf, previous):
            raise NotSure(_join(leaves))
        depth += (leaf.text in _OPENING) - (leaf.text in _CLOSING)
        previous = leaf


def _is_plain(leaf: _Leaf, previous: _Leaf | None) -> bool:
    text = leaf.text
    if text == ",":
        return True
    if text == ".":
        return previous is None or previous.text not in _CLOSING
    if text in _PLAIN_OPERATORS or text in _STATEMENT_KEYWORDS:
        return True
    if text[0] in "'\"":
        return previous is None or previous.text[0] not in "'\""
    if text == "-":  # unary minus, as lowering writes negative numbers
        return previous is None or previous.text in {",", "(", "[", "{", ":", "="}
    return (text.isidentifier() and text not in {"and", "or", "not", "in", "is", "if", "else"}) or (
        text[0].isdigit()
    )


def _is_collection(leaves: list[_Leaf], opening: int) -> bool:
    """Whether the bracket opens a literal (a dict, a list, a tuple) rather than a call
    or subscript: Black always explodes a split literal that has commas."""
    if leaves[opening].text == "{" or opening == 0:
        return True
    before = leaves[opening - 1].text
    is_name = before.isidentifier() and before not in _STATEMENT_KEYWORDS | {"not", "in"}
    return not (is_name or before in _CLOSING or before[0] in "'\"")


def _is_one_tuple(body: list[_Leaf]) -> bool:
    return not _has_comma_at_depth_zero(body[:-1])


def _has_comma_at_depth_zero(leaves: list[_Leaf]) -> bool:
    depth = 0
    for leaf in leaves:
        if leaf.text == "," and depth == 0:
            return True
        depth += (leaf.text in _OPENING) - (leaf.text in _CLOSING)
    return False


def _assigns_to_subscript(leaves: list[_Leaf]) -> bool:
    texts = [leaf.text for leaf in leaves]
    return "=" in texts and "[" in texts[: texts.index("=")]


def _leaves(code: str) -> list[_Leaf]:
    return [_Leaf(space, text) for space, text in _TOKEN.findall(code)]


def _join(leaves: list[_Leaf]) -> str:
    return "".join(leaf.space + leaf.text for leaf in leaves).lstrip(" ")


def _unspaced(leaves: list[_Leaf]) -> list[_Leaf]:
    return [_Leaf("", leaves[0].text), *leaves[1:]] if leaves else leaves


def _matching_close(leaves: list[_Leaf], opening: int) -> int:
    depth = 0
    for index in range(opening, len(leaves)):
        depth += (leaves[index].text in _OPENING) - (leaves[index].text in _CLOSING)
        if depth == 0:
            return index
    return -1


def _matching_open(leaves: list[_Leaf], close: int) -> int:
    depth = 0
    for index in range(close, -1, -1):
        depth += (leaves[index].text in _CLOSING) - (leaves[index].text in _OPENING)
        if depth == 0:
            return index
    raise NotSure(_join(leaves))


def _width(line: str) -> int:
    """The width Black measures: East Asian wide characters count twice."""
    if line.isascii():
        return len(line)
    from black.strings import str_width  # only for the rare line that is not ASCII

    return int(str_width(line))


# --------------------------------------------------------------------------
# Whole modules


def format_source(source: str) -> str:
    """Black's formatting of one generated module (or one chunk of it): the fallback."""
    import black  # imported only when a chunk needs it: importing Black takes a while

    return str(black.format_str(source, mode=black.Mode()))


def split_top_level(source: str) -> list[str]:
    """A rendered module's top-level statements, as the templates separate them."""
    return _TOP_LEVEL_BREAK.split(source)


def join_top_level(chunks: Sequence[str]) -> str:
    """Formatted chunks put back together, two blank lines apart, as Black would."""
    return "\n\n\n".join(chunk.rstrip("\n") for chunk in chunks) + "\n"


def format_chunk(chunk: str) -> str:
    """A top-level statement in Black's style: wrapped here, or by Black when not sure."""
    try:
        return wrap_lines(chunk)
    except NotSure:
        return format_source(chunk)


def format_sources(sources: Sequence[str]) -> list[str]:
    """Every rendered module in Black's style, in order."""
    return [join_top_level([format_chunk(c) for c in split_top_level(s)]) for s in sources]
