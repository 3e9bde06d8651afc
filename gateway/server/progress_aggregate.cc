#include "gateway/server/progress_aggregate.h"

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
                   ", threshold " + std::to_string(publisher_->threshold()));

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

  // 4. Count: from the municipality's publication in force (refused for
  // a population too small to count at all).
  const absl::StatusOr<std::shared_ptr<const inburgering::Publication>> published =
      publisher_->Current(partner.municipality_code);
  if (!published.ok()) {
    const bool failed = published.status().code() != absl::StatusCode::kFailedPrecondition;
    return fail(failed ? AuditEntry::FAILED : AuditEntry::DENY, published.status());
  }
  const inburgering::Publication& publication = **published;

  // 5. The dimension's tables, as the linked-table protection left them.
  response->set_dimension(request.dimension());
  response->set_threshold(publication.threshold);
  const bool rates = spec->dimension == inburgering::Dimension::kProvider &&
                     Releases(rule, spec->type, {"exam_components", "status"});
  int32_t cells = 0, below = 0, suppressed = 0;  // of this dimension's tables
  for (size_t t = 0; t < publication.set.tables.size(); ++t) {
    if (publication.dimension_of[t] != spec->dimension) continue;
    const inburgering::LinkedTable& counted = publication.set.tables[t];
    v1::AggregateTable* table = response->add_tables();
    const size_t slash = counted.name.find('/');
    table->set_row(slash == std::string::npos ? "" : counted.name.substr(slash + 1));
    for (size_t c = 0; c < counted.cells.size(); ++c) {
      const inburgering::CellState& state = publication.states[t][c];
      if (state.unlisted) continue;  // withheld with its label
      ++cells;
      if (state.disclosure == inburgering::Disclosure::kBelowThreshold) ++below;
      if (state.disclosure == inburgering::Disclosure::kSuppressed) ++suppressed;
      v1::AggregateCell* out = table->add_cells();
      out->set_label(counted.cells[c].label);
      out->set_disclosure(state.together ? v1::AggregateCell::WITHHELD
                                         : DisclosureOf(state.disclosure));
      const inburgering::PublishedCell shown{counted.cells[c].label, state.disclosure, state.shown};
      out->set_display(shown.Display(publication.threshold));
      if (state.disclosure == inburgering::Disclosure::kShown) {
        out->set_count(state.shown);
        auto rate = publication.pass_rate.find(counted.cells[c].label);
        if (rates && rate != publication.pass_rate.end()) out->set_pass_rate_percent(rate->second);
      } else if (const auto& derived = publication.audit.derived[t][c]) {
        out->set_derivable_low(derived->low);
        out->set_derivable_high(derived->high);
      }
    }
    table->set_total(publication.set.total);
  }
  response->set_projection_built_at_unix_micros(publication.as_of_unix_micros);
  response->set_rule_id(rule.id);
  response->set_policy_version(policies->version());
  v1::AggregatePublication* about = response->mutable_publication();
  about->set_as_of_unix_micros(publication.as_of_unix_micros);
  about->set_period_start_unix_micros(publication.period.start_unix_micros);
  about->set_next_publication_unix_micros(publication.period.next_unix_micros);
  about->set_carried_forward(publication.carried_forward);
  about->set_method(
      "integer linear programming (GLPK) over every table of the municipality's publication: "
      "the feasible interval of every hidden cell given every published cell, the total and "
      "the relations between tables");
  // Counts of this dimension only: how many nationalities are small is
  // not for a caller released only the stages.
  about->set_tables(static_cast<int32_t>(publication.set.tables.size()));
  about->set_cells(cells);
  about->set_below_threshold(below);
  about->set_suppressed(suppressed);
  about->set_relations(static_cast<int32_t>(publication.relation_kinds));
  about->set_programs_solved(static_cast<int32_t>(publication.audit.programs));
  about->set_passed(publication.audit.passed);

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
