#include "scan/pickle/pickle_machine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "scan/pickle/callable_names.hpp"
#include "scan/pickle/payload_codecs.hpp"
#include "scan/pickle/pickle_opcodes.hpp"
#include "scan/pickle/pickle_rule_ids.hpp"
#include "scan/pickle/pickle_text.hpp"

namespace hazmat::pickle {

MachineOptions MachineOptions::from_limits(const ScanLimits& limits) {
    MachineOptions options;
    options.max_opcodes = limits.pickle_max_opcodes;
    options.max_stack = limits.pickle_max_stack_depth;
    options.max_memo = limits.pickle_max_memo_entries;
    options.max_nesting = limits.pickle_max_nesting;
    return options;
}

namespace {

constexpr uint64_t kNoWatch = UINT64_MAX;
constexpr size_t kMaxEvidence = 8;
constexpr uint64_t kMaxDecodedBytes = 256ull << 20;
constexpr uint32_t kNoName = UINT32_MAX;
constexpr uint64_t kDeadlineStride = 4096;

#define HZ_LIKELY(x) __builtin_expect(!!(x), 1)
#define HZ_UNLIKELY(x) __builtin_expect(!!(x), 0)
// The per-opcode helpers: forced inline so the dispatch loop stays flat.
#define HZ_INLINE __attribute__((always_inline)) inline

// The unpickler memo. CPython keeps an array that it grows to twice the
// largest index put, so LONG_BINPUT 1000000000 makes it allocate gigabytes
// or fail; here the dense part grows only with the number of entries and
// stray large indices go to a hash map.
class Memo {
  public:
    const Value* get(uint64_t index) const {
        if (index < dense_.size())
            return dense_[index].kind == ValueKind::absent ? nullptr : &dense_[index];
        if (sparse_.empty())
            return nullptr;
        const auto it = sparse_.find(index);
        return it == sparse_.end() ? nullptr : &it->second;
    }

    // Stores an already retained value; returns the value it displaces.
    Value put(uint64_t index, Value value) {
        if (index >= dense_.size() && index < 2 * count_ + 1024)
            grow(index + 1);
        if (index < dense_.size()) {
            const Value old = dense_[index];
            dense_[index] = value;
            if (old.kind == ValueKind::absent)
                ++count_;
            return old;
        }
        auto [it, inserted] = sparse_.try_emplace(index, value);
        if (inserted) {
            ++count_;
            sparse_min_ = std::min(sparse_min_, index);
            return Value{};
        }
        const Value old = it->second;
        it->second = value;
        return old;
    }

    // Entries held; MEMOIZE stores at this index, as memo_len in CPython.
    uint64_t count() const { return count_; }

  private:
    void grow(uint64_t size) {
        dense_.resize(size);
        if (sparse_.empty() || sparse_min_ >= dense_.size())
            return;
        // Entries that the dense part now covers move there.
        uint64_t new_min = UINT64_MAX;
        for (auto it = sparse_.begin(); it != sparse_.end();) {
            if (it->first < dense_.size()) {
                dense_[it->first] = it->second;
                it = sparse_.erase(it);
            } else {
                new_min = std::min(new_min, it->first);
                ++it;
            }
        }
        sparse_min_ = new_min;
    }

    SegmentedArray<Value> dense_;
    std::unordered_map<uint64_t, Value> sparse_;
    uint64_t sparse_min_ = UINT64_MAX;
    uint64_t count_ = 0;
};

// Callables whose effect the machine models, because they turn data into
// other callables, unwrap payloads, or construct objects the format logic
// inspects.
enum class Model : uint8_t {
    none,
    getattr,            // builtins.getattr(obj, name[, default])
    import_top,         // __import__(name, ...): the top-level package
    import_module,      // importlib.import_module(name): the module itself
    resolve_name,       // pkgutil.resolve_name('pkg.mod:attr')
    make_attrgetter,    // operator.attrgetter(path)
    make_methodcaller,  // operator.methodcaller(name, *args)
    make_itemgetter,    // operator.itemgetter(key)
    getitem,            // operator.getitem(obj, key)
    make_partial,       // functools.partial(func, *args)
    newobj,             // copyreg.__newobj__(cls, *args)
    newobj_ex,          // copyreg.__newobj_ex__(cls, args, kwargs)
    reconstructor,      // copyreg._reconstructor(cls, base, state)
    decode,             // zlib.decompress, base64.b64decode, ...
    codecs_decode,      // codecs.decode(obj, encoding)
    codecs_encode,      // codecs.encode(obj, encoding)
    bytes_ctor,         // bytes(obj[, encoding]), bytearray(...)
    keep_args,          // classes whose arguments later models read (io.BytesIO, numpy.dtype)
    loads,              // pickle.loads(bytes) and equivalents
    load_stream,        // pickle.load(file), torch.load(file), joblib.load(file)
    load_other,         // torch.load, joblib.load, numpy.load: a container format, sniffed
    module_lookup,      // sys.modules.get(name), sys.modules.__getitem__(name)
};

struct ModelInfo {
    Model model = Model::none;
    PayloadCodec codec = PayloadCodec::zlib;
};

const std::unordered_map<std::string_view, ModelInfo>& models() {
    static const std::unordered_map<std::string_view, ModelInfo> table = {
        {"builtins.getattr", {Model::getattr}},
        {"builtins.__import__", {Model::import_top}},
        {"importlib.__import__", {Model::import_top}},
        {"importlib.import_module", {Model::import_module}},
        {"importlib._bootstrap._gcd_import", {Model::import_module}},
        {"pkgutil.resolve_name", {Model::resolve_name}},
        {"operator.attrgetter", {Model::make_attrgetter}},
        {"operator.methodcaller", {Model::make_methodcaller}},
        {"operator.itemgetter", {Model::make_itemgetter}},
        {"operator.getitem", {Model::getitem}},
        {"operator.__getitem__", {Model::getitem}},
        {"functools.partial", {Model::make_partial}},
        {"copyreg.__newobj__", {Model::newobj}},
        {"copyreg.__newobj_ex__", {Model::newobj_ex}},
        {"copyreg._reconstructor", {Model::reconstructor}},
        {"zlib.decompress", {Model::decode, PayloadCodec::zlib}},
        {"gzip.decompress", {Model::decode, PayloadCodec::gzip}},
        {"bz2.decompress", {Model::decode, PayloadCodec::bz2}},
        {"lzma.decompress", {Model::decode, PayloadCodec::lzma}},
        {"base64.b64decode", {Model::decode, PayloadCodec::base64}},
        {"base64.standard_b64decode", {Model::decode, PayloadCodec::base64}},
        {"base64.decodebytes", {Model::decode, PayloadCodec::base64}},
        {"base64.decodestring", {Model::decode, PayloadCodec::base64}},
        {"binascii.a2b_base64", {Model::decode, PayloadCodec::base64}},
        {"base64.urlsafe_b64decode", {Model::decode, PayloadCodec::base64_url}},
        {"base64.b32decode", {Model::decode, PayloadCodec::base32}},
        {"base64.b32hexdecode", {Model::decode, PayloadCodec::base32_hex}},
        {"base64.b16decode", {Model::decode, PayloadCodec::base16}},
        {"binascii.unhexlify", {Model::decode, PayloadCodec::base16}},
        {"binascii.a2b_hex", {Model::decode, PayloadCodec::base16}},
        {"builtins.bytes.fromhex", {Model::decode, PayloadCodec::base16}},
        {"builtins.bytearray.fromhex", {Model::decode, PayloadCodec::base16}},
        {"base64.a85decode", {Model::decode, PayloadCodec::ascii85}},
        {"base64.b85decode", {Model::decode, PayloadCodec::base85}},
        {"codecs.decode", {Model::codecs_decode}},
        {"codecs.encode", {Model::codecs_encode}},
        {"builtins.bytes", {Model::bytes_ctor}},
        {"builtins.bytearray", {Model::bytes_ctor}},
        {"io.BytesIO", {Model::keep_args}},
        {"numpy.dtype", {Model::keep_args}},
        {"pickle.loads", {Model::loads}},
        {"pickle._loads", {Model::loads}},
        {"dill.loads", {Model::loads}},
        {"dill._dill.loads", {Model::loads}},
        {"cloudpickle.loads", {Model::loads}},
        {"cloudpickle.cloudpickle.loads", {Model::loads}},
        {"torch.storage._load_from_bytes", {Model::load_other}},
        {"pickle.load", {Model::load_stream}},
        {"pickle._load", {Model::load_stream}},
        {"dill.load", {Model::load_stream}},
        {"dill._dill.load", {Model::load_stream}},
        {"cloudpickle.load", {Model::load_stream}},
        {"torch.load", {Model::load_other}},
        {"torch.serialization.load", {Model::load_other}},
        {"joblib.load", {Model::load_other}},
        {"joblib.numpy_pickle.load", {Model::load_other}},
        {"pandas.read_pickle", {Model::load_stream}},
        {"numpy.load", {Model::load_other}},
        {"sys.modules.get", {Model::module_lookup}},
        {"sys.modules.__getitem__", {Model::module_lookup}},
    };
    return table;
}

// Synthetic verdicts for values the policy cannot name.
const PolicyEntry& dynamic_entry() {
    static const PolicyEntry entry{
        "<computed>",
        "the callable or its name is computed while loading, so no allow-list can vouch for it",
        std::string(rules::kPickleIndirectCallable), Severity::critical, "hazmat"};
    return entry;
}

struct NameEntry {
    std::string qualified;
    uint32_t module_length = 0;  // qualified[0, module_length) is the module
    Verdict verdict;
    int32_t record = -1;  // index into StreamLog::callables, when one exists
    ModelInfo model;
    bool synthetic = false;
};

std::string_view joblib_wrapper_suffix() {
    return "numpy_pickle.NumpyArrayWrapper";
}

}  // namespace

// ---------------------------------------------------------------------------

class PickleMachine::Impl {
  public:
    Impl(Bytes input, const CallablePolicy* policy, MachineHost& host,
         const MachineOptions& options)
        : input_(std::move(input)),
          data_(input_.data()),
          size_(input_.size()),
          policy_(policy),
          host_(host),
          options_(options),
          arena_(options.keep_all_items) {}

    StreamOutcome run(uint64_t start);

    StreamLog log_;
    Value result_;
    std::vector<PersistentId> persistent_ids_;
    bool saw_import_ = false;

    std::optional<int64_t> integer_of(const Value& value) const;
    std::optional<std::string> text_of(const Value& value, size_t max_length) const;
    std::span<const Value> items_of(const Value& value) const;
    std::string name_of(const Value& value) const;
    bool integer_equals(const Value& value, ByteSpan expected) const;

  private:
    // --- control -----------------------------------------------------------
    bool execute();
    bool step(uint8_t opcode);
    bool on_watch();
    bool periodic_checks();
    bool fail(StreamEnd end, std::string message);
    bool truncated(std::string message = "pickle data was truncated") {
        return fail(StreamEnd::truncated, std::move(message));
    }
    bool invalid(std::string message) { return fail(StreamEnd::invalid, std::move(message)); }
    bool limit(LimitKind kind, std::string detail);
    void refresh_watch() { watch_ = std::min(frame_end_, jump_at_); }

    // --- input ---------------------------------------------------------------
    HZ_INLINE bool read(uint64_t n, const uint8_t*& out) {
        if (HZ_UNLIKELY(size_ - pos_ < n))
            return truncated();
        out = data_ + pos_;
        pos_ += n;
        return true;
    }
    bool read_line(std::string_view& line);
    HZ_INLINE bool read_size(int width, uint64_t& out);

