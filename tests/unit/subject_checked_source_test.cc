#include "gateway/sources/subject_checked_source.h"

#include <google/protobuf/descriptor.pb.h>
#include <gtest/gtest.h>

#include <future>
#include <string>

#include "gateway/common/error.h"
#include "gateway/records/record_catalog.h"
#include "gateway/sources/source_router.h"
#include "records/v1/coa.pb.h"
#include "records/v1/noa.pb.h"

namespace ketenpoort::sources {
namespace {

using adapters::FetchRequest;
using adapters::FetchResult;
using records::v1::noa::Assessment;

constexpr std::string_view kAsked = "2000000017";
constexpr std::string_view kOther = "2000000025";
constexpr std::string_view kBsn = "111222333";

// Answers every fetch with an assessment of `carried`, and names `aliases`
// for that person in its answer.
class FakeSource final : public adapters::SourceAdapter {
 public:
  explicit FakeSource(std::string carried, std::vector<std::string> aliases = {})
      : carried_(std::move(carried)), aliases_(std::move(aliases)) {}
  std::string_view name() const override { return "fake-source"; }
  FetchResult Fetch(const FetchRequest&) override {
    auto record = std::make_unique<Assessment>();
    record->set_subject_id(carried_);
    record->set_ptsd_score(40);
    return record;
  }
  void FetchAnswerAsync(const FetchRequest& request, adapters::AnswerDone done) override {
    FetchResult record = Fetch(request);
    done(adapters::SourceAnswer{*std::move(record), aliases_});
  }

 private:
  const std::string carried_;
  const std::vector<std::string> aliases_;
};

// Implements Fetch only, like most adapters: its answer names no one.
class PlainSource final : public adapters::SourceAdapter {
 public:
  explicit PlainSource(FetchResult result) : result_(std::move(result)) {}
  std::string_view name() const override { return "plain-source"; }
  FetchResult Fetch(const FetchRequest&) override {
    if (!result_.ok()) return result_.status();
    auto copy = std::unique_ptr<google::protobuf::Message>((*result_)->New());
    copy->CopyFrom(**result_);
    return copy;
  }

 private:
  const FetchResult result_;
};

std::unique_ptr<SubjectCheckedSource> Checked(adapters::SourceAdapterPtr inner) {
  auto checked = SubjectCheckedSource::Create(
      std::move(inner), {Assessment::descriptor(), records::v1::coa::Koppeling::descriptor()});
  EXPECT_TRUE(checked.ok()) << checked.status();
  return checked.ok() ? std::move(*checked) : nullptr;
}

FetchRequest Ask(std::string_view subject_id,
                 const google::protobuf::Descriptor* type = Assessment::descriptor()) {
  FetchRequest request;
  request.subject_id = subject_id;
  request.record_type = type->options().GetExtension(ketenpoort::record_type);
  request.descriptor = type;
  return request;
}

FetchResult FetchAsyncAndWait(adapters::SourceAdapter& source, const FetchRequest& request) {
  std::promise<FetchResult> promise;
  std::future<FetchResult> result = promise.get_future();
  source.FetchAsync(request, [&promise](FetchResult r) { promise.set_value(std::move(r)); });
  return result.get();
}

// SOURCE_BAD_RECORD, naming the source and no person.
void ExpectBadRecord(const FetchResult& result, std::string_view source) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReason(result.status()), "SOURCE_BAD_RECORD");
  const std::string message(StdView(result.status().message()));
  EXPECT_NE(message.find(source), std::string::npos) << message;
  for (std::string_view id : {kAsked, kOther, kBsn}) {
    EXPECT_EQ(message.find(id), std::string::npos) << message;
  }
}

TEST(SubjectCheckedSourceTest, AnotherPersonsRecordIsRefusedByFetch) {
  auto source = Checked(std::make_unique<FakeSource>(std::string(kOther)));
  ASSERT_NE(source, nullptr);
  ::testing::internal::CaptureStderr();
  const FetchResult result = source->Fetch(Ask(kAsked));
  const std::string log = ::testing::internal::GetCapturedStderr();
  ExpectBadRecord(result, "fake-source");
  // Logged, without personal data.
  EXPECT_NE(log.find("source_wrong_subject"), std::string::npos) << log;
  EXPECT_EQ(log.find(kAsked), std::string::npos) << log;
  EXPECT_EQ(log.find(kOther), std::string::npos) << log;
}

TEST(SubjectCheckedSourceTest, AnotherPersonsRecordIsRefusedByFetchAsync) {
  auto source = Checked(std::make_unique<FakeSource>(std::string(kOther)));
  ASSERT_NE(source, nullptr);
  ExpectBadRecord(FetchAsyncAndWait(*source, Ask(kAsked)), "fake-source");
}

TEST(SubjectCheckedSourceTest, ARecordWithoutSubjectIsRefused) {
  auto source = Checked(std::make_unique<PlainSource>(std::make_unique<Assessment>()));
  ASSERT_NE(source, nullptr);
  ExpectBadRecord(source->Fetch(Ask(kAsked)), "plain-source");
}

