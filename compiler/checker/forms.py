"""The checks of a form: a `collect` of a record, with a prompt per field.

A form asks one opening prompt, fills every field the answer gives, then asks each
missing field with its own `ask FIELD "..."`; `given {...}` names fields known before
it asks, and `confirm "..."` reads the values back. What a caller cannot give in
words is refused here: a field that is a record, a list or json (the caller says
one value per field), a secret (the read-back would say it), options on a field that
is not a text, an `ask` or a `given` field the form does not have, a field no `ask`
prompts for, and, as a warning, an option two fields share (an answer naming it
could fill either).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .. import ast, codes
from .. import types as ty
from ..diagnostics import (
    Applicability,
    Diagnostic,
    Edit,
    Fix,
    Note,
    did_you_mean,
    error,
    rename_fix,
    warning,
)
from .expressions import Use, article

# The types a field of a form may have: what a caller can say, but a secret, which
# the confirmation would read back aloud.
FIELD_TYPES = tuple(t for t in ty.COLLECTABLE if t != ty.SECRET)


@dataclass(frozen=True, slots=True)
class FormChecks:
    """What checking a form needs from the body checker."""

    type_of: Callable[[ast.Expr], ty.Type]
    # Type an expression that is said to the caller (no secret in it).
    spoken: Callable[[ast.Expr], None]
    report: Callable[[Diagnostic], None]


def check_form(
    step: ast.Collect, form: ast.Form, checks: FormChecks, uses: list[Use]
) -> None:
    """Every check of the form but its read-back (see `check_confirm`)."""
    fields = {field.name.name: field for field in form.fields}
    if not form.fields:
        checks.report(_no_fields(step))
    for field in form.fields:
        _check_field(field, checks)
    for ask in form.asks:
        if ask.field.name not in fields:
            checks.report(_unknown_field(ask.field, fields, "ask"))
        _check_ask_prompt(step, ask, checks, uses)
    asked = {ask.field.name for ask in form.asks}
    for field in form.fields:
        if field.name.name not in asked:
            checks.report(_never_asked(step, field))
    if form.given is not None:
        _check_given(form.given, fields, checks)
    _check_shared_options(form.fields, checks)


def _check_ask_prompt(
    step: ast.Collect, ask: ast.FieldAsk, checks: FormChecks, uses: list[Use]
) -> None:
    """The prompts are made when the form starts, before any field has a value: a prompt
    that reads the form is E0137 (not E0401, whose `??` fix would always say the fallback)."""
    before = len(uses)
    checks.spoken(ask.prompt)
    own = step.var.name
    for use in uses[before:]:
        if use.root == own:
            checks.report(_ask_reads_its_form(step, ask, use))
    uses[before:] = [use for use in uses[before:] if use.root != own]


def _ask_reads_its_form(step: ast.Collect, ask: ast.FieldAsk, use: Use) -> Diagnostic:
    return error(
        codes.ASK_READS_ITS_FORM,
        use.span,
        f"the prompt of `ask {ask.field.name}` reads '{use.path}', but the prompts of "
        f"'collect {step.var.name}' are made before any of its fields has a value",
        notes=[Note("only the `confirm` read-back, said once every field is filled, may "
                    f"read '{step.var.name}'")],
        help=f"ask without the form's values (`ask {ask.field.name} \"How many pizzas?\"`), "
        "and read them back in `confirm`",
    )


def check_confirm(
    step: ast.Collect, confirm: ast.Expr, checks: FormChecks, uses: list[Use]
) -> None:
    """The read-back is said once every field has a value: it may read the form's own
    variable (`{{order.size}}`), so those reads are not uses before the collect."""
    before = len(uses)
    checks.spoken(confirm)
    own = step.var.name
    uses[before:] = [use for use in uses[before:] if use.root != own]


FieldChoices = tuple[tuple[str, tuple[str, ...]], ...]


def form_choices(form: ast.Form | None) -> FieldChoices | None:
    """The texts each field with written options can hold (for W0110: `order.size ==
    "huge"` is never true); None for a collect that is not a form."""
    if form is None:
        return None
    return tuple(
        (field.name.name, tuple(item.plain_text for item in field.options.items
                                if isinstance(item, ast.StringLit)))
        for field in form.fields
        if field.options is not None
        and all(isinstance(i, ast.StringLit) and i.is_plain for i in field.options.items)
    )  # fmt: skip


def merged_field_choices(
    existing: FieldChoices, new: FieldChoices | None
) -> FieldChoices | None:
    """A variable assigned by two forms holds either's options, field by field; a field
    only one of them has options for can hold anything."""
    if new is None:
        return None
    theirs = dict(new)
    return tuple(
        (name, tuple(dict.fromkeys((*options, *theirs[name]))))
        for name, options in existing
        if name in theirs
    )


def _check_field(field: ast.FormField, checks: FormChecks) -> None:
    field_type = ty.from_syntax(field.type)
    if field_type not in FIELD_TYPES:
        checks.report(_unsayable_field(field, field_type))
    if field.options is None:
        return
    if field_type != ty.TEXT:
        checks.report(_options_not_text(field, field_type))
    if not field.options.items:
        checks.report(_no_options(field))
    found = checks.type_of(field.options)
    if found != ty.JSON and not ty.is_assignable(found, ty.ListOf(ty.TEXT)):
        checks.report(
            error(
                codes.VALUE_TYPE,
                field.options.span,
                f"the options of field '{field.name.name}' must be texts, but this is "
                f"{article(found)}",
                help='write each option in quotes: ["small", "large"]',
            )
        )


def _check_given(given: ast.Expr, fields: dict[str, ast.FormField], checks: FormChecks) -> None:
    """`given` is a record (literal or variable) whose fields are fields of the form, each
    of the field's type; json (an API's answer not described by `expect`) is taken."""
    found = checks.type_of(given)
    if found == ty.JSON:
        return
    if not isinstance(found, ty.Record):
        checks.report(
            error(
                codes.GIVEN_MISMATCH,
                given.span,
                f"`given` must be a record of the form's fields, but this is {article(found)}",
                help="write the fields that are known: `given {size: usual_size}`",
            )
        )
        return
    literal = {f.name.name: f for f in given.fields} if isinstance(given, ast.RecordLit) else {}
    for name, value_type in found.fields:
        field = fields.get(name)
        where = literal[name].name if name in literal else None
        if field is None:
            checks.report(_unknown_field(where or ast.Ident(name, given.span), fields, "given"))
            continue
        wanted = ty.from_syntax(field.type)
        if name in literal:
            _check_given_option(field, literal[name].value, checks)
        if value_type != ty.JSON and not ty.is_assignable(value_type, wanted):
            span = literal[name].value.span if name in literal else given.span
            checks.report(
                error(
                    codes.GIVEN_MISMATCH,
                    span,
                    f"field '{name}' is {article(wanted)}, but `given` gives it "
                    f"{article(value_type)}",
                    notes=[Note(f"'{name}' is declared here", field.name.span)],
                    help=f"give '{name}' {article(wanted)}, or leave it out to ask for it",
                )
            )


def _check_given_option(field: ast.FormField, value: ast.Expr, checks: FormChecks) -> None:
    """A text given for a field with options is one of them (the runtime asks the field
    when it is not, as an answer could never be it)."""
    if field.options is None or not (isinstance(value, ast.StringLit) and value.is_plain):
        return
    options = [i.plain_text for i in field.options.items if isinstance(i, ast.StringLit)]
    if value.plain_text in options:
        return
    suggestion = did_you_mean(value.plain_text, options)
    checks.report(
        error(
            codes.GIVEN_MISMATCH,
            value.span,
            f"field '{field.name.name}' must be one of its options, but `given` gives it "
            f"\"{value.plain_text}\"",
            notes=[Note("its options: " + ", ".join(f'"{o}"' for o in options), field.span)],
            help=f'did you mean "{suggestion}"?' if suggestion else
            "give one of the options, or leave the field out to ask for it",
        )
    )


def _check_shared_options(fields: Sequence[ast.FormField], checks: FormChecks) -> None:
    """An option written for two fields: an answer naming it could fill either."""
    first_owner: dict[str, ast.FormField] = {}
    for field in fields:
        for item in field.options.items if field.options is not None else ():
            if not (isinstance(item, ast.StringLit) and item.is_plain):
                continue
            option = " ".join(item.plain_text.lower().split())
            owner = first_owner.setdefault(option, field)
            if owner is not field:
                checks.report(
                    warning(
                        codes.OPTION_OF_TWO_FIELDS,
                        item.span,
                        f"'{item.plain_text}' is an option of both '{owner.name.name}' and "
                        f"'{field.name.name}'",
                        notes=[
                            Note(f"'{owner.name.name}' has it here", owner.span),
                            Note("said while one of the two is asked, it fills that one; "
                                 "said to the opening prompt, neither"),
                        ],
                        help="word the options of the two fields apart",
                    )
                )


# --------------------------------------------------------------------------
# Messages


def _no_fields(step: ast.Collect) -> Diagnostic:
    return error(
        codes.FIELD_NOT_SAYABLE,
        step.type.span,
        f"the form of 'collect {step.var.name}' has no fields: there is nothing to ask",
        help="name the fields the caller answers: `{size: text, count: number}`",
    )


def _unsayable_field(field: ast.FormField, field_type: ty.Type) -> Diagnostic:
    why = (
        "the form reads its values back, and a secret is never said"
        if field_type == ty.SECRET
        else "a caller says one value for each field"
    )
    return error(
        codes.FIELD_NOT_SAYABLE,
        field.type.span,
        f"field '{field.name.name}' is {article(field_type)}, which a form cannot ask for",
        notes=[
            Note(why),
            Note("a field may be " + ", ".join(ty.display(t) for t in FIELD_TYPES)),
        ],
        help="collect it with a collect of its own" if field_type == ty.SECRET else
        "make it a field of one of those types, or collect its parts as fields",
    )


def _options_not_text(field: ast.FormField, field_type: ty.Type) -> Diagnostic:
    assert field.options is not None
    return error(
        codes.FIELD_OPTIONS_NOT_TEXT,
        field.options.span,
        f"options need a text answer, but field '{field.name.name}' is {article(field_type)}",
        help=f"write `{field.name.name}: text in [...]`",
        fixes=(
            Fix("make the field a text", (Edit(field.type.span, "text"),),
                Applicability.SUGGESTION),
        ),
    )


def _no_options(field: ast.FormField) -> Diagnostic:
    assert field.options is not None
    name = field.name.name
    return error(
        codes.NO_OPTIONS,
        field.options.span,
        f"field '{name}' has no options: no answer could ever fill it",
        help=f'write the options the caller chooses from: `{name}: text in ["a", "b"]`, '
        f"or leave `in [...]` out to take any answer",
    )


def _unknown_field(name: ast.Ident, fields: dict[str, ast.FormField], clause: str) -> Diagnostic:
    suggestion = did_you_mean(name.name, list(fields))
    return error(
        codes.UNKNOWN_FORM_FIELD,
        name.span,
        f"the form has no field '{name.name}' (`{clause}`)",
        notes=[Note("its fields: " + (", ".join(fields) or "none"))],
        help=f"did you mean '{suggestion}'?" if suggestion else
        f"add the field to the form's record, or remove it from `{clause}`",
        fixes=rename_fix(name.span, name.name, suggestion, list(fields)),
    )


def _never_asked(step: ast.Collect, field: ast.FormField) -> Diagnostic:
    name = field.name.name
    return error(
        codes.FIELD_WITHOUT_ASK,
        field.name.span,
        f"field '{name}' of 'collect {step.var.name}' has no prompt of its own",
        notes=[Note("a field the opening answer leaves out is asked with its own `ask`")],
        help=f'add a clause to the collect that asks for it, e.g.:\n'
        f'    ask {name} "And the {name}?"',
    )
