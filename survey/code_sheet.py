"""A printable sheet of respondent codes, each with a QR code that opens the form with it.
One self-contained HTML file (QR codes inline as SVG); print it from the browser or save as PDF."""

from __future__ import annotations

import html
import urllib.parse

import segno


def url_problem(url: str) -> tuple[str, str] | None:
    """Why an address cannot go into printed QR codes (zh, en), or None."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ("请填写完整地址,以 http:// 或 https:// 开头,例如 https://jianfu.example.gov.cn",
                "Give the full address starting with http:// or https://, e.g. "
                "https://survey.example.org")
    if parts.query or parts.fragment or len(url) > 200:
        return ("地址中不能带 ? 或 # 后的内容,也不能超过 200 个字符。",
                "The address must not contain ? or # parts, nor exceed 200 characters.")
    if parts.hostname in ("localhost", "127.0.0.1", "::1") or parts.hostname.endswith(".local"):
        return ("这是本机地址,别人的手机打不开。请填写群众和干部的手机能访问的地址。",
                "That address only works on this computer; other people's phones cannot open "
                "it. Give the address their phones can reach.")
    return None


def fill_link(base_url: str, code: str) -> str:
    """The light form with the code (sheets printed before it open `/?code=...`, which the
    server sends on to the same place: ui/server.py)."""
    return f"{base_url.rstrip('/')}/f?{urllib.parse.urlencode({'code': code})}"


def qr_svg(link: str) -> str:
    return segno.make(link, error="m").svg_inline(scale=4, border=2)


def render(point_name: str, codes: list[str], base_url: str) -> str:
    esc = html.escape
    cards = "\n".join(
        f"<div class=card>{qr_svg(fill_link(base_url, code))}"
        f"<div class=code>{esc(code)}</div><div class=point>{esc(point_name)}</div>"
        f"<div class=hint>扫码或访问 {esc(base_url)} 输入填报码</div></div>"
        for code in codes)
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>填报码 · {esc(point_name)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 1cm; }}
h1 {{ font-size: 16pt; }}
.grid {{ display: flex; flex-wrap: wrap; gap: .5cm; }}
.card {{ border: 1px dashed #999; padding: .4cm; width: 5.5cm; text-align: center;
         page-break-inside: avoid; }}
.code {{ font: bold 18pt monospace; letter-spacing: 2px; margin-top: .2cm; }}
.point {{ font-size: 10pt; }} .hint {{ font-size: 8pt; color: #666; }}
@media print {{ .noprint {{ display: none; }} }}
</style></head><body>
<h1>{esc(point_name)} · 基层减负监测填报码</h1>
<p class=noprint>每张卡片一人一码,请剪开分发。填报不记录姓名。此页只显示一次,请打印或保存为 PDF。</p>
<div class=grid>
{cards}
</div></body></html>
"""


def public_link(base_url: str, point_id: str, questionnaire_id: str) -> str:
    """The address of a public questionnaire at a point (no sign-in; app_pages/rate.py)."""
    query = urllib.parse.urlencode({"point": point_id, "q": questionnaire_id})
    return f"{base_url.rstrip('/')}/rate?{query}"


RATING = "public_rating"  # the 万人评 questionnaire
RATING_TITLE = "请为我们的服务打分(万人评)"


def opened_by_link(public: list, wanted: str | None):
    """The public questionnaire a link opens: the one its `q` names (None if the point has no
    such one), or without `q` 万人评, which posters printed before other public questionnaires
    existed mean (the point's first public questionnaire if it has no 万人评)."""
    chosen = next((q for q in public if q.id == (wanted or RATING)), None)
    return chosen or (public[0] if public and not wanted else None)


def render_public(point_name: str, base_url: str, point_id: str,
                  questionnaires: list[tuple[str, str]] = ((RATING, RATING_TITLE),)
                  ) -> str:
    """The public QR codes to post at a point: one per public questionnaire for its kind of
    point, (id, title), and one to report a problem."""
    esc = html.escape
    base = base_url.rstrip("/")
    links = [(title, public_link(base, point_id, qid)) for qid, title in questionnaires]
    links.append(("反映形式主义问题(匿名)",
                  f"{base}/clue?{urllib.parse.urlencode({'point': point_id})}"))
    cards = "\n".join(f"<div class=card>{qr_svg(link)}<div class=title>{esc(title)}</div>"
                      f"<div class=hint>{esc(link)}</div></div>" for title, link in links)
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(point_name)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 1.5cm; }}
.card {{ display: inline-block; width: 8cm; margin: .5cm; text-align: center; }}
.card svg {{ width: 6cm; height: 6cm; }} .title {{ font-size: 16pt; font-weight: bold; }}
.hint {{ font-size: 8pt; color: #666; word-break: break-all; }}
</style></head><body><h1>{esc(point_name)}</h1>
{cards}
</body></html>
"""
