#include "gateway/server/progress_aggregate.h"

#include <cmath>

#include "gateway/common/crypto.h"
#include "gateway/common/error.h"
#include "gateway/server/access_audit.h"
#include "gateway/server/call_audit.h"
#include "gateway/server/release.h"
#include "records/v1/coa.pb.h"

namespace ketenpoort::server {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using v1::AuditEntry;

// What a dimension counts: the record type it is decided on and the
// fields it reads, each of which the rule must release unchanged.
struct DimensionSpec {
  inburgering::Dimension dimension;
  std::string_view record_type;
  const Descriptor* type;
  std::vector<std::vector<std::string>> fields;  // paths, as field names
};

std::optional<DimensionSpec> SpecOf(v1::AggregateDimension dimension) {
  const Descriptor* duo = records::v1::duo::InburgeringStatus::descriptor();
  constexpr std::string_view kDuo = "duo.InburgeringStatus";
  switch (dimension) {
    case v1::STAGE:
      return DimensionSpec{inburgering::Dimension::kStage, kDuo, duo, {{"stage"}}};
    case v1::PROVIDER:
      return DimensionSpec{inburgering::Dimension::kProvider, kDuo, duo, {{"provider"}}};
    case v1::EXAM_COMPONENT:
      return DimensionSpec{inburgering::Dimension::kExamComponent,
                           kDuo,
                           duo,
                           {{"exam_components", "component"}, {"exam_components", "status"}}};
    case v1::DEADLINE_BAND:
      // Finished persons (by stage) have no deadline to count.
      return DimensionSpec{
          inburgering::Dimension::kDeadlineBand, kDuo, duo, {{"deadline"}, {"stage"}}};
    case v1::NATIONALITY:
      return DimensionSpec{inburgering::Dimension::kNationality,
                           "coa.Koppeling",
                           records::v1::coa::Koppeling::descriptor(),
                           {{"nationality"}}};
    default:
      return std::nullopt;
  }
}

bool Releases(const policy::Rule& rule, const Descriptor* type,
              const std::vector<std::string>& path) {
  const FieldDescriptor* first = type->FindFieldByName(path[0]);
  if (path.size() == 1) return ReleasesUnchanged(rule, {first});
  return ReleasesUnchanged(rule, {first, first->message_type()->FindFieldByName(path[1])});
}

std::string Joined(const std::vector<std::string>& path) {
  std::string out;
  for (const std::string& part : path) out += (out.empty() ? "" : ".") + part;
  return out;
}

v1::AggregateCell::Disclosure DisclosureOf(inburgering::Disclosure disclosure) {
  switch (disclosure) {
    case inburgering::Disclosure::kShown:
      return v1::AggregateCell::SHOWN;
    case inburgering::Disclosure::kBelowThreshold:
      return v1::AggregateCell::BELOW_THRESHOLD;
    case inburgering::Disclosure::kSuppressed:
      return v1::AggregateCell::SUPPRESSED;
  }
  return v1::AggregateCell::SUPPRESSED;
}

}  // namespace

void ProgressAggregate::AddPassRates(std::string_view municipality_code,
                                     v1::AggregateTable& table) const {
  const std::map<std::string, inburgering::ProviderResults> results =
      projection_->ResultsByProvider(municipality_code);
  auto small = [this](int64_t n) { return n > 0 && n < threshold_; };
  for (v1::AggregateCell& cell : *table.mutable_cells()) {
    if (cell.disclosure() != v1::AggregateCell::SHOWN) continue;
    auto found = results.find(cell.label());
    if (found == results.end()) continue;
    const inburgering::ProviderResults& provider = found->second;
    const int64_t taken = provider.passed + provider.failed;
    // A rate over few results, or with few passes or failures, would
    // single those out: "1 of 40 failed".
    if (taken < threshold_ || small(provider.passed) || small(provider.failed)) continue;
    cell.set_pass_rate_percent(static_cast<int32_t>(
        std::lround(100.0 * static_cast<double>(provider.passed) / static_cast<double>(taken))));
  }
}