    // --- stack ---------------------------------------------------------------
    HZ_INLINE uint64_t fence() const { return marks_.empty() ? 0 : marks_.back(); }
    HZ_INLINE bool push(Value value) {
        if (HZ_UNLIKELY(stack_.size() >= options_.max_stack))
            return stack_limit(value);
        stack_.push_back(value);
        return true;
    }
    bool stack_limit(Value value);
    bool underflow() {
        return invalid(marks_.empty() ? "unpickling stack underflow" : "unexpected MARK found");
    }
    HZ_INLINE bool pop(Value& out) {
        if (HZ_UNLIKELY(stack_.size() <= fence()))
            return underflow();
        out = stack_.back();
        stack_.pop_back();
        return true;
    }
    bool marker(uint64_t& mark);
    void clear_stack_to(uint64_t size);
    HZ_INLINE bool memo_put(uint64_t index);
    HZ_INLINE bool memo_get(uint64_t index);
    bool check_nesting(const Value& value);

    // --- opcodes -------------------------------------------------------------
    bool op_int();
    bool op_long();
    bool op_counted_long(int width);
    bool op_float();
    bool op_string();
    HZ_INLINE bool op_counted_text(int width, ValueKind kind);
    bool op_unicode();
    bool op_counted_tuple(uint64_t count);
    bool op_tuple();
    bool op_list();
    bool op_dict();
    bool op_frozenset();
    bool op_append(uint64_t start);
    bool op_setitems(int64_t start);
    bool op_additems();
    bool op_build(uint64_t offset);
    bool op_pop();
    bool op_get_line();
    bool op_put_line();
    bool op_global(uint8_t opcode, uint64_t offset);
    bool op_stack_global(uint64_t offset);
    bool op_inst(uint64_t offset);
    bool op_obj(uint64_t offset);
    bool op_newobj(bool with_kwargs, uint64_t offset);
    bool op_reduce(uint64_t offset);
    bool op_persid(bool binary, uint64_t offset);
    bool op_ext(int width, uint64_t offset);
    bool op_frame(uint64_t offset);
    Value make_from_stack(ValueKind kind, uint64_t start);

    // --- names and policy ----------------------------------------------------
    uint32_t intern(std::string module, std::string attribute);
    uint32_t intern_synthetic(const std::string& text, bool dynamic);
    CallableRecord* record(uint32_t name, uint64_t offset);
    void add_evidence(CallableRecord& record, std::string line);
    Value resolve(const std::string& module, const std::string& attribute, uint64_t offset,
                  const std::string& how);
    Value get_attribute(const Value& object, std::string_view attribute, uint64_t offset,
                        const std::string& how);
    Value dynamic_value(std::string_view what, uint64_t offset, std::string line);

    // --- calls ---------------------------------------------------------------
    Value call(Value callee, Value args, uint8_t opcode, uint64_t offset, std::string via = {});
    Value apply_model(const ModelInfo& model, const std::string& callee, const Value& callee_value,
                      const Value& args, uint8_t opcode, uint64_t offset);
    Value call_instance(const Value& callee, const Value& args, uint8_t opcode, uint64_t offset);
    Value new_instance(const Value& callee, const Value& args, uint64_t offset, bool keep_args);
    Value decode(PayloadCodec codec, const Value& input, uint64_t offset);
    Value embed(std::string_view loader, const Value& data, uint64_t offset, bool pickle);
    std::string callee_text(const Value& callee) const;
    const Value* attribute_of(const Value& instance, std::string_view name) const;
    std::optional<Value> method_of(const Value& target, std::string_view name);

    // --- mutation of objects ---------------------------------------------------
    void set_attributes(const Value& target, const Value& state, uint64_t offset, const char* how);
    void tamper(const Value& target, std::string what, uint64_t offset);
    bool joblib_array(uint64_t offset);

    // --- values ----------------------------------------------------------------
    std::optional<Bytes> materialize(const Value& value) const;
    ByteSpan raw_span(const Value& value) const;
    std::string render(const Value& value, int depth = 0) const;
    std::string render_args(const Value& args) const;

    Bytes input_;
    const uint8_t* data_;
    uint64_t size_;
    uint64_t pos_ = 0;
    const CallablePolicy* policy_;
    MachineHost& host_;
    MachineOptions options_;

    ValueArena arena_;
    std::vector<Value> stack_;
    std::vector<uint64_t> marks_;
    Memo memo_;
    int proto_ = 0;
    uint64_t opcodes_ = 0;
    uint64_t op_start_ = 0;
    uint64_t frame_end_ = kNoWatch;
    uint64_t jump_at_ = kNoWatch;  // Python-unpickler reading order (joblib)
    uint64_t jump_to_ = 0;
    uint64_t watch_ = kNoWatch;
    bool frame_anomaly_reported_ = false;
    bool stopped_ = false;
    StreamOutcome outcome_;

