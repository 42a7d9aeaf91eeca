"""SMS campaigns: the target, who may see a campaign, its life cycle and progress, and the ``sms``
message channel (one SMS to one customer as a one-recipient campaign).

States: draft -> (start) scheduled | running -> done; running/scheduled <-> paused; anything not
finished -> cancelled. Starting writes one pending ``sms_message`` per eligible recipient; the
sending itself is ``service.sending``. See docs/sms.md.
"""
from datetime import datetime, timedelta

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, insert, literal, select, update

from kehu_plugins.sms.models import SmsCampaign, SmsMessage, SmsSuppression, SmsTemplate
from kehu_plugins.sms.service import RUN_CAMPAIGN, SmsConflict, SmsInvalid, templates
from kehu_plugins.sms.service.templates import MESSAGE_VARIABLE
from kehu_sdk.customers import Customer, CustomerFilter, criteria, filter_from_args
from kehu_sdk.db import db
from kehu_sdk.interactions import MessageChannel, MessageRefused
from kehu_sdk.plugins import settings_of
from kehu_sdk.tasks import dispatch
from kehu_sdk.time import utcnow
from kehu_sdk.users import get_user

ACTIVE = ("scheduled", "running", "paused")
FIELDS = ("name", "template_id", "target", "scheduled_at")
MESSAGE_COUNTS = ("pending", "sending", "sent", "delivered", "undelivered", "failed", "skipped")
FINISHED = ("sent", "delivered", "undelivered", "failed", "skipped")


class CampaignStateError(SmsConflict):
    """The campaign is not in a state that allows this (e.g. starting a finished one)."""

    def __init__(self, status: str):
        super().__init__(_("活动当前状态（%(status)s）不允许此操作", status=status))
        self.status = status


# targeting --------------------------------------------------------------------------------------
def customer_filter(target: dict) -> CustomerFilter:
    """The core customer filter for a stored target: the arguments GET /customers takes, as JSON
    (``extra.<field>`` conditions included). Raises FilterInvalid."""
    return filter_from_args(target)


def _matched(campaign: SmsCampaign, user):
    return select(Customer.id, Customer.phone_last4).where(*criteria(customer_filter(campaign.target), user))


def _eligible(campaign: SmsCampaign, user):
    """SELECT of customers matching the target that may get this campaign's SMS."""
    found = _matched(campaign, user).where(Customer.phone_index.is_not(None),
                                           Customer.phone_index.not_in(select(SmsSuppression.phone_index)))
    if campaign.template.kind == "marketing":
        found = found.where(Customer.consent_sms.is_(True))
    return found


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def audience(campaign: SmsCampaign) -> dict:
    """{"matched", "eligible"}: how many customers the target finds, and how many may be sent to."""
    user = get_user(campaign.created_by_id)
    return {"matched": _count(_matched(campaign, user)), "eligible": _count(_eligible(campaign, user))}


# reads ------------------------------------------------------------------------------------------
def campaigns_of(user):
    """SELECT of the campaigns ``user`` may see, newest first: their own, or all with scope ``all``."""
    query = select(SmsCampaign).order_by(SmsCampaign.id.desc())
    return query if user.scope == "all" else query.where(SmsCampaign.created_by_id == user.id)


def campaign_for(campaign_id: int, user) -> SmsCampaign | None:
    """The campaign if ``user`` may see it (its creator, or a user who sees every customer)."""
    campaign = db.session.get(SmsCampaign, campaign_id)
    if campaign is None or (campaign.created_by_id != user.id and user.scope != "all"):
        return None
    return campaign


def progress(campaign: SmsCampaign) -> dict:
    counts = dict(db.session.execute(select(SmsMessage.status, func.count(SmsMessage.id))
                                     .where(SmsMessage.campaign_id == campaign.id)
                                     .group_by(SmsMessage.status)).all())
    by_status = {status: counts.get(status, 0) for status in MESSAGE_COUNTS}
    finished = sum(by_status[s] for s in FINISHED)
    total = campaign.total or 0
    percent = round(100 * finished / total, 1) if total else (100.0 if campaign.status == "done" else 0.0)
    return {"status": campaign.status, "total": total, "excluded": campaign.excluded, "counts": by_status,
            "done": finished, "percent": percent, "resume_at": campaign.resume_at}


