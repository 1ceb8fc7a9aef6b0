"""classroom-bot: a chat bot for bring-your-own-classroom workshops."""

__version__ = "0.1.0"
