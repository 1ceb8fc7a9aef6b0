"""The echo floor: a minimal plain matrix-nio bot that answers each text message with
a reply holding the same text. What it costs is what the homeserver costs.

Run as a process of its own (like the bot), by the benchmarks:
    python -m bench.echo HOMESERVER USER_ID DEVICE_ID ACCESS_TOKEN [STORE]
It joins every room it is invited to and prints READY after its first sync.
With STORE (an existing folder for nio's crypto store) it encrypts, as plain matrix-nio
does: it reads encrypted rooms and answers them encrypted, trusting every
device on first use (the floor of `latency --encrypted`).
"""

from __future__ import annotations

import asyncio
import sys

from nio import AsyncClient, AsyncClientConfig, InviteMemberEvent, MatrixRoom, RoomMessageText

# Synapse sends 10 events per room and sync by default and drops the rest (`limited`):
# a burst of 30 messages in one room would lose 20. The bot asks for 50 and fetches
# the gap; the floor simply asks for enough.
SYNC_FILTER = {"room": {"timeline": {"limit": 1000}}}


async def main(homeserver: str, user_id: str, device_id: str, token: str,
               store: str | None = None) -> None:
    if store is None:
        client = AsyncClient(homeserver, user_id)
    else:
        client = AsyncClient(homeserver, user_id, device_id=device_id, store_path=store,
                             config=AsyncClientConfig(encryption_enabled=True,
                                                      store_sync_tokens=False))
    client.restore_login(user_id, device_id, token)

    async def on_message(room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender == user_id:
            return
        await client.room_send(room.room_id, "m.room.message", {
            "msgtype": "m.text", "body": event.body,
            "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}},
        }, ignore_unverified_devices=True)

    async def on_invite(room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == user_id and event.membership == "invite":
            await client.join(room.room_id)

    first = await client.sync(timeout=0, full_state=True, sync_filter=SYNC_FILTER)
    for room_id in first.rooms.invite:
        await client.join(room_id)
    if client.should_upload_keys:  # its device keys, before anyone encrypts for it
        await client.keys_upload()
    client.add_event_callback(on_message, RoomMessageText)  # type: ignore[arg-type]
    client.add_event_callback(on_invite, InviteMemberEvent)  # type: ignore[arg-type]
    print("READY", flush=True)
    try:
        await client.sync_forever(timeout=30_000, sync_filter=SYNC_FILTER)
    finally:
        await client.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
