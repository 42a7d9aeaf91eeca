"""Celery tasks of the SMS plugin (JSON arguments, idempotent; see docs/sms.md).

Their names are ``kehu_plugins.sms.service.RUN_CAMPAIGN`` and ``SWEEP``: the service starts
campaigns and so sends ``RUN_CAMPAIGN`` itself.
"""
import logging

from kehu_plugins.sms.service import RUN_CAMPAIGN, SWEEP, campaigns, sending
from kehu_sdk.tasks import dispatch, task

log = logging.getLogger(__name__)


@task(RUN_CAMPAIGN, acks_late=True, reject_on_worker_lost=True)
def run_campaign(campaign_id: int):
    """Send a slice of a running campaign; hands over to a new task while work is left.

    Safe to run twice at once (claims are atomic, the rate limit is shared); waiting for the send
    window or for other workers' claims is left to the periodic sweep (``resume_at``).
    """
    result = sending.work(campaign_id)
    log.info("SMS campaign %s: %s sent in this slice, %s", campaign_id, result.sent, result.outcome)
    if result.outcome == "more":
        dispatch(RUN_CAMPAIGN, campaign_id)
    return {"sent": result.sent, "outcome": result.outcome}


@task(SWEEP, acks_late=True, reject_on_worker_lost=True)
def sweep():
    """Every few seconds: start due scheduled campaigns, wake waiting ones, restart stalled ones."""
    for campaign_id in campaigns.campaigns_to_kick():
        dispatch(RUN_CAMPAIGN, campaign_id)