def messages_of(campaign: SmsCampaign, status: str | None = None):
    """SELECT of a campaign's messages in id order, optionally of one status."""
    query = select(SmsMessage).where(SmsMessage.campaign_id == campaign.id).order_by(SmsMessage.id)
    return query.where(SmsMessage.status == status) if status else query


def recent_messages(customer_id: int, limit: int = 10) -> list:
    """(message, campaign name) of the SMS a customer got, newest first (the customer panel)."""
    return list(db.session.execute(
        select(SmsMessage, SmsCampaign.name).join(SmsCampaign, SmsCampaign.id == SmsMessage.campaign_id)
        .where(SmsMessage.customer_id == customer_id, SmsMessage.status != "pending")
        .order_by(SmsMessage.id.desc()).limit(limit)).all())


# writes (each commits) --------------------------------------------------------------------------
def _check_template(template_id: int) -> None:
    if db.session.get(SmsTemplate, template_id) is None:
        raise SmsInvalid({"template_id": [_("模板不存在")]})


def create_campaign(data: dict, user) -> SmsCampaign:
    """A draft from ``data`` loaded by ``schemas.CampaignSchema`` (which checks the target)."""
    _check_template(data["template_id"])
    campaign = SmsCampaign(**{k: v for k, v in data.items() if k in FIELDS}, status="draft", created_by_id=user.id)
    db.session.add(campaign)
    db.session.commit()
    return campaign


def update_campaign(campaign: SmsCampaign, data: dict) -> SmsCampaign:
    if campaign.status != "draft":
        raise SmsConflict(_("只能修改草稿状态的活动"))
    if "template_id" in data:
        _check_template(data["template_id"])
    for key in FIELDS:
        if key in data:
            setattr(campaign, key, data[key])
    db.session.commit()
    return campaign


def delete_campaign(campaign: SmsCampaign) -> None:
    if campaign.status != "draft":
        raise SmsConflict(_("只能删除草稿状态的活动；已开始的活动请取消"))
    db.session.delete(campaign)
    db.session.commit()


def _run(campaign_id: int) -> None:
    """Start a worker on a running campaign (after the commit that made it run)."""
    dispatch(RUN_CAMPAIGN, campaign_id)


def start_campaign(campaign: SmsCampaign) -> SmsCampaign:
    """draft -> scheduled (future ``scheduled_at``) or running, and a worker starts sending."""
    if campaign.status != "draft":
        raise CampaignStateError(campaign.status)
    return _schedule_or_begin(campaign)


def _schedule_or_begin(campaign: SmsCampaign) -> SmsCampaign:
    now = utcnow()
    if campaign.scheduled_at and campaign.scheduled_at > now:
        campaign.status = "scheduled"
        db.session.commit()
        return campaign
    begin(campaign, now)
    db.session.commit()
    _run(campaign.id)
    return campaign


def pause_campaign(campaign: SmsCampaign) -> SmsCampaign:
    """running/scheduled -> paused: workers stop after their current batch."""
    if campaign.status not in ("running", "scheduled"):
        raise CampaignStateError(campaign.status)
    campaign.status = "paused"
    db.session.commit()
    return campaign


def resume_campaign(campaign: SmsCampaign) -> SmsCampaign:
    """paused -> running (or back to scheduled when it never started)."""
    if campaign.status != "paused":
        raise CampaignStateError(campaign.status)
    if campaign.started_at is None:
        return _schedule_or_begin(campaign)
    campaign.status = "running"
    campaign.heartbeat_at = utcnow()
    db.session.commit()
    _run(campaign.id)
    return campaign


def cancel_campaign(campaign: SmsCampaign) -> SmsCampaign:
    """Stop for good: messages not yet claimed are skipped (claimed ones finish)."""
    if campaign.status not in ("draft",) + ACTIVE:
        raise CampaignStateError(campaign.status)
    campaign.status = "cancelled"
    campaign.finished_at = utcnow()
    db.session.execute(update(SmsMessage).where(SmsMessage.campaign_id == campaign.id,
                                                SmsMessage.status == "pending")
                       .values(status="skipped", error_code="cancelled"))
    db.session.commit()
    return campaign


ACTIONS = {"start": start_campaign, "pause": pause_campaign, "resume": resume_campaign, "cancel": cancel_campaign}


