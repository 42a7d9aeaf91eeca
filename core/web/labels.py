"""Display names for the codes stored in the database (status, kind, industry…), in the user's language."""
from flask_babel import lazy_gettext as _l

CUSTOMER_STATUSES = {
    "lead": _l("线索"), "potential": _l("潜在客户"), "intent": _l("意向客户"),
    "customer": _l("成交客户"), "lost": _l("已流失"),
}
FUNNEL_STATUSES = ("lead", "potential", "intent", "customer")
CUSTOMER_KINDS = {"company": _l("企业"), "person": _l("个人")}
SCALES = {"large": _l("大型"), "medium": _l("中型"), "small": _l("小型"), "individual": _l("个体")}
# Industries of the demo data and the industry plugin's packs; other values are shown as stored.
INDUSTRIES = {
    "manufacturing": _l("制造业"), "agriculture": _l("农业"), "catering": _l("餐饮"),
    "services": _l("服务业"), "retail": _l("零售"), "logistics": _l("物流"),
}
SOURCES = {
    "website": _l("官网"), "wechat": _l("微信"), "referral": _l("转介绍"), "expo": _l("展会"),
    "store": _l("门店"), "visit": _l("上门拜访"), "phone": _l("电话"), "ad": _l("广告"),
}
INTERACTION_STATUSES = {"planned": _l("计划"), "done": _l("已完成"), "cancelled": _l("已取消")}
SCOPES = {"own": _l("本人"), "team": _l("本团队"), "all": _l("全部")}
AUDIT_ACTIONS = {"create": _l("新建"), "update": _l("修改"), "delete": _l("删除"), "export": _l("导出")}
# the audited tables (kehu.platform.audit); plugins' tables are shown by name
AUDIT_ENTITIES = {
    "customer": _l("客户"), "contact": _l("联系人"), "interaction": _l("跟进"), "tag": _l("标签"),
    "user_account": _l("用户"), "role": _l("角色"), "team": _l("团队"), "api_token": _l("API 令牌"),
    "plugin_state": _l("插件"), "custom_field_schema": _l("自定义字段"), "webhook_endpoint": _l("Webhook 订阅"),
    "export_job": _l("客户导出"),
}
EXPORT_STATUSES = {"queued": _l("排队中"), "running": _l("导出中"), "done": _l("已完成"), "failed": _l("失败"),
                   "expired": _l("已过期")}
# Quick picks of the county picker: the prefectures of kehu's first users.
QUICK_REGIONS = (("370800", _l("济宁")), ("370100", _l("济南")), ("371500", _l("聊城")))
DEFAULT_PROVINCE = "370000"  # Shandong


def label(mapping: dict, code):
    """The display name of ``code`` in ``mapping``, or the code itself when unknown."""
    if code is None:
        return ""
    return mapping.get(code, code)
