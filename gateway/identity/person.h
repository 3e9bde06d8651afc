// One person, whatever identifier a request uses (decision 0028).
//
// A status holder has a V-nummer from arrival and a BSN once registered in
// a municipality. Once the two are linked, every service treats them as
// one person: decisions, consents, relationships, hand-overs, inburgering,
// the audit pseudonym and the access report. The V-nummer is the person's
// key, because it exists first and never changes; a BSN nobody has linked
// is its own key.
#ifndef KETENPOORT_GATEWAY_IDENTITY_PERSON_H_
#define KETENPOORT_GATEWAY_IDENTITY_PERSON_H_

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace ketenpoort::identity {

struct Person {
  std::string key;               // the V-nummer once linked, else the id asked
  std::vector<std::string> ids;  // every identifier of the person, key first

  bool Has(std::string_view id) const { return std::find(ids.begin(), ids.end(), id) != ids.end(); }
};

// Answers which identifiers belong to one person. Thread-safe.
class PersonDirectory {
 public:
  virtual ~PersonDirectory() = default;
  virtual Person PersonOf(std::string_view subject_id) const = 0;
  bool SamePerson(std::string_view a, std::string_view b) const {
    return !a.empty() && !b.empty() && (a == b || PersonOf(a).key == PersonOf(b).key);
  }
};

// Every identifier its own person: for tools and tests without a registry.
class UnlinkedIdentifiers final : public PersonDirectory {
 public:
  Person PersonOf(std::string_view subject_id) const override {
    return {std::string(subject_id), {std::string(subject_id)}};
  }
};

}  // namespace ketenpoort::identity

#endif  // KETENPOORT_GATEWAY_IDENTITY_PERSON_H_
