"""What a handler's signature declares: its parameters, their converters and limits.

`params_of` reads a handler once, when its module loads, and refuses a
declaration the binder could read two ways.
"""

from __future__ import annotations

import enum
import inspect
import types
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo

from bot import values
from bot.text import quoted


@dataclass(frozen=True)
class Arg:
    """Extra facts about one parameter, given with `Annotated[T, Arg(...)]`.

    `column`: the model column the value is stored in (e.g. `LocalRoom.name`); text
    longer than the column holds is refused, naming the limit. `help`: what the
    field is for, shown by `!help command`.
    """

    metavar: str | None = None
    min: int | None = None
    max: int | None = None
    column: Any = None
    help: str | None = None


class Rest:
    """Marker: `Annotated[str, Rest]` takes the rest of the line as typed, quotes and all."""


@dataclass(frozen=True)
class Option:
    """One `key=value` option of a shared set: the key typed, the field it sets.

    A required option must be given when adding; an optional one may be cleared
    when changing, by giving it empty (`venue=`).
    """

    key: str
    field: str
    annotation: Any
    required: bool = False
    clearable: bool = True


@dataclass(frozen=True)
class Options:
    """Options declared once and shared by commands: `**fields: Annotated[Any, OPTS]`.

    The handler gets the given options by field name; options not given are not
    passed at all. `for_changes()` is the same set for a command that changes
    what exists: nothing is required, and an optional field given empty arrives
    as None, meaning "clear it".
    """

    options: tuple[Option, ...]
    changing: bool = False

    def for_changes(self) -> Options:
        return Options(self.options, changing=True)


@dataclass(frozen=True)
class Param:
    name: str
    key: str
    kind: Literal["positional", "option", "words", "rest"]
    convert: Callable[[str], Any]
    required: bool
    default: Any
    metavar: str
    what: str | None = None
    help: str | None = None
    clearable: bool = False
    from_set: bool = False  # from an `Options` set: left out when not given
    text: bool = False  # free text on one line: any words are a value

    def missing(self) -> str:
        if self.kind == "option":
            return f"{self.key}= is missing"
        if self.what:
            return f"{self.what} is missing, e.g. {self.metavar}"
        return f"{self.metavar} is missing"

    def usage(self) -> str:
        if self.kind == "option":
            text = f"{self.key}={self.metavar}"
        elif self.kind in ("words", "rest"):
            text = f"{self.metavar}…"
        else:
            text = self.metavar
        return text if self.required else f"[{text}]"





def params_of(handler: Callable[..., Any]) -> list[Param]:
    signature = inspect.signature(handler, eval_str=True)
    where = handler.__qualname__
    found: list[Param] = []
    for index, parameter in enumerate(signature.parameters.values()):
        if index == 0:
            continue  # the Context
        annotation = parameter.annotation
        if annotation is inspect.Parameter.empty:
            raise TypeError(f"{where}: parameter {parameter.name} needs a type")
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            found += _option_set(annotation, parameter.name, where)
            continue
        convert, meta, is_rest = _converter(annotation, parameter.name)
        required = parameter.default is inspect.Parameter.empty
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            if is_rest:
                raise TypeError(f"{where}: a Rest parameter must be positional")
            kind: Literal["positional", "option", "words", "rest"] = "option"
        elif parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            kind, required = "words", False
        elif is_rest:
            kind = "rest"
        else:
            kind = "positional"
        found.append(
            Param(
                name=parameter.name,
                key=parameter.name.rstrip("_").replace("_", "-"),
                kind=kind,
                convert=convert,
                required=required,
                default=None if required else parameter.default,
                metavar=meta.metavar or parameter.name.rstrip("_"),
                what=meta.what,
                help=meta.help,
                text=meta.text,
            )
        )
    _check(found, where)
    return found


def _option_set(annotation: Any, name: str, where: str) -> list[Param]:
    extras = get_args(annotation)[1:] if get_origin(annotation) is Annotated else ()
    declared = next((e for e in extras if isinstance(e, Options)), None)
    if declared is None:
        raise TypeError(f"{where}: **{name} needs Annotated[Any, Options(...)]")
    found = []
    for option in declared.options:
        convert, meta, _ = _converter(option.annotation, option.key)
        required = option.required and not declared.changing
        found.append(
            Param(
                name=option.field,
                key=option.key,
                kind="option",
                convert=convert,
                required=required,
                default=None,
                metavar=meta.metavar or option.key,
                help=meta.help,
                text=meta.text,
                clearable=declared.changing and option.clearable and not option.required,
                from_set=True,
            )
        )
    return found


