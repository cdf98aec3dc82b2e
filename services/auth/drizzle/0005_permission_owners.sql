-- Each permission now belongs to the service that checks it; that service declares it (and the
-- roles that get it) at start. These rows came from 0001 and 0002: hand them to their owners,
-- so that a service dropping one of them later removes it.
ALTER TABLE "permissions" ADD COLUMN "service" text;
--> statement-breakpoint
UPDATE "permissions" SET "service" = 'main'
  WHERE "name" IN ('posts:write', 'posts:edit-any', 'categories:manage');
--> statement-breakpoint
UPDATE "permissions" SET "service" = 'analytics' WHERE "name" LIKE 'analytics:%';
--> statement-breakpoint
UPDATE "permissions" SET "service" = 'auth' WHERE "name" = 'users:manage';
