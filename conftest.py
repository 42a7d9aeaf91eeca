"""The logs of a whole test run hold none of the secrets and phone numbers the run used (issue 11, point 8).

Every log record of the run (kehu's, werkzeug's access log of the browser tests' live server, Celery's)
goes to one file, and the ``kehu run`` / worker processes that tests start write their own ``*.log``
files under pytest's temporary folder. The run records each phone number it stored (as phones are
encrypted), each plugin secret it saved, each webhook secret, API token and session key it issued.
At the end all those logs are searched for all those values; any hit fails the run, naming it.
"""
import logging
import re
from pathlib import Path

import pytest

SEEN: set[str] = set()
LOG_NAME = "kehu-test-run.log"


def _remember(value) -> None:
    if isinstance(value, str) and len(value) >= 8:
        SEEN.add(value)


def _remember_phone(e164: str) -> None:
    _remember(e164)
    if e164.startswith("+86"):
        national = e164[3:]
        _remember(national if national.startswith("1") else "0" + national)  # 13853701234, 05377212345
        _remember(national)


def _observe(module, name, record):
    original = getattr(module, name)

    def observed(*args, **kwargs):
        result = original(*args, **kwargs)
        record(args, result)
        return result

    observed.__wrapped__ = original
    setattr(module, name, observed)


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    if config.option.collectonly or hasattr(config, "workerinput"):
        return
    from kehu.accounts import sessions, tokens
    from kehu.customers import phones
    from kehu.plugins import signals
    from kehu.platform.secrets import is_secret
    from kehu.webhooks import signing

    _observe(phones, "encrypt", lambda args, _result: _remember_phone(args[0]))
    _observe(tokens, "issue", lambda _args, result: _remember(result[1]))
    _observe(sessions, "start", lambda _args, result: _remember(result))
    _observe(signing, "encrypt_secret", lambda args, _result: _remember(args[0]))

    def settings_saved(sender, plugin=None, settings=None, **extra):
        schema = sender.extensions["kehu_plugins"].get(plugin).settings_schema.get("properties", {})
        for key, value in (settings or {}).items():
            if is_secret(schema.get(key, {})):
                _remember(value)

    signals.plugin_settings_changed.connect(settings_saved, weak=False)
    config._kehu_settings_receiver = settings_saved

    base = Path(config._tmp_path_factory.getbasetemp()) if hasattr(config, "_tmp_path_factory") else None
    log_file = (base or Path(config.rootpath)) / LOG_NAME
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.INFO, logging.INFO))
    config._kehu_log_handler, config._kehu_log_file = handler, log_file


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    handler = getattr(config, "_kehu_log_handler", None)
    if handler is None:
        return
    logging.getLogger().removeHandler(handler)
    handler.close()
    files = [config._kehu_log_file]
    if hasattr(config, "_tmp_path_factory"):
        files += [p for p in Path(config._tmp_path_factory.getbasetemp()).rglob("*.log") if p != files[0]]
    leaks = []
    values = sorted(SEEN)
    pattern = re.compile("|".join(f"(?<![0-9A-Za-z]){re.escape(v)}(?![0-9A-Za-z])" for v in values)) if values else None
    for path in files:
        if not path.exists() or pattern is None:
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            found = pattern.search(line)
            if found:
                leaks.append(f"{path.name}:{number}: {found.group(0)[:4]}… in {line[:160]}")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"log check: {len(values)} secrets and phone numbers searched for in "
                            f"{len(files)} log file(s): {len(leaks)} found")
    if leaks:
        if reporter is not None:
            reporter.write_line("SECRETS OR PHONE NUMBERS IN THE LOGS:", red=True)
            for leak in leaks[:50]:
                reporter.write_line("  " + leak, red=True)
        session.exitstatus = 1
