#include "scan/models/keras_config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "core/finding.hpp"
#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"
#include "scan/models/json_input.hpp"

namespace hazmat::models {

namespace {

using nlohmann::json;

template <size_t N>
bool contains(const std::array<std::string_view, N>& set, std::string_view value) {
    return std::find(set.begin(), set.end(), value) != set.end();
}

std::string_view top_package(std::string_view module) {
    return module.substr(0, module.find('.'));
}

// Packages whose objects Keras 3.9 and later still import by module name;
// everything else needs the user to register it first (CVE-2025-1550).
constexpr std::array<std::string_view, 6> kKerasPackages = {
    "keras", "keras_hub", "keras_cv", "keras_nlp", "tf_keras", "keras_core",
};

// Modules whose functions run programs, read or write files, open
// connections, load other serialized objects or evaluate code: naming one in
// a config is a payload, not a model.
constexpr std::array<std::string_view, 39> kDangerousPackages = {
    "os",          "posix",
    "nt",          "subprocess",
    "sys",         "builtins",
    "__builtin__", "importlib",
    "runpy",       "pty",
    "shutil",      "socket",
    "ctypes",      "pickle",
    "_pickle",     "cPickle",
    "marshal",     "code",
    "codeop",      "webbrowser",
    "urllib",      "urllib2",
    "http",        "httplib",
    "requests",    "multiprocessing",
    "asyncio",     "tempfile",
    "pathlib",     "io",
    "timeit",      "pdb",
    "bdb",         "trace",
    "profile",     "cProfile",
    "shelve",      "dill",
    "joblib",
};

// Frameworks whose ordinary functions appear in tf.keras Lambda layers
// (tf.nn.relu), but which also read and write files, load libraries and
// call back into Python under these names.
constexpr std::array<std::string_view, 3> kFrameworkPackages = {"tensorflow", "torch", "numpy"};
constexpr std::array<std::string_view, 14> kFrameworkGadgets = {
    "write_file", "read_file", "py_func",         "py_function",  "numpy_function",
    "load",       "save",      "load_op_library", "load_library", "load_library_v2",
    "fromfile",   "tofile",    "system",          "PyFunc",
};

// Python built-ins that evaluate code, touch files, or reach attributes by
// name; a config naming them as a function is an exploit.
constexpr std::array<std::string_view, 16> kDangerousBuiltins = {
    "eval",    "exec",   "compile", "open",       "__import__", "getattr", "setattr", "delattr",
    "globals", "locals", "vars",    "breakpoint", "input",      "exit",    "quit",    "help",
};

// Every other name Python's builtins module defines: Keras 3 looks names with
// module "builtins" up in its own activations, losses, metrics ... first, and
// before 3.9 fell back to importing builtins, handing out print or type.
constexpr std::array<std::string_view, 60> kOtherBuiltins = {
    "abs",        "aiter",        "all",     "anext",     "any",    "ascii",       "bin",
    "bool",       "bytearray",    "bytes",   "callable",  "chr",    "classmethod", "complex",
    "dict",       "dir",          "divmod",  "enumerate", "filter", "float",       "format",
    "frozenset",  "hasattr",      "hash",    "hex",       "id",     "int",         "isinstance",
    "issubclass", "iter",         "len",     "list",      "map",    "max",         "memoryview",
    "min",        "next",         "object",  "oct",       "ord",    "pow",         "print",
    "property",   "range",        "repr",    "reversed",  "round",  "set",         "slice",
    "sorted",     "staticmethod", "str",     "sum",       "super",  "tuple",       "type",
    "zip",        "copyright",    "credits", "license",
};

// LIMITATION: gadgets are a list of the Keras functions known to act outside
// the model; one not listed here (a new Keras API) is not reported when a
// config calls it through a Lambda layer.
// Keras functions that act on the outside world or on Keras' own safety
// switch when a config makes Keras call them (through a Lambda layer's
// function and arguments, or as a layer "class" that is really a function).
// get_file downloads and extracts (CVE-2025-8747); load_model and friends
// load another, unchecked model, possibly with safe_mode off.
constexpr std::array<std::string_view, 11> kGadgetFunctions = {
    "get_file",          "load_model",      "load_weights", "model_from_json",
    "model_from_config", "model_from_yaml", "save_model",   "save_weights",
    "func_load",         "load_img",        "save_img",
};

// Calls that turn Keras' safe mode off for everything loaded after them
// (CVE-2025-9906).
constexpr std::array<std::string_view, 3> kUnsafeSwitches = {
    "enable_unsafe_deserialization",
    "set_global_attribute",
    "SafeModeScope",
};

// TensorFlow API names a tf.keras TFOpLambda layer may call that reach
// files, Python or the network.
constexpr std::array<std::string_view, 10> kTfOpGadgetPrefixes = {
    "io.",
    "compat.v1.io.",
    "gfile.",
    "compat.v1.gfile.",
    "py_function",
    "numpy_function",
    "compat.v1.py_func",
    "saved_model.",
    "keras.utils.get_file",
    "data.experimental.service",
};

// Special class names Keras 3 uses for values, not objects.
constexpr std::array<std::string_view, 9> kValueClassNames = {
    "__tensor__",   "__numpy__",        "__bytes__",  "__ellipsis__", "__slice__",
    "__typespec__", "__keras_tensor__", "__lambda__", "function",
};

// Class names Keras resolves from its own registry when a config carries no
// module (tf.keras and legacy HDF5 configs). Anything else needs a custom
// object from the user's code.
// LIMITATION: the list covers Keras' common public classes; a built-in class
// missing from it is reported as a custom object, at low severity.
constexpr std::string_view kKerasClassNames[] = {
    // models
    "Functional",
    "Sequential",
    "Model",
    "InputLayer",
    // core, reshaping, merging
    "Dense",
    "Activation",
    "Embedding",
    "Masking",
    "Lambda",
    "Identity",
    "EinsumDense",
    "TFOpLambda",
    "SlicingOpLambda",
    "TorchModuleWrapper",
    "TFSMLayer",
    "ClassMethod",
    "InstanceMethod",
    "InstanceProperty",
    "Reshape",
    "Flatten",
    "RepeatVector",
    "Permute",
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
    "Add",
    "Subtract",
    "Multiply",
    "Average",
    "Maximum",
    "Minimum",
    "Concatenate",
    "Dot",
    // convolution and pooling
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "Convolution1D",
    "Convolution2D",
    "Convolution3D",
    "Convolution2DTranspose",
    "Convolution3DTranspose",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    // normalization, regularization, activations, attention
    "BatchNormalization",
    "LayerNormalization",
    "GroupNormalization",
    "UnitNormalization",
    "SpectralNormalization",
    "RMSNormalization",
    "SyncBatchNormalization",
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianDropout",
    "GaussianNoise",
    "AlphaDropout",
    "ActivityRegularization",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "ThresholdedReLU",
    "Softmax",
    "Attention",
    "AdditiveAttention",
    "MultiHeadAttention",
    "GroupQueryAttention",
    // recurrent and wrappers
    "RNN",
    "SimpleRNN",
    "SimpleRNNCell",
    "GRU",
    "GRUCell",
    "LSTM",
    "LSTMCell",
    "StackedRNNCells",
    "Bidirectional",
    "TimeDistributed",
    "Wrapper",
    "CuDNNGRU",
    "CuDNNLSTM",
    "PeepholeLSTMCell",
    // preprocessing
    "TextVectorization",
    "Normalization",
    "Discretization",
    "CategoryEncoding",
    "Hashing",
    "HashedCrossing",
    "StringLookup",
    "IntegerLookup",
    "Resizing",
    "Rescaling",
    "CenterCrop",
    "RandomCrop",
    "RandomFlip",
    "RandomTranslation",
    "RandomRotation",
    "RandomZoom",
    "RandomHeight",
    "RandomWidth",
    "RandomContrast",
    "RandomBrightness",
    // initializers, regularizers, constraints
    "Zeros",
    "Ones",
    "Constant",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Orthogonal",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "LecunNormal",
    "LecunUniform",
    "L1",
    "L2",
    "L1L2",
    "OrthogonalRegularizer",
    "MaxNorm",
    "NonNeg",
    "UnitNorm",
    "MinMaxNorm",
    "RadialConstraint",
    // optimizers and schedules
    "Adam",
    "AdamW",
    "SGD",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Adamax",
    "Nadam",
    "Ftrl",
    "Lion",
    "Adafactor",
    "LossScaleOptimizer",
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "InverseTimeDecay",
    "CosineDecay",
    "CosineDecayRestarts",
    // losses and metrics
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "SparseCategoricalCrossentropy",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "Huber",
    "LogCosh",
    "KLDivergence",
    "Poisson",
    "CosineSimilarity",
    "Tversky",
    "Dice",
    "CTC",
    "LossFunctionWrapper",
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "AUC",
    "Precision",
    "Recall",
    "TruePositives",
    "TrueNegatives",
    "FalsePositives",
    "FalseNegatives",
    "PrecisionAtRecall",
    "RecallAtPrecision",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    "Mean",
    "Sum",
    "MeanMetricWrapper",
    "MeanIoU",
    "IoU",
    "BinaryIoU",
    "OneHotIoU",
    "OneHotMeanIoU",
    "RootMeanSquaredError",
    "MeanTensor",
    "R2Score",
    "F1Score",
    "FBetaScore",
    // dtype policies
    "DTypePolicy",
    "Policy",
    "FloatDTypePolicy",
    "QuantizedDTypePolicy",
    "QuantizedFloat8DTypePolicy",
    "DTypePolicyMap",
};

bool is_keras_class_name(std::string_view name) {
    return std::find(std::begin(kKerasClassNames), std::end(kKerasClassNames), name) !=
           std::end(kKerasClassNames);
}

// Evidence stays readable for configs with thousands of layers.
constexpr size_t kMaxIssuesPerRule = 25;

// "config.layers[2]" + "config" -> "config.layers[2].config".
std::string join_path(std::string_view path, std::string_view key) {
    return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

class ConfigWalker {
  public:
    explicit ConfigWalker(KerasConfigOrigin origin) : origin_(origin) {}

    KerasConfigAnalysis run(const json& config) {
        walk(config, "", 0);
        return std::move(analysis_);
    }

  private:
    void walk(const json& value, const std::string& path, size_t depth) {
        // parse_untrusted_json bounds the nesting already; a config built by
        // other means gets the same bound here.
        if (depth > kMaxJsonNesting)
            return;
        if (value.is_array()) {
            for (size_t i = 0; i < value.size(); ++i)
                walk(value[i], fmt::format("{}[{}]", path, i), depth + 1);
            return;
        }
        if (!value.is_object())
            return;
        check_safe_mode_argument(value, path);
        const auto class_name = value.find("class_name");
        if (class_name != value.end() && class_name->is_string()) {
            ++analysis_.objects;
            examine(value, class_name->get<std::string>(), path);
        }
        for (const auto& [key, child] : value.items()) {
            if (child.is_object() || child.is_array())
                walk(child, join_path(path, key), depth + 1);
        }
    }

    static std::string string_member(const json& object, std::string_view key) {
        const auto it = object.find(key);
        return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
    }

    // "layer 'lambda_1' (Lambda)" or "Lambda at config.layers[3]".
    static std::string describe(const json& object, std::string_view class_name,
                                const std::string& path) {
        std::string name = string_member(object, "name");
        const auto inner = object.find("config");
        if (name.empty() && inner != object.end() && inner->is_object())
            name = string_member(*inner, "name");
        const std::string_view at = path.empty() ? "the top level" : std::string_view(path);
        if (name.empty())
            return fmt::format("{} at {}", class_name, at);
        return fmt::format("'{}' ({}) at {}", name, class_name, at);
    }

    void examine(const json& object, const std::string& class_name, const std::string& path) {
        const auto inner_it = object.find("config");
        const json empty = json::object();
        const json& inner = inner_it != object.end() ? *inner_it : empty;
        const std::string module = string_member(object, "module");
        const bool has_module = object.contains("module") && object["module"].is_string();

        if (class_name == "__lambda__") {
            if (handled_.insert(&object).second)
                report_lambda_code(object, inner, "a serialized lambda", path);
            return;
        }
        if (class_name == "Lambda" && inner.is_object())
            examine_lambda(object, inner, path);
        else if (class_name == "TorchModuleWrapper")
            examine_torch_module(object, inner, path);
        else if (class_name == "TFSMLayer")
            examine_savedmodel_layer(object, inner, path);
        else if (class_name == "TFOpLambda" && inner.is_object())
            examine_tf_op(object, inner, path);

        if (class_name == "function") {
            const std::string function = inner.is_string() ? inner.get<std::string>() : "";
            examine_reference(object, module, has_module, function, true, path);
            return;
        }
        if (contains(kValueClassNames, class_name))
            return;
        examine_reference(object, module, has_module, class_name, false, path);
    }

    // A class or function named by module and name.
    void examine_reference(const json& object, const std::string& module, bool has_module,
                           const std::string& name, bool is_function, const std::string& path) {
        const std::string what = describe(object, name, path);
        if (contains(kUnsafeSwitches, name)) {
            add({rules::kKerasUnsafeSwitch,
                 Severity::critical,
                 fmt::format("The config calls {}.{}, which turns Keras' safe mode off for "
                             "everything loaded after it; a Lambda layer later in the same "
                             "file then runs its code.",
                             module.empty() ? "keras" : module, name),
                 {what},
                 path});
            return;
        }
        if (!has_module) {
            if (!is_function && !is_keras_class_name(name) && !name.starts_with("__"))
                report_custom_object(object, name, "", path);
            return;
        }
        const auto package = top_package(module);
        if (module == "builtins") {
            examine_builtin(object, name, path);
            return;
        }
        if (contains(kKerasPackages, package)) {
            if (contains(kGadgetFunctions, name))
                report_gadget(object, module, name, path);
            return;
        }
        if (contains(kDangerousPackages, package) ||
            (contains(kFrameworkPackages, package) && contains(kFrameworkGadgets, name))) {
            add({rules::kKerasForeignCallable,
                 Severity::critical,
                 fmt::format("The config names {}.{}. Keras before 3.9 imports the module and "
                             "calls or instantiates what it names while loading "
                             "(CVE-2025-1550); {} is no part of a model.",
                             module, name, module),
                 {what, fmt::format("module '{}', {} '{}'", module,
                                    is_function ? "function" : "class", name)},
                 path});
            return;
        }
        if (contains(kFrameworkPackages, package))
            return;  // tf.nn.relu and the like: ordinary tensor functions
        report_custom_object(object, name, module, path);
    }

    void examine_builtin(const json& object, const std::string& name, const std::string& path) {
        const bool dangerous = contains(kDangerousBuiltins, name);
        if (!dangerous && !contains(kOtherBuiltins, name))
            return;  // Keras' own built-in functions (activations, losses ...)
        add({rules::kKerasForeignCallable,
             dangerous ? Severity::critical : Severity::high,
             fmt::format("The config names the Python built-in {}(). Keras before 3.9 imports "
                         "builtins when the name is not a Keras function and uses {} as the "
                         "object (CVE-2025-1550).",
                         name, name),
             {describe(object, name, path)},
             path});
    }

    void report_custom_object(const json& object, const std::string& name,
                              const std::string& module, const std::string& path) {
        const std::string registered = string_member(object, "registered_name");
        std::vector<std::string> evidence{describe(object, name, path)};
        if (!registered.empty() && registered != name)
            evidence.push_back(fmt::format("registered name '{}'", registered));
        if (module.empty()) {
            add({rules::kKerasCustomObject, Severity::low,
                 fmt::format("The config needs the custom class '{}', which Keras does not "
                             "define: loading works only with code that registers it, usually "
                             "from the project itself.",
                             name),
                 std::move(evidence), path});
            return;
        }
        evidence.push_back(fmt::format("module '{}'", module));
        add({rules::kKerasCustomObject, Severity::medium,
             fmt::format("The config needs '{}' from the module '{}', which is not Keras. Keras "
                         "before 3.9 imports that module while loading, running its top-level "
                         "code.",
                         name, module),
             std::move(evidence), path});
    }

    void report_gadget(const json& object, const std::string& module, const std::string& name,
                       const std::string& path) {
        add({rules::kKerasGadget,
             Severity::high,
             fmt::format("The config makes Keras call {}.{} while building the model: it "
                         "downloads, loads or writes files chosen by the config, the gadget "
                         "behind CVE-2025-8747.",
                         module, name),
             {describe(object, name, path)},
             path});
    }

    // A Lambda layer: Keras 3 stores its function as a {"class_name":
    // "__lambda__"} object, tf.keras as [code, defaults, closure] with
    // function_type "lambda", or as a name to look up with function_type
    // "function" and a module whose globals provide it.
    void examine_lambda(const json& object, const json& inner, const std::string& path) {
        for (const auto* key : {"function", "output_shape", "mask"}) {
            const auto it = inner.find(key);
            if (it == inner.end())
                continue;
            const auto type = string_member(inner, std::string(key) + "_type");
            const auto& value = *it;
            if (value.is_object() && string_member(value, "class_name") == "__lambda__") {
                handled_.insert(&value);
                report_lambda_code(object, value.value("config", json::object()),
                                   fmt::format("its {}", key), path);
            } else if (type == "lambda" ||
                       (std::string_view(key) == "function" && value.is_array())) {
                report_lambda_code(object, value, fmt::format("its {}", key), path);
            } else if (type == "function" && value.is_string()) {
                examine_legacy_function(object, inner, key, value.get<std::string>(), path);
            }
        }
    }

    // tf.keras looks a named Lambda function up in the globals of the module
    // the config names, provided that module is already imported (os and
    // builtins always are).
    void examine_legacy_function(const json& object, const json& inner, std::string_view key,
                                 const std::string& function, const std::string& path) {
        const std::string module =
            string_member(inner, key == "function" ? "module" : std::string(key) + "_module");
        if (module.empty())
            return;
        json reference = {{"module", module}, {"class_name", "function"}, {"config", function}};
        if (object.contains("name"))
            reference["name"] = object["name"];
        examine_reference(reference, module, true, function, true,
                          join_path(join_path(path, "config"), key));
    }

    void report_lambda_code(const json& object, const json& code_holder, const std::string& part,
                            const std::string& path) {
        const std::string code = lambda_code(code_holder);
        std::vector<std::string> evidence{describe(object, "Lambda", path)};
        if (!code.empty()) {
            const auto raw = decode_base64(code);
            const auto names = marshal_names(raw ? *raw : code);
            evidence.push_back(fmt::format("{} bytes of marshalled Python bytecode{}",
                                           raw ? raw->size() : code.size(),
                                           raw ? " (base64)" : ""));
            if (!names.empty())
                evidence.push_back(
                    fmt::format("names in the bytecode: {}", fmt::join(names, ", ")));
        }
        add({rules::kKerasLambda, Severity::critical,
             fmt::format("A Lambda layer stores Python bytecode in {}, which the loader "
                         "unmarshals and runs{}.",
                         part,
                         origin_ == KerasConfigOrigin::keras_v3
                             ? " unless safe_mode blocks it (Keras before 2.13 runs it "
                               "regardless, CVE-2024-3660)"
                         : origin_ == KerasConfigOrigin::legacy_h5
                             ? ": the HDF5 loader has no safe mode (CVE-2025-9905)"
                             : " when the SavedModel is loaded with Keras"),
             std::move(evidence), path});
    }

    // The code string of a serialized function in any of the layouts Keras
    // versions write: "value": [code, defaults, closure], "code": code, or
    // the bare [code, defaults, closure] list.
    static std::string lambda_code(const json& holder) {
        if (holder.is_string())
            return holder.get<std::string>();
        if (holder.is_array() && !holder.empty() && holder[0].is_string())
            return holder[0].get<std::string>();
        if (!holder.is_object())
            return {};
        if (const auto code = holder.find("code"); code != holder.end() && code->is_string())
            return code->get<std::string>();
        if (const auto value = holder.find("value"); value != holder.end())
            return lambda_code(*value);
        return {};
    }

    void examine_torch_module(const json& object, const json& inner, const std::string& path) {
        std::vector<std::string> evidence{describe(object, "TorchModuleWrapper", path)};
        const std::string encoded = inner.is_object() ? string_member(inner, "module") : "";
        if (!encoded.empty()) {
            if (auto decoded = decode_base64(encoded)) {
                evidence.push_back(
                    fmt::format("{} bytes of torch.save data, examined as an "
                                "embedded object",
                                decoded->size()));
                analysis_.payloads.push_back(
                    {fmt::format("TorchModuleWrapper module at {}", path), std::move(*decoded)});
            } else {
                evidence.push_back("the module is not valid base64");
            }
        }
        add({rules::kKerasTorchModule, Severity::high,
             "A TorchModuleWrapper layer carries a pickled PyTorch module that Keras hands to "
             "torch.load(weights_only=False) when safe mode is off or not enforced; the pickle "
             "can run code.",
             std::move(evidence), path});
    }

    void examine_savedmodel_layer(const json& object, const json& inner, const std::string& path) {
        std::vector<std::string> evidence{describe(object, "TFSMLayer", path)};
        const std::string filepath = inner.is_object() ? string_member(inner, "filepath") : "";
        if (!filepath.empty())
            evidence.push_back(fmt::format("loads the SavedModel at '{}'", filepath));
        add({rules::kKerasSavedModelLayer, Severity::high,
             fmt::format("A TFSMLayer loads the TensorFlow SavedModel at {} while the model is "
                         "built and runs its graph on every call; Keras 3.13 does so even in "
                         "safe mode (CVE-2026-1462).",
                         filepath.empty() ? "a path from the config" : "'" + filepath + "'"),
             std::move(evidence), path});
    }

    void examine_tf_op(const json& object, const json& inner, const std::string& path) {
        const std::string function = string_member(inner, "function");
        for (const auto prefix : kTfOpGadgetPrefixes) {
            if (!function.starts_with(prefix))
                continue;
            add({rules::kKerasGadget,
                 Severity::high,
                 fmt::format("A TFOpLambda layer calls tf.{}, which reaches files, Python or "
                             "the network every time the model runs.",
                             function),
                 {describe(object, "TFOpLambda", path)},
                 path});
            return;
        }
    }

    // Keras' loaders take safe_mode as an argument; a config that passes
    // safe_mode=False to a function it makes Keras call (load_model through a
    // Lambda, CVE-2025-9906) switches the protection off for what follows.
    void check_safe_mode_argument(const json& object, const std::string& path) {
        const auto it = object.find("safe_mode");
        if (it == object.end() || !it->is_boolean() || it->get<bool>())
            return;
        add({rules::kKerasUnsafeSwitch,
             Severity::critical,
             "The config passes safe_mode=False to a Keras function it calls, switching off the "
             "protection against Lambda bytecode and pickled modules for what it loads.",
             {fmt::format("\"safe_mode\": false at {}", path)},
             path});
    }

    void add(KerasIssue issue) {
        auto& count = per_rule_[issue.rule];
        if (++count > kMaxIssuesPerRule)
            return;
        analysis_.issues.push_back(std::move(issue));
    }

    KerasConfigOrigin origin_;
    KerasConfigAnalysis analysis_;
    std::set<const json*> handled_;
    std::map<std::string_view, size_t> per_rule_;
};

bool is_identifier(std::string_view text) {
    if (text.empty() || std::isdigit(static_cast<unsigned char>(text.front())))
        return false;
    return std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
    });
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
    std::string compact;
    compact.reserve(text.size());
    for (const char c : text) {
        if (!std::isspace(static_cast<unsigned char>(c)))
            compact += c;
    }
    if (compact.empty() || compact.size() % 4 != 0 || compact.size() > (1u << 30))
        return std::nullopt;
    std::string out(compact.size() / 4 * 3, '\0');
    const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                        reinterpret_cast<const unsigned char*>(compact.data()),
                                        static_cast<int>(compact.size()));
    if (written < 0)
        return std::nullopt;
    // EVP_DecodeBlock counts the padding as zero bytes.
    size_t padding = 0;
    while (padding < 2 && compact[compact.size() - 1 - padding] == '=')
        ++padding;
    out.resize(static_cast<size_t>(written) - padding);
    return out;
}

