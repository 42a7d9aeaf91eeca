"""SMS templates: the text with customer variables (``{name}``, ``{company}``, ``{extra.crop}`` …),
how it renders for one customer, and saving templates."""
import string

from flask_babel import gettext as _
from sqlalchemy import select

from kehu_plugins.sms.models import SmsCampaign, SmsTemplate
from kehu_plugins.sms.service import SmsConflict
from kehu_sdk.db import db
from kehu_sdk.plugins import settings_of

CUSTOMER_VARIABLES = ("name", "company", "industry", "status", "region_code", "address")
# what a person typed in the customer page's send box (the ``sms`` message channel); empty in campaigns
MESSAGE_VARIABLE = "content"
MAX_LENGTH = 500  # providers split long texts into 67-character parts; 500 keeps costs sane
FIELDS = ("name", "kind", "body", "sign_name", "provider_template_code")


class TemplateInvalid(ValueError):
    """The template text cannot be rendered; the message says why, in the user's words."""


# the text ---------------------------------------------------------------------------------------
def variables(body: str) -> list[str]:
    """The variables a template uses, in order of first appearance (Tencent's parameters are positional)."""
    found = []
    try:
        for _literal, name, spec, conversion in string.Formatter().parse(body):
            if name is None:
                continue
            if name == "" or spec or conversion:
                raise TemplateInvalid(_("变量须写成 {name} 的形式"))
            if name not in (*CUSTOMER_VARIABLES, MESSAGE_VARIABLE) and not (name.startswith("extra.") and len(name) > 6):
                raise TemplateInvalid(_("未知变量：{%(name)s}", name=name))
            if name not in found:
                found.append(name)
    except ValueError as exc:
        if isinstance(exc, TemplateInvalid):
            raise
        raise TemplateInvalid(_("花括号不成对：%(error)s", error=str(exc))) from exc
    return found


def values(body: str, customer, message: str | None = None) -> dict[str, str]:
    """{variable: value} for ``customer`` and the typed ``message`` (missing values are empty)."""
    result = {}
    for name in variables(body):
        if name == MESSAGE_VARIABLE:
            value = message
        elif name.startswith("extra."):
            value = (customer.extra or {}).get(name[6:])
        else:
            value = getattr(customer, name, None)
        result[name] = "" if value is None else str(value)
    return result


def render(body: str, customer, opt_out_text: str = "", message: str | None = None) -> str:
    """The text ``customer`` receives; ``opt_out_text`` is appended unless the body already ends with it."""
    params = values(body, customer, message)
    text = body
    for name, value in params.items():
        text = text.replace("{" + name + "}", value)
    text = text.replace("{{", "{").replace("}}", "}")
    if opt_out_text and not text.rstrip().endswith(opt_out_text):
        text = f"{text.rstrip()} {opt_out_text}"
    return text


def provider_params(body: str, customer, message: str | None = None) -> dict[str, str]:
    """Template parameters for the provider: Aliyun names them (``extra.crop`` becomes ``crop``),
    Tencent takes the values in this order."""
    return {name.removeprefix("extra."): value for name, value in values(body, customer, message).items()}


def opt_out_text(template: SmsTemplate, settings: dict) -> str:
    """What is appended to this template's texts: the opt-out text for marketing, nothing for notifications."""
    return settings["opt_out_text"] if template.kind == "marketing" else ""


def preview(template: SmsTemplate, customer) -> dict:
    """The text one customer would receive, its length and parts, and the provider's parameters."""
    text = render(template.body, customer, opt_out_text(template, settings_of("sms")))
    return {"template_id": template.id, "customer_id": customer.id, "text": text, "length": len(text),
            "parts": 1 if len(text) <= 70 else -(-len(text) // 67),
            "params": provider_params(template.body, customer), "consent_sms": customer.consent_sms}


# reads ------------------------------------------------------------------------------------------
def all_templates() -> list[SmsTemplate]:
    return list(db.session.scalars(select(SmsTemplate).order_by(SmsTemplate.name)))


def get_template(template_id: int) -> SmsTemplate | None:
    return db.session.get(SmsTemplate, template_id)


# writes (each commits) --------------------------------------------------------------------------
def _check_name_free(name: str, template_id: int | None) -> None:
    if db.session.scalar(select(SmsTemplate.id).where(SmsTemplate.name == name,
                                                      SmsTemplate.id != (template_id or 0))):
        raise SmsConflict(_("已有同名模板"), field="name")


def create_template(data: dict, user) -> SmsTemplate:
    """A new template from ``data`` loaded by ``schemas.TemplateSchema``; SmsConflict for a taken name."""
    _check_name_free(data["name"], None)
    template = SmsTemplate(**{k: v for k, v in data.items() if k in FIELDS}, created_by_id=user.id)
    db.session.add(template)
    db.session.commit()
    return template


def update_template(template: SmsTemplate, data: dict) -> SmsTemplate:
    """Change the fields in ``data`` (all or some, as ``TemplateSchema`` loaded them)."""
    if "name" in data:
        _check_name_free(data["name"], template.id)
    for key in FIELDS:
        if key in data:
            setattr(template, key, data[key])
    db.session.commit()
    return template


def delete_template(template: SmsTemplate) -> None:
    """Delete a template no campaign uses (SmsConflict otherwise: campaigns keep their template)."""
    if db.session.scalar(select(SmsCampaign.id).where(SmsCampaign.template_id == template.id).limit(1)):
        raise SmsConflict(_("模板已被短信活动使用，不能删除"))
    db.session.delete(template)
    db.session.commit()
