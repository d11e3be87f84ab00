-- Managed policies attached to users and groups. The templates (AWS-managed style,
-- arn:aws:iam::aws:policy/NAME) live in code, so attachments name policies by ARN.
CREATE TABLE user_policies (
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    policy_arn   TEXT NOT NULL,
    attached_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, policy_arn)
);

CREATE TABLE group_policies (
    group_id     TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    policy_arn   TEXT NOT NULL,
    attached_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, policy_arn)
);
