-- 025: where the burden comes from (issue 20). The upper-level bodies that send documents,
-- meetings, forms and inspections down (上级部门/单位), their filed annual plans of inspections
-- (督检考计划备案), and each region's township duty list (镇街职责清单/白名单). docs/sources.md.
-- New tables only (no ALTER TABLE: duckdb#20543); the analysts' views are at the end.

-- A body keeps its id for life; what it is called, where and what kind it is are versions,
-- so a rename or a merge keeps the body's history (survey/store/bodies.py).
CREATE TABLE body (
    body_id     VARCHAR PRIMARY KEY,
    created_at  TIMESTAMP NOT NULL,
    created_by  VARCHAR NOT NULL,
    is_demo     BOOLEAN NOT NULL
);
CREATE TABLE body_version (
    body_id     VARCHAR NOT NULL,
    revision    INTEGER NOT NULL,      -- 1, 2, ... in the order recorded
    valid_from  DATE NOT NULL,         -- the day this version took effect (a rename's day)
    region      VARCHAR[] NOT NULL,    -- prefecture, county[, township] the body belongs to
    short_name  VARCHAR NOT NULL,      -- 县教育局
    full_name   VARCHAR NOT NULL,      -- 某某县教育局
    kind        VARCHAR NOT NULL,      -- party | government | department | township | other
    merged_into VARCHAR,               -- set from valid_from on: the body that took it over
    recorded_at TIMESTAMP NOT NULL,
    recorded_by VARCHAR NOT NULL,
    PRIMARY KEY (body_id, revision)
);

-- A filed plan item: one planned inspection, check, assessment or research visit. Revision 1
-- is what was filed; each change after filing is a new revision, with who and when. A version
-- counts as filed from effective_at (survey/sources.py says for which months).
CREATE TABLE plan_item (
    item_id     VARCHAR PRIMARY KEY,   -- P-2026-0001
    year        INTEGER NOT NULL,
    is_demo     BOOLEAN NOT NULL
);
CREATE TABLE plan_version (
    item_id      VARCHAR NOT NULL,
    revision     INTEGER NOT NULL,
    body_id      VARCHAR NOT NULL,
    activity     VARCHAR NOT NULL,     -- inspection 督查 | check 检查 | assessment 考核 | research 调研
    subject      VARCHAR NOT NULL,     -- what: 安全生产专项检查
    month        VARCHAR NOT NULL,     -- 2026-05
    scope_region VARCHAR[] NOT NULL,   -- the area it goes to (every point under it) ...
    scope_points VARCHAR[] NOT NULL,   -- ... or, when not empty, only these points
    withdrawn    BOOLEAN NOT NULL,     -- taken out of the plan by this change
    effective_at TIMESTAMP NOT NULL,   -- filed from: the filing day for revision 1, else recorded_at
    recorded_at  TIMESTAMP NOT NULL,
    recorded_by  VARCHAR NOT NULL,
    note         VARCHAR NOT NULL,     -- why it changed ('' for the filing)
    PRIMARY KEY (item_id, revision)
);

-- The duty list of a region: what its townships or villages are responsible for (法定职责)
-- and what they only assist with (协同配合). An import replaces a region's list.
CREATE TABLE duty_item (
    duty_id     VARCHAR PRIMARY KEY,
    region      VARCHAR[] NOT NULL,
    level       VARCHAR NOT NULL,      -- township | village
    task        VARCHAR NOT NULL,
    role        VARCHAR NOT NULL,      -- responsible | assists
    basis       VARCHAR NOT NULL,      -- the law or document it rests on ('' if none given)
    recorded_at TIMESTAMP NOT NULL,
    recorded_by VARCHAR NOT NULL,
    is_demo     BOOLEAN NOT NULL
);

-- Analysts: each body's versions, each plan item's versions, the duty lists. Who recorded a
-- change is the audit log's (private) and is left out.
CREATE OR REPLACE VIEW bodies AS
SELECT v.body_id, v.revision, v.valid_from,
       lead(v.valid_from) OVER (PARTITION BY v.body_id ORDER BY v.valid_from, v.revision)
           AS valid_to,
       v.short_name, v.full_name, v.kind, v.region,
       v.region[1] AS prefecture, v.region[2] AS county, v.region[3] AS township,
       v.merged_into, b.is_demo
FROM body_version v
JOIN body b USING (body_id);

CREATE OR REPLACE VIEW plan_items AS
SELECT v.item_id, i.year, v.revision, v.body_id, v.activity, v.subject, v.month,
       v.scope_region, v.scope_points, v.withdrawn, v.effective_at,
       (v.revision = max(v.revision) OVER (PARTITION BY v.item_id)) AS is_current, i.is_demo
FROM plan_version v
JOIN plan_item i USING (item_id);

CREATE OR REPLACE VIEW duty_list AS
SELECT duty_id, region, region[1] AS prefecture, region[2] AS county, region[3] AS township,
       level, task, role, basis, is_demo
FROM duty_item;
