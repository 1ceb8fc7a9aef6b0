"""Workshops and local rooms on a real homeserver: the bring-your-own-classroom flow.

An organizer creates a workshop, a team lead registers a one-seat room, two
learners join (the second is waitlisted), the first leaves, and the second is
promoted and told so in a direct chat the bot opens.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.e2e.bots import BotRunner
    from tests.e2e.conftest import ChatUser

MakeUser = Callable[..., Awaitable["ChatUser"]]
MakeBot = Callable[..., Awaitable["BotRunner"]]


async def test_a_freed_seat_goes_to_the_waiting_learner_by_direct_message(
    make_user: MakeUser, make_bot: MakeBot
) -> None:
    organizer, lead = await make_user("organizer"), await make_user("lead")
    first, second = await make_user("first"), await make_user("second")
    bot = await make_bot(organizers=(organizer.user_id,))

    room = await organizer.create_room((bot.user_id, lead.user_id, first.user_id, second.user_id))
    for person in (lead, first, second):
        await person.join(room)
    await organizer.wait_for_membership(room, bot.user_id, "join")

    async def ask(person: ChatUser, text: str) -> str:
        event = await person.say(room, text)
        reply = await person.expect_reply(room, event, sender=bot.user_id)
        return str(reply["content"]["body"])

    created = await ask(
        organizer,
        "!workshop add 2027-spring title=Spring tz=Europe/Oslo "
        "days=2027-03-17,2027-03-18 time=10:00-15:00",
    )
    assert "Workshop `2027-spring` created. It is the current workshop." in created
    registered = await ask(
        lead,
        '!room add name="Oslo classroom" org=UiO mode=in-person city=Oslo capacity=1 public=yes',
    )
    assert "Registered R1 Oslo classroom" in registered
    assert "you have a seat in R1" in await ask(first, "!join R1")
    assert "number 1 on its waitlist" in await ask(second, "!join R1")
    assert "is for an organizer" in await ask(first, "!stats")

    assert "You left R1 Oslo classroom." in await ask(first, "!leave")

    def invited() -> str | None:
        return next(iter(second.invites), None)

    direct = await second.wait_until(invited, "an invitation to a direct chat from the bot")
    await second.join(direct)

    def told() -> dict[str, Any] | None:
        return next(
            (
                e
                for e in second.events[direct]
                if e.get("sender") == bot.user_id and "a seat freed up" in str(e.get("content"))
            ),
            None,
        )

    message = await second.wait_until(told, "the promotion message")
    assert "R1 Oslo classroom, and it is yours now" in message["content"]["body"]
    assert "learner with a seat" in await ask(second, "!myroom")
    roster = await ask(lead, "!room roster R1")
    assert f"Learners (1 of 1): `{second.user_id}`" in roster
