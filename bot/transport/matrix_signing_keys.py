"""The bot's cross-signing keys as data: making them, their seeds, their signed JSON.

Three ed25519 keys (Matrix client-server spec, "Cross-signing"): the master key
is the account's identity; the self-signing key, signed by the master key, signs
the account's own devices; the user-signing key, signed by the master key, would
sign other people's master keys. A key's id is `ed25519:` and its public key
(unpadded base64), so the key's `version` in signedjson is that public key.

Pure functions: no network, no database. The private half of each key is its
32-byte seed, kept as unpadded base64 (what `encode_signing_key_base64` writes).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from signedjson.key import (
    NACL_ED25519,
    decode_signing_key_base64,
    encode_signing_key_base64,
    encode_verify_key_base64,
    generate_signing_key,
    get_verify_key,
)
from signedjson.sign import sign_json
from signedjson.types import SigningKey

MASTER = "master"
SELF_SIGNING = "self_signing"
USER_SIGNING = "user_signing"
USAGES = (MASTER, SELF_SIGNING, USER_SIGNING)
# The field of each key in `POST /keys/device_signing/upload`.
UPLOAD_FIELDS = {MASTER: "master_key", SELF_SIGNING: "self_signing_key",
                 USER_SIGNING: "user_signing_key"}


def public_key(key: SigningKey) -> str:
    """The key's public half, unpadded base64 (also its id after `ed25519:`)."""
    return str(encode_verify_key_base64(get_verify_key(key)))


def _named_by_its_public_key(key: SigningKey) -> SigningKey:
    key.version = public_key(key)
    return key


def new_key() -> SigningKey:
    # The version is known only once the key exists: it is the public key.
    return _named_by_its_public_key(generate_signing_key("new"))


def key_from_seed(seed: str) -> SigningKey:
    """The key a stored seed stands for (ValueError for a seed that is no key)."""
    try:
        key = decode_signing_key_base64(NACL_ED25519, "seed", seed)
    except Exception as exc:  # nacl's own errors, or bad base64
        raise ValueError("not an ed25519 seed") from exc
    return _named_by_its_public_key(key)


def public_key_of(key_json: Mapping[str, Any] | None) -> str | None:
    """The public key a cross-signing key object holds (`keys: {"ed25519:P": "P"}`),
    or None when it holds not exactly one ed25519 key."""
    if not isinstance(key_json, Mapping):
        return None
    keys = key_json.get("keys")
    if not isinstance(keys, Mapping) or len(keys) != 1:
        return None
    ((key_id, value),) = keys.items()
    if not isinstance(value, str) or key_id != f"{NACL_ED25519}:{value}":
        return None
    return value


def key_id(key: SigningKey) -> str:
    return f"{NACL_ED25519}:{key.version}"


@dataclass(frozen=True)
class CrossSigningKeys:
    """The master, self-signing and user-signing keys of one account."""

    master: SigningKey
    self_signing: SigningKey
    user_signing: SigningKey

    @classmethod
    def generate(cls) -> CrossSigningKeys:
        return cls(new_key(), new_key(), new_key())

    @classmethod
    def from_seeds(cls, seeds: Mapping[str, str]) -> CrossSigningKeys:
        """From the three seeds by usage (`seeds()`); ValueError if one is bad."""
        return cls(*(key_from_seed(seeds[usage]) for usage in USAGES))

    def by_usage(self, usage: str) -> SigningKey:
        return {MASTER: self.master, SELF_SIGNING: self.self_signing,
                USER_SIGNING: self.user_signing}[usage]

    def seeds(self) -> dict[str, str]:
        """The private halves by usage: the secrets to keep."""
        return {usage: str(encode_signing_key_base64(self.by_usage(usage)))
                for usage in USAGES}

    def public_keys(self) -> dict[str, str]:
        return {usage: public_key(self.by_usage(usage)) for usage in USAGES}

    def key_json(self, user_id: str, usage: str) -> dict[str, Any]:
        """One key as the spec's CrossSigningKey object; all but the master key
        signed by the master key."""
        public = public_key(self.by_usage(usage))
        body: dict[str, Any] = {
            "user_id": user_id,
            "usage": [usage],
            "keys": {f"{NACL_ED25519}:{public}": public},
        }
        if usage == MASTER:
            return body
        signed: dict[str, Any] = sign_json(body, user_id, self.master)
        return signed

    def upload_body(self, user_id: str) -> dict[str, Any]:
        """The body of `POST /keys/device_signing/upload`, without `auth`."""
        return {UPLOAD_FIELDS[usage]: self.key_json(user_id, usage) for usage in USAGES}

    def sign_device(self, user_id: str, device_keys: Mapping[str, Any]) -> dict[str, Any]:
        """The device's keys (as `/keys/query` gives them) with only the self-signing
        key's signature: what `POST /keys/signatures/upload` takes for the device."""
        bare = {name: copy.deepcopy(value) for name, value in device_keys.items()
                if name not in ("signatures", "unsigned")}
        signed: dict[str, Any] = sign_json(bare, user_id, self.self_signing)
        return signed
