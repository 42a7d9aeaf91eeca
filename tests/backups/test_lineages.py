"""What a restore says about a backup's migration heads: a newer core is refused before anything is
written; an older one, or a plugin's lineage this installation lacks, is named."""
import pytest

from kehu.backups.errors import BackupError
from kehu.backups.lineages import installed_scripts, restore_notes


def test_heads_at_this_installations_heads_need_nothing(app):
    heads = {lineage: sorted(script.get_heads()) for lineage, script in installed_scripts().items()}
    assert restore_notes(heads, "0.1.0") == []


def test_older_tables_need_a_db_upgrade_and_unknown_plugins_are_named(app):
    scripts = installed_scripts()
    heads = {lineage: sorted(script.get_heads()) for lineage, script in scripts.items() if lineage != "erp"}
    heads["sms"] = sorted(scripts["sms"].get_bases())
    heads["delivery"] = ["0001"]
    notes = restore_notes(heads, "0.1.0")
    assert "the tables of plugin delivery are restored, but that plugin is not installed here" in notes
    assert "the restored tables of erp, sms are older than this installation: run `kehu db upgrade`" in notes


def test_a_backup_of_a_newer_core_is_refused(app):
    heads = {lineage: sorted(script.get_heads()) for lineage, script in installed_scripts().items()}
    heads["core"] = ["f00dfeedbeef"]
    with pytest.raises(BackupError, match="made by kehu 9.0.0, whose database is newer than this kehu"):
        restore_notes(heads, "9.0.0")
