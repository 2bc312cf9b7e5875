#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace hazmat::pickle {

// What a symbolic value stands for. Values never copy the input: strings
// and byte blobs are (offset, length) views into the bytes being scanned or
// into a buffer the machine decoded, so the machine's memory follows what
// the real unpickler would hold, not the size of the data.
enum class ValueKind : uint8_t {
    absent,  // an empty memo slot; never on the stack
    none,
    boolean,      // a = 0 or 1
    integer,      // b = the value
    big_integer,  // does not fit 64 bits: a = length, b = offset, form = IntegerForm
    floating,     // b = IEEE bits
    str,          // a = length, b = location (see TextForm and kDecoded)
    bytes,
    bytearray,
    // Containers and objects live in the arena: a = object id.
    tuple,
    list,
    dict,
    set,
    frozenset,
    instance,  // whatever a call or NEWOBJ returned
    // A module attribute reached through find_class or a getattr-like
    // gadget: a = name id in the machine's name table.
    global,
    persistent,  // what persistent_load returned: a = persistent record
    opaque,      // anything the machine cannot model (out-of-band buffers)
};

inline bool is_object(ValueKind kind) {
    return kind >= ValueKind::tuple && kind <= ValueKind::instance;
}

// How the bytes of a str/bytes value spell it.
enum class TextForm : uint8_t {
    raw,                 // the bytes are the value (UTF-8 text, or raw bytes)
    string_escape,       // protocol-0 STRING: Python 2 repr escapes
    raw_unicode_escape,  // protocol-0 UNICODE: \uXXXX escapes, other bytes Latin-1
    latin1_of_utf8,      // bytes = text.encode('latin-1') of UTF-8 text (_codecs.encode)
};

enum class IntegerForm : uint8_t {
    little_endian,  // LONG1/LONG4: two's complement, little-endian
    decimal,        // INT/LONG: decimal digits (maybe an 'L' suffix)
};

constexpr uint8_t kDecoded = 1;  // str/bytes bytes live in a decoded buffer: b = buffer<<40|offset
constexpr uint64_t kDecodedOffsetBits = 40;

// 16 bytes. Scalars, strings and names are complete in the value itself;
// containers and call results refer to the arena.
struct Value {
    ValueKind kind = ValueKind::absent;
    uint8_t flags = 0;
    uint8_t form = 0;
    // Memo slot it was last fetched from, plus one (255: a larger index), for
    // evidence; 0 when it was not fetched from the memo.
    uint8_t memo = 0;
    uint32_t a = 0;
    uint64_t b = 0;

    static Value of_kind(ValueKind kind) { return Value{kind, 0, 0, 0, 0, 0}; }
    static Value integer(int64_t v) {
        return Value{ValueKind::integer, 0, 0, 0, 0, static_cast<uint64_t>(v)};
    }
    static Value boolean(bool v) { return Value{ValueKind::boolean, 0, 0, 0, v ? 1u : 0u, 0}; }
    static Value text(ValueKind kind, TextForm form, uint64_t offset, uint64_t length) {
        return Value{kind,
                     0,
                     static_cast<uint8_t>(form),
                     0,
                     static_cast<uint32_t>(std::min<uint64_t>(length, UINT32_MAX)),
                     offset};
    }
    static Value object(ValueKind kind, uint32_t id) { return Value{kind, 0, 0, 0, id, 0}; }
    static Value global(uint32_t name) { return Value{ValueKind::global, 0, 0, 0, name, 0}; }

    int64_t as_int() const { return static_cast<int64_t>(b); }
    bool is_text() const { return kind == ValueKind::str; }
    bool is_binary() const { return kind == ValueKind::bytes || kind == ValueKind::bytearray; }
};
static_assert(sizeof(Value) == 16, "values must stay compact");

// Whether a value can lead to a callable. Plain data cannot; containers
// only keep a bounded number of plain elements (see ValueArena).
inline bool is_plain(ValueKind kind) {
    return kind <= ValueKind::bytearray;
}

// A container or an instance. Elements live in the arena's item pool.
struct Object {
    ValueKind kind = ValueKind::absent;
    bool carries_callable = false;  // holds a non-plain element (checked on insert)
    uint8_t capacity_class = 0;     // items capacity is 1 << capacity_class
    bool has_items = false;
    uint32_t refcount = 0;
    uint32_t items = 0;     // first slot in the item pool
    uint32_t stored = 0;    // slots in use (dicts: 2 per pair)
    uint64_t length = 0;    // logical length (what len() would say; pairs for dicts)
    uint32_t depth = 0;     // nesting of containers inside (1 for a flat container)
    uint32_t instance = 0;  // instances: index into the instance table
};

// Extra state of an instance: what produced it, and what BUILD put in it.
struct Instance {
    Value callee;  // the class or callable that produced it (a global, or another instance)
    Value args;    // call arguments, kept only where a model needs them
    Value attrs;   // dict of attributes set by BUILD (absent until then)
    Value state;   // a non-dict BUILD state (numpy dtypes keep theirs here)
    uint32_t class_name = UINT32_MAX;  // name id of the callee when it is a global
    uint64_t offset = 0;               // where it was created
};

