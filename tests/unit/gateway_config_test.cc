#include "gateway/config/gateway_config.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace ketenpoort::config {
namespace {

TEST(GatewayConfigTest, ShippedDevConfigLoadsWithPathsResolvedAgainstItsDirectory) {
  auto config = LoadGatewayConfig(testing::SourceDir() + "/config/dev.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen, "127.0.0.1:50051");
  EXPECT_EQ(config->policies_dir, testing::SourceDir() + "/policies");
  EXPECT_EQ(config->tls.client_ca, testing::SourceDir() + "/certs-dev/out/ca.crt");
  ASSERT_EQ(config->sources.size(), 1u);
  EXPECT_EQ(config->sources[0].kind, "sqlite_fixture");
}

TEST(GatewayConfigTest, ErrorsNameFileAndLine) {
  testing::TempDir dir;
  const std::string path =
      dir.Write("bad.yaml",
                "listen: 127.0.0.1:0\n"
                "tls:\n"
                "  server_cert: a\n"
                "  server_key: b\n"
                "  client_ca: c\n"
                "policies_dir: p\n"
                "audit: {database: a.db, pseudonym_key_file: k, checkpoint_key_file: c}\n"
                "state: {database: s.db}\n"
                "sources:\n"
                "  - name: s\n"
                "    owner: coa\n"
                "    kind: sqlite_fixture\n"
                "    recordtypes: [noa.Assessment]\n");
  auto config = LoadGatewayConfig(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(std::string(config.status().message()).rfind(path + ":13:", 0), 0u) << config.status();
  EXPECT_NE(std::string(config.status().message()).find("recordtypes"), std::string::npos);
}

TEST(GatewayConfigTest, MissingFileIsAClearError) {
  auto config = LoadGatewayConfig("/nonexistent/ketenpoort.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(std::string(config.status().message()).find("/nonexistent/ketenpoort.yaml"),
            std::string::npos);
}

}  // namespace
}  // namespace ketenpoort::config
