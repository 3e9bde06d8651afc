// Certificate revocation against the real gateway: CRLs from files named in
// the config (PEM or DER), checked on every call, reloaded on SIGHUP, and a
// CRL no trusted CA signed refused at start and on reload.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "adapters/synthetic/synthetic_population.h"
#include "gateway/identity/peer_certificate.h"
#include "ketenpoort/v1/consent.grpc.pb.h"
#include "ketenpoort/v1/handover.grpc.pb.h"
#include "tests/support/chain_steps.h"
#include "tests/support/gateway_env.h"
#include "tests/support/gateway_process.h"

namespace ketenpoort {
namespace {

using testing::ReasonOf;

X509* ReadCertificate(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return nullptr;
  X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  return cert;
}

EVP_PKEY* ReadKey(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return nullptr;
  EVP_PKEY* key = PEM_read_PrivateKey(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  return key;
}

struct CrlOptions {
  int64_t number = -1;    // crlNumber extension; -1: none
  bool delta = false;     // a delta CRL (deltaCRLIndicator)
  std::string issuer_cn;  // another spelling of the CA's CN, or ""
};

// A CRL from dev CA `ca` revoking the dev certificates `revoked`, written
// to `out` as PEM or DER.
void WriteCrl(const std::string& ca, const std::vector<std::string>& revoked,
              const std::string& out, bool der, const CrlOptions& options = {}) {
  const std::string dir = testing::CertsDir() + "/";
  X509* ca_cert = ReadCertificate(dir + ca + ".crt");
  EVP_PKEY* ca_key = ReadKey(dir + ca + ".key");
  ASSERT_NE(ca_cert, nullptr);
  ASSERT_NE(ca_key, nullptr);
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_NAME* issuer = X509_NAME_dup(X509_get_subject_name(ca_cert));
  if (!options.issuer_cn.empty()) {
    const int at = X509_NAME_get_index_by_NID(issuer, NID_commonName, -1);
    X509_NAME_ENTRY_set_data(X509_NAME_get_entry(issuer, at), MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(options.issuer_cn.data()),
                             static_cast<int>(options.issuer_cn.size()));
  }
  X509_CRL_set_issuer_name(crl, issuer);
  X509_NAME_free(issuer);
  if (options.number >= 0) {
    ASN1_INTEGER* number = ASN1_INTEGER_new();
    ASN1_INTEGER_set_int64(number, options.number);
    X509_CRL_add1_ext_i2d(crl, options.delta ? NID_delta_crl : NID_crl_number, number,
                          options.delta ? 1 : 0, X509V3_ADD_DEFAULT);
    ASN1_INTEGER_free(number);
  }
  ASN1_TIME* now = ASN1_TIME_adj(nullptr, time(nullptr), 0, 0);
  ASN1_TIME* next = ASN1_TIME_adj(nullptr, time(nullptr), 7, 0);
  X509_CRL_set1_lastUpdate(crl, now);
  X509_CRL_set1_nextUpdate(crl, next);
  for (const std::string& name : revoked) {
    X509* cert = ReadCertificate(dir + name + ".crt");
    ASSERT_NE(cert, nullptr) << name;
    X509_REVOKED* entry = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(cert));
    X509_REVOKED_set_revocationDate(entry, now);
    X509_CRL_add0_revoked(crl, entry);
    X509_free(cert);
  }
  X509_CRL_sort(crl);
  ASSERT_GT(X509_CRL_sign(crl, ca_key, EVP_sha256()), 0);
  BIO* bio = BIO_new_file(out.c_str(), "wb");
  ASSERT_NE(bio, nullptr);
  ASSERT_EQ(der ? i2d_X509_CRL_bio(bio, crl) : PEM_write_bio_X509_CRL(bio, crl), 1);
  BIO_free(bio);
  ASN1_TIME_free(now);
  ASN1_TIME_free(next);
  X509_CRL_free(crl);
  EVP_PKEY_free(ca_key);
  X509_free(ca_cert);
}

class RevocationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir_.File("fixtures.db"), 11, 5).ok());
    subject_ = synthetic::SyntheticPopulation(11).Person(1).v_number;
    std::string text = testing::ReadFile(testing::WriteConfig(dir_, testing::PoliciesDir()));
    const std::string ca_line = "/ca.crt\n";
    text.insert(text.find(ca_line) + ca_line.size(), "  crl_files: [partners.crl, more.crl]\n");
    config_ = dir_.Write("gateway.yaml", text);
  }

  void Start() {
    std::string error;
    gateway_ = testing::GatewayProcess::Start(config_, dir_.path().string(), &error);
    ASSERT_NE(gateway_, nullptr) << error;
  }

  // A consent list: an audited read any known partner may make.
  grpc::Status ListConsents(const std::shared_ptr<grpc::Channel>& channel) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("x-actor-id", "tester-1");
    context.AddMetadata("x-actor-role", "casemanager");
    v1::ListConsentsRequest request;
    request.set_subject_id(subject_);
    v1::ListConsentsResponse response;
    return v1::ConsentService::NewStub(channel)->List(&context, request, &response);
  }

  std::shared_ptr<grpc::Channel> Channel(const std::string& partner) {
    return testing::ChannelAs(gateway_->address(), partner);
  }

  // Waits (bounded) until `done` holds, re-checking every 100 ms.
  static bool Eventually(const std::function<bool()>& done) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  bool Logged(const std::string& text) {
    return Eventually([&] { return gateway_->StderrText().find(text) != std::string::npos; });
  }

  testing::TempDir dir_;
  std::string subject_;
  std::string config_;
  std::unique_ptr<testing::GatewayProcess> gateway_;
};

