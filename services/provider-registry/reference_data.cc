#include "services/provider-registry/reference_data.h"

#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace rusta::registry {
namespace {

// Reads a headed CSV into rows of named columns.
absl::StatusOr<std::vector<std::map<std::string, std::string>>> ReadCsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  std::string line;
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    if (header.empty()) {
      if (!fields.empty()) fields[0] = std::string(absl::StripPrefix(fields[0], "\xEF\xBB\xBF"));
      header = fields;
      continue;
    }
    if (fields.size() != header.size()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": expected ", header.size(), " fields"));
    }
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size(); ++i) row[header[i]] = fields[i];
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

absl::StatusOr<ReferenceData> LoadReferenceData(const std::string& dir) {
  ReferenceData out;
  if (dir.empty()) return out;
  auto counties = ReadCsv(dir + "/counties.csv");
  if (!counties.ok()) return counties.status();
  std::map<std::string, std::string> county_names;
  for (auto& row : *counties) county_names[row["county_code"]] = row["county_name"];
  auto coordinates = ReadCsv(dir + "/municipality_coordinates.csv");
  if (!coordinates.ok()) return coordinates.status();
  std::map<std::string, std::pair<double, double>> points;
  for (auto& row : *coordinates) {
    double lat = 0, lon = 0;
    if (!absl::SimpleAtod(row["latitude"], &lat) || !absl::SimpleAtod(row["longitude"], &lon)) {
      return absl::InvalidArgumentError(absl::StrCat(dir, "/municipality_coordinates.csv: bad coordinates for ",
                                                     row["municipality_code"]));
    }
    points[row["municipality_code"]] = {lat, lon};
  }
  auto municipalities = ReadCsv(dir + "/municipalities.csv");
  if (!municipalities.ok()) return municipalities.status();
  for (auto& row : *municipalities) {
    rusta::v1::Municipality m;
    m.set_code(row["municipality_code"]);
    m.set_name(row["municipality_name"]);
    m.set_short_name(row["municipality_name_short"]);
    m.set_county_code(row["county_code"]);
    m.set_county_name(county_names[row["county_code"]]);
    auto p = points.find(m.code());
    if (p != points.end()) {
      m.mutable_location()->set_latitude(p->second.first);
      m.mutable_location()->set_longitude(p->second.second);
    }
    out.municipalities.push_back(std::move(m));
  }
  auto postal = ReadCsv(dir + "/postal_to_municipality.csv");
  if (!postal.ok()) return postal.status();
  for (auto& row : *postal) {
    out.postal_codes[row["postal_code"]] = PostalEntry{row["locality"], row["municipality_code"]};
  }
  return out;
}

}  // namespace rusta::registry
