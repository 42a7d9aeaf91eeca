"""The ``kehu`` command: Flask's CLI plus database, backup, plugin, user and run commands."""
import contextlib
import json
import logging
import os
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup
from flask_migrate import upgrade as upgrade_core
from sqlalchemy import select

from kehu.accounts.models import User
from kehu.accounts.service import create_user, ensure_default_roles, grant_plugin_defaults
from kehu.app import create_app, warn_key_layout
from kehu.backups import service as backups
from kehu.custom_fields.service import sync_plugin_schemas
from kehu.customers.service import rebuild_counts
from kehu.extensions import db
from kehu.platform.audit import acting_as
from kehu.platform.time import china_time
from kehu.plugins import migrations as plugin_migrations
from kehu.plugins.manager import PluginError, SettingsInvalid


class KehuGroup(FlaskGroup):
    def __init__(self, **kwargs):
        super().__init__(create_app=lambda: create_app(), add_default_commands=False, **kwargs)
        # Our `db` group replaces Flask-Migrate's, which knows nothing of plugin lineages.
        self._loaded_plugin_commands = True


@click.group(cls=KehuGroup)
def cli():
    """kehu 客户 — CRM for small and medium enterprises."""


def _manager():
    return current_app.extensions["kehu_plugins"]


# database --------------------------------------------------------------------------------
@cli.group("db")
def db_group():
    """Database migrations (core, then each plugin's own lineage)."""


@db_group.command("upgrade")
def db_upgrade():
    """Bring core and every installed plugin's tables to their newest version."""
    upgrade_core()
    for plugin in _manager().installed.values():
        plugin_migrations.upgrade(plugin)
    ensure_default_roles()
    with acting_as(None, "cli"):
        for role, permission in grant_plugin_defaults():  # plugins enabled before roles got their defaults
            click.echo(f"role {role} now has {permission}")
    for key, version in sync_plugin_schemas():  # new versions of enabled plugins' field packs
        click.echo(f"custom field schema {key} v{version} is now active")
    with acting_as(None, "cli"):
        encrypted = _manager().encrypt_stored_secrets()
    if encrypted:
        click.echo(f"secret settings of {encrypted} plugin(s) encrypted at rest")
    click.echo("database is up to date")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--plugin", "plugin_name", help="write the revision in this plugin's lineage")
def db_revision(message, plugin_name):
    """Autogenerate a migration from model changes (core, or one plugin)."""
    if plugin_name:
        plugin_migrations.revision(_manager().get(plugin_name), message)
    else:
        from flask_migrate import migrate
        migrate(message=message)


@db_group.command("current")
def db_current():
    """Show the revision of core and of every plugin lineage."""
    from flask_migrate import current
    current()
    for plugin in _manager().installed.values():
        if plugin.migrations_dir:
            click.echo(f"{plugin.name}: {', '.join(sorted(plugin_migrations.current_heads(plugin))) or '-'}")


# dashboard -------------------------------------------------------------------------------
@cli.group("dashboard")
def dashboard_group():
    """The dashboard's figures."""


@dashboard_group.command("rebuild-counts")
def dashboard_rebuild_counts():
    """Count every customer afresh into the table the dashboard reads (triggers keep it exact; this is
    for recovery, e.g. after restoring a dump without it). On PostgreSQL customer writes wait meanwhile."""
    click.echo(f"customer counts rebuilt: {rebuild_counts()} customers counted")


# backups ---------------------------------------------------------------------------------
@cli.group("backup")
def backup_group():
    """Encrypted backups of the database and its PII key: create, verify, restore, list (docs/admin.md)."""


@contextlib.contextmanager
def _backup_errors():
    try:
        yield
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None


def _key_options(command):
    command = click.option("--key-file", type=click.Path(dir_okay=False),
                           help="a key file from `kehu backup key new` (default: KEHU_BACKUP_KEY_FILE)")(command)
    return click.option("--passphrase-env", metavar="VAR",
                        help="read the passphrase from this environment variable (else it is asked for)")(command)


