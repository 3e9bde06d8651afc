// Calls the integration tests make as partners through the real gateway:
// who calls (certificate, role, the person signed in at the portal), the
// services' requests, and the check that a refused call was answered and
// audited as it should be. A test derives from PartnerCallsTest, writes
// its fixtures into dir_ and starts gateway_ in SetUp.
#ifndef KETENPOORT_TESTS_SUPPORT_PARTNER_CALLS_H_
#define KETENPOORT_TESTS_SUPPORT_PARTNER_CALLS_H_

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ketenpoort/v1/audit.grpc.pb.h"
#include "ketenpoort/v1/consent.grpc.pb.h"
#include "ketenpoort/v1/dossier.grpc.pb.h"
#include "ketenpoort/v1/relationship.grpc.pb.h"
#include "tests/support/chain_steps.h"
#include "tests/support/gateway_env.h"
#include "tests/support/gateway_process.h"
#include "tests/support/temp_dir.h"

namespace ketenpoort::testing {

// Who calls: the organisation (its certificate), the actor's role, and at
// the portal the person signed in.
struct Who {
  std::string partner;
  std::string role;
  std::string signed_in;
};

inline std::string Name(const Who& who) {
  return who.partner + (who.role.empty() ? "" : " as " + who.role) +
         (who.signed_in.empty() ? "" : " signed in as " + who.signed_in);
}

// What a refused call must look like, to the caller and in the audit log.
struct Refusal {
  grpc::StatusCode code;
  std::string reason;  // the ErrorInfo reason the caller is told
  v1::AuditEntry::Kind kind;
  std::string audit_reason = "";  // the reason recorded; "" means `reason`
  v1::AuditEntry::Decision decision = v1::AuditEntry::DENY;
};

inline Refusal NotEntitled(v1::AuditEntry::Kind kind) {
  return {grpc::StatusCode::PERMISSION_DENIED, "NOT_ENTITLED", kind};
}

// `text` with every occurrence of `word` replaced by "<id>".
inline std::string WithoutId(std::string text, const std::string& word) {
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at)) {
    text.replace(at, word.size(), "<id>");
  }
  return text;
}

class PartnerCallsTest : public ::testing::Test {
 protected:
  using AuditEntry = v1::AuditEntry;

  void TearDown() override {
    if (gateway_) {
      EXPECT_EQ(gateway_->Stop(), 0) << gateway_->StderrText();
    }
  }

  std::shared_ptr<grpc::Channel> Channel(const std::string& partner) {
    return ChannelAs(gateway_->address(), partner);
  }

