// Identifier links in the relationship registry (decision 0028): a linked
// V-nummer and BSN are one person to every lookup, a link moves the BSN's
// facts to the V-nummer in the same transaction, and a claim that
// conflicts is refused changing nothing, also after a reopen.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "gateway/common/civil_date.h"
#include "gateway/consent/consent_registry.h"
#include "gateway/identity/partner_registry.h"
#include "gateway/relationships/relationship_registry.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace ketenpoort::relationships {
namespace {

constexpr char kV[] = "2000000001";
constexpr char kBsn[] = "111222333";  // passes the elfproef
constexpr char kOtherV[] = "2000000002";
constexpr char kOtherBsn[] = "123456782";

v1::Koppeling KoppelingOf(const std::string& subject, const std::string& code) {
  v1::Koppeling koppeling;
  koppeling.set_subject_id(subject);
  koppeling.set_municipality_code(code);
  koppeling.set_linked_on("2026-05-01");
  koppeling.set_expected_move_date("2026-06-01");
  return koppeling;
}

v1::GpRegistration RegistrationOf(const std::string& subject, const std::string& practice) {
  v1::GpRegistration registration;
  registration.set_subject_id(subject);
  registration.set_practice_partner_id(practice);
  registration.set_registered_on("2026-05-02");
  return registration;
}

v1::IdentifierLink LinkOf(const std::string& v_number, const std::string& bsn) {
  v1::IdentifierLink link;
  link.set_v_number(v_number);
  link.set_bsn(bsn);
  link.set_linked_on("2026-05-03");
  link.set_evidence_reference("brp-1");
  return link;
}

class IdentifierLinkTest : public ::testing::Test {
 protected:
  std::unique_ptr<RelationshipRegistry> Open() {
    auto registry = RelationshipRegistry::Open(dir_.File("state.db"));
    EXPECT_TRUE(registry.ok()) << registry.status();
    return registry.ok() ? std::move(*registry) : nullptr;
  }
  testing::TempDir dir_;
};

TEST_F(IdentifierLinkTest, ALinkMakesOnePersonAndMovesTheBsnsFactsToTheVNummer) {
  auto registry = Open();
  ASSERT_TRUE(registry->SetKoppeling(KoppelingOf(kBsn, "0632")).ok());
  ASSERT_TRUE(registry->SetGpRegistration(RegistrationOf(kBsn, "huisartsenpraktijk-woerden")).ok());
  std::vector<std::string> changed;
  registry->OnKoppelingChanged([&](const std::string& subject) { changed.push_back(subject); });
  EXPECT_EQ(registry->PersonOf(kBsn).key, kBsn);

  auto linked = registry->LinkIdentifiers(LinkOf(kV, kBsn));
  ASSERT_TRUE(linked.ok()) << linked.status();
  EXPECT_TRUE(*linked);
  EXPECT_EQ(changed, std::vector<std::string>{kBsn});  // the projection moves the row
  for (const char* id : {kV, kBsn}) {
    const identity::Person person = registry->PersonOf(id);
    EXPECT_EQ(person.key, kV);
    EXPECT_EQ(person.ids, (std::vector<std::string>{kV, kBsn}));
    ASSERT_TRUE(registry->KoppelingOf(id).has_value()) << id;
    EXPECT_EQ(registry->KoppelingOf(id)->municipality_code, "0632");
    EXPECT_TRUE(registry->IsRegisteredWithGp(id, "huisartsenpraktijk-woerden")) << id;
  }
  EXPECT_TRUE(registry->SamePerson(kV, kBsn));
  EXPECT_FALSE(registry->SamePerson(kV, kOtherBsn));
  EXPECT_FALSE(registry->SamePerson("", ""));
  // One person, one koppeling row, under the key.
  const auto koppelingen = registry->Koppelingen();
  ASSERT_EQ(koppelingen.size(), 1u);
  EXPECT_EQ(koppelingen[0].first, kV);

  // The same claim again changes nothing.
  auto again = registry->LinkIdentifiers(LinkOf(kV, kBsn));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);

