"""The fields of a form one answer gives, by rules: `fill_form`.

A form is a collect of a record (`collect order: {size: text in ["small", "large"],
topping: text in [...], count: number}`). One answer may give several fields ("a
large pepperoni please": a size and a topping; "two large": a count and a size) or
change one already given ("no, make it 60", "actually a small one", "change the
size to medium", "no, the name is Jo"). The answer is read as its words, and the
words a field takes leave the answer: no word gives two fields. In order:

1. The field asked, when it is a text (or a secret): the whole answer, and nothing
   else ("Marge Simpson" is a name, not a "large"); "my name is Jo" gives "Jo". The
   text stops at an "and" after which the words give other fields: "it's Bob, and
   make it three" is a name and a count.
2. A text or bool field the answer names with its value: "the name is Jo",
   "change the name to Jo" (the name, a linking word, then the value to the end, or
   to an "and" as in 1).
3. The field asked, when it is an email or a phone number: read first, so an
   option word inside it ("marge.large@example.com") stays in it.
4. A value repaired at once ("two, no, three", "two, I mean three", "small, actually
   large", "small no large": a repair word between two values of one kind) leaves
   the answer with the repair word. Then, said "not", "no", "instead of", "rather
   than": the value after it leaves the answer unread ("make it a medium instead of
   the large", "no, three, not two").
5. Options. A field takes an option whose words the answer says (a plural "larges"
   too; never inside a longer word or an address), with a "one" after it ("a
   small one" says no count). Only the field asked reads the answer as
   `understand_choice` does: misheard words, and by position or key ("the second
   one", "press 2"), after which nothing else is read; in a form with a number
   field, a number said ("two") is that number, not the second option (a key
   pressed, "2", still is). A "one" after an article and a word ("a big one") is
   no count either.
6. The other fields, by type, on the words left: the field asked first, then
   emails, phones, datetimes, dates, times, numbers (the loosest last: "on the 5th"
   is a day, not a count); a value the words left give only in part ("for 2, phone
   2125550199" is no phone whole) is read from the shortest run of them that gives
   one. Of two fields of one type, only the one asked, or the
   one the answer names ("change the count to 3"), takes the value; a bare hour
   ("four") is a time only when a time is asked. Texts and bools take an answer
   only by 1 and 2 (or when asked): anything is a text, and "yes" answers a read-back.
7. A value two fields could take (an option of both) goes to the field named, else
   the field asked, else to neither.

Pure and deterministic; `read` is the per-type understanding to use (the
rule-based understanding passes its own, with its locale and phone region).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .services import JSON, FormField
from .understanding import (
    MONTHS,
    ORDINAL_WORDS,
    SCALES,
    SMALL_NUMBERS,
    WEEKDAYS,
    choice_words,
    is_bare_time,
    says_a_position,
    understand_choice,
)
from .values import ValueType

# Reads one value of a collect type from words: (type_name, words, options) -> value.
Reader = Callable[[str, str, Sequence[str] | None], JSON | None]

# Types whose fields take an answer only when asked for or named with it (rules 1, 2).
ASKED_ONLY = frozenset({ValueType.TEXT, ValueType.BOOL, ValueType.SECRET})
# Read from the whole answer when asked (rule 3): an address keeps its words.
WHOLE_WORD_TYPES = frozenset({ValueType.EMAIL, ValueType.PHONE})
# The order the other types are read in (rule 6): the most telling first.
TYPE_ORDER = (
    ValueType.EMAIL,
    ValueType.PHONE,
    ValueType.DATETIME,
    ValueType.DATE,
    ValueType.TIME,
    ValueType.NUMBER,
)
# The longest run of words one value is looked for in (rule 6); a value that needs
# more takes every word left.
MAX_VALUE_WORDS = 8

# "not large", "instead of the large": the words that say the next value is not meant.
NEGATORS = (("not",), ("no",), ("never",), ("instead", "of"), ("rather", "than"))
# Said between a value and the one meant instead, in one breath: "two, I mean three",
# "small no large" (rule 4).
REPAIRS = (("i", "mean"), ("actually",), ("sorry",), ("make", "that"), ("no",), ("rather",))
# Words that may stand between a negator and its value: "not the large", "not at 7".
NEGATION_GAP = frozenset({"the", "a", "an", "any", "on", "at", "for"})
# Words of a value other than an option (rule 4), besides figures: "not two", "not Friday".
VALUE_WORDS = frozenset(
    {*SMALL_NUMBERS, *ORDINAL_WORDS, *SCALES, *WEEKDAYS, *MONTHS, "hundred", "dozen",
     "am", "pm", "oclock", "o'clock", "noon", "midnight", "today", "tomorrow"}
)  # fmt: skip
# Between a field's name and the value it is given: "the name is Jo", "change it to".
LINKS = frozenset({"is", "to", "be", "as", "should", "will", "would"})
# What follows an option and is no count: "a small one".
ONE_WORDS = frozenset({"one", "ones"})
# Before a word and a "one" that stands for a thing: "a big one", "the blue one".
ARTICLES = frozenset({"a", "an", "the", "this", "that"})


@dataclass(frozen=True, slots=True)
class Word:
    """A word of the answer as said ("large,") and as compared ("large")."""

    said: str
    plain: str

    @property
    def ends_clause(self) -> bool:
        """ "no, medium": a "no" with a comma says nothing of the word after it."""
        return self.said[-1:] in ",.;:!?"


def words_of(text: str) -> list[Word]:
    """The answer's words, split at spaces only: "marge.large@example.com" is one."""
    return [Word(token, _plain(token)) for token in text.split()]


