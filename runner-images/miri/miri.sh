#!/bin/sh
# The Miri runner's contract, on top of the rustc runner's (../stable/prepare.sh):
#   - `miri`, the Miri driver, on PATH: the server runs it like rustc (no cargo), with
#     `--sysroot $MIRI_SYSROOT`; it compiles the crate and interprets `main` (or, with `--test`, the
#     test harness). With `MIRI_BE_RUSTC=target` it only compiles, as rustc with `cfg(miri)`;
#   - MIRI_SYSROOT=/opt/rmp/miri-sysroot: the standard library built for Miri (`cargo miri setup`),
#     so no job builds it (nor needs rust-src, cargo or a writable home);
#   - all of it usable by `runner` (1000) with HOME=/tmp, TMPDIR=/tmp and a read-only root.
# `setup` runs in a throw-away stage that has rust-src and cargo; `finish` in the final image.
set -eu
SYSROOT=/opt/rmp/miri-sysroot

setup() {
    echo "==> building Miri's standard library ($(rustc -V))"
    # rust-src vendors the standard library's dependencies (library/vendor): no network needed.
    export CARGO_HOME=/tmp/miri-cargo-home CARGO_NET_OFFLINE=true MIRI_SYSROOT="$SYSROOT"
    mkdir -p "$CARGO_HOME"
    cat > "$CARGO_HOME/config.toml" <<TOML
[source.crates-io]
replace-with = "rust-src-vendor"
[source.rust-src-vendor]
directory = "$(rustc --print sysroot)/lib/rustlib/src/rust/library/vendor"
TOML
    cargo miri setup
    rm -rf "$CARGO_HOME"
    # Only the libraries are needed at run time.
    chmod -R a+rX "$SYSROOT"
    du -sh "$SYSROOT"
}

finish() {
    # The online image has rustup's toolchain, whose proxies do not include the driver.
    if ! command -v miri > /dev/null; then
        ln -s "$(rustc --print sysroot)/bin/miri" /usr/local/bin/miri
    fi
    test "${MIRI_SYSROOT:-}" = "$SYSROOT"
    smoke=$(mktemp -d)
    chmod 777 "$smoke"
    cd "$smoke"
    echo "==> checking the Miri contract with $(miri -V)"
    cat > uaf.rs <<'RUST'
fn main() {
    let b = Box::new(5);
    let p = &*b as *const i32;
    drop(b);
    println!("{}", unsafe { *p });
}
RUST
    cat > sound.rs <<'RUST'
fn main() {
    let v: Vec<u32> = (1..=4).collect();
    println!("sum {}", v.iter().sum::<u32>());
}
#[test]
fn adds() { assert_eq!(2 + 2, 4); }
RUST
    # As the runner user, with the home and temporary directory the sandbox gives.
    as_runner() {
        setpriv --reuid=1000 --regid=1000 --clear-groups env HOME=/tmp TMPDIR=/tmp sh -c "cd '$smoke' && $1"
    }
    miri_line="miri --sysroot $SYSROOT --edition 2024 --error-format=json"
    as_runner "$miri_line --crate-name uaf uaf.rs" 2> uaf.json && { echo "Miri missed a use-after-free"; exit 1; }
    grep -q 'Undefined Behavior' uaf.json && grep -q 'was deallocated here' uaf.json \
        || { cat uaf.json; exit 1; }
    test "$(as_runner "$miri_line --crate-name sound sound.rs")" = "sum 10"
    as_runner "$miri_line --crate-name sound --test sound.rs -- --test-threads 1" > test.out
    grep -q 'test adds ... ok' test.out || { cat test.out; exit 1; }
    # The compile-only mode the server checks a submission with before interpreting it.
    as_runner "MIRI_BE_RUSTC=target $miri_line --crate-name sound --emit=metadata -o sound.rmeta sound.rs"
    test -f sound.rmeta
    cd /
    rm -rf "$smoke"
    echo "==> Miri runner contract verified"
}

"$@"
