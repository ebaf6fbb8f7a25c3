"""The registry of diagnostic codes: every code flowc reports, with what it belongs to.

A code is stable data that tools match on (`flowc check --format json`, the
editor, tests), so it is declared once here, not written as a string where it
is reported. Each entry knows its phase (which part of the compiler finds it,
and which section of docs/diagnostics.md lists it), its severity, and its
title (`summary`: a str has a `title` method already), which with the id makes
the heading it is documented under; tests/diagnostics/test_codes.py
holds the catalogue and this registry to each other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum, StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Phase(Enum):
    """What a code is about; the value is its section heading in docs/diagnostics.md."""

    SYNTAX = "Syntax (E00xx)"
    NAMES = "Names (E01xx)"
    STRUCTURE = "Program structure and imports (E02xx)"
    PATHS = "Paths through the flow graph (E03xx)"
    ASSIGNMENT = "Definite assignment (E04xx)"
    TYPES = "Types (E05xx)"
    CALL_RULES = "Secrets and call rules (E06xx)"
    TESTS = "Tests (E07xx)"
    LIBRARIES = "Libraries (E08xx)"
    WARNINGS = "Warnings (W01xx)"


class Code(str):
    """A diagnostic code. It is its id ("E0101") as a string, so it is what a Diagnostic holds,
    prints and serialises, and it carries the registry's facts about itself.
    """

    phase: Phase
    severity: Severity
    summary: str

    def __new__(cls, id: str, phase: Phase, severity: Severity, summary: str) -> Code:
        code = super().__new__(cls, id)
        code.phase, code.severity, code.summary = phase, severity, summary
        return code

    @property
    def heading(self) -> str:
        """The heading it is documented under: `### E0101: undefined variable`, without `###`."""
        return f"{self}: {self.summary}"

    @property
    def anchor(self) -> str:
        """The heading's link target, as GitHub makes it: `#e0101-undefined-variable`."""
        slug = re.sub(r"[^\w\- ]", "", self.heading.lower()).replace(" ", "-")
        return f"docs/diagnostics.md#{slug}"


_REGISTRY: dict[str, Code] = {}


def _code(id: str, phase: Phase, severity: Severity, summary: str) -> Code:
    assert id not in _REGISTRY, f"{id} is registered twice"
    code = _REGISTRY[id] = Code(id, phase, severity, summary)
    return code


def lookup(id: str) -> Code:
    """The registered code with this id; a KeyError for an id nobody registered."""
    return _REGISTRY[id]


def all_codes() -> Mapping[str, Code]:
    return dict(_REGISTRY)


# Syntax

