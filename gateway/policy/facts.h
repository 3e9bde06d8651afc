// What the policy engine may know about a subject when it decides: the
// koppeling (municipality and move date), GP registration, and consents.
//
// Implementations answer from memory; a decision does no I/O. The
// production implementation reads the relationship and consent registries;
// policy tests and benchmarks supply fixed facts.
#ifndef KETENPOORT_GATEWAY_POLICY_FACTS_H_
#define KETENPOORT_GATEWAY_POLICY_FACTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/identity/partner.h"
#include "ketenpoort/v1/purpose.pb.h"

namespace ketenpoort::policy {

struct KoppelingFact {
  std::string municipality_code;
  std::optional<int64_t> move_day;  // expected move date, days since epoch
};

// Outcome of looking up consent for one release.
enum class ConsentVerdict {
  kNone,       // no consent covers it
  kPermit,     // a valid consent covers it, and no objection does
  kObjection,  // an objection in force covers it (it holds over any permission)
  kRevoked,    // only revoked consents would have covered it
};

struct ConsentQuery {
  std::string_view subject_id;
  const identity::Partner* recipient = nullptr;
  v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED;
  std::string_view record_type;
  uint32_t category_mask = 0;  // bit (1 << DataCategory) per released category
  int64_t today = 0;           // days since epoch
};

class Facts {
 public:
  virtual ~Facts() = default;
  virtual std::optional<KoppelingFact> KoppelingOf(std::string_view subject_id) const = 0;
  virtual bool IsRegisteredWithGp(std::string_view subject_id,
                                  std::string_view practice_partner_id) const = 0;
  virtual ConsentVerdict EvaluateConsent(const ConsentQuery& query) const = 0;
  // Whether a permission in force today names `recipient` (by id, or by
  // type in a municipality it serves): the person has put the recipient
  // in a relationship with them.
  virtual bool HasPermitFor(std::string_view subject_id, const identity::Partner& recipient,
                            int64_t today) const = 0;
  // Whether two identifiers are one person (a V-nummer and its linked
  // BSN, decision 0028). Never for an empty one.
  virtual bool SamePerson(std::string_view a, std::string_view b) const {
    return !a.empty() && a == b;
  }
};

// Knows nothing: every condition that needs a fact fails.
class NoFacts final : public Facts {
 public:
  std::optional<KoppelingFact> KoppelingOf(std::string_view) const override { return std::nullopt; }
  bool IsRegisteredWithGp(std::string_view, std::string_view) const override { return false; }
  ConsentVerdict EvaluateConsent(const ConsentQuery&) const override {
    return ConsentVerdict::kNone;
  }
  bool HasPermitFor(std::string_view, const identity::Partner&, int64_t) const override {
    return false;
  }
};

}  // namespace ketenpoort::policy

#endif  // KETENPOORT_GATEWAY_POLICY_FACTS_H_
