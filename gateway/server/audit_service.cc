#include "gateway/server/audit_service.h"

#include <algorithm>
#include <charconv>

#include "gateway/audit/entry_facets.h"
#include "gateway/audit/tree_proofs.h"
#include "gateway/common/crypto.h"
#include "gateway/common/error.h"
#include "gateway/common/log.h"
#include "gateway/common/status_macros.h"
#include "gateway/policy/decision.h"
#include "gateway/server/call_audit.h"
#include "gateway/server/decoded_call.h"
#include "gateway/server/unary_call.h"
#include "gateway/validate/subject_id.h"

namespace ketenpoort::server {
namespace {

constexpr char kService[] = "/ketenpoort.v1.AuditService/";
// The audit log itself, as a "record type" in entries about reading it.
constexpr char kAuditLogRecordType[] = "ketenpoort.AuditLog";
constexpr uint32_t kDefaultPageSize = 100;
constexpr uint32_t kMaxPageSize = 1000;
// A report line is at most a few hundred bytes, so even a full page stays
// far below gRPC's 4 MB message limit.
constexpr uint32_t kDefaultReportPageSize = 200;
// Rows one call reads at most (index rows and entries together), so a
// sparse filter cannot make one call read the whole log.
constexpr uint64_t kMaxRowsPerCall = 50'000;

// An entry that no longer decodes is reported to the caller and the
// process log, never skipped: skipping it would hide it from every query
// and report. Only its index is named.
absl::Status Undecodable(uint64_t index) {
  log::Error("audit_entry_undecodable", {{"index", index}});
  return MakeError(absl::StatusCode::kDataLoss, "AUDIT_ENTRY_CORRUPT",
                   "audit entry " + std::to_string(index) +
                       " does not decode; run `ketenctl audit verify` and restore the store");
}

// Whose entries the caller may read: all (a supervisor, or the person
// about themself), or those of one organisation (its privacy officer).
// The one scoping rule for GetEntry, Query and the access report.
struct ReadScope {
  bool all = false;
  std::string organisation;

