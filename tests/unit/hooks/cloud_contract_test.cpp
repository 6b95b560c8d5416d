// Contract tests of the cloud hooks (m365, google, cpanel, webhook) against a local HTTPS
// server that checks each request exactly as the provider documents it (method, path, headers,
// body, token flow, JWT claims and RS256 signature) and answers with documented success and
// error bodies. The real libcurl client is used, with TLS verification against the test's CA.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "hooks/cpanel_hook.h"
#include "hooks/encoding.h"
#include "hooks/google_hook.h"
#include "hooks/jwt.h"
#include "hooks/m365_hook.h"
#include "hooks/webhook_hook.h"
#include "https_test_server.h"

namespace mxir::hooks {
namespace {

using testing::CannedResponse;
using testing::HttpsTestServer;
using testing::SeenRequest;
using json = nlohmann::json;

constexpr char kPassword[] = "Nq7XhT4kPwE9rYcA3mLd";

std::map<std::string, std::string> ParseForm(const std::string& body) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    std::string pair = body.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    size_t eq = pair.find('=');
    std::string v = pair.substr(eq + 1), decoded;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '%' && i + 2 < v.size()) {
        decoded.push_back(static_cast<char>(std::stoi(v.substr(i + 1, 2), nullptr, 16)));
        i += 2;
      } else {
        decoded.push_back(v[i]);
      }
    }
    out[pair.substr(0, eq)] = decoded;
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return out;
}

struct Sleeps {
  std::vector<std::chrono::milliseconds> asked;
  RetryPolicy Policy() {
    RetryPolicy p;
    p.sleep = [this](std::chrono::milliseconds d) { asked.push_back(d); };
    return p;
  }
};

class M365Contract : public ::testing::Test {
 protected:
  // Graph as documented; `patch_status` lets a test inject an error for the PATCH.
  CannedResponse Graph(const SeenRequest& r) {
    if (r.target == "/contoso-tenant/oauth2/v2.0/token") {
      EXPECT_EQ(r.method, "POST");
      EXPECT_EQ(r.Header("content-type"), "application/x-www-form-urlencoded");
      auto f = ParseForm(r.body);
      EXPECT_EQ(f["client_id"], "app-123");
      EXPECT_EQ(f["grant_type"], "client_credentials");
      EXPECT_EQ(f["scope"], "https://graph.microsoft.com/.default");
      if (f["client_secret"] != "s3cret-value") {
        return {
            401,
            R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."})"};
      }
      return {200, R"({"token_type":"Bearer","expires_in":3599,"access_token":"graph-token-1"})"};
    }
    if (r.Header("authorization") != "Bearer graph-token-1") {
      return {
          401,
          R"({"error":{"code":"InvalidAuthenticationToken","message":"Access token is empty."}})"};
    }
    if (r.target == "/v1.0/users/bob%40contoso.example") {
      if (r.method == "PATCH") {
        EXPECT_EQ(r.Header("content-type"), "application/json");
        json body = json::parse(r.body);
        EXPECT_EQ(body, json::parse(std::string(R"({"passwordProfile":{"password":")") + kPassword +
                                    R"(","forceChangePasswordNextSignIn":true}})"));
        if (!patch_answers.empty()) {
          CannedResponse c = patch_answers.front();
          patch_answers.erase(patch_answers.begin());
          return c;
        }
        return {204, ""};
      }
    }
    if (r.target == "/v1.0/users/bob%40contoso.example/revokeSignInSessions") {
      EXPECT_EQ(r.method, "POST");
      EXPECT_EQ(r.body, "");
      return {
          200,
          R"({"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean","value":true})"};
    }
    if (r.target.rfind("/v1.0/users/ghost%40contoso.example", 0) == 0) {
      return {
          404,
          R"({"error":{"code":"Request_ResourceNotFound","message":"Resource 'ghost@contoso.example' does not exist."}})"};
    }
    if (r.target ==
        "/v1.0/users/"
        "bob%40contoso.example?$select=lastPasswordChangeDateTime,signInSessionsValidFromDateTime,"
        "accountEnabled") {
      return {
          200,
          R"({"lastPasswordChangeDateTime":"2026-11-23T03:00:00Z","signInSessionsValidFromDateTime":"2026-11-23T03:00:01Z","accountEnabled":true})"};
    }
    if (r.target == "/v1.0/users/bob%40contoso.example/mailFolders/inbox/messageRules") {
      return {
          200,
          R"({"value":[{"id":"1","displayName":"x","actions":{"forwardTo":[{"emailAddress":{"name":"E","address":"evil@attacker.example"}}],"stopProcessingRules":true}},{"id":"2","displayName":"tidy","actions":{"moveToFolder":"abc"}}]})"};
    }
    ADD_FAILURE() << "unexpected request " << r.method << " " << r.target;
    return {400, R"({"error":{"code":"BadRequest","message":"unexpected"}})"};
  }

  M365Config Config() {
    M365Config c;
    c.tenant = "contoso-tenant";
    c.client_id = "app-123";
    c.client_secret = "s3cret-value";
    c.login_base = server.base_url();
    c.graph_base = server.base_url();
    c.retry = sleeps.Policy();
    return c;
  }

  std::vector<CannedResponse> patch_answers;
  ManualClock clock{*ParseTimestamp("2026-11-23T03:00:00Z")};
  HttpsTestServer server{[this](const SeenRequest& r) { return Graph(r); }};
  Sleeps sleeps;
  std::unique_ptr<HttpClient> http = MakeCurlHttpClient({server.ca_file()});
};

