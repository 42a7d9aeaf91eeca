"""Backups: one encrypted file holding a consistent snapshot of the database and the PII key its data
needs; restore into an empty database, verify in a throwaway one, keep N daily (docs/admin.md)."""
