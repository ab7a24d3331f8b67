"""docs/schema.md, generated from the database itself so that it cannot drift from the views.

The relations listed are exactly the analysts' allow-list (survey.analyst_views); each needs a
description here, column by column."""

from __future__ import annotations

from survey.analyst_views import ANALYST_VIEWS
from survey.indicators import INDICATORS
from survey.store import Store, snapshot

VIEWS = {
    "points": ("One row per monitoring point.", {
        "point_id": "Stable id of the point.",
        "name": "Name of the point (demo points end in (演示)).",
        "level": "Administrative level: province, prefecture, county, township, village.",
        "kind": "Kind of point: county_dept, township, village, community, enterprise, school, hospital.",
        "region": "Region path, top down, e.g. [江北市, 清河县, 城关镇].",
        "prefecture": "region[1].",
        "county": "region[2] (NULL for a prefecture-level point).",
        "township": "region[3] (NULL above township level).",
        "active": "False once the point is no longer monitored.",
        "is_demo": "True for generated demo data; exclude it from real analysis.",
    }),
    "submissions": ("One row per kept submission: the latest revision of each respondent, point, "
                    "questionnaire and period.", {
        "submission_id": "Receipt id shown to the respondent.",
        "point_id": "The monitoring point (join points).",
        "questionnaire_id": "Questionnaire id, e.g. burden_monthly.",
        "questionnaire_version": "The exact published version answered.",
        "period_key": "Reporting period: 2026-11 (month), 2026-Q4 (quarter), 2026-W47 (ISO week).",
        "period_start": "First day of the period (DATE), for ordering and date arithmetic.",
        "submitted_at": "When it was submitted (server time).",
        "duration_s": "Seconds from opening the form to submitting (the only thing recorded about filling).",
        "respondent_key": "Pseudonym: keyed hash of the respondent code. No names are stored.",
        "revision": "1 for the first submission, 2 after one revision, ...",
        "is_demo": "True for demo data.",
    }),
    "submission_history": ("Every submission ever made, revisions included.", {
        "submission_id": "Receipt id.",
        "point_id": "The monitoring point.",
        "questionnaire_id": "Questionnaire id.",
        "questionnaire_version": "Version answered.",
        "period_key": "Reporting period.",
        "submitted_at": "When it was submitted.",
        "revision": "Revision number within respondent, point, questionnaire and period.",
        "respondent_key": "Pseudonym of the respondent.",
        "is_kept": "True for the revision that counts (the one in submissions).",
        "period_start": "First day of the period.",
    }),
    "answers": ("One row per answer of a kept submission (one per row of a matrix question), "
                "with typed value columns: exactly the column for the question's type is set.", {
        "submission_id": "The submission (join submissions).",
        "point_id": "The monitoring point.",
        "questionnaire_id": "Questionnaire id.",
        "period_key": "Reporting period.",
        "question_id": "Question id in the questionnaire YAML.",
        "row_id": "Matrix row id; '' for other questions.",
        "type": "Question type: integer, decimal, single_choice, multiple_choice, likert, yes_no, date, short_text, long_text, matrix.",
        "indicator": "Indicator key the question measures (see below), or NULL.",
        "value_num": "Numbers; likert and numeric choice codes; yes_no as 1/0; multiple_choice as the count selected.",
        "value_text": "Text answers (verbatim) and choice codes.",
        "value_bool": "yes_no answers.",
        "value_date": "date answers.",
        "value_choices": "multiple_choice answers: the list of selected codes.",
        "label_zh": "Chinese label of the chosen code(s) for choice, likert and matrix answers ('; ' between several).",
        "label_en": "English label of the chosen code(s) (Chinese where there is none).",
        "period_start": "First day of the period.",
        "other_text": "What the respondent typed for the question's \"other\" choice (other: true, e.g. 其他(请注明)), verbatim; NULL otherwise.",
    }),
    "indicator_values": ("One row per kept submission and indicator: the numeric value, "
                         "comparable across questionnaire versions. Start here for trends.", {
        "submission_id": "The submission.",
        "point_id": "The monitoring point.",
        "questionnaire_id": "Questionnaire id.",
        "questionnaire_version": "Version answered.",
        "period_key": "Reporting period.",
        "period_start": "First day of the period.",
        "respondent_key": "Pseudonym of the respondent (count distinct for group sizes).",
        "indicator": "Indicator key (see the table below).",
        "value": "The value, in the indicator's unit.",
    }),
    "problem_reports": ("One row per problem report (clue), anonymised: no description (free "
                        "text can name its writer), the month instead of the moment, the county "
                        "only when it has at least k points and the reporting point only when at "
                        "least k reports came from it (k = snapshot_info.k_anonymity, default 5).", {
        "problem_id": "The problem the report was grouped into (same county, category and body).",
        "category": "Kind of burden: meetings_documents, inspections, traces, digital, duties_without_powers, plaques, escalation, other.",
        "body_level": "Level of the body that caused it: province, prefecture, county, township, other.",
        "body_name": "The body that caused it, as reported.",
        "via": "How it came in: code (a cadre with a respondent code) or public.",
        "reported_month": "First day of the month it was reported.",
        "happened": "When it happened, as the reporter gave it (a month), or NULL.",
        "problem_status": "Where the problem stands: new, verifying, rectifying, closed, dismissed.",
        "prefecture": "Prefecture of the reporting point.",
        "county": "County of the reporting point; NULL when the county has fewer than k points.",
        "point_id": "The reporting point; NULL unless at least k reports came from that point.",
        "is_demo": "True for demo data.",
    }),
    "point_codes": ("One row per point that has respondent codes: how many were issued and how "
                    "many are still in use (counts only; codes and their keys never reach "
                    "analysts). Response rate = respondents who submitted / codes_active.", {
        "point_id": "The monitoring point (join points).",
        "codes_issued": "Respondent codes ever issued for the point.",
        "codes_active": "Codes not revoked: the people expected to answer.",
    }),
    "form_flow": ("One row per kept submission filled since fill records began (migration 010): "
                  "what the form asked and how filling went, for the form's own burden "
                  "(survey.form_burden).", {
        "submission_id": "The submission (join submissions).",
        "point_id": "The monitoring point.",
        "questionnaire_id": "Questionnaire id.",
        "questionnaire_version": "Version answered.",
        "period_key": "Reporting period.",
        "period_start": "First day of the period.",
        "revision": "Revision number (1 = first submission).",
        "duration_s": "Seconds from opening the form to submitting.",
        "items_asked": "Questions asked (relevance applied).",
        "confirmed_unchanged": "True when the respondent confirmed \"nothing changed since last period\" and changed nothing.",
        "soft_checks": "Soft plausibility checks asked (\"very different from your recent months, please confirm\").",
        "soft_checks_confirmed": "Of those, answers kept on confirmation (the others were corrected).",
        "is_demo": "True for demo data.",
    }),
    "soft_checks": ("One row per soft plausibility check asked in a kept submission: a number far "
                    "from the respondent's own recent months, and whether it was confirmed.", {
        "submission_id": "The submission (join submissions).",
        "point_id": "The monitoring point.",
        "questionnaire_id": "Questionnaire id.",
        "questionnaire_version": "Version answered.",
        "period_key": "Reporting period.",
        "period_start": "First day of the period.",
        "question_id": "The question checked.",
        "value": "The answer that was checked.",
        "reference": "Median of the respondent's recent months it was compared with.",
        "confirmed": "True: the respondent confirmed the answer and it stands; false: they corrected it (the submitted answer is in answers).",
        "is_demo": "True for demo data.",
    }),
    "bodies": ("One row per version of an upper-level body that sends documents, "
               "meetings, forms and inspections down: a rename or a merge adds a version, the "
               "body_id stays (`docs/sources.md`).", {
        "body_id": "Stable id of the body (B-0001); the same before and after a rename.",
        "revision": "1, 2, ... in the order the versions were recorded.",
        "valid_from": "First day this version applies (a rename's day).",
        "valid_to": "First day of the next version, NULL for the current one.",
        "short_name": "Short name, as the register gives it.",
        "full_name": "Full name, as the register gives it.",
        "kind": "party, government, department, township (a township's Party committee or government), other.",
        "region": "Region path of the body, top down.",
        "prefecture": "region[1].", "county": "region[2].", "township": "region[3].",
        "merged_into": "From valid_from on, the body that took this one over (NULL if not merged).",
        "is_demo": "True for demo data.",
    }),
    "plan_items": ("One row per version of a filed plan item (a planned inspection, check, assessment or research visit): revision 1 is what "
                   "was filed, later revisions are changes after filing. A version counts as "
                   "filed for a month only if effective_at is before the month began "
                   "(`docs/sources.md`).", {
        "item_id": "Stable id of the item, e.g. P-2026-0001.",
        "year": "The plan's year.",
        "revision": "1 for the filing, 2, ... for each change after it.",
        "body_id": "The body that plans it (join bodies).",
        "activity": "inspection, check, assessment or research (a research visit).",
        "subject": "What is inspected, as filed.",
        "month": "Planned month, e.g. 2026-05.",
        "scope_region": "The area it goes to (every point under this region path) ...",
        "scope_points": "... or, when not empty, only these point ids.",
        "withdrawn": "True when this change took the item out of the plan.",
        "effective_at": "Counts as filed from: the filing time for revision 1, the change's time after.",
        "is_current": "True for the item's latest version.",
        "is_demo": "True for demo data.",
    }),
    "duty_list": ("One row per task on a region's township duty list: what its "
                  "townships or villages are responsible for, and what they only assist with.", {
        "duty_id": "Row id.",
        "region": "The region whose list it is.",
        "prefecture": "region[1].", "county": "region[2].", "township": "region[3].",
        "level": "township or village.",
        "task": "The task, as listed.",
        "role": "responsible (a statutory duty) or assists (only assists).",
        "basis": "The law or document it rests on ('' if none given).",
        "is_demo": "True for demo data.",
    }),
    "source_burden": ("Documents, meetings, forms and inspections that cadres attribute to an "
                      "upper-level body, one row per county, month, body and topic, from kept "
                      "submissions. Only rows reported by at least k monitoring points (the "
                      "snapshot's k_anonymity); no point is named.", {
        "prefecture": "Prefecture of the reporting points.",
        "county": "County of the reporting points (NULL for prefecture-level points).",
        "month": "The month reported on, e.g. 2026-05.",
        "body_id": "The body (join bodies); a merged body counts as the body it was merged into.",
        "topic": "documents, meetings, forms (the count of each cadre who named the body as a "
                 "main source, split evenly over the bodies they named) or inspections (visits "
                 "reported per point: several cadres of one point count once, the most any "
                 "reported).",
        "amount": "The attributed count.",
        "points": "Monitoring points behind the figure (at least k).",
        "is_demo": "True for demo data.",
    }),
    "off_plan_findings": ("Inspections, checks, assessments and research visits reported by "
                          "cadres that the body's filed plan did not cover (off plan, "
                          "docs/sources.md), one row per county, month, body and reason. Only "
                          "rows reported by at least k monitoring points; no point is named.", {
        "prefecture": "Prefecture of the reporting points.",
        "county": "County of the reporting points.",
        "month": "The month of the inspection.",
        "body_id": "The body (join bodies); NULL when the cadre typed a name no body matches.",
        "body_named": "The name typed for such an inspection (verbatim); '' otherwise.",
        "reason": "not_filed (never in a filed plan) or filed_late (filed or changed only "
                  "after the month began).",
        "inspections": "Off-plan inspections (several cadres of one point count once).",
        "points": "Monitoring points that reported them (at least k).",
        "is_demo": "True for demo data.",
    }),
}
# The same meanings in Chinese, for the workbench's schema browser in the Chinese interface
# (docs/schema.md stays English; a test checks that both cover the same columns).
VIEWS_ZH = {
    "points": ("每个监测点一行。", {
        "point_id": "监测点的固定编号。", "name": "监测点名称(演示数据以“(演示)”结尾)。",
        "level": "行政层级:province 省、prefecture 市、county 县、township 乡镇、village 村。",
        "kind": "监测点类型代码:county_dept 县级部门、township 乡镇、village 村、community 社区、enterprise 国企/事业单位、school 学校、hospital 医院。",
        "region": "所属地区路径,自上而下,如 [江北市, 清河县, 城关镇]。",
        "prefecture": "所属市(region[1])。", "county": "所属县/区(region[2];市级监测点为空)。",
        "township": "所属乡镇(region[3];乡镇以上为空)。", "active": "停止监测后为 false。",
        "is_demo": "演示数据为 true;正式分析请排除。",
    }),
    "submissions": ("每份有效提交一行:每个填报人、监测点、问卷和填报期的最新一版。", {
        "submission_id": "提交编号(即回执编号)。", "point_id": "监测点(可关联 points)。",
        "questionnaire_id": "问卷编号,如 burden_monthly。", "questionnaire_version": "所答问卷的发布版本。",
        "period_key": "填报期:2026-11(月)、2026-Q4(季)、2026-W47(周)。",
        "period_start": "填报期第一天(DATE),用于排序和日期计算。", "submitted_at": "提交时间(服务器时间)。",
        "duration_s": "从打开问卷到提交的秒数(填报过程中唯一记录的信息)。",
        "respondent_key": "化名:填报码的加密摘要。不保存姓名。",
        "revision": "首次提交为 1,修改一次后为 2,依此类推。", "is_demo": "演示数据为 true。",
    }),
    "submission_history": ("每一次提交,含历次修改。", {
        "submission_id": "提交编号。", "point_id": "监测点。", "questionnaire_id": "问卷编号。",
        "questionnaire_version": "所答版本。", "period_key": "填报期。", "submitted_at": "提交时间。",
        "revision": "同一填报人、监测点、问卷和填报期内的修改序号。", "respondent_key": "填报人化名。",
        "is_kept": "计入统计的那一版(即 submissions 中的一版)为 true。", "period_start": "填报期第一天。",
    }),
    "answers": ("有效提交的每个答案一行(矩阵题每行一条),按题型只填对应的值列。", {
        "submission_id": "所属提交(可关联 submissions)。", "point_id": "监测点。", "questionnaire_id": "问卷编号。",
        "period_key": "填报期。", "question_id": "问卷 YAML 中的题目编号。", "row_id": "矩阵题的行编号;其他题为空字符串。",
        "type": "题型:integer、decimal、single_choice、multiple_choice、likert、yes_no、date、short_text、long_text、matrix。",
        "indicator": "该题测量的指标代码(见下表),或为空。",
        "value_num": "数值;量表和数字选项代码;是否题为 1/0;多选题为所选个数。",
        "value_text": "文字答案(原样保存)和选项代码。", "value_bool": "是否题的答案。", "value_date": "日期题的答案。",
        "value_choices": "多选题所选代码的列表。",
        "label_zh": "选择题、量表题、矩阵题所选项的中文标签(多个以“; ”分隔)。",
        "label_en": "所选项的英文标签(无英文时为中文)。", "period_start": "填报期第一天。",
        "other_text": "选了“其他(请注明)”(other: true)时填写的具体内容,原样保存;否则为空。",
    }),
    "indicator_values": ("每份有效提交的每个指标一行:数值,跨问卷版本可比。做趋势从这里开始。", {
        "submission_id": "所属提交。", "point_id": "监测点。", "questionnaire_id": "问卷编号。",
        "questionnaire_version": "所答版本。", "period_key": "填报期。", "period_start": "填报期第一天。",
        "respondent_key": "填报人化名(计算组内人数时去重计数)。", "indicator": "指标代码(见下表)。",
        "value": "指标值,单位见指标表。",
    }),
    "problem_reports": ("每条问题反映(线索)一行,已匿名:不含情况说明(文字可能暴露写作者),只给月份不给时刻;"
                        "所属县只在该县至少有 k 个监测点时给出,反映来源监测点只在该点至少有 k 条反映时给出"
                        "(k 见 snapshot_info.k_anonymity,默认 5)。", {
        "problem_id": "归并后的问题编号(同一县、类型和单位)。",
        "category": "负担类型:meetings_documents 文山会海、inspections 督查检查、traces 过度留痕、digital 指尖形式主义、duties_without_powers 权责不对等、plaques 挂牌、escalation 层层加码、other 其他。",
        "body_level": "造成问题的单位层级:province、prefecture、county、township、other。",
        "body_name": "反映中填写的单位名称。", "via": "来源:code(干部凭填报码)或 public(群众)。",
        "reported_month": "反映所在月份的第一天。", "happened": "反映人填写的发生月份,或为空。",
        "problem_status": "问题进展:new 新线索、verifying 核查中、rectifying 整改中、closed 已销号、dismissed 不予处理。",
        "prefecture": "反映来源监测点所属市。", "county": "反映来源监测点所属县;该县监测点少于 k 个时为空。",
        "point_id": "反映来源监测点;该点反映少于 k 条时为空。", "is_demo": "演示数据为 true。",
    }),
    "point_codes": ("每个已发放填报码的监测点一行:已发放和仍有效的填报码数(只有数量;填报码及其摘要不会给到分析人员)。"
                    "填报率 = 已提交的填报人数 / codes_active。", {
        "point_id": "监测点(可关联 points)。", "codes_issued": "该点累计发放的填报码数。",
        "codes_active": "未停用的填报码数:应当填报的人数。",
    }),
    "form_flow": ("自开始记录填报过程(迁移 010)以来每份有效提交一行:问卷问了什么、填报过程如何,用于衡量问卷本身的负担。", {
        "submission_id": "所属提交(可关联 submissions)。", "point_id": "监测点。", "questionnaire_id": "问卷编号。",
        "questionnaire_version": "所答版本。", "period_key": "填报期。", "period_start": "填报期第一天。",
        "revision": "修改序号(1 = 首次提交)。", "duration_s": "从打开问卷到提交的秒数。",
        "items_asked": "实际询问的题数(已按跳转条件)。",
        "confirmed_unchanged": "填报人确认“与上期相同”且未作任何修改时为 true。",
        "soft_checks": "提示“与上期差异较大,请确认”的次数。",
        "soft_checks_confirmed": "其中确认无误、保留原答案的次数(其余已改正)。", "is_demo": "演示数据为 true。",
    }),
    "soft_checks": ("有效提交中每次合理性提示一行:与本人近几期差异很大的数字,以及是否确认。", {
        "submission_id": "所属提交(可关联 submissions)。", "point_id": "监测点。", "questionnaire_id": "问卷编号。",
        "questionnaire_version": "所答版本。", "period_key": "填报期。", "period_start": "填报期第一天。",
        "question_id": "被提示的题目。", "value": "被提示的答案。", "reference": "用于比较的本人近几期中位数。",
        "confirmed": "true:填报人确认无误、答案保留;false:已改正(提交的答案见 answers)。", "is_demo": "演示数据为 true。",
    }),
    "bodies": ("上级部门/单位每个版本一行:更名或合并会增加一个版本,单位编号不变(见 `docs/sources.md`)。", {
        "body_id": "单位编号(如 B-0001),更名前后相同。", "revision": "版本序号,按记录先后为 1、2……",
        "valid_from": "该版本生效的第一天(更名日)。", "valid_to": "下一版本生效日;当前版本为 NULL。",
        "short_name": "简称,如 县教育局。", "full_name": "全称,如 清河县教育局。",
        "kind": "类型:party 党委、government 政府、department 部门、township 镇街、other 其他。",
        "region": "单位所属地区(自上而下)。", "prefecture": "region[1]。", "county": "region[2]。",
        "township": "region[3]。", "merged_into": "自 valid_from 起并入的单位(未合并为 NULL)。",
        "is_demo": "演示数据为 true。",
    }),
    "plan_items": ("督检考计划备案事项每个版本一行:版本 1 为备案内容,之后每次变更一版。某版本只有在 effective_at "
                   "早于某月第一天时才算该月已备案(见 `docs/sources.md`)。", {
        "item_id": "事项编号,如 P-2026-0001。", "year": "计划年度。",
        "revision": "1 为备案,2、3……为备案后的变更。", "body_id": "计划单位(可关联 bodies)。",
        "activity": "类型:inspection 督查、check 检查、assessment 考核、research 调研。",
        "subject": "督检考事项(按备案填写)。", "month": "计划月份,如 2026-05。",
        "scope_region": "覆盖地区(该地区下所有监测点)……", "scope_points": "……或(不为空时)仅这些监测点。",
        "withdrawn": "该次变更撤销了该事项时为 true。",
        "effective_at": "自何时起算作已备案:版本 1 为备案时间,之后为变更时间。",
        "is_current": "事项的最新版本为 true。", "is_demo": "演示数据为 true。",
    }),
    "duty_list": ("镇街职责清单每项一行:该地区乡镇或村承担的法定职责和协同配合事项。", {
        "duty_id": "行编号。", "region": "清单所属地区。", "prefecture": "region[1]。",
        "county": "region[2]。", "township": "region[3]。", "level": "township 镇街或 village 村/社区。",
        "task": "事项(按清单填写)。", "role": "responsible 法定职责或 assists 协同配合。",
        "basis": "依据的法律或文件(未填为空)。", "is_demo": "演示数据为 true。",
    }),
    "source_burden": ("基层干部归因于上级单位的文件、会议、报表和督检考,每个县、月份、单位和类别一行,"
                      "来自保留的提交。只含至少 k 个监测点报告的行;不显示监测点。", {
        "prefecture": "报告监测点所在的市。", "county": "报告监测点所在的县(市级监测点为空)。",
        "month": "报告的月份,如 2026-05。",
        "body_id": "单位(关联 bodies);已合并的单位计入合并后的单位。",
        "topic": "documents 文件、meetings 会议、forms 报表(干部当月数量按其所选主要来源单位平均分摊)"
                 "或 inspections 督检考(按监测点计,同一监测点多人报告取最多者)。",
        "amount": "归因的数量。", "points": "报告的监测点数(至少 k 个)。",
        "is_demo": "演示数据为 true。",
    }),
    "off_plan_findings": ("干部报告而单位备案计划未覆盖的督查、检查、考核、调研(未备案督检考),"
                          "每个县、月份、单位和情形一行。只含至少 k 个监测点报告的行;不显示监测点。", {
        "prefecture": "报告监测点所在的市。", "county": "报告监测点所在的县。",
        "month": "督检考的月份。",
        "body_id": "单位(关联 bodies);干部填写的名称无法对应单位时为空。",
        "body_named": "此时干部填写的名称(原样);否则为空字符串。",
        "reason": "not_filed 未备案,或 filed_late 当月开始后才备案或变更。",
        "inspections": "未备案督检考次数(同一监测点多人报告只计一次)。",
        "points": "报告的监测点数(至少 k 个)。", "is_demo": "演示数据为 true。",
    }),
}


