#include "core/provider_codes.h"

#include <gtest/gtest.h>

namespace mxir {
namespace {

TEST(ProviderCodes, EntraCodesMapToWhatTheyMeanForThePassword) {
  EXPECT_EQ(ClassifyLoginCode("entra-signin", "0"), LoginResult::kSuccess);
  EXPECT_EQ(ClassifyLoginCode("entra-signin", "50126"), LoginResult::kBadPassword);
  EXPECT_EQ(ClassifyLoginCode("entra-signin", "50053"), LoginResult::kLocked);
  for (const char* c : {"50074", "50076", "50079", "53003", "500121", "53000", "53001"}) {
    EXPECT_EQ(ClassifyLoginCode("entra-signin", c), LoginResult::kPasswordAccepted) << c;
    EXPECT_TRUE(PasswordWasRight(ClassifyLoginCode("m365-audit", c))) << c;
  }
  EXPECT_EQ(ClassifyLoginCode("m365-audit", "50140"), LoginResult::kInterrupted);
  EXPECT_STREQ(LoginOutcome(ClassifyLoginCode("entra-signin", "50140")), "unknown");
  EXPECT_STREQ(LoginOutcome(ClassifyLoginCode("entra-signin", "50126")), "failure");
  EXPECT_STREQ(LoginOutcome(ClassifyLoginCode("entra-signin", "0")), "success");
  EXPECT_EQ(ClassifyLoginCode("entra-signin", ""), LoginResult::kNone);
  EXPECT_EQ(ClassifyLoginCode("entra-signin", "x50126"), LoginResult::kOtherFailure);
  EXPECT_EQ(ClassifyLoginCode("entra-signin", "99999"), LoginResult::kOtherFailure);
  EXPECT_FALSE(PasswordWasRight(LoginResult::kBadPassword));
}

TEST(ProviderCodes, GoogleAndExchange) {
  EXPECT_EQ(ClassifyLoginCode("google-login", "login_failure_invalid_password"),
            LoginResult::kBadPassword);
  EXPECT_EQ(ClassifyLoginCode("google-login", "login_failure_invalid_second_factor"),
            LoginResult::kPasswordAccepted);
  EXPECT_EQ(ClassifyLoginCode("google-login", "login_success"), LoginResult::kSuccess);
  EXPECT_EQ(ClassifyLoginCode("exchange-smtp", "LogonDenied"), LoginResult::kBadPassword);
  EXPECT_EQ(ClassifyLoginCode("exchange-httpproxy", "401"), LoginResult::kBadPassword);
}

TEST(ProviderCodes, LegacyAuthClients) {
  EXPECT_TRUE(IsLegacyAuthClient("Authenticated SMTP", ""));
  EXPECT_TRUE(IsLegacyAuthClient("imap4", ""));
  EXPECT_TRUE(IsLegacyAuthClient("", "BAV2ROPC"));
  EXPECT_FALSE(IsLegacyAuthClient("Browser", "Mozilla/5.0"));
  EXPECT_FALSE(IsLegacyAuthClient("Mobile Apps and Desktop clients", ""));
}

}  // namespace
}  // namespace mxir
