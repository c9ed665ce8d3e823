#include "common/server/request_limits.h"

#include <google/protobuf/descriptor.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rusta/v1/limits.pb.h"

namespace rusta::server {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// A field over its maximum. The path is built while unwinding, outermost part last, so that a
// valid request (the common case) costs no string building at all.
struct Violation {
  std::string path;  // relative to the message being checked
  std::string what;  // "at most 4096 characters"
  Violation& Under(absl::string_view prefix) {
    // `items[2]` + `.note`, or `items` + `[2]`: no dot before an index.
    path = path.empty() ? std::string(prefix)
                        : absl::StrCat(prefix, path.front() == '[' ? "" : ".", path);
    return *this;
  }
};
using Result = std::optional<Violation>;

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

bool IsText(const FieldDescriptor& field) {
  return field.type() == FieldDescriptor::TYPE_STRING || field.type() == FieldDescriptor::TYPE_BYTES;
}

// Unicode characters of a UTF-8 string (the parser has already refused invalid UTF-8): every byte
// that does not continue a sequence starts a character.
size_t Characters(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

// A string or bytes value of `field` (or a map's key or value), bounded by `limit_from`'s options.
Result CheckText(const std::string& value, const FieldDescriptor& field,
                 const FieldDescriptor& limit_from) {
  const int max = MaxLength(limit_from);
  // Bytes are never fewer than characters: only a value longer in bytes needs counting.
  if (value.size() <= static_cast<size_t>(max)) return std::nullopt;
  const bool bytes = field.type() == FieldDescriptor::TYPE_BYTES;
  if (!bytes && Characters(value) <= static_cast<size_t>(max)) return std::nullopt;
  return Violation{"", absl::StrCat("at most ", max, bytes ? " bytes" : " characters")};
}

Result CheckMessage(const Message& message);

std::string MapKey(const Message& entry, const FieldDescriptor& key) {
  const Reflection* r = entry.GetReflection();
  switch (key.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: return absl::StrCat("\"", r->GetString(entry, &key), "\"");
    case FieldDescriptor::CPPTYPE_INT32: return absl::StrCat(r->GetInt32(entry, &key));
    case FieldDescriptor::CPPTYPE_INT64: return absl::StrCat(r->GetInt64(entry, &key));
    case FieldDescriptor::CPPTYPE_UINT32: return absl::StrCat(r->GetUInt32(entry, &key));
    case FieldDescriptor::CPPTYPE_UINT64: return absl::StrCat(r->GetUInt64(entry, &key));
    case FieldDescriptor::CPPTYPE_BOOL: return r->GetBool(entry, &key) ? "true" : "false";
    default: return "?";
  }
}

// A map entry, named by its key (`labels["x"]`, `counts[7]`); its key as `labels key`. The key is
// checked first, so that a path quotes only a key within its limit.
Result CheckMapEntry(const Message& entry, const FieldDescriptor& map_field) {
  const FieldDescriptor& key = *entry.GetDescriptor()->map_key();
  const FieldDescriptor& value = *entry.GetDescriptor()->map_value();
  const Reflection* r = entry.GetReflection();
  if (IsText(key)) {
    if (Result v = CheckText(r->GetString(entry, &key), key, map_field)) {
      v->path = " key";  // appended to the map's name as it is, not after a dot
      return v;
    }
  }
  Result v;
  if (IsText(value)) {
    v = CheckText(r->GetString(entry, &value), value, map_field);
  } else if (value.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    v = CheckMessage(r->GetMessage(entry, &value));
  }
  if (v) v->Under(absl::StrCat("[", MapKey(entry, key), "]"));
  return v;
}

Result CheckRepeated(const Message& message, const FieldDescriptor& field) {
  const Reflection* r = message.GetReflection();
  const int count = r->FieldSize(message, &field);
  // The count first: a list over its maximum is refused without walking it.
  if (count > MaxItems(field)) {
    return Violation{"", absl::StrCat("at most ", MaxItems(field), " entries")};
  }
  const bool text = IsText(field);
  if (!text && field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return std::nullopt;
  for (int i = 0; i < count; ++i) {
    if (field.is_map()) {
      if (Result v = CheckMapEntry(r->GetRepeatedMessage(message, &field, i), field)) return v;
      continue;
    }
    Result v;
    if (text) {
      std::string scratch;
      v = CheckText(r->GetRepeatedStringReference(message, &field, i, &scratch), field, field);
    } else {
      v = CheckMessage(r->GetRepeatedMessage(message, &field, i));
    }
    if (v) return v->Under(absl::StrCat("[", i, "]"));
  }
  return std::nullopt;
}

Result CheckField(const Message& message, const FieldDescriptor& field) {
  if (field.is_repeated()) return CheckRepeated(message, field);
  const Reflection* r = message.GetReflection();
  if (IsText(field)) {
    std::string scratch;
    return CheckText(r->GetStringReference(message, &field, &scratch), field, field);
  }
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    return CheckMessage(r->GetMessage(message, &field));
  }
  return std::nullopt;
}

Result CheckMessage(const Message& message) {
  std::vector<const FieldDescriptor*> fields;
  // Only the fields that are set: an empty request costs nothing.
  message.GetReflection()->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (Result v = CheckField(message, *field)) {
      // A map key's " key" follows the map's name directly.
      if (!v->path.empty() && v->path.front() == ' ') {
        v->path = absl::StrCat(field->name(), v->path);
        return v;
      }
      return v->Under(field->name());
    }
  }
  return std::nullopt;
}

}  // namespace

absl::Status ApplyRequestLimits(google::protobuf::Message& request) {
  // Recursive (sub-messages, repeated messages, map values): nothing unknown is ever stored.
  request.DiscardUnknownFields();
  if (Result v = CheckMessage(request)) {
    return absl::InvalidArgumentError(absl::StrCat(v->path, ": ", v->what));
  }
  return absl::OkStatus();
}

}  // namespace rusta::server
