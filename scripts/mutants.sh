#!/usr/bin/env bash
# Mutation testing of the security-critical modules of portal-core: every mutant that
# cargo-mutants makes of them must be caught by portal-core's own tests (unit tests and
# `portal-core/tests/`), except the equivalent ones excluded in `.cargo/mutants.toml`
# (each with its reason there).
#
# Not part of the default test run: a full pass builds and tests about a hundred
# mutants, one at a time (an hour or more on two cores).
#
#   scripts/mutants.sh                     # the whole pass
#   scripts/mutants.sh -f portal-core/src/redirect.rs   # one file (overrides the list)
#   scripts/mutants.sh --in-diff my.diff   # only what a change touched
#
# Needs `cargo install cargo-mutants`. Results go to target/mutants/mutants.out
# (caught.txt, missed.txt, timeout.txt, unviable.txt). Exits non-zero when a mutant
# survives.
set -euo pipefail
cd "$(dirname "$0")/.."

files=(
  portal-core/src/token.rs
  portal-core/src/redirect.rs
  portal-core/src/session.rs
  portal-core/src/magic_link.rs
  portal-core/src/web/guard.rs
  portal-core/src/web/cookies.rs
)
args=()
if [[ ! " $* " =~ " -f " && ! " $* " =~ " --file " ]]; then
  for f in "${files[@]}"; do args+=(--file "$f"); done
fi

# No debug info: each mutant relinks six test binaries, and linking is most of a build.
export CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_TEST_DEBUG=0

exec nice -n 15 cargo mutants \
  --package portal-core --all-features \
  --jobs "${MUTANTS_JOBS:-1}" \
  --minimum-test-timeout 60 \
  --output target/mutants \
  "${args[@]}" "$@"
