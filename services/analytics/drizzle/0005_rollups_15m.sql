CREATE TABLE "sample_rollups_15m" (
	"time" timestamp with time zone NOT NULL,
	"service" text NOT NULL,
	"route" text NOT NULL,
	"requests" integer NOT NULL,
	"errors" integer NOT NULL,
	"hist" jsonb NOT NULL,
	CONSTRAINT "sample_rollups_15m_time_service_route_pk" PRIMARY KEY("time","service","route")
);
--> statement-breakpoint
-- As in 0002: the samples already stored, rolled up once; later ones as they are inserted.
INSERT INTO "sample_rollups_15m" ("time", "service", "route", "requests", "errors", "hist")
SELECT t, service, route, sum(n), sum(e), jsonb_object_agg(bucket, n) FROM (
	SELECT date_bin('15 minutes', occurred_at, timestamptz '1970-01-01T00:00:00Z') AS t, service, route,
		CASE WHEN duration_ms <= 0.1 THEN 0 ELSE least(159, ceil(ln(duration_ms / 0.1::float8) / ln(1.1::float8))::int) END AS bucket,
		count(*) AS n, count(*) FILTER (WHERE status >= 500) AS e
	FROM "samples" GROUP BY 1, 2, 3, 4
) AS g GROUP BY 1, 2, 3;
