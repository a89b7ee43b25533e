"""API keys: shown once, stored as a SHA-256 hash; roles ranked admin > editor > operator > viewer."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["GeneratedKey", "Role", "generate_key", "hash_key"]


class Role(StrEnum):
    VIEWER = "viewer"  # read
    OPERATOR = "operator"  # run pipelines and answer human tasks
    EDITOR = "editor"  # define and run
    ADMIN = "admin"  # everything, including users, keys and credentials

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


@dataclass(frozen=True, slots=True)
class GeneratedKey:
    plaintext: str  # shown to the user once, never stored
    prefix: str  # stored, to recognise a key in lists
    hash: str


def hash_key(plaintext: str) -> str:
    # Keys carry 256 random bits: a fast hash is enough (no dictionary to attack), unlike passwords.
    import hashlib  # here: ``Role`` is an option type of the CLI, whose help need not load OpenSSL

    return hashlib.sha256(plaintext.encode()).hexdigest()


def generate_key() -> GeneratedKey:
    import secrets

    plaintext = "lg_" + secrets.token_urlsafe(32)
    return GeneratedKey(plaintext, plaintext[:10], hash_key(plaintext))
