"""Demo data: a small Shandong company with sales teams and realistic Chinese customers."""
import random
from datetime import timedelta

from kehu.accounts.service import create_user, ensure_team
from kehu.custom_fields.query import get_schema
from kehu.customers import regions
from kehu.customers.models import Contact
from kehu.customers.service import create_customer
from kehu.extensions import db
from kehu.interactions.models import Interaction
from kehu.platform.time import utcnow
from kehu.tags.models import Tag

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚孔孟颜曾"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
         "建国", "志强", "海燕", "春梅", "立新", "玉兰", "庆华", "振华", "俊杰", "雪梅", "子涵", "浩然"]
BRANDS = ["鸿达", "鲁能", "金穗", "齐鲁", "孔孟", "运河", "泰和", "华信", "永盛", "圣源", "水泊", "微湖", "东岳", "瑞丰"]
INDUSTRIES = {
    "manufacturing": ["机械制造有限公司", "重工股份有限公司", "纺织有限公司", "化工有限公司"],
    "agriculture": ["农业科技有限公司", "种植专业合作社", "果蔬合作社", "农产品有限公司"],
    "catering": ["餐饮管理有限公司", "酒店有限公司", "食府", "快餐店"],
    "services": ["商贸有限公司", "咨询服务有限公司", "物业服务有限公司", "文化传媒有限公司"],
    "retail": ["百货有限公司", "超市", "电器商行", "建材商行"],
    "logistics": ["物流有限公司", "运输有限公司", "仓储有限公司"],
}
SOURCES = ["website", "wechat", "referral", "expo", "store", "visit", "phone", "ad"]
STATUSES = ["lead"] * 20 + ["potential"] * 25 + ["intent"] * 15 + ["customer"] * 35 + ["lost"] * 5
TAGS = ["重点关注", "高价值客户", "本地特色产业", "长期合作", "价格敏感", "需回访", "老客户", "新客户"]
MOBILE_PREFIXES = ["138", "139", "150", "151", "158", "186", "187", "133", "153", "177", "180"]
CITIES = {"370800": "济宁一组", "370100": "济南组", "371500": "聊城组"}

DEMO_PASSWORD = "kehu-demo-2026"
# Plugins `kehu demo` switches on when installed: industry fields, SMS on the console provider.
DEMO_PLUGINS = ("industry", "sms")


def _industry_fields(rng, industry):
    """Values for the industry plugin's packs (used only when that pack is active)."""
    if industry == "manufacturing":
        return {"main_products": rng.choice(["液压支架", "轴承", "棉纱", "化肥", "铸件"]),
                "annual_capacity_tons": rng.randrange(100, 50000, 50), "iso9001": rng.random() < 0.4,
                "employee_count": rng.randint(10, 800)}
    if industry == "agriculture":
        return {"varieties": rng.sample(["大蒜", "小麦", "玉米", "苹果", "莲藕", "辣椒"], 2),
                "area_mu": rng.randrange(10, 5000), "harvest_month": rng.randint(5, 11)}
    if industry == "catering":
        return {"cuisine": rng.choice(["鲁菜", "川菜", "快餐", "火锅", "烧烤"]),
                "seats": rng.randrange(20, 400, 10), "avg_spend_yuan": rng.randrange(20, 300, 5)}
    if industry == "services":
        return {"service_type": rng.choice(["咨询", "物业", "家政", "教育培训"]), "employees": rng.randint(3, 300)}
    if industry == "retail":
        return {"store_format": rng.choice(["超市", "便利店", "建材", "家电"]), "store_count": rng.randint(1, 40),
                "member_system": rng.random() < 0.5}
    return {"transport_modes": rng.sample(["公路整车", "公路零担", "冷链", "仓储配送"], 1),
            "fleet_size": rng.randint(1, 200), "cold_chain": rng.random() < 0.2}


def _person(rng):
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng):
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def load_demo(customers: int = 300, seed: int = 2026) -> dict:
    """Create demo teams, users and customers; returns the logins created."""
    rng = random.Random(seed)
    logins = {"manager": "zhangjingli", "service": "kefu", "marketing": "shichang", "sales": []}
    sales_by_city = {}
    for number, (city, team_name) in enumerate(CITIES.items(), start=1):
        team = ensure_team(team_name)
        sales = [create_user(f"sales{number}{i}", DEMO_PASSWORD, "sales", _person(rng), team) for i in (1, 2)]
        logins["sales"] += [u.username for u in sales]
        sales_by_city[city] = sales
    create_user("zhangjingli", DEMO_PASSWORD, "manager", "张经理", ensure_team("济宁一组"))
    create_user("kefu", DEMO_PASSWORD, "service", "客服小王", ensure_team("济南组"))
    create_user("shichang", DEMO_PASSWORD, "marketing", "市场部李")
    db.session.add_all(Tag(name=name) for name in TAGS)  # sales may use tags, not invent them
    db.session.commit()
    now = utcnow()
    for _ in range(customers):
        city = rng.choices(list(CITIES), weights=[5, 3, 2])[0]
        owner = rng.choice(sales_by_city[city])
        industry = rng.choice(list(INDUSTRIES))
        county = rng.choice(regions.counties_under(city))
        is_company = rng.random() < 0.7
        county_name = regions.region_name(county).rstrip("区县市")
        name = (county_name + rng.choice(BRANDS) + rng.choice(INDUSTRIES[industry])) if is_company else _person(rng)
        fields = {"extra": _industry_fields(rng, industry)} if get_schema(industry) is not None else {}
        customer = create_customer(fields | {
            "kind": "company" if is_company else "person", "name": name, "phone": _phone(rng),
            "region_code": county, "industry": industry, "status": rng.choice(STATUSES),
            "source": rng.choice(SOURCES), "owner_id": owner.id, "address": f"{regions.full_name(county)}",
            "tags": rng.sample(TAGS, rng.randrange(0, 3)), "consent_sms": rng.random() < 0.6,
        }, owner)
        customer.created_at = now - timedelta(days=rng.randrange(0, 365))
        if is_company:
            customer.contacts.append(_contact(rng, customer))
        for _ in range(rng.randrange(0, 4)):
            db.session.add(Interaction(
                customer_id=customer.id, user_id=owner.id, kind=rng.choice(["call", "visit", "message", "note"]),
                subject=rng.choice(["电话回访", "上门拜访", "报价沟通", "售后回访", "微信沟通"]),
                occurred_at=customer.created_at + timedelta(days=rng.randrange(0, 30)), status="done"))
        if rng.random() < 0.3:
            db.session.add(Interaction(customer_id=customer.id, user_id=owner.id, kind="call",
                                       subject="计划回访", status="planned",
                                       due_at=now + timedelta(days=rng.randrange(1, 14))))
        db.session.commit()
    return logins


def _contact(rng, customer):
    return Contact(name=_person(rng), title=rng.choice(["总经理", "采购经理", "财务", "店长"]),
                   phone=_phone(rng), is_primary=True)
