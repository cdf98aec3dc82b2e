-- Roles and the named permissions they grant. Access tokens carry both; services check
-- permissions, never role names, so a new role is a data change.
INSERT INTO roles (name, description) VALUES
  ('user', 'Signed-in member: writes and edits own posts'),
  ('editor', 'Edits any post and manages categories'),
  ('admin', 'Everything, including users, roles and analytics')
ON CONFLICT (name) DO NOTHING;
--> statement-breakpoint
INSERT INTO permissions (name, description) VALUES
  ('posts:write', 'Create posts and edit or delete own posts'),
  ('posts:edit-any', 'Edit or delete any post, read any draft'),
  ('categories:manage', 'Create, rename and delete categories'),
  ('users:manage', 'List users and change their roles'),
  ('analytics:read', 'Read analytics reports, performance and anyone''s activity')
ON CONFLICT (name) DO NOTHING;
--> statement-breakpoint
INSERT INTO role_permissions (role, permission) VALUES
  ('user', 'posts:write'),
  ('editor', 'posts:write'),
  ('editor', 'posts:edit-any'),
  ('editor', 'categories:manage'),
  ('admin', 'posts:write'),
  ('admin', 'posts:edit-any'),
  ('admin', 'categories:manage'),
  ('admin', 'users:manage'),
  ('admin', 'analytics:read')
ON CONFLICT DO NOTHING;
