#!/bin/sh
# The runner image contract, identical for every rustc runner (stable, nightly) and for the online
# and the offline recipe:
#   - `rustc`, `clippy-driver` and `rustfmt` of the image's toolchain on PATH, and `cc` (gcc) for
#     build scripts that compile C through the `cc` crate;
#   - the curriculum's crates (../deps/Cargo.toml) precompiled for debug and release under
#     /opt/rmp/deps/target/{debug,release}/deps (pass `-Ldependency=` that directory);
#   - /opt/rmp/externs-{debug,release}.args: rustc argument files with one `--extern` per crate,
#     for rustc and clippy-driver alike (a student's build script or proc-macro crate uses the same);
#   - /opt/rmp/bin/rmp-job: the job helper, built from runner-images/job/src/main.rs;
#   - a non-root user `runner` (uid 1000) for submissions; `nobody` (65534) for the idle process.
# `build_deps` and `build_helper` run in a throw-away stage (it needs the vendored sources); `finish`
# runs in the final image and proves every part of the contract with the image's own tools.
set -eu
RMP=/opt/rmp

build_deps() {
    cd "$RMP/deps"
    export CARGO_HOME="$RMP/cargo-home" CARGO_NET_OFFLINE=true
    cargo metadata --format-version 1 --locked > "$RMP/metadata.json"
    for profile in debug release; do
        flag=""
        [ "$profile" = release ] && flag=--release
        echo "==> compiling the curriculum's crates ($profile, $(rustc -V))"
        cargo build --locked $flag --message-format=json --target-dir "$RMP/deps/target" \
            > "$RMP/build-$profile.json"
        "$RMP/deps/target/$profile/rmp-deps" "$RMP/metadata.json" "$RMP/build-$profile.json" \
            > "$RMP/externs-$profile.args"
    done

    # Keep only what student code links against.
    for profile in debug release; do
        t="$RMP/deps/target/$profile"
        rm -rf "$t/build" "$t/incremental" "$t/.fingerprint" "$t/examples" "$t/rmp-deps" "$t/rmp-deps.d"
        # The .rmeta files repeat what the .rlib files hold (cargo makes them for pipelining):
        # rustc finds the rlibs through -Ldependency alone. A third of the size.
        rm -f "$t"/deps/rmp_deps-* "$t"/deps/*.d "$t"/deps/*.rmeta
    done
    rm -rf "$RMP/deps/src" "$RMP/deps/.cargo" "$RMP/cargo-home" "$RMP/vendor" "$RMP"/build-*.json \
        "$RMP/metadata.json"
    # Readable by the `runner` user. Here, not in `finish`: a chmod in the final image would copy
    # every file of /opt/rmp into one more layer (hundreds of MB).
    chmod -R a+rX "$RMP"
}

build_helper() {
    mkdir -p "$RMP/bin"
    # std only, so plain rustc builds it; main.rs pulls in protocol.rs with `mod protocol;`.
    rustc --edition 2024 -C opt-level=2 -o "$RMP/bin/rmp-job" "$RMP/src/job/src/main.rs"
    chmod -R a+rX "$RMP/bin" "$RMP/src"
}

# rustc (or clippy-driver) with the precompiled crates of one profile.
with_crates() {
    tool=$1 profile=$2
    shift 2
    "$tool" --edition 2024 "-Ldependency=$RMP/deps/target/$profile/deps" "@$RMP/externs-$profile.args" "$@"
}

finish() {
    grep -q '^runner:' /etc/passwd || {
        echo 'runner:x:1000:1000:runner:/tmp:/usr/sbin/nologin' >> /etc/passwd
        echo 'runner:x:1000:' >> /etc/group
    }
    smoke=$(mktemp -d)
    cd "$smoke"
    echo "==> checking the contract with $(rustc -V)"
    for tool in rustc clippy-driver rustfmt cc; do
        command -v "$tool" > /dev/null || { echo "missing on PATH: $tool"; exit 1; }
    done

    # A lone main.rs using a derive macro and an async runtime, both profiles.
    cat > main.rs <<'RUST'
use serde::Serialize;
#[derive(Serialize)]
struct Point { x: i32 }
#[tokio::main]
async fn main() {
    println!("{}", serde_json::to_string(&Point { x: 1 }).unwrap());
}
RUST
    for profile in debug release; do
        with_crates rustc "$profile" -o main main.rs
        test "$(./main)" = '{"x":1}'
    done
    # Submissions run as `runner`: everything above must be readable by it, too.
    chmod 777 "$smoke"
    setpriv --reuid=1000 --regid=1000 --clear-groups env HOME=/tmp sh -c "cd '$smoke' &&
        rustc --edition 2024 -Ldependency=$RMP/deps/target/debug/deps @$RMP/externs-debug.args \
            -o as_runner main.rs && ./as_runner" > as_runner.out
    test "$(cat as_runner.out)" = '{"x":1}'

    # Clippy: clippy-driver takes rustc's arguments and reports lints as diagnostics.
    cat > lint.rs <<'RUST'
fn main() {
    let v = vec![1, 2, 3];
    for i in 0..v.len() {
        println!("{}", v[i]);
    }
}
RUST
    with_crates clippy-driver debug --error-format=json -o lint lint.rs 2> lint.json
    grep -q 'clippy::needless_range_loop' lint.json || { cat lint.json; exit 1; }

    # rustfmt rewrites a squashed file in place.
    printf 'fn main(){let x=1;println!("{}",x);}\n' > fmt.rs
    rustfmt --edition 2024 fmt.rs
    test "$(sed -n 2p fmt.rs)" = '    let x = 1;' || { cat fmt.rs; exit 1; }

    # A proc-macro crate built against the precompiled syn/quote/proc-macro2, used by a main.rs.
    cat > hello_macro.rs <<'RUST'
use proc_macro::TokenStream;
use quote::quote;
use syn::{DeriveInput, parse_macro_input};
#[proc_macro_derive(Hello)]
pub fn hello(input: TokenStream) -> TokenStream {
    let ident = parse_macro_input!(input as DeriveInput).ident;
    let text = ident.to_string();
    quote! { impl #ident { fn hello() -> &'static str { #text } } }.into()
}
RUST
    cat > uses_macro.rs <<'RUST'
#[derive(hello_macro::Hello)]
struct Ferris;
fn main() { println!("{}", Ferris::hello()); }
RUST
    for profile in debug release; do
        with_crates rustc "$profile" --crate-type proc-macro --crate-name hello_macro --extern proc_macro \
            -o libhello_macro.so hello_macro.rs
        with_crates rustc "$profile" --extern hello_macro=libhello_macro.so -o uses_macro uses_macro.rs
        test "$(./uses_macro)" = Ferris
    done

    # A build script compiling C through the `cc` crate (Cargo's environment, set by hand), and a
    # program calling the C function over FFI.
    printf 'int twice(int x) { return 2 * x; }\n' > twice.c
    cat > build.rs <<'RUST'
fn main() { cc::Build::new().file("twice.c").compile("twice"); }
RUST
    cat > ffi.rs <<'RUST'
unsafe extern "C" { fn twice(x: i32) -> i32; }
fn main() { println!("{}", unsafe { twice(21) }); }
RUST
    with_crates rustc debug -o build_script build.rs
    mkdir out
    OUT_DIR="$smoke/out" TARGET=x86_64-unknown-linux-gnu HOST=x86_64-unknown-linux-gnu OPT_LEVEL=0 \
        DEBUG=false PROFILE=debug ./build_script > build_script.out
    grep -q 'cargo:rustc-link-lib=static=twice' build_script.out || { cat build_script.out; exit 1; }
    rustc --edition 2024 -L "native=$smoke/out" -l static=twice -o ffi ffi.rs
    test "$(./ffi)" = 42

    # The views every rustc runner offers; the nightly-only ones where rustc accepts -Z.
    printf 'struct Pair { a: u8, b: u64 }\nfn main() { let p = Pair { a: 1, b: 2 }; println!("{}", p.a as u64 + p.b); }\n' > view.rs
    rustc --edition 2024 --emit=mir,llvm-ir,asm --out-dir views view.rs
    grep -q 'bb0' views/view.mir && grep -q 'define' views/view.ll && grep -q 'main' views/view.s
    if rustc -Z help > /dev/null 2>&1; then
        rustc --edition 2024 -Zunpretty=expanded view.rs | grep -q '_print'
        rustc --edition 2024 -Zunpretty=hir view.rs | grep -q 'struct Pair'
        rustc --edition 2024 -Zprint-type-sizes -o view view.rs | grep -q 'type: `Pair`: 16 bytes'
        echo "    nightly views work: -Zunpretty=expanded, -Zunpretty=hir, -Zprint-type-sizes"
    fi

    # The helper exists and runs (its protocol is tested with the server's).
    test -x "$RMP/bin/rmp-job"

    cd /
    rm -rf "$smoke"
    echo "==> runner image contract verified"
}

"$@"