TEST_F(RevocationTest, ARevokedCertificateIsRefusedOnEveryCallAndAudited) {
  WriteCrl("ca", {"coa"}, dir_.File("partners.crl"), /*der=*/false);
  WriteCrl("ca", {}, dir_.File("more.crl"), /*der=*/true);
  Start();
  const grpc::Status refused = ListConsents(Channel("coa"));
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused.error_message();
  EXPECT_EQ(ReasonOf(refused), "CERTIFICATE_REVOKED");
  const v1::AuditEntry entry = testing::ReadAuditEntry(dir_.File("audit.db"));
  EXPECT_EQ(entry.reason(), "CERTIFICATE_REVOKED");
  EXPECT_EQ(entry.decision(), v1::AuditEntry::DENY);
  EXPECT_EQ(entry.partner_id(), "coa");
  EXPECT_TRUE(ListConsents(Channel("gca")).ok());
}

TEST_F(RevocationTest, ARevocationReloadedOnSighupStopsAnOpenConnection) {
  WriteCrl("ca", {}, dir_.File("partners.crl"), /*der=*/false);
  WriteCrl("ca", {}, dir_.File("more.crl"), /*der=*/true);
  Start();
  const auto gca = Channel("gca");
  ASSERT_TRUE(ListConsents(gca).ok());
  // Revoked in the DER file; the connection stays open.
  WriteCrl("ca", {"gca"}, dir_.File("more.crl"), /*der=*/true);
  gateway_->Signal(SIGHUP);
  grpc::Status status;
  Eventually([&] {
    status = ListConsents(gca);
    return !status.ok();
  });
  EXPECT_EQ(ReasonOf(status), "CERTIFICATE_REVOKED") << status.error_message();
  EXPECT_TRUE(ListConsents(Channel("coa")).ok());
}