  bool Covers(const v1::AuditEntry& entry) const {
    return all || entry.partner_id() == organisation || entry.source_partner_id() == organisation;
  }
};

// `subject_id`: the person a report is about, or empty for entries and
// queries. Only a report may be asked by the person, at the subject portal.
absl::StatusOr<ReadScope> ScopeOf(const absl::StatusOr<Caller>& caller, const policy::Facts& facts,
                                  std::string_view subject_id = "") {
  RETURN_IF_ERROR(RequireKnownPartner(caller));
  switch (caller->partner->type) {
    case identity::PartnerType::kSupervisor:
      return ReadScope{.all = true, .organisation = ""};
    case identity::PartnerType::kPrivacyOfficer:
      return ReadScope{.all = false, .organisation = caller->partner->organisation};
    case identity::PartnerType::kSubjectPortal:
      if (subject_id.empty()) break;
      if (!facts.SamePerson(caller->authenticated_subject, subject_id)) {
        return MakeError(absl::StatusCode::kPermissionDenied, policy::reason::kNotTheSubject,
                         "a subject portal gets the report of the person signed in, no one "
                         "else's");
      }
      return ReadScope{.all = true, .organisation = ""};
    default:
      break;
  }
  return MakeError(absl::StatusCode::kPermissionDenied, "AUDIT_READ_NOT_ENTITLED",
                   "only privacy officers and supervisors may read audit entries, and the "
                   "person their own report");
}

std::string HashBytes(const audit::merkle::Hash& hash) {
  return std::string(crypto::AsBytes(hash));
}

// A page token says where the next page starts: after which entry, and
// for a report also at which tree size (every page is read at the first
// page's checkpoint). Opaque to callers; checked on the way back.
struct PageToken {
  uint64_t after = 0;
  uint64_t tree_size = 0;  // 0: not fixed
};

std::string EncodePageToken(PageToken token) {
  std::string text = "after:" + std::to_string(token.after);
  if (token.tree_size != 0) text += ":size:" + std::to_string(token.tree_size);
  return crypto::Base64Encode(text);
}

absl::StatusOr<PageToken> DecodePageToken(const std::string& token) {
  if (token.empty()) return PageToken{};
  auto bad = [] {
    return MakeError(absl::StatusCode::kInvalidArgument, "BAD_PAGE_TOKEN",
                     "page_token is not one this gateway issued");
  };
  auto text = crypto::Base64Decode(token);
  if (!text.ok() || text->rfind("after:", 0) != 0) return bad();
  PageToken decoded;
  const char* begin = text->data() + 6;
  const char* end = text->data() + text->size();
  auto [stop, error] = std::from_chars(begin, end, decoded.after);
  if (error != std::errc()) return bad();
  if (stop != end) {
    constexpr std::string_view kSize = ":size:";
    if (std::string_view(stop, static_cast<size_t>(end - stop)).substr(0, kSize.size()) != kSize) {
      return bad();
    }
    auto [size_stop, size_error] = std::from_chars(stop + kSize.size(), end, decoded.tree_size);
    if (size_error != std::errc() || size_stop != end || decoded.tree_size == 0) return bad();
  }
  return decoded;
}

// The facets (entry_facets.h) a request's filters select, so the reader
// walks their posting lists instead of the log.
std::vector<int64_t> FacetsOf(const v1::AuditQueryRequest& request) {
  using audit::Facet;
  using audit::FacetKey;
  std::vector<int64_t> facets;
  if (!request.partner_id().empty()) {
    facets.push_back(FacetKey(Facet::kInvolves, request.partner_id()));
  }
  if (request.purpose() != v1::PURPOSE_UNSPECIFIED) {
    facets.push_back(FacetKey(Facet::kPurpose, request.purpose()));
  }
  if (request.decision() != v1::AuditEntry::DECISION_UNSPECIFIED) {
    facets.push_back(FacetKey(Facet::kDecision, request.decision()));
  }
  if (!request.reason().empty()) facets.push_back(FacetKey(Facet::kReason, request.reason()));
  if (!request.record_type().empty()) {
    facets.push_back(FacetKey(Facet::kRecordType, request.record_type()));
  }
  if (request.break_glass_only()) facets.push_back(FacetKey(Facet::kReviewRequired, 1));
  return facets;
}

// Whether `entry` carries one of the person's pseudonyms.
bool AboutThePerson(const std::vector<std::string>& pseudonyms, const v1::AuditEntry& entry) {
  return std::find(pseudonyms.begin(), pseudonyms.end(), entry.subject_pseudonym()) !=
         pseudonyms.end();
}

std::vector<int64_t> SubjectKeys(const std::vector<std::string>& pseudonyms) {
  std::vector<int64_t> keys;
  for (const std::string& pseudonym : pseudonyms) {
    if (const std::optional<int64_t> key = audit::SubjectKey(pseudonym)) keys.push_back(*key);
  }
  return keys;
}

// `pseudonyms`: the person asked about (every pseudonym their entries may
// carry), or empty for anyone.
bool Matches(const v1::AuditQueryRequest& request, const std::vector<std::string>& pseudonyms,
             const v1::AuditEntry& entry) {
  if (!request.partner_id().empty() && entry.partner_id() != request.partner_id() &&
      entry.source_partner_id() != request.partner_id()) {
    return false;
  }
  if (request.purpose() != v1::PURPOSE_UNSPECIFIED && entry.purpose() != request.purpose()) {
    return false;
  }
  if (request.decision() != v1::AuditEntry::DECISION_UNSPECIFIED &&
      entry.decision() != request.decision()) {
    return false;
  }
  if (!request.reason().empty() && entry.reason() != request.reason()) return false;
  if (!request.record_type().empty() && entry.record_type() != request.record_type()) return false;
  if (request.break_glass_only() && !entry.review_required()) return false;
  return pseudonyms.empty() || AboutThePerson(pseudonyms, entry);
}

}  // namespace

absl::StatusOr<Caller> AuditService::Identify(grpc::CallbackServerContext* context) const {
  return services_.Identify(*context);
}

v1::AuditEntry AuditService::ReadEntry(const absl::StatusOr<Caller>& caller,
                                       const std::string& method, std::string_view subject_id,
                                       v1::Purpose purpose) const {
  v1::AuditEntry entry = audit_.NewEntry(caller, v1::AuditEntry::ADMIN,
                                         std::string(kService) + method, subject_id, purpose);
  entry.set_record_type(kAuditLogRecordType);
  return entry;
}

absl::Status AuditService::RecordRead(const Caller& caller, const std::string& method,
                                      const std::string& subject_pseudonym, v1::Purpose purpose,
                                      const std::string& detail) const {
  v1::AuditEntry entry = ReadEntry(caller, method, "", purpose);
  entry.set_subject_pseudonym(subject_pseudonym);
  return audit_.Permit(std::move(entry), detail);
}

absl::Status AuditService::Refused(const absl::StatusOr<Caller>& caller, const std::string& method,
                                   std::string_view subject_id, const absl::Status& error) const {
  return audit_.Refuse(ReadEntry(caller, method, subject_id, v1::AUDIT_REVIEW), error);
}

absl::Status AuditService::AuditedRefusal(const absl::StatusOr<Caller>& caller,
                                          const std::string& method, std::string_view subject_id,
                                          absl::Status outcome) const {
  if (outcome.ok() || IsAuditFailure(outcome)) return outcome;
  return Refused(caller, method, subject_id, outcome);
}

absl::Status AuditService::DoGetCheckpoint(const absl::StatusOr<Caller>& caller,
                                           v1::GetCheckpointResponse* response) {
  if (absl::Status unknown = RequireKnownPartner(caller); !unknown.ok()) {
    return unknown;
  }
  const audit::StoredCheckpoint head = services_.audit->LatestCheckpoint();
  if (head.size == 0) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "AUDIT_LOG_EMPTY",
                     "the audit log has no checkpoint yet");
  }
  response->set_note(head.note);
  response->set_tree_size(head.size);
  response->set_root_hash(HashBytes(head.root));
  response->set_verifier_key(services_.audit->signer().VerifierKey());
  return absl::OkStatus();
}