UNEXPECTED_TOKEN = _code("E0001", Phase.SYNTAX, Severity.ERROR, "unexpected token")
NOT_UTF8 = _code("E0002", Phase.SYNTAX, Severity.ERROR, "file is not UTF-8")
UNEXPECTED_CHARACTER = _code("E0003", Phase.SYNTAX, Severity.ERROR, "unexpected character")
UNTERMINATED_STRING = _code("E0004", Phase.SYNTAX, Severity.ERROR, "unterminated string")
UNKNOWN_ESCAPE = _code("E0005", Phase.SYNTAX, Severity.ERROR, "unknown escape")
UNKNOWN_KEYWORD = _code("E0006", Phase.SYNTAX, Severity.ERROR, "unknown keyword")
KEYWORD_AS_NAME = _code("E0007", Phase.SYNTAX, Severity.ERROR, "keyword used as a name")
UNKNOWN_TYPE = _code("E0008", Phase.SYNTAX, Severity.ERROR, "unknown type")
MALFORMED_NUMBER = _code("E0009", Phase.SYNTAX, Severity.ERROR, "malformed number")
NESTED_TOO_DEEPLY = _code("E0010", Phase.SYNTAX, Severity.ERROR, "nested too deeply")
MISSING_CLAUSE = _code("E0011", Phase.SYNTAX, Severity.ERROR, "missing clause")
DUPLICATE_CLAUSE = _code("E0012", Phase.SYNTAX, Severity.ERROR, "duplicate clause or handler")
WRONG_HANDLER = _code("E0013", Phase.SYNTAX, Severity.ERROR, "handler a step cannot take")
BAD_TEMPLATE = _code("E0014", Phase.SYNTAX, Severity.ERROR, "bad template")
TEMPLATE_NOT_PLAIN = _code(
    "E0015", Phase.SYNTAX, Severity.ERROR, "template where a plain string is needed"
)
PYTHON_WITHOUT_MODULE = _code(
    "E0016", Phase.SYNTAX, Severity.ERROR, "python function without its module"
)
INVALID_MOMENT = _code("E0017", Phase.SYNTAX, Severity.ERROR, "date or time that does not exist")
CALENDAR_DURATION = _code("E0018", Phase.SYNTAX, Severity.ERROR, "duration in months or years")
TYPE_AFTER_AS = _code("E0019", Phase.SYNTAX, Severity.ERROR, "type after 'as' on a value")
DUPLICATE_RECORD_FIELD = _code(
    "E0020", Phase.SYNTAX, Severity.ERROR, "record field written twice"
)
EXPECTED_DIGITS = _code(
    "E0030", Phase.SYNTAX, Severity.ERROR, "count of something other than digits"
)
INTENT_WITHOUT_PHRASES = _code("E0031", Phase.SYNTAX, Severity.ERROR, "intent without phrases")
FORM_CLAUSE_NOT_A_FORM = _code(
    "E0035", Phase.SYNTAX, Severity.ERROR, "form clause on a collect that is not a form"
)
FIELD_ASKED_TWICE = _code("E0036", Phase.SYNTAX, Severity.ERROR, "field of a form asked twice")
FORM_FIELD_TWICE = _code("E0037", Phase.SYNTAX, Severity.ERROR, "field of a form declared twice")

# Names

UNDEFINED_VARIABLE = _code("E0101", Phase.NAMES, Severity.ERROR, "undefined variable")
UNDEFINED_LABEL = _code("E0102", Phase.NAMES, Severity.ERROR, "undefined label")
UNDEFINED_ACTION = _code("E0103", Phase.NAMES, Severity.ERROR, "undefined action")
UNDEFINED_OUTPUT = _code("E0104", Phase.NAMES, Severity.ERROR, "undefined output")
UNDECLARED_PYTHON = _code("E0105", Phase.NAMES, Severity.ERROR, "undeclared python function")
DUPLICATE_LABEL = _code("E0106", Phase.NAMES, Severity.ERROR, "duplicate label")
DUPLICATE_INPUT = _code("E0107", Phase.NAMES, Severity.ERROR, "duplicate input")
DUPLICATE_OUTPUT = _code("E0108", Phase.NAMES, Severity.ERROR, "duplicate output or output field")
DUPLICATE_DECLARATION = _code("E0109", Phase.NAMES, Severity.ERROR, "duplicate declaration")
DUPLICATE_HANDLER = _code("E0110", Phase.NAMES, Severity.ERROR, "duplicate handler")
DUPLICATE_ARGUMENT = _code("E0111", Phase.NAMES, Severity.ERROR, "duplicate argument")
UNKNOWN_DEFAULT_EVENT = _code("E0113", Phase.NAMES, Severity.ERROR, "unknown default-handler event")
LABEL_NAMED_LIKE_OUTPUT = _code("E0114", Phase.NAMES, Severity.ERROR, "label named like an output")
PYTHON_MODULE_NOT_FOUND = _code("E0115", Phase.NAMES, Severity.ERROR, "python module not found")
PYTHON_FUNCTION_NOT_FOUND = _code(
    "E0116", Phase.NAMES, Severity.ERROR, "python function not found in its module"
)
PYTHON_SOURCE_UNPARSABLE = _code(
    "E0117", Phase.NAMES, Severity.ERROR, "python module that does not parse"
)
UNKNOWN_FUNCTION = _code("E0118", Phase.NAMES, Severity.ERROR, "unknown function")
UNKNOWN_FORMAT = _code("E0119", Phase.NAMES, Severity.ERROR, "unknown format")
UNKNOWN_DAY_PART = _code("E0130", Phase.NAMES, Severity.ERROR, "unknown part of the day")
DUPLICATE_INTENT = _code("E0131", Phase.NAMES, Severity.ERROR, "intent declared twice")
PHRASE_OF_TWO_INTENTS = _code("E0132", Phase.NAMES, Severity.ERROR, "phrase of two intents")
UNKNOWN_FORM_FIELD = _code("E0135", Phase.NAMES, Severity.ERROR, "unknown field of a form")
FIELD_WITHOUT_ASK = _code("E0136", Phase.NAMES, Severity.ERROR, "field of a form never asked")
ASK_READS_ITS_FORM = _code(
    "E0137", Phase.NAMES, Severity.ERROR, "ask prompt that reads its own form"
)

