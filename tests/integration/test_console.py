"""The console, run as a user runs it: the real command, piped input, a real file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

# The checkout under test runs, not whichever `bot` the interpreter has installed.
ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}


def console(tmp_path: Path, script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console", *args],
        input=script,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=ENV,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_the_first_conversation_from_the_issue(tmp_path: Path) -> None:
    out = console(tmp_path, "!help\n!tz Europe/Oslo\n!tz\n!tz Mars/Olympus\n!nope\n")
    assert "`!tz [Area/City]`" in out
    assert "Your time zone is now `Europe/Oslo`" in out
    assert "Your time zone is `Europe/Oslo`" in out
    assert "Use an IANA name in Area/City form" in out
    assert "Did you mean" in out
    assert (tmp_path / "classroom-bot.db").is_file()


def test_state_persists_and_as_switches_the_speaker(tmp_path: Path) -> None:
    console(tmp_path, "!tz Asia/Tokyo\n", "--db", "people.db")
    out = console(
        tmp_path, "!tz\n/as @bo:example.org\ntz\n/as nobody\n", "--db", "people.db"
    )
    assert "Your time zone is `Asia/Tokyo`" in out
    assert "(you are now @bo:example.org)" in out
    assert "@bo:example.org> tz\n  You have not set a time zone" in out
    assert "user ids look like @ana:example.org" in out


def test_a_database_from_newer_code_stops_the_console_with_a_message(tmp_path: Path) -> None:
    import sqlite3

    console(tmp_path, "!tz\n")
    with sqlite3.connect(tmp_path / "classroom-bot.db") as db:
        db.execute("UPDATE alembic_version SET version_num = 'ffff'")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console"], input="!tz\n", capture_output=True,
        text=True, cwd=tmp_path, env=ENV, timeout=60, check=False,
    )
    assert done.returncode == 2
    assert "schema revision 'ffff', which this version of classroom-bot does not know" in (
        done.stderr
    )


def test_export_rooms_writes_the_publicly_listed_rooms(tmp_path: Path) -> None:
    import json

    console(
        tmp_path,
        "!workshop add ws title=W tz=UTC days=2027-03-17 time=10:00-15:00\n"
        "!room add name=Listed org=U mode=online capacity=3 public=yes\n"
        "!room add name=Private org=U mode=online capacity=3 public=no\n",
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "export-rooms", "--format", "json"],
        capture_output=True, text=True, cwd=tmp_path, env=ENV, timeout=60, check=True,
    )
    assert [room["name"] for room in json.loads(done.stdout)] == ["Listed"]
    subprocess.run(
        [sys.executable, "-m", "bot", "export-rooms", "-o", "rooms.md"],
        cwd=tmp_path, env=ENV, timeout=60, check=True,
    )
    assert "| R1 | Listed | U | online |" in (tmp_path / "rooms.md").read_text()
    missing = subprocess.run(
        [sys.executable, "-m", "bot", "export-rooms", "--workshop", "nope"],
        capture_output=True, text=True, cwd=tmp_path, env=ENV, timeout=60, check=False,
    )
    assert missing.returncode == 1 and "There is no workshop `nope`" in missing.stderr


def test_files_go_to_a_private_folder_removed_at_exit_unless_kept(tmp_path: Path) -> None:
    script = ("!workshop add w1 title=W tz=UTC days=2030-01-05 time=10:00-15:00\n"
              "!feedback export daily\n")
    out = console(tmp_path, script)
    line = next(line for line in out.splitlines() if "saved to" in line)
    removed = Path(line.split("saved to ")[1].rstrip("]"))
    assert removed.name == "feedback-w1-daily.csv"
    assert "removed when the console ends; start it with --keep-files" in out
    assert not removed.parent.exists()

    out = console(tmp_path, "!feedback export daily\n", "--keep-files")
    line = next(line for line in out.splitlines() if "saved to" in line)
    path = Path(line.split("saved to ")[1].rstrip("]"))
    try:
        assert path.name == "feedback-w1-daily.csv" and path.read_bytes().startswith(b"response,")
        assert path.stat().st_mode & 0o077 == 0 and path.parent.stat().st_mode & 0o077 == 0
        assert out.splitlines()[-1] == f"(the files of this session are kept in {path.parent})"
        assert "--keep-files" not in out
    finally:
        shutil.rmtree(path.parent)


def test_slash_lines_are_the_consoles_and_never_reach_the_bot(tmp_path: Path) -> None:
    out = console(tmp_path, "/help\n/whoami\n/x\n/ask @bo:example.org\n/tz Europe/Oslo\n"
                  "/as\n/as @bo:example.org\n/whoami\n/wait 1h\n/exit\n!tz\n")
    assert "(the console's commands; help lists the bot's)" in out
    for usage in ("/as @user:server", "/whoami", "/wait 2d3h", "/help", "/quit"):
        assert f"\n  {usage} " in out
    assert "(you are @you:example.org)" in out and "(you are @bo:example.org)" in out
    for unknown in ("/x", "/ask", "/tz"):
        assert f"(unknown console command {unknown}; /help lists them)" in out
    # /ask is not /as with an argument; /tz never became the bot's `tz`.
    assert "(you are now @bo:example.org)" in out and out.count("(you are now") == 1
    assert "time zone" not in out
    assert "(/as needs whom to type as: /as @user:server)" in out
    assert "(/wait needs a simulated clock: start the console with --clock)" in out
    assert "!tz" not in out  # /exit stopped the console before it