def _plain(token: str) -> str:
    return token.lower().replace("\u2019", "'").strip('.,;:!?"()')


def _text(words: Sequence[Word]) -> str:
    return " ".join(word.said for word in words)


def fill_form(
    utterance: str, fields: Sequence[FormField], asking: str | None, read: Reader
) -> dict[str, JSON]:
    """The fields the answer gives, by name, in the order the form declares them."""
    words = words_of(utterance)
    if not words:
        return {}
    asked = next((f for f in fields if f.name == asking), None)
    if asked is not None and asked.options is None and asked.type_name in (
        ValueType.TEXT, ValueType.SECRET
    ):  # fmt: skip
        # Rule 1: the answer is the text asked for; "my name is Jo" gives its value.
        linked = _linked_value(words, asked)
        said, others = _text_then_others(linked if linked is not None else words, fields, read)
        value = read(asked.type_name, _text(said), None)
        found = others if value is None else {**others, asked.name: value}
        return {f.name: found[f.name] for f in fields if f.name in found}
    answer = Answer(words, fields, asked, read)
    answer.read_linked()
    if asked is not None and asked.type_name in WHOLE_WORD_TYPES and asked.options is None:
        answer.read_plain(asked)
    answer.drop_repaired()
    answer.drop_negated()
    if answer.read_options():
        answer.drop_pronoun_ones()
        answer.read_asked_plain()
        answer.read_other_plain()
    return {f.name: answer.found[f.name] for f in fields if f.name in answer.found}


