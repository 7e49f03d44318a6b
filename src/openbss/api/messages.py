"""Error messages in the caller's language: English by default, Chinese on request.

A service raises its error with an English message that carries the specifics (the id, the
value, the rule). For a caller whose ``Accept-Language`` prefers Chinese, the message becomes
a Chinese sentence chosen by the error's stable ``code`` (or, for a code without its own
sentence, by the HTTP status the code belongs to), followed by the English specifics, so
nothing a support engineer needs is lost. ``code``, ``reason`` and ``status`` never change.
"""

from __future__ import annotations

from typing import Final

CHINESE: Final = "zh"

ZH_BY_CODE: Final[dict[str, str]] = {
    "BAD_REQUEST": "请求有误",
    "INVALID_REQUEST": "请求参数不合法",
    "INVALID_BODY": "请求体不符合该资源的格式",
    "MALFORMED_JSON": "请求体不是合法的 JSON",
    "INVALID_OFFSET": "分页参数不合法",
    "MISSING_ATTRIBUTE": "缺少必填属性",
    "READ_ONLY_ATTRIBUTE": "该属性为只读，不能修改",
    "UNAUTHENTICATED": "缺少或无效的 API 密钥",
    "FORBIDDEN": "无权执行此操作",
    "NOT_FOUND": "未找到该资源",
    "HTTP_404": "未找到该地址",
    "HTTP_405": "该资源不支持此操作",
    "METHOD_NOT_ALLOWED": "该资源不支持此操作",
    "CONFLICT": "与当前数据冲突",
    "CONCURRENT_UPDATE": "与并发修改冲突，请重试",
    "CONTENDED": "资源正被其他请求占用，请重试",
    "UNPROCESSABLE": "请求内容在业务上无效",
    "PROVINCE_REQUIRED": "集团级密钥须用 X-Province 请求头指明省份",
    "UNKNOWN_REFERENCE": "引用的资源不存在",
    "UNKNOWN_ACCOUNT": "账户不存在",
    "UNKNOWN_CUSTOMER": "客户不存在",
    "UNKNOWN_OFFERING": "销售品不存在",
    "UNKNOWN_TARIFF": "资费不存在",
    "DUPLICATE_CUSTOMER": "客户已存在",
    "EXTERNAL_ID_REUSED": "外部订单号已被不同的订单使用",
    "ORDER_NOT_CANCELLABLE": "订单当前状态不可撤销",
    "NUMBER_UNAVAILABLE": "号码不可用",
    "NO_FREE_NUMBER": "没有可选的空闲号码",
    "INVALID_QUOTE": "计费询价请求无效",
    "INVALID_BILL_STATE": "账单状态不允许此变更",
    "PERIOD_ALREADY_BILLED": "该账期已出账",
    "NOT_IMPLEMENTED": "此操作未实现",
    "INTERNAL_ERROR": "服务器内部错误",
    "DATABASE_UNAVAILABLE": "数据库暂不可用",
}

ZH_BY_STATUS: Final[dict[int, str]] = {
    400: "请求有误",
    401: "身份验证失败",
    403: "无权执行此操作",
    404: "未找到该资源",
    405: "该资源不支持此操作",
    409: "与当前数据冲突",
    412: "资源已被修改，请重新读取",
    413: "请求体过大",
    422: "请求内容在业务上无效",
    500: "服务器内部错误",
    501: "此操作未实现",
    503: "服务暂不可用",
}


def prefers_chinese(accept_language: str | None) -> bool:
    """Whether the caller's most preferred language (RFC 9110 weights) is Chinese."""
    if not accept_language:
        return False
    best_tag, best_weight = "", 0.0
    for item in accept_language.split(","):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        # The first of equally weighted tags wins: compare with a strict '>'.
        if tag.strip() and weight <= 1 and weight > best_weight:
            best_tag, best_weight = tag.strip().lower(), weight
    return best_tag == CHINESE or best_tag.startswith(CHINESE + "-")


def chinese_message(code: str, status: int, english: str) -> str:
    lead = ZH_BY_CODE.get(code) or ZH_BY_STATUS.get(status) or "请求失败"
    return f"{lead}（{english}）" if english else lead


def localise(code: str, status: int, english: str, accept_language: str | None) -> str:
    """The message to send: ``english`` unless the caller prefers Chinese."""
    if prefers_chinese(accept_language):
        return chinese_message(code, status, english)
    return english
