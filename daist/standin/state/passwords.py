"""Password hashing exactly as the Determined client does it before it sends a password."""
from __future__ import annotations

import hashlib

CLIENT_SALT = "GubPEmmotfiK9TMD6Zdw"  # determined.common.api.authentication.PASSWORD_SALT


def client_hash(password: str) -> str:
    """What ``isHashed: true`` logins carry: salted sha512 hex, or "" for an empty password."""
    if not password:
        return ""
    return hashlib.sha512((CLIENT_SALT + password).encode()).hexdigest()
