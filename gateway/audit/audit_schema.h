// The audit store's SQLite schema, shared by its writer and its readers.
//
// Append-only is enforced by triggers: nothing is ever updated or deleted,
// except that retention may empty the content of entries 1..n once an
// audit_retention row (itself written next to an ADMIN entry) covers them.
// Triggers only stop honest mistakes; a tamperer with file access can drop
// them, and that is what the verifier and the signed checkpoints are for.
#ifndef KETENPOORT_GATEWAY_AUDIT_AUDIT_SCHEMA_H_
#define KETENPOORT_GATEWAY_AUDIT_AUDIT_SCHEMA_H_

#include <cstdint>

namespace ketenpoort::audit {

inline constexpr char kAuditSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS audit_entry (
  idx               INTEGER PRIMARY KEY,
  leaf_hash         BLOB NOT NULL CHECK (length(leaf_hash) = 32),
  entry             BLOB,              -- NULL once pruned
  time_us           INTEGER NOT NULL,
  partner_id        TEXT,
  source_partner_id TEXT,
  subject_key       INTEGER
);

-- Which entries concern which subject, for a person's access report.
-- Filled in bulk rather than per commit (decision 0016): once enough
-- entries follow `through`, the commit that brings them adds all their
-- rows in one go, and readers scan the entries after `through` themselves.
-- Derived from audit_entry; the tree and the checkpoints do not cover it.
CREATE TABLE IF NOT EXISTS audit_subject (
  subject_key INTEGER NOT NULL,
  idx         INTEGER NOT NULL,
  PRIMARY KEY (subject_key, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_subject_indexed (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  through INTEGER NOT NULL
);

-- Which entries have which filterable value (entry_facets.h), so a Query
-- walks the posting lists of its filters, never the log (decision 0027).
-- Filled in bulk like audit_subject; derived, and checked by the verifier.
CREATE TABLE IF NOT EXISTS audit_facet (
  facet INTEGER NOT NULL,
  idx   INTEGER NOT NULL,
  PRIMARY KEY (facet, idx)
) WITHOUT ROWID;
-- One row per bulk step: entries first..through are in audit_facet, and
-- their times lie within [min_time_us, max_time_us], so a time-bounded
-- query reads only the blocks that overlap it. The last `through` is the
-- facet index's watermark; readers scan the entries after it themselves.
CREATE TABLE IF NOT EXISTS audit_facet_block (
  through     INTEGER PRIMARY KEY,
  first       INTEGER NOT NULL,
  min_time_us INTEGER NOT NULL,
  max_time_us INTEGER NOT NULL
);

-- Roots of perfect Merkle subtrees of level >= 4; lower ones are computed
-- from at most 8 leaf hashes when needed.
CREATE TABLE IF NOT EXISTS audit_node (
  level INTEGER NOT NULL,
  idx   INTEGER NOT NULL,
  hash  BLOB NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;

-- The checkpoint signed for the latest commit; it only moves forward.
CREATE TABLE IF NOT EXISTS audit_head (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  size INTEGER NOT NULL,
  root BLOB NOT NULL CHECK (length(root) = 32),
  note TEXT NOT NULL
);
-- Signed checkpoints kept for good: at least one a second, or per 4096
-- entries, while the log grows.
CREATE TABLE IF NOT EXISTS audit_checkpoint (
  size INTEGER PRIMARY KEY,
  root BLOB NOT NULL CHECK (length(root) = 32),
  note TEXT NOT NULL
);

-- Retention: entries 1..through have had their content removed.
CREATE TABLE IF NOT EXISTS audit_retention (
  through     INTEGER PRIMARY KEY,
  cutoff_us   INTEGER NOT NULL,
  recorded_by INTEGER NOT NULL
);

CREATE TRIGGER IF NOT EXISTS audit_entry_no_update
  BEFORE UPDATE ON audit_entry
  WHEN NOT (NEW.idx = OLD.idx AND NEW.leaf_hash = OLD.leaf_hash AND NEW.entry IS NULL
            AND NEW.partner_id IS NULL AND NEW.source_partner_id IS NULL
            AND NEW.subject_key IS NULL
            AND OLD.idx <= (SELECT coalesce(max(through), 0) FROM audit_retention))
  BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only: UPDATE refused'); END;
-- Retention's verifier holds an emptied entry's time to its cutoff: it stays.
CREATE TRIGGER IF NOT EXISTS audit_entry_keeps_time
  BEFORE UPDATE OF time_us ON audit_entry WHEN NEW.time_us IS NOT OLD.time_us
  BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only: time_us cannot change'); END;
CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete
  BEFORE DELETE ON audit_entry
  BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only: DELETE refused'); END;
CREATE TRIGGER IF NOT EXISTS audit_node_no_update
  BEFORE UPDATE ON audit_node
  BEGIN SELECT RAISE(ABORT, 'audit_node is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS audit_node_no_delete
  BEFORE DELETE ON audit_node
  BEGIN SELECT RAISE(ABORT, 'audit_node is append-only: DELETE refused'); END;
CREATE TRIGGER IF NOT EXISTS audit_head_forward_only
  BEFORE UPDATE ON audit_head WHEN NEW.size <= OLD.size
  BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS audit_head_no_delete
  BEFORE DELETE ON audit_head
  BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END;
CREATE TRIGGER IF NOT EXISTS audit_checkpoint_no_update
  BEFORE UPDATE ON audit_checkpoint
  BEGIN SELECT RAISE(ABORT, 'audit_checkpoint is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS audit_checkpoint_no_delete
  BEFORE DELETE ON audit_checkpoint
  BEGIN SELECT RAISE(ABORT, 'audit_checkpoint is append-only: DELETE refused'); END;
CREATE TRIGGER IF NOT EXISTS audit_retention_no_update
  BEFORE UPDATE ON audit_retention
  BEGIN SELECT RAISE(ABORT, 'audit_retention is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS audit_retention_no_delete
  BEFORE DELETE ON audit_retention
  BEGIN SELECT RAISE(ABORT, 'audit_retention is append-only: DELETE refused'); END;
CREATE TRIGGER IF NOT EXISTS audit_facet_block_no_update
  BEFORE UPDATE ON audit_facet_block
  BEGIN SELECT RAISE(ABORT, 'audit_facet_block is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS audit_facet_block_no_delete
  BEFORE DELETE ON audit_facet_block
  BEGIN SELECT RAISE(ABORT, 'audit_facet_block is append-only: DELETE refused'); END;
)sql";

// Perfect subtrees below this level are not stored: they cost an insert
// per entry, and are cheap to recompute from at most 8 adjacent leaves.
inline constexpr uint32_t kLowestStoredNodeLevel = 4;

// Stores written before audit_subject indexed audit_entry itself, which
// cost every commit a page write per subject; opening one migrates it.
inline constexpr char kLegacySubjectIndex[] = "audit_entry_by_subject";

// The columns every entry read selects, in this order.
inline constexpr char kEntryColumns[] =
    "idx, leaf_hash, entry, time_us, partner_id, source_partner_id, subject_key";

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_AUDIT_SCHEMA_H_
