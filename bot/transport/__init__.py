"""Chat networks. Only this package knows how a network speaks.

Each network registers itself (bot/networks.py) from one file here; these are
the built-in ones, imported when a network is first looked up.
"""

BUILT_IN = (
    "bot.transport.matrix_network",
    "bot.transport.zulip_network",
    "bot.transport.console_network",
)