    std::vector<NameEntry> names_;
    std::unordered_map<std::string, uint32_t> name_index_;
    // Module attributes and sys.modules entries replaced while loading.
    // LIMITATION: keyed by the qualified name the module was reached by; an
    // attribute set on `pathlib.os` does not redirect later imports of `os`.
    std::unordered_map<std::string, std::pair<Value, uint64_t>> overlay_;
    std::vector<std::shared_ptr<const std::vector<uint8_t>>> buffers_;
    std::vector<std::string> buffer_how_;
};

// ---------------------------------------------------------------------------
// Control

bool PickleMachine::Impl::fail(StreamEnd end, std::string message) {
    outcome_.end = end;
    outcome_.error = std::move(message);
    outcome_.end_offset = op_start_;
    return false;
}

bool PickleMachine::Impl::limit(LimitKind kind, std::string detail) {
    outcome_.limit = kind;
    outcome_.limit_detail = std::move(detail);
    return fail(StreamEnd::limit, "");
}

bool PickleMachine::Impl::stack_limit(Value value) {
    arena_.release(value);
    return limit(LimitKind::pickle_stack,
                 fmt::format("more than {} values on the unpickling stack", options_.max_stack));
}

StreamOutcome PickleMachine::Impl::run(uint64_t start) {
    pos_ = start;
    outcome_ = StreamOutcome{};
    outcome_.start = start;
    execute();
    outcome_.opcodes = opcodes_;
    if (stopped_) {
        outcome_.end = StreamEnd::stop;
        outcome_.end_offset = pos_;
    }
    return outcome_;
}

bool PickleMachine::Impl::execute() {
    while (true) {
        if (HZ_UNLIKELY(pos_ >= watch_) && !on_watch())
            return false;
        if (HZ_UNLIKELY(pos_ >= size_)) {
            op_start_ = pos_;
            return truncated(opcodes_ == 0 ? "no pickle data" : "ran out of input before STOP");
        }
        op_start_ = pos_;
        const uint8_t opcode = data_[pos_++];
        if (HZ_UNLIKELY(++opcodes_ > options_.max_opcodes)) {
            return limit(LimitKind::pickle_opcodes,
                         fmt::format("more than {} opcodes", options_.max_opcodes));
        }
        if (HZ_UNLIKELY(opcodes_ % kDeadlineStride == 0) && !periodic_checks())
            return false;
        if (!step(opcode))
            return false;
        if (HZ_UNLIKELY(stopped_))
            return true;
    }
}

// Every few thousand opcodes: the deadline, and the number of containers
// alive at once. Reference counts free what CPython frees at once, but not
// cycles of containers that only refer to each other, which CPython's cycle
// collector would reclaim; a stream that makes such garbage in a loop is
// stopped here before it exhausts memory.
bool PickleMachine::Impl::periodic_checks() {
    if (options_.probe)
        return true;
    if (host_.expired())
        return fail(StreamEnd::expired, "");
    const uint64_t max_objects = std::max<uint64_t>(options_.max_memo / 4, 1'000'000);
    if (arena_.live_objects() > max_objects) {
        return limit(LimitKind::pickle_memo,
                     fmt::format("more than {} containers and objects alive at once", max_objects));
    }
    return true;
}

// Runs when reading reaches the end of a frame or a place where the pure-
// Python unpickler would continue elsewhere.
bool PickleMachine::Impl::on_watch() {
    if (pos_ >= frame_end_) {
        if (pos_ > frame_end_ && op_start_ < frame_end_ && !frame_anomaly_reported_ &&
            !options_.probe) {
            // _Unframer raises "pickle exhausted before end of frame" here;
            // the C unpickler simply reads on.
            frame_anomaly_reported_ = true;
            log_.anomalies.push_back(
                {rules::kPickleLoaderDifferential,
                 op_start_,
                 "An opcode straddles the end of a protocol-4 frame.",
                 {fmt::format("{} at byte {} reads past the frame that ends at byte {}: CPython's "
                              "C unpickler continues, the pure-Python unpickler raises",
                              op::name(data_[op_start_]), op_start_, frame_end_)}});
        }
        frame_end_ = kNoWatch;
    }
    if (pos_ >= jump_at_) {
        pos_ = jump_to_;
        jump_at_ = kNoWatch;
    }
    refresh_watch();
    return true;
}

bool PickleMachine::Impl::read_line(std::string_view& line) {
    const auto* begin = data_ + pos_;
    const auto* newline = static_cast<const uint8_t*>(std::memchr(begin, '\n', size_ - pos_));
    if (!newline)
        return truncated();
    line = {reinterpret_cast<const char*>(begin), static_cast<size_t>(newline - begin)};
    pos_ += line.size() + 1;
    return true;
}

HZ_INLINE bool PickleMachine::Impl::read_size(int width, uint64_t& out) {
    const uint8_t* p = nullptr;
    if (!read(static_cast<uint64_t>(width), p))
        return false;
    uint64_t value = 0;
    for (int i = 0; i < width; ++i)
        value |= static_cast<uint64_t>(p[i]) << (8 * i);
    if (value > static_cast<uint64_t>(INT64_MAX))
        return invalid("size exceeds the system's maximum");
    out = value;
    return true;
}

bool PickleMachine::Impl::marker(uint64_t& mark) {
    if (marks_.empty())
        return invalid("could not find MARK");
    mark = marks_.back();
    marks_.pop_back();
    return true;
}

void PickleMachine::Impl::clear_stack_to(uint64_t size) {
    while (stack_.size() > size) {
        arena_.release(stack_.back());
        stack_.pop_back();
    }
}

bool PickleMachine::Impl::check_nesting(const Value& value) {
    if (is_object(value.kind) && arena_.object(value.a).depth > options_.max_nesting) {
        return limit(LimitKind::pickle_nesting,
                     fmt::format("values nested more than {} deep", options_.max_nesting));
    }
    return true;
}

HZ_INLINE bool PickleMachine::Impl::memo_put(uint64_t index) {
    if (stack_.size() <= fence())
        return underflow();
    const Value value = stack_.back();
    arena_.retain(value);
    const Value old = memo_.put(index, value);
    arena_.release(old);
    if (HZ_UNLIKELY(memo_.count() > options_.max_memo)) {
        return limit(LimitKind::pickle_memo,
                     fmt::format("more than {} memo entries", options_.max_memo));
    }
    return true;
}

HZ_INLINE bool PickleMachine::Impl::memo_get(uint64_t index) {
    const Value* value = memo_.get(index);
    if (!value)
        return invalid(fmt::format("Memo value not found at index {}", index));
    arena_.retain(*value);
    return push(*value);
}

// ---------------------------------------------------------------------------
// Dispatch

bool PickleMachine::Impl::step(uint8_t opcode) {
    const uint64_t offset = op_start_;
    const uint8_t* p = nullptr;
    switch (opcode) {
        case op::kNone:
            return push(Value::of_kind(ValueKind::none));
        case op::kNewTrue:
            return push(Value::boolean(true));
        case op::kNewFalse:
            return push(Value::boolean(false));
        case op::kBinInt:
            if (!read(4, p))
                return false;
            return push(Value::integer(static_cast<int32_t>(p[0] | (p[1] << 8) | (p[2] << 16) |
                                                            (static_cast<uint32_t>(p[3]) << 24))));
        case op::kBinInt1:
            if (!read(1, p))
                return false;
            return push(Value::integer(p[0]));
        case op::kBinInt2:
            if (!read(2, p))
                return false;
            return push(Value::integer(p[0] | (p[1] << 8)));
        case op::kInt:
            return op_int();
        case op::kLong:
            return op_long();
        case op::kLong1:
            return op_counted_long(1);
        case op::kLong4:
            return op_counted_long(4);
        case op::kFloat:
            return op_float();
        case op::kBinFloat:
            if (!read(8, p))
                return false;
            return push(Value{ValueKind::floating, 0, 0, 0, 0, 0});
        case op::kShortBinBytes:
            return op_counted_text(1, ValueKind::bytes);
        case op::kBinBytes:
            return op_counted_text(4, ValueKind::bytes);
        case op::kBinBytes8:
            return op_counted_text(8, ValueKind::bytes);
        case op::kByteArray8:
            return op_counted_text(8, ValueKind::bytearray);
        case op::kNextBuffer:
            // The real unpickler raises unless the caller passed buffers=;
            // a loader that does gets whatever it supplies.
            // LIMITATION: the stream goes on as if buffers were given, so
            // callables after this point may not run with plain loads.
            return push(Value::of_kind(ValueKind::opaque));
        case op::kReadOnlyBuffer:
            if (stack_.size() <= fence())
                return underflow();
            return true;
        case op::kShortBinString:
            return op_counted_text(1, ValueKind::str);
        case op::kBinString:
            return op_counted_text(4, ValueKind::str);
        case op::kString:
            return op_string();
        case op::kUnicode:
            return op_unicode();
        case op::kShortBinUnicode:
            return op_counted_text(1, ValueKind::str);
        case op::kBinUnicode:
            return op_counted_text(4, ValueKind::str);
        case op::kBinUnicode8:
            return op_counted_text(8, ValueKind::str);
        case op::kEmptyTuple:
            return op_counted_tuple(0);
        case op::kTuple1:
            return op_counted_tuple(1);
        case op::kTuple2:
            return op_counted_tuple(2);
        case op::kTuple3:
            return op_counted_tuple(3);
        case op::kTuple:
            return op_tuple();
        case op::kEmptyList:
            return push(Value::object(ValueKind::list, arena_.create(ValueKind::list)));
        case op::kList:
            return op_list();
        case op::kEmptyDict:
            return push(Value::object(ValueKind::dict, arena_.create(ValueKind::dict)));
        case op::kDict:
            return op_dict();
        case op::kEmptySet:
            return push(Value::object(ValueKind::set, arena_.create(ValueKind::set)));
        case op::kAddItems:
            return op_additems();
        case op::kFrozenSet:
            return op_frozenset();
        case op::kObj:
            return op_obj(offset);
        case op::kInst:
            return op_inst(offset);
        case op::kNewObj:
            return op_newobj(false, offset);
        case op::kNewObjEx:
            return op_newobj(true, offset);
        case op::kGlobal:
            return op_global(opcode, offset);
        case op::kStackGlobal:
            return op_stack_global(offset);
        case op::kAppend:
            if (stack_.size() < 1 || stack_.size() - 1 <= fence())
                return underflow();
            return op_append(stack_.size() - 1);
        case op::kAppends: {
            uint64_t mark = 0;
            if (!marker(mark))
                return false;
            return op_append(mark);
        }
        case op::kBuild:
            return op_build(offset);
        case op::kDup: {
            if (stack_.size() <= fence())
                return underflow();
            const Value top = stack_.back();
            arena_.retain(top);
            return push(top);
        }
        case op::kBinGet:
            if (!read(1, p))
                return false;
            return memo_get(p[0]);
        case op::kLongBinGet: {
            uint64_t index = 0;
            if (!read_size(4, index))
                return false;
            return memo_get(index);
        }
        case op::kGet:
            return op_get_line();
        case op::kMark:
            if (HZ_UNLIKELY(marks_.size() >= options_.max_nesting)) {
                return limit(LimitKind::pickle_nesting,
                             fmt::format("more than {} nested MARKs", options_.max_nesting));
            }
            if (HZ_UNLIKELY(stack_.size() + marks_.size() >= options_.max_stack))
                return stack_limit(Value{});
            marks_.push_back(stack_.size());
            return true;
        case op::kBinPut:
            if (!read(1, p))
                return false;
            return memo_put(p[0]);
        case op::kLongBinPut: {
            uint64_t index = 0;
            if (!read_size(4, index))
                return false;
            return memo_put(index);
        }
        case op::kPut:
            return op_put_line();
        case op::kMemoize:
            return memo_put(memo_.count());
        case op::kPop:
            return op_pop();
        case op::kPopMark: {
            uint64_t mark = 0;
            if (!marker(mark))
                return false;
            clear_stack_to(mark);
            return true;
        }
        case op::kSetItem:
            return op_setitems(static_cast<int64_t>(stack_.size()) - 2);
        case op::kSetItems: {
            uint64_t mark = 0;
            if (!marker(mark))
                return false;
            return op_setitems(static_cast<int64_t>(mark));
        }
        case op::kPersId:
            return op_persid(false, offset);
        case op::kBinPersId:
            return op_persid(true, offset);
        case op::kReduce:
            return op_reduce(offset);
        case op::kProto:
            if (!read(1, p))
                return false;
            if (p[0] > op::kHighestProtocol)
                return invalid(fmt::format("unsupported pickle protocol: {}", p[0]));
            proto_ = p[0];
            return true;
        case op::kFrame:
            return op_frame(offset);
        case op::kExt1:
            return op_ext(1, offset);
        case op::kExt2:
            return op_ext(2, offset);
        case op::kExt4:
            return op_ext(4, offset);
        case op::kStop: {
            Value result;
            if (!pop(result))
                return false;
            result_ = result;
            stopped_ = true;
            return true;
        }
        default:
            if (opcode >= 0x20 && opcode <= 0x7e && opcode != '\'' && opcode != '\\')
                return invalid(fmt::format("invalid load key, '{}'", static_cast<char>(opcode)));
            return invalid(fmt::format("invalid load key, '\\x{:02x}'", opcode));
    }
}

// ---------------------------------------------------------------------------
// Scalars and text

bool PickleMachine::Impl::op_int() {
    std::string_view line;
    if (!read_line(line))
        return false;
    if (line.empty())
        return truncated();
    if (line == "00" || line == "01")
        return push(Value::boolean(line == "01"));
    const auto parsed = parse_python_int(line, true);
    if (!parsed)
        return invalid("could not convert string to int");
    if (parsed->fits)
        return push(Value::integer(parsed->value));
    Value value{ValueKind::big_integer,
                0,
                static_cast<uint8_t>(IntegerForm::decimal),
                0,
                static_cast<uint32_t>(line.size()),
                pos_ - line.size() - 1};
    return push(value);
}

bool PickleMachine::Impl::op_long() {
    std::string_view line;
    if (!read_line(line))
        return false;
    if (line.empty())
        return truncated();
    auto digits = line;
    if (digits.ends_with('L'))
        digits.remove_suffix(1);
    const auto parsed = parse_python_int(digits, true);
    if (!parsed)
        return invalid("invalid literal for int()");
    if (parsed->fits)
        return push(Value::integer(parsed->value));
    Value value{ValueKind::big_integer,
                0,
                static_cast<uint8_t>(IntegerForm::decimal),
                0,
                static_cast<uint32_t>(digits.size()),
                pos_ - line.size() - 1};
    return push(value);
}

bool PickleMachine::Impl::op_counted_long(int width) {
    const uint8_t* p = nullptr;
    if (!read(static_cast<uint64_t>(width), p))
        return false;
    int64_t count = 0;
    if (width == 1) {
        count = p[0];
    } else {
        count = static_cast<int32_t>(p[0] | (p[1] << 8) | (p[2] << 16) |
                                     (static_cast<uint32_t>(p[3]) << 24));
    }
    if (count < 0)
        return invalid("LONG pickle has negative byte count");
    const uint64_t start = pos_;
    if (!read(static_cast<uint64_t>(count), p))
        return false;
    if (count <= 8) {
        uint64_t value = 0;
        for (int64_t i = 0; i < count; ++i)
            value |= static_cast<uint64_t>(p[i]) << (8 * i);
        if (count > 0 && count < 8 && (p[count - 1] & 0x80))
            value |= ~uint64_t{0} << (8 * count);
        return push(Value::integer(static_cast<int64_t>(value)));
    }
    Value value{ValueKind::big_integer,
                0,
                static_cast<uint8_t>(IntegerForm::little_endian),
                0,
                static_cast<uint32_t>(std::min<uint64_t>(count, UINT32_MAX)),
                start};
    return push(value);
}

bool PickleMachine::Impl::op_float() {
    std::string_view line;
    if (!read_line(line))
        return false;
    if (line.empty())
        return truncated();
    if (!is_python_float(line))
        return invalid("could not convert string to float");
    return push(Value::of_kind(ValueKind::floating));
}

bool PickleMachine::Impl::op_string() {
    std::string_view line;
    if (!read_line(line))
        return false;
    if (line.size() < 2 || line.front() != line.back() ||
        (line.front() != '\'' && line.front() != '"')) {
        return invalid("the STRING opcode argument must be quoted");
    }
    const uint64_t start = pos_ - line.size();  // after the opening quote
    return push(Value::text(ValueKind::str, TextForm::string_escape, start, line.size() - 2));
}

bool PickleMachine::Impl::op_unicode() {
    std::string_view line;
    if (!read_line(line))
        return false;
    return push(Value::text(ValueKind::str, TextForm::raw_unicode_escape, pos_ - line.size() - 1,
                            line.size()));
}

HZ_INLINE bool PickleMachine::Impl::op_counted_text(int width, ValueKind kind) {
    uint64_t length = 0;
    if (!read_size(width, length))
        return false;
    const uint64_t start = pos_;
    const uint8_t* p = nullptr;
    if (!read(length, p))
        return false;
    if (HZ_UNLIKELY(length > UINT32_MAX)) {
        // Longer than a value can describe: nothing the policy needs is
        // that long, so the value stands for "some data".
        return push(Value::of_kind(ValueKind::opaque));
    }
    return push(Value::text(kind, TextForm::raw, start, length));
}

// ---------------------------------------------------------------------------
// Containers

Value PickleMachine::Impl::make_from_stack(ValueKind kind, uint64_t start) {
    const uint32_t id = arena_.create(kind);
    const Value container = Value::object(kind, id);
    if (kind == ValueKind::dict) {
        for (uint64_t i = start; i + 1 < stack_.size(); i += 2)
            arena_.append_pair(id, stack_[i], stack_[i + 1]);
    } else {
        for (uint64_t i = start; i < stack_.size(); ++i)
            arena_.append(id, stack_[i]);
    }
    stack_.resize(start);
    return container;
}

bool PickleMachine::Impl::op_counted_tuple(uint64_t count) {
    if (stack_.size() < count)
        return underflow();
    const uint64_t start = stack_.size() - count;
    if (start < fence())
        return underflow();
    const Value tuple = make_from_stack(ValueKind::tuple, start);
    return push(tuple) && check_nesting(tuple);
}

bool PickleMachine::Impl::op_tuple() {
    uint64_t mark = 0;
    if (!marker(mark))
        return false;
    return op_counted_tuple(stack_.size() - mark);
}

bool PickleMachine::Impl::op_list() {
    uint64_t mark = 0;
    if (!marker(mark))
        return false;
    const Value list = make_from_stack(ValueKind::list, mark);
    return push(list) && check_nesting(list);
}

bool PickleMachine::Impl::op_dict() {
    uint64_t mark = 0;
    if (!marker(mark))
        return false;
    if ((stack_.size() - mark) % 2 != 0)
        return invalid("odd number of items for DICT");
    const Value dict = make_from_stack(ValueKind::dict, mark);
    return push(dict) && check_nesting(dict);
}

bool PickleMachine::Impl::op_frozenset() {
    uint64_t mark = 0;
    if (!marker(mark))
        return false;
    const Value set = make_from_stack(ValueKind::frozenset, mark);
    return push(set) && check_nesting(set);
}

const Value* PickleMachine::Impl::attribute_of(const Value& instance, std::string_view name) const {
    if (instance.kind != ValueKind::instance)
        return nullptr;
    const Value& attrs = arena_.instance_of(instance.a).attrs;
    if (attrs.kind != ValueKind::dict)
        return nullptr;
    const auto items = arena_.items(attrs.a);
    for (size_t i = 0; i + 1 < items.size(); i += 2) {
        if (items[i].kind != ValueKind::str)
            continue;
        const auto key = text_of(items[i], 256);
        if (key && *key == name)
            return &items[i + 1];
    }
    return nullptr;
}

// A method the unpickler looks up on `target` (__setstate__, extend,
// append, add) when an earlier opcode replaced it: an instance attribute set
// by BUILD, or an attribute of the class set by BUILD on the class itself.
// Returns a retained value.
std::optional<Value> PickleMachine::Impl::method_of(const Value& target, std::string_view name) {
    if (const Value* value = attribute_of(target, name)) {
        arena_.retain(*value);
        return *value;
    }
    if (overlay_.empty())
        return std::nullopt;
    std::string owner;
    if (target.kind == ValueKind::instance) {
        const uint32_t cls = arena_.instance_of(target.a).class_name;
        if (cls != kNoName)
            owner = names_[cls].qualified;
    } else if (target.kind == ValueKind::global) {
        owner = names_[target.a].qualified;
    }
    if (owner.empty())
        return std::nullopt;
    const auto it = overlay_.find(owner + "." + std::string(name));
    if (it == overlay_.end())
        return std::nullopt;
    arena_.retain(it->second.first);
    return it->second.first;
}

// do_append: lists are extended; anything else gets its extend() or
// append() called, which for an instance whose attributes BUILD set can be
// any callable.
bool PickleMachine::Impl::op_append(uint64_t start) {
    const uint64_t length = stack_.size();
    if (start > length || start <= fence())
        return underflow();
    if (length == start)
        return true;
    const Value target = stack_[start - 1];
    switch (target.kind) {
        case ValueKind::list:
            for (uint64_t i = start; i < length; ++i)
                arena_.append(target.a, stack_[i]);
            stack_.resize(start);
            return check_nesting(target);
        case ValueKind::instance:
        case ValueKind::global:
        case ValueKind::persistent:
        case ValueKind::opaque: {
            if (target.kind == ValueKind::global)
                tamper(target, "APPENDS adds items to it", op_start_);
            const auto extend = method_of(target, "extend");
            const auto append = extend ? std::nullopt : method_of(target, "append");
            if (!extend && !append) {
                clear_stack_to(start);
                return true;
            }
            const uint32_t list = arena_.create(ValueKind::list);
            for (uint64_t i = start; i < length; ++i)
                arena_.append(list, stack_[i]);
            stack_.resize(start);
            const uint32_t args = arena_.create(ValueKind::tuple);
            arena_.append(args, Value::object(ValueKind::list, list));
            const Value result =
                call(extend ? *extend : *append, Value::object(ValueKind::tuple, args),
                     op::kAppends, op_start_,
                     extend ? "as the extend() of the target" : "as the append() of the target");
            arena_.release(result);
            return true;
        }
        default:
            return invalid(fmt::format("APPEND to a value without extend() or append()"));
    }
}

bool PickleMachine::Impl::op_setitems(int64_t start) {
    const auto length = static_cast<int64_t>(stack_.size());
    if (start > length || start <= static_cast<int64_t>(fence()))
        return underflow();
    if (length == start)
        return true;
    if ((length - start) % 2 != 0)
        return invalid("odd number of items for SETITEMS");
    const Value target = stack_[static_cast<size_t>(start - 1)];
    const auto first = static_cast<uint64_t>(start);
    switch (target.kind) {
        case ValueKind::dict:
            for (uint64_t i = first; i + 1 < static_cast<uint64_t>(length); i += 2)
                arena_.append_pair(target.a, stack_[i], stack_[i + 1]);
            stack_.resize(first);
            return check_nesting(target);
        case ValueKind::list:
            for (uint64_t i = first; i + 1 < static_cast<uint64_t>(length); i += 2) {
                const auto index = integer_of(stack_[i]);
                arena_.release(stack_[i]);
                if (index && *index >= 0)
                    arena_.replace(target.a, static_cast<uint64_t>(*index), stack_[i + 1]);
                else
                    arena_.release(stack_[i + 1]);
            }
            stack_.resize(first);
            return true;
        case ValueKind::global: {
            // A module-level mapping (sys.modules, os.environ, a module's
            // __dict__) written while loading.
            std::string keys;
            for (uint64_t i = first; i + 1 < static_cast<uint64_t>(length); i += 2) {
                const auto key = text_of(stack_[i], 200);
                if (!keys.empty())
                    keys += ", ";
                keys += key ? "'" + *key + "'" : render(stack_[i]);
                if (key && name_of(target) == "sys.modules") {
                    // find_class imports through sys.modules: the entry is
                    // what later GLOBALs of that module get.
                    arena_.retain(stack_[i + 1]);
                    auto& slot = overlay_[*key];
                    arena_.release(slot.first);
                    slot = {stack_[i + 1], op_start_};
                }
            }
            tamper(target, fmt::format("SETITEMS stores {}", keys), op_start_);
            clear_stack_to(first);
            return true;
        }
        case ValueKind::instance:
        case ValueKind::persistent:
        case ValueKind::opaque:
            clear_stack_to(first);
            return true;
        default:
            return invalid("SETITEM on a value that does not support item assignment");
    }
}

bool PickleMachine::Impl::op_additems() {
    uint64_t mark = 0;
    if (!marker(mark))
        return false;
    const uint64_t length = stack_.size();
    if (mark > length || mark <= fence())
        return underflow();
    if (length == mark)
        return true;
    const Value target = stack_[mark - 1];
    switch (target.kind) {
        case ValueKind::set:
            for (uint64_t i = mark; i < length; ++i)
                arena_.append(target.a, stack_[i]);
            stack_.resize(mark);
            return check_nesting(target);
        case ValueKind::instance:
        case ValueKind::global:
        case ValueKind::persistent:
        case ValueKind::opaque: {
            if (target.kind == ValueKind::global)
                tamper(target, "ADDITEMS adds items to it", op_start_);
            const auto add = method_of(target, "add");
            if (!add) {
                clear_stack_to(mark);
                return true;
            }
            for (uint64_t i = mark; i < length; ++i) {
                const uint32_t args = arena_.create(ValueKind::tuple);
                arena_.append(args, stack_[i]);
                arena_.retain(*add);
                const Value result = call(*add, Value::object(ValueKind::tuple, args),
                                          op::kAddItems, op_start_, "as the add() of the target");
                arena_.release(result);
            }
            stack_.resize(mark);
            arena_.release(*add);
            return true;
        }
        default:
            return invalid("ADDITEMS on a value that is not a set");
    }
}

bool PickleMachine::Impl::op_pop() {
    const uint64_t length = stack_.size();
    if (!marks_.empty() && marks_.back() == length) {
        marks_.pop_back();
        return true;
    }
    if (length <= fence())
        return underflow();
    arena_.release(stack_.back());
    stack_.pop_back();
    return true;
}

bool PickleMachine::Impl::op_get_line() {
    std::string_view line;
    if (!read_line(line))
        return false;
    if (line.empty())
        return truncated();
    const auto index = parse_python_int(line, false);
    if (!index || !index->fits)
        return invalid("invalid memo index for GET");
    if (index->value < 0)
        return invalid(fmt::format("Memo value not found at index {}", index->value));
    return memo_get(static_cast<uint64_t>(index->value));
}

bool PickleMachine::Impl::op_put_line() {
    std::string_view line;
    if (!read_line(line))
        return false;
    if (line.empty())
        return truncated();
    if (stack_.size() <= fence())
        return underflow();
    const auto index = parse_python_int(line, false);
    if (!index)
        return invalid("invalid memo index for PUT");
    if (!index->fits)
        return invalid("memo index too large");
    if (index->value < 0)
        return invalid("negative PUT argument");
    return memo_put(static_cast<uint64_t>(index->value));
}

// ---------------------------------------------------------------------------
// Framing

// FRAME: the C unpickler only checks that the frame fits in the input and
// then reads on as if there were no frame; the pure-Python one reads from
// the frame and raises when an opcode needs more than it holds.
bool PickleMachine::Impl::op_frame(uint64_t offset) {
    uint64_t length = 0;
    if (!read_size(8, length))
        return false;
    const bool inside = frame_end_ != kNoWatch && offset < frame_end_;
    if (inside && pos_ < frame_end_ && !options_.probe) {
        log_.anomalies.push_back(
            {rules::kPickleLoaderDifferential,
             offset,
             "A new protocol-4 frame starts before the current one is used up.",
             {fmt::format("FRAME at byte {} starts while the frame ending at byte {} still has "
                          "{} unread bytes: the pure-Python unpickler raises, the C unpickler "
                          "reads on",
                          offset, frame_end_, frame_end_ - pos_)}});
    }
    if (length > size_ - pos_) {
        // The C unpickler raises here, the pure-Python one (joblib,
        // pickle._loads) reads the short frame and goes on. Follow the one
        // that keeps going.
        if (!options_.probe) {
            log_.anomalies.push_back(
                {rules::kPickleLoaderDifferential,
                 offset,
                 "A protocol-4 frame claims more bytes than remain.",
                 {fmt::format("FRAME at byte {} declares {} bytes but only {} remain: the C "
                              "unpickler raises, the pure-Python unpickler continues",
                              offset, length, size_ - pos_)}});
        }
        frame_end_ = size_;
    } else {
        frame_end_ = pos_ + length;
    }
    refresh_watch();
    return true;
}

// ---------------------------------------------------------------------------
// Names

uint32_t PickleMachine::Impl::intern(std::string module, std::string attribute) {
    std::string qualified = attribute.empty() ? module : module + "." + attribute;
    if (const auto it = name_index_.find(qualified); it != name_index_.end())
        return it->second;
    NameEntry entry;
    entry.module_length = static_cast<uint32_t>(module.size());
    if (policy_)
        entry.verdict = policy_->classify(module, attribute);
    if (const auto it = models().find(qualified); it != models().end())
        entry.model = it->second;
    entry.qualified = std::move(qualified);
    const auto id = static_cast<uint32_t>(names_.size());
    name_index_.emplace(entry.qualified, id);
    names_.push_back(std::move(entry));
    return id;
}

uint32_t PickleMachine::Impl::intern_synthetic(const std::string& text, bool dynamic) {
    if (const auto it = name_index_.find(text); it != name_index_.end())
        return it->second;
    NameEntry entry;
    entry.qualified = text;
    entry.module_length = static_cast<uint32_t>(text.size());
    entry.synthetic = true;
    if (dynamic) {
        entry.verdict.outcome = PolicyOutcome::denied;
        entry.verdict.entry = &dynamic_entry();
    }
    entry.verdict.matched = text;
    const auto id = static_cast<uint32_t>(names_.size());
    name_index_.emplace(text, id);
    names_.push_back(std::move(entry));
    return id;
}

CallableRecord* PickleMachine::Impl::record(uint32_t name, uint64_t offset) {
    if (options_.probe)
        return nullptr;
    NameEntry& entry = names_[name];
    if (entry.record < 0) {
        const Verdict& verdict = entry.verdict;
        if (verdict.outcome == PolicyOutcome::allowed && !verdict.overridden)
            return nullptr;
        CallableRecord created;
        created.name = entry.qualified;
        created.verdict = verdict;
        created.dynamic = entry.synthetic && verdict.entry == &dynamic_entry();
        created.first_offset = offset;
        entry.record = static_cast<int32_t>(log_.callables.size());
        log_.callables.push_back(std::move(created));
    }
    return &log_.callables[static_cast<size_t>(entry.record)];
}

void PickleMachine::Impl::add_evidence(CallableRecord& record, std::string line) {
    if (record.evidence.size() < kMaxEvidence)
        record.evidence.push_back(std::move(line));
    else
        ++record.omitted;
}

Value PickleMachine::Impl::dynamic_value(std::string_view what, uint64_t offset, std::string line) {
    const uint32_t id = intern_synthetic(fmt::format("<{}>", what), true);
    if (auto* rec = record(id, offset)) {
        ++rec->resolutions;
        add_evidence(*rec, std::move(line));
    }
    return Value::global(id);
}

// find_class(module, name): imports `module`, then walks the (dotted) name
// with getattr. Imports and attribute lookups that earlier opcodes
// redirected (sys.modules entries, attributes set by BUILD) are followed.
Value PickleMachine::Impl::resolve(const std::string& module, const std::string& attribute,
                                   uint64_t offset, const std::string& how) {
    if (!overlay_.empty()) {
        std::string prefix = attribute.empty() ? module : module + "." + attribute;
        std::string rest;
        while (true) {
            if (const auto it = overlay_.find(prefix); it != overlay_.end()) {
                Value value = it->second.first;
                arena_.retain(value);
                const std::string note = fmt::format("{} (reached through {}, replaced at byte {})",
                                                     how, prefix, it->second.second);
                size_t start = 0;
                while (start < rest.size()) {
                    const auto dot = rest.find('.', start);
                    const auto part = rest.substr(
                        start, dot == std::string::npos ? std::string::npos : dot - start);
                    Value next = get_attribute(value, part, offset, note);
                    arena_.release(value);
                    value = next;
                    start = dot == std::string::npos ? rest.size() : dot + 1;
                }
                if (value.kind == ValueKind::global) {
                    if (auto* rec = record(value.a, offset)) {
                        ++rec->resolutions;
                        add_evidence(*rec, note);
                    }
                }
                return value;
            }
            const auto dot = prefix.rfind('.');
            if (dot == std::string::npos || dot < module.size())
                break;
            rest = rest.empty() ? prefix.substr(dot + 1) : prefix.substr(dot + 1) + "." + rest;
            prefix.resize(dot);
        }
    }

    const uint32_t id = intern(module, attribute);
    saw_import_ = true;
    if (auto* rec = record(id, offset)) {
        ++rec->resolutions;
        add_evidence(*rec, how);
    }
    return Value::global(id);
}

Value PickleMachine::Impl::get_attribute(const Value& object, std::string_view attribute,
                                         uint64_t offset, const std::string& how) {
    switch (object.kind) {
        case ValueKind::global: {
            const NameEntry& entry = names_[object.a];
            if (entry.synthetic) {
                return dynamic_value(fmt::format("attribute {} of {}", attribute, entry.qualified),
                                     offset, how);
            }
            const std::string module = entry.qualified.substr(0, entry.module_length);
            std::string path = entry.qualified.size() > entry.module_length
                                   ? entry.qualified.substr(entry.module_length + 1)
                                   : std::string{};
            path = path.empty() ? std::string(attribute) : path + "." + std::string(attribute);
            return resolve(module, path, offset, how);
        }
        case ValueKind::instance: {
            if (const Value* value = attribute_of(object, attribute)) {
                arena_.retain(*value);
                return *value;
            }
            const Instance& instance = arena_.instance_of(object.a);
            if (instance.class_name != kNoName && !names_[instance.class_name].synthetic) {
                // A method or class attribute of a known class.
                const NameEntry& cls = names_[instance.class_name];
                const std::string module = cls.qualified.substr(0, cls.module_length);
                const std::string path =
                    cls.qualified.size() > cls.module_length
                        ? cls.qualified.substr(cls.module_length + 1) + "." + std::string(attribute)
                        : std::string(attribute);
                return resolve(module, path, offset, how);
            }
            break;
        }
        default:
            break;
    }
    return dynamic_value(fmt::format("attribute {} of a computed value", attribute), offset, how);
}

bool PickleMachine::Impl::op_global(uint8_t opcode, uint64_t offset) {
    std::string_view module;
    std::string_view name;
    if (!read_line(module))
        return false;
    if (module.empty())
        return truncated();
    if (!read_line(name))
        return false;
    if (name.empty())
        return truncated();
    if (options_.probe) {
        if (!is_dotted_identifier(module) || !is_dotted_identifier(name))
            return invalid("not an importable name");
        saw_import_ = true;
        return push(Value::of_kind(ValueKind::opaque));
    }
    // Dotted names are walked at every protocol: CPython walks them from
    // protocol 4 on, and walking them always is the reading that misses
    // nothing.
    const auto normalized = normalize_global(module, name, proto_);
    std::string how = fmt::format("{} at byte {} resolves '{}' '{}'", op::name(opcode), offset,
                                  escape_for_display(module, 80), escape_for_display(name, 80));
    if (normalized.qualified() != fmt::format("{}.{}", module, name))
        how += fmt::format(" (= {})", normalized.qualified());
    return push(resolve(normalized.module, normalized.attribute, offset, how));
}

bool PickleMachine::Impl::op_stack_global(uint64_t offset) {
    Value name;
    Value module;
    if (!pop(name))
        return false;
    if (!pop(module)) {
        arena_.release(name);
        return false;
    }
    // Operands of known non-str type make CPython raise. Call results are
    // of unknown type: the machine goes on (they may well be str).
    // LIMITATION: likewise after any call CPython may raise where the
    // machine assumes success, so findings past such a point are possible
    // over-reports, never misses.
    const auto known_non_text = [](const Value& v) {
        return is_plain(v.kind) ? v.kind != ValueKind::str
                                : is_object(v.kind) && v.kind != ValueKind::instance;
    };
    if (known_non_text(name) || known_non_text(module)) {
        arena_.release(name);
        arena_.release(module);
        return invalid("STACK_GLOBAL requires str");
    }
    if (options_.probe) {
        saw_import_ = true;
        arena_.release(name);
        arena_.release(module);
        return push(Value::of_kind(ValueKind::opaque));
    }
    const auto module_text = text_of(module, 1024);
    const auto name_text = text_of(name, 1024);
    Value result;
    if (module.kind != ValueKind::str || name.kind != ValueKind::str || !module_text ||
        !name_text) {
        // Operands computed by earlier calls: a str the machine cannot see.
        result = dynamic_value(
            "name computed by STACK_GLOBAL", offset,
            fmt::format("STACK_GLOBAL at byte {} imports a name computed while loading ({} {})",
                        offset, render(module), render(name)));
    } else {
        const auto normalized = normalize_global(*module_text, *name_text, proto_);
        std::string how = fmt::format(
            "STACK_GLOBAL at byte {} resolves '{}' '{}' (strings read at bytes {} and {})", offset,
            escape_for_display(*module_text, 80), escape_for_display(*name_text, 80),
            (module.flags & kDecoded) ? 0 : module.b, (name.flags & kDecoded) ? 0 : name.b);
        if (normalized.qualified() != *module_text + "." + *name_text)
            how += fmt::format(" (= {})", normalized.qualified());
        result = resolve(normalized.module, normalized.attribute, offset, how);
    }
    arena_.release(name);
    arena_.release(module);
    return push(result);
}

bool PickleMachine::Impl::op_ext(int width, uint64_t offset) {
    const uint8_t* p = nullptr;
    if (!read(static_cast<uint64_t>(width), p))
        return false;
    int64_t code = 0;
    if (width == 1)
        code = p[0];
    else if (width == 2)
        code = p[0] | (p[1] << 8);
    else
        code = static_cast<int32_t>(p[0] | (p[1] << 8) | (p[2] << 16) |
                                    (static_cast<uint32_t>(p[3]) << 24));
    if (code <= 0)
        return invalid("EXT specifies code <= 0");
    saw_import_ = true;
    if (options_.probe)
        return push(Value::of_kind(ValueKind::opaque));
    // copyreg's extension registry is empty unless the loading program
    // registered codes, so CPython normally raises here. A victim
    // environment may have registered any callable under any code, so the
    // code stands for an unknown callable.
    const uint32_t id = intern_synthetic(
        fmt::format("<the callable registered under copyreg extension code {}>", code), false);
    if (auto* rec = record(id, offset)) {
        ++rec->resolutions;
        add_evidence(*rec,
                     fmt::format("EXT{} at byte {} loads the callable registered under extension "
                                 "code {} with copyreg.add_extension",
                                 width, offset, code));
    }
    return push(Value::global(id));
}

// ---------------------------------------------------------------------------
// Calls

std::string PickleMachine::Impl::callee_text(const Value& callee) const {
    switch (callee.kind) {
        case ValueKind::global:
            return names_[callee.a].qualified;
        case ValueKind::instance: {
            const Instance& instance = arena_.instance_of(callee.a);
            if (instance.class_name != kNoName)
                return fmt::format("an object returned by {}",
                                   names_[instance.class_name].qualified);
            return "an object built while loading";
        }
        case ValueKind::persistent:
            return "an object returned by persistent_load";
        default:
            return "a value the machine cannot model";
    }
}

Value PickleMachine::Impl::new_instance(const Value& callee, const Value& args, uint64_t offset,
                                        bool keep_args) {
    Instance instance;
    instance.callee = callee;
    arena_.retain(callee);
    if (keep_args) {
        instance.args = args;
        arena_.retain(args);
    }
    if (callee.kind == ValueKind::global)
        instance.class_name = callee.a;
    instance.offset = offset;
    return Value::object(ValueKind::instance, arena_.create_instance(instance));
}

// A call the real unpickler makes (REDUCE, NEWOBJ, OBJ, INST, BUILD's
// __setstate__, APPENDS' extend ...). Takes over the callee and args
// references; returns the (owned) result.
Value PickleMachine::Impl::call(Value callee, Value args, uint8_t opcode, uint64_t offset,
                                std::string via) {
    if (options_.probe) {
        arena_.release(callee);
        arena_.release(args);
        return Value::of_kind(ValueKind::opaque);
    }
    Value result;
    if (callee.kind == ValueKind::global) {
        const NameEntry& entry = names_[callee.a];
        if (auto* rec = record(callee.a, offset)) {
            ++rec->calls;
            const char* verb =
                (opcode == op::kNewObj || opcode == op::kNewObjEx) ? "instantiates" : "calls";
            add_evidence(*rec, fmt::format("{} at byte {} {} {}{} with {}", op::name(opcode),
                                           offset, verb, entry.qualified,
                                           via.empty() ? "" : " " + via, render_args(args)));
        }
        if (entry.model.model != Model::none) {
            const ModelInfo model = entry.model;
            const std::string name = entry.qualified;
            result = apply_model(model, name, callee, args, opcode, offset);
        } else {
            result = new_instance(callee, args, offset, false);
        }
    } else if (callee.kind == ValueKind::instance || callee.kind == ValueKind::persistent ||
               callee.kind == ValueKind::opaque) {
        result = call_instance(callee, args, opcode, offset);
    } else {
        result = Value::of_kind(ValueKind::opaque);
    }
    arena_.release(callee);
    arena_.release(args);
    return result;
}

// Calling something that is not a plain global: the objects that
// operator.attrgetter/methodcaller/itemgetter and functools.partial return,
// or any other object, whose type decides what runs.
Value PickleMachine::Impl::call_instance(const Value& callee, const Value& args, uint8_t opcode,
                                         uint64_t offset) {
    // Copies: the calls below create values, which may move the arena.
    const auto args_span = items_of(args);
    const std::vector<Value> call_args(args_span.begin(), args_span.end());
    if (callee.kind == ValueKind::instance) {
        const uint32_t class_name = arena_.instance_of(callee.a).class_name;
        const Model maker = class_name != kNoName ? names_[class_name].model.model : Model::none;
        const auto made_span = items_of(arena_.instance_of(callee.a).args);
        const std::vector<Value> made_with(made_span.begin(), made_span.end());
        const std::string how_prefix =
            fmt::format("{} at byte {} calls {}", op::name(opcode), offset, callee_text(callee));
        if (maker == Model::make_attrgetter && !made_with.empty() && !call_args.empty()) {
            if (const auto path = text_of(made_with[0], 1024)) {
                Value value = call_args[0];
                arena_.retain(value);
                size_t start = 0;
                while (start <= path->size()) {
                    const auto dot = path->find('.', start);
                    const auto part = path->substr(
                        start, dot == std::string::npos ? std::string::npos : dot - start);
                    Value next = get_attribute(value, part, offset,
                                               fmt::format("{} and resolves {}", how_prefix,
                                                           escape_for_display(*path, 80)));
                    arena_.release(value);
                    value = next;
                    if (dot == std::string::npos)
                        break;
                    start = dot + 1;
                }
                return value;
            }
        }
        if (maker == Model::make_methodcaller && !made_with.empty() && !call_args.empty()) {
            if (const auto method = text_of(made_with[0], 256)) {
                const Value target =
                    get_attribute(call_args[0], *method, offset,
                                  fmt::format("{} and resolves method {}", how_prefix, *method));
                const uint32_t rest = arena_.create(ValueKind::tuple);
                for (size_t i = 1; i < made_with.size(); ++i) {
                    arena_.retain(made_with[i]);
                    arena_.append(rest, made_with[i]);
                }
                return call(target, Value::object(ValueKind::tuple, rest), opcode, offset,
                            "through operator.methodcaller");
            }
        }
        if (maker == Model::make_itemgetter && !made_with.empty() && !call_args.empty()) {
            const auto key = text_of(made_with[0], 1024);
            if (key && name_of(call_args[0]) == "sys.modules") {
                return resolve(canonical_module(*key), "", offset,
                               fmt::format("{} and fetches sys.modules['{}']", how_prefix,
                                           escape_for_display(*key, 80)));
            }
        }
        if (maker == Model::make_partial && !made_with.empty()) {
            const uint32_t merged = arena_.create(ValueKind::tuple);
            for (size_t i = 1; i < made_with.size(); ++i) {
                arena_.retain(made_with[i]);
                arena_.append(merged, made_with[i]);
            }
            for (const Value& arg : call_args) {
                arena_.retain(arg);
                arena_.append(merged, arg);
            }
            Value function = made_with[0];
            arena_.retain(function);
            return call(function, Value::object(ValueKind::tuple, merged), opcode, offset,
                        "through functools.partial");
        }
    }
    // Calling an object runs its type's __call__, which nothing vouches for.
    const uint32_t id = intern_synthetic(fmt::format("<{}>", callee_text(callee)), false);
    if (auto* rec = record(id, offset)) {
        ++rec->calls;
        add_evidence(*rec, fmt::format("{} at byte {} calls {} with {}", op::name(opcode), offset,
                                       callee_text(callee), render_args(args)));
    }
    return new_instance(Value::global(id), args, offset, false);
}

Value PickleMachine::Impl::apply_model(const ModelInfo& model, const std::string& callee,
                                       const Value& callee_value, const Value& args, uint8_t opcode,
                                       uint64_t offset) {
    // A copy: models create values, which may move the arena's storage.
    const auto span = items_of(args);
    const std::vector<Value> arg(span.begin(), span.end());
    const std::string who = fmt::format("{} at byte {}", callee, offset);
    switch (model.model) {
        case Model::getattr:
            if (arg.size() >= 2) {
                if (const auto attribute = text_of(arg[1], 1024)) {
                    const int32_t getattr_record = names_[callee_value.a].record;
                    Value value = get_attribute(
                        arg[0], *attribute, offset,
                        fmt::format("{} fetches attribute '{}' of {}", who,
                                    escape_for_display(*attribute, 80), render(arg[0])));
                    if (value.kind == ValueKind::global && !names_[value.a].synthetic &&
                        getattr_record >= 0) {
                        ++log_.callables[static_cast<size_t>(getattr_record)].resolved_calls;
                    }
                    return value;
                }
            }
            return dynamic_value("attribute fetched by getattr", offset,
                                 fmt::format("{} fetches an attribute whose name is computed "
                                             "while loading",
                                             who));
        case Model::import_top:
        case Model::import_module:
        case Model::resolve_name: {
            const auto text = arg.empty() ? std::nullopt : text_of(arg[0], 1024);
            if (!text)
                return dynamic_value("module imported by a computed name", offset,
                                     fmt::format("{} imports a module whose name is computed "
                                                 "while loading",
                                                 who));
            std::string module = *text;
            std::string attribute;
            if (model.model == Model::resolve_name) {
                if (const auto colon = module.find(':'); colon != std::string::npos) {
                    attribute = module.substr(colon + 1);
                    module.resize(colon);
                } else if (const auto dot = module.rfind('.'); dot != std::string::npos) {
                    attribute = module.substr(dot + 1);
                    module.resize(dot);
                }
            }
            const std::string how =
                fmt::format("{} imports '{}'", who, escape_for_display(*text, 80));
            // __import__('os.path') runs os/path's code but returns `os`.
            if (model.model == Model::import_top && arg.size() < 4) {
                const std::string top = module.substr(0, module.find('.'));
                if (top != module) {
                    Value full = resolve(canonical_module(module), "", offset, how);
                    arena_.release(full);
                }
                return resolve(canonical_module(top), "", offset, how);
            }
            return resolve(canonical_module(module), attribute, offset, how);
        }
        case Model::make_attrgetter:
        case Model::make_methodcaller:
        case Model::make_itemgetter:
        case Model::make_partial:
        case Model::keep_args:
            return new_instance(callee_value, args, offset, true);
        case Model::getitem: {
            const auto key = arg.size() >= 2 ? text_of(arg[1], 1024) : std::nullopt;
            if (key && name_of(arg[0]) == "sys.modules") {
                return resolve(
                    canonical_module(*key), "", offset,
                    fmt::format("{} fetches sys.modules['{}']", who, escape_for_display(*key, 80)));
            }
            break;
        }
        case Model::module_lookup: {
            const auto key = arg.empty() ? std::nullopt : text_of(arg[0], 1024);
            if (key) {
                return resolve(
                    canonical_module(*key), "", offset,
                    fmt::format("{} fetches sys.modules['{}']", who, escape_for_display(*key, 80)));
            }
            break;
        }
        case Model::newobj:
        case Model::newobj_ex:
            if (!arg.empty()) {
                // cls.__new__(cls, *args): the class is what runs.
                const uint32_t rest = arena_.create(ValueKind::tuple);
                if (model.model == Model::newobj) {
                    for (size_t i = 1; i < arg.size(); ++i) {
                        arena_.retain(arg[i]);
                        arena_.append(rest, arg[i]);
                    }
                } else if (arg.size() >= 2) {
                    for (const Value& item : items_of(arg[1])) {
                        arena_.retain(item);
                        arena_.append(rest, item);
                    }
                }
                Value cls = arg[0];
                arena_.retain(cls);
                return call(cls, Value::object(ValueKind::tuple, rest), opcode, offset,
                            fmt::format("through {}", callee));
            }
            break;
        case Model::reconstructor:
            if (!arg.empty() && arg[0].kind == ValueKind::global)
                return new_instance(arg[0], Value{}, offset, false);
            break;
        case Model::decode:
            if (!arg.empty())
                return decode(model.codec, arg[0], offset);
            break;
        case Model::codecs_decode:
        case Model::codecs_encode:
        case Model::bytes_ctor: {
            if (arg.empty())
                break;
            const auto encoding = arg.size() >= 2 ? text_of(arg[1], 64) : std::nullopt;
            const auto codec = codec_for_encoding(encoding.value_or(""));
            if (model.model == Model::codecs_decode && codec)
                return decode(*codec, arg[0], offset);
            if (is_latin1_encoding(encoding.value_or("")) && arg[0].kind == ValueKind::str &&
                arg[0].form == static_cast<uint8_t>(TextForm::raw) && !(arg[0].flags & kDecoded)) {
                // _codecs.encode(text, 'latin1'): how protocol 2 spells bytes.
                Value bytes = arg[0];
                bytes.kind = ValueKind::bytes;
                bytes.form = static_cast<uint8_t>(TextForm::latin1_of_utf8);
                return bytes;
            }
            if (arg[0].is_binary() || arg[0].is_text()) {
                Value same = arg[0];
                same.kind = model.model == Model::codecs_decode ? ValueKind::str : ValueKind::bytes;
                return same;
            }
            break;
        }
        case Model::loads:
        case Model::load_stream:
        case Model::load_other:
            if (!arg.empty()) {
                const bool pickle = model.model != Model::load_other;
                const size_t before = log_.payloads.size();
                Value result = embed(callee, arg[0], offset, pickle);
                const int32_t index = names_[callee_value.a].record;
                if (index >= 0) {
                    auto& loader = log_.callables[static_cast<size_t>(index)];
                    if (log_.payloads.size() > before) {
                        const auto& payload = log_.payloads.back();
                        add_evidence(
                            loader,
                            fmt::format("its argument ({} bytes{}) is examined as {}",
                                        payload.bytes.size(),
                                        payload.how.empty() ? "" : ", decoded: " + payload.how,
                                        pickle ? "an embedded pickle" : "embedded content"));
                    } else {
                        add_evidence(loader, "its argument is not a constant hazmat can examine");
                    }
                }
                return result;
            }
            break;
        case Model::none:
            break;
    }
    return new_instance(callee_value, args, offset, false);
}

Value PickleMachine::Impl::decode(PayloadCodec codec, const Value& input, uint64_t offset) {
    const auto bytes = materialize(input);
    if (!bytes)
        return Value::of_kind(ValueKind::opaque);
    auto decoded = decode_payload(codec, bytes->span(), kMaxDecodedBytes);
    if (!decoded) {
        if (decoded.error().message.find("exceeds") != std::string::npos) {
            log_.limits.push_back({LimitKind::expanded_bytes, offset,
                                   fmt::format("{} payload at byte {}: {}", to_string(codec),
                                               offset, decoded.error().message)});
        }
        return Value::of_kind(ValueKind::opaque);
    }
    if (!host_.charge_expansion(decoded->size(), offset))
        return Value::of_kind(ValueKind::opaque);
    const uint64_t id = buffers_.size();
    if (id >= (uint64_t{1} << (64 - kDecodedOffsetBits)))
        return Value::of_kind(ValueKind::opaque);
    std::string how;
    if (input.flags & kDecoded)
        how = buffer_how_[input.b >> kDecodedOffsetBits] + ", ";
    how += to_string(codec);
    const uint64_t length = decoded->size();
    buffers_.push_back(std::make_shared<const std::vector<uint8_t>>(std::move(decoded).value()));
    buffer_how_.push_back(std::move(how));
    Value value = Value::text(ValueKind::bytes, TextForm::raw, id << kDecodedOffsetBits, length);
    value.flags |= kDecoded;
    return value;
}

// LIMITATION: only arguments built from constants (and the decoders the
// machine models) can be examined; bytes computed by other calls are not,
// which the loader's own finding then says.
Value PickleMachine::Impl::embed(std::string_view loader, const Value& data, uint64_t offset,
                                 bool pickle) {
    const Value* source = &data;
    if (data.kind == ValueKind::instance) {
        // io.BytesIO(b) handed to a loader that reads a file.
        const auto made_with = items_of(arena_.instance_of(data.a).args);
        if (!made_with.empty())
            source = &made_with[0];
    }
    if (const auto bytes = materialize(*source)) {
        EmbeddedPayload payload;
        payload.loader = std::string(loader);
        payload.offset = offset;
        payload.bytes = *bytes;
        payload.pickle = pickle;
        if (source->flags & kDecoded)
            payload.how = buffer_how_[source->b >> kDecodedOffsetBits];
        log_.payloads.push_back(std::move(payload));
    }
    return Value::of_kind(ValueKind::opaque);
}

bool PickleMachine::Impl::op_reduce(uint64_t offset) {
    Value args;
    Value callable;
    if (!pop(args))
        return false;
    if (!pop(callable)) {
        arena_.release(args);
        return false;
    }
    if (is_plain(callable.kind) ||
        (is_object(callable.kind) && callable.kind != ValueKind::instance)) {
        arena_.release(args);
        arena_.release(callable);
        return invalid("REDUCE calls a value that is not callable");
    }
    if (is_plain(args.kind) || (is_object(args.kind) && args.kind != ValueKind::tuple &&
                                args.kind != ValueKind::instance)) {
        arena_.release(args);
        arena_.release(callable);
        return invalid("REDUCE arguments must be a tuple");
    }
    const Value result = call(callable, args, op::kReduce, offset);
    return push(result);
}

bool PickleMachine::Impl::op_newobj(bool with_kwargs, uint64_t offset) {
    Value kwargs;
    Value args;
    Value cls;
    if (with_kwargs && !pop(kwargs))
        return false;
    if (!pop(args)) {
        arena_.release(kwargs);
        return false;
    }
    if (!pop(cls)) {
        arena_.release(kwargs);
        arena_.release(args);
        return false;
    }
    const char* what = with_kwargs ? "NEWOBJ_EX" : "NEWOBJ";
    std::string error;
    if (is_plain(cls.kind) || (is_object(cls.kind) && cls.kind != ValueKind::instance))
        error = fmt::format("{} class argument must be a type", what);
    else if (is_plain(args.kind) || (is_object(args.kind) && args.kind != ValueKind::tuple &&
                                     args.kind != ValueKind::instance))
        error = fmt::format("{} args argument must be a tuple", what);
    else if (with_kwargs &&
             (is_plain(kwargs.kind) || (is_object(kwargs.kind) && kwargs.kind != ValueKind::dict &&
                                        kwargs.kind != ValueKind::instance)))
        error = fmt::format("{} kwargs argument must be a dict", what);
    arena_.release(kwargs);
    if (!error.empty()) {
        arena_.release(args);
        arena_.release(cls);
        return invalid(error);
    }
    const Value result = call(cls, args, with_kwargs ? op::kNewObjEx : op::kNewObj, offset);
    return push(result);
}

bool PickleMachine::Impl::op_obj(uint64_t offset) {
    uint64_t mark = 0;
    if (!marker(mark))
        return false;
    if (stack_.size() < mark + 1)
        return underflow();
    const Value args = make_from_stack(ValueKind::tuple, mark + 1);
    Value cls;
    if (!pop(cls)) {
        arena_.release(args);
        return false;
    }
    if (is_plain(cls.kind) || (is_object(cls.kind) && cls.kind != ValueKind::instance)) {
        arena_.release(args);
        arena_.release(cls);
        return invalid("OBJ class argument is not callable");
    }
    return push(call(cls, args, op::kObj, offset));
}

bool PickleMachine::Impl::op_inst(uint64_t offset) {
    uint64_t mark = 0;
    if (!marker(mark))
        return false;
    std::string_view module;
    std::string_view name;
    if (!read_line(module))
        return false;
    if (module.empty())
        return truncated();
    if (!read_line(name))
        return false;
    if (name.empty())
        return truncated();
    if (options_.probe) {
        if (!is_dotted_identifier(module) || !is_dotted_identifier(name))
            return invalid("not an importable name");
        saw_import_ = true;
        clear_stack_to(mark);
        return push(Value::of_kind(ValueKind::opaque));
    }
    const auto normalized = normalize_global(module, name, proto_);
    std::string how = fmt::format("INST at byte {} resolves '{}' '{}'", offset,
                                  escape_for_display(module, 80), escape_for_display(name, 80));
    if (normalized.qualified() != fmt::format("{}.{}", module, name))
        how += fmt::format(" (= {})", normalized.qualified());
    const Value cls = resolve(normalized.module, normalized.attribute, offset, how);
    if (stack_.size() < mark) {
        arena_.release(cls);
        return underflow();
    }
    const Value args = make_from_stack(ValueKind::tuple, mark);
    return push(call(cls, args, op::kInst, offset));
}

bool PickleMachine::Impl::op_persid(bool binary, uint64_t offset) {
    Value pid;
    if (binary) {
        if (!pop(pid))
            return false;
    } else {
        std::string_view line;
        if (!read_line(line))
            return false;
        pid = Value::text(ValueKind::str, TextForm::raw, pos_ - line.size() - 1, line.size());
    }
    // persistent_load is the loader's own function (torch uses it for
    // storages): data, not a call into the pickle's choice of code.
    if (!options_.probe)
        persistent_ids_.push_back({offset, pid});
    else
        arena_.release(pid);
    Value value = Value::of_kind(ValueKind::persistent);
    value.a = static_cast<uint32_t>(persistent_ids_.size());
    return push(value);
}

// ---------------------------------------------------------------------------
// BUILD

void PickleMachine::Impl::tamper(const Value& target, std::string what, uint64_t offset) {
    if (options_.probe)
        return;
    log_.anomalies.push_back(
        {rules::kPickleTampering,
         offset,
         fmt::format("The pickle modifies {} while loading.", callee_text(target)),
         {fmt::format("{} at byte {}: {}", op::name(data_[offset]), offset, std::move(what))}});
}

// Applies a BUILD state the way load_build does without __setstate__:
// a dict goes to __dict__, a (dict, slotstate) pair also sets attributes.
void PickleMachine::Impl::set_attributes(const Value& target, const Value& state, uint64_t offset,
                                         const char* how) {
    std::vector<Value> dicts;
    if (state.kind == ValueKind::dict) {
        dicts.push_back(state);
    } else if (state.kind == ValueKind::tuple) {
        const auto parts = arena_.items(state.a);
        if (arena_.object(state.a).length == 2 && parts.size() == 2) {
            for (const Value& part : parts) {
                if (part.kind == ValueKind::dict)
                    dicts.push_back(part);
            }
        }
    }

    if (target.kind == ValueKind::global) {
        std::string keys;
        const NameEntry& entry = names_[target.a];
        for (const Value& dict : dicts) {
            const auto span = arena_.items(dict.a);
            const std::vector<Value> items(span.begin(), span.end());
            for (size_t i = 0; i + 1 < items.size(); i += 2) {
                const auto key = text_of(items[i], 200);
                if (!key)
                    continue;
                keys += keys.empty() ? "" : ", ";
                keys += *key;
                if (!entry.synthetic) {
                    arena_.retain(items[i + 1]);
                    auto& slot = overlay_[entry.qualified + "." + *key];
                    arena_.release(slot.first);
                    slot = {items[i + 1], offset};
                }
            }
        }
        tamper(target,
               fmt::format("{} sets attribute(s) {}", how, keys.empty() ? "(computed)" : keys),
               offset);
        return;
    }
    if (target.kind != ValueKind::instance)
        return;
    Instance& instance = arena_.instance_of(target.a);
    if (dicts.empty()) {
        arena_.retain(state);
        arena_.release(instance.state);
        arena_.instance_of(target.a).state = state;
        return;
    }
    if (instance.attrs.kind != ValueKind::dict) {
        const uint32_t id = arena_.create(ValueKind::dict);
        arena_.instance_of(target.a).attrs = Value::object(ValueKind::dict, id);
    }
    const uint32_t attrs = arena_.instance_of(target.a).attrs.a;
    for (const Value& dict : dicts) {
        const auto span = arena_.items(dict.a);
        const std::vector<Value> items(span.begin(), span.end());
        for (size_t i = 0; i + 1 < items.size(); i += 2) {
            arena_.retain(items[i]);
            arena_.retain(items[i + 1]);
            arena_.append_pair(attrs, items[i], items[i + 1]);
        }
    }
}

bool PickleMachine::Impl::op_build(uint64_t offset) {
    if (stack_.size() < 2 || stack_.size() - 2 < fence())
        return underflow();
    Value state;
    if (!pop(state))
        return false;
    const Value target = stack_.back();

    // inst.__setstate__(state) when the instance has one. Attributes set by
    // an earlier BUILD count: that is how a pickle makes BUILD call any
    // callable it likes.
    if (const auto setstate = method_of(target, "__setstate__")) {
        const uint32_t args = arena_.create(ValueKind::tuple);
        arena_.append(args, state);
        const Value result = call(*setstate, Value::object(ValueKind::tuple, args), op::kBuild,
                                  offset, "as the __setstate__ of the object below it");
        arena_.release(result);
        return true;
    }
    set_attributes(target, state, offset, "BUILD");
    arena_.release(state);

    if (options_.joblib_arrays && target.kind == ValueKind::instance) {
        const uint32_t cls = arena_.instance_of(target.a).class_name;
        if (cls != kNoName &&
            std::string_view(names_[cls].qualified).ends_with(joblib_wrapper_suffix()))
            return joblib_array(offset);
    }
    return true;
}

// ---------------------------------------------------------------------------
// joblib: NumpyUnpickler.load_build replaces a NumpyArrayWrapper on the
// stack with the array whose bytes follow in the file (joblib/numpy_pickle.py
// NumpyArrayWrapper.read_array). joblib reads with the pure-Python
// unpickler, which has consumed the whole current frame: the array starts
// where the frame ends.

namespace {

struct ArrayLayout {
    uint64_t count = 1;
    uint64_t itemsize = 0;
    bool has_object = false;
};

std::optional<uint64_t> itemsize_of_descr(std::string_view descr, bool& object) {
    if (!descr.empty() &&
        (descr[0] == '<' || descr[0] == '>' || descr[0] == '|' || descr[0] == '='))
        descr.remove_prefix(1);
    if (descr.empty())
        return std::nullopt;
    const char kind = descr[0];
    uint64_t digits = 0;
    for (size_t i = 1; i < descr.size(); ++i) {
        if (descr[i] < '0' || descr[i] > '9')
            return std::nullopt;
        digits = digits * 10 + static_cast<uint64_t>(descr[i] - '0');
        if (digits > (1ull << 32))
            return std::nullopt;
    }
    switch (kind) {
        case 'O':
            object = true;
            return 8;
        case 'U':
            return digits * 4;
        case 'b':
        case 'i':
        case 'u':
        case 'f':
        case 'c':
        case 'm':
        case 'M':
        case 'S':
        case 'a':
        case 'V':
            return digits;
        case '?':
            return 1;
        default:
            return std::nullopt;
    }
}

}  // namespace

bool PickleMachine::Impl::joblib_array(uint64_t offset) {
    ++log_.numpy_array_wrappers;
    const Value wrapper = stack_.back();
    const Value* shape = attribute_of(wrapper, "shape");
    const Value* dtype = attribute_of(wrapper, "dtype");
    const Value* alignment_attr = attribute_of(wrapper, "numpy_array_alignment_bytes");
    // joblib < 1.2 wrote no padding and has no such attribute.
    const bool padded = alignment_attr && alignment_attr->kind != ValueKind::none;

    ArrayLayout layout;
    bool understood =
        shape && shape->kind == ValueKind::tuple && dtype && dtype->kind == ValueKind::instance;
    if (understood) {
        for (const Value& dim : items_of(*shape)) {
            const auto n = integer_of(dim);
            if (!n || *n < 0 || (*n > 0 && layout.count > UINT64_MAX / static_cast<uint64_t>(*n))) {
                understood = false;
                break;
            }
            layout.count *= static_cast<uint64_t>(*n);
        }
        if (arena_.object(shape->a).length != items_of(*shape).size())
            understood = false;
    }
    if (understood) {
        const Instance& dt = arena_.instance_of(dtype->a);
        const auto dt_args = items_of(dt.args);
        const auto descr = dt_args.empty() ? std::nullopt : text_of(dt_args[0], 64);
        std::optional<uint64_t> size;
        if (descr)
            size = itemsize_of_descr(*descr, layout.has_object);
        // Structured dtypes: (version, byteorder, subarray, names, fields,
        // elsize, alignment, flags); NPY_ITEM_HASOBJECT is flag bit 0.
        const auto state = items_of(dt.state);
        if (state.size() >= 8) {
            const auto elsize = integer_of(state[5]);
            const auto flags = integer_of(state[7]);
            if (elsize && *elsize > 0)
                size = static_cast<uint64_t>(*elsize);
            if (flags && (*flags & 1))
                layout.has_object = true;
        }
        if (!size)
            understood = false;
        else
            layout.itemsize = *size;
    }
    // LIMITATION: dtypes spelled other than numpy.dtype(descr, ...) (for
    // example subarray dtypes) leave the array length unknown; the stream
    // is then reported as not verified from the wrapper on.
    if (!understood) {
        return invalid(fmt::format(
            "joblib NumpyArrayWrapper at byte {} has a shape or dtype hazmat cannot read, so the "
            "length of the array data that follows is unknown",
            offset));
    }

    // Where the pure-Python unpickler's file position is.
    uint64_t data_at = pos_;
    const bool frame_left = frame_end_ != kNoWatch && pos_ < frame_end_;
    if (frame_left) {
        data_at = frame_end_;
        log_.anomalies.push_back(
            {rules::kPickleLoaderDifferential,
             offset,
             "joblib array data is read from a different place than the opcodes after it.",
             {fmt::format("the NumpyArrayWrapper built at byte {} sits in a frame that continues "
                          "to byte {}: joblib reads the array from there, while the opcodes at "
                          "bytes {}-{} run next",
                          offset, frame_end_, pos_, frame_end_)}});
    }

    uint64_t data_end = data_at;
    if (layout.has_object) {
        // read_array: pickle.load(file_handle), a new C unpickler.
        PickleMachine nested(input_, policy_, host_, [&] {
            MachineOptions nested_options = options_;
            nested_options.max_opcodes =
                options_.max_opcodes - std::min(opcodes_, options_.max_opcodes);
            nested_options.joblib_arrays = false;
            return nested_options;
        }());
        NestedStream stream;
        stream.name = fmt::format("object array at byte {}", data_at);
        stream.outcome = nested.run(data_at);
        opcodes_ += stream.outcome.opcodes;
        stream.log = std::move(nested.log());
        const StreamOutcome nested_outcome = stream.outcome;
        log_.nested.push_back(std::move(stream));
        if (nested_outcome.end != StreamEnd::stop) {
            // joblib.load fails with the nested pickle; so does this stream.
            const uint64_t start = outcome_.start;
            outcome_ = nested_outcome;
            outcome_.start = start;
            outcome_.opcodes = 0;
            if (!outcome_.error.empty())
                outcome_.error = fmt::format("in the object array pickle at byte {}: {}", data_at,
                                             outcome_.error);
            return false;
        }
        data_end = nested_outcome.end_offset;
    } else {
        if (padded) {
            // _read_padding: one byte holding the padding length, then padding.
            if (data_at >= size_) {
                op_start_ = data_at;
                return truncated("joblib array padding is missing");
            }
            data_end = data_at + 1 + data_[data_at];
        }
        const uint64_t bytes = layout.count * layout.itemsize;
        if (layout.itemsize != 0 && bytes / layout.itemsize != layout.count) {
            return invalid("joblib array size overflows");
        }
        if (data_end > size_ || bytes > size_ - data_end) {
            op_start_ = data_end;
            return truncated(fmt::format("joblib array data ({} bytes) is truncated", bytes));
        }
        data_end += bytes;
    }

    if (frame_left) {
        jump_at_ = frame_end_;
        jump_to_ = data_end;
    } else {
        pos_ = data_end;
        if (frame_end_ != kNoWatch && pos_ >= frame_end_)
            frame_end_ = kNoWatch;
    }
    refresh_watch();

    stack_.pop_back();
    arena_.release(wrapper);
    return push(Value::of_kind(ValueKind::opaque));
}

// ---------------------------------------------------------------------------
// Values

ByteSpan PickleMachine::Impl::raw_span(const Value& value) const {
    if (value.flags & kDecoded) {
        const auto& buffer = *buffers_[value.b >> kDecodedOffsetBits];
        const uint64_t offset = value.b & ((uint64_t{1} << kDecodedOffsetBits) - 1);
        return ByteSpan(buffer).subspan(offset, value.a);
    }
    if (value.b > size_ || value.a > size_ - value.b)
        return {};
    return ByteSpan(data_ + value.b, value.a);
}

std::optional<Bytes> PickleMachine::Impl::materialize(const Value& value) const {
    if (!value.is_text() && !value.is_binary())
        return std::nullopt;
    const ByteSpan raw = raw_span(value);
    if (value.flags & kDecoded) {
        const auto& owner = buffers_[value.b >> kDecodedOffsetBits];
        return Bytes(raw, owner);
    }
    switch (static_cast<TextForm>(value.form)) {
        case TextForm::raw:
            return input_.slice(value.b, value.a);
        case TextForm::string_escape:
            return bytes_from(decode_string_escape(raw));
        case TextForm::raw_unicode_escape:
            return bytes_from(decode_raw_unicode_escape(raw));
        case TextForm::latin1_of_utf8: {
            auto latin1 = utf8_to_latin1(raw);
            if (!latin1)
                return std::nullopt;
            return bytes_from(std::move(*latin1));
        }
    }
    return std::nullopt;
}

std::optional<std::string> PickleMachine::Impl::text_of(const Value& value,
                                                        size_t max_length) const {
    if (!value.is_text() && !value.is_binary())
        return std::nullopt;
    if (value.a > max_length * 4 + 16)
        return std::nullopt;
    const ByteSpan raw = raw_span(value);
    std::vector<uint8_t> decoded;
    switch (static_cast<TextForm>(value.form)) {
        case TextForm::raw:
            decoded.assign(raw.begin(), raw.end());
            break;
        case TextForm::latin1_of_utf8:
            if (auto latin1 = utf8_to_latin1(raw))
                decoded = std::move(*latin1);
            else
                decoded.assign(raw.begin(), raw.end());
            break;
        case TextForm::string_escape:
            decoded = decode_string_escape(raw);
            break;
        case TextForm::raw_unicode_escape:
            decoded = decode_raw_unicode_escape(raw);
            break;
    }
    if (decoded.size() > max_length)
        return std::nullopt;
    return std::string(decoded.begin(), decoded.end());
}

std::optional<int64_t> PickleMachine::Impl::integer_of(const Value& value) const {
    if (value.kind == ValueKind::integer)
        return value.as_int();
    if (value.kind == ValueKind::boolean)
        return value.a;
    return std::nullopt;
}

std::span<const Value> PickleMachine::Impl::items_of(const Value& value) const {
    if (!is_object(value.kind) || value.kind == ValueKind::instance)
        return {};
    return arena_.items(value.a);
}

std::string PickleMachine::Impl::name_of(const Value& value) const {
    if (value.kind != ValueKind::global)
        return {};
    return names_[value.a].qualified;
}

bool PickleMachine::Impl::integer_equals(const Value& value, ByteSpan expected) const {
    if (value.kind == ValueKind::integer) {
        if (expected.size() > 8)
            return false;
        uint64_t v = 0;
        for (size_t i = 0; i < expected.size(); ++i)
            v |= static_cast<uint64_t>(expected[i]) << (8 * i);
        return static_cast<uint64_t>(value.as_int()) == v;
    }
    if (value.kind != ValueKind::big_integer)
        return false;
    const ByteSpan raw = raw_span(value);
    if (static_cast<IntegerForm>(value.form) == IntegerForm::little_endian) {
        // Trailing sign-extension bytes do not change the value.
        size_t n = raw.size();
        while (n > expected.size() && raw[n - 1] == 0)
            --n;
        return n == expected.size() && std::equal(expected.begin(), expected.end(), raw.begin());
    }
    return decimal_equals_le(
        std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()), expected);
}

