"""The customer timeline for plugin code."""
from kehu.interaction_service import log_interaction
from kehu.models import Interaction

__all__ = ["Interaction", "log_interaction"]