TEST_F(M365Contract, ResetRevokeVerifyAndRules) {
  M365Hook hook(Config(), *http, clock);
  std::vector<HookStep> steps;
  ASSERT_TRUE(hook.ResetPassword("bob@contoso.example", kPassword, true, steps).ok());
  ASSERT_TRUE(hook.RevokeSessions("bob@contoso.example", steps).ok());
  auto v = hook.Verify("bob@contoso.example", kPassword);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_NE(v->find("2026-11-23T03:00:00Z"), std::string::npos);
  // Graph reporting an older change than this reset is not a verification.
  clock.Set(*ParseTimestamp("2026-11-23T04:00:00Z"));
  ASSERT_TRUE(hook.ResetPassword("bob@contoso.example", kPassword, true, steps).ok());
  auto stale = hook.Verify("bob@contoso.example", kPassword);
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.error().message.find("before this reset"), std::string::npos);
  auto rules = hook.ListLeftovers("bob@contoso.example");
  ASSERT_TRUE(rules.ok());
  ASSERT_EQ(rules->size(), 1u);
  EXPECT_NE((*rules)[0].description.find("evil@attacker.example"), std::string::npos);
  // One token for all calls.
  auto seen = server.requests();
  EXPECT_EQ(std::count_if(
                seen.begin(), seen.end(),
                [](const SeenRequest& r) { return r.target.find("/token") != std::string::npos; }),
            1);
  for (const auto& s : steps) EXPECT_EQ(s.detail.find(kPassword), std::string::npos);
}