class Answer:
    """The words of one answer left to read, and the fields found so far."""

    def __init__(
        self, words: list[Word], fields: Sequence[FormField], asked: FormField | None,
        read: Reader,
    ) -> None:  # fmt: skip
        self.words = words
        self.fields = fields
        self.asked = asked
        self.read = read
        self.found: dict[str, JSON] = {}
        self.named = _named_field(_text(words), fields)
        self.preferred = self.named or (asked.name if asked else None)

    def read_linked(self) -> None:
        """Rule 2: "no, the name is Jo": a text or bool named, its value after the name."""
        field = next((f for f in self.fields if f.name == self.named), None)
        if field is None or field.options is not None or field.type_name not in ASKED_ONLY:
            return
        start = _name_at(self.words, field)
        linked = _linked_value(self.words, field)
        if start is None or linked is None:
            return
        said, others = _text_then_others(linked, self.fields, self.read)
        value = self.read(field.type_name, _text(said), None)
        if value is not None:
            self.found.update(others)
            self.found[field.name] = value
            self.words = self.words[:start]

    def read_plain(self, field: FormField) -> None:
        """The field's value from the words left; its words leave the answer."""
        if field.name in self.found:
            return
        value = self.read(field.type_name, _text(self.words), None)
        if value is None:
            # The other words may hide it: "for 2, phone 2125550199" is no phone whole.
            value = self._value_in_a_run(field.type_name)
        if value is None:
            return
        bare = field.type_name == ValueType.TIME and is_bare_time(_text(self.words))
        if bare and field is not self.asked:
            return  # "two large": a bare hour is a time only when one is asked
        self.found[field.name] = value
        start, end = self._value_span(field.type_name, value)
        del self.words[start:end]

    def _value_in_a_run(self, type_name: str) -> JSON | None:
        """The value of the first shortest run of words left that reads as one."""
        count = len(self.words)
        for length in range(1, min(count, MAX_VALUE_WORDS) + 1):
            for start in range(count - length + 1):
                value = self.read(type_name, _text(self.words[start : start + length]), None)
                if value is not None:
                    return value
        return None

    def _value_span(self, type_name: str, value: JSON) -> tuple[int, int]:
        """The fewest words left that read as `value`: the words it took (all of them
        when no run of MAX_VALUE_WORDS does)."""
        count = len(self.words)
        for length in range(1, min(count, MAX_VALUE_WORDS) + 1):
            for start in range(count - length + 1):
                run = _text(self.words[start : start + length])
                if self.read(type_name, run, None) == value:
                    return start, self._with_year(type_name, value, start, start + length)
        return 0, count

    def _with_year(self, type_name: str, value: JSON, start: int, end: int) -> int:
        """The end of a date's words with a year said after it ("March 15th 2030", read
        as the same day without it in 2030): the year is no count."""
        if type_name not in (ValueType.DATE, ValueType.DATETIME) or end == len(self.words):
            return end
        year = self.words[end].plain
        said_year = len(year) == 4 and year.isdigit()
        with_year = said_year and self.read(type_name, _text(self.words[start : end + 1]), None)
        return end + 1 if with_year == value else end

    def drop_repaired(self) -> None:
        """Rule 4: "two, I mean three": a value, a repair word, and a value of the same
        kind after it; the first value and the repair word leave the answer."""
        index = 1
        while index < len(self.words):
            length = _repair_at(self.words, index)
            repaired = self._repaired_start(index, index + length) if length else None
            if repaired is not None:
                del self.words[repaired : index + length]
                index = max(repaired, 1)
                continue
            index += 1

    def _repaired_start(self, marker: int, after: int) -> int | None:
        """Where the value ending at `marker` starts, when the words after the repair
        word say a value of its kind: an option of the same field, or value words."""
        after = _past_gap(self.words, after)
        for field in self.fields:
            for option in field.options or ():
                start = marker - len(option.split())
                said_before = start >= 0 and _says_option(self.words[start:marker], option)
                if said_before and _option_end(self.words, after, field.options or ()):
                    return start
        start = marker
        while start > 0 and _is_value_word(self.words[start - 1].plain):
            start -= 1
        return start if start < marker and _value_words_end(self.words, after) else None

    def drop_negated(self) -> None:
        """Rule 4: a negator and the option or value after it leave the answer."""
        options = sorted(
            {option for f in self.fields for option in f.options or ()},
            key=lambda option: -len(option.split()),
        )
        index = 0
        while index < len(self.words):
            length = _negator_at(self.words, index)
            if length:
                after = _past_gap(self.words, index + length)
                end = _option_end(self.words, after, options)
                if end is None and self.words[index].plain != "no":
                    end = _value_words_end(self.words, after)
                if end is not None:
                    del self.words[index:end]
                    continue
            index += 1

    def read_options(self) -> bool:
        """Rule 5 and 7: the options said; False when the field asked took the answer
        by position or misheard words, and nothing else is read."""
        chosen: dict[str, tuple[str, tuple[int, int] | None]] = {}
        for field in self.fields:
            if not field.options:
                continue
            span = _option_said(self.words, field.options)
            if field is self.asked:
                choice = self._asked_choice(field.options)
                if choice is not None and (span is None or span[0] != choice):
                    chosen[field.name] = (choice, None)
                    continue
            if span is not None:
                chosen[field.name] = (span[0], span[1])
        kept = _one_field_per_option(chosen, self.preferred)
        for name, (value, _) in kept.items():
            self.found[name] = value
        spans = sorted({span for _, span in kept.values() if span is not None}, reverse=True)
        for start, end in spans:
            del self.words[start:end]
        return all(span is not None for _, span in kept.values())

    def _asked_choice(self, options: Sequence[str]) -> str | None:
        """The asked field's option as a choice reads it, but not a bare number in a
        form with a number field ("two" is a count there, "the second one" a size)."""
        said = _text(self.words)
        choice = understand_choice(said, options)
        counts = any(f.type_name == ValueType.NUMBER and f.options is None for f in self.fields)
        bare_number = counts and not says_a_position(said)
        if choice is not None and bare_number:
            return None if self.read(ValueType.NUMBER, said, None) is not None else choice
        return choice

    def drop_pronoun_ones(self) -> None:
        """ "a big one", "the blue ones": a "one" after an article and a word stands for
        a thing, not a count ("one", "just one" stay counts)."""
        self.words = [
            word for index, word in enumerate(self.words)
            if not (word.plain in ONE_WORDS and index >= 2
                    and self.words[index - 2].plain in ARTICLES
                    and not _is_value_word(self.words[index - 1].plain))
        ]  # fmt: skip

    def read_asked_plain(self) -> None:
        asked = self.asked
        if asked is not None and asked.options is None:
            self.read_plain(asked)

    def read_other_plain(self) -> None:
        """Rule 6: each type in turn, to the one field of it that takes a value."""
        for type_name in TYPE_ORDER:
            group = [
                f for f in self.fields
                if f.type_name == type_name and f.options is None and f.name not in self.found
            ]  # fmt: skip
            target = group[0] if len(group) == 1 else None
            if len(group) > 1:
                target = next((f for f in group if f.name == self.preferred), None)
            if target is not None and self.words:
                self.read_plain(target)


