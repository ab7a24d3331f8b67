"""Demo data: about 60 monitoring points in two prefectures with 24 months of plausible reports.

Everything generated here is flagged is_demo and named 演示 / demo, so it is never mistaken for
real data, and `python -m survey demo --remove` deletes exactly it. Shape of the story:
meeting load, forms and inspections fall after a policy month (POLICY_MONTH) and a few points
rebound (反弹回潮) in the last six months. If the 24 months end before the policy month or start
long after it, the fall happens eight months into the series instead.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from survey import codes, demo_sources, periods
from survey.errors import DomainError
from survey.metrics import Filter
from survey.questionnaire import Questionnaire
from survey.store import Point, Store, answer_row

DEMO_QUESTIONNAIRE = "burden_monthly"
PUBLIC_QUESTIONNAIRE = "public_rating"
PUBLIC_RATERS = (4, 12)  # visitors rating a point per quarter
MONTHS = 24
RESPONDENTS_PER_POINT = 7  # enough for most point-months to pass k = 5
RESPONSE_RATE = 0.92
POLICY_MONTH = dt.date(2025, 7, 1)  # matches policy_date in config/warnings.yaml
REBOUND_MONTHS = 6
SEED = 20190301

_REGIONS = {
    ("江北市", "Jiangbei"): [("清河县", ["城关镇", "柳林乡"]), ("平安县", ["平安镇", "石门乡"]),
                           ("东城区", ["东湖街道", "新华街道"])],
    ("南山市", "Nanshan"): [("石桥县", ["石桥镇", "青山乡"]), ("白云县", ["白云镇", "龙潭乡"])],
}
_DEPARTMENTS = ["农业农村局", "民政局", "卫生健康局", "应急管理局"]
_VILLAGES = ["和平村", "新河村", "大柳村", "王家庄村", "前进村", "红星村", "双桥村", "李家坪村"]
_COMMUNITIES = ["阳光社区", "幸福里社区", "春晖社区", "滨河社区"]

# Monthly base load per respondent, by kind of point: documents, meetings, forms, inspections.
_BASE = {
    "county_dept": (80, 16, 22, 3.0), "township": (120, 20, 28, 4.0), "village": (25, 9, 12, 2.5),
    "community": (35, 11, 16, 3.0), "enterprise": (20, 6, 8, 1.5), "school": (30, 7, 10, 2.0),
    "hospital": (28, 7, 9, 2.0),
}
_ONE_CUT = [
    "重复填报的各类报表", "同一件事多个工作群反复要求上报", "周末临时召开的视频调度会",
    "为迎检补台账、拍照留痕", "多个政务APP每天打卡积分", "层层加码的材料报送",
    "Forms that ask again for data we already reported", "",
]


@dataclass
class DemoBatch:
    points: list[Point] = field(default_factory=list)
    respondents: list[tuple] = field(default_factory=list)
    demo_codes: list[tuple] = field(default_factory=list)
    submissions: list[tuple] = field(default_factory=list)
    kept: list[tuple] = field(default_factory=list)
    answers: list[tuple] = field(default_factory=list)
    public_raters: list[tuple] = field(default_factory=list)

    def tables(self):
        yield ("point", ("point_id", "name", "level", "kind", "region", "active", "is_demo"),
               [(p.point_id, p.name, p.level, p.kind, list(p.region), True, True)
                for p in self.points])
        yield ("respondent", ("respondent_key", "point_id", "issued_at", "is_demo"), self.respondents)
        yield ("demo_code", ("code", "point_id"), self.demo_codes)
        yield ("public_rater", ("respondent_key", "point_id", "first_seen"), self.public_raters)
        yield ("submission", ("submission_id", "client_token", "respondent_key", "point_id",
                              "questionnaire_id", "version", "content_hash", "period_key",
                              "period_start", "revision", "started_at", "submitted_at",
                              "duration_s"), self.submissions)
        yield ("kept", ("respondent_key", "point_id", "questionnaire_id", "period_key",
                        "submission_id"), self.kept)
        yield ("answer", ("submission_id", "question_id", "row_id", "type", "indicator",
                          "value_num", "value_text", "value_bool", "value_date", "value_choices"),
               self.answers)


def demo_points() -> list[Point]:
    points: list[Point] = []

    def add(name, level, kind, region):
        points.append(Point(f"DEMO-{len(points) + 1:03d}", f"{name}(演示)", level, kind,
                            tuple(region), True, True))

    for (prefecture, _), counties in _REGIONS.items():
        for c_index, (county, townships) in enumerate(counties):
            for dept in _DEPARTMENTS[:2]:
                add(county + dept, "county", "county_dept", (prefecture, county))
            add(f"{county}第一中学", "county", "school", (prefecture, county))
            add(f"{county}人民医院", "county", "hospital", (prefecture, county))
            add(f"{county}供水公司", "county", "enterprise", (prefecture, county))
            for t_index, township in enumerate(townships):
                add(f"{township}人民政府", "township", "township", (prefecture, county, township))
                urban = county.endswith("区")
                names = _COMMUNITIES if urban else _VILLAGES
                count = 3 if t_index == 0 else 2
                for v in range(count):
                    name = names[(c_index * 3 + t_index * 2 + v) % len(names)]
                    add(f"{township}{name}", "village", "community" if urban else "village",
                        (prefecture, county, township))
    return points


def changed_points(rng: random.Random, points: list[Point]) -> tuple[set[str], set[str]]:
    """The demo's points that really change in the last six months (the warnings' true
    alarms): five rebound (反弹回潮), two move documents into chat groups and apps (明减暗增)."""
    chosen = rng.sample(points, 7)
    return {p.point_id for p in chosen[:5]}, {p.point_id for p in chosen[5:]}


def generate(qn: Questionnaire, code_key: bytes, today: dt.date | None = None,
             months: int = MONTHS, seed: int = SEED) -> DemoBatch:
    """Build the demo batch for the monthly questionnaire, ending with last month."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    last = periods.previous("month", periods.key_for("month", today))
    month_keys = periods.recent("month", periods.bounds("month", last)[0], months)[::-1]
    batch = DemoBatch(points=demo_points())
    rebound, shifting = changed_points(rng, batch.points)
    starts = [periods.bounds("month", m)[0] for m in month_keys]
    policy_index = next((i for i, d in enumerate(starts) if d >= POLICY_MONTH), 8)
    if not 3 <= policy_index <= len(starts) - 8:
        policy_index = 8
    questions = {q.id: q for q in qn.questions}
    issued = dt.datetime.combine(periods.bounds("month", month_keys[0])[0], dt.time(9))

    for point in batch.points:
        for r in range(RESPONDENTS_PER_POINT):
            code = codes.generate(rng)
            key = codes.pseudonym(code, code_key)
            batch.respondents.append((key, point.point_id, issued, True))
            if r == 0:
                batch.demo_codes.append((code, point.point_id))
            scale = rng.uniform(0.7, 1.3)
            for index, month in enumerate(month_keys):
                if rng.random() > RESPONSE_RATE:
                    continue
                load = _load_factor(index, policy_index, len(month_keys),
                                    point.point_id in rebound)
                shift = point.point_id in shifting and index >= len(month_keys) - REBOUND_MONTHS
                answers = _answers(rng, point.kind, scale * load, load, shift)
                start = periods.bounds("month", month)[1]
                submitted = dt.datetime.combine(start, dt.time(8)) + dt.timedelta(
                    days=rng.randint(-4, 5), minutes=rng.randint(0, 600))
                duration = round(rng.lognormvariate(math.log(150), 0.5), 1)
                sid = f"DEMO-{len(batch.submissions) + 1:06d}"
                batch.submissions.append((
                    sid, f"demo-{sid}", key, point.point_id, qn.id, qn.version, qn.content_hash,
                    month, periods.bounds("month", month)[0], 1,
                    submitted - dt.timedelta(seconds=duration), submitted, duration))
                batch.kept.append((key, point.point_id, qn.id, month, sid))
                for qid, value in answers.items():
                    batch.answers.extend((sid,) + row for row in answer_row(questions[qid], value))
    return batch