std::string PickleMachine::Impl::render(const Value& value, int depth) const {
    switch (value.kind) {
        case ValueKind::absent:
            return "?";
        case ValueKind::none:
            return "None";
        case ValueKind::boolean:
            return value.a ? "True" : "False";
        case ValueKind::integer:
            return fmt::format("{}", value.as_int());
        case ValueKind::big_integer:
            return "<large int>";
        case ValueKind::floating:
            return "<float>";
        case ValueKind::str:
        case ValueKind::bytes:
        case ValueKind::bytearray: {
            const bool binary = value.kind != ValueKind::str;
            // Only the start is shown, so only the start is decoded.
            Value prefix = value;
            prefix.a = std::min<uint32_t>(value.a, 256);
            const auto text = text_of(prefix, 1024);
            if (!text)
                return fmt::format("<{} of {} bytes>", binary ? "bytes" : "str", value.a);
            std::string out = binary ? "b'" : "'";
            out += escape_for_display(*text, 80);
            if (value.a > prefix.a && text->size() <= 80)
                out += "...";
            out += "'";
            if (value.kind == ValueKind::bytearray)
                out = "bytearray(" + out + ")";
            return out;
        }
        case ValueKind::tuple:
        case ValueKind::list:
        case ValueKind::dict:
        case ValueKind::set:
        case ValueKind::frozenset: {
            const auto& object = arena_.object(value.a);
            const char* open = value.kind == ValueKind::tuple  ? "("
                               : value.kind == ValueKind::list ? "["
                                                               : "{";
            const char* close = value.kind == ValueKind::tuple  ? ")"
                                : value.kind == ValueKind::list ? "]"
                                                                : "}";
            if (depth >= 3)
                return fmt::format("{}...{}", open, close);
            std::string out = open;
            const auto items = arena_.items(value.a);
            const size_t step = value.kind == ValueKind::dict ? 2 : 1;
            size_t shown = 0;
            for (size_t i = 0; i + step - 1 < items.size() && shown < 6; i += step, ++shown) {
                if (shown > 0)
                    out += ", ";
                out += render(items[i], depth + 1);
                if (step == 2)
                    out += ": " + render(items[i + 1], depth + 1);
            }
            if (object.length > shown)
                out += fmt::format("{}... {} more", shown > 0 ? ", " : "", object.length - shown);
            else if (value.kind == ValueKind::tuple && object.length == 1)
                out += ",";
            out += close;
            return out;
        }
        case ValueKind::instance:
            return fmt::format("<{}>", callee_text(value));
        case ValueKind::global:
            return names_[value.a].qualified;
        case ValueKind::persistent:
            return "<persistent object>";
        case ValueKind::opaque:
            return "<object>";
    }
    return "?";
}

