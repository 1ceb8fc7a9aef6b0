"""What the process logs, and what a log never holds (../shared/PRODUCT.md section 11:
no secret and no answer in any log, at any level).

- Levels: the bot's own loggers (`bot.*`) at `bot.log_level`; every other logger
  (aiosqlite, SQLAlchemy, asyncio, nio, aiohttp, Alembic, APScheduler, urllib3 and
  requests under the Zulip client...) at `bot.library_log_level`, WARNING unless
  asked. At DEBUG aiosqlite logs every SQL parameter (the access token, feedback
  answers), nio every event: those never come along with the bot's own DEBUG. The
  root logger carries the library level, so a library not named here is covered too.
- Redaction: a filter on the root handlers rewrites every record, its message with
  its arguments, its exception text and its stack, so that access tokens
  (Matrix `syt_...`, `access_token=`, `Authorization: Bearer` or `Basic`),
  passwords, keys and the exact values of the configured secrets (and of the access
  token the bot logs in with and the seeds of its cross-signing keys, once known:
  `keep_out`) read `[redacted]`.
  A feedback answer is no pattern: answers stay out by the levels above and by the
  bot's own code never logging what is typed in a direct chat.
"""

from __future__ import annotations

import contextlib
import logging
import re
import traceback
from collections.abc import Iterable

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot import networks
from bot.config_sections import Settings

REDACTED = "[redacted]"
OWN_LOGGERS = ("bot", "__main__")  # `python -m bot` runs bot/__main__.py as __main__
# Set explicitly too: a library may set its own logger's level when imported.
LIBRARY_LOGGERS = (
    "aiosqlite", "sqlalchemy", "asyncio", "nio", "aiohttp", "alembic", "apscheduler",
    "urllib3", "requests", "zulip", "asyncpg", "peewee", "PIL", "markdown_it",
)
# Exact values shorter than this are left to the patterns: replacing every "x" of a
# log would make it unreadable and hide nothing (such a secret is no secret).
MIN_EXACT = 4
# Not `key` or `token` alone: Matrix events are full of `state_key` and push rules'
# `key`, which are no secrets (the feedback key is redacted by its value).
_NAMES = (r"access_token|refresh_token|login_token|password|passwd|api_key|apikey|secret"
          r"|seed")
PATTERNS = (
    # Matrix access and refresh tokens (Synapse's, and the compatibility tokens of
    # Matrix Authentication Service).
    re.compile(r"\b(?:syt|syr|mct|mcr|mat|mar)_[A-Za-z0-9_\-.=]+"),
    # HTTP authorization (Zulip's client sends the API key as Basic); case kept, so
    # that the daily form's "too basic" stays readable.
    re.compile(r"\b(Bearer|Basic)(\s+)(?!\[redacted\])[A-Za-z0-9_\-.~+/]+=*"),
    # `access_token=...`, `"password": "..."`, `'api_key': '...'` (also a word ending
    # in one of the names: `new_password`, `client_secret`); a value, not a nested
    # `{...}` (a schema's `'password': {'type': 'string'}`).
    re.compile(rf"(?i)(\w*(?:{_NAMES})[\"']?\s*[=:]\s*[\"']?)(?!\[redacted\])"
               r"([^\s\"'&,;{}()\[\]]+)"),
    # A password inside a database address: scheme://user:PASSWORD@host
    re.compile(r"(://[^:/@\s]+:)([^@\s]+)(@)"),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without the exact `secrets` (longest first) and without what the
    patterns find."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= MIN_EXACT:
            text = text.replace(secret, REDACTED)
    text = PATTERNS[0].sub(REDACTED, text)
    text = PATTERNS[1].sub(rf"\1\2{REDACTED}", text)
    text = PATTERNS[2].sub(rf"\1{REDACTED}", text)
    return PATTERNS[3].sub(rf"\1{REDACTED}\3", text)


class Redactor(logging.Filter):
    """Rewrites each record in place (it never drops one); put on handlers, so that
    records of every logger pass it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("")
        self.secrets: set[str] = set(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit: still nothing secret out
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact(message, self.secrets), None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


def configured_secrets(settings: Settings) -> set[str]:
    """The secrets a configuration holds: its networks' (passwords, tokens, keys:
    what their registrations name as secrets), the feedback key, a database password."""
    found: set[str | None] = {settings.feedback.key}
    for network, section in networks.configured(settings):
        found |= {getattr(section, key) for key in network.secrets}
    with contextlib.suppress(ArgumentError):
        found.add(make_url(settings.database.url).password)
    return {value for value in found if value}


def install(secrets: Iterable[str] = ()) -> None:
    """The redaction filter on every root handler (once: installing again adds the
    secrets to the filter there)."""
    wanted = set(secrets)
    for handler in logging.getLogger().handlers:
        mine = next((f for f in handler.filters if isinstance(f, Redactor)), None)
        if mine is None:
            mine = Redactor()
            handler.addFilter(mine)
        mine.secrets.update(wanted)


def keep_out(secret: str) -> None:
    """A secret learnt while running (the access token a login gave): redacted from
    now on."""
    install((secret,))


def configure(settings: Settings) -> None:
    """The levels of `run` (see the module's docstring) and the redaction filter."""
    library = logging.getLevelName(settings.bot.library_log_level)
    logging.getLogger().setLevel(library)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(library)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(settings.bot.log_level)
    install(configured_secrets(settings))
