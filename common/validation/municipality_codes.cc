#include "common/validation/municipality_codes.h"

#include <fstream>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/validation/identifiers.h"

namespace rusta::validation {
namespace {

// Debian's Abseil is built with its own absl::string_view (not an alias of
// std::string_view), so convert explicitly at the boundary.
absl::string_view AV(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// Splits one CSV line (RFC 4180 subset: fields may be double-quoted, with ""
// for a quote inside; no line breaks inside fields). Returns false on an
// unterminated or misplaced quote.
bool SplitCsvLine(std::string_view line, std::vector<std::string>* fields) {
  fields->clear();
  std::string cur;
  bool in_quotes = false;
  bool was_quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cur.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        cur.push_back(c);
      }
    } else if (c == ',') {
      fields->push_back(std::move(cur));
      cur.clear();
      was_quoted = false;
    } else if (c == '"') {
      if (!cur.empty() || was_quoted) return false;
      in_quotes = true;
      was_quoted = true;
    } else {
      if (was_quoted) return false;  // text after the closing quote
      cur.push_back(c);
    }
  }
  if (in_quotes) return false;
  fields->push_back(std::move(cur));
  return true;
}

absl::Status LineError(const std::string& path, int line,
                       absl::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ":", line, ": ", reason));
}

// Reads a CSV file with a header, finds the named columns and calls
// `row(line_number, values)` with the values of those columns, in the order
// of `columns`, for every non-blank data line.
template <typename RowFn>
absl::Status ReadCsv(const std::string& path,
                     const std::vector<std::string_view>& columns, RowFn row) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open file"));
  std::string line;
  std::vector<std::string> fields;
  std::vector<size_t> index;
  size_t header_width = 0;
  int line_no = 0;
  bool have_header = false;
  std::vector<std::string> values(columns.size());
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    if (!SplitCsvLine(line, &fields)) {
      return LineError(path, line_no, "malformed quoting");
    }
    if (!have_header) {
      have_header = true;
      header_width = fields.size();
      for (std::string_view col : columns) {
        size_t found = fields.size();
        for (size_t i = 0; i < fields.size(); ++i) {
          if (absl::StripAsciiWhitespace(fields[i]) == AV(col)) {
            found = i;
            break;
          }
        }
        if (found == fields.size()) {
          return LineError(path, line_no,
                           absl::StrCat("header has no column '", AV(col), "'"));
        }
        index.push_back(found);
      }
      continue;
    }
    if (fields.size() != header_width) {
      return LineError(path, line_no,
                       absl::StrCat("expected ", header_width, " fields, got ",
                                    fields.size()));
    }
    for (size_t i = 0; i < index.size(); ++i) {
      values[i] = std::string(absl::StripAsciiWhitespace(fields[index[i]]));
    }
    absl::Status st = row(line_no, values);
    if (!st.ok()) return st;
  }
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat(path, ": read error"));
  }
  if (!have_header) return LineError(path, 1, "missing header line");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MunicipalityCodes> MunicipalityCodes::LoadCsv(
    const std::string& path) {
  MunicipalityCodes out;
  absl::Status st = ReadCsv(
      path, {"municipality_code"},
      [&](int line, const std::vector<std::string>& v) -> absl::Status {
        absl::Status format =
            ValidateMunicipalityCode(v[0], "municipality_code", nullptr);
        if (!format.ok()) return LineError(path, line, format.message());
        if (!out.codes_.insert(v[0]).second) {
          return LineError(path, line, "duplicate municipality_code");
        }
        return absl::OkStatus();
      });
  if (!st.ok()) return st;
  return out;
}

bool MunicipalityCodes::Contains(std::string_view code) const {
  return codes_.contains(AV(code));
}

void MunicipalityCodes::Add(std::string code) {
  codes_.insert(std::move(code));
}

absl::StatusOr<PostalCodeDirectory> PostalCodeDirectory::LoadCsv(
    const std::string& path) {
  PostalCodeDirectory out;
  absl::Status st = ReadCsv(
      path, {"postal_code", "municipality_code"},
      [&](int line, const std::vector<std::string>& v) -> absl::Status {
        absl::StatusOr<std::string> postal = ParsePostalCode(v[0], "postal_code");
        if (!postal.ok()) return LineError(path, line, postal.status().message());
        absl::Status format =
            ValidateMunicipalityCode(v[1], "municipality_code", nullptr);
        if (!format.ok()) return LineError(path, line, format.message());
        auto [it, inserted] = out.map_.emplace(*postal, v[1]);
        if (!inserted && it->second != v[1]) {
          return LineError(path, line,
                           "postal_code listed with two municipalities");
        }
        return absl::OkStatus();
      });
  if (!st.ok()) return st;
  return out;
}

std::optional<std::string> PostalCodeDirectory::MunicipalityOf(
    std::string_view postal) const {
  absl::StatusOr<std::string> normalized = ParsePostalCode(postal, "postal");
  if (!normalized.ok()) return std::nullopt;
  auto it = map_.find(*normalized);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

}  // namespace rusta::validation
