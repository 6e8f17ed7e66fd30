"""The emulator's SQLite schema, and what a state file written by an older emulator needs to open."""

from __future__ import annotations

import sqlite3

__all__ = ["SCHEMA_VERSION", "open_schema"]

SCHEMA_VERSION = 3  # 2: environments, IAM principals, credentials acting as a user; 3: principals' secrets

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  rowid INTEGER PRIMARY KEY, userId TEXT UNIQUE, environmentId TEXT, emailKey TEXT, emailAddress TEXT,
  type TEXT, firstName TEXT, lastName TEXT, apiAccess TEXT, apiAccessPrincipalArn TEXT, status TEXT, readyAt REAL,
  createTime INTEGER, lastEnabledTime INTEGER, lastDisabledTime INTEGER, lastModifiedTime INTEGER,
  lastLoginTime INTEGER, UNIQUE (environmentId, emailKey));
CREATE TABLE IF NOT EXISTS groups (
  rowid INTEGER PRIMARY KEY, permissionGroupId TEXT UNIQUE, environmentId TEXT, name TEXT, description TEXT,
  applicationPermissions TEXT, createTime INTEGER, lastModifiedTime INTEGER);
CREATE TABLE IF NOT EXISTS environments (environmentId TEXT PRIMARY KEY, createTime INTEGER);
CREATE TABLE IF NOT EXISTS principals (
  accessKeyId TEXT PRIMARY KEY, roleArn TEXT, secretAccessKey TEXT, sessionToken TEXT);
CREATE TABLE IF NOT EXISTS members (
  permissionGroupId TEXT, userId TEXT, membershipStatus TEXT, settlesAt REAL,
  PRIMARY KEY (permissionGroupId, userId));
CREATE TABLE IF NOT EXISTS tokens (
  operation TEXT, token TEXT, fingerprint TEXT, response TEXT, createdAt REAL, PRIMARY KEY (operation, token));
CREATE TABLE IF NOT EXISTS credentials (
  accessKeyId TEXT PRIMARY KEY, secretAccessKey TEXT, sessionToken TEXT, environmentId TEXT, expiresAt REAL,
  userId TEXT);
"""


def open_schema(db: sqlite3.Connection, db_path: str) -> None:
    """Create the tables; give principals of a version 2 state file room for their secrets (each key
    must be assigned again, with its secret); refuse an older one (no environments)."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    tables = db.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
    if tables and version == 2:
        db.execute("ALTER TABLE principals ADD COLUMN secretAccessKey TEXT")
        db.execute("ALTER TABLE principals ADD COLUMN sessionToken TEXT")
    elif tables and version != SCHEMA_VERSION:
        raise RuntimeError(f"{db_path} holds state from an older emulator: delete it (a demo: make demo-destroy, "
                           "then remove .local/demo) and start again")
    db.executescript(_SCHEMA)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
