// Requests whose bytes do not decode, sent to the real gateway as raw
// bytes (a gRPC client would refuse to encode them): every unary method
// answers INVALID_ARGUMENT BAD_REQUEST_ENCODING with an ErrorInfo, never
// gRPC's empty UNIMPLEMENTED, and the refusal is audited with the caller.
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <grpcpp/impl/codegen/sync_stream.h>
#include <gtest/gtest.h>

#include "adapters/synthetic/synthetic_population.h"
#include "ketenpoort/v1/audit.grpc.pb.h"
#include "ketenpoort/v1/consent.grpc.pb.h"
#include "ketenpoort/v1/dossier.grpc.pb.h"
#include "ketenpoort/v1/handover.grpc.pb.h"
#include "ketenpoort/v1/inburgering.grpc.pb.h"
#include "ketenpoort/v1/relationship.grpc.pb.h"
#include "tests/support/audit_fixture.h"
#include "tests/support/chain_steps.h"
#include "tests/support/gateway_env.h"
#include "tests/support/gateway_process.h"

namespace ketenpoort {
namespace {

using testing::ReasonOf;

// Every unary method the gateway serves, from the generated descriptors:
// a method added later is covered without editing this list.
std::vector<std::string> UnaryMethods() {
  std::vector<std::string> methods;
  for (const char* name :
       {"ketenpoort.v1.AuditService", "ketenpoort.v1.ConsentService",
        "ketenpoort.v1.DossierService", "ketenpoort.v1.HandoverService",
        "ketenpoort.v1.InburgeringService", "ketenpoort.v1.RelationshipService"}) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    EXPECT_NE(service, nullptr) << name;
    for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = service->method(i);
      if (method->client_streaming() || method->server_streaming()) continue;
      methods.push_back("/" + std::string(name) + "/" + method->name());
    }
  }
  return methods;
}

// Field 1, length-delimited, announcing 5 bytes and carrying 2.
const std::string kTruncated(
    "\x0a\x05"
    "ab",
    4);
// Field 1 of GetRecordRequest (subject_id, a string) holding 0xff 0xfe.
const std::string kNotUtf8("\x0a\x02\xff\xfe", 4);

class UndecodableRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir_.File("fixtures.db"), 11, 5).ok());
    std::string error;
    gateway_ = testing::GatewayProcess::Start(testing::WriteConfig(dir_, testing::PoliciesDir()),
                                              dir_.path().string(), &error);
    ASSERT_NE(gateway_, nullptr) << error;
  }

  grpc::Status Call(const std::string& partner, const std::string& method,
                    const std::string& bytes) {
    auto channel = testing::ChannelAs(gateway_->address(), partner);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("x-actor-id", "tester-1");
    context.AddMetadata("x-actor-role", "casemanager");
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    return grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
        channel.get(),
        grpc::internal::RpcMethod(method.c_str(), grpc::internal::RpcMethod::NORMAL_RPC), &context,
        request, &response);
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::GatewayProcess> gateway_;
};

TEST_F(UndecodableRequestTest, EveryUnaryMethodAnswersBadRequestEncodingAndAuditsIt) {
  const std::string db = dir_.File("audit.db");
  const std::vector<std::string> methods = UnaryMethods();
  EXPECT_GE(methods.size(), 26u);
  for (const std::string& method : methods) {
    SCOPED_TRACE(method);
    const int64_t before = testing::QueryInt(db, "SELECT count(*) FROM audit_entry");
    const grpc::Status status = Call("gemeente-woerden", method, kTruncated);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_EQ(ReasonOf(status), "BAD_REQUEST_ENCODING");
    EXPECT_EQ(testing::QueryInt(db, "SELECT count(*) FROM audit_entry"), before + 1);
    const v1::AuditEntry entry = testing::ReadAuditEntry(db);
    EXPECT_EQ(entry.method(), method);
    EXPECT_EQ(entry.decision(), v1::AuditEntry::INVALID);
    EXPECT_EQ(entry.reason(), "BAD_REQUEST_ENCODING");
    EXPECT_EQ(entry.partner_id(), "gemeente-woerden");
  }
}

TEST_F(UndecodableRequestTest, AStringThatIsNotUtf8IsRefusedTheSame) {
  const grpc::Status status =
      Call("gemeente-woerden", "/ketenpoort.v1.DossierService/GetRecord", kNotUtf8);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "BAD_REQUEST_ENCODING");
  EXPECT_EQ(testing::ReadAuditEntry(dir_.File("audit.db")).reason(), "BAD_REQUEST_ENCODING");
  // The gateway stays up and serves well-formed bytes as before.
  const grpc::Status empty =
      Call("gemeente-woerden", "/ketenpoort.v1.AuditService/GetCheckpoint", std::string());
  EXPECT_NE(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << empty.error_message();
  EXPECT_NE(empty.error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(UndecodableRequestTest, TheWatchStreamIsRefusedTheSame) {
  auto channel = testing::ChannelAs(gateway_->address(), "gemeente-woerden");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context.AddMetadata("x-actor-id", "tester-1");
  grpc::Slice slice(kTruncated);
  grpc::ByteBuffer request(&slice, 1);
  const std::string method = "/ketenpoort.v1.HandoverService/Watch";
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader(
      grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(
          channel.get(),
          grpc::internal::RpcMethod(method.c_str(), grpc::internal::RpcMethod::SERVER_STREAMING),
          &context, request));
  grpc::ByteBuffer event;
  EXPECT_FALSE(reader->Read(&event));
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ReasonOf(status), "BAD_REQUEST_ENCODING");
  const v1::AuditEntry entry = testing::ReadAuditEntry(dir_.File("audit.db"));
  EXPECT_EQ(entry.method(), method);
  EXPECT_EQ(entry.reason(), "BAD_REQUEST_ENCODING");
}

TEST_F(UndecodableRequestTest, AnUnknownCertificateIsToldThatFirst) {
  const grpc::Status status =
      Call("unknown-party", "/ketenpoort.v1.DossierService/GetRecord", kTruncated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
}

}  // namespace
}  // namespace ketenpoort