  // A write by either identifier is the person's: a new GP by V-nummer
  // replaces the registration made by BSN.
  ASSERT_TRUE(
      registry->SetGpRegistration(RegistrationOf(kV, "huisartsenpraktijk-oudegracht")).ok());
  EXPECT_FALSE(registry->IsRegisteredWithGp(kBsn, "huisartsenpraktijk-woerden"));
  EXPECT_TRUE(registry->IsRegisteredWithGp(kBsn, "huisartsenpraktijk-oudegracht"));

  // All of it holds after a reopen.
  registry.reset();
  registry = Open();
  EXPECT_EQ(registry->PersonOf(kBsn).key, kV);
  EXPECT_EQ(registry->Koppelingen().size(), 1u);
  EXPECT_TRUE(registry->IsRegisteredWithGp(kBsn, "huisartsenpraktijk-oudegracht"));
  EXPECT_FALSE(registry->IsRegisteredWithGp(kV, "huisartsenpraktijk-woerden"));
}

TEST_F(IdentifierLinkTest, AConflictingClaimIsRefusedAndChangesNothing) {
  auto registry = Open();
  ASSERT_TRUE(registry->LinkIdentifiers(LinkOf(kV, kBsn)).ok());
  for (const v1::IdentifierLink& claim : {LinkOf(kV, kOtherBsn), LinkOf(kOtherV, kBsn)}) {
    const absl::StatusOr<bool> refused = registry->LinkIdentifiers(claim);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(registry->CheckLink(claim).code(), absl::StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(registry->PersonOf(kOtherBsn).key, kOtherBsn);
  EXPECT_EQ(registry->PersonOf(kOtherV).ids, std::vector<std::string>{kOtherV});

  // Facts that cannot both hold for one person refuse the link.
  ASSERT_TRUE(registry->SetKoppeling(KoppelingOf(kOtherV, "0632")).ok());
  ASSERT_TRUE(registry->SetKoppeling(KoppelingOf(kOtherBsn, "0344")).ok());
  EXPECT_EQ(registry->LinkIdentifiers(LinkOf(kOtherV, kOtherBsn)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(registry->KoppelingOf(kOtherBsn)->municipality_code, "0344");
  EXPECT_EQ(registry->KoppelingOf(kOtherV)->municipality_code, "0632");
  EXPECT_EQ(registry->Koppelingen().size(), 2u);

  // Even one municipality, with another move date: refused, not merged.
  v1::Koppeling later = KoppelingOf("100000009", "0632");
  later.set_expected_move_date("2026-09-01");
  ASSERT_TRUE(registry->SetKoppeling(KoppelingOf("2000000003", "0632")).ok());
  ASSERT_TRUE(registry->SetKoppeling(later).ok());
  EXPECT_EQ(registry->LinkIdentifiers(LinkOf("2000000003", "100000009")).status().code(),
            absl::StatusCode::kFailedPrecondition);

  // A batch is all or nothing, and may not name one identifier twice.
  const absl::StatusOr<size_t> batch =
      registry->LinkAll({LinkOf("2000000005", "100000017"), LinkOf("2000000006", "100000017")});
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(registry->PersonOf("100000017").key, "100000017");
  EXPECT_EQ(registry->PersonOf("2000000005").ids.size(), 1u);

  registry.reset();
  registry = Open();
  EXPECT_EQ(registry->PersonOf(kBsn).key, kV);
  EXPECT_EQ(registry->PersonOf(kOtherBsn).key, kOtherBsn);
  EXPECT_EQ(registry->PersonOf("100000009").key, "100000009");
  EXPECT_EQ(registry->PersonOf("100000017").key, "100000017");
}

// A store written before links existed may hold a koppeling under each of
// a pair linked later by hand: the V-nummer's holds, and there is one
// person in the snapshot.
TEST_F(IdentifierLinkTest, AStoreWithFactsUnderBothIdentifiersLoadsTheVNummersFact) {
  {
    auto registry = Open();
    ASSERT_TRUE(registry->SetKoppeling(KoppelingOf(kBsn, "0344")).ok());
    ASSERT_TRUE(registry->SetKoppeling(KoppelingOf(kV, "0632")).ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.File("state.db").c_str(), &db), SQLITE_OK);
  const std::string bytes = LinkOf(kV, kBsn).SerializeAsString();
  sqlite3_stmt* insert = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "INSERT INTO identifier_link VALUES (?1, ?2, ?3)", -1, &insert,
                               nullptr),
            SQLITE_OK);
  sqlite3_bind_text(insert, 1, kV, -1, SQLITE_STATIC);
  sqlite3_bind_text(insert, 2, kBsn, -1, SQLITE_STATIC);
  sqlite3_bind_blob(insert, 3, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
  ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE);
  sqlite3_finalize(insert);
  sqlite3_close(db);

  auto registry = Open();
  EXPECT_EQ(registry->KoppelingOf(kBsn)->municipality_code, "0632");
  EXPECT_EQ(registry->Koppelingen().size(), 1u);
}

// Consents stay under the identifier they were recorded for and hold for
// the person: an objection recorded for the BSN denies a request by the
// V-nummer, over a permission recorded for the V-nummer.
TEST_F(IdentifierLinkTest, AnObjectionUnderEitherIdentifierHoldsForThePerson) {
  auto registry = Open();
  ASSERT_TRUE(registry->LinkIdentifiers(LinkOf(kV, kBsn)).ok());
  auto consents = consent::ConsentRegistry::Open(dir_.File("state.db"), registry.get());
  ASSERT_TRUE(consents.ok()) << consents.status();
  auto partners = identity::PartnerRegistry::LoadFile(testing::PoliciesDir() + "/partners.yaml");
  ASSERT_TRUE(partners.ok());
  const identity::Partner* gp = partners->FindById("huisartsenpraktijk-woerden");
  ASSERT_NE(gp, nullptr);
  auto consent = [&](const std::string& id, const std::string& subject, v1::ConsentEffect effect) {
    v1::Consent recorded;
    recorded.set_consent_id(id);
    recorded.set_subject_id(subject);
    recorded.mutable_recipient()->set_partner_id(gp->id);
    recorded.set_purpose(v1::CONTINUITY_OF_CARE);
    recorded.add_record_types("gca.MedicalDossier");
    recorded.set_valid_from("2026-01-01");
    recorded.set_valid_until("2026-12-31");
    recorded.set_effect(effect);
    recorded.set_recorded_by_partner("gca");
    return recorded;
  };
  const int64_t today = *ParseCivilDate("2026-05-01");
  auto verdict = [&](const char* subject) {
    return (*consents)->Evaluate(
        {subject, gp, v1::CONTINUITY_OF_CARE, "gca.MedicalDossier", 0, today});
  };
  ASSERT_TRUE((*consents)->Add(consent("cns-1", kV, v1::PERMIT)).ok());
  EXPECT_EQ(verdict(kBsn), policy::ConsentVerdict::kPermit);
  EXPECT_TRUE((*consents)->HasPermitFor(kBsn, *gp, today));
  ASSERT_TRUE((*consents)->Add(consent("cns-2", kBsn, v1::OBJECTION)).ok());
  EXPECT_EQ(verdict(kV), policy::ConsentVerdict::kObjection);
  EXPECT_EQ(verdict(kBsn), policy::ConsentVerdict::kObjection);
  EXPECT_EQ((*consents)->ForSubject(kV).size(), 2u);
  EXPECT_EQ((*consents)->ForSubject(kBsn).size(), 2u);
  EXPECT_EQ(verdict(kOtherV), policy::ConsentVerdict::kNone);
}

}  // namespace
}  // namespace ketenpoort::relationships
