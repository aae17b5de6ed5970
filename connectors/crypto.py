"""Access tokens at rest: Fernet (AES-128-CBC with an HMAC) from the `cryptography` package."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _fernet() -> Fernet:
    key = settings.SIMCRM_ENCRYPTION_KEY
    if key:
        try:
            return Fernet(key)
        except ValueError as error:
            raise ImproperlyConfigured(
                "SIMCRM_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64-encoded bytes); make one with "
                '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.'
            ) from error
    # Derived, so an installation without the setting still never stores a token in clear.
    digest = hashlib.sha256(f"simcrm.connectors.tokens:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def token_encrypt(token: str) -> str:
    return _fernet().encrypt(token.encode()).decode()


def token_decrypt(encrypted: str) -> str:
    """The token; raises ImproperlyConfigured when the key changed since it was stored."""
    try:
        return _fernet().decrypt(encrypted.encode()).decode()
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "A stored access token cannot be decrypted: SIMCRM_ENCRYPTION_KEY (or SECRET_KEY) changed since it was "
            "saved. Restore the old key, or give the connection its token again with PATCH."
        ) from error
