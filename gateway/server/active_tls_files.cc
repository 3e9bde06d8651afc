#include "gateway/server/active_tls_files.h"

#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway/common/error.h"
#include "gateway/common/key_file.h"
#include "gateway/common/status_macros.h"

namespace ketenpoort::server {
namespace {

namespace fs = std::filesystem;

absl::Status Unusable(const std::string& path, std::string_view why) {
  return MakeError(absl::StatusCode::kFailedPrecondition, "TLS_FILE_UNUSABLE",
                   path + ": " + std::string(why));
}

absl::StatusOr<std::string> Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unusable(path, "cannot be read");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
std::unique_ptr<BIO, BioDeleter> Bio(const std::string& bytes) {
  return std::unique_ptr<BIO, BioDeleter>(
      BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

// How many PEM blocks `bytes` holds, and how many of them are certificates
// that parse: a file is usable only when both are the same and not zero.
bool AllCertificates(const std::string& bytes) {
  size_t blocks = 0;
  for (size_t at = bytes.find("-----BEGIN "); at != std::string::npos;
       at = bytes.find("-----BEGIN ", at + 1)) {
    ++blocks;
  }
  size_t parsed = 0;
  auto bio = Bio(bytes);
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    ++parsed;
    X509_free(cert);
  }
  return parsed > 0 && parsed == blocks;
}

// Every block of the chain and the bundle is a certificate, and the key
// belongs to the chain's first.
absl::Status Check(const config::TlsConfig& tls, const std::string& key, const std::string& chain,
                   const std::string& bundle) {
  if (!AllCertificates(chain)) {
    return Unusable(tls.server_cert, "holds a block that is not a PEM certificate, or none");
  }
  if (!AllCertificates(bundle)) {
    return Unusable(tls.client_ca, "holds a block that is not a PEM certificate, or none");
  }
  X509* cert = PEM_read_bio_X509(Bio(chain).get(), nullptr, nullptr, nullptr);
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(Bio(key).get(), nullptr, nullptr, nullptr);
  const bool matches =
      cert != nullptr && pkey != nullptr && X509_check_private_key(cert, pkey) == 1;
  EVP_PKEY_free(pkey);
  X509_free(cert);
  if (!matches) return Unusable(tls.server_key, "is not the key of " + tls.server_cert);
  return absl::OkStatus();
}

absl::Status WriteFile(const std::string& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return Unusable(path, "cannot be written");
  const bool written =
      ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) &&
      ::fsync(fd) == 0;
  if (::close(fd) != 0 || !written) return Unusable(path, "cannot be written");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ActiveTlsFiles>> ActiveTlsFiles::Create(config::TlsConfig configured,
                                                                       std::string dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error || ::chmod(dir.c_str(), 0700) != 0) {
    return Unusable(dir, "cannot be made a private directory");
  }
  std::unique_ptr<ActiveTlsFiles> files(new ActiveTlsFiles(std::move(configured), std::move(dir)));
  // Generations left by an earlier run are replaced, one by one.
  for (const auto& entry : fs::directory_iterator(files->dir_, error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("gen-", 0) == 0) {
      files->generation_ = std::max(files->generation_, std::atoi(name.c_str() + 4));
    }
  }
  RETURN_IF_ERROR(files->Reload());
  return files;
}

absl::Status ActiveTlsFiles::Reload(
    const std::function<absl::Status(const std::string& client_ca_pem)>& accept) {
  std::lock_guard<std::mutex> lock(mutex_);
  RETURN_IF_ERROR(RequirePrivateKeyFile(configured_.server_key, "TLS server key"));
  ASSIGN_OR_RETURN(const std::string key, Read(configured_.server_key));
  ASSIGN_OR_RETURN(const std::string chain, Read(configured_.server_cert));
  ASSIGN_OR_RETURN(const std::string bundle, Read(configured_.client_ca));
  RETURN_IF_ERROR(Check(configured_, key, chain, bundle));
  if (accept) RETURN_IF_ERROR(accept(bundle));

  // A fresh generation, then the link swung to it in one rename. The one
  // before stays, for a watcher that resolved the link a moment ago.
  const int next = generation_ + 1;
  const std::string generation = dir_ + "/gen-" + std::to_string(next);
  std::error_code error;
  fs::remove_all(generation, error);
  if (!fs::create_directory(generation, error)) return Unusable(generation, "cannot be made");
  RETURN_IF_ERROR(WriteFile(generation + "/server.key", key));
  RETURN_IF_ERROR(WriteFile(generation + "/server.crt", chain));
  RETURN_IF_ERROR(WriteFile(generation + "/client-ca.crt", bundle));
  const std::string link = dir_ + "/active.next";
  fs::remove(link, error);
  fs::create_directory_symlink("gen-" + std::to_string(next), link, error);
  if (error || std::rename(link.c_str(), (dir_ + "/active").c_str()) != 0) {
    return Unusable(dir_ + "/active", "cannot be switched");
  }
  fs::remove_all(dir_ + "/gen-" + std::to_string(next - 2), error);
  generation_ = next;
  return absl::OkStatus();
}

}  // namespace ketenpoort::server
