#include "gateway/policy/visibility.h"

#include <algorithm>
#include <map>
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

DecisionRequest RequestFor(const Rule& rule, const identity::Partner& partner,
                           std::string_view subject_id, int64_t today, const Facts& facts) {
  return {.partner = &partner,
          .actor_role = rule.actor_roles.empty() ? std::string_view() : rule.actor_roles.front(),
          .purpose = rule.purpose,
          .record_type = rule.record_type,
          .subject_id = subject_id,
          .authenticated_subject = {},
          .today = today,
          .break_glass = rule.break_glass(),
          .facts = &facts,
          .scope = Scope::kPerson};
}

// What one rule gives one partner; nullopt when it gives nothing.
std::optional<VisibleRecord> ReachOf(const Rule& rule, const identity::Partner& partner,
                                     std::string_view subject_id, int64_t today,
                                     const Facts& facts) {
  VisibleRecord seen{.reach = Reach::kNow,
                     .partner = &partner,
                     .actor_roles = rule.actor_roles,
                     .record_type = rule.record_type,
                     .purpose = rule.purpose,
                     .legal_basis = rule.legal_basis,
                     .categories = rule.released_categories,
                     .from_day = std::nullopt,
                     .until_day = std::nullopt};
  std::optional<int64_t> window_start;
  if (rule.conditions.window) {
    const std::optional<KoppelingFact> koppeling = facts.KoppelingOf(subject_id);
    if (koppeling && koppeling->move_day) {
      window_start = *koppeling->move_day - rule.conditions.window->days_before;
      seen.until_day = *koppeling->move_day + rule.conditions.window->days_after;
    }
  }
  RuleCheck check = PolicySet::CheckRule(rule, RequestFor(rule, partner, subject_id, today, facts));
  // A window still to come: ask as on its first day.
  if (!check.permit && check.reason == reason::kOutsideWindow && window_start &&
      today < *window_start) {
    check = PolicySet::CheckRule(rule, RequestFor(rule, partner, subject_id, *window_start, facts));
    seen.from_day = window_start;
    if (check.permit) seen.reach = Reach::kLater;
  }
  if (check.permit) {
    if (rule.break_glass()) seen.reach = Reach::kEmergency;
    return seen;
  }
  if (check.reason == reason::kConsentRequired || check.reason == reason::kConsentRevoked) {
    seen.reach = Reach::kWithPermission;
    return seen;
  }
  if (check.reason == reason::kConsentObjection) {
    seen.reach = Reach::kObjected;
    return seen;
  }
  return std::nullopt;
}

void AddAll(std::vector<std::string>& into, const std::vector<std::string>& more) {
  for (const std::string& item : more) {
    if (std::find(into.begin(), into.end(), item) == into.end()) into.push_back(item);
  }
}

int CategoryOrder(const std::string& name) {
  DataCategory category{};
  return DataCategory_Parse(name, &category) ? static_cast<int>(category) : 1 << 20;
}

}  // namespace

std::vector<VisibleRecord> WhoMaySee(const PolicySet& policy, const Facts& facts,
                                     std::string_view subject_id, int64_t today) {
  // One line per reach, partner, record type and purpose: the rules that
  // give the same partner the same record are told together.
  using Key = std::tuple<Reach, std::string, std::string, int>;
  std::map<Key, VisibleRecord> lines;
  for (const auto& rule : policy.rules()) {
    if (rule->purpose == v1::STATISTICS || rule->conditions.requester_is_subject) continue;
    for (const identity::Partner& partner : policy.partners().partners()) {
      if (!ListsAsRecipient(partner.type) || !MayName(*rule, partner)) continue;
      std::optional<VisibleRecord> seen = ReachOf(*rule, partner, subject_id, today, facts);
      if (!seen) continue;
      const Key key{seen->reach, partner.id, rule->record_type, rule->purpose};
      auto [line, added] = lines.try_emplace(key, *seen);
      if (added) continue;
      VisibleRecord& merged = line->second;
      AddAll(merged.categories, seen->categories);
      // Any staff member, if one rule does not narrow the roles.
      if (merged.actor_roles.empty() || seen->actor_roles.empty()) {
        merged.actor_roles.clear();
      } else {
        AddAll(merged.actor_roles, seen->actor_roles);
      }
      if (seen->from_day && (!merged.from_day || *seen->from_day < *merged.from_day)) {
        merged.from_day = seen->from_day;
      }
      if (seen->until_day && (!merged.until_day || *seen->until_day > *merged.until_day)) {
        merged.until_day = seen->until_day;
      }
    }
  }
  std::vector<VisibleRecord> out;
  for (auto& [key, line] : lines) {
    const auto& [reach, partner_id, record_type, purpose] = key;
    if (reach == Reach::kWithPermission || reach == Reach::kObjected) {
      // What may be seen now anyway is not for the person to open or close.
      auto now = lines.find(Key{Reach::kNow, partner_id, record_type, purpose});
      if (now != lines.end()) {
        std::erase_if(line.categories, [&](const std::string& category) {
          return std::find(now->second.categories.begin(), now->second.categories.end(),
                           category) != now->second.categories.end();
        });
        if (line.categories.empty()) continue;
      }
    }
    std::sort(line.categories.begin(), line.categories.end(),
              [](const std::string& a, const std::string& b) {
                return CategoryOrder(a) < CategoryOrder(b);
              });
    out.push_back(line);  // a copy: later lines compare with this one
  }
  return out;
}

}  // namespace ketenpoort::policy
