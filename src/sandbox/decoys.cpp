#include "sandbox/decoys.hpp"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "sandbox/encodings.hpp"

namespace hazmat::sandbox {

namespace {

constexpr std::string_view kUpperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kAlnum =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view kLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kAwsSecretAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";

std::string random_string(std::string_view alphabet, size_t length) {
    std::string out;
    out.reserve(length);
    for (size_t i = 0; i < length; ++i)
        out += alphabet[random_between(0, alphabet.size() - 1)];
    return out;
}

std::string random_bytes(size_t length) {
    std::string out;
    out.reserve(length);
    for (size_t i = 0; i < length; ++i)
        out += static_cast<char>(random_between(0, 255));
    return out;
}

void append_u32(std::string& out, uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8)
        out += static_cast<char>((value >> shift) & 0xff);
}

void append_string(std::string& out, std::string_view value) {
    append_u32(out, static_cast<uint32_t>(value.size()));
    out += value;
}

struct Ed25519Key {
    std::string public_key;   // 32 bytes
    std::string private_key;  // 32-byte seed
};

// LIMITATION: the key material is random: the public half is not derived
// from the private one. The file is well-formed (ssh-keygen reads it), but
// a program that derives the public key and compares would notice. A real
// key pair needs OpenSSL's provider machinery, whose start-up costs more
// than all the rest of a sandbox's preparation.
Ed25519Key generate_ed25519() {
    return {random_bytes(32), random_bytes(32)};
}

// The "openssh-key-v1" container ssh-keygen writes for an unencrypted key.
std::string openssh_private_key(const Ed25519Key& key, std::string_view comment) {
    std::string public_blob;
    append_string(public_blob, "ssh-ed25519");
    append_string(public_blob, key.public_key);

    std::string private_section;
    const auto check = static_cast<uint32_t>(random_between(0, 0xffffffffu));
    append_u32(private_section, check);
    append_u32(private_section, check);
    append_string(private_section, "ssh-ed25519");
    append_string(private_section, key.public_key);
    append_string(private_section, key.private_key + key.public_key);
    append_string(private_section, comment);
    for (char pad = 1; private_section.size() % 8 != 0; ++pad)
        private_section += pad;

    std::string blob("openssh-key-v1", 15);  // includes the terminating NUL
    append_string(blob, "none");
    append_string(blob, "none");
    append_string(blob, "");
    append_u32(blob, 1);
    append_string(blob, public_blob);
    append_string(blob, private_section);

    const auto body = base64_encode(blob);
    std::string pem = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
    for (size_t i = 0; i < body.size(); i += 70)
        pem += body.substr(i, 70) + "\n";
    pem += "-----END OPENSSH PRIVATE KEY-----\n";
    return pem;
}

std::string openssh_public_key(const Ed25519Key& key, std::string_view comment) {
    std::string blob;
    append_string(blob, "ssh-ed25519");
    append_string(blob, key.public_key);
    return fmt::format("ssh-ed25519 {} {}\n", base64_encode(blob), comment);
}

// A JWT-shaped bearer token as Kubernetes service accounts carry.
std::string jwt_like_token() {
    const auto header =
        base64url_encode(R"({"alg":"RS256","kid":")" + random_string(kAlnum, 43) + R"("})");
    const auto payload = base64url_encode(R"({"iss":"kubernetes/serviceaccount","sub":"system:)"
                                          R"(serviceaccount:default:deployer","jti":")" +
                                          random_string(kAlnum, 32) + R"("})");
    return header + "." + payload + "." + base64url_encode(random_bytes(64));
}

}  // namespace

