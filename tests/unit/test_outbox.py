"""The durable outbox: what the bot says is a row of the command's transaction,
delivered by the worker, and kept across a crash until it is sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.commands.context import Context
from bot.commands.framework import CommandSet
from bot.commands.registry import build_registry
from bot.db.models import DeliveryStatus, HandledEvent, OutboxMessage, Person
from bot.messages import (
    FORGET_DIRECT,
    POLL_ROOM,
    Attachment,
    Origin,
    Outgoing,
    PermanentDeliveryError,
    Poll,
    TransientDeliveryError,
)
from bot.outbox import rows
from bot.outbox.worker import OutboxWorker
from bot.services import people
from tests.chat import ORGANIZER, ROOM, Chat

ANA, BO = "@ana:uni.no", "@bo:uni.no"


async def outbox(chat: Chat) -> list[OutboxMessage]:
    async with chat.app.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def count(chat: Chat, model: type) -> int:
    async with chat.app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def with_a_full_room(chat: Chat) -> None:
    await chat.say(
        ORGANIZER,
        "!workshop add 2026-spring title=Spring tz=Europe/Oslo days=2026-03-17 time=10:00-15:00",
    )
    await chat.say(ORGANIZER, '!room add name=Oslo org=UiO mode=online lang=no capacity=1 '
                              'public=yes')
    await chat.say(ANA, "!join R1")
    await chat.say(BO, "!join R1")


async def test_the_answer_and_its_notices_are_rows_marked_sent(chat: Chat) -> None:
    await with_a_full_room(chat)
    left = await chat.say(ANA, "!leave", event_id="$leave")
    assert "You left R1" in left and list(left.notices) == [BO]

    answer, notice = [row for row in await outbox(chat) if row.dedupe_key.startswith(
        "reply:test:$leave")]
    assert (answer.dedupe_key, answer.room, answer.person) == ("reply:test:$leave", ROOM, None)
    assert (answer.reply_to_event, answer.reply_to_room) == ("$leave", ROOM)
    assert (notice.dedupe_key, notice.room, notice.person) == (
        "reply:test:$leave:notice:1", None, BO)
    for row in (answer, notice):
        assert row.status == DeliveryStatus.SENT
        assert row.sent_at == chat.clock.now() and row.attempts == 0
    assert answer.reference == notice.reference


async def test_answers_not_sent_before_a_crash_are_sent_at_the_next_start(
    tmp_path: Path,
) -> None:
    chat = await Chat.open(tmp_path)
    try:
        await with_a_full_room(chat)
        await chat.app.worker.stop()  # the process dies before anything more is sent
        left = await chat.say(ANA, "!leave", event_id="$leave")
        assert left.reply == "" and left.notices == {}
        pending = [row for row in await outbox(chat) if row.status == DeliveryStatus.PENDING]
        assert [row.dedupe_key for row in pending] == [
            "reply:test:$leave", "reply:test:$leave:notice:1"]
    finally:
        await chat.close()

    again = await Chat.open(tmp_path)
    try:
        await again.app.worker.wait_idle()
        sent = {m.key: m for m in again.transport.sent}
        assert "You left R1" in sent["reply:test:$leave"].text
        assert sent["reply:test:$leave"].in_reply_to is not None
        assert sent["reply:test:$leave:notice:1"].user == BO
        assert "it is yours now" in sent["reply:test:$leave:notice:1"].text
        # The command itself, delivered again by the homeserver, is not run again.
        assert (await again.say(ANA, "!leave", event_id="$leave")).messages == []
        assert {row.status for row in await outbox(again)} == {DeliveryStatus.SENT}
    finally:
        await again.close()


async def test_a_refused_command_changes_nothing_but_its_answer_is_a_row(chat: Chat) -> None:
    answer = await chat.say(ANA, "!tz Nowhere/City", event_id="$bad")
    assert "Nowhere/City" in answer
    assert await count(chat, Person) == 0
    [row] = await outbox(chat)
    assert row.dedupe_key == "reply:test:$bad" and row.text == answer.reply


async def test_an_unexpected_error_rolls_back_yet_its_answer_is_a_row(chat: Chat) -> None:
    broken = CommandSet()

    @broken.command("broken", help="x", example="!broken")
    async def handler(ctx: Context) -> str:
        await people.ensure(ctx.session, "test", ANA, ctx.now())
        raise RuntimeError("a bug")

    chat.app.dispatcher.registry = build_registry(broken)
    answer = await chat.say(ANA, "!broken", event_id="$boom")
    assert "went wrong on my side" in answer
    assert await count(chat, Person) == 0  # the effect was rolled back
    assert await count(chat, HandledEvent) == 1  # the event is claimed with the answer
    [row] = await outbox(chat)
    assert row.dedupe_key == "reply:test:$boom" and row.reference in row.text
    assert (await chat.say(ANA, "!broken", event_id="$boom")).messages == []


class FlakyTransport:
    """Fails as told per text: a number of transient failures, or for good."""

    network = "test"

    def __init__(self, transient: dict[str, int], permanent: set[str]) -> None:
        self.transient = transient
        self.permanent = permanent
        self.sent: list[str] = []

    async def deliver(self, message: Outgoing) -> None:
        if message.text in self.permanent:
            raise PermanentDeliveryError("M_FORBIDDEN: the bot is not in the room")
        if self.transient.get(message.text, 0) > 0:
            self.transient[message.text] -= 1
            raise TransientDeliveryError("HTTP 502")
        self.sent.append(message.text)

    async def run(self, handler: object) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        return None

    async def power_level(self, room: str, user: str) -> int | None:
        return None


async def test_the_worker_retries_in_order_and_records_attempts_and_failures(
    chat: Chat,
) -> None:
    transport = FlakyTransport(transient={"one": 2, "never": 99}, permanent={"refused"})
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    worker = OutboxWorker(chat.app.sessions, chat.clock, {"test": transport}, sleep=sleep,
                          max_attempts=3)
    async with chat.app.sessions() as session, session.begin():
        written = [
            rows.add(session, key=f"k-{text}", network="test", reference="ref",
                     message=Outgoing(text=text, room=room), now=chat.clock.now())
            for text, room in [("one", "!a"), ("two", "!a"), ("refused", "!b"), ("never", "!c")]
        ]
        await session.flush()
        deliveries = [rows.delivery(row) for row in written]
    await worker.start()
    await worker.hand(deliveries).wait()
    await worker.stop()

    assert transport.sent == ["one", "two"]  # "two" waited for "one" to get through
    assert len(waits) == 2 + 2 and all(wait > 0 for wait in waits)  # backoff, never a spin
    by_key = {row.dedupe_key: row for row in await outbox(chat)}
    assert (by_key["k-one"].status, by_key["k-one"].attempts) == (DeliveryStatus.SENT, 2)
    assert by_key["k-two"].status == DeliveryStatus.SENT
    refused = by_key["k-refused"]
    assert refused.status == DeliveryStatus.FAILED and "M_FORBIDDEN" in (refused.error or "")
    never = by_key["k-never"]
    assert never.status == DeliveryStatus.FAILED
    assert never.error == "gave up after 3 attempts: HTTP 502"


async def test_a_message_not_due_yet_holds_up_nothing_and_goes_out_when_due(
    chat: Chat,
) -> None:
    transport = FlakyTransport(transient={}, permanent=set())
    timers: list[tuple[float, Callable[[], None]]] = []

    def later(seconds: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        timers.append((seconds, callback))
        return asyncio.get_running_loop().call_later(3600, lambda: None)  # never fires

    worker = OutboxWorker(chat.app.sessions, chat.clock, {"test": transport}, later=later)
    now = chat.clock.now()
    async with chat.app.sessions() as session, session.begin():
        reminder = rows.add(session, key="k-reminder", network="test", reference="r",
                            message=Outgoing(text="tomorrow", user=ANA), now=now,
                            not_before=now + timedelta(days=1))
        answer = rows.add(session, key="k-answer", network="test", reference="r",
                          message=Outgoing(text="now", user=ANA), now=now)
        await session.flush()
        deliveries = [rows.delivery(reminder), rows.delivery(answer)]
    await worker.start()
    both = worker.hand(deliveries)
    await worker.wait_idle()
    assert transport.sent == ["now"]  # not stuck behind tomorrow's message
    assert [seconds for seconds, _ in timers] == [86400.0]
    worker.hand(deliveries[:1])
    assert len(timers) == 1  # handed twice, timed once
    timers[0][1]()  # the timer fires
    await both.wait()
    await worker.stop()
    assert transport.sent == ["now", "tomorrow"]


async def test_rows_written_together_are_in_order_and_read_back_as_written(chat: Chat) -> None:
    """`rows.add_all` (one INSERT for an answer and its notices) writes what `rows.add`
    would: the worker gets the same deliveries from it as from the table after a restart."""
    origin = Origin(ROOM, "$cmd", thread_root="$root")
    messages = [
        ("k-answer", Outgoing(text="**done**", room=ROOM, in_reply_to=origin,
                              mentions=(ANA, BO),
                              attachment=Attachment("a.csv", "text/csv", b"x,y\n1,2\n"))),
        *((f"k-notice-{n}", Outgoing(text=f"notice {n}", user=f"@p{n}:uni.no"))
          for n in range(5, 0, -1)),  # keys not in sorted order: order is the list's
    ]
    async with chat.app.sessions() as session, session.begin():
        written = await rows.add_all(session, messages, network="test", reference="ref",
                                     now=chat.clock.now())
    assert [d.message.key for d in written] == [key for key, _ in messages]
    assert [d.id for d in written] == sorted(d.id for d in written)
    async with chat.app.sessions() as session:
        stored = await rows.pending(session, ["test"])
    assert stored == written
    for deliveries in (stored, written):  # (Outgoing's equality leaves the reference out)
        assert [(d.message.reference, d.not_before) for d in deliveries] == [
            ("ref", chat.clock.now())] * len(messages)


async def test_rows_written_together_roll_back_together(chat: Chat) -> None:
    async with chat.app.sessions() as session, session.begin():
        await rows.add_all(session, [("k-1", Outgoing(text="one", user=ANA))],
                           network="test", reference="ref", now=chat.clock.now())
    with pytest.raises(IntegrityError):  # a dedupe key used again: none of them is written
        async with chat.app.sessions() as session, session.begin():
            await rows.add_all(session, [("k-2", Outgoing(text="two", user=BO)),
                                         ("k-1", Outgoing(text="again", user=ANA))],
                               network="test", reference="ref", now=chat.clock.now())
    assert [row.dedupe_key for row in await outbox(chat)] == ["k-1"]


class NamingDeliverer:
    """Only what the worker needs (`bot.outbox.deliverers`): a network, `deliver`
    answering each message's network id, and `act`."""

    network = "test"

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.acted: list[str] = []

    async def deliver(self, message: Outgoing) -> str:
        self.sent.append(message.text)
        return f"$id-{message.text}"

    async def act(self, message: Outgoing) -> None:
        self.acted.append(message.text)


