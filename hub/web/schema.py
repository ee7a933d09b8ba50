"""The web view's tables: accounts, login sessions, API tokens and the audit log (审计日志).

Passwords are argon2 hashes; session ids and API tokens are stored only as SHA-256 hashes (they
are long random strings, so a fast hash is enough and a stolen database yields no usable login).
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("web")


@migrations()
def m001_accounts(db: Database) -> None:
    db.execute("""CREATE TABLE web_users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name TEXT NOT NULL DEFAULT '',
        role TEXT NOT NULL CHECK (role IN ('viewer','warden','committee','admin')),
        password_hash TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL)""")
    db.execute("""CREATE TABLE web_sessions (
        id_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES web_users(id) ON DELETE CASCADE,
        csrf TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        address TEXT NOT NULL DEFAULT '')""")
    db.execute("CREATE INDEX web_sessions_user ON web_sessions(user_id)")
    db.execute("""CREATE TABLE web_tokens (
        id INTEGER PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('viewer','warden','committee','admin')),
        name TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        revoked_at TEXT)""")


@migrations()
def m002_audit(db: Database) -> None:
    db.execute("""CREATE TABLE web_audit (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT '',
        address TEXT NOT NULL DEFAULT '')""")
    db.execute("CREATE INDEX web_audit_ts ON web_audit(ts)")


@migrations()
def m003_passage_indexes(db: Database) -> None:
    """The passage log filters by tag and by lane over a million rows: index them (partial)."""
    db.execute("CREATE INDEX IF NOT EXISTS web_passage_tag ON events(json_extract(body, '$.tag'), ts) "
               "WHERE kind = 'passage'")
    db.execute("CREATE INDEX IF NOT EXISTS web_passage_lane ON events(json_extract(body, '$.lane'), ts) "
               "WHERE kind = 'passage'")


@migrations()
def m004_violation_indexes(db: Database) -> None:
    """The violations list filters by state and household and pages newest deadline first."""
    db.execute("CREATE INDEX IF NOT EXISTS web_violations_state ON violations(state, deadline, id)")
    db.execute("CREATE INDEX IF NOT EXISTS web_violations_household ON violations(household, deadline)")
    db.execute("CREATE INDEX IF NOT EXISTS web_violations_page ON violations(deadline, id)")
    db.execute("CREATE INDEX IF NOT EXISTS web_diary_violation ON diary(violation_id)")