TEST_F(M365Contract, WrongClientSecretIsReportedAndNotRetried) {
  M365Config c = Config();
  c.client_secret = "wrong";
  M365Hook hook(std::move(c), *http, clock);
  std::vector<HookStep> steps;
  Status s = hook.ResetPassword("bob@contoso.example", kPassword, true, steps);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("HTTP 401"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("admin credentials were refused"), std::string::npos);
  EXPECT_NE(s.error().message.find("AADSTS7000215"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(M365Contract, UnknownAccountIsNotFound) {
  M365Hook hook(Config(), *http, clock);
  std::vector<HookStep> steps;
  Status s = hook.ResetPassword("ghost@contoso.example", kPassword, true, steps);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
  EXPECT_NE(s.error().message.find("Request_ResourceNotFound"), std::string::npos);
  EXPECT_EQ(s.error().message.find(kPassword), std::string::npos);
}

TEST_F(M365Contract, ThrottledThenDoneWaitsRetryAfter) {
  patch_answers = {{429,
                    R"({"error":{"code":"TooManyRequests","message":"slow down"}})",
                    {{"Retry-After", "7"}}}};
  M365Hook hook(Config(), *http, clock);
  std::vector<HookStep> steps;
  ASSERT_TRUE(hook.ResetPassword("bob@contoso.example", kPassword, true, steps).ok());
  ASSERT_EQ(sleeps.asked.size(), 1u);
  EXPECT_EQ(sleeps.asked[0], std::chrono::seconds(7));
}

TEST_F(M365Contract, ServerErrorsAreRetriedThenReported) {
  patch_answers = {{503, R"({"error":{"code":"serviceNotAvailable","message":"try later"}})"},
                   {502, ""},
                   {500, R"({"error":{"code":"generalException","message":"boom"}})"}};
  M365Hook hook(Config(), *http, clock);
  std::vector<HookStep> steps;
  Status s = hook.ResetPassword("bob@contoso.example", kPassword, true, steps);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("HTTP 500"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("after 3 attempts"), std::string::npos);
  EXPECT_EQ(sleeps.asked.size(), 2u);
}

TEST_F(M365Contract, ForbiddenNamesThePermissionProblem) {
  patch_answers = {
      {403,
       R"({"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}})"}};
  M365Hook hook(Config(), *http, clock);
  std::vector<HookStep> steps;
  Status s = hook.ResetPassword("bob@contoso.example", kPassword, true, steps);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("permission denied"), std::string::npos);
  EXPECT_NE(s.error().message.find("Authorization_RequestDenied"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 2u);  // token + one PATCH: 403 is never retried
}

TEST(HttpsClient, RefusesAnUntrustedCertificateByDefault) {
  HttpsTestServer server([](const SeenRequest&) { return CannedResponse{200, "{}"}; });
  auto http = MakeCurlHttpClient({});  // the system store does not hold the test CA
  auto r = http->Send({"GET", server.base_url() + "/", {}, ""});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
}

TEST(HttpsClient, ServerDownAndTimeoutAreClearErrors) {
  int port = 0;
  {
    HttpsTestServer gone([](const SeenRequest&) { return CannedResponse{}; });
    port = std::stoi(gone.base_url().substr(gone.base_url().rfind(':') + 1));
  }
  auto http = MakeCurlHttpClient({});
  auto down = http->Send({"GET", "https://127.0.0.1:" + std::to_string(port) + "/", {}, ""});
  ASSERT_FALSE(down.ok());
  EXPECT_NE(down.error().message.find("no answer"), std::string::npos);

  HttpsTestServer slow([](const SeenRequest&) {
    CannedResponse c;
    c.hang = true;
    return c;
  });
  HttpOptions o{slow.ca_file()};
  o.timeout = std::chrono::milliseconds(800);
  auto timed = MakeCurlHttpClient(o)->Send({"GET", slow.base_url() + "/", {}, ""});
  ASSERT_FALSE(timed.ok());
  EXPECT_NE(timed.error().message.find("imed out"), std::string::npos) << timed.error().message;
}

TEST(GoogleContract, ServiceAccountJwtFlowResetAndSignOut) {
  std::string priv, pub;
  testing::MakeRsaKeyPair(&priv, &pub);
  ManualClock clock(Timestamp::FromSeconds(1795000000));
  std::string token_uri;
  bool flag_reads_back = true;
  HttpsTestServer server([&](const SeenRequest& r) -> CannedResponse {
    if (r.target == "/token") {
      EXPECT_EQ(r.method, "POST");
      EXPECT_EQ(r.Header("content-type"), "application/x-www-form-urlencoded");
      auto f = ParseForm(r.body);
      EXPECT_EQ(f["grant_type"], "urn:ietf:params:oauth:grant-type:jwt-bearer");
      json header;
      auto claims = VerifyJwtRs256(f["assertion"], pub, &header);
      if (!claims.ok()) {
        return {400, R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})"};
      }
      EXPECT_EQ(header["typ"], "JWT");
      EXPECT_EQ(header["kid"], "key-1");
      EXPECT_EQ((*claims)["iss"], "mxir@project.iam.gserviceaccount.com");
      EXPECT_EQ((*claims)["sub"], "admin@example.com");
      EXPECT_EQ((*claims)["aud"], token_uri);
      EXPECT_EQ((*claims)["scope"], kGoogleScopes);
      EXPECT_EQ((*claims)["iat"], 1795000000);
      EXPECT_EQ((*claims)["exp"], 1795000000 + 3600);
      return {200, R"({"access_token":"ya29.test","expires_in":3599,"token_type":"Bearer"})"};
    }
    EXPECT_EQ(r.Header("authorization"), "Bearer ya29.test");
    if (r.target == "/admin/directory/v1/users/carol%40example.com" && r.method == "PATCH") {
      EXPECT_EQ(json::parse(r.body), json::parse(std::string(R"({"password":")") + kPassword +
                                                 R"(","changePasswordAtNextLogin":true})"));
      return {
          200,
          R"({"kind":"admin#directory#user","primaryEmail":"carol@example.com","changePasswordAtNextLogin":true})"};
    }
    if (r.target == "/admin/directory/v1/users/carol%40example.com" && r.method == "GET") {
      return {200, R"({"primaryEmail":"carol@example.com","changePasswordAtNextLogin":)" +
                       std::string(flag_reads_back ? "true" : "false") + "}"};
    }
    if (r.target == "/admin/directory/v1/users/carol%40example.com/signOut" && r.method == "POST") {
      return {204, ""};
    }
    if (r.target == "/admin/directory/v1/users/carol%40example.com/asps") {
      return {
          200,
          R"({"kind":"admin#directory#asps","items":[{"codeId":12,"name":"Thunderbird","creationTime":"1"}]})"};
    }
    if (r.target == "/admin/directory/v1/users/carol%40example.com/tokens") {
      return {200, R"({"kind":"admin#directory#tokenList","items":[]})"};
    }
    if (r.target.find("nobody") != std::string::npos) {
      return {
          404,
          R"({"error":{"code":404,"message":"Resource Not Found: userKey","errors":[{"reason":"notFound"}]}})"};
    }
    return {400, "{}"};
  });
  token_uri = server.base_url() + "/token";
  GoogleConfig c;
  c.client_email = "mxir@project.iam.gserviceaccount.com";
  c.private_key_pem = priv;
  c.private_key_id = "key-1";
  c.token_uri = token_uri;
  c.admin_subject = "admin@example.com";
  c.api_base = server.base_url();
  Sleeps sleeps;
  c.retry = sleeps.Policy();
  auto http = MakeCurlHttpClient({server.ca_file()});
  GoogleHook hook(c, *http, clock);
  std::vector<HookStep> steps;
  ASSERT_TRUE(hook.ResetPassword("carol@example.com", kPassword, true, steps).ok());
  ASSERT_TRUE(hook.RevokeSessions("carol@example.com", steps).ok());
  EXPECT_TRUE(hook.Verify("carol@example.com", kPassword).ok());
  flag_reads_back = false;  // e.g. an SSO user: the forced change did not take
  EXPECT_FALSE(hook.Verify("carol@example.com", kPassword).ok());
  auto left = hook.ListLeftovers("carol@example.com");
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].kind, "app_password");
  Status missing = hook.ResetPassword("nobody@example.com", kPassword, true, steps);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  // A key the server does not know: the token request fails with Google's error text.
  std::string other_priv, other_pub;
  testing::MakeRsaKeyPair(&other_priv, &other_pub);
  c.private_key_pem = other_priv;
  GoogleHook wrong(c, *http, clock);
  Status s = wrong.ResetPassword("carol@example.com", kPassword, true, steps);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("invalid_grant"), std::string::npos) << s.error().message;
}

TEST(CpanelContract, PasswdPopAndSuspendOutgoing) {
  HttpsTestServer server([](const SeenRequest& r) -> CannedResponse {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.Header("authorization"), "cpanel acme:TOKEN42");
    auto f = ParseForm(r.body);
    if (r.target == "/execute/Email/passwd_pop") {
      EXPECT_EQ(f["password"], kPassword);
      if (f["email"] == "dave" && f["domain"] == "acme.example") {
        return {200, R"({"status":1,"errors":null,"messages":null,"data":null,"metadata":{}})"};
      }
      return {
          200,
          R"({"status":0,"errors":["The account ghost@acme.example does not exist."],"data":null})"};
    }
    if (r.target == "/execute/Email/suspend_outgoing") {
      EXPECT_EQ(f["email"], "dave@acme.example");
      return {200, R"({"status":1,"errors":null,"data":null})"};
    }
    return {200, R"({"status":0,"errors":["Function not found"]})"};
  });
  auto http = MakeCurlHttpClient({server.ca_file()});
  CpanelHook hook({server.base_url(), "acme", "TOKEN42", {}}, *http);
  std::vector<HookStep> steps;
  ASSERT_TRUE(hook.ResetPassword("dave@acme.example", kPassword, true, steps).ok());
  ASSERT_TRUE(hook.SuspendOutbound("dave@acme.example", steps).ok());
  Status s = hook.ResetPassword("ghost@acme.example", kPassword, true, steps);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
  EXPECT_NE(s.error().message.find("does not exist"), std::string::npos);
  // The password never travels in the URL.
  for (const auto& r : server.requests()) EXPECT_EQ(r.target.find(kPassword), std::string::npos);
}

