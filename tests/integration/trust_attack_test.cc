// "Trust in the facts": the facts the access rules decide on (koppeling, GP
// registration, consent and objection) and the audit log, attacked through
// the real gateway binary with real dev certificates. Every attack must be
// refused with a stated code and reason, be audited as refused, and leave
// every fact as it was (checked by what the real partners can read after).
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "adapters/synthetic/synthetic_population.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "ketenpoort/v1/audit.grpc.pb.h"
#include "ketenpoort/v1/consent.grpc.pb.h"
#include "ketenpoort/v1/dossier.grpc.pb.h"
#include "ketenpoort/v1/handover.grpc.pb.h"
#include "ketenpoort/v1/relationship.grpc.pb.h"
#include "tests/support/chain_steps.h"
#include "tests/support/gateway_env.h"
#include "tests/support/gateway_process.h"
#include "tests/support/partner_calls.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace ketenpoort {
namespace {

using testing::ChannelAs;
using testing::DateFromToday;
using testing::GatewayProcess;
using testing::Name;
using testing::NotEntitled;
using testing::ReasonOf;
using testing::Refusal;
using testing::Who;
using testing::WithoutId;
using v1::AuditEntry;

constexpr uint64_t kSeed = 44;
constexpr uint64_t kPersons = 20;
constexpr char kGp[] = "huisartsenpraktijk-woerden";          // the person's GP, in 0632
constexpr char kOtherGp[] = "huisartsenpraktijk-oudegracht";  // second practice in 0632
constexpr char kUtrechtGp[] = "huisartsenpraktijk-utrecht";   // a practice in 0344
constexpr char kUnknownOin[] = "00000099999999999999";
constexpr char kDossier[] = "gca.MedicalDossier";
constexpr char kNoSuchConsent[] = "cns-000000000000000000000000";

class TrustAttackTest : public testing::PartnerCallsTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir_.File("fixtures.db"), kSeed, kPersons).ok());
    const synthetic::SyntheticPopulation population(kSeed);
    person_ = population.Person(4).v_number;
    utrecht_person_ = population.Person(5).v_number;
    far_ = population.Person(6).v_number;
    unregistered_ = population.Person(7).v_number;
    someone_else_ = population.Person(8).v_number;
    stranger_ = population.Person(kPersons + 3).v_number;  // valid, but unknown to everyone
    std::string error;
    gateway_ = GatewayProcess::Start(
        testing::WriteConfig(dir_, testing::PoliciesDir(), testing::ChainSources()),
        dir_.path().string(), &error);
    ASSERT_NE(gateway_, nullptr) << error;
    const std::string address = gateway_->address();
    // Linked to Woerden, moving in a week, registered with the Woerden GP.
    ASSERT_TRUE(
        testing::LinkToMunicipality(address, person_, "0632", DateFromToday(-30), DateFromToday(7))
            .ok());
    ASSERT_TRUE(testing::RegisterWithGp(address, person_, kGp).ok());
    // Linked to Utrecht.
    ASSERT_TRUE(testing::LinkToMunicipality(address, utrecht_person_, "0344", DateFromToday(-30),
                                            DateFromToday(7))
                    .ok());
    // Linked to Woerden but moving in 60 days: outside every 4-week window.
    ASSERT_TRUE(
        testing::LinkToMunicipality(address, far_, "0632", DateFromToday(-30), DateFromToday(60))
            .ok());
    ASSERT_TRUE(testing::RegisterWithGp(address, far_, kGp).ok());
    // Linked to Woerden, not registered with any GP yet.
    ASSERT_TRUE(testing::LinkToMunicipality(address, unregistered_, "0632", DateFromToday(-30),
                                            DateFromToday(7))
                    .ok());
  }

  // A GP's statutory read that needs only the registration (ggd-tbc.yaml).
  grpc::Status GpReadsTbc(const std::string& practice, const std::string& subject) {
    return Get({practice, "huisarts", ""}, subject, "ggd.TbcScreening", v1::PUBLIC_HEALTH);
  }
  // A GP's consent-based read (gca-medical-dossier.yaml).
  grpc::Status GpReadsDossier(const std::string& practice, const std::string& subject) {
    return Get({practice, "huisarts", ""}, subject, kDossier, v1::CONTINUITY_OF_CARE);
  }

  // The person's consent to the dossier going to the GP, recorded by GCA.
  v1::Consent DossierConsent(const std::string& subject, v1::ConsentEffect effect = v1::PERMIT,
                             const std::string& recipient = kGp) {
    return ConsentFor(subject, recipient, v1::CONTINUITY_OF_CARE, {kDossier}, effect);
  }

  std::string person_, utrecht_person_, far_, unregistered_, someone_else_, stranger_;
};

// Attack: a partner other than COA re-links the person to another municipality.
TEST_F(TrustAttackTest, OnlyCoaLinksAPersonToAMunicipality) {
  const std::vector<Who> attackers = {
      {"gemeente-utrecht", "maatschappelijk-begeleider", ""},
      {"gemeente-woerden", "maatschappelijk-begeleider", ""},
      {"ggd-regio-utrecht", "tbc-arts", ""},
      {kUtrechtGp, "huisarts", ""},
      {"vwn-midden-nederland", "maatschappelijk-begeleider", ""},
      {"duo", "", ""},
      {"inzageportaal", "", person_},
  };
  for (const Who& who : attackers) {
    const uint64_t before = NewestIndex();
    EXPECT_TRUE(RefusedAndAudited(SetKoppeling(who, person_, "0344"), before, who,
                                  NotEntitled(AuditEntry::RELATIONSHIP_CHANGE)));
  }
  // Still linked to Woerden, not to Utrecht.
  EXPECT_TRUE(Get({"gemeente-woerden", "", ""}, person_, "coa.Koppeling", v1::HOUSING).ok());
  const grpc::Status utrecht = Get({"gemeente-utrecht", "werkconsulent", ""}, person_,
                                   "noa.Assessment", v1::WORK_REINTEGRATION);
  EXPECT_EQ(utrecht.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(utrecht), "NOT_PERMITTED");
  EXPECT_EQ(Newest().reason(), "NOT_LINKED");
}

