// The subject access report: every access to one person's data, told in
// plain language (NEN 7513 asks that the person can understand it).
//
// The wording lives in message catalogues, one YAML file per language
// (policies/messages/access-report.<lang>.yaml), so adding Arabic or
// Tigrinya is a data change. Every catalogue must name every purpose,
// data category, decision and legal basis: a gap refuses start-up,
// naming file and line, rather than showing a person a blank.
#ifndef KETENPOORT_GATEWAY_AUDIT_ACCESS_REPORT_H_
#define KETENPOORT_GATEWAY_AUDIT_ACCESS_REPORT_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ketenpoort/v1/audit.pb.h"
#include "ketenpoort/v1/audit_entry.pb.h"

namespace ketenpoort::audit {

struct AccessReportCatalogue {
  std::string language;  // "nl"
  std::string title;
  std::string introduction;  // {date}, {count}
  std::string no_accesses;
  std::string access;    // {date} {time} {organisation} {role} {record} {purpose} {outcome}
  std::string released;  // {categories}
  std::string closing;
  std::string unknown;  // for a value the log does not have
  std::map<std::string, std::string, std::less<>> purposes;
  std::map<std::string, std::string, std::less<>> categories;
  std::map<std::string, std::string, std::less<>> outcomes;      // by decision
  std::map<std::string, std::string, std::less<>> legal_bases;   // {law}
  std::map<std::string, std::string, std::less<>> record_types;  // falls back to "unknown"
  std::map<std::string, std::string, std::less<>> roles;         // falls back to the role as given
};

class AccessReportCatalogues {
 public:
  // Loads every access-report.<lang>.yaml in `dir`.
  static absl::StatusOr<std::unique_ptr<AccessReportCatalogues>> LoadDirectory(
      const std::string& dir);

  // nullptr for a language without a catalogue.
  const AccessReportCatalogue* Find(std::string_view language) const;
  std::vector<std::string> Languages() const;

 private:
  std::map<std::string, AccessReportCatalogue, std::less<>> by_language_;
};

// Renders the report from the subject's ACCESS entries, oldest first.
// `today` is shown in the introduction.
v1::SubjectAccessReport RenderAccessReport(const AccessReportCatalogue& catalogue,
                                           const std::vector<v1::AuditEntry>& entries,
                                           int64_t now_unix_micros);

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_ACCESS_REPORT_H_
