"""What SQLite's single write lock means, for every door that meets it (worker loops and web requests)."""

from django.db import OperationalError, connection


def database_is_locked(error: BaseException) -> bool:
    """SQLite's answer when another process kept its single write lock past the busy timeout
    (DATABASES OPTIONS timeout): nothing is wrong with the job, so it is tried again soon."""
    return isinstance(error, OperationalError) and "database is locked" in str(error)


def database_busy_message() -> str:
    """What a locked database means, for the log line of whoever retries (never a traceback)."""
    wait = connection.settings_dict.get("OPTIONS", {}).get("timeout", 5)
    return (
        f"The database stayed busy for over {wait} s (another process held SQLite's single write lock; "
        "PostgreSQL, through DATABASE_URL, has no such limit)"
    )
