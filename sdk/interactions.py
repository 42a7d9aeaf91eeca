"""The customer timeline for plugin code, and the message channels plugins offer (hook ``message_channels``).

``kind_title(kind)`` is the one name of an interaction kind (core's and the ``interaction_kinds`` hook's:
``"sms"`` → 短信), the one templates show with the ``interaction_kind`` filter.
"""
from kehu.interactions.models import Interaction, MessageChannel, MessageRefused
from kehu.interactions.query import kind_title
from kehu.interactions.service import log_interaction

__all__ = ["Interaction", "MessageChannel", "MessageRefused", "kind_title", "log_interaction"]
