"""Domain errors that services raise and the API maps to HTTP answers in one place."""


class ConflictError(Exception):
    """The request is valid but the object's current state forbids it (HTTP 409)."""
