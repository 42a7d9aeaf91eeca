"""marshmallow schemas for the REST API (load = what clients send, dump = what they get)."""
