#!/bin/sh
# The Cortex-M runner's image contract (this folder's prepare.sh replaces ../stable/prepare.sh in
# the build context), identical for the online and the offline recipe:
#   - `rustc` on PATH with the standard library of `thumbv7m-none-eabi` (core, alloc);
#   - the crates of ../deps-cortex-m/Cargo.toml precompiled for thumbv7m-none-eabi, debug and
#     release, under /opt/rmp/deps/target/{debug,release}/deps (pass `-Ldependency=` that
#     directory; the host-side proc-macro libraries they need, e.g. `#[entry]`, are there too);
#   - /opt/rmp/externs-{debug,release}.args: one `--extern` per crate of that list;
#   - /opt/rmp/cortex-m/{link.x,memory.x}: cortex-m-rt's linker script and the memory of QEMU's
#     lm3s6965evb, for `-L /opt/rmp/cortex-m -C link-arg=-Tlink.x`;
#   - `qemu-system-arm` on PATH (Debian's; the offline recipe carries the host's binary and its
#     libraries in /opt/qemu, started through their own loader);
#   - /opt/rmp/bin/rmp-job, the job helper; a user `runner` (uid 1000).
# `build_deps` and `build_helper` run in a throw-away stage; `finish` runs in the final image and
# proves the contract: a semihosting hello world and a panic, built both ways and run on QEMU.
set -eu
RMP=/opt/rmp
TARGET=thumbv7m-none-eabi
BOARD="$RMP/cortex-m"

build_deps() {
    cd "$RMP/deps"
    export CARGO_HOME="$RMP/cargo-home" CARGO_NET_OFFLINE=true
    # The list's direct dependencies, e.g. `cortex-m v0.7.10`: the crates students may name.
    cargo tree --locked --offline --target "$TARGET" -e normal --depth 1 --prefix none \
        | tail -n +2 | sort -u > "$RMP/direct.txt"
    mkdir -p "$BOARD"
    for profile in debug release; do
        flag=""
        [ "$profile" = release ] && flag=--release
        echo "==> compiling the Cortex-M crates for $TARGET ($profile, $(rustc -V))"
        cargo build --locked $flag --target "$TARGET" --message-format=json \
            --target-dir "$RMP/build" > "$RMP/build-$profile.json"
        lib="$RMP/deps/target/$profile/deps"
        mkdir -p "$lib"
        cp "$RMP/build/$TARGET/$profile/deps/"*.rlib "$lib/"
        # Proc macros (`#[entry]`, `#[exception]`) are host libraries, built outside the target dir.
        cp "$RMP/build/$profile/deps/"*.so "$lib/"
        rm -f "$lib"/librmp_deps_cortex_m-*
        : > "$RMP/externs-$profile.args"
        while read -r name version; do
            id="#$name@${version#v}\""
            rlib=$(grep '"reason":"compiler-artifact"' "$RMP/build-$profile.json" | grep -F "$id" \
                | grep -o '[^"/]*\.rlib' | head -n 1)
            [ -n "$rlib" ] || { echo "no rlib was built for $name $version"; exit 1; }
            crate=$(echo "$name" | tr - _)
            printf -- '--extern\n%s=%s/%s\n' "$crate" "$lib" "$rlib" >> "$RMP/externs-$profile.args"
        done < "$RMP/direct.txt"
    done
    # cortex-m-rt's build script writes link.x (the same for both profiles).
    cp "$(ls "$RMP/build/$TARGET/debug/build/"cortex-m-rt-*/out/link.x | head -n 1)" "$BOARD/link.x"
    cp "$RMP/src/memory.x" "$BOARD/memory.x"
    rm -rf "$RMP/build" "$RMP/deps/src" "$RMP/deps/.cargo" "$RMP/deps/Cargo.lock" \
        "$RMP/cargo-home" "$RMP/vendor" "$RMP"/build-*.json "$RMP/direct.txt"
    chmod -R a+rX "$RMP"
}

