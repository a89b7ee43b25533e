"""Security: API keys and roles, credentials encrypted at rest."""

from lockgate.security.api_keys import GeneratedKey, Role, generate_key, hash_key

__all__ = ["GeneratedKey", "Role", "generate_key", "hash_key"]
