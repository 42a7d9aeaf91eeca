"""Core data model. Importing this package registers every core table on ``db.metadata``."""
from kehu.models.audit import AuditLog
from kehu.models.contact import Contact
from kehu.models.custom_field_schema import CustomFieldSchema
from kehu.models.customer import Customer, customer_tags
from kehu.models.inbound_event import InboundEvent
from kehu.models.interaction import Interaction
from kehu.models.outbox import OutboxConsumption, OutboxMessage
from kehu.models.plugin_state import PluginState
from kehu.models.tag import Tag
from kehu.models.user import ApiToken, Role, Team, User
from kehu.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiToken", "AuditLog", "Contact", "CustomFieldSchema", "Customer", "InboundEvent", "Interaction", "OutboxConsumption",
    "OutboxMessage", "PluginState", "Role", "Tag", "Team", "User", "WebhookAttempt", "WebhookDelivery",
    "WebhookEndpoint", "customer_tags",
]
