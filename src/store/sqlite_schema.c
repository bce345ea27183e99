/*
 * sqlite_schema.c - the SQLite schema as an ordered list of versioned migrations.
 *
 * Invariants:
 *  - migrations are append-only: a released entry is never edited; a change to the schema
 *    is a new entry with the next version;
 *  - each migration runs in its own BEGIN IMMEDIATE transaction together with its row in
 *    schema_migrations, and is re-checked inside that transaction, so several processes
 *    opening one database at once apply each migration exactly once;
 *  - every listed migration missing from schema_migrations is applied, in list order, even
 *    below the highest applied one: a database made while a later entry already existed
 *    (entries written in parallel) still gets the earlier one;
 *  - a database migrated by a newer program (unknown version present) is refused rather
 *    than written to.
 *
 * Conventions: times are INTEGER unix seconds (NULL = unset); enums are stored by their
 * wire name (TEXT), so reordering a C enum can never change the meaning of stored rows;
 * every mutable record has `version` for optimistic concurrency; ids humans see (CHG-,
 * CI-) use AUTOINCREMENT so they are never reused.
 *
 * Applied: 1 foundation (clients, CIs, changes, users, tokens, audit log); 2 passwords,
 * sessions and login failures; 3 the audit log's (client, time) index for exports;
 * 4 the CI graph (ci_relations); 5 versioned documentation (documents,
 * document_versions, change_documents); 6 the (client, name) index of CIs for bulk import;
 * 7 free CI attributes (cis.attributes); 8 the change calendar (cal_windows, cal_blackouts,
 * change_schedule, cal_feed_tokens, the client-calendar and implementer indexes of changes);
 * 10 templates (with their versions),
 * changes.template_id, approval rounds and votes (change_approvals); 11 the CI graph's
 * generation counter (the in-memory graph's staleness check, sqlite_graph_cache.c);
 * 12 each change's state and times copied into change_cis for what-changed.
 *
 * Roadmap (later migrations, sketched so the schema leaves room for them):
 *   risk & approvals: risk_assessments(change_id, at, score, level, factors_json,
 *      policy_version), approval_stages(change_id, seq, kind, quorum, outcome),
 *      approvals(stage_id, user_id, decision, comment, snapshot_json, at),
 *      policies(version, body_json), templates(id, client_id, name, body_json, preapproved)
 *   CMDB graph: ci_relations(from_ci, to_ci, kind, PRIMARY KEY(from_ci, kind, to_ci))
 *      + index (to_ci, kind, from_ci) for upstream walks
 *   calendar: windows(client_id, rrule, duration, tz), blackouts(client_id, start, end,
 *      reason), lockdowns(started_at, lifted_at, reason); an (implementer, planned_start)
 *      index for double-booking checks
 *   documentation: docs(id, client_id, ci_id, kind, title), doc_versions(doc_id, version,
 *      body, created_by, created_at); changes gain baseline_doc_version/result_doc_version
 *   outbox(id, kind, payload_json, due_at, attempts, sent_at) and observed_events
 */
#include "store/sqlite_int.h"

#include <stdio.h>

#include "util/banned.h"

struct migration {
    int version;
    const char *sql;
};

