"""The light form (/f) when posts are sent again or the database is away, over plain HTTP:
a submit resent with its key is received once; a post the database could not take comes
back, with JavaScript off, as a page that holds it to send again. The script's side (answers
kept in the browser, resent by itself) is tested in Chromium: tests/test_chaos_light.py."""

import html
import re

import json

import pytest

from survey import bootstrap
from survey.store import Store, forms
from tests.conftest import KEY
from tests.pg_support import Cluster
from tests.test_light_form import app_env, client, fields, monthly_with_last_period, post  # noqa: F401


def _submit_page(c, code):
    c.get(f"/f?code={code}")
    post(c, c.get("/f").text, "keep")
    return c.get("/f?step=1").text


def test_a_submit_sent_again_with_its_key_is_received_once(app_env):  # noqa: F811
    codes, qn, period, _ = monthly_with_last_period(app_env)
    with client() as c:
        page = _submit_page(c, codes[0])
        key = dict(fields(page))["key"]
        assert re.fullmatch(r"[0-9a-f]{32}", key)
        assert post(c, page, "submit").headers["location"] == "/f?step=1"
        again = post(c, page, "submit")  # the answer to the first was lost: sent again
        assert again.headers["location"] == "/f?step=1&received=1"
        page = c.get(again.headers["location"]).text
        assert "这次提交已经收到,没有重复提交。" in page and "回执编号" in page
        # the next confirmation (a revision) has a key of its own
        post(c, page, "revise")
        post(c, c.get("/f?step=1").text, "keep", **{"a.documents": "44"})
        post(c, c.get("/f?step=1").text, "next", **{"a.burden_change": "4"})
        revision = c.get("/f?step=1").text
        assert dict(fields(revision))["key"] != key
        post(c, revision, "submit")
        post(c, revision, "submit")
    store = Store(app_env, KEY)
    try:
        respondent = store.respondent(codes[0])
        assert [r.revision for r in store.history(respondent, qn.id, period)] == [1, 2]
        assert store.kept(respondent, qn.id, period)[1]["documents"] == 44
    finally:
        store.close()


def test_a_value_the_script_says_was_changed_is_set_even_as_drawn(app_env):  # noqa: F811
    """Two tabs: the newer one saved 41; in the older one the cadre typed 41 and then 40 again
    (what that page drew). Without JavaScript that is no change of the older page; its script
    names it as changed (kept in the browser): both sides changed it, differently, so the page
    asks which to keep (as for any clash), and 保留本页答案 keeps the cadre's last value."""
    codes, *_ = monthly_with_last_period(app_env)
    with client() as c:
        c.get(f"/f?code={codes[0]}")
        older, newer = c.get("/f").text, c.get("/f").text
        drawn = dict(fields(older))["a.documents"]
        post(c, newer, "save", **{"a.documents": "41"})
        post(c, older, "save", **{"a.documents": drawn})
        assert 'name="a.documents" value="41"' in c.get("/f").text  # no change: not set
        asked = post(c, older, "save", **{"a.documents": drawn, "changed": "documents"})
        assert asked.status_code == 409 and "41" in asked.text  # both answers shown
        post(c, asked.text, "mine")
        assert f'name="a.documents" value="{drawn}"' in c.get("/f").text


@pytest.fixture
def on_postgres(tmp_path, monkeypatch):
    cluster = Cluster()
    url = cluster.new_database()
    monkeypatch.setenv("SURVEY_DATABASE_URL", url)
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DB", str(tmp_path / "side.duckdb"))
    monkeypatch.setenv("SURVEY_DEMO", "0")
    yield cluster, url
    bootstrap.stop_all()
    cluster.stop()


def test_a_post_while_the_database_is_down_comes_back_to_be_sent_again(on_postgres):
    """JavaScript off: the post cannot even open the form. The page says so in words and holds
    the post (values, position, button); 重试 sends it once the database is back."""
    cluster, url = on_postgres
    codes, qn, period, _ = monthly_with_last_period(url)
    with client() as c:
        c.get(f"/f?code={codes[0]}")
        page = c.get("/f").text
        cluster.pause()
        try:
            away = post(c, page, "next", **{"a.documents": "41"})
            assert away.status_code == 503
            assert "草稿暂时无法保存到服务器" in away.text and "您填写的内容没有丢失" in away.text
            kept = fields(away.text)
            assert ("a.documents", "41") in kept and ("at", dict(fields(page))["at"]) in kept
            assert '<button class="primary" name="action" value="next">重试</button>' in away.text
        finally:
            cluster.resume()
        data = {}
        for name, value in kept + [("action", "next")]:
            data.setdefault(name, []).append(html.unescape(value))
        assert c.post("/f", data=data).headers["location"] == "/f?step=1"
        assert "第 2/" in c.get("/f?step=1").text  # the step it was
    store = Store(url, KEY)
    try:
        saved = forms.draft(store, store.respondent(codes[0]), qn.id, period)
        assert saved[0].answers["documents"] == 41
    finally:
        store.close()


def test_the_script_is_cached_by_version_and_its_words_follow_the_page(app_env):  # noqa: F811
    codes, *_ = monthly_with_last_period(app_env)
    with client() as c:
        c.get(f"/f?code={codes[0]}")
        ids = set()
        for lang, offline in (("zh", "网络中断,答案已保存在本机,恢复后自动保存到服务器。"),
                              ("en", "No network: your answers are kept in this browser")):
            page = c.get("/f" + ("?lang=en" if lang == "en" else "")).text
            assert f'data-offline="{offline}' in page
            ids.add(re.search(r'id="lf-status"[^>]* data-form="([0-9a-f]{20})"', page)[1])
        c.post("/f", data={"action": "leave"})
        c.get(f"/f?code={codes[0]}")  # the link opened again: the same name in the browser
        ids.add(re.search(r'data-form="([0-9a-f]{20})"', c.get("/f").text)[1])
        assert len(ids) == 1
        script = re.search(r'<script src="(/f/light-[0-9a-f]{10}\.js)" defer>', page)[1]
        answer = c.get(script)
        assert answer.status_code == 200 and "localStorage" in answer.text
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert c.get("/f/light-0000000000.js").status_code == 404  # never a stale file cached