std::string PickleMachine::Impl::render_args(const Value& args) const {
    if (args.kind == ValueKind::tuple)
        return render(args);
    return fmt::format("arguments {}", render(args));
}

// ---------------------------------------------------------------------------

PickleMachine::PickleMachine(Bytes input, const CallablePolicy* policy, MachineHost& host,
                             const MachineOptions& options)
    : impl_(std::make_unique<Impl>(std::move(input), policy, host, options)) {}

PickleMachine::~PickleMachine() = default;

StreamOutcome PickleMachine::run(uint64_t start) {
    return impl_->run(start);
}

StreamLog& PickleMachine::log() {
    return impl_->log_;
}

const Value& PickleMachine::result() const {
    return impl_->result_;
}

const std::vector<PersistentId>& PickleMachine::persistent_ids() const {
    return impl_->persistent_ids_;
}

std::optional<int64_t> PickleMachine::integer_of(const Value& value) const {
    return impl_->integer_of(value);
}

std::optional<std::string> PickleMachine::text_of(const Value& value, size_t max_length) const {
    return impl_->text_of(value, max_length);
}

std::span<const Value> PickleMachine::items_of(const Value& value) const {
    return impl_->items_of(value);
}

std::string PickleMachine::name_of(const Value& value) const {
    return impl_->name_of(value);
}

bool PickleMachine::integer_equals(const Value& value, ByteSpan expected) const {
    return impl_->integer_equals(value, expected);
}

bool PickleMachine::saw_import() const {
    return impl_->saw_import_;
}

namespace {

class ProbeHost : public MachineHost {
  public:
    bool expired() override { return false; }
    bool charge_expansion(uint64_t, uint64_t) override { return false; }
};

}  // namespace

ProbeResult probe_pickle(ByteSpan bytes, uint64_t offset, uint64_t max_opcodes) {
    ProbeHost host;
    MachineOptions options;
    options.probe = true;
    options.max_opcodes = max_opcodes;
    options.joblib_arrays = false;
    PickleMachine machine(Bytes(bytes, nullptr), nullptr, host, options);
    const StreamOutcome outcome = machine.run(offset);
    ProbeResult result;
    result.reached_stop = outcome.end == StreamEnd::stop;
    result.parses = result.reached_stop ||
                    (outcome.end == StreamEnd::limit && outcome.limit == LimitKind::pickle_opcodes);
    result.opcodes = std::min(outcome.opcodes, max_opcodes);
    result.imports = machine.saw_import();
    return result;
}

}  // namespace hazmat::pickle
