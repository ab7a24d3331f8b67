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
