from kehu_sdk import Plugin


class SmsPlugin(Plugin):
    """SMS: providers, templates, campaigns, consent."""

    name = "sms"
    title = "短信"
    version = "0.1.0"
