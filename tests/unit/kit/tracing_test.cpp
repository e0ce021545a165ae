#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "mmx/tracing/context.hpp"
#include "mmx/tracing/otlp_json.hpp"
#include "mmx/tracing/span_queue.hpp"

using namespace mmx::tracing;

TEST(TraceContext, ParsesAndFormatsW3cTraceparent) {
  auto c = TraceContext::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(c->span_id_hex(), "00f067aa0ba902b7");
  EXPECT_TRUE(c->sampled());
  EXPECT_EQ(c->traceparent(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  auto child = c->child();
  EXPECT_EQ(child.trace_id, c->trace_id);
  EXPECT_NE(child.span_id, c->span_id);
}

TEST(TraceContext, RejectsInvalidHeaders) {
  for (auto bad : {"", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
                   "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                   "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                   "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                   "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                   "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
                   "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01"}) {
    EXPECT_FALSE(TraceContext::parse(bad)) << bad;
  }
  // A future version may append fields; the first four still count.
  EXPECT_TRUE(TraceContext::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz"));
}

TEST(SpanQueue, BoundedDropsAndCounts) {
  SpanQueue q(2);
  EXPECT_TRUE(q.offer(Span{}));
  EXPECT_TRUE(q.offer(Span{}));
  EXPECT_FALSE(q.offer(Span{}));
  EXPECT_EQ(q.dropped(), 1u);
  EXPECT_EQ(q.drain(1).size(), 1u);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.drain(10).size(), 1u);
}

TEST(Otlp, EncodesExportTraceServiceRequestJson) {
  Span s;
  s.context = TraceContext::new_root();
  s.has_parent = true;
  s.parent_span_id = {1, 2, 3, 4, 5, 6, 7, 8};
  s.name = "GET /items/{id:int}";
  s.kind = SpanKind::server;
  s.start_unix_nanos = 1;
  s.end_unix_nanos = 2;
  s.string_attributes = {{"http.route", "/items/{id:int}"}};
  s.int_attributes = {{"http.response.status_code", 200}};
  auto v = boost::json::parse(to_otlp_json({s}, "micromax", "0.1.0"));
  auto& rs = v.at("resourceSpans").as_array()[0];
  EXPECT_EQ(rs.at("resource").at("attributes").as_array()[0].at("value").at("stringValue"), "micromax");
  auto& span = rs.at("scopeSpans").as_array()[0].at("spans").as_array()[0];
  EXPECT_EQ(span.at("traceId").as_string(), s.context.trace_id_hex());
  EXPECT_EQ(span.at("parentSpanId"), "0102030405060708");
  EXPECT_EQ(span.at("kind"), 2);
  EXPECT_EQ(span.at("startTimeUnixNano"), "1");
  EXPECT_EQ(span.at("attributes").as_array()[1].at("value").at("intValue"), "200");
}
