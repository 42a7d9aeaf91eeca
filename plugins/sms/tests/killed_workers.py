"""What the tests that SIGKILL a worker mid-campaign share (test support beside sms_fakes.py, not plugin
code): the campaign they send, reading its progress from outside the workers, bounded waits, and the
exactly-once check."""

from sqlalchemy import create_engine, func, select

from kehu_sdk.db import db
from kehu_sdk.testing import wait_for  # noqa: F401 (the tests import it from here)

from kehu_plugins.sms.models import SmsCampaign, SmsMessage, SmsTemplate

# A dead worker's claims and its campaign's missing heartbeat are noticed within seconds.
RESTART_SETTINGS = {"claim_timeout_seconds": 2, "stall_seconds": 2, "send_window_start": "00:00",
                    "send_window_end": "00:00"}


def draft_campaign(name, recipients, make_customer, make_user, sms_user):
    """A draft marketing campaign to ``recipients`` new consenting customers; (campaign, its marketer).

    Flushed, not committed."""
    owner = make_user("manager")
    for _ in range(recipients):
        make_customer(owner, consent_sms=True)
    marketer = sms_user("marketing")
    template = SmsTemplate(name=name, kind="marketing", body="{name}您好", provider_template_code="SMS_1")
    db.session.add(template)
    db.session.flush()
    campaign = SmsCampaign(name=name, template_id=template.id, target={}, created_by_id=marketer.id)
    db.session.add(campaign)
    db.session.flush()
    return campaign, marketer


class CampaignProgress:
    """One campaign as the workers leave it, read through a separate engine without holding a
    transaction open (SQLite writers in the workers would wait)."""

    def __init__(self, database_url: str, campaign_id: int):
        self.engine = create_engine(database_url)
        self.campaign_id = campaign_id

    def status(self) -> str:
        with self.engine.connect() as conn:
            return conn.scalar(select(SmsCampaign.__table__.c.status)
                               .where(SmsCampaign.__table__.c.id == self.campaign_id))

    def count(self, status: str) -> int:
        messages = SmsMessage.__table__
        with self.engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(messages).where(
                messages.c.campaign_id == self.campaign_id, messages.c.status == status))

    def message_ids(self) -> set[int]:
        messages = SmsMessage.__table__
        with self.engine.connect() as conn:
            return set(conn.scalars(select(messages.c.id).where(messages.c.campaign_id == self.campaign_id)))

    def close(self) -> None:
        self.engine.dispose()


def assert_each_recipient_sent_once(fake, progress: CampaignProgress, recipients: int) -> None:
    """The provider accepted every recipient's message exactly once, and each is marked sent."""
    message_ids = progress.message_ids()
    assert len(message_ids) == recipients
    received = fake.received()
    assert set(received) == {str(i) for i in message_ids}  # nobody left out
    assert {k: v for k, v in received.items() if v != 1} == {}  # nobody twice
    assert progress.count("sent") == recipients