absl::Status AuditService::DoGetInclusionProof(const absl::StatusOr<Caller>& caller,
                                               const v1::GetInclusionProofRequest& request,
                                               v1::GetInclusionProofResponse* response) {
  if (absl::Status unknown = RequireKnownPartner(caller); !unknown.ok()) {
    return unknown;
  }
  const uint64_t latest = services_.audit->LatestCheckpoint().size;
  const uint64_t size = request.tree_size() == 0 ? latest : request.tree_size();
  if (request.index() == 0) {
    return MakeError(absl::StatusCode::kInvalidArgument, "BAD_INDEX", "entry indexes start at 1");
  }
  if (size > latest || request.index() > size) {
    return MakeError(absl::StatusCode::kOutOfRange, "BEYOND_TREE",
                     "entry " + std::to_string(request.index()) + " in a tree of " +
                         std::to_string(size) + " entries is beyond the latest checkpoint (" +
                         std::to_string(latest) + ")");
  }
  const uint64_t leaf = request.index() - 1;
  ASSIGN_OR_RETURN(audit::merkle::Hash leaf_hash, reader_->Node(0, leaf));
  ASSIGN_OR_RETURN(std::vector<audit::merkle::Hash> proof, reader_->InclusionProof(leaf, size));
  response->set_leaf_index(leaf);
  response->set_tree_size(size);
  response->set_leaf_hash(HashBytes(leaf_hash));
  for (const audit::merkle::Hash& hash : proof) response->add_hashes(HashBytes(hash));
  return absl::OkStatus();
}

