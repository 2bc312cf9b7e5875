#!/usr/bin/env bash
# Runs the sandbox's end-to-end tests again as an ordinary user, created for
# the purpose: the sandbox must work without any privilege.
#
#   run_unprivileged.sh HAZMAT_BINARY TEST_BINARY DATA_DIR SANDBOX_FIXTURES_DIR
#
# That user cannot enter root's 0700 directories, so the binaries, the data
# and the fixtures are copied to a fresh world-readable directory first.
# Exits 77 (skipped) when not run as root.
set -euo pipefail

readonly hazmat=$1 tests=$2 data=$3 fixtures=$4
readonly user=hazmat-sandbox-test

if [[ $(id -u) -ne 0 ]]; then
  echo "run_unprivileged.sh: needs root to create the test user; skipped" >&2
  exit 77
fi
if ! id "$user" >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
fi

work=$(mktemp -d /tmp/hazmat-unprivileged-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin/share" "$work/home"
cp "$hazmat" "$work/bin/hazmat"
cp -r "$data" "$work/bin/share/hazmat"
cp "$tests" "$work/hazmat_tests"
cp -r "$fixtures" "$work/sandbox"
chmod -R a+rX "$work"
chown -R "$user:" "$work/home"

cd "$work/home"
exec runuser -u "$user" -- env -i PATH=/usr/bin:/bin HOME="$work/home" TMPDIR="$work/home" \
  HAZMAT_TEST_BINARY="$work/bin/hazmat" HAZMAT_TEST_SANDBOX_DIR="$work/sandbox" \
  "$work/hazmat_tests" --gtest_filter='SandboxE2E.*:WorkspaceTest.*:AuditLogTest.*'