static const struct migration migrations[] = {
    {1,
     /* Tenants. */
     "CREATE TABLE clients ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  key TEXT NOT NULL UNIQUE,"
     "  name TEXT NOT NULL,"
     "  timezone TEXT,"
     "  notice_hours INTEGER NOT NULL DEFAULT 0,"
     "  requires_signoff INTEGER NOT NULL DEFAULT 0,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  version INTEGER NOT NULL DEFAULT 1"
     ");"

     /* Configuration items; client_id NULL = shared infrastructure. */
     "CREATE TABLE cis ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  client_id INTEGER REFERENCES clients(id),"
     "  name TEXT NOT NULL,"
     "  type TEXT NOT NULL,"
     "  criticality INTEGER NOT NULL,"
     "  users_affected INTEGER NOT NULL DEFAULT 0,"
     "  owner TEXT,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  version INTEGER NOT NULL DEFAULT 1"
     ");"
     "CREATE INDEX cis_client ON cis(client_id, id);"
     "CREATE INDEX cis_type ON cis(type, id);"

     /* Changes: one row per change, every scalar of struct gl_change. */
     "CREATE TABLE changes ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  version INTEGER NOT NULL,"
     "  type TEXT NOT NULL,"
     "  state TEXT NOT NULL,"
     "  client_id INTEGER NOT NULL REFERENCES clients(id),"
     "  title TEXT NOT NULL,"
     "  description TEXT,"
     "  raised_by TEXT,"
     "  reason TEXT,"
     "  expected_return TEXT,"
     "  risks TEXT,"
     "  implementer TEXT,"
     "  resources TEXT,"
     "  implementation_plan TEXT,"
     "  test_plan TEXT,"
     "  rollback_plan TEXT,"
     "  rollback_tested INTEGER NOT NULL DEFAULT 0,"
     "  rollback_evidence TEXT,"
     "  planned_start INTEGER,"
     "  planned_end INTEGER,"
     "  actual_start INTEGER,"
     "  actual_end INTEGER,"
     "  outcome TEXT,"
     "  outcome_notes TEXT,"
     "  review_summary TEXT,"
     "  review_lessons TEXT,"
     "  reviewed_by TEXT,"
     "  reviewed_at INTEGER,"
     "  state_reason TEXT,"
     "  created_by TEXT,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL"
     ");"
     /* Lists are newest first (ORDER BY id DESC): every list index ends in id. Each index
      * costs every write a page, so there is none for client+type (three types: the client
      * index with a per-row check is as fast). */
     "CREATE INDEX changes_client ON changes(client_id, id);"
     "CREATE INDEX changes_state ON changes(state, id);"
     "CREATE INDEX changes_client_state ON changes(client_id, state, id);"
     "CREATE INDEX changes_type ON changes(type, id);"
     /* Window overlap (start < to AND end > from): the window plan range-scans
      * planned_start and checks every other list filter inside this index. */
     "CREATE INDEX changes_planned_start"
     "  ON changes(planned_start, planned_end, client_id, state, type);"
     /* The longest planned window ever stored bounds the planned_start range that can
      * overlap a window. Kept by triggers in one always-cached row rather than an index
      * every write would touch; it only grows, which keeps it a safe bound. */
     "CREATE TABLE change_window_max ("
     "  id INTEGER PRIMARY KEY CHECK (id = 1),"
     "  seconds INTEGER NOT NULL"
     ");"
     "INSERT INTO change_window_max (id, seconds) VALUES (1, 0);"
     "CREATE TRIGGER changes_window_insert AFTER INSERT ON changes"
     "  WHEN new.planned_end - new.planned_start >"
     "       (SELECT seconds FROM change_window_max WHERE id = 1) BEGIN"
     "  UPDATE change_window_max SET seconds = new.planned_end - new.planned_start WHERE id = 1;"
     "END;"
     "CREATE TRIGGER changes_window_update AFTER UPDATE OF planned_start, planned_end ON changes"
     "  WHEN new.planned_end - new.planned_start >"
     "       (SELECT seconds FROM change_window_max WHERE id = 1) BEGIN"
     "  UPDATE change_window_max SET seconds = new.planned_end - new.planned_start WHERE id = 1;"
     "END;"

     /* The change as the API returns it, rendered by the codec at every write (store.h,
      * struct gl_change_doc), so reads need one lookup and no re-encoding. */
     "CREATE TABLE change_docs ("
     "  change_id INTEGER PRIMARY KEY REFERENCES changes(id) ON DELETE CASCADE,"
     "  version INTEGER NOT NULL,"
     "  client_id INTEGER NOT NULL,"
     "  format INTEGER NOT NULL,"
     "  json TEXT NOT NULL"
     ");"

     "CREATE TABLE change_cis ("
     "  change_id INTEGER NOT NULL REFERENCES changes(id) ON DELETE CASCADE,"
     "  ci_id INTEGER NOT NULL REFERENCES cis(id),"
     "  PRIMARY KEY (change_id, ci_id)"
     ") WITHOUT ROWID;"
     "CREATE INDEX change_cis_ci ON change_cis(ci_id, change_id);"

     "CREATE TABLE change_relations ("
     "  change_id INTEGER NOT NULL REFERENCES changes(id) ON DELETE CASCADE,"
     "  related_id INTEGER NOT NULL REFERENCES changes(id),"
     "  PRIMARY KEY (change_id, related_id)"
     ") WITHOUT ROWID;"
     "CREATE INDEX change_relations_related ON change_relations(related_id, change_id);"

     /* pos keeps the order the references were given in. */
     "CREATE TABLE change_incidents ("
     "  change_id INTEGER NOT NULL REFERENCES changes(id) ON DELETE CASCADE,"
     "  pos INTEGER NOT NULL,"
     "  ref TEXT NOT NULL,"
     "  PRIMARY KEY (change_id, pos)"
     ") WITHOUT ROWID;"
     "CREATE INDEX change_incidents_ref ON change_incidents(ref);"

     /* Free text over title, description and the three plans: external-content FTS5 kept
      * in step by triggers, i.e. inside the writing transaction. */
     "CREATE VIRTUAL TABLE changes_fts USING fts5("
     "  title, description, implementation_plan, test_plan, rollback_plan,"
     "  content='changes', content_rowid='id',"
     "  tokenize='unicode61 remove_diacritics 2');"
     "CREATE TRIGGER changes_fts_insert AFTER INSERT ON changes BEGIN"
     "  INSERT INTO changes_fts (rowid, title, description, implementation_plan, test_plan,"
     "    rollback_plan)"
     "  VALUES (new.id, new.title, new.description, new.implementation_plan, new.test_plan,"
     "    new.rollback_plan);"
     "END;"
     "CREATE TRIGGER changes_fts_delete AFTER DELETE ON changes BEGIN"
     "  INSERT INTO changes_fts (changes_fts, rowid, title, description, implementation_plan,"
     "    test_plan, rollback_plan)"
     "  VALUES ('delete', old.id, old.title, old.description, old.implementation_plan,"
     "    old.test_plan, old.rollback_plan);"
     "END;"
     "CREATE TRIGGER changes_fts_update AFTER UPDATE OF title, description, implementation_plan,"
     "  test_plan, rollback_plan ON changes"
     "  WHEN old.title IS NOT new.title OR old.description IS NOT new.description"
     "  OR old.implementation_plan IS NOT new.implementation_plan"
     "  OR old.test_plan IS NOT new.test_plan OR old.rollback_plan IS NOT new.rollback_plan BEGIN"
     "  INSERT INTO changes_fts (changes_fts, rowid, title, description, implementation_plan,"
     "    test_plan, rollback_plan)"
     "  VALUES ('delete', old.id, old.title, old.description, old.implementation_plan,"
     "    old.test_plan, old.rollback_plan);"
     "  INSERT INTO changes_fts (rowid, title, description, implementation_plan, test_plan,"
     "    rollback_plan)"
     "  VALUES (new.id, new.title, new.description, new.implementation_plan, new.test_plan,"
     "    new.rollback_plan);"
     "END;"

     /* People. A grant with client_id NULL applies to every client. */
     "CREATE TABLE users ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  name TEXT NOT NULL UNIQUE,"
     "  is_admin INTEGER NOT NULL DEFAULT 0,"
     "  created_at INTEGER NOT NULL"
     ");"
     "CREATE TABLE user_roles ("
     "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
     "  role TEXT NOT NULL,"
     "  client_id INTEGER REFERENCES clients(id)"
     ");"
     "CREATE UNIQUE INDEX user_roles_unique ON user_roles(user_id, role, ifnull(client_id, 0));"
     "CREATE INDEX user_roles_client ON user_roles(client_id, role);"
     /* Only a hash of each token is kept. */
     "CREATE TABLE api_tokens ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
     "  token_hash BLOB NOT NULL UNIQUE,"
     "  created_at INTEGER NOT NULL,"
     "  expires_at INTEGER,"
     "  revoked_at INTEGER"
     ");"
     "CREATE INDEX api_tokens_user ON api_tokens(user_id);"

     /* The append-only, hash-chained log; client_id 0 = global. */
     "CREATE TABLE audit_events ("
     "  id INTEGER PRIMARY KEY,"
     "  at INTEGER NOT NULL,"
     "  actor TEXT,"
     "  action TEXT NOT NULL,"
     "  entity TEXT NOT NULL,"
     "  entity_id INTEGER NOT NULL,"
     "  client_id INTEGER NOT NULL DEFAULT 0,"
     "  before_json TEXT,"
     "  after_json TEXT,"
     "  reason TEXT,"
     "  request_id TEXT,"
     "  prev_hash BLOB NOT NULL,"
     "  hash BLOB NOT NULL"
     ");"
     "CREATE INDEX audit_events_entity ON audit_events(entity, entity_id, id);"
     "CREATE INDEX audit_events_at ON audit_events(at);"
     "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events BEGIN"
     "  SELECT RAISE(ABORT, 'audit_events is append-only');"
     "END;"
     "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN"
     "  SELECT RAISE(ABORT, 'audit_events is append-only');"
     "END;"},
    {2,
     /* Authentication. password_hash is crypto_pwhash_str output (Argon2id, parameters in
      * the string); NULL = no password login. Sessions keep only the hash of the cookie;
      * the CSRF token is not a credential on its own (useless without the cookie). */
     "ALTER TABLE users ADD COLUMN password_hash TEXT;"
     "CREATE TABLE sessions ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
     "  token_hash BLOB NOT NULL UNIQUE,"
     "  csrf_token TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  expires_at INTEGER NOT NULL,"
     "  revoked_at INTEGER"
     ");"
     "CREATE INDEX sessions_user ON sessions(user_id);"
     "CREATE INDEX sessions_expires ON sessions(expires_at);"
     /* Failed logins, one row each, keyed "user:NAME" or "addr:IP"; pruned as they age. */
     "CREATE TABLE login_failures ("
     "  key TEXT NOT NULL,"
     "  at INTEGER NOT NULL"
     ");"
     "CREATE INDEX login_failures_key ON login_failures(key, at);"
     "CREATE INDEX login_failures_at ON login_failures(at);"},
    {3,
     /* The audit export reads one client's events in a time range, in (at, id) order. */
     "CREATE INDEX audit_events_client_at ON audit_events(client_id, at);"},
    {4,
     /* The CI graph: A -kind-> B means A depends on B (core/impact.h). The primary key
      * serves forward walks (what A depends on), the index backward walks (what depends
      * on B: the blast radius). */
     "CREATE TABLE ci_relations ("
     "  from_ci INTEGER NOT NULL REFERENCES cis(id),"
     "  to_ci INTEGER NOT NULL REFERENCES cis(id),"
     "  kind TEXT NOT NULL CHECK (kind IN ('runs_on', 'depends_on', 'connects_to')),"
     "  PRIMARY KEY (from_ci, kind, to_ci)"
     ") WITHOUT ROWID;"
     "CREATE INDEX ci_relations_to ON ci_relations(to_ci, from_ci);"
     /* What a walk needs of each CI it reaches, in a compact covering index: the table's
      * rows (names, owners) are three times larger and mostly missed the page cache,
      * which halved graph throughput under concurrent walks (bench/RESULTS.md). */
     "CREATE INDEX cis_graph ON cis(id, client_id, criticality, users_affected);"},
    {5,
     /* Versioned documentation (core/docs.h). A document's text lives in immutable
      * versions; current_version names the newest. change_documents links a change to
      * the version it starts from and, on completion, the one describing the new state
      * (or records that no documentation was affected). */
     "CREATE TABLE documents ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  client_id INTEGER NOT NULL REFERENCES clients(id),"
     "  ci_id INTEGER REFERENCES cis(id),"
     "  kind TEXT NOT NULL,"
     "  title TEXT NOT NULL,"
     "  current_version INTEGER NOT NULL,"
     "  reviewed_at INTEGER,"
     "  reviewed_by TEXT,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  version INTEGER NOT NULL DEFAULT 1"
     ");"
     "CREATE INDEX documents_client ON documents(client_id, id);"
     "CREATE INDEX documents_ci ON documents(ci_id, id);"
     "CREATE TABLE document_versions ("
     "  document_id INTEGER NOT NULL REFERENCES documents(id),"
     "  version INTEGER NOT NULL,"
     "  body TEXT NOT NULL,"
     "  format TEXT NOT NULL,"
     "  author TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  PRIMARY KEY (document_id, version)"
     ") WITHOUT ROWID;"
     "CREATE TRIGGER document_versions_no_update BEFORE UPDATE ON document_versions BEGIN"
     "  SELECT RAISE(ABORT, 'document versions are immutable');"
     "END;"
     "CREATE TABLE change_documents ("
     "  change_id INTEGER NOT NULL REFERENCES changes(id) ON DELETE CASCADE,"
     "  document_id INTEGER NOT NULL REFERENCES documents(id),"
     "  base_version INTEGER,"
     "  result_version INTEGER,"
     "  no_doc_affected INTEGER NOT NULL DEFAULT 0,"
     "  PRIMARY KEY (change_id, document_id)"
     ") WITHOUT ROWID;"
     "CREATE INDEX change_documents_document ON change_documents(document_id, change_id);"},
    {6,
     /* Bulk import matches rows to existing CIs by (client, name). */
     "CREATE INDEX IF NOT EXISTS cis_client_name ON cis(client_id, name);"},
    {7,
     /* A CI's free attributes as canonical JSON (keys sorted, compact; NULL = none):
      * read and written whole with the row, never queried inside. */
     "ALTER TABLE cis ADD COLUMN attributes TEXT;"},
    {8,
     /* The change calendar (core/calendar.h, cal/recur.h). A window is a recurrence in
      * its client's zone: local DTSTART, RRULE, elapsed duration; ci_id set = it
      * overrides the client's windows for that CI. A blackout's first occurrence is
      * [starts_at, ends_at) in UTC; with an rrule it repeats in `timezone` (the client's,
      * UTC for a global one, client_id NULL). */
     "CREATE TABLE cal_windows ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  client_id INTEGER NOT NULL REFERENCES clients(id),"
     "  ci_id INTEGER REFERENCES cis(id),"
     "  name TEXT,"
     "  rrule TEXT,"
     "  dtstart TEXT NOT NULL,"
     "  duration INTEGER NOT NULL CHECK (duration > 0),"
     "  created_by TEXT,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  version INTEGER NOT NULL DEFAULT 1"
     ");"
     "CREATE INDEX cal_windows_client ON cal_windows(client_id, ci_id);"
     "CREATE TABLE cal_blackouts ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  client_id INTEGER REFERENCES clients(id),"
     "  reason TEXT NOT NULL,"
     "  starts_at INTEGER NOT NULL,"
     "  ends_at INTEGER NOT NULL CHECK (ends_at > starts_at),"
     "  rrule TEXT,"
     "  timezone TEXT NOT NULL,"
     "  created_by TEXT,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  version INTEGER NOT NULL DEFAULT 1"
     ");"
     "CREATE INDEX cal_blackouts_client ON cal_blackouts(client_id, starts_at);"
     /* What the calendar decided when a change was scheduled (or moved while scheduled):
      * when the client was notified, the justification for leaving the windows, flags
      * (blackout_override, outside_window, short_notice, conflicts) and the explained
      * findings as JSON. One row per change, rewritten with the change. */
     "CREATE TABLE change_schedule ("
     "  change_id INTEGER PRIMARY KEY REFERENCES changes(id) ON DELETE CASCADE,"
     "  notified_at INTEGER NOT NULL,"
     "  justification TEXT,"
     "  flags TEXT NOT NULL DEFAULT '',"
     "  findings_json TEXT NOT NULL DEFAULT '[]',"
     "  updated_at INTEGER NOT NULL"
     ");"
     /* Calendar feed tokens: only a hash is kept; client_id NULL = the per-user feed of
      * every client the user can see. */
     "CREATE TABLE cal_feed_tokens ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
     "  client_id INTEGER REFERENCES clients(id),"
     "  token_hash BLOB NOT NULL UNIQUE,"
     "  created_at INTEGER NOT NULL,"
     "  revoked_at INTEGER"
     ");"
     "CREATE INDEX cal_feed_tokens_user ON cal_feed_tokens(user_id);"
     /* One client's calendar: its changes by planned start, covering what the calendar
      * shows, so a month is a few hundred consecutive index entries and no table rows
      * (the all-clients planned_start index would scan a hundred times more, and each
      * row read is a random page of a large table). */
     "CREATE INDEX changes_client_planned ON changes(client_id, planned_start, planned_end,"
     "  state, type, version, title);"
     /* Double booking: the implementer's other changes overlapping in time, answered from
      * the index alone. */
     "CREATE INDEX changes_implementer ON changes(implementer, planned_start, planned_end,"
     "  state, client_id) WHERE implementer IS NOT NULL;"},
    {9,
     /* The change policy (core/policy.h): one row per version, body in the codec's wire
      * form; the highest version is in force, none = the built-in default. */
     "CREATE TABLE policies ("
     "  version INTEGER PRIMARY KEY CHECK (version > 0),"
     "  body_json TEXT NOT NULL,"
     "  created_by TEXT,"
     "  created_at INTEGER NOT NULL"
     ");"
     /* Risk assessments (core/risk.h), append-only: the latest per change is current.
      * inputs_json is what the score was computed from, factors_json each factor's
      * points and explanation. */
     "CREATE TABLE risk_assessments ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  change_id INTEGER NOT NULL REFERENCES changes(id) ON DELETE CASCADE,"
     "  assessed_at INTEGER NOT NULL,"
     "  score REAL NOT NULL,"
     "  level TEXT NOT NULL,"
     "  policy_version INTEGER NOT NULL,"
     "  inputs_json TEXT NOT NULL,"
     "  factors_json TEXT NOT NULL"
     ");"
     "CREATE INDEX risk_assessments_change ON risk_assessments(change_id, id);"
     /* History counts read the outcomes of finished changes from here rather than from
      * the wide change rows. */
     "CREATE INDEX changes_finished ON changes(id, outcome) WHERE outcome IS NOT NULL;"},
    {10,
     /* Standard-change templates (core/template.h). Lists are JSON arrays of names; a
      * template of client NULL serves every client. Every version is kept as the wire
      * form, so "what did this template say when that change used it?" has an answer. */
     "CREATE TABLE templates ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  version INTEGER NOT NULL,"
     "  client_id INTEGER REFERENCES clients(id),"
     "  name TEXT NOT NULL,"
     "  description TEXT,"
     "  steps TEXT NOT NULL,"
     "  rollback_plan TEXT NOT NULL,"
     "  test_plan TEXT,"
     "  ci_types TEXT NOT NULL,"
     "  max_risk TEXT NOT NULL,"
     "  roles TEXT NOT NULL,"
     "  users TEXT NOT NULL,"
     "  preapproved INTEGER NOT NULL,"
     "  revoked_at INTEGER,"
     "  revoked_reason TEXT,"
     "  created_by TEXT,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL"
     ");"
     "CREATE UNIQUE INDEX templates_client_name ON templates(ifnull(client_id, 0), name);"
     "CREATE TABLE template_versions ("
     "  template_id INTEGER NOT NULL REFERENCES templates(id),"
     "  version INTEGER NOT NULL,"
     "  json TEXT NOT NULL,"
     "  created_by TEXT,"
     "  created_at INTEGER NOT NULL,"
     "  PRIMARY KEY (template_id, version)"
     ") WITHOUT ROWID;"
     /* The template a change was made from; history per template reads this index. */
     "ALTER TABLE changes ADD COLUMN template_id INTEGER REFERENCES templates(id);"
     "CREATE INDEX changes_template ON changes(template_id, state) WHERE template_id IS NOT NULL;"
     /* Approval rounds (core/approval.h): a rejection or a re-approval starts the next
      * round; votes of earlier rounds stay as history and no longer count. approved_at
      * is when the round's route was satisfied (the emergency review deadline runs from
      * it). A change without a row is in round 1. */
     "CREATE TABLE approval_rounds ("
     "  change_id INTEGER NOT NULL REFERENCES changes(id) ON DELETE CASCADE,"
     "  round INTEGER NOT NULL CHECK (round >= 1),"
     "  started_at INTEGER NOT NULL,"
     "  reason TEXT,"
     "  approved_at INTEGER,"
     "  PRIMARY KEY (change_id, round)"
     ") WITHOUT ROWID;"
     "CREATE TABLE change_approvals ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  change_id INTEGER NOT NULL REFERENCES changes(id) ON DELETE CASCADE,"
     "  round INTEGER NOT NULL,"
     "  user TEXT NOT NULL,"
     "  stage TEXT NOT NULL,"
     "  decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),"
     "  comment TEXT,"
     "  assessed_at INTEGER,"
     "  at INTEGER NOT NULL,"
     "  UNIQUE (change_id, round, user)"
     ");"
     /* Misuse signals count changes per requester over a time range. */
     "CREATE INDEX changes_created ON changes(created_at);"},
    {11,
     /* The generation of the CI graph: bumped by every write that can change a walk, so
      * the in-memory graph (sqlite_graph_cache.c) knows when its copy is current. A CI
      * insert does not bump it: a new CI has no edges until a relation insert does. */
     "CREATE TABLE graph_generation ("
     "  id INTEGER PRIMARY KEY CHECK (id = 1),"
     "  n INTEGER NOT NULL"
     ");"
     "INSERT INTO graph_generation (id, n) VALUES (1, 0);"
     "CREATE TRIGGER ci_relations_generation_insert AFTER INSERT ON ci_relations BEGIN"
     "  UPDATE graph_generation SET n = n + 1 WHERE id = 1;"
     "END;"
     "CREATE TRIGGER ci_relations_generation_delete AFTER DELETE ON ci_relations BEGIN"
     "  UPDATE graph_generation SET n = n + 1 WHERE id = 1;"
     "END;"
     "CREATE TRIGGER ci_relations_generation_update AFTER UPDATE ON ci_relations BEGIN"
     "  UPDATE graph_generation SET n = n + 1 WHERE id = 1;"
     "END;"
     "CREATE TRIGGER cis_generation_update"
     "  AFTER UPDATE OF client_id, criticality, users_affected ON cis"
     "  WHEN old.client_id IS NOT new.client_id OR old.criticality IS NOT new.criticality"
     "    OR old.users_affected IS NOT new.users_affected BEGIN"
     "  UPDATE graph_generation SET n = n + 1 WHERE id = 1;"
     "END;"
     "CREATE TRIGGER cis_generation_delete AFTER DELETE ON cis BEGIN"
     "  UPDATE graph_generation SET n = n + 1 WHERE id = 1;"
     "END;"},
    {12,
     /* What-changed reads the changes of each CI a walk reaches. Filtering them by state
      * and time through the changes rows fetched ~20 large rows per CI, most outside the
      * window (bench/RESULTS.md); with state and times copied into change_cis, the
      * covering index filters first and only matching changes are read. Triggers keep the
      * copies equal to the changes row, in the writing transaction. */
     "ALTER TABLE change_cis ADD COLUMN state TEXT;"
     "ALTER TABLE change_cis ADD COLUMN planned_start INTEGER;"
     "ALTER TABLE change_cis ADD COLUMN planned_end INTEGER;"
     "ALTER TABLE change_cis ADD COLUMN actual_start INTEGER;"
     "ALTER TABLE change_cis ADD COLUMN actual_end INTEGER;"
     "UPDATE change_cis SET (state, planned_start, planned_end, actual_start, actual_end) ="
     "  (SELECT state, planned_start, planned_end, actual_start, actual_end FROM changes"
     "   WHERE id = change_cis.change_id);"
     "DROP INDEX change_cis_ci;"
     "CREATE INDEX change_cis_ci ON change_cis"
     "  (ci_id, change_id, state, planned_start, planned_end, actual_start, actual_end);"
     "CREATE TRIGGER change_cis_copy AFTER INSERT ON change_cis BEGIN"
     "  UPDATE change_cis SET (state, planned_start, planned_end, actual_start, actual_end) ="
     "    (SELECT state, planned_start, planned_end, actual_start, actual_end FROM changes"
     "     WHERE id = new.change_id)"
     "  WHERE change_id = new.change_id AND ci_id = new.ci_id;"
     "END;"
     "CREATE TRIGGER changes_cis_copy"
     "  AFTER UPDATE OF state, planned_start, planned_end, actual_start, actual_end ON changes"
     "  BEGIN"
     "  UPDATE change_cis SET state = new.state, planned_start = new.planned_start,"
     "    planned_end = new.planned_end, actual_start = new.actual_start,"
     "    actual_end = new.actual_end"
     "  WHERE change_id = new.id;"
     "END;"},
};

