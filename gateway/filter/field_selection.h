// A set of field paths inside one record type, and the copy that keeps
// only those fields.
//
// Filtering builds a *new* message holding only selected fields, rather
// than clearing unselected ones from the source record: an allowlist by
// construction, so a field added to a schema later is never released by
// accident. Immutable once built; CopySelected is thread-safe.
#ifndef KETENPOORT_GATEWAY_FILTER_FIELD_SELECTION_H_
#define KETENPOORT_GATEWAY_FILTER_FIELD_SELECTION_H_

#include <google/protobuf/message.h>

#include <initializer_list>
#include <set>
#include <vector>

#include "gateway/records/record_catalog.h"

namespace ketenpoort::filter {

class FieldSelection {
 public:
  // Selects the field at the end of `path` with everything beneath it.
  void Add(const records::FieldPath& path);
  // Selects every leaf field of `type` (recursively) whose category is
  // `category`; returns how many leaves matched.
  int AddCategory(const google::protobuf::Descriptor* type, DataCategory category);

  bool empty() const { return root_.children.empty(); }

  // Whether the field at the end of `path` is selected, itself or through
  // a selected parent (a field selected only in part is not).
  bool Covers(std::initializer_list<const google::protobuf::FieldDescriptor*> path) const;

  // Copies the selected fields of `source` into `target`, which must be of
  // the same type and empty. Unselected fields stay absent in `target`.
  void CopySelected(const google::protobuf::Message& source,
                    google::protobuf::Message* target) const;

  // Categories of every selected field (selected subtrees included).
  std::set<DataCategory> Categories() const;

 private:
  struct Node {
    const google::protobuf::FieldDescriptor* field = nullptr;
    bool whole = false;          // the entire field, with everything beneath it
    std::vector<Node> children;  // kept in field-number order
  };

  static Node& ChildFor(Node& parent, const google::protobuf::FieldDescriptor* field);
  static void Copy(const Node& node, const google::protobuf::Message& source,
                   google::protobuf::Message* target);
  static void CollectCategories(const Node& node, bool whole, std::set<DataCategory>* out);

  Node root_;
};

// Copies one field (all elements when repeated) from source to target.
void CopyField(const google::protobuf::Message& source,
               const google::protobuf::FieldDescriptor* field, google::protobuf::Message* target);

}  // namespace ketenpoort::filter

#endif  // KETENPOORT_GATEWAY_FILTER_FIELD_SELECTION_H_
