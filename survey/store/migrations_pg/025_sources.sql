-- 025 (PostgreSQL): as migrations/025_sources.sql: bodies, filed plans and duty lists
-- (issue 20, docs/sources.md), and their analysts' views in schema analyst.
CREATE TABLE body (
    body_id text NOT NULL,
    created_at timestamp NOT NULL,
    created_by text NOT NULL,
    is_demo boolean NOT NULL,
    PRIMARY KEY (body_id)
);
CREATE TABLE body_version (
    body_id text NOT NULL,
    revision integer NOT NULL,
    valid_from date NOT NULL,
    region text[] NOT NULL,
    short_name text NOT NULL,
    full_name text NOT NULL,
    kind text NOT NULL,
    merged_into text,
    recorded_at timestamp NOT NULL,
    recorded_by text NOT NULL,
    PRIMARY KEY (body_id, revision)
);
CREATE TABLE plan_item (
    item_id text NOT NULL,
    year integer NOT NULL,
    is_demo boolean NOT NULL,
    PRIMARY KEY (item_id)
);
CREATE TABLE plan_version (
    item_id text NOT NULL,
    revision integer NOT NULL,
    body_id text NOT NULL,
    activity text NOT NULL,
    subject text NOT NULL,
    month text NOT NULL,
    scope_region text[] NOT NULL,
    scope_points text[] NOT NULL,
    withdrawn boolean NOT NULL,
    effective_at timestamp NOT NULL,
    recorded_at timestamp NOT NULL,
    recorded_by text NOT NULL,
    note text NOT NULL,
    PRIMARY KEY (item_id, revision)
);
CREATE TABLE duty_item (
    duty_id text NOT NULL,
    region text[] NOT NULL,
    level text NOT NULL,
    task text NOT NULL,
    role text NOT NULL,
    basis text NOT NULL,
    recorded_at timestamp NOT NULL,
    recorded_by text NOT NULL,
    is_demo boolean NOT NULL,
    PRIMARY KEY (duty_id)
);

CREATE OR REPLACE VIEW analyst.bodies AS
SELECT v.body_id, v.revision, v.valid_from,
       lead(v.valid_from) OVER (PARTITION BY v.body_id ORDER BY v.valid_from, v.revision)
           AS valid_to,
       v.short_name, v.full_name, v.kind, v.region,
       v.region[1] AS prefecture, v.region[2] AS county, v.region[3] AS township,
       v.merged_into, b.is_demo
FROM public.body_version v
JOIN public.body b USING (body_id);

CREATE OR REPLACE VIEW analyst.plan_items AS
SELECT v.item_id, i.year, v.revision, v.body_id, v.activity, v.subject, v.month,
       v.scope_region, v.scope_points, v.withdrawn, v.effective_at,
       (v.revision = max(v.revision) OVER (PARTITION BY v.item_id)) AS is_current, i.is_demo
FROM public.plan_version v
JOIN public.plan_item i USING (item_id);

CREATE OR REPLACE VIEW analyst.duty_list AS
SELECT duty_id, region, region[1] AS prefecture, region[2] AS county, region[3] AS township,
       level, task, role, basis, is_demo
FROM public.duty_item;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'survey_analyst') THEN
        GRANT SELECT ON analyst.bodies, analyst.plan_items, analyst.duty_list TO survey_analyst;
    END IF;
END
$$;
