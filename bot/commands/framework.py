"""Declaring commands, and everything that follows from a declaration.

A command is declared once, on its handler:

    @commands.command("tz", help="Show or set my time zone.", example="!tz Europe/Oslo")
    async def tz(ctx: Context, zone: ZoneInfo | None = None) -> str: ...

The handler's signature is the argument spec: positional parameters are
positional words, keyword-only parameters are `key=value` options, `*words` takes
the remaining words and a `Rest` parameter takes the raw rest of the line. Type
annotations choose the converter. Usage lines, `!help` and permission checks are
generated from the declaration.
"""

from __future__ import annotations

import difflib
import inspect
import re
import shlex
import types
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo

from bot import values
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
    """Extra facts about one parameter, given with `Annotated[T, Arg(...)]`."""

    metavar: str | None = None
    min: int | None = None
    max: int | None = None


class Rest:
    """Marker: `Annotated[str, Rest]` takes the rest of the line as typed, quotes and all."""


@dataclass(frozen=True)
class Param:
    name: str
    key: str
    kind: Literal["positional", "option", "words", "rest"]
    convert: Callable[[str], Any]
    required: bool
    default: Any
    metavar: str

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
    # Only reads: runs in a read transaction, never waiting for the write lock.
    read_only: bool = False

    def usage(self, prefix: str) -> str:
        return " ".join([prefix + self.name, *(p.usage() for p in self.params)])

    def describe(self, prefix: str) -> str:
        lines = [
            f"**{code(self.usage(prefix))}**",
            self.help,
            f"Example: {code(self.example.replace('!', prefix, 1))}",
        ]
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
        read_only: bool = False,
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
                    read_only=read_only,
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


def tokenize(text: str) -> list[str]:
    """Split arguments into words; quotes group words (`name="TU Delft room"`)."""
    text = text.translate(_SMART_QUOTES)
    lexer = shlex.shlex(text, posix=True, punctuation_chars=False)
    lexer.whitespace_split = True
    lexer.commenters = ""
    lexer.escape = ""
    try:
        return list(lexer)
    except ValueError:
        raise UsageError("a quotation mark is not closed") from None


_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})
_OPTION = re.compile(r"([A-Za-z][A-Za-z0-9_-]*)=(.*)", re.DOTALL)


def bind(cmd: Command, text: str) -> tuple[list[Any], dict[str, Any]]:
    """Convert the argument text into the handler's arguments, or raise UsageError."""
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
    if rest_param is not None:
        pieces = text.split(None, len(positional))
        raw_positional = pieces[: len(positional)]
        raw_rest = pieces[len(positional)] if len(pieces) > len(positional) else None
    else:
        for token in tokenize(text):
            match = _OPTION.fullmatch(token) if options else None
            if match:
                key = match[1].lower().replace("_", "-")
                if key not in options:
                    accepted = ", ".join(f"{k}=" for k in options)
                    raise UsageError(f"{clip(key)}= is not an option here; accepted: {accepted}")
                if key in raw_options:
                    raise UsageError(f"{key}= is given twice")
                raw_options[key] = match[2]
            else:
                raw_positional.append(token)

    args: list[Any] = []
    for index, param in enumerate(positional):
        if index < len(raw_positional):
            args.append(_convert(param, raw_positional[index]))
        elif param.required:
            raise UsageError(f"{param.metavar} is missing")
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
            raise UsageError(f"{rest_param.metavar} is missing")
        else:
            args.append(rest_param.default)

    kwargs: dict[str, Any] = {}
    for key, param in options.items():
        if key in raw_options:
            kwargs[param.name] = _convert(param, raw_options[key])
        elif param.required:
            raise UsageError(f"{key}= is missing")
        else:
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
    found: list[Param] = []
    for index, parameter in enumerate(signature.parameters.values()):
        if index == 0:
            continue  # the Context
        annotation = parameter.annotation
        if annotation is inspect.Parameter.empty:
            raise TypeError(f"{handler.__qualname__}: parameter {parameter.name} needs a type")
        convert, metavar, is_rest = _converter(annotation, parameter.name)
        required = parameter.default is inspect.Parameter.empty
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
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
                metavar=metavar,
            )
        )
    return found


def _converter(annotation: Any, name: str) -> tuple[Callable[[str], Any], str, bool]:
    """The function turning a word into the annotated type, its metavar, and Rest-ness."""
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
        convert = _text
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
    return convert, metavar or name.rstrip("_"), is_rest


def _text(raw: str) -> str:
    if not raw.strip():
        raise ValueError("must not be empty")
    return raw