def _check(params: list[Param], where: str) -> None:
    """Refuse declarations whose words could be read two ways."""
    kinds = [p.kind for p in params]
    if kinds.count("rest") > 1 or ("rest" in kinds and "words" in kinds):
        raise TypeError(f"{where}: a Rest parameter takes the whole rest; it cannot share it")
    if "rest" in kinds and kinds.index("rest") != max(
        i for i, k in enumerate(kinds) if k in ("positional", "rest")
    ):
        raise TypeError(f"{where}: the Rest parameter must be the last positional one")
    keys = [p.key for p in params if p.kind == "option"]
    if len(keys) != len(set(keys)):
        raise TypeError(f"{where}: an option key is declared twice")
    fields = [p.name for p in params]
    if len(fields) != len(set(fields)):
        raise TypeError(f"{where}: two options set the same parameter")


@dataclass(frozen=True)
class _Meta:
    metavar: str | None
    what: str | None
    help: str | None
    text: bool = False


def _converter(annotation: Any, name: str) -> tuple[Callable[[str], Any], _Meta, bool]:
    """The function turning a word into the annotated type, what to call it, and Rest-ness."""
    meta = Arg()
    is_rest = False
    while True:  # Annotated[T | None, ...] and Annotated[T, ...] | None alike
        if get_origin(annotation) is Annotated:
            annotation, *extras = get_args(annotation)
            for extra in extras:
                if isinstance(extra, Arg):
                    meta = extra
                elif extra is Rest:
                    is_rest = True
        elif get_origin(annotation) in (Union, types.UnionType):
            options = [a for a in get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                raise TypeError(f"parameter {name}: unions other than Optional are not supported")
            annotation = options[0]
        else:
            break

    metavar = meta.metavar
    convert: Callable[[str], Any]
    if get_origin(annotation) is Literal:
        choices = [str(c) for c in get_args(annotation)]

        def convert(raw: str) -> str:
            if values.dashes(raw).lower() in choices:
                return values.dashes(raw).lower()
            raise ValueError(f"{quoted(raw)} is not one of: {', '.join(choices)}")

        metavar = metavar or "|".join(choices)
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        members = {str(m.value): m for m in annotation}

        def convert(raw: str) -> Any:
            if values.dashes(raw).lower() in members:
                return members[values.dashes(raw).lower()]
            raise ValueError(f"{quoted(raw)} is not one of: {', '.join(members)}")

        metavar = metavar or "|".join(members)
    elif annotation is str:
        convert = values.clean_text if is_rest else _text
    elif annotation is int:

        def convert(raw: str) -> int:
            return values.parse_int(raw, meta.min, meta.max)

    elif annotation is bool:
        convert, metavar = values.parse_bool, metavar or "yes|no"
    elif annotation is ZoneInfo:
        convert, metavar = values.parse_zone, metavar or "Area/City"
    elif annotation is date:
        convert, metavar = values.parse_date, metavar or "YYYY-MM-DD"
    elif annotation is time:
        convert, metavar = values.parse_time, metavar or "HH:MM"
    elif isinstance(annotation, type) and hasattr(annotation, "parse"):
        convert = annotation.parse
        metavar = metavar or getattr(annotation, "metavar", name)
    else:
        raise TypeError(f"parameter {name}: no converter for {annotation!r}")
    convert = _checked(convert, one_line=not is_rest, limit=_length_of(meta.column, name))
    what = getattr(annotation, "what", None)
    text = annotation is str and not is_rest
    return convert, _Meta(metavar, what, meta.help, text), is_rest


def _length_of(column: Any, name: str) -> int | None:
    if column is None:
        return None
    length = getattr(getattr(column, "type", None), "length", None)
    if not isinstance(length, int):
        raise TypeError(f"parameter {name}: column {column!r} has no length")
    return length


def _checked(
    convert: Callable[[str], Any], *, one_line: bool, limit: int | None
) -> Callable[[str], Any]:
    """`convert` after cleaning one-line text, refusing results longer than `limit` characters."""

    def converted(raw: str) -> Any:
        value = convert(values.clean_line(raw) if one_line else raw)
        if limit is not None and isinstance(value, str) and len(value) > limit:
            raise ValueError(f"is {len(value):,} characters long; at most {limit} fit")
        return value

    return converted


def _text(raw: str) -> str:
    if not raw.strip():
        raise ValueError("must not be empty")
    return raw.strip()
