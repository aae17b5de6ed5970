"""The benchmark's own PostgreSQL databases, made and dropped over a plain psycopg connection.

Nothing here goes through Django's connections, so the user's database (DATABASE_URL) is never
touched: the benchmark only borrows its server address.
"""

import getpass
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg import sql

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5432


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str
    password: str = ""

    def url(self, dbname: str) -> str:
        auth = quote(self.user, safe="") + (f":{quote(self.password, safe='')}" if self.password else "")
        return f"postgres://{auth}@{self.host}:{self.port}/{quote(dbname, safe='')}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[Any]:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname=dbname,
            autocommit=True,
            connect_timeout=10,
        )

    def pg_env(self) -> dict[str, str]:
        """libpq variables for command-line tools (pgbench)."""
        env = {"PGHOST": self.host, "PGPORT": str(self.port), "PGUSER": self.user}
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def server_from_settings(database: dict[str, Any]) -> tuple[Server, str | None]:
    """The server of Django's default database if it is PostgreSQL, else 127.0.0.1:5432.

    Returns the server and the user's database name (None when it is not on PostgreSQL), so the
    caller can refuse to reuse that name.
    """
    if database.get("ENGINE") == "django.db.backends.postgresql":
        server = Server(
            host=database.get("HOST") or DEFAULT_HOST,
            port=int(database.get("PORT") or DEFAULT_PORT),
            user=database.get("USER") or os.environ.get("PGUSER") or getpass.getuser(),
            password=database.get("PASSWORD") or "",
        )
        return server, database.get("NAME")
    return Server(host=DEFAULT_HOST, port=DEFAULT_PORT, user=os.environ.get("PGUSER") or getpass.getuser()), None


def database_recreate(server: Server, name: str) -> None:
    """Drop the database if it exists (ending its sessions) and create it empty."""
    with server.connect() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_drop(server: Server, name: str) -> None:
    with server.connect() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
