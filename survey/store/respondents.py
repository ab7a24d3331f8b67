"""Respondent codes: issued in clear once, stored only as a keyed hash (the pseudonym), revoked
or replaced; a code or a pseudonym resolves to its point."""

from __future__ import annotations

import hashlib
import hmac

from survey import codes, fields
from survey.store import settings
from survey.store.engine import StoreError, refuse
from survey.store.model import CodeError, _now, _point, Respondent

CODE_KEY_FINGERPRINT = "code_key_fingerprint"


def key_fingerprint(code_key: bytes) -> str:
    """Names the code key without revealing it (an HMAC of a fixed text under the key)."""
    return hmac.new(code_key, b"survey code key fingerprint", hashlib.sha256).hexdigest()[:12]


def check_code_key(store) -> None:
    """Codes are stored as keyed hashes, so every process on one database needs the key they
    were made with: another key would make every QR code unknown and new codes unreadable to
    the others. The first process records the key's fingerprint; one with another key stops."""
    mine = key_fingerprint(store.code_key)
    kept = settings.setting(store, CODE_KEY_FINGERPRINT)
    if kept is None:
        settings.save_setting(store, CODE_KEY_FINGERPRINT, mine, "system", audited=False)
    elif kept != mine:
        raise StoreError(
            f"This server's code key (fingerprint {mine}) is not the key the codes in "
            f"{store.engine.label} were made with (fingerprint {kept}). Every app server and "
            "command on one database must use the same key: set SURVEY_CODE_KEY (or "
            ".streamlit/secrets.toml [survey] code_key) to the first server's key; for the "
            "embedded file, restore the data/survey.key that was beside it. Nothing was changed.",
            f"本服务器的编码密钥(指纹 {mine})与该数据库中编码所用的密钥(指纹 {kept})不一致。"
            "同一数据库上的所有应用服务器和命令必须使用同一密钥:请把 SURVEY_CODE_KEY(或 "
            ".streamlit/secrets.toml 中 [survey] code_key)设为第一台服务器的密钥;内嵌数据库"
            "请恢复原来放在旁边的 data/survey.key。数据未作任何改动。")

def issue_codes(store, point_id: str, count: int, actor: str = "system") -> list[str]:
    """Create `count` respondent codes for a point. The clear codes are returned once and
    never stored: only their keyed hash is."""
    refuse(fields.count_problem(count, 1, fields.MAX_CODES, "the number of codes", "发放数量"))
    if store.point(point_id) is None:
        raise StoreError(f"there is no monitoring point '{point_id}'; "
                         "list them with `python -m survey points`")
    issued = [codes.generate() for _ in range(count)]

    def work(cur):
        for code in issued:
            cur.execute("INSERT INTO respondent (respondent_key, point_id, issued_at) "
                        "VALUES (?, ?, ?)", [codes.pseudonym(code, store.code_key), point_id,
                                             _now()])
        store._audit(cur, actor, "issue_codes", point_id, {"count": count})
    store._write(work)
    return issued


def revoke_code(store, code: str, actor: str = "system") -> None:
    key = store._key_of(code)

    def work(cur):
        found = cur.execute("UPDATE respondent SET revoked_at = ? WHERE respondent_key = ? AND "
                            "revoked_at IS NULL RETURNING point_id", [_now(), key]).fetchall()
        if not found:
            raise CodeError("unknown", "that code is unknown or already revoked")
        store._audit(cur, actor, "revoke_code", found[0][0], {})
    store._write(work)


def replace_code(store, code: str, actor: str, take_over: bool) -> str:
    """Revoke a (lost) code and issue a new one for the same point. With take_over, the new
    code inherits the old one's history (carry-forward) and drafts."""
    old_key = store._key_of(code)
    new_code = codes.generate()
    new_key = codes.pseudonym(new_code, store.code_key)

    def work(cur):
        found = cur.execute("UPDATE respondent SET revoked_at = ? WHERE respondent_key = ? "
                            "AND revoked_at IS NULL RETURNING point_id",
                            [_now(), old_key]).fetchall()
        if not found:
            raise CodeError("unknown", "that code is unknown or already revoked")
        cur.execute("INSERT INTO respondent (respondent_key, point_id, issued_at) VALUES "
                    "(?, ?, ?)", [new_key, found[0][0], _now()])
        if take_over:
            for table in ("submission", "kept", "draft"):
                cur.execute(f"UPDATE {table} SET respondent_key = ? WHERE respondent_key = ?",
                            [new_key, old_key])
            cur.execute("INSERT INTO kept_slot SELECT ? || substr(slot, ?), submission_id, "
                        "revision, indicators, vals, answers_json FROM kept_slot WHERE "
                        "starts_with(slot, ?)", [new_key, len(old_key) + 1, old_key + "|"])
            cur.execute("DELETE FROM kept_slot WHERE starts_with(slot, ?)", [old_key + "|"])
        store._audit(cur, actor, "replace_code", found[0][0], {"take_over": take_over})
    store._write(work)
    return new_code


def _key_of(store, code: str) -> str:
    if codes.normalize(code) is None:
        raise CodeError("format", "a code has 8 letters and digits, like K7QM-3XPA; please check it")
    return codes.pseudonym(code, store.code_key)


def respondent(store, code: str) -> Respondent:
    """Who a code belongs to (pseudonymously), or CodeError saying why it is not valid."""
    return store.respondent_by_key(store._key_of(code))


def respondent_by_key(store, key: str) -> Respondent:
    """The same by pseudonym (a cadre's session keeps the pseudonym, never the code)."""
    row = store._one("SELECT r.revoked_at, p.point_id, p.name, p.level, p.kind, p.region, "
                    "p.active, p.is_demo FROM respondent r JOIN point p USING (point_id) "
                    "WHERE r.respondent_key = ?", [key])
    if row is None:
        raise CodeError("unknown", "this code is not known; check it against your code sheet, or ask "
                        "the person who issued it")
    if row[0] is not None:
        raise CodeError("revoked", "this code has been revoked; ask the person who issued it for a new one")
    point = _point(row[1:])
    if not point.active:
        raise CodeError("inactive", "this monitoring point is no longer active")
    return Respondent(key, point)


def demo_codes(store, limit: int = 3) -> list[tuple[str, str]]:
    return store._rows("SELECT d.code, p.name FROM demo_code d JOIN point p USING (point_id) "
                      "ORDER BY d.code LIMIT ?", [limit])
