// ketenpoort-load: a gRPC load driver for Ketenpoort and what it is
// compared with (issue 8). Asynchronous C++ client over mutual TLS.
//
//   ketenpoort-load --target 127.0.0.1:PORT --call gateway|source
//       --ca CA --cert CERT --key KEY [--server-name localhost]
//       --subjects FILE --record-type noa.Assessment
//       [--purpose CONTINUITY_OF_CARE --actor-role huisarts]
//       --mode closed --concurrency 32 | --mode open --rate 5000
//       [--seconds 10] [--warmup 2] [--channels 4]
//
// Closed loop keeps `concurrency` calls outstanding. Open loop starts
// calls on a fixed schedule and measures each from its scheduled time, so
// a slow server cannot hide its queueing (no coordinated omission); calls
// beyond 20,000 outstanding count as errors instead of piling up.
// Prints one JSON object: throughput, latency percentiles, errors by code,
// and the CPU time the driver itself used.
// Loopback targets only; every run stops by itself.
#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "gateway/common/openssl_lifetime.h"
#include "ketenpoort/v1/dossier.grpc.pb.h"
#include "ketenpoort/v1/source.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string target;
  std::string call = "gateway";
  std::string ca, cert, key, server_name;
  std::string subjects_file;
  std::string record_type = "noa.Assessment";
  std::string purpose = "CONTINUITY_OF_CARE";
  std::string actor_role;
  std::string mode = "closed";
  int concurrency = 16;
  double rate = 1000;
  double seconds = 10;
  double warmup = 1;
  int channels = 4;
};