std::vector<std::string> marshal_names(std::string_view code, size_t limit) {
    // Strings in marshal data: 'z'/'Z' short ASCII (1-byte length), 'a'/'A'
    // ASCII, 'u' and 't' Unicode (4-byte length); bit 0x80 marks a reference.
    std::vector<std::string> names;
    for (size_t i = 0; i + 2 < code.size() && names.size() < limit; ++i) {
        const char type = static_cast<char>(static_cast<unsigned char>(code[i]) & 0x7f);
        size_t length = 0;
        size_t start = 0;
        if (type == 'z' || type == 'Z') {
            length = static_cast<unsigned char>(code[i + 1]);
            start = i + 2;
        } else if ((type == 'a' || type == 'A' || type == 'u' || type == 't') &&
                   i + 5 <= code.size()) {
            for (int b = 3; b >= 0; --b)
                length = (length << 8) | static_cast<unsigned char>(code[i + 1 + b]);
            start = i + 5;
        } else {
            continue;
        }
        if (length < 2 || length > 64 || start + length > code.size())
            continue;
        const std::string_view text = code.substr(start, length);
        if (!is_identifier(text))
            continue;
        if (std::find(names.begin(), names.end(), text) == names.end())
            names.emplace_back(text);
        i = start + length - 1;
    }
    return names;
}