build_helper() {
    mkdir -p "$RMP/bin"
    # std only, for the host: plain rustc builds it; main.rs pulls in protocol.rs with `mod protocol;`.
    rustc --edition 2024 -C opt-level=2 -o "$RMP/bin/rmp-job" "$RMP/src/job/src/main.rs"
    chmod -R a+rX "$RMP/bin" "$RMP/src"
}

# rustc for the board with the precompiled crates of one profile (the server plans the same line).
board_rustc() {
    profile=$1
    shift
    opt=0
    [ "$profile" = release ] && opt=3
    rustc --edition 2024 --target "$TARGET" -C "opt-level=$opt" \
        "-Ldependency=$RMP/deps/target/$profile/deps" "@$RMP/externs-$profile.args" \
        -L "$BOARD" -C link-arg=-Tlink.x "$@"
}

qemu() {
    qemu-system-arm -cpu cortex-m3 -machine lm3s6965evb -nographic \
        -semihosting-config enable=on,target=native -kernel "$@"
}

finish() {
    grep -q '^runner:' /etc/passwd || {
        echo 'runner:x:1000:1000:runner:/tmp:/usr/sbin/nologin' >> /etc/passwd
        echo 'runner:x:1000:' >> /etc/group
    }
    # The offline recipe's QEMU: the host's binary with its own libraries and loader.
    if [ -x /opt/qemu/bin/qemu-system-arm ]; then
        cat > /usr/local/bin/qemu-system-arm <<'SH'
#!/bin/sh
exec /opt/qemu/lib/ld-linux-x86-64.so.2 --library-path /opt/qemu/lib /opt/qemu/bin/qemu-system-arm "$@"
SH
        chmod 755 /usr/local/bin/qemu-system-arm
    fi
    smoke=$(mktemp -d)
    cd "$smoke"
    echo "==> checking the contract with $(rustc -V) and $(qemu-system-arm --version | head -n 1)"
    test -x "$RMP/bin/rmp-job"
    test -f "$BOARD/link.x" && test -f "$BOARD/memory.x"

    cat > hello.rs <<'RUST'
#![no_std]
#![no_main]
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use panic_semihosting as _;
#[entry]
fn main() -> ! {
    let cs_ok = critical_section::with(|_| true);
    hprintln!("hello from the board: {}", cs_ok);
    debug::exit(debug::EXIT_SUCCESS);
    loop {}
}
RUST
    cat > panics.rs <<'RUST'
#![no_std]
#![no_main]
use cortex_m_rt::entry;
use panic_semihosting as _;
#[entry]
fn main() -> ! {
    panic!("the answer is {}", 6 * 7);
}
RUST
    for profile in debug release; do
        board_rustc "$profile" -o hello hello.rs
        test "$(qemu hello 2> /dev/null)" = 'hello from the board: true'
        board_rustc "$profile" -o panics panics.rs
        status=0
        # panic-semihosting writes the message to the semihosting stdout.
        qemu panics > panics.out 2> /dev/null || status=$?
        test "$status" = 1 || { echo "a panic exited with $status"; exit 1; }
        grep -q 'the answer is 42' panics.out || { cat panics.out; exit 1; }
    done
    # Submissions compile and run as `runner`.
    chmod 777 "$smoke"
    setpriv --reuid=1000 --regid=1000 --clear-groups env HOME=/tmp sh -c "cd '$smoke' &&
        rustc --edition 2024 --target $TARGET -Ldependency=$RMP/deps/target/debug/deps \
            @$RMP/externs-debug.args -L $BOARD -C link-arg=-Tlink.x -o as_runner hello.rs &&
        qemu-system-arm -cpu cortex-m3 -machine lm3s6965evb -nographic \
            -semihosting-config enable=on,target=native -kernel as_runner" > as_runner.out 2> /dev/null
    test "$(cat as_runner.out)" = 'hello from the board: true'
    cd /
    rm -rf "$smoke"
    echo "==> Cortex-M runner image contract verified"
}

"$@"
