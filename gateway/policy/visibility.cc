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
};

std::optional<int64_t> MoveDay(const Facts& facts, std::string_view subject_id) {
  const std::optional<KoppelingFact> koppeling = facts.KoppelingOf(subject_id);
  return koppeling ? koppeling->move_day : std::nullopt;
}

Walk WalkRules(const Group& group, const std::string& role, bool break_glass, int64_t day,
               std::string_view subject_id, const Facts& facts) {
  Walk walk;
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
    }
  }
  return walk;
}

// The days after `today` on which what Decide finds can change: the first
// day of a move window, and the day after its last. In between, the walk
// is the same every day (the person's facts as they stand today).
std::vector<int64_t> ChangeDays(const Group& group, int64_t today, const Facts& facts,
                                std::string_view subject_id) {
  const std::optional<int64_t> move_day = MoveDay(facts, subject_id);
  std::set<int64_t> days;
  if (move_day) {
    for (const Rule* rule : group.rules) {
      if (!rule->conditions.window) continue;
      for (const int64_t day : {*move_day - rule->conditions.window->days_before,
                                *move_day + rule->conditions.window->days_after + 1}) {
        if (day > today) days.insert(day);
      }
    }
  }
  return {days.begin(), days.end()};
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
           std::optional<int64_t> from_day, std::optional<int64_t> until_day,
           const Rule* seen_anyway) {
    if (rules.empty()) return;
    VisibleRecord line{.reach = reach,
                       .partner = group_.partner,
                       .actor_roles = {role},
                       .record_type = group_.record_type,
                       .purpose = group_.purpose,
                       .legal_basis = rules.front()->legal_basis,
                       .categories = {},
                       .from_day = from_day,
                       .until_day = until_day};
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

  // Everything one role may see, following Decide day by day: what it
  // finds today, and on every later day that can change it.
  void CollectRole(const std::string& role, int64_t today) {
    std::vector<std::pair<int64_t, Walk>> walks = {
        {today, WalkRules(group_, role, /*break_glass=*/false, today, subject_id_, facts_)}};
    for (const int64_t day : ChangeDays(group_, today, facts_, subject_id_)) {
      walks.emplace_back(day, WalkRules(group_, role, false, day, subject_id_, facts_));
    }
    // Seen: one line per stretch of days on which the same rule permits.
    for (size_t i = 0; i < walks.size();) {
      const Rule* permits = walks[i].second.permits;
      size_t next = i + 1;
      while (next < walks.size() && walks[next].second.permits == permits) ++next;
      if (permits != nullptr) {
        const std::optional<int64_t> until =
            next < walks.size() ? std::optional<int64_t>(walks[next].first - 1) : std::nullopt;
        Add(i == 0 ? Reach::kNow : Reach::kLater, role, {permits},
            i == 0 ? std::nullopt : std::optional<int64_t>(walks[i].first), until, nullptr);
      }
      i = next;
    }
    // What the person's permission would open, or their objection closes:
    // today, and what only a window still to come would.
    std::set<const Rule*> told;
    for (size_t i = 0; i < walks.size(); ++i) {
      const auto& [day, walk] = walks[i];
      const std::optional<int64_t> from = i == 0 ? std::nullopt : std::optional<int64_t>(day);
      for (const auto& [reach, rules] : {std::pair{Reach::kWithPermission, &walk.with_permission},
                                         std::pair{Reach::kObjected, &walk.objected}}) {
        std::vector<const Rule*> fresh;
        for (const Rule* rule : *rules) {
          if (told.insert(rule).second) fresh.push_back(rule);
        }
        if (fresh.empty()) continue;
        Add(reach, role, fresh, from, LastDayOf(*fresh.front(), facts_, subject_id_), walk.permits);
      }
    }
    const Walk emergency =
        WalkRules(group_, role, /*break_glass=*/true, today, subject_id_, facts_);
    if (emergency.permits != nullptr) {
      Add(Reach::kEmergency, role, {emergency.permits}, std::nullopt, std::nullopt, nullptr);
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
    // Roles that see the same are told together; "" is every role no rule
    // names, which is "any staff member" only when the named ones see the
    // same too.
    std::map<LineKey, VisibleRecord> lines;
    for (VisibleRecord& line : collector.lines()) {
      auto [at, added] = lines.try_emplace(KeyOf(line), line);
      if (!added) at->second.actor_roles.push_back(line.actor_roles.front());
    }
    for (auto& [line_key, line] : lines) {
      std::vector<std::string>& roles = line.actor_roles;
      const auto other = std::find(roles.begin(), roles.end(), "");
      if (other != roles.end()) {
        roles.erase(other);
        line.other_roles = true;
        if (std::all_of(group.roles.begin(), group.roles.end(), [&](const std::string& role) {
              return role.empty() || std::find(roles.begin(), roles.end(), role) != roles.end();
            })) {
          roles.clear();  // every role: any staff member
          line.other_roles = false;
        }
      }
      std::sort(roles.begin(), roles.end());
      merged.emplace(line_key, std::move(line));
    }
  }
  std::vector<VisibleRecord> out;
  out.reserve(merged.size());
  for (auto& [key, line] : merged) out.push_back(std::move(line));
  return out;
}

}  // namespace ketenpoort::policy
