"""What the bot answers to a message it could not read (an encrypted one).

The transport says why (`Incoming.unreadable`, `Incoming.key_missing`); the
answer, like every other, is written to the outbox by the dispatcher, once per
event (its claim).
"""

from __future__ import annotations

from bot.commands.framework import Notice, Reply
from bot.messages import Incoming

# Encryption off (the network's own setting): no encrypted message can be read.
UNREADABLE = (
    "I can't read encrypted messages (my end-to-end encryption is turned off), "
    "so I did not see what was written here."
)
UNREADABLE_DIRECT = (
    UNREADABLE + " I have opened an unencrypted direct chat with you: write to me there."
)
# Encryption on: the bot reads encrypted messages, but this one's room key never
# reached its device (the sender's app did not share it, or shared it with an
# earlier device of the bot).
UNDECRYPTABLE = (
    "I could not decrypt a message here: your app did not give my device its key, so I "
    "did not see what was written. Please send it again. If this keeps happening, your "
    "app may send only to devices it trusts: let it send to my device, or start a new "
    "chat with me."
)
OPENED_DIRECT = (
    "This is an unencrypted direct chat, so I can read it: send me your commands here."
)


def answer(message: Incoming) -> Reply:
    """The answer to an unreadable message. Without encryption a direct chat moves to a
    new, unencrypted one (the transport no longer counts the old one as direct)."""
    if message.key_missing:
        return Reply(UNDECRYPTABLE)  # the room stays: with its key, the next one is read
    if message.is_direct:
        return Reply(UNREADABLE_DIRECT, notices=(Notice(message.sender, OPENED_DIRECT),))
    return Reply(UNREADABLE)
