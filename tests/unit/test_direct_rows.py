"""What a direct chat held does not outlive its delivery: once a row to a direct
chat is sent (or failed for good), only what dedupe and `!deliveries` need stays."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import DeliveryStatus, OutboxMessage
from tests.chat import ORGANIZER, ROOM, Chat

ANA, BO, HOST = "@ana:uni.no", "@bo:uni.no", "@host:uni.no"
ANA_DM = f"!dm-{ANA}"


async def rows(chat: Chat) -> list[OutboxMessage]:
    async with chat.app.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_a_sent_direct_row_keeps_no_text_and_deliveries_still_shows_a_failed_one(
    chat: Chat,
) -> None:
    for who, text in [
        (ORGANIZER, "!workshop add 2026-spring title=Spring tz=Europe/Oslo "
                    "days=2026-03-02 time=10:00-15:00"),
        (HOST, "!room add name=Oslo org=UiO mode=online lang=no capacity=5 public=yes"),
        (ANA, "!join R1"), (BO, "!join R1"),
    ]:
        await chat.say(who, text)
    await chat.say(ANA, "!feedback daily day=1")
    for answer in ("2", "a quokka-shaped good thing", "more", "skip"):
        await chat.say(ANA, answer, direct=True)
    echo = (await rows(chat))[-1]
    assert "quokka" in chat.transport.sent[-1].text and "save" in chat.transport.sent[-1].text
    chat.transport.refuse[BO] = "M_FORBIDDEN: Bo has blocked invites"
    told = await chat.say(HOST, f"!room lead add R1 {BO}")  # Bo's notice fails for good
    reference = told.messages[0].reference

    by_id = {row.id: row for row in await rows(chat)}
    assert by_id[echo.id].room == ANA_DM and by_id[echo.id].status is DeliveryStatus.SENT
    kept = [(r.dedupe_key, r.reference, r.sent_at is not None) for r in by_id.values()
            if r.direct]
    assert len(kept) == len({k for k, _, _ in kept})  # every key stays, for dedupe
    for row in by_id.values():
        if row.room == ANA_DM or row.person is not None:
            assert row.direct and row.text == "", row.text
            assert (row.reply_to_event, row.mentions, row.attachment_data) == (None, None, None)
            assert row.dedupe_key and row.reference and row.network == "test"
        else:  # what the shared room was told stays
            assert row.room == ROOM and row.text and not row.direct
    failed = [r for r in by_id.values() if r.status is DeliveryStatus.FAILED]
    assert [(r.person, r.text, r.error) for r in failed] == [
        (BO, "", "M_FORBIDDEN: Bo has blocked invites")]

    shown = await chat.say(ORGANIZER, "!deliveries")
    assert "**1 failed delivery**" in shown
    assert f"to {BO}: M\\_FORBIDDEN: Bo has blocked invites (ref `{reference}`): " \
           "a direct message" in shown
    assert "team lead" not in shown.reply and "quokka" not in shown.reply


async def test_a_command_answered_again_after_its_text_was_dropped_is_not_sent_twice(
    chat: Chat,
) -> None:
    """The dedupe key outlives the text: a redelivered event finds its claim."""
    await chat.say(ANA, "!tz Europe/Oslo", direct=True, event_id="$tz")
    again = await chat.say(ANA, "!tz Europe/Oslo", direct=True, event_id="$tz")
    assert again.messages == []
    (row,) = [r for r in await rows(chat) if r.room == ANA_DM]
    assert row.text == "" and row.dedupe_key == "reply:test:$tz"
