// ApplyRequestLimits as pure logic: the full path of the field over its maximum, defaults and the
// options from limits.proto, characters not bytes, maps, unknown fields dropped at every depth.
#include "common/server/request_limits.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <google/protobuf/unknown_field_set.h>

#include <string>

#include "rusta/v1/secure_messaging.pb.h"
#include "server/limits_test.pb.h"

namespace rusta::server {
namespace {

using rusta::testing::LimitsTestRequest;

// Every field set, each within its limit (some at exactly the limit).
LimitsTestRequest Valid() {
  LimitsTestRequest r;
  r.set_request_id(std::string(kDefaultMaxLength, 'r'));
  for (int i = 0; i < 3; ++i) {
    auto* a = r.mutable_report()->add_activities();
    a->set_note("ten chars.");
    a->mutable_detail()->set_text("detail");
    a->mutable_detail()->set_attachment(std::string(kDefaultMaxLength, '\xff'));
    a->mutable_detail()->add_tags("tag");
  }
  (*r.mutable_report()->mutable_labels())["k"] = "8 chars.";
  (*r.mutable_report()->mutable_notes())[7].set_text("note");
  for (int i = 0; i < kDefaultMaxItems; ++i) r.add_items("i");
  r.add_few("a");
  r.add_few("b");
  r.set_blob("blob");
  r.set_long_text(std::string(10000, 'x'));
  (*r.mutable_counts())["c"] = 1;
  r.mutable_chosen()->set_text("chosen");
  return r;
}

std::string Message(LimitsTestRequest r) {
  absl::Status s = ApplyRequestLimits(r);
  if (s.ok()) return "OK";
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.message());
}

TEST(RequestLimitsTest, ValidMessageIsLeftAsItIs) {
  LimitsTestRequest r = Valid();
  const std::string before = r.SerializeAsString();
  ASSERT_TRUE(ApplyRequestLimits(r).ok());
  EXPECT_EQ(r.SerializeAsString(), before);
}

TEST(RequestLimitsTest, OverLongStringNamesItsFullPath) {
  LimitsTestRequest r = Valid();
  r.mutable_report()->mutable_activities(2)->set_note("eleven char");
  EXPECT_EQ(Message(r), "report.activities[2].note: at most 10 characters");
}

TEST(RequestLimitsTest, StringsAreCountedInCharactersNotBytes) {
  LimitsTestRequest r = Valid();
  r.mutable_report()->mutable_activities(0)->set_note("åäöåäöåäöå");  // 10 characters, 20 bytes
  EXPECT_EQ(Message(r), "OK");
  r.mutable_report()->mutable_activities(0)->set_note("åäöåäöåäöåä");
  EXPECT_EQ(Message(r), "report.activities[0].note: at most 10 characters");
}

TEST(RequestLimitsTest, DefaultStringMaximumAppliesWithoutAnOption) {
  LimitsTestRequest r = Valid();
  r.set_request_id(std::string(kDefaultMaxLength + 1, 'r'));
  EXPECT_EQ(Message(r), "request_id: at most 4096 characters");
  r = Valid();
  r.mutable_report()->mutable_activities(1)->mutable_detail()->set_text(std::string(4097, 't'));
  EXPECT_EQ(Message(r), "report.activities[1].detail.text: at most 4096 characters");
}

TEST(RequestLimitsTest, TooManyRepeatedEntries) {
  LimitsTestRequest r = Valid();
  r.add_items("one too many");
  EXPECT_EQ(Message(r), "items: at most 1000 entries");
  r = Valid();
  for (int i = 0; i < kDefaultMaxItems - 3; ++i) r.mutable_report()->add_activities();  // 3 in Valid()
  EXPECT_EQ(Message(r), "OK");
  r.mutable_report()->add_activities();
  EXPECT_EQ(Message(r), "report.activities: at most 1000 entries");
}

TEST(RequestLimitsTest, RepeatedStringElementsAreEachBounded) {
  LimitsTestRequest r = Valid();
  r.mutable_report()->mutable_activities(0)->mutable_detail()->add_tags(std::string(4097, 't'));
  EXPECT_EQ(Message(r), "report.activities[0].detail.tags[1]: at most 4096 characters");
}

TEST(RequestLimitsTest, OptionsOverrideTheDefaults) {
  LimitsTestRequest r = Valid();
  r.add_few("c");
  EXPECT_EQ(Message(r), "few: at most 2 entries");
  r = Valid();
  r.set_long_text(std::string(10001, 'x'));  // 10000 (above the default) was fine
  EXPECT_EQ(Message(r), "long_text: at most 10000 characters");
}

TEST(RequestLimitsTest, BytesAreCountedInBytes) {
  LimitsTestRequest r = Valid();
  r.set_blob(std::string(kDefaultMaxLength + 1, '\0'));
  EXPECT_EQ(Message(r), "blob: at most 4096 bytes");
  r = Valid();
  r.mutable_report()->mutable_activities(1)->mutable_detail()->set_attachment(std::string(4097, 'a'));
  EXPECT_EQ(Message(r), "report.activities[1].detail.attachment: at most 4096 bytes");
}

TEST(RequestLimitsTest, MapEntriesKeysAndValues) {
  LimitsTestRequest r = Valid();
  auto& labels = *r.mutable_report()->mutable_labels();
  labels["a"] = "1";
  labels["b"] = "2";
  labels["c"] = "3";  // the fourth
  EXPECT_EQ(Message(r), "report.labels: at most 3 entries");

  r = Valid();
  (*r.mutable_report()->mutable_labels())["k"] = "nine char";
  EXPECT_EQ(Message(r), "report.labels[\"k\"]: at most 8 characters");

  r = Valid();
  (*r.mutable_report()->mutable_labels())["nine char"] = "v";
  EXPECT_EQ(Message(r), "report.labels key: at most 8 characters");

  r = Valid();
  (*r.mutable_report()->mutable_notes())[7].set_text(std::string(4097, 'n'));
  EXPECT_EQ(Message(r), "report.notes[7].text: at most 4096 characters");

  r = Valid();
  for (int i = 0; i < kDefaultMaxItems; ++i) (*r.mutable_counts())["k" + std::to_string(i)] = i;
  EXPECT_EQ(Message(r), "counts: at most 1000 entries");
}

TEST(RequestLimitsTest, OneofMembersAreChecked) {
  LimitsTestRequest r = Valid();
  r.mutable_chosen()->set_text(std::string(4097, 'c'));
  EXPECT_EQ(Message(r), "chosen.text: at most 4096 characters");
  r.set_chosen_text(std::string(4097, 'c'));
  EXPECT_EQ(Message(r), "chosen_text: at most 4096 characters");
}

google::protobuf::UnknownFieldSet& Unknown(google::protobuf::Message& m) {
  return *m.GetReflection()->MutableUnknownFields(&m);
}
int UnknownCount(const google::protobuf::Message& m) {
  return m.GetReflection()->GetUnknownFields(m).field_count();
}

TEST(RequestLimitsTest, UnknownFieldsAreDroppedAtEveryDepth) {
  LimitsTestRequest r = Valid();
  Unknown(r).AddVarint(999, 1);
  Unknown(*r.mutable_report()->mutable_activities(1)->mutable_detail()).AddLengthDelimited(998, "smuggled");
  Unknown((*r.mutable_report()->mutable_notes())[7]).AddVarint(997, 2);
  ASSERT_TRUE(ApplyRequestLimits(r).ok());
  EXPECT_EQ(UnknownCount(r), 0);
  EXPECT_EQ(UnknownCount(r.report().activities(1).detail()), 0);
  EXPECT_EQ(UnknownCount(r.report().notes().at(7)), 0);
  EXPECT_EQ(r.SerializeAsString(), Valid().SerializeAsString());
}

// The contracts' own options are read: a secure message's free text may be 20000 characters.
TEST(RequestLimitsTest, ContractFreeTextBodyCarriesItsOwnMaximum) {
  v1::SendMessageRequest r;
  r.mutable_message()->mutable_free_text()->set_text(std::string(20000, 'x'));
  EXPECT_TRUE(ApplyRequestLimits(r).ok());
  r.mutable_message()->mutable_free_text()->set_text(std::string(20001, 'x'));
  absl::Status s = ApplyRequestLimits(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "message.free_text.text: at most 20000 characters");
}

}  // namespace
}  // namespace rusta::server
