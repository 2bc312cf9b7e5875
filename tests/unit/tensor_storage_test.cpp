// Tensor storage members of a PyTorch archive are skipped by the analyzers
// that read whole blobs (CRC, credentials, YARA). That must never let a
// payload hide under a storage name: the pickle analyzer still sniffs it.

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/report.hpp"
#include "core/scanner.hpp"
#include "scan/secrets/validators.hpp"
#include "secrets_test_support.hpp"

namespace hazmat {
namespace {

void put16(std::string& out, uint16_t value) {
    out += static_cast<char>(value & 0xff);
    out += static_cast<char>(value >> 8);
}
void put32(std::string& out, uint32_t value) {
    put16(out, static_cast<uint16_t>(value & 0xffff));
    put16(out, static_cast<uint16_t>(value >> 16));
}

// A zip of stored members, as torch.save writes them.
std::string stored_zip(const std::vector<std::pair<std::string, std::string>>& members) {
    std::string out;
    std::string directory;
    for (const auto& [name, data] : members) {
        const auto crc = static_cast<uint32_t>(
            crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
        const auto offset = static_cast<uint32_t>(out.size());
        put32(out, 0x04034b50);
        put16(out, 20);
        put16(out, 0);
        put16(out, 0);
        put32(out, 0);
        put32(out, crc);
        put32(out, static_cast<uint32_t>(data.size()));
        put32(out, static_cast<uint32_t>(data.size()));
        put16(out, static_cast<uint16_t>(name.size()));
        put16(out, 0);
        out += name;
        out += data;
        put32(directory, 0x02014b50);
        put16(directory, 20);
        put16(directory, 20);
        put16(directory, 0);
        put16(directory, 0);
        put32(directory, 0);
        put32(directory, crc);
        put32(directory, static_cast<uint32_t>(data.size()));
        put32(directory, static_cast<uint32_t>(data.size()));
        put16(directory, static_cast<uint16_t>(name.size()));
        put16(directory, 0);
        put16(directory, 0);
        put16(directory, 0);
        put16(directory, 0);
        put32(directory, 0);
        put32(directory, offset);
        directory += name;
    }
    const auto directory_offset = static_cast<uint32_t>(out.size());
    out += directory;
    put32(out, 0x06054b50);
    put16(out, 0);
    put16(out, 0);
    put16(out, static_cast<uint16_t>(members.size()));
    put16(out, static_cast<uint16_t>(members.size()));
    put32(out, static_cast<uint32_t>(directory.size()));
    put32(out, directory_offset);
    put16(out, 0);
    return out;
}

std::string padded(std::string head, size_t size) {
    head.resize(size, '\0');
    return head;
}

TEST(TensorStorage, PickleUnderAStorageNameIsStillExamined) {
    const std::string payload =
        "\x80\x02"
        "cos\nsystem\n(S'echo 1'\ntR.";
    const auto body = "Hz7kQ2mV9pLx4RtB8nWc3JfYd6GsA1";
    const auto token = "ghp_" + std::string(body) + secrets::github_checksum(body);
    const auto archive = stored_zip({
        {"model/data.pkl", std::string("\x80\x02}q\x00.", 6)},
        {"model/version", "3\n"},
        {"model/data/0", padded(payload, 2u << 20)},
        {"model/data/1", padded("key = " + token + "\n", 2u << 20)},
    });
    Report report;
    scan_bytes(testing::secrets_dispatcher(), ScanLimits{}, bytes_from(archive), "model.pt",
               report);
    report.finish();

    std::vector<std::string> payload_members;
    bool token_reported = false;
    for (const auto& finding : report.findings()) {
        if (finding.rule_id == "HZ-PKL-002")
            payload_members.push_back(finding.location.chain.back().name);
        token_reported = token_reported || finding.rule_id.starts_with("HZ-SEC-");
    }
    EXPECT_EQ(payload_members, std::vector<std::string>{"model/data/0"});
    // Documented: storage above 1 MiB is not searched for credentials.
    EXPECT_FALSE(token_reported);
    EXPECT_EQ(report.stats().formats.at("pytorch-zip"), 1u);
}

}  // namespace
}  // namespace hazmat
