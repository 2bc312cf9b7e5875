#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/rule_ids.hpp"
#include "models_test_support.hpp"
#include "scan/models/torch_archive.hpp"

namespace hazmat::models {
namespace {

using hazmat::testing::file_part;
using hazmat::testing::location_of;

TEST(TorchArchive, ClassifiesStateDictCheckpoint) {
    // Member order of torch.save in PyTorch 1.13
    // (tests/fixtures/models/benign/torch_state_dict.pt).
    const std::vector<std::string> names = {
        "torch_state_dict/data.pkl", "torch_state_dict/data/0", "torch_state_dict/data/1",
        "torch_state_dict/data/2",   "torch_state_dict/data/3", "torch_state_dict/version"};
    const auto layout = classify_torch_archive(names);
    EXPECT_EQ(layout.kind, TorchArchiveKind::pytorch_zip);
    EXPECT_EQ(layout.prefix, "torch_state_dict");
    EXPECT_EQ(layout.pickle_members, std::vector<std::string>{"torch_state_dict/data.pkl"});
    EXPECT_TRUE(layout.code_members.empty());
    EXPECT_EQ(layout.version_member, "torch_state_dict/version");
    EXPECT_TRUE(layout.foreign_members.empty());
    EXPECT_TRUE(torch_archive_findings(layout, location_of({file_part("m.pt")})).empty());
}

TEST(TorchArchive, ClassifiesTorchScriptAndListsItsCode) {
    // Member order of torch.jit.save (tests/fixtures/models/benign/torchscript.pt).
    const std::vector<std::string> names = {
        "torchscript/data/0",
        "torchscript/data/1",
        "torchscript/data.pkl",
        "torchscript/code/__torch__.py",
        "torchscript/code/__torch__.py.debug_pkl",
        "torchscript/code/__torch__/torch/nn/modules/linear.py",
        "torchscript/code/__torch__/torch/nn/modules/linear.py.debug_pkl",
        "torchscript/constants.pkl",
        "torchscript/version"};
    const auto layout = classify_torch_archive(names);
    EXPECT_EQ(layout.kind, TorchArchiveKind::torchscript);
    EXPECT_EQ(layout.prefix, "torchscript");
    EXPECT_EQ(
        layout.pickle_members,
        (std::vector<std::string>{"torchscript/data.pkl", "torchscript/code/__torch__.py.debug_pkl",
                                  "torchscript/code/__torch__/torch/nn/modules/linear.py.debug_pkl",
                                  "torchscript/constants.pkl"}));
    EXPECT_EQ(layout.code_members.size(), 4u);

    const auto findings = torch_archive_findings(layout, location_of({file_part("ts.pt")}));
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].rule_id, rules::kTorchScriptCode);
    EXPECT_EQ(findings[0].severity, Severity::info);
    EXPECT_EQ(findings[0].location, location_of({file_part("ts.pt")}));
    EXPECT_EQ(findings[0].evidence,
              (std::vector<std::string>{
                  "code member torchscript/code/__torch__.py",
                  "code member torchscript/code/__torch__.py.debug_pkl",
                  "code member torchscript/code/__torch__/torch/nn/modules/linear.py",
                  "code member torchscript/code/__torch__/torch/nn/modules/linear.py.debug_pkl"}));
}

TEST(TorchArchive, ConstantsPickleAloneMakesTorchLoadRunTorchScript) {
    // torch.load forwards any archive with constants.pkl to torch.jit.load.
    const std::vector<std::string> names = {"m/data.pkl", "m/constants.pkl", "m/version"};
    EXPECT_EQ(classify_torch_archive(names).kind, TorchArchiveKind::torchscript);
}

TEST(TorchArchive, PrefixComesFromTheFirstEntryOnly) {
    // A second directory is invisible to torch.load; its members are foreign
    // (and still examined by the zip and pickle analyzers).
    const std::vector<std::string> names = {"a/data.pkl", "b/data.pkl", "a/version"};
    const auto layout = classify_torch_archive(names);
    EXPECT_EQ(layout.prefix, "a");
    EXPECT_EQ(layout.pickle_members, std::vector<std::string>{"a/data.pkl"});
    EXPECT_EQ(layout.foreign_members, std::vector<std::string>{"b/data.pkl"});
}

TEST(TorchArchive, ArchivesTorchCannotReadAreNotClassified) {
    EXPECT_EQ(classify_torch_archive(std::vector<std::string>{}).kind, TorchArchiveKind::none);
    EXPECT_EQ(classify_torch_archive(std::vector<std::string>{"data.pkl", "x/data.pkl"}).kind,
              TorchArchiveKind::none);
    EXPECT_EQ(classify_torch_archive(std::vector<std::string>{"weights.npy", "bias.npy"}).kind,
              TorchArchiveKind::none);
    EXPECT_EQ(classify_torch_archive(std::vector<std::string>{"x/readme.txt", "x/data/0"}).kind,
              TorchArchiveKind::none);
}

TEST(TorchArchive, LongCodeListsAreCut) {
    std::vector<std::string> names = {"m/constants.pkl"};
    for (int i = 0; i < 60; ++i)
        names.push_back(fmt::format("m/code/__torch__/mod{}.py", i));
    const auto findings =
        torch_archive_findings(classify_torch_archive(names), location_of({file_part("m.pt")}));
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].evidence.size(), 51u);
    EXPECT_EQ(findings[0].evidence.back(), "... and 10 more code members");
}

}  // namespace
}  // namespace hazmat::models
