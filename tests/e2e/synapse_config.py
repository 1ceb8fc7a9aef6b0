"""The configuration a throw-away Synapse runs with (tests/e2e/homeserver.py): hermetic,
client API only on 127.0.0.1, no federation, no outbound key server, no URL
previews, no presence, no encryption by default, and every rate limit raised
unless the caller asks for Synapse's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

CONFIG_FILE: Final = "homeserver.yaml"
LOG_CONFIG_FILE: Final = "log.config.yaml"
LOG_FILE: Final = "homeserver.log"
CONSOLE_LOG_FILE: Final = "console.log"

# A limit nobody reaches in a test run: Synapse treats these as the token
# bucket's refill rate (per second) and size.
_UNLIMITED: Final[dict[str, float]] = {"per_second": 10_000.0, "burst_count": 100_000}

#: Every ``rc_*`` rate limit Synapse 1.163 reads (synapse/config/ratelimiting.py),
#: as ``dotted.key``.  Raised to :data:`_UNLIMITED` unless the caller asks for
#: Synapse's defaults.
RATE_LIMIT_KEYS: Final[tuple[str, ...]] = (
    "rc_message",
    "rc_registration",
    "rc_registration_token_validity",
    "rc_login.address",
    "rc_login.account",
    "rc_login.failed_attempts",
    "rc_admin_redaction",
    "rc_joins.local",
    "rc_joins.remote",
    "rc_joins_per_room",
    "rc_key_requests",
    "rc_3pid_validation",
    "rc_invites.per_room",
    "rc_invites.per_user",
    "rc_invites.per_issuer",
    "rc_third_party_invite",
    "rc_media_create",
    "rc_presence.per_user",
    "rc_delayed_event_mgmt",
    "rc_room_creation",
    "rc_reports",
    "rc_user_directory",
    "rc_profile",
)


def rate_limit_overrides() -> dict[str, Any]:
    """Build the nested ``rc_*`` config mapping with every limit raised."""
    config: dict[str, Any] = {}
    for key in RATE_LIMIT_KEYS:
        *parents, leaf = key.split(".")
        node = config
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = dict(_UNLIMITED)
    return config



def synapse_config(
    workdir: Path, *, server_name: str, port: int, secrets: dict[str, str],
    default_rate_limits: bool,
) -> dict[str, Any]:
    """The full Synapse configuration as a JSON-compatible mapping. `secrets`: the
    registration shared secret, the macaroon secret key and the form secret, by
    Synapse's key names."""
    work = workdir
    config: dict[str, Any] = {
        "server_name": server_name,
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "pid_file": str(work / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {
            "name": "sqlite3",
            "args": {"database": str(work / "homeserver.db")},
        },
        "log_config": str(work / LOG_CONFIG_FILE),
        "media_store_path": str(work / "media_store"),
        "signing_key_path": str(work / f"{server_name}.signing.key"),
        **secrets,
        "enable_registration": False,
        "report_stats": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "url_preview_enabled": False,
        "presence": {"enabled": False},
        "bcrypt_rounds": 4,
        "encryption_enabled_by_default_for_room_type": "off",
        "enable_metrics": False,
    }
    if not default_rate_limits:
        config.update(rate_limit_overrides())
    return config


def log_config(log_path: Path) -> dict[str, Any]:
    """A logging dictConfig writing to `log_path` only."""
    return {
        "version": 1,
        "formatters": {
            "precise": {
                "format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s"
                " - %(request)s - %(message)s"
            }
        },
        "handlers": {
            "file": {
                "class": "logging.FileHandler",
                "formatter": "precise",
                "filename": str(log_path),
                "encoding": "utf8",
            }
        },
        "loggers": {
            # DEBUG here would log access tokens.
            "synapse.storage.SQL": {"level": "WARNING"},
            "twisted": {"level": "WARNING"},
        },
        "root": {"level": "INFO", "handlers": ["file"]},
        "disable_existing_loggers": False,
    }