def _backup_key(passphrase_env, key_file, needs=None):
    """The key named on the command line, else KEHU_BACKUP_KEY_FILE, else a passphrase typed at a prompt.
    ``needs``: what an existing backup was encrypted with ("passphrase" or "key-file"), None for a new one."""
    if passphrase_env and key_file:
        raise click.UsageError("give --passphrase-env or --key-file, not both")
    if passphrase_env:
        if not os.environ.get(passphrase_env):
            raise click.ClickException(f"the environment variable {passphrase_env} is empty or not set")
        return backups.Passphrase(os.environ[passphrase_env])
    if needs != "passphrase":
        key_file = key_file or current_app.config.get("KEHU_BACKUP_KEY_FILE")
    if key_file:
        return backups.KeyFile(key_file)
    if needs == "key-file":
        raise click.ClickException("this backup was encrypted with a key file: give --key-file")
    return backups.Passphrase(click.prompt("passphrase", hide_input=True, confirmation_prompt=needs is None))


def _needed_key(file):
    info = backups.read_backup_info(file)
    if info.error:
        raise click.ClickException(info.error)
    return info.envelope["key"]["kind"]


def _size(count: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024


def _described(info) -> str:
    made = china_time(info.created_at) if info.created_at else "?"
    return (f"{info.path.name}  {made} China time  {_size(info.size)}  {info.envelope.get('dialect')}  "
            f"kehu {info.envelope.get('kehu_version')}  {info.key_label}")


@backup_group.command("create")
@click.option("--to", "directory", type=click.Path(file_okay=False),
              help="folder for the file (default: KEHU_BACKUP_DIR)")
@_key_options
def backup_create(directory, passphrase_env, key_file):
    """Write a consistent, encrypted snapshot of the database and its PII key; the app may keep running."""
    with _backup_errors():
        info = backups.create_backup(_backup_key(passphrase_env, key_file), directory)
    click.echo(f"backup written: {info.path} ({_size(info.size)}; {len(info.tables)} tables, "
               f"{sum(info.tables.values())} rows)")
    key = "the passphrase" if info.key_label == "passphrase" else info.key_label
    click.echo(f"encrypted with {key}: without it the backup cannot be read; keep it apart from the backups")


@backup_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--scratch-url", metavar="URL", help="PostgreSQL server for the throwaway database "
                                                   "(default: the configured database's server)")
@_key_options
def backup_verify(file, scratch_url, passphrase_env, key_file):
    """Restore a backup into a throwaway database and compare its row counts with the backup's header."""
    with _backup_errors():
        report = backups.verify_backup(file, _backup_key(passphrase_env, key_file, _needed_key(file)), scratch_url)
    for table, (expected, found) in report.differences.items():
        click.echo(f"  {table}: {expected} rows in the backup's header, {found} restored")
    for problem in report.problems:
        click.echo(f"  {problem}")
    if not report.ok:
        raise click.ClickException(f"verification of {report.backup.path.name} FAILED")
    click.echo(f"backup OK: {_described(report.backup)}; {len(report.found)} tables, {sum(report.found.values())} "
               "rows restored into a throwaway database, every count as in the header")


@backup_group.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@_key_options
def backup_restore(file, passphrase_env, key_file):
    """Restore a backup into the configured database, which must be empty, and put its PII key in place."""
    with _backup_errors():
        report = backups.restore_backup(file, _backup_key(passphrase_env, key_file, _needed_key(file)))
    tables = report.backup.tables
    click.echo(f"restored {_described(report.backup)}: {len(tables)} tables, {sum(tables.values())} rows, "
               "every count as in the backup")
    click.echo(report.key_note)
    for note in report.notes:
        click.echo(note)


@backup_group.command("list")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def backup_list(directory):
    """The backups in a folder (default: KEHU_BACKUP_DIR), oldest first."""
    with _backup_errors():
        infos = backups.list_backups(directory)
    for info in infos:
        click.echo(f"{info.path.name}  unreadable: {info.error}" if info.error else _described(info))
    if not infos:
        click.echo("no backups")


@backup_group.group("key")
def backup_key_group():
    """Key files for backups (scheduled backups need one: KEHU_BACKUP_KEY_FILE)."""


@backup_key_group.command("new", with_appcontext=False)
@click.argument("file", type=click.Path(dir_okay=False))
def backup_key_new(file):
    """Write a new random key file (0600). Keep a copy apart from the backups: without it they are lost."""
    with _backup_errors():
        key_id = backups.new_key_file(file)
    click.echo(f"key {key_id} written to {file}")


# plugins ---------------------------------------------------------------------------------
@cli.group("plugins")
def plugins_group():
    """List, enable, disable and configure plugins."""


