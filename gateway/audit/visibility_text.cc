#include "gateway/audit/visibility_text.h"

#include "gateway/common/civil_date.h"
#include "ketenpoort/v1/purpose.pb.h"

namespace ketenpoort::audit {
namespace {

using Line = v1::WhoMaySeeResponse::Line;

Line::Access AccessOf(policy::Reach reach) {
  switch (reach) {
    case policy::Reach::kNow:
      return Line::NOW;
    case policy::Reach::kLater:
      return Line::LATER;
    case policy::Reach::kEmergency:
      return Line::EMERGENCY;
    case policy::Reach::kWithPermission:
      return Line::WITH_PERMISSION;
    case policy::Reach::kObjected:
      return Line::OBJECTED;
  }
  return Line::ACCESS_UNSPECIFIED;
}

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& items,
                   const std::string& separator) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// Which text tells a line; a line seen now but only until a day says so.
std::string_view TextKey(const policy::VisibleRecord& record) {
  switch (record.reach) {
    case policy::Reach::kNow:
      return record.until_day ? "now_until" : "now";
    case policy::Reach::kLater:
      return record.until_day ? "later" : "later_open";
    case policy::Reach::kEmergency:
      return "emergency";
    case policy::Reach::kWithPermission:
      return record.from_day    ? "with_permission_later"
             : record.until_day ? "with_permission_until"
                                : "with_permission";
    case policy::Reach::kObjected:
      return "objected";
  }
  return "now";
}

}  // namespace

v1::WhoMaySeeResponse RenderVisibility(const AccessReportCatalogue& catalogue,
                                       const std::vector<policy::VisibleRecord>& records,
                                       int64_t now_unix_micros) {
  const Texts& texts = catalogue.visibility;
  const std::string& unknown = catalogue.Text("unknown");
  const std::string& separator = catalogue.Text("list_separator");
  auto text = [&](std::string_view key) { return LookupText(texts, key, unknown); };
  v1::WhoMaySeeResponse response;
  response.set_language(catalogue.language);
  response.set_direction(catalogue.direction);
  response.set_title(text("title"));
  response.set_introduction(FillText(text("introduction"), {{"date", DutchDate(now_unix_micros)}}));
  for (const policy::VisibleRecord& record : records) {
    Line* line = response.add_lines();
    line->set_access(AccessOf(record.reach));
    line->set_partner_id(record.partner->id);
    line->set_organisation(record.partner->name);
    for (const std::string& role : record.actor_roles) {
      line->add_roles(LookupText(catalogue.roles, role, role));
    }
    if (record.other_roles) line->add_roles(text("other_staff"));
    line->set_record_type(record.record_type);
    line->set_record(LookupText(catalogue.record_types, record.record_type, unknown));
    for (const std::string& category : record.categories) {
      line->add_categories(LookupText(catalogue.categories, category, category));
    }
    line->set_purpose(record.purpose);
    line->set_legal_basis(std::string(policy::LegalBasisName(record.legal_basis.kind)));
    line->set_law(record.legal_basis.law_reference);
    if (record.from_day) line->set_from_date(FormatCivilDate(*record.from_day));
    if (record.until_day) line->set_until_date(FormatCivilDate(*record.until_day));

    const std::string who = line->roles().empty()
                                ? line->organisation()
                                : FillText(catalogue.Text("who_with_role"),
                                           {{"organisation", line->organisation()},
                                            {"role", Joined(line->roles(), separator)}});
    const std::string purpose =
        LookupText(catalogue.purposes, v1::Purpose_Name(record.purpose), unknown);
    const std::string basis =
        FillText(LookupText(catalogue.legal_bases, line->legal_basis(), unknown),
                 {{"law", line->law().empty() ? unknown : line->law()}});
    const std::string why = FillText(text("why"), {{"purpose", purpose}, {"legal_basis", basis}});
    line->set_text(TidyText(
        FillText(text(TextKey(record)), {{"who", who},
                                         {"record", line->record()},
                                         {"categories", Joined(line->categories(), separator)},
                                         {"why", why},
                                         {"purpose", purpose},
                                         {"from", line->from_date()},
                                         {"until", line->until_date()}})));
  }
  response.set_yourself(text("yourself"));
  response.set_audit_readers(text("audit_readers"));
  response.set_closing(records.empty() ? text("nobody") + "\n" + text("closing") : text("closing"));
  return response;
}

}  // namespace ketenpoort::audit
