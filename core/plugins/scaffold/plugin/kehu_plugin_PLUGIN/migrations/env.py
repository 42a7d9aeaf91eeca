from kehu_sdk.migrations import run_plugin_migrations

run_plugin_migrations()