#define NMIGRATIONS (sizeof migrations / sizeof migrations[0])

static const char migration_list_sql[] = "SELECT version FROM schema_migrations";
static const char migration_has_sql[] = "SELECT 1 FROM schema_migrations WHERE version = ?";
static const char migration_add_sql[] = "INSERT INTO schema_migrations (version, applied_at) "
                                        "VALUES (?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))";

/* Which migrations are applied: applied[i] for migrations[i]; *highest is the largest
 * version recorded (above the list's last: a newer program's database). */
static int applied_versions(struct sq_conn *c, bool applied[NMIGRATIONS], int *highest,
                            struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_MIGRATION_LIST, migration_list_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    int src;
    *highest = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        int v = sqlite3_column_int(st, 0);
        if (v > *highest)
            *highest = v;
        for (size_t i = 0; i < NMIGRATIONS; i++)
            applied[i] |= migrations[i].version == v;
    }
    int rc = src == SQLITE_DONE ? 0 : sq_error(c, src, NULL, "schema version", err);
    sqlite3_reset(st);
    return rc;
}

/* Applies one migration unless another process did it first. *ran tells which. */
static int apply_one(struct sq_conn *c, const struct migration *m, bool *ran, struct gl_error *err)
{
    *ran = false;
    int rc = sq_begin(c, true, err);
    if (rc)
        return rc;
    sqlite3_stmt *has = sq_stmt(c, SQ_MIGRATION_HAS, migration_has_sql, err);
    sqlite3_stmt *add = sq_stmt(c, SQ_MIGRATION_ADD, migration_add_sql, err);
    if (!has || !add) {
        rc = GL_E_INTERNAL;
        goto out;
    }
    sqlite3_bind_int(has, 1, m->version);
    int src = sqlite3_step(has);
    sqlite3_reset(has);
    if (src == SQLITE_ROW)
        goto out; /* already there */
    if (src != SQLITE_DONE) {
        rc = sq_error(c, src, NULL, "schema check", err);
        goto out;
    }
    rc = sq_exec(c, m->sql, err);
    if (rc) {
        char why[sizeof err->detail];
        snprintf(why, sizeof why, "%s", err ? err->detail : "");
        gl_error_set(err, GL_E_INTERNAL, NULL, "migration %d failed: %s", m->version, why);
        goto out;
    }
    sqlite3_bind_int(add, 1, m->version);
    rc = sq_exec_stmt(c, add, NULL, "schema record", err);
    if (rc)
        goto out;
    rc = sq_commit(c, err);
    *ran = rc == 0;
out:
    if (rc || !*ran)
        sq_rollback(c);
    return rc;
}

int sq_migrate_conn(struct sq_conn *c, int *applied, struct gl_error *err)
{
    int n = 0, have = 0;
    int rc = sq_exec(c,
                     "CREATE TABLE IF NOT EXISTS schema_migrations ("
                     "  version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
                     err);
    if (rc)
        goto out;
    const int newest = migrations[NMIGRATIONS - 1].version;
    bool done[NMIGRATIONS] = {false};
    rc = applied_versions(c, done, &have, err);
    if (rc)
        goto out;
    if (have > newest) {
        rc = gl_error_set(err, GL_E_INTERNAL, NULL,
                          "database schema version %d is newer than this program (%d)", have,
                          newest);
        goto out;
    }
    for (size_t i = 0; i < NMIGRATIONS; i++) {
        if (done[i])
            continue;
        bool ran;
        rc = apply_one(c, &migrations[i], &ran, err);
        if (rc)
            goto out;
        n += ran;
    }
out:
    if (applied)
        *applied = n;
    return rc;
}
