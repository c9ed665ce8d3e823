#include "common/identity/identity.h"

#include <gtest/gtest.h>

namespace rusta::identity {
namespace {

TEST(IdentityTest, ParsesEveryRole) {
  struct Case { const char* uri; Role role; const char* id; };
  const Case cases[] = {
      {"spiffe://rusta.local/caseworker/cw-0001", Role::kCaseworker, "cw-0001"},
      {"spiffe://rusta.local/employment-officer/eo.7", Role::kEmploymentOfficer, "eo.7"},
      {"spiffe://rusta.local/support-group/sg_1", Role::kSupportGroup, "sg_1"},
      {"spiffe://rusta.local/provider-follow-up/pf1", Role::kProviderFollowUp, "pf1"},
      {"spiffe://rusta.local/provider/5560360793", Role::kProvider, "5560360793"},
      {"spiffe://rusta.local/municipality/1480", Role::kMunicipality, "1480"},
      {"spiffe://rusta.local/auditor/a1", Role::kAuditor, "a1"},
      {"spiffe://rusta.local/admin/admin-0001", Role::kAdmin, "admin-0001"},
      {"spiffe://rusta.local/service/referral", Role::kService, "referral"},
  };
  for (const Case& c : cases) {
    auto identity = ParseIdentityUri(c.uri, "rusta.local");
    ASSERT_TRUE(identity.ok()) << c.uri << ": " << identity.status();
    EXPECT_EQ(identity->role, c.role) << c.uri;
    EXPECT_EQ(identity->id, c.id);
    EXPECT_EQ(identity->uri, c.uri);
    EXPECT_EQ(RoleSegment(c.role), std::string(c.uri).substr(21, RoleSegment(c.role).size()));
  }
}

TEST(IdentityTest, RejectsOtherTrustDomainsUnknownRolesAndMalformedIds) {
  for (const char* uri : {
           "spiffe://evil.example/caseworker/cw-1",   // other trust domain
           "spiffe://rusta.local.evil/caseworker/x",  // prefix trick
           "https://rusta.local/caseworker/cw-1",     // not spiffe
           "spiffe://rusta.local/superuser/root",     // unknown role
           "spiffe://rusta.local/caseworker",         // no id
           "spiffe://rusta.local/caseworker/",        // empty id
           "spiffe://rusta.local/caseworker/a/b",     // id with a slash
           "spiffe://rusta.local/provider/556036079",  // 9 digits
           "spiffe://rusta.local/provider/55603607x3",
           "spiffe://rusta.local/municipality/148",
           "spiffe://rusta.local/municipality/14800",
       }) {
    auto identity = ParseIdentityUri(uri, "rusta.local");
    EXPECT_EQ(identity.status().code(), absl::StatusCode::kUnauthenticated) << uri;
  }
}

TEST(IdentityTest, RoleNumbersFollowTheProtoEnum) {
  // rusta.v1.Role: CASEWORKER = 1, ..., PROVIDER = 5, MUNICIPALITY = 6, SERVICE = 9.
  EXPECT_EQ(RoleProtoNumber(Role::kCaseworker), 1);
  EXPECT_EQ(RoleProtoNumber(Role::kProvider), 5);
  EXPECT_EQ(RoleProtoNumber(Role::kMunicipality), 6);
  EXPECT_EQ(RoleProtoNumber(Role::kService), 9);
}

TEST(IdentityTest, AServiceActsAsItsOwnIdentityInTheConfiguredTrustDomain) {
  const Identity self = ServiceIdentity("example.test", "referral");
  EXPECT_EQ(self.uri, "spiffe://example.test/service/referral");
  EXPECT_EQ(self.role, Role::kService);
  EXPECT_EQ(self.id, "referral");
  // It is what a certificate of that service in that trust domain parses to.
  auto parsed = ParseIdentityUri(self.uri, "example.test");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->uri, self.uri);
  EXPECT_EQ(parsed->id, self.id);
}

}  // namespace
}  // namespace rusta::identity
