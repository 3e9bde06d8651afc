#include "gateway/server/progress_list.h"

#include <algorithm>

#include "gateway/common/error.h"
#include "gateway/server/access_audit.h"
#include "gateway/server/call_audit.h"
#include "gateway/server/inburgering_service.h"
#include "gateway/server/release.h"

namespace ketenpoort::server {
namespace {

using records::v1::duo::InburgeringStatus;
using v1::AuditEntry;

constexpr char kRecordType[] = "duo.InburgeringStatus";
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

absl::Status Invalid(std::string_view reason, std::string message) {
  return MakeError(absl::StatusCode::kInvalidArgument, reason, message);
}

// A filter may only use what the caller would see of every listed person.
absl::Status CheckFiltersReleased(const policy::Rule& rule, const inburgering::ListFilter& filter) {
  const auto* type = InburgeringStatus::descriptor();
  auto require = [&](bool used, const char* field) -> absl::Status {
    if (!used || ReleasesUnchanged(rule, {type->FindFieldByName(field)})) return absl::OkStatus();
    return MakeError(absl::StatusCode::kPermissionDenied, "FILTER_NOT_RELEASED",
                     std::string("rule '") + rule.id + "' does not release '" + field +
                         "', so the list cannot be filtered on it");
  };
  if (absl::Status s = require(filter.stage.has_value(), "stage"); !s.ok()) return s;
  // A deadline band also tells whether the person has finished (stage).
  if (absl::Status s = require(filter.deadline_band.has_value(), "deadline"); !s.ok()) return s;
  if (absl::Status s = require(filter.deadline_band.has_value(), "stage"); !s.ok()) return s;
  return require(filter.provider.has_value(), "provider");
}

}  // namespace

absl::StatusOr<inburgering::ListFilter> ProgressList::Validate(
    const v1::ListProgressRequest& request) const {
  if (request.ByteSizeLong() > services_.limits.max_request_bytes) {
    return Invalid(
        "REQUEST_TOO_LARGE",
        "request is larger than " + std::to_string(services_.limits.max_request_bytes) + " bytes");
  }
  if (absl::Status purpose = ValidatePurpose(request.purpose()); !purpose.ok()) return purpose;
  if (request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return Invalid("BAD_PAGE_SIZE", "page_size must be 1-" + std::to_string(kMaxPageSize) +
                                        " (0 means " + std::to_string(kDefaultPageSize) + ")");
  }
  inburgering::ListFilter filter;
  // The vocabularies are not personal data: safe to echo.
  if (!request.stage().empty()) {
    if (std::find(inburgering::kStages.begin(), inburgering::kStages.end(), request.stage()) ==
        inburgering::kStages.end()) {
      return Invalid("UNKNOWN_STAGE",
                     "stage must be one of intake, in traject, examens, "
                     "afgerond, ontheffing");
    }
    filter.stage = request.stage();
  }
  if (!request.deadline_band().empty()) {
    filter.deadline_band = inburgering::ParseDeadlineBand(request.deadline_band());
    if (!filter.deadline_band) {
      std::string labels;
      for (std::string_view label : inburgering::kDeadlineBandLabels) {
        labels += (labels.empty() ? "" : ", ") + std::string(label);
      }
      return Invalid("UNKNOWN_DEADLINE_BAND", "deadline_band must be one of " + labels);
    }
  }
  if (!request.provider().empty()) filter.provider = request.provider();
  return filter;
}

void ProgressList::Handle(const std::shared_ptr<const policy::PolicySet>& policies,
                          const absl::StatusOr<Caller>& caller,
                          const v1::ListProgressRequest& request,
                          v1::ListProgressResponse* response, Done done) const {
  const int64_t now = services_.clock->NowUnixMicros();
  AuditEntry entry =
      NewAccessEntry(caller, request.purpose(), now, policies->version(), kListProgressMethod);
  entry.set_record_type(kRecordType);
  auto fail = [&](AuditEntry::Decision decision, absl::Status error) {
    SetOutcome(entry, decision, error);
    AuditThenFail(*services_.audit, std::move(entry), std::move(error), std::move(done));
  };

  // 1. Identity.
  if (absl::Status known = RequireKnownPartner(caller); !known.ok()) {
    return fail(AuditEntry::DENY, std::move(known));
  }
  const identity::Partner& partner = *caller->partner;

  // 2. Validate.
  absl::StatusOr<inburgering::ListFilter> filter = Validate(request);
  if (!filter.ok()) return fail(AuditEntry::INVALID, filter.status());

  // 3. Decide for the list as a whole.
  const int64_t today = now / (86'400LL * 1'000'000LL);
  policy::DecisionRequest decide{.partner = &partner,
                                 .actor_role = caller->actor_role,
                                 .purpose = request.purpose(),
                                 .record_type = kRecordType,
                                 .subject_id = "",
                                 .authenticated_subject = "",
                                 .today = today,
                                 .break_glass = false,
                                 .facts = services_.facts,
                                 .scope = policy::Scope::kList};
  const policy::Decision list = policies->Decide(decide);
  if (!list.permit) {
    return fail(AuditEntry::DENY, DeniedBy(list, policies->version()));
  }
  entry.set_rule_id(list.rule->id);
  if (absl::Status hidden = CheckFiltersReleased(*list.rule, *filter); !hidden.ok()) {
    return fail(AuditEntry::DENY, std::move(hidden));
  }

  // 4. Read the projection.
  const std::optional<int64_t> built_at = projection_->built_at();
  if (!built_at) {
    return fail(AuditEntry::FAILED, inburgering::ProjectionNotReady());
  }
  const size_t limit = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  absl::StatusOr<inburgering::ListPage> page =
      projection_->List(partner.municipality_code, *filter, request.page_token(), limit, today);
  if (!page.ok()) return fail(AuditEntry::INVALID, page.status());

  // 5. Decide each person again, now, and release through their rule.
  if (const sources::SourceRouter::Route* duo = services_.sources->Find(kRecordType)) {
    entry.set_source_partner_id(duo->owner);
  }
  entry.set_source("inburgering-projection");
  std::vector<AuditEntry> entries;
  for (inburgering::ListedPerson& person : page->persons) {
    decide.subject_id = person.subject_id;
    decide.scope = policy::Scope::kPerson;
    const policy::Decision decision = policies->Decide(decide);
    if (!decision.permit) continue;  // e.g. linked elsewhere since the projection saw them
    const policy::Rule& rule = *decision.rule;
    const std::unique_ptr<google::protobuf::Message> released =
        FilterRecord(rule, person.record, {partner.id, services_.recipient_pseudonym_key, today});
    v1::ListedProgress* listed = response->add_persons();
    listed->set_subject_id(person.subject_id);
    *listed->mutable_progress() =
        ProgressOf(static_cast<const InburgeringStatus&>(*released), today);
    listed->mutable_progress()->set_rule_id(rule.id);
    listed->mutable_progress()->set_policy_version(policies->version());

    AuditEntry& person_entry = entries.emplace_back(entry);
    person_entry.set_subject_pseudonym(services_.pseudonymizer->Pseudonym(person.subject_id));
    RecordRelease(rule, released->SerializeAsString(), &person_entry);
    person_entry.set_decision(AuditEntry::PERMIT);
  }
  response->set_next_page_token(page->next_page_token);
  response->set_projection_built_at_unix_micros(*built_at);
  response->set_rule_id(list.rule->id);
  response->set_policy_version(policies->version());
  if (entries.empty()) {
    // Nobody on this page: the question itself is still on record.
    entry.set_decision(AuditEntry::PERMIT);
    entries.push_back(std::move(entry));
  }

  // 6. Audit the page, and only then 7. respond.
  // The group's entries have consecutive indexes, in the order of the page.
  services_.audit->AppendAll(
      std::move(entries), [response, done = std::move(done)](absl::StatusOr<uint64_t> first) {
        if (!first.ok()) {
          response->Clear();  // fail closed: nothing leaves
          done(AuditUnavailable(first.status()));
          return;
        }
        for (int i = 0; i < response->persons_size(); ++i) {
          response->mutable_persons(i)->set_audit_index(*first + static_cast<uint64_t>(i));
        }
        done(absl::OkStatus());
      });
}

}  // namespace ketenpoort::server
