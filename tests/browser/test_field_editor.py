"""The custom field editor in real Chromium, at 1280 and 375 px, in Chinese and English: add a choice
field with options, reorder with the ↑ ↓ buttons (and once by drag at 1280), save a new version, and
find the fields in that order in a customer form of that industry."""
import pytest

from kehu.custom_fields.query import get_schema
from kehu.custom_fields.service import save_admin_schema
from kehu_sdk.testing import TEST_PASSWORD

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

FISHERY = {"type": "object", "additionalProperties": False, "x-title-en": "Fishery", "properties": {
    "pond_mu": {"type": "number", "title": "水面（亩）", "x-title-en": "Pond (mu)", "minimum": 0},
    "fish": {"type": "string", "title": "鱼种", "x-title-en": "Fish", "enum": ["草鱼", "鲤鱼"]}}}


@pytest.fixture
def fishery(admin):
    return save_admin_schema("fishery", "渔业", FISHERY, admin)


def sign_in(page, base):
    page.goto(f"{base}/login")
    page.fill("#username", "admin")
    page.fill("#password", TEST_PASSWORD)
    page.click("form button[type=submit].btn-primary")
    expect(page.get_by_test_id("current-user")).to_be_attached()


def row_names(page) -> list[str]:
    return page.get_by_test_id("field-rows").locator("[data-testid=field-row] input[name$='-name']").evaluate_all(
        "inputs => inputs.map(input => input.value)")


def drag(page, handle, target):
    """Press on ``handle``, move in steps to the top of ``target``, let go: as a hand does."""
    start, end = handle.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + 30, end["y"] + end["height"] / 2, steps=20)
    page.mouse.move(end["x"] + 30, end["y"] + 8, steps=5)
    page.mouse.up()


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("width", [1280, 375])
def test_add_a_choice_field_reorder_and_use_it_in_a_customer_form(live_server, new_page, fishery, width, language,
                                                                  artifacts):
    phone = width < 600
    # tall enough at 1280 that the dragged row and the place it goes are on screen together
    page = new_page(width=width, height=812 if phone else 2000, is_mobile=phone, has_touch=phone)
    if language == "en":
        page.context.add_cookies([{"name": "kehu_locale", "value": "en", "url": live_server}])
    sign_in(page, live_server)
    page.goto(f"{live_server}/admin/fields/fishery")
    expect(page.locator("html")).to_have_attribute("lang", "en" if language == "en" else "zh-CN")
    expect(page.get_by_test_id("json-tab")).to_be_visible()  # raw JSON stays a tab away
    assert row_names(page) == ["pond_mu", "fish"]

    page.get_by_test_id("add-field").click()
    uid = page.get_by_test_id("field-rows").locator("[data-testid=field-row]").last.locator(
        "input[name=row]").input_value()
    added = page.locator(f"[data-testid=field-row]:has(input[name=row][value='{uid}'])")  # wherever it moves
    added.locator("input[name$='-name']").fill("feed")
    added.locator("select.field-kind").select_option("choice")
    added.locator("input[name$='-title']").fill("饲料")
    added.locator("input[name$='-title_en']").fill("Feed")
    lines = added.locator("[data-option-line]")
    expect(lines).to_have_count(1)
    lines.last.locator("input[name$='-opt-value']").fill("pellet")
    lines.last.locator("input[name$='-opt-zh']").fill("颗粒料")
    lines.last.locator("input[name$='-opt-en']").fill("Pellets")
    added.locator("[data-option-add]").click()
    expect(lines).to_have_count(2)
    lines.last.locator("input[name$='-opt-value']").fill("grass")
    lines.last.locator("input[name$='-opt-zh']").fill("青草")
    lines.last.locator("input[name$='-opt-en']").fill("Grass")
    added.locator("input[name$='-required']").check()

    added.locator("[data-field-move=up]").click()
    added.locator("[data-field-move=up]").click()
    assert row_names(page) == ["feed", "pond_mu", "fish"]
    expected = ["feed", "pond_mu", "fish"]
    if not phone:  # drag "fish" by its handle above "feed"
        rows = page.get_by_test_id("field-rows").locator("[data-testid=field-row]")
        drag(page, rows.nth(2).locator("[data-drag-handle]"), rows.nth(0))
        expected = ["fish", "feed", "pond_mu"]
        assert row_names(page) == expected
    page.screenshot(path=str(artifacts / f"field-editor-{width}-{language}.png"), full_page=True)
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling

    page.get_by_test_id("save-fields").click()
    expect(page.get_by_test_id("current-version")).to_contain_text("2")
    expect(page.get_by_test_id("schema-versions").locator("li")).to_have_count(2)
    assert row_names(page) == expected
    schema = get_schema("fishery").schema
    assert list(schema["properties"]) == expected and schema["required"] == ["feed"]
    assert schema["properties"]["feed"]["x-enumNames-en"] == ["Pellets", "Grass"]

    page.goto(f"{live_server}/customers/new")
    page.select_option("#f-industry", "fishery")
    feed = page.locator("select[name='extra.feed']")
    expect(feed).to_be_visible()  # the industry's fields arrive with htmx
    shown = page.get_by_test_id("extra-fields").locator(".schema-field").evaluate_all(
        "fields => fields.map(field => field.dataset.field)")
    assert shown == expected
    expect(feed.locator("option[value=pellet]")).to_have_text("Pellets" if language == "en" else "颗粒料")
    expect(page.get_by_test_id("extra-fields").locator("legend")).to_have_text("Fishery" if language == "en" else "渔业")
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= width
