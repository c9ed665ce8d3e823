#include "common/validation/municipality_codes.h"

#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "common/validation/identifiers.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace rusta::validation {
namespace {

const std::string kDataDir = RUSTA_SHARED_DATA_DIR;

// This test binary's own directory (removed at exit): never a fixed name in a shared /tmp.
std::string WriteTemp(const std::string& name, const std::string& content) {
  static const rusta::testing::TempDir dir;
  std::string path = dir.path() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  return path;
}

void ExpectLineError(const absl::Status& st, const std::string& path, int line,
                     const std::string& reason_part) {
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  const std::string prefix = path + ":" + std::to_string(line) + ": ";
  EXPECT_EQ(std::string(st.message().substr(0, prefix.size())), prefix) << st;
  EXPECT_NE(st.message().find(reason_part), std::string::npos) << st;
}

TEST(MunicipalityCodesTest, LoadsRealFile) {
  auto codes = MunicipalityCodes::LoadCsv(kDataDir + "/municipalities.csv");
  ASSERT_TRUE(codes.ok()) << codes.status();
  EXPECT_EQ(codes->size(), 290u);
  EXPECT_TRUE(codes->Contains("1480"));  // Göteborg
  EXPECT_TRUE(codes->Contains("2506"));  // Arjeplog
  EXPECT_TRUE(codes->Contains("0114"));  // leading zero kept
  EXPECT_FALSE(codes->Contains("114"));
  EXPECT_FALSE(codes->Contains("1479"));  // format-valid, not a municipality
  EXPECT_TRUE(ValidateMunicipalityCode("1480", "m", &*codes).ok());
  absl::Status st = ValidateMunicipalityCode("1479", "m", &*codes);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(st.message()), "m: unknown municipality");
}

TEST(MunicipalityCodesTest, MissingFile) {
  auto codes = MunicipalityCodes::LoadCsv(kDataDir + "/no_such_file.csv");
  EXPECT_EQ(codes.status().code(), absl::StatusCode::kNotFound);
}

TEST(MunicipalityCodesTest, ToleratesCrlfBomBlankLinesQuotesAndColumnOrder) {
  const std::string path = WriteTemp(
      "ok.csv",
      "\xEF\xBB\xBFname,municipality_code\r\n"
      "\"Göteborg, stad\",1480\r\n"
      "\r\n"
      "Arjeplog,\"2506\"\r\n");
  auto codes = MunicipalityCodes::LoadCsv(path);
  ASSERT_TRUE(codes.ok()) << codes.status();
  EXPECT_EQ(codes->size(), 2u);
  EXPECT_TRUE(codes->Contains("1480"));
  EXPECT_TRUE(codes->Contains("2506"));
}

TEST(MunicipalityCodesTest, MalformedRowsNameTheLine) {
  {
    const std::string path =
        WriteTemp("fields.csv",
                  "municipality_code,name\n0114,Upplands Väsby\n0115\n");
    ExpectLineError(MunicipalityCodes::LoadCsv(path).status(), path, 3,
                    "expected 2 fields, got 1");
  }
  {
    const std::string path =
        WriteTemp("short.csv", "municipality_code,name\n0114,a\n114,b\n");
    ExpectLineError(MunicipalityCodes::LoadCsv(path).status(), path, 3,
                    "4 digits");
  }
  {
    const std::string path =
        WriteTemp("county.csv", "municipality_code,name\n1180,a\n");
    ExpectLineError(MunicipalityCodes::LoadCsv(path).status(), path, 2,
                    "county code");
  }
  {
    const std::string path =
        WriteTemp("dup.csv", "municipality_code\n0114\n\n0114\n");
    ExpectLineError(MunicipalityCodes::LoadCsv(path).status(), path, 4,
                    "duplicate");
  }
  {
    const std::string path =
        WriteTemp("quote.csv", "municipality_code,name\n0114,\"open\n");
    ExpectLineError(MunicipalityCodes::LoadCsv(path).status(), path, 2,
                    "quoting");
  }
  {
    const std::string path = WriteTemp("nocol.csv", "code,name\n0114,a\n");
    ExpectLineError(MunicipalityCodes::LoadCsv(path).status(), path, 1,
                    "municipality_code");
  }
  {
    const std::string path = WriteTemp("empty.csv", "");
    ExpectLineError(MunicipalityCodes::LoadCsv(path).status(), path, 1,
                    "header");
  }
}

TEST(MunicipalityCodesTest, AddAndContains) {
  MunicipalityCodes codes;
  EXPECT_EQ(codes.size(), 0u);
  EXPECT_FALSE(codes.Contains("1480"));
  codes.Add("1480");
  codes.Add("1480");
  EXPECT_EQ(codes.size(), 1u);
  EXPECT_TRUE(codes.Contains("1480"));
}

TEST(PostalCodeDirectoryTest, LoadsRealFile) {
  auto dir =
      PostalCodeDirectory::LoadCsv(kDataDir + "/postal_to_municipality.csv");
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(dir->size(), 15463u);
  EXPECT_EQ(dir->MunicipalityOf("41301"), "1480");
  EXPECT_EQ(dir->MunicipalityOf("413 01"), "1480");
  EXPECT_EQ(dir->MunicipalityOf("10004"), "0180");  // leading zero kept
  EXPECT_EQ(dir->MunicipalityOf("99999"), std::nullopt);
  EXPECT_EQ(dir->MunicipalityOf("4130"), std::nullopt);
  EXPECT_EQ(dir->MunicipalityOf(""), std::nullopt);
}

TEST(PostalCodeDirectoryTest, MalformedRowsNameTheLine) {
  {
    const std::string path = WriteTemp(
        "p_fields.csv",
        "postal_code,locality,municipality_code\n41301,Göteborg,1480\n"
        "41302,Göteborg\n");
    ExpectLineError(PostalCodeDirectory::LoadCsv(path).status(), path, 3,
                    "expected 3 fields, got 2");
  }
  {
    const std::string path = WriteTemp(
        "p_postal.csv", "postal_code,municipality_code\n41301,1480\n4130,1480\n");
    ExpectLineError(PostalCodeDirectory::LoadCsv(path).status(), path, 3,
                    "5 digits");
  }
  {
    const std::string path = WriteTemp(
        "p_mun.csv", "postal_code,municipality_code\n41301,148\n");
    ExpectLineError(PostalCodeDirectory::LoadCsv(path).status(), path, 2,
                    "4 digits");
  }
  {
    const std::string path = WriteTemp(
        "p_conflict.csv",
        "postal_code,municipality_code\n41301,1480\n41301,2506\n");
    ExpectLineError(PostalCodeDirectory::LoadCsv(path).status(), path, 3,
                    "two municipalities");
  }
  {
    const std::string path =
        WriteTemp("p_nocol.csv", "postal_code,kommun\n41301,1480\n");
    ExpectLineError(PostalCodeDirectory::LoadCsv(path).status(), path, 1,
                    "municipality_code");
  }
}

TEST(PostalCodeDirectoryTest, SameMappingTwiceIsFine) {
  const std::string path = WriteTemp(
      "p_dup.csv", "postal_code,municipality_code\n41301,1480\n413 01,1480\n");
  auto dir = PostalCodeDirectory::LoadCsv(path);
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(dir->size(), 1u);
}

}  // namespace
}  // namespace rusta::validation