def _negator_at(words: Sequence[Word], index: int) -> int:
    """How many words the negator at `index` has (0: none); one with a comma negates nothing."""
    for negator in NEGATORS:
        run = words[index : index + len(negator)]
        if tuple(w.plain for w in run) == negator and not run[-1].ends_clause:
            return len(negator)
    return 0


def _repair_at(words: Sequence[Word], index: int) -> int:
    """How many words the repair word at `index` has (0: none)."""
    for repair in REPAIRS:
        if tuple(w.plain for w in words[index : index + len(repair)]) == repair:
            return len(repair)
    return 0


def _past_gap(words: Sequence[Word], index: int) -> int:
    while index < len(words) and words[index].plain in NEGATION_GAP:
        index += 1
    return index


def _value_words_end(words: Sequence[Word], start: int) -> int | None:
    """The end of the run of value words at `start` ("two", "7 pm", "Friday"), if any."""
    end = start
    while end < len(words) and _is_value_word(words[end].plain):
        end += 1
        if words[end - 1].ends_clause:
            break
    return end if end > start else None


def _is_value_word(plain: str) -> bool:
    return plain in VALUE_WORDS or any(c.isdigit() for c in plain)


def _option_end(words: Sequence[Word], start: int, options: Sequence[str]) -> int | None:
    """The end of the option said at `start` (the longest one), if one is."""
    for option in options:
        length = len(option.split())
        if _says_option(words[start : start + length], option):
            return start + length
    return None


def _says_option(run: Sequence[Word], option: str) -> bool:
    """The words are the option's, the last one maybe plural ("two larges")."""
    wanted = [_plain(word) for word in option.split()]
    said = [word.plain for word in run]
    if not wanted or len(said) != len(wanted):
        return False
    last, said_last = wanted[-1], said[-1]
    plural = said_last in (last + "s", last + "es")
    return said[:-1] == wanted[:-1] and (said_last == last or plural)


