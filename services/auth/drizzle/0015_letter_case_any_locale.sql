-- Emails and usernames are unique in ASCII letter case, whatever the database's locale: lower()
-- follows it, and in a Turkish one lower('I') is the dotless 'ı', so 'ILKER@…' and 'ilker@…' were
-- two addresses. Collation "C" folds A-Z alone (auth accepts only ASCII in both). A database
-- made in such a locale that already holds two accounts so differing fails here: merge or rename
-- one of them first.
DROP INDEX "users_email_key";--> statement-breakpoint
DROP INDEX "users_username_key";--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_key" ON "users" USING btree (lower("email" collate "C"));--> statement-breakpoint
CREATE UNIQUE INDEX "users_username_key" ON "users" USING btree (lower("username" collate "C"));