def begin(campaign: SmsCampaign, now: datetime | None = None) -> None:
    """The campaign runs: one pending message per eligible recipient, in one INSERT … SELECT.

    In the caller's transaction; the caller commits and starts a worker (``RUN_CAMPAIGN``).
    """
    now = now or utcnow()
    recipients = _eligible(campaign, get_user(campaign.created_by_id)).subquery()
    db.session.execute(insert(SmsMessage).from_select(
        ["campaign_id", "customer_id", "status", "attempts", "phone_last4"],
        select(literal(campaign.id), recipients.c.id, literal("pending"), literal(0), recipients.c.phone_last4)))
    campaign.total = db.session.scalar(select(func.count(SmsMessage.id)).where(SmsMessage.campaign_id == campaign.id))
    campaign.excluded = max(0, audience(campaign)["matched"] - campaign.total)
    campaign.provider = settings_of("sms")["provider"]
    campaign.status = "running"
    campaign.started_at = now
    campaign.heartbeat_at = now


def campaigns_to_kick(now: datetime | None = None) -> list[int]:
    """The periodic sweep: due scheduled campaigns begin; the running ones that are idle past their
    wait or stalled are returned, with those, for a new worker task (the caller dispatches them)."""
    now = now or utcnow()
    stall = timedelta(seconds=settings_of("sms")["stall_seconds"])
    kick = []
    for campaign in db.session.scalars(select(SmsCampaign).where(
            SmsCampaign.status == "scheduled", SmsCampaign.scheduled_at <= now)):
        begin(campaign, now)
        db.session.commit()
        kick.append(campaign.id)
    for campaign in db.session.scalars(select(SmsCampaign).where(SmsCampaign.status == "running")):
        waiting_over = campaign.resume_at is not None and campaign.resume_at <= now
        stalled = campaign.resume_at is None and (campaign.heartbeat_at is None or campaign.heartbeat_at < now - stall)
        if waiting_over or stalled:
            campaign.heartbeat_at, campaign.resume_at = now, None  # one kick per stall, not one per sweep
            kick.append(campaign.id)
    db.session.commit()
    return kick


# the message channel ----------------------------------------------------------------------------
def send_to_customer(customer_id: int, template_id: int, user_id: int, message: str | None = None) -> int:
    """Queue one SMS to one customer as a one-recipient campaign, running at once; returns its id.

    ``message`` is what the template's ``{content}`` becomes (the customer page's send box).

    Consent, suppression, quiet hours, rate limit and exactly-once apply as to any campaign (consent
    and suppression are checked when it goes out). LookupError for an unknown customer or template.
    """
    customer = db.session.get(Customer, customer_id)
    template = db.session.get(SmsTemplate, template_id)
    if customer is None or customer.deleted_at is not None or template is None:
        raise LookupError("no such customer or SMS template")
    now = utcnow()
    campaign = SmsCampaign(name=f"{template.name} → {customer.name}"[:100], template_id=template.id,
                           target={}, created_by_id=user_id, status="running", provider=settings_of("sms")["provider"],
                           started_at=now, heartbeat_at=now, total=1, message=message)
    db.session.add(campaign)
    db.session.flush()
    db.session.add(SmsMessage(campaign_id=campaign.id, customer_id=customer.id, status="pending", attempts=0,
                              phone_last4=customer.phone_last4))
    db.session.commit()
    campaign_id = campaign.id
    _run(campaign_id)
    return campaign_id


def send_message(customer, text: str, user) -> str:
    """The ``sms`` message channel's ``send``: the typed ``text`` as the ``{content}`` of the template the
    settings name (``message_template_id``: providers send only approved templates), to one customer.

    Refuses (``MessageRefused``, in the user's words) what the campaign would skip anyway — no template
    set, no consent, no mobile number, a suppressed number — so the person sees why at once.
    """
    template = db.session.get(SmsTemplate, settings_of("sms").get("message_template_id") or 0)
    if template is None or MESSAGE_VARIABLE not in templates.variables(template.body):
        raise MessageRefused(_("还没有设置客户页发短信用的模板（短信设置“单条消息模板”，正文含 {content}）"))
    if not customer.consent_sms:
        raise MessageRefused(_("客户未同意接收短信"))
    if not customer.phone_index:
        raise MessageRefused(_("客户没有手机号"))
    if db.session.scalar(select(SmsSuppression.id).where(SmsSuppression.phone_index == customer.phone_index)):
        raise MessageRefused(_("这个号码已退订短信"))
    send_to_customer(customer.id, template.id, user.id, message=text)
    return "queued"


SMS_CHANNEL = MessageChannel(name="sms", title=_l("短信"), send=send_message, permission="sms.send")