def add_public_ratings(batch: DemoBatch, qn: Questionnaire, code_key: bytes,
                       today: dt.date | None = None, seed: int = SEED) -> None:
    """Quarterly 万人评 ratings of the points that serve the public: better after the policy,
    worse again where burden rebounds."""
    import hashlib
    import hmac
    rng = random.Random(seed + 1)
    today = today or dt.date.today()
    months = [s[8] for s in batch.submissions]
    first = min(months) if months else today
    last_done = periods.previous("quarter", periods.key_for("quarter", today))
    quarters = periods.span("quarter", periods.key_for("quarter", first), last_done)
    questions = {q.id: q for q in qn.questions}
    for point in batch.points:
        if not qn.is_for_kind(point.kind):
            continue
        keys = [hmac.new(code_key, f"demo-rate:{point.point_id}:{i}".encode(),
                         hashlib.sha256).hexdigest()[:32] for i in range(PUBLIC_RATERS[1])]
        batch.public_raters += [(k, point.point_id, dt.datetime.combine(first, dt.time(9)))
                                for k in keys]
        for quarter in quarters:
            start, end = periods.bounds("quarter", quarter)
            better = 0.5 if start >= POLICY_MONTH else 0.0
            def score(shift: float = 0.0) -> str:
                return str(min(5, max(1, round(rng.gauss(3.3 + better + shift, 0.9)))))

            for key in rng.sample(keys, rng.randint(*PUBLIC_RATERS)):
                answers = {"overall": score(), "aspects": {"efficiency": score(-0.2),
                                                           "attitude": score(0.1)},
                           "visits": max(1, int(rng.expovariate(0.7)) + 1)}
                submitted = dt.datetime.combine(start, dt.time(10)) + dt.timedelta(
                    days=rng.randint(0, (end - start).days), minutes=rng.randint(0, 480))
                sid = f"DEMO-R{len(batch.submissions) + 1:06d}"
                batch.submissions.append((sid, f"demo-{sid}", key, point.point_id, qn.id,
                                          qn.version, qn.content_hash, quarter, start, 1,
                                          submitted - dt.timedelta(seconds=40), submitted, 40.0))
                batch.kept.append((key, point.point_id, qn.id, quarter, sid))
                for qid, value in answers.items():
                    batch.answers.extend((sid,) + row for row in answer_row(questions[qid], value))


