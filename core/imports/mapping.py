"""Which column of a sheet goes into which customer field: guessed from the headers people write
(单位名称, 手机号, 所属区县…, in Chinese or English), corrected by the user, remembered by the headers.

A target is a string: a customer field (``name``, ``phone``…), a contact's field (``contact.phone``, or
``contacts.2.phone`` for 联系人2电话-style columns), a custom field (``extra.area_mu``), or ``""`` for
a column that is not imported.
"""
import hashlib
import re
import unicodedata

from flask_babel import lazy_gettext as _l

# customer fields: what the mapping form offers, and the header words that mean each
CUSTOMER_FIELDS = {
    "name": (_l("客户名称"), ("单位名称", "公司名称", "企业名称", "客户名称", "客户", "名称", "姓名", "客户姓名",
                            "商户名称", "店铺名称", "合作社名称", "name", "customer", "customername", "companyname",
                            "accountname")),
    "kind": (_l("客户类型"), ("类型", "客户类型", "类别", "客户类别", "kind", "type", "customertype")),
    "company": (_l("所在单位"), ("所在单位", "工作单位", "单位", "所属公司", "公司", "company", "employer",
                              "organization")),
    "phone": (_l("电话"), ("手机", "手机号", "手机号码", "电话", "联系电话", "电话号码", "固话", "座机", "移动电话",
                          "联系方式", "phone", "mobile", "tel", "telephone", "phonenumber", "mobilephone")),
    "email": (_l("邮箱"), ("邮箱", "电子邮箱", "邮件", "电子邮件", "email", "e-mail", "mail")),
    "address": (_l("地址"), ("地址", "详细地址", "通讯地址", "联系地址", "公司地址", "经营地址", "注册地址", "单位地址",
                            "address", "street")),
    "region_code": (_l("所属区县"), ("所属区县", "区县", "所属区域", "区域", "地区", "所在地区", "行政区划",
                                    "区划代码", "所在区县", "region", "county", "area", "district")),
    "industry": (_l("行业"), ("行业", "所属行业", "行业类别", "industry")),
    "scale": (_l("规模"), ("规模", "企业规模", "公司规模", "scale", "size", "companysize")),
    "status": (_l("状态"), ("状态", "客户状态", "阶段", "客户阶段", "跟进阶段", "status", "stage")),
    "source": (_l("来源"), ("来源", "来源渠道", "客户来源", "渠道", "获客渠道", "source", "channel", "leadsource")),
    "birthday": (_l("生日"), ("生日", "出生日期", "出生年月日", "birthday", "dateofbirth", "birthdate")),
    "tags": (_l("标签"), ("标签", "客户标签", "tags", "tag", "labels")),
    "uscc": (_l("统一社会信用代码"), ("统一社会信用代码", "社会信用代码", "信用代码", "纳税人识别号", "税号",
                                    "uscc", "creditcode", "taxid")),
    "external_id": (_l("外部编号"), ("客户编号", "客户编码", "外部编号", "编号", "客户代码", "externalid",
                                   "customerid", "customercode", "code")),
    "owner": (_l("负责人"), ("负责人", "业务员", "销售", "销售负责人", "客户经理", "跟进人", "owner",
                            "salesperson", "accountowner")),
    "extra": (_l("扩展字段（JSON）"), ("扩展字段", "自定义字段", "extra", "customfields")),
    "consent_sms": (_l("同意接收短信"), ("同意短信", "接收短信", "同意接收短信", "短信授权", "consentsms", "smsconsent")),
}
CONTACT_FIELDS = {
    "name": (_l("联系人"), ("联系人", "联系人姓名", "联系人名称", "contact", "contactname")),
    "title": (_l("联系人职务"), ("职务", "职位", "联系人职务", "联系人职位", "title", "jobtitle", "position")),
    "phone": (_l("联系人电话"), ("联系人电话", "联系人手机", "联系人手机号", "联系人联系电话", "contactphone",
                               "contactmobile")),
    "email": (_l("联系人邮箱"), ("联系人邮箱", "联系人电子邮箱", "contactemail")),
    "wechat": (_l("联系人微信"), ("微信", "微信号", "联系人微信", "wechat", "weixin")),
}
# inside a numbered contact (联系人2电话, 联系人2, contact 2 phone): the words after the number
_NUMBERED_PARTS = {
    "": "name", "姓名": "name", "名称": "name", "name": "name",
    "电话": "phone", "手机": "phone", "手机号": "phone", "联系电话": "phone", "phone": "phone", "mobile": "phone",
    "职务": "title", "职位": "title", "title": "title",
    "邮箱": "email", "email": "email", "微信": "wechat", "wechat": "wechat",
}
_NUMBERED = re.compile(r"^(?:联系人|contact)(\d{1,2})(.*)$")
_NUMBER_AT_END = re.compile(r"^(.*?)(\d{1,2})$")
_DECORATION = re.compile(r"[（(](?:必填|选填|可选|required|optional)[)）]|[*＊:：\s_\-·]")
MAX_CONTACTS = 9


