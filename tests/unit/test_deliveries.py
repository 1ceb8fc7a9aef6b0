"""Failed deliveries are recorded with their reason and shown to organizers."""

from __future__ import annotations

from tests.chat import ORGANIZER, Chat

ANA, BO = "@ana:uni.no", "@bo:uni.no"


async def test_a_failed_delivery_is_recorded_and_shown_to_organizers(chat: Chat) -> None:
    assert "Every message was delivered" in await chat.say(ORGANIZER, "!deliveries")
    await chat.say(
        ORGANIZER,
        "!workshop add 2026-spring title=Spring tz=Europe/Oslo days=2026-03-17 time=10:00-15:00",
    )
    await chat.say(ORGANIZER, "!room add name=Oslo org=UiO mode=online lang=no capacity=1 "
                              "public=yes")
    await chat.say(ANA, "!join R1")
    await chat.say(BO, "!join R1")
    chat.transport.refuse[BO] = "M_FORBIDDEN: Bo has blocked invites"
    left = await chat.say(ANA, "!leave")
    assert "You left R1" in left and left.notices == {}  # Bo's notice could not go out
    reference = left.messages[0].reference
    assert reference is not None

    shown = await chat.say(ORGANIZER, "!deliveries")
    assert "**1 failed delivery**. Nothing is waiting to go out." in shown
    assert f"to {BO}: M\\_FORBIDDEN: Bo has blocked invites" in shown
    assert f"(ref `{reference}`)" in shown
    assert "Mon 2 Mar" in shown  # when, in the organizer's zone
    assert "is for an organizer" in await chat.say(ANA, "!deliveries")
