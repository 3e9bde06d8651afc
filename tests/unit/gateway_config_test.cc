#include "gateway/config/gateway_config.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <utility>
#include <vector>

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
  // One source per partner that holds records, all from the fixture file.
  std::vector<std::string> owners;
  for (const auto& source : config->sources) {
    EXPECT_EQ(source.kind, "sqlite_fixture");
    EXPECT_EQ(source.database, testing::SourceDir() + "/var/fixtures.db");
    owners.push_back(source.owner);
  }
  EXPECT_EQ(owners,
            (std::vector<std::string>{"coa", "gca", "ggd-pga", "duo", "vwn-midden-nederland"}));
}

constexpr char kConfigHead[] =
    "listen: 127.0.0.1:0\n"
    "tls: {server_cert: a, server_key: b, client_ca: c}\n"
    "policies_dir: p\n"
    "audit: {database: a.db, pseudonym_key_file: k, checkpoint_key_file: c}\n"
    "state: {database: s.db}\n"
    "sources:\n";

TEST(GatewayConfigTest, UpstreamSourceSettingsResolveAgainstTheConfigDirectory) {
  testing::TempDir dir;
  auto config = LoadGatewayConfig(
      dir.Write("gateway.yaml", std::string(kConfigHead) +
                                    "  - name: gca-his\n"
                                    "    owner: gca\n"
                                    "    kind: grpc_upstream\n"
                                    "    target: 127.0.0.1:50061\n"
                                    "    tls: {ca: ca.crt, cert: gw.crt, key: gw.key,\n"
                                    "          server_name: localhost}\n"
                                    "    timeout_ms: 750\n"
                                    "    max_attempts: 4\n"
                                    "    max_batch: 32\n"
                                    "    max_calls_in_flight: 12\n"
                                    "    record_types: [gca.MedicalDossier]\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  const adapters::UpstreamConfig& upstream = config->sources.at(0).upstream;
  EXPECT_EQ(upstream.target, "127.0.0.1:50061");
  EXPECT_EQ(upstream.ca_file, dir.File("ca.crt"));
  EXPECT_EQ(upstream.key_file, dir.File("gw.key"));
  EXPECT_EQ(upstream.server_name, "localhost");
  EXPECT_EQ(upstream.timeout_ms, 750);
  EXPECT_EQ(upstream.max_attempts, 4);
  EXPECT_EQ(upstream.max_batch, 32);
  EXPECT_EQ(upstream.max_calls_in_flight, 12);
}

TEST(GatewayConfigTest, UpstreamSourceBatchesByDefault) {
  testing::TempDir dir;
  auto config = LoadGatewayConfig(
      dir.Write("gateway.yaml", std::string(kConfigHead) +
                                    "  - name: gca-his\n"
                                    "    owner: gca\n"
                                    "    kind: grpc_upstream\n"
                                    "    target: 127.0.0.1:50061\n"
                                    "    tls: {ca: ca.crt, cert: gw.crt, key: gw.key}\n"
                                    "    record_types: [gca.MedicalDossier]\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->sources.at(0).upstream.max_batch, 32);
  EXPECT_EQ(config->sources.at(0).upstream.max_calls_in_flight, 4);
}

TEST(GatewayConfigTest, BadUpstreamSettingsNameFileAndLine) {
  testing::TempDir dir;
  const std::string path =
      dir.Write("gateway.yaml", std::string(kConfigHead) +
                                    "  - name: gca-his\n"
                                    "    owner: gca\n"
                                    "    kind: grpc_upstream\n"
                                    "    target: 127.0.0.1:50061\n"
                                    "    tls: {ca: a, cert: b, key: c}\n"
                                    "    max_attempts: 9\n"
                                    "    record_types: [gca.MedicalDossier]\n");
  auto config = LoadGatewayConfig(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(std::string(config.status().message()).rfind(path + ":12:", 0), 0u) << config.status();

  // One fetch per call unless asked, and no more than the bound per call.
  // Batches and calls in flight within their bounds.
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"max_batch", "0"},
                                                        {"max_batch", "257"},
                                                        {"max_calls_in_flight", "0"},
                                                        {"max_calls_in_flight", "65"}}) {
    const std::string bounded =
        dir.Write("bounds.yaml", std::string(kConfigHead) +
                                     "  - name: gca-his\n"
                                     "    owner: gca\n"
                                     "    kind: grpc_upstream\n"
                                     "    target: 127.0.0.1:50061\n"
                                     "    tls: {ca: a, cert: b, key: c}\n"
                                     "    " +
                                     key + ": " + value +
                                     "\n"
                                     "    record_types: [gca.MedicalDossier]\n");
    auto refused = LoadGatewayConfig(bounded);
    ASSERT_FALSE(refused.ok()) << key << " " << value;
    EXPECT_EQ(std::string(refused.status().message()).rfind(bounded + ":12:", 0), 0u)
        << refused.status();
    EXPECT_NE(std::string(refused.status().message()).find(key), std::string::npos);
  }

  const std::string mixed = dir.Write("mixed.yaml", std::string(kConfigHead) +
                                                        "  - name: fixtures\n"
                                                        "    owner: coa\n"
                                                        "    kind: sqlite_fixture\n"
                                                        "    database: f.db\n"
                                                        "    target: 127.0.0.1:1\n"
                                                        "    record_types: [coa.Koppeling]\n");
  config = LoadGatewayConfig(mixed);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(std::string(config.status().message()).find("belongs to kind grpc_upstream"),
            std::string::npos)
      << config.status();
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

TEST(GatewayConfigTest, InburgeringSettingsHaveDefaultsAndBounds) {
  testing::TempDir dir;
  const std::string source =
      "  - {name: s, owner: duo, kind: sqlite_fixture, database: f.db,\n"
      "     record_types: [duo.InburgeringStatus]}\n";
  auto defaults = LoadGatewayConfig(dir.Write("default.yaml", std::string(kConfigHead) + source));
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->inburgering.small_cell_threshold, 5);
  EXPECT_EQ(defaults->inburgering.refresh_seconds, 900);

  auto set =
      LoadGatewayConfig(dir.Write("set.yaml", std::string(kConfigHead) + source +
                                                  "inburgering:\n  small_cell_threshold: 10\n"
                                                  "  refresh_seconds: 60\n"));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->inburgering.small_cell_threshold, 10);
  EXPECT_EQ(set->inburgering.refresh_seconds, 60);

  // A threshold of 1 would publish every count: refused, naming the line.
  const std::string bad = dir.Write(
      "bad.yaml", std::string(kConfigHead) + source + "inburgering:\n  small_cell_threshold: 1\n");
  auto refused = LoadGatewayConfig(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(std::string(refused.status().message()).rfind(bad + ":10:", 0), 0u) << refused.status();
  EXPECT_NE(std::string(refused.status().message()).find("between 2 and 100"), std::string::npos);

  // Publications: daily at 00:00 unless told; a period must divide a day.
  EXPECT_EQ(defaults->inburgering.publish_every_seconds, 86'400);
  EXPECT_EQ(defaults->inburgering.publish_at_minutes, 0);
  auto hourly = LoadGatewayConfig(dir.Write(
      "hourly.yaml", std::string(kConfigHead) + source +
                         "inburgering:\n  publish_every_seconds: 3600\n  publish_at: \"06:30\"\n"));
  ASSERT_TRUE(hourly.ok()) << hourly.status();
  EXPECT_EQ(hourly->inburgering.publish_every_seconds, 3600);
  EXPECT_EQ(hourly->inburgering.publish_at_minutes, 6 * 60 + 30);
  for (const auto& [setting, line, words] : std::vector<std::tuple<std::string, int, std::string>>{
           {"  publish_every_seconds: 7000\n", 10, "must divide a day"},
           {"  publish_at: \"24:00\"\n", 10, "HH:MM"},
           {"  publish_at: \"7:5\"\n", 10, "HH:MM"}}) {
    const std::string file = dir.Write(
        "bad-publication.yaml", std::string(kConfigHead) + source + "inburgering:\n" + setting);
    auto wrong = LoadGatewayConfig(file);
    ASSERT_FALSE(wrong.ok()) << setting;
    EXPECT_EQ(
        std::string(wrong.status().message()).rfind(file + ":" + std::to_string(line) + ":", 0), 0u)
        << wrong.status();
    EXPECT_NE(std::string(wrong.status().message()).find(words), std::string::npos)
        << wrong.status();
  }
}

TEST(GatewayConfigTest, ResourceLimitsHaveDefaultsAndBoundsNamingTheLine) {
  testing::TempDir dir;
  const std::string source =
      "  - {name: s, owner: duo, kind: sqlite_fixture, database: f.db,\n"
      "     record_types: [duo.InburgeringStatus]}\n";
  auto defaults = LoadGatewayConfig(dir.Write("default.yaml", std::string(kConfigHead) + source));
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->resources.max_watch_streams_per_partner, 8);
  EXPECT_EQ(defaults->resources.max_connection_age_seconds, 900);

  auto set = LoadGatewayConfig(dir.Write("set.yaml", std::string(kConfigHead) + source +
                                                         "limits:\n"
                                                         "  max_concurrent_streams: 7\n"
                                                         "  max_watch_streams_per_partner: 2\n"
                                                         "  max_consents_per_subject: 3\n"
                                                         "  max_audit_queue: 100\n"
                                                         "  max_connection_age_seconds: 60\n"
                                                         "  max_connection_age_grace_seconds: 5\n"
                                                         "  call_workers: 4\n"
                                                         "  max_queued_calls: 50\n"));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->resources.max_concurrent_streams, 7);
  EXPECT_EQ(set->resources.max_watch_streams_per_partner, 2);
  EXPECT_EQ(set->resources.max_consents_per_subject, 3);
  EXPECT_EQ(set->resources.max_audit_queue, 100);
  EXPECT_EQ(set->resources.max_connection_age_seconds, 60);
  EXPECT_EQ(set->resources.max_connection_age_grace_seconds, 5);
  EXPECT_EQ(set->resources.call_workers, 4);
  EXPECT_EQ(set->resources.max_queued_calls, 50);

  // Zero Watch streams would lock every recipient out: refused, naming the line.
  const std::string bad = dir.Write("bad.yaml", std::string(kConfigHead) + source +
                                                    "limits:\n  max_audit_queue: 100\n"
                                                    "  max_watch_streams_per_partner: 0\n");
  auto refused = LoadGatewayConfig(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(std::string(refused.status().message()).rfind(bad + ":11:", 0), 0u) << refused.status();
  EXPECT_NE(std::string(refused.status().message()).find("between 1 and 10000"), std::string::npos);

  const std::string unknown =
      dir.Write("unknown.yaml", std::string(kConfigHead) + source + "limits:\n  max_streams: 5\n");
  auto unknown_refused = LoadGatewayConfig(unknown);
  ASSERT_FALSE(unknown_refused.ok());
  EXPECT_NE(std::string(unknown_refused.status().message()).find("max_streams"), std::string::npos);
}

TEST(GatewayConfigTest, MissingFileIsAClearError) {
  auto config = LoadGatewayConfig("/nonexistent/ketenpoort.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(std::string(config.status().message()).find("/nonexistent/ketenpoort.yaml"),
            std::string::npos);
}

}  // namespace
}  // namespace ketenpoort::config
