"""Celery tasks of the SMS plugin (JSON arguments, idempotent; see docs/sms.md)."""
import logging

from kehu_sdk.tasks import task

from kehu_plugins.sms import campaigns

log = logging.getLogger(__name__)


@task("kehu.sms.run_campaign", acks_late=True, reject_on_worker_lost=True)
def run_campaign(campaign_id: int):
    """Send a slice of a running campaign; hands over to a new task while work is left.

    Safe to run twice at once (claims are atomic, the rate limit is shared); waiting for the send
    window or for other workers' claims is left to the periodic sweep (``resume_at``).
    """
    result = campaigns.work(campaign_id)
    log.info("SMS campaign %s: %s sent in this slice, %s", campaign_id, result.sent, result.outcome)
    if result.outcome == "more":
        run_campaign.delay(campaign_id)
    return {"sent": result.sent, "outcome": result.outcome}


@task("kehu.sms.sweep", acks_late=True, reject_on_worker_lost=True)
def sweep():
    """Every few seconds: start due scheduled campaigns, wake waiting ones, restart stalled ones."""
    for campaign_id in campaigns.campaigns_to_kick():
        run_campaign.delay(campaign_id)
