#include <gtest/gtest.h>

#include "sandbox/dns_message.hpp"
#include "sandbox/network_policy.hpp"

namespace hazmat::sandbox {
namespace {

std::string query(uint16_t id, std::initializer_list<std::string_view> labels, uint16_t type) {
    std::string packet;
    packet += static_cast<char>(id >> 8);
    packet += static_cast<char>(id & 0xff);
    packet += std::string("\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 10);  // RD, one question
    for (const auto label : labels) {
        packet += static_cast<char>(label.size());
        packet += label;
    }
    packet += '\0';
    packet += static_cast<char>(type >> 8);
    packet += static_cast<char>(type & 0xff);
    packet += std::string("\x00\x01", 2);
    return packet;
}

TEST(SandboxDns, ParsesTheQuestionOfAQuery) {
    const auto packet = query(0xbeef, {"collector", "hazmat-test", "invalid"}, 28);
    const auto question = parse_dns_query(packet);
    ASSERT_TRUE(question);
    EXPECT_EQ(question->id, 0xbeef);
    EXPECT_EQ(question->name, "collector.hazmat-test.invalid");
    EXPECT_EQ(dns_type_name(question->type), "AAAA");
    EXPECT_EQ(question->question_end, packet.size());
}

TEST(SandboxDns, EscapesOddBytesInLabels) {
    const auto question = parse_dns_query(query(1, {"a b", "x.y"}, 1));
    ASSERT_TRUE(question);
    EXPECT_EQ(question->name, "a\\032b.x\\046y");
}

TEST(SandboxDns, RejectsResponsesCompressionAndTruncation) {
    auto response = query(1, {"example", "invalid"}, 1);
    response[2] = static_cast<char>(0x81);
    EXPECT_FALSE(parse_dns_query(response));
    auto pointer = query(1, {"example"}, 1);
    pointer[12] = static_cast<char>(0xc0);
    EXPECT_FALSE(parse_dns_query(pointer));
    const auto full = query(1, {"example", "invalid"}, 1);
    EXPECT_FALSE(parse_dns_query(full.substr(0, full.size() - 3)));
    EXPECT_FALSE(parse_dns_query("short"));
}

TEST(SandboxDns, NxdomainAnswerEchoesIdAndQuestion) {
    const auto packet = query(0x1234, {"example", "invalid"}, 1);
    const auto question = parse_dns_query(packet);
    ASSERT_TRUE(question);
    const auto answer = dns_error_response(packet, *question, 3);
    ASSERT_EQ(answer.size(), packet.size());
    EXPECT_EQ(answer.substr(0, 2), packet.substr(0, 2));
    EXPECT_EQ(static_cast<unsigned char>(answer[2]), 0x81);  // response, recursion desired
    EXPECT_EQ(static_cast<unsigned char>(answer[3]), 0x83);  // recursion available, NXDOMAIN
    EXPECT_EQ(answer.substr(12), packet.substr(12));
}

TEST(SandboxNetworkPolicy, LoopbackOnlyAdmitsNothing) {
    NetworkPolicy policy;
    policy.allow.push_back({"pypi.org", 443});
    EXPECT_FALSE(policy.admits_name("pypi.org"));
    EXPECT_FALSE(policy.admits_flow("pypi.org", 443));
}

TEST(SandboxNetworkPolicy, AllowListMatchesNamesAndPorts) {
    NetworkPolicy policy;
    policy.mode = NetworkMode::allow_listed;
    policy.allow = {{"pypi.org", 443}, {"*.huggingface.co", 0}};
    EXPECT_TRUE(policy.admits_name("PyPI.org."));
    EXPECT_TRUE(policy.admits_flow("pypi.org", 443));
    EXPECT_FALSE(policy.admits_flow("pypi.org", 80));
    EXPECT_TRUE(policy.admits_flow("cdn-lfs.huggingface.co", 8443));
    EXPECT_FALSE(policy.admits_name("huggingface.co"));
    EXPECT_FALSE(policy.admits_name("evilhuggingface.co"));
    EXPECT_TRUE(host_matches("*.example.com", "a.b.example.com"));
}

}  // namespace
}  // namespace hazmat::sandbox