absl::Status AuditService::DoGetConsistencyProof(const absl::StatusOr<Caller>& caller,
                                                 const v1::GetConsistencyProofRequest& request,
                                                 v1::GetConsistencyProofResponse* response) {
  if (absl::Status unknown = RequireKnownPartner(caller); !unknown.ok()) {
    return unknown;
  }
  const uint64_t latest = services_.audit->LatestCheckpoint().size;
  const uint64_t new_size = request.new_size() == 0 ? latest : request.new_size();
  if (request.old_size() == 0 || request.old_size() > new_size) {
    return MakeError(absl::StatusCode::kInvalidArgument, "BAD_TREE_SIZES",
                     "need 0 < old_size <= new_size");
  }
  if (new_size > latest) {
    return MakeError(absl::StatusCode::kOutOfRange, "BEYOND_TREE",
                     "new_size " + std::to_string(new_size) + " is beyond the latest checkpoint (" +
                         std::to_string(latest) + ")");
  }
  ASSIGN_OR_RETURN(std::vector<audit::merkle::Hash> proof,
                   reader_->ConsistencyProof(request.old_size(), new_size));
  response->set_old_size(request.old_size());
  response->set_new_size(new_size);
  for (const audit::merkle::Hash& hash : proof) response->add_hashes(HashBytes(hash));
  return absl::OkStatus();
}

absl::Status AuditService::DoGetEntry(const absl::StatusOr<Caller>& caller,
                                      const v1::GetEntryRequest& request,
                                      v1::GetEntryResponse* response) {
  const absl::StatusOr<ReadScope> scoped = ScopeOf(caller, *services_.facts);
  if (!scoped.ok()) return scoped.status();
  const ReadScope& scope = *scoped;
  const uint64_t latest = services_.audit->LatestCheckpoint().size;
  if (request.index() == 0 || request.index() > latest) {
    return MakeError(absl::StatusCode::kNotFound, "NO_SUCH_ENTRY",
                     "there is no entry " + std::to_string(request.index()));
  }
  ASSIGN_OR_RETURN(std::optional<audit::StoredEntry> row, reader_->Entry(request.index()));
  if (!row) {
    return MakeError(absl::StatusCode::kDataLoss, "AUDIT_ENTRY_MISSING",
                     "entry " + std::to_string(request.index()) + " is missing from the store");
  }
  v1::AuditEntry entry;
  if (!row->pruned) {
    if (!entry.ParseFromString(row->entry_bytes)) return Undecodable(request.index());
  }
  // Out of scope looks the same as absent (no probing for who did what), and
  // the attempt is recorded. A pruned entry no longer says whose it was: only
  // a reader of every entry gets it.
  if (row->pruned ? !scope.all : !scope.Covers(entry)) {
    return MakeError(absl::StatusCode::kNotFound, "NO_SUCH_ENTRY",
                     "there is no entry " + std::to_string(request.index()) + " for you");
  }
  // Reading an entry about a person is a use of their data: it shows in
  // their access report.
  RETURN_IF_ERROR(RecordRead(*caller, "GetEntry", entry.subject_pseudonym(), v1::AUDIT_REVIEW,
                             "read one entry"));
  response->set_pruned(row->pruned);
  response->set_leaf_hash(HashBytes(row->leaf_hash));
  if (!row->pruned) {
    response->set_entry_bytes(row->entry_bytes);
    *response->mutable_entry() = std::move(entry);
  }
  return absl::OkStatus();
}

