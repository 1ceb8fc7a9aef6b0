"""What each transport makes of the board: Matrix's `m.replace` content and its own
room, the console's printed edit (the network's side is in tests/e2e)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from nio import RoomSendResponse

from bot.messages import BOARD_ROOM, Outgoing, PermanentDeliveryError
from bot.outbox.deliverers import Editor
from bot.transport.console import ConsoleTransport
from bot.transport.matrix_send import MatrixSender
from tests.chat import RecordingTransport

BOARD = "!organizers:example.org"
TEXT = "**Status board · Spring · day 1**\n- **R1** Oslo: ✅ done, just now"


class FakeSession:
    """What MatrixSender asks of a session: a client that records its sends."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any], str]] = []
        self.client = self
        self.send_pacer = self.other_pacer = None
        self.crypto = None  # encryption off

    async def room_send(self, room: str, kind: str, content: dict[str, Any],
                        tx_id: str, ignore_unverified_devices: bool = False) -> RoomSendResponse:
        self.sent.append((room, kind, content, tx_id))
        return RoomSendResponse(f"$e{len(self.sent)}", room)

    async def call(self, request: Any, *, pacer: Any) -> Any:
        return await request()


class NoRooms:
    def member_names(self, room: str) -> None:
        return None


def sender(status_room: str | None = BOARD) -> tuple[MatrixSender, FakeSession]:
    session = FakeSession()
    return MatrixSender(session, NoRooms(), status_room=status_room), session  # type: ignore[arg-type]


async def test_matrix_posts_the_board_in_its_room_and_edits_it_with_m_replace() -> None:
    matrix, session = sender()
    posted = await matrix.deliver(Outgoing(text=TEXT, room=BOARD_ROOM, key="b", editable=True))
    await matrix.edit(Outgoing(text=TEXT + " · “x”", room=BOARD_ROOM, key="b:edit:1",
                               replaces=posted))
    (room, _, first, _), (again, kind, edit, _) = session.sent
    assert room == again == BOARD and kind == "m.room.message"
    assert "m.relates_to" not in first
    assert edit["m.relates_to"] == {"rel_type": "m.replace", "event_id": posted}
    new = edit["m.new_content"]
    assert new["msgtype"] == "m.notice" and new["body"].endswith("just now · “x”")
    assert "<strong>R1</strong>" in new["formatted_body"]
    assert edit["body"] == "* " + new["body"]  # the fallback of clients without edits
    assert "m.mentions" not in new and "m.relates_to" not in new


async def test_a_newer_text_is_a_new_transaction_and_a_retry_the_same() -> None:
    matrix, session = sender()
    for text in ("one", "one", "two"):
        await matrix.edit(Outgoing(text=text, room=BOARD_ROOM, key="b:edit:1", replaces="$p"))
    first, retry, newer = (tx for *_, tx in session.sent)
    assert first == retry != newer


async def test_matrix_without_a_status_room_fails_the_board_for_good() -> None:
    matrix, _ = sender(status_room=None)
    with pytest.raises(PermanentDeliveryError, match=r"matrix\.status_room"):
        await matrix.deliver(Outgoing(text=TEXT, room=BOARD_ROOM, editable=True))


async def test_the_console_prints_the_board_and_each_edit() -> None:
    out = io.StringIO()
    console = ConsoleTransport("@you:example.org", stdin=io.StringIO(""), stdout=out,
                               interactive=False)
    posted = await console.deliver(Outgoing(text=TEXT, room=BOARD_ROOM, editable=True))
    assert posted == "console:1"
    await console.edit(Outgoing(text="**Status board** again", room=BOARD_ROOM,
                                replaces=posted))
    printed = out.getvalue()
    assert "[to the status board, console:1]\n  Status board · Spring · day 1" in printed
    assert "[edit of console:1]\n  Status board again" in printed


def test_transports_that_edit_say_so_by_their_shape() -> None:
    assert isinstance(ConsoleTransport("@you:example.org"), Editor)
    assert isinstance(RecordingTransport(), Editor)
