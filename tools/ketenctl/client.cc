#include "tools/ketenctl/client.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "gateway/common/error.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace ketenpoort::ketenctl {
namespace {

absl::StatusOr<std::string> ReadPemFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "FILE_UNREADABLE",
                     "cannot read " + path);
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

const char* CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int index = static_cast<int>(code);
  return index >= 0 && index <= 16 ? kNames[index] : "UNKNOWN";
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(const ClientOptions& options) {
  const std::string cert = !options.cert.empty() ? options.cert
                           : !options.as.empty() ? options.certs_dir + "/" + options.as + ".crt"
                                                 : "";
  const std::string key = !options.key.empty()  ? options.key
                          : !options.as.empty() ? options.certs_dir + "/" + options.as + ".key"
                                                : "";
  const std::string ca = !options.ca.empty() ? options.ca : options.certs_dir + "/ca.crt";
  if (cert.empty() || key.empty()) {
    return MakeError(absl::StatusCode::kInvalidArgument, "NO_CLIENT_CERTIFICATE",
                     "name a partner certificate with --as NAME (or --cert and --key)");
  }
  grpc::SslCredentialsOptions tls;
  auto root = ReadPemFile(ca);
  if (!root.ok()) return root.status();
  auto pem_cert = ReadPemFile(cert);
  if (!pem_cert.ok()) return pem_cert.status();
  auto pem_key = ReadPemFile(key);
  if (!pem_key.ok()) return pem_key.status();
  tls.pem_root_certs = *root;
  tls.pem_cert_chain = *pem_cert;
  tls.pem_private_key = *pem_key;
  return grpc::CreateChannel(options.address, grpc::SslCredentials(tls));
}

void PrintError(const grpc::Status& status) {
  std::fprintf(stderr, "error: %s: %s\n", CodeName(status.error_code()),
               status.error_message().c_str());
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) return;
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) {
      std::fprintf(stderr, "reason: %s (%s)\n", info.reason().c_str(), info.domain().c_str());
      for (const auto& [key, value] : info.metadata()) {
        std::fprintf(stderr, "  %s: %s\n", key.c_str(), value.c_str());
      }
    }
  }
}

void PrintJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::printf("%s", json.c_str());
}

int Fail(const absl::Status& status, int code) { return Fail(std::string(status.message()), code); }
int Fail(std::string_view message, int code) {
  std::fprintf(stderr, "error: %.*s\n", static_cast<int>(message.size()), message.data());
  return code;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void AddMetadata(grpc::ClientContext& context, const std::string& actor_id,
                 const std::string& actor_role) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (!actor_id.empty()) context.AddMetadata("x-actor-id", actor_id);
  if (!actor_role.empty()) context.AddMetadata("x-actor-role", actor_role);
}

absl::StatusOr<std::string> KeyText(const std::string& text) {
  if (text.empty() || text[0] != '@') return text;
  std::optional<std::string> contents = ReadFile(text.substr(1));
  if (!contents) return absl::NotFoundError("cannot read " + text.substr(1));
  while (!contents->empty() && (contents->back() == '\n' || contents->back() == ' ')) {
    contents->pop_back();
  }
  return *contents;
}

}  // namespace ketenpoort::ketenctl
