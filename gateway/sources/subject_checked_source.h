// A SourceAdapter that lets through only records about the subject asked.
//
// SourceRouter wraps every source it creates in one, so every fetch path
// (GetRecord, hand-over, the inburgering projection) is checked. After a
// fetch succeeds, the record's `subject_id` field, or one of the identifiers
// the source's answer names for the person (adapters::SourceAnswer), must be
// the subject_id asked for; the record must also be of the type asked for.
// Otherwise the fetch fails UNAVAILABLE SOURCE_BAD_RECORD, naming the source
// but no person, and is logged without personal data; callers audit a
// failed fetch as FAILED, so nothing is released. A record type without a
// string `subject_id` field is refused when the wrapper is created, so the
// check cannot be skipped.
//
// Thread-safe as far as the wrapped adapter is: the wrapper's own state is
// immutable. Owns the wrapped adapter.
#ifndef KETENPOORT_GATEWAY_SOURCES_SUBJECT_CHECKED_SOURCE_H_
#define KETENPOORT_GATEWAY_SOURCES_SUBJECT_CHECKED_SOURCE_H_

#include <google/protobuf/descriptor.h>

#include <map>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "adapters/source_adapter.h"

namespace ketenpoort::sources {

class SubjectCheckedSource final : public adapters::SourceAdapter {
 public:
  // Wraps `inner`, which serves `record_types`. INVALID_ARGUMENT BAD_CONFIG
  // naming the first record type that has no string subject_id field.
  static absl::StatusOr<std::unique_ptr<SubjectCheckedSource>> Create(
      adapters::SourceAdapterPtr inner,
      const std::vector<const google::protobuf::Descriptor*>& record_types);

  std::string_view name() const override { return inner_->name(); }
  adapters::FetchResult Fetch(const adapters::FetchRequest& request) override;
  void FetchAsync(const adapters::FetchRequest& request, adapters::FetchDone done) override;
  void FetchAnswerAsync(const adapters::FetchRequest& request, adapters::AnswerDone done) override;

  // The singular string field `subject_id` of `type`, or nullptr.
  static const google::protobuf::FieldDescriptor* SubjectField(
      const google::protobuf::Descriptor* type);

 private:
  using SubjectFields =
      std::map<const google::protobuf::Descriptor*, const google::protobuf::FieldDescriptor*>;

  SubjectCheckedSource(adapters::SourceAdapterPtr inner, SubjectFields subject_fields)
      : subject_fields_(std::move(subject_fields)), inner_(std::move(inner)) {}

  // `answer` if it is about `subject_id` and of type `type`; otherwise
  // SOURCE_BAD_RECORD.
  adapters::AnswerResult Check(std::string_view subject_id,
                               const google::protobuf::Descriptor* type,
                               adapters::AnswerResult answer) const;
  adapters::AnswerResult Refuse(std::string_view event, std::string_view record_type,
                                std::string_view what) const;

  const SubjectFields subject_fields_;  // by record type served
  // Last, so it is destroyed first: answers it gives while closing still
  // find the wrapper whole.
  const adapters::SourceAdapterPtr inner_;
};

}  // namespace ketenpoort::sources

#endif  // KETENPOORT_GATEWAY_SOURCES_SUBJECT_CHECKED_SOURCE_H_