@plugins_group.command("list")
def plugins_list():
    manager = _manager()
    for name in manager.installed:
        info = manager.describe(name)
        state = "enabled" if info["enabled"] else "disabled"
        click.echo(f"{name:20} {info['version']:10} {state:9} {info['title']}")
    for name, error in sorted(manager.load_errors.items()):
        click.echo(f"{name:20} {'-':10} {'broken':9} {error}")


def _plugin_action(action, name, message):
    try:
        with acting_as(None, "cli"):
            action(name)
    except PluginError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(message)


@plugins_group.command("enable")
@click.argument("name")
def plugins_enable(name):
    _plugin_action(_manager().enable, name, f"{name} enabled")


@plugins_group.command("disable")
@click.argument("name")
def plugins_disable(name):
    _plugin_action(_manager().disable, name, f"{name} disabled")


@plugins_group.command("settings")
@click.argument("name")
@click.option("--set", "pairs", multiple=True, metavar="KEY=VALUE",
              help="set one setting; VALUE is parsed as JSON when it can be")
def plugins_settings(name, pairs):
    """Show a plugin's settings, or change them with --set."""
    manager = _manager()
    try:
        if pairs:
            settings = dict(manager.settings_of(name))
            for pair in pairs:
                key, sep, value = pair.partition("=")
                if not sep:
                    raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--set")
                try:
                    settings[key] = json.loads(value)
                except json.JSONDecodeError:
                    settings[key] = value
            with acting_as(None, "cli"):
                manager.save_settings(name, settings)
        click.echo(json.dumps(manager.describe(name)["settings"], ensure_ascii=False, indent=2))
    except SettingsInvalid as exc:
        raise click.ClickException("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())) from None
    except PluginError as exc:
        raise click.ClickException(str(exc)) from None


@cli.group("plugin")
def plugin_group():
    """Write plugins (`kehu plugins` manages the installed ones)."""


@plugin_group.command("new", with_appcontext=False)
@click.argument("name")
@click.option("--dir", "parent", default=".", show_default=True, type=click.Path(file_okay=False),
              help="folder in which kehu-plugin-NAME/ is created")
def plugin_new(name, parent):
    """Create kehu-plugin-NAME/: an installable plugin package with a table, migration and tests."""
    from kehu.plugins.scaffold import ScaffoldError, create_plugin
    try:
        target = create_plugin(name, parent)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {target}")
    click.echo(f"next: pip install -e {target} && kehu db upgrade && kehu plugins enable {name}")
    click.echo(f"      cd {target} && python -m pytest")


# users -----------------------------------------------------------------------------------
@cli.group("users")
def users_group():
    """Users and API tokens."""


@users_group.command("create")
@click.argument("username")
@click.option("--role", default="sales", show_default=True)
@click.option("--display-name")
@click.password_option()
def users_create(username, role, display_name, password):
    ensure_default_roles()
    try:
        with acting_as(None, "cli"):
            create_user(username, password, role, display_name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user {username} created with role {role}")


def _user_named(username) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    return user


@users_group.command("set-password")
@click.argument("username")
@click.option("--temporary/--final", default=True, show_default=True,
              help="the user must choose their own password at the next sign-in")
@click.password_option()
def users_set_password(username, temporary, password):
    """Reset a user's password; every session of theirs ends and sign-in pauses are lifted."""
    from kehu.accounts.service import AccountInvalid, reset_password
    user = _user_named(username)
    try:
        with acting_as(None, "cli"):
            ended = reset_password(user, password, temporary=temporary)
    except AccountInvalid as exc:
        raise click.ClickException(" ".join(str(m) for messages in exc.errors.values() for m in messages)) from None
    click.echo(f"password of {username} reset; {ended} session(s) ended"
               + ("; they choose a new one at the next sign-in" if temporary else ""))


@users_group.command("unlock")
@click.argument("username")
def users_unlock(username):
    """Lift the pauses that failed sign-ins put on a user (from every address)."""
    from kehu.accounts.service import unlock
    unlock(_user_named(username))
    click.echo(f"sign-in pauses of {username} lifted")


@users_group.command("token")
@click.argument("username")
@click.option("--name", default="cli", show_default=True)
def users_token(username, name):
    """Issue an API token (printed once)."""
    from kehu.accounts import tokens
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    with acting_as(None, "cli"):
        _, plain = tokens.issue(user, name)
        db.session.commit()
    click.echo(plain)


# demo and run ----------------------------------------------------------------------------
@cli.command("demo")
@click.option("--customers", default=300, show_default=True)
@click.option("--admin-password", default="kehu-admin-2026", show_default=True)
def demo(customers, admin_password):
    """Fill an empty database with demo users and customers; prints the logins."""
    from kehu.demo.service import DEMO_PASSWORD, DEMO_PLUGINS, demo_usernames, load_demo
    others = set(db.session.scalars(select(User.username))) - demo_usernames()
    if others:  # a real site: never mix demo customers into it
        click.echo(f"database has users other than the demo's ({', '.join(sorted(others)[:3])}…): demo data not loaded")
        return
    with acting_as(None, "demo"):
        ensure_default_roles()
        for name in DEMO_PLUGINS:
            if name in _manager().installed:
                _manager().enable(name)
        if db.session.scalar(select(User.id).where(User.username == "admin")) is None:
            create_user("admin", admin_password, "admin", "系统管理员")
        logins = load_demo(customers)  # goes on where an interrupted run stopped
    click.echo(f"demo data loaded: {customers} customers; plugins enabled: {', '.join(DEMO_PLUGINS)}")
    click.echo(f"  admin login:  admin / {admin_password}")
    others = [logins["manager"], logins["service"], logins["marketing"], *logins["sales"]]
    click.echo(f"  other logins: {', '.join(others)} / {DEMO_PASSWORD}")


@cli.command("worker")
@click.option("--beat/--no-beat", default=True, help="also run the periodic scheduler (one per site)")
@click.option("--verbose", is_flag=True, help="also log every task received and finished, and every beat")
def worker(beat, verbose):
    """Run a Celery worker for this site's broker."""
    warn_key_layout(current_app)
    celery = current_app.extensions["celery"]
    if not verbose:
        from celery.signals import after_setup_logger

        @after_setup_logger.connect(weak=False)
        def quiet(logger=None, **kwargs):
            # the periodic tasks run every minute: their received/succeeded/sent lines would drown the
            # lines that matter (kehu's own, warnings, errors) while nothing happens
            for name in ("celery.app.trace", "celery.worker.strategy", "celery.beat"):
                logging.getLogger(name).setLevel(logging.WARNING)
    argv = ["worker", "--loglevel=INFO"]
    if celery.conf.broker_url.startswith("sqla+"):
        argv += ["--pool=solo"]  # the embedded broker serves one consumer
    if beat:
        argv += ["--beat", f"--schedule={os.path.join(current_app.instance_path, 'celerybeat-schedule')}"]
    celery.worker_main(argv)


@cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def run(host, port):
    """Start the web server with a Celery worker beside it (the embedded default).

    Replaces Flask's development `run`: kehu always needs its worker beside the web process. A worker
    that dies is started again (kehu.platform.supervisor); Ctrl+C or SIGTERM stops both.
    """
    import signal

    from werkzeug.serving import make_server

    from kehu.platform.access_log import RedactingRequestHandler
    from kehu.platform.supervisor import Supervisor, log as supervisor_log

    handler = logging.StreamHandler()  # stderr, beside the worker's and werkzeug's lines
    handler.setFormatter(logging.Formatter("[%(asctime)s: %(levelname)s/kehu run] %(message)s"))
    supervisor_log.addHandler(handler)
    supervisor_log.setLevel(logging.INFO)

    # Not current_app.run(): Flask ignores app.run() inside a CLI command (FLASK_RUN_FROM_CLI).
    app = current_app._get_current_object()
    warn_key_layout(app)
    worker = Supervisor([sys.executable, "-m", "kehu.cli", "worker"], "worker").start()

    def stop(signum, frame):
        raise SystemExit(128 + signum)  # run the finally below, which stops the worker

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    try:
        server = make_server(host, port, app, threaded=True, request_handler=RedactingRequestHandler)
        base = f"http://{host if ':' not in host else f'[{host}]'}:{server.server_port}"  # the port bound (--port 0 too)
        click.echo(f"kehu: web {base}  API docs {base}/api/docs  (Ctrl+C stops web and worker)", err=True)
        server.serve_forever()
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        worker.stop()  # no more restarts; warm shutdown, SIGKILL after 20 s


cli.add_command(run, "serve")  # the name used before 0.1; kept as an alias


if __name__ == "__main__":
    cli()
