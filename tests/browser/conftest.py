"""Browser tests: the real app on a loopback port, driven by the system Chromium through Playwright.

Chromium comes from Debian (`.ci/run` installs it); Playwright's own browser download is never
used. Without /usr/bin/chromium (or $KEHU_CHROMIUM) the tests skip and say why.
"""
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from kehu.platform.access_log import RedactingRequestHandler

CHROMIUM = os.environ.get("KEHU_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).with_name("artifacts")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set KEHU_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install .[test])")
    playwright = sync_api.sync_playwright().start()
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
    yield launched
    launched.close()
    playwright.stop()


@pytest.fixture
def live_server(app):
    """The test app served by werkzeug in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=RedactingRequestHandler)  # as `kehu run`
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def new_page(browser):
    """``new_page(width=1280)`` -> a page in a fresh browser context (own cookies), zh-CN."""
    contexts, refused = [], []

    def make(width=1280, height=900, **options):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        # every page of every browser test also shows that the Content-Security-Policy refuses nothing
        page.on("console", lambda message: refused.append(message.text)
                if "Content Security Policy" in message.text else None)
        return page

    yield make
    for context in contexts:
        context.close()
    assert refused == [], "the Content-Security-Policy refused part of a page"


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def admin_page(new_page, live_server, admin):
    """``admin_page(width=1280, language="zh")`` -> a page signed in as the ``admin`` fixture's user."""
    from playwright.sync_api import expect

    from kehu_sdk.testing import TEST_PASSWORD

    def open_page(width=1280, language="zh"):
        page = new_page(width=width, height=900 if width > 400 else 812)
        if language == "en":
            page.context.add_cookies([{"name": "kehu_locale", "value": "en", "url": live_server}])
        page.goto(f"{live_server}/login")
        page.fill("#username", admin.username)
        page.fill("#password", TEST_PASSWORD)
        page.click("form button[type=submit].btn-primary")
        expect(page.get_by_test_id("current-user")).to_be_attached()
        return page

    return open_page
