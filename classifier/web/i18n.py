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
    "agreed": {"vi": "Số người đồng ý", "en": "Agreed"},
    "all": {"vi": "Tất cả", "en": "All"},
    "answers": {"vi": "Thông tin rà soát", "en": "Answers"},
    "by_village": {"vi": "Theo thôn", "en": "By village"},
    "change_log": {"vi": "Nhật ký thay đổi", "en": "Change log"},
    "changed_since_last": {"vi": "Thay đổi so với kỳ trước", "en": "Changed since last round"},
    "class": {"vi": "Phân loại", "en": "Class"},
    "classified_n": {
        "vi": "Đã phân loại {n} hộ ({failed} hộ không đọc được).",
        "en": "{n} household(s) classified ({failed} could not be read).",
    },
    "classify_round": {"vi": "Phân loại lại cả đợt", "en": "Classify the round"},
    "code": {"vi": "Mã hộ", "en": "Household code"},
    "column_in_file": {"vi": "Cột trong tệp", "en": "Column in the file"},
    "column_mapping": {"vi": "Ghép cột", "en": "Column mapping"},
    "create": {"vi": "Tạo", "en": "Create"},
    "deadline": {"vi": "Hạn trả lời", "en": "Answer due"},
    "deadline_rule": {
        "vi": "Hạn trả lời: {days} ngày kể từ ngày nhận đề nghị ({cite}).",
        "en": "Answer due within {days} days of receiving the request ({cite}).",
    },
    "deadline_unknown": {
        "vi": "chưa rõ (thiếu rules/procedures/review-round.yaml)",
        "en": "unknown (rules/procedures/review-round.yaml missing)",
    },
    "deprivations": {"vi": "Số chỉ số thiếu hụt", "en": "Deprivations"},
    "edit_answer": {"vi": "Sửa một thông tin", "en": "Edit an answer"},
    "empty_unknown": {"vi": "để trống = chưa biết", "en": "empty = unknown"},
    "expected": {"vi": "Cần:", "en": "Expected:"},
    "explanation": {"vi": "Giải thích", "en": "Explanation"},
    "export_excel": {"vi": "Xuất Excel", "en": "Export to Excel"},
    "field": {"vi": "Trường", "en": "Field"},
    "filter": {"vi": "Lọc", "en": "Filter"},
    "form": {"vi": "Mẫu", "en": "Form"},
    "history": {"vi": "Qua các kỳ rà soát", "en": "Across rounds"},
    "household": {"vi": "Hộ", "en": "Household"},
    "households": {"vi": "Danh sách hộ", "en": "Households"},
    "households_file": {
        "vi": "Tệp hộ gia đình (.xlsx, .csv, .json)",
        "en": "Households file (.xlsx, .csv, .json)",
    },
    "ignore_column": {"vi": "— bỏ qua cột này —", "en": "— ignore this column —"},
    "import_file": {"vi": "Nhập tệp Excel/CSV", "en": "Import an Excel/CSV file"},
    "import_help": {
        "vi": "Tệp theo mẫu dữ liệu (chuan-ngheo template). "
        "Bước sau cho phép chọn cột nào ứng với trường nào.",
        "en": "A file in the data contract (chuan-ngheo template). The next step lets you say which column "
        "fills which field.",
    },
    "import_now": {"vi": "Nhập dữ liệu", "en": "Import"},
    "import_report": {"vi": "Kết quả nhập dữ liệu", "en": "Import report"},
    "import_summary": {
        "vi": "Thêm {added} hộ, cập nhật {changed} hộ, không đổi {unchanged} hộ; {errors} lỗi cần sửa.",
        "en": "{added} added, {changed} changed, {unchanged} unchanged; {errors} problem(s) to fix.",
    },
    "kind": {"vi": "Loại", "en": "Kind"},
    "kind_periodic": {"vi": "Rà soát định kỳ", "en": "Periodic review"},
    "kind_regular": {"vi": "Rà soát thường xuyên", "en": "Regular (monthly) review"},
    "majority_unknown": {
        "vi": "(tỷ lệ đồng ý cần thiết chưa rõ: thiếu tệp quy trình)",
        "en": "(required majority unknown: procedure file missing)",
    },
    "mapping_help": {
        "vi": "Mỗi cột của tệp được ghép với một trường. "
        "Cột không nhận ra được đánh dấu; chọn trường đúng hoặc bỏ qua.",
        "en": "Each column of the file fills one field. Columns not recognised are marked: choose the "
        "right field or ignore them.",
    },
    "meeting_agreed": {"vi": "Hội nghị thôn đã thống nhất.", "en": "The village meeting agreed."},
    "meeting_date": {"vi": "Ngày họp", "en": "Meeting date"},
    "meeting_not_agreed": {"vi": "Chưa đủ tỷ lệ đồng ý.", "en": "Not enough participants agreed."},
    "meeting_result": {
        "vi": "Họp ngày {date}: {agreed}/{participants} người đồng ý.",
        "en": "Meeting of {date}: {agreed} of {participants} agreed.",
    },
    "members_file": {"vi": "Tệp thành viên (nếu tách riêng, .csv)", "en": "Members file (if separate, .csv)"},
    "monthly_requests": {"vi": "Đề nghị rà soát thường xuyên", "en": "Monthly review requests"},
    "n_households": {"vi": "{n} hộ", "en": "{n} household(s)"},
    "new_household": {"vi": "hộ mới", "en": "new"},
    "new_round": {"vi": "Mở đợt rà soát mới", "en": "Open a new round"},
    "new_value": {"vi": "Giá trị mới", "en": "New value"},
    "next_step": {"vi": "Tiếp tục", "en": "Next"},
    "note": {"vi": "Ghi chú", "en": "Note"},
    "old_new": {"vi": "Cũ → mới", "en": "Old → new"},
    "overdue": {"vi": "quá hạn", "en": "overdue"},
    "participants": {"vi": "Số người dự họp", "en": "Participants"},
    "pending_requests": {"vi": "Đề nghị chờ trả lời", "en": "Requests awaiting an answer"},
    "previous_round": {"vi": "Kỳ trước", "en": "Previous round"},
    "print": {"vi": "In", "en": "Print"},
    "reason": {"vi": "Lý do", "en": "Reason"},
    "received_on": {"vi": "Ngày nhận", "en": "Received on"},
    "record": {"vi": "Mã bản ghi", "en": "Record"},
    "reference_date": {"vi": "Ngày tham chiếu", "en": "Reference date"},
    "refusal_letter": {"vi": "Văn bản trả lời", "en": "Refusal letter"},
    "refusal_reasons": {"vi": "Lý do (bắt buộc khi không công nhận)", "en": "Reasons (required to refuse)"},
    "register_request": {"vi": "Ghi nhận đề nghị", "en": "Register the request"},
    "request_accepted": {"vi": "Công nhận", "en": "Accepted"},
    "request_pending": {"vi": "Chờ trả lời", "en": "Pending"},
    "request_refused": {"vi": "Không công nhận", "en": "Refused"},
    "round": {"vi": "Đợt", "en": "Round"},
    "round_name": {"vi": "Tên đợt", "en": "Round"},
    "round_status": {"vi": "Trạng thái đợt", "en": "Round status"},
    "row": {"vi": "Dòng", "en": "Row"},
    "save": {"vi": "Lưu", "en": "Save"},
    "save_reclassify": {"vi": "Lưu và phân loại lại", "en": "Save and re-classify"},
    "saved_reclassified": {"vi": "Đã lưu và phân loại lại.", "en": "Saved and re-classified."},
    "standard": {"vi": "Chuẩn", "en": "Standard"},
    "status": {"vi": "Trạng thái", "en": "Status"},
    "status_classified": {"vi": "đã phân loại", "en": "classified"},
    "status_closed": {"vi": "đã khoá", "en": "closed"},
    "status_open": {"vi": "đang mở", "en": "open"},
    "stored_differs": {
        "vi": "Kết quả đã lưu ({stored}) khác kết quả theo quy tắc hiện hành: hãy phân loại lại cả đợt.",
        "en": "The stored result ({stored}) differs from today's rules: classify the round again.",
    },
    "to_fix": {"vi": "Cần sửa", "en": "To fix"},
    "total": {"vi": "Tổng", "en": "Total"},
    "unknown_column": {"vi": "không nhận ra", "en": "not recognised"},
    "value": {"vi": "Giá trị", "en": "Value"},
    "version": {"vi": "phiên bản", "en": "version"},
    "village": {"vi": "Thôn", "en": "Village"},
    "village_meeting": {"vi": "Hội nghị thôn", "en": "Village meeting"},
    "what_to_fix": {"vi": "Cách sửa", "en": "What to fix"},
    "what_would_change": {"vi": "Điều gì sẽ thay đổi kết quả", "en": "What would change it"},
    "when": {"vi": "Thời điểm", "en": "When"},
    "who": {"vi": "Người sửa", "en": "Who"},
    "year": {"vi": "Năm", "en": "Year"},
    "reports": {"vi": "Báo cáo (theo xã)", "en": "Reports (per commune)"},
    "result_letter": {"vi": "Thông báo kết quả", "en": "Result letter"},
    "certificate": {"vi": "Giấy chứng nhận", "en": "Certificate"},
}


def translate(key: str, lang: str = "vi", **values: Any) -> str:
    """The text of ``key`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    entry = MESSAGES[key]
    text = entry.get(lang) or entry["vi"]
    return text.format(**values) if values else text
