-- Tags on roles and customer-managed policies, as users already have: AWS's
-- aws:ResourceTag/* conditions and Tag*/Untag*/List*Tags operations need them.
ALTER TABLE roles ADD COLUMN tags JSONB NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE policies ADD COLUMN tags JSONB NOT NULL DEFAULT '{}'::jsonb;
