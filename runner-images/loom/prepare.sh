#!/bin/sh
# The Loom runner's image. The same layout as every rustc runner (../stable/prepare.sh), release
# only, and a different crate list (../deps-loom/Cargo.toml) compiled WITH `--cfg loom`:
#   - `rustc` of the image's toolchain on PATH (plus the rest of the stable toolchain, whose
#     layer is shared with the stable image);
#   - loom 0.7 and its dependencies, built in release with RUSTFLAGS="--cfg loom", under
#     /opt/rmp/deps/target/release/deps (pass `-Ldependency=` that directory), so `loom::sync`,
#     `loom::thread` and `loom::model` are the model checker;
#   - /opt/rmp/externs-release.args: one `--extern` per crate of the list;
#   - /opt/rmp/bin/rmp-job: the job helper, built from runner-images/job/src/main.rs;
#   - a non-root user `runner` (uid 1000) for submissions.
# The server compiles a submission's tests with `--cfg loom --test -C opt-level=3` against these
# and runs them with loom's environment variables (sandbox/src/plan/loom.rs).
set -eu
RMP=/opt/rmp
DEPS=$RMP/deps/target/release/deps

build_deps() {
    cd "$RMP/deps"
    export CARGO_HOME="$RMP/cargo-home" CARGO_NET_OFFLINE=true RUSTFLAGS="--cfg loom"
    echo "==> compiling the Loom runner's crates (release, --cfg loom, $(rustc -V))"
    cargo build --locked --release --target-dir "$RMP/deps/target"
    # The direct dependencies of the list, by the name code uses (`use loom::...`).
    : > "$RMP/externs-release.args"
    for lib in $(cargo tree --locked --edges normal --depth 1 --prefix none --format '{lib}' | sed 1d | sort -u); do
        set -- "$DEPS"/lib"$lib"-*.rlib
        [ $# -eq 1 ] && [ -f "$1" ] || { echo "expected one rlib for $lib, found: $*"; exit 1; }
        printf -- '--extern\n%s=%s\n' "$lib" "$1" >> "$RMP/externs-release.args"
    done
    cat "$RMP/externs-release.args"
    t="$RMP/deps/target/release"
    rm -rf "$t/build" "$t/incremental" "$t/.fingerprint" "$t/examples"
    rm -f "$t"/librmp_deps_loom* "$DEPS"/librmp_deps_loom-* "$DEPS"/*.d "$DEPS"/*.rmeta
    rm -rf "$RMP/deps/src" "$RMP/deps/.cargo" "$RMP/cargo-home" "$RMP/vendor"
    chmod -R a+rX "$RMP"
}

build_helper() {
    mkdir -p "$RMP/bin"
    rustc --edition 2024 -C opt-level=2 -o "$RMP/bin/rmp-job" "$RMP/src/job/src/main.rs"
    chmod -R a+rX "$RMP/bin" "$RMP/src"
}

# A loom test harness, compiled as the server does.
compile_test() {
    rustc --edition 2024 --cfg loom -C opt-level=3 "-Ldependency=$DEPS" "@$RMP/externs-release.args" \
        --test -o "$2" "$1"
}

finish() {
    grep -q '^runner:' /etc/passwd || {
        echo 'runner:x:1000:1000:runner:/tmp:/usr/sbin/nologin' >> /etc/passwd
        echo 'runner:x:1000:' >> /etc/group
    }
    smoke=$(mktemp -d)
    cd "$smoke"
    echo "==> checking the Loom runner with $(rustc -V)"
    test -x "$RMP/bin/rmp-job"

    # A correct model passes and loom logs how many executions it explored.
    cat > good.rs <<'RUST'
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
#[test]
fn two_increments() {
    loom::model(|| {
        let n = Arc::new(AtomicUsize::new(0));
        let m = n.clone();
        let t = thread::spawn(move || { m.fetch_add(1, Ordering::SeqCst); });
        n.fetch_add(1, Ordering::SeqCst);
        t.join().unwrap();
        assert_eq!(n.load(Ordering::SeqCst), 2);
    });
}
RUST
    compile_test good.rs good
    chmod 777 "$smoke"
    setpriv --reuid=1000 --regid=1000 --clear-groups env HOME=/tmp LOOM_LOG=loom::model=info \
        "$smoke/good" --nocapture > good.out 2>&1 || { cat good.out; exit 1; }
    grep -q 'Completed in [0-9]* iterations' good.out || { cat good.out; exit 1; }

    # A lost update (load, then store) is found: the model really is loom's, not std's.
    sed 's/m.fetch_add(1, Ordering::SeqCst);/let v = m.load(Ordering::SeqCst); m.store(v + 1, Ordering::SeqCst);/' \
        good.rs > race.rs
    compile_test race.rs race
    if ./race > race.out 2>&1; then cat race.out; echo "loom missed the planted race"; exit 1; fi
    grep -q 'assertion `left == right` failed' race.out || { cat race.out; exit 1; }

    # The failing execution can be stored (LOOM_CHECKPOINT_FILE) and replayed with its schedule.
    LOOM_CHECKPOINT_FILE="$smoke/race.json" LOOM_CHECKPOINT_INTERVAL=1 ./race > /dev/null 2>&1 || true
    test -s race.json
    LOOM_CHECKPOINT_FILE="$smoke/race.json" LOOM_LOG=trace LOOM_LOCATION=1 ./race > replay.out 2>&1 || true
    grep -q 'Atomic::store' replay.out || { cat replay.out; exit 1; }

    cd /
    rm -rf "$smoke"
    echo "==> Loom runner verified"
}

"$@"
