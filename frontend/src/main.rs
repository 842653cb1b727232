fn main() {
    // With `-Cpanic=immediate-abort` (the shipped build, see xtask/src/wasm.rs) a panic traps
    // before any hook runs, so the hook would only add its formatting code to the download.
    #[cfg(not(panic = "immediate-abort"))]
    console_error_panic_hook::set_once();
    frontend::start();
}
