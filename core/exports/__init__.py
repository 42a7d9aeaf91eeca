"""Exports: a filtered customer list as a file (xlsx, csv, formats plugins add), made inline or in Celery.

See docs/user-guide.md (导出) and docs/security.md (neutralized cells, masked phones, the audit).
"""
