"""Layers, cycles and domain boundaries, checked on the real import graph (import-linter and grimp).

The layer contracts live in .importlinter; the two rules import-linter has no contract type for are
checked here: no module-level import cycle anywhere, and a domain reaches into another domain only
through that domain's public modules.
"""
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = ("accounts", "admin", "backups", "custom_fields", "customers", "dashboard", "demo", "exports", "imports",
           "interactions", "tags", "webhooks")
# What one domain may import of another: its writes, its reads, its tables, what it announces.
PUBLIC = {"service", "query", "models", "events"}
# Reference data every domain may read: the GB/T 2260 region codes live with customers; and how a
# customer's data is shown to people, one rule wherever it is shown: a phone number in full or masked
# (phones), a customer filter in words (chips), another customer a user may not open (duplicates: 查重's
# masked "已存在 · 张** · 另一团队"); and the one set of rules a customer's fields are read by (schemas: the
# API, the forms and imports load with it).
SHARED = {"kehu.customers.regions", "kehu.customers.phones", "kehu.customers.chips", "kehu.customers.duplicates",
          "kehu.customers.schemas"}


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("kehu", "kehu_sdk", "kehu_plugins", include_external_packages=False)


def test_import_linter_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), str(ROOT / ".importlinter"), "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _is_package_init_import(graph, importer, imported):
    """``from kehu.customers import phones`` imports the package too; that is no cycle of code."""
    return importer.startswith(imported + ".")


def test_no_import_cycles(graph):
    for importer in list(graph.modules):
        for imported in list(graph.find_modules_directly_imported_by(importer)):
            if _is_package_init_import(graph, importer, imported):
                graph.remove_import(importer=importer, imported=imported)
    assert _cycles(graph) == []


def _domain(module: str):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "kehu" and parts[1] in DOMAINS else None


def test_domains_meet_through_service_query_models_and_events(graph):
    crossing = []
    for importer in sorted(graph.modules):
        source = _domain(importer)
        if source is None:
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            target = _domain(imported)
            if target is None or target == source or imported == f"kehu.{target}":
                continue
            if imported.split(".")[2] not in PUBLIC and imported not in SHARED:
                crossing.append(f"{importer} -> {imported}")
    assert crossing == []