def _option_said(
    words: Sequence[Word], options: Sequence[str]
) -> tuple[str, tuple[int, int]] | None:
    """The one option said, with its words (and a "one" after them); an option inside a
    longer one said ("large" in "extra large") does not count; two said: none."""
    found: list[tuple[str, int, int]] = []
    for option in options:
        length = len(option.split())
        for start in range(len(words) - length + 1):
            if _says_option(words[start : start + length], option):
                found.append((option, start, start + length))
    widest = [
        (option, start, end) for option, start, end in found
        if not any(s <= start and end <= e and (s, e) != (start, end) for _, s, e in found)
    ]  # fmt: skip
    if len({option for option, _, _ in widest}) != 1:
        return None
    option, start, end = widest[0]
    if end < len(words) and words[end].plain in ONE_WORDS:
        end += 1
    return option, (start, end)


def _one_field_per_option(
    chosen: dict[str, tuple[str, tuple[int, int] | None]], preferred: str | None
) -> dict[str, tuple[str, tuple[int, int] | None]]:
    """An option taken by two fields stays only with the preferred one (rule 7)."""
    kept: dict[str, tuple[str, tuple[int, int] | None]] = {}
    for name, (value, span) in chosen.items():
        sharing = [other for other, (taken, _) in chosen.items() if _same(taken, value)]
        if len(sharing) == 1 or name == preferred:
            kept[name] = (value, span)
    return kept


def _same(first: str, second: str) -> bool:
    return first.casefold().split() == second.casefold().split()


def _named_field(said: str, fields: Sequence[FormField]) -> str | None:
    """The one field whose name the answer says ("change the size to medium")."""
    words = set(choice_words(said))
    named = [
        f.name
        for f in fields
        # A name of filler words only ("number") names nothing.
        if (name := set(choice_words(f.name.replace("_", " ")))) and name <= words
    ]
    return named[0] if len(named) == 1 else None


def named_field(utterance: str, fields: Sequence[FormField]) -> str | None:
    """The field an answer names, if it names one alone ("the size", "the name is Jo")."""
    return _named_field(" ".join(utterance.split()), fields)


def _name_at(words: Sequence[Word], field: FormField) -> int | None:
    """Where the field's name is said ("the name" in "no, the name is Jo")."""
    name = field.name.split("_")
    for start in range(len(words) - len(name) + 1):
        if [w.plain.removesuffix("'s") for w in words[start : start + len(name)]] == name:
            return start
    return None


def _text_then_others(
    words: Sequence[Word], fields: Sequence[FormField], read: Reader
) -> tuple[Sequence[Word], dict[str, JSON]]:
    """A text's words and the fields said after it: "Bob, and make it three" is the
    text "Bob" and a count. The text stops at an "and" only when the words after it
    give another field ("Johnson and Johnson" stays one text); a comma alone does not
    stop it, as "12 Main Street, apartment 4" is one address, not a count."""
    for cut in range(1, len(words)):
        if words[cut].plain != "and":
            continue
        rest = words[cut + 1 :]
        others = [f for f in fields if f.options is not None or f.type_name not in ASKED_ONLY]
        found = fill_form(_text(rest), others, None, read) if rest else {}
        if found:
            return [*words[: cut - 1], _without_mark(words[cut - 1])], found
    return words, {}


def _without_mark(word: Word) -> Word:
    return Word(word.said.rstrip(",.;:!?"), word.plain)


def _linked_value(words: Sequence[Word], field: FormField) -> list[Word] | None:
    """The words after the field's name and a linking word ("is", "to", "should be", a
    "name's"), to the end of the answer; None when the answer does not say so."""
    start = _name_at(words, field)
    if start is None:
        return None
    end = start + len(field.name.split("_"))
    links = end
    while links < len(words) and words[links].plain in LINKS:
        links += 1
    said_s = words[end - 1].plain.endswith("'s")
    if (links == end and not said_s) or links == len(words):
        return None
    return list(words[links:])
