"""kehu plugin `sms`: SMS: providers, templates, campaigns, consent."""
