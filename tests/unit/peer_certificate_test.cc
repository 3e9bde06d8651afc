#include "gateway/identity/peer_certificate.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "gateway/identity/partner_registry.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace ketenpoort::identity {
namespace {

std::string ReadCert(const std::string& name) {
  std::ifstream in(testing::CertsDir() + "/" + name + ".crt");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

TEST(PeerCertificateTest, ReadsTheOinFromTheSubjectSerialNumber) {
  auto peer = ParsePeerCertificate(ReadCert("gemeente-woerden"));
  ASSERT_TRUE(peer.ok()) << peer.status();
  EXPECT_EQ(peer->oin, "00000099000000000632");
  EXPECT_EQ(peer->sha256_hex.size(), 64u);
}

TEST(PeerCertificateTest, FingerprintsDifferPerCertificate) {
  auto a = ParsePeerCertificate(ReadCert("coa"));
  auto b = ParsePeerCertificate(ReadCert("foreign-coa"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->oin, b->oin);                // the foreign one claims COA's OIN...
  EXPECT_NE(a->sha256_hex, b->sha256_hex);  // ...but is another certificate
}

TEST(PeerCertificateTest, EveryDevPartnerCertificateMapsToItsPartner) {
  auto registry = PartnerRegistry::LoadFile(testing::PoliciesDir() + "/partners.yaml");
  ASSERT_TRUE(registry.ok()) << registry.status();
  for (const Partner& partner : registry->partners()) {
    auto peer = ParsePeerCertificate(ReadCert(partner.id));
    ASSERT_TRUE(peer.ok()) << partner.id;
    const Partner* found = registry->FindByOin(peer->oin);
    ASSERT_NE(found, nullptr) << partner.id;
    EXPECT_EQ(found->id, partner.id);
  }
  auto unknown = ParsePeerCertificate(ReadCert("unknown-party"));
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(registry->FindByOin(unknown->oin), nullptr);
}

TEST(PeerCertificateTest, GarbageIsUnauthenticated) {
  auto peer = ParsePeerCertificate("-----BEGIN CERTIFICATE-----\nnope\n");
  ASSERT_FALSE(peer.ok());
  EXPECT_EQ(peer.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(PartnerRegistryTest, RefusesDuplicateOinsAndMissingMunicipality) {
  testing::TempDir dir;
  auto duplicate = PartnerRegistry::LoadFile(
      dir.Write("p.yaml",
                "partners:\n"
                "  - {id: a, name: A, oin: \"00000099000000000001\", type: coa}\n"
                "  - {id: b, name: B, oin: \"00000099000000000001\", type: gca}\n"));
  ASSERT_FALSE(duplicate.ok());
  EXPECT_NE(std::string(duplicate.status().message()).find(":3:"), std::string::npos)
      << duplicate.status();
  auto municipality = PartnerRegistry::LoadFile(
      dir.Write("q.yaml",
                "partners:\n"
                "  - {id: g, name: G, oin: \"00000099000000000002\", type: gemeente}\n"));
  ASSERT_FALSE(municipality.ok());
  EXPECT_NE(std::string(municipality.status().message()).find("municipality_code"),
            std::string::npos);
}

}  // namespace
}  // namespace ketenpoort::identity
