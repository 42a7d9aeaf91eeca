"""Custom customer fields: versioned JSON Schemas for ``Customer.extra`` (see docs/custom-fields.md)."""
from kehu.fields.store import (SchemaInvalid, active_schemas, declared_fields, get_schema, save_admin_schema,
                               schema_of, sync_plugin_schemas, versions_of)
from kehu.fields.validation import schema_problems, validate_extra

__all__ = ["SchemaInvalid", "active_schemas", "declared_fields", "get_schema", "save_admin_schema",
           "schema_of", "schema_problems", "sync_plugin_schemas", "validate_extra", "versions_of"]
