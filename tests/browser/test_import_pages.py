"""A new user imports their messy Chinese sheet (issue 14, point 7), at 1280 and 375 px: upload, fix one
mapping, read the dry run's report, import, see the progress, find the customers, undo the import."""
import pytest
from sqlalchemy import func, select

from kehu.customers.models import Customer
from kehu.extensions import db

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

# GBK, a title row above the headers, 公司 holding the customers' names (a column the user must map),
# +86 and full-width digits, a contact on its own row, a bad phone, and a repeated customer
SHEET = ("客户名单（2026 年）\n"
         "公司,联系人,手机,地址,行业,状态\n"
         "兖州瑞丰建材商行,王建国,+86 138-5371-2345,山东省济宁市兖州区建设路12号,零售,意向客户\n"
         ",李秀英,13953718888,,,\n"
         "曲阜孔府食品有限公司,张伟,１３９５３７１６６６６,济宁市曲阜市鼓楼大街8号,餐饮,成交\n"
         "泗水县某商店,赵六,12345,,,线索\n"
         "兖州瑞丰建材商行,王建国,13853712345,,,\n").encode("gbk")


@pytest.mark.parametrize("width", [1280, 375])
def test_a_new_user_imports_a_messy_sheet_and_undoes_it(live_server, admin_page, width):
    page = admin_page(width)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server}/customers")
    page.get_by_test_id("import-customers-link").click()
    page.set_input_files("#file", files=[{"name": "客户名单.csv", "mimeType": "text/csv", "buffer": SHEET}])
    page.get_by_role("button", name="上传并检查").click()

    expect(page.get_by_test_id("import-progress")).to_have_attribute("data-status", "checked")
    expect(page.get_by_text("表头在第 2 行")).to_be_visible()
    mapping = page.get_by_test_id("import-mapping")
    expect(mapping).to_be_visible()  # open: without a name column every row is an error
    mapping.locator("#column-0").select_option(label="客户名称")
    page.get_by_test_id("import-recheck").click()

    counts = page.get_by_test_id("import-counts")
    expect(counts.locator('[data-action="create"] .badge')).to_have_text("2")
    expect(counts.locator('[data-action="skip"] .badge')).to_have_text("1")
    expect(counts.locator('[data-action="error"] .badge')).to_have_text("1")
    report = page.get_by_test_id("import-report")
    expect(report.locator('tr[data-line="6"]')).to_contain_text("电话：不是有效的电话号码：12345")
    expect(report.locator('tr[data-line="7"]')).to_contain_text("与第 3 行重复")
    expect(report.locator('tr[data-line="3"] td').first).to_have_text("3–4")  # 李秀英 is the second contact
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 0

    page.get_by_test_id("import-commit").click()
    progress = page.get_by_test_id("import-progress")
    expect(progress).to_have_attribute("data-status", "done")
    expect(progress).to_contain_text("已写入 2 / 2")
    expect(progress.locator(".progress-bar")).to_have_text("100%")
    box = page.get_by_test_id("import-undo").bounding_box()
    assert box and box["x"] + box["width"] <= width  # on screen at 375 px too

    page.get_by_test_id("import-customers").click()
    results = page.get_by_test_id("customer-results")
    expect(results).to_contain_text("兖州瑞丰建材商行")
    expect(results).to_contain_text("曲阜孔府食品有限公司")
    page.go_back()
    page.get_by_test_id("import-undo").click()
    expect(page.get_by_test_id("import-progress")).to_have_attribute("data-status", "undone")
    page.goto(f"{live_server}/customers")
    expect(page.get_by_test_id("customer-results")).not_to_contain_text("兖州瑞丰建材商行")
