"""Errors plugin code raises or catches.

``ValidationError`` is an HTTP 422: raised in a view under ``/api/`` it becomes a problem document
(``{"status": 422, "detail": message, "errors": {"json": {field: [messages]}}}``) through core's
error handling, so a plugin never builds one by hand.
"""
from werkzeug.exceptions import UnprocessableEntity

from kehu.plugins.manager import PluginError, SettingsInvalid
from kehu_sdk.versions import CoreVersionError


class ValidationError(UnprocessableEntity):
    """Input breaks a rule; ``errors`` maps each field to messages in the user's language."""

    def __init__(self, errors: dict[str, list[str]], message: str = "invalid input"):
        super().__init__(description=message)
        self.errors = errors
        # the shape core's problem handler reads (flask-smorest's 422s use it too)
        self.data = {"message": message, "messages": {"json": errors}}


__all__ = ["CoreVersionError", "PluginError", "SettingsInvalid", "ValidationError"]
