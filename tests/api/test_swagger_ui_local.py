"""/api/docs must work on an intranet: Swagger UI is served by kehu itself, never from a CDN.

The Swagger UI files come from npm (package.json) and are copied into
core/web/static/vendor/swagger-ui/ by `make run` / `make test`.
"""
import re
from pathlib import Path

import pytest

import kehu

VENDOR = Path(kehu.__file__).parent / "web" / "static" / "vendor" / "swagger-ui"
ASSETS = ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css")
URL_ATTR = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


@pytest.fixture
def docs_html(app):
    missing = [name for name in ASSETS if not (VENDOR / name).is_file()]
    if missing:
        pytest.skip(f"Swagger UI files missing in {VENDOR} ({', '.join(missing)}): "
                    "run `make install` (npm ci + copy) first")
    response = app.test_client().get("/api/docs")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_docs_page_has_no_absolute_urls(docs_html):
    absolute = re.findall(r"""(?:https?:)?//[^\s"'<>)]+""", docs_html)
    assert not absolute, f"/api/docs references external URLs (no CDN allowed): {absolute}"


def test_docs_page_assets_are_served_locally(app, docs_html):
    referenced = URL_ATTR.findall(docs_html)
    for name in ASSETS:
        assert any(url.endswith("/" + name) for url in referenced), f"/api/docs does not load {name}"
    client = app.test_client()
    for url in referenced:
        assert url.startswith("/"), f"asset URL {url!r} is not a local path"
        response = client.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        assert response.data, f"{url} is empty"
        response.close()


def test_spec_url_is_local(app, docs_html):
    spec_url = re.search(r"""url:\s*["']([^"']+)["']""", docs_html)
    assert spec_url, "no spec url in the Swagger UI page"
    assert spec_url.group(1) == "/api/openapi.json"
    assert app.test_client().get(spec_url.group(1)).status_code == 200


def test_validator_badge_is_off(docs_html):
    # Swagger UI's default sends the spec to validator.swagger.io, which intranets cannot reach.
    assert re.search(r"validatorUrl\W+null", docs_html), "Swagger UI would call validator.swagger.io"
