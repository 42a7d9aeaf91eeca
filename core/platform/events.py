"""Domain events (``customer.created``, ``interaction.logged`` …) published inside the transaction.

Domains publish from their ``events.py``; whoever delivers events elsewhere (outbound webhooks)
subscribes here, so a domain never names the webhooks domain. A publisher that finds nobody
interested writes nothing.
"""
_publishers: list = []


def subscribe(publisher) -> None:
    """``publisher(session, event_type, data)`` is called for every published event."""
    if publisher not in _publishers:
        _publishers.append(publisher)


def publish(session, event_type: str, data: dict) -> None:
    """Publish ``event_type`` with JSON ``data`` in ``session``'s transaction."""
    for publisher in _publishers:
        publisher(session, event_type, data)