TEST_F(RevocationTest, ACrlNoTrustedCaSignedIsRefusedAtStartAndOnReload) {
  WriteCrl("foreign-ca", {"coa"}, dir_.File("partners.crl"), /*der=*/false);
  WriteCrl("ca", {}, dir_.File("more.crl"), /*der=*/true);
  testing::ExitResult result = testing::RunToExit(testing::GatewayBinary(),
                                                  {"--config", config_, "--listen", "127.0.0.1:0"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.stderr_text.find(dir_.File("partners.crl") +
                                    ": is not signed by a CA in the client CA bundle"),
            std::string::npos)
      << result.stderr_text;

  // On reload the list in force stays: here, one that revokes coa.
  WriteCrl("ca", {"coa"}, dir_.File("partners.crl"), /*der=*/false);
  Start();
  std::ofstream(dir_.File("partners.crl")) << "not a CRL\n";
  gateway_->Signal(SIGHUP);
  EXPECT_TRUE(Logged("crl_reload_rejected"));
  EXPECT_EQ(ReasonOf(ListConsents(Channel("coa"))), "CERTIFICATE_REVOKED");
}

// The server key, certificate and client CA bundle, reloaded on SIGHUP
// from copies this test may change (the shared dev files stay as they are).
class TlsReloadTest : public RevocationTest {
 protected:
  void SetUp() override {
    RevocationTest::SetUp();
    WriteCrl("ca", {}, dir_.File("partners.crl"), /*der=*/false);
    WriteCrl("ca", {}, dir_.File("more.crl"), /*der=*/true);
    for (const char* name : {"server.crt", "server.key", "ca.crt"}) {
      std::filesystem::copy_file(testing::CertsDir() + "/" + name, dir_.File(name));
    }
    std::filesystem::permissions(dir_.File("server.key"), std::filesystem::perms::owner_read |
                                                              std::filesystem::perms::owner_write);
    std::string text = testing::ReadFile(config_);
    for (const char* name : {"/server.crt", "/server.key", "/ca.crt"}) {
      const std::string shared = testing::CertsDir() + name;
      text.replace(text.find(shared), shared.size(), dir_.path().string() + name);
    }
    config_ = dir_.Write("gateway.yaml", text);
    Start();
  }

  // The subject of the certificate the gateway presents now.
  std::string ServedSubject() {
    const std::string certs = testing::CertsDir();
    const testing::ExitResult result =
        testing::RunToExit("/bin/bash", {"-c", "openssl s_client -connect " + gateway_->address() +
                                                   " -cert " + certs + "/coa.crt -key " + certs +
                                                   "/coa.key </dev/null 2>/dev/null | "
                                                   "openssl x509 -noout -subject 1>&2"});
    return result.stderr_text;
  }
};

TEST_F(TlsReloadTest, ANewClientCaBundleIsTrustedAfterSighup) {
  // A partner under a CA the gateway does not trust cannot connect ...
  EXPECT_EQ(ListConsents(Channel("foreign-coa")).error_code(), grpc::StatusCode::UNAVAILABLE);
  // ... until the bundle holds its CA and the gateway reloads.
  std::ofstream(dir_.File("ca.crt"), std::ios::app)
      << testing::ReadFile(testing::CertsDir() + "/foreign-ca.crt");
  gateway_->Signal(SIGHUP);
  EXPECT_TRUE(Eventually([&] {
    return ListConsents(Channel("foreign-coa")).error_code() != grpc::StatusCode::UNAVAILABLE;
  })) << gateway_->StderrText();
  EXPECT_TRUE(ListConsents(Channel("coa")).ok());
}

TEST_F(TlsReloadTest, ANewCaBundleComesIntoForceOnlyWithListsThatHoldForIt) {
  // The bundle gains a CA while the lists no longer load: neither changes,
  // so the new CA's partner is not let in unchecked.
  std::ofstream(dir_.File("ca.crt"), std::ios::app)
      << testing::ReadFile(testing::CertsDir() + "/foreign-ca.crt");
  std::ofstream(dir_.File("partners.crl")) << "not a CRL\n";
  gateway_->Signal(SIGHUP);
  EXPECT_TRUE(Logged("tls_reload_rejected"));
  EXPECT_TRUE(Logged("crl_reload_rejected"));
  // Past the file watcher's refresh (1 s), so a bundle swapped in would
  // be serving by now.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(ListConsents(Channel("foreign-coa")).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(ListConsents(Channel("coa")).ok());
}

TEST_F(TlsReloadTest, ARevocationAppliesEvenWhenTheNewServerKeyIsRefused) {
  ASSERT_TRUE(ListConsents(Channel("coa")).ok());
  // A server key that does not match its certificate, and a list that
  // revokes coa, in one reload: the key is refused, the revocation holds.
  std::ofstream(dir_.File("server.key"), std::ios::trunc)
      << testing::ReadFile(testing::CertsDir() + "/coa.key");
  WriteCrl("ca", {"coa"}, dir_.File("partners.crl"), /*der=*/false);
  // The refused reload also brought a new CA and its list: held to the
  // bundle in force, that list is left out, not a reason to drop coa's.
  std::ofstream(dir_.File("ca.crt"), std::ios::app)
      << testing::ReadFile(testing::CertsDir() + "/foreign-ca.crt");
  WriteCrl("foreign-ca", {}, dir_.File("more.crl"), /*der=*/true);
  gateway_->Signal(SIGHUP);
  EXPECT_TRUE(Logged("tls_reload_rejected"));
  EXPECT_TRUE(Logged("crl_skipped"));
  EXPECT_TRUE(Logged("crl_reloaded"));
  EXPECT_EQ(ReasonOf(ListConsents(Channel("coa"))), "CERTIFICATE_REVOKED");
  EXPECT_TRUE(ListConsents(Channel("gemeente-woerden")).ok());
}

TEST_F(TlsReloadTest, ANewServerCertificateIsServedAfterSighupAndABadOneNever) {
  ASSERT_NE(ServedSubject().find("CN = localhost"), std::string::npos) << ServedSubject();
  const std::string certs = testing::CertsDir();
  const std::string make =
      "set -e; cd " + dir_.path().string() +
      "; openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
      "-keyout next.key -subj /CN=reloaded -addext subjectAltName=IP:127.0.0.1,DNS:localhost "
      "2>/dev/null | openssl x509 -req -CA " +
      certs + "/ca.crt -CAkey " + certs +
      "/ca.key -CAcreateserial -CAserial next.srl -copy_extensions copyall -days 1 "
      "-out next.crt 2>/dev/null";
  ASSERT_EQ(testing::RunToExit("/bin/bash", {"-c", make}).exit_code, 0);

  // First a key that does not belong to the certificate: refused, the old
  // pair stays in service.
  std::filesystem::copy_file(dir_.File("next.crt"), dir_.File("server.crt"),
                             std::filesystem::copy_options::overwrite_existing);
  gateway_->Signal(SIGHUP);
  EXPECT_TRUE(Logged("tls_reload_rejected"));
  EXPECT_NE(gateway_->StderrText().find("is not the key of"), std::string::npos);
  EXPECT_TRUE(ListConsents(Channel("coa")).ok());

  // Then the matching key: served within a few seconds, and trusted.
  std::ofstream(dir_.File("server.key"), std::ios::trunc)
      << testing::ReadFile(dir_.File("next.key"));
  gateway_->Signal(SIGHUP);
  EXPECT_TRUE(Eventually([&] {
    return ServedSubject().find("CN = reloaded") != std::string::npos;
  })) << ServedSubject();
  EXPECT_TRUE(ListConsents(Channel("coa")).ok());
}

// Pinning: a partner whose certificates are pinned in partners.yaml is
// only recognised by them, even when another trusted CA issues one for its
// OIN.
TEST_F(RevocationTest, APinnedPartnerIsRecognisedOnlyByItsPinnedCertificates) {
  WriteCrl("ca", {}, dir_.File("partners.crl"), /*der=*/false);
  WriteCrl("ca", {}, dir_.File("more.crl"), /*der=*/true);
  const std::string policies = dir_.File("policies");
  std::filesystem::copy(testing::PoliciesDir(), policies, std::filesystem::copy_options::recursive);
  auto coa = identity::ParsePeerCertificate(testing::ReadFile(testing::CertsDir() + "/coa.crt"));
  ASSERT_TRUE(coa.ok());
  auto gca = identity::ParsePeerCertificate(testing::ReadFile(testing::CertsDir() + "/gca.crt"));
  ASSERT_TRUE(gca.ok());
  std::string partners = testing::ReadFile(policies + "/partners.yaml");
  auto pin = [&](const std::string& oin, const std::string& fingerprint) {
    const std::string line = "    oin: \"" + oin + "\"\n";
    partners.insert(partners.find(line) + line.size(),
                    "    certificate_sha256: [\"" + fingerprint + "\"]\n");
  };
  pin("00000099000000000101", coa->sha256_hex);  // COA: its own certificate
  pin("00000099000000000201", coa->sha256_hex);  // GCA: someone else's
  std::ofstream(policies + "/partners.yaml", std::ios::trunc) << partners;
  std::string text = testing::ReadFile(config_);
  text.replace(text.find(testing::PoliciesDir()), testing::PoliciesDir().size(), policies);
  config_ = dir_.Write("gateway.yaml", text);
  Start();

  EXPECT_TRUE(ListConsents(Channel("coa")).ok());
  const grpc::Status refused = ListConsents(Channel("gca"));
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(refused), "CERTIFICATE_NOT_PINNED");
  const v1::AuditEntry entry = testing::ReadAuditEntry(dir_.File("audit.db"));
  EXPECT_EQ(entry.reason(), "CERTIFICATE_NOT_PINNED");
  EXPECT_EQ(entry.partner_id(), "gca");
}

