# Unit tests of the compensation engine (services/referral/compensation): tariff files, every
# payment component, cuts, boundaries and the reconciliation with a ledger. include()d from this
# directory's CMakeLists.txt.
add_executable(referral_compensation_test ${CMAKE_CURRENT_LIST_DIR}/compensation_test.cc)
target_link_libraries(referral_compensation_test PRIVATE rusta_compensation_domain
                      GTest::gmock GTest::gtest_main)
gtest_discover_tests(referral_compensation_test)