KerasConfigAnalysis analyze_keras_config(const json& config, KerasConfigOrigin origin) {
    return ConfigWalker(origin).run(config);
}

void report_keras_analysis(const KerasConfigAnalysis& analysis, const Blob& parent,
                           const Location& where, std::string_view keras_version,
                           ScanContext& context) {
    for (const auto& issue : analysis.issues) {
        auto finding =
            Finding::make(issue.rule, issue.message, where).with_severity(issue.severity);
        for (const auto& line : issue.evidence)
            finding.with_evidence(line);
        if (!keras_version.empty())
            finding.with_evidence(fmt::format("written by Keras {}", keras_version));
        finding.with_fingerprint_key(issue.path);
        context.report(std::move(finding));
    }
    for (const auto& payload : analysis.payloads) {
        Blob child;
        child.bytes = bytes_from(payload.bytes);
        child.location = where.child(LocationPart::Kind::embedded, payload.name);
        child.name = payload.name;
        // `where` may be deeper than `parent` (a member of it).
        child.depth = parent.depth + 1 +
                      static_cast<uint32_t>(where.chain.size() - parent.location.chain.size());
        context.scan(child);
    }
}

bool analyze_keras_config_text(std::string_view text, KerasConfigOrigin origin, const Blob& parent,
                               const Location& where, std::string_view keras_version,
                               ScanContext& context) {
    const auto parsed = parse_untrusted_json(text);
    if (!parsed.ok) {
        context.report(Finding::make(rules::kScanUnparseable,
                                     fmt::format("The Keras config cannot be parsed ({}); what "
                                                 "it makes Keras load was not verified.",
                                                 parsed.error),
                                     where)
                           .at_offset(parsed.error_offset));
        return false;
    }
    // Keras reads the config with Python's json, which keeps the last copy of
    // a repeated key: that copy is analysed, the earlier one is only reported.
    if (auto duplicate = duplicate_key_finding(
            parsed, "The Keras config", "the copies Keras ignores were not analyzed.", where))
        context.report(std::move(*duplicate));
    report_keras_analysis(analyze_keras_config(parsed.value, origin), parent, where, keras_version,
                          context);
    return true;
}

}  // namespace hazmat::models