def _load_factor(index: int, policy: int, total: int, rebounds: bool) -> float:
    """1.0 before the policy, easing to about 0.65 after it; rebound points climb back."""
    if index < policy:
        return 1.0
    factor = max(0.65, 1.0 - 0.09 * (index - policy + 1))
    if rebounds and index >= total - REBOUND_MONTHS:
        factor *= 1.0 + 0.12 * (index - (total - REBOUND_MONTHS) + 1)
    return factor


def _count(rng: random.Random, mean: float) -> int:
    return max(0, int(round(rng.gauss(mean, max(1.0, mean * 0.2)))))


def _half_hours(rng: random.Random, mean: float, top: float) -> float:
    return min(top, max(0.0, round(rng.gauss(mean, mean * 0.25) * 2) / 2))


def _answers(rng: random.Random, kind: str, load: float, trend: float, shift: bool = False
             ) -> dict:
    documents, meetings, forms, inspections = _BASE[kind]
    informal = 1.6 if shift else 1.0  # 明减暗增: notices move into chat groups and apps
    a: dict = {}
    a["documents"] = _count(rng, documents * load * (0.75 if shift else 1.0))
    if a["documents"] > 0:
        a["documents_action"] = min(a["documents"], _count(rng, a["documents"] * 0.35))
    a["meetings"] = _count(rng, meetings * load)
    a["meeting_hours"] = _half_hours(rng, 9.0 * load, 80)
    a["forms"] = _count(rng, forms * load)
    a["form_hours"] = _half_hours(rng, 8.0 * load, 80)
    if a["forms"] > 0:
        a["duplicate_forms"] = min(a["forms"], _count(rng, a["forms"] * 0.3 * trend))
    a["inspections"] = _count(rng, inspections * load)
    if a["inspections"] > 0:
        a["inspection_hours"] = _half_hours(rng, 4.0 * a["inspections"], 400)
    a["trace_demands"] = rng.random() < 0.55 * trend
    if a["trace_demands"]:
        a["trace_hours"] = _half_hours(rng, 3.0, 80) or 0.5
    a["apps"] = _count(rng, 7 * min(1.0, trend + 0.1) * informal)
    a["chat_groups"] = _count(rng, 16 * min(1.0, trend + 0.15) * informal)
    if a["chat_groups"] > 0:
        a["chat_pressure"] = rng.random() < 0.6 * trend
    lighter = trend < 0.9
    a["burden_change"] = str(min(5, max(1, round(rng.gauss(2.6 if lighter else 3.3, 0.8)))))
    a["satisfaction"] = str(min(5, max(1, round(rng.gauss(3.1 + (1 - trend) * 2.5, 0.8)))))
    if rng.random() < 0.15:
        text = rng.choice(_ONE_CUT)
        if text:
            a["one_cut"] = text
    return a


