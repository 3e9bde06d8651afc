// Walks the sorted entry numbers of one posting list (a subject's rows in
// audit_subject, a facet's in audit_facet), and intersects several.
//
// Intersection leapfrogs: each list seeks to the largest number any list
// has reached, so the work follows the shortest list rather than the
// longest (Veldhuizen's leapfrog join). A seek costs one b-tree descent; a
// list that moves one row at a time steps its open statement instead.
#ifndef KETENPOORT_GATEWAY_AUDIT_POSTING_CURSOR_H_
#define KETENPOORT_GATEWAY_AUDIT_POSTING_CURSOR_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/store/sqlite_database.h"

namespace ketenpoort::audit {

class PostingCursor {
 public:
  // The rows of `table` whose `key_column` is `key`, with idx <= `last`.
  static absl::StatusOr<PostingCursor> Open(store::SqliteDatabase& db, std::string_view table,
                                            std::string_view key_column, int64_t key,
                                            uint64_t last);
  // The rows under any of `keys` (at least one), merged in order: one
  // person's entries under each of their pseudonyms.
  static absl::StatusOr<PostingCursor> OpenAny(store::SqliteDatabase& db, std::string_view table,
                                               std::string_view key_column,
                                               const std::vector<int64_t>& keys, uint64_t last);

  // The first entry number >= `at`, or nullopt when the list has none.
  // `at` never decreases between calls. Counts its row reads in *reads.
  absl::StatusOr<std::optional<uint64_t>> Seek(uint64_t at, uint64_t* reads);

 private:
  PostingCursor() = default;
  absl::Status Restart(uint64_t at, uint64_t* reads);

  store::SqliteDatabase* db_ = nullptr;
  store::Statement statement_;
  int64_t key_ = 0;
  uint64_t last_ = 0;
  std::optional<uint64_t> current_;  // nullopt: exhausted
  bool started_ = false;
  std::vector<PostingCursor> merged_;  // OpenAny with several keys: these instead
};

// Entry numbers within [first, last] present in every list, in order.
class PostingIntersection {
 public:
  explicit PostingIntersection(std::vector<PostingCursor> lists) : lists_(std::move(lists)) {}

  struct Step {
    enum Outcome { kFound, kNone, kOutOfBudget } outcome = kNone;
    // kFound: the common entry. kOutOfBudget: no entry below this one is
    // common; it is an entry of the first list, which is as far as the
    // reads allowed got.
    uint64_t index = 0;
  };
  // The first common entry number >= `at` and <= `last`. Stops once *reads
  // reaches `max_reads` (a few reads later, when the first list next moves
  // past `at`): two long lists that rarely meet would otherwise be walked
  // to their ends in one call.
  absl::StatusOr<Step> Next(uint64_t at, uint64_t last, uint64_t* reads, uint64_t max_reads);

 private:
  std::vector<PostingCursor> lists_;
};

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_POSTING_CURSOR_H_
