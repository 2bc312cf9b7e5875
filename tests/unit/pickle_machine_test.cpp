// The pickle machine, one opcode family at a time, on hand-assembled bytes.
// Expected behaviour is CPython's C unpickler (Modules/_pickle.c).

#include <gtest/gtest.h>

#include <string>

#include "pickle_test_support.hpp"
#include "scan/pickle/pickle_rule_ids.hpp"

namespace hazmat::pickle {
namespace {

using testing::MachineRun;

using namespace std::string_literals;

// --- stack, marks and memo ---------------------------------------------------

TEST(PickleMachineStack, DupAndCountedTuplesWork) {
    MachineRun run(
        "K\x01K\x02"
        "2\x86."s);
    ASSERT_EQ(run.outcome().end, StreamEnd::stop);
    const auto items = run.machine().items_of(run.result());
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(run.machine().integer_of(items[0]), 2);
    EXPECT_EQ(run.machine().integer_of(items[1]), 2);
    EXPECT_EQ(run.outcome().end_offset, 7u);
}

TEST(PickleMachineStack, PopRemovesAMarkOnTop) {
    MachineRun run("K\x07(0."s);
    ASSERT_EQ(run.outcome().end, StreamEnd::stop);
    EXPECT_EQ(run.machine().integer_of(run.result()), 7);
}

TEST(PickleMachineStack, PopMarkDiscardsDownToTheMark) {
    MachineRun run(
        "K\x01(K\x02K\x03"
        "1."s);
    ASSERT_EQ(run.outcome().end, StreamEnd::stop);
    EXPECT_EQ(run.machine().integer_of(run.result()), 1);
}

TEST(PickleMachineStack, PoppingBelowAMarkIsAnError) {
    MachineRun run("K\x01(R."s);
    EXPECT_EQ(run.outcome().end, StreamEnd::invalid);
    EXPECT_EQ(run.outcome().error, "unexpected MARK found");
    EXPECT_EQ(run.outcome().end_offset, 3u);
}

TEST(PickleMachineStack, MissingMarkIsAnError) {
    MachineRun run("K\x01t."s);
    EXPECT_EQ(run.outcome().end, StreamEnd::invalid);
    EXPECT_EQ(run.outcome().error, "could not find MARK");
}

TEST(PickleMachineStack, StopOnAnEmptyStackIsAnError) {
    MachineRun run(".");
    EXPECT_EQ(run.outcome().end, StreamEnd::invalid);
    EXPECT_EQ(run.outcome().error, "unpickling stack underflow");
}

TEST(PickleMachineStack, InputEndingBeforeStopIsTruncated) {
    MachineRun run("\x80\x02K\x01"s);
    EXPECT_EQ(run.outcome().end, StreamEnd::truncated);
    EXPECT_EQ(run.outcome().end_offset, 4u);
}

TEST(PickleMachineMemo, BinaryAndTextPutGetRoundTrip) {
    MachineRun binary(
        "K\x05q\x03"
        "0h\x03."s);
    EXPECT_EQ(binary.machine().integer_of(binary.result()), 5);
    MachineRun text("I7\np12\n0g12\n."s);
    EXPECT_EQ(text.machine().integer_of(text.result()), 7);
    MachineRun spaced("I8\np 1_0 \n0g10\n."s);
    EXPECT_EQ(spaced.machine().integer_of(spaced.result()), 8);
}

TEST(PickleMachineMemo, MemoizeStoresAtTheEntryCountNotTheLargestIndex) {
    // One entry at index 1e9, so MEMOIZE stores at 1 (CPython's memo_len).
    MachineRun run(
        "K\x01r\x00\xca\x9a\x3b"
        "0K\x02\x94"
        "0h\x01."s);
    ASSERT_EQ(run.outcome().end, StreamEnd::stop) << run.outcome().error;
    EXPECT_EQ(run.machine().integer_of(run.result()), 2);
}

TEST(PickleMachineMemo, HugeIndicesWorkWithoutAllocating) {
    MachineRun run(
        "K\x09r\xff\xff\xff\xff"
        "0j\xff\xff\xff\xff."s);
    ASSERT_EQ(run.outcome().end, StreamEnd::stop) << run.outcome().error;
    EXPECT_EQ(run.machine().integer_of(run.result()), 9);
}

TEST(PickleMachineMemo, MissingEntryIsAnError) {
    MachineRun run("h\x05."s);
    EXPECT_EQ(run.outcome().end, StreamEnd::invalid);
    EXPECT_EQ(run.outcome().error, "Memo value not found at index 5");
}

TEST(PickleMachineMemo, NegativePutIsAnError) {
    MachineRun run("K\x01p-1\n."s);
    EXPECT_EQ(run.outcome().end, StreamEnd::invalid);
    EXPECT_EQ(run.outcome().error, "negative PUT argument");
}

TEST(PickleMachineMemo, PutOnAnEmptyStackIsAnUnderflow) {
    MachineRun run("q\x00."s);
    EXPECT_EQ(run.outcome().end, StreamEnd::invalid);
    EXPECT_EQ(run.outcome().error, "unpickling stack underflow");
}

TEST(PickleMachineMemo, MemoEntryLimitStopsTheStream) {
    MachineOptions options;
    options.max_memo = 2;
    MachineRun run("K\x01\x94\x94\x94."s, options);
    EXPECT_EQ(run.outcome().end, StreamEnd::limit);
    EXPECT_EQ(run.outcome().limit, LimitKind::pickle_memo);
}

// --- numbers -------------------------------------------------------------------

TEST(PickleMachineNumbers, OnlyFourByteBinIntIsSigned) {
    MachineRun four("J\xff\xff\xff\xff."s);
    EXPECT_EQ(four.machine().integer_of(four.result()), -1);
    MachineRun two("M\xff\xff."s);
    EXPECT_EQ(two.machine().integer_of(two.result()), 65535);
    MachineRun one("K\xff."s);
    EXPECT_EQ(one.machine().integer_of(one.result()), 255);
}

TEST(PickleMachineNumbers, IntLinesParseBoolsLargeValuesAndReject) {
    MachineRun boolean("I01\n."s);
    EXPECT_EQ(boolean.result().kind, ValueKind::boolean);
    MachineRun big("I123456789012345678901234567890\n."s);
    EXPECT_EQ(big.result().kind, ValueKind::big_integer);
    MachineRun bad("Ixyz\n."s);
    EXPECT_EQ(bad.outcome().end, StreamEnd::invalid);
    EXPECT_EQ(bad.outcome().error, "could not convert string to int");
}

TEST(PickleMachineNumbers, LongOpcodesDecodeTwosComplement) {
    MachineRun positive("\x8a\x02\xff\x7f."s);
    EXPECT_EQ(positive.machine().integer_of(positive.result()), 32767);
    MachineRun negative("\x8a\x01\xff."s);
    EXPECT_EQ(negative.machine().integer_of(negative.result()), -1);
    MachineRun text("L12L\n."s);
    EXPECT_EQ(text.machine().integer_of(text.result()), 12);
    MachineRun bad_count("\x8b\xff\xff\xff\xff."s);
    EXPECT_EQ(bad_count.outcome().error, "LONG pickle has negative byte count");
}

TEST(PickleMachineNumbers, TorchMagicIsRecognisedInEverySpelling) {
    const uint8_t magic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
    MachineRun binary("\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19."s);
    EXPECT_TRUE(binary.machine().integer_equals(binary.result(), magic));
    MachineRun decimal("L119547037146038801333356L\n."s);
    EXPECT_TRUE(decimal.machine().integer_equals(decimal.result(), magic));
    MachineRun other("L119547037146038801333357L\n."s);
    EXPECT_FALSE(other.machine().integer_equals(other.result(), magic));
}

TEST(PickleMachineNumbers, FloatsAreValidated) {
    EXPECT_EQ(MachineRun("F1.5e3\n."s).outcome().end, StreamEnd::stop);
    EXPECT_EQ(MachineRun("Fnan\n."s).outcome().end, StreamEnd::stop);
    EXPECT_EQ(MachineRun("F1.5x\n."s).outcome().end, StreamEnd::invalid);
    EXPECT_EQ(MachineRun("G\x3f\xf0\x00\x00\x00\x00\x00\x00."s).outcome().end, StreamEnd::stop);
}

// --- strings and bytes -----------------------------------------------------------

TEST(PickleMachineText, StringOpcodeDecodesPython2Escapes) {
    MachineRun run("S'o\\x73\\n\\101'\n."s);
    ASSERT_EQ(run.outcome().end, StreamEnd::stop);
    EXPECT_EQ(run.machine().text_of(run.result()), "os\nA");
}

TEST(PickleMachineText, StringOpcodeMustBeQuoted) {
    MachineRun run("Sabc\n."s);
    EXPECT_EQ(run.outcome().error, "the STRING opcode argument must be quoted");
}

TEST(PickleMachineText, UnicodeOpcodeDecodesRawUnicodeEscapes) {
    MachineRun run("V\\u006fs\\\\u0073\n."s);
    EXPECT_EQ(run.machine().text_of(run.result()), "os\\\\u0073");
}

TEST(PickleMachineText, CountedTextAndBytesKeepTheirKinds) {
    MachineRun unicode("\x8c\x02hi."s);
    EXPECT_EQ(unicode.result().kind, ValueKind::str);
    MachineRun bytes(
        "C\x03"
        "abc."s);
    EXPECT_EQ(bytes.result().kind, ValueKind::bytes);
    MachineRun long_bytes("B\x02\x00\x00\x00hi."s);
    EXPECT_EQ(long_bytes.machine().text_of(long_bytes.result()), "hi");
    MachineRun array("\x96\x01\x00\x00\x00\x00\x00\x00\x00z."s);
    EXPECT_EQ(array.result().kind, ValueKind::bytearray);
    MachineRun eight("\x8d\x01\x00\x00\x00\x00\x00\x00\x00z."s);
    EXPECT_EQ(eight.machine().text_of(eight.result()), "z");
}

TEST(PickleMachineText, DeclaredLengthBeyondTheInputIsTruncationNotAllocation) {
    MachineRun run(
        "X\xff\xff\xff\x7f"
        "abc"s);
    EXPECT_EQ(run.outcome().end, StreamEnd::truncated);
    EXPECT_EQ(run.outcome().end_offset, 0u);
    MachineRun eight("\x8e\xff\xff\xff\xff\xff\xff\xff\x7f"s);
    EXPECT_EQ(eight.outcome().end, StreamEnd::truncated);
}

// --- containers ------------------------------------------------------------------

TEST(PickleMachineContainers, DictNeedsPairs) {
    MachineRun run(
        "(K\x01"
        "d."s);
    EXPECT_EQ(run.outcome().error, "odd number of items for DICT");
}

TEST(PickleMachineContainers, AppendsExtendsAList) {
    MachineRun run(
        "](K\x01K\x02"
        "eK\x03"
        "a."s);
    ASSERT_EQ(run.outcome().end, StreamEnd::stop);
    EXPECT_EQ(run.machine().items_of(run.result()).size(), 3u);
}

TEST(PickleMachineContainers, SetItemsOnAnIntegerIsAnError) {
    MachineRun run("K\x01(K\x02K\x03u."s);
    EXPECT_EQ(run.outcome().end, StreamEnd::invalid);
}

TEST(PickleMachineContainers, SetsAndFrozenSets) {
    MachineRun set("\x8f(K\x01K\x02\x90."s);
    EXPECT_EQ(set.result().kind, ValueKind::set);
    EXPECT_EQ(set.machine().items_of(set.result()).size(), 2u);
    MachineRun frozen("(K\x01\x91."s);
    EXPECT_EQ(frozen.result().kind, ValueKind::frozenset);
    MachineRun bad("K\x01(K\x02\x90."s);
    EXPECT_EQ(bad.outcome().end, StreamEnd::invalid);
}

TEST(PickleMachineContainers, CountedTupleNeedsItemsAboveTheMark) {
    MachineRun run("K\x01(\x85."s);
    EXPECT_EQ(run.outcome().end, StreamEnd::invalid);
    EXPECT_EQ(run.outcome().error, "unexpected MARK found");
}

TEST(PickleMachineContainers, HugeBenignListsKeepABoundedNumberOfItems) {
    std::string data = "](";
    for (int i = 0; i < 5000; ++i)
        data += "K\x01";
    data += "e.";
    MachineRun run(data);
    ASSERT_EQ(run.outcome().end, StreamEnd::stop);
    EXPECT_EQ(run.machine().items_of(run.result()).size(), ValueArena::kPlainItemsKept);
}

TEST(PickleMachineContainers, CallablesInHugeListsAreKept) {
    std::string data = "\x80\x02](";
    for (int i = 0; i < 1000; ++i)
        data += "K\x01";
    data += "cos\nsystem\ne.";
    MachineRun run(data);
    ASSERT_EQ(run.outcome().end, StreamEnd::stop);
    EXPECT_EQ(run.machine().items_of(run.result()).size(), ValueArena::kPlainItemsKept + 1);
}

TEST(PickleMachineContainers, NestingLimitStopsDeepValues) {
    MachineOptions options;
    options.max_nesting = 100;
    MachineRun run("K\x01" + std::string(200, '\x85') + ".", options);
    EXPECT_EQ(run.outcome().end, StreamEnd::limit);
    EXPECT_EQ(run.outcome().limit, LimitKind::pickle_nesting);
    MachineRun marks(std::string(200, '(') + ".", options);
    EXPECT_EQ(marks.outcome().limit, LimitKind::pickle_nesting);
}

TEST(PickleMachineContainers, StackLimitStopsDupFlooding) {
    MachineOptions options;
    options.max_stack = 1000;
    MachineRun run("K\x01" + std::string(5000, '2') + ".", options);
    EXPECT_EQ(run.outcome().end, StreamEnd::limit);
    EXPECT_EQ(run.outcome().limit, LimitKind::pickle_stack);
}

TEST(PickleMachineContainers, ContainersInsideThemselvesDoNotPileUp) {
    // l = []; l.append(l); drop it -- a million times.
    std::string data;
    for (int i = 0; i < 1'200'000; ++i)
        data += "]2a0";
    data += "N.";
    MachineOptions options;
    options.max_memo = 1000;  // objects alive are bounded by max(memo / 4, one million)
    MachineRun run(data, options);
    EXPECT_EQ(run.outcome().end, StreamEnd::stop) << run.outcome().limit_detail;
}

TEST(PickleMachineContainers, CyclicGarbageIsStoppedAtTheObjectBound) {
    // a = []; b = [a]; a.append(b); drop both, through memo slots reused
    // every round, so that only the cycle keeps them alive.
    std::string data;
    for (int i = 0; i < 600'000; ++i)
        data +=
            "]q\x00]q\x01h\x00"
            "aa0"s;
    data += "N.";
    MachineOptions options;
    options.max_memo = 1000;  // objects alive are bounded by max(memo / 4, one million)
    MachineRun run(data, options);
    EXPECT_EQ(run.outcome().end, StreamEnd::limit);
    EXPECT_EQ(run.outcome().limit, LimitKind::pickle_memo);
}

// --- globals and calls -------------------------------------------------------------

TEST(PickleMachineCalls, GlobalIsResolvedAndJudged) {
    MachineRun run("cos\nsystem\n."s);
    const auto* record = run.callable("os.system");
    ASSERT_NE(record, nullptr);
    EXPECT_EQ(record->verdict.outcome, PolicyOutcome::denied);
    EXPECT_EQ(record->verdict.entry->rule, rules::kPickleRunsProcess);
    EXPECT_EQ(record->first_offset, 0u);
    EXPECT_EQ(record->calls, 0u);
    EXPECT_EQ(record->resolutions, 1u);
}

TEST(PickleMachineCalls, ReduceRecordsTheCallAndItsArguments) {
    MachineRun run(
        "\x80\x02"
        "cbuiltins\neval\nS'1+1'\n\x85R."s);
    const auto* record = run.callable("builtins.eval");
    ASSERT_NE(record, nullptr);
    EXPECT_EQ(record->calls, 1u);
    ASSERT_EQ(record->evidence.size(), 2u);
    EXPECT_EQ(record->evidence[1], "REDUCE at byte 25 calls builtins.eval with ('1+1',)");
}

TEST(PickleMachineCalls, AllowedCallablesLeaveNoRecord) {
    MachineRun run("ccollections\nOrderedDict\n)R."s);
    ASSERT_EQ(run.outcome().end, StreamEnd::stop);
    EXPECT_TRUE(run.log().callables.empty());
}

TEST(PickleMachineCalls, CallingACallResultIsAnUnknownCallable) {
    MachineRun run("ccollections\nOrderedDict\n)R)R."s);
    const auto* record = run.callable("<an object returned by collections.OrderedDict>");
    ASSERT_NE(record, nullptr);
    EXPECT_EQ(record->verdict.outcome, PolicyOutcome::unknown);
    EXPECT_EQ(record->calls, 1u);
}

TEST(PickleMachineCalls, StackGlobalRequiresStrOperands) {
    MachineRun run("K\x01K\x02\x93."s);
    EXPECT_EQ(run.outcome().end, StreamEnd::invalid);
    EXPECT_EQ(run.outcome().error, "STACK_GLOBAL requires str");
    MachineRun bytes("C\x02osC\x06system\x93."s);
    EXPECT_EQ(bytes.outcome().error, "STACK_GLOBAL requires str");
}

TEST(PickleMachineCalls, StackGlobalOfComputedNamesIsDynamic) {
    MachineRun run("ccollections\nOrderedDict\n)Rccollections\nOrderedDict\n)R\x93."s);
    ASSERT_EQ(run.log().callables.size(), 1u);
    const auto& record = run.log().callables[0];
    EXPECT_TRUE(record.dynamic);
    EXPECT_EQ(record.verdict.entry->rule, rules::kPickleIndirectCallable);
}

TEST(PickleMachineCalls, Python2NamesAreMappedOnlyBelowProtocol3) {
    MachineRun old("c__builtin__\neval\n."s);
    EXPECT_NE(old.callable("builtins.eval"), nullptr);
    MachineRun py3(
        "\x80\x03"
        "c__builtin__\neval\n."s);
    const auto* record = py3.callable("__builtin__.eval");
    ASSERT_NE(record, nullptr);
    EXPECT_EQ(record->verdict.outcome, PolicyOutcome::unknown);
}

TEST(PickleMachineCalls, PosixIsTheOsModule) {
    MachineRun run("\x80\x04\x8c\x05posix\x8c\x06system\x93."s);
    EXPECT_NE(run.callable("os.system"), nullptr);
}

TEST(PickleMachineCalls, NewobjChecksItsOperands) {
    EXPECT_EQ(MachineRun("K\x01)\x81."s).outcome().error, "NEWOBJ class argument must be a type");
    EXPECT_EQ(MachineRun("cargparse\nNamespace\nK\x01\x81."s).outcome().error,
              "NEWOBJ args argument must be a tuple");
    EXPECT_EQ(MachineRun("cargparse\nNamespace\n)K\x01\x92."s).outcome().error,
              "NEWOBJ_EX kwargs argument must be a dict");
}

TEST(PickleMachineCalls, ReduceOfANonCallableIsAnError) {
    EXPECT_EQ(MachineRun("K\x01)R."s).outcome().error, "REDUCE calls a value that is not callable");
}

TEST(PickleMachineCalls, ObjAndInstCallTheirClass) {
    MachineRun obj("(cos\nsystem\nS'x'\no."s);
    ASSERT_NE(obj.callable("os.system"), nullptr);
    EXPECT_EQ(obj.callable("os.system")->calls, 1u);
    MachineRun inst("(S'x'\nios\nsystem\n."s);
    ASSERT_NE(inst.callable("os.system"), nullptr);
    EXPECT_EQ(inst.callable("os.system")->calls, 1u);
    EXPECT_EQ(inst.callable("os.system")->first_offset, 6u);
}

TEST(PickleMachineCalls, GetattrWithConstantsResolvesItsTarget) {
    MachineRun run(
        "\x80\x02"
        "cbuiltins\ngetattr\ncbuiltins\n__import__\nS'os'\n\x85R"
        "S'system'\n\x86R."s);
    const auto* target = run.callable("os.system");
    ASSERT_NE(target, nullptr);
    EXPECT_EQ(target->verdict.outcome, PolicyOutcome::denied);
    const auto* getattr = run.callable("builtins.getattr");
    ASSERT_NE(getattr, nullptr);
    EXPECT_EQ(getattr->calls, 1u);
    EXPECT_EQ(getattr->resolved_calls, 1u);
}

TEST(PickleMachineCalls, BuildOnAModuleIsTamperingAndRedirectsLaterImports) {
    // collections.abc.Mapping = os.system, then a GLOBAL of Mapping calls it.
    MachineRun run(
        "\x80\x02"
        "ccollections\nabc\nN}S'Mapping'\ncos\nsystem\ns\x86"
        "b0"
        "ccollections.abc\nMapping\nS'x'\n\x85R."s);
    ASSERT_EQ(run.outcome().end, StreamEnd::stop) << run.outcome().error;
    ASSERT_EQ(run.log().anomalies.size(), 1u);
    EXPECT_EQ(run.log().anomalies[0].rule, rules::kPickleTampering);
    EXPECT_EQ(run.log().anomalies[0].offset, 45u);
    const auto* record = run.callable("os.system");
    ASSERT_NE(record, nullptr);
    EXPECT_EQ(record->calls, 1u);
}

TEST(PickleMachineCalls, SysModulesEntriesRedirectImports) {
    MachineRun run(
        "\x80\x02"
        "csys\nmodules\nS'json'\ncos\nsystem\nsS'x'\n0"
        "cjson\ndumps\nS'x'\n\x85R."s);
    ASSERT_EQ(run.outcome().end, StreamEnd::stop) << run.outcome().error;
    const auto* record = run.callable("os.system.dumps");
    ASSERT_NE(record, nullptr);
    EXPECT_EQ(record->verdict.outcome, PolicyOutcome::denied);
}

// --- frames and protocol ---------------------------------------------------------

TEST(PickleMachineFrames, UnsupportedProtocolIsAnError) {
    EXPECT_EQ(MachineRun("\x80\x06K\x01."s).outcome().error, "unsupported pickle protocol: 6");
}

TEST(PickleMachineFrames, WellFormedFramesRaiseNothing) {
    MachineRun run("\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00K\x01."s);
    ASSERT_EQ(run.outcome().end, StreamEnd::stop);
    EXPECT_TRUE(run.log().anomalies.empty());
}

TEST(PickleMachineFrames, OpcodeAcrossAFrameEndIsADifferential) {
    MachineRun run("\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00K\x01."s);
    ASSERT_EQ(run.outcome().end, StreamEnd::stop);
    ASSERT_EQ(run.log().anomalies.size(), 1u);
    EXPECT_EQ(run.log().anomalies[0].rule, rules::kPickleLoaderDifferential);
    EXPECT_EQ(run.log().anomalies[0].offset, 11u);
}

TEST(PickleMachineFrames, FrameLongerThanTheInputIsFollowed) {
    MachineRun run("\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00K\x01."s);
    ASSERT_EQ(run.outcome().end, StreamEnd::stop);
    ASSERT_EQ(run.log().anomalies.size(), 1u);
    EXPECT_EQ(run.log().anomalies[0].offset, 2u);
}

// --- buffers and persistent ids ----------------------------------------------------

TEST(PickleMachineBuffers, PersistentIdsAreDataNotCalls) {
    MachineRun binary("(S'storage'\nS'0'\ntQ."s);
    ASSERT_EQ(binary.outcome().end, StreamEnd::stop);
    EXPECT_TRUE(binary.log().callables.empty());
    ASSERT_EQ(binary.machine().persistent_ids().size(), 1u);
    EXPECT_EQ(binary.result().kind, ValueKind::persistent);
    MachineRun text("Pkey\n."s);
    ASSERT_EQ(text.machine().persistent_ids().size(), 1u);
    EXPECT_EQ(text.machine().text_of(text.machine().persistent_ids()[0].pid), "key");
}

TEST(PickleMachineBuffers, OutOfBandBuffersAreOpaqueValues) {
    EXPECT_EQ(MachineRun("\x97\x98."s).result().kind, ValueKind::opaque);
    EXPECT_EQ(MachineRun("\x98."s).outcome().error, "unpickling stack underflow");
}

// --- extension registry --------------------------------------------------------------

TEST(PickleMachineExt, ExtensionCodesAreUnknownCallables) {
    MachineRun run("\x83\x39\x30."s);
    const auto* record =
        run.callable("<the callable registered under copyreg extension code 12345>");
    ASSERT_NE(record, nullptr);
    EXPECT_EQ(record->verdict.outcome, PolicyOutcome::unknown);
    EXPECT_EQ(MachineRun("\x82\x00."s).outcome().error, "EXT specifies code <= 0");
    EXPECT_EQ(MachineRun("\x84\xff\xff\xff\xff."s).outcome().error, "EXT specifies code <= 0");
}

// --- probing -------------------------------------------------------------------------

TEST(PickleProbe, SeparatesPicklesFromText) {
    const auto bytes = [](std::string_view text) {
        return ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    };
    EXPECT_TRUE(probe_pickle(bytes("(dp0\nS'a'\np1\nI1\ns."), 0, 32).reached_stop);
    EXPECT_FALSE(probe_pickle(bytes("(a, b) = (1, 2)\n"), 0, 32).parses);
    EXPECT_FALSE(probe_pickle(bytes("import os\n"), 0, 32).parses);
    EXPECT_FALSE(probe_pickle(bytes("class Foo:\n    pass\n"), 0, 32).parses);
    const auto import = probe_pickle(bytes("cos\nsystem\n."), 0, 32);
    EXPECT_TRUE(import.imports);
    EXPECT_TRUE(import.reached_stop);
}

}  // namespace
}  // namespace hazmat::pickle
