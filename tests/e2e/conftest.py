"""Browser tests: Python Playwright driving Debian's Chromium against pytest-django's live server.

They run only when CHAINWATCH_E2E=1, in their own pytest invocation: the live server needs a
transactional database, which is flushed after each test and would take the knowledge pack away
from the rest of the suite. Each test reloads the pack when it is missing.

    CHAINWATCH_E2E=1 .venv/bin/pytest tests/e2e
"""

import os
from pathlib import Path

import pytest

E2E = os.environ.get("CHAINWATCH_E2E") == "1"
CHROMIUM = os.environ.get("CHAINWATCH_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

if E2E:
    # Playwright's sync API keeps an event loop in this thread; the ORM calls of the fixtures run
    # between browser calls, never inside the loop.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def pack(transactional_db):
    """The knowledge pack in the (transactional) database; reloaded after a flush."""
    from chainwatch.geo.models import Region
    from chainwatch.knowledge.loader import load_pack

    if not Region.objects.filter(code="152500").exists():
        load_pack(with_regions=True)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def shoot():
    SCREENSHOTS.mkdir(exist_ok=True)

    def save(page, name):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return save
