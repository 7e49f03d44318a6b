"""Reading forms and turning refusals into messages next to the fields they concern.

Handlers read the posted form with :func:`read_form` (strings only, bounded), validate it with
a pydantic model through :func:`parse_form`, and on a service's refusal call
:func:`errors_from` with a map from error codes to field names; the resulting
``{field: message}`` goes to the template, whose ``field`` macro shows each message beside its
input (``aria-describedby``). ``FORM_ERROR`` keys a message about the form as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from openbss.kit.errors import OpenBSSError
from openbss.portal.core.messages import localise
from openbss.portal.core.state import CSRF_FIELD

FORM_ERROR = "__form__"
MAX_FIELD = 2000  # longer values are cut: no screen has a longer field

FieldErrors = dict[str, str]
M = TypeVar("M", bound=BaseModel)

_ZH_PYDANTIC = {
    "missing": "必填",
    "string_too_short": "必填",
    "string_too_long": "内容过长",
    "string_pattern_mismatch": "格式不正确",
    "int_parsing": "请输入整数",
    "decimal_parsing": "请输入数字",
    "literal_error": "请从列表中选择",
    "enum": "请从列表中选择",
    "date_from_datetime_parsing": "请输入日期（YYYY-MM-DD）",
    "date_parsing": "请输入日期（YYYY-MM-DD）",
    "value_error": "内容无效",
}


# Control characters other than tab and line breaks have no place in a form field (and
# PostgreSQL refuses NUL in text): they are dropped as the form is read.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(value: str) -> str:
    return _CONTROL.sub("", value[:MAX_FIELD])


async def read_form(request: Request) -> dict[str, str]:
    """The posted fields as strings (files and the CSRF token dropped, values bounded and
    without control characters)."""
    form = await request.form()
    values: dict[str, str] = {}
    for key, value in form.multi_items():
        if key == CSRF_FIELD or not isinstance(value, str):
            continue
        values.setdefault(clean(key[:100]), clean(value))
    return values


def pydantic_errors(error: ValidationError, language: str) -> FieldErrors:
    errors: FieldErrors = {}
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else FORM_ERROR
        if language.startswith("zh"):
            message = _ZH_PYDANTIC.get(item["type"], "内容无效")
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
        errors.setdefault(field, message)
    return errors


def parse_form(
    model: type[M], values: Mapping[str, str], language: str
) -> tuple[M | None, FieldErrors]:
    """The form as ``model``, or None and the messages per field."""
    try:
        return model.model_validate(dict(values)), {}
    except ValidationError as error:
        return None, pydantic_errors(error, language)


def errors_from(
    error: OpenBSSError, language: str, fields: Mapping[str, str] | None = None
) -> FieldErrors:
    """A service's refusal as ``{field: message}``: the field its code concerns (``fields``
    maps codes to field names), else the form as a whole."""
    field = (fields or {}).get(error.code, FORM_ERROR)
    return {field: localise(error.code, error.status, error.message, language)}
