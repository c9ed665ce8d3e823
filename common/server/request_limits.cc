#include "common/server/request_limits.h"

#include <google/protobuf/descriptor.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rusta/v1/limits.pb.h"

namespace rusta::server {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

int MaxLength(const FieldDescriptor& field) {
  const auto& options = field.options();
  return options.HasExtension(v1::max_length) ? options.GetExtension(v1::max_length)
                                              : kDefaultMaxLength;
}

int MaxItems(const FieldDescriptor& field) {
  const auto& options = field.options();
  return options.HasExtension(v1::max_items) ? options.GetExtension(v1::max_items)
                                             : kDefaultMaxItems;
}

// Unicode characters of a UTF-8 string (the parser has already refused invalid UTF-8): every byte
// that does not continue a sequence starts a character.
size_t Characters(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

absl::Status TooLong(const std::string& path, const FieldDescriptor& field, int max) {
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": at most ", max, field.type() == FieldDescriptor::TYPE_BYTES ? " bytes" : " characters"));
}

// `value` of a string or bytes field (or map key/value, bounded by `limit_from`'s options).
absl::Status CheckText(const std::string& value, const FieldDescriptor& field,
                       const FieldDescriptor& limit_from, const std::string& path) {
  const int max = MaxLength(limit_from);
  // Bytes are never fewer than characters: only a value longer in bytes needs counting.
  if (value.size() <= static_cast<size_t>(max)) return absl::OkStatus();
  if (field.type() == FieldDescriptor::TYPE_BYTES || Characters(value) > static_cast<size_t>(max)) {
    return TooLong(path, field, max);
  }
  return absl::OkStatus();
}

absl::Status CheckMessage(const Message& message, const std::string& path);

bool IsText(const FieldDescriptor& field) {
  return field.type() == FieldDescriptor::TYPE_STRING || field.type() == FieldDescriptor::TYPE_BYTES;
}

// A map entry, addressed by its key: `labels["x"]` or `counts[7]`. The key is checked first, so
// what the path quotes is within its limit.
absl::Status CheckMapEntry(const Message& entry, const FieldDescriptor& map_field,
                           const std::string& path) {
  const google::protobuf::Descriptor* type = entry.GetDescriptor();
  const FieldDescriptor* key = type->map_key();
  const FieldDescriptor* value = type->map_value();
  const Reflection* r = entry.GetReflection();
  std::string entry_path;
  if (key->type() == FieldDescriptor::TYPE_STRING) {
    const std::string k = r->GetString(entry, key);
    if (absl::Status s = CheckText(k, *key, map_field, absl::StrCat(path, " key")); !s.ok()) return s;
    entry_path = absl::StrCat(path, "[\"", k, "\"]");
  } else {
    std::string k;
    switch (key->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: k = absl::StrCat(r->GetInt32(entry, key)); break;
      case FieldDescriptor::CPPTYPE_INT64: k = absl::StrCat(r->GetInt64(entry, key)); break;
      case FieldDescriptor::CPPTYPE_UINT32: k = absl::StrCat(r->GetUInt32(entry, key)); break;
      case FieldDescriptor::CPPTYPE_UINT64: k = absl::StrCat(r->GetUInt64(entry, key)); break;
      case FieldDescriptor::CPPTYPE_BOOL: k = r->GetBool(entry, key) ? "true" : "false"; break;
      default: break;
    }
    entry_path = absl::StrCat(path, "[", k, "]");
  }
  if (IsText(*value)) return CheckText(r->GetString(entry, value), *value, map_field, entry_path);
  if (value->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    return CheckMessage(r->GetMessage(entry, value), entry_path);
  }
  return absl::OkStatus();
}

absl::Status CheckField(const Message& message, const FieldDescriptor& field,
                        const std::string& path) {
  const Reflection* r = message.GetReflection();
  if (field.is_repeated()) {
    const int count = r->FieldSize(message, &field);
    // The count first: a list over its maximum is refused without walking it.
    if (count > MaxItems(field)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": at most ", MaxItems(field), " entries"));
    }
    for (int i = 0; i < count; ++i) {
      if (field.is_map()) {
        if (absl::Status s = CheckMapEntry(r->GetRepeatedMessage(message, &field, i), field, path);
            !s.ok()) {
          return s;
        }
        continue;
      }
      const std::string element = absl::StrCat(path, "[", i, "]");
      absl::Status s;
      if (IsText(field)) {
        std::string scratch;
        s = CheckText(r->GetRepeatedStringReference(message, &field, i, &scratch), field, field,
                      element);
      } else if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        s = CheckMessage(r->GetRepeatedMessage(message, &field, i), element);
      }
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
  if (IsText(field)) {
    std::string scratch;
    return CheckText(r->GetStringReference(message, &field, &scratch), field, field, path);
  }
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    return CheckMessage(r->GetMessage(message, &field), path);
  }
  return absl::OkStatus();
}

absl::Status CheckMessage(const Message& message, const std::string& path) {
  std::vector<const FieldDescriptor*> fields;
  // Only the fields that are set: an empty request costs nothing.
  message.GetReflection()->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string field_path = path.empty() ? field->name() : absl::StrCat(path, ".", field->name());
    if (absl::Status s = CheckField(message, *field, field_path); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyRequestLimits(google::protobuf::Message& request) {
  // Recursive (sub-messages, repeated messages, map values): nothing unknown is ever stored.
  request.DiscardUnknownFields();
  return CheckMessage(request, "");
}

}  // namespace rusta::server