absl::Status AuditService::DoQuery(const absl::StatusOr<Caller>& caller,
                                   const v1::AuditQueryRequest& request,
                                   v1::AuditQueryResponse* response) {
  const absl::StatusOr<ReadScope> scoped = ScopeOf(caller, *services_.facts);
  if (!scoped.ok()) return scoped.status();
  const ReadScope& scope = *scoped;
  ASSIGN_OR_RETURN(const PageToken token, DecodePageToken(request.page_token()));
  if (request.page_size() > kMaxPageSize) {
    return MakeError(absl::StatusCode::kInvalidArgument, "PAGE_TOO_LARGE",
                     "page_size is at most " + std::to_string(kMaxPageSize));
  }
  if (request.from_unix_micros() < 0 || request.until_unix_micros() < 0 ||
      (request.until_unix_micros() != 0 &&
       request.until_unix_micros() <= request.from_unix_micros())) {
    return MakeError(absl::StatusCode::kInvalidArgument, "BAD_TIME_RANGE",
                     "need 0 <= from < until (0 means unbounded)");
  }
  std::vector<std::string> pseudonyms;
  audit::EntryRange range;
  if (!request.subject_id().empty()) {
    RETURN_IF_ERROR(validate::ValidateSubjectId(request.subject_id()));
    pseudonyms = services_.pseudonymizer->Pseudonyms(request.subject_id());
    range.subject_keys = SubjectKeys(pseudonyms);
  }
  const size_t page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  range.after_index = token.after;
  range.through_index = services_.audit->LatestCheckpoint().size;
  if (request.from_unix_micros() != 0) range.from_unix_micros = request.from_unix_micros();
  if (request.until_unix_micros() != 0) range.until_unix_micros = request.until_unix_micros();
  if (!scope.all) range.involving_partner = scope.organisation;
  range.facets = FacetsOf(request);
  range.max_rows = kMaxRowsPerCall;

  v1::AuditEntry entry;
  absl::Status decoded;
  ASSIGN_OR_RETURN(const uint64_t covered, reader_->Scan(range, [&](const audit::StoredEntry& row) {
    if (!entry.ParseFromString(row.entry_bytes)) {
      decoded = Undecodable(row.index);
      return false;
    }
    // The indexes chose the rows; the entry itself decides.
    if (scope.Covers(entry) && Matches(request, pseudonyms, entry)) {
      *response->add_entries() = entry;
    }
    return static_cast<size_t>(response->entries_size()) < page_size;
  }));
  RETURN_IF_ERROR(decoded);
  // More may follow if the page filled up or this call's row budget ran out.
  if (covered < range.through_index) {
    response->set_next_page_token(EncodePageToken({.after = covered, .tree_size = 0}));
  }
  return RecordRead(
      *caller, "Query", pseudonyms.empty() ? "" : pseudonyms.front(), v1::AUDIT_REVIEW,
      "audit query returned " + std::to_string(response->entries_size()) + " entries");
}

