"""A real headless Chromium for page tests (Debian's `chromium` package).

`chromium()` is a session fixture: it finds the browser, or installs it with
apt-get once (a lock file keeps parallel test runs from installing twice). When
it cannot be had the tests are skipped, or fail where CI or
CLASSROOM_BOT_REQUIRE_E2E is set. The browser is driven by its command line:
`--dump-dom` prints the DOM after the page's scripts ran, `--screenshot` saves
a PNG.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LOCK = Path(tempfile.gettempdir()) / "classroom-bot-chromium.lock"
PHONE = "390,844"


def _find() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _install() -> str | None:
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run may be installing it right now
        found = _find()
        if found or shutil.which("apt-get") is None:
            return found
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update"],
                        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]):
            subprocess.run(command, env=env, check=False, timeout=900,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return _find()


@pytest.fixture(scope="session")
def chromium() -> str:
    found = _find() or _install()
    if found is None:
        message = "Chromium is not installed and could not be installed with apt-get"
        if os.environ.get("CI") or os.environ.get("CLASSROOM_BOT_REQUIRE_E2E"):
            pytest.fail(message)
        pytest.skip(message)
    return found


async def run_chromium(binary: str, *args: str, zone: str = "UTC") -> str:
    """Run headless Chromium with `args`; its standard output. `zone` is the visitor's."""
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    try:
        process = await asyncio.create_subprocess_exec(
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            env={**os.environ, "TZ": zone},
        )
        out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert process.returncode == 0, f"chromium exited with {process.returncode}"
    return out.decode()


async def dump_dom(binary: str, url: str, *, zone: str = "UTC") -> str:
    return await run_chromium(binary, "--virtual-time-budget=2000", "--dump-dom", url,
                              zone=zone)


async def screenshot(binary: str, url: str, name: str) -> Path:
    """A phone-sized screenshot of the page, kept under tests/artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / name
    target.unlink(missing_ok=True)
    await run_chromium(binary, f"--screenshot={target}", f"--window-size={PHONE}",
                       "--hide-scrollbars", url)
    assert target.is_file() and target.stat().st_size > 1000, "no screenshot was written"
    print(f"screenshot: {target}")
    return target
