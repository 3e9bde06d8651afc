#include "gateway/filter/field_selection.h"

#include <algorithm>

namespace ketenpoort::filter {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

FieldSelection::Node& FieldSelection::ChildFor(Node& parent, const FieldDescriptor* field) {
  auto it = std::lower_bound(parent.children.begin(), parent.children.end(), field,
                             [](const Node& node, const FieldDescriptor* f) {
                               return node.field->number() < f->number();
                             });
  if (it != parent.children.end() && it->field == field) return *it;
  Node child;
  child.field = field;
  return *parent.children.insert(it, std::move(child));
}

void FieldSelection::Add(const records::FieldPath& path) {
  Node* node = &root_;
  for (const FieldDescriptor* field : path.fields) {
    node = &ChildFor(*node, field);
    if (node->whole) return;  // already selected through a parent
  }
  node->whole = true;
  node->children.clear();
}

bool FieldSelection::Covers(std::initializer_list<const FieldDescriptor*> path) const {
  const Node* node = &root_;
  for (const FieldDescriptor* field : path) {
    auto child = std::find_if(node->children.begin(), node->children.end(),
                              [field](const Node& candidate) { return candidate.field == field; });
    if (child == node->children.end()) return false;
    if (child->whole) return true;
    node = &*child;
  }
  return false;
}

int FieldSelection::AddCategory(const Descriptor* type, DataCategory category) {
  int matched = 0;
  // Depth-first over leaves; schemas are small and acyclic.
  std::vector<const FieldDescriptor*> stack;
  auto visit = [&](auto&& self, const Descriptor* message) -> void {
    for (int i = 0; i < message->field_count(); ++i) {
      const FieldDescriptor* field = message->field(i);
      stack.push_back(field);
      if (field->message_type() != nullptr) {
        self(self, field->message_type());
      } else if (records::RecordCatalog::CategoryOf(field) == category) {
        Add(records::FieldPath{"", stack});
        ++matched;
      }
      stack.pop_back();
    }
  };
  visit(visit, type);
  return matched;
}

void CopyField(const Message& source, const FieldDescriptor* field, Message* target) {
  const Reflection* from = source.GetReflection();
  const Reflection* to = target->GetReflection();
  if (field->is_repeated()) {
    const int size = from->FieldSize(source, field);
    for (int i = 0; i < size; ++i) {
      switch (field->cpp_type()) {
#define KP_COPY_REPEATED(CPPTYPE, Name)                                      \
  case FieldDescriptor::CPPTYPE:                                             \
    to->Add##Name(target, field, from->GetRepeated##Name(source, field, i)); \
    break;
        KP_COPY_REPEATED(CPPTYPE_INT32, Int32)
        KP_COPY_REPEATED(CPPTYPE_INT64, Int64)
        KP_COPY_REPEATED(CPPTYPE_UINT32, UInt32)
        KP_COPY_REPEATED(CPPTYPE_UINT64, UInt64)
        KP_COPY_REPEATED(CPPTYPE_DOUBLE, Double)
        KP_COPY_REPEATED(CPPTYPE_FLOAT, Float)
        KP_COPY_REPEATED(CPPTYPE_BOOL, Bool)
        KP_COPY_REPEATED(CPPTYPE_STRING, String)
#undef KP_COPY_REPEATED
        case FieldDescriptor::CPPTYPE_ENUM:
          to->AddEnumValue(target, field, from->GetRepeatedEnumValue(source, field, i));
          break;
        case FieldDescriptor::CPPTYPE_MESSAGE:
          to->AddMessage(target, field)->CopyFrom(from->GetRepeatedMessage(source, field, i));
          break;
      }
    }
    return;
  }
  if (!from->HasField(source, field)) return;
  switch (field->cpp_type()) {
#define KP_COPY_SINGULAR(CPPTYPE, Name)                           \
  case FieldDescriptor::CPPTYPE:                                  \
    to->Set##Name(target, field, from->Get##Name(source, field)); \
    break;
    KP_COPY_SINGULAR(CPPTYPE_INT32, Int32)
    KP_COPY_SINGULAR(CPPTYPE_INT64, Int64)
    KP_COPY_SINGULAR(CPPTYPE_UINT32, UInt32)
    KP_COPY_SINGULAR(CPPTYPE_UINT64, UInt64)
    KP_COPY_SINGULAR(CPPTYPE_DOUBLE, Double)
    KP_COPY_SINGULAR(CPPTYPE_FLOAT, Float)
    KP_COPY_SINGULAR(CPPTYPE_BOOL, Bool)
    KP_COPY_SINGULAR(CPPTYPE_STRING, String)
#undef KP_COPY_SINGULAR
    case FieldDescriptor::CPPTYPE_ENUM:
      to->SetEnumValue(target, field, from->GetEnumValue(source, field));
      break;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      to->MutableMessage(target, field)->CopyFrom(from->GetMessage(source, field));
      break;
  }
}

void FieldSelection::Copy(const Node& node, const Message& source, Message* target) {
  const Reflection* from = source.GetReflection();
  const Reflection* to = target->GetReflection();
  for (const Node& child : node.children) {
    const FieldDescriptor* field = child.field;
    if (child.whole) {
      CopyField(source, field, target);
    } else if (field->is_repeated()) {
      const int size = from->FieldSize(source, field);
      for (int i = 0; i < size; ++i) {
        Copy(child, from->GetRepeatedMessage(source, field, i), to->AddMessage(target, field));
      }
    } else if (from->HasField(source, field)) {
      Copy(child, from->GetMessage(source, field), to->MutableMessage(target, field));
    }
  }
}

void FieldSelection::CopySelected(const Message& source, Message* target) const {
  Copy(root_, source, target);
}

void FieldSelection::CollectCategories(const Node& node, bool whole, std::set<DataCategory>* out) {
  if (whole) {
    // Everything beneath this node is released.
    const Descriptor* type = node.field->message_type();
    out->insert(records::RecordCatalog::CategoryOf(node.field));
    if (type == nullptr) return;
    for (int i = 0; i < type->field_count(); ++i) {
      Node leaf;
      leaf.field = type->field(i);
      CollectCategories(leaf, true, out);
    }
    return;
  }
  for (const Node& child : node.children) CollectCategories(child, child.whole, out);
}

std::set<DataCategory> FieldSelection::Categories() const {
  std::set<DataCategory> out;
  CollectCategories(root_, false, &out);
  out.erase(DATA_CATEGORY_UNSPECIFIED);
  return out;
}

}  // namespace ketenpoort::filter
