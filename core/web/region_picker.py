"""The county picker: province → prefecture → county selects, refreshed with htmx."""
from flask import render_template, request
from flask_login import login_required

from kehu import regions
from kehu.web import labels
from kehu.web.blueprint import web


def provinces() -> list[tuple[str, str]]:
    found = ((f"{n:02d}0000", regions.region_name(f"{n:02d}0000")) for n in range(11, 83))
    return [(code, name) for code, name in found if name]


def picker_state(name: str, code: str | None, level: str, default_province: bool = True) -> dict:
    """What the picker shows for the chosen ``code`` (any level); ``level`` "county" demands a county."""
    code = code if code and regions.region_name(code) else None
    province = code[:2] + "0000" if code else (labels.DEFAULT_PROVINCE if default_province else None)
    middle = None
    if code and code != province:
        middle = code[:4] + "00" if regions.region_name(code[:4] + "00") else code
    county = code if code and code not in (province, middle) else None
    middle_options = regions.children(province) if province else []
    county_options = regions.children(middle) if middle and middle.endswith("00") else []
    return {"name": name, "level": level, "province": province, "middle": middle, "county": county,
            "provinces": provinces(), "middle_options": middle_options, "county_options": county_options,
            "quick_picks": labels.QUICK_REGIONS}


def picked(form, name: str) -> str | None:
    """The most specific region chosen in the picker called ``name``."""
    for part in ("county", "middle", "province"):
        value = (form.get(f"{name}_{part}") or "").strip()
        if value:
            return value
    return None


@web.route("/regions/picker")
@login_required
def region_picker():
    name = request.args.get("name", "region")
    if not name.replace("_", "").isalnum():
        name = "region"
    level = "county" if request.args.get("level") == "county" else "any"
    return render_template("_region_picker.html", picker=picker_state(name, request.args.get("code"), level))
