import os
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the first staff user if there is none, and say how to sign in."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default=None)
        parser.add_argument("--password", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"] or os.environ.get("SIMCRM_ADMIN_USERNAME", "admin")
        password = options["password"] or os.environ.get("SIMCRM_ADMIN_PASSWORD", "")
        password_file = settings.BASE_DIR / ".simcrm-admin-password"
        users = get_user_model().objects
        if users.filter(username=username).exists():
            remembered = password_file.read_text().strip() if password_file.exists() else ""
            hint = remembered or "(set earlier; reset with: python manage.py changepassword " + username + ")"
            self.stdout.write(f"Sign in as {username} / {hint}")
            return
        if not password:
            password = secrets.token_urlsafe(12)
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
        users.create_superuser(username=username, email="", password=password)
        self.stdout.write(f"Created staff user. Sign in as {username} / {password}")
