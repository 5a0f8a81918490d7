/* The audit store's schema, one migration per PRAGMA user_version step. Documented column by
 * column in docs/audit.md; change both together. Migrations are append-only: never edit one
 * that has shipped, add the next. */
#ifndef POSTWARDEN_AUDIT_SCHEMA_H
#define POSTWARDEN_AUDIT_SCHEMA_H

#define SRC_CHECK(col) "CHECK (" col " IN ('kernel', 'pam', 'client', 'service'))"

/* SQL reads better as SQL: */
// clang-format off

/* Migration 1: the tables, and the indexes that foreign keys and the writer need. */
static const char audit_migration_1[] =
        "CREATE TABLE sessions (\n"
        "  id INTEGER PRIMARY KEY,\n"
        "  user TEXT NOT NULL,\n"
        "  uid INTEGER,\n"
        "  service TEXT,\n"
        "  tty TEXT,\n"
        "  rhost TEXT,\n"
        "  audit_sessionid INTEGER CHECK (audit_sessionid BETWEEN 0 AND 4294967294),\n"
        "  loginuid INTEGER CHECK (loginuid BETWEEN 0 AND 4294967294),\n"
        "  xdg_session_id TEXT,\n"
        "  host TEXT,\n"
        "  opened_us INTEGER NOT NULL,\n"
        "  closed_us INTEGER,\n"
        "  src TEXT NOT NULL " SRC_CHECK("src") ",\n"
        "  closed_src TEXT " SRC_CHECK("closed_src") "\n"
        ") STRICT;\n"
        "CREATE INDEX sessions_open_by_uid ON sessions (uid) WHERE closed_us IS NULL;\n"
        "CREATE INDEX sessions_open_by_sid ON sessions (audit_sessionid) WHERE closed_us IS NULL;\n"
        "CREATE TABLE accounts (\n"
        "  id INTEGER PRIMARY KEY,\n"
        "  site TEXT NOT NULL,\n"
        "  company INTEGER NOT NULL CHECK (company IN (0, 1)),\n"
        "  ident TEXT NOT NULL,\n"
        "  stable_id TEXT,\n"
        "  handle TEXT,\n"
        "  display_name TEXT,\n"
        "  policy_name TEXT,\n"
        "  handle_hmac TEXT,\n"
        "  id_hmac TEXT,\n"
        "  src TEXT NOT NULL " SRC_CHECK("src") ",\n"
        "  first_seen_us INTEGER NOT NULL,\n"
        "  last_seen_us INTEGER NOT NULL,\n"
        "  UNIQUE (site, ident),\n"
        "  CHECK (company = 1 OR (stable_id IS NULL AND handle IS NULL AND display_name IS NULL\n"
        "                         AND policy_name IS NULL))\n"
        ") STRICT;\n"
        "CREATE TABLE session_accounts (\n"
        "  id INTEGER PRIMARY KEY,\n"
        "  session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,\n"
        "  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,\n"
        "  rule INTEGER NOT NULL CHECK (rule BETWEEN 1 AND 4),\n"
        "  src TEXT NOT NULL " SRC_CHECK("src") ",\n"
        "  first_us INTEGER NOT NULL,\n"
        "  last_us INTEGER NOT NULL,\n"
        "  UNIQUE (session_id, account_id, rule)\n"
        ") STRICT;\n"
        "CREATE INDEX session_accounts_by_account ON session_accounts (account_id);\n"
        "CREATE TABLE events (\n"
        "  seq INTEGER PRIMARY KEY,\n"
        "  kind TEXT NOT NULL CHECK (kind IN ('session_open', 'session_close', 'account_seen',\n"
        "    'session_link', 'post_attempt', 'auth_block', 'override', 'redaction', 'purge')),\n"
        "  time_us INTEGER NOT NULL,\n"
        "  peer_uid INTEGER,\n"
        "  peer_pid INTEGER,\n"
        "  peer_sessionid INTEGER,\n"
        "  peer_src TEXT " SRC_CHECK("peer_src") ",\n"
        "  session_id INTEGER REFERENCES sessions (id),\n"
        "  account_id INTEGER REFERENCES accounts (id),\n"
        "  link_id INTEGER REFERENCES session_accounts (id),\n"
        "  site TEXT,\n"
        "  claim_src TEXT " SRC_CHECK("claim_src") ",\n"
        "  action TEXT CHECK (action IN ('allow', 'warn', 'block')),\n"
        "  mode TEXT CHECK (mode IN ('personal', 'business', 'unknown')),\n"
        "  company INTEGER NOT NULL CHECK (company IN (0, 1)),\n"
        "  authorised INTEGER NOT NULL CHECK (authorised IN (0, 1)),\n"
        "  policy_id TEXT,\n"
        "  justification TEXT,\n"
        "  target_seq INTEGER,\n"
        "  note TEXT,\n"
        "  subject_hash BLOB CHECK (length(subject_hash) = 32),\n"
        "  verdict_src TEXT " SRC_CHECK("verdict_src") ",\n"
        "  content_hash BLOB NOT NULL CHECK (length(content_hash) = 32),\n"
        "  redacted_us INTEGER,\n"
        "  hash BLOB NOT NULL CHECK (length(hash) = 32)\n"
        ") STRICT;\n"
        "CREATE INDEX events_by_session ON events (session_id) WHERE session_id IS NOT NULL;\n"
        "CREATE INDEX events_by_account ON events (account_id, time_us)\n"
        "  WHERE account_id IS NOT NULL;\n"
        "CREATE INDEX events_by_link ON events (link_id) WHERE link_id IS NOT NULL;\n"
        "CREATE INDEX events_by_target ON events (target_seq) WHERE target_seq IS NOT NULL;\n"
        "CREATE TABLE findings (\n"
        "  event_seq INTEGER NOT NULL REFERENCES events (seq) ON DELETE CASCADE,\n"
        "  ord INTEGER NOT NULL,\n"
        "  rule_id TEXT NOT NULL,\n"
        "  category TEXT NOT NULL,\n"
        "  action TEXT NOT NULL CHECK (action IN ('allow', 'warn', 'block')),\n"
        "  excerpt TEXT,\n"
        "  byte_start INTEGER NOT NULL,\n"
        "  byte_end INTEGER NOT NULL,\n"
        "  u16_start INTEGER NOT NULL,\n"
        "  u16_end INTEGER NOT NULL,\n"
        "  PRIMARY KEY (event_seq, ord)\n"
        ") STRICT, WITHOUT ROWID;\n"
        "CREATE TABLE archive (\n"
        "  event_seq INTEGER PRIMARY KEY REFERENCES events (seq) ON DELETE CASCADE,\n"
        "  body BLOB NOT NULL\n"
        ") STRICT;\n"
        "CREATE TABLE chain_checkpoints (\n"
        "  id INTEGER PRIMARY KEY,\n"
        "  kind TEXT NOT NULL CHECK (kind IN ('purge', 'head')),\n"
        "  seq INTEGER NOT NULL,\n"
        "  hash BLOB NOT NULL CHECK (length(hash) = 32),\n"
        "  time_us INTEGER NOT NULL,\n"
        "  before_us INTEGER,\n"
        "  removed INTEGER\n"
        ") STRICT;\n"
        "CREATE INDEX chain_checkpoints_by_kind ON chain_checkpoints (kind, seq);\n"
        "PRAGMA user_version = 1;\n";

/* Migration 2: indexes for the admin queries of postwardenctl audit (issue 7): sessions by
 * user and time; events by time and by uid; accounts by handle and stable id. */
static const char audit_migration_2[] =
        "CREATE INDEX sessions_by_user ON sessions (user, opened_us);\n"
        "CREATE INDEX sessions_by_opened ON sessions (opened_us);\n"
        "CREATE INDEX events_by_time ON events (time_us);\n"
        "CREATE INDEX events_by_uid ON events (peer_uid, time_us) WHERE peer_uid IS NOT NULL;\n"
        "CREATE INDEX accounts_by_handle ON accounts (handle COLLATE NOCASE)\n"
        "  WHERE handle IS NOT NULL;\n"
        "CREATE INDEX accounts_by_stable_id ON accounts (stable_id) WHERE stable_id IS NOT NULL;\n"
        "PRAGMA user_version = 2;\n";

// clang-format on

static const char *const audit_migrations[] = {
        NULL, /* version 0: empty file */
        audit_migration_1,
        audit_migration_2,
};

#endif