  static void Prepare(grpc::ClientContext& context, const Who& who) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("x-actor-id", "medewerker-9");
    if (!who.role.empty()) context.AddMetadata("x-actor-role", who.role);
    if (!who.signed_in.empty()) context.AddMetadata("x-authenticated-subject", who.signed_in);
  }

  // --- DossierService ---

  grpc::Status Get(const Who& who, const std::string& subject, const std::string& record_type,
                   v1::Purpose purpose, v1::GetRecordResponse* response = nullptr) {
    v1::GetRecordRequest request;
    request.set_subject_id(subject);
    request.set_record_type(record_type);
    request.set_purpose(purpose);
    grpc::ClientContext context;
    Prepare(context, who);
    v1::GetRecordResponse local;
    return v1::DossierService::NewStub(Channel(who.partner))
        ->GetRecord(&context, request, response ? response : &local);
  }
  // --- RelationshipService ---

  grpc::Status SetKoppeling(const Who& who, const std::string& subject, const std::string& code) {
    v1::SetKoppelingRequest request;
    request.mutable_koppeling()->set_subject_id(subject);
    request.mutable_koppeling()->set_municipality_code(code);
    request.mutable_koppeling()->set_linked_on(DateFromToday(0));
    request.mutable_koppeling()->set_expected_move_date(DateFromToday(7));
    request.mutable_koppeling()->set_evidence_reference("tvs-1");
    grpc::ClientContext context;
    Prepare(context, who);
    v1::Koppeling stored;
    return v1::RelationshipService::NewStub(Channel(who.partner))
        ->SetKoppeling(&context, request, &stored);
  }

  grpc::Status Link(const Who& who, const std::string& v_number, const std::string& bsn,
                    const std::string& evidence = "brp-inschrijving-9") {
    v1::LinkIdentifiersRequest request;
    request.mutable_link()->set_v_number(v_number);
    request.mutable_link()->set_bsn(bsn);
    request.mutable_link()->set_linked_on(DateFromToday(0));
    request.mutable_link()->set_evidence_reference(evidence);
    grpc::ClientContext context;
    Prepare(context, who);
    v1::IdentifierLink stored;
    return v1::RelationshipService::NewStub(Channel(who.partner))
        ->LinkIdentifiers(&context, request, &stored);
  }

  grpc::Status SetGp(const Who& who, const std::string& subject, const std::string& practice,
                     bool ended = false, const std::string& evidence = "inschrijfformulier-9") {
    v1::SetGpRegistrationRequest request;
    request.mutable_registration()->set_subject_id(subject);
    request.mutable_registration()->set_practice_partner_id(practice);
    request.mutable_registration()->set_registered_on(DateFromToday(0));
    request.mutable_registration()->set_ended(ended);
    request.mutable_registration()->set_evidence_reference(evidence);
    grpc::ClientContext context;
    Prepare(context, who);
    v1::GpRegistration stored;
    return v1::RelationshipService::NewStub(Channel(who.partner))
        ->SetGpRegistration(&context, request, &stored);
  }

  // --- ConsentService ---

  static v1::Consent ConsentFor(const std::string& subject, const std::string& recipient,
                                v1::Purpose purpose, const std::vector<std::string>& record_types,
                                v1::ConsentEffect effect = v1::PERMIT) {
    v1::Consent consent;
    consent.set_subject_id(subject);
    consent.mutable_recipient()->set_partner_id(recipient);
    consent.set_purpose(purpose);
    for (const std::string& type : record_types) consent.add_record_types(type);
    consent.set_valid_from(DateFromToday(-1));
    consent.set_valid_until(DateFromToday(365));
    consent.set_effect(effect);
    consent.set_language("ti");
    consent.set_interpreter_used(true);
    consent.set_evidence_reference("toestemmingsformulier-7");
    return consent;
  }
  // The same consent, addressed to every partner of `type` in `municipality`.
  static v1::Consent ToType(v1::Consent consent, const std::string& type,
                            const std::string& municipality) {
    consent.mutable_recipient()->Clear();
    consent.mutable_recipient()->set_partner_type(type);
    consent.mutable_recipient()->set_municipality_code(municipality);
    return consent;
  }
  grpc::Status Grant(const Who& who, const v1::Consent& consent, v1::Consent* granted = nullptr) {
    v1::GrantConsentRequest request;
    *request.mutable_consent() = consent;
    grpc::ClientContext context;
    Prepare(context, who);
    v1::Consent local;
    return v1::ConsentService::NewStub(Channel(who.partner))
        ->Grant(&context, request, granted ? granted : &local);
  }
  // Grants, asserting that it works; returns the consent id.
  std::string Granted(const Who& who, const v1::Consent& consent) {
    v1::Consent granted;
    const grpc::Status status = Grant(who, consent, &granted);
    EXPECT_TRUE(status.ok()) << Name(who) << ": " << status.error_message();
    return granted.consent_id();
  }

  grpc::Status Revoke(const Who& who, const std::string& consent_id) {
    v1::RevokeConsentRequest request;
    request.set_consent_id(consent_id);
    request.set_reason("test");
    grpc::ClientContext context;
    Prepare(context, who);
    v1::Consent revoked;
    return v1::ConsentService::NewStub(Channel(who.partner))->Revoke(&context, request, &revoked);
  }

  grpc::Status List(const Who& who, const std::string& subject, std::set<std::string>* ids) {
    v1::ListConsentsRequest request;
    request.set_subject_id(subject);
    grpc::ClientContext context;
    Prepare(context, who);
    v1::ListConsentsResponse response;
    const grpc::Status status =
        v1::ConsentService::NewStub(Channel(who.partner))->List(&context, request, &response);
    ids->clear();
    for (const v1::Consent& consent : response.consents()) ids->insert(consent.consent_id());
    return status;
  }

  grpc::Status Receipt(const Who& who, const std::string& consent_id,
                       v1::ConsentReceipt* receipt = nullptr) {
    v1::GetConsentReceiptRequest request;
    request.set_consent_id(consent_id);
    grpc::ClientContext context;
    Prepare(context, who);
    v1::ConsentReceipt local;
    return v1::ConsentService::NewStub(Channel(who.partner))
        ->GetReceipt(&context, request, receipt ? receipt : &local);
  }

  // --- AuditService ---

  grpc::Status Report(const Who& who, const std::string& subject,
                      v1::SubjectAccessReport* report = nullptr) {
    v1::SubjectAccessReportRequest request;
    request.set_subject_id(subject);
    request.set_language("en");
    grpc::ClientContext context;
    Prepare(context, who);
    v1::SubjectAccessReport local;
    return v1::AuditService::NewStub(Channel(who.partner))
        ->GetSubjectAccessReport(&context, request, report ? report : &local);
  }
  grpc::Status Query(const Who& who, const v1::AuditQueryRequest& request,
                     v1::AuditQueryResponse* response) {
    grpc::ClientContext context;
    Prepare(context, who);
    return v1::AuditService::NewStub(Channel(who.partner))->Query(&context, request, response);
  }

  // The audit indexes a report lists.
  static std::set<uint64_t> Indexes(const v1::SubjectAccessReport& report) {
    std::set<uint64_t> indexes;
    for (const auto& access : report.accesses()) indexes.insert(access.audit_index());
    return indexes;
  }

  // --- the audit store ---

  AuditEntry Newest() const { return ReadAuditEntry(dir_.File("audit.db")); }
  AuditEntry EntryAt(uint64_t index) const { return ReadAuditEntry(dir_.File("audit.db"), index); }
  uint64_t NewestIndex() const { return Newest().index(); }

  // The call was refused as `want` says, and left exactly one new audit
  // entry (after `newest_before`), by `who`, recording the refusal.
  ::testing::AssertionResult RefusedAndAudited(const grpc::Status& status, uint64_t newest_before,
                                               const Who& who, const Refusal& want) const {
    if (status.error_code() != want.code) {
      return ::testing::AssertionFailure()
             << Name(who) << ": code " << status.error_code() << " (" << ReasonOf(status) << ": "
             << status.error_message() << "), want " << want.code;
    }
    if (ReasonOf(status) != want.reason) {
      return ::testing::AssertionFailure() << Name(who) << ": reason " << ReasonOf(status) << " ("
                                           << status.error_message() << "), want " << want.reason;
    }
    const AuditEntry entry = Newest();
    const std::string audit_reason = want.audit_reason.empty() ? want.reason : want.audit_reason;
    if (entry.index() != newest_before + 1) {
      return ::testing::AssertionFailure() << Name(who) << ": want exactly one audit entry after "
                                           << newest_before << ", newest is " << entry.index();
    }
    if (entry.kind() != want.kind || entry.decision() != want.decision ||
        entry.reason() != audit_reason || entry.partner_id() != who.partner) {
      return ::testing::AssertionFailure()
             << Name(who) << ": audit entry " << entry.ShortDebugString() << "; want kind "
             << AuditEntry::Kind_Name(want.kind) << ", decision "
             << AuditEntry::Decision_Name(want.decision) << ", reason " << audit_reason
             << ", partner " << who.partner;
    }
    return ::testing::AssertionSuccess();
  }

  TempDir dir_;
  std::unique_ptr<GatewayProcess> gateway_;
};

}  // namespace ketenpoort::testing

#endif  // KETENPOORT_TESTS_SUPPORT_PARTNER_CALLS_H_
