"""SMS providers, one module each: Aliyun Dysms and Tencent Cloud SMS through their official SDKs, and
the console provider for the demo. ``base`` holds what they share."""
from kehu_plugins.sms.providers.aliyun import AliyunProvider
from kehu_plugins.sms.providers.console import ConsoleProvider
from kehu_plugins.sms.providers.tencent import TencentProvider

PROVIDERS = {"console": ConsoleProvider, "aliyun": AliyunProvider, "tencent": TencentProvider}


def provider_from_settings(settings: dict, name: str | None = None):
    """The provider ``name`` (default: the one the settings choose), configured from the settings."""
    return PROVIDERS[name or settings["provider"]](settings)
