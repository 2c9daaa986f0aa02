-- A reco store at schema version 1, the oldest version the sqlite backend migrates from
-- (src/store/sqlite/schema.cc, migration 1, as released), with a few rows. The upgrade test
-- (check_upgrade.py) builds DATA_DIR/reco.db from this file with sqlite3 and opens it with the
-- current reco. Append-only history: never edit this file to follow a newer schema.
PRAGMA journal_mode = WAL;
BEGIN;
CREATE TABLE schema_migrations(version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);
CREATE TABLE users(
  idx INTEGER PRIMARY KEY, user_id TEXT UNIQUE NOT NULL,
  labels TEXT NOT NULL DEFAULT 'null', comment TEXT NOT NULL DEFAULT '');
CREATE TABLE items(
  idx INTEGER PRIMARY KEY, item_id TEXT UNIQUE NOT NULL,
  is_hidden INTEGER NOT NULL DEFAULT 0, categories TEXT NOT NULL DEFAULT '[]',
  labels TEXT NOT NULL DEFAULT 'null', timestamp INTEGER NOT NULL DEFAULT 0,
  comment TEXT NOT NULL DEFAULT '');
CREATE TABLE feedback_types(idx INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL);
CREATE TABLE feedback(
  user_idx INTEGER NOT NULL, item_idx INTEGER NOT NULL, type_idx INTEGER NOT NULL,
  value REAL NOT NULL, timestamp INTEGER NOT NULL, comment TEXT NOT NULL DEFAULT '',
  seq INTEGER NOT NULL,
  PRIMARY KEY(user_idx, item_idx, type_idx)) WITHOUT ROWID;
CREATE INDEX feedback_by_item ON feedback(item_idx);
CREATE INDEX feedback_by_seq ON feedback(seq);
INSERT INTO schema_migrations VALUES(1, 1700000000000000);

INSERT INTO users VALUES(0, 'alice', '{"city":"Shanghai"}', 'first user');
INSERT INTO users VALUES(1, 'bob', 'null', '');
INSERT INTO items VALUES(0, 'book-1', 0, '["books","new"]', '{"author":"Lu Xun"}', 1700000000000000, 'a book');
INSERT INTO items VALUES(1, 'film-1', 0, '["films"]', 'null', 1700000100000000, '');
INSERT INTO items VALUES(2, 'hidden-1', 1, '[]', 'null', 1700000200000000, '');
INSERT INTO feedback_types VALUES(0, 'click');
INSERT INTO feedback_types VALUES(1, 'like');
INSERT INTO feedback VALUES(0, 0, 0, 1.0, 1700000300000000, 'c1', 1);
INSERT INTO feedback VALUES(0, 1, 1, 1.0, 1700000400000000, '', 2);
INSERT INTO feedback VALUES(1, 0, 1, 1.0, 1700000500000000, '', 3);
INSERT INTO feedback VALUES(1, 1, 0, 1.0, 1700000600000000, '', 4);
COMMIT;
