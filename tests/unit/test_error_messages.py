"""Which language an error message is sent in."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbss.api.messages import chinese_message, localise, prefers_chinese


@pytest.mark.parametrize(
    ("header", "chinese"),
    [
        (None, False),
        ("", False),
        ("zh-CN", True),
        ("zh", True),
        ("ZH-cn", True),
        ("zh-Hans-CN,zh;q=0.9", True),
        ("en-US,en;q=0.9,zh-CN;q=0.8", False),
        ("en;q=0.5,zh-CN;q=0.8", True),
        ("zh-CN;q=0", False),
        ("zhx", False),
        ("fr, zh-CN", False),
        ("*", False),
        ("zh-CN;q=abc, en", False),
    ],
)
def test_the_most_preferred_language_decides(header: str | None, chinese: bool) -> None:
    assert prefers_chinese(header) is chinese


def test_a_code_without_its_own_sentence_falls_back_to_its_status() -> None:
    assert chinese_message("NOT_FOUND", 404, "x") == "未找到该资源（x）"
    assert chinese_message("SOMETHING_NEW", 409, "y") == "与当前数据冲突（y）"
    assert chinese_message("SOMETHING_NEW", 418, "") == "请求失败"


@given(st.text(max_size=200))
def test_any_header_is_answered_and_english_stays_unchanged(header: str) -> None:
    message = localise("NOT_FOUND", 404, "gone", header)
    assert message == "gone" or message.endswith("（gone）")
