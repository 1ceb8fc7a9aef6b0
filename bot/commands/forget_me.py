"""`!forget-me` and its confirmation, a conversation kind: `yes` forgets the person
(bot/services/forget.py), anything else keeps everything. The confirmation goes on
top of a form in progress, which goes on afterwards; it lasts
`conversations.confirm_minutes`, and no command runs inside it (finish or cancel
first: a person about to be forgotten should not start something new).

    !forget-me ──> confirming ──yes──> forgotten (their rows, the queue too)
                       ├──anything else──> kept; the form under it goes on
                       └──confirm_minutes later──> ended at the next message, kept
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.commands.context import Context
from bot.commands.framework import CommandSet, Notice, Reply
from bot.commands.rooms import notice_promoted
from bot.config import Settings
from bot.conversations import store
from bot.conversations.kinds import Kind, KindSet, Scene, State, Step, Subject
from bot.messages import FORGET_DIRECT
from bot.services import feedback, forget
from bot.text import code

commands = CommandSet()
kinds = KindSet()


def _called(_subject: Subject) -> str:
    return "confirming forget-me"


def _question(_settings: Settings, _subject: Subject, _state: State) -> str:
    return forget.QUESTION


def _help(_settings: Settings, _subject: Subject) -> str:
    return f"Type {code('yes')} to forget you, anything else keeps everything."


async def _start(_scene: Scene) -> tuple[State, str]:
    return {}, forget.QUESTION


async def _answer(scene: Scene, _state: State, text: str) -> Step:
    """`yes` forgets; once the answer is out, the transport forgets the person's direct
    chats (the one they confirmed in too)."""
    prefix = scene.settings.bot.prefix
    typed = text.strip().removeprefix(prefix).strip().casefold()
    if typed != "yes":
        return Step("Nothing was removed; the bot still knows you.", None, ended=True)
    key = await feedback.feedback_key(scene.session, scene.settings)
    chats = (scene.chat,) if scene.chat else ()
    moved = await forget.forget(scene.session, key, scene.person, scene.now, direct_rooms=chats)
    return Step(
        "Done: the bot no longer has your user id or anything about you. If you write "
        f"again, you start afresh (e.g. {code(prefix + 'help')}).", None, ended=True,
        notices=tuple(n for room, up in moved for n in notice_promoted(up, room, prefix)),
        action=FORGET_DIRECT, gone=True,
    )


async def _closes_at(scene: Scene) -> datetime:
    return scene.started_at + timedelta(minutes=scene.settings.conversations.confirm_minutes)


def _expired(scene: Scene, _closes: datetime) -> str:
    minutes = scene.settings.conversations.confirm_minutes
    return (f"was not answered within {minutes} min, so it has ended: nothing was removed "
            "and the bot still knows you.")


KIND = kinds.add(Kind(
    name=forget.KIND, called=_called, question=_question, help=_help, start=_start,
    answer=_answer, closes_at=_closes_at, expired=_expired, commands_inside=False,
))


@commands.command(
    "forget-me",
    help="Remove your user id and everything about you from the bot (asks to confirm).",
    example="!forget-me",
)
async def forget_me(ctx: Context) -> Reply:
    if ctx.person is None:
        return Reply("The bot has nothing about you to forget.")
    said = await store.push(ctx.session, ctx.settings, ctx.kinds, ctx.person,
                            Subject(forget.KIND), ctx.now())
    if ctx.message.is_direct:
        return Reply(said)
    return Reply("I sent you a direct message to confirm.", notices=(Notice(ctx.sender, said),))
