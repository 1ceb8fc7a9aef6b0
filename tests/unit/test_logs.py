"""No secret and no answer in any log, at any level (issue 19): the redaction filter on
hostile records, the levels `run` sets, and a whole flow at DEBUG on a real database."""

from __future__ import annotations

import io
import itertools
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot import logs
from bot.config import BotSettings, FeedbackSettings, Settings, from_mapping
from bot.db.engine import create_engine
from bot.transport.matrix_network import MatrixSettings
from tests.chat import ORGANIZER, Chat

TOKEN = "syt_Ym90_kXqLmNoPqRsTuVwXyZa_0AbCdE"
OTHER_TOKEN = "dendrite-style-opaque-token-42"  # no known shape: only as an exact value
PASSWORD = "pa55-w0rd with spaces"
KEY = "f" * 64
NAMES = itertools.count()


def redacted(message: str, *args: object, exc: BaseException | None = None,
             secrets: tuple[str, ...] = ()) -> str:
    """What a handler with the filter writes for one record."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.Redactor(secrets))
    logger = logging.getLogger(f"tests.logs.{next(NAMES)}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    assert logger.handlers == [handler], logger.handlers
    try:
        if exc is None:
            logger.debug(message, *args)
        else:
            try:
                raise exc
            except BaseException:
                logger.exception(message, *args)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


@pytest.mark.parametrize(
    ("message", "args", "gone"),
    [
        ("sync with %r", ({"access_token": TOKEN, "since": "s1"},), TOKEN),  # a dict's repr
        ("GET %s", (f"https://m.org/_matrix/client/v3/sync?access_token={TOKEN}&a=1",), TOKEN),
        ("headers %s", ({"Authorization": "Bearer abc.DEF-123_x"},), "abc.DEF-123_x"),
        ("zulip %s", ("Authorization: Basic Ym90QHVuaS5ubzpzZWNyZXRrZXk=",), "Ym90QHVuaS5ubzpz"),
        ("login %s", ('{"type": "m.login.password", "password": "hunter2!", "user": "b"}',),
         "hunter2!"),
        ("%s", ("client_secret=0123456789abcdef",), "0123456789abcdef"),
        ("%s", ("new_password: 'hunter2!'",), "hunter2!"),
        ("engine %s", ("postgresql+asyncpg://bot:s3cr3t-pw@db/bot",), "s3cr3t-pw"),
        ("%s", (f"LoginResponse(user_id='@b:m.org', access_token='{TOKEN}')",), TOKEN),
        ("params %s", ((1, TOKEN, "x"),), TOKEN),  # an SQL parameter tuple
    ],
)
def test_tokens_and_passwords_are_redacted_from_messages_and_arguments(
    message: str, args: tuple[object, ...], gone: str
) -> None:
    written = redacted(message, *args)
    assert gone not in written and logs.REDACTED in written


def test_exact_secrets_are_redacted_from_exceptions_and_the_rest_stays_readable() -> None:
    written = redacted(
        "command failed for %s: %s", "@ana:uni.no", "too basic, rooms were cold",
        exc=RuntimeError(f"login failed with {PASSWORD!r} and token {OTHER_TOKEN}"),
        secrets=(PASSWORD, OTHER_TOKEN, "x"),
    )
    assert PASSWORD not in written and OTHER_TOKEN not in written
    assert "RuntimeError: login failed with '[redacted]' and token [redacted]" in written
    # Not a secret: names, words, "too basic" (no Basic authorization), a 1-letter value.
    assert "command failed for @ana:uni.no: too basic, rooms were cold" in written
    assert "Traceback" in written


def test_what_only_looks_like_a_secret_stays() -> None:
    """Matrix events at library DEBUG: state keys and push rules' keys are no secrets."""
    event = {"state_key": "@ana:uni.no", "key": "content.body", "password": {"type": "string"}}
    written = redacted("event %r", event)
    assert "'state_key': '@ana:uni.no'" in written and "'key': 'content.body'" in written
    assert "'password': {'type': 'string'}" in written


def test_a_record_whose_arguments_do_not_fit_is_still_redacted() -> None:
    written = redacted("two %s %s", TOKEN)
    assert TOKEN not in written and "two" in written


