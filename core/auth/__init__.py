"""Authentication (passwords, API tokens), permissions and record scopes."""