absl::Status AuditService::DoGetSubjectAccessReport(const absl::StatusOr<Caller>& caller,
                                                    const v1::SubjectAccessReportRequest& request,
                                                    v1::SubjectAccessReport* response) {
  const absl::StatusOr<ReadScope> scoped = ScopeOf(caller, *services_.facts, request.subject_id());
  if (!scoped.ok()) {
    return scoped.status();
  }
  const ReadScope& scope = *scoped;
  RETURN_IF_ERROR(validate::ValidateSubjectId(request.subject_id()));
  ASSIGN_OR_RETURN(const audit::AccessReportCatalogue* catalogue,
                   catalogues_->ForRequest(request.language()));
  const std::string& language = catalogue->language;
  ASSIGN_OR_RETURN(const PageToken token, DecodePageToken(request.page_token()));
  if (request.page_size() > kMaxPageSize) {
    return MakeError(absl::StatusCode::kInvalidArgument, "PAGE_TOO_LARGE",
                     "page_size is at most " + std::to_string(kMaxPageSize));
  }
  const size_t page_size = request.page_size() == 0 ? kDefaultReportPageSize : request.page_size();
  const std::vector<std::string> pseudonyms =
      services_.pseudonymizer->Pseudonyms(request.subject_id());
  // The checkpoint a first page is read at; a proof needs its signed note.
  const audit::StoredCheckpoint head = services_.audit->LatestCheckpoint();
  const uint64_t latest = head.size;
  const uint64_t size = token.tree_size != 0 ? token.tree_size : latest;
  if (size > latest || token.after > size) {
    return MakeError(absl::StatusCode::kInvalidArgument, "BAD_PAGE_TOKEN",
                     "page_token is not one this gateway issued");
  }
  audit::EntryRange range;
  range.after_index = token.after;
  range.subject_keys = SubjectKeys(pseudonyms);
  range.through_index = size;
  if (!scope.all) range.involving_partner = scope.organisation;
  range.max_rows = kMaxRowsPerCall;
  std::vector<v1::AuditEntry> accesses;
  std::vector<std::string> entry_bytes;  // with_proofs: as hashed into the log
  v1::AuditEntry entry;
  absl::Status decoded;
  ASSIGN_OR_RETURN(const uint64_t covered, reader_->Scan(range, [&](const audit::StoredEntry& row) {
    if (!entry.ParseFromString(row.entry_bytes)) {
      decoded = Undecodable(row.index);
      return false;
    }
    if (AboutThePerson(pseudonyms, entry) && scope.Covers(entry) && audit::IsReportedEntry(entry)) {
      accesses.push_back(entry);
      if (request.with_proofs()) entry_bytes.push_back(row.entry_bytes);
    }
    return accesses.size() < page_size;
  }));
  RETURN_IF_ERROR(decoded);
  // The proofs lead to the report's checkpoint; its signed note goes with
  // the first page (later pages: the caller kept it).
  std::vector<std::vector<audit::merkle::Hash>> proofs;
  for (const v1::AuditEntry& line : accesses) {
    if (!request.with_proofs()) break;
    ASSIGN_OR_RETURN(std::vector<audit::merkle::Hash> proof,
                     reader_->InclusionProof(line.index() - 1, size));
    proofs.push_back(std::move(proof));
  }
  // The person will see this report being made, in their next report.
  RETURN_IF_ERROR(RecordRead(
      *caller, "GetSubjectAccessReport", pseudonyms.front(), v1::SUBJECT_ACCESS,
      "subject access report (" + language + (token.after == 0 ? ")" : ", a further page)")));
  *response = audit::RenderAccessReport(*catalogue, accesses, services_.clock->NowUnixMicros());
  response->set_tree_size(size);
  if (request.with_proofs()) {
    for (size_t i = 0; i < proofs.size(); ++i) {
      v1::SubjectAccessReport::Access& line = *response->mutable_accesses(static_cast<int>(i));
      line.set_entry_bytes(std::move(entry_bytes[i]));
      for (const audit::merkle::Hash& hash : proofs[i]) line.add_inclusion_proof(HashBytes(hash));
    }
    if (token.after == 0 && head.size == size) {
      // The head checkpoint, with the person's pseudonyms signed into it.
      std::vector<std::string> extensions;
      for (const std::string& pseudonym : pseudonyms) {
        response->add_subject_pseudonyms(pseudonym);
        extensions.push_back(std::string(audit::kReportSubjectExtension) + " " + pseudonym);
      }
      response->set_checkpoint(services_.audit->signer().Sign(head.size, head.root, extensions));
    }
  }
  if (covered < size) {
    response->set_next_page_token(EncodePageToken({.after = covered, .tree_size = size}));
  }
  return absl::OkStatus();
}

