#include "gateway/policy/visibility.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "ketenpoort/options.pb.h"

namespace ketenpoort::policy {
namespace {

// Who is never "another" who may see the person's data: the person's own
// portal, and those who check the log (said apart, in words).
bool ListsAsRecipient(identity::PartnerType type) {
  return type != identity::PartnerType::kSubjectPortal &&
         type != identity::PartnerType::kPrivacyOfficer &&
         type != identity::PartnerType::kSupervisor;
}

bool MayName(const Rule& rule, const identity::Partner& partner) {
  if (rule.partner_type && *rule.partner_type != partner.type) return false;
  return rule.partner_ids.empty() || std::find(rule.partner_ids.begin(), rule.partner_ids.end(),
                                               partner.id) != rule.partner_ids.end();
}

// The rules Decide would try for one partner, record type and purpose, in
// its order (the policy set's, which its index keeps).
struct Group {
  const identity::Partner* partner = nullptr;
  std::string record_type;
  v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED;
  std::vector<const Rule*> rules;
  std::set<std::string> roles;  // every role a rule names; "" stands for any other
};

// What Decide would find on `day` for one role: the rule that permits (it
// stops there), and on the way the rules the person's permission would
// open, those their objection closes, and windows that begin later.
struct Walk {
  const Rule* permits = nullptr;
  std::vector<const Rule*> with_permission;
  std::vector<const Rule*> objected;
  std::set<int64_t> windows_to_come;  // their first days
};

std::optional<int64_t> MoveDay(const Facts& facts, std::string_view subject_id) {
  const std::optional<KoppelingFact> koppeling = facts.KoppelingOf(subject_id);
  return koppeling ? koppeling->move_day : std::nullopt;
}

Walk WalkRules(const Group& group, const std::string& role, bool break_glass, int64_t day,
               std::string_view subject_id, const Facts& facts) {
  Walk walk;
  const std::optional<int64_t> move_day = MoveDay(facts, subject_id);
  for (const Rule* rule : group.rules) {
    const RuleCheck check = PolicySet::CheckRule(*rule, {.partner = group.partner,
                                                         .actor_role = role,
                                                         .purpose = group.purpose,
                                                         .record_type = group.record_type,
                                                         .subject_id = subject_id,
                                                         .authenticated_subject = {},
                                                         .today = day,
                                                         .break_glass = break_glass,
                                                         .facts = &facts,
                                                         .scope = Scope::kPerson});
    if (check.permit) {
      walk.permits = rule;
      return walk;
    }
    // A break-glass access is never a matter of the person's permission.
    if (break_glass) continue;
    if (check.reason == reason::kConsentRequired || check.reason == reason::kConsentRevoked) {
      walk.with_permission.push_back(rule);
    } else if (check.reason == reason::kConsentObjection) {
      walk.objected.push_back(rule);
    } else if (check.reason == reason::kOutsideWindow && move_day) {
      const int64_t first_day = *move_day - rule->conditions.window->days_before;
      if (first_day > day) walk.windows_to_come.insert(first_day);
    }
  }
  return walk;
}

std::optional<int64_t> LastDayOf(const Rule& rule, const Facts& facts,
                                 std::string_view subject_id) {
  const std::optional<int64_t> move_day = MoveDay(facts, subject_id);
  if (!rule.conditions.window || !move_day) return std::nullopt;
  return *move_day + rule.conditions.window->days_after;
}

int CategoryOrder(const std::string& name) {
  DataCategory category{};
  return DataCategory_Parse(name, &category) ? static_cast<int>(category) : 1 << 20;
}

void SortCategories(std::vector<std::string>& categories) {
  std::sort(categories.begin(), categories.end(), [](const std::string& a, const std::string& b) {
    return CategoryOrder(a) < CategoryOrder(b);
  });
}

// The lines of one role; merged across roles afterwards.
class LineCollector {
 public:
  LineCollector(const Group& group, std::string_view subject_id, const Facts& facts)
      : group_(group), subject_id_(subject_id), facts_(facts) {}

  // A line for `rule`, or for several rules told together (what one
  // permission would open): their categories, less those seen anyway.
  void Add(Reach reach, const std::string& role, const std::vector<const Rule*>& rules,
           std::optional<int64_t> from_day, const Rule* seen_anyway) {
    if (rules.empty()) return;
    VisibleRecord line{.reach = reach,
                       .partner = group_.partner,
                       .actor_roles = {},
                       .record_type = group_.record_type,
                       .purpose = group_.purpose,
                       .legal_basis = rules.front()->legal_basis,
                       .categories = {},
                       .from_day = from_day,
                       .until_day = LastDayOf(*rules.front(), facts_, subject_id_)};
    if (!role.empty()) line.actor_roles.push_back(role);
    for (const Rule* rule : rules) {
      for (const std::string& category : rule->released_categories) {
        const bool seen =
            seen_anyway != nullptr && std::find(seen_anyway->released_categories.begin(),
                                                seen_anyway->released_categories.end(),
                                                category) != seen_anyway->released_categories.end();
        if (!seen && std::find(line.categories.begin(), line.categories.end(), category) ==
                         line.categories.end()) {
          line.categories.push_back(category);
        }
      }
    }
    if (line.categories.empty()) return;  // nothing the person opens or closes
    SortCategories(line.categories);
    lines_.push_back(std::move(line));
  }

