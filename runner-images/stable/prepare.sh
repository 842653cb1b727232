#!/bin/sh
# The runner image contract, identical for the online and the offline recipe:
#   - `rustc` on PATH; the curriculum's crates (../deps/Cargo.toml) precompiled for debug and
#     release under /opt/rmp/deps/target/{debug,release}/deps;
#   - /opt/rmp/externs-{debug,release}.args: rustc argument files with one `--extern` per crate;
#   - /opt/rmp/bin/rmp-job: compiles and runs one submission (see rmp-job.rs);
#   - a non-root user `runner` (uid 1000) for submissions; `nobody` (65534) for the idle process.
# `build_deps` and `build_helper` run in a throw-away stage (it needs the vendored sources); `finish` in the final image.
set -eu
RMP=/opt/rmp

build_deps() {
    cd "$RMP/deps"
    export CARGO_HOME="$RMP/cargo-home" CARGO_NET_OFFLINE=true
    cargo metadata --format-version 1 --locked > "$RMP/metadata.json"
    for profile in debug release; do
        flag=""
        [ "$profile" = release ] && flag=--release
        echo "==> compiling the curriculum's crates ($profile)"
        cargo build --locked $flag --message-format=json --target-dir "$RMP/deps/target" \
            > "$RMP/build-$profile.json"
        "$RMP/deps/target/$profile/rmp-deps" "$RMP/metadata.json" "$RMP/build-$profile.json" \
            > "$RMP/externs-$profile.args"
    done

    # Keep only what student code links against.
    for profile in debug release; do
        t="$RMP/deps/target/$profile"
        rm -rf "$t/build" "$t/incremental" "$t/.fingerprint" "$t/examples" "$t/rmp-deps" "$t/rmp-deps.d"
        rm -f "$t"/deps/rmp_deps-* "$t"/deps/*.d
    done
    rm -rf "$RMP/deps/src" "$RMP/deps/.cargo" "$RMP/cargo-home" "$RMP/vendor" "$RMP"/build-*.json \
        "$RMP/metadata.json"
}

build_helper() {
    mkdir -p "$RMP/bin"
    rustc --edition 2021 -C opt-level=2 -o "$RMP/bin/rmp-job" "$RMP/src/rmp-job.rs"
}

finish() {
    grep -q '^runner:' /etc/passwd || {
        echo 'runner:x:1000:1000:runner:/tmp:/usr/sbin/nologin' >> /etc/passwd
        echo 'runner:x:1000:' >> /etc/group
    }
    chmod -R a+rX "$RMP"
    # Prove the contract: a lone main.rs using a derive macro and an async runtime, both profiles.
    smoke=$(mktemp -d)
    cat > "$smoke/main.rs" <<'RUST'
use serde::Serialize;
#[derive(Serialize)]
struct Point { x: i32 }
#[tokio::main]
async fn main() {
    println!("{}", serde_json::to_string(&Point { x: 1 }).unwrap());
}
RUST
    for profile in debug release; do
        rustc --edition 2024 "-Ldependency=$RMP/deps/target/$profile/deps" "@$RMP/externs-$profile.args" \
            -o "$smoke/main" "$smoke/main.rs"
        test "$("$smoke/main")" = '{"x":1}'
    done
    rm -rf "$smoke"
    echo "==> runner image contract verified"
}

"$@"