TEST(SubjectCheckedSourceTest, TheRightRecordPassesByFetchAndFetchAsync) {
  auto source = Checked(std::make_unique<FakeSource>(std::string(kAsked)));
  ASSERT_NE(source, nullptr);
  for (const FetchResult& result :
       {source->Fetch(Ask(kAsked)), FetchAsyncAndWait(*source, Ask(kAsked))}) {
    ASSERT_TRUE(result.ok()) << result.status();
    const auto* record = dynamic_cast<const Assessment*>(result->get());
    ASSERT_NE(record, nullptr);
    EXPECT_EQ(record->subject_id(), kAsked);
    EXPECT_EQ(record->ptsd_score(), 40);
  }
}

TEST(SubjectCheckedSourceTest, ARecordAskedForByAnIdentifierTheAnswerNamesPasses) {
  // Records carry the V-nummer; asked for by the BSN, which the source
  // names as the same person's.
  auto named = Checked(std::make_unique<FakeSource>(std::string(kAsked),
                                                    std::vector<std::string>{std::string(kBsn)}));
  ASSERT_NE(named, nullptr);
  EXPECT_TRUE(named->Fetch(Ask(kBsn)).ok());
  EXPECT_TRUE(FetchAsyncAndWait(*named, Ask(kBsn)).ok());

  // Without the source naming it, the BSN is not the record's.
  auto unnamed = Checked(std::make_unique<FakeSource>(std::string(kAsked)));
  ASSERT_NE(unnamed, nullptr);
  ExpectBadRecord(unnamed->Fetch(Ask(kBsn)), "fake-source");
}

TEST(SubjectCheckedSourceTest, ARecordOfAnotherTypeThanAskedIsRefused) {
  auto source = Checked(std::make_unique<FakeSource>(std::string(kAsked)));
  ASSERT_NE(source, nullptr);
  ExpectBadRecord(source->Fetch(Ask(kAsked, records::v1::coa::Koppeling::descriptor())),
                  "fake-source");
}

TEST(SubjectCheckedSourceTest, FailuresPassUnchanged) {
  auto source = Checked(std::make_unique<PlainSource>(
      MakeError(absl::StatusCode::kNotFound, "RECORD_NOT_FOUND", "no record")));
  ASSERT_NE(source, nullptr);
  const FetchResult result = source->Fetch(Ask(kAsked));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorReason(result.status()), "RECORD_NOT_FOUND");
}

// A record type with the record_type option but no subject_id field.
const google::protobuf::Descriptor* TypeWithoutSubject(google::protobuf::DescriptorPool& pool) {
  google::protobuf::FileDescriptorProto file;
  file.set_name("test/no_subject.proto");
  file.set_package("test");
  file.set_syntax("proto3");
  google::protobuf::DescriptorProto* message = file.add_message_type();
  message->set_name("NoSubject");
  message->mutable_options()->SetExtension(ketenpoort::record_type, "test.NoSubject");
  google::protobuf::FieldDescriptorProto* field = message->add_field();
  field->set_name("person");
  field->set_number(1);
  field->set_type(google::protobuf::FieldDescriptorProto::TYPE_STRING);
  field->set_label(google::protobuf::FieldDescriptorProto::LABEL_OPTIONAL);
  const google::protobuf::FileDescriptor* built = pool.BuildFile(file);
  return built == nullptr ? nullptr : built->message_type(0);
}

TEST(SubjectCheckedSourceTest, RouterWrapsEverySourceAndRefusesATypeWithoutSubjectAtStart) {
  adapters::AdapterRegistry registry;
  registry.Register("fake", [](const adapters::SourceConfig&) {
    return absl::StatusOr<adapters::SourceAdapterPtr>(
        std::make_unique<FakeSource>(std::string(kOther)));
  });
  adapters::SourceConfig config;
  config.name = "fake-source";
  config.owner = "noa";
  config.kind = "fake";
  config.record_types = {"noa.Assessment"};

  // Every route's source checks the subject.
  auto router = SourceRouter::Create({config}, registry, records::RecordCatalog::Builtin());
  ASSERT_TRUE(router.ok()) << router.status();
  const SourceRouter::Route* route = router->Find("noa.Assessment");
  ASSERT_NE(route, nullptr);
  ExpectBadRecord(route->source->Fetch(Ask(kAsked)), "fake-source");

  google::protobuf::DescriptorPool pool;
  const google::protobuf::Descriptor* without = TypeWithoutSubject(pool);
  ASSERT_NE(without, nullptr);
  const records::RecordCatalog catalog({Assessment::descriptor(), without});
  config.record_types = {"noa.Assessment", "test.NoSubject"};
  auto refused = SourceRouter::Create({config}, registry, catalog);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(ErrorReason(refused.status()), "BAD_CONFIG");
  EXPECT_NE(refused.status().message().find("test.NoSubject"), std::string::npos)
      << refused.status();
}

}  // namespace
}  // namespace ketenpoort::sources
