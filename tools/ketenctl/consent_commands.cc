#include "tools/ketenctl/consent_commands.h"

#include <grpcpp/client_context.h>

#include <cstdio>

#include "ketenpoort/v1/consent.grpc.pb.h"
#include "ketenpoort/v1/relationship.grpc.pb.h"

namespace ketenpoort::ketenctl {

void ConsentCommands::Register(CLI::App& app, ClientOptions& client,
                               const std::function<void(CLI::App*)>& add_client_options) {
  (void)client;
  CLI::App* consent = app.add_subcommand("consent", "record, revoke and list consents");
  consent->require_subcommand(1);
  auto common = [&](CLI::App* command) {
    add_client_options(command);
    command->add_option("--actor-id", actor_id_, "user id at the partner")->capture_default_str();
    command->add_option("--actor-role", actor_role_, "role of the user");
    command->add_option("--signed-in-as", signed_in_as_,
                        "as a subject portal: the person signed in (x-authenticated-subject)");
  };
  grant_ = consent->add_subcommand("grant", "record a consent (or objection) for a person");
  common(grant_);
  grant_->add_option("--subject", subject_, "V-nummer or BSN")->required();
  grant_->add_option("--recipient", recipient_, "recipient partner id");
  grant_->add_option("--recipient-type", recipient_type_, "or: recipient partner type ...");
  grant_->add_option("--municipality", municipality_, "... within this municipality code");
  grant_->add_option("--purpose", purpose_, "purpose, e.g. CONTINUITY_OF_CARE")->required();
  grant_->add_option("--category", categories_, "data category (repeatable)");
  grant_->add_option("--record-type", record_types_, "record type (repeatable)");
  grant_->add_option("--from", valid_from_, "valid from, YYYY-MM-DD")->required();
  grant_->add_option("--until", valid_until_, "valid until, YYYY-MM-DD")->required();
  grant_->add_flag("--objection", objection_, "record an objection instead of a permission");
  grant_->add_option("--language", language_, "language the person was informed in")->required();
  grant_->add_flag("--interpreter", interpreter_, "an interpreter was used");
  grant_->add_option("--interpreter-ref", interpreter_reference_, "interpreter reference");
  grant_->add_option("--evidence", evidence_, "evidence reference, e.g. form id")->required();

  revoke_ = consent->add_subcommand("revoke", "revoke a consent");
  common(revoke_);
  revoke_->add_option("--id", consent_id_, "consent id")->required();
  revoke_->add_option("--reason", reason_, "reason");

  list_ = consent->add_subcommand(
      "list", "consents of a person that you recorded or receive (at the portal: all of theirs)");
  common(list_);
  list_->add_option("--subject", subject_, "V-nummer or BSN")->required();

  receipt_ = consent->add_subcommand("receipt", "the consent receipt (JSON)");
  common(receipt_);
  receipt_->add_option("--id", consent_id_, "consent id")->required();

  CLI::App* relationship = app.add_subcommand("relationship", "koppeling and GP registration");
  relationship->require_subcommand(1);
  koppeling_ = relationship->add_subcommand("koppeling", "record a koppeling (COA)");
  common(koppeling_);
  koppeling_->add_option("--subject", subject_, "V-nummer or BSN")->required();
  koppeling_->add_option("--municipality", municipality_, "municipality code")->required();
  koppeling_->add_option("--linked-on", linked_on_, "YYYY-MM-DD")->required();
  koppeling_->add_option("--move-date", move_date_, "expected move date, YYYY-MM-DD");
  koppeling_->add_option("--evidence", evidence_, "evidence reference, e.g. the TVS record id");
  gp_ = relationship->add_subcommand("gp-registration", "record a GP registration");
  common(gp_);
  gp_->add_option("--subject", subject_, "V-nummer or BSN")->required();
  gp_->add_option("--practice", practice_, "GP practice partner id")->required();
  gp_->add_option("--registered-on", registered_on_, "YYYY-MM-DD")->required();
  gp_->add_flag("--ended", ended_, "record a deregistration");
  gp_->add_option("--evidence", evidence_, "evidence reference, e.g. the registration form");
  link_ = relationship->add_subcommand(
      "link", "record that a V-nummer and a BSN are one person (COA; decision 0028)");
  common(link_);
  link_->add_option("--v-number", v_number_, "V-nummer (10 digits)")->required();
  link_->add_option("--bsn", bsn_, "BSN (9 digits)")->required();
  link_->add_option("--linked-on", linked_on_, "YYYY-MM-DD")->required();
  link_->add_option("--evidence", evidence_, "evidence reference, e.g. the BRP registration");
}

int ConsentCommands::RunParsed(const ClientOptions& client) {
  CLI::App* parsed = nullptr;
  for (CLI::App* command : {grant_, revoke_, list_, receipt_, koppeling_, gp_, link_}) {
    if (command != nullptr && command->parsed()) parsed = command;
  }
  if (parsed == nullptr) return -1;
  auto channel = Connect(client);
  if (!channel.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(channel.status().message()).c_str());
    return 2;
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context.AddMetadata("x-actor-id", actor_id_);
  if (!actor_role_.empty()) context.AddMetadata("x-actor-role", actor_role_);
  if (!signed_in_as_.empty()) context.AddMetadata("x-authenticated-subject", signed_in_as_);
  grpc::Status status;
  auto consents = v1::ConsentService::NewStub(*channel);
  auto relationships = v1::RelationshipService::NewStub(*channel);

  if (parsed == grant_) {
    v1::GrantConsentRequest request;
    v1::Consent* consent = request.mutable_consent();
    consent->set_subject_id(subject_);
    consent->mutable_recipient()->set_partner_id(recipient_);
    consent->mutable_recipient()->set_partner_type(recipient_type_);
    consent->mutable_recipient()->set_municipality_code(municipality_);
    v1::Purpose purpose;
    if (!v1::Purpose_Parse(purpose_, &purpose)) {
      std::fprintf(stderr, "error: unknown purpose '%s'\n", purpose_.c_str());
      return 2;
    }
    consent->set_purpose(purpose);
    for (const std::string& name : categories_) {
      DataCategory category;
      if (!DataCategory_Parse(name, &category)) {
        std::fprintf(stderr, "error: unknown data category '%s'\n", name.c_str());
        return 2;
      }
      consent->add_categories(category);
    }
    for (const std::string& type : record_types_) consent->add_record_types(type);
    consent->set_valid_from(valid_from_);
    consent->set_valid_until(valid_until_);
    consent->set_effect(objection_ ? v1::OBJECTION : v1::PERMIT);
    consent->set_language(language_);
    consent->set_interpreter_used(interpreter_);
    consent->set_interpreter_reference(interpreter_reference_);
    consent->set_evidence_reference(evidence_);
    v1::Consent response;
    status = consents->Grant(&context, request, &response);
    if (status.ok()) PrintJson(response);
  } else if (parsed == revoke_) {
    v1::RevokeConsentRequest request;
    request.set_consent_id(consent_id_);
    request.set_reason(reason_);
    v1::Consent response;
    status = consents->Revoke(&context, request, &response);
    if (status.ok()) PrintJson(response);
  } else if (parsed == list_) {
    v1::ListConsentsRequest request;
    request.set_subject_id(subject_);
    v1::ListConsentsResponse response;
    status = consents->List(&context, request, &response);
    if (status.ok()) PrintJson(response);
  } else if (parsed == receipt_) {
    v1::GetConsentReceiptRequest request;
    request.set_consent_id(consent_id_);
    v1::ConsentReceipt response;
    status = consents->GetReceipt(&context, request, &response);
    if (status.ok()) std::printf("%s\n", response.json().c_str());
  } else if (parsed == koppeling_) {
    v1::SetKoppelingRequest request;
    request.mutable_koppeling()->set_subject_id(subject_);
    request.mutable_koppeling()->set_municipality_code(municipality_);
    request.mutable_koppeling()->set_linked_on(linked_on_);
    request.mutable_koppeling()->set_expected_move_date(move_date_);
    request.mutable_koppeling()->set_evidence_reference(evidence_);
    v1::Koppeling response;
    status = relationships->SetKoppeling(&context, request, &response);
    if (status.ok()) PrintJson(response);
  } else if (parsed == link_) {
    v1::LinkIdentifiersRequest request;
    request.mutable_link()->set_v_number(v_number_);
    request.mutable_link()->set_bsn(bsn_);
    request.mutable_link()->set_linked_on(linked_on_);
    request.mutable_link()->set_evidence_reference(evidence_);
    v1::IdentifierLink response;
    status = relationships->LinkIdentifiers(&context, request, &response);
    if (status.ok()) PrintJson(response);
  } else {
    v1::SetGpRegistrationRequest request;
    request.mutable_registration()->set_subject_id(subject_);
    request.mutable_registration()->set_practice_partner_id(practice_);
    request.mutable_registration()->set_registered_on(registered_on_);
    request.mutable_registration()->set_ended(ended_);
    request.mutable_registration()->set_evidence_reference(evidence_);
    v1::GpRegistration response;
    status = relationships->SetGpRegistration(&context, request, &response);
    if (status.ok()) PrintJson(response);
  }
  if (!status.ok()) {
    PrintError(status);
    return 1;
  }
  return 0;
}

}  // namespace ketenpoort::ketenctl
