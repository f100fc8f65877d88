"""Report vocabulary: the poverty statuses and the review-round transition categories, with labels.

These are the words of the yearly report forms (Thông tư 07/2021/TT-BLĐTBXH), not legal thresholds:
they say how a household's class in one review round relates to its class in the next. The class ids
they build on (``ngheo``, ``can_ngheo``) are the ids every standard under ``rules/`` uses for its poor
and near-poor classes; any other class of a standard counts as "above near-poor".

Kept in Python rather than YAML so that it ships with the package without a package-data entry.
The exact official definition of "tái nghèo" (and "tái cận nghèo") was not found: those categories
are marked ``verified=False`` and every report that uses them says so.
"""

from __future__ import annotations

import attrs

from classifier.model import CANNOT_CLASSIFY

__all__ = [
    "ABOVE",
    "CATEGORIES",
    "ERROR",
    "NEAR_POOR_CLASS",
    "POOR_CLASS",
    "Category",
    "category",
    "poverty_status",
]

#: Class id of the poor class in every standard's rule data.
POOR_CLASS = "ngheo"
#: Class id of the near-poor class in every standard's rule data.
NEAR_POOR_CLASS = "can_ngheo"
#: Status of a household classified in any other class (neither poor nor near-poor).
ABOVE = "tren_can_ngheo"
#: Status of a row that carries an error instead of a class.
ERROR = "loi"


@attrs.frozen
class Category:
    """One transition category between two review rounds."""

    id: str
    label_vi: str
    label_en: str
    verified: bool = True
    note_vi: str | None = None
    note_en: str | None = None

    def label(self, lang: str) -> str:
        """The label in ``lang`` (``vi`` or ``en``)."""
        return self.label_vi if lang == "vi" else self.label_en

    def note(self, lang: str) -> str | None:
        """The caveat in ``lang``, if any."""
        return self.note_vi if lang == "vi" else self.note_en


_UNVERIFIED_VI = (
    "định nghĩa chính thức chưa được xác minh: ở đây là hộ đã thuộc diện này ở một vòng "
    "trước vòng liền trước, không thuộc diện này ở vòng liền trước và nay thuộc lại"
)
_UNVERIFIED_EN = (
    "official definition unverified: here, a household in this class at some round before the "
    "previous one, not in it at the previous round, and in it again now"
)

#: Every category, in report order (the order of the official forms, then the bookkeeping ones).
CATEGORIES: tuple[Category, ...] = (
    Category(
        "thoat_ngheo_sang_can_ngheo",
        "hộ thoát nghèo trở thành hộ cận nghèo",
        "escaped poverty, now near-poor",
    ),
    Category(
        "thoat_ngheo", "hộ thoát nghèo (lên trên chuẩn cận nghèo)", "escaped poverty, now above near-poor"
    ),
    Category("thoat_can_ngheo", "hộ thoát cận nghèo", "escaped near-poverty"),
    Category("ngheo_phat_sinh_moi", "hộ nghèo phát sinh mới", "newly poor"),
    Category("can_ngheo_phat_sinh_moi", "hộ cận nghèo phát sinh mới", "newly near-poor"),
    Category(
        "tai_ngheo",
        "hộ tái nghèo",
        "fell back into poverty (re-poor)",
        verified=False,
        note_vi=_UNVERIFIED_VI,
        note_en=_UNVERIFIED_EN,
    ),
    Category(
        "tai_can_ngheo",
        "hộ tái cận nghèo",
        "fell back into near-poverty",
        verified=False,
        note_vi=_UNVERIFIED_VI,
        note_en=_UNVERIFIED_EN,
    ),
    Category("roi_xuong_ngheo", "hộ cận nghèo trở thành hộ nghèo", "near-poor, now poor"),
    Category("giu_nguyen_ngheo", "giữ nguyên hộ nghèo", "stayed poor"),
    Category("giu_nguyen_can_ngheo", "giữ nguyên hộ cận nghèo", "stayed near-poor"),
    Category(
        "giu_nguyen_tren_can_ngheo",
        "giữ nguyên: không thuộc hộ nghèo, hộ cận nghèo",
        "stayed neither poor nor near-poor",
    ),
    Category(
        "khong_xac_dinh",
        "không đủ dữ liệu để phân loại ở ít nhất một vòng",
        "cannot classify in at least one round",
    ),
    Category("loi", "bản ghi lỗi ở ít nhất một vòng", "record with errors in at least one round"),
    Category("chi_co_o_vong_truoc", "chỉ có ở vòng trước", "only in the earlier round"),
    Category("chi_co_o_vong_sau", "chỉ có ở vòng sau", "only in the later round"),
)

_BY_ID = {c.id: c for c in CATEGORIES}


def category(category_id: str) -> Category:
    """The category with id ``category_id`` (KeyError for an unknown id)."""
    return _BY_ID[category_id]


def poverty_status(outcome: str | None) -> str:
    """``ngheo``, ``can_ngheo``, ``tren_can_ngheo``, ``khong_du_du_lieu`` or ``loi`` for a class id.

    ``None`` or an empty outcome is a row with an error.
    """
    if not outcome:
        return ERROR
    if outcome in (POOR_CLASS, NEAR_POOR_CLASS, CANNOT_CLASSIFY):
        return outcome
    return ABOVE