# Structure

IMPORT_NOT_FOUND = _code("E0201", Phase.STRUCTURE, Severity.ERROR, "imported file not found")
LIBRARY_NOT_INSTALLED = _code(
    "E0202", Phase.STRUCTURE, Severity.ERROR, "action library not installed"
)
IMPORT_UNREADABLE = _code("E0203", Phase.STRUCTURE, Severity.ERROR, "imported file unreadable")
IMPORTED_NAME_NOT_FOUND = _code("E0204", Phase.STRUCTURE, Severity.ERROR, "imported name not found")
FLOW_AS_ACTION = _code("E0205", Phase.STRUCTURE, Severity.ERROR, "flow used as an action")
RECURSIVE_ACTIONS = _code("E0206", Phase.STRUCTURE, Severity.ERROR, "recursive actions")
UNKNOWN_META_KEY = _code("E0207", Phase.STRUCTURE, Severity.ERROR, "unknown meta key")
INVALID_META_VALUE = _code("E0208", Phase.STRUCTURE, Severity.ERROR, "invalid meta value")
META_KEY_TWICE = _code("E0209", Phase.STRUCTURE, Severity.ERROR, "meta key given twice")

# Paths

OUTPUT_NOT_CONNECTED = _code("E0301", Phase.PATHS, Severity.ERROR, "output path not connected")
COLLECT_WITHOUT_NO_ANSWER = _code(
    "E0302", Phase.PATHS, Severity.ERROR, "collect without a no_answer path"
)
NO_ERROR_PATH = _code("E0303", Phase.PATHS, Severity.ERROR, "request or code without an error path")
FALLS_OFF_END = _code("E0304", Phase.PATHS, Severity.ERROR, "body falls off its end")
JUMP_INTO_OTHER_BODY = _code("E0305", Phase.PATHS, Severity.ERROR, "jump into another body")
OUTPUT_TARGET_IN_FLOW = _code("E0306", Phase.PATHS, Severity.ERROR, "output target in a flow")
INTENT_PHRASE_IS_OPTION = _code(
    "E0310", Phase.PATHS, Severity.ERROR, "intent phrase that is an option of a collect"
)

# Assignment

NOT_DEFINITELY_ASSIGNED = _code(
    "E0401", Phase.ASSIGNMENT, Severity.ERROR, "variable not definitely assigned"
)
FIELD_FROM_OTHER_PATH = _code(
    "E0402", Phase.ASSIGNMENT, Severity.ERROR, "output field read on another path"
)

# Types

