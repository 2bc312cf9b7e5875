#include "scan/pickle/pickle_values.hpp"

#include <algorithm>
#include <stdexcept>

namespace hazmat::pickle {

uint32_t ValueArena::create(ValueKind kind) {
    uint32_t id;
    if (!free_objects_.empty()) {
        id = free_objects_.back();
        free_objects_.pop_back();
        objects_[id] = Object{};
    } else {
        if (objects_.size() >= UINT32_MAX - 1)
            throw std::length_error("too many live pickle objects");
        id = static_cast<uint32_t>(objects_.size());
        objects_.resize(objects_.size() + 1);
    }
    Object& object = objects_[id];
    object.kind = kind;
    object.depth = 1;
    object.refcount = 1;  // the creator's reference, handed on with the value
    return id;
}

uint32_t ValueArena::create_instance(const Instance& instance) {
    const uint32_t id = create(ValueKind::instance);
    uint32_t slot;
    if (!free_instances_.empty()) {
        slot = free_instances_.back();
        free_instances_.pop_back();
        instances_[slot] = instance;
    } else {
        slot = static_cast<uint32_t>(instances_.size());
        instances_.push_back(instance);
    }
    objects_[id].instance = slot;
    return id;
}

uint32_t ValueArena::allocate_items(uint8_t capacity_class) {
    if (capacity_class > kLargestPooledClass) {
        uint32_t block;
        if (!free_blocks_.empty()) {
            block = free_blocks_.back();
            free_blocks_.pop_back();
        } else {
            block = static_cast<uint32_t>(blocks_.size());
            blocks_.emplace_back();
        }
        blocks_[block].resize(size_t{1} << capacity_class);
        return block;
    }
    if (free_ranges_.size() <= capacity_class)
        free_ranges_.resize(capacity_class + 1);
    auto& free = free_ranges_[capacity_class];
    if (!free.empty()) {
        const uint32_t start = free.back();
        free.pop_back();
        return start;
    }
    const size_t size = size_t{1} << capacity_class;
    size_t start = pool_.size();
    // A range never crosses a segment boundary, so it is contiguous.
    const size_t segment = decltype(pool_)::kSegment;
    if ((start % segment) + size > segment)
        start = (start / segment + 1) * segment;
    if (start + size >= UINT32_MAX)
        throw std::length_error("pickle item pool exhausted");
    pool_.resize(start + size);
    return static_cast<uint32_t>(start);
}

void ValueArena::free_items(uint32_t start, uint8_t capacity_class) {
    if (capacity_class > kLargestPooledClass) {
        blocks_[start] = std::vector<Value>();
        free_blocks_.push_back(start);
        return;
    }
    free_ranges_[capacity_class].push_back(start);
}

Value* ValueArena::slots(const Object& object) {
    if (object.capacity_class > kLargestPooledClass)
        return blocks_[object.items].data();
    return &pool_[object.items];
}

const Value* ValueArena::slots(const Object& object) const {
    if (object.capacity_class > kLargestPooledClass)
        return blocks_[object.items].data();
    return &pool_[object.items];
}

void ValueArena::reserve_slot(Object& object) {
    if (!object.has_items) {
        object.capacity_class = 1;
        object.items = allocate_items(1);
        object.has_items = true;
        return;
    }
    if (object.stored < (uint32_t{1} << object.capacity_class))
        return;
    if (object.capacity_class >= 31)
        throw std::length_error("pickle container too large");
    const uint8_t next_class = object.capacity_class + 1;
    if (object.capacity_class > kLargestPooledClass) {
        blocks_[object.items].resize(size_t{1} << next_class);
        object.capacity_class = next_class;
        return;
    }
    const uint32_t start = allocate_items(next_class);
    const Value* from = slots(object);
    Object moved = object;
    moved.items = start;
    moved.capacity_class = next_class;
    std::copy_n(from, object.stored, slots(moved));
    free_items(object.items, object.capacity_class);
    object.items = start;
    object.capacity_class = next_class;
}

void ValueArena::track(Object& object, const Value& item) {
    if (!is_plain(item.kind))
        object.carries_callable = true;
    if (is_object(item.kind))
        object.depth = std::max(object.depth, objects_[item.a].depth + 1);
}

void ValueArena::append(uint32_t id, Value item) {
    Object& object = objects_[id];
    ++object.length;
    if (is_object(item.kind) && item.a == id) {
        // A container inside itself (`l.append(l)`) adds nothing to know and
        // would keep it alive forever: CPython's cycle collector frees such
        // garbage, reference counts alone would not.
        release(item);
        return;
    }
    track(object, item);
    if (holds_no_callable(item) && !keep_all_ && object.stored >= kPlainItemsKept) {
        release(item);
        return;
    }
    reserve_slot(object);
    slots(object)[object.stored++] = item;
}

void ValueArena::append_pair_slow(Object& object, Value key, Value value) {
    ++object.length;
    track(object, key);
    track(object, value);
    if (holds_no_callable(key) && holds_no_callable(value) && !keep_all_ &&
        object.stored >= 2 * kPlainItemsKept) {
        release(key);
        release(value);
        return;
    }
    reserve_slot(object);
    slots(object)[object.stored++] = key;
    reserve_slot(object);
    slots(object)[object.stored++] = value;
}

bool ValueArena::replace(uint32_t id, uint64_t index, Value item) {
    Object& object = objects_[id];
    // Kept items are a prefix of the logical list only while nothing was
    // dropped; otherwise positions are unknown.
    if (object.stored != object.length || index >= object.stored) {
        release(item);
        return false;
    }
    track(object, item);
    const Value old = slots(object)[index];
    slots(object)[index] = item;
    release(old);
    return true;
}

std::span<const Value> ValueArena::items(uint32_t id) const {
    const Object& object = objects_[id];
    if (!object.has_items)
        return {};
    return {slots(object), object.stored};
}

void ValueArena::destroy(uint32_t first) {
    // Iterative, so that a deeply nested structure cannot exhaust the C++
    // stack the way it could exhaust a naive recursive free.
    const size_t base = releasing_.size();
    releasing_.push_back(Value::object(objects_[first].kind, first));
    while (releasing_.size() > base) {
        const Value value = releasing_.back();
        releasing_.pop_back();
        const uint32_t id = value.a;
        Object& object = objects_[id];
        if (object.has_items) {
            const Value* items = slots(object);
            for (uint32_t i = 0; i < object.stored; ++i) {
                const Value& item = items[i];
                if (is_object(item.kind) && --objects_[item.a].refcount == 0)
                    releasing_.push_back(item);
            }
            free_items(object.items, object.capacity_class);
        }
        if (object.kind == ValueKind::instance) {
            const Instance instance = instances_[object.instance];
            for (const Value& part :
                 {instance.callee, instance.args, instance.attrs, instance.state}) {
                if (is_object(part.kind) && --objects_[part.a].refcount == 0)
                    releasing_.push_back(part);
            }
            instances_[object.instance] = Instance{};
            free_instances_.push_back(object.instance);
        }
        objects_[id].kind = ValueKind::absent;
        objects_[id].has_items = false;
        free_objects_.push_back(id);
    }
}

}  // namespace hazmat::pickle
