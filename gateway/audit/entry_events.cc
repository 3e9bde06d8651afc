#include "gateway/audit/entry_events.h"

#include <array>
#include <utility>

namespace ketenpoort::audit {
namespace {

using Event = v1::AuditEntry::Event;
using Kind = v1::AuditEntry::Kind;

struct MethodEvent {
  std::string_view method;
  Event event;
};

// Per method; ACCESS entries of a Fetch are the records it released.
constexpr std::array<MethodEvent, 22> kByMethod = {{
    {"/ketenpoort.v1.DossierService/GetRecord", v1::AuditEntry::RECORD_REQUESTED},
    {"/ketenpoort.v1.InburgeringService/GetProgress", v1::AuditEntry::RECORD_REQUESTED},
    {"/ketenpoort.v1.InburgeringService/ListProgress", v1::AuditEntry::LISTED},
    {"/ketenpoort.v1.ConsentService/Grant", v1::AuditEntry::CONSENT_GRANTED},
    {"/ketenpoort.v1.ConsentService/Revoke", v1::AuditEntry::CONSENT_REVOKED},
    {"/ketenpoort.v1.ConsentService/List", v1::AuditEntry::CONSENTS_VIEWED},
    {"/ketenpoort.v1.ConsentService/GetReceipt", v1::AuditEntry::CONSENTS_VIEWED},
    {"/ketenpoort.v1.ConsentService/WhoMaySee", v1::AuditEntry::VISIBILITY_VIEWED},
    {"/ketenpoort.v1.RelationshipService/SetKoppeling", v1::AuditEntry::KOPPELING_SET},
    {"/ketenpoort.v1.RelationshipService/SetGpRegistration", v1::AuditEntry::GP_REGISTERED},
    {"/ketenpoort.v1.RelationshipService/LinkIdentifiers", v1::AuditEntry::IDENTIFIERS_LINKED},
    {"/ketenpoort.v1.HandoverService/Send", v1::AuditEntry::HANDOVER_SENT},
    {"/ketenpoort.v1.HandoverService/Fetch", v1::AuditEntry::HANDOVER_FETCHED},
    {"/ketenpoort.v1.HandoverService/Acknowledge", v1::AuditEntry::HANDOVER_ACKNOWLEDGED},
    {"/ketenpoort.v1.HandoverService/Refuse", v1::AuditEntry::HANDOVER_REFUSED},
    {"/ketenpoort.v1.HandoverService/Withdraw", v1::AuditEntry::HANDOVER_WITHDRAWN},
    {"/ketenpoort.v1.HandoverService/Expire", v1::AuditEntry::HANDOVER_EXPIRED},
    {"/ketenpoort.v1.HandoverService/Purge", v1::AuditEntry::HANDOVER_PURGED},
    {"/ketenpoort.v1.HandoverService/GetStatus", v1::AuditEntry::HANDOVER_VIEWED},
    {"/ketenpoort.v1.AuditService/Query", v1::AuditEntry::AUDIT_VIEWED},
    {"/ketenpoort.v1.AuditService/GetEntry", v1::AuditEntry::AUDIT_VIEWED},
    {"/ketenpoort.v1.AuditService/GetSubjectAccessReport", v1::AuditEntry::REPORT_MADE},
}};

}  // namespace

Event DefaultEvent(Kind kind, std::string_view method) {
  if (kind == v1::AuditEntry::ACCESS && method == "/ketenpoort.v1.HandoverService/Fetch") {
    return v1::AuditEntry::RECORD_RECEIVED;
  }
  if (method == "/ketenpoort.v1.AuditService/ReviewBreakGlass") {
    return v1::AuditEntry::BREAK_GLASS_REVIEWED;
  }
  for (const MethodEvent& known : kByMethod) {
    if (known.method == method) return known.event;
  }
  return v1::AuditEntry::EVENT_UNSPECIFIED;
}

std::string_view DefaultLaw(Event event) {
  switch (event) {
    case v1::AuditEntry::CONSENT_GRANTED:
    case v1::AuditEntry::CONSENT_REVOKED:
    case v1::AuditEntry::CONSENTS_VIEWED:
      return "AVG art. 7";
    case v1::AuditEntry::OBJECTION_RECORDED:
      return "AVG art. 21";
    case v1::AuditEntry::KOPPELING_SET:
      return "Huisvestingswet 2014 art. 28";
    case v1::AuditEntry::GP_REGISTERED:
    case v1::AuditEntry::GP_REGISTRATION_ENDED:
      return "WGBO (BW 7:446)";
    case v1::AuditEntry::IDENTIFIERS_LINKED:
      return "Wet basisregistratie personen";
    case v1::AuditEntry::HANDOVER_EXPIRED:
    case v1::AuditEntry::HANDOVER_PURGED:
      return "AVG art. 5 lid 1 sub e";
    case v1::AuditEntry::AUDIT_VIEWED:
    case v1::AuditEntry::BREAK_GLASS_REVIEWED:
      return "AVG art. 5 lid 2 en art. 39; NEN 7513";
    case v1::AuditEntry::REPORT_MADE:
    case v1::AuditEntry::VISIBILITY_VIEWED:
      return "AVG art. 15";
    default:
      return "";
  }
}

Event EventOf(const v1::AuditEntry& entry) {
  if (entry.event() != v1::AuditEntry::EVENT_UNSPECIFIED) return entry.event();
  Event event = DefaultEvent(entry.kind(), entry.method());
  if (event == v1::AuditEntry::EVENT_UNSPECIFIED) {
    event = entry.purpose() == v1::SUBJECT_ACCESS ? v1::AuditEntry::REPORT_MADE
            : entry.purpose() == v1::AUDIT_REVIEW ? v1::AuditEntry::AUDIT_VIEWED
                                                  : v1::AuditEntry::RECORD_REQUESTED;
  }
  // Older entries said in their detail what the method alone does not.
  const std::string_view detail = entry.detail();
  if (event == v1::AuditEntry::CONSENT_GRANTED &&
      detail.find("(OBJECTION)") != std::string_view::npos) {
    return v1::AuditEntry::OBJECTION_RECORDED;
  }
  if (event == v1::AuditEntry::GP_REGISTERED && detail.find(" ended") != std::string_view::npos) {
    return v1::AuditEntry::GP_REGISTRATION_ENDED;
  }
  return event;
}

}  // namespace ketenpoort::audit