UNRELATED_COMPARISON = _code("E0501", Phase.TYPES, Severity.ERROR, "comparing unrelated types")
UNKNOWN_FIELD = _code("E0502", Phase.TYPES, Severity.ERROR, "unknown record field")
VARIABLE_TYPE_CLASH = _code("E0503", Phase.TYPES, Severity.ERROR, "variable type clash")
NOT_A_BOOL = _code("E0504", Phase.TYPES, Severity.ERROR, "not a bool")
FALLBACK_TYPE = _code("E0505", Phase.TYPES, Severity.ERROR, "fallback of another type")
FIELD_OF_SCALAR = _code("E0506", Phase.TYPES, Severity.ERROR, "field or index of a scalar")
ORDERING_CANNOT_HOLD = _code(
    "E0507", Phase.TYPES, Severity.ERROR, "ordering or membership that cannot hold"
)
UNKNOWN_ARGUMENT = _code("E0510", Phase.TYPES, Severity.ERROR, "unknown argument")
MISSING_ARGUMENT = _code("E0511", Phase.TYPES, Severity.ERROR, "missing argument")
FIXED_INPUT_PASSED = _code("E0512", Phase.TYPES, Severity.ERROR, "fixed input passed")
ARGUMENT_TYPE = _code("E0513", Phase.TYPES, Severity.ERROR, "argument of the wrong type")
VALUE_TYPE = _code("E0514", Phase.TYPES, Severity.ERROR, "value of the wrong type")
OPTIONS_NOT_TEXT = _code("E0515", Phase.TYPES, Severity.ERROR, "options on a non-text collect")
DEFAULT_READS_VARIABLE = _code(
    "E0516", Phase.TYPES, Severity.ERROR, "input default reads a variable"
)
INVALID_COUNT = _code("E0517", Phase.TYPES, Severity.ERROR, "invalid count or timeout")
UNSAYABLE_TYPE = _code("E0518", Phase.TYPES, Severity.ERROR, "a type the caller cannot say")
CONDITION_AS_WORDS = _code("E0519", Phase.TYPES, Severity.ERROR, "a condition where words belong")
PYTHON_PARAMETERS_DIFFER = _code(
    "E0530", Phase.TYPES, Severity.ERROR, "python parameters that differ"
)
PYTHON_ANNOTATION_CONTRADICTS = _code(
    "E0531", Phase.TYPES, Severity.ERROR, "python annotation contradicting the declaration"
)
CANNOT_COMBINE = _code(
    "E0540", Phase.TYPES, Severity.ERROR, "arithmetic on values it cannot combine"
)
PART_OF_A_DAY_ON_A_DATE = _code(
    "E0541", Phase.TYPES, Severity.ERROR, "part of a day added to a date"
)
FUNCTION_ARGUMENTS = _code(
    "E0542", Phase.TYPES, Severity.ERROR, "function arguments that do not fit"
)
FORMAT_DOES_NOT_FIT = _code(
    "E0543", Phase.TYPES, Severity.ERROR, "format that does not fit the value"
)
MIXED_LIST = _code("E0544", Phase.TYPES, Severity.ERROR, "list of items of different types")
NO_OPTIONS = _code("E0545", Phase.TYPES, Severity.ERROR, "collect with no options")
DAY_PART_NOT_A_TIME = _code(
    "E0550", Phase.TYPES, Severity.ERROR, "part of the day on a collect that is not a time"
)
DIGITS_NOT_A_TEXT = _code(
    "E0551", Phase.TYPES, Severity.ERROR, "count of digits on a collect that is not a text"
)
FIELD_NOT_SAYABLE = _code(
    "E0555", Phase.TYPES, Severity.ERROR, "field of a form a caller cannot say"
)
FIELD_OPTIONS_NOT_TEXT = _code(
    "E0556", Phase.TYPES, Severity.ERROR, "options on a field of a form that is not a text"
)
GIVEN_MISMATCH = _code("E0557", Phase.TYPES, Severity.ERROR, "given value of the wrong type")

# Call_Rules

SECRET_REVEALED = _code("E0601", Phase.CALL_RULES, Severity.ERROR, "secret revealed")
SECRET_IN_URL = _code("E0602", Phase.CALL_RULES, Severity.ERROR, "secret in a request URL")
CALLER_STEP_AFTER_CALL = _code(
    "E0603", Phase.CALL_RULES, Severity.ERROR, "caller step in after call"
)
EXIT_OUTSIDE_ACTION = _code("E0604", Phase.CALL_RULES, Severity.ERROR, "exit outside an action")
OUTCOME_DURING_CALL = _code(
    "E0605", Phase.CALL_RULES, Severity.ERROR, "call.outcome during the call"
)

