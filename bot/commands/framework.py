"""Declaring commands, and everything that follows from a declaration.

A command is declared once, on its handler:

    @commands.command("tz", help="Show or set my time zone.", example="!tz Europe/Oslo")
    async def tz(ctx: Context, zone: ZoneInfo | None = None) -> str: ...

The handler's signature is the argument spec: positional parameters are
positional words, keyword-only parameters are `key=value` options, `*words` takes
the remaining words and a `Rest` parameter takes the raw rest of the line (after
any leading `key=value` options). `**fields: Annotated[Any, OPTIONS]` takes a set
of options declared once (`Options`) and shared by several commands. Type
annotations choose the converter; `Arg(column=Model.field)` limits text to what
the column holds. Usage lines, `!help` and permission checks are generated from
the declaration; a declaration the framework cannot honour fails at import.
"""

from __future__ import annotations

import difflib
import inspect
import re
import types
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo

from bot import values
from bot.commands.tokens import OPTION_START, UnclosedQuote, next_token, tokenize
from bot.services.errors import UserError
from bot.services.roles import Role
from bot.text import clip, code
from bot.transport.base import Attachment

MAX_ARGUMENT_BYTES = 4096


class UsageError(UserError):
    """The command was typed wrongly: answered with the usage line and an example."""


@dataclass(frozen=True)
class Notice:
    """A direct message to someone other than the asker (e.g. "you got a seat")."""

    user: str
    text: str


@dataclass(frozen=True)
class Reply:
    """What a handler answers. Handlers may also return plain text."""

    text: str
    notices: tuple[Notice, ...] = ()
    attachment: Attachment | None = None
    mentions: tuple[str, ...] = ()


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
    """One `key=value` option of a shared set: the key typed, the field it sets."""

    key: str
    field: str
    annotation: Any


@dataclass(frozen=True)
class Options:
    """Options declared once and shared by commands: `**fields: Annotated[Any, OPTS]`.

    The handler gets the given options by field name. `required` keys must be
    given; with `clearing`, an optional option given empty (`venue=`) arrives as
    None, meaning "clear it". Options not given are not passed at all.
    """

    options: tuple[Option, ...]
    required: frozenset[str] = frozenset()
    clearing: bool = False

    def requiring(self, *keys: str) -> Options:
        unknown = set(keys) - {o.key for o in self.options}
        if unknown:
            raise TypeError(f"no such options: {sorted(unknown)}")
        return Options(self.options, frozenset(keys), self.clearing)

    def for_changes(self) -> Options:
        return Options(self.options, frozenset(), clearing=True)


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


Handler = Callable[..., Awaitable["str | Reply"]]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    help: str
    example: str
    role: Role
    aliases: tuple[str, ...]
    params: tuple[Param, ...]

    def usage(self, prefix: str) -> str:
        # Options come before a rest of the line, where they are read.
        order = {"positional": 0, "words": 1, "option": 2, "rest": 3}
        ordered = sorted(self.params, key=lambda p: order[p.kind])
        return " ".join([prefix + self.name, *(p.usage() for p in ordered)])

    def describe(self, prefix: str) -> str:
        lines = [
            f"**{code(self.usage(prefix))}**",
            self.help,
            f"Example: {code(self.example.replace('!', prefix, 1))}",
        ]
        explained = [p for p in self.params if p.help]
        if explained:
            lines.append("Fields:")
            lines += [f"- {code(p.usage().strip('[]'))}: {p.help}" for p in explained]
        if any(p.clearable for p in self.params):
            lines.append(f"Clear an optional field by leaving it empty: {code('venue=')}.")
        if self.aliases:
            lines.append("Also: " + ", ".join(code(prefix + a) for a in self.aliases))
        if self.role is not Role.EVERYONE:
            lines.append(f"Needs: {self.role.label}.")
        return "\n".join(lines)


