CREATE TABLE "rollup_state" (
	"store" text PRIMARY KEY NOT NULL,
	"covered_from" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sample_rollups_1h" (
	"time" timestamp with time zone NOT NULL,
	"service" text NOT NULL,
	"route" text NOT NULL,
	"requests" integer NOT NULL,
	"errors" integer NOT NULL,
	"hist" jsonb NOT NULL,
	CONSTRAINT "sample_rollups_1h_time_service_route_pk" PRIMARY KEY("time","service","route")
);
--> statement-breakpoint
CREATE TABLE "sample_rollups_1m" (
	"time" timestamp with time zone NOT NULL,
	"service" text NOT NULL,
	"route" text NOT NULL,
	"requests" integer NOT NULL,
	"errors" integer NOT NULL,
	"hist" jsonb NOT NULL,
	CONSTRAINT "sample_rollups_1m_time_service_route_pk" PRIMARY KEY("time","service","route")
);
--> statement-breakpoint
-- Adds two sparse histograms (bucket -> count): how a rollup row takes in more samples.
CREATE FUNCTION "hist_add"(a jsonb, b jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT coalesce(jsonb_object_agg(k, n), '{}'::jsonb) FROM (
		SELECT k, sum(v::int) AS n
		FROM (SELECT * FROM jsonb_each_text(a) UNION ALL SELECT * FROM jsonb_each_text(b)) AS x(k, v)
		GROUP BY k
	) AS y
$$;
--> statement-breakpoint
-- Samples stored before rollups existed are rolled up once, here; later ones as they are inserted.
-- The bucket expression is BUCKET_SQL of src/store/histogram.ts.
INSERT INTO "sample_rollups_1m" ("time", "service", "route", "requests", "errors", "hist")
SELECT t, service, route, sum(n), sum(e), jsonb_object_agg(bucket, n) FROM (
	SELECT date_bin('1 minute', occurred_at, timestamptz '1970-01-01T00:00:00Z') AS t, service, route,
		CASE WHEN duration_ms <= 0.1 THEN 0 ELSE least(159, ceil(ln(duration_ms / 0.1::float8) / ln(1.1::float8))::int) END AS bucket,
		count(*) AS n, count(*) FILTER (WHERE status >= 500) AS e
	FROM "samples" GROUP BY 1, 2, 3, 4
) AS g GROUP BY 1, 2, 3;
--> statement-breakpoint
INSERT INTO "sample_rollups_1h" ("time", "service", "route", "requests", "errors", "hist")
SELECT t, service, route, sum(n), sum(e), jsonb_object_agg(bucket, n) FROM (
	SELECT date_bin('1 hour', occurred_at, timestamptz '1970-01-01T00:00:00Z') AS t, service, route,
		CASE WHEN duration_ms <= 0.1 THEN 0 ELSE least(159, ceil(ln(duration_ms / 0.1::float8) / ln(1.1::float8))::int) END AS bucket,
		count(*) AS n, count(*) FILTER (WHERE status >= 500) AS e
	FROM "samples" GROUP BY 1, 2, 3, 4
) AS g GROUP BY 1, 2, 3;
