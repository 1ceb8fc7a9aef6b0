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
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.commands.params import Arg, Option, Options, Param, Rest, params_of
from bot.commands.tokens import OPTION_START, UnclosedQuote, next_token, tokens
from bot.messages import Notice, Reply
from bot.networks import Network
from bot.services.errors import UserError
from bot.services.roles import Role
from bot.text import clip, code, escape, quoted
from bot.values import dashes

__all__ = [
    "MAX_ARGUMENT_BYTES",
    "Arg",
    "Command",
    "CommandSet",
    "Notice",
    "Option",
    "Options",
    "Registry",
    "Reply",
    "Rest",
    "UsageError",
    "bind",
]

MAX_ARGUMENT_BYTES = 4096


class UsageError(UserError):
    """The command was typed wrongly: answered with the usage line and an example."""


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

    def usage(self, prefix: str, network: Network) -> str:
        """The usage line, a person written as on the asker's `network`."""
        # Options come before a rest of the line, where they are read.
        order = {"positional": 0, "words": 1, "option": 2, "rest": 3}
        ordered = sorted(self.params, key=lambda p: order[p.kind])
        return network.usage(" ".join([prefix + self.name, *(p.usage() for p in ordered)]))

    def example_for(self, prefix: str, network: Network) -> str:
        return network.example(self.example.replace("!", prefix, 1))

    def describe(self, prefix: str, network: Network) -> str:
        lines = [
            f"**{code(self.usage(prefix, network))}**",
            self.help,
            f"Example: {code(self.example_for(prefix, network))}",
        ]
        explained = [p for p in self.params if p.help]
        if explained:
            lines.append("Fields:")
            lines += [f"- {code(network.usage(p.usage().strip('[]')))}: {p.help}"
                      for p in explained]
        clearable = [p.key for p in self.params if p.clearable]
        if clearable:
            lines.append(
                f"Clear an optional field by leaving it empty, e.g. {code(clearable[-1] + '=')}."
            )
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
                    params=tuple(params_of(handler)),
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
        return self._by_name.get(" ".join(dashes(name).lower().split()))

    def match(self, text: str) -> tuple[Command, str] | None:
        """The command `text` starts with (longest name wins) and the rest of the text."""
        words = list(re.finditer(r"\S+", text))
        for count in range(min(self._longest, len(words)), 0, -1):
            name = " ".join(dashes(w.group()).lower() for w in words[:count])
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

    # The words typed right after an option's unquoted value, up to the next option:
    # `city=new york` meant as one value reads as `city=new` and the word `york`.
    strays: dict[str, list[str]] = {}

    def option(token: str) -> str | None:
        match = _OPTION.fullmatch(token) if options else None
        if not match:
            return None
        key = match[1].lower().replace("_", "-")
        if key not in options:
            accepted = ", ".join(f"{k}=" for k in options)
            raise UsageError(f"{escape(clip(key))}= is not an option here; accepted: {accepted}")
        if key in raw_options:
            raise UsageError(f"{key}= is given twice")
        raw_options[key] = match[2]
        return key

    if rest_param is not None:
        pieces = text.split(None, len(positional))
        raw_positional = pieces[: len(positional)]
        raw_rest = pieces[len(positional)] if len(pieces) > len(positional) else ""
        # Leading key=value words are options; the rest of the line is text as typed.
        while options and OPTION_START.match(raw_rest.lstrip()):
            found = next_token(raw_rest, 0)
            assert found is not None
            option(found.text)
            raw_rest = raw_rest[found.end :]
        # An option typed after the text would be sent as text: say so instead.
        for word in raw_rest.split():
            late = _OPTION.fullmatch(word)
            if late and late[1].lower().replace("_", "-") in options:
                raise UsageError(
                    f"{late[1]}= comes before the text; options go first, as in the usage line"
                )
    else:
        after: str | None = None
        for token in tokens(text):
            if key := option(token.text):
                after = None if token.quoted else key
                continue
            raw_positional.append(token.text)
            if after is not None:
                strays.setdefault(after, []).append(token.text)
        for key, following in strays.items():
            _check_strays(options[key], raw_options[key], following,
                          len(raw_positional) > len(positional), words_param)

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
        raise UsageError(f"I did not expect {quoted(' '.join(extra), 60)} here")
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



def _check_strays(
    param: Param, raw: str, following: list[str], unplaced: bool, words: Param | None
) -> None:
    """Answer with the quotes a value needs when the words typed after it were meant as
    part of it: free text followed by words no positional place takes (`city=new york`),
    or a value that fails alone but reads with the words after it (`time=10:00 - 15:00`)."""
    if param.text:
        if unplaced:
            raise _quote_it(param.key, raw, following, words)
        return
    if param.clearable and not raw.strip():
        return
    try:
        param.convert(raw)
        return
    except ValueError:
        pass
    for count in range(1, min(len(following), 5) + 1):
        try:
            param.convert(" ".join([raw, *following[:count]]))
        except ValueError:
            continue
        raise _quote_it(param.key, raw, following[:count], words)


def _quote_it(key: str, value: str, following: list[str], words: Param | None) -> UsageError:
    meant = key + '="' + clip(" ".join([value, *following]).strip(), 60) + '"'
    after = quoted(" ".join(following), 40)
    hint = (f"{code(key + '=' + value)} and then {after}: a value of several words goes in "
            f"quotes, as in {code(meant)}." if value else
            f"{code(key + '=')} is empty and {after} follows: the value goes right after "
            f"the =, as in {code(meant)}.")
    if words is not None:
        hint += " Words to search for go before the options."
    return UsageError(hint)
