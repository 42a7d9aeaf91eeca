"""kehu (客户): a plugin-based CRM core for small and medium enterprises."""

__version__ = "0.1.0"
