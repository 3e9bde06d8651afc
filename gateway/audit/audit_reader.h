// Read access to the audit store, on its own read-only SQLite connection,
// for the AuditService, the verifier and the tools. WAL mode lets it read
// while the gateway writes; every read sees one committed state.
// Thread-safe: calls are serialised on the connection, except NodeStream
// and ScanAll, which the single-threaded verifier uses.
#ifndef KETENPOORT_GATEWAY_AUDIT_AUDIT_READER_H_
#define KETENPOORT_GATEWAY_AUDIT_AUDIT_READER_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/audit/audit_rows.h"
#include "gateway/audit/audit_store.h"
#include "gateway/audit/posting_cursor.h"
#include "gateway/audit/schema_guard.h"
#include "gateway/store/sqlite_database.h"

namespace ketenpoort::audit {

// Which rows a scan visits; the caller decodes and filters further. Every
// condition is served by an index (decision 0027): the subject by
// audit_subject, the partner and the facets by audit_facet, the time by
// audit_facet_block; only the few entries after the indexes' watermarks
// are read in order.
struct EntryRange {
  uint64_t after_index = 0;  // exclusive
  uint64_t through_index = UINT64_MAX;
  std::optional<int64_t> from_unix_micros;   // inclusive
  std::optional<int64_t> until_unix_micros;  // exclusive
  // Only entries under one of these subject keys (one person's
  // pseudonyms); empty: any subject.
  std::vector<int64_t> subject_keys;
  // Only entries where this partner is the requester or the source.
  std::optional<std::string> involving_partner;
  // Only entries listed under every one of these (entry_facets.h). Entries
  // after the watermark are not filtered on them: the caller checks.
  std::vector<int64_t> facets;
  // Stop after reading this many rows, index and entry rows together, so
  // that a sparse filter cannot make one call read the whole log.
  uint64_t max_rows = UINT64_MAX;
};

struct RetentionRecord {
  uint64_t through = 0;
  int64_t cutoff_unix_micros = 0;
  uint64_t recorded_by = 0;
};

class AuditReader {
 public:
  // kWholeLog maps the file, for a tool that reads it once from end to end
  // (the verifier); kRequests reads pages into a bounded cache, for a
  // gateway that serves queries for months.
  enum class ReadPattern { kRequests, kWholeLog };
  static absl::StatusOr<std::unique_ptr<AuditReader>> Open(
      const std::string& path, ReadPattern pattern = ReadPattern::kRequests);

  absl::StatusOr<uint64_t> Size();
  // The head checkpoint (see AuditStore::LatestCheckpoint).
  absl::StatusOr<std::optional<StoredCheckpoint>> LatestCheckpoint();
  // NOT_FOUND as in AuditStore::Node.
  absl::StatusOr<merkle::Hash> Node(uint32_t level, uint64_t index);
  // Proofs over the stored tree, each read in one read transaction (one
  // snapshot, one file lock rather than one per node).
  absl::StatusOr<std::vector<merkle::Hash>> InclusionProof(uint64_t leaf_index, uint64_t size);
  absl::StatusOr<std::vector<merkle::Hash>> ConsistencyProof(uint64_t old_size, uint64_t new_size);
  absl::StatusOr<std::optional<StoredEntry>> Entry(uint64_t index);
  // Visits matching rows in index order until `visit` returns false or
  // the row budget runs out. Returns how far it got: every entry in the
  // range up to there was visited or does not match. That is the row
  // `visit` stopped at, or the end of the range (at most the log's size)
  // when the scan finished.
  absl::StatusOr<uint64_t> Scan(const EntryRange& range,
                                const std::function<bool(const StoredEntry&)>& visit);

