#include "scan/pickle/pickle_machine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "scan/pickle/callable_names.hpp"
#include "scan/pickle/pickle_machine_impl.hpp"
#include "scan/pickle/pickle_opcodes.hpp"
#include "scan/pickle/pickle_rule_ids.hpp"
#include "scan/pickle/pickle_text.hpp"

namespace hazmat::pickle {

using namespace detail;

MachineOptions MachineOptions::from_limits(const ScanLimits& limits) {
    MachineOptions options;
    options.max_opcodes = limits.pickle_max_opcodes;
    options.max_stack = limits.pickle_max_stack_depth;
    options.max_memo = limits.pickle_max_memo_entries;
    options.max_nesting = limits.pickle_max_nesting;
    return options;
}

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
    Value fetched = *value;
    fetched.memo = static_cast<uint8_t>(std::min<uint64_t>(index + 1, 255));
    return push(fetched);
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
