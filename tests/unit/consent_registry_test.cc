#include "gateway/consent/consent_registry.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/common/civil_date.h"
#include "gateway/consent/consent_validation.h"
#include "gateway/identity/partner_registry.h"
#include "gateway/server/consent_service.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace ketenpoort::consent {
namespace {

v1::Consent GpConsent(const std::string& id) {
  v1::Consent consent;
  consent.set_consent_id(id);
  consent.set_subject_id("2000000001");
  consent.mutable_recipient()->set_partner_id("huisartsenpraktijk-woerden");
  consent.set_purpose(v1::CONTINUITY_OF_CARE);
  consent.add_categories(SIGNAL);
  consent.set_valid_from("2026-01-01");
  consent.set_valid_until("2026-12-31");
  consent.set_effect(v1::PERMIT);
  consent.set_language("ar");
  consent.set_evidence_reference("form-1");
  consent.set_recorded_by_partner("gemeente-woerden");
  return consent;
}

class ConsentRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto partners = identity::PartnerRegistry::LoadFile(testing::PoliciesDir() + "/partners.yaml");
    ASSERT_TRUE(partners.ok());
    partners_ = std::move(*partners);
    gp_ = partners_.FindById("huisartsenpraktijk-woerden");
  }
  policy::ConsentQuery Query() const {
    return {"2000000001",     gp_,          v1::CONTINUITY_OF_CARE,
            "noa.Assessment", 1u << SIGNAL, *ParseCivilDate("2026-05-01")};
  }

  testing::TempDir dir_;
  identity::UnlinkedIdentifiers unlinked_;
  identity::PartnerRegistry partners_;
  const identity::Partner* gp_ = nullptr;
};

TEST_F(ConsentRegistryTest, ConsentsSurviveAReopenAndRevocationIsImmediate) {
  {
    auto registry = ConsentRegistry::Open(dir_.File("state.db"), &unlinked_);
    ASSERT_TRUE(registry.ok()) << registry.status();
    ASSERT_TRUE((*registry)->Add(GpConsent("cns-1")).ok());
    EXPECT_EQ((*registry)->Evaluate(Query()), policy::ConsentVerdict::kPermit);
    EXPECT_EQ((*registry)->Add(GpConsent("cns-1")).code(), absl::StatusCode::kAlreadyExists);
  }
  auto registry = ConsentRegistry::Open(dir_.File("state.db"), &unlinked_);
  ASSERT_TRUE(registry.ok());
  EXPECT_EQ((*registry)->Evaluate(Query()), policy::ConsentVerdict::kPermit);
  auto revoked = (*registry)->Revoke("cns-1", "gemeente-woerden", "withdrawn", 42);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ((*registry)->Evaluate(Query()), policy::ConsentVerdict::kRevoked);
  EXPECT_EQ((*registry)->Revoke("cns-1", "gemeente-woerden", "again", 43).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*registry)->ForSubject("2000000001").size(), 1u);
  EXPECT_TRUE((*registry)->ForSubject("2000000002").empty());
}

TEST_F(ConsentRegistryTest, ValidationRefusesIncompleteConsents) {
  const auto& catalog = records::RecordCatalog::Builtin();
  EXPECT_TRUE(ValidateConsent(GpConsent("x"), partners_, catalog).ok());
  v1::Consent no_scope = GpConsent("x");
  no_scope.clear_categories();
  EXPECT_EQ(ValidateConsent(no_scope, partners_, catalog).code(),
            absl::StatusCode::kInvalidArgument);
  v1::Consent backwards = GpConsent("x");
  backwards.set_valid_until("2025-01-01");
  EXPECT_FALSE(ValidateConsent(backwards, partners_, catalog).ok());
  v1::Consent unknown = GpConsent("x");
  unknown.mutable_recipient()->set_partner_id("nobody");
  EXPECT_FALSE(ValidateConsent(unknown, partners_, catalog).ok());
  v1::Consent no_evidence = GpConsent("x");
  no_evidence.clear_evidence_reference();
  EXPECT_FALSE(ValidateConsent(no_evidence, partners_, catalog).ok());
}

TEST_F(ConsentRegistryTest, ReceiptFollowsTheKantaraFields) {
  v1::Consent consent = GpConsent("cns-7");
  consent.add_categories(HEALTH);
  consent.set_interpreter_used(true);
  const auto receipt = nlohmann::json::parse(server::ConsentReceiptJson(consent, partners_));
  EXPECT_EQ(receipt["consentReceiptID"], "cns-7");
  EXPECT_EQ(receipt["jurisdiction"], "NL");
  EXPECT_EQ(receipt["language"], "ar");
  EXPECT_TRUE(receipt["sensitive"].get<bool>());
  EXPECT_EQ(receipt["spiCat"][0], "HEALTH");
  EXPECT_EQ(receipt["services"][0]["purposes"][0]["thirdPartyName"],
            "Huisartsenpraktijk De Linde Woerden");
  EXPECT_TRUE(receipt["interpreterUsed"].get<bool>());
  EXPECT_EQ(receipt["status"], "ACTIVE");
}

}  // namespace
}  // namespace ketenpoort::consent