// A growable array in fixed-size segments: growing never copies or moves
// elements of full segments, so there is no moment when a gigabyte of old
// and new storage both exist (a doubling vector would briefly need three).
// The first segment starts small and doubles up to the segment size, so
// that the many short-lived machines that probe bytes stay cheap; its
// elements may move while it grows, so no pointer into the array may be
// held across a resize.
template <typename T, unsigned Shift = 16>
class SegmentedArray {
  public:
    static constexpr size_t kSegment = size_t{1} << Shift;

    T& operator[](size_t i) { return segments_[i >> Shift][i & (kSegment - 1)]; }
    const T& operator[](size_t i) const { return segments_[i >> Shift][i & (kSegment - 1)]; }
    size_t size() const { return size_; }

    // Grows to `n` elements; new elements are value-initialized.
    void resize(size_t n) {
        if (n <= size_)
            return;
        if (first_capacity_ < kSegment && n > first_capacity_)
            grow_first(n);
        while ((segments_.size() << Shift) < n)
            segments_.push_back(std::make_unique<T[]>(kSegment));
        size_ = n;
    }
    void push_back(const T& value) {
        resize(size_ + 1);
        (*this)[size_ - 1] = value;
    }

  private:
    void grow_first(size_t n) {
        size_t capacity = std::max<size_t>(first_capacity_ * 2, 16);
        while (capacity < std::min(n, kSegment))
            capacity *= 2;
        capacity = std::min(capacity, kSegment);
        auto first = std::make_unique<T[]>(capacity);
        if (!segments_.empty())
            std::copy_n(segments_[0].get(), first_capacity_, first.get());
        else
            segments_.emplace_back();
        segments_[0] = std::move(first);
        first_capacity_ = capacity;
    }

    std::vector<std::unique_ptr<T[]>> segments_;
    size_t first_capacity_ = 0;  // elements of segments_[0]
    size_t size_ = 0;
};

// Objects with reference counts, as CPython keeps them: a container that
// nothing refers to any more (popped, not memoized) is freed at once, so a
// stream that builds and drops millions of tuples holds only the live ones.
class ValueArena {
  public:
    // Plain elements kept per container; non-plain elements are always kept.
    // Callables can only be fetched back from a container through a call,
    // which the machine reports in its own right, so dropping plain data
    // past this bound loses nothing the policy needs.
    // LIMITATION: item assignment (SETITEMS on a list) past the kept prefix
    // is not followed.
    static constexpr uint32_t kPlainItemsKept = 256;

    explicit ValueArena(bool keep_all_items = false) : keep_all_(keep_all_items) {}

    uint32_t create(ValueKind kind);
    uint32_t create_instance(const Instance& instance);

    Object& object(uint32_t id) { return objects_[id]; }
    const Object& object(uint32_t id) const { return objects_[id]; }
    Instance& instance_of(uint32_t id) { return instances_[objects_[id].instance]; }
    const Instance& instance_of(uint32_t id) const { return instances_[objects_[id].instance]; }

    // Appends one element (or, for dicts, one key and one value), taking
    // over the caller's references. Plain elements past the bound are
    // counted, not kept, and their references released.
    void append(uint32_t id, Value item);
    void append_pair(uint32_t id, Value key, Value value) {
        Object& object = objects_[id];
        // The common case of a huge benign dict: plain pairs past the bound
        // are only counted.
        if (is_plain(key.kind) && is_plain(value.kind) && !keep_all_ &&
            object.stored >= 2 * kPlainItemsKept) {
            ++object.length;
            return;
        }
        append_pair_slow(object, key, value);
    }

    // Plain data, or a container holding only plain data: nothing in it can
    // lead to a callable.
    bool holds_no_callable(const Value& value) const {
        if (is_plain(value.kind))
            return true;
        return is_object(value.kind) && objects_[value.a].kind != ValueKind::instance &&
               !objects_[value.a].carries_callable;
    }
    // Replaces the element at `index` if it is kept (list item assignment).
    bool replace(uint32_t id, uint64_t index, Value item);

    std::span<const Value> items(uint32_t id) const;

    void retain(const Value& value) {
        if (is_object(value.kind))
            ++objects_[value.a].refcount;
    }
    void release(const Value& value) {
        if (is_object(value.kind) && --objects_[value.a].refcount == 0)
            destroy(value.a);
    }

    size_t live_objects() const { return objects_.size() - free_objects_.size(); }

  private:
    // Item ranges up to one pool segment live in the pool; larger ones (a
    // container with tens of thousands of kept elements) get a block each.
    static constexpr uint8_t kLargestPooledClass = 16;

    void destroy(uint32_t id);
    void append_pair_slow(Object& object, Value key, Value value);
    uint32_t allocate_items(uint8_t capacity_class);
    void free_items(uint32_t start, uint8_t capacity_class);
    Value* slots(const Object& object);
    const Value* slots(const Object& object) const;
    void reserve_slot(Object& object);
    void track(Object& object, const Value& item);

    SegmentedArray<Object> objects_;
    std::vector<uint32_t> free_objects_;
    SegmentedArray<Instance, 12> instances_;
    std::vector<uint32_t> free_instances_;
    SegmentedArray<Value> pool_;
    std::vector<std::vector<uint32_t>> free_ranges_;  // per capacity class
    std::vector<std::vector<Value>> blocks_;          // ranges above the largest pooled class
    std::vector<uint32_t> free_blocks_;
    std::vector<Value> releasing_;  // worklist of destroy()
    bool keep_all_;
};

}  // namespace hazmat::pickle
