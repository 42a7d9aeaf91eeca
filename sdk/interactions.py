"""The customer timeline for plugin code."""
from kehu.interactions.models import Interaction
from kehu.interactions.service import log_interaction

__all__ = ["Interaction", "log_interaction"]
