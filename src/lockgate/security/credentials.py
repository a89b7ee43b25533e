"""Credential encryption at rest: Fernet keys, newest first (MultiFernet), from the environment or a key file."""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import os
from typing import TYPE_CHECKING

from lockgate.errors import LockgateError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from cryptography.fernet import MultiFernet

__all__ = ["KEY_FILE", "CredentialCipher", "CredentialKeyError", "load_cipher", "parse_keys"]

KEY_FILE = "secret.key"


class CredentialKeyError(LockgateError):
    """The secret key cannot decrypt a stored credential (a key was dropped before rotating)."""

    code = "credential_key_error"


def _is_fernet_key(key: str) -> bool:
    """Fernet's own check of a key (32 bytes, url-safe base64), without importing cryptography for it."""
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (binascii.Error, ValueError):
        return False


class CredentialCipher:
    """Encrypts with the first key; decrypts with any, so old keys keep working until ``rotate``.

    The keys are checked at once; cryptography is imported with the first credential encrypted or read (every
    server and worker builds a cipher at start, and most starts touch no credential).
    """

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise CredentialKeyError("no secret key configured")
        if not all(_is_fernet_key(k) for k in keys):  # the message would quote nothing secret: only what is wrong
            raise CredentialKeyError("a secret key is not a valid Fernet key (32 url-safe base64 bytes)")
        self._keys = tuple(keys)

    @functools.cached_property
    def _fernet(self) -> MultiFernet:
        from cryptography.fernet import Fernet, MultiFernet

        return MultiFernet([Fernet(k.encode()) for k in self._keys])

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, ciphertext: str, name: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise CredentialKeyError(f"credential {name!r} cannot be decrypted with the configured keys") from None

    def rotate(self, ciphertext: str, name: str) -> str:
        """The same value, encrypted with the newest key."""
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise CredentialKeyError(f"credential {name!r} cannot be decrypted with the configured keys") from None


def parse_keys(text: str) -> list[str]:
    """Keys separated by commas or newlines, newest first."""
    return [k.strip() for k in text.replace("\n", ",").split(",") if k.strip()]


def _key_file(home: Path) -> list[str]:
    path = home / KEY_FILE
    home.mkdir(parents=True, exist_ok=True)
    # O_EXCL: of two processes starting at once, one writes the key and both read the same one.
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(base64.urlsafe_b64encode(os.urandom(32)).decode() + "\n")  # what Fernet.generate_key() gives
    return parse_keys(path.read_text())


def load_cipher(secret_key: str | None, home: Path) -> CredentialCipher:
    """Keys from ``LOCKGATE_SECRET_KEY`` if set, else from ``<home>/secret.key`` (generated, 0600, on first use)."""
    keys = parse_keys(secret_key) if secret_key else []
    return CredentialCipher(keys or _key_file(home))
