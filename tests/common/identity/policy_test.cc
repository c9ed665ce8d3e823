#include "common/identity/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rusta::identity {
namespace {

Identity As(Role role) { return Identity{"spiffe://rusta.local/x/y", role, "y"}; }

TEST(PolicyTest, AllowsListedRolesOnly) {
  Policy policy;
  policy.Allow("Assess", {Role::kCaseworker, Role::kEmploymentOfficer});
  EXPECT_TRUE(policy.Check("Assess", As(Role::kCaseworker)).ok());
  EXPECT_TRUE(policy.Check("Assess", As(Role::kEmploymentOfficer)).ok());
  absl::Status denied = policy.Check("Assess", As(Role::kProvider));
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(denied.message()), ::testing::HasSubstr("role provider may not call Assess"));
}

TEST(PolicyTest, FailsClosedForMethodsNotInTheTable) {
  Policy policy;
  policy.Allow("Assess", {Role::kAdmin});
  EXPECT_EQ(policy.Check("Forgotten", As(Role::kAdmin)).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(policy.Covers("Forgotten"));
  EXPECT_TRUE(policy.Covers("Assess"));
}

}  // namespace
}  // namespace rusta::identity
