"""Template text with customer variables: ``{name}``, ``{company}``, ``{extra.crop}`` …"""
import string

from flask_babel import gettext as _

CUSTOMER_VARIABLES = ("name", "company", "industry", "status", "region_code", "address")
MAX_LENGTH = 500  # providers split long texts into 67-character parts; 500 keeps costs sane


class TemplateInvalid(ValueError):
    """The template text cannot be rendered; the message says why, in the user's words."""


def variables(body: str) -> list[str]:
    """The variables a template uses, in order of first appearance (Tencent's parameters are positional)."""
    found = []
    try:
        for _literal, name, spec, conversion in string.Formatter().parse(body):
            if name is None:
                continue
            if name == "" or spec or conversion:
                raise TemplateInvalid(_("变量须写成 {name} 的形式"))
            if name not in CUSTOMER_VARIABLES and not (name.startswith("extra.") and len(name) > 6):
                raise TemplateInvalid(_("未知变量：{%(name)s}", name=name))
            if name not in found:
                found.append(name)
    except ValueError as exc:
        if isinstance(exc, TemplateInvalid):
            raise
        raise TemplateInvalid(_("花括号不成对：%(error)s", error=str(exc))) from exc
    return found


def values(body: str, customer) -> dict[str, str]:
    """{variable: value} for ``customer`` (missing values are empty)."""
    result = {}
    for name in variables(body):
        if name.startswith("extra."):
            value = (customer.extra or {}).get(name[6:])
        else:
            value = getattr(customer, name, None)
        result[name] = "" if value is None else str(value)
    return result


def render(body: str, customer, opt_out_text: str = "") -> str:
    """The text ``customer`` receives; ``opt_out_text`` is appended unless the body already ends with it."""
    params = values(body, customer)
    text = body
    for name, value in params.items():
        text = text.replace("{" + name + "}", value)
    text = text.replace("{{", "{").replace("}}", "}")
    if opt_out_text and not text.rstrip().endswith(opt_out_text):
        text = f"{text.rstrip()} {opt_out_text}"
    return text


def provider_params(body: str, customer) -> dict[str, str]:
    """Template parameters for the provider: Aliyun names them (``extra.crop`` becomes ``crop``),
    Tencent takes the values in this order."""
    return {name.removeprefix("extra."): value for name, value in values(body, customer).items()}
