#include "gateway/audit/posting_cursor.h"

#include <sqlite3.h>

#include <string>

#include "gateway/common/status_macros.h"

namespace ketenpoort::audit {
namespace {

// How far a cursor steps before it seeks instead: one step reads the next
// row of a page already in hand, a seek descends the b-tree again.
constexpr int kStepsBeforeSeek = 4;

}  // namespace

absl::StatusOr<PostingCursor> PostingCursor::Open(store::SqliteDatabase& db, std::string_view table,
                                                  std::string_view key_column, int64_t key,
                                                  uint64_t last) {
  PostingCursor cursor;
  ASSIGN_OR_RETURN(cursor.statement_, db.Prepare("SELECT idx FROM " + std::string(table) +
                                                 " WHERE " + std::string(key_column) +
                                                 " = ?1 AND idx >= ?2 AND idx <= ?3 ORDER BY idx"));
  cursor.db_ = &db;
  cursor.key_ = key;
  cursor.last_ = last;
  return cursor;
}

absl::StatusOr<PostingCursor> PostingCursor::OpenAny(store::SqliteDatabase& db,
                                                     std::string_view table,
                                                     std::string_view key_column,
                                                     const std::vector<int64_t>& keys,
                                                     uint64_t last) {
  if (keys.size() == 1) return Open(db, table, key_column, keys.front(), last);
  PostingCursor cursor;
  for (const int64_t key : keys) {
    ASSIGN_OR_RETURN(PostingCursor list, Open(db, table, key_column, key, last));
    cursor.merged_.push_back(std::move(list));
  }
  return cursor;
}

absl::Status PostingCursor::Restart(uint64_t at, uint64_t* reads) {
  statement_.Reset();
  statement_.BindInt64(1, key_);
  statement_.BindInt64(2, static_cast<int64_t>(at));
  statement_.BindInt64(3, static_cast<int64_t>(std::min<uint64_t>(last_, INT64_MAX)));
  started_ = true;
  ++*reads;
  const int rc = statement_.Step();
  if (rc == SQLITE_ROW) {
    current_ = static_cast<uint64_t>(statement_.ColumnInt64(0));
    return absl::OkStatus();
  }
  current_.reset();
  return rc == SQLITE_DONE ? absl::OkStatus() : db_->Error("read posting list");
}

absl::StatusOr<std::optional<uint64_t>> PostingCursor::Seek(uint64_t at, uint64_t* reads) {
  if (!merged_.empty()) {
    std::optional<uint64_t> first;
    for (PostingCursor& list : merged_) {
      ASSIGN_OR_RETURN(const std::optional<uint64_t> found, list.Seek(at, reads));
      if (found && (!first || *found < *first)) first = found;
    }
    return first;
  }
  if (!started_) {
    RETURN_IF_ERROR(Restart(at, reads));
    return current_;
  }
  for (int step = 0; current_ && *current_ < at; ++step) {
    if (step == kStepsBeforeSeek) {
      RETURN_IF_ERROR(Restart(at, reads));
      return current_;
    }
    ++*reads;
    const int rc = statement_.Step();
    if (rc == SQLITE_ROW) {
      current_ = static_cast<uint64_t>(statement_.ColumnInt64(0));
    } else if (rc == SQLITE_DONE) {
      current_.reset();
    } else {
      return db_->Error("read posting list");
    }
  }
  return current_;
}

absl::StatusOr<PostingIntersection::Step> PostingIntersection::Next(uint64_t at, uint64_t last,
                                                                    uint64_t* reads,
                                                                    uint64_t max_reads) {
  if (lists_.empty() || at > last) return Step{};
  uint64_t candidate = at;
  size_t agreeing = 0;  // lists in a row that hold `candidate`
  for (size_t i = 0; agreeing < lists_.size(); i = (i + 1) % lists_.size()) {
    ASSIGN_OR_RETURN(const std::optional<uint64_t> found, lists_[i].Seek(candidate, reads));
    if (!found || *found > last) return Step{};
    // Out of budget, stop only just after the first list moved: no common
    // entry lies below `candidate`, and the first list holds none in
    // [candidate, *found), so none lies below *found. That is an entry of
    // the first list (the caller's scope), past `at`, so the call gets
    // somewhere and names nothing the caller may not see.
    if (i == 0 && *reads >= max_reads && *found > at) return Step{Step::kOutOfBudget, *found};
    if (*found == candidate) {
      ++agreeing;
    } else {
      candidate = *found;
      agreeing = 1;
    }
  }
  return Step{Step::kFound, candidate};
}

}  // namespace ketenpoort::audit
