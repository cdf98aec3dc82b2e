-- Replaying dead letters sends event data to outside receivers again: a permission of its own,
-- so that a role can read analytics without it.
INSERT INTO permissions (name, description) VALUES
  ('analytics:manage', 'Send dead-lettered deliveries to their destinations again')
ON CONFLICT (name) DO NOTHING;
--> statement-breakpoint
INSERT INTO role_permissions (role, permission) VALUES
  ('admin', 'analytics:manage')
ON CONFLICT DO NOTHING;