@dataclass
class CommandSet:
    """The commands of one feature module; the dispatcher mounts several."""

    commands: list[Command] = field(default_factory=list)

    def command(
        self,
        name: str,
        *,
        help: str,
        example: str,
        role: Role = Role.EVERYONE,
        aliases: Sequence[str] = (),
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.commands.append(
                Command(
                    name=name,
                    handler=handler,
                    help=help,
                    example=example,
                    role=role,
                    aliases=tuple(aliases),
                    params=tuple(_params_of(handler)),
                )
            )
            return handler

        return register


class Registry:
    """All mounted commands, looked up by their (possibly multi-word) names."""

    def __init__(self, sets: Iterable[CommandSet]) -> None:
        self.commands: list[Command] = [cmd for s in sets for cmd in s.commands]
        self._by_name: dict[str, Command] = {}
        for cmd in self.commands:
            for name in (cmd.name, *cmd.aliases):
                if name in self._by_name:
                    raise ValueError(f"command name {name!r} declared twice")
                self._by_name[name] = cmd
        self._longest = max((len(n.split()) for n in self._by_name), default=1)

    def get(self, name: str) -> Command | None:
        return self._by_name.get(" ".join(name.lower().split()))

    def match(self, text: str) -> tuple[Command, str] | None:
        """The command `text` starts with (longest name wins) and the rest of the text."""
        words = list(re.finditer(r"\S+", text))
        for count in range(min(self._longest, len(words)), 0, -1):
            name = " ".join(w.group().lower() for w in words[:count])
            if (cmd := self._by_name.get(name)) is not None:
                return cmd, text[words[count - 1].end() :].strip()
        return None

    def visible_to(self, role: Role) -> list[Command]:
        return [cmd for cmd in self.commands if cmd.role <= role]

    def suggest(self, typed: str, role: Role) -> list[str]:
        names = [n for c in self.visible_to(role) for n in (c.name, *c.aliases)]
        typed_words = typed.lower().split()
        for count in (2, 1):
            phrase = " ".join(typed_words[:count])
            pool = sorted({" ".join(n.split()[:count]) for n in names if len(n.split()) >= count})
            if close := difflib.get_close_matches(phrase, pool, n=3, cutoff=0.6):
                return close
        return []


_OPTION = re.compile(r"([A-Za-z][A-Za-z0-9_-]*)=(.*)", re.DOTALL)


def bind(cmd: Command, text: str) -> tuple[list[Any], dict[str, Any]]:
    """Convert the argument text into the handler's arguments, or raise UsageError."""
    try:
        return _bind(cmd, text)
    except UnclosedQuote as exc:
        raise UsageError(str(exc)) from None


def _bind(cmd: Command, text: str) -> tuple[list[Any], dict[str, Any]]:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_ARGUMENT_BYTES:
        raise UsageError(
            f"that argument list is {len(text.encode('utf-8', 'surrogatepass')):,} bytes; "
            f"commands take at most {MAX_ARGUMENT_BYTES // 1024} KB"
        )
    params = cmd.params
    positional = [p for p in params if p.kind == "positional"]
    options = {p.key: p for p in params if p.kind == "option"}
    words_param = next((p for p in params if p.kind == "words"), None)
    rest_param = next((p for p in params if p.kind == "rest"), None)

    raw_positional: list[str] = []
    raw_options: dict[str, str] = {}
    raw_rest: str | None = None

    def option(token: str) -> bool:
        match = _OPTION.fullmatch(token) if options else None
        if not match:
            return False
        key = match[1].lower().replace("_", "-")
        if key not in options:
            accepted = ", ".join(f"{k}=" for k in options)
            raise UsageError(f"{clip(key)}= is not an option here; accepted: {accepted}")
        if key in raw_options:
            raise UsageError(f"{key}= is given twice")
        raw_options[key] = match[2]
        return True

    if rest_param is not None:
        pieces = text.split(None, len(positional))
        raw_positional = pieces[: len(positional)]
        raw_rest = pieces[len(positional)] if len(pieces) > len(positional) else ""
        # Leading key=value words are options; the rest of the line is text as typed.
        while options and OPTION_START.match(raw_rest.lstrip()):
            found = next_token(raw_rest, 0)
            assert found is not None
            option(found[0])
            raw_rest = raw_rest[found[1] :]
    else:
        for token in tokenize(text):
            if not option(token):
                raw_positional.append(token)

    args: list[Any] = []
    for index, param in enumerate(positional):
        if index < len(raw_positional):
            args.append(_convert(param, raw_positional[index]))
        elif param.required:
            raise UsageError(param.missing())
        else:
            args.append(param.default)
    extra = raw_positional[len(positional) :]
    if words_param is not None:
        args.extend(_convert(words_param, word) for word in extra)
    elif extra:
        raise UsageError(f"I did not expect {clip(' '.join(extra), 60)!r} here")
    if rest_param is not None:
        if raw_rest is not None and raw_rest.strip():
            args.append(_convert(rest_param, raw_rest.strip()))
        elif rest_param.required:
            raise UsageError(rest_param.missing())
        else:
            args.append(rest_param.default)

    kwargs: dict[str, Any] = {}
    for key, param in options.items():
        if key in raw_options:
            if param.clearable and not raw_options[key].strip():
                kwargs[param.name] = None
            else:
                kwargs[param.name] = _convert(param, raw_options[key])
        elif param.required:
            raise UsageError(param.missing())
        elif not param.from_set:
            kwargs[param.name] = param.default
    return args, kwargs


def _convert(param: Param, raw: str) -> Any:
    try:
        return param.convert(raw)
    except ValueError as exc:
        label = f"{param.key}=: " if param.kind == "option" else ""
        raise UsageError(f"{label}{exc}") from None


def _params_of(handler: Handler) -> list[Param]:
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
        required = option.key in declared.required
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
                clearable=declared.clearing and not required,
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
            if raw.lower() in choices:
                return raw.lower()
            raise ValueError(f"{clip(raw)!r} is not one of: {', '.join(choices)}")

        metavar = metavar or "|".join(choices)
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
    if not is_rest:
        convert = _one_line(convert, _length_of(meta.column, name))
    what = getattr(annotation, "what", None)
    return convert, _Meta(metavar, what, meta.help), is_rest


def _length_of(column: Any, name: str) -> int | None:
    if column is None:
        return None
    length = getattr(getattr(column, "type", None), "length", None)
    if not isinstance(length, int):
        raise TypeError(f"parameter {name}: column {column!r} has no length")
    return length


def _one_line(convert: Callable[[str], Any], limit: int | None) -> Callable[[str], Any]:
    """`convert` after cleaning the word, refusing results longer than `limit` characters."""

    def converted(raw: str) -> Any:
        value = convert(values.clean_line(raw))
        if limit is not None and isinstance(value, str) and len(value) > limit:
            raise ValueError(f"is {len(value):,} characters long; at most {limit} fit")
        return value

    return converted


def _text(raw: str) -> str:
    if not raw.strip():
        raise ValueError("must not be empty")
    return raw.strip()
