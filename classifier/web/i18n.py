"""The pages' words in Vietnamese (default) and English: one catalogue, looked up by key.

Keys are English identifiers; a key missing from the catalogue is a bug caught by the tests (every
key used by a template must exist in both languages).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["LANGS", "MESSAGES", "translate"]

LANGS = ("vi", "en")

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "app_name": {"vi": "Rà soát hộ nghèo, hộ cận nghèo", "en": "Poor and near-poor household review"},
    "login": {"vi": "Đăng nhập", "en": "Log in"},
    "logout": {"vi": "Đăng xuất", "en": "Log out"},
    "username": {"vi": "Tên đăng nhập", "en": "User name"},
    "password": {"vi": "Mật khẩu", "en": "Password"},
    "login_failed": {"vi": "Sai tên đăng nhập hoặc mật khẩu.", "en": "Wrong user name or password."},
    "login_throttled": {
        "vi": "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút.",
        "en": "Too many failed log-ins. Try again in {minutes} minute(s).",
    },
    "csrf_failed": {
        "vi": "Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và gửi lại.",
        "en": "The form has expired or is not valid. Reload the page and send it again.",
    },
    "forbidden": {"vi": "Tài khoản của bạn không có quyền này.", "en": "Your account may not do this."},
    "not_found": {"vi": "Không tìm thấy trang.", "en": "Page not found."},
    "internal_error": {
        "vi": "Lỗi nội bộ của chương trình (không phải lỗi dữ liệu của bạn). "
        "Không có thay đổi nào được lưu dở.",
        "en": "Internal error in the program (not in your data). Nothing was half-saved.",
    },
    "role_officer": {"vi": "Cán bộ xã", "en": "Commune officer"},
    "role_reviewer": {"vi": "Rà soát viên thôn", "en": "Village reviewer"},
    "role_viewer": {"vi": "Người xem báo cáo", "en": "Report viewer"},
    "home": {"vi": "Trang chủ", "en": "Home"},
    "rounds": {"vi": "Đợt rà soát", "en": "Review rounds"},
    "api": {"vi": "API", "en": "API"},
    "language": {"vi": "English", "en": "Tiếng Việt"},
    "signed_in_as": {"vi": "Đăng nhập: {name} ({role})", "en": "Signed in: {name} ({role})"},
    "classify_one": {"vi": "Phân loại thử một hộ (API)", "en": "Classify one household (API)"},
    "standards": {"vi": "Chuẩn nghèo", "en": "Poverty standards"},
    "api_intro": {
        "vi": "Mô tả OpenAPI của API: {url}. Phân loại một hộ không cần tài khoản và không lưu gì.",
        "en": "OpenAPI description of the API: {url}. Classifying one household needs no account and "
        "stores nothing.",
    },
    "no_register": {
        "vi": "Chưa có đợt rà soát nào.",
        "en": "There is no review round yet.",
    },
    "back": {"vi": "Quay lại", "en": "Back"},
    "error": {"vi": "Lỗi", "en": "Error"},
}


def translate(key: str, lang: str = "vi", **values: Any) -> str:
    """The text of ``key`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    entry = MESSAGES[key]
    text = entry.get(lang) or entry["vi"]
    return text.format(**values) if values else text
