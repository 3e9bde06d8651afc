#include "gateway/audit/access_report.h"

#include <filesystem>

#include "gateway/common/civil_date.h"
#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"
#include "gateway/common/yaml_file.h"
#include "ketenpoort/options.pb.h"
#include "ketenpoort/v1/purpose.pb.h"

namespace ketenpoort::audit {
namespace {

constexpr std::string_view kPrefix = "access-report.";
constexpr std::string_view kSuffix = ".yaml";

absl::StatusOr<std::map<std::string, std::string, std::less<>>> LoadMap(
    const YamlFile& file, std::string_view key, const std::vector<std::string>& required) {
  const YAML::Node node = file.root()[std::string(key)];
  if (!node || !node.IsMap()) {
    return file.ErrorAt(node ? node : file.root(), "'" + std::string(key) + "' must be a map");
  }
  std::map<std::string, std::string, std::less<>> out;
  for (const auto& item : node) {
    if (!item.second.IsScalar()) return file.ErrorAt(item.second, "must be a text");
    out[item.first.as<std::string>()] = item.second.as<std::string>();
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

absl::StatusOr<AccessReportCatalogue> LoadCatalogue(const std::string& path,
                                                    const std::string& language) {
  ASSIGN_OR_RETURN(YamlFile file, YamlFile::Load(path));
  RETURN_IF_ERROR(file.OnlyKeys(
      file.root(),
      {"language", "title", "introduction", "no_accesses", "access", "released", "closing",
       "unknown", "purposes", "categories", "outcomes", "legal_bases", "record_types", "roles"}));
  AccessReportCatalogue catalogue;
  ASSIGN_OR_RETURN(catalogue.language, file.RequiredString(file.root(), "language"));
  if (catalogue.language != language) {
    return file.ErrorAt(file.root()["language"],
                        "language '" + catalogue.language + "' does not match the file name");
  }
  ASSIGN_OR_RETURN(catalogue.title, file.RequiredString(file.root(), "title"));
  ASSIGN_OR_RETURN(catalogue.introduction, file.RequiredString(file.root(), "introduction"));
  ASSIGN_OR_RETURN(catalogue.no_accesses, file.RequiredString(file.root(), "no_accesses"));
  ASSIGN_OR_RETURN(catalogue.access, file.RequiredString(file.root(), "access"));
  ASSIGN_OR_RETURN(catalogue.released, file.RequiredString(file.root(), "released"));
  ASSIGN_OR_RETURN(catalogue.closing, file.RequiredString(file.root(), "closing"));
  ASSIGN_OR_RETURN(catalogue.unknown, file.RequiredString(file.root(), "unknown"));
  ASSIGN_OR_RETURN(catalogue.purposes,
                   LoadMap(file, "purposes", EnumNames(v1::Purpose_descriptor)));
  ASSIGN_OR_RETURN(catalogue.categories,
                   LoadMap(file, "categories", EnumNames(DataCategory_descriptor)));
  ASSIGN_OR_RETURN(catalogue.outcomes,
                   LoadMap(file, "outcomes", EnumNames(v1::AuditEntry::Decision_descriptor)));
  ASSIGN_OR_RETURN(catalogue.legal_bases,
                   LoadMap(file, "legal_bases", {"consent", "statutory", "vital_interest"}));
  ASSIGN_OR_RETURN(catalogue.record_types, LoadMap(file, "record_types", {}));
  ASSIGN_OR_RETURN(catalogue.roles, LoadMap(file, "roles", {}));
  return catalogue;
}

// Replaces each {name} in `text`.
std::string Fill(std::string text, const std::map<std::string_view, std::string>& values) {
  for (const auto& [name, value] : values) {
    const std::string placeholder = "{" + std::string(name) + "}";
    for (size_t at = text.find(placeholder); at != std::string::npos;
         at = text.find(placeholder, at + value.size())) {
      text.replace(at, placeholder.size(), value);
    }
  }
  return text;
}

std::string Lookup(const std::map<std::string, std::string, std::less<>>& texts,
                   std::string_view key, const std::string& fallback) {
  auto it = texts.find(key);
  return it == texts.end() ? fallback : it->second;
}

// Dutch civil time (CET/CEST, EU summer-time rule): the person reads the
// times of their own country, not UTC.
struct LocalTime {
  std::string date;  // YYYY-MM-DD
  std::string time;  // HH:MM
};

int64_t LastSundayOf(int year, int month) {
  const int64_t last_day =
      DaysFromCivil(month == 12 ? year + 1 : year, month == 12 ? 1 : month + 1, 1) - 1;
  const int64_t weekday = (last_day + 4) % 7;  // 1970-01-01 was a Thursday (4); 0 is Sunday
  return last_day - weekday;
}

LocalTime AmsterdamTime(int64_t unix_micros) {
  const int64_t seconds = unix_micros / 1'000'000;
  const int64_t utc_day = seconds / 86'400;
  const int year = std::stoi(FormatCivilDate(utc_day).substr(0, 4));
  const int64_t summer_start = LastSundayOf(year, 3) * 86'400 + 3'600;  // 01:00 UTC
  const int64_t summer_end = LastSundayOf(year, 10) * 86'400 + 3'600;
  const int64_t offset = (seconds >= summer_start && seconds < summer_end) ? 7'200 : 3'600;
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

absl::StatusOr<std::unique_ptr<AccessReportCatalogues>> AccessReportCatalogues::LoadDirectory(
    const std::string& dir) {
  auto catalogues = std::make_unique<AccessReportCatalogues>();
  std::error_code error;
  for (const auto& item : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = item.path().filename().string();
    if (name.size() <= kPrefix.size() + kSuffix.size() || name.rfind(kPrefix, 0) != 0 ||
        name.substr(name.size() - kSuffix.size()) != kSuffix) {
      continue;
    }
    const std::string language =
        name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
    ASSIGN_OR_RETURN(AccessReportCatalogue catalogue,
                     LoadCatalogue(item.path().string(), language));
    catalogues->by_language_.emplace(language, std::move(catalogue));
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
  return catalogues;
}

const AccessReportCatalogue* AccessReportCatalogues::Find(std::string_view language) const {
  auto it = by_language_.find(language);
  return it == by_language_.end() ? nullptr : &it->second;
}

std::vector<std::string> AccessReportCatalogues::Languages() const {
  std::vector<std::string> languages;
  for (const auto& [language, catalogue] : by_language_) languages.push_back(language);
  return languages;
}

v1::SubjectAccessReport RenderAccessReport(const AccessReportCatalogue& catalogue,
                                           const std::vector<v1::AuditEntry>& entries,
                                           int64_t now_unix_micros) {
  v1::SubjectAccessReport report;
  report.set_language(catalogue.language);
  report.set_title(catalogue.title);
  report.set_introduction(Fill(
      catalogue.introduction,
      {{"date", AmsterdamTime(now_unix_micros).date}, {"count", std::to_string(entries.size())}}));
  for (const v1::AuditEntry& entry : entries) {
    v1::SubjectAccessReport::Access* access = report.add_accesses();
    const LocalTime when = AmsterdamTime(entry.time_unix_micros());
    access->set_time_unix_micros(entry.time_unix_micros());
    access->set_audit_index(entry.index());
    access->set_organisation(entry.partner_name().empty() ? catalogue.unknown
                                                          : entry.partner_name());
    access->set_role(entry.actor_role().empty()
                         ? catalogue.unknown
                         : Lookup(catalogue.roles, entry.actor_role(), entry.actor_role()));
    access->set_purpose(
        Lookup(catalogue.purposes, v1::Purpose_Name(entry.purpose()), catalogue.unknown));
    std::string outcome = Lookup(
        catalogue.outcomes, v1::AuditEntry::Decision_Name(entry.decision()), catalogue.unknown);
    if (entry.decision() == v1::AuditEntry::PERMIT) {
      const std::string basis = Fill(
          Lookup(catalogue.legal_bases, entry.legal_basis(), catalogue.unknown),
          {{"law", entry.law_reference().empty() ? catalogue.unknown : entry.law_reference()}});
      access->set_legal_basis(basis);
      outcome = Fill(outcome, {{"legal_basis", basis}});
      std::string categories;
      for (const std::string& category : entry.released_categories()) {
        const std::string text = Lookup(catalogue.categories, category, category);
        access->add_categories(text);
        categories += (categories.empty() ? "" : ", ") + text;
      }
      if (!categories.empty())
        outcome += " " + Fill(catalogue.released, {{"categories", categories}});
    }
    access->set_outcome(outcome);
    access->set_text(
        Fill(catalogue.access,
             {{"date", when.date},
              {"time", when.time},
              {"organisation", access->organisation()},
              {"role", access->role()},
              {"record", Lookup(catalogue.record_types, entry.record_type(), catalogue.unknown)},
              {"purpose", access->purpose()},
              {"outcome", outcome}}));
  }
  report.set_closing(entries.empty() ? catalogue.no_accesses + "\n" + catalogue.closing
                                     : catalogue.closing);
  return report;
}

}  // namespace ketenpoort::audit