  // For the verifier: every entry row in index order, as stored, including
  // rows whose constraints a tamperer has broken. The views are valid
  // only during the call.
  struct RawRow {
    uint64_t index = 0;
    std::string_view leaf_hash;  // 32 bytes unless tampered with
    std::string_view entry_bytes;
    bool pruned = false;
    // The query columns, which the verifier checks against the bytes.
    int64_t time_unix_micros = 0;
    std::optional<std::string_view> partner_id;  // nullopt: NULL
    std::optional<std::string_view> source_partner_id;
    std::optional<int64_t> subject_key;
    // The first column stored as a type other than its own ("time_us is
    // stored as TEXT"), or nullptr. Such a value reads back as the right
    // one but no query that binds the right type finds it.
    const char* mistyped = nullptr;
  };
  absl::Status ScanAll(const std::function<bool(const RawRow&)>& visit);
  // Holds one read transaction open, so a series of reads sees one
  // snapshot. Not with concurrent calls from other threads.
  absl::Status BeginRead();
  void EndRead();
  absl::Status ScanCheckpoints(const std::function<bool(const StoredCheckpoint&)>& visit);
  absl::StatusOr<std::vector<RetentionRecord>> RetentionRecords();
  // For the verifier: the facet index's rows in its own key order, and its
  // time blocks in entry order.
  absl::Status ScanFacets(const std::function<void(int64_t facet, uint64_t index)>& visit);
  struct FacetBlock {
    uint64_t first = 0;
    uint64_t through = 0;
    int64_t min_time_unix_micros = 0;
    int64_t max_time_unix_micros = 0;
  };
  absl::StatusOr<std::vector<FacetBlock>> FacetBlocks();
  // How far the subject index claims to cover (audit_subject_indexed).
  absl::StatusOr<uint64_t> SubjectIndexedThrough();
  // For the verifier: the rows of the small tables beside the entries
  // (retention, subject watermark, checkpoints, head) with a column stored
  // as another type than its own, one description per column.
  absl::StatusOr<std::vector<std::string>> MistypedSideRows();
  // For the verifier: how the schema differs from this version's (see
  // schema_guard.h), and what SQLite's own integrity_check finds in the
  // file's b-trees (pages shared or lost, bad records, and rows out of key
  // order: in a WITHOUT ROWID table those read back whole in a scan yet are
  // never found by key, which quick_check does not look for). Every other
  // read refuses a store whose schema differs.
  absl::StatusOr<std::vector<std::string>> SchemaProblems();
  absl::StatusOr<std::vector<std::string>> IntegrityCheck(size_t max_problems);

  // The stored nodes of one level, in index order.
  class NodeStream {
   public:
    // False at the end (or on error: see status()).
    bool Next(uint64_t* index, merkle::Hash* hash);
    const absl::Status& status() const { return status_; }

   private:
    friend class AuditReader;
    store::Statement statement_;
    absl::Status status_;
    const store::SqliteDatabase* db_ = nullptr;
  };
  absl::StatusOr<std::unique_ptr<NodeStream>> OpenNodeStream(uint32_t level);

  // The subject index rows in entry order, for the verifier.
  class SubjectStream {
   public:
    // False at the end (or on error: see status()). `typed` is false for
    // a row with a column stored as another type than INTEGER.
    bool Next(uint64_t* index, int64_t* subject_key, bool* typed);
    const absl::Status& status() const { return status_; }

   private:
    friend class AuditReader;
    store::Statement statement_;
    absl::Status status_;
    const store::SqliteDatabase* db_ = nullptr;
  };
  // An empty stream for a store without the index.
  absl::StatusOr<std::unique_ptr<SubjectStream>> OpenSubjectStream();

 private:
  explicit AuditReader(std::unique_ptr<store::SqliteDatabase> db)
      : db_(std::move(db)), schema_(*db_) {}
  template <typename Work>
  auto InReadTransaction(Work work) -> decltype(work());
  struct ScanState;
  // The entries of [first, last] matching `range`'s column conditions, read
  // in order (the unindexed tail, or ranges no posting list narrows).
  absl::Status ScanRows(ScanState& state, uint64_t first, uint64_t last, bool tail);
  // The posting lists of the range's conditions, the caller's scope first.
  absl::StatusOr<std::unique_ptr<PostingIntersection>> OpenPostings(
      const EntryRange& range, const std::vector<int64_t>& facets, uint64_t last);
  // The indexed entries of [first, last] in every posting list.
  absl::Status ScanPostings(ScanState& state, PostingIntersection& common, uint64_t first,
                            uint64_t last);
  // The indexed entries of [first, last], through the posting lists if
  // any (`common`), within the time blocks that overlap the range's time.
  absl::Status ScanIndexed(ScanState& state, PostingIntersection* common, uint64_t first,
                           uint64_t last);
  absl::StatusOr<uint64_t> Watermark(std::string_view sql);
  // The n-th entry (from 1) at or after `first` listed under `facet`, up
  // to `last`; nullopt if there are fewer.
  absl::StatusOr<std::optional<uint64_t>> NthPosting(int64_t facet, uint64_t first, uint64_t last,
                                                     uint64_t n);

  std::mutex mutex_;
  std::unique_ptr<store::SqliteDatabase> db_;
  SchemaGuard schema_;
  NodeReader nodes_;
  store::Statement select_entry_;
  // False for a store no gateway has opened since audit_subject came in:
  // subject scans then filter audit_entry as it is.
  bool has_subject_index_ = false;
  bool has_facet_index_ = false;  // false before the gateway migrated the store
};

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_AUDIT_READER_H_