class DemoUnavailable(DomainError):
    """The demo's questionnaire is not published (SURVEY_QUESTIONNAIRES holds other forms)."""


def load(store: Store, today: dt.date | None = None, actor: str = "system") -> DemoBatch:
    """Generate and store demo data (once; a second call does nothing). Raises
    DemoUnavailable, changing nothing, when the built-in monthly questionnaire is not
    published: the demo's reports answer it, and publishing it here would put it in front of
    the deployment's real cadres."""
    if store.has_demo():
        return DemoBatch()
    qn = next((q for q in store.current_questionnaires() if q.id == DEMO_QUESTIONNAIRE), None)
    if qn is None:
        raise DemoUnavailable(
            f"demo data not loaded: it answers the built-in questionnaire '{DEMO_QUESTIONNAIRE}' "
            f"(questionnaires/{DEMO_QUESTIONNAIRE}.yaml), which is not published here (is "
            "SURVEY_QUESTIONNAIRES a folder of your own forms?). To try the demo, copy that file "
            "into the folder and publish it; to start without demo data, set SURVEY_DEMO=0.",
            f"未加载演示数据:演示数据回答的是内置问卷“{DEMO_QUESTIONNAIRE}”"
            f"(questionnaires/{DEMO_QUESTIONNAIRE}.yaml),本库未发布该问卷(SURVEY_QUESTIONNAIRES "
            "是否指向您自己的问卷文件夹?)。如需演示,请把该文件复制到文件夹中并发布;不需要演示数据"
            "请设置 SURVEY_DEMO=0。")
    batch = generate(qn, store.code_key, today)
    public = next((q for q in store.current_questionnaires() if q.id == PUBLIC_QUESTIONNAIRE), None)
    if public is not None:
        add_public_ratings(batch, public, store.code_key, today)
    store.load_demo(batch, actor)
    add_clues(store, batch.points, actor)
    demo_sources.load(store, today, actor)
    demo_sources.add_reports(store, batch, today)
    return batch


_CLUES = [
    ("meetings_documents", "county", "县农业农村局", "同一项工作一周内三次视频调度会,每次都要求村书记参会。"),
    ("meetings_documents", "county", "县 农业农村局", "调度会太多,通知在工作群里临时发。"),
    ("digital", "county", "县政务服务中心", "要求每天在三个政务APP上打卡,还要截图发群里。"),
    ("traces", "township", "镇党政办", "检查前要求补三年的会议记录台账,并重新拍照。"),
    ("escalation", "prefecture", "市卫健委", "市里要求的表格,县里又加了五项内容。"),
    ("inspections", "county", "县应急管理局", "一个月内同一事项来了四拨检查。"),
    ("plaques", "township", "镇综治办", "村部又要求挂两块新牌子。"),
    ("digital", "county", "县政务服务中心", "小程序积分排名每周通报。"),
]


def add_clues(store: Store, points: list[Point], actor: str = "system") -> None:
    """A few demo clues, some grouped (same body and category), some taken through the
    workflow, so the problem list has something to show."""
    from survey.store import clues
    villages = [p for p in points if p.kind in ("village", "community", "township")]
    for i, (category, level, body, text) in enumerate(_CLUES):
        point = villages[(i * 7) % len(villages)] if i not in (1, 7) else villages[0]
        clues.report(store, point.point_id, "code", category, level, body, None, text)
    problems = clues.problems(store, Filter())
    for _, row in problems.head(3).iterrows():
        clues.transition(store, row["problem_id"], "verifying", actor, "已转县减负办核查(演示)")
    if len(problems) > 3:
        first = problems.iloc[0]["problem_id"]
        clues.transition(store, first, "rectifying", actor, "情况属实,已发提示函(演示)")
