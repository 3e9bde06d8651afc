// The release filter over arbitrary records of every type, under every
// shipped rule for that type, with arbitrary recipients, keys and dates:
// never a crash, and always a record of the same type that serializes.
#include <fuzzer/FuzzedDataProvider.h>
#include <google/protobuf/message.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "gateway/policy/rule.h"
#include "gateway/server/release.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto policies = ketenpoort::fuzz::ShippedPolicies();
  const auto& catalog = ketenpoort::records::RecordCatalog::Builtin();
  static const std::vector<const ketenpoort::policy::Rule*> rules = [&] {
    std::vector<const ketenpoort::policy::Rule*> all;
    for (const auto& rule : policies->rules()) all.push_back(rule.get());
    return all;
  }();
  FuzzedDataProvider input(data, size);
  const ketenpoort::policy::Rule& rule =
      *rules[input.ConsumeIntegralInRange<size_t>(0, rules.size() - 1)];
  const google::protobuf::Descriptor* type = catalog.Find(rule.record_type);
  if (type == nullptr) return 0;  // rules over lists or aggregates name no record
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
  std::unique_ptr<google::protobuf::Message> record(prototype->New());
  const std::string key = input.ConsumeBytesAsString(32);
  const std::string recipient = input.ConsumeRandomLengthString(24);
  const int64_t today = input.ConsumeIntegralInRange<int64_t>(0, 50'000);
  if (!record->ParsePartialFromString(input.ConsumeRemainingBytesAsString())) return 0;
  std::unique_ptr<google::protobuf::Message> released =
      ketenpoort::server::FilterRecord(rule, *record, {recipient, key, today});
  if (released == nullptr || released->GetDescriptor() != type) std::abort();
  (void)released->SerializeAsString();
  return 0;
}