def view_meanings(lang: str) -> dict:
    """View -> (about, {column: meaning}) in the interface language."""
    return VIEWS_ZH if lang == "zh" else VIEWS


SNAPSHOT_INFO = ("`snapshot_info` (one row, in the snapshot only): `created_at` when it was "
                 "taken, `schema_version` the database migration it reflects, `k_anonymity` the "
                 "small-group threshold used for `problem_reports`.")


class SchemaDocError(RuntimeError):
    pass


def render(store: Store) -> str:
    columns = snapshot.columns(store)
    missing = [v for v in ANALYST_VIEWS if v not in VIEWS]
    undocumented = [f"{v}.{c}" for v, cols in columns.items() for c, _ in cols
                    if v in VIEWS and c not in VIEWS[v][1]]
    if missing or undocumented:
        raise SchemaDocError("undocumented analyst views or columns: " +
                             ", ".join(missing + undocumented) +
                             "; describe them in survey/schema_doc.py")
    out = ["# Database views (the analysts' contract)", "",
           "Generated from the database by `python -m survey schema-doc --write`; a test fails "
           "when this file is out of date. Query these views, not the tables behind them: "
           "view names and columns are stable, tables may change through migrations.", "",
           "These are also exactly the tables of the analytics snapshot "
           "(`data/analytics.duckdb`) and all the SQL workbench can read: the list is an "
           "allow-list (`survey/analyst_views.py`), so nothing else (accounts, sessions, "
           "drafts, the audit log, codes, keys, or a table added later) reaches analysts. "
           + SNAPSHOT_INFO, ""]
    for view in ANALYST_VIEWS:
        about, described = VIEWS[view]
        out += [f"## `{view}`", "", about, "", "| column | type | meaning |", "|---|---|---|"]
        out += [f"| `{c}` | {dtype} | {described[c]} |" for c, dtype in columns.get(view, [])]
        out.append("")
    out += ["## Indicators", "", "Values of `indicator_values.indicator` and `answers.indicator`.",
            "", "| key | 中文 | English | unit | lower is better |", "|---|---|---|---|---|"]
    out += [f"| `{i.key}` | {i.zh} | {i.en} | {i.unit_zh} / {i.unit_en} | "
            f"{'yes' if i.lower_is_better else 'no'} |" for i in INDICATORS.values()]
    return "\n".join(out) + "\n"