absl::Status AuditService::DoReviewBreakGlass(const absl::StatusOr<Caller>& caller,
                                              const v1::ReviewBreakGlassRequest& request,
                                              v1::ReviewBreakGlassResponse* response) {
  constexpr char kMethod[] = "ReviewBreakGlass";
  constexpr size_t kMaxNote = 500;
  const absl::StatusOr<ReadScope> scoped = ScopeOf(caller, *services_.facts);
  if (!scoped.ok()) return scoped.status();
  if (request.verdict() != v1::AuditEntry::JUSTIFIED &&
      request.verdict() != v1::AuditEntry::NOT_JUSTIFIED) {
    return MakeError(absl::StatusCode::kInvalidArgument, "BAD_VERDICT",
                     "verdict is JUSTIFIED or NOT_JUSTIFIED");
  }
  if (request.note().size() > kMaxNote) {
    return MakeError(absl::StatusCode::kInvalidArgument, "NOTE_TOO_LONG",
                     "note is at most " + std::to_string(kMaxNote) + " bytes");
  }
  // Out of scope, pruned or absent all look the same: no probing.
  const auto no_such_entry = [&] {
    return MakeError(
        absl::StatusCode::kNotFound, "NO_SUCH_ENTRY",
        "there is no break-glass entry " + std::to_string(request.index()) + " for you");
  };
  if (request.index() == 0 || request.index() > services_.audit->LatestCheckpoint().size) {
    return no_such_entry();
  }
  ASSIGN_OR_RETURN(std::optional<audit::StoredEntry> row, reader_->Entry(request.index()));
  if (!row || row->pruned) return no_such_entry();
  v1::AuditEntry reviewed;
  if (!reviewed.ParseFromString(row->entry_bytes)) return Undecodable(request.index());
  // Only the organisation that made the access reviews it (or a
  // supervisor); the source's officer sees it but does not judge it.
  if (!scoped->all && reviewed.partner_id() != scoped->organisation) return no_such_entry();
  if (!reviewed.review_required()) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "NOT_BREAK_GLASS",
                     "entry " + std::to_string(request.index()) +
                         " is not a break-glass access; only those are reviewed");
  }
  // About the same person and record as the access, so it stands beside
  // it in the person's report.
  v1::AuditEntry review = ReadEntry(caller, kMethod, "", v1::AUDIT_REVIEW);
  review.set_subject_pseudonym(reviewed.subject_pseudonym());
  review.set_record_type(reviewed.record_type());
  review.set_reviewed_index(request.index());
  review.set_review_verdict(request.verdict());
  RETURN_IF_ERROR(
      audit_.Permit(std::move(review), "break-glass entry " + std::to_string(request.index()) +
                                           " " + v1::AuditEntry::Verdict_Name(request.verdict()) +
                                           (request.note().empty() ? "" : ": " + request.note())));
  response->set_reviewed_index(request.index());
  response->set_verdict(request.verdict());
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* AuditService::GetCheckpoint(grpc::CallbackServerContext* context,
                                                      const v1::GetCheckpointRequest*,
                                                      v1::GetCheckpointResponse* response) {
  return RunUnary(services_.workers, context, [=, this] {
    const absl::StatusOr<Caller> caller = Identify(context);
    return AuditedRefusal(caller, "GetCheckpoint", "", DoGetCheckpoint(caller, response));
  });
}

grpc::ServerUnaryReactor* AuditService::GetInclusionProof(
    grpc::CallbackServerContext* context, const v1::GetInclusionProofRequest* request,
    v1::GetInclusionProofResponse* response) {
  return RunUnary(services_.workers, context, [=, this] {
    const absl::StatusOr<Caller> caller = Identify(context);
    return AuditedRefusal(caller, "GetInclusionProof", "",
                          DoGetInclusionProof(caller, *request, response));
  });
}

grpc::ServerUnaryReactor* AuditService::GetConsistencyProof(
    grpc::CallbackServerContext* context, const v1::GetConsistencyProofRequest* request,
    v1::GetConsistencyProofResponse* response) {
  return RunUnary(services_.workers, context, [=, this] {
    const absl::StatusOr<Caller> caller = Identify(context);
    return AuditedRefusal(caller, "GetConsistencyProof", "",
                          DoGetConsistencyProof(caller, *request, response));
  });
}