DecoySet DecoySet::generate(const Persona& persona) {
    DecoySet set;
    const auto& user = persona.user_name;
    auto plant = [&](std::string id, std::string where, std::string value) {
        set.secrets.push_back({std::move(id), std::move(where), value});
        return value;
    };

    const auto aws_key_id =
        plant("aws-access-key-id", "~/.aws/credentials", "AKIA" + random_string(kUpperDigits, 16));
    const auto aws_secret =
        plant("aws-secret-access-key", "~/.aws/credentials", random_string(kAwsSecretAlphabet, 40));
    set.files.push_back({".aws/credentials",
                         fmt::format("[default]\naws_access_key_id = {}\naws_secret_access_key = "
                                     "{}\n",
                                     aws_key_id, aws_secret)});
    set.files.push_back(
        {".aws/config", "[default]\nregion = us-east-1\noutput = json\n", 0600, false});

    const auto comment = fmt::format("{}@{}", user, persona.host_name);
    const auto key = generate_ed25519();
    const auto private_pem = openssh_private_key(key, comment);
    // The second line of the key body is the first one that is specific to
    // this key (the first holds the fixed container header).
    plant("ssh-private-key", "~/.ssh/id_ed25519",
          private_pem.substr(private_pem.find('\n', 37) + 1, 70));
    set.files.push_back({".ssh/id_ed25519", private_pem});
    set.files.push_back({".ssh/id_ed25519.pub", openssh_public_key(key, comment), 0644, false});

    const auto netrc_password =
        plant("netrc-password", "~/.netrc", "ghp_" + random_string(kAlnum, 36));
    set.files.push_back({".netrc", fmt::format("machine github.com\n  login {}\n  password {}\n",
                                               user, netrc_password)});

    const auto gh_token =
        plant("gh-oauth-token", "~/.config/gh/hosts.yml", "gho_" + random_string(kAlnum, 36));
    set.files.push_back(
        {".config/gh/hosts.yml", fmt::format("github.com:\n    users:\n        {0}:\n            "
                                             "oauth_token: {1}\n    git_protocol: https\n    "
                                             "oauth_token: {1}\n    user: {0}\n",
                                             user, gh_token)});

    const auto git_token =
        plant("git-credentials-token", "~/.git-credentials", "ghp_" + random_string(kAlnum, 36));
    set.files.push_back(
        {".git-credentials", fmt::format("https://{}:{}@github.com\n", user, git_token)});

    const auto hf_token = plant("huggingface-token", "~/.cache/huggingface/token",
                                "hf_" + random_string(kLetters, 34));
    set.files.push_back({".cache/huggingface/token", hf_token});

    const auto docker_token = plant("docker-registry-token", "~/.docker/config.json",
                                    "dckr_pat_" + random_string(kAlnum, 27));
    set.files.push_back(
        {".docker/config.json",
         fmt::format("{{\n\t\"auths\": {{\n\t\t\"https://index.docker.io/v1/\": {{\n\t\t\t"
                     "\"auth\": \"{}\"\n\t\t}}\n\t}}\n}}\n",
                     base64_encode(user + ":" + docker_token))});

    const auto kube_token = plant("kubernetes-token", "~/.kube/config", jwt_like_token());
    set.files.push_back(
        {".kube/config",
         fmt::format("apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: "
                     "https://10.20.0.1:6443\n  name: prod\ncontexts:\n- context:\n    cluster: "
                     "prod\n    user: deployer\n  name: prod\ncurrent-context: prod\nusers:\n- "
                     "name: deployer\n  user:\n    token: {}\n",
                     kube_token)});

    const auto env = [&](std::string name, std::string id, std::string value) {
        plant(std::move(id), "$" + name, value);
        set.environment.emplace_back(std::move(name), std::move(value));
    };
    env("OPENAI_API_KEY", "openai-api-key-env",
        "sk-proj-" + random_string(kAlnum, 48) + "T3BlbkFJ" + random_string(kAlnum, 20));
    env("HF_TOKEN", "huggingface-token-env", "hf_" + random_string(kLetters, 34));
    env("AWS_ACCESS_KEY_ID", "aws-access-key-id-env", "AKIA" + random_string(kUpperDigits, 16));
    env("AWS_SECRET_ACCESS_KEY", "aws-secret-access-key-env",
        random_string(kAwsSecretAlphabet, 40));
    env("GITHUB_TOKEN", "github-token-env", "ghp_" + random_string(kAlnum, 36));
    return set;
}

const DecoyFile* DecoySet::file(std::string_view path) const {
    for (const auto& file : files) {
        if (file.path == path)
            return &file;
    }
    return nullptr;
}

}  // namespace hazmat::sandbox