  // Everything one role may see, following Decide day by day.
  void CollectRole(const std::string& role, int64_t today) {
    const Walk now = WalkRules(group_, role, /*break_glass=*/false, today, subject_id_, facts_);
    if (now.permits != nullptr) Add(Reach::kNow, role, {now.permits}, std::nullopt, nullptr);
    Add(Reach::kWithPermission, role, now.with_permission, std::nullopt, now.permits);
    Add(Reach::kObjected, role, now.objected, std::nullopt, now.permits);
    // A window still to come: what Decide would find on its first day.
    for (const int64_t first_day : now.windows_to_come) {
      const Walk then = WalkRules(group_, role, false, first_day, subject_id_, facts_);
      if (then.permits != nullptr && then.permits != now.permits) {
        Add(Reach::kLater, role, {then.permits}, first_day, nullptr);
      }
      std::vector<const Rule*> opened_then;
      for (const Rule* rule : then.with_permission) {
        if (std::find(now.with_permission.begin(), now.with_permission.end(), rule) ==
            now.with_permission.end()) {
          opened_then.push_back(rule);
        }
      }
      Add(Reach::kWithPermission, role, opened_then, first_day, then.permits);
      std::vector<const Rule*> closed_then;
      for (const Rule* rule : then.objected) {
        if (std::find(now.objected.begin(), now.objected.end(), rule) == now.objected.end()) {
          closed_then.push_back(rule);
        }
      }
      Add(Reach::kObjected, role, closed_then, first_day, then.permits);
    }
    const Walk emergency =
        WalkRules(group_, role, /*break_glass=*/true, today, subject_id_, facts_);
    if (emergency.permits != nullptr) {
      Add(Reach::kEmergency, role, {emergency.permits}, std::nullopt, nullptr);
    }
  }

  std::vector<VisibleRecord>& lines() { return lines_; }

 private:
  const Group& group_;
  std::string_view subject_id_;
  const Facts& facts_;
  std::vector<VisibleRecord> lines_;
};

// Lines that say the same for several roles become one; a line for any
// staff member covers the same line for a named role.
using LineKey = std::tuple<Reach, std::string, std::string, int, std::vector<std::string>,
                           std::optional<int64_t>, std::optional<int64_t>, int, std::string>;

LineKey KeyOf(const VisibleRecord& line) {
  return {line.reach,
          line.partner->id,
          line.record_type,
          line.purpose,
          line.categories,
          line.from_day,
          line.until_day,
          static_cast<int>(line.legal_basis.kind),
          line.legal_basis.law_reference};
}

}  // namespace

std::vector<VisibleRecord> WhoMaySee(const PolicySet& policy, const Facts& facts,
                                     std::string_view subject_id, int64_t today) {
  // Decide's candidates, per partner, record type and purpose.
  std::map<std::tuple<std::string, std::string, int>, Group> groups;
  for (const auto& rule : policy.rules()) {
    if (rule->purpose == v1::STATISTICS || rule->conditions.requester_is_subject) continue;
    for (const identity::Partner& partner : policy.partners().partners()) {
      if (!ListsAsRecipient(partner.type) || !MayName(*rule, partner)) continue;
      Group& group = groups[{partner.id, rule->record_type, rule->purpose}];
      group.partner = &partner;
      group.record_type = rule->record_type;
      group.purpose = rule->purpose;
      group.rules.push_back(rule.get());
      group.roles.insert(rule->actor_roles.begin(), rule->actor_roles.end());
      if (rule->actor_roles.empty()) group.roles.insert("");
    }
  }
  std::map<LineKey, VisibleRecord> merged;
  for (const auto& [key, group] : groups) {
    LineCollector collector(group, subject_id, facts);
    for (const std::string& role : group.roles) collector.CollectRole(role, today);
    for (VisibleRecord& line : collector.lines()) {
      auto [at, added] = merged.try_emplace(KeyOf(line), line);
      if (added) continue;
      std::vector<std::string>& roles = at->second.actor_roles;
      if (roles.empty() || line.actor_roles.empty()) {
        roles.clear();  // any staff member
      } else if (std::find(roles.begin(), roles.end(), line.actor_roles.front()) == roles.end()) {
        roles.push_back(line.actor_roles.front());
      }
    }
  }
  std::vector<VisibleRecord> out;
  out.reserve(merged.size());
  for (auto& [key, line] : merged) out.push_back(std::move(line));
  return out;
}

}  // namespace ketenpoort::policy