// Attack: anyone but Woerden's social guidance (other partner types, other
// roles, another municipality, a portal for someone else) registers a GP;
// the refusal must not tell the caller anything about the person.
TEST_F(TrustAttackTest, GpRegistrationByAnyoneElseIsRefusedInTheSameWordsForEveryone) {
  const std::vector<Who> attackers = {
      {"gemeente-woerden", "werkconsulent", ""},
      {"gemeente-woerden", "", ""},
      {"gemeente-utrecht", "maatschappelijk-begeleider", ""},
      {"jgz-woerden", "jgz-arts", ""},
      {"vwn-midden-nederland", "maatschappelijk-begeleider", ""},
      {"duo", "klantmanager-inburgering", ""},
      {"coa", "casemanager", ""},
      {"ggd-regio-utrecht", "tbc-arts", ""},
      {"fg-gemeente-woerden", "maatschappelijk-begeleider", ""},
      {"inzageportaal", "", someone_else_},
      {"inzageportaal", "", ""},
  };
  for (const Who& who : attackers) {
    std::set<std::string> messages;
    for (const std::string& subject : {unregistered_, person_, utrecht_person_, stranger_}) {
      const uint64_t before = NewestIndex();
      const grpc::Status status = SetGp(who, subject, kGp);
      EXPECT_TRUE(
          RefusedAndAudited(status, before, who, NotEntitled(AuditEntry::RELATIONSHIP_CHANGE)));
      messages.insert(status.error_message());
    }
    EXPECT_EQ(messages.size(), 1u) << Name(who) << ": the refusal differs with the person's facts";
  }
  // The entitled caller without evidence is refused too.
  const Who guidance{"gemeente-woerden", "maatschappelijk-begeleider", ""};
  uint64_t before = NewestIndex();
  EXPECT_TRUE(RefusedAndAudited(SetGp(guidance, unregistered_, kGp, false, ""), before, guidance,
                                NotEntitled(AuditEntry::RELATIONSHIP_CHANGE)));

  // Nothing changed: the practice still has no relationship with the person,
  // and is told nothing about her.
  grpc::Status status = GpReadsTbc(kGp, unregistered_);
  EXPECT_EQ(ReasonOf(status), "NOT_PERMITTED") << status.error_message();
  EXPECT_TRUE(GpReadsTbc(kGp, person_).ok());
  // The entitled caller with evidence can (so the refusals were about the caller).
  ASSERT_TRUE(SetGp(guidance, unregistered_, kGp).ok());
  status = GpReadsTbc(kGp, unregistered_);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// Attack: a practice registers a person with itself, or takes one over from
// another practice in the same municipality.
TEST_F(TrustAttackTest, APracticeCannotRegisterAPersonWithItselfNorTakeOneOver) {
  struct Attempt {
    Who who;
    std::string subject;
  };
  const std::vector<Attempt> attempts = {
      {{kOtherGp, "huisarts", ""}, person_},            // take-over in the same municipality
      {{kOtherGp, "huisarts", ""}, unregistered_},      // self-registration
      {{kGp, "huisarts", ""}, unregistered_},           // self-registration, another person
      {{kUtrechtGp, "huisarts", ""}, utrecht_person_},  // in its own municipality too
  };
  for (const Attempt& attempt : attempts) {
    const uint64_t before = NewestIndex();
    EXPECT_TRUE(RefusedAndAudited(SetGp(attempt.who, attempt.subject, attempt.who.partner), before,
                                  attempt.who, NotEntitled(AuditEntry::RELATIONSHIP_CHANGE)));
  }
  // Registrations are as they were.
  EXPECT_TRUE(GpReadsTbc(kGp, person_).ok());
  EXPECT_EQ(ReasonOf(GpReadsTbc(kOtherGp, person_)), "NOT_PERMITTED");
  EXPECT_EQ(ReasonOf(GpReadsTbc(kOtherGp, unregistered_)), "NOT_PERMITTED");
  EXPECT_EQ(ReasonOf(GpReadsTbc(kGp, unregistered_)), "NOT_PERMITTED");
  EXPECT_EQ(ReasonOf(GpReadsTbc(kUtrechtGp, utrecht_person_)), "NOT_PERMITTED");
}

// Attack: registering a person with a practice that does not serve the
// municipality the person is linked to, even by otherwise entitled callers.
TEST_F(TrustAttackTest, RegistrationWithAPracticeOutsideTheLinkedMunicipalityIsRefused) {
  struct Attempt {
    Who who;
    std::string subject;
    std::string practice;
  };
  const std::vector<Attempt> attempts = {
      {{"gemeente-woerden", "maatschappelijk-begeleider", ""}, person_, kUtrechtGp},
      {{"inzageportaal", "", person_}, person_, kUtrechtGp},
      {{"gemeente-utrecht", "maatschappelijk-begeleider", ""}, utrecht_person_, kGp},
  };
  for (const Attempt& attempt : attempts) {
    const uint64_t before = NewestIndex();
    EXPECT_TRUE(RefusedAndAudited(SetGp(attempt.who, attempt.subject, attempt.practice), before,
                                  attempt.who, NotEntitled(AuditEntry::RELATIONSHIP_CHANGE)));
    EXPECT_NE(Newest().detail().find("does not serve"), std::string::npos) << Newest().detail();
  }
  // The Woerden person is still with the Woerden practice; Utrecht's practice
  // has no relationship with them, nor Woerden's with the Utrecht person.
  EXPECT_TRUE(GpReadsTbc(kGp, person_).ok());
  EXPECT_EQ(ReasonOf(GpReadsTbc(kUtrechtGp, person_)), "NOT_PERMITTED");
  EXPECT_EQ(ReasonOf(GpReadsTbc(kGp, utrecht_person_)), "NOT_PERMITTED");
  // A practice in the linked municipality, by its social guidance: allowed.
  ASSERT_TRUE(
      SetGp({"gemeente-utrecht", "maatschappelijk-begeleider", ""}, utrecht_person_, kUtrechtGp)
          .ok());
  EXPECT_TRUE(GpReadsTbc(kUtrechtGp, utrecht_person_).ok());
}

// Attack (silent take-over): a change of GP must end the previous
// registration in an audit entry of its own, not just overwrite it.
TEST_F(TrustAttackTest, AChangeOfGpEndsThePreviousRegistrationInItsOwnAuditEntry) {
  const uint64_t before = NewestIndex();
  // The person chooses the other Woerden practice at the portal.
  const grpc::Status status = SetGp({"inzageportaal", "", person_}, person_, kOtherGp);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(NewestIndex(), before + 2);
  const AuditEntry ended = EntryAt(before + 1);
  EXPECT_EQ(ended.kind(), AuditEntry::RELATIONSHIP_CHANGE);
  EXPECT_EQ(ended.decision(), AuditEntry::PERMIT);
  EXPECT_EQ(ended.partner_id(), "inzageportaal");
  EXPECT_EQ(ended.subject_pseudonym(), EntryAt(before + 2).subject_pseudonym());
  EXPECT_NE(ended.detail().find(std::string("GP registration at ") + kGp + " ended"),
            std::string::npos)
      << ended.detail();
  const AuditEntry registered = EntryAt(before + 2);
  EXPECT_NE(registered.detail().find(std::string("GP registration at ") + kOtherGp),
            std::string::npos)
      << registered.detail();
  EXPECT_EQ(registered.detail().find("ended"), std::string::npos) << registered.detail();
  // The previous practice lost the person; the new one has them.
  EXPECT_EQ(ReasonOf(GpReadsTbc(kGp, person_)), "NOT_PERMITTED");
  EXPECT_TRUE(GpReadsTbc(kOtherGp, person_).ok());
}

// Attack: a registration is ended by someone other than the current practice,
// the linked social guidance or the person, or names a practice that is not
// the current one.
TEST_F(TrustAttackTest, OnlyTheCurrentPracticeOrTheLinkedGuidanceEndsARegistration) {
  struct Attempt {
    Who who;
    std::string practice;
  };
  const std::vector<Attempt> attempts = {
      {{kOtherGp, "huisarts", ""}, kGp},
      {{kOtherGp, "huisarts", ""}, kOtherGp},
      {{kUtrechtGp, "huisarts", ""}, kGp},
      {{"gemeente-utrecht", "maatschappelijk-begeleider", ""}, kGp},
      {{"gemeente-woerden", "werkconsulent", ""}, kGp},
      {{"jgz-woerden", "jgz-arts", ""}, kGp},
      {{"coa", "casemanager", ""}, kGp},
      {{"inzageportaal", "", someone_else_}, kGp},
  };
  for (const Attempt& attempt : attempts) {
    const uint64_t before = NewestIndex();
    EXPECT_TRUE(RefusedAndAudited(SetGp(attempt.who, person_, attempt.practice, true), before,
                                  attempt.who, NotEntitled(AuditEntry::RELATIONSHIP_CHANGE)));
  }
  // Entitled, but naming a practice that is not the current one.
  const Who guidance{"gemeente-woerden", "maatschappelijk-begeleider", ""};
  const uint64_t before = NewestIndex();
  EXPECT_TRUE(RefusedAndAudited(SetGp(guidance, person_, kOtherGp, true), before, guidance,
                                {grpc::StatusCode::FAILED_PRECONDITION,
                                 "GP_REGISTRATION_NOT_CURRENT", AuditEntry::RELATIONSHIP_CHANGE}));
  // Still registered; then the current practice itself ends it.
  EXPECT_TRUE(GpReadsTbc(kGp, person_).ok());
  const grpc::Status ended = SetGp({kGp, "huisarts", ""}, person_, kGp, true);
  ASSERT_TRUE(ended.ok()) << ended.error_message();
  EXPECT_EQ(ReasonOf(GpReadsTbc(kGp, person_)), "NOT_PERMITTED");
}

// Attack: a partner records a permission for data it does not hold (all of
// it), or an objection for data it holds none of.
TEST_F(TrustAttackTest, ConsentIsRecordedOnlyByTheHolderOfEverythingItCovers) {
  v1::Consent category_only = DossierConsent(person_);
  category_only.clear_record_types();
  category_only.add_categories(HEALTH);  // also covers GGD's record types
  v1::Consent mixed = DossierConsent(person_);
  mixed.add_record_types("ggd.Vaccinations");
  v1::Consent vwn_mixed = DossierConsent(person_);
  vwn_mixed.add_record_types("vwn.SocialGuidanceDossier");
  v1::Consent coa_mixed = DossierConsent(person_);
  coa_mixed.add_record_types("noa.Assessment");
  const v1::Consent vaccinations =
      ConsentFor(person_, kGp, v1::CONTINUITY_OF_CARE, {"ggd.Vaccinations"});
  struct Attempt {
    Who who;
    v1::Consent consent;
  };
  const std::vector<Attempt> attempts = {
      {{"ggd-pga", "arts", ""}, DossierConsent(person_)},
      {{"gca", "arts", ""}, category_only},
      {{"gca", "arts", ""}, mixed},
      {{"duo", "", ""}, DossierConsent(person_)},
      {{"vwn-midden-nederland", "maatschappelijk-begeleider", ""}, vwn_mixed},
      {{"coa", "casemanager", ""}, coa_mixed},
      {{"jgz-woerden", "jgz-arts", ""}, DossierConsent(person_)},
      {{"ggd-regio-utrecht", "tbc-arts", ""}, vaccinations},  // ggd-pga holds them
      {{kOtherGp, "huisarts", ""}, DossierConsent(person_)},
      {{"gemeente-utrecht", "maatschappelijk-begeleider", ""}, DossierConsent(person_)},
      {{"gemeente-woerden", "werkconsulent", ""}, DossierConsent(person_)},
      {{"duo", "", ""}, DossierConsent(person_, v1::OBJECTION)},  // holds none of it
  };
  for (const Attempt& attempt : attempts) {
    const uint64_t before = NewestIndex();
    EXPECT_TRUE(RefusedAndAudited(Grant(attempt.who, attempt.consent), before, attempt.who,
                                  NotEntitled(AuditEntry::CONSENT_CHANGE)));
  }
  // No permission came of it.
  grpc::Status status = GpReadsDossier(kGp, person_);
  EXPECT_EQ(ReasonOf(status), "CONSENT_REQUIRED") << status.error_message();
  // The holder, naming record types it holds: allowed.
  Granted({"gca", "arts", ""}, DossierConsent(person_));
  status = GpReadsDossier(kGp, person_);
  EXPECT_TRUE(status.ok()) << status.error_message();
  // An objection needs only one held type: COA may object to what it could
  // not permit.
  Granted({"coa", "casemanager", ""}, [&] {
    v1::Consent objection = coa_mixed;
    objection.set_effect(v1::OBJECTION);
    return objection;
  }());
  EXPECT_EQ(ReasonOf(GpReadsDossier(kGp, person_)), "CONSENT_OBJECTION");
}

// Attack: a recipient records a consent naming itself, by id or by its
// partner type in a municipality it serves, even where it could otherwise
// record consents (Woerden's social guidance, GCA as holder).
TEST_F(TrustAttackTest, ARecipientNeverRecordsAConsentForItself) {
  const Who guidance{"gemeente-woerden", "maatschappelijk-begeleider", ""};
  const v1::Consent to_woerden =
      ConsentFor(person_, "gemeente-woerden", v1::SOCIAL_GUIDANCE, {"vwn.SocialGuidanceDossier"});
  struct Attempt {
    Who who;
    v1::Consent consent;
  };
  const std::vector<Attempt> attempts = {
      {guidance, to_woerden},
      {guidance, ToType(to_woerden, "gemeente", "0632")},
      {guidance,
       [&] {  // an objection naming itself, too
         v1::Consent objection = to_woerden;
         objection.set_effect(v1::OBJECTION);
         return objection;
       }()},
      {{kGp, "huisarts", ""}, DossierConsent(person_)},
      {{kGp, "huisarts", ""}, ToType(DossierConsent(person_), "huisarts", "0632")},
      {{kOtherGp, "huisarts", ""}, ToType(DossierConsent(person_), "huisarts", "0632")},
      {{"gca", "arts", ""}, DossierConsent(person_, v1::PERMIT, "gca")},
      {{"ggd-regio-utrecht", "tbc-arts", ""},
       ToType(ConsentFor(person_, "", v1::PUBLIC_HEALTH, {"ggd.Vaccinations"}), "ggd", "0632")},
  };
  for (const Attempt& attempt : attempts) {
    const uint64_t before = NewestIndex();
    EXPECT_TRUE(RefusedAndAudited(Grant(attempt.who, attempt.consent), before, attempt.who,
                                  NotEntitled(AuditEntry::CONSENT_CHANGE)));
    EXPECT_NE(Newest().detail().find("for itself"), std::string::npos) << Newest().detail();
  }
  // No permission came of it.
  grpc::Status status = Get(guidance, person_, "vwn.SocialGuidanceDossier", v1::SOCIAL_GUIDANCE);
  EXPECT_EQ(ReasonOf(status), "CONSENT_REQUIRED") << status.error_message();
  status = GpReadsDossier(kGp, person_);
  EXPECT_EQ(ReasonOf(status), "CONSENT_REQUIRED") << status.error_message();
  // The same guidance recording the person's consent for someone else: allowed.
  Granted(guidance, DossierConsent(person_));
  status = GpReadsDossier(kGp, person_);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// Attack: revoking someone else's consent, or probing which consents exist:
// the answer is that of a consent that does not exist.
TEST_F(TrustAttackTest, RevokeByAnyoneElseLooksExactlyLikeAConsentThatDoesNotExist) {
  const std::string id = Granted({"gca", "arts", ""}, DossierConsent(person_));
  uint64_t before = NewestIndex();
  const grpc::Status missing = Revoke({"gca", "arts", ""}, kNoSuchConsent);
  EXPECT_TRUE(RefusedAndAudited(
      missing, before, {"gca", "arts", ""},
      {grpc::StatusCode::NOT_FOUND, "CONSENT_NOT_FOUND", AuditEntry::CONSENT_CHANGE}));
  const std::vector<Who> attackers = {
      {kOtherGp, "huisarts", ""},
      {kUtrechtGp, "huisarts", ""},
      {"gemeente-woerden", "maatschappelijk-begeleider", ""},
      {"gemeente-utrecht", "maatschappelijk-begeleider", ""},
      {"coa", "casemanager", ""},
      {"ggd-pga", "arts", ""},
      {"duo", "", ""},
      {"jgz-woerden", "jgz-arts", ""},
      {"vwn-midden-nederland", "maatschappelijk-begeleider", ""},
      {"fg-gemeente-woerden", "", ""},
      {"autoriteit-persoonsgegevens", "", ""},
      {"inzageportaal", "", someone_else_},
  };
  for (const Who& who : attackers) {
    before = NewestIndex();
    const grpc::Status status = Revoke(who, id);
    EXPECT_TRUE(RefusedAndAudited(status, before, who,
                                  {grpc::StatusCode::NOT_FOUND, "CONSENT_NOT_FOUND",
                                   AuditEntry::CONSENT_CHANGE, "NOT_ENTITLED"}));
    EXPECT_EQ(status.error_code(), missing.error_code()) << Name(who);
    EXPECT_EQ(ReasonOf(status), ReasonOf(missing)) << Name(who);
    EXPECT_EQ(WithoutId(status.error_message(), id),
              WithoutId(missing.error_message(), kNoSuchConsent))
        << Name(who);
  }
  // The consent is still in force.
  const grpc::Status status = GpReadsDossier(kGp, person_);
  EXPECT_TRUE(status.ok()) << status.error_message();
  v1::ConsentReceipt receipt;
  ASSERT_TRUE(Receipt({"gca", "arts", ""}, id, &receipt).ok());
  EXPECT_NE(receipt.json().find("\"status\": \"ACTIVE\""), std::string::npos) << receipt.json();
}

// Attack: the partner an objection names revokes it to get access back.
TEST_F(TrustAttackTest, ARecipientMayDropAPermissionButNeverAnObjectionNamingIt) {
  // Dropping a permission to itself is allowed.
  const std::string permit = Granted({"gca", "arts", ""}, DossierConsent(person_));
  ASSERT_TRUE(Revoke({kGp, "huisarts", ""}, permit).ok());
  EXPECT_EQ(ReasonOf(GpReadsDossier(kGp, person_)), "CONSENT_REVOKED");

  const std::string by_id = Granted({"gca", "arts", ""}, DossierConsent(person_, v1::OBJECTION));
  const std::string by_type =
      Granted({"gemeente-woerden", "maatschappelijk-begeleider", ""},
              ToType(DossierConsent(person_, v1::OBJECTION), "huisarts", "0632"));
  struct Attempt {
    Who who;
    std::string id;
  };
  const std::vector<Attempt> attempts = {
      {{kGp, "huisarts", ""}, by_id},
      {{kGp, "huisarts", ""}, by_type},
      {{kOtherGp, "huisarts", ""}, by_type},
  };
  for (const Attempt& attempt : attempts) {
    const uint64_t before = NewestIndex();
    EXPECT_TRUE(RefusedAndAudited(Revoke(attempt.who, attempt.id), before, attempt.who,
                                  {grpc::StatusCode::NOT_FOUND, "CONSENT_NOT_FOUND",
                                   AuditEntry::CONSENT_CHANGE, "NOT_ENTITLED"}));
  }
  // Both objections hold; even a fresh permission does not get past them.
  Granted({"gca", "arts", ""}, DossierConsent(person_));
  EXPECT_EQ(ReasonOf(GpReadsDossier(kGp, person_)), "CONSENT_OBJECTION");
  ASSERT_TRUE(Revoke({"gca", "arts", ""}, by_id).ok());
  EXPECT_EQ(ReasonOf(GpReadsDossier(kGp, person_)), "CONSENT_OBJECTION");  // by type still holds
}

// Attack: outweighing an objection with (more, newer) permissions.
TEST_F(TrustAttackTest, AnObjectionHoldsWhateverPermissionExists) {
  Granted({"gca", "arts", ""}, DossierConsent(person_));
  ASSERT_TRUE(GpReadsDossier(kGp, person_).ok());
  // The person objects at the portal.
  Granted({"inzageportaal", "", person_}, DossierConsent(person_, v1::OBJECTION));
  uint64_t before = NewestIndex();
  EXPECT_TRUE(RefusedAndAudited(
      GpReadsDossier(kGp, person_), before, {kGp, "huisarts", ""},
      {grpc::StatusCode::PERMISSION_DENIED, "CONSENT_OBJECTION", AuditEntry::ACCESS}));
  // A newer permission, by another entitled recorder, by id and by type.
  Granted({"gemeente-woerden", "maatschappelijk-begeleider", ""}, DossierConsent(person_));
  Granted({"gca", "arts", ""}, ToType(DossierConsent(person_), "huisarts", "0632"));
  before = NewestIndex();
  EXPECT_TRUE(RefusedAndAudited(
      GpReadsDossier(kGp, person_), before, {kGp, "huisarts", ""},
      {grpc::StatusCode::PERMISSION_DENIED, "CONSENT_OBJECTION", AuditEntry::ACCESS}));
  // Nor does a hand-over get past it.
  v1::SendHandoverRequest send;
  send.set_subject_id(person_);
  send.add_record_types(kDossier);
  send.set_recipient_partner_id(kGp);
  send.set_recipient_role("huisarts");
  send.set_purpose(v1::CONTINUITY_OF_CARE);
  send.set_request_id("objection-1");
  grpc::ClientContext context;
  Prepare(context, {"gca", "arts", ""});
  v1::Handover handover;
  const grpc::Status sent =
      v1::HandoverService::NewStub(Channel("gca"))->Send(&context, send, &handover);
  EXPECT_EQ(sent.error_code(), grpc::StatusCode::PERMISSION_DENIED) << sent.error_message();
  EXPECT_EQ(Newest().reason(), "CONSENT_OBJECTION");
}

// Attack: probing what the gateway knows about a person by asking without a
// relationship: an unknown person, one linked elsewhere, one outside the
// window, one registered elsewhere, one with an objection all look alike.
TEST_F(TrustAttackTest, ACallerWithoutARelationshipLearnsNothingFromADenial) {
  // The person objects to the dossier going to Utrecht's practice.
  Granted({"gca", "arts", ""}, DossierConsent(unregistered_, v1::OBJECTION, kUtrechtGp));
  struct Probe {
    Who who;
    std::string subject;
    std::string record_type;
    v1::Purpose purpose;
    std::string recorded;  // the reason in the audit log
  };
  const Who utrecht{"gemeente-utrecht", "werkconsulent", ""};
  const Who utrecht_gp{kUtrechtGp, "huisarts", ""};
  const std::vector<Probe> probes = {
      {utrecht, stranger_, "noa.Assessment", v1::WORK_REINTEGRATION, "NOT_LINKED"},
      {utrecht, person_, "noa.Assessment", v1::WORK_REINTEGRATION, "NOT_LINKED"},
      {utrecht_gp, far_, kDossier, v1::CONTINUITY_OF_CARE, "OUTSIDE_WINDOW"},
      {utrecht_gp, person_, kDossier, v1::CONTINUITY_OF_CARE, "NOT_REGISTERED_WITH_GP"},
      {utrecht_gp, unregistered_, kDossier, v1::CONTINUITY_OF_CARE, "NOT_REGISTERED_WITH_GP"},
      // A second practice in her own municipality would otherwise learn who
      // is linked there.
      {{kOtherGp, "huisarts", ""},
       person_,
       kDossier,
       v1::CONTINUITY_OF_CARE,
       "NOT_REGISTERED_WITH_GP"},
      {{kOtherGp, "huisarts", ""}, stranger_, kDossier, v1::CONTINUITY_OF_CARE, "OUTSIDE_WINDOW"},
  };
  std::set<std::string> messages, details;
  for (const Probe& probe : probes) {
    const uint64_t before = NewestIndex();
    const grpc::Status status = Get(probe.who, probe.subject, probe.record_type, probe.purpose);
    EXPECT_TRUE(RefusedAndAudited(
        status, before, probe.who,
        {grpc::StatusCode::PERMISSION_DENIED, "NOT_PERMITTED", AuditEntry::ACCESS, probe.recorded}))
        << probe.subject;
    messages.insert(status.error_message());
    details.insert(status.error_details());
  }
  EXPECT_EQ(messages.size(), 1u);
  EXPECT_EQ(details.size(), 1u);

  // Partners with a relationship are still told why.
  struct Told {
    Who who;
    std::string subject;
    std::string record_type;
    v1::Purpose purpose;
    std::string reason;
  };
  const Who guidance{"gemeente-woerden", "maatschappelijk-begeleider", ""};
  const std::vector<Told> told = {
      {guidance, person_, "vwn.SocialGuidanceDossier", v1::SOCIAL_GUIDANCE, "CONSENT_REQUIRED"},
      {guidance, far_, "vwn.SocialGuidanceDossier", v1::SOCIAL_GUIDANCE, "OUTSIDE_WINDOW"},
      {{kGp, "huisarts", ""}, person_, kDossier, v1::CONTINUITY_OF_CARE, "CONSENT_REQUIRED"},
      {{kGp, "huisarts", ""}, far_, kDossier, v1::CONTINUITY_OF_CARE, "OUTSIDE_WINDOW"},
  };
  for (const Told& case_ : told) {
    const uint64_t before = NewestIndex();
    EXPECT_TRUE(RefusedAndAudited(
        Get(case_.who, case_.subject, case_.record_type, case_.purpose), before, case_.who,
        {grpc::StatusCode::PERMISSION_DENIED, case_.reason, AuditEntry::ACCESS}))
        << case_.subject;
  }
}

// Attack: reading other organisations' audit entries, another person's
// report, or the log at all without being an auditor.
TEST_F(TrustAttackTest, AuditReadsAreScopedToTheReadersOwnOrganisationOrPerson) {
  v1::GetRecordResponse response;
  ASSERT_TRUE(
      Get({"gemeente-woerden", "", ""}, person_, "coa.Koppeling", v1::HOUSING, &response).ok());
  const uint64_t woerden_read = response.audit_index();  // requester woerden, source coa
  ASSERT_TRUE(
      Get({kGp, "huisarts", ""}, person_, "ggd.TbcScreening", v1::PUBLIC_HEALTH, &response).ok());
  const uint64_t gp_read = response.audit_index();  // requester GP, source ggd-pga
  ASSERT_GT(woerden_read, 0u);
  ASSERT_GT(gp_read, 0u);

  // A privacy officer sees its own organisation's entries only.
  for (const std::string& organisation : {std::string("gemeente-woerden"), std::string("coa")}) {
    v1::SubjectAccessReport report;
    const grpc::Status status =
        Report({"fg-" + organisation, "privacy_officer", ""}, person_, &report);
    ASSERT_TRUE(status.ok()) << status.error_message();
    const std::set<uint64_t> seen = Indexes(report);
    EXPECT_TRUE(seen.count(woerden_read)) << organisation;
    EXPECT_FALSE(seen.count(gp_read)) << organisation;
    for (uint64_t index : seen) {
      const AuditEntry entry = EntryAt(index);
      EXPECT_TRUE(entry.partner_id() == organisation || entry.source_partner_id() == organisation)
          << organisation << " sees " << entry.ShortDebugString();
    }
  }
  // The supervisor sees all; the person at the portal sees their own.
  for (const Who& who : {Who{"autoriteit-persoonsgegevens", "toezichthouder", ""},
                         Who{"inzageportaal", "", person_}}) {
    v1::SubjectAccessReport report;
    const grpc::Status status = Report(who, person_, &report);
    ASSERT_TRUE(status.ok()) << Name(who) << ": " << status.error_message();
    EXPECT_TRUE(Indexes(report).count(gp_read)) << Name(who);
    EXPECT_TRUE(Indexes(report).count(woerden_read)) << Name(who);
  }

  // The portal for another person, or for no one: NOT_THE_SUBJECT.
  for (const Who& who : {Who{"inzageportaal", "", someone_else_}, Who{"inzageportaal", "", ""}}) {
    const uint64_t before = NewestIndex();
    v1::SubjectAccessReport report;
    EXPECT_TRUE(RefusedAndAudited(
        Report(who, person_, &report), before, who,
        {grpc::StatusCode::PERMISSION_DENIED, "NOT_THE_SUBJECT", AuditEntry::ADMIN}));
    EXPECT_EQ(report.accesses_size(), 0);
  }
  // A chain partner reads no audit entries, and no report.
  for (const Who& who :
       {Who{"gemeente-woerden", "maatschappelijk-begeleider", ""}, Who{kGp, "huisarts", ""}}) {
    uint64_t before = NewestIndex();
    v1::AuditQueryRequest query;
    query.set_subject_id(person_);
    v1::AuditQueryResponse entries;
    grpc::ClientContext context;
    Prepare(context, who);
    EXPECT_TRUE(RefusedAndAudited(
        v1::AuditService::NewStub(Channel(who.partner))->Query(&context, query, &entries), before,
        who, {grpc::StatusCode::PERMISSION_DENIED, "AUDIT_READ_NOT_ENTITLED", AuditEntry::ADMIN}));
    EXPECT_EQ(entries.entries_size(), 0);
    before = NewestIndex();
    EXPECT_TRUE(RefusedAndAudited(
        Report(who, person_), before, who,
        {grpc::StatusCode::PERMISSION_DENIED, "AUDIT_READ_NOT_ENTITLED", AuditEntry::ADMIN}));
  }
}

// Attack: a certificate with a valid chain but an unknown OIN, on every
// service: refused, and the attempt is in the log under that OIN.
TEST_F(TrustAttackTest, AnUnknownOinIsRefusedAndAuditedOnEveryService) {
  const Who unknown{"unknown-party", "maatschappelijk-begeleider", ""};
  const std::string consent_id = Granted({"gca", "arts", ""}, DossierConsent(person_));
  auto consents = v1::ConsentService::NewStub(Channel(unknown.partner));
  auto relationships = v1::RelationshipService::NewStub(Channel(unknown.partner));
  auto audit_log = v1::AuditService::NewStub(Channel(unknown.partner));
  auto handovers = v1::HandoverService::NewStub(Channel(unknown.partner));
  auto dossiers = v1::DossierService::NewStub(Channel(unknown.partner));

  struct Call {
    std::string name;
    std::function<grpc::Status(grpc::ClientContext&)> call;
  };
  const std::vector<Call> calls = {
      {"ConsentService.Grant",
       [&](grpc::ClientContext& c) {
         v1::GrantConsentRequest request;
         *request.mutable_consent() = ToType(DossierConsent(person_), "huisarts", "0632");
         v1::Consent out;
         return consents->Grant(&c, request, &out);
       }},
      {"ConsentService.Revoke",
       [&](grpc::ClientContext& c) {
         v1::RevokeConsentRequest request;
         request.set_consent_id(consent_id);
         v1::Consent out;
         return consents->Revoke(&c, request, &out);
       }},
      {"ConsentService.List",
       [&](grpc::ClientContext& c) {
         v1::ListConsentsRequest request;
         request.set_subject_id(person_);
         v1::ListConsentsResponse out;
         return consents->List(&c, request, &out);
       }},
      {"ConsentService.GetReceipt",
       [&](grpc::ClientContext& c) {
         v1::GetConsentReceiptRequest request;
         request.set_consent_id(consent_id);
         v1::ConsentReceipt out;
         return consents->GetReceipt(&c, request, &out);
       }},
      {"RelationshipService.SetKoppeling",
       [&](grpc::ClientContext& c) {
         v1::SetKoppelingRequest request;
         request.mutable_koppeling()->set_subject_id(person_);
         request.mutable_koppeling()->set_municipality_code("0344");
         request.mutable_koppeling()->set_linked_on(DateFromToday(0));
         v1::Koppeling out;
         return relationships->SetKoppeling(&c, request, &out);
       }},
      {"RelationshipService.SetGpRegistration",
       [&](grpc::ClientContext& c) {
         v1::SetGpRegistrationRequest request;
         request.mutable_registration()->set_subject_id(person_);
         request.mutable_registration()->set_practice_partner_id(kOtherGp);
         request.mutable_registration()->set_registered_on(DateFromToday(0));
         request.mutable_registration()->set_evidence_reference("form-x");
         v1::GpRegistration out;
         return relationships->SetGpRegistration(&c, request, &out);
       }},
      {"AuditService.Query",
       [&](grpc::ClientContext& c) {
         v1::AuditQueryRequest request;
         v1::AuditQueryResponse out;
         return audit_log->Query(&c, request, &out);
       }},
      {"AuditService.GetSubjectAccessReport",
       [&](grpc::ClientContext& c) {
         v1::SubjectAccessReportRequest request;
         request.set_subject_id(person_);
         v1::SubjectAccessReport out;
         return audit_log->GetSubjectAccessReport(&c, request, &out);
       }},
      {"HandoverService.GetStatus",
       [&](grpc::ClientContext& c) {
         v1::GetHandoverRequest request;
         request.set_handover_id("ho-000000000000000000000000");
         v1::Handover out;
         return handovers->GetStatus(&c, request, &out);
       }},
      {"HandoverService.ListPending",
       [&](grpc::ClientContext& c) {
         v1::ListHandoversResponse out;
         return handovers->ListPending(&c, v1::ListPendingRequest(), &out);
       }},
      {"DossierService.GetRecord",
       [&](grpc::ClientContext& c) {
         v1::GetRecordRequest request;
         request.set_subject_id(person_);
         request.set_record_type("coa.Koppeling");
         request.set_purpose(v1::HOUSING);
         v1::GetRecordResponse out;
         return dossiers->GetRecord(&c, request, &out);
       }},
  };
  for (const Call& call : calls) {
    const uint64_t before = NewestIndex();
    grpc::ClientContext context;
    Prepare(context, unknown);
    const grpc::Status status = call.call(context);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << call.name << ": " << status.error_message();
    EXPECT_EQ(ReasonOf(status), "UNKNOWN_PARTNER") << call.name;
    const AuditEntry entry = Newest();
    EXPECT_EQ(entry.index(), before + 1) << call.name << ": not audited";
    EXPECT_EQ(entry.partner_oin(), kUnknownOin) << call.name;
    EXPECT_EQ(entry.partner_id(), "") << call.name;
    EXPECT_EQ(entry.decision(), AuditEntry::DENY) << call.name;
    EXPECT_EQ(entry.reason(), "UNKNOWN_PARTNER") << call.name;
    EXPECT_NE(entry.method().find(call.name.substr(call.name.find('.') + 1)), std::string::npos)
        << call.name << ": " << entry.method();
  }
  // Nothing changed: same link, same GP, the consent in force.
  EXPECT_TRUE(Get({"gemeente-woerden", "", ""}, person_, "coa.Koppeling", v1::HOUSING).ok());
  EXPECT_TRUE(GpReadsTbc(kGp, person_).ok());
  EXPECT_TRUE(GpReadsDossier(kGp, person_).ok());
  EXPECT_EQ(ReasonOf(GpReadsTbc(kOtherGp, person_)), "NOT_PERMITTED");
}

// Attack: a partner hands over records it does not hold, or another actor at
// the recipient fetches what was sent for the GP.
TEST_F(TrustAttackTest, AHandoverComesOnlyFromTheSourceAndGoesOnlyToTheNamedRole) {
  Granted({"gca", "arts", ""}, DossierConsent(person_));
  auto send = [&](const Who& who, const std::string& request_id, v1::Handover* handover) {
    v1::SendHandoverRequest request;
    request.set_subject_id(person_);
    request.add_record_types(kDossier);
    request.set_recipient_partner_id(kGp);
    request.set_recipient_role("huisarts");
    request.set_purpose(v1::CONTINUITY_OF_CARE);
    request.set_note("Synthetische notitie");
    request.set_request_id(request_id);
    grpc::ClientContext context;
    Prepare(context, who);
    return v1::HandoverService::NewStub(Channel(who.partner))->Send(&context, request, handover);
  };
  auto fetch = [&](const std::string& role, const std::string& id,
                   v1::FetchHandoverResponse* fetched) {
    v1::GetHandoverRequest request;
    request.set_handover_id(id);
    grpc::ClientContext context;
    Prepare(context, {kGp, role, ""});
    return v1::HandoverService::NewStub(Channel(kGp))->Fetch(&context, request, fetched);
  };
  auto pending = [&] {
    grpc::ClientContext context;
    Prepare(context, {kGp, "huisarts", ""});
    v1::ListHandoversResponse list;
    EXPECT_TRUE(v1::HandoverService::NewStub(Channel(kGp))
                    ->ListPending(&context, v1::ListPendingRequest(), &list)
                    .ok());
    return list.handovers_size();
  };

  const std::vector<Who> not_the_source = {
      {"gemeente-woerden", "maatschappelijk-begeleider", ""},
      {"ggd-pga", "arts", ""},
      {"coa", "casemanager", ""},
      {kGp, "huisarts", ""},
  };
  int n = 0;
  for (const Who& who : not_the_source) {
    const uint64_t before = NewestIndex();
    v1::Handover handover;
    EXPECT_TRUE(RefusedAndAudited(
        send(who, "req-" + std::to_string(++n), &handover), before, who,
        {grpc::StatusCode::PERMISSION_DENIED, "NOT_THE_SOURCE", AuditEntry::HANDOVER}));
    EXPECT_TRUE(handover.handover_id().empty());
  }
  EXPECT_EQ(pending(), 0);

  v1::Handover sent;
  const grpc::Status status = send({"gca", "arts", ""}, "gca-req-1", &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  for (const std::string role : {"doktersassistent", "praktijkondersteuner-ggz", ""}) {
    const Who who{kGp, role, ""};
    const uint64_t before = NewestIndex();
    v1::FetchHandoverResponse fetched;
    EXPECT_TRUE(RefusedAndAudited(
        fetch(role, sent.handover_id(), &fetched), before, who,
        {grpc::StatusCode::PERMISSION_DENIED, "RECIPIENT_ROLE", AuditEntry::HANDOVER}));
    EXPECT_EQ(fetched.records_size(), 0) << role;
    EXPECT_TRUE(fetched.subject_id().empty()) << role;
  }
  // Nothing was released: still pending for the sender and the recipient.
  {
    grpc::ClientContext context;
    Prepare(context, {"gca", "arts", ""});
    v1::GetHandoverRequest request;
    request.set_handover_id(sent.handover_id());
    v1::Handover seen;
    ASSERT_TRUE(
        v1::HandoverService::NewStub(Channel("gca"))->GetStatus(&context, request, &seen).ok());
    EXPECT_EQ(seen.status(), v1::PENDING);
    EXPECT_EQ(seen.fetched_unix_micros(), 0);
  }
  EXPECT_EQ(pending(), 1);
  // The named role gets it.
  v1::FetchHandoverResponse fetched;
  const grpc::Status ok = fetch("huisarts", sent.handover_id(), &fetched);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(fetched.subject_id(), person_);
  EXPECT_EQ(fetched.records_size(), 1);
}

// Attack: the portal acting for someone other than the person signed in.
TEST_F(TrustAttackTest, ThePortalActsOnlyForThePersonSignedIn) {
  const Who self{"inzageportaal", "", person_};
  const Who other{"inzageportaal", "", someone_else_};
  const Who nobody{"inzageportaal", "", ""};
  const std::string by_gca = Granted({"gca", "arts", ""}, DossierConsent(person_));
  // The person records a permission and an objection for themself.
  v1::Consent own_permit;
  ASSERT_TRUE(Grant(self, ConsentFor(person_, kGp, v1::CONTINUITY_OF_CARE, {"ggd.Vaccinations"}),
                    &own_permit)
                  .ok());
  EXPECT_EQ(own_permit.recorded_by_partner(), "inzageportaal");
  const std::string own_objection = Granted(self, DossierConsent(person_, v1::OBJECTION, kOtherGp));

  // The person sees all their consents, including those recorded by others.
  std::set<std::string> ids;
  ASSERT_TRUE(List(self, person_, &ids).ok());
  EXPECT_EQ(ids, (std::set<std::string>{by_gca, own_permit.consent_id(), own_objection}));
  v1::ConsentReceipt receipt;
  ASSERT_TRUE(Receipt(self, by_gca, &receipt).ok());
  EXPECT_NE(receipt.json().find(by_gca), std::string::npos);

  // Signed in as someone else, or as no one: nothing of this person, not
  // even what was recorded through the portal.
  for (const Who& who : {other, nobody}) {
    ASSERT_TRUE(List(who, person_, &ids).ok());
    EXPECT_EQ(ids, std::set<std::string>()) << Name(who);
    for (const std::string& id : {by_gca, own_permit.consent_id(), own_objection}) {
      const grpc::Status receipt_status = Receipt(who, id);
      EXPECT_EQ(receipt_status.error_code(), grpc::StatusCode::NOT_FOUND) << Name(who) << " " << id;
      EXPECT_EQ(ReasonOf(receipt_status), "CONSENT_NOT_FOUND") << Name(who) << " " << id;
      const uint64_t before = NewestIndex();
      EXPECT_TRUE(RefusedAndAudited(Revoke(who, id), before, who,
                                    {grpc::StatusCode::NOT_FOUND, "CONSENT_NOT_FOUND",
                                     AuditEntry::CONSENT_CHANGE, "NOT_ENTITLED"}))
          << id;
    }
    const uint64_t before = NewestIndex();
    EXPECT_TRUE(RefusedAndAudited(Grant(who, DossierConsent(person_, v1::OBJECTION)), before, who,
                                  NotEntitled(AuditEntry::CONSENT_CHANGE)));
  }
  // The person's own permission and objection are still in force.
  for (const std::string& id : {own_permit.consent_id(), own_objection}) {
    ASSERT_TRUE(Receipt(self, id, &receipt).ok());
    EXPECT_NE(receipt.json().find("\"status\": \"ACTIVE\""), std::string::npos) << receipt.json();
  }
  const grpc::Status vaccinations =
      Get({kGp, "huisarts", ""}, person_, "ggd.Vaccinations", v1::CONTINUITY_OF_CARE);
  EXPECT_TRUE(vaccinations.ok()) << vaccinations.error_message();
  // A partner unrelated to the consents does not see them either.
  ASSERT_TRUE(List({"gemeente-utrecht", "maatschappelijk-begeleider", ""}, person_, &ids).ok());
  EXPECT_EQ(ids, std::set<std::string>());
  // Nothing changed by the refusals; the person may revoke what GCA recorded.
  grpc::Status status = GpReadsDossier(kGp, person_);
  EXPECT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(Revoke(self, by_gca).ok());
  status = GpReadsDossier(kGp, person_);
  EXPECT_EQ(ReasonOf(status), "CONSENT_REVOKED") << status.error_message();
}

}  // namespace
}  // namespace ketenpoort