TEST(WebhookContract, SignedBodyAndNoRetryOnServerError) {
  ManualClock clock(Timestamp::FromSeconds(1795000000));
  int calls = 0;
  HttpsTestServer server([&](const SeenRequest& r) -> CannedResponse {
    ++calls;
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.Header("x-mxir-timestamp"), "1795000000");
    EXPECT_EQ(r.Header("x-mxir-signature"),
              "sha256=" + HmacSha256Hex("hook-key", r.Header("x-mxir-timestamp") + "." + r.body));
    json b = json::parse(r.body);
    EXPECT_EQ(b["action"], "reset_password");
    EXPECT_EQ(b["new_password"], kPassword);
    return calls == 1 ? CannedResponse{200, "{}"} : CannedResponse{503, "{}"};
  });
  auto http = MakeCurlHttpClient({server.ca_file()});
  Sleeps sleeps;
  WebhookHook hook({server.base_url() + "/mxir", "hook-key", kSetPassword, sleeps.Policy()}, *http,
                   clock);
  std::vector<HookStep> steps;
  ASSERT_TRUE(hook.ResetPassword("erin@example.org", kPassword, true, steps).ok());
  Status s = hook.ResetPassword("erin@example.org", kPassword, true, steps);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(calls, 2);  // the 503 was not retried: the receiver may have acted
  for (const auto& st : steps) EXPECT_EQ(st.detail.find(kPassword), std::string::npos);
}

}  // namespace
}  // namespace mxir::hooks
