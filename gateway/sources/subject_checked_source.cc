#include "gateway/sources/subject_checked_source.h"

#include <algorithm>
#include <future>
#include <string>

#include "gateway/common/error.h"
#include "gateway/common/log.h"
#include "ketenpoort/options.pb.h"

namespace ketenpoort::sources {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

adapters::FetchResult RecordOf(adapters::AnswerResult answer) {
  if (!answer.ok()) return answer.status();
  return std::move(answer->record);
}

}  // namespace

const FieldDescriptor* SubjectCheckedSource::SubjectField(const Descriptor* type) {
  const FieldDescriptor* field = type == nullptr ? nullptr : type->FindFieldByName("subject_id");
  if (field == nullptr || field->type() != FieldDescriptor::TYPE_STRING || field->is_repeated()) {
    return nullptr;
  }
  return field;
}

absl::StatusOr<std::unique_ptr<SubjectCheckedSource>> SubjectCheckedSource::Create(
    adapters::SourceAdapterPtr inner, const std::vector<const Descriptor*>& record_types) {
  SubjectFields subject_fields;
  for (const Descriptor* type : record_types) {
    const FieldDescriptor* field = SubjectField(type);
    if (field == nullptr) {
      const std::string record_type =
          type == nullptr ? "(none)" : type->options().GetExtension(ketenpoort::record_type);
      return MakeError(absl::StatusCode::kInvalidArgument, "BAD_CONFIG",
                       "record type '" + record_type +
                           "' has no string field subject_id, so the records of source '" +
                           std::string(inner->name()) +
                           "' cannot be checked to be about the subject asked");
    }
    subject_fields.emplace(type, field);
  }
  return std::unique_ptr<SubjectCheckedSource>(
      new SubjectCheckedSource(std::move(inner), std::move(subject_fields)));
}

adapters::FetchResult SubjectCheckedSource::Fetch(const adapters::FetchRequest& request) {
  std::promise<adapters::AnswerResult> promise;
  std::future<adapters::AnswerResult> answer = promise.get_future();
  FetchAnswerAsync(
      request, [&promise](adapters::AnswerResult result) { promise.set_value(std::move(result)); });
  return RecordOf(answer.get());
}

void SubjectCheckedSource::FetchAsync(const adapters::FetchRequest& request,
                                      adapters::FetchDone done) {
  FetchAnswerAsync(request, [done = std::move(done)](adapters::AnswerResult answer) {
    done(RecordOf(std::move(answer)));
  });
}

void SubjectCheckedSource::FetchAnswerAsync(const adapters::FetchRequest& request,
                                            adapters::AnswerDone done) {
  // The request's views need only live until this returns.
  inner_->FetchAnswerAsync(
      request, [this, subject_id = std::string(request.subject_id), type = request.descriptor,
                done = std::move(done)](adapters::AnswerResult answer) {
        done(Check(subject_id, type, std::move(answer)));
      });
}

adapters::AnswerResult SubjectCheckedSource::Check(std::string_view subject_id,
                                                   const Descriptor* type,
                                                   adapters::AnswerResult answer) const {
  if (!answer.ok()) return answer;
  const google::protobuf::Message* record = answer->record.get();
  if (record == nullptr) return Refuse("source_no_record", "", "returned no record");
  const Descriptor* actual = record->GetDescriptor();
  const auto field = subject_fields_.find(actual);
  const std::string& record_type = actual->options().GetExtension(ketenpoort::record_type);
  if (field == subject_fields_.end() || (type != nullptr && actual != type)) {
    return Refuse("source_wrong_type", record_type, "returned a record of another type");
  }
  std::string scratch;
  const std::string& carried =
      record->GetReflection()->GetStringReference(*record, field->second, &scratch);
  const std::vector<std::string>& named = answer->subject_ids;
  if (!subject_id.empty() &&
      (carried == subject_id || std::find(named.begin(), named.end(), subject_id) != named.end())) {
    return answer;
  }
  return Refuse("source_wrong_subject", record_type,
                "returned a record about another person than asked");
}

adapters::AnswerResult SubjectCheckedSource::Refuse(std::string_view event,
                                                    std::string_view record_type,
                                                    std::string_view what) const {
  // Operational facts only: the source and record type, never a subject.
  const std::string source(name());
  log::Warn(event, {{"source", source}, {"record_type", std::string(record_type)}});
  return MakeError(absl::StatusCode::kUnavailable, "SOURCE_BAD_RECORD",
                   "source '" + source + "' " + std::string(what) + "; no data was released",
                   {{"source", source}});
}

}  // namespace ketenpoort::sources