grpc::ServerUnaryReactor* AuditService::GetEntry(grpc::CallbackServerContext* context,
                                                 const v1::GetEntryRequest* request,
                                                 v1::GetEntryResponse* response) {
  return RunUnary(services_.workers, context, [=, this] {
    const absl::StatusOr<Caller> caller = Identify(context);
    return AuditedRefusal(caller, "GetEntry", "", DoGetEntry(caller, *request, response));
  });
}

grpc::ServerUnaryReactor* AuditService::Query(grpc::CallbackServerContext* context,
                                              const v1::AuditQueryRequest* request,
                                              v1::AuditQueryResponse* response) {
  return RunUnary(services_.workers, context, [=, this] {
    const absl::StatusOr<Caller> caller = Identify(context);
    return AuditedRefusal(caller, "Query", request->subject_id(),
                          DoQuery(caller, *request, response));
  });
}

grpc::ServerUnaryReactor* AuditService::GetSubjectAccessReport(
    grpc::CallbackServerContext* context, const v1::SubjectAccessReportRequest* request,
    v1::SubjectAccessReport* response) {
  return RunUnary(services_.workers, context, [=, this] {
    const absl::StatusOr<Caller> caller = Identify(context);
    return AuditedRefusal(caller, "GetSubjectAccessReport", request->subject_id(),
                          DoGetSubjectAccessReport(caller, *request, response));
  });
}

grpc::ServerUnaryReactor* AuditService::ReviewBreakGlass(grpc::CallbackServerContext* context,
                                                         const v1::ReviewBreakGlassRequest* request,
                                                         v1::ReviewBreakGlassResponse* response) {
  return RunUnary(services_.workers, context, [=, this] {
    const absl::StatusOr<Caller> caller = Identify(context);
    return AuditedRefusal(caller, "ReviewBreakGlass", "",
                          DoReviewBreakGlass(caller, *request, response));
  });
}

void AuditService::ServeDecodedRequests() {
  MarkMethodRawCallback(0, DecodedHandler(this, &AuditService::GetCheckpoint, services_.workers,
                                          Refusal(services_, v1::AuditEntry::ADMIN,
                                                  "/ketenpoort.v1.AuditService/GetCheckpoint")));
  MarkMethodRawCallback(1,
                        DecodedHandler(this, &AuditService::GetInclusionProof, services_.workers,
                                       Refusal(services_, v1::AuditEntry::ADMIN,
                                               "/ketenpoort.v1.AuditService/GetInclusionProof")));
  MarkMethodRawCallback(2,
                        DecodedHandler(this, &AuditService::GetConsistencyProof, services_.workers,
                                       Refusal(services_, v1::AuditEntry::ADMIN,
                                               "/ketenpoort.v1.AuditService/GetConsistencyProof")));
  MarkMethodRawCallback(3, DecodedHandler(this, &AuditService::GetEntry, services_.workers,
                                          Refusal(services_, v1::AuditEntry::ADMIN,
                                                  "/ketenpoort.v1.AuditService/GetEntry")));
  MarkMethodRawCallback(4, DecodedHandler(this, &AuditService::Query, services_.workers,
                                          Refusal(services_, v1::AuditEntry::ADMIN,
                                                  "/ketenpoort.v1.AuditService/Query")));
  MarkMethodRawCallback(
      5, DecodedHandler(this, &AuditService::GetSubjectAccessReport, services_.workers,
                        Refusal(services_, v1::AuditEntry::ADMIN,
                                "/ketenpoort.v1.AuditService/GetSubjectAccessReport")));
  MarkMethodRawCallback(6, DecodedHandler(this, &AuditService::ReviewBreakGlass, services_.workers,
                                          Refusal(services_, v1::AuditEntry::ADMIN,
                                                  "/ketenpoort.v1.AuditService/ReviewBreakGlass")));
}

}  // namespace ketenpoort::server