# Tests (.flowtest files: compiler/testing)

TEST_SYNTAX = _code("E0701", Phase.TESTS, Severity.ERROR, "malformed test line")
TEST_FILE_NOT_FOUND = _code("E0702", Phase.TESTS, Severity.ERROR, "tested file not found")
TEST_SUBJECT_NOT_FOUND = _code(
    "E0703", Phase.TESTS, Severity.ERROR, "tested flow or action not found"
)
TEST_UNKNOWN_INPUT = _code("E0704", Phase.TESTS, Severity.ERROR, "unknown input in a test")
TEST_MISSING_INPUT = _code("E0705", Phase.TESTS, Severity.ERROR, "missing input in a test")
STUB_WITHOUT_REQUEST = _code(
    "E0706", Phase.TESTS, Severity.ERROR, "stub for a request that does not exist"
)
STUB_BODY_MISMATCH = _code(
    "E0707", Phase.TESTS, Severity.ERROR, "stub body not matching expect"
)
STUB_WITHOUT_CODE = _code(
    "E0708", Phase.TESTS, Severity.ERROR, "stub for a code step that does not exist"
)
TEST_UNKNOWN_OUTPUT = _code("E0709", Phase.TESTS, Severity.ERROR, "unknown output in a test")

# Libraries (action libraries: compiler/library, and the loader's package imports)

DRAFT_IMPORTED = _code(
    "E0801", Phase.LIBRARIES, Severity.ERROR, "draft action imported from outside its library"
)
LIBRARY_PROJECT = _code(
    "E0802", Phase.LIBRARIES, Severity.ERROR, "library project without a name or version"
)
VERSION_TOO_SMALL = _code(
    "E0803", Phase.LIBRARIES, Severity.ERROR, "version too small for the changes"
)
NOTHING_TO_PUBLISH = _code("E0804", Phase.LIBRARIES, Severity.ERROR, "no action to publish")
META_INCOMPLETE = _code("E0810", Phase.LIBRARIES, Severity.ERROR, "marketplace meta incomplete")
ICON_NOT_IN_SET = _code("E0811", Phase.LIBRARIES, Severity.ERROR, "icon not in the icon set")
DESCRIPTION_TOO_SHORT = _code(
    "E0812", Phase.LIBRARIES, Severity.ERROR, "description too short"
)
FIELD_WITHOUT_LABEL = _code(
    "E0813", Phase.LIBRARIES, Severity.ERROR, "configurable input without a label"
)
SECRET_HARD_CODED = _code("E0814", Phase.LIBRARIES, Severity.ERROR, "secret written in the source")
URL_HARD_CODED = _code("E0815", Phase.LIBRARIES, Severity.ERROR, "URL that re-users cannot set")
ACTION_UNTESTED = _code("E0816", Phase.LIBRARIES, Severity.ERROR, "action without tests")
ACTION_TEST_FAILED = _code(
    "E0817", Phase.LIBRARIES, Severity.ERROR, "action test that does not pass"
)

# Warnings

UNREACHABLE_STEP = _code("W0101", Phase.WARNINGS, Severity.WARNING, "unreachable step")
OUTPUT_NEVER_TAKEN = _code("W0102", Phase.WARNINGS, Severity.WARNING, "output never taken")
LABEL_NEVER_USED = _code("W0103", Phase.WARNINGS, Severity.WARNING, "label never used")
LOOP_WITHOUT_TURN = _code("W0104", Phase.WARNINGS, Severity.WARNING, "loop without a caller turn")
IMPORT_NEVER_USED = _code("W0105", Phase.WARNINGS, Severity.WARNING, "import never used")
NEVER_AN_OPTION = _code(
    "W0110", Phase.WARNINGS, Severity.WARNING, "compared with a text that is not an option"
)
INTENT_NEVER_HEARD = _code("W0111", Phase.WARNINGS, Severity.WARNING, "intent never heard")
OPTION_OF_TWO_FIELDS = _code(
    "W0115", Phase.WARNINGS, Severity.WARNING, "option of two fields of a form"
)
