"""Demo data: a small Shandong company with sales teams and realistic Chinese customers."""
import random
from datetime import timedelta

from sqlalchemy import func, select

from kehu.accounts.models import User
from kehu.accounts.service import create_user, ensure_team
from kehu.custom_fields.query import get_schema
from kehu.customers import regions
from kehu.customers.models import Contact, Customer
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


# (kind, subjects that fit it): no "消息 · 上门拜访"
DONE_KINDS = (("call", ("电话回访", "报价沟通", "售后回访", "确认交货时间")),
              ("visit", ("上门拜访", "现场看样", "验收交付")),
              ("message", ("微信沟通", "发送报价单", "发送产品资料")),
              ("note", ("客户来电咨询", "内部备注：付款及时")))
PLANNED_SUBJECTS = ("计划回访", "跟进报价", "确认订单", "催收尾款", "节前问候")
LEAD_POOL_SHARE = 0.15  # leads nobody owns yet: the pool a manager triages
DUPLICATE_EVERY = 40  # one customer in so many is entered twice (another spelling, the same phone)


def demo_usernames() -> set[str]:
    return {"admin", "zhangjingli", "kefu", "shichang", *(f"sales{n}{i}" for n in range(1, len(CITIES) + 1) for i in (1, 2))}


def _user(username, role, display_name, team=None):
    """The demo user ``username``, made when missing (so an interrupted ``kehu demo`` can run again)."""
    found = db.session.scalar(select(User).where(User.username == username))
    return found or create_user(username, DEMO_PASSWORD, role, display_name, team)


def load_demo(customers: int = 300, seed: int = 2026) -> dict:
    """Create demo teams, users and customers; returns the logins created.

    Resumable: users and tags are made when missing, and customer number ``i`` comes from its own
    random generator, so a run interrupted after ``k`` customers goes on from ``k`` (each customer with
    its contacts and timeline is one transaction).
    """
    rng = random.Random(seed)
    logins = {"manager": "zhangjingli", "service": "kefu", "marketing": "shichang", "sales": []}
    sales_by_city, teams = {}, {}
    for number, (city, team_name) in enumerate(CITIES.items(), start=1):
        teams[city] = team = ensure_team(team_name)
        sales = [_user(f"sales{number}{i}", "sales", _person(rng), team) for i in (1, 2)]
        logins["sales"] += [u.username for u in sales]
        sales_by_city[city] = sales
    _user("zhangjingli", "manager", "张经理", ensure_team("济宁一组"))
    _user("kefu", "service", "客服小王", ensure_team("济南组"))
    marketing = _user("shichang", "marketing", "市场部李")
    existing_tags = set(db.session.scalars(select(Tag.name)))
    db.session.add_all(Tag(name=name) for name in TAGS if name not in existing_tags)  # sales use tags, not invent them
    db.session.commit()
    now = utcnow()
    # customers made so far, not counting the duplicates (they share their original's phone)
    done = db.session.scalar(select(func.count(func.distinct(Customer.phone_index))))
    for number in range(done, customers):
        _demo_customer(random.Random(f"{seed}-{number}"), number, now, sales_by_city, teams, marketing)
        db.session.commit()
    return logins


def _demo_customer(rng, number, now, sales_by_city, teams, marketing):
    city = rng.choices(list(CITIES), weights=[5, 3, 2])[0]
    owner = rng.choice(sales_by_city[city])
    industry = rng.choice(list(INDUSTRIES))
    county = rng.choice(regions.counties_under(city))
    is_company = rng.random() < 0.7
    county_name = regions.region_name(county).rstrip("区县市")
    name = (county_name + rng.choice(BRANDS) + rng.choice(INDUSTRIES[industry])) if is_company else _person(rng)
    status = rng.choice(STATUSES)
    pooled = status == "lead" and rng.random() < LEAD_POOL_SHARE / 0.2  # about LEAD_POOL_SHARE of all leads
    fields = {"extra": _industry_fields(rng, industry)} if get_schema(industry) is not None else {}
    data = fields | {
        "kind": "company" if is_company else "person", "name": name, "phone": _phone(rng),
        "region_code": county, "industry": industry, "status": status, "source": rng.choice(SOURCES),
        "owner_id": None if pooled else owner.id, "address": f"{regions.full_name(county)}",
        "tags": rng.sample(TAGS, rng.randrange(0, 3)), "consent_sms": rng.random() < 0.6,
    }
    if pooled:  # in the city's team, nobody's yet
        customer = create_customer(data | {"team_id": teams[city].id}, marketing)
    else:
        customer = create_customer(data, owner)
    customer.created_at = now - timedelta(days=rng.randrange(1, 365))
    if is_company:
        customer.contacts.append(_contact(rng, customer))
    if pooled:
        return
    for _ in range(rng.randrange(0, 4)):
        kind, subjects = rng.choice(DONE_KINDS)
        happened = customer.created_at + timedelta(days=rng.randrange(0, 60), hours=rng.randrange(8, 18))
        db.session.add(Interaction(customer_id=customer.id, user_id=owner.id, kind=kind,
                                   subject=rng.choice(subjects), status="done",
                                   occurred_at=min(happened, now - timedelta(minutes=rng.randrange(5, 600)))))
    if rng.random() < 0.35:  # follow-ups from ten days overdue to three weeks ahead
        db.session.add(Interaction(customer_id=customer.id, user_id=owner.id, kind=rng.choice(["call", "visit"]),
                                   subject=rng.choice(PLANNED_SUBJECTS), status="planned",
                                   due_at=now + timedelta(days=rng.randrange(-10, 21), hours=rng.randrange(0, 9))))
    if number % DUPLICATE_EVERY == DUPLICATE_EVERY - 1 and is_company:  # the same firm typed again
        db.session.flush()
        create_customer({"kind": "company", "name": name.replace(county_name, "", 1).replace("股份", "").replace("有限公司", ""),
                         "phone": customer.phone, "region_code": county, "industry": industry, "status": "lead",
                         "owner_id": owner.id, "source": "phone"}, owner)


def _contact(rng, customer):
    return Contact(name=_person(rng), title=rng.choice(["总经理", "采购经理", "财务", "店长"]),
                   phone=_phone(rng), is_primary=True)
