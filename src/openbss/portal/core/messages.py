"""Error messages in the user's language, chosen by the error's stable code.

The services raise errors with English messages carrying the specifics. A Chinese-speaking
user sees a Chinese sentence for the code (or, failing that, for the HTTP status) followed by
the English specifics, as the API does for ``Accept-Language: zh-CN``.
"""

from __future__ import annotations

from typing import Final

ZH_BY_CODE: Final[dict[str, str]] = {
    "BAD_REQUEST": "请求有误",
    "INVALID_REQUEST": "请求参数不合法",
    "INVALID_BODY": "填写的内容格式不正确",
    "MISSING_ATTRIBUTE": "缺少必填项",
    "UNAUTHENTICATED": "用户名或密码错误",
    "FORBIDDEN": "无权执行此操作",
    "CSRF_REJECTED": "表单已失效或来源不明，请刷新页面后重试",
    "NOT_FOUND": "未找到该资源",
    "HTTP_404": "未找到该页面",
    "HTTP_405": "该页面不支持此操作",
    "CONFLICT": "与当前数据冲突",
    "CONCURRENT_UPDATE": "与并发修改冲突，请重试",
    "UNPROCESSABLE": "填写的内容在业务上无效",
    "PROVINCE_REQUIRED": "集团用户须指明省份",
    "UNKNOWN_REFERENCE": "引用的资源不存在",
    "UNKNOWN_CUSTOMER": "客户不存在",
    "DUPLICATE_CUSTOMER": "客户已存在",
    "INVALID_RESIDENT_ID": "身份证号码无效",
    "DUPLICATE_RESIDENT_ID": "该身份证号码已登记",
    "INVALID_CREDIT_CODE": "统一社会信用代码无效",
    "DUPLICATE_CREDIT_CODE": "该统一社会信用代码已登记",
    "INVALID_CONTACT_MEDIUM": "联系方式无效",
    "INVALID_SEARCH": "查询内容无效",
    "INTERNAL_ERROR": "服务器内部错误",
    "DATABASE_UNAVAILABLE": "数据库繁忙，请重试",
}

ZH_BY_STATUS: Final[dict[int, str]] = {
    400: "请求有误",
    401: "身份验证失败",
    403: "无权执行此操作",
    404: "未找到该资源",
    405: "该页面不支持此操作",
    409: "与当前数据冲突",
    412: "数据已被修改，请刷新后重试",
    413: "提交的内容过大",
    422: "填写的内容在业务上无效",
    429: "尝试次数过多，请稍后再试",
    500: "服务器内部错误",
    501: "此操作未实现",
    503: "服务暂不可用",
}


def localise(code: str, status: int, message: str, language: str) -> str:
    """``message`` for an English reader; a Chinese sentence and the specifics otherwise."""
    if not language.startswith("zh"):
        return message
    sentence = ZH_BY_CODE.get(code) or ZH_BY_STATUS.get(status)
    if sentence is None:
        return message
    return f"{sentence}（{message}）" if message else sentence
