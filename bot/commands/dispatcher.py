"""From an incoming message to the replies: the one path every command takes.

recognize -> open a transaction -> claim the event -> a conversation in progress takes
the message (bot/conversations/router.py), else find the asker and their role -> bind
the arguments -> run the handler -> re-plan the reminders -> write the answer (and
notices to others) as outbox rows -> commit -> hand them, and the rows a service put
aside, to the outbox worker. A UserError rolls the command's changes back (the refusal
is still a row, worded by bot/commands/wording.py), so a refused command changes
nothing. A transaction the database refuses because of another one running at the same
time (PostgreSQL: a unique index filled first, a deadlock) is run again from the start;
after CLASH_ATTEMPTS the person is told to send it again. Any other exception rolls
everything back and is logged with a short reference the person also sees, in a row
written in a fresh transaction together with the event's claim. A database that cannot
be reached (locked past the busy timeout) is not the person's problem: nothing is
written and the transport hands the message again later.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from bot import metrics
from bot.clock import Clock
from bot.commands import ended, limits, unreadable
from bot.commands.context import Context
from bot.commands.framework import Command, Registry, Reply, UsageError, bind
from bot.commands.wording import refusal
from bot.config import Settings
from bot.conversations import router
from bot.conversations.kinds import Kinds
from bot.db import state
from bot.db.clashes import CLASH_ATTEMPTS, Clash, is_clash
from bot.db.engine import is_unavailable, writers_waiting, writing
from bot.messages import DatabaseUnavailable, Incoming, Origin, Outgoing
from bot.networks import Network
from bot.outbox import rows
from bot.outbox.rows import Delivery
from bot.scheduling import reminders
from bot.scheduling.touched import watch
from bot.services import chats, roles
from bot.services.errors import NotAllowed, UserError
from bot.text import clip, code
from bot.values import whole_characters

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    """A message recognized as a command: the text after the prefix (and the
    spaces or repeated prefixes after it); empty for a lone prefix."""

    text: str


class Dispatcher:
    def __init__(
        self,
        registry: Registry,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        settings: Settings,
        power_level: roles.PowerLevelLookup,
        readers: async_sessionmaker[AsyncSession] | None = None,
        after_change: Callable[[], Awaitable[None]] | None = None,
        network_organizers: roles.NetworkOrganizers | None = None,
        kinds: Kinds | None = None,
    ) -> None:
        self.registry = registry
        self.kinds = kinds or Kinds(())
        self.sessions = sessions
        self.readers = readers
        self.clock = clock
        self.settings = settings
        self.power_level = power_level
        self.after_change = after_change
        self.network_organizers = network_organizers
        self.limits = limits.Limits(settings, power_level, network_organizers)

    def recognize(self, message: Incoming) -> Request | None:
        """Is this message meant for the bot? In a direct chat every message is, so
        every one is answered (a lone prefix or an emoji too). In a room it starts
        with the prefix: spaces after it are allowed (`! rooms`), and so is the prefix
        typed twice (`!!rooms`); a lone `!` asks for the help hint. What reads as
        excitement stays unanswered: `!!!`, `!!! wow`, `!2`, `!?`."""
        prefix = self.settings.bot.prefix
        text, prefixes, spaced = message.body.strip(), 0, False
        while text.startswith(prefix):
            text, prefixes = text[len(prefix):], prefixes + 1
            spaced = spaced or text[:1].isspace()
            text = text.lstrip()
        if message.is_direct:
            return Request(text)
        if prefixes == 0 or (prefixes > 1 and (spaced or not text)):
            return None
        return Request(text) if not text or text[:1].isalpha() else None

    async def handle(self, message: Incoming) -> list[Delivery]:
        """Run the command the message holds; the committed outbox rows of its answer.

        Empty when the message is not a command, or when this event was already
        handled before (a redelivery after a restart). Raises DatabaseUnavailable
        when the database cannot be reached (locked past the busy timeout): nothing
        was written, not even the event's claim, so the transport hands the message
        again later and it is answered then, once.
        """
        try:
            return await self._handle(message)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            log.warning("database unavailable, %s from %s left for another try: %s",
                        message.event_id, message.sender, str(exc).splitlines()[0])
            raise DatabaseUnavailable(str(exc).splitlines()[0]) from exc

    async def _handle(self, message: Incoming) -> list[Delivery]:
        message = replace(message, body=whole_characters(message.body))
        request = None if message.unreadable else self.recognize(message)
        if request is None and not message.unreadable:
            return []
        # Past the sender's limit (bot/commands/limits.py), before any database work.
        if (held := await self.limits.held_back(message, self.clock.now())) is not None:
            return await self._say(message, held) if held.text else []
        if request is None:
            return await self._answer_unreadable(message)
        reference = secrets.token_hex(3)
        try:
            return await self._run_again_on_clash(message, request, reference)
        except Clash:
            log.warning(
                "command clashed %d times [ref %s] from %s: %s", CLASH_ATTEMPTS, reference,
                message.sender, self._loggable(message, request), exc_info=True,
            )
            sorry = Reply(
                "Someone changed the same thing at the same moment, so I could not do this "
                "and nothing was changed. Please send it again; if it keeps happening, tell "
                f"an organizer the reference {code(reference)}."
            )
        except Exception as exc:
            if is_unavailable(exc):
                raise
            log.exception("command failed [ref %s] from %s: %s", reference, message.sender,
                          self._loggable(message, request))
            sorry = Reply(
                "Something went wrong on my side and nothing was changed. "
                f"If it happens again, tell an organizer the reference {code(reference)}."
            )
        return await self._say(message, sorry, reference)

    def _loggable(self, message: Incoming, request: Request) -> str:
        """What a log line may say about the message. In a room, what was typed (the
        room saw it too). In a direct chat, where forms run and anything may be a
        feedback answer ("rooms were cold" starts like a command), only the command's
        name: the log never holds feedback next to a user id."""
        if not message.is_direct:
            return repr(clip(request.text, 200))
        matched = self.registry.match(request.text)
        name = f"{matched[0].name} …" if matched is not None else "text"
        return f"({name}, {len(request.text)} characters in a direct chat, not logged)"

    async def _run_again_on_clash(
        self, message: Incoming, request: Request, reference: str
    ) -> list[Delivery]:
        """`_run`, run again from the start when the database refused it because of a
        transaction running at the same time (PostgreSQL: a unique index another
        command filled first, a deadlock); the new run reads what that one committed,
        so it answers as if they had come one after the other. Raises Clash when
        every attempt clashed."""
        for attempt in range(1, CLASH_ATTEMPTS + 1):
            try:
                return await self._run(message, request, reference)
            except (DBAPIError, StaleDataError) as exc:
                if not is_clash(exc):
                    raise
                if attempt == CLASH_ATTEMPTS:
                    raise Clash from exc
                log.info("command clashed [ref %s], attempt %d: %s", reference, attempt,
                         type(exc).__name__)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _run(self, message: Incoming, request: Request, reference: str) -> list[Delivery]:
        """Run the command and write its answer, all in one transaction.

        The event is claimed in the same transaction as the command's effects and
        its answer's outbox rows, so a crash can neither repeat the effects nor
        lose the answer. The command runs in a savepoint: when it is refused, its
        changes are undone but the claim and the refusal's row stay.
        """
        matched = self.registry.match(request.text)
        # In a direct chat a conversation in progress may take the message: that
        # needs the write transaction, where its row is locked.
        read_only = matched is not None and matched[0].read_only and not message.is_direct
        if read_only:
            return await self._run_read_only(message, request, reference)
        async with writing(self.sessions) as session:
            if not await self._claim(session, message):
                return []
            try:
                async with session.begin_nested():
                    touched = watch(session)
                    reply, ran = await router.step(
                        session, self.settings, self.clock, message, self.kinds,
                        self.registry, lambda: self._counted(session, message, request))
                    # Reminders and the rooms' chats follow the people, rooms and workshops
                    # the command touched, in its transaction (bot/scheduling/reminders.py,
                    # bot/services/chats.py). A form's answers change none; a seat does.
                    await session.flush()
                    rows.put_aside(session, await chats.follow(session, self.settings,
                                                               self.clock, touched.copy()))
                    changed = (not ran or matched is not None) and (
                        await reminders.replan(session, self.settings, self.clock.now(),
                                               touched.copy())
                    )
            except UserError as exc:
                # A conversation's answer may be refused by a service too.
                reply = Reply(refusal(exc, self.settings.bot.prefix, message.network))
                changed = False
                rows.take_aside(session)  # rolled back with the savepoint
            written = await self._write(session, message, reply, reference)
        if changed and self.after_change is not None:
            await self.after_change()
        return written

    async def _run_read_only(
        self, message: Incoming, request: Request, reference: str
    ) -> list[Delivery]:
        """A command that only reads. When no other write transaction of the bot is
        under way: claim, answer and the answer's rows in one transaction (one
        transaction is cheaper than two, bench/latency.py). Else answered from a read
        transaction, which does not queue behind the writers (a burst of commands,
        bench/burst.py); only the claim and the answer's rows then wait for the write
        lock, in a short transaction of their own. A redelivered event is found out
        by its claim: looking first would cost every command a query for what
        happens only after a crash."""
        if self.readers is None or not writers_waiting(self.sessions):
            async with writing(self.sessions) as session:
                if not await self._claim(session, message):
                    return []
                reply = await self._answer(session, message, request)
                return await self._write(session, message, reply, reference)
        async with self.readers() as session, session.begin():
            reply = await self._answer(session, message, request)
        async with writing(self.sessions) as session:
            if not await self._claim(session, message):
                return []  # handled meanwhile (a redelivery racing this one)
            return await self._write(session, message, reply, reference)

    async def _answer(self, session: AsyncSession, message: Incoming, request: Request) -> Reply:
        """A read-only command's answer, or its refusal."""
        try:
            return await self._counted(session, message, request)
        except UserError as exc:
            return Reply(exc.message)

    async def _answer_unreadable(self, message: Incoming) -> list[Delivery]:
        """Say where the message came from that it could not be read, and what to do."""
        return await self._say(message, unreadable.answer(message))

    async def _say(self, message: Incoming, reply: Reply, ref: str = "") -> list[Delivery]:
        """An answer that runs no command: its rows and the event's claim."""
        async with writing(self.sessions) as session:
            if not await self._claim(session, message):
                return []
            return await self._write(session, message, reply, ref or secrets.token_hex(3))

    async def _claim(self, session: AsyncSession, message: Incoming) -> bool:
        if message.event_id is None or await state.claim_event(
            session, message.network, message.event_id, self.clock.now()
        ):
            return True
        log.info("skipping %s: already handled", message.event_id)
        return False

    async def _write(
        self, session: AsyncSession, message: Incoming, reply: Reply, reference: str
    ) -> list[Delivery]:
        """The answer and the notices as outbox rows of this transaction."""
        now = self.clock.now()
        # Without an event id (a network that has none) nothing can repeat the
        # command, so a random key is as good as a derived one.
        key = rows.reply_key(message.network, message.event_id or f"none-{secrets.token_hex(12)}")
        for fact, value in reply.remember:
            await state.put(session, ended.NETWORK, fact, value)
        answer = await rows.add_all(session, self._outgoing(message, reply, key),
                                    network=message.network, reference=reference, now=now)
        return [*answer, *rows.take_aside(session)]

    async def _counted(self, session: AsyncSession, message: Incoming, request: Request) -> Reply:
        """`_invoke`, counted for /metrics by command name and outcome."""
        matched = self.registry.match(request.text)
        name = matched[0].name if matched is not None else None
        try:
            reply = await self._invoke(session, message, request)
        except UserError as exc:
            metrics.command_handled(name, "refused")
            # Worded here, where it leaves the command: a conversation that lets the
            # command through adds its own line to the words, not to the facts.
            raise UserError(refusal(exc, self.settings.bot.prefix, message.network)) from None
        except Exception:
            metrics.command_handled(name, "error")
            raise
        metrics.command_handled(name, "ok" if name is not None else "unknown")
        return reply

    async def _invoke(self, session: AsyncSession, message: Incoming, request: Request) -> Reply:
        prefix = self.settings.bot.prefix
        person, role = await roles.asker(
            session, self.settings, message.network, message.sender, self.power_level,
            self.network_organizers,
        )
        matched = self.registry.match(request.text)
        if matched is None:
            return Reply(self._unknown(request.text, role))
        command, arguments = matched
        if command.role > role:
            raise NotAllowed(
                f"{code(prefix + command.name)} is for {command.role.label}; "
                "you are not registered as one."
            )
        ctx = Context(message, session, self.clock, self.settings, self.registry, role, person,
                      self.kinds)
        try:
            args, kwargs = bind(command, arguments)
            result = await command.handler(ctx, *args, **kwargs)
        except UsageError as exc:
            raise UserError(self._usage_answer(command, exc.message, ctx.network)) from None
        return await ended.with_ended_note(ctx, result)

    def _usage_answer(self, command: Command, problem: str, network: Network) -> str:
        prefix = self.settings.bot.prefix
        problem = network.example(problem)  # a person it names, as on the asker's network
        if not re.match(r"[a-z-]+=", problem):  # keep `mode=` as typed
            problem = problem[:1].upper() + problem[1:]
        stop = "" if problem.endswith((".", "?", "!")) else "."
        return (
            f"⚠️ {problem}{stop}\n"
            f"Usage: {code(command.usage(prefix, network))}\n"
            f"Example: {code(command.example_for(prefix, network))}"
        )

    def _unknown(self, text: str, role: roles.Role) -> str:
        prefix = self.settings.bot.prefix
        if not text.strip():  # a lone prefix, or a blank message in a direct chat
            return (f"Commands start with {code(prefix)}: {code(prefix + 'help')} lists "
                    "the commands you can use.")
        typed = code(prefix + clip(text.split()[0], 40))
        close = self.registry.suggest(text, role)
        if close:
            options = " or ".join(code(prefix + name) for name in close)
            return f"I don't know the command {typed}. Did you mean {options}?"
        return (
            f"I don't know the command {typed}. Did you mean {code(prefix + 'help')}? "
            "It lists the commands you can use."
        )

    def _outgoing(
        self, message: Incoming, reply: Reply, key: str
    ) -> list[tuple[str, Outgoing]]:
        answer = Outgoing(
            text=reply.text,
            room=message.room,
            in_reply_to=Origin.of(message),
            mentions=reply.mentions,
            attachment=reply.attachment,
            direct=message.is_direct,
        )
        notices = [
            (rows.notice_key(key, n), Outgoing(text=notice.text, user=notice.user))
            for n, notice in enumerate(reply.notices, start=1)
        ]
        if reply.action is not None:  # in the answer's lane: after the answer
            notices.append((f"{key}:action", Outgoing(
                text="", room=message.room, mentions=(message.sender,), direct=True,
                action=reply.action)))
        return [(key, answer), *notices]
