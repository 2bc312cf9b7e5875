#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scan/code/decoders.hpp"
#include "scan/code/python_module.hpp"

namespace hazmat::code {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> texts(const LiteralValue& value) {
    std::vector<std::string> out;
    for (const auto& item : value.items)
        out.push_back(item.text);
    return out;
}

TEST(PythonModule, SetupCallArgumentsAreFoldedThroughConstants) {
    const auto module = PythonModule::parse(R"(
from setuptools import setup as make_package
BASE = ["numpy>=1.24", "torch" + ">=2.2"]
EXTRA = ("rich",)
make_package(
    name="demo",
    install_requires=BASE + ["scikit-learn"] + list(EXTRA),
    extras_require={"dev": ["pytest"]},
    version=read_version(),
)
)");
    ASSERT_TRUE(module.ok());
    const auto setup = find_setup_call(*module);
    ASSERT_TRUE(setup.has_value());
    EXPECT_EQ(setup->line, 5u);
    const auto& requires_ = setup->keywords.at("install_requires");
    EXPECT_TRUE(requires_.exact);
    EXPECT_THAT(texts(requires_), ElementsAre("numpy>=1.24", "torch>=2.2", "scikit-learn", "rich"));
    const auto* dev = setup->keywords.at("extras_require").find("dev");
    ASSERT_NE(dev, nullptr);
    EXPECT_THAT(texts(*dev), ElementsAre("pytest"));
    EXPECT_EQ(setup->keywords.at("name").text, "demo");
    EXPECT_THAT(setup->unresolved, ElementsAre("version"));
    EXPECT_FALSE(setup->has_splat);
}

TEST(PythonModule, SetupWithSplatSaysSo) {
    const auto module = PythonModule::parse("import setuptools\nsetuptools.setup(**config)\n");
    ASSERT_TRUE(module.ok());
    const auto setup = find_setup_call(*module);
    ASSERT_TRUE(setup.has_value());
    EXPECT_TRUE(setup->has_splat);
}

TEST(PythonModule, NamesResolveThroughAliasesAndIndirection) {
    const auto module = PythonModule::parse(R"(
import numpy as np
from os import system as run
import subprocess as sp
s = __import__("o" + "s")
g = getattr(s, "sys" + "tem")
np.load("x")
run("a")
sp.Popen(["b"])
g("c")
getattr(__import__("builtins"), "ex" + "ec")("1+1")
)");
    ASSERT_TRUE(module.ok());
    const auto names = [&](std::string_view qualified) {
        return module->calls_to(qualified).size();
    };
    EXPECT_EQ(names("numpy.load"), 1u);
    EXPECT_EQ(names("os.system"), 2u);
    EXPECT_EQ(names("subprocess.Popen"), 1u);
    EXPECT_EQ(names("exec"), 1u);
}

TEST(PythonModule, FoldsChrChainsReversalAndXorComprehensions) {
    const auto module = PythonModule::parse(R"(
a = "".join(chr(c) for c in [111, 115])
b = "metsys"[::-1]
c = bytes([x ^ 7 for x in b"hnt"]).decode()
d = bytes.fromhex("6f73")
e = __import__("base64").b64decode("b3M=")
f = f"{home}/.ssh/id_rsa"
)");
    ASSERT_TRUE(module.ok());
    const auto value_of = [&](size_t statement) {
        const TSNode assignment =
            ts_node_named_child(ts_node_named_child(module->tree().root(), statement), 0);
        return module->evaluate(field(assignment, "right"));
    };
    EXPECT_EQ(value_of(0)->text, "os");
    EXPECT_EQ(value_of(1)->text, "system");
    EXPECT_THAT(value_of(1)->decoders, ElementsAre("reversed"));
    EXPECT_EQ(value_of(2)->text, "ois");
    EXPECT_EQ(value_of(3)->text, "os");
    EXPECT_EQ(value_of(4)->text, "os");
    EXPECT_THAT(value_of(4)->decoders, ElementsAre("base64"));
    const auto partial = value_of(5);
    EXPECT_FALSE(partial->exact);
    EXPECT_EQ(partial->text, std::string(1, kUnknownPart) + "/.ssh/id_rsa");
}

TEST(CodeDecoders, Base64IsAsLenientAsPython) {
    EXPECT_EQ(decode_base64("aGVs\nbG8"), "hello");
    EXPECT_EQ(decode_base64("aGVsbG8="), "hello");
    EXPECT_FALSE(decode_base64("a").has_value());
}

TEST(CodeDecoders, UnwrapsHexThenSingleByteXor) {
    std::string plain = "import os; print('hazmat-test')  # a payload long enough to look encoded";
    std::string xored;
    for (const char c : plain)
        xored.push_back(static_cast<char>(c ^ 0x5a));
    std::string hex;
    for (const char c : xored)
        hex += fmt::format("{:02x}", static_cast<uint8_t>(c));
    const auto result = unwrap_opaque(hex, {});
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->text, plain);
    EXPECT_THAT(result->layers, ElementsAre("hex", "xor 0x5a"));
}

TEST(CodeDecoders, LeavesBinaryDataAlone) {
    // A SHA-256 in hex decodes to bytes that are not text under any key.
    EXPECT_FALSE(
        unwrap_opaque("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", {})
            .has_value());
}

}  // namespace
}  // namespace hazmat::code
