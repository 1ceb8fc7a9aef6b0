"""A throw-away Synapse homeserver for end-to-end tests.

:class:`Homeserver` writes a hermetic configuration into a work directory,
runs ``python -m synapse.app.homeserver`` as a subprocess bound to a free
port on ``127.0.0.1`` (client API only, no federation, no outbound key
server, no URL previews, no presence, no encryption by default), and waits
for ``GET /health`` to answer before returning from :meth:`Homeserver.start`.

The server keeps its SQLite database, media store, signing key and secrets in
the work directory, so :meth:`Homeserver.start` after :meth:`Homeserver.stop`
or :meth:`Homeserver.kill` brings the *same* server back on the *same* port:
tests use this to simulate crashes and restarts.  A new :class:`Homeserver`
pointed at a work directory that already holds a configuration reuses its
port and secrets too.

Users are created with the shared-secret admin registration API
(:meth:`Homeserver.register`), which needs no login and no event loop.

Everything here is synchronous and uses only the standard library, so it can
be driven from plain (sync) pytest fixtures.

Example::

    hs = Homeserver(tmp_path / "synapse")
    hs.start()
    try:
        alice = hs.register("alice")
        ...  # client.restore_login(alice.user_id, alice.device_id, alice.access_token)
    finally:
        hs.stop()
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import json
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import weakref
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

from tests.e2e.synapse_config import (
    CONFIG_FILE,
    CONSOLE_LOG_FILE,
    LOG_CONFIG_FILE,
    LOG_FILE,
    log_config,
    synapse_config,
)

__all__ = [
    "DEFAULT_PASSWORD",
    "Homeserver",
    "HomeserverError",
    "RegisteredUser",
]

#: Password given to users registered without an explicit one.
DEFAULT_PASSWORD: Final = "correct-horse-battery-staple"

#: How long :meth:`Homeserver.start` waits for ``/health`` to answer 200.
START_TIMEOUT_S: Final = 30.0
#: How long :meth:`Homeserver.stop` waits after SIGTERM before SIGKILL.
STOP_TIMEOUT_S: Final = 10.0
#: Interval between two ``/health`` probes while the server boots.
_POLL_INTERVAL_S: Final = 0.05
#: Timeout of a single HTTP request made by this module.
_HTTP_TIMEOUT_S: Final = 10.0
#: Number of log lines quoted in error messages.
_LOG_TAIL_LINES: Final = 40

class HomeserverError(RuntimeError):
    """The homeserver failed to start, stop, or answer an admin request."""


@dataclass(frozen=True)
class RegisteredUser:
    """A user created by :meth:`Homeserver.register`, already logged in once."""

    user_id: str
    password: str
    access_token: str
    device_id: str


def _free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    """Return the last ``lines`` lines of ``path`` (empty if it is missing)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


# No proxy for loopback, whatever the environment says.
_OPENER: Final = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# Servers still running when the interpreter exits are killed, so a test run
# that dies without its teardown does not leave Synapse processes behind.
_LIVE: Final[weakref.WeakSet[Homeserver]] = weakref.WeakSet()


@atexit.register
def _kill_leftovers() -> None:
    for server in list(_LIVE):
        server.kill()


