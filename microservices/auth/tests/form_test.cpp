#include <gtest/gtest.h>

#include "form.hpp"

using namespace mmx::auth_service;

TEST(Form, ParsesPercentEscapesAndPlus) {
  auto f = Form::parse("grant_type=password&username=ada%40example.com&password=a+b%26c%3D");
  EXPECT_EQ(f.get("grant_type"), "password");
  EXPECT_EQ(f.get("username"), "ada@example.com");
  EXPECT_EQ(f.get("password"), "a b&c=");
  EXPECT_EQ(f.get("scope"), std::nullopt);
}

TEST(Form, EmptyValuesCountAsAbsentAndUnknownFieldsAreKept) {
  auto f = Form::parse("scope=&client_id&&x-extra=1");
  EXPECT_EQ(f.get("scope"), std::nullopt);
  EXPECT_EQ(f.get("client_id"), std::nullopt);
  EXPECT_EQ(f.get("x-extra"), "1");
  EXPECT_EQ(f.fields().size(), 3u);
  EXPECT_TRUE(Form::parse("").fields().empty());
}

TEST(Form, RejectsWhatItCannotRead) {
  auto field_of = [](std::string_view body) {
    try {
      Form::parse(body, {.max_fields = 4, .max_value_bytes = 16});
    } catch (const FormError& e) {
      return e.field();
    }
    return std::string("<parsed>");
  };
  EXPECT_EQ(field_of("password=%zz"), "password");
  EXPECT_EQ(field_of("password=%4"), "password");
  EXPECT_EQ(field_of("username=a%00b"), "username");
  EXPECT_EQ(field_of("username=%ff%fe"), "username");
  EXPECT_EQ(field_of("a=1&a=2"), "a");
  EXPECT_EQ(field_of("scope=12345678901234567"), "scope");
  EXPECT_EQ(field_of("a=1&b=2&c=3&d=4&e=5"), "");
  EXPECT_EQ(field_of("=x"), "");
  EXPECT_EQ(field_of("%zz=x"), "");
  EXPECT_EQ(field_of("scope=%C3%A9t%C3%A9"), "<parsed>");
}

TEST(Form, BasicCredentialsAreUrlDecodedAfterBase64) {
  // "my%20client:s%3Acret" -> client "my client", secret "s:cret"
  auto c = parse_basic_auth("Basic bXklMjBjbGllbnQ6cyUzQWNyZXQ=");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "my client");
  EXPECT_EQ(c->password, "s:cret");
  auto lower = parse_basic_auth("basic   YTpi");
  ASSERT_TRUE(lower);
  EXPECT_EQ(lower->user, "a");
  EXPECT_EQ(lower->password, "b");
  EXPECT_EQ(parse_basic_auth("Bearer abc"), std::nullopt);
  EXPECT_EQ(parse_basic_auth("Basic Og=="), std::nullopt) << "Swagger UI, client fields empty";
  EXPECT_THROW(parse_basic_auth("Basic !!!"), FormError);
  EXPECT_THROW(parse_basic_auth("Basic YWJj"), FormError);  // "abc": no colon
  EXPECT_THROW(parse_basic_auth("Basic OmI="), FormError);  // ":b": no client id
}

TEST(Form, Base64BothPaddedAndNot) {
  EXPECT_EQ(base64_decode("aGVsbG8="), "hello");
  EXPECT_EQ(base64_decode("aGVsbG8"), "hello");
  EXPECT_EQ(base64_decode("+/+/"), std::string("\xfb\xff\xbf", 3));
  EXPECT_EQ(base64_decode("a"), std::nullopt);
  EXPECT_EQ(base64_decode("a-b_"), std::nullopt);
}

TEST(Form, CookieValue) {
  EXPECT_EQ(cookie_value("a=1; mmx_refresh=tok; b=2", "mmx_refresh"), "tok");
  EXPECT_EQ(cookie_value("mmx_refresh=\"q\"", "mmx_refresh"), "q");
  EXPECT_EQ(cookie_value("xmmx_refresh=1; b", "mmx_refresh"), std::nullopt);
  EXPECT_EQ(cookie_value("", "mmx_refresh"), std::nullopt);
}
