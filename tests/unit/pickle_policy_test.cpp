// The callable policy: loading, precedence, name handling and the errors a
// malformed file produces.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/rule_registry.hpp"
#include "pickle_test_support.hpp"
#include "scan/pickle/callable_names.hpp"
#include "scan/pickle/pickle_rule_ids.hpp"

namespace hazmat::pickle {
namespace {

constexpr std::string_view kDeny = R"(
version = "test"
[[deny]]
name = "os.*"
rule = "HZ-PKL-002"
why = "runs commands"

[[deny]]
name = "builtins.eval"
rule = "HZ-PKL-001"
why = "evaluates code"

[[deny]]
name = "functools.partial"
rule = "HZ-PKL-006"
severity = "high"
why = "wraps a callable"
)";

constexpr std::string_view kAllow = R"(
version = "test"
[[allow]]
name = "os.getcwd"
why = "more specific than the module-wide os.* deny entry"

[[allow]]
name = "builtins.eval"
why = "listed by mistake: an exact deny entry still wins"

[[allow]]
name = "collections.OrderedDict"
why = "a dict"
)";

std::shared_ptr<const CallablePolicy> policy(std::span<const std::string> user = {}) {
    auto loaded = CallablePolicy::from_text(kDeny, kAllow, user);
    EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().message);
    return loaded.value();
}

std::string load_error(std::string_view deny, std::string_view allow,
                       std::span<const std::string> user = {}) {
    auto loaded = CallablePolicy::from_text(deny, allow, user);
    EXPECT_FALSE(loaded.ok());
    return loaded.ok() ? "" : loaded.error().message;
}

TEST(PicklePolicy, ShippedListsLoadWithVersions) {
    const auto shipped = testing::shipped_policy();
    EXPECT_FALSE(shipped->denylist_version().empty());
    EXPECT_FALSE(shipped->allowlist_version().empty());
    EXPECT_GT(shipped->deny_entries(), 250u);
    EXPECT_GT(shipped->allow_entries(), 500u);
}

TEST(PicklePolicy, ShippedDenyEntriesUseCallableRules) {
    const auto shipped = testing::shipped_policy();
    for (const auto* name : {"os.system", "builtins.eval", "pip.main", "ensurepip._run_pip",
                             "timeit.timeit", "pydoc.pipepager", "uuid._get_command_stdout",
                             "torch.storage._load_from_bytes", "pkgutil.resolve_name"}) {
        const std::string text(name);
        const auto dot = text.rfind('.');
        const auto verdict = shipped->classify(text.substr(0, dot), text.substr(dot + 1));
        EXPECT_EQ(verdict.outcome, PolicyOutcome::denied) << name;
        ASSERT_NE(verdict.entry, nullptr) << name;
        EXPECT_NE(RuleRegistry::builtin().find(verdict.entry->rule), nullptr) << name;
    }
}

TEST(PicklePolicy, ShippedAllowListCoversCheckpointHelpers) {
    const auto shipped = testing::shipped_policy();
    for (const auto& [module, name] : std::vector<std::pair<std::string, std::string>>{
             {"torch._utils", "_rebuild_tensor_v2"},
             {"torch", "FloatStorage"},
             {"collections", "OrderedDict"},
             {"numpy.core.multiarray", "_reconstruct"},
             {"sklearn.tree._tree", "Tree"},
             {"joblib.numpy_pickle", "NumpyArrayWrapper"},
             {"transformers.training_args", "TrainingArguments"}}) {
        EXPECT_EQ(shipped->classify(module, name).outcome, PolicyOutcome::allowed)
            << module << "." << name;
    }
}

TEST(PicklePolicy, UnlistedCallablesAreUnknown) {
    const auto p = policy();
    const auto verdict = p->classify("mypackage.models", "Net");
    EXPECT_EQ(verdict.outcome, PolicyOutcome::unknown);
    EXPECT_EQ(verdict.entry, nullptr);
}

TEST(PicklePolicy, ShippedExactDenyBeatsShippedAllow) {
    const auto p = policy();
    const auto verdict = p->classify("builtins", "eval");
    EXPECT_EQ(verdict.outcome, PolicyOutcome::denied);
    EXPECT_EQ(verdict.entry->name, "builtins.eval");
}

TEST(PicklePolicy, ShippedExactAllowBeatsModuleWideDeny) {
    const auto p = policy();
    const auto exact = p->classify("os", "getcwd");
    EXPECT_EQ(exact.outcome, PolicyOutcome::allowed);
    EXPECT_EQ(exact.entry->name, "os.getcwd");
    // Only the exact name: anything else under the module stays denied, and
    // so does the allowed name reached through another module.
    EXPECT_EQ(p->classify("os", "system").outcome, PolicyOutcome::denied);
    EXPECT_EQ(p->classify("pathlib", "os.getcwd").outcome, PolicyOutcome::denied);
}

TEST(PicklePolicy, ModuleWideEntriesCoverTheModuleAndEverythingUnderIt) {
    const auto p = policy();
    EXPECT_EQ(p->classify("os", "").outcome, PolicyOutcome::denied);
    EXPECT_EQ(p->classify("os.path", "join").outcome, PolicyOutcome::denied);
    EXPECT_EQ(p->classify("osx", "thing").outcome, PolicyOutcome::unknown);
}

TEST(PicklePolicy, DottedPathsReachingADeniedNameAreDenied) {
    const auto p = policy();
    const auto verdict = p->classify("pathlib", "os.system");
    EXPECT_EQ(verdict.outcome, PolicyOutcome::denied);
    EXPECT_EQ(verdict.matched, "os.system");
    const auto deeper = p->classify("torch.serialization", "pickle.builtins.eval");
    EXPECT_EQ(deeper.outcome, PolicyOutcome::denied);
    EXPECT_EQ(deeper.matched, "builtins.eval");
}