def test_the_configured_secrets_are_known() -> None:
    settings = from_mapping({
        "matrix": {"password": PASSWORD, "access_token": OTHER_TOKEN},
        "zulip": {"api_key": "zulip-api-key-32-characters-long"},
        "feedback": {"key": KEY},
        "database": {"url": "postgresql+asyncpg://bot:db-password@localhost/bot"},
    })
    assert logs.configured_secrets(settings) == {
        PASSWORD, OTHER_TOKEN, "zulip-api-key-32-characters-long", KEY, "db-password"}


@pytest.fixture
def root_log() -> Iterator[io.StringIO]:
    """A root handler writing to a string; every level the test changes is restored."""
    names = ["", *logs.LIBRARY_LOGGERS, *logs.OWN_LOGGERS, "somelib"]
    saved = {name: logging.getLogger(name).level for name in names}
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def test_libraries_stay_at_warning_unless_asked(root_log: io.StringIO) -> None:
    logs.configure(Settings(bot=BotSettings(log_level="DEBUG")))
    for name in ("aiosqlite", "sqlalchemy.engine.Engine", "nio.rooms", "somelib", "asyncio"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING, name
    assert logging.getLogger("bot.app").getEffectiveLevel() == logging.DEBUG
    logging.getLogger("bot.app").debug("own %s", "debug")
    logging.getLogger("somelib").info("library info")
    assert "own debug" in root_log.getvalue() and "library info" not in root_log.getvalue()
    logs.configure(Settings(bot=BotSettings(log_level="INFO", library_log_level="DEBUG")))
    assert logging.getLogger("aiosqlite").getEffectiveLevel() == logging.DEBUG
    assert logging.getLogger("bot.app").getEffectiveLevel() == logging.INFO


def test_a_token_learnt_while_running_is_kept_out_from_then_on(root_log: io.StringIO) -> None:
    """A homeserver whose tokens have no known shape (not `syt_`): the token a login
    gave is redacted by its value, on every root handler."""
    logs.install()
    logs.keep_out(OTHER_TOKEN)
    logging.getLogger("somelib").warning("retrying with %s", {"token": OTHER_TOKEN})
    assert OTHER_TOKEN not in root_log.getvalue() and "retrying" in root_log.getvalue()


async def test_a_whole_flow_at_debug_logs_no_secret_and_no_answer(
    tmp_path: Path, bot_database_url: str, root_log: io.StringIO
) -> None:
    """Commands and a daily form in a direct chat, the bot's loggers at DEBUG, on the
    real database driver (aiosqlite logs every SQL parameter at DEBUG)."""
    settings = Settings(bot=BotSettings(log_level="DEBUG", organizers=(ORGANIZER,)),
                        networks={"matrix": MatrixSettings(password=PASSWORD,
                                                           access_token=TOKEN)},
                        feedback=FeedbackSettings(key=KEY))
    logs.configure(settings)
    chat = await Chat.open(tmp_path, url=bot_database_url, networks=settings.networks,
                           feedback=settings.feedback, bot=settings.bot)
    ana = "@ana:uni.no"
    try:
        await chat.say(ORGANIZER, "!workshop add 2026-spring title=Spring tz=Europe/Oslo "
                       "days=2026-03-17 time=10:00-15:00")
        await chat.say(ORGANIZER, '!room add name=Oslo org=UiO mode=online lang=en capacity=5')
        await chat.say(ana, "!join R1")
        await chat.say(ana, "!feedback daily day=1")
        for answer in ("1, 3", "zanzibar marmalade", "quokka trampoline", "skip", "yes"):
            await chat.say(ana, answer, direct=True)
    finally:
        await chat.close()
    written = root_log.getvalue()
    assert "bot.scheduling" in written  # the bot's own lines are there
    for never in (TOKEN, PASSWORD, KEY, "zanzibar", "quokka"):
        assert never not in written, never


async def test_a_database_error_does_not_carry_the_statements_parameters(
    database_url: str,
) -> None:
    """A failed command logs its exception: the text SQLAlchemy makes of it would
    hold the statement's parameters (an answer, a token)."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as caught:
                await connection.execute(text("SELECT no_such_column WHERE 1 = :answer"),
                                         {"answer": "zanzibar marmalade"})
    finally:
        await engine.dispose()
    assert "no_such_column" in str(caught.value) and "zanzibar" not in str(caught.value)
