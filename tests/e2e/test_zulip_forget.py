"""Forget-me on Zulip (the API double on 127.0.0.1): the in-flight notes of the
person's conversation are keyed by a keyed hash, never a plain hash of their user
id, and are dropped once they are forgotten."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import select

from bot.db.models import DeliveryStatus, OutboxMessage, TransportState
from bot.transport.zulip_send import NOTE_SECRET
from tests.e2e.conftest import poll_until
from tests.zulip.bots import ZulipBot
from tests.zulip.people import Org


async def notes(bot: ZulipBot) -> dict[str, str]:
    assert bot.app is not None
    async with bot.app.sessions() as session:
        found = await session.scalars(select(TransportState).where(
            TransportState.network == "zulip", TransportState.key.startswith("in-flight")))
        return {row.key: row.value for row in found}


async def test_the_in_flight_notes_name_nobody_and_go_with_forget_me(
    org: Org, zulip_bot: ZulipBot
) -> None:
    ana, bo = org.person("Ana Lopez"), org.person("Bo Berg")
    for person in (ana, bo):
        await person.tell_bot("!tz Europe/Oslo")
        await person.expect(r"time zone", direct=True)
    noted = await notes(zulip_bot)
    secret = noted.pop(NOTE_SECRET)
    assert len(noted) == 2 and len(secret) == 64  # one note per conversation
    # Not a plain hash of anything that names Ana or Bo: of their ids, their
    # conversations' keys, in any order.
    bot_id = org.bot.user_id
    naming = {person.key: [person.key, str(person.user_id), f"dm:{person.user_id}",
                           f"dm:{person.user_id},{bot_id}", f"dm:{bot_id},{person.user_id}"]
              for person in (ana, bo)}
    named = [n for ids in naming.values() for n in ids]
    plain = {"in-flight:" + hashlib.sha256(n.encode()).hexdigest()[:32] for n in named}
    assert not plain & set(noted)
    sender = zulip_bot.transport.sender
    keyed = {n: await sender.in_flight_note(n) for n in named}
    assert set(keyed.values()) >= set(noted)
    assert all(k == "in-flight:" + hmac.new(bytes.fromhex(secret), n.encode(),
                                            hashlib.sha256).hexdigest()[:32]
               for n, k in keyed.items())

    await ana.tell_bot("forget-me")
    await ana.expect(r"Type `yes`", direct=True)
    await ana.tell_bot("yes")
    await ana.expect(r"no longer has your user id", direct=True)
    assert zulip_bot.app is not None
    sessions = zulip_bot.app.sessions

    async def acted() -> bool:
        async with sessions() as session:
            return not list(await session.scalars(select(OutboxMessage).where(
                OutboxMessage.status == DeliveryStatus.PENDING)))

    await poll_until(acted, "the forget-direct action done")
    left = await notes(zulip_bot)
    ana_notes = {keyed[n] for n in naming[ana.key]}
    bo_notes = {keyed[n] for n in naming[bo.key]}
    assert not ana_notes & set(left)  # Ana's note went with her
    assert bo_notes & set(left)  # Bo's stays
