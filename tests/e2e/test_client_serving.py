"""Django serves the built React client: index.html at / and deep links, assets under /static/."""

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("path", ["/", "/login", "/simulations/42", "/simulations/new", "/personas"])
def test_index_html_is_served_for_client_routes(client_dist: Path, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert _body(response) == (client_dist / "index.html").read_bytes()
    # The client posts with the CSRF cookie Django sets here.
    assert "csrftoken" in response.cookies


def test_every_asset_index_html_references_is_served_with_its_type(client_dist: Path) -> None:
    index = (client_dist / "index.html").read_text()
    urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', index)
    assert any(url.endswith(".js") for url in urls), f"no script in index.html: {index}"
    types = {".js": "text/javascript", ".css": "text/css"}
    client = Client()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        expected = types.get(Path(url).suffix)
        if expected:
            assert response["Content-Type"].startswith(expected), (url, response["Content-Type"])
        assert _body(response) == (client_dist / url.removeprefix("/static/")).read_bytes()


def test_api_admin_and_missing_assets_are_not_answered_with_the_client(client_dist: Path) -> None:
    client = Client()
    assert client.get("/static/assets/does-not-exist.js").status_code == 404
    missing_api = client.get("/api/no-such-endpoint/")
    assert missing_api.status_code == 404
    assert b'<div id="root">' not in _body(missing_api)
    assert client.get("/admin/").status_code == 302  # to the admin's own sign-in page