TEST_F(RevocationTest, ACrlSpellingItsIssuerOtherwiseStillRevokes) {
  // OpenSSL folds case and white space when it compares names; so do we.
  WriteCrl("ca", {"coa"}, dir_.File("partners.crl"), /*der=*/false,
           {.issuer_cn = "ketenpoort  dev partner CA "});
  WriteCrl("ca", {}, dir_.File("more.crl"), /*der=*/true);
  Start();
  EXPECT_EQ(ReasonOf(ListConsents(Channel("coa"))), "CERTIFICATE_REVOKED");
}

TEST_F(RevocationTest, CrlsThatWouldDropRevocationsAreRefused) {
  WriteCrl("ca", {"coa"}, dir_.File("partners.crl"), /*der=*/false, {.number = 5, .issuer_cn = ""});
  WriteCrl("ca", {}, dir_.File("more.crl"), /*der=*/true, {.number = 5, .issuer_cn = ""});
  auto refused_start = [&](const std::string& naming) {
    testing::ExitResult result = testing::RunToExit(
        testing::GatewayBinary(), {"--config", config_, "--listen", "127.0.0.1:0"});
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.stderr_text.find(naming), std::string::npos) << result.stderr_text;
  };
  // A block that does not parse, after a good CRL: its revocations would be lost.
  const std::string good = testing::ReadFile(dir_.File("partners.crl"));
  std::ofstream(dir_.File("partners.crl"), std::ios::trunc)
      << good << "-----BEGIN X509 CRL-----\nbm90IGEgQ1JM\n-----END X509 CRL-----\n";
  refused_start("a block that is not one");
  // A delta CRL is not the complete list.
  WriteCrl("ca", {"coa"}, dir_.File("partners.crl"), /*der=*/false,
           {.number = 6, .delta = true, .issuer_cn = ""});
  refused_start("is a delta CRL");

  // On reload, an older CRL (a replay that would un-revoke coa) is refused.
  WriteCrl("ca", {"coa"}, dir_.File("partners.crl"), /*der=*/false, {.number = 5, .issuer_cn = ""});
  Start();
  ASSERT_EQ(ReasonOf(ListConsents(Channel("coa"))), "CERTIFICATE_REVOKED");
  WriteCrl("ca", {}, dir_.File("partners.crl"), /*der=*/false, {.number = 4, .issuer_cn = ""});
  WriteCrl("ca", {}, dir_.File("more.crl"), /*der=*/true, {.number = 4, .issuer_cn = ""});
  gateway_->Signal(SIGHUP);
  EXPECT_TRUE(Logged("is older (CRL number 4)"));
  EXPECT_EQ(ReasonOf(ListConsents(Channel("coa"))), "CERTIFICATE_REVOKED");
}

TEST_F(RevocationTest, AnOpenWatchStreamEndsWhenItsCertificateIsRevoked) {
  WriteCrl("ca", {}, dir_.File("partners.crl"), /*der=*/false);
  WriteCrl("ca", {}, dir_.File("more.crl"), /*der=*/true);
  Start();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  context.AddMetadata("x-actor-id", "tester-1");
  auto stub = v1::HandoverService::NewStub(Channel("huisartsenpraktijk-woerden"));
  auto stream = stub->Watch(&context, v1::WatchHandoversRequest());
  // Let the stream open before the revocation.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  WriteCrl("ca", {"huisartsenpraktijk-woerden"}, dir_.File("more.crl"), /*der=*/true);
  gateway_->Signal(SIGHUP);
  v1::HandoverEvent event;
  while (stream->Read(&event)) {
  }
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(ReasonOf(status), "CERTIFICATE_REVOKED");
}

}  // namespace
}  // namespace ketenpoort
