from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie


@ensure_csrf_cookie
def client_app(request: HttpRequest) -> HttpResponse:
    """Serve the React client's built index.html, or say how to build it."""
    index = settings.CLIENT_DIST_DIR / "index.html"
    if index.exists():
        return HttpResponse(index.read_text(encoding="utf-8"))
    return render(request, "client_missing.html", status=503)
