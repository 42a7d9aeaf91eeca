"""The customer timeline for plugin code, and the message channels plugins offer (hook ``message_channels``)."""
from kehu.interactions.models import Interaction, MessageChannel, MessageRefused
from kehu.interactions.service import log_interaction

__all__ = ["Interaction", "MessageChannel", "MessageRefused", "log_interaction"]
