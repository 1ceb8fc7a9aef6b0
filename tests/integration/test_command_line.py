"""The `classroom-bot` command line, run as a user runs it: a real process, real files."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from bot.db import migrate

ROOT = Path(__file__).resolve().parents[2]


def classroom_bot(
    cwd: Path, *args: str, input: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    # No secrets from the environment of whoever runs the tests.
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLASSROOM_BOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=input, capture_output=True, text=True,
        cwd=cwd, env={**clean, **(env or {})}, timeout=60, check=False,
    )


def everything_in(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


def test_version_comes_from_the_installed_package(tmp_path: Path) -> None:
    done = classroom_bot(tmp_path, "--version")
    assert done.returncode == 0
    assert done.stdout == f"classroom-bot {metadata.version('classroom-bot')}\n"


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("console", "Chat with the whole bot (database, scheduler, commands) in this terminal"),
        ("run", "Run the bot on the networks whose sections the configuration holds"),
        ("migrate", "Upgrade the database to the schema of this version"),
        ("export-rooms", "Write the local rooms whose hosts agreed to be listed"),
        ("check-config", "Check a configuration file and list every problem at once"),
    ],
)
def test_each_command_s_help_says_what_it_does(tmp_path: Path, command: str, says: str) -> None:
    done = classroom_bot(tmp_path, command, "--help")
    assert done.returncode == 0
    assert says in " ".join(done.stdout.split())


@pytest.mark.parametrize(
    "args",
    [
        ("console", "--db", "missing/bot.db"),
        ("migrate", "--db", "missing/bot.db"),
        ("export-rooms", "--db", "missing/bot.db"),
        ("export-rooms", "--db", "bot.db"),
        ("export-rooms",),
    ],
)
def test_a_database_that_is_not_there_is_one_line_and_creates_nothing(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    done = classroom_bot(tmp_path, *args, input="!tz\n")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("classroom-bot: ")
    assert "missing" in done.stderr or "no database file" in done.stderr
    assert everything_in(tmp_path) == set()


def test_only_run_needs_the_matrix_login(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        "[bot]\norganizers = ['@org:example.org']\n"
        f"[database]\nurl = 'sqlite+aiosqlite:///{tmp_path / 'bot.db'}'\n"
        "[matrix]\nhomeserver = 'https://matrix.example.org'\nuser_id = '@bot:example.org'\n",
        encoding="utf-8",
    )
    migrated = classroom_bot(tmp_path, "migrate", "-c", str(config))
    assert migrated.returncode == 0, migrated.stderr
    talked = classroom_bot(
        tmp_path, "console", "-c", str(config),
        input="!workshop add ws title=W tz=UTC days=2027-03-17 time=10:00-15:00\n",
    )
    assert talked.returncode == 0 and "ws" in talked.stdout, talked.stderr
    exported = classroom_bot(tmp_path, "export-rooms", "-c", str(config), "--format", "csv")
    assert exported.returncode == 0 and exported.stdout.startswith('"id","name"')
    refused = classroom_bot(tmp_path, "run", "-c", str(config))
    assert refused.returncode == 2
    assert "matrix.password or matrix.access_token is missing (needed by `run`)" in (
        refused.stderr
    )


def test_migrate_and_export_print_only_their_own_lines(tmp_path: Path) -> None:
    first = classroom_bot(tmp_path, "migrate", "--db", "bot.db")
    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout == (
        f"{tmp_path / 'bot.db'}: upgraded from schema revision (empty) to "
        f"{migrate.head_revision()}\n"
    )
    again = classroom_bot(tmp_path, "migrate", "--db", "bot.db")
    assert again.stdout.startswith(f"{tmp_path / 'bot.db'}: already at the newest schema")
    assert again.stderr == ""
    classroom_bot(
        tmp_path, "console", "--db", "bot.db",
        input="!workshop add ws title=W tz=UTC days=2027-03-17 time=10:00-15:00\n",
    )
    nowhere = classroom_bot(tmp_path, "export-rooms", "--db", "bot.db", "-o", "missing/r.md")
    assert nowhere.returncode == 2 and nowhere.stderr.count("\n") == 1
    assert not (tmp_path / "missing").exists()
    exported = classroom_bot(tmp_path, "export-rooms", "--db", "bot.db", "-o", "rooms.md")
    assert (exported.returncode, exported.stdout, exported.stderr) == (0, "", "")
    assert (tmp_path / "rooms.md").read_text().startswith("| id | name |")


def test_check_config_lists_every_problem_and_whether_run_can_start(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        "[bot]\nprefx = '!'\ndefault_timezone = 'Mars/Olympus'\n[matrix]\nhomeserver = 'x'\n",
        encoding="utf-8",
    )
    bad = classroom_bot(tmp_path, "check-config", "-c", str(config))
    assert bad.returncode == 2
    lines = bad.stderr.splitlines()
    assert len(lines) == 3 and all(line.startswith(f"classroom-bot: {config}: ") for line in lines)
    assert [k in bad.stderr for k in ("bot.prefx", "default_timezone", "homeserver")] == [True] * 3
    # What only `run` needs comes too, but not again for the key already reported.
    assert "matrix.user_id is missing (needed by `run`)" in bad.stdout
    assert "matrix.password or matrix.access_token is missing" in bad.stdout
    assert "homeserver" not in bad.stdout
    example = ROOT / "config.example.toml"
    unready = classroom_bot(tmp_path, "check-config", "-c", str(example))
    assert unready.returncode == 1 and "run still needs" in unready.stdout
    ready = classroom_bot(
        tmp_path, "check-config", "-c", str(example),
        env={"CLASSROOM_BOT_MATRIX_PASSWORD": "s3cret", "CLASSROOM_BOT_FEEDBACK_KEY": "k" * 32},
    )
    assert ready.returncode == 0 and "ready for every command" in ready.stdout


@pytest.mark.parametrize("command", ["migrate", "export-rooms", "console"])
def test_a_file_that_is_not_a_database_is_one_line(tmp_path: Path, command: str) -> None:
    (tmp_path / "notes.db").write_text("my notes\n", encoding="utf-8")
    done = classroom_bot(tmp_path, command, "--db", "notes.db", input="!tz\n")
    assert done.returncode == 2
    assert done.stderr == "classroom-bot: the database cannot be used: file is not a database\n"
    assert (tmp_path / "notes.db").read_text(encoding="utf-8") == "my notes\n"


def test_export_from_a_database_without_schema_says_to_migrate(tmp_path: Path) -> None:
    (tmp_path / "empty.db").touch()
    done = classroom_bot(tmp_path, "export-rooms", "--db", "empty.db")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("classroom-bot: the database has no schema yet but this code")


def test_migrate_console_and_export_work_on_the_configured_database(
    tmp_path: Path, database_url: str
) -> None:
    """`-c config.toml` naming a SQLite file, then a PostgreSQL database."""
    (tmp_path / "config.toml").write_text(
        "[bot]\norganizers = ['@you:example.org']\n"
        f"[database]\nurl = '{database_url}'\n", encoding="utf-8",
    )
    migrated = classroom_bot(tmp_path, "migrate", "-c", "config.toml")
    assert (migrated.returncode, migrated.stderr) == (0, "")
    assert migrated.stdout.endswith(
        f": upgraded from schema revision (empty) to {migrate.head_revision()}\n"
    )
    chatted = classroom_bot(
        tmp_path, "console", "-c", "config.toml",
        input="!workshop add ws title=W tz=UTC days=2027-03-17 time=10:00-15:00\n"
              "!room add name=Big org=U mode=online capacity=20 public=yes\n",
    )
    assert "Registered R1" in chatted.stdout, chatted.stdout + chatted.stderr
    exported = classroom_bot(tmp_path, "export-rooms", "-c", "config.toml", "--format", "csv")
    assert exported.returncode == 0, exported.stderr
    assert '"Big"' in exported.stdout
