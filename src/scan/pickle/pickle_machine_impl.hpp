#pragma once

// The pickle machine's internals, shared by its implementation files
// (pickle_machine.cpp: control and opcodes; pickle_calls.cpp: names,
// calls and BUILD; pickle_machine_values.cpp: reading and rendering values).
// Not for use outside scan/pickle.

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "scan/pickle/payload_codecs.hpp"
#include "scan/pickle/pickle_machine.hpp"

namespace hazmat::pickle::detail {

inline constexpr uint64_t kNoWatch = UINT64_MAX;
inline constexpr size_t kMaxEvidence = 8;
inline constexpr uint64_t kMaxDecodedBytes = 256ull << 20;
inline constexpr uint32_t kNoName = UINT32_MAX;
inline constexpr uint64_t kDeadlineStride = 4096;

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

const std::unordered_map<std::string_view, ModelInfo>& models();

// Synthetic verdict for values the policy cannot name.
const PolicyEntry& dynamic_entry();

struct NameEntry {
    std::string qualified;
    uint32_t module_length = 0;  // qualified[0, module_length) is the module
    Verdict verdict;
    int32_t record = -1;  // index into StreamLog::callables, when one exists
    ModelInfo model;
    bool synthetic = false;
};

inline std::string_view joblib_wrapper_suffix() {
    return "numpy_pickle.NumpyArrayWrapper";
}

}  // namespace hazmat::pickle::detail

namespace hazmat::pickle {

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
    Value apply_model(const detail::ModelInfo& model, const std::string& callee,
                      const Value& callee_value, const Value& args, uint8_t opcode,
                      uint64_t offset);
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
    detail::Memo memo_;
    int proto_ = 0;
    uint64_t opcodes_ = 0;
    uint64_t op_start_ = 0;
    uint64_t frame_end_ = detail::kNoWatch;
    uint64_t jump_at_ = detail::kNoWatch;  // Python-unpickler reading order (joblib)
    uint64_t jump_to_ = 0;
    uint64_t watch_ = detail::kNoWatch;
    bool frame_anomaly_reported_ = false;
    bool stopped_ = false;
    StreamOutcome outcome_;

    std::vector<detail::NameEntry> names_;
    std::unordered_map<std::string, uint32_t> name_index_;
    // Module attributes and sys.modules entries replaced while loading.
    // LIMITATION: keyed by the qualified name the module was reached by; an
    // attribute set on `pathlib.os` does not redirect later imports of `os`.
    std::unordered_map<std::string, std::pair<Value, uint64_t>> overlay_;
    std::vector<std::shared_ptr<const std::vector<uint8_t>>> buffers_;
    std::vector<std::string> buffer_how_;
};

}  // namespace hazmat::pickle
