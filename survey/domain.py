"""Vocabulary of the monitoring network: kinds of point, administrative levels, period kinds.

Codes are stable identifiers stored in the database; labels are for people.
"""

from __future__ import annotations

POINT_KINDS = {
    "county_dept": {"zh": "县级部门", "en": "County department"},
    "township": {"zh": "乡镇/街道", "en": "Township / subdistrict"},
    "village": {"zh": "村", "en": "Village"},
    "community": {"zh": "社区", "en": "Urban community"},
    "enterprise": {"zh": "国企/事业单位", "en": "State enterprise / public institution"},
    "school": {"zh": "学校", "en": "School"},
    "hospital": {"zh": "医院", "en": "Hospital"},
}

LEVELS = {
    "province": {"zh": "省", "en": "Province"},
    "prefecture": {"zh": "市", "en": "Prefecture"},
    "county": {"zh": "县/区", "en": "County / district"},
    "township": {"zh": "乡镇/街道", "en": "Township"},
    "village": {"zh": "村/社区", "en": "Village / community"},
}

PERIOD_KINDS = ("month", "quarter", "week", "year", "once")  # once: with opens and closes
AUDIENCES = ("cadre", "public")


def label(table: dict, code: str, lang: str) -> str:
    entry = table.get(code)
    if not entry:
        return code
    return entry.get(lang) or entry["zh"]


# Where the burden comes from (issue 20, docs/sources.md): the upper-level bodies, what they do
# at the grassroots, and the duty list's two roles.
BODY_KINDS = {
    "party": {"zh": "党委", "en": "Party committee"},
    "government": {"zh": "政府", "en": "Government"},
    "department": {"zh": "部门", "en": "Department"},
    "township": {"zh": "镇街", "en": "Township / subdistrict"},
    "other": {"zh": "其他", "en": "Other"},
}
ACTIVITIES = {  # 督检考: what a filed plan lists and a cadre reports
    "inspection": {"zh": "督查", "en": "Inspection"},
    "check": {"zh": "检查", "en": "Check"},
    "assessment": {"zh": "考核", "en": "Assessment"},
    "research": {"zh": "调研", "en": "Research visit"},
}
DUTY_ROLES = {
    "responsible": {"zh": "法定职责", "en": "Responsible"},
    "assists": {"zh": "协同配合", "en": "Assists"},
}
DUTY_LEVELS = {"township": {"zh": "镇街", "en": "Township"},
               "village": {"zh": "村/社区", "en": "Village / community"}}