bool IsLoopbackTarget(const std::string& target) {
  return target.rfind("127.", 0) == 0 || target.rfind("[::1]:", 0) == 0 ||
         target.rfind("localhost:", 0) == 0;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// One call in flight. Both kinds of call share the bookkeeping.
struct Call {
  Clock::time_point started;  // when it was due (open loop) or started
  int64_t start_lag_us = 0;   // how late the driver started it
  grpc::ClientContext context;
  grpc::Status status;
  ketenpoort::v1::GetRecordResponse record_response;
  ketenpoort::v1::FetchRecordResponse fetch_response;
  std::unique_ptr<grpc::ClientAsyncResponseReader<ketenpoort::v1::GetRecordResponse>> record;
  std::unique_ptr<grpc::ClientAsyncResponseReader<ketenpoort::v1::FetchRecordResponse>> fetch;
};

class Driver {
 public:
  Driver(const Options& options, std::vector<std::string> subjects)
      : options_(options), subjects_(std::move(subjects)) {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = ReadFile(options.ca);
    tls.pem_cert_chain = ReadFile(options.cert);
    tls.pem_private_key = ReadFile(options.key);
    for (int i = 0; i < options.channels; ++i) {
      grpc::ChannelArguments args;
      if (!options.server_name.empty()) args.SetSslTargetNameOverride(options.server_name);
      // Separate connections, not one shared HTTP/2 connection.
      args.SetInt("ketenpoort.load.channel", i);
      auto channel = grpc::CreateCustomChannel(options.target, grpc::SslCredentials(tls), args);
      gateway_stubs_.push_back(ketenpoort::v1::DossierService::NewStub(channel));
      source_stubs_.push_back(ketenpoort::v1::SourceService::NewStub(channel));
    }
    ketenpoort::v1::Purpose_Parse(options.purpose, &purpose_);
  }

  nlohmann::json Run() {
    const auto begin = Clock::now();
    measure_from_ = begin + ToDuration(options_.warmup);
    stop_at_ = measure_from_ + ToDuration(options_.seconds);
    std::thread completions([this] { Complete(); });
    if (options_.mode == "closed") {
      for (int i = 0; i < options_.concurrency; ++i) Start(Clock::now());
    } else {
      Schedule();
    }
    // Closed loop stops re-issuing at stop_at_; wait for the stragglers.
    while ((Clock::now() < stop_at_ || outstanding_.load() > 0) &&
           Clock::now() < stop_at_ + std::chrono::seconds(30)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    queue_.Shutdown();
    completions.join();

    std::sort(latencies_us_.begin(), latencies_us_.end());
    std::sort(start_lags_us_.begin(), start_lags_us_.end());
    auto percentile_of = [](const std::vector<int64_t>& sorted, double p) -> int64_t {
      if (sorted.empty()) return 0;
      return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()))];
    };
    auto percentile = [&](double p) { return percentile_of(latencies_us_, p); };
    nlohmann::json errors = nlohmann::json::object();
    for (const auto& [code, count] : errors_) errors[code] = count;
    const double measured = options_.seconds;
    return {{"target", options_.target},
            {"call", options_.call},
            {"mode", options_.mode},
            {"concurrency", options_.mode == "closed" ? options_.concurrency : 0},
            {"rate", options_.mode == "open" ? options_.rate : 0},
            {"seconds", measured},
            {"ok", latencies_us_.size()},
            {"errors", error_count_},
            {"error_codes", errors},
            {"throughput", static_cast<double>(latencies_us_.size()) / measured},
            {"p50_us", percentile(0.50)},
            {"p90_us", percentile(0.90)},
            {"p99_us", percentile(0.99)},
            {"p999_us", percentile(0.999)},
            {"max_us", latencies_us_.empty() ? 0 : latencies_us_.back()},
            // Open loop: how late the driver itself started calls. Latency
            // counts from the due time, so a late driver shows up as
            // latency; a high value here says the tail is the driver's.
            {"start_lag_p99_us", percentile_of(start_lags_us_, 0.99)},
            {"start_lag_max_us", start_lags_us_.empty() ? 0 : start_lags_us_.back()},
            // Every call made, warm-up included, for counting audit entries
            // and for the CPU cost per call.
            {"calls_total", calls_total_.load()},
            {"cpu_seconds", CpuSeconds()}};
  }

 private:
  // User and system time of this process so far: the driver's own cost.
  static double CpuSeconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
  }

  static Clock::duration ToDuration(double seconds) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  void Start(Clock::time_point scheduled) {
    const uint64_t n = next_++;
    auto* call = new Call;
    call->started = scheduled;
    call->start_lag_us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - scheduled).count();
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    const std::string& subject = subjects_[n % subjects_.size()];
    const size_t channel = n % gateway_stubs_.size();
    ++outstanding_;
    ++calls_total_;
    if (options_.call == "gateway") {
      call->context.AddMetadata("x-actor-id", "load-" + std::to_string(n % 64));
      if (!options_.actor_role.empty())
        call->context.AddMetadata("x-actor-role", options_.actor_role);
      ketenpoort::v1::GetRecordRequest request;
      request.set_subject_id(subject);
      request.set_record_type(options_.record_type);
      request.set_purpose(purpose_);
      call->record = gateway_stubs_[channel]->AsyncGetRecord(&call->context, request, &queue_);
      call->record->Finish(&call->record_response, &call->status, call);
    } else {
      ketenpoort::v1::FetchRecordRequest request;
      request.set_subject_id(subject);
      request.set_record_type(options_.record_type);
      call->fetch = source_stubs_[channel]->AsyncFetchRecord(&call->context, request, &queue_);
      call->fetch->Finish(&call->fetch_response, &call->status, call);
    }
  }

  // Open loop: start calls on the schedule, whatever came back.
  void Schedule() {
    const auto begin = Clock::now();
    const double interval_s = 1.0 / options_.rate;
    for (uint64_t i = 0;; ++i) {
      const auto at = begin + ToDuration(static_cast<double>(i) * interval_s);
      if (at >= stop_at_) break;
      std::this_thread::sleep_until(at);
      if (outstanding_.load() >= kMaxOutstanding) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (at >= measure_from_) {
          ++errors_["CLIENT_OVERLOADED"];
          ++error_count_;
        }
        continue;
      }
      Start(at);
    }
  }

  void Complete() {
    void* tag = nullptr;
    bool ok = false;
    while (queue_.Next(&tag, &ok)) {
      auto* call = static_cast<Call*>(tag);
      const auto now = Clock::now();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        // Only calls started inside the measured window count.
        if (call->started >= measure_from_ && call->started < stop_at_) {
          if (call->status.ok()) {
            start_lags_us_.push_back(call->start_lag_us);
            latencies_us_.push_back(
                std::chrono::duration_cast<std::chrono::microseconds>(now - call->started).count());
          } else {
            ++errors_[std::to_string(call->status.error_code()) + " " +
                      call->status.error_message().substr(0, 80)];
            ++error_count_;
          }
        }
      }
      delete call;
      // Re-issue before this call stops counting as outstanding, so the
      // main thread never sees zero while a call is about to start.
      if (options_.mode == "closed" && now < stop_at_) Start(now);
      --outstanding_;
    }
  }

  static constexpr int64_t kMaxOutstanding = 20'000;

  const Options options_;
  const std::vector<std::string> subjects_;
  ketenpoort::v1::Purpose purpose_ = ketenpoort::v1::PURPOSE_UNSPECIFIED;
  std::vector<std::unique_ptr<ketenpoort::v1::DossierService::Stub>> gateway_stubs_;
  std::vector<std::unique_ptr<ketenpoort::v1::SourceService::Stub>> source_stubs_;
  grpc::CompletionQueue queue_;
  Clock::time_point measure_from_;
  Clock::time_point stop_at_;
  std::atomic<uint64_t> next_{0};
  std::atomic<int64_t> outstanding_{0};
  std::atomic<uint64_t> calls_total_{0};
  std::mutex mutex_;
  std::vector<int64_t> latencies_us_;      // guarded by mutex_
  std::vector<int64_t> start_lags_us_;     // guarded by mutex_
  std::map<std::string, int64_t> errors_;  // guarded by mutex_
  int64_t error_count_ = 0;                // guarded by mutex_
};

}  // namespace