def normalized(header: str) -> str:
    """A header as compared: full-width letters folded, lower case, no spaces, stars, colons or (必填)."""
    text = unicodedata.normalize("NFKC", header or "").lower()
    return _DECORATION.sub("", text)


def _synonyms() -> dict[str, str]:
    found = {}
    for target, (_title, words) in CUSTOMER_FIELDS.items():
        for word in words:
            found.setdefault(normalized(word), target)
    for target, (_title, words) in CONTACT_FIELDS.items():
        for word in words:
            found.setdefault(normalized(word), f"contact.{target}")
    return found


_SYNONYMS = _synonyms()


def signature(headers: list[str]) -> str:
    """What identifies "a file with the same headers": their normalized text, in order."""
    return hashlib.sha256("\x1f".join(normalized(h) for h in headers).encode()).hexdigest()


def target_of(header: str, custom_titles: dict[str, str]) -> str:
    """The target one header means on its own ("" when none): a synonym, a numbered contact's part,
    or a custom field by its title (``custom_titles``: normalized title → ``extra.<field>``)."""
    key = normalized(header)
    if not key:
        return ""
    if key in custom_titles:  # an industry's own words win: 面积 in a farm's sheet is its field
        return custom_titles[key]
    if key in _SYNONYMS:
        return _SYNONYMS[key]
    numbered = _NUMBERED.match(key)
    if numbered and numbered.group(2) in _NUMBERED_PARTS and 1 <= int(numbered.group(1)) <= MAX_CONTACTS:
        return f"contacts.{int(numbered.group(1))}.{_NUMBERED_PARTS[numbered.group(2)]}"
    at_end = _NUMBER_AT_END.match(key)  # 联系电话2, 联系人姓名2
    if at_end and 1 <= int(at_end.group(2)) <= MAX_CONTACTS:
        base = _SYNONYMS.get(at_end.group(1), "")
        part = (base.removeprefix("contact.") if base.startswith("contact.")
                else base if base in ("phone", "email", "name") else None)
        if part:
            return f"contacts.{int(at_end.group(2))}.{part}"
    return ""


# a company's name beside a person's (姓名 and 公司名称): the second is the company the person works for
_SECOND_CHOICE = {"name": "company"}


def guess(headers: list[str], custom_titles: dict[str, str]) -> tuple[list[str], list[int]]:
    """Targets for every column, and the columns whose target an earlier column already took (left
    unmapped: a second 手机 column is for the user to place, e.g. as the contact's phone)."""
    targets, repeated, taken = [], [], set()
    for index, header in enumerate(headers):
        target = target_of(header, custom_titles)
        if target in taken and _SECOND_CHOICE.get(target) and _SECOND_CHOICE[target] not in taken:
            target = _SECOND_CHOICE[target]
        if target and target in taken:
            repeated.append(index)
            target = ""
        taken.add(target)
        targets.append(target)
    return targets, repeated


def known_target(target: str, custom_fields: set[str]) -> bool:
    if target == "" or target in CUSTOMER_FIELDS:
        return True
    parts = target.split(".")
    if parts[0] == "contact" and len(parts) == 2:
        return parts[1] in CONTACT_FIELDS
    if parts[0] == "contacts" and len(parts) == 3 and parts[1].isdigit():
        return 1 <= int(parts[1]) <= MAX_CONTACTS and parts[2] in CONTACT_FIELDS
    return parts[0] == "extra" and len(parts) == 2 and parts[1] in custom_fields


def title_of(target: str, custom_titles_by_target: dict[str, str]) -> str:
    """How the mapping form and the report name a target, in the user's language."""
    if target in CUSTOMER_FIELDS:
        return str(CUSTOMER_FIELDS[target][0])
    parts = target.split(".")
    if parts[0] == "contact":
        return str(CONTACT_FIELDS[parts[1]][0])
    if parts[0] == "contacts":
        return f"{CONTACT_FIELDS[parts[2]][0]} {parts[1]}"
    return custom_titles_by_target.get(target, target)
