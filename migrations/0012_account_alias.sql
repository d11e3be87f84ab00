-- The account's alias (AWS allows one): a friendly name for sign-in pages and tools.
CREATE TABLE account_alias (
    one_row  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one_row),
    alias    TEXT NOT NULL CHECK (alias ~ '^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$' AND alias NOT LIKE '%--%')
);
