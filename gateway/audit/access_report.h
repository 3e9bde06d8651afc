// The subject access report: every entry about one person, told in plain
// language (NEN 7513 asks that the person can understand it): who
// (organisation and role), when (Dutch local time), what (the event, the
// record type and the categories released), why (purpose and legal basis,
// with the law named) and the outcome.
//
// The wording lives in message catalogues, one YAML file per language
// (policies/messages/access-report.<lang>.yaml), so a new language is a
// data change. Every catalogue must name every event, purpose, data
// category, decision, legal basis, explained reason and record type the
// gateway can write, and use exactly the placeholders each text allows,
// the same as the Dutch one: a gap refuses start-up, naming file, line and
// key, rather than showing a person a blank.
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

using Texts = std::map<std::string, std::string, std::less<>>;

struct AccessReportCatalogue {
  std::string language;   // "nl"
  std::string direction;  // "ltr" or "rtl"
  Texts texts;            // the single texts, by key (title, line, ...)
  Texts purposes;
  Texts categories;
  Texts outcomes;     // by decision; DENY has {reason}
  Texts legal_bases;  // {law}
  Texts record_types;
  Texts roles;       // optional per role; falls back to the role as given
  Texts events;      // by AuditEntry.Event name; {record}
  Texts reasons;     // the explained reasons, and "other"
  Texts visibility;  // who may see the person's data now (visibility_text.h)
  Texts reviews;     // what a break-glass review found, by AuditEntry.Verdict

  const std::string& Text(std::string_view key) const;
};

// Every record type the gateway can write into an entry: the records its
// sources serve and its own (consents, relationships, the audit log).
std::vector<std::string> ReportedRecordTypes();
// The reasons a report explains in words; any other is told as "other".
const std::vector<std::string>& ExplainedReasons();

class AccessReportCatalogues {
 public:
  // Loads every access-report.<lang>.yaml in `dir`; nl and en must exist.
  static absl::StatusOr<std::unique_ptr<AccessReportCatalogues>> LoadDirectory(
      const std::string& dir);

  // nullptr for a language without a catalogue.
  const AccessReportCatalogue* Find(std::string_view language) const;
  // The catalogue a caller asked for (empty: Dutch), or INVALID_ARGUMENT
  // UNKNOWN_LANGUAGE naming the languages there are.
  absl::StatusOr<const AccessReportCatalogue*> ForRequest(std::string_view language) const;
  std::vector<std::string> Languages() const;

 private:
  std::map<std::string, AccessReportCatalogue, std::less<>> by_language_;
};

// The pieces every text made from a catalogue is built with.
// Replaces each {name} in `text`.
std::string FillText(std::string text, const std::map<std::string_view, std::string>& values);
// The text for `key`, or `fallback`.
std::string LookupText(const Texts& texts, std::string_view key, const std::string& fallback);
// One space between words, none at the ends: a line with an empty part
// reads without a gap.
std::string TidyText(const std::string& text);
// The date in the Netherlands (CET/CEST) at that moment, YYYY-MM-DD.
std::string DutchDate(int64_t unix_micros);

// The checkpoint a report with proofs carries names its person in one
// extension line per pseudonym: "<this> <hex pseudonym>", signed with the
// log's key, so the lines can be checked to be about them.
inline constexpr std::string_view kReportSubjectExtension = "ketenpoort-report-subject";

// Whether an entry about the person is a line of their report: what was
// done with their data, their consents and relationships, hand-overs, and
// reads of the log about them (a review, a report).
bool IsReportedEntry(const v1::AuditEntry& entry);

// Renders the report from the person's entries, oldest first. `now` is
// shown in the introduction.
v1::SubjectAccessReport RenderAccessReport(const AccessReportCatalogue& catalogue,
                                           const std::vector<v1::AuditEntry>& entries,
                                           int64_t now_unix_micros);

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_ACCESS_REPORT_H_
