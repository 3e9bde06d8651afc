// The TLS files the server serves with: copies of the configured server
// key, certificate chain and client CA bundle, checked and swapped in whole
// at start and on SIGHUP. gRPC's FileWatcherCertificateProvider reads the
// copies every second, so a reload reaches new handshakes within about a
// second; a half-written or mismatched file an operator is still editing
// never does, since only a checked set is swapped in.
#ifndef KETENPOORT_GATEWAY_SERVER_ACTIVE_TLS_FILES_H_
#define KETENPOORT_GATEWAY_SERVER_ACTIVE_TLS_FILES_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "gateway/config/gateway_config.h"

namespace ketenpoort::server {

class ActiveTlsFiles {
 public:
  // `dir` holds the generations (made 0700); the configured files must
  // pass the same checks as on reload, or the gateway does not start.
  static absl::StatusOr<std::unique_ptr<ActiveTlsFiles>> Create(config::TlsConfig configured,
                                                                std::string dir);

  // Re-reads the configured files; on any problem (unreadable, the key
  // not matching the certificate, no CA certificate, a key others can
  // read) FAILED_PRECONDITION naming the file, and the active set stays.
  // `accept`, if given, sees the client CA bundle exactly as it will be
  // put in force, before it is; its error refuses the reload.
  absl::Status Reload(
      const std::function<absl::Status(const std::string& client_ca_pem)>& accept = nullptr);

  // Stable paths, through the `active` link, for the file watcher.
  std::string key_path() const { return dir_ + "/active/server.key"; }
  std::string cert_path() const { return dir_ + "/active/server.crt"; }
  std::string ca_path() const { return dir_ + "/active/client-ca.crt"; }

 private:
  ActiveTlsFiles(config::TlsConfig configured, std::string dir)
      : configured_(std::move(configured)), dir_(std::move(dir)) {}

  const config::TlsConfig configured_;
  const std::string dir_;
  std::mutex mutex_;  // one reload at a time
  int generation_ = 0;
};

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_ACTIVE_TLS_FILES_H_