TEST(PicklePolicy, DenyEntriesCarryTheirSeverity) {
    const auto p = policy();
    EXPECT_EQ(p->classify("functools", "partial").entry->severity, Severity::high);
    EXPECT_EQ(p->classify("builtins", "eval").entry->severity, Severity::critical);
}

TEST(PicklePolicy, UserAllowListOverridesTheDenyListVisibly) {
    const std::vector<std::string> user = {R"(
[[allow]]
name = "os.system"
why = "my sandbox runs these"
)"};
    const auto p = policy(user);
    const auto verdict = p->classify("os", "system");
    EXPECT_EQ(verdict.outcome, PolicyOutcome::allowed);
    ASSERT_NE(verdict.overridden, nullptr);
    EXPECT_EQ(verdict.overridden->name, "os.*");
    EXPECT_EQ(verdict.entry->file, "user allow-list 1");
}

TEST(PicklePolicy, ErrorsNameTheFileAndTheProblem) {
    EXPECT_EQ(
        load_error("version = \"x\"\n[[deny]]\nname = \"os.*\"\nrule = \"HZ-PKL-002\"\n", kAllow),
        "denylist.toml:2:1: entry 'os.*' has no 'why'");
    EXPECT_EQ(load_error(kDeny, "version = \"x\"\n[[allow]]\nname = \"os system\"\nwhy = \"x\"\n"),
              "allowlist.toml:2:1: entry name 'os system' is not a dotted Python name "
              "(module.attribute or module.*)");
    EXPECT_NE(load_error("version = \"x\"\n[[deny]]\nname = \"a.b\"\nrule = \"HZ-PKL-009\"\n"
                         "why = \"x\"\n",
                         kAllow)
                  .find("not a callable category"),
              std::string::npos);
    EXPECT_EQ(load_error(kDeny,
                         "version = \"x\"\n[[allow]]\nname = \"a.b\"\nwhy = \"x\"\n"
                         "colour = \"red\"\n"),
              "allowlist.toml:5:10: unexpected key 'colour' (or wrong type) in a [[allow]] entry");
    EXPECT_NE(
        load_error(kDeny, "[[allow]]\nname = \"a.b\"\nwhy = \"x\"\n").find("missing 'version'"),
        std::string::npos);
    EXPECT_NE(load_error(kDeny,
                         "version = \"x\"\n[[allow]]\nname = \"a.b\"\nwhy = \"x\"\n"
                         "[[allow]]\nname = \"a.b\"\nwhy = \"y\"\n")
                  .find("'a.b' is listed twice"),
              std::string::npos);
    EXPECT_NE(load_error(kDeny, "version = \n").find("allowlist.toml:1:"), std::string::npos);
}

TEST(PicklePolicy, UserFilesMayOnlyAllow) {
    const std::vector<std::string> user = {
        "[[deny]]\nname = \"json.loads\"\nrule = \"HZ-PKL-005\"\nwhy = \"x\"\n"};
    EXPECT_NE(load_error(kDeny, kAllow, user).find("unexpected top-level key 'deny'"),
              std::string::npos);
}

TEST(PicklePolicy, LoadNamesAMissingFile) {
    const auto missing = std::filesystem::path(HAZMAT_SOURCE_DIR) / "no-such-dir";
    auto loaded = CallablePolicy::load(missing, {});
    ASSERT_FALSE(loaded.ok());
    EXPECT_NE(loaded.error().message.find("no-such-dir/denylist.toml"), std::string::npos);
}

TEST(PickleNames, FixImportsAppliesBelowProtocol3Only) {
    EXPECT_EQ(normalize_global("__builtin__", "eval", 2).qualified(), "builtins.eval");
    EXPECT_EQ(normalize_global("__builtin__", "eval", 3).qualified(), "__builtin__.eval");
    EXPECT_EQ(normalize_global("__builtin__", "xrange", 0).qualified(), "builtins.range");
    EXPECT_EQ(normalize_global("copy_reg", "_reconstructor", 2).qualified(),
              "copyreg._reconstructor");
    EXPECT_EQ(normalize_global("exceptions", "ValueError", 1).qualified(), "builtins.ValueError");
    EXPECT_EQ(normalize_global("exceptions", "eval", 1).qualified(), "exceptions.eval");
    EXPECT_EQ(normalize_global("commands", "getoutput", 2).qualified(), "subprocess.getoutput");
}

TEST(PickleNames, AcceleratorModulesFoldIntoTheirPublicModule) {
    EXPECT_EQ(normalize_global("posix", "system", 4).qualified(), "os.system");
    EXPECT_EQ(normalize_global("nt", "system", 4).qualified(), "os.system");
    EXPECT_EQ(normalize_global("_operator", "attrgetter", 4).qualified(), "operator.attrgetter");
    EXPECT_EQ(normalize_global("_codecs", "encode", 2).qualified(), "codecs.encode");
    EXPECT_EQ(normalize_global("posixpath", "join", 4).qualified(), "os.path.join");
    EXPECT_EQ(normalize_global("posixfoo", "x", 4).qualified(), "posixfoo.x");
}

TEST(PickleNames, DottedIdentifiers) {
    EXPECT_TRUE(is_dotted_identifier("torch._utils"));
    EXPECT_TRUE(is_dotted_identifier("__pyx_unpickle_X"));
    EXPECT_FALSE(is_dotted_identifier("a..b"));
    EXPECT_FALSE(is_dotted_identifier(".a"));
    EXPECT_FALSE(is_dotted_identifier("a b"));
    EXPECT_FALSE(is_dotted_identifier("1a"));
    EXPECT_FALSE(is_dotted_identifier(""));
}

}  // namespace
}  // namespace hazmat::pickle