int main(int argc, char** argv) {
  if (!ketenpoort::KeepOpenSslUntilProcessExit()) {
    std::fprintf(stderr, "ketenpoort-load: cannot initialise OpenSSL\n");
    return 2;
  }
  CLI::App app{"ketenpoort-load: gRPC load over mutual TLS, closed or open loop"};
  Options o;
  app.add_option("--target", o.target, "host:port, loopback only")->required();
  app.add_option("--call", o.call, "gateway (DossierService.GetRecord) or source (FetchRecord)")
      ->check(CLI::IsMember({"gateway", "source"}))
      ->capture_default_str();
  app.add_option("--ca", o.ca, "CA of the server certificate")->required();
  app.add_option("--cert", o.cert, "client certificate")->required();
  app.add_option("--key", o.key, "client key")->required();
  app.add_option("--server-name", o.server_name, "expected name in the server certificate");
  app.add_option("--subjects", o.subjects_file, "file with one subject id per line")->required();
  app.add_option("--record-type", o.record_type)->capture_default_str();
  app.add_option("--purpose", o.purpose)->capture_default_str();
  app.add_option("--actor-role", o.actor_role);
  app.add_option("--mode", o.mode)->check(CLI::IsMember({"closed", "open"}))->capture_default_str();
  app.add_option("--concurrency", o.concurrency)->check(CLI::Range(1, 4096))->capture_default_str();
  app.add_option("--rate", o.rate, "calls per second (open loop)")
      ->check(CLI::Range(1.0, 1'000'000.0))
      ->capture_default_str();
  app.add_option("--seconds", o.seconds, "measured time")
      ->check(CLI::Range(0.5, 3600.0))  // a soak runs 30 minutes
      ->capture_default_str();
  app.add_option("--warmup", o.warmup, "unmeasured time first")
      ->check(CLI::Range(0.0, 60.0))
      ->capture_default_str();
  app.add_option("--channels", o.channels, "connections")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (!IsLoopbackTarget(o.target)) {
    std::fprintf(stderr, "ketenpoort-load: --target must be a loopback address, not %s\n",
                 o.target.c_str());
    return 2;
  }
  std::vector<std::string> subjects;
  std::ifstream in(o.subjects_file);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) subjects.push_back(line);
  }
  if (subjects.empty()) {
    std::fprintf(stderr, "ketenpoort-load: no subjects in %s\n", o.subjects_file.c_str());
    return 2;
  }
  Driver driver(o, std::move(subjects));
  const nlohmann::json result = driver.Run();
  std::printf("%s\n", result.dump().c_str());
  return result["errors"].get<int64_t>() == 0 ? 0 : 1;
}
