"""The console (bot/transport/console.py), as the rest of the bot knows it.

It is configured by the `console` command's options, not by a section of the
file; its people are written as on Matrix, so a rehearsal's ids are real ones.
"""

from __future__ import annotations

from bot import networks
from bot.transport.matrix_network import USER_ID

NETWORK = networks.register(networks.Network(
    name="console",
    title="the console",
    user_id=USER_ID,
    id_example="@ana:example.org",
    person_usage="@user:server",
    person_example="@ana:uni.no",
))
