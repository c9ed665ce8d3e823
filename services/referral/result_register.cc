#include "services/referral/result_register.h"

#include <fstream>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace rusta::referral {
namespace {

class CsvResultRegister final : public ResultRegister {
 public:
  explicit CsvResultRegister(std::multimap<std::string, RegisterRecord> records) : records_(std::move(records)) {}
  absl::StatusOr<std::vector<RegisterRecord>> Records(const std::string& person_id) const override {
    std::vector<RegisterRecord> out;
    auto [first, last] = records_.equal_range(person_id);
    for (auto it = first; it != last; ++it) out.push_back(it->second);
    return out;
  }

 private:
  std::multimap<std::string, RegisterRecord> records_;
};

bool ParseDay(const std::string& text, absl::CivilDay* out) {
  return absl::ParseCivilTime(text, out) && absl::FormatCivilTime(*out) == text;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ResultRegister>> LoadCsvResultRegister(const std::string& path) {
  std::ifstream in(path);
  if (!in.good()) return absl::NotFoundError(absl::StrCat(path, ": cannot be opened"));
  const std::vector<std::string> expected = {"person_id", "organisation_number", "organisation_name", "start_date",
                                             "end_date", "extent_percent", "subsidised"};
  std::multimap<std::string, RegisterRecord> records;
  std::string line;
  int number = 0;
  auto bad = [&](const std::string& why) { return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": ", why)); };
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> f = absl::StrSplit(line, ',');
    if (number == 1) {
      if (f != expected) return bad("the header must be " + absl::StrJoin(expected, ","));
      continue;
    }
    if (f.size() != expected.size()) return bad(absl::StrCat(f.size(), " fields, expected ", expected.size()));
    RegisterRecord r;
    r.person_id = f[0];
    if (r.person_id.size() != 12 || !std::all_of(r.person_id.begin(), r.person_id.end(), absl::ascii_isdigit)) {
      return bad("person_id: 12 digits");
    }
    r.organisation_number = f[1];
    r.organisation_name = f[2];
    if (!ParseDay(f[3], &r.start)) return bad("start_date: not a date");
    if (!f[4].empty()) {
      absl::CivilDay end;
      if (!ParseDay(f[4], &end)) return bad("end_date: not a date");
      if (end < r.start) return bad("end_date: before start_date");
      r.end = end;
    }
    if (!absl::SimpleAtoi(f[5], &r.extent_percent) || r.extent_percent < 1 || r.extent_percent > 100) {
      return bad("extent_percent: 1..100");
    }
    if (f[6] != "yes" && f[6] != "no") return bad("subsidised: yes or no");
    r.subsidised = f[6] == "yes";
    r.reference = absl::StrCat(path.substr(path.rfind('/') + 1), ":", number);
    records.emplace(r.person_id, std::move(r));
  }
  return std::unique_ptr<ResultRegister>(new CsvResultRegister(std::move(records)));
}

}  // namespace rusta::referral
