# New UI strings of issue 12, points 2 and 9 (SMS pages, audience chips, pickers, ERP), msgid -> English.
# Merge into core/translations/en/LC_MESSAGES/messages.po (the .po is not committed on this branch).
{
    "%(condition)s（近 %(days)s 天）": "%(condition)s (last %(days)s days)",
    "%(field)s 包含 %(value)s": "%(field)s contains %(value)s",
    "%(n)s 字，计 %(parts)s 条": "%(n)s characters, billed as %(parts)s",
    "%(time)s 前": "before %(time)s",
    "%(time)s 起": "from %(time)s",
    "任一：%(tags)s": "any of: %(tags)s",
    "全部客户": "All customers",
    "发送失败": "Failed",
    "客户指标": "Customer fact",
    "已发送": "Sent",
    "已送达": "Delivered",
    "待发送": "Pending",
    "搜索客户": "Search customers",
    "搜索客户：名称、拼音、公司或电话": "Search customers: name, pinyin, company or phone",
    "未发送": "Not sent",
    "未送达": "Not delivered",
    "没有找到客户。": "No customers found.",
}