class Homeserver:
    """A disposable Synapse process with its data in ``workdir``.

    Args:
        workdir: Directory for the config, signing key, SQLite database,
            media store and logs.  Created if missing; reused if it already
            holds a configuration written by this class.
        default_rate_limits: Keep Synapse's own ``rc_*`` rate limits (tight:
            0.2 messages/s, 5 logins per address...).  By default every limit
            is raised so tests never wait on a 429.
        server_name: The Matrix server name (the part after ``:`` in user ids).

    Attributes:
        url: Base URL of the client API, e.g. ``http://127.0.0.1:40123``.
        server_name: The Matrix server name.
        port: The TCP port on 127.0.0.1; the same across restarts.
        workdir: The work directory.
    """

    url: str
    server_name: str
    port: int
    workdir: Path

    def __init__(
        self,
        workdir: Path,
        *,
        default_rate_limits: bool = False,
        server_name: str = "test.local",
    ) -> None:
        self.workdir = Path(workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.server_name = server_name
        self.default_rate_limits = default_rate_limits
        self._process: subprocess.Popen[bytes] | None = None
        self._console: IO[bytes] | None = None

        previous = self._read_previous_config()
        if previous is not None and previous.get("server_name") != server_name:
            raise HomeserverError(
                f"{self.config_path} is for server {previous.get('server_name')!r},"
                f" not {server_name!r}"
            )
        if previous is not None:
            self.port = int(previous["listeners"][0]["port"])
            self._registration_secret = str(previous["registration_shared_secret"])
            self._macaroon_secret = str(previous["macaroon_secret_key"])
            self._form_secret = str(previous["form_secret"])
        else:
            self.port = _free_port()
            self._registration_secret = secrets.token_urlsafe(32)
            self._macaroon_secret = secrets.token_urlsafe(32)
            self._form_secret = secrets.token_urlsafe(32)
        self.url = f"http://127.0.0.1:{self.port}"

    # -- paths -------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        """The generated ``homeserver.yaml``."""
        return self.workdir / CONFIG_FILE

    @property
    def log_path(self) -> Path:
        """Synapse's own log (INFO and above)."""
        return self.workdir / LOG_FILE

    @property
    def console_log_path(self) -> Path:
        """The subprocess's stdout and stderr (startup messages, tracebacks)."""
        return self.workdir / CONSOLE_LOG_FILE

    @property
    def running(self) -> bool:
        """Whether the Synapse process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The Synapse process id while it runs."""
        return self._process.pid if self.running and self._process else None

    # -- configuration -----------------------------------------------------

    def _read_previous_config(self) -> dict[str, Any] | None:
        try:
            text = self.config_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            data: dict[str, Any] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise HomeserverError(f"{self.config_path} was not written by this module") from exc
        return data

    def write_config(self) -> None:
        """Write ``homeserver.yaml`` and the log config into the work directory.

        Both are JSON, which YAML parses.  Called by :meth:`start`; the
        signing key is generated by Synapse itself on its first boot.
        """
        (self.workdir / "media_store").mkdir(exist_ok=True)
        config = synapse_config(
            self.workdir, server_name=self.server_name, port=self.port,
            default_rate_limits=self.default_rate_limits,
            secrets={"registration_shared_secret": self._registration_secret,
                     "macaroon_secret_key": self._macaroon_secret,
                     "form_secret": self._form_secret},
        )
        self.config_path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        (self.workdir / LOG_CONFIG_FILE).write_text(
            json.dumps(log_config(self.log_path), indent=2) + "\n", encoding="utf-8"
        )

    # -- process lifecycle -------------------------------------------------

    def start(self, timeout: float = START_TIMEOUT_S) -> None:
        """Launch Synapse and return once ``GET /health`` answers 200.

        Raises:
            HomeserverError: The process exited or did not become healthy
                within ``timeout`` seconds; the message quotes the logs.
        """
        if self.running:
            raise HomeserverError(f"homeserver at {self.url} is already running")
        self._reap()
        self.write_config()
        self._console = self.console_log_path.open("ab")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self.config_path)],
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            stdout=self._console,
            stderr=subprocess.STDOUT,
        )
        _LIVE.add(self)
        deadline = time.monotonic() + timeout
        while True:
            code = self._process.poll()
            if code is not None:
                self._reap()
                raise HomeserverError(
                    f"synapse exited with status {code} during startup\n{self._log_tails()}"
                )
            if self._healthy():
                return
            if time.monotonic() >= deadline:
                self.kill()
                raise HomeserverError(
                    f"synapse at {self.url} not healthy after {timeout:.0f} s\n{self._log_tails()}"
                )
            time.sleep(_POLL_INTERVAL_S)

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Stop Synapse with SIGTERM; SIGKILL it if it lingers past ``timeout``.

        Returns once the process has exited (so the port is free).  A no-op
        if the server is not running.
        """
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._reap()

    def kill(self) -> None:
        """SIGKILL Synapse (a simulated crash) and wait for it to exit."""
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        self._reap()

    def freeze(self) -> None:
        """SIGSTOP Synapse: it keeps its port (the kernel still accepts connections) but
        answers nothing until :meth:`thaw`."""
        process = self._process
        if process is None or process.poll() is not None:
            raise HomeserverError(f"homeserver at {self.url} is not running")
        process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT a frozen Synapse: it answers what waited, and goes on."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGCONT)

    def _reap(self) -> None:
        """Forget an exited process and close its console log."""
        if self._process is not None and self._process.poll() is not None:
            self._process = None
            _LIVE.discard(self)
        if self._process is None and self._console is not None:
            self._console.close()
            self._console = None

    def _healthy(self) -> bool:
        try:
            with _OPENER.open(f"{self.url}/health", timeout=1.0) as response:
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def _log_tails(self) -> str:
        return (
            f"--- {self.console_log_path} ---\n{_tail(self.console_log_path)}\n"
            f"--- {self.log_path} ---\n{_tail(self.log_path)}"
        )

    def __enter__(self) -> Homeserver:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Homeserver {self.server_name} {self.url} {state}>"

    # -- admin API ---------------------------------------------------------

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Make a JSON request to the homeserver and return the JSON answer."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with _OPENER.open(request, timeout=_HTTP_TIMEOUT_S) as response:
                result: dict[str, Any] = json.load(response)
                return result
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise HomeserverError(f"{method} {path}: HTTP {exc.code}: {detail}") from exc

    def register(
        self, localpart: str, password: str = DEFAULT_PASSWORD, admin: bool = False
    ) -> RegisteredUser:
        """Create a user with the shared-secret admin API and return its login.

        The returned access token and device id come from the registration
        itself, so a client can ``restore_login`` without a ``/login`` call
        (which would count against login rate limits).

        Raises:
            HomeserverError: Synapse refused the registration (for example
                ``M_USER_IN_USE``).
        """
        path = "/_synapse/admin/v1/register"
        nonce = str(self._request("GET", path)["nonce"])
        mac = hmac.new(self._registration_secret.encode(), digestmod=hashlib.sha1)
        for part in (nonce, localpart, password):
            mac.update(part.encode())
            mac.update(b"\x00")
        mac.update(b"admin" if admin else b"notadmin")
        answer = self._request(
            "POST",
            path,
            {
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        return RegisteredUser(
            user_id=str(answer["user_id"]),
            password=password,
            access_token=str(answer["access_token"]),
            device_id=str(answer["device_id"]),
        )
