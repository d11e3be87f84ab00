-- The account's credential report, as GenerateCredentialReport last built it (one row,
-- shared by every server, like AWS's report that lasts until the next generation).
CREATE TABLE credential_report (
    one_row       BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one_row),
    generated_at  TIMESTAMPTZ NOT NULL,
    content       TEXT NOT NULL
);
