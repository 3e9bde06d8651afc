#include "gateway/audit/access_report.h"

#include <array>
#include <filesystem>
#include <set>

#include "gateway/audit/entry_events.h"
#include "gateway/common/civil_date.h"
#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"
#include "gateway/common/yaml_file.h"
#include "gateway/policy/decision.h"
#include "gateway/records/record_catalog.h"
#include "ketenpoort/options.pb.h"
#include "ketenpoort/v1/purpose.pb.h"

namespace ketenpoort::audit {
namespace {

constexpr std::string_view kPrefix = "access-report.";

// Languages written right to left (ISO 639 codes): Arabic, Farsi, Dari,
// Pashto, Urdu, Sorani, Hebrew.
bool IsRightToLeft(std::string_view language) {
  for (const std::string_view rtl : {"ar", "fa", "prs", "ps", "ur", "ckb", "he"}) {
    if (language == rtl) return true;
  }
  return false;
}
constexpr std::string_view kSuffix = ".yaml";

// The placeholders a text may use, per key of the catalogue. A map's
// entries share its key ("events", "outcomes.DENY" has its own).
const std::map<std::string, std::set<std::string>, std::less<>>& AllowedPlaceholders() {
  static const auto* allowed = new std::map<std::string, std::set<std::string>, std::less<>>{
      {"title", {}},
      {"review", {}},
      {"introduction", {"date", "count"}},
      {"no_accesses", {}},
      {"closing", {}},
      {"unknown", {}},
      {"line", {"date", "time", "who", "event", "why", "outcome"}},
      {"who_with_role", {"organisation", "role"}},
      {"why", {"purpose", "legal_basis"}},
      {"why_without_basis", {"purpose"}},
      {"released", {"categories"}},
      {"the_gateway", {}},
      {"your_data", {}},
      {"list_separator", {}},
      {"purposes", {}},
      {"categories", {}},
      {"outcomes", {}},
      {"outcomes.DENY", {"reason"}},
      {"legal_bases", {"law"}},
      {"record_types", {}},
      {"roles", {}},
      {"events", {"record"}},
      {"reasons", {}},
      {"visibility", {}},
      {"reviews", {}},
      {"visibility.introduction", {"date"}},
      {"visibility.now", {"who", "record", "categories", "why"}},
      {"visibility.now_until", {"who", "record", "categories", "why", "until"}},
      {"visibility.later", {"who", "record", "categories", "why", "from", "until"}},
      {"visibility.later_open", {"who", "record", "categories", "why", "from"}},
      {"visibility.why", {"purpose", "legal_basis"}},
      {"visibility.with_permission", {"who", "record", "categories", "purpose"}},
      {"visibility.with_permission_until", {"who", "record", "categories", "purpose", "until"}},
      {"visibility.with_permission_later",
       {"who", "record", "categories", "purpose", "from", "until"}},
      {"visibility.objected", {"who", "record", "categories"}},
      {"visibility.emergency", {"who", "record", "categories"}},
  };
  return *allowed;
}

constexpr std::array<std::string_view, 14> kSingleTexts = {
    "title",    "review",      "introduction",  "no_accesses",   "closing",
    "unknown",  "line",        "who_with_role", "why",           "why_without_basis",
    "released", "the_gateway", "your_data",     "list_separator"};

std::set<std::string> PlaceholdersIn(std::string_view text) {
  std::set<std::string> found;
  for (size_t open = text.find('{'); open != std::string_view::npos;
       open = text.find('{', open + 1)) {
    const size_t close = text.find('}', open);
    if (close == std::string_view::npos) break;
    found.emplace(text.substr(open + 1, close - open - 1));
  }
  return found;
}

// Where each text is (file:line) and which placeholders it uses, to
// compare a catalogue with the Dutch one.
using Shapes = std::map<std::string, std::pair<std::string, std::set<std::string>>>;

absl::Status CheckPlaceholders(const YamlFile& file, const YAML::Node& node,
                               const std::string& allowed_key, const std::string& shape_key,
                               const std::string& text, Shapes& shapes) {
  const std::set<std::string> used = PlaceholdersIn(text);
  const std::set<std::string>& allowed = AllowedPlaceholders().at(allowed_key);
  for (const std::string& name : used) {
    if (allowed.count(name) == 0) {
      return file.ErrorAt(node, "'" + shape_key + "' uses {" + name + "}, which it cannot fill");
    }
  }
  shapes[shape_key] = {file.Where(node), used};
  return absl::OkStatus();
}

absl::StatusOr<Texts> LoadMap(const YamlFile& file, std::string_view key,
                              const std::vector<std::string>& required, bool closed,
                              Shapes& shapes) {
  const YAML::Node node = file.root()[std::string(key)];
  if (!node || !node.IsMap()) {
    return file.ErrorAt(node ? node : file.root(), "'" + std::string(key) + "' must be a map");
  }
  Texts out;
  for (const auto& item : node) {
    const std::string name = item.first.as<std::string>();
    if (!item.second.IsScalar()) return file.ErrorAt(item.second, "must be a text");
    if (closed && std::find(required.begin(), required.end(), name) == required.end()) {
      return file.ErrorAt(item.first, "'" + std::string(key) + "' has no key " + name);
    }
    const std::string shape_key = std::string(key) + "." + name;
    const std::string allowed_key =
        AllowedPlaceholders().count(shape_key) != 0 ? shape_key : std::string(key);
    out[name] = item.second.as<std::string>();
    RETURN_IF_ERROR(
        CheckPlaceholders(file, item.second, allowed_key, shape_key, out[name], shapes));
  }
  for (const std::string& name : required) {
    if (out.count(name) == 0) {
      return file.ErrorAt(node, "'" + std::string(key) + "' has no text for " + name);
    }
  }
  return out;
}

template <typename EnumDescriptorFn>
std::vector<std::string> EnumNames(EnumDescriptorFn descriptor) {
  std::vector<std::string> names;
  const google::protobuf::EnumDescriptor* type = descriptor();
  for (int i = 0; i < type->value_count(); ++i) {
    if (type->value(i)->number() != 0) names.push_back(type->value(i)->name());
  }
  return names;
}

struct LoadedCatalogue {
  AccessReportCatalogue catalogue;
  Shapes shapes;
};

absl::StatusOr<LoadedCatalogue> LoadCatalogue(const std::string& path,
                                              const std::string& language) {
  ASSIGN_OR_RETURN(YamlFile file, YamlFile::Load(path));
  // The single texts (kSingleTexts) and the maps.
  RETURN_IF_ERROR(
      file.OnlyKeys(file.root(), {"language",     "direction",     "title",     "review",
                                  "introduction", "no_accesses",   "closing",   "unknown",
                                  "line",         "who_with_role", "why",       "why_without_basis",
                                  "released",     "the_gateway",   "your_data", "list_separator",
                                  "purposes",     "categories",    "outcomes",  "legal_bases",
                                  "record_types", "roles",         "events",    "reasons",
                                  "visibility",   "reviews"}));
  LoadedCatalogue loaded;
  AccessReportCatalogue& catalogue = loaded.catalogue;
  ASSIGN_OR_RETURN(catalogue.language, file.RequiredString(file.root(), "language"));
  if (catalogue.language != language) {
    return file.ErrorAt(file.root()["language"],
                        "language '" + catalogue.language + "' does not match the file name");
  }
  ASSIGN_OR_RETURN(catalogue.direction, file.RequiredString(file.root(), "direction"));
  if (catalogue.direction != "ltr" && catalogue.direction != "rtl") {
    return file.ErrorAt(file.root()["direction"], "direction is 'ltr' or 'rtl'");
  }
  // A page shown left to right in Arabic script reads back to front.
  const std::string expected = IsRightToLeft(language) ? "rtl" : "ltr";
  if (catalogue.direction != expected) {
    return file.ErrorAt(file.root()["direction"], "'" + language + "' is written " + expected +
                                                      ", not " + catalogue.direction);
  }
  for (const std::string_view key : kSingleTexts) {
    ASSIGN_OR_RETURN(std::string text, file.RequiredString(file.root(), std::string(key)));
    RETURN_IF_ERROR(CheckPlaceholders(file, file.root()[std::string(key)], std::string(key),
                                      std::string(key), text, loaded.shapes));
    catalogue.texts.emplace(key, std::move(text));
  }
  std::vector<std::string> reasons = ExplainedReasons();
  reasons.push_back("other");
  Shapes& shapes = loaded.shapes;
  ASSIGN_OR_RETURN(catalogue.purposes,
                   LoadMap(file, "purposes", EnumNames(v1::Purpose_descriptor), true, shapes));
  ASSIGN_OR_RETURN(catalogue.categories,
                   LoadMap(file, "categories", EnumNames(DataCategory_descriptor), true, shapes));
  ASSIGN_OR_RETURN(
      catalogue.outcomes,
      LoadMap(file, "outcomes", EnumNames(v1::AuditEntry::Decision_descriptor), true, shapes));
  ASSIGN_OR_RETURN(
      catalogue.legal_bases,
      LoadMap(file, "legal_bases", {"consent", "statutory", "vital_interest"}, true, shapes));
  ASSIGN_OR_RETURN(catalogue.record_types,
                   LoadMap(file, "record_types", ReportedRecordTypes(), true, shapes));
  ASSIGN_OR_RETURN(catalogue.roles, LoadMap(file, "roles", {}, false, shapes));
  ASSIGN_OR_RETURN(
      catalogue.events,
      LoadMap(file, "events", EnumNames(v1::AuditEntry::Event_descriptor), true, shapes));
  ASSIGN_OR_RETURN(catalogue.reasons, LoadMap(file, "reasons", reasons, true, shapes));
  ASSIGN_OR_RETURN(catalogue.reviews,
                   LoadMap(file, "reviews", {"JUSTIFIED", "NOT_JUSTIFIED"}, true, shapes));
  ASSIGN_OR_RETURN(
      catalogue.visibility,
      LoadMap(file, "visibility",
              {"title", "introduction", "nobody", "now", "now_until", "later", "later_open", "why",
               "other_staff", "with_permission", "with_permission_until", "with_permission_later",
               "objected", "emergency", "yourself", "audit_readers", "closing"},
              true, shapes));
  return loaded;
}

// Dutch civil time (CET/CEST, EU summer-time rule): the person reads the
// times of their own country, not UTC.
struct LocalTime {
  std::string date;  // YYYY-MM-DD
  std::string time;  // HH:MM
};

LocalTime AmsterdamTime(int64_t unix_micros) {
  const int64_t seconds = unix_micros / 1'000'000;
  const int64_t offset = AmsterdamUtcOffsetSeconds(seconds);
  const int64_t local = seconds + offset;
  const int64_t minutes_of_day = (local % 86'400) / 60;
  const auto two_digits = [](int64_t value) {
    return std::string(1, static_cast<char>('0' + value / 10)) +
           static_cast<char>('0' + value % 10);
  };
  return {FormatCivilDate(local / 86'400),
          two_digits(minutes_of_day / 60) + ":" + two_digits(minutes_of_day % 60)};
}

}  // namespace

// Replaces each {name} in `text`.
std::string FillText(std::string text, const std::map<std::string_view, std::string>& values) {
  for (const auto& [name, value] : values) {
    const std::string placeholder = "{" + std::string(name) + "}";
    for (size_t at = text.find(placeholder); at != std::string::npos;
         at = text.find(placeholder, at + value.size())) {
      text.replace(at, placeholder.size(), value);
    }
  }
  return text;
}

std::string LookupText(const Texts& texts, std::string_view key, const std::string& fallback) {
  auto it = texts.find(key);
  return it == texts.end() ? fallback : it->second;
}

// One space between words, none at the ends: a line whose "why" is empty
// (a refused request names no basis) reads without a gap.
std::string TidyText(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string DutchDate(int64_t unix_micros) { return AmsterdamTime(unix_micros).date; }

absl::StatusOr<std::unique_ptr<AccessReportCatalogues>> AccessReportCatalogues::LoadDirectory(
    const std::string& dir) {
  auto catalogues = std::make_unique<AccessReportCatalogues>();
  std::map<std::string, Shapes> shapes;  // by language
  std::error_code error;
  for (const auto& item : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = item.path().filename().string();
    if (name.size() <= kPrefix.size() + kSuffix.size() || name.rfind(kPrefix, 0) != 0 ||
        name.substr(name.size() - kSuffix.size()) != kSuffix) {
      continue;
    }
    const std::string language =
        name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
    ASSIGN_OR_RETURN(LoadedCatalogue loaded, LoadCatalogue(item.path().string(), language));
    shapes.emplace(language, std::move(loaded.shapes));
    catalogues->by_language_.emplace(language, std::move(loaded.catalogue));
  }
  if (error) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "BAD_CONFIG",
                     "cannot read message catalogues in " + dir + ": " + error.message());
  }
  for (const char* required : {"nl", "en"}) {
    if (catalogues->Find(required) == nullptr) {
      return MakeError(absl::StatusCode::kFailedPrecondition, "BAD_CONFIG",
                       dir + ": no access-report." + required + ".yaml catalogue");
    }
  }
  // Every text uses the placeholders its Dutch original uses: a
  // translation that drops {law} would hide which law allowed an access.
  const Shapes& dutch = shapes.at("nl");
  for (const auto& [language, own] : shapes) {
    for (const auto& [key, where_used] : own) {
      auto original = dutch.find(key);
      if (original == dutch.end()) continue;  // an optional role only this language names
      if (where_used.second != original->second.second) {
        std::string names;
        for (const std::string& name : original->second.second) names += " {" + name + "}";
        return MakeError(absl::StatusCode::kFailedPrecondition, "BAD_CONFIG",
                         where_used.first + ": '" + key + "' must use the placeholders of " +
                             original->second.first + ":" + (names.empty() ? " none" : names));
      }
    }
  }
  return catalogues;
}

const AccessReportCatalogue* AccessReportCatalogues::Find(std::string_view language) const {
  auto it = by_language_.find(language);
  return it == by_language_.end() ? nullptr : &it->second;
}

absl::StatusOr<const AccessReportCatalogue*> AccessReportCatalogues::ForRequest(
    std::string_view language) const {
  if (language.empty()) language = "nl";
  if (const AccessReportCatalogue* catalogue = Find(language)) return catalogue;
  std::string available;
  for (const std::string& known : Languages()) available += (available.empty() ? "" : ", ") + known;
  return MakeError(absl::StatusCode::kInvalidArgument, "UNKNOWN_LANGUAGE",
                   "no texts in '" + std::string(language) + "'; available: " + available);
}

std::vector<std::string> AccessReportCatalogues::Languages() const {
  std::vector<std::string> languages;
  for (const auto& [language, catalogue] : by_language_) languages.push_back(language);
  return languages;
}

const std::string& AccessReportCatalogue::Text(std::string_view key) const {
  static const std::string kEmpty;
  auto it = texts.find(key);
  return it == texts.end() ? kEmpty : it->second;
}

std::vector<std::string> ReportedRecordTypes() {
  std::vector<std::string> types = records::RecordCatalog::Builtin().RecordTypes();
  for (const char* own :
       {"ketenpoort.Consent", "ketenpoort.Koppeling", "ketenpoort.GpRegistration",
        "ketenpoort.IdentifierLink", "ketenpoort.AuditLog", "ketenpoort.Visibility"}) {
    types.emplace_back(own);
  }
  return types;
}

const std::vector<std::string>& ExplainedReasons() {
  // The policy's reasons, and the refusals of writes and hand-overs an
  // entry about a person can carry.
  static const auto* reasons = new std::vector<std::string>{
      std::string(policy::reason::kNoRule),
      std::string(policy::reason::kActorRole),
      std::string(policy::reason::kUnknownPartner),
      std::string(policy::reason::kNotLinked),
      std::string(policy::reason::kOutsideWindow),
      std::string(policy::reason::kNotRegisteredWithGp),
      std::string(policy::reason::kConsentRequired),
      std::string(policy::reason::kConsentRevoked),
      std::string(policy::reason::kConsentObjection),
      std::string(policy::reason::kNotTheSubject),
      std::string(policy::reason::kAggregateOnly),
      std::string(policy::reason::kNotPermitted),
      "NOT_ENTITLED",
      "IDENTIFIER_CONFLICT",
      "RECIPIENT_ROLE",
      "CERTIFICATE_REVOKED",
      "AUDIT_READ_NOT_ENTITLED",
      "NOT_THE_SOURCE",
  };
  return *reasons;
}

bool IsReportedEntry(const v1::AuditEntry& entry) {
  return entry.kind() == v1::AuditEntry::ACCESS || entry.kind() == v1::AuditEntry::CONSENT_CHANGE ||
         entry.kind() == v1::AuditEntry::RELATIONSHIP_CHANGE ||
         entry.kind() == v1::AuditEntry::HANDOVER || entry.purpose() == v1::AUDIT_REVIEW ||
         entry.purpose() == v1::SUBJECT_ACCESS;
}

v1::SubjectAccessReport RenderAccessReport(const AccessReportCatalogue& catalogue,
                                           const std::vector<v1::AuditEntry>& entries,
                                           int64_t now_unix_micros) {
  v1::SubjectAccessReport report;
  report.set_language(catalogue.language);
  report.set_direction(catalogue.direction);
  report.set_title(catalogue.Text("title"));
  report.set_introduction(FillText(
      catalogue.Text("introduction"),
      {{"date", AmsterdamTime(now_unix_micros).date}, {"count", std::to_string(entries.size())}}));
  const std::string& unknown = catalogue.Text("unknown");
  for (const v1::AuditEntry& entry : entries) {
    v1::SubjectAccessReport::Access* access = report.add_accesses();
    const LocalTime when = AmsterdamTime(entry.time_unix_micros());
    const v1::AuditEntry::Event event = EventOf(entry);
    access->set_time_unix_micros(entry.time_unix_micros());
    access->set_audit_index(entry.index());
    access->set_kind(v1::AuditEntry::Event_Name(event));

    // Who: the gateway itself for its own acts (a hand-over expiring).
    access->set_organisation(!entry.partner_name().empty() ? entry.partner_name()
                             : entry.partner_id().empty()  ? catalogue.Text("the_gateway")
                                                           : unknown);
    if (!entry.actor_role().empty()) {
      access->set_role(LookupText(catalogue.roles, entry.actor_role(), entry.actor_role()));
    }
    const std::string who =
        access->role().empty()
            ? access->organisation()
            : FillText(catalogue.Text("who_with_role"),
                       {{"organisation", access->organisation()}, {"role", access->role()}});

    // What.
    access->set_record(entry.record_type().empty()
                           ? catalogue.Text("your_data")
                           : LookupText(catalogue.record_types, entry.record_type(), unknown));
    access->set_event(
        FillText(LookupText(catalogue.events, v1::AuditEntry::Event_Name(event), unknown),
                 {{"record", access->record()}}));

    // Why: the purpose, and for what was done the basis, with its law.
    std::string why;
    if (entry.purpose() != v1::PURPOSE_UNSPECIFIED) {
      access->set_purpose(
          LookupText(catalogue.purposes, v1::Purpose_Name(entry.purpose()), unknown));
      const std::string law =
          !entry.law_reference().empty() ? entry.law_reference() : std::string(DefaultLaw(event));
      const std::string basis_kind =
          !entry.legal_basis().empty() ? entry.legal_basis() : (law.empty() ? "" : "statutory");
      if (entry.decision() == v1::AuditEntry::PERMIT && !basis_kind.empty()) {
        access->set_legal_basis(FillText(LookupText(catalogue.legal_bases, basis_kind, unknown),
                                         {{"law", law.empty() ? unknown : law}}));
        why = FillText(catalogue.Text("why"),
                       {{"purpose", access->purpose()}, {"legal_basis", access->legal_basis()}});
      } else {
        why = FillText(catalogue.Text("why_without_basis"), {{"purpose", access->purpose()}});
      }
    }

    // The outcome, and what was released.
    if (entry.decision() == v1::AuditEntry::DENY) {
      access->set_reason(
          LookupText(catalogue.reasons, entry.reason(), catalogue.reasons.at("other")));
    }
    std::string outcome = FillText(
        LookupText(catalogue.outcomes, v1::AuditEntry::Decision_Name(entry.decision()), unknown),
        {{"reason", access->reason()}});
    // A review's outcome is what it found, not that it was allowed.
    if (event == v1::AuditEntry::BREAK_GLASS_REVIEWED &&
        entry.decision() == v1::AuditEntry::PERMIT &&
        entry.review_verdict() != v1::AuditEntry::VERDICT_UNSPECIFIED) {
      outcome = LookupText(catalogue.reviews, v1::AuditEntry::Verdict_Name(entry.review_verdict()),
                           unknown);
    }
    if (entry.decision() == v1::AuditEntry::PERMIT) {
      std::string categories;
      for (const std::string& category : entry.released_categories()) {
        const std::string text = LookupText(catalogue.categories, category, category);
        access->add_categories(text);
        categories += (categories.empty() ? "" : catalogue.Text("list_separator")) + text;
      }
      if (!categories.empty()) {
        outcome += " " + FillText(catalogue.Text("released"), {{"categories", categories}});
      }
    }
    access->set_outcome(outcome);
    access->set_text(TidyText(FillText(catalogue.Text("line"), {{"date", when.date},
                                                                {"time", when.time},
                                                                {"who", who},
                                                                {"event", access->event()},
                                                                {"why", why},
                                                                {"outcome", outcome}})));
  }
  report.set_closing(entries.empty()
                         ? catalogue.Text("no_accesses") + "\n" + catalogue.Text("closing")
                         : catalogue.Text("closing"));
  return report;
}

}  // namespace ketenpoort::audit
