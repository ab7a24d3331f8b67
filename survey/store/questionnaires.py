"""Questionnaire versions: publish (immutable once published), retire, read back the exact
version a submission answered, and the code -> label rows analysts read."""

from __future__ import annotations

from functools import lru_cache

from cachetools import LRUCache

from survey.questionnaire import parse_text, Questionnaire
from survey.store.engine import StoreError
from survey.store.model import _now, Point, PublishRefused

@lru_cache(maxsize=64)
def _parse_stored(text: str, source: str | None) -> Questionnaire:
    model, problems = parse_text(text, source or "<stored>")
    if model is None:  # stored versions were valid when published; say so loudly if not
        raise StoreError("a stored questionnaire no longer validates: "
                         + "; ".join(map(str, problems)))
    return model


def publish(store, qn: Questionnaire, actor: str = "system") -> str:
    """Store a questionnaire version. Returns 'published' or 'unchanged'; raises
    PublishRefused when the same id and version were published with other content."""
    def work(cur):
        row = cur.execute("SELECT content_hash FROM questionnaire_version "
                          "WHERE questionnaire_id = ? AND version = ?",
                          [qn.id, qn.version]).fetchone()
        if row is not None:
            if row[0] == qn.content_hash:
                store._choice_labels(cur, qn)  # versions published before migration 004
                return "unchanged"
            raise PublishRefused(
                f"{qn.source_name}: {qn.id} version {qn.version} is already published with "
                f"other content ({row[0][:8]}, this file is {qn.content_hash[:8]}). "
                f"Submissions keep the exact version they answered, so a published version "
                f"cannot change: raise 'version:' to {qn.version + 1} to publish the change.",
                f"{qn.source_name}:问卷 {qn.id} 第 {qn.version} 版已以不同内容发布(已发布 "
                f"{row[0][:8]},本文件 {qn.content_hash[:8]})。每份提交都保存它所回答的确切版本,"
                f"已发布的版本不能修改:请把 'version:' 改为 {qn.version + 1} 再发布。")
        cur.execute("INSERT INTO questionnaire_version (questionnaire_id, version, content_hash, "
                    "title_zh, title_en, period_kind, yaml_text, source_name, published_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [qn.id, qn.version, qn.content_hash, qn.title.zh, qn.title.en, qn.period,
                     qn.source_text, qn.source_name, _now()])
        store._choice_labels(cur, qn)
        store._audit(cur, actor, "publish_questionnaire", f"{qn.id}@{qn.version}",
                    {"hash": qn.content_hash})
        return "published"
    return store._write(work)


def _choice_labels(cur, qn: Questionnaire) -> None:
    """Code -> label rows, so analysts see 比较满意 beside 4."""
    rows = [(qn.id, qn.version, q.id, c.value, c.label.zh, c.label.en or None)
            for q in qn.questions for c in q.choices]
    if rows:
        cur.executemany("INSERT INTO choice_label VALUES (?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT DO NOTHING", rows)


def retire(store, questionnaire_id: str, version: int, actor: str) -> None:
    def work(cur):
        cur.execute("UPDATE questionnaire_version SET retired_at = ? WHERE questionnaire_id = ? "
                    "AND version = ?", [_now(), questionnaire_id, version])
        store._audit(cur, actor, "retire_questionnaire", f"{questionnaire_id}@{version}", {})
    store._write(work)


def questionnaire(store, questionnaire_id: str, version: int) -> Questionnaire:
    """The exact published version (parsed from the text stored at publication)."""
    row = store._one("SELECT yaml_text, source_name FROM questionnaire_version "
                    "WHERE questionnaire_id = ? AND version = ?", [questionnaire_id, version])
    if row is None:
        raise StoreError(f"questionnaire {questionnaire_id} version {version} is not published")
    return _parse_stored(row[0], row[1])


# parsed versions by content hash: every form request asks for the current questionnaires,
# and fetching and hashing their YAML text each time was a third of a form page's database time
_by_hash: LRUCache = LRUCache(maxsize=64)


def current_questionnaires(store) -> list[Questionnaire]:
    """The newest version of each questionnaire that is not retired."""
    rows = store._rows("SELECT DISTINCT ON (questionnaire_id) questionnaire_id, version, "
                      "content_hash FROM questionnaire_version WHERE retired_at IS NULL "
                      "ORDER BY questionnaire_id, version DESC")
    found = []
    for questionnaire_id, version, content_hash in rows:
        model = _by_hash.get(content_hash)
        if model is None:
            model = _by_hash[content_hash] = questionnaire(store, questionnaire_id, version)
        found.append(model)
    return found


def questionnaires_for(store, point: Point, audience: str = "cadre") -> list[Questionnaire]:
    """What the people at a point are asked to fill in now."""
    return [q for q in store.current_questionnaires()
            if q.audience == audience and q.is_for_kind(point.kind)]


def questionnaire_versions(store) -> list[dict]:
    rows = store._rows("SELECT v.questionnaire_id, v.version, v.content_hash, v.title_zh, "
                      "v.title_en, v.period_kind, v.published_at, v.retired_at, v.source_name, "
                      "(SELECT count(*) FROM submission s WHERE s.questionnaire_id = "
                      "v.questionnaire_id AND s.version = v.version) "
                      "FROM questionnaire_version v ORDER BY 1, 2")
    keys = ("questionnaire_id", "version", "content_hash", "title_zh", "title_en", "period",
            "published_at", "retired_at", "source_name", "submissions")
    return [dict(zip(keys, row)) for row in rows]
