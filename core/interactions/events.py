"""What the interactions domain announces: ``interaction_logged`` after commit, ``interaction.logged`` for webhooks."""
from kehu.interactions.models import Interaction
from kehu.platform.audit import track
from kehu.platform.events import publish
from kehu.platform.session import announce
from kehu.plugins import signals


def _logged(session, interaction, taken):
    announce(session, signals.interaction_logged, interaction=interaction, interaction_id=interaction.id,
             customer_id=interaction.customer_id)
    publish(session, "interaction.logged", {"interaction": taken})


def register() -> None:
    track(Interaction, created=_logged)
