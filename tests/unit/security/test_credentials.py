"""Credential encryption: MultiFernet rotation, the generated key file, errors that never show a value."""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING

import pytest
from cryptography.fernet import Fernet

from lockgate.security.credentials import KEY_FILE, CredentialCipher, CredentialKeyError, load_cipher, parse_keys

if TYPE_CHECKING:
    from pathlib import Path

SECRET = "s3cr3t-value-never-shown"


def test_encrypts_to_ciphertext_without_the_plaintext_and_decrypts_back() -> None:
    cipher = CredentialCipher([Fernet.generate_key().decode()])
    token = cipher.encrypt(SECRET)
    assert SECRET not in token
    assert cipher.decrypt(token, "token") == SECRET


def test_rotation_old_key_still_decrypts_and_rotate_moves_to_the_newest() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = CredentialCipher([old]).encrypt(SECRET)
    both = CredentialCipher([new, old])
    assert both.decrypt(token, "token") == SECRET
    rotated = both.rotate(token, "token")
    assert CredentialCipher([new]).decrypt(rotated, "token") == SECRET
    with pytest.raises(CredentialKeyError) as raised:
        CredentialCipher([old]).decrypt(rotated, "token")
    assert "'token'" in raised.value.detail
    assert SECRET not in raised.value.detail


def test_env_keys_win_and_are_comma_separated(tmp_path: Path) -> None:
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = CredentialCipher([old]).encrypt(SECRET)
    cipher = load_cipher(f"{new}, {old}", tmp_path)
    assert cipher.decrypt(token, "x") == SECRET
    assert not (tmp_path / KEY_FILE).exists()


def test_key_file_is_generated_once_with_owner_only_permissions(tmp_path: Path) -> None:
    home = tmp_path / "home"
    token = load_cipher(None, home).encrypt(SECRET)
    path = home / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_text()
    assert load_cipher(None, home).decrypt(token, "x") == SECRET
    assert path.read_text() == first


def test_invalid_or_missing_keys_are_refused() -> None:
    with pytest.raises(CredentialKeyError):
        CredentialCipher(["not-a-fernet-key"])
    with pytest.raises(CredentialKeyError):
        CredentialCipher([])


def test_parse_keys_accepts_commas_and_newlines() -> None:
    assert parse_keys("a, b\nc\n\n") == ["a", "b", "c"]
