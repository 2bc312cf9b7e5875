#include <gtest/gtest.h>

#include "core/rule_ids.hpp"
#include "scan/models/jinja_template.hpp"

namespace hazmat::models {
namespace {

std::vector<std::string> whats(std::string_view text) {
    std::vector<std::string> out;
    for (const auto& escape : find_template_escapes(text))
        out.push_back(escape.what);
    return out;
}

// Templates shipped with popular models: loops, namespace() counters,
// raise_exception, tojson, whitespace control, '\n' escapes.
TEST(JinjaTemplate, AcceptsRealChatTemplates) {
    const char* templates[] = {
        // ChatML
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
        "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt "
        "%}{{ '<|im_start|>assistant\\n' }}{% endif %}",
        // Llama 3
        "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
        "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ "
        "message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = "
        "bos_token + content %}{% endif %}{{ content }}{% endfor %}",
        // Mistral, with raise_exception
        "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != "
        "(loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate "
        "user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ "
        "'[INST] ' + message['content'] + ' [/INST]' }}{% endif %}{% endfor %}",
        // Tool calling with namespace() and tojson
        "{%- set ns = namespace(found=false) -%}{%- for tool in tools %}{{- tool | "
        "tojson(indent=4) "
        "}}{%- set ns.found = true -%}{%- endfor %}{%- if messages[0].role == 'system' %}{{- "
        "messages[0].content + '\\n\\n' }}{%- endif %}",
    };
    for (const auto* text : templates)
        EXPECT_TRUE(find_template_escapes(text).empty()) << text;
}

TEST(JinjaTemplate, FindsDunderAttributesWithTheirOffsets) {
    const std::string text = "Hello {{ ''.__class__.__mro__[1].__subclasses__() }}";
    const auto escapes = find_template_escapes(text);
    ASSERT_EQ(escapes.size(), 3u);
    EXPECT_EQ(escapes[0].offset, text.find("__class__"));
    EXPECT_EQ(escapes[0].severity, Severity::critical);
    EXPECT_EQ(escapes[0].what, "uses the Python internal name __class__");
    EXPECT_EQ(escapes[1].what, "uses the Python internal name __mro__");
    EXPECT_EQ(escapes[2].what, "uses the Python internal name __subclasses__");
    EXPECT_EQ(escapes[0].excerpt, " ''.__class__.__mro__[1].__subclasses__() ");
}

TEST(JinjaTemplate, FindsGlobalsTraversalThroughLipsumCyclerAndJoiner) {
    EXPECT_EQ(whats("{{ lipsum.__globals__['os'] }}"),
              (std::vector<std::string>{
                  "reaches into the 'lipsum' global, a path to Python's module globals",
                  "uses the Python internal name __globals__"}));
    EXPECT_EQ(whats("{% set x = cycler['__init__'] %}"),
              (std::vector<std::string>{
                  "reaches into the 'cycler' global, a path to Python's module globals",
                  "names the Python internal attribute __init__ in a string"}));
    EXPECT_EQ(whats("{{ joiner|attr('x') }}").size(), 2u);
    // Calling them is ordinary template code.
    EXPECT_TRUE(whats("{% set c = cycler('odd', 'even') %}{{ c.next() }}{{ lipsum(2) }}").empty());
}

TEST(JinjaTemplate, FindsObfuscatedNames) {
    EXPECT_EQ(whats("{{ x|attr('\\x5f\\x5fclass\\x5f\\x5f') }}"),
              (std::vector<std::string>{
                  "uses the attr() filter, which reads attributes named by a string",
                  "spells '\\x5f\\x5fclass\\x5f\\x5f' with escape sequences",
                  "names the Python internal attribute __class__ in a string"}));
    EXPECT_EQ(whats("{{ x[\"\\u005f\\u005fglobals\\u005f\\u005f\"] }}").size(), 2u);
    EXPECT_EQ(whats("{{ x['\\137\\137dict\\137\\137'] }}").size(), 2u);
    EXPECT_EQ(whats("{{ '%c%c'|format(95, 95) }}"),
              (std::vector<std::string>{"formats characters by code (%c), spelling names unseen"}));
    EXPECT_EQ(whats("{{ chr(95) }}"), (std::vector<std::string>{"builds characters with chr()"}));
    EXPECT_EQ(whats("{{ x['__cla' ~ 'ss__'] }}"),
              (std::vector<std::string>{"holds the fragment '__cla' of a Python internal name",
                                        "holds the fragment 'ss__' of a Python internal name"}));
    EXPECT_EQ(
        whats("{{ self._TemplateReference__context }}"),
        (std::vector<std::string>{"reads the private attribute _TemplateReference__context"}));
    EXPECT_EQ(whats("{{ x.os.popen('id').read() }}"),
              (std::vector<std::string>{"calls .popen, which runs programs or code"}));
}

TEST(JinjaTemplate, LooksOnlyInsideTags) {
    EXPECT_TRUE(whats("Explain __globals__ and lipsum.__globals__ to the user.").empty());
    EXPECT_TRUE(whats("{# {{ lipsum.__globals__ }} is a comment #}{{ name }}").empty());
    EXPECT_TRUE(whats("{% raw %}{{ lipsum.__globals__ }}{% endraw %}{{ name }}").empty());
    EXPECT_TRUE(whats("{%- raw -%}{{ x.__class__ }}{%- endraw -%}").empty());
    // The string delimiters inside a tag do not end it.
    EXPECT_EQ(whats("{{ '}}' ~ x.__class__ }}").size(), 1u);
    // Text after a raw block is examined again.
    EXPECT_EQ(whats("{% raw %}x{% endraw %}{{ y.__dict__ }}").size(), 1u);
}

TEST(JinjaTemplate, ExaminesUnterminatedTagsToTheEnd) {
    const std::string text = "prefix {{ x.__class__";
    const auto escapes = find_template_escapes(text);
    ASSERT_EQ(escapes.size(), 1u);
    EXPECT_EQ(escapes[0].offset, text.find("__class__"));
}

TEST(JinjaTemplate, RecognisesTemplates) {
    EXPECT_TRUE(looks_like_jinja_template("{{ x }}"));
    EXPECT_TRUE(looks_like_jinja_template("a {% if x %}b{% endif %}"));
    EXPECT_FALSE(looks_like_jinja_template("plain {text} with {braces}"));
}

TEST(JinjaTemplate, FindingCarriesEveryEscapeAndTheHighestSeverity) {
    const std::string text = "{{ x|attr('a') }}{{ y.__class__ }}";
    Location where;
    where.chain = {{LocationPart::Kind::file, "model.gguf"}};
    const auto finding =
        template_escape_finding(find_template_escapes(text), "GGUF metadata 'k'", where, 100);
    ASSERT_TRUE(finding.has_value());
    EXPECT_EQ(finding->rule_id, rules::kTemplateInjection);
    EXPECT_EQ(finding->severity, Severity::critical);
    EXPECT_EQ(finding->location.offset, 100 + text.find("attr"));
    EXPECT_EQ(finding->evidence.size(), 2u);
    EXPECT_FALSE(template_escape_finding({}, "x", where, 0).has_value());
}

}  // namespace
}  // namespace hazmat::models