void ProgressAggregate::Handle(const std::shared_ptr<const policy::PolicySet>& policies,
                               const absl::StatusOr<Caller>& caller,
                               const v1::AggregateRequest& request, v1::AggregateResponse* response,
                               Done done) const {
  const int64_t now = services_.clock->NowUnixMicros();
  AuditEntry entry =
      NewAccessEntry(caller, request.purpose(), now, policies->version(), kAggregateMethod);
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
  if (absl::Status purpose = ValidatePurpose(request.purpose()); !purpose.ok()) {
    return fail(AuditEntry::INVALID, std::move(purpose));
  }
  const std::optional<DimensionSpec> spec = SpecOf(request.dimension());
  if (!spec) {
    return fail(AuditEntry::INVALID,
                MakeError(absl::StatusCode::kInvalidArgument, "UNKNOWN_DIMENSION",
                          "dimension must be STAGE, PROVIDER, EXAM_COMPONENT, DEADLINE_BAND or "
                          "NATIONALITY"));
  }
  entry.set_record_type(std::string(spec->record_type));
  entry.set_detail("aggregate by " + v1::AggregateDimension_Name(request.dimension()) +
                   ", threshold " + std::to_string(threshold_));

  // 3. Decide, for the population linked to the caller.
  const int64_t today = now / (86'400LL * 1'000'000LL);
  const policy::Decision decision = policies->Decide({.partner = &partner,
                                                      .actor_role = caller->actor_role,
                                                      .purpose = request.purpose(),
                                                      .record_type = entry.record_type(),
                                                      .subject_id = "",
                                                      .authenticated_subject = "",
                                                      .today = today,
                                                      .break_glass = false,
                                                      .facts = services_.facts,
                                                      .scope = policy::Scope::kAggregate});
  if (!decision.permit) {
    return fail(AuditEntry::DENY, DeniedBy(decision, policies->version()));
  }
  const policy::Rule& rule = *decision.rule;
  entry.set_rule_id(rule.id);
  for (const std::vector<std::string>& path : spec->fields) {
    if (!Releases(rule, spec->type, path)) {
      return fail(AuditEntry::DENY,
                  MakeError(absl::StatusCode::kPermissionDenied, "DIMENSION_NOT_RELEASED",
                            "rule '" + rule.id + "' does not release '" + Joined(path) +
                                "' unchanged, so it cannot be counted"));
    }
  }

  // 4. Count, and refuse a population too small to count at all.
  const std::optional<int64_t> built_at = projection_->built_at();
  if (!built_at) {
    return fail(AuditEntry::FAILED, inburgering::ProjectionNotReady());
  }
  const std::string& municipality = partner.municipality_code;
  const std::vector<inburgering::CountTable> tables =
      projection_->Count(municipality, spec->dimension, today);
  int64_t population = 0;  // every table counts the same persons; taken from the counts
  for (const inburgering::CountCell& cell : tables.front().cells) population += cell.count;
  if (population < threshold_) {
    return fail(AuditEntry::DENY,
                MakeError(absl::StatusCode::kFailedPrecondition, "POPULATION_BELOW_THRESHOLD",
                          "fewer than " + std::to_string(threshold_) +
                              " persons in inburgering are linked to the municipality; any "
                              "count would single them out"));
  }

  // 5. Suppress small cells. Every table of one population shares its
  // total, which is known anyway.
  response->set_dimension(request.dimension());
  response->set_threshold(threshold_);
  for (const inburgering::CountTable& counted : tables) {
    const inburgering::PublishedTable published =
        inburgering::SuppressSmallCellsOfKnownTotal(counted.cells, threshold_);
    v1::AggregateTable* table = response->add_tables();
    table->set_row(counted.row);
    for (const inburgering::PublishedCell& cell : published.cells) {
      v1::AggregateCell* out = table->add_cells();
      out->set_label(cell.label);
      out->set_disclosure(DisclosureOf(cell.disclosure));
      out->set_display(cell.Display(threshold_));
      if (cell.disclosure == inburgering::Disclosure::kShown) out->set_count(cell.count);
    }
    if (published.total) table->set_total(*published.total);
    if (spec->dimension == inburgering::Dimension::kProvider &&
        Releases(rule, spec->type, {"exam_components", "status"})) {
      AddPassRates(municipality, *table);
    }
  }
  response->set_projection_built_at_unix_micros(*built_at);
  response->set_rule_id(rule.id);
  response->set_policy_version(policies->version());

  // 6. Audit, and only then 7. respond.
  for (const std::vector<std::string>& path : spec->fields) {
    entry.add_released_fields(Joined(path) + " (count)");
  }
  entry.set_legal_basis(std::string(policy::LegalBasisName(rule.legal_basis.kind)));
  entry.set_law_reference(rule.legal_basis.law_reference);
  entry.set_payload_sha256(
      std::string(crypto::AsBytes(crypto::Sha256(response->SerializeAsString()))));
  entry.set_decision(AuditEntry::PERMIT);
  services_.audit->Append(std::move(entry),
                          [response, done = std::move(done)](absl::StatusOr<uint64_t> index) {
                            if (!index.ok()) {
                              response->Clear();  // fail closed
                              done(AuditUnavailable(index.status()));
                              return;
                            }
                            response->set_audit_index(*index);
                            done(absl::OkStatus());
                          });
}

}  // namespace ketenpoort::server