async def test_a_sent_poll_keeps_its_message_id_and_an_action_is_done(chat: Chat) -> None:
    deliverer = NamingDeliverer()
    worker = OutboxWorker(chat.app.sessions, chat.clock, {"test": deliverer})
    async with chat.app.sessions() as session, session.begin():
        written = [
            rows.add(session, key=key, network="test", reference="r", now=chat.clock.now(),
                     message=message)
            for key, message in [
                ("k-poll", Outgoing(text="poll", room=POLL_ROOM, poll=Poll("Today?", ("a",)))),
                ("k-plain", Outgoing(text="plain", room="!a")),
                ("k-act", Outgoing(text="act", user=ANA, action=FORGET_DIRECT)),
            ]
        ]
        await session.flush()
        deliveries = [rows.delivery(row) for row in written]
    await worker.start()
    await worker.hand(deliveries).wait()
    await worker.stop()

    assert (deliverer.sent, deliverer.acted) == (["poll", "plain"], ["act"])
    by_key = {row.dedupe_key: row for row in await outbox(chat)}
    assert all(row.status == DeliveryStatus.SENT for row in by_key.values())
    # Only a poll's id is named back by the network (votes): the others keep none.
    assert [by_key[k].network_message_id for k in ("k-poll", "k-plain", "k-act")] == [
        "$id-poll", None, None]
