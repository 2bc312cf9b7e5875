// Names, calls and BUILD: how the pickle machine resolves and judges
// callables and follows them through objects.

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

namespace detail {

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

const PolicyEntry& torchscript_entry() {
    static const PolicyEntry entry{
        "__torch__.*",
        "a TorchScript class, compiled by torch.jit.load from the archive's own code members", "",
        Severity::info, "hazmat"};
    return entry;
}

bool is_torchscript_class(std::string_view module) {
    return module == "__torch__" || module.starts_with("__torch__.");
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Names

uint32_t PickleMachine::Impl::intern(std::string module, std::string attribute) {
    std::string qualified = attribute.empty() ? module : module + "." + attribute;
    if (const auto it = name_index_.find(qualified); it != name_index_.end())
        return it->second;
    NameEntry entry;
    entry.module_length = static_cast<uint32_t>(module.size());
    if (options_.torchscript_classes && detail::is_torchscript_class(module)) {
        entry.verdict.outcome = PolicyOutcome::allowed;
        entry.verdict.entry = &detail::torchscript_entry();
        entry.verdict.matched = qualified;
    } else if (policy_) {
        entry.verdict = policy_->classify(module, attribute);
    }
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
        const auto origin = [](const Value& operand) {
            if (operand.memo == 255)
                return std::string("the memo");
            if (operand.memo > 0)
                return fmt::format("memo {}", operand.memo - 1);
            return fmt::format("byte {}", operand.b);
        };
        std::string how = fmt::format(
            "STACK_GLOBAL at byte {} resolves '{}' '{}' (names from {} "
            "and {})",
            offset, escape_for_display(*module_text, 80), escape_for_display(*name_text, 80),
            origin(module), origin(name));
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

}  // namespace hazmat::pickle
