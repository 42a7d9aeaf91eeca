"""A backup's migration heads against this installation's lineages (core's and each plugin's): whether its
tables can be restored here, and what they need afterwards."""
from alembic.script import ScriptDirectory
from flask import current_app

import kehu
from kehu.backups.contents import CORE_LINEAGE
from kehu.backups.errors import BackupError
from kehu.plugins import migrations as plugin_migrations


def installed_scripts() -> dict[str, ScriptDirectory]:
    manager = current_app.extensions["kehu_plugins"]
    scripts = {CORE_LINEAGE: ScriptDirectory(current_app.extensions["migrate"].directory)}
    for name, plugin in manager.installed.items():
        if plugin.migrations_dir is not None:
            scripts[name] = ScriptDirectory.from_config(plugin_migrations.alembic_config(plugin))
    return scripts


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except Exception:  # alembic's resolution errors: a revision of another (newer) code base
        return False


def restore_notes(heads: dict[str, list[str]], backup_version: str | None) -> list[str]:
    """Refuses a backup of a newer kehu core; says what else the restored tables need."""
    scripts = installed_scripts()
    notes, behind = [], set(scripts) - set(heads)
    for lineage, revisions in sorted(heads.items()):
        script = scripts.get(lineage)
        if script is None:
            notes.append(f"the tables of plugin {lineage} are restored, but that plugin is not installed here")
        elif not all(_known(script, revision) for revision in revisions):
            if lineage == CORE_LINEAGE:
                raise BackupError(f"this backup was made by kehu {backup_version}, whose database is "
                                  f"newer than this kehu {kehu.__version__} knows: install that version to restore it")
            notes.append(f"plugin {lineage} here is older than its restored tables: install the version the "
                         "backup was made with")
        elif set(revisions) != set(script.get_heads()):
            behind.add(lineage)
    if behind:
        notes.append(f"the restored tables of {', '.join(sorted(behind))} are older than this installation: "
                     "run `kehu db upgrade`")
    return notes
