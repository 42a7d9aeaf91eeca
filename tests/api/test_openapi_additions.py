"""The OpenAPI document only grows: every path, operation, parameter, response and schema of the
baseline (the document as released before the core was laid out by domain) is still there, unchanged.

New operations, schemas, optional properties and enum values may be added; nothing may be removed,
renamed or made stricter (a new required field is a breaking change). Refresh the baseline only when
a release deliberately breaks the API: ``python tests/api/test_openapi_additions.py > tests/api/openapi-baseline.json``.
"""
import json
import sys
import tempfile
from pathlib import Path

BASELINE = Path(__file__).with_name("openapi-baseline.json")


def served_spec() -> dict:
    from kehu.app import create_app
    with tempfile.TemporaryDirectory() as instance_path:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "spec",
                          "KEHU_PII_KEY": "spec"}, instance_path=instance_path)
        return app.test_client().get("/api/openapi.json").json


def removals(old, new, where="$") -> list[str]:
    """What ``old`` has that ``new`` lost or changed (lists may grow, except ``required``; a
    ``description`` is prose for people, and rewording it breaks no client)."""
    if isinstance(old, dict):
        if not isinstance(new, dict):
            return [f"{where}: was an object"]
        found = []
        for key, value in old.items():
            if key == "description" and isinstance(value, str) and isinstance(new.get(key), str):
                continue
            if key not in new:
                found.append(f"{where}.{key}: removed")
            else:
                found += removals(value, new[key], f"{where}.{key}")
        return found
    if isinstance(old, list):
        if not isinstance(new, list):
            return [f"{where}: was a list"]
        if where.endswith(".required"):
            return [] if sorted(map(str, old)) == sorted(map(str, new)) else [f"{where}: {old} became {new}"]
        return [f"{where}: lost {item!r}" for item in old if item not in new]
    return [] if old == new else [f"{where}: {old!r} became {new!r}"]


def test_the_api_only_grew():
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    assert removals(baseline, served_spec()) == []


def test_the_comparison_sees_a_removal_and_a_new_required_field():
    old = {"paths": {"/a": {"get": {}}}, "components": {"schemas": {"A": {"required": ["x"], "enum": [1, 2]}}}}
    new = {"paths": {}, "components": {"schemas": {"A": {"required": ["x", "y"], "enum": [1, 2, 3]}}}}
    assert removals(old, new) == ["$.paths./a: removed", "$.components.schemas.A.required: ['x'] became ['x', 'y']"]


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    print(json.dumps(served_spec(), indent=1, sort_keys=True, ensure_ascii=False))
