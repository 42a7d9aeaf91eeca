"""The SMS plugin's one write path: the API, the pages, the tasks and the message channel all call
these modules (``templates``, ``campaigns``, ``sending``, ``consent``).

The task names live here rather than in ``tasks.py``: the service starts workers after its commits,
and ``tasks.py`` imports the service, so the constants sit below both.
"""

RUN_CAMPAIGN = "kehu.sms.run_campaign"
SWEEP = "kehu.sms.sweep"


class SmsInvalid(ValueError):
    """Input breaks a rule; ``errors`` maps each field to messages in the user's language."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


class SmsConflict(ValueError):
    """The change conflicts with what is stored (a taken name, a campaign that is no draft any more…);
    the message says so in the user's language, ``field`` names the input it is about, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
