"""Languages: Chinese by default, English switchable, every UI string translated, catalogue compiled."""
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import refresh

from kehu.customers.service import create_customer
from kehu.extensions import db
from kehu.tags.models import Tag

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "core" / "translations" / "en" / "LC_MESSAGES"
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
CHROME_TAGS = {"nav", "label", "h1", "h2", "h3", "button", "legend", "dt", "th", "summary", "title", "caption"}
CHROME_ATTRS = ("placeholder", "aria-label", "title")


class ChromeText(HTMLParser):
    """Collects the UI's own words: menus, labels, headings, buttons, placeholders (not data)."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag in CHROME_TAGS:
            self.depth += 1
        for name, value in attrs:
            if name in CHROME_ATTRS and value:
                self.found.append(value)

    def handle_endtag(self, tag):
        if tag in CHROME_TAGS and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and data.strip():
            self.found.append(data.strip())


def chinese_in_chrome(html: str, data=()) -> list[str]:
    """UI texts with Chinese characters, after removing ``data`` (names that are content, not UI)."""
    parser = ChromeText()
    parser.feed(html)
    texts = parser.found
    for name in data:
        texts = [text.replace(name, "") for text in texts]
    # the language switch names each language in itself (中文 / English) on purpose
    return [text for text in texts if CJK.search(text) and text not in ("中文", "Language / 语言")]


def test_chinese_is_the_default(admin, web_client_as):
    page = web_client_as(admin).get("/customers")
    assert '<html lang="zh-CN">' in page.text and "新建客户" in page.text


def test_accept_language_and_the_switch(app, admin, web_client_as):
    anonymous = app.test_client()
    assert "Sign in" in anonymous.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    assert "登录" in anonymous.get("/login", headers={"Accept-Language": "zh-CN"}).text
    client = web_client_as(admin)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/follow-ups").text).group(1)
    switched = client.post("/locale", data={"locale": "en", "next": "/customers", "csrf_token": token})
    assert switched.status_code == 302 and switched.headers["Location"] == "/customers"
    assert "kehu_locale=en" in switched.headers["Set-Cookie"]
    db.session.refresh(admin)
    assert admin.locale == "en"
    assert '<html lang="en">' in client.get("/customers").text
    away = client.post("/locale", data={"locale": "en", "next": "https://evil.example/", "csrf_token": token})
    assert away.headers["Location"] == "/"  # no open redirect
    client.post("/locale", data={"locale": "zh_Hans_CN", "csrf_token": token})
    assert '<html lang="zh-CN">' in client.get("/customers").text


def test_english_pages_have_no_chinese_ui_text(app, admin, web_client_as):
    db.session.add(Tag(name="key-account"))
    db.session.commit()
    customer = create_customer({"name": "Acme Machinery", "region_code": "370811", "industry": "manufacturing",
                                "tags": ["key-account"]}, admin)
    admin.locale = "en"
    db.session.commit()
    client = web_client_as(admin)
    pages = ["/", "/customers", f"/customers/{customer.id}", "/customers/new", f"/customers/{customer.id}/edit",
             "/follow-ups", "/admin/plugins", "/admin/users", "/admin/roles", "/admin/plugins/sample/settings",
             "/admin/fields", "/admin/audit", "/account/password", "/imports/"]
    plugin_titles = [str(p.title) for p in app.extensions["kehu_plugins"].installed.values()]
    refresh()  # the setup above ran outside a request and cached the default locale in the app context
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert chinese_in_chrome(response.text, plugin_titles) == [], url
    anonymous = app.test_client()
    assert chinese_in_chrome(anonymous.get("/login", headers={"Accept-Language": "en"}).text) == []


def test_compiled_catalogue_matches_the_po_file():
    with open(CATALOGUE / "messages.po", "rb") as f:
        po = {m.id: m.string for m in read_po(f) if m.id and m.string}
    with open(CATALOGUE / "messages.mo", "rb") as f:
        mo = {m.id: m.string for m in read_mo(f) if m.id}
    assert po == mo, "messages.mo is stale: run `make install` (or `make translations`)"
    with open(CATALOGUE / "messages.po", "rb") as f:
        problems = [(m.id, [str(e) for e in errors]) for m, errors in read_po(f).check()]
    assert not problems, f"translations whose placeholders do not match the source: {problems}"


# Core, the SDK and the built-in plugins (plugins/*, shipped in this repository) must be fully translated;
# their own tests are not UI.
REQUIRED_SOURCES = ("core/", "sdk/", "plugins/")


def _is_required(location: str) -> bool:
    return location.startswith(REQUIRED_SOURCES) and "/tests/" not in location


def _extracted_ui_messages(tmp_path) -> dict[str, list[str]]:
    """Every message `make translations` extracts from the required sources → where it is used."""
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
                    "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with open(pot, "rb") as f:
        return {m.id: sorted({loc for loc, _ in m.locations if _is_required(loc)})
                for m in read_po(f) if m.id and any(_is_required(loc) for loc, _ in m.locations)}


def test_every_core_and_builtin_plugin_ui_string_is_translated(tmp_path):
    if not (ROOT / "babel.cfg").is_file():
        pytest.skip("babel.cfg not found (installed package, not a source checkout)")
    with open(CATALOGUE / "messages.po", "rb") as f:
        translated = {m.id for m in read_po(f) if m.id and m.string and not m.fuzzy}
    extracted = _extracted_ui_messages(tmp_path)
    # the extraction must reach every part that has UI text, or this test would pass on nothing
    for source in ("core/web/templates/", "core/webhooks/templates/", "core/customers/templates/",
                   "core/interactions/templates/", "core/admin/templates/", "plugins/sms/templates/",
                   "plugins/erp/templates/", "plugins/sms/", "plugins/erp/"):
        assert any(loc.startswith(source) for locs in extracted.values() for loc in locs), source
    missing = {message: locations for message, locations in sorted(extracted.items()) if message not in translated}
    assert not missing, ("untranslated or fuzzy UI strings (run `make translations`, then translate them in "
                         f"core/translations/en/LC_MESSAGES/messages.po): {missing}")


def test_builtin_plugin_and_webhook_pages_in_english(app, admin, enable_plugins, web_client_as):
    enable_plugins("sms", "erp")
    customer = create_customer({"name": "Acme Machinery"}, admin)
    admin.locale = "en"
    db.session.commit()
    client = web_client_as(admin)
    refresh()
    # url → an English text the page must show (so an untranslated or empty page cannot pass)
    pages = {"/sms/": "SMS campaigns", "/sms/campaigns/new": "New SMS campaign", "/sms/templates": "SMS templates",
             "/sms/templates/new": "New template", "/erp/": "Sync runs", "/admin/webhooks/": "Endpoints",
             "/admin/webhooks/deliveries": "Deliveries", "/admin/webhooks/inbound": "Received",
             f"/customers/{customer.id}": "ERP orders"}
    found = {}
    for url, english in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert english in response.text, url
        found[url] = chinese_in_chrome(response.text)
    assert not any(found.values()), found


def test_settings_forms_and_industry_fields_in_english(app, admin, enable_plugins, web_client_as):
    # schema labels are data: they carry their English in "x-title-en" beside the Chinese "title"
    enable_plugins("sms", "erp", "industry")
    admin.locale = "en"
    db.session.commit()
    client = web_client_as(admin)
    refresh()
    expected = {"/admin/plugins/sms/settings": "Sign name", "/admin/plugins/erp/settings": "ERP address",
                "/admin/plugins/industry/settings": "Industry field packs offered",
                "/customers/extra-fields?industry=manufacturing": "Annual capacity (t)"}
    found = {}
    for url, english in expected.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert english in response.text, url
        found[url] = chinese_in_chrome(response.text)
    assert not any(found.values()), found


LOWERCASE_CODE = re.compile(r"^[a-z][a-z0-9_]*$")  # a value people should not have to read


def _schema_gaps(schema: dict, where: str) -> list[str]:
    """Properties without a Chinese title and its English, and code-like enum values without labels
    in both languages (values like ISO9001 or https may stand as they are)."""
    gaps = []
    for name, prop in schema.get("properties", {}).items():
        if not prop.get("title"):
            gaps.append(f"{where}.{name}: no title")
        if not prop.get("x-title-en"):
            gaps.append(f"{where}.{name}: no x-title-en")
        for holder in (prop, prop.get("items", {})):
            values = holder.get("enum", [])
            if any(isinstance(v, str) and LOWERCASE_CODE.match(v) for v in values):
                for key in ("x-enumNames", "x-enumNames-en"):
                    if len(holder.get(key, [])) != len(values):
                        gaps.append(f"{where}.{name}: {key} does not label every value")
    return gaps


def test_every_shipped_settings_schema_and_field_pack_says_everything_in_both_languages(app, enable_plugins):
    enable_plugins("industry")
    manager = app.extensions["kehu_plugins"]
    gaps = []
    for name, plugin in manager.installed.items():
        if type(plugin).__module__.startswith("kehu_plugins."):  # shipped with kehu (not test plugins)
            gaps += _schema_gaps(plugin.settings_schema, f"{name} settings")
    for packs in manager.hook("customer_field_schemas")():
        for pack in packs or []:
            gaps += _schema_gaps(pack["schema"], f"pack {pack['key']}")
    assert gaps == []


def test_webhook_event_types_are_described_in_both_languages(app):
    from flask_babel import force_locale

    from kehu.webhooks.events import known_event_types
    with force_locale("zh_Hans_CN"):
        chinese = {name: str(text) for name, text in known_event_types().items()}
    with force_locale("en"):
        english = {name: str(text) for name, text in known_event_types().items()}
    untranslated = [name for name in chinese if name.split(".")[0] != "sample"
                    and (not CJK.search(chinese[name]) or CJK.search(english[name]))]
    assert untranslated == []


def _marshmallow_messages() -> list[str]:
    """Every message marshmallow can give, formatted as it gives them."""
    import inspect

    from marshmallow import Schema, fields, validate
    found = set()
    for cls in vars(fields).values():
        if inspect.isclass(cls) and issubclass(cls, fields.Field):
            for klass in cls.__mro__:
                for template in getattr(klass, "default_error_messages", {}).values():
                    found.add(template.format(input="x", obj_type="datetime", awareness="aware", choices="a, b"))
    found |= set(Schema._default_error_messages.values())
    samples = [validate.Length(min=1, max=80), validate.Length(min=3), validate.Length(max=40), validate.Length(2, 9),
               validate.Length(equal=6), validate.Range(1, 5), validate.Range(min=0), validate.Range(max=100),
               validate.Range(0, 1, min_inclusive=False, max_inclusive=False), validate.Range(min=0, min_inclusive=False),
               validate.OneOf(["a", "b"]), validate.Email(), validate.URL(), validate.Regexp("^a$"),
               validate.Equal(3), validate.NoneOf([1]), validate.ContainsOnly(["a"]), validate.ContainsNoneOf(["a"])]
    bad_values = {validate.Length: "", validate.Range: -1000, validate.OneOf: "z", validate.Email: "x",
                  validate.URL: "x", validate.Regexp: "b", validate.Equal: 4, validate.NoneOf: 1,
                  validate.ContainsOnly: ["z"], validate.ContainsNoneOf: ["a"]}
    from marshmallow import ValidationError
    for validator in samples:
        for value in (bad_values[type(validator)], "x" * 200, 1000):
            try:
                validator(value)
            except ValidationError as error:
                found.update(error.messages)
            except TypeError:
                pass
    return sorted(found)


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "en"])
def test_marshmallow_messages_are_said_in_the_users_language(app, locale):
    from flask_babel import force_locale

    from kehu.platform.messages import message
    with force_locale(locale):
        said = {text: message(text) for text in _marshmallow_messages()}
    if locale == "en":
        assert all(not CJK.search(text) for text in said.values())
    else:
        assert [text for text, chinese in said.items() if not CJK.search(chinese)] == []


def test_one_word_with_two_translations_has_a_context(app):
    """日期 as a table's column header is "Date"; inside a message ("must be a date") it is "date"."""
    from flask_babel import force_locale, gettext, pgettext
    with force_locale("en"):
        assert (pgettext("column header", "日期"), gettext("日期")) == ("Date", "date")
    template = (ROOT / "plugins" / "erp" / "templates" / "erp" / "customer_panel.html").read_text()
    assert "pgettext('column header', '日期')" in template and "_('日期')" not in template
