"""`classroom-bot console --http`: the web side while you chat, as a newcomer runs it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_console_serves_the_room_page_while_you_chat(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    console = subprocess.Popen(
        [sys.executable, "-m", "bot", "console", "--http", f"127.0.0.1:{port}"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=tmp_path,
    )
    assert console.stdin is not None
    try:
        console.stdin.write(
            "workshop add 2027-spring title=\"Try-out\" tz=Europe/Oslo days=2027-03-16 "
            "time=10:00-15:00\n"
        )
        console.stdin.flush()
        deadline = time.monotonic() + 30
        while True:  # poll until the server is up and the command was handled
            try:
                status, page = get(base + "/")
            except OSError:
                status, page = 0, ""
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert status == 200 and "<h1>Try-out</h1>" in page
        assert get(base + "/healthz")[0] == 200
    finally:
        _out, err = console.communicate("", timeout=30)  # end of input stops it
    assert console.returncode == 0, err
    assert f"The web side: http://127.0.0.1:{port}/" in err


def test_a_bad_http_address_is_refused_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--http", "8080"],
        input="", capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "classroom-bot: --http: '8080' is not HOST:PORT (e.g. 127.0.0.1:8080)"
    )
    assert not (tmp_path / "classroom-bot.db").exists()
