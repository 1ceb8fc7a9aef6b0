"""The Matrix encryption keys: `matrix.encryption` and `matrix.store_path`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import config
from bot.app import EXIT_LOGIN_FAILED, run
from bot.config import DatabaseSettings, Settings
from bot.transport.matrix_network import MatrixSettings, store_folder


def load(tmp_path: Path, body: str) -> config.Settings:
    path = tmp_path / "c.toml"
    path.write_text("[matrix]\n" + body, encoding="utf-8")
    return config.load(path, environ={})


def test_encryption_is_on_by_default_with_the_store_beside_the_database(tmp_path: Path) -> None:
    settings = load(tmp_path, "homeserver = 'https://m.org'\n")
    matrix = settings.network("matrix")
    assert isinstance(matrix, MatrixSettings)
    assert matrix.encryption is True and matrix.store_path is None
    database = tmp_path / "bot.db"
    assert store_folder(matrix, f"sqlite+aiosqlite:///{database}") == (
        tmp_path / "bot.matrix-store")


def test_a_configured_store_path_wins_and_other_databases_keep_it_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    keys = tmp_path / "keys"
    assert store_folder(MatrixSettings(store_path=str(keys)), None) == keys
    assert store_folder(MatrixSettings(store_path="keys"), None) == keys  # relative: here
    assert store_folder(MatrixSettings(), "postgresql+asyncpg://db/bot") == (
        tmp_path / "classroom-bot.matrix-store")


def test_encryption_can_be_turned_off(tmp_path: Path) -> None:
    matrix = load(tmp_path, "encryption = false\nstore_path = ''\n").network("matrix")
    assert isinstance(matrix, MatrixSettings)
    assert matrix.encryption is False and matrix.store_path is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("encryption = 'yes'\n", "matrix.encryption = 'yes' is not accepted; "
         "expected true or false"),
        ("encryption = 1\n", "matrix.encryption = 1 is not accepted; expected true or false"),
        ("store_path = 7\n", "matrix.store_path = 7 is not accepted; expected a string"),
        ("store_path = '   '\n", "matrix.store_path = '   ' is not accepted; expected a "
         "folder for the crypto store, such as /var/lib/classroom-bot/keys"),
    ],
)
def test_bad_values_are_refused_naming_the_key(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(config.ConfigError) as caught:
        load(tmp_path, body)
    assert message in str(caught.value)


def test_a_store_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    taken = tmp_path / "keys.txt"
    taken.write_text("not a folder", encoding="utf-8")
    with pytest.raises(config.ConfigError) as caught:
        load(tmp_path, f"store_path = '{taken}'\n")
    assert f"expected a folder for the crypto store ({taken} is a file)" in str(caught.value)


def test_a_store_folder_that_cannot_be_made_stops_the_bot_saying_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    settings = Settings(
        database=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"),
        networks={"matrix": MatrixSettings(
            homeserver="http://127.0.0.1:9", user_id="@bot:example.org", password="x",
            store_path=str(blocked / "keys"))},  # its parent is a file
    )
    assert run(settings) == EXIT_LOGIN_FAILED
    error = capsys.readouterr().err
    assert f"cannot keep the encryption keys in {blocked / 'keys'} (matrix.store_path)" in error